/* Embedding lookup against the physical limit, measured in one run: a plain memcpy-per-row
 * gather loop (the same threads and schedule) and a contiguous memcpy. For a table that fits in
 * cache and one far larger than the last-level cache.
 *
 *   build/bench_embedding [reps] [large_table_MiB]     (default 9 reps, 1024 MiB)
 */
#include "bench.h"
#include "edl.h"

#include <stdint.h>

/* The baseline: what any C programmer would write for a gather. */
static void gather_memcpy(float *out, const float *table, size_t dim, const int64_t *idx, size_t n) {
    const size_t bytes = dim * sizeof(float);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) memcpy(out + i * dim, table + (size_t)idx[i] * dim, bytes);
}

/* The scatter-add baseline for the backward, single pass (not thread-safe with duplicates, so
   one thread: the floor for a correct serial implementation). */
static void scatter_add(float *dtable, size_t dim, const int64_t *idx, size_t n, const float *dout) {
    for (size_t i = 0; i < n; i++) {
        float *r = dtable + (size_t)idx[i] * dim;
        const float *g = dout + i * dim;
        for (size_t d = 0; d < dim; d++) r[d] += g[d];
    }
}

static void run(const char *label, size_t rows, size_t dim, size_t n, int reps) {
    edl_rng rng;
    edl_rng_seed(&rng, 11);
    size_t table_bytes = rows * dim * sizeof(float);
    float *table = bench_alloc(table_bytes), *dtable = bench_alloc(table_bytes);
    for (size_t i = 0; i < rows * dim; i++) table[i] = (float)(i & 1023) * 0.001f;
    memset(dtable, 0, table_bytes);
    float *out = bench_alloc(n * dim * sizeof(float)), *dout = bench_alloc(n * dim * sizeof(float));
    for (size_t i = 0; i < n * dim; i++) dout[i] = 0.5f;
    int64_t *idx = bench_alloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++) idx[i] = (int64_t)edl_rng_below(&rng, rows);

    double t_base[64], t_edl[64], t_copy[64], t_bwd[64], t_scatter[64];
    for (int w = 0; w < 2; w++) {
        gather_memcpy(out, table, dim, idx, n);
        edl_embedding_forward(out, table, rows, dim, idx, n);
    }
    /* Enough calls per sample for ~10 ms, so short calls are timed above the clock's noise. */
    double tw = bench_now();
    edl_embedding_forward(out, table, rows, dim, idx, n);
    tw = bench_now() - tw;
    int inner = tw > 0.01 ? 1 : (int)(0.01 / (tw + 1e-9)) + 1;
#define TIMED(t, stmt)                           \
    do {                                         \
        double t0_ = bench_now();                \
        for (int k_ = 0; k_ < inner; k_++) stmt; \
        t = (bench_now() - t0_) / inner;         \
    } while (0)
    for (int r = 0; r < reps; r++) {
        /* Interleaved, and in alternating order, so drift and cache state hit both alike. */
        if (r % 2 == 0) {
            TIMED(t_base[r], gather_memcpy(out, table, dim, idx, n));
            TIMED(t_edl[r], edl_embedding_forward(out, table, rows, dim, idx, n));
        } else {
            TIMED(t_edl[r], edl_embedding_forward(out, table, rows, dim, idx, n));
            TIMED(t_base[r], gather_memcpy(out, table, dim, idx, n));
        }
        TIMED(t_copy[r],
              memcpy(out, table, n * dim * sizeof(float) < table_bytes ? n * dim * sizeof(float) : table_bytes));
        TIMED(t_bwd[r], edl_embedding_backward(dtable, rows, dim, idx, n, dout));
        TIMED(t_scatter[r], scatter_add(dtable, dim, idx, n, dout));
    }
    double base = bench_median(t_base, reps), fwd = bench_median(t_edl, reps);
    double copy = bench_median(t_copy, reps), bwd = bench_median(t_bwd, reps);
    double scat = bench_median(t_scatter, reps);
    double moved = (double)n * (double)dim * sizeof(float); /* bytes gathered */
    size_t copied = n * dim * sizeof(float) < table_bytes ? n * dim * sizeof(float) : table_bytes;
    printf("\n%s: table %zu x %zu (%.1f MiB), %zu random lookups, %d threads, median of %d x %d calls\n", label, rows,
           dim, (double)table_bytes / 1048576.0, n, bench_threads(), reps, inner);
    printf("  contiguous memcpy, 1 thread  %8.2f GB/s   (the plain copy rate)\n", (double)copied / copy * 1e-9);
    printf("  memcpy-per-row gather loop   %8.2f GB/s   %6.1f ns/row\n", moved / base * 1e-9, base / (double)n * 1e9);
    printf("  edl_embedding_forward        %8.2f GB/s   %6.1f ns/row\n", moved / fwd * 1e-9, fwd / (double)n * 1e9);
    printf("  ratio edl forward / gather loop: %.3f\n", base / fwd);
    printf("  edl_embedding_backward       %8.2f GB/s   %6.1f ns/row  (scatter-add, race-free)\n", moved / bwd * 1e-9,
           bwd / (double)n * 1e9);
    printf("  plain serial scatter-add     %8.2f GB/s   ratio edl / plain %.3f\n", moved / scat * 1e-9, scat / bwd);
    free(table), free(dtable), free(out), free(dout), free(idx);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    if (reps < 1 || reps > 64) reps = 9;
    size_t large_mib = argc > 2 ? (size_t)atol(argv[2]) : 1024;
    if (large_mib < 1) large_mib = 1024;
    printf("edl %s (%s)\n", edl_version_string(), edl_build_info());
    const size_t dim = 64;
    run("in cache", 4096, dim, 4096, reps);              /* 1 MiB table, L2 */
    run("in cache, long batch", 4096, dim, 65536, reps); /* output streams */
    run("far beyond the LLC", large_mib * 1048576 / (dim * sizeof(float)), dim, 1 << 20, reps);
    return 0;
}
