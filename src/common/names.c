/* The table of enum names of the core (edl.h): every spelling of every named value lives here,
 * once (the domains' enums have theirs in text/names_text.c and rec/names_rec.c, on the same
 * functions). The first entry of a value is its canonical name (what files, specs, summaries and
 * messages write); a later entry of the same value is an alias the parsers also take. Everyone
 * else (spec parser and printer, summary, model files, recommender, CLI) asks the functions
 * below: edl_X_name(value) and edl_X_from_name(name, &value). */
#include "common/internal.h"
#include "common/names.h"

#include <stdio.h>
#include <string.h>

typedef edl__name_entry name_entry;

static const name_entry act[] = {
    {EDL_ACT_NONE, "none"}, {EDL_ACT_RELU, "relu"}, {EDL_ACT_SIGMOID, "sigmoid"}, {EDL_ACT_TANH, "tanh"}};
static const name_entry pool[] = {
    {EDL_POOL_SUM, "sum"}, {EDL_POOL_MEAN, "mean"}, {EDL_POOL_MAX, "max"}, {(int)EDL_POOL_FLATTEN, "flatten"}};
static const name_entry loss[] = {{EDL_LOSS_SOFTMAX_CE, "softmax"}, {EDL_LOSS_BCE, "bce"}, {EDL_LOSS_MSE, "mse"}};
static const name_entry init[] = {
    {EDL_INIT_TORCH, "torch"}, {EDL_INIT_KERAS, "keras"}, {EDL_INIT_FASTTEXT, "fasttext"}};
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
static const name_entry schedule[] = {
    {EDL_SCHED_CONSTANT, "constant"}, {EDL_SCHED_LINEAR, "linear"}, {EDL_SCHED_COSINE, "cosine"}};
static const name_entry quant[] = {{EDL_QUANT_NONE, "none"}, {EDL_QUANT_INT8, "int8"}, {EDL_QUANT_PQ, "pq"}};
#define TABLE(t, what) EDL__NAME_TABLE(t, what)
static const edl__name_table tables[EDL__NAMES_COUNT] = {
    [EDL__NAMES_ACT] = TABLE(act, "activation"),
    [EDL__NAMES_POOL] = TABLE(pool, "pool"),
    [EDL__NAMES_LOSS] = TABLE(loss, "loss"),
    [EDL__NAMES_INIT] = TABLE(init, "initialisation"),
    [EDL__NAMES_LAYER_KIND] = TABLE(layer_kind, "layer"),
    [EDL__NAMES_LAYER_TITLE] = TABLE(layer_title, "layer type"),
    [EDL__NAMES_OPT] = TABLE(opt, "optimizer"),
    [EDL__NAMES_SCHEDULE] = TABLE(schedule, "schedule"),
    [EDL__NAMES_QUANT] = TABLE(quant, "quantization"),
};

const char *edl__table_name(const edl__name_table *t, int value) {
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].value == value) return t->e[i].name;
    return NULL;
}

const char *edl__table_list(const edl__name_table *t, char *buf, size_t size) {
    if (!size) return buf;
    buf[0] = '\0';
    size_t len = 0, shown = 0, total = 0;
    for (size_t i = 0; i < t->n; i++) total += edl__table_name(t, t->e[i].value) == t->e[i].name;
    for (size_t i = 0; i < t->n && len < size; i++) {
        if (edl__table_name(t, t->e[i].value) != t->e[i].name) continue; /* an alias */
        const char *sep = shown == 0 ? "" : shown + 1 == total ? " or " : ", ";
        int k = snprintf(buf + len, size - len, "%s%s", sep, t->e[i].name);
        if (k < 0) break;
        len += (size_t)k;
        shown++;
    }
    return buf;
}

edl_status edl__table_value(const edl__name_table *t, const char *fn, const char *name, int *value) {
    if (!name || !value) return edl__fail(EDL_ERR_ARG, "%s: name or value is NULL", fn);
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].name, name)) {
            *value = t->e[i].value;
            return EDL_OK;
        }
    char list[160];
    return edl__fail(EDL_ERR_ARG, "unknown %s '%.64s' (%s)", t->what, name, edl__table_list(t, list, sizeof list));
}

const char *edl__name(edl__names t, int value) {
    return (unsigned)t < EDL__NAMES_COUNT ? edl__table_name(&tables[t], value) : NULL;
}

const char *edl__name_list(edl__names t, char *buf, size_t size) {
    if ((unsigned)t < EDL__NAMES_COUNT) return edl__table_list(&tables[t], buf, size);
    if (size) buf[0] = '\0';
    return buf;
}

edl_status edl__from_name(edl__names t, const char *fn, const char *name, int *value) {
    if ((unsigned)t >= EDL__NAMES_COUNT) return edl__fail(EDL_ERR_ARG, "%s: no such table of names", fn);
    return edl__table_value(&tables[t], fn, name, value);
}

/* The public pairs, one for each named enum. */
#define NAMES(prefix, type, t) EDL__NAME_FUNCTIONS(prefix, type, &tables[t])

NAMES(edl_act, edl_act, EDL__NAMES_ACT)
NAMES(edl_pool, edl_pool, EDL__NAMES_POOL)
NAMES(edl_loss, edl_loss, EDL__NAMES_LOSS)
NAMES(edl_init, edl_init, EDL__NAMES_INIT)
NAMES(edl_layer_kind, edl_layer_kind, EDL__NAMES_LAYER_KIND)
NAMES(edl_opt, edl_opt_kind, EDL__NAMES_OPT)
NAMES(edl_schedule, edl_schedule, EDL__NAMES_SCHEDULE)
NAMES(edl_quant, edl_quant_kind, EDL__NAMES_QUANT)

const char *edl__layer_title(edl_layer_kind k) { return edl__name(EDL__NAMES_LAYER_TITLE, (int)k); }
