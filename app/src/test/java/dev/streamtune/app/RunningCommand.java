package dev.streamtune.app;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PipedReader;
import java.io.PipedWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/** A long-running command ({@code up}, {@code ingest}) on a background thread, its output read line by line. */
record RunningCommand(LongRunningCommand command, BufferedReader lines, StringWriter err,
        CompletableFuture<Integer> exit) {

    static RunningCommand start(LongRunningCommand command, String... args) throws IOException {
        CommandLine commandLine = new CommandLine(command); // our own instance, so the test can stop it
        PipedWriter pipe = new PipedWriter();
        BufferedReader lines = new BufferedReader(new PipedReader(pipe, 1 << 16));
        commandLine.setOut(new PrintWriter(pipe, true));
        StringWriter err = new StringWriter();
        commandLine.setErr(new PrintWriter(err, true));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
            try (pipe) { // closing it ends the reader's lines if the command fails before "ready"
                return commandLine.execute(args);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return new RunningCommand(command, lines, err, exit);
    }

    /** The lines before "ready"; fails with the command's stderr if it exits first. */
    List<String> linesUntilReady() throws IOException {
        List<String> printed = new ArrayList<>();
        for (String line = lines.readLine(); !"ready".equals(line); line = lines.readLine()) {
            assertTrue(line != null, () -> "exited before ready: " + err);
            printed.add(line);
        }
        return printed;
    }

    /** Stops it as Ctrl-C would and returns its exit code. */
    int stop() throws Exception {
        command.stopAndAwait();
        return exit.get(30, TimeUnit.SECONDS);
    }
}
