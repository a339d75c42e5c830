/* Recommender epochs against the bytes-moved floor of the same epoch, measured in one run.
 *
 *   build/bench_recommend DATA MODEL [epochs=5] [threads=OMP's] [dim=32] [seed=1]
 *
 * DATA is a ratings file (u.data, ratings.dat or CSV), MODEL mf|bpr|mlp, trained with edl's
 * defaults for that model (edl_rec_defaults: batch 256; mf Adam, bpr SGD with 4 negatives, mlp
 * Adam with 4 negatives and dense(64) dense(32) dense(1)) on `threads` threads (edl's block schedule;
 * the mlp's dense layers are shared, Hogwild).
 *
 * edl's epoch time: the median of the epochs after the first (the first also pays the page
 * faults of the optimizer state), timed by edl_rec_train's progress callback.
 *
 * The floor: one epoch's row traffic and nothing else. The row indices are those of edl's first
 * epoch: edl's own schedule (edl__rec_blocks: the same groups, blocks and shuffle for the same
 * seed), cut into the same batches, plus uniform negative items from the block's item group for
 * bpr/mlp (edl also rejects the user's own items, ~4% of draws on ML-1M-sized data). The
 * threaded floor runs the blocks as edl does: sub-epoch k gives thread g block (g, (g + k) % T),
 * with a barrier after each sub-epoch. They are computed beforehand; the timed
 * loop reads each index and, for every occurrence, reads and writes the row it names in the
 * table and in each optimizer state array (Adam: 2 floats of state per parameter; SGD: none)
 * with the least arithmetic (p[j] += 1e-7f * p[j]), and the biases edl updates (mf: user and
 * item, with Adam state; bpr: both items, SGD), and for mlp the dense layers (+ Adam state) once
 * per batch. Single-threaded, and with `threads` threads over the same blocks. Arrays are
 * 64-byte aligned; a second T-thread floor uses the 16-byte offset malloc gives large blocks
 * (edl's table and state come from malloc/calloc), where 128-byte rows span three cache lines
 * instead of two.
 *
 * Floor samples are taken between edl's epochs (inside the progress callback, whose time is
 * subtracted from the next epoch), so both see the same machine state. Not in the floor:
 * reading the records (edl's schedule shuffles them packed, a batch reads its own in a row), the
 * schedule (dealing the groups, sorting the records into blocks, the shuffle), the negative
 * sampling (its filter and exact search), the dot products, sqrt and divisions of Adam, and the
 * mlp's GEMMs.
 * bench/recommend.sh runs this beside bench/torch_recommend.py.
 */
#include "bench.h"
#include "edl.h"
#include "edl_rec.h"
#include "rec/recommend.h"

#include <math.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define BENCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BENCH_CLONES
#endif

enum { MAX_EPOCHS = 64, MAX_THREADS = 64 };
#define BIAS_BIT 0x80000000u /* this occurrence also updates bias[row] */

typedef struct {
    size_t dim, nstate, nbstate; /* floats a row; state arrays of the rows, of the biases */
    float *p, *s1, *s2;          /* (users + items) x dim each */
    float *b, *b1, *b2;          /* users + items */
    float *dense, *d1, *d2;      /* mlp: the dense layers, nd floats each */
    size_t nd;
    const uint32_t *idx;         /* the epoch's row occurrences, segment after segment */
    const uint32_t *bend;        /* end (into idx) of each batch, segment after segment */
    size_t *seg_idx, *seg_batch; /* T * T + 1: segment k * T + g is block (g, (g + k) % T) */
    int nt;
} floor_ctx;

static inline void touch(float *restrict p, size_t n) {
    for (size_t j = 0; j < n; j++) p[j] += 1e-7f * p[j];
}

/* Batches [b0, b1) of the stream: every row occurrence touched in the table (+ state) and its
   bias (+ state) when flagged; the dense block once per batch. */
BENCH_CLONES static void floor_batches(const floor_ctx *c, size_t b0, size_t b1, size_t start) {
    const size_t d = c->dim;
    size_t k = start;
    for (size_t b = b0; b < b1; b++) {
        size_t e = c->bend[b];
        for (; k < e; k++) {
            uint32_t v = c->idx[k], row = v & ~BIAS_BIT;
            size_t off = (size_t)row * d;
            touch(c->p + off, d);
            if (c->nstate) touch(c->s1 + off, d), touch(c->s2 + off, d);
            if (v & BIAS_BIT) {
                c->b[row] += 1e-7f * c->b[row];
                if (c->nbstate) c->b1[row] += 1e-7f * c->b1[row], c->b2[row] += 1e-7f * c->b2[row];
            }
        }
        if (c->nd) {
            touch(c->dense, c->nd);
            if (c->nstate) touch(c->d1, c->nd), touch(c->d2, c->nd);
        }
    }
}

