package dev.streamtune.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.streamtune.model.NoGrad;
import dev.streamtune.model.TorchKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as torch.optim.AdamW (with optional global-norm clipping as
 * torch.nn.utils.clip_grad_norm_). With {@link TorchKernels} (the default) one call does the whole step for all
 * parameters: norm, clipping, libtorch's multi-tensor {@code _fused_adamw_} (torch.optim.AdamW's
 * {@code fused=True}) and zeroing the gradients. Otherwise each parameter goes through DJL's fused
 * {@code adamUpdate} kernel, as follows.
 *
 * <p>The DJL kernel computes {@code m ← β₁m + (1−β₁)g·s}, {@code v ← β₂v + (1−β₂)(g·s)²},
 * {@code w ← w − η'·m / (√v + ε')} and zeroes g, where s is its gradient rescale factor and η', ε' are passed
 * in. AdamW's step is {@code w ← w − lr·m̂ / (√v̂ + ε)} with {@code m̂ = m / (1−β₁ᵗ)},
 * {@code v̂ = v / (1−β₂ᵗ)}; multiplying through by {@code √(1−β₂ᵗ)} gives the kernel's form with
 * {@code η' = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)} and {@code ε' = ε·√(1−β₂ᵗ)}. Decoupled weight decay
 * {@code w ← w·(1 − lr·wd)} is applied before, as PyTorch does; the clipping coefficient
 * {@code min(1, maxNorm / (‖g‖ + 1e-6))} is passed as s; the kernel's own clipping and decay are off.
 * Gradients are zeroed by the kernel, so the next backward pass starts from zero.
 */
public final class AdamW implements AutoCloseable {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    /** Every element; {@code set(ALL, ...)} writes into an array's own memory, which views share. */
    private static final NDIndex ALL = new NDIndex(":");

    private final List<NDArray> parameters;
    private final AdamWConfig config;
    private final NDManager manager;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private final NDList stepLists; // parameters, first and second moments, step counts, named for TorchKernels
    private final List<NDArray> stepCounts = new ArrayList<>(); // float32 [1], one per parameter (t)
    private long step;

    /**
     * Optimizer state (zeros) for {@code parameters}, owned by a sub-manager of {@code parent}. The optimizer
     * keeps views of the parameters: update them only in place from now on (DJL's {@code set(Buffer)} gives an
     * array new memory, which the views would not see).
     */
    public AdamW(List<NDArray> parameters, AdamWConfig config, NDManager parent) {
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.manager = parent.newSubManager();
        for (NDArray p : this.parameters) {
            firstMoments.add(manager.zeros(p.getShape(), p.getDataType()));
            secondMoments.add(manager.zeros(p.getShape(), p.getDataType()));
            stepCounts.add(manager.zeros(new Shape(1), DataType.FLOAT32));
        }
        this.stepLists = new NDList();
        try (NoGrad noGrad = NoGrad.enter()) {
            addViews(this.parameters, TorchKernels.PARAMETERS);
        }
        addViews(firstMoments, TorchKernels.FIRST_MOMENTS);
        addViews(secondMoments, TorchKernels.SECOND_MOMENTS);
        addViews(stepCounts, TorchKernels.STEPS);
    }

    /** Views of {@code arrays} under a list name (the arrays keep their own names), owned by this optimizer. */
    private void addViews(List<NDArray> arrays, String listName) {
        for (NDArray array : arrays) {
            NDArray view = array.reshape(array.getShape());
            view.attach(manager);
            view.setName(listName);
            stepLists.add(view);
        }
    }

    /** Steps taken so far (t). */
    public long stepCount() {
        return step;
    }

    public AdamWConfig config() {
        return config;
    }

