package dev.streamtune.ingest;

import dev.streamtune.contracts.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The ingest topology, built by a pure function of {@link IngestConfig}:
 *
 * <pre>
 * feedback.events (raw bytes) ─► ingest ─┬─► feedback.dlq      invalid, wrongly keyed, unknown adapter, rate-limited
 *                                        ├─► eval.holdout      examples of held-out events
 *                                        └─► training.batches  batches per adapter, in order
 *          stores: ingest-ledger-chunks (the ledger, per entry number), ingest-seen-ids (window, per event id,
 *                  local), ingest-batch-cursors (per adapter)
 * </pre>
 *
 * <p>{@code feedback.events} is read as bytes, so a record that is not an event is dead-lettered
 * with its original bytes and headers instead of failing deserialisation.
 */
public final class IngestTopology {
    /** Source node reading {@code feedback.events}. */
    public static final String SOURCE = "feedback-events";
    /** The processor doing validation, dedupe, rate limits, expansion, holdout and batching. */
    public static final String PROCESSOR = "ingest";
    public static final String DLQ_SINK = "dead-letters";
    public static final String HOLDOUT_SINK = "holdout-examples";
    public static final String BATCHES_SINK = "training-batches";
    /**
     * Key-value store, changelogged through a record cache: the ledger, one {@link LedgerEntry} per accepted or
     * rate-limited event, in {@link LedgerChunk}s keyed by their first entry's number.
     */
    public static final String LEDGER_STORE = "ingest-ledger-chunks";
    /**
     * Window store, not changelogged: each ledger entry's event id at its stream time, for the dedupe lookup;
     * rebuilt from the ledger when it does not match it (see {@link IngestProcessor}).
     */
    public static final String SEEN_IDS_STORE = "ingest-seen-ids";
    /**
     * Entries per ledger chunk. The open chunk is copied into the store's cache after every entry, so its
     * size trades that copy (about 90 bytes an entry) against changelog records (one per chunk and commit
     * at least): 16 makes the copy a few hundred bytes per event and the records a sixteenth.
     */
    public static final int LEDGER_CHUNK_ENTRIES = 16;
    /** Key-value store: per adapter, the sequence number of its next batch. */
    public static final String CURSOR_STORE = "ingest-batch-cursors";

    private IngestTopology() {}

    /** The topology for {@code config}; building it has no side effects. */
    public static Topology build(IngestConfig config) {
        return build(config, null);
    }

    /**
     * For the benchmark only: the topology for {@code config}, taking each input record's reading
     * (validation, expansion, redaction) from {@code readings} when it holds one, and remembering it there
     * when not (see {@link RememberedReadings}).
     */
    public static Topology buildRememberingReadings(IngestConfig config, RememberedReadings readings) {
        return build(config, Objects.requireNonNull(readings, "readings"));
    }

    private static Topology build(IngestConfig config, RememberedReadings readings) {
        ByteArraySerializer bytes = new ByteArraySerializer();
        Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Topics.FEEDBACK_EVENTS.name());
        topology.addProcessor(PROCESSOR, () -> new IngestProcessor(config, readings), SOURCE);
        topology.addStateStore(ledgerStore(config), PROCESSOR);
        topology.addStateStore(seenIdsStore(config), PROCESSOR);
        topology.addStateStore(cursorStore(config), PROCESSOR);
        topology.addSink(DLQ_SINK, Topics.FEEDBACK_DLQ.name(), bytes, bytes, PROCESSOR);
        topology.addSink(HOLDOUT_SINK, Topics.EVAL_HOLDOUT.name(), bytes, bytes, PROCESSOR);
        topology.addSink(BATCHES_SINK, Topics.TRAINING_BATCHES.name(), bytes, bytes, PROCESSOR);
        return topology;
    }

    /**
     * A read-write-nothing-else topology over the same topics: the throughput ceiling the broker and
     * machine allow, for the benchmark.
     */
    public static Topology passThrough() {
        Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Topics.FEEDBACK_EVENTS.name());
        topology.addSink(BATCHES_SINK, Topics.TRAINING_BATCHES.name(), new ByteArraySerializer(),
                new ByteArraySerializer(), SOURCE);
        return topology;
    }

    /**
     * The ledger: changelogged, with a record cache, so that putting the open chunk after each entry sends
     * one changelog record per chunk and commit instead of one per event.
     */
    private static StoreBuilder<KeyValueStore<Long, byte[]>> ledgerStore(IngestConfig config) {
        KeyValueBytesStoreSupplier supplier = switch (config.stateStore()) {
            case ROCKSDB -> Stores.persistentKeyValueStore(LEDGER_STORE);
            case IN_MEMORY -> Stores.inMemoryKeyValueStore(LEDGER_STORE);
        };
        return Stores.keyValueStoreBuilder(supplier, Serdes.Long(), Serdes.ByteArray()).withCachingEnabled()
                .withLoggingEnabled(Map.of());
    }

    /** The id index: a window store over the dedupe window, local only (the ledger is its source). */
    private static StoreBuilder<WindowStore<String, byte[]>> seenIdsStore(IngestConfig config) {
        Duration retention = config.dedupeWindow();
        Duration windowSize = Duration.ofMillis(1);
        WindowBytesStoreSupplier supplier = switch (config.stateStore()) {
            case ROCKSDB -> Stores.persistentWindowStore(SEEN_IDS_STORE, retention, windowSize, false);
            case IN_MEMORY -> Stores.inMemoryWindowStore(SEEN_IDS_STORE, retention, windowSize, false);
        };
        return Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.ByteArray()).withLoggingDisabled();
    }

    private static StoreBuilder<KeyValueStore<String, Long>> cursorStore(IngestConfig config) {
        KeyValueBytesStoreSupplier supplier = switch (config.stateStore()) {
            case ROCKSDB -> Stores.persistentKeyValueStore(CURSOR_STORE);
            case IN_MEMORY -> Stores.inMemoryKeyValueStore(CURSOR_STORE);
        };
        return Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Long());
    }
}
