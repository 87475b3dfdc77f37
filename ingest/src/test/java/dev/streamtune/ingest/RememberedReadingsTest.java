package dev.streamtune.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.streamtune.contracts.TrainingBatch;
import dev.streamtune.contracts.TrainingExample;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's reading-free topology: ingest's outputs, with each record read once per position. */
class RememberedReadingsTest {
    private static final String ADAPTER = "email-drafting";

    @TempDir Path stateDir;

    private IngestConfig config() {
        return Harness.defaults(stateDir).withHoldoutPerMille(0);
    }

    /** Valid events of every kind, an invalid record, a duplicate and a mis-keyed event. */
    private static void sendMix(Harness ingest) {
        ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
        ingest.send(Events.correction("b", ADAPTER, "u-2"));
        ingest.send(ADAPTER, Events.utf8("{\"schema\": \"streamtune.feedback/v1\", "));
        ingest.send(Events.preference("c", ADAPTER, "u-1"));
        ingest.send(Events.demonstration("a", ADAPTER, "u-1"));
        ingest.send("meeting-notes", Events.bytes(Events.rating("d", ADAPTER, "u-3", 1)));
        ingest.send(Events.rating("e", ADAPTER, "u-3", -1));
    }

    /** What a run over {@link #sendMix} wrote: example ids in batch order, then dead letters' reasons. */
    private List<String> outputs(Function<IngestConfig, Topology> topology) {
        IngestConfig config = config();
        try (Harness ingest = new Harness(config, topology.apply(config))) {
            sendMix(ingest);
            ingest.advanceWallClock(config.batch().maxWait());
            List<String> written = new ArrayList<>();
            for (TrainingBatch batch : ingest.batches.readValuesToList()) {
                batch.examples().stream().map(TrainingExample::exampleId).forEach(written::add);
            }
            for (TestRecord<byte[], byte[]> letter : ingest.readDeadLetters()) {
                written.add(Harness.reason(letter));
            }
            return written;
        }
    }

    @Test
    void aRunThatRemembersAndARunThatReusesWriteWhatIngestWrites() {
        List<String> ingest = outputs(IngestTopology::build);
        RememberedReadings readings = new RememberedReadings();

        List<String> first = outputs(config -> IngestTopology.buildRememberingReadings(config, readings));
        assertEquals(7, readings.size(), "one reading per record, the invalid and duplicate ones included");
        List<String> second = outputs(config -> IngestTopology.buildRememberingReadings(config, readings));

        assertEquals(List.of("a#0", "b#0", "b#1", "c#0", "e#0", "unparsable", "invalid-adapter"), ingest);
        assertEquals(ingest, first);
        assertEquals(ingest, second);
        assertEquals(7, readings.size());
    }

    @Test
    void aRememberedReadingStandsInForTheRecordAtItsPosition() {
        RememberedReadings readings = new RememberedReadings();
        IngestConfig config = config();
        try (Harness first = new Harness(config, IngestTopology.buildRememberingReadings(config, readings))) {
            first.send(Events.demonstration("remembered", ADAPTER, "u-1"));
        }
        // Another record at the same position: its bytes are not read, the remembered reading is used.
        try (Harness second = new Harness(config, IngestTopology.buildRememberingReadings(config, readings))) {
            second.send(ADAPTER, "not even JSON".getBytes(StandardCharsets.UTF_8));
            second.advanceWallClock(config.batch().maxWait());
            List<TrainingBatch> batches = second.batches.readValuesToList();
            assertEquals(1, batches.size());
            assertEquals("remembered", batches.get(0).examples().get(0).eventId());
            assertEquals(List.of(), second.readDeadLetters());
        }
    }
}
