/* The one-line model spec: parsing, printing, and the Keras-style summary table.
 *
 *   spec  := item (space item)*
 *   item  := name [ "(" arg ("," arg)* ")" ]
 *   arg   := [key "="] value            positional values fill the layer's leading keys
 *
 *   input(dim)                                   features
 *   embedding(rows, dim, len, pool=flatten|sum|mean|max, padding_idx=-1)
 *   embedding_bag(rows, dim, pool=mean|sum|max, padding_idx=-1)
 *   dense(out, act=none|relu|sigmoid|tanh, bias=1)
 *   dropout(p)
 *   loss(softmax|bce|mse)                        last; softmax when absent
 * Layers with parameters also take init=torch|keras|fasttext, freeze=0|1, and embeddings
 * sparse=1|0 (lazy row updates, the default, or dense updates).
 */
#include "model/model.h"

#include "common/names.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ------------------------------------------------------------------------------ */

enum { MAX_ARGS = 12, MAX_TOKEN = 64 };

typedef struct {
    char key[MAX_TOKEN], value[MAX_TOKEN];
    size_t col; /* 1-based column of the value */
    int used;
} spec_arg;

typedef struct {
    char name[MAX_TOKEN];
    size_t col;
    spec_arg args[MAX_ARGS];
    int nargs;
} spec_item;

static edl_status spec_err(size_t col, const char *fmt, const char *a, const char *b) {
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a, b);
    return edl__fail(EDL_ERR_FORMAT, "spec:%zu: %s", col, msg);
}

/* Reads [A-Za-z0-9_.+-]+ into out; returns its length (0 when none). */
static size_t read_token(const char *s, char *out) {
    size_t n = 0;
    while (s[n] && (isalnum((unsigned char)s[n]) || strchr("_.+-", s[n]))) {
        if (n + 1 < MAX_TOKEN) out[n] = s[n];
        n++;
    }
    out[n < MAX_TOKEN ? n : MAX_TOKEN - 1] = '\0';
    return n;
}

/* Parses one item starting at s[*pos]; advances *pos. */
static edl_status parse_item(const char *s, size_t *pos, spec_item *it) {
    size_t p = *pos;
    memset(it, 0, sizeof *it);
    it->col = p + 1;
    size_t n = read_token(s + p, it->name);
    if (n == 0) return spec_err(p + 1, "expected a layer name, found '%.1s'%s", s + p, "");
    if (n >= MAX_TOKEN) return spec_err(p + 1, "name '%s...' is too long%s", it->name, "");
    p += n;
    if (s[p] == '(') {
        p++;
        for (;;) {
            while (s[p] == ' ' || s[p] == '\t') p++;
            if (s[p] == ')' && it->nargs == 0) break;
            if (it->nargs == MAX_ARGS) return spec_err(p + 1, "too many arguments to %s%s", it->name, "");
            spec_arg *a = &it->args[it->nargs++];
            char tok[MAX_TOKEN];
            size_t t = read_token(s + p, tok);
            if (t == 0) return spec_err(p + 1, "expected an argument, found '%.1s'%s", s + p, "");
            if (t >= MAX_TOKEN) return spec_err(p + 1, "argument '%s...' is too long%s", tok, "");
            if (s[p + t] == '=') {
                memcpy(a->key, tok, sizeof tok);
                p += t + 1;
                t = read_token(s + p, a->value);
                if (t == 0) return spec_err(p + 1, "expected a value for '%s'%s", a->key, "");
                if (t >= MAX_TOKEN) return spec_err(p + 1, "value '%s...' is too long%s", a->value, "");
            } else {
                memcpy(a->value, tok, sizeof tok);
            }
            a->col = p + 1;
            p += t;
            while (s[p] == ' ' || s[p] == '\t') p++;
            if (s[p] == ',') {
                p++;
                continue;
            }
            if (s[p] == ')') break;
            return spec_err(p + 1, "expected ',' or ')' in %s, found '%.1s'", it->name, s[p] ? s + p : "end");
        }
        p++; /* ')' */
    }
    if (s[p] && !isspace((unsigned char)s[p]))
        return spec_err(p + 1, "expected a space after %s, found '%.1s'", it->name, s + p);
    *pos = p;
    return EDL_OK;
}

