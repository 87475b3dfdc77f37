package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.contracts.ChatMessage;
import dev.streamtune.contracts.DeadLetter;
import dev.streamtune.contracts.ExampleKind;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackKind;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.Topics;
import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingBatch.CloseReason;
import dev.streamtune.contracts.TrainingExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The production topology and Streams configuration, through {@link org.apache.kafka.streams.TopologyTestDriver}. */
class IngestTopologyTest {
    private static final String ADAPTER = "email-drafting";
    private static final String OTHER = "acme/scheduling";

    @TempDir Path stateDir;

    /** The defaults with nothing held out, so that every accepted event's examples reach a batch. */
    private IngestConfig noHoldout() {
        return Harness.defaults(stateDir).withHoldoutPerMille(0);
    }

    static Stream<Arguments> invalidEvents() {
        FeedbackEvent demo = Events.demonstration("e-1", ADAPTER, "u-1");
        String big = "a".repeat(33 * 1024);
        List<ChatMessage> turns = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            turns.add(new ChatMessage("user", "b".repeat(30 * 1024)));
        }
        FeedbackEvent huge = new FeedbackEvent(FeedbackEvent.SCHEMA_V1, "e-1", Events.TIME, ADAPTER, "u-1",
                FeedbackKind.DEMONSTRATION, null, turns, "c", null, null, null, null, null, null, null);
        return Stream.of(
                Arguments.of(Reason.UNPARSABLE, ADAPTER, Events.utf8("{\"schema\": \"streamtune.feedback/v1\", ")),
                Arguments.of(Reason.UNPARSABLE, ADAPTER, Events.utf8("[1, 2, 3]")),
                Arguments.of(Reason.UNPARSABLE, ADAPTER, new byte[0]),
                Arguments.of(Reason.INVALID_UTF8, ADAPTER, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}),
                Arguments.of(Reason.UNKNOWN_SCHEMA, ADAPTER,
                        Events.withField(demo, "schema", "\"streamtune.feedback/v9\"")),
                Arguments.of(Reason.MISSING_FIELD, ADAPTER, Events.withField(demo, "user", null)),
                Arguments.of(Reason.WRONG_TYPE, ADAPTER, Events.withField(demo, "user", "42")),
                Arguments.of(Reason.UNKNOWN_FIELD, ADAPTER, Events.withField(demo, "colour", "\"red\"")),
                Arguments.of(Reason.UNEXPECTED_FIELD, ADAPTER, Events.withField(demo, "response", "\"r\"")),
                Arguments.of(Reason.UNKNOWN_KIND, ADAPTER, Events.withField(demo, "kind", "\"thumbs\"")),
                Arguments.of(Reason.EMPTY_TEXT, ADAPTER, Events.withField(demo, "completion", "\"   \"")),
                Arguments.of(Reason.OVERSIZE_FIELD, ADAPTER, Events.withField(demo, "completion", "\"" + big + "\"")),
                Arguments.of(Reason.OVERSIZE_EVENT, ADAPTER, Events.bytes(huge)),
                Arguments.of(Reason.INVALID_ADAPTER, "Email Drafting",
                        Events.withField(demo, "adapter", "\"Email Drafting\"")),
                Arguments.of(Reason.INVALID_TIME, ADAPTER, Events.withField(demo, "time", "\"yesterday\"")),
                Arguments.of(Reason.INVALID_VALUE, ADAPTER,
                        Events.withField(Events.rating("e-1", ADAPTER, "u-1", 1), "rating", "3")),
                // the key must be the adapter id: that is how per-adapter state stays on one task
                Arguments.of(Reason.INVALID_ADAPTER, OTHER, Events.bytes(demo)),
                Arguments.of(Reason.INVALID_ADAPTER, null, Events.bytes(demo)));
    }

    @ParameterizedTest(name = "{0} (key {1})")
    @MethodSource("invalidEvents")
    void everyInvalidEventIsDeadLetteredWithItsReasonOriginalBytesAndSource(Reason reason, String key,
            byte[] value) {
        try (Harness ingest = new Harness(noHoldout())) {
            ingest.send(Events.demonstration("before", ADAPTER, "u-0")); // offset 0, valid
            RecordHeaders headers = new RecordHeaders();
            headers.add("trace-id", Events.utf8("t-42"));
            ingest.send(key, value, headers); // offset 1

            List<TestRecord<byte[], byte[]>> dead = ingest.readDeadLetters();
            assertEquals(1, dead.size(), "one dead letter");
            TestRecord<byte[], byte[]> letter = dead.get(0);
            assertEquals(reason.code(), Harness.reason(letter));
            assertArrayEquals(value, letter.value(), "original value bytes");
            assertArrayEquals(key == null ? null : key.getBytes(StandardCharsets.UTF_8), letter.key(),
                    "original key bytes");
            assertEquals("t-42", Harness.header(letter, "trace-id"), "original headers kept");
            assertEquals(Topics.FEEDBACK_EVENTS.name(), Harness.header(letter, DeadLetter.SOURCE_TOPIC));
            assertEquals("0", Harness.header(letter, DeadLetter.SOURCE_PARTITION));
            assertEquals("1", Harness.header(letter, DeadLetter.SOURCE_OFFSET));
            assertFalse(Harness.header(letter, DeadLetter.DETAIL).isBlank());
            assertNotNull(Instant.parse(Harness.header(letter, DeadLetter.TIME)));
            // the job went on: the next valid event is batched with the first
            ingest.send(Events.demonstration("after", ADAPTER, "u-0"));
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            assertEquals(List.of("before", "after"), eventIds(ingest.batches.readValuesToList()));
        }
    }

    @Test
    void eventsForAdaptersOutsideTheAllowListAreDeadLetteredAsUnknownAdapter() {
        try (Harness ingest = new Harness(noHoldout().withAllowedAdapters(Set.of(ADAPTER)))) {
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.send(Events.demonstration("b", OTHER, "u-1"));
            ingest.advanceWallClock(ingest.config.batch().maxWait());

            List<TestRecord<byte[], byte[]>> dead = ingest.readDeadLetters();
            assertEquals(List.of(Reason.UNKNOWN_ADAPTER.code()), dead.stream().map(Harness::reason).toList());
            assertEquals(List.of("a"), eventIds(ingest.batches.readValuesToList()));
        }
    }

    @Test
    void allAdaptersWithValidIdsAreAcceptedWithoutAnAllowList() {
        try (Harness ingest = new Harness(noHoldout())) {
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.send(Events.demonstration("b", OTHER, "u-1"));
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            assertTrue(ingest.readDeadLetters().isEmpty());
            assertEquals(Set.of("a", "b"), Set.copyOf(eventIds(ingest.batches.readValuesToList())));
        }
    }

    @Test
    void duplicatesWithinTheWindowAreDroppedAndAcceptedAgainAfterIt() {
        IngestConfig config = noHoldout().withDedupeWindow(Duration.ofHours(1));
        try (Harness ingest = new Harness(config)) {
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.send(Events.demonstration("b", ADAPTER, "u-2"));
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.send(Events.correction("a", ADAPTER, "u-1")); // same id, other content: still a duplicate
            ingest.advanceRecordTime(Duration.ofMinutes(59));
            ingest.send(Events.demonstration("b", ADAPTER, "u-2"));
            ingest.advanceWallClock(config.batch().maxWait());
            assertEquals(List.of("a", "b"), eventIds(ingest.batches.readValuesToList()));
            assertTrue(ingest.readDeadLetters().isEmpty(), "duplicates are dropped, not dead-lettered");

            ingest.advanceRecordTime(Duration.ofMinutes(2)); // "a" was first seen 61 minutes ago
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.advanceWallClock(config.batch().maxWait());
            assertEquals(List.of("a"), eventIds(ingest.batches.readValuesToList()));
        }
    }

    @Test
    void aUserCannotGiveMoreThanTheEventsPerHourLimit() {
        int limit = 5;
        IngestConfig config = noHoldout().withRateLimit(new IngestConfig.RateLimit(limit, 1.0, 1));
        try (Harness ingest = new Harness(config)) {
            for (int i = 0; i < limit + 3; i++) {
                ingest.send(Events.demonstration("flood-" + i, ADAPTER, "u-flood"));
            }
            ingest.send(Events.demonstration("calm", ADAPTER, "u-calm"));
            ingest.send(Events.demonstration("elsewhere", OTHER, "u-flood")); // limits are per adapter

            List<TestRecord<byte[], byte[]>> dead = ingest.readDeadLetters();
            assertEquals(3, dead.size());
            for (TestRecord<byte[], byte[]> letter : dead) {
                assertEquals(Reason.RATE_LIMITED.code(), Harness.reason(letter));
                assertEquals("u-flood", Json.fromBytes(letter.value(), FeedbackEvent.class).user());
            }
            ingest.advanceWallClock(config.batch().maxWait());
            List<String> batched = eventIds(ingest.batches.readValuesToList());
            assertEquals(limit + 2, batched.size());
            assertTrue(batched.containsAll(List.of("calm", "elsewhere", "flood-0", "flood-" + (limit - 1))));

            ingest.advanceRecordTime(Duration.ofHours(1)); // the next hour starts afresh
            ingest.send(Events.demonstration("next-hour", ADAPTER, "u-flood"));
            ingest.advanceWallClock(config.batch().maxWait());
            assertTrue(ingest.readDeadLetters().isEmpty());
            assertEquals(List.of("next-hour"), eventIds(ingest.batches.readValuesToList()));
        }
    }

    @Test
    void aUserCannotHoldMoreThanTheShareLimitOnceTheAdapterHasEnoughExamples() {
        IngestConfig.RateLimit limit = IngestConfig.RateLimit.DEFAULTS;
        try (Harness ingest = new Harness(noHoldout())) {
            // below the threshold a single user may give everything
            int alone = limit.shareAppliesFrom() / 2;
            for (int i = 0; i < alone; i++) {
                ingest.send(Events.demonstration("alone-" + i, OTHER, "u-flood"));
            }
            assertTrue(ingest.readDeadLetters().isEmpty());
            // many users reach the threshold, then the flooding user keeps going
            int calm = 3 * limit.shareAppliesFrom();
            for (int i = 0; i < calm; i++) {
                ingest.send(Events.demonstration("calm-" + i, ADAPTER, "u-" + i));
            }
            int floodSent = 100;
            for (int i = 0; i < floodSent; i++) {
                ingest.send(Events.demonstration("flood-" + i, ADAPTER, "u-flood"));
            }
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TrainingExample> trained = examples(ingest.batches.readValuesToList()).stream()
                    .filter(e -> e.adapter().equals(ADAPTER)).toList();
            long floodAccepted = trained.stream().filter(e -> e.user().equals("u-flood")).count();
            long total = trained.size();
            assertTrue(floodAccepted > 0, "the share limit is a share, not a ban");
            // the limit holds, and it is the share limit, not something stricter
            assertTrue(floodAccepted <= limit.maxUserShare() * total, floodAccepted + " of " + total);
            assertTrue(floodAccepted + 1 > limit.maxUserShare() * (total + 1),
                    "one more would have broken the limit: " + floodAccepted + " of " + total);
            List<TestRecord<byte[], byte[]>> dead = ingest.readDeadLetters();
            assertEquals(floodSent - floodAccepted, dead.size());
            assertTrue(dead.stream().allMatch(d -> Reason.RATE_LIMITED.code().equals(Harness.reason(d))));
        }
    }

    @Test
    void eMailAddressesAndPhoneNumbersAreRedactedFromEveryTrainedText() {
        FeedbackEvent event = FeedbackEvent.correction("r-1", Events.TIME, ADAPTER, "u-1",
                "Reply to sam.jones@example.co.uk about the 2026-11-27 meeting",
                "Call me on +44 20 7946 0958.", "Call me on (415) 555-0132 or mail ops@acme.io, v1.2.3");
        try (Harness ingest = new Harness(noHoldout())) {
            ingest.send(event);
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TrainingExample> examples = examples(ingest.batches.readValuesToList());
            TrainingExample sft = examples.get(0);
            TrainingExample pair = examples.get(1);
            assertEquals("Reply to [email] about the 2026-11-27 meeting", sft.prompt());
            assertEquals("Call me on [phone] or mail [email], v1.2.3", sft.completion());
            assertEquals("Call me on [phone].", pair.rejected());
        }
        try (Harness ingest = new Harness(noHoldout().withRedact(false).withApplicationId("plain"))) {
            ingest.send(event);
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            TrainingExample sft = examples(ingest.batches.readValuesToList()).get(0);
            assertEquals(event.prompt(), sft.prompt());
            assertEquals(event.corrected(), sft.completion());
        }
    }

    @Test
    void eachKindExpandsIntoItsExamplesWithLineage() {
        try (Harness ingest = new Harness(noHoldout())) {
            ingest.send(Events.demonstration("d", ADAPTER, "u-1"));
            ingest.send(Events.correction("c", ADAPTER, "u-1"));
            ingest.send(Events.rating("up", ADAPTER, "u-1", 1));
            ingest.send(Events.rating("down", ADAPTER, "u-1", -1));
            ingest.send(Events.preference("p", ADAPTER, "u-1"));
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TrainingExample> examples = examples(ingest.batches.readValuesToList());

            assertEquals(List.of("d#0", "c#0", "c#1", "up#0", "down#0", "p#0"),
                    examples.stream().map(TrainingExample::exampleId).toList());
            assertEquals(List.of(ExampleKind.SFT, ExampleKind.SFT, ExampleKind.PREFERENCE, ExampleKind.SFT,
                    ExampleKind.UNDESIRABLE, ExampleKind.PREFERENCE),
                    examples.stream().map(TrainingExample::kind).toList());
            FeedbackEvent correction = Events.correction("c", ADAPTER, "u-1");
            assertEquals(correction.corrected(), examples.get(1).completion());
            assertEquals(correction.corrected(), examples.get(2).chosen());
            assertEquals(correction.response(), examples.get(2).rejected());
            assertEquals("They agreed on Friday.", examples.get(3).completion());
            assertEquals("They agreed on Friday.", examples.get(4).completion());
            assertEquals(Events.preference("p", ADAPTER, "u-1").messages(), examples.get(5).messages());
            assertEquals(List.of(0L, 1L, 1L, 2L, 3L, 4L),
                    examples.stream().map(e -> e.source().offset()).toList(), "source offsets");
            assertTrue(examples.stream().allMatch(e -> e.source().topic().equals(Topics.FEEDBACK_EVENTS.name())));
            assertEquals(FeedbackKind.CORRECTION, examples.get(2).origin());
        }
    }

    @Test
    void theHoldoutSplitIsStableAndNeverSplitsAnEvent() {
        List<String> ids = IntStream.range(0, 3000).mapToObj(i -> "ev-" + i).toList();
        Set<String> firstRun = holdoutIds(ids, "first");
        List<String> shuffled = new ArrayList<>(ids);
        Collections.shuffle(shuffled, new java.util.Random(7));
        Set<String> secondRun = holdoutIds(shuffled, "second");
        assertEquals(firstRun, secondRun, "the same ids are held out whatever the order and run");
        double fraction = firstRun.size() / (double) ids.size();
        assertTrue(fraction > 0.08 && fraction < 0.12, "about 10% held out: " + fraction);
        // murmur2 of the UTF-8 id is the contract (other languages can reproduce it): pin one bucket
        assertEquals(Math.abs(org.apache.kafka.common.utils.Utils.murmur2(Events.utf8("ev-0")) & 0x7fffffff) % 1000,
                HoldoutSplit.bucket("ev-0"));
    }

    private Set<String> holdoutIds(List<String> ids, String run) {
        try (Harness ingest = new Harness(Harness.defaults(stateDir.resolve(run))
                .withRateLimit(new IngestConfig.RateLimit(100_000, 1.0, 1)))) {
            for (String id : ids) {
                ingest.send(Events.correction(id, ADAPTER, "u-" + id));
            }
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TrainingExample> heldOut = ingest.holdout.readValuesToList();
            Set<String> trainedIds = new HashSet<>(eventIds(ingest.batches.readValuesToList()));
            Map<String, List<String>> byEvent = heldOut.stream().collect(Collectors.groupingBy(
                    TrainingExample::eventId, LinkedHashMap::new,
                    Collectors.mapping(TrainingExample::exampleId, Collectors.toList())));
            for (Map.Entry<String, List<String>> event : byEvent.entrySet()) {
                assertEquals(List.of(event.getKey() + "#0", event.getKey() + "#1"), event.getValue(),
                        "both examples of a held-out correction are held out");
                assertFalse(trainedIds.contains(event.getKey()), "a held-out event is never trained on");
            }
            assertEquals(ids.size(), trainedIds.size() + byEvent.size());
            return byEvent.keySet();
        }
    }

    @Test
    void aBatchClosesAtMaxExamplesWithoutSplittingAnEvent() {
        try (Harness ingest = new Harness(noHoldout())) {
            int max = ingest.config.batch().maxExamples();
            for (int i = 0; i < max; i++) {
                ingest.send(Events.demonstration("d-" + i, ADAPTER, "u-" + i));
            }
            List<TrainingBatch> first = ingest.batches.readValuesToList();
            assertEquals(1, first.size(), "closed by the example that filled it, without waiting");
            assertEquals(CloseReason.MAX_EXAMPLES, first.get(0).closedBy());
            assertEquals(max, first.get(0).examples().size());

            for (int i = 0; i < max - 1; i++) {
                ingest.send(Events.demonstration("e-" + i, ADAPTER, "u-" + i));
            }
            ingest.send(Events.correction("two", ADAPTER, "u-x")); // two examples, one slot left
            List<TrainingBatch> second = ingest.batches.readValuesToList();
            assertEquals(1, second.size());
            assertEquals(CloseReason.MAX_EXAMPLES, second.get(0).closedBy());
            assertEquals(max - 1, second.get(0).examples().size());
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TrainingBatch> third = ingest.batches.readValuesToList();
            assertEquals(List.of("two#0", "two#1"),
                    third.get(0).examples().stream().map(TrainingExample::exampleId).toList());
        }
    }

    @Test
    void aBatchClosesAtMaxBytes() {
        int maxBytes = 8 * 1024;
        IngestConfig config = noHoldout().withBatch(
                new IngestConfig.BatchLimits(32, maxBytes, Duration.ofSeconds(10)));
        try (Harness ingest = new Harness(config)) {
            for (int i = 0; i < 20; i++) {
                ingest.send(FeedbackEvent.demonstration("big-" + i, Events.TIME, ADAPTER, "u-" + i, "Write it",
                        "x".repeat(1000)));
            }
            List<TestRecord<String, TrainingBatch>> closed = ingest.batches.readRecordsToList();
            assertFalse(closed.isEmpty());
            for (TestRecord<String, TrainingBatch> batch : closed) {
                assertEquals(CloseReason.MAX_BYTES, batch.value().closedBy());
                assertTrue(batch.value().examples().size() < 32);
                int size = Json.toBytes(batch.value()).length;
                assertTrue(size <= maxBytes, size + " bytes");
            }
        }
    }

    @Test
    void aBatchClosesWhenMaxWaitHasPassedSinceItsFirstExample() {
        try (Harness ingest = new Harness(noHoldout())) {
            Duration maxWait = ingest.config.batch().maxWait();
            ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
            ingest.advanceWallClock(maxWait.minusSeconds(2));
            ingest.send(Events.demonstration("b", ADAPTER, "u-2"));
            ingest.advanceWallClock(Duration.ofSeconds(1));
            assertTrue(ingest.batches.isEmpty(), "still open a second before max-wait");
            ingest.advanceWallClock(Duration.ofSeconds(1));
            TrainingBatch batch = ingest.batches.readValue();
            assertEquals(CloseReason.MAX_WAIT, batch.closedBy());
            assertEquals(List.of("a", "b"), eventIds(List.of(batch)));
            assertEquals(maxWait, Duration.between(Instant.parse(batch.openedAt()), Instant.parse(batch.closedAt())));
        }
    }

    @Test
    void batchesOfEachAdapterComeOutInOrderWithTheirExamplesInArrivalOrder() {
        try (Harness ingest = new Harness(noHoldout().withRateLimit(new IngestConfig.RateLimit(10_000, 1.0, 1)))) {
            Map<String, List<String>> sent = new LinkedHashMap<>();
            java.util.Random random = new java.util.Random(11);
            for (int i = 0; i < 500; i++) {
                String adapter = random.nextBoolean() ? ADAPTER : OTHER;
                String id = "o-" + i;
                ingest.send(random.nextInt(3) == 0 ? Events.correction(id, adapter, "u-1")
                        : Events.demonstration(id, adapter, "u-1"));
                sent.computeIfAbsent(adapter, a -> new ArrayList<>()).add(id);
            }
            ingest.advanceWallClock(ingest.config.batch().maxWait());
            List<TestRecord<String, TrainingBatch>> out = ingest.batches.readRecordsToList();
            for (String adapter : sent.keySet()) {
                List<TrainingBatch> mine = out.stream().filter(r -> r.key().equals(adapter))
                        .map(TestRecord::value).toList();
                assertEquals(LongStream(mine.size()), mine.stream().map(TrainingBatch::sequence).toList());
                assertTrue(mine.stream().allMatch(b -> b.adapter().equals(adapter)));
                assertEquals(sent.get(adapter), eventIds(mine));
            }
        }
    }

    private static List<Long> LongStream(int n) {
        return java.util.stream.LongStream.range(0, n).boxed().toList();
    }

    private static List<TrainingExample> examples(List<TrainingBatch> batches) {
        return batches.stream().flatMap(b -> b.examples().stream()).toList();
    }

    /** The distinct event ids of the batches' examples, in order. */
    private static List<String> eventIds(List<TrainingBatch> batches) {
        return examples(batches).stream().map(TrainingExample::eventId).distinct().toList();
    }
}
