package dev.streamtune.ingest;

import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.TrainingBatch.CloseReason;
import dev.streamtune.ingest.LedgerEntry.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole ingest stage for one stream task, one record at a time: validate → (dead-letter) →
 * deduplicate → rate-limit → expand into examples (redacted) → holdout or open batch → close
 * batches on size, bytes or wall-clock age.
 *
 * <p>State: each valid event costs exactly one store write, its {@link LedgerEntry} in the ledger
 * window store (keyed by event id, timestamped with stream time, expiring with the dedupe window
 * by dropping whole segments, without tombstones). Each closed batch costs one more write, the
 * adapter's next batch sequence in the cursor store. The open batches and the rate-limit counts
 * live in memory and are rebuilt from those two stores when the task starts (an open batch's
 * examples from its events' input records, read back by offset), so a crash loses nothing: under
 * exactly-once, store changelogs, outputs and input offsets commit atomically.
 */
final class IngestProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(IngestProcessor.class);

    private final IngestConfig config;
    private final FeedbackValidator validator;
    private final HoldoutSplit holdout;
    private final RateLimiter rateLimiter;
    private final Map<String, OpenBatch> openBatches = new HashMap<>();
    private final Map<String, Long> nextSequences = new HashMap<>();
    private final long dedupeWindowMs;
    /** Memory the dedupe filter of one task may use; past it, lookups of the newest hours go to the store. */
    static final long SEEN_IDS_MAX_BYTES = 32L << 20;

    private ProcessorContext<byte[], byte[]> context;
    private WindowStore<String, byte[]> ledger;
    private KeyValueStore<String, Long> cursors;
    /** Ids the ledger may hold, rebuilt from it in {@link #init}: a new id skips the store lookup. */
    private SeenIds seenIds;

    IngestProcessor(IngestConfig config) {
        this.config = config;
        this.validator = new FeedbackValidator(config.limits());
        this.holdout = new HoldoutSplit(config.holdoutPerMille());
        this.rateLimiter = new RateLimiter(config.rateLimit());
        this.dedupeWindowMs = config.dedupeWindow().toMillis();
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.ledger = context.getStateStore(IngestTopology.LEDGER_STORE);
        this.cursors = context.getStateStore(IngestTopology.CURSOR_STORE);
        this.seenIds = new SeenIds(SEEN_IDS_MAX_BYTES);
        rebuildFromStores();
        Duration maxWait = config.batch().maxWait();
        Duration tick = Duration.ofMillis(Math.max(10, Math.min(1000, maxWait.toMillis() / 10)));
        context.schedule(tick, PunctuationType.WALL_CLOCK_TIME, this::closeExpiredBatches);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context.recordMetadata().orElseThrow();
        FeedbackEvent event;
        List<byte[]> examples;
        try {
            var result = validator.validate(record.value());
            if (!result.isValid()) {
                deadLetter(record, source, result.primaryReason().code(), result.describe());
                return;
            }
            event = result.event();
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            if (!event.adapter().equals(key)) {
                deadLetter(record, source, Reason.INVALID_ADAPTER.code(), "record key "
                        + (key == null ? "is missing" : "'" + abbreviate(key) + "'")
                        + " but the adapter is '" + event.adapter() + "': feedback.events is keyed by adapter id");
                return;
            }
            if (!config.allowedAdapters().isEmpty() && !config.allowedAdapters().contains(event.adapter())) {
                deadLetter(record, source, Reason.UNKNOWN_ADAPTER.code(),
                        "adapter '" + event.adapter() + "' is not trained by this deployment");
                return;
            }
            examples = ExampleExpander.expandSerialised(event, result.verbatim(),
                    new SourceOffset(source.topic(), source.partition(), source.offset()), config.redact());
        } catch (RuntimeException e) {
            LOG.error("cannot process {}-{}@{}; dead-lettering it", source.topic(), source.partition(),
                    source.offset(), e);
            deadLetter(record, source, Reason.PROCESSING_FAILED.code(), e.toString());
            return;
        }
        if (OpenBatch.sizeOf(examples) + OpenBatch.ENVELOPE_BYTES > config.batch().maxBytes()) {
            deadLetter(record, source, Reason.OVERSIZE_EVENT.code(), "its training examples take "
                    + OpenBatch.sizeOf(examples) + " bytes, more than a batch holds ("
                    + config.batch().maxBytes() + ")");
            return;
        }

        long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
        if (isDuplicate(event.id(), streamTime)) {
            return;
        }
        long hour = RateLimiter.hourOf(streamTime);
        String refusal = rateLimiter.admit(event.adapter(), event.user(), hour, examples.size());
        if (refusal != null) {
            putLedger(event.id(), LedgerEntry.notBatched(Outcome.RATE_LIMITED, event.adapter(),
                    event.user(), examples.size()).encode(), streamTime);
            deadLetter(record, source, Reason.RATE_LIMITED.code(), refusal);
            return;
        }

        byte[] adapterKey = event.adapter().getBytes(StandardCharsets.UTF_8);
        if (holdout.isHeldOut(event.id())) {
            putLedger(event.id(), LedgerEntry.notBatched(Outcome.HOLDOUT, event.adapter(), event.user(),
                    examples.size()).encode(), streamTime);
            for (byte[] example : examples) {
                context.forward(new Record<>(adapterKey, example, record.timestamp()), IngestTopology.HOLDOUT_SINK);
            }
            return;
        }
        addToBatch(event, examples, source, streamTime, record.timestamp());
    }

    private void addToBatch(FeedbackEvent event, List<byte[]> examples, RecordMetadata source, long streamTime,
            long timestamp) {
        String adapter = event.adapter();
        long now = context.currentSystemTimeMs();
        OpenBatch open = openBatches.get(adapter);
        if (open != null) {
            CloseReason overflow = open.wouldOverflow(examples, config.batch());
            if (overflow != null) {
                close(adapter, open, overflow, now, timestamp);
                open = null;
            }
        }
        if (open == null) {
            open = new OpenBatch(adapter, nextSequences.getOrDefault(adapter, 0L), now);
            openBatches.put(adapter, open);
        }
        putLedger(event.id(), LedgerEntry.training(adapter, event.user(), open.sequence(), open.events(),
                open.openedAtMs(), examples.size(), source.topic(), source.partition(), source.offset()).encode(),
                streamTime);
        open.add(examples);
        CloseReason full = open.full(config.batch());
        if (full != null) {
            close(adapter, open, full, now, timestamp);
        }
    }

    private void close(String adapter, OpenBatch batch, CloseReason reason, long nowMs, long timestamp) {
        byte[] value = batch.close(reason, nowMs);
        openBatches.remove(adapter);
        long next = batch.sequence() + 1;
        nextSequences.put(adapter, next);
        cursors.put(adapter, next);
        context.forward(new Record<>(adapter.getBytes(StandardCharsets.UTF_8), value, timestamp),
                IngestTopology.BATCHES_SINK);
    }

    private void closeExpiredBatches(long nowMs) {
        long maxWaitMs = config.batch().maxWait().toMillis();
        List<Map.Entry<String, OpenBatch>> expired = new ArrayList<>();
        for (Map.Entry<String, OpenBatch> entry : openBatches.entrySet()) {
            if (nowMs - entry.getValue().openedAtMs() >= maxWaitMs) {
                expired.add(entry);
            }
        }
        expired.sort(Comparator.comparingLong(e -> e.getValue().openedAtMs()));
        for (Map.Entry<String, OpenBatch> entry : expired) {
            close(entry.getKey(), entry.getValue(), CloseReason.MAX_WAIT, nowMs, nowMs);
        }
    }

    /** The ledger's only write: {@code entry} under {@code eventId} at {@code streamTime}, known to the filter first. */
    private void putLedger(String eventId, byte[] entry, long streamTime) {
        seenIds.add(eventId, streamTime);
        ledger.put(eventId, entry, streamTime);
    }

    private boolean isDuplicate(String eventId, long streamTime) {
        long from = streamTime - dedupeWindowMs;
        if (!seenIds.mightContain(eventId, from)) {
            return false; // certainly not in the ledger (see SeenIds)
        }
        try (WindowStoreIterator<byte[]> seen = ledger.fetch(eventId, from, Long.MAX_VALUE)) {
            return seen.hasNext();
        }
    }

    /**
     * Rebuilds what is kept in memory from the stores after restoration: the next batch sequence of
     * each adapter, each adapter's open batch (the ledger's training entries of that sequence, in
     * position order) and the rate-limit counts of the current hour.
     */
    private void rebuildFromStores() {
        try (KeyValueIterator<String, Long> all = cursors.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> cursor = all.next();
                nextSequences.put(cursor.key, cursor.value);
            }
        }
        Map<String, List<LedgerEntry>> openEntries = new HashMap<>();
        int entries = 0;
        try (KeyValueIterator<Windowed<String>, byte[]> all = ledger.all()) {
            while (all.hasNext()) {
                KeyValue<Windowed<String>, byte[]> item = all.next();
                seenIds.add(item.key.key(), item.key.window().start());
                LedgerEntry entry = LedgerEntry.decode(item.value);
                entries++;
                if (entry.accepted()) {
                    rateLimiter.record(entry.adapter(), entry.user(),
                            RateLimiter.hourOf(item.key.window().start()), entry.exampleCount());
                }
                if (entry.outcome() == Outcome.TRAINING
                        && entry.batchSequence() == nextSequences.getOrDefault(entry.adapter(), 0L)) {
                    openEntries.computeIfAbsent(entry.adapter(), a -> new ArrayList<>()).add(entry);
                }
            }
        }
        Map<TopicPartition, Map<Long, byte[]>> inputs = readInputs(openEntries);
        for (Map.Entry<String, List<LedgerEntry>> adapter : openEntries.entrySet()) {
            List<LedgerEntry> inBatch = adapter.getValue();
            inBatch.sort(Comparator.comparingInt(LedgerEntry::position));
            OpenBatch open = new OpenBatch(adapter.getKey(), inBatch.get(0).batchSequence(),
                    inBatch.get(0).batchOpenedAtMs());
            for (LedgerEntry entry : inBatch) {
                open.add(reExpand(entry, inputs.get(new TopicPartition(entry.sourceTopic(), entry.sourcePartition()))
                        .get(entry.sourceOffset())));
            }
            openBatches.put(adapter.getKey(), open);
        }
        if (entries > 0) {
            LOG.info("task {}: rebuilt from {} ledger entries, {} open batches", context.taskId(), entries,
                    openBatches.size());
        }
    }

    /** Reads back the input records of the open batches' events (the ledger keeps where they are). */
    private Map<TopicPartition, Map<Long, byte[]>> readInputs(Map<String, List<LedgerEntry>> openEntries) {
        Map<TopicPartition, Set<Long>> offsets = new HashMap<>();
        for (List<LedgerEntry> entries : openEntries.values()) {
            for (LedgerEntry entry : entries) {
                offsets.computeIfAbsent(new TopicPartition(entry.sourceTopic(), entry.sourcePartition()),
                        tp -> new HashSet<>()).add(entry.sourceOffset());
            }
        }
        if (offsets.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> consumerConfig = new StreamsConfig(context.appConfigs())
                .getRestoreConsumerConfigs(context.applicationId() + "-" + context.taskId() + "-open-batches");
        Map<TopicPartition, Map<Long, byte[]>> records = InputRecords.read(consumerConfig, offsets);
        LOG.info("task {}: read back {} input records of {} open batches", context.taskId(),
                offsets.values().stream().mapToInt(Set::size).sum(), openEntries.size());
        return records;
    }

    /** The examples of an open batch's event, derived again from its input record as when it arrived. */
    private List<byte[]> reExpand(LedgerEntry entry, byte[] value) {
        var result = validator.validate(value);
        if (!result.isValid() || !result.event().adapter().equals(entry.adapter())) {
            throw new IllegalStateException(entry.sourceTopic() + "-" + entry.sourcePartition() + "@"
                    + entry.sourceOffset() + " is not the event the ledger put in an open batch of " + entry.adapter());
        }
        List<byte[]> examples = ExampleExpander.expandSerialised(result.event(), result.verbatim(),
                new SourceOffset(entry.sourceTopic(), entry.sourcePartition(), entry.sourceOffset()), config.redact());
        if (examples.size() != entry.exampleCount()) {
            throw new IllegalStateException("event " + result.event().id() + " now yields " + examples.size()
                    + " examples, the ledger recorded " + entry.exampleCount());
        }
        return examples;
    }

    private void deadLetter(Record<byte[], byte[]> record, RecordMetadata source, String reason,
            String detail) {
        Headers headers = DeadLetters.headers(record.headers(), reason, detail, source.topic(),
                source.partition(), source.offset(), context.currentSystemTimeMs());
        context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers),
                IngestTopology.DLQ_SINK);
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 61) + "...";
    }
}
