package dev.streamtune.ingest;

import dev.streamtune.contracts.DeadLetter;
import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.Topics;
import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The production topology and Streams configuration in a {@link TopologyTestDriver}, with typed
 * access to its input and output topics.
 */
final class Harness implements AutoCloseable {
    static final Instant START = Instant.parse("2026-11-27T09:00:00Z");

    final IngestConfig config;
    final TopologyTestDriver driver;
    final TestInputTopic<byte[], byte[]> events;
    final TestOutputTopic<byte[], byte[]> deadLetters;
    final TestOutputTopic<String, TrainingExample> holdout;
    final TestOutputTopic<String, TrainingBatch> batches;
    private Instant recordTime = START;

    Harness(IngestConfig config) {
        this(config, IngestTopology.build(config));
    }

    /** {@code topology} (built from {@code config}) with {@code config}'s Streams configuration. */
    Harness(IngestConfig config, Topology topology) {
        this.config = config;
        this.driver = new TopologyTestDriver(topology, config.streamsProperties(), START);
        this.events = driver.createInputTopic(Topics.FEEDBACK_EVENTS.name(), new ByteArraySerializer(),
                new ByteArraySerializer());
        this.deadLetters = driver.createOutputTopic(Topics.FEEDBACK_DLQ.name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.holdout = driver.createOutputTopic(Topics.EVAL_HOLDOUT.name(), new StringDeserializer(),
                Topics.EVAL_HOLDOUT.valueSerde().deserializer());
        this.batches = driver.createOutputTopic(Topics.TRAINING_BATCHES.name(), new StringDeserializer(),
                Topics.TRAINING_BATCHES.valueSerde().deserializer());
    }

    /** The production defaults with a private state directory. */
    static IngestConfig defaults(Path stateDir) {
        return IngestConfig.defaults("test:9092").withStateDir(stateDir);
    }

    /** Sends an event keyed by its adapter, one millisecond of record time after the previous one. */
    void send(FeedbackEvent event) {
        send(event.adapter(), Events.bytes(event));
    }

    void send(String key, byte[] value) {
        send(key, value, new org.apache.kafka.common.header.internals.RecordHeaders());
    }

    void send(String key, byte[] value, Headers headers) {
        recordTime = recordTime.plusMillis(1);
        events.pipeInput(new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
                headers, recordTime));
    }

    /** Moves record time (and so stream time, for the next record) forward. */
    void advanceRecordTime(Duration by) {
        recordTime = recordTime.plus(by);
    }

    void advanceWallClock(Duration by) {
        driver.advanceWallClockTime(by);
    }

    List<TestRecord<byte[], byte[]>> readDeadLetters() {
        return deadLetters.readRecordsToList();
    }

    static String header(TestRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    static String reason(TestRecord<byte[], byte[]> record) {
        return header(record, DeadLetter.REASON);
    }

    @Override
    public void close() {
        driver.close();
    }
}
