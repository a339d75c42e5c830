/* edl: Embedding & Dense Layers.
 *
 * The core API: status codes, random numbers, the kernels (embedding gather and scatter,
 * embedding bags, dense layers, losses), models built from layers, optimizers and schedules,
 * datasets, the mini-batch trainer and model files. Applications built on it have headers of
 * their own, each including this one: edl_text.h (fastText's classifier, word vectors, vector
 * files), edl_rec.h (recommenders), edl_viz.h (projections and pictures). Every symbol is
 * prefixed edl_ / EDL_.
 *
 * Simple use: the kernels alone (edl_embedding_forward, edl_dense_forward, ...), or a model:
 * edl_model_from_spec -> edl_dataset_load_text -> edl_train -> edl_model_save / edl_model_load.
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

#define EDL_VERSION_MAJOR  0
#define EDL_VERSION_MINOR  1
#define EDL_VERSION_PATCH  0
#define EDL_VERSION_NUMBER (EDL_VERSION_MAJOR * 10000 + EDL_VERSION_MINOR * 100 + EDL_VERSION_PATCH)
#define EDL__STR2(x)       #x
#define EDL__STR(x)        EDL__STR2(x)
#define EDL_VERSION_STRING EDL__STR(EDL_VERSION_MAJOR) "." EDL__STR(EDL_VERSION_MINOR) "." EDL__STR(EDL_VERSION_PATCH)

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
    EDL_ERR_UNSUPPORTED = -7, /* valid request this build or kernel cannot serve */
    EDL_ERR_CANCELLED = -8    /* the caller's cancel callback stopped the work */
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

/* ---- Kernels: the contract (exact signatures other code relies on; PyTorch's semantics) ------ */

typedef enum { EDL_ACT_NONE = 0, EDL_ACT_RELU, EDL_ACT_SIGMOID, EDL_ACT_TANH } edl_act;
typedef enum { EDL_POOL_SUM = 0, EDL_POOL_MEAN, EDL_POOL_MAX } edl_pool;

/* out[i,:] = table[idx[i],:] for i < n; table is rows x dim, out is n x dim. n may be 0 (an empty
   batch, as the bag kernels take an empty idx): then out and idx may be NULL, and so may idx and
   dout in the backward. */
edl_status edl_embedding_forward(float *out, const float *table, size_t rows, size_t dim, const int64_t *idx, size_t n);
/* dtable[idx[i],:] += dout[i,:]. Rows no index names are never touched. */
edl_status edl_embedding_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx, size_t n,
                                  const float *dout);

/* Bag b pools rows idx[offsets[b] .. offsets[b+1]) (the last bag ends at n), as
   torch.nn.EmbeddingBag with include_last_offset=False; offsets must start at 0 and not decrease.
   out is bags x dim. weights: per-index weights or NULL (SUM only). padding_idx: -1 for none,
   else that index is skipped (and not counted by MEAN). An empty bag gives zeros. n may be 0
   (every bag empty; idx may then be NULL).
   argmax: NULL unless pool == EDL_POOL_MAX, then bags*dim entries receive the winning index
   (the table row; -1 for an empty bag; the first maximum wins ties) for the backward. */
edl_status edl_embedding_bag_forward(float *out, int64_t *argmax, const float *table, size_t rows, size_t dim,
                                     const int64_t *idx, size_t n, const int64_t *offsets, size_t bags,
                                     const float *weights, edl_pool pool, int64_t padding_idx);
edl_status edl_embedding_bag_backward(float *dtable, size_t rows, size_t dim, const int64_t *idx, size_t n,
                                      const int64_t *offsets, size_t bags, const float *weights, edl_pool pool,
                                      int64_t padding_idx, const int64_t *argmax, const float *dout);

/* Tables as int8 rows (FBGEMM's fused 8-bit row-wise quantization): row r keeps dim uint8 codes
   (codes[r*dim + d]) and a float scale and offset (scale_offset[2r], scale_offset[2r+1]), its
   value d being codes[r*dim + d] * scale + offset, with scale = (max - min) / 255 and offset = min
   of the row's floats: dim + 8 bytes a row instead of 4 dim. A value is off by at most scale / 2.
   Quantizing refuses a non-finite value (EDL_ERR_NUMERIC naming its row and column). */
