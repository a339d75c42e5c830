/* The model's internals, shared by model.c, model_run.c, spec.c, optim.c, train.c and
 * model_file.c. Not installed. */
#ifndef EDL__MODEL_H
#define EDL__MODEL_H

#include "common/internal.h"
#include "io/map.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/table.h"

/* Row-sparse gradient bookkeeping of one embedding table: which rows hold gradient. */
typedef struct {
    int64_t *rows; /* touched rows, in first-touch order */
    size_t n, cap;
    uint8_t *mark; /* mark[r] != 0 when r is in rows; `rows` bytes */
} edl__touched;

/* A dense-form sum or mean table's gradient for one batch, held as rows -> occurrences of the
   batch's gradient at the table's output rather than written into the gradient block (see
   bag_grad.c): the optimizer sums each row as it updates it. */
typedef struct {
    int on;            /* held: the table's rows in the gradient block are zero, its gradient is here */
    uint32_t *start;   /* rows + 1: row r's occurrences are occ[start[r] .. start[r + 1]) */
    edl__bag_occ *occ; /* the batch's positions by row: each one's bag (example) and factor */
    size_t cap;        /* positions occ holds */
    const float *dout; /* bags x dim: the workspace's grad[0], which nothing writes before the next
                          forward_backward, and that settles the held gradient first */
    size_t dim;
} edl__held_grad;

typedef struct {
    edl_layer_info info;
    edl_init init;
    int has_init;          /* init set per layer (else the model's scheme) */
    size_t w_off, w_count; /* weight (table) in the parameter block, in floats */
    size_t b_off, b_count; /* bias; b_count 0 when none */
    edl__touched touched;  /* embeddings only */
    /* embeddings: row r's initial value is a function of (init_base, r) alone (edl__init_row) */
    uint64_t init_base;
    edl_init init_scheme;
    int lazy;              /* rows made on first use (edl__table_row), not at init */
    _Atomic uint8_t *made; /* lazy: per row 0 not made, 1 being made, 2 made */
    edl__held_grad held;   /* dense-form sum/mean tables: the batch's gradient, held */
    int grad_written;      /* tables: rows of the gradient block may be nonzero (until a step or zero_grad) */
} edl__layer;

/* Floats from a layer's weight to the end of its bias: its tensors and the zeros between them
   (the bias starts at a multiple of 16 floats). */
static inline size_t edl__layer_span(const edl__layer *L) {
    return L->b_count ? L->b_off + L->b_count - L->w_off : L->w_count;
}

/* Buffers for one forward/backward at up to `cap` examples. */
typedef struct {
    size_t cap;
    float **act;          /* per layer: cap x out_dim (NULL when the layer aliases its input) */
    float **grad;         /* per layer: cap x out_dim gradient at the layer's output */
    uint8_t **mask;       /* dropout masks */
    int64_t *argmax;      /* max-pooled embeddings: cap x dim */
    int64_t *offsets;     /* pooled fixed-length sequences: i * len */
    const float **outs;   /* per layer: its output after a forward (act[l] or an alias) */
    const size_t *pos;    /* training on part of a global batch: example i is the batch's pos[i] ... */
    size_t total;         /* ... of total (0: the batch is whole); dropout draws for all total */
    float *dense_scratch; /* the dense layers' (edl__dense_scratch_floats: the largest of any) */
} edl__workspace;

struct edl_model {
    edl__layer *layers;
    size_t nlayers, cap;
    edl_loss loss;
    float *params, *grads; /* params: in block, or in file's mapping (a mapped model) */
    size_t nparams;        /* floats in the block, the padding between tensors included */
    edl__map block;        /* the parameter block (zeroed memory), or with table_dir the scratch file
                              holding it and the training state (edl__model_region) */
    char *table_dir;       /* edl_model_set_table_dir: where the block's scratch file lives, or NULL */
    size_t region_floats;  /* with table_dir: floats from one region of the scratch file to the next */
    int finite_known;      /* a scratch-file model whose values only init and successful optimizer steps
                              wrote (no pointer handed out): all finite, so a save need not read the
                              table twice (once to check, once to write) */
    edl__st *file;         /* a mapped model: the file whose mapping params points into (a reference) */
    int built;
    edl__workspace ws; /* training workspace (predict uses its own) */
    char **meta_keys, **meta_values;
    size_t nmeta;
    edl_tensor *extras; /* loaded from a file: names and data owned here */
    size_t nextras;
    int hold_off; /* tables' gradients always written into the gradient block (tests: the unfused path) */
};

