/* Text classification with fastText's supervised algorithm on edl's model, and its files.
 *
 * The model is an edl_model: embedding_bag(rows = words + buckets, dim, mean) [dense(h, relu)
 * [dropout]]... dense(out, no bias), so the summary, the file format and prediction are edl's.
 * Without hidden layers the training is fastText's: each example's input rows are averaged, the
 * output rows get SGD updates from softmax / one-vs-all / hierarchical-softmax, and the averaged
 * gradient goes back into every input row, with the rate falling linearly over processed tokens
 * and threads sharing the weights without locks (Hogwild). The corpus is tokenised once into
 * ids, so epochs do not re-read text. */
#include "text/textclf.h"

#include "model/table.h"
#include "text/vectors.h"
#include "kernels/kernels.h"

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

void edl_textclf_defaults(edl_textclf_args *a) {
    memset(a, 0, sizeof *a);
    a->dim = 100, a->lr = 0.1f, a->epoch = 5, a->word_ngrams = 1, a->bucket = 2000000;
    a->min_count = 1, a->min_count_label = 0, a->label = "__label__", a->loss = EDL_TEXTCLF_SOFTMAX, a->neg = 5;
    a->thread = 12, a->lr_update_rate = 100, a->optimizer = -1, a->sync_tokens = 50000;
}

void edl_textclf_free(edl_textclf *c) {
    if (!c) return;
    edl_model_free(c->m);
    edl__vocab_free(&c->vocab);
    edl__hs_tree_free(&c->hs);
    edl__ft_prune_free(&c->prune);
    if (c->ftz) edl__ft_close(c->ftz);
    free(c->ftz);
    free(c);
}

const edl_model *edl_textclf_model(const edl_textclf *c) { return c ? c->m : NULL; }
size_t edl_textclf_num_labels(const edl_textclf *c) { return c ? c->vocab.nlabels : 0; }
size_t edl_textclf_dim(const edl_textclf *c) { return c ? c->dim : 0; }

const char *edl_textclf_label(const edl_textclf *c, size_t label, size_t *len) {
    static _Thread_local char buf[1024];
    if (!c || label >= c->vocab.nlabels) return NULL;
    size_t e = c->vocab.nwords + label;
    size_t n = (size_t)(c->vocab.offsets[e + 1] - c->vocab.offsets[e]);
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, c->vocab.bytes + c->vocab.offsets[e], n);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

/* ---- the model ----------------------------------------------------------------------------- */

edl_status edl__textclf_make_model(edl_textclf *c, const edl_textclf_args *a, size_t rows, int lazy) {
    size_t nl = c->vocab.nlabels;
    size_t out = c->loss == EDL_TEXTCLF_HS ? nl - 1 : nl;
    char spec[1024];
    int n = snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%zu,pool=mean)", rows, c->dim);
    for (size_t h = 0; h < a->nhidden; h++) {
        n += snprintf(spec + n, sizeof spec - (size_t)n, " dense(%zu,act=relu)", a->hidden[h]);
        if (a->dropout > 0) n += snprintf(spec + n, sizeof spec - (size_t)n, " dropout(%.9g)", a->dropout);
    }
    snprintf(spec + n, sizeof spec - (size_t)n, " dense(%zu,bias=%d) loss(%s)", out, a->nhidden ? 1 : 0,
             edl_loss_name(c->loss == EDL_TEXTCLF_SOFTMAX ? EDL_LOSS_SOFTMAX_CE : EDL_LOSS_BCE));
    if (lazy && !a->nhidden) { /* a hashed table: rows made when training or a query first uses them */
        EDL__TRY(edl_model_parse_spec(&c->m, spec));
        EDL__TRY(edl__table_set_lazy(c->m, 0));
        return edl_model_init(c->m, EDL_INIT_FASTTEXT, a->seed);
    }
    EDL__TRY(edl_model_from_spec(&c->m, spec, EDL_INIT_FASTTEXT, a->seed));
    if (a->nhidden) { /* hidden layers learn from PyTorch's initialisation, not fastText's zeros */
        edl_model_free(c->m);
        c->m = NULL;
        EDL__TRY(edl_model_parse_spec(&c->m, spec));
        edl_model *m = c->m;
        EDL__TRY(edl_model_set_layer_init(m, 0, EDL_INIT_FASTTEXT));
        EDL__TRY(edl_model_init(m, EDL_INIT_TORCH, a->seed));
    }
    return EDL_OK;
}

