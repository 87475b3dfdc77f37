package dev.streamtune.bench.ingest;

import dev.streamtune.contracts.Topics;
import dev.streamtune.ingest.IngestConfig;
import dev.streamtune.ingest.IngestTopology;
import dev.streamtune.ingest.RememberedReadings;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/** One measured run of one configuration over the pre-loaded events. */
public final class IngestRun {
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration CLOSE_TIMEOUT = Duration.ofMinutes(1);

    /** The configurations the benchmark compares. */
    public enum Mode {
        PASS_THROUGH_AT_LEAST_ONCE("pass-through alo", Shape.PASS_THROUGH, StreamsConfig.AT_LEAST_ONCE),
        PASS_THROUGH_EXACTLY_ONCE("pass-through eos", Shape.PASS_THROUGH, StreamsConfig.EXACTLY_ONCE_V2),
        IO_ONLY_EXACTLY_ONCE("ingest I/O only eos", Shape.IO_ONLY, StreamsConfig.EXACTLY_ONCE_V2),
        INGEST_AT_LEAST_ONCE("ingest at_least_once", Shape.INGEST, StreamsConfig.AT_LEAST_ONCE),
        INGEST_EXACTLY_ONCE("ingest exactly_once_v2", Shape.INGEST, StreamsConfig.EXACTLY_ONCE_V2),
        /**
         * Ingest under exactly_once_v2 with each record's reading remembered from an earlier run
         * ({@link RememberedReadings}): the bound with parsing, validation, redaction and example writing free.
         */
        INGEST_READING_FREE_EXACTLY_ONCE("ingest eos, reading free", Shape.INGEST_READING_FREE,
                StreamsConfig.EXACTLY_ONCE_V2);

        private final String label;
        private final Shape shape;
        private final String guarantee;

        Mode(String label, Shape shape, String guarantee) {
            this.label = label;
            this.shape = shape;
            this.guarantee = guarantee;
        }

        public String label() {
            return label;
        }
    }

    /** Which topology a configuration runs. */
    private enum Shape {
        /** {@link IngestTopology#passThrough()}: read, write, nothing else. */
        PASS_THROUGH,
        /** {@link IoOnlyTopology}: ingest's Kafka and store I/O without its work. */
        IO_ONLY,
        /** {@link IngestTopology#build}: the real stage. */
        INGEST,
        /** {@link IngestTopology#buildRememberingReadings}: the real stage, each record read once per benchmark. */
        INGEST_READING_FREE
    }

    /**
     * @param eventsPerSecond sustained rate: events divided by the processing time, from the first
     *     record processed to the last (the stream threads' {@code process-total}, sampled every 2
     *     ms); commits during the run are inside it, the wait for the last commit after
     *     the last record is not
     * @param committedEventsPerSecond events divided by the drain time: from the first output record
     *     written to the moment every input offset is committed (under exactly-once: the last
     *     transaction, outputs included, has committed); includes up to one commit interval of
     *     waiting at the end, which dominates runs that last about a second
     * @param processingMillis the processing time
     * @param drainMillis the drain time
     * @param startupMillis from start to the first output record
     */
    public record Measurement(double eventsPerSecond, double committedEventsPerSecond, long processingMillis,
            long drainMillis, long startupMillis, CpuUse cpu) {}

    /**
     * CPU time spent during a run, from its start to its last commit, per event: by the whole process
     * (broker, JIT and GC included), by the application's stream threads and by its producer I/O threads.
     */
    public record CpuUse(double processMicrosPerEvent, double streamThreadMicrosPerEvent,
            double producerThreadMicrosPerEvent) {}

    private IngestRun() {}

