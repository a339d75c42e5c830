/* Vector helpers: the one place (with gemm.c) where edl asks for SIMD.
 *
 * The loops are written so the compiler vectorises them; on x86-64 with GCC each is
 * compiled for AVX-512, AVX2 and baseline SSE2 and the loader picks the best for the CPU
 * (GCC's target_clones). Elsewhere the same loops compile as portable C. ISO C11 mode keeps
 * floating-point contraction off, so every clone rounds identically: results do not depend on
 * which one runs.
 */
#include "common/internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <string.h>

/* Helpers inlined into each CPU's clone of their callers (a static function called from a
   target_clones function is compiled once, for the baseline). */
#define EDL__INLINE static inline __attribute__((always_inline))

/* GCC only: Clang 14 wants the attribute on every declaration of a cloned function. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(EDL__NO_CLONES) && !defined(__SANITIZE_ADDRESS__)
#define EDL__CLONES     __attribute__((target_clones("avx512f", "avx2", "default")))
/* The loops that divide by a known value (div_known): the clone below AVX-512 is x86-64-v3's (AVX2
   and fused multiply-add), so that fmaf is an instruction in every clone that takes that path;
   the baseline clone, run only where the CPU has neither (EDL__FMA_INLINE asks as the loader's
   resolver does), divides. */
#define EDL__CLONES_FMA __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#define EDL__FMA_INLINE() \
    (__builtin_cpu_init(), __builtin_cpu_supports("avx512f") || __builtin_cpu_supports("x86-64-v3"))
#else
#define EDL__CLONES
#define EDL__CLONES_FMA
#if defined(__FMA__) || defined(__aarch64__)
#define EDL__FMA_INLINE() 1
#else
#define EDL__FMA_INLINE() 0 /* fmaf would be a call: divide instead */
#endif
#endif

EDL__CLONES void edl__vec_add(float *restrict y, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

EDL__CLONES void edl__vec_axpy(float *restrict y, float a, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

EDL__CLONES void edl__vec_scale(float *y, float a, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] *= a;
}

/* y[d] = max(y[d], x[d]); where x wins (strictly greater), arg[d] = row. */
EDL__CLONES void edl__vec_max_arg(float *restrict y, int64_t *restrict arg, const float *restrict x, int64_t row,
                                  size_t n) {
    for (size_t i = 0; i < n; i++) {
        int win = x[i] > y[i];
        y[i] = win ? x[i] : y[i];
        arg[i] = win ? row : arg[i];
    }
}

/* Sixteen independent partial sums (one 16-lane vector), four more for a tail of whole 4-blocks,
   a scalar for the last 0..3, then a pairwise tree of halves: short in latency, no partial
   loads, and the same order on every ISA. */
typedef float edl__v16 __attribute__((vector_size(64)));
typedef float edl__v8 __attribute__((vector_size(32)));
typedef float edl__v4 __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) float dot_tree(const float *a, const float *b, size_t n) {
    edl__v16 acc = {0}, x, y;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        memcpy(&x, a + i, sizeof x), memcpy(&y, b + i, sizeof y);
        acc += x * y;
    }
    edl__v4 acc4 = {0}, x4, y4;
    for (; i + 4 <= n; i += 4) {
        memcpy(&x4, a + i, sizeof x4), memcpy(&y4, b + i, sizeof y4);
        acc4 += x4 * y4;
    }
    float rest = 0.0f;
    for (; i < n; i++) rest += a[i] * b[i];
    edl__v8 lo, hi;
    memcpy(&lo, &acc, sizeof lo), memcpy(&hi, (const char *)&acc + sizeof lo, sizeof hi);
    edl__v8 s8 = lo + hi;
    edl__v4 l4, h4;
    memcpy(&l4, &s8, sizeof l4), memcpy(&h4, (const char *)&s8 + sizeof l4, sizeof h4);
    edl__v4 s4 = l4 + h4 + acc4;
    return ((s4[0] + s4[2]) + (s4[1] + s4[3])) + rest;
}

EDL__CLONES float edl__vec_dot(const float *a, const float *b, size_t n) { return dot_tree(a, b, n); }

/* The inner loops of the embedding bag, one call per bag rather than per row. Rows are read
   in random order, so each loop asks for the row PREFETCH_AHEAD positions on before it needs it
   (the hardware prefetcher cannot guess a random row). */
enum { PREFETCH_AHEAD = 8 };

static inline void prefetch_row(const float *row, size_t dim, int write) {
#if defined(__GNUC__) || defined(__clang__)
    for (size_t d = 0; d < dim; d += 16) {
        if (write)
            __builtin_prefetch(row + d, 1, 3);
        else
            __builtin_prefetch(row + d, 0, 3);
    }
#else
    (void)row, (void)dim, (void)write;
#endif
}

/* Asks for every line of p[0 .. n), n >= 1: prefetch_row's, and the one more that n floats
   starting off a line's start span. */
EDL__INLINE void prefetch_span(const float *p, size_t n, int write) {
    prefetch_row(p, n, write);
#if defined(__GNUC__) || defined(__clang__)
    if ((uintptr_t)p & 63) {
        if (write)
            __builtin_prefetch(p + n - 1, 1, 3);
        else
            __builtin_prefetch(p + n - 1, 0, 3);
    }
#endif
}

/* Asks for the bytes at p (each cache line) before they are needed (write: to be written). */
void edl__vec_prefetch(const void *p, size_t bytes, int write) {
    const char *c = p;
#if defined(__GNUC__) || defined(__clang__)
    for (size_t b = 0; b < bytes; b += 64) {
        if (write)
            __builtin_prefetch(c + b, 1, 3);
        else
            __builtin_prefetch(c + b, 0, 3);
    }
#else
    (void)c, (void)bytes, (void)write;
#endif
}

/* The prefetches of the bag's index j's sums over columns d0 .. d0 + span: the row PREFETCH_AHEAD
   on in the bag, or past its end (for the block that ends the row: last) the next bags' rows
   from column 0, up to index ahead. */
EDL__INLINE void prefetch_bag_row(const float *table, size_t dim, size_t d0, size_t span, const int64_t *idx, size_t j,
                                  size_t e, size_t ahead, int last) {
    if (j + PREFETCH_AHEAD < e)
        prefetch_span(table + (size_t)idx[j + PREFETCH_AHEAD] * dim + d0, span, 0);
    else if (last && j + PREFETCH_AHEAD < ahead)
        prefetch_span(table + (size_t)idx[j + PREFETCH_AHEAD] * dim, dim < 64 ? dim : 64, 0);
}

/* Columns d0 .. d0 + 16 nv of the bag's rows summed into o in nv 16-lane vectors held in
   registers (nv 1, 2 or 4, a constant where it is inlined): the additions of a loop over a block
   of floats, in the same order. Such a block lived on the stack, and each row's sum waited for
   the last one's store: 66 us for bench/train.c's 12,800 rows even from L1. last: the block ends
   the row, so it asks for the next bags' rows. */
EDL__INLINE void sum_rows_v(float *restrict o, const float *restrict table, size_t dim, size_t d0, int nv,
                            const int64_t *idx, size_t s, size_t e, size_t ahead, int last, const float *w,
                            int64_t pad) {
    edl__v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, r0, r1 = {0}, r2 = {0}, r3 = {0};
    memcpy(&a0, o + d0, 64);
    if (nv > 1) memcpy(&a1, o + d0 + 16, 64);
    if (nv > 2) memcpy(&a2, o + d0 + 32, 64), memcpy(&a3, o + d0 + 48, 64);
    for (size_t j = s; j < e; j++) {
        prefetch_bag_row(table, dim, d0, 16 * (size_t)nv, idx, j, e, ahead, last);
        if (idx[j] == pad) continue;
        const float *restrict row = table + (size_t)idx[j] * dim + d0;
        memcpy(&r0, row, 64);
        if (nv > 1) memcpy(&r1, row + 16, 64);
        if (nv > 2) memcpy(&r2, row + 32, 64), memcpy(&r3, row + 48, 64);
        if (w) {
            const float a = w[j];
            a0 += a * r0;
            if (nv > 1) a1 += a * r1;
            if (nv > 2) a2 += a * r2, a3 += a * r3;
        } else {
            a0 += r0;
            if (nv > 1) a1 += r1;
            if (nv > 2) a2 += r2, a3 += r3;
        }
    }
    memcpy(o + d0, &a0, 64);
    if (nv > 1) memcpy(o + d0 + 16, &a1, 64);
    if (nv > 2) memcpy(o + d0 + 32, &a2, 64), memcpy(o + d0 + 48, &a3, 64);
}

