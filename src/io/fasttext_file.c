/* fastText's model files (see fasttext_file.h). The layout, as FastText::saveModel writes it:
 *   int32 magic 793712314, int32 version 12
 *   args: int32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate,
 *         double t
 *   dictionary: int32 size nwords nlabels, int64 ntokens pruneidx_size,
 *         size x (the entry's bytes, NUL, int64 count, int8 type), pruneidx_size x (int32, int32)
 *   bool quant_input, the input matrix (dense: int64 rows, int64 cols, rows x cols floats),
 *   bool qout (the output's quantization), the output matrix. */
#include "io/fasttext_file.h"
#include "io/file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    edl__ft *ft;
    uint64_t at; /* the next byte */
} cursor;

static edl_status fail_at(const cursor *c, uint64_t off, const char *fmt, const char *field, long long value) {
    char why[200];
    snprintf(why, sizeof why, fmt, field, value);
    return edl__fail(EDL_ERR_FORMAT, "%s: byte %llu: %s", c->ft->path, (unsigned long long)off, why);
}

/* n bytes at the cursor, or the error naming the field the file ends inside */
static edl_status take(cursor *c, size_t n, const char *field, const void **p) {
    if (n > c->ft->size || c->at > c->ft->size - n)
        return edl__fail(EDL_ERR_FORMAT, "%s: byte %llu: the file ends inside %s (%zu bytes, %llu left)", c->ft->path,
                         (unsigned long long)c->at, field, n, (unsigned long long)(c->ft->size - c->at));
    *p = c->ft->bytes + c->at;
    c->at += n;
    return EDL_OK;
}

static edl_status i32(cursor *c, const char *field, int32_t *out) {
    const void *p = NULL;
    EDL__TRY(take(c, 4, field, &p));
    memcpy(out, p, 4);
    return EDL_OK;
}

static edl_status i64(cursor *c, const char *field, int64_t *out) {
    const void *p = NULL;
    EDL__TRY(take(c, 8, field, &p));
    memcpy(out, p, 8);
    return EDL_OK;
}

static edl_status u8(cursor *c, const char *field, uint8_t *out) {
    const void *p = NULL;
    EDL__TRY(take(c, 1, field, &p));
    *out = *(const uint8_t *)p;
    return EDL_OK;
}

/* An int32 field in [lo, hi], read at the cursor. */
static edl_status i32_in(cursor *c, const char *field, int32_t lo, int32_t hi, int32_t *out) {
    uint64_t off = c->at;
    EDL__TRY(i32(c, field, out));
    if (*out < lo || *out > hi) {
        char fmt[96];
        snprintf(fmt, sizeof fmt, "%%s is %%lld, not in [%ld, %ld]", (long)lo, (long)hi);
        return fail_at(c, off, fmt, field, *out);
    }
    return EDL_OK;
}

static edl_status read_args(cursor *c, edl__ft_args *a) {
    EDL__TRY(i32_in(c, "args.dim", 1, 1 << 20, &a->dim));
    EDL__TRY(i32_in(c, "args.ws", 0, INT32_MAX, &a->ws));
    EDL__TRY(i32_in(c, "args.epoch", 0, INT32_MAX, &a->epoch));
    EDL__TRY(i32_in(c, "args.minCount", 0, INT32_MAX, &a->min_count));
    EDL__TRY(i32_in(c, "args.neg", 0, INT32_MAX, &a->neg));
    EDL__TRY(i32_in(c, "args.wordNgrams", 0, 1000, &a->word_ngrams));
    EDL__TRY(i32_in(c, "args.loss", EDL__FT_LOSS_HS, EDL__FT_LOSS_OVA, &a->loss));
    EDL__TRY(i32_in(c, "args.model", EDL__FT_MODEL_CBOW, EDL__FT_MODEL_SUP, &a->model));
    EDL__TRY(i32_in(c, "args.bucket", 0, INT32_MAX, &a->bucket));
    EDL__TRY(i32_in(c, "args.minn", 0, 1000, &a->minn));
    EDL__TRY(i32_in(c, "args.maxn", 0, 1000, &a->maxn));
    EDL__TRY(i32_in(c, "args.lrUpdateRate", 0, INT32_MAX, &a->lr_update_rate));
    const void *p = NULL;
    EDL__TRY(take(c, 8, "args.t", &p));
    memcpy(&a->t, p, 8);
    return EDL_OK;
}

