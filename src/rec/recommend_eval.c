/* Recommenders after training: scores, top-k, similar items, the evaluation metrics, and the
 * model file (an edl model holding the table and layers, plus rec.* tensors). */
#include "rec/recommend.h"
#include "kernels/kernels.h"
#include "model/model_file.h"

#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MLP_CHUNK 256 /* items scored at once by the mlp */

size_t edl__rec_ws_floats(const edl_recommender *r) {
    if (r->qt.kind != EDL_QUANT_NONE) return r->dim + edl__qt_lut_floats(&r->qt); /* the user's row, the lut */
    if (r->kind != EDL_REC_MLP) return 1;
    size_t widest = 2 * r->dim;
    for (size_t l = 0; l < r->ndense; l++) widest = r->dense[l].out > widest ? r->dense[l].out : widest;
    return 2 * MLP_CHUNK * widest;
}

size_t edl__rec_dense_scratch_floats(const edl_recommender *r, size_t rows) {
    size_t most = 0;
    for (size_t l = 0; l < r->ndense; l++) {
        size_t f = edl__dense_scratch_floats(rows, r->dense[l].in, r->dense[l].out);
        most = f > most ? f : most;
    }
    return most;
}

void edl__rec_score_all(const edl_recommender *r, size_t u, float *out, float *ws) {
    const size_t d = r->dim, f = r->fdim, U = r->users, I = r->items;
    const float *bi = r->bias + U;
    if (r->qt.kind != EDL_QUANT_NONE) { /* mf or bpr: the user's row decoded, the items' dots from their codes */
        float *pu = ws, *lut = ws + d;
        edl__qt_row(&r->qt, u, pu);
        edl__qt_prepare(&r->qt, pu, lut);
        edl__qt_dots(&r->qt, lut, pu, U, U + I, out);
        float base0 = r->kind == EDL_REC_MF ? r->bias[U + I] + r->bias[u] : 0.0f;
        for (size_t i = 0; i < I; i++) out[i] = base0 + bi[i] + out[i];
        return;
    }
    const float *p = r->table + u * d, *q = r->table + U * d;
    if (r->kind == EDL_REC_MLP) {
        float *a = ws, *b = ws + edl__rec_ws_floats(r) / 2;
        for (size_t s = 0; s < I; s += MLP_CHUNK) {
            size_t n = I - s < MLP_CHUNK ? I - s : MLP_CHUNK;
            for (size_t k = 0; k < n; k++) {
                memcpy(a + k * 2 * d, p, d * sizeof *a);
                memcpy(a + k * 2 * d + d, q + (s + k) * d, d * sizeof *a);
            }
            float *in = a, *o = b;
            for (size_t l = 0; l < r->ndense; l++) {
                const edl__rec_dense *D = &r->dense[l];
                edl_dense_forward(o, in, n, D->in, D->out, D->w, D->b, D->act);
                float *t = in;
                in = o, o = t;
            }
            memcpy(out + s, in, n * sizeof *out); /* logits: the last layer has one output */
            for (size_t k = 0; r->dot && k < n; k++) out[s + k] += bi[s + k] + edl__vec_dot(p, q + (s + k) * d, d);
        }
        return;
    }
    float base = r->kind == EDL_REC_MF ? r->bias[U + I] + r->bias[u] : 0.0f;
    for (size_t i = 0; i < I; i++)
        out[i] = base + bi[i] + (f && r->kind != EDL_REC_POP ? edl__vec_dot(p, q + i * d, f) : 0.0f);
}

/* ---- top k -------------------------------------------------------------------------------- */

/* a ranks before b: higher score, then lower index */
static int before(const float *s, int64_t a, int64_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); }

/* Puts x at the root of the heap idx[0..h) (root: the worst kept) and sifts it down. */
static void sift_down(const float *s, int64_t *idx, size_t h, int64_t x) {
    size_t c = 0;
    for (;;) {
        size_t l = 2 * c + 1, w = c;
        int64_t wv = x;
        if (l < h && before(s, wv, idx[l])) w = l, wv = idx[l];
        if (l + 1 < h && before(s, wv, idx[l + 1])) w = l + 1;
        if (w == c) break;
        idx[c] = idx[w], c = w;
    }
    idx[c] = x;
}

/* The k best of n scores (skip[i] != 0 left out; skip may be NULL) into idx, best first;
   returns how many. A heap whose root is the worst kept. */
static size_t top_k(const float *s, const uint8_t *skip, size_t n, size_t k, int64_t *idx) {
    size_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i]) continue;
        int64_t x = (int64_t)i;
        if (h < k) {
            size_t c = h++;
            while (c > 0 && before(s, idx[(c - 1) / 2], x)) idx[c] = idx[(c - 1) / 2], c = (c - 1) / 2;
            idx[c] = x;
        } else if (k > 0 && before(s, x, idx[0])) {
            sift_down(s, idx, h, x);
        }
    }
    /* heap sort: repeatedly move the worst to the end */
    for (size_t e = h; e > 1; e--) {
        int64_t worst = idx[0];
        sift_down(s, idx, e - 1, idx[e - 1]);
        idx[e - 1] = worst;
    }
    return h;
}

