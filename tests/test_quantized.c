/* Compressed tables: int8 rows (quantize, dequantize, the int8 embedding bag against the float
 * kernel on the dequantized table, index errors), the quantized table's kernels against their
 * naive references, nearest-neighbour recall of int8 and pq against the float table, the files
 * (round trip, malformed and truncated files refused with named errors), quantized
 * recommenders, and the CLI (convert -quantize, nn, analogies, recommend topk/similar). */
#include "harness.h"
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/qtable.h"

#include <sys/stat.h>
#include <unistd.h>

static float *random_table(size_t rows, size_t dim, uint64_t seed) {
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    float *t = malloc(rows * dim * sizeof *t);
    for (size_t i = 0; t && i < rows * dim; i++) t[i] = edl_rng_normal(&rng) * (1.0f + (float)(i / dim % 5));
    return t;
}

/* rows in ncl clusters of a low-rank space plus noise: neighbours that mean something */
static float *clustered_table(size_t rows, size_t dim, size_t ncl, uint64_t seed) {
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    float *c = malloc(ncl * dim * sizeof *c), *t = malloc(rows * dim * sizeof *t);
    for (size_t i = 0; c && i < ncl * dim; i++) c[i] = edl_rng_normal(&rng);
    for (size_t r = 0; c && t && r < rows; r++)
        for (size_t d = 0; d < dim; d++) t[r * dim + d] = c[(r % ncl) * dim + d] + 0.6f * edl_rng_normal(&rng);
    free(c);
    return t;
}

TEST(int8_rows_round_trip_within_half_a_step) {
    const size_t rows = 40, dim = 37;
    float *t = random_table(rows, dim, 3), *back = malloc(rows * dim * sizeof *back), so[2 * 40];
    uint8_t codes[40 * 37];
    for (size_t d = 0; d < dim; d++) t[5 * dim + d] = 0.25f; /* a constant row: exact */
    CHECK_OK(edl_int8_rows_quantize(codes, so, t, rows, dim));
    CHECK_OK(edl_int8_rows_dequantize(back, codes, so, rows, dim));
    for (size_t r = 0; r < rows; r++) {
        float lo = t[r * dim], hi = t[r * dim];
        for (size_t d = 0; d < dim; d++) lo = fminf(lo, t[r * dim + d]), hi = fmaxf(hi, t[r * dim + d]);
        CHECK(so[2 * r + 1] == lo);
        CHECK(fabsf(so[2 * r] - (hi - lo) / 255.0f) <= 1e-6f * (hi - lo));
        for (size_t d = 0; d < dim; d++)
            if (fabsf(back[r * dim + d] - t[r * dim + d]) > 0.5f * so[2 * r] * 1.0001f + 1e-6f)
                FAILF("row %zu value %zu: %g decoded as %g (scale %g)", r, d, (double)t[r * dim + d],
                      (double)back[r * dim + d], (double)so[2 * r]);
    }
    CHECK(so[2 * 5] == 0.0f && back[5 * dim + 3] == 0.25f);
    t[7 * dim + 11] = NAN; /* refused, naming the row and the column; nothing written */
    memset(codes, 0xAB, sizeof codes);
    CHECK_STATUS(edl_int8_rows_quantize(codes, so, t, rows, dim), EDL_ERR_NUMERIC);
    CHECK_ERROR_HAS("table[7][11]");
    CHECK(codes[0] == 0xAB);
    free(t), free(back);
}

