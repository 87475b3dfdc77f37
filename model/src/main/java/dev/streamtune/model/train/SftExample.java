package dev.streamtune.model.train;

/**
 * A supervised example: the model learns to produce {@code completionIds} after {@code promptIds}; the loss
 * counts completion tokens only. Include BOS in the prompt and EOS at the end of the completion if the model
 * should learn them.
 */
public record SftExample(long[] promptIds, long[] completionIds) {
    public SftExample {
        if (promptIds.length == 0 || completionIds.length == 0) {
            throw new IllegalArgumentException("an SFT example needs at least one prompt and one completion token");
        }
        promptIds = promptIds.clone();
        completionIds = completionIds.clone();
    }
}
