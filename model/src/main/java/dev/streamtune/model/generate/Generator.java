package dev.streamtune.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.KvCache;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.NoGrad;
import dev.streamtune.model.lora.LoraAdapter;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Autoregressive decoding with a KV cache: one forward pass over the prompt, then one token per step.
 * Sampling happens in Java on the last position's logits with the config's own seeded generator, so results
 * do not depend on any global random state. Thread-safe: each call has its own cache and generator.
 */
public final class Generator {
    private final LlamaModel model;

    public Generator(LlamaModel model) {
        this.model = model;
    }

    /** Generates a continuation of {@code promptIds} (used verbatim) and returns only the new ids. */
    public long[] generate(long[] promptIds, LoraAdapter adapter, SamplingConfig sampling) {
        return generate(promptIds, adapter, sampling, token -> { });
    }

    /**
     * As {@link #generate(long[], LoraAdapter, SamplingConfig)}, reporting each token to {@code onToken}
     * as soon as it is chosen (stop tokens are not reported).
     */
    public long[] generate(long[] promptIds, LoraAdapter adapter, SamplingConfig sampling, LongConsumer onToken) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt needs at least one token");
        }
        int vocab = model.config().vocabSize();
        for (long id : promptIds) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        SplittableRandom random = new SplittableRandom(sampling.seed());
        long[] generated = new long[sampling.maxNewTokens()];
        int count = 0;
        try (NoGrad noGrad = NoGrad.enter();
             NDManager manager = model.manager().newSubManager();
             KvCache cache = model.newCache(manager)) {
            float[] logits = lastLogits(manager, promptIds, cache, adapter);
            while (count < sampling.maxNewTokens()) {
                long next = pick(logits, sampling, random);
                if (sampling.stopTokenIds().contains(next)) {
                    break;
                }
                generated[count++] = next;
                onToken.accept(next);
                if (count < sampling.maxNewTokens()) {
                    logits = lastLogits(manager, new long[] {next}, cache, adapter);
                }
            }
        }
        return Arrays.copyOf(generated, count);
    }

    /** Feeds {@code ids} through the model (appending to the cache) and returns the last position's logits. */
    private float[] lastLogits(NDManager manager, long[] ids, KvCache cache, LoraAdapter adapter) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(ids, new Shape(1, ids.length));                 // [1,T]
            NDArray logits = model.forward(input, null, cache, adapter, false);             // [1,T,V]
            return logits.get(0, ids.length - 1).toType(DataType.FLOAT32, false).toFloatArray(); // [V]
        }
    }

    /** Chooses the next token from one position's logits. */
    static long pick(float[] logits, SamplingConfig sampling, SplittableRandom random) {
        if (sampling.isGreedy()) {
            return argMax(logits);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] probabilities = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            probabilities[i] = Math.exp((logits[i] - max) / sampling.temperature());
            total += probabilities[i];
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        final double[] p = probabilities;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        // keep the smallest prefix of most-likely tokens whose mass reaches topP
        double kept = 0;
        int keep = 0;
        while (keep < order.length && (keep == 0 || kept < sampling.topP() * total)) {
            kept += p[order[keep++]];
        }
        double target = random.nextDouble() * kept;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += p[order[i]];
            if (target < cumulative) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    /** Index of the largest logit; the lowest index wins ties (as in llama2.c and torch.argmax). */
    static int argMax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
