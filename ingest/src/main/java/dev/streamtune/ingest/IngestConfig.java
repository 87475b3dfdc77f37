package dev.streamtune.ingest;

import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Topics;
import dev.streamtune.contracts.ValidationLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Everything the ingest stage needs, typed and validated. {@link #defaults(String)} gives the
 * production configuration; each default's reason is on its {@code DEFAULT_} constant.
 *
 * @param bootstrapServers Kafka bootstrap servers, e.g. {@code localhost:9092}
 * @param applicationId Kafka Streams application id: consumer group, transactional ids and
 *     changelog topic prefix
 * @param stateDir where the local state stores live
 * @param processingGuarantee {@link StreamsConfig#EXACTLY_ONCE_V2} or
 *     {@link StreamsConfig#AT_LEAST_ONCE}
 * @param commitInterval how often offsets, state and outputs commit (one transaction each under
 *     exactly-once)
 * @param streamThreads stream threads in this instance
 * @param stateStore where the event ledger lives: on disk (RocksDB) or in memory; both are
 *     changelogged
 * @param limits the size limits feedback events are validated against
 * @param allowedAdapters if not empty, the only adapters this deployment trains; events for other
 *     adapters go to the dead-letter topic as {@code unknown-adapter}. Empty: every adapter id that
 *     is syntactically valid is accepted
 * @param dedupeWindow how long (in stream time) an event id is remembered for deduplication
 * @param rateLimit the per-user limits per adapter and hour
 * @param redact whether e-mail addresses and phone numbers in text fields are replaced by
 *     {@code [email]} and {@code [phone]} before anything is trained on them
 * @param holdoutPerMille events (by a stable hash of their id) out of 1000 whose examples go to
 *     {@code eval.holdout} instead of training
 * @param batch when a training batch closes
 */
public record IngestConfig(
        String bootstrapServers,
        String applicationId,
        Path stateDir,
        String processingGuarantee,
        Duration commitInterval,
        int streamThreads,
        StateStoreKind stateStore,
        ValidationLimits limits,
        Set<String> allowedAdapters,
        Duration dedupeWindow,
        RateLimit rateLimit,
        boolean redact,
        int holdoutPerMille,
        BatchLimits batch) {

    /** One consumer group and transactional-id prefix for the stage, whatever runs it. */
    public static final String DEFAULT_APPLICATION_ID = "streamtune-ingest";
    /** Exactly once from feedback event to batch: the design's guarantee. */
    public static final String DEFAULT_PROCESSING_GUARANTEE = StreamsConfig.EXACTLY_ONCE_V2;
    /**
     * One second: each commit is a transaction; at Streams' exactly-once default (100 ms) the
     * commits themselves bound throughput on a small machine, and a trainer waiting up to
     * {@code maxWait} (10 s) for a batch does not notice one second.
     */
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);
    /** One thread per instance; scale out with partitions and instances. */
    public static final int DEFAULT_STREAM_THREADS = 1;
    /**
     * A day: apps retry within seconds and offline mobile queues re-send within hours; a day of ids
     * bounds the ledger.
     */
    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofHours(24);
    /** One event in ten held out: enough to score candidates, little taken from training. */
    public static final int DEFAULT_HOLDOUT_PER_MILLE = 100;

    public IngestConfig {
        requireText(bootstrapServers, "bootstrapServers");
        requireText(applicationId, "applicationId");
        Objects.requireNonNull(stateDir, "stateDir");
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
                && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
            throw new IllegalArgumentException("processingGuarantee must be " + StreamsConfig.EXACTLY_ONCE_V2
                    + " or " + StreamsConfig.AT_LEAST_ONCE + ", got " + processingGuarantee);
        }
        requirePositive(commitInterval, "commitInterval");
        if (streamThreads < 1) {
            throw new IllegalArgumentException("streamThreads must be at least 1, got " + streamThreads);
        }
        Objects.requireNonNull(stateStore, "stateStore");
        Objects.requireNonNull(limits, "limits");
        allowedAdapters = allowedAdapters == null ? Set.of() : Set.copyOf(allowedAdapters);
        for (String adapter : allowedAdapters) {
            if (!FeedbackValidator.ADAPTER_ID.matcher(adapter).matches()) {
                throw new IllegalArgumentException("allowedAdapters holds '" + adapter
                        + "', which is not an adapter id (lower-case, [tenant/]task)");
            }
        }
        requirePositive(dedupeWindow, "dedupeWindow");
        Objects.requireNonNull(rateLimit, "rateLimit");
        if (holdoutPerMille < 0 || holdoutPerMille > 1000) {
            throw new IllegalArgumentException("holdoutPerMille must be 0..1000, got " + holdoutPerMille);
        }
        Objects.requireNonNull(batch, "batch");
    }

    /** The production configuration against {@code bootstrapServers}; see each default's reason. */
    public static IngestConfig defaults(String bootstrapServers) {
        return new IngestConfig(bootstrapServers, DEFAULT_APPLICATION_ID,
                Path.of(System.getProperty("java.io.tmpdir"), "streamtune", "ingest-state"),
                DEFAULT_PROCESSING_GUARANTEE, DEFAULT_COMMIT_INTERVAL, DEFAULT_STREAM_THREADS,
                StateStoreKind.ROCKSDB, ValidationLimits.DEFAULTS, Set.of(), DEFAULT_DEDUPE_WINDOW,
                RateLimit.DEFAULTS, true, DEFAULT_HOLDOUT_PER_MILLE, BatchLimits.DEFAULTS);
    }

    public IngestConfig withApplicationId(String value) {
        return new IngestConfig(bootstrapServers, value, stateDir, processingGuarantee, commitInterval,
                streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withStateDir(Path value) {
        return new IngestConfig(bootstrapServers, applicationId, value, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit,
                redact, holdoutPerMille, batch);
    }

    public IngestConfig withProcessingGuarantee(String value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, value, commitInterval,
                streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withCommitInterval(Duration value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee, value,
                streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withStreamThreads(int value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, value, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withStateStore(StateStoreKind value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, value, limits, allowedAdapters, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withAllowedAdapters(Set<String> value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, value, dedupeWindow, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withDedupeWindow(Duration value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, value, rateLimit, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withRateLimit(RateLimit value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, value, redact,
                holdoutPerMille, batch);
    }

    public IngestConfig withRedact(boolean value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit,
                value, holdoutPerMille, batch);
    }

    public IngestConfig withHoldoutPerMille(int value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit,
                redact, value, batch);
    }

    public IngestConfig withBatch(BatchLimits value) {
        return new IngestConfig(bootstrapServers, applicationId, stateDir, processingGuarantee,
                commitInterval, streamThreads, stateStore, limits, allowedAdapters, dedupeWindow, rateLimit,
                redact, holdoutPerMille, value);
    }

    /**
     * The Kafka Streams configuration this stage runs with (the tests use exactly this): processing
     * guarantee, dead-lettering deserialisation handler, production exception handler, read-committed
     * input, and producer limits that fit the largest batch.
     */
    public Properties streamsProperties() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(commitInterval.toMillis()));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(streamThreads));
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetteringDeserializationHandler.class.getName());
        props.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                IngestProductionExceptionHandler.class.getName());
        props.put(DeadLetterTarget.DLQ_TOPIC_CONFIG, Topics.FEEDBACK_DLQ.name());
        // Upstream producers may use transactions too: never read what they aborted.
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.ISOLATION_LEVEL_CONFIG), "read_committed");
        // Room for the largest batch plus record overhead (the broker's own limit is 1 MiB by default).
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
                Integer.toString(Math.max(1024 * 1024, batch.maxBytes() + 64 * 1024)));
        // Measured (docs/benchmarks.md): feedback text compresses well, and 256 KiB producer batches
        // (default 16 KiB, about ten examples) cut broker requests; together about 1.5x on this machine.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), Integer.toString(256 * 1024));
        // The record cache holds the ledger's chunks only (the one cached store): the open chunk of each task,
        // put after every entry, and full chunks until they are evicted or committed. 1 MiB (default 10 MiB)
        // keeps room for hundreds of open chunks and keeps the cache's sorted map shallow.
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(1024 * 1024));
        return props;
    }

    /** Where the ledger and the id index live; the ledger is changelogged to Kafka either way. */
    public enum StateStoreKind {
        /** On disk: scales to large dedupe windows; the default. */
        ROCKSDB,
        /** In the heap: faster, but the whole dedupe window must fit in memory. */
        IN_MEMORY
    }

    /**
     * Per-user limits within one adapter and one hour of stream time (fixed, aligned hours), so that
     * one account cannot steer an adapter. Counts are of accepted events and their examples
     * (training and holdout); refused events do not count.
     *
     * @param maxUserEventsPerHour the most events one user may contribute to one adapter per hour
     * @param maxUserShare the largest share (0..1] of an adapter's examples in an hour that one user
     *     may contribute, enforced once the adapter has {@code shareAppliesFrom} examples that hour
     * @param shareAppliesFrom how many examples an adapter must have in the hour before the share
     *     limit applies (below it every share is large)
     */
    public record RateLimit(int maxUserEventsPerHour, double maxUserShare, int shareAppliesFrom) {
        /**
         * 600 events per hour (one every 6 s for a whole hour: beyond a person giving feedback, within a
         * script's reach), 10% share once the adapter has 100 examples in the hour (the rule).
         */
        public static final RateLimit DEFAULTS = new RateLimit(600, 0.10, 100);

        public RateLimit {
            if (maxUserEventsPerHour < 1) {
                throw new IllegalArgumentException(
                        "maxUserEventsPerHour must be at least 1, got " + maxUserEventsPerHour);
            }
            if (!(maxUserShare > 0.0 && maxUserShare <= 1.0)) {
                throw new IllegalArgumentException("maxUserShare must be in (0, 1], got " + maxUserShare);
            }
            if (shareAppliesFrom < 1) {
                throw new IllegalArgumentException(
                        "shareAppliesFrom must be at least 1, got " + shareAppliesFrom);
            }
        }
    }

    /**
     * When a batch of an adapter closes: whichever limit is reached first. An event's examples are
     * never split across batches: a batch closes early when the next event's examples would not fit.
     *
     * @param maxExamples the most examples in one batch
     * @param maxBytes the most bytes of serialised examples in one batch
     * @param maxWait the longest (wall clock) a batch stays open after its first example
     */
    public record BatchLimits(int maxExamples, int maxBytes, Duration maxWait) {
        /**
         * 32 examples (a usual LoRA micro-batch multiple), 512 KiB (well under Kafka's default 1 MiB
         * message limit, with room for a single maximal event's examples), 10 s (fresh feedback reaches
         * the trainer quickly even when it trickles).
         */
        public static final BatchLimits DEFAULTS = new BatchLimits(32, 512 * 1024, Duration.ofSeconds(10));

        public BatchLimits {
            if (maxExamples < 2) {
                throw new IllegalArgumentException("maxExamples must be at least 2 (a correction yields two), got "
                        + maxExamples);
            }
            if (maxBytes < 1024) {
                throw new IllegalArgumentException("maxBytes must be at least 1024, got " + maxBytes);
            }
            requirePositive(maxWait, "maxWait");
        }
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must be set");
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + value);
        }
    }
}
