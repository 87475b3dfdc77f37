package dev.streamtune.ingest;

import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.FeedbackValidator;
import dev.streamtune.contracts.Reason;
import dev.streamtune.contracts.SourceOffset;
import dev.streamtune.contracts.TrainingBatch.CloseReason;
import dev.streamtune.ingest.LedgerEntry.Outcome;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
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
 * <p>State: each valid event (accepted or rate-limited) gets the task's next ledger entry number
 * and costs one write to each of two stores: its {@link LedgerEntry} appended to the open
 * {@link LedgerChunk} of the ledger (changelogged through a record cache, so the changelog gets one
 * record per chunk and commit, not one per event), and its id at its stream time into the id index
 * (a window store over the dedupe window, not changelogged, expiring by whole segments). Each
 * closed batch costs one more write, the adapter's next batch sequence in the cursor store. The open
 * batches, the rate-limit counts and the id filter live in memory; they and, when it does not match
 * the ledger, the id index are rebuilt from the ledger and the cursors when the task starts (an open
 * batch's examples from its events' input records, read back by offset), so a crash loses nothing:
 * under exactly-once, store changelogs, outputs and input offsets commit atomically, and the index
 * is never trusted beyond what the ledger holds.
 */
final class IngestProcessor implements Processor<byte[], byte[], byte[], byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(IngestProcessor.class);

    private final IngestConfig config;
    private final RememberedReadings remembered;
    private final FeedbackValidator validator;
    private final HoldoutSplit holdout;
    private final RateLimiter rateLimiter;
    private final Map<String, OpenBatch> openBatches = new HashMap<>();
    private final Map<String, Long> nextSequences = new HashMap<>();
    private final long dedupeWindowMs;
    /** Memory the dedupe filter of one task may use; past it, lookups of the newest hours go to the store. */
    static final long SEEN_IDS_MAX_BYTES = 32L << 20;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, byte[]> ledger;
    private WindowStore<String, byte[]> idIndex;
    private KeyValueStore<String, Long> cursors;
    /** The chunk new entries go to; not yet in {@link #storedChunks}. */
    private LedgerChunk.Builder openChunk;
    /** The ledger's other chunks, oldest first: key and newest entry's stream time, to drop them when expired. */
    private final ArrayDeque<long[]> storedChunks = new ArrayDeque<>();
    /** Ids the ledger may hold, rebuilt from it in {@link #init}: a new id skips the store lookup. */
    private SeenIds seenIds;

    IngestProcessor(IngestConfig config) {
        this(config, null);
    }

    /** With {@code remembered}, each record's {@link #read} is taken from it when it holds one (benchmark only). */
    IngestProcessor(IngestConfig config, RememberedReadings remembered) {
        this.config = config;
        this.remembered = remembered;
        this.validator = new FeedbackValidator(config.limits());
        this.holdout = new HoldoutSplit(config.holdoutPerMille());
        this.rateLimiter = new RateLimiter(config.rateLimit());
        this.dedupeWindowMs = config.dedupeWindow().toMillis();
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.ledger = context.getStateStore(IngestTopology.LEDGER_STORE);
        this.idIndex = context.getStateStore(IngestTopology.SEEN_IDS_STORE);
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
        Reading reading = remembered == null ? read(record, source)
                : remembered.get(source.partition(), source.offset(), () -> read(record, source));
        if (reading.refusal() != null) {
            deadLetter(record, source, reading.refusal(), reading.detail());
            return;
        }
        String eventId = reading.eventId();
        String adapter = reading.adapter();
        String user = reading.user();
        List<byte[]> examples = reading.examples();
        if (OpenBatch.sizeOf(examples) + OpenBatch.ENVELOPE_BYTES > config.batch().maxBytes()) {
            deadLetter(record, source, Reason.OVERSIZE_EVENT.code(), "its training examples take "
                    + OpenBatch.sizeOf(examples) + " bytes, more than a batch holds ("
                    + config.batch().maxBytes() + ")");
            return;
        }

        long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
        if (isDuplicate(eventId, streamTime)) {
            return;
        }
        long hour = RateLimiter.hourOf(streamTime);
        String refusal = rateLimiter.admit(adapter, user, hour, examples.size());
        if (refusal != null) {
            putLedger(eventId, LedgerEntry.notBatched(Outcome.RATE_LIMITED, adapter,
                    user, examples.size()).encode(), streamTime);
            deadLetter(record, source, Reason.RATE_LIMITED.code(), refusal);
            return;
        }

        byte[] adapterKey = adapter.getBytes(StandardCharsets.UTF_8);
        if (holdout.isHeldOut(eventId)) {
            putLedger(eventId, LedgerEntry.notBatched(Outcome.HOLDOUT, adapter, user,
                    examples.size()).encode(), streamTime);
            for (byte[] example : examples) {
                context.forward(new Record<>(adapterKey, example, record.timestamp()), IngestTopology.HOLDOUT_SINK);
            }
            return;
        }
        addToBatch(eventId, adapter, user, examples, source, streamTime, record.timestamp());
    }

    /**
     * What {@code record} holds: validated, key and allow-list checked, expanded into its examples (redacted);
     * or why it goes to the dead-letter topic. A deterministic function of the record, its position and the
     * config.
     */
    private Reading read(Record<byte[], byte[]> record, RecordMetadata source) {
        try {
            var result = validator.validate(record.value());
            if (!result.isValid()) {
                return Reading.refused(result.primaryReason().code(), result.describe());
            }
            FeedbackEvent event = result.event();
            String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
            if (!event.adapter().equals(key)) {
                return Reading.refused(Reason.INVALID_ADAPTER.code(), "record key "
                        + (key == null ? "is missing" : "'" + abbreviate(key) + "'")
                        + " but the adapter is '" + event.adapter() + "': feedback.events is keyed by adapter id");
            }
            if (!config.allowedAdapters().isEmpty() && !config.allowedAdapters().contains(event.adapter())) {
                return Reading.refused(Reason.UNKNOWN_ADAPTER.code(),
                        "adapter '" + event.adapter() + "' is not trained by this deployment");
            }
            List<byte[]> examples = ExampleExpander.expandSerialised(event, result.verbatim(),
                    new SourceOffset(source.topic(), source.partition(), source.offset()), config.redact());
            return new Reading(event.id(), event.adapter(), event.user(), examples, null, null);
        } catch (RuntimeException e) {
            LOG.error("cannot process {}-{}@{}; dead-lettering it", source.topic(), source.partition(),
                    source.offset(), e);
            return Reading.refused(Reason.PROCESSING_FAILED.code(), e.toString());
        }
    }

    /**
     * An input record read: the event's id, adapter, user and training examples, or, when {@code refusal} is
     * set, the dead-letter reason (a {@link Reason} code) and its detail.
     */
    record Reading(String eventId, String adapter, String user, List<byte[]> examples, String refusal,
            String detail) {
        static Reading refused(String reason, String detail) {
            return new Reading(null, null, null, null, reason, detail);
        }
    }

    private void addToBatch(String eventId, String adapter, String user, List<byte[]> examples, RecordMetadata source,
            long streamTime, long timestamp) {
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
        putLedger(eventId, LedgerEntry.training(adapter, user, open.sequence(), open.events(),
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

    /**
     * Records {@code eventId}'s ledger entry at {@code streamTime}: known to the filter first, then to the
     * id index under its entry number, then appended to the open chunk, which is put again. Drops the
     * chunks that have left the dedupe window.
     */
    private void putLedger(String eventId, byte[] entry, long streamTime) {
        long number = openChunk.key() + openChunk.count();
        seenIds.add(eventId, streamTime);
        idIndex.put(eventId, entryNumber(number), streamTime);
        openChunk.append(eventId, streamTime, entry);
        ledger.put(openChunk.key(), openChunk.toBytes());
        if (openChunk.count() == IngestTopology.LEDGER_CHUNK_ENTRIES) {
            storedChunks.addLast(new long[] {openChunk.key(), openChunk.newestTimestamp()});
            openChunk = new LedgerChunk.Builder(number + 1);
        }
        long expired = streamTime - dedupeWindowMs;
        while (!storedChunks.isEmpty() && storedChunks.peekFirst()[1] < expired) {
            ledger.put(storedChunks.pollFirst()[0], null);
        }
    }

    private boolean isDuplicate(String eventId, long streamTime) {
        long from = streamTime - dedupeWindowMs;
        if (!seenIds.mightContain(eventId, from)) {
            return false; // certainly not in the ledger (see SeenIds)
        }
        try (WindowStoreIterator<byte[]> seen = idIndex.fetch(eventId, from, Long.MAX_VALUE)) {
            return seen.hasNext();
        }
    }

    private static byte[] entryNumber(long number) {
        return ByteBuffer.allocate(Long.BYTES).putLong(number).array();
    }

    /**
     * Rebuilds what is kept in memory from the stores after restoration: the next batch sequence of
     * each adapter, each adapter's open batch (the ledger's training entries of that sequence, in
     * position order), the rate-limit counts and the id filter; and makes the id index hold exactly the
     * ledger's entries (see {@link #repairIdIndex}).
     */
    private void rebuildFromStores() {
        try (KeyValueIterator<String, Long> all = cursors.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> cursor = all.next();
                nextSequences.put(cursor.key, cursor.value);
            }
        }
        // The last chunk (keys are first entry numbers) holds the last entry and, stream time never going
        // back, the newest: the window's cutoff is known before the one pass over the entries. (Were an older
        // chunk newer, the cutoff would only be earlier: more entries kept, none lost.)
        long lastNumber = -1;
        long cutoff = Long.MIN_VALUE;
        try (KeyValueIterator<Long, byte[]> last = ledger.reverseAll()) {
            if (last.hasNext()) {
                LedgerChunk.Header header = LedgerChunk.header(last.next().value);
                lastNumber = header.lastNumber();
                cutoff = header.newestTimestamp() - dedupeWindowMs;
            }
        }
        openChunk = new LedgerChunk.Builder(lastNumber + 1);
        Map<String, List<LedgerEntry>> openEntries = new HashMap<>();
        IndexDigest live = new IndexDigest();
        try (KeyValueIterator<Long, byte[]> all = ledger.all()) {
            while (all.hasNext()) {
                KeyValue<Long, byte[]> chunk = all.next();
                storedChunks.addLast(new long[] {chunk.key, LedgerChunk.header(chunk.value).newestTimestamp()});
                for (LedgerChunk.Entry item : LedgerChunk.entries(chunk.value)) {
                    LedgerEntry entry = item.entry();
                    if (entry.outcome() == Outcome.TRAINING
                            && entry.batchSequence() == nextSequences.getOrDefault(entry.adapter(), 0L)) {
                        openEntries.computeIfAbsent(entry.adapter(), a -> new ArrayList<>()).add(entry);
                    }
                    if (item.timestamp() < cutoff) {
                        continue; // outside the dedupe window: neither a duplicate nor counted any more
                    }
                    live.add(item.eventId(), item.timestamp(), item.number());
                    seenIds.add(item.eventId(), item.timestamp());
                    if (entry.accepted()) {
                        rateLimiter.record(entry.adapter(), entry.user(), RateLimiter.hourOf(item.timestamp()),
                                entry.exampleCount());
                    }
                }
            }
        }
        repairIdIndex(lastNumber, cutoff, live);
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
        if (live.count > 0) {
            LOG.info("task {}: rebuilt from {} ledger entries in the dedupe window, {} open batches",
                    context.taskId(), live.count, openBatches.size());
        }
    }

    /**
     * Makes the id index hold exactly the ledger's entries from {@code cutoff} on ({@code live}: their
     * count and digest). The index is not changelogged, so it may hold what the ledger does not: entries
     * of a transaction that never committed (entry numbers continue from the last committed one, so
     * theirs are past the ledger's last, {@code lastNumber}), which are deleted; and it may lack entries
     * or hold others, when its files are new or left from an older assignment of the task. So the index
     * is compared with the ledger (count and an order-independent digest of id, time and number over
     * the window) and, unless it matches, emptied and filled from the ledger again.
     */
    private void repairIdIndex(long lastNumber, long cutoff, IndexDigest live) {
        List<Windowed<String>> uncommitted = new ArrayList<>();
        IndexDigest indexed = new IndexDigest();
        try (KeyValueIterator<Windowed<String>, byte[]> all = idIndex.all()) {
            while (all.hasNext()) {
                KeyValue<Windowed<String>, byte[]> item = all.next();
                long number = ByteBuffer.wrap(item.value).getLong();
                if (number > lastNumber) {
                    uncommitted.add(item.key);
                } else if (item.key.window().start() >= cutoff) {
                    indexed.add(item.key.key(), item.key.window().start(), number);
                }
            }
        }
        for (Windowed<String> key : uncommitted) {
            idIndex.put(key.key(), null, key.window().start());
        }
        if (indexed.matches(live)) {
            if (!uncommitted.isEmpty()) {
                LOG.info("task {}: dropped {} ids of uncommitted entries from the id index", context.taskId(),
                        uncommitted.size());
            }
            return;
        }
        long dropped = 0;
        try (KeyValueIterator<Windowed<String>, byte[]> all = idIndex.all()) {
            while (all.hasNext()) {
                Windowed<String> key = all.next().key;
                idIndex.put(key.key(), null, key.window().start());
                dropped++;
            }
        }
        try (KeyValueIterator<Long, byte[]> all = ledger.all()) {
            while (all.hasNext()) {
                for (LedgerChunk.Entry item : LedgerChunk.entries(all.next().value)) {
                    if (item.timestamp() >= cutoff) {
                        idIndex.put(item.eventId(), entryNumber(item.number()), item.timestamp());
                    }
                }
            }
        }
        LOG.info("task {}: id index rebuilt from the ledger ({} entries in the window; it held {} ids there and {}"
                + " of uncommitted entries; {} ids removed)", context.taskId(), live.count, indexed.count,
                uncommitted.size(), dropped + uncommitted.size());
    }

    /** Count and order-independent digest (a sum of hashes) of (id, time, entry number) triples. */
    private static final class IndexDigest {
        long count;
        long sum;

        void add(String eventId, long timestamp, long number) {
            long h = SeenIds.hash(eventId) ^ (timestamp * 0x9E3779B97F4A7C15L) ^ (number * 0xC2B2AE3D27D4EB4FL);
            h ^= h >>> 31;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
            count++;
            sum += h;
        }

        boolean matches(IndexDigest other) {
            return count == other.count && sum == other.sum;
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
