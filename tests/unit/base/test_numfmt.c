/* Tests for numfmt.c. Every D() row was checked against redis-server
 * 7.0.15 (ZADD of the input into a skiplist-encoded zset, then ZSCORE over
 * RESP2 and RESP3); every LD() row with SET k <input> + INCRBYFLOAT k 0
 * (tests/crosscheck_redis.py redoes both). */
#include <criterion/criterion.h>
#include "ringkv/base/numfmt.h"
#include "ringkv/base/util.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

struct num_case {
    const char *in;
    size_t len;
    bool ok;
    const char *out; /* reply text when ok */
};

#define D(s, ok, out) { s, sizeof(s) - 1, ok, out }
#define LD(s, ok, out) { s, sizeof(s) - 1, ok, out }
#define BAD(s) { s, sizeof(s) - 1, false, NULL }

/* string2d (ZADD's score) then d2string / d2resp3 (ZSCORE's reply). */
static const struct num_case d_cases[] = {
    D("3", true, "3"),
    D("1.1", true, "1.1000000000000001"),
    D("0.1", true, "0.10000000000000001"),
    D("-1.5", true, "-1.5"),
    D("100", true, "100"),
    D("123.456", true, "123.456"),
    D("-123456789.125", true, "-123456789.125"),
    D("0.0001", true, "0.0001"),
    D("1e-5", true, "1.0000000000000001e-05"),
    D("1e-7", true, "9.9999999999999995e-08"),
    D("1e5", true, "100000"),
    D("1e15", true, "1000000000000000"),
    D("1e16", true, "10000000000000000"),
    D("1e17", true, "1e+17"),
    D("1e20", true, "1e+20"),
    D("1e308", true, "1e+308"),
    D("1e-300", true, "1e-300"),
    D("1.7976931348623157e308", true, "1.7976931348623157e+308"),
    D("2.2250738585072014e-308", true, "2.2250738585072014e-308"),
    D("2.5e-308", true, "2.4999999999999998e-308"),
    D("4e-320", true, "3.999955468730732e-320"), /* denormal: accepted */
    D("0x1p-1074", true, "4.9406564584124654e-324"),
    D("4503599627370495", true, "4503599627370495"),
    D("4503599627370496", true, "4503599627370496"),
    D("4503599627370497", true, "4503599627370497"),
    D("-4503599627370495", true, "-4503599627370495"),
    D("-4503599627370496", true, "-4503599627370496"),
    D("9007199254740993", true, "9007199254740992"),
    D("123456789012345678", true, "1.2345678901234568e+17"),
    D("0", true, "0"),
    D("-0", true, "-0"),
    D("-0.0", true, "-0"),
    D(".5", true, "0.5"),
    D("5.", true, "5"),
    D("+5", true, "5"),
    D("00012", true, "12"),
    D("0x10", true, "16"),
    D("inf", true, "inf"),
    D("+inf", true, "inf"),
    D("-inf", true, "-inf"),
    D("INF", true, "inf"),
    D("Infinity", true, "inf"),
    D("-INFINITY", true, "-inf"),
    BAD(""),
    BAD(" 1"),
    BAD("\t1"),
    BAD("1 "),
    BAD("1\n"),
    BAD("1\0"),
    BAD("nan"),
    BAD("NaN"),
    BAD("-nan"),
    BAD("infinit"),
    BAD("1e400"),
    BAD("-1e400"),
    BAD("1e-400"), /* underflows to zero */
    BAD("1e"),
    BAD("1e+"),
    BAD("0x"),
    BAD("0b1"),
    BAD("1_0"),
    BAD("(1"),
    BAD("abc"),
};

/* string2ld then ld2string(LD_STR_HUMAN): INCRBYFLOAT's reply. For inf the
 * parse succeeds but Redis then refuses the result (checked elsewhere). */