static edl_status read_dictionary(cursor *c, edl__ft *ft) {
    uint64_t off = c->at;
    EDL__TRY(i32_in(c, "dictionary.size", 0, INT32_MAX, &ft->size_words));
    EDL__TRY(i32_in(c, "dictionary.nwords", 0, INT32_MAX, &ft->nwords));
    EDL__TRY(i32_in(c, "dictionary.nlabels", 0, INT32_MAX, &ft->nlabels));
    if ((int64_t)ft->nwords + ft->nlabels != ft->size_words)
        return fail_at(c, off, "%s: nwords + nlabels is not size (%lld)", "dictionary", ft->size_words);
    off = c->at;
    EDL__TRY(i64(c, "dictionary.ntokens", &ft->ntokens));
    if (ft->ntokens < 0) return fail_at(c, off, "%s is %lld, negative", "dictionary.ntokens", ft->ntokens);
    off = c->at;
    EDL__TRY(i64(c, "dictionary.pruneidx_size", &ft->pruneidx_size));
    if (ft->pruneidx_size < -1 || ft->pruneidx_size > INT32_MAX)
        return fail_at(c, off, "%s is %lld, not -1 or a count", "dictionary.pruneidx_size", ft->pruneidx_size);
    /* every entry takes at least 10 bytes (a byte, the NUL, the count, the type): a size the file
       cannot hold is refused before anything is allocated for it */
    if ((uint64_t)ft->size_words > (ft->size - c->at) / 10)
        return fail_at(c, 8 + 4 * 12 + 8 + 0, "%s (%lld entries) does not fit in the file", "dictionary.size",
                       ft->size_words);
    size_t n = (size_t)ft->size_words ? (size_t)ft->size_words : 1;
    ft->word_off = malloc(n * sizeof *ft->word_off);
    ft->word_len = malloc(n * sizeof *ft->word_len);
    ft->counts = malloc(n * sizeof *ft->counts);
    ft->types = malloc(n);
    if (!ft->word_off || !ft->word_len || !ft->counts || !ft->types)
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %d dictionary entries", ft->path, ft->size_words);
    for (int32_t i = 0; i < ft->size_words; i++) {
        char field[64];
        uint64_t start = c->at;
        const char *nul = c->at < ft->size ? memchr(ft->bytes + c->at, '\0', ft->size - c->at) : NULL;
        snprintf(field, sizeof field, "dictionary entry %d", i);
        if (!nul)
            return edl__fail(EDL_ERR_FORMAT, "%s: byte %llu: the file ends inside %s (its text has no NUL)", ft->path,
                             (unsigned long long)start, field);
        size_t len = (size_t)(nul - (ft->bytes + c->at));
        if (len == 0) return fail_at(c, start, "%s is empty (entry %lld)", "a dictionary word", i);
        ft->word_off[i] = c->at, ft->word_len[i] = len;
        c->at += len + 1;
        uint64_t coff = c->at;
        EDL__TRY(i64(c, field, &ft->counts[i]));
        if (ft->counts[i] < 0) return fail_at(c, coff, "%s has a negative count (%lld)", field, ft->counts[i]);
        uint8_t type;
        uint64_t toff = c->at;
        EDL__TRY(u8(c, field, &type));
        if (type > 1) return fail_at(c, toff, "%s has type %lld, not 0 (word) or 1 (label)", field, type);
        /* fastText sorts words before labels */
        if (type != (i >= ft->nwords))
            return fail_at(c, toff, "%s: words come first, then the labels (type %lld here)", field, type);
        ft->types[i] = (int8_t)type;
    }
    const void *p = NULL;
    if (ft->pruneidx_size > 0) EDL__TRY(take(c, (size_t)ft->pruneidx_size * 8, "dictionary.pruneidx", &p));
    ft->pruneidx = p;
    return EDL_OK;
}

