/*
 * Fused kernels for the hand-written decoder-block backward (dev.streamtune.model.BlockTraining): RMSNorm and
 * SwiGLU, each one pass over its arrays where libtorch's CPU build takes three to nine (it has no fused RMSNorm or
 * SwiGLU kernel, and TorchScript's CPU fuser is absent from the build DJL ships); and causal attention with rotary
 * embedding and GQA, forward and backward, on small GEMM tiles of our own (libtorch's CPU flash attention runs at
 * about half the speed on the trainer's shapes: T ≈ 256, D = 64).
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
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- causal attention ---- */

/*
 * C[m][n] (+)= Σ_k A(m, k)·B[k][n] over a tile of 4 rows and nv·16 columns, A(m, k) = a[m·a_m + k·a_k]
 * (broadcast), B row-major (vector loads). The one micro-kernel of the attention below: with a_k = 1 it is A·B,
 * with a_m = 1 it is Aᵀ·B.
 */
static inline __attribute__((always_inline)) void tile_4(const int nv, long k_count, const float *a, long a_m,
                                                          long a_k, const float *b, long ldb, float *c, long ldc,
                                                          int accumulate) {
    __m512 acc[4][4];
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            acc[m][v] = accumulate ? _mm512_loadu_ps(c + m * ldc + 16 * v) : _mm512_setzero_ps();
        }
    }
    for (long k = 0; k < k_count; k++) {
        __m512 bv[4];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            bv[v] = _mm512_loadu_ps(b + k * ldb + 16 * v);
        }
#pragma GCC unroll 4
        for (int m = 0; m < 4; m++) {
            __m512 am = _mm512_set1_ps(a[m * a_m + k * a_k]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++) {
                acc[m][v] = _mm512_fmadd_ps(am, bv[v], acc[m][v]);
            }
        }
    }
#pragma GCC unroll 4
    for (int m = 0; m < 4; m++) {
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            _mm512_storeu_ps(c + m * ldc + 16 * v, acc[m][v]);
        }
    }
}

/* C [rows, cols] (+)= A(rows, k)·B [k, cols]; rows a multiple of 4, cols of 16. */
static void small_gemm(long rows, long cols, long k_count, const float *a, long a_m, long a_k, const float *b,
                       long ldb, float *c, long ldc, int accumulate) {
    for (long n0 = 0; n0 < cols; n0 += 64) {
        long width = cols - n0 < 64 ? cols - n0 : 64;
        for (long m0 = 0; m0 < rows; m0 += 4) {
            const float *at = a + m0 * a_m;
            const float *bt = b + n0;
            float *ct = c + m0 * ldc + n0;
            switch (width / 16) {
                case 4: tile_4(4, k_count, at, a_m, a_k, bt, ldb, ct, ldc, accumulate); break;
                case 3: tile_4(3, k_count, at, a_m, a_k, bt, ldb, ct, ldc, accumulate); break;
                case 2: tile_4(2, k_count, at, a_m, a_k, bt, ldb, ct, ldc, accumulate); break;
                default: tile_4(1, k_count, at, a_m, a_k, bt, ldb, ct, ldc, accumulate); break;
            }
        }
    }
}

#define BLOCK_ROWS 8

static long round_up(long x, long to) {
    return (x + to - 1) / to * to;
}

/* The keys a block of queries starting at row i0 attends to: up to its last row, rounded up to whole vectors. */
static long keys_of_block(long i0, long tp) {
    long keys = round_up(i0 + BLOCK_ROWS, 16);
    return keys < tp ? keys : tp;
}

/* A per-thread scratch area, grown as needed and kept for the thread's life (the pool's threads are few). */
static float *scratch(size_t floats) {
    static __thread float *area;
    static __thread size_t capacity;
    if (floats > capacity) {
        free(area);
        area = aligned_alloc(64, round_up((long) floats * sizeof(float), 64));
        capacity = floats;
    }
    return area;
}

/*
 * The rotary embedding of one row (rotate-half layout, tables as in the header of the attention below):
 * y = x·cos − [x₂, x₁]·sin with sign 1 (y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin), its transpose with sign −1.
 */
