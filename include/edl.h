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

/* out[i,:] = table[idx[i],:] for i < n; table is rows x dim, out is n x dim. n may be 0 (an empty
   batch, as the bag kernels take an empty idx): then out and idx may be NULL, and so may idx and
   dout in the backward. */
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
/* From dout and the forward's in and out: din = (overwritten; may be NULL; must not overlap
   dout), dweight += (may be NULL for a frozen layer), dbias += (may be NULL). out may be NULL
   when act == EDL_ACT_NONE. */
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
   exceeds max_norm is scaled in place by max_norm / (norm + 1e-7). norm_type > 0 (2 is usual;
   INFINITY means the largest magnitude).
   Call before edl_embedding_forward with the same indices. */
edl_status edl_embedding_renorm(float *table, size_t rows, size_t dim, const int64_t *idx,
                                size_t n, float max_norm, float norm_type);

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
edl_status edl_model_from_spec(edl_model **model, const char *spec, edl_init scheme,
                               uint64_t seed);
/* Parses a spec into a model that is not yet initialised: its layers, shapes, parameter counts,
   spec and summary, and nothing allocated in proportion to its tables (a summary of a 4 EiB
   model costs microseconds). Refuses what edl_model_from_spec refuses, except the allocation
   itself; edl_model_init allocates and initialises the parameters later. */
edl_status edl_model_parse_spec(edl_model **model, const char *spec);

/* Building from C: add layers in order (the first must be an input layer), then edl_model_init. */
edl_status edl_model_add_input(edl_model *m, size_t dim);
edl_status edl_model_add_embedding(edl_model *m, size_t rows, size_t dim, size_t len,
                                   edl_pool pool, int64_t padding_idx);
edl_status edl_model_add_embedding_bag(edl_model *m, size_t rows, size_t dim, edl_pool pool,
                                       int64_t padding_idx);
edl_status edl_model_add_dense(edl_model *m, size_t out, edl_act act, int bias);
edl_status edl_model_add_dropout(edl_model *m, float p);
edl_status edl_model_set_loss(edl_model *m, edl_loss loss);
/* Allocates the parameter block (first call) and fills every layer by its scheme. */
edl_status edl_model_init(edl_model *m, edl_init scheme, uint64_t seed);
/* Per-layer settings: a layer's own init scheme (before edl_model_init), frozen (no gradient,
   no update), and for embeddings whether optimizers update only touched rows (lazy, default) or
   every row (dense form, as PyTorch's optimizers on a dense gradient). */
edl_status edl_model_set_layer_init(edl_model *m, size_t layer, edl_init scheme);
edl_status edl_model_freeze(edl_model *m, size_t layer, int frozen);
edl_status edl_model_set_sparse(edl_model *m, size_t layer, int sparse);
/* Copies count floats into a layer's "weight" or "bias" (pretrained vectors, or weights from
   PyTorch: the layouts are the same). count must equal the tensor's size. */
edl_status edl_model_set_tensor(edl_model *m, size_t layer, const char *which, const float *data,
                                size_t count);
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
    float p; /* dropout */
    size_t params;          /* trainable or not: rows*dim, in*out + out, ... */
    size_t bytes;           /* params * sizeof(float) */
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
    EDL_OPT_SGD = 0,          /* momentum, dampening, nesterov, weight_decay (torch.optim.SGD) */
    EDL_OPT_ADAGRAD,          /* lr_decay, weight_decay, initial_accumulator, eps */
    EDL_OPT_ROWWISE_ADAGRAD,  /* one accumulator per embedding row (mean of g^2 over the row);
                                 elementwise Adagrad for dense layers */
    EDL_OPT_ADAM,             /* beta1, beta2, eps, weight_decay as L2 (torch.optim.Adam) */
    EDL_OPT_ADAMW             /* decoupled weight decay (torch.optim.AdamW) */
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
float edl_schedule_lr(edl_schedule s, float base_lr, uint64_t step, uint64_t total,
                      uint64_t warmup);

/* ---- Training ----------------------------------------------------------------------------- */

