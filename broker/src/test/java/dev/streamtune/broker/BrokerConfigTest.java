package dev.streamtune.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BrokerConfigTest {

    private final Path dir = Path.of("data");

    @Test
    void defaultsAreTheAllInOneSettings() {
        BrokerConfig c = BrokerConfig.defaults(dir);
        assertEquals("localhost", c.host());
        assertEquals(9092, c.kafkaPort());
        assertEquals(0, c.controllerPort());
        assertEquals(1, c.nodeId());
        assertEquals(4L * 1024 * 1024, c.cleanerDedupeBufferBytes());
        assertTrue(c.overrides().isEmpty());
        assertEquals(dir.resolve("kafka-logs"), c.logDir());
    }

    @Test
    void forTestsPicksFreePorts() {
        BrokerConfig c = BrokerConfig.forTests(dir);
        assertEquals(0, c.kafkaPort());
        assertEquals(0, c.controllerPort());
    }

    @Test
    void negativePortIsRejectedWithReadableMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> BrokerConfig.defaults(dir).withKafkaPort(-1));
        assertEquals("Kafka port must be between 0 and 65535 (0 picks a free port), got -1", e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> BrokerConfig.defaults(dir).withControllerPort(70000));
        assertTrue(e2.getMessage().startsWith("controller port must be between 0 and 65535"), e2.getMessage());
    }

    @Test
    void otherBadValuesAreRejected() {
        BrokerConfig c = BrokerConfig.defaults(dir);
        assertThrows(IllegalArgumentException.class, () -> BrokerConfig.defaults(null));
        assertThrows(IllegalArgumentException.class, () -> c.withHost(" "));
        assertThrows(IllegalArgumentException.class, () -> c.withNodeId(-3));
        var buf = assertThrows(IllegalArgumentException.class, () -> c.withCleanerDedupeBufferBytes(1000));
        assertTrue(buf.getMessage().contains("at least 1 MiB"), buf.getMessage());
        var same = assertThrows(IllegalArgumentException.class, () -> c.withControllerPort(9092));
        assertTrue(same.getMessage().contains("must differ"), same.getMessage());
        var reserved = assertThrows(IllegalArgumentException.class, () -> c.withOverride("node.id", "7"));
        assertTrue(reserved.getMessage().contains("node.id"), reserved.getMessage());
    }

    @Test
    void withersChangeOneFieldAndOverridesAreCopied() {
        Map<String, String> mutable = new HashMap<>(Map.of("log.retention.ms", "1000"));
        BrokerConfig c = BrokerConfig.defaults(dir).withOverrides(mutable).withNodeId(5).withKafkaPort(19092);
        mutable.put("num.io.threads", "2");
        assertEquals(Map.of("log.retention.ms", "1000"), c.overrides());
        assertEquals(5, c.nodeId());
        assertEquals(19092, c.kafkaPort());
        assertEquals(Map.of("log.retention.ms", "1000", "num.io.threads", "2"),
                c.withOverride("num.io.threads", "2").overrides());
        assertThrows(UnsupportedOperationException.class, () -> c.overrides().put("x", "y"));
    }

    @Test
    void topicSpecValidates() {
        assertEquals(Map.of(), new TopicSpec("feedback.events", 3).configs());
        var e = assertThrows(IllegalArgumentException.class, () -> new TopicSpec("t", 0));
        assertTrue(e.getMessage().contains("at least 1 partition"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TopicSpec("bad name", 1));
    }
}
