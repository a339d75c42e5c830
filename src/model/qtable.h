/* Quantized tables: a table of rows x dim floats kept compressed, as int8 rows (uint8 codes and a
 * float scale and offset a row, FBGEMM's fused 8-bit rows) or product-quantized (m sub-vectors of
 * dim / m values, each the index of one of 256 centroids: m bytes a row), and the queries run on
 * the compressed rows: a row decoded alone, dot products of a query with a range of rows (int8: a
 * dot over the codes, then scale and offset; pq: asymmetric distance, a per-query table of m x 256
 * dots summed by the codes), cosine nearest neighbours. The table is never decoded whole. Stored
 * in edl's safetensors container (qtable.* metadata and tensors) beside a vocabulary or a
 * recommender's ids. Not installed. */
#ifndef EDL__QTABLE_H
#define EDL__QTABLE_H

#include "common/internal.h"
#include "io/safetensors.h"
#include "model/pq.h"

typedef struct {
    edl_quant_kind kind; /* EDL_QUANT_INT8 or EDL_QUANT_PQ */
    size_t rows, dim, m; /* m: code bytes a row: dim (int8) or the sub-vectors (pq) */
    uint8_t *codes;      /* rows x m */
    float *scale_offset; /* int8: rows x 2 (scale, offset) */
    edl__pq pq;          /* pq: m sub-quantizers of 256 centroids of dim / m values */
    float *inv_norm;     /* rows: 1 / |decoded row| (0 for a zero row), for cosine */
} edl__qtable;

/* Compresses table (rows x dim, finite) as kind; m: pq's sub-vectors (0: dim / 2, fastText's
   -dsub 2), dividing dim; at least 256 rows for pq (its k-means; seed draws the samples). */
edl_status edl__qt_build(edl__qtable *qt, edl_quant_kind kind, size_t m, const float *table, size_t rows, size_t dim,
                         uint64_t seed);
void edl__qt_free(edl__qtable *qt);
/* Bytes of the compressed table (codes, scales and offsets, centroids). */
size_t edl__qt_bytes(const edl__qtable *qt);
/* Row i decoded into out (dim floats). */
void edl__qt_row(const edl__qtable *qt, size_t i, float *out);

/* Dot products of a query q (dim floats) with rows [lo, hi) into out[0 .. hi - lo): first
   edl__qt_prepare fills lut (edl__qt_lut_floats(qt) floats: int8 the sum of q, pq the m x 256 dots
   of q's sub-vectors with the centroids), then any number of edl__qt_dots calls use it. */
size_t edl__qt_lut_floats(const edl__qtable *qt);
void edl__qt_prepare(const edl__qtable *qt, const float *q, float *lut);
void edl__qt_dots(const edl__qtable *qt, const float *lut, const float *q, size_t lo, size_t hi, float *out);
/* The reference: each row decoded, then its dot product with q (double sums). */
void edl__qt_dots_naive(const edl__qtable *qt, const float *q, size_t lo, size_t hi, float *out);

/* The k rows of [lo, hi) nearest to q by cosine, best first (ties: the lower row), without the
   rows in exclude; ids and sims receive *count <= k entries. A zero query finds nothing. */
edl_status edl__qt_nearest(const edl__qtable *qt, const float *q, size_t k, size_t lo, size_t hi,
                           const int64_t *exclude, size_t nexclude, int64_t *ids, float *sims, size_t *count);

/* ---- files: qtable.scheme/rows/dim/m metadata; qtable.codes (U8, rows x m) and
   qtable.scale_offset (F32, rows x 2) or qtable.centroids (F32, m x 256 * dim / m) ---------- */
typedef struct {
    char num[3][32];
    const char *keys[4], *vals[4];
    edl_tensor t[2];
} edl__qt_files;
/* qt's metadata (4 entries) and tensors (2), pointing into qt and p, for a writer's lists. */
void edl__qt_parts(const edl__qtable *qt, edl__qt_files *p);
/* Whether the file holds a quantized table (its metadata names a qtable.scheme). */
int edl__qt_in(const edl__st *st);
/* Reads and checks the table: scheme, counts (rows and dim as want_rows and want_dim unless
   SIZE_MAX), each tensor's dtype and shape, every scale, offset and centroid finite. Errors name
   the file, the field and the values. */
edl_status edl__qt_read(edl__st *st, edl__qtable *qt, size_t want_rows, size_t want_dim);

#endif
