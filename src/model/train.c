/* The training loop: seeded shuffling, mini-batches, a learning-rate schedule, validation with
 * early stopping, progress reports; and evaluation of a model over a dataset. */
#include "model/dataset.h"
#include "model/grad_sync.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void edl_train_defaults(edl_train_config *c) {
    memset(c, 0, sizeof *c);
    c->epochs = 5;
    c->batch_size = 32;
    c->progress_seconds = 0.5;
    edl_optim_defaults(&c->optim, EDL_OPT_ADAM);
}

/* Correct predictions in a batch from the last layer's outputs y (logits): argmax == label
   for softmax; each output's sign against its target for bce. Returns the number judged. */
static size_t count_correct(const edl_model *m, const float *y, const edl_batch *b, size_t *correct) {
    size_t od = edl_model_output_dim(m), c = 0;
    if (m->loss == EDL_LOSS_SOFTMAX_CE) {
        for (size_t i = 0; i < b->n; i++) {
            const float *r = y + i * od;
            size_t best = 0;
            for (size_t j = 1; j < od; j++) best = r[j] > r[best] ? j : best;
            c += (int64_t)best == b->labels[i];
        }
        *correct += c;
        return b->n;
    }
    if (m->loss == EDL_LOSS_BCE) {
        for (size_t i = 0; i < b->n * od; i++) c += (y[i] > 0.0f) == (b->targets[i] > 0.5f);
        *correct += c;
        return b->n * od;
    }
    return 0;
}

/* Sums over examples order[0 .. count) of d, without touching gradients: sums[0] the loss
   (each example's), sums[1] the correct judgements, sums[2] the judgements. */
static edl_status evaluate_sums(const edl_model *m, const edl_dataset *d, const size_t *order, size_t count,
                                double sums[3]) {
    enum { EVAL_BATCH = 256 };
    edl__batch_buf bb = {0};
    edl__workspace w = {0};
    sums[0] = sums[1] = sums[2] = 0.0;
    if (count == 0) return EDL_OK;
    EDL__TRY(edl__batch_reserve(&bb, d, EVAL_BATCH));
    edl_status s = edl__ws_reserve(&w, m, EVAL_BATCH);
    double total = 0.0;
    size_t correct = 0, judged = 0, od = edl_model_output_dim(m);
    for (size_t start = 0; start < count && s == EDL_OK; start += EVAL_BATCH) {
        size_t k = count - start < EVAL_BATCH ? count - start : EVAL_BATCH;
        edl_batch b;
        edl__batch_gather(&bb, d, order + start, k, &b);
        if ((s = edl__forward(m, &w, &b, 0, NULL, w.outs)) != EDL_OK) break;
        const float *y = w.outs[m->nlayers - 1];
        float l = 0.0f;
        if (m->loss == EDL_LOSS_SOFTMAX_CE)
            s = edl_softmax_cross_entropy(&l, NULL, y, b.labels, k, od);
        else if (m->loss == EDL_LOSS_BCE)
            s = edl_bce_with_logits(&l, NULL, y, b.targets, k * od);
        else
            s = edl_mse(&l, NULL, y, b.targets, k * od);
        total += (double)l * (double)k;
        judged += count_correct(m, y, &b, &correct);
    }
    edl__ws_free(&w, m->nlayers);
    edl__batch_free(&bb);
    sums[0] = total, sums[1] = (double)correct, sums[2] = (double)judged;
    return s;
}

/* Mean loss and accuracy over the examples of every rank (each rank's order[0 .. count) of its d,
   count_all in all), from the summed sums. Collective. */
static edl_status evaluate_subset(const edl_model *m, const edl_dataset *d, const size_t *order, size_t count,
                                  size_t count_all, edl_comm *comm, float *loss, float *accuracy) {
    double sums[3];
    edl_status s = edl_comm_agree(comm, evaluate_sums(m, d, order, count, sums));
    if (s == EDL_OK) s = edl__comm_allreduce(comm, sums, 3, EDL__COMM_F64, EDL__COMM_SUM);
    if (s != EDL_OK) return s;
    *loss = (float)(sums[0] / (double)count_all);
    *accuracy = sums[2] > 0.0 ? (float)(sums[1] / sums[2]) : NAN;
    return EDL_OK;
}

