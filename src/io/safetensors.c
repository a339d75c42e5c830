/* The safetensors container: reading a file into a table of tensors and metadata, and the one
 * writer. See safetensors.h. */
#include "io/safetensors.h"

#include "io/file.h"
#include "io/json.h"
#include "io/map.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The safetensors reference implementation refuses headers above 100 MB; so does edl. */
#define MAX_HEADER ((uint64_t)100 << 20)

static int host_is_le(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void swap_bytes(void *p, size_t n, size_t es) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++, b += es)
        for (size_t k = 0; k < es / 2; k++) {
            uint8_t t = b[k];
            b[k] = b[es - 1 - k], b[es - 1 - k] = t;
        }
}

static const char *dtype_name(edl_dtype d) { return d == EDL_DTYPE_F32 ? "F32" : d == EDL_DTYPE_I64 ? "I64" : "U8"; }
size_t edl__st_dtype_bytes(edl_dtype d) { return d == EDL_DTYPE_F32 ? 4 : d == EDL_DTYPE_I64 ? 8 : 1; }

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct {
    const char *const *keys, *const *vals;
    size_t nmeta;
    const edl_tensor *t;
    size_t nt;
} save_ctx;

static size_t tensor_bytes(const edl_tensor *t) {
    size_t n = t->shape[0] * (t->rank == 2 ? t->shape[1] : 1);
    return n * edl__st_dtype_bytes(t->dtype);
}

/* Every tensor's data starts at a multiple of 64 bytes in the file: the header is padded with
   spaces so the data starts there, and a tensor that would start elsewhere is preceded by a U8
   tensor of zeros named EDL__ST_PAD<k>. The format wants tensors contiguous, so padding is a
   tensor; edl's reader hides those, other readers list them. */
#define ALIGN 64
static size_t pad_before(size_t off) { return off % ALIGN ? ALIGN - off % ALIGN : 0; }

/* The JSON header, padded with spaces so 8 + its length is a multiple of 64, in a malloc'd buffer. */
static edl_status make_header(const save_ctx *c, char **out, size_t *out_len) {
    char *buf = NULL;
    size_t len = 0;
    FILE *h = open_memstream(&buf, &len);
    if (!h) return edl__fail(EDL_ERR_NOMEM, "no memory for the header");
    int bad = fputs("{\"__metadata__\":{", h) == EOF;
    for (size_t i = 0; i < c->nmeta; i++) {
        if (i) bad |= fputc(',', h) == EOF;
        bad |= edl__json_write_string(h, c->keys[i]);
        bad |= fputc(':', h) == EOF;
        bad |= edl__json_write_string(h, c->vals[i]);
    }
    bad |= fputc('}', h) == EOF;
    size_t off = 0;
    for (size_t i = 0; i < c->nt; i++) {
        const edl_tensor *t = &c->t[i];
        size_t nb = tensor_bytes(t), pad = pad_before(off);
        if (pad) {
            bad |= fprintf(h, ",\"%s%zu\":{\"dtype\":\"U8\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}", EDL__ST_PAD,
                           i, pad, off, off + pad) < 0;
            off += pad;
        }
        bad |= fputc(',', h) == EOF;
        bad |= edl__json_write_string(h, t->name);
        if (t->rank == 2)
            bad |= fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[%zu,%zu],\"data_offsets\":[%zu,%zu]}",
                           dtype_name(t->dtype), t->shape[0], t->shape[1], off, off + nb) < 0;
        else
            bad |= fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}", dtype_name(t->dtype),
                           t->shape[0], off, off + nb) < 0;
        off += nb;
    }
    bad |= fputc('}', h) == EOF;
    while (!bad && (8 + len) % ALIGN != 0) {
        bad |= fputc(' ', h) == EOF;
        fflush(h);
    }
    if (fclose(h) != 0) bad = 1;
    if (bad) {
        free(buf);
        return edl__fail(EDL_ERR_NOMEM, "no memory for the header");
    }
    *out = buf;
    *out_len = len;
    return EDL_OK;
}

