package dev.streamtune.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.streamtune.model.Tensors;

/** Training objectives over logits {@code [B, T, V]}. */
public final class Losses {
    private Losses() {}

    /**
     * Per-token log-likelihood of the targets, {@code log softmax(logits)[b, t, target[b, t]]}, shape [B, T].
     */
    public static NDArray targetLogProbs(NDArray logits, NDArray targets) {
        NDArray logProbs = logits.logSoftmax(2);                                               // [B,T,V]
        NDArray index = targets.toType(DataType.INT64, false).expandDims(2);                    // [B,T,1]
        return logProbs.gather(index, 2).squeeze(2);                                            // [B,T]
    }

    /**
     * Causal-LM cross-entropy averaged over the weighted (completion) tokens of the whole batch:
     * {@code −Σ w·log p(target) / Σ w}. Prompt and padding positions carry weight 0.
     *
     * @param logits  [B, T, V]
     * @param targets [B, T] next-token ids
     * @param weights [B, T] 1 for completion tokens, 0 elsewhere
     * @return scalar loss
     */
    public static NDArray causalLmLoss(NDArray logits, NDArray targets, NDArray weights) {
        NDArray w = weights.toType(logits.getDataType(), false);
        return targetLogProbs(logits, targets).mul(w).sum().neg().div(w.sum().maximum(1));
    }

    /** Σ over each row's weighted tokens of log p(target): the completion's log-likelihood, shape [B]. */
    public static NDArray sequenceLogProbs(NDArray logits, NDArray targets, NDArray weights) {
        NDArray w = weights.toType(logits.getDataType(), false);
        return targetLogProbs(logits, targets).mul(w).sum(new int[] {1});                       // [B]
    }

    /**
     * Direct Preference Optimization (Rafailov et al. 2023):
     * {@code −log σ(β·[(log πθ(chosen) − log πref(chosen)) − (log πθ(rejected) − log πref(rejected))])},
     * averaged over pairs. All inputs are per-pair completion log-likelihoods [N]; the reference ones carry no
     * gradient. Written as {@code softplus(−z)}, which equals {@code −log σ(z)} and does not overflow.
     */
    public static NDArray dpoLoss(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
                                  NDArray referenceRejected, double beta) {
        NDArray betaArray = Tensors.scalar(policyChosen.getManager(), beta, policyChosen.getDataType());
        NDArray margin = policyChosen.sub(referenceChosen).sub(policyRejected.sub(referenceRejected)).mul(betaArray); // [N]
        return Activation.softPlus(margin.neg()).mean();
    }
}
