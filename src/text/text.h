/* Text for classifiers, as fastText reads it: whitespace tokens, "</s>" at each newline, labels
 * by prefix, a vocabulary by count, word n-grams hashed into buckets. Not installed. */
#ifndef EDL__TEXT_H
#define EDL__TEXT_H

#include "common/internal.h"
#include "io/fasttext_file.h"
#include "edl_text.h"
#include "io/safetensors.h"

#define EDL__EOS "</s>"

/* fastText's hash (FNV-1a over the bytes read as signed chars), so bucket ids match fastText's. */
uint32_t edl__text_hash(const char *s, size_t n);

/* Calls tok(ctx, s, n) for each token of text[0..len): runs of bytes other than
   ' ' \t \n \r \v \f and NUL; a newline emits EDL__EOS after the line's tokens. Tokens are not
   NUL-terminated. Returns the first non-OK status of tok. */
typedef edl_status (*edl__token_fn)(void *ctx, const char *s, size_t n);
edl_status edl__text_tokens(const char *text, size_t len, edl__token_fn tok, void *ctx);

/* A vocabulary: words then labels, each sorted by count (descending; ties in order of first
   appearance), with an open-addressing hash table from token to id. */
typedef struct {
    char *bytes; /* all entries' text, back to back */
    size_t nbytes, cap_bytes;
    int64_t *offsets; /* entry i is bytes[offsets[i] .. offsets[i+1]) */
    int64_t *counts;
    uint32_t *hashes;
    size_t size, cap; /* entries */
    size_t nwords, nlabels;
    int32_t *table;    /* hash slots -> entry, -1 empty */
    size_t table_size; /* a power of two */
    char label[64];    /* label prefix, e.g. "__label__" */
    size_t label_len;
    int64_t ntokens; /* tokens counted while building */
} edl__vocab;

edl_status edl__vocab_init(edl__vocab *v, const char *label_prefix);
void edl__vocab_free(edl__vocab *v);
/* Counts one token (building); edl__vocab_count also says which entry it is (entries are numbered
   in order of first appearance until edl__vocab_finish). */
edl_status edl__vocab_add(edl__vocab *v, const char *s, size_t n);
edl_status edl__vocab_count(edl__vocab *v, const char *s, size_t n, int32_t *entry);
/* Drops words under min_count and labels under min_count_label, sorts, rebuilds the table.
   edl__vocab_finish_map also gives remap[e] (v->size entries before the call, may be NULL): entry
   e's id now, or -1 when it was dropped, and *old (may be NULL; else freed): the vocabulary as it
   was, entries in order of first appearance. */
edl_status edl__vocab_finish(edl__vocab *v, int64_t min_count, int64_t min_count_label);
edl_status edl__vocab_finish_map(edl__vocab *v, int64_t min_count, int64_t min_count_label, int32_t *remap,
                                 edl__vocab *old);

/* One vocabulary from every rank's (collective; NULL comm: one process, v kept as it is): each
   rank's entries, in order of first appearance in its share, and counts are gathered in rank
   order and summed, so every rank gets the vocabulary one process counts over the whole input
   (the shares are contiguous, in the input's order: first appearance, and so ties, are the same).
   map[e] (v->size entries before the call) is entry e's place in the merged one. */
edl_status edl__vocab_merge(edl_comm *comm, edl__vocab *v, int32_t *map);
/* Its parts, for tests: v's entries as bytes (malloc'd), and k ranks' such bytes (rank r's
   bytes[r] of all) added to v, map[e] given for rank mine's nmine entries. */
edl_status edl__vocab_pack(const edl__vocab *v, char **out, size_t *n);
edl_status edl__vocab_unpack_merge(edl__vocab *v, const char *all, const size_t *bytes, size_t k, size_t mine,
                                   int32_t *map, size_t nmine);

/* A training text read once, in chunks, through the line reader (the raw text is never held):
   every token, "</s>" at each newline included, exactly as edl__text_tokens would give them over
   the whole file, is counted into a vocabulary and kept as its entry (in order of first
   appearance), 4 bytes a token; with lines, each line's end as well (8 bytes a line). Memory
   while reading: the ids, the vocabulary and one chunk of the reader (plus the longest line). */
typedef struct {
    int32_t *ids; /* entry of every token */
    size_t n, cap;
    int64_t *line_end; /* with lines: line l's tokens are ids[line_end[l - 1] (0 for l = 0) .. line_end[l]) */
    size_t nlines, lcap;
    int last_newline; /* the input's last line ended with a newline (every other line does) */
} edl__token_ids;

/* Reads path ("-": standard input, named "<stdin>" in messages) with reads of chunk bytes (0: the
   reader's 64 KiB) into t and v (an initialised vocabulary, not yet finished). An error names the
   input and the line. Collective: with several ranks each reads its share of the file
   (edl__lines_set_share), they agree on the status (a bad line in one share stops every rank with
   its message) and v becomes every rank's merged (edl__vocab_merge), t's entries renumbered. */
edl_status edl__token_ids_read(edl__token_ids *t, edl__vocab *v, const char *path, size_t chunk, int lines,
                               edl_comm *comm);
void edl__token_ids_free(edl__token_ids *t);
/* Rebuilds the table after loading entries (already sorted, nwords/nlabels set). */
edl_status edl__vocab_reindex(edl__vocab *v);
/* The id of token s[0..n) with hash h, or -1. */
int32_t edl__vocab_find(const edl__vocab *v, const char *s, size_t n, uint32_t h);
int edl__vocab_is_label(const edl__vocab *v, const char *s, size_t n);

