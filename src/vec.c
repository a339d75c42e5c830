/* Vector helpers: the one place (with gemm.c) where edl asks for SIMD.
 *
 * The loops are written so the compiler vectorises them; on x86-64 with GCC each is
 * compiled for AVX-512, AVX2 and baseline SSE2 and the loader picks the best for the CPU
 * (GCC's target_clones). Elsewhere the same loops compile as portable C. ISO C11 mode keeps
 * floating-point contraction off, so every clone rounds identically: results do not depend on
 * which one runs.
 */
#include "internal.h"

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

/* Sixteen independent partial sums in a fixed order: vectorisable and the same on every ISA. */
EDL_CLONES float edl__vec_dot(const float *a, const float *b, size_t n) {
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += a[i + j] * b[i + j];
    float s = 0.0f;
    for (; i < n; i++) s += a[i] * b[i];
    for (int j = 0; j < 16; j++) s += acc[j];
    return s;
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