static edl_status write_tensors(FILE *f, void *vc) {
    const save_ctx *c = vc;
    char *header = NULL;
    size_t hlen = 0;
    EDL__TRY(make_header(c, &header, &hlen));
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
    free(header);
    static const uint8_t zeros[ALIGN];
    size_t off = 0;
    for (size_t i = 0; ok && i < c->nt; i++) {
        const edl_tensor *t = &c->t[i];
        size_t nb = tensor_bytes(t), es = edl__st_dtype_bytes(t->dtype), pad = pad_before(off);
        ok = fwrite(zeros, 1, pad, f) == pad;
        off += pad + nb;
        if (!ok) break;
        if (host_is_le() || es == 1) {
            ok = fwrite(t->data, 1, nb, f) == nb;
        } else {
            uint8_t chunk[4096];
            for (size_t b = 0; ok && b < nb; b += sizeof chunk) {
                size_t k = nb - b < sizeof chunk ? nb - b : sizeof chunk;
                memcpy(chunk, (const uint8_t *)t->data + b, k);
                swap_bytes(chunk, k / es, es);
                ok = fwrite(chunk, 1, k, f) == k;
            }
        }
    }
    if (!ok) return edl__fail(EDL_ERR_IO, "write failed: %s", strerror(errno));
    return EDL_OK;
}

edl_status edl__st_write(const char *path, const char *const *keys, const char *const *vals, size_t nmeta,
                         const edl_tensor *t, size_t nt) {
    for (size_t i = 0; i < nmeta; i++)
        if (!edl__utf8_valid(keys[i], strlen(keys[i])) || !edl__utf8_valid(vals[i], strlen(vals[i])))
            return edl__fail(EDL_ERR_ARG, "%s: metadata \"%.60s\" is not valid UTF-8", path, keys[i]);
    save_ctx c = {keys, vals, nmeta, t, nt};
    edl_status s = edl__write_atomic(path, write_tensors, &c);
    if (s != EDL_OK && strncmp(edl_last_error(), path, strlen(path)) != 0) edl__fail_wrap(s, "%s", path);
    return s;
}

/* ---- reading ------------------------------------------------------------------------------ */

struct edl__st {
    char *path;
    edl__map map; /* the file's bytes (mapped, or read) */
    int refs;     /* edl__st_retain adds one; edl__st_close removes one */
    uint64_t size, hlen;
    char *header;            /* the JSON text */
    edl__json root;          /* the parsed header: names, dtypes and metadata point into it */
    const edl__json *meta;   /* __metadata__ */
    edl__st_tensor *t;       /* n tensors, in data order */
    edl__st_tensor **byname; /* the same, sorted by name */
    uint64_t *dims;          /* every tensor's shape, one after another */
    void **data;             /* n: copies made by edl__st_data (byte-swapped or unaligned data), or NULL */
    size_t n;
};

edl_status edl__st_fail(const edl__st *st, edl_status code, uint64_t off, const char *fmt, ...) {
    char m[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return edl__fail(code, "%s: byte %llu: %s", st->path, (unsigned long long)off, m);
}

#define ST_FAIL(code, off, ...)                       \
    do {                                              \
        s = edl__st_fail(st, code, off, __VA_ARGS__); \
        goto done;                                    \
    } while (0)

static size_t dtype_size(const char *d) {
    static const struct {
        const char *name;
        size_t size;
    } t[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},  {"I32", 4},     {"I16", 2},    {"I8", 1},
             {"U64", 8}, {"U32", 4}, {"U16", 2}, {"U8", 1},   {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(d, t[i].name)) return t[i].size;
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const edl__st_tensor *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const edl__st_tensor *const *)a)->name, (*(const edl__st_tensor *const *)b)->name);
}

/* Checks one tensor entry v: fields, dtype, shape x dtype size == byte span inside the data; fills
   t but for its shape and index (set once every entry is checked). */
