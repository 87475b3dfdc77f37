package dev.streamtune.model.train;

/**
 * What one optimizer step did.
 *
 * @param step         optimizer step number after this step (1-based)
 * @param loss         the objective's value before the update
 * @param gradientNorm global gradient norm before clipping
 * @param tokens       tokens that went through forward and backward (B·T)
 */
public record StepResult(long step, double loss, double gradientNorm, long tokens) {}
