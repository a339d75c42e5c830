/* The one line reader (edl.h: edl_lines_*). A descriptor is read with read(2) in chunks into one
 * buffer; lines are found with memchr and handed out in place, so nothing is copied and memory is
 * a chunk plus the longest line. read(2) returns what has arrived, so a pipe or terminal yields
 * each line as soon as it is complete; a streaming reader can use it as it is. */
#include "common/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DEFAULT_CHUNK = 1 << 16 };

struct edl_lines {
    int fd, owned; /* owned: opened here, closed by edl_lines_close */
    char *buf;
    size_t cap;      /* bytes of buf: reads fill at most cap - 1, leaving room for a NUL */
    size_t chunk;    /* bytes a read asks for at most */
    size_t pos, end; /* the bytes not handed out yet: buf[pos, end) */
    size_t scanned;  /* buf[pos, scanned) holds no '\n' */
    int eof, newline;
    size_t line;       /* lines handed out */
    uint64_t offset;   /* of the last line's first byte */
    uint64_t consumed; /* bytes handed out, their newlines included */
    /* a share of a file (edl__lines_set_share): lines starting in [begin, end); first: the file
       offset of the share's first line (known once it is found), done: past the share's end */
    uint64_t share_begin, share_end, share_first;
    int share_skip, share_done;
    size_t share_lines; /* the newlines before share_first, once counted (share_counted) */
    int share_counted;
    char name[]; /* as messages name the input */
};

static edl_status io_err(const char *what, const char *path, int err) {
    return edl__fail(EDL_ERR_IO, "%s: %s: %s", path, what, strerror(err));
}

static edl_status create(edl_lines **out, int fd, int owned, const char *name) {
    size_t nlen = strlen(name), bytes;
    if (!edl__add_ok(sizeof(edl_lines) + 1, nlen, &bytes))
        return edl__fail(EDL_ERR_NOMEM, "the input's name is too long");
    edl_lines *r = malloc(bytes);
    char *buf = r ? malloc(DEFAULT_CHUNK + 1) : NULL;
    if (!buf) {
        free(r);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the line reader", name);
    }
    memset(r, 0, sizeof *r);
    r->fd = fd, r->owned = owned;
    r->buf = buf, r->cap = DEFAULT_CHUNK + 1, r->chunk = DEFAULT_CHUNK;
    r->share_end = UINT64_MAX;
    memcpy(r->name, name, nlen + 1);
    *out = r;
    return EDL_OK;
}

edl_status edl__open_input(const char *path, int *fd) {
    *fd = -1;
    if (!path || !*path) return edl__fail(EDL_ERR_ARG, "the input path is empty");
    if (!strcmp(path, "-")) return *fd = STDIN_FILENO, EDL_OK;
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return io_err("cannot open", path, errno);
    struct stat st;
    edl_status s = fstat(f, &st) != 0    ? io_err("cannot open", path, errno)
                   : S_ISDIR(st.st_mode) ? io_err("cannot read it", path, EISDIR)
                                         : EDL_OK;
    if (s != EDL_OK)
        close(f);
    else
        *fd = f;
    return s;
}

edl_status edl_lines_open(edl_lines **r, const char *path) {
    if (!r) return edl__fail(EDL_ERR_ARG, "edl_lines_open: r is NULL");
    *r = NULL;
    int fd;
    EDL__TRY(edl__open_input(path, &fd));
    int owned = fd != STDIN_FILENO || strcmp(path, "-");
    edl_status s = create(r, fd, owned, path);
    if (s != EDL_OK && owned) close(fd);
    return s;
}

edl_status edl_lines_from_fd(edl_lines **r, int fd, const char *name) {
    if (!r || !name) return edl__fail(EDL_ERR_ARG, "edl_lines_from_fd: r or name is NULL");
    *r = NULL;
    if (fd < 0) return edl__fail(EDL_ERR_ARG, "edl_lines_from_fd: %s: fd %d is not a descriptor", name, fd);
    return create(r, fd, 0, name);
}

edl_status edl__lines_set_chunk(edl_lines *r, size_t bytes) {
    if (!r || bytes == 0 || bytes > (size_t)1 << 30 || r->pos != r->end)
        return edl__fail(EDL_ERR_ARG, "edl__lines_set_chunk: %zu bytes, or bytes already buffered", bytes);
    char *buf = realloc(r->buf, bytes + 1);
    if (!buf) return edl__fail(EDL_ERR_NOMEM, "%s: no memory for the line reader", r->name);
    r->buf = buf, r->cap = bytes + 1, r->chunk = bytes;
    r->pos = r->end = r->scanned = 0;
    return EDL_OK;
}

edl_status edl__lines_input(edl_lines **r, const char *path, size_t chunk) {
    if (!r || !path) return edl__fail(EDL_ERR_ARG, "edl__lines_input: an argument is NULL");
    EDL__TRY(strcmp(path, "-") ? edl_lines_open(r, path) : edl_lines_from_fd(r, STDIN_FILENO, "<stdin>"));
    edl_status s = chunk ? edl__lines_set_chunk(*r, chunk) : EDL_OK;
    if (s != EDL_OK) edl_lines_close(*r), *r = NULL;
    return s;
}

/* Reads what has arrived (up to a chunk) after the unread bytes, moved to the buffer's start;
   the buffer doubles when a line fills it. */