/* order[0..n) sorted by ascending score (a merge sort: O(n log n), no comparator state). */
static void sort_by_score(size_t *order, size_t n, const float *s) {
    size_t *tmp = order + n; /* the caller gives 2n */
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = s[order[j]] < s[order[i]] ? order[j++] : order[i++];
            while (i < mid) tmp[k++] = order[i++];
            while (j < hi) tmp[k++] = order[j++];
        }
        memcpy(order, tmp, n * sizeof *order);
    }
}

edl_status edl_rank_metrics(const float *scores, const uint8_t *relevant, size_t n, size_t k, double *hr, double *ndcg,
                            double *precision, double *recall, double *mrr, double *auc) {
    static const char fn[] = "edl_rank_metrics";
    EDL__CHECK_PTR(fn, scores);
    EDL__CHECK_PTR(fn, relevant);
    EDL__CHECK_SIZE(fn, n);
    EDL__CHECK_SIZE(fn, k);
    for (size_t i = 0; i < n; i++) /* NaN has no rank: once it topped the list (hr 1) and came last for auc */
        if (isnan(scores[i]))
            return edl__fail(EDL_ERR_ARG, "%s: the score at position %zu is NaN, which has no rank", fn, i);
    size_t kk = k < n ? k : n, nrel = 0;
    for (size_t i = 0; i < n; i++) nrel += relevant[i] != 0;
    int64_t *top = malloc(kk * sizeof *top);
    if (!top) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the top %zu", fn, kk);
    size_t got = top_k(scores, NULL, n, kk, top), hits = 0, first = 0;
    double dcg = 0.0, idcg = 0.0;
    for (size_t p = 0; p < got; p++) {
        if (!relevant[top[p]]) continue;
        hits++, dcg += 1.0 / log2((double)p + 2.0);
        if (!first) first = p + 1;
    }
    free(top);
    for (size_t p = 0; p < kk && p < nrel; p++) idcg += 1.0 / log2((double)p + 2.0);
    /* AUC by the rank-sum (Mann-Whitney) formula: sort once, ties get their mean rank */
    double pairs = 0.0;
    if (nrel && nrel < n) {
        size_t *order = malloc(2 * n * sizeof *order); /* n fits: the scores are in memory */
        if (!order) return edl__fail(EDL_ERR_NOMEM, "%s: no memory to rank %zu scores", fn, n);
        for (size_t i = 0; i < n; i++) order[i] = i;
        sort_by_score(order, n, scores);
        double rank_sum = 0.0;
        for (size_t a = 0; a < n;) {
            size_t b = a, rel = 0;
            do rel += relevant[order[b]] != 0, b++;
            while (b < n && scores[order[b]] == scores[order[a]]);
            rank_sum += (double)rel * ((double)a + (double)b + 1.0) / 2.0; /* mean of ranks a+1 .. b */
            a = b;
        }
        pairs = rank_sum - (double)nrel * ((double)nrel + 1.0) / 2.0;
        free(order);
    }
    if (hr) *hr = hits > 0;
    if (ndcg) *ndcg = idcg > 0 ? dcg / idcg : 0.0;
    if (precision) *precision = (double)hits / (double)k;
    if (recall) *recall = nrel ? (double)hits / (double)nrel : 0.0;
    if (mrr) *mrr = first ? 1.0 / (double)first : 0.0;
    if (auc) *auc = nrel && nrel < n ? pairs / ((double)nrel * (double)(n - nrel)) : NAN;
    return EDL_OK;
}

/* ---- queries ------------------------------------------------------------------------------ */

static edl_status find_user(const edl_recommender *r, int64_t id, size_t *u) {
    int64_t x = edl__idmap_get(&r->uid, id);
    if (x < 0) return edl__fail(EDL_ERR_INDEX, "user %lld is not in the model (%zu users)", (long long)id, r->users);
    *u = (size_t)x;
    return EDL_OK;
}

static edl_status find_item(const edl_recommender *r, int64_t id, size_t *i) {
    int64_t x = edl__idmap_get(&r->iid, id);
    if (x < 0) return edl__fail(EDL_ERR_INDEX, "item %lld is not in the model (%zu items)", (long long)id, r->items);
    *i = (size_t)x;
    return EDL_OK;
}

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

