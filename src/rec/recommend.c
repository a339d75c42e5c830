/* Recommenders: matrix factorisation with biases (explicit ratings), BPR and an MLP over
 * concatenated embeddings (implicit feedback), and item popularity. The users' and items'
 * embedding rows live in one table (users first), layer 0 of an edl model; the mlp's dense
 * layers follow it in the same parameter block. Training is by mini-batches: each batch gathers
 * its rows (edl__vec_gather_rows, or _gather_dots with the products), runs the head (a dot product, or edl_dense_forward and
 * _backward), and updates the rows it read with edl's optimizer rules (lazy: only rows looked up
 * change, as torch.optim.SparseAdam). Threads run blocks of records that share no user and no
 * item (recommend_blocks.c), so the rows need no locks and a seed gives the same model for a
 * given thread count (the schedule depends on it); only the mlp's dense layers are shared by
 * all threads (Hogwild). */
#include "rec/recommend.h"
#include "kernels/kernels.h"
#include "model/optim_rules.h"
#include "model/table.h"

#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* per model: mf, bpr, mlp, pop (pop does not train). The mlp's 0.01 on the rows and its dense
   decay (EDL__REC_MLP_DECAY) restrain its user x item part (docs/BENCHMARKS.md, "Recommenders on
   real implicit data"). */
static const float lr0[4] = {0.03f, 0.1f, 0.008f, 0.0f}, reg0[4] = {0.03f, 0.01f, 0.01f, 0.0f};
static const int opt0[4] = {EDL_OPT_ADAM, EDL_OPT_SGD, EDL_OPT_ADAM, EDL_OPT_SGD};

float edl__rec_mlp_decay(const edl_rec_args *a) {
    return a->model != EDL_REC_MLP ? 0.0f : a->mlp_decay >= 0.0f ? a->mlp_decay : EDL__REC_MLP_DECAY;
}

void edl__rec_dense_coef(edl__opt_coef *c, float wd) {
    if (wd > 0.0f) c->decay = 1.0f - c->lr * wd;
}

void edl__rec_flush_tiny(float *p, size_t n) {
    for (size_t j = 0; p && j < n; j++)
        if (fabsf(p[j]) < FLT_MIN) p[j] = 0.0f;
}

void edl_rec_defaults(edl_rec_args *a, edl_rec_kind model) {
    memset(a, 0, sizeof *a);
    a->model = model, a->dim = 32, a->epoch = 20, a->lr = -1.0f, a->reg = -1.0f, a->batch = 256;
    a->optimizer = -1, a->decay = -1, a->k = 10, a->mlp_dot = -1, a->mlp_decay = -1.0f;
}

void edl_rec_free(edl_recommender *r) {
    if (!r) return;
    edl_model_free(r->m);
    edl__qt_free(&r->qt);
    free(r->bias), free(r->seen_off), free(r->seen), free(r->count);
    edl__idmap_free(&r->uid), edl__idmap_free(&r->iid);
    edl__rec_shard_free(r->shard);
    free(r);
}

edl_rec_kind edl_rec_kind_of(const edl_recommender *r) { return r ? r->kind : EDL_REC_MF; }
const edl_model *edl_rec_model(const edl_recommender *r) { return r ? r->m : NULL; }
size_t edl_rec_num_users(const edl_recommender *r) { return r ? r->users : 0; }
size_t edl_rec_num_items(const edl_recommender *r) { return r ? r->items : 0; }

int edl__rec_seen(const edl_recommender *r, size_t u, int64_t i) {
    /* the last item <= i by halving, without a branch on the data (a conditional move: the
       branches of a plain binary search were mispredicted half the time) */
    const int64_t *b = r->seen + r->seen_off[u];
    size_t n = (size_t)(r->seen_off[u + 1] - r->seen_off[u]);
    if (n == 0) return 0;
    while (n > 1) {
        size_t half = n / 2;
        b = b[half] <= i ? b + half : b;
        n -= half;
    }
    return *b == i;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Dense ids for the training records (uidx, iidx), each user's sorted items and item counts. */
static edl_status index_records(edl_recommender *r, const edl_ratings *d, int64_t *uidx, int64_t *iidx) {
    EDL__TRY(edl__idmap_init(&r->uid, d->n / 16 + 16));
    EDL__TRY(edl__idmap_init(&r->iid, d->n / 16 + 16));
    for (size_t k = 0; k < d->n; k++) {
        EDL__TRY(edl__idmap_put(&r->uid, d->user[k], &uidx[k]));
        EDL__TRY(edl__idmap_put(&r->iid, d->item[k], &iidx[k]));
    }
    r->users = r->uid.n, r->items = r->iid.n;
    r->seen_off = calloc(r->users + 1, sizeof *r->seen_off);
    r->seen = malloc(d->n * sizeof *r->seen);
    r->count = calloc(r->items, sizeof *r->count);
    if (!r->seen_off || !r->seen || !r->count)
        return edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for %zu records", d->n);
    for (size_t k = 0; k < d->n; k++) r->seen_off[uidx[k] + 1]++, r->count[iidx[k]]++;
    for (size_t u = 0; u < r->users; u++) r->seen_off[u + 1] += r->seen_off[u];
    int64_t *fill = malloc((r->users + 1) * sizeof *fill);
    if (!fill) return edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for %zu users", r->users);
    memcpy(fill, r->seen_off, (r->users + 1) * sizeof *fill);
    for (size_t k = 0; k < d->n; k++) r->seen[fill[uidx[k]]++] = iidx[k];
    free(fill);
    for (size_t u = 0; u < r->users; u++) {
        qsort(r->seen + r->seen_off[u], (size_t)(r->seen_off[u + 1] - r->seen_off[u]), sizeof *r->seen, cmp_i64);
        for (int64_t j = r->seen_off[u] + 1; j < r->seen_off[u + 1]; j++)
            if (r->seen[j] == r->seen[j - 1])
                return edl__fail(
                    EDL_ERR_ARG,
                    "edl_rec_train: user %lld has item %lld twice (edl_ratings_read rejects or skips duplicates)",
                    (long long)r->uid.ids[u], (long long)r->iid.ids[r->seen[j]]);
    }
    return EDL_OK;
}

/* Points r's table and dense layers into its model's parameter block. */
edl_status edl__rec_bind(edl_recommender *r) {
    size_t count;
    r->table = edl_model_tensor(r->m, 0, "weight", &count);
    r->ndense = 0;
    for (size_t l = 1; l < edl_model_num_layers(r->m); l++) {
        edl_layer_info li;
        EDL__TRY(edl_model_layer_info(r->m, l, &li));
        if (li.kind != EDL_LAYER_DENSE || r->ndense == EDL__REC_MAX_DENSE || !li.bias)
            return edl__fail(EDL_ERR_FORMAT, "recommender: layer %zu (%s) is not a dense layer with bias (at most %d)",
                             l, li.name, EDL__REC_MAX_DENSE);
        edl__rec_dense *D = &r->dense[r->ndense++];
        D->w = edl_model_tensor(r->m, l, "weight", &count);
        D->b = edl_model_tensor(r->m, l, "bias", &count);
        D->in = li.in_dim, D->out = li.out_dim, D->act = li.act;
    }
    if (r->kind == EDL_REC_MLP &&
        (r->ndense == 0 || r->dense[r->ndense - 1].out != 1 || r->dense[r->ndense - 1].act != EDL_ACT_NONE))
        return edl__fail(EDL_ERR_FORMAT, "recommender: the mlp must end in dense(1) without activation");
    return EDL_OK;
}

/* ---- training ----------------------------------------------------------------------------- */

typedef struct {
    edl_recommender *r;
    const edl_rec_args *a;
    const int64_t *uidx, *iidx;
    const float *rating;
    const edl__rec_blocks *blk; /* the schedule: records by block, items by group */
    edl_opt_kind opt;
    edl_optim_config optim; /* opt's defaults (betas, eps) at rate lr */
    float lr, reg, dwd;     /* dwd: the mlp dense layers' decoupled decay (0: none) */
    size_t neg, batch;
    float *s1, *s2;     /* optimizer state beside the parameter block (Adagrad: s1; Adam: both) */
    float *b1, *b2;     /* ... and beside the biases */
    uint64_t *filter;   /* bpr, mlp: a Bloom filter of the training (user, item) pairs */
    size_t filter_mask; /* its words - 1 (a power of two) */
    uint64_t *pairs;    /* ... or, when it is at most twice the filter's size, every pair's bit */
    size_t pairs_words; /* words a user in pairs (items / 64, rounded up) */
    size_t dense_off;   /* first float of the dense layers in the block */
    size_t nparams;     /* floats in the block, from r->table to the last dense layer's bias */
    size_t steps;       /* batches done before this epoch (Adam's bias correction) */
    size_t total_steps; /* batches of all epochs (this epoch's count times the epochs) */
    int decay;          /* 1: linear decay of the rate */
    uint64_t epoch;
    edl_comm *comm;         /* the run's ranks (NULL: one process): each takes a part of a batch */
    atomic_int failed;      /* a thread saw a non-finite value or a kernel failed */
    edl_status fail_status; /* written once, by the first thread to fail */
    size_t fail_step;       /* ... and the step it failed at */
    char fail_msg[256];     /* that thread's edl_last_error() (thread-local there) */
} trainer;

/* A thread's sums, alone on a cache line (mf adds to them every example). */
typedef struct {
    _Alignas(64) double loss; /* summed over examples */
    size_t examples;
} thread_sum;

/* The rate once `done` batches of the run are done: linear to 0 over all of them, or constant
   (the one schedule every trainer takes). */
static float rate_after(const trainer *t, size_t done) {
    return edl_schedule_lr(t->decay ? EDL_SCHED_LINEAR : EDL_SCHED_CONSTANT, t->lr, done, t->total_steps, 0);
}

/* step: this batch's 1-based number in the schedule (SparseAdam's shared step count); wd: the
   L2 on these values (the rows' -reg, or none). The optimizer rules every trainer shares. */
static edl__opt_coef coef(const trainer *t, float wd, size_t step) {
    edl__opt_coef c = edl__opt_coefs(&t->optim, rate_after(t, step - 1), step, 1);
    c.wd = wd;
    return c;
}

/* Records the first failure of any thread, with its message (edl_last_error is per thread). */
static void fail_once(trainer *t, edl_status s, size_t step, const char *msg) {
    int expect = 0;
    if (atomic_compare_exchange_strong(&t->failed, &expect, 1)) {
        t->fail_status = s, t->fail_step = step;
        snprintf(t->fail_msg, sizeof t->fail_msg, "%s", msg);
    }
}

/* A kernel call that may refuse (out of memory for a GEMM's buffers, say): the step stops and
   the training returns the kernel's status and message. */
#define KERNEL(t, call)                                  \
    do {                                                 \
        edl_status ks_ = (call);                         \
        if (ks_ != EDL_OK) {                             \
            fail_once((t), ks_, step, edl_last_error()); \
            return true;                                 \
        }                                                \
    } while (0)

/* ---- the exchange between ranks: every batch's examples are split among the ranks (each its
   part [k0, k1) by edl__comm_share); what a part computed goes to every rank, which then applies
   the batch's updates in one process's order. The one place that moves values between ranks. */

/* Whether every rank's part went well (local: this rank's status); a failure anywhere is
   recorded on every rank, so all stop at the same batch. */
static bool parts_ok(trainer *t, size_t step, edl_status local) {
    edl_status s = edl_comm_agree(t->comm, local);
    if (s != EDL_OK) fail_once(t, s, step, edl_last_error());
    return s == EDL_OK;
}

/* x holds n examples' values of width floats; each rank computed its part: afterwards every
   rank holds every part (an allgather of 4 x width bytes an example). */
static bool share_parts(trainer *t, size_t step, float *x, size_t width, size_t n) {
    if (edl_comm_size(t->comm) == 1) return true;
    size_t k0, k1, bytes = 0;
    edl__comm_share(t->comm, n, &k0, &k1);
    void *all = NULL;
    edl_status s = edl__comm_allgatherv(t->comm, x + k0 * width, (k1 - k0) * width * sizeof *x, &all, &bytes, NULL);
    if (s == EDL_OK && bytes != n * width * sizeof *x)
        s = edl__fail(EDL_ERR_IO, "edl_rec_train: ranks sent %zu bytes for %zu values", bytes, n * width);
    if (s == EDL_OK) memcpy(x, all, bytes);
    free(all);
    if (s != EDL_OK) fail_once(t, s, step, edl_last_error());
    return s == EDL_OK;
}

/* The mlp's dense gradients g (n floats, each rank's part's sum) summed over ranks. */
static bool sum_dense(trainer *t, size_t step, float *g, size_t n) {
    edl_status s = edl__comm_allreduce(t->comm, g, n, EDL__COMM_F32, EDL__COMM_SUM);
    if (s != EDL_OK) fail_once(t, s, step, edl_last_error());
    return s == EDL_OK;
}

/* One optimizer update of n values p from gradient g (zeroed after), state beside them: the
   lazy form (only what a batch read changes, as torch.optim.SparseAdam). */
static bool update(const trainer *t, const edl__opt_coef *c, float *p, float *g, float *s1, float *s2, size_t n) {
    return edl__opt_apply(t->opt, c, p, g, s1, s2, n, 1);
}

/* A negative for dense user u: uniform over item group g (the items this block may write),
   avoiding the user's own (a few tries). */
/* The filter: one 64-bit word a pair, two bits in it (a register-blocked Bloom filter), so
   "not a training pair" costs one memory read; "maybe" goes to the exact search. */
static uint64_t pair_hash(size_t u, int64_t i) {
    uint64_t x = (uint64_t)u * 0x9e3779b97f4a7c15ULL ^ (uint64_t)i;
    x ^= x >> 31, x *= 0xd6e8feb86659fd93ULL, x ^= x >> 32;
    return x;
}
static uint64_t pair_bits(uint64_t h) { return (1ULL << (h >> 58)) | (1ULL << ((h >> 52) & 63)); }

/* bits: 1 a bit for every pair, 0 the Bloom filter, -1 (the trainer) the bits when they take at
   most twice the filter's memory (one read answers exactly, with no search; dense sets: 3 MB
   against 2 MB for 6000 users x 4000 items and 900k pairs), else the filter. */
static edl_status build_filter(trainer *t, const int64_t *uidx, const int64_t *iidx, size_t n, int bits) {
    size_t words = 64;
    while (words < n / 4 && words < ((size_t)1 << 40)) words *= 2; /* >= 16 bits a pair */
    const size_t U = t->r->users, row = (t->r->items + 63) / 64;
    if (row && bits != 0 && (bits == 1 || U <= 2 * words / row) && U <= SIZE_MAX / sizeof(uint64_t) / row) {
        t->pairs = calloc(U * row, sizeof *t->pairs);
        if (!t->pairs)
            return edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for the negative sampler's bits (%zu words)",
                             U * row);
        t->pairs_words = row;
        for (size_t k = 0; k < n; k++)
            t->pairs[(size_t)uidx[k] * row + (size_t)iidx[k] / 64] |= 1ULL << ((size_t)iidx[k] % 64);
        return EDL_OK;
    }
    t->filter = calloc(words, sizeof *t->filter);
    if (!t->filter)
        return edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for the negative sampler's filter (%zu words)",
                         words);
    t->filter_mask = words - 1;
    for (size_t k = 0; k < n; k++) {
        uint64_t h = pair_hash((size_t)uidx[k], iidx[k]);
        t->filter[h & t->filter_mask] |= pair_bits(h);
    }
    return EDL_OK;
}

