/* Recommenders with row-sharded tables (edl_rec_args.shard_rows, `edl recommend train -shard
 * rows`): each rank of the communicator holds the user and item rows whose row number % N is its
 * rank, each row with its bias beside it (dim + 1 floats) and their optimizer state
 * (model/shard.h); nothing else of the table. The mlp's dense layers are replicated.
 *
 * Training is synchronous mini-batch SGD over one global order: every rank has the records (they
 * index the users and items the same way everywhere), each batch of the global order is split
 * into contiguous shares, a rank looks its share's rows up from their owners, computes the
 * gradients, and pushes them back; the owners sum every rank's contribution to a row and take one
 * optimizer step (lazy: only rows looked up change). The dense layers' gradients are summed over
 * the ranks (allreduce) and every rank takes the same step. Negatives are drawn from a stream of
 * the record's place in the global order, so N ranks compute what one does, up to the order of
 * float sums. The initial rows are the unsharded trainer's (0.1 N(0, 1) from one stream: each
 * rank draws the stream and keeps its rows).
 *
 * Files: each rank writes its rows (PREFIX.shard-R-of-N.safetensors), then rank 0 writes the
 * index at the model's path (ids, seen items, the global mean, the dense layers, and the name,
 * size and digest of every shard); edl_rec_load on the index reads every shard and merges. */
#include "kernels/kernels.h"
#include "model/comm.h"
#include "model/optim_rules.h"
#include "model/shard.h"
#include "rec/recommend.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _OPENMP
#include <omp.h>
#endif

struct edl__rec_shard {
    edl__shard tab; /* width dim + 1: the row, then its bias */
    edl_comm *comm;
    float mean; /* mf's global mean */
};

void edl__rec_shard_free(edl__rec_shard *s) {
    if (!s) return;
    edl__shard_free(&s->tab);
    free(s);
}

typedef struct {
    edl_recommender *r;
    const edl_rec_args *a;
    edl__rec_shard *sh;
    const int64_t *uidx, *iidx;
    const float *rating;
    edl_opt_kind opt;
    edl_optim_config optim;
    float lr, reg, dwd; /* dwd: the mlp dense layers' decoupled decay (0: none) */
    size_t neg, per;    /* negatives per record; records per batch */
    int decay;
    size_t total_steps;
    /* the dense layers (mlp): their gradient and optimizer state, r->m's block from dense_off */
    float *dparams, *ds1, *ds2, *dense;
    size_t nd;
    /* a batch: ids, their slots, rows as the mlp reads them, targets, activations */
    int64_t *ids;
    size_t *slot;
    float *x, *dx, *target;
    float *act[EDL__REC_MAX_DENSE + 1], *grad[EDL__REC_MAX_DENSE + 1];
    float *dscratch; /* the dense layers' scratch (edl__dense_scratch_floats) */
    edl__shard_batch b;
} strainer;

static float srate(const strainer *t, size_t done) {
    return edl_schedule_lr(t->decay ? EDL_SCHED_LINEAR : EDL_SCHED_CONSTANT, t->lr, done, t->total_steps, 0);
}

static edl__opt_coef scoef(const strainer *t, float wd, size_t step) {
    edl__opt_coef c = edl__opt_coefs(&t->optim, srate(t, step - 1), step, 1);
    c.wd = wd;
    return c;
}

/* A negative for dense user u: uniform over the items, avoiding the user's own (a few tries). */
static int64_t sneg(const edl_recommender *r, size_t u, edl_rng *rng) {
    int64_t j = 0;
    for (int tries = 0; tries < 16; tries++) {
        j = (int64_t)edl_rng_below(rng, r->items);
        if (!edl__rec_seen(r, u, j)) break;
    }
    return j;
}

/* The examples of records order[lo..hi) into t->ids (rows: user, item[, negative]); returns them. */
static size_t gather(strainer *t, const size_t *order, size_t lo, size_t hi, uint64_t epoch) {
    const edl_recommender *r = t->r;
    const int64_t U = (int64_t)r->users;
    size_t nb = 0;
    for (size_t k = lo; k < hi; k++) {
        size_t x = order[k];
        edl_rng rng;
        edl_rng_seed(&rng, t->a->seed * 0x9e3779b97f4a7c15ULL ^ (epoch + 1) * 0xd6e8feb86659fd93ULL ^ (uint64_t)k);
        int64_t u = t->uidx[x], i = U + t->iidx[x];
        if (r->kind == EDL_REC_MF) {
            t->ids[2 * nb] = u, t->ids[2 * nb + 1] = i, t->target[nb++] = t->rating[x];
        } else if (r->kind == EDL_REC_BPR) {
            for (size_t g = 0; g < t->neg; g++, nb++)
                t->ids[3 * nb] = u, t->ids[3 * nb + 1] = i, t->ids[3 * nb + 2] = U + sneg(r, (size_t)u, &rng);
        } else {
            for (size_t g = 0; g <= t->neg; g++, nb++) {
                t->ids[2 * nb] = u, t->ids[2 * nb + 1] = g ? U + sneg(r, (size_t)u, &rng) : i;
                t->target[nb] = g ? 0.0f : 1.0f;
            }
        }
    }
    return nb;
}

