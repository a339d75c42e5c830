/* Floats as text, fast: what the text writers (.vec rows, ratings) print a value with. */
#ifndef EDL__COMMON_FLOAT_TEXT_H
#define EDL__COMMON_FLOAT_TEXT_H

#include <stddef.h>

/* The bytes snprintf(out, 16, "%.9g", (double)x) writes in the C locale (nine significant
   digits: every float reads back to the same bits; the decimal point a '.' whatever the locale),
   with its NUL; returns their count without it (at most 15). */
size_t edl__float_g9(char *out, float x);

#endif
