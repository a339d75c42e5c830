/* A text model (a classifier or word vectors) seen as fastText's parts: its arguments, its
   dictionary and its two matrices. One writer of fastText's .bin, one dump, one -saveOutput serve
   both kinds. Not installed. */
#ifndef EDL__TEXT_FT_VIEW_H
#define EDL__TEXT_FT_VIEW_H

#include "io/fasttext_file.h"
#include "text/text.h"

#include <stdio.h>

typedef struct {
    edl__ft_args args;
    const edl__vocab *vocab; /* nwords words, then nlabels labels */
    size_t dim;
    const float *in; /* in_rows x dim: the words, then the buckets */
    size_t in_rows;
    const float *out; /* out_given x dim of fastText's out_rows (nlabels, or nwords for word vectors;
                         rows past out_given are zeros: a hierarchical softmax's last); NULL: none */
    size_t out_rows, out_given;
} edl__ft_view;

/* fastText's .bin (version 12, dense), atomically; fn names the caller in errors. */
edl_status edl__ft_view_write(const edl__ft_view *m, const char *path, const char *fn);
/* fastText's dump: "args", "dict", "input" or "output", as fastText 0.9.2 prints them. */
edl_status edl__ft_view_dump(const edl__ft_view *m, const char *what, FILE *f, const char *fn);
/* fastText's -saveOutput: the output rows named by their labels (a classifier) or words. */
edl_status edl__ft_view_output(const edl__ft_view *m, int labels, edl_vectors **out, const char *fn);

#endif
