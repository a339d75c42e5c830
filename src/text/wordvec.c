/* Word vectors by fastText's skip-gram and CBOW: negative sampling from a unigram^0.75 table,
 * subsampling of frequent words (keep with probability sqrt(t/f) + t/f), character n-grams
 * hashed into buckets, the rate falling linearly over processed tokens, Hogwild threads.
 * Negative sampling updates a window at a time by default (HogBatch: the window's context words
 * share one set of negatives, so a step is a small matrix product, vec.c's block kernels), or
 * a pair at a time as fastText (-update pair; hs and softmax always). The
 * input is read once in chunks (never held whole) into token ids, 4 bytes a token, which become
 * the corpus in place (8 bytes more a line); subsampling is drawn afresh each epoch. */
#include "kernels/kernels.h"
#include "io/safetensors.h"
#include "model/model_file.h"
#include "model/hogwild.h"
#include "text/text.h"
#include "text/ft_view.h"
#include "text/hs_tree.h"
#include "text/vectors.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define NEG_TABLE 10000000
#define LOG_TABLE 512
#define MAX_LINE  1024 /* words a line, as fastText cuts long lines */

struct edl_wordvec {
    edl__vocab vocab;
    size_t dim, minn, maxn, bucket;
    size_t stride; /* floats from one input row to the next: dim, or while training dim
                             rounded up to a cache line, so two threads updating neighbouring
                             rows never write the same line */
    float *input;  /* (nwords + bucket) x stride */
    int32_t *sub;  /* word i's rows: sub[sub_off[i] .. sub_off[i+1]) (its own first) */
    size_t *sub_off;
    edl_model *m;  /* when loaded from a file: owns input */
    float *output; /* nwords x dim: the output rows (hs: the tree's nwords - 1 inner nodes, the last
                      row unused), kept after training or from fastText's file; NULL from edl's */
    /* how it was trained, for fastText's file and dump (a file of edl's: fastText's defaults) */
    int cbow;
    edl_textclf_loss loss;
    size_t ws, epoch, neg, lr_update_rate;
    int64_t min_count;
    double t;
};

void edl_wordvec_defaults(edl_wordvec_args *a, int cbow) {
    memset(a, 0, sizeof *a);
    a->cbow = cbow, a->dim = 100, a->ws = 5, a->epoch = 5, a->min_count = 5, a->neg = 5, a->lr = 0.05f;
    a->t = 1e-4f, a->thread = 12, a->minn = 3, a->maxn = 6, a->bucket = 2000000, a->lr_update_rate = 100;
    a->label = "__label__", a->loss = EDL_TEXTCLF_NS, a->sync_tokens = 50000;
    /* skip-gram by windows: faster and as good or better on every benchmark; CBOW by pairs: its
       windows gain little speed and lose analogy accuracy (docs/BENCHMARKS.md, "Word vectors") */
    a->update = cbow ? EDL_WORDVEC_PAIR : EDL_WORDVEC_WINDOW;
}

void edl_wordvec_free(edl_wordvec *w) {
    if (!w) return;
    edl__vocab_free(&w->vocab);
    if (w->m)
        edl_model_free(w->m);
    else
        free(w->input);
    free(w->sub), free(w->sub_off), free(w->output);
    free(w);
}

size_t edl_wordvec_dim(const edl_wordvec *w) { return w ? w->dim : 0; }

/* ---- character n-grams, as fastText: over "<word>", UTF-8 characters, lengths minn..maxn --- */

static edl_status push_id(int32_t **a, size_t *n, size_t *cap, int32_t x) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 1024;
        int32_t *na = realloc(*a, c * sizeof *na);
        if (!na) return edl__fail(EDL_ERR_NOMEM, "no memory for subwords");
        *a = na, *cap = c;
    }
    (*a)[(*n)++] = x;
    return EDL_OK;
}

typedef struct {
    int32_t **a;
    size_t *n, *cap;
} id_list;

static edl_status push_ngram(void *ctx, const char *s, size_t n, int32_t row) {
    id_list *l = ctx;
    (void)s, (void)n;
    return push_id(l->a, l->n, l->cap, row);
}

/* The word's character n-grams' rows, as fastText's (text.c). */
static edl_status ngrams(const edl_wordvec *w, const char *word, size_t len, int32_t **out, size_t *n, size_t *cap) {
    id_list l = {out, n, cap};
    return edl__char_ngrams(word, len, w->minn, w->maxn, w->bucket, w->vocab.nwords, push_ngram, &l);
}

static edl_status build_subwords(edl_wordvec *w) {
    size_t nw = w->vocab.nwords, cap = 0, n = 0;
    w->sub_off = malloc((nw + 1) * sizeof *w->sub_off);
    if (!w->sub_off) return edl__fail(EDL_ERR_NOMEM, "no memory");
    for (size_t i = 0; i < nw; i++) {
        w->sub_off[i] = n;
        EDL__TRY(push_id(&w->sub, &n, &cap, (int32_t)i));
        const char *s = w->vocab.bytes + w->vocab.offsets[i];
        size_t len = (size_t)(w->vocab.offsets[i + 1] - w->vocab.offsets[i]);
        if (!(len == 4 && !memcmp(s, EDL__EOS, 4))) EDL__TRY(ngrams(w, s, len, &w->sub, &n, &cap));
    }
    w->sub_off[nw] = n;
    return EDL_OK;
}

edl_status edl_wordvec_word_vector(const edl_wordvec *w, const char *word, size_t len, float *vec) {
    if (!w || !word || !vec) return edl__fail(EDL_ERR_ARG, "edl_wordvec_word_vector: an argument is NULL");
    memset(vec, 0, w->dim * sizeof *vec);
    int32_t id = edl__vocab_find(&w->vocab, word, len, edl__text_hash(word, len));
    if (id >= 0 && (size_t)id < w->vocab.nwords) {
        size_t a = w->sub_off[id], b = w->sub_off[id + 1];
        for (size_t k = a; k < b; k++) edl__vec_add(vec, w->input + (size_t)w->sub[k] * w->stride, w->dim);
        edl__vec_scale(vec, 1.0f / (float)(b - a), w->dim);
        return EDL_OK;
    }
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    edl_status s = ngrams(w, word, len, &ids, &n, &cap);
    for (size_t k = 0; s == EDL_OK && k < n; k++) edl__vec_add(vec, w->input + (size_t)ids[k] * w->stride, w->dim);
    if (n) edl__vec_scale(vec, 1.0f / (float)n, w->dim);
    free(ids);
    return s;
}

typedef struct {
    const edl_wordvec *w;
    edl_subword_fn fn;
    void *user;
} subword_ctx;

static edl_status on_subword(void *ctx, const char *s, size_t n, int32_t row) {
    subword_ctx *x = ctx;
    x->fn(s, n, x->w->input + (size_t)row * x->w->stride, x->w->dim, x->user);
    return EDL_OK;
}

edl_status edl_wordvec_subwords(const edl_wordvec *w, const char *word, size_t len, edl_subword_fn fn, void *user) {
    if (!w || (!word && len) || !fn) return edl__fail(EDL_ERR_ARG, "edl_wordvec_subwords: an argument is NULL");
    if (!word) word = "";
    subword_ctx x = {w, fn, user};
    int32_t id = edl__vocab_find(&w->vocab, word, len, edl__text_hash(word, len));
    if (id >= 0 && (size_t)id < w->vocab.nwords) EDL__TRY(on_subword(&x, word, len, id));
    if (len == 4 && !memcmp(word, EDL__EOS, 4)) return EDL_OK;
    return edl__char_ngrams(word, len, w->minn, w->maxn, w->bucket, w->vocab.nwords, on_subword, &x);
}

