/* A float's nine significant digits, exactly as glibc's printf("%.9g") prints them, without its
 * cost: formatting a .vec file's numbers with snprintf took more than half of `edl supervised`
 * on the bundled data (bench/float_text.c measures the two, and checks every float).
 *
 * |x| = m 2^e exactly (m < 2^24), so |x| 10^q = m 10^q 2^e is an integer times a power of two
 * (q >= 0) or m 2^e over a power of ten (q < 0): in 128-bit integers both are exact for every
 * float from 1e-23 up, and so is the rounding of their ninth digit, to nearest, ties to even, as
 * printf rounds. The rest (smaller, subnormal, infinite, NaN) goes to snprintf itself.
 */
#include "common/float_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* snprintf's, with a '.' whatever the locale's decimal point (an app may have set one: a file's
   numbers must not change with it, and the fast path always writes '.'). */
static size_t by_printf(char *out, float x) {
    int n = snprintf(out, 16, "%.9g", (double)x);
    for (char *c = out; n > 0 && *c; c++)
        if (*c == ',') *c = '.';
    return n > 0 ? (size_t)n : 0;
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

static u128 pow10_u128(int q) { /* q in [0, 38] */
    u128 p = 1;
    for (; q >= 19; q -= 19) p *= (u128)10000000000000000000ull;
    static const uint64_t small[19] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull};
    return p * small[q];
}

/* floor(m 2^e 10^q) into *d; returns where the rest lies against one half: 0 below (or none),
   1 at it, 2 above; -1 outside the exact range (the caller goes to snprintf). */
static int scaled(uint64_t m, int e, int q, uint64_t *d) {
    u128 whole;
    int where = 0;
    if (q >= 0) {
        if (q > 31 || e < -120 || e > 64) return -1; /* m 10^31 < 2^128; 2^-e within 128 bits */
        const u128 n = (u128)m * pow10_u128(q);
        if (e >= 0) { /* an integer */
            if (e > 0 && n >> (127 - e)) return -1;
            whole = n << e;
        } else {
            const u128 rest = n & (((u128)1 << -e) - 1), half = (u128)1 << (-e - 1);
            whole = n >> -e, where = rest < half ? 0 : rest == half ? 1 : 2;
        }
    } else {
        if (q < -38 || e < 0 || e > 103) return -1; /* m 2^e < 2^127 */
        const u128 p = pow10_u128(-q), n = (u128)m << e, rest = n % p;
        whole = n / p, where = 2 * rest < p ? 0 : 2 * rest == p ? 1 : 2; /* rest < p < 2^127 */
    }
    if (whole >> 64) return -1;
    *d = (uint64_t)whole;
    return where;
}

/* d < 10^9 as nine digits: in pairs from a table, the divisions' chain four deep instead of nine. */
static void nine_digits(char *dg, uint32_t d) {
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                   "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                   "8081828384858687888990919293949596979899";
    const uint32_t top = d / 100000000u, rest = d % 100000000u, a = rest / 10000u, b = rest % 10000u;
    dg[0] = (char)('0' + top);
    memcpy(dg + 1, pairs + 2 * (a / 100u), 2), memcpy(dg + 3, pairs + 2 * (a % 100u), 2);
    memcpy(dg + 5, pairs + 2 * (b / 100u), 2), memcpy(dg + 7, pairs + 2 * (b % 100u), 2);
}

size_t edl__float_g9(char *out, float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const int neg = (int)(bits >> 31), be = (int)((bits >> 23) & 0xff);
    const uint32_t frac = bits & 0x7fffffu;
    char *p = out;
    if (be == 0 && frac == 0) { /* "0", "-0" */
        if (neg) *p++ = '-';
        *p++ = '0', *p = '\0';
        return (size_t)(p - out);
    }
    if (be == 0 || be == 255) return by_printf(out, x); /* subnormal, inf, nan */
    const uint64_t m = frac | 0x800000u;
    const int e = be - 150, b = be - 127; /* |x| = m 2^e, 2^b <= |x| < 2^(b + 1) */
    /* k = floor(log10 |x|): estimated from b (1233 / 4096 just under log10 2), then settled by
       the exact digits: nine of them, d in [10^8, 10^9) */
    int k = b >= 0 ? (b * 1233) >> 12 : -((-b * 1233 + 4095) >> 12), r = -1;
    uint64_t d = 0;
    for (int tries = 0; tries < 4; tries++) {
        r = scaled(m, e, 8 - k, &d);
        if (r < 0) return by_printf(out, x);
        if (d >= 1000000000u)
            k++;
        else if (d < 100000000u)
            k--;
        else
            break;
    }
    if (d < 100000000u || d >= 1000000000u) return by_printf(out, x);
    if (r == 2 || (r == 1 && (d & 1))) d++;
    if (d == 1000000000u) d = 100000000u, k++;
    char dg[9];
    nine_digits(dg, (uint32_t)d);
    int nd = 9; /* %g drops trailing zeros, and the point with them */
    while (nd > 1 && dg[nd - 1] == '0') nd--;
    if (neg) *p++ = '-';
    if (k < -4 || k >= 9) { /* d.ddde+XX */
        *p++ = dg[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, dg + 1, (size_t)nd - 1), p += nd - 1;
        }
        const int ak = k < 0 ? -k : k; /* two digits: k in [-23, 38] here */
        *p++ = 'e', *p++ = k < 0 ? '-' : '+';
        *p++ = (char)('0' + ak / 10), *p++ = (char)('0' + ak % 10);
    } else if (k >= 0) { /* ddd.ddd */
        memcpy(p, dg, (size_t)k + 1), p += k + 1;
        if (nd > k + 1) {
            *p++ = '.';
            memcpy(p, dg + k + 1, (size_t)(nd - k - 1)), p += nd - k - 1;
        }
    } else { /* 0.000ddd */
        *p++ = '0', *p++ = '.';
        for (int z = 0; z < -k - 1; z++) *p++ = '0';
        memcpy(p, dg, (size_t)nd), p += nd;
    }
    *p = '\0';
    return (size_t)(p - out);
}
#else
size_t edl__float_g9(char *out, float x) { return by_printf(out, x); }
#endif
