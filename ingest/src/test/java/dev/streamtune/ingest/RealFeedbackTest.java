package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.HhRlhf;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.Topics;
import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingExample;
import dev.streamtune.contracts.ValidationResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real, messy human feedback (HH-RLHF's 2,312 preference pairs from ../shared/datasets: long
 * multi-turn chats, newlines, quotes, typographic punctuation, a few e-mail addresses and phone
 * numbers) through the production topology, and through the hot path's writers against the
 * references they replace. Skips when the shared folder is absent.
 */
class RealFeedbackTest {
    @TempDir
    Path stateDir;

    @Test
    void everyRealEventIsTrainedOrHeldOutOnceRedactedAndWrittenAsJacksonWould() throws Exception {
        Path file = Path.of(System.getProperty("streamtune.shared.dir", "../../shared"),
                "datasets", "hh-rlhf-harmless-base-test.jsonl.gz");
        assumeTrue(Files.isRegularFile(file), "HH-RLHF dataset not present: " + file);
        List<HhRlhf.Pair> pairs = HhRlhf.read(file);
        FeedbackValidator validator = new FeedbackValidator();

        Map<String, FeedbackEvent> valid = new HashMap<>();
        Set<String> refused = new HashSet<>();
        int redactedTexts = 0;
        try (Harness ingest = new Harness(Harness.defaults(stateDir))) {
            for (int i = 0; i < pairs.size(); i++) {
                String user = "hh-user-" + (i % 97);
                FeedbackEvent event = HhRlhf.toEvent(pairs.get(i), "hh-" + i, Events.TIME, "harmless-assistant", user);
                if (event == null) {
                    continue;
                }
                byte[] bytes = Json.toBytes(event);
                ValidationResult read = validator.validate(bytes);
                if (read.isValid()) {
                    valid.put(event.id(), event);
                    // the hot path's writer against Jackson, on real text, with and without redaction, from
                    // the event and as ingest does it, from the bytes (copying what is verbatim there)
                    SourceOffset source = new SourceOffset(Topics.FEEDBACK_EVENTS.name(), 0, i);
                    for (boolean redact : new boolean[] {true, false}) {
                        byte[] expected = Json.toBytes(ExampleExpander.expand(event, source, redact).get(0));
                        assertArrayEquals(expected, ExampleExpander.expandSerialised(event, source, redact).get(0),
                                event.id());
                        assertArrayEquals(expected, ExampleExpander.expandSerialised(read.event(), read.verbatim(),
                                source, redact).get(0), event.id());
                    }
                } else {
                    refused.add(event.id());
                }
                ingest.advanceRecordTime(Duration.ofMinutes(1)); // a few events per user and hour
                ingest.send(event.adapter(), bytes);
            }
            ingest.advanceWallClock(Duration.ofMinutes(1)); // closes the last batch

            Map<String, Integer> seen = new HashMap<>();
            List<TrainingExample> examples = new ArrayList<>();
            for (TestRecord<String, TrainingBatch> batch : ingest.batches.readRecordsToList()) {
                examples.addAll(batch.value().examples());
            }
            int heldOut = 0;
            for (TrainingExample example : ingest.holdout.readValuesToList()) {
                examples.add(example);
                heldOut++;
            }
            for (TrainingExample example : examples) {
                seen.merge(example.eventId(), 1, Integer::sum);
                FeedbackEvent event = valid.get(example.eventId());
                assertEquals(ReferenceRedactor.redact(event.chosen()), example.chosen(), event.id());
                assertEquals(ReferenceRedactor.redact(event.rejected()), example.rejected(), event.id());
                for (int t = 0; t < event.messages().size(); t++) {
                    ChatMessage turn = event.messages().get(t);
                    assertEquals(ReferenceRedactor.redact(turn.content()), example.messages().get(t).content());
                    redactedTexts += example.messages().get(t).content().equals(turn.content()) ? 0 : 1;
                }
                redactedTexts += example.chosen().equals(event.chosen()) ? 0 : 1;
                redactedTexts += example.rejected().equals(event.rejected()) ? 0 : 1;
            }
            assertEquals(valid.keySet(), seen.keySet(), "every valid event trained on or held out");
            assertTrue(seen.values().stream().allMatch(n -> n == 1), "each event's one example exactly once");
            assertTrue(heldOut > 150 && heldOut < 320, "about 10% held out: " + heldOut);

            Set<String> deadLettered = new HashSet<>();
            for (TestRecord<byte[], byte[]> letter : ingest.readDeadLetters()) {
                assertEquals(Reason.EMPTY_TEXT.code(), Harness.reason(letter));
                deadLettered.add(Json.mapper().readTree(letter.value()).get("id").asText());
            }
            assertEquals(refused, deadLettered, "every refused event dead-lettered, nothing else");
        }
        assertTrue(valid.size() > 2000, "valid events: " + valid.size());
        assertTrue(redactedTexts >= 10, "texts with an address or a phone number: " + redactedTexts);
    }
}
