package dev.streamtune.app;

import dev.streamtune.bench.IngestBenchmark;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamtune bench ingest}: sustained events/s through the ingest topology on an embedded
 * broker (pass-through ceiling, at_least_once, exactly_once_v2); see {@link IngestBenchmark}.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Measure ingest throughput on an embedded broker: pass-through ceiling, "
                + "at_least_once and exactly_once_v2.")
final class BenchIngestCommand implements Callable<Integer> {
    @Option(names = "--events", paramLabel = "N",
            description = "Events to pre-load and drain per run (default: ${DEFAULT-VALUE}).")
    int events = IngestBenchmark.Options.DEFAULTS.events();

    @Option(names = "--repeats", paramLabel = "N",
            description = "Runs of each configuration; min, median and max are reported (default: ${DEFAULT-VALUE}).")
    int repeats = IngestBenchmark.Options.DEFAULTS.repeats();

    @Option(names = "--partitions", paramLabel = "N",
            description = "Partitions of feedback.events (default: ${DEFAULT-VALUE}).")
    int partitions = IngestBenchmark.Options.DEFAULTS.partitions();

    @Option(names = "--stream-threads", paramLabel = "N",
            description = "Stream threads of every configuration, the pass-through's too (default: ${DEFAULT-VALUE}).")
    int streamThreads = IngestBenchmark.Options.DEFAULTS.streamThreads();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        IngestBenchmark.Options options;
        try {
            options = new IngestBenchmark.Options(events, repeats, partitions, streamThreads,
                    IngestBenchmark.Options.DEFAULTS.modes());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        IngestBenchmark.run(options, out);
        return 0;
    }
}