/* o += (w ? w[j] : 1) * table[idx[j],:] for j in [s, e) with idx[j] != pad, in order;
   returns how many rows were added. Rows are asked for PREFETCH_AHEAD indices ahead, up to
   index ahead (>= e): past e, the next bags' first rows, so theirs do not start with misses. */
EDL__CLONES size_t edl__vec_gather_sum(float *restrict o, const float *restrict table, size_t dim, const int64_t *idx,
                                       size_t s, size_t e, size_t ahead, const float *w, int64_t pad) {
    size_t count = 0;
    for (size_t j = s; j < e; j++) count += idx[j] != pad;
    /* 64 columns at a time (then 32, 16), rows in bag order: the same additions in the same
       order as one row at a time */
    for (size_t d0 = 0; d0 < dim;) {
        /* whole vectors, or the last 1-63 columns when they are not */
        const size_t left = dim - d0, width = left >= 64 ? 64 : left == 48 || left == 32 ? 32 : left == 16 ? 16 : left;
        const int last = width == left; /* this block ends the row: it asks for the next bags' rows */
        if (width == 64)
            sum_rows_v(o, table, dim, d0, 4, idx, s, e, ahead, last, w, pad);
        else if (width == 32)
            sum_rows_v(o, table, dim, d0, 2, idx, s, e, ahead, last, w, pad);
        else if (width == 16)
            sum_rows_v(o, table, dim, d0, 1, idx, s, e, ahead, last, w, pad);
        else { /* a block of them on the stack, one pass over the rows (whole vectors and a second
                  pass for the rest was slower) */
            float acc[64];
            memcpy(acc, o + d0, width * sizeof *acc);
            for (size_t j = s; j < e; j++) {
                prefetch_bag_row(table, dim, d0, width, idx, j, e, ahead, last);
                if (idx[j] == pad) continue;
                const float *restrict row = table + (size_t)idx[j] * dim + d0;
                const float a = w ? w[j] : 1.0f;
                if (w)
                    for (size_t d = 0; d < width; d++) acc[d] += a * row[d];
                else
                    for (size_t d = 0; d < width; d++) acc[d] += row[d];
            }
            memcpy(o + d0, acc, width * sizeof *acc);
        }
        d0 += width;
    }
    return count;
}

/* dtable[idx[j],:] += (w ? w[j] : scale) * g for j in [s, e) with idx[j] != pad, and (nt > 1)
   only the rows thread t owns. A factor of exactly 1 adds g as it is. */
EDL__CLONES void edl__vec_scatter_add(float *restrict dtable, size_t dim, const int64_t *idx, size_t s, size_t e,
                                      const float *w, float scale, int64_t pad, const float *restrict g, int t,
                                      int nt) {
    for (size_t j = s; j < e; j++) {
        if (j + PREFETCH_AHEAD < e) prefetch_row(dtable + (size_t)idx[j + PREFETCH_AHEAD] * dim, dim, 1);
        if (idx[j] == pad) continue;
        size_t r = (size_t)idx[j];
        if (nt > 1 && !edl__owns(r, t, nt)) continue;
        float *restrict y = dtable + r * dim;
        const float a = w ? w[j] : scale;
        if (a == 1.0f)
            for (size_t d = 0; d < dim; d++) y[d] += g[d];
        else
            for (size_t d = 0; d < dim; d++) y[d] += a * g[d];
    }
}

/* out[k,:] = table[idx[k],:] for k < n (the indices checked by the caller), rows asked for
   PREFETCH_AHEAD ahead; a row of 32 as two vectors rather than a memcpy call. */
EDL__CLONES void edl__vec_gather_rows(float *restrict out, const float *restrict table, size_t dim, const int64_t *idx,
                                      size_t n) {
    for (size_t k = 0; k < n; k++) {
        if (k + PREFETCH_AHEAD < n) prefetch_row(table + (size_t)idx[k + PREFETCH_AHEAD] * dim, dim, 0);
        const float *restrict row = table + (size_t)idx[k] * dim;
        if (dim == 32)
            memcpy(out + k * 32, row, 32 * sizeof *row);
        else
            memcpy(out + k * dim, row, dim * sizeof *row);
    }
}

/* edl__vec_gather_dots for bpr's triples of rows of 32 (per 3, diff) in a loop of its own, which
   the compiler keeps in registers: the general loop's every-case body cost ~10 ns a triple
   in instructions, not in waiting for rows. The same products (dot_tree) and differences. With
   bias, d1[k] is the score (bias[i] - bias[j] + the products' difference) and d2 is not used. */
EDL__INLINE void gather_triples32(float *restrict out, float *restrict d1, float *restrict d2,
                                  const float *restrict table, const float *restrict bias, const int64_t *idx, size_t n,
                                  size_t k0, size_t k1) {
    for (size_t k = 0; k < n; k++) {
        if (k + PREFETCH_AHEAD < n)
            for (size_t r = 0; r < 3; r++) prefetch_span(table + (size_t)idx[(k + PREFETCH_AHEAD) * 3 + r] * 32, 32, 0);
        const float *t0 = table + (size_t)idx[3 * k] * 32, *t1 = table + (size_t)idx[3 * k + 1] * 32;
        const float *t2 = table + (size_t)idx[3 * k + 2] * 32;
        float *a = out + 3 * k * 32;
        edl__v16 x1, x2, y1, y2;
        memcpy(a, t0, 32 * sizeof *a);
        memcpy(&x1, t1, 64), memcpy(&y1, t1 + 16, 64), memcpy(&x2, t2, 64), memcpy(&y2, t2 + 16, 64);
        x1 -= x2, y1 -= y2;
        memcpy(a + 64, &x1, 64), memcpy(a + 80, &y1, 64);
        if (k < k0 || k >= k1) continue;
        const float p1 = dot_tree(t0, t1, 32), p2 = dot_tree(t0, t2, 32);
        if (bias)
            d1[k] = bias[idx[3 * k + 1]] - bias[idx[3 * k + 2]] + p1 - p2;
        else
            d1[k] = p1, d2[k] = p2;
    }
}

EDL__CLONES void edl__vec_bpr_gather32(float *restrict out, float *restrict logit, const float *restrict table,
                                       const float *restrict bias, const int64_t *idx, size_t n, size_t k0, size_t k1) {
    gather_triples32(out, logit, NULL, table, bias, idx, n, k0, k1);
}

/* The rows of n examples of per rows each (per 2 or 3): out[k per + r,:] = table[idx[k per + r],:],
   and for k in [k0, k1) the products of the example's first row with its second, d1[k], and
   third, d2[k] (per 3), as edl__vec_dot computes them: the rows read once, the rows of the
   example PREFETCH_AHEAD on asked for (on Zen 4 the rows come from L3, and 8 rows ahead had been
   too few). diff (per 3): out holds rows 0 and 1 - 2 (bpr's p_u and q_i - q_j), row 1's place
   is left as it was. */
EDL__CLONES void edl__vec_gather_dots(float *restrict out, float *restrict d1, float *restrict d2,
                                      const float *restrict table, size_t dim, const int64_t *idx, size_t n, size_t per,
                                      size_t k0, size_t k1, int diff) {
    if (per == 3 && diff && dim == 32) {
        gather_triples32(out, d1, d2, table, NULL, idx, n, k0, k1);
        return;
    }
    const int keep1 = !(per == 3 && diff); /* with diff, row 1 is not needed after: not stored */
    for (size_t k = 0; k < n; k++) {
        for (size_t r = 0; k + PREFETCH_AHEAD < n && r < per; r++) /* examples ahead: rows, per times as many */
            prefetch_row(table + (size_t)idx[(k + PREFETCH_AHEAD) * per + r] * dim, dim, 0);
        const float *t0 = table + (size_t)idx[k * per] * dim, *t1 = table + (size_t)idx[k * per + 1] * dim;
        const float *t2 = per == 3 ? table + (size_t)idx[k * per + 2] * dim : NULL;
        float *a = out + k * per * dim;
        if (dim == 32) {
            memcpy(a, t0, 32 * sizeof *a);
            if (keep1) memcpy(a + 32, t1, 32 * sizeof *a);
            if (per == 3 && !diff) memcpy(a + 64, t2, 32 * sizeof *a);
            if (k >= k0 && k < k1) d1[k] = dot_tree(t0, t1, 32);
            if (per == 3 && k >= k0 && k < k1) d2[k] = dot_tree(t0, t2, 32);
            if (per == 3 && diff)
                for (size_t j = 0; j < 32; j++) a[64 + j] = t1[j] - t2[j];
        } else {
            memcpy(a, t0, dim * sizeof *a);
            if (keep1) memcpy(a + dim, t1, dim * sizeof *a);
            if (per == 3 && !diff) memcpy(a + 2 * dim, t2, dim * sizeof *a);
            if (k >= k0 && k < k1) d1[k] = dot_tree(t0, t1, dim);
            if (per == 3 && k >= k0 && k < k1) d2[k] = dot_tree(t0, t2, dim);
            if (per == 3 && diff)
                for (size_t j = 0; j < dim; j++) a[2 * dim + j] = t1[j] - t2[j];
        }
    }
}

