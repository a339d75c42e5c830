/* The model: a stack of layer descriptions, one parameter block and one gradient block. */
#include "model/model.h"
#include "kernels/kernels.h"

#include "common/names.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

edl_status edl_model_create(edl_model **model) {
    if (!model) return edl__fail(EDL_ERR_ARG, "edl_model_create: model is NULL");
    edl_model *m = calloc(1, sizeof *m);
    if (!m) return edl__fail(EDL_ERR_NOMEM, "edl_model_create: no memory");
    m->loss = EDL_LOSS_SOFTMAX_CE;
    *model = m;
    return EDL_OK;
}

void edl_model_free(edl_model *m) {
    if (!m) return;
    edl__ws_free(&m->ws, m->nlayers);
    for (size_t l = 0; l < m->nlayers; l++) {
        free(m->layers[l].touched.rows);
        free(m->layers[l].touched.mark);
        free((void *)m->layers[l].made);
        edl__held_grad_free(&m->layers[l].held);
    }
    for (size_t i = 0; i < m->nmeta; i++) {
        free(m->meta_keys[i]);
        free(m->meta_values[i]);
    }
    free(m->meta_keys);
    free(m->meta_values);
    for (size_t i = 0; i < m->nextras; i++) {
        free((char *)m->extras[i].name);
        free((void *)m->extras[i].data);
    }
    free(m->extras);
    free(m->layers);
    if (!edl__model_region(m, EDL__REGION_GRADS)) free(m->grads);
    edl__map_close(&m->block);
    edl__st_close(m->file);
    free(m->table_dir);
    free(m);
}

/* ---- building ----------------------------------------------------------------------------- */

static edl_status add_layer(edl_model *m, const char *fn, edl_layer_kind kind, edl__layer **out) {
    if (!m) return edl__fail(EDL_ERR_ARG, "%s: model is NULL", fn);
    if (m->built) return edl__fail(EDL_ERR_ARG, "%s: the model is already initialised; add layers first", fn);
    int is_input = kind == EDL_LAYER_INPUT || kind == EDL_LAYER_EMBEDDING || kind == EDL_LAYER_EMBEDDING_BAG;
    if (is_input && m->nlayers > 0)
        return edl__fail(EDL_ERR_ARG, "%s: an input layer must come first (layer %zu)", fn, m->nlayers);
    if (!is_input && m->nlayers == 0)
        return edl__fail(EDL_ERR_ARG, "%s: the first layer must be input, embedding or embedding_bag", fn);
    if (m->nlayers == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 8;
        edl__layer *nl = realloc(m->layers, cap * sizeof *nl);
        if (!nl) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for layer %zu", fn, m->nlayers);
        m->layers = nl;
        m->cap = cap;
    }
    edl__layer *L = &m->layers[m->nlayers];
    memset(L, 0, sizeof *L);
    L->info.kind = kind;
    L->info.padding_idx = -1;
    L->info.sparse = 1;
    L->info.in_dim = m->nlayers ? m->layers[m->nlayers - 1].info.out_dim : 0;
    *out = L;
    return EDL_OK;
}

/* Counts the layers of this kind before layer l, for names like dense_1 (Keras's style). */
static void name_layer(edl_model *m, edl__layer *L) {
    const char *base = edl_layer_kind_name(L->info.kind);
    size_t same = 0;
    for (edl__layer *p = m->layers; p < L; p++) same += p->info.kind == L->info.kind;
    if (same)
        snprintf(L->info.name, sizeof L->info.name, "%s_%zu", base, same);
    else
        snprintf(L->info.name, sizeof L->info.name, "%s", base);
}

/* *out = a * b, when a x b floats can be addressed. */
static edl_status check_count(const char *fn, const char *what, size_t a, size_t b, size_t *out) {
    EDL__TRY(edl__check_matrix(fn, what, a, b));
    *out = a * b;
    return EDL_OK;
}

edl_status edl_model_add_input(edl_model *m, size_t dim) {
    static const char fn[] = "edl_model_add_input";
    EDL__CHECK_SIZE(fn, dim);
    edl__layer *L = NULL;
    EDL__TRY(add_layer(m, fn, EDL_LAYER_INPUT, &L));
    L->info.out_dim = dim;
    L->info.dim = dim;
    name_layer(m, L);
    m->nlayers++;
    return EDL_OK;
}