edl_status edl_rec_score(const edl_recommender *r, int64_t user, int64_t item, float *score) {
    if (r && r->shard)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a recommender trained with sharded rows holds only this rank's rows: "
                         "save it and load the index (edl_rec_load merges the shards)",
                         __func__);
    if (!r || !score) return edl__fail(EDL_ERR_ARG, "edl_rec_score: an argument is NULL");
    size_t u = 0, i = 0;
    EDL__TRY(find_user(r, user, &u));
    EDL__TRY(find_item(r, item, &i));
    float *all = malloc(r->items * sizeof *all), *ws = malloc(edl__rec_ws_floats(r) * sizeof *ws);
    if (!all || !ws) {
        free(all), free(ws);
        return edl__fail(EDL_ERR_NOMEM, "edl_rec_score: no memory");
    }
    edl__rec_score_all(r, u, all, ws);
    *score = r->kind == EDL_REC_MLP ? sigmoid(all[i]) : all[i];
    free(all), free(ws);
    return EDL_OK;
}

edl_status edl_rec_topk(const edl_recommender *r, int64_t user, size_t k, int exclude_seen, int64_t *items,
                        float *scores, size_t *count) {
    if (r && r->shard)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a recommender trained with sharded rows holds only this rank's rows: "
                         "save it and load the index (edl_rec_load merges the shards)",
                         __func__);
    if (!r || !items || !scores || !count) return edl__fail(EDL_ERR_ARG, "edl_rec_topk: an argument is NULL");
    size_t u = 0;
    EDL__TRY(find_user(r, user, &u));
    float *all = malloc(r->items * sizeof *all), *ws = malloc(edl__rec_ws_floats(r) * sizeof *ws);
    uint8_t *skip = calloc(r->items, 1);
    if (k > r->items) k = r->items; /* no more than there are (and no size overflow) */
    int64_t *top = malloc((k ? k : 1) * sizeof *top);
    if (!all || !ws || !skip || !top) {
        free(all), free(ws), free(skip), free(top);
        return edl__fail(EDL_ERR_NOMEM, "edl_rec_topk: no memory");
    }
    edl__rec_score_all(r, u, all, ws);
    for (int64_t j = r->seen_off[u]; exclude_seen && j < r->seen_off[u + 1]; j++) skip[r->seen[j]] = 1;
    size_t n = top_k(all, skip, r->items, k, top);
    for (size_t j = 0; j < n; j++) {
        items[j] = r->iid.ids[top[j]];
        scores[j] = r->kind == EDL_REC_MLP ? sigmoid(all[top[j]]) : all[top[j]];
    }
    *count = n;
    free(all), free(ws), free(skip), free(top);
    return EDL_OK;
}

edl_status edl_rec_similar(const edl_recommender *r, int64_t item, size_t k, int64_t *items, float *sims,
                           size_t *count) {
    if (r && r->shard)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a recommender trained with sharded rows holds only this rank's rows: "
                         "save it and load the index (edl_rec_load merges the shards)",
                         __func__);
    if (!r || !items || !sims || !count) return edl__fail(EDL_ERR_ARG, "edl_rec_similar: an argument is NULL");
    size_t i = 0;
    EDL__TRY(find_item(r, item, &i));
    if (r->fdim == 0)
        return edl__fail(EDL_ERR_UNSUPPORTED, "edl_rec_similar: a %s model has no item vectors",
                         r->kind == EDL_REC_POP ? "popularity" : "biases-only");
    if (k > r->items) k = r->items;
    if (r->qt.kind != EDL_QUANT_NONE) { /* the item's row decoded, the others' cosines from their codes */
        float *qi = malloc(r->dim * sizeof *qi);
        int64_t *rows = malloc((k ? k : 1) * sizeof *rows);
        const int64_t self = (int64_t)(r->users + i);
        edl_status s = qi && rows ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "edl_rec_similar: no memory");
        if (s == EDL_OK) edl__qt_row(&r->qt, r->users + i, qi);
        if (s == EDL_OK) s = edl__qt_nearest(&r->qt, qi, k, r->users, r->users + r->items, &self, 1, rows, sims, count);
        for (size_t j = 0; s == EDL_OK && j < *count; j++) items[j] = r->iid.ids[(size_t)rows[j] - r->users];
        free(qi), free(rows);
        return s;
    }
    float *cos = malloc(r->items * sizeof *cos);
    uint8_t *skip = calloc(r->items, 1);
    int64_t *top = malloc((k ? k : 1) * sizeof *top);
    if (!cos || !skip || !top) {
        free(cos), free(skip), free(top);
        return edl__fail(EDL_ERR_NOMEM, "edl_rec_similar: no memory");
    }
    const float *q = r->table + r->users * r->dim, *qi = q + i * r->dim;
    float ni = sqrtf(edl__vec_dot(qi, qi, r->fdim));
    for (size_t j = 0; j < r->items; j++) {
        const float *qj = q + j * r->dim;
        float nj = sqrtf(edl__vec_dot(qj, qj, r->fdim));
        cos[j] = ni > 0 && nj > 0 ? edl__vec_dot(qi, qj, r->fdim) / (ni * nj) : 0.0f;
    }
    skip[i] = 1;
    size_t n = top_k(cos, skip, r->items, k, top);
    for (size_t j = 0; j < n; j++) items[j] = r->iid.ids[top[j]], sims[j] = cos[top[j]];
    *count = n;
    free(cos), free(skip), free(top);
    return EDL_OK;
}