edl_status edl__ws_reserve(edl__workspace *w, const edl_model *m, size_t n);
void edl__ws_free(edl__workspace *w, size_t nlayers);

/* Runs the layers on batch b into w; train != 0 applies dropout with rng. outs[l] receives each
   layer's output (nlayers pointers). */
edl_status edl__forward(const edl_model *m, edl__workspace *w, const edl_batch *b, int train, edl_rng *rng,
                        const float **outs);
/* edl_model_forward_backward on this process's part of a global batch of total examples: b's
   example i is the global batch's example pos[i] (increasing; NULL: i). The loss gradient is the
   sum over b's examples divided by total, so the parts' gradients add up to the whole batch's;
   dropout draws the numbers of the whole batch, each example keeping its own, as one process
   would. b->n may be 0 (nothing held: the rng still advances; *loss 0). *loss is b's mean. */
edl_status edl__forward_backward_part(edl_model *m, const edl_batch *b, edl_rng *rng, const size_t *pos, size_t total,
                                      float *loss);

/* Checks the batch against the model: sizes, pointers, and every index, offset and label. */
edl_status edl__check_batch(const edl_model *m, const edl_batch *b, int need_targets);

/* Whether the parameter block can be laid out: layers, the last not dropout, and every
   parameter's byte counted in size_t. Allocates nothing; fn names the caller in the message. */
edl_status edl__model_check_layout(const edl_model *m, const char *fn);
/* Lays out the parameter block: each tensor at a multiple of 16 floats (64 bytes), zero between. */
edl_status edl__model_layout(edl_model *m);
/* Lays out and allocates the parameter block (zeroed). */
edl_status edl__model_build(edl_model *m);
/* Allocates the gradient block (zeroed) if it is not yet there. */
edl_status edl__model_grads(edl_model *m);
/* Adds the layers and loss a spec describes to an empty model (no allocation of parameters). */
edl_status edl__spec_build(edl_model *m, const char *spec);

/* Whether layer L keeps a list of the rows holding gradient: embeddings in the lazy (sparse)
   form. In the dense form the whole table is treated as one dense gradient, as PyTorch does. */
static inline int edl__tracks_rows(const edl__layer *L) {
    return (L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG) && L->info.sparse;
}

/* Clears the touched-row lists, for when their gradient rows are already zero. */
void edl__forget_touched(edl_model *m);
/* Records rows idx[0..n) of embedding layer L as holding gradient (padding_idx excluded). */
edl_status edl__touch_rows(edl__layer *L, const int64_t *idx, size_t n);

/* Initialises one layer's tensors. */
void edl__init_layer(edl_model *m, size_t l, edl_init scheme, edl_rng *rng);
/* Row r of embedding layer L's table at its initial value: a stream of its own, seeded by the
   layer's base and r, so a row made alone (a lazy table) equals the row of a table made whole. */
void edl__init_row(const edl__layer *L, size_t r, float *row);

/* The length of the model's spec (without the terminating NUL). */
size_t edl__model_spec_len(const edl_model *m);

/* The held table gradient (bag_grad.c). edl__grad_hold: layer 0's gradient for this batch held
   (returns 1) when the table's form allows it (dense form, sum or mean, not frozen, not in a
   scratch file, its gradient block rows zero) and the memory is there; else 0, and the caller
   writes it into the block. Inputs as edl_embedding_bag_backward's, checked. */
int edl__grad_hold(edl_model *m, const int64_t *idx, size_t nidx, const int64_t *offsets, size_t bags,
                   const float *weights, const float *dout);
/* Writes any held gradient into the gradient block (the same bits the scatter writes): before
   anything reads the block (a gradient exchange, clipping, another backward, another rule). */
void edl__settle_grads(edl_model *m);
/* Forgets any held gradient (zero_grad). */
void edl__drop_held_grads(edl_model *m);
/* Optimizer step of layer l from its held gradient by a dense elementwise rule (SGD, Adagrad,
   Adam, AdamW), split over threads by rows; the same bits as writing the gradient and updating
   from it. Releases the hold. Returns whether every value is finite. */
bool edl__held_grad_step(edl_model *m, size_t l, edl_opt_kind kind, const edl__opt_coef *a, float *s1, float *s2);
void edl__held_grad_free(edl__held_grad *h);

/* Sum of squares of every trainable gradient of layer l (touched rows only for embeddings); this
   and the next read the gradient block, so a held gradient is settled first. */
double edl__layer_grad_sumsq(const edl_model *m, size_t l);
/* Whether every trainable gradient of layer l is finite (cheaper than the sum of squares). */
bool edl__layer_grad_finite(const edl_model *m, size_t l);

#endif
