/* edl bench onehot | lookup | kernels: the embedding-vs-dense comparison, measured in one run
 * beside the machine's limits. Times are medians of several samples, each long enough to be
 * well above the clock's resolution. */
#include "args.h"
#include "commands.h"
#include "edl.h"
#include "edl_viz.h"
#include "files.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*job_fn)(void *ctx);

/* Median seconds per call of job: reps samples, each of enough calls to last min_s. */
static double time_job(job_fn job, void *ctx, int reps, double min_s) {
    double t0 = now_s();
    job(ctx); /* warm-up, and the size of one call */
    double once = now_s() - t0;
    long inner = once >= min_s ? 1 : (long)(min_s / (once + 1e-9)) + 1;
    double t[32];
    if (reps > 32) reps = 32;
    for (int r = 0; r < reps; r++) {
        t0 = now_s();
        for (long k = 0; k < inner; k++) job(ctx);
        t[r] = (now_s() - t0) / (double)inner;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    return t[reps / 2];
}

/* Medians of two jobs timed in alternating order, so warm-up and drift hit both alike. */
static void time_pair(job_fn a, job_fn b, void *ctx, int reps, double min_s, double *ta, double *tb) {
    double t0 = now_s();
    a(ctx), b(ctx);
    double once = (now_s() - t0) / 2;
    long inner = once >= min_s ? 1 : (long)(min_s / (once + 1e-9)) + 1;
    double x[32], y[32];
    if (reps > 32) reps = 32;
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            job_fn f = (r + k) % 2 ? b : a;
            t0 = now_s();
            for (long i = 0; i < inner; i++) f(ctx);
            double t = (now_s() - t0) / (double)inner;
            if (f == a)
                x[r] = t;
            else
                y[r] = t;
        }
    qsort(x, (size_t)reps, sizeof *x, cmp_d);
    qsort(y, (size_t)reps, sizeof *y, cmp_d);
    *ta = x[reps / 2], *tb = y[reps / 2];
}

static void *xalloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) return NULL;
    return p;
}

static double memory_budget(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && size > 0 ? (double)pages * (double)size : 8e9;
    return phys / 3;
}

static void fill(float *x, size_t n, edl_rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = edl_rng_uniform(r) - 0.5f;
}

static int bench_fail(const char *what) {
    fprintf(stderr, "edl bench: %s: %s\n", what, edl_last_error());
    return 1;
}

/* ---- onehot: the same lookup as a gather and as one-hot x dense ------------------------- */

typedef struct {
    size_t rows, dim, batch;
    float *table, *table_t, *onehot, *out_e, *out_d, *dout, *dtable, *dw_t;
    int64_t *idx;
} oh_ctx;

static void emb_fwd(void *p) {
    oh_ctx *c = p;
    edl_embedding_forward(c->out_e, c->table, c->rows, c->dim, c->idx, c->batch);
}
static void emb_fwdbwd(void *p) {
    oh_ctx *c = p;
    emb_fwd(c);
    edl_embedding_backward(c->dtable, c->rows, c->dim, c->idx, c->batch, c->dout);
}
static void oh_fwd(void *p) {
    oh_ctx *c = p;
    edl_onehot(c->onehot, c->idx, c->batch, c->rows);
    edl_dense_forward(c->out_d, c->onehot, c->batch, c->rows, c->dim, c->table_t, NULL, EDL_ACT_NONE);
}
static void oh_fwdbwd(void *p) {
    oh_ctx *c = p;
    oh_fwd(c);
    edl_dense_backward(NULL, c->dw_t, NULL, c->dout, c->onehot, c->out_d, c->batch, c->rows, c->dim, c->table_t,
                       EDL_ACT_NONE);
}

static const char onehot_header[] =
    "rows,dim,batch,max_abs_diff_out,max_abs_diff_grad,embedding_fwd_s,onehot_fwd_s,embedding_fwdbwd_s,onehot_fwdbwd_s,"
    "index_bytes,onehot_bytes,embedding_params,dense_params";