edl_status edl_evaluate(const edl_model *m, const edl_dataset *data, float *loss, float *accuracy) {
    static const char fn[] = "edl_evaluate";
    if (!m || !m->built || !data || !loss || !accuracy) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (data->n == 0) return edl__fail(EDL_ERR_ARG, "%s: the dataset is empty", fn);
    EDL__TRY(edl__dataset_check(data, m, "evaluation data"));
    size_t *order = malloc(data->n * sizeof *order);
    if (!order) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    for (size_t i = 0; i < data->n; i++) order[i] = i;
    edl_status s = evaluate_subset(m, data, order, data->n, data->n, NULL, loss, accuracy);
    free(order);
    return s;
}

static void shuffle(size_t *a, size_t n, edl_rng *rng) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)edl_rng_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j], a[j] = t;
    }
}

/* The model as it is after `step` steps of epoch `epoch`, saved atomically to path. */
static edl_status save_checkpoint(const edl_model *m, const char *path, size_t epoch, uint64_t step) {
    char e[32], st[32];
    snprintf(e, sizeof e, "%zu", epoch);
    snprintf(st, sizeof st, "%llu", (unsigned long long)step);
    const char *keys[2] = {"train.checkpoint_epoch", "train.checkpoint_step"}, *vals[2] = {e, st};
    edl_status s = edl_model_save(m, path, keys, vals, 2);
    return s == EDL_OK
               ? s
               : edl__fail_wrap(s, "edl_train: checkpoint at epoch %zu, step %llu", epoch, (unsigned long long)step);
}

/* Where this rank's examples sit among every rank's: global example lo + e is this rank's e, for
   e < n (shares in rank order); *all the whole run's count. Collective. */
static edl_status global_place(edl_comm *comm, size_t n, size_t *lo, size_t *all) {
    int64_t mine = (int64_t)n;
    void *counts = NULL;
    size_t bytes = 0;
    EDL__TRY(edl__comm_allgatherv(comm, &mine, sizeof mine, &counts, &bytes, NULL));
    const int64_t *c = counts;
    size_t r = (size_t)edl_comm_rank(comm), size = bytes / sizeof *c;
    *lo = *all = 0;
    for (size_t k = 0; k < size; k++) {
        if (k < r) *lo += (size_t)c[k];
        *all += (size_t)c[k];
    }
    free(counts);
    return EDL_OK;
}

/* This rank's examples among global examples g[0 .. count): local[j] = its index in the rank's
   data, pos[j] = its position in g (increasing). Returns how many. */
static size_t held(const size_t *g, size_t count, size_t lo, size_t n, size_t *local, size_t *pos) {
    size_t j = 0;
    for (size_t p = 0; p < count; p++)
        if (g[p] - lo < n) local[j] = g[p] - lo, pos[j++] = p;
    return j;
}

