/* File helpers. Not installed. */
#ifndef EDL_FILE_H
#define EDL_FILE_H

#include "internal.h"

#include <stdio.h>

/* Writes the file's whole content to f; returns EDL_OK or an error (already described). */
typedef edl_status (*edl__writer_fn)(FILE *f, void *ctx);

/* Writes path atomically with write(f, ctx): the old file stays whole on any failure. */
edl_status edl__write_atomic(const char *path, edl__writer_fn write, void *ctx);

/* Reads a whole file ("-": standard input) into a malloc'd buffer. */
edl_status edl__read_all(const char *path, char **out, size_t *len);

#endif