static edl_status word_vector_of(const void *model, const char *word, size_t len, float *vec) {
    return edl_wordvec_word_vector(model, word, len, vec);
}

edl_status edl_wordvec_vectors(const edl_wordvec *w, edl_vectors **out) {
    if (!w || !out) return edl__fail(EDL_ERR_ARG, "edl_wordvec_vectors: an argument is NULL");
    return edl__vectors_of_words(out, &w->vocab, w->vocab.nwords, w->dim, word_vector_of, w, "edl_wordvec_vectors");
}

/* ---- training ------------------------------------------------------------------------------- */

typedef struct {
    int32_t *ids; /* every in-vocabulary word of the corpus, lines back to back */
    size_t n, cap;
    size_t *line_end; /* lines: ids[line_start .. line_end[l]) */
    size_t nlines, lcap;
} wv_corpus;

typedef struct {
    edl_wordvec *w;
    const edl_wordvec_args *a;
    const wv_corpus *c;
    float *output;     /* nwords x dim */
    edl__hs_tree tree; /* -loss hs: over the words' counts */
    float *pkeep;      /* per word: probability of keeping it */
    int32_t *neg;      /* the negatives table */
    size_t nneg;
    edl__rows rows[2];     /* the input and output rows, as the engine synchronises them */
    int window;            /* HogBatch's update (-update window with -loss ns), else fastText's pairs */
    size_t maxm;           /* rows of A in a window at most: 2 ws (skip-gram), ws words (CBOW) */
    float logt[LOG_TABLE]; /* log(x + 1e-5) at x = i / (LOG_TABLE - 1) */
} wv_train;

static float logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

/* One (input rows -> target) update with neg negatives: fastText's negative sampling. */
static float ns_update(wv_train *t, const int32_t *in, size_t nin, int32_t target, float lr, edl_rng *rng,
                       size_t *negpos, float *hidden, float *grad) {
    edl_wordvec *w = t->w;
    size_t dim = w->dim, stride = w->stride;
    float *h = hidden;
    if (nin == 1) {
        /* one row: read it in place (it is updated only after the last use below) */
        h = w->input + (size_t)in[0] * stride;
    } else {
        memset(hidden, 0, dim * sizeof *hidden);
        for (size_t i = 0; i < nin; i++) edl__vec_add(hidden, w->input + (size_t)in[i] * stride, dim);
        edl__vec_scale(hidden, 1.0f / (float)nin, dim);
    }
    memset(grad, 0, dim * sizeof *grad);
    float loss = 0.0f;
    /* The target and its negatives: every score first (independent dot products the CPU can
       overlap), then every update. Sequential word2vec would see a row updated earlier in the
       same step only when a negative is drawn twice. */
    enum { MAXK = 64 };
    float *rows[MAXK], score[MAXK];
    int32_t ids[MAXK];
    size_t nk = t->a->neg + 1 < MAXK ? t->a->neg + 1 : MAXK;
    for (size_t k = 0; k < nk; k++) {
        int32_t o = target;
        if (k > 0) {
            do {
                o = t->neg[*negpos];
                *negpos = *negpos + 1 == t->nneg ? 0 : *negpos + 1;
            } while (o == target);
        }
        rows[k] = t->output + (size_t)o * stride, ids[k] = o;
        score[k] = edl__vec_dot(rows[k], h, dim);
    }
    for (size_t k = 0; k < nk; k++) {
        float sc = logistic(score[k]), alpha = lr * ((k == 0 ? 1.0f : 0.0f) - sc);
        edl__vec_ns_step(grad, rows[k], h, alpha, dim);
        edl__rows_touch(&t->rows[1], (size_t)ids[k]);
        /* the loss is only reported: a table of log(x + 1e-5), as fastText keeps one */
        float p = k == 0 ? sc : 1.0f - sc;
        if (p >= 0.0f && p <= 1.0f)
            loss -= t->logt[(int)(p * (LOG_TABLE - 1) + 0.5f)];
        else
            loss = NAN; /* a score went NaN: the trainer stops at this step */
    }
    for (size_t i = 0; i < nin; i++) {
        edl__vec_add(w->input + (size_t)in[i] * stride, grad, dim);
        edl__rows_touch(&t->rows[0], (size_t)in[i]);
    }
    (void)rng;
    return loss;
}

/* One (input rows -> target) update of hierarchical softmax (the target's path in the tree) or
   of the full softmax over every word (out: nwords floats of scratch), as fastText's. */
static float tree_update(wv_train *t, const int32_t *in, size_t nin, int32_t target, float lr, float *hidden,
                         float *grad, float *out) {
    edl_wordvec *w = t->w;
    size_t dim = w->dim, stride = w->stride, nw = w->vocab.nwords;
    memset(hidden, 0, dim * sizeof *hidden);
    for (size_t i = 0; i < nin; i++) edl__vec_add(hidden, w->input + (size_t)in[i] * stride, dim);
    edl__vec_scale(hidden, 1.0f / (float)nin, dim);
    memset(grad, 0, dim * sizeof *grad);
    float loss = 0.0f;
    if (t->a->loss == EDL_TEXTCLF_HS) {
        const edl__hs_tree *tr = &t->tree;
        for (size_t k = tr->path_off[target]; k < tr->path_off[target + 1]; k++) {
            float *row = t->output + (size_t)tr->paths[k] * stride;
            float f = logistic(edl__vec_dot(row, hidden, dim)), code = (float)tr->codes[k];
            float alpha = lr * (code - f);
            edl__vec_ns_step(grad, row, hidden, alpha, dim);
            edl__rows_touch(&t->rows[1], (size_t)tr->paths[k]);
            loss -= logf((tr->codes[k] ? f : 1.0f - f) + 1e-5f);
        }
    } else {
        float mx = -INFINITY, z = 0.0f;
        for (size_t o = 0; o < nw; o++) {
            out[o] = edl__vec_dot(t->output + o * stride, hidden, dim);
            mx = out[o] > mx ? out[o] : mx;
        }
        for (size_t o = 0; o < nw; o++) z += out[o] = expf(out[o] - mx);
        for (size_t o = 0; o < nw; o++) {
            float p = out[o] / z, alpha = lr * ((o == (size_t)target ? 1.0f : 0.0f) - p);
            edl__vec_ns_step(grad, t->output + o * stride, hidden, alpha, dim);
            edl__rows_touch(&t->rows[1], o);
            if (o == (size_t)target) loss = -logf(p + 1e-5f);
        }
    }
    for (size_t i = 0; i < nin; i++) {
        edl__vec_add(w->input + (size_t)in[i] * stride, grad, dim);
        edl__rows_touch(&t->rows[0], (size_t)in[i]);
    }
    return loss;
}

/* A thread's state for the Hogwild engine: its buffers and its place in the negatives table. */
typedef struct {
    float *buf;          /* hidden, grad */
    int32_t *line, *bow; /* the line after subsampling; CBOW's context rows */
    size_t bow_n, bow_cap, negpos;
    /* the window update's: A's rows (means of several rows; maxm x stride), the steps on them
       (maxm x stride), the scores then their steps (maxm x 64), A's and B's row pointers, B's
       ids, and CBOW's words' context rows (bow[bow_off[j] .. bow_off[j + 1])) */
    float *hid, *ga, *sg;
    const float **a;
    float **b;    /* maxm x 64 */
    int32_t *bid; /* maxm x 64 */
    size_t *bow_off;
} wv_thread;

/* The loss of one score's probability p of its label, from fastText's table (NaN: not finite). */
static float table_loss(const wv_train *t, float p) {
    return p >= 0.0f && p <= 1.0f ? -t->logt[(int)(p * (LOG_TABLE - 1) + 0.5f)] : NAN;
}

