/* Quantized tables and the queries on their compressed rows (see qtable.h). */
#include "model/qtable.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KSUB = 256, BLOCK = 1024 /* rows scored at a time by a nearest-neighbour scan */ };

void edl__qt_free(edl__qtable *qt) {
    if (!qt) return;
    free(qt->codes), free(qt->scale_offset), free(qt->inv_norm);
    edl__pq_free(&qt->pq);
    memset(qt, 0, sizeof *qt);
}

size_t edl__qt_bytes(const edl__qtable *qt) {
    return qt->rows * qt->m +
           (qt->kind == EDL_QUANT_INT8 ? qt->rows * 2 * sizeof(float) : qt->dim * KSUB * sizeof(float));
}

static size_t dsub(const edl__qtable *qt) { return qt->dim / qt->m; }
/* pq: sub-quantizer j's centroid k (every sub-vector has dsub values: m divides dim) */
static const float *centroid(const edl__qtable *qt, size_t j, size_t k) {
    return qt->pq.centroids + (j * KSUB + k) * dsub(qt);
}

void edl__qt_row(const edl__qtable *qt, size_t i, float *out) {
    const uint8_t *c = qt->codes + i * qt->m;
    if (qt->kind == EDL_QUANT_INT8) {
        const float s = qt->scale_offset[2 * i], o = qt->scale_offset[2 * i + 1];
        for (size_t d = 0; d < qt->dim; d++) out[d] = (float)c[d] * s + o;
        return;
    }
    const size_t ds = dsub(qt);
    for (size_t j = 0; j < qt->m; j++) memcpy(out + j * ds, centroid(qt, j, c[j]), ds * sizeof *out);
}

/* 1 / |row| of every decoded row, from the codes: int8 s^2 sum c^2 + 2 s o sum c + dim o^2; pq the
   sum of its centroids' squared norms. */
static edl_status norms(edl__qtable *qt) {
    free(qt->inv_norm);
    qt->inv_norm = malloc((qt->rows ? qt->rows : 1) * sizeof *qt->inv_norm);
    float *cn = qt->kind == EDL_QUANT_PQ ? malloc(qt->m * KSUB * sizeof *cn) : NULL;
    if (!qt->inv_norm || (qt->kind == EDL_QUANT_PQ && !cn)) {
        free(cn);
        return edl__fail(EDL_ERR_NOMEM, "quantized table: no memory for %zu norms", qt->rows);
    }
    for (size_t j = 0; cn && j < qt->m; j++)
        for (size_t k = 0; k < KSUB; k++) {
            const float *c = centroid(qt, j, k);
            cn[j * KSUB + k] = edl__vec_dot(c, c, dsub(qt));
        }
#pragma omp parallel for schedule(static) if (qt->rows * qt->m > ((size_t)1 << 22))
    for (size_t i = 0; i < qt->rows; i++) {
        const uint8_t *c = qt->codes + i * qt->m;
        double n2 = 0;
        if (qt->kind == EDL_QUANT_INT8) {
            uint64_t s1 = 0, s2 = 0;
            for (size_t d = 0; d < qt->dim; d++) s1 += c[d], s2 += (uint64_t)c[d] * c[d];
            double s = qt->scale_offset[2 * i], o = qt->scale_offset[2 * i + 1];
            n2 = s * s * (double)s2 + 2 * s * o * (double)s1 + (double)qt->dim * o * o;
        } else {
            for (size_t j = 0; j < qt->m; j++) n2 += cn[j * KSUB + c[j]];
        }
        qt->inv_norm[i] = n2 > 0 ? (float)(1.0 / sqrt(n2)) : 0.0f;
    }
    free(cn);
    return EDL_OK;
}

