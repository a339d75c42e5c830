/* Models as files of the safetensors container (io/safetensors.h): the architecture as edl.spec
 * in the metadata, each layer's tensors as "<layer>.weight" and "<layer>.bias", and the caller's
 * extra tensors (a vocabulary, ids) beside them. The loader checks the tensors against edl.spec
 * before it allocates the parameter block. */
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/model.h"
#include "model/table.h"
#include "model/model_file.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDL__FORMAT_TAG "edl-model-1"

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

edl_status edl_model_save(const edl_model *m, const char *path, const char *const *meta_keys,
                          const char *const *meta_values, size_t nmeta) {
    return edl_model_save_ex(m, path, meta_keys, meta_values, nmeta, NULL, 0);
}

/* The caller's metadata and extra tensors, checked as every model file's writer checks them. */
static edl_status check_save_args(const char *fn, const char *const *meta_keys, const char *const *meta_values,
                                  size_t nmeta, const edl_tensor *extra, size_t nextra) {
    if (nmeta && (!meta_keys || !meta_values)) return edl__fail(EDL_ERR_ARG, "%s: metadata arrays are NULL", fn);
    if (nextra && !extra) return edl__fail(EDL_ERR_ARG, "%s: extra is NULL", fn);
    for (size_t i = 0; i < nextra; i++) {
        const edl_tensor *t = &extra[i];
        size_t cnt, nb;
        if (!t->name || !t->name[0] || is_layer_tensor(t->name) || !strcmp(t->name, "__metadata__"))
            return edl__fail(EDL_ERR_ARG, "%s: extra tensor %zu has no name or a layer's name", fn, i);
        if ((unsigned)t->dtype > EDL_DTYPE_U8 || (t->rank != 1 && t->rank != 2) ||
            !edl__mul_ok(t->shape[0], t->rank == 2 ? t->shape[1] : 1, &cnt) ||
            !edl__mul_ok(cnt, edl__st_dtype_bytes(t->dtype), &nb) || (nb && !t->data))
            return edl__fail(EDL_ERR_ARG, "%s: extra tensor \"%s\": bad dtype, rank, shape or data", fn, t->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(extra[j].name, t->name))
                return edl__fail(EDL_ERR_ARG, "%s: extra tensor \"%s\" given twice", fn, t->name);
    }
    for (size_t i = 0; i < nmeta; i++) {
        if (!meta_keys[i] || !meta_values[i]) return edl__fail(EDL_ERR_ARG, "%s: metadata %zu is NULL", fn, i);
        if (!strncmp(meta_keys[i], "edl.", 4))
            return edl__fail(EDL_ERR_ARG, "%s: metadata key \"%s\": the edl. prefix is edl's own", fn, meta_keys[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(meta_keys[i], meta_keys[j]))
                return edl__fail(EDL_ERR_ARG, "%s: metadata key \"%s\" given twice", fn, meta_keys[i]);
    }
    return EDL_OK;
}

/* The one writer of edl's model files: edl.format, edl.version and edl.spec, then the caller's
   metadata; the layers' tensors (own), then the extras. */
static edl_status write_file(const char *fn, const char *path, const char *spec, const char *const *meta_keys,
                             const char *const *meta_values, size_t nmeta, const edl_tensor *own, size_t nown,
                             const edl_tensor *extra, size_t nextra) {
    const char **keys = malloc((nmeta + 3) * sizeof *keys), **vals = malloc((nmeta + 3) * sizeof *vals);
    edl_tensor *t = malloc((nown + nextra + 1) * sizeof *t);
    edl_status s = keys && vals && t ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: %s: no memory", fn, path);
    if (s == EDL_OK) {
        keys[0] = "edl.format", vals[0] = EDL__FORMAT_TAG;
        keys[1] = "edl.version", vals[1] = edl_version_string();
        keys[2] = "edl.spec", vals[2] = spec;
        for (size_t i = 0; i < nmeta; i++) keys[3 + i] = meta_keys[i], vals[3 + i] = meta_values[i];
        for (size_t i = 0; i < nown; i++) t[i] = own[i];
        for (size_t i = 0; i < nextra; i++) t[nown + i] = extra[i];
        s = edl__st_write(path, keys, vals, nmeta + 3, t, nown + nextra);
    }
    free(keys), free(vals), free(t);
    return s;
}

edl_status edl_model_save_ex(const edl_model *m, const char *path, const char *const *meta_keys,
                             const char *const *meta_values, size_t nmeta, const edl_tensor *extra, size_t nextra) {
    static const char fn[] = "edl_model_save";
    if (!m || !m->built || !path) return edl__fail(EDL_ERR_ARG, "%s: model (initialised) or path is NULL", fn);
    EDL__TRY(check_save_args(fn, meta_keys, meta_values, nmeta, extra, nextra));
    /* a scratch-file table is read in order from here (checked, written out), then at random again */
    if (m->table_dir) edl__map_advise(&m->block, EDL__ACCESS_SEQUENTIAL);
    for (size_t l = 0; !m->finite_known && l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (has_tensors(L) &&
            (L->lazy ? !edl__table_all_finite(m, l) : !edl__vec_all_finite(m->params + L->w_off, edl__layer_span(L)))) {
            if (m->table_dir) edl__map_advise(&m->block, EDL__ACCESS_RANDOM);
            return edl__fail(EDL_ERR_NUMERIC, "%s: %s: layer %zu (%s) holds NaN or infinite values; not saved", fn,
                             path, l, L->info.name);
        }
    }
    /* each layer's weight and bias; a lazy table's made rows only (L.weight.rows, .values) */
    size_t spec_len = edl__model_spec_len(m), nt = 0, nlazy = 0;
    char *spec = malloc(spec_len + 1);
    edl_tensor *t = malloc((2 * m->nlayers + 1) * sizeof *t);
    char(*names)[48] = malloc((2 * m->nlayers + 1) * sizeof *names);
    const char **keys = malloc((nmeta + m->nlayers + 1) * sizeof *keys),
               **vals = malloc((nmeta + m->nlayers + 1) * sizeof *vals);
    char(*lazy_meta)[80] = malloc((2 * m->nlayers + 1) * sizeof *lazy_meta); /* key, value */
    void **bufs = calloc(2 * m->nlayers + 1, sizeof *bufs);
    edl_status s = spec && t && names && keys && vals && lazy_meta && bufs
                       ? edl_model_spec(m, spec, spec_len + 1)
                       : edl__fail(EDL_ERR_NOMEM, "%s: %s: no memory", fn, path);
    for (size_t i = 0; s == EDL_OK && i < nmeta; i++) keys[i] = meta_keys[i], vals[i] = meta_values[i];
    for (size_t l = 0; s == EDL_OK && l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (!has_tensors(L)) continue;
        const edl_layer_info *in = &L->info;
        if (L->lazy) {
            size_t k = 0, dim = in->dim;
            for (size_t r = 0; r < in->rows; r++) k += L->made[r] == 2;
            int64_t *rows = malloc((k ? k : 1) * sizeof *rows);
            float *values = malloc((k ? k : 1) * dim * sizeof *values);
            bufs[2 * l] = rows, bufs[2 * l + 1] = values;
            if (!rows || !values) {
                s = edl__fail(EDL_ERR_NOMEM, "%s: %s: no memory for %zu rows", fn, path, k);
                break;
            }
            for (size_t r = 0, j = 0; r < in->rows; r++)
                if (L->made[r] == 2)
                    rows[j] = (int64_t)r, memcpy(values + j * dim, m->params + L->w_off + r * dim, dim * sizeof(float)),
                    j++;
            snprintf(names[nt], sizeof names[nt], "%zu.weight.rows", l);
            t[nt] = (edl_tensor){names[nt], EDL_DTYPE_I64, 1, {k, 0}, rows};
            nt++;
            snprintf(names[nt], sizeof names[nt], "%zu.weight.values", l);
            t[nt] = (edl_tensor){names[nt], EDL_DTYPE_F32, 2, {k, dim}, values};
            nt++;
            /* the rest are regenerated: the scheme and the layer's base say how (edl__init_row) */
            snprintf(lazy_meta[2 * nlazy], sizeof lazy_meta[0], "edl.lazy.%zu", l);
            snprintf(lazy_meta[2 * nlazy + 1], sizeof lazy_meta[0], "%s %llu", edl_init_name(L->init_scheme),
                     (unsigned long long)L->init_base);
            keys[nmeta + nlazy] = lazy_meta[2 * nlazy], vals[nmeta + nlazy] = lazy_meta[2 * nlazy + 1];
            nlazy++;
            continue;
        }
        snprintf(names[nt], sizeof names[nt], "%zu.weight", l);
        t[nt] = (edl_tensor){
            names[nt],
            EDL_DTYPE_F32,
            2,
            {in->kind == EDL_LAYER_DENSE ? in->out_dim : in->rows, in->kind == EDL_LAYER_DENSE ? in->in_dim : in->dim},
            m->params + L->w_off};
        nt++;
        if (L->b_count) {
            snprintf(names[nt], sizeof names[nt], "%zu.bias", l);
            t[nt] = (edl_tensor){names[nt], EDL_DTYPE_F32, 1, {L->b_count, 0}, m->params + L->b_off};
            nt++;
        }
    }
    if (s == EDL_OK) s = write_file(fn, path, spec, keys, vals, nmeta + nlazy, t, nt, extra, nextra);
    if (m->table_dir) edl__map_advise(&m->block, EDL__ACCESS_RANDOM);
    for (size_t i = 0; bufs && i < 2 * m->nlayers; i++) free(bufs[i]);
    free(spec), free(t), free(names), free(keys), free(vals), free(lazy_meta), free(bufs);
    return s;
}

edl_status edl__model_file_write_table(const char *fn, const char *path, const float *table, size_t rows, size_t dim,
                                       const char *const *meta_keys, const char *const *meta_values, size_t nmeta,
                                       const edl_tensor *extra, size_t nextra) {
    size_t n;
    if (!path || (!table && rows && dim)) return edl__fail(EDL_ERR_ARG, "%s: path or table is NULL", fn);
    if (!edl__mul_ok(rows, dim, &n)) return edl__fail(EDL_ERR_ARG, "%s: %zu x %zu floats overflow", fn, rows, dim);
    EDL__TRY(check_save_args(fn, meta_keys, meta_values, nmeta, extra, nextra));
    if (!edl__vec_all_finite(table, n))
        return edl__fail(EDL_ERR_NUMERIC, "%s: %s: the table holds NaN or infinite values; not saved", fn, path);
    char spec[160];
    snprintf(spec, sizeof spec, "%s(rows=%zu,dim=%zu,pool=%s) loss(%s)", edl_layer_kind_name(EDL_LAYER_EMBEDDING_BAG),
             rows, dim, edl_pool_name(EDL_POOL_MEAN), edl_loss_name(EDL_LOSS_MSE));
    const edl_tensor own = {"0.weight", EDL_DTYPE_F32, 2, {rows, dim}, table};
    return write_file(fn, path, spec, meta_keys, meta_values, nmeta, &own, 1, extra, nextra);
}

/* ---- reading ------------------------------------------------------------------------------ */

#define LOAD_FAIL(code, off, ...)                     \
    do {                                              \
        s = edl__st_fail(st, code, off, __VA_ARGS__); \
        goto done;                                    \
    } while (0)

edl_status edl__model_file_spec(const edl__st *st, edl_model **out) {
    const char *spec = edl__st_meta(st, "edl.spec");
    if (!edl__st_has_meta(st)) /* a plain safetensors file (the container takes it) */
        return edl__st_fail(st, EDL_ERR_FORMAT, 8, "not an edl model: the header has no __metadata__");
    if (!spec)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, NULL),
                            "not an edl model: __metadata__ has no edl.spec");
    edl_model *m = NULL;
    edl_status s = edl_model_create(&m);
    if (s == EDL_OK) s = edl__spec_build(m, spec);
    if (s != EDL_OK) {
        edl_model_free(m);
        char why[300];
        snprintf(why, sizeof why, "%s", edl_last_error());
        return edl__st_fail(st, s == EDL_ERR_NOMEM ? EDL_ERR_NOMEM : EDL_ERR_FORMAT,
                            edl__st_meta_offset(st, "edl.spec"), "edl.spec: %.300s", why);
    }
    *out = m;
    return EDL_OK;
}