/* Forward and backward of one batch on the model's own workspace: the loss (mean over the
   batch) into *loss, gradients accumulated into the model's gradient block. rng drives dropout
   (may be NULL when the model has none). Returns EDL_ERR_NUMERIC naming the layer when the loss
   or a gradient is not finite. Not thread-safe on one model. */
edl_status edl_model_forward_backward(edl_model *m, const edl_batch *b, edl_rng *rng,
                                      float *loss);
/* Zeroes the gradients (only the touched rows of embeddings). */
void edl_model_zero_grad(edl_model *m);

/* A dataset of examples held in memory: index lists (CSR) or feature rows, with class labels or
   float targets. */
typedef struct edl_dataset edl_dataset;
/* feature_dim 0: examples are index lists; target_dim 0: targets are class labels. */
edl_status edl_dataset_create(edl_dataset **d, size_t feature_dim, size_t target_dim);
void edl_dataset_free(edl_dataset *d);
edl_status edl_dataset_add_indices(edl_dataset *d, const int64_t *idx, size_t n, int64_t label,
                                   const float *targets);
edl_status edl_dataset_add_features(edl_dataset *d, const float *x, int64_t label,
                                    const float *targets);
size_t edl_dataset_size(const edl_dataset *d);
/* Reads a dataset from text, one example a line: `TARGET INPUTS...`, whitespace-separated.
   TARGET is an integer class (target_dim 0) or target_dim comma-separated floats; INPUTS are
   integer indices (feature_dim 0) or feature_dim floats. Empty lines and lines starting with
   '#' are skipped. "-" reads standard input. Errors name the file, line and column. */
edl_status edl_dataset_load_text(edl_dataset **d, const char *path, size_t feature_dim,
                                 size_t target_dim);

typedef struct {
    size_t epoch, epochs;       /* 1-based epoch */
    uint64_t step, total_steps; /* optimizer steps done, and planned */
    double seconds, eta_seconds;
    double examples_per_second;
    float lr;
    float loss, accuracy;              /* running means over this epoch */
    float valid_loss, valid_accuracy;  /* at an epoch's end, when there is validation data */
    int epoch_end;                     /* 1 when this report closes an epoch */
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
edl_status edl_train(edl_model *m, const edl_dataset *data, const edl_train_config *c,
                     edl_train_report *report);
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
    const char *name;  /* anything but a layer's "<n>.weight" / "<n>.bias" */
    edl_dtype dtype;
    size_t rank;       /* 1 or 2 */
    size_t shape[2];
    const void *data;
} edl_tensor;
/* edl_model_save with extra tensors (nextra may be 0). */
edl_status edl_model_save_ex(const edl_model *m, const char *path, const char *const *meta_keys,
                             const char *const *meta_values, size_t nmeta, const edl_tensor *extra,
                             size_t nextra);
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

/* ---- Text classification (fastText's supervised mode) ----------------------------------- */

/* A classifier: words and word n-grams (hashed into buckets) -> an embedding bag (mean) ->
   optional hidden dense layers with ReLU -> a dense output with softmax, one-vs-all sigmoids or
   hierarchical softmax. Input is fastText's format: one example a line, "__label__X" tokens
   and words separated by whitespace. */
typedef struct edl_textclf edl_textclf;
typedef enum { EDL_TEXTCLF_SOFTMAX = 0, EDL_TEXTCLF_OVA, EDL_TEXTCLF_HS } edl_textclf_loss;

typedef struct {
    double progress;            /* 0..1 */
    double words_per_sec_thread;
    float lr, loss;             /* current rate and running mean loss */
    double seconds, eta_seconds;
    size_t epoch;               /* 1-based: the epoch running, or the one this report closes */
    int epoch_end;              /* 1 in exactly one report an epoch, once its last example is done
                                   (edl_textclf_train; edl_wordvec_train leaves epoch and this 0) */
} edl_textclf_progress;

