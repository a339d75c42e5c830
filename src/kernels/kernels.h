/* The kernels' internals: argument checks, the GEMM engines, the naive references, the
 * activation helpers and the vector loops (the one place with SIMD), for the kernels and the
 * layers above them. Not installed. */
#ifndef EDL__KERNELS_H
#define EDL__KERNELS_H

#include "common/internal.h"

#include <math.h>

/* Checks a matrix of r x c floats can be addressed: r*c*sizeof(float) fits size_t.
   what names the argument in the message. */
edl_status edl__check_matrix(const char *fn, const char *what, size_t r, size_t c);

/* Checks every idx[i] lies in [0, rows). On failure names the first bad value and position. */
edl_status edl__check_indices(const char *fn, const int64_t *idx, size_t n, size_t rows);

/* Checks that offsets[0] == 0 and offsets are non-decreasing and <= n. */
edl_status edl__check_offsets(const char *fn, const int64_t *offsets, size_t bags, size_t n);

/* End of bag b: offsets[b+1], or n for the last bag. */
static inline size_t edl__bag_end(const int64_t *offsets, size_t bags, size_t n, size_t b) {
    return b + 1 < bags ? (size_t)offsets[b + 1] : n;
}

/* Threading: a parallel loop is worth it only above this much work (floats touched). Below it,
   and at one thread, a kernel enters no parallel region at all: one with a false if clause, or
   a team of one, is still built and torn down (libgomp here: ~0.3 us, a malloc, a futex wake and
   a free; a third of a 64 x 64 -> 10 product). */
#define EDL__PAR_MIN_WORK ((size_t)1 << 15)

/* The thread that owns table row r in a scatter-add split over nt threads (row % nt; a mask when
   nt is a power of two, since a division per index costs as much as the add). */
static inline bool edl__owns(size_t r, int t, int nt) {
    size_t n = (size_t)nt;
    return ((n & (n - 1)) == 0 ? (r & (n - 1)) : r % n) == (size_t)t;
}

/* A scatter-add (embedding backward) is split over threads only when its table is larger than
   this. Measured here (bench/embedding.c, 2 cores): a table that fits in the caches is updated
   faster by one thread (13.5 vs 18.6 ns a row at 1 MiB, 18.5 vs 22.5 at 8 MiB), one beyond the
   last-level cache faster by two, whose cache misses overlap (39.8 vs 27.7 ns at 64 MiB). */
#define EDL__SCATTER_PAR_MIN_BYTES ((size_t)32 << 20)

/* Internal GEMM, row-major, no argument checks (callers check). See gemm.c. */
void edl__gemm(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b,
               size_t ldb, float beta, float *c, size_t ldc);
/* The naive triple loop, the reference the fast paths are tested against. */
void edl__gemm_naive(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc);
/* Built-in blocked kernel (also used when no BLAS is linked). */
void edl__gemm_builtin(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                       const float *b, size_t ldb, float beta, float *c, size_t ldc);
/* Register-blocked kernel for small products, no packing (gemm_small.c). Returns false, C
   untouched, when k is 0 or a buffer for a transposed B cannot be had. */
bool edl__gemm_small(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc);
/* The same with a dense layer's epilogue fused: C += bias (per column, NULL: none), then ReLU
   when relu; isa -1 picks the best tiles the CPU has, 0/1/2 asks for the plain C, AVX2 or
   AVX-512 ones (false when the CPU lacks them: the tests run each). */
bool edl__gemm_small_ex(int isa, bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                        size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, const float *bias,
                        bool relu);
/* op(B) = B^T (k x n; B is n x k, row stride ldb) into bt (k rows of ldt >= n floats), as the
   small kernel does for a transposed B itself: a caller that runs several products on one B
   transposes it once and passes bt untransposed. */
void edl__gemm_small_transpose(float *bt, size_t ldt, const float *b, size_t ldb, size_t k, size_t n);
/* The small kernel's sizes in multiply-adds (gemm.c): below SMALL, always; up to MEDIUM with k up
   to MEDIUM_K where a BLAS would not take the product. */