/* The tensor of layer `in`'s weight (which 0) or bias (which 1) as the spec wants it: its
   element count (*count), and its rank and shape. */
static void want_of(const edl_layer_info *in, int which, size_t bias_count, size_t *rank, uint64_t shape[2]) {
    int dense = in->kind == EDL_LAYER_DENSE;
    *rank = which ? 1 : 2;
    shape[0] = which ? bias_count : dense ? in->out_dim : in->rows;
    shape[1] = dense ? in->in_dim : in->dim;
}

edl_status edl__model_file_size_check(const edl__st *st, size_t layer, const edl_layer_info *in) {
    size_t want = 0;
    int fits = in->kind == EDL_LAYER_DENSE ? edl__mul_ok(in->out_dim, in->in_dim, &want)
                                           : edl__mul_ok(in->rows, in->dim, &want);
    char name[48];
    snprintf(name, sizeof name, "%zu.weight", layer);
    const edl__st_tensor *t = edl__st_find(st, name);
    if (!t || !fits || want > UINT64_MAX / 4 || t->end - t->begin != (uint64_t)want * 4)
        return edl__st_fail(st, EDL_ERR_FORMAT, 8, "tensor \"%s\" is missing or not %llu floats as edl.spec says", name,
                            (unsigned long long)want);
    return EDL_OK;
}