static float softplus(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

/* One global batch: this rank's share of it looked up, its gradients computed and pushed. */
static edl_status sstep(strainer *t, const size_t *order, size_t lo, size_t hi, size_t step, uint64_t epoch,
                        double *loss) {
    edl_recommender *r = t->r;
    edl__shard *tab = &t->sh->tab;
    const size_t d = r->dim, f = r->fdim, w = d + 1, per = r->kind == EDL_REC_BPR ? 3 : 2;
    const size_t nb = gather(t, order, lo, hi, epoch);
    edl_status s = edl__shard_lookup(tab, &t->b, t->ids, nb * per, t->slot);
    float *rows = t->b.rows, *grad = t->b.grad;
    const float mean = t->sh->mean;
    edl_status ks = EDL_OK; /* a kernel's refusal: the step goes on to its collectives */
    if (s == EDL_OK && r->kind == EDL_REC_MF) {
        for (size_t k = 0; k < nb; k++) {
            const float *p = rows + t->slot[2 * k] * w, *q = rows + t->slot[2 * k + 1] * w;
            float err = mean + p[d] + q[d] + (f ? edl__vec_dot(p, q, f) : 0.0f) - t->target[k];
            *loss += (double)err * err;
            float *gp = grad + t->slot[2 * k] * w, *gq = grad + t->slot[2 * k + 1] * w;
            for (size_t j = 0; j < f; j++) gp[j] += err * q[j], gq[j] += err * p[j];
            gp[d] += err, gq[d] += err;
        }
    } else if (s == EDL_OK && r->kind == EDL_REC_BPR) {
        for (size_t k = 0; k < nb; k++) {
            const float *p = rows + t->slot[3 * k] * w, *qi = rows + t->slot[3 * k + 1] * w,
                        *qj = rows + t->slot[3 * k + 2] * w;
            float x = qi[d] - qj[d] + edl__vec_dot(p, qi, f) - edl__vec_dot(p, qj, f);
            *loss += softplus(-x);
            float g = -1.0f / (1.0f + expf(x)); /* d(-log sigmoid(x))/dx */
            float *gp = grad + t->slot[3 * k] * w, *gi = grad + t->slot[3 * k + 1] * w,
                  *gj = grad + t->slot[3 * k + 2] * w;
            for (size_t j = 0; j < f; j++) gp[j] += g * (qi[j] - qj[j]), gi[j] += g * p[j], gj[j] -= g * p[j];
            gi[d] += g, gj[d] -= g;
        }
    } else if (s == EDL_OK && nb) { /* mlp: [p_u, q_i] through the dense layers */
        const size_t L = r->ndense;
        for (size_t k = 0; k < nb; k++) {
            memcpy(t->x + 2 * k * d, rows + t->slot[2 * k] * w, d * sizeof(float));
            memcpy(t->x + (2 * k + 1) * d, rows + t->slot[2 * k + 1] * w, d * sizeof(float));
        }
        t->act[0] = t->x, t->grad[0] = t->dx;
        for (size_t l = 0; l < L && ks == EDL_OK; l++) {
            const edl__rec_dense *D = &r->dense[l];
            ks = edl_dense_forward(t->act[l + 1], t->act[l], nb, D->in, D->out, D->w, D->b, D->act);
        }
        for (size_t k = 0; r->dot && ks == EDL_OK && k < nb; k++) { /* + b_i + <p_u, q_i> */
            const float *p = rows + t->slot[2 * k] * w, *q = rows + t->slot[2 * k + 1] * w;
            t->act[L][k] += q[d] + edl__vec_dot(p, q, d);
        }
        float bl = 0.0f;
        if (ks == EDL_OK) ks = edl_bce_with_logits(&bl, t->grad[L], t->act[L], t->target, nb);
        if (ks == EDL_OK) {
            *loss += (double)bl * (double)nb;
            edl__vec_scale(t->grad[L], (float)nb, nb); /* summed over examples, as the other models */
        }
        for (size_t l = L; ks == EDL_OK && l-- > 0;) {
            const edl__rec_dense *D = &r->dense[l];
            float *dw = t->dparams + (size_t)(D->w - t->dense), *db = t->dparams + (size_t)(D->b - t->dense);
            ks = edl__dense_backward_in_place(t->grad[l], dw, db, t->grad[l + 1], t->act[l], t->act[l + 1], nb, D->in,
                                              D->out, D->w, D->act, t->dscratch);
        }
        for (size_t k = 0; ks == EDL_OK && k < 2 * nb; k++) edl__vec_add(grad + t->slot[k] * w, t->dx + k * d, d);
        for (size_t k = 0; r->dot && ks == EDL_OK && k < nb; k++) {
            const float g = t->grad[L][k], *p = rows + t->slot[2 * k] * w, *q = rows + t->slot[2 * k + 1] * w;
            float *gp = grad + t->slot[2 * k] * w, *gq = grad + t->slot[2 * k + 1] * w;
            for (size_t j = 0; j < d; j++) gp[j] += g * q[j], gq[j] += g * p[j];
            gq[d] += g;
        }
    }
    /* every rank reaches the push and the dense sum, whatever happened above */
    edl__opt_coef c = scoef(t, t->reg, step), cb = scoef(t, r->kind == EDL_REC_MF ? t->reg : 0.0f, step);
    edl_status ps = edl__shard_push(tab, &t->b, &c, d, &cb, 1);
    if (s == EDL_OK) s = ks != EDL_OK ? ks : ps;
    if (t->nd) {
        edl_status as = edl__comm_allreduce(t->sh->comm, t->dparams, t->nd, EDL__COMM_F32, EDL__COMM_SUM);
        edl__opt_coef cd = scoef(t, 0.0f, step);
        edl__rec_dense_coef(&cd, t->dwd); /* as recommend.c's step_mlp */
        if (as == EDL_OK && !edl__opt_apply(t->opt, &cd, t->dense, t->dparams, t->ds1, t->ds2, t->nd, 1) && s == EDL_OK)
            s = edl__fail(EDL_ERR_NUMERIC, "the dense layers became non-finite");
        if (as == EDL_OK && t->dwd > 0.0f)
            edl__rec_flush_tiny(t->dense, t->nd), edl__rec_flush_tiny(t->ds1, t->nd),
                edl__rec_flush_tiny(t->ds2, t->nd);
        if (as != EDL_OK) s = as;
    }
    return s;
}

static void strainer_free(strainer *t, size_t ndense) {
    free(t->dparams), free(t->ds1), free(t->ds2), free(t->ids), free(t->slot), free(t->x), free(t->dx),
        free(t->dscratch);
    free(t->target);
    for (size_t l = 1; l <= ndense; l++) free(t->act[l]), free(t->grad[l]);
    edl__shard_batch_free(&t->b);
}

/* The rows as the unsharded trainer starts them (recommend.c's build_model: 0.1 N(0, 1) from one
   stream over the whole table, row by row; biases 0): each rank draws the stream, keeps its rows. */
static void init_rows(edl__rec_shard *sh, const edl_recommender *r, uint64_t seed) {
    edl__shard *tab = &sh->tab;
    const size_t rows = r->users + r->items, d = r->dim, N = (size_t)tab->size;
    edl_rng rng;
    edl_rng_seed(&rng, seed + 17);
    for (size_t row = 0; row < rows; row++) {
        float *x = row % N == (size_t)tab->rank ? edl__shard_row(tab, row) : NULL;
        for (size_t j = 0; j < d; j++) {
            float v = r->fdim ? 0.1f * edl_rng_normal(&rng) : 0.0f;
            if (x) x[j] = v;
        }
        if (x) x[d] = 0.0f;
    }
}

/* mlp: the dense layers in a model whose table has one row: its initialisation draws what the
   whole table's does (one seed a table), so the layers start as the unsharded trainer's. */
static edl_status dense_model(edl_recommender *r, const edl_rec_args *a) {
    const size_t *h;
    size_t nh = edl__rec_hidden(a, &h);
    EDL__TRY(edl_model_create(&r->m));
    EDL__TRY(edl_model_add_embedding(r->m, 1, r->dim, 2, EDL_POOL_FLATTEN, -1));
    for (size_t l = 0; l < nh; l++) EDL__TRY(edl_model_add_dense(r->m, h[l], EDL_ACT_RELU, 1));
    EDL__TRY(edl_model_add_dense(r->m, 1, EDL_ACT_NONE, 1));
    EDL__TRY(edl_model_set_loss(r->m, EDL_LOSS_BCE));
    EDL__TRY(edl_model_init(r->m, EDL_INIT_TORCH, a->seed));
    EDL__TRY(edl__rec_bind(r));
    r->table = NULL; /* the rows are in the shard */
    return EDL_OK;
}

static edl_status setup(strainer *t, edl_recommender *r, const edl_ratings *d, const edl_rec_args *a) {
    static const char fn[] = "edl_rec_train";
    float lr0, reg0;
    int opt0;
    edl__rec_model_defaults(a->model, &lr0, &reg0, &opt0);
    t->opt = (edl_opt_kind)(a->optimizer >= 0 ? a->optimizer : opt0);
    t->lr = a->lr >= 0.0f ? a->lr : lr0;
    edl_optim_defaults(&t->optim, t->opt);
    t->optim.lr = t->lr;
    t->reg = a->reg >= 0.0f ? a->reg : reg0;
    t->dwd = edl__rec_mlp_decay(a);
    t->decay = a->decay != 0;
    t->neg = a->neg ? a->neg : EDL__REC_NEG;
    size_t batch = a->batch;
    if (a->model == EDL_REC_BPR && batch < t->neg) batch = t->neg;
    t->per = a->model == EDL_REC_BPR ? (batch + t->neg - 1) / t->neg : batch;
    r->fdim = a->dim, r->dim = a->dim ? a->dim : 1;
    edl__rec_shard *sh = r->shard = calloc(1, sizeof *sh);
    if (!sh) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    sh->comm = a->comm;
    EDL__TRY(edl__shard_init(&sh->tab, a->comm, r->users + r->items, r->dim + 1, &t->optim));
    init_rows(sh, r, a->seed);
    if (a->model == EDL_REC_MF) {
        double m = 0.0;
        for (size_t k = 0; k < d->n; k++) m += d->rating[k];
        sh->mean = (float)(m / (double)d->n);
    }
    size_t ex = t->per * (a->model == EDL_REC_MLP ? 1 + t->neg : a->model == EDL_REC_BPR ? t->neg : 1);
    t->ids = malloc(ex * 3 * sizeof *t->ids), t->slot = malloc(ex * 3 * sizeof *t->slot);
    t->target = malloc(ex * sizeof *t->target);
    int ok = t->ids && t->slot && t->target;
    if (a->model == EDL_REC_MLP) {
        EDL__TRY(dense_model(r, a));
        const edl__rec_dense *D0 = &r->dense[0], *DL = &r->dense[r->ndense - 1];
        t->dense = D0->w, t->nd = (size_t)(DL->b + DL->out - D0->w);
        t->dparams = calloc(t->nd, sizeof(float));
        if (t->opt != EDL_OPT_SGD) t->ds1 = calloc(t->nd, sizeof(float)), ok = ok && t->ds1;
        if (t->opt == EDL_OPT_ADAM) t->ds2 = calloc(t->nd, sizeof(float)), ok = ok && t->ds2;
        t->x = malloc(ex * 2 * r->dim * sizeof(float)), t->dx = malloc(ex * 2 * r->dim * sizeof(float));
        ok = ok && t->dparams && t->x && t->dx;
        for (size_t l = 0; l < r->ndense; l++) {
            t->act[l + 1] = malloc(ex * r->dense[l].out * sizeof(float));
            t->grad[l + 1] = malloc(ex * r->dense[l].out * sizeof(float));
            ok = ok && t->act[l + 1] && t->grad[l + 1];
        }
        const size_t scratch = edl__rec_dense_scratch_floats(r, ex);
        if (scratch) ok = ok && (t->dscratch = malloc(scratch * sizeof(float)));
    }
    if (!ok) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the batch buffers (%zu examples)", fn, ex);
    char mlp_args[64] = "";
    if (a->model == EDL_REC_MLP)
        snprintf(mlp_args, sizeof mlp_args, " dot=%d dense_decay=%g", r->dot ? 1 : 0, (double)t->dwd);
    snprintf(r->args, sizeof r->args,
             "model=%s dim=%zu epoch=%zu lr=%g reg=%g neg=%zu batch=%zu optimizer=%s decay=%s seed=%llu shard=rows "
             "ranks=%d%s",
             edl_rec_kind_name(a->model), r->fdim, a->epoch, (double)t->lr, (double)t->reg, t->neg, batch,
             edl_opt_name(t->opt), edl_schedule_name(t->decay ? EDL_SCHED_LINEAR : EDL_SCHED_CONSTANT),
             (unsigned long long)a->seed, edl_comm_size(a->comm), mlp_args);
    return EDL_OK;
}

edl_status edl__rec_train_sharded(edl_recommender *r, const edl_ratings *d, const int64_t *uidx, const int64_t *iidx,
                                  const edl_rec_args *a, edl_rec_report *rep) {
    strainer t;
    memset(&t, 0, sizeof t);
    t.r = r, t.a = a, t.uidx = uidx, t.iidx = iidx, t.rating = d->rating;
    size_t *order = malloc(d->n * sizeof *order);
    edl_status s = order ? setup(&t, r, d, a) : edl__fail(EDL_ERR_NOMEM, "edl_rec_train: no memory for the order");
    s = edl_comm_agree(a->comm, s); /* every rank set up, or none trains */
    t.sh = r->shard;
    const size_t nbatch = (d->n + t.per - 1) / t.per;
    t.total_steps = nbatch * a->epoch;
    edl_rng rng;
    edl_rng_seed(&rng, a->seed);
    for (size_t k = 0; s == EDL_OK && k < d->n; k++) order[k] = k;
#ifdef _OPENMP
    /* the kernels of a batch (the mlp's GEMMs) on -thread threads: several ranks on one machine
       each starting a team of all cores would wait on each other's spinning threads */
    const int saved_threads = omp_get_max_threads();
    if (a->thread > 0) omp_set_num_threads(a->thread);
#endif
    double t0 = edl__now();
    size_t step = 0, examples = 0;
    for (size_t ep = 0; s == EDL_OK && ep < a->epoch; ep++) {
        for (size_t k = d->n; k > 1; k--) { /* the same order on every rank */
            size_t j = (size_t)edl_rng_below(&rng, k), x = order[k - 1];
            order[k - 1] = order[j], order[j] = x;
        }
        double sums[2] = {0.0, 0.0}; /* loss, examples */
        for (size_t b = 0; s == EDL_OK && b < nbatch; b++) {
            size_t lo = b * t.per, n = d->n - lo < t.per ? d->n - lo : t.per, s0, s1;
            edl__comm_share(a->comm, n, &s0, &s1);
            size_t ex = (s1 - s0) * (r->kind == EDL_REC_MLP ? 1 + t.neg : r->kind == EDL_REC_BPR ? t.neg : 1);
            s = sstep(&t, order, lo + s0, lo + s1, ++step, ep, &sums[0]);
            sums[1] += (double)ex;
            s = edl_comm_agree(a->comm, s);
            if (s == EDL_ERR_NUMERIC) {
                char why[256]; /* the message is rewritten in the buffer it is read from */
                snprintf(why, sizeof why, "%s", edl_last_error());
                s = edl__fail(EDL_ERR_NUMERIC, "edl_rec_train: %s at step %zu (epoch %zu; lower -lr, now %g)", why,
                              step, ep + 1, (double)t.lr);
            }
        }
        if (s == EDL_OK) s = edl__comm_allreduce(a->comm, sums, 2, EDL__COMM_F64, EDL__COMM_SUM);
        if (s != EDL_OK) break;
        examples += (size_t)sums[1];
        float mean_loss = sums[1] > 0 ? (float)(sums[0] / sums[1]) : 0.0f;
        if (rep) rep->loss = mean_loss, rep->epochs_run = ep + 1;
        if (a->progress) {
            edl_progress p;
            memset(&p, 0, sizeof p);
            p.epoch = ep + 1, p.epochs = a->epoch, p.step = step, p.seconds = edl__now() - t0;
            p.progress = (double)(ep + 1) / (double)a->epoch, p.total_steps = t.total_steps;
            p.examples_per_second = p.seconds > 0 ? (double)examples / p.seconds : 0.0;
            p.eta_seconds = p.seconds / (double)(ep + 1) * (double)(a->epoch - ep - 1);
            p.lr = srate(&t, step), p.loss = mean_loss, p.accuracy = NAN, p.valid_loss = NAN;
            p.valid_accuracy = NAN, p.epoch_end = 1; /* no held-out metric: no rank has the whole table */
            a->progress(&p, a->user);
        }
    }
    if (rep) {
        rep->seconds = edl__now() - t0;
        rep->examples_per_second = rep->seconds > 0 ? (double)examples / rep->seconds : 0.0;
    }
#ifdef _OPENMP
    omp_set_num_threads(saved_threads);
#endif
    strainer_free(&t, r->ndense);
    free(order);
    return s;
}

/* ---- files -------------------------------------------------------------------------------- */

/* PATH's shard R of N: PATH without ".safetensors", then ".shard-R-of-N.safetensors". */
static edl_status shard_path(char *out, size_t cap, const char *path, int rank, int ranks) {
    size_t n = strlen(path), ext = strlen(".safetensors");
    if (n >= ext && !strcmp(path + n - ext, ".safetensors")) n -= ext;
    int w = snprintf(out, cap, "%.*s.shard-%d-of-%d.safetensors", (int)n, path, rank, ranks);
    if (w < 0 || (size_t)w >= cap)
        return edl__fail(EDL_ERR_ARG, "%s: the path is too long for its shards' names", path);
    return EDL_OK;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* FNV-1a (64 bits) of a file's bytes, and their count. */
static edl_status file_digest(const char *path, uint64_t *digest, uint64_t *bytes) {
    FILE *f = fopen(path, "rb");
    if (!f) return edl__fail(EDL_ERR_IO, "%s: cannot open it: %s", path, strerror(errno));
    unsigned char buf[1 << 16];
    uint64_t h = 0xcbf29ce484222325ULL, n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t k = 0; k < got; k++) h = (h ^ buf[k]) * 0x100000001b3ULL;
        n += got;
    }
    int err = ferror(f);
    fclose(f);
    if (err) return edl__fail(EDL_ERR_IO, "%s: read error", path);
    *digest = h, *bytes = n;
    return EDL_OK;
}