/* One negative-sampling step (word2vec / fastText): grad += alpha row, row += alpha hidden, in
   one pass over row (the update reads row before changing it, as the two-step form does). */
EDL__CLONES void edl__vec_ns_step(float *restrict grad, float *restrict row, const float *restrict hidden, float alpha,
                                  size_t n) {
    for (size_t i = 0; i < n; i++) {
        float r = row[i];
        grad[i] += alpha * r;
        row[i] = r + alpha * hidden[i];
    }
}

/* ---- a window of word vectors as one small matrix product (HogBatch) ----------------------
   A (m rows: a window's context words) against B (n rows: a target and its negatives, shared by
   the window), m <= 2 x the window, n <= 64, rows of len floats; rows are pointers into tables.
   Written as plain 16-lane vector loops the compiler keeps in registers: two rows of A against
   four of B in the scores (eight accumulators), one lane block at a time in the steps. */

static inline float hsum16(const edl__v16 *acc) {
    edl__v8 lo, hi;
    memcpy(&lo, acc, sizeof lo), memcpy(&hi, (const char *)acc + sizeof lo, sizeof hi);
    edl__v8 s8 = lo + hi;
    edl__v4 l4, h4;
    memcpy(&l4, &s8, sizeof l4), memcpy(&h4, (const char *)&s8 + sizeof l4, sizeof h4);
    edl__v4 s4 = l4 + h4;
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

/* s[i * n + k] = a[i] . b[k] over len floats (i < m, k < n). A block short of two rows of A or
   four of B repeats its last row and keeps only the real scores. */
EDL__CLONES void edl__vec_block_dots(float *restrict s, const float *const *a, size_t m, const float *const *b,
                                     size_t n, size_t len) {
    for (size_t i = 0; i < m; i += 2) {
        const float *x0 = a[i], *x1 = a[i + 1 < m ? i + 1 : i];
        for (size_t k = 0; k < n; k += 4) {
            const float *y[4];
            for (size_t j = 0; j < 4; j++) y[j] = b[k + j < n ? k + j : n - 1];
            edl__v16 c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0}, c10 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
            size_t d = 0;
            for (; d + 16 <= len; d += 16) {
                edl__v16 u0, u1, v;
                memcpy(&u0, x0 + d, sizeof u0), memcpy(&u1, x1 + d, sizeof u1);
                memcpy(&v, y[0] + d, sizeof v), c00 += u0 * v, c10 += u1 * v;
                memcpy(&v, y[1] + d, sizeof v), c01 += u0 * v, c11 += u1 * v;
                memcpy(&v, y[2] + d, sizeof v), c02 += u0 * v, c12 += u1 * v;
                memcpy(&v, y[3] + d, sizeof v), c03 += u0 * v, c13 += u1 * v;
            }
            float r[2][4] = {{hsum16(&c00), hsum16(&c01), hsum16(&c02), hsum16(&c03)},
                             {hsum16(&c10), hsum16(&c11), hsum16(&c12), hsum16(&c13)}};
            for (; d < len; d++)
                for (size_t j = 0; j < 4; j++) r[0][j] += x0[d] * y[j][d], r[1][j] += x1[d] * y[j][d];
            for (size_t ii = 0; ii < 2 && i + ii < m; ii++)
                for (size_t j = 0; j < 4 && k + j < n; j++) s[(i + ii) * n + k + j] = r[ii][j];
        }
    }
}

/* The backward of s = A B^T with SGD's step on B, g (m x n) the steps on s:
   ga[i] = sum_k g[i * n + k] b[k] (rows of ga ldga apart, overwritten), then
   b[k] += sum_i g[i * n + k] a[i], every ga from B as it was. A row of B named twice (a negative
   drawn twice) takes both steps: each adds to the row as it is then. ga's rows are not A's or B's. */
EDL__CLONES void edl__vec_block_steps(float *restrict ga, size_t ldga, const float *restrict g, const float *const *a,
                                      size_t m, float *const *b, size_t n, size_t len) {
    const size_t full = len / 16 * 16;
    /* ga = G B: four rows of ga at a time (a block short of four repeats its last row) */
    for (size_t i = 0; i < m; i += 4) {
        size_t r[4];
        for (size_t j = 0; j < 4; j++) r[j] = i + j < m ? i + j : m - 1;
        const float *g0 = g + r[0] * n, *g1 = g + r[1] * n, *g2 = g + r[2] * n, *g3 = g + r[3] * n;
        for (size_t d = 0; d < full; d += 16) {
            edl__v16 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, v;
            for (size_t k = 0; k < n; k++) {
                memcpy(&v, b[k] + d, sizeof v);
                c0 += g0[k] * v, c1 += g1[k] * v, c2 += g2[k] * v, c3 += g3[k] * v;
            }
            const edl__v16 c[4] = {c0, c1, c2, c3};
            for (size_t j = 0; j < 4 && i + j < m; j++) memcpy(ga + (i + j) * ldga + d, &c[j], sizeof c[j]);
        }
        for (size_t d = full; d < len; d++)
            for (size_t j = 0; j < 4 && i + j < m; j++) {
                float acc = 0.0f;
                for (size_t k = 0; k < n; k++) acc += g[(i + j) * n + k] * b[k][d];
                ga[(i + j) * ldga + d] = acc;
            }
    }
    /* then B += G^T A, four rows of B at a time, each added to the row as it is then */
    for (size_t k = 0; k < n; k += 4) {
        size_t kk[4];
        for (size_t j = 0; j < 4; j++) kk[j] = k + j < n ? k + j : n - 1;
        for (size_t d = 0; d < full; d += 16) {
            edl__v16 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, u;
            for (size_t i = 0; i < m; i++) {
                const float *gi = g + i * n;
                memcpy(&u, a[i] + d, sizeof u);
                c0 += gi[kk[0]] * u, c1 += gi[kk[1]] * u, c2 += gi[kk[2]] * u, c3 += gi[kk[3]] * u;
            }
            const edl__v16 c[4] = {c0, c1, c2, c3};
            for (size_t j = 0; j < 4 && k + j < n; j++) {
                edl__v16 v;
                memcpy(&v, b[k + j] + d, sizeof v);
                v += c[j];
                memcpy(b[k + j] + d, &v, sizeof v);
            }
        }
        for (size_t d = full; d < len; d++)
            for (size_t j = 0; j < 4 && k + j < n; j++) {
                float acc = 0.0f;
                for (size_t i = 0; i < m; i++) acc += g[i * n + k + j] * a[i][d];
                b[k + j][d] += acc;
            }
    }
}

/* y[i] = 1 / (1 + exp(-x[i])) over n floats, 16 lanes at a time (a short tail through a padded
   block): exp by Cody-Waite reduction to r in [-ln2/2, ln2/2] and Cephes' degree-7 polynomial
   (relative error ~1e-7), scaled by 2^k built in the exponent bits. -x is clamped to [-87, 87], so
   y is 0 or 1 only where float's own logistic is too; NaN stays NaN. The same operations in the
   same order on every ISA: the clones agree to the bit. */
typedef int32_t edl__i16 __attribute__((vector_size(64)));

/* v = mask ? a : b, lane by lane (mask lanes all ones or zeros) */
#define SELECT16(v, mask, a, b)                                       \
    do {                                                              \
        edl__i16 ia_, ib_, r_;                                        \
        edl__v16 a_ = (a), b_ = (b);                                  \
        memcpy(&ia_, &a_, sizeof ia_), memcpy(&ib_, &b_, sizeof ib_); \
        r_ = ((mask)&ia_) | (~(mask)&ib_);                            \
        memcpy(&(v), &r_, sizeof(v));                                 \
    } while (0)

/* y[0..16) from x[0..16) */
static inline void logistic16(float *y, const float *x) {
    const edl__v16 zero = {0};
    const edl__v16 hi = zero + 87.0f, lo = zero - 87.0f, one = zero + 1.0f, half = zero + 0.5f;
    edl__v16 v;
    memcpy(&v, x, sizeof v);
    v = -v;
    SELECT16(v, v > hi, hi, v);
    SELECT16(v, v < lo, lo, v);
    edl__v16 t = v * 1.44269504088896341f + half;
    SELECT16(t, t == t, t, zero); /* a NaN lane converts 0 (a NaN to int is undefined); r keeps its NaN */
    edl__i16 ki = __builtin_convertvector(t, edl__i16); /* toward zero: one too many below zero */
    edl__v16 kf = __builtin_convertvector(ki, edl__v16);
    ki += kf > t; /* a true lane is -1: floor */
    kf = __builtin_convertvector(ki, edl__v16);
    edl__v16 r = v - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    edl__v16 p = r * 1.9875691500e-4f + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + one;
    edl__i16 bits = (ki + 127) << 23;
    edl__v16 scale;
    memcpy(&scale, &bits, sizeof scale);
    v = one / (one + p * scale);
    memcpy(y, &v, sizeof v);
}

