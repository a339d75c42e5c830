/* The one table of enum names (names.c): internal access for the library's own parsers. */
#ifndef EDL__COMMON_NAMES_H
#define EDL__COMMON_NAMES_H

#include "edl.h"

typedef enum {
    EDL__NAMES_ACT = 0,
    EDL__NAMES_POOL,
    EDL__NAMES_LOSS,
    EDL__NAMES_INIT,
    EDL__NAMES_LAYER_KIND,
    EDL__NAMES_LAYER_TITLE, /* the summary's "EmbeddingBag" */
    EDL__NAMES_OPT,
    EDL__NAMES_SCHEDULE,
    EDL__NAMES_TEXTCLF_LOSS,
    EDL__NAMES_VEC_FORMAT,
    EDL__NAMES_REC_KIND,
    EDL__NAMES_RATINGS_FORMAT,
    EDL__NAMES_SPLIT_KIND,
    EDL__NAMES_COUNT
} edl__names;

/* The canonical name of value in table t, or NULL when it is none of the table's values. */
const char *edl__name(edl__names t, int value);
/* *value for name (a canonical name or an alias); else EDL_ERR_ARG, the last error naming fn's
   table, the name and the canonical names ("unknown activation 'gelu' (none, relu, sigmoid or tanh)"). */
edl_status edl__from_name(edl__names t, const char *fn, const char *name, int *value);
/* The canonical names of table t as "a, b or c" in buf (cut to size); returns buf. */
const char *edl__name_list(edl__names t, char *buf, size_t size);
/* The summary's type column of a layer kind ("EmbeddingBag"), or NULL. */
const char *edl__layer_title(edl_layer_kind k);

#endif
