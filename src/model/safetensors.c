/* Models as safetensors files: 8-byte little-endian header length, a JSON header naming every
 * tensor (dtype, shape, data_offsets) with a __metadata__ map of strings, then the tensors'
 * bytes. The loader checks every field before it allocates anything from it. */
#include "io/file.h"
#include "io/json.h"
#include "model/model.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EDL__FORMAT_TAG "edl-model-1"
/* The safetensors reference implementation refuses headers above 100 MB; so does edl. */
#define MAX_HEADER ((uint64_t)100 << 20)

static int host_is_le(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static const char *dtype_name(edl_dtype d) { return d == EDL_DTYPE_F32 ? "F32" : d == EDL_DTYPE_I64 ? "I64" : "U8"; }
static size_t dtype_bytes(edl_dtype d) { return d == EDL_DTYPE_F32 ? 4 : d == EDL_DTYPE_I64 ? 8 : 1; }

static void swap8(void *p, size_t n) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++, b += 8)
        for (int k = 0; k < 4; k++) {
            uint8_t t = b[k];
            b[k] = b[7 - k], b[7 - k] = t;
        }
}

static void swap4(void *p, size_t n) {
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++, b += 4) {
        uint8_t t0 = b[0], t1 = b[1];
        b[0] = b[3], b[1] = b[2], b[2] = t1, b[3] = t0;
    }
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct {
    const char *const *keys, *const *vals;
    size_t nmeta;
    const edl_tensor *t;
    size_t nt;
} save_ctx;

static size_t tensor_bytes(const edl_tensor *t) {
    size_t n = t->shape[0] * (t->rank == 2 ? t->shape[1] : 1);
    return n * dtype_bytes(t->dtype);
}

/* The JSON header, padded with spaces to a multiple of 8 bytes, in a malloc'd buffer. */
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
        size_t nb = tensor_bytes(t);
        bad |= fputc(',', h) == EOF;
        bad |= edl__json_write_string(h, t->name);
        if (t->rank == 2)
            bad |= fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[%zu,%zu],\"data_offsets\":[%zu,%zu]}", dtype_name(t->dtype),
                           t->shape[0], t->shape[1], off, off + nb) < 0;
        else
            bad |= fprintf(h, ":{\"dtype\":\"%s\",\"shape\":[%zu],\"data_offsets\":[%zu,%zu]}", dtype_name(t->dtype),
                           t->shape[0], off, off + nb) < 0;
        off += nb;
    }
    bad |= fputc('}', h) == EOF;
    while (!bad && len % 8 != 0) {
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
    for (size_t i = 0; ok && i < c->nt; i++) {
        const edl_tensor *t = &c->t[i];
        size_t nb = tensor_bytes(t), es = dtype_bytes(t->dtype);
        if (host_is_le() || es == 1) {
            ok = fwrite(t->data, 1, nb, f) == nb;
        } else {
            uint8_t chunk[4096];
            for (size_t b = 0; ok && b < nb; b += sizeof chunk) {
                size_t k = nb - b < sizeof chunk ? nb - b : sizeof chunk;
                memcpy(chunk, (const uint8_t *)t->data + b, k);
                if (es == 8) swap8(chunk, k / 8);
                else swap4(chunk, k / 4);
                ok = fwrite(chunk, 1, k, f) == k;
            }
        }
    }
    if (!ok) return edl__fail(EDL_ERR_IO, "write failed: %s", strerror(errno));
    return EDL_OK;
}

/* "<digits>.weight" or "<digits>.bias": a layer's tensor (anything else is an extra). */
static int is_layer_tensor(const char *name) {
    const char *p = name;
    while (*p >= '0' && *p <= '9') p++;
    return p != name && (!strcmp(p, ".weight") || !strcmp(p, ".bias"));
}

static int has_tensors(const edl__layer *L) {
    return L->info.kind == EDL_LAYER_DENSE || L->info.kind == EDL_LAYER_EMBEDDING ||
           L->info.kind == EDL_LAYER_EMBEDDING_BAG;
}

edl_status edl__safetensors_write(const char *path, const char *const *keys, const char *const *vals,
                                  size_t nmeta, const edl_tensor *t, size_t nt) {
    for (size_t i = 0; i < nmeta; i++)
        if (!edl__utf8_valid(keys[i], strlen(keys[i])) || !edl__utf8_valid(vals[i], strlen(vals[i])))
            return edl__fail(EDL_ERR_ARG, "%s: metadata \"%.60s\" is not valid UTF-8", path, keys[i]);
    save_ctx c = {keys, vals, nmeta, t, nt};
    edl_status s = edl__write_atomic(path, write_tensors, &c);
    if (s != EDL_OK && strncmp(edl_last_error(), path, strlen(path)) != 0) edl__fail_wrap(s, "%s", path);
    return s;
}