static const struct num_case ld_cases[] = {
    LD("1.1", true, "1.1"),
    LD("0.1", true, "0.1"),
    LD("10.5", true, "10.5"),
    LD("3", true, "3"),
    LD("3.0", true, "3"),
    LD("+1", true, "1"),
    LD("-1.5", true, "-1.5"),
    LD("-123.45", true, "-123.45"),
    LD("1.5e10", true, "15000000000"),
    LD("1e17", true, "100000000000000000"),
    LD("1e30", true, "1000000000000000000024696061952"),
    LD("123456789012345678901234567890", true, "123456789012345678899921813504"),
    LD("0.1234567890123456789", true, "0.12345678901234568"),
    LD("9.999999999999999999", true, "10"),
    LD("1.0000000000000000001", true, "1"),
    LD("1e-17", true, "0.00000000000000001"),
    LD("-0.00000000000000001", true, "-0.00000000000000001"),
    LD("5e-18", true, "0"),
    LD("1e-20", true, "0"),
    LD("-1e-20", true, "0"), /* "-0" becomes "0" */
    LD("-0", true, "0"),
    LD("-0.0", true, "0"),
    LD("1e-400", true, "0"), /* long double reaches further than double */
    LD("1e-4950", true, "0"),
    LD("0x1p-16445", true, "0"),
    LD(".5", true, "0.5"),
    LD("5.", true, "5"),
    LD("0x10", true, "16"),
    LD("inf", true, "inf"),
    LD("-inf", true, "-inf"),
    BAD(""),
    BAD(" 1"),
    BAD("1 "),
    BAD("1\0"),
    BAD("1\0002"),
    BAD("nan"),
    BAD("1e"),
    BAD("1e5000"),
    BAD("1e4933"),
    BAD("1.18973149535723176509e+4932"),
    BAD("1e-5000"),
    BAD("0x1p-16446"),
};

Test(numfmt, string2d_and_d2string_match_zscore)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(d_cases); i++) {
        const struct num_case *c = &d_cases[i];
        double v = 12345;
        bool ok = string2d(c->in, c->len, &v);
        cr_expect_eq(ok, c->ok, "string2d(\"%.*s\") returned %d", (int)c->len, c->in, ok);
        if (!ok || !c->ok) {
            cr_expect_eq(v, 12345, "string2d wrote *out on failure");
            continue;
        }
        char buf[RK_MAX_D_CHARS];
        size_t n = d2string(buf, sizeof(buf), v);
        cr_expect_str_eq(buf, c->out, "d2string of \"%s\"", c->in);
        cr_expect_eq(n, strlen(c->out));
        n = d2resp3(buf, sizeof(buf), v);
        cr_expect_str_eq(buf, c->out, "d2resp3 of \"%s\"", c->in);
        cr_expect_eq(n, strlen(c->out));
    }
}

Test(numfmt, string2ld_and_human_match_incrbyfloat)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(ld_cases); i++) {
        const struct num_case *c = &ld_cases[i];
        long double v = 12345;
        bool ok = string2ld(c->in, c->len, &v);
        cr_expect_eq(ok, c->ok, "string2ld(\"%.*s\") returned %d", (int)c->len, c->in, ok);
        if (!ok || !c->ok) {
            cr_expect_eq(v, 12345, "string2ld wrote *out on failure");
            continue;
        }
        char buf[RK_MAX_LD_CHARS];
        size_t n = ld2string(buf, sizeof(buf), v, LD_STR_HUMAN);
        cr_expect_str_eq(buf, c->out, "ld2string human of \"%s\"", c->in);
        cr_expect_eq(n, strlen(c->out));
    }
}

/* Redis: string2ld refuses 5120 bytes or more, string2d has no bound. */
Test(numfmt, input_length_bounds)
{
    static char s[20001];
    memset(s, '0', sizeof(s));
    long double ld;
    double d;
    s[5118] = '1';
    cr_expect(string2ld(s, 5119, &ld) && ld == 1);
    s[5118] = '0';
    s[5119] = '1';
    cr_expect(!string2ld(s, 5120, &ld));
    s[5119] = '0';
    s[19999] = '1';
    cr_expect(string2d(s, 20000, &d) && d == 1);
    /* Only len bytes are read: the bytes after are garbage. */
    cr_expect(string2d("12x", 2, &d) && d == 12);
    cr_expect(string2ld("12x", 2, &ld) && ld == 12);
}

