package dev.streamtune.contracts;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
  * The serde of {@code feedback.events} for producers and typed consumers: it writes events as
  * JSON and reads them through {@link FeedbackValidator}, so a typed reader never sees an invalid
  * event (it gets a {@link SerializationException} listing every violation). Ingest reads the topic
  * as raw bytes instead, to dead-letter bad records with their original bytes.
  */
public final class FeedbackEventSerde implements Serde<FeedbackEvent> {
    private final FeedbackValidator validator;

    public FeedbackEventSerde(FeedbackValidator validator) {
        this.validator = validator;
    }

    public FeedbackEventSerde() {
        this(new FeedbackValidator());
    }

    @Override
    public Serializer<FeedbackEvent> serializer() {
        return (topic, event) -> event == null ? null : Json.toBytes(event);
    }

    @Override
    public Deserializer<FeedbackEvent> deserializer() {
        return (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            ValidationResult result = validator.validate(bytes);
            if (!result.isValid()) {
                throw new SerializationException("invalid feedback event on " + topic + ": "
                        + result.describe());
            }
            return result.event();
        };
    }
}
