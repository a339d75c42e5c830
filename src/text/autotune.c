/* fastText's autotune: within a time budget, train the classifier again and again with arguments
 * drawn around the best so far (fastText's strategy: Gaussian steps, in log2 for epoch, lr, dim
 * and bucket, that narrow as the budget runs out), score each on a validation file with
 * fastText's metric, keep the best, and train it once more. A trial still running when the budget
 * ends is cancelled. With a model size, each trial is quantized (-qnorm, -retrain, as many rows
 * as fit the size: counted exactly, where fastText estimates) and scored as quantized. edl trains several times
 * faster than fastText, so the same budget tries more arguments. */
#include "text/textclf.h"

#include "common/lines.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void edl_autotune_defaults(edl_autotune_args *t) {
    memset(t, 0, sizeof *t);
    t->duration = 300, t->metric = EDL_AUTOTUNE_F1, t->predictions = 1, t->seed = 0;
}

/* ---- fastText's strategy ------------------------------------------------------------------ */

typedef struct {
    edl_rng rng;
    double duration;
    size_t trials;
    int best_minn_index, best_dsub_exponent;
    size_t best_bucket, original_bucket;
    edl_textclf_args best;
    size_t best_dsub;
} strategy;

static const size_t minn_choices[3] = {0, 2, 3};

/* fastText's getArgGauss: a step of N(0, sigma) (sigma from start to end as t goes 0.25..0.75),
   added (linear) or as a power of 2, clipped to [lo, hi]. */
static double gauss_step(strategy *s, double val, double lo, double hi, double start, double end, double t,
                         int linear) {
    double sigma = start - ((start - end) / 0.5) * fmin(0.5, fmax(t - 0.25, 0.0));
    double coeff = (double)edl_rng_normal(&s->rng) * sigma;
    double v = linear ? val + coeff : val * pow(2.0, coeff);
    return v > hi ? hi : v < lo ? lo : v;
}

static void strategy_update(strategy *s, const edl_textclf_args *a, size_t dsub) {
    s->best = *a, s->best_dsub = dsub;
    s->best_minn_index = a->minn == 2 ? 1 : a->minn == 3 ? 2 : 0;
    s->best_dsub_exponent = dsub >= 16 ? 4 : dsub >= 8 ? 3 : dsub >= 4 ? 2 : 1;
    if (a->bucket) s->best_bucket = a->bucket;
}

static void strategy_ask(strategy *s, double elapsed, unsigned fixed, edl_textclf_args *a, size_t *dsub) {
    const double t = fmin(1.0, elapsed / s->duration);
    *a = s->best, *dsub = s->best_dsub;
    if (++s->trials == 1) return; /* the arguments as given, first */
    /* fastText casts each to its type: epoch, dim, wordNgrams and the indices truncate */
    if (!(fixed & EDL_AUTOTUNE_FIX_EPOCH)) a->epoch = (size_t)gauss_step(s, (double)a->epoch, 1, 100, 2.8, 2.5, t, 0);
    if (!(fixed & EDL_AUTOTUNE_FIX_LR)) a->lr = (float)gauss_step(s, a->lr, 0.01, 5.0, 1.9, 1.0, t, 0);
    if (!(fixed & EDL_AUTOTUNE_FIX_DIM)) a->dim = (size_t)gauss_step(s, (double)a->dim, 1, 1000, 1.4, 0.3, t, 0);
    if (!(fixed & EDL_AUTOTUNE_FIX_WORD_NGRAMS))
        a->word_ngrams = (size_t)gauss_step(s, (double)a->word_ngrams, 1, 5, 4.3, 2.4, t, 1);
    if (!(fixed & EDL_AUTOTUNE_FIX_DSUB))
        *dsub = (size_t)1 << (int)gauss_step(s, s->best_dsub_exponent, 1, 4, 2.0, 1.0, t, 1);
    if (!(fixed & EDL_AUTOTUNE_FIX_MINN))
        a->minn = minn_choices[(int)gauss_step(s, s->best_minn_index, 0, 2, 4.0, 1.4, t, 1)];
    if (!(fixed & EDL_AUTOTUNE_FIX_MAXN)) a->maxn = a->minn == 0 ? 0 : a->minn + 3;
    if (!(fixed & EDL_AUTOTUNE_FIX_BUCKET))
        a->bucket = (size_t)(int)gauss_step(s, (double)s->best_bucket, 10000, 10000000, 2.0, 1.5, t, 0);
    else
        a->bucket = s->original_bucket;
    if (a->word_ngrams <= 1 && a->maxn == 0) a->bucket = 0;
    if (!(fixed & EDL_AUTOTUNE_FIX_LOSS)) a->loss = EDL_TEXTCLF_SOFTMAX;
}

