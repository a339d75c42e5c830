/* Word vectors' internals, shared by vectors.c, vectors_file.c and vectors_query.c. */
#ifndef EDL__VECTORS_H
#define EDL__VECTORS_H

#include "io/file.h"
#include "io/safetensors.h"
#include "model/qtable.h"
#include "text/text.h"

struct edl_vectors {
    edl__vocab vocab; /* word i is entry i */
    size_t n, dim;
    float *data;    /* n x dim: malloc'd, or in file's bytes; NULL when the table is quantized */
    edl__st *file;  /* vectors read from an edl file: the container data points into (a reference) */
    edl__qtable qt; /* qt.kind != EDL_QUANT_NONE: the table, compressed (qt.rows == n) */
};

edl_status edl__vectors_alloc(edl_vectors **v, size_t n, size_t dim);
edl_status edl__vectors_add_word(edl_vectors *v, const char *w, size_t len, const char *where);
/* The vectors of a vocabulary's first nwords entries, each from word_vector(ctx, word, len, vec)
   (a model's words' vectors: a classifier's, a word-vector model's). fn names the caller. */
typedef edl_status (*edl__word_vector_fn)(const void *ctx, const char *word, size_t len, float *vec);
edl_status edl__vectors_of_words(edl_vectors **out, const edl__vocab *vocab, size_t nwords, size_t dim,
                                 edl__word_vector_fn word_vector, const void *ctx, const char *fn);
/* -pretrainedVectors: the rows of a vocabulary's words (ids below nwords) set from the vectors
   file at path (any format edl reads), row i at table + i * stride; dim must match. */
edl_status edl__vectors_into_rows(const char *path, const edl__vocab *vocab, size_t nwords, float *table, size_t dim,
                                  size_t stride);
edl_status edl__vectors_read_safetensors(edl_vectors **v, const char *path);
/* A new set with v's words and no table (data NULL), for a quantized table to fill. */
edl_status edl__vectors_copy_words(edl_vectors **out, const edl_vectors *v);
edl_status edl__vectors_write_safetensors(const edl_vectors *v, const char *path);

#endif
