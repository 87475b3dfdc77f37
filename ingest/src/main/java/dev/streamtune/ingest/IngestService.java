package dev.streamtune.ingest;

import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running ingest stage: one {@link KafkaStreams} instance over {@link IngestTopology}. This is
 * the entry point for {@code streamtune ingest} and {@code streamtune up}:
 *
 * <pre>{@code
 * try (IngestService ingest = IngestService.start(IngestConfig.defaults("localhost:9092"), new Properties())) {
 *   ... // runs until closed
 * }
 * }</pre>
 *
 * The topics must exist. A stream thread that dies of an unexpected error is replaced (its tasks
 * restart from the last commit); {@link #close()} shuts down cleanly, committing what was processed.
 */
public final class IngestService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);
    /** How long {@link #close()} waits for the stream threads to commit and stop. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;
    /** Released when the instance first reaches RUNNING, or stops trying (ERROR, NOT_RUNNING). */
    private final CountDownLatch settled;

    private IngestService(KafkaStreams streams, CountDownLatch settled) {
        this.streams = streams;
        this.settled = settled;
    }

    /**
     * Starts the stage.
     *
     * @param config the stage's configuration
     * @param streamsOverrides Kafka Streams properties applied over {@link
     *     IngestConfig#streamsProperties()} (client ids, metrics reporters, timeouts); may be empty
     */
    public static IngestService start(IngestConfig config, Properties streamsOverrides) {
        Objects.requireNonNull(config, "config");
        Properties props = config.streamsProperties();
        if (streamsOverrides != null) {
            props.putAll(streamsOverrides);
        }
        KafkaStreams streams = new KafkaStreams(IngestTopology.build(config), props);
        streams.setUncaughtExceptionHandler(e -> {
            LOG.error("ingest stream thread failed; replacing it", e);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        CountDownLatch settled = new CountDownLatch(1);
        streams.setStateListener((newState, oldState) -> {
            if (newState == KafkaStreams.State.RUNNING || !newState.isRunningOrRebalancing()) {
                settled.countDown();
            }
        });
        streams.start();
        LOG.info("ingest started: application {} on {}, {}", config.applicationId(),
                config.bootstrapServers(), config.processingGuarantee());
        return new IngestService(streams, settled);
    }

    /**
     * Waits until the stage has its partitions assigned and is processing (Streams state RUNNING).
     *
     * @return true when running; false when {@code timeout} passed or the instance failed first
     */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        return settled.await(timeout.toMillis(), TimeUnit.MILLISECONDS)
                && streams.state() == KafkaStreams.State.RUNNING;
    }

    /** The Streams instance's state (CREATED, REBALANCING, RUNNING, ERROR…). */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The underlying Streams instance, for metrics and state listeners. */
    public KafkaStreams streams() {
        return streams;
    }

    /**
     * Commits what was processed and stops, leaving the consumer group so that a restart (or another
     * instance) takes the partitions over at once instead of after the session timeout (45 s).
     */
    @Override
    public void close() {
        CloseOptions options = CloseOptions.timeout(CLOSE_TIMEOUT)
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
        if (!streams.close(options)) {
            LOG.warn("ingest did not stop within {}", CLOSE_TIMEOUT);
        }
    }
}
