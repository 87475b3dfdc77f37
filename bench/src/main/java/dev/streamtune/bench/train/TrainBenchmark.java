package dev.streamtune.bench.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.streamtune.model.CpuTuning;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code streamtune bench train}: LoRA SFT tokens/s of the model core against a PyTorch eager peer on the same
 * model, data and optimizer, in alternating runs (streamtune, peer, streamtune, peer, ...), with achieved
 * FLOP/s against each side's measured GEMM peak. See docs/benchmarks.md for how to read the figures.
 */
public final class TrainBenchmark {
    /** Targets of issue #5: tokens/s ratio per config, and share of GEMM peak on medium. */
    private static final double SMALL_RATIO_TARGET = 1.2;
    private static final double MEDIUM_RATIO_TARGET = 1.1;
    private static final double MEDIUM_PEAK_TARGET = 0.65;

    /**
     * @param configs     config names (small, medium)
     * @param runs        runs per side and config
     * @param warmup      warm-up steps per run (≤ 0: the config's)
     * @param steps       timed steps per run (≤ 0: the config's)
     * @param python      python with torch for the peer, or null for no peer
     * @param peerScript  train_peer.py
     * @param gemmSize    n of the n×n GEMM peak measurement
     * @param workRoot    where the work directories go
     * @param peerOpenblasCoretype OPENBLAS_CORETYPE for the peer (e.g. SkylakeX), or null to inherit
     */
    public record Options(List<String> configs, int runs, int warmup, int steps, String python, Path peerScript,
                          int gemmSize, Path workRoot, String peerOpenblasCoretype) {}

    /** Figures of one config. */
    public record ConfigResult(TrainWorkload workload, List<RunResult> streamtune, List<RunResult> peer,
                               double streamtunePeak, double peerPeak) {}

    private final Options options;
    private final PrintStream out;

