package dev.streamtune.ingest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.broker.TopicSpec;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.Topics;
import dev.streamtune.ingest.IngestChildProcess.IntegrationConfig;
import dev.streamtune.ingest.SyntheticFeedback.Expectation;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stage on a real (embedded) broker: 20,000 records, 5% invalid, 5% duplicates, two adapters,
 * one flooding user. Every valid event must settle exactly once (batch, holdout, or rate-limited
 * dead letter) and every invalid record must be dead-lettered exactly once with its reason, also
 * when the stage is killed twice mid-run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestIntegrationTest {
    private static final SyntheticFeedback WORKLOAD = new SyntheticFeedback(20_000, 0.05, 0.05,
            List.of("email-drafting", "acme/scheduling"), 150, 0.15, 42);
    private static final List<SyntheticFeedback.Record> RECORDS = WORKLOAD.generate();
    /** Record time of the first record: the start of the current hour, so all share one rate-limit hour. */
    private static final long BASE_TIME = Instant.now().truncatedTo(ChronoUnit.HOURS).toEpochMilli();
    private static final Duration MAX_WAIT = Duration.ofSeconds(2);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);

    /** What the uninterrupted run produced, for the crash run to compare with. */
    private static Outcome uninterrupted;

    @TempDir Path dir;

    @Test
    @Order(1)
    void everyValidEventSettlesOnceAndEveryInvalidRecordIsDeadLetteredOnce() throws Exception {
        try (EmbeddedKafkaBroker broker = startBroker(dir.resolve("broker"));
                OutputCollector out = new OutputCollector(broker.bootstrapServers())) {
            produce(broker.bootstrapServers(), 0, RECORDS.size());
            IngestConfig config = IntegrationConfig.of(broker.bootstrapServers(), dir.resolve("state"), MAX_WAIT);
            try (IngestService ingest = IngestService.start(config, new Properties())) {
                awaitSettled(out, validEvents().size(), invalidIndexes().size());
                assertEquals(KafkaStreams.State.RUNNING, ingest.state());
            }
            out.drain();
            uninterrupted = check(out);
        }
    }

    @Test
    @Order(2)
    void killingTheStageTwiceMidRunChangesNothing() throws Exception {
        try (EmbeddedKafkaBroker broker = startBroker(dir.resolve("broker"));
                OutputCollector out = new OutputCollector(broker.bootstrapServers())) {
            String bootstrap = broker.bootstrapServers();
            Path state = dir.resolve("state");
            int third = RECORDS.size() / 3;

            produce(bootstrap, 0, third);
            Process first = startChild(bootstrap, state, "first");
            awaitProgress(out, third / 3);
            produce(bootstrap, third, 2 * third); // the stage is busy with these when it dies
            killHard(first); // open batches, an open transaction, uncommitted offsets

            Process second = startChild(bootstrap, state, "second"); // same machine: local state kept
            awaitProgress(out, out.settledEvents() + third / 3);
            produce(bootstrap, 2 * third, RECORDS.size());
            killHard(second);

            Process last = startChild(bootstrap, dir.resolve("state-elsewhere"), "third"); // a new machine
            try {
                awaitSettled(out, validEvents().size(), invalidIndexes().size());
            } finally {
                last.destroy(); // SIGTERM: the shutdown hook closes the stage cleanly
                last.waitFor();
            }
            boolean openBatchesRebuilt = false;
            for (String restarted : List.of("second", "third")) {
                String log = Files.readString(dir.resolve("child-" + restarted + ".log"));
                assertTrue(log.contains("rebuilt from"), restarted + " restored the ledger:\n" + log);
                if (restarted.equals("third")) { // a new machine: the ledger comes from its changelog, the index not
                    assertTrue(log.contains("id index rebuilt from the ledger"), "third indexed the ledger:\n" + log);
                }
                openBatchesRebuilt |= log.contains("input records of");
            }
            // the ledger keeps where an open batch's events are, not their examples: a restart read them back
            assertTrue(openBatchesRebuilt, "no restart had an open batch to rebuild");
            out.drain();
            Outcome afterCrashes = check(out);
            if (uninterrupted != null) {
                assertEquals(uninterrupted, afterCrashes, "same sets as the uninterrupted run");
            }
        }
    }

    /** Where every event and record went: the sets the two runs must agree on. */
    record Outcome(Set<String> trained, Set<String> heldOut, Set<String> rateLimited,
            Map<Integer, String> invalid) {}

    private Outcome check(OutputCollector out) {
        // exactly once: no example twice, no event in two places
        Map<String, Integer> repeated = out.examples.entrySet().stream().filter(e -> e.getValue() != 1)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertEquals(Map.of(), repeated, "examples seen more than once");
        Set<String> trained = new HashSet<>();
        Set<String> heldOut = new HashSet<>();
        out.eventPlaces.forEach((id, places) -> {
            assertEquals(1, new HashSet<>(places).size(), id + " went to " + places);
            (places.get(0).equals("batch") ? trained : heldOut).add(id);
        });
        Set<String> rateLimited = new HashSet<>(out.rateLimited);
        assertEquals(out.rateLimited.size(), rateLimited.size(), "an event rate-limited twice");
        assertTrue(rateLimited.stream().noneMatch(out.eventPlaces::containsKey), "rate-limited and accepted");

        Set<String> settled = new HashSet<>(out.eventPlaces.keySet());
        settled.addAll(rateLimited);
        assertEquals(validEvents(), settled, "every valid event settles, nothing else does");

        Map<Integer, String> expectedInvalid = invalidIndexes();
        Map<Integer, String> invalid = new TreeMap<>();
        out.invalidByIndex.forEach((index, reasons) -> {
            assertEquals(1, reasons.size(), "record " + index + " dead-lettered " + reasons);
            invalid.put(index, reasons.get(0));
        });
        assertEquals(expectedInvalid, invalid, "every invalid record once, with its reason");

        // the flooding user was limited, and only the flooding user
        assertTrue(rateLimited.size() > 0);
        Set<String> limitedUsers = RECORDS.stream().filter(r -> rateLimited.contains(r.eventId()))
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)
                        .contains("\"" + SyntheticFeedback.FLOOD_USER + "\"")
                        ? SyntheticFeedback.FLOOD_USER : "other").collect(Collectors.toSet());
        assertEquals(Set.of(SyntheticFeedback.FLOOD_USER), limitedUsers);
        IngestConfig.RateLimit limit = IngestConfig.RateLimit.DEFAULTS;
        out.examplesByAdapterUser.forEach((adapter, users) -> {
            int total = users.values().stream().mapToInt(Integer::intValue).sum();
            int flood = users.getOrDefault(SyntheticFeedback.FLOOD_USER, 0);
            assertTrue(flood <= limit.maxUserShare() * total, adapter + ": flood " + flood + " of " + total);
        });
        // batches of each adapter in order, none missing
        out.sequences.forEach((adapter, seqs) ->
                assertEquals(LongStream.range(0, seqs.size()).boxed().toList(), seqs, adapter + " batch order"));
        return new Outcome(trained, heldOut, rateLimited, invalid);
    }

    private static Set<String> validEvents() {
        return RECORDS.stream().filter(r -> r.expectation() == Expectation.VALID)
                .map(SyntheticFeedback.Record::eventId).collect(Collectors.toSet());
    }

    private static Map<Integer, String> invalidIndexes() {
        Map<Integer, String> invalid = new TreeMap<>();
        for (int i = 0; i < RECORDS.size(); i++) {
            Reason reason = RECORDS.get(i).reason();
            if (reason != null) {
                invalid.put(i, reason.code());
            }
        }
        return invalid;
    }

    private static void awaitSettled(OutputCollector out, int events, int invalid) {
        await().atMost(SETTLE_TIMEOUT).pollInterval(Duration.ofMillis(100)).until(() -> {
            out.poll();
            return out.settledEvents() >= events && out.invalidByIndex.size() >= invalid;
        });
    }

    private static void awaitProgress(OutputCollector out, int settled) {
        await().atMost(SETTLE_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
            out.poll();
            return out.settledEvents() >= settled;
        });
    }

    private static EmbeddedKafkaBroker startBroker(Path dataDir) {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dataDir));
        broker.createTopics(List.of(new TopicSpec(Topics.FEEDBACK_EVENTS.name(), 3),
                new TopicSpec(Topics.FEEDBACK_DLQ.name(), 1), new TopicSpec(Topics.EVAL_HOLDOUT.name(), 2),
                new TopicSpec(Topics.TRAINING_BATCHES.name(), 3)));
        return broker;
    }

    /** Produces records [from, to) of the workload, keyed as given, with their index as a header. */
    private static void produce(String bootstrap, int from, int to) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = from; i < to; i++) {
                SyntheticFeedback.Record record = RECORDS.get(i);
                RecordHeaders headers = new RecordHeaders();
                headers.add(OutputCollector.SEQ_HEADER, Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                producer.send(new ProducerRecord<>(Topics.FEEDBACK_EVENTS.name(), null, BASE_TIME + i,
                        record.key(), record.value(), headers));
            }
            producer.flush();
        }
    }

    private Process startChild(String bootstrap, Path state, String name) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", classpath, IngestChildProcess.class.getName(), bootstrap, state.toString(),
                Long.toString(MAX_WAIT.toMillis())));
        File log = dir.resolve("child-" + name + ".log").toFile();
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
    }

    /** SIGKILL: the JVM stops between two instructions, as when a machine loses power. */
    private static void killHard(Process process) throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }
}