/* One epoch's floor on nt threads (1: one thread walks every segment in turn; else edl's
   sub-epochs, a barrier after each). */
static double floor_epoch(const floor_ctx *c, int nt) {
    const size_t T = (size_t)c->nt;
    double t0 = bench_now();
    if (nt <= 1) {
        floor_batches(c, 0, c->seg_batch[T * T], 0);
    } else {
#pragma omp parallel num_threads(nt)
        {
#ifdef _OPENMP
            size_t t = (size_t)omp_get_thread_num(), team = (size_t)omp_get_num_threads();
#else
            size_t t = 0, team = 1;
#endif
            for (size_t k = 0; k < T; k++) {
                for (size_t g = t; g < T; g += team)
                    floor_batches(c, c->seg_batch[k * T + g], c->seg_batch[k * T + g + 1], c->seg_idx[k * T + g]);
#pragma omp barrier
            }
        }
    }
    return bench_now() - t0;
}

/* Aligned arrays, or (misalign = 16) the offset malloc gives large blocks. */
static float *floats(size_t n, size_t misalign, float v) {
    char *raw = bench_alloc(n * sizeof(float) + 64);
    float *f = (float *)(raw + misalign);
    for (size_t k = 0; k < n; k++) f[k] = v;
    return f;
}

static void alloc_arrays(floor_ctx *c, size_t rows, size_t misalign) {
    size_t n = rows * c->dim;
    c->p = floats(n, misalign, 0.1f);
    c->s1 = c->nstate ? floats(n, misalign, 0.01f) : NULL;
    c->s2 = c->nstate ? floats(n, misalign, 0.001f) : NULL;
    c->b = floats(rows, misalign, 0.1f);
    c->b1 = c->nbstate ? floats(rows, misalign, 0.01f) : NULL;
    c->b2 = c->nbstate ? floats(rows, misalign, 0.001f) : NULL;
    c->dense = c->nd ? floats(c->nd, misalign, 0.1f) : NULL;
    c->d1 = c->nd && c->nstate ? floats(c->nd, misalign, 0.01f) : NULL;
    c->d2 = c->nd && c->nstate ? floats(c->nd, misalign, 0.001f) : NULL;
}

/* memcpy bandwidth over `bytes` (counted read + write), median of 5. */
static double memcpy_gbs(size_t bytes) {
    char *a = bench_alloc(bytes), *b = bench_alloc(bytes);
    memset(a, 1, bytes), memset(b, 2, bytes);
    size_t reps = (size_t)(1 << 28) / bytes + 1;
    double v[5];
    for (int s = 0; s < 5; s++) {
        double t0 = bench_now();
        for (size_t r = 0; r < reps; r++) {
            memcpy(r % 2 ? a : b, r % 2 ? b : a, bytes);
            __asm__ volatile("" ::: "memory");
        }
        v[s] = 2.0 * (double)bytes * (double)reps / (bench_now() - t0) / 1e9;
    }
    free(a), free(b);
    return bench_median(v, 5);
}

typedef struct {
    const floor_ctx *aligned, *malloced;
    int threads, epochs;
    double end[MAX_EPOCHS + 1], cb[MAX_EPOCHS + 1]; /* edl's cumulative seconds; callback time */
    double f1[MAX_EPOCHS + 1], fT[MAX_EPOCHS + 1], fM[MAX_EPOCHS + 1];
    int n;
} timing;

static void on_epoch(const edl_progress *p, void *user) {
    timing *t = user;
    double t0 = bench_now();
    if (t->n < MAX_EPOCHS) {
        t->end[t->n] = p->seconds;
        t->f1[t->n] = floor_epoch(t->aligned, 1);
        t->fT[t->n] = t->threads > 1 ? floor_epoch(t->aligned, t->threads) : t->f1[t->n];
        t->fM[t->n] = floor_epoch(t->malloced, t->threads);
        t->cb[t->n] = bench_now() - t0;
        t->n++;
    }
}

