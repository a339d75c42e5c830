/* The line reader (declared in edl.h: edl_lines_*) and what only tests use of it. Not installed. */
#ifndef EDL__LINES_H
#define EDL__LINES_H

#include "common/internal.h"

/* The bytes each read asks for (64 KiB unless set): the buffer holds that much plus a line that
   is longer. Tests set tiny sizes to cross chunk boundaries everywhere. Only while nothing read
   is buffered (before the first line, say). */
edl_status edl__lines_set_chunk(edl_lines *r, size_t bytes);

/* How the trainers open their input: path, or "-" for standard input (named "<stdin>" in
   messages); reads of chunk bytes (0: the default 64 KiB). */
edl_status edl__lines_input(edl_lines **r, const char *path, size_t chunk);

/* Makes r (a regular file, nothing read yet) hand out only share `part` of `parts`: the lines
   whose first byte lies in [size*part/parts, size*(part+1)/parts), so the shares of every part
   are the file's lines, each once, in order. How each rank of a run reads only its part of the
   input. Line numbers (edl_lines_number) stay the file's; offsets too. */
edl_status edl__lines_set_share(edl_lines *r, size_t part, size_t parts);

/* The one way an input is opened (the line reader, io/file.c's readers): "-" is standard input
   (left open by its readers); an empty path, a file that cannot be opened and a directory are
   refused naming the path and the reason ("Is a directory"). */
edl_status edl__open_input(const char *path, int *fd);

#endif
