/* edl: Embedding & Dense Layers.
 *
 * One public header. Every symbol is prefixed edl_ / EDL_.
 *
 * Conventions
 *  - Kernels are stateless functions on plain row-major float arrays: output pointers first,
 *    then inputs, then sizes. Indices are int64_t, sizes size_t.
 *  - Backward functions ADD (+=) into parameter gradients; the caller zeroes them.
 *    Input gradients (din, dlogits, ...) are overwritten.
 *  - Every function returns edl_status (EDL_OK == 0, errors negative). On error,
 *    edl_last_error() returns a thread-local message naming the value, position and reason.
 *    Outputs are left untouched on error (argument and index checks run before any write).
 *  - The library never exits, aborts or prints.
 *  - Weights of a dense layer are [out][in], the layout of torch.nn.Linear.
 */
#ifndef EDL_H
#define EDL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EDL_VERSION_MAJOR 0
#define EDL_VERSION_MINOR 1
#define EDL_VERSION_PATCH 0
#define EDL_VERSION_NUMBER (EDL_VERSION_MAJOR * 10000 + EDL_VERSION_MINOR * 100 + EDL_VERSION_PATCH)
#define EDL__STR2(x) #x
#define EDL__STR(x) EDL__STR2(x)
#define EDL_VERSION_STRING                                                                        \
    EDL__STR(EDL_VERSION_MAJOR) "." EDL__STR(EDL_VERSION_MINOR) "." EDL__STR(EDL_VERSION_PATCH)

/* The version of the library actually linked (compare with EDL_VERSION_NUMBER). */
unsigned edl_version_number(void);
const char *edl_version_string(void);
/* How this build computes: e.g. "gemm=openblas openmp=yes simd=avx512". */
const char *edl_build_info(void);

/* ---- Errors ------------------------------------------------------------------------------- */

typedef enum {
    EDL_OK = 0,
    EDL_ERR_ARG = -1,         /* NULL pointer, zero size, bad option */
    EDL_ERR_INDEX = -2,       /* an index, offset or target outside its range */
    EDL_ERR_NOMEM = -3,       /* allocation failed or a size overflows */
    EDL_ERR_IO = -4,          /* a file could not be read or written */
    EDL_ERR_FORMAT = -5,      /* a file or string is malformed */
    EDL_ERR_NUMERIC = -6,     /* NaN or Inf where a finite number is required */
    EDL_ERR_UNSUPPORTED = -7  /* valid request this build or kernel cannot serve */
} edl_status;

/* Short fixed name of a status, e.g. "index out of range". Never NULL. */
const char *edl_status_str(edl_status s);
/* Detail of this thread's last failure, e.g. "index 50 at position 1 is out of range [0, 50)".
   Empty string if there was none. Valid until this thread's next failing call. */
const char *edl_last_error(void);

/* ---- Random numbers ----------------------------------------------------------------------- */

/* Explicit RNG state (xoshiro256**): a small value type, copy it to fork a stream.
   The same seed gives the same sequence on every platform. */
typedef struct {
    uint64_t s[4];
} edl_rng;

void edl_rng_seed(edl_rng *rng, uint64_t seed);
uint64_t edl_rng_u64(edl_rng *rng);
/* Uniform in [0, 1) with 24 random bits. */
float edl_rng_uniform(edl_rng *rng);
/* Uniform integer in [0, n); n > 0. Unbiased. */
uint64_t edl_rng_below(edl_rng *rng, uint64_t n);
/* Standard normal N(0, 1) (Box-Muller, one value per call). */
float edl_rng_normal(edl_rng *rng);

/* ---- Kernel contract (see DESIGN.md) ------------------------------------------------------ */

typedef enum { EDL_ACT_NONE = 0, EDL_ACT_RELU, EDL_ACT_SIGMOID, EDL_ACT_TANH } edl_act;
typedef enum { EDL_POOL_SUM = 0, EDL_POOL_MEAN, EDL_POOL_MAX } edl_pool;

/* out[i,:] = table[idx[i],:] for i < n; table is rows x dim, out is n x dim. */
edl_status edl_embedding_forward(float *out, const float *table, size_t rows, size_t dim,
                                 const int64_t *idx, size_t n);
/* dtable[idx[i],:] += dout[i,:]. Rows no index names are never touched. */
edl_status edl_embedding_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx,
                                  size_t n, const float *dout);

/* Bag b pools rows idx[offsets[b] .. offsets[b+1]) (the last bag ends at n), as
   torch.nn.EmbeddingBag with include_last_offset=False; offsets must start at 0 and not decrease.
   out is bags x dim. weights: per-index weights or NULL (SUM only). padding_idx: -1 for none,
   else that index is skipped (and not counted by MEAN). An empty bag gives zeros. n may be 0
   (every bag empty; idx may then be NULL).
   argmax: NULL unless pool == EDL_POOL_MAX, then bags*dim entries receive the winning index
   (the table row; -1 for an empty bag; the first maximum wins ties) for the backward. */
