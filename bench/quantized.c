/* Compressed tables: size, recall@10 of nearest neighbours against the float table, query time.
 *
 *   build/bench_quantized make TABLE N DIM [seed=1]      a structured N x DIM float32 table
 *   build/bench_quantized truth TABLE N DIM NQ TRUTH     exact top 10 of NQ queries (and float nn's time)
 *   build/bench_quantized run TABLE N DIM TRUTH SCHEME [OUT.safetensors]
 *
 * The table (make): rows clustered in a low-rank space plus noise, each of unit length (so cosine,
 * inner product and L2 order neighbours alike, and FAISS's inner-product indexes answer the same
 * question): 2,000 centres in a 48-dimensional latent space, a row = its centre + N(0, 0.7^2)
 * per latent value, mapped to DIM by a fixed Gaussian matrix, + N(0, 0.05^2) per value. Written
 * as raw little-endian float32 (N * DIM * 4 bytes), read by this program and by
 * bench/quantized_faiss.cpp.
 *
 * The queries: NQ rows spread evenly over the table (row q * N / NQ), each asking for its 10
 * nearest rows but itself, as `edl nn` does. truth: the exact cosine top 10 on the floats (one
 * GEMM per block of rows), and edl_vectors_nearest's time on the float table for the first 20.
 *
 * run: SCHEME is int8 or pq:M. The table is quantized with edl_vectors_quantize, written with
 * edl_vectors_write (safetensors: the size is the file's), read back with edl_vectors_read, and
 * every query (its float row, as FAISS is asked) answered by edl_vectors_nearest on the
 * compressed rows (one thread, one query at a time). Prints one line: scheme, bytes a row, file bytes, compression, quantize seconds,
 * recall@10, median and mean milliseconds a query.
 */
#include "bench.h"
#include "edl.h"
#include "edl_text.h"

#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

enum { K = 10, LATENT = 48, CENTRES = 2000 };

static float *read_table(const char *path, size_t n, size_t dim) {
    FILE *f = fopen(path, "rb");
    float *t = bench_alloc(n * dim * sizeof *t);
    if (!f || fread(t, sizeof *t, n * dim, f) != n * dim) {
        fprintf(stderr, "bench_quantized: cannot read %zu x %zu floats from %s\n", n, dim, path);
        exit(1);
    }
    fclose(f);
    return t;
}

static int make(const char *path, size_t n, size_t dim, uint64_t seed) {
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    float *centre = bench_alloc(CENTRES * LATENT * sizeof *centre), *map = bench_alloc(LATENT * dim * sizeof *map);
    for (size_t i = 0; i < (size_t)CENTRES * LATENT; i++) centre[i] = edl_rng_normal(&rng);
    for (size_t i = 0; i < LATENT * dim; i++) map[i] = edl_rng_normal(&rng) / sqrtf((float)LATENT);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return 1;
    }
    float *row = bench_alloc(dim * sizeof *row), z[LATENT];
    for (size_t i = 0; i < n; i++) {
        const float *c = centre + edl_rng_below(&rng, CENTRES) * LATENT;
        for (int l = 0; l < LATENT; l++) z[l] = c[l] + 0.7f * edl_rng_normal(&rng);
        double norm = 0;
        for (size_t d = 0; d < dim; d++) {
            float x = 0.05f * edl_rng_normal(&rng);
            for (int l = 0; l < LATENT; l++) x += z[l] * map[(size_t)l * dim + d];
            row[d] = x, norm += (double)x * x;
        }
        for (size_t d = 0; d < dim; d++) row[d] = (float)(row[d] / sqrt(norm));
        fwrite(row, sizeof *row, dim, f);
    }
    free(centre), free(map), free(row);
    return fclose(f) ? 1 : 0;
}

/* the exact top K (cosine; rows are unit length, so dot products) of each query, itself excluded */
static int truth(const char *path, size_t n, size_t dim, size_t nq, const char *out) {
    float *t = read_table(path, n, dim), *q = bench_alloc(nq * dim * sizeof *q);
    for (size_t j = 0; j < nq; j++) memcpy(q + j * dim, t + (j * n / nq) * dim, dim * sizeof *q);
    const size_t block = 20000;
    float *s = bench_alloc(nq * block * sizeof *s), *best = bench_alloc(nq * K * sizeof *best);
    int64_t *ids = bench_alloc(nq * K * sizeof *ids);
    for (size_t j = 0; j < nq * K; j++) best[j] = -INFINITY, ids[j] = -1;
    for (size_t b = 0; b < n; b += block) {
        size_t m = n - b < block ? n - b : block;
        edl_dense_forward(s, q, nq, dim, m, t + b * dim, NULL, EDL_ACT_NONE);
        for (size_t j = 0; j < nq; j++)
            for (size_t i = 0; i < m; i++) {
                float v = s[j * m + i];
                float *bj = best + j * K;
                int64_t *ij = ids + j * K;
                if (b + i == j * n / nq || v <= bj[K - 1]) continue;
                int p = K - 1;
                while (p > 0 && bj[p - 1] < v) bj[p] = bj[p - 1], ij[p] = ij[p - 1], p--;
                bj[p] = v, ij[p] = (int64_t)(b + i);
            }
    }
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(ids, sizeof *ids, nq * K, f) != nq * K || fclose(f)) {
        perror(out);
        return 1;
    }
    /* edl nn's float path, for the time a query takes on the uncompressed table */
    char **words = malloc(n * sizeof *words);
    for (size_t i = 0; i < n; i++) {
        words[i] = malloc(24);
        snprintf(words[i], 24, "%zu", i);
    }
    edl_vectors *v;
    if (edl_vectors_create(&v, (const char *const *)words, t, n, dim) != EDL_OK) {
        fprintf(stderr, "%s\n", edl_last_error());
        return 1;
    }
    double ms[20], total = 0;
    size_t nt = nq < 20 ? nq : 20, hits = 0;
    for (size_t j = 0; j < nt; j++) {
        int64_t got[K], self = (int64_t)(j * n / nq);
        float sims[K];
        size_t cnt;
        double t0 = bench_now();
        edl_vectors_nearest(v, edl_vectors_row(v, (size_t)self), K, 0, &self, 1, got, sims, &cnt);
        ms[j] = 1e3 * (bench_now() - t0), total += ms[j];
        for (size_t a = 0; a < cnt; a++)
            for (size_t c = 0; c < K; c++) hits += got[a] == ids[j * K + c];
    }
    printf("float\t%zu\t%zu\t1.00\t0\t%.4f\t%.3f\t%.3f\n", dim * 4, n * dim * 4, (double)hits / (double)(nt * K),
           bench_median(ms, (int)nt), total / (double)nt);
    for (size_t i = 0; i < n; i++) free(words[i]);
    free(words), free(t), free(q), free(s), free(best), free(ids);
    edl_vectors_free(v);
    return 0;
}

