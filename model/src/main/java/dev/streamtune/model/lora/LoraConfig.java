package dev.streamtune.model.lora;

import dev.streamtune.model.Projection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * LoRA hyperparameters, as PEFT names them.
 *
 * @param rank     r, inner width of the update {@code B·A}; 8 is enough to specialise a model on one task
 *                 while keeping adapter files small
 * @param alpha    lora_alpha; the update is scaled by {@code alpha / r} so that changing r does not change
 *                 the effective learning rate; 16 (scaling 2) is PEFT's most common choice
 * @param dropout  lora_dropout, applied to the input of the LoRA branch only, during training only;
 *                 0.05 regularises small feedback datasets a little without slowing learning
 * @param targets  which projections of every layer get an adapter; attention q,k,v,o by default
 */
public record LoraConfig(int rank, double alpha, double dropout, Set<Projection> targets) {

    public LoraConfig {
        if (rank <= 0) {
            throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target projection");
        }
        targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
    }

    /** r 8, alpha 16, dropout 0.05 on q, k, v, o (see the parameter docs for why). */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 16, 0.05, EnumSet.of(Projection.Q, Projection.K, Projection.V, Projection.O));
    }

    /** The multiplier of {@code B·A}: alpha / r. */
    public double scaling() {
        return alpha / rank;
    }

    /** Copy with another dropout (e.g. 0 for deterministic tests). */
    public LoraConfig withDropout(double newDropout) {
        return new LoraConfig(rank, alpha, newDropout, targets);
    }
}