edl_status edl_int8_rows_quantize(uint8_t *codes, float *scale_offset, const float *table, size_t rows, size_t dim);
edl_status edl_int8_rows_dequantize(float *table, const uint8_t *codes, const float *scale_offset, size_t rows,
                                    size_t dim);
/* edl_embedding_bag_forward on an int8 table, each looked-up row decoded as it is read (the table
   is never decoded whole): the same arguments, checks, errors and results (to the bit) as
   edl_embedding_bag_forward on the table edl_int8_rows_dequantize gives. */
edl_status edl_embedding_bag_forward_int8(float *out, int64_t *argmax, const uint8_t *codes, const float *scale_offset,
                                          size_t rows, size_t dim, const int64_t *idx, size_t n, const int64_t *offsets,
                                          size_t bags, const float *weights, edl_pool pool, int64_t padding_idx);

/* out[b,o] = act(sum_i in[b,i]*weight[o,i] + bias[o]); in is batch x in_dim, weight is
   out_dim x in_dim, out is batch x out_dim; bias may be NULL. */
edl_status edl_dense_forward(float *out, const float *in, size_t batch, size_t in_dim, size_t out_dim,
                             const float *weight, const float *bias, edl_act act);
/* From dout and the forward's in and out: din = (overwritten; may be NULL; must not overlap
   dout), dweight += (may be NULL for a frozen layer), dbias += (may be NULL). out may be NULL
   when act == EDL_ACT_NONE. */
edl_status edl_dense_backward(float *din, float *dweight, float *dbias, const float *dout, const float *in,
                              const float *out, size_t batch, size_t in_dim, size_t out_dim, const float *weight,
                              edl_act act);

/* Mean over the batch of -log softmax(logits)[target]; logits is batch x classes;
   dlogits (may be NULL) = (softmax - onehot)/batch. */
edl_status edl_softmax_cross_entropy(float *loss, float *dlogits, const float *logits, const int64_t *targets,
                                     size_t batch, size_t classes);

/* ---- More kernels ------------------------------------------------------------------------- */

/* Row-wise softmax / log-softmax of a batch x classes matrix (out may equal in). */
edl_status edl_softmax(float *out, const float *in, size_t batch, size_t classes);
edl_status edl_log_softmax(float *out, const float *in, size_t batch, size_t classes);

/* Elementwise activation, out = act(in) over n values (out may equal in), and its backward from
   the forward's output: din = dout * act'(.) (din may equal dout). */
edl_status edl_act_forward(float *out, const float *in, size_t n, edl_act act);
edl_status edl_act_backward(float *din, const float *dout, const float *out, size_t n, edl_act act);

/* Mean over n of max(x,0) - x*t + log(1 + exp(-|x|)) (F.binary_cross_entropy_with_logits);
   targets in [0, 1]; dlogits (may be NULL) = (sigmoid(x) - t)/n. */
edl_status edl_bce_with_logits(float *loss, float *dlogits, const float *logits, const float *targets, size_t n);
/* Mean over n of (pred - target)^2 (F.mse_loss); dpred (may be NULL) = 2 (pred - target)/n. */
edl_status edl_mse(float *loss, float *dpred, const float *pred, const float *target, size_t n);

/* Inverted dropout (F.dropout in training): each value is zeroed with probability p, the rest
   scaled by 1/(1-p). mask (n bytes) records the kept values for the backward. p in [0, 1);
   out may equal in. The RNG advances by n draws. */
edl_status edl_dropout_forward(float *out, uint8_t *mask, const float *in, size_t n, float p, edl_rng *rng);
/* din = dout * mask / (1-p) (din may equal dout). */
edl_status edl_dropout_backward(float *din, const float *dout, const uint8_t *mask, size_t n, float p);

/* PyTorch's max_norm (torch.embedding_renorm_): every distinct row named in idx whose p-norm
   exceeds max_norm is scaled in place by max_norm / (norm + 1e-7). norm_type > 0 (2 is usual;
   INFINITY means the largest magnitude).
   Call before edl_embedding_forward with the same indices. */
edl_status edl_embedding_renorm(float *table, size_t rows, size_t dim, const int64_t *idx, size_t n, float max_norm,
                                float norm_type);

/* out is n x classes: out[i, idx[i]] = 1, zero elsewhere (F.one_hot as float). With it,
   edl_dense_forward(out, onehot, n, rows, dim, table^T, NULL, EDL_ACT_NONE) equals the lookup. */