static double median_of(const double *v, int from, int to) {
    double tmp[MAX_EPOCHS + 1];
    int n = 0;
    for (int k = from; k < to; k++) tmp[n++] = v[k];
    return n ? bench_median(tmp, n) : NAN;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATA mf|bpr|mlp [epochs=5] [threads] [dim=32] [seed=1]\n", argv[0]);
        return 2;
    }
    const char *path = argv[1], *mname = argv[2];
    int epochs = argc > 3 ? atoi(argv[3]) : 5;
    int threads = argc > 4 ? atoi(argv[4]) : bench_threads();
    size_t dim = argc > 5 ? (size_t)atoll(argv[5]) : 32;
    uint64_t seed = argc > 6 ? (uint64_t)atoll(argv[6]) : 1;
    edl_rec_kind kind = !strcmp(mname, "mf")    ? EDL_REC_MF
                        : !strcmp(mname, "bpr") ? EDL_REC_BPR
                        : !strcmp(mname, "mlp") ? EDL_REC_MLP
                                                : EDL_REC_POP;
    if (kind == EDL_REC_POP || dim == 0 || epochs < 2 || epochs > MAX_EPOCHS || threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "bench_recommend: model mf|bpr|mlp, dim >= 1, epochs 2..%d, threads 1..%d\n", MAX_EPOCHS,
                MAX_THREADS);
        return 2;
    }
    edl_ratings *d = NULL;
    edl_ratings_options ro;
    edl_ratings_defaults(&ro);
    if (edl_ratings_read(&d, path, &ro, NULL) != EDL_OK) {
        fprintf(stderr, "bench_recommend: %s\n", edl_last_error());
        return 1;
    }
    const size_t n = d->n;

    /* dense ids in order of first sight, as edl_rec_train numbers them */
    edl__idmap um, im;
    uint32_t *uidx = malloc(n * sizeof *uidx), *iidx = malloc(n * sizeof *iidx);
    if (!uidx || !iidx || edl__idmap_init(&um, n / 16 + 16) != EDL_OK || edl__idmap_init(&im, n / 16 + 16) != EDL_OK)
        return 1;
    for (size_t k = 0; k < n; k++) {
        int64_t u, i;
        if (edl__idmap_put(&um, d->user[k], &u) != EDL_OK || edl__idmap_put(&im, d->item[k], &i) != EDL_OK) return 1;
        uidx[k] = (uint32_t)u, iidx[k] = (uint32_t)i;
    }
    const size_t U = um.n, I = im.n, rows = U + I;
    if (rows >= BIAS_BIT) return (fprintf(stderr, "bench_recommend: too many rows\n"), 1);

    /* edl's defaults for the model (src/rec/recommend.c, train_epochs); checked after training */
    const size_t batch = 256, neg = kind == EDL_REC_MF ? 0 : 4;
    const int adam = kind != EDL_REC_BPR;
    floor_ctx fc;
    memset(&fc, 0, sizeof fc);
    fc.dim = dim, fc.nstate = adam ? 2 : 0, fc.nbstate = kind == EDL_REC_MF ? 2 : 0;
    fc.nd = kind == EDL_REC_MLP ? (2 * dim * 64 + 64) + (64 * 32 + 32) + (32 + 1) : 0;

    /* the first epoch's schedule: edl's blocks for this thread count, shuffled by an rng seeded
       by the seed (train_epochs); a stand-in recommender holds what the schedule reads */
    /* the library's thread count for the schedule (as train_epochs asks it); checked after training */
    int nt = edl__rec_threads(threads, kind, n, U, I);
    edl_recommender fake;
    memset(&fake, 0, sizeof fake);
    fake.users = U, fake.items = I;
    fake.seen_off = calloc(U + 1, sizeof *fake.seen_off), fake.count = calloc(I, sizeof *fake.count);
    int64_t *u64 = malloc(n * sizeof *u64), *i64 = malloc(n * sizeof *i64);
    if (!fake.seen_off || !fake.count || !u64 || !i64) return 1;
    for (size_t k = 0; k < n; k++)
        u64[k] = uidx[k], i64[k] = iidx[k], fake.seen_off[uidx[k] + 1]++, fake.count[iidx[k]]++;
    for (size_t u = 0; u < U; u++) fake.seen_off[u + 1] += fake.seen_off[u];
    edl__rec_blocks blk;
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    if (edl__rec_blocks_init(&blk, &fake, n, nt) != EDL_OK)
        return (fprintf(stderr, "bench_recommend: %s\n", edl_last_error()), 1);
    edl__rec_blocks_shuffle(&blk, u64, i64, NULL, &rng);
    /* the row stream, segment by segment and batch by batch, as run_thread and step_* build theirs */
    const size_t T = (size_t)nt;
    size_t per = kind == EDL_REC_MF ? 2 : kind == EDL_REC_BPR ? 3 * neg : 2 * (1 + neg);
    size_t step = kind == EDL_REC_BPR ? (batch + neg - 1) / neg : batch;
    uint32_t *idx = malloc(n * per * sizeof *idx), *bend = malloc((n / step + T * T + 1) * sizeof *bend);
    fc.seg_idx = malloc((T * T + 1) * sizeof *fc.seg_idx), fc.seg_batch = malloc((T * T + 1) * sizeof *fc.seg_batch);
    if (!idx || !bend || !fc.seg_idx || !fc.seg_batch) return 1;
    size_t ni = 0, nbatch = 0, examples = 0, bias_touches = 0;
    edl_rng_seed(&rng, seed + 99);
    fc.nt = nt;
    for (size_t k = 0; k < T; k++)
        for (size_t g = 0; g < T; g++) {
            size_t h = (g + k) % T, b0 = blk.off[g * T + h], b1 = blk.off[g * T + h + 1];
            const int64_t *gi = blk.gitems + blk.goff[h];
            size_t gn = blk.goff[h + 1] - blk.goff[h];
            fc.seg_idx[k * T + g] = ni, fc.seg_batch[k * T + g] = nbatch;
            for (size_t b = b0; b < b1; b += step) {
                size_t be = b1 - b > step ? b + step : b1, nb = 0;
                for (size_t q = b; q < be; q++) {
                    uint32_t u = blk.rec[q].u, i = (uint32_t)U + blk.rec[q].i;
                    if (kind == EDL_REC_MF) {
                        idx[ni++] = u | BIAS_BIT, idx[ni++] = i | BIAS_BIT, nb++, bias_touches += 2;
                    } else if (kind == EDL_REC_BPR) {
                        for (size_t z = 0; z < neg && nb < batch; z++, nb++) {
                            idx[ni++] = u, idx[ni++] = i | BIAS_BIT;
                            idx[ni++] = ((uint32_t)U + (uint32_t)gi[edl_rng_below(&rng, gn)]) | BIAS_BIT;
                            bias_touches += 2;
                        }
                    } else {
                        for (size_t z = 0; z <= neg; z++, nb++) {
                            idx[ni++] = u;
                            idx[ni++] = z == 0 ? i : (uint32_t)U + (uint32_t)gi[edl_rng_below(&rng, gn)];
                        }
                    }
                }
                examples += nb;
                bend[nbatch++] = (uint32_t)ni;
            }
        }
    fc.seg_idx[T * T] = ni, fc.seg_batch[T * T] = nbatch;
    edl__rec_blocks_free(&blk);
    free(fake.seen_off), free(fake.count), free(u64), free(i64);
    fc.idx = idx, fc.bend = bend;
    floor_ctx fm = fc;
    alloc_arrays(&fc, rows, 0);
    alloc_arrays(&fm, rows, 16);

    /* bytes moved by one epoch: every byte read once and written once */
    const size_t arrays = 1 + fc.nstate;
    double row_bytes = 2.0 * (double)ni * (double)dim * 4.0 * (double)arrays;
    double bias_bytes = 2.0 * (double)bias_touches * 4.0 * (double)(1 + fc.nbstate);
    double dense_bytes = 2.0 * (double)nbatch * (double)fc.nd * 4.0 * (double)arrays;
    double idx_bytes = (double)ni * 4.0;
    double bytes = row_bytes + bias_bytes + dense_bytes + idx_bytes;
    double table_mib = (double)rows * (double)dim * 4.0 * (double)arrays / 1048576.0;

    double bw_l2 = memcpy_gbs((size_t)256 << 10), bw_l3 = memcpy_gbs((size_t)4 << 20),
           bw_dram = memcpy_gbs((size_t)256 << 20);
    /* warm the floor arrays (page faults) */
    floor_epoch(&fc, 1), floor_epoch(&fm, threads);

    timing tm;
    memset(&tm, 0, sizeof tm);
    tm.aligned = &fc, tm.malloced = &fm, tm.threads = threads, tm.epochs = epochs;
    edl_rec_args a;
    edl_rec_defaults(&a, kind);
    a.dim = dim, a.epoch = (size_t)epochs, a.thread = threads, a.seed = seed, a.batch = batch;
    a.progress = on_epoch, a.user = &tm;
    edl_recommender *r = NULL;
    edl_rec_report rep;
    if (edl_rec_train(&r, d, &a, &rep) != EDL_OK) {
        fprintf(stderr, "bench_recommend: %s\n", edl_last_error());
        return 1;
    }
    /* what edl ran must be what the floor assumed */
    char want[96], want_nt[32];
    snprintf(want, sizeof want, "neg=%zu batch=%zu optimizer=%s", kind == EDL_REC_MF ? (size_t)4 : neg, batch,
             adam ? "adam" : "sgd"); /* mf records neg=4 and uses none */
    snprintf(want_nt, sizeof want_nt, " threads=%d", nt);
    size_t nparams = 0;
    edl_model_param_counts(r->m, &nparams, NULL, NULL);
    int agree = strstr(r->args, want) != NULL && strstr(r->args, want_nt) != NULL && r->users == U && r->items == I &&
                r->dim == dim && (kind != EDL_REC_MLP || nparams - rows * dim == fc.nd);
    double ep[MAX_EPOCHS + 1];
    for (int k = 0; k < tm.n; k++) ep[k] = tm.end[k] - (k ? tm.end[k - 1] + tm.cb[k - 1] : 0.0);

    printf("bench_recommend %s: %zu records, %zu users, %zu items; %s\n", path, n, U, I, r->args);
    printf("  %d threads (OMP_NUM_THREADS %s); floor %s edl's settings\n", threads,
           getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset", agree ? "matches" : "DOES NOT MATCH");
    printf("  an epoch: %zu examples, %zu row occurrences (%zu batches); table%s %.2f MiB; moves %.1f MB "
           "(rows %.1f, biases %.1f, dense %.1f, indices %.1f; read + write)\n",
           examples, ni, nbatch, fc.nstate ? " + Adam state" : "", table_mib, bytes / 1e6, row_bytes / 1e6,
           bias_bytes / 1e6, dense_bytes / 1e6, idx_bytes / 1e6);
    printf("  memcpy (read + write, 1 thread): %.1f GB/s over 256 KiB, %.1f over 4 MiB, %.1f over 256 MiB; "
           "edl's table starts %u bytes past a cache line\n",
           bw_l2, bw_l3, bw_dram, (unsigned)((uintptr_t)r->table % 64));
    printf("  epoch      edl s   floor 1 thr s   floor %d thr s   floor %d thr, malloc offset s\n", threads, threads);
    for (int k = 0; k < tm.n; k++)
        printf("  %5d %10.4f %15.5f %16.5f %16.5f\n", k + 1, ep[k], tm.f1[k], tm.fT[k], tm.fM[k]);
    double e_med = median_of(ep, 1, tm.n);
    double f1 = median_of(tm.f1, 0, tm.n), fT = median_of(tm.fT, 0, tm.n), fM = median_of(tm.fM, 0, tm.n);
    double best = f1 < fT ? f1 : fT;
    printf("  medians: edl %.4f s an epoch (%.0f examples/s, epochs 2..%d); floor %.5f s (1 thread, %.1f GB/s), "
           "%.5f s (%d threads, %.1f GB/s); floor / edl %.4f (same threads), %.4f (best floor)\n",
           e_med, (double)examples / e_med, tm.n, f1, bytes / f1 / 1e9, fT, threads, bytes / fT / 1e9, fT / e_med,
           best / e_med);
    if (kind == EDL_REC_MLP) { /* what the floor leaves out and mostly dominates: the three GEMMs a layer */
        double flops = 6.0 * (double)examples * (double)(2 * dim * 64 + 64 * 32 + 32);
        printf("  dense layers: %.1f GFLOP an epoch (forward + both backward products), %.1f GFLOP/s at edl's epoch "
               "time\n",
               flops / 1e9, flops / e_med / 1e9);
    }
    printf("result model=%s threads=%d records=%zu users=%zu items=%zu dim=%zu examples=%zu rows=%zu bytes=%.0f "
           "edl_epoch_s=%.5f edl_examples_per_s=%.0f floor1_s=%.6f floorT_s=%.6f floor_malloc_s=%.6f "
           "floor_over_edl=%.5f floor_best_over_edl=%.5f floor1_gbs=%.2f floorT_gbs=%.2f memcpy_l2_gbs=%.2f "
           "memcpy_l3_gbs=%.2f memcpy_dram_gbs=%.2f match=%d\n",
           mname, threads, n, U, I, dim, examples, ni, bytes, e_med, (double)examples / e_med, f1, fT, fM, fT / e_med,
           best / e_med, bytes / f1 / 1e9, bytes / fT / 1e9, bw_l2, bw_l3, bw_dram, agree);
    edl_rec_free(r);
    edl_ratings_free(d);
    edl__idmap_free(&um), edl__idmap_free(&im);
    free(uidx), free(iidx), free(idx), free(bend), free(fc.seg_idx), free(fc.seg_batch);
    return agree ? 0 : 3;
}