#define KEYS_MAX  64
#define VALUE_MAX 512 /* a metadata value of the index: a shard's file name at most 400 bytes */

/* Rank 0's index: the recommender's metadata and tensors but the rows, and each shard's name,
   size and digest (info: ranks x {bytes, digest}). */
static edl_status write_index(const edl_recommender *r, const char *path, const uint64_t *info) {
    const edl__rec_shard *sh = r->shard;
    const int N = sh->tab.size;
    const size_t nk = 10 + 3 * (size_t)N + r->ndense;
    char(*buf)[VALUE_MAX] = calloc(2 * nk, sizeof *buf);
    const char **keys = calloc(nk, sizeof *keys), **vals = calloc(nk, sizeof *vals);
    edl_tensor *tt = calloc(6 + 2 * r->ndense, sizeof *tt);
    char(*names)[KEYS_MAX] = calloc(2 * r->ndense + 1, sizeof *names);
    edl_status s = buf && keys && vals && tt && names ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    size_t k = 0, nt = 0;
#define META(key, ...)                                       \
    do {                                                     \
        snprintf(buf[2 * k], VALUE_MAX, "%s", key);          \
        snprintf(buf[2 * k + 1], VALUE_MAX, __VA_ARGS__);    \
        keys[k] = buf[2 * k], vals[k] = buf[2 * k + 1], k++; \
    } while (0)
    if (s == EDL_OK) {
        META("rec.format", "1");
        META("rec.model", "%s", edl_rec_kind_name(r->kind));
        META("rec.users", "%zu", r->users);
        META("rec.items", "%zu", r->items);
        META("rec.dim", "%zu", r->fdim);
        if (r->dot) META("rec.mlp.dot", "1");
        META("rec.shard.ranks", "%d", N);
        META("rec.shard.width", "%zu", sh->tab.width);
        META("rec.shard.rule", "row %% ranks");
        for (int q = 0; q < N; q++) {
            char key[KEYS_MAX], sp[4096];
            s = shard_path(sp, sizeof sp, path, q, N);
            snprintf(key, sizeof key, "rec.shard.%d.file", q);
            if (strlen(base_name(sp)) > 400)
                s = edl__fail(EDL_ERR_ARG, "%s: the name is too long for its shards", path);
            META(key, "%.400s", base_name(sp));
            snprintf(key, sizeof key, "rec.shard.%d.bytes", q);
            META(key, "%llu", (unsigned long long)info[2 * q]);
            snprintf(key, sizeof key, "rec.shard.%d.digest", q);
            META(key, "%016llx", (unsigned long long)info[2 * q + 1]);
        }
        for (size_t l = 0; l < r->ndense; l++) {
            char key[KEYS_MAX];
            snprintf(key, sizeof key, "rec.dense.%zu.act", l);
            META(key, "%s", edl_act_name(r->dense[l].act));
        }
        keys[k] = "rec.args", vals[k] = r->args, k++;
        size_t nseen = (size_t)r->seen_off[r->users];
        tt[nt++] = (edl_tensor){"rec.bias", EDL_DTYPE_F32, 1, {1, 0}, &sh->mean};
        tt[nt++] = (edl_tensor){"rec.user_ids", EDL_DTYPE_I64, 1, {r->users, 0}, r->uid.ids};
        tt[nt++] = (edl_tensor){"rec.item_ids", EDL_DTYPE_I64, 1, {r->items, 0}, r->iid.ids};
        tt[nt++] = (edl_tensor){"rec.seen_offsets", EDL_DTYPE_I64, 1, {r->users + 1, 0}, r->seen_off};
        tt[nt++] = (edl_tensor){"rec.seen_items", EDL_DTYPE_I64, 1, {nseen, 0}, r->seen};
        tt[nt++] = (edl_tensor){"rec.item_count", EDL_DTYPE_I64, 1, {r->items, 0}, r->count};
        for (size_t l = 0; l < r->ndense; l++) {
            const edl__rec_dense *D = &r->dense[l];
            snprintf(names[2 * l], KEYS_MAX, "rec.dense.%zu.weight", l);
            snprintf(names[2 * l + 1], KEYS_MAX, "rec.dense.%zu.bias", l);
            tt[nt++] = (edl_tensor){names[2 * l], EDL_DTYPE_F32, 2, {D->out, D->in}, D->w};
            tt[nt++] = (edl_tensor){names[2 * l + 1], EDL_DTYPE_F32, 1, {D->out, 0}, D->b};
        }
    }
#undef META
    if (s == EDL_OK) s = edl__st_write(path, keys, vals, k, tt, nt);
    free(buf), free(keys), free(vals), free(tt), free(names);
    return s;
}