edl_status edl_onehot(float *out, const int64_t *idx, size_t n, size_t classes);

/* ---- Models ------------------------------------------------------------------------------- */

/* A model is a stack of layers: one input layer, then dense and dropout layers, then a loss.
 *   input(dim)                          float features, batch x dim
 *   embedding(rows, dim, len, pool)     len indices per example; pool flatten (len*dim out) or
 *                                       sum/mean/max over the sequence (dim out)
 *   embedding_bag(rows, dim, pool)      a variable-length bag of indices per example (dim out)
 *   dense(out, act, bias)               y = act(x W^T + b), W is out x in
 *   dropout(p)                          inverted dropout, identity at inference
 * The spec language writes the same in one line, e.g.
 *   "embedding_bag(rows=5000,dim=64,pool=mean) dense(128,act=relu) dropout(0.2) dense(10)"
 * All parameters live in one contiguous float block, with a gradient block of the same layout.
 * Embedding gradients are row-sparse: a step costs rows touched x dim, never rows x dim. */
typedef struct edl_model edl_model;

typedef enum { EDL_LOSS_SOFTMAX_CE = 0, EDL_LOSS_BCE, EDL_LOSS_MSE } edl_loss;
typedef enum {
    EDL_LAYER_INPUT = 0,
    EDL_LAYER_EMBEDDING,
    EDL_LAYER_EMBEDDING_BAG,
    EDL_LAYER_DENSE,
    EDL_LAYER_DROPOUT
} edl_layer_kind;
/* Initialisation schemes:
 *   TORCH     embedding N(0,1); dense weight and bias U(-1/sqrt(in), 1/sqrt(in)) (PyTorch's defaults)
 *   KERAS     embedding U(-0.05, 0.05); dense Glorot-uniform weight, zero bias
 *   FASTTEXT  embedding U(-1/dim, 1/dim); dense weight and bias zero (fastText's output layer)
 * A padding row is zero under every scheme. */
typedef enum { EDL_INIT_TORCH = 0, EDL_INIT_KERAS, EDL_INIT_FASTTEXT } edl_init;
/* Pool value for an embedding layer whose len vectors are concatenated, not pooled. */
#define EDL_POOL_FLATTEN ((edl_pool)-1)

edl_status edl_model_create(edl_model **model);
void edl_model_free(edl_model *model);
/* Parses a spec, builds the model and initialises it with scheme and seed. A layer's own
   init=torch|keras|fasttext option overrides scheme. An optional last item loss(softmax|bce|mse)
   chooses the loss (default softmax). Errors name the column of the spec. */
edl_status edl_model_from_spec(edl_model **model, const char *spec, edl_init scheme, uint64_t seed);
/* Parses a spec into a model that is not yet initialised: its layers, shapes, parameter counts,
   spec and summary, and nothing allocated in proportion to its tables (a summary of a 4 EiB
   model costs microseconds). Refuses what edl_model_from_spec refuses, except the allocation
   itself; edl_model_init allocates and initialises the parameters later. */
edl_status edl_model_parse_spec(edl_model **model, const char *spec);

/* Building from C: add layers in order (the first must be an input layer), then edl_model_init. */
edl_status edl_model_add_input(edl_model *m, size_t dim);
edl_status edl_model_add_embedding(edl_model *m, size_t rows, size_t dim, size_t len, edl_pool pool,
                                   int64_t padding_idx);
edl_status edl_model_add_embedding_bag(edl_model *m, size_t rows, size_t dim, edl_pool pool, int64_t padding_idx);
edl_status edl_model_add_dense(edl_model *m, size_t out, edl_act act, int bias);
edl_status edl_model_add_dropout(edl_model *m, float p);
edl_status edl_model_set_loss(edl_model *m, edl_loss loss);
/* Tables larger than memory: before edl_model_init, puts the parameter block, its gradients and
   the optimizer's state (and edl_train's copy of the best parameters) in one unnamed scratch
   file in directory dir, mapped shared: the kernel keeps the rows in use in memory and writes the
   others to dir's disk, so the model may be many times larger than RAM. The file is sparse (it
   costs disk where it was written) and has no name, so it vanishes with the model or the process,
   killed or not; edl_model_save writes the model's file as ever (atomically), so checkpoints stay
   whole. Training gives bit for bit the results of the model in memory. NULL: in memory (default). */
