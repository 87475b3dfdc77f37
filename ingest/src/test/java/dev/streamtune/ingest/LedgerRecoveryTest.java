package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.contracts.FeedbackEvent;
import dev.streamtune.contracts.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ledger (chunks, changelogged) and the id index (local only): the chunks carry every entry in
 * order, and a task started on stores it used before makes the index hold exactly the ledger's entries.
 */
class LedgerRecoveryTest {
    private static final String ADAPTER = "email-drafting";

    @TempDir Path stateDir;

    private IngestConfig config() {
        return Harness.defaults(stateDir).withHoldoutPerMille(0);
    }

    @Test
    void aRestartedTaskDropsIdsOfEntriesTheLedgerDoesNotHold() {
        Task task = new Task(Harness.defaults(stateDir).withHoldoutPerMille(1000));
        // as if a transaction that never committed had recorded "ghost" (the next entry number) in the index
        task.index.put("ghost", ByteBuffer.allocate(Long.BYTES).putLong(2).array(), timeOf(task.index, "a"));
        task.restart();
        assertFalse(holds(task.index, "ghost"), "an id the ledger does not hold was dropped");
        assertTrue(holds(task.index, "a") && holds(task.index, "b"));
        task.send(Events.demonstration("ghost", ADAPTER, "u-3"), 2);
        assertEquals(1, task.context.forwarded().size(), "ghost is new: its example is held out");
    }

    @Test
    void aRestartedTaskIndexesAgainTheIdsTheIndexLost() {
        Task task = new Task(Harness.defaults(stateDir).withHoldoutPerMille(1000));
        task.index.put("a", null, timeOf(task.index, "a")); // as if the index files were older than the ledger
        task.restart();
        assertTrue(holds(task.index, "a") && holds(task.index, "b"), "the ledger's ids are all indexed again");
        task.send(Events.demonstration("a", ADAPTER, "u-1"), 2);
        assertTrue(task.context.forwarded().isEmpty(), "a is a duplicate: nothing out");
    }

    /**
     * One task's processor on stores that outlive it, as a restart on the same machine finds them; every
     * event is held out, so that no batch is open (a restart would read its events back from the broker).
     * It has seen "a" and "b".
     */
    private static final class Task {
        final IngestConfig config;
        final MockProcessorContext<byte[], byte[]> context;
        final WindowStore<String, byte[]> index;
        IngestProcessor processor;

        Task(IngestConfig config) {
            this.config = config;
            this.context = new MockProcessorContext<>(config.streamsProperties());
            this.index = Stores.windowStoreBuilder(Stores.inMemoryWindowStore(IngestTopology.SEEN_IDS_STORE,
                    config.dedupeWindow(), Duration.ofMillis(1), false), Serdes.String(), Serdes.ByteArray())
                    .withLoggingDisabled().build();
            KeyValueStore<Long, byte[]> ledger = Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore(IngestTopology.LEDGER_STORE), Serdes.Long(), Serdes.ByteArray())
                    .withLoggingDisabled().build();
            KeyValueStore<String, Long> cursors = Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore(IngestTopology.CURSOR_STORE), Serdes.String(), Serdes.Long())
                    .withLoggingDisabled().build();
            for (StateStore store : List.<StateStore>of(ledger, index, cursors)) {
                store.init(context.getStateStoreContext(), store);
                context.addStateStore(store);
            }
            restart();
            send(Events.demonstration("a", ADAPTER, "u-1"), 0);
            send(Events.demonstration("b", ADAPTER, "u-2"), 1);
        }

        /** A new processor for the task, initialised on the same stores. */
        void restart() {
            processor = new IngestProcessor(config);
            processor.init(context);
            context.resetForwards();
        }

        void send(FeedbackEvent event, long offset) {
            long time = Harness.START.toEpochMilli() + offset;
            context.setRecordMetadata(Topics.FEEDBACK_EVENTS.name(), 0, offset);
            context.setCurrentStreamTimeMs(time);
            processor.process(new Record<>(event.adapter().getBytes(StandardCharsets.UTF_8), Events.bytes(event),
                    time));
        }
    }

    @ParameterizedTest
    @EnumSource(IngestConfig.StateStoreKind.class)
    void everyAcceptedEventIsAnEntryOfTheChunksInOrderAndARepeatIsNone(IngestConfig.StateStoreKind stores) {
        int events = 3 * IngestTopology.LEDGER_CHUNK_ENTRIES + 5;
        try (Harness ingest = new Harness(config().withStateStore(stores))) {
            for (int i = 0; i < events; i++) {
                ingest.send(Events.demonstration("e-" + i, ADAPTER, "u-" + i));
            }
            ingest.send(Events.demonstration("e-7", ADAPTER, "u-7")); // a duplicate: found in the id index
            KeyValueStore<Long, byte[]> ledger = ingest.driver.getKeyValueStore(IngestTopology.LEDGER_STORE);
            long expectedNumber = 0;
            int chunks = 0;
            try (KeyValueIterator<Long, byte[]> all = ledger.all()) {
                while (all.hasNext()) {
                    KeyValue<Long, byte[]> chunk = all.next();
                    assertEquals(expectedNumber, chunk.key.longValue(), "a chunk is keyed by its first entry");
                    for (LedgerChunk.Entry entry : LedgerChunk.entries(chunk.value)) {
                        assertEquals(expectedNumber, entry.number());
                        assertEquals("e-" + expectedNumber, entry.eventId());
                        assertEquals("u-" + expectedNumber, entry.entry().user());
                        expectedNumber++;
                    }
                    chunks++;
                }
            }
            assertEquals(events, expectedNumber);
            assertEquals(4, chunks, "chunks of " + IngestTopology.LEDGER_CHUNK_ENTRIES + " entries");
        }
    }

    private static long timeOf(WindowStore<String, byte[]> index, String id) {
        try (WindowStoreIterator<byte[]> found = index.fetch(id, 0, Long.MAX_VALUE)) {
            assertTrue(found.hasNext(), id + " is indexed");
            return found.next().key;
        }
    }

    private static boolean holds(WindowStore<String, byte[]> index, String id) {
        try (WindowStoreIterator<byte[]> found = index.fetch(id, 0, Long.MAX_VALUE)) {
            return found.hasNext();
        }
    }
}
