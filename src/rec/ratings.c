/* Rating records: reading MovieLens and CSV files with every row validated, writing u.data,
 * train/test splits, and the id map the recommenders share (recommend.h).
 *
 * Reading is streamed line by line (edl_lines: no length limit). Fields are split on the format's
 * separator (a tab, "::", or the CSV sep char; no quoting) and trimmed of spaces and tabs. The
 * column options apply to every format; the header option only to CSV. An empty file (or one
 * with only blank lines or a header) gives zero records and EDL_OK, so that writing an empty set
 * and reading it back works; callers that need records check the count. */
#include "rec/recommend.h"

#include "common/float_text.h"
#include "common/lines.h"
#include "common/utf8.h"
#include "io/file.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ---- Id map ------------------------------------------------------------------------------- */

/* splitmix64's finaliser: sequential ids (the usual case) spread over the whole table. */
static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static edl_status idmap_alloc(int64_t **keys, int64_t **vals, size_t cap) {
    size_t bytes;
    *keys = *vals = NULL;
    if (!edl__mul_ok(cap, sizeof(int64_t), &bytes))
        return edl__fail(EDL_ERR_NOMEM, "id map: %zu slots overflow the address space", cap);
    *keys = malloc(bytes), *vals = malloc(bytes);
    if (!*keys || !*vals) {
        free(*keys), free(*vals);
        *keys = *vals = NULL;
        return edl__fail(EDL_ERR_NOMEM, "id map: no memory for %zu slots", cap);
    }
    for (size_t i = 0; i < cap; i++) (*vals)[i] = -1;
    return EDL_OK;
}

/* The slot holding id, or the empty slot where it belongs (linear probing; cap a power of 2). */
static size_t idmap_slot(const int64_t *keys, const int64_t *vals, size_t cap, int64_t id) {
    size_t mask = cap - 1, s = (size_t)mix64((uint64_t)id) & mask;
    while (vals[s] >= 0 && keys[s] != id) s = (s + 1) & mask;
    return s;
}

edl_status edl__idmap_init(edl__idmap *m, size_t expect) {
    memset(m, 0, sizeof *m);
    size_t cap = 16;
    while (cap / 2 < expect) { /* load stays <= 50% */
        if (cap > SIZE_MAX / 2) return edl__fail(EDL_ERR_NOMEM, "id map: %zu ids overflow", expect);
        cap *= 2;
    }
    EDL__TRY(idmap_alloc(&m->keys, &m->vals, cap));
    m->cap = cap;
    return EDL_OK;
}

void edl__idmap_free(edl__idmap *m) {
    if (!m) return;
    free(m->keys), free(m->vals), free(m->ids);
    memset(m, 0, sizeof *m);
}

int64_t edl__idmap_get(const edl__idmap *m, int64_t id) {
    if (!m || !m->cap) return -1;
    return m->vals[idmap_slot(m->keys, m->vals, m->cap, id)];
}

edl_status edl__idmap_put(edl__idmap *m, int64_t id, int64_t *index) {
    if (!m->cap) EDL__TRY(edl__idmap_init(m, 0)); /* a zeroed map works too */
    size_t s = idmap_slot(m->keys, m->vals, m->cap, id);
    if (m->vals[s] < 0) {
        /* Every allocation happens before the map changes, so a failure leaves it whole. */
        if (m->n == m->ids_cap) {
            size_t nc = m->ids_cap ? m->ids_cap * 2 : 16, bytes;
            if (nc < m->ids_cap || !edl__mul_ok(nc, sizeof(int64_t), &bytes))
                return edl__fail(EDL_ERR_NOMEM, "id map: %zu ids overflow", m->n);
            int64_t *ids = realloc(m->ids, bytes);
            if (!ids) return edl__fail(EDL_ERR_NOMEM, "id map: no memory for %zu ids", nc);
            m->ids = ids, m->ids_cap = nc;
        }
        if (m->n + 1 > m->cap / 2) { /* grow at 50% load, rehashing from ids[] */
            if (m->cap > SIZE_MAX / 2) return edl__fail(EDL_ERR_NOMEM, "id map: too many ids");
            size_t cap = m->cap * 2;
            int64_t *keys, *vals;
            EDL__TRY(idmap_alloc(&keys, &vals, cap));
            for (size_t i = 0; i < m->n; i++) {
                size_t t = idmap_slot(keys, vals, cap, m->ids[i]);
                keys[t] = m->ids[i], vals[t] = (int64_t)i;
            }
            free(m->keys), free(m->vals);
            m->keys = keys, m->vals = vals, m->cap = cap;
            s = idmap_slot(m->keys, m->vals, m->cap, id);
        }
        m->keys[s] = id, m->vals[s] = (int64_t)m->n;
        m->ids[m->n++] = id;
    }
    if (index) *index = m->vals[s];
    return EDL_OK;
}