edl_status edl__qt_build(edl__qtable *qt, edl_quant_kind kind, size_t m, const float *table, size_t rows, size_t dim,
                         uint64_t seed) {
    memset(qt, 0, sizeof *qt);
    size_t cells;
    if (dim == 0 || rows == 0 || !edl__mul_ok(rows, dim, &cells) || !edl__mul_ok(cells, sizeof(float), &cells))
        return edl__fail(EDL_ERR_ARG, "quantize: a table of %zu x %zu", rows, dim);
    qt->kind = kind, qt->rows = rows, qt->dim = dim;
    edl_status s = EDL_OK;
    if (kind == EDL_QUANT_INT8) {
        qt->m = dim;
        qt->codes = malloc(rows * dim);
        qt->scale_offset = malloc(rows * 2 * sizeof *qt->scale_offset);
        s = qt->codes && qt->scale_offset ? edl_int8_rows_quantize(qt->codes, qt->scale_offset, table, rows, dim)
                                          : edl__fail(EDL_ERR_NOMEM, "quantize: no memory for %zu int8 rows", rows);
    } else if (kind == EDL_QUANT_PQ) {
        if (m == 0) m = dim % 2 ? dim : dim / 2;
        if (m > dim || dim % m || dim > INT32_MAX)
            s = edl__fail(EDL_ERR_ARG, "quantize: pq:%zu: the sub-vectors must divide dim %zu (try a divisor of %zu)",
                          m, dim, dim);
        else if (!edl__vec_all_finite(table, rows * dim))
            s = edl__fail(EDL_ERR_NUMERIC, "quantize: the table holds NaN or infinite values");
        qt->m = m;
        if (s == EDL_OK) s = edl__pq_train_fast(&qt->pq, (int32_t)dim, (int32_t)(dim / m), table, rows, seed);
        if (s == EDL_OK && !(qt->codes = malloc(rows * m)))
            s = edl__fail(EDL_ERR_NOMEM, "quantize: no memory for %zu x %zu codes", rows, m);
        if (s == EDL_OK) s = edl__pq_encode_fast(&qt->pq, table, rows, qt->codes);
    } else {
        s = edl__fail(EDL_ERR_ARG, "quantize: scheme %d is neither int8 nor pq", (int)kind);
    }
    if (s == EDL_OK) s = norms(qt);
    if (s != EDL_OK) edl__qt_free(qt);
    return s;
}

/* ---- queries on the compressed rows ------------------------------------------------------- */

size_t edl__qt_lut_floats(const edl__qtable *qt) { return qt->kind == EDL_QUANT_PQ ? qt->m * KSUB : 1; }

void edl__qt_prepare(const edl__qtable *qt, const float *q, float *lut) {
    if (qt->kind == EDL_QUANT_INT8) {
        double s = 0;
        for (size_t d = 0; d < qt->dim; d++) s += q[d];
        lut[0] = (float)s;
        return;
    }
    const size_t ds = dsub(qt);
    for (size_t j = 0; j < qt->m; j++)
        for (size_t k = 0; k < KSUB; k++) lut[j * KSUB + k] = edl__vec_dot(q + j * ds, centroid(qt, j, k), ds);
}

// out is (hi - lo,): dot(q, row i) for rows [lo, hi); lut from edl__qt_prepare
void edl__qt_dots(const edl__qtable *qt, const float *lut, const float *q, size_t lo, size_t hi, float *out) {
    const size_t m = qt->m;
    if (qt->kind == EDL_QUANT_INT8) {
        const float qsum = lut[0];
        for (size_t i = lo; i < hi; i++)
            out[i - lo] =
                qt->scale_offset[2 * i] * edl__vec_dot_u8(q, qt->codes + i * m, m) + qt->scale_offset[2 * i + 1] * qsum;
        return;
    }
    /* asymmetric distance: m table lookups a row; eight codes read as one 64-bit word (a load for
       eight lookups, not eight), four running sums */
    for (size_t i = lo; i < hi; i++) {
        const uint8_t *c = qt->codes + i * m;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        size_t j = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        for (; j + 8 <= m; j += 8) {
            uint64_t w;
            memcpy(&w, c + j, sizeof w);
            const float *t = lut + j * KSUB;
            a0 += t[w & 255], a1 += t[KSUB + ((w >> 8) & 255)];
            a2 += t[2 * KSUB + ((w >> 16) & 255)], a3 += t[3 * KSUB + ((w >> 24) & 255)];
            a0 += t[4 * KSUB + ((w >> 32) & 255)], a1 += t[5 * KSUB + ((w >> 40) & 255)];
            a2 += t[6 * KSUB + ((w >> 48) & 255)], a3 += t[7 * KSUB + (w >> 56)];
        }
#endif
        for (; j < m; j++) a0 += lut[j * KSUB + c[j]];
        out[i - lo] = (a0 + a1) + (a2 + a3);
    }
}

void edl__qt_dots_naive(const edl__qtable *qt, const float *q, size_t lo, size_t hi, float *out) {
    for (size_t i = lo; i < hi; i++) {
        double s = 0;
        const uint8_t *c = qt->codes + i * qt->m;
        for (size_t d = 0; d < qt->dim; d++) {
            float v = qt->kind == EDL_QUANT_INT8 ? (float)c[d] * qt->scale_offset[2 * i] + qt->scale_offset[2 * i + 1]
                                                 : centroid(qt, d / dsub(qt), c[d / dsub(qt)])[d % dsub(qt)];
            s += (double)q[d] * v;
        }
        out[i - lo] = (float)s;
    }
}

