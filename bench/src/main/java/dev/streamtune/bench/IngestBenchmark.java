package dev.streamtune.bench;

import dev.streamtune.bench.ingest.IngestRun;
import dev.streamtune.bench.ingest.IngestRun.Mode;
import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import dev.streamtune.broker.TopicSpec;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.HhRlhf;
import dev.streamtune.contracts.Json;
import dev.streamtune.contracts.Topics;
import dev.streamtune.ingest.RememberedReadings;
import dev.streamtune.ingest.SyntheticFeedback;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code streamtune bench ingest}: sustained events/s through the ingest topology on the embedded
 * broker, in one process: a pass-through topology (read, write, nothing else: the ceiling this
 * broker and machine allow) and the full topology under at_least_once and exactly_once_v2.
 *
 * <p>It starts its own broker in a temporary directory, pre-loads {@code events} realistic feedback
 * records (2% invalid, 2% duplicates, two adapters, 1,000 users) into {@code feedback.events}, then,
 * for each configuration and repeat, runs a fresh Streams application over them and measures two
 * rates. Sustained (the headline, and the one the ratios use): events over the time from the first
 * record processed to the last (commits during the run, exactly-once transactions included, are
 * inside it). To the last commit: events over the time from the first output record written to the
 * moment its committed input offsets reach the end (under exactly-once, when the last transaction
 * is visible to read_committed consumers); its end waits for the next commit tick (1 s), which
 * distorts short runs: a pass-through drains 200,000 events in about a second and measured either
 * about 100k or 200k events/s depending on where the tick fell. Startup is excluded from both. Two
 * warm-up rounds of every configuration (not counted) come first, so that no configuration pays for
 * JIT compilation. Each run also reports CPU time per event (whole process, stream threads, producer
 * I/O threads), which says what bounds it: on two cores the pass-through and ingest both keep them
 * busy, so their rates follow their CPU per event.
 *
 * <p>Besides the pass-through ceiling and ingest itself it runs {@link
 * dev.streamtune.bench.ingest.IoOnlyTopology}: ingest's Kafka and store I/O without its processing,
 * which splits ingest's distance from the ceiling into Kafka's share and the processor's; and ingest with
 * each record's reading (parsing, validation, redaction, example writing) remembered from the first
 * round ({@link RememberedReadings}), the bound ingest's bookkeeping and I/O leave that work.
 */