edl_status edl_embedding_bag_forward(float *out, int64_t *argmax, const float *table, size_t rows,
                                     size_t dim, const int64_t *idx, size_t n,
                                     const int64_t *offsets, size_t bags, const float *weights,
                                     edl_pool pool, int64_t padding_idx);
edl_status edl_embedding_bag_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx,
                                      size_t n, const int64_t *offsets, size_t bags,
                                      const float *weights, edl_pool pool, int64_t padding_idx,
                                      const int64_t *argmax, const float *dout);

/* out[b,o] = act(sum_i in[b,i]*weight[o,i] + bias[o]); in is batch x in_dim, weight is
   out_dim x in_dim, out is batch x out_dim; bias may be NULL. */
edl_status edl_dense_forward(float *out, const float *in, size_t batch, size_t in_dim,
                             size_t out_dim, const float *weight, const float *bias, edl_act act);
/* From dout and the forward's in and out: din = (overwritten; may be NULL), dweight += (may be
   NULL for a frozen layer), dbias += (may be NULL). out may be NULL when act == EDL_ACT_NONE. */
edl_status edl_dense_backward(float *din, float *dweight, float *dbias, const float *dout,
                              const float *in, const float *out, size_t batch, size_t in_dim,
                              size_t out_dim, const float *weight, edl_act act);

/* Mean over the batch of -log softmax(logits)[target]; logits is batch x classes;
   dlogits (may be NULL) = (softmax - onehot)/batch. */
edl_status edl_softmax_cross_entropy(float *loss, float *dlogits, const float *logits,
                                     const int64_t *targets, size_t batch, size_t classes);

/* ---- More kernels ------------------------------------------------------------------------- */

/* Row-wise softmax / log-softmax of a batch x classes matrix (out may equal in). */
edl_status edl_softmax(float *out, const float *in, size_t batch, size_t classes);
edl_status edl_log_softmax(float *out, const float *in, size_t batch, size_t classes);

/* Elementwise activation, out = act(in) over n values (out may equal in), and its backward from
   the forward's output: din = dout * act'(.) (din may equal dout). */
edl_status edl_act_forward(float *out, const float *in, size_t n, edl_act act);
edl_status edl_act_backward(float *din, const float *dout, const float *out, size_t n,
                            edl_act act);

/* Mean over n of max(x,0) - x*t + log(1 + exp(-|x|)) (F.binary_cross_entropy_with_logits);
   targets in [0, 1]; dlogits (may be NULL) = (sigmoid(x) - t)/n. */
edl_status edl_bce_with_logits(float *loss, float *dlogits, const float *logits,
                               const float *targets, size_t n);
/* Mean over n of (pred - target)^2 (F.mse_loss); dpred (may be NULL) = 2 (pred - target)/n. */
edl_status edl_mse(float *loss, float *dpred, const float *pred, const float *target, size_t n);

/* Inverted dropout (F.dropout in training): each value is zeroed with probability p, the rest
   scaled by 1/(1-p). mask (n bytes) records the kept values for the backward. p in [0, 1);
   out may equal in. The RNG advances by n draws. */
edl_status edl_dropout_forward(float *out, uint8_t *mask, const float *in, size_t n, float p,
                               edl_rng *rng);
/* din = dout * mask / (1-p) (din may equal dout). */
edl_status edl_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n,
                                float p);

/* PyTorch's max_norm (torch.embedding_renorm_): every distinct row named in idx whose p-norm
   exceeds max_norm is scaled in place by max_norm / (norm + 1e-7). norm_type > 0 (2 is usual).
   Call before edl_embedding_forward with the same indices. */
edl_status edl_embedding_renorm(float *table, size_t rows, size_t dim, const int64_t *idx,
                                size_t n, float max_norm, float norm_type);

/* out is n x classes: out[i, idx[i]] = 1, zero elsewhere (F.one_hot as float). With it,
   edl_dense_forward(out, onehot, n, rows, dim, table^T, NULL, EDL_ACT_NONE) equals the lookup. */
edl_status edl_onehot(float *out, const int64_t *idx, size_t n, size_t classes);

/* ---- Matrix product ----------------------------------------------------------------------- */

/* C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X or X^T (trans_x != 0).
   op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are row strides. With beta == 0, C is
   not read. The same engine as the dense layer (a BLAS when the build found one). */
edl_status edl_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                     const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                     size_t ldc);

#ifdef __cplusplus
}
#endif
#endif /* EDL_H */
