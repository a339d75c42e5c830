/* The one table of enum names: every spelling of every named value of the public enums lives
 * here, once. The first entry of a value is its canonical name (what files, specs, summaries and
 * messages write); a later entry of the same value is an alias the parsers also take. Everyone
 * else (spec parser and printer, summary, model files, recommender, CLI) asks the functions
 * below: edl_X_name(value) and edl_X_from_name(name, &value). */
#include "common/internal.h"
#include "common/names.h"

#include "edl_rec.h"
#include "edl_text.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    int value;
    const char *name;
} name_entry;

static const name_entry act[] = {
    {EDL_ACT_NONE, "none"}, {EDL_ACT_RELU, "relu"}, {EDL_ACT_SIGMOID, "sigmoid"}, {EDL_ACT_TANH, "tanh"}};
static const name_entry pool[] = {
    {EDL_POOL_SUM, "sum"}, {EDL_POOL_MEAN, "mean"}, {EDL_POOL_MAX, "max"}, {(int)EDL_POOL_FLATTEN, "flatten"}};
static const name_entry loss[] = {{EDL_LOSS_SOFTMAX_CE, "softmax"}, {EDL_LOSS_BCE, "bce"}, {EDL_LOSS_MSE, "mse"}};
static const name_entry init[] = {{EDL_INIT_TORCH, "torch"}, {EDL_INIT_KERAS, "keras"}, {EDL_INIT_FASTTEXT, "fasttext"}};
static const name_entry layer_kind[] = {{EDL_LAYER_INPUT, "input"},
                                        {EDL_LAYER_EMBEDDING, "embedding"},
                                        {EDL_LAYER_EMBEDDING_BAG, "embedding_bag"},
                                        {EDL_LAYER_DENSE, "dense"},
                                        {EDL_LAYER_DROPOUT, "dropout"}};
/* the summary's Keras-style type column */
static const name_entry layer_title[] = {{EDL_LAYER_INPUT, "Input"},
                                         {EDL_LAYER_EMBEDDING, "Embedding"},
                                         {EDL_LAYER_EMBEDDING_BAG, "EmbeddingBag"},
                                         {EDL_LAYER_DENSE, "Dense"},
                                         {EDL_LAYER_DROPOUT, "Dropout"}};
static const name_entry opt[] = {{EDL_OPT_SGD, "sgd"},
                                 {EDL_OPT_ADAGRAD, "adagrad"},
                                 {EDL_OPT_ROWWISE_ADAGRAD, "rowwise-adagrad"},
                                 {EDL_OPT_ADAM, "adam"},
                                 {EDL_OPT_ADAMW, "adamw"},
                                 {EDL_OPT_ROWWISE_ADAGRAD, "rowwise_adagrad"}}; /* alias (older recommender files) */
static const name_entry schedule[] = {{EDL_SCHED_CONSTANT, "constant"}, {EDL_SCHED_LINEAR, "linear"}, {EDL_SCHED_COSINE, "cosine"}};
static const name_entry textclf_loss[] = {{EDL_TEXTCLF_SOFTMAX, "softmax"}, {EDL_TEXTCLF_OVA, "ova"}, {EDL_TEXTCLF_HS, "hs"}};
static const name_entry vec_format[] = {{EDL_VEC_AUTO, "auto"},
                                        {EDL_VEC_TEXT, "text"},
                                        {EDL_VEC_GLOVE, "glove"},
                                        {EDL_VEC_BINARY, "binary"},
                                        {EDL_VEC_SAFETENSORS, "safetensors"}};
static const name_entry rec_kind[] = {{EDL_REC_MF, "mf"}, {EDL_REC_BPR, "bpr"}, {EDL_REC_MLP, "mlp"}, {EDL_REC_POP, "pop"}};
static const name_entry ratings_format[] = {
    {EDL_RATINGS_AUTO, "auto"}, {EDL_RATINGS_UDATA, "udata"}, {EDL_RATINGS_DAT, "dat"}, {EDL_RATINGS_CSV, "csv"}};
static const name_entry split_kind[] = {{EDL_SPLIT_RANDOM, "random"}, {EDL_SPLIT_LAST, "last"}};