edl_status edl_model_set_table_dir(edl_model *m, const char *dir);
/* Allocates the parameter block (first call) and fills every layer by its scheme. */
edl_status edl_model_init(edl_model *m, edl_init scheme, uint64_t seed);
/* Per-layer settings: a layer's own init scheme (before edl_model_init), frozen (no gradient,
   no update), and for embeddings whether optimizers update only touched rows (lazy, default) or
   every row (dense form, as PyTorch's optimizers on a dense gradient); a gradient already computed
   is kept for the next step in the new form. */
edl_status edl_model_set_layer_init(edl_model *m, size_t layer, edl_init scheme);
edl_status edl_model_freeze(edl_model *m, size_t layer, int frozen);
edl_status edl_model_set_sparse(edl_model *m, size_t layer, int sparse);
/* Copies count floats into a layer's "weight" or "bias" (pretrained vectors, or weights from
   PyTorch: the layouts are the same). count must equal the tensor's size. */
edl_status edl_model_set_tensor(edl_model *m, size_t layer, const char *which, const float *data, size_t count);
/* A pointer to a layer's tensor inside the parameter block (NULL if it has none), and its size. */
float *edl_model_tensor(edl_model *m, size_t layer, const char *which, size_t *count);

typedef struct {
    edl_layer_kind kind;
    char name[32];          /* e.g. "embedding_bag", "dense_1" */
    size_t in_dim, out_dim; /* features per example in and out */
    size_t rows, dim, len;  /* embeddings */
    edl_pool pool;
    int64_t padding_idx;
    edl_act act;
    int bias, frozen, sparse;
    float p;       /* dropout */
    size_t params; /* trainable or not: rows*dim, in*out + out, ... */
    size_t bytes;  /* params * sizeof(float) */
} edl_layer_info;

size_t edl_model_num_layers(const edl_model *m);
edl_status edl_model_layer_info(const edl_model *m, size_t layer, edl_layer_info *info);
edl_loss edl_model_loss(const edl_model *m);
size_t edl_model_output_dim(const edl_model *m);
/* Total, trainable and frozen parameter counts. */
void edl_model_param_counts(const edl_model *m, size_t *total, size_t *trainable, size_t *frozen);
/* The canonical one-line spec of the model (parse it to get the same architecture). */
edl_status edl_model_spec(const edl_model *m, char *buf, size_t size);
/* A table like Keras's model.summary(): layer, output shape, parameters, bytes, then the
   total/trainable/non-trainable counts. Writes at most size bytes (NUL-terminated); returns
   EDL_ERR_ARG naming the size needed when buf is too small. */
edl_status edl_model_summary(const edl_model *m, char *buf, size_t size);
/* The length of that table without its NUL (0 for NULL): a buffer of this + 1 bytes holds it. */
size_t edl_model_summary_len(const edl_model *m);

/* A batch of n examples. Which fields are read depends on the input layer and the loss:
 *   input(dim):            x, n x dim floats
 *   embedding(len):        idx, n x len indices
 *   embedding_bag:         idx (nidx indices), offsets (n starts, first 0), weights (nidx) or NULL
 *   softmax loss:          labels, n classes
 *   bce / mse loss:        targets, n x output_dim floats */
typedef struct {
    size_t n;
    const float *x;
    const int64_t *idx;
    size_t nidx;
    const int64_t *offsets;
    const float *weights;
    const int64_t *labels;
    const float *targets;
} edl_batch;

/* Inference: out (n x output_dim) receives probabilities (softmax or sigmoid) or, for mse, the
   raw outputs. Dropout is the identity. Safe to call from many threads on one model at once:
   it reads the model and allocates its own workspace. */
edl_status edl_model_predict(const edl_model *m, const edl_batch *b, float *out);

/* ---- Optimizers --------------------------------------------------------------------------- */

typedef enum {
    EDL_OPT_SGD = 0,         /* momentum, dampening, nesterov, weight_decay (torch.optim.SGD) */
    EDL_OPT_ADAGRAD,         /* lr_decay, weight_decay, initial_accumulator, eps */
    EDL_OPT_ROWWISE_ADAGRAD, /* one accumulator per embedding row (mean of g^2 over the row);
                                 elementwise Adagrad for dense layers */
    EDL_OPT_ADAM,            /* beta1, beta2, eps, weight_decay as L2 (torch.optim.Adam) */
    EDL_OPT_ADAMW            /* decoupled weight decay (torch.optim.AdamW) */
} edl_opt_kind;