    /** Global L2 norm of the current gradients. */
    public double gradientNorm() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList squares = new NDList();
            for (NDArray p : parameters) {
                squares.add(p.getGradient().square().sum());
            }
            return NDArrays.stack(squares).sum().sqrt().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        }
    }

    /**
     * One AdamW step on the gradients accumulated since the last step, at the configured learning rate.
     *
     * @return the global gradient norm before clipping
     */
    public double step() {
        return step(config.learningRate());
    }

    /** One AdamW step at learning rate {@code lr} (for schedules); returns the gradient norm before clipping. */
    public double step(double lr) {
        if (!TorchKernels.enabled()) {
            return stepParameterByParameter(lr);
        }
        double norm;
        try (NoGrad noGrad = NoGrad.enter(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int n = parameters.size();
            NDList lists = new NDList(5 * n);
            lists.addAll(stepLists.subNDList(0, n));                         // parameters
            for (NDArray p : parameters) {
                NDArray gradient = p.getGradient();
                gradient.setName(TorchKernels.GRADIENTS);
                lists.add(gradient);
            }
            lists.addAll(stepLists.subNDList(n));                            // moments, step counts
            NDArray settings = manager.create(new double[] {lr, config.beta1(), config.beta2(), config.epsilon(),
                    config.weightDecay(), config.maxGradNorm()});
            norm = TorchKernels.adamwStep(lists, settings);
        }
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("gradient norm is " + norm + "; refusing to update");
        }
        step++;
        return norm;
    }

    /** The same step through DJL's per-parameter {@code adamUpdate} (the kernels off). */
    private double stepParameterByParameter(double lr) {
        double norm = gradientNorm();
        if (!Double.isFinite(norm)) {
            throw new IllegalStateException("gradient norm is " + norm + "; refusing to update");
        }
        double clip = config.maxGradNorm() > 0 ? Math.min(1.0, config.maxGradNorm() / (norm + 1e-6)) : 1.0;
        step++;
        double biasCorrection1 = 1 - Math.pow(config.beta1(), step);
        double rootBiasCorrection2 = Math.sqrt(1 - Math.pow(config.beta2(), step));
        float stepSize = (float) (lr * rootBiasCorrection2 / biasCorrection1);
        float epsilon = (float) (config.epsilon() * rootBiasCorrection2);
        float decay = (float) (1 - lr * config.weightDecay());
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int i = 0; i < parameters.size(); i++) {
                NDArray weight = parameters.get(i);
                if (config.weightDecay() > 0) {
                    weight.muli(decay);
                }
                NDArray gradient = weight.getGradient();
                weight.getNDArrayInternal().adamUpdate(
                        new NDList(weight, gradient, firstMoments.get(i), secondMoments.get(i)),
                        new NDList(weight),
                        (float) lr, stepSize, 0f, (float) clip, Float.MAX_VALUE,
                        (float) config.beta1(), (float) config.beta2(), epsilon, false, true);
                stepCounts.get(i).set(ALL, step);
            }
        }
        return norm;
    }

    /** Copies of the moments under names {@code m.i} / {@code v.i} plus the step count, for checkpoints. */
    public Map<String, NDArray> state(NDManager target) {
        Map<String, NDArray> state = new java.util.LinkedHashMap<>();
        for (int i = 0; i < parameters.size(); i++) {
            NDArray m = firstMoments.get(i).duplicate();
            m.attach(target);
            NDArray v = secondMoments.get(i).duplicate();
            v.attach(target);
            state.put("m." + i, m);
            state.put("v." + i, v);
        }
        state.put("step", target.create(new long[] {step}));
        return state;
    }

    /** Restores what {@link #state} produced (same parameter order and shapes). */
    public void loadState(Map<String, NDArray> state) {
        for (int i = 0; i < parameters.size(); i++) {
            copyInto(state.get("m." + i), firstMoments.get(i), "m." + i);
            copyInto(state.get("v." + i), secondMoments.get(i), "v." + i);
        }
        step = state.get("step").toLongArray()[0];
        for (NDArray count : stepCounts) {
            count.set(ALL, step);
        }
    }

    private static void copyInto(NDArray source, NDArray target, String name) {
        if (source == null || !source.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException("optimizer state " + name + " is missing or has the wrong shape");
        }
        target.set(ALL, source.toType(target.getDataType(), false)); // in place: the views above must see it
    }

    @Override
    public void close() {
        manager.close();
    }
}
