/* Reading a dataset from text: one example a line, `TARGET INPUTS...`, whitespace-separated.
 *   TARGET  an integer class (softmax), or target_dim comma-separated floats (bce, mse)
 *   INPUTS  integer indices (embedding inputs), or feature_dim floats (input(dim))
 * Empty lines and lines starting with '#' are skipped; CRLF is accepted. Errors name the file,
 * line and column. "-" reads standard input. The input is read in chunks by the line reader and
 * each line parsed where it lies: what is kept is the examples (their indices, floats, targets and
 * 8 bytes a line for messages), never the text. */
#include "common/lines.h"
#include "model/comm.h"
#include "model/dataset.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct {
    const char *path;
    size_t line;
} where;

static edl_status text_err(const where *w, size_t col, const char *what, const char *tok) {
    return edl__fail(EDL_ERR_FORMAT, "%s:%zu:%zu: %s '%.40s'", w->path, w->line, col, what, tok);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static edl_status parse_float(const where *w, size_t col, const char *tok, float *out) {
    char *end;
    errno = 0;
    float v = strtof(tok, &end);
    if (end == tok || *end) return text_err(w, col, "not a number:", tok);
    if (!isfinite(v) || errno == ERANGE) return text_err(w, col, "not a finite float:", tok);
    *out = v;
    return EDL_OK;
}

static edl_status parse_index(const where *w, size_t col, const char *tok, int64_t *out) {
    char *end;
    errno = 0;
    if (tok[0] == '-') return text_err(w, col, "negative index", tok);
    long long v = strtoll(tok, &end, 10);
    if (end == tok || *end) return text_err(w, col, "not an integer:", tok);
    if (errno == ERANGE) return text_err(w, col, "integer out of range:", tok);
    *out = v;
    return EDL_OK;
}

/* Parses one line (NUL-terminated, no newline) into d. */
static edl_status parse_line(edl_dataset *d, const where *w, char *line, int64_t **idx, size_t *cap, float *x,
                             float *t) {
    size_t ntok = 0, nin = 0;
    int64_t label = 0;
    char *p = line;
    for (;;) {
        while (is_space(*p)) p++;
        if (!*p) break;
        char *tok = p;
        size_t col = (size_t)(p - line) + 1;
        while (*p && !is_space(*p)) p++;
        if (*p) *p++ = '\0';
        if (ntok++ == 0) { /* the target */
            if (d->tdim == 0) {
                EDL__TRY(parse_index(w, col, tok, &label));
                continue;
            }
            size_t k = 0;
            for (char *s = tok;; k++) {
                char *comma = strchr(s, ',');
                if (comma) *comma = '\0';
                if (k >= d->tdim) return text_err(w, col, "more targets than the model's outputs in", tok);
                EDL__TRY(parse_float(w, col + (size_t)(s - tok), s, &t[k]));
                if (!comma) break;
                s = comma + 1;
            }
            if (k + 1 != d->tdim) return text_err(w, col, "fewer targets than the model's outputs in", tok);
            continue;
        }
        if (d->fdim) {
            if (nin >= d->fdim) return text_err(w, col, "more features than the model's input at", tok);
            EDL__TRY(parse_float(w, col, tok, &x[nin++]));
        } else {
            if (nin == *cap) {
                size_t nc = *cap ? 2 * *cap : 256;
                int64_t *ni = realloc(*idx, nc * sizeof *ni);
                if (!ni) return edl__fail(EDL_ERR_NOMEM, "%s:%zu: no memory", w->path, w->line);
                *idx = ni, *cap = nc;
            }
            EDL__TRY(parse_index(w, col, tok, &(*idx)[nin++]));
        }
    }
    if (ntok == 0) return EDL_OK;
    if (d->fdim && nin != d->fdim)
        return edl__fail(EDL_ERR_FORMAT, "%s:%zu: %zu features, the model's input takes %zu", w->path, w->line, nin,
                         d->fdim);
    edl_status s = d->fdim ? edl_dataset_add_features(d, x, label, t) : edl_dataset_add_indices(d, *idx, nin, label, t);
    if (s == EDL_OK) s = edl__dataset_note_line(d, w->path, w->line);
    if (s != EDL_OK) return edl__fail_wrap(s, "%s:%zu", w->path, w->line);
    return EDL_OK;
}

static edl_status load_share(edl_dataset **out, const char *path, size_t feature_dim, size_t target_dim, size_t chunk,
                             edl_comm *comm) {
    static const char fn[] = "edl_dataset_load_text";
    if (!out || !path) return edl__fail(EDL_ERR_ARG, "%s: out or path is NULL", fn);
    int is_stdin = !strcmp(path, "-");
    edl_lines *r;
    edl_dataset *d = NULL;
    edl_status s = edl__lines_input(&r, path, chunk);
    if (s != EDL_OK) r = NULL;
    if (s == EDL_OK && edl_comm_size(comm) > 1)
        s = edl__lines_set_share(r, (size_t)edl_comm_rank(comm), (size_t)edl_comm_size(comm));
    if (s == EDL_OK) s = edl_dataset_create(&d, feature_dim, target_dim);
    float *x = malloc((feature_dim ? feature_dim : 1) * sizeof *x),
          *t = malloc((target_dim ? target_dim : 1) * sizeof *t);
    int64_t *idx = NULL;
    size_t cap = 0, len;
    char *line;
    where w = {is_stdin ? "<stdin>" : path, 0};
    if (s == EDL_OK && (!x || !t)) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", fn);
    /* a '\r' before the newline goes with it (it would be a space to parse_line anyway) */
    while (s == EDL_OK && (s = edl_lines_next(r, &line, &len)) == EDL_OK && line) {
        w.line = edl_lines_number(r); /* the file's number, in a share too */
        char *nul = memchr(line, '\0', len);
        if (nul) {
            s = edl__fail(EDL_ERR_FORMAT, "%s:%zu:%zu: NUL byte", w.path, w.line, (size_t)(nul - line) + 1);
            break;
        }
        if (line[0] == '#') continue;
        s = parse_line(d, &w, line, &idx, &cap, x, t);
    }
    /* a read error: "PATH: read error after line N: reason", from the reader; a failure in any
       rank's share is every rank's */
    s = edl_comm_agree(comm, s);
    int64_t total = s == EDL_OK ? (int64_t)d->n : 0;
    if (s == EDL_OK) s = edl__comm_allreduce(comm, &total, 1, EDL__COMM_I64, EDL__COMM_SUM);
    if (s == EDL_OK && total == 0) s = edl__fail(EDL_ERR_FORMAT, "%s: no examples", w.path);
    edl_lines_close(r);
    free(idx), free(x), free(t);
    if (s != EDL_OK) {
        edl_dataset_free(d);
        return s;
    }
    *out = d;
    return EDL_OK;
}

edl_status edl_dataset_load_text(edl_dataset **out, const char *path, size_t feature_dim, size_t target_dim) {
    return edl__dataset_load_text(out, path, feature_dim, target_dim, 0);
}

edl_status edl__dataset_load_text(edl_dataset **out, const char *path, size_t feature_dim, size_t target_dim,
                                  size_t chunk) {
    return load_share(out, path, feature_dim, target_dim, chunk, NULL);
}

edl_status edl_dataset_load_text_comm(edl_dataset **out, const char *path, size_t feature_dim, size_t target_dim,
                                      edl_comm *comm) {
    return load_share(out, path, feature_dim, target_dim, 0, comm);
}