/* ---- Records ------------------------------------------------------------------------------ */

static edl_status reserve(edl_ratings *r, size_t need) {
    if (need <= r->cap) return EDL_OK;
    size_t cap = r->cap ? r->cap : 64, bytes;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return edl__fail(EDL_ERR_NOMEM, "ratings: %zu records overflow", need);
        cap *= 2;
    }
    if (!edl__mul_ok(cap, sizeof(int64_t), &bytes))
        return edl__fail(EDL_ERR_NOMEM, "ratings: %zu records overflow", need);
    /* Each array keeps whichever buffer is valid; cap grows only when all four did. */
    int64_t *u = realloc(r->user, bytes);
    if (u) r->user = u;
    int64_t *it = realloc(r->item, bytes);
    if (it) r->item = it;
    int64_t *t = realloc(r->time, bytes);
    if (t) r->time = t;
    float *f = realloc(r->rating, cap * sizeof(float));
    if (f) r->rating = f;
    if (!u || !it || !t || !f) return edl__fail(EDL_ERR_NOMEM, "ratings: no memory for %zu records", cap);
    r->cap = cap;
    return EDL_OK;
}

edl_status edl_ratings_create(edl_ratings **r) {
    if (!r) return edl__fail(EDL_ERR_ARG, "edl_ratings_create: r is NULL");
    edl_ratings *n = calloc(1, sizeof *n);
    if (!n) return edl__fail(EDL_ERR_NOMEM, "edl_ratings_create: no memory");
    *r = n;
    return EDL_OK;
}

void edl_ratings_free(edl_ratings *r) {
    if (!r) return;
    free(r->user), free(r->item), free(r->time), free(r->rating), free(r);
}

edl_status edl_ratings_add(edl_ratings *r, int64_t user, int64_t item, float rating, int64_t time) {
    if (!r) return edl__fail(EDL_ERR_ARG, "edl_ratings_add: r is NULL");
    if (r->n == SIZE_MAX) return edl__fail(EDL_ERR_NOMEM, "edl_ratings_add: too many records");
    if (!isfinite(rating))
        return edl__fail(EDL_ERR_NUMERIC, "edl_ratings_add: rating %g of user %lld, item %lld is not finite",
                         (double)rating, (long long)user, (long long)item);
    EDL__TRY(reserve(r, r->n + 1));
    r->user[r->n] = user, r->item[r->n] = item, r->rating[r->n] = rating, r->time[r->n] = time;
    r->n++;
    return EDL_OK;
}

size_t edl_ratings_count(const edl_ratings *r) { return r ? r->n : 0; }

edl_status edl_ratings_get(const edl_ratings *r, size_t i, int64_t *user, int64_t *item, float *rating, int64_t *time) {
    if (!r) return edl__fail(EDL_ERR_ARG, "edl_ratings_get: r is NULL");
    if (i >= r->n) return edl__fail(EDL_ERR_INDEX, "edl_ratings_get: record %zu is out of range [0, %zu)", i, r->n);
    if (user) *user = r->user[i];
    if (item) *item = r->item[i];
    if (rating) *rating = r->rating[i];
    if (time) *time = r->time[i];
    return EDL_OK;
}

void edl_ratings_defaults(edl_ratings_options *o) {
    memset(o, 0, sizeof *o);
    o->format = EDL_RATINGS_AUTO;
    o->header = -1;
    o->user_col = 0, o->item_col = 1, o->rating_col = 2, o->time_col = 3;
}

