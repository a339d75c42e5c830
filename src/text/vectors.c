/* Word vectors in memory and in the formats people have: word2vec text and binary, GloVe text,
 * fastText .vec, edl's safetensors. Readers stream, check every row before trusting it, and
 * name the file and line (or byte offset) of anything wrong. */
#include "text/vectors.h"
#include "common/float_text.h"
#include "io/fasttext_file.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Words may be of any length: every trainer and writer takes any token, so every reader does
   too (the file's size bounds what a word can cost). */
#define MAX_DIM 100000

/* "<count> <dim>" of a word2vec header: decimal digits only (sscanf's %llu would take "-3" as
   2^64 - 3), spaces between and after; 0 when it is one. */
static int parse_header(const char *s, size_t n, unsigned long long *count, unsigned long long *dim) {
    unsigned long long v[2] = {0, 0};
    size_t i = 0;
    for (int k = 0; k < 2; k++) {
        while (k && i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        size_t start = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (v[k] > (ULLONG_MAX - d) / 10) return -1;
            v[k] = v[k] * 10 + d;
        }
        if (i == start) return -1;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    if (i != n) return -1;
    *count = v[0], *dim = v[1];
    return 0;
}

void edl_vectors_free(edl_vectors *v) {
    if (!v) return;
    edl__vocab_free(&v->vocab);
    if (v->file)
        edl__st_close(v->file);
    else
        free(v->data);
    edl__qt_free(&v->qt);
    free(v);
}

size_t edl_vectors_count(const edl_vectors *v) { return v ? v->n : 0; }
size_t edl_vectors_dim(const edl_vectors *v) { return v ? v->dim : 0; }
const float *edl_vectors_row(const edl_vectors *v, size_t i) {
    return v && v->data && i < v->n ? v->data + i * v->dim : NULL;
}

edl_status edl_vectors_get(const edl_vectors *v, size_t i, float *out) {
    if (!v || !out) return edl__fail(EDL_ERR_ARG, "edl_vectors_get: an argument is NULL");
    if (i >= v->n) return edl__fail(EDL_ERR_INDEX, "edl_vectors_get: row %zu is out of range [0, %zu)", i, v->n);
    if (v->data)
        memcpy(out, v->data + i * v->dim, v->dim * sizeof *out);
    else
        edl__qt_row(&v->qt, i, out);
    return EDL_OK;
}

edl_quant_kind edl_vectors_quantized(const edl_vectors *v) { return v ? v->qt.kind : EDL_QUANT_NONE; }

size_t edl_vectors_table_bytes(const edl_vectors *v) {
    return !v ? 0 : v->data ? v->n * v->dim * sizeof(float) : edl__qt_bytes(&v->qt);
}

edl_status edl__vectors_copy_words(edl_vectors **out, const edl_vectors *v) {
    edl_vectors *c;
    EDL__TRY(edl__vectors_alloc(&c, 0, v->dim));
    free(c->data);
    c->data = NULL;
    edl_status s = EDL_OK;
    for (size_t i = 0; s == EDL_OK && i < v->n; i++) {
        size_t len;
        const char *w = edl_vectors_word(v, i, &len);
        s = edl__vectors_add_word(c, w, len, "vectors");
    }
    if (s != EDL_OK) {
        edl_vectors_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

edl_status edl_vectors_quantize(edl_vectors **out, const edl_vectors *v, edl_quant_kind kind, size_t m, uint64_t seed) {
    if (!out || !v) return edl__fail(EDL_ERR_ARG, "edl_vectors_quantize: an argument is NULL");
    if (!v->data) return edl__fail(EDL_ERR_ARG, "edl_vectors_quantize: the vectors are quantized already");
    if (kind != EDL_QUANT_INT8 && kind != EDL_QUANT_PQ)
        return edl__fail(EDL_ERR_ARG, "edl_vectors_quantize: scheme %d is neither int8 nor pq", (int)kind);
    if (v->n == 0) return edl__fail(EDL_ERR_ARG, "edl_vectors_quantize: no vectors");
    edl_vectors *c;
    EDL__TRY(edl__vectors_copy_words(&c, v));
    edl_status s = edl__qt_build(&c->qt, kind, m, v->data, v->n, v->dim, seed);
    if (s != EDL_OK) {
        edl_vectors_free(c);
        return s;
    }
    *out = c;
    return EDL_OK;
}

edl_status edl_vectors_dequantize(edl_vectors **out, const edl_vectors *v) {
    if (!out || !v) return edl__fail(EDL_ERR_ARG, "edl_vectors_dequantize: an argument is NULL");
    edl_vectors *c;
    EDL__TRY(edl__vectors_copy_words(&c, v));
    size_t cells;
    c->data = edl__mul_ok(v->n ? v->n : 1, v->dim * sizeof(float), &cells) ? malloc(cells) : NULL;
    if (!c->data) {
        edl_vectors_free(c);
        return edl__fail(EDL_ERR_NOMEM, "edl_vectors_dequantize: no memory for %zu x %zu floats", v->n, v->dim);
    }
    for (size_t i = 0; i < v->n; i++) edl_vectors_get(v, i, c->data + i * v->dim);
    *out = c;
    return EDL_OK;
}

const char *edl_vectors_word(const edl_vectors *v, size_t i, size_t *len) {
    if (!v || i >= v->n) return NULL;
    if (len) *len = (size_t)(v->vocab.offsets[i + 1] - v->vocab.offsets[i]);
    return v->vocab.bytes + v->vocab.offsets[i];
}

int64_t edl_vectors_find(const edl_vectors *v, const char *w, size_t len) {
    if (!v || !w) return -1;
    return edl__vocab_find(&v->vocab, w, len, edl__text_hash(w, len));
}

/* A new, empty set for n rows of dim (the table allocated once, at its final size). */
edl_status edl__vectors_alloc(edl_vectors **out, size_t n, size_t dim) {
    size_t cnt, bytes;
    if (dim == 0 || dim > MAX_DIM) return edl__fail(EDL_ERR_ARG, "vectors: dim %zu is not in [1, %d]", dim, MAX_DIM);
    if (!edl__mul_ok(n ? n : 1, dim, &cnt) || !edl__mul_ok(cnt, sizeof(float), &bytes))
        return edl__fail(EDL_ERR_NOMEM, "vectors: %zu x %zu overflows", n, dim);
    edl_vectors *v = calloc(1, sizeof *v);
    if (!v) return edl__fail(EDL_ERR_NOMEM, "vectors: no memory");
    v->dim = dim;
    v->data = malloc(bytes);
    /* the label prefix is a byte no word can hold: every token is a word here */
    edl_status s = v->data ? edl__vocab_init(&v->vocab, "\x01")
                           : edl__fail(EDL_ERR_NOMEM, "vectors: no memory for %zu x %zu floats", n, dim);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

/* Appends a word (its row is already at data + n * dim); duplicates are an error. */
edl_status edl__vectors_add_word(edl_vectors *v, const char *w, size_t len, const char *where) {
    if (len == 0) return edl__fail(EDL_ERR_FORMAT, "%s: empty word", where);
    const size_t before = v->vocab.size;
    EDL__TRY(edl__vocab_add(&v->vocab, w, len)); /* one lookup: a known word adds no entry */
    if (v->vocab.size == before)
        return edl__fail(EDL_ERR_FORMAT, "%s: word \"%.*s\" appears twice (first as row %lld)", where,
                         (int)(len > 60 ? 60 : len), w, (long long)edl_vectors_find(v, w, len) + 1);
    v->vocab.nwords = v->vocab.size;
    v->n++;
    return EDL_OK;
}

edl_status edl_vectors_create(edl_vectors **out, const char *const *words, const float *data, size_t n, size_t dim) {
    if (!out || (n && (!words || !data))) return edl__fail(EDL_ERR_ARG, "edl_vectors_create: an argument is NULL");
    edl_vectors *v;
    EDL__TRY(edl__vectors_alloc(&v, n, dim));
    edl_status s = EDL_OK;
    for (size_t i = 0; s == EDL_OK && i < n; i++) {
        char where[48];
        snprintf(where, sizeof where, "edl_vectors_create: word %zu", i);
        if (!words[i])
            s = edl__fail(EDL_ERR_ARG, "%s is NULL", where);
        else
            s = edl__vectors_add_word(v, words[i], strlen(words[i]), where);
    }
    if (s == EDL_OK && n) memcpy(v->data, data, n * dim * sizeof(float));
    for (size_t i = 0; s == EDL_OK && i < n * dim; i++)
        if (!isfinite(v->data[i])) s = edl__fail(EDL_ERR_NUMERIC, "edl_vectors_create: value %zu is not finite", i);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

/* ---- text (word2vec / .vec with a header, GloVe without) --------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Parses "word v1 .. vdim" (trailing blanks allowed) into row; *wlen is the word's length. */
static edl_status parse_row(const char *path, size_t line, char *s, size_t len, size_t dim, float *row, size_t *wlen) {
    size_t i = 0;
    while (i < len && is_blank(s[i])) i++;
    size_t w0 = i;
    while (i < len && !is_blank(s[i])) i++;
    if (i == w0) return edl__fail(EDL_ERR_FORMAT, "%s:%zu: an empty row", path, line);
    if (w0 != 0) return edl__fail(EDL_ERR_FORMAT, "%s:%zu:1: a row must start with its word", path, line);
    *wlen = i;
    for (size_t d = 0; d < dim; d++) {
        while (i < len && is_blank(s[i])) i++;
        if (i >= len) return edl__fail(EDL_ERR_FORMAT, "%s:%zu: %zu values, %zu expected", path, line, d, dim);
        char *end;
        errno = 0;
        float x = strtof(s + i, &end);
        size_t col = i + 1;
        if (end == s + i || (end < s + len && !is_blank(*end))) {
            size_t tl = 0;
            while (i + tl < len && !is_blank(s[i + tl]) && tl < 20) tl++;
            return edl__fail(EDL_ERR_FORMAT, "%s:%zu:%zu: value %zu '%.*s' is not a number%s", path, line, col, d + 1,
                             (int)tl, s + i, d == 0 ? " (a word with a space in it?)" : "");
        }
        if (!isfinite(x))
            return edl__fail(EDL_ERR_NUMERIC, "%s:%zu:%zu: value %zu is not finite", path, line, col, d + 1);
        row[d] = x;
        i = (size_t)(end - s);
    }
    while (i < len && is_blank(s[i])) i++;
    if (i < len) return edl__fail(EDL_ERR_FORMAT, "%s:%zu:%zu: more than %zu values", path, line, i + 1, dim);
    return EDL_OK;
}

/* Counts values on a GloVe row: its dim. */
static size_t count_fields(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && is_blank(s[i])) i++;
        if (i < len) n++;
        while (i < len && !is_blank(s[i])) i++;
    }
    return n;
}

/* Every writer (word2vec, fastText, GloVe, edl) ends each row with a newline, so a last line
   without one is a file cut short: its last number may have lost digits ("0.3" cut to "0." reads
   as 0) and would load wrong without a trace. Refused, naming the line. */
static edl_status cut_short(const char *path, size_t line, const edl_lines *lr) {
    if (edl_lines_newline(lr)) return EDL_OK;
    return edl__fail(EDL_ERR_FORMAT,
                     "%s:%zu: the file ends inside this line, without a newline: is it cut short? "
                     "(every writer ends each row with one; add it if the file is whole)",
                     path, line);
}

/* *lr reads f's descriptor from byte 0 (the format was sniffed through f; GloVe is read twice). */
static edl_status restart(edl_lines **lr, const char *path, FILE *f, const char *what) {
    edl_lines_close(*lr);
    *lr = NULL;
    if (lseek(fileno(f), 0, SEEK_SET) != 0) return edl__fail(EDL_ERR_IO, "%s: %s: %s", path, what, strerror(errno));
    return edl_lines_from_fd(lr, fileno(f), path);
}

/* The next line; a read error said as this reader always has, by the line before it. */
static edl_status next_line(edl_lines *lr, const char *path, char **line, size_t *len) {
    edl_status s = edl_lines_next(lr, line, len);
    if (s == EDL_ERR_IO) s = edl__fail(EDL_ERR_IO, "%s: read error after line %zu", path, edl_lines_number(lr));
    return s;
}

static edl_status read_text(edl_vectors **out, const char *path, FILE *f, uint64_t fsize, int glove) {
    char *line = NULL;
    size_t lineno = 0, n = 0, dim = 0, len = 0;
    edl_lines *lr = NULL;
    edl_status s = restart(&lr, path, f, "cannot read it");
    edl_vectors *v = NULL;
    if (s == EDL_OK && !glove) {
        unsigned long long hn = 0, hd = 0;
        s = next_line(lr, path, &line, &len);
        lineno = 1;
        if (s == EDL_OK && line) s = cut_short(path, 1, lr);
        if (s == EDL_OK && (!line || parse_header(line, len, &hn, &hd) != 0 || hd == 0))
            s = edl__fail(EDL_ERR_FORMAT,
                          "%s:1: expected the header \"<count> <dim>\" (GloVe files have none: use --format glove)",
                          path);
        else if (s == EDL_OK && hd > MAX_DIM)
            s = edl__fail(EDL_ERR_FORMAT, "%s:1: dim %llu in the header is over %d", path, hd, MAX_DIM);
        /* each value takes at least two bytes ("0 "): a header promising more than the file can
           hold is refused before anything is allocated */
        else if (s == EDL_OK && (hn > fsize / 2 || hn * hd > fsize / 2))
            s = edl__fail(EDL_ERR_FORMAT, "%s:1: the header says %llu x %llu values but the file has %llu bytes", path,
                          hn, hd, (unsigned long long)fsize);
        n = (size_t)hn, dim = (size_t)hd;
    } else if (s == EDL_OK) {
        /* no header: count the rows and read the dim from the first, then read again */
        size_t physical = 0;
        while ((s = next_line(lr, path, &line, &len)) == EDL_OK && line) {
            size_t l = len;
            physical++;
            while (l && is_blank(line[l - 1])) l--;
            if (!l) continue;
            if (!dim) {
                size_t fields = count_fields(line, l);
                if (fields < 2) { /* "alpha" may be "alpha 0.1" cut short */
                    s = cut_short(path, physical, lr);
                    if (s == EDL_OK)
                        s = edl__fail(EDL_ERR_FORMAT, "%s:%zu: a row needs a word and at least one value", path,
                                      physical);
                    break;
                }
                dim = fields - 1;
            }
            n++;
        }
        if (s == EDL_OK && n == 0) s = edl__fail(EDL_ERR_FORMAT, "%s: no vectors", path);
        if (s == EDL_OK) s = restart(&lr, path, f, "cannot read it twice");
    }
    if (s == EDL_OK) s = edl__vectors_alloc(&v, n, dim);
    size_t row = 0;
    while (s == EDL_OK && (s = next_line(lr, path, &line, &len)) == EDL_OK && line) {
        lineno++;
        size_t l = len; /* without the newline, and a '\r' before it, which is blank here anyway */
        if (memchr(line, '\0', l)) {
            s = edl__fail(EDL_ERR_FORMAT, "%s:%zu: a NUL byte: is this a binary file? (use --format binary)", path,
                          lineno);
            break;
        }
        if ((s = cut_short(path, lineno, lr)) != EDL_OK) break;
        size_t k = l;
        while (k && is_blank(line[k - 1])) k--;
        if (!k) continue; /* blank lines are allowed */
        if (row == n) {
            s = edl__fail(EDL_ERR_FORMAT, "%s:%zu: more rows than the %zu the header promised", path, lineno, n);
            break;
        }
        size_t wlen = 0;
        char where[600];
        s = parse_row(path, lineno, line, l, dim, v->data + row * dim, &wlen);
        if (s == EDL_OK) {
            snprintf(where, sizeof where, "%s:%zu", path, lineno);
            s = edl__vectors_add_word(v, line, wlen, where);
        }
        row++;
    }
    if (s == EDL_OK && row != n)
        s = edl__fail(EDL_ERR_FORMAT, "%s: the header promised %zu rows, the file has %zu", path, n, row);
    edl_lines_close(lr);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

/* ---- word2vec binary ------------------------------------------------------------------------ */

static edl_status read_binary(edl_vectors **out, const char *path, FILE *f, uint64_t fsize) {
    unsigned long long hn = 0, hd = 0;
    char head[64];
    size_t hlen = 0;
    int c = 0;
    while (hlen < sizeof head && (c = fgetc(f)) != EOF && c != '\n') head[hlen++] = (char)c;
    if (c != '\n' || parse_header(head, hlen, &hn, &hd) != 0 || hd == 0)
        return edl__fail(EDL_ERR_FORMAT, "%s: byte 0: expected the header \"<count> <dim>\\n\"", path);
    if (hd > MAX_DIM) return edl__fail(EDL_ERR_FORMAT, "%s: byte 0: dim %llu is over %d", path, hd, MAX_DIM);
    if (hn > fsize / (hd * 4 + 2)) /* each row: at least a byte of word, a space and dim floats */
        return edl__fail(EDL_ERR_FORMAT,
                         "%s: byte 0: the header says %llu rows of %llu floats but the file has %llu bytes", path, hn,
                         hd, (unsigned long long)fsize);
    edl_vectors *v;
    EDL__TRY(edl__vectors_alloc(&v, (size_t)hn, (size_t)hd));
    edl_status s = EDL_OK;
    char *word = NULL;
    size_t wcap = 0;
    for (size_t r = 0; s == EDL_OK && r < hn; r++) {
        off_t at = ftello(f);
        size_t len = 0;
        while ((c = fgetc(f)) == '\n') at++; /* word2vec writes a newline after each row */
        while (c != EOF && c != ' ') {
            if (c == '\0' || c == '\t' || c == '\r') break;
            if (len == wcap) { /* any length: the file's own bytes bound it */
                char *nw = realloc(word, wcap ? 2 * wcap : 256);
                if (!nw) {
                    s = edl__fail(EDL_ERR_NOMEM, "%s: byte %lld: no memory for row %zu's word of %zu bytes", path,
                                  (long long)at, r + 1, len);
                    break;
                }
                word = nw, wcap = wcap ? 2 * wcap : 256;
            }
            word[len++] = (char)c;
            c = fgetc(f);
        }
        if (s != EDL_OK) break;
        if (c == EOF)
            s = edl__fail(EDL_ERR_FORMAT, "%s: byte %lld: row %zu is truncated in its word", path, (long long)at,
                          r + 1);
        else if (len == 0)
            s = edl__fail(EDL_ERR_FORMAT, "%s: byte %lld: row %zu has an empty word: is this a binary file?", path,
                          (long long)at, r + 1);
        else if (c != ' ')
            s = edl__fail(EDL_ERR_FORMAT, "%s: byte %lld: row %zu's word holds a control byte: is this a binary file?",
                          path, (long long)at, r + 1);
        if (s != EDL_OK) break;
        float *row = v->data + r * v->dim;
        if (fread(row, sizeof(float), v->dim, f) != v->dim) {
            s = edl__fail(EDL_ERR_FORMAT, "%s: byte %lld: row %zu is truncated (%zu floats expected)", path,
                          (long long)at, r + 1, v->dim);
            break;
        }
        uint16_t one = 1;
        if (*(uint8_t *)&one != 1) /* big-endian host: the file is little-endian */
            for (size_t d = 0; d < v->dim; d++) {
                uint8_t *b = (uint8_t *)&row[d], t0 = b[0], t1 = b[1];
                b[0] = b[3], b[1] = b[2], b[2] = t1, b[3] = t0;
            }
        for (size_t d = 0; s == EDL_OK && d < v->dim; d++)
            if (!isfinite(row[d]))
                s = edl__fail(EDL_ERR_NUMERIC, "%s: byte %lld: row %zu value %zu is not finite", path, (long long)at,
                              r + 1, d + 1);
        char where[600];
        snprintf(where, sizeof where, "%s: byte %lld", path, (long long)at);
        if (s == EDL_OK) s = edl__vectors_add_word(v, word, len, where);
    }
    free(word);
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

edl_status edl__vectors_of_words(edl_vectors **out, const edl__vocab *vocab, size_t nwords, size_t dim,
                                 edl__word_vector_fn word_vector, const void *ctx, const char *fn) {
    edl_vectors *v;
    EDL__TRY(edl__vectors_alloc(&v, nwords, dim));
    edl_status s = EDL_OK;
    for (size_t i = 0; s == EDL_OK && i < nwords; i++) {
        const char *word = vocab->bytes + vocab->offsets[i];
        size_t len = (size_t)(vocab->offsets[i + 1] - vocab->offsets[i]);
        s = word_vector(ctx, word, len, v->data + i * dim);
        if (s == EDL_OK) s = edl__vectors_add_word(v, word, len, fn);
    }
    if (s != EDL_OK) {
        edl_vectors_free(v);
        return s;
    }
    *out = v;
    return EDL_OK;
}

static edl_status fasttext_vectors(edl_vectors **out, const char *path) {
    edl_wordvec *w = NULL;
    edl_status s = edl_wordvec_load(&w, path);
    if (s == EDL_OK) {
        s = edl_wordvec_vectors(w, out);
        edl_wordvec_free(w);
        return s;
    }
    if (!strstr(edl_last_error(), "a fastText classifier")) return s;
    edl_textclf *c = NULL;
    EDL__TRY(edl_textclf_load(&c, path));
    s = edl_textclf_vectors(c, out);
    edl_textclf_free(c);
    return s;
}

edl_status edl_vectors_read(edl_vectors **out, const char *path, edl_vec_format fmt) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_vectors_read: an argument is NULL");
    if ((unsigned)fmt > EDL_VEC_SAFETENSORS)
        return edl__fail(EDL_ERR_ARG, "edl_vectors_read: unknown format %d", (int)fmt);
    FILE *f = fopen(path, "rb");
    if (!f) return edl__fail(EDL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return edl__fail(EDL_ERR_IO, "%s: not a regular file", path);
    }
    unsigned char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    rewind(f);
    int32_t magic = 0;
    if (got >= 4) memcpy(&magic, head, 4);
    if ((fmt == EDL_VEC_AUTO || fmt == EDL_VEC_BINARY) && magic == EDL__FT_MAGIC) {
        /* a fastText model (.bin): its words' vectors as fastText makes them (their subwords') */
        fclose(f);
        return fasttext_vectors(out, path);
    }
    if (fmt == EDL_VEC_AUTO) {
        if ((got >= 9 && head[8] == '{') || ends_with(path, ".safetensors"))
            fmt = EDL_VEC_SAFETENSORS;
        else if (ends_with(path, ".bin"))
            fmt = EDL_VEC_BINARY;
        else {
            /* a text file: with a "count dim" header or not */
            unsigned long long a, b;
            char rest[8];
            char first[256] = "";
            if (!fgets(first, sizeof first, f)) first[0] = '\0';
            rewind(f);
            fmt = sscanf(first, "%llu %llu %7s", &a, &b, rest) == 2 ? EDL_VEC_TEXT : EDL_VEC_GLOVE;
        }
    }
    edl_status s;
    if (fmt == EDL_VEC_SAFETENSORS) {
        fclose(f);
        return edl__vectors_read_safetensors(out, path);
    }
    if (fmt == EDL_VEC_BINARY)
        s = read_binary(out, path, f, (uint64_t)st.st_size);
    else
        s = read_text(out, path, f, (uint64_t)st.st_size, fmt == EDL_VEC_GLOVE);
    fclose(f);
    return s;
}

/* ---- writing -------------------------------------------------------------------------------- */

typedef struct {
    const edl_vectors *v;
    edl_vec_format fmt;
} write_ctx;

/* Text rows: formatting numbers is most of a write's time, so blocks of rows are formatted by
   every thread into one buffer (a row's slot holds its word and dim numbers of at most 16 bytes
   each, " %.9g" by edl__float_g9), then written in order: the same bytes as one fprintf after
   another. */
static edl_status write_text_rows(FILE *f, const edl_vectors *v) {
    enum { BLOCK = 1024 };
    const size_t dim = v->dim;
    size_t *off = malloc((BLOCK + 1) * sizeof *off), *used = malloc(BLOCK * sizeof *used);
    char *buf = NULL;
    size_t cap = 0;
    edl_status s = off && used ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "no memory to format rows");
    for (size_t b = 0; s == EDL_OK && b < v->n; b += BLOCK) {
        size_t n = v->n - b < BLOCK ? v->n - b : BLOCK;
        off[0] = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len;
            edl_vectors_word(v, b + i, &len);
            off[i + 1] = off[i] + len + dim * 16 + 2;
        }
        if (off[n] > cap) {
            char *nb = realloc(buf, off[n]);
            if (!nb) {
                s = edl__fail(EDL_ERR_NOMEM, "no memory to format %zu rows of %zu", n, dim);
                break;
            }
            buf = nb, cap = off[n];
        }
#pragma omp parallel for schedule(static) if (n * dim > 20000)
        for (size_t i = 0; i < n; i++) {
            size_t len;
            const char *w = edl_vectors_word(v, b + i, &len);
            char *p = buf + off[i];
            memcpy(p, w, len);
            size_t at = len;
            const float *row = v->data + (b + i) * dim;
            for (size_t d = 0; d < dim; d++) p[at] = ' ', at += 1 + edl__float_g9(p + at + 1, row[d]);
            p[at++] = '\n';
            used[i] = at;
        }
        for (size_t i = 0; i < n; i++) fwrite(buf + off[i], 1, used[i], f);
    }
    free(off), free(used), free(buf);
    return s;
}

static edl_status write_vectors(FILE *f, void *vc) {
    const write_ctx *c = vc;
    const edl_vectors *v = c->v;
    if (c->fmt != EDL_VEC_GLOVE) fprintf(f, "%zu %zu\n", v->n, v->dim);
    if (c->fmt != EDL_VEC_BINARY) {
        EDL__TRY(write_text_rows(f, v));
        return ferror(f) ? edl__fail(EDL_ERR_IO, "write failed: %s", strerror(errno)) : EDL_OK;
    }
    for (size_t i = 0; i < v->n; i++) { /* word2vec's binary rows */
        size_t len;
        const char *w = edl_vectors_word(v, i, &len);
        fwrite(w, 1, len, f);
        fputc(' ', f);
        fwrite(v->data + i * v->dim, sizeof(float), v->dim, f); /* little-endian hosts; see read_binary */
        fputc('\n', f);
    }
    return ferror(f) ? edl__fail(EDL_ERR_IO, "write failed: %s", strerror(errno)) : EDL_OK;
}

edl_status edl_vectors_write(const edl_vectors *v, const char *path, edl_vec_format fmt) {
    if (!v || !path) return edl__fail(EDL_ERR_ARG, "edl_vectors_write: an argument is NULL");
    if (fmt == EDL_VEC_AUTO)
        fmt = ends_with(path, ".bin")           ? EDL_VEC_BINARY
              : ends_with(path, ".safetensors") ? EDL_VEC_SAFETENSORS
              : ends_with(path, ".txt")         ? EDL_VEC_GLOVE
                                                : EDL_VEC_TEXT;
    if (fmt == EDL_VEC_SAFETENSORS) return edl__vectors_write_safetensors(v, path);
    if ((unsigned)fmt > EDL_VEC_SAFETENSORS)
        return edl__fail(EDL_ERR_ARG, "edl_vectors_write: unknown format %d", (int)fmt);
    if (!v->data) { /* a quantized table as text or word2vec binary: its rows decoded */
        edl_vectors *d;
        EDL__TRY(edl_vectors_dequantize(&d, v));
        edl_status s = edl_vectors_write(d, path, fmt);
        edl_vectors_free(d);
        return s;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t len;
        const char *w = edl_vectors_word(v, i, &len);
        for (size_t k = 0; k < len; k++)
            if (w[k] == ' ' || w[k] == '\n' || w[k] == '\t' || w[k] == '\r' || w[k] == '\0')
                return edl__fail(EDL_ERR_ARG,
                                 "%s: word %zu holds whitespace: no text or binary reader could read it back", path, i);
    }
    write_ctx c = {v, fmt};
    edl_status s = edl__write_atomic(path, write_vectors, &c);
    if (s != EDL_OK && strncmp(edl_last_error(), path, strlen(path)) != 0) edl__fail_wrap(s, "%s", path);
    return s;
}
