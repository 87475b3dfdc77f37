package dev.streamtune.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libtorch's fused kernels that DJL's NDArray API does not expose, reached through a tiny TorchScript module:
 * <ul>
 *   <li>causal attention: {@code aten::scaled_dot_product_attention}, whose CPU flash kernel works on blocks of
 *       the [T, T] score matrix instead of materialising scores, mask and probabilities, with a fused backward;</li>
 *   <li>{@code silu(gate)·up}: one {@code aten::silu} with its own backward instead of sigmoid, two multiplies
 *       and their backward;</li>
 *   <li>a LoRA branch added in place: the branch's second product accumulated into the projection's output by
 *       the GEMM ({@code addmm_}/{@code baddbmm_}, beta 1, alpha = scaling) instead of a temporary and an add;</li>
 *   <li>rotary embedding as one {@code roll} and one {@code addcmul} instead of six ops;</li>
 *   <li>an AdamW step over all parameters at once ({@code _foreach_norm}, {@code _fused_adamw_});</li>
 *   <li>the decoder blocks' training forward and hand-written backward ({@code block_*} methods, called by
 *       {@link BlockTraining} through {@link #invoke} with recording off).</li>
 * </ul>
 * The first four record autograd like any other op when grad mode is on.
 *
 * <p>The module's source is TorchScript text, {@code src/main/resources/dev/streamtune/model/torchscript/kernels.py};
 * this class packs it into a TorchScript archive in memory (the archive's other entries are two constant
 * pickles, spelled out below) and loads it into DJL's libtorch, which compiles it. No Python is involved.
 * The graph executor's optimisations are switched off for these calls: with them on, TorchScript replaces the
 * ops' own backward kernels (e.g. {@code silu_backward}) by its symbolic derivatives, a chain of elementwise
 * ops that costs more than the unfused original. Methods are selected with DJL's {@code module_method:<name>}
 * array-name convention (named inputs, e.g. checkpoint weights, go in as unnamed views, since DJL groups named
 * arrays into dicts). The calls record gradients exactly when the calling thread's grad mode is on.
 */
public final class TorchKernels {
    static {
        CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private static final String SOURCE = "/dev/streamtune/model/torchscript/kernels.py";
    /** data.pkl: the module object, {@code __torch__.Kernels} with state {training: True, _is_full_backward_hook: None}. */
    private static final String DATA_PKL = "8002635f5f746f7263685f5f0a4b65726e656c730a710029817d2858080000007472"
            + "61696e696e6771018858160000005f69735f66756c6c5f6261636b776172645f686f6f6b71024e756271032e";
    /** constants.pkl: an empty tuple (the module has no tensor constants). */
    private static final String CONSTANTS_PKL = "8002292e";

    /** Names that make DJL pass arrays to a TorchScript method as lists, in the order given. */
    public static final String PARAMETERS = "parameters[]";
    public static final String GRADIENTS = "gradients[]";
    public static final String FIRST_MOMENTS = "first_moments[]";
    public static final String SECOND_MOMENTS = "second_moments[]";
    public static final String STEPS = "steps[]";

    /** System property that turns the kernels off ({@code false}): the model then composes the same math from DJL ops. */
    public static final String PROPERTY = "streamtune.torch.kernels";
    private static final Logger LOG = LoggerFactory.getLogger(TorchKernels.class);

    private static volatile TorchKernels instance;
    private static volatile boolean enabled = Boolean.parseBoolean(System.getProperty(PROPERTY, "true"));

    private final NDManager manager;
    private final PtSymbolBlock module;
    private final NDArray siluMul;          // method selectors, see the class comment
    private final NDArray causalAttention;
    private final NDArray loraAdd;
    private final NDArray adamwStep;
    private final NDArray rotary;
    private final Map<String, NDArray> selectors = new ConcurrentHashMap<>(); // the block methods', by name

    private TorchKernels() {
        Engine.getEngine("PyTorch");
        this.manager = NDManager.newBaseManager();
        try (InputStream in = new ByteArrayInputStream(archive())) {
            this.module = JniUtils.loadModule((PtNDManager) manager, in, true, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.siluMul = selector("silu_mul");
        this.causalAttention = selector("causal_attention");
        this.loraAdd = selector("lora_add_");
        this.adamwStep = selector("adamw_step");
        this.rotary = selector("rotary");
    }

    /**
     * Whether callers should use these kernels: on unless turned off (property or {@link #setEnabled}) or the
     * module failed to load (logged once; the model then runs its composed path).
     */
    public static boolean enabled() {
        if (!enabled) {
            return false;
        }
        try {
            get();
            return true;
        } catch (RuntimeException e) {
            LOG.warn("libtorch kernels unavailable, composing them from DJL ops instead: {}", e.toString());
            enabled = false;
            return false;
        }
    }

    /** Turns the kernels on or off for this process (A/B benchmarks, and tests that compare both paths). */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    private static TorchKernels get() {
        TorchKernels k = instance;
        if (k == null) {
            synchronized (TorchKernels.class) {
                k = instance;
                if (k == null) {
                    k = new TorchKernels();
                    instance = k;
                }
            }
        }
        return k;
    }

    /** {@code silu(gate)·up = gate·σ(gate)·up}, elementwise; attached to gate's manager. */
    public static NDArray siluMul(NDArray gate, NDArray up) {
        return get().call(get().siluMul, gate, up);
    }

    /**
     * Causal attention {@code softmax(q·kᵀ/√D + causal mask)·v} for queries at positions 0..T−1 over keys at the
     * same positions, with GQA (query head h reads kv head h / G).
     *
     * @param q [B, H, T, D]
     * @param k [B, K, T, D]
     * @param v [B, K, T, D]
     * @return [B, H, T, D], attached to q's manager
     */
    public static NDArray causalAttention(NDArray q, NDArray k, NDArray v) {
        return get().call(get().causalAttention, q, k, v);
    }

    /**
     * Adds a LoRA branch to a projection's output in place: {@code y += scaling · (x·Aᵀ)·Bᵀ}, the second product
     * accumulated into y by the GEMM itself (one addmm_, no [.., out] temporary, no separate add).
     *
     * @param y       [.., out] the base projection's output, contiguous; modified and returned
     * @param x       [.., in]
     * @param a       [r, in]
     * @param b       [out, r]
     * @param scaling scalar alpha/r
     * @return y
     */
    public static NDArray loraAdd(NDArray y, NDArray x, NDArray a, NDArray b, NDArray scaling) {
        return get().call(get().loraAdd, y, x, a, b, scaling);
    }

    /**
     * Rotary embedding in HF's rotate-half layout, {@code x·cos + rotate_half(x)·sin}, as
     * {@code addcmul(x·cos, roll(x, D/2), signedSin)}: rolling by half a head gives [x₂, x₁], and
     * {@code signedSin = [−sin, sin]} (per half) supplies rotate_half's minus sign.
     *
     * @param x         [.., T, D]
     * @param cos       cos of the angles, duplicated across both halves, broadcastable to x
     * @param signedSin sin of the angles, the first half negated, broadcastable to x
     * @return [.., T, D], attached to x's manager
     */
    public static NDArray rotary(NDArray x, NDArray cos, NDArray signedSin) {
        TorchKernels k = get();
        return k.call(k.rotary, x, cos, signedSin);
    }

    /**
     * One AdamW step over all parameters at once (as torch.optim.AdamW with {@code fused=True}, after
     * torch.nn.utils.clip_grad_norm_): the global gradient norm, gradients scaled by
     * {@code min(1, maxNorm / (norm + 1e-6))} when {@code maxNorm > 0}, each step count + 1, libtorch's
     * {@code _fused_adamw_} (one pass over each parameter, its gradient and moments) and gradients zeroed. Nothing
     * is changed when the norm is not finite. Must run with gradient recording off.
     *
     * @param lists    arrays named {@link #PARAMETERS}, {@link #GRADIENTS}, {@link #FIRST_MOMENTS},
     *                 {@link #SECOND_MOMENTS} and {@link #STEPS} (float32 step counts of one element), in that
     *                 order, n of each
     * @param settings float64 [lr, beta1, beta2, eps, weight decay, max norm]
     * @return the global gradient norm before clipping
     */
    public static double adamwStep(NDList lists, NDArray settings) {
        TorchKernels k = get();
        NDList inputs = new NDList(lists.size() + 2);
        inputs.addAll(lists);
        inputs.add(settings);
        inputs.add(k.adamwStep);
        JniUtils.setGraphExecutorOptimize(false);
        try (NDList result = IValueUtils.forward(k.module, inputs, false)) {
            return result.singletonOrThrow().toType(DataType.FLOAT64, false).getDouble();
        }
    }

    /**
     * Calls the module's method {@code method} on {@code inputs} and returns its results (a tuple's members in
     * order), attached to the first input's manager; records gradients exactly when the calling thread's grad
     * mode is on. Used by {@link BlockTraining} and {@link FusedKernels} for the decoder blocks' hand-written
     * training passes, which run with recording off.
     */
    static NDList invoke(String method, NDArray... inputs) {
        TorchKernels k = get();
        NDArray selector = k.selectors.computeIfAbsent(method, k::selector);
        NDList list = new NDList(inputs.length + 1);
        for (NDArray input : inputs) {
            list.add(input.getName() == null ? input : input.reshape(input.getShape())); // see call()
        }
        list.add(selector);
        JniUtils.setGraphExecutorOptimize(false); // per thread; see the class comment
        NDList result = IValueUtils.forward(k.module, list, true);
        result.attach(inputs[0].getManager());
        return result;
    }

    private NDArray call(NDArray method, NDArray... inputs) {
        NDList list = new NDList(inputs.length + 1);
        for (NDArray input : inputs) {
            // DJL groups named arrays (e.g. weights loaded from a checkpoint) into dicts: pass an unnamed view
            list.add(input.getName() == null ? input : input.reshape(input.getShape()));
        }
        list.add(method);
        JniUtils.setGraphExecutorOptimize(false); // per thread; see the class comment
        NDArray result = IValueUtils.forward(module, list, true).singletonOrThrow(); // records only in grad mode
        result.attach(inputs[0].getManager());
        return result;
    }

    private NDArray selector(String method) {
        NDArray a = manager.create(0f);
        a.setName("module_method:" + method);
        return a;
    }

    /** A TorchScript archive (a zip of stored entries) holding the module's source and its two pickles. */
    static byte[] archive() throws IOException {
        byte[] code;
        try (InputStream in = TorchKernels.class.getResourceAsStream(SOURCE)) {
            if (in == null) {
                throw new IOException("resource " + SOURCE + " is missing");
            }
            code = in.readAllBytes();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            stored(zip, "kernels/data.pkl", hex(DATA_PKL));
            stored(zip, "kernels/code/__torch__.py", code);
            stored(zip, "kernels/constants.pkl", hex(CONSTANTS_PKL));
            stored(zip, "kernels/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        return bytes.toByteArray();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    private static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
