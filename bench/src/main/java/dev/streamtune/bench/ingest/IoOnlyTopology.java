package dev.streamtune.bench.ingest;

import dev.streamtune.contracts.Topics;
import dev.streamtune.ingest.IngestConfig;
import dev.streamtune.ingest.IngestTopology;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Ingest's Kafka I/O with none of its work, for the benchmark: what any implementation of the ingest
 * stage pays on this broker and machine before it parses a byte. Per event it does what ingest does
 * to Kafka and its stores: one put of an id into a local RocksDB window store like ingest's id index,
 * one put of the open ledger chunk (ingest's chunk size and entry size, about {@value #ENTRY_BYTES}
 * bytes an entry) into a changelogged key-value store with a record cache like ingest's ledger, and
 * output of the same volume (examples are about 1.3 times the event's
 * bytes: {@value #OUTPUT_NUMERATOR}/{@value #OUTPUT_DENOMINATOR}), one event in {@value #HOLDOUT_ONE_IN}
 * as holdout records, the rest appended to per-task batches written as records of about
 * {@value #BATCH_BYTES} bytes (ingest's batches of 32 examples). It does not parse, validate, dedupe,
 * rate-limit, redact or expand; the output bytes are the input bytes repeated. Comparing it with the
 * pass-through splits ingest's gap into Kafka's share and the processor's.
 */
public final class IoOnlyTopology {
    static final int OUTPUT_NUMERATOR = 13;
    static final int OUTPUT_DENOMINATOR = 10;
    static final int HOLDOUT_ONE_IN = 10;
    static final int BATCH_BYTES = 45_000;
    private static final int ENTRY_BYTES = 90;

    private IoOnlyTopology() {}

    /** The topology, reading and writing the same topics as ingest, with a store configured as ingest's. */
    public static Topology build(IngestConfig config) {
        ByteArraySerializer bytes = new ByteArraySerializer();
        Topology topology = new Topology();
        topology.addSource(IngestTopology.SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
                Topics.FEEDBACK_EVENTS.name());
        topology.addProcessor(IngestTopology.PROCESSOR, IoOnlyProcessor::new, IngestTopology.SOURCE);
        topology.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(
                IngestTopology.SEEN_IDS_STORE, config.dedupeWindow(), Duration.ofMillis(1), false), Serdes.String(),
                Serdes.ByteArray()).withLoggingDisabled(), IngestTopology.PROCESSOR);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IngestTopology.LEDGER_STORE),
                Serdes.Long(), Serdes.ByteArray()).withCachingEnabled().withLoggingEnabled(Map.of()),
                IngestTopology.PROCESSOR);
        topology.addSink(IngestTopology.HOLDOUT_SINK, Topics.EVAL_HOLDOUT.name(), bytes, bytes,
                IngestTopology.PROCESSOR);
        topology.addSink(IngestTopology.BATCHES_SINK, Topics.TRAINING_BATCHES.name(), bytes, bytes,
                IngestTopology.PROCESSOR);
        return topology;
    }

    private static final class IoOnlyProcessor implements Processor<byte[], byte[], byte[], byte[]> {
        private final ByteArrayOutputStream batch = new ByteArrayOutputStream(BATCH_BYTES + 4096);
        private final byte[] indexValue = new byte[Long.BYTES];
        private ProcessorContext<byte[], byte[]> context;
        private WindowStore<String, byte[]> index;
        private KeyValueStore<Long, byte[]> ledger;
        private long entries;

        @Override
        public void init(ProcessorContext<byte[], byte[]> context) {
            this.context = context;
            this.index = context.getStateStore(IngestTopology.SEEN_IDS_STORE);
            this.ledger = context.getStateStore(IngestTopology.LEDGER_STORE);
        }

        @Override
        public void process(Record<byte[], byte[]> record) {
            long offset = context.recordMetadata().map(m -> m.offset()).orElse(-1L);
            int partition = context.recordMetadata().map(m -> m.partition()).orElse(-1);
            String key = "ev-" + partition + "-" + offset; // unique per record, about an event id's length
            index.put(key, indexValue, record.timestamp());
            long inChunk = entries % IngestTopology.LEDGER_CHUNK_ENTRIES + 1;
            ledger.put(entries - inChunk + 1, new byte[(int) inChunk * ENTRY_BYTES]);
            entries++;
            byte[] value = record.value();
            int extra = value.length * (OUTPUT_NUMERATOR - OUTPUT_DENOMINATOR) / OUTPUT_DENOMINATOR;
            if (offset % HOLDOUT_ONE_IN == 0) {
                byte[] example = Arrays.copyOf(value, value.length + extra);
                System.arraycopy(value, 0, example, value.length, extra);
                context.forward(new Record<>(record.key(), example, record.timestamp()), IngestTopology.HOLDOUT_SINK);
                return;
            }
            batch.write(value, 0, value.length);
            batch.write(value, 0, extra);
            if (batch.size() >= BATCH_BYTES) {
                context.forward(new Record<>(record.key(), batch.toByteArray(), record.timestamp()),
                        IngestTopology.BATCHES_SINK);
                batch.reset();
            }
        }
    }
}