    public TrainBenchmark(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs every config and prints the tables; returns the results. */
    public List<ConfigResult> run() throws IOException {
        long started = System.nanoTime();
        CpuTuning.Status mkl = CpuTuning.apply(); // before libtorch loads
        Engine.getInstance(); // loads libtorch so that thread settings can be read
        int threads = JniUtils.getNumThreads();
        out.printf("streamtune: DJL %s, libtorch %s, %d intra-op / %d inter-op threads, %d CPUs%n",
                Engine.getDjlVersion(), Engine.getInstance().getVersion(), threads, JniUtils.getNumInteropThreads(),
                Runtime.getRuntime().availableProcessors());
        out.printf("streamtune: oneMKL AVX-512 on AMD (CpuTuning): %s%n", mkl);
        PeerRun peer = null;
        if (options.python() != null) {
            peer = new PeerRun(options.python(), options.peerScript(), threads, options.peerOpenblasCoretype());
            try {
                out.printf("peer: %s with torch %s, script %s%n", options.python(), peer.check(), options.peerScript());
            } catch (PeerRun.Unavailable e) {
                out.println("peer: NOT AVAILABLE, streamtune only: " + e.getMessage());
                peer = null;
            }
        } else {
            out.println("peer: off (--no-peer)");
        }
        List<ConfigResult> results = new ArrayList<>();
        for (String name : options.configs()) {
            results.add(runConfig(name, peer));
            if (peer == null && options.python() != null) {
                break; // the peer failed mid-way; the figures so far are printed
            }
        }
        summary(results);
        out.printf("total %.0f s%n", (System.nanoTime() - started) / 1e9);
        return results;
    }

    private ConfigResult runConfig(String name, PeerRun peer) throws IOException {
        Path directory = options.workRoot().resolve(name);
        TrainWorkload workload = TrainWorkload.prepare(TrainWorkload.definition(name), directory, options.warmup(),
                options.steps());
        out.println();
        out.println("== " + workload.describe());
        out.printf("   %d runs per side, each %d warm-up + %d timed steps of %d tokens; work directory %s%n",
                options.runs(), workload.warmupSteps(), workload.timedSteps(), workload.tokensPerStep(), directory);
        double streamtunePeak = 0; // the best GEMM rate seen over all runs (each measures one)
        double peerPeak = 0;
        List<RunResult> ours = new ArrayList<>();
        List<RunResult> theirs = new ArrayList<>();
        try (StreamtuneRun streamtune = new StreamtuneRun(workload)) {
            for (int i = 1; i <= options.runs(); i++) {
                RunResult mine = streamtune.run();
                ours.add(mine);
                streamtunePeak = Math.max(streamtunePeak, GemmPeak.measure(options.gemmSize(), 5));
                String line = String.format("   run %d  streamtune %,8.0f tokens/s", i, mine.tokensPerSecond());
                if (peer != null) {
                    try {
                        PeerRun.Report report = peer.run(workload, options.gemmSize());
                        peerPeak = Math.max(peerPeak, report.gemmFlopsPerSecond());
                        if (i == 1) {
                            out.printf("   peer: torch %s, %d threads, BLAS %s, OPENBLAS_CORETYPE=%s%n",
                                    report.torchVersion(), report.threads(), String.join(", ", report.blas()),
                                    report.openblasCoretype());
                        }
                        theirs.add(report.result());
                        line += String.format("   pytorch %,8.0f tokens/s", report.result().tokensPerSecond());
                    } catch (PeerRun.Unavailable e) {
                        out.println("   peer: FAILED, continuing without it: " + e.getMessage());
                        peer = null;
                    }
                }
                out.println(line);
            }
        }
        ConfigResult result = new ConfigResult(workload, ours, theirs, streamtunePeak, peerPeak);
        table(result);
        return result;
    }

    private void table(ConfigResult r) {
        double flops = r.workload().flopsPerStep();
        double tokens = r.workload().tokensPerStep();
        out.printf("   %-14s %9s %9s %9s %10s %10s %11s%n", "", "min", "median", "max", "GFLOP/s", "GEMM peak",
                "% of peak");
        row("streamtune", r.streamtune(), flops, tokens, r.streamtunePeak());
        if (!r.peer().isEmpty()) {
            row("pytorch eager", r.peer(), flops, tokens, r.peerPeak());
            out.printf("   ratio streamtune / pytorch (medians): %.2fx%n", ratio(r));
            RunResult a = r.streamtune().get(0);
            RunResult b = r.peer().get(0);
            out.printf("   same computation? loss at step 1: streamtune %.6f, pytorch %.6f; at step %d: %.6f vs %.6f%n",
                    a.losses().get(0), b.losses().get(0), a.losses().size(), last(a.losses()), last(b.losses()));
        }
    }

    private void row(String label, List<RunResult> runs, double flops, double tokens, double peak) {
        double[] s = stats(runs);
        double gflops = s[1] / tokens * flops / 1e9;
        out.printf("   %-14s %,9.0f %,9.0f %,9.0f %10.1f %10.1f %10.0f%%%n", label, s[0], s[1], s[2], gflops,
                peak / 1e9, peak > 0 ? 100 * gflops * 1e9 / peak : Double.NaN);
    }

    private void summary(List<ConfigResult> results) {
        out.println();
        out.println("== summary (median tokens/s; targets: small >= 1.2x, medium >= 1.1x and >= 65% of GEMM peak)");
        for (ConfigResult r : results) {
            double ours = stats(r.streamtune())[1];
            double share = ours / r.workload().tokensPerStep() * r.workload().flopsPerStep() / r.streamtunePeak();
            String name = r.workload().name();
            StringBuilder line = new StringBuilder(String.format("   %-7s streamtune %,8.0f", name, ours));
            if (!r.peer().isEmpty()) {
                double ratio = ratio(r);
                double target = name.equals("medium") ? MEDIUM_RATIO_TARGET : SMALL_RATIO_TARGET;
                line.append(String.format("  pytorch %,8.0f  ratio %.2fx (%s)", stats(r.peer())[1], ratio,
                        ratio >= target ? "meets " + target + "x" : "below " + target + "x"));
            }
            line.append(String.format("  %.0f%% of GEMM peak", 100 * share));
            if (name.equals("medium")) {
                line.append(share >= MEDIUM_PEAK_TARGET ? " (meets 65%)" : " (below 65%)");
            }
            out.println(line);
        }
    }

    private static double ratio(ConfigResult r) {
        return stats(r.streamtune())[1] / stats(r.peer())[1];
    }

    /** min, median, max of tokens/s. */
    static double[] stats(List<RunResult> runs) {
        double[] v = runs.stream().mapToDouble(RunResult::tokensPerSecond).sorted().toArray();
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new double[] {v[0], median, v[n - 1]};
    }

    private static double last(List<Double> values) {
        return values.get(values.size() - 1);
    }

    /**
     * Finds train_peer.py: next to the repository that holds {@code codeLocation} (app/target/streamtune.jar or
     * bench/target/classes), else under the working directory.
     */
    public static Path locatePeerScript(Path codeLocation) {
        Path relative = Path.of("bench", "src", "main", "python", "train_peer.py");
        List<Path> candidates = new ArrayList<>();
        for (Path p = codeLocation; p != null; p = p.getParent()) {
            candidates.add(p.resolve(relative));
        }
        candidates.add(Path.of("").toAbsolutePath().resolve(relative));
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElse(candidates.get(candidates.size() - 1));
    }

    /** Command-line entry without the app: {@code TrainBenchmark [small,medium] [runs] [python|none]}. */
    public static void main(String[] args) throws Exception {
        List<String> configs = Arrays.asList((args.length > 0 ? args[0] : "small,medium").split(","));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String python = args.length > 2 ? args[2] : "/usr/bin/python3";
        Path code = Path.of(TrainBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path work = Files.createTempDirectory("streamtune-bench-train");
        new TrainBenchmark(new Options(configs, runs, 0, 0, python.equals("none") ? null : python,
                locatePeerScript(code), 2048, work, null), System.out).run();
    }

}
