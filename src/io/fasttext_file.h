/* fastText's model files (.bin, version 12 of fastText 0.9.2; version 11 read as fastText reads
 * it), read as a container: the arguments, the dictionary and the two matrices, with no model
 * built (the text layer makes a classifier or word vectors of it). Every field is checked against
 * the file's size and the other fields before it is used, and an error names the field and its
 * byte offset: fastText itself trusts the file (and crashes on some, fastText#1087). Not
 * installed. */
#ifndef EDL__FASTTEXT_FILE_H
#define EDL__FASTTEXT_FILE_H

#include "common/internal.h"

#define EDL__FT_MAGIC   793712314 /* int32 at byte 0 */
#define EDL__FT_VERSION 12

/* fastText's enums as the file holds them */
enum { EDL__FT_LOSS_HS = 1, EDL__FT_LOSS_NS = 2, EDL__FT_LOSS_SOFTMAX = 3, EDL__FT_LOSS_OVA = 4 };
enum { EDL__FT_MODEL_CBOW = 1, EDL__FT_MODEL_SG = 2, EDL__FT_MODEL_SUP = 3 };

typedef struct {
    int32_t dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update_rate;
    double t;
} edl__ft_args;

/* A dense matrix of rows x cols floats in the file (a quantized one is refused for now). */
typedef struct {
    int64_t rows, cols;
    const void *data; /* inside the file's bytes: floats at any alignment, so copy them (memcpy) */
    uint64_t off;     /* of its first byte */
} edl__ft_matrix;

typedef struct {
    const char *path;
    char *bytes; /* the whole file */
    size_t size;
    int32_t version;
    edl__ft_args args;
    int32_t size_words, nwords, nlabels; /* dictionary: entries, words (first), labels (after) */
    int64_t ntokens, pruneidx_size;
    /* entry i: its text bytes[word_off[i] .. + word_len[i]), its count and type (0 word, 1 label) */
    uint64_t *word_off;
    size_t *word_len;
    int64_t *counts;
    int8_t *types;
    edl__ft_matrix input, output;
} edl__ft;

/* What a fastText model file holds, to be written (version 12, dense matrices): entry i of the
   dictionary is words[i][0 .. lens[i]) with counts[i], the first nwords words, then nlabels
   labels; the input matrix is in_rows x dim, the output out_rows x dim, of which the first
   out_given rows come from out (the rest written as zeros: a hierarchical softmax's last row). */
typedef struct {
    edl__ft_args args;
    const char *const *words;
    const size_t *lens;
    const int64_t *counts;
    int32_t nwords, nlabels;
    int64_t ntokens;
    const float *in, *out;
    int64_t in_rows, out_rows, out_given;
} edl__ft_model;
/* Writes m as fastText's .bin, atomically; fastText 0.9.2 (its CLI and its Python module) loads it. */
edl_status edl__ft_write(const char *path, const edl__ft_model *m);

/* Whether the first bytes of a file are fastText's magic number. */
int edl__ft_is_fasttext(const char *path);
/* Reads and checks a fastText model file. */
edl_status edl__ft_open(edl__ft *ft, const char *path);
void edl__ft_close(edl__ft *ft);

#endif