    /**
     * Runs {@code mode} as a fresh application (its own id and state) until it has committed every
     * input offset, and measures it. {@code readings} serves {@link Mode#INGEST_READING_FREE_EXACTLY_ONCE}: one
     * per set of pre-loaded records, shared by all its runs.
     */
    public static Measurement measure(String bootstrap, Mode mode, int streamThreads, Path stateDir,
            String applicationId, int events, RememberedReadings readings) {
        IngestConfig config = IngestConfig.defaults(bootstrap).withApplicationId(applicationId)
                .withStateDir(stateDir).withProcessingGuarantee(mode.guarantee)
                .withStreamThreads(streamThreads);
        Topology topology = switch (mode.shape) {
            case PASS_THROUGH -> IngestTopology.passThrough();
            case IO_ONLY -> IoOnlyTopology.build(config);
            case INGEST -> IngestTopology.build(config);
            case INGEST_READING_FREE -> IngestTopology.buildRememberingReadings(config, readings);
        };
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
                KafkaConsumer<byte[], byte[]> outputs = outputConsumer(bootstrap)) {
            Map<TopicPartition, Long> inputEnds = inputEnds(admin);
            long processCpuStart = processCpuNanos();
            long start = System.nanoTime();
            KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties());
            try {
                ProcessedClock processed = new ProcessedClock(streams, inputEnds.values().stream()
                        .mapToLong(Long::longValue).sum() - inputStarts(admin, inputEnds));
                streams.start();
                processed.start();
                long firstOutput = awaitFirstOutput(outputs, start);
                long done = awaitCommitted(admin, applicationId, inputEnds, start);
                processed.join(10_000); // every offset is committed: all was processed
                processed.interrupt();
                CpuUse cpu = new CpuUse((processCpuNanos() - processCpuStart) / 1e3 / events,
                        threadCpuNanos(applicationId, STREAM_THREAD) / 1e3 / events,
                        threadCpuNanos(applicationId, PRODUCER_THREAD) / 1e3 / events);
                long drainNanos = Math.max(1, done - firstOutput);
                long processingNanos = processed.elapsedNanos();
                return new Measurement(events / (processingNanos / 1e9), events / (drainNanos / 1e9),
                        TimeUnit.NANOSECONDS.toMillis(processingNanos), TimeUnit.NANOSECONDS.toMillis(drainNanos),
                        TimeUnit.NANOSECONDS.toMillis(firstOutput - start), cpu);
            } finally {
                // Leave the group: with two stream threads and Streams' default close (no leave-group
                // request), a thread still polling spun in its rebalance until the session timed out,
                // using a core for tens of seconds into the next run.
                if (!streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
                        .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP))) {
                    throw new IllegalStateException("the Streams application did not stop within " + CLOSE_TIMEOUT);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("benchmark run " + mode + " failed: " + e, e);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Stream threads are named {@code <client id>-StreamThread-<n>}. */
    private static final Pattern STREAM_THREAD = Pattern.compile(".*-StreamThread-\\d+");
    /** Producer I/O threads: {@code kafka-producer-network-thread | <client id>-StreamThread-<n>-producer}. */
    private static final Pattern PRODUCER_THREAD = Pattern.compile("kafka-producer-network-thread \\| .*-producer");

    /** CPU time of the application's live threads whose names match {@code name}. */
    private static long threadCpuNanos(String applicationId, Pattern name) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().contains(applicationId) && name.matcher(thread.getName()).matches()) {
                sum += Math.max(0, threads.getThreadCpuTime(thread.getId()));
            }
        }
        return sum;
    }

    /**
     * A consumer positioned at the current end of every output topic. It reads uncommitted records:
     * the first output is when processing started, not when the first transaction committed (which
     * would hide up to a commit interval of work from an exactly-once run).
     */
    private static KafkaConsumer<byte[], byte[]> outputConsumer(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(Topics.TRAINING_BATCHES.name(), Topics.EVAL_HOLDOUT.name(),
                Topics.FEEDBACK_DLQ.name())) {
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // resolve the end now, before the run writes
        return consumer;
    }

    private static long awaitFirstOutput(KafkaConsumer<byte[], byte[]> outputs, long start) {
        while (System.nanoTime() - start < RUN_TIMEOUT.toNanos()) {
            if (!outputs.poll(Duration.ofMillis(5)).isEmpty()) {
                return System.nanoTime();
            }
        }
        throw new IllegalStateException("no output within " + RUN_TIMEOUT);
    }

    private static Map<TopicPartition, Long> inputEnds(Admin admin) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        admin.describeTopics(List.of(Topics.FEEDBACK_EVENTS.name())).allTopicNames().get()
                .get(Topics.FEEDBACK_EVENTS.name()).partitions()
                .forEach(p -> request.put(new TopicPartition(Topics.FEEDBACK_EVENTS.name(), p.partition()),
                        OffsetSpec.latest()));
        Map<TopicPartition, Long> ends = new java.util.HashMap<>();
        admin.listOffsets(request).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** The sum of the input partitions' log-start offsets (0 unless retention deleted some). */
    private static long inputStarts(Admin admin, Map<TopicPartition, Long> ends) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
        ends.keySet().forEach(tp -> request.put(tp, OffsetSpec.earliest()));
        return admin.listOffsets(request).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    /**
     * Samples the stream threads' {@code process-total} (records processed) every 2 ms from a thread
     * of its own: the moments the first record and the last of {@code records} were processed.
     */
    private static final class ProcessedClock extends Thread {
        private final KafkaStreams streams;
        private final long records;
        private volatile long first;
        private volatile long last;
        private volatile double seen;

        ProcessedClock(KafkaStreams streams, long records) {
            super("bench-processed-clock");
            setDaemon(true);
            this.streams = streams;
            this.records = records;
        }

        @Override
        public void run() {
            long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
            List<Metric> totals = List.of();
            while (System.nanoTime() < deadline) {
                if (first == 0 || totals.size() < 1) {
                    totals = streams.metrics().values().stream()
                            .filter(m -> m.metricName().name().equals("process-total")
                                    && m.metricName().group().equals("stream-thread-metrics"))
                            .map(m -> (Metric) m).toList();
                }
                double sum = 0;
                for (Metric metric : totals) {
                    sum += ((Number) metric.metricValue()).doubleValue();
                }
                seen = sum;
                long now = System.nanoTime();
                if (sum > 0 && first == 0) {
                    first = now;
                }
                if (sum >= records) {
                    last = now;
                    return;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        long elapsedNanos() {
            if (first == 0 || last == 0) {
                throw new IllegalStateException("the stream threads reported " + seen + " of " + records
                        + " records processed");
            }
            return Math.max(1, last - first);
        }
    }

    /** Polls the group's committed offsets until they reach the input's end; returns that moment. */
    private static long awaitCommitted(Admin admin, String group, Map<TopicPartition, Long> ends, long start)
            throws Exception {
        while (System.nanoTime() - start < RUN_TIMEOUT.toNanos()) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            boolean all = ends.entrySet().stream().allMatch(e -> {
                OffsetAndMetadata offset = committed.get(e.getKey());
                return e.getValue() == 0 || (offset != null && offset.offset() >= e.getValue());
            });
            if (all) {
                return System.nanoTime();
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("input not fully committed within " + RUN_TIMEOUT);
    }
}