/* ---- Reading ------------------------------------------------------------------------------ */

/* A (user, item) pair set for duplicate rows: line 0 marks an empty slot. */
typedef struct {
    int64_t user, item;
    size_t line;
} pair_slot;
typedef struct {
    pair_slot *slots;
    size_t cap, n;
} pair_set;

static pair_slot *pair_find(pair_slot *slots, size_t cap, int64_t u, int64_t i) {
    size_t mask = cap - 1, s = (size_t)mix64((uint64_t)u ^ mix64((uint64_t)i)) & mask;
    while (slots[s].line && (slots[s].user != u || slots[s].item != i)) s = (s + 1) & mask;
    return &slots[s];
}

/* *seen = the line (u, i) was first on, or 0 when new (it is then recorded at line). */
static edl_status pair_add(pair_set *p, int64_t u, int64_t i, size_t line, size_t *seen) {
    pair_slot *slot = p->cap ? pair_find(p->slots, p->cap, u, i) : NULL;
    if (slot && slot->line) {
        *seen = slot->line;
        return EDL_OK;
    }
    if (p->n + 1 > p->cap / 2) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        pair_slot *ns = cap > p->cap ? calloc(cap, sizeof *ns) : NULL;
        if (!ns) return edl__fail(EDL_ERR_NOMEM, "ratings: no memory for %zu pairs", p->n + 1);
        for (size_t k = 0; k < p->cap; k++)
            if (p->slots[k].line) *pair_find(ns, cap, p->slots[k].user, p->slots[k].item) = p->slots[k];
        free(p->slots);
        p->slots = ns, p->cap = cap;
        slot = pair_find(p->slots, p->cap, u, i);
    }
    slot->user = u, slot->item = i, slot->line = line;
    p->n++;
    *seen = 0;
    return EDL_OK;
}

/* Why a row is bad (R_COUNT: how many reasons). */
enum { R_OK = 0, R_MISSING, R_ID, R_RATING, R_TIME, R_UTF8, R_DUP, R_COUNT };

typedef struct {
    char *s; /* NUL-terminated in the line buffer */
    size_t len, col;
} field;

typedef struct {
    const char *path; /* as messages name it */
    size_t line;
    edl_ratings_format fmt;
    char sep;
    int cols[4];          /* user, item, rating, time; -1 absent */
    int need;             /* fields a row must have */
    char msg[4096 + 512]; /* a path of PATH_MAX and the reason */
} reader;

/* Up to 40 bytes of s for a message: control bytes and bytes outside a valid UTF-8 sequence are
   written \xHH, and a multi-byte character is never cut. */
static const char *show(char out[200], const char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n && i < 40;) {
        const unsigned char *c = (const unsigned char *)s + i;
        size_t k = edl__utf8_decode(c, n - i, NULL);
        if (k == 1 && *c >= 0x20 && *c != 0x7f)
            out[o++] = (char)*c;
        else if (k > 1)
            memcpy(out + o, c, k), o += k;
        else
            o += (size_t)snprintf(out + o, 5, "\\x%02X", *c), k = 1;
        i += k;
    }
    out[o] = '\0';
    return out;
}

EDL__PRINTF(4, 5)
static int bad(reader *rd, size_t col, int reason, const char *fmt, ...) {
    int n = snprintf(rd->msg, sizeof rd->msg, "%s:%zu:%zu: ", rd->path, rd->line, col);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof rd->msg) vsnprintf(rd->msg + n, sizeof rd->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return reason;
}

static int check_utf8(reader *rd, const char *line, size_t len) {
    char tok[200];
    for (size_t i = 0; i < len;) {
        const unsigned char *c = (const unsigned char *)line + i;
        size_t k = *c ? edl__utf8_decode(c, len - i, NULL) : 0;
        if (!k) {
            size_t from = i > 12 ? i - 12 : 0;
            show(tok, line + from, len - from);
            if (!*c) return bad(rd, i + 1, R_UTF8, "NUL byte '%s'", tok);
            return bad(rd, i + 1, R_UTF8, "byte 0x%02X is not UTF-8 '%s'", *c, tok);
        }
        i += k;
    }
    return R_OK;
}

