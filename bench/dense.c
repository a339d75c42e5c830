/* Dense layer forward+backward against the best sgemm on this machine, measured in one run.
 *
 * A dense layer's forward is one GEMM (x W^T) and its backward two (g^T x, g W): 3 * 2*B*I*O
 * flops. The floor is the same three GEMMs done by the fastest library present (OpenBLAS,
 * oneDNN, edl's built-in kernel); the ratio edl / floor says how much the layer's bias,
 * activation and bookkeeping cost on top of the products. The layer is timed through the public
 * edl_dense_backward (which allocates the gradient at the pre-activation when it is large) and as
 * edl's models and recommenders run it (that gradient formed in their own dout).
 *
 * Each product is also timed alone (edl__gemm's dispatch against every library), for the dense
 * shapes and the recommender mlp's (1280 x 64 -> 64, 1280 x 64 -> 32, 1280 x 32 -> 1).
 *
 *   build/bench_dense [reps]          (OMP_NUM_THREADS sets the threads for every contender)
 */
#include "bench.h"
#include "kernels/kernels.h"
#include "edl.h"
#include "common/internal.h"

#include <math.h>
#include <stdbool.h>

#ifdef EDL_BENCH_OPENBLAS
#include <cblas.h>
#endif
#ifdef EDL_BENCH_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

typedef struct {
    size_t b, i, o;
    float *x, *w, *bias, *y, *dy, *dx, *dw, *db;
    float *scratch; /* a model's workspace scratch for the layer (edl__dense_scratch_floats) */
} shape;

typedef void (*gemm_fn)(bool ta, bool tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                        size_t ldb, float beta, float *c, size_t ldc);

