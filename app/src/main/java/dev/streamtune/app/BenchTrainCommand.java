package dev.streamtune.app;

import dev.streamtune.bench.train.PeerRun;
import dev.streamtune.bench.train.TrainBenchmark;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code streamtune bench train}: LoRA SFT tokens/s of the model core against a PyTorch eager peer on the
 * same model, data and optimizer, with achieved FLOP/s against the measured GEMM peak; see
 * {@link TrainBenchmark} and docs/benchmarks.md.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Measure LoRA SFT training tokens/s against a PyTorch eager peer (alternating runs).",
                "The peer needs Debian's torch and OpenBLAS: " + PeerRun.INSTALL})
final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--configs", split = ",", paramLabel = "NAME",
            description = "Configs to run, comma-separated: small, medium (default: ${DEFAULT-VALUE}).")
    List<String> configs = List.of("small", "medium");

    @Option(names = "--runs", paramLabel = "N",
            description = "Runs per side and config; min, median and max are reported (default: ${DEFAULT-VALUE}).")
    int runs = 5;

    @Option(names = "--steps", paramLabel = "N",
            description = "Timed steps per run (default: each config's own, 16 small / 6 medium).")
    int steps;

    @Option(names = "--warmup", paramLabel = "N",
            description = "Warm-up steps per run (default: each config's own, 3 small / 2 medium).")
    int warmup;

    @Option(names = "--python", paramLabel = "PATH",
            description = "Python with torch for the peer (default: ${DEFAULT-VALUE}).")
    String python = "/usr/bin/python3";

    @Option(names = "--peer-script", paramLabel = "FILE",
            description = "The peer script (default: bench/src/main/python/train_peer.py of this checkout).")
    Path peerScript;

    @Option(names = "--no-peer", description = "Measure streamtune only.")
    boolean noPeer;

    @Option(names = "--gemm-size", paramLabel = "N",
            description = "n of the n x n float32 matmul that measures the GEMM peak (default: ${DEFAULT-VALUE}).")
    int gemmSize = 2048;

    @Option(names = "--peer-openblas-coretype", paramLabel = "NAME",
            description = "OPENBLAS_CORETYPE for the peer, e.g. SkylakeX for OpenBLAS's AVX-512 kernels "
                    + "(default: inherited from the environment).")
    String peerOpenblasCoretype;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Where the shared model/data directories go (default: a new temporary directory).")
    Path workDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (runs < 1 || gemmSize < 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be >= 1 and --gemm-size >= 64");
        }
        for (String c : configs) {
            if (!c.equals("small") && !c.equals("medium")) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "unknown config '" + c + "' (known: small, medium)");
            }
        }
        Path script = peerScript != null ? peerScript : TrainBenchmark.locatePeerScript(
                Path.of(BenchTrainCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
        Path work = workDir != null ? workDir : Files.createTempDirectory("streamtune-bench-train");
        PrintStream out = System.out;
        new TrainBenchmark(new TrainBenchmark.Options(configs, runs, warmup, steps, noPeer ? null : python, script,
                gemmSize, work, peerOpenblasCoretype), out).run();
        return 0;
    }
}