/* Splits the line into the four wanted fields (absent columns get ""). */
static int split(reader *rd, char *line, size_t len, field f[4]) {
    static char empty[1];
    char *p = line, *end = line + len;
    size_t seplen = rd->fmt == EDL_RATINGS_DAT ? 2 : 1;
    int k = 0;
    for (int c = 0; c < 4; c++) f[c] = (field){empty, 0, 0};
    for (;; k++) {
        char *q = p;
        if (seplen == 2)
            while (q < end && !(q[0] == ':' && q + 1 < end && q[1] == ':')) q++;
        else if (!(q = memchr(p, rd->sep, (size_t)(end - p))))
            q = end;
        char *s = p, *e = q;
        while (s < e && (*s == ' ' || *s == '\t')) s++;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        for (int c = 0; c < 4; c++)
            if (rd->cols[c] == k) f[c] = (field){s, (size_t)(e - s), (size_t)(s - line) + 1};
        if (q == end || k + 1 == rd->need) break;
        p = q + seplen;
    }
    if (k + 1 < rd->need) {
        char tok[200];
        return bad(rd, len + 1, R_MISSING, "missing field: %d fields, %d needed '%s'", k + 1, rd->need,
                   show(tok, line, len));
    }
    for (int c = 0; c < 4; c++) /* fields are disjoint: only separators are overwritten */
        if (rd->cols[c] >= 0) f[c].s[f[c].len] = '\0';
    return R_OK;
}

/* 0: ok, 1: not an integer, 2: does not fit in 64 bits. */
static int parse_i64(const char *s, size_t len, int64_t *out) {
    size_t i = s[0] == '-' || s[0] == '+';
    bool neg = s[0] == '-', over = false;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (i == len) return 1;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            over = true;
        else
            v = v * 10 + d;
    }
    if (over) return 2;
    *out = !neg ? (int64_t)v : v == lim ? INT64_MIN : -(int64_t)v;
    return 0;
}

static int parse_id(reader *rd, const field *f, const char *what, int reason, int64_t *out) {
    static const char *const why[3] = {"", "is not an integer", "does not fit in 64 bits"};
    char tok[200];
    int e = parse_i64(f->s, f->len, out);
    return e ? bad(rd, f->col, reason, "%s %s '%s'", what, why[e], show(tok, f->s, f->len)) : R_OK;
}

static int parse_row(reader *rd, const field f[4], int64_t *u, int64_t *it, float *rt, int64_t *tm) {
    int e;
    if ((e = parse_id(rd, &f[0], "user id", R_ID, u)) || (e = parse_id(rd, &f[1], "item id", R_ID, it))) return e;
    *rt = 1.0f;
    if (rd->cols[2] >= 0) {
        char *end, tok[200];
        /* strtof alone would take leading spaces; underflow to 0 is fine, overflow gives inf */
        *rt = strtof(f[2].s, &end);
        /* decimal only: strtof would also take hex ("0x1p2"), inf and nan */
        bool decimal = f[2].len > 0 && strchr("+-.0123456789", f[2].s[0]);
        for (size_t k = 0; decimal && k < f[2].len; k++) decimal = strchr("+-.0123456789eE", f[2].s[k]) != NULL;
        if (!decimal || end != f[2].s + f[2].len || !isfinite(*rt))
            return bad(rd, f[2].col, R_RATING, "rating is not a finite number '%s'", show(tok, f[2].s, f[2].len));
    }
    *tm = (int64_t)rd->line;
    if (rd->cols[3] >= 0 && (e = parse_id(rd, &f[3], "timestamp", R_TIME, tm))) return e;
    return R_OK;
}