/* Gives positional arguments their keys: the layer's leading keys in order. */
static edl_status name_positionals(spec_item *it, const char *const *keys) {
    int k = 0;
    for (int i = 0; i < it->nargs; i++) {
        spec_arg *a = &it->args[i];
        if (a->key[0]) continue;
        if (!keys[k]) return spec_err(a->col, "too many positional arguments to %s at '%s'", it->name, a->value);
        snprintf(a->key, sizeof a->key, "%s", keys[k++]);
    }
    for (int i = 0; i < it->nargs; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(it->args[i].key, it->args[j].key))
                return spec_err(it->args[i].col, "%s given twice to %s", it->args[i].key, it->name);
    return EDL_OK;
}

static spec_arg *find_arg(spec_item *it, const char *key) {
    for (int i = 0; i < it->nargs; i++)
        if (!strcmp(it->args[i].key, key)) {
            it->args[i].used = 1;
            return &it->args[i];
        }
    return NULL;
}

static edl_status arg_size(spec_item *it, const char *key, int required, size_t def, size_t *out) {
    spec_arg *a = find_arg(it, key);
    if (!a) {
        if (required) return spec_err(it->col, "%s needs %s", it->name, key);
        *out = def;
        return EDL_OK;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(a->value, &end, 10);
    if (*end || errno || a->value[0] == '-' || v == 0 || v > SIZE_MAX / 8)
        return spec_err(a->col, "%s must be a positive integer, got '%s'", key, a->value);
    *out = (size_t)v;
    return EDL_OK;
}

static edl_status arg_int(spec_item *it, const char *key, long long def, long long lo, long long hi, long long *out) {
    spec_arg *a = find_arg(it, key);
    if (!a) {
        *out = def;
        return EDL_OK;
    }
    if (!strcmp(a->value, "true") || !strcmp(a->value, "false")) {
        *out = a->value[0] == 't';
    } else {
        char *end;
        errno = 0;
        long long v = strtoll(a->value, &end, 10);
        if (*end || errno) return spec_err(a->col, "%s must be an integer, got '%s'", key, a->value);
        *out = v;
    }
    if (*out < lo || *out > hi) return spec_err(a->col, "%s is out of range: '%s'", key, a->value);
    return EDL_OK;
}

/* Looks the value of key up in the table of names t (refused: a value this layer does not take,
   or -2 for none); *out is its value. */
static edl_status arg_enum(spec_item *it, const char *key, edl__names t, int refused, int def, int *out) {
    spec_arg *a = find_arg(it, key);
    *out = def;
    if (!a) return EDL_OK;
    int v;
    if (edl__from_name(t, "spec", a->value, &v) == EDL_OK && v != refused) {
        *out = v;
        return EDL_OK;
    }
    return spec_err(a->col, "unknown %s '%s'", key, a->value);
}

/* Options every parameterised layer takes. */
static edl_status common_options(edl_model *m, spec_item *it, int embedding) {
    size_t l = m->nlayers - 1;
    int init;
    long long v;
    if (find_arg(it, "init")) {
        EDL__TRY(arg_enum(it, "init", EDL__NAMES_INIT, -2, 0, &init));
        EDL__TRY(edl_model_set_layer_init(m, l, (edl_init)init));
    }
    EDL__TRY(arg_int(it, "freeze", 0, 0, 1, &v));
    if (v) EDL__TRY(edl_model_freeze(m, l, 1));
    if (embedding) {
        EDL__TRY(arg_int(it, "sparse", 1, 0, 1, &v));
        EDL__TRY(edl_model_set_sparse(m, l, (int)v));
    }
    return EDL_OK;
}

static edl_status add_item(edl_model *m, spec_item *it, int *saw_loss) {
    if (*saw_loss) return spec_err(it->col, "%s after loss(...): the loss comes last%s", it->name, "");
    size_t a, b, c;
    long long v;
    int e, kind = -1;
    if (strcmp(it->name, "loss") && edl__from_name(EDL__NAMES_LAYER_KIND, "spec", it->name, &kind) != EDL_OK) kind = -1;
    if (kind == EDL_LAYER_INPUT) {
        static const char *const k[] = {"dim", NULL};
        EDL__TRY(name_positionals(it, k));
        EDL__TRY(arg_size(it, "dim", 1, 0, &a));
        EDL__TRY(edl_model_add_input(m, a));
    } else if (kind == EDL_LAYER_EMBEDDING || kind == EDL_LAYER_EMBEDDING_BAG) {
        int bag = kind == EDL_LAYER_EMBEDDING_BAG;
        static const char *const k[] = {"rows", "dim", "len", NULL};
        EDL__TRY(name_positionals(it, k));
        EDL__TRY(arg_size(it, "rows", 1, 0, &a));
        EDL__TRY(arg_size(it, "dim", 1, 0, &b));
        EDL__TRY(arg_int(it, "padding_idx", -1, -1, (long long)a - 1, &v));
        if (bag) {
            EDL__TRY(arg_enum(it, "pool", EDL__NAMES_POOL, (int)EDL_POOL_FLATTEN, EDL_POOL_MEAN, &e));
            EDL__TRY(edl_model_add_embedding_bag(m, a, b, (edl_pool)e, v));
        } else {
            EDL__TRY(arg_size(it, "len", 1, 0, &c));
            EDL__TRY(arg_enum(it, "pool", EDL__NAMES_POOL, -2, (int)EDL_POOL_FLATTEN, &e));
            EDL__TRY(edl_model_add_embedding(m, a, b, c, (edl_pool)e, v));
        }
        EDL__TRY(common_options(m, it, 1));
    } else if (kind == EDL_LAYER_DENSE) {
        static const char *const k[] = {"out", NULL};
        EDL__TRY(name_positionals(it, k));
        EDL__TRY(arg_size(it, "out", 1, 0, &a));
        EDL__TRY(arg_enum(it, "act", EDL__NAMES_ACT, -2, EDL_ACT_NONE, &e));
        EDL__TRY(arg_int(it, "bias", 1, 0, 1, &v));
        EDL__TRY(edl_model_add_dense(m, a, (edl_act)e, (int)v));
        EDL__TRY(common_options(m, it, 0));
    } else if (kind == EDL_LAYER_DROPOUT) {
        static const char *const k[] = {"p", NULL};
        EDL__TRY(name_positionals(it, k));
        spec_arg *pa = find_arg(it, "p");
        if (!pa) return spec_err(it->col, "dropout needs p%s", "", "");
        char *end;
        float p = strtof(pa->value, &end);
        if (*end || !(p >= 0.0f && p < 1.0f))
            return spec_err(pa->col, "p must be in [0, 1), got '%s'%s", pa->value, "");
        EDL__TRY(edl_model_add_dropout(m, p));
    } else if (!strcmp(it->name, "loss")) {
        static const char *const k[] = {"name", NULL};
        EDL__TRY(name_positionals(it, k));
        EDL__TRY(arg_enum(it, "name", EDL__NAMES_LOSS, -2, EDL_LOSS_SOFTMAX_CE, &e));
        EDL__TRY(edl_model_set_loss(m, (edl_loss)e));
        *saw_loss = 1;
    } else {
        char known[96] = "";
        for (int k = 0; edl_layer_kind_name((edl_layer_kind)k); k++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s, ",
                     edl_layer_kind_name((edl_layer_kind)k));
        return spec_err(it->col, "unknown layer '%s' (%sloss)", it->name, known);
    }
    for (int i = 0; i < it->nargs; i++)
        if (!it->args[i].used) return spec_err(it->args[i].col, "%s takes no argument '%s'", it->name, it->args[i].key);
    return EDL_OK;
}

edl_status edl__spec_build(edl_model *m, const char *spec) {
    int saw_loss = 0;
    size_t pos = 0;
    for (;;) {
        while (isspace((unsigned char)spec[pos])) pos++;
        if (!spec[pos]) break;
        spec_item it;
        EDL__TRY(parse_item(spec, &pos, &it));
        edl_status s = add_item(m, &it, &saw_loss);
        if (s != EDL_OK) {
            /* errors from the model builders name no column: add the item's */
            if (strncmp(edl_last_error(), "spec:", 5) != 0) edl__fail_wrap(s, "spec:%zu", it.col);
            return s;
        }
    }
    if (m->nlayers == 0) return edl__fail(EDL_ERR_FORMAT, "spec:1: the spec has no layers");
    return EDL_OK;
}

/* The layers and loss of spec in a new model whose layout edl_model_init can allocate. */
static edl_status parse_spec(edl_model **model, const char *spec, const char *fn) {
    if (!model || !spec) return edl__fail(EDL_ERR_ARG, "%s: model or spec is NULL", fn);
    edl_model *m;
    EDL__TRY(edl_model_create(&m));
    edl_status s = edl__spec_build(m, spec);
    if (s == EDL_OK) s = edl__model_check_layout(m, fn);
    if (s != EDL_OK) {
        edl_model_free(m);
        return s;
    }
    *model = m;
    return EDL_OK;
}

edl_status edl_model_parse_spec(edl_model **model, const char *spec) {
    return parse_spec(model, spec, "edl_model_parse_spec");
}

edl_status edl_model_from_spec(edl_model **model, const char *spec, edl_init scheme, uint64_t seed) {
    edl_model *m = NULL;
    EDL__TRY(parse_spec(&m, spec, "edl_model_from_spec"));
    edl_status s = edl_model_init(m, scheme, seed);
    if (s != EDL_OK) {
        edl_model_free(m);
        return s;
    }
    *model = m;
    return EDL_OK;
}

/* ---- printing ----------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t size, len; /* len may exceed size: the length needed */
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) EDL__PRINTF(2, 3);
static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->len < b->size ? b->size - b->len : 0;
    int n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) b->len += (size_t)n;
}