static edl_status check_embedding(const char *fn, size_t rows, size_t dim, int64_t padding_idx) {
    EDL__CHECK_SIZE(fn, rows);
    EDL__CHECK_SIZE(fn, dim);
    if (padding_idx < -1 || (padding_idx >= 0 && (uint64_t)padding_idx >= rows))
        return edl__fail(EDL_ERR_ARG, "%s: padding_idx %lld is neither -1 nor in [0, %zu)", fn, (long long)padding_idx,
                         rows);
    size_t c;
    return check_count(fn, "table", rows, dim, &c);
}

edl_status edl_model_add_embedding(edl_model *m, size_t rows, size_t dim, size_t len, edl_pool pool,
                                   int64_t padding_idx) {
    static const char fn[] = "edl_model_add_embedding";
    EDL__TRY(check_embedding(fn, rows, dim, padding_idx));
    EDL__CHECK_SIZE(fn, len);
    if (pool != EDL_POOL_FLATTEN && pool != EDL_POOL_SUM && pool != EDL_POOL_MEAN && pool != EDL_POOL_MAX)
        return edl__fail(EDL_ERR_ARG, "%s: pool %d is not flatten, sum, mean or max", fn, (int)pool);
    size_t out;
    EDL__TRY(check_count(fn, "flattened output", len, dim, &out));
    edl__layer *L = NULL;
    EDL__TRY(add_layer(m, fn, EDL_LAYER_EMBEDDING, &L));
    L->info.rows = rows, L->info.dim = dim, L->info.len = len, L->info.pool = pool;
    L->info.padding_idx = padding_idx;
    L->info.out_dim = pool == EDL_POOL_FLATTEN ? out : dim;
    L->info.params = rows * dim;
    name_layer(m, L);
    m->nlayers++;
    return EDL_OK;
}

edl_status edl_model_add_embedding_bag(edl_model *m, size_t rows, size_t dim, edl_pool pool, int64_t padding_idx) {
    static const char fn[] = "edl_model_add_embedding_bag";
    EDL__TRY(check_embedding(fn, rows, dim, padding_idx));
    if (pool != EDL_POOL_SUM && pool != EDL_POOL_MEAN && pool != EDL_POOL_MAX)
        return edl__fail(EDL_ERR_ARG, "%s: pool %d is not sum, mean or max", fn, (int)pool);
    edl__layer *L = NULL;
    EDL__TRY(add_layer(m, fn, EDL_LAYER_EMBEDDING_BAG, &L));
    L->info.rows = rows, L->info.dim = dim, L->info.pool = pool;
    L->info.padding_idx = padding_idx;
    L->info.out_dim = dim;
    L->info.params = rows * dim;
    name_layer(m, L);
    m->nlayers++;
    return EDL_OK;
}

edl_status edl_model_add_dense(edl_model *m, size_t out, edl_act act, int bias) {
    static const char fn[] = "edl_model_add_dense";
    EDL__CHECK_SIZE(fn, out);
    EDL__TRY(edl__check_act(fn, act));
    edl__layer *L = NULL;
    EDL__TRY(add_layer(m, fn, EDL_LAYER_DENSE, &L));
    size_t w;
    EDL__TRY(check_count(fn, "weight", out, L->info.in_dim, &w));
    L->info.out_dim = out;
    L->info.act = act;
    L->info.bias = bias != 0;
    L->info.params = w + (bias ? out : 0);
    name_layer(m, L);
    m->nlayers++;
    return EDL_OK;
}

edl_status edl_model_add_dropout(edl_model *m, float p) {
    static const char fn[] = "edl_model_add_dropout";
    if (!(p >= 0.0f && p < 1.0f)) return edl__fail(EDL_ERR_ARG, "%s: p %g is not in [0, 1)", fn, p);
    edl__layer *L = NULL;
    EDL__TRY(add_layer(m, fn, EDL_LAYER_DROPOUT, &L));
    L->info.out_dim = L->info.in_dim;
    L->info.p = p;
    name_layer(m, L);
    m->nlayers++;
    return EDL_OK;
}

