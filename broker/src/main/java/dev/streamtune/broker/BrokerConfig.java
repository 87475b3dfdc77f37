package dev.streamtune.broker;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Typed, validated configuration of the embedded broker.
 *
 * @param dataDir                   directory owned by the broker; Kafka's log directory (with
 *                                  {@code meta.properties}) is {@code dataDir/kafka-logs}
 * @param host                      host name the listeners bind to and advertise
 * @param kafkaPort                 client port; 0 picks a free port at start
 * @param controllerPort            KRaft controller port; 0 picks a free port at start
 * @param nodeId                    KRaft node id (broker and controller share it)
 * @param cleanerDedupeBufferBytes  {@code log.cleaner.dedupe.buffer.size}; Kafka's default (128 MiB) is
 *                                  most of an embedded broker's heap, so the default here is 4 MiB
 * @param overrides                 extra Kafka server properties, applied last
 */
public record BrokerConfig(Path dataDir, String host, int kafkaPort, int controllerPort, int nodeId,
                           long cleanerDedupeBufferBytes, Map<String, String> overrides) {

    public static final String DEFAULT_HOST = "localhost";
    public static final int DEFAULT_KAFKA_PORT = 9092;
    public static final long MIB = 1024L * 1024L;
    public static final long DEFAULT_CLEANER_DEDUPE_BUFFER_BYTES = 4 * MIB;
    public static final long MIN_CLEANER_DEDUPE_BUFFER_BYTES = MIB;

    /** Properties the typed fields own; an override of one would contradict them. */
    static final Set<String> RESERVED_KEYS = Set.of(
            "process.roles", "node.id", "log.dirs", "log.dir", "metadata.log.dir", "listeners",
            "advertised.listeners", "controller.listener.names", "controller.quorum.voters",
            "controller.quorum.bootstrap.servers", "log.cleaner.dedupe.buffer.size");

    public BrokerConfig {
        if (dataDir == null) {
            throw new IllegalArgumentException("broker data directory must be set");
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("broker host must be a non-empty host name, e.g. localhost");
        }
        host = host.strip();
        checkPort("Kafka port", kafkaPort);
        checkPort("controller port", controllerPort);
        if (kafkaPort != 0 && kafkaPort == controllerPort) {
            throw new IllegalArgumentException("Kafka port and controller port must differ, both are " + kafkaPort);
        }
        if (nodeId < 0) {
            throw new IllegalArgumentException("broker node id must be 0 or more, got " + nodeId);
        }
        if (cleanerDedupeBufferBytes < MIN_CLEANER_DEDUPE_BUFFER_BYTES) {
            throw new IllegalArgumentException("log cleaner dedupe buffer must be at least 1 MiB ("
                    + MIN_CLEANER_DEDUPE_BUFFER_BYTES + " bytes), got " + cleanerDedupeBufferBytes + " bytes");
        }
        Map<String, String> copy = new TreeMap<>();
        if (overrides != null) {
            for (Map.Entry<String, String> e : overrides.entrySet()) {
                String key = e.getKey();
                if (key == null || key.isBlank()) {
                    throw new IllegalArgumentException("broker override keys must be non-empty property names");
                }
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("broker override '" + key + "' has no value");
                }
                if (RESERVED_KEYS.contains(key)) {
                    throw new IllegalArgumentException("broker override '" + key
                            + "' is set from the typed configuration (data directory, host, ports, node id, "
                            + "cleaner buffer); change that field instead");
                }
                copy.put(key, e.getValue());
            }
        }
        overrides = java.util.Collections.unmodifiableMap(copy);
    }

    private static void checkPort(String what, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(what + " must be between 0 and 65535 (0 picks a free port), got " + port);
        }
    }

    /**
     * The all-in-one default: {@code localhost:9092} for clients, a free port for the controller
     * (clients never talk to it, so a fixed one would only risk a clash), node 1, 4 MiB cleaner buffer.
     */
    public static BrokerConfig defaults(Path dataDir) {
        return new BrokerConfig(dataDir, DEFAULT_HOST, DEFAULT_KAFKA_PORT, 0, 1,
                DEFAULT_CLEANER_DEDUPE_BUFFER_BYTES, Map.of());
    }

    /** For tests: free ports for both listeners, otherwise as {@link #defaults(Path)}. */
    public static BrokerConfig forTests(Path dataDir) {
        return defaults(dataDir).withKafkaPort(0);
    }

    public BrokerConfig withDataDir(Path dataDir) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    public BrokerConfig withHost(String host) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    public BrokerConfig withKafkaPort(int kafkaPort) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    public BrokerConfig withControllerPort(int controllerPort) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    public BrokerConfig withNodeId(int nodeId) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    public BrokerConfig withCleanerDedupeBufferBytes(long bytes) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, bytes, overrides);
    }

    /** Replaces all overrides. */
    public BrokerConfig withOverrides(Map<String, String> overrides) {
        return new BrokerConfig(dataDir, host, kafkaPort, controllerPort, nodeId, cleanerDedupeBufferBytes, overrides);
    }

    /** Adds (or replaces) one override. */
    public BrokerConfig withOverride(String key, String value) {
        Map<String, String> merged = new TreeMap<>(overrides);
        merged.put(Objects.requireNonNull(key, "key"), value);
        return withOverrides(merged);
    }

    /** Kafka's log directory under {@link #dataDir()}. */
    public Path logDir() {
        return dataDir.resolve("kafka-logs");
    }
}