typedef struct {
    edl_opt_kind kind;
    float lr;
    float momentum, dampening, weight_decay;
    int nesterov;
    float beta1, beta2, eps;
    float lr_decay, initial_accumulator;
    float clip_norm; /* > 0: scale all gradients so their global L2 norm is at most this */
} edl_optim_config;

/* Fills c with PyTorch's defaults for kind (lr 1e-3 for Adam/AdamW, 1e-2 for Adagrad and SGD,
   eps 1e-8 or 1e-10 for Adagrad, weight_decay 0, or 1e-2 for AdamW). */
void edl_optim_defaults(edl_optim_config *c, edl_opt_kind kind);

typedef struct edl_optim edl_optim;
/* The optimizer owns its state (moments, accumulators), sized for m's parameter block. For an
   embedding layer in the lazy (sparse) form only touched rows' state changes, as
   torch.optim.SparseAdam; in the dense form every row is updated, as torch.optim.Adam on a
   dense gradient. */
edl_status edl_optim_create(edl_optim **opt, edl_model *m, const edl_optim_config *c);
void edl_optim_free(edl_optim *opt);
/* One update of m's parameters from its gradients at learning rate lr; then zeroes them. */
edl_status edl_optim_step(edl_optim *opt, float lr);

/* Learning-rate schedules: lr at step (0-based) of total steps, after warmup steps of linear
   increase from 0. LINEAR decays to 0 at total (fastText's), COSINE to 0 along a half cosine. */
typedef enum { EDL_SCHED_CONSTANT = 0, EDL_SCHED_LINEAR, EDL_SCHED_COSINE } edl_schedule;
float edl_schedule_lr(edl_schedule s, float base_lr, uint64_t step, uint64_t total, uint64_t warmup);

/* ---- Names -------------------------------------------------------------------------------- */

/* One canonical spelling for each value of the named enums, the one specs, summaries, model files
   and the CLI write: edl_X_name(value) gives it (a static string), or NULL for a value that is not
   one of the enum's. Values run from 0 without gaps (EDL_POOL_FLATTEN, -1, aside), so
   `for (int i = 0; edl_X_name(i); i++)` lists them. edl_X_from_name(name, &value) takes a
   canonical name or a documented alias (case matters); an unknown name is EDL_ERR_ARG, the last
   error naming it and the canonical names. The domain headers add theirs: edl_textclf_loss and
   edl_vec_format (edl_text.h), edl_rec_kind, edl_ratings_format and edl_split_kind (edl_rec.h). */
const char *edl_act_name(edl_act act); /* none relu sigmoid tanh */
edl_status edl_act_from_name(const char *name, edl_act *act);
const char *edl_pool_name(edl_pool pool); /* sum mean max; flatten (EDL_POOL_FLATTEN) */
edl_status edl_pool_from_name(const char *name, edl_pool *pool);
const char *edl_loss_name(edl_loss loss); /* softmax bce mse */
edl_status edl_loss_from_name(const char *name, edl_loss *loss);
const char *edl_init_name(edl_init init); /* torch keras fasttext */
edl_status edl_init_from_name(const char *name, edl_init *init);
const char *edl_layer_kind_name(edl_layer_kind kind); /* input embedding embedding_bag dense dropout */
edl_status edl_layer_kind_from_name(const char *name, edl_layer_kind *kind);
/* sgd adagrad rowwise-adagrad adam adamw; also takes rowwise_adagrad */
const char *edl_opt_name(edl_opt_kind kind);
edl_status edl_opt_from_name(const char *name, edl_opt_kind *kind);
const char *edl_schedule_name(edl_schedule s); /* constant linear cosine */
edl_status edl_schedule_from_name(const char *name, edl_schedule *s);
/* Compressed tables (word vectors, recommender tables: edl convert -quantize): none; int8 rows
   (edl_int8_rows_quantize); pq, product quantization (M sub-vectors, each one of 256 centroids:
   M bytes a row). */
typedef enum { EDL_QUANT_NONE = 0, EDL_QUANT_INT8, EDL_QUANT_PQ } edl_quant_kind;
const char *edl_quant_name(edl_quant_kind kind); /* none int8 pq */
edl_status edl_quant_from_name(const char *name, edl_quant_kind *kind);

