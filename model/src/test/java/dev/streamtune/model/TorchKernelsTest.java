package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The libtorch kernels against the same math composed from DJL ops (the model's path with the kernels off):
 * values and gradients, kernel by kernel and through the whole model with a LoRA adapter.
 */
class TorchKernelsTest {
    static {
        CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    @AfterEach
    void kernelsBackOn() {
        TorchKernels.setEnabled(true);
    }

    @Test
    void siluMulMatchesComposedValuesAndGradients() {
        assertTrue(TorchKernels.enabled(), "kernels should load");
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            compare(type, 1e-5, new Shape(3, 5, 24), new Shape(3, 5, 24),
                    x -> TorchKernels.siluMul(x[0], x[1]),
                    x -> x[0].mul(Activation.sigmoid(x[0])).mul(x[1]));
        }
    }

    @Test
    void causalAttentionMatchesComposedValuesAndGradients() {
        int batch = 2;
        int heads = 4;
        int kvHeads = 2;
        int steps = 7;
        int dim = 8;
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            compare(type, 1e-5, new Shape(batch, heads, steps, dim), new Shape(batch, kvHeads, steps, dim),
                    x -> TorchKernels.causalAttention(x[0], x[1], x[2]),
                    x -> composedAttention(x[0], x[1], x[2], heads / kvHeads));
        }
    }

    @Test
    void rotaryMatchesComposedValuesAndGradients() {
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
            // cos and sin random, not tables: the identity holds for any values, and their gradients are compared too
            compare(type, 1e-5, new Shape(2, 3, 5, 8), new Shape(1, 1, 5, 8),
                    x -> TorchKernels.rotary(x[0], x[1], firstHalfNegated(x[2])),
                    x -> {
                        NDList halves = x[0].split(2, 3);                                     // x₁, x₂
                        return x[0].mul(x[1]).add(halves.get(1).neg().concat(halves.get(0), 3).mul(x[2]));
                    });
        }
    }

    private static NDArray firstHalfNegated(NDArray sin) {
        NDList halves = sin.split(2, 3);
        return halves.get(0).neg().concat(halves.get(1), 3);
    }

    @Test
    void kernelsRecordGradientsOnlyInGradMode() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(2, 3));
            NDArray b = m.randomNormal(new Shape(2, 3));
            a.setRequiresGradient(true);
            NDArray unrecorded;
            try (NoGrad noGrad = NoGrad.enter()) {
                unrecorded = TorchKernels.siluMul(a, b);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                assertThrows(EngineException.class, () -> collector.backward(unrecorded.sum()));
                collector.backward(TorchKernels.siluMul(a, b).sum());
            }
            assertTrue(a.getGradient().abs().sum().getFloat() > 0, "no gradient reached the input");
        }
    }

    /**
     * The model with the kernels (fused causal attention, silu) against the model without them (scores, mask and
     * softmax spelled out; sigmoid and multiplies): logits and every LoRA gradient, GQA, float32.
     */
    @Test
    void modelWithKernelsMatchesComposedModel() {
        ModelConfig config = ModelConfig.tinyLlama(40, 32, 2, 4, 2);
        try (LlamaModel model = LlamaModel.random(config, 3, DataType.FLOAT32);
             LoraAdapter adapter = LoraAdapter.create(model, new LoraConfig(4, 8, 0, EnumSet.allOf(Projection.class)), 4)) {
            SplittableRandom random = new SplittableRandom(9);
            TestModels.randomizeLoraB(adapter, random); // non-zero B so that A gets gradients too
            long[] ids = TestModels.randomIds(random, 2 * 11, config.vocabSize());
            List<float[]> fused = logitsAndGradients(model, adapter, ids, true);
            List<float[]> composed = logitsAndGradients(model, adapter, ids, false);
            for (int i = 0; i < fused.size(); i++) {
                double diff = TestModels.maxAbsDiff(fused.get(i), composed.get(i));
                assertTrue(diff < 1e-5, (i == 0 ? "logits" : "gradient of LoRA parameter " + (i - 1)) + " differ by " + diff);
            }
        }
    }

    /** Logits [B·T·V] then the gradient of every adapter parameter, for loss = mean of logits² (kernels on or off). */
    private static List<float[]> logitsAndGradients(LlamaModel model, LoraAdapter adapter, long[] ids, boolean kernels) {
        TorchKernels.setEnabled(kernels);
        return TestModels.logitsAndGradients(model, adapter, ids, 2,
                inputIds -> TestModels.TrainingPass.autograd(model.forward(inputIds, null, null, adapter, false)));
    }

    private static NDArray composedAttention(NDArray q, NDArray k, NDArray v, int group) {
        long batch = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long steps = q.getShape().get(2);
        long dim = q.getShape().get(3);
        long kvHeads = k.getShape().get(1);
        NDManager m = q.getManager();
        double[] causal = new double[(int) (steps * steps)];
        for (int i = 0; i < steps; i++) {
            for (int j = i + 1; j < steps; j++) {
                causal[(int) (i * steps + j)] = -1e9;
            }
        }
        NDArray mask = m.create(causal, new Shape(1, 1, steps, steps)).toType(q.getDataType(), false);
        NDArray scale = m.create(1 / Math.sqrt(dim)).toType(q.getDataType(), false);
        return q.reshape(batch, kvHeads, group * steps, dim).matMul(k.transpose(0, 1, 3, 2)).mul(scale)
                .reshape(batch, heads, steps, steps).add(mask).softmax(3)
                .reshape(batch, kvHeads, group * steps, steps).matMul(v).reshape(batch, heads, steps, dim);
    }

    /** Values and input gradients (loss = Σ output · fixed random weights) of two functions of the same inputs. */
    private static void compare(DataType type, double tolerance, Shape first, Shape rest,
                                Function<NDArray[], NDArray> kernel, Function<NDArray[], NDArray> composed) {
        int inputs = rest.equals(first) ? 2 : 3;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] x = new NDArray[inputs];
            for (int i = 0; i < inputs; i++) {
                x[i] = m.randomNormal(i == 0 ? first : rest).toType(type, false);
                x[i].setRequiresGradient(true);
            }
            NDArray weights = null;
            List<double[]> results = new ArrayList<>();
            for (Function<NDArray[], NDArray> f : List.of(kernel, composed)) {
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = f.apply(x);
                    if (weights == null) {
                        weights = m.randomNormal(y.getShape()).toType(type, false);
                    }
                    results.add(y.toType(DataType.FLOAT64, false).toDoubleArray());
                    collector.backward(y.mul(weights).sum());
                }
                for (NDArray input : x) {
                    results.add(input.getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
                    JniUtils.zeroGrad((PtNDArray) input);
                }
            }
            int half = results.size() / 2;
            for (int i = 0; i < half; i++) {
                double[] a = results.get(i);
                double[] b = results.get(half + i);
                double max = 0;
                for (int j = 0; j < a.length; j++) {
                    max = Math.max(max, Math.abs(a[j] - b[j]));
                }
                assertTrue(max < tolerance, type + " " + (i == 0 ? "values" : "gradient of input " + (i - 1))
                        + " differ by " + max);
            }
        }
    }
}
