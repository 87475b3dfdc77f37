package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class IngestConfigTest {
    private final IngestConfig defaults = IngestConfig.defaults("localhost:9092");

    @Test
    void theProductionStreamsConfigurationIsExactlyOnceWithDeadLetteringHandlers() {
        Properties props = defaults.streamsProperties();
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals(DeadLetteringDeserializationHandler.class.getName(),
                props.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG));
        assertEquals(IngestProductionExceptionHandler.class.getName(),
                props.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG));
        assertEquals("read_committed", props.get(StreamsConfig.consumerPrefix("isolation.level")));
        int maxRequest = Integer.parseInt((String) props.get(StreamsConfig.producerPrefix("max.request.size")));
        assertTrue(maxRequest > defaults.batch().maxBytes(), "the largest batch can be produced");
        // and Kafka Streams itself accepts it
        new StreamsConfig(props);
    }

    @Test
    void theIssueDefaultsHold() {
        assertEquals(32, defaults.batch().maxExamples());
        assertEquals(Duration.ofSeconds(10), defaults.batch().maxWait());
        assertEquals(100, defaults.holdoutPerMille());
        assertEquals(0.10, defaults.rateLimit().maxUserShare());
        assertEquals(100, defaults.rateLimit().shareAppliesFrom());
        assertTrue(defaults.redact());
        assertTrue(defaults.allowedAdapters().isEmpty());
    }

    @Test
    void invalidValuesAreRefusedWithTheirName() {
        assertMessage("processingGuarantee", () -> defaults.withProcessingGuarantee("exactly_once"));
        assertMessage("holdoutPerMille", () -> defaults.withHoldoutPerMille(1001));
        assertMessage("dedupeWindow", () -> defaults.withDedupeWindow(Duration.ZERO));
        assertMessage("streamThreads", () -> defaults.withStreamThreads(0));
        assertMessage("allowedAdapters", () -> defaults.withAllowedAdapters(Set.of("Not An Adapter")));
        assertMessage("maxExamples", () -> new IngestConfig.BatchLimits(1, 4096, Duration.ofSeconds(1)));
        assertMessage("maxBytes", () -> new IngestConfig.BatchLimits(32, 10, Duration.ofSeconds(1)));
        assertMessage("maxWait", () -> new IngestConfig.BatchLimits(32, 4096, Duration.ofSeconds(-1)));
        assertMessage("maxUserShare", () -> new IngestConfig.RateLimit(10, 0.0, 1));
        assertMessage("maxUserEventsPerHour", () -> new IngestConfig.RateLimit(0, 0.1, 1));
        assertMessage("bootstrapServers", () -> IngestConfig.defaults(" "));
    }

    private static void assertMessage(String name, org.junit.jupiter.api.function.Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }
}