static edl_status check_entry(const edl__st *st, const edl__json *v, uint64_t data_size, edl__st_tensor *t) {
    edl_status s = EDL_OK;
    const uint64_t hbase = 8;
    if (v->type != EDL__JSON_OBJECT) ST_FAIL(EDL_ERR_FORMAT, hbase + v->off, "tensor \"%s\" is not an object", t->name);
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
            ST_FAIL(EDL_ERR_FORMAT, hbase + v->key_offs[i], "tensor \"%s\" has an unknown field \"%s\"", t->name,
                    v->keys[i]);
    const edl__json *dt = edl__json_get(v, "dtype"), *sh = edl__json_get(v, "shape"),
                    *of = edl__json_get(v, "data_offsets");
    if (!dt || !sh || !of)
        ST_FAIL(EDL_ERR_FORMAT, hbase + v->off, "tensor \"%s\" lacks dtype, shape or data_offsets", t->name);
    if (dt->type != EDL__JSON_STRING)
        ST_FAIL(EDL_ERR_FORMAT, hbase + dt->off, "tensor \"%s\": dtype is not a string", t->name);
    size_t es = dtype_size(dt->str);
    if (!es) ST_FAIL(EDL_ERR_FORMAT, hbase + dt->off, "tensor \"%s\": unknown dtype \"%s\"", t->name, dt->str);
    if (sh->type != EDL__JSON_ARRAY)
        ST_FAIL(EDL_ERR_FORMAT, hbase + sh->off, "tensor \"%s\": shape is not an array", t->name);
    uint64_t count = 1;
    for (size_t i = 0; i < sh->n; i++) {
        const edl__json *d = &sh->items[i];
        if (d->type != EDL__JSON_NUMBER || !d->is_uint)
            ST_FAIL(EDL_ERR_FORMAT, hbase + d->off, "tensor \"%s\": shape[%zu] is not a non-negative integer", t->name,
                    i);
        if (d->u != 0 && count > UINT64_MAX / d->u)
            ST_FAIL(EDL_ERR_FORMAT, hbase + d->off, "tensor \"%s\": the shape's product overflows", t->name);
        count *= d->u;
    }
    if (of->type != EDL__JSON_ARRAY || of->n != 2 || of->items[0].type != EDL__JSON_NUMBER || !of->items[0].is_uint ||
        of->items[1].type != EDL__JSON_NUMBER || !of->items[1].is_uint)
        ST_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets is not [begin, end]", t->name);
    t->begin = of->items[0].u, t->end = of->items[1].u;
    if (t->begin > t->end)
        ST_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets [%llu, %llu] are reversed", t->name,
                (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end > data_size)
        ST_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets end %llu is past the data (%llu bytes)",
                t->name, (unsigned long long)t->end, (unsigned long long)data_size);
    if (count > UINT64_MAX / es || count * es != t->end - t->begin)
        ST_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": shape x dtype size is not the byte span %llu", t->name,
                (unsigned long long)(t->end - t->begin));
    t->dtype = dt->str, t->esize = es, t->rank = sh->n;
    t->off = hbase + v->off, t->dtype_off = hbase + dt->off, t->shape_off = hbase + sh->off;
done:
    return s;
}

void edl__st_close(edl__st *st) {
    if (!st || --st->refs > 0) return;
    edl__map_close(&st->map);
    for (size_t i = 0; st->data && i < st->n; i++) free(st->data[i]);
    free(st->data);
    free(st->t);
    free(st->byname);
    free(st->dims);
    edl__json_free(&st->root);
    free(st->header);
    free(st->path);
    free(st);
}

edl__st *edl__st_retain(edl__st *st) {
    st->refs++;
    return st;
}

int edl__st_mapped(const edl__st *st) { return st->map.kind == EDL__MAP_PRIVATE; }