edl_status edl__model_file_tensor(const edl__st *st, size_t layer, const edl_layer_info *in, int which,
                                  size_t bias_count, const edl__st_tensor **out) {
    char name[48];
    snprintf(name, sizeof name, "%zu.%s", layer, which ? "bias" : "weight");
    const edl__st_tensor *t = edl__st_find(st, name);
    if (!t) return edl__st_fail(st, EDL_ERR_FORMAT, 8, "tensor \"%s\" is missing", name);
    if (strcmp(t->dtype, "F32"))
        return edl__st_fail(st, EDL_ERR_UNSUPPORTED, t->dtype_off, "tensor \"%s\" is %s; edl reads F32", name,
                            t->dtype);
    size_t rank;
    uint64_t want[2];
    want_of(in, which, bias_count, &rank, want);
    if (t->rank != rank || t->shape[0] != want[0] || (rank == 2 && t->shape[1] != want[1]))
        return edl__st_fail(
            st, EDL_ERR_FORMAT, t->shape_off, "tensor \"%s\" has the wrong shape for edl.spec (want [%llu%s%llu])",
            name, (unsigned long long)want[0], rank == 2 ? ", " : "", rank == 2 ? (unsigned long long)want[1] : 0ULL);
    *out = t;
    return EDL_OK;
}

