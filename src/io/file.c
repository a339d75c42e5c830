/* Writing files. A regular file is replaced atomically: its bytes go to a new file in the same
 * directory, fsync, rename over the target, fsync of the directory, so a crash at any point leaves
 * the old file or the new one. The new file has no name while it is written (Linux's O_TMPFILE):
 * a process killed or interrupted mid-save (SIGKILL, Ctrl-C) leaves nothing behind. It is given a
 * name only for the instant between linkat and rename, with this thread's signals held. Where the
 * file system has no O_TMPFILE, a named temporary file stands in for it.
 * A target that exists and is not a regular file (a device such as /dev/null, a FIFO, a
 * terminal) is written in place, never replaced; a directory is refused. */
#define _GNU_SOURCE /* O_TMPFILE, realpath */
#include "io/file.h"
#include "common/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static edl_status io_err(const char *what, const char *path, int err) {
    char buf[128];
    /* _GNU_SOURCE gives GNU's strerror_r, which returns the message (maybe not in buf) */
    const char *msg = strerror_r(err, buf, sizeof buf);
    return edl__fail(EDL_ERR_IO, "%s: %s: %s", path, what, msg ? msg : "unknown error");
}

/* The directory of path, to create beside it and to fsync after the rename (malloc'd). */
static char *dir_of(const char *path) {
    size_t plen = strlen(path);
    char *dir = malloc(plen + 2);
    if (!dir) return NULL;
    const char *slash = strrchr(path, '/');
    if (slash == path)
        strcpy(dir, "/");
    else if (slash)
        memcpy(dir, path, (size_t)(slash - path)), dir[slash - path] = '\0';
    else
        strcpy(dir, ".");
    return dir;
}

/* Runs write(f, ctx) on fd and flushes; closes fd. */
static edl_status write_fd(int fd, const char *path, edl__writer_fn write, void *ctx, int sync) {
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        edl_status s = io_err("fdopen", path, errno);
        close(fd);
        return s;
    }
    edl_status s = write(f, ctx);
    if (s == EDL_OK && fflush(f) != 0) s = io_err("write", path, errno);
    /* devices and FIFOs may not sync (EINVAL): that is no failure of the write */
    if (s == EDL_OK && sync && fsync(fd) != 0 && (sync > 1 || (errno != EINVAL && errno != EROFS && errno != ENOTSUP)))
        s = io_err("fsync", path, errno);
    if (fclose(f) != 0 && s == EDL_OK) s = io_err("close", path, errno);
    return s;
}

/* A device, FIFO or socket: opened for writing as it is (no O_CREAT, no O_TRUNC). */
static edl_status write_in_place(const char *path, edl__writer_fn write, void *ctx) {
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return io_err("cannot open it for writing", path, errno);
    return write_fd(fd, path, write, ctx, 1);
}

/* A fresh temporary name beside path: path.tmp.PID.XXXXXXXX. */
static void temp_name(char *tmp, size_t size, const char *path, uint64_t *r) {
    *r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
    snprintf(tmp, size, "%s.tmp.%ld.%08x", path, (long)getpid(), (unsigned)(*r >> 32));
}

#ifdef O_TMPFILE
/* Gives the unnamed file fd the name tmp (a name that does not exist). */
static int link_tmpfile(int fd, const char *tmp) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) return 0;
    return linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH); /* no /proc: needs CAP_DAC_READ_SEARCH */
}
#endif

static edl_status replace_regular(const char *path, const struct stat *old, edl__writer_fn write, void *ctx) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 64), *dir = dir_of(path);
    if (!tmp || !dir) {
        free(tmp), free(dir);
        return edl__fail(EDL_ERR_NOMEM, "%s: no memory for a temporary name", path);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)tmp;
    edl_status s = EDL_OK;
    int fd = -1, named = 0;
#ifdef O_TMPFILE
    /* mode 0666: the umask gives the file the permissions any new file of the user's gets */
    fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
#endif
    if (fd < 0) { /* no O_TMPFILE here: a name created exclusively */
        named = 1;
        for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
            temp_name(tmp, plen + 64, path, &r);
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd < 0 && errno != EEXIST) break;
        }
        if (fd < 0) {
            s = io_err("cannot create a temporary file beside it", path, errno);
            free(tmp), free(dir);
            return s;
        }
    }
    if (old) (void)fchmod(fd, old->st_mode & 07777); /* best effort: e.g. another owner's file */
    int keep = dup(fd); /* write_fd closes fd; the unnamed file is linked through this one */
    if (keep < 0)
        s = io_err("dup", path, errno), close(fd);
    else
        s = write_fd(fd, named ? tmp : path, write, ctx, 2);
    /* name the file and move it over the target with this thread's interrupts (SIGINT, SIGTERM,
       SIGHUP, SIGQUIT) held: one arriving now is handled after the rename, when no temporary
       name is left */
    sigset_t stop, was;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT), sigaddset(&stop, SIGTERM), sigaddset(&stop, SIGHUP), sigaddset(&stop, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &stop, &was);