/* y may be x (in place): each block of 16 is read whole before it is written */
EDL__CLONES void edl__vec_logistic(float *y, const float *x, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) logistic16(y + i, x + i);
    if (i < n) {
        float block[16] = {0};
        memcpy(block, x + i, (n - i) * sizeof *block);
        logistic16(block, block);
        memcpy(y + i, block, (n - i) * sizeof *block);
    }
}

void edl__vec_logistic_naive(float *y, const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
}

/* The naive references of the two: one pair at a time, in the obvious order. */
void edl__vec_block_dots_naive(float *s, const float *const *a, size_t m, const float *const *b, size_t n, size_t len) {
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < n; k++) {
            float acc = 0.0f;
            for (size_t d = 0; d < len; d++) acc += a[i][d] * b[k][d];
            s[i * n + k] = acc;
        }
}

void edl__vec_block_steps_naive(float *ga, size_t ldga, const float *g, const float *const *a, size_t m,
                                float *const *b, size_t n, size_t len) {
    for (size_t i = 0; i < m; i++)
        for (size_t d = 0; d < len; d++) {
            float acc = 0.0f;
            for (size_t k = 0; k < n; k++) acc += g[i * n + k] * b[k][d];
            ga[i * ldga + d] = acc;
        }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < m; i++)
            for (size_t d = 0; d < len; d++) b[k][d] += g[i * n + k] * a[i][d];
}

/* Whether any idx[i], read as unsigned, is >= limit (so negatives count too). Branch-free so it
   vectorises: the cheap first pass of every index check. */
EDL__CLONES bool edl__vec_any_ge(const int64_t *idx, size_t n, uint64_t limit) {
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) bad |= (uint64_t)idx[i] >= limit;
    return bad != 0;
}

/* True when no value is NaN or infinite: 0 * x is NaN exactly for those, and NaN survives the
   sum. Branch-free, so it vectorises. */
EDL__CLONES bool edl__vec_all_finite(const float *x, size_t n) {
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) acc[j] += 0.0f * x[i + j];
    for (; i < n; i++) acc[0] += 0.0f * x[i];
    float s = 0.0f;
    for (int j = 0; j < 16; j++) s += acc[j];
    return s == 0.0f;
}

/* ---- optimizer updates: torch.optim's rules, one pass over p, g and the state ------------- */

/* 1 when x is NaN or infinite: its exponent bits are all ones. Integer bits OR together in any
   order, so the loops that collect them still vectorise (a float sum would not). */
static inline unsigned nonfinite(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x7f800000u) == 0x7f800000u;
}
/* Each also zeroes g as it goes (the gradient is in cache then, and a step ends with zero
   gradients anyway) and returns whether every updated parameter is finite. */

/* The rules' loops, shared by the one-run updates below and edl__vec_update_rows (always
   inlined, so each clone and each fixed width gets its own vector code; the same operations in
   the same order, so the same bits). zero: clear g after use and return the nonfinite bits
   (edl__vec_update_rows checks its rows itself, a batch at a time). */

EDL__INLINE unsigned sgd_run(float *restrict p, float *restrict g, float *restrict buf, size_t n,
                             const edl__opt_coef *c, int zero) {
    const float lr = c->lr, wd = c->wd, mom = c->momentum, damp = c->damp;
    unsigned bad = 0;
    if (mom == 0.0f) {
        for (size_t i = 0; i < n; i++) {
            p[i] = edl__rule_sgd(p[i], g[i], lr, wd);
            if (zero) g[i] = 0.0f;
            if (zero) bad |= nonfinite(p[i]);
        }
        return bad;
    }
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + wd * p[i];
        float b = c->first ? d : mom * buf[i] + damp * d;
        buf[i] = b;
        p[i] -= lr * (c->nesterov ? d + mom * b : b);
        if (zero) g[i] = 0.0f;
        if (zero) bad |= nonfinite(p[i]);
    }
    return bad;
}

EDL__INLINE unsigned adagrad_run(float *restrict p, float *restrict g, float *restrict sum, size_t n,
                                 const edl__opt_coef *c, int zero) {
    const float lr = c->lr, wd = c->wd, eps = c->eps;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        p[i] = edl__rule_adagrad(p[i], g[i], &sum[i], lr, wd, eps);
        if (zero) g[i] = 0.0f;
        if (zero) bad |= nonfinite(p[i]);
    }
    return bad;
}

EDL__INLINE unsigned sparse_adam_run(float *restrict p, float *restrict g, float *restrict m1, float *restrict m2,
                                     size_t n, const edl__opt_coef *c, int zero) {
    unsigned bad = 0;
    const float k1 = c->k1, k2 = c->k2, wd = c->wd, decay = c->decay, step = c->step, eps = c->eps;
    for (size_t i = 0; i < n; i++) {
        p[i] = edl__rule_sparse_adam(p[i], g[i], &m1[i], &m2[i], k1, k2, wd, decay, step, eps);
        if (zero) g[i] = 0.0f;
        if (zero) bad |= nonfinite(p[i]);
    }
    return bad;
}

EDL__CLONES bool edl__vec_sgd(float *restrict p, float *restrict g, float *restrict buf, size_t n,
                              const edl__opt_coef *c) {
    return sgd_run(p, g, buf, n, c, 1) == 0;
}

EDL__CLONES bool edl__vec_adagrad(float *restrict p, float *restrict g, float *restrict sum, size_t n,
                                  const edl__opt_coef *c) {
    return adagrad_run(p, g, sum, n, c, 1) == 0;
}

/* x / b, correctly rounded, for b known in advance and rb = 1 / b rounded: the product x rb is
   within an ulp or so of the quotient, the remainder x - q b is exact with a fused multiply-add,
   and one correction with it gives the rounded quotient (Markstein's theorem; one multiplication
   and two FMAs instead of a division: Brisebarre, Muller and Raina, IEEE TC 53(8), 2004). The
   same bits as x / b where no step underflows or overflows, which div_known_ok's range of b
   ensures for every x >= 0 from 2^-75 up (a square root of a float's, or 0); an infinite x
   keeps its product's infinity, whose remainder is NaN. test_optim checks every significand of x
   in its extreme and middle binades against the division, for Adam's b at many steps. On
   Zen 4 a 16-lane division holds the divider 5 cycles, these three take 3 of the FMA units'. */
EDL__INLINE float div_known(float x, float b, float rb) {
    const float q = x * rb, r = fmaf(-q, b, x), c = fmaf(r, rb, q);
    return c == c ? c : q;
}

/* Whether div_known may replace x / b here: the CPU's clone has FMA, and b is in the range the
   theorem's conditions hold for every x above. */
static int div_known_ok(float b) { return EDL__FMA_INLINE() && b >= 0x1p-20f && b <= 1.0f; }

/* torch.optim.Adam (wd as L2) and AdamW (decay != 1, decoupled): p -= step m / (sqrt(v) / sbc2 +
   eps), the division by sbc2 through div_known where div_known_ok(sbc2) (known: a constant at
   each call, so each form is its own loop). plain (adam_plain: no decay of either kind, PyTorch's
   default) leaves out g + 0 p and p 1, as PyTorch does: two multiplications and an addition of
   the ~15 operations the FMA units spend on 16 values, which had bound the loop more than its
   square root and division. */
EDL__INLINE unsigned adam_run(float *restrict p, float *restrict g, float *restrict m1, float *restrict m2, size_t n,
                              const edl__opt_coef *c, int zero, int known, int plain) {
    unsigned bad = 0;
    const float b1 = c->b1, b2 = c->b2, k1 = c->k1, k2 = c->k2, wd = c->wd, decay = c->decay;
    const float step = c->step, sbc2 = c->sbc2, rb = known ? 1.0f / sbc2 : 0.0f, eps = c->eps;
    for (size_t i = 0; i < n; i++) {
        float d = plain ? g[i] : g[i] + wd * p[i];
        float pi = plain ? p[i] : p[i] * decay;
        float a = m1[i] * b1 + d * k1, v = m2[i] * b2 + d * d * k2;
        m1[i] = a, m2[i] = v;
        const float s = sqrtf(v);
        p[i] = pi - step * (a / ((known ? div_known(s, sbc2, rb) : s / sbc2) + eps));
        if (zero) g[i] = 0.0f;
        if (zero) bad |= nonfinite(p[i]);
    }
    return bad;
}

