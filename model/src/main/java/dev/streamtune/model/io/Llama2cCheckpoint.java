package dev.streamtune.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads Andrej Karpathy's llama2.c {@code .bin} checkpoints (the "legacy" version-0 format).
 *
 * <p>Layout: seven little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a negative vocab_size means the classifier is stored separately), then float32 arrays:
 * token embedding [V, C]; per-layer stacks rms_att [L, C], wq [L, C, C], wk [L, K·D, C], wv [L, K·D, C],
 * wo [L, C, C], rms_ffn [L, C], w1 [L, F, C], w2 [L, C, F], w3 [L, F, C]; rms_final [C]; the RoPE tables
 * freq_cis_real and freq_cis_imag [seq_len, D/2] (skipped); then the classifier [V, C] if not shared.
 * Every matrix is [out, in], as in PyTorch.
 *
 * <p>RoPE layout: llama2.c rotates adjacent pairs (2i, 2i+1) of each head; Hugging Face rotates halves
 * (i, i + D/2). Both use the frequency θ^(−2i/D) for pair i, so permuting the output rows of wq and wk
 * within each head — HF row {@code h·D + j·D/2 + i} takes llama2.c row {@code h·D + 2i + j} — makes the
 * rotate-half model compute exactly the same attention scores. This is the permutation HF's own
 * conversion script applies. w1/w3/w2 are gate/up/down.
 */
public final class Llama2cCheckpoint {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private Llama2cCheckpoint() {}

    /** Loads {@code file} as a Llama model in HF layout (BOS 1, EOS 2 as in the Llama 2 tokenizer). */
    public static LlamaModel load(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
            bytes.order(ByteOrder.LITTLE_ENDIAN);
            int dim = bytes.getInt();
            int hiddenDim = bytes.getInt();
            int layers = bytes.getInt();
            int heads = bytes.getInt();
            int kvHeads = bytes.getInt();
            int vocab = bytes.getInt();
            int seqLen = bytes.getInt();
            boolean shared = vocab > 0;
            vocab = Math.abs(vocab);
            if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || dim % heads != 0 || seqLen <= 0) {
                throw new IOException(file + ": not a llama2.c checkpoint (header " + dim + ", " + hiddenDim + ", "
                        + layers + ", " + heads + ", " + kvHeads + ", " + vocab + ", " + seqLen + ")");
            }
            int headDim = dim / heads;
            int kvDim = kvHeads * headDim;
            long expectedFloats = (long) vocab * dim
                    + (long) layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * dim * hiddenDim)
                    + dim + (long) seqLen * headDim + (shared ? 0 : (long) vocab * dim);
            if (channel.size() != 28 + 4 * expectedFloats) {
                throw new IOException(file + ": size " + channel.size() + " does not match its header (expected "
                        + (28 + 4 * expectedFloats) + " bytes)");
            }
            ModelConfig config = new ModelConfig(ModelConfig.LLAMA, vocab, dim, hiddenDim, layers, heads, kvHeads,
                    headDim, 10_000.0, 1e-5, seqLen, shared, false, 1, List.of(2));
            FloatBuffer floats = bytes.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();

            NDManager manager = NDManager.newBaseManager();
            try {
                Map<String, NDArray> tensors = new LinkedHashMap<>();
                tensors.put("model.embed_tokens.weight", next(manager, floats, vocab, dim));
                float[][] rmsAtt = stack(floats, layers, dim);
                float[][] wq = stack(floats, layers, dim * dim);
                float[][] wk = stack(floats, layers, kvDim * dim);
                float[][] wv = stack(floats, layers, kvDim * dim);
                float[][] wo = stack(floats, layers, dim * dim);
                float[][] rmsFfn = stack(floats, layers, dim);
                float[][] w1 = stack(floats, layers, hiddenDim * dim);
                float[][] w2 = stack(floats, layers, dim * hiddenDim);
                float[][] w3 = stack(floats, layers, hiddenDim * dim);
                for (int l = 0; l < layers; l++) {
                    String prefix = "model.layers." + l + ".";
                    tensors.put(prefix + "input_layernorm.weight", manager.create(rmsAtt[l], new Shape(dim)));
                    tensors.put(prefix + "self_attn.q_proj.weight",
                            manager.create(pairsToHalves(wq[l], heads, headDim, dim), new Shape(dim, dim)));
                    tensors.put(prefix + "self_attn.k_proj.weight",
                            manager.create(pairsToHalves(wk[l], kvHeads, headDim, dim), new Shape(kvDim, dim)));
                    tensors.put(prefix + "self_attn.v_proj.weight", manager.create(wv[l], new Shape(kvDim, dim)));
                    tensors.put(prefix + "self_attn.o_proj.weight", manager.create(wo[l], new Shape(dim, dim)));
                    tensors.put(prefix + "post_attention_layernorm.weight", manager.create(rmsFfn[l], new Shape(dim)));
                    tensors.put(prefix + "mlp.gate_proj.weight", manager.create(w1[l], new Shape(hiddenDim, dim)));
                    tensors.put(prefix + "mlp.up_proj.weight", manager.create(w3[l], new Shape(hiddenDim, dim)));
                    tensors.put(prefix + "mlp.down_proj.weight", manager.create(w2[l], new Shape(dim, hiddenDim)));
                }
                tensors.put("model.norm.weight", next(manager, floats, dim));
                floats.position(floats.position() + seqLen * headDim); // freq_cis_real + freq_cis_imag
                if (!shared) {
                    tensors.put("lm_head.weight", next(manager, floats, vocab, dim));
                }
                return LlamaModel.fromTensors(config, tensors, manager);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    /**
     * Reorders the output rows of a q or k projection {@code [heads·D, in]} from llama2.c's adjacent-pair
     * RoPE layout to HF's rotate-half layout: within each head, new row j·D/2 + i is old row 2i + j.
     */
    static float[] pairsToHalves(float[] weight, int heads, int headDim, int in) {
        float[] out = new float[weight.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int newRow = h * headDim + j * half + i;
                    int oldRow = h * headDim + 2 * i + j;
                    System.arraycopy(weight, oldRow * in, out, newRow * in, in);
                }
            }
        }
        return out;
    }

    private static NDArray next(NDManager manager, FloatBuffer floats, long... shape) {
        float[] values = new float[Math.toIntExact(new Shape(shape).size())];
        floats.get(values);
        return manager.create(values, new Shape(shape));
    }

    private static float[][] stack(FloatBuffer floats, int layers, int size) {
        float[][] result = new float[layers][size];
        for (float[] layer : result) {
            floats.get(layer);
        }
        return result;
    }
}
