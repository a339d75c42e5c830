/* The line reader (declared in edl.h: edl_lines_*) and what only tests use of it. Not installed. */
#ifndef EDL__LINES_H
#define EDL__LINES_H

#include "common/internal.h"

/* The bytes each read asks for (64 KiB unless set): the buffer holds that much plus a line that
   is longer. Tests set tiny sizes to cross chunk boundaries everywhere. Only while nothing read
   is buffered (before the first line, say). */
edl_status edl__lines_set_chunk(edl_lines *r, size_t bytes);

#endif
