/* The one mapping of files. See map.h. */
#define _GNU_SOURCE /* fstatfs, MAP_NORESERVE, O_TMPFILE */
#include "io/map.h"

#include "common/lines.h"
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static edl_status map_err(const char *what, const char *path, int err) {
    return edl__fail(EDL_ERR_IO, "%s: %s: %s", path, what, strerror(err));
}

/* File systems where another machine may change the file under a mapping, or where mapping is
   slow or unsupported: NFS, SMB/CIFS, FUSE (sshfs, ...), 9p, Ceph, AFS, Coda. Read there. */
static int on_network_fs(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return 1;
    const unsigned long t = (unsigned long)fs.f_type;
    return t == 0x6969UL || t == 0x517BUL || t == 0xFF534D42UL || t == 0xFE534D42UL || t == 0x65735546UL ||
           t == 0x01021997UL || t == 0x00C36400UL || t == 0x5346414FUL || t == 0x73757245UL;
}

static int mapping_allowed(void) {
    const char *e = getenv("EDL_MMAP");
    return !(e && !strcmp(e, "0"));
}

/* Reads fd whole; size_hint: the size of a regular file (one allocation), else 0. */
static edl_status read_fd(edl__map *m, int fd, const char *path, size_t size_hint) {
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        edl_status s = map_err("cannot read", path, errno);
        close(fd);
        return s;
    }
    size_t cap = size_hint < SIZE_MAX - 1 ? size_hint + 1 : 1 << 16, n = 0;
    char *buf = NULL;
    if (posix_memalign((void **)&buf, 64, cap) != 0) buf = NULL;
    edl_status s = buf ? EDL_OK : edl__fail(EDL_ERR_NOMEM, "%s: no memory", path);
    while (s == EDL_OK) {
        if (n == cap) {
            void *nb = NULL;
            if (cap > SIZE_MAX / 2 || posix_memalign(&nb, 64, cap * 2) != 0) nb = NULL;
            if (!nb) {
                s = edl__fail(EDL_ERR_NOMEM, "%s: no memory past %zu bytes", path, n);
                break;
            }
            memcpy(nb, buf, n);
            free(buf);
            buf = nb, cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) s = edl__fail(EDL_ERR_IO, "%s: read error at byte %zu: %s", path, n, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (s != EDL_OK) {
        free(buf);
        return s;
    }
    m->data = buf, m->size = n, m->kind = EDL__MAP_READ;
    return EDL_OK;
}

/* lazy: a regular file that is not mapped stays open (EDL__MAP_FD) instead of being read whole */
static edl_status map_open(edl__map *m, const char *path, int lazy) {
    memset(m, 0, sizeof *m);
    m->fd = -1;
    if (path && !strcmp(path, "-")) { /* standard input: read (it stays open) */
        char *buf;
        size_t len;
        EDL__TRY(edl__read_all(path, &buf, &len));
        m->data = buf, m->size = len, m->kind = EDL__MAP_READ;
        return EDL_OK;
    }
    int fd;
    EDL__TRY(edl__open_input(path, &fd));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        edl_status s = map_err("cannot stat", path, errno);
        close(fd);
        return s;
    }
    if (lazy && S_ISREG(sb.st_mode) && (on_network_fs(fd) || !mapping_allowed())) {
        m->fd = fd, m->size = (size_t)sb.st_size, m->kind = EDL__MAP_FD;
        return EDL_OK;
    }
    if (!S_ISREG(sb.st_mode) || on_network_fs(fd) || !mapping_allowed())
        return read_fd(m, fd, path, S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < SIZE_MAX ? (size_t)sb.st_size : 0);
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return edl__fail(EDL_ERR_NOMEM, "%s: %llu bytes do not fit in memory's address space", path,
                         (unsigned long long)sb.st_size);
    }
    m->size = (size_t)sb.st_size;
    if (m->size == 0) {
        close(fd);
        return EDL_OK;
    }
    void *p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
    int err = errno;
    close(fd); /* the mapping keeps the file */
    if (p == MAP_FAILED) {
        m->size = 0;
        return map_err("cannot map", path, err);
    }
    m->data = p, m->kind = EDL__MAP_PRIVATE;
    return EDL_OK;
}

edl_status edl__map_open(edl__map *m, const char *path) { return map_open(m, path, 1); }
edl_status edl__map_load(edl__map *m, const char *path) { return map_open(m, path, 0); }

