/* Vector helpers: the one place (with gemm.c) where edl asks for SIMD.
 *
 * The loops are written so the compiler vectorises them; on x86-64 with GCC each is
 * compiled for AVX-512, AVX2 and baseline SSE2 and the loader picks the best for the CPU
 * (GCC's target_clones). Elsewhere the same loops compile as portable C. ISO C11 mode keeps
 * floating-point contraction off, so every clone rounds identically: results do not depend on
 * which one runs.
 */
#include "internal.h"

#include <math.h>
#include <string.h>

/* GCC only: Clang 14 wants the attribute on every declaration of a cloned function. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) &&       \
    !defined(EDL_NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define EDL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EDL_CLONES
#endif

EDL_CLONES void edl__vec_add(float *restrict y, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

EDL_CLONES void edl__vec_axpy(float *restrict y, float a, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

EDL_CLONES void edl__vec_scale(float *y, float a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] *= a;
}

/* y[d] = max(y[d], x[d]); where x wins (strictly greater), arg[d] = row. */
EDL_CLONES void edl__vec_max_arg(float *restrict y, int64_t *restrict arg, const float *restrict x,
                                 int64_t row, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int win = x[i] > y[i];
        y[i] = win ? x[i] : y[i];
        arg[i] = win ? row : arg[i];
    }
}

/* Sixteen independent partial sums, then a pairwise tree: vectorisable, short in latency, and
   the same order on every ISA. */
EDL_CLONES float edl__vec_dot(const float *a, const float *b, size_t n) {
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += a[i + j] * b[i + j];
    for (int j = 0; i < n; i++, j++) acc[j] += a[i] * b[i];
    for (int w = 8; w >= 1; w /= 2)
        for (int j = 0; j < w; j++) acc[j] += acc[j + w];
    return acc[0];
}

/* Whether any idx[i], read as unsigned, is >= limit (so negatives count too). Branch-free so it
   vectorises: the cheap first pass of every index check. */
EDL_CLONES bool edl__vec_any_ge(const int64_t *idx, size_t n, uint64_t limit) {
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) bad |= (uint64_t)idx[i] >= limit;
    return bad != 0;
}

/* Activations over arrays: one switch outside the loop so each loop vectorises. */
EDL_CLONES void edl__act_inplace(float *x, size_t n, edl_act act) {
    switch (act) {
    case EDL_ACT_RELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] < 0.0f ? 0.0f : x[i]; /* NaN passes through */
        break;
    case EDL_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case EDL_ACT_TANH:
        for (size_t i = 0; i < n; i++) x[i] = tanhf(x[i]);
        break;
    case EDL_ACT_NONE: break;
    }
}

/* g = dout * act'(.) written from the forward's output y (g may equal dout). */
EDL_CLONES void edl__act_grad_mul(float *g, const float *dout, const float *y, size_t n,
                                  edl_act act) {
    switch (act) {
    case EDL_ACT_RELU:
        for (size_t i = 0; i < n; i++) g[i] = y[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case EDL_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) g[i] = dout[i] * (y[i] * (1.0f - y[i]));
        break;
    case EDL_ACT_TANH:
        for (size_t i = 0; i < n; i++) g[i] = dout[i] * (1.0f - y[i] * y[i]);
        break;
    case EDL_ACT_NONE:
        if (g != dout) memcpy(g, dout, n * sizeof *g);
        break;
    }
}

/* y[c] += sum_r x[r,c]; x is rows x cols. Rows are added in order, so the sum is fixed. */
EDL_CLONES void edl__vec_colsum_add(float *restrict y, const float *restrict x, size_t rows,
                                    size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) y[c] += x[r * cols + c];
}

const char *edl__simd_name(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
    return "sse2";
#else
    return "portable";
#endif
}