/* Row i of A: word id's rows, their mean in hid's row i when it has several (else the row in
   place: the block kernels read it before anything writes it). */
static const float *window_row(const wv_train *t, float *hid, size_t i, int32_t id) {
    const edl_wordvec *w = t->w;
    size_t stride = w->stride, a = w->sub_off[id], b = w->sub_off[id + 1];
    if (b - a == 1) return w->input + (size_t)w->sub[a] * stride;
    float *h = hid + i * stride;
    memset(h, 0, stride * sizeof *h);
    for (size_t k = a; k < b; k++) edl__vec_add(h, w->input + (size_t)w->sub[k] * stride, stride);
    edl__vec_scale(h, 1.0f / (float)(b - a), stride);
    return h;
}

/* neg negatives from the table into B's rows from 1 on; avoid (if not -1) is drawn again, as
   fastText's target. */
static void draw_negatives(wv_train *t, wv_thread *th, int32_t avoid) {
    for (size_t k = 1; k <= t->a->neg; k++) {
        int32_t o;
        do {
            o = t->neg[th->negpos];
            th->negpos = th->negpos + 1 == t->nneg ? 0 : th->negpos + 1;
        } while (o == avoid);
        th->b[k] = t->output + (size_t)o * t->w->stride, th->bid[k] = o;
    }
}

/* sg (m x n scores, column 0 the positive's when pos0) into the steps lr (label - sigmoid);
   returns their loss. With rowid: a negative column k that is row i's own word (colid[k] ==
   rowid[i]) takes no step and no loss there (a word is never its own negative). */
static float window_steps(const wv_train *t, float *sg, size_t m, size_t n, int pos0, float lr, const int32_t *rowid,
                          const int32_t *colid) {
    float loss = 0.0f;
    edl__vec_logistic(sg, sg, m * n);
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < n; k++) {
            float sc = sg[i * n + k], label = pos0 && k == 0 ? 1.0f : 0.0f;
            if (rowid && rowid[i] == colid[k]) {
                sg[i * n + k] = 0.0f;
                continue;
            }
            loss += table_loss(t, label > 0.0f ? sc : 1.0f - sc);
            sg[i * n + k] = lr * (label - sc);
        }
    return loss;
}

/* Skip-gram's window of the word `target` (HogBatch): its m context words (ctx) are A's rows,
   the word and neg negatives drawn once for the window are B's; the scores A B^T, their steps G,
   then G B onto the context words' rows and G^T A onto B's, both from the same snapshot. The
   loss counts m pairs, as fastText's. */
static float sg_window(wv_train *t, wv_thread *th, const int32_t *ctx, size_t m, int32_t target, float lr) {
    edl_wordvec *w = t->w;
    const size_t stride = w->stride, n = t->a->neg + 1;
    th->b[0] = t->output + (size_t)target * stride, th->bid[0] = target;
    draw_negatives(t, th, target);
    for (size_t i = 0; i < m; i++) th->a[i] = window_row(t, th->hid, i, ctx[i]);
    edl__vec_block_dots(th->sg, th->a, m, (const float *const *)th->b, n, stride);
    float loss = window_steps(t, th->sg, m, n, 1, lr, NULL, NULL);
    edl__vec_block_steps(th->ga, stride, th->sg, th->a, m, th->b, n, stride);
    for (size_t k = 0; k < n; k++) edl__rows_touch(&t->rows[1], (size_t)th->bid[k]);
    for (size_t i = 0; i < m; i++)
        for (size_t k = w->sub_off[ctx[i]]; k < w->sub_off[ctx[i] + 1]; k++) {
            edl__vec_add(w->input + (size_t)w->sub[k] * stride, th->ga + i * stride, stride);
            edl__rows_touch(&t->rows[0], (size_t)w->sub[k]);
        }
    return loss;
}

/* Skip-gram's window of the word `center` with subwords: the word's input (its rows' mean) is
   A's one row, gathered and stepped once for the window (fastText does both once a pair, and a
   word has many rows); B's rows are its m context words and a pool of neg x m negatives drawn
   once for the window, which the window's pairs share: each pair is scored against the whole
   pool at weight 1/m, less the pairs whose own context word a negative is (fastText draws those
   again), so the pool counts as the neg negatives a pair of fastText's has. (Sharing only neg
   negatives, as the window of a model without subwords does, cost these models similarity.) The
   loss counts m pairs. */
static float sg_window_center(wv_train *t, wv_thread *th, const int32_t *ctx, size_t m, int32_t center, float lr) {
    edl_wordvec *w = t->w;
    const size_t stride = w->stride, n = m + t->a->neg * m; /* <= maxm x 64 */
    for (size_t i = 0; i < m; i++) th->b[i] = t->output + (size_t)ctx[i] * stride, th->bid[i] = ctx[i];
    for (size_t k = m; k < n; k++) {
        int32_t o = t->neg[th->negpos];
        th->negpos = th->negpos + 1 == t->nneg ? 0 : th->negpos + 1;
        th->b[k] = t->output + (size_t)o * stride, th->bid[k] = o;
    }
    th->a[0] = window_row(t, th->hid, 0, center);
    float *sg = th->sg;
    edl__vec_block_dots(sg, th->a, 1, (const float *const *)th->b, n, stride);
    edl__vec_logistic(sg, sg, n);
    float loss = 0.0f;
    for (size_t k = 0; k < n; k++) {
        float sc = sg[k];
        if (k < m) {
            loss += table_loss(t, sc);
            sg[k] = lr * (1.0f - sc);
            continue;
        }
        size_t pairs = m;
        for (size_t i = 0; i < m; i++) pairs -= ctx[i] == th->bid[k];
        float weight = (float)pairs / (float)m;
        loss += weight * table_loss(t, 1.0f - sc);
        sg[k] = weight * lr * (0.0f - sc);
    }
    edl__vec_block_steps(th->ga, stride, sg, th->a, 1, th->b, n, stride);
    for (size_t k = 0; k < n; k++) edl__rows_touch(&t->rows[1], (size_t)th->bid[k]);
    for (size_t k = w->sub_off[center]; k < w->sub_off[center + 1]; k++) {
        edl__vec_add(w->input + (size_t)w->sub[k] * stride, th->ga, stride);
        edl__rows_touch(&t->rows[0], (size_t)w->sub[k]);
    }
    return loss;
}

/* CBOW's window of m consecutive words (targets): word j's hidden vector, the mean of its
   context's rows (bow[bow_off[j] .. bow_off[j + 1])), is A's row j; B's rows are neg negatives
   drawn once for the m words (where one is word j itself, row j takes no step from it). Each
   word's own positive step goes alone (edl__vec_ns_step, after the shared block's), then word
   j's step onto each of its context's rows. The loss counts m examples. */