static int bench_onehot(int csv, const char *svg, size_t max_rows, int reps) {
    const size_t dim = 64, batch = 1024;
    const size_t all_rows[] = {100, 1000, 10000, 100000, 1000000};
    double xs[5], ys[4][5];
    size_t np = 0;
    if (csv)
        puts(onehot_header);
    else
        printf("%8s %4s %5s %9s %9s %12s %12s %12s %12s %9s %12s %10s %10s\n", "rows", "dim", "batch", "diff_out",
               "diff_grad", "emb_fwd_s", "onehot_fwd_s", "emb_fb_s", "onehot_fb_s", "idx_B", "onehot_B", "emb_par",
               "dense_par");
    for (size_t ri = 0; ri < 5 && all_rows[ri] <= max_rows; ri++) {
        size_t rows = all_rows[ri];
        double need = 4.0 * ((double)batch * rows + 4.0 * rows * dim + 3.0 * batch * dim);
        if (need > memory_budget()) {
            fprintf(csv ? stderr : stdout,
                    "# rows=%zu skipped: the one-hot batch and tables need %.1f GB, over a third of memory\n", rows,
                    need / 1e9);
            continue;
        }
        oh_ctx c = {rows, dim, batch, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
        c.table = xalloc(rows * dim * 4), c.table_t = xalloc(rows * dim * 4), c.onehot = xalloc(batch * rows * 4);
        c.out_e = xalloc(batch * dim * 4), c.out_d = xalloc(batch * dim * 4), c.dout = xalloc(batch * dim * 4);
        c.dtable = xalloc(rows * dim * 4), c.dw_t = xalloc(rows * dim * 4), c.idx = xalloc(batch * 8);
        if (!c.table || !c.table_t || !c.onehot || !c.out_e || !c.out_d || !c.dout || !c.dtable || !c.dw_t || !c.idx) {
            fprintf(stderr, "edl bench: no memory for rows=%zu\n", rows);
            return 1;
        }
        edl_rng r;
        edl_rng_seed(&r, rows);
        fill(c.table, rows * dim, &r);
        fill(c.dout, batch * dim, &r);
        for (size_t i = 0; i < rows; i++)
            for (size_t d = 0; d < dim; d++) c.table_t[d * rows + i] = c.table[i * dim + d];
        for (size_t i = 0; i < batch; i++) c.idx[i] = (int64_t)edl_rng_below(&r, rows);
        /* equivalence, from zero gradients */
        memset(c.dtable, 0, rows * dim * 4), memset(c.dw_t, 0, rows * dim * 4);
        emb_fwdbwd(&c);
        oh_fwdbwd(&c);
        double dout_max = 0, dgrad_max = 0;
        for (size_t i = 0; i < batch * dim; i++) dout_max = fmax(dout_max, fabs((double)c.out_e[i] - c.out_d[i]));
        for (size_t i = 0; i < rows; i++)
            for (size_t d = 0; d < dim; d++)
                dgrad_max = fmax(dgrad_max, fabs((double)c.dtable[i * dim + d] - c.dw_t[d * rows + i]));
        int big = rows >= 100000;
        double te = time_job(emb_fwd, &c, reps, 0.02), to = time_job(oh_fwd, &c, big ? 1 : reps, big ? 0 : 0.02);
        double tef = time_job(emb_fwdbwd, &c, reps, 0.02),
               tof = time_job(oh_fwdbwd, &c, big ? 1 : reps, big ? 0 : 0.02);
        size_t ib = batch * 8, ob = batch * rows * 4, params = rows * dim;
        if (csv)
            printf("%zu,%zu,%zu,%.9g,%.9g,%.6g,%.6g,%.6g,%.6g,%zu,%zu,%zu,%zu\n", rows, dim, batch, dout_max, dgrad_max,
                   te, to, tef, tof, ib, ob, params, params);
        else
            printf("%8zu %4zu %5zu %9.2g %9.2g %12.3g %12.3g %12.3g %12.3g %9zu %12zu %10zu %10zu\n", rows, dim, batch,
                   dout_max, dgrad_max, te, to, tef, tof, ib, ob, params, params);
        fflush(stdout);
        xs[np] = (double)rows, ys[0][np] = te, ys[1][np] = to, ys[2][np] = tef, ys[3][np] = tof;
        np++;
        free(c.table), free(c.table_t), free(c.onehot), free(c.out_e), free(c.out_d), free(c.dout), free(c.dtable),
            free(c.dw_t), free(c.idx);
    }
    if (svg && np) {
        edl_plot_series s[4] = {{"embedding forward", xs, ys[0], np},
                                {"one-hot x dense forward", xs, ys[1], np},
                                {"embedding fwd+bwd", xs, ys[2], np},
                                {"one-hot x dense fwd+bwd", xs, ys[3], np}};
        edl_plot_opts o = {"The same lookup two ways (dim 64, batch 1024)",
                           "rows in the table",
                           "seconds per batch",
                           "edl bench onehot: median times; the one-hot way includes building the one-hot batch",
                           1,
                           1,
                           NULL,
                           NULL,
                           0};
        if (edl_plot_lines_svg(svg, &o, s, 4) != EDL_OK) return bench_fail(svg);
        fprintf(stderr, "wrote %s\n", svg);
    }
    return 0;
}

/* ---- lookup: cost per row as the table outgrows the caches ------------------------------ */

/* One call looks up n ids, the next n of a long list (so large tables are not served from
   the caches by repeated ids), into an output small enough to stay in cache. */
typedef struct {
    float *out;
    const float *table;
    size_t rows, dim, n;
    const int64_t *idx;
    size_t nidx, pos;
} lk_ctx;

static const int64_t *lk_next(lk_ctx *c) {
    const int64_t *ids = c->idx + c->pos;
    c->pos = c->pos + 2 * c->n <= c->nidx ? c->pos + c->n : 0;
    return ids;
}

static void lk_edl(void *p) {
    lk_ctx *c = p;
    edl_embedding_forward(c->out, c->table, c->rows, c->dim, lk_next(c), c->n);
}

/* The limit: the plain gather loop, on the same threads with the same schedule. */
static void lk_plain(void *p) {
    lk_ctx *c = p;
    const size_t bytes = c->dim * sizeof(float);
    const int64_t *ids = lk_next(c);
#pragma omp parallel for schedule(static) if (c->n * c->dim >= 32768)
    for (size_t i = 0; i < c->n; i++) memcpy(c->out + i * c->dim, c->table + (size_t)ids[i] * c->dim, bytes);
}

typedef struct {
    char *dst;
    const char *src;
    size_t n;
} cp_ctx;
static void copy_job(void *p) {
    cp_ctx *c = p;
    memcpy(c->dst, c->src, c->n);
}

/* Cache sizes from sysfs (0 when unknown). */
static double cache_bytes(int level) {
    char path[128], buf[64];
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        int lv = 0;
        int ok = fscanf(f, "%d", &lv) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        f = fopen(path, "r");
        char type[32] = "";
        if (f) {
            if (!fgets(type, sizeof type, f)) type[0] = '\0';
            fclose(f);
        }
        if (!ok || lv != level || !strncmp(type, "Instruction", 11)) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        f = fopen(path, "r");
        if (!f || !fgets(buf, sizeof buf, f)) {
            if (f) fclose(f);
            return 0;
        }
        fclose(f);
        double v = atof(buf);
        return strchr(buf, 'M') ? v * 1048576 : strchr(buf, 'K') ? v * 1024 : v;
    }
    return 0;
}

