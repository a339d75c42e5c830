/* supervised -autotune-*: fastText's flags, its progress line and its metric strings. */
#include "autotune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void autotune_flags_init(autotune_flags *f) {
    edl_autotune_args t;
    edl_autotune_defaults(&t);
    memset(f, 0, sizeof *f);
    f->metric = "f1", f->duration = (float)t.duration, f->predictions = t.predictions;
}

/* Whether -name (or --name, --name=) is on the command line: fastText keeps such arguments. */
static int given(int argc, char **argv, const char *name) {
    size_t n = strlen(name);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') continue;
        a += a[1] == '-' ? 2 : 1;
        if (!strncmp(a, name, n) && (a[n] == '\0' || a[n] == '=')) return 1;
    }
    return 0;
}

/* fastText's sizes: digits with an optional k, m or g (powers of 1000). */
static int parse_size(const char *s, uint64_t *out) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;
    if (end == s || s[0] == '-') return -1;
    if (*end == 'k' || *end == 'K') mul = 1000, end++;
    else if (*end == 'm' || *end == 'M') mul = 1000000, end++;
    else if (*end == 'g' || *end == 'G') mul = 1000000000, end++;
    if (*end || v == 0 || v > UINT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

int autotune_args_from(const char *cmd, const autotune_flags *f, int argc, char **argv, edl_autotune_args *t) {
    edl_autotune_defaults(t);
    t->validation = f->validation, t->duration = f->duration, t->predictions = f->predictions;
    if (!(f->duration > 0)) {
        fprintf(stderr, "edl %s: -autotune-duration %g must be more than 0 seconds\n", cmd, (double)f->duration);
        return 2;
    }
    if (f->predictions == 0) {
        fprintf(stderr, "edl %s: -autotune-predictions must be at least 1\n", cmd);
        return 2;
    }
    if (f->model_size && f->model_size[0] && parse_size(f->model_size, &t->model_size)) {
        fprintf(stderr, "edl %s: -autotune-modelsize '%s' is not a size such as 2M, 500k or 100000\n", cmd,
                f->model_size);
        return 2;
    }
    /* f1 | f1:LABEL | precisionAtRecall:P[:LABEL] | recallAtPrecision:R[:LABEL], P and R in percent */
    const char *m = f->metric;
    const char *curve = !strncmp(m, "precisionAtRecall:", 18) ? m + 18 : !strncmp(m, "recallAtPrecision:", 18) ? m + 18 : NULL;
    if (!strcmp(m, "f1")) {
        t->metric = EDL_AUTOTUNE_F1;
    } else if (!strncmp(m, "f1:", 3) && m[3]) {
        t->metric = EDL_AUTOTUNE_F1, t->metric_label = m + 3;
    } else if (curve) {
        t->metric = m[0] == 'p' ? EDL_AUTOTUNE_PRECISION_AT_RECALL : EDL_AUTOTUNE_RECALL_AT_PRECISION;
        char *end;
        double v = strtod(curve, &end);
        if (end == curve || (*end && *end != ':') || !(v >= 0 && v <= 100) || (*end == ':' && !end[1])) {
            fprintf(stderr, "edl %s: -autotune-metric '%s': the value is a percentage in [0, 100], then :LABEL or "
                            "nothing\n", cmd, m);
            return 2;
        }
        t->metric_value = v / 100.0;
        if (*end == ':') t->metric_label = end + 1;
    } else {
        fprintf(stderr, "edl %s: -autotune-metric '%s' is not f1, f1:LABEL, precisionAtRecall:P[:LABEL] or "
                        "recallAtPrecision:R[:LABEL]\n", cmd, m);
        return 2;
    }
    static const struct {
        const char *name;
        unsigned bit;
    } fixable[] = {{"epoch", EDL_AUTOTUNE_FIX_EPOCH},   {"lr", EDL_AUTOTUNE_FIX_LR},
                   {"dim", EDL_AUTOTUNE_FIX_DIM},       {"wordNgrams", EDL_AUTOTUNE_FIX_WORD_NGRAMS},
                   {"dsub", EDL_AUTOTUNE_FIX_DSUB},     {"minn", EDL_AUTOTUNE_FIX_MINN},
                   {"maxn", EDL_AUTOTUNE_FIX_MAXN},     {"bucket", EDL_AUTOTUNE_FIX_BUCKET},
                   {"loss", EDL_AUTOTUNE_FIX_LOSS}};
    for (size_t i = 0; i < sizeof fixable / sizeof fixable[0]; i++)
        if (given(argc, argv, fixable[i].name)) {
            t->fixed |= fixable[i].bit;
            fprintf(stderr, "Warning : %s is manually set to a specific value. It will not be automatically optimized.\n",
                    fixable[i].name);
        }
    return 0;
}

void autotune_progress(const edl_autotune_progress *p, void *user) {
    const int *verbose = user;
    if (*verbose >= 3) { /* fastText prints each trial's arguments from verbosity 3 */
        const edl_textclf_args *a = p->trial;
        fprintf(stderr, "\rTrial %zu: -epoch %zu -lr %g -dim %zu -wordNgrams %zu -minn %zu -maxn %zu -bucket %zu -dsub %zu: "
                        "score %.6f in %.2f s%s%s\n",
                p->trials, a->epoch, (double)a->lr, a->dim, a->word_ngrams, a->minn, a->maxn, a->bucket, p->trial_dsub,
                p->trial_score, p->trial_seconds, p->trial_status == EDL_OK ? "" : ": ", p->trial_status == EDL_OK ? "" : edl_status_str(p->trial_status));
    }
    if (*verbose < 2) return;
    long eta = (long)((1 - p->progress) * (p->progress > 0 ? p->seconds / p->progress : 0) + 0.5);
    fprintf(stderr, "\rProgress: %5.1f%% Trials: %4zu Best score: ", 100 * p->progress, p->trials);
    if (p->best_score < 0)
        fprintf(stderr, "  unknown");
    else
        fprintf(stderr, "%9.6f", p->best_score);
    fprintf(stderr, " ETA: %3ldh%2ldm%2lds", eta / 3600, eta / 60 % 60, eta % 60);
    fflush(stderr);
}

void autotune_print_best(const edl_autotune_report *r, const edl_autotune_args *t) {
    const edl_textclf_args *b = &r->best;
    fprintf(stderr, "\nBest score %.6f after %zu trials in %.0f s%s; the arguments, trained again:\n", r->best_score,
            r->trials, r->seconds, r->failed ? " (some diverged)" : "");
    fprintf(stderr, "  -epoch %zu -lr %g -dim %zu -wordNgrams %zu -minn %zu -maxn %zu -bucket %zu -loss %s", b->epoch,
            (double)b->lr, b->dim, b->word_ngrams, b->minn, b->maxn, b->bucket, edl_textclf_loss_name(b->loss));
    if (t->model_size)
        fprintf(stderr, " -dsub %zu -qnorm -retrain, the rows that fit %llu bytes", r->dsub,
                (unsigned long long)t->model_size);
    fputc('\n', stderr);
}
