/* fastText's model files (.bin, version 12 of fastText 0.9.2; version 11 read as fastText reads
 * it), read as a container: the arguments, the dictionary and the two matrices, with no model
 * built (the text layer makes a classifier or word vectors of it). Every field is checked against
 * the file's size and the other fields before it is used, and an error names the field and its
 * byte offset: fastText itself trusts the file (and crashes on some, fastText#1087). Not
 * installed. */
#ifndef EDL__FASTTEXT_FILE_H
#define EDL__FASTTEXT_FILE_H

#include "common/internal.h"
#include "io/map.h"

#define EDL__FT_MAGIC   793712314 /* int32 at byte 0 */
#define EDL__FT_VERSION 12

/* fastText's enums as the file holds them */
enum { EDL__FT_LOSS_HS = 1, EDL__FT_LOSS_NS = 2, EDL__FT_LOSS_SOFTMAX = 3, EDL__FT_LOSS_OVA = 4 };
enum { EDL__FT_MODEL_CBOW = 1, EDL__FT_MODEL_SG = 2, EDL__FT_MODEL_SUP = 3 };

typedef struct {
    int32_t dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update_rate;
    double t;
} edl__ft_args;

/* fastText's product quantizer: nsubq sub-vectors of dsub values (the last of lastdsub), each one
   of 256 centroids. */
typedef struct {
    int32_t dim, nsubq, dsub, lastdsub;
    const void *centroids; /* dim x 256 floats, at any alignment */
    uint64_t off;
} edl__ft_pq;

/* A matrix of rows x cols in the file: dense floats, or (a .ftz) product-quantized codes with
   their quantizer, and with qnorm each row's norm quantized apart. Read a row with edl__ft_row. */
typedef struct {
    int64_t rows, cols;
    const void *data; /* dense: inside the file's bytes, floats at any alignment (memcpy them) */
    uint64_t off;     /* of the first value (dense) or code (quantized) */
    int quantized, qnorm;
    const uint8_t *codes, *norm_codes; /* rows x nsubq; rows */
    edl__ft_pq pq, npq;
} edl__ft_matrix;

typedef struct {
    const char *path;
    char *bytes; /* the whole file: map.data (mapped, or read) */
    size_t size;
    edl__map map;
    int32_t version;
    edl__ft_args args;
    int32_t size_words, nwords, nlabels; /* dictionary: entries, words (first), labels (after) */
    int64_t ntokens, pruneidx_size;
    /* entry i: its text bytes[word_off[i] .. + word_len[i]), its count and type (0 word, 1 label) */
    uint64_t *word_off;
    size_t *word_len;
    int64_t *counts;
    int8_t *types;
    const void *pruneidx; /* pruneidx_size (bucket, row) int32 pairs, at any alignment */
    edl__ft_matrix input, output;
} edl__ft;

/* Row r (< m->rows) of a matrix as cols floats in dst, decoded when quantized. */
void edl__ft_row(const edl__ft_matrix *m, int64_t r, float *dst);
/* dst += row r, decoded when quantized (fastText's addRowToVector): no row is ever stored whole. */
void edl__ft_row_add(const edl__ft_matrix *m, int64_t r, float *dst);
/* Whether every row a quantized matrix decodes to is finite (its centroids, times its norms');
   else EDL_ERR_NUMERIC naming the byte. So a model can keep its rows compressed and decode them
   as it reads them, checked once. */
edl_status edl__ft_check_quantized(const edl__ft *ft, const edl__ft_matrix *m, const char *name);
/* A pruned dictionary (fastText quantize -cutoff): its (bucket, row) pairs sorted by bucket, so a
   bucket's row among the kept ones is a binary search and memory follows the file (not
   args.bucket). active 0: the dictionary is not pruned. Checked: buckets in [0, args.bucket),
   rows in [0, pruneidx_size), each once. */
typedef struct {
    int active;
    int32_t *pairs; /* n x (bucket, row) */
    size_t n;
} edl__ft_prune;
edl_status edl__ft_prune_map(const edl__ft *ft, edl__ft_prune *p);
/* The kept row of bucket b, or -1 when it was cut off. */
int32_t edl__ft_prune_row(const edl__ft_prune *p, uint32_t b);
void edl__ft_prune_free(edl__ft_prune *p);

/* What a fastText model file holds, to be written (version 12, dense matrices): entry i of the
   dictionary is words[i][0 .. lens[i]) with counts[i], the first nwords words, then nlabels
   labels; the input matrix is in_rows x dim, the output out_rows x dim, of which the first
   out_given rows come from out (the rest written as zeros: a hierarchical softmax's last row). */
/* A product-quantized matrix to write (fastText's QuantMatrix): rows x nsubq codes, the quantizer
   (centroids dim x 256), and with qnorm each row's norm code and the norms' quantizer (dim 1). */
typedef struct {
    int32_t dim, nsubq, dsub, lastdsub;
    const float *centroids;
} edl__ft_pq_out;
typedef struct {
    int qnorm;
    const uint8_t *codes, *norm_codes;
    edl__ft_pq_out pq, npq;
} edl__ft_qmatrix;

typedef struct {
    edl__ft_args args;
    const char *const *words;
    const size_t *lens;
    const int64_t *counts;
    int32_t nwords, nlabels;
    int64_t ntokens;
    const float *in, *out;
    int64_t in_rows, out_rows, out_given;
    const edl__ft_qmatrix *qin, *qout; /* quantized in place of in / out (a .ftz), or NULL */
    const int32_t *pruneidx;           /* pruneidx_size (bucket, row) pairs; pruneidx_size -1: none */
    int64_t pruneidx_size;
} edl__ft_model;
/* Writes m as fastText's .bin, atomically; fastText 0.9.2 (its CLI and its Python module) loads it. */
edl_status edl__ft_write(const char *path, const edl__ft_model *m);
/* The bytes edl__ft_write writes for m; only m's counts, lengths, shapes and quantizers' sizes are
   read (no words, rows or codes), so a size can be known before a model is quantized. */
uint64_t edl__ft_size(const edl__ft_model *m);

/* Whether the first bytes of a file are fastText's magic number. */
int edl__ft_is_fasttext(const char *path);
/* Reads and checks a fastText model file. */
edl_status edl__ft_open(edl__ft *ft, const char *path);
void edl__ft_close(edl__ft *ft);

#endif