static edl_status check_options(const edl_ratings_options *o, reader *rd) {
    const int *c = rd->cols;
    if ((unsigned)o->format > EDL_RATINGS_CSV || o->header < -1 || o->header > 1)
        return edl__fail(EDL_ERR_ARG, "edl_ratings_read: format %d or header %d is not valid", (int)o->format,
                         o->header);
    for (int a = 0; a < 4; a++) {
        if (c[a] < (a < 2 ? 0 : -1) || c[a] == INT_MAX)
            return edl__fail(EDL_ERR_ARG,
                             "edl_ratings_read: columns %d %d %d %d: user and item need one, "
                             "rating and time one or -1",
                             c[0], c[1], c[2], c[3]);
        for (int b = a + 1; b < 4; b++)
            if (c[a] >= 0 && c[a] == c[b])
                return edl__fail(EDL_ERR_ARG, "edl_ratings_read: column %d is used twice", c[a]);
        rd->need = c[a] + 1 > rd->need ? c[a] + 1 : rd->need;
    }
    if (rd->sep == '\n' || rd->sep == '\r')
        return edl__fail(EDL_ERR_ARG, "edl_ratings_read: sep 0x%02X is not a separator", (unsigned char)rd->sep);
    return EDL_OK;
}

static edl_status read_share(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                             edl_ratings_report *report, size_t chunk, edl_comm *comm);

edl_status edl_ratings_read(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                            edl_ratings_report *report) {
    return read_share(r, path, opt, report, 0, NULL);
}

edl_status edl__ratings_read(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                             edl_ratings_report *report, size_t chunk) {
    return read_share(r, path, opt, report, chunk, NULL);
}

edl_status edl_ratings_read_comm(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                                 edl_ratings_report *report, edl_comm *comm) {
    return read_share(r, path, opt, report, 0, comm);
}

/* The report of every rank: counts summed, the first bad row of the lowest rank that has one. */
static edl_status merge_reports(edl_comm *comm, edl_ratings_report *rep) {
    int64_t v[9] = {(int64_t)rep->lines,         (int64_t)rep->rows,     (int64_t)rep->skipped,
                    (int64_t)rep->missing_field, (int64_t)rep->bad_id,   (int64_t)rep->bad_rating,
                    (int64_t)rep->bad_time,      (int64_t)rep->not_utf8, (int64_t)rep->duplicate};
    int64_t who = rep->first[0] ? edl_comm_rank(comm) : edl_comm_size(comm);
    EDL__TRY(edl__comm_allreduce(comm, v, 9, EDL__COMM_I64, EDL__COMM_SUM));
    EDL__TRY(edl__comm_allreduce(comm, &who, 1, EDL__COMM_I64, EDL__COMM_MIN));
    if (who < edl_comm_size(comm)) EDL__TRY(edl__comm_bcast(comm, rep->first, sizeof rep->first, (int)who));
    size_t *f[9] = {&rep->lines,      &rep->rows,     &rep->skipped,  &rep->missing_field, &rep->bad_id,
                    &rep->bad_rating, &rep->bad_time, &rep->not_utf8, &rep->duplicate};
    for (int k = 0; k < 9; k++) *f[k] = (size_t)v[k];
    return EDL_OK;
}

