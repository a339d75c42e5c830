/* A row-sharded table over a communicator: rank r of N holds the rows whose id % N == r (row id
 * at local index id / N) and their optimizer state, and nothing of the others. Every operation
 * but init/fill/free is collective: each rank calls it, in the same order, with its own ids.
 *
 *   lookup: the batch's ids (any order, repeats allowed) are made distinct, sent to their owners
 *           (all-to-all), and the owners' rows come back (all-to-all); b->rows holds them and
 *           slot[k] names the row of ids[k].
 *   push:   the caller adds its gradients into b->grad (the rows of the lookup); they go back to
 *           the owners (all-to-all), who sum the contributions of every rank to a row (in rank
 *           order) and apply one optimizer step to it (the rules of model/optim_rules.h).
 *
 * With comm NULL (one process) the same code runs with N = 1: the exchanges are copies. The
 * sums over ranks are the only difference between N ranks and one: float rounding.
 * Not installed. */
#ifndef EDL__SHARD_H
#define EDL__SHARD_H

#include "common/internal.h"
#include "kernels/kernels.h"

typedef struct {
    edl_comm *comm;
    int size, rank;
    size_t rows;      /* the whole table's */
    size_t width;     /* floats a row */
    size_t local;     /* rows held here: edl__shard_owned(rows, size, rank) */
    edl_opt_kind opt; /* the rule push applies */
    float *w;         /* local x width */
    float *s1, *s2;   /* the rule's state: Adagrad's sums or Adam's moments (local x width),
                          row-wise Adagrad's accumulators (local), SGD's momentum; else NULL */
} edl__shard;

/* One lookup's buffers, kept between batches (grown as needed). */
typedef struct {
    size_t n;           /* distinct ids this rank asked for */
    int64_t *ids;       /* n: grouped by owner, rising within each */
    float *rows, *grad; /* n x width: the rows, and the gradient the caller adds into (zeroed by lookup) */
    size_t *scount;     /* size: ids this rank sent each rank */
    size_t *rcount;     /* size: ids each rank sent this one */
    size_t nr;          /* ids others asked of this rank (with repeats across ranks) */
    int64_t *rids;      /* nr: by source rank */
    float *rbuf;        /* nr x width */
    void *order;        /* nr (id, position) pairs: push's scratch */
    int64_t *tmp;       /* scratch */
    size_t *bytes;      /* 2 x size */
    size_t cap, rcap, tcap;
} edl__shard_batch;

/* Rows of a table of `rows` that rank `rank` of `size` holds: ceil((rows - rank) / size). */
size_t edl__shard_owned(size_t rows, int size, int rank);
/* The bytes a rank of size holds for a table (rows, width) under rule opt (the values and the
   state; momentum: whether SGD keeps a buffer). */
size_t edl__shard_bytes(size_t rows, size_t width, int size, int rank, edl_opt_kind opt, int momentum);

/* The shard of rank edl_comm_rank(c): zero values, the state as the rule starts it
   (initial_accumulator for Adagrad). c NULL: one process holds every row. */
edl_status edl__shard_init(edl__shard *t, edl_comm *c, size_t rows, size_t width, const edl_optim_config *oc);
void edl__shard_free(edl__shard *t);
/* fill(row, x, ctx) sets global row `row` (width floats at x) for every row held here: a pure
   function of the row (edl__init_row) gives every rank count the same table. */
void edl__shard_fill(edl__shard *t, void (*fill)(size_t row, float *x, void *ctx), void *ctx);
/* The local row of global row id (held here: id % size == rank). */
static inline float *edl__shard_row(const edl__shard *t, size_t id) { return t->w + (id / (size_t)t->size) * t->width; }

void edl__shard_batch_free(edl__shard_batch *b);
/* Collective. ids[0..n) in [0, rows) (an id outside is not sent: EDL_ERR_INDEX after the
   exchange, every rank having taken part); slot (n) receives each id's row in b. */
edl_status edl__shard_lookup(edl__shard *t, edl__shard_batch *b, const int64_t *ids, size_t n, size_t *slot);
/* Collective, after lookup on the same b: b->grad to the owners, summed, one step each (zeroes
   b->grad). Columns [0, split) take coefficients c, [split, width) c2 (a bias beside a row, say);
   lazy: SparseAdam's form of Adam. EDL_ERR_NUMERIC naming the row when a row became non-finite
   (its owner's status: agree on it). */
edl_status edl__shard_push(edl__shard *t, edl__shard_batch *b, const edl__opt_coef *c, size_t split,
                           const edl__opt_coef *c2, int lazy);

#endif
