/*
 * Fused element-wise kernels for the hand-written decoder-block backward (dev.streamtune.model.DecoderBlocks):
 * each does in one pass over its arrays what libtorch's CPU build does in three to nine (it has no fused RMSNorm
 * or SwiGLU kernel, and TorchScript's CPU fuser is absent from the build DJL ships).
 *
 * float32, contiguous, row-major [rows, C]. Rows are split over the OpenMP threads of the libgomp already loaded
 * by libtorch (this library is loaded after it and links libgomp by its soname, so it shares libtorch's pool).
 *
 * Build (x86-64, AVX-512; glibc's libmvec supplies the vectorised expf):
 *   gcc -O3 -march=x86-64-v4 -ffast-math -fopenmp -fPIC -c fused_kernels.c -o /tmp/fused_kernels.o
 *   gcc -shared -fopenmp /tmp/fused_kernels.o -o \
 *       ../resources/dev/streamtune/model/native/linux-x86_64/libstreamtune_fused_kernels.so -lmvec -lm
 * (compiled with -ffast-math but linked without it, so that crtfastmath.o, which would set flush-to-zero for the
 * whole process, is not linked in).
 */
#include <math.h>

/* y = x · r · w per row, r = (‖x‖²/C + eps)^(−1/2), saved in rstd[row]. */
void streamtune_rms_norm_forward(const float *restrict x, const float *restrict w, float *restrict y,
                                 float *restrict rstd, long rows, long c, float eps) {
    #pragma omp parallel for schedule(static)
    for (long row = 0; row < rows; row++) {
        const float *xr = x + row * c;
        float *yr = y + row * c;
        float squares = 0.0f;
        #pragma omp simd reduction(+:squares)
        for (long i = 0; i < c; i++) {
            squares += xr[i] * xr[i];
        }
        float r = 1.0f / sqrtf(squares / (float) c + eps);
        rstd[row] = r;
        #pragma omp simd
        for (long i = 0; i < c; i++) {
            yr[i] = xr[i] * r * w[i];
        }
    }
}

/*
 * dx += ∂(x·r·w)/∂x applied to dy: with g = dy·w, dx += r·g − x·r³·(g·x)/C. dx is the residual stream's gradient,
 * accumulated in place.
 */
void streamtune_rms_norm_backward(const float *restrict dy, const float *restrict x, const float *restrict w,
                                  const float *restrict rstd, float *restrict dx, long rows, long c) {
    #pragma omp parallel for schedule(static)
    for (long row = 0; row < rows; row++) {
        const float *dyr = dy + row * c;
        const float *xr = x + row * c;
        float *dxr = dx + row * c;
        float dot = 0.0f;
        #pragma omp simd reduction(+:dot)
        for (long i = 0; i < c; i++) {
            dot += dyr[i] * w[i] * xr[i];
        }
        float r = rstd[row];
        float coefficient = r * r * r * dot / (float) c;
        #pragma omp simd
        for (long i = 0; i < c; i++) {
            dxr[i] += r * dyr[i] * w[i] - xr[i] * coefficient;
        }
    }
}

/* h = silu(g) · u = g · σ(g) · u, n elements. */
void streamtune_swiglu_forward(const float *restrict g, const float *restrict u, float *restrict h, long n) {
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; i++) {
        float x = g[i];
        h[i] = x / (1.0f + expf(-x)) * u[i];
    }
}

/* dg = dh · u · σ(g)·(1 + g·(1 − σ(g))), du = dh · silu(g). */
void streamtune_swiglu_backward(const float *restrict dh, const float *restrict g, const float *restrict u,
                                float *restrict dg, float *restrict du, long n) {
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; i++) {
        float x = g[i];
        float s = 1.0f / (1.0f + expf(-x));
        float d = dh[i];
        du[i] = d * x * s;
        dg[i] = d * u[i] * s * (1.0f + x * (1.0f - s));
    }
}

/*
 * Rotary embedding, rotate-half layout, of x [rows, heads, d] (rows = B·T, position = row % t), written to
 * y [rows, heads · repeat, d] with each head repeated `repeat` times (GQA: the kv heads expanded to the query heads
 * in the same pass). cos and sin hold the angles' cos and sin per position in their first d/2 columns (rows
 * table_stride apart):
 * y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin.
 */
void streamtune_rotary_forward(const float *restrict x, const float *restrict cos_table,
                               const float *restrict sin_table, float *restrict y, long rows, long t, long heads,
                               long d, long table_stride, long repeat) {
    long half = d / 2;
    #pragma omp parallel for schedule(static)
    for (long row = 0; row < rows; row++) {
        const float *c = cos_table + (row % t) * table_stride;
        const float *s = sin_table + (row % t) * table_stride;
        for (long h = 0; h < heads; h++) {
            const float *xh = x + (row * heads + h) * d;
            for (long copy = 0; copy < repeat; copy++) {
                float *yh = y + ((row * heads + h) * repeat + copy) * d;
                #pragma omp simd
                for (long i = 0; i < half; i++) {
                    float x1 = xh[i];
                    float x2 = xh[i + half];
                    yh[i] = x1 * c[i] - x2 * s[i];
                    yh[i + half] = x2 * c[i] + x1 * s[i];
                }
            }
        }
    }
}

/*
 * The backward of streamtune_rotary_forward: dy [rows, heads · repeat, d] summed over each head's copies, then
 * rotated back (the transpose of a rotation): dx₁ = g₁·cos + g₂·sin, dx₂ = g₂·cos − g₁·sin, into dx [rows, heads, d].
 */
void streamtune_rotary_backward(const float *restrict dy, const float *restrict cos_table,
                                const float *restrict sin_table, float *restrict dx, long rows, long t, long heads,
                                long d, long table_stride, long repeat) {
    long half = d / 2;
    #pragma omp parallel for schedule(static)
    for (long row = 0; row < rows; row++) {
        const float *c = cos_table + (row % t) * table_stride;
        const float *s = sin_table + (row % t) * table_stride;
        for (long h = 0; h < heads; h++) {
            const float *g = dy + (row * heads + h) * repeat * d;
            float *dxh = dx + (row * heads + h) * d;
            #pragma omp simd
            for (long i = 0; i < half; i++) {
                float g1 = g[i];
                float g2 = g[i + half];
                for (long copy = 1; copy < repeat; copy++) {
                    g1 += g[copy * d + i];
                    g2 += g[copy * d + i + half];
                }
                dxh[i] = g1 * c[i] + g2 * s[i];
                dxh[i + half] = g2 * c[i] - g1 * s[i];
            }
        }
    }
}
