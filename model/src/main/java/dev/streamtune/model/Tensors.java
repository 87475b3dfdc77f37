package dev.streamtune.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/** Small helpers around DJL arrays. */
public final class Tensors {
    static {
        CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private Tensors() {}

    /**
     * A copy of {@code javaBacked} in libtorch-owned memory; {@code javaBacked} is closed.
     *
     * <p>DJL's PyTorch engine wraps arrays made from Java data around a direct ByteBuffer without copying
     * (torch::from_blob). Views and autograd-saved tensors derived from such an array can outlive the Java
     * buffer that owns the memory; copying once removes that hazard for arrays that feed a training step.
     */
    public static NDArray owned(NDArray javaBacked) {
        NDArray copy = javaBacked.duplicate();
        javaBacked.close();
        return copy;
    }

    /**
     * A scalar array in libtorch-owned memory, for arithmetic on the autograd path.
     *
     * <p>DJL implements {@code x.mul(2.0)}, {@code x.div(2.0)} ... by wrapping the Java number in a
     * temporary from_blob array and closing it right after the op; when autograd saved that operand for the
     * backward pass (mul and div do), backward later reads freed memory once the GC reclaims the buffer
     * (NaN or silently wrong gradients, depending on timing). Multiplying by one of these instead is safe.
     */
    public static NDArray scalar(NDManager manager, double value, DataType dataType) {
        // toType(sameType, copy=true) returns an alias in this engine, so clone explicitly
        return owned(manager.create(value).toType(dataType, false));
    }
}