edl_status edl__rec_save_sharded(const edl_recommender *r, const char *path) {
    const edl__rec_shard *sh = r->shard;
    const edl__shard *tab = &sh->tab;
    char sp[4096], rank[16], ranks[16], rows[32], width[32];
    snprintf(rank, sizeof rank, "%d", tab->rank), snprintf(ranks, sizeof ranks, "%d", tab->size);
    snprintf(rows, sizeof rows, "%zu", tab->rows), snprintf(width, sizeof width, "%zu", tab->width);
    const char *keys[] = {"rec.shard.format", "rec.shard.of",    "rec.shard.rank", "rec.shard.ranks",
                          "rec.shard.rows",   "rec.shard.width", "rec.shard.rule"};
    const char *vals[] = {"1", base_name(path), rank, ranks, rows, width, "row % ranks"};
    const edl_tensor t = {"rec.shard.rows", EDL_DTYPE_F32, 2, {tab->local, tab->width}, tab->w};
    uint64_t mine[2] = {0, 0};
    edl_status s = shard_path(sp, sizeof sp, path, tab->rank, tab->size);
    if (s == EDL_OK) s = edl__st_write(sp, keys, vals, 7, &t, 1);
    if (s == EDL_OK) s = file_digest(sp, &mine[1], &mine[0]);
    EDL__TRY(edl_comm_agree(sh->comm, s)); /* every shard is written before the index names them */
    void *all = NULL;
    size_t total = 0;
    s = edl__comm_allgatherv(sh->comm, mine, sizeof mine, &all, &total, NULL);
    if (s == EDL_OK && total != 2 * sizeof(uint64_t) * (size_t)tab->size)
        s = edl__fail(EDL_ERR_IO, "%s: the shards' sizes did not all arrive", path);
    if (s == EDL_OK && tab->rank == 0) s = write_index(r, path, all);
    free(all);
    return edl_comm_agree(sh->comm, s);
}