typedef struct {
    /* fastText's flags, with fastText's defaults for supervised mode */
    size_t dim;                 /* 100 */
    float lr;                   /* 0.1 */
    size_t epoch;               /* 5 */
    size_t word_ngrams;         /* 1 */
    size_t bucket;              /* 2000000 (ignored when word_ngrams <= 1, as fastText does) */
    int64_t min_count;          /* 1 */
    int64_t min_count_label;    /* 0 */
    const char *label;          /* "__label__" */
    edl_textclf_loss loss;      /* softmax */
    int thread;                 /* 12 */
    uint64_t seed;              /* 0 */
    size_t lr_update_rate;      /* 100 */
    const char *pretrained_vectors; /* a .vec file (word2vec text format) or NULL */
    /* edl's additions */
    const size_t *hidden;       /* sizes of hidden ReLU layers (nhidden of them) */
    size_t nhidden;
    float dropout;              /* after each hidden layer */
    int optimizer;              /* -1: fastText's plain SGD; else an edl_opt_kind */
    size_t batch;               /* 0: example by example (fastText); > 0: mini-batches */
    const char *valid;          /* validation file: early stopping with patience */
    size_t patience;
    /* Reports progress, one call at a time but maybe from a training thread; may be NULL. */
    void (*progress)(const edl_textclf_progress *p, void *user);
    void *user;
} edl_textclf_args;

typedef struct {
    size_t nwords, nlabels, nexamples, skipped_no_label;
    int64_t ntokens;
    double seconds, words_per_sec_thread;
    float loss;
} edl_textclf_report;

void edl_textclf_defaults(edl_textclf_args *a);
/* Trains on the file at input ("-" for standard input). Without hidden layers, mini-batches or
   another optimizer this is fastText's algorithm: per-example SGD, the learning rate decaying
   linearly over processed tokens, Hogwild threads (bit-reproducible with thread 1 and a seed).
   With them, mini-batch training of the general model. */
edl_status edl_textclf_train(edl_textclf **clf, const char *input, const edl_textclf_args *a,
                             edl_textclf_report *report);
void edl_textclf_free(edl_textclf *clf);
/* One safetensors file: the model's tensors, the vocabulary (vocab.bytes U8, vocab.offsets I64,
   vocab.counts I64) and the arguments in __metadata__. */
edl_status edl_textclf_save(const edl_textclf *clf, const char *path);
edl_status edl_textclf_load(edl_textclf **clf, const char *path);
const edl_model *edl_textclf_model(const edl_textclf *clf);
size_t edl_textclf_num_labels(const edl_textclf *clf);
/* The label's text ("__label__spam"), NUL-terminated in a thread-local buffer; NULL when out of
   range. */
const char *edl_textclf_label(const edl_textclf *clf, size_t label, size_t *len);
/* Top-k labels of one line of text with probability >= threshold, most probable first: *count
   (<= k) entries in labels and probs. A NaN threshold is refused (EDL_ERR_ARG), here and in
   edl_textclf_test. Safe from many threads on one classifier. */
edl_status edl_textclf_predict(const edl_textclf *clf, const char *line, size_t len, size_t k,
                               float threshold, int64_t *labels, float *probs, size_t *count);
/* The mean of the line's input rows (fastText's print-sentence-vectors): dim floats. */
edl_status edl_textclf_sentence_vector(const edl_textclf *clf, const char *line, size_t len,
                                       float *vec);
size_t edl_textclf_dim(const edl_textclf *clf);
/* The label probabilities (num_labels floats) from one word's own input row alone, without
   "</s>" or n-grams, through any hidden layers: which label the word's vector favours.
   EDL_ERR_ARG when the word is not in the vocabulary. */
edl_status edl_textclf_word_probs(const edl_textclf *clf, const char *word, size_t len,
                                  float *probs);
/* The output layer's row for a label (dim floats, in the same space as the word vectors), or
   NULL when there is none such: with hidden layers the output reads another space, and
   hierarchical softmax's rows are the tree's inner nodes. */
const float *edl_textclf_label_vector(const edl_textclf *clf, size_t label);

/* Evaluation as fastText's test: over lines with labels and words, precision = correct /
   predicted and recall = correct / gold over the top-k predictions above threshold, and the same
   per label (arrays of num_labels entries, owned by the result). */
