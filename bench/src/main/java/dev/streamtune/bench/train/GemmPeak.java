package dev.streamtune.bench.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The machine's float32 matmul rate through DJL's libtorch: best of several n×n·n×n products. */
public final class GemmPeak {
    private GemmPeak() {}

    /** FLOP/s of the fastest of {@code repeats} products (2n³ FLOPs each), after one untimed product. */
    public static double measure(int n, int repeats) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new Shape(n, n), DataType.FLOAT32);
            NDArray b = manager.randomNormal(new Shape(n, n), DataType.FLOAT32);
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repeats; i++) {
                long start = System.nanoTime();
                NDArray c = a.matMul(b);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
                c.close();
            }
            return 2.0 * n * n * (double) n / best;
        }
    }
}