/* ---- Training ----------------------------------------------------------------------------- */

/* Forward and backward of one batch on the model's own workspace: the loss (mean over the
   batch) into *loss, gradients accumulated into the model's gradient block. rng drives dropout
   (may be NULL when the model has none). Returns EDL_ERR_NUMERIC naming the layer when the loss
   or a gradient is not finite. Not thread-safe on one model. */
edl_status edl_model_forward_backward(edl_model *m, const edl_batch *b, edl_rng *rng, float *loss);
/* Zeroes the gradients (only the touched rows of embeddings). */
void edl_model_zero_grad(edl_model *m);

typedef struct edl_comm edl_comm; /* the processes of a run: see Communicator below */

/* A dataset of examples held in memory: index lists (CSR) or feature rows, with class labels or
   float targets. */
typedef struct edl_dataset edl_dataset;
/* feature_dim 0: examples are index lists; target_dim 0: targets are class labels. */
edl_status edl_dataset_create(edl_dataset **d, size_t feature_dim, size_t target_dim);
void edl_dataset_free(edl_dataset *d);
edl_status edl_dataset_add_indices(edl_dataset *d, const int64_t *idx, size_t n, int64_t label, const float *targets);
edl_status edl_dataset_add_features(edl_dataset *d, const float *x, int64_t label, const float *targets);
size_t edl_dataset_size(const edl_dataset *d);
/* Reads a dataset from text, one example a line: `TARGET INPUTS...`, whitespace-separated.
   TARGET is an integer class (target_dim 0) or target_dim comma-separated floats; INPUTS are
   integer indices (feature_dim 0) or feature_dim floats. Empty lines and lines starting with
   '#' are skipped. "-" reads standard input. The text is read in 64 KiB chunks and never held:
   only the examples are kept. Errors name the file, line and column. */
edl_status edl_dataset_load_text(edl_dataset **d, const char *path, size_t feature_dim, size_t target_dim);
/* Collective: each rank of comm reads its share of the file (the lines starting in its part of the
   bytes, rank order), so the ranks' datasets in rank order are the file's. An error in any share
   fails every rank with that rank's message (file and line); the file must hold an example in
   some share. comm NULL: edl_dataset_load_text. Standard input cannot be shared. */
edl_status edl_dataset_load_text_comm(edl_dataset **d, const char *path, size_t feature_dim, size_t target_dim,
                                      edl_comm *comm);

/* ---- Communicator: the processes of one training run ----------------------------------------
   A run started by mpirun (edl built with MPI: `make MPI=1`, or mpicc found) spans every process
   mpirun started, its ranks 0 .. size-1; anything else is one process of rank 0. Trainers take
   an edl_comm (NULL: one process) and run the same code either way: each rank trains on its share
   of the data and they synchronise through the communicator; rank 0 writes the model. Every rank
   calls the same trainer with the same arguments (checked at start). */
/* Joins the run this process belongs to: MPI's world (MPI_Init_thread) when edl was built with
   MPI and mpirun started the process, else one process. EDL_ERR_UNSUPPORTED when mpirun started
   a build without MPI (N copies would each train the whole run). Once per process. */
edl_status edl_comm_create(edl_comm **comm);
/* Leaves the run (MPI_Finalize): every rank calls it, after its last use. NULL: no-op. */
void edl_comm_free(edl_comm *comm);
int edl_comm_size(const edl_comm *comm); /* 1 for NULL */
int edl_comm_rank(const edl_comm *comm); /* 0 for NULL */
/* Bytes this process has handed to the network so far, counted as the bandwidth-optimal
   algorithms send them: an allreduce of B bytes 2B(N-1)/N, an allgather of B bytes in all
   B(N-1)/N, an all-to-all what goes to other ranks, a broadcast B from its root. */
uint64_t edl_comm_bytes_sent(const edl_comm *comm);
/* Collective (every rank calls it): each rank passes its own status; every rank gets EDL_OK when
   all were EDL_OK, else the lowest failing rank's status and message, prefixed "rank R: ". How a
   failure only one rank saw (a bad line in its share of the input) stops every rank with its words. */
edl_status edl_comm_agree(edl_comm *comm, edl_status status);
/* Collective: refuses on every rank, naming the first rank that differs, when a rank's n bytes
   are not rank 0's (what names them: "arguments"). How mismatched flags are found before any work. */
