/* The one table of enum names (names.c): internal access for the library's own parsers. */
#ifndef EDL__COMMON_NAMES_H
#define EDL__COMMON_NAMES_H

#include "common/internal.h"

typedef enum {
    EDL__NAMES_ACT = 0,
    EDL__NAMES_POOL,
    EDL__NAMES_LOSS,
    EDL__NAMES_INIT,
    EDL__NAMES_LAYER_KIND,
    EDL__NAMES_LAYER_TITLE, /* the summary's "EmbeddingBag" */
    EDL__NAMES_OPT,
    EDL__NAMES_SCHEDULE,
    EDL__NAMES_QUANT,
    EDL__NAMES_COUNT
} edl__names;

/* A table of names: each value's first entry is its canonical name, a later one an alias. The
   core enums' tables are in names.c; each domain keeps its own enums' table in its folder
   (text/names_text.c, rec/names_rec.c) with the same functions. */
typedef struct {
    int value;
    const char *name;
} edl__name_entry;
typedef struct {
    const char *what; /* for messages: "unknown activation 'gelu'" */
    const edl__name_entry *e;
    size_t n;
} edl__name_table;
#define EDL__NAME_TABLE(entries, what) \
    { what, entries, sizeof entries / sizeof entries[0] }

const char *edl__table_name(const edl__name_table *t, int value);
edl_status edl__table_value(const edl__name_table *t, const char *fn, const char *name, int *value);
const char *edl__table_list(const edl__name_table *t, char *buf, size_t size);

/* The public pair edl_X_name / edl_X_from_name of an enum over a table. */
#define EDL__NAME_FUNCTIONS(prefix, type, table)                                       \
    const char *prefix##_name(type v) { return edl__table_name(table, (int)v); }       \
    edl_status prefix##_from_name(const char *name, type *out) {                       \
        int v = 0;                                                                     \
        if (!out) return edl__fail(EDL_ERR_ARG, "%s_from_name: out is NULL", #prefix); \
        EDL__TRY(edl__table_value(table, #prefix "_from_name", name, &v));             \
        *out = (type)v;                                                                \
        return EDL_OK;                                                                 \
    }

/* The core tables by index: the canonical name of value in table t, or NULL when it is none of the table's values. */
const char *edl__name(edl__names t, int value);
/* *value for name (a canonical name or an alias); else EDL_ERR_ARG, the last error naming fn's
   table, the name and the canonical names ("unknown activation 'gelu' (none, relu, sigmoid or tanh)"). */
edl_status edl__from_name(edl__names t, const char *fn, const char *name, int *value);
/* The canonical names of table t as "a, b or c" in buf (cut to size); returns buf. */
const char *edl__name_list(edl__names t, char *buf, size_t size);
/* The summary's type column of a layer kind ("EmbeddingBag"), or NULL. */
const char *edl__layer_title(edl_layer_kind k);

#endif