edl_status edl__st_open(edl__st **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl__st_open: a handle or path is NULL");
    edl__st *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    }
    st->refs = 1;
    edl_status s = EDL_OK;
    if (!strcmp(path, "-")) ST_FAIL(EDL_ERR_IO, 0, "not a regular file");
    if ((s = edl__map_open(&st->map, path)) != EDL_OK) goto done;
    const uint64_t size = (uint64_t)st->map.size;
    uint8_t bytes[8];
    if (size >= 8 && (s = edl__map_read_at(&st->map, 0, bytes, 8, path)) != EDL_OK) goto done;
    if (size < 8)
        ST_FAIL(EDL_ERR_FORMAT, 0, "the file is %llu bytes, too short for the 8-byte header length",
                (unsigned long long)size);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)bytes[i] << (8 * i);
    if (hlen == 0) ST_FAIL(EDL_ERR_FORMAT, 0, "the header length is 0");
    if (hlen > size - 8)
        ST_FAIL(EDL_ERR_FORMAT, 0, "the header length %llu is larger than the rest of the file (%llu bytes)",
                (unsigned long long)hlen, (unsigned long long)(size - 8));
    if (hlen > MAX_HEADER)
        ST_FAIL(EDL_ERR_FORMAT, 0, "the header length %llu is over 100 MB", (unsigned long long)hlen);
    st->size = size, st->hlen = hlen;
    st->header = malloc((size_t)hlen + 1);
    if (!st->header) ST_FAIL(EDL_ERR_NOMEM, 8, "no memory for a header of %llu bytes", (unsigned long long)hlen);
    if ((s = edl__map_read_at(&st->map, 8, st->header, (size_t)hlen, path)) != EDL_OK) goto done;
    st->header[hlen] = '\0';
    size_t err_off = 0;
    edl_status js = edl__json_parse(st->header, (size_t)hlen, &st->root, &err_off);
    if (js != EDL_OK) {
        char why[200];
        snprintf(why, sizeof why, "%s", edl_last_error());
        if (js == EDL_ERR_NOMEM) ST_FAIL(EDL_ERR_NOMEM, 8, "reading the header: %s", why);
        ST_FAIL(EDL_ERR_FORMAT, 8 + err_off, "the header is not valid JSON: %s", why);
    }
    const edl__json *root = &st->root;
    if (root->type != EDL__JSON_OBJECT) ST_FAIL(EDL_ERR_FORMAT, 8, "the header is not a JSON object");
    const uint64_t data_size = size - 8 - hlen;
    const edl__json *meta = edl__json_get(root, "__metadata__");
    if (meta && meta->type != EDL__JSON_OBJECT) ST_FAIL(EDL_ERR_FORMAT, 8 + meta->off, "__metadata__ is not an object");
    for (size_t i = 0; meta && i < meta->n; i++)
        if (meta->items[i].type != EDL__JSON_STRING)
            ST_FAIL(EDL_ERR_FORMAT, 8 + meta->items[i].off, "__metadata__ value \"%s\" is not a string", meta->keys[i]);
    st->meta = meta;

    /* every tensor entry, checked on its own, then all together: contiguous data (the JSON reader
       has refused a name given twice), and an index by name */
    size_t cap = root->n ? root->n : 1, ndims = 0;
    st->t = calloc(cap, sizeof *st->t);
    st->byname = calloc(cap, sizeof *st->byname);
    st->data = calloc(cap, sizeof *st->data);
    if (!st->t || !st->byname || !st->data) ST_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu tensor entries", root->n);
    for (size_t i = 0; i < root->n; i++) {
        if (!strcmp(root->keys[i], "__metadata__")) continue;
        edl__st_tensor *t = &st->t[st->n];
        t->name = root->keys[i], t->name_off = 8 + root->key_offs[i];
        if ((s = check_entry(st, &root->items[i], data_size, t)) != EDL_OK) goto done;
        ndims += t->rank; /* at most the header's length: no overflow */
        st->n++;
    }
    st->dims = malloc((ndims ? ndims : 1) * sizeof *st->dims);
    if (!st->dims) ST_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu tensor entries", root->n);
    qsort(st->t, st->n, sizeof *st->t, cmp_begin);
    uint64_t expect = 0;
    for (size_t i = 0; i < st->n; i++) {
        const edl__st_tensor *t = &st->t[i];
        if (t->begin != expect)
            ST_FAIL(EDL_ERR_FORMAT, t->off, "tensor \"%s\" starts at data byte %llu, expected %llu (%s)", t->name,
                    (unsigned long long)t->begin, (unsigned long long)expect,
                    t->begin > expect ? "a gap" : "an overlap");
        expect = t->end;
    }
    if (expect != data_size)
        ST_FAIL(EDL_ERR_FORMAT, 8 + hlen + expect, "the tensors end at data byte %llu but the file holds %llu",
                (unsigned long long)expect, (unsigned long long)data_size);
    /* alignment padding (U8 tensors named EDL__ST_PAD<k>, as the writer makes them) is not listed */
    size_t kept = 0;
    for (size_t i = 0; i < st->n; i++) {
        const edl__st_tensor *t = &st->t[i];
        if (!strncmp(t->name, EDL__ST_PAD, strlen(EDL__ST_PAD)) && t->rank == 1 && t->esize == 1 &&
            t->end - t->begin < 64)
            continue;
        st->t[kept++] = *t;
    }
    st->n = kept;
    size_t at = 0;
    for (size_t i = 0; i < st->n; i++) {
        edl__st_tensor *t = &st->t[i];
        const edl__json *sh = edl__json_get(edl__json_get(root, t->name), "shape");
        for (size_t k = 0; k < t->rank; k++) st->dims[at + k] = sh->items[k].u;
        t->shape = st->dims + at, t->index = i;
        at += t->rank;
        st->byname[i] = t;
    }
    qsort(st->byname, st->n, sizeof *st->byname, cmp_name);
