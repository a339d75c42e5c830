/* Dataset internals, shared by dataset.c and train.c. Not installed. */
#ifndef EDL__DATASET_H
#define EDL__DATASET_H

#include "model/model.h"

struct edl_dataset {
    size_t fdim, tdim; /* features per example (0: index lists), targets (0: labels) */
    size_t n;          /* examples */
    int64_t *offsets;  /* n + 1: example e's indices are idx[offsets[e] .. offsets[e+1]) */
    int64_t *idx;
    size_t nidx;
    float *x;        /* n x fdim */
    int64_t *labels; /* n */
    float *targets;  /* n x tdim */
    size_t off_cap, idx_cap, x_cap, lab_cap, tgt_cap;
    char *source;   /* read from this file (NULL when built in memory) ... */
    int64_t *lines; /* ... example e from line lines[e] */
    size_t lines_cap;
};

/* Buffers one batch is gathered into. */
typedef struct {
    int64_t *idx, *offsets, *labels;
    float *x, *targets;
} edl__batch_buf;

/* Checks every example fits the model: feature count, sequence length, index and label ranges,
   target count. what names the data in messages ("training data"). */
edl_status edl__dataset_check(const edl_dataset *d, const edl_model *m, const char *what);
/* Records that the example just added came from line `line` of file source. */
edl_status edl__dataset_note_line(edl_dataset *d, const char *source, size_t line);
/* edl_dataset_load_text with reads of chunk bytes (0: the line reader's default), for tests. */
edl_status edl__dataset_load_text(edl_dataset **out, const char *path, size_t feature_dim, size_t target_dim,
                                  size_t chunk);
edl_status edl__batch_reserve(edl__batch_buf *bb, const edl_dataset *d, size_t cap);
void edl__batch_free(edl__batch_buf *bb);
/* Fills b with examples order[0 .. count) of d, copied into bb. */
void edl__batch_gather(edl__batch_buf *bb, const edl_dataset *d, const size_t *order, size_t count, edl_batch *b);

#endif
