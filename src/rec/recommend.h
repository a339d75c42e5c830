/* Recommender internals shared by ratings.c, recommend.c, recommend_eval.c and synth.c.
 * Not installed. */
#ifndef EDL__RECOMMEND_H
#define EDL__RECOMMEND_H

#include "common/internal.h"
#include "edl_rec.h"
#include "kernels/kernels.h"
#include "io/safetensors.h"
#include "model/comm.h"
#include "model/qtable.h"

/* Records as columns; n of cap used. Ids are the file's own. */
struct edl_ratings {
    int64_t *user, *item, *time;
    float *rating;
    size_t n, cap;
};

/* edl_ratings_read with reads of chunk bytes (0: the line reader's default), for tests. */
edl_status edl__ratings_read(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                             edl_ratings_report *report, size_t chunk);

/* An open-addressing map from 64-bit ids to dense indices 0..n-1 (in order of first sight). */
typedef struct {
    int64_t *keys; /* cap slots */
    int64_t *vals; /* dense index, -1 for an empty slot */
    size_t cap, n;
    int64_t *ids; /* ids[index] = key: n of them */
    size_t ids_cap;
} edl__idmap;

edl_status edl__idmap_init(edl__idmap *m, size_t expect);
void edl__idmap_free(edl__idmap *m);
/* The index of id, adding it when absent (*index). */
edl_status edl__idmap_put(edl__idmap *m, int64_t id, int64_t *index);
/* The index of id, or -1. */
int64_t edl__idmap_get(const edl__idmap *m, int64_t id);

/* A dense layer of the mlp head, pointing into the model's parameter block. */
typedef struct {
    float *w, *b; /* out x in, out */
    size_t in, out;
    edl_act act;
} edl__rec_dense;

#define EDL__REC_MAX_DENSE 8

/* -shard rows (recommend_shard.c): this rank's rows of a row-sharded table, with their biases */
typedef struct edl__rec_shard edl__rec_shard;

struct edl_recommender {
    edl_rec_kind kind;
    edl_model *m;   /* layer 0: embedding(rows=users+items, dim, len=2, pool=flatten);
                               mlp: then its dense layers. NULL when quantized */
    edl__qtable qt; /* qt.kind != EDL_QUANT_NONE: the table compressed (mf, bpr; table NULL) */
    size_t users, items;
    size_t fdim;  /* factors per row (mf: 0 means biases only; the table then has 1) */
    size_t dim;   /* the table's row length */
    float *table; /* inside m's parameter block: users rows, then items rows */
    float *bias;  /* users + items + 1: user biases, item biases, global mean */
    edl__rec_dense dense[EDL__REC_MAX_DENSE];
    size_t ndense;
    int dot;             /* mlp: the logit adds b_i + <p_u, q_i> (metadata rec.mlp.dot 1; absent in older files) */
    edl__idmap uid, iid; /* file ids <-> dense indices */
    int64_t *seen_off;   /* users + 1: user u's training items are seen[seen_off[u] ..) */
    int64_t *seen;       /* sorted per user */
    int64_t *count;      /* items: training records of each */
    char args[256];
    edl__rec_shard *shard; /* trained with shard_rows: this rank's rows (table, bias NULL); edl_rec_save
                              writes the shards and their index, nothing else reads it */
};

/* The parallel schedule (recommend_blocks.c): nt x nt blocks of records, block (g, h) holding
   the records of user group g and item group h; a sub-epoch k runs blocks (g, (g + k) % nt), which
   share no user and no item, so threads never write the same row. */
#define EDL__REC_MAX_THREADS 64
/* A training record as the epoch reads it: dense user and item, and the rating (mf). */
typedef struct {
    uint32_t u, i;
    float rating;
} edl__rec_record;
typedef struct {
    int nt;
    size_t n, users, items;
    edl__rec_record *rec;  /* the n records, block by block (shuffled in each block): a batch reads
                              its records in a row, not through an index (a cache miss each) */
    size_t *off;           /* nt * nt + 1: block k is rec[off[k] .. off[k + 1]) */
    int64_t *gitems;       /* the dense items, group by group (negatives come from one group) */
    size_t *goff;          /* nt + 1: group g is gitems[goff[g] .. goff[g + 1]) */
    uint8_t *ug, *ig;      /* each user's and item's group this epoch */
    size_t *urank, *irank; /* users and items by record count, most first (nt > 1) */
    size_t *cursor;        /* nt * nt: scratch for the counting sorts */
} edl__rec_blocks;

/* The threads (groups) the schedule uses for `requested`: at most EDL__REC_MAX_THREADS, the
   records and the users, and items / 16 but for mf (the others draw negatives); 1 without OpenMP. */
int edl__rec_threads(int requested, edl_rec_kind model, size_t n, size_t users, size_t items);
/* Fails (EDL_ERR_ARG) when users or items do not fit the records' 32 bits. */
edl_status edl__rec_blocks_init(edl__rec_blocks *b, const edl_recommender *r, size_t n, int nt);
/* A new epoch's schedule: deals the groups afresh and shuffles each block's records (record k:
   uidx[k], iidx[k] and rating[k], or 0 when rating is NULL). */
