/* Models as files of the safetensors container (io/safetensors.h): the architecture as edl.spec
 * in the metadata, each layer's tensors as "<layer>.weight" and "<layer>.bias", and the caller's
 * extra tensors (a vocabulary, ids) beside them. The loader checks the tensors against edl.spec
 * before it allocates the parameter block. */
#include "io/safetensors.h"
#include "kernels/kernels.h"
#include "model/model.h"
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
        if (has_tensors(L) && !edl__vec_all_finite(m->params + L->w_off, edl__layer_span(L))) {
            if (m->table_dir) edl__map_advise(&m->block, EDL__ACCESS_RANDOM);
            return edl__fail(EDL_ERR_NUMERIC, "%s: %s: layer %zu (%s) holds NaN or infinite values; not saved", fn,
                             path, l, L->info.name);
        }
    }
    /* each layer's weight and bias */
    size_t spec_len = edl__model_spec_len(m), nt = 0;
    char *spec = malloc(spec_len + 1);
    edl_tensor *t = malloc((2 * m->nlayers + 1) * sizeof *t);
    char(*names)[32] = malloc((2 * m->nlayers + 1) * sizeof *names);
    edl_status s = spec && t && names ? edl_model_spec(m, spec, spec_len + 1)
                                      : edl__fail(EDL_ERR_NOMEM, "%s: %s: no memory", fn, path);
    for (size_t l = 0; s == EDL_OK && l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        if (!has_tensors(L)) continue;
        const edl_layer_info *in = &L->info;
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
    if (s == EDL_OK) s = write_file(fn, path, spec, meta_keys, meta_values, nmeta, t, nt, extra, nextra);
    if (m->table_dir) edl__map_advise(&m->block, EDL__ACCESS_RANDOM);
    free(spec), free(t), free(names);
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

/* The model of an open container: edl.spec's layers, each of its tensors from the file (F32, the
   spec's shape, finite), the other tensors as extras (F32, I64 or U8 of rank 1 or 2), and the
   metadata for edl_model_meta. */
edl_status edl__model_from_st(edl__st *st, int extras, edl_model **out) {
    edl_status s = EDL_OK;
    edl_model *m = NULL;
    const size_t nt = edl__st_count(st);
    uint8_t *used = NULL;
    used = calloc(nt ? nt : 1, 1);
    if (!used) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu tensor entries", nt);

    /* the architecture, then each of its tensors from the file */
    if ((s = edl__model_file_spec(st, &m)) != EDL_OK) goto done;
    for (size_t l = 0; l < m->nlayers; l++) /* shapes before allocation: a lying file allocates nothing */
        if (has_tensors(&m->layers[l]) && (s = edl__model_file_size_check(st, l, &m->layers[l].info)) != EDL_OK)
            goto done;
    if ((s = edl__model_layout(m)) != EDL_OK) goto done;
    const edl__st_tensor **lt = calloc(2 * m->nlayers + 1, sizeof *lt); /* each layer's weight, bias */
    if (!lt) LOAD_FAIL(EDL_ERR_NOMEM, 8, "no memory for %zu layers", m->nlayers);
    for (size_t l = 0; l < m->nlayers && s == EDL_OK; l++) {
        edl__layer *L = &m->layers[l];
        for (int which = 0; which < 2 && s == EDL_OK && has_tensors(L); which++)
            if (!which || L->b_count) {
                s = edl__model_file_tensor(st, l, &L->info, which, L->b_count, &lt[2 * l + which]);
                if (s == EDL_OK) used[lt[2 * l + which]->index] = 1;
            }
    }
    if (s == EDL_OK && !map_params(st, m, lt)) { /* a file from another writer, or not mapped: read */
        s = edl__model_build(m);
        for (size_t k = 0; s == EDL_OK && k < 2 * m->nlayers; k++)
            if (lt[k])
                s = edl__model_file_read_floats(st, lt[k],
                                                m->params + (k % 2 ? m->layers[k / 2].b_off : m->layers[k / 2].w_off));
    }
    free(lt);
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
    free(used);
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