static const char lookup_header[] =
    "table_bytes,rows,dim,dist,edl_ns_per_row,gather_ns_per_row,memcpy_ns_per_row,edl_over_gather";

static int bench_lookup(int csv, const char *svg, double max_bytes, int reps) {
    const size_t dim = 64, n = 4096, nidx = 1 << 21, row_bytes = dim * sizeof(float);
    double budget = fmin(memory_budget(), max_bytes);
    /* the copy limit: a contiguous memcpy of 256 MiB, as ns per row */
    cp_ctx cp = {xalloc(256u << 20), xalloc(256u << 20), 256u << 20};
    if (!cp.dst || !cp.src) return 1;
    memset((char *)cp.src, 1, cp.n);
    double copy_s = time_job(copy_job, &cp, reps, 0.05), memcpy_ns = copy_s / (double)(cp.n / row_bytes) * 1e9;
    free(cp.dst), free((void *)cp.src);
    if (csv)
        puts(lookup_header);
    else
        printf("# contiguous memcpy: %.2f GB/s = %.2f ns per %zu-byte row; %d thread(s)\n%12s %10s %4s %8s %10s %10s "
               "%10s %8s\n",
               (double)(256u << 20) / copy_s / 1e9, memcpy_ns, row_bytes,
#ifdef _OPENMP
               omp_get_max_threads(),
#else
               1,
#endif
               "table_B", "rows", "dim", "dist", "edl_ns", "gather_ns", "memcpy_ns", "ratio");
    float *out = xalloc(n * row_bytes);
    int64_t *idx = xalloc(nidx * 8);
    double xs[16], ys[4][16];
    size_t np = 0;
    for (double bytes = 64 * 1024.0; bytes <= max_bytes * 1.0001; bytes *= 4) {
        if (bytes > budget) {
            fprintf(csv ? stderr : stdout, "# %.0f MiB table skipped: over the memory budget\n", bytes / 1048576);
            break;
        }
        size_t rows = (size_t)(bytes / (double)row_bytes);
        float *table = xalloc(rows * row_bytes);
        if (!table || !out || !idx) {
            fprintf(stderr, "edl bench: no memory for a %.0f MiB table\n", bytes / 1048576);
            return 1;
        }
        edl_rng r;
        edl_rng_seed(&r, rows);
        for (size_t i = 0; i < rows * dim; i++) table[i] = (float)(i & 1023);
        for (int dist = 0; dist < 2; dist++) {
            /* uniform, or Zipf-like (P(rank k) ~ 1/k, popular rows first, as a frequency-sorted
               vocabulary): the inverse of the continuous 1/x law */
            for (size_t i = 0; i < nidx; i++) {
                if (!dist)
                    idx[i] = (int64_t)edl_rng_below(&r, rows);
                else {
                    double k = exp(edl_rng_uniform(&r) * log((double)rows + 1.0)) - 1.0;
                    idx[i] = (int64_t)k < (int64_t)rows ? (int64_t)k : (int64_t)rows - 1;
                }
            }
            lk_ctx c = {out, table, rows, dim, n, idx, nidx, 0};
            double te, tg;
            time_pair(lk_edl, lk_plain, &c, reps, 0.02, &te, &tg);
            te *= 1e9 / (double)n, tg *= 1e9 / (double)n;
            const char *dn = dist ? "zipf" : "uniform";
            if (csv)
                printf("%.0f,%zu,%zu,%s,%.4g,%.4g,%.4g,%.4g\n", bytes, rows, dim, dn, te, tg, memcpy_ns, tg / te);
            else
                printf("%12.0f %10zu %4zu %8s %10.3g %10.3g %10.3g %8.3f\n", bytes, rows, dim, dn, te, tg, memcpy_ns,
                       tg / te);
            fflush(stdout);
            ys[dist][np] = te, ys[2 + dist][np] = tg;
        }
        xs[np++] = bytes;
        free(table);
    }
    free(out), free(idx);
    if (svg && np) {
        edl_plot_series s[4] = {{"edl, uniform ids", xs, ys[0], np},
                                {"edl, Zipf ids", xs, ys[1], np},
                                {"plain gather, uniform", xs, ys[2], np},
                                {"plain gather, Zipf", xs, ys[3], np}};
        double marks[3] = {cache_bytes(1), cache_bytes(2), cache_bytes(3)};
        const char *labels[3] = {"L1", "L2", "L3"};
        char caption[160];
        snprintf(caption, sizeof caption,
                 "edl bench lookup: dim 64 (256-byte rows), 4096 lookups a call over 2M ids; memcpy: %.2f ns per row",
                 memcpy_ns);
        edl_plot_opts o = {"Cost of a lookup as the table grows",
                           "table size (bytes)",
                           "ns per looked-up row",
                           caption,
                           1,
                           1,
                           marks,
                           labels,
                           3};
        if (edl_plot_lines_svg(svg, &o, s, 4) != EDL_OK) return bench_fail(svg);
        fprintf(stderr, "wrote %s\n", svg);
    }
    return 0;
}