static void g_builtin(bool ta, bool tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                      size_t ldb, float beta, float *c, size_t ldc) {
    edl__gemm_builtin(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}
#ifdef EDL_BENCH_OPENBLAS
static void g_openblas(bool ta, bool tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                       size_t ldb, float beta, float *c, size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                1.0f, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
#endif
#ifdef EDL_BENCH_DNNL
static void g_dnnl(bool ta, bool tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                   size_t ldb, float beta, float *c, size_t ldc) {
    dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', (dnnl_dim_t)m, (dnnl_dim_t)n, (dnnl_dim_t)k, 1.0f, a, (dnnl_dim_t)lda, b,
               (dnnl_dim_t)ldb, beta, c, (dnnl_dim_t)ldc);
}
#endif

/* edl's own dispatch (edl__gemm: the small kernel, the library or the blocked kernel by shape) */
static void g_edl(bool ta, bool tb, size_t m, size_t n, size_t k, const float *a, size_t lda, const float *b,
                  size_t ldb, float beta, float *c, size_t ldc) {
    edl__gemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

static const struct {
    const char *name;
    gemm_fn fn;
} peers[] = {
    {"edl-builtin", g_builtin},
#ifdef EDL_BENCH_OPENBLAS
    {"openblas", g_openblas},
#endif
#ifdef EDL_BENCH_DNNL
    {"onednn", g_dnnl},
#endif
};
enum { NPEERS = sizeof peers / sizeof peers[0] };

/* The three products of one forward+backward, with a library's sgemm. */
static void three_gemms(gemm_fn g, shape *s) {
    g(false, true, s->b, s->o, s->i, s->x, s->i, s->w, s->i, 0.0f, s->y, s->o);    /* y = x W^T  */
    g(true, false, s->o, s->i, s->b, s->dy, s->o, s->x, s->i, 1.0f, s->dw, s->i);  /* dW += g^T x */
    g(false, false, s->b, s->i, s->o, s->dy, s->o, s->w, s->i, 0.0f, s->dx, s->i); /* dx = g W   */
}

/* One of the three products alone. */
static void one_gemm(gemm_fn g, shape *s, int q) {
    if (q == 0) g(false, true, s->b, s->o, s->i, s->x, s->i, s->w, s->i, 0.0f, s->y, s->o);
    if (q == 1) g(true, false, s->o, s->i, s->b, s->dy, s->o, s->x, s->i, 1.0f, s->dw, s->i);
    if (q == 2) g(false, false, s->b, s->i, s->o, s->dy, s->o, s->w, s->i, 0.0f, s->dx, s->i);
}

static void edl_fwd(shape *s) { edl_dense_forward(s->y, s->x, s->b, s->i, s->o, s->w, s->bias, EDL_ACT_RELU); }
static void edl_fwdbwd(shape *s) {
    edl_fwd(s);
    edl_dense_backward(s->dx, s->dw, s->db, s->dy, s->x, s->y, s->b, s->i, s->o, s->w, EDL_ACT_RELU);
}
/* As edl's models and recommenders run the layer: the gradient at the pre-activation formed in
   their own dout (here dy, which the ReLU's mask then leaves the same from the second call on). */
static void edl_fwdbwd_in_place(shape *s) {
    edl_fwd(s);
    edl__dense_backward_in_place(s->dx, s->dw, s->db, s->dy, s->x, s->y, s->b, s->i, s->o, s->w, EDL_ACT_RELU,
                                 s->scratch);
}

static float *randv(edl_rng *r, size_t n) {
    float *v = bench_alloc(n * sizeof *v);
    for (size_t k = 0; k < n; k++) v[k] = edl_rng_uniform(r) - 0.5f;
    return v;
}

/* Seconds per call: the median over reps of a timed loop of `inner` calls. */
#define TIME_MEDIAN(out, reps, inner, stmt)            \
    do {                                               \
        double t_[64];                                 \
        for (int r_ = 0; r_ < (reps); r_++) {          \
            double t0_ = bench_now();                  \
            for (int k_ = 0; k_ < (inner); k_++) stmt; \
            t_[r_] = (bench_now() - t0_) / (inner);    \
        }                                              \
        out = bench_median(t_, reps);                  \
    } while (0)

static void run_shape(size_t b, size_t i, size_t o, int reps) {
    edl_rng rng;
    edl_rng_seed(&rng, 7);
    shape s = {b,
               i,
               o,
               randv(&rng, b * i),
               randv(&rng, o * i),
               randv(&rng, o),
               randv(&rng, b * o),
               randv(&rng, b * o),
               randv(&rng, b * i),
               randv(&rng, o * i),
               randv(&rng, o),
               randv(&rng, edl__dense_scratch_floats(b, i, o) + 1)};
    double flops3 = 3.0 * 2.0 * (double)b * (double)i * (double)o;
    /* Enough calls per sample for ~20 ms, so small shapes are timed above the clock's noise. */
    double t0 = bench_now();
    edl_fwdbwd(&s);
    double once = bench_now() - t0;
    int inner = once > 0.02 ? 1 : (int)(0.02 / (once + 1e-9)) + 1;
    if (inner > 100000) inner = 100000;

    for (int w = 0; w < 3; w++) edl_fwdbwd(&s); /* warm-up: threads, page faults, caches */
    double t_peer[NPEERS], t_edl, t_edl_fwd, best = INFINITY;
    int best_k = 0;
    for (int k = 0; k < NPEERS; k++) {
        for (int w = 0; w < 3; w++) three_gemms(peers[k].fn, &s);
        TIME_MEDIAN(t_peer[k], reps, inner, three_gemms(peers[k].fn, &s));
        if (t_peer[k] < best) best = t_peer[k], best_k = k;
    }
    TIME_MEDIAN(t_edl, reps, inner, edl_fwdbwd(&s));
    TIME_MEDIAN(t_edl_fwd, reps, inner, edl_fwd(&s));
    double t_edl_ip;
    TIME_MEDIAN(t_edl_ip, reps, inner, edl_fwdbwd_in_place(&s));

    printf("\nshape batch %zu, in %zu, out %zu (%d threads, %d calls a sample, median of %d)\n", b, i, o,
           bench_threads(), inner, reps);
    for (int k = 0; k < NPEERS; k++)
        printf("  3 sgemms, %-12s %9.2f GFLOP/s%s\n", peers[k].name, flops3 / t_peer[k] * 1e-9,
               k == best_k ? "  (best)" : "");
    printf("  edl dense fwd+bwd        %9.2f GFLOP/s  (relu, bias; gemm=%s)\n", flops3 / t_edl * 1e-9,
           edl__gemm_backend());
    printf("  edl dense fwd            %9.2f GFLOP/s\n", flops3 / 3 / t_edl_fwd * 1e-9);
    printf("  ratio edl fwd+bwd / best sgemm (%s): %.3f\n", peers[best_k].name, best / t_edl);
    printf("  ratio edl fwd+bwd in place (dout overwritten, as edl's models run it) / best sgemm (%s): %.3f\n",
           peers[best_k].name, best / t_edl_ip);
    /* each product alone: edl's dispatch against every library (the mlp's shapes are judged so) */
    static const char *const what[3] = {"y = x W^T", "dW += g^T x", "dx = g W"};
    for (int q = 0; q < 3; q++) {
        double tq[NPEERS], te, bq = INFINITY;
        int bk = 0;
        for (int k = 0; k < NPEERS; k++) {
            TIME_MEDIAN(tq[k], reps, inner * 3, one_gemm(peers[k].fn, &s, q));
            if (tq[k] < bq) bq = tq[k], bk = k;
        }
        TIME_MEDIAN(te, reps, inner * 3, one_gemm(g_edl, &s, q));
        printf("  %-12s edl %7.2f GFLOP/s, best %-11s %7.2f: ratio %.3f\n", what[q], flops3 / 3 / te * 1e-9,
               peers[bk].name, flops3 / 3 / bq * 1e-9, bq / te);
    }
    float *bufs[] = {s.x, s.w, s.bias, s.y, s.dy, s.dx, s.dw, s.db, s.scratch};
    for (size_t k = 0; k < sizeof bufs / sizeof bufs[0]; k++) free(bufs[k]);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    if (reps < 1 || reps > 64) reps = 9;
    printf("edl %s (%s), gemm kernel %s\n", edl_version_string(), edl_build_info(), edl__gemm_backend());
    run_shape(1024, 512, 512, reps);
    run_shape(64, 64, 10, reps);
    run_shape(256, 64, 128, reps);
    /* the recommender mlp's layers ([p_u, q_i] -> 64 -> 32 -> 1 at the default dim 32): a batch of
       256 records with 4 negatives each is 1280 rows per product (edl recommend runs each on one
       thread) */
    printf("\nthe recommender mlp's layers (1280 rows a batch):");
    run_shape(1280, 64, 64, reps);
    run_shape(1280, 64, 32, reps);
    run_shape(1280, 32, 1, reps);
    return 0;
}