typedef struct {
    size_t nexamples;
    uint64_t gold, predicted, correct;
    uint64_t *label_gold, *label_predicted, *label_correct;
    size_t nlabels;
} edl_textclf_meter;
edl_status edl_textclf_test(const edl_textclf *clf, const char *path, size_t k, float threshold,
                            edl_textclf_meter *meter);
void edl_textclf_meter_free(edl_textclf_meter *meter);

/* ---- Word vectors ------------------------------------------------------------------------- */

/* A set of word vectors: n words, each with dim floats, one contiguous n x dim table. */
typedef struct edl_vectors edl_vectors;
typedef enum {
    EDL_VEC_AUTO = 0,        /* by content: safetensors, word2vec binary (.bin), text with or without header */
    EDL_VEC_TEXT,            /* word2vec text / fastText .vec: "count dim" header, then "word v1 .. vd" */
    EDL_VEC_GLOVE,           /* GloVe text: the same rows, no header */
    EDL_VEC_BINARY,          /* word2vec binary: "count dim\n", then "word " and dim little-endian floats */
    EDL_VEC_SAFETENSORS      /* edl's file: the table and the vocabulary as tensors */
} edl_vec_format;

/* Reads vectors. Text is streamed (peak memory ~ the table's bytes); every row is checked
   (value count, numbers, finite, word length, duplicates, a header that lies) and errors name
   the file and line, or byte offset for binary. A text classifier or word-vector model file
   (safetensors) gives its words' vectors. */
edl_status edl_vectors_read(edl_vectors **v, const char *path, edl_vec_format format);
/* Writes vectors (atomically); EDL_VEC_AUTO picks by the file name (.bin, .safetensors, .txt for
   GloVe, else word2vec text). */
edl_status edl_vectors_write(const edl_vectors *v, const char *path, edl_vec_format format);
/* Vectors from words (NUL-terminated) and an n x dim table (copied). */
edl_status edl_vectors_create(edl_vectors **v, const char *const *words, const float *data,
                              size_t n, size_t dim);
void edl_vectors_free(edl_vectors *v);
size_t edl_vectors_count(const edl_vectors *v);
size_t edl_vectors_dim(const edl_vectors *v);
/* Word i (not NUL-terminated: *len bytes) and its row. */
const char *edl_vectors_word(const edl_vectors *v, size_t i, size_t *len);
const float *edl_vectors_row(const edl_vectors *v, size_t i);
/* The index of a word, or -1. */
int64_t edl_vectors_find(const edl_vectors *v, const char *word, size_t len);

/* The k words most similar (cosine) to query (dim floats) among the first `restrict` words (0:
   all), skipping exclude[0..nexclude); ids and sims receive *count <= k entries, best first. */
edl_status edl_vectors_nearest(const edl_vectors *v, const float *query, size_t k, size_t restrict_to,
                               const int64_t *exclude, size_t nexclude, int64_t *ids, float *sims,
                               size_t *count);
/* a : b :: c : ?  (3CosAdd on unit vectors: nearest to b - a + c, without a, b, c). */
edl_status edl_vectors_analogy(const edl_vectors *v, int64_t a, int64_t b, int64_t c, size_t k,
                               size_t restrict_to, int64_t *ids, float *sims, size_t *count);

/* word2vec's questions-words.txt format (": section" lines, then "a b c d"): the accuracy of
   each section and in total over questions whose words are all among the first restrict_to
   words (words are tried as written, then lowercased). */
typedef struct {
    char name[64];
    size_t correct, total;
} edl_analogy_section;
typedef struct {
    edl_analogy_section *sections;
    size_t nsections;
    size_t correct, total, skipped; /* skipped: questions with a word not covered */
} edl_analogy_result;
edl_status edl_vectors_eval_analogies(const edl_vectors *v, const char *path, size_t restrict_to,
                                      edl_analogy_result *r);
void edl_analogy_result_free(edl_analogy_result *r);
/* Word pairs with human scores ("w1 w2 score" a line, '#' comments): the Spearman correlation
   of the scores with cosine similarity over the pairs found, and how many were found. */
