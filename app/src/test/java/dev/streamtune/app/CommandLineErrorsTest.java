package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad arguments give one clear line on stderr and a non-zero exit, never a stack trace. */
class CommandLineErrorsTest {
    record Run(int exitCode, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = StreamtuneCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run run = run("--help");
        assertEquals(0, run.exitCode());
        for (String command : new String[] {"up", "produce", "topics", "bench"}) {
            assertTrue(run.out().contains("  " + command + " "), command + " missing from:\n" + run.out());
        }
    }

    @Test
    void missingFileIsOneLineAndExit2(@TempDir Path dir) {
        Run run = run("produce", "--file", dir.resolve("missing.jsonl").toString());
        assertEquals(2, run.exitCode());
        assertOneLine(run.err(), "file not found");
    }

    @Test
    void negativePartitionsIsOneLineAndExit2() {
        Run run = run("up", "--partitions", "-1");
        assertEquals(2, run.exitCode());
        assertOneLine(run.err(), "--partitions must be at least 1, got -1");
    }

    @Test
    void outOfRangePortIsOneLineAndExit2() {
        Run run = run("up", "--http-port", "70000");
        assertEquals(2, run.exitCode());
        assertOneLine(run.err(), "--http-port must be between 0 and 65535");
    }

    @Test
    void nestedCommandsAreNamedInFull() {
        Run run = run("bench", "ingest", "--stream-threads", "0");
        assertEquals(2, run.exitCode());
        assertOneLine(run.err(), "streamtune bench ingest: streamThreads must be at least 1, got 0 "
                + "(see 'streamtune bench ingest --help')");
    }

    @Test
    void anUnknownIngestWorkloadOrAMissingDatasetIsOneLine() {
        Run unknown = run("bench", "ingest", "--workload", "real");
        assertEquals(2, unknown.exitCode());
        assertOneLine(unknown.err(), "streamtune bench ingest: --workload must be synthetic or hh-rlhf, got 'real' "
                + "(see 'streamtune bench ingest --help')");
        Run missing = run("bench", "ingest", "--workload", "hh-rlhf", "--dataset", "no/such.jsonl.gz");
        assertEquals(2, missing.exitCode());
        assertOneLine(missing.err(), "streamtune bench ingest: the hh-rlhf workload reads no/such.jsonl.gz, "
                + "which is not a file (see 'streamtune bench ingest --help')");
    }

    @Test
    void unknownOptionIsOneLineAndExit2() {
        Run run = run("topics", "--colour");
        assertEquals(2, run.exitCode());
        assertOneLine(run.err(), "Unknown option: '--colour'");
    }

    @Test
    void unreachableKafkaIsOneLineAndExit1() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        Run run = run("topics", "--bootstrap", "127.0.0.1:1");
        assertEquals(1, run.exitCode());
        assertOneLine(run.err(), "cannot reach Kafka at 127.0.0.1:1");
    }

    static void assertOneLine(String err, String expected) {
        String trimmed = err.strip();
        assertTrue(trimmed.contains(expected), "expected '" + expected + "' in:\n" + err);
        assertEquals(1, trimmed.lines().count(), "expected one line, got:\n" + err);
    }
}