void edl__textclf_average(const edl_textclf *c, const int32_t *words, size_t n, float *hidden) {
    const float *table = edl_model_tensor(c->m, 0, "weight", NULL);
    size_t dim = c->dim;
    const int lazy = !c->ftz && edl__table_is_lazy(c->m, 0);
    memset(hidden, 0, dim * sizeof *hidden);
    for (size_t i = 0; i < n; i++)
        if (c->ftz)
            edl__ft_row_add(&c->ftz->input, words[i], hidden);
        else
            edl__vec_add(hidden, lazy ? edl__table_row(c->m, 0, (size_t)words[i]) : table + (size_t)words[i] * dim,
                         dim);
    if (n) edl__vec_scale(hidden, 1.0f / (float)n, dim);
}

const float *edl__textclf_row(const edl_textclf *c, size_t r, float *buf) {
    if (!c->ftz) return edl__table_row(c->m, 0, r);
    edl__ft_row(&c->ftz->input, (int64_t)r, buf);
    return buf;
}

edl_status edl__textclf_dense(const edl_textclf *c, edl_textclf *tmp, const edl_textclf **dense) {
    memset(tmp, 0, sizeof *tmp);
    *dense = c;
    if (!c->ftz) return EDL_OK;
    *tmp = *c;
    tmp->m = NULL, tmp->ftz = NULL;
    edl_textclf_args a;
    edl_textclf_defaults(&a);
    a.dim = c->dim;
    size_t rows = (size_t)c->ftz->input.rows;
    edl_status s = edl__textclf_make_model(tmp, &a, rows, 0);
    if (s == EDL_OK) {
        float *in = edl_model_tensor(tmp->m, 0, "weight", NULL);
        size_t out_n = 0, out_n2 = 0;
        const float *wo = edl_model_tensor(c->m, 1, "weight", &out_n);
        float *wo2 = edl_model_tensor(tmp->m, 1, "weight", &out_n2);
        for (size_t r = 0; r < rows; r++) edl__ft_row(&c->ftz->input, (int64_t)r, in + r * c->dim);
        memcpy(wo2, wo, (out_n < out_n2 ? out_n : out_n2) * sizeof *wo);
    }
    if (s != EDL_OK) edl__textclf_dense_done(tmp);
    if (s == EDL_OK) *dense = tmp;
    return s;
}

void edl__textclf_dense_done(edl_textclf *tmp) {
    edl_model_free(tmp->m);
    tmp->m = NULL;
}

/* fastText's sigmoid: a table of 513 values over [-8, 8], looked up by truncation (its one-vs-all
   scores come from it, so a fastText model's probabilities do too). */
static float fasttext_sigmoid(float x) {
    enum { SIZE = 512 };
    const float max = 8.0f;
    if (x < -max) return 0.0f;
    if (x > max) return 1.0f;
    int64_t i = (int64_t)((x + max) * SIZE / max / 2);
    float t = (float)(i * 2 * max) / SIZE - max;
    return 1.0f / (1.0f + expf(-t));
}

/* Probabilities of every label for input rows words[0..n) (probs: nlabels floats). HS gives
   the product of the path's sigmoids. Returns EDL_OK with *empty = 1 when there is no input. */
