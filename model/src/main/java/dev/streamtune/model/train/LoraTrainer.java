package dev.streamtune.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.streamtune.model.BlockTraining;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.NoGrad;
import dev.streamtune.model.lora.LoraAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Trains a LoRA adapter on a frozen base model: SFT steps (causal-LM loss on completion tokens) and DPO
 * steps (preference pairs, the base model without the adapter as reference), each one forward, one
 * backward and one AdamW update.
 *
 * <p>Every step runs in its own NDManager, so nothing but the adapter and optimizer state survives it.
 * Dropout masks come from the engine's generator reseeded with (seed, step number) at each step, so on CPU the same batches and
 * seed give the same adapter, also after a restart that restores the adapter and {@link #optimizer()} state.
 * PyTorch's engine allows one gradient recording per JVM at a time, so steps of all trainers are serialised.
 */
public final class LoraTrainer implements AutoCloseable {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private static final ReentrantLock RECORDING = new ReentrantLock();

    private final LlamaModel model;
    private final LoraAdapter adapter;
    private final TrainingConfig config;
    private final AdamW optimizer;

    /** Makes {@code adapter}'s weights trainable and creates optimizer state for them. */
    public LoraTrainer(LlamaModel model, LoraAdapter adapter, TrainingConfig config) {
        if (adapter.isMerged()) {
            throw new IllegalStateException("cannot train a merged adapter; unmerge it first");
        }
        this.model = model;
        this.adapter = adapter;
        this.config = config;
        adapter.setTrainable(true);
        adapter.zeroGradients();
        this.optimizer = new AdamW(adapter.parameters(), config.optimizer(), adapter.manager());
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    /** One SFT step on {@code batch}: mean cross-entropy over completion tokens, backward, AdamW. */
    public StepResult sftStep(List<SftExample> batch) {
        TokenBatch tokens = TokenBatch.of(batch, config.padTokenId(), config.maxSequenceLength());
        RECORDING.lock();
        try (NDManager step = model.manager().newSubManager()) {
            boolean dropout = seedDropout();
            return descend(tokens, passes -> Losses.causalLmLoss(trainingForward(step, tokens, dropout, passes),
                    tokens.targets(step), tokens.lossWeights(step)));
        } finally {
            RECORDING.unlock();
        }
    }

    /**
     * Backward through the objective (built with gradients recorded; the hand-written block passes its forward
     * used, if any, collected in the list it is given, run their backward after autograd's), one AdamW step, the
     * step's result.
     */
    private StepResult descend(TokenBatch tokens, Function<List<BlockTraining.Pass>, NDArray> objective) {
        double loss;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            List<BlockTraining.Pass> passes = new ArrayList<>(1);
            NDArray value = objective.apply(passes);
            collector.backward(value);
            passes.forEach(BlockTraining.Pass::backward);
            loss = scalar(value);
        }
        double norm = optimizer.step();
        return new StepResult(optimizer.stepCount(), loss, norm, (long) tokens.rows() * tokens.length());
    }

    /**
     * One DPO step on {@code pairs}: chosen and rejected completions go through the policy (base + adapter,
     * with gradients) and the reference (base alone, without gradients) in one batch each.
     */
    public StepResult dpoStep(List<PreferencePair> pairs) {
        List<SftExample> rows = new ArrayList<>(pairs.size() * 2);
        pairs.forEach(p -> rows.add(p.chosen()));
        pairs.forEach(p -> rows.add(p.rejected()));
        TokenBatch tokens = TokenBatch.of(rows, config.padTokenId(), config.maxSequenceLength());
        int n = pairs.size();
        RECORDING.lock();
        try (NDManager step = model.manager().newSubManager()) {
            boolean dropout = seedDropout();
            NDArray targets = tokens.targets(step);
            NDArray weights = tokens.lossWeights(step);
            NDArray reference;                                                                    // [2N]
            try (NoGrad noGrad = NoGrad.enter()) {
                reference = Losses.sequenceLogProbs(forward(step, tokens, null, false), targets, weights);
            }
            NDArray frozen = reference;
            return descend(tokens, passes -> {
                NDArray policy = Losses.sequenceLogProbs(trainingForward(step, tokens, dropout, passes), targets,
                        weights);                                                                 // [2N]
                return Losses.dpoLoss(policy.get("0:" + n), policy.get(n + ":"),
                        frozen.get("0:" + n), frozen.get(n + ":"), config.dpoBeta());
            });
        } finally {
            RECORDING.unlock();
        }
    }

    /**
     * Mean causal-LM loss over all completion tokens of {@code examples} (no dropout, no gradients),
     * evaluated {@code batchSize} examples at a time. {@code adapter} may be null for the base model.
     */
    public static double evaluate(LlamaModel model, LoraAdapter adapter, List<SftExample> examples, int batchSize,
                                  int maxSequenceLength) {
        double weightedLoss = 0;
        long tokens = 0;
        try (NoGrad noGrad = NoGrad.enter()) {
            for (int start = 0; start < examples.size(); start += batchSize) {
                TokenBatch batch = TokenBatch.of(examples.subList(start, Math.min(examples.size(), start + batchSize)),
                        0, maxSequenceLength);
                try (NDManager m = model.manager().newSubManager()) {
                    NDArray logits = forward(m, batch, model, adapter, false);
                    double loss = scalar(Losses.causalLmLoss(logits, batch.targets(m), batch.lossWeights(m)));
                    int count = batch.completionTokens();
                    weightedLoss += loss * count;
                    tokens += count;
                }
            }
        }
        return tokens == 0 ? Double.NaN : weightedLoss / tokens;
    }

    /** {@link #evaluate(LlamaModel, LoraAdapter, List, int, int)} with this trainer's adapter and settings. */
    public double evaluate(List<SftExample> examples, int batchSize) {
        return evaluate(model, adapter, examples, batchSize, config.maxSequenceLength());
    }

    /**
     * Logits of the policy (base + adapter) with gradients recorded for the step's backward: through
     * {@link BlockTraining}'s hand-written pass where it applies (its backward joins {@code passes}), else autograd.
     */
    private NDArray trainingForward(NDManager m, TokenBatch batch, boolean dropout, List<BlockTraining.Pass> passes) {
        if (BlockTraining.applicable(model, adapter)) {
            BlockTraining.Pass pass = BlockTraining.forward(model, batch.inputIds(m), adapter, dropout);
            passes.add(pass);
            return pass.logits();
        }
        return forward(m, batch, adapter, dropout);
    }

    private NDArray forward(NDManager m, TokenBatch batch, LoraAdapter withAdapter, boolean dropout) {
        return forward(m, batch, model, withAdapter, dropout);
    }

    /**
     * Rows are right-padded, so under the causal mask a real token only ever sees real tokens, at positions
     * 0..t; padding positions carry loss weight 0. No padding mask is needed, which saves the [B,1,T,T] bias.
     */
    private static NDArray forward(NDManager m, TokenBatch batch, LlamaModel model, LoraAdapter adapter,
                                   boolean dropout) {
        return model.forward(batch.inputIds(m), null, null, adapter, dropout);
    }

    /**
     * Seeds the engine's random generator from (seed, step number) so this step's dropout masks depend on
     * nothing else; returns whether dropout is on. Nothing else in this module draws from that generator.
     */
    private boolean seedDropout() {
        if (adapter.config().dropout() == 0) {
            return false;
        }
        Engine.getInstance().setRandomSeed(Long.hashCode(config.seed() * 0x9E3779B97F4A7C15L + optimizer.stepCount()));
        return true;
    }

    private static double scalar(NDArray value) {
        return value.toType(DataType.FLOAT64, false).getDouble();
    }

    @Override
    public void close() {
        optimizer.close();
        adapter.setTrainable(false);
    }
}