/* ---- kernels: each as a rate and a fraction of its limit --------------------------------- */

typedef struct {
    size_t rows, dim, n, bags, b, in, out;
    float *table, *dtable, *outb, *dout, *x, *w, *bias, *y, *dy, *dx, *dw, *db;
    int64_t *idx, *offsets;
    edl_pool pool;
} k_ctx;

static void k_emb_fwd(void *p) {
    k_ctx *c = p;
    edl_embedding_forward(c->outb, c->table, c->rows, c->dim, c->idx, c->n);
}
static void k_emb_bwd(void *p) {
    k_ctx *c = p;
    edl_embedding_backward(c->dtable, c->rows, c->dim, c->idx, c->n, c->dout);
}
static void k_bag_fwd(void *p) {
    k_ctx *c = p;
    edl_embedding_bag_forward(c->outb, NULL, c->table, c->rows, c->dim, c->idx, c->n, c->offsets, c->bags, NULL,
                              c->pool, -1);
}
static void k_bag_bwd(void *p) {
    k_ctx *c = p;
    edl_embedding_bag_backward(c->dtable, c->rows, c->dim, c->idx, c->n, c->offsets, c->bags, NULL, c->pool, -1, NULL,
                               c->dout);
}
static void k_gather(void *p) {
    k_ctx *c = p;
    lk_ctx l = {c->outb, c->table, c->rows, c->dim, c->n, c->idx, c->n, 0};
    lk_plain(&l);
}
static void k_dense_fwd(void *p) {
    k_ctx *c = p;
    edl_dense_forward(c->y, c->x, c->b, c->in, c->out, c->w, c->bias, EDL_ACT_RELU);
}
static void k_dense_bwd(void *p) {
    k_ctx *c = p;
    edl_dense_backward(c->dx, c->dw, c->db, c->dy, c->x, c->y, c->b, c->in, c->out, c->w, EDL_ACT_RELU);
}
static void k_sgemm(void *p) {
    k_ctx *c = p;
    edl_sgemm(0, 1, c->b, c->out, c->in, 1.0f, c->x, c->in, c->w, c->in, 0.0f, c->y, c->out);
}