/* Whether item i is user u's, from the bits of every pair. */
static bool pair_seen(const trainer *t, size_t u, int64_t i) {
    return (t->pairs[u * t->pairs_words + (size_t)i / 64] >> ((size_t)i % 64)) & 1;
}

static bool maybe_seen(const trainer *t, size_t u, int64_t i) {
    uint64_t h = pair_hash(u, i), b = pair_bits(h);
    return (t->filter[h & t->filter_mask] & b) == b && edl__rec_seen(t->r, u, i);
}

/* A block's negatives: uniform draws from its item group (the items this block may write). */
typedef struct {
    const int64_t *items; /* the group's items */
    size_t m;
    edl_rng *rng;
} sampler;

static void sampler_init(sampler *sm, const trainer *t, int g, edl_rng *rng) {
    sm->items = t->blk->gitems + t->blk->goff[g], sm->m = t->blk->goff[g + 1] - t->blk->goff[g], sm->rng = rng;
}

/* (edl__rng_range: no division a draw, as edl_rng_below's) */
static int64_t sampler_draw(sampler *sm) { return sm->items[edl__rng_range(sm->rng, sm->m)]; }

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The slots of a batch's negatives in order, by offset: slot q is example (q / per) (per + skip)
   + skip + q % per, found without the two 64-bit divisions a slot (a quarter of the sampler's
   time on Zen 4). */
