/* File helpers. Not installed. */
#ifndef EDL__FILE_H
#define EDL__FILE_H

#include "common/internal.h"

#include <stdio.h>

/* Writes the file's whole content to f; returns EDL_OK or an error (already described). */
typedef edl_status (*edl__writer_fn)(FILE *f, void *ctx);

/* Writes path atomically with write(f, ctx): the old file stays whole on any failure. */
edl_status edl__write_atomic(const char *path, edl__writer_fn write, void *ctx);

/* Opens path for reading ("-": standard input). A path that cannot be opened or is a directory
   fails naming it and the reason ("Is a directory"); close with edl__close_read. */
edl_status edl__open_read(const char *path, FILE **f);
void edl__close_read(FILE *f); /* leaves standard input open */

/* Reads a whole file ("-": standard input) into a malloc'd buffer. */
edl_status edl__read_all(const char *path, char **out, size_t *len);

#endif