static float cbow_window(wv_train *t, wv_thread *th, const int32_t *targets, size_t m, float lr) {
    edl_wordvec *w = t->w;
    const size_t stride = w->stride, n = t->a->neg;
    draw_negatives(t, th, -1);
    float *pos = th->sg + m * n; /* the positives' scores, then steps: m more floats */
    for (size_t j = 0; j < m; j++) {
        float *h = th->hid + j * stride;
        size_t s = th->bow_off[j], e = th->bow_off[j + 1];
        memset(h, 0, stride * sizeof *h);
        for (size_t k = s; k < e; k++) edl__vec_add(h, w->input + (size_t)th->bow[k] * stride, stride);
        edl__vec_scale(h, 1.0f / (float)(e - s), stride);
        th->a[j] = h;
        pos[j] = edl__vec_dot(h, t->output + (size_t)targets[j] * stride, stride);
    }
    edl__vec_block_dots(th->sg, th->a, m, (const float *const *)(th->b + 1), n, stride);
    float loss =
        window_steps(t, th->sg, m, n, 0, lr, targets, th->bid + 1) + window_steps(t, pos, m, 1, 1, lr, NULL, NULL);
    edl__vec_block_steps(th->ga, stride, th->sg, th->a, m, th->b + 1, n, stride);
    for (size_t k = 1; k <= n; k++) edl__rows_touch(&t->rows[1], (size_t)th->bid[k]);
    for (size_t j = 0; j < m; j++) {
        edl__vec_ns_step(th->ga + j * stride, t->output + (size_t)targets[j] * stride, th->a[j], pos[j], stride);
        edl__rows_touch(&t->rows[1], (size_t)targets[j]);
        for (size_t k = th->bow_off[j]; k < th->bow_off[j + 1]; k++) {
            edl__vec_add(w->input + (size_t)th->bow[k] * stride, th->ga + j * stride, stride);
            edl__rows_touch(&t->rows[0], (size_t)th->bow[k]);
        }
    }
    return loss;
}

static void wv_thread_end(void *job, void *state) {
    wv_thread *s = state;
    (void)job;
    if (s)
        free(s->buf), free(s->line), free(s->bow), free(s->hid), free(s->ga), free(s->sg), free(s->a), free(s->b),
            free(s->bid), free(s->bow_off);
    free(s);
}

static void *wv_thread_begin(void *job, edl_rng *rng) {
    const wv_train *t = job;
    size_t negpos = (size_t)edl_rng_below(rng, t->nneg);
    wv_thread *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->negpos = negpos;
    size_t scratch = t->a->loss == EDL_TEXTCLF_SOFTMAX ? t->w->vocab.nwords : 0; /* softmax's scores */
    s->buf = malloc((2 * t->w->dim + scratch) * sizeof *s->buf);
    s->line = malloc(MAX_LINE * sizeof *s->line);
    if (t->window) { /* maxm <= 2000 and stride <= 100016: no product overflows */
        size_t floats = t->maxm * t->w->stride * sizeof(float);
        void *h = NULL, *g = NULL;
        if (posix_memalign(&h, 64, floats) == 0) s->hid = h;
        if (posix_memalign(&g, 64, floats) == 0) s->ga = g;
        s->sg = malloc(t->maxm * 64 * sizeof *s->sg);
        s->a = malloc(t->maxm * sizeof *s->a);
        s->b = malloc(t->maxm * 64 * sizeof *s->b);
        s->bid = malloc(t->maxm * 64 * sizeof *s->bid);
        s->bow_off = malloc((t->maxm + 1) * sizeof *s->bow_off);
        if (!s->hid || !s->ga || !s->sg || !s->a || !s->b || !s->bid || !s->bow_off) {
            wv_thread_end(job, s);
            return NULL;
        }
    }
    if (!s->buf || !s->line) {
        wv_thread_end(job, s);
        return NULL;
    }
    return s;
}

/* The rows the next window will want, asked for while this one computes: its word's output
   row, the negatives it will draw (unless one is its word), and the rows of the word at
   `enter`, the one that may come into its context. */
static void prefetch_window(const wv_train *t, const wv_thread *th, const int32_t *line, size_t n, size_t next,
                            size_t enter) {
    const edl_wordvec *w = t->w;
    const size_t stride = w->stride;
    if (next >= n) return;
    edl__vec_prefetch(t->output + (size_t)line[next] * stride, stride * sizeof(float), 1);
    for (size_t k = 0, pos = th->negpos; k < t->a->neg; k++, pos = pos + 1 == t->nneg ? 0 : pos + 1)
        edl__vec_prefetch(t->output + (size_t)t->neg[pos] * stride, stride * sizeof(float), 1);
    if (enter < n)
        for (size_t k = w->sub_off[line[enter]]; k < w->sub_off[line[enter] + 1]; k++)
            edl__vec_prefetch(w->input + (size_t)w->sub[k] * stride, stride * sizeof(float), 1);
}

/* A subsampled line of n words by windows: skip-gram a window a word (its context words, b of
   each side, b drawn in 1..ws as fastText's); CBOW ws consecutive words a window, each with its
   context drawn so. A CBOW word without context is left out, as fastText's. */
static void wv_window_line(wv_train *t, wv_thread *th, size_t n, float lr, edl_rng *rng, double *loss, int64_t *nloss) {
    const edl_wordvec *w = t->w;
    const edl_wordvec_args *a = t->a;
    const int32_t *line = th->line;
    int32_t ctx[2 * 1000]; /* -ws <= 1000 */
    if (!a->cbow) {
        for (size_t p = 0; p < n; p++) {
            prefetch_window(t, th, line, n, p + 1, w->maxn ? p + 1 : p + 1 + a->ws);
            size_t b = 1 + (size_t)edl_rng_below(rng, a->ws), m = 0;
            for (size_t q = p >= b ? p - b : 0; q <= p + b && q < n; q++)
                if (q != p) ctx[m++] = line[q];
            if (!m) continue;
            *loss += w->maxn ? sg_window_center(t, th, ctx, m, line[p], lr) : sg_window(t, th, ctx, m, line[p], lr);
            *nloss += (int64_t)m;
        }
        return;
    }
    for (size_t p0 = 0; p0 < n; p0 += t->maxm) {
        size_t m = 0;
        th->bow_n = 0;
        for (size_t p = p0; p < n && p < p0 + t->maxm; p++) {
            size_t b = 1 + (size_t)edl_rng_below(rng, a->ws), start = th->bow_n;
            th->bow_off[m] = start;
            edl_status st = EDL_OK;
            for (size_t q = p >= b ? p - b : 0; q <= p + b && q < n && st == EDL_OK; q++) {
                if (q == p) continue;
                for (size_t k = w->sub_off[line[q]]; k < w->sub_off[line[q] + 1] && st == EDL_OK; k++)
                    st = push_id(&th->bow, &th->bow_n, &th->bow_cap, w->sub[k]);
            }
            if (st != EDL_OK) th->bow_n = start; /* no memory for this word's context: left out */
            if (th->bow_n > start) ctx[m++] = line[p];
        }
        th->bow_off[m] = th->bow_n;
        if (!m) continue;
        *loss += cbow_window(t, th, ctx, m, lr);
        *nloss += (int64_t)m;
    }
}

/* One line: subsampled afresh, then each word's window (skip-gram: a step per context word;
   CBOW: one step from the window's rows). */