static int run(const char *path, size_t n, size_t dim, const char *truth_path, const char *scheme, const char *out) {
    edl_quant_kind kind = EDL_QUANT_INT8;
    size_t m = 0;
    if (!strncmp(scheme, "pq:", 3))
        kind = EDL_QUANT_PQ, m = (size_t)atol(scheme + 3);
    else if (strcmp(scheme, "int8")) {
        fprintf(stderr, "bench_quantized: scheme %s is not int8 or pq:M\n", scheme);
        return 2;
    }
    FILE *f = fopen(truth_path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb)) {
        perror(truth_path);
        return 1;
    }
    size_t nq = (size_t)sb.st_size / (K * sizeof(int64_t));
    int64_t *ids = bench_alloc(nq * K * sizeof *ids);
    if (fread(ids, sizeof *ids, nq * K, f) != nq * K) return 1;
    fclose(f);
    float *t = read_table(path, n, dim);
    char **words = malloc(n * sizeof *words);
    for (size_t i = 0; i < n; i++) {
        words[i] = malloc(24);
        snprintf(words[i], 24, "%zu", i);
    }
    edl_vectors *v, *vq, *back;
    if (edl_vectors_create(&v, (const char *const *)words, t, n, dim) != EDL_OK) return 1;
    for (size_t i = 0; i < n; i++) free(words[i]);
    free(words);
    /* the queries: the float rows (as FAISS is asked); `edl nn WORD` on a compressed file would
       ask with the word's decoded row */
    size_t nq0 = nq;
    float *queries = bench_alloc(nq0 * dim * sizeof *queries);
    for (size_t j = 0; j < nq0; j++) memcpy(queries + j * dim, t + (j * n / nq0) * dim, dim * sizeof *queries);
    free(t);
    double t0 = bench_now();
    if (edl_vectors_quantize(&vq, v, kind, m, 1) != EDL_OK) {
        fprintf(stderr, "bench_quantized: %s\n", edl_last_error());
        return 1;
    }
    double tq = bench_now() - t0;
    edl_vectors_free(v);
    if (edl_vectors_write(vq, out, EDL_VEC_SAFETENSORS) != EDL_OK || stat(out, &sb) ||
        edl_vectors_read(&back, out, EDL_VEC_AUTO) != EDL_OK) {
        fprintf(stderr, "bench_quantized: %s\n", edl_last_error());
        return 1;
    }
    edl_vectors_free(vq);
    double *ms = bench_alloc(nq * sizeof *ms), total = 0;
    size_t hits = 0;
    for (size_t j = 0; j < nq; j++) {
        int64_t got[K], self = (int64_t)(j * n / nq);
        float sims[K];
        size_t cnt;
        const float *qv = queries + j * dim;
        double a = bench_now();
        edl_vectors_nearest(back, qv, K, 0, &self, 1, got, sims, &cnt);
        ms[j] = 1e3 * (bench_now() - a), total += ms[j];
        for (size_t x = 0; x < cnt; x++)
            for (size_t c = 0; c < K; c++) hits += got[x] == ids[j * K + c];
    }
    size_t table = edl_vectors_table_bytes(back);
    printf("edl %s\t%.1f\t%lld\t%.2f\t%.1f\t%.4f\t%.3f\t%.3f\n", scheme, (double)table / (double)n,
           (long long)sb.st_size, (double)n * dim * 4 / (double)table, tq, (double)hits / (double)(nq * K),
           bench_median(ms, (int)nq), total / (double)nq);
    edl_vectors_free(back);
    free(ms), free(queries), free(ids);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 5 && !strcmp(argv[1], "make"))
        return make(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]), argc > 5 ? (uint64_t)atoll(argv[5]) : 1);
    if (argc == 7 && !strcmp(argv[1], "truth"))
        return truth(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]), (size_t)atol(argv[5]), argv[6]);
    if (argc >= 7 && !strcmp(argv[1], "run"))
        return run(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]), argv[5], argv[6],
                   argc > 7 ? argv[7] : "/tmp/bench_quantized.safetensors");
    fprintf(stderr, "usage: bench_quantized make TABLE N DIM [seed] | truth TABLE N DIM NQ TRUTH | run TABLE N DIM "
                    "TRUTH int8|pq:M [OUT.safetensors]\n");
    return 2;
}
