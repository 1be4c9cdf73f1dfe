/* glob.c — see glob.h. Pure function, any thread.
 *
 * Redis matches recursively, one call per '*', and prunes with a flag
 * ("skipLongerMatches") once a star has tried every suffix in vain. That
 * pruning makes it equivalent to the classic iterative matcher below, which
 * only ever backtracks to the most recent star: a later start for an earlier
 * star could only hand the same tail pattern a shorter suffix of the same
 * string. Redis's nesting guard becomes a count of star groups passed,
 * because every match must pass each star group in order. */
#include "ringkv/base/glob.h"

#include <string.h>

/* How Redis's `tolower((int)c)` sees a byte in the C locale: ASCII letters
 * fold; glibc maps the signed values -128..-2 to 128..254 but leaves -1
 * (EOF, byte 0xff) alone. Only range bounds ever see the difference. */
static inline int glob_rank(unsigned char b, bool nocase)
{
    if (!nocase)
        return (signed char)b;
    if (b >= 'A' && b <= 'Z')
        return b + ('a' - 'A');
    return b == 0xff ? -1 : b;
}

static inline bool glob_eq(unsigned char a, unsigned char b, bool nocase)
{
    if (a == b)
        return true;
    if (!nocase)
        return false;
    unsigned char la = (a >= 'A' && a <= 'Z') ? a + ('a' - 'A') : a;
    unsigned char lb = (b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b;
    return la == lb;
}

/* Parses the class starting at *pp (on the '['), leaves *pp past it and
 * says whether byte c is in it. The walk never depends on c, so a class
 * always spans the same bytes. */
static bool glob_class(const unsigned char **pp, const unsigned char *pend,
                       unsigned char c, bool nocase)
{
    const unsigned char *p = *pp + 1;
    bool neg = p < pend && *p == '^';
    bool match = false;

    if (neg)
        p++;
    while (p < pend) {
        if (*p == '\\' && pend - p >= 2) {
            p++;
            match |= *p == c; /* Redis ignores nocase here */
        } else if (*p == ']') {
            p++;
            break;
        } else if (pend - p >= 3 && p[1] == '-') {
            int lo = (signed char)p[0], hi = (signed char)p[2];
            if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
            }
            /* Redis swaps on the signed bytes, then folds case. */
            if (nocase) {
                lo = glob_rank((unsigned char)lo, true);
                hi = glob_rank((unsigned char)hi, true);
            }
            int v = glob_rank(c, nocase);
            match |= v >= lo && v <= hi;
            p += 2;
        } else {
            match |= glob_eq(*p, c, nocase);
        }
        p++;
    }
    *pp = p;
    return match != neg;
}

/* Matches one non-star token at *pp against byte c and steps past it. */
static inline bool glob_token(const unsigned char **pp, const unsigned char *pend,
                              unsigned char c, bool nocase)
{
    const unsigned char *p = *pp;
    switch (*p) {
    case '?':
        *pp = p + 1;
        return true;
    case '[':
        return glob_class(pp, pend, c, nocase);
    case '\\':
        if (pend - p >= 2)
            p++;
        /* fall through */
    default:
        *pp = p + 1;
        return glob_eq(*p, c, nocase);
    }
}

/* Where the tail after a star can first start: the next occurrence of its
 * leading literal byte (NULL if none, and then nothing can match, since an
 * earlier star could only start the tail later still), else right here. */
static inline const unsigned char *glob_tail_start(const unsigned char *p,
                                                   const unsigned char *s,
                                                   const unsigned char *send, bool nocase)
{
    if (nocase || *p == '?' || *p == '[' || *p == '\\')
        return s;
    return memchr(s, *p, (size_t)(send - s));
}

bool glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase)
{
    const unsigned char *p = (const unsigned char *)pat, *pend = p + plen;
    const unsigned char *s = (const unsigned char *)str, *send = s + slen;
    const unsigned char *back_p = NULL, *back_s = NULL;
    unsigned stars = 0, back_stars = 0;

    if (slen == 0) /* Redis's loop never runs: not even "*" matches */
        return plen == 0;
    while (s < send) {
        if (p < pend && *p == '*') {
            while (p < pend && *p == '*')
                p++;
            if (p == pend)
                return true;
            if (++stars > GLOB_MAX_STAR_NESTING)
                return false;
            back_p = p;
            back_stars = stars;
            if (!(s = back_s = glob_tail_start(p, s, send, nocase)))
                return false;
            continue;
        }
        if (p < pend && glob_token(&p, pend, *s, nocase)) {
            s++;
            continue;
        }
        if (!back_p)
            return false;
        /* Let the last star swallow one more byte and retry after it. */
        p = back_p;
        stars = back_stars;
        if (!(s = back_s = glob_tail_start(p, back_s + 1, send, nocase)))
            return false;
    }
    while (p < pend && *p == '*')
        p++;
    return p == pend;
}
