package dev.streamtune.app;

import dev.streamtune.bench.IngestBenchmark;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamtune bench ingest}: sustained events/s through the ingest topology on an embedded
 * broker (pass-through ceiling, at_least_once, exactly_once_v2, and two bounds: ingest's I/O alone and
 * ingest with its reading free); see {@link IngestBenchmark}.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Measure ingest throughput on an embedded broker: pass-through ceiling, "
                + "at_least_once and exactly_once_v2, and two bounds (I/O only; reading free).")
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

    @Option(names = "--workload", paramLabel = "NAME",
            description = "synthetic (generated, all four kinds, plain ASCII texts) or hh-rlhf (HH-RLHF's real "
                    + "preference chats, repeated with new ids; needs --dataset) (default: synthetic).")
    String workload = "synthetic";

    @Option(names = "--dataset", paramLabel = "FILE",
            description = "The HH-RLHF JSON-lines file for --workload hh-rlhf (default: ${DEFAULT-VALUE}).")
    Path dataset = IngestBenchmark.Options.DEFAULTS.dataset();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        IngestBenchmark.Options options;
        try {
            options = new IngestBenchmark.Options(events, repeats, partitions, streamThreads,
                    IngestBenchmark.Options.DEFAULTS.modes(), workload(), dataset);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        IngestBenchmark.run(options, out);
        return 0;
    }

    private IngestBenchmark.Workload workload() {
        return switch (workload) {
            case "synthetic" -> IngestBenchmark.Workload.SYNTHETIC;
            case "hh-rlhf" -> IngestBenchmark.Workload.HH_RLHF;
            default -> throw new IllegalArgumentException(
                    "--workload must be synthetic or hh-rlhf, got '" + workload + "'");
        };
    }
}