edl_status edl_model_set_loss(edl_model *m, edl_loss loss) {
    if (!m) return edl__fail(EDL_ERR_ARG, "edl_model_set_loss: model is NULL");
    char names[64];
    if (loss != EDL_LOSS_SOFTMAX_CE && loss != EDL_LOSS_BCE && loss != EDL_LOSS_MSE)
        return edl__fail(EDL_ERR_ARG, "edl_model_set_loss: loss %d is not %s", (int)loss,
                         edl__name_list(EDL__NAMES_LOSS, names, sizeof names));
    m->loss = loss;
    return EDL_OK;
}

static edl_status get_layer(const edl_model *m, const char *fn, size_t layer) {
    if (!m) return edl__fail(EDL_ERR_ARG, "%s: model is NULL", fn);
    if (layer >= m->nlayers)
        return edl__fail(EDL_ERR_INDEX, "%s: layer %zu is out of range [0, %zu)", fn, layer, m->nlayers);
    return EDL_OK;
}

static int has_params(const edl__layer *L) {
    return L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG ||
           L->info.kind == EDL_LAYER_DENSE;
}

edl_status edl_model_set_layer_init(edl_model *m, size_t layer, edl_init scheme) {
    EDL__TRY(get_layer(m, "edl_model_set_layer_init", layer));
    if (scheme != EDL_INIT_TORCH && scheme != EDL_INIT_KERAS && scheme != EDL_INIT_FASTTEXT)
        return edl__fail(EDL_ERR_ARG, "edl_model_set_layer_init: scheme %d is unknown", (int)scheme);
    m->layers[layer].init = scheme;
    m->layers[layer].has_init = 1;
    return EDL_OK;
}

edl_status edl_model_freeze(edl_model *m, size_t layer, int frozen) {
    EDL__TRY(get_layer(m, "edl_model_freeze", layer));
    if (!has_params(&m->layers[layer]))
        return edl__fail(EDL_ERR_ARG, "edl_model_freeze: layer %zu (%s) has no parameters", layer,
                         m->layers[layer].info.name);
    m->layers[layer].info.frozen = frozen != 0;
    return EDL_OK;
}

edl_status edl_model_set_sparse(edl_model *m, size_t layer, int sparse) {
    EDL__TRY(get_layer(m, "edl_model_set_sparse", layer));
    edl_layer_kind k = m->layers[layer].info.kind;
    if (k != EDL_LAYER_EMBEDDING && k != EDL_LAYER_EMBEDDING_BAG)
        return edl__fail(EDL_ERR_ARG, "edl_model_set_sparse: layer %zu (%s) is not an embedding", layer,
                         m->layers[layer].info.name);
    edl__layer *L = &m->layers[layer];
    const int to = sparse != 0;
    if (L->info.sparse == to) return EDL_OK;
    if (!m->grads) {
        L->info.sparse = to;
        return EDL_OK;
    }
    /* A gradient already computed is kept for the next step in the new form: the dense form
       reads the whole block, so the lazy form's list is dropped; the lazy form reads only listed
       rows, so every row holding gradient (written or held) is listed. */
    edl__settle_grads(m);
    edl__touched *t = &L->touched;
    for (size_t i = 0; i < t->n; i++) t->mark[t->rows[i]] = 0;
    t->n = 0;
    L->info.sparse = to;
    if (!to) return EDL_OK;
    const size_t dim = L->info.dim;
    for (int64_t r = 0; r < (int64_t)L->info.rows; r++) {
        const float *g = m->grads + L->w_off + (size_t)r * dim;
        size_t d = 0;
        while (d < dim && g[d] == 0.0f) d++;
        if (d == dim) continue;
        edl_status s = edl__touch_rows(L, &r, 1);
        if (s != EDL_OK) { /* as it was: the dense form, which needs no list */
            for (size_t i = 0; i < t->n; i++) t->mark[t->rows[i]] = 0;
            t->n = 0, L->info.sparse = 0;
            return s;
        }
    }
    return EDL_OK;
}

edl_status edl__model_check_layout(const edl_model *m, const char *fn) {
    if (m->nlayers == 0) return edl__fail(EDL_ERR_ARG, "%s: the model has no layers", fn);
    if (m->layers[m->nlayers - 1].info.kind == EDL_LAYER_DROPOUT)
        return edl__fail(EDL_ERR_ARG, "%s: the last layer is dropout; end with a dense layer", fn);
    size_t total = 0;
    for (size_t l = 0; l < m->nlayers; l++) {
        size_t add = m->layers[l].info.params;
        if (total > SIZE_MAX / sizeof(float) - add)
            return edl__fail(EDL_ERR_NOMEM, "%s: the parameter block overflows size_t at layer %zu (%s)", fn, l,
                             m->layers[l].info.name);
        total += add;
    }
    return EDL_OK;
}