edl_status edl_model_save(const edl_model *m, const char *path, const char *const *meta_keys,
                          const char *const *meta_values, size_t nmeta) {
    return edl_model_save_ex(m, path, meta_keys, meta_values, nmeta, NULL, 0);
}

edl_status edl_model_save_ex(const edl_model *m, const char *path, const char *const *meta_keys,
                             const char *const *meta_values, size_t nmeta, const edl_tensor *extra,
                             size_t nextra) {
    static const char fn[] = "edl_model_save";
    if (!m || !m->built || !path) return edl__fail(EDL_ERR_ARG, "%s: model (initialised) or path is NULL", fn);
    if (nmeta && (!meta_keys || !meta_values)) return edl__fail(EDL_ERR_ARG, "%s: metadata arrays are NULL", fn);
    if (nextra && !extra) return edl__fail(EDL_ERR_ARG, "%s: extra is NULL", fn);
    for (size_t i = 0; i < nextra; i++) {
        const edl_tensor *t = &extra[i];
        size_t cnt, nb;
        if (!t->name || !t->name[0] || is_layer_tensor(t->name) || !strcmp(t->name, "__metadata__"))
            return edl__fail(EDL_ERR_ARG, "%s: extra tensor %zu has no name or a layer's name", fn, i);
        if ((unsigned)t->dtype > EDL_DTYPE_U8 || (t->rank != 1 && t->rank != 2) ||
            !edl__mul_ok(t->shape[0], t->rank == 2 ? t->shape[1] : 1, &cnt) || !edl__mul_ok(cnt, dtype_bytes(t->dtype), &nb) ||
            (nb && !t->data))
            return edl__fail(EDL_ERR_ARG, "%s: extra tensor \"%s\": bad dtype, rank, shape or data", fn, t->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(extra[j].name, t->name)) return edl__fail(EDL_ERR_ARG, "%s: extra tensor \"%s\" given twice", fn, t->name);
    }
    for (size_t i = 0; i < nmeta; i++) {
        if (!meta_keys[i] || !meta_values[i]) return edl__fail(EDL_ERR_ARG, "%s: metadata %zu is NULL", fn, i);
        if (!strncmp(meta_keys[i], "edl.", 4))
            return edl__fail(EDL_ERR_ARG, "%s: metadata key \"%s\": the edl. prefix is edl's own", fn, meta_keys[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(meta_keys[i], meta_keys[j])) return edl__fail(EDL_ERR_ARG, "%s: metadata key \"%s\" given twice", fn, meta_keys[i]);
    }
    for (size_t l = 0; l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (has_tensors(L) && !edl__vec_all_finite(m->params + L->w_off, L->w_count + L->b_count))
            return edl__fail(EDL_ERR_NUMERIC, "%s: %s: layer %zu (%s) holds NaN or infinite values; not saved", fn, path, l, L->info.name);
    }
    /* metadata: edl's own, then the caller's; tensors: each layer's weight and bias, the extras */
    size_t spec_len = edl__model_spec_len(m), nt = 0;
    char *spec = malloc(spec_len + 1);
    const char **keys = malloc((nmeta + 3) * sizeof *keys), **vals = malloc((nmeta + 3) * sizeof *vals);
    edl_tensor *t = malloc((2 * m->nlayers + nextra + 1) * sizeof *t);
    char (*names)[32] = malloc((2 * m->nlayers + 1) * sizeof *names);
    edl_status s = spec && keys && vals && t && names ? edl_model_spec(m, spec, spec_len + 1)
                                                      : edl__fail(EDL_ERR_NOMEM, "%s: %s: no memory", fn, path);
    if (s == EDL_OK) {
        keys[0] = "edl.format", vals[0] = EDL__FORMAT_TAG;
        keys[1] = "edl.version", vals[1] = edl_version_string();
        keys[2] = "edl.spec", vals[2] = spec;
        for (size_t i = 0; i < nmeta; i++) keys[3 + i] = meta_keys[i], vals[3 + i] = meta_values[i];
        for (size_t l = 0; l < m->nlayers; l++) {
            const edl__layer *L = &m->layers[l];
            if (!has_tensors(L)) continue;
            const edl_layer_info *in = &L->info;
            snprintf(names[nt], sizeof names[nt], "%zu.weight", l);
            t[nt] = (edl_tensor){names[nt], EDL_DTYPE_F32, 2,
                                 {in->kind == EDL_LAYER_DENSE ? in->out_dim : in->rows, in->kind == EDL_LAYER_DENSE ? in->in_dim : in->dim},
                                 m->params + L->w_off};
            nt++;
            if (L->b_count) {
                snprintf(names[nt], sizeof names[nt], "%zu.bias", l);
                t[nt] = (edl_tensor){names[nt], EDL_DTYPE_F32, 1, {L->b_count, 0}, m->params + L->b_off};
                nt++;
            }
        }
        for (size_t i = 0; i < nextra; i++) t[nt++] = extra[i];
        s = edl__safetensors_write(path, keys, vals, nmeta + 3, t, nt);
    }
    free(spec), free(keys), free(vals), free(t), free(names);
    return s;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    size_t name_off;   /* byte offset of the name in the file */
    const edl__json *v;
    uint64_t begin, end;
    int used;
} tensor_entry;

static size_t dtype_size(const char *d) {
    static const struct {
        const char *name;
        size_t size;
    } t[] = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
             {"I8", 1},  {"U64", 8}, {"U32", 4}, {"U16", 2},  {"U8", 1},   {"BOOL", 1}, {"F8_E4M3", 1},
             {"F8_E5M2", 1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(d, t[i].name)) return t[i].size;
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const tensor_entry *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const tensor_entry *const *)a)->name, (*(const tensor_entry *const *)b)->name);
}

