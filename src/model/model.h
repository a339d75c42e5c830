/* The model's internals, shared by model.c, model_run.c, spec.c, optim.c, train.c and
 * safetensors.c. Not installed. */
#ifndef EDL__MODEL_H
#define EDL__MODEL_H

#include "common/internal.h"
#include "edl_rec.h"  /* the model-file checks of each kind (below) name their enums */
#include "edl_text.h"

/* Row-sparse gradient bookkeeping of one embedding table: which rows hold gradient. */
typedef struct {
    int64_t *rows;  /* touched rows, in first-touch order */
    size_t n, cap;
    uint8_t *mark;  /* mark[r] != 0 when r is in rows; `rows` bytes */
} edl__touched;

typedef struct {
    edl_layer_info info;
    edl_init init;
    int has_init;          /* init set per layer (else the model's scheme) */
    size_t w_off, w_count; /* weight (table) in the parameter block, in floats */
    size_t b_off, b_count; /* bias; b_count 0 when none */
    edl__touched touched;   /* embeddings only */
} edl__layer;

/* Buffers for one forward/backward at up to `cap` examples. */
typedef struct {
    size_t cap;
    float **act;           /* per layer: cap x out_dim (NULL when the layer aliases its input) */
    float **grad;          /* per layer: cap x out_dim gradient at the layer's output */
    uint8_t **mask;        /* dropout masks */
    int64_t *argmax;       /* max-pooled embeddings: cap x dim */
    int64_t *offsets;      /* pooled fixed-length sequences: i * len */
    const float **outs;    /* per layer: its output after a forward (act[l] or an alias) */
} edl__workspace;

struct edl_model {
    edl__layer *layers;
    size_t nlayers, cap;
    edl_loss loss;
    float *params, *grads;
    size_t nparams;
    int built;
    edl__workspace ws;      /* training workspace (predict uses its own) */
    char **meta_keys, **meta_values;
    size_t nmeta;
    edl_tensor *extras;    /* loaded from a file: names and data owned here */
    size_t nextras;
};

edl_status edl__ws_reserve(edl__workspace *w, const edl_model *m, size_t n);
void edl__ws_free(edl__workspace *w, size_t nlayers);

/* Runs the layers on batch b into w; train != 0 applies dropout with rng. outs[l] receives each
   layer's output (nlayers pointers). */
edl_status edl__forward(const edl_model *m, edl__workspace *w, const edl_batch *b, int train,
                        edl_rng *rng, const float **outs);
/* Checks the batch against the model: sizes, pointers, and every index, offset and label. */
edl_status edl__check_batch(const edl_model *m, const edl_batch *b, int need_targets);

/* Whether the parameter block can be laid out: layers, the last not dropout, and every
   parameter's byte counted in size_t. Allocates nothing; fn names the caller in the message. */
edl_status edl__model_check_layout(const edl_model *m, const char *fn);
/* Lays out and allocates the parameter block (contents undefined). */
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

/* The length of the model's spec (without the terminating NUL). */
size_t edl__model_spec_len(const edl_model *m);

/* Writes a safetensors file (atomically) from metadata and tensors, in order. */
edl_status edl__safetensors_write(const char *path, const char *const *keys, const char *const *vals,
                                  size_t nmeta, const edl_tensor *t, size_t nt);

/* ---- model files by kind (model_check.c) ----------------------------------------------------
   A loader runs its kind's edl__check_* on the loaded model before it uses a single count: each
   checks every count in the metadata against the tensors' shapes and the other counts in checked
   arithmetic, and names the file, the field and both values when they disagree. */

/* Metadata key as a count: decimal digits only (no sign, space or empty string), at most max. */
edl_status edl__meta_count(const edl_model *m, const char *path, const char *key, uint64_t max, size_t *out);
/* That a + b (named ka, kb) == want (named what), without overflow. */
edl_status edl__meta_sum(const char *path, const char *ka, size_t a, const char *kb, size_t b, const char *what, size_t want);
/* Extra tensor name: rank 1, dtype dt, n values (n == SIZE_MAX: any number). */
edl_status edl__meta_extra(const edl_model *m, const char *path, const char *name, edl_dtype dt, size_t n, const void **data);

/* A string table: entry i is bytes[off[i] .. off[i+1]), never empty, inside the nbytes. */
typedef struct {
    const char *bytes;
    const int64_t *off;
    size_t n, nbytes;
} edl__strings;
/* vocab.bytes + vocab.offsets holding exactly n entries (offsets from 0, rising, within the bytes). */
edl_status edl__meta_strings(const edl_model *m, const char *path, size_t n, edl__strings *out);

typedef struct {
    edl_textclf_loss loss;
    size_t nwords, nlabels, bucket, dim, word_ngrams;
    const char *label;      /* the label prefix, 1 to 63 bytes */
    edl__strings vocab;     /* nwords + nlabels entries */
    const int64_t *counts;  /* each >= 1; hs: labels' most frequent first, their sum < 2^63 */
} edl__textclf_file;
/* A text classifier: textclf.* metadata, vocab.* tensors, embedding_bag(nwords + bucket rows,
   dim, mean) ... dense(nlabels, or nlabels - 1 inner nodes for hs; no hidden layers for hs). */
edl_status edl__check_textclf(const edl_model *m, const char *path, edl__textclf_file *f);

typedef struct {
    size_t nwords, bucket, minn, maxn, dim;
    const char *label;
    edl__strings vocab;     /* nwords words first, maybe labels after */
    const int64_t *counts;
} edl__wordvec_file;
/* A word-vector model: wordvec.* metadata, a table of nwords + bucket rows, the vocabulary. */
edl_status edl__check_wordvec(const edl_model *m, const char *path, edl__wordvec_file *f);

typedef struct {
    edl_rec_kind kind;
    size_t users, items, fdim, dim, nseen;
    const float *bias;                      /* users + items + 1, finite */
    const int64_t *user_ids, *item_ids;     /* users, items */
    const int64_t *seen_off, *seen, *count; /* users + 1 rising from 0; nseen in [0, items),
                                               rising per user; items counts >= 0 */
} edl__rec_file;
/* A recommender: rec.* metadata, embedding(users + items rows, len=2, flatten) [dense ...]. */
edl_status edl__check_rec(const edl_model *m, const char *path, edl__rec_file *f);

typedef struct {
    size_t rows, dim;
    int has_words;          /* else rows are named by index */
    edl__strings words;     /* n = the rows that have a word (a classifier's or word model's words) */
} edl__vectors_file;
/* Any model read as word vectors: a table in layer 0, and its words when the file has them
   (checked as its kind: a classifier's, a word-vector model's, or a vectors file's). */
edl_status edl__check_vectors(const edl_model *m, const char *path, edl__vectors_file *f);

/* Sum of squares of every trainable gradient of layer l (touched rows only for embeddings). */
double edl__layer_grad_sumsq(const edl_model *m, size_t l);
/* Whether every trainable gradient of layer l is finite (cheaper than the sum of squares). */
bool edl__layer_grad_finite(const edl_model *m, size_t l);

#endif