TEST(int8_embedding_bag_equals_float_kernel_on_dequantized_table) {
    const size_t rows = 30, dims[] = {1, 16, 37, 70};
    const int64_t idx[] = {3, 29, 0, 3, 7, 7, 12, 5, 1, 2, 28, 9, 14};
    const size_t n = sizeof idx / sizeof idx[0];
    const int64_t offsets[] = {0, 4, 4, 9, 10}; /* bag 1 empty */
    const size_t bags = 5;
    const float w[] = {0.5f, -1, 2, 0.25f, 1, 3, -0.5f, 1.5f, 2, -2, 1, 0.75f, 4};
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const size_t dim = dims[di];
        float *t = random_table(rows, dim, 10 + di), *deq = malloc(rows * dim * sizeof *deq), so[2 * 30];
        uint8_t *codes = malloc(rows * dim);
        CHECK_OK(edl_int8_rows_quantize(codes, so, t, rows, dim));
        CHECK_OK(edl_int8_rows_dequantize(deq, codes, so, rows, dim));
        float *a = malloc(bags * dim * sizeof *a), *b = malloc(bags * dim * sizeof *b),
              *c = malloc(bags * dim * sizeof *c);
        int64_t *am = malloc(bags * dim * sizeof *am), *bm = malloc(bags * dim * sizeof *bm),
                *cm = malloc(bags * dim * sizeof *cm);
        for (int pool = 0; pool < 3; pool++)
            for (int weighted = 0; weighted < 2; weighted++)
                for (int64_t pad = -1; pad <= 7; pad += 8) { /* none, and row 7 as padding */
                    if (weighted && pool != EDL_POOL_SUM) continue;
                    const float *wt = weighted ? w : NULL;
                    int64_t *am_ = pool == EDL_POOL_MAX ? am : NULL, *bm_ = pool == EDL_POOL_MAX ? bm : NULL;
                    CHECK_OK(edl_embedding_bag_forward_int8(a, am_, codes, so, rows, dim, idx, n, offsets, bags, wt,
                                                            (edl_pool)pool, pad));
                    CHECK_OK(edl_embedding_bag_forward(b, bm_, deq, rows, dim, idx, n, offsets, bags, wt,
                                                       (edl_pool)pool, pad));
                    edl__embedding_bag_forward_int8_naive(c, pool == EDL_POOL_MAX ? cm : NULL, codes, so, dim, idx, n,
                                                          offsets, bags, wt, (edl_pool)pool, pad);
                    if (!CHECK_EQUAL_F(a, b, bags * dim) || !CHECK_EQUAL_F(c, b, bags * dim))
                        FAILF("dim %zu pool %d weighted %d padding %lld", dim, pool, weighted, (long long)pad);
                    for (size_t k = 0; pool == EDL_POOL_MAX && k < bags * dim; k++)
                        if (am[k] != bm[k] || cm[k] != bm[k])
                            FAILF("dim %zu max: argmax %zu is %lld / %lld, float %lld", dim, k, (long long)am[k],
                                  (long long)cm[k], (long long)bm[k]);
                }
        /* every out-of-range index is refused naming its value and position, the output untouched */
        int64_t bad[] = {3, 29, 30, 1};
        const int64_t off1[] = {0};
        for (size_t k = 0; k < bags * dim; k++) a[k] = 7.0f;
        CHECK_STATUS(
            edl_embedding_bag_forward_int8(a, NULL, codes, so, rows, dim, bad, 4, off1, 1, NULL, EDL_POOL_SUM, -1),
            EDL_ERR_INDEX);
        CHECK_ERROR_HAS("30");
        CHECK_ERROR_HAS("position 2");
        bad[2] = 0, bad[3] = -4;
        CHECK_STATUS(
            edl_embedding_bag_forward_int8(a, NULL, codes, so, rows, dim, bad, 4, off1, 1, NULL, EDL_POOL_MEAN, -1),
            EDL_ERR_INDEX);
        CHECK_ERROR_HAS("-4");
        CHECK_ERROR_HAS("position 3");
        CHECK(a[0] == 7.0f && a[dim - 1] == 7.0f);
        CHECK_STATUS(edl_embedding_bag_forward_int8(a, NULL, codes, NULL, rows, dim, idx, n, offsets, bags, NULL,
                                                    EDL_POOL_SUM, -1),
                     EDL_ERR_ARG);
        free(t), free(deq), free(codes), free(a), free(b), free(c), free(am), free(bm), free(cm);
    }
}

