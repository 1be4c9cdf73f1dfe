/* Tests for glob.c. Every G() row was checked against redis-server 7.0.15
 * with KEYS on a scratch db, every GI() row whose string is a config name
 * with CONFIG GET (run tests/crosscheck_redis.py to redo it). */
#include <criterion/criterion.h>
#include "ringkv/base/alloc.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/util.h"
#include <string.h>

struct glob_case {
    const char *pat;
    size_t plen;
    const char *str;
    size_t slen;
    bool nocase;
    bool expect;
};

/* sizeof keeps embedded NULs, which strlen would cut. */
#define G(p, s, e) { p, sizeof(p) - 1, s, sizeof(s) - 1, false, e }
#define GI(p, s, e) { p, sizeof(p) - 1, s, sizeof(s) - 1, true, e }

static const struct glob_case cases[] = {
    /* literals and empties */
    G("", "", true),
    G("", "a", false),
    G("a", "", false),
    G("abc", "abc", true),
    G("abc", "abd", false),
    G("abc", "ab", false),
    G("ab", "abc", false),
    G("abc", "ABC", false),
    /* '*' */
    G("*", "", false), /* KEYS/SCAN special-case "*" before matching */
    G("**", "", false),
    G("*", "anything", true),
    G("a*", "a", true),
    G("a*", "abc", true),
    G("a*", "ba", false),
    G("*a", "a", true),
    G("*a", "bca", true),
    G("*a", "ab", false),
    G("a*b", "ab", true),
    G("a*b", "axxxb", true),
    G("a*b", "axxxbx", false),
    G("a*b*c", "abc", true),
    G("a*b*c", "aXbYbZc", true),
    G("a*b*c", "acb", false),
    G("a**b", "ab", true),
    G("a***", "a", true),
    G("*ab", "aab", true),
    G("*ab*ab", "abab", true),
    G("*ab*ab", "abaab", true),
    G("*ab*ab", "abba", false),
    G("user:*:name", "user:1000:name", true),
    G("user:*:name", "user:1000:names", false),
    G("h*llo", "heeeello", true),
    /* '?' */
    G("?", "", false),
    G("?", "a", true),
    G("?", "ab", false),
    G("h?llo", "hello", true),
    G("h?llo", "hllo", false),
    G("??*", "a", false),
    G("??*", "ab", true),
    G("*?", "a", true),
    G("a?*", "a", false),
    /* classes */
    G("h[ae]llo", "hello", true),
    G("h[ae]llo", "hallo", true),
    G("h[ae]llo", "hillo", false),
    G("h[^e]llo", "hallo", true),
    G("h[^e]llo", "hello", false),
    G("h[a-b]llo", "hbllo", true),
    G("h[a-b]llo", "hcllo", false),
    G("[z-a]", "m", true), /* reversed range */
    G("[Z-a]", "_", true),
    G("[a-]", "a", true), /* "a-]" is the range ']'..'a', class unterminated */
    G("[a-]", "_", true),
    G("[a-]", "]", true),
    G("[a-]", "-", false),
    G("[a-]", "b", false),
    G("[-a]", "-", true),
    G("[a-c-e]", "d", false), /* range a-c, then '-', then 'e' */
    G("[a-c-e]", "-", true),
    G("[]", "a", false),
    G("[]", "]", false),
    G("[]a]", "a]", false), /* "[]" is an empty class */
    G("[^]", "a", true),
    G("[^]", "", false),
    G("[", "[", false), /* unterminated: empty class */
    G("[", "a", false),
    G("[^", "x", true), /* unterminated, negated empty class */
    G("[^", "xy", false),
    G("[ab", "b", true),
    G("[ab", "c", false),
    G("a[", "a", false),
    G("[*]", "*", true),
    G("[*]", "a", false),
    G("[?]", "?", true),
    G("[?]", "a", false),
    G("[[]", "[", true),
    G("[^a-z]", "A", true),
    G("[^a-z]", "q", false),
    G("x[0-9][0-9]", "x42", true),
    G("x[0-9][0-9]", "x4a", false),
    /* backslash */
    G("\\*", "*", true),
    G("\\*", "a", false),
    G("\\?", "?", true),
    G("\\?", "a", false),
    G("\\[a]", "[a]", true),
    G("\\a", "a", true),
    G("\\\\", "\\", true),
    G("\\", "\\", true), /* trailing backslash is literal */
    G("a\\", "a\\", true),
    G("a\\", "a", false),
    G("[\\]]", "]", true),
    G("[\\]]", "\\", false),
    G("[\\^a]", "^", true),
    G("[\\-a]", "-", true), /* escaped '-' is no range */
    G("[\\-a]", "b", false),
    G("[a\\-c]", "b", false),
    G("[a\\-c]", "-", true),
    G("[\\", "\\", true), /* lone backslash in an open class is literal */
    G("[\\", "a", false),
    G("[a-\\]]", "_]", true), /* no escapes inside a range: '\\'..'a', ']' */
    G("[a-\\]]", "]]", true),
    G("[a-\\]]", "_", false),
    G("*\\*", "abc*", true),
    G("*\\*", "abc", false),
    /* binary bytes: class bounds compare as signed chars */
    G("a\0b", "a\0b", true),
    G("a?b", "a\0b", true),
    G("[\0]", "\0", true),
    G("*\xff", "ab\xff", true),
    G("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9", true),
    G("[\x00-\xff]", "\xff", true),
    G("[\x00-\xff]", "\x00", true),
    G("[\x00-\xff]", "a", false),
    G("[a-\xff]", "0", true),
    G("[a-\xff]", "b", false),
    G("[a-\xff]", "\x80", false),
    G("[a-\xff]", "\xff", true),
    G("[\x80-\xff]", "\x90", true),
    G("[\x80-\xff]", "a", false),
    G("[^\x80-\xff]", "a", true),
    /* case folding (CONFIG GET's mode) */
    GI("MAXMEMOR?", "maxmemory", true),
    GI("[L-M]AXMEMORY", "maxmemory", true),
    GI("[m-l]axmemory", "maxmemory", true),
    GI("[^M]axmemory", "maxmemory", false),
    GI("[\\M]axmemory", "maxmemory", false), /* escape in a class ignores nocase */
    GI("[\\m]axmemory", "maxmemory", true),
    GI("[Z-a]axmemory", "maxmemory", false), /* bounds fold to 'z'..'a': empty */
    GI("?\\Axmemory", "maxmemory", true),
    GI("MAXMEMORY*", "maxmemory-policy", true),
    GI("*-POLICY", "maxmemory-policy", true),
    GI("*-POLICY", "maxmemory-samples", false),
    GI("\xc9", "\xe9", false), /* only ASCII folds */
    GI("[a-\xfe]", "b", false), /* bounds fold to 254..97: empty */
    /* glibc's C-locale tolower() maps -128..-2 to 128..254 but keeps -1 */
    GI("[\x80-\xfe]", "\x90", true),
    GI("[\x80-\xff]", "\x90", false), /* bounds fold to 128..-1: empty */
    GI("[\x80-\xff]", "\xff", false),
};