edl_status edl__textclf_probs(const edl_textclf *c, const int32_t *words, size_t n, float *hidden, float *probs) {
    const edl_model *m = c->m;
    size_t nl = c->vocab.nlabels, dim = c->dim;
    if (edl_model_num_layers(m) > 2) { /* hidden layers: the general model */
        int64_t *idx = malloc((n ? n : 1) * sizeof *idx), off = 0;
        if (!idx) return edl__fail(EDL_ERR_NOMEM, "no memory for a line of %zu ids", n);
        for (size_t i = 0; i < n; i++) idx[i] = words[i];
        edl_batch b = {.n = 1, .idx = idx, .nidx = n, .offsets = &off};
        edl_status s = edl_model_predict(m, &b, probs);
        free(idx);
        return s;
    }
    const float *wo = edl_model_tensor(c->m, 1, "weight", NULL);
    edl__textclf_average(c, words, n, hidden);
    if (c->loss == EDL_TEXTCLF_HS) {
        for (size_t l = 0; l < nl; l++) {
            double p = 1.0;
            for (size_t k = c->hs.path_off[l]; k < c->hs.path_off[l + 1]; k++) {
                double f = 1.0 / (1.0 + exp(-(double)edl__vec_dot(wo + (size_t)c->hs.paths[k] * dim, hidden, dim)));
                p *= c->hs.codes[k] ? f : 1.0 - f;
            }
            probs[l] = (float)p;
        }
        return EDL_OK;
    }
    for (size_t l = 0; l < nl; l++) probs[l] = edl__vec_dot(wo + l * dim, hidden, dim);
    if (edl__textclf_sigmoids(c) && c->fasttext) { /* fastText's model, fastText's answers */
        for (size_t l = 0; l < nl; l++) probs[l] = fasttext_sigmoid(probs[l]);
        return EDL_OK;
    }
    if (edl__textclf_sigmoids(c)) return edl_act_forward(probs, probs, nl, EDL_ACT_SIGMOID);
    return edl_softmax(probs, probs, 1, nl);
}

/* ---- hs prediction: fastText's pruned search of the tree --------------------------------- */

typedef struct {
    float p;
    int64_t label;
} hs_hit;

/* a ranks below b: a lower probability, or the same and a higher label (the exhaustive order) */
static int hs_worse(const hs_hit *a, const hs_hit *b) { return a->p < b->p || (a->p == b->p && a->label > b->label); }

/* Keeps the k best of the offered hits in h[0..*n), the worst at h[0] (a binary heap). */
static void hs_offer(hs_hit *h, size_t *n, size_t k, hs_hit x) {
    size_t i;
    if (*n < k) {
        for (i = (*n)++; i > 0 && hs_worse(&x, &h[(i - 1) / 2]); i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
        h[i] = x;
        return;
    }
    if (k == 0 || !hs_worse(&h[0], &x)) return;
    for (i = 0;;) { /* x replaces the worst and sinks */
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && hs_worse(&h[c + 1], &h[c])) c++;
        if (!hs_worse(&h[c], &x)) break;
        h[i] = h[c], i = c;
    }
    h[i] = x;
}

static int hs_better_first(const void *a, const void *b) { return hs_worse(b, a) ? -1 : hs_worse(a, b) ? 1 : 0; }

typedef struct {
    int32_t node;
    uint8_t state; /* 0: not entered, 1: its first child done, 2: both */
    double f;      /* P(right child) at an inner node */
    double p;      /* the product of the branch probabilities from the root to here */
} hs_frame;

typedef struct {
    int32_t node;
    uint8_t state; /* 0: not entered, 1: its left child done, 2: both */
    float f, score;
} ft_frame;

static float ft_std_log(float x) { return (float)log((double)x + 1e-5); }

/* fastText's k best: a heap under comparePairs (a > b by score, so the worst kept is at h[0]),
   kept by the steps of libstdc++'s push_heap, pop_heap and sort_heap, which fastText's answers
   follow, so exactly equal scores come out in fastText's order too. h holds k + 1. */
static void ft_sift_up(hs_hit *h, size_t hole, size_t top, hs_hit v) {
    size_t parent = (hole - 1) / 2;
    while (hole > top && h[parent].p > v.p) h[hole] = h[parent], hole = parent, parent = (hole - 1) / 2;
    h[hole] = v;
}

static void ft_pop_heap(hs_hit *h, size_t n) { /* h[0] to h[n - 1], the rest a heap again */
    if (n < 2) return;
    hs_hit v = h[n - 1];
    h[n - 1] = h[0];
    size_t len = n - 1, hole = 0, child = 0;
    while (len > 2 && child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (h[child].p > h[child - 1].p) child--;
        h[hole] = h[child], hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        h[hole] = h[child - 1], hole = child - 1;
    }
    ft_sift_up(h, hole, 0, v);
}

static void ft_offer(hs_hit *h, size_t *n, size_t k, hs_hit x) {
    h[*n] = x;
    ft_sift_up(h, *n, 0, x);
    if (++*n > k) ft_pop_heap(h, (*n)--);
}

static void ft_sort_heap(hs_hit *h, size_t n) {
    for (; n > 1; n--) ft_pop_heap(h, n);
}