static edl_status read_pq(cursor *c, const char *name, edl__ft_pq *pq, int32_t want_dim) {
    char field[80];
    uint64_t off = c->at;
    snprintf(field, sizeof field, "the %s quantizer's dim", name);
    EDL__TRY(i32_in(c, field, 1, 1 << 20, &pq->dim));
    snprintf(field, sizeof field, "the %s quantizer's nsubq", name);
    EDL__TRY(i32_in(c, field, 1, 1 << 20, &pq->nsubq));
    snprintf(field, sizeof field, "the %s quantizer's dsub", name);
    EDL__TRY(i32_in(c, field, 1, 1 << 20, &pq->dsub));
    snprintf(field, sizeof field, "the %s quantizer's lastdsub", name);
    EDL__TRY(i32_in(c, field, 1, 1 << 20, &pq->lastdsub));
    if (pq->dim != want_dim || pq->lastdsub > pq->dsub || (int64_t)(pq->nsubq - 1) * pq->dsub + pq->lastdsub != pq->dim)
        return fail_at(c, off, "%s: dim, nsubq, dsub and lastdsub disagree (dim %lld)", name, pq->dim);
    const void *p = NULL;
    snprintf(field, sizeof field, "the %s quantizer's centroids", name);
    pq->off = c->at;
    EDL__TRY(take(c, (size_t)pq->dim * 256 * 4, field, &p));
    pq->centroids = p;
    return EDL_OK;
}

/* A bool field of the named matrix ("the input matrix's qnorm"). */
static edl_status read_bool(cursor *c, const char *name, const char *what, uint8_t *out) {
    char field[96];
    uint64_t off = c->at;
    snprintf(field, sizeof field, "the %s matrix's %s", name, what);
    EDL__TRY(u8(c, field, out));
    if (*out > 1) return fail_at(c, off, "%s is %lld, not a bool", field, *out);
    return EDL_OK;
}

/* A matrix's int64 rows and cols: rows in [0, 2^31), cols in [min_cols, 2^20]. */
static edl_status read_shape(cursor *c, const char *name, edl__ft_matrix *m, int64_t min_cols) {
    char field[80];
    uint64_t off = c->at;
    snprintf(field, sizeof field, "the %s matrix's rows", name);
    EDL__TRY(i64(c, field, &m->rows));
    snprintf(field, sizeof field, "the %s matrix's cols", name);
    EDL__TRY(i64(c, field, &m->cols));
    if (m->rows < 0 || m->cols < min_cols || m->rows > INT32_MAX || m->cols > (1 << 20))
        return fail_at(c, off, "%s: %lld rows, or a column count out of range", name, m->rows);
    return EDL_OK;
}

/* fastText's QuantMatrix: bool qnorm, int64 rows, int64 cols, int32 codesize, the codes, the
   quantizer; with qnorm the norms' codes (a byte a row) and their quantizer of dim 1. Every code
   byte names one of 256 centroids, so no code is out of range. */
static edl_status read_quantized(cursor *c, const char *name, edl__ft_matrix *m) {
    char field[80];
    uint8_t qnorm;
    EDL__TRY(read_bool(c, name, "qnorm", &qnorm));
    EDL__TRY(read_shape(c, name, m, 1));
    int32_t codesize;
    uint64_t off = c->at;
    snprintf(field, sizeof field, "the %s matrix's codesize", name);
    EDL__TRY(i32_in(c, field, 0, INT32_MAX, &codesize));
    const void *p = NULL;
    snprintf(field, sizeof field, "the %s matrix's codes", name);
    m->off = c->at;
    EDL__TRY(take(c, (size_t)codesize, field, &p));
    m->codes = p;
    EDL__TRY(read_pq(c, name, &m->pq, (int32_t)m->cols));
    if ((int64_t)codesize != m->rows * m->pq.nsubq)
        return fail_at(c, off, "%s: codesize %lld is not rows x nsubq", name, codesize);
    m->quantized = 1, m->qnorm = qnorm;
    if (qnorm) {
        snprintf(field, sizeof field, "the %s matrix's norm codes", name);
        EDL__TRY(take(c, (size_t)m->rows, field, &p));
        m->norm_codes = p;
        char nname[64];
        snprintf(nname, sizeof nname, "%s norms'", name);
        EDL__TRY(read_pq(c, nname, &m->npq, 1));
    }
    return EDL_OK;
}

