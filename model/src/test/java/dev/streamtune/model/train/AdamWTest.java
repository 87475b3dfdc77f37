package dev.streamtune.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.streamtune.model.TorchKernels;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fused-kernel AdamW against a plain double-precision transcription of torch.optim.AdamW. */
class AdamWTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }


    /** torch.optim.AdamW (amsgrad off) after clip_grad_norm_, in doubles. */
    private static final class ReferenceAdamW {
        final double[][] w;
        final double[][] m;
        final double[][] v;
        final AdamWConfig c;
        int t;

        ReferenceAdamW(double[][] weights, AdamWConfig config) {
            w = weights;
            m = new double[w.length][];
            v = new double[w.length][];
            for (int i = 0; i < w.length; i++) {
                m[i] = new double[w[i].length];
                v[i] = new double[w[i].length];
            }
            c = config;
        }

        void step(double[][] grads) {
            double sq = 0;
            for (double[] g : grads) {
                for (double x : g) {
                    sq += x * x;
                }
            }
            double norm = Math.sqrt(sq);
            double clip = c.maxGradNorm() > 0 ? Math.min(1, c.maxGradNorm() / (norm + 1e-6)) : 1;
            t++;
            for (int i = 0; i < w.length; i++) {
                for (int j = 0; j < w[i].length; j++) {
                    double g = grads[i][j] * clip;
                    w[i][j] *= 1 - c.learningRate() * c.weightDecay();
                    m[i][j] = c.beta1() * m[i][j] + (1 - c.beta1()) * g;
                    v[i][j] = c.beta2() * v[i][j] + (1 - c.beta2()) * g * g;
                    double mHat = m[i][j] / (1 - Math.pow(c.beta1(), t));
                    double vHat = v[i][j] / (1 - Math.pow(c.beta2(), t));
                    w[i][j] -= c.learningRate() * mHat / (Math.sqrt(vHat) + c.epsilon());
                }
            }
        }
    }

    @AfterEach
    void kernelsBackOn() {
        TorchKernels.setEnabled(true);
    }

    /** With the kernels: libtorch's multi-tensor _fused_adamw_; without: DJL's adamUpdate per parameter. */
    @ParameterizedTest(name = "kernels {0}")
    @ValueSource(booleans = {true, false})
    void fusedUpdateMatchesReferenceAdamWWithDecayAndClipping(boolean kernels) {
        TorchKernels.setEnabled(kernels);
        // clipping active (norm of the random gradients ≫ 0.5), weight decay on, eps large enough to matter
        AdamWConfig config = new AdamWConfig(0.01, 0.9, 0.99, 1e-3, 0.1, 0.5);
        checkAgainstReference(config, 5.0);
    }

    @ParameterizedTest(name = "kernels {0}")
    @ValueSource(booleans = {true, false})
    void fusedUpdateMatchesReferenceAdamWWithoutClipping(boolean kernels) {
        TorchKernels.setEnabled(kernels);
        AdamWConfig config = new AdamWConfig(0.003, 0.8, 0.999, 1e-8, 0.0, 0.0);
        checkAgainstReference(config, 0.01);
    }

    private static void checkAgainstReference(AdamWConfig config, double gradientScale) {
        SplittableRandom random = new SplittableRandom(3);
        Shape[] shapes = {new Shape(4, 6), new Shape(7)};
        try (NDManager manager = NDManager.newBaseManager()) {
            double[][] initial = new double[shapes.length][];
            NDArray[] params = new NDArray[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                float[] values = new float[(int) shapes[i].size()];
                initial[i] = new double[values.length];
                for (int j = 0; j < values.length; j++) {
                    values[j] = (float) random.nextGaussian();
                    initial[i][j] = values[j];
                }
                params[i] = manager.create(values, shapes[i]);
                params[i].setRequiresGradient(true);
            }
            ReferenceAdamW reference = new ReferenceAdamW(initial, config);
            try (AdamW adamW = new AdamW(List.of(params), config, manager)) {
                for (int step = 0; step < 6; step++) {
                    double[][] grads = new double[shapes.length][];
                    try (NDManager scratch = manager.newSubManager();
                         GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray loss = null;
                        for (int i = 0; i < shapes.length; i++) {
                            float[] coefficients = new float[(int) shapes[i].size()];
                            grads[i] = new double[coefficients.length];
                            for (int j = 0; j < coefficients.length; j++) {
                                coefficients[j] = (float) (gradientScale * random.nextGaussian());
                                grads[i][j] = coefficients[j]; // d(sum(c·w))/dw = c
                            }
                            NDArray term = params[i].mul(scratch.create(coefficients, shapes[i])).sum();
                            loss = loss == null ? term : loss.add(term);
                        }
                        collector.backward(loss);
                    }
                    double norm = adamW.step();
                    double expectedNorm = 0;
                    for (double[] g : grads) {
                        for (double x : g) {
                            expectedNorm += x * x;
                        }
                    }
                    assertEquals(Math.sqrt(expectedNorm), norm, 1e-4 * Math.sqrt(expectedNorm));
                    reference.step(grads);
                    for (int i = 0; i < shapes.length; i++) {
                        float[] actual = params[i].toFloatArray();
                        for (int j = 0; j < actual.length; j++) {
                            double expected = reference.w[i][j];
                            assertEquals(expected, actual[j], 2e-6 * Math.max(1, Math.abs(expected)),
                                    "step " + (step + 1) + " param " + i + "[" + j + "]");
                        }
                        for (float g : params[i].getGradient().toFloatArray()) {
                            assertEquals(0f, g, "the update leaves the gradient zeroed for the next backward");
                        }
                    }
                }
                assertEquals(6, adamW.stepCount());
                assertTrue(config.learningRate() > 0);
            }
        }
    }

    /**
     * An optimizer restored from another's {@link AdamW#state} continues exactly as the original would: same
     * moments and step count (the bias corrections depend on it), so the same next update.
     */
    @ParameterizedTest(name = "kernels {0}")
    @ValueSource(booleans = {true, false})
    void restoredStateContinuesLikeTheOriginal(boolean kernels) {
        TorchKernels.setEnabled(kernels);
        AdamWConfig config = new AdamWConfig(0.01, 0.9, 0.99, 1e-3, 0.1, 0.5);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray original = manager.randomNormal(new Shape(3, 5));
            original.setRequiresGradient(true);
            NDArray restored;
            try (AdamW first = new AdamW(List.of(original), config, manager)) {
                for (int step = 0; step < 3; step++) {
                    descend(first, original, manager.randomNormal(new Shape(3, 5)));
                }
                restored = original.duplicate(); // as the adapter's checkpoint restores it
                restored.setRequiresGradient(true);
                try (AdamW second = new AdamW(List.of(restored), config, manager)) {
                    second.loadState(first.state(manager));
                    assertEquals(3, second.stepCount());
                    // a gradient unlike the previous ones: with a constant gradient, bias-corrected moments
                    // are the same whatever the step count
                    NDArray coefficients = manager.randomNormal(new Shape(3, 5)).mul(10);
                    descend(first, original, coefficients);
                    descend(second, restored, coefficients);
                }
            }
            float[] expected = original.toFloatArray();
            float[] actual = restored.toFloatArray();
            for (int j = 0; j < expected.length; j++) {
                assertEquals(expected[j], actual[j], 1e-7f, "element " + j);
            }
        }
    }

    /** One step on the gradient of sum(coefficients · parameter). */
    private static void descend(AdamW optimizer, NDArray parameter, NDArray coefficients) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(parameter.mul(coefficients).sum());
        }
        optimizer.step();
    }
}