/* fastText's own search, for a model read from its file: a path's score is the float sum of
   log(f + 1e-5) (log(1 - f + 1e-5) to the left), the left child first, a subtree skipped when its
   score is below log(threshold) or the k-th best; a label's probability is exp(score). */
static edl_status hs_topk_fasttext(const edl_textclf *c, const float *hidden, size_t kk, float threshold,
                                   int64_t *labels, float *probs, size_t *count, size_t *visited) {
    const size_t osz = c->vocab.nlabels, dim = c->dim;
    const float *wo = edl_model_tensor(c->m, 1, "weight", NULL), logth = ft_std_log(threshold);
    ft_frame *st = malloc((c->hs.depth + 1) * sizeof *st);
    hs_hit *h = malloc((kk + 1) * sizeof *h);
    if (!st || !h) {
        free(st), free(h);
        return edl__fail(EDL_ERR_NOMEM, "edl_textclf_predict: no memory for the tree search");
    }
    size_t n = 0, nvis = 0;
    long d = 0;
    st[0] = (ft_frame){(int32_t)(2 * osz - 2), 0, 0.0f, 0.0f};
    while (d >= 0) {
        ft_frame *fr = &st[d];
        if (fr->state == 0) {
            if (fr->score < logth || (n == kk && (kk == 0 || fr->score < h[0].p))) {
                d--;
                continue;
            }
            if ((size_t)fr->node < osz) {
                ft_offer(h, &n, kk, (hs_hit){fr->score, fr->node});
                d--;
                continue;
            }
            float dot = edl__vec_dot(wo + ((size_t)fr->node - osz) * dim, hidden, dim);
            fr->f = (float)(1.0 / (1.0 + exp(-(double)dot)));
            nvis++;
        }
        if (fr->state == 2) {
            d--;
            continue;
        }
        const edl__hs_node *t = &c->hs.tree[fr->node];
        int right = fr->state == 1;
        fr->state++;
        float add = right ? ft_std_log(fr->f) : ft_std_log((float)(1.0 - (double)fr->f));
        st[d + 1] = (ft_frame){right ? t->right : t->left, 0, 0.0f, fr->score + add};
        d++;
    }
    ft_sort_heap(h, n);
    for (size_t i = 0; i < n; i++) labels[i] = h[i].label, probs[i] = expf(h[i].p);
    *count = n;
    if (visited) *visited = nvis;
    free(st), free(h);
    return EDL_OK;
}

edl_status edl__textclf_hs_topk(const edl_textclf *c, const float *hidden, size_t k, float threshold, int64_t *labels,
                                float *probs, size_t *count, size_t *visited) {
    const size_t osz = c->vocab.nlabels, dim = c->dim, kk = k < osz ? k : osz;
    if (c->fasttext) {
        *count = 0;
        if (visited) *visited = 0;
        return hs_topk_fasttext(c, hidden, kk, threshold, labels, probs, count, visited);
    }
    const float *wo = edl_model_tensor(c->m, 1, "weight", NULL);
    *count = 0;
    if (visited) *visited = 0;
    hs_frame *st = malloc((c->hs.depth + 1) * sizeof *st);
    hs_hit *h = malloc((kk ? kk : 1) * sizeof *h);
    if (!st || !h) {
        free(st), free(h);
        return edl__fail(EDL_ERR_NOMEM, "edl_textclf_predict: no memory for the tree search");
    }
    /* A subtree is skipped when its path probability, which bounds every leaf's below it, is
       under the threshold or the k-th best. The leaf's own probability is the product taken
       from the leaf up, as edl__textclf_probs takes it; the path's product, taken from the root
       down, can differ from it by rounding only, at most 2 ulps a level: margin covers that. */
    const double margin = 1.0 + 4.5e-16 * (double)(c->hs.depth + 2);
    size_t n = 0, nvis = 0;
    long d = 0;
    st[0] = (hs_frame){(int32_t)(2 * osz - 2), 0, 0.0, 1.0};
    while (d >= 0) {
        hs_frame *fr = &st[d];
        if (fr->state == 0) {
            float bound = (float)(fr->p * margin);
            if (bound < threshold || (n == kk && (kk == 0 || bound < h[0].p))) {
                d--;
                continue;
            }
            if ((size_t)fr->node < osz) { /* a leaf: its label */
                double p = 1.0;
                for (long u = d - 1; u >= 0; u--) p *= c->hs.tree[st[u + 1].node].binary ? st[u].f : 1.0 - st[u].f;
                if (!((float)p < threshold)) hs_offer(h, &n, kk, (hs_hit){(float)p, fr->node});
                d--;
                continue;
            }
            fr->f = 1.0 / (1.0 + exp(-(double)edl__vec_dot(wo + ((size_t)fr->node - osz) * dim, hidden, dim)));
            nvis++;
        }
        if (fr->state == 2) {
            d--;
            continue;
        }
        /* the more probable child first: the k best fill early and prune the rest */
        const edl__hs_node *t = &c->hs.tree[fr->node];
        int right = (fr->f >= 0.5) == (fr->state == 0);
        fr->state++;
        st[d + 1] = (hs_frame){right ? t->right : t->left, 0, 0.0, fr->p * (right ? fr->f : 1.0 - fr->f)};
        d++;
    }
    qsort(h, n, sizeof *h, hs_better_first);
    for (size_t i = 0; i < n; i++) labels[i] = h[i].label, probs[i] = h[i].p;
    *count = n;
    if (visited) *visited = nvis;
    free(st), free(h);
    return EDL_OK;
}

