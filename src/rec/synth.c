/* Synthetic ratings with a planted structure, for tests, benchmarks and the demo: a low-rank
 * affinity <p_u, q_i>, user and item biases, Zipf item popularity, choice that follows
 * affinity, Gaussian noise of known size, and timestamps increasing per user. */
#include "rec/recommend.h"
#include "io/file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void edl_synth_defaults(edl_synth_args *a) {
    memset(a, 0, sizeof *a);
    a->users = 1000, a->items = 2000, a->per_user = 100, a->rank = 8;
    a->noise = 0.5f, a->zipf = 1.0f, a->affinity = 2.0f, a->seed = 1;
}

typedef struct {
    const edl_synth_args *a;
    edl_synth_report *rep;
    float *p, *q, *bu, *bi; /* users x rank, items x rank, biases */
    double *cdf;            /* items: cumulative Zipf weights, by popularity rank */
    int64_t *order;         /* popularity rank -> item (so popularity is not the id order) */
    uint8_t *taken;         /* items: drawn already for the current user */
    int64_t *picked;        /* the current user's items */
} synth;

static size_t draw_item(synth *s, edl_rng *rng) {
    double u = (double)edl_rng_uniform(rng) * s->cdf[s->a->items - 1];
    size_t lo = 0, hi = s->a->items - 1;
    while (lo < hi) { /* the first rank whose cumulative weight exceeds u */
        size_t mid = lo + (hi - lo) / 2;
        if (s->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return (size_t)s->order[lo];
}

static edl_status write_rows(FILE *f, void *ctx) {
    synth *s = ctx;
    const edl_synth_args *a = s->a;
    edl_rng rng;
    edl_rng_seed(&rng, a->seed ^ 0x9e3779b97f4a7c15ULL);
    double se = 0.0, sum = 0.0, sum2 = 0.0;
    size_t rows = 0;
    size_t cap = a->items / 2 > 0 ? a->items / 2 : 1; /* a user rates at most half the items */
    for (size_t u = 0; u < a->users; u++) {
        size_t want = a->per_user / 2 + (size_t)edl_rng_below(&rng, a->per_user + 1);
        if (want > cap) want = cap;
        if (want == 0) want = 1;
        size_t got = 0;
        /* draw by popularity, keep with probability sigmoid(affinity * <p_u, q_i>) */
        for (size_t tries = 0; got < want && tries < 200 * want; tries++) {
            size_t i = draw_item(s, &rng);
            if (s->taken[i]) continue;
            double aff = 0.0;
            for (size_t k = 0; k < a->rank; k++) aff += (double)s->p[u * a->rank + k] * s->q[i * a->rank + k];
            double keep = 1.0 / (1.0 + exp(-(double)a->affinity * aff));
            if ((double)edl_rng_uniform(&rng) >= keep) continue;
            s->taken[i] = 1, s->picked[got++] = (int64_t)i;
        }
        int64_t t = 880000000 + (int64_t)u * 1000 + (int64_t)edl_rng_below(&rng, 1000);
        for (size_t j = 0; j < got; j++) {
            size_t i = (size_t)s->picked[j];
            s->taken[i] = 0;
            double aff = 0.0;
            for (size_t k = 0; k < a->rank; k++) aff += (double)s->p[u * a->rank + k] * s->q[i * a->rank + k];
            double clean = 3.5 + s->bu[u] + s->bi[i] + aff;
            double r = clean + (double)a->noise * edl_rng_normal(&rng);
            r = round(r * 1000.0) / 1000.0; /* as written */
            se += (r - clean) * (r - clean), sum += clean, sum2 += clean * clean;
            t += 1 + (int64_t)edl_rng_below(&rng, 3600);
            if (fprintf(f, "%zu\t%zu\t%.3f\t%lld\n", u + 1, i + 1, r, (long long)t) < 0)
                return edl__fail(EDL_ERR_IO, "edl_synth_ratings: write failed");
            rows++;
        }
    }
    if (s->rep) {
        s->rep->rows = rows;
        s->rep->noise_rmse = rows ? sqrt(se / (double)rows) : 0.0;
        double mean = rows ? sum / (double)rows : 0.0;
        s->rep->signal_std = rows ? sqrt(fmax(0.0, sum2 / (double)rows - mean * mean)) : 0.0;
    }
    return EDL_OK;
}

edl_status edl_synth_ratings(const char *path, const edl_synth_args *a, edl_synth_report *report) {
    static const char fn[] = "edl_synth_ratings";
    if (!path || !a) return edl__fail(EDL_ERR_ARG, "%s: path or args is NULL", fn);
    if (a->users == 0 || a->items == 0 || a->rank == 0 || a->per_user == 0)
        return edl__fail(EDL_ERR_ARG, "%s: users %zu, items %zu, rank %zu and per_user %zu must be > 0", fn, a->users,
                         a->items, a->rank, a->per_user);
    if (!(a->noise >= 0.0f) || !isfinite(a->noise) || !(a->zipf >= 0.0f) || !isfinite(a->zipf) ||
        !isfinite(a->affinity))
        return edl__fail(EDL_ERR_ARG, "%s: noise %g and zipf %g must be finite and >= 0, affinity finite", fn, a->noise,
                         a->zipf);
    size_t np, nq, bytes;
    if (a->rank > 100000) return edl__fail(EDL_ERR_ARG, "%s: rank %zu is more than 100000", fn, a->rank);
    if (!edl__mul_ok(a->users, a->rank, &np) || !edl__mul_ok(a->items, a->rank, &nq) || a->users > ((size_t)1 << 40) ||
        a->items > ((size_t)1 << 40) || !edl__mul_ok(np, sizeof(float), &bytes) ||
        !edl__mul_ok(nq, sizeof(float), &bytes))
        return edl__fail(EDL_ERR_NOMEM, "%s: %zu users and %zu items of rank %zu are too many", fn, a->users, a->items,
                         a->rank);
    synth s = {a, report, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    s.p = malloc(np * sizeof *s.p), s.q = malloc(nq * sizeof *s.q);
    s.bu = malloc(a->users * sizeof *s.bu), s.bi = malloc(a->items * sizeof *s.bi);
    s.cdf = malloc(a->items * sizeof *s.cdf), s.order = malloc(a->items * sizeof *s.order);
    s.taken = calloc(a->items, 1), s.picked = malloc(a->items * sizeof *s.picked);
    edl_status st = EDL_OK;
    if (!s.p || !s.q || !s.bu || !s.bi || !s.cdf || !s.order || !s.taken || !s.picked) {
        st = edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu users and %zu items", fn, a->users, a->items);
    } else {
        edl_rng rng;
        edl_rng_seed(&rng, a->seed);
        /* factors N(0, rank^-1/2) each, so <p, q> has variance 1 */
        float sd = 1.0f / sqrtf(sqrtf((float)a->rank));
        for (size_t i = 0; i < np; i++) s.p[i] = sd * edl_rng_normal(&rng);
        for (size_t i = 0; i < nq; i++) s.q[i] = sd * edl_rng_normal(&rng);
        for (size_t u = 0; u < a->users; u++) s.bu[u] = 0.3f * edl_rng_normal(&rng);
        for (size_t i = 0; i < a->items; i++) s.bi[i] = 0.4f * edl_rng_normal(&rng);
        for (size_t i = 0; i < a->items; i++) s.order[i] = (int64_t)i;
        for (size_t i = a->items - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)edl_rng_below(&rng, i + 1);
            int64_t t = s.order[i];
            s.order[i] = s.order[j], s.order[j] = t;
        }
        double c = 0.0;
        for (size_t r = 0; r < a->items; r++) s.cdf[r] = c += pow((double)(r + 1), -(double)a->zipf);
        st = edl__write_atomic(path, write_rows, &s);
    }
    free(s.p), free(s.q), free(s.bu), free(s.bi), free(s.cdf), free(s.order), free(s.taken), free(s.picked);
    return st;
}