static void rotate_row(const float *restrict x, const float *restrict cos_row, const float *restrict sin_row,
                       float sign, float factor, float *restrict y, long d) {
    long half = d / 2;
    #pragma omp simd
    for (long c = 0; c < half; c++) {
        float x1 = x[c];
        float x2 = x[c + half];
        float s = sign * sin_row[c];
        y[c] = (x1 * cos_row[c] - x2 * s) * factor;
        y[c + half] = (x2 * cos_row[c] + x1 * s) * factor;
    }
}

/* One row of one head: rotated (cos_table non-null) or copied, times factor, zero-padded to dp. */
static void load_row(const float *restrict x, const float *cos_table, const float *sin_table, long position,
                     long d, long dp, float factor, float *restrict y) {
    if (cos_table != NULL) {
        rotate_row(x, cos_table + position * d, sin_table + position * d, 1.0f, factor, y, d);
    } else {
        for (long c = 0; c < d; c++) {
            y[c] = x[c] * factor;
        }
    }
    memset(y + d, 0, (dp - d) * sizeof(float));
}

/* One head of x [B·T, heads, d] (its first row at x) into dst [tp, dp], rotated if tables are given. */
static void pack_rows(const float *x, long heads, long d, const float *cos_table, const float *sin_table,
                      float factor, float *dst, long t, long tp, long dp) {
    for (long i = 0; i < tp; i++) {
        if (i < t) {
            load_row(x + i * heads * d, cos_table, sin_table, i, d, dp, factor, dst + i * dp);
        } else {
            memset(dst + i * dp, 0, dp * sizeof(float));
        }
    }
}

/* The same, transposed into dst [dp, tp], by tiles of 16 rows (whole cache lines written). */
static void pack_transposed(const float *x, long heads, long d, const float *cos_table, const float *sin_table,
                            float *dst, long t, long tp, long dp) {
    float rows[16 * dp];
    for (long i0 = 0; i0 < tp; i0 += 16) {
        for (long ii = 0; ii < 16; ii++) {
            if (i0 + ii < t) {
                load_row(x + (i0 + ii) * heads * d, cos_table, sin_table, i0 + ii, d, dp, 1.0f, rows + ii * dp);
            } else {
                memset(rows + ii * dp, 0, dp * sizeof(float));
            }
        }
        for (long c = 0; c < dp; c++) {
            float *column = dst + c * tp + i0;
            for (long ii = 0; ii < 16; ii++) {
                column[ii] = rows[ii * dp + c];
            }
        }
    }
}

/* dst [t] rows of one head of x [B·T, heads, d] from src [tp, dp] times factor, rotated back if tables are given. */
static void unpack_rows(const float *src, long dp, const float *cos_table, const float *sin_table, float factor,
                        float *x, long heads, long d, long t) {
    for (long i = 0; i < t; i++) {
        float *row = x + i * heads * d;
        if (cos_table != NULL) {
            rotate_row(src + i * dp, cos_table + i * d, sin_table + i * d, -1.0f, factor, row, d);
        } else {
            for (long c = 0; c < d; c++) {
                row[c] = src[i * dp + c] * factor;
            }
        }
    }
}

/*
 * Causal softmax attention with rotary embedding and GQA, forward: per query head h (kv head h / (heads /
 * kv_heads)), out = softmax(rot(q)·rot(k)ᵀ/√d + causal mask)·v, rot the rotary embedding at each row's position.
 * q, out [B·T, heads, d]; k, v [B·T, kv_heads, d]; cos_table, sin_table [T, d]: the angles' cos (both halves alike)
 * and sin (first half; the rest is not read); lse [B, heads, T] each query's log-sum-exp of its scores, from which
 * the backward recomputes the probabilities (as flash attention does, nothing T×T is kept).
 *
 * One task per (sequence, kv head): its keys and values packed once (keys rotated and transposed) for the query
 * heads that read them; queries in blocks of BLOCK_ROWS, each over the keys up to its last row only (causal).
 */