static edl_status read_matrix(cursor *c, const char *name, edl__ft_matrix *m) {
    uint8_t quant;
    char field[64];
    EDL__TRY(read_bool(c, name, "quantization flag", &quant));
    if (quant) return read_quantized(c, name, m);
    EDL__TRY(read_shape(c, name, m, 0));
    uint64_t bytes = (uint64_t)m->rows * (uint64_t)m->cols * 4;
    const void *p = NULL;
    snprintf(field, sizeof field, "the %s matrix's values", name);
    m->off = c->at;
    EDL__TRY(take(c, (size_t)bytes, field, &p));
    m->data = p;
    return EDL_OK;
}

static float centroid(const edl__ft_pq *pq, size_t at) {
    float x;
    memcpy(&x, (const unsigned char *)pq->centroids + at * 4, 4);
    return x;
}

void edl__ft_row(const edl__ft_matrix *m, int64_t r, float *dst) {
    const size_t cols = (size_t)m->cols;
    if (!m->quantized) {
        memcpy(dst, (const unsigned char *)m->data + (size_t)r * cols * 4, cols * 4);
        return;
    }
    memset(dst, 0, cols * sizeof *dst); /* a zero vector and the row added, as fastText decodes one */
    edl__ft_row_add(m, r, dst);
}

void edl__ft_row_add(const edl__ft_matrix *m, int64_t r, float *dst) {
    const size_t cols = (size_t)m->cols;
    if (!m->quantized) {
        const unsigned char *p = (const unsigned char *)m->data + (size_t)r * cols * 4;
        for (size_t j = 0; j < cols; j++) {
            float x;
            memcpy(&x, p + j * 4, 4);
            dst[j] += x;
        }
        return;
    }
    /* fastText's ProductQuantizer::get_centroids and addcode, times the row's norm */
    const edl__ft_pq *pq = &m->pq;
    const uint8_t *code = m->codes + (size_t)r * (size_t)pq->nsubq;
    float norm = m->qnorm ? centroid(&m->npq, m->norm_codes[r]) : 1.0f;
    for (int32_t j = 0; j < pq->nsubq; j++) {
        size_t d = j == pq->nsubq - 1 ? (size_t)pq->lastdsub : (size_t)pq->dsub;
        size_t base = j == pq->nsubq - 1 ? (size_t)j * 256 * (size_t)pq->dsub + code[j] * (size_t)pq->lastdsub
                                         : ((size_t)j * 256 + code[j]) * (size_t)pq->dsub;
        for (size_t k = 0; k < d; k++) dst[(size_t)j * (size_t)pq->dsub + k] += norm * centroid(pq, base + k);
    }
}

