package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.streamtune.broker.BrokerConfig;
import dev.streamtune.broker.EmbeddedKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code streamtune ingest} alone against a running cluster. */
class IngestCommandTest {
    @Test
    void runsTheStageUntilStopped(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(BrokerConfig.forTests(dir.resolve("kafka")))) {
            Path state = dir.resolve("ingest-state");
            RunningCommand ingest = RunningCommand.start(new IngestCommand(), "--bootstrap", broker.bootstrapServers(),
                    "--state-dir", state.toString(), "--max-wait", "1", "--stream-threads", "2");
            List<String> printed = ingest.linesUntilReady();
            assertEquals(1, printed.size(), printed.toString());
            assertTrue(printed.get(0).startsWith("ingest: exactly_once_v2 on " + broker.bootstrapServers()
                    + ", 2 stream thread(s)"), printed.get(0));
            UpCommandTest.assertIngestRunsInside(broker.bootstrapServers());
            assertEquals(0, ingest.stop(), ingest.err().toString());
            assertTrue(Files.isDirectory(state), "no state directory at " + state);
        }
    }

    @Test
    void badOptionValuesAreOneLine() {
        CommandLineErrorsTest.Run run = CommandLineErrorsTest.run("ingest", "--max-wait", "soon");
        assertEquals(2, run.exitCode());
        CommandLineErrorsTest.assertOneLine(run.err(), "--max-wait: 'soon' is not a duration");
        CommandLineErrorsTest.Run threads = CommandLineErrorsTest.run("ingest", "--stream-threads", "0");
        assertEquals(2, threads.exitCode());
        CommandLineErrorsTest.assertOneLine(threads.err(), "streamThreads must be at least 1, got 0");
    }
}