TEST(qtable_kernels_match_naive_references) {
    const size_t rows = 400, dim = 24;
    float *t = clustered_table(rows, dim, 16, 5), *q = random_table(1, dim, 77), row[24], dots[400], ref[400];
    for (int kind = EDL_QUANT_INT8; kind <= EDL_QUANT_PQ; kind++) {
        edl__qtable qt;
        CHECK_OK(edl__qt_build(&qt, (edl_quant_kind)kind, 6, t, rows, dim, 1));
        CHECK(qt.m == (kind == EDL_QUANT_INT8 ? dim : 6));
        float *lut = malloc(edl__qt_lut_floats(&qt) * sizeof *lut);
        edl__qt_prepare(&qt, q, lut);
        edl__qt_dots(&qt, lut, q, 0, rows, dots);
        edl__qt_dots_naive(&qt, q, 0, rows, ref);
        CHECK_CLOSE(dots, ref, rows, 1e-4, 1e-4);
        edl__qt_dots(&qt, lut, q, 123, 129, dots); /* a range */
        CHECK_CLOSE(dots, ref + 123, 6, 1e-4, 1e-4);
        /* the norms from the codes are the decoded rows' norms */
        for (size_t i = 0; i < rows; i += 37) {
            edl__qt_row(&qt, i, row);
            double n2 = 0;
            for (size_t d = 0; d < dim; d++) n2 += (double)row[d] * row[d];
            CHECK(fabs(qt.inv_norm[i] * sqrt(n2) - 1.0) < 1e-4);
        }
        /* nearest by cosine on the compressed rows = brute force over the decoded rows */
        int64_t ids[5], ex = 17;
        float sims[5];
        size_t cnt;
        CHECK_OK(edl__qt_nearest(&qt, q, 5, 0, rows, &ex, 1, ids, sims, &cnt));
        CHECK(cnt == 5);
        float best[5] = {-2, -2, -2, -2, -2};
        int64_t bid[5] = {-1, -1, -1, -1, -1};
        double qn = sqrt(edl__vec_dot(q, q, dim));
        for (size_t i = 0; i < rows; i++) {
            if ((int64_t)i == ex) continue;
            edl__qt_row(&qt, i, row);
            double dot = 0, n2 = 0;
            for (size_t d = 0; d < dim; d++) dot += (double)q[d] * row[d], n2 += (double)row[d] * row[d];
            float s = (float)(dot / (qn * sqrt(n2)));
            int p = 4;
            if (s <= best[4]) continue;
            while (p > 0 && best[p - 1] < s) best[p] = best[p - 1], bid[p] = bid[p - 1], p--;
            best[p] = s, bid[p] = (int64_t)i;
        }
        for (int j = 0; j < 5; j++) {
            CHECK(ids[j] == bid[j] || fabsf(sims[j] - best[j]) < 1e-5f);
            CHECK(fabsf(sims[j] - best[j]) < 1e-5f);
        }
        free(lut);
        edl__qt_free(&qt);
    }
    edl__qtable bad;
    CHECK_STATUS(edl__qt_build(&bad, EDL_QUANT_PQ, 7, t, rows, dim, 1), EDL_ERR_ARG); /* 7 does not divide 24 */
    CHECK_ERROR_HAS("pq:7");
    CHECK_STATUS(edl__qt_build(&bad, EDL_QUANT_PQ, 6, t, 100, dim, 1), EDL_ERR_ARG); /* < 256 rows */
    CHECK_ERROR_HAS("256");
    /* the fast 256-centroid search is the plain one */
    float ct[6 * 256], cn[256], x[6];
    edl_rng rng;
    edl_rng_seed(&rng, 9);
    for (int r = 0; r < 50; r++) {
        for (int k = 0; k < 6 * 256; k++) ct[k] = edl_rng_normal(&rng);
        for (int k = 0; k < 256; k++) {
            cn[k] = 0;
            for (int l = 0; l < 6; l++) cn[k] += ct[l * 256 + k] * ct[l * 256 + k];
        }
        for (int l = 0; l < 6; l++) x[l] = edl_rng_normal(&rng);
        float dist[256];
        for (int k = 0; k < 256; k++) {
            dist[k] = cn[k];
            for (int l = 0; l < 6; l++) dist[k] += -2.0f * x[l] * ct[l * 256 + k];
        }
        size_t want = 0;
        for (size_t k = 1; k < 256; k++)
            if (dist[k] < dist[want]) want = k;
        CHECK(edl__vec_nearest256(ct, cn, x, 6) == want);
        CHECK(edl__vec_argmin(dist, 256) == want);
    }
    free(t), free(q);
}

/* The mean share of the float table's 10 nearest (cosine) that the quantized set finds too, over
   queries at every 20th row (the query is its float row, itself excluded, as nn excludes it). */
static double recall_at_10(const edl_vectors *fl, const edl_vectors *qv, const float *t, size_t rows, size_t dim) {
    size_t hits = 0, total = 0;
    for (size_t r = 0; r < rows; r += 20) {
        int64_t a[10], b[10], self = (int64_t)r;
        float sa[10], sb[10];
        size_t na, nb;
        CHECK_OK(edl_vectors_nearest(fl, t + r * dim, 10, 0, &self, 1, a, sa, &na));
        CHECK_OK(edl_vectors_nearest(qv, t + r * dim, 10, 0, &self, 1, b, sb, &nb));
        for (size_t i = 0; i < na; i++)
            for (size_t j = 0; j < nb; j++) hits += a[i] == b[j];
        total += na;
    }
    return total ? (double)hits / (double)total : 0;
}