Test(glob, table_matches_redis)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(cases); i++) {
        const struct glob_case *c = &cases[i];
        cr_expect_eq(glob_match(c->pat, c->plen, c->str, c->slen, c->nocase), c->expect,
                     "case %zu: pattern \"%.*s\" string \"%.*s\" nocase %d: expected %d", i,
                     (int)c->plen, c->pat, (int)c->slen, c->str, c->nocase, c->expect);
    }
}

Test(glob, nocase_false_is_case_sensitive)
{
    cr_expect(!glob_match("MAXMEMORY", 9, "maxmemory", 9, false));
    cr_expect(glob_match("MAXMEMORY", 9, "maxmemory", 9, true));
    cr_expect(glob_match("h[A-Z]llo", 9, "hello", 5, true));
    cr_expect(!glob_match("h[A-Z]llo", 9, "hello", 5, false));
}

/* Bytes past plen / slen must never be read. */
Test(glob, respects_lengths)
{
    cr_expect(glob_match("ab*XX", 3, "abYY", 2, false));
    cr_expect(!glob_match("abcXX", 3, "abYY", 2, false));
    cr_expect(glob_match("[ab]", 3, "a", 1, false)); /* "[ab" unterminated */
    cr_expect(!glob_match("a*", 1, "ab", 2, false));
}

/* "*a" repeated n times, optionally followed by a final '*'. */
static char *star_pattern(unsigned n, bool trailing_star, size_t *len)
{
    char *p = rk_malloc(2 * (size_t)n + 2);
    for (unsigned i = 0; i < n; i++)
        memcpy(p + 2 * i, "*a", 2);
    *len = 2 * (size_t)n;
    if (trailing_star)
        p[(*len)++] = '*';
    return p;
}

static bool star_case(unsigned groups, bool trailing, const char *prefix, size_t slen)
{
    size_t plen, pre = strlen(prefix);
    char *body = star_pattern(groups, trailing, &plen);
    char *pat = rk_malloc(pre + plen);
    memcpy(pat, prefix, pre);
    memcpy(pat + pre, body, plen);
    char *str = rk_malloc(slen);
    memset(str, 'a', slen);
    bool r = glob_match(pat, pre + plen, str, slen, false);
    rk_free(str);
    rk_free(pat);
    rk_free(body);
    return r;
}

/* Redis 7.0.15: KEYS gives these answers (1000 nested star groups pass,
 * the 1001st fails); a final '*' does not nest. */
Test(glob, star_nesting_limit_matches_redis)
{
    cr_expect(star_case(1000, false, "", 1000));
    cr_expect(!star_case(1001, false, "", 1001));
    cr_expect(star_case(1000, true, "", 1001));
    cr_expect(!star_case(1001, true, "", 1001));
    cr_expect(star_case(1000, false, "a", 1001));
    cr_expect(!star_case(1001, false, "a", 1002));
}

/* The classic exponential case for naive backtracking must stay fast:
 * 30 stars against 60 'a's and no match. */
Test(glob, many_stars_stay_fast, .timeout = 5)
{
    char pat[64], str[61];
    for (int i = 0; i < 30; i++) {
        pat[2 * i] = 'a';
        pat[2 * i + 1] = '*';
    }
    pat[60] = 'b';
    memset(str, 'a', 60);
    str[60] = 0;
    long long t0 = monotonic_us();
    for (int i = 0; i < 1000; i++)
        cr_assert(!glob_match(pat, 61, str, 60, false));
    cr_expect_lt(monotonic_us() - t0, 2000000);
}