typedef struct {
    size_t e, k; /* the slot's offset in idx, and its place in its run of per */
} slot_walk;

static slot_walk first_slot(size_t width, size_t skip) { return (slot_walk){skip * width, 0}; }

static void next_slot(slot_walk *w, size_t width, size_t per, size_t skip) {
    w->e += width;
    if (++w->k == per) w->k = 0, w->e += skip * width;
}

/* The negatives of a batch, avoiding each user's own items (up to 16 draws): slot q < n is example
   (q / per) (per + skip) + skip + q % per of idx (width values an example, the user first; its
   offset e walked by next_slot); its negative (+ users) goes to offset jo. In passes over the
   batch, so the cache misses of many slots overlap (one at a time, the filter's probe had taken
   84% of the sampler's time): every slot draws a candidate and asks for its filter word; the
   slots whose word says "maybe" ask for the lines of their exact search (up to 2 KiB); then each
   checks its candidate, drawing again while it is the user's own. */
static void draw_negatives(const trainer *t, sampler *sm, int64_t *idx, size_t width, size_t jo, size_t n, size_t per,
                           size_t skip, size_t *maybe) {
    const int64_t U = (int64_t)t->r->users;
    const int64_t *seen = t->r->seen, *off = t->r->seen_off;
    size_t nmaybe = 0;
    if (t->pairs) { /* every pair's bit: a candidate's word asked for, then the answer (the same draws) */
        slot_walk w = first_slot(width, skip);
        for (size_t q = 0; q < n; q++, next_slot(&w, width, per, skip)) {
            size_t e = w.e, u = (size_t)idx[e];
            int64_t j = sampler_draw(sm);
            idx[e + jo] = j;
            PREFETCH(t->pairs + u * t->pairs_words + (size_t)j / 64);
        }
        w = first_slot(width, skip);
        for (size_t q = 0; q < n; q++, next_slot(&w, width, per, skip)) {
            size_t e = w.e, u = (size_t)idx[e];
            int64_t j = idx[e + jo];
            if (pair_seen(t, u, j)) /* the user's own: draw again */
                for (int tries = 1; tries < 16 && pair_seen(t, u, (j = sampler_draw(sm))); tries++) {
                }
            idx[e + jo] = U + j;
        }
        return;
    }
    slot_walk w = first_slot(width, skip);
    for (size_t q = 0; q < n; q++, next_slot(&w, width, per, skip)) {
        size_t e = w.e, u = (size_t)idx[e];
        int64_t j = sampler_draw(sm);
        idx[e + jo] = j;
        PREFETCH(t->filter + (pair_hash(u, j) & t->filter_mask));
    }
    w = first_slot(width, skip);
    for (size_t q = 0; q < n; q++, next_slot(&w, width, per, skip)) {
        size_t e = w.e, u = (size_t)idx[e];
        uint64_t h = pair_hash(u, idx[e + jo]), b = pair_bits(h);
        if ((t->filter[h & t->filter_mask] & b) != b) { /* not the user's: taken */
            idx[e + jo] += U;
            continue;
        }
        maybe[nmaybe++] = e;
        size_t m = (size_t)(off[u + 1] - off[u]); /* all of u's items up to 2 KiB, else the first probes */
        if (m * sizeof *seen <= 2048)
            for (size_t k = 0; k < m; k += 8) PREFETCH(seen + off[u] + k);
        else
            for (size_t k = 1; k < 8; k++) PREFETCH(seen + off[u] + m * k / 8);
    }
    for (size_t k = 0; k < nmaybe; k++) {
        size_t e = maybe[k], u = (size_t)idx[e];
        int64_t j = idx[e + jo];
        if (edl__rec_seen(t->r, u, j)) /* the user's own: draw again */
            for (int tries = 1; tries < 16 && maybe_seen(t, u, (j = sampler_draw(sm))); tries++) {
            }
        idx[e + jo] = U + j;
    }
}

/* The tests' view of the sampler: n negatives for users[k] (dense ids), uniform over all items
   but the user's own, drawn as a batch of the trainer draws them (seed: the stream), with the
   pairs' bits (bits 1) or the Bloom filter and the exact search (bits 0); out[k] an item id. */
edl_status edl__rec_sample_negatives(edl_recommender *r, int bits, uint64_t seed, const int64_t *users, size_t n,
                                     int64_t *out) {
    trainer t;
    memset(&t, 0, sizeof t);
    t.r = r;
    const size_t np = (size_t)r->seen_off[r->users];
    int64_t *uidx = malloc((np + 1) * sizeof *uidx), *items = malloc((r->items + 1) * sizeof *items);
    int64_t *idx = malloc((2 * n + 1) * sizeof *idx);
    size_t *maybe = malloc((n + 1) * sizeof *maybe);
    edl_status s = uidx && items && idx && maybe ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "edl__rec_sample_negatives");
    for (size_t u = 0; s == EDL_OK && u < r->users; u++)
        for (int64_t k = r->seen_off[u]; k < r->seen_off[u + 1]; k++) uidx[k] = (int64_t)u;
    for (size_t i = 0; s == EDL_OK && i < r->items; i++) items[i] = (int64_t)i;
    if (s == EDL_OK) s = build_filter(&t, uidx, r->seen, np, bits);
    if (s == EDL_OK) {
        edl_rng rng;
        edl_rng_seed(&rng, seed);
        sampler sm = {items, r->items, &rng};
        for (size_t k = 0; k < n; k++) idx[2 * k] = users[k];
        draw_negatives(&t, &sm, idx, 2, 1, n, 1, 0, maybe);
        for (size_t k = 0; k < n; k++) out[k] = idx[2 * k + 1] - (int64_t)r->users;
    }
    free(uidx), free(items), free(idx), free(maybe), free(t.filter), free(t.pairs);
    return s;
}