/* Shard q of the index at path into r's table and biases, after checking its name, size,
   digest, metadata and rows against the index's. */
static edl_status read_shard(edl_recommender *r, edl__st *ix, const char *path, int q, int N, size_t width) {
    const size_t rows = r->users + r->items, d = r->dim;
    char key[KEYS_MAX], full[4096];
    snprintf(key, sizeof key, "rec.shard.%d.file", q);
    const char *name = edl__st_meta(ix, key);
    if (!name || !*name || strchr(name, '/'))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing or not a file name beside the index", path, key);
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    int w = snprintf(full, sizeof full, "%.*s%s", dl, path, name);
    if (w < 0 || (size_t)w >= sizeof full) return edl__fail(EDL_ERR_ARG, "%s: shard %d's path is too long", path, q);
    size_t want_bytes;
    snprintf(key, sizeof key, "rec.shard.%d.bytes", q);
    EDL__TRY(edl__st_get_count(ix, key, INT64_MAX, &want_bytes));
    snprintf(key, sizeof key, "rec.shard.%d.digest", q);
    const char *want_digest = edl__st_meta(ix, key);
    if (!want_digest) return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing", path, key);
    struct stat sb;
    if (stat(full, &sb) != 0)
        return edl__fail(EDL_ERR_IO, "%s: shard %d of %d (named by the index %s) is missing: %s", full, q, N, path,
                         strerror(errno));
    if ((uint64_t)sb.st_size != want_bytes)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: shard %d is %llu bytes, but the index %s says %zu (truncated or replaced)", full, q,
                         (unsigned long long)sb.st_size, path, want_bytes);
    uint64_t digest, bytes;
    EDL__TRY(file_digest(full, &digest, &bytes));
    char got[32];
    snprintf(got, sizeof got, "%016llx", (unsigned long long)digest);
    if (strcmp(got, want_digest))
        return edl__fail(EDL_ERR_FORMAT, "%s: shard %d's digest is %s, but the index %s says %.32s (changed since)",
                         full, q, got, path, want_digest);
    edl__st *st = NULL;
    EDL__TRY(edl__st_open(&st, full));
    size_t v_rank = 0, v_ranks = 0, v_rows = 0, v_width = 0;
    edl_status s = edl__st_get_count(st, "rec.shard.rank", INT32_MAX, &v_rank);
    if (s == EDL_OK) s = edl__st_get_count(st, "rec.shard.ranks", INT32_MAX, &v_ranks);
    if (s == EDL_OK) s = edl__st_get_count(st, "rec.shard.rows", INT64_MAX, &v_rows);
    if (s == EDL_OK) s = edl__st_get_count(st, "rec.shard.width", INT64_MAX, &v_width);
    if (s == EDL_OK && (v_rank != (size_t)q || v_ranks != (size_t)N || v_rows != rows || v_width != width))
        s = edl__fail(EDL_ERR_FORMAT,
                      "%s: holds shard %zu of %zu of a table of %zu rows of %zu, but the index %s wants shard %d of %d "
                      "of %zu rows of %zu",
                      full, v_rank, v_ranks, v_rows, v_width, path, q, N, rows, width);
    const edl__st_tensor *t = s == EDL_OK ? edl__st_find(st, "rec.shard.rows") : NULL;
    const size_t held = edl__shard_owned(rows, N, q);
    if (s == EDL_OK && (!t || strcmp(t->dtype, "F32") || t->rank != 2 || t->shape[0] != held || t->shape[1] != width))
        s = edl__fail(EDL_ERR_FORMAT, "%s: rec.shard.rows is missing or not F32 [%zu, %zu] (the rows id %% %d == %d)",
                      full, held, width, N, q);
    const void *data = NULL;
    if (s == EDL_OK) s = edl__st_data(st, t, &data);
    if (s == EDL_OK && !edl__vec_all_finite(data, held * width))
        s = edl__fail(EDL_ERR_FORMAT, "%s: rec.shard.rows holds NaN or infinite values", full);
    for (size_t l = 0; s == EDL_OK && l < held; l++) {
        const float *x = (const float *)data + l * width;
        size_t row = l * (size_t)N + (size_t)q;
        memcpy(r->table + row * d, x, d * sizeof(float));
        r->bias[row] = x[d];
    }
    edl__st_close(st);
    return s;
}