/* ---- evaluation --------------------------------------------------------------------------- */

typedef struct {
    int64_t u, i;
} pair;

static int cmp_pair(const void *a, const void *b) {
    const pair *x = a, *y = b;
    return x->u != y->u ? (x->u > y->u) - (x->u < y->u) : (x->i > y->i) - (x->i < y->i);
}

/* Ranking metrics of each test user (one row of 6 values each: hr ndcg precision recall mrr auc,
   NaN when the user has no usable test item). */
static edl_status rank_users(const edl_recommender *r, const pair *ps, size_t np, const size_t *start, size_t nu,
                             size_t k, double *res) {
    atomic_int failed = 0;
    atomic_size_t nan_user = 0; /* 1 + the index of a user whose scores hold a NaN */
#pragma omp parallel
    {
        float *all = malloc(r->items * sizeof *all), *cand = malloc(r->items * sizeof *cand);
        float *ws = malloc(edl__rec_ws_floats(r) * sizeof *ws);
        uint8_t *rel = malloc(r->items), *mark = calloc(r->items, 1);
        if (!all || !cand || !ws || !rel || !mark) failed = 1;
#pragma omp for schedule(dynamic, 16)
        for (size_t g = 0; g < nu; g++) {
            double *o = res + 6 * g;
            for (int j = 0; j < 6; j++) o[j] = NAN;
            if (failed) continue;
            size_t u = (size_t)ps[start[g]].u, e = g + 1 < nu ? start[g + 1] : np;
            for (size_t x = start[g]; x < e; x++) mark[ps[x].i] = 1;
            edl__rec_score_all(r, u, all, ws);
            size_t n = 0, nrel = 0;
            int64_t sj = r->seen_off[u];
            for (size_t i = 0; i < r->items; i++) {
                if (sj < r->seen_off[u + 1] && r->seen[sj] == (int64_t)i) { /* seen is sorted */
                    sj++;
                    continue;
                }
                cand[n] = all[i], rel[n] = mark[i], nrel += mark[i], n++;
            }
            for (size_t x = start[g]; x < e; x++) mark[ps[x].i] = 0;
            edl_status st = nrel ? edl_rank_metrics(cand, rel, n, k, o, o + 1, o + 2, o + 3, o + 4, o + 5) : EDL_OK;
            if (st == EDL_ERR_ARG)
                nan_user = u + 1; /* the only argument it can refuse here */
            else if (st != EDL_OK)
                failed = 1;
        }
        free(all), free(cand), free(ws), free(rel), free(mark);
    }
    if (failed) return edl__fail(EDL_ERR_NOMEM, "edl_rec_evaluate: no memory to rank %zu items", r->items);
    if (nan_user)
        return edl__fail(EDL_ERR_NUMERIC, "edl_rec_evaluate: the model scores an item NaN for user %lld",
                         (long long)r->uid.ids[nan_user - 1]);
    return EDL_OK;
}