/* ---- fastText's meter: f1 and the precision-recall curve over predictions' scores ---------- */

typedef struct {
    float score, gold;
} score_gold;

typedef struct {
    uint64_t gold, predicted, correct; /* all labels */
    uint64_t *lgold, *lpred, *lcorrect;
    score_gold **sv; /* per label: (score, gold) of each prediction, and (-1, 1) of each miss */
    size_t *nsv, *capsv;
    size_t nlabels;
} meter;

static void meter_free(meter *m) {
    for (size_t l = 0; m->sv && l < m->nlabels; l++) free(m->sv[l]);
    free(m->sv), free(m->nsv), free(m->capsv), free(m->lgold), free(m->lpred), free(m->lcorrect);
    memset(m, 0, sizeof *m);
}

static edl_status meter_push(meter *m, size_t l, float score, float gold) {
    if (m->nsv[l] == m->capsv[l]) {
        size_t cap = m->capsv[l] ? 2 * m->capsv[l] : 64;
        score_gold *n = realloc(m->sv[l], cap * sizeof *n);
        if (!n) return edl__fail(EDL_ERR_NOMEM, "autotune: no memory for scores");
        m->sv[l] = n, m->capsv[l] = cap;
    }
    m->sv[l][m->nsv[l]++] = (score_gold){score, gold};
    return EDL_OK;
}

static int by_score_gold(const void *a, const void *b) { /* ascending pairs, as std::sort */
    const score_gold *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return x->gold < y->gold ? -1 : x->gold > y->gold;
}

/* fastText's precisionRecallCurve(label) (label -1: every label's points), then the best
   precision at recall >= value, or the best recall at precision >= value. */
static double curve_metric(const meter *m, long label, int precision_at_recall, double value) {
    size_t n = 0;
    for (size_t l = 0; l < m->nlabels; l++)
        if (label < 0 || (size_t)label == l) n += m->nsv[l];
    score_gold *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return NAN;
    size_t k = 0;
    for (size_t l = 0; l < m->nlabels; l++)
        if ((label < 0 || (size_t)label == l) && m->nsv[l])
            memcpy(v + k, m->sv[l], m->nsv[l] * sizeof *v), k += m->nsv[l];
    qsort(v, n, sizeof *v, by_score_gold);
    uint64_t golds = label < 0 ? m->gold : m->lgold[label], tp = 0, fp = 0;
    double best = 0.0, last = -2.0;
    /* positive counts from the highest score down, ties squeezed into one point, up to the first
       point of full recall; each point (precision, recall), then (1, 0) */
    uint64_t *ptp = malloc((n + 1) * sizeof *ptp), *pfp = malloc((n + 1) * sizeof *pfp);
    size_t np = 0;
    for (size_t i = n; ptp && pfp && i-- > 0;) {
        if (v[i].score < 0) break;
        if (v[i].gold == 1.0f)
            tp++;
        else
            fp++;
        if ((double)v[i].score == last && np)
            ptp[np - 1] = tp, pfp[np - 1] = fp;
        else
            ptp[np] = tp, pfp[np] = fp, np++;
        last = v[i].score;
    }
    size_t end = np;
    for (size_t i = 0; i < np; i++)
        if (ptp[i] >= golds) {
            end = i + 1;
            break;
        }
    for (size_t i = 0; ptp && pfp && i <= end && np; i++) {
        double p = 1.0, r = 0.0; /* the last point: (1, 0) */
        if (i < end) {
            p = ptp[i] + pfp[i] ? (double)ptp[i] / (double)(ptp[i] + pfp[i]) : 0.0;
            r = golds ? (double)ptp[i] / (double)golds : NAN;
        }
        if (precision_at_recall ? r >= value : p >= value) best = fmax(best, precision_at_recall ? p : r);
    }
    free(v), free(ptp), free(pfp);
    return best;
}

