/* test_protocol.c — the RESP wire protocol seen through raw sockets, in the
 * spirit of Redis's tests/unit/protocol.tcl: malformed requests get Redis's
 * exact error and lose their connection (others keep working), inline
 * commands, requests split at every byte, binary-safe values, RESP3 via
 * HELLO. Expected bytes were checked against redis-server 7.0. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/alloc.h"

TestSuite(protocol, .timeout = 60);

/* Sends `request` on a fresh raw connection, expects exactly `error` and a
 * close, and checks that `c` (another client) still works and still sees
 * the key written before. */
static void expect_protocol_error(redisContext *c, const char *request, size_t len,
                                  const char *error)
{
    char esc[200];
    ts_escape(request, len, esc, sizeof esc);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send(raw, request, len);
    char why[1024];
    bool ok = ts_raw_reply_is(raw, error, strlen(error), 5000, why, sizeof why);
    cr_assert(ok, "request \"%s\": %s", esc, why);
    cr_assert(ts_raw_wait_eof(raw, 5000), "request \"%s\": server did not close: %s", esc,
              ts_raw_status(raw));
    ts_raw_close(raw);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_bulk(ts_cmd(c, "GET survivor"), "intact");
}

#define PROTO_ERR(text) "-ERR Protocol error: " text "\r\n"

TS_TEST(protocol, malformed_requests_get_exact_error_and_close)
{
    static const struct {
        const char *request, *error;
    } cases[] = {
        {"*abc\r\n", PROTO_ERR("invalid multibulk length")},
        {"*2147483648\r\n", PROTO_ERR("invalid multibulk length")},
        {"*1\r\n$x\r\n", PROTO_ERR("invalid bulk length")},
        {"*1\r\n$-1\r\n", PROTO_ERR("invalid bulk length")},
        {"*1\r\n$-5\r\n", PROTO_ERR("invalid bulk length")},
        {"*1\r\n$1000000000000000000000\r\n", PROTO_ERR("invalid bulk length")},
        /* one byte over the default proto-max-bulk-len (512mb) */
        {"*1\r\n$536870913\r\n", PROTO_ERR("invalid bulk length")},
        {"*1\r\n+foo\r\n", PROTO_ERR("expected '$', got '+'")},
        {"*2\r\n$3\r\nGET\r\n:1\r\n", PROTO_ERR("expected '$', got ':'")},
        {"SET k \"a b\r\n", PROTO_ERR("unbalanced quotes in request")},
        {"SET \"k\r\n", PROTO_ERR("unbalanced quotes in request")},
        {"SET k 'a\r\n", PROTO_ERR("unbalanced quotes in request")},
    };
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET survivor intact"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_protocol_error(c, cases[i].request, strlen(cases[i].request), cases[i].error);
    redisFree(c);
}

/* Lines with no end in sight are refused once they pass 64 KB. */
TS_TEST(protocol, oversized_lines_get_exact_error_and_close)
{
    enum { LIMIT = 64 * 1024 };
    static const struct {
        const char *prefix, *error;
    } cases[] = {
        {"", PROTO_ERR("too big inline request")},
        {"*", PROTO_ERR("too big mbulk count string")},
        {"*1\r\n$", PROTO_ERR("too big bulk count string")},
    };
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET survivor intact"));
    char *req = rk_malloc(LIMIT + 16);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t p = strlen(cases[i].prefix);
        memcpy(req, cases[i].prefix, p);
        memset(req + p, '1', LIMIT + 1);
        expect_protocol_error(c, req, p + LIMIT + 1, cases[i].error);
    }
    rk_free(req);
    redisFree(c);
}

/* Commands before the bad bytes in the same packet are answered first, and
 * nothing after them runs. */
TS_TEST(protocol, valid_commands_before_an_error_are_answered)
{
    redisContext *c = ts_connect(g_server);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "PING\r\n*3\r\n$3\r\nSET\r\n$6\r\nbefore\r\n$1\r\n1\r\n"
                         "*abc\r\n*3\r\n$3\r\nSET\r\n$5\r\nafter\r\n$1\r\n1\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, PROTO_ERR("invalid multibulk length"));
    cr_assert(ts_raw_wait_eof(raw, 5000), "no close: %s", ts_raw_status(raw));
    ts_raw_close(raw);
    ts_assert_bulk(ts_cmd(c, "GET before"), "1");
    ts_assert_int(ts_cmd(c, "EXISTS after"), 0);
    redisFree(c);
}

/* Empty multibulks are skipped, as Redis does. */
TS_TEST(protocol, empty_and_null_multibulk_are_ignored)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_close(raw);
}