done:
    if (s != EDL_OK) {
        edl__st_close(st);
        return s;
    }
    *out = st;
    return EDL_OK;
}

const char *edl__st_path(const edl__st *st) { return st->path; }
uint64_t edl__st_data_start(const edl__st *st) { return 8 + st->hlen; }
size_t edl__st_count(const edl__st *st) { return st->n; }
const edl__st_tensor *edl__st_at(const edl__st *st, size_t i) { return i < st->n ? &st->t[i] : NULL; }

const edl__st_tensor *edl__st_find(const edl__st *st, const char *name) {
    size_t lo = 0, hi = st->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->byname[mid]->name, name);
        if (c == 0) return st->byname[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Where t's bytes are in the file's bytes (mapped or read): inside them, checked at open. */
static const uint8_t *raw(const edl__st *st, const edl__st_tensor *t) {
    return (const uint8_t *)st->map.data + 8 + st->hlen + t->begin;
}

edl_status edl__st_read(edl__st *st, const edl__st_tensor *t, void *dst) {
    const size_t nb = (size_t)(t->end - t->begin); /* within the file's size, checked at open */
    EDL__TRY(edl__map_read_at(&st->map, 8 + st->hlen + t->begin, dst, nb, st->path));
    if (!host_is_le() && t->esize > 1) swap_bytes(dst, nb / t->esize, t->esize);
    return EDL_OK;
}

edl_status edl__st_data(edl__st *st, const edl__st_tensor *t, const void **data) {
    const uint8_t *p = st->map.data ? raw(st, t) : NULL; /* NULL: the file is read, not mapped */
    if (p && (host_is_le() || t->esize == 1) && (uintptr_t)p % (t->esize ? t->esize : 1) == 0) { /* in place */
        *data = p;
        return EDL_OK;
    }
    void **slot = &st->data[t->index];
    if (!*slot) {
        const size_t nb = (size_t)(t->end - t->begin);
        void *c = malloc(nb ? nb : 1);
        if (!c)
            return edl__st_fail(st, EDL_ERR_NOMEM, t->name_off, "no memory for tensor \"%s\" (%zu bytes)", t->name, nb);
        edl_status s = edl__st_read(st, t, c);
        if (s != EDL_OK) {
            free(c);
            return s;
        }
        *slot = c;
    }
    *data = *slot;
    return EDL_OK;
}

int edl__st_has_meta(const edl__st *st) { return st->meta != NULL; }
size_t edl__st_nmeta(const edl__st *st) { return st->meta ? st->meta->n : 0; }

void edl__st_meta_at(const edl__st *st, size_t i, const char **key, const char **value) {
    *key = st->meta->keys[i], *value = st->meta->items[i].str;
}

const char *edl__st_meta(const edl__st *st, const char *key) {
    const edl__json *v = st->meta ? edl__json_get(st->meta, key) : NULL;
    return v ? v->str : NULL;
}

uint64_t edl__st_meta_offset(const edl__st *st, const char *key) {
    const edl__json *v = key && st->meta ? edl__json_get(st->meta, key) : NULL;
    return 8 + (v ? v->off : st->meta ? st->meta->off : 0);
}

/* ---- typed getters ------------------------------------------------------------------------ */

edl_status edl__st_get_count(const edl__st *st, const char *key, uint64_t max, size_t *out) {
    const char *v = edl__st_meta(st, key);
    if (!v) return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s is missing", st->path, key);
    uint64_t x = 0;
    int ok = v[0] != '\0';
    for (const char *c = v; ok && *c; c++) {
        unsigned d = (unsigned)(*c - '0');
        ok = d <= 9 && x <= (UINT64_MAX - d) / 10;
        x = ok ? x * 10 + d : x;
    }
    if (!ok)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s = \"%.40s\" is not a count (decimal digits below 2^64)",
                         st->path, key, v);
    if (x > max || x > SIZE_MAX)
        return edl__fail(EDL_ERR_FORMAT, "%s: metadata %s = %llu is more than %llu", st->path, key,
                         (unsigned long long)x, (unsigned long long)(max < SIZE_MAX ? max : SIZE_MAX));
    *out = (size_t)x;
    return EDL_OK;
}