/* The dense layers the index holds (rec.dense.L.weight [out, in], .bias [out], .act), added
   to m after its table; their count in *n. */
static edl_status add_dense_layers(edl__st *ix, const char *path, edl_model *m, size_t dim, size_t *n) {
    *n = 0;
    size_t in = 2 * dim;
    for (size_t l = 0; l < EDL__REC_MAX_DENSE; l++) {
        char wk[KEYS_MAX], bk[KEYS_MAX], ak[KEYS_MAX];
        snprintf(wk, sizeof wk, "rec.dense.%zu.weight", l), snprintf(bk, sizeof bk, "rec.dense.%zu.bias", l);
        snprintf(ak, sizeof ak, "rec.dense.%zu.act", l);
        const edl__st_tensor *w = edl__st_find(ix, wk), *b = edl__st_find(ix, bk);
        if (!w) break;
        const char *an = edl__st_meta(ix, ak);
        edl_act act;
        if (!an || edl_act_from_name(an, &act) != EDL_OK)
            return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing or not an activation", path, ak);
        if (strcmp(w->dtype, "F32") || w->rank != 2 || w->shape[1] != in || w->shape[0] == 0 || w->shape[0] > 100000 ||
            !b || strcmp(b->dtype, "F32") || b->rank != 1 || b->shape[0] != w->shape[0])
            return edl__fail(EDL_ERR_FORMAT, "%s: %s must be F32 [out, %zu] (out <= 100000) with %s F32 [out]", path,
                             wk, in, bk);
        EDL__TRY(edl_model_add_dense(m, (size_t)w->shape[0], act, 1));
        in = (size_t)w->shape[0], (*n)++;
    }
    return EDL_OK;
}