/* The entry named name in byname (nt entries sorted by name), or NULL: O(log nt). */
static tensor_entry *find_entry(tensor_entry **byname, size_t nt, const char *name) {
    size_t lo = 0, hi = nt;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(byname[mid]->name, name);
        if (c == 0) return byname[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

#define LOAD_FAIL(code, off, ...)                                                                 \
    do {                                                                                          \
        char m_[400];                                                                             \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                                     \
        s = edl__fail(code, "%s: byte %llu: %s", path, (unsigned long long)(off), m_);            \
        goto done;                                                                                \
    } while (0)

/* Checks one tensor entry: fields, dtype, shape x dtype size == byte span inside the data. */
static edl_status check_entry(const char *path, uint64_t hbase, uint64_t data_size, tensor_entry *t) {
    edl_status s = EDL_OK;
    const edl__json *v = t->v;
    if (v->type != EDL__JSON_OBJECT) LOAD_FAIL(EDL_ERR_FORMAT, hbase + v->off, "tensor \"%s\" is not an object", t->name);
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->keys[i], "dtype") && strcmp(v->keys[i], "shape") && strcmp(v->keys[i], "data_offsets"))
            LOAD_FAIL(EDL_ERR_FORMAT, hbase + v->key_offs[i], "tensor \"%s\" has an unknown field \"%s\"", t->name, v->keys[i]);
    const edl__json *dt = edl__json_get(v, "dtype"), *sh = edl__json_get(v, "shape"), *of = edl__json_get(v, "data_offsets");
    if (!dt || !sh || !of) LOAD_FAIL(EDL_ERR_FORMAT, hbase + v->off, "tensor \"%s\" lacks dtype, shape or data_offsets", t->name);
    if (dt->type != EDL__JSON_STRING) LOAD_FAIL(EDL_ERR_FORMAT, hbase + dt->off, "tensor \"%s\": dtype is not a string", t->name);
    size_t es = dtype_size(dt->str);
    if (!es) LOAD_FAIL(EDL_ERR_FORMAT, hbase + dt->off, "tensor \"%s\": unknown dtype \"%s\"", t->name, dt->str);
    if (sh->type != EDL__JSON_ARRAY) LOAD_FAIL(EDL_ERR_FORMAT, hbase + sh->off, "tensor \"%s\": shape is not an array", t->name);
    uint64_t count = 1;
    for (size_t i = 0; i < sh->n; i++) {
        const edl__json *d = &sh->items[i];
        if (d->type != EDL__JSON_NUMBER || !d->is_uint)
            LOAD_FAIL(EDL_ERR_FORMAT, hbase + d->off, "tensor \"%s\": shape[%zu] is not a non-negative integer", t->name, i);
        if (d->u != 0 && count > UINT64_MAX / d->u)
            LOAD_FAIL(EDL_ERR_FORMAT, hbase + d->off, "tensor \"%s\": the shape's product overflows", t->name);
        count *= d->u;
    }
    if (of->type != EDL__JSON_ARRAY || of->n != 2 || of->items[0].type != EDL__JSON_NUMBER || !of->items[0].is_uint ||
        of->items[1].type != EDL__JSON_NUMBER || !of->items[1].is_uint)
        LOAD_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets is not [begin, end]", t->name);
    t->begin = of->items[0].u, t->end = of->items[1].u;
    if (t->begin > t->end)
        LOAD_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets [%llu, %llu] are reversed", t->name,
                  (unsigned long long)t->begin, (unsigned long long)t->end);
    if (t->end > data_size)
        LOAD_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": data_offsets end %llu is past the data (%llu bytes)",
                  t->name, (unsigned long long)t->end, (unsigned long long)data_size);
    if (count > UINT64_MAX / es || count * es != t->end - t->begin)
        LOAD_FAIL(EDL_ERR_FORMAT, hbase + of->off, "tensor \"%s\": shape x dtype size is not the byte span %llu", t->name,
                  (unsigned long long)(t->end - t->begin));