edl_status edl_vectors_eval_similarity(const edl_vectors *v, const char *path, double *spearman,
                                       size_t *found, size_t *total);

/* Learning word vectors: fastText's skip-gram and CBOW with negative sampling, frequent-word
   subsampling and (minn/maxn > 0) character n-grams, so unseen words get vectors too. */
typedef struct edl_wordvec edl_wordvec;
typedef struct {
    int cbow;                   /* 0: skip-gram, 1: CBOW */
    size_t dim;                 /* 100 */
    size_t ws;                  /* 5: context window */
    size_t epoch;               /* 5 */
    int64_t min_count;          /* 5 */
    size_t neg;                 /* 5: negatives sampled per positive */
    float lr;                   /* 0.05 (0.05 for both, as fastText) */
    float t;                    /* 1e-4: subsampling threshold */
    int thread;                 /* 12 */
    uint64_t seed;              /* 0 */
    size_t minn, maxn;          /* 3, 6: character n-gram lengths (0, 0: whole words only) */
    size_t bucket;              /* 2000000 */
    size_t lr_update_rate;      /* 100 */
    const char *label;          /* "__label__": such tokens are not words */
    void (*progress)(const edl_textclf_progress *p, void *user);
    void *user;
} edl_wordvec_args;

typedef struct {
    size_t nwords;
    int64_t ntokens;
    double seconds, words_per_sec_thread;
    float loss;
} edl_wordvec_report;

void edl_wordvec_defaults(edl_wordvec_args *a, int cbow);
edl_status edl_wordvec_train(edl_wordvec **w, const char *input, const edl_wordvec_args *a,
                             edl_wordvec_report *report);
void edl_wordvec_free(edl_wordvec *w);
/* The model file: the input table (words and n-gram buckets), the vocabulary, the arguments. */
edl_status edl_wordvec_save(const edl_wordvec *w, const char *path);
edl_status edl_wordvec_load(edl_wordvec **w, const char *path);
size_t edl_wordvec_dim(const edl_wordvec *w);
/* A word's vector: the mean of its rows (its own and its n-grams'); for a word not in the
   vocabulary, of its n-grams' (zeros without n-grams). */
edl_status edl_wordvec_word_vector(const edl_wordvec *w, const char *word, size_t len, float *vec);
/* Every word of the vocabulary with its vector (for .vec files and queries). */
edl_status edl_wordvec_vectors(const edl_wordvec *w, edl_vectors **v);

/* ---- Recommenders ------------------------------------------------------------------------- */

/* Rating or interaction records: (user, item, rating, timestamp) with the files' own 64-bit
   integer ids. Read from MovieLens u.data (tab: user item rating timestamp), ratings.dat
   (user::item::rating::timestamp), ratings.csv (header userId,movieId,rating,timestamp) or plain
   CSV/TSV with chosen columns. */
typedef struct edl_ratings edl_ratings;
typedef enum {
    EDL_RATINGS_AUTO = 0, /* by content: "::" -> DAT, a tab -> UDATA, else CSV */
    EDL_RATINGS_UDATA,    /* tab-separated, no header */
    EDL_RATINGS_DAT,      /* "::"-separated, no header */
    EDL_RATINGS_CSV       /* sep-separated (',' by default), header detected or as told */
} edl_ratings_format;

typedef struct {
    edl_ratings_format format;
    char sep;            /* CSV: the separator (0: ',') */
    int header;          /* CSV: -1 detect (a first line whose user and item fields are both not numbers), 0, 1 */
    int user_col, item_col, rating_col, time_col; /* 0-based columns; rating/time -1: absent
                                                     (rating 1, timestamp = line number) */
    int skip_bad;        /* 0: the first bad row fails the read; 1: bad rows are skipped, counted */
} edl_ratings_options;

/* Why rows were skipped (skip_bad = 1); first names the first one ("file:line: reason"). */
typedef struct {
    size_t lines, rows, skipped;
    size_t missing_field, bad_id, bad_rating, bad_time, not_utf8, duplicate;
    char first[256];
} edl_ratings_report;