edl_status edl_comm_same(edl_comm *comm, const char *what, const void *bytes, size_t n);

/* Training progress, as every trainer reports it (edl_train, the text classifier, word vectors,
   recommenders): to a callback, one call at a time, maybe from a training thread. */
typedef struct {
    size_t epoch, epochs;       /* 1-based: the epoch running, or the one this report closes */
    uint64_t step, total_steps; /* optimizer steps done, and planned (fastText-style trainers:
                                   tokens done, and the run's tokens) */
    double progress;            /* 0..1: the share of the run done */
    double seconds, eta_seconds;
    double examples_per_second;       /* (fastText-style trainers: tokens per second) */
    double words_per_sec_thread;      /* fastText's figure: tokens a second per thread (text trainers) */
    float lr;                         /* the rate now */
    float loss, accuracy;             /* running means (accuracy NaN where not measured) */
    float valid_loss, valid_accuracy; /* at an epoch's end, when there is validation data (else NaN) */
    int epoch_end;                    /* 1 in exactly one report an epoch, once its last
                                          example is done */
} edl_progress;

typedef struct {
    size_t epochs;            /* default 5 */
    size_t batch_size;        /* default 32 */
    uint64_t seed;            /* shuffling and dropout */
    float valid_split;        /* fraction held out when valid is NULL (0: none) */
    const edl_dataset *valid; /* validation data, or NULL */
    size_t patience;          /* stop after this many epochs without a better validation loss
                                 (0: never); the best parameters are restored */
    edl_optim_config optim;
    edl_schedule schedule;
    uint64_t warmup_steps;
    /* Called every progress_seconds (default 0.5) and at each epoch's end; may be NULL. */
    void (*progress)(const edl_progress *p, void *user);
    void *user;
    double progress_seconds;
    /* Checkpoints: when checkpoint is a path, the model is saved there with edl_model_save
       (atomically: a process killed at any moment leaves the previous checkpoint whole) at each
       epoch's end and, when checkpoint_steps > 0, every checkpoint_steps steps, with metadata
       train.checkpoint_epoch and train.checkpoint_step. */
    const char *checkpoint;
    uint64_t checkpoint_steps;
    /* The run's processes (NULL: this one alone). With several ranks, each passes its share of the
       examples (edl_dataset_load_text_comm; shares in rank order make the whole data set, and so do
       the validation data's) and the same config; every global batch is the one one process would
       take, each rank adds the gradients of the examples it holds and the ranks sum them (dense
       tensors whole, tables' touched rows only), so every rank makes the same steps and ends with
       the same model, equal to one process's up to float rounding. Rank 0 alone writes
       checkpoints; progress reports are rank 0's figures for its share (the epoch's end: the
       whole run's). */
    edl_comm *comm;
} edl_train_config;

typedef struct {
    size_t epochs_run, best_epoch;
    uint64_t steps;
    float train_loss, train_accuracy, valid_loss, valid_accuracy, best_valid_loss;
    double seconds;
} edl_train_report;

/* Fills c with defaults: 5 epochs, batch 32, Adam at PyTorch's defaults, constant schedule. */
void edl_train_defaults(edl_train_config *c);
/* Mini-batch training with seeded shuffling (bit-reproducible with one thread and a seed). */
edl_status edl_train(edl_model *m, const edl_dataset *data, const edl_train_config *c, edl_train_report *report);
/* Mean loss and accuracy (softmax: argmax == label; bce: each output thresholded at 0.5) of the
   model over a dataset. accuracy is NaN for mse. */
edl_status edl_evaluate(const edl_model *m, const edl_dataset *data, float *loss, float *accuracy);

/* ---- Files -------------------------------------------------------------------------------- */

/* Saves the model as one safetensors file: every tensor ("<layer>.weight", "<layer>.bias",
   named by the layer's position in the spec; weights [out][in] as torch.nn.Linear) and __metadata__ with "edl.spec", "edl.version", and the
   caller's key/value strings (keys and values NUL-terminated; may be NULL when nmeta is 0).
   Atomic: a temporary file in the same directory, fsync, rename, fsync of the directory; on
   any failure the old file is left as it was. */
edl_status edl_model_save(const edl_model *m, const char *path, const char *const *meta_keys,
                          const char *const *meta_values, size_t nmeta);
