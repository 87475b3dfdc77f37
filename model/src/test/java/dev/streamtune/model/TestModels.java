package dev.streamtune.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.streamtune.model.lora.LoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/** Shared helpers for model tests. */
public final class TestModels {
    private TestModels() {}

    /** The shared stories260K.bin, or a JUnit assumption failure (skip) when it is absent. */
    public static Path stories260K() {
        String shared = System.getProperty("streamtune.shared.dir", "../../shared");
        Path file = Path.of(shared, "models", "stories260K.bin");
        assumeTrue(Files.isRegularFile(file), "stories260K.bin not found under " + shared + "/models; skipping");
        return file;
    }

    /** Logits of {@code model} for one row of ids, copied out as floats [T*V]. */
    public static float[] logits(LlamaModel model, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray input = m.create(ids, new Shape(1, ids.length));
            return model.forward(input).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        }
    }

    /**
     * Sets every LoRA B of {@code adapter} to N(0, 0.2²) draws (a fresh adapter's B is zero, so A would get no
     * gradient), in the adapter's parameter order.
     */
    public static void randomizeLoraB(LoraAdapter adapter, SplittableRandom random) {
        for (int layer = 0; layer < adapter.modelConfig().numLayers(); layer++) {
            for (Projection p : Projection.values()) {
                NDArray b = adapter.loraB(layer, p);
                if (b == null) {
                    continue;
                }
                float[] values = new float[(int) b.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (0.2 * random.nextGaussian());
                }
                b.set(values);
            }
        }
    }

    /** {@code count} token ids drawn uniformly from the vocabulary. */
    public static long[] randomIds(SplittableRandom random, int count, int vocabSize) {
        long[] ids = new long[count];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = random.nextInt(vocabSize);
        }
        return ids;
    }

    /** A training pass for {@link #logitsAndGradients}: its logits, and what to run after autograd's backward. */
    public record TrainingPass(NDArray logits, Runnable afterBackward) {
        /** A pass that is autograd's alone. */
        public static TrainingPass autograd(NDArray logits) {
            return new TrainingPass(logits, () -> { });
        }
    }

    /**
     * Logits [B·T·V] then the gradient of every adapter parameter, for loss = mean of logits², the ids as
     * {@code rows} rows through {@code pass}.
     */
    public static List<float[]> logitsAndGradients(LlamaModel model, LoraAdapter adapter, long[] ids, int rows,
                                                   Function<NDArray, TrainingPass> pass) {
        adapter.setTrainable(true);
        adapter.zeroGradients();
        List<float[]> out = new ArrayList<>();
        try (NDManager m = model.manager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            TrainingPass run = pass.apply(m.create(ids, new Shape(rows, ids.length / rows)));
            out.add(run.logits().toFloatArray());
            collector.backward(run.logits().square().mean());
            run.afterBackward().run();
            for (NDArray p : adapter.parameters()) {
                out.add(p.getGradient().toFloatArray());
            }
        } finally {
            adapter.zeroGradients();
            adapter.setTrainable(false);
        }
        return out;
    }

    /** Largest absolute difference between two equally long arrays. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        return max;
    }
}