/* ---- looking at the embedding space --------------------------------------------------------- */

edl_status edl_textclf_word_probs(const edl_textclf *c, const char *word, size_t len, float *probs) {
    static const char fn[] = "edl_textclf_word_probs";
    if (!c || !word || !probs) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    int32_t id = edl__vocab_find(&c->vocab, word, len, edl__text_hash(word, len));
    if (id < 0 || (size_t)id >= c->vocab.nwords)
        return edl__fail(EDL_ERR_ARG, "%s: '%.*s' is not a word of the vocabulary", fn, (int)(len > 64 ? 64 : len),
                         word);
    /* the word's row alone: no "</s>", no n-grams, so the colour is the word's own */
    float *hidden = malloc(c->dim * sizeof *hidden);
    if (!hidden) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    edl_status s = edl__textclf_probs(c, &id, 1, hidden, probs);
    free(hidden);
    return s;
}

const float *edl_textclf_label_vector(const edl_textclf *c, size_t label) {
    /* only softmax and ova without hidden layers have one output row per label, read against the
       averaged word vectors themselves; hs's rows are the tree's inner nodes */
    if (!c || label >= c->vocab.nlabels || edl_model_num_layers(c->m) != 2 || c->loss == EDL_TEXTCLF_HS) return NULL;
    return edl_model_tensor(c->m, 1, "weight", NULL) + label * c->dim;
}

/* The word's subwords: its own row (in the vocabulary), then its character n-grams (as the
   line parser gives them, "</s>" having none). */
typedef struct {
    const edl_textclf *c;
    float *buf; /* a decoded row (dim floats) */
    edl_subword_fn fn;
    void *user;
    float *sum; /* or the mean's running sum */
    size_t n;
} subword_ctx;

static edl_status on_subword(void *ctx, const char *s, size_t n, int32_t row) {
    subword_ctx *x = ctx;
    if (x->c->prune.active && (size_t)row >= x->c->vocab.nwords) { /* a pruned model's bucket */
        int32_t k = edl__ft_prune_row(&x->c->prune, (uint32_t)((size_t)row - x->c->vocab.nwords));
        if (k < 0) return EDL_OK;
        row = (int32_t)(x->c->vocab.nwords + (size_t)k);
    }
    const float *r = edl__textclf_row(x->c, (size_t)row, x->buf);
    if (x->fn) x->fn(s, n, r, x->c->dim, x->user);
    if (x->sum) edl__vec_add(x->sum, r, x->c->dim);
    x->n++;
    return EDL_OK;
}

static edl_status each_subword(subword_ctx *x, const char *word, size_t len) {
    const edl_textclf *c = x->c;
    int32_t id = edl__vocab_find(&c->vocab, word, len, edl__text_hash(word, len));
    if (id >= 0 && (size_t)id < c->vocab.nwords) EDL__TRY(on_subword(x, word, len, id));
    if (len == sizeof EDL__EOS - 1 && !memcmp(word, EDL__EOS, len)) return EDL_OK;
    return edl__char_ngrams(word, len, c->minn, c->maxn, c->bucket, c->vocab.nwords, on_subword, x);
}