/* Keeps the k best (id, sim) pairs, best first, by insertion (k is small; an equal sim stays
   behind the earlier row). */
static void offer(int64_t *ids, float *sims, size_t *count, size_t k, int64_t id, float sim) {
    size_t pos = *count < k ? (*count)++ : k - 1;
    while (pos > 0 && sims[pos - 1] < sim) {
        sims[pos] = sims[pos - 1], ids[pos] = ids[pos - 1];
        pos--;
    }
    sims[pos] = sim, ids[pos] = id;
}

edl_status edl__qt_nearest(const edl__qtable *qt, const float *q, size_t k, size_t lo, size_t hi,
                           const int64_t *exclude, size_t nexclude, int64_t *ids, float *sims, size_t *count) {
    *count = 0;
    const float qn = sqrtf(edl__vec_dot(q, q, qt->dim));
    if (k == 0 || !(qn > 0) || lo >= hi) return EDL_OK; /* a zero query is similar to nothing */
    float *lut = malloc((edl__qt_lut_floats(qt) + BLOCK) * sizeof *lut),
          *dots = lut ? lut + edl__qt_lut_floats(qt) : NULL;
    if (!lut) return edl__fail(EDL_ERR_NOMEM, "quantized table: no memory for a query");
    edl__qt_prepare(qt, q, lut);
    const float inv_qn = 1.0f / qn;
    for (size_t b = lo; b < hi; b += BLOCK) {
        const size_t e = hi - b < BLOCK ? hi : b + BLOCK;
        edl__qt_dots(qt, lut, q, b, e, dots);
        for (size_t i = b; i < e; i++) {
            const float in = qt->inv_norm[i];
            if (!(in > 0)) continue; /* a zero row is similar to nothing */
            const float sim = dots[i - b] * in * inv_qn;
            if (*count == k && !(sim > sims[k - 1])) continue;
            int skip = 0;
            for (size_t x = 0; x < nexclude; x++) skip |= exclude[x] == (int64_t)i;
            if (!skip) offer(ids, sims, count, k, (int64_t)i, sim);
        }
    }
    free(lut);
    return EDL_OK;
}

/* ---- files -------------------------------------------------------------------------------- */

void edl__qt_parts(const edl__qtable *qt, edl__qt_files *p) {
    snprintf(p->num[0], sizeof p->num[0], "%zu", qt->rows);
    snprintf(p->num[1], sizeof p->num[1], "%zu", qt->dim);
    snprintf(p->num[2], sizeof p->num[2], "%zu", qt->m);
    p->keys[0] = "qtable.scheme", p->vals[0] = edl_quant_name(qt->kind);
    p->keys[1] = "qtable.rows", p->vals[1] = p->num[0];
    p->keys[2] = "qtable.dim", p->vals[2] = p->num[1];
    p->keys[3] = "qtable.m", p->vals[3] = p->num[2];
    p->t[0] = (edl_tensor){"qtable.codes", EDL_DTYPE_U8, 2, {qt->rows, qt->m}, qt->codes};
    if (qt->kind == EDL_QUANT_INT8)
        p->t[1] = (edl_tensor){"qtable.scale_offset", EDL_DTYPE_F32, 2, {qt->rows, 2}, qt->scale_offset};
    else
        p->t[1] = (edl_tensor){"qtable.centroids", EDL_DTYPE_F32, 2, {qt->m, KSUB * dsub(qt)}, qt->pq.centroids};
}

int edl__qt_in(const edl__st *st) { return edl__st_meta(st, "qtable.scheme") != NULL; }

/* Tensor name: dtype dt, rank 2, r0 x r1 (the file's size already checked against its span). */
static edl_status tensor2(edl__st *st, const char *name, const char *dt, size_t r0, size_t r1,
                          const edl__st_tensor **out) {
    const edl__st_tensor *t = edl__st_find(st, name);
    if (!t)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, "qtable.scheme"),
                            "a quantized table needs the tensor %s", name);
    if (strcmp(t->dtype, dt))
        return edl__st_fail(st, EDL_ERR_FORMAT, t->dtype_off, "%s: dtype %s, a quantized table has %s", name, t->dtype,
                            dt);
    if (t->rank != 2 || t->shape[0] != r0 || t->shape[1] != r1)
        return edl__st_fail(st, EDL_ERR_FORMAT, t->shape_off, "%s: shape [%llu%s%llu], the metadata want [%zu, %zu]",
                            name, (unsigned long long)(t->rank ? t->shape[0] : 0), t->rank == 2 ? ", " : "] rank ",
                            (unsigned long long)(t->rank == 2 ? t->shape[1] : t->rank), r0, r1);
    *out = t;
    return EDL_OK;
}