static edl_status read_share(edl_ratings **r, const char *path, const edl_ratings_options *opt,
                             edl_ratings_report *report, size_t chunk, edl_comm *comm) {
    edl_ratings_options def;
    if (!opt) edl_ratings_defaults(&def), opt = &def;
    if (!r || !path) return edl__fail(EDL_ERR_ARG, "edl_ratings_read: r or path is NULL");
    bool is_stdin = !strcmp(path, "-");
    reader rd = {.path = is_stdin ? "<stdin>" : path,
                 .fmt = opt->format,
                 .sep = opt->sep ? opt->sep : ',',
                 .cols = {opt->user_col, opt->item_col, opt->rating_col, opt->time_col}};
    /* on several ranks each reads its share: a failure anywhere is every rank's (agreed below) */
    edl_lines *lr = NULL;
    edl_status s0 = check_options(opt, &rd);
    if (s0 == EDL_OK) s0 = edl__lines_input(&lr, path, chunk); /* chunk by chunk: the text is never held */
    if (s0 != EDL_OK) lr = NULL;
    if (s0 == EDL_OK && edl_comm_size(comm) > 1)
        s0 = edl__lines_set_share(lr, (size_t)edl_comm_rank(comm), (size_t)edl_comm_size(comm));

    edl_ratings_report rep = {0};
    edl_ratings *out = NULL;
    pair_set pairs = {0};
    char *line;
    size_t len;
    size_t *counts[R_COUNT] = {NULL,          &rep.missing_field, &rep.bad_id,   &rep.bad_rating,
                               &rep.bad_time, &rep.not_utf8,      &rep.duplicate};
    bool first = edl_comm_rank(comm) == 0; /* the file's first line is in rank 0's share */
    edl_status s = s0 == EDL_OK ? edl_ratings_create(&out) : s0;
    /* the reader takes the "\n" and a '\r' before it (or ending the file) */
    while (s == EDL_OK && (s = edl_lines_next(lr, &line, &len)) == EDL_OK && line) {
        ++rep.lines;
        rd.line = edl_lines_number(lr); /* the file's numbers, in a share too */
        /* a UTF-8 byte-order mark, as spreadsheets write one, is no part of the first field */
        if (rd.line == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) memmove(line, line + 3, len - 2), len -= 3;
        size_t blank = 0;
        while (blank < len && (line[blank] == ' ' || line[blank] == '\t')) blank++;
        if (blank == len) continue;
        if (rd.fmt == EDL_RATINGS_AUTO) /* by the first non-empty line */
            rd.fmt = strstr(line, "::")        ? EDL_RATINGS_DAT
                     : memchr(line, '\t', len) ? EDL_RATINGS_UDATA
                                               : EDL_RATINGS_CSV;
        if (rd.fmt == EDL_RATINGS_UDATA) rd.sep = '\t';
        int header = first && rd.fmt == EDL_RATINGS_CSV ? opt->header : 0;
        first = false;
        field fs[4];
        int64_t u = 0, it = 0, tm = 0, dummy;
        float rt = 0;
        size_t seen = 0;
        int e = check_utf8(&rd, line, len);
        if (!e && header == 1) continue;
        if (!e) e = split(&rd, line, len, fs);
        if (!e && header && parse_i64(fs[0].s, fs[0].len, &dummy) == 1 && parse_i64(fs[1].s, fs[1].len, &dummy) == 1)
            continue; /* a first line whose user and item are both words names the columns (one bad id is a bad row) */
        if (!e) e = parse_row(&rd, fs, &u, &it, &rt, &tm);
        if (!e && (s = pair_add(&pairs, u, it, rd.line, &seen)) != EDL_OK) break;
        if (!e && seen)
            e = bad(&rd, fs[0].col, R_DUP, "duplicate of line %zu: (user, item) '%" PRId64 ", %" PRId64 "'", seen, u,
                    it);
        if (!e) {
            s = edl_ratings_add(out, u, it, rt, tm);
        } else if (!opt->skip_bad) {
            s = edl__fail(EDL_ERR_FORMAT, "%s", rd.msg);
        } else {
            (*counts[e])++, rep.skipped++;
            if (!rep.first[0]) { /* truncated on a character boundary */
                size_t n = strlen(rd.msg) < sizeof rep.first ? strlen(rd.msg) : sizeof rep.first - 1;
                while (n && n < strlen(rd.msg) && ((unsigned char)rd.msg[n] & 0xC0) == 0x80) n--;
                memcpy(rep.first, rd.msg, n), rep.first[n] = '\0';
            }
        }
    }
    /* from the reader: "PATH: read error after line N: reason", "PATH:N: no memory for a line" */
    edl_lines_close(lr);
    free(pairs.slots);
    rep.rows = s == EDL_OK ? out->n : 0;
    s = edl_comm_agree(comm, s);
    if (s == EDL_OK && edl_comm_size(comm) > 1) s = merge_reports(comm, &rep);
    if (report) *report = rep;
    if (s != EDL_OK) {
        edl_ratings_free(out);
        return s;
    }
    *r = out;
    return EDL_OK;
}

/* ---- Writing ------------------------------------------------------------------------------ */

typedef struct {
    const edl_ratings *r;
    const char *path;
} write_ctx;