/* The classifier's score on the validation text, as fastText's autotune takes it. */
/* The validation file is read line by line, once a trial (its text is never held). */
static edl_status score(const edl_textclf *c, const edl_autotune_args *t, double *out) {
    meter m = {0};
    const size_t nl = c->vocab.nlabels, k = t->predictions;
    long label = -1;
    if (t->metric_label) {
        int32_t id = edl__vocab_find(&c->vocab, t->metric_label, strlen(t->metric_label),
                                     edl__text_hash(t->metric_label, strlen(t->metric_label)));
        if (id < 0 || (size_t)id < c->vocab.nwords)
            return edl__fail(EDL_ERR_ARG, "autotune: the metric's label '%s' is not a label of the training data",
                             t->metric_label);
        label = id - (long)c->vocab.nwords;
    }
    m.nlabels = nl;
    m.lgold = calloc(nl, sizeof *m.lgold), m.lpred = calloc(nl, sizeof *m.lpred);
    m.lcorrect = calloc(nl, sizeof *m.lcorrect), m.sv = calloc(nl, sizeof *m.sv);
    m.nsv = calloc(nl, sizeof *m.nsv), m.capsv = calloc(nl, sizeof *m.capsv);
    int64_t *pl = malloc(k * sizeof *pl);
    float *pp = malloc(k * sizeof *pp);
    edl__line l = {0};
    const edl__features f = edl__textclf_features(c);
    edl_lines *lr = NULL;
    edl_status s = m.lgold && m.lpred && m.lcorrect && m.sv && m.nsv && m.capsv && pl && pp
                       ? edl_lines_open(&lr, t->validation)
                       : edl__fail(EDL_ERR_NOMEM, "autotune: no memory");
    const int curve = t->metric != EDL_AUTOTUNE_F1;
    char *text;
    size_t len;
    while (s == EDL_OK && (s = edl_lines_next(lr, &text, &len)) == EDL_OK && text) {
        size_t cnt = 0;
        s = edl__line_parse(&c->vocab, text, len, &f, &l);
        if (s == EDL_OK && l.nlabels > 0 && l.nwords > 0) s = edl_textclf_predict(c, text, len, k, 0.0f, pl, pp, &cnt);
        if (s == EDL_OK && l.nlabels > 0 && l.nwords > 0) {
            m.gold += l.nlabels, m.predicted += cnt;
            for (size_t j = 0; s == EDL_OK && j < cnt; j++) {
                int hit = 0;
                for (size_t g = 0; g < l.nlabels; g++) hit |= l.labels[g] == (int32_t)pl[j];
                m.lpred[pl[j]]++, m.lcorrect[pl[j]] += (uint64_t)hit, m.correct += (uint64_t)hit;
                if (curve) s = meter_push(&m, (size_t)pl[j], fminf(pp[j], 1.0f), (float)hit);
            }
            for (size_t g = 0; s == EDL_OK && g < l.nlabels; g++) {
                m.lgold[l.labels[g]]++;
                int found = 0;
                for (size_t j = 0; j < cnt; j++) found |= pl[j] == l.labels[g];
                if (curve && label >= 0 && !found) s = meter_push(&m, (size_t)l.labels[g], -1.0f, 1.0f);
            }
        }
        if (s != EDL_OK && lr) s = edl__fail_wrap(s, "%s:%zu", t->validation, edl_lines_number(lr));
    }
    edl_lines_close(lr);
    if (s == EDL_OK) {
        if (t->metric == EDL_AUTOTUNE_F1) {
            double p = label < 0 ? (m.predicted ? (double)m.correct / (double)m.predicted : NAN)
                                 : (m.lpred[label] ? (double)m.lcorrect[label] / (double)m.lpred[label] : NAN);
            double r = label < 0 ? (m.gold ? (double)m.correct / (double)m.gold : NAN)
                                 : (m.lgold[label] ? (double)m.lcorrect[label] / (double)m.lgold[label] : NAN);
            *out = p + r != 0 ? 2 * p * r / (p + r) : NAN;
        } else {
            *out = curve_metric(&m, label, t->metric == EDL_AUTOTUNE_PRECISION_AT_RECALL, t->metric_value);
        }
    }
    edl__line_free(&l);
    free(pl), free(pp);
    meter_free(&m);
    return s;
}

/* ---- the search ----------------------------------------------------------------------------- */

/* A trial's work, in units its time is about proportional to: epochs x dim x the rows a token
   reads (itself, its word n-grams, its character n-grams). */
static double work_units(const edl_textclf_args *a) {
    double rows = (double)a->word_ngrams + (a->maxn > 0 ? (double)(a->maxn - a->minn + 1) * 3.0 : 0.0);
    return (double)a->epoch * (double)a->dim * rows;
}