/* Adam without weight decay of either kind: p's new value needs neither g + wd p nor p decay. */
EDL__INLINE int adam_plain(const edl__opt_coef *c) { return c->wd == 0.0f && c->decay == 1.0f; }

EDL__CLONES_FMA bool edl__vec_adam(float *restrict p, float *restrict g, float *restrict m1, float *restrict m2,
                                   size_t n, const edl__opt_coef *c) {
    unsigned bad;
    if (div_known_ok(c->sbc2))
        bad = adam_plain(c) ? adam_run(p, g, m1, m2, n, c, 1, 1, 1) : adam_run(p, g, m1, m2, n, c, 1, 1, 0);
    else
        bad = adam_plain(c) ? adam_run(p, g, m1, m2, n, c, 1, 0, 1) : adam_run(p, g, m1, m2, n, c, 1, 0, 0);
    return bad == 0;
}

EDL__CLONES_FMA void edl__vec_div_known(float *restrict q, const float *restrict x, size_t n, float b) {
    if (!div_known_ok(b)) {
        for (size_t i = 0; i < n; i++) q[i] = x[i] / b;
        return;
    }
    const float rb = 1.0f / b;
    for (size_t i = 0; i < n; i++) q[i] = div_known(x[i], b, rb);
}

/* torch.optim.SparseAdam's rule (its eps is not scaled by the bias correction). */
EDL__CLONES bool edl__vec_sparse_adam(float *restrict p, float *restrict g, float *restrict m1, float *restrict m2,
                                      size_t n, const edl__opt_coef *c) {
    return sparse_adam_run(p, g, m1, m2, n, c, 1) == 0;
}

/* Whether p[0 .. w) holds a NaN or an infinity, into 16 float lanes: *z += p 0, which is NaN in a
   lane from the first infinity or NaN on and a signed zero otherwise. A multiply and an add a 16
   values, where the exponent bits' and, compare, mask move and or had been four operations, which
   the Adam update (bound by its operations in flight, not by its divider) paid for:
   bench_bag_update's fused update 196 -> 186 us with div_known. The add is the only chain from
   row to row; one reduction a batch. */
typedef float edl__f16 __attribute__((vector_size(64)));

EDL__INLINE void nan_lanes(const float *p, size_t w, edl__f16 *z) {
    size_t b = 0;
    for (; b + 16 <= w; b += 16) {
        edl__f16 v;
        memcpy(&v, p + b, sizeof v);
        *z += v * 0.0f;
    }
    for (; b < w; b++) (*z)[0] += p[b] * 0.0f;
}

/* Whether no lane is NaN. */
EDL__INLINE bool lanes_finite(const edl__f16 *z) {
    float any = 0.0f;
    for (int l = 0; l < 16; l++) any += (*z)[l];
    return any == any;
}

/* One chunk of w <= 64 values of a row: the gradient s x built in registers, then the rule,
   then the new values' check into *bad. */
EDL__INLINE void update_chunk(int rule, const edl__opt_coef *c, float *p, float *s1, float *s2, float s,
                              const float *restrict x, size_t w, edl__f16 *bad) {
    float g[64];
    for (size_t j = 0; j < w; j++) g[j] = s * x[j];
    switch (rule) {
    case 0: sgd_run(p, g, s1, w, c, 0); break;
    case 1: adagrad_run(p, g, s1, w, c, 0); break;
    default: sparse_adam_run(p, g, s1, s2, w, c, 0); break;
    }
    nan_lanes(p, w, bad);
}

EDL__INLINE void prefetch_write(const float *row, size_t dim) {
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(row, 1, 3);
    __builtin_prefetch(row + dim - 1, 1, 3); /* a row of 128 bytes off a line's start spans three */
    for (size_t d = 16; d + 1 < dim; d += 16) __builtin_prefetch(row + d, 1, 3);
#else
    (void)row, (void)dim;
#endif
}

/* One plain SGD step of a row of 32 in registers: p -= lr (s x + wd p) (edl__rule_sgd on the
   gradient s x), its check into *lanes before it is stored. */
EDL__INLINE void sgd_row32(float *pr, float s, const float *x, float lr, float wd, edl__f16 *lanes) {
    edl__f16 p0, p1, x0, x1;
    memcpy(&p0, pr, 64), memcpy(&p1, pr + 16, 64), memcpy(&x0, x, 64), memcpy(&x1, x + 16, 64);
    p0 = p0 - lr * (s * x0 + wd * p0), p1 = p1 - lr * (s * x1 + wd * p1);
    memcpy(pr, &p0, 64), memcpy(pr + 16, &p1, 64);
    *lanes += p0 * 0.0f + p1 * 0.0f; /* one add from row to row */
}

/* edl__vec_update_rows for plain SGD on rows of 32 (bpr's and mf's default width), in a loop of
   its own. Inside the general loop's every-rule body the compiler kept the loop's counters on
   the stack and read each row back for its check: ~60 instructions a row, and the loop was
   bound by them (bpr's batches in isolation: 18.4 -> 9.9 ns a triple). */
EDL__INLINE bool sgd_rows32(const edl__opt_coef *c, float *p, const int64_t *rows, size_t n, const float *scale,
                            const float *const *x) {
    const float lr = c->lr, wd = c->wd;
    edl__f16 lanes = {0};
    for (size_t m = 0; m < n; m++) {
        if (m + PREFETCH_AHEAD < n) prefetch_span(p + (size_t)rows[m + PREFETCH_AHEAD] * 32, 32, 1);
        sgd_row32(p + (size_t)rows[m] * 32, scale[m], x[m], lr, wd, &lanes);
    }
    return lanes_finite(&lanes);
}

EDL__CLONES bool edl__vec_bpr_sgd32(const edl__opt_coef *c, const edl__opt_coef *cb, float *table, float *bias,
                                    const int64_t *idx, const float *g, const float *rows, size_t n) {
    const float lr = c->lr, wd = c->wd, blr = cb->lr, bwd = cb->wd;
    enum { AHEAD = 3 }; /* triples: the rows' prefetch distance of edl__vec_update_rows */
    edl__f16 lanes = {0};
    unsigned bad = 0;
    for (size_t k = 0; k < n; k++) {
        if (k + AHEAD < n)
            for (size_t r = 0; r < 3; r++) prefetch_span(table + (size_t)idx[3 * (k + AHEAD) + r] * 32, 32, 1);
        const float gk = g[k];
        const size_t u = (size_t)idx[3 * k], i = (size_t)idx[3 * k + 1], j = (size_t)idx[3 * k + 2];
        bias[i] = edl__rule_sgd(bias[i], gk, blr, bwd), bad |= nonfinite(bias[i]);
        bias[j] = edl__rule_sgd(bias[j], -gk, blr, bwd), bad |= nonfinite(bias[j]);
        const float *pu = rows + 3 * k * 32, *diff = pu + 64;
        sgd_row32(table + u * 32, gk, diff, lr, wd, &lanes);
        sgd_row32(table + i * 32, gk, pu, lr, wd, &lanes);
        sgd_row32(table + j * 32, -gk, pu, lr, wd, &lanes);
    }
    return bad == 0 && lanes_finite(&lanes);
}

/* edl__vec_update_rows for SparseAdam's rule on rows of 32 (mf's default), in a loop of its own as
   sgd_rows32, each value checked as it is made. */
EDL__INLINE bool lazy_adam_rows32(const edl__opt_coef *c, float *p, float *s1, float *s2, const int64_t *rows, size_t n,
                                  const float *scale, const float *const *x) {
    const float k1 = c->k1, k2 = c->k2, wd = c->wd, decay = c->decay, step = c->step, eps = c->eps;
    unsigned bad = 0;
    for (size_t m = 0; m < n; m++) {
        if (m + PREFETCH_AHEAD < n) {
            const size_t ahead = (size_t)rows[m + PREFETCH_AHEAD] * 32;
            prefetch_span(p + ahead, 32, 1), prefetch_span(s1 + ahead, 32, 1), prefetch_span(s2 + ahead, 32, 1);
        }
        const size_t off = (size_t)rows[m] * 32;
        float *restrict pr = p + off, *restrict r1 = s1 + off, *restrict r2 = s2 + off;
        const float s = scale[m], *restrict xm = x[m];
        for (size_t j = 0; j < 32; j++) {
            const float v = edl__rule_sparse_adam(pr[j], s * xm[j], &r1[j], &r2[j], k1, k2, wd, decay, step, eps);
            pr[j] = v, bad |= nonfinite(v);
        }
    }
    return bad == 0;
}