edl_status edl_textclf_subwords(const edl_textclf *c, const char *word, size_t len, edl_subword_fn fn, void *user) {
    if (!c || (!word && len) || !fn) return edl__fail(EDL_ERR_ARG, "edl_textclf_subwords: an argument is NULL");
    subword_ctx x = {c, malloc(c->dim * sizeof(float)), fn, user, NULL, 0};
    edl_status s = x.buf ? each_subword(&x, word ? word : "", len) : edl__fail(EDL_ERR_NOMEM, "no memory");
    free(x.buf);
    return s;
}

edl_status edl_textclf_word_vector(const edl_textclf *c, const char *word, size_t len, float *vec) {
    if (!c || (!word && len) || !vec) return edl__fail(EDL_ERR_ARG, "edl_textclf_word_vector: an argument is NULL");
    memset(vec, 0, c->dim * sizeof *vec);
    subword_ctx x = {c, c->ftz ? malloc(c->dim * sizeof(float)) : NULL, NULL, NULL, vec, 0};
    edl_status s = c->ftz && !x.buf ? edl__fail(EDL_ERR_NOMEM, "no memory") : each_subword(&x, word ? word : "", len);
    free(x.buf);
    EDL__TRY(s);
    if (x.n) edl__vec_scale(vec, 1.0f / (float)x.n, c->dim);
    return EDL_OK;
}

static edl_status word_vector_of(const void *model, const char *word, size_t len, float *vec) {
    return edl_textclf_word_vector(model, word, len, vec);
}

edl_status edl_textclf_vectors(const edl_textclf *c, edl_vectors **out) {
    if (!c || !out) return edl__fail(EDL_ERR_ARG, "edl_textclf_vectors: an argument is NULL");
    return edl__vectors_of_words(out, &c->vocab, c->vocab.nwords, c->dim, word_vector_of, c, "edl_textclf_vectors");
}

/* ---- prediction ---------------------------------------------------------------------------- */

edl_status edl_textclf_predict(const edl_textclf *c, const char *line, size_t len, size_t k, float threshold,
                               int64_t *labels, float *probs, size_t *count) {
    static const char fn[] = "edl_textclf_predict";
    if (!c || (!line && len) || !labels || !probs || !count)
        return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (isnan(threshold)) return edl__fail(EDL_ERR_ARG, "%s: threshold is NaN", fn);
    *count = 0;
    edl__line l = {0};
    const edl__features f = edl__textclf_features(c);
    const int hs = c->loss == EDL_TEXTCLF_HS && edl_model_num_layers(c->m) == 2;
    size_t nl = hs ? 0 : c->vocab.nlabels; /* hs scores only the labels its search reaches */
    float *scratch = malloc((nl + c->dim) * sizeof *scratch);
    edl_status s = scratch ? edl__line_parse(&c->vocab, line ? line : "", len, &f, &l)
                           : edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    if (s == EDL_OK && l.nwords > 0 && hs) {
        edl__textclf_average(c, l.words, l.nwords, scratch);
        s = edl__textclf_hs_topk(c, scratch, k, threshold, labels, probs, count, NULL);
    } else if (s == EDL_OK && l.nwords > 0) {
        s = edl__textclf_probs(c, l.words, l.nwords, scratch + nl, scratch);
    }
    if (s == EDL_OK && l.nwords > 0 && !hs && c->fasttext) {
        /* a model read from fastText's file answers as fastText: it ranks log(p + 1e-5) in its heap
           and reports the exp of that, p + 1e-5 in float */
        size_t kk = k < nl ? k : nl, n = 0;
        hs_hit *h = malloc((kk + 1) * sizeof *h);
        if (!h) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
        for (size_t i = 0; h && i < nl; i++) {
            if (scratch[i] < threshold) continue;
            float score = ft_std_log(scratch[i]);
            if (n == kk && (kk == 0 || score < h[0].p)) continue;
            ft_offer(h, &n, kk, (hs_hit){score, (int64_t)i});
        }
        if (h) ft_sort_heap(h, n);
        for (size_t i = 0; h && i < n; i++) labels[i] = h[i].label, probs[i] = expf(h[i].p);
        *count = h ? n : 0;
        free(h);
    } else if (s == EDL_OK && l.nwords > 0 && !hs) {
        /* top k by insertion: k is small */
        for (size_t i = 0; i < nl; i++) {
            float p = scratch[i];
            if (p < threshold) continue;
            size_t pos = *count < k ? (*count)++ : k;
            if (pos == k && (k == 0 || p <= probs[k - 1])) continue;
            if (pos == k) pos = k - 1;
            while (pos > 0 && probs[pos - 1] < p) {
                probs[pos] = probs[pos - 1], labels[pos] = labels[pos - 1];
                pos--;
            }
            probs[pos] = p, labels[pos] = (int64_t)i;
        }
    }
    edl__line_free(&l);
    free(scratch);
    return s;
}