edl_status edl__model_file_read_floats(edl__st *st, const edl__st_tensor *t, float *dst) {
    EDL__TRY(edl__st_read(st, t, dst));
    const size_t count = (size_t)(t->end - t->begin) / 4;
    for (size_t i = 0; i < count; i++)
        if (!isfinite(dst[i]))
            return edl__st_fail(st, EDL_ERR_NUMERIC, edl__st_data_start(st) + t->begin + 4 * (uint64_t)i,
                                "tensor \"%s\" value %zu is %g", t->name, i, dst[i]);
    return EDL_OK;
}

/* A mapped file whose layer tensors sit as the parameter block lays them out (edl's writer puts
   them first, in order, 64-byte aligned) is the block: params points into the mapping, which is
   copy-on-write, so training the loaded model changes only this process's pages. Values are then
   not scanned for NaN (that would read the whole table; edl's writers refuse non-finite values). */
static int map_params(edl__st *st, edl_model *m, const edl__st_tensor *const *lt) {
    size_t fk = 0;
    while (fk < 2 * m->nlayers && !lt[fk]) fk++;
    if (fk == 2 * m->nlayers || !edl__st_mapped(st)) return 0;
    const uint16_t one = 1;
    if (*(const uint8_t *)&one != 1) return 0; /* a big-endian host reads and swaps */
    const edl__st_tensor *first = lt[fk];
    const size_t base = fk % 2 ? m->layers[fk / 2].b_off : m->layers[fk / 2].w_off; /* 0: the block's start */
    for (size_t k = 0; k < 2 * m->nlayers; k++) {
        if (!lt[k]) continue;
        const edl__layer *L = &m->layers[k / 2];
        const uint64_t want = first->begin + (uint64_t)((k % 2 ? L->b_off : L->w_off) - base) * 4;
        if (lt[k]->begin != want) return 0;
    }
    const void *p;
    if (base != 0 || edl__st_data(st, first, &p) != EDL_OK || (uintptr_t)p % 64) return 0;
    m->params = (float *)(uintptr_t)p;
    m->file = edl__st_retain(st);
    m->built = 1;
    return 1;
}

