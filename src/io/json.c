/* Strict JSON reader: objects, arrays, strings (escapes, surrogate pairs, UTF-8 checked),
 * numbers, true/false/null. Every value remembers its byte offset for error messages. */
#include "io/json.h"
#include "common/utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

typedef struct {
    const char *s;
    size_t len, pos;
    size_t err_off;
    size_t values; /* values parsed so far */
} parser;

/* Each value costs about 90 bytes of tree, and a header of H bytes can hold H/2 values: a cap
   keeps a hostile 100 MB header from costing gigabytes. A safetensors header needs about 8
   values a tensor, so this admits models of 125,000 tensors (and at most ~90 MB of tree). */
enum { MAX_VALUES = 1000000 };

static edl_status perr(parser *p, size_t off, const char *what) {
    p->err_off = off;
    return edl__fail(EDL_ERR_FORMAT, "%s", what);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static edl_status parse_string(parser *p, char **out, size_t *out_len) {
    size_t start = p->pos++; /* opening quote */
    /* decoded text is never longer than the source */
    size_t end = p->pos;
    while (end < p->len && p->s[end] != '"') end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len) return perr(p, start, "unterminated string");
    char *o = malloc(end - p->pos + 1);
    if (!o) return edl__fail(EDL_ERR_NOMEM, "no memory for a string of %zu bytes", end - p->pos);
    size_t n = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) {
            free(o);
            return perr(p, p->pos, "control character in string");
        }
        if (c != '\\') {
            size_t k = edl__utf8_decode((const unsigned char *)p->s + p->pos, p->len - p->pos, NULL);
            if (!k) {
                free(o);
                return perr(p, p->pos, "invalid UTF-8 in string");
            }
            memcpy(o + n, p->s + p->pos, k);
            n += k, p->pos += k;
            continue;
        }
        size_t esc = p->pos;
        char e = p->s[p->pos + 1];
        p->pos += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            o[n++] = map[simple - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u' || p->pos + 4 > p->len) {
            free(o);
            return perr(p, esc, "invalid escape in string");
        }
        uint32_t cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = hexval(p->s[p->pos + i]);
            if (h < 0) {
                free(o);
                return perr(p, esc, "invalid \\u escape");
            }
            cp = cp << 4 | (uint32_t)h;
        }
        p->pos += 4;
        if (cp == 0) { /* see json.h: a NUL would cut the C string short */
            free(o);
            return perr(p, esc, "\\u0000 (a NUL) in a string");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair */
            uint32_t lo = 0;
            int ok = p->pos + 6 <= p->len && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u';
            for (int i = 0; ok && i < 4; i++) {
                int h = hexval(p->s[p->pos + 2 + i]);
                ok = h >= 0;
                lo = lo << 4 | (uint32_t)(h < 0 ? 0 : h);
            }
            if (!ok || lo < 0xDC00 || lo > 0xDFFF) {
                free(o);
                return perr(p, esc, "unpaired surrogate in \\u escape");
            }
            p->pos += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            free(o);
            return perr(p, esc, "unpaired surrogate in \\u escape");
        }
        /* a \u escape can only grow the text when it makes 4 bytes out of 6 or 12: fits */
        n += edl__utf8_encode(o + n, cp);
    }
    p->pos++; /* closing quote */
    o[n] = '\0';
    *out = o;
    *out_len = n;
    return EDL_OK;
}

static edl_status parse_number(parser *p, edl__json *v) {
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-') i++;
    if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) return perr(p, start, "invalid number");
    if (s[i] == '0' && i + 1 < p->len && s[i + 1] >= '0' && s[i + 1] <= '9')
        return perr(p, start, "number with a leading zero");
    while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    int plain = s[start] != '-';
    if (i < p->len && s[i] == '.') {
        plain = 0, i++;
        if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) return perr(p, start, "invalid number");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        plain = 0, i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->len || !(s[i] >= '0' && s[i] <= '9')) return perr(p, start, "invalid number");
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    char buf[64];
    size_t n = i - start;
    v->type = EDL__JSON_NUMBER;
    if (plain) {
        uint64_t u = 0;
        int fits = 1;
        for (size_t k = start; k < i; k++) {
            unsigned d = (unsigned)(s[k] - '0');
            if (u > (UINT64_MAX - d) / 10)
                fits = 0;
            else
                u = u * 10 + d;
        }
        v->is_uint = fits;
        v->u = fits ? u : 0;
    }
    if (n < sizeof buf) {
        memcpy(buf, s + start, n);
        buf[n] = '\0';
        v->num = strtod(buf, NULL);
    } else {
        v->num = plain ? HUGE_VAL : 0.0; /* absurdly long numbers: only their integer-ness matters */
    }
    p->pos = i;
    return EDL_OK;
}

static edl_status parse_value(parser *p, edl__json *v, int depth);

typedef struct {
    const char *key;
    size_t i;
} key_ref;

