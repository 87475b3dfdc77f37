package dev.streamtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.streamtune.model.lora.LoraAdapter;
import java.util.ArrayList;
import java.util.List;

/**
 * The LoRA training pass of the decoder blocks with a hand-written backward (as llm.c writes its model), for the
 * trainer's plain causal batches: the blocks run without autograd, saving what their backward needs; autograd
 * records only the head (final norm, LM head) and the loss, from the last block's output as a leaf; after
 * autograd's backward, {@link Pass#backward()} takes that leaf's gradient down through the blocks and adds
 * every LoRA matrix's gradient into its {@code .grad}, where the optimizer finds it as after autograd.
 *
 * <p>Why by hand: through autograd a block's backward costs about twice its GEMMs in memory-bound passes that
 * libtorch cannot fuse (RMSNorm and SwiGLU as chains of element-wise ops and their backward, each gradient
 * written to a temporary and then added, LoRA's rank-r products reading whole activations separately). Here
 * each projection's input gradient and every LoRA term accumulate into one array by the GEMMs themselves
 * ({@code addmm_} with beta 1), RMSNorm and SwiGLU are one pass each way, attention (with rotary embedding and
 * GQA) is our own kernel ({@link FusedKernels}), and each block is eight calls forward and eight back: those
 * kernels, and TorchScript methods {@code block_*} in {@code kernels.py} for the GEMMs with their LoRA terms.
 *
 * <p>Legend: N = B·T rows, C hidden, F MLP hidden, H query heads, K kv heads, D head dim, r LoRA rank.
 * Projections an adapter does not target take rank-0 placeholders (their products are empty).
 * The autograd path ({@link LlamaModel#forward}) stays the reference: {@code BlockTrainingTest} checks logits
 * and every LoRA gradient against it.
 */