static int64_t wv_step(void *job, void *state, size_t l, float lr, edl_rng *rng, double *loss, int64_t *nloss) {
    wv_train *t = job;
    wv_thread *th = state;
    const edl_wordvec *w = t->w;
    const wv_corpus *c = t->c;
    const edl_wordvec_args *a = t->a;
    float *buf = th->buf;
    int32_t *line = th->line;
    size_t dim = w->dim;
    size_t s = l ? c->line_end[l - 1] : 0, e = c->line_end[l], n = 0;
    for (size_t i = s; i < e && n < MAX_LINE; i++)
        if (edl_rng_uniform(rng) < t->pkeep[c->ids[i]]) line[n++] = c->ids[i];
    if (t->window) {
        wv_window_line(t, th, n, lr, rng, loss, nloss);
        return (int64_t)(e - s);
    }
    for (size_t p = 0; p < n; p++) {
        size_t b = 1 + (size_t)edl_rng_below(rng, a->ws);
        if (a->cbow) {
            th->bow_n = 0;
            for (size_t q = p >= b ? p - b : 0; q <= p + b && q < n; q++) {
                if (q == p) continue;
                for (size_t k = w->sub_off[line[q]]; k < w->sub_off[line[q] + 1]; k++)
                    if (push_id(&th->bow, &th->bow_n, &th->bow_cap, w->sub[k]) != EDL_OK) th->bow_n = 0;
            }
            if (th->bow_n) {
                *loss += a->loss == EDL_TEXTCLF_NS
                             ? ns_update(t, th->bow, th->bow_n, line[p], lr, rng, &th->negpos, buf, buf + dim)
                             : tree_update(t, th->bow, th->bow_n, line[p], lr, buf, buf + dim, buf + 2 * dim);
                ++*nloss;
            }
        } else {
            const int32_t *in = w->sub + w->sub_off[line[p]];
            size_t nin = w->sub_off[line[p] + 1] - w->sub_off[line[p]];
            for (size_t q = p >= b ? p - b : 0; q <= p + b && q < n; q++) {
                if (q == p) continue;
                *loss += a->loss == EDL_TEXTCLF_NS
                             ? ns_update(t, in, nin, line[q], lr, rng, &th->negpos, buf, buf + dim)
                             : tree_update(t, in, nin, line[q], lr, buf, buf + dim, buf + 2 * dim);
                ++*nloss;
            }
        }
    }
    return (int64_t)(e - s);
}

static edl_status end_line(wv_corpus *c) {
    if (c->nlines == c->lcap) {
        size_t cap = c->lcap ? 2 * c->lcap : 1024;
        size_t *ne = realloc(c->line_end, cap * sizeof *ne);
        if (!ne) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu lines", cap);
        c->line_end = ne, c->lcap = cap;
    }
    c->line_end[c->nlines++] = c->n;
    return EDL_OK;
}

/* The corpus from the tokens read (t: entries of the vocabulary as read), in place: each entry
   becomes its id (remap) when that is a word of the finished vocabulary v, else goes; each "</s>"
   (entry eos; -1 when none was read) ends a line, and so does the input's end. c takes t's ids. */
static edl_status corpus_of_ids(wv_corpus *c, edl__token_ids *t, const int32_t *remap, int32_t eos,
                                const edl__vocab *v) {
    const size_t ntok = t->n;
    c->ids = t->ids, c->cap = t->cap, c->n = 0;
    t->ids = NULL, t->n = t->cap = 0;
    for (size_t i = 0; i < ntok; i++) { /* c->n <= i: ids[i] is read before it is written over */
        int32_t e = c->ids[i], id = remap[e];
        if (id >= 0 && (size_t)id < v->nwords) c->ids[c->n++] = id;
        if (e == eos) EDL__TRY(end_line(c));
    }
    if (ntok > 0 && (c->nlines == 0 || c->line_end[c->nlines - 1] != c->n)) { /* the last line, without a newline */
        int32_t id = edl__vocab_find(v, EDL__EOS, 4, edl__text_hash(EDL__EOS, 4));
        if (id >= 0 && (size_t)id < v->nwords) EDL__TRY(push_id(&c->ids, &c->n, &c->cap, id));
        EDL__TRY(end_line(c));
    }
    return EDL_OK;
}

static edl_status check_args(const edl_wordvec_args *a) {
    static const char fn[] = "edl_wordvec_train";
    if (a->dim == 0 || a->dim > 100000)
        return edl__fail(EDL_ERR_ARG, "%s: -dim %zu must be in [1, 100000]", fn, a->dim);
    if (a->ws == 0 || a->ws > 1000) return edl__fail(EDL_ERR_ARG, "%s: -ws %zu must be in [1, 1000]", fn, a->ws);
    if (a->epoch == 0) return edl__fail(EDL_ERR_ARG, "%s: -epoch must be >= 1", fn);
    if (a->loss != EDL_TEXTCLF_NS && a->loss != EDL_TEXTCLF_HS && a->loss != EDL_TEXTCLF_SOFTMAX)
        return edl__fail(EDL_ERR_ARG, "%s: -loss %s: word vectors learn with ns, hs or softmax", fn,
                         edl_textclf_loss_name(a->loss) ? edl_textclf_loss_name(a->loss) : "?");
    if (a->loss == EDL_TEXTCLF_NS && (a->neg == 0 || a->neg > 63))
        return edl__fail(EDL_ERR_ARG, "%s: -neg %zu must be in [1, 63]", fn, a->neg);
    if (!(a->lr > 0) || !isfinite(a->lr)) return edl__fail(EDL_ERR_ARG, "%s: -lr %g must be > 0", fn, a->lr);
    if (!(a->t > 0) || !isfinite(a->t)) return edl__fail(EDL_ERR_ARG, "%s: -t %g must be > 0", fn, a->t);
    if (a->maxn && (a->minn == 0 || a->minn > a->maxn || a->maxn > 100))
        return edl__fail(EDL_ERR_ARG, "%s: -minn %zu -maxn %zu: need 1 <= minn <= maxn <= 100", fn, a->minn, a->maxn);
    if (a->maxn && (a->bucket == 0 || a->bucket > (size_t)INT32_MAX / 2))
        return edl__fail(EDL_ERR_ARG, "%s: -bucket %zu must be in [1, 2^30]", fn, a->bucket);
    if (a->thread < 0 || a->thread > 256)
        return edl__fail(EDL_ERR_ARG, "%s: -thread %d must be in [0, 256]", fn, a->thread);
    if (a->sync_tokens == 0) return edl__fail(EDL_ERR_ARG, "%s: -syncTokens must be > 0", fn);
    if (!a->label || !a->label[0]) return edl__fail(EDL_ERR_ARG, "%s: -label is empty", fn);
    if (!edl_wordvec_update_name(a->update))
        return edl__fail(EDL_ERR_ARG, "%s: -update %d is neither window nor pair", fn, (int)a->update);
    return EDL_OK;
}

edl_status edl_wordvec_train(edl_wordvec **out, const char *input, const edl_wordvec_args *a, edl_wordvec_report *rep) {
    return edl__wordvec_train(out, input, a, rep, 0);
}