public final class IngestBenchmark {
    /**
     * What to run.
     *
     * @param events records to pre-load
     * @param repeats runs of each configuration (min, median and max are reported)
     * @param partitions partitions of {@code feedback.events}
     * @param streamThreads stream threads of every configuration (the pass-through's too)
     * @param modes the configurations, in the order they run (interleaved per repeat)
     * @param workload what the pre-loaded events are
     * @param dataset the HH-RLHF JSON-lines file, for {@link Workload#HH_RLHF}
     */
    public record Options(int events, int repeats, int partitions, int streamThreads, List<Mode> modes,
            Workload workload, Path dataset) {
        /** One stream thread per partition: each partition carries one of the two adapters. */
        public static final Options DEFAULTS = new Options(400_000, 5, 2, 2, List.of(Mode.values()),
                Workload.SYNTHETIC, Path.of("..", "shared", "datasets", "hh-rlhf-harmless-base-test.jsonl.gz"));

        public Options {
            if (events < 1000) {
                throw new IllegalArgumentException("events must be at least 1000, got " + events);
            }
            if (repeats < 1) {
                throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
            }
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
            }
            if (streamThreads < 1) {
                throw new IllegalArgumentException("streamThreads must be at least 1, got " + streamThreads);
            }
            modes = List.copyOf(modes);
            if (workload == Workload.HH_RLHF && !Files.isRegularFile(dataset)) {
                throw new IllegalArgumentException("the hh-rlhf workload reads " + dataset + ", which is not a file");
            }
        }
    }

    /** What the pre-loaded events are. */
    public enum Workload {
        /**
         * {@link SyntheticFeedback}: all four kinds, short English texts of ASCII words with an e-mail address
         * or phone number in about one word of sixty, 2% invalid records, 2% duplicates, 1,000 users and one
         * flooding user. The texts need no JSON escapes.
         */
        SYNTHETIC,
        /**
         * HH-RLHF's real preference pairs ({@link HhRlhf}), repeated with new ids up to the event count: multi-turn
         * chats with newlines, quotes, typographic punctuation and the odd empty reply (dead-lettered), 1,000 users.
         */
        HH_RLHF
    }

    /** Measured events/s (sustained, see {@link IngestRun.Measurement}) of each run, per configuration. */
    public record Results(Map<Mode, List<Double>> eventsPerSecond) {
        public double median(Mode mode) {
            List<Double> sorted = eventsPerSecond.get(mode).stream().sorted().toList();
            return sorted.get(sorted.size() / 2);
        }

        public double min(Mode mode) {
            return eventsPerSecond.get(mode).stream().min(Comparator.naturalOrder()).orElseThrow();
        }

        public double max(Mode mode) {
            return eventsPerSecond.get(mode).stream().max(Comparator.naturalOrder()).orElseThrow();
        }
    }

    /** Warm-up rounds of every configuration at least; more follow while the JIT is still busy. */
    private static final int MIN_WARM_UP_ROUNDS = 2;
    /** Warm-up rounds at most, settled or not (the counted runs then report the JIT's share). */
    private static final int MAX_WARM_UP_ROUNDS = 5;
    /**
     * A warm-up round after which the JIT compiled for less than this share of the round's time (in
     * compiler-thread time over wall time) ends the warm-up. Ingest's code reaches C2 later than the
     * pass-through's: after two rounds the compilers still used 0.3–0.8 of a core through the first
     * counted ingest runs, which ran with ~20–50% more CPU per event than the later ones.
     */
    private static final double SETTLED_COMPILE_SHARE = 0.05;

    /**
     * The workload's adapters. Events are keyed by adapter (DESIGN.md), so an adapter's events share
     * one partition of {@code feedback.events}; these two hash (murmur2) to partitions 0 and 1 of two,
     * so that with the default two partitions both carry half the load. Two adapters that share a
     * partition (as {@code email-drafting} and {@code acme/scheduling} do) leave the other partition,
     * and any stream thread reading it, idle.
     */
    static final List<String> ADAPTERS = List.of("email-drafting", "meeting-notes");

    private IngestBenchmark() {}

    /** Runs the benchmark and prints progress, a table and ratios to {@code out}. */
    public static Results run(Options options, PrintWriter out) {
        Path dir = tempDir();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir.resolve("broker")))) {
            broker.createTopics(List.of(new TopicSpec(Topics.FEEDBACK_EVENTS.name(), options.partitions()),
                    new TopicSpec(Topics.FEEDBACK_DLQ.name(), 1), new TopicSpec(Topics.EVAL_HOLDOUT.name(), 1),
                    new TopicSpec(Topics.TRAINING_BATCHES.name(), options.partitions())));
            out.printf("broker up in %d ms; pre-loading %,d events (%s workload)%n", broker.startupTime().toMillis(),
                    options.events(), options.workload().name().toLowerCase().replace('_', '-'));
            out.flush();
            long bytes = preload(broker.bootstrapServers(), options);
            RememberedReadings readings = new RememberedReadings(); // of these records, for the reading-free bound
            out.printf("pre-loaded %,d events (%,.1f MB), per partition: %s; %d stream thread(s)%n", options.events(),
                    bytes / 1e6, perPartition(broker.bootstrapServers()), options.streamThreads());
            out.flush();

            // Every configuration, round after round, until the JIT has settled, so that none pays for
            // compilation in its counted runs (see SETTLED_COMPILE_SHARE).
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            for (int round = 1; round <= MAX_WARM_UP_ROUNDS; round++) {
                long compiledBefore = jit.getTotalCompilationTime();
                long started = System.nanoTime();
                for (Mode mode : options.modes()) {
                    IngestRun.Measurement warmUp = IngestRun.measure(broker.bootstrapServers(), mode,
                            options.streamThreads(), dir.resolve("state-warm-up-" + round + "-" + mode),
                            "bench-warm-up-" + System.nanoTime(), options.events(), readings);
                    out.printf("  warm-up %-17s (not counted): %,9.0f events/s%n", mode.label(),
                            warmUp.eventsPerSecond());
                    out.flush();
                }
                double share = (jit.getTotalCompilationTime() - compiledBefore) / ((System.nanoTime() - started) / 1e6);
                out.printf("  warm-up round %d: the JIT compiled for %.1f%% of it%n", round, 100 * share);
                out.flush();
                if (round >= MIN_WARM_UP_ROUNDS && share < SETTLED_COMPILE_SHARE) {
                    break;
                }
            }
            long compiledBeforeRuns = jit.getTotalCompilationTime();
            long runsStarted = System.nanoTime();
            Map<Mode, List<Double>> rates = new EnumMap<>(Mode.class);
            Map<Mode, List<Double>> committedRates = new EnumMap<>(Mode.class);
            for (int repeat = 0; repeat < options.repeats(); repeat++) {
                for (Mode mode : options.modes()) {
                    IngestRun.Measurement m = IngestRun.measure(broker.bootstrapServers(), mode,
                            options.streamThreads(), dir.resolve("state-" + mode + "-" + repeat),
                            "bench-" + mode.name().toLowerCase().replace('_', '-') + "-" + repeat + "-"
                                    + System.nanoTime(), options.events(), readings);
                    rates.computeIfAbsent(mode, k -> new ArrayList<>()).add(m.eventsPerSecond());
                    committedRates.computeIfAbsent(mode, k -> new ArrayList<>()).add(m.committedEventsPerSecond());
                    out.printf("  %-22s run %d: %,9.0f events/s sustained (%,d events processed in %,d ms; "
                            + "%,.0f events/s to the last commit, %,d ms; %,d ms start-up); CPU per event: "
                            + "process %.1f us, stream threads %.1f us, producer I/O %.1f us%n", mode.label(),
                            repeat + 1, m.eventsPerSecond(), options.events(), m.processingMillis(),
                            m.committedEventsPerSecond(), m.drainMillis(), m.startupMillis(),
                            m.cpu().processMicrosPerEvent(), m.cpu().streamThreadMicrosPerEvent(),
                            m.cpu().producerThreadMicrosPerEvent());
                    out.flush();
                }
            }
            Results results = new Results(rates);
            double runsMillis = (System.nanoTime() - runsStarted) / 1e6;
            out.printf("counted runs: the JIT compiled for %.1f%% of their time%n",
                    100 * (jit.getTotalCompilationTime() - compiledBeforeRuns) / runsMillis);
            out.println();
            out.println("sustained: first to last record processed (commits during the run included)");
            print(results, options, out);
            out.println();
            out.println("to the last commit: first output written to every input offset committed");
            print(new Results(committedRates), options, out);
            return results;
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void print(Results results, Options options, PrintWriter out) {
        out.printf("%-24s %12s %12s %12s%n", "configuration", "min ev/s", "median ev/s", "max ev/s");
        for (Mode mode : results.eventsPerSecond().keySet()) {
            out.printf("%-24s %,12.0f %,12.0f %,12.0f%n", mode.label(), results.min(mode), results.median(mode),
                    results.max(mode));
        }
        Map<Mode, List<Double>> r = results.eventsPerSecond();
        if (r.containsKey(Mode.PASS_THROUGH_AT_LEAST_ONCE) && r.containsKey(Mode.INGEST_EXACTLY_ONCE)) {
            out.printf("exactly_once_v2 / pass-through (at_least_once):  %5.1f%% (target >= 50%%)%n",
                    100 * results.median(Mode.INGEST_EXACTLY_ONCE) / results.median(Mode.PASS_THROUGH_AT_LEAST_ONCE));
        }
        if (r.containsKey(Mode.PASS_THROUGH_EXACTLY_ONCE) && r.containsKey(Mode.INGEST_EXACTLY_ONCE)) {
            out.printf("exactly_once_v2 / pass-through (exactly_once_v2): %5.1f%%%n",
                    100 * results.median(Mode.INGEST_EXACTLY_ONCE) / results.median(Mode.PASS_THROUGH_EXACTLY_ONCE));
        }
        if (r.containsKey(Mode.PASS_THROUGH_AT_LEAST_ONCE) && r.containsKey(Mode.IO_ONLY_EXACTLY_ONCE)) {
            out.printf("I/O only (exactly_once_v2) / pass-through (alo):  %5.1f%% (ingest's Kafka I/O alone)%n",
                    100 * results.median(Mode.IO_ONLY_EXACTLY_ONCE) / results.median(Mode.PASS_THROUGH_AT_LEAST_ONCE));
        }
        if (r.containsKey(Mode.PASS_THROUGH_AT_LEAST_ONCE) && r.containsKey(Mode.INGEST_READING_FREE_EXACTLY_ONCE)) {
            out.printf("reading free (eos) / pass-through (alo):          %5.1f%% (ingest were parsing, validation,"
                    + " redaction and examples free)%n", 100 * results.median(Mode.INGEST_READING_FREE_EXACTLY_ONCE)
                    / results.median(Mode.PASS_THROUGH_AT_LEAST_ONCE));
        }
        if (r.containsKey(Mode.INGEST_AT_LEAST_ONCE) && r.containsKey(Mode.INGEST_EXACTLY_ONCE)) {
            out.printf("cost of exactly-once vs at_least_once:            %5.1f%% (target <= 15%%)%n",
                    100 * (1 - results.median(Mode.INGEST_EXACTLY_ONCE) / results.median(Mode.INGEST_AT_LEAST_ONCE)));
        }
        out.printf("(%,d %s events, %d partitions, %d stream thread(s), %d run(s) each, medians compared; %d cores, "
                + "max heap %,d MB)%n", options.events(), options.workload().name().toLowerCase().replace('_', '-'),
                options.partitions(), options.streamThreads(),
                options.repeats(), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
        out.flush();
    }

    /** Records in each partition of {@code feedback.events}. */
    private static List<Long> perPartition(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FEEDBACK_EVENTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
            return partitions.stream().map(p -> ends.get(p) - starts.get(p)).toList();
        }
    }

    /** Produces the workload once; every run reads the same records. */
    private static long preload(String bootstrap, Options options) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.LINGER_MS_CONFIG, "20");
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        long bytes = 0;
        long now = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (ProducerRecord<byte[], byte[]> record : records(options, now)) {
                producer.send(record);
                bytes += record.value().length;
            }
            producer.flush();
        }
        return bytes;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(Options options, long timestamp) {
        String topic = Topics.FEEDBACK_EVENTS.name();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(options.events());
        if (options.workload() == Workload.SYNTHETIC) {
            for (SyntheticFeedback.Record record : new SyntheticFeedback(options.events(), 0.02, 0.02,
                    ADAPTERS, 1000, 0.01, 7).generate()) {
                records.add(new ProducerRecord<>(topic, null, timestamp, record.key(), record.value()));
            }
            return records;
        }
        List<HhRlhf.Pair> pairs = new ArrayList<>();
        try {
            for (HhRlhf.Pair pair : HhRlhf.read(options.dataset())) {
                if (HhRlhf.toEvent(pair, "probe", "2026-11-27T09:00:00Z", "a", "u") != null) {
                    pairs.add(pair); // a preference: the replies differ after shared turns
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + options.dataset(), e);
        }
        Random random = new Random(7);
        for (int i = 0; i < options.events(); i++) {
            String adapter = ADAPTERS.get(i % ADAPTERS.size());
            FeedbackEvent event = HhRlhf.toEvent(pairs.get(i % pairs.size()), String.format("hh-%08d", i),
                    Instant.ofEpochSecond(1_795_770_000L + i).toString(), adapter, "u-" + random.nextInt(1000));
            records.add(new ProducerRecord<>(topic, null, timestamp, adapter.getBytes(StandardCharsets.UTF_8),
                    Json.toBytes(event)));
        }
        return records;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("streamtune-bench-ingest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary directory: the OS cleans up what is left
        }
    }

    /**
     * Runs with {@link Options#DEFAULTS}, or {@code events [repeats [MODE,MODE... [WORKLOAD]]]} from the
     * arguments.
     */
    public static void main(String[] args) {
        Options defaults = Options.DEFAULTS;
        Options options = new Options(args.length > 0 ? Integer.parseInt(args[0]) : defaults.events(),
                args.length > 1 ? Integer.parseInt(args[1]) : defaults.repeats(), defaults.partitions(),
                defaults.streamThreads(),
                args.length > 2 ? Stream.of(args[2].split(",")).map(Mode::valueOf).toList() : defaults.modes(),
                args.length > 3 ? Workload.valueOf(args[3]) : defaults.workload(), defaults.dataset());
        run(options, new PrintWriter(System.out, true));
    }
}
