/* Word vectors' internals, shared by vectors.c, vectors_file.c and vectors_query.c. */
#ifndef EDL__VECTORS_H
#define EDL__VECTORS_H

#include "io/file.h"
#include "text/text.h"

struct edl_vectors {
    edl__vocab vocab; /* word i is entry i */
    size_t n, dim;
    float *data; /* n x dim */
};

edl_status edl__vectors_alloc(edl_vectors **v, size_t n, size_t dim);
edl_status edl__vectors_add_word(edl_vectors *v, const char *w, size_t len, const char *where);
edl_status edl__vectors_read_safetensors(edl_vectors **v, const char *path);
edl_status edl__vectors_write_safetensors(const edl_vectors *v, const char *path);

#endif