edl_status edl__ft_check_quantized(const edl__ft *ft, const edl__ft_matrix *m, const char *name) {
    float big = 0.0f, norm = 1.0f;
    for (size_t i = 0; i < (size_t)m->pq.dim * 256; i++) {
        float x = centroid(&m->pq, i);
        if (!isfinite(x))
            return edl__fail(EDL_ERR_NUMERIC, "%s: byte %llu: the %s matrix's centroid value %zu is %g", ft->path,
                             (unsigned long long)(m->pq.off + i * 4), name, i, x);
        big = fabsf(x) > big ? fabsf(x) : big;
    }
    for (size_t i = 0; m->qnorm && i < 256; i++) {
        float x = centroid(&m->npq, i);
        if (!isfinite(x))
            return edl__fail(EDL_ERR_NUMERIC, "%s: byte %llu: the %s matrix's norm centroid %zu is %g", ft->path,
                             (unsigned long long)(m->npq.off + i * 4), name, i, x);
        norm = fabsf(x) > norm ? fabsf(x) : norm;
    }
    if (!isfinite(big * norm))
        return edl__fail(EDL_ERR_NUMERIC, "%s: byte %llu: the %s matrix's norms times its centroids overflow (%g x %g)",
                         ft->path, (unsigned long long)m->npq.off, name, norm, big);
    return EDL_OK;
}