edl_status edl_textclf_sentence_vector(const edl_textclf *c, const char *line, size_t len, float *vec) {
    if (!c || (!line && len) || !vec) return edl__fail(EDL_ERR_ARG, "edl_textclf_sentence_vector: an argument is NULL");
    edl__line l = {0};
    const edl__features f = edl__textclf_features(c);
    edl_status s = edl__line_parse(&c->vocab, line ? line : "", len, &f, &l);
    if (s == EDL_OK) edl__textclf_average(c, l.words, l.nwords, vec);
    edl__line_free(&l);
    return s;
}

/* ---- evaluation ---------------------------------------------------------------------------- */

void edl_textclf_meter_free(edl_textclf_meter *mt) {
    if (!mt) return;
    free(mt->label_gold), free(mt->label_predicted), free(mt->label_correct);
    memset(mt, 0, sizeof *mt);
}

edl_status edl_textclf_test(const edl_textclf *c, const char *path, size_t k, float threshold, edl_textclf_meter *mt) {
    static const char fn[] = "edl_textclf_test";
    if (!c || !path || !mt) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (k == 0) return edl__fail(EDL_ERR_ARG, "%s: k must be at least 1", fn);
    if (isnan(threshold)) return edl__fail(EDL_ERR_ARG, "%s: threshold is NaN", fn);
    memset(mt, 0, sizeof *mt);
    size_t nl = c->vocab.nlabels;
    mt->nlabels = nl;
    mt->label_gold = calloc(nl, sizeof(uint64_t));
    mt->label_predicted = calloc(nl, sizeof(uint64_t));
    mt->label_correct = calloc(nl, sizeof(uint64_t));
    int64_t *pl = malloc(k * sizeof *pl);
    float *pp = malloc(k * sizeof *pp), *scratch = malloc((nl + c->dim) * sizeof *scratch);
    edl__line l = {0};
    const edl__features f = edl__textclf_features(c);
    edl_lines *r = NULL;
    edl_status s = (!mt->label_gold || !mt->label_predicted || !mt->label_correct || !pl || !pp || !scratch)
                       ? edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn)
                       : edl_lines_open(&r, path);
    if (s != EDL_OK) {
        free(pl), free(pp), free(scratch);
        edl_textclf_meter_free(mt);
        return s;
    }
    char *text;
    size_t len;
    while (s == EDL_OK && (s = edl_lines_next(r, &text, &len)) == EDL_OK && text) {
        if ((s = edl__line_parse(&c->vocab, text, len, &f, &l)) != EDL_OK) break;
        if (l.nlabels == 0 || l.nwords == 0) continue;
        size_t n = 0;
        if ((s = edl_textclf_predict(c, text, len, k, threshold, pl, pp, &n)) != EDL_OK) break;
        mt->nexamples++;
        mt->gold += l.nlabels;
        mt->predicted += n;
        for (size_t i = 0; i < n; i++) {
            mt->label_predicted[pl[i]]++;
            for (size_t j = 0; j < l.nlabels; j++)
                if (l.labels[j] == pl[i]) {
                    mt->label_correct[pl[i]]++, mt->correct++;
                    break;
                }
        }
        for (size_t j = 0; j < l.nlabels; j++) mt->label_gold[l.labels[j]]++;
    }
    edl_lines_close(r);
    edl__line_free(&l);
    free(pl), free(pp), free(scratch);
    if (s != EDL_OK) edl_textclf_meter_free(mt);
    return s;
}