#define TABLE(t, what) {what, t, sizeof t / sizeof t[0]}
static const struct {
    const char *what; /* for messages: "unknown activation 'gelu'" */
    const name_entry *e;
    size_t n;
} tables[EDL__NAMES_COUNT] = {
    [EDL__NAMES_ACT] = TABLE(act, "activation"),
    [EDL__NAMES_POOL] = TABLE(pool, "pool"),
    [EDL__NAMES_LOSS] = TABLE(loss, "loss"),
    [EDL__NAMES_INIT] = TABLE(init, "initialisation"),
    [EDL__NAMES_LAYER_KIND] = TABLE(layer_kind, "layer"),
    [EDL__NAMES_LAYER_TITLE] = TABLE(layer_title, "layer type"),
    [EDL__NAMES_OPT] = TABLE(opt, "optimizer"),
    [EDL__NAMES_SCHEDULE] = TABLE(schedule, "schedule"),
    [EDL__NAMES_TEXTCLF_LOSS] = TABLE(textclf_loss, "text classifier loss"),
    [EDL__NAMES_VEC_FORMAT] = TABLE(vec_format, "vector format"),
    [EDL__NAMES_REC_KIND] = TABLE(rec_kind, "recommender"),
    [EDL__NAMES_RATINGS_FORMAT] = TABLE(ratings_format, "ratings format"),
    [EDL__NAMES_SPLIT_KIND] = TABLE(split_kind, "split"),
};

const char *edl__name(edl__names t, int value) {
    if ((unsigned)t >= EDL__NAMES_COUNT) return NULL;
    for (size_t i = 0; i < tables[t].n; i++)
        if (tables[t].e[i].value == value) return tables[t].e[i].name;
    return NULL;
}

const char *edl__name_list(edl__names t, char *buf, size_t size) {
    if (!size) return buf;
    buf[0] = '\0';
    if ((unsigned)t >= EDL__NAMES_COUNT) return buf;
    size_t len = 0, shown = 0, total = 0;
    for (size_t i = 0; i < tables[t].n; i++) total += edl__name(t, tables[t].e[i].value) == tables[t].e[i].name;
    for (size_t i = 0; i < tables[t].n && len < size; i++) {
        if (edl__name(t, tables[t].e[i].value) != tables[t].e[i].name) continue; /* an alias */
        const char *sep = shown == 0 ? "" : shown + 1 == total ? " or " : ", ";
        int k = snprintf(buf + len, size - len, "%s%s", sep, tables[t].e[i].name);
        if (k < 0) break;
        len += (size_t)k;
        shown++;
    }
    return buf;
}

edl_status edl__from_name(edl__names t, const char *fn, const char *name, int *value) {
    if ((unsigned)t >= EDL__NAMES_COUNT) return edl__fail(EDL_ERR_ARG, "%s: no such table of names", fn);
    if (!name || !value) return edl__fail(EDL_ERR_ARG, "%s: name or value is NULL", fn);
    for (size_t i = 0; i < tables[t].n; i++)
        if (!strcmp(tables[t].e[i].name, name)) {
            *value = tables[t].e[i].value;
            return EDL_OK;
        }
    char list[160];
    return edl__fail(EDL_ERR_ARG, "unknown %s '%.64s' (%s)", tables[t].what, name, edl__name_list(t, list, sizeof list));
}

/* The public pairs, one for each named enum. */
#define NAMES(prefix, type, table)                                                                \
    const char *prefix##_name(type v) { return edl__name(table, (int)v); }                        \
    edl_status prefix##_from_name(const char *name, type *out) {                                  \
        int v = 0;                                                                                \
        if (!out) return edl__fail(EDL_ERR_ARG, "%s_from_name: out is NULL", #prefix);            \
        EDL__TRY(edl__from_name(table, #prefix "_from_name", name, &v));                          \
        *out = (type)v;                                                                           \
        return EDL_OK;                                                                            \
    }

NAMES(edl_act, edl_act, EDL__NAMES_ACT)
NAMES(edl_pool, edl_pool, EDL__NAMES_POOL)
NAMES(edl_loss, edl_loss, EDL__NAMES_LOSS)
NAMES(edl_init, edl_init, EDL__NAMES_INIT)
NAMES(edl_layer_kind, edl_layer_kind, EDL__NAMES_LAYER_KIND)
NAMES(edl_opt, edl_opt_kind, EDL__NAMES_OPT)
NAMES(edl_schedule, edl_schedule, EDL__NAMES_SCHEDULE)
NAMES(edl_textclf_loss, edl_textclf_loss, EDL__NAMES_TEXTCLF_LOSS)
NAMES(edl_vec_format, edl_vec_format, EDL__NAMES_VEC_FORMAT)
NAMES(edl_rec_kind, edl_rec_kind, EDL__NAMES_REC_KIND)
NAMES(edl_ratings_format, edl_ratings_format, EDL__NAMES_RATINGS_FORMAT)
NAMES(edl_split_kind, edl_split_kind, EDL__NAMES_SPLIT_KIND)

const char *edl__layer_title(edl_layer_kind k) { return edl__name(EDL__NAMES_LAYER_TITLE, (int)k); }
