/* The UTF-8 decoder (common/utf8.h) against a reference written from the bits (RFC 3629: a
 * sequence is valid when it is the shortest encoding of a scalar value), on every input of up to
 * three bytes and every lead and second byte of four; encode and decode round trips on every
 * scalar value. */
#include "harness.h"
#include "common/utf8.h"

/* The reference: the length of the valid sequence at s[0..n), or 0. */
static size_t ref_len(const unsigned char *s, size_t n, uint32_t *cp) {
    if (n == 0) return 0;
    size_t k = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (k == 0 || n < k) return 0;
    uint32_t v = k == 1 ? s[0] : s[0] & (0x7Fu >> k);
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3Fu);
    }
    size_t shortest = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
    if (shortest != k || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return k;
}

static size_t mismatches;
static void check_one(const unsigned char *s, size_t n) {
    uint32_t a = 0xFFFFFFFF, b = 0xFFFFFFFF;
    size_t ka = edl__utf8_decode(s, n, &a), kb = ref_len(s, n, &b);
    if (ka != kb || (ka && a != b)) {
        if (mismatches++ < 5)
            FAILF("bytes %02X %02X %02X %02X (n %zu): decode %zu U+%04X, reference %zu U+%04X", s[0], n > 1 ? s[1] : 0,
                  n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, ka, (unsigned)a, kb, (unsigned)b);
    }
    if (edl__utf8_decode(s, n, NULL) != ka && mismatches++ < 5) FAILF("decode with cp NULL differs");
}

TEST(utf8_decode_matches_the_reference) {
    unsigned char s[4];
    mismatches = 0;
    for (uint32_t x = 0; x < 1u << 24; x++) {
        s[0] = (unsigned char)(x >> 16), s[1] = (unsigned char)(x >> 8), s[2] = (unsigned char)x, s[3] = 0x80;
        check_one(s, 3);
        if ((x & 0xFF) == 0x80) check_one(s, 2), check_one(s, 1), check_one(s, 0); /* cut short */
    }
    static const unsigned char lasts[] = {0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF};
    for (uint32_t x = 0; x < 1u << 16; x++)
        for (size_t j = 0; j < sizeof lasts; j++)
            for (unsigned lead = 0xF0; lead <= 0xFF; lead++) {
                s[0] = (unsigned char)lead, s[1] = (unsigned char)(x >> 8), s[2] = (unsigned char)x, s[3] = lasts[j];
                check_one(s, 4);
            }
    CHECK(mismatches == 0);
}

TEST(utf8_examples) {
    uint32_t cp;
    CHECK(edl__utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp) == 4 && cp == 0x1F600);
    CHECK(edl__utf8_decode((const unsigned char *)"\xF4\x8F\xBF\xBF", 4, &cp) == 4 && cp == 0x10FFFF);
    CHECK(edl__utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp) == 0); /* past U+10FFFF */
    CHECK(edl__utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp) == 0);     /* a surrogate */
    CHECK(edl__utf8_decode((const unsigned char *)"\xC0\x80", 2, &cp) == 0);         /* an overlong NUL */
    CHECK(edl__utf8_decode((const unsigned char *)"\xE0\x80\xAF", 3, &cp) == 0);     /* an overlong '/' */
    CHECK(edl__utf8_decode((const unsigned char *)"\xE2\x82\xAC", 2, &cp) == 0);     /* cut short */
    CHECK(edl__utf8_decode((const unsigned char *)"\x80", 1, &cp) == 0);             /* a continuation */
    CHECK(edl__utf8_decode((const unsigned char *)"", 1, &cp) == 1 && cp == 0);      /* NUL is a character */
    CHECK(edl__utf8_decode((const unsigned char *)"a", 0, &cp) == 0);
    CHECK(edl__utf8_valid("caf\xC3\xA9 \xE2\x82\xAC", 9));
    CHECK(!edl__utf8_valid("caf\xE9", 4));
    CHECK(edl__utf8_valid("", 0));
}

TEST(utf8_encode_round_trip) {
    size_t bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        char o[4];
        uint32_t back = 0xFFFFFFFF;
        size_t k = edl__utf8_encode(o, cp);
        if (edl__utf8_decode((const unsigned char *)o, k, &back) != k || back != cp || !edl__utf8_valid(o, k))
            if (bad++ < 5) FAILF("U+%04X does not round-trip", (unsigned)cp);
    }
    CHECK(bad == 0);
}