edl_status edl__wordvec_train(edl_wordvec **out, const char *input, const edl_wordvec_args *a, edl_wordvec_report *rep,
                              size_t chunk) {
    static const char fn[] = "edl_wordvec_train";
    if (!out || !input || !a) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    EDL__TRY(check_args(a));
    edl_wordvec *w = calloc(1, sizeof *w);
    wv_train *t = calloc(1, sizeof *t);
    wv_corpus c = {0};
    edl__token_ids ids = {0};
    int32_t *remap = NULL;
    if (!w || !t) {
        free(w), free(t);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    }
    w->dim = a->dim, w->minn = a->minn, w->maxn = a->maxn, w->bucket = a->maxn ? a->bucket : 0;
    w->cbow = a->cbow, w->loss = a->loss, w->ws = a->ws, w->epoch = a->epoch, w->neg = a->neg;
    w->lr_update_rate = a->lr_update_rate, w->min_count = a->min_count, w->t = a->t;
    /* one pass over the input: 4 bytes a token ("</s>" included), which become the corpus */
    edl_status s = edl__vocab_init(&w->vocab, a->label);
    /* with several ranks: each reads its share, and they agree on one vocabulary */
    if (s == EDL_OK) s = edl__token_ids_read(&ids, &w->vocab, input, chunk, 0, a->comm);
    /* labels are no words here: counted for the report (fastText's "Number of labels"), dropped */
    size_t nlabels = 0;
    for (size_t e = 0; s == EDL_OK && e < w->vocab.size; e++) {
        const char *tok = w->vocab.bytes + w->vocab.offsets[e];
        size_t n = (size_t)(w->vocab.offsets[e + 1] - w->vocab.offsets[e]);
        nlabels += edl__vocab_is_label(&w->vocab, tok, n) && w->vocab.counts[e] >= a->min_count_label;
    }
    int32_t eos = -1;
    if (s == EDL_OK) eos = edl__vocab_find(&w->vocab, EDL__EOS, 4, edl__text_hash(EDL__EOS, 4));
    if (s == EDL_OK && !(remap = malloc((w->vocab.size ? w->vocab.size : 1) * sizeof *remap)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu entries", fn, w->vocab.size);
    if (s == EDL_OK) s = edl__vocab_finish_map(&w->vocab, a->min_count, INT64_MAX, remap, NULL);
    if (s == EDL_OK && w->vocab.nwords == 0)
        s = edl__fail(EDL_ERR_FORMAT, "%s: %s has no word seen %lld times or more", fn, input, (long long)a->min_count);
    if (s == EDL_OK && w->vocab.nwords + w->bucket > (size_t)INT32_MAX)
        s = edl__fail(EDL_ERR_ARG, "%s: too many rows", fn);
    if (s == EDL_OK) s = corpus_of_ids(&c, &ids, remap, eos, &w->vocab);
    edl__token_ids_free(&ids);
    free(remap);
    /* the run's tokens, over every rank's share (the vocabulary agreed: what failed before this
       failed alike on every rank, but for memory) */
    int64_t ntokens = (int64_t)c.n;
    s = edl_comm_agree(a->comm, s);
    if (s == EDL_OK) s = edl__comm_allreduce(a->comm, &ntokens, 1, EDL__COMM_I64, EDL__COMM_SUM);
    if (s == EDL_OK && a->dictionary) a->dictionary(ntokens, w->vocab.nwords, nlabels, a->user);
    const size_t nw = w->vocab.nwords, dim = a->dim;
    /* tables: input uniform(+-1/dim), output zero, keep probabilities, negatives */
    size_t rows = nw + w->bucket;
    if (s == EDL_OK) s = build_subwords(w);
    w->stride = (dim + 15) / 16 * 16;
    if (s == EDL_OK) {
        void *in = NULL, *outp = NULL;
        if (posix_memalign(&in, 64, rows * w->stride * sizeof(float)) == 0) w->input = in;
        if (posix_memalign(&outp, 64, nw * w->stride * sizeof(float)) == 0) t->output = outp;
        if (t->output) memset(t->output, 0, nw * w->stride * sizeof(float));
        t->pkeep = malloc(nw * sizeof(float));
        t->neg = malloc(NEG_TABLE * sizeof(int32_t));
        if (!w->input || !t->output || !t->pkeep || !t->neg)
            s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu vectors", fn, rows, dim);
    }
    if (s == EDL_OK) {
        enum { CHUNK = 1 << 16 };
        const size_t total = rows * w->stride, chunks = (total + CHUNK - 1) / CHUNK;
        const float bound = 1.0f / (float)dim;
#pragma omp parallel for schedule(static) if (chunks > 4)
        for (size_t k = 0; k < chunks; k++) {
            edl_rng r;
            edl_rng_seed(&r, a->seed ^ (0x9e3779b97f4a7c15ULL * (k + 1)));
            size_t e = (k + 1) * CHUNK < total ? (k + 1) * CHUNK : total;
            for (size_t i = k * CHUNK; i < e; i++) w->input[i] = (2.0f * edl_rng_uniform(&r) - 1.0f) * bound;
        }
        /* the padding past dim zero (drawn above to keep the draws of every row where they were):
           the window update's kernels run over whole rows, and zeros there stay zeros */
        for (size_t row = 0; row < rows && w->stride > dim; row++)
            memset(w->input + row * w->stride + dim, 0, (w->stride - dim) * sizeof(float));
        if (a->pretrained_vectors)
            s = edl__vectors_into_rows(a->pretrained_vectors, &w->vocab, nw, w->input, dim, w->stride);
        if (s == EDL_OK && a->loss == EDL_TEXTCLF_HS) s = edl__hs_tree_build(&t->tree, w->vocab.counts, nw);
    }
    if (s == EDL_OK) {
        double ntok = (double)ntokens;
        for (size_t i = 0; i < nw; i++) {
            double f = (double)w->vocab.counts[i] / ntok;
            t->pkeep[i] = (float)(sqrt(a->t / f) + a->t / f);
        }
        double z = 0;
        for (size_t i = 0; i < nw; i++) z += pow((double)w->vocab.counts[i], 0.75);
        size_t k = 0;
        for (size_t i = 0; i < nw && k < NEG_TABLE; i++) {
            double share = pow((double)w->vocab.counts[i], 0.75) / z * NEG_TABLE;
            for (size_t j = 0; j < (size_t)share && k < NEG_TABLE; j++) t->neg[k++] = (int32_t)i;
        }
        t->nneg = k ? k : 1;
        if (!k) t->neg[0] = 0;
        edl_rng r;
        edl_rng_seed(&r, a->seed);
        /* Fisher-Yates, its random places drawn 64 swaps ahead and asked for (the table is 40 MB:
           each swap would wait for memory); the same draws and swaps in the same order */
        enum { AHEAD = 64 };
        size_t js[AHEAD];
        for (size_t i = t->nneg; i > 1;) {
            size_t cnt = i - 1 < AHEAD ? i - 1 : AHEAD;
            for (size_t q = 0; q < cnt; q++) {
                js[q] = (size_t)edl_rng_below(&r, i - q);
                edl__vec_prefetch(t->neg + js[q], sizeof *t->neg, 1);
            }
            for (size_t q = 0; q < cnt; q++, i--) {
                int32_t x = t->neg[i - 1];
                t->neg[i - 1] = t->neg[js[q]], t->neg[js[q]] = x;
            }
        }
    }
    int nt = a->thread > 0 ? a->thread : 1;
#ifdef _OPENMP
    if (a->thread == 0) nt = omp_get_num_procs();
#endif
    if (nt > 256) nt = 256;
    for (int i = 0; i < LOG_TABLE; i++) t->logt[i] = logf((float)i / (LOG_TABLE - 1) + 1e-5f);
    s = edl_comm_agree(a->comm, s); /* every rank trains, or none */
    if (s == EDL_OK && ntokens == 0) s = edl__fail(EDL_ERR_FORMAT, "%s: %s has no word to train on", fn, input);
    if (s == EDL_OK) {
        t->w = w, t->a = a, t->c = &c;
        t->window = a->update == EDL_WORDVEC_WINDOW && a->loss == EDL_TEXTCLF_NS;
        t->maxm = a->cbow ? a->ws : 2 * a->ws;
        t->rows[0] = (edl__rows){w->input, rows, dim, w->stride, NULL, NULL, NULL};
        t->rows[1] = (edl__rows){t->output, nw, dim, w->stride, NULL, NULL, NULL};
        edl__hogwild job = {.name = "edl_wordvec_train",
                            .job = t,
                            .units = c.nlines,
                            .epoch_tokens = (int64_t)c.n,
                            .epochs = a->epoch,
                            .lr = a->lr,
                            .lr_update_rate = a->lr_update_rate,
                            .threads = nt,
                            .seed = a->seed,
                            .thread_begin = wv_thread_begin,
                            .thread_end = wv_thread_end,
                            .step = wv_step,
                            .progress = a->progress,
                            .user = a->user,
                            .comm = a->comm,
                            .sync_tokens = (int64_t)(a->sync_tokens < INT64_MAX ? a->sync_tokens : INT64_MAX),
                            .tables = t->rows,
                            .ntables = 2};
        edl__hogwild_result r;
        s = edl__hogwild_run(&job, &r);
        int stopped = r.stopped; /* by another rank: its status comes from the agreement below */
        if (s == EDL_OK && rep) {
            rep->nwords = nw, rep->ntokens = ntokens, rep->seconds = r.seconds;
            rep->words_per_sec_thread = r.words_per_sec_thread, rep->loss = r.loss;
            rep->syncs = r.syncs, rep->bytes_sent = r.bytes_sent;
            rep->sync_seconds = r.sync_seconds, rep->wait_seconds = r.wait_seconds;
        }
        /* back to dense rows, in place (rows only move down); the output rows are kept */
        for (size_t row = 1; row < rows; row++)
            memmove(w->input + row * dim, w->input + row * w->stride, dim * sizeof(float));
        for (size_t row = 1; row < nw; row++)
            memmove(t->output + row * dim, t->output + row * w->stride, dim * sizeof(float));
        w->output = t->output, t->output = NULL;
        w->stride = dim;
        int bad_in = s == EDL_OK && !stopped && !edl__vec_all_finite(w->input, rows * dim);
        if (s == EDL_OK && !stopped && (r.diverged >= 0 || bad_in)) {
            long long at = r.diverged >= 0 ? (long long)r.diverged : (long long)r.total;
            s = edl__fail(EDL_ERR_NUMERIC,
                          "%s: training diverged at token %lld of %lld (epoch %lld): layer %d (%s) is not finite "
                          "(lower -lr, now %g)",
                          fn, at, (long long)r.total, at / (long long)(c.n ? c.n : 1) + 1, bad_in ? 0 : 1,
                          bad_in ? "input vectors" : "output vectors", (double)a->lr);
        }
        s = edl_comm_agree(a->comm, s);
    }
    edl__hs_tree_free(&t->tree);
    free(t->output), free(t->pkeep), free(t->neg), free(t);
    free(c.ids), free(c.line_end);
    if (s != EDL_OK) {
        edl_wordvec_free(w);
        return s;
    }
    *out = w;
    return EDL_OK;
}

/* ---- files -------------------------------------------------------------------------------- */

edl_status edl_wordvec_save(const edl_wordvec *w, const char *path) {
    if (!w || !path) return edl__fail(EDL_ERR_ARG, "edl_wordvec_save: an argument is NULL");
    size_t rows = w->vocab.nwords + w->bucket;
    char nw[32], minn[32], maxn[32], bucket[32];
    snprintf(nw, sizeof nw, "%zu", w->vocab.nwords);
    snprintf(minn, sizeof minn, "%zu", w->minn);
    snprintf(maxn, sizeof maxn, "%zu", w->maxn);
    snprintf(bucket, sizeof bucket, "%zu", w->bucket);
    const char *keys[] = {"wordvec.nwords", "wordvec.minn", "wordvec.maxn", "wordvec.bucket", "wordvec.label"};
    const char *vals[] = {nw, minn, maxn, bucket, w->vocab.label};
    const edl_tensor vocab[3] = {
        {"vocab.bytes", EDL_DTYPE_U8, 1, {w->vocab.nbytes, 0}, w->vocab.bytes},
        {"vocab.offsets", EDL_DTYPE_I64, 1, {w->vocab.size + 1, 0}, w->vocab.offsets},
        {"vocab.counts", EDL_DTYPE_I64, 1, {w->vocab.size, 0}, w->vocab.counts},
    };
    return edl__model_file_write_table("edl_wordvec_save", path, w->input, rows, w->dim, keys, vals, 5, vocab, 3);
}

edl_status edl__wordvec_check(edl__st *st, const edl_model *m, edl__wordvec_file *f) {
    const char *path = edl__st_path(st);
    memset(f, 0, sizeof *f);
    if (!edl__st_meta(st, "wordvec.nwords"))
        return edl__fail(EDL_ERR_FORMAT, "%s: not an edl word-vector model (no wordvec.nwords in its metadata)", path);
    EDL__TRY(edl__st_get_count(st, "wordvec.nwords", INT32_MAX, &f->nwords));
    EDL__TRY(edl__st_get_count(st, "wordvec.bucket", INT32_MAX, &f->bucket));
    EDL__TRY(edl__st_get_count(st, "wordvec.minn", 4096, &f->minn));
    EDL__TRY(edl__st_get_count(st, "wordvec.maxn", 4096, &f->maxn));
    if (f->maxn && (f->minn == 0 || f->minn > f->maxn))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata wordvec.minn %zu and wordvec.maxn %zu are not 1 <= minn <= maxn",
                         path, f->minn, f->maxn);
    f->label = edl__st_meta(st, "wordvec.label");
    if (!f->label || !f->label[0] || strlen(f->label) > 63)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: metadata wordvec.label (the label prefix) is missing or not 1 to 63 bytes", path);
    edl_layer_info in;
    if (edl_model_layer_info(m, 0, &in) != EDL_OK)
        return edl__fail(EDL_ERR_FORMAT, "%s: a word-vector model needs a layer 0", path);
    if (in.kind != EDL_LAYER_EMBEDDING_BAG && in.kind != EDL_LAYER_EMBEDDING)
        return edl__fail(EDL_ERR_FORMAT, "%s: a word-vector model's layer 0 is a table, not %s", path, in.name);
    EDL__TRY(
        edl__st_check_sum(st, "wordvec.nwords", f->nwords, "wordvec.bucket", f->bucket, "layer 0's rows", in.rows));
    if (in.rows > INT32_MAX)
        return edl__fail(EDL_ERR_FORMAT, "%s: layer 0's %zu rows are more than int32 ids reach", path, in.rows);
    f->dim = in.dim;
    /* the file may hold entries past the words (labels seen while training): words come first */
    const edl__st_tensor *o = edl__st_find(st, "vocab.offsets");
    if (!o || strcmp(o->dtype, "I64") || o->rank != 1 || o->shape[0] == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor vocab.offsets is missing or not I64 of rank 1", path);
    size_t entries = (size_t)(o->shape[0] - 1); /* the span's bytes fit the file: no truncation */
    if (entries < f->nwords)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata wordvec.nwords %zu, but vocab.offsets holds %zu entries", path,
                         f->nwords, entries);
    EDL__TRY(edl__st_get_strings(st, "vocab", entries, &f->vocab));
    const void *counts;
    EDL__TRY(edl__st_get_array(st, "vocab.counts", EDL_DTYPE_I64, entries, &counts));
    f->counts = counts;
    return EDL_OK;
}

/* The model as fastText's parts (a model of edl's file: fastText's defaults for what training
   alone used, and no output rows). */
static edl__ft_view view_of(const edl_wordvec *w) {
    edl__ft_args a = {.dim = (int32_t)w->dim,
                      .ws = (int32_t)w->ws,
                      .epoch = (int32_t)w->epoch,
                      .min_count = (int32_t)(w->min_count < INT32_MAX ? w->min_count : INT32_MAX),
                      .neg = (int32_t)w->neg,
                      .word_ngrams = 1,
                      .loss = w->loss == EDL_TEXTCLF_HS        ? EDL__FT_LOSS_HS
                              : w->loss == EDL_TEXTCLF_SOFTMAX ? EDL__FT_LOSS_SOFTMAX
                                                               : EDL__FT_LOSS_NS,
                      .model = w->cbow ? EDL__FT_MODEL_CBOW : EDL__FT_MODEL_SG,
                      .bucket = (int32_t)w->bucket,
                      .minn = (int32_t)w->minn,
                      .maxn = (int32_t)w->maxn,
                      .lr_update_rate = (int32_t)w->lr_update_rate,
                      .t = w->t};
    edl__ft_view v = {.args = a,
                      .vocab = &w->vocab,
                      .dim = w->dim,
                      .in = w->input,
                      .in_rows = w->vocab.nwords + w->bucket,
                      .out = w->output,
                      .out_rows = w->vocab.nwords,
                      .out_given = w->vocab.nwords};
    return v;
}

/* fastText's arguments of a model whose file did not say them: its defaults for skip-gram. */
static void default_hyper(edl_wordvec *w) {
    w->cbow = 0, w->loss = EDL_TEXTCLF_NS, w->ws = 5, w->epoch = 5, w->neg = 5, w->lr_update_rate = 100;
    w->min_count = 5, w->t = 1e-4;
}

edl_status edl_wordvec_save_fasttext(const edl_wordvec *w, const char *path) {
    static const char fn[] = "edl_wordvec_save_fasttext";
    if (!w || !path) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (!w->output)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: %s: the model was read from edl's file, which keeps the input table only; fastText's "
                         ".bin needs the output rows too (write it from training, or convert fastText's .bin)",
                         fn, path);
    edl__ft_view v = view_of(w);
    return edl__ft_view_write(&v, path, fn);
}