edl_status edl_train(edl_model *m, const edl_dataset *data, const edl_train_config *c, edl_train_report *report) {
    static const char fn[] = "edl_train";
    if (!m || !m->built || !data || !c)
        return edl__fail(EDL_ERR_ARG, "%s: model (initialised), data or config is NULL", fn);
    if (c->epochs == 0 || c->batch_size == 0)
        return edl__fail(EDL_ERR_ARG, "%s: epochs and batch_size must be > 0", fn);
    if (!(c->valid_split >= 0.0f && c->valid_split < 1.0f))
        return edl__fail(EDL_ERR_ARG, "%s: valid_split %g is not in [0, 1)", fn, c->valid_split);
    edl_comm *comm = c->comm;
    const int writer = edl_comm_rank(comm) == 0; /* the rank that writes checkpoints */
    /* each rank's data is its share: the checks are every rank's, the counts the run's */
    edl_status s = data->n ? edl__dataset_check(data, m, "training data") : EDL_OK;
    if (s == EDL_OK && c->valid && c->valid->n) s = edl__dataset_check(c->valid, m, "validation data");
    size_t lo = 0, n = 0, vlo = 0, vall = 0;
    EDL__TRY(edl_comm_agree(comm, s));
    EDL__TRY(global_place(comm, data->n, &lo, &n));
    if (c->valid) EDL__TRY(global_place(comm, c->valid->n, &vlo, &vall));
    if (n == 0) return edl__fail(EDL_ERR_ARG, "%s: the training data is empty", fn);
    if (c->valid && vall == 0) return edl__fail(EDL_ERR_ARG, "%s: the validation data is empty", fn);
    edl_optim *opt = NULL;
    edl__batch_buf bb = {0};
    float *best = NULL, *best_mem = NULL; /* best: in the scratch file, or best_mem */
    size_t *perm = malloc(n * sizeof *perm), *vorder = NULL, nvorder = 0;
    size_t held_cap = c->batch_size < n ? c->batch_size : n; /* a batch's examples held here, at most */
    size_t *local = malloc(held_cap * sizeof *local), *pos = malloc(held_cap * sizeof *pos);
    if (!perm || !local || !pos) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu examples", fn, n);
    for (size_t i = 0; perm && i < n; i++) perm[i] = i;
    edl_rng shuf, drop;
    edl_rng_seed(&shuf, c->seed);
    edl_rng_seed(&drop, c->seed ^ 0x5bd1e9955bd1e995ULL);

    /* validation: given data (each rank its share), or the tail of one shuffle of the training
       data (each rank the examples of it that it holds) */
    size_t ntrain = n, nvalid = 0;
    const edl_dataset *vdata = c->valid;
    if (s == EDL_OK && c->valid) {
        nvalid = vall, nvorder = c->valid->n;
        if (!(vorder = malloc((nvorder ? nvorder : 1) * sizeof *vorder)))
            s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
        for (size_t i = 0; vorder && i < nvorder; i++) vorder[i] = i;
    } else if (s == EDL_OK && c->valid_split > 0.0f) {
        shuffle(perm, n, &shuf);
        nvalid = (size_t)((double)n * c->valid_split);
        if (nvalid == 0 && n >= 2) nvalid = 1;
        ntrain = n - nvalid;
        vdata = data;
        if (!(vorder = malloc(nvalid * sizeof *vorder))) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
        for (size_t i = 0; vorder && i < nvalid; i++)
            if (perm[ntrain + i] - lo < data->n) vorder[nvorder++] = perm[ntrain + i] - lo;
    }
    if (s == EDL_OK) s = edl_optim_create(&opt, m, &c->optim);
    if (s == EDL_OK) s = edl__batch_reserve(&bb, data, c->batch_size);
    if (s == EDL_OK && nvalid && c->patience && !(best = edl__model_region(m, EDL__REGION_BEST)) &&
        !(best = best_mem = malloc((m->nparams ? m->nparams : 1) * sizeof *best)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for a copy of the best parameters", fn);
    if ((s = edl_comm_agree(comm, s)) != EDL_OK) goto done;

    const uint64_t steps_per_epoch = (ntrain + c->batch_size - 1) / c->batch_size;
    const uint64_t total_steps = steps_per_epoch * c->epochs;
    edl_train_report r = {0};
    r.best_valid_loss = INFINITY;
    r.valid_loss = r.valid_accuracy = NAN;
    double t0 = edl__now(), last_report = t0;
    size_t bad_epochs = 0, seen = 0;
    uint64_t saved_step = 0; /* the step of the last checkpoint (0: none yet) */
    edl_progress p = {0};
    p.epochs = c->epochs, p.total_steps = total_steps;
    p.valid_loss = p.valid_accuracy = NAN;
    for (size_t epoch = 1; epoch <= c->epochs; epoch++) {
        shuffle(perm, ntrain, &shuf);
        double loss_sum = 0.0;
        size_t correct = 0, judged = 0, done_ex = 0, done_all = 0;
        for (size_t start = 0; start < ntrain; start += c->batch_size) {
            /* the global batch perm[start .. start + k): this rank's part of it */
            size_t k = ntrain - start < c->batch_size ? ntrain - start : c->batch_size;
            size_t mine = held(perm + start, k, lo, data->n, local, pos);
            edl_batch b;
            edl__batch_gather(&bb, data, local, mine, &b);
            float lr = edl_schedule_lr(c->schedule, c->optim.lr, r.steps, total_steps, c->warmup_steps), loss = 0.0f;
            s = edl__forward_backward_part(m, &b, &drop, pos, k, &loss);
            if (s != EDL_OK)
                s = edl__fail_wrap(s, "%s: epoch %zu, step %llu", fn, epoch, (unsigned long long)r.steps + 1);
            if ((s = edl_comm_agree(comm, s)) == EDL_OK) s = edl__sync_grads(m, comm);
            if (s != EDL_OK) {
                edl_model_zero_grad(m); /* the parameters stay those of the last step */
                goto done;
            }
            if (mine) judged += count_correct(m, m->ws.outs[m->nlayers - 1], &b, &correct);
            if ((s = edl_optim_step(opt, lr)) != EDL_OK) {
                /* the step that overflowed is applied: the model holds its non-finite values, and
                   edl_model_save refuses them (every rank made the same step: every rank fails) */
                s = edl__fail_wrap(s, "%s: epoch %zu, step %llu", fn, epoch, (unsigned long long)r.steps + 1);
                goto done;
            }
            r.steps++;
            if (c->checkpoint && c->checkpoint_steps && r.steps % c->checkpoint_steps == 0) {
                s = writer ? save_checkpoint(m, c->checkpoint, epoch, r.steps) : EDL_OK;
                if ((s = edl_comm_agree(comm, s)) != EDL_OK) goto done;
                saved_step = r.steps;
            }
            loss_sum += (double)loss * (double)mine;
            done_ex += mine, done_all += k, seen += k;
            double t = edl__now();
            if (c->progress && (t - last_report >= (c->progress_seconds > 0 ? c->progress_seconds : 0.5))) {
                last_report = t;
                p.epoch = epoch, p.step = r.steps, p.seconds = t - t0, p.lr = lr, p.epoch_end = 0;
                p.progress = (double)r.steps / (double)total_steps;
                p.examples_per_second = (double)seen / (t - t0);
                p.eta_seconds = (double)(total_steps - r.steps) * (t - t0) / (double)r.steps;
                p.loss = done_ex ? (float)(loss_sum / (double)done_ex) : NAN;
                p.accuracy = judged ? (float)((double)correct / (double)judged) : NAN;
                c->progress(&p, c->user);
            }
        }
        /* the epoch's figures: every rank's sums */
        double sums[3] = {loss_sum, (double)correct, (double)judged};
        if ((s = edl__comm_allreduce(comm, sums, 3, EDL__COMM_F64, EDL__COMM_SUM)) != EDL_OK) goto done;
        r.epochs_run = epoch;
        r.train_loss = (float)(sums[0] / (double)done_all);
        r.train_accuracy = sums[2] > 0.0 ? (float)(sums[1] / sums[2]) : NAN;
        int stop = 0;
        if (nvalid) {
            if ((s = evaluate_subset(m, vdata, vorder, nvorder, nvalid, comm, &r.valid_loss, &r.valid_accuracy)) !=
                EDL_OK)
                goto done;
            if (r.valid_loss < r.best_valid_loss) {
                r.best_valid_loss = r.valid_loss, r.best_epoch = epoch, bad_epochs = 0;
                if (best) memcpy(best, m->params, m->nparams * sizeof *best);
            } else if (c->patience && ++bad_epochs >= c->patience) {
                stop = 1;
            }
        }
        if (c->progress) {
            double t = edl__now();
            p.epoch = epoch, p.step = r.steps, p.seconds = t - t0, p.epoch_end = 1;
            p.progress = total_steps ? (double)r.steps / (double)total_steps : 1.0;
            p.lr = edl_schedule_lr(c->schedule, c->optim.lr, r.steps ? r.steps - 1 : 0, total_steps, c->warmup_steps);
            p.examples_per_second = (double)seen / (t - t0 > 0 ? t - t0 : 1e-9);
            p.eta_seconds = (double)(total_steps - r.steps) * (t - t0) / (double)(r.steps ? r.steps : 1);
            p.loss = r.train_loss, p.accuracy = r.train_accuracy;
            p.valid_loss = r.valid_loss, p.valid_accuracy = r.valid_accuracy;
            c->progress(&p, c->user);
            last_report = t;
        }
        if (c->checkpoint && saved_step != r.steps) {
            s = writer ? save_checkpoint(m, c->checkpoint, epoch, r.steps) : EDL_OK;
            if ((s = edl_comm_agree(comm, s)) != EDL_OK) goto done;
        }
        if (stop) break;
    }
    if (best && r.best_epoch && r.best_epoch != r.epochs_run) memcpy(m->params, best, m->nparams * sizeof *best);
    r.seconds = edl__now() - t0;
    if (report) *report = r;
done:
    edl_optim_free(opt);
    edl__batch_free(&bb);
    free(best_mem);
    free(vorder);
    free(perm), free(local), free(pos);
    return s;
}