edl_status edl_rec_evaluate(const edl_recommender *r, const edl_ratings *test, size_t k, edl_rec_metrics *m) {
    if (r && r->shard)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a recommender trained with sharded rows holds only this rank's rows: "
                         "save it and load the index (edl_rec_load merges the shards)",
                         __func__);
    static const char fn[] = "edl_rec_evaluate";
    if (!r || !test || !m) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    EDL__CHECK_SIZE(fn, k);
    memset(m, 0, sizeof *m);
    m->n = test->n, m->k = k;
    m->rmse = m->mae = m->hr = m->ndcg = m->precision = m->recall = m->auc = m->mrr = NAN;
    pair *ps = malloc((test->n ? test->n : 1) * sizeof *ps);
    if (!ps) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu records", fn, test->n);
    size_t np = 0;
    double se = 0.0, ae = 0.0;
    const size_t d = r->dim, U = r->users, I = r->items;
    float *rows = r->qt.kind != EDL_QUANT_NONE ? malloc(2 * d * sizeof *rows) : NULL; /* a quantized pair, decoded */
    if (r->qt.kind != EDL_QUANT_NONE && !rows) {
        free(ps);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    }
    for (size_t x = 0; x < test->n; x++) {
        int64_t u = edl__idmap_get(&r->uid, test->user[x]), i = edl__idmap_get(&r->iid, test->item[x]);
        if (u < 0 || i < 0) {
            m->unknown++;
            continue;
        }
        ps[np++] = (pair){u, i};
        if (r->kind == EDL_REC_MF) {
            const float *p, *q;
            if (rows)
                edl__qt_row(&r->qt, (size_t)u, rows), edl__qt_row(&r->qt, U + (size_t)i, rows + d), p = rows,
                                                                                                    q = rows + d;
            else
                p = r->table + (size_t)u * d, q = r->table + (U + (size_t)i) * d;
            float pred =
                r->bias[U + I] + r->bias[u] + r->bias[U + (size_t)i] + (r->fdim ? edl__vec_dot(p, q, r->fdim) : 0.0f);
            double e = (double)pred - test->rating[x];
            se += e * e, ae += fabs(e);
        }
    }
    free(rows);
    if (np == 0) { /* no metric means anything: say so rather than print NaN */
        free(ps);
        return edl__fail(EDL_ERR_ARG,
                         "%s: none of the %zu test records has a user and an item the model knows (%zu unknown)", fn,
                         test->n, m->unknown);
    }
    if (r->kind == EDL_REC_MF) m->rmse = sqrt(se / (double)np), m->mae = ae / (double)np;
    qsort(ps, np, sizeof *ps, cmp_pair);
    size_t nu = 0;
    for (size_t x = 0; x < np; x++) nu += x == 0 || ps[x].u != ps[x - 1].u;
    size_t *start = malloc((nu ? nu : 1) * sizeof *start);
    double *res = malloc((nu ? nu : 1) * 6 * sizeof *res);
    edl_status s = start && res ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu users", fn, nu);
    for (size_t x = 0, g = 0; s == EDL_OK && x < np; x++)
        if (x == 0 || ps[x].u != ps[x - 1].u) start[g++] = x;
    if (s == EDL_OK && nu) s = rank_users(r, ps, np, start, nu, k, res);
    if (s == EDL_OK) {
        /* means in user order, so the result does not depend on the thread count */
        double sum[6] = {0}, nauc = 0;
        size_t users = 0;
        for (size_t g = 0; g < nu; g++) {
            if (isnan(res[6 * g])) continue;
            users++;
            for (int j = 0; j < 5; j++) sum[j] += res[6 * g + j];
            if (!isnan(res[6 * g + 5])) sum[5] += res[6 * g + 5], nauc++;
        }
        m->users = users;
        if (users) {
            m->hr = sum[0] / (double)users, m->ndcg = sum[1] / (double)users, m->precision = sum[2] / (double)users;
            m->recall = sum[3] / (double)users, m->mrr = sum[4] / (double)users;
        }
        if (nauc) m->auc = sum[5] / nauc;
    }
    free(ps), free(start), free(res);
    return s;
}

/* ---- the model file ----------------------------------------------------------------------- */

edl_status edl_rec_save(const edl_recommender *r, const char *path) {
    if (!r || !path) return edl__fail(EDL_ERR_ARG, "edl_rec_save: an argument is NULL");
    if (r->shard) return edl__rec_save_sharded(r, path); /* collective */
    char users[32], items[32], dim[32];
    snprintf(users, sizeof users, "%zu", r->users);
    snprintf(items, sizeof items, "%zu", r->items);
    snprintf(dim, sizeof dim, "%zu", r->fdim);
    const char *keys[] = {"rec.format", "rec.model", "rec.users", "rec.items", "rec.dim", "rec.args", "rec.mlp.dot"};
    const char *vals[] = {"1", edl_rec_kind_name(r->kind), users, items, dim, r->args, "1"};
    size_t nseen = (size_t)r->seen_off[r->users];
    const edl_tensor extra[6] = {
        {"rec.bias", EDL_DTYPE_F32, 1, {r->users + r->items + 1, 0}, r->bias},
        {"rec.user_ids", EDL_DTYPE_I64, 1, {r->users, 0}, r->uid.ids},
        {"rec.item_ids", EDL_DTYPE_I64, 1, {r->items, 0}, r->iid.ids},
        {"rec.seen_offsets", EDL_DTYPE_I64, 1, {r->users + 1, 0}, r->seen_off},
        {"rec.seen_items", EDL_DTYPE_I64, 1, {nseen, 0}, r->seen},
        {"rec.item_count", EDL_DTYPE_I64, 1, {r->items, 0}, r->count},
    };
    if (!edl__vec_all_finite(r->bias, r->users + r->items + 1))
        return edl__fail(EDL_ERR_NUMERIC, "%s: the biases hold NaN or infinite values", path);
    if (r->qt.kind != EDL_QUANT_NONE) { /* the qtable in the table's place, no model */
        edl__qt_files q;
        edl__qt_parts(&r->qt, &q);
        const char *k[10], *v[10];
        edl_tensor t[8];
        for (size_t j = 0; j < 6; j++) k[j] = keys[j], v[j] = vals[j], t[2 + j] = extra[j];
        for (size_t j = 0; j < 4; j++) k[6 + j] = q.keys[j], v[6 + j] = q.vals[j];
        t[0] = q.t[0], t[1] = q.t[1];
        return edl__st_write(path, k, v, 10, t, 8);
    }
    return edl_model_save_ex(r->m, path, keys, vals, r->dot ? 7 : 6, extra, 6); /* rec.mlp.dot: mlp + dot */
}