edl_status edl_wordvec_dump(const edl_wordvec *w, const char *what, FILE *f) {
    if (!w || !what || !f) return edl__fail(EDL_ERR_ARG, "edl_wordvec_dump: an argument is NULL");
    edl__ft_view v = view_of(w);
    return edl__ft_view_dump(&v, what, f, "edl_wordvec_dump");
}

edl_status edl_wordvec_output_vectors(const edl_wordvec *w, edl_vectors **out) {
    if (!w || !out) return edl__fail(EDL_ERR_ARG, "edl_wordvec_output_vectors: an argument is NULL");
    edl__ft_view v = view_of(w);
    return edl__ft_view_output(&v, 0, out, "edl_wordvec_output_vectors");
}

/* A fastText word-vector model (.bin of skipgram or cbow): its dictionary's words, the input
   matrix (words, then buckets), the output rows and the arguments. */
static edl_status load_fasttext(edl_wordvec **out, const char *path) {
    edl__ft ft;
    EDL__TRY(edl__ft_open(&ft, path));
    const edl__ft_args *fa = &ft.args;
    edl_status s = EDL_OK;
    edl_wordvec *w = calloc(1, sizeof *w);
    if (!w) s = edl__fail(EDL_ERR_NOMEM, "edl_wordvec_load: no memory");
    if (s == EDL_OK && fa->model == EDL__FT_MODEL_SUP)
        s = edl__fail(EDL_ERR_FORMAT, "%s: a fastText classifier, not a word-vector model (skipgram or cbow)", path);
    /* fastText quantizes only classifiers: a pruned word-vector model has no meaning for it */
    if (s == EDL_OK && ft.pruneidx_size >= 0)
        s = edl__fail(EDL_ERR_FORMAT,
                      "%s: byte 84: a word-vector model with a pruned dictionary (fastText prunes "
                      "only classifiers)",
                      path);
    if (s == EDL_OK) {
        w->dim = w->stride = (size_t)fa->dim, w->maxn = (size_t)fa->maxn, w->minn = fa->maxn ? (size_t)fa->minn : 0;
        w->bucket = (size_t)fa->bucket;
        w->cbow = fa->model == EDL__FT_MODEL_CBOW;
        w->loss = fa->loss == EDL__FT_LOSS_HS        ? EDL_TEXTCLF_HS
                  : fa->loss == EDL__FT_LOSS_SOFTMAX ? EDL_TEXTCLF_SOFTMAX
                                                     : EDL_TEXTCLF_NS;
        w->ws = (size_t)fa->ws, w->epoch = (size_t)fa->epoch, w->neg = (size_t)fa->neg;
        w->lr_update_rate = (size_t)fa->lr_update_rate, w->min_count = fa->min_count, w->t = fa->t;
        s = edl__vocab_from_fasttext(&w->vocab, &ft);
    }
    size_t rows = (size_t)ft.input.rows, bytes = 0;
    if (s == EDL_OK && !edl__mul_ok(rows * sizeof(float), w->dim, &bytes))
        s = edl__fail(EDL_ERR_NOMEM, "%s: %zu x %zu floats", path, rows, w->dim);
    if (s == EDL_OK && !(w->input = malloc(bytes ? bytes : 1)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu floats", path, rows, w->dim);
    if (s == EDL_OK) s = edl__fasttext_floats(&ft, &ft.input, "input", 0, ft.input.rows, w->input, w->dim);
    /* the output rows: a row a word (fastText's dictionary keeps labels apart) */
    size_t nw = w->vocab.nwords, obytes = 0;
    if (s == EDL_OK && ft.output.rows != (int64_t)nw)
        s = edl__fail(EDL_ERR_FORMAT, "%s: byte %llu: the output matrix has %lld rows, the dictionary %zu words", path,
                      (unsigned long long)ft.output.off, (long long)ft.output.rows, nw);
    if (s == EDL_OK && !edl__mul_ok(nw * sizeof(float), w->dim, &obytes))
        s = edl__fail(EDL_ERR_NOMEM, "%s: %zu x %zu floats", path, nw, w->dim);
    if (s == EDL_OK && !(w->output = malloc(obytes ? obytes : 1)))
        s = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu x %zu output floats", path, nw, w->dim);
    if (s == EDL_OK) s = edl__fasttext_floats(&ft, &ft.output, "output", 0, (int64_t)nw, w->output, w->dim);
    if (s == EDL_OK) s = build_subwords(w);
    edl__ft_close(&ft);
    if (s != EDL_OK) {
        edl_wordvec_free(w);
        return s;
    }
    *out = w;
    return EDL_OK;
}

edl_status edl_wordvec_load(edl_wordvec **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_wordvec_load: an argument is NULL");
    if (edl__ft_is_fasttext(path)) return load_fasttext(out, path);
    edl_wordvec *w = calloc(1, sizeof *w);
    if (!w) return edl__fail(EDL_ERR_NOMEM, "edl_wordvec_load: no memory");
    default_hyper(w);
    edl__wordvec_file f;
    edl__st *st = NULL;
    edl_status s = edl__st_open(&st, path); /* one open: the model and the app's parts come from it */
    if (s == EDL_OK && !edl__st_meta(st, "wordvec.nwords"))
        s = edl__wordvec_check(st, NULL, &f); /* another kind: said before any model is built */
    if (s == EDL_OK) s = edl__model_from_st(st, 0, &w->m);
    if (s == EDL_OK) s = edl__wordvec_check(st, w->m, &f); /* before any count is used */
    size_t nw = s == EDL_OK ? f.nwords : 0;
    if (s == EDL_OK) {
        w->minn = f.minn, w->maxn = f.maxn, w->bucket = f.bucket;
        w->dim = w->stride = f.dim, w->input = edl_model_tensor(w->m, 0, "weight", NULL);
        s = edl__vocab_init(&w->vocab, f.label);
    }
    for (size_t i = 0; s == EDL_OK && i < nw; i++) {
        s = edl__vocab_add(&w->vocab, f.vocab.bytes + f.vocab.off[i], (size_t)(f.vocab.off[i + 1] - f.vocab.off[i]));
        if (s == EDL_OK && w->vocab.size != i + 1) s = edl__fail(EDL_ERR_FORMAT, "%s: word %zu appears twice", path, i);
        if (s == EDL_OK) w->vocab.counts[i] = f.counts[i];
    }
    if (s == EDL_OK) w->vocab.nwords = nw, s = build_subwords(w);
    edl__st_close(st);
    if (s != EDL_OK) {
        edl_wordvec_free(w);
        return s;
    }
    *out = w;
    return EDL_OK;
}
