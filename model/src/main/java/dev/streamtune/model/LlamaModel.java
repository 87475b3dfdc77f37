package dev.streamtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import dev.streamtune.model.lora.LoraAdapter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Llama-family decoder-only transformer (Llama 2/3, Mistral, Qwen2) written as one straight forward pass
 * over plain DJL arrays, with optional LoRA adapters on its projections.
 *
 * <p>Legend for the shape comments:
 * <pre>
 *   B  batch                       T  new tokens in this call       P  tokens already in the KV cache
 *   S  P + T, keys attended to     C  hidden size (d_model)         V  vocabulary size
 *   H  query heads                 K  key/value heads               G  H / K, query heads per kv head
 *   D  head dim                    F  MLP hidden size
 * </pre>
 *
 * <p>Weights are stored as in Hugging Face checkpoints ({@code [out, in]} for every projection) and rotary
 * embeddings use HF's "rotate half" layout: dimension i of a head pairs with i + D/2.
 *
 * <p>Lifetimes: the model owns its weights in {@link #manager()}. Every array {@link #forward} creates
 * attaches to the manager of {@code inputIds}, so callers run it inside a per-call sub-manager or
 * {@link ai.djl.ndarray.NDScope} and keep only what they copy out. Forward passes may run concurrently
 * (the weights are only read); merging an adapter swaps weights and must not race with them.
 */
public final class LlamaModel implements AutoCloseable {
    static {
        CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);
    /** Added to the attention score of a masked key; exp() of it underflows to exactly 0 in float32. */
    private static final float MASKED = -1e9f;
    private static final Projection[] PROJECTIONS = Projection.values();

    private final ModelConfig config;
    private final NDManager manager;
    private final DataType dataType;
    private final NDArray tokenEmbedding;     // [V, C]
    private final Layer[] layers;
    private final NDArray finalNorm;          // [C]
    private final NDArray lmHead;             // [V, C], the embedding itself when tied
    private final NDArray inverseFrequencies; // [D/2], float32: theta^(-2i/D)
    private final NDArray inverseScoreScale;  // scalar 1/√D (an owned array: see Tensors.scalar)
    private final NDArray minusHalf;          // scalar −0.5, the RMSNorm exponent (owned, as above)
    private final NDArray inverseHidden;      // scalar 1/C (owned, as above)

    /** One decoder block's weights. Projection weights are [out, in]; biases [out] or null. */
    private static final class Layer {
        NDArray attentionNorm;                                 // [C]
        NDArray mlpNorm;                                       // [C]
        final NDArray[] weight = new NDArray[PROJECTIONS.length];
        final NDArray[] bias = new NDArray[PROJECTIONS.length];
    }

    private LlamaModel(ModelConfig config, NDManager manager, Map<String, NDArray> tensors) {
        this.config = config;
        this.manager = manager;
        Map<String, NDArray> remaining = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            NDArray owned = Tensors.owned(t); // libtorch-owned memory, see Tensors.owned
            owned.attach(manager);
            remaining.put(name, owned);
        });
        this.tokenEmbedding = take(remaining, "model.embed_tokens.weight", config.vocabSize(), config.hiddenSize());
        this.dataType = tokenEmbedding.getDataType();
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            Layer layer = new Layer();
            String prefix = "model.layers." + i + ".";
            layer.attentionNorm = take(remaining, prefix + "input_layernorm.weight", config.hiddenSize());
            layer.mlpNorm = take(remaining, prefix + "post_attention_layernorm.weight", config.hiddenSize());
            for (Projection p : PROJECTIONS) {
                String path = p.modulePath(i);
                layer.weight[p.ordinal()] = take(remaining, path + ".weight", p.outFeatures(config), p.inFeatures(config));
                boolean hasBias = config.attentionBias() && (p == Projection.Q || p == Projection.K || p == Projection.V);
                if (hasBias) {
                    layer.bias[p.ordinal()] = take(remaining, path + ".bias", p.outFeatures(config));
                }
            }
            layers[i] = layer;
        }
        this.finalNorm = take(remaining, "model.norm.weight", config.hiddenSize());
        if (config.tieWordEmbeddings()) {
            NDArray unused = remaining.remove("lm_head.weight");
            if (unused != null) {
                unused.close(); // some tied checkpoints store a copy; the embedding is authoritative
            }
            this.lmHead = tokenEmbedding;
        } else {
            this.lmHead = take(remaining, "lm_head.weight", config.vocabSize(), config.hiddenSize());
        }
        for (Map.Entry<String, NDArray> unused : remaining.entrySet()) {
            LOG.warn("ignoring unexpected tensor {} {}", unused.getKey(), unused.getValue().getShape());
            unused.getValue().close();
        }
        int half = config.headDim() / 2;
        float[] inverse = new float[half];
        for (int i = 0; i < half; i++) {
            inverse[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim()));
        }
        this.inverseFrequencies = Tensors.owned(manager.create(inverse));
        this.inverseScoreScale = Tensors.scalar(manager, 1.0 / Math.sqrt(config.headDim()), dataType);
        this.minusHalf = Tensors.scalar(manager, -0.5, dataType);
        this.inverseHidden = Tensors.scalar(manager, 1.0 / config.hiddenSize(), dataType);
    }

    /**
     * Builds a model from tensors named as in a Hugging Face checkpoint ({@code model.embed_tokens.weight},
     * {@code model.layers.0.self_attn.q_proj.weight}, ...). Takes ownership of {@code manager} and of the
     * tensors, which move into it. Shapes are checked against {@code config}.
     */
    public static LlamaModel fromTensors(ModelConfig config, Map<String, NDArray> tensors, NDManager manager) {
        try {
            return new LlamaModel(config, manager, tensors);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A randomly initialised model drawn from {@code seed} in a fixed order, for tests and benchmarks:
     * every matrix N(0, 1/fan_in) (the embedding's fan-in taken as C), so activations and logits keep unit
     * scale through the layers like a trained model's; biases N(0, 0.02²); norms 1.
     */
    public static LlamaModel random(ModelConfig config, long seed, DataType dataType) {
        NDManager manager = NDManager.newBaseManager();
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        double embeddingStd = 1 / Math.sqrt(config.hiddenSize());
        tensors.put("model.embed_tokens.weight",
                gaussian(manager, random, dataType, embeddingStd, config.vocabSize(), config.hiddenSize()));
        for (int i = 0; i < config.numLayers(); i++) {
            String prefix = "model.layers." + i + ".";
            tensors.put(prefix + "input_layernorm.weight", manager.ones(new Shape(config.hiddenSize()), dataType));
            for (Projection p : PROJECTIONS) {
                tensors.put(p.modulePath(i) + ".weight",
                        gaussian(manager, random, dataType, 1 / Math.sqrt(p.inFeatures(config)),
                                p.outFeatures(config), p.inFeatures(config)));
                if (config.attentionBias() && (p == Projection.Q || p == Projection.K || p == Projection.V)) {
                    tensors.put(p.modulePath(i) + ".bias", gaussian(manager, random, dataType, 0.02, p.outFeatures(config)));
                }
            }
            tensors.put(prefix + "post_attention_layernorm.weight", manager.ones(new Shape(config.hiddenSize()), dataType));
        }
        tensors.put("model.norm.weight", manager.ones(new Shape(config.hiddenSize()), dataType));
        if (!config.tieWordEmbeddings()) {
            tensors.put("lm_head.weight",
                    gaussian(manager, random, dataType, embeddingStd, config.vocabSize(), config.hiddenSize()));
        }
        return fromTensors(config, tensors, manager);
    }

    private static NDArray gaussian(NDManager manager, SplittableRandom random, DataType dataType, double std,
                                    long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (std * random.nextGaussian());
        }
        return manager.create(values, new Shape(shape)).toType(dataType, false);
    }

    /** A copy of this model with every weight converted to {@code newType} (e.g. FLOAT64 for gradient checks). */
    public LlamaModel toDataType(DataType newType) {
        NDManager newManager = NDManager.newBaseManager();
        Map<String, NDArray> converted = new LinkedHashMap<>();
        tensors().forEach((name, t) -> converted.put(name, t.toType(newType, true)));
        return fromTensors(config, converted, newManager);
    }

    public ModelConfig config() {
        return config;
    }

    /** Manager owning the weights; adapters for this model live in sub-managers of it. */
    public NDManager manager() {
        return manager;
    }

    /** Element type of the weights (FLOAT32 unless converted). */
    public DataType dataType() {
        return dataType;
    }

    /** Every weight under its Hugging Face name, in checkpoint order (live arrays; do not close them). */
    public Map<String, NDArray> tensors() {
        Map<String, NDArray> map = new LinkedHashMap<>();
        map.put("model.embed_tokens.weight", tokenEmbedding);
        for (int i = 0; i < layers.length; i++) {
            Layer layer = layers[i];
            String prefix = "model.layers." + i + ".";
            map.put(prefix + "input_layernorm.weight", layer.attentionNorm);
            for (Projection p : PROJECTIONS) {
                map.put(p.modulePath(i) + ".weight", layer.weight[p.ordinal()]);
                if (layer.bias[p.ordinal()] != null) {
                    map.put(p.modulePath(i) + ".bias", layer.bias[p.ordinal()]);
                }
            }
            map.put(prefix + "post_attention_layernorm.weight", layer.mlpNorm);
        }
        map.put("model.norm.weight", finalNorm);
        if (!config.tieWordEmbeddings()) {
            map.put("lm_head.weight", lmHead);
        }
        return map;
    }

    /** The live weight {@code [out, in]} of one projection. */
    public NDArray projectionWeight(int layer, Projection p) {
        return layers[layer].weight[p.ordinal()];
    }

    /**
     * Swaps in another weight for one projection and returns the previous one (used by LoRA merging).
     * The new array moves to this model's manager.
     */
    public NDArray replaceProjectionWeight(int layer, Projection p, NDArray weight) {
        NDArray old = layers[layer].weight[p.ordinal()];
        if (!weight.getShape().equals(old.getShape()) || weight.getDataType() != old.getDataType()) {
            throw new IllegalArgumentException("replacement weight " + weight.getShape() + " " + weight.getDataType()
                    + " does not match " + old.getShape() + " " + old.getDataType());
        }
        weight.attach(manager);
        layers[layer].weight[p.ordinal()] = weight;
        return old;
    }

    /** Starts an empty KV cache for incremental decoding; its arrays live in a sub-manager of {@code parent}. */
    public KvCache newCache(NDManager parent) {
        return new KvCache(parent, config.numLayers());
    }

    /** Logits {@code [B, T, V]} of the base model (no adapter, no padding, no cache) for ids {@code [B, T]}. */
    public NDArray forward(NDArray inputIds) {
        return forward(inputIds, null, null, null, false);
    }

    /**
     * The decoder: token ids to next-token logits.
     *
     * @param inputIds      {@code [B, T]} integer token ids (int32 or int64)
     * @param attentionMask {@code [B, S]} 1 for real tokens and 0 for padding, covering cached and new
     *                      positions, or null when nothing is padded. Positions count only real tokens, so
     *                      left-padded prompts get the same rotary positions as unpadded ones.
     * @param cache         KV cache to read from and append to, or null to attend only within inputIds
     * @param adapter       LoRA adapter to apply, or null for the base model
     * @param training      true to apply LoRA dropout (training); false for evaluation and generation
     * @return logits {@code [B, T, V]}, attached to inputIds' manager
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, KvCache cache, LoraAdapter adapter,
                           boolean training) {
        NDManager m = inputIds.getManager();
        long batch = inputIds.getShape().get(0);
        long steps = inputIds.getShape().get(1);
        long past = cache == null ? 0 : cache.length();
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int headDim = config.headDim();

        long tokens = batch * steps;
        // The residual stream and every projection are 2-D, [B·T, ·]: each projection is then one plain GEMM and a
        // LoRA branch accumulates into its output with addmm_ (no batched GEMM over an expanded B, no reduction of
        // its gradient over the batch); only attention sees [B, heads, T, D].
        NDArray x = embed(inputIds);                                                                  // [B·T,C]
        NDArray[] cosSin = rotaryTables(m, attentionMask, past, steps);  // cos, [−sin, sin]: [1|B, T, 1, D]
        // plain causal self-attention (no cache, no padding): libtorch's fused kernel, no explicit mask needed
        boolean causalOnly = cache == null && attentionMask == null && steps > 1 && TorchKernels.enabled();
        NDArray maskBias = causalOnly ? null : attentionBias(m, attentionMask, past, steps); // [1|B, 1, T, S] or null

        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            // --- attention ---
            NDArray h = rmsNorm(x, layer.attentionNorm);                                              // [B·T,C]
            // rotated in the projections' own layout [B,T,·,D], then viewed as [B,·,T,D]: attention's gradients
            // come back in that layout, so reshaping them to [B·T, ·] needs no copy
            NDArray q = project(h, l, Projection.Q, adapter, training)
                    .reshape(batch, steps, heads, headDim);                                           // [B,T,H,D]
            NDArray k = project(h, l, Projection.K, adapter, training)
                    .reshape(batch, steps, kvHeads, headDim);                                         // [B,T,K,D]
            NDArray v = project(h, l, Projection.V, adapter, training)
                    .reshape(batch, steps, kvHeads, headDim);                                         // [B,T,K,D]
            q = rotate(q, cosSin).transpose(0, 2, 1, 3);                                              // [B,H,T,D]
            k = rotate(k, cosSin).transpose(0, 2, 1, 3);                                              // [B,K,T,D]
            v = v.transpose(0, 2, 1, 3);                                                              // [B,K,T,D]
            if (cache != null) {
                NDArray[] all = cache.append(l, k, v);
                k = all[0];                                                                           // [B,K,S,D]
                v = all[1];                                                                           // [B,K,S,D]
            }
            NDArray attended = attention(q, k, v, maskBias, causalOnly)                               // [B,H,T,D]
                    .transpose(0, 2, 1, 3)                                                            // [B,T,H,D]
                    .reshape(tokens, (long) heads * headDim);                                         // [B·T,H*D]
            x = addProjection(x, attended, l, Projection.O, adapter, training);                     // [B·T,C]
            // --- SwiGLU MLP ---
            h = rmsNorm(x, layer.mlpNorm);                                                            // [B·T,C]
            NDArray gate = project(h, l, Projection.GATE, adapter, training);                       // [B·T,F]
            NDArray up = project(h, l, Projection.UP, adapter, training);                           // [B·T,F]
            NDArray swiglu = siluMul(gate, up);                                                       // [B·T,F]
            x = addProjection(x, swiglu, l, Projection.DOWN, adapter, training);                    // [B·T,C]
        }
        if (cache != null) {
            cache.advance(steps);
        }
        return head(x, batch, steps);                                                                 // [B,T,V]
    }

    // --- pieces of the forward for BlockTraining's hand-written training pass ---

    /** Token embeddings of {@code inputIds} [B, T] as the residual stream [B·T, C]. */
    NDArray embed(NDArray inputIds) {
        NDArray ids = inputIds.getDataType() == DataType.INT64 ? inputIds : inputIds.toType(DataType.INT64, false);
        return ids.getNDArrayInternal().embedding(ids.reshape(ids.size()), tokenEmbedding, SparseFormat.DENSE)
                .singletonOrThrow();                                                                  // [B·T,C]
    }

    /** Rotary tables for positions 0..T−1: cos and [−sin, sin], each [1, T, 1, D]. */
    NDArray[] rotaryTables(NDManager m, long steps) {
        return rotaryTables(m, null, 0, steps);
    }

    /** The attention RMSNorm's weight [C] of block {@code layer}. */
    NDArray attentionNorm(int layer) {
        return layers[layer].attentionNorm;
    }

    /** The MLP RMSNorm's weight [C] of block {@code layer}. */
    NDArray mlpNorm(int layer) {
        return layers[layer].mlpNorm;
    }

    /** The bias [out] of one projection, or null. */
    NDArray projectionBias(int layer, Projection p) {
        return layers[layer].bias[p.ordinal()];
    }

    /** Final RMSNorm and LM head: the last block's output [B·T, C] to logits [B, T, V] (recorded in grad mode). */
    NDArray head(NDArray x, long batch, long steps) {
        return linear(rmsNorm(x, finalNorm), lmHead, null).reshape(batch, steps, config.vocabSize());  // [B,T,V]
    }

    /** {@code x·Wᵀ + b} (+ the adapter's branch) for one projection. */
    private NDArray project(NDArray x, int layer, Projection p, LoraAdapter adapter, boolean training) {
        Layer weights = layers[layer];
        NDArray y = linear(x, weights.weight[p.ordinal()], weights.bias[p.ordinal()]);        // [.., out]
        return adapter == null ? y : adapter.addTo(y, layer, p, x, training);               // [.., out]
    }

    /**
     * {@code residual + project(x)}; without a bias as one GEMM that accumulates into a copy of the residual
     * (addmm with the residual as a full-size "bias"), instead of a GEMM writing a temporary and an add reading it.
     */
    private NDArray addProjection(NDArray residual, NDArray x, int layer, Projection p, LoraAdapter adapter,
                                  boolean training) {
        Layer weights = layers[layer];
        if (weights.bias[p.ordinal()] != null) {
            return residual.add(project(x, layer, p, adapter, training));                          // [.., out]
        }
        NDArray y = linear(x, weights.weight[p.ordinal()], residual);                              // [.., out]
        return adapter == null ? y : adapter.addTo(y, layer, p, x, training);                   // [.., out]
    }

    /**
     * Attention of q over k, v: {@code softmax(q·kᵀ/√D + mask)·v}. With {@code causalOnly} (keys = the same T
     * positions, nothing padded) libtorch's fused causal kernel computes it; otherwise scores, additive mask and
     * softmax are spelled out.
     *
     * @param q        [B,H,T,D]
     * @param k        [B,K,S,D]
     * @param v        [B,K,S,D]
     * @param maskBias [1|B,1,T,S] additive mask, or null (causalOnly, or a single new token)
     * @return [B,H,T,D]
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray maskBias, boolean causalOnly) {
        if (causalOnly) {
            return TorchKernels.causalAttention(q, k, v);                                            // [B,H,T,D]
        }
        long batch = q.getShape().get(0);
        long steps = q.getShape().get(2);
        long keys = k.getShape().get(2);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int group = config.groupSize();
        int headDim = config.headDim();
        NDArray scores = q.reshape(batch, kvHeads, group * steps, headDim)                         // [B,K,G*T,D]
                .matMul(k.transpose(0, 1, 3, 2))                                                   // [B,K,G*T,S]
                .mul(inverseScoreScale)
                .reshape(batch, heads, steps, keys);                                               // [B,H,T,S]
        if (maskBias != null) {
            scores = scores.add(maskBias);                                                         // [B,H,T,S]
        }
        return scores.softmax(3)
                .reshape(batch, kvHeads, group * steps, keys)                                      // [B,K,G*T,S]
                .matMul(v)                                                                         // [B,K,G*T,D]
                .reshape(batch, heads, steps, headDim);                                            // [B,H,T,D]
    }

    /** SwiGLU's gating {@code silu(gate)·up = gate·σ(gate)·up}: libtorch's silu kernel when available. */
    private static NDArray siluMul(NDArray gate, NDArray up) {
        return TorchKernels.enabled() ? TorchKernels.siluMul(gate, up) : gate.mul(Activation.sigmoid(gate)).mul(up);
    }

    /** RMSNorm: {@code x · (mean(x²) + eps)^(−1/2) · w} over the last axis (as HF: x · rsqrt(var + eps) · w). */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        int last = x.getShape().dimension() - 1;
        // mean(x²) as ‖x‖²/C: the norm is one reduction over x and its backward one pass (x·g/‖x‖), where
        // square-then-mean writes and reads an x-sized temporary and takes three passes back
        NDArray inverseRms = x.norm(2, new int[] {last}, true).square().mul(inverseHidden)        // [..,1]
                .add(config.rmsNormEps()).pow(minusHalf);                                       // [..,1]
        return x.mul(inverseRms).mul(weight);                                                  // [..,C]
    }

    /**
     * Rotary embedding, HF layout: {@code x·cos + rotate_half(x)·sin}, rotate_half(x) = [−x₂, x₁], computed as
     * {@code x·cos + [x₂, x₁]·[−sin, sin]}: through {@link TorchKernels#rotary} (one roll and one addcmul) when
     * available, else spelled out.
     */
    private static NDArray rotate(NDArray x, NDArray[] cosSin) {
        if (TorchKernels.enabled()) {
            return TorchKernels.rotary(x, cosSin[0], cosSin[1]);
        }
        long half = x.getShape().get(3) / 2;
        NDList halves = x.split(new long[] {half}, 3);                  // x₁, x₂: [B,T,*,D/2]
        NDArray swapped = halves.get(1).concat(halves.get(0), 3);       // [x₂, x₁]: [B,T,*,D]
        return x.mul(cosSin[0]).add(swapped.mul(cosSin[1]));
    }

    /**
     * cos of position·θᵢ for the new tokens, duplicated across the two halves of each head, and sin likewise with
     * its first half negated (rotate_half's sign), laid out for q and k as [B, T, heads, D]: {@code [1, T, 1, D]}
     * when positions are P..P+T−1, {@code [B, T, 1, D]} when derived from a padding mask.
     */
    private NDArray[] rotaryTables(NDManager m, NDArray attentionMask, long past, long steps) {
        NDArray positions;                                                              // [1|B, T] float32
        if (attentionMask == null) {
            positions = m.arange((float) past, (float) (past + steps), 1f, DataType.FLOAT32).reshape(1, steps);
        } else {
            positions = attentionMask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(0) // [B,S]
                    .get(":, " + past + ":").toType(DataType.FLOAT32, false);                   // [B,T]
        }
        NDArray angles = positions.expandDims(2).mul(inverseFrequencies);                // [1|B, T, D/2]
        NDArray cos = angles.cos();                                                       // [1|B, T, D/2]
        NDArray sin = angles.sin();                                                       // [1|B, T, D/2]
        cos = cos.concat(cos, 2).expandDims(2);                                           // [1|B, T, 1, D]
        NDArray signedSin = sin.neg().concat(sin, 2).expandDims(2);                       // [1|B, T, 1, D]
        if (dataType != DataType.FLOAT32) {
            cos = cos.toType(dataType, false);
            signedSin = signedSin.toType(dataType, false);
        }
        return new NDArray[] {cos, signedSin};
    }

    /**
     * Additive attention bias: 0 where query i may see key j (j ≤ P + i and j is not padding), else
     * {@value #MASKED}. Null when nothing needs masking (one new token, no padding).
     */
    private NDArray attentionBias(NDManager m, NDArray attentionMask, long past, long steps) {
        long keys = past + steps;
        NDArray bias = null;
        if (steps > 1) {
            float[] causal = new float[Math.toIntExact(steps * keys)];
            for (int i = 0; i < steps; i++) {
                for (long j = past + i + 1; j < keys; j++) {
                    causal[Math.toIntExact(i * keys + j)] = MASKED;
                }
            }
            bias = Tensors.owned(m.create(causal, new Shape(1, 1, steps, keys)));                          // [1,1,T,S]
        }
        if (attentionMask != null) {
            long batch = attentionMask.getShape().get(0);
            NDArray padding = attentionMask.toType(DataType.FLOAT32, false).sub(1).mul(-MASKED)
                    .reshape(batch, 1, 1, keys);                                              // [B,1,1,S]
            bias = bias == null ? padding : bias.add(padding);                                // [B,1,T,S]
        }
        if (bias != null && dataType != DataType.FLOAT32) {
            bias = bias.toType(dataType, false);
        }
        return bias;
    }

    /** {@code x·Wᵀ + b} with W stored {@code [out, in]} as in checkpoints; b may be null. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    private static NDArray take(Map<String, NDArray> tensors, String name, long... shape) {
        NDArray t = tensors.remove(name);
        if (t == null) {
            throw new IllegalArgumentException("checkpoint is missing tensor " + name);
        }
        if (!t.getShape().equals(new Shape(shape))) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + t.getShape() + ", expected "
                    + new Shape(shape));
        }
        return t;
    }

    /** Number of weights (the tied head counted once). */
    public long parameterCount() {
        return tensors().values().stream().mapToLong(NDArray::size).sum();
    }

    @Override
    public void close() {
        manager.close();
    }
}
