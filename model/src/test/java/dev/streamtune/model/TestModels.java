package dev.streamtune.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;

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