TS_TEST(protocol, inline_commands)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "PING\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_send_str(raw, "PING\n"); /* bare LF ends an inline command too */
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_send_str(raw, "\r\n\r\n  \r\nping\r\n"); /* blank lines are skipped */
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_send_str(raw, "SET a b\r\nGET a\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$1\r\nb\r\n");
    ts_raw_send_str(raw, "SET k \"a b\"\r\nGET k\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$3\r\na b\r\n");
    ts_raw_send_str(raw, "SET   k2    'x y'  \r\nGET k2\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$3\r\nx y\r\n");
    /* Double quotes take C-like escapes; single quotes only \'. */
    ts_raw_send_str(raw, "SET k3 \"a\\x41\\n\\\"\"\r\nGET k3\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$4\r\naA\n\"\r\n");
    ts_raw_send_str(raw, "SET k4 'it\\'s \\n'\r\nGET k4\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$7\r\nit's \\n\r\n");
    ts_raw_send_str(raw, "SET k5 \"\"\r\nSTRLEN k5\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, ":0\r\n");
    ts_raw_send_str(raw, "NOSUCH x\r\n");
    ts_raw_expect(raw, "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n");
    ts_raw_send_str(raw, "GET\r\n");
    ts_raw_expect(raw, "-ERR wrong number of arguments for 'get' command\r\n");
    ts_raw_close(raw);
}

/* A pipeline mixing multibulk and inline commands. */
static const char split_pipeline[] =
    "*3\r\n$3\r\nSET\r\n$5\r\nsplit\r\n$11\r\nhello world\r\n"
    "*2\r\n$3\r\nGET\r\n$5\r\nsplit\r\n"
    "PING\r\n"
    "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"
    "SET inl \"q q\"\r\n"
    "*2\r\n$3\r\nGET\r\n$3\r\ninl\r\n";

static void expect_split_pipeline_replies(struct ts_raw *raw, int round)
{
    char ctr[16];
    int n = snprintf(ctr, sizeof ctr, ":%d\r\n", round);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$11\r\nhello world\r\n");
    ts_raw_expect(raw, "+PONG\r\n");
    ts_raw_expect_n(raw, ctr, (size_t)n);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$3\r\nq q\r\n");
}

/* The whole pipeline sent one byte per write, with a pause so the server
 * sees the bytes in separate reads. */
TS_TEST(protocol, pipeline_sent_one_byte_at_a_time)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    for (size_t i = 0; i < sizeof split_pipeline - 1; i++) {
        ts_raw_send(raw, split_pipeline + i, 1);
        ts_sleep_ms(1);
    }
    expect_split_pipeline_replies(raw, 1);
    ts_raw_close(raw);
}

/* The pipeline cut in two at every byte boundary in turn. */
TS_TEST(protocol, pipeline_split_at_every_boundary)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    size_t len = sizeof split_pipeline - 1;
    for (size_t cut = 1; cut < len; cut++) {
        ts_raw_send(raw, split_pipeline, cut);
        ts_sleep_ms(2);
        ts_raw_send(raw, split_pipeline + cut, len - cut);
        expect_split_pipeline_replies(raw, (int)cut);
    }
    ts_raw_close(raw);
}

TS_TEST(protocol, binary_safe_keys_and_values)
{
    redisContext *c = ts_connect(g_server);
    char value[512];
    for (size_t i = 0; i < sizeof value; i++)
        value[i] = (char)(i % 256);
    static const char key[] = "bin\0key\r\n*1\r\n";
    ts_assert_ok(ts_cmd(c, "SET %b %b", key, sizeof key - 1, value, sizeof value));
    redisReply *r = ts_cmd(c, "GET %b", key, sizeof key - 1);
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert_eq(r->len, sizeof value);
    cr_assert(memcmp(r->str, value, sizeof value) == 0, "value bytes differ");
    freeReplyObject(r);
    ts_assert_nil(ts_cmd(c, "GET bin")); /* the key is not cut at its NUL */
    redisFree(c);

    /* The same at byte level: exact framing of a value with CRLF and NUL. */
    struct ts_raw *raw = ts_raw_connect(g_server);
    static const char set[] = "*3\r\n$3\r\nSET\r\n$3\r\nb\0k\r\n$5\r\n\r\n\0\n\r\r\n"
                              "*2\r\n$3\r\nGET\r\n$3\r\nb\0k\r\n";
    ts_raw_send(raw, set, sizeof set - 1);
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$5\r\n\r\n\0\n\r\r\n");
    ts_raw_close(raw);
}

/* Values larger than any socket buffer, in both directions. */
TS_TEST(protocol, large_values_round_trip)
{
    enum { BIG = 3 << 20, GETS = 8 };
    char *big = rk_malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG / 2] = '\0';
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET big %b", big, (size_t)BIG));
    for (int i = 0; i < GETS; i++)
        ts_append(c, "GET big");
    for (int i = 0; i < GETS; i++) {
        redisReply *r = ts_reply(c);
        cr_assert(r->type == REDIS_REPLY_STRING && r->len == BIG &&
                      memcmp(r->str, big, BIG) == 0,
                  "GET %d of a %d-byte value came back wrong (type %d, len %zu)", i, BIG,
                  r->type, r->len);
        freeReplyObject(r);
    }
    ts_assert_int(ts_cmd(c, "STRLEN big"), BIG);
    rk_free(big);
    redisFree(c);
}