/* A lazy table's form (edl_model_save_ex): "L.weight.rows" (I64 [k]) and "L.weight.values" (F32
   [k, dim]) in place of "L.weight", and metadata "edl.lazy.L" = "<init scheme> <base>". *rows is
   NULL when the layer is stored whole. Shapes and the metadata are checked here; the rows when read. */
static edl_status lazy_form(const edl__st *st, size_t l, const edl_layer_info *in, const edl__st_tensor **rows,
                            const edl__st_tensor **values, edl_init *scheme, uint64_t *base) {
    char name[48], key[32];
    *rows = *values = NULL;
    snprintf(name, sizeof name, "%zu.weight.rows", l);
    const edl__st_tensor *r = edl__st_find(st, name);
    if (!r || (in->kind != EDL_LAYER_EMBEDDING && in->kind != EDL_LAYER_EMBEDDING_BAG)) return EDL_OK;
    snprintf(name, sizeof name, "%zu.weight.values", l);
    const edl__st_tensor *v = edl__st_find(st, name);
    if (in->rows > EDL__LAZY_MAX_ROWS)
        return edl__st_fail(st, EDL_ERR_FORMAT, r->off,
                            "layer %zu: a table stored by its made rows has %zu rows, over %zu", l, in->rows,
                            EDL__LAZY_MAX_ROWS);
    if (strcmp(r->dtype, "I64") || r->rank != 1 || r->shape[0] > in->rows)
        return edl__st_fail(st, EDL_ERR_FORMAT, r->off, "tensor \"%zu.weight.rows\" is not I64 [k <= %zu]", l,
                            in->rows);
    if (!v || strcmp(v->dtype, "F32") || v->rank != 2 || v->shape[0] != r->shape[0] || v->shape[1] != in->dim)
        return edl__st_fail(st, EDL_ERR_FORMAT, v ? v->off : 8, "tensor \"%s\" is missing or not F32 [%llu, %zu]", name,
                            (unsigned long long)r->shape[0], in->dim);
    snprintf(key, sizeof key, "edl.lazy.%zu", l);
    const char *m = edl__st_meta(st, key);
    char sch[16];
    unsigned long long b;
    int used = 0;
    if (!m || sscanf(m, "%15s %llu%n", sch, &b, &used) != 2 || m[used] != '\0' ||
        edl_init_from_name(sch, scheme) != EDL_OK)
        return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_meta_offset(st, key),
                            "metadata %s = \"%.40s\" is not \"<torch|keras|fasttext> <seed>\"", key, m ? m : "");
    *rows = r, *values = v, *base = b;
    return EDL_OK;
}

/* Rows of a lazy table from the file into the (zeroed) block: each row index in range and above
   the one before, each value finite; the rows not stored are made when used. */