public final class BlockTraining {
    /** System property that turns this pass off ({@code false}): training then goes through autograd. */
    public static final String PROPERTY = "streamtune.block.backward";
    private static volatile boolean enabled = Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));

    private BlockTraining() {}

    /** Turns the pass on or off for this process (A/B benchmarks, and tests that compare both paths). */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * Whether the trainer may use this pass: on, float32 weights, the TorchScript kernels available and an
     * unmerged adapter.
     */
    public static boolean applicable(LlamaModel model, LoraAdapter adapter) {
        return enabled && adapter != null && !adapter.isMerged() && model.dataType() == DataType.FLOAT32
                && TorchKernels.enabled();
    }

    /**
     * The blocks' forward without autograd, then the head with the calling thread's grad mode (on, inside a
     * gradient collector).
     *
     * @param inputIds [B, T] token ids; rows right-padded (causal attention only, no padding mask)
     * @param dropout  whether to apply the adapter's LoRA dropout (training steps): masks drawn from the engine's
     *                 generator in the order and with the ops of the autograd path, so a seeded step draws the
     *                 same masks on either path
     */
    public static Pass forward(LlamaModel model, NDArray inputIds, LoraAdapter adapter, boolean dropout) {
        return new Pass(model, inputIds, adapter, dropout);
    }

    /** One batch's pass: its logits, and the backward to run after autograd's. */
    public static final class Pass {
        private final LlamaModel model;
        private final NDArray top;       // [N, C] the last block's output: the leaf autograd's backward stops at
        private final NDArray logits;    // [B, T, V]
        private final Block[] blocks;
        private final LoraArrays lora;
        private final NDArray scaling;   // scalar alpha/r
        private final NDArray cos;       // [T, D] cos of the rotary angles, both halves alike
        private final NDArray sin;       // [T, D] sin of the rotary angles in the first half, −sin in the second

        private Pass(LlamaModel model, NDArray inputIds, LoraAdapter adapter, boolean dropout) {
            this.model = model;
            NDManager m = inputIds.getManager();
            ModelConfig config = model.config();
            long batch = inputIds.getShape().get(0);
            long steps = inputIds.getShape().get(1);
            float eps = (float) config.rmsNormEps();
            this.lora = new LoraArrays(model, adapter, m);
            this.scaling = Tensors.scalar(m, adapter.config().scaling(), DataType.FLOAT32);
            NDArray dropoutRate = m.create(dropout ? (float) adapter.config().dropout() : 0f);
            this.blocks = new Block[config.numLayers()];
            NDArray x;
            try (NoGrad off = NoGrad.enter()) {
                NDArray[] rotary = model.rotaryTables(m, steps); // cos, [−sin, sin]: [1, T, 1, D]
                this.cos = rotary[0].reshape(steps, config.headDim());
                this.sin = rotary[1].neg().reshape(steps, config.headDim());
                NDArray noBias = m.create(new Shape(0), DataType.FLOAT32);
                x = model.embed(inputIds);                                                              // [N,C]
                for (int l = 0; l < blocks.length; l++) {
                    Block b = new Block();
                    b.x = x;
                    NDList norm = FusedKernels.rmsNormForward(x, model.attentionNorm(l), eps);
                    b.n1 = norm.get(0);                                                                 // [N,C]
                    b.rstd1 = norm.get(1);                                                              // [N,1]
                    NDArray biasQ = model.projectionBias(l, Projection.Q);
                    NDList qkv = TorchKernels.invoke("block_qkv_forward", b.n1,
                            weight(l, Projection.Q), weight(l, Projection.K), weight(l, Projection.V),
                            biasQ == null ? noBias : biasQ,
                            biasQ == null ? noBias : model.projectionBias(l, Projection.K),
                            biasQ == null ? noBias : model.projectionBias(l, Projection.V),
                            lora.a(l, Projection.Q), lora.b(l, Projection.Q), lora.a(l, Projection.K),
                            lora.b(l, Projection.K), lora.a(l, Projection.V), lora.b(l, Projection.V), scaling,
                            dropoutRate);
                    b.downQ = qkv.get(3);                                                               // [N,r]
                    b.downK = qkv.get(4);                                                               // [N,r]
                    b.downV = qkv.get(5);                                                               // [N,r]
                    b.noiseQ = qkv.get(6);                                                              // [N,C]|[0]
                    b.noiseK = qkv.get(7);                                                              // [N,C]|[0]
                    b.noiseV = qkv.get(8);                                                              // [N,C]|[0]
                    b.q = qkv.get(0);                                                                   // [N,H·D]
                    b.k = qkv.get(1);                                                                   // [N,K·D]
                    b.v = qkv.get(2);                                                                   // [N,K·D]
                    NDList attention = FusedKernels.attentionForward(b.q, b.k, b.v, cos, sin);
                    b.attended = attention.get(0);                                                      // [N,H·D]
                    b.lse = attention.get(1);                                                           // [B,H,T]
                    NDList output = TorchKernels.invoke("block_output", x, b.attended, weight(l, Projection.O),
                            lora.a(l, Projection.O), lora.b(l, Projection.O), scaling, dropoutRate);
                    b.x2 = output.get(0);                                                               // [N,C]
                    b.downO = output.get(1);                                                            // [N,r]
                    b.noiseO = output.get(2);                                                           // [N,H·D]|[0]
                    norm = FusedKernels.rmsNormForward(b.x2, model.mlpNorm(l), eps);
                    b.n2 = norm.get(0);                                                                 // [N,C]
                    b.rstd2 = norm.get(1);                                                              // [N,1]
                    NDList mlp = TorchKernels.invoke("block_mlp_in", b.n2,
                            weight(l, Projection.GATE), weight(l, Projection.UP),
                            lora.a(l, Projection.GATE), lora.b(l, Projection.GATE),
                            lora.a(l, Projection.UP), lora.b(l, Projection.UP), scaling, dropoutRate);
                    b.noiseG = mlp.get(4);                                                              // [N,C]|[0]
                    b.noiseU = mlp.get(5);                                                              // [N,C]|[0]
                    b.g = mlp.get(0);                                                                   // [N,F]
                    b.u = mlp.get(1);                                                                   // [N,F]
                    b.downG = mlp.get(2);                                                               // [N,r]
                    b.downU = mlp.get(3);                                                               // [N,r]
                    b.h = FusedKernels.swigluForward(b.g, b.u);                                         // [N,F]
                    NDList out = TorchKernels.invoke("block_output", b.x2, b.h, weight(l, Projection.DOWN),
                            lora.a(l, Projection.DOWN), lora.b(l, Projection.DOWN), scaling, dropoutRate);
                    b.downD = out.get(1);                                                               // [N,r]
                    b.noiseD = out.get(2);                                                              // [N,F]|[0]
                    x = out.get(0);                                                                     // [N,C]
                    blocks[l] = b;
                }
            }
            this.top = x;
            top.setRequiresGradient(true);
            this.logits = model.head(top, batch, steps);                                               // [B,T,V]
        }

        /** Logits [B, T, V], recorded by autograd from the last block's output on. */
        public NDArray logits() {
            return logits;
        }

        /**
         * The blocks' backward, after autograd's backward through the loss has given the last block's output its
         * gradient: adds every LoRA matrix's gradient into its {@code .grad}.
         */
        public void backward() {
            NDArray gradient = JniUtils.getGradient((PtNDArray) top); // not getGradient(): zeros when there is none
            if (gradient == null) {
                throw new IllegalStateException("autograd's backward through the loss has not run");
            }
            try (NoGrad off = NoGrad.enter(); LoraGradients grads = new LoraGradients(lora)) {
                NDArray dout = gradient;                                                                // [N,C]
                NDArray yes = gradient.getManager().create(1f); // whether block_qkv_backward computes dn1
                NDArray no = gradient.getManager().create(0f);
                for (int l = blocks.length - 1; l >= 0; l--) {
                    Block b = blocks[l];
                    NDArray dh = TorchKernels.invoke("block_output_backward", dout, b.h,
                            weight(l, Projection.DOWN), lora.a(l, Projection.DOWN), lora.b(l, Projection.DOWN),
                            grads.a(l, Projection.DOWN), grads.b(l, Projection.DOWN), b.downD, b.noiseD, scaling)
                            .singletonOrThrow();                                                        // [N,F]
                    NDList dgu = FusedKernels.swigluBackward(dh, b.g, b.u);                             // [N,F] ×2
                    NDArray dn2 = TorchKernels.invoke("block_mlp_in_backward", dgu.get(0), dgu.get(1), b.n2,
                            weight(l, Projection.GATE), weight(l, Projection.UP),
                            lora.a(l, Projection.GATE), lora.b(l, Projection.GATE),
                            lora.a(l, Projection.UP), lora.b(l, Projection.UP),
                            grads.a(l, Projection.GATE), grads.b(l, Projection.GATE),
                            grads.a(l, Projection.UP), grads.b(l, Projection.UP), b.downG, b.downU, b.noiseG,
                            b.noiseU, scaling)
                            .singletonOrThrow();                                                        // [N,C]
                    // x_out = x2 + mlp(norm(x2)): dx2 = dout + norm's backward of dn2, accumulated into dout
                    FusedKernels.rmsNormBackwardInto(dout, dn2, b.x2, model.mlpNorm(l), b.rstd2);
                    NDArray dAttended = TorchKernels.invoke("block_output_backward", dout, b.attended,
                            weight(l, Projection.O), lora.a(l, Projection.O), lora.b(l, Projection.O),
                            grads.a(l, Projection.O), grads.b(l, Projection.O), b.downO, b.noiseO, scaling)
                            .singletonOrThrow();                                                        // [N,H·D]
                    NDList dqkv = FusedKernels.attentionBackward(dAttended, b.q, b.k, b.v, b.attended, b.lse,
                            cos, sin);                                                                  // dq, dk, dv
                    NDArray dn1 = TorchKernels.invoke("block_qkv_backward", dqkv.get(0), dqkv.get(1), dqkv.get(2), b.n1,
                            weight(l, Projection.Q), weight(l, Projection.K), weight(l, Projection.V),
                            lora.a(l, Projection.Q), lora.b(l, Projection.Q), lora.a(l, Projection.K),
                            lora.b(l, Projection.K), lora.a(l, Projection.V), lora.b(l, Projection.V),
                            grads.a(l, Projection.Q), grads.b(l, Projection.Q), grads.a(l, Projection.K),
                            grads.b(l, Projection.K), grads.a(l, Projection.V), grads.b(l, Projection.V),
                            b.downQ, b.downK, b.downV, b.noiseQ, b.noiseK, b.noiseV, scaling, l > 0 ? yes : no)
                            .singletonOrThrow();                                                        // [N,C]
                    // x2 = x + attention(norm(x)): dx = dx2 + norm's backward of dn1 (the embedding is frozen:
                    // block 0's input gradient is not needed, nor computed)
                    if (l > 0) {
                        FusedKernels.rmsNormBackwardInto(dout, dn1, b.x, model.attentionNorm(l), b.rstd1);
                    }
                }
            }
        }

        private NDArray weight(int layer, Projection p) {
            return model.projectionWeight(layer, p);
        }
    }

    /** What one block's backward reads, saved by its forward. */
    private static final class Block {
        NDArray x;          // [N,C] the block's input
        NDArray n1;         // [N,C] attention norm's output
        NDArray rstd1;      // [N,1]
        NDArray q;          // [N,H·D] queries, before rotation
        NDArray k;          // [N,K·D] keys, before rotation
        NDArray v;          // [N,K·D]
        NDArray downQ;      // [N,r] n1·A_qᵀ
        NDArray downK;      // [N,r] n1·A_kᵀ
        NDArray downV;      // [N,r] n1·A_vᵀ
        NDArray attended;   // [N,H·D] attention's output
        NDArray lse;        // [B,H,T] each query's log-sum-exp of its scores
        NDArray downO;      // [N,r] attended·A_oᵀ
        NDArray x2;         // [N,C] after attention's residual add
        NDArray n2;         // [N,C] MLP norm's output
        NDArray rstd2;      // [N,1]
        NDArray g;          // [N,F] gate projection
        NDArray u;          // [N,F] up projection
        NDArray h;          // [N,F] silu(g)·u
        NDArray downG;      // [N,r] n2·A_gateᵀ
        NDArray downU;      // [N,r] n2·A_upᵀ
        NDArray downD;      // [N,r] h·A_downᵀ (of the dropped-out input, with LoRA dropout)
        NDArray noiseQ;     // LoRA dropout's scaled masks (0 or 1/(1−p)) of each projection's input, or empty
        NDArray noiseK;
        NDArray noiseV;
        NDArray noiseO;
        NDArray noiseG;
        NDArray noiseU;
        NDArray noiseD;
    }

    /** The adapter's A [r, in] and B [out, r] per block and projection, rank-0 placeholders where not targeted. */
    private static final class LoraArrays {
        final NDArray[][] a;
        final NDArray[][] b;
        final List<NDArray> parameters = new ArrayList<>();

        LoraArrays(LlamaModel model, LoraAdapter adapter, NDManager m) {
            ModelConfig config = model.config();
            Projection[] projections = Projection.values();
            a = new NDArray[config.numLayers()][projections.length];
            b = new NDArray[config.numLayers()][projections.length];
            for (int l = 0; l < config.numLayers(); l++) {
                for (Projection p : projections) {
                    NDArray loraA = adapter.loraA(l, p);
                    if (loraA != null) {
                        a[l][p.ordinal()] = loraA;
                        b[l][p.ordinal()] = adapter.loraB(l, p);
                        parameters.add(loraA);
                        parameters.add(adapter.loraB(l, p));
                    } else {
                        a[l][p.ordinal()] = m.create(new Shape(0, p.inFeatures(config)), DataType.FLOAT32);
                        b[l][p.ordinal()] = m.create(new Shape(p.outFeatures(config), 0), DataType.FLOAT32);
                    }
                }
            }
        }

        NDArray a(int layer, Projection p) {
            return a[layer][p.ordinal()];
        }

        NDArray b(int layer, Projection p) {
            return b[layer][p.ordinal()];
        }
    }

    /**
     * The {@code .grad} arrays of the adapter's matrices (placeholders where not targeted), created as zeros by a
     * trivial autograd backward where a matrix has none yet; the handles are released on close.
     */
    private static final class LoraGradients implements AutoCloseable {
        private final NDArray[][] a;
        private final NDArray[][] b;
        private final List<NDArray> handles = new ArrayList<>();

        LoraGradients(LoraArrays lora) {
            createMissing(lora.parameters);
            a = new NDArray[lora.a.length][];
            b = new NDArray[lora.b.length][];
            for (int l = 0; l < lora.a.length; l++) {
                a[l] = new NDArray[lora.a[l].length];
                b[l] = new NDArray[lora.b[l].length];
                for (int p = 0; p < lora.a[l].length; p++) {
                    a[l][p] = gradientOrPlaceholder(lora.a[l][p]);
                    b[l][p] = gradientOrPlaceholder(lora.b[l][p]);
                }
            }
        }

        private NDArray gradientOrPlaceholder(NDArray parameter) {
            if (parameter.size() == 0) {
                return parameter; // a rank-0 placeholder: its "gradient" is empty too
            }
            NDArray gradient = JniUtils.getGradient((PtNDArray) parameter);
            handles.add(gradient);
            return gradient;
        }

        private static void createMissing(List<NDArray> parameters) {
            List<NDArray> missing = new ArrayList<>();
            for (NDArray p : parameters) {
                // not NDArray.getGradient(): for a parameter without one, DJL returns a new array of zeros
                NDArray gradient = JniUtils.getGradient((PtNDArray) p);
                if (gradient == null) {
                    missing.add(p);
                } else {
                    gradient.close();
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            boolean previous = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try (NDScope scope = new NDScope()) { // closes the temporaries, which attach to the adapter's manager
                NDArray zero = null;
                for (NDArray p : missing) {
                    NDArray term = p.sum().mul(0);
                    zero = zero == null ? term : zero.add(term);
                }
                JniUtils.backward((PtNDArray) zero, (PtNDArray) zero.onesLike(), false, false);
            } finally {
                JniUtils.setGradMode(previous);
            }
        }

        NDArray a(int layer, Projection p) {
            return a[layer][p.ordinal()];
        }

        NDArray b(int layer, Projection p) {
            return b[layer][p.ordinal()];
        }

        @Override
        public void close() {
            handles.forEach(NDArray::close);
        }
    }
}
