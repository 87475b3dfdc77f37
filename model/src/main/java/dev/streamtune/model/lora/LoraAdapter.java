package dev.streamtune.model.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.streamtune.model.LlamaModel;
import dev.streamtune.model.ModelConfig;
import dev.streamtune.model.Projection;
import dev.streamtune.model.Tensors;
import dev.streamtune.model.TorchKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Low-rank adapters on a frozen base model: for each targeted projection {@code W [out, in]},
 * {@code y = x·Wᵀ + (alpha/r) · dropout(x)·Aᵀ·Bᵀ} with {@code A [r, in]} and {@code B [out, r]}.
 *
 * <p>A starts Kaiming-uniform (PEFT's {@code kaiming_uniform_(a=√5)}: U(−1/√in, 1/√in)) and B at zero,
 * so a fresh adapter leaves the model's output unchanged. Only A and B are trainable; the base weights
 * never get gradients or optimizer state.
 *
 * <p>The adapter is passed to {@link LlamaModel#forward} per call rather than installed in the model,
 * so several adapters can share one base model. {@link #merge} folds {@code (alpha/r)·B·A} into the base
 * weights for serving at base-model speed; {@link #unmerge} restores the saved base weights bit-exactly.
 * Arrays live in a sub-manager of the base model's manager; close the adapter when done.
 */
public final class LoraAdapter implements AutoCloseable {
    private static final Projection[] PROJECTIONS = Projection.values();

    private final ModelConfig modelConfig;
    private final LoraConfig config;
    private final NDManager manager;
    private final NDArray[][] loraA; // [layer][projection] -> [r, in], null where not targeted
    private final NDArray[][] loraB; // [layer][projection] -> [out, r]
    private final NDArray scaling; // scalar alpha/r, an owned array (see Tensors.scalar)
    private LlamaModel mergedInto;
    private NDArray[][] weightsBeforeMerge;

    private LoraAdapter(ModelConfig modelConfig, LoraConfig config, NDManager manager, DataType dataType) {
        this.modelConfig = modelConfig;
        this.config = config;
        this.manager = manager;
        this.loraA = new NDArray[modelConfig.numLayers()][PROJECTIONS.length];
        this.loraB = new NDArray[modelConfig.numLayers()][PROJECTIONS.length];
        this.scaling = Tensors.scalar(manager, config.scaling(), dataType);
    }

    /**
     * A fresh adapter for {@code base}: A Kaiming-uniform drawn from {@code seed} (layer by layer, in
     * projection order, so the same seed always gives the same adapter), B zero. Same dtype as the base.
     */
    public static LoraAdapter create(LlamaModel base, LoraConfig config, long seed) {
        ModelConfig mc = base.config();
        LoraAdapter adapter = new LoraAdapter(mc, config, base.manager().newSubManager(), base.dataType());
        SplittableRandom random = new SplittableRandom(seed);
        DataType dtype = base.dataType();
        for (int layer = 0; layer < mc.numLayers(); layer++) {
            for (Projection p : config.targets()) {
                int in = p.inFeatures(mc);
                int out = p.outFeatures(mc);
                double bound = 1.0 / Math.sqrt(in);
                float[] a = new float[config.rank() * in];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                adapter.put(layer, p,
                        adapter.manager.create(a, new Shape(config.rank(), in)).toType(dtype, false),
                        adapter.manager.zeros(new Shape(out, config.rank()), dtype));
            }
        }
        return adapter;
    }

    /** An empty adapter to be filled by {@link #put}, used by loaders. */
    static LoraAdapter empty(LlamaModel base, LoraConfig config) {
        return new LoraAdapter(base.config(), config, base.manager().newSubManager(), base.dataType());
    }

    /** Installs A {@code [r, in]} and B {@code [out, r]} for one projection; they move to this adapter's manager. */
    void put(int layer, Projection p, NDArray a, NDArray b) {
        int in = p.inFeatures(modelConfig);
        int out = p.outFeatures(modelConfig);
        if (!a.getShape().equals(new Shape(config.rank(), in)) || !b.getShape().equals(new Shape(out, config.rank()))) {
            throw new IllegalArgumentException("LoRA shapes for layer " + layer + " " + p.hfName() + ": A " + a.getShape()
                    + ", B " + b.getShape() + "; expected A (" + config.rank() + ", " + in + "), B (" + out + ", "
                    + config.rank() + ")");
        }
        NDArray ownedA = Tensors.owned(a); // libtorch-owned memory, see Tensors.owned
        NDArray ownedB = Tensors.owned(b);
        ownedA.attach(manager);
        ownedB.attach(manager);
        loraA[layer][p.ordinal()] = ownedA;
        loraB[layer][p.ordinal()] = ownedB;
    }

    public LoraConfig config() {
        return config;
    }

    public ModelConfig modelConfig() {
        return modelConfig;
    }

    /** The manager that owns this adapter's arrays. */
    public NDManager manager() {
        return manager;
    }

    /** A {@code [r, in]} of one projection, or null if not targeted. Live array: training updates it in place. */
    public NDArray loraA(int layer, Projection p) {
        return loraA[layer][p.ordinal()];
    }

    /** B {@code [out, r]} of one projection, or null if not targeted. */
    public NDArray loraB(int layer, Projection p) {
        return loraB[layer][p.ordinal()];
    }

    /** All trainable arrays in a fixed order: layer, then projection, A before B. */
    public List<NDArray> parameters() {
        List<NDArray> list = new ArrayList<>();
        for (int layer = 0; layer < modelConfig.numLayers(); layer++) {
            for (Projection p : PROJECTIONS) {
                if (loraA[layer][p.ordinal()] != null) {
                    list.add(loraA[layer][p.ordinal()]);
                    list.add(loraB[layer][p.ordinal()]);
                }
            }
        }
        return list;
    }

    /** Turns gradient recording for A and B on (training) or off. */
    public void setTrainable(boolean trainable) {
        for (NDArray p : parameters()) {
            p.setRequiresGradient(trainable);
        }
    }

    /**
     * Sets the accumulated gradients of A and B to zero. DJL's gradient recording adds to existing
     * gradients; {@link dev.streamtune.model.train.AdamW#step} zeroes them after each update, so this is
     * needed only when gradients were computed without an optimizer step.
     */
    public void zeroGradients() {
        for (NDArray p : parameters()) {
            if (p.hasGradient()) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
        }
    }

    /** True while the update is folded into a model's weights. */
    public boolean isMerged() {
        return mergedInto != null;
    }

    /**
     * The LoRA branch for one projection: {@code (alpha/r) · dropout(x)·Aᵀ·Bᵀ}, shape {@code [.., out]},
     * or null when this projection is not targeted or the adapter is merged (the base weight already has it).
     *
     * @param x          input of the projection, {@code [.., in]}
     * @param training   apply dropout, drawing masks from the engine's random generator (seeded per step by
     *                   the trainer; Java-made masks corrupted gradients through this DJL build, see docs/model.md)
     */
    public NDArray branch(int layer, Projection p, NDArray x, boolean training) {
        NDArray a = loraA[layer][p.ordinal()];
        if (a == null || mergedInto != null) {
            return null;
        }
        NDArray input = !training || config.dropout() == 0
                ? x
                : x.getNDArrayInternal().dropout(x, (float) config.dropout(), true).singletonOrThrow(); // [.., in]
        NDArray down = LlamaModel.linear(input, a, null).mul(scaling);          // [.., r]
        return LlamaModel.linear(down, loraB[layer][p.ordinal()], null);         // [.., out]
    }

    /**
     * {@code y + branch(x)} for one projection's output y {@code [.., out]}: without dropout, y is updated in
     * place by {@link TorchKernels#loraAdd} (the branch's second product accumulated into y by its GEMM);
     * otherwise (dropout, or the kernels off) {@code y.add(branch(...))}. Returns y itself when the projection is
     * not targeted or the adapter is merged.
     */
    public NDArray addTo(NDArray y, int layer, Projection p, NDArray x, boolean training) {
        NDArray a = loraA[layer][p.ordinal()];
        if (a == null || mergedInto != null) {
            return y;
        }
        if ((!training || config.dropout() == 0) && TorchKernels.enabled()) {
            return TorchKernels.loraAdd(y, x, a, loraB[layer][p.ordinal()], scaling);     // [.., out]
        }
        return y.add(branch(layer, p, x, training));                                      // [.., out]
    }

    /**
     * Folds {@code (alpha/r)·B·A} into {@code base}'s projection weights so that serving runs at base-model
     * cost. The merged weights are new arrays swapped into the model; the originals are kept, and
     * {@link #unmerge} swaps them back, so the base is restored bit-exactly. While merged, {@link #branch}
     * returns null, so passing this adapter to forward is the same as passing none; no other adapter should
     * run on {@code base} meanwhile (its outputs would include this one's update).
     */
    public synchronized void merge(LlamaModel base) {
        if (mergedInto != null) {
            throw new IllegalStateException("adapter is already merged");
        }
        if (!base.config().equals(modelConfig)) {
            throw new IllegalArgumentException("adapter was made for another model config");
        }
        weightsBeforeMerge = new NDArray[modelConfig.numLayers()][PROJECTIONS.length];
        for (int layer = 0; layer < modelConfig.numLayers(); layer++) {
            for (Projection p : config.targets()) {
                NDArray weight = base.projectionWeight(layer, p);                        // [out, in]
                NDArray merged;
                try (NDScope scope = new NDScope()) {
                    NDArray a = loraA[layer][p.ordinal()].stopGradient();              // [r, in]
                    NDArray b = loraB[layer][p.ordinal()].stopGradient();              // [out, r]
                    merged = weight.add(b.matMul(a).muli(config.scaling()));           // W + (alpha/r)·B·A
                    NDScope.unregister(merged);
                }
                weightsBeforeMerge[layer][p.ordinal()] = base.replaceProjectionWeight(layer, p, merged);
            }
        }
        mergedInto = base;
    }

    /** Swaps the original base weights back in (bit-exact) and re-enables the LoRA branch. */
    public synchronized void unmerge() {
        if (mergedInto == null) {
            throw new IllegalStateException("adapter is not merged");
        }
        for (int layer = 0; layer < modelConfig.numLayers(); layer++) {
            for (Projection p : config.targets()) {
                mergedInto.replaceProjectionWeight(layer, p, weightsBeforeMerge[layer][p.ordinal()]).close();
            }
        }
        weightsBeforeMerge = null;
        mergedInto = null;
    }

    @Override
    public void close() {
        manager.close();
    }
}