/* 1e400 and the largest long double fit: INCRBYFLOAT prints every digit. */
Test(numfmt, human_prints_huge_values_in_full)
{
    char buf[RK_MAX_LD_CHARS];
    long double v;
    cr_assert(string2ld("1e400", 5, &v));
    size_t n = ld2string(buf, sizeof(buf), v, LD_STR_HUMAN);
    cr_expect_eq(n, 401);
    cr_expect(strncmp(buf, "1000000000000000000028188068394758651458", 40) == 0);
    n = ld2string(buf, sizeof(buf), -LDBL_MAX, LD_STR_HUMAN);
    cr_expect_eq(n, 4934);
    cr_expect(strncmp(buf, "-11897314953572317650212638530", 30) == 0);
    cr_expect_str_eq(buf + n - 30, "444156604419552086811989770240");
}

Test(numfmt, ld2string_other_modes)
{
    char buf[64], want[64];
    long double samples[] = {1.1L, -0.0L, 3, 1e30L, 1e-30L, 0.1L, -123.456L};
    for (size_t i = 0; i < RK_ARRAY_LEN(samples); i++) {
        snprintf(want, sizeof(want), "%.17Lg", samples[i]);
        cr_expect_eq(ld2string(buf, sizeof(buf), samples[i], LD_STR_AUTO), strlen(want));
        cr_expect_str_eq(buf, want);
        snprintf(want, sizeof(want), "%La", samples[i]);
        cr_expect_eq(ld2string(buf, sizeof(buf), samples[i], LD_STR_HEX), strlen(want));
        cr_expect_str_eq(buf, want);
    }
    cr_expect_eq(ld2string(buf, sizeof(buf), -INFINITY, LD_STR_AUTO), 4);
    cr_expect_str_eq(buf, "-inf");
    cr_expect_eq(ld2string(buf, sizeof(buf), INFINITY, LD_STR_HEX), 3);
    cr_expect_str_eq(buf, "inf");
    cr_expect_eq(ld2string(buf, sizeof(buf), NAN, LD_STR_HUMAN), 3);
    cr_expect_str_eq(buf, "nan");
}

Test(numfmt, printers_refuse_small_buffers)
{
    char buf[8];
    memset(buf, 'x', sizeof(buf));
    char big[32];
    /* Human mode needs room for the unstripped "%.17Lf" text, as in Redis. */
    cr_expect_eq(ld2string(big, 20, 1.5L, LD_STR_HUMAN), 3);
    cr_expect_str_eq(big, "1.5");
    cr_expect_eq(ld2string(big, 19, 1.5L, LD_STR_HUMAN), 0);
    cr_expect_str_eq(big, "");
    cr_expect_eq(d2string(buf, 8, 1.1), 0); /* needs 19 */
    cr_expect_str_eq(buf, "");
    cr_expect_eq(d2string(buf, 4, 123), 3);
    cr_expect_str_eq(buf, "123");
    cr_expect_eq(d2string(buf, 3, 123), 0);
    cr_expect_str_eq(buf, "");
    cr_expect_eq(d2string(buf, 4, -INFINITY), 0);
    cr_expect_eq(d2string(buf, 5, -INFINITY), 4);
    cr_expect_str_eq(buf, "-inf");
    cr_expect_eq(d2string(buf, 0, 1), 0);
    cr_expect_eq(d2string(buf, 2, NAN), 0);
    cr_expect_eq(d2string(buf, 4, NAN), 3);
    cr_expect_str_eq(buf, "nan");
}

/* The integer fast path must agree with "%.17g" everywhere it applies. */
Test(numfmt, d2string_integer_path_agrees_with_printf)
{
    char buf[RK_MAX_D_CHARS], want[RK_MAX_D_CHARS];
    double samples[] = {1, -1, 42, 1e15, -1e15, 4503599627370495.0, -4503599627370495.0,
                        4503599627370496.0, -4503599627370496.0, 123456789, 2.5, 1e100, 0.5};
    for (size_t i = 0; i < RK_ARRAY_LEN(samples); i++) {
        snprintf(want, sizeof(want), "%.17g", samples[i]);
        cr_expect_eq(d2string(buf, sizeof(buf), samples[i]), strlen(want));
        cr_expect_str_eq(buf, want);
    }
    /* Longest output fits RK_MAX_D_CHARS. */
    cr_expect_eq(d2string(buf, sizeof(buf), -2.2250738585072014e-308), 24);
}
