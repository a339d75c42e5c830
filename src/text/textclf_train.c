/* Training a text classifier: read the input once in chunks (counting the vocabulary and keeping
 * each token's entry, 4 bytes a token: text.h's edl__token_ids), map the entries to the finished
 * vocabulary's ids and make the examples from them, then either fastText's per-example SGD with
 * Hogwild threads or mini-batch training of the general model. The raw text is never held. */
#include "text/textclf.h"
#include "kernels/kernels.h"
#include "common/lines.h"
#include "model/comm.h"
#include "model/hogwild.h"
#include "model/hot_rows.h"
#include "model/table.h"
#include "text/vectors.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ---- the corpus as ids --------------------------------------------------------------------- */

typedef struct {
    int32_t *words, *labels, *ntokens;
    int64_t *woff, *loff; /* example e: words[woff[e] .. woff[e+1]), labels likewise */
    size_t n, cap, nw, capw, nl, capl;
    int64_t tokens; /* sum of ntokens: one epoch as fastText counts it */
    size_t skipped; /* lines without a label */
} corpus;

static void corpus_free(corpus *c) {
    free(c->words), free(c->labels), free(c->ntokens), free(c->woff), free(c->loff);
    memset(c, 0, sizeof *c);
}

static edl_status corpus_add(corpus *c, const edl__line *l) {
    if (c->n + 1 >= c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        int32_t *nt = realloc(c->ntokens, cap * sizeof *nt);
        if (nt) c->ntokens = nt;
        int64_t *wo = realloc(c->woff, (cap + 1) * sizeof *wo);
        if (wo) c->woff = wo;
        int64_t *lo = realloc(c->loff, (cap + 1) * sizeof *lo);
        if (lo) c->loff = lo;
        if (!nt || !wo || !lo) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu examples", cap);
        if (c->cap == 0) c->woff[0] = c->loff[0] = 0;
        c->cap = cap;
    }
    if (c->nw + l->nwords > c->capw) {
        size_t cap = c->capw ? c->capw : 1 << 16;
        while (cap < c->nw + l->nwords) cap *= 2;
        int32_t *nw = realloc(c->words, cap * sizeof *nw);
        if (!nw) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu input ids", cap);
        c->words = nw, c->capw = cap;
    }
    if (c->nl + l->nlabels > c->capl) {
        size_t cap = c->capl ? c->capl : 1 << 12;
        while (cap < c->nl + l->nlabels) cap *= 2;
        int32_t *nl = realloc(c->labels, cap * sizeof *nl);
        if (!nl) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu labels", cap);
        c->labels = nl, c->capl = cap;
    }
    memcpy(c->words + c->nw, l->words, l->nwords * sizeof *c->words);
    memcpy(c->labels + c->nl, l->labels, l->nlabels * sizeof *c->labels);
    c->nw += l->nwords, c->nl += l->nlabels;
    c->ntokens[c->n] = (int32_t)(l->ntokens > INT32_MAX ? INT32_MAX : l->ntokens);
    c->tokens += l->ntokens;
    c->n++;
    c->woff[c->n] = (int64_t)c->nw, c->loff[c->n] = (int64_t)c->nl;
    return EDL_OK;
}

/* Adds the parsed line l to c (lines without labels are counted, not kept). */
static edl_status keep_line(corpus *c, const edl__line *l) {
    int blank = l->nwords <= 1 && l->nlabels == 0 && l->ntokens <= 1;
    if (l->nlabels == 0 && !blank)
        c->skipped++;
    else if (l->nlabels > 0 && l->nwords > 0)
        return corpus_add(c, l);
    return EDL_OK;
}

/* The corpus of the text read into t, its tokens entries of old (the vocabulary as it was read)
   and remap[entry] their ids in the finished vocabulary: each line parsed as edl__line_parse
   would parse its text (edl__line_of_ids; the line's own "</s>" is appended there). */
static edl_status corpus_of_ids(const edl_textclf *clf, const edl__token_ids *t, const edl__vocab *old,
                                const int32_t *remap, corpus *c) {
    edl__line l = {0};
    const edl__features f = edl__textclf_features(clf);
    edl_status s = EDL_OK;
    for (size_t ln = 0; ln < t->nlines && s == EDL_OK; ln++) {
        size_t a = ln ? (size_t)t->line_end[ln - 1] : 0, b = (size_t)t->line_end[ln];
        if (ln + 1 < t->nlines || t->last_newline) b--; /* the newline's "</s>" */
        s = edl__line_of_ids(&clf->vocab, &f, old, remap, t->ids + a, b - a, &l);
        if (s == EDL_OK) s = keep_line(c, &l);
    }
    edl__line_free(&l);
    return s;
}

