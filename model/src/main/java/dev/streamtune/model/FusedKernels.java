package dev.streamtune.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RMSNorm and SwiGLU forward and backward, each one pass over its arrays, and causal attention with rotary embedding
 * and GQA, for {@link BlockTraining}'s hand-written backward of the decoder blocks. libtorch's CPU build has no
 * fused kernel for RMSNorm or SwiGLU (RMSNorm with its backward is about a dozen passes over [N, C] through
 * autograd, SwiGLU about fourteen over [N, F]), and its flash attention runs at about half the speed of ours on the
 * trainer's shapes (T ≈ 256, D = 64; rotation and GQA's key sharing happen in ours while it packs its tiles). These
 * come from a small C library of our own, {@code model/src/main/c/fused_kernels.c}, called through JNA on the
 * arrays' memory.
 * Its loops run on the OpenMP threads of the libgomp that libtorch loaded (the library links libgomp by soname
 * and is loaded after libtorch), so they share libtorch's two threads instead of competing with them.
 *
 * <p>The library is built for x86-64 with AVX-512; elsewhere, or with {@code -Dstreamtune.fused.kernels=false},
 * or if loading fails, the same math runs through {@link TorchKernels} (a few libtorch ops each). All arrays are
 * float32 and contiguous; outputs are new arrays attached to the first input's manager.
 */