typedef struct {
    int64_t *idx;        /* rows of the batch: (user, item[, negative item]) per example */
    float *rows, *drows; /* gathered rows and their gradients */
    float *target;
    float *logit, *dlogit;
    float *act[EDL__REC_MAX_DENSE + 1], *grad[EDL__REC_MAX_DENSE + 1]; /* mlp: act[0] = rows */
    float *dparams;                                                    /* mlp: gradient of the dense layers */
    float *dscratch; /* mlp: the dense layers' scratch (edl__dense_scratch_floats) */
    size_t *maybe;   /* slots whose negative the filter could not clear */
    float *scale;    /* a row update's gradient: scale[m] x[m] */
    const float **x;
} workspace;

static void ws_free(workspace *w, size_t ndense) {
    free(w->idx), free(w->rows), free(w->drows), free(w->target), free(w->logit), free(w->dlogit), free(w->dparams);
    free(w->scale), free((void *)w->x), free(w->maybe), free(w->dscratch);
    for (size_t l = 1; l <= ndense; l++) free(w->act[l]), free(w->grad[l]);
}

static int ws_alloc(workspace *w, const trainer *t, size_t ndense_params) {
    const edl_recommender *r = t->r;
    size_t per = r->kind == EDL_REC_BPR ? 3 : 2;
    size_t ex = r->kind == EDL_REC_MLP ? t->batch * (1 + t->neg) : t->batch;
    memset(w, 0, sizeof *w);
    w->idx = malloc(ex * per * sizeof *w->idx);
    w->rows = malloc(ex * per * r->dim * sizeof *w->rows);
    w->drows = malloc(ex * per * r->dim * sizeof *w->drows);
    w->target = malloc(ex * sizeof *w->target);
    w->logit = malloc(ex * sizeof *w->logit);
    w->dlogit = malloc(ex * sizeof *w->dlogit);
    w->scale = malloc(ex * per * sizeof *w->scale);
    w->x = malloc(ex * per * sizeof *w->x);
    w->maybe = malloc(ex * sizeof *w->maybe);
    int ok = w->idx && w->rows && w->drows && w->target && w->logit && w->dlogit && w->scale && w->x && w->maybe;
    w->act[0] = w->rows, w->grad[0] = w->drows;
    for (size_t l = 0; l < r->ndense; l++) {
        w->act[l + 1] = malloc(ex * r->dense[l].out * sizeof(float));
        w->grad[l + 1] = malloc(ex * r->dense[l].out * sizeof(float));
        ok = ok && w->act[l + 1] && w->grad[l + 1];
    }
    const size_t scratch = edl__rec_dense_scratch_floats(r, ex);
    if (scratch) ok = ok && (w->dscratch = malloc(scratch * sizeof(float)));
    if (ndense_params) ok = ok && (w->dparams = calloc(ndense_params, sizeof(float)));
    return ok;
}

/* mf: rows are (p_u, q_i) pairs; loss (s - r)^2 / 2 with s = mean + b_u + b_i + <p_u, q_i>. */
static bool step_mf(trainer *t, workspace *w, size_t s, size_t e, size_t step, thread_sum *sum) {
    edl_recommender *r = t->r;
    const size_t d = r->dim, f = r->fdim, U = r->users;
    size_t nb = e - s;
    const edl__rec_record *rec = t->blk->rec + s; /* the batch's records, in a row */
    for (size_t k = 0; k < nb; k++)
        w->idx[2 * k] = rec[k].u, w->idx[2 * k + 1] = (int64_t)U + rec[k].i, w->target[k] = rec[k].rating;
    /* the rows (the ids come from index_records: every index is below users + items) */
    /* with the products, this rank's part of them (the biases are read as the updates leave them) */
    size_t k0, k1;
    edl__comm_share(t->comm, nb, &k0, &k1);
    edl__vec_gather_dots(w->rows, w->logit, NULL, r->table, d, w->idx, nb, 2, f ? k0 : 0, f ? k1 : 0, 0);
    if (!f) memset(w->logit + k0, 0, (k1 - k0) * sizeof *w->logit);
    if (!share_parts(t, step, w->logit, 1, nb)) return true;
    edl__opt_coef c = coef(t, t->reg, step), cb = coef(t, t->reg, step);
    bool ok = true;
    const float mean = r->bias[U + r->items];
    /* the biases in order: each example's error from the biases as the earlier ones left them */
    for (size_t k = 0; k < nb; k++) {
        size_t bu = (size_t)w->idx[2 * k], bi = (size_t)w->idx[2 * k + 1];
        float pred = mean + r->bias[bu] + r->bias[bi] + w->logit[k];
        float err = pred - w->target[k];
        sum->loss += (double)err * err;
        ok &= edl__opt_apply1(t->opt, &cb, r->bias + bu, err, t->b1 ? t->b1 + bu : NULL, t->b2 ? t->b2 + bu : NULL);
        ok &= edl__opt_apply1(t->opt, &cb, r->bias + bi, err, t->b1 ? t->b1 + bi : NULL, t->b2 ? t->b2 + bi : NULL);
        /* then the rows: p_u from err q_i, q_i from err p_u (the rows as the batch read them) */
        const float *pu = w->rows + 2 * k * d;
        w->scale[2 * k] = w->scale[2 * k + 1] = err, w->x[2 * k] = pu + d, w->x[2 * k + 1] = pu;
    }
    if (f) ok &= edl__vec_update_rows(t->opt, &c, r->table, t->s1, t->s2, d, w->idx, 2 * nb, w->scale, w->x);
    sum->examples += nb;
    return ok;
}

/* bpr: rows are (p_u, q_i, q_j) triples; loss -log sigmoid(x), x = b_i - b_j + <p_u, q_i - q_j>. */
static bool step_bpr(trainer *t, workspace *w, size_t s, size_t e, size_t step, sampler *sm, thread_sum *sum) {
    edl_recommender *r = t->r;
    const size_t d = r->dim, U = r->users;
    size_t nb = 0;
    const edl__rec_record *rec = t->blk->rec;
    if (t->neg == 1) /* the default: one example a record */
        for (size_t k = s; k < e; k++, nb++) w->idx[3 * nb] = rec[k].u, w->idx[3 * nb + 1] = (int64_t)U + rec[k].i;
    else
        for (size_t k = s; k < e; k++)
            for (size_t g = 0; g < t->neg && nb < t->batch; g++, nb++)
                w->idx[3 * nb] = rec[k].u, w->idx[3 * nb + 1] = (int64_t)U + rec[k].i;
    draw_negatives(t, sm, w->idx, 3, 2, nb, 1, 0, w->maybe);
    size_t k0, k1; /* the rows (indices below users + items), this rank's part of the products */
    edl__comm_share(t->comm, nb, &k0, &k1);
    /* <p_u, q_i>, <p_u, q_j>; the rows kept: p_u, q_i, q_i - q_j */
    if (d == 32) { /* the default width: the scores made as the rows are read */
        edl__vec_bpr_gather32(w->rows, w->logit, r->table, r->bias, w->idx, nb, k0, k1);
    } else {
        edl__vec_gather_dots(w->rows, w->logit, w->dlogit, r->table, d, w->idx, nb, 3, k0, k1, 1);
        for (size_t k = k0; k < k1; k++)
            w->logit[k] = r->bias[w->idx[3 * k + 1]] - r->bias[w->idx[3 * k + 2]] + w->logit[k] - w->dlogit[k];
    }
    if (!share_parts(t, step, w->logit, 1, nb)) return true;
    /* the loss -log sigmoid(x) and its gradient sigmoid(x) - 1 a score, in float (the double
       exp and log1p a score had taken a seventh of an epoch) */
    sum->loss += edl__vec_logsig(w->dlogit, w->logit, nb), sum->examples += nb;
    edl__opt_coef c = coef(t, t->reg, step), cb = coef(t, 0.0f, step);
    if (t->opt == EDL_OPT_SGD && c.momentum == 0.0f && d == 32) /* the default: one pass, the same values */
        return edl__vec_bpr_sgd32(&c, &cb, r->table, r->bias, w->idx, w->dlogit, w->rows, nb);
    bool ok = true;
    for (size_t k = 0; k < nb; k++) {
        float g = w->dlogit[k];
        const float *p = w->rows + 3 * k * d, *diff = p + 2 * d;
        /* p_u from g (q_i - q_j), q_i from g p_u, q_j from -g p_u */
        w->scale[3 * k] = g, w->scale[3 * k + 1] = g, w->scale[3 * k + 2] = -g;
        w->x[3 * k] = diff, w->x[3 * k + 1] = p, w->x[3 * k + 2] = p;
        size_t bi = (size_t)w->idx[3 * k + 1], bj = (size_t)w->idx[3 * k + 2];
        ok &= edl__opt_apply1(t->opt, &cb, r->bias + bi, g, t->b1 ? t->b1 + bi : NULL, t->b2 ? t->b2 + bi : NULL);
        ok &= edl__opt_apply1(t->opt, &cb, r->bias + bj, -g, t->b1 ? t->b1 + bj : NULL, t->b2 ? t->b2 + bj : NULL);
    }
    ok &= edl__vec_update_rows(t->opt, &c, r->table, t->s1, t->s2, d, w->idx, 3 * nb, w->scale, w->x);
    return ok;
}