#ifdef O_TMPFILE
    if (s == EDL_OK && !named) {
        int linked = -1;
        for (int attempt = 0; attempt < 100 && linked != 0; attempt++) {
            temp_name(tmp, plen + 64, path, &r);
            linked = link_tmpfile(keep, tmp);
            if (linked != 0 && errno != EEXIST) break;
        }
        if (linked != 0)
            s = io_err("cannot name the new file beside it", path, errno);
        else
            named = 1;
    }
#endif
    if (s == EDL_OK && rename(tmp, path) != 0) s = io_err("rename", path, errno);
    if (s != EDL_OK && named) unlink(tmp);
    pthread_sigmask(SIG_SETMASK, &was, NULL);
    if (keep >= 0) close(keep);
    if (s == EDL_OK) {
        int dfd = open(dir, O_RDONLY | O_CLOEXEC);
        if (dfd >= 0) {
            if (fsync(dfd) != 0 && errno != EINVAL) s = io_err("fsync of the directory", dir, errno);
            close(dfd);
        }
    }
    free(tmp), free(dir);
    return s;
}

edl_status edl__write_atomic(const char *path, edl__writer_fn write, void *ctx) {
    if (!path || !*path) return edl__fail(EDL_ERR_ARG, "write: the path is empty");
    struct stat st, lst;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) return edl__fail(EDL_ERR_IO, "%s: is a directory, not a file to write", path);
    if (exists && !S_ISREG(st.st_mode)) return write_in_place(path, write, ctx);
    /* a symbolic link is written through: the file it names is replaced, the link stays */
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        char *real = realpath(path, NULL);
        if (!real) return io_err("cannot follow the symbolic link", path, errno);
        edl_status rs = edl__write_atomic(real, write, ctx);
        free(real);
        return rs;
    }
    if (path[strlen(path) - 1] == '/') return edl__fail(EDL_ERR_IO, "%s: names a directory, not a file to write", path);
    return replace_regular(path, exists ? &st : NULL, write, ctx);
}

edl_status edl_check_output(const char *path) {
    if (!path || !*path) return edl__fail(EDL_ERR_ARG, "edl_check_output: the path is empty");
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return edl__fail(EDL_ERR_IO, "%s: is a directory, not a file to write", path);
        if (!S_ISREG(st.st_mode)) return access(path, W_OK) == 0 ? EDL_OK : io_err("cannot write it", path, errno);
    } else if (errno != ENOENT) {
        return io_err("cannot write it", path, errno);
    }
    if (path[strlen(path) - 1] == '/') return edl__fail(EDL_ERR_IO, "%s: names a directory, not a file to write", path);
    /* the directory takes a new file: made and removed, as a save would make its own */
    char *real = NULL;
    struct stat lst;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && !(real = realpath(path, NULL)))
        return io_err("cannot follow the symbolic link", path, errno);
    const char *target = real ? real : path;
    char *dir = dir_of(target), *tmp = malloc(strlen(target) + 64);
    edl_status s = EDL_OK;
    if (!dir || !tmp) s = edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    int fd = -1;
#ifdef O_TMPFILE
    if (s == EDL_OK) fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
#endif
    if (s == EDL_OK && fd < 0) {
        struct stat dst;
        if (stat(dir, &dst) != 0)
            s = io_err("its directory does not exist", path, errno);
        else if (!S_ISDIR(dst.st_mode))
            s = io_err("its directory is not a directory", path, ENOTDIR);
    }
    if (s == EDL_OK && fd < 0) {
        uint64_t r = (uint64_t)(uintptr_t)tmp ^ (uint64_t)getpid() << 32;
        for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
            temp_name(tmp, strlen(target) + 64, target, &r);
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST) break;
        }
        if (fd < 0)
            s = io_err("cannot create a file beside it", path, errno);
        else
            unlink(tmp);
    }
    if (fd >= 0) close(fd);
    free(dir), free(tmp), free(real);
    return s;
}

edl_status edl__open_read(const char *path, FILE **out) {
    *out = NULL;
    int fd;
    EDL__TRY(edl__open_input(path, &fd));
    if (fd == STDIN_FILENO && !strcmp(path, "-")) return *out = stdin, EDL_OK;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        edl_status s = io_err("cannot open", path, errno);
        close(fd);
        return s;
    }
    *out = f;
    return EDL_OK;
}

void edl__close_read(FILE *f) {
    if (f && f != stdin) fclose(f);
}

/* Reads a whole file (or standard input) into memory. */
edl_status edl__read_all(const char *path, char **out, size_t *len) {
    FILE *f;
    EDL__TRY(edl__open_read(path, &f));
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
            if (ferror(f)) {
                char what[64];
                snprintf(what, sizeof what, "read error at byte %zu", n);
                s = io_err(what, path, errno);
            }
            break;
        }
    }
    edl__close_read(f);
    if (s != EDL_OK) {
        free(buf);
        return s;
    }
    *out = buf, *len = n;
    return EDL_OK;
}
