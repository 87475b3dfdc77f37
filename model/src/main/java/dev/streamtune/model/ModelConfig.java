package dev.streamtune.model;

import java.util.List;
import java.util.Objects;

/**
 * Hyperparameters of a Llama-family decoder (Llama, Mistral, Qwen2), named as in Hugging Face's
 * {@code config.json}.
 *
 * @param architecture        HF class name written to {@code config.json}: {@code LlamaForCausalLM},
 *                            {@code MistralForCausalLM} or {@code Qwen2ForCausalLM}
 * @param vocabSize           V, rows of the token embedding
 * @param hiddenSize          C, width of the residual stream
 * @param intermediateSize    F, width of the SwiGLU MLP
 * @param numLayers           number of decoder blocks
 * @param numHeads            H, query heads
 * @param numKvHeads          K, key/value heads; H must be a multiple of K (grouped-query attention)
 * @param headDim             D, width of one head; C / H unless the checkpoint says otherwise
 * @param ropeTheta           base of the rotary frequencies (10 000 for Llama 2, 1e6 for Qwen2)
 * @param rmsNormEps          added to the mean square before the inverse square root
 * @param maxPositions        longest sequence the model was trained for (informational)
 * @param tieWordEmbeddings   the LM head reuses the token embedding matrix
 * @param attentionBias       q/k/v projections carry a bias (Qwen2 always does)
 * @param bosTokenId          beginning-of-sequence id, or -1 if none
 * @param eosTokenIds         ids that end generation by default (may be empty)
 */
public record ModelConfig(
        String architecture,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double ropeTheta,
        double rmsNormEps,
        int maxPositions,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        int bosTokenId,
        List<Integer> eosTokenIds) {

    public static final String LLAMA = "LlamaForCausalLM";
    public static final String MISTRAL = "MistralForCausalLM";
    public static final String QWEN2 = "Qwen2ForCausalLM";

    public ModelConfig {
        Objects.requireNonNull(architecture, "architecture");
        eosTokenIds = List.copyOf(eosTokenIds);
        require(vocabSize > 0, "vocab_size must be positive");
        require(hiddenSize > 0 && intermediateSize > 0 && numLayers > 0, "sizes must be positive");
        require(numHeads > 0 && numKvHeads > 0 && numHeads % numKvHeads == 0,
                "num_attention_heads (" + numHeads + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head_dim must be positive and even for rotary embeddings");
        require(ropeTheta > 0 && rmsNormEps > 0, "rope_theta and rms_norm_eps must be positive");
    }

    /**
     * A small Llama config for tests and benchmarks: D = C / H, F = C * 8/3 rounded up to a multiple of 16
     * (the SwiGLU width that keeps the MLP's parameter count near a 4x GELU MLP), theta 10 000 and eps 1e-5
     * as in Llama 2, untied head.
     */
    public static ModelConfig tinyLlama(int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads) {
        int ffn = ((hiddenSize * 8 / 3) + 15) / 16 * 16;
        return new ModelConfig(LLAMA, vocabSize, hiddenSize, ffn, numLayers, numHeads, numKvHeads,
                hiddenSize / numHeads, 10_000.0, 1e-5, 2048, false, false, 1, List.of(2));
    }

    /** Query heads per key/value head (G). */
    public int groupSize() {
        return numHeads / numKvHeads;
    }

    /** Returns a copy with another architecture name and attention-bias flag. */
    public ModelConfig withArchitecture(String newArchitecture, boolean newAttentionBias) {
        return new ModelConfig(newArchitecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads,
                numKvHeads, headDim, ropeTheta, rmsNormEps, maxPositions, tieWordEmbeddings, newAttentionBias,
                bosTokenId, eosTokenIds);
    }

    /** Returns a copy with the LM head tied to (or untied from) the embedding. */
    public ModelConfig withTiedEmbeddings(boolean tied) {
        return new ModelConfig(architecture, vocabSize, hiddenSize, intermediateSize, numLayers, numHeads,
                numKvHeads, headDim, ropeTheta, rmsNormEps, maxPositions, tied, attentionBias, bosTokenId,
                eosTokenIds);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