/* Row updates of a batch, in order: for m < n, the gradient scale[m] * x[m][0..dim) applied to
   row rows[m] of p (state s1, s2 beside it, at the same offsets) by the rule of kind: SGD,
   Adagrad, or Adam as SparseAdam's lazy rule (the recommenders' rules). The same values as one
   edl__vec_sgd / _adagrad / _sparse_adam call a row on a gradient s x, without the calls and with
   the rows of later updates prefetched. */
EDL__CLONES bool edl__vec_update_rows(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2,
                                      size_t dim, const int64_t *rows, size_t n, const float *scale,
                                      const float *const *x) {
    const int rule = kind == EDL_OPT_SGD ? 0 : kind == EDL_OPT_ADAGRAD || kind == EDL_OPT_ROWWISE_ADAGRAD ? 1 : 2;
    const int state1 = rule > 0 || c->momentum != 0.0f, state2 = rule == 2;
    if (rule == 0 && !state1 && dim == 32) return sgd_rows32(c, p, rows, n, scale, x);
    if (rule == 2 && dim == 32) return lazy_adam_rows32(c, p, s1, s2, rows, n, scale, x);
    edl__f16 lanes = {0};
    for (size_t m = 0; m < n; m++) {
        if (m + PREFETCH_AHEAD < n) {
            size_t ahead = (size_t)rows[m + PREFETCH_AHEAD] * dim;
            prefetch_write(p + ahead, dim);
            if (state1) prefetch_write(s1 + ahead, dim);
            if (state2) prefetch_write(s2 + ahead, dim);
        }
        const size_t off = (size_t)rows[m] * dim;
        float *pr = p + off, *r1 = state1 ? s1 + off : NULL, *r2 = state2 ? s2 + off : NULL;
        if (dim == 32) { /* the common width: every loop unrolled into two 16-lane vectors */
            if (rule == 0)
                update_chunk(0, c, pr, r1, r2, scale[m], x[m], 32, &lanes);
            else if (rule == 1)
                update_chunk(1, c, pr, r1, r2, scale[m], x[m], 32, &lanes);
            else
                update_chunk(2, c, pr, r1, r2, scale[m], x[m], 32, &lanes);
            continue;
        }
        for (size_t j = 0; j < dim; j += 64) {
            size_t w = dim - j < 64 ? dim - j : 64;
            update_chunk(rule, c, pr + j, r1 ? r1 + j : NULL, r2 ? r2 + j : NULL, scale[m], x[m] + j, w, &lanes);
        }
    }
    return lanes_finite(&lanes);
}

/* ---- a bag's table gradient held as rows -> occurrences (edl__bag_row_index) ----------- */

/* acc[0 .. w) += occ[k].factor * dout[occ[k].bag dim + j + d] for k in [k0, k1), one row's
   occurrences: the additions edl__vec_scatter_add makes to that row's columns j .. j + w, in its
   order (a factor of exactly 1 adds the value as it is, as there). */
EDL__INLINE void occurrence_sum(float *restrict acc, size_t w, uint32_t k0, uint32_t k1, const edl__bag_occ *occ,
                                const float *restrict dout, size_t dim, size_t j) {
    for (uint32_t k = k0; k < k1; k++) {
        const float *restrict x = dout + (size_t)occ[k].bag * dim + j;
        const float a = occ[k].factor;
        if (a == 1.0f)
            for (size_t d = 0; d < w; d++) acc[d] += x[d];
        else
            for (size_t d = 0; d < w; d++) acc[d] += a * x[d];
    }
}

EDL__CLONES void edl__vec_bag_rows_add(float *dtable, size_t dim, size_t r0, size_t r1, const uint32_t *start,
                                       const edl__bag_occ *occ, const float *dout) {
    for (size_t r = r0; r < r1; r++) {
        if (start[r] == start[r + 1]) continue;
        float *y = dtable + r * dim;
        for (size_t j = 0; j < dim; j += 64) {
            const size_t w = dim - j < 64 ? dim - j : 64;
            float acc[64];
            memcpy(acc, y + j, w * sizeof *acc);
            if (w == 64)
                occurrence_sum(acc, 64, start[r], start[r + 1], occ, dout, dim, j);
            else
                occurrence_sum(acc, w, start[r], start[r + 1], occ, dout, dim, j);
            memcpy(y + j, acc, w * sizeof *acc);
        }
    }
}

/* The dense rules on w values from the gradient g, without zeroing g; the new values' check into
   lanes. rule 3 is Adam with div_known. */
EDL__INLINE void dense_chunk(int rule, const edl__opt_coef *c, float *p, float *g, float *s1, float *s2, size_t w,
                             edl__f16 *lanes) {
    switch (rule) {
    case 0: sgd_run(p, g, s1, w, c, 0); break;
    case 1: adagrad_run(p, g, s1, w, c, 0); break;
    case 2: adam_plain(c) ? adam_run(p, g, s1, s2, w, c, 0, 0, 1) : adam_run(p, g, s1, s2, w, c, 0, 0, 0); break;
    default: adam_plain(c) ? adam_run(p, g, s1, s2, w, c, 0, 1, 1) : adam_run(p, g, s1, s2, w, c, 0, 1, 0); break;
    }
    nan_lanes(p, w, lanes);
}

/* Adam's rule (with div_known) on 16 values in registers, from their gradient g: adam_run's
   arithmetic lane for lane (the same operations in the same order); the new values' check into
   *chk before they are stored. */
EDL__INLINE void adam_v16(const edl__opt_coef *c, float rb, int plain, float *restrict p, float *restrict m1,
                          float *restrict m2, const edl__v16 *g, edl__v16 *chk) {
    const float b1 = c->b1, b2 = c->b2, k1 = c->k1, k2 = c->k2, wd = c->wd, decay = c->decay;
    const float step = c->step, sbc2 = c->sbc2, eps = c->eps;
    edl__v16 pv, a, v, den;
    memcpy(&pv, p, 64), memcpy(&a, m1, 64), memcpy(&v, m2, 64);
    const edl__v16 d = plain ? *g : *g + wd * pv, pi = plain ? pv : pv * decay;
    a = a * b1 + d * k1, v = v * b2 + d * d * k2;
    memcpy(m1, &a, 64), memcpy(m2, &v, 64);
    for (int l = 0; l < 16; l++) den[l] = div_known(sqrtf(v[l]), sbc2, rb) + eps;
    pv = pi - step * (a / den);
    memcpy(p, &pv, 64);
    *chk += pv * 0.0f;
}

/* A row of 64 by Adam (with div_known) from its held gradient: the sums in four 16-lane vectors,
   then adam_v16 on each. In the general loop the row went through the stack twice and was read
   back for its check. */
EDL__INLINE void adam_row64(const edl__opt_coef *c, float rb, int plain, float *restrict p, float *restrict m1,
                            float *restrict m2, uint32_t k0, uint32_t k1, const edl__bag_occ *occ,
                            const float *restrict dout, size_t dim, edl__f16 *lanes) {
    edl__v16 g0 = {0}, g1 = {0}, g2 = {0}, g3 = {0}, x0, x1, x2, x3, chk = {0};
    for (uint32_t k = k0; k < k1; k++) {
        const float *x = dout + (size_t)occ[k].bag * dim, f = occ[k].factor;
        memcpy(&x0, x, 64), memcpy(&x1, x + 16, 64), memcpy(&x2, x + 32, 64), memcpy(&x3, x + 48, 64);
        if (f == 1.0f)
            g0 += x0, g1 += x1, g2 += x2, g3 += x3;
        else
            g0 += f * x0, g1 += f * x1, g2 += f * x2, g3 += f * x3;
    }
    adam_v16(c, rb, plain, p, m1, m2, &g0, &chk), adam_v16(c, rb, plain, p + 16, m1 + 16, m2 + 16, &g1, &chk);
    adam_v16(c, rb, plain, p + 32, m1 + 32, m2 + 32, &g2, &chk);
    adam_v16(c, rb, plain, p + 48, m1 + 48, m2 + 48, &g3, &chk);
    *lanes += chk;
}

/* Each row's gradient summed in a 64-float block from its occurrences (zero for a row with
   none), then the rule on that block: the table's gradient is never stored, and p, s1, s2 are
   read and written once, in order (the hardware's prefetcher follows them). */