static edl_vectors *named(const float *t, size_t rows, size_t dim) {
    char **w = calloc(rows, sizeof *w);
    edl_vectors *v = NULL;
    if (!w) return NULL;
    for (size_t i = 0; i < rows; i++) {
        w[i] = malloc(24);
        if (w[i]) snprintf(w[i], 24, "w%zu", i);
    }
    CHECK_OK(edl_vectors_create(&v, (const char *const *)w, t, rows, dim));
    for (size_t i = 0; i < rows; i++) free(w[i]);
    free(w);
    return v;
}

TEST(quantized_vectors_recall_and_file_round_trip) {
    char dir[] = "/tmp/edl-qt-XXXXXX", path[96];
    CHECK(mkdtemp(dir) != NULL);
    const size_t rows = 3000, dim = 32;
    float *t = clustered_table(rows, dim, 150, 8);
    edl_vectors *fl = named(t, rows, dim);
    /* bounds: int8 keeps ~255 levels a row, pq:16 two values a byte, pq:8 four */
    const struct {
        edl_quant_kind kind;
        size_t m;
        double bound;
        size_t row_bytes;
    } cases[] = {{EDL_QUANT_INT8, 0, 0.97, 32 + 8}, {EDL_QUANT_PQ, 16, 0.85, 16}, {EDL_QUANT_PQ, 8, 0.70, 8}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        edl_vectors *qv = NULL, *back = NULL;
        CHECK_OK(edl_vectors_quantize(&qv, fl, cases[c].kind, cases[c].m, 1));
        CHECK(edl_vectors_quantized(qv) == cases[c].kind);
        CHECK(edl_vectors_row(qv, 0) == NULL && edl_vectors_count(qv) == rows && edl_vectors_dim(qv) == dim);
        size_t extra = cases[c].kind == EDL_QUANT_PQ ? dim * 256 * 4 : 0;
        CHECK(edl_vectors_table_bytes(qv) == rows * cases[c].row_bytes + extra);
        double rec = recall_at_10(fl, qv, t, rows, dim);
        fprintf(stderr, "    %s m=%zu: recall@10 %.4f (bound %.2f), %zu bytes (floats %zu)\n",
                edl_quant_name(cases[c].kind), cases[c].m, rec, cases[c].bound, edl_vectors_table_bytes(qv),
                rows * dim * 4);
        CHECK(rec >= cases[c].bound);
        /* the file keeps it compressed and gives the same answers, to the bit */
        snprintf(path, sizeof path, "%s/q%zu.safetensors", dir, c);
        CHECK_OK(edl_vectors_write(qv, path, EDL_VEC_AUTO));
        CHECK_OK(edl_vectors_read(&back, path, EDL_VEC_AUTO));
        CHECK(back && edl_vectors_quantized(back) == cases[c].kind && edl_vectors_count(back) == rows);
        struct stat sb;
        CHECK(stat(path, &sb) == 0 && (size_t)sb.st_size < rows * dim * 4 / 2);
        for (size_t r = 0; back && r < rows; r += 301) {
            int64_t a[5], b[5], self = (int64_t)r;
            float sa[5], sb2[5], ra[32], rb[32];
            size_t na, nb, len;
            CHECK_OK(edl_vectors_nearest(qv, t + r * dim, 5, 0, &self, 1, a, sa, &na));
            CHECK_OK(edl_vectors_nearest(back, t + r * dim, 5, 0, &self, 1, b, sb2, &nb));
            CHECK(na == nb && !memcmp(a, b, na * sizeof *a) && !memcmp(sa, sb2, na * sizeof *sa));
            CHECK_OK(edl_vectors_get(qv, r, ra));
            CHECK_OK(edl_vectors_get(back, r, rb));
            CHECK(!memcmp(ra, rb, sizeof ra));
            const char *w = edl_vectors_word(back, r, &len);
            CHECK(w && len >= 2 && w[0] == 'w' && (size_t)atol(w + 1) == r);
        }
        /* analogies run on it: b - a + c with a, b, c decoded */
        int64_t ids[3];
        float sims[3];
        size_t cnt;
        CHECK_OK(edl_vectors_analogy(back, 0, 150, 1, 3, 0, ids, sims, &cnt));
        CHECK(cnt == 3 && ids[0] != 0 && ids[0] != 150 && ids[0] != 1);
        CHECK_STATUS(edl_vectors_get(back, rows, sims), EDL_ERR_INDEX);
        /* written as text, the rows are decoded */
        snprintf(path, sizeof path, "%s/q%zu.vec", dir, c);
        edl_vectors *txt = NULL;
        CHECK_OK(edl_vectors_write(back, path, EDL_VEC_TEXT));
        CHECK_OK(edl_vectors_read(&txt, path, EDL_VEC_AUTO));
        float rb[32];
        CHECK_OK(edl_vectors_get(back, 7, rb));
        CHECK(txt && CHECK_CLOSE(edl_vectors_row(txt, 7), rb, dim, 1e-6, 1e-6));
        edl_vectors_free(txt);
        CHECK_STATUS(edl_vectors_quantize(&txt, back, EDL_QUANT_INT8, 0, 1), EDL_ERR_ARG); /* quantized already */
        edl_vectors_free(qv), edl_vectors_free(back);
    }
    edl_vectors_free(fl);
    free(t);
    harness_remove_dir(dir);
}