static edl_status copy_dense(edl_recommender *r, edl__st *ix) {
    for (size_t l = 0; l < r->ndense; l++) {
        char wk[KEYS_MAX], bk[KEYS_MAX];
        snprintf(wk, sizeof wk, "rec.dense.%zu.weight", l), snprintf(bk, sizeof bk, "rec.dense.%zu.bias", l);
        const void *w, *b;
        EDL__TRY(edl__st_data(ix, edl__st_find(ix, wk), &w));
        EDL__TRY(edl__st_data(ix, edl__st_find(ix, bk), &b));
        const edl__rec_dense *D = &r->dense[l];
        if (!edl__vec_all_finite(w, D->in * D->out) || !edl__vec_all_finite(b, D->out))
            return edl__fail(EDL_ERR_FORMAT, "%s: %s or %s holds NaN or infinite values", edl__st_path(ix), wk, bk);
        memcpy(D->w, w, D->in * D->out * sizeof(float)), memcpy(D->b, b, D->out * sizeof(float));
    }
    return EDL_OK;
}

edl_status edl__rec_load_sharded(edl_recommender *r, edl__st *ix, const char *path) {
    if (edl__st_meta(ix, "rec.shard.rank"))
        return edl__fail(EDL_ERR_FORMAT, "%s: one shard of a sharded recommender: load its index (%.200s)", path,
                         edl__st_meta(ix, "rec.shard.of") ? edl__st_meta(ix, "rec.shard.of")
                                                          : "named PREFIX.safetensors");
    edl__rec_file f;
    EDL__TRY(edl__rec_check_index(ix, &f));
    size_t N, width;
    EDL__TRY(edl__st_get_count(ix, "rec.shard.ranks", 1 << 20, &N));
    EDL__TRY(edl__st_get_count(ix, "rec.shard.width", INT64_MAX, &width));
    const char *rule = edl__st_meta(ix, "rec.shard.rule");
    if (N == 0 || width != f.dim + 1 || !rule || strcmp(rule, "row % ranks"))
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: rec.shard.ranks %zu, rec.shard.width %zu and rec.shard.rule \"%.32s\" are not N >= 1, "
                         "rec.dim's row and its bias (%zu), and \"row %% ranks\"",
                         path, N, width, rule ? rule : "", f.dim + 1);
    const char *args = edl__st_meta(ix, "rec.args");
    snprintf(r->args, sizeof r->args, "%s", args ? args : "");
    r->kind = f.kind, r->users = f.users, r->items = f.items, r->fdim = f.fdim, r->dim = f.dim, r->dot = f.dot;
    size_t rows;
    if (!edl__add_ok(f.users, f.items, &rows) || rows > ((size_t)1 << 40))
        return edl__fail(EDL_ERR_FORMAT, "%s: rec.users %zu and rec.items %zu are too many", path, f.users, f.items);
    size_t nd = 0;
    EDL__TRY(edl_model_create(&r->m));
    EDL__TRY(edl_model_add_embedding(r->m, rows, f.dim, 2, EDL_POOL_FLATTEN, -1));
    EDL__TRY(add_dense_layers(ix, path, r->m, f.dim, &nd));
    if ((f.kind == EDL_REC_MLP) != (nd > 0))
        return edl__fail(EDL_ERR_FORMAT, "%s: a %s model with %zu dense layers", path, edl_rec_kind_name(f.kind), nd);
    EDL__TRY(edl_model_set_loss(r->m, f.kind == EDL_REC_MF ? EDL_LOSS_MSE : EDL_LOSS_BCE));
    EDL__TRY(edl_model_init(r->m, EDL_INIT_TORCH, 0));
    EDL__TRY(edl__rec_bind(r));
    EDL__TRY(copy_dense(r, ix));
    r->bias = malloc((rows + 1) * sizeof *r->bias);
    r->seen_off = malloc((r->users + 1) * sizeof *r->seen_off);
    r->seen = malloc((f.nseen ? f.nseen : 1) * sizeof *r->seen);
    r->count = malloc(r->items * sizeof *r->count);
    if (!r->bias || !r->seen_off || !r->seen || !r->count)
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the recommender", path);
    r->bias[rows] = f.bias[0];
    memcpy(r->seen_off, f.seen_off, (r->users + 1) * sizeof *r->seen_off);
    if (f.nseen) memcpy(r->seen, f.seen, f.nseen * sizeof *r->seen);
    memcpy(r->count, f.count, r->items * sizeof *r->count);
    EDL__TRY(edl__rec_load_ids(&r->uid, path, "rec.user_ids", f.user_ids, r->users));
    EDL__TRY(edl__rec_load_ids(&r->iid, path, "rec.item_ids", f.item_ids, r->items));
    for (size_t q = 0; q < N; q++) EDL__TRY(read_shard(r, ix, path, (int)q, (int)N, width));
    return EDL_OK;
}

int edl_rec_file_sharded(const char *path) {
    edl__st *st = NULL;
    if (!path || edl__st_open(&st, path) != EDL_OK) return 0;
    int yes = edl__st_meta(st, "rec.shard.ranks") != NULL && edl__st_meta(st, "rec.shard.rank") == NULL;
    edl__st_close(st);
    return yes;
}
