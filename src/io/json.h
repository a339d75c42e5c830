/* A small strict JSON reader (RFC 8259) for the safetensors header: a tree of values, each with
 * the byte offset where it starts, so errors can name the place. Not installed. */
#ifndef EDL__JSON_H
#define EDL__JSON_H

#include "common/internal.h"
#include "common/utf8.h" /* edl__utf8_valid, which the safetensors reader uses */

typedef enum {
    EDL__JSON_NULL,
    EDL__JSON_BOOL,
    EDL__JSON_NUMBER,
    EDL__JSON_STRING,
    EDL__JSON_ARRAY,
    EDL__JSON_OBJECT
} edl__json_type;

typedef struct edl__json edl__json;
struct edl__json {
    edl__json_type type;
    size_t off; /* byte offset of the value in the text */
    int boolean;
    int is_uint; /* number written as a plain non-negative integer that fits uint64 */
    uint64_t u;
    double num;
    char *str; /* strings: decoded UTF-8, NUL-terminated, never holding a NUL */
    size_t len;
    edl__json *items; /* arrays and objects: n values */
    char **keys;      /* objects: n keys (decoded) */
    size_t *key_offs; /* objects: byte offset of each key */
    size_t *order;    /* objects: key indices sorted by key, for edl__json_get */
    size_t n;
};

/* Parses text[0..len). On failure returns EDL_ERR_FORMAT (or NOMEM) with *err_off at the byte
   where the problem is and the reason in edl_last_error(). Nesting deeper than 64 is refused, and
   so are two things RFC 8259 leaves to the reader, because readers disagree on them: a key given
   twice in one object (Python keeps the last, others the first), and \u0000 in a string (every
   string here is a name, a key or a metadata value handed on as a C string, which a NUL would
   silently cut short). */
edl_status edl__json_parse(const char *text, size_t len, edl__json *out, size_t *err_off);
void edl__json_free(edl__json *v);
/* The value of key in an object, or NULL (a binary search: O(log n)). */
const edl__json *edl__json_get(const edl__json *obj, const char *key);
/* Writes s as a JSON string literal (with quotes) to f; returns 0 on success. */
int edl__json_write_string(void *file, const char *s);

#endif