#define EDL__GEMM_SMALL    ((size_t)1 << 17)
#define EDL__GEMM_MEDIUM   ((size_t)1 << 23)
#define EDL__GEMM_MEDIUM_K ((size_t)2048)
/* Whether edl__gemm sends m x n x k (op(B) transposed when tb) to the small kernel (gemm.c). */
bool edl__gemm_is_small(bool tb, size_t m, size_t n, size_t k);
const char *edl__gemm_small_isa(void); /* "avx512", "avx2" or "generic": the tiles it runs */
const char *edl__gemm_backend(void);
const char *edl__simd_name(void);

/* Naive references beside the fast kernels; the tests compare the two. */
void edl__embedding_forward_naive(float *out, const float *table, size_t dim, const int64_t *idx, size_t n);
void edl__embedding_backward_naive(float *dtable, size_t dim, const int64_t *idx, size_t n, const float *dout);
void edl__embedding_bag_forward_naive(float *out, int64_t *argmax, const float *table, size_t dim, const int64_t *idx,
                                      size_t n, const int64_t *offsets, size_t bags, const float *weights,
                                      edl_pool pool, int64_t padding_idx);
void edl__embedding_bag_forward_int8_naive(float *out, int64_t *argmax, const uint8_t *codes, const float *scale_offset,
                                           size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                           size_t bags, const float *weights, edl_pool pool, int64_t padding_idx);
void edl__embedding_bag_backward_naive(float *dtable, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                       size_t bags, const float *weights, edl_pool pool, int64_t padding_idx,
                                       const int64_t *argmax, const float *dout);
void edl__dense_forward_naive(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                              const float *weight, const float *bias, edl_act act);
/* Floats of scratch a dense layer of in_dim -> out_dim needs at any batch up to `batch` (0: none;
   medium layers run in blocks of examples, and their backward keeps the blocks' gradient sums there). */
size_t edl__dense_scratch_floats(size_t batch, size_t in_dim, size_t out_dim);
/* edl_dense_backward with dout overwritten by the gradient at the pre-activation (the caller's
   workspace, not read again) and the caller's scratch (NULL: allocated here when needed): the
   same results. */
edl_status edl__dense_backward_in_place(float *din, float *dweight, float *dbias, float *dout, const float *in,
                                        const float *out, size_t batch, size_t in_dim, size_t out_dim,
                                        const float *weight, edl_act act, float *scratch);
void edl__dense_backward_naive(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                               const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                               edl_act act);
/* x = act(x) over n values; g = dout * act'(y) from the forward's output y (g may be dout). */
void edl__act_inplace(float *x, size_t n, edl_act act);
void edl__act_grad_mul(float *g, const float *dout, const float *y, size_t n, edl_act act);
float edl__act_apply(float x, edl_act act); /* scalar definitions, for the naive references */
float edl__act_grad(float y, edl_act act);
edl_status edl__check_act(const char *fn, edl_act act);

/* Coefficients of one optimizer update over a run of values (see optim.c). */
typedef struct {
    float lr, wd;         /* learning rate; L2 weight decay added to the gradient (0: none) */
    float decay;          /* decoupled decay: p *= decay first (AdamW; 1: none) */
    float momentum, damp; /* SGD: momentum and 1 - dampening */
    int nesterov, first;  /* SGD: Nesterov; first step of this momentum buffer */
    float b1, b2, k1, k2; /* Adam: betas and 1 - betas */
    float step, sbc2;     /* Adam: step size, sqrt of the second bias correction */
    float eps;
} edl__opt_coef;

/* The rules' arithmetic on one value, written once: the vector loops (vec.c) call them on every
   element and edl__opt_apply1 on a bias, so both round alike. Coefficients by value, so a loop
   keeps them in registers. p's new value is returned; the state is updated in place. */
