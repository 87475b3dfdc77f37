package dev.streamtune.model.generate;

import java.util.Set;

/**
 * How to pick continuation tokens.
 *
 * @param maxNewTokens  upper bound on generated tokens (the stop token, if hit, is not included)
 * @param temperature   0 for greedy (argmax, ties to the lowest id); otherwise logits are divided by it
 *                      before the softmax
 * @param topP          nucleus sampling: sample only among the most likely tokens whose probabilities add
 *                      up to at least topP; 1 samples from the whole distribution
 * @param seed          seed of the sampler's own random generator, so equal seeds give equal samples
 * @param stopTokenIds  ids that end generation (usually the model's EOS ids); may be empty
 */
public record SamplingConfig(int maxNewTokens, double temperature, double topP, long seed, Set<Long> stopTokenIds) {

    public SamplingConfig {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        stopTokenIds = Set.copyOf(stopTokenIds);
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at {@code stopTokenIds}. */
    public static SamplingConfig greedy(int maxNewTokens, Set<Long> stopTokenIds) {
        return new SamplingConfig(maxNewTokens, 0, 1, 0, stopTokenIds);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
