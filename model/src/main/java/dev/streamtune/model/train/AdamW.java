package dev.streamtune.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW exactly as torch.optim.AdamW (with optional global-norm clipping as
 * torch.nn.utils.clip_grad_norm_), executed by the engine's fused {@code adamUpdate} kernel.
 *
 * <p>The fused kernel computes {@code m ← β₁m + (1−β₁)g·s}, {@code v ← β₂v + (1−β₂)(g·s)²},
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

    private final List<NDArray> parameters;
    private final AdamWConfig config;
    private final NDManager manager;
    private final List<NDArray> firstMoments = new ArrayList<>();
    private final List<NDArray> secondMoments = new ArrayList<>();
    private long step;

    /** Optimizer state (zeros) for {@code parameters}, owned by a sub-manager of {@code parent}. */
    public AdamW(List<NDArray> parameters, AdamWConfig config, NDManager parent) {
        this.parameters = List.copyOf(parameters);
        this.config = config;
        this.manager = parent.newSubManager();
        for (NDArray p : this.parameters) {
            firstMoments.add(manager.zeros(p.getShape(), p.getDataType()));
            secondMoments.add(manager.zeros(p.getShape(), p.getDataType()));
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
    }

    private static void copyInto(NDArray source, NDArray target, String name) {
        if (source == null || !source.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException("optimizer state " + name + " is missing or has the wrong shape");
        }
        target.set(source.toType(target.getDataType(), false).toByteBuffer());
    }

    @Override
    public void close() {
        manager.close();
    }
}
