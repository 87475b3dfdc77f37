package dev.streamtune.ingest;

import dev.streamtune.contracts.Topics;
import java.time.Duration;
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
 *          stores: ingest-ledger (window, per event id), ingest-batch-cursors (per adapter)
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
    /** Window store: one {@link LedgerEntry} per accepted or rate-limited event id. */
    public static final String LEDGER_STORE = "ingest-ledger";
    /** Key-value store: per adapter, the sequence number of its next batch. */
    public static final String CURSOR_STORE = "ingest-batch-cursors";

    private IngestTopology() {}

    /** The topology for {@code config}; building it has no side effects. */
    public static Topology build(IngestConfig config) {
        ByteArraySerializer bytes = new ByteArraySerializer();
        Topology topology = new Topology();
        topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Topics.FEEDBACK_EVENTS.name());
        topology.addProcessor(PROCESSOR, () -> new IngestProcessor(config), SOURCE);
        topology.addStateStore(ledgerStore(config), PROCESSOR);
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

    private static StoreBuilder<WindowStore<String, byte[]>> ledgerStore(IngestConfig config) {
        Duration retention = config.dedupeWindow();
        Duration windowSize = Duration.ofMillis(1);
        WindowBytesStoreSupplier supplier = switch (config.stateStore()) {
            case ROCKSDB -> Stores.persistentWindowStore(LEDGER_STORE, retention, windowSize, false);
            case IN_MEMORY -> Stores.inMemoryWindowStore(LEDGER_STORE, retention, windowSize, false);
        };
        return Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.ByteArray()).withLoggingEnabled(
                java.util.Map.of());
    }

    private static StoreBuilder<KeyValueStore<String, Long>> cursorStore(IngestConfig config) {
        KeyValueBytesStoreSupplier supplier = switch (config.stateStore()) {
            case ROCKSDB -> Stores.persistentKeyValueStore(CURSOR_STORE);
            case IN_MEMORY -> Stores.inMemoryKeyValueStore(CURSOR_STORE);
        };
        return Stores.keyValueStoreBuilder(supplier, Serdes.String(), Serdes.Long());
    }
}