static const char kernels_header[] = "kernel,shape,seconds,rate,unit,limit_rate,fraction_of_limit";

/* What kernel_row printed, for the chart. */
typedef struct {
    double x[16], frac[16];
    const char *names[16];
    size_t n;
} kernel_chart;
static kernel_chart kchart; /* (the CLI's own state: one bench per process) */

static void kernel_row(int csv, const char *k, const char *shape, double s, double rate, const char *unit,
                       double limit) {
    if (kchart.n < 16) {
        kchart.x[kchart.n] = (double)(kchart.n + 1), kchart.frac[kchart.n] = rate / limit, kchart.names[kchart.n] = k;
        kchart.n++;
    }
    if (csv)
        printf("%s,%s,%.6g,%.4g,%s,%.4g,%.3f\n", k, shape, s, rate, unit, limit, rate / limit);
    else
        printf("%-16s %-22s %11.3g %9.2f %-7s %9.2f %8.3f\n", k, shape, s, rate, unit, limit, rate / limit);
    fflush(stdout);
}

static int bench_kernels(int csv, const char *svg, int reps) {
    if (csv)
        puts(kernels_header);
    else
        printf("%-16s %-22s %11s %9s %-7s %9s %8s\n", "kernel", "shape", "seconds", "rate", "unit", "limit",
               "fraction");
    edl_rng r;
    edl_rng_seed(&r, 3);
    /* lookups: a 25.6 MB table (100k x 64), 16384 ids in 512 bags of 32 */
    k_ctx c = {.rows = 100000, .dim = 64, .n = 16384, .bags = 512, .pool = EDL_POOL_SUM};
    c.table = xalloc(c.rows * c.dim * 4), c.dtable = xalloc(c.rows * c.dim * 4), c.outb = xalloc(c.n * c.dim * 4);
    c.dout = xalloc(c.n * c.dim * 4), c.idx = xalloc(c.n * 8), c.offsets = xalloc(c.bags * 8);
    if (!c.table || !c.dtable || !c.outb || !c.dout || !c.idx || !c.offsets) return 1;
    fill(c.table, c.rows * c.dim, &r);
    fill(c.dout, c.n * c.dim, &r);
    memset(c.dtable, 0, c.rows * c.dim * 4);
    for (size_t i = 0; i < c.n; i++) c.idx[i] = (int64_t)edl_rng_below(&r, c.rows);
    for (size_t b = 0; b < c.bags; b++) c.offsets[b] = (int64_t)(b * (c.n / c.bags));
    double bytes = (double)c.n * (double)c.dim * 4, limit = bytes / time_job(k_gather, &c, reps, 0.02) / 1e9;
    const char *shape = "100000x64, 16384 ids";
    kernel_row(csv, "embedding_fwd", shape, time_job(k_emb_fwd, &c, reps, 0.02),
               bytes / time_job(k_emb_fwd, &c, reps, 0.02) / 1e9, "GB/s", limit);
    double t = time_job(k_emb_bwd, &c, reps, 0.02);
    kernel_row(csv, "embedding_bwd", shape, t, bytes / t / 1e9, "GB/s", limit);
    const char *bshape = "100000x64, 512 bags x 32";
    for (int pool = 0; pool < 2; pool++) {
        c.pool = pool ? EDL_POOL_MEAN : EDL_POOL_SUM;
        t = time_job(k_bag_fwd, &c, reps, 0.02);
        kernel_row(csv, pool ? "bag_fwd_mean" : "bag_fwd_sum", bshape, t, bytes / t / 1e9, "GB/s", limit);
        t = time_job(k_bag_bwd, &c, reps, 0.02);
        kernel_row(csv, pool ? "bag_bwd_mean" : "bag_bwd_sum", bshape, t, bytes / t / 1e9, "GB/s", limit);
    }
    free(c.table), free(c.dtable), free(c.outb), free(c.dout), free(c.idx), free(c.offsets);
    /* dense layers, against the sgemm of the same product in the same run */
    const size_t shapes[3][3] = {{1024, 512, 512}, {256, 64, 128}, {64, 64, 10}};
    for (int s = 0; s < 3; s++) {
        k_ctx d = {0};
        d.b = shapes[s][0], d.in = shapes[s][1], d.out = shapes[s][2];
        d.x = xalloc(d.b * d.in * 4), d.w = xalloc(d.out * d.in * 4), d.bias = xalloc(d.out * 4),
        d.y = xalloc(d.b * d.out * 4);
        d.dy = xalloc(d.b * d.out * 4), d.dx = xalloc(d.b * d.in * 4), d.dw = xalloc(d.out * d.in * 4),
        d.db = xalloc(d.out * 4);
        if (!d.x || !d.w || !d.bias || !d.y || !d.dy || !d.dx || !d.dw || !d.db) return 1;
        fill(d.x, d.b * d.in, &r), fill(d.w, d.out * d.in, &r), fill(d.bias, d.out, &r), fill(d.dy, d.b * d.out, &r);
        memset(d.dw, 0, d.out * d.in * 4), memset(d.db, 0, d.out * 4);
        double flops = 2.0 * (double)d.b * (double)d.in * (double)d.out,
               gemm = flops / time_job(k_sgemm, &d, reps, 0.02) / 1e9;
        char sh[48];
        snprintf(sh, sizeof sh, "%zux%zu->%zu", d.b, d.in, d.out);
        t = time_job(k_dense_fwd, &d, reps, 0.02);
        kernel_row(csv, "dense_fwd", sh, t, flops / t / 1e9, "GFLOP/s", gemm);
        t = time_job(k_dense_bwd, &d, reps, 0.02);
        kernel_row(csv, "dense_bwd", sh, t, 2 * flops / t / 1e9, "GFLOP/s", gemm);
        free(d.x), free(d.w), free(d.bias), free(d.y), free(d.dy), free(d.dx), free(d.dw), free(d.db);
    }
    if (svg && kchart.n) {
        edl_plot_series series = {"edl / limit", kchart.x, kchart.frac, kchart.n};
        edl_plot_opts o = {"Each kernel as a fraction of its limit",
                           "kernel (numbered as printed; names at the marks)",
                           "rate / limit measured in the same run",
                           "lookups: limit = plain gather loop; dense: limit = sgemm of the same product",
                           0,
                           0,
                           kchart.x,
                           kchart.names,
                           kchart.n};
        if (edl_plot_lines_svg(svg, &o, &series, 1) != EDL_OK) return bench_fail(svg);
        fprintf(stderr, "wrote %s\n", svg);
    }
    return 0;
}

