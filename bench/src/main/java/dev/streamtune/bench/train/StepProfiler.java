package dev.streamtune.bench.train;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamtune.model.BlockTraining;
import dev.streamtune.model.FusedKernels;
import dev.streamtune.model.TorchKernels;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.io.HfCheckpoint;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.PeftAdapters;
import dev.streamtune.model.train.LoraTrainer;
import dev.streamtune.model.train.SftExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Step timing and libtorch-profiler attribution of streamtune's training step, for performance work:
 * {@code StepProfiler <config> <rounds> <variants,comma-separated ints> [profile]} (variants: 0 autograd over
 * composed ops, 1 autograd with libtorch's kernels, 2 the hand-written block pass, 3 that pass without the native
 * kernels). Each round runs one step per variant (alternating, so load changes hit all variants alike) and prints
 * min/median step time per variant; with {@code profile} it then profiles 3 steps of the first variant and prints op totals.
 */
public final class StepProfiler {
    public static void main(String[] args) throws Exception {
        String config = args.length > 0 ? args[0] : "medium";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int[] variants = Arrays.stream((args.length > 2 ? args[2] : "0").split(",")).mapToInt(Integer::parseInt).toArray();
        boolean profile = args.length > 3 && args[3].equals("profile");
        Path dir = Files.createTempDirectory("streamtune-step-profile");
        TrainWorkload workload = TrainWorkload.prepare(TrainWorkload.definition(config), dir, 0, 0);
        List<SftExample> examples = workload.examples();
        try (LlamaModel model = HfCheckpoint.load(dir);
             LoraAdapter adapter = PeftAdapters.load(dir, model);
             LoraTrainer trainer = new LoraTrainer(model, adapter, workload.trainingConfig())) {
            List<List<Double>> times = new ArrayList<>();
            for (int v : variants) {
                times.add(new ArrayList<>());
                variant(v);
                System.out.printf("variant %d first losses: %.6f%n", v, trainer.sftStep(examples).loss());
                trainer.sftStep(examples);
            }
            long[] faults = new long[variants.length];
            long[] cpu = new long[variants.length];
            long[] sys = new long[variants.length];
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < variants.length; i++) {
                    variant(variants[i]);
                    long[] before = procStat();
                    long start = System.nanoTime();
                    trainer.sftStep(examples);
                    times.get(i).add((System.nanoTime() - start) / 1e6);
                    long[] after = procStat();
                    faults[i] += after[0] - before[0];
                    cpu[i] += after[1] - before[1];
                    sys[i] += after[2] - before[2];
                }
            }
            double base = 0;
            for (int i = 0; i < variants.length; i++) {
                double[] t = times.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double median = t[t.length / 2];
                if (i == 0) {
                    base = median;
                }
                System.out.printf("variant %3d  min %7.1f ms  median %7.1f ms  (%.3f of variant %d)  tokens/s %,.0f  %.1f%% of 500 GFLOP/s%n",
                        variants[i], t[0], median, median / base, variants[0],
                        workload.tokensPerStep() / (median / 1e3),
                        100 * workload.flopsPerStep() / (median / 1e3) / 500e9);
                System.out.printf("             minor faults/step %,d  cpu ms/step %.0f (sys %.0f)%n", faults[i] / rounds,
                        cpu[i] * 10.0 / rounds, sys[i] * 10.0 / rounds);
            }
            double bestOptimizer = Double.MAX_VALUE; // AdamW alone (on zero gradients: the same kernels run)
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                trainer.optimizer().step();
                bestOptimizer = Math.min(bestOptimizer, (System.nanoTime() - start) / 1e6);
            }
            System.out.printf("optimizer step alone: %.1f ms (%d parameters)%n", bestOptimizer, adapter.parameters().size());
            if (profile) {
                variant(variants[0]);
                Path trace = dir.resolve("trace.json");
                int steps = 3;
                JniUtils.startProfile(false, true, false);
                for (int i = 0; i < steps; i++) {
                    trainer.sftStep(examples);
                }
                JniUtils.stopProfile(trace.toString());
                summarize(trace, steps);
            }
        }
    }

    /** Turns TorchKernels on or off; a no-op on model versions without them (to time older builds alike). */
    /**
     * Variant 0: autograd over composed DJL ops; 1: autograd with libtorch's kernels; 2: the hand-written blocks;
     * 3: the hand-written blocks with RMSNorm and SwiGLU through libtorch ops instead of the native kernels.
     */
    private static void variant(int v) {
        try {
            TorchKernels.setEnabled(v != 0);
            BlockTraining.setEnabled(v >= 2);
            FusedKernels.setNativeEnabled(v != 3);
        } catch (NoClassDefFoundError e) {
            // an older model core on the classpath
        }
    }

    /** minflt, utime+stime, stime (clock ticks) of this process. */
    private static long[] procStat() throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[7]), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[12])};
    }

    /** Per op name: total and self time per step (self = minus time of ops nested inside it on the same thread). */
    private static void summarize(Path trace, int steps) throws Exception {
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.get("traceEvents");
        record Ev(String name, String shapes, long tid, double ts, double dur) {}
        List<Ev> list = new ArrayList<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText())) {
                continue;
            }
            String shapes = e.path("args").path("Input Dims").toString();
            list.add(new Ev(e.path("name").asText(), shapes, e.path("tid").asLong(), e.path("ts").asDouble(), e.path("dur").asDouble()));
        }
        list.sort((a, b) -> a.ts != b.ts ? Double.compare(a.ts, b.ts) : Double.compare(b.dur, a.dur));
        Map<String, double[]> byName = new HashMap<>();   // total, self, count
        Map<String, double[]> byShape = new HashMap<>();
        Map<Long, List<Ev>> stacks = new HashMap<>();
        Map<Ev, double[]> self = new HashMap<>();
        for (Ev e : list) {
            List<Ev> stack = stacks.computeIfAbsent(e.tid, k -> new ArrayList<>());
            while (!stack.isEmpty() && stack.get(stack.size() - 1).ts + stack.get(stack.size() - 1).dur <= e.ts) {
                stack.remove(stack.size() - 1);
            }
            if (!stack.isEmpty()) {
                self.get(stack.get(stack.size() - 1))[0] -= e.dur;
            }
            self.put(e, new double[] {e.dur});
            stack.add(e);
        }
        double all = 0;
        for (Ev e : list) {
            double s = self.get(e)[0];
            all += s;
            double[] a = byName.computeIfAbsent(e.name, k -> new double[3]);
            a[0] += e.dur;
            a[1] += s;
            a[2]++;
            double[] b = byShape.computeIfAbsent(e.name + " " + e.shapes, k -> new double[3]);
            b[0] += e.dur;
            b[1] += s;
            b[2]++;
        }
        System.out.printf("profiled self time per step: %.1f ms%n", all / steps / 1e3);
        print(byName, steps, all, 45);
        System.out.println("-- by shape");
        print(byShape, steps, all, 40);
    }

    private static void print(Map<String, double[]> m, int steps, double all, int limit) {
        m.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1])).limit(limit)
                .forEach(e -> System.out.printf("  self %8.2f ms %5.1f%%  total %8.2f ms  n %5.0f  %s%n",
                        e.getValue()[1] / steps / 1e3, 100 * e.getValue()[1] / all, e.getValue()[0] / steps / 1e3,
                        e.getValue()[2] / steps, e.getKey().length() > 150 ? e.getKey().substring(0, 150) : e.getKey()));
    }
}
