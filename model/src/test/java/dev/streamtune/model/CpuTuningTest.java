package dev.streamtune.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The MKL override of {@link CpuTuning}: applied where it applies, and matmuls through whatever kernels MKL
 * picked agree with a double-precision reference to float32 accuracy.
 */
class CpuTuningTest {
    static {
        CpuTuning.apply();
    }

    @Test
    void activeOnAmdWithAvx512UnlessDisabled() {
        CpuTuning.Status status = CpuTuning.status();
        boolean wanted = CpuTuning.amdWithAvx512() && Boolean.parseBoolean(System.getProperty(CpuTuning.PROPERTY, "true"));
        if (wanted) {
            assertEquals(CpuTuning.Status.ACTIVE, status, "every test class applies CpuTuning before touching DJL");
        } else {
            assertTrue(status == CpuTuning.Status.NOT_APPLICABLE || status == CpuTuning.Status.DISABLED, status.name());
        }
    }

    /** GEMM shapes of the benchmark configs (large enough for MKL's blocked kernels) against a double reference. */
    @Test
    void matmulMatchesDoubleReference() {
        int[][] shapes = {{512, 256, 688}, {1024, 512, 512}, {256, 1376, 512}};
        SplittableRandom random = new SplittableRandom(7);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] s : shapes) {
                int rows = s[0];
                int inner = s[1];
                int cols = s[2];
                float[] a = new float[rows * inner];
                float[] b = new float[inner * cols];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextGaussian();
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) random.nextGaussian();
                }
                NDArray product = m.create(a, new Shape(rows, inner)).matMul(m.create(b, new Shape(inner, cols)));
                float[] c = product.toFloatArray();
                double worst = 0;
                for (int i = 0; i < rows; i += 7) {
                    for (int j = 0; j < cols; j++) {
                        double expected = 0;
                        for (int k = 0; k < inner; k++) {
                            expected += (double) a[i * inner + k] * b[k * cols + j];
                        }
                        worst = Math.max(worst, Math.abs(c[i * cols + j] - expected));
                    }
                }
                // entries have std √inner; float32 accumulation error stays far below 1e-6·inner
                assertTrue(worst < 1e-6 * inner * 10, "max error " + worst + " for " + rows + "x" + inner + "x" + cols);
            }
        }
    }
}