void streamtune_attention_forward(const float *restrict q, const float *restrict k, const float *restrict v,
                                  const float *restrict cos_table, const float *restrict sin_table,
                                  float *restrict out, float *restrict lse, long batch, long t, long heads,
                                  long kv_heads, long d) {
    long group = heads / kv_heads;
    long tp = round_up(t, 16);
    long dp = round_up(d, 16);
    float factor = 1.0f / sqrtf((float) d);
    #pragma omp parallel for schedule(dynamic, 1)
    for (long task = 0; task < batch * kv_heads; task++) {
        long b = task / kv_heads;
        long kv_head = task % kv_heads;
        float *kt = scratch(4 * tp * dp + BLOCK_ROWS * tp);      /* rot(k)ᵀ [dp, tp] */
        float *vb = kt + tp * dp;                                /* v [tp, dp] */
        float *qb = vb + tp * dp;                                /* rot(q)/√d [tp, dp] */
        float *ob = qb + tp * dp;                                /* out [tp, dp] */
        float *p = ob + tp * dp;                                 /* scores, then probabilities [BLOCK_ROWS, tp] */
        long kv_offset = (b * t * kv_heads + kv_head) * d;
        pack_transposed(k + kv_offset, kv_heads, d, cos_table, sin_table, kt, t, tp, dp);
        pack_rows(v + kv_offset, kv_heads, d, NULL, NULL, 1.0f, vb, t, tp, dp);
        for (long h = kv_head * group; h < (kv_head + 1) * group; h++) {
            long offset = (b * t * heads + h) * d;
            pack_rows(q + offset, heads, d, cos_table, sin_table, factor, qb, t, tp, dp);
            float *lse_h = lse + (b * heads + h) * t;
            for (long i0 = 0; i0 < tp; i0 += BLOCK_ROWS) {
                long keys = keys_of_block(i0, tp);
                small_gemm(BLOCK_ROWS, keys, dp, qb + i0 * dp, dp, 1, kt, tp, p, tp, 0);        /* scores */
                for (long r = 0; r < BLOCK_ROWS; r++) {
                    long i = i0 + r;
                    float *row = p + r * tp;
                    long valid = i < t ? i + 1 : 0;                                              /* keys 0..i */
                    if (valid > 0) {
                        float max = row[0];
                        for (long j = 1; j < valid; j++) {
                            max = row[j] > max ? row[j] : max;
                        }
                        float sum = 0.0f;
                        #pragma omp simd reduction(+:sum)
                        for (long j = 0; j < valid; j++) {
                            float e = expf(row[j] - max);
                            row[j] = e;
                            sum += e;
                        }
                        float inverse = 1.0f / sum;
                        #pragma omp simd
                        for (long j = 0; j < valid; j++) {
                            row[j] *= inverse;
                        }
                        lse_h[i] = max + logf(sum);
                    }
                    memset(row + valid, 0, (keys - valid) * sizeof(float));
                }
                small_gemm(BLOCK_ROWS, dp, keys, p, tp, 1, vb, dp, ob + i0 * dp, dp, 0);        /* p·v */
            }
            unpack_rows(ob, dp, NULL, NULL, 1.0f, out + offset, heads, d, t);
        }
    }
}

/*
 * The backward of streamtune_attention_forward: from dout, the saved out and lse, the gradients of the unrotated
 * inputs dq [B·T, heads, d], dk and dv [B·T, kv_heads, d] (summed over each kv head's query heads). With
 * q' = rot(q)/√d and k' = rot(k), per block of queries: p = exp(q'·k'ᵀ − lse), dp = dout·vᵀ,
 * ds = p·(dp − rowsum(dout·out)); dq' = ds·k', dk' += dsᵀ·q', dv += pᵀ·dout; then dq = rotᵀ(dq')/√d, dk = rotᵀ(dk').
 */
