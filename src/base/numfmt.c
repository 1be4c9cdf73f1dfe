/* numfmt.c — see numfmt.h. Pure functions, any thread. */
#include "ringkv/base/numfmt.h"

#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strtod/strtold want a NUL-terminated string and our arguments are not:
 * copy into the caller's stack buffer, or the heap for a long one. */
static char *num_terminate(const char *s, size_t len, char *stackbuf, size_t cap)
{
    char *buf = len < cap ? stackbuf : rk_malloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* Redis tests isspace() on the first byte; strtod would skip them. */
static bool num_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool string2d(const char *s, size_t len, double *out)
{
    char stackbuf[128], *end;

    if (len == 0 || num_space(s[0]))
        return false;
    char *buf = num_terminate(s, len, stackbuf, sizeof(stackbuf));
    errno = 0;
    double v = strtod(buf, &end);
    bool ok = (size_t)(end - buf) == len && !isnan(v) &&
              !(errno == ERANGE && (isinf(v) || v == 0));
    if (buf != stackbuf)
        rk_free(buf);
    if (ok)
        *out = v;
    return ok;
}

bool string2ld(const char *s, size_t len, long double *out)
{
    char buf[RK_MAX_LD_CHARS], *end;

    if (len == 0 || len >= sizeof(buf) || num_space(s[0]))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v) ||
        (errno == ERANGE && (isinf(v) || v == 0)))
        return false;
    *out = v;
    return true;
}

/* Copies a fixed text; 0 when it does not fit with its NUL. */
static size_t num_put(char *buf, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n + 1 > cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, text, n + 1);
    return n;
}

/* snprintf's result, or 0 with an empty buf when it was truncated. */
static size_t num_fit(char *buf, size_t cap, int n)
{
    if (n < 0 || (size_t)n + 1 > cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

/* "%.17Lf" always has a '.': drop zeros after it, then the '.' itself. */
static size_t num_strip_zeros(char *buf, size_t len)
{
    if (!memchr(buf, '.', len))
        return len;
    while (buf[len - 1] == '0')
        len--;
    if (buf[len - 1] == '.')
        len--;
    if (len == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        len = 1;
    }
    buf[len] = '\0';
    return len;
}

size_t ld2string(char *buf, size_t cap, long double v, enum ld_mode mode)
{
    if (isinf(v))
        return num_put(buf, cap, v > 0 ? "inf" : "-inf");
    if (isnan(v))
        return num_put(buf, cap, "nan");
    switch (mode) {
    case LD_STR_AUTO:
        return num_fit(buf, cap, snprintf(buf, cap, "%.17Lg", v));
    case LD_STR_HEX:
        return num_fit(buf, cap, snprintf(buf, cap, "%La", v));
    case LD_STR_HUMAN: {
        size_t n = num_fit(buf, cap, snprintf(buf, cap, "%.17Lf", v));
        return n ? num_strip_zeros(buf, n) : 0;
    }
    }
    return num_put(buf, cap, "");
}

size_t d2string(char *buf, size_t cap, double v)
{
    if (isinf(v))
        return num_put(buf, cap, v > 0 ? "inf" : "-inf");
    if (isnan(v))
        return num_put(buf, cap, "nan");
    if (v == 0)
        return num_put(buf, cap, signbit(v) ? "-0" : "0");
    /* Inside +-2^52 an integral double prints the same through the integer
     * path, which is several times faster than printf. */
    if (v > -4503599627370496.0 && v < 4503599627370496.0 && v == (double)(long long)v) {
        if (cap < RK_LONG_STR_SIZE) {
            char tmp[RK_LONG_STR_SIZE];
            ll2string(tmp, (long long)v);
            return num_put(buf, cap, tmp);
        }
        return ll2string(buf, (long long)v);
    }
    return num_fit(buf, cap, snprintf(buf, cap, "%.17g", v));
}

size_t d2resp3(char *buf, size_t cap, double v)
{
    return d2string(buf, cap, v);
}