edl_status edl__qt_read(edl__st *st, edl__qtable *qt, size_t want_rows, size_t want_dim) {
    memset(qt, 0, sizeof *qt);
    const char *scheme = edl__st_meta(st, "qtable.scheme");
    edl_quant_kind kind;
    if (!scheme || edl_quant_from_name(scheme, &kind) != EDL_OK || kind == EDL_QUANT_NONE)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, "qtable.scheme"),
                            "qtable.scheme \"%.32s\" is neither int8 nor pq", scheme ? scheme : "");
    size_t rows, dim, m, cells;
    EDL__TRY(edl__st_get_count(st, "qtable.rows", INT64_MAX, &rows));
    EDL__TRY(edl__st_get_count(st, "qtable.dim", INT32_MAX, &dim));
    EDL__TRY(edl__st_get_count(st, "qtable.m", INT32_MAX, &m));
    const uint64_t at = edl__st_meta_offset(st, "qtable.m");
    if (rows == 0 || dim == 0)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, "qtable.rows"),
                            "qtable.rows %zu and qtable.dim %zu must both be at least 1", rows, dim);
    if (kind == EDL_QUANT_INT8 && m != dim)
        return edl__st_fail(st, EDL_ERR_FORMAT, at, "qtable.m %zu: int8 rows have one code a value (qtable.dim %zu)", m,
                            dim);
    if (kind == EDL_QUANT_PQ && (m == 0 || m > dim || dim % m))
        return edl__st_fail(st, EDL_ERR_FORMAT, at, "qtable.m %zu does not divide qtable.dim %zu", m, dim);
    if (want_rows != SIZE_MAX && rows != want_rows)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, "qtable.rows"),
                            "qtable.rows %zu, but the file names %zu rows", rows, want_rows);
    if (want_dim != SIZE_MAX && dim != want_dim)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, "qtable.dim"),
                            "qtable.dim %zu, but the file's rows have %zu values", dim, want_dim);
    if (!edl__mul_ok(rows, m, &cells))
        return edl__st_fail(st, EDL_ERR_FORMAT, at, "qtable.rows %zu x qtable.m %zu overflows", rows, m);
    const edl__st_tensor *codes, *aux;
    EDL__TRY(tensor2(st, "qtable.codes", "U8", rows, m, &codes));
    if (kind == EDL_QUANT_INT8)
        EDL__TRY(tensor2(st, "qtable.scale_offset", "F32", rows, 2, &aux));
    else
        EDL__TRY(tensor2(st, "qtable.centroids", "F32", m, KSUB * (dim / m), &aux));
    qt->kind = kind, qt->rows = rows, qt->dim = dim, qt->m = m;
    qt->codes = malloc(cells ? cells : 1);
    float *f = malloc((size_t)(aux->end - aux->begin));
    if (kind == EDL_QUANT_INT8)
        qt->scale_offset = f;
    else
        qt->pq.centroids = f, qt->pq.dim = (int32_t)dim, qt->pq.nsubq = (int32_t)m,
        qt->pq.dsub = qt->pq.lastdsub = (int32_t)(dim / m);
    edl_status s = qt->codes && f ? EDL_OK
                                  : edl__fail(EDL_ERR_NOMEM, "%s: no memory for a quantized table of %zu x %zu",
                                              edl__st_path(st), rows, m);
    if (s == EDL_OK) s = edl__st_read(st, codes, qt->codes);
    if (s == EDL_OK) s = edl__st_read(st, aux, f);
    const size_t nf = (size_t)(aux->end - aux->begin) / sizeof(float);
    if (s == EDL_OK && !edl__vec_all_finite(f, nf))
        for (size_t i = 0; s == EDL_OK && i < nf; i++)
            if (!isfinite(f[i]))
                s = edl__st_fail(st, EDL_ERR_FORMAT, edl__st_data_start(st) + aux->begin + i * sizeof(float),
                                 "%s[%zu][%zu] = %g is not finite", aux->name, i / (size_t)aux->shape[1],
                                 i % (size_t)aux->shape[1], (double)f[i]);
    for (size_t i = 0; s == EDL_OK && kind == EDL_QUANT_INT8 && i < rows; i++)
        if (f[2 * i] < 0)
            s = edl__st_fail(st, EDL_ERR_FORMAT, edl__st_data_start(st) + aux->begin + 2 * i * sizeof(float),
                             "qtable.scale_offset[%zu][0] = %g: a scale is never negative", i, (double)f[2 * i]);
    if (s == EDL_OK) s = norms(qt);
    if (s != EDL_OK) edl__qt_free(qt);
    return s;
}