public final class FusedKernels {
    static {
        CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    /** System property that turns the native kernels off ({@code false}): the TorchScript formulas run instead. */
    public static final String PROPERTY = "streamtune.fused.kernels";
    private static final String LIBRARY = "/dev/streamtune/model/native/linux-x86_64/libstreamtune_fused_kernels.so";
    private static final Logger LOG = LoggerFactory.getLogger(FusedKernels.class);

    private static volatile boolean nativeEnabled = Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));
    private static volatile Boolean loaded;

    private FusedKernels() {}

    /** Direct JNA bindings; registered once, after libtorch (and so its libgomp) is loaded. */
    private static final class Bindings {
        static native void streamtune_rms_norm_forward(Pointer x, Pointer w, Pointer y, Pointer rstd, long rows,
                                                       long columns, float eps);

        static native void streamtune_rms_norm_backward(Pointer dy, Pointer x, Pointer w, Pointer rstd, Pointer dx,
                                                        long rows, long columns);

        static native void streamtune_swiglu_forward(Pointer g, Pointer u, Pointer h, long n);

        static native void streamtune_swiglu_backward(Pointer dh, Pointer g, Pointer u, Pointer dg, Pointer du, long n);

        static native void streamtune_attention_forward(Pointer q, Pointer k, Pointer v, Pointer cos, Pointer sin,
                                                        Pointer out, Pointer lse, long batch, long t, long heads,
                                                        long kvHeads, long d);

        static native void streamtune_attention_backward(Pointer dout, Pointer q, Pointer k, Pointer v, Pointer out,
                                                         Pointer lse, Pointer cos, Pointer sin, Pointer dq, Pointer dk,
                                                         Pointer dv, long batch, long t, long heads, long kvHeads,
                                                         long d);
    }

    /** Whether the native library is in use (else the TorchScript formulas are): loaded, and not turned off. */
    public static boolean nativeAvailable() {
        if (!nativeEnabled) {
            return false;
        }
        Boolean available = loaded;
        if (available == null) {
            synchronized (FusedKernels.class) {
                available = loaded;
                if (available == null) {
                    available = load();
                    loaded = available;
                }
            }
        }
        return available;
    }

    /** Turns the native kernels on or off for this process (tests that compare them with the formulas). */
    public static void setNativeEnabled(boolean on) {
        nativeEnabled = on;
    }

    private static boolean load() {
        if (!CpuTuning.linuxX86() || !CpuTuning.hasAvx512()) {
            return false;
        }
        Engine.getEngine("PyTorch"); // libtorch and its libgomp first: the library resolves libgomp.so.1 to it
        try {
            Path file = CpuTuning.extractLibrary(LIBRARY, "streamtune-fused-kernels");
            Native.register(Bindings.class, NativeLibrary.getInstance(file.toString()));
            return true;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("fused kernels unavailable, using libtorch ops instead: {}", e.toString());
            return false;
        }
    }

    /**
     * RMSNorm {@code y = x · r · w} with {@code r = (‖x‖²/C + eps)^(−1/2)} per row.
     *
     * @param x [N, C]
     * @param w [C]
     * @return y [N, C] and r [N, 1]
     */
    public static NDList rmsNormForward(NDArray x, NDArray w, float eps) {
        if (!nativeAvailable()) {
            return TorchKernels.invoke("rms_norm_forward", x, w, x.getManager().create(eps));
        }
        long rows = x.getShape().get(0);
        long columns = x.getShape().get(1);
        NDArray y = x.getManager().create(x.getShape(), DataType.FLOAT32);
        NDArray rstd = x.getManager().create(new Shape(rows, 1), DataType.FLOAT32);
        Bindings.streamtune_rms_norm_forward(pointer(x), pointer(w), pointer(y), pointer(rstd), rows, columns, eps);
        return new NDList(y, rstd);
    }

    /**
     * Adds RMSNorm's input gradient to {@code dx} in place: with {@code g = dy·w},
     * {@code dx += r·g − x·r³·(g·x)/C} per row (w is frozen: no gradient for it).
     *
     * @param dx   [N, C] the residual stream's gradient, accumulated into
     * @param dy   [N, C] the gradient of the norm's output
     * @param x    [N, C] the norm's input
     * @param w    [C]
     * @param rstd [N, 1] from {@link #rmsNormForward}
     */
    public static void rmsNormBackwardInto(NDArray dx, NDArray dy, NDArray x, NDArray w, NDArray rstd) {
        if (!nativeAvailable()) {
            TorchKernels.invoke("rms_norm_backward_", dx, dy, x, w, rstd).close();
            return;
        }
        long rows = x.getShape().get(0);
        long columns = x.getShape().get(1);
        Bindings.streamtune_rms_norm_backward(pointer(dy), pointer(x), pointer(w), pointer(rstd), pointer(dx), rows,
                columns);
    }

    /** SwiGLU's gating {@code h = silu(g)·u}, elementwise; g, u [N, F]. */
    public static NDArray swigluForward(NDArray g, NDArray u) {
        if (!nativeAvailable()) {
            return TorchKernels.siluMul(g, u);
        }
        NDArray h = g.getManager().create(g.getShape(), DataType.FLOAT32);
        Bindings.streamtune_swiglu_forward(pointer(g), pointer(u), pointer(h), g.size());
        return h;
    }

    /**
     * SwiGLU's backward: {@code dg = dh·u·σ(g)·(1 + g·(1 − σ(g)))}, {@code du = dh·silu(g)}.
     *
     * @return dg and du, [N, F] each
     */
    public static NDList swigluBackward(NDArray dh, NDArray g, NDArray u) {
        if (!nativeAvailable()) {
            return TorchKernels.invoke("swiglu_backward", dh, g, u);
        }
        NDArray dg = g.getManager().create(g.getShape(), DataType.FLOAT32);
        NDArray du = g.getManager().create(g.getShape(), DataType.FLOAT32);
        Bindings.streamtune_swiglu_backward(pointer(dh), pointer(g), pointer(u), pointer(dg), pointer(du), g.size());
        return new NDList(dg, du);
    }

    /**
     * Causal softmax attention with rotary embedding and GQA: per query head h (kv head h / G, G = H / K),
     * {@code out = softmax(rot(q)·rot(k)ᵀ/√D + causal mask)·v}, rot the rotary embedding (rotate-half layout) at
     * each row's position: {@code rot(x) = x·cos + [x₂, x₁]·[−sin, sin]} by halves of D.
     *
     * @param q   [N, H·D] queries, before rotation; N = B·T, row n at position n mod T
     * @param k   [N, K·D] keys, before rotation
     * @param v   [N, K·D]
     * @param cos [T, D] the angles' cos, both halves alike
     * @param sin [T, D] the angles' sin in its first D/2 columns (the rest is not read)
     * @return out [N, H·D] and each query's log-sum-exp of its scores, [B, H, T], for the backward
     */
    public static NDList attentionForward(NDArray q, NDArray k, NDArray v, NDArray cos, NDArray sin) {
        if (!nativeAvailable()) {
            return TorchKernels.invoke("attention_forward", q, k, v, cos, sin);
        }
        long rows = q.getShape().get(0);
        long steps = cos.getShape().get(0);
        long headDim = cos.getShape().get(1);
        long heads = q.getShape().get(1) / headDim;
        NDArray out = q.getManager().create(q.getShape(), DataType.FLOAT32);
        NDArray lse = q.getManager().create(new Shape(rows / steps, heads, steps), DataType.FLOAT32);
        Bindings.streamtune_attention_forward(pointer(q), pointer(k), pointer(v), pointer(cos), pointer(sin),
                pointer(out), pointer(lse), rows / steps, steps, heads, k.getShape().get(1) / headDim, headDim);
        return new NDList(out, lse);
    }

    /**
     * The backward of {@link #attentionForward}: the gradients of q, k and v (before rotation; k's and v's summed
     * over the G query heads that read each kv head), from the output's gradient and what the forward returned.
     *
     * @param dout [N, H·D]
     * @param out  [N, H·D] and {@code lse} [B, H, T]: the forward's results
     * @return dq [N, H·D], dk [N, K·D], dv [N, K·D]
     */
    public static NDList attentionBackward(NDArray dout, NDArray q, NDArray k, NDArray v, NDArray out, NDArray lse,
                                           NDArray cos, NDArray sin) {
        if (!nativeAvailable()) {
            return TorchKernels.invoke("attention_backward", dout, q, k, v, out, lse, cos, sin);
        }
        long rows = q.getShape().get(0);
        long steps = cos.getShape().get(0);
        long headDim = cos.getShape().get(1);
        NDArray dq = q.getManager().create(q.getShape(), DataType.FLOAT32);
        NDArray dk = q.getManager().create(k.getShape(), DataType.FLOAT32);
        NDArray dv = q.getManager().create(v.getShape(), DataType.FLOAT32);
        Bindings.streamtune_attention_backward(pointer(dout), pointer(q), pointer(k), pointer(v), pointer(out),
                pointer(lse), pointer(cos), pointer(sin), pointer(dq), pointer(dk), pointer(dv), rows / steps, steps,
                q.getShape().get(1) / headDim, k.getShape().get(1) / headDim, headDim);
        return new NDList(dq, dk, dv);
    }

    /**
     * The address of a float32 CPU array's first element: its own memory when contiguous (every array written to
     * here is: outputs are made here, {@code dx} comes from a GEMM), else that of a contiguous copy.
     */
    private static Pointer pointer(NDArray array) {
        if (array.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("fused kernels take float32 arrays, not " + array.getDataType());
        }
        ByteBuffer buffer = JniUtils.getByteBuffer((PtNDArray) array, true);
        if (!buffer.isDirect() || buffer.capacity() != array.size() * Float.BYTES) {
            throw new IllegalArgumentException("not a contiguous CPU array: " + array.getShape());
        }
        return Native.getDirectBufferPointer(buffer);
    }
}