EDL__CLONES_FMA bool edl__vec_update_bag_rows(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2,
                                              size_t dim, size_t r0, size_t r1, const uint32_t *start,
                                              const edl__bag_occ *occ, const float *dout) {
    const int rule = kind == EDL_OPT_SGD                                          ? 0
                     : kind == EDL_OPT_ADAGRAD || kind == EDL_OPT_ROWWISE_ADAGRAD ? 1
                     : div_known_ok(c->sbc2)                                      ? 3
                                                                                  : 2;
    const float rb = rule == 3 ? 1.0f / c->sbc2 : 0.0f;
    edl__f16 lanes = {0};
    for (size_t r = r0; r < r1; r++) {
        const size_t off = r * dim;
        float *pr = p + off, *r1p = s1 ? s1 + off : NULL, *r2p = s2 ? s2 + off : NULL;
        for (size_t j = 0; j < dim; j += 64) {
            const size_t w = dim - j < 64 ? dim - j : 64;
            float g[64];
            if (w == 64 && rule == 3 && s1 && s2) {
                if (adam_plain(c)) /* (each form its own code, as adam_run's callers) */
                    adam_row64(c, rb, 1, pr + j, r1p + j, r2p + j, start[r], start[r + 1], occ, dout + j, dim, &lanes);
                else
                    adam_row64(c, rb, 0, pr + j, r1p + j, r2p + j, start[r], start[r + 1], occ, dout + j, dim, &lanes);
            } else if (w == 64) {
                memset(g, 0, sizeof g);
                occurrence_sum(g, 64, start[r], start[r + 1], occ, dout, dim, j);
                dense_chunk(rule, c, pr + j, g, r1p ? r1p + j : NULL, r2p ? r2p + j : NULL, 64, &lanes);
            } else {
                memset(g, 0, w * sizeof *g);
                occurrence_sum(g, w, start[r], start[r + 1], occ, dout, dim, j);
                dense_chunk(rule, c, pr + j, g, r1p ? r1p + j : NULL, r2p ? r2p + j : NULL, w, &lanes);
            }
        }
    }
    return lanes_finite(&lanes);
}

/* ---- the log-sigmoid loss (bpr) ------------------------------------------------------------ */

/* exp(y) for y in [-87, 0]: y = k ln2 + r (ln2 in two parts, k rounded by the 1.5 2^23 trick),
   e^r by its Taylor polynomial to r^7 on |r| <= ln2 / 2 (relative error < 2e-7), 2^k by the
   exponent bits. Plain operations only, so it vectorises and every clone rounds the same. */
EDL__INLINE float exp_neg(float y) {
    y = y < -87.0f ? -87.0f : y;
    const float kf = (y * 1.44269504f + 12582912.0f) - 12582912.0f;
    const float r = (y - kf * 0.693145752f) - kf * 1.42860677e-6f;
    float e = 1.0f / 5040.0f;
    e = e * r + 1.0f / 720.0f, e = e * r + 1.0f / 120.0f, e = e * r + 1.0f / 24.0f, e = e * r + 1.0f / 6.0f;
    e = e * r + 0.5f, e = e * r + 1.0f, e = e * r + 1.0f;
    const float kc = kf == kf ? kf : 0.0f; /* NaN: 2^0 (a NaN to int is undefined); e keeps its NaN */
    int32_t bits = ((int32_t)kc + 127) * (1 << 23);
    float two_k;
    memcpy(&two_k, &bits, sizeof two_k);
    return e * two_k;
}

/* y[i] = exp(y[i]) for y[i] <= 0 (a softmax's logits less their row's largest), by exp_neg,
   and 0 below -87 (what is lost is under 2^-125 of a row's sum, and a logit of -inf gives
   exactly 0). The caller puts many rows in one call: a row of 10 is too short for the vectors. */
EDL__CLONES void edl__vec_exp_nonpos(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const float v = y[i];
        y[i] = v < -87.0f ? 0.0f : exp_neg(v); /* NaN: exp_neg's NaN */
    }
}

/* Its reference: libm's exp in double, rounded. */
void edl__vec_exp_nonpos_naive(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)exp((double)y[i]);
}

/* log(1 + t) for t in [0, 1]: 2 atanh(s), s = t / (2 + t) in [0, 1/3], by its series to s^15
   (relative error < 3e-8 before rounding). */
EDL__INLINE float log1p_unit(float t) {
    const float sv = t / (2.0f + t), s2 = sv * sv;
    float q = 1.0f / 15.0f;
    q = q * s2 + 1.0f / 13.0f, q = q * s2 + 1.0f / 11.0f, q = q * s2 + 1.0f / 9.0f, q = q * s2 + 1.0f / 7.0f;
    q = q * s2 + 1.0f / 5.0f, q = q * s2 + 1.0f / 3.0f, q = q * s2 + 1.0f;
    return 2.0f * sv * q;
}

/* g[k] = sigmoid(x[k]) - 1, the derivative of -log sigmoid(x[k]); returns the sum of
   -log sigmoid(x[k]) = max(-x, 0) + log(1 + e^-|x|), in sixteen float lanes then a double. Both
   from t = e^-|x| in (0, 1], finite for any finite x. */
EDL__CLONES double edl__vec_logsig(float *restrict g, const float *restrict x, size_t n) {
    float lane[16] = {0};
    size_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (size_t l = 0; l < 16; l++) {
            const float v = x[k + l], a = v < 0.0f ? -v : v, t = exp_neg(-a);
            g[k + l] = -(v < 0.0f ? 1.0f : t) / (1.0f + t); /* -sigmoid(-x) */
            lane[l] += (v < 0.0f ? a : 0.0f) + log1p_unit(t);
        }
    double total = 0.0;
    for (; k < n; k++) {
        const float v = x[k], a = v < 0.0f ? -v : v, t = exp_neg(-a);
        g[k] = -(v < 0.0f ? 1.0f : t) / (1.0f + t);
        total += (double)((v < 0.0f ? a : 0.0f) + log1p_unit(t));
    }
    for (int l = 0; l < 16; l++) total += (double)lane[l];
    return total;
}

/* Its reference: the definitions in double with libm. */
double edl__vec_logsig_naive(float *g, const float *x, size_t n) {
    double total = 0.0;
    for (size_t k = 0; k < n; k++) {
        double v = x[k];
        g[k] = (float)(1.0 / (1.0 + exp(-v)) - 1.0);
        total += (v < 0 ? -v : 0.0) + log1p(exp(-fabs(v)));
    }
    return total;
}

