/* ds_check.h — shared helpers for the data structure unit tests: a cheap
 * check macro for hot randomized loops, and a generator of test values
 * that hits every listpack/intset encoding boundary and the strings that
 * look like integers but are not. Header-only; test code only. */
#ifndef RINGKV_TEST_DS_CHECK_H
#define RINGKV_TEST_DS_CHECK_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/random.h"
#include "ringkv/base/util.h"

/* cr_assert records every passing assertion; randomized loops make
 * millions of checks, so only failures go through Criterion. */
#define REQUIRE(cond, ...)                                                                     \
    do {                                                                                       \
        if (!(cond)) cr_assert_fail("REQUIRE(" #cond ") " __VA_ARGS__);                        \
    } while (0)

/* A test value: bytes owned by the test (plain malloc). */
typedef struct tval {
    unsigned char *s;
    size_t len;
} tval;

static inline tval tval_make(const void *s, size_t len)
{
    tval v = {malloc(len ? len : 1), len};
    if (len) memcpy(v.s, s, len);
    return v;
}

static inline tval tval_int(long long x)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", x);
    return tval_make(buf, (size_t)n);
}

static inline bool tval_eq(const tval *a, const void *s, size_t len)
{
    return a->len == len && (len == 0 || memcmp(a->s, s, len) == 0);
}

static inline unsigned long long trand(unsigned long long n) { return rk_random_below(n); }

/* Integers around every encoding boundary, and the 64-bit extremes. */
static const long long tval_edge_ints[] = {
    0, 1, -1, 63, 64, 127, 128, -4096, -4097, 4095, 4096,
    32767, 32768, -32768, -32769, 8388607, 8388608, -8388608, -8388609,
    2147483647, 2147483648LL, -2147483647LL - 1, -2147483649LL,
    9223372036854775807LL, -9223372036854775807LL - 1,
};

/* Strings that are not strict integers, so must stay strings. */
static const char *const tval_fake_ints[] = {
    "01", "-0", " 1", "1 ", "+1", "00", "", "-", "1e3", "0x10",
    "9223372036854775808", "-9223372036854775809", "18446744073709551616",
};

/* A random value of any kind; `big` allows rare strings over 4 KB. */
static inline tval tval_random(bool big)
{
    unsigned k = (unsigned)trand(100);
    if (k < 25) return tval_int((long long)trand(128));
    if (k < 35) return tval_int(tval_edge_ints[trand(sizeof(tval_edge_ints) / sizeof(long long))]);
    if (k < 42) return tval_int((long long)rk_random64());
    if (k < 50) {
        const char *f = tval_fake_ints[trand(sizeof(tval_fake_ints) / sizeof(char *))];
        return tval_make(f, strlen(f));
    }
    size_t len = k < 88 ? trand(80) : k < 97 || !big ? 60 + trand(4100) : 4096 + trand(16000);
    tval v = {malloc(len + 1), len};
    bool binary = trand(4) == 0;
    for (size_t i = 0; i < len; i++)
        v.s[i] = binary ? (unsigned char)trand(256) : (unsigned char)('a' + trand(26));
    return v;
}

/* Is a decoded entry (a string, or str == NULL and an integer) equal to t? */
static inline bool tval_is(const tval *t, const unsigned char *str, size_t len, long long ll)
{
    if (str) return tval_eq(t, str, len);
    char buf[RK_LONG_STR_SIZE];
    return tval_eq(t, buf, ll2string(buf, ll));
}

/* Reference model for sequences: an array of owned values. */
typedef struct tlist {
    tval *v;
    size_t n, cap;
} tlist;

static inline void tlist_insert(tlist *m, size_t at, tval v)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->v = realloc(m->v, m->cap * sizeof(tval));
    }
    memmove(&m->v[at + 1], &m->v[at], (m->n - at) * sizeof(tval));
    m->v[at] = v;
    m->n++;
}

/* Deletes up to count values from at on. */
static inline void tlist_delete(tlist *m, size_t at, size_t count)
{
    if (at + count > m->n) count = m->n - at;
    for (size_t i = at; i < at + count; i++) free(m->v[i].s);
    memmove(&m->v[at], &m->v[at + count], (m->n - at - count) * sizeof(tval));
    m->n -= count;
}

static inline void tlist_free(tlist *m)
{
    tlist_delete(m, 0, m->n);
    free(m->v);
}

#endif
