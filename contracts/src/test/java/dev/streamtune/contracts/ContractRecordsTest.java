package dev.streamtune.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class ContractRecordsTest {
    private static final String TIME = "2026-11-27T09:00:00Z";

    @Test
    void controlCommandRoundTripsThroughItsTopicSerde() {
        ControlCommand command = new ControlCommand(ControlCommand.SCHEMA_V1, "c-1", "alice", TIME,
                "email-drafting", ControlAction.ROLLBACK, 6, "regression in tone", "ab".repeat(32), "sig");
        assertEquals(command, roundTrip(Topics.ADAPTERS_CONTROL, command));
    }

    @Test
    void candidateAnnouncementRoundTrips() {
        CandidateAnnouncement candidate = new CandidateAnnouncement(CandidateAnnouncement.SCHEMA_V1,
                "acme/scheduling", 3, 2, "/data/adapters/acme/scheduling/3", "cd".repeat(32), "tiny-llama",
                Map.of("loss", 1.25, "examples", 64.0),
                List.of(new OffsetRange("training.batches", 0, 10, 12)), TIME);
        assertEquals(candidate, roundTrip(Topics.ADAPTERS_CANDIDATES, candidate));
    }

    @Test
    void trainingBatchRoundTripsWithEveryExampleKind() {
        SourceOffset source = new SourceOffset("feedback.events", 1, 42);
        TrainingExample sft = new TrainingExample(TrainingExample.SCHEMA_V1, "e1#0", "e1",
                "email-drafting", "u1", ExampleKind.SFT, FeedbackKind.CORRECTION, "p", null, "fixed", null,
                null, source, TIME);
        TrainingExample pair = new TrainingExample(TrainingExample.SCHEMA_V1, "e1#1", "e1",
                "email-drafting", "u1", ExampleKind.PREFERENCE, FeedbackKind.CORRECTION, null,
                List.of(new ChatMessage("user", "p")), null, "fixed", "served", source, TIME);
        TrainingExample bad = new TrainingExample(TrainingExample.SCHEMA_V1, "e2#0", "e2",
                "email-drafting", "u2", ExampleKind.UNDESIRABLE, FeedbackKind.RATING, "p", null, "meh",
                null, null, source, TIME);
        TrainingBatch batch = new TrainingBatch(TrainingBatch.SCHEMA_V1, "email-drafting", 7,
                TrainingBatch.CloseReason.MAX_WAIT, TIME, TIME, List.of(sft, pair, bad));
        assertEquals(batch, roundTrip(Topics.TRAINING_BATCHES, batch));
        assertTrue(new String(Json.toBytes(batch), StandardCharsets.UTF_8)
                .contains("\"closedBy\":\"max-wait\""));
    }

    @Test
    void strictReadingRefusesUnknownProperties() {
        byte[] bytes = ("{\"schema\":\"streamtune.control/v1\",\"id\":\"c\",\"issuer\":\"a\","
                + "\"time\":\"" + TIME + "\",\"adapter\":\"x\",\"action\":\"PAUSE\",\"extra\":1}")
                .getBytes(StandardCharsets.UTF_8);
        var deserializer = Topics.ADAPTERS_CONTROL.valueSerde().deserializer();
        SerializationException error = assertThrows(SerializationException.class,
                () -> deserializer.deserialize("adapters.control", bytes));
        assertTrue(error.getMessage().contains("extra"), error.getMessage());
    }

    @Test
    void feedbackTopicSerdeRefusesInvalidEventsWithEveryReason() {
        var deserializer = Topics.FEEDBACK_EVENTS.valueSerde().deserializer();
        byte[] bytes = "{\"schema\":\"streamtune.feedback/v1\"}".getBytes(StandardCharsets.UTF_8);
        SerializationException error = assertThrows(SerializationException.class,
                () -> deserializer.deserialize("feedback.events", bytes));
        assertTrue(error.getMessage().contains("missing-field at /id"), error.getMessage());
        FeedbackEvent event = FeedbackEvent.demonstration("e1", TIME, "email-drafting", "u1", "p", "c");
        assertEquals(event, roundTrip(Topics.FEEDBACK_EVENTS, event));
    }

    @Test
    void recordsRefuseBrokenInvariants() {
        assertThrows(IllegalArgumentException.class, () -> new ControlCommand(ControlCommand.SCHEMA_V1,
                "c", "a", TIME, "x", ControlAction.PROMOTE, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new OffsetRange("t", 0, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> new TrainingBatch(TrainingBatch.SCHEMA_V1,
                "x", 0, TrainingBatch.CloseReason.MAX_BYTES, TIME, TIME, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new FeedbackEvent(FeedbackEvent.SCHEMA_V1,
                "e", TIME, "x", "u", FeedbackKind.DEMONSTRATION, "p", List.of(new ChatMessage("user", "m")),
                "c", null, null, null, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("robot", "hi"));
    }

    @Test
    void topicsHaveTheDesignNamesOnce() {
        Set<String> names = new HashSet<>();
        Topics.ALL.forEach(topic -> assertTrue(names.add(topic.name()), topic.name()));
        assertEquals(Set.of("feedback.events", "feedback.dlq", "eval.holdout", "training.batches",
                "adapters.candidates", "adapters.control"), names);
        assertEquals("-1", Topics.ADAPTERS_CONTROL.configs().get("retention.ms"));
    }

    private static <V> V roundTrip(Topic<String, V> topic, V value) {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        return topic.valueSerde().deserializer().deserialize(topic.name(), bytes);
    }
}