/* Activations over arrays: one switch outside the loop so each loop vectorises. */
EDL__CLONES void edl__act_inplace(float *x, size_t n, edl_act act) {
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
EDL__CLONES void edl__act_grad_mul(float *g, const float *dout, const float *y, size_t n, edl_act act) {
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
EDL__CLONES void edl__vec_colsum_add(float *restrict y, const float *restrict x, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) y[c] += x[r * cols + c];
}

static void colsum_narrow(float *dbias, const float *g, size_t rows, size_t cols);

/* A dense layer's backward through ReLU in one pass: g = y > 0 ? dout : 0 (x is rows x cols),
   and dbias[c] += g[r,c] in row order (when dbias is set): what edl__act_grad_mul then
   edl__vec_colsum_add give, bit for bit. g may be dout (in place). */
EDL__CLONES void edl__vec_relu_grad_colsum(float *g, const float *dout, const float *restrict y, size_t rows,
                                           size_t cols, float *restrict dbias) {
    if (cols < 16) { /* narrow rows (a dense(1) layer): the mask over the whole block, then the sums */
        const size_t n = rows * cols;
        if (g == dout) /* in place: one pointer, so the loop vectorises */
            for (size_t i = 0; i < n; i++) g[i] = y[i] > 0.0f ? g[i] : 0.0f;
        else
            for (size_t i = 0; i < n; i++) g[i] = y[i] > 0.0f ? dout[i] : 0.0f;
        if (dbias) colsum_narrow(dbias, g, rows, cols);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        float *gr = g + r * cols;
        const float *dr = dout + r * cols, *yr = y + r * cols;
        if (gr == dr) /* in place (the models' dout): one pointer, so the loop vectorises (with two
                         that may overlap, the compiler's overlap check sent it to scalar code) */
            for (size_t c = 0; c < cols; c++) gr[c] = yr[c] > 0.0f ? gr[c] : 0.0f;
        else
            for (size_t c = 0; c < cols; c++) gr[c] = yr[c] > 0.0f ? dr[c] : 0.0f;
        if (dbias)
            for (size_t c = 0; c < cols; c++) dbias[c] += gr[c];
    }
}

/* y[r,:] = y[r,:] + bias, then ReLU when relu (NaN passes through), for rows x cols. */
EDL__CLONES void edl__vec_bias_relu(float *restrict y, const float *restrict bias, size_t rows, size_t cols,
                                    bool relu) {
    for (size_t r = 0; r < rows; r++) {
        float *yr = y + r * cols;
        if (bias)
            for (size_t c = 0; c < cols; c++) yr[c] += bias[c];
        if (relu)
            for (size_t c = 0; c < cols; c++) yr[c] = yr[c] < 0.0f ? 0.0f : yr[c];
    }
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

/* ---- quantized rows ------------------------------------------------------------------------ */

/* The index of the least of x[0..n) (n >= 1; ties: the lowest index): the least value by sixteen
   lanes of minima (a vector min), then the first block of sixteen holding it. */
EDL__CLONES size_t edl__vec_argmin(const float *x, size_t n) {
    size_t i = 0, best = 0;
    float m = x[0];
    if (n >= 16) {
        float lane[16];
        memcpy(lane, x, sizeof lane);
        for (i = 16; i + 16 <= n; i += 16)
            for (int j = 0; j < 16; j++) lane[j] = x[i + j] < lane[j] ? x[i + j] : lane[j];
        for (int j = 0; j < 16; j++) m = lane[j] < m ? lane[j] : m;
    }
    for (size_t t = i; t < n; t++) m = x[t] < m ? x[t] : m;
    for (size_t b = 0; b + 16 <= i; b += 16) {
        int any = 0;
        for (int j = 0; j < 16; j++) any |= x[b + j] == m;
        if (any)
            for (int j = 0; j < 16; j++)
                if (x[b + j] == m) return b + (size_t)j;
    }
    for (best = i; best < n && x[best] != m; best++) {
    }
    return best < n ? best : 0; /* 0: every value NaN */
}

/* The nearest of 256 centroids to x (d values) as the least |c|^2 - 2 x.c: ct holds the
   centroids transposed (ct[l * 256 + k]), cn their squared norms; ties: the lower index. Each
   distance is cn[k] + (-2 x[0]) ct[0][k] + (-2 x[1]) ct[1][k] + ..., a multiply then an add, on
   every path: the same centroid whichever runs. */
EDL__CLONES static size_t nearest256_portable(const float *restrict ct, const float *restrict cn,
                                              const float *restrict x, size_t d) {
    float dist[256];
    memcpy(dist, cn, sizeof dist);
    for (size_t l = 0; l < d; l++) {
        const float a = -2.0f * x[l];
        for (int k = 0; k < 256; k++) dist[k] += a * ct[l * 256 + (size_t)k];
    }
    return edl__vec_argmin(dist, 256);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(EDL__NO_CLONES)
#include <immintrin.h>
#define EDL__VEC_X86 1
/* the 256 distances in sixteen registers; each lane keeps its least and that one's index */
__attribute__((target("avx512f"))) static size_t nearest256_avx512(const float *restrict ct, const float *restrict cn,
                                                                   const float *restrict x, size_t d) {
    __m512 acc[16];
    for (int k = 0; k < 16; k++) acc[k] = _mm512_loadu_ps(cn + 16 * k);
    for (size_t l = 0; l < d; l++) {
        const __m512 a = _mm512_set1_ps(-2.0f * x[l]);
        for (int k = 0; k < 16; k++)
            acc[k] = _mm512_add_ps(acc[k], _mm512_mul_ps(a, _mm512_loadu_ps(ct + l * 256 + 16 * (size_t)k)));
    }
    __m512 bv = acc[0];
    __m512i bi = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), idx = bi;
    const __m512i step = _mm512_set1_epi32(16);
    for (int k = 1; k < 16; k++) {
        idx = _mm512_add_epi32(idx, step);
        __mmask16 lt = _mm512_cmp_ps_mask(acc[k], bv, _CMP_LT_OQ);
        bv = _mm512_mask_mov_ps(bv, lt, acc[k]);
        bi = _mm512_mask_mov_epi32(bi, lt, idx);
    }
    float v[16];
    int32_t i[16];
    _mm512_storeu_ps(v, bv), _mm512_storeu_si512(i, bi);
    int best = 0;
    for (int j = 1; j < 16; j++)
        if (v[j] < v[best] || (v[j] == v[best] && i[j] < i[best])) best = j;
    return v[best] == v[best] ? (size_t)i[best] : nearest256_portable(ct, cn, x, d); /* NaN: as the portable path */
}
#endif

/* dbias[c] += sum_r g[r,c] in row order for narrow rows (cols < 16): on AVX-512 the sums in one
   register's lanes, a row a masked load (a float at a time through memory, these sums were ~6% of
   a 64 x 64 -> 10 layer). g is only read here: a masked store of each row in the same loop
   stalled the next row's load on AMD's store forwarding (1280 x 32 -> 1 in place: 0.62 -> 0.38). */
#ifdef EDL__VEC_X86
__attribute__((target("avx512f"))) static void colsum_narrow512(float *dbias, const float *g, size_t rows,
                                                                size_t cols) {
    const __mmask16 m = (__mmask16)((1u << cols) - 1);
    __m512 acc = _mm512_maskz_loadu_ps(m, dbias);
    for (size_t r = 0; r < rows; r++) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, g + r * cols));
    _mm512_mask_storeu_ps(dbias, m, acc);
}
#endif

static void colsum_narrow(float *dbias, const float *g, size_t rows, size_t cols) {
#ifdef EDL__VEC_X86
    if (__builtin_cpu_supports("avx512f")) {
        colsum_narrow512(dbias, g, rows, cols);
        return;
    }
#endif
    edl__vec_colsum_add(dbias, g, rows, cols);
}

size_t edl__vec_nearest256(const float *ct, const float *cn, const float *x, size_t d) {
#ifdef EDL__VEC_X86
    if (__builtin_cpu_supports("avx512f")) return nearest256_avx512(ct, cn, x, d);
#endif
    return nearest256_portable(ct, cn, x, d);
}

/* sum_i q[i] * c[i] over uint8 codes: sixteen lane sums (lane j takes i = j mod 16), a scalar
   tail, then the tree of edl__vec_dot. GCC does not vectorise the widening of bytes to floats
   (it converts byte by byte), so the x86-64 paths use intrinsics (a multiply then an add, never
   a fused multiply-add): every path adds in the same order and rounds the same. */
static float dot_u8_tree(const float lane[16], float rest) {
    float s8[8], s4[4];
    for (int j = 0; j < 8; j++) s8[j] = lane[j] + lane[j + 8];
    for (int j = 0; j < 4; j++) s4[j] = s8[j] + s8[j + 4];
    return ((s4[0] + s4[2]) + (s4[1] + s4[3])) + rest;
}

static float dot_u8_portable(const float *restrict q, const uint8_t *restrict c, size_t n) {
    float lane[16] = {0}, rest = 0.0f;
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lane[j] += q[i + j] * (float)c[i + j];
    for (; i < n; i++) rest += q[i] * (float)c[i];
    return dot_u8_tree(lane, rest);
}

#ifdef EDL__VEC_X86
__attribute__((target("avx512f"))) static float dot_u8_avx512(const float *restrict q, const uint8_t *restrict c,
                                                              size_t n) {
    __m512 acc = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 cf = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(c + i))));
        acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_loadu_ps(q + i), cf));
    }
    float lane[16], rest = 0.0f;
    _mm512_storeu_ps(lane, acc);
    for (; i < n; i++) rest += q[i] * (float)c[i];
    return dot_u8_tree(lane, rest);
}
__attribute__((target("avx2"))) static float dot_u8_avx2(const float *restrict q, const uint8_t *restrict c, size_t n) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i b = _mm_loadu_si128((const __m128i *)(c + i));
        __m256 cl = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b));
        __m256 ch = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(b, 8)));
        lo = _mm256_add_ps(lo, _mm256_mul_ps(_mm256_loadu_ps(q + i), cl));
        hi = _mm256_add_ps(hi, _mm256_mul_ps(_mm256_loadu_ps(q + i + 8), ch));
    }
    float lane[16], rest = 0.0f;
    _mm256_storeu_ps(lane, lo), _mm256_storeu_ps(lane + 8, hi);
    for (; i < n; i++) rest += q[i] * (float)c[i];
    return dot_u8_tree(lane, rest);
}
#endif

float edl__vec_dot_u8(const float *restrict q, const uint8_t *restrict c, size_t n) {
#ifdef EDL__VEC_X86
    if (__builtin_cpu_supports("avx512f")) return dot_u8_avx512(q, c, n);
    if (__builtin_cpu_supports("avx2")) return dot_u8_avx2(q, c, n);
#endif
    return dot_u8_portable(q, c, n);
}

/* o += (w ? *w : 1) * (c * scale + offset) over n values: a row of uint8 codes decoded as
   FBGEMM's fused 8-bit rows, each value rounded as the dequantized table holds it, so the sum
   equals edl__vec_gather_sum's over that table. */
EDL__CLONES void edl__vec_add_u8(float *restrict o, const uint8_t *restrict c, float scale, float offset,
                                 const float *w, size_t n) {
    if (w) {
        const float a = *w;
        for (size_t i = 0; i < n; i++) o[i] += a * ((float)c[i] * scale + offset);
    } else {
        for (size_t i = 0; i < n; i++) o[i] += (float)c[i] * scale + offset;
    }
}