void streamtune_attention_backward(const float *restrict dout, const float *restrict q, const float *restrict k,
                                   const float *restrict v, const float *restrict out, const float *restrict lse,
                                   const float *restrict cos_table, const float *restrict sin_table,
                                   float *restrict dq, float *restrict dk, float *restrict dv, long batch, long t,
                                   long heads, long kv_heads, long d) {
    long group = heads / kv_heads;
    long tp = round_up(t, 16);
    long dp = round_up(d, 16);
    float factor = 1.0f / sqrtf((float) d);
    #pragma omp parallel for schedule(dynamic, 1)
    for (long task = 0; task < batch * kv_heads; task++) {
        long b = task / kv_heads;
        long kv_head = task % kv_heads;
        float *kt = scratch(8 * tp * dp + 3 * BLOCK_ROWS * tp + tp);
        float *kb = kt + tp * dp;                                /* k' [tp, dp] */
        float *vt = kb + tp * dp;                                /* vᵀ [dp, tp] */
        float *qb = vt + tp * dp;                                /* q' [tp, dp] */
        float *dob = qb + tp * dp;                               /* dout [tp, dp] */
        float *dqb = dob + tp * dp;                              /* dq' [tp, dp] */
        float *dkb = dqb + tp * dp;                              /* dk' [tp, dp], summed over the group */
        float *dvb = dkb + tp * dp;                              /* dv [tp, dp], summed over the group */
        float *p = dvb + tp * dp;                                /* [BLOCK_ROWS, tp] each */
        float *dp_block = p + BLOCK_ROWS * tp;
        float *ds = dp_block + BLOCK_ROWS * tp;
        float *delta = ds + BLOCK_ROWS * tp;                     /* rowsum(dout·out) [tp] */
        long kv_offset = (b * t * kv_heads + kv_head) * d;
        pack_transposed(k + kv_offset, kv_heads, d, cos_table, sin_table, kt, t, tp, dp);
        pack_rows(k + kv_offset, kv_heads, d, cos_table, sin_table, 1.0f, kb, t, tp, dp);
        pack_transposed(v + kv_offset, kv_heads, d, NULL, NULL, vt, t, tp, dp);
        memset(dkb, 0, 2 * tp * dp * sizeof(float));
        for (long h = kv_head * group; h < (kv_head + 1) * group; h++) {
            long offset = (b * t * heads + h) * d;
            pack_rows(q + offset, heads, d, cos_table, sin_table, factor, qb, t, tp, dp);
            pack_rows(dout + offset, heads, d, NULL, NULL, 1.0f, dob, t, tp, dp);
            for (long i = 0; i < t; i++) {
                const float *o_row = out + offset + i * heads * d;
                const float *do_row = dob + i * dp;
                float sum = 0.0f;
                #pragma omp simd reduction(+:sum)
                for (long c = 0; c < d; c++) {
                    sum += o_row[c] * do_row[c];
                }
                delta[i] = sum;
            }
            const float *lse_h = lse + (b * heads + h) * t;
            for (long i0 = 0; i0 < tp; i0 += BLOCK_ROWS) {
                long keys = keys_of_block(i0, tp);
                small_gemm(BLOCK_ROWS, keys, dp, qb + i0 * dp, dp, 1, kt, tp, p, tp, 0);         /* scores */
                small_gemm(BLOCK_ROWS, keys, dp, dob + i0 * dp, dp, 1, vt, tp, dp_block, tp, 0); /* dout·vᵀ */
                for (long r = 0; r < BLOCK_ROWS; r++) {
                    long i = i0 + r;
                    float *p_row = p + r * tp;
                    float *dp_row = dp_block + r * tp;
                    float *ds_row = ds + r * tp;
                    long valid = i < t ? i + 1 : 0;
                    if (valid > 0) {
                        float l = lse_h[i];
                        float di = delta[i];
                        #pragma omp simd
                        for (long j = 0; j < valid; j++) {
                            float pj = expf(p_row[j] - l);
                            p_row[j] = pj;
                            ds_row[j] = pj * (dp_row[j] - di);
                        }
                    }
                    memset(p_row + valid, 0, (keys - valid) * sizeof(float));
                    memset(ds_row + valid, 0, (keys - valid) * sizeof(float));
                }
                small_gemm(keys, dp, BLOCK_ROWS, p, 1, tp, dob + i0 * dp, dp, dvb, dp, 1);       /* dv += pᵀ·dout */
                small_gemm(keys, dp, BLOCK_ROWS, ds, 1, tp, qb + i0 * dp, dp, dkb, dp, 1);       /* dk' += dsᵀ·q' */
                small_gemm(BLOCK_ROWS, dp, keys, ds, tp, 1, kb, dp, dqb + i0 * dp, dp, 0);       /* dq' = ds·k' */
            }
            unpack_rows(dqb, dp, cos_table, sin_table, factor, dq + offset, heads, d, t);
        }
        unpack_rows(dkb, dp, cos_table, sin_table, 1.0f, dk + kv_offset, kv_heads, d, t);
        unpack_rows(dvb, dp, NULL, NULL, 1.0f, dv + kv_offset, kv_heads, d, t);
    }
}
