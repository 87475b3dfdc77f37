package dev.streamtune.model.train;

/**
 * AdamW hyperparameters (Loshchilov &amp; Hutter, decoupled weight decay), as torch.optim.AdamW names them.
 *
 * @param learningRate 2e-4: the usual LoRA learning rate; LoRA tolerates ~10x the full-fine-tuning rate
 *                     because B starts at zero and the update is low-rank
 * @param beta1        0.9, PyTorch's default first-moment decay
 * @param beta2        0.999, PyTorch's default second-moment decay
 * @param epsilon      1e-8, PyTorch's default, added to √v̂
 * @param weightDecay  0.01, torch.optim.AdamW's default; decays weights by {@code lr·wd} per step,
 *                     independently of the gradient
 * @param maxGradNorm  1.0: global L2 norm gradients are clipped to (as HF Trainer does); ≤ 0 disables
 */
public record AdamWConfig(double learningRate, double beta1, double beta2, double epsilon, double weightDecay,
                          double maxGradNorm) {

    public AdamWConfig {
        if (!(learningRate > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)
                || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("invalid AdamW hyperparameters " + learningRate + ", " + beta1 + ", "
                    + beta2 + ", " + epsilon + ", " + weightDecay);
        }
    }

    public static AdamWConfig defaults() {
        return new AdamWConfig(2e-4, 0.9, 0.999, 1e-8, 0.01, 1.0);
    }

    public AdamWConfig withLearningRate(double lr) {
        return new AdamWConfig(lr, beta1, beta2, epsilon, weightDecay, maxGradNorm);
    }
}