static edl_status sb_finish(const sbuf *b, const char *fn) {
    if (b->len >= b->size)
        return edl__fail(EDL_ERR_ARG, "%s: the buffer holds %zu bytes, %zu are needed", fn, b->size, b->len + 1);
    return EDL_OK;
}

static void layer_options(sbuf *b, const edl__layer *L) {
    const edl_layer_info *i = &L->info;
    if (L->has_init) sb_printf(b, ",init=%s", edl_init_name(L->init));
    if (i->frozen) sb_printf(b, ",freeze=1");
    if ((i->kind == EDL_LAYER_EMBEDDING || i->kind == EDL_LAYER_EMBEDDING_BAG) && !i->sparse) sb_printf(b, ",sparse=0");
}

static void write_spec(sbuf *b, const edl_model *m) {
    for (size_t l = 0; l < m->nlayers; l++) {
        const edl__layer *L = &m->layers[l];
        const edl_layer_info *i = &L->info;
        if (l) sb_printf(b, " ");
        const char *kind = edl_layer_kind_name(i->kind);
        switch (i->kind) {
        case EDL_LAYER_INPUT: sb_printf(b, "%s(%zu)", kind, i->dim); break;
        case EDL_LAYER_EMBEDDING:
        case EDL_LAYER_EMBEDDING_BAG:
            if (i->kind == EDL_LAYER_EMBEDDING)
                sb_printf(b, "%s(rows=%zu,dim=%zu,len=%zu,pool=%s", kind, i->rows, i->dim, i->len,
                          edl_pool_name(i->pool));
            else
                sb_printf(b, "%s(rows=%zu,dim=%zu,pool=%s", kind, i->rows, i->dim, edl_pool_name(i->pool));
            if (i->padding_idx >= 0) sb_printf(b, ",padding_idx=%lld", (long long)i->padding_idx);
            layer_options(b, L);
            sb_printf(b, ")");
            break;
        case EDL_LAYER_DENSE:
            sb_printf(b, "%s(%zu", kind, i->out_dim);
            if (i->act != EDL_ACT_NONE) sb_printf(b, ",act=%s", edl_act_name(i->act));
            if (!i->bias) sb_printf(b, ",bias=0");
            layer_options(b, L);
            sb_printf(b, ")");
            break;
        case EDL_LAYER_DROPOUT: sb_printf(b, "%s(%.9g)", kind, i->p); break;
        }
    }
    sb_printf(b, " loss(%s)", edl_loss_name(m->loss));
}