/* Tensors saved beside a model's own (a vocabulary as bytes and offsets, label names, ...). */
typedef enum { EDL_DTYPE_F32 = 0, EDL_DTYPE_I64, EDL_DTYPE_U8 } edl_dtype;
typedef struct {
    const char *name; /* anything but a layer's "<n>.weight" / "<n>.bias" */
    edl_dtype dtype;
    size_t rank; /* 1 or 2 */
    size_t shape[2];
    const void *data;
} edl_tensor;
/* edl_model_save with extra tensors (nextra may be 0). */
edl_status edl_model_save_ex(const edl_model *m, const char *path, const char *const *meta_keys,
                             const char *const *meta_values, size_t nmeta, const edl_tensor *extra, size_t nextra);
/* An extra tensor of the file the model was loaded from, or NULL. */
const edl_tensor *edl_model_extra(const edl_model *m, const char *name);
/* Loads a model saved by edl_model_save. Every field is checked before anything is allocated
   from it; errors name the file, the byte offset and the reason. */
edl_status edl_model_load(edl_model **m, const char *path);
/* A metadata value of the file the model was loaded from (NULL if absent). */
const char *edl_model_meta(const edl_model *m, const char *key);
/* Whether a file can be written at path, as far as can be known before the work that makes it:
   the path is not a directory, its directory exists and takes a new file (one is made and
   removed), an existing device or FIFO is writable. Every save of edl (models, vectors,
   ratings, pictures) replaces a regular file atomically and writes a device or FIFO in place,
   never replacing it; a temporary file has no name while it is written, so a process killed
   mid-save leaves none behind. Call this before training to find a bad output path first. */
edl_status edl_check_output(const char *path);

/* ---- Reading lines ------------------------------------------------------------------------ */

/* The reader of every input edl reads line by line (datasets, test files, vectors, ratings,
   questions, the CLI's standard input): a file or standard input read in bounded chunks, so that
   any line length works and memory stays one chunk (64 KiB), or the longest line when that is
   longer. A line ends at "\n" or at the
   end of the input; the "\n" and one "\r" before it (or a "\r" ending the input) are not part
   of it. NUL bytes are passed on (the length counts them; callers refuse them where they must).
   A pipe or terminal gives each line as soon as it has arrived.
     edl_lines *r;
     char *line;
     size_t len;
     edl_status s = edl_lines_open(&r, path);
     while (s == EDL_OK && (s = edl_lines_next(r, &line, &len)) == EDL_OK && line) use(line, len);
     edl_lines_close(r); */
typedef struct edl_lines edl_lines;
/* Opens path ("-": standard input, left open by edl_lines_close). A path that is empty, cannot be
   opened or is a directory fails naming it and the reason ("Is a directory"). Messages name the
   input as path. */
edl_status edl_lines_open(edl_lines **r, const char *path);
/* Reads the open descriptor fd from its current offset, without closing it; messages name the
   input as name. fd is read with read(2): a FILE opened on it must not have been read before. */
edl_status edl_lines_from_fd(edl_lines **r, int fd, const char *name);
/* The next line: *line (NUL-terminated after its len bytes; writable, valid until the next call)
   and *len. At the end of the input: EDL_OK with *line == NULL and *len == 0. A read error
   returns EDL_ERR_IO ("NAME: read error after line N: reason", errno kept as read(2) left it),
   a line that no memory can hold EDL_ERR_NOMEM ("NAME:N: no memory for a line"). */
edl_status edl_lines_next(edl_lines *r, char **line, size_t *len);
/* The 1-based number of the line last returned (0 before the first). */
size_t edl_lines_number(const edl_lines *r);
/* The byte offset of the first byte of the line last returned, counted from where reading began
   (byte 0 of a file edl_lines_open opened). */
uint64_t edl_lines_offset(const edl_lines *r);
/* Whether the line last returned ended with "\n" (0: the input ended inside it). */
int edl_lines_newline(const edl_lines *r);
/* Closes what edl_lines_open opened and frees r; NULL is a no-op. */
void edl_lines_close(edl_lines *r);

/* ---- Matrix product ----------------------------------------------------------------------- */

/* C = alpha * op(A) op(B) + beta * C, row-major; op(X) = X or X^T (trans_x != 0).
   op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are row strides. With beta == 0, C is
   not read. The same engine as the dense layer (a BLAS when the build found one). */
edl_status edl_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc);

#ifdef __cplusplus
}
#endif
#endif /* EDL_H */