/* A command whose reply was never read, then a close: the server must not
 * mind (and must keep serving others). */
TS_TEST(protocol, client_closing_mid_pipeline)
{
    for (int i = 0; i < 5; i++) {
        struct ts_raw *raw = ts_raw_connect(g_server);
        for (int j = 0; j < 200; j++)
            ts_raw_send_str(raw, "*3\r\n$3\r\nSET\r\n$2\r\nmk\r\n$5\r\nvalue\r\nGET mk\r\n");
        ts_raw_send_str(raw, "*2\r\n$3\r\nGET\r\n$2\r\nmk"); /* cut short */
        ts_raw_close(raw);
    }
    /* Commands of different connections are not ordered: the closed
     * clients' SETs may still be on their way to mk's shard. */
    redisContext *c = ts_connect(g_server);
    long long deadline = ts_now_ms() + 10000;
    redisReply *r = ts_cmd(c, "GET mk");
    while (r->type == REDIS_REPLY_NIL && ts_now_ms() < deadline) {
        freeReplyObject(r);
        ts_sleep_ms(20);
        r = ts_cmd(c, "GET mk");
    }
    ts_assert_bulk(r, "value");
    redisFree(c);
}

TS_TEST(protocol, hello_switches_protocol)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    size_t len;
    /* HELLO without a version answers (a map in RESP2 is a flat array)
     * and keeps RESP2. */
    ts_raw_send_str(raw, "HELLO\r\n");
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '*', "HELLO: %s", r ? r : ts_raw_status(raw));
    cr_assert(strstr(r, "$5\r\nproto\r\n:2\r\n"), "HELLO reply lacks proto 2: %s", r);
    ts_raw_send_str(raw, "GET missing\r\n");
    ts_raw_expect(raw, "$-1\r\n");

    ts_raw_send_str(raw, "HELLO 3\r\n");
    r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '%', "HELLO 3 must answer a RESP3 map: %s", r ? r : ts_raw_status(raw));
    cr_assert(strstr(r, "$6\r\nserver\r\n") && strstr(r, "$5\r\nproto\r\n:3\r\n"),
              "HELLO 3 reply: %s", r);
    /* Now RESP3: nil is '_' and CONFIG GET is a map. */
    ts_raw_send_str(raw, "GET missing\r\n");
    ts_raw_expect(raw, "_\r\n");
    ts_raw_send_str(raw, "CONFIG GET appendonly\r\n");
    ts_raw_expect(raw, "%1\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
    ts_raw_send_str(raw, "PING\r\n");
    ts_raw_expect(raw, "+PONG\r\n");

    /* Other reply types keep their RESP2 form, nils inside arrays too. */
    ts_raw_send_str(raw, "SET k v\r\nMGET k missing\r\nINCR n\r\nDEL missing\r\nGET\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "*2\r\n$1\r\nv\r\n_\r\n");
    ts_raw_expect(raw, ":1\r\n");
    ts_raw_expect(raw, ":0\r\n");
    ts_raw_expect(raw, "-ERR wrong number of arguments for 'get' command\r\n");

    ts_raw_send_str(raw, "HELLO 4\r\n");
    ts_raw_expect(raw, "-NOPROTO unsupported protocol version\r\n");
    ts_raw_send_str(raw, "HELLO 1\r\n");
    ts_raw_expect(raw, "-NOPROTO unsupported protocol version\r\n");
    ts_raw_send_str(raw, "HELLO abc\r\n");
    ts_raw_expect(raw, "-ERR Protocol version is not an integer or out of range\r\n");
    /* A refused HELLO leaves the protocol as it was. */
    ts_raw_send_str(raw, "GET missing\r\n");
    ts_raw_expect(raw, "_\r\n");

    ts_raw_send_str(raw, "HELLO 2\r\n");
    r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '*', "HELLO 2: %s", r ? r : ts_raw_status(raw));
    ts_raw_send_str(raw, "GET missing\r\n");
    ts_raw_expect(raw, "$-1\r\n");
    ts_raw_close(raw);
}

/* proto-max-bulk-len is a directive; the limit follows it. */
Test(protocol, bulk_over_configured_max_len, .fini = ts_fixture_fini)
{
    g_server = ts_start("--proto-max-bulk-len", "1mb", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET survivor intact"));
    expect_protocol_error(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n",
                          strlen("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"),
                          PROTO_ERR("invalid bulk length"));
    /* Exactly the limit is fine. */
    size_t n = 1 << 20;
    char *v = rk_malloc(n);
    memset(v, 'v', n);
    ts_assert_ok(ts_cmd(c, "SET k %b", v, n));
    ts_assert_int(ts_cmd(c, "STRLEN k"), (long long)n);
    rk_free(v);
    redisFree(c);
    ts_fixture_stop();
}