/* Defaults: AUTO, columns 0 1 2 3, fail on bad rows. */
void edl_ratings_defaults(edl_ratings_options *o);
/* Reads a ratings file ("-": standard input). Bad rows (missing fields, ids that are not
   integers or do not fit in 64 bits, ratings that are not finite numbers, bytes that are not
   UTF-8, a (user, item) pair seen before) fail the read naming file, line, column and reason, or
   are skipped and counted in report (may be NULL). */
edl_status edl_ratings_read(edl_ratings **r, const char *path, const edl_ratings_options *o,
                            edl_ratings_report *report);
edl_status edl_ratings_create(edl_ratings **r);
/* Appends one record (no duplicate check). */
edl_status edl_ratings_add(edl_ratings *r, int64_t user, int64_t item, float rating, int64_t time);
/* (A finite rating: EDL_ERR_NUMERIC otherwise. edl_rec_train refuses a (user, item) pair twice.) */
void edl_ratings_free(edl_ratings *r);
size_t edl_ratings_count(const edl_ratings *r);
/* Record i: any output pointer may be NULL. */
edl_status edl_ratings_get(const edl_ratings *r, size_t i, int64_t *user, int64_t *item,
                           float *rating, int64_t *time);
/* Writes u.data format (user TAB item TAB rating TAB timestamp), atomically. */
edl_status edl_ratings_write(const edl_ratings *r, const char *path);

typedef enum {
    EDL_SPLIT_RANDOM = 0, /* each record goes to test with probability frac (seeded) */
    EDL_SPLIT_LAST        /* each user's last record by timestamp (ties: the later line) goes to
                             test, for users with at least two records */
} edl_split_kind;
edl_status edl_ratings_split(const edl_ratings *all, edl_split_kind kind, float frac,
                             uint64_t seed, edl_ratings **train, edl_ratings **test);

/* A synthetic data set with known structure: rating = mean + user bias + item bias + <p_u, q_i>
   (rank factors) + N(0, noise^2), items drawn with Zipf(zipf) popularity and kept with a
   probability rising with the user's affinity for them (so interactions carry the same
   structure), timestamps increasing per user. Written in u.data format (ratings with 3
   decimals). */
typedef struct {
    size_t users, items;     /* 1000, 2000 */
    size_t per_user;         /* mean records per user: 100 */
    size_t rank;             /* 8 */
    float noise;             /* 0.5: the noise floor of RMSE */
    float zipf;              /* 1.0 */
    float affinity;          /* 2.0: how strongly choice follows affinity (0: popularity only) */
    uint64_t seed;
} edl_synth_args;
typedef struct {
    size_t rows;
    double noise_rmse;       /* RMSE of the noise actually drawn: the floor no model can beat */
    double signal_std;       /* standard deviation of the noiseless ratings */
} edl_synth_report;
void edl_synth_defaults(edl_synth_args *a);
edl_status edl_synth_ratings(const char *path, const edl_synth_args *a, edl_synth_report *report);

/* Recommenders on embedding rows of users and items (one table: users first, then items):
 *   MF    explicit ratings: mean + b_u + b_i + <p_u, q_i>, squared error (dim 0: biases only)
 *   BPR   implicit feedback: score b_i + <p_u, q_i>, -log sigmoid(s_ui - s_uj) against sampled
 *         negatives j
 *   MLP   implicit feedback: [p_u, q_i] -> dense layers with ReLU -> one logit, binary
 *         cross-entropy on positives and sampled negatives
 *   POP   item popularity (training counts), the baseline
 * Trained by mini-batches; threads run blocks of records that share no user and no item, so mf
 * and bpr are bit-reproducible for a seed and a thread count; the mlp's dense layers are shared
 * by its threads (Hogwild), so it is with one thread. */
typedef struct edl_recommender edl_recommender;
typedef enum { EDL_REC_MF = 0, EDL_REC_BPR, EDL_REC_MLP, EDL_REC_POP } edl_rec_kind;

