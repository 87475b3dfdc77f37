package dev.streamtune.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code streamtune bench}: benchmarks that print figures (they are not tests). */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Run a benchmark and print its figures.",
        subcommands = {BenchIngestCommand.class, BenchTrainCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