static inline float edl__rule_sgd(float p, float g, float lr, float wd) { return p - lr * (g + wd * p); }
static inline float edl__rule_adagrad(float p, float g, float *sum, float lr, float wd, float eps) {
    float d = g + wd * p;
    *sum += d * d;
    return p - lr * (d / (sqrtf(*sum) + eps));
}
/* SparseAdam's lazy rule (the step size folds the second bias correction in; see optim.c). */
static inline float edl__rule_sparse_adam(float p, float g, float *m1, float *m2, float k1, float k2, float wd,
                                          float decay, float step, float eps) {
    float d = g + wd * p;
    float pi = p * decay;
    float a = *m1 + (d - *m1) * k1, v = *m2 + (d * d - *m2) * k2;
    *m1 = a, *m2 = v;
    return pi - step * (a / (sqrtf(v) + eps));
}

/* Dropout on the rows of a larger batch (dropout.c): in holds n rows of d values, row i being
   row pos[i] (increasing) of a batch of total rows; the rng draws total x d numbers, as
   edl_dropout_forward on the whole batch, and each row keeps its own. How a rank holding some
   examples of a global batch draws the masks one process would. pos NULL: rows 0 .. n-1 of n
   (then it equals edl_dropout_forward, its reference). */
void edl__dropout_forward_rows(float *out, uint8_t *mask, const float *in, size_t n, size_t d, const size_t *pos,
                               size_t total, float p, edl_rng *rng);

/* Vector helpers (vec.c): the one place with SIMD. */
void edl__vec_add(float *y, const float *x, size_t n);           /* y += x */
void edl__vec_axpy(float *y, float a, const float *x, size_t n); /* y += a x */
void edl__vec_scale(float *y, float a, size_t n);                /* y *= a */
void edl__vec_max_arg(float *y, int64_t *arg, const float *x, int64_t row, size_t n);
float edl__vec_dot(const float *a, const float *b, size_t n);
/* Examples of per (2 or 3) rows: out[k per + r,:] = table[idx[k per + r],:] for k < n; for k in
   [k0, k1): d1[k] = row 0 . row 1, d2[k] = row 0 . row 2 (per 3), as edl__vec_dot; diff (per 3):
   out row 2 = row 1 - row 2 instead, and out row 1 is not written. */
void edl__vec_gather_dots(float *out, float *d1, float *d2, const float *table, size_t dim, const int64_t *idx,
                          size_t n, size_t per, size_t k0, size_t k1, int diff);
/* bpr's gather of triples of rows of 32: out as edl__vec_gather_dots (per 3, diff) leaves it, and
   for k in [k0, k1) the score logit[k] = bias[idx[3k + 1]] - bias[idx[3k + 2]] + row 0 . row 1
   - row 0 . row 2, in that order, the products as edl__vec_dot's. */
void edl__vec_bpr_gather32(float *out, float *logit, const float *table, const float *bias, const int64_t *idx,
                           size_t n, size_t k0, size_t k1);
/* out[k,:] = table[idx[k],:], k < n (indices in range: the caller checks) */
void edl__vec_gather_rows(float *out, const float *table, size_t dim, const int64_t *idx, size_t n);
bool edl__vec_any_ge(const int64_t *idx, size_t n, uint64_t limit);
size_t edl__vec_gather_sum(float *o, const float *table, size_t dim, const int64_t *idx, size_t s, size_t e,
                           size_t ahead, const float *w, int64_t pad);
void edl__vec_scatter_add(float *dtable, size_t dim, const int64_t *idx, size_t s, size_t e, const float *w,
                          float scale, int64_t pad, const float *g, int t, int nt);
bool edl__vec_all_finite(const float *x, size_t n);
void edl__vec_ns_step(float *grad, float *row, const float *hidden, float alpha, size_t n);
void edl__vec_prefetch(const void *p, size_t bytes, int write); /* wanted soon: into the cache */
/* A window as a small matrix product (HogBatch): s[i * n + k] = a[i] . b[k]; then ga[i] = sum_k
   g[i * n + k] b[k] and b[k] += sum_i g[i * n + k] a[i] (ga from B before the step). Rows are
   pointers (m rows of A, n of B, len floats each); see vec.c. The naive references beside them. */