void edl__rec_blocks_shuffle(edl__rec_blocks *b, const int64_t *uidx, const int64_t *iidx, const float *rating,
                             edl_rng *rng);
void edl__rec_blocks_free(edl__rec_blocks *b);

/* Floats of scratch the mlp's dense layers need for batches of up to `rows` examples (the
   largest of edl__dense_scratch_floats over the layers; 0: none). */
size_t edl__rec_dense_scratch_floats(const edl_recommender *r, size_t rows);
/* Points r's table and dense layers into its model's parameter block (checks the layers). */
edl_status edl__rec_bind(edl_recommender *r);
/* Scores of every item for dense user u into out (items floats); ws holds at least
   edl__rec_ws_floats(r) floats. Thread-safe. */
size_t edl__rec_ws_floats(const edl_recommender *r);
void edl__rec_score_all(const edl_recommender *r, size_t u, float *out, float *ws);
/* Whether dense item i is among dense user u's training items. */
int edl__rec_seen(const edl_recommender *r, size_t u, int64_t i);
/* For the tests: n negatives for dense users[k], drawn as the trainer draws a batch's (seed: the
   stream) from all items, checked with a bit for every pair (bits 1) or the Bloom filter and the
   exact search (bits 0); out[k] a dense item id. */
edl_status edl__rec_sample_negatives(edl_recommender *r, int bits, uint64_t seed, const int64_t *users, size_t n,
                                     int64_t *out);

/* A recommender's file (recommend_eval.c): rec.* metadata, embedding(users + items rows, len=2,
   flatten) [dense ...] and the tensors beside the table. Checked on the file's container and the
   loaded model's layers before a single count is used; every error names the file, the field and
   both values. Pointers are into st (valid until it is closed). */
typedef struct {
    edl_rec_kind kind;
    size_t users, items, fdim, dim, nseen;
    int dot;                                /* mlp: rec.mlp.dot 1 */
    const float *bias;                      /* users + items + 1, finite */
    const int64_t *user_ids, *item_ids;     /* users, items */
    const int64_t *seen_off, *seen, *count; /* users + 1 rising from 0; nseen in [0, items),
                                               rising per user; items counts >= 0 */
} edl__rec_file;
edl_status edl__rec_check(edl__st *st, const edl_model *m, edl__rec_file *f);
/* As edl__rec_check for a quantized recommender's file (no model: qtable.* holds the table). */
edl_status edl__rec_check_quantized(edl__st *st, edl__rec_file *f);

/* The mlp's hidden layer sizes (*h, the count returned): a's, or the default. */
size_t edl__rec_hidden(const edl_rec_args *a, const size_t **h);
/* The models' defaults (recommend.c): rate, L2 on rows, optimizer. */
void edl__rec_model_defaults(edl_rec_kind kind, float *lr, float *reg, int *opt);
/* Negatives per positive unless edl_rec_args.neg says (bpr and mlp). bpr's was 1: level with
   popularity on a real history (bench/recommend_real.sh), 4 clearly above it. */
#define EDL__REC_NEG       4
/* The mlp's dense layers' decoupled decay a step unless edl_rec_args.mlp_decay says: with the
   dot term and 0.01 on the rows it beats popularity on a real history and the synthetic sets;
   without it the MLP overfits (docs/BENCHMARKS.md, "Recommenders on real implicit data"). */
#define EDL__REC_MLP_DECAY 5.0f
/* a's dense decay (0 but for the mlp); c's decoupled decay for it (AdamW's 1 - rate x wd; wd 0
   leaves c); values of p below FLT_MIN in magnitude set to zero (p NULL: none). */
float edl__rec_mlp_decay(const edl_rec_args *a);
void edl__rec_dense_coef(edl__opt_coef *c, float wd);
void edl__rec_flush_tiny(float *p, size_t n);

/* Row-sharded recommenders (recommend_shard.c). Training: r indexed (users, items, seen,
   counts); collective over a->comm. Saving: collective, each rank its shard, then rank 0 the
   index at path. Loading: st is the index at path (rec.shard.ranks); reads every shard and
   merges them into an ordinary recommender. */
edl_status edl__rec_train_sharded(edl_recommender *r, const edl_ratings *d, const int64_t *uidx, const int64_t *iidx,
                                  const edl_rec_args *a, edl_rec_report *rep);
edl_status edl__rec_save_sharded(const edl_recommender *r, const char *path);
edl_status edl__rec_load_sharded(edl_recommender *r, edl__st *st, const char *path);
void edl__rec_shard_free(edl__rec_shard *s);
/* recommend_eval.c: the index's checks (rec.* metadata, ids, seen items, counts, and rec.bias
   holding the global mean alone), and an id map from a file's ids (each once). */
edl_status edl__rec_check_index(edl__st *st, edl__rec_file *f);
edl_status edl__rec_load_ids(edl__idmap *map, const char *path, const char *name, const int64_t *ids, size_t n);

#endif