/* Lays out every tensor in one block and allocates it with its gradient block. */
/* Each tensor starts at a multiple of 16 floats (64 bytes): rows of SIMD width, and the layout
   of edl's files, whose tensors are 64-byte aligned, so a loaded model can be the file's mapping. */
static size_t align16(size_t n) { return n > SIZE_MAX - 15 ? SIZE_MAX : (n + 15) / 16 * 16; }

edl_status edl__model_layout(edl_model *m) {
    static const char fn[] = "edl_model_init";
    EDL__TRY(edl__model_check_layout(m, fn));
    size_t off = 0;
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__layer *L = &m->layers[l];
        size_t wc, bc;
        if (L->info.kind == EDL_LAYER_DENSE) {
            wc = L->info.out_dim * L->info.in_dim, bc = L->info.bias ? L->info.out_dim : 0;
        } else if (L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG) {
            wc = L->info.rows * L->info.dim, bc = 0;
            if (!L->touched.mark && !(L->touched.mark = calloc(L->info.rows, 1)))
                return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the row marks of layer %zu", fn, l);
        } else {
            continue;
        }
        /* counts fit size_t (edl__model_check_layout); the padded offsets are checked here */
        if (align16(off) > SIZE_MAX / sizeof(float) - wc - 32 || align16(off) + wc > SIZE_MAX / sizeof(float) - bc - 32)
            return edl__fail(EDL_ERR_NOMEM, "%s: the parameter block overflows size_t", fn);
        L->w_off = align16(off), L->w_count = wc;
        L->b_off = bc ? align16(L->w_off + wc) : L->w_off + wc, L->b_count = bc;
        off = L->b_off + bc;
        L->info.bytes = (wc + bc) * sizeof(float);
    }
    m->nparams = off;
    return EDL_OK;
}

edl_status edl_model_set_table_dir(edl_model *m, const char *dir) {
    static const char fn[] = "edl_model_set_table_dir";
    if (!m) return edl__fail(EDL_ERR_ARG, "%s: model is NULL", fn);
    if (m->built) return edl__fail(EDL_ERR_ARG, "%s: the model's parameters already exist; call it before init", fn);
    char *d = NULL;
    if (dir && !(d = strdup(dir))) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    if (dir && !*dir) {
        free(d);
        return edl__fail(EDL_ERR_ARG, "%s: the directory is empty", fn);
    }
    free(m->table_dir);
    m->table_dir = d;
    return EDL_OK;
}

float *edl__model_region(const edl_model *m, int k) {
    if (!m->table_dir || m->block.kind != EDL__MAP_SHARED || k < 0 || k >= EDL__REGIONS) return NULL;
    return (float *)m->block.data + (size_t)k * m->region_floats;
}

void edl__model_drop(const edl_model *m, int k, size_t off, size_t n) {
    if (!edl__model_region(m, k)) return;
    edl__map_drop(&m->block, ((size_t)k * m->region_floats + off) * sizeof(float), n * sizeof(float));
}

void edl__model_writeback(const edl_model *m, int k, size_t off, size_t n) {
    if (!edl__model_region(m, k)) return;
    edl__map_writeback(&m->block, ((size_t)k * m->region_floats + off) * sizeof(float), n * sizeof(float));
}

/* The scratch file of a model with a table directory: EDL__REGIONS regions of the block's size,
   each starting on a page (64 KiB: any page size). */
static edl_status build_scratch(edl_model *m, const char *fn) {
    const size_t page_floats = 65536 / sizeof(float), n = m->nparams ? m->nparams : 1;
    if (n > SIZE_MAX / sizeof(float) / EDL__REGIONS - page_floats)
        return edl__fail(EDL_ERR_NOMEM, "%s: %zu parameters and their training state overflow size_t", fn, n);
    m->region_floats = (n + page_floats - 1) / page_floats * page_floats;
    size_t bytes = m->region_floats * sizeof(float) * EDL__REGIONS;
    edl_status s = edl__map_scratch(&m->block, m->table_dir, bytes);
    if (s != EDL_OK)
        return edl__fail_wrap(s, "%s: %zu parameters with their gradients and optimizer state (%zu bytes)", fn,
                              m->nparams, bytes);
    /* training looks rows up at random: a fault reads the page it needs, not a read-ahead window
       (a save asks for read-ahead while it streams the table out) */
    edl__map_advise(&m->block, EDL__ACCESS_RANDOM);
    m->params = m->block.data;
    m->built = 1;
    return EDL_OK;
}