/* mlp: rows are (p_u, q_i) pairs, one positive and neg negatives per record; dense layers
   (ReLU) to a logit; binary cross-entropy. */
static bool step_mlp(trainer *t, workspace *w, size_t s, size_t e, size_t step, sampler *sm, thread_sum *sum) {
    edl_recommender *r = t->r;
    const size_t d = r->dim, U = r->users, L = r->ndense;
    size_t nb = 0;
    for (size_t k = s; k < e; k++) {
        const edl__rec_record x = t->blk->rec[k];
        for (size_t g = 0; g <= t->neg; g++, nb++) {
            w->idx[2 * nb] = x.u;
            w->idx[2 * nb + 1] = (int64_t)U + x.i; /* g > 0: the negatives, drawn below */
            w->target[nb] = g == 0 ? 1.0f : 0.0f;
        }
    }
    if (t->neg) draw_negatives(t, sm, w->idx, 2, 1, (e - s) * t->neg, t->neg, 1, w->maybe);
    /* this rank's part [k0, k1) of the examples: rows, forward, and after the loss over all of
       them, backward; then the parts' row gradients and dense sums go to every rank */
    size_t k0, k1;
    edl__comm_share(t->comm, nb, &k0, &k1);
    const size_t np = k1 - k0;
    edl_status ps = EDL_OK;
    edl__vec_gather_rows(w->rows + 2 * k0 * d, r->table, d, w->idx + 2 * k0, 2 * np); /* ids below users + items */
    for (size_t l = 0; ps == EDL_OK && np && l < L; l++) {
        const edl__rec_dense *D = &r->dense[l];
        ps = edl_dense_forward(w->act[l + 1] + k0 * D->out, w->act[l] + k0 * D->in, np, D->in, D->out, D->w, D->b,
                               D->act);
    }
    if (r->dot) /* + b_i + <p_u, q_i> */
        for (size_t k = k0; k < k1; k++)
            w->act[L][k] +=
                r->bias[w->idx[2 * k + 1]] + edl__vec_dot(w->rows + 2 * k * d, w->rows + (2 * k + 1) * d, d);
    if (!parts_ok(t, step, ps) || !share_parts(t, step, w->act[L], 1, nb)) return true;
    float loss = 0.0f;
    KERNEL(t, edl_bce_with_logits(&loss, w->grad[L], w->act[L], w->target, nb));
    sum->loss += (double)loss * (double)nb, sum->examples += nb;
    edl__vec_scale(w->grad[L], (float)nb, nb); /* summed over examples, as the other models */
    for (size_t l = L; ps == EDL_OK && np && l-- > 0;) {
        const edl__rec_dense *D = &r->dense[l];
        float *dw = w->dparams + (size_t)(D->w - r->table) - t->dense_off;
        float *db = w->dparams + (size_t)(D->b - r->table) - t->dense_off;
        ps = edl__dense_backward_in_place(w->grad[l] + k0 * D->in, dw, db, w->grad[l + 1] + k0 * D->out,
                                          w->act[l] + k0 * D->in, w->act[l + 1] + k0 * D->out, np, D->in, D->out, D->w,
                                          D->act, w->dscratch);
    }
    for (size_t k = k0; r->dot && ps == EDL_OK && k < k1; k++) { /* the dot's gradient beside the MLP's */
        const float g = w->grad[L][k], *p = w->rows + 2 * k * d, *q = p + d;
        float *dp = w->drows + 2 * k * d, *dq = dp + d;
        for (size_t j = 0; j < d; j++) dp[j] += g * q[j], dq[j] += g * p[j];
    }
    if (!parts_ok(t, step, ps) || !share_parts(t, step, w->drows, 2 * d, nb) ||
        !sum_dense(t, step, w->dparams, t->nparams - t->dense_off))
        return true;
    edl__opt_coef c = coef(t, t->reg, step), cd = coef(t, 0.0f, step);
    bool ok = true;
    for (size_t k = 0; k < 2 * nb; k++) w->scale[k] = 1.0f, w->x[k] = w->drows + k * d;
    ok &= edl__vec_update_rows(t->opt, &c, r->table, t->s1, t->s2, d, w->idx, 2 * nb, w->scale, w->x);
    for (size_t k = 0; r->dot && k < nb; k++) {
        size_t bi = (size_t)w->idx[2 * k + 1];
        ok &= edl__opt_apply1(t->opt, &cd, r->bias + bi, w->grad[L][k], t->b1 ? t->b1 + bi : NULL,
                              t->b2 ? t->b2 + bi : NULL);
    }
    /* the dense layers: AdamW's decoupled decay (-dense_decay), which holds the MLP near zero
       where it does not generalise; then values and state below the normal range flushed to
       zero (decayed weights and moments would otherwise go subnormal and slow every GEMM) */
    size_t nd = t->nparams - t->dense_off;
    edl__rec_dense_coef(&cd, t->dwd);
    float *dp = r->table + t->dense_off, *d1 = t->s1 ? t->s1 + t->dense_off : NULL,
          *d2 = t->s2 ? t->s2 + t->dense_off : NULL;
    ok &= update(t, &cd, dp, w->dparams, d1, d2, nd);
    if (t->dwd > 0.0f) edl__rec_flush_tiny(dp, nd), edl__rec_flush_tiny(d1, nd), edl__rec_flush_tiny(d2, nd);
    return ok;
}

/* Records per batch: bpr's batch counts triples (neg per record), the others' records. */
static size_t records_per_batch(const trainer *t) {
    return t->r->kind == EDL_REC_BPR ? (t->batch + t->neg - 1) / t->neg : t->batch;
}

/* Batches in sub-epoch k of the schedule: m[g] for the block (g, (g + k) % nt); returns their sum. */
static size_t sub_epoch_batches(const trainer *t, int k, size_t m[EDL__REC_MAX_THREADS]) {
    const edl__rec_blocks *B = t->blk;
    size_t per = records_per_batch(t), nb = 0;
    for (int g = 0; g < B->nt; g++) {
        size_t blk = (size_t)g * (size_t)B->nt + (size_t)((g + k) % B->nt);
        m[g] = (B->off[blk + 1] - B->off[blk] + per - 1) / per;
        nb += m[g];
    }
    return nb;
}

/* The number of batch j of user group g within its sub-epoch (0-based), counting the batches
   round by round (round j: every group with more than j batches, in group order), so a
   sub-epoch's batches are numbered 0 .. sum - 1 without gaps whatever the blocks' sizes. */