static int cmp_key(const void *a, const void *b) {
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Sorts an object's keys into v->order and refuses a key given twice, at the byte of its first
   repetition: O(n log n) for n keys (keys hold no NUL, so strcmp compares them whole). */
static edl_status index_keys(parser *p, edl__json *v) {
    if (v->n == 0) return EDL_OK;
    key_ref *r = malloc(v->n * sizeof *r);
    v->order = malloc(v->n * sizeof *v->order);
    if (!r || !v->order) {
        free(r);
        return edl__fail(EDL_ERR_NOMEM, "no memory for the keys of an object of %zu", v->n);
    }
    for (size_t i = 0; i < v->n; i++) r[i] = (key_ref){v->keys[i], i};
    qsort(r, v->n, sizeof *r, cmp_key);
    size_t dup = SIZE_MAX; /* the repetition that comes first in the text */
    for (size_t i = 0; i < v->n; i++) {
        v->order[i] = r[i].i;
        if (i > 0 && !strcmp(r[i].key, r[i - 1].key) && (dup == SIZE_MAX || r[i].i < dup)) dup = r[i].i;
    }
    free(r);
    if (dup != SIZE_MAX) {
        char why[120];
        snprintf(why, sizeof why, "key \"%.60s\" appears twice in one object", v->keys[dup]);
        return perr(p, v->key_offs[dup], why);
    }
    return EDL_OK;
}

static edl_status parse_container(parser *p, edl__json *v, int depth, int object) {
    char close = object ? '}' : ']';
    size_t cap = 0;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return EDL_OK;
    }
    for (;;) {
        if (v->n == cap) {
            size_t nc = cap ? 2 * cap : 4;
            edl__json *ni = realloc(v->items, nc * sizeof *ni);
            if (!ni) return edl__fail(EDL_ERR_NOMEM, "no memory for JSON values");
            v->items = ni;
            if (object) {
                char **nk = realloc(v->keys, nc * sizeof *nk);
                if (!nk) return edl__fail(EDL_ERR_NOMEM, "no memory for JSON keys");
                v->keys = nk;
                size_t *no = realloc(v->key_offs, nc * sizeof *no);
                if (!no) return edl__fail(EDL_ERR_NOMEM, "no memory for JSON keys");
                v->key_offs = no;
            }
            cap = nc;
        }
        skip_ws(p);
        if (object) {
            if (p->pos >= p->len || p->s[p->pos] != '"') return perr(p, p->pos, "expected a string key");
            size_t klen, koff = p->pos;
            char *key;
            EDL__TRY(parse_string(p, &key, &klen));
            v->keys[v->n] = key;
            v->key_offs[v->n] = koff;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                memset(&v->items[v->n], 0, sizeof v->items[v->n]);
                v->n++;
                return perr(p, p->pos, "expected ':' after a key");
            }
            p->pos++;
            skip_ws(p);
        }
        edl__json *item = &v->items[v->n];
        memset(item, 0, sizeof *item);
        v->n++;
        EDL__TRY(parse_value(p, item, depth + 1));
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return object ? index_keys(p, v) : EDL_OK;
        }
        return perr(p, p->pos, object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static edl_status parse_value(parser *p, edl__json *v, int depth) {
    if (depth > MAX_DEPTH) return perr(p, p->pos, "nesting deeper than 64");
    if (++p->values > MAX_VALUES) return perr(p, p->pos, "more than 1,000,000 JSON values");
    skip_ws(p);
    v->off = p->pos;
    if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of text");
    char c = p->s[p->pos];
    static const struct {
        const char *word;
        edl__json_type type;
        int b;
    } words[] = {{"true", EDL__JSON_BOOL, 1}, {"false", EDL__JSON_BOOL, 0}, {"null", EDL__JSON_NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        size_t wl = strlen(words[i].word);
        if (c == words[i].word[0]) {
            if (p->len - p->pos < wl || memcmp(p->s + p->pos, words[i].word, wl) != 0)
                return perr(p, p->pos, "invalid literal");
            v->type = words[i].type, v->boolean = words[i].b;
            p->pos += wl;
            return EDL_OK;
        }
    }
    if (c == '"') {
        v->type = EDL__JSON_STRING;
        return parse_string(p, &v->str, &v->len);
    }
    if (c == '{' || c == '[') {
        v->type = c == '{' ? EDL__JSON_OBJECT : EDL__JSON_ARRAY;
        return parse_container(p, v, depth, c == '{');
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
    return perr(p, p->pos, "unexpected character");
}

edl_status edl__json_parse(const char *text, size_t len, edl__json *out, size_t *err_off) {
    parser p = {text, len, 0, 0, 0};
    memset(out, 0, sizeof *out);
    edl_status s = parse_value(&p, out, 0);
    if (s == EDL_OK) {
        skip_ws(&p);
        if (p.pos != len) s = perr(&p, p.pos, "text after the JSON value");
    }
    if (s != EDL_OK) {
        edl__json_free(out);
        if (err_off) *err_off = p.err_off;
    }
    return s;
}

void edl__json_free(edl__json *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        edl__json_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_offs);
    free(v->order);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const edl__json *edl__json_get(const edl__json *obj, const char *key) {
    if (!obj || obj->type != EDL__JSON_OBJECT || !obj->order) return NULL;
    size_t lo = 0, hi = obj->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, i = obj->order[mid];
        int c = strcmp(obj->keys[i], key);
        if (c == 0) return &obj->items[i];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int edl__json_write_string(void *file, const char *s) {
    FILE *f = file;
    if (fputc('"', f) == EOF) return -1;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        int r;
        if (*c == '"' || *c == '\\')
            r = fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            r = fprintf(f, "\\u%04x", *c);
        else
            r = fputc(*c, f) == EOF ? -1 : 1;
        if (r < 0) return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}