static edl_status fill(edl_lines *r) {
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos, r->scanned -= r->pos, r->pos = 0;
    }
    if (r->end == r->cap - 1) {
        size_t cap;
        char *buf = edl__mul_ok(r->cap - 1, 2, &cap) && edl__add_ok(cap, 1, &cap) ? realloc(r->buf, cap) : NULL;
        if (!buf) return edl__fail(EDL_ERR_NOMEM, "%s:%zu: no memory for a line", r->name, r->line + 1);
        r->buf = buf, r->cap = cap;
    }
    size_t want = r->cap - 1 - r->end;
    if (want > r->chunk) want = r->chunk;
    ssize_t got;
    do got = read(r->fd, r->buf + r->end, want);
    while (got < 0 && errno == EINTR);
    if (got < 0) {
        int err = errno;
        edl__fail(EDL_ERR_IO, "%s: read error after line %zu: %s", r->name, r->line, strerror(err));
        errno = err;
        return EDL_ERR_IO;
    }
    if (got == 0) r->eof = 1;
    r->end += (size_t)got;
    return EDL_OK;
}

static edl_status next_line(edl_lines *r, char **line, size_t *len) {
    *line = NULL, *len = 0;
    for (;;) {
        char *nl = r->scanned < r->end ? memchr(r->buf + r->scanned, '\n', r->end - r->scanned) : NULL;
        if (nl || (r->eof && r->pos < r->end)) {
            size_t start = r->pos, stop = nl ? (size_t)(nl - r->buf) : r->end;
            r->pos = r->scanned = nl ? stop + 1 : stop;
            r->newline = nl != NULL;
            r->offset = r->consumed;
            r->consumed += r->pos - start;
            r->line++;
            if (stop > start && r->buf[stop - 1] == '\r') stop--;
            r->buf[stop] = '\0'; /* stop < cap: reads leave the last byte free */
            *line = r->buf + start, *len = stop - start;
            return EDL_OK;
        }
        if (r->eof) return EDL_OK;
        r->scanned = r->end;
        EDL__TRY(fill(r));
    }
}

edl_status edl_lines_next(edl_lines *r, char **line, size_t *len) {
    if (!r || !line || !len) return edl__fail(EDL_ERR_ARG, "edl_lines_next: an argument is NULL");
    *line = NULL, *len = 0;
    if (r->share_done) return EDL_OK;
    if (r->share_skip) { /* the line holding the byte before the share is the previous share's */
        r->share_skip = 0;
        EDL__TRY(next_line(r, line, len));
        r->line = 0, r->share_first = r->consumed;
        if (!*line) return EDL_OK;
    }
    EDL__TRY(next_line(r, line, len));
    if (*line && r->offset >= r->share_end) { /* the next share's first line */
        *line = NULL, *len = 0;
        r->line--, r->share_done = 1;
    }
    return EDL_OK;
}

edl_status edl__lines_set_share(edl_lines *r, size_t part, size_t parts) {
    if (!r || parts == 0 || part >= parts)
        return edl__fail(EDL_ERR_ARG, "edl__lines_set_share: share %zu of %zu", part, parts);
    if (parts == 1) return EDL_OK;
    struct stat st;
    if (fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return edl__fail(
            EDL_ERR_ARG,
            "%s: %zu processes share an input only when it is a regular file (each reads its own byte range)", r->name,
            parts);
    if (r->line || r->pos != r->end)
        return edl__fail(EDL_ERR_ARG, "edl__lines_set_share: %s was read already", r->name);
    uint64_t size = (uint64_t)st.st_size, q = size / parts, m = size % parts;
    /* size * k / parts without overflow: quotient and remainder apart */
    uint64_t b = q * part + m * part / parts, e = q * (part + 1) + m * (part + 1) / parts;
    r->share_end = e;
    if (b == 0) return EDL_OK;
    if (lseek(r->fd, (off_t)(b - 1), SEEK_SET) < 0) return io_err("cannot seek in it", r->name, errno);
    r->share_begin = b, r->consumed = b - 1, r->share_skip = 1;
    return EDL_OK;
}

/* The share's lines are numbered as the file's: the newlines before the share's first line are
   counted (read again) when a number is first asked for, and kept: a reader asking at every line
   (to name it should it fail) reads the bytes before its share once, not once a line. */
size_t edl_lines_number(const edl_lines *r) {
    if (!r) return 0;
    if (r->share_counted) return r->share_lines + r->line;
    size_t base = 0;
    char buf[1 << 14];
    int whole = 1;
    for (uint64_t at = 0; at < r->share_first;) {
        size_t want = r->share_first - at < sizeof buf ? (size_t)(r->share_first - at) : sizeof buf;
        ssize_t got = pread(r->fd, buf, want, (off_t)at);
        if (got <= 0) {
            whole = 0;
            break;
        }
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + got - p))) != NULL; p++) base++;
        at += (uint64_t)got;
    }
    /* kept once the share's first line is known (every reader is malloc'd: never a const object) */
    if (whole && !r->share_skip) {
        edl_lines *w = (edl_lines *)r;
        w->share_lines = base, w->share_counted = 1;
    }
    return base + r->line;
}
uint64_t edl_lines_offset(const edl_lines *r) { return r ? r->offset : 0; }
int edl_lines_newline(const edl_lines *r) { return r ? r->newline : 0; }

void edl_lines_close(edl_lines *r) {
    if (!r) return;
    if (r->owned) close(r->fd);
    free(r->buf);
    free(r);
}
