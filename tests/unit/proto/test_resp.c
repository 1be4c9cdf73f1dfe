/* The RESP request parser: compose-then-parse round trips, every byte
 * split of a pipeline, malformed input, and the reply scanner. */
#include <criterion/criterion.h>
#include "ringkv/base/alloc.h"
#include "ringkv/proto/reply.h"
#include "ringkv/proto/resp.h"

#include <string.h>

struct parsed {
    int ncmds;
    char args[64][64];
    int argc[16];
};

/* Feeds `data` in pieces of the given sizes (as a connection would, keeping
 * unparsed bytes), collecting the arguments of every command. */
static enum resp_status feed_in_pieces(const char *data, size_t len, const size_t *cuts, int ncuts, struct parsed *out)
{
    struct resp_parser p;
    char buf[4096];
    size_t have = 0, start = 0, fed = 0;
    int a = 0;
    resp_parser_init(&p, 512LL << 20);
    memset(out, 0, sizeof(*out));
    for (int c = 0; c <= ncuts; c++) {
        size_t upto = c < ncuts ? cuts[c] : len;
        memcpy(buf + have, data + fed, upto - fed);
        have += upto - fed;
        fed = upto;
        for (;;) {
            enum resp_status st = resp_parse(&p, buf + start, have - start);
            if (st == RESP_MORE) break;
            if (st == RESP_ERROR) {
                resp_parser_deinit(&p);
                return st;
            }
            if (st == RESP_DONE) {
                out->argc[out->ncmds++] = (int)p.argc;
                for (uint32_t i = 0; i < p.argc; i++, a++) {
                    memcpy(out->args[a], resp_arg_ptr(&p, buf + start, i), p.args[i].len);
                    out->args[a][p.args[i].len] = '\0';
                }
            }
            start += resp_consumed(&p);
        }
    }
    resp_parser_deinit(&p);
    return RESP_DONE;
}