/* Layer l's description, or a format error naming what a recommender needs of it. */
static edl_status layer(const edl_model *m, const char *path, size_t l, edl_layer_info *in) {
    if (edl_model_layer_info(m, l, in) != EDL_OK)
        return edl__fail(EDL_ERR_FORMAT, "%s: a recommender needs a layer %zu", path, l);
    return EDL_OK;
}

/* rec.* metadata: kind, format, counts. */
static edl_status check_meta(edl__st *st, edl__rec_file *f) {
    const char *path = edl__st_path(st);
    memset(f, 0, sizeof *f);
    const char *kind = edl__st_meta(st, "rec.model");
    if (!kind) return edl__fail(EDL_ERR_FORMAT, "%s: not an edl recommender (no rec.model in its metadata)", path);
    if (edl_rec_kind_from_name(kind, &f->kind) != EDL_OK)
        return edl__fail(EDL_ERR_FORMAT, "%s: unknown rec.model \"%.32s\"", path, kind);
    const char *format = edl__st_meta(st, "rec.format");
    if (!format || strcmp(format, "1"))
        return edl__fail(EDL_ERR_FORMAT, "%s: rec.format is not 1 (a newer edl wrote it?)", path);
    EDL__TRY(edl__st_get_count(st, "rec.users", INT64_MAX, &f->users));
    EDL__TRY(edl__st_get_count(st, "rec.items", INT64_MAX, &f->items));
    EDL__TRY(edl__st_get_count(st, "rec.dim", INT64_MAX, &f->fdim));
    if (f->users == 0 || f->items == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.users %zu and rec.items %zu must both be at least 1", path,
                         f->users, f->items);
    if ((f->kind == EDL_REC_POP && f->fdim) || ((f->kind == EDL_REC_BPR || f->kind == EDL_REC_MLP) && !f->fdim))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.dim %zu does not suit a %s model", path, f->fdim, kind);
    f->dim = f->fdim ? f->fdim : 1;
    const char *dot = edl__st_meta(st, "rec.mlp.dot"); /* absent: the mlp alone (files before it) */
    if (dot && (f->kind != EDL_REC_MLP || strcmp(dot, "1")))
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.mlp.dot \"%.32s\" is for an mlp, and 1 (this: %s)", path,
                         dot, kind);
    f->dot = dot != NULL;
    return EDL_OK;
}

static edl_status check_tensors(edl__st *st, edl__rec_file *f, size_t rows);

edl_status edl__rec_check(edl__st *st, const edl_model *m, edl__rec_file *f) {
    const char *path = edl__st_path(st);
    EDL__TRY(check_meta(st, f));
    const char *kind = edl_rec_kind_name(f->kind);
    edl_layer_info li;
    EDL__TRY(layer(m, path, 0, &li));
    if (li.kind != EDL_LAYER_EMBEDDING || li.pool != EDL_POOL_FLATTEN || li.len != 2)
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: layer 0 must concatenate (an embedding with len=2, pool=flatten) the user and item rows",
                         path);
    EDL__TRY(edl__st_check_sum(st, "rec.users", f->users, "rec.items", f->items, "layer 0's rows", li.rows));
    if (li.dim != f->dim)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata rec.dim %zu wants rows of %zu, but layer 0's dim is %zu", path,
                         f->fdim, f->dim, li.dim);
    size_t nl = edl_model_num_layers(m);
    if (f->kind != EDL_REC_MLP && nl != 1)
        return edl__fail(EDL_ERR_FORMAT, "%s: a %s model has only its table (this one has %zu layers)", path, kind, nl);
    if (f->kind == EDL_REC_MLP) {
        edl_layer_info d;
        EDL__TRY(layer(m, path, 1, &d));
        if (d.kind != EDL_LAYER_DENSE || d.in_dim != 2 * f->dim)
            return edl__fail(EDL_ERR_FORMAT,
                             "%s: the mlp's first dense layer reads %zu values, not the %zu of a user and an item row",
                             path, d.in_dim, 2 * f->dim);
    }
    return check_tensors(st, f, li.rows);
}

edl_status edl__rec_check_quantized(edl__st *st, edl__rec_file *f) {
    const char *path = edl__st_path(st);
    EDL__TRY(check_meta(st, f));
    if ((f->kind != EDL_REC_MF && f->kind != EDL_REC_BPR) || f->fdim == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: a quantized recommender is mf or bpr with rec.dim >= 1 (this: %s, %zu)",
                         path, edl_rec_kind_name(f->kind), f->fdim);
    size_t rows;
    if (!edl__add_ok(f->users, f->items, &rows))
        return edl__fail(EDL_ERR_FORMAT, "%s: rec.users %zu and rec.items %zu are too many", path, f->users, f->items);
    return check_tensors(st, f, rows);
}