static size_t batch_number(const size_t *m, int nt, int g, size_t j) {
    size_t before = 0;
    for (int h = 0; h < nt; h++) before += (m[h] < j ? m[h] : j) + (h < g && m[h] > j);
    return before;
}

/* Thread tid of a team of `team` runs, in each of the nt sub-epochs, the blocks of user groups
   tid, tid + team, ...; a barrier ends each sub-epoch (every thread reaches it, even after a
   failure, so none waits forever). Batches are numbered by batch_number after the steps of
   the sub-epochs before: the same numbers whatever the timing. */
static void run_thread(trainer *t, int tid, int team, thread_sum *sum) {
#ifdef _OPENMP
    /* the kernels inside a batch stay on this thread: a team of one does not count as active,
       so without this each GEMM and gather would start a team of its own (measured: 65% of an
       mlp epoch waiting in libgomp) */
    omp_set_num_threads(1);
#endif
    workspace w;
    size_t nd = t->r->kind == EDL_REC_MLP ? t->nparams - t->dense_off : 0;
    bool have_ws = ws_alloc(&w, t, nd);
    if (!have_ws) edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for a thread's batch buffers");
    have_ws = parts_ok(t, t->steps, have_ws ? EDL_OK : EDL_ERR_NOMEM) && have_ws;
    const edl__rec_blocks *B = t->blk;
    const int nt = B->nt;
    const size_t per = records_per_batch(t);
    size_t base = t->steps, m[EDL__REC_MAX_THREADS];
    for (int k = 0; k < nt; k++) {
        size_t nb = sub_epoch_batches(t, k, m);
        for (int g = tid; have_ws && g < nt; g += team) {
            int h = (g + k) % nt;
            size_t blk = (size_t)g * (size_t)nt + (size_t)h, s = B->off[blk], e = B->off[blk + 1];
            edl_rng rng;
            sampler sm;
            sampler_init(&sm, t, h, &rng);
            edl_rng_seed(&rng, t->a->seed * 0x9e3779b97f4a7c15ULL + t->epoch * 1000003ULL + (uint64_t)k * (uint64_t)nt +
                                   (uint64_t)g);
            for (size_t b = s, j = 0; b < e && !atomic_load_explicit(&t->failed, memory_order_relaxed); b += per, j++) {
                size_t be = e - b > per ? b + per : e, step = base + batch_number(m, nt, g, j) + 1;
                bool ok = t->r->kind == EDL_REC_MF    ? step_mf(t, &w, b, be, step, sum)
                          : t->r->kind == EDL_REC_BPR ? step_bpr(t, &w, b, be, step, &sm, sum)
                                                      : step_mlp(t, &w, b, be, step, &sm, sum);
                if (!ok) fail_once(t, EDL_ERR_NUMERIC, step, "");
            }
        }
        base += nb;
#pragma omp barrier
    }
    ws_free(&w, t->r->ndense); /* also what a failed ws_alloc got */
}

static edl_status check_args(const edl_rec_args *a, const edl_ratings *d) {
    static const char fn[] = "edl_rec_train";
    if ((unsigned)a->model > EDL_REC_POP) return edl__fail(EDL_ERR_ARG, "%s: model %d is unknown", fn, (int)a->model);
    if (d->n == 0) return edl__fail(EDL_ERR_ARG, "%s: no training records", fn);
    if (a->model != EDL_REC_POP && a->model != EDL_REC_MF && a->dim == 0)
        return edl__fail(EDL_ERR_ARG, "%s: dim is 0", fn);
    if (a->dim > 100000) return edl__fail(EDL_ERR_ARG, "%s: dim %zu is more than 100000", fn, a->dim);
    if (a->batch == 0 || a->batch > (1u << 20))
        return edl__fail(EDL_ERR_ARG, "%s: batch %zu is not in [1, 2^20]", fn, a->batch);
    if (a->neg > 1000) return edl__fail(EDL_ERR_ARG, "%s: neg %zu is more than 1000", fn, a->neg);
    if (a->decay < -1 || a->decay > 1) return edl__fail(EDL_ERR_ARG, "%s: decay %d is not -1, 0 or 1", fn, a->decay);
    if (isnan(a->lr) || isinf(a->lr) || isnan(a->reg) || isinf(a->reg))
        return edl__fail(EDL_ERR_ARG, "%s: lr %g and reg %g must be finite", fn, a->lr, a->reg);
    if (a->optimizer != -1 && a->optimizer != EDL_OPT_SGD && a->optimizer != EDL_OPT_ADAGRAD &&
        a->optimizer != EDL_OPT_ADAM)
        return edl__fail(EDL_ERR_ARG, "%s: optimizer %d is not sgd, adagrad or adam", fn, a->optimizer);
    if (a->nhidden > EDL__REC_MAX_DENSE - 1)
        return edl__fail(EDL_ERR_ARG, "%s: %zu hidden layers (at most %d)", fn, a->nhidden, EDL__REC_MAX_DENSE - 1);
    for (size_t l = 0; l < a->nhidden; l++)
        if (!a->hidden || a->hidden[l] == 0 || a->hidden[l] > 100000)
            return edl__fail(EDL_ERR_ARG, "%s: hidden layer %zu has size 0 or > 100000", fn, l);
    if (a->mlp_dot < -1 || a->mlp_dot > 1)
        return edl__fail(EDL_ERR_ARG, "%s: mlp_dot %d is not -1, 0 or 1", fn, a->mlp_dot);
    if (isnan(a->mlp_decay) || isinf(a->mlp_decay))
        return edl__fail(EDL_ERR_ARG, "%s: mlp_decay %g must be finite", fn, a->mlp_decay);
    if (a->shard_rows && (a->model == EDL_REC_POP || a->table_dir))
        return edl__fail(EDL_ERR_ARG, "%s: shard_rows shards the rows of mf, bpr and mlp in memory (not %s%s)", fn,
                         edl_rec_kind_name(a->model), a->table_dir ? " with a table_dir" : "");
    return EDL_OK;
}

/* The model: the table (N(0, 0.1) rows, as Surprise and LIBMF start) and the mlp's layers. */
size_t edl__rec_hidden(const edl_rec_args *a, const size_t **h) {
    static const size_t default_hidden[2] = {64, 32};
    *h = a->hidden ? a->hidden : default_hidden;
    return a->hidden ? a->nhidden : 2;
}

static edl_status build_model(edl_recommender *r, const edl_rec_args *a) {
    r->fdim = a->model == EDL_REC_POP ? 0 : a->dim;
    r->dim = r->fdim ? r->fdim : 1;
    EDL__TRY(edl_model_create(&r->m));
    EDL__TRY(edl_model_add_embedding(r->m, r->users + r->items, r->dim, 2, EDL_POOL_FLATTEN, -1));
    if (a->model == EDL_REC_MLP) {
        const size_t *h;
        size_t nh = edl__rec_hidden(a, &h);
        for (size_t l = 0; l < nh; l++) EDL__TRY(edl_model_add_dense(r->m, h[l], EDL_ACT_RELU, 1));
        EDL__TRY(edl_model_add_dense(r->m, 1, EDL_ACT_NONE, 1));
        EDL__TRY(edl_model_set_loss(r->m, EDL_LOSS_BCE));
    } else {
        EDL__TRY(edl_model_set_loss(r->m, a->model == EDL_REC_MF ? EDL_LOSS_MSE : EDL_LOSS_BCE));
    }
    if (a->table_dir) EDL__TRY(edl_model_set_table_dir(r->m, a->table_dir));
    EDL__TRY(edl_model_init(r->m, EDL_INIT_TORCH, a->seed));
    EDL__TRY(edl__rec_bind(r));
    edl_rng rng;
    edl_rng_seed(&rng, a->seed + 17);
    size_t n = (r->users + r->items) * r->dim;
    enum { PIECE = 1 << 26 }; /* a table in a scratch file is written out 256 MiB at a time */
    for (size_t b = 0; b < n; b += PIECE) {
        size_t end = n - b < PIECE ? n : b + PIECE;
        for (size_t k = b; k < end; k++) r->table[k] = r->fdim ? 0.1f * edl_rng_normal(&rng) : 0.0f;
        edl__model_drop(r->m, EDL__REGION_PARAMS, b, end - b);
    }
    r->bias = calloc(r->users + r->items + 1, sizeof *r->bias);
    if (!r->bias) return edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for biases");
    return EDL_OK;
}