typedef struct {
    edl_rec_kind model;
    size_t dim;              /* 32 */
    size_t epoch;            /* 20 */
    float lr;                /* < 0: the model's default (mf 0.03, bpr 0.1, mlp 0.008) */
    float reg;               /* < 0: the model's default L2 on looked-up rows (mf 0.03, bpr 0.01,
                                mlp 0) */
    size_t neg;              /* negatives per positive: 0 means the model's (bpr 1, mlp 4) */
    size_t batch;            /* 256 */
    const size_t *hidden;    /* mlp: hidden ReLU layer sizes (NULL: 64, 32) */
    size_t nhidden;
    int optimizer;           /* -1: the model's (mf, mlp: adam; bpr: sgd); else an edl_opt_kind
                                (EDL_OPT_SGD, EDL_OPT_ADAGRAD or EDL_OPT_ADAM) */
    int decay;               /* -1: the model's; 0: a constant rate; 1: the rate falls linearly to 0
                                over the batches (as fastText's) */
    int thread;              /* 0: all cores */
    uint64_t seed;
    const edl_ratings *valid; /* evaluated at each epoch's end for progress (may be NULL) */
    size_t k;                /* cut-off of ranking metrics: 10 */
    /* at each epoch's end: loss is the epoch's mean training loss; valid_loss is RMSE (mf) and
       valid_accuracy HR@k (others) on valid (NaN without) */
    void (*progress)(const edl_progress *p, void *user);
    void *user;
} edl_rec_args;

typedef struct {
    size_t users, items, ratings, epochs_run;
    double seconds, examples_per_second;
    float loss;
} edl_rec_report;

typedef struct {
    size_t n, unknown;       /* test records; those whose user or item the model has not seen */
    double rmse, mae;        /* mf only (NaN for the others, whose scores are not ratings) */
    size_t users, k;         /* users ranked, cut-off */
    double hr, ndcg, precision, recall, auc, mrr; /* means over users with a test item */
} edl_rec_metrics;

void edl_rec_defaults(edl_rec_args *a, edl_rec_kind model);
edl_status edl_rec_train(edl_recommender **r, const edl_ratings *train, const edl_rec_args *a,
                         edl_rec_report *report);
void edl_rec_free(edl_recommender *r);
/* One safetensors file: the table and layers as an edl model, plus rec.* tensors (biases, ids,
   each user's training items, item counts) and the arguments in __metadata__. */
edl_status edl_rec_save(const edl_recommender *r, const char *path);
edl_status edl_rec_load(edl_recommender **r, const char *path);
edl_rec_kind edl_rec_kind_of(const edl_recommender *r);
const edl_model *edl_rec_model(const edl_recommender *r);
size_t edl_rec_num_users(const edl_recommender *r);
size_t edl_rec_num_items(const edl_recommender *r);
/* The score of (user, item) by their file ids: a rating for mf; EDL_ERR_INDEX for an unknown id. */
edl_status edl_rec_score(const edl_recommender *r, int64_t user, int64_t item, float *score);
/* The k best-scored items for a user (by file id), without the user's training items when
   exclude_seen; items and scores receive *count <= k entries, best first. */
edl_status edl_rec_topk(const edl_recommender *r, int64_t user, size_t k, int exclude_seen,
                        int64_t *items, float *scores, size_t *count);
/* The k items whose embedding rows are nearest (cosine) to the item's, itself excluded. */
edl_status edl_rec_similar(const edl_recommender *r, int64_t item, size_t k, int64_t *items,
                           float *sims, size_t *count);
/* Every metric on test: RMSE/MAE over the records, and for each user with test records a
   ranking of every item outside the user's training items (test records of unknown users or
   items are counted in unknown and left out; EDL_ERR_ARG when that leaves none). */
edl_status edl_rec_evaluate(const edl_recommender *r, const edl_ratings *test, size_t k,
                            edl_rec_metrics *m);
/* The ranking metrics of one user: scores of n candidates, relevant[i] != 0 for the held-out
   ones; top k by score (ties: lower index first). hr = any relevant in the top k; precision =
   hits / k; recall = hits / relevant; ndcg = DCG / ideal DCG with gains 1/log2(rank + 1); mrr =
   1 / rank of the first relevant in the top k (0 if none); auc = share of (relevant, other)
   pairs scored in order (ties count half). Any output pointer may be NULL. A NaN score has no
   rank: refused (EDL_ERR_ARG naming its position), the outputs untouched. */
