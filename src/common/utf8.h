/* The one UTF-8 decoder (JSON strings, ratings files, SVG text). Not installed. */
#ifndef EDL__UTF8_H
#define EDL__UTF8_H

#include "common/internal.h"

/* Decodes the character at s, of which n bytes are readable: its length (1 to 4) with its code
   point in *cp (cp may be NULL), or 0 when the bytes there are not valid UTF-8: a continuation
   byte first, a lead byte C0, C1 or F5..FF, a sequence cut short by n or by a byte that does not
   continue it, an overlong form, a surrogate (U+D800..U+DFFF), a code point past U+10FFFF. n == 0
   gives 0. A NUL byte is a character of length 1 (callers refuse it where they must). */
size_t edl__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF). */
bool edl__utf8_valid(const char *s, size_t n);

/* Writes code point cp (< 0x110000, not a surrogate) to o as 1 to 4 bytes; returns how many. */
size_t edl__utf8_encode(char *o, uint32_t cp);

#endif
