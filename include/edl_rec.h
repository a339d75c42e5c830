/* edl_rec.h: recommenders on edl. Ratings files (MovieLens u.data, ratings.dat, ratings.csv, any
 * CSV), splits, a synthetic generator, and the models mf, bpr, mlp and pop with their training
 * (DSGD blocks), files, top-k queries and ranking metrics.
 *
 * Simple use: edl_ratings_read -> edl_ratings_split -> edl_rec_train -> edl_rec_evaluate /
 * edl_rec_topk; edl_rec_save / edl_rec_load. Conventions are edl.h's. */
#ifndef EDL_REC_H
#define EDL_REC_H

#include "edl.h"

#ifdef __cplusplus
extern "C" {
#endif

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
/* Names as edl.h's "Names": auto udata dat csv. */
const char *edl_ratings_format_name(edl_ratings_format format);
edl_status edl_ratings_format_from_name(const char *name, edl_ratings_format *format);

typedef struct {
    edl_ratings_format format;
    char sep;   /* CSV: the separator (0: ',') */
    int header; /* CSV: -1 detect (a first line whose user and item fields are both not numbers), 0, 1 */
    int user_col, item_col, rating_col, time_col; /* 0-based columns; rating/time -1: absent
                                                     (rating 1, timestamp = line number) */
    int skip_bad; /* 0: the first bad row fails the read; 1: bad rows are skipped, counted */
} edl_ratings_options;

/* Why rows were skipped (skip_bad = 1); first names the first one ("file:line: reason"). */
typedef struct {
    size_t lines, rows, skipped;
    size_t missing_field, bad_id, bad_rating, bad_time, not_utf8, duplicate;
    char first[256];
} edl_ratings_report;

/* Defaults: AUTO, columns 0 1 2 3, fail on bad rows. */
void edl_ratings_defaults(edl_ratings_options *o);
/* Reads a ratings file ("-": standard input) in 64 KiB chunks, keeping only the ratings. Bad
   rows (missing fields, ids that are not integers or do not fit in 64 bits, ratings that are not
   finite numbers, bytes that are not UTF-8, a (user, item) pair seen before) fail the read naming
   file, line, column and reason, or are skipped and counted in report (may be NULL). */
edl_status edl_ratings_read(edl_ratings **r, const char *path, const edl_ratings_options *o,
                            edl_ratings_report *report);
/* Collective: each rank of comm reads its share of the file (the lines starting in its part of
   the bytes), so the ranks' sets in rank order are the file's records; the CSV header is looked
   for in rank 0's share only, duplicates within a share only (edl_rec_train refuses the others).
   A failure in any share fails every rank with that rank's message; report sums every rank's
   counts. comm NULL: edl_ratings_read. Standard input cannot be shared. */
edl_status edl_ratings_read_comm(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                                 edl_ratings_report *report, edl_comm *comm);
edl_status edl_ratings_create(edl_ratings **r);
/* Appends one record (no duplicate check). */
edl_status edl_ratings_add(edl_ratings *r, int64_t user, int64_t item, float rating, int64_t time);
/* (A finite rating: EDL_ERR_NUMERIC otherwise. edl_rec_train refuses a (user, item) pair twice.) */
void edl_ratings_free(edl_ratings *r);
size_t edl_ratings_count(const edl_ratings *r);
/* Record i: any output pointer may be NULL. */
edl_status edl_ratings_get(const edl_ratings *r, size_t i, int64_t *user, int64_t *item, float *rating, int64_t *time);
/* Writes u.data format (user TAB item TAB rating TAB timestamp), atomically. */
edl_status edl_ratings_write(const edl_ratings *r, const char *path);

typedef enum {
    EDL_SPLIT_RANDOM = 0, /* each record goes to test with probability frac (seeded) */
    EDL_SPLIT_LAST        /* each user's last record by timestamp (ties: the later line) goes to
                             test, for users with at least two records */
} edl_split_kind;
/* Names as edl.h's "Names": random last. */
const char *edl_split_kind_name(edl_split_kind kind);
edl_status edl_split_kind_from_name(const char *name, edl_split_kind *kind);
edl_status edl_ratings_split(const edl_ratings *all, edl_split_kind kind, float frac, uint64_t seed,
                             edl_ratings **train, edl_ratings **test);

/* A synthetic data set with known structure: rating = mean + user bias + item bias + <p_u, q_i>
   (rank factors) + N(0, noise^2), items drawn with Zipf(zipf) popularity and kept with a
   probability rising with the user's affinity for them (so interactions carry the same
   structure), timestamps increasing per user. Written in u.data format (ratings with 3
   decimals). */
typedef struct {
    size_t users, items; /* 1000, 2000 */
    size_t per_user;     /* mean records per user: 100 */
    size_t rank;         /* 8 */
    float noise;         /* 0.5: the noise floor of RMSE */
    float zipf;          /* 1.0 */
    float affinity;      /* 2.0: how strongly choice follows affinity (0: popularity only) */
    uint64_t seed;
} edl_synth_args;
typedef struct {
    size_t rows;
    double noise_rmse; /* RMSE of the noise actually drawn: the floor no model can beat */
    double signal_std; /* standard deviation of the noiseless ratings */
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
/* Names as edl.h's "Names": mf bpr mlp pop. */
const char *edl_rec_kind_name(edl_rec_kind kind);
edl_status edl_rec_kind_from_name(const char *name, edl_rec_kind *kind);

typedef struct {
    edl_rec_kind model;
    size_t dim;           /* 32 */
    size_t epoch;         /* 20 */
    float lr;             /* < 0: the model's default (mf 0.03, bpr 0.1, mlp 0.008) */
    float reg;            /* < 0: the model's default L2 on looked-up rows (mf 0.03, bpr 0.01,
                                mlp 0) */
    size_t neg;           /* negatives per positive: 0 means 4 (bpr and mlp) */
    size_t batch;         /* 256 */
    const size_t *hidden; /* mlp: hidden ReLU layer sizes (NULL: 64, 32) */
    size_t nhidden;
    int optimizer; /* -1: the model's (mf, mlp: adam; bpr: sgd); else an edl_opt_kind
                                (EDL_OPT_SGD, EDL_OPT_ADAGRAD or EDL_OPT_ADAM) */
    int decay;     /* -1: the model's; 0: a constant rate; 1: the rate falls linearly to 0
                                over the batches (as fastText's) */
    int thread;    /* 0: all cores */
    uint64_t seed;
    const edl_ratings *valid; /* evaluated at each epoch's end for progress (may be NULL) */
    size_t k;                 /* cut-off of ranking metrics: 10 */
    /* at each epoch's end: loss is the epoch's mean training loss; valid_loss is RMSE (mf) and
       valid_accuracy HR@k (others) on valid (NaN without) */
    void (*progress)(const edl_progress *p, void *user);
    void *user;
    /* Tables larger than memory: the table, the dense layers and the optimizer's state in a
       scratch file in this directory (edl_model_set_table_dir); NULL: in memory. Same results. */
    const char *table_dir;
    /* Row-sharded tables (mf, bpr, mlp; `-shard rows`): the ranks of comm (NULL: one process)
       each hold the rows whose number % ranks is theirs (users first, then items), with their
       biases and optimizer state; synchronous mini-batches of one global order, each rank a
       share of every batch; the mlp's dense layers replicated. Every rank calls edl_rec_train
       and edl_rec_save (each writes its shard, rank 0 the index); the result serves nothing else
       (edl_rec_load on the index merges the shards into an ordinary recommender). */
    int shard_rows;
    /* The run's processes (NULL: this one alone). With several ranks each passes its share of the
       records (edl_ratings_read_comm), in rank order the whole set; the ranks gather every
       record (so the user and item ids are indexed as one process indexes them), run one thread
       each (thread is ignored) on the schedule one process runs at one thread, and split each
       batch's examples: each computes the scores (and, mlp, the dense layers' forward and
       backward) of its part, the parts are exchanged, and every rank applies the batch's updates
       in one process's order. mf and bpr equal one process at -thread 1 bit for bit, the mlp to
       float rounding (its dense gradients are summed over ranks). */
    edl_comm *comm;
    /* mlp: 1: the logit is b_i + <p_u, q_i> + MLP([p_u, q_i]) (NeuMF's matrix-factorisation term
       beside the MLP, sharing its rows; files say rec.mlp.dot 1), also the default (-1); 0:
       MLP([p_u, q_i]) alone (the mlp before 2026-12). docs/BENCHMARKS.md, "Recommenders on real
       implicit data", compares them. */
    int mlp_dot;
    /* mlp: the dense layers' decoupled weight decay a step (AdamW's: w *= 1 - rate x mlp_decay,
       dense values and their Adam state below FLT_MIN then set to 0); < 0 (the default): 5;
       0: none (the mlp before 2026-12, with mlp_dot 0 and reg 0). */
    float mlp_decay;
} edl_rec_args;

typedef struct {
    size_t users, items, ratings, epochs_run;
    double seconds, examples_per_second;
    float loss;
} edl_rec_report;

typedef struct {
    size_t n, unknown;                            /* test records; those whose user or item the model has not seen */
    double rmse, mae;                             /* mf only (NaN for the others, whose scores are not ratings) */
    size_t users, k;                              /* users ranked, cut-off */
    double hr, ndcg, precision, recall, auc, mrr; /* means over users with a test item */
} edl_rec_metrics;

void edl_rec_defaults(edl_rec_args *a, edl_rec_kind model);
edl_status edl_rec_train(edl_recommender **r, const edl_ratings *train, const edl_rec_args *a, edl_rec_report *report);
void edl_rec_free(edl_recommender *r);
/* One safetensors file: the table and layers as an edl model, plus rec.* tensors (biases, ids,
   each user's training items, item counts) and the arguments in __metadata__. */
edl_status edl_rec_save(const edl_recommender *r, const char *path);
edl_status edl_rec_load(edl_recommender **r, const char *path);
/* Whether path is the index of a sharded recommender (its shards beside it: edl_rec_load merges them). */
int edl_rec_file_sharded(const char *path);
edl_rec_kind edl_rec_kind_of(const edl_recommender *r);
/* The model (NULL for a quantized recommender, which has no float table). */
const edl_model *edl_rec_model(const edl_recommender *r);
/* A compressed copy of an mf or bpr recommender (edl convert -quantize): its table of user and
   item rows as int8 rows (dim + 8 bytes a row) or product-quantized (pq: m bytes a row, m dividing
   dim; 0: dim / 2; at least 256 rows; seed draws k-means' samples); biases, ids and seen items as
   they are. edl_rec_score, edl_rec_topk, edl_rec_similar and edl_rec_evaluate run on the
   compressed rows (the user's row decoded, the items' scored from their codes); edl_rec_save keeps
   it compressed (qtable.* tensors, no model), edl_rec_load reads it back. */
edl_status edl_rec_quantize(edl_recommender **out, const edl_recommender *r, edl_quant_kind kind, size_t m,
                            uint64_t seed);
/* EDL_QUANT_NONE for a float table. */
edl_quant_kind edl_rec_quantized(const edl_recommender *r);
size_t edl_rec_num_users(const edl_recommender *r);
size_t edl_rec_num_items(const edl_recommender *r);
/* The score of (user, item) by their file ids: a rating for mf; EDL_ERR_INDEX for an unknown id. */
edl_status edl_rec_score(const edl_recommender *r, int64_t user, int64_t item, float *score);
/* The k best-scored items for a user (by file id), without the user's training items when
   exclude_seen; items and scores receive *count <= k entries, best first. */
edl_status edl_rec_topk(const edl_recommender *r, int64_t user, size_t k, int exclude_seen, int64_t *items,
                        float *scores, size_t *count);
/* The k items whose embedding rows are nearest (cosine) to the item's, itself excluded. */
edl_status edl_rec_similar(const edl_recommender *r, int64_t item, size_t k, int64_t *items, float *sims,
                           size_t *count);
/* Every metric on test: RMSE/MAE over the records, and for each user with test records a
   ranking of every item outside the user's training items (test records of unknown users or
   items are counted in unknown and left out; EDL_ERR_ARG when that leaves none). */
edl_status edl_rec_evaluate(const edl_recommender *r, const edl_ratings *test, size_t k, edl_rec_metrics *m);
/* The ranking metrics of one user: scores of n candidates, relevant[i] != 0 for the held-out
   ones; top k by score (ties: lower index first). hr = any relevant in the top k; precision =
   hits / k; recall = hits / relevant; ndcg = DCG / ideal DCG with gains 1/log2(rank + 1); mrr =
   1 / rank of the first relevant in the top k (0 if none); auc = share of (relevant, other)
   pairs scored in order (ties count half). Any output pointer may be NULL. A NaN score has no
   rank: refused (EDL_ERR_ARG naming its position), the outputs untouched. */
edl_status edl_rank_metrics(const float *scores, const uint8_t *relevant, size_t n, size_t k, double *hr, double *ndcg,
                            double *precision, double *recall, double *mrr, double *auc);

#ifdef __cplusplus
}
#endif
#endif /* EDL_REC_H */