edl_status edl__map_read_at(const edl__map *m, uint64_t off, void *dst, size_t n, const char *path) {
    if (off > m->size || n > m->size - off)
        return edl__fail(EDL_ERR_IO, "%s: bytes %llu + %zu are past the end (%zu bytes)", path, (unsigned long long)off,
                         n, m->size);
    if (m->kind != EDL__MAP_FD) {
        if (n) memcpy(dst, (const char *)m->data + off, n);
        return EDL_OK;
    }
    for (size_t done = 0; done < n;) {
        ssize_t got = pread(m->fd, (char *)dst + done, n - done, (off_t)(off + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return edl__fail(EDL_ERR_IO, "%s: read error at byte %llu: %s", path, (unsigned long long)(off + done),
                             got < 0 ? strerror(errno) : "the file shrank");
        done += (size_t)got;
    }
    return EDL_OK;
}

edl_status edl__map_scratch(edl__map *m, const char *dir, size_t size) {
    memset(m, 0, sizeof *m);
    if (!dir || !*dir) return edl__fail(EDL_ERR_ARG, "edl__map_scratch: the directory is empty");
    if (size == 0) return edl__fail(EDL_ERR_ARG, "%s: a scratch mapping of 0 bytes", dir);
    if ((uint64_t)size > (uint64_t)INT64_MAX) return edl__fail(EDL_ERR_ARG, "%s: %zu bytes is too large", dir, size);
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) { /* no O_TMPFILE here: a named file, unlinked at once */
        size_t n = strlen(dir) + 32;
        char *tmp = malloc(n);
        if (!tmp) return edl__fail(EDL_ERR_NOMEM, "%s: no memory", dir);
        snprintf(tmp, n, "%s/.edl-table-XXXXXX", dir);
        fd = mkostemp(tmp, O_CLOEXEC);
        int err = errno;
        if (fd >= 0) unlink(tmp);
        free(tmp);
        if (fd < 0) return map_err("cannot create a table file in it", dir, err);
    }
    edl_status s = EDL_OK;
    if (ftruncate(fd, (off_t)size) != 0) s = map_err("cannot size a table file in it", dir, errno);
    void *p = MAP_FAILED;
    if (s == EDL_OK) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) s = map_err("cannot map a table file in it", dir, errno);
    }
    if (s != EDL_OK) {
        close(fd);
        return s;
    }
    m->data = p, m->size = size, m->kind = EDL__MAP_SHARED, m->fd = fd; /* fd: for write-back */
    return EDL_OK;
}

edl_status edl__map_zeroed(edl__map *m, size_t size) {
    memset(m, 0, sizeof *m);
    m->fd = -1;
    if (size == 0) size = 1;
    if (size >= (size_t)1 << 20) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu bytes: %s", size, strerror(errno));
        m->data = p, m->size = size, m->kind = EDL__MAP_ANON;
        return EDL_OK;
    }
    size_t padded = (size + 63) / 64 * 64;
    void *p = NULL;
    if (posix_memalign(&p, 64, padded) != 0) p = NULL;
    if (!p) return edl__fail(EDL_ERR_NOMEM, "no memory for %zu bytes", size);
    memset(p, 0, padded);
    m->data = p, m->size = size, m->kind = EDL__MAP_READ;
    return EDL_OK;
}

/* [off, off + len) widened to pages and cut at the mapping's end; 0 when empty. */
static size_t page_span(const edl__map *m, size_t off, size_t len, size_t *a) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = off < m->size && len < m->size - off ? off + len : m->size;
    *a = off / page * page;
    return end > *a ? end - *a : 0;
}

void edl__map_drop(const edl__map *m, size_t off, size_t len) {
    if (m->kind != EDL__MAP_SHARED) return; /* elsewhere dropping a written page would lose it */
    size_t a, n = page_span(m, off, len, &a);
    if (!n) return;
    /* written (not made durable: a table's file is scratch) before its pages leave */
    if (sync_file_range(m->fd, (off_t)a, (off_t)n,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
        msync((char *)m->data + a, n, MS_SYNC);
    madvise((char *)m->data + a, n, MADV_DONTNEED);
}

void edl__map_writeback(const edl__map *m, size_t off, size_t len) {
    if (m->kind != EDL__MAP_SHARED) return;
    size_t a, n = page_span(m, off, len, &a);
    if (n) sync_file_range(m->fd, (off_t)a, (off_t)n, SYNC_FILE_RANGE_WRITE);
}

void edl__map_advise(const edl__map *m, edl__map_access how) {
    if (m->kind != EDL__MAP_SHARED && m->kind != EDL__MAP_PRIVATE) return;
    madvise(m->data, m->size, how == EDL__ACCESS_RANDOM ? MADV_RANDOM : MADV_SEQUENTIAL);
}

void edl__map_close(edl__map *m) {
    if (!m) return;
    if (m->kind == EDL__MAP_FD || m->kind == EDL__MAP_SHARED) close(m->fd);
    if (m->kind == EDL__MAP_PRIVATE || m->kind == EDL__MAP_SHARED || m->kind == EDL__MAP_ANON)
        munmap(m->data, m->size);
    else
        free(m->data);
    memset(m, 0, sizeof *m);
}