void edl__vec_block_dots(float *s, const float *const *a, size_t m, const float *const *b, size_t n, size_t len);
void edl__vec_block_steps(float *ga, size_t ldga, const float *g, const float *const *a, size_t m, float *const *b,
                          size_t n, size_t len);
/* y = 1 / (1 + exp(-x)), vectorised (relative error ~1e-7 against the naive expf form). */
void edl__vec_logistic(float *y, const float *x, size_t n);
void edl__vec_logistic_naive(float *y, const float *x, size_t n);
void edl__vec_block_dots_naive(float *s, const float *const *a, size_t m, const float *const *b, size_t n, size_t len);
void edl__vec_block_steps_naive(float *ga, size_t ldga, const float *g, const float *const *a, size_t m,
                                float *const *b, size_t n, size_t len);
/* Optimizer updates of p from g over n values, state alongside (torch.optim's rules); each
   zeroes g after use and returns whether every updated parameter is finite. */
bool edl__vec_sgd(float *p, float *g, float *buf, size_t n, const edl__opt_coef *c);
bool edl__vec_adagrad(float *p, float *g, float *sum, size_t n, const edl__opt_coef *c);
bool edl__vec_adam(float *p, float *g, float *m1, float *m2, size_t n, const edl__opt_coef *c);
/* q = x / b for b known in advance (Adam's division by the second bias correction's root, vec.c's
   div_known, where the CPU has FMA): the same bits as the division for b in [2^-20, 1] and x 0,
   infinite, NaN or in [2^-75, 2^64] (a square root of a float's; a -0 gives +0); b outside that
   range divides. */
void edl__vec_div_known(float *q, const float *x, size_t n, float b);
bool edl__vec_sparse_adam(float *p, float *g, float *m1, float *m2, size_t n, const edl__opt_coef *c);
/* Rows of a batch in order: row rows[m] of p (state s1, s2 at the same offsets) updated from the
   gradient scale[m] * x[m][0..dim) by SGD, Adagrad or (EDL_OPT_ADAM) SparseAdam's rule, the
   values one edl__vec_sgd / _adagrad / _sparse_adam call a row gives; whether all are finite. */
bool edl__vec_update_rows(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2, size_t dim,
                          const int64_t *rows, size_t n, const float *scale, const float *const *x);
/* bpr's updates of a batch by plain SGD (no momentum) on rows of 32, in the order and with the
   values of edl__opt_apply1 on its biases then edl__vec_update_rows on its rows: for triple k < n
   of idx (user, positive, negative: rows of table and of bias), step scale g[k], and rows as
   edl__vec_gather_dots (per 3, diff) left them (rows[3k] = p_u, rows[3k + 2] = q_i - q_j, both
   before the batch), bias[positive] by g[k] and bias[negative] by -g[k] (rule cb), then the
   user's row by g[k] (q_i - q_j), the positive's by g[k] p_u and the negative's by -g[k] p_u
   (rule c), triple by triple. Returns whether every updated value is finite. */
bool edl__vec_bpr_sgd32(const edl__opt_coef *c, const edl__opt_coef *cb, float *table, float *bias, const int64_t *idx,
                        const float *g, const float *rows, size_t n);
/* A sum or mean embedding bag's table gradient held as rows -> occurrences rather than stored
   (embedding_bag.c builds it): row r's occurrences are occ[start[r] .. start[r + 1]), in
   increasing position, which is the order of edl_embedding_bag_backward's additions (bag, then
   position); occurrence k adds occ[k].factor * dout[occ[k].bag, :] to its row, dout being the
   (bags, dim) gradient at the bag's output. So a row's sum is the same bits. start holds rows + 1
   entries, occ n; inputs as edl_embedding_bag_backward's, checked by the caller, pool sum or
   mean, n < 2^32. The occurrences of a row lie together, so summing a row is loads that do not
   wait for each other (a list through the positions made each wait for the last). */