typedef struct {
    double t0, duration;
} budget;

static int out_of_time(void *user) {
    const budget *b = user;
    return edl__now() - b->t0 >= b->duration;
}

/* A quarter of the machine's memory: a trial whose input table would take more is skipped, as
   fastText skips one whose allocation fails (an allocation that succeeds on overcommit would
   spend the budget setting the table up, or take the machine's memory). */
static uint64_t memory_cap(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 4 : (uint64_t)1 << 32;
}

/* One trial: train a (cancelled when the budget ends), quantize it when a size is asked, score. */
static edl_status trial(const char *input, const edl_textclf_args *a, size_t dsub, const edl_autotune_args *t,
                        const char *tmp, size_t *nwords, edl_textclf **model, double *out, int *fits) {
    edl_textclf *c = NULL;
    *model = NULL, *fits = 1;
    uint64_t rows =
        *nwords + (a->word_ngrams > 1 || a->maxn > 0 ? (uint64_t)a->bucket : 0); /* nwords: the first trial's */
    if (rows * a->dim * sizeof(float) > memory_cap())
        return edl__fail(EDL_ERR_NOMEM,
                         "autotune: -dim %zu -bucket %zu: the table would take more than a quarter "
                         "of the memory",
                         a->dim, a->bucket);
    EDL__TRY(edl_textclf_train(&c, input, a, NULL));
    if (a->min_count <= 1 || !*nwords) *nwords = c->vocab.nwords;
    edl_status s = EDL_OK;
    if (t->model_size) {
        edl_quantize_args q;
        edl_quantize_defaults(&q);
        size_t nl = c->vocab.nlabels;
        q.dsub = dsub < c->dim ? dsub : c->dim, q.qnorm = 1, q.qout = nl >= 256, q.retrain = 1, q.input = input;
        q.epoch = a->epoch, q.lr = a->lr, q.thread = a->thread, q.seed = a->seed, q.cancel = a->cancel;
        q.user = a->user, q.max_bytes = t->model_size;
        s = edl_textclf_quantize(c, &q, tmp);
        if (s == EDL_ERR_ARG && strstr(edl_last_error(), "fewer than the 256")) *fits = 0, s = EDL_OK;
        edl_textclf_free(c);
        c = NULL;
        if (s == EDL_OK && *fits) s = edl_textclf_load(&c, tmp);
    }
    if (s == EDL_OK && *fits) s = score(c, t, out);
    if (s == EDL_OK)
        *model = c;
    else
        edl_textclf_free(c);
    return s;
}

