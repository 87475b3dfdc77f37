package dev.streamtune.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.Tensors;
import java.util.List;

/**
 * Examples packed into right-padded rows for teacher forcing. For a sequence s = prompt ++ completion,
 * the inputs are s[0..n−2] and the targets s[1..n−1]; a target counts in the loss (weight 1) only if it is
 * a completion token. Sequences longer than {@code maxLength + 1} tokens lose their tail.
 *
 * @param rows          B
 * @param length        T, the longest row's input length
 * @param inputIds      [B·T] input ids, padded with the pad id
 * @param attentionMask [B·T] 1 for real input tokens, 0 for padding
 * @param targets       [B·T] next-token ids (0 where weight is 0)
 * @param lossWeights   [B·T] 1 for completion targets, else 0
 */
public record TokenBatch(int rows, int length, long[] inputIds, long[] attentionMask, long[] targets, float[] lossWeights) {

    /** Packs {@code examples} into one batch. */
    public static TokenBatch of(List<SftExample> examples, long padId, int maxLength) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        int length = 0;
        for (SftExample e : examples) {
            length = Math.max(length, Math.min(maxLength, e.promptIds().length + e.completionIds().length - 1));
        }
        int rows = examples.size();
        long[] inputs = new long[rows * length];
        long[] mask = new long[rows * length];
        long[] targets = new long[rows * length];
        float[] weights = new float[rows * length];
        java.util.Arrays.fill(inputs, padId);
        for (int b = 0; b < rows; b++) {
            SftExample e = examples.get(b);
            int promptLength = e.promptIds().length;
            int total = Math.min(maxLength + 1, promptLength + e.completionIds().length);
            for (int t = 0; t + 1 < total; t++) {
                int at = b * length + t;
                inputs[at] = token(e, t);
                mask[at] = 1;
                if (t + 1 >= promptLength) {
                    targets[at] = token(e, t + 1);
                    weights[at] = 1f;
                }
            }
        }
        return new TokenBatch(rows, length, inputs, mask, targets, weights);
    }

    private static long token(SftExample e, int position) {
        int promptLength = e.promptIds().length;
        return position < promptLength ? e.promptIds()[position] : e.completionIds()[position - promptLength];
    }

    /** Number of tokens that count in the loss. */
    public int completionTokens() {
        int n = 0;
        for (float w : lossWeights) {
            n += w > 0 ? 1 : 0;
        }
        return n;
    }

    /** Input ids [B, T] in {@code manager}. */
    public NDArray inputIds(NDManager manager) {
        return Tensors.owned(manager.create(inputIds, new Shape(rows, length)));
    }

    /** Attention mask [B, T] in {@code manager}. */
    public NDArray attentionMask(NDManager manager) {
        return Tensors.owned(manager.create(attentionMask, new Shape(rows, length)));
    }

    /** Targets [B, T] in {@code manager}. */
    public NDArray targets(NDManager manager) {
        return Tensors.owned(manager.create(targets, new Shape(rows, length)));
    }

    /** Loss weights [B, T] in {@code manager}. */
    public NDArray lossWeights(NDManager manager) {
        return Tensors.owned(manager.create(lossWeights, new Shape(rows, length)));
    }

    /** True if no row is padded, so the attention mask can be left out. */
    public boolean unpadded() {
        for (long m : attentionMask) {
            if (m == 0) {
                return false;
            }
        }
        return true;
    }
}
