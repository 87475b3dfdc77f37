package dev.streamtune.model.train;

/**
 * Settings of a {@link LoraTrainer}.
 *
 * @param optimizer         AdamW hyperparameters (including gradient clipping)
 * @param maxSequenceLength longest input row in tokens; longer examples lose their tail. 512 covers typical
 *                          feedback (a prompt and a reply) while bounding activation memory
 * @param dpoBeta           β of DPO: how strongly the policy may move away from the reference; 0.1 as in
 *                          the DPO paper and TRL
 * @param seed              seeds LoRA dropout; with the same batches the same seed gives the same adapter
 * @param padTokenId        id used for padding (never attended to nor learned; 0 works for any model)
 */
public record TrainingConfig(AdamWConfig optimizer, int maxSequenceLength, double dpoBeta, long seed, long padTokenId) {

    public TrainingConfig {
        if (maxSequenceLength < 1) {
            throw new IllegalArgumentException("maxSequenceLength must be positive");
        }
        if (!(dpoBeta > 0)) {
            throw new IllegalArgumentException("dpoBeta must be positive");
        }
    }

    public static TrainingConfig defaults() {
        return new TrainingConfig(AdamWConfig.defaults(), 512, 0.1, 0, 0);
    }

    public TrainingConfig withOptimizer(AdamWConfig newOptimizer) {
        return new TrainingConfig(newOptimizer, maxSequenceLength, dpoBeta, seed, padTokenId);
    }

    public TrainingConfig withSeed(long newSeed) {
        return new TrainingConfig(optimizer, maxSequenceLength, dpoBeta, newSeed, padTokenId);
    }
}