static const char pipeline[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
                               "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                               "PING\r\n"
                               "*0\r\n"
                               "set \"a b\" 'c\\'d' \"\\x41\\n\"\r\n"
                               "*1\r\n$0\r\n\r\n";

static void check_pipeline(const struct parsed *r)
{
    cr_assert_eq(r->ncmds, 5);
    cr_assert_eq(r->argc[0], 3);
    cr_assert_str_eq(r->args[0], "SET");
    cr_assert_str_eq(r->args[2], "hello");
    cr_assert_eq(r->argc[1], 2);
    cr_assert_str_eq(r->args[3], "GET");
    cr_assert_eq(r->argc[2], 1);
    cr_assert_str_eq(r->args[5], "PING");
    cr_assert_eq(r->argc[3], 4);
    cr_assert_str_eq(r->args[6], "set");
    cr_assert_str_eq(r->args[7], "a b");
    cr_assert_str_eq(r->args[8], "c'd");
    cr_assert_str_eq(r->args[9], "A\n");
    cr_assert_eq(r->argc[4], 1);
    cr_assert_str_eq(r->args[10], "");
}

Test(resp, whole_pipeline)
{
    struct parsed r;
    cr_assert_eq(feed_in_pieces(pipeline, sizeof(pipeline) - 1, NULL, 0, &r), RESP_DONE);
    check_pipeline(&r);
}

Test(resp, every_single_split)
{
    for (size_t cut = 1; cut < sizeof(pipeline) - 1; cut++) {
        struct parsed r;
        size_t cuts[1] = {cut};
        cr_assert_eq(feed_in_pieces(pipeline, sizeof(pipeline) - 1, cuts, 1, &r), RESP_DONE, "cut at %zu", cut);
        check_pipeline(&r);
    }
}

Test(resp, one_byte_at_a_time)
{
    size_t cuts[sizeof(pipeline)];
    int n = 0;
    for (size_t i = 1; i < sizeof(pipeline) - 1; i++) cuts[n++] = i;
    struct parsed r;
    cr_assert_eq(feed_in_pieces(pipeline, sizeof(pipeline) - 1, cuts, n, &r), RESP_DONE);
    check_pipeline(&r);
}

static void expect_error(const char *input, const char *msg)
{
    struct resp_parser p;
    resp_parser_init(&p, 1024);
    cr_assert_eq(resp_parse(&p, input, strlen(input)), RESP_ERROR, "input %s", input);
    cr_assert_str_eq(resp_error(&p), msg);
    resp_parser_deinit(&p);
}

Test(resp, malformed_requests)
{
    expect_error("*abc\r\n", "Protocol error: invalid multibulk length");
    expect_error("*2147483648\r\n", "Protocol error: invalid multibulk length");
    expect_error("*1\r\n+foo\r\n", "Protocol error: expected '$', got '+'");
    expect_error("*1\r\n$x\r\n", "Protocol error: invalid bulk length");
    expect_error("*1\r\n$-1\r\n", "Protocol error: invalid bulk length");
    expect_error("*1\r\n$1025\r\n", "Protocol error: invalid bulk length"); /* over max_bulk */
    expect_error("set \"abc\r\n", "Protocol error: unbalanced quotes in request");
    expect_error("set \"abc\"x\r\n", "Protocol error: unbalanced quotes in request");
}

Test(resp, oversized_lines)
{
    size_t n = RESP_INLINE_MAX + 10;
    char *big = rk_malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    expect_error(big, "Protocol error: too big inline request");
    big[0] = '*';
    memset(big + 1, '1', n - 1);
    expect_error(big, "Protocol error: too big mbulk count string");
    rk_free(big);
}

Test(resp, bulk_waits_for_its_bytes)
{
    struct resp_parser p;
    resp_parser_init(&p, 1 << 20);
    const char *req = "*1\r\n$10\r\n01234";
    cr_assert_eq(resp_parse(&p, req, strlen(req)), RESP_MORE);
    /* The parser knows how much the command needs, for buffer sizing. */
    cr_assert_eq(resp_bytes_wanted(&p), strlen("*1\r\n$10\r\n") + 12);
    resp_parser_deinit(&p);
}

Test(resp, reply_round_trip_through_span)
{
    struct obuf b;
    struct reply r;
    obuf_init(&b);
    reply_init(&r, &b, 3);
    reply_map(&r, 2);
    reply_bulk_cstr(&r, "a");
    reply_int(&r, 1);
    reply_bulk_cstr(&r, "b");
    reply_array(&r, 3);
    reply_null(&r);
    reply_double(&r, 1.5);
    reply_bool(&r, true);
    size_t total = b.len;
    cr_assert_eq(resp_value_span(b.data, b.len), total);
    for (size_t cut = 0; cut < total; cut++) cr_assert_eq(resp_value_span(b.data, cut), 0, "prefix %zu", cut);
    long long count;
    size_t hdr;
    cr_assert(resp_aggregate_header(b.data, b.len, &count, &hdr));
    cr_assert_eq(count, 2);
    obuf_free(&b);
}

Test(resp, deferred_lengths_are_exact)
{
    struct obuf b;
    struct reply r;
    obuf_init(&b);
    reply_init(&r, &b, 2);
    size_t at = reply_defer(&r);
    for (int i = 0; i < 12; i++) reply_int(&r, i);
    reply_defer_array(&r, at, 12);
    cr_assert_eq(memcmp(b.data, "*12\r\n:0\r\n:1\r\n", 13), 0);
    cr_assert_eq(resp_value_span(b.data, b.len), b.len);
    obuf_free(&b);
}

/* Found by fuzz_resp: a huge map count overflowed when doubled, and deep
 * nesting recursed without bound. Both are malformed, not fatal. */
Test(resp, span_of_hostile_aggregates)
{
    const char *huge = "%9223372036854775807\r\n:1\r\n";
    cr_assert_eq(resp_value_span(huge, strlen(huge)), 0);
    const char *null_array = "*-1\r\n";
    cr_assert_eq(resp_value_span(null_array, 5), 5);
    /* A huge negative map count is a null, not a count to double (UBSan,
     * fuzz_resp: signed overflow). */
    const char *negative_map = "%-4611686018427387905\r\n";
    cr_assert_eq(resp_value_span(negative_map, strlen(negative_map)), strlen(negative_map));
    enum { DEPTH = 100000 };
    char *deep = rk_malloc(DEPTH * 4 + 3);
    for (int i = 0; i < DEPTH; i++) memcpy(deep + i * 4, "*1\r\n", 4);
    memcpy(deep + DEPTH * 4, ":1\r", 3);
    cr_assert_eq(resp_value_span(deep, DEPTH * 4 + 3), 0);
    rk_free(deep);
    const char *nul = "\0" "1\r\n";
    long long count;
    size_t hdr;
    cr_assert(!resp_aggregate_header(nul, 4, &count, &hdr));
}
