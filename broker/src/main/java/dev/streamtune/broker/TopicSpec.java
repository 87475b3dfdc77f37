package dev.streamtune.broker;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic to create on the embedded broker (replication factor is always 1 on one node).
 *
 * @param name       topic name
 * @param partitions number of partitions, at least 1
 * @param configs    topic-level configs, e.g. {@code cleanup.policy=compact}
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs) {

    public TopicSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must be non-empty");
        }
        if (name.length() > 249 || !name.matches("[a-zA-Z0-9._-]+") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("topic name '" + name
                    + "' is not valid: use at most 249 of the characters a-z A-Z 0-9 . _ -");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic '" + name + "' needs at least 1 partition, got " + partitions);
        }
        Map<String, String> copy = new TreeMap<>();
        if (configs != null) {
            configs.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("topic '" + name + "' has a config with a missing key or value");
                }
                copy.put(k, v);
            });
        }
        configs = Collections.unmodifiableMap(copy);
    }

    public TopicSpec(String name, int partitions) {
        this(name, partitions, Map.of());
    }
}