/* the tensors beside the table (rows of it): one bias a row and the global mean, ids, seen items by user */
static edl_status check_tensors(edl__st *st, edl__rec_file *f, size_t rows) {
    const char *path = edl__st_path(st);
    {
        size_t rows1, users1;
        if (!edl__add_ok(rows, 1, &rows1) || !edl__add_ok(f->users, 1, &users1))
            return edl__fail(EDL_ERR_FORMAT, "%s: rec.users %zu and rec.items %zu are too many", path, f->users,
                             f->items);
        const void *bias, *uids, *iids, *off, *seen, *count;
        EDL__TRY(edl__st_get_array(st, "rec.bias", EDL_DTYPE_F32, rows1, &bias));
        EDL__TRY(edl__st_get_array(st, "rec.user_ids", EDL_DTYPE_I64, f->users, &uids));
        EDL__TRY(edl__st_get_array(st, "rec.item_ids", EDL_DTYPE_I64, f->items, &iids));
        EDL__TRY(edl__st_get_array(st, "rec.seen_offsets", EDL_DTYPE_I64, users1, &off));
        EDL__TRY(edl__st_get_array(st, "rec.item_count", EDL_DTYPE_I64, f->items, &count));
        const int64_t *o = off;
        if (o[0] != 0) return edl__fail(EDL_ERR_FORMAT, "%s: rec.seen_offsets[0] = %lld, not 0", path, (long long)o[0]);
        for (size_t u = 0; u < f->users; u++) /* every offset in order before any item is read */
            if (o[u + 1] < o[u])
                return edl__fail(EDL_ERR_FORMAT,
                                 "%s: rec.seen_offsets[%zu] = %lld is below rec.seen_offsets[%zu] = %lld", path, u + 1,
                                 (long long)o[u + 1], u, (long long)o[u]);
        f->nseen = (size_t)o[f->users];
        EDL__TRY(edl__st_get_array(st, "rec.seen_items", EDL_DTYPE_I64, f->nseen, &seen));
        if (!edl__vec_all_finite(bias, rows1))
            return edl__fail(EDL_ERR_FORMAT, "%s: rec.bias holds NaN or infinite values", path);
        const int64_t *sv = seen, *cv = count;
        for (size_t u = 0; u < f->users; u++)
            for (int64_t j = o[u]; j < o[u + 1]; j++)
                if (sv[j] < 0 || (uint64_t)sv[j] >= f->items || (j > o[u] && sv[j] <= sv[j - 1]))
                    return edl__fail(
                        EDL_ERR_FORMAT,
                        "%s: rec.seen_items[%lld] = %lld is out of [0, rec.items %zu) or not above the one before",
                        path, (long long)j, (long long)sv[j], f->items);
        for (size_t i = 0; i < f->items; i++)
            if (cv[i] < 0)
                return edl__fail(EDL_ERR_FORMAT, "%s: rec.item_count[%zu] = %lld is negative", path, i,
                                 (long long)cv[i]);
        f->bias = bias, f->user_ids = uids, f->item_ids = iids, f->seen_off = o, f->seen = sv, f->count = cv;
    }
    return EDL_OK;
}

static edl_status load_ids(edl__idmap *map, const char *path, const char *name, const int64_t *ids, size_t n) {
    EDL__TRY(edl__idmap_init(map, n));
    for (size_t k = 0; k < n; k++) {
        int64_t x;
        EDL__TRY(edl__idmap_put(map, ids[k], &x));
        if ((size_t)x != k)
            return edl__fail(EDL_ERR_FORMAT, "%s: %s[%zu] = %lld appears twice", path, name, k, (long long)ids[k]);
    }
    return EDL_OK;
}

edl_status edl__rec_check_index(edl__st *st, edl__rec_file *f) {
    EDL__TRY(check_meta(st, f));
    return check_tensors(st, f, 0); /* rec.bias: the global mean alone */
}

edl_status edl__rec_load_ids(edl__idmap *map, const char *path, const char *name, const int64_t *ids, size_t n) {
    return load_ids(map, path, name, ids, n);
}