static edl_status write_udata(FILE *f, void *ctx) {
    const write_ctx *w = ctx;
    const edl_ratings *r = w->r;
    char rating[16];
    for (size_t i = 0; i < r->n; i++) { /* %.9g: every float reads back to the same bits */
        edl__float_g9(rating, r->rating[i]);
        if (fprintf(f, "%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64 "\n", r->user[i], r->item[i], rating, r->time[i]) < 0)
            return edl__fail(EDL_ERR_IO, "%s: write error at record %zu: %s", w->path, i, strerror(errno));
    }
    return EDL_OK;
}

edl_status edl_ratings_write(const edl_ratings *r, const char *path) {
    if (!r || !path) return edl__fail(EDL_ERR_ARG, "edl_ratings_write: r or path is NULL");
    write_ctx w = {r, path};
    return edl__write_atomic(path, write_udata, &w);
}

/* ---- Splits ------------------------------------------------------------------------------- */

/* to_test[i] = 1 for each user's last record by time (ties: the later record), for users with
   at least two records. */
static edl_status mark_last(const edl_ratings *all, uint8_t *to_test) {
    size_t n = all->n;
    size_t *best = calloc(n ? n : 1, sizeof *best), *count = calloc(n ? n : 1, sizeof *count);
    edl__idmap users;
    edl_status s = edl__idmap_init(&users, 0);
    if (s == EDL_OK && (!best || !count))
        s = edl__fail(EDL_ERR_NOMEM, "edl_ratings_split: no memory for %zu records", n);
    for (size_t i = 0; s == EDL_OK && i < n; i++) {
        int64_t u;
        if ((s = edl__idmap_put(&users, all->user[i], &u)) != EDL_OK) break;
        if (!count[u]++ || all->time[i] >= all->time[best[u]]) best[u] = i;
    }
    for (size_t u = 0; s == EDL_OK && u < users.n; u++)
        if (count[u] >= 2) to_test[best[u]] = 1;
    edl__idmap_free(&users);
    free(best), free(count);
    return s;
}

static edl_status copy_marked(const edl_ratings *all, const uint8_t *mark, uint8_t want, size_t n, edl_ratings **out) {
    EDL__TRY(edl_ratings_create(out));
    edl_status s = reserve(*out, n);
    for (size_t i = 0; s == EDL_OK && i < all->n; i++)
        if (mark[i] == want) s = edl_ratings_add(*out, all->user[i], all->item[i], all->rating[i], all->time[i]);
    if (s != EDL_OK) edl_ratings_free(*out), *out = NULL;
    return s;
}

edl_status edl_ratings_split(const edl_ratings *all, edl_split_kind kind, float frac, uint64_t seed,
                             edl_ratings **train, edl_ratings **test) {
    static const char fn[] = "edl_ratings_split";
    if (!all || !train || !test) return edl__fail(EDL_ERR_ARG, "%s: all, train or test is NULL", fn);
    if (kind != EDL_SPLIT_RANDOM && kind != EDL_SPLIT_LAST)
        return edl__fail(EDL_ERR_ARG, "%s: unknown kind %d", fn, (int)kind);
    if (kind == EDL_SPLIT_RANDOM && !(frac >= 0.0f && frac <= 1.0f))
        return edl__fail(EDL_ERR_ARG, "%s: frac %g is outside [0, 1]", fn, (double)frac);
    uint8_t *to_test = calloc(all->n ? all->n : 1, 1);
    if (!to_test) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for %zu records", fn, all->n);
    edl_status s = EDL_OK;
    if (kind == EDL_SPLIT_RANDOM) {
        edl_rng rng;
        edl_rng_seed(&rng, seed);
        for (size_t i = 0; i < all->n; i++) to_test[i] = edl_rng_uniform(&rng) < frac;
    } else {
        s = mark_last(all, to_test);
    }
    size_t ntest = 0;
    for (size_t i = 0; i < all->n; i++) ntest += to_test[i];
    edl_ratings *tr = NULL, *te = NULL;
    if (s == EDL_OK) s = copy_marked(all, to_test, 0, all->n - ntest, &tr);
    if (s == EDL_OK) s = copy_marked(all, to_test, 1, ntest, &te);
    free(to_test);
    if (s != EDL_OK) {
        edl_ratings_free(tr);
        return s;
    }
    *train = tr, *test = te;
    return EDL_OK;
}