/* Writes a quantized vectors file with one field changed (what), and checks the reader refuses it
   naming the file and want. */
static void refused(const char *path, const char *const *keys, const char *const *vals, size_t nmeta,
                    const edl_tensor *t, size_t nt, const char *want) {
    CHECK_OK(edl__st_write(path, keys, vals, nmeta, t, nt));
    edl_vectors *v = NULL;
    edl_status s = edl_vectors_read(&v, path, EDL_VEC_AUTO);
    if (s == EDL_OK || !strstr(edl_last_error(), path) || !strstr(edl_last_error(), want))
        FAILF("%s: status %d, error \"%s\" (want \"%s\")", want, s, edl_last_error(), want);
    CHECK(v == NULL);
    edl_vectors_free(v);
}

TEST(quantized_files_malformed_and_truncated) {
    char dir[] = "/tmp/edl-qt-XXXXXX", path[96], cut[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    const size_t rows = 300, dim = 8;
    float *t = clustered_table(rows, dim, 10, 4);
    edl__qtable qi, qp;
    CHECK_OK(edl__qt_build(&qi, EDL_QUANT_INT8, 0, t, rows, dim, 1));
    CHECK_OK(edl__qt_build(&qp, EDL_QUANT_PQ, 4, t, rows, dim, 1));
    edl__qt_files fi, fp;
    edl__qt_parts(&qi, &fi);
    edl__qt_parts(&qp, &fp);
    const char *k[4], *v[4];
    edl_tensor ts[2];
#define RESET(f) (memcpy(k, (f).keys, sizeof k), memcpy(v, (f).vals, sizeof v), memcpy(ts, (f).t, sizeof ts))
    RESET(fi);
    CHECK_OK(edl__st_write(path, k, v, 4, ts, 2));
    edl_vectors *ok = NULL;
    CHECK_OK(edl_vectors_read(&ok, path, EDL_VEC_AUTO)); /* rows named by index */
    size_t len;
    CHECK(ok && edl_vectors_count(ok) == rows && !strncmp(edl_vectors_word(ok, 12, &len), "12", 2));
    edl_vectors_free(ok);
    v[0] = "int4";
    refused(path, k, v, 4, ts, 2, "qtable.scheme \"int4\"");
    RESET(fi), v[3] = "7";
    refused(path, k, v, 4, ts, 2, "qtable.m 7");
    RESET(fi), v[1] = "299";
    refused(path, k, v, 4, ts, 2, "qtable.codes: shape [300, 8]");
    RESET(fi), v[1] = "0";
    refused(path, k, v, 4, ts, 2, "at least 1");
    RESET(fi), v[2] = "-8";
    refused(path, k, v, 4, ts, 2, "qtable.dim");
    RESET(fi), ts[1].name = "other";
    refused(path, k, v, 4, ts, 2, "needs the tensor qtable.scale_offset");
    RESET(fi), ts[0].dtype = EDL_DTYPE_F32, ts[0].shape[1] = 2; /* the same bytes as floats */
    refused(path, k, v, 4, ts, 2, "qtable.codes: dtype F32");
    float *so = malloc(rows * 2 * sizeof *so);
    memcpy(so, qi.scale_offset, rows * 2 * sizeof *so);
    so[2 * 9] = -1.0f;
    RESET(fi), ts[1].data = so;
    refused(path, k, v, 4, ts, 2, "qtable.scale_offset[9][0] = -1");
    so[2 * 9] = qi.scale_offset[2 * 9], so[2 * 20 + 1] = NAN;
    refused(path, k, v, 4, ts, 2, "qtable.scale_offset[20][1] = nan");
    float *cent = malloc(dim * 256 * sizeof *cent);
    memcpy(cent, qp.pq.centroids, dim * 256 * sizeof *cent);
    cent[3 * 512 + 5] = INFINITY;
    RESET(fp), ts[1].data = cent;
    refused(path, k, v, 4, ts, 2, "qtable.centroids[3][5] = inf");
    RESET(fp), v[3] = "3";
    refused(path, k, v, 4, ts, 2, "qtable.m 3 does not divide qtable.dim 8");
    RESET(fp), ts[1].shape[0] = 2, ts[1].shape[1] = 1024; /* the same floats, cut otherwise */
    refused(path, k, v, 4, ts, 2, "qtable.centroids: shape [2, 1024]");
    /* vocabulary and table disagree */
    {
        const char *kk[6] = {fi.keys[0], fi.keys[1], fi.keys[2], fi.keys[3], "vectors.count", "vectors.dim"};
        const char *vv[6] = {fi.vals[0], fi.vals[1], fi.vals[2], fi.vals[3], "2", "8"};
        const char bytes[] = "ab";
        const int64_t off[3] = {0, 1, 2};
        edl_tensor tt[4] = {fi.t[0],
                            fi.t[1],
                            {"vocab.bytes", EDL_DTYPE_U8, 1, {2, 0}, bytes},
                            {"vocab.offsets", EDL_DTYPE_I64, 1, {3, 0}, off}};
        refused(path, kk, vv, 6, tt, 4, "qtable.rows 300, but the file names 2 rows");
    }
    /* a good file cut at every byte: refused, naming the file */
    edl_vectors *fl = named(t, rows, dim), *q = NULL;
    CHECK_OK(edl_vectors_quantize(&q, fl, EDL_QUANT_PQ, 4, 1));
    CHECK_OK(edl_vectors_write(q, path, EDL_VEC_SAFETENSORS));
    FILE *f = fopen(path, "rb");
    struct stat sb;
    CHECK(f && fstat(fileno(f), &sb) == 0);
    size_t n = f ? (size_t)sb.st_size : 0, refusals = 0, cuts = 0;
    unsigned char *bytes = malloc(n ? n : 1);
    CHECK(f && fread(bytes, 1, n, f) == n);
    if (f) fclose(f);
    snprintf(cut, sizeof cut, "%s/cut.safetensors", dir);
    for (size_t at = 0; at < n; at += at < 400 ? 1 : 97) {
        FILE *o = fopen(cut, "wb");
        fwrite(bytes, 1, at, o);
        fclose(o);
        edl_vectors *r = NULL;
        edl_status s = edl_vectors_read(&r, cut, EDL_VEC_AUTO);
        cuts++;
        if (s == EDL_OK || !strstr(edl_last_error(), cut))
            FAILF("cut at %zu of %zu: status %d, \"%s\"", at, n, s, edl_last_error());
        else
            refusals++;
        edl_vectors_free(r);
    }
    fprintf(stderr, "    %zu cuts of a %zu-byte pq file: %zu refused\n", cuts, n, refusals);
    CHECK(refusals == cuts && cuts > 400);
    free(bytes), free(so), free(cent), free(t);
    edl_vectors_free(fl), edl_vectors_free(q);
    edl__qt_free(&qi), edl__qt_free(&qp);
    harness_remove_dir(dir);
#undef RESET
}

TEST(quantized_recommender_topk_similar_and_file) {
    char dir[] = "/tmp/edl-qt-XXXXXX", data[96], path[96], qpath[96];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(data, sizeof data, "%s/r.data", dir);
    snprintf(path, sizeof path, "%s/bpr.safetensors", dir);
    snprintf(qpath, sizeof qpath, "%s/bpr_q.safetensors", dir);
    edl_synth_args s;
    edl_synth_defaults(&s);
    s.users = 300, s.items = 400, s.per_user = 30;
    CHECK_OK(edl_synth_ratings(data, &s, NULL));
    edl_ratings *d = NULL;
    edl_ratings_options o;
    edl_ratings_defaults(&o);
    CHECK_OK(edl_ratings_read(&d, data, &o, NULL));
    for (int kind = EDL_REC_MF; kind <= EDL_REC_BPR; kind++) {
        edl_rec_args a;
        edl_rec_defaults(&a, (edl_rec_kind)kind);
        a.dim = 16, a.epoch = 3, a.thread = 1, a.seed = 3;
        edl_recommender *r = NULL, *q = NULL, *back = NULL;
        CHECK_OK(edl_rec_train(&r, d, &a, NULL));
        CHECK_OK(edl_rec_quantize(&q, r, EDL_QUANT_INT8, 0, 1));
        CHECK(q && edl_rec_quantized(q) == EDL_QUANT_INT8 && edl_rec_model(q) == NULL);
        CHECK_OK(edl_rec_save(q, qpath));
        CHECK_OK(edl_rec_load(&back, qpath));
        CHECK(back && edl_rec_quantized(back) == EDL_QUANT_INT8 && edl_rec_num_items(back) == edl_rec_num_items(r));
        /* int8 top 10 = the float top 10 up to the rounding (most of each list), the file's = the copy's */
        size_t hits = 0, total = 0;
        for (int64_t u = 1; back && u <= 300; u += 13) {
            int64_t fi[10], qi[10], bi[10];
            float fs[10], qs[10], bs[10];
            size_t fn, qn, bn;
            if (edl_rec_topk(r, u, 10, 1, fi, fs, &fn) != EDL_OK) continue; /* a user without records */
            CHECK_OK(edl_rec_topk(q, u, 10, 1, qi, qs, &qn));
            CHECK_OK(edl_rec_topk(back, u, 10, 1, bi, bs, &bn));
            CHECK(qn == bn && !memcmp(qi, bi, qn * sizeof *qi) && !memcmp(qs, bs, qn * sizeof *qs));
            for (size_t i = 0; i < fn; i++)
                for (size_t j = 0; j < qn; j++) hits += fi[i] == qi[j];
            total += fn;
            float fsc, qsc;
            CHECK_OK(edl_rec_score(r, u, fi[0], &fsc));
            CHECK_OK(edl_rec_score(back, u, fi[0], &qsc));
            CHECK(fabsf(fsc - qsc) < 0.05f * (1 + fabsf(fsc)));
        }
        fprintf(stderr, "    %s int8 top-10 overlap with float: %.3f\n", edl_rec_kind_name((edl_rec_kind)kind),
                (double)hits / (double)total);
        CHECK(total > 0 && hits >= total * 9 / 10);
        int64_t fi[5], qi[5];
        float fs[5], qs[5];
        size_t fn, qn;
        CHECK_OK(edl_rec_similar(r, 10, 5, fi, fs, &fn));
        CHECK_OK(edl_rec_similar(back, 10, 5, qi, qs, &qn));
        CHECK(fn == 5 && qn == 5 && qi[0] != 10);
        size_t sh = 0;
        for (size_t i = 0; i < 5; i++)
            for (size_t j = 0; j < 5; j++) sh += fi[i] == qi[j];
        CHECK(sh >= 3);
        CHECK_STATUS(edl_rec_topk(back, 987654, 5, 1, qi, qs, &qn), EDL_ERR_INDEX);
        edl_rec_metrics m;
        CHECK_OK(edl_rec_evaluate(back, d, 10, &m));
        edl_rec_free(r), edl_rec_free(q), edl_rec_free(back);
    }
    /* pq too; the mlp is refused, naming why */
    edl_rec_args a;
    edl_rec_defaults(&a, EDL_REC_BPR);
    a.dim = 16, a.epoch = 2, a.thread = 1;
    edl_recommender *r = NULL, *q = NULL;
    CHECK_OK(edl_rec_train(&r, d, &a, NULL));
    CHECK_OK(edl_rec_quantize(&q, r, EDL_QUANT_PQ, 8, 1));
    CHECK_OK(edl_rec_save(q, qpath));
    edl_rec_free(q), q = NULL;
    CHECK_OK(edl_rec_load(&q, qpath));
    CHECK(q && edl_rec_quantized(q) == EDL_QUANT_PQ);
    edl_vectors *v = NULL; /* a quantized recommender read as vectors: its rows named by id */
    CHECK_OK(edl_vectors_read(&v, qpath, EDL_VEC_AUTO));
    size_t len;
    CHECK(v && edl_vectors_count(v) == 700 && !strncmp(edl_vectors_word(v, 0, &len), "user:", 5));
    edl_vectors_free(v);
    edl_rec_free(r), edl_rec_free(q);
    edl_rec_defaults(&a, EDL_REC_MLP);
    a.dim = 8, a.epoch = 1, a.thread = 1;
    CHECK_OK(edl_rec_train(&r, d, &a, NULL));
    CHECK_STATUS(edl_rec_quantize(&q, r, EDL_QUANT_INT8, 0, 1), EDL_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("mlp");
    edl_rec_free(r);
    edl_ratings_free(d);
    harness_remove_dir(dir);
}

TEST(cli_convert_quantize_nn_analogies_recommend) {
    char dir[] = "/tmp/edl-qt-XXXXXX", cmd[1024], out[8192];
    CHECK(mkdtemp(dir) != NULL);
    const char *edl = harness_cli();
    const size_t rows = 600, dim = 16;
    float *t = clustered_table(rows, dim, 30, 2);
    edl_vectors *fl = named(t, rows, dim);
    snprintf(cmd, sizeof cmd, "%s/v.vec", dir);
    CHECK_OK(edl_vectors_write(fl, cmd, EDL_VEC_TEXT));
    snprintf(cmd, sizeof cmd, "%s convert %s/v.vec %s/q8.safetensors -quantize int8 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "600 words x 16 as int8: 14400 bytes"));
    snprintf(cmd, sizeof cmd, "%s convert %s/v.vec %s/pq.safetensors -quantize pq:4 -seed 3 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "as pq:4"));
    /* nn: the format of the float file's; the neighbours mostly the same */
    char fl_out[4096], q_out[4096];
    snprintf(cmd, sizeof cmd, "%s nn %s/v.vec -k 5 w31 w7", edl, dir);
    CHECK(harness_run(cmd, fl_out, sizeof fl_out) == 0 && harness_count_lines(fl_out) == 12);
    snprintf(cmd, sizeof cmd, "%s nn %s/q8.safetensors -k 5 w31 w7", edl, dir);
    CHECK(harness_run(cmd, q_out, sizeof q_out) == 0 && harness_count_lines(q_out) == 12);
    CHECK(!strncmp(q_out, "Query word? w31\nw", 17));
    size_t same = 0;
    for (char *line = strtok(q_out, "\n"); line; line = strtok(NULL, "\n")) {
        char word[32];
        if (sscanf(line, "%31s", word) == 1 && word[0] == 'w') {
            char pat[40];
            snprintf(pat, sizeof pat, "\n%s ", word);
            same += strstr(fl_out, pat) != NULL;
        }
    }
    CHECK(same >= 8);
    snprintf(cmd, sizeof cmd, "%s analogies %s/pq.safetensors -k 2 w1 w31 w2", edl, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && harness_count_lines(out) == 3);
    /* back to text: decoded rows */
    snprintf(cmd, sizeof cmd, "%s convert %s/q8.safetensors %s/back.vec 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "600 words x 16"));
    /* refused: a scheme edl lacks, M not dividing dim, a text output */
    snprintf(cmd, sizeof cmd, "%s convert %s/v.vec %s/x.safetensors -quantize int4 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, "-quantize 'int4' is not int8, pq or pq:M"));
    snprintf(cmd, sizeof cmd, "%s convert %s/v.vec %s/x.safetensors -quantize pq:5 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 1 && strstr(out, "pq:5") && strstr(out, "dim 16"));
    snprintf(cmd, sizeof cmd, "%s convert %s/v.vec %s/x.vec -quantize int8 2>&1", edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 2 && strstr(out, ".safetensors"));
    /* a recommender: convert -quantize, then topk and similar on the compressed file */
    snprintf(cmd, sizeof cmd,
             "%s recommend synth -output %s/r.data -users 200 -items 300 -per-user 20 >/dev/null 2>&1 && "
             "%s recommend train -input %s/r.data -output %s/m -model bpr -dim 16 -epoch 2 >/dev/null 2>&1 && "
             "%s convert %s/m.safetensors %s/mq.safetensors -quantize int8 2>&1",
             edl, dir, edl, dir, dir, edl, dir, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && strstr(out, "a bpr recommender of 200 users and ") &&
          strstr(out, "its table as int8"));
    snprintf(cmd, sizeof cmd, "%s recommend topk %s/mq.safetensors -user 1 -k 4", edl, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && harness_count_lines(out) == 4);
    snprintf(cmd, sizeof cmd, "%s recommend similar %s/mq.safetensors -item 1 -k 3", edl, dir);
    CHECK(harness_run(cmd, out, sizeof out) == 0 && harness_count_lines(out) == 3);
    edl_vectors_free(fl);
    free(t);
    harness_remove_dir(dir);
}