/* The corpus of a text read with a finished vocabulary (-valid, quantize -retrain), line by line
   through the line reader. */
static edl_status corpus_of_file(const edl_textclf *clf, const char *path, size_t chunk, corpus *c) {
    edl_lines *lr;
    EDL__TRY(edl__lines_input(&lr, path, chunk));
    edl__line l = {0};
    const edl__features f = edl__textclf_features(clf);
    char *line;
    size_t len;
    edl_status s;
    while ((s = edl_lines_next(lr, &line, &len)) == EDL_OK && line) {
        s = edl__line_parse(&clf->vocab, line, len, &f, &l);
        if (s == EDL_OK) s = keep_line(c, &l);
        if (s != EDL_OK) {
            s = edl__fail_wrap(s, "%s:%zu", strcmp(path, "-") ? path : "<stdin>", edl_lines_number(lr));
            break;
        }
    }
    edl_lines_close(lr);
    edl__line_free(&l);
    return s;
}

/* ---- fastText's algorithm ------------------------------------------------------------------ */

/* The job the Hogwild engine runs: one unit is one example. */
typedef struct {
    edl_textclf *c;
    const corpus *data;
    float *table, *wo; /* the input rows (words, then buckets) and the output rows */
    edl__rows rows[2]; /* the same, as the engine synchronises them (each row written is marked) */
    double *neg_cdf;   /* ns: label l drawn with probability (cdf[l] - cdf[l-1]) / cdf[nlabels-1] */
    size_t hot[2];     /* the leading rows of each that a thread holds (model/hot_rows.h; 0: none) */
} hog;

/* A thread's state: its buffers (hidden, grad, out) and its copies of the hot rows, added into
   the tables every MERGE_WORDS and MERGE_LABELS examples (and at its end). */
typedef struct {
    float *buf;
    edl__hot_rows rows[2];
    size_t since; /* examples since the last merge of the labels' rows */
} clf_thread;

/* Rows asked for ahead of their use: an example's rows are spread over a table far larger than the
   caches (the buckets' rows, drawn by hash), so each row read waits for memory unless asked for
   early; 8 rows (~8 x 7 lines) ahead covers a miss's latency with the adds of the rows between.
   Asked for writing: each row read is written back by the same example's step. */
#define PREFETCH_ROWS 8

/* With several threads, each holds its own copies of the rows written at nearly every step
   (model/hot_rows.h) and adds its steps on them into the tables every so many examples: the
   words used about twice a merge or more (MERGE_WORDS) and the output rows when there are few
   (ns: the labels drawn about twice a merge or more; MERGE_LABELS), at most HOT_ROWS of each and
   HOT_BYTES of copies.
   On the spam set at -thread 2, where the host had put the two vCPUs on two core complexes (a
   line's round trip ~310 ns against ~55), holding both for 128 examples took the threads' CPU
   an example from 19.4 to 13.8 us with bigrams and from 11.8 to 6.0 us without (the bigrams'
   buckets are not held: their rows are many and each rare); on one complex it cost ~2% (8.9 ->
   9.0 us). 128 and 1024 against 32 and 64: 14.5 against 16.2 us.
   A word's row held that long cost accuracy: each thread's 128 steps on it, made without the
   other's, are added together, and the frequent words' rows went astray. P@1 on spam.test at
   -thread 2 (-dim 50 -epoch 5 -lr 0.5 -wordNgrams 2, the 1-thread runs' 0.958-0.959): words
   merged every 128 examples 0.903-0.950, 32: 0.955-0.957, 16: 0.957-0.959, 8: 0.958, none held:
   0.958-0.959 (without bigrams, -dim 100 -epoch 25: 128 0.971-0.974, 16 and none 0.976). The
   labels' rows held for 128 cost nothing measurable (words not held, labels held: 0.958-0.959).
   So the words' rows are merged every 16 examples (their lines then move at most once in 16
   examples, not at every one), the labels' every 128. */
#define MERGE_WORDS  16
#define MERGE_LABELS 128
#define HOT_ROWS     1024
#define HOT_BYTES    ((size_t)1 << 20) /* a thread's copies of a table's held rows (own and base), at most */

/* ns: a label other than target, drawn by count^0.5 as fastText's negatives table does (here the
   exact distribution, searched, for a table of nlabels doubles instead of 10^7 ints). */
