/* The one file container: safetensors (8-byte little-endian header length, a JSON header naming
 * every tensor's dtype, shape and data_offsets, a __metadata__ map of strings, then the tensors'
 * bytes) read as a table of tensors and metadata, with no model built, and written atomically.
 * Models, classifiers, word vectors, recommenders and vectors files are all built on it.
 * Not installed. */
#ifndef EDL__SAFETENSORS_H
#define EDL__SAFETENSORS_H

#include "common/internal.h"

/* ---- reading --------------------------------------------------------------------------------
   edl__st_open checks every header field against the file's size before it allocates anything
   from it: the header length, the JSON, __metadata__ (an object of strings), and each tensor
   (known dtype, non-negative shape whose product times the dtype's size is its byte span, spans
   inside the data, contiguous, without gap or overlap, ending where the file ends). Errors read
   "<path>: byte <offset>: <reason>". The file is mapped (io/map.h): a tensor's bytes are paged in
   only when used. Tensors named EDL__ST_PAD<k> (U8, under 64 bytes: the writer's alignment
   padding) are checked as all others, then not listed. */
#define EDL__ST_PAD "__padding__."

typedef struct edl__st edl__st;

typedef struct {
    const char *name;
    const char *dtype; /* as the file spells it: "F32", "I64", "U8", "F16", ... */
    size_t esize;      /* bytes per element */
    size_t rank;
    const uint64_t *shape; /* rank dimensions */
    uint64_t begin, end;   /* the byte span in the data (after the header) */
    size_t index;          /* position in data order: 0 .. edl__st_count - 1 */
    /* byte offsets in the file, for errors: the entry's name, its object, dtype and shape */
    uint64_t name_off, off, dtype_off, shape_off;
} edl__st_tensor;

/* path is copied for error messages. */
edl_status edl__st_open(edl__st **st, const char *path);
/* One more owner of st (a model whose parameters are the file's mapping): each owner closes it. */
edl__st *edl__st_retain(edl__st *st);
void edl__st_close(edl__st *st); /* NULL: no-op; the last owner's close frees */
/* Whether the file is mapped copy-on-write (its tensors' bytes can serve as writable memory). */
int edl__st_mapped(const edl__st *st);
const char *edl__st_path(const edl__st *st);
/* The file offset where the tensors' data begins (8 + the header length). */
uint64_t edl__st_data_start(const edl__st *st);

/* Tensors in data order, and by name (O(log n); NULL when absent). */
size_t edl__st_count(const edl__st *st);
const edl__st_tensor *edl__st_at(const edl__st *st, size_t i);
const edl__st_tensor *edl__st_find(const edl__st *st, const char *name);
/* t's end - begin bytes into dst, in host byte order. */
edl_status edl__st_read(edl__st *st, const edl__st_tensor *t, void *dst);
/* t's bytes in host byte order, valid until the last edl__st_close: in place in the file's
   mapping (aligned for its dtype, on a little-endian host), else a copy made on first use. */
edl_status edl__st_data(edl__st *st, const edl__st_tensor *t, const void **data);

/* Metadata: n entries in the file's order; a value by key (NULL when absent); the file offset of
   a key's value (of the __metadata__ object when key is NULL or absent). */
size_t edl__st_nmeta(const edl__st *st);
/* Whether the header has a __metadata__ object (the format makes it optional). */
int edl__st_has_meta(const edl__st *st);
void edl__st_meta_at(const edl__st *st, size_t i, const char **key, const char **value);
const char *edl__st_meta(const edl__st *st, const char *key);
uint64_t edl__st_meta_offset(const edl__st *st, const char *key);

/* Records "<path>: byte <off>: <formatted reason>" and returns code. */
edl_status edl__st_fail(const edl__st *st, edl_status code, uint64_t off, const char *fmt, ...) EDL__PRINTF(4, 5);

/* ---- typed getters: each checks what it hands back, and an error names the file, the field and
   the values ---------------------------------------------------------------------------------- */

/* Metadata key as a count: decimal digits only (no sign, space or empty string), at most max. */
edl_status edl__st_get_count(const edl__st *st, const char *key, uint64_t max, size_t *out);
/* Tensor name: rank 1, dtype dt, n values (n == SIZE_MAX: any number); its data (host order). */
edl_status edl__st_get_array(edl__st *st, const char *name, edl_dtype dt, size_t n, const void **data);
/* That a + b (named ka, kb) == want (named what), without overflow. */
edl_status edl__st_check_sum(const edl__st *st, const char *ka, size_t a, const char *kb, size_t b, const char *what,
                             size_t want);

/* A string table: entry i is bytes[off[i] .. off[i+1]), never empty, inside the nbytes. */
typedef struct {
    const char *bytes;
    const int64_t *off;
    size_t n, nbytes;
} edl__strings;
/* <prefix>.bytes (U8) + <prefix>.offsets (I64) holding exactly n entries (offsets from 0, rising,
   within the bytes). */
edl_status edl__st_get_strings(edl__st *st, const char *prefix, size_t n, edl__strings *out);

/* Bytes of one element of d. */
size_t edl__st_dtype_bytes(edl_dtype d);

/* ---- writing -------------------------------------------------------------------------------- */

/* Writes a safetensors file atomically (a temporary file, fsync, rename, fsync of the directory)
   from metadata (UTF-8 keys and values, in order) and tensors (rank 1 or 2, in order, their data
   contiguous from byte 0). The JSON header is padded with spaces to a multiple of 8 bytes. The one
   save path of every edl file. */
edl_status edl__st_write(const char *path, const char *const *keys, const char *const *vals, size_t nmeta,
                         const edl_tensor *t, size_t nt);

#endif