edl_status edl__model_build(edl_model *m) {
    static const char fn[] = "edl_model_init";
    EDL__TRY(edl__model_layout(m));
    if (m->table_dir) return build_scratch(m, fn);
    size_t bytes = (m->nparams ? m->nparams : 1) * sizeof(float);
    if (edl__map_zeroed(&m->block, bytes) != EDL_OK)
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu parameters (%zu bytes)", fn, m->nparams, bytes);
    m->params = m->block.data;
    m->built = 1;
    return EDL_OK;
}

/* The gradient block is allocated on first need (training), so a model that only predicts, or
   is trained by an app with its own update rule, holds its parameters once. */
edl_status edl__model_grads(edl_model *m) {
    if (m->grads) return EDL_OK;
    if ((m->grads = edl__model_region(m, EDL__REGION_GRADS))) return EDL_OK;
    m->grads = calloc(m->nparams ? m->nparams : 1, sizeof(float));
    if (!m->grads) return edl__fail(EDL_ERR_NOMEM, "no memory for the gradients of %zu parameters", m->nparams);
    return EDL_OK;
}

edl_status edl_model_init(edl_model *m, edl_init scheme, uint64_t seed) {
    static const char fn[] = "edl_model_init";
    if (!m) return edl__fail(EDL_ERR_ARG, "%s: model is NULL", fn);
    if (scheme != EDL_INIT_TORCH && scheme != EDL_INIT_KERAS && scheme != EDL_INIT_FASTTEXT)
        return edl__fail(EDL_ERR_ARG, "%s: scheme %d is unknown", fn, (int)scheme);
    if (!m->built) EDL__TRY(edl__model_build(m));
    edl_rng rng;
    edl_rng_seed(&rng, seed);
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__layer *L = &m->layers[l];
        if (!has_params(L)) continue;
        /* Each layer draws from its own stream, so adding a layer does not change the others. */
        edl_rng lr;
        edl_rng_seed(&lr, edl_rng_u64(&rng));
        edl__init_layer(m, l, L->has_init ? L->init : scheme, &lr);
    }
    edl_model_zero_grad(m);
    m->finite_known = m->table_dir != NULL;
    return EDL_OK;
}

/* ---- tensors ------------------------------------------------------------------------------ */

float *edl_model_tensor(edl_model *m, size_t layer, const char *which, size_t *count) {
    if (!m || !m->built || layer >= m->nlayers || !which) return NULL;
    edl__layer *L = &m->layers[layer];
    if (!has_params(L)) return NULL;
    m->finite_known = 0; /* the caller may write anything through the pointer */
    if (!strcmp(which, "weight")) {
        if (count) *count = L->w_count;
        return m->params + L->w_off;
    }
    if (!strcmp(which, "bias") && L->b_count) {
        if (count) *count = L->b_count;
        return m->params + L->b_off;
    }
    return NULL;
}

edl_status edl_model_set_tensor(edl_model *m, size_t layer, const char *which, const float *data, size_t count) {
    static const char fn[] = "edl_model_set_tensor";
    EDL__TRY(get_layer(m, fn, layer));
    EDL__CHECK_PTR(fn, which);
    EDL__CHECK_PTR(fn, data);
    if (!m->built) return edl__fail(EDL_ERR_ARG, "%s: call edl_model_init first", fn);
    size_t n = 0;
    float *t = edl_model_tensor(m, layer, which, &n);
    if (!t)
        return edl__fail(EDL_ERR_ARG, "%s: layer %zu (%s) has no tensor \"%s\"", fn, layer, m->layers[layer].info.name,
                         which);
    if (n != count)
        return edl__fail(EDL_ERR_ARG, "%s: layer %zu (%s) %s has %zu values, got %zu", fn, layer,
                         m->layers[layer].info.name, which, n, count);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(data[i]))
            return edl__fail(EDL_ERR_NUMERIC, "%s: value %g at position %zu is not finite", fn, data[i], i);
    memcpy(t, data, n * sizeof *t);
    return EDL_OK;
}