static int32_t draw_negative(const hog *h, int32_t target, edl_rng *rng) {
    const size_t nl = h->c->vocab.nlabels;
    const double total = h->neg_cdf[nl - 1];
    for (;;) {
        double u = edl_rng_uniform(rng) * total;
        size_t lo = 0, hi = nl - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (h->neg_cdf[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        if ((int32_t)lo != target) return (int32_t)lo;
    }
}

static float std_log(float x) { return logf(x + 1e-5f); }

/* One binary logistic output (ova and hs): returns the loss, updates output row o and grad. */
static float binary(hog *h, clf_thread *th, size_t o, const float *hidden, float *grad, size_t dim, int positive,
                    float lr) {
    float *wo_row = edl__hot_row(&th->rows[1], o);
    float score = 1.0f / (1.0f + expf(-edl__vec_dot(wo_row, hidden, dim)));
    float alpha = lr * ((float)positive - score);
    edl__vec_axpy(grad, alpha, wo_row, dim);
    edl__vec_axpy(wo_row, alpha, hidden, dim);
    edl__rows_touch(&h->rows[1], o);
    return positive ? -std_log(score) : -std_log(1.0f - score);
}

static float update(hog *h, clf_thread *th, const int32_t *words, size_t nw, const int32_t *labels, size_t nl, float lr,
                    edl_rng *rng) {
    const edl_textclf *c = h->c;
    const size_t dim = c->dim, nlab = c->vocab.nlabels;
    float *hidden = th->buf, *grad = th->buf + dim, *out = th->buf + 2 * dim;
    edl__hot_rows *in = &th->rows[0], *wo = &th->rows[1];
    memset(hidden, 0, dim * sizeof *hidden);
    for (size_t i = 0; i < nw; i++) {
        const float *ahead = i + PREFETCH_ROWS < nw ? edl__hot_row_ahead(in, (size_t)words[i + PREFETCH_ROWS]) : NULL;
        if (ahead) edl__vec_prefetch(ahead, dim * sizeof(float), 1);
        edl__vec_add(hidden, edl__hot_row(in, (size_t)words[i]), dim);
    }
    edl__vec_scale(hidden, 1.0f / (float)nw, dim);
    memset(grad, 0, dim * sizeof *grad);
    float loss = 0.0f;
    if (c->loss == EDL_TEXTCLF_OVA) {
        for (size_t l = 0; l < nlab; l++) {
            int pos = 0;
            for (size_t j = 0; j < nl; j++) pos |= labels[j] == (int32_t)l;
            loss += binary(h, th, l, hidden, grad, dim, pos, lr);
        }
    } else {
        int32_t target = labels[nl > 1 ? edl_rng_below(rng, nl) : 0]; /* one label a step, as fastText */
        if (c->loss == EDL_TEXTCLF_NS) {
            loss += binary(h, th, (size_t)target, hidden, grad, dim, 1, lr);
            for (size_t n = 0; n < c->neg; n++)
                loss += binary(h, th, (size_t)draw_negative(h, target, rng), hidden, grad, dim, 0, lr);
        } else if (c->loss == EDL_TEXTCLF_HS) {
            for (size_t k = c->hs.path_off[target]; k < c->hs.path_off[target + 1]; k++)
                loss += binary(h, th, (size_t)c->hs.paths[k], hidden, grad, dim, c->hs.codes[k], lr);
        } else {
            float mx = -INFINITY, z = 0.0f;
            for (size_t l = 0; l < nlab; l++) {
                out[l] = edl__vec_dot(edl__hot_row(wo, l), hidden, dim);
                mx = out[l] > mx ? out[l] : mx;
            }
            for (size_t l = 0; l < nlab; l++) z += out[l] = expf(out[l] - mx);
            for (size_t l = 0; l < nlab; l++) {
                out[l] /= z;
                float alpha = lr * ((l == (size_t)target ? 1.0f : 0.0f) - out[l]);
                float *row = edl__hot_row(wo, l);
                edl__vec_axpy(grad, alpha, row, dim);
                edl__vec_axpy(row, alpha, hidden, dim);
                edl__rows_touch(&h->rows[1], l);
            }
            loss = -std_log(out[target]);
        }
    }
    edl__vec_scale(grad, 1.0f / (float)nw, dim);
    for (size_t i = 0; i < nw; i++) {
        edl__vec_add(edl__hot_row(in, (size_t)words[i]), grad, dim);
        edl__rows_touch(&h->rows[0], (size_t)words[i]);
    }
    return loss;
}

static void thread_end(void *job, void *state) {
    clf_thread *th = state;
    (void)job;
    for (int k = 0; k < 2; k++) {
        edl__hot_rows_merge(&th->rows[k]);
        edl__hot_rows_free(&th->rows[k]);
    }
    free(th->buf);
    free(th);
}

static void *thread_begin(void *job, edl_rng *rng) {
    hog *h = job;
    clf_thread *th = calloc(1, sizeof *th);
    if (!th) return NULL;
    if (!(th->buf = malloc((2 * h->c->dim + h->c->vocab.nlabels) * sizeof(float)))) {
        free(th);
        return NULL;
    }
    /* held rows are a speed-up only: without memory for them the thread holds none */
    for (int k = 0; k < 2; k++) (void)edl__hot_rows_init(&th->rows[k], &h->rows[k], h->hot[k]);
    /* the threads' merges spread over the period, not all at once: two adding into one row at
       the same moment could lose one's steps (the additions are not atomic, as Hogwild's) */
    if (h->hot[0] || h->hot[1]) th->since = (size_t)edl_rng_below(rng, MERGE_LABELS);
    return th;
}

static int64_t step_example(void *job, void *state, size_t e, float lr, edl_rng *rng, double *loss, int64_t *nloss) {
    hog *h = job;
    const corpus *d = h->data;
    clf_thread *th = state;
    size_t dim = h->c->dim;
    *loss += update(h, th, d->words + d->woff[e], (size_t)(d->woff[e + 1] - d->woff[e]), d->labels + d->loff[e],
                    (size_t)(d->loff[e + 1] - d->loff[e]), lr, rng);
    ++*nloss;
    if (++th->since % MERGE_WORDS == 0) edl__hot_rows_merge(&th->rows[0]);
    if (th->since == MERGE_LABELS) {
        edl__hot_rows_merge(&th->rows[1]);
        th->since = 0;
    }
    /* the next example's first rows (each thread walks the units in order; update asks for the rest) */
    size_t next = e + 1 < d->n ? e + 1 : 0, k = (size_t)(d->woff[next + 1] - d->woff[next]);
    for (size_t i = 0; i < k && i < PREFETCH_ROWS; i++) {
        const float *ahead = edl__hot_row_ahead(&th->rows[0], (size_t)d->words[d->woff[next] + (int64_t)i]);
        if (ahead) edl__vec_prefetch(ahead, dim * sizeof(float), 1);
    }
    return d->ntokens[e];
}

/* A lazy table's rows before training: every word's (words_too), and each row d's examples use
   (the buckets), so the Hogwild threads only read and write rows already made. */
static void make_rows(edl_textclf *c, const corpus *d, int words_too) {
    if (!edl__table_is_lazy(c->m, 0)) return;
    if (words_too)
        for (size_t w = 0; w < c->vocab.nwords; w++) edl__table_row(c->m, 0, w);
    if (d) edl__table_make_rows(c->m, 0, d->words, d->nw);
}

static float *lazy_row(void *m, size_t r) { return edl__table_row(m, 0, r); }

/* fastText's trainer on the Hogwild engine; with several ranks (a->comm) each on its share d, the
   engine averaging the rows they touch. Collective: every rank returns the same status. */
static edl_status train_fasttext(edl_textclf *c, const corpus *d, const edl_textclf_args *a, int nt,
                                 edl_textclf_report *rep) {
    make_rows(c, d, 0);
    size_t in_n, out_n, dim = c->dim;
    hog h = {
        c,    d,     edl_model_tensor(c->m, 0, "weight", &in_n), edl_model_tensor(c->m, 1, "weight", &out_n), {{0}},
        NULL, {0, 0}};
    h.rows[0] = (edl__rows){h.table, in_n / dim, dim, dim, edl__table_is_lazy(c->m, 0) ? lazy_row : NULL, c->m, NULL};
    h.rows[1] = (edl__rows){h.wo, out_n / dim, dim, dim, NULL, NULL, NULL};
    if (nt > 1) { /* the rows nearly every step writes: the frequent words', the few labels' */
        const size_t nw = c->vocab.nwords, nl = c->vocab.nlabels, most = HOT_BYTES / (2 * dim * sizeof(float));
        const size_t cap = most < HOT_ROWS ? most : HOT_ROWS;
        h.hot[0] = edl__hot_rows_count(c->vocab.counts, nw, d->n, MERGE_WORDS, cap);
        h.hot[1] = c->loss == EDL_TEXTCLF_NS ? edl__hot_rows_count(c->vocab.counts + nw, nl, d->n, MERGE_LABELS, cap)
                   : out_n / dim <= cap      ? out_n / dim
                                             : 0;
    }
    edl_status s = EDL_OK;
    if (c->loss == EDL_TEXTCLF_NS) {
        size_t nl = c->vocab.nlabels;
        if (!(h.neg_cdf = malloc(nl * sizeof *h.neg_cdf))) s = edl__fail(EDL_ERR_NOMEM, "no memory for negatives");
        double z = 0;
        for (size_t l = 0; h.neg_cdf && l < nl; l++)
            h.neg_cdf[l] = z += sqrt((double)c->vocab.counts[c->vocab.nwords + l]);
    }
    edl__hogwild job = {.name = "edl_textclf_train",
                        .job = &h,
                        .units = d->n,
                        .epoch_tokens = d->tokens,
                        .epochs = a->epoch,
                        .lr = a->lr,
                        .lr_update_rate = a->lr_update_rate,
                        .threads = nt,
                        .seed = a->seed,
                        .thread_begin = thread_begin,
                        .thread_end = thread_end,
                        .step = step_example,
                        .progress = a->progress,
                        .cancel = a->cancel,
                        .user = a->user,
                        .comm = a->comm,
                        .sync_tokens = (int64_t)(a->sync_tokens < INT64_MAX ? a->sync_tokens : INT64_MAX),
                        .tables = h.rows,
                        .ntables = 2};
    edl__hogwild_result r;
    if ((s = edl_comm_agree(a->comm, s)) != EDL_OK) { /* this rank's or another's failure to set up */
        free(h.neg_cdf);
        return s;
    }
    s = edl__hogwild_run(&job, &r);
    free(h.neg_cdf);
    rep->loss = r.loss, rep->seconds = r.seconds, rep->words_per_sec_thread = r.words_per_sec_thread;
    rep->syncs = r.syncs, rep->bytes_sent = r.bytes_sent;
    rep->sync_seconds = r.sync_seconds, rep->wait_seconds = r.wait_seconds;
    rep->cpu_seconds = r.cpu_seconds, rep->steps = r.units, rep->busiest = r.busiest;
    if (s != EDL_OK || r.stopped) return edl_comm_agree(a->comm, s); /* another rank's status, when it stopped us */
    int bad_in = !edl__table_all_finite(c->m, 0), bad_out = !edl__vec_all_finite(h.wo, out_n);
    if (r.diverged >= 0 || bad_in || bad_out) {
        size_t l = bad_in ? 0 : 1; /* the first layer holding a non-finite value */
        long long at = r.diverged >= 0 ? (long long)r.diverged : (long long)r.total;
        edl_layer_info li;
        edl_model_layer_info(c->m, l, &li);
        s = edl__fail(
            EDL_ERR_NUMERIC,
            "training diverged at token %lld of %lld (epoch %lld): layer %zu (%s) is not finite (lower -lr, now %g)",
            at, (long long)r.total, at / (d->tokens ? d->tokens : 1) + 1, l, li.name, (double)a->lr);
    }
    return edl_comm_agree(a->comm, s);
}

/* ---- mini-batch training of the general model (hidden layers, other optimizers) ------------ */

/* Examples [begin, end) of d as a dataset: this rank's share (comm NULL: all of them). */
static edl_status to_dataset(const edl_textclf *c, const corpus *d, edl_comm *comm, edl_dataset **out) {
    size_t nl = c->vocab.nlabels;
    int ova = c->loss == EDL_TEXTCLF_OVA;
    EDL__TRY(edl_dataset_create(out, 0, ova ? nl : 0));
    float *t = ova ? malloc(nl * sizeof *t) : NULL;
    int64_t *idx = NULL;
    size_t cap = 0;
    edl_status s = ova && !t ? edl__fail(EDL_ERR_NOMEM, "no memory") : EDL_OK;
    size_t begin, end;
    edl__comm_share(comm, d->n, &begin, &end);
    for (size_t e = begin; e < end && s == EDL_OK; e++) {
        size_t nw = (size_t)(d->woff[e + 1] - d->woff[e]);
        if (nw > cap) {
            int64_t *ni = realloc(idx, nw * sizeof *ni);
            if (!ni) {
                s = edl__fail(EDL_ERR_NOMEM, "no memory");
                break;
            }
            idx = ni, cap = nw;
        }
        for (size_t i = 0; i < nw; i++) idx[i] = d->words[d->woff[e] + (int64_t)i];
        if (ova) {
            memset(t, 0, nl * sizeof *t);
            for (int64_t j = d->loff[e]; j < d->loff[e + 1]; j++) t[d->labels[j]] = 1.0f;
        }
        s = edl_dataset_add_indices(*out, idx, nw, ova ? 0 : d->labels[d->loff[e]], t);
    }
    free(t), free(idx);
    if (s != EDL_OK) {
        edl_dataset_free(*out);
        *out = NULL;
    }
    return s;
}

/* edl_train's reports as the classifier's: a -log has its row an epoch on this path too. */
typedef struct {
    const edl_textclf_args *a;
    double tokens_per_example;
} batch_progress;

static void report_batches(const edl_progress *p, void *user) {
    const batch_progress *b = user;
    edl_progress q = *p;
    q.words_per_sec_thread = p->examples_per_second * b->tokens_per_example;
    b->a->progress(&q, b->a->user);
}

static edl_status train_batches(edl_textclf *c, const corpus *d, const corpus *vd, const edl_textclf_args *a,
                                edl_textclf_report *rep) {
    if (c->loss == EDL_TEXTCLF_HS)
        return edl__fail(
            EDL_ERR_UNSUPPORTED,
            "-loss hs is fastText's per-example trainer; with -hidden, -batch or -optimizer use softmax or ova");
    edl_dataset *train = NULL, *valid = NULL;
    /* several ranks: the examples read are this rank's share already (edl_train places them in
       the global order); the validation file was read whole, so each rank takes its share */
    edl_status s = to_dataset(c, d, NULL, &train);
    if (s == EDL_OK && vd) s = to_dataset(c, vd, a->comm, &valid);
    if ((s = edl_comm_agree(a->comm, s)) == EDL_OK) {
        edl_train_config tc;
        edl_train_defaults(&tc);
        /* without -optimizer: Adam under hidden layers (SGD from fastText's small input rows
           leaves them stuck at the label prior: P@1 0.687 on the spam demo at any -lr tried,
           against 0.979 with Adam), else SGD as fastText */
        edl_opt_kind opt = a->optimizer >= 0 ? (edl_opt_kind)a->optimizer : a->nhidden ? EDL_OPT_ADAM : EDL_OPT_SGD;
        edl_optim_defaults(&tc.optim, opt);
        tc.epochs = a->epoch, tc.batch_size = a->batch ? a->batch : 32, tc.seed = a->seed;
        /* fastText's -lr is a step per example. Batches here take the mean gradient, so when
           the user chose neither -batch nor -optimizer and SGD runs (this path came from -valid
           or -dropout), it steps batch_size times that rate: the batch's summed gradient, as
           fastText's steps add up, so the same flags learn alike on either path (spam demo,
           5 epochs, -valid: P@1 0.705 before, 0.965 now; 0.953 without -valid). */
        tc.optim.lr = a->batch == 0 && a->optimizer < 0 && opt == EDL_OPT_SGD ? a->lr * (float)tc.batch_size : a->lr;
        tc.schedule = EDL_SCHED_LINEAR, tc.valid = valid, tc.patience = a->patience, tc.comm = a->comm;
        batch_progress bp = {a, (double)d->tokens / (double)d->n};
        if (a->progress) tc.progress = report_batches, tc.user = &bp, tc.progress_seconds = 0.1;
        edl_train_report r;
        s = edl_train(c->m, train, &tc, &r);
        rep->loss = r.train_loss, rep->seconds = r.seconds;
        rep->words_per_sec_thread = r.seconds > 0 ? (double)d->tokens * (double)r.epochs_run / r.seconds : 0;
    }
    edl_dataset_free(train);
    edl_dataset_free(valid);
    return s;
}

/* ---- the whole job ------------------------------------------------------------------------- */

static edl_status check_args(const edl_textclf_args *a) {
    static const char fn[] = "edl_textclf_train";
    if (a->dim == 0 || a->dim > 100000)
        return edl__fail(EDL_ERR_ARG, "%s: -dim %zu must be in [1, 100000]", fn, a->dim);
    if (!(a->lr > 0.0f) || !isfinite(a->lr)) return edl__fail(EDL_ERR_ARG, "%s: -lr %g must be > 0", fn, a->lr);
    if (a->epoch == 0) return edl__fail(EDL_ERR_ARG, "%s: -epoch must be >= 1", fn);
    if (a->word_ngrams == 0 || a->word_ngrams > 100)
        return edl__fail(EDL_ERR_ARG, "%s: -wordNgrams %zu must be in [1, 100]", fn, a->word_ngrams);
    if (a->maxn > 100 || a->minn > a->maxn)
        return edl__fail(EDL_ERR_ARG, "%s: -minn %zu -maxn %zu: need minn <= maxn <= 100", fn, a->minn, a->maxn);
    if ((a->word_ngrams > 1 || a->maxn > 0) && (a->bucket == 0 || a->bucket > (size_t)INT32_MAX / 2))
        return edl__fail(EDL_ERR_ARG, "%s: -bucket %zu must be in [1, 2^30] with -wordNgrams > 1 or -maxn > 0", fn,
                         a->bucket);
    if (a->loss == EDL_TEXTCLF_NS && (a->neg == 0 || a->neg > 1000))
        return edl__fail(EDL_ERR_ARG, "%s: -neg %zu must be in [1, 1000] with -loss ns", fn, a->neg);
    if (a->loss == EDL_TEXTCLF_NS && (a->nhidden || a->batch || a->optimizer >= 0 || a->valid || a->dropout > 0))
        return edl__fail(EDL_ERR_ARG,
                         "%s: -loss ns trains example by example, as fastText; it takes no -hidden, -batch, "
                         "-optimizer, -valid or -dropout",
                         fn);
    if ((unsigned)a->loss > EDL_TEXTCLF_NS) return edl__fail(EDL_ERR_ARG, "%s: unknown loss %d", fn, (int)a->loss);
    if (!a->label || !a->label[0]) return edl__fail(EDL_ERR_ARG, "%s: -label is empty", fn);
    if (a->thread < 0 || a->thread > 256)
        return edl__fail(EDL_ERR_ARG, "%s: -thread %d must be in [0, 256]", fn, a->thread);
    if (a->sync_tokens == 0) return edl__fail(EDL_ERR_ARG, "%s: -syncTokens must be > 0", fn);
    if (!(a->dropout >= 0.0f && a->dropout < 1.0f))
        return edl__fail(EDL_ERR_ARG, "%s: -dropout %g is not in [0, 1)", fn, a->dropout);
    for (size_t h = 0; h < a->nhidden; h++)
        if (!a->hidden || a->hidden[h] == 0) return edl__fail(EDL_ERR_ARG, "%s: hidden layer %zu has no units", fn, h);
    return EDL_OK;
}

edl_status edl_textclf_train(edl_textclf **out, const char *input, const edl_textclf_args *a,
                             edl_textclf_report *report) {
    return edl__textclf_train(out, input, a, report, 0);
}

edl_status edl__textclf_train(edl_textclf **out, const char *input, const edl_textclf_args *a,
                              edl_textclf_report *report, size_t chunk) {
    static const char fn[] = "edl_textclf_train";
    if (!out || !input || !a) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    EDL__TRY(check_args(a));
    edl_textclf *c = calloc(1, sizeof *c);
    edl__token_ids ids = {0};
    edl__vocab read = {0}; /* the vocabulary as read: entries in order of first appearance */
    int32_t *remap = NULL;
    corpus d = {0}, vd = {0};
    edl_textclf_report rep = {0};
    if (!c) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    c->loss = a->loss, c->neg = a->loss == EDL_TEXTCLF_NS ? a->neg : 0, c->dim = a->dim,
    c->word_ngrams = a->word_ngrams, c->minn = a->maxn ? a->minn : 0, c->maxn = a->maxn;
    /* as fastText: no buckets without word or character n-grams */
    c->bucket = a->word_ngrams > 1 || a->maxn > 0 ? a->bucket : 0;
    /* one pass over the input: 4 bytes a token and 8 a line until the corpus below is made */
    edl_status s = edl__vocab_init(&c->vocab, a->label);
    int general = a->nhidden > 0 || a->batch > 0 || a->optimizer >= 0 || a->valid || a->dropout > 0;
    /* with several ranks: each reads its share, and they agree on one vocabulary */
    if (s == EDL_OK) s = edl__token_ids_read(&ids, &c->vocab, input, chunk, 1, a->comm);
    if (s == EDL_OK && !(remap = malloc((c->vocab.size ? c->vocab.size : 1) * sizeof *remap)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu entries", fn, c->vocab.size);
    if (s == EDL_OK) s = edl__vocab_finish_map(&c->vocab, a->min_count, a->min_count_label, remap, &read);
    if (s == EDL_OK && c->vocab.nlabels == 0)
        s = edl__fail(EDL_ERR_FORMAT, "%s: no labels (tokens starting with \"%s\") in %s", fn, a->label, input);
    if (s == EDL_OK && (c->loss == EDL_TEXTCLF_HS || c->loss == EDL_TEXTCLF_NS) && c->vocab.nlabels < 2)
        s = edl__fail(EDL_ERR_ARG, "%s: -loss %s needs at least 2 labels (%s has %zu)", fn,
                      edl_textclf_loss_name(c->loss), input, c->vocab.nlabels);
    if (s == EDL_OK && c->vocab.nwords + c->bucket > (size_t)INT32_MAX)
        s = edl__fail(EDL_ERR_ARG, "%s: %zu words + %zu buckets exceed 2^31 rows", fn, c->vocab.nwords, c->bucket);
    if (s == EDL_OK) s = corpus_of_ids(c, &ids, &read, remap, &d);
    edl__token_ids_free(&ids);
    edl__vocab_free(&read);
    free(remap);
    /* the run's counts, over every rank's share (every rank has come this far: the vocabulary
       agreed, and what follows it fails alike on every rank) */
    int64_t counts[3] = {(int64_t)d.n, d.tokens, (int64_t)d.skipped};
    s = edl_comm_agree(a->comm, s);
    if (s == EDL_OK) s = edl__comm_allreduce(a->comm, counts, 3, EDL__COMM_I64, EDL__COMM_SUM);
    if (s == EDL_OK && counts[0] == 0)
        s = edl__fail(EDL_ERR_FORMAT, "%s: %s has no line with both a label and a word", fn, input);
    if (s == EDL_OK && a->dictionary) a->dictionary(counts[1], c->vocab.nwords, c->vocab.nlabels, a->user);
    if (s == EDL_OK && a->valid) s = corpus_of_file(c, a->valid, chunk, &vd);
    if (s == EDL_OK && c->loss == EDL_TEXTCLF_HS) s = edl__textclf_build_tree(c);
    /* fastText's trainer with buckets: a lazy table, whose rows are made (as a table made whole
       would hold them) only for the words and the buckets the text uses, and saved alone */
    if (s == EDL_OK)
        s = edl__textclf_make_model(c, a, c->vocab.nwords + c->bucket,
                                    c->bucket > 0 && !general && c->vocab.nwords + c->bucket <= EDL__LAZY_MAX_ROWS);
    if (s == EDL_OK) make_rows(c, NULL, 1);
    if (s == EDL_OK && a->pretrained_vectors) { /* any format edl reads (word2vec, GloVe, .vec, safetensors) */
        float *table = edl_model_tensor(c->m, 0, "weight", NULL);
        s = edl__vectors_into_rows(a->pretrained_vectors, &c->vocab, c->vocab.nwords, table, c->dim, c->dim);
    }
    int nt = a->thread > 0 ? a->thread : 1;
#ifdef _OPENMP
    if (a->thread == 0) nt = omp_get_num_procs();
#endif
    s = edl_comm_agree(a->comm, s); /* every rank trains, or none */
    if (s == EDL_OK)
        s = general ? train_batches(c, &d, a->valid ? &vd : NULL, a, &rep) : train_fasttext(c, &d, a, nt, &rep);
    rep.nwords = c->vocab.nwords, rep.nlabels = c->vocab.nlabels, rep.nexamples = (size_t)counts[0];
    rep.skipped_no_label = (size_t)counts[2], rep.ntokens = counts[1];
    corpus_free(&d);
    corpus_free(&vd);
    if (s == EDL_OK) {
        int n = snprintf(c->args, sizeof c->args,
                         "dim=%zu lr=%g epoch=%zu wordNgrams=%zu bucket=%zu minCount=%lld minCountLabel=%lld label=%s "
                         "loss=%s thread=%d seed=%llu lrUpdateRate=%zu",
                         a->dim, a->lr, a->epoch, a->word_ngrams, c->bucket, (long long)a->min_count,
                         (long long)a->min_count_label, a->label, edl_textclf_loss_name(a->loss), nt,
                         (unsigned long long)a->seed, a->lr_update_rate);
        if (c->maxn && n > 0 && (size_t)n < sizeof c->args)
            n += snprintf(c->args + n, sizeof c->args - (size_t)n, " minn=%zu maxn=%zu", c->minn, c->maxn);
        if (c->neg && n > 0 && (size_t)n < sizeof c->args)
            n += snprintf(c->args + n, sizeof c->args - (size_t)n, " neg=%zu", c->neg);
        if (general && n > 0 && (size_t)n < sizeof c->args)
            snprintf(c->args + n, sizeof c->args - (size_t)n, " batch=%zu optimizer=%d dropout=%g hidden=%zu",
                     a->batch ? a->batch : 32, a->optimizer, a->dropout, a->nhidden);
    }
    if (report) *report = rep;
    if (s != EDL_OK) {
        edl_textclf_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

edl_status edl__textclf_train_more(edl_textclf *c, const char *input, const edl_quantize_args *q) {
    static const char fn[] = "edl_textclf_quantize";
    if (q->epoch == 0) return edl__fail(EDL_ERR_ARG, "%s: -retrain: -epoch must be >= 1", fn);
    if (!(q->lr > 0.0f) || !isfinite(q->lr))
        return edl__fail(EDL_ERR_ARG, "%s: -retrain: -lr %g must be > 0", fn, q->lr);
    if (q->thread < 0 || q->thread > 256)
        return edl__fail(EDL_ERR_ARG, "%s: -retrain: -thread %d must be in [0, 256]", fn, q->thread);
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.epoch = q->epoch, a.lr = q->lr, a.thread = q->thread, a.seed = q->seed, a.neg = c->neg ? c->neg : 5;
    a.progress = q->progress, a.cancel = q->cancel, a.user = q->user;
    int nt = a.thread > 0 ? a.thread : 1;
#ifdef _OPENMP
    if (a.thread == 0) nt = omp_get_num_procs();
#endif
    corpus d = {0};
    edl_textclf_report rep;
    edl_status s = corpus_of_file(c, input, 0, &d);
    if (s == EDL_OK && d.n == 0)
        s = edl__fail(EDL_ERR_FORMAT, "%s: -retrain: %s has no line with both a known label and a word", fn, input);
    if (s == EDL_OK) s = train_fasttext(c, &d, &a, nt, &rep);
    corpus_free(&d);
    return s;
}