typedef struct {
    uint32_t bag;
    float factor; /* 1, the mean's 1 / count, or the index's weight */
} edl__bag_occ;
void edl__bag_row_index(uint32_t *start, edl__bag_occ *occ, size_t rows, const int64_t *idx, size_t n,
                        const int64_t *offsets, size_t bags, const float *weights, edl_pool pool, int64_t padding_idx);
/* dtable's rows [r0, r1) += their held gradient (what edl_embedding_bag_backward adds). */
void edl__vec_bag_rows_add(float *dtable, size_t dim, size_t r0, size_t r1, const uint32_t *start,
                           const edl__bag_occ *occ, const float *dout);
/* The dense rules (SGD, Adagrad, Adam/AdamW: edl__vec_sgd / _adagrad / _adam's arithmetic, the
   same bits) on rows [r0, r1) of p (dim floats a row, state s1, s2 at the same offsets), each
   row's gradient its held sum (zero for a row with no occurrence): the update the unfused path
   makes from the stored gradient, without storing it. Returns whether every value is finite. */
bool edl__vec_update_bag_rows(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2, size_t dim,
                              size_t r0, size_t r1, const uint32_t *start, const edl__bag_occ *occ, const float *dout);
/* Its reference, the unfused path: g (rows x dim, scratch) = the bag's gradient by
   edl__embedding_bag_backward_naive, then edl__vec_sgd / _adagrad / _adam over the table. */
bool edl__update_bag_rows_naive(edl_opt_kind kind, const edl__opt_coef *c, float *p, float *s1, float *s2, float *g,
                                size_t rows, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                size_t bags, const float *weights, edl_pool pool, int64_t padding_idx,
                                const float *dout);
/* g[k] = sigmoid(x[k]) - 1; returns sum_k -log sigmoid(x[k]) (bpr's loss), float arithmetic
   with relative error < 1e-6; _naive: the same in double with libm. */
double edl__vec_logsig(float *g, const float *x, size_t n);
double edl__vec_logsig_naive(float *g, const float *x, size_t n);
/* y[i] = exp(y[i]) for y[i] <= 0 (a softmax's shifted logits), float arithmetic with relative
   error < 1e-6, 0 below -87 (exactly 0 for -inf); _naive: libm's exp in double. */
void edl__vec_exp_nonpos(float *y, size_t n);
void edl__vec_exp_nonpos_naive(float *y, size_t n);
void edl__vec_colsum_add(float *y, const float *x, size_t rows, size_t cols); /* y += sum rows */
/* Dense layers' passes after and before a BLAS's product (vec.c): ReLU's gradient with the bias
   gradient's column sums in one pass; bias and ReLU in one pass. */
void edl__vec_relu_grad_colsum(float *g, const float *dout, const float *y, size_t rows, size_t cols, float *dbias);
void edl__vec_bias_relu(float *y, const float *bias, size_t rows, size_t cols, bool relu);
/* Quantized rows: the least value's index (n >= 1, ties: the lowest); sum q[i] * c[i] over uint8
   codes; o += (w ? *w : 1) * (c * scale + offset) (an int8 row decoded as FBGEMM's). */
size_t edl__vec_argmin(const float *x, size_t n);
/* The nearest of 256 centroids to x[0..d) by |c|^2 - 2 x.c: ct the centroids transposed
   (ct[l * 256 + k]), cn their squared norms; ties: the lower index. */
size_t edl__vec_nearest256(const float *ct, const float *cn, const float *x, size_t d);
float edl__vec_dot_u8(const float *q, const uint8_t *c, size_t n);
void edl__vec_add_u8(float *o, const uint8_t *c, float scale, float offset, const float *w, size_t n);

#endif