done:
    return s;
}

edl_status edl_model_load(edl_model **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_model_load: model or path is NULL");
    edl_status s = EDL_OK;
    edl_model *m = NULL;
    char *header = NULL;
    tensor_entry *ts = NULL;
    tensor_entry **byname = NULL;
    edl__json root = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return edl__fail(EDL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) LOAD_FAIL(EDL_ERR_IO, 0, "not a regular file");
    uint64_t size = (uint64_t)st.st_size;
    uint8_t len8[8];
    if (size < 8 || fread(len8, 1, 8, f) != 8)
        LOAD_FAIL(EDL_ERR_FORMAT, 0, "the file is %llu bytes, too short for the 8-byte header length", (unsigned long long)size);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)len8[i] << (8 * i);
    if (hlen == 0) LOAD_FAIL(EDL_ERR_FORMAT, 0, "the header length is 0");
    if (hlen > size - 8)
        LOAD_FAIL(EDL_ERR_FORMAT, 0, "the header length %llu is larger than the rest of the file (%llu bytes)",
                  (unsigned long long)hlen, (unsigned long long)(size - 8));
    if (hlen > MAX_HEADER) LOAD_FAIL(EDL_ERR_FORMAT, 0, "the header length %llu is over 100 MB", (unsigned long long)hlen);
    header = malloc((size_t)hlen + 1);
    if (!header) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for a header of %llu bytes", (unsigned long long)hlen);
    if (fread(header, 1, (size_t)hlen, f) != hlen) LOAD_FAIL(EDL_ERR_IO, 8, "read error in the header");
    header[hlen] = '\0';
    size_t err_off = 0;
    edl_status js = edl__json_parse(header, (size_t)hlen, &root, &err_off);
    if (js != EDL_OK) {
        char why[200];
        snprintf(why, sizeof why, "%s", edl_last_error());
        if (js == EDL_ERR_NOMEM) LOAD_FAIL(EDL_ERR_NOMEM, 8, "reading the header: %s", why);
        LOAD_FAIL(EDL_ERR_FORMAT, 8 + err_off, "the header is not valid JSON: %s", why);
    }
    if (root.type != EDL__JSON_OBJECT) LOAD_FAIL(EDL_ERR_FORMAT, 8, "the header is not a JSON object");
    const uint64_t data_size = size - 8 - hlen;
    const edl__json *meta = edl__json_get(&root, "__metadata__");
    if (!meta) LOAD_FAIL(EDL_ERR_FORMAT, 8, "not an edl model: the header has no __metadata__");
    if (meta->type != EDL__JSON_OBJECT) LOAD_FAIL(EDL_ERR_FORMAT, 8 + meta->off, "__metadata__ is not an object");
    for (size_t i = 0; i < meta->n; i++)
        if (meta->items[i].type != EDL__JSON_STRING)
            LOAD_FAIL(EDL_ERR_FORMAT, 8 + meta->items[i].off, "__metadata__ value \"%s\" is not a string", meta->keys[i]);
    const edl__json *spec = edl__json_get(meta, "edl.spec");
    if (!spec) LOAD_FAIL(EDL_ERR_FORMAT, 8 + meta->off, "not an edl model: __metadata__ has no edl.spec");

    /* every tensor entry, checked on its own, then all together: contiguous data (the JSON reader
       has refused a name given twice), and an index by name for the layers' lookups */
    size_t nt = 0;
    ts = calloc(root.n ? root.n : 1, sizeof *ts);
    byname = calloc(root.n ? root.n : 1, sizeof *byname);
    if (!ts || !byname) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu tensor entries", root.n);
    for (size_t i = 0; i < root.n; i++) {
        if (!strcmp(root.keys[i], "__metadata__")) continue;
        tensor_entry *t = &ts[nt];
        t->name = root.keys[i], t->name_off = 8 + root.key_offs[i], t->v = &root.items[i];
        if ((s = check_entry(path, 8, data_size, t)) != EDL_OK) goto done;
        nt++;
    }
    qsort(ts, nt, sizeof *ts, cmp_begin);
    for (size_t i = 0; i < nt; i++) byname[i] = &ts[i];
    qsort(byname, nt, sizeof *byname, cmp_name);
    uint64_t expect = 0;
    for (size_t i = 0; i < nt; i++) {
        if (ts[i].begin != expect)
            LOAD_FAIL(EDL_ERR_FORMAT, 8 + ts[i].v->off, "tensor \"%s\" starts at data byte %llu, expected %llu (%s)", ts[i].name,
                      (unsigned long long)ts[i].begin, (unsigned long long)expect, ts[i].begin > expect ? "a gap" : "an overlap");
        expect = ts[i].end;
    }
    if (expect != data_size)
        LOAD_FAIL(EDL_ERR_FORMAT, 8 + hlen + expect, "the tensors end at data byte %llu but the file holds %llu",
                  (unsigned long long)expect, (unsigned long long)data_size);

    /* the architecture, then each of its tensors from the file */
    if ((s = edl_model_create(&m)) != EDL_OK) goto done;
    edl_status ss = edl__spec_build(m, spec->str);
    if (ss != EDL_OK) {
        char why[300];
        snprintf(why, sizeof why, "%s", edl_last_error());
        LOAD_FAIL(ss == EDL_ERR_NOMEM ? EDL_ERR_NOMEM : EDL_ERR_FORMAT, 8 + spec->off, "edl.spec: %.300s", why);
    }
    for (size_t l = 0; l < m->nlayers; l++) /* shapes before allocation: a lying file allocates nothing */
        if (has_tensors(&m->layers[l])) {
            const edl_layer_info *in = &m->layers[l].info;
            size_t want = 0;
            int fits = in->kind == EDL_LAYER_DENSE ? edl__mul_ok(in->out_dim, in->in_dim, &want) : edl__mul_ok(in->rows, in->dim, &want);
            char name[48];
            snprintf(name, sizeof name, "%zu.weight", l);
            const tensor_entry *t = find_entry(byname, nt, name);
            if (!t || !fits || want > UINT64_MAX / 4 || t->end - t->begin != (uint64_t)want * 4) LOAD_FAIL(EDL_ERR_FORMAT, 8, "tensor \"%s\" is missing or not %llu floats as edl.spec says", name, (unsigned long long)want);
        }
    if ((s = edl__model_build(m)) != EDL_OK) goto done;
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__layer *L = &m->layers[l];
        if (!has_tensors(L)) continue;
        for (int which = 0; which < 2; which++) {
            size_t count = which ? L->b_count : L->w_count;
            if (which && !count) continue;
            char name[48];
            snprintf(name, sizeof name, "%zu.%s", l, which ? "bias" : "weight");
            tensor_entry *t = find_entry(byname, nt, name);
            if (!t) LOAD_FAIL(EDL_ERR_FORMAT, 8, "tensor \"%s\" is missing", name);
            t->used = 1;
            const edl__json *dt = edl__json_get(t->v, "dtype"), *sh = edl__json_get(t->v, "shape");
            if (strcmp(dt->str, "F32")) LOAD_FAIL(EDL_ERR_UNSUPPORTED, 8 + dt->off, "tensor \"%s\" is %s; edl reads F32", name, dt->str);
            const edl_layer_info *in = &L->info;
            uint64_t want[2] = {which ? L->b_count : in->kind == EDL_LAYER_DENSE ? in->out_dim : in->rows,
                                in->kind == EDL_LAYER_DENSE ? in->in_dim : in->dim};
            size_t rank = which ? 1 : 2;
            if (sh->n != rank || sh->items[0].u != want[0] || (rank == 2 && sh->items[1].u != want[1]))
                LOAD_FAIL(EDL_ERR_FORMAT, 8 + sh->off, "tensor \"%s\" has the wrong shape for edl.spec (want [%llu%s%llu])", name,
                          (unsigned long long)want[0], rank == 2 ? ", " : "", rank == 2 ? (unsigned long long)want[1] : 0ULL);
            float *dst = m->params + (which ? L->b_off : L->w_off);
            if (fseeko(f, (off_t)(8 + hlen + t->begin), SEEK_SET) != 0 || fread(dst, sizeof(float), count, f) != count)
                LOAD_FAIL(EDL_ERR_IO, 8 + hlen + t->begin, "read error in tensor \"%s\"", name);
            if (!host_is_le()) swap4(dst, count);
            for (size_t i = 0; i < count; i++)
                if (!isfinite(dst[i]))
                    LOAD_FAIL(EDL_ERR_NUMERIC, 8 + hlen + t->begin + 4 * (uint64_t)i, "tensor \"%s\" value %zu is %g", name, i, dst[i]);
        }
    }
    size_t nextra = 0;
    for (size_t i = 0; i < nt; i++) nextra += !ts[i].used;
    m->extras = calloc(nextra ? nextra : 1, sizeof *m->extras);
    if (!m->extras) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu extra tensors", nextra);
    for (size_t i = 0; i < nt; i++) {
        if (ts[i].used) continue;
        if (is_layer_tensor(ts[i].name)) LOAD_FAIL(EDL_ERR_FORMAT, ts[i].name_off, "tensor \"%s\" is not part of edl.spec", ts[i].name);
        /* an extra tensor (a vocabulary, label names): F32, I64 or U8, rank 1 or 2 */
        const edl__json *dt = edl__json_get(ts[i].v, "dtype"), *sh = edl__json_get(ts[i].v, "shape");
        edl_dtype d = !strcmp(dt->str, "F32") ? EDL_DTYPE_F32 : !strcmp(dt->str, "I64") ? EDL_DTYPE_I64 : EDL_DTYPE_U8;
        if (strcmp(dt->str, "F32") && strcmp(dt->str, "I64") && strcmp(dt->str, "U8"))
            LOAD_FAIL(EDL_ERR_UNSUPPORTED, 8 + dt->off, "extra tensor \"%s\" is %s; edl reads F32, I64 and U8", ts[i].name, dt->str);
        if (sh->n != 1 && sh->n != 2) LOAD_FAIL(EDL_ERR_UNSUPPORTED, 8 + sh->off, "extra tensor \"%s\" has rank %zu; edl reads 1 or 2", ts[i].name, sh->n);
        edl_tensor *x = &m->extras[m->nextras];
        memset(x, 0, sizeof *x);
        size_t nb = (size_t)(ts[i].end - ts[i].begin);
        x->name = strdup(ts[i].name);
        x->data = malloc(nb ? nb : 1);
        m->nextras++;
        if (!x->name || !x->data) LOAD_FAIL(EDL_ERR_NOMEM, ts[i].name_off, "no memory for tensor \"%s\" (%zu bytes)", ts[i].name, nb);
        x->dtype = d, x->rank = sh->n, x->shape[0] = (size_t)sh->items[0].u, x->shape[1] = sh->n == 2 ? (size_t)sh->items[1].u : 0;
        if (fseeko(f, (off_t)(8 + hlen + ts[i].begin), SEEK_SET) != 0 || fread((void *)x->data, 1, nb, f) != nb)
            LOAD_FAIL(EDL_ERR_IO, 8 + hlen + ts[i].begin, "read error in tensor \"%s\"", ts[i].name);
        if (!host_is_le() && d == EDL_DTYPE_I64) swap8((void *)x->data, nb / 8);
        if (!host_is_le() && d == EDL_DTYPE_F32) swap4((void *)x->data, nb / 4);
    }
    /* keep the metadata for edl_model_meta */
    m->meta_keys = calloc(meta->n ? meta->n : 1, sizeof *m->meta_keys);
    m->meta_values = calloc(meta->n ? meta->n : 1, sizeof *m->meta_values);
    if (!m->meta_keys || !m->meta_values) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for the metadata");
    for (size_t i = 0; i < meta->n; i++) {
        m->meta_keys[i] = strdup(meta->keys[i]);
        m->meta_values[i] = strdup(meta->items[i].str);
        m->nmeta++;
        if (!m->meta_keys[i] || !m->meta_values[i]) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for the metadata");
    }
    edl_model_zero_grad(m);
done:
    if (f) fclose(f);
    free(header);
    free(ts);
    free(byname);
    edl__json_free(&root);
    if (s != EDL_OK) {
        edl_model_free(m);
        return s;
    }
    *out = m;
    return EDL_OK;
}