edl_status edl__st_check_sum(const edl__st *st, const char *ka, size_t a, const char *kb, size_t b, const char *what,
                             size_t want) {
    size_t sum;
    if (!edl__add_ok(a, b, &sum))
        return edl__fail(EDL_ERR_FORMAT, "%s: %s %zu + %s %zu overflows (%s is %zu)", st->path, ka, a, kb, b, what,
                         want);
    if (sum != want)
        return edl__fail(EDL_ERR_FORMAT, "%s: %s %zu + %s %zu = %zu, but %s is %zu", st->path, ka, a, kb, b, sum, what,
                         want);
    return EDL_OK;
}

edl_status edl__st_get_array(edl__st *st, const char *name, edl_dtype dt, size_t n, const void **data) {
    const edl__st_tensor *t = edl__st_find(st, name);
    if (!t) return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s is missing", st->path, name);
    if (strcmp(t->dtype, dtype_name(dt)) || t->rank != 1)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s is %s of rank %zu, not %s of rank 1", st->path, name, t->dtype,
                         t->rank, dtype_name(dt));
    if (n != SIZE_MAX && t->shape[0] != n)
        return edl__fail(EDL_ERR_FORMAT, "%s: tensor %s holds %llu values, but the metadata says %zu", st->path, name,
                         (unsigned long long)t->shape[0], n);
    return edl__st_data(st, t, data);
}

edl_status edl__st_get_strings(edl__st *st, const char *prefix, size_t n, edl__strings *out) {
    char bname[64], oname[64];
    snprintf(bname, sizeof bname, "%s.bytes", prefix);
    snprintf(oname, sizeof oname, "%s.offsets", prefix);
    const void *bytes, *off;
    EDL__TRY(edl__st_get_array(st, bname, EDL_DTYPE_U8, SIZE_MAX, &bytes));
    size_t n1;
    if (!edl__add_ok(n, 1, &n1)) return edl__fail(EDL_ERR_FORMAT, "%s: %zu entries: too many", st->path, n);
    EDL__TRY(edl__st_get_array(st, oname, EDL_DTYPE_I64, n1, &off));
    const size_t nbytes = (size_t)edl__st_find(st, bname)->shape[0];
    const int64_t *o = off;
    if (o[0] != 0) return edl__fail(EDL_ERR_FORMAT, "%s: %s[0] = %lld, not 0", st->path, oname, (long long)o[0]);
    for (size_t i = 1; i <= n; i++) {
        if (o[i] <= o[i - 1])
            return edl__fail(EDL_ERR_FORMAT,
                             "%s: %s[%zu] = %lld is not above %s[%zu] = %lld (entry %zu would be empty or reversed)",
                             st->path, oname, i, (long long)o[i], oname, i - 1, (long long)o[i - 1], i - 1);
        if ((uint64_t)o[i] > nbytes)
            return edl__fail(EDL_ERR_FORMAT, "%s: %s[%zu] = %lld is past %s (%zu bytes)", st->path, oname, i,
                             (long long)o[i], bname, nbytes);
    }
    out->bytes = bytes, out->off = o, out->n = n, out->nbytes = nbytes;
    return EDL_OK;
}