static int by_bucket(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

edl_status edl__ft_prune_map(const edl__ft *ft, edl__ft_prune *p) {
    memset(p, 0, sizeof *p);
    if (ft->pruneidx_size < 0) return EDL_OK;
    size_t n = (size_t)ft->pruneidx_size; /* its pairs are in the file: n is bounded by its size */
    p->active = 1, p->n = n;
    p->pairs = malloc((n ? n : 1) * 2 * sizeof *p->pairs);
    uint8_t *used = calloc(n + 1, 1);
    if (!p->pairs || !used) {
        free(used), edl__ft_prune_free(p);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the pruned dictionary's %zu pairs", ft->path, n);
    }
    if (n) memcpy(p->pairs, ft->pruneidx, n * 2 * sizeof *p->pairs);
    qsort(p->pairs, n, 2 * sizeof *p->pairs, by_bucket);
    for (size_t i = 0; i < n; i++) {
        int32_t b = p->pairs[2 * i], r = p->pairs[2 * i + 1];
        if (b < 0 || b >= ft->args.bucket || r < 0 || (size_t)r >= n || used[r] || (i && p->pairs[2 * i - 2] == b)) {
            free(used), edl__ft_prune_free(p);
            return edl__fail(EDL_ERR_FORMAT,
                             "%s: byte 92+: a pruned dictionary pair (%d -> %d): a bucket outside [0, %d), a row "
                             "outside [0, %zu), or one given twice",
                             ft->path, b, r, ft->args.bucket, n);
        }
        used[r] = 1;
    }
    free(used);
    return EDL_OK;
}

int32_t edl__ft_prune_row(const edl__ft_prune *p, uint32_t b) {
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uint32_t)p->pairs[2 * mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && (uint32_t)p->pairs[2 * lo] == b ? p->pairs[2 * lo + 1] : -1;
}

void edl__ft_prune_free(edl__ft_prune *p) {
    if (!p) return;
    free(p->pairs);
    memset(p, 0, sizeof *p);
}

int edl__ft_is_fasttext(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int32_t magic = 0;
    int is = fread(&magic, 4, 1, f) == 1 && magic == EDL__FT_MAGIC;
    fclose(f);
    return is;
}

void edl__ft_close(edl__ft *ft) {
    if (!ft) return;
    edl__map_close(&ft->map);
    free(ft->word_off), free(ft->word_len), free(ft->counts), free(ft->types);
    memset(ft, 0, sizeof *ft);
}

edl_status edl__ft_open(edl__ft *ft, const char *path) {
    memset(ft, 0, sizeof *ft);
    ft->path = path;
    EDL__TRY(edl__map_load(&ft->map, path)); /* rows are paged in as they are read */
    ft->bytes = ft->map.data, ft->size = ft->map.size;
    cursor c = {ft, 0};
    int32_t magic;
    edl_status s = i32(&c, "the magic number", &magic);
    if (s == EDL_OK && magic != EDL__FT_MAGIC)
        s = fail_at(&c, 0, "%s is %lld, not fastText's 793712314", "the magic number", magic);
    if (s == EDL_OK) s = i32_in(&c, "the version", 1, EDL__FT_VERSION, &ft->version);
    if (s == EDL_OK && ft->version < 11)
        s = edl__fail(EDL_ERR_UNSUPPORTED, "%s: byte 4: version %d; edl reads fastText's versions 11 and 12", path,
                      ft->version);
    if (s == EDL_OK) s = read_args(&c, &ft->args);
    /* as fastText: version 11's supervised models had no character n-grams */
    if (s == EDL_OK && ft->version == 11 && ft->args.model == EDL__FT_MODEL_SUP) ft->args.maxn = 0;
    if (s == EDL_OK) s = read_dictionary(&c, ft);
    if (s == EDL_OK) s = read_matrix(&c, "input", &ft->input);
    if (s == EDL_OK && ft->pruneidx_size >= 0 && !ft->input.quantized) /* as fastText */
        s = edl__fail(EDL_ERR_FORMAT, "%s: byte 84: a pruned dictionary with a dense input matrix", path);
    if (s == EDL_OK) s = read_matrix(&c, "output", &ft->output); /* its flag is args.qout */
    if (s == EDL_OK && c.at != ft->size)
        s = fail_at(&c, c.at, "%s: %lld bytes after the output matrix", "the file", (long long)(ft->size - c.at));
    /* the matrices as the arguments and the dictionary say */
    const edl__ft_args *a = &ft->args;
    int sup = a->model == EDL__FT_MODEL_SUP;
    if (s == EDL_OK && ft->input.cols != a->dim)
        s = fail_at(&c, ft->input.off - 8, "%s has %lld columns, not args.dim", "the input matrix", ft->input.cols);
    if (s == EDL_OK &&
        ft->input.rows != (int64_t)ft->nwords + (ft->pruneidx_size >= 0 ? ft->pruneidx_size : (int64_t)a->bucket))
        s = fail_at(&c, ft->input.off - 16, "%s has %lld rows, not nwords + args.bucket", "the input matrix",
                    ft->input.rows);
    if (s == EDL_OK && ft->output.cols != a->dim)
        s = fail_at(&c, ft->output.off - 8, "%s has %lld columns, not args.dim", "the output matrix", ft->output.cols);
    if (s == EDL_OK && ft->output.rows != (sup ? ft->nlabels : ft->nwords))
        s = fail_at(&c, ft->output.off - 16, "%s has %lld rows, not the labels (words for word vectors)",
                    "the output matrix", ft->output.rows);
    if (s == EDL_OK && a->maxn > 0 && (a->minn > a->maxn || a->bucket == 0))
        s = fail_at(&c, 8 + 4 * 9, "%s: minn above maxn, or n-grams without buckets (minn %lld)", "args", a->minn);
    if (s != EDL_OK) edl__ft_close(ft);
    return s;
}

/* ---- writing -------------------------------------------------------------------------------- */

static int put(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n; }

static int write_pq(FILE *f, const edl__ft_pq_out *pq) {
    int32_t h[4] = {pq->dim, pq->nsubq, pq->dsub, pq->lastdsub};
    return put(f, h, sizeof h) && put(f, pq->centroids, (size_t)pq->dim * 256 * sizeof(float));
}

/* fastText's QuantMatrix::save */
static int write_quantized(FILE *f, const edl__ft_qmatrix *q, int64_t rows, int32_t cols) {
    uint8_t qnorm = (uint8_t)(q->qnorm != 0);
    int64_t shape[2] = {rows, cols};
    int32_t codesize = (int32_t)(rows * q->pq.nsubq);
    int ok = put(f, &qnorm, 1) && put(f, shape, sizeof shape) && put(f, &codesize, 4) &&
             put(f, q->codes, (size_t)codesize) && write_pq(f, &q->pq);
    if (ok && q->qnorm) ok = put(f, q->norm_codes, (size_t)rows) && write_pq(f, &q->npq);
    return ok;
}

static edl_status write_model(FILE *f, void *ctx) {
    const edl__ft_model *m = ctx;
    const edl__ft_args *a = &m->args;
    int32_t head[2] = {EDL__FT_MAGIC, EDL__FT_VERSION};
    int32_t args[12] = {a->dim,  a->ws,    a->epoch,  a->min_count, a->neg,  a->word_ngrams,
                        a->loss, a->model, a->bucket, a->minn,      a->maxn, a->lr_update_rate};
    int32_t dict[3] = {m->nwords + m->nlabels, m->nwords, m->nlabels};
    int64_t counts[2] = {m->ntokens, m->pruneidx_size}; /* -1: not pruned */
    int ok = put(f, head, sizeof head) && put(f, args, sizeof args) && put(f, &a->t, 8) && put(f, dict, sizeof dict) &&
             put(f, counts, sizeof counts);
    for (int32_t i = 0; ok && i < m->nwords + m->nlabels; i++) {
        int8_t type = i >= m->nwords;
        ok = put(f, m->words[i], m->lens[i]) && fputc(0, f) != EOF && put(f, &m->counts[i], 8) && put(f, &type, 1);
    }
    if (ok && m->pruneidx_size > 0) ok = put(f, m->pruneidx, (size_t)m->pruneidx_size * 2 * sizeof(int32_t));
    uint8_t quant = m->qin != NULL;
    int64_t shape[2] = {m->in_rows, a->dim};
    ok = ok && put(f, &quant, 1);
    if (m->qin)
        ok = ok && write_quantized(f, m->qin, m->in_rows, a->dim);
    else
        ok = ok && put(f, shape, sizeof shape) && put(f, m->in, (size_t)m->in_rows * (size_t)a->dim * sizeof(float));
    quant = m->qout != NULL;
    ok = ok && put(f, &quant, 1);
    if (m->qout)
        return ok && write_quantized(f, m->qout, m->out_rows, a->dim) ? EDL_OK : edl__fail(EDL_ERR_IO, "write failed");
    shape[0] = m->out_rows;
    ok = ok && put(f, shape, sizeof shape) && put(f, m->out, (size_t)m->out_given * (size_t)a->dim * sizeof(float));
    const float zero = 0.0f;
    for (int64_t r = m->out_given; ok && r < m->out_rows; r++)
        for (int32_t d = 0; ok && d < a->dim; d++) ok = put(f, &zero, sizeof zero);
    return ok ? EDL_OK : edl__fail(EDL_ERR_IO, "write failed");
}

static uint64_t quantized_size(const edl__ft_qmatrix *q, int64_t rows, int32_t cols) {
    uint64_t pq = 16 + (uint64_t)cols * 256 * 4, npq = 16 + 256 * 4;
    return 1 + 16 + 4 + (uint64_t)rows * (uint64_t)q->pq.nsubq + pq + (q->qnorm ? (uint64_t)rows + npq : 0);
}

uint64_t edl__ft_size(const edl__ft_model *m) { /* write_model's layout, counted */
    uint64_t n = 8 + 48 + 8 + 12 + 16, dim = (uint64_t)m->args.dim;
    for (int32_t i = 0; i < m->nwords + m->nlabels; i++) n += m->lens[i] + 1 + 8 + 1;
    if (m->pruneidx_size > 0) n += (uint64_t)m->pruneidx_size * 8;
    n += 1 + (m->qin ? quantized_size(m->qin, m->in_rows, m->args.dim) : 16 + 4 * (uint64_t)m->in_rows * dim);
    n += 1 + (m->qout ? quantized_size(m->qout, m->out_rows, m->args.dim) : 16 + 4 * (uint64_t)m->out_rows * dim);
    return n;
}

edl_status edl__ft_write(const char *path, const edl__ft_model *m) {
    if (m->nwords < 0 || m->nlabels < 0 || m->out_given > m->out_rows || m->args.dim <= 0)
        return edl__fail(EDL_ERR_ARG, "%s: a fastText model of %d words, %d labels, dim %d", path, m->nwords,
                         m->nlabels, m->args.dim);
    return edl__write_atomic(path, write_model, (void *)m);
}