/* fastText's character n-grams of a word: the substrings of "<word>" of minn..maxn whole UTF-8
   characters, leaving out "<" and ">" alone, each hashed (edl__text_hash) into the row
   nwords + hash % bucket. Calls fn(ctx, s, n, row) for each, s[0..n) the n-gram (with its < or >),
   in fastText's order: by start, then by length. Nothing when maxn or bucket is 0. */
typedef edl_status (*edl__ngram_fn)(void *ctx, const char *s, size_t n, int32_t row);
edl_status edl__char_ngrams(const char *word, size_t len, size_t minn, size_t maxn, size_t bucket, size_t nwords,
                            edl__ngram_fn fn, void *ctx);

/* What a line's input rows are made of: the words, their character n-grams (maxn > 0) and the
   word n-grams up to word_ngrams long (> 1), both hashed into bucket rows after the words. */
typedef struct {
    size_t word_ngrams, bucket, minn, maxn;
    const edl__ft_prune *prune; /* a pruned fastText model's kept buckets, or NULL */
} edl__features;

/* The vocabulary of a fastText model file, entry by entry in its order (words, then labels, as
   their types say), with its counts; tokens out of it are labels by fastText's default prefix
   "__label__" (fastText does not write the prefix). */
edl_status edl__vocab_from_fasttext(edl__vocab *v, const edl__ft *ft);
/* An unaligned run of n floats of a fastText file into dst, every one finite (else the error
   names the matrix and the value's byte offset). */
edl_status edl__fasttext_floats(const edl__ft *ft, const edl__ft_matrix *m, const char *name, int64_t first_row,
                                int64_t rows, float *dst, size_t dst_stride);

/* One example: input ids (words in the vocabulary, each followed by its character n-grams;
   a word out of the vocabulary by its character n-grams alone; then the word n-grams' buckets,
   all as nwords + bucket id), as fastText's dictionary reads a line, and label ids (0-based among
   labels). */
typedef struct {
    int32_t *words;
    size_t nwords, cap_words;
    int32_t *labels;
    size_t nlabels, cap_labels;
    uint32_t *hashes; /* scratch: hashes of the line's words */
    size_t nhashes, cap_hashes;
    int64_t ntokens; /* tokens read (as fastText counts them) */
} edl__line;

void edl__line_free(edl__line *l);
/* Parses one line (no newline inside; an EOS is appended as fastText's reader does) into l. */
edl_status edl__line_parse(const edl__vocab *v, const char *s, size_t n, const edl__features *f, edl__line *l);
/* The same in steps, for tokens already looked up: edl__line_begin empties l, edl__line_token
   adds token s[0..n) of hash h (edl__text_hash) and id id in v (-1: not in it), edl__line_end
   appends the EOS and the word n-grams. */
void edl__line_begin(edl__line *l);
edl_status edl__line_token(const edl__vocab *v, const edl__features *f, edl__line *l, const char *s, size_t n,
                           uint32_t h, int32_t id);
edl_status edl__line_end(const edl__vocab *v, const edl__features *f, edl__line *l);
/* edl__line_parse of a line read as token ids (edl__token_ids, its newline's "</s>" left out):
   ids[0..n) entries of old, the vocabulary as read, remap[entry] their ids in v. */
edl_status edl__line_of_ids(const edl__vocab *v, const edl__features *f, const edl__vocab *old, const int32_t *remap,
                            const int32_t *ids, size_t n, edl__line *l);

/* ---- model files of the text kinds --------------------------------------------------------
   A loader loads the model (edl_model_load) and runs its kind's check on the file's container and
   the model's layers before it uses a single count: each checks every count in the metadata
   against the tensors' shapes and the other counts in checked arithmetic, and names the file, the
   field and both values when they disagree. m is read through edl.h only (its layers), so a model
   parsed from edl.spec alone serves as well as a loaded one. */

typedef struct {
    edl_textclf_loss loss;
    size_t nwords, nlabels, bucket, dim, word_ngrams;
    size_t minn, maxn;     /* character n-grams (textclf.minn/maxn, written when maxn > 0) */
    const char *label;     /* the label prefix, 1 to 63 bytes */
    edl__strings vocab;    /* nwords + nlabels entries */
    const int64_t *counts; /* each >= 1; hs: labels' most frequent first, their sum < 2^63 */
} edl__textclf_file;
/* A text classifier (textclf_file.c): textclf.* metadata, vocab.* tensors, embedding_bag(nwords +
   bucket rows, dim, mean) ... dense(nlabels, or nlabels - 1 inner nodes for hs; no hidden layers
   for hs). Pointers are into st (valid until it is closed). */
edl_status edl__textclf_check(edl__st *st, const edl_model *m, edl__textclf_file *f);

typedef struct {
    size_t nwords, bucket, minn, maxn, dim;
    const char *label;
    edl__strings vocab; /* nwords words first, maybe labels after */
    const int64_t *counts;
} edl__wordvec_file;
/* edl_wordvec_train with reads of chunk bytes (0: the line reader's default), for tests. */
edl_status edl__wordvec_train(edl_wordvec **out, const char *input, const edl_wordvec_args *a, edl_wordvec_report *rep,
                              size_t chunk);

/* A word-vector model (wordvec.c): wordvec.* metadata, a table of nwords + bucket rows, the
   vocabulary. */
edl_status edl__wordvec_check(edl__st *st, const edl_model *m, edl__wordvec_file *f);

#endif
