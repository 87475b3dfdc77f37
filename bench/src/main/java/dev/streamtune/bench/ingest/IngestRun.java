package dev.streamtune.bench.ingest;

import dev.streamtune.contracts.Topics;
import dev.streamtune.ingest.IngestConfig;
import dev.streamtune.ingest.IngestTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/** One measured run of one configuration over the pre-loaded events. */
public final class IngestRun {
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

    /** The configurations the benchmark compares. */
    public enum Mode {
        PASS_THROUGH_AT_LEAST_ONCE("pass-through alo", true, StreamsConfig.AT_LEAST_ONCE),
        PASS_THROUGH_EXACTLY_ONCE("pass-through eos", true, StreamsConfig.EXACTLY_ONCE_V2),
        INGEST_AT_LEAST_ONCE("ingest at_least_once", false, StreamsConfig.AT_LEAST_ONCE),
        INGEST_EXACTLY_ONCE("ingest exactly_once_v2", false, StreamsConfig.EXACTLY_ONCE_V2);

        private final String label;
        private final boolean passThrough;
        private final String guarantee;

        Mode(String label, boolean passThrough, String guarantee) {
            this.label = label;
            this.passThrough = passThrough;
            this.guarantee = guarantee;
        }

        public String label() {
            return label;
        }
    }

    /**
     * @param eventsPerSecond events divided by the drain time
     * @param drainMillis from the first output record written to the moment every input offset is
     *     committed (under exactly-once: the last transaction, outputs included, has committed)
     * @param startupMillis from start to the first output record
     */
    public record Measurement(double eventsPerSecond, long drainMillis, long startupMillis) {}

    private IngestRun() {}

    /**
     * Runs {@code mode} as a fresh application (its own id and state) until it has committed every
     * input offset, and measures it.
     */
    public static Measurement measure(String bootstrap, Mode mode, Path stateDir, String applicationId,
            int events) {
        IngestConfig config = IngestConfig.defaults(bootstrap).withApplicationId(applicationId)
                .withStateDir(stateDir).withProcessingGuarantee(mode.guarantee);
        Topology topology = mode.passThrough ? IngestTopology.passThrough() : IngestTopology.build(config);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
                KafkaConsumer<byte[], byte[]> outputs = outputConsumer(bootstrap)) {
            Map<TopicPartition, Long> inputEnds = inputEnds(admin);
            long start = System.nanoTime();
            try (KafkaStreams streams = new KafkaStreams(topology, config.streamsProperties())) {
                streams.start();
                long firstOutput = awaitFirstOutput(outputs, start);
                long done = awaitCommitted(admin, applicationId, inputEnds, start);
                long drainNanos = Math.max(1, done - firstOutput);
                return new Measurement(events / (drainNanos / 1e9), TimeUnit.NANOSECONDS.toMillis(drainNanos),
                        TimeUnit.NANOSECONDS.toMillis(firstOutput - start));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("benchmark run " + mode + " failed: " + e, e);
        }
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
