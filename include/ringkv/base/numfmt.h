/* numfmt.h — floating point arguments and replies with Redis 7.0's exact
 * rules: what ZADD/ZINCRBY/INCRBYFLOAT/HINCRBYFLOAT accept, and the text
 * they reply. Integers live in util.h. Pure functions; any thread (they
 * rely on the C locale, which ringkv never changes).
 *
 * What Redis 7.0 does, checked against redis-server 7.0.15:
 *   - string2d: strtod's whole syntax ("1e5", ".5", "5.", "+5", "0x10",
 *     "0x1p-3", "inf", "-Infinity", leading zeros) but no leading or
 *     trailing byte it did not use (so no spaces, no embedded NUL), no NaN,
 *     no overflow to +-inf, no underflow to zero (denormals pass).
 *   - string2ld: the same over long double, and also refuses inputs of
 *     RK_MAX_LD_CHARS bytes or more ("1e400" passes, "1e5000" does not).
 *   - Replies (RESP2 bulk and RESP3 ',' double alike) print "%.17g":
 *     1.1 -> "1.1000000000000001", 3 -> "3", 1e20 -> "1e+20",
 *     -0.0 -> "-0", 1e-5 -> "1.0000000000000001e-05", inf -> "inf".
 *   - INCRBYFLOAT/HINCRBYFLOAT reply LD_STR_HUMAN: "%.17Lf" with trailing
 *     zeros (and '.') dropped, "-0" shown as "0"; so 1e-20 -> "0". */
#ifndef RINGKV_NUMFMT_H
#define RINGKV_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: string2ld's input bound, and a buffer
 * this big holds any ld2string output (the largest long double printed
 * with "%.17Lf" takes 4951 bytes). */
#define RK_MAX_LD_CHARS 5120
/* Holds any d2string/d2resp3 output plus NUL ("-2.2250738585072014e-308"). */
#define RK_MAX_D_CHARS 32

enum ld_mode {
    LD_STR_AUTO,  /* "%.17Lg" */
    LD_STR_HUMAN, /* "%.17Lf", trailing zeros stripped, never "-0" */
    LD_STR_HEX,   /* "%La", exact */
};

/* Parse a float argument; true and *out set on success. */
bool string2d(const char *s, size_t len, double *out);
bool string2ld(const char *s, size_t len, long double *out);

/* Each printer writes a NUL-terminated text into buf and returns its
 * length, or returns 0 (and leaves buf empty when cap > 0) if it does not
 * fit in cap bytes (LD_STR_HUMAN needs room for the text before zeros are
 * stripped: pass RK_MAX_LD_CHARS). inf prints "inf" / "-inf", NaN "nan"
 * (Redis never replies NaN). */
size_t ld2string(char *buf, size_t cap, long double v, enum ld_mode mode);
/* Text of a double in a RESP2 reply (a bulk string). Like Redis's
 * d2string, exact integers below 2^52 skip printf; same text either way. */
size_t d2string(char *buf, size_t cap, double v);
/* Text after ',' of a RESP3 double; Redis 7.0 prints it exactly as RESP2. */
size_t d2resp3(char *buf, size_t cap, double v);

#endif