/* Names the first parameter that is not finite: an embedding row (with its user or item id),
   a bias, or a dense layer. Runs once, after a failed step. */
static void nonfinite_where(const edl_recommender *r, char *out, size_t cap) {
    const size_t rows = r->users + r->items;
    for (size_t row = 0; row <= rows; row++) {
        bool bad_row = row < rows && !edl__vec_all_finite(r->table + row * r->dim, r->dim);
        bool bad_bias = !isfinite(r->bias[row]);
        if (!bad_row && !bad_bias) continue;
        const char *what = bad_row ? "layer 0 (embedding)" : "the biases";
        if (row == rows)
            snprintf(out, cap, "the global mean");
        else if (row < r->users)
            snprintf(out, cap, "%s, row %zu (user %lld)", what, row, (long long)r->uid.ids[row]);
        else
            snprintf(out, cap, "%s, row %zu (item %lld)", what, row, (long long)r->iid.ids[row - r->users]);
        return;
    }
    for (size_t l = 0; l < r->ndense; l++) {
        const edl__rec_dense *D = &r->dense[l];
        if (!edl__vec_all_finite(D->w, D->in * D->out) || !edl__vec_all_finite(D->b, D->out)) {
            snprintf(out, cap, "layer %zu (dense %zux%zu)", l + 1, D->out, D->in);
            return;
        }
    }
    snprintf(out, cap, "the training loss");
}

void edl__rec_model_defaults(edl_rec_kind kind, float *lr, float *reg, int *opt) {
    *lr = lr0[kind], *reg = reg0[kind], *opt = opt0[kind];
}

/* n zero floats from a cache line's start, as the table's rows (the optimizer state of a row
   then spans the lines its row does, two for 32 floats rather than three from calloc's offset). */
static float *zeros64(size_t n) {
    void *p = NULL;
    if (n == 0 || n > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, n * sizeof(float)) != 0) return NULL;
    return memset(p, 0, n * sizeof(float));
}

static edl_status train_epochs(edl_recommender *r, const edl_ratings *d, const int64_t *uidx, const int64_t *iidx,
                               const edl_rec_args *a, edl_rec_report *rep) {
    trainer t;
    memset(&t, 0, sizeof t);
    t.r = r, t.a = a, t.uidx = uidx, t.iidx = iidx, t.rating = d->rating;
    t.opt = (edl_opt_kind)(a->optimizer >= 0 ? a->optimizer : opt0[a->model]);
    t.lr = a->lr >= 0.0f ? a->lr : lr0[a->model];
    edl_optim_defaults(&t.optim, t.opt);
    t.optim.lr = t.lr;
    t.reg = a->reg >= 0.0f ? a->reg : reg0[a->model];
    t.dwd = edl__rec_mlp_decay(a);
    t.decay = a->decay != 0;                /* -1 (the default) and 1: linear decay */
    t.neg = a->neg ? a->neg : EDL__REC_NEG; /* bpr and mlp (mf and pop record it) */
    t.batch = a->batch;
    if (a->model == EDL_REC_BPR && t.batch < t.neg) t.batch = t.neg;
    atomic_init(&t.failed, 0);
    size_t table = (r->users + r->items) * r->dim, nb = r->users + r->items + 1;
    /* the block: the table (r->table) first, then the dense layers, each tensor 64-byte aligned
       (the zeros between have zero gradients, so the optimizer's steps leave them zero) */
    t.dense_off = t.nparams = table;
    if (r->ndense) {
        const edl__rec_dense *D0 = &r->dense[0], *DL = &r->dense[r->ndense - 1];
        t.dense_off = (size_t)(D0->w - r->table), t.nparams = (size_t)(DL->b + DL->out - r->table);
    }
    /* several ranks: one thread each, the schedule of one process at one thread */
    int nt = edl_comm_size(a->comm) > 1
                 ? 1
                 : edl__rec_threads(a->thread > 0 ? a->thread : edl__num_threads(), a->model, d->n, r->users, r->items);
    t.comm = a->comm;
    char mlp_args[64] = "";
    if (a->model == EDL_REC_MLP)
        snprintf(mlp_args, sizeof mlp_args, " dot=%d dense_decay=%g", r->dot ? 1 : 0, (double)t.dwd);
    snprintf(r->args, sizeof r->args,
             "model=%s dim=%zu epoch=%zu lr=%g reg=%g neg=%zu batch=%zu optimizer=%s decay=%s seed=%llu threads=%d%s",
             edl_rec_kind_name(a->model), r->fdim, a->epoch, (double)t.lr, (double)t.reg, t.neg, t.batch,
             edl_opt_name((edl_opt_kind)t.opt), edl_schedule_name(t.decay ? EDL_SCHED_LINEAR : EDL_SCHED_CONSTANT),
             (unsigned long long)a->seed, nt, /* the schedule depends on the threads */
             mlp_args);
    edl__rec_blocks blk;
    edl_status s = edl__rec_blocks_init(&blk, r, d->n, nt);
    if (s == EDL_OK && a->model != EDL_REC_MF && a->model != EDL_REC_POP) s = build_filter(&t, uidx, iidx, d->n, -1);
    /* the state of the block's values: beside it in its scratch file (zero until written), or in
       memory; the biases' state in memory */
    float *const region1 = edl__model_region(r->m, EDL__REGION_S1), *const region2 =
                                                                        edl__model_region(r->m, EDL__REGION_S2);
    if (s == EDL_OK && t.opt != EDL_OPT_SGD) {
        t.s1 = region1 ? region1 : zeros64(t.nparams), t.b1 = calloc(nb, sizeof(float));
        if (!t.s1 || !t.b1) s = edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for the optimizer's state");
    }
    if (s == EDL_OK && t.opt == EDL_OPT_ADAM) {
        t.s2 = region2 ? region2 : zeros64(t.nparams), t.b2 = calloc(nb, sizeof(float));
        if (!t.s2 || !t.b2) s = edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for the optimizer's state");
    }
    /* mf starts its global mean at the data's mean, its biases at 0 */
    if (s == EDL_OK && a->model == EDL_REC_MF) {
        double m = 0.0;
        for (size_t k = 0; k < d->n; k++) m += d->rating[k];
        r->bias[r->users + r->items] = (float)(m / (double)d->n);
    }
    edl_rng rng;
    edl_rng_seed(&rng, a->seed);
    t.blk = &blk;
    double t0 = edl__now();
    size_t examples = 0;
    for (size_t ep = 0; s == EDL_OK && ep < a->epoch && a->model != EDL_REC_POP; ep++) {
        edl__rec_blocks_shuffle(&blk, uidx, iidx, a->model == EDL_REC_MF ? d->rating : NULL, &rng);
        t.epoch = ep;
        size_t epoch_steps = 0, counts[EDL__REC_MAX_THREADS];
        for (int k = 0; k < nt; k++) epoch_steps += sub_epoch_batches(&t, k, counts);
        /* the batches done, and this epoch's count for each one left: the decay reaches 0
           just after the last batch */
        t.total_steps = t.steps + epoch_steps * (a->epoch - ep);
        thread_sum sums[EDL__REC_MAX_THREADS];
        memset(sums, 0, sizeof sums);
#pragma omp parallel num_threads(nt)
        {
#ifdef _OPENMP
            run_thread(&t, omp_get_thread_num(), omp_get_num_threads(), &sums[omp_get_thread_num()]);
#else
            run_thread(&t, 0, 1, &sums[0]);
#endif
        }
        t.steps += epoch_steps;
        double loss = 0.0;
        size_t ex = 0;
        for (int k = 0; k < nt; k++) loss += sums[k].loss, ex += sums[k].examples;
        examples += ex;
        float mean_loss = ex ? (float)(loss / (double)ex) : 0.0f;
        if (atomic_load(&t.failed) || !isfinite(mean_loss)) {
            if (atomic_load(&t.failed) && t.fail_status != EDL_ERR_NUMERIC)
                s = edl__fail(t.fail_status, "%s", t.fail_msg);
            else {
                char where[160];
                nonfinite_where(r, where, sizeof where);
                s = edl__fail(
                    EDL_ERR_NUMERIC, "edl_rec_train: %s became non-finite at step %llu (epoch %zu; lower -lr, now %g)",
                    where, (unsigned long long)(atomic_load(&t.failed) ? t.fail_step : t.steps), ep + 1, (double)t.lr);
            }
            break;
        }
        if (rep) rep->loss = mean_loss, rep->epochs_run = ep + 1;
        if (a->progress) {
            edl_progress p;
            memset(&p, 0, sizeof p);
            p.epoch = ep + 1, p.epochs = a->epoch, p.step = t.steps, p.seconds = edl__now() - t0;
            p.progress = (double)(ep + 1) / (double)a->epoch, p.total_steps = t.total_steps;
            p.examples_per_second = p.seconds > 0 ? (double)examples / p.seconds : 0.0;
            p.eta_seconds = p.seconds / (double)(ep + 1) * (double)(a->epoch - ep - 1);
            p.lr = rate_after(&t, t.steps), p.loss = mean_loss, p.accuracy = NAN, p.valid_loss = NAN,
            p.valid_accuracy = NAN, p.epoch_end = 1;
            edl_rec_metrics m;
            if (a->valid && edl_rec_evaluate(r, a->valid, a->k ? a->k : 10, &m) == EDL_OK) {
                if (r->kind == EDL_REC_MF)
                    p.valid_loss = (float)m.rmse;
                else
                    p.valid_accuracy = (float)m.hr;
            }
            a->progress(&p, a->user);
        }
    }
    if (rep) {
        rep->seconds = edl__now() - t0;
        rep->examples_per_second = rep->seconds > 0 ? (double)examples / rep->seconds : 0.0;
    }
    edl__rec_blocks_free(&blk);
    if (t.s1 != region1) free(t.s1);
    if (t.s2 != region2) free(t.s2);
    free(t.filter), free(t.pairs), free(t.b1), free(t.b2);
    return s;
}

