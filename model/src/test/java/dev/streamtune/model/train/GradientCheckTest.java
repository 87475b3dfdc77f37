package dev.streamtune.model.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.NoGrad;
import dev.streamtune.model.Projection;
import dev.streamtune.model.lora.LoraAdapter;
import dev.streamtune.model.lora.LoraConfig;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Backpropagated LoRA gradients against central finite differences in float64, through the whole model
 * (GQA, q/k/v bias, RoPE, causal mask, SwiGLU) and both losses.
 */
class GradientCheckTest {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before DJL loads libtorch, as in production
    }

    private static final ModelConfig CONFIG = ModelConfig.tinyLlama(23, 16, 2, 4, 2)
            .withArchitecture(ModelConfig.QWEN2, true);
    private static final double STEP = 1e-6;
    private static final double TOLERANCE = 1e-3;
    private static final List<SftExample> EXAMPLES = List.of(
            new SftExample(new long[] {1, 5, 7}, new long[] {9, 11, 2}),
            new SftExample(new long[] {1, 3}, new long[] {4, 4, 8, 15, 2}));
    private static final PreferencePair PAIR = new PreferencePair(new long[] {1, 6, 6}, new long[] {12, 2}, new long[] {13, 14, 2});

    private static LlamaModel model;
    private static LoraAdapter adapter;

    @BeforeAll
    static void setUp() {
        try (LlamaModel float32 = LlamaModel.random(CONFIG, 21, DataType.FLOAT32)) {
            model = float32.toDataType(DataType.FLOAT64);
        }
        adapter = LoraAdapter.create(model, new LoraConfig(2, 4, 0, EnumSet.allOf(Projection.class)), 5);
        SplittableRandom random = new SplittableRandom(8);
        for (NDArray b : bMatrices()) {  // non-zero B so that A gets gradients too
            double[] values = new double[(int) b.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = 0.3 * random.nextGaussian();
            }
            b.set(values);
        }
    }

    @AfterAll
    static void tearDown() {
        adapter.close();
        model.close();
    }

    @Test
    void sftLossGradientsMatchFiniteDifferences() {
        TokenBatch batch = TokenBatch.of(EXAMPLES, 0, 16);
        check(m -> Losses.causalLmLoss(model.forward(batch.inputIds(m), null, null, adapter, false),
                batch.targets(m), batch.lossWeights(m)));
    }

    @Test
    void dpoLossGradientsMatchFiniteDifferences() {
        TokenBatch batch = TokenBatch.of(List.of(PAIR.chosen(), PAIR.rejected()), 0, 16);
        check(m -> {
            NDArray policy = Losses.sequenceLogProbs(model.forward(batch.inputIds(m), null, null, adapter, false),
                    batch.targets(m), batch.lossWeights(m));
            NDArray reference;
            try (NoGrad noGrad = NoGrad.enter()) {
                reference = Losses.sequenceLogProbs(model.forward(batch.inputIds(m)), batch.targets(m), batch.lossWeights(m));
            }
            return Losses.dpoLoss(policy.get("0:1"), policy.get("1:"), reference.get("0:1"), reference.get("1:"), 0.5);
        });
    }

    /**
     * A token whose embedding row is all zeros (pad rows often are) reaches the first RMSNorm as a zero vector,
     * whose norm is 0: the RMSNorm must still give finite values and gradients (rsqrt(0 + eps), and a norm
     * gradient of 0 at 0), and gradients that match finite differences.
     */
    @Test
    void zeroEmbeddingRowKeepsGradientsFiniteAndCorrect() {
        NDArray embedding = model.tensors().get("model.embed_tokens.weight");
        NDArray row = embedding.get("0").duplicate();
        embedding.set(new NDIndex("0"), 0);
        try {
            TokenBatch batch = TokenBatch.of(List.of(new SftExample(new long[] {0, 5}, new long[] {0, 9, 2})), 0, 16);
            try (NDManager m = model.manager().newSubManager()) {
                NDArray logits = model.forward(batch.inputIds(m), null, null, adapter, false);
                assertTrue(logits.isNaN().logicalOr(logits.isInfinite()).none().getBoolean(), "logits not finite");
            }
            check(m -> Losses.causalLmLoss(model.forward(batch.inputIds(m), null, null, adapter, false),
                    batch.targets(m), batch.lossWeights(m)));
        } finally {
            embedding.set(new NDIndex("0"), row);
        }
    }

    private static void check(Function<NDManager, NDArray> loss) {
        List<NDArray> parameters = adapter.parameters();
        adapter.setTrainable(true);
        adapter.zeroGradients();
        double[][] analytic = new double[parameters.size()][];
        try (NDManager m = model.manager().newSubManager();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(loss.apply(m));
            for (int i = 0; i < parameters.size(); i++) {
                analytic[i] = parameters.get(i).getGradient().toDoubleArray();
            }
        }
        adapter.setTrainable(false);
        SplittableRandom pick = new SplittableRandom(1);
        int checked = 0;
        double worst = 0;
        for (int i = 0; i < parameters.size(); i++) {
            NDArray p = parameters.get(i);
            double[] values = p.toDoubleArray();
            for (int sample = 0; sample < 3; sample++) {
                int j = pick.nextInt(values.length);
                double original = values[j];
                values[j] = original + STEP;
                p.set(values);
                double plus = evaluate(loss);
                values[j] = original - STEP;
                p.set(values);
                double minus = evaluate(loss);
                values[j] = original;
                p.set(values);
                double numeric = (plus - minus) / (2 * STEP);
                double error = Math.abs(numeric - analytic[i][j]) / Math.max(Math.abs(numeric) + Math.abs(analytic[i][j]), 1e-8);
                worst = Math.max(worst, error);
                assertTrue(error < TOLERANCE, "parameter " + i + "[" + j + "]: analytic " + analytic[i][j] + ", numeric "
                        + numeric + ", relative error " + error);
                checked++;
            }
        }
        assertTrue(checked == parameters.size() * 3 && worst < TOLERANCE, "worst relative error " + worst);
    }

    private static double evaluate(Function<NDManager, NDArray> loss) {
        try (NoGrad noGrad = NoGrad.enter(); NDManager m = model.manager().newSubManager()) {
            return loss.apply(m).getDouble();
        }
    }

    private static List<NDArray> bMatrices() {
        List<NDArray> list = new java.util.ArrayList<>();
        for (int layer = 0; layer < CONFIG.numLayers(); layer++) {
            for (Projection p : Projection.values()) {
                list.add(adapter.loraB(layer, p));
            }
        }
        return list;
    }
}