/* ---- information -------------------------------------------------------------------------- */

size_t edl_model_num_layers(const edl_model *m) { return m ? m->nlayers : 0; }
edl_loss edl_model_loss(const edl_model *m) { return m ? m->loss : EDL_LOSS_SOFTMAX_CE; }
size_t edl_model_output_dim(const edl_model *m) { return m && m->nlayers ? m->layers[m->nlayers - 1].info.out_dim : 0; }

edl_status edl_model_layer_info(const edl_model *m, size_t layer, edl_layer_info *info) {
    EDL__TRY(get_layer(m, "edl_model_layer_info", layer));
    EDL__CHECK_PTR("edl_model_layer_info", info);
    *info = m->layers[layer].info;
    return EDL_OK;
}

void edl_model_param_counts(const edl_model *m, size_t *total, size_t *trainable, size_t *frozen) {
    size_t t = 0, f = 0;
    for (size_t l = 0; m && l < m->nlayers; l++) {
        const edl_layer_info *i = &m->layers[l].info;
        if (i->frozen)
            f += i->params;
        else
            t += i->params;
    }
    if (total) *total = t + f;
    if (trainable) *trainable = t;
    if (frozen) *frozen = f;
}

const edl_tensor *edl_model_extra(const edl_model *m, const char *name) {
    for (size_t i = 0; m && name && i < m->nextras; i++)
        if (!strcmp(m->extras[i].name, name)) return &m->extras[i];
    return NULL;
}

const char *edl_model_meta(const edl_model *m, const char *key) {
    for (size_t i = 0; m && key && i < m->nmeta; i++)
        if (!strcmp(m->meta_keys[i], key)) return m->meta_values[i];
    return NULL;
}

double edl__layer_grad_sumsq(const edl_model *m, size_t l) {
    const edl__layer *L = &m->layers[l];
    double s = 0.0;
    if (L->info.frozen || !m->grads) return 0.0;
    if (L->info.kind == EDL_LAYER_DENSE || (L->w_count && !edl__tracks_rows(L))) {
        const float *g = m->grads + L->w_off;
        for (size_t i = 0; i < edl__layer_span(L); i++) s += (double)g[i] * g[i];
    } else if (L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG) {
        size_t dim = L->info.dim;
        for (size_t k = 0; k < L->touched.n; k++) {
            const float *g = m->grads + L->w_off + (size_t)L->touched.rows[k] * dim;
            for (size_t d = 0; d < dim; d++) s += (double)g[d] * g[d];
        }
    }
    return s;
}

bool edl__layer_grad_finite(const edl_model *m, size_t l) {
    const edl__layer *L = &m->layers[l];
    if (L->info.frozen || !m->grads) return true;
    if (L->info.kind == EDL_LAYER_DENSE || (L->w_count && !edl__tracks_rows(L)))
        return edl__vec_all_finite(m->grads + L->w_off, edl__layer_span(L));
    if (L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG)
        for (size_t k = 0; k < L->touched.n; k++)
            if (!edl__vec_all_finite(m->grads + L->w_off + (size_t)L->touched.rows[k] * L->info.dim, L->info.dim))
                return false;
    return true;
}

void edl__forget_touched(edl_model *m) {
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__touched *t = &m->layers[l].touched;
        for (size_t k = 0; k < t->n; k++) t->mark[t->rows[k]] = 0;
        t->n = 0;
    }
}

void edl_model_zero_grad(edl_model *m) {
    if (!m || !m->built || !m->grads) return;
    edl__drop_held_grads(m);
    for (size_t l = 0; l < m->nlayers; l++) {
        edl__layer *L = &m->layers[l];
        L->grad_written = 0;
        if (L->info.kind == EDL_LAYER_DENSE || (L->w_count && !edl__tracks_rows(L))) {
            memset(m->grads + L->w_off, 0, edl__layer_span(L) * sizeof(float));
        } else if (L->info.kind == EDL_LAYER_EMBEDDING || L->info.kind == EDL_LAYER_EMBEDDING_BAG) {
            size_t dim = L->info.dim;
            for (size_t k = 0; k < L->touched.n; k++) {
                size_t r = (size_t)L->touched.rows[k];
                memset(m->grads + L->w_off + r * dim, 0, dim * sizeof(float));
                L->touched.mark[r] = 0;
            }
            L->touched.n = 0;
        }
    }
}