int cmd_bench(int argc, char **argv) {
    const char *svg = NULL;
    int csv = 0, reps = 5;
    size_t max_rows = 1000000;
    float max_gb = 4.0f;
    const arg_spec specs[] = {
        {"csv", ARG_BOOL, &csv, "print CSV (--csv alone, or 1)"},
        {"svg", ARG_STR, &svg, "write an SVG chart of the results"},
        {"reps", ARG_INT, &reps, "samples per median"},
        {"max-rows", ARG_SIZE, &max_rows, "onehot: largest table"},
        {"max-gb", ARG_FLOAT, &max_gb, "lookup: largest table in GiB"},
    };
    static const char usage[] =
        "usage: edl bench onehot|lookup|kernels [--csv] [--svg FILE] [--reps N] [--max-rows N] [--max-gb G]\n";
    const arg_cmd ac = {"bench", usage, specs, sizeof specs / sizeof specs[0]};
    const char *pos[1];
    int parsed = args_parse(&ac, argc, argv, 2, pos, 1);
    const char *which = parsed == 1 ? pos[0] : "";
    if (parsed < 0 || (strcmp(which, "onehot") && strcmp(which, "lookup") && strcmp(which, "kernels")))
        return args_usage_exit(&ac, parsed == ARGS_HELP ? ARGS_HELP : -1);
    if (reps < 1 || reps > 1000) return (fprintf(stderr, "edl bench: -reps %d must be in [1, 1000]\n", reps), 2);
    if (!(max_gb > 0)) return (fprintf(stderr, "edl bench: -max-gb %g must be above 0\n", max_gb), 2);
    if ((double)max_gb * 1073741824.0 > memory_budget())
        return (fprintf(stderr,
                        "edl bench: -max-gb %g is more than a third of this machine's memory (%.1f GiB): the table "
                        "would not fit\n",
                        max_gb, memory_budget() / 1073741824.0),
                2);
    char svg_path[4096];
    if (svg && cli_output_path("bench", "-svg", svg, "", svg_path, sizeof svg_path)) return 1;
    if (!strcmp(which, "onehot")) return bench_onehot(csv, svg, max_rows, reps);
    if (!strcmp(which, "lookup")) return bench_lookup(csv, svg, (double)max_gb * 1073741824.0, reps);
    return bench_kernels(csv, svg, reps);
}