static edl_status read_lazy(edl__st *st, edl_model *m, size_t l, const edl__st_tensor *rt, const edl__st_tensor *vt,
                            edl_init scheme, uint64_t base) {
    edl__layer *L = &m->layers[l];
    EDL__TRY(edl__table_set_lazy(m, l));
    L->init_scheme = scheme, L->init_base = base;
    const void *rp, *vp;
    EDL__TRY(edl__st_data(st, rt, &rp));
    EDL__TRY(edl__st_data(st, vt, &vp));
    const int64_t *rows = rp;
    const float *values = vp;
    const size_t k = (size_t)rt->shape[0], dim = L->info.dim;
    for (size_t j = 0; j < k; j++) {
        if (rows[j] < 0 || (uint64_t)rows[j] >= L->info.rows || (j && rows[j] <= rows[j - 1]))
            return edl__st_fail(st, EDL_ERR_FORMAT, edl__st_data_start(st) + rt->begin + 8 * (uint64_t)j,
                                "%s[%zu] = %lld is out of [0, %zu) or not above the one before", rt->name, j,
                                (long long)rows[j], L->info.rows);
        for (size_t d = 0; d < dim; d++)
            if (!isfinite(values[j * dim + d]))
                return edl__st_fail(st, EDL_ERR_NUMERIC, edl__st_data_start(st) + vt->begin + 4 * (j * dim + d),
                                    "%s row %zu value %zu is %g", vt->name, j, d, values[j * dim + d]);
        memcpy(m->params + L->w_off + (size_t)rows[j] * dim, values + j * dim, dim * sizeof(float));
        L->made[rows[j]] = 2;
    }
    return EDL_OK;
}

/* The model of an open container: edl.spec's layers, each of its tensors from the file (F32, the
   spec's shape, finite), the other tensors as extras (F32, I64 or U8 of rank 1 or 2), and the
   metadata for edl_model_meta. */
