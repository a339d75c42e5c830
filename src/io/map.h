/* The one mapping of files: a file's bytes for reading (mapped, or read where mapping is unsafe),
 * and a file mapped shared read-write (tables larger than memory). Not installed. */
#ifndef EDL__MAP_H
#define EDL__MAP_H

#include "common/internal.h"

typedef enum {
    EDL__MAP_NONE = 0, /* closed, or an empty file */
    EDL__MAP_READ,     /* read into malloc'd memory (network file systems, EDL_MMAP=0, not a regular file) */
    EDL__MAP_PRIVATE,  /* mapped copy-on-write: writes stay in this process */
    EDL__MAP_SHARED,   /* mapped read-write and shared: writes reach the file */
    EDL__MAP_ANON,     /* anonymous zero pages, given by the kernel as they are first touched */
    EDL__MAP_FD        /* not mapped, not read: the file stays open, edl__map_read_at reads from it */
} edl__map_kind;

typedef struct {
    void *data; /* size bytes; page-aligned when mapped, 64-byte aligned when read */
    size_t size;
    edl__map_kind kind;
    int fd; /* EDL__MAP_FD: the open file; EDL__MAP_SHARED: the file, kept open to write pages back */
} edl__map;

/* The bytes of path (a regular file or "-": standard input, which is read). Mapped
   MAP_PRIVATE when path is a regular file on a local file system, unless the environment holds
   EDL_MMAP=0; a regular file that is not mapped stays open (EDL__MAP_FD: data is NULL, read
   with edl__map_read_at); anything else is read whole. The size is the file's size at open.
   Pages are touched only when read.
   A mapped file that another program truncates in place (edl itself replaces files by rename,
   which leaves a mapping whole) makes a read past its new end raise SIGBUS; the CLI turns that
   into a message and exit status 1 (cli/edl.c), and network file systems, where that is likeliest,
   are read instead. */
edl_status edl__map_open(edl__map *m, const char *path);

/* As edl__map_open, but never EDL__MAP_FD: mapped or read whole (data always set). */
edl_status edl__map_load(edl__map *m, const char *path);

/* n bytes at off of the file into dst (any kind); past the end is an error naming path. */
edl_status edl__map_read_at(const edl__map *m, uint64_t off, void *dst, size_t n, const char *path);

/* A scratch file of size bytes in directory dir, mapped MAP_SHARED read-write and zero: the
   working memory of a table larger than RAM. The file has no name (O_TMPFILE, else a named
   temporary file removed at once), so nothing is left behind when the process ends, killed or
   not; its pages are written to dir's disk when memory is short, and cost disk only where they
   were written (the file is sparse). */
edl_status edl__map_scratch(edl__map *m, const char *dir, size_t size);

/* size bytes of zeroed, 64-byte aligned memory: anonymous pages (untouched pages cost nothing)
   from 1 MiB, else the heap. A parameter block, a hashed table of which few rows are used. */
edl_status edl__map_zeroed(edl__map *m, size_t size);

/* A shared mapping's pages of [off, off + len) are written back and leave this process's memory
   (the file keeps them); a no-op for other kinds. */
void edl__map_drop(const edl__map *m, size_t off, size_t len);
/* Starts writing a shared mapping's dirty pages of [off, off + len) to the file and returns at
   once (edl__map_drop later waits for them): filling a table overlaps its writing. A no-op for
   other kinds. */
void edl__map_writeback(const edl__map *m, size_t off, size_t len);

/* How a mapping will be read: rows at random (no read-ahead: a fault reads one page, not the
   next 128 KiB that a random row will not use) or in order (read-ahead doubled). Advice only;
   a no-op for memory that is not mapped. */
typedef enum { EDL__ACCESS_RANDOM = 0, EDL__ACCESS_SEQUENTIAL } edl__map_access;
void edl__map_advise(const edl__map *m, edl__map_access how);

/* Unmaps or frees; a zeroed or closed map is a no-op. */
void edl__map_close(edl__map *m);

#endif
