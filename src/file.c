/* Atomic file writes: a temporary file in the target's directory, fsync, rename over the
 * target, fsync of the directory. A crash at any point leaves the old file or the new one. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static edl_status io_err(const char *what, const char *path, int err) {
    char msg[128];
    if (strerror_r(err, msg, sizeof msg) != 0) snprintf(msg, sizeof msg, "errno %d", err);
    return edl__fail(EDL_ERR_IO, "%s: %s: %s", path, what, msg);
}

edl_status edl__write_atomic(const char *path, edl__writer_fn write, void *ctx) {
    if (!path || !*path) return edl__fail(EDL_ERR_ARG, "write: the path is empty");
    /* a symbolic link is written through: the file it names is replaced, the link stays */
    char *real = NULL;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        real = realpath(path, NULL);
        if (!real) return io_err("cannot follow the symbolic link", path, errno);
        edl_status rs = edl__write_atomic(real, write, ctx);
        free(real);
        return rs;
    }
    /* an existing file keeps its permissions */
    int keep_mode = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 64);
    char *dir = malloc(plen + 2);
    if (!tmp || !dir) {
        free(tmp), free(dir);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for a temporary name", path);
    }
    /* the directory, to fsync it after the rename */
    const char *slash = strrchr(path, '/');
    if (slash == path) strcpy(dir, "/");
    else if (slash) memcpy(dir, path, (size_t)(slash - path)), dir[slash - path] = '\0';
    else strcpy(dir, ".");

    edl_status s = EDL_OK;
    /* A fresh name beside the target, created exclusively with mode 0666 so the umask gives the
       file the permissions any new file of the user's gets. */
    int fd = -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)tmp;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(tmp, plen + 64, "%s.tmp.%ld.%08x", path, (long)getpid(), (unsigned)(r >> 32));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        s = io_err("cannot create a temporary file beside it", path, errno);
        free(tmp), free(dir);
        return s;
    }
    if (keep_mode) (void)fchmod(fd, st.st_mode & 07777); /* best effort: e.g. another owner's file */
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        s = io_err("fdopen", tmp, errno);
        close(fd);
        unlink(tmp);
        free(tmp), free(dir);
        return s;
    }
    s = write(f, ctx);
    if (s == EDL_OK && fflush(f) != 0) s = io_err("write", tmp, errno);
    if (s == EDL_OK && fsync(fd) != 0) s = io_err("fsync", tmp, errno);
    if (fclose(f) != 0 && s == EDL_OK) s = io_err("close", tmp, errno);
    if (s == EDL_OK && rename(tmp, path) != 0) s = io_err("rename", path, errno);
    if (s != EDL_OK) {
        unlink(tmp);
    } else {
        int dfd = open(dir, O_RDONLY);
        if (dfd >= 0) {
            if (fsync(dfd) != 0 && errno != EINVAL) s = io_err("fsync of the directory", dir, errno);
            close(dfd);
        }
    }
    free(tmp), free(dir);
    return s;
}

/* Reads a whole file (or standard input) into memory. */
edl_status edl__read_all(const char *path, char **out, size_t *len) {
    int is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return edl__fail(EDL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    edl_status s = buf ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    while (s == EDL_OK) {
        if (n == cap) {
            char *nb = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                s = edl__fail(EDL_ERR_NOMEM, "%s: no memory past %zu bytes", path, n);
                break;
            }
            buf = nb, cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) s = edl__fail(EDL_ERR_IO, "%s: read error at byte %zu", path, n);
            break;
        }
    }
    if (!is_stdin) fclose(f);
    if (s != EDL_OK) {
        free(buf);
        return s;
    }
    *out = buf, *len = n;
    return EDL_OK;
}