edl_status edl_textclf_autotune(edl_textclf **out, const char *input, const edl_textclf_args *base,
                                const edl_autotune_args *t, edl_autotune_report *rep) {
    static const char fn[] = "edl_textclf_autotune";
    if (!out || !input || !base || !t || !t->validation) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    /* trials end on a clock, which ranks would not agree on: one process searches */
    if (edl_comm_size(base->comm) > 1)
        return edl__fail(EDL_ERR_UNSUPPORTED, "%s: %d ranks: autotune searches in one process (comm NULL)", fn,
                         edl_comm_size(base->comm));
    if (!(t->duration > 0) || !isfinite(t->duration))
        return edl__fail(EDL_ERR_ARG, "%s: -autotune-duration %g must be > 0 seconds", fn, t->duration);
    if (t->predictions == 0 || t->predictions > 1000000)
        return edl__fail(EDL_ERR_ARG, "%s: -autotune-predictions %zu must be in [1, 10^6]", fn, t->predictions);
    if ((unsigned)t->metric > EDL_AUTOTUNE_RECALL_AT_PRECISION)
        return edl__fail(EDL_ERR_ARG, "%s: unknown metric %d", fn, (int)t->metric);
    if (base->nhidden || base->batch || base->optimizer >= 0 || base->valid || base->dropout > 0)
        return edl__fail(EDL_ERR_ARG,
                         "%s: autotune searches fastText's trainer: no -hidden, -batch, -optimizer, "
                         "-valid or -dropout",
                         fn);
    /* every trial trains on the input and scores the validation file, each read anew */
    if (!strcmp(input, "-") || !strcmp(t->validation, "-"))
        return edl__fail(EDL_ERR_ARG, "%s: autotune reads %s once a trial: give a file, not standard input ('-')", fn,
                         !strcmp(input, "-") ? "-input" : "-autotune-validation");
    edl_lines *probe;
    EDL__TRY(edl_lines_open(&probe, t->validation));
    edl_lines_close(probe);
    char tmp[64] = "";
    if (t->model_size) { /* each trial's .ftz, read back to be scored as quantized */
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%.40s/edl-autotune-XXXXXX", dir && dir[0] && strlen(dir) < 40 ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            return edl__fail(EDL_ERR_IO, "%s: cannot make a temporary file %s for the trials' models", fn, tmp);
        }
        close(fd);
    }
    strategy st;
    memset(&st, 0, sizeof st);
    edl_rng_seed(&st.rng, t->seed);
    st.duration = t->duration, st.original_bucket = base->bucket, st.best_bucket = 2000000;
    strategy_update(&st, base, t->dsub ? t->dsub : 2);
    budget b = {edl__now(), t->duration};
    edl_autotune_report r;
    memset(&r, 0, sizeof r);
    r.best_score = -1;
    edl_textclf_args best = *base;
    size_t nwords = 0; /* the vocabulary's size, once a trial has read it */
    size_t best_dsub = st.best_dsub;
    edl_status s = EDL_OK;
    double per_unit = 0; /* the slowest seconds a work unit has taken so far */
    while (s == EDL_OK && !out_of_time(&b)) {
        edl_textclf_args a;
        size_t dsub;
        /* fastText's draw; one that would take more than half the budget left (at the slowest rate
           seen) is drawn again, up to 10 times, so the budget goes to trials that can finish */
        for (int draw = 0; draw < 10; draw++) {
            strategy_ask(&st, edl__now() - b.t0, t->fixed, &a, &dsub);
            double left = t->duration - (edl__now() - b.t0);
            if (per_unit <= 0 || per_unit * work_units(&a) <= 0.5 * left) break;
        }
        a.progress = NULL, a.dictionary = NULL, a.cancel = out_of_time, a.user = &b;
        r.trials++;
        edl_textclf *c = NULL;
        double sc = NAN;
        int fits = 1;
        double started = edl__now();
        edl_status ts = trial(input, &a, dsub, t, tmp, &nwords, &c, &sc, &fits);
        double took = edl__now() - started;
        if (ts == EDL_OK && work_units(&a) > 0 && took / work_units(&a) > per_unit) per_unit = took / work_units(&a);
        edl_textclf_free(c);
        if (ts == EDL_ERR_CANCELLED) break;
        if (ts == EDL_ERR_NUMERIC || ts == EDL_ERR_NOMEM) { /* diverged, or asked too much: go on */
            r.failed++;
        } else if (ts != EDL_OK) {
            s = ts; /* the data or the arguments are wrong: every trial would fail so */
        } else if (!fits) {
            r.size_failed++;
        } else if (!isnan(sc) && (r.best_score < 0 || sc > r.best_score)) {
            r.best_score = sc, best = a, best_dsub = dsub;
            strategy_update(&st, &a, dsub);
        }
        if (t->progress) {
            edl_autotune_progress p = {fmin(1.0, (edl__now() - b.t0) / t->duration),
                                       edl__now() - b.t0,
                                       r.best_score,
                                       r.trials,
                                       &a,
                                       dsub,
                                       fits ? sc : NAN,
                                       edl__now() - started,
                                       ts};
            t->progress(&p, t->user);
        }
    }
    if (s == EDL_OK && r.best_score < 0)
        s = edl__fail(EDL_ERR_ARG, "%s: %s", fn,
                      r.size_failed ? "no trial fit -autotune-modelsize: please increase it"
                                    : "no trial finished within -autotune-duration: please increase it");
    r.seconds = edl__now() - b.t0;
    /* the best arguments, trained once more without a budget (the caller quantizes them) */
    edl_textclf *c = NULL;
    best.progress = base->progress, best.dictionary = base->dictionary, best.cancel = base->cancel;
    best.user = base->user;
    if (s == EDL_OK) s = edl_textclf_train(&c, input, &best, NULL);
    if (tmp[0]) unlink(tmp);
    r.best = best, r.dsub = best_dsub;
    r.best.progress = NULL, r.best.dictionary = NULL, r.best.cancel = NULL, r.best.user = NULL;
    r.best.label = NULL, r.best.pretrained_vectors = NULL, r.best.hidden = NULL, r.best.valid = NULL;
    if (rep) *rep = r;
    if (s != EDL_OK) return s;
    *out = c;
    return EDL_OK;
}
