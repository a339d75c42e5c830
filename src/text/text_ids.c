/* A training text read once through the line reader into token ids (text.h: edl__token_ids):
 * the vocabulary counts each token and hands back its entry, which is kept (4 bytes a token); the
 * trainers map entries to the finished vocabulary's ids afterwards (edl__vocab_finish_map), so
 * nothing reads the input twice and the raw text is never held. */
#include "common/lines.h"
#include "model/comm.h"
#include "text/text.h"

#include <stdlib.h>
#include <string.h>

void edl__token_ids_free(edl__token_ids *t) {
    free(t->ids), free(t->line_end);
    memset(t, 0, sizeof *t);
}

typedef struct {
    edl__token_ids *t;
    edl__vocab *v;
} reading;

static edl_status keep(edl__token_ids *t, int32_t e) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1 << 16;
        int32_t *ids = cap > SIZE_MAX / sizeof *ids ? NULL : realloc(t->ids, cap * sizeof *ids);
        if (!ids) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu token ids", cap);
        t->ids = ids, t->cap = cap;
    }
    t->ids[t->n++] = e;
    return EDL_OK;
}

static edl_status on_token(void *ctx, const char *s, size_t n) {
    reading *r = ctx;
    int32_t e;
    EDL__TRY(edl__vocab_count(r->v, s, n, &e));
    return keep(r->t, e);
}

static edl_status end_line(edl__token_ids *t) {
    if (t->nlines == t->lcap) {
        size_t cap = t->lcap ? 2 * t->lcap : 1024;
        int64_t *le = cap > SIZE_MAX / sizeof *le ? NULL : realloc(t->line_end, cap * sizeof *le);
        if (!le) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu lines", cap);
        t->line_end = le, t->lcap = cap;
    }
    t->line_end[t->nlines++] = (int64_t)t->n;
    return EDL_OK;
}

static edl_status read_lines(edl__token_ids *t, edl__vocab *v, edl_lines *lr, const char *path, int lines);

edl_status edl__token_ids_read(edl__token_ids *t, edl__vocab *v, const char *path, size_t chunk, int lines,
                               edl_comm *comm) {
    memset(t, 0, sizeof *t);
    edl_lines *lr = NULL;
    edl_status s = edl__lines_input(&lr, path, chunk);
    if (s == EDL_OK) s = edl__lines_set_share(lr, (size_t)edl_comm_rank(comm), (size_t)edl_comm_size(comm));
    if (s == EDL_OK) s = read_lines(t, v, lr, path, lines);
    edl_lines_close(lr);
    if (s != EDL_OK) edl__token_ids_free(t);
    /* every rank's share read (or one's failure said to all), then one vocabulary */
    EDL__TRY(edl_comm_agree(comm, s));
    if (edl_comm_size(comm) == 1) return EDL_OK; /* one share: the vocabulary is the whole input's */
    int32_t *map = malloc((v->size ? v->size : 1) * sizeof *map);
    s = map ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "no memory for %zu entries", v->size);
    s = edl_comm_agree(comm, s);
    if (s == EDL_OK) s = edl__vocab_merge(comm, v, map);
    for (size_t i = 0; s == EDL_OK && i < t->n; i++) t->ids[i] = map[t->ids[i]];
    free(map);
    if (s != EDL_OK) edl__token_ids_free(t);
    return s;
}

static edl_status read_lines(edl__token_ids *t, edl__vocab *v, edl_lines *lr, const char *path, int lines) {
    reading r = {t, v};
    char *line;
    size_t len;
    edl_status s;
    while ((s = edl_lines_next(lr, &line, &len)) == EDL_OK && line) {
        /* the line's tokens, then "</s>" for its newline as edl__text_tokens gives one */
        s = edl__text_tokens(line, len, on_token, &r);
        t->last_newline = edl_lines_newline(lr);
        if (s == EDL_OK && t->last_newline) s = on_token(&r, EDL__EOS, sizeof EDL__EOS - 1);
        if (s == EDL_OK && lines) s = end_line(t);
        if (s != EDL_OK) {
            s = edl__fail_wrap(s, "%s:%zu", strcmp(path, "-") ? path : "<stdin>", edl_lines_number(lr));
            break;
        }
    }
    /* a read error or a line too long for memory: the reader's message names the input and line */
    return s;
}
