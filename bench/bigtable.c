/* Tables larger than memory, their cost when they fit: examples/s of edl_train with the model's
 * parameters, gradients and Adam state in a scratch file (edl_model_set_table_dir) against the
 * same model in memory, on Zipf-distributed ids spread over the table (hashed features: rank r
 * is row r * odd mod rows). Runs alternate (memory, file, memory, ...); medians and their ratio.
 * Three epochs a run: the first (cold: rows, gradients and Adam state touched for the first time,
 * page faults included) and the last two (warm) are reported apart; building and initialising
 * the table is timed apart too (in the file, init writes the table to disk).
 * Usage: bench_bigtable [rows_log2=21] [dim=64] [examples=200000] [runs=3] [dir=$TMPDIR|/tmp] */
#include "bench.h"
#include "edl.h"

#include <math.h>
#include <stdint.h>

static edl_dataset *zipf_data(size_t rows, size_t n, size_t len, uint64_t seed) {
    enum { RANKS = 1 << 20 }; /* Zipf(1.05) over 2^20 ranks (or rows, if fewer) */
    size_t ranks = rows < RANKS ? rows : RANKS;
    double *cum = malloc(ranks * sizeof *cum), t = 0.0;
    int64_t *idx = malloc(len * sizeof *idx);
    edl_dataset *d = NULL;
    if (!cum || !idx || edl_dataset_create(&d, 0, 0) != EDL_OK) {
        fprintf(stderr, "bench_bigtable: no memory\n");
        exit(1);
    }
    for (size_t k = 0; k < ranks; k++) cum[k] = t += pow((double)(k + 1), -1.05);
    edl_rng r;
    edl_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        uint64_t h = 0;
        for (size_t j = 0; j < len; j++) {
            double u = edl_rng_uniform(&r) * t;
            size_t lo = 0, hi = ranks - 1;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < u)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            idx[j] = (int64_t)(((uint64_t)lo * 0x9E3779B97F4A7C15ULL) & (rows - 1)); /* rows: a power of 2 */
            h += (uint64_t)lo;
        }
        if (edl_dataset_add_indices(d, idx, len, (int64_t)(h % 7 % 2), NULL) != EDL_OK) {
            fprintf(stderr, "bench_bigtable: %s\n", edl_last_error());
            exit(1);
        }
    }
    free(cum);
    free(idx);
    return d;
}

/* Seconds at each epoch's end, from edl_train's progress reports. */
typedef struct {
    double at[16];
    size_t n;
} epoch_times;

static void on_progress(const edl_progress *p, void *user) {
    epoch_times *t = user;
    if (p->epoch_end && t->n < 16) t->at[t->n++] = p->seconds;
}

/* One run: build (in dir, or memory when dir is NULL) and train 3 epochs; examples/s of the first
   epoch (cold: every row, gradient and Adam state first touched) and of the last two (warm), and
   the seconds building and initialising took in *init. */
static void run(const char *spec, const char *dir, const edl_dataset *d, double *cold, double *warm, double *init) {
    edl_model *m = NULL;
    double t0 = bench_now();
    if (edl_model_parse_spec(&m, spec) != EDL_OK || (dir && edl_model_set_table_dir(m, dir) != EDL_OK) ||
        edl_model_init(m, EDL_INIT_FASTTEXT, 1) != EDL_OK) {
        fprintf(stderr, "bench_bigtable: %s\n", edl_last_error());
        exit(1);
    }
    *init = bench_now() - t0;
    edl_train_config c;
    edl_train_defaults(&c);
    c.epochs = 3, c.batch_size = 64, c.seed = 1;
    epoch_times et = {{0}, 0};
    c.progress = on_progress, c.user = &et, c.progress_seconds = 1e9;
    edl_train_report rep;
    if (edl_train(m, d, &c, &rep) != EDL_OK || et.n != 3) {
        fprintf(stderr, "bench_bigtable: %s\n", edl_last_error());
        exit(1);
    }
    edl_model_free(m);
    *cold = (double)edl_dataset_size(d) / et.at[0];
    *warm = 2.0 * (double)edl_dataset_size(d) / (et.at[2] - et.at[0]);
}

int main(int argc, char **argv) {
    int rows_log2 = argc > 1 ? atoi(argv[1]) : 21, runs = argc > 4 ? atoi(argv[4]) : 3;
    size_t dim = argc > 2 ? (size_t)atol(argv[2]) : 64, n = argc > 3 ? (size_t)atol(argv[3]) : 200000;
    const char *dir = argc > 5 ? argv[5] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    if (rows_log2 < 4 || rows_log2 > 40 || dim == 0 || n == 0 || runs < 1 || runs > 99) {
        fprintf(stderr, "usage: bench_bigtable [rows_log2=21] [dim=64] [examples=200000] [runs=3] [dir]\n");
        return 2;
    }
    const size_t rows = (size_t)1 << rows_log2;
    char spec[160];
    snprintf(spec, sizeof spec, "embedding_bag(rows=%zu,dim=%zu,pool=mean) dense(2)", rows, dim);
    edl_dataset *d = zipf_data(rows, n, 8, 3);
    printf("table %zu x %zu floats (%.2f GiB), %zu examples of 8 Zipf(1.05) ids, Adam, batch 64, %d thread(s), "
           "scratch dir %s\n",
           rows, dim, (double)rows * (double)dim * 4.0 / (double)(1 << 30), n, bench_threads(), dir);
    double cm[99], cf[99], wm[99], wf[99], im[99], ifl[99], rc[99], rw[99];
    for (int r = 0; r < runs; r++) {
        run(spec, NULL, d, &cm[r], &wm[r], &im[r]);
        run(spec, dir, d, &cf[r], &wf[r], &ifl[r]);
        rc[r] = cf[r] / cm[r], rw[r] = wf[r] / wm[r];
        printf("run %d: first epoch memory %.0f, file %.0f ex/s (file/memory %.3f); epochs 2-3 memory %.0f, file "
               "%.0f ex/s (file/memory %.3f); init memory %.2f s, file %.2f s\n",
               r + 1, cm[r], cf[r], rc[r], wm[r], wf[r], rw[r], im[r], ifl[r]);
        fflush(stdout);
    }
    printf("median of %d: first epoch memory %.0f, file %.0f ex/s, file/memory %.3f; epochs 2-3 memory %.0f, file "
           "%.0f ex/s, file/memory %.3f; init memory %.2f s, file %.2f s\n",
           runs, bench_median(cm, runs), bench_median(cf, runs), bench_median(rc, runs), bench_median(wm, runs),
           bench_median(wf, runs), bench_median(rw, runs), bench_median(im, runs), bench_median(ifl, runs));
    edl_dataset_free(d);
    return 0;
}
