/* The line reader (edl_lines_*): every chunk size from 1 byte up against a plain split of the
 * same bytes (CRLF across chunk boundaries, no final newline, empty lines, NUL bytes, a line far
 * longer than the chunk), line numbers and byte offsets, standard input and pipes (a line is
 * handed out as soon as it has arrived), and the errors (empty path, a missing file, a directory,
 * a read error). */
#include "harness.h"
#include "common/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* A file with these bytes; its path in out (unlink it). */
static int temp_file(char *out, size_t size, const void *data, size_t n) {
    snprintf(out, size, "/tmp/edl-lines-XXXXXX");
    int fd = mkstemp(out);
    if (fd < 0) return -1;
    int ok = write(fd, data, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* Checks r yields the lines of data[0..n) as the reference split does: at '\n', one '\r' before
   it (or before the end) dropped, a final empty piece not a line. */
static void check_lines(edl_lines *r, const char *data, size_t n, const char *what) {
    size_t at = 0, number = 0;
    char *line;
    size_t len;
    for (;;) {
        edl_status s = edl_lines_next(r, &line, &len);
        if (s != EDL_OK) {
            FAILF("%s: line %zu: %s", what, number + 1, edl_last_error());
            return;
        }
        if (at == n) {
            if (line) FAILF("%s: a line after the end", what);
            CHECK(len == 0);
            s = edl_lines_next(r, &line, &len); /* the end stays the end */
            CHECK(s == EDL_OK && !line);
            return;
        }
        if (!line) {
            FAILF("%s: the end at byte %zu of %zu", what, at, n);
            return;
        }
        const char *nl = memchr(data + at, '\n', n - at);
        size_t stop = nl ? (size_t)(nl - data) : n, want = stop - at;
        if (want && data[stop - 1] == '\r') want--;
        number++;
        if (len != want || memcmp(line, data + at, want) || line[len] != '\0') {
            FAILF("%s: line %zu: %zu bytes, want %zu", what, number, len, want);
            return;
        }
        if (edl_lines_number(r) != number || edl_lines_offset(r) != at || edl_lines_newline(r) != (nl != NULL)) {
            FAILF("%s: line %zu: number %zu, offset %llu, newline %d; want offset %zu, newline %d", what, number,
                  edl_lines_number(r), (unsigned long long)edl_lines_offset(r), edl_lines_newline(r), at, nl != NULL);
            return;
        }
        line[0] = 'X'; /* the line is the caller's to write */
        at = nl ? stop + 1 : n;
    }
}

static void check_file_chunks(const char *data, size_t n) {
    char path[64];
    if (temp_file(path, sizeof path, data, n) != 0) {
        FAILF("cannot write a temporary file");
        return;
    }
    static const size_t chunks[] = {1, 2, 3, 4, 5, 7, 8, 13, 64, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        edl_lines *r = NULL;
        CHECK_OK(edl_lines_open(&r, path));
        if (!r) break;
        if (chunks[c]) CHECK_OK(edl__lines_set_chunk(r, chunks[c]));
        char what[64];
        snprintf(what, sizeof what, "chunk %zu", chunks[c]);
        check_lines(r, data, n, what);
        edl_lines_close(r);
    }
    unlink(path);
}

TEST(lines_every_chunk_size) {
    static const struct {
        const char *s;
        size_t n;
    } cases[] = {
        {"", 0},
        {"\n", 1},
        {"\n\n\n", 3},
        {"a", 1},
        {"a\n", 2},
        {"abc\ndef\nghi", 11},
        {"abc\r\ndef\r\n", 10},
        {"ab\r\n\r\ncd\r", 10}, /* an empty CRLF line; a '\r' ending the input */
        {"\r\n", 2},
        {"\r", 1},
        {"a\r\rb\r\r\n", 7}, /* only the '\r' before the newline goes */
        {"x\ry\n", 4},       /* a '\r' inside a line stays */
        {"nul\0byte\n\0\n", 11},
        {"one two three four five six seven eight nine ten\neleven\n\nlast line without newline", 82},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_file_chunks(cases[i].s, cases[i].n);
}

TEST(lines_crlf_at_every_chunk_boundary) {
    /* "\r\n" at every position relative to chunk boundaries of 1..9 bytes */
    char data[256];
    size_t n = 0;
    for (int k = 0; k < 12; k++) {
        for (int j = 0; j < k; j++) data[n++] = (char)('a' + j);
        data[n++] = '\r', data[n++] = '\n';
    }
    check_file_chunks(data, n);
}

TEST(lines_long_line_grows_the_buffer) {
    size_t n = 3 * 1000 * 1000 + 7;
    char *data = malloc(n);
    CHECK(data != NULL);
    if (!data) return;
    for (size_t i = 0; i < n; i++) data[i] = (char)('a' + i % 26);
    data[5] = '\n'; /* a short line, then one of ~2 MB, then one of ~1 MB */
    data[2000000] = '\r', data[2000001] = '\n';
    char path[64];
    CHECK(temp_file(path, sizeof path, data, n) == 0);
    edl_lines *r;
    CHECK_OK(edl_lines_open(&r, path));
    check_lines(r, data, n, "default chunk");
    edl_lines_close(r);
    CHECK_OK(edl_lines_open(&r, path));
    CHECK_OK(edl__lines_set_chunk(r, 16));
    check_lines(r, data, n, "chunk 16");
    edl_lines_close(r);
    unlink(path);
    free(data);
}

TEST(lines_numbers_and_offsets) {
    const char data[] = "first\r\n\nthird line\nlast";
    char path[64];
    CHECK(temp_file(path, sizeof path, data, sizeof data - 1) == 0);
    edl_lines *r;
    CHECK_OK(edl_lines_open(&r, path));
    CHECK(edl_lines_number(r) == 0);
    char *line;
    size_t len;
    static const char *const want[] = {"first", "", "third line", "last"};
    static const uint64_t off[] = {0, 7, 8, 19};
    for (int i = 0; i < 4; i++) {
        CHECK_OK(edl_lines_next(r, &line, &len));
        CHECK(line && len == strlen(want[i]) && !strcmp(line, want[i]));
        CHECK(edl_lines_number(r) == (size_t)i + 1);
        CHECK(edl_lines_offset(r) == off[i]);
        CHECK(edl_lines_newline(r) == (i < 3));
    }
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK(line == NULL && len == 0);
    CHECK(edl_lines_number(r) == 4);
    edl_lines_close(r);
    edl_lines_close(NULL);
    unlink(path);
}

TEST(lines_stdin_and_pipes) {
    int p[2];
    CHECK(pipe(p) == 0);
    /* standard input: "-" reads descriptor 0 and leaves it open */
    const char data[] = "alpha\r\nbeta\ngamma";
    CHECK(write(p[1], data, sizeof data - 1) == (ssize_t)(sizeof data - 1));
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    CHECK(saved >= 0 && dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
    close(p[0]);
    edl_lines *r;
    CHECK_OK(edl_lines_open(&r, "-"));
    CHECK_OK(edl__lines_set_chunk(r, 4));
    check_lines(r, data, sizeof data - 1, "stdin");
    edl_lines_close(r);
    CHECK(fcntl(STDIN_FILENO, F_GETFD) != -1); /* still open */
    CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
    close(saved);

    /* a pipe whose writer has not finished: each complete line is handed out at once (a reader
       that waited for a whole chunk would meet EAGAIN here, not block) */
    CHECK(pipe(p) == 0);
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
    CHECK(write(p[1], "one\ntw", 6) == 6);
    CHECK_OK(edl_lines_from_fd(&r, p[0], "pipe"));
    char *line;
    size_t len;
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK(line && !strcmp(line, "one"));
    CHECK(write(p[1], "o\r\nthree", 8) == 8);
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK(line && !strcmp(line, "two") && len == 3);
    close(p[1]);
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK(line && !strcmp(line, "three") && !edl_lines_newline(r));
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK(line == NULL);
    edl_lines_close(r);
    CHECK(fcntl(p[0], F_GETFD) != -1); /* a borrowed descriptor stays open */
    close(p[0]);
}

TEST(lines_errors_name_the_input) {
    edl_lines *r = (edl_lines *)1;
    CHECK_STATUS(edl_lines_open(&r, ""), EDL_ERR_ARG);
    CHECK(r == NULL);
    CHECK_ERROR_HAS("the input path is empty");
    CHECK_STATUS(edl_lines_open(&r, NULL), EDL_ERR_ARG);
    CHECK_STATUS(edl_lines_open(NULL, "x"), EDL_ERR_ARG);
    CHECK_STATUS(edl_lines_open(&r, "/nonexistent/edl-lines"), EDL_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent/edl-lines: cannot open: No such file or directory");
    CHECK_STATUS(edl_lines_open(&r, "/tmp"), EDL_ERR_IO);
    CHECK_ERROR_HAS("/tmp: cannot read it: Is a directory");
    CHECK_STATUS(edl_lines_from_fd(&r, -1, "x"), EDL_ERR_ARG);
    CHECK_STATUS(edl_lines_from_fd(&r, 0, NULL), EDL_ERR_ARG);
    char *line = (char *)"";
    size_t len = 1;
    CHECK_STATUS(edl_lines_next(NULL, &line, &len), EDL_ERR_ARG);

    /* a read error: a directory's descriptor reads EISDIR */
    int fd = open("/tmp", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_OK(edl_lines_from_fd(&r, fd, "<dir>"));
    CHECK_STATUS(edl_lines_next(r, &line, &len), EDL_ERR_IO);
    CHECK(errno == EISDIR);
    CHECK(line == NULL);
    CHECK_ERROR_HAS("<dir>: read error after line 0: Is a directory");
    CHECK_STATUS(edl__lines_set_chunk(r, 0), EDL_ERR_ARG);
    edl_lines_close(r);
    close(fd);

    /* the chunk size is set only while nothing is buffered */
    char path[64];
    CHECK(temp_file(path, sizeof path, "a\nb\n", 4) == 0);
    CHECK_OK(edl_lines_open(&r, path));
    CHECK_OK(edl_lines_next(r, &line, &len));
    CHECK_STATUS(edl__lines_set_chunk(r, 8), EDL_ERR_ARG);
    edl_lines_close(r);
    unlink(path);
}