static edl_status load_parts(edl_recommender *r, edl__st *st, const char *path) {
    edl__rec_file f;
    const int quantized = edl__qt_in(st);
    EDL__TRY(quantized ? edl__rec_check_quantized(st, &f)
                       : edl__rec_check(st, r->m, &f)); /* before any count is used */
    const char *args = edl__st_meta(st, "rec.args");
    snprintf(r->args, sizeof r->args, "%s", args ? args : "");
    r->kind = f.kind, r->users = f.users, r->items = f.items, r->fdim = f.fdim, r->dim = f.dim, r->dot = f.dot;
    if (quantized)
        EDL__TRY(edl__qt_read(st, &r->qt, f.users + f.items, f.dim));
    else
        EDL__TRY(edl__rec_bind(r));
    const size_t nseen = f.nseen;
    r->bias = malloc((r->users + r->items + 1) * sizeof *r->bias);
    r->seen_off = malloc((r->users + 1) * sizeof *r->seen_off);
    r->seen = malloc((nseen ? nseen : 1) * sizeof *r->seen);
    r->count = malloc(r->items * sizeof *r->count);
    if (!r->bias || !r->seen_off || !r->seen || !r->count)
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the recommender", path);
    memcpy(r->bias, f.bias, (r->users + r->items + 1) * sizeof *r->bias);
    memcpy(r->seen_off, f.seen_off, (r->users + 1) * sizeof *r->seen_off);
    if (nseen) memcpy(r->seen, f.seen, nseen * sizeof *r->seen);
    memcpy(r->count, f.count, r->items * sizeof *r->count);
    EDL__TRY(load_ids(&r->uid, path, "rec.user_ids", f.user_ids, r->users));
    return load_ids(&r->iid, path, "rec.item_ids", f.item_ids, r->items);
}

edl_status edl_rec_load(edl_recommender **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_rec_load: an argument is NULL");
    edl_recommender *r = calloc(1, sizeof *r);
    if (!r) return edl__fail(EDL_ERR_NOMEM, "edl_rec_load: no memory");
    edl__st *st = NULL;
    edl_status s = edl__st_open(&st, path); /* one open: the model and the app's parts come from it */
    edl__rec_file f;
    const int sharded = s == EDL_OK && edl__st_meta(st, "rec.shard.ranks");
    if (sharded) s = edl__rec_load_sharded(r, st, path); /* the index: every shard merged */
    if (s == EDL_OK && !sharded && !edl__st_meta(st, "rec.model"))
        s = edl__rec_check(st, NULL, &f); /* another kind: said before any model is built */
    if (s == EDL_OK && !sharded && !edl__qt_in(st)) s = edl__model_from_st(st, 0, &r->m);
    if (s == EDL_OK && !sharded) s = load_parts(r, st, path);
    edl__st_close(st);
    if (s != EDL_OK) {
        edl_rec_free(r);
        return s;
    }
    *out = r;
    return EDL_OK;
}

/* ---- quantized copies --------------------------------------------------------------------- */

edl_quant_kind edl_rec_quantized(const edl_recommender *r) { return r ? r->qt.kind : EDL_QUANT_NONE; }

edl_status edl_rec_quantize(edl_recommender **out, const edl_recommender *r, edl_quant_kind kind, size_t m,
                            uint64_t seed) {
    if (r && r->shard)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a recommender trained with sharded rows holds only this rank's rows: "
                         "save it and load the index (edl_rec_load merges the shards)",
                         __func__);
    static const char fn[] = "edl_rec_quantize";
    if (!out || !r) return edl__fail(EDL_ERR_ARG, "%s: an argument is NULL", fn);
    if (r->qt.kind != EDL_QUANT_NONE) return edl__fail(EDL_ERR_ARG, "%s: the recommender is quantized already", fn);
    if ((r->kind != EDL_REC_MF && r->kind != EDL_REC_BPR) || r->fdim == 0)
        return edl__fail(EDL_ERR_UNSUPPORTED,
                         "%s: a %s model%s: only the factor tables of mf and bpr are quantized (the mlp's scores "
                         "pass through its dense layers, pop and biases-only mf have no factors)",
                         fn, edl_rec_kind_name(r->kind), r->fdim ? "" : " without factors");
    edl_recommender *c = calloc(1, sizeof *c);
    if (!c) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    c->kind = r->kind, c->users = r->users, c->items = r->items, c->fdim = r->fdim, c->dim = r->dim;
    memcpy(c->args, r->args, sizeof c->args);
    const size_t nb = r->users + r->items + 1, nseen = (size_t)r->seen_off[r->users];
    c->bias = malloc(nb * sizeof *c->bias);
    c->seen_off = malloc((r->users + 1) * sizeof *c->seen_off);
    c->seen = malloc((nseen ? nseen : 1) * sizeof *c->seen);
    c->count = malloc(r->items * sizeof *c->count);
    edl_status s =
        c->bias && c->seen_off && c->seen && c->count ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    if (s == EDL_OK) {
        memcpy(c->bias, r->bias, nb * sizeof *c->bias);
        memcpy(c->seen_off, r->seen_off, (r->users + 1) * sizeof *c->seen_off);
        if (nseen) memcpy(c->seen, r->seen, nseen * sizeof *c->seen);
        memcpy(c->count, r->count, r->items * sizeof *c->count);
        s = load_ids(&c->uid, fn, "user ids", r->uid.ids, r->users);
    }
    if (s == EDL_OK) s = load_ids(&c->iid, fn, "item ids", r->iid.ids, r->items);
    if (s == EDL_OK) s = edl__qt_build(&c->qt, kind, m, r->table, r->users + r->items, r->dim, seed);
    if (s != EDL_OK) {
        edl_rec_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}