size_t edl__model_spec_len(const edl_model *m) {
    char one[1];
    sbuf b = {one, 0, 0};
    write_spec(&b, m);
    return b.len;
}

edl_status edl_model_spec(const edl_model *m, char *buf, size_t size) {
    if (!m || !buf) return edl__fail(EDL_ERR_ARG, "edl_model_spec: model or buf is NULL");
    sbuf b = {buf, size, 0};
    write_spec(&b, m);
    return sb_finish(&b, "edl_model_spec");
}

static const char *type_name(const edl_layer_info *i) {
    const char *t = edl__layer_title(i->kind);
    return t ? t : "?";
}

/* The summary reads only the layers' descriptions (shapes and parameter counts are set as the
   layers are added), so a model parsed from a spec and never initialised gives the same table. */
static void write_summary(sbuf *b, const edl_model *m) {
    static const char rule[] = "====================================================================================\n";
    static const char thin[] = "------------------------------------------------------------------------------------\n";
    sb_printf(b, "%-36s %-16s %14s %14s\n", "Layer (type)", "Output Shape", "Param #", "Bytes");
    sb_printf(b, "%s", rule);
    for (size_t l = 0; l < m->nlayers; l++) {
        const edl_layer_info *i = &m->layers[l].info;
        char name[128], shape[40], detail[40] = "";
        if (i->kind == EDL_LAYER_DENSE && i->act != EDL_ACT_NONE)
            snprintf(detail, sizeof detail, ", %s", edl_act_name(i->act));
        if (i->kind == EDL_LAYER_EMBEDDING_BAG || (i->kind == EDL_LAYER_EMBEDDING && i->pool != EDL_POOL_FLATTEN))
            snprintf(detail, sizeof detail, ", %s", edl_pool_name(i->pool));
        if (i->kind == EDL_LAYER_DROPOUT) snprintf(detail, sizeof detail, ", %.3g", i->p);
        snprintf(name, sizeof name, "%s (%s%s)%s", i->name, type_name(i), detail, i->frozen ? " frozen" : "");
        snprintf(shape, sizeof shape, "(None, %zu)", i->out_dim);
        sb_printf(b, "%-36s %-16s %14zu %14zu\n", name, shape, i->params, i->params * sizeof(float));
        if (l + 1 < m->nlayers) sb_printf(b, "%s", thin);
    }
    sb_printf(b, "%s", rule);
    size_t total, trainable, frozen;
    edl_model_param_counts(m, &total, &trainable, &frozen);
    sb_printf(b, "Total params: %zu (%.2f MiB)\n", total, (double)total * sizeof(float) / 1048576.0);
    sb_printf(b, "Trainable params: %zu\n", trainable);
    sb_printf(b, "Non-trainable params: %zu\n", frozen);
    sb_printf(b, "Loss: %s\n", edl_loss_name(m->loss));
}

edl_status edl_model_summary(const edl_model *m, char *buf, size_t size) {
    if (!m || !buf) return edl__fail(EDL_ERR_ARG, "edl_model_summary: model or buf is NULL");
    sbuf b = {buf, size, 0};
    write_summary(&b, m);
    return sb_finish(&b, "edl_model_summary");
}

size_t edl_model_summary_len(const edl_model *m) {
    if (!m) return 0;
    char one[1];
    sbuf b = {one, 0, 0};
    write_summary(&b, m);
    return b.len;
}