static edl_status train_all(edl_recommender **out, const edl_ratings *d, const edl_rec_args *a, edl_rec_report *rep);

/* One array of every rank's records: x (n of size bytes) replaced by the concatenation. */
static edl_status gather_array(edl_comm *comm, void **x, size_t n, size_t size, size_t total) {
    void *all = NULL;
    size_t bytes = 0;
    EDL__TRY(edl__comm_allgatherv(comm, *x, n * size, &all, &bytes, NULL));
    if (bytes != total * size) {
        free(all);
        return edl__fail(EDL_ERR_IO, "edl_rec_train: ranks sent %zu bytes of records, not %zu", bytes, total * size);
    }
    free(*x);
    *x = all;
    return EDL_OK;
}

/* Several ranks: every rank's records, in rank order (the file's order when each read its share),
   into *all; one process: *all NULL (d is the set). Collective. */
static edl_status gather_records(edl_comm *comm, const edl_ratings *d, edl_ratings **all) {
    *all = NULL;
    if (edl_comm_size(comm) == 1) return EDL_OK;
    int64_t total = (int64_t)d->n;
    EDL__TRY(edl__comm_allreduce(comm, &total, 1, EDL__COMM_I64, EDL__COMM_SUM));
    edl_ratings *g = NULL;
    edl_status s = edl_ratings_create(&g);
    if (s == EDL_OK) {
        g->user = malloc(d->n ? d->n * sizeof *g->user : 1), g->item = malloc(d->n ? d->n * sizeof *g->item : 1);
        g->time = malloc(d->n ? d->n * sizeof *g->time : 1), g->rating = malloc(d->n ? d->n * sizeof *g->rating : 1);
        if (!g->user || !g->item || !g->time || !g->rating) s = edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory");
    }
    if (s == EDL_OK && d->n) { /* an empty share's arrays may be NULL */
        memcpy(g->user, d->user, d->n * sizeof *g->user), memcpy(g->item, d->item, d->n * sizeof *g->item);
        memcpy(g->time, d->time, d->n * sizeof *g->time), memcpy(g->rating, d->rating, d->n * sizeof *g->rating);
    }
    if ((s = edl_comm_agree(comm, s)) == EDL_OK) s = gather_array(comm, (void **)&g->user, d->n, 8, (size_t)total);
    if (s == EDL_OK) s = gather_array(comm, (void **)&g->item, d->n, 8, (size_t)total);
    if (s == EDL_OK) s = gather_array(comm, (void **)&g->time, d->n, 8, (size_t)total);
    if (s == EDL_OK) s = gather_array(comm, (void **)&g->rating, d->n, 4, (size_t)total);
    if (s != EDL_OK) {
        edl_ratings_free(g);
        return s;
    }
    g->n = g->cap = (size_t)total;
    *all = g;
    return EDL_OK;
}

edl_status edl_rec_train(edl_recommender **out, const edl_ratings *share, const edl_rec_args *a, edl_rec_report *rep) {
    if (!out || !share || !a) return edl__fail(EDL_ERR_ARG, "edl_rec_train: an argument is NULL");
    edl_ratings *gathered = NULL;
    EDL__TRY(gather_records(a->comm, share, &gathered));
    const edl_ratings *d = gathered ? gathered : share;
    edl_status s = train_all(out, d, a, rep);
    edl_ratings_free(gathered);
    return s;
}

static edl_status train_all(edl_recommender **out, const edl_ratings *d, const edl_rec_args *a, edl_rec_report *rep) {
    EDL__TRY(check_args(a, d));
    edl_recommender *r = calloc(1, sizeof *r);
    int64_t *uidx = malloc(d->n * sizeof *uidx), *iidx = malloc(d->n * sizeof *iidx);
    edl_status s =
        r && uidx && iidx ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for %zu records", d->n);
    if (s == EDL_OK) {
        r->kind = a->model, r->dot = a->model == EDL_REC_MLP && a->mlp_dot != 0;
        s = index_records(r, d, uidx, iidx);
    }
    if (s == EDL_OK) {
        if (rep) memset(rep, 0, sizeof *rep), rep->users = r->users, rep->items = r->items, rep->ratings = d->n;
        s = a->shard_rows ? edl__rec_train_sharded(r, d, uidx, iidx, a, rep) : build_model(r, a);
    }
    if (s == EDL_OK && a->model == EDL_REC_POP) /* popularity: the item biases are log counts */
        for (size_t i = 0; i < r->items; i++) r->bias[r->users + i] = logf((float)r->count[i]);
    if (s == EDL_OK && !a->shard_rows) s = train_epochs(r, d, uidx, iidx, a, rep);
    free(uidx), free(iidx);
    if (s != EDL_OK) {
        edl_rec_free(r);
        return s;
    }
    *out = r;
    return EDL_OK;
}
