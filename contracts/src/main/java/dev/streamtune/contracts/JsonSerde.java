package dev.streamtune.contracts;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
  * A Kafka serde for one of the contract records, through {@link Json}'s strict mapper. A value
  * that does not parse raises {@link SerializationException} naming the record type.
  */
public final class JsonSerde<T> implements Serde<T> {
    private final Class<T> type;

    public JsonSerde(Class<T> type) {
        this.type = type;
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> value == null ? null : Json.toBytes(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                return Json.fromBytes(bytes, type);
            } catch (IllegalArgumentException e) {
                throw new SerializationException("record on " + topic + " is not a " + type.getSimpleName()
                        + ": " + e.getMessage(), e);
            }
        };
    }
}