edl_status edl__model_from_st(edl__st *st, int extras, edl_model **out) {
    edl_status s = EDL_OK;
    edl_model *m = NULL;
    const size_t nt = edl__st_count(st);
    uint8_t *used = NULL;
    const edl__st_tensor **lazy = NULL, **lt = NULL; /* lazy tables' rows, values; each layer's weight, bias */
    edl_init *lscheme = NULL;
    uint64_t *lbase = NULL;
    used = calloc(nt ? nt : 1, 1);
    if (!used) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu tensor entries", nt);

    /* the architecture, then each of its tensors from the file */
    if ((s = edl__model_file_spec(st, &m)) != EDL_OK) goto done;
    lazy = calloc(2 * m->nlayers + 1, sizeof *lazy);
    lscheme = calloc(m->nlayers + 1, sizeof *lscheme);
    lbase = calloc(m->nlayers + 1, sizeof *lbase);
    int any_lazy = 0;
    if (!lazy || !lscheme || !lbase) s = edl__fail(EDL_ERR_NOMEM, "no memory for %zu layers", m->nlayers);
    for (size_t l = 0; s == EDL_OK && l < m->nlayers;
         l++) { /* shapes before allocation: a lying file allocates nothing */
        if (!has_tensors(&m->layers[l])) continue;
        s = lazy_form(st, l, &m->layers[l].info, &lazy[2 * l], &lazy[2 * l + 1], &lscheme[l], &lbase[l]);
        if (s == EDL_OK && lazy[2 * l])
            any_lazy = 1, used[lazy[2 * l]->index] = used[lazy[2 * l + 1]->index] = 1;
        else if (s == EDL_OK)
            s = edl__model_file_size_check(st, l, &m->layers[l].info);
    }
    if (s != EDL_OK) goto done;
    if ((s = edl__model_layout(m)) != EDL_OK) goto done;
    lt = calloc(2 * m->nlayers + 1, sizeof *lt);
    if (!lt) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu layers", m->nlayers);
    for (size_t l = 0; l < m->nlayers && s == EDL_OK; l++) {
        edl__layer *L = &m->layers[l];
        for (int which = 0; which < 2 && s == EDL_OK && has_tensors(L); which++)
            if ((!which && !lazy[2 * l]) || (which && L->b_count)) {
                s = edl__model_file_tensor(st, l, &L->info, which, L->b_count, &lt[2 * l + which]);
                if (s == EDL_OK) used[lt[2 * l + which]->index] = 1;
            }
    }
    if (s == EDL_OK && (any_lazy || !map_params(st, m, lt))) { /* another writer's, not mapped, lazy: read */
        s = edl__model_build(m);
        for (size_t l = 0; s == EDL_OK && l < m->nlayers; l++)
            if (lazy[2 * l]) s = read_lazy(st, m, l, lazy[2 * l], lazy[2 * l + 1], lscheme[l], lbase[l]);
        for (size_t k = 0; s == EDL_OK && k < 2 * m->nlayers; k++)
            if (lt[k])
                s = edl__model_file_read_floats(st, lt[k],
                                                m->params + (k % 2 ? m->layers[k / 2].b_off : m->layers[k / 2].w_off));
    }
    if (s != EDL_OK) goto done;
    size_t nextra = 0;
    for (size_t i = 0; i < nt; i++) nextra += !used[i] && extras;
    m->extras = calloc(nextra ? nextra : 1, sizeof *m->extras);
    if (!m->extras) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu extra tensors", nextra);
    for (size_t i = 0; i < nt; i++) {
        if (used[i]) continue;
        const edl__st_tensor *t = edl__st_at(st, i);
        if (is_layer_tensor(t->name))
            LOAD_FAIL(EDL_ERR_FORMAT, t->name_off, "tensor \"%s\" is not part of edl.spec", t->name);
        /* an extra tensor (a vocabulary, label names): F32, I64 or U8, rank 1 or 2 */
        edl_dtype d = !strcmp(t->dtype, "F32")   ? EDL_DTYPE_F32
                      : !strcmp(t->dtype, "I64") ? EDL_DTYPE_I64
                                                 : EDL_DTYPE_U8;
        if (strcmp(t->dtype, "F32") && strcmp(t->dtype, "I64") && strcmp(t->dtype, "U8"))
            LOAD_FAIL(EDL_ERR_UNSUPPORTED, t->dtype_off, "extra tensor \"%s\" is %s; edl reads F32, I64 and U8",
                      t->name, t->dtype);
        if (t->rank != 1 && t->rank != 2)
            LOAD_FAIL(EDL_ERR_UNSUPPORTED, t->shape_off, "extra tensor \"%s\" has rank %zu; edl reads 1 or 2", t->name,
                      t->rank);
        if (!extras) continue; /* checked; the caller reads it from the container */
        edl_tensor *x = &m->extras[m->nextras];
        memset(x, 0, sizeof *x);
        size_t nb = (size_t)(t->end - t->begin);
        x->name = strdup(t->name);
        x->data = malloc(nb ? nb : 1);
        m->nextras++;
        if (!x->name || !x->data)
            LOAD_FAIL(EDL_ERR_NOMEM, t->name_off, "no memory for tensor \"%s\" (%zu bytes)", t->name, nb);
        x->dtype = d, x->rank = t->rank, x->shape[0] = (size_t)t->shape[0],
        x->shape[1] = t->rank == 2 ? (size_t)t->shape[1] : 0;
        if ((s = edl__st_read(st, t, (void *)x->data)) != EDL_OK) goto done;
    }
    /* keep the metadata for edl_model_meta */
    const size_t nmeta = edl__st_nmeta(st);
    m->meta_keys = calloc(nmeta ? nmeta : 1, sizeof *m->meta_keys);
    m->meta_values = calloc(nmeta ? nmeta : 1, sizeof *m->meta_values);
    if (!m->meta_keys || !m->meta_values) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for the metadata");
    for (size_t i = 0; i < nmeta; i++) {
        const char *k, *v;
        edl__st_meta_at(st, i, &k, &v);
        m->meta_keys[i] = strdup(k);
        m->meta_values[i] = strdup(v);
        m->nmeta++;
        if (!m->meta_keys[i] || !m->meta_values[i]) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for the metadata");
    }
    edl_model_zero_grad(m);
done:
    free(used), free(lt), free(lazy), free(lscheme), free(lbase);
    if (s != EDL_OK) {
        edl_model_free(m);
        return s;
    }
    *out = m;
    return EDL_OK;
}

edl_status edl_model_load(edl_model **out, const char *path) {
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "edl_model_load: model or path is NULL");
    edl__st *st = NULL;
    EDL__TRY(edl__st_open(&st, path));
    edl_status s = edl__model_from_st(st, 1, out);
    edl__st_close(st);
    return s;
}
