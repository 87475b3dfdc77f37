package dev.streamtune.contracts;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
  * A topic of the design: its name, its serdes, and the topic configs it needs when created. Keys
  * are always adapter ids (strings), except on {@code feedback.events} where apps set them and the
  * dead-letter topic which keeps the original key bytes.
  *
  * @param name the topic name
  * @param keySerde the key serde
  * @param valueSerde the value serde
  * @param configs topic-level configs to create it with (retention, say)
  * @param purpose one line on what flows through it
  */
public record Topic<K, V>(
        String name, Serde<K> keySerde, Serde<V> valueSerde, Map<String, String> configs, String purpose) {
    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keySerde, "keySerde");
        Objects.requireNonNull(valueSerde, "valueSerde");
        configs = Map.copyOf(configs);
    }

    static <V> Topic<String, V> keyedByAdapter(
            String name, Serde<V> valueSerde, Map<String, String> configs, String purpose) {
        return new Topic<>(name, Serdes.String(), valueSerde, configs, purpose);
    }
}