edl_status edl_rank_metrics(const float *scores, const uint8_t *relevant, size_t n, size_t k,
                            double *hr, double *ndcg, double *precision, double *recall,
                            double *mrr, double *auc);

/* ---- Projections ------------------------------------------------------------------------- */

/* PCA of x (n x dim) into out (n x k): the data centred and projected on the k leading
   eigenvectors of its covariance (Jacobi eigendecomposition in double). Each component's sign is
   fixed so its largest loading is positive: the same data always gives the same picture.
   explained (k values, may be NULL) receives each component's share of the variance. A NaN or
   an infinity in x is refused (EDL_ERR_NUMERIC naming its row and column), out untouched. */
edl_status edl_pca(float *out, double *explained, const float *x, size_t n, size_t dim, size_t k);

/* t-SNE (van der Maaten 2008) of x (n x dim) into out (n x 2): Gaussian affinities at the given
   perplexity, Student-t in the map, early exaggeration then momentum gradient descent; seeded.
   Below exact_below points the exact method (O(n^2) time and memory per iteration); from there,
   Barnes-Hut (van der Maaten 2014): affinities over each point's 3 x perplexity nearest
   neighbours, repulsion from a quadtree whose cells are summarised when cell size / distance <
   theta (O(n log n) per iteration). Results do not depend on the thread count. */
typedef struct {
    float perplexity;   /* 30 */
    size_t iterations;  /* 1000, in [1, EDL_TSNE_MAX_ITERATIONS] */
    float learning_rate;/* 200 */
    uint64_t seed;
    float theta;        /* 0.5 (0: always exact) */
    size_t exact_below; /* 2000 */
} edl_tsne_args;
#define EDL_TSNE_MAX_ITERATIONS 100000
void edl_tsne_defaults(edl_tsne_args *a);
edl_status edl_tsne(float *out, const float *x, size_t n, size_t dim, const edl_tsne_args *a);

/* ---- Pictures (SVG) ----------------------------------------------------------------------- */

/* Self-contained SVG (no scripts, no external fonts), written atomically. */
typedef struct {
    const char *name;   /* legend text */
    const double *x, *y;
    size_t n;
} edl_plot_series;

typedef struct {
    const char *title, *xlabel, *ylabel, *caption;
    int logx, logy;              /* logarithmic axes (values must be > 0) */
    const double *marks;         /* vertical marks at these x (e.g. cache sizes), or NULL */
    const char *const *mark_labels;
    size_t nmarks;
} edl_plot_opts;

/* A line chart: each series a polyline with dots, a legend, axes with ticks and titles. */
edl_status edl_plot_lines_svg(const char *path, const edl_plot_opts *o, const edl_plot_series *s,
                              size_t nseries);
/* A scatter plot of n points: one dot each (class "pt"), coloured by group (group[i] <
   ngroups, or NULL for one colour; 20 distinct colours, repeating past them) with a legend of
   group_names; the points whose label is not NULL are labelled beside their dot, in order,
   skipping a label that would overlap one already placed. Text that is not valid UTF-8 is
   written with U+FFFD in place of the bad bytes. */
edl_status edl_plot_scatter_svg(const char *path, const edl_plot_opts *o, const float *x,
                                const float *y, size_t n, const int *group,
                                const char *const *group_names, size_t ngroups,
                                const char *const *labels);
/* The same, and: group_colours (NULL, or ngroups "#rgb"/"#rrggbb" strings, a NULL entry taking
   the palette's colour; anything else is refused) and highlight (NULL, or n flags: a flagged point is drawn as an outlined
   diamond over the dots, and its label is placed before the others'). */
edl_status edl_plot_scatter_svg_ex(const char *path, const edl_plot_opts *o, const float *x,
                                   const float *y, size_t n, const int *group,
                                   const char *const *group_names,
                                   const char *const *group_colours, size_t ngroups,
                                   const char *const *labels, const unsigned char *highlight);

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
