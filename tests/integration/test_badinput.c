/* test_badinput.c — bad input answered exactly as Redis answers it: one
 * table of malformed requests and wrong arguments, each sent on its own
 * connection, with Redis 7.0's reply bytes and whether Redis then closes
 * the connection. The suite `redis` runs this same table against
 * redis-server, so every row is Redis's behaviour, not our guess. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(badinput, .timeout = 120);

struct bad_case {
    const char *request;
    size_t len;           /* request bytes (they may hold NULs) */
    const char *reply;    /* every reply byte expected, in order */
    size_t reply_len;
    bool closes;          /* the server then closes the connection */
};

/* A request and its expected reply as string literals (NULs allowed). */
#define CASE(req, rep, cl) {req, sizeof(req) - 1, rep, sizeof(rep) - 1, cl}
#define KEEP false
#define CLOSE true
#define PERR(text) "-ERR Protocol error: " text "\r\n"
#define NOT_INT "-ERR value is not an integer or out of range\r\n"
#define ARITY(cmd) "-ERR wrong number of arguments for '" cmd "' command\r\n"
#define BAD_EXPIRE(cmd) "-ERR invalid expire time in '" cmd "' command\r\n"

static const struct bad_case cases[] = {
    /* multibulk and bulk lengths */
    CASE("*abc\r\n", PERR("invalid multibulk length"), CLOSE),
    CASE("*3000000000\r\n", PERR("invalid multibulk length"), CLOSE),
    CASE("*1x\r\n", PERR("invalid multibulk length"), CLOSE),
    CASE("*-10\r\nPING\r\n", "+PONG\r\n", KEEP), /* negative counts are skipped */
    CASE("*0\r\n*1\r\n$4\r\nPING\r\n", "+PONG\r\n", KEEP),
    CASE("*1\r\n$abc\r\n", PERR("invalid bulk length"), CLOSE),
    CASE("*1\r\n$-1\r\n", PERR("invalid bulk length"), CLOSE),
    CASE("*1\r\n$1\r\n$4\r\n", "-ERR unknown command '$', with args beginning with: \r\n", KEEP),
    CASE("*1\r\n$536870913\r\n", PERR("invalid bulk length"), CLOSE),
    CASE("*1\r\n$99999999999999999999\r\n", PERR("invalid bulk length"), CLOSE),
    CASE("*1\r\n$4\r\nPINGXX\r\n", "+PONG\r\n", KEEP), /* the 2 bytes after a bulk are not checked */
    /* nested arrays and other types where a bulk belongs */
    CASE("*2\r\n*1\r\n$4\r\nPING\r\n", PERR("expected '$', got '*'"), CLOSE),
    CASE("*1\r\n:5\r\n", PERR("expected '$', got ':'"), CLOSE),
    CASE("*1\r\n+PING\r\n", PERR("expected '$', got '+'"), CLOSE),
    CASE("*2\r\n$4\r\nECHO\r\n%1\r\n", PERR("expected '$', got '%'"), CLOSE),
    /* valid commands before the bad bytes are answered first */
    CASE("PING\r\n*1\r\n$x\r\n", "+PONG\r\n" PERR("invalid bulk length"), CLOSE),
    /* inline commands */
    CASE("SET k \"abc\r\n", PERR("unbalanced quotes in request"), CLOSE),
    CASE("SET k \"a\"b\r\n", PERR("unbalanced quotes in request"), CLOSE),
    CASE("SET k 'a'b\r\n", PERR("unbalanced quotes in request"), CLOSE),
    CASE("SET k 'abc\r\n", PERR("unbalanced quotes in request"), CLOSE),
    CASE("ECHO \"\\x4\"\r\n", "$2\r\nx4\r\n", KEEP),
    CASE("ECHO \"\\xZZ\"\r\n", "$3\r\nxZZ\r\n", KEEP),
    CASE("ECHO \"\\x41\\n\"\r\n", "$2\r\nA\n\r\n", KEEP),
    CASE("   \r\n\r\nPING\r\n", "+PONG\r\n", KEEP),
    /* unknown commands and subcommands, wrong arity */
    CASE("FOO a b\r\n", "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n", KEEP),
    CASE("*1\r\n$0\r\n\r\n", "-ERR unknown command '', with args beginning with: \r\n", KEEP),
    CASE("*2\r\n$3\r\nFOO\r\n$0\r\n\r\n", "-ERR unknown command 'FOO', with args beginning with: '' \r\n", KEEP),
    CASE("*1\r\n$5\r\nG\0E T\r\n", "-ERR unknown command 'G', with args beginning with: \r\n", KEEP),
    CASE("*2\r\n$3\r\nFOO\r\n$5\r\na\r\nb\0\r\n", "-ERR unknown command 'FOO', with args beginning with: 'a  b' \r\n",
         KEEP),
    CASE("CONFIG FOO\r\n", "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n", KEEP),
    CASE("CLIENT FOO bar\r\n", "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n", KEEP),
    CASE("CONFIG\r\n", ARITY("config"), KEEP),
    CASE("CLIENT\r\n", ARITY("client"), KEEP),
    CASE("GET\r\n", ARITY("get"), KEEP),
    CASE("GET a b\r\n", ARITY("get"), KEEP),
    CASE("SET k\r\n", ARITY("set"), KEEP),
    CASE("MSET a\r\n", ARITY("mset"), KEEP),
    CASE("MSET a 1 b\r\n", ARITY("mset"), KEEP),
    CASE("CONFIG GET\r\n", ARITY("config|get"), KEEP),
    CASE("CLIENT SETNAME\r\n", ARITY("client|setname"), KEEP),
    CASE("get\r\n", ARITY("get"), KEEP),
    /* non-integers and overflow */
    CASE("INCRBY bi1 abc\r\n", NOT_INT, KEEP),
    CASE("INCRBY bi1 1.5\r\n", NOT_INT, KEEP),
    CASE("INCRBY bi1 9223372036854775808\r\n", NOT_INT, KEEP),
    CASE("INCRBY bi1 \" 1\"\r\n", NOT_INT, KEEP),
    CASE("SET bi2 9223372036854775807\r\nINCR bi2\r\n", "+OK\r\n-ERR increment or decrement would overflow\r\n", KEEP),
    CASE("SET bi3 -9223372036854775808\r\nDECR bi3\r\n", "+OK\r\n-ERR increment or decrement would overflow\r\n",
         KEEP),
    CASE("DECRBY bi4 -9223372036854775808\r\n", "-ERR decrement would overflow\r\n", KEEP),
    CASE("SET bi5 abc\r\nINCR bi5\r\n", "+OK\r\n" NOT_INT, KEEP),
    CASE("INCRBYFLOAT bi6 abc\r\n", "-ERR value is not a valid float\r\n", KEEP),
    CASE("GETRANGE bi7 a b\r\n", NOT_INT, KEEP),
    CASE("SETRANGE bi8 -1 v\r\n", "-ERR offset is out of range\r\n", KEEP),
    CASE("SETRANGE bi8 536870912 v\r\n", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n", KEEP),
    /* expire times */
    CASE("SET bx1 v EX 0\r\n", BAD_EXPIRE("set"), KEEP),
    CASE("SET bx1 v EX -1\r\n", BAD_EXPIRE("set"), KEEP),
    CASE("SET bx1 v PX 9223372036854775807\r\n", BAD_EXPIRE("set"), KEEP),
    CASE("SET bx1 v EX 9223372036854775\r\n", BAD_EXPIRE("set"), KEEP),
    CASE("SET bx1 v EX abc\r\n", NOT_INT, KEEP),
    CASE("SET bx1 v EX 10 PX 10\r\n", "-ERR syntax error\r\n", KEEP),
    CASE("SET bx1 v XX NX\r\n", "-ERR syntax error\r\n", KEEP),
    CASE("SETEX bx1 0 v\r\n", BAD_EXPIRE("setex"), KEEP),
    CASE("PSETEX bx1 -5 v\r\n", BAD_EXPIRE("psetex"), KEEP),
    CASE("EXISTS bx1\r\n", ":0\r\n", KEEP), /* none of the above wrote it */
    CASE("EXPIRE bx2 abc\r\n", NOT_INT, KEEP),
    CASE("SET bx2 v\r\nEXPIRE bx2 9223372036854775807\r\n", "+OK\r\n" BAD_EXPIRE("expire"), KEEP),
    CASE("SET bx3 v\r\nPEXPIRE bx3 9223372036854775807\r\n", "+OK\r\n" BAD_EXPIRE("pexpire"), KEEP),
    CASE("GETEX bx4 EX 0\r\n", "$-1\r\n", KEEP), /* a missing key is not checked */
    CASE("SET bx5 v\r\nGETEX bx5 EX 0\r\n", "+OK\r\n" BAD_EXPIRE("getex"), KEEP),
    /* databases */
    CASE("SELECT 16\r\n", "-ERR DB index is out of range\r\n", KEEP),
    CASE("SELECT -1\r\n", "-ERR DB index is out of range\r\n", KEEP),
    CASE("SELECT 99999999999999999999\r\n", NOT_INT, KEEP),
    CASE("SELECT 1.0\r\n", NOT_INT, KEEP),
    CASE("SELECT abc\r\n", NOT_INT, KEEP),
    /* HELLO versions and options */
    CASE("HELLO 4\r\n", "-NOPROTO unsupported protocol version\r\n", KEEP),
    CASE("HELLO 1\r\n", "-NOPROTO unsupported protocol version\r\n", KEEP),
    CASE("HELLO 0\r\n", "-NOPROTO unsupported protocol version\r\n", KEEP),
    CASE("HELLO -1\r\n", "-NOPROTO unsupported protocol version\r\n", KEEP),
    CASE("HELLO abc\r\n", "-ERR Protocol version is not an integer or out of range\r\n", KEEP),
    CASE("HELLO 99999999999999999999\r\n", "-ERR Protocol version is not an integer or out of range\r\n", KEEP),
    CASE("HELLO 3 FOO\r\n", "-ERR Syntax error in HELLO option 'FOO'\r\n", KEEP),
    CASE("HELLO 3 SETNAME a b\r\n", "-ERR Syntax error in HELLO option 'b'\r\n", KEEP),
    CASE("HELLO 2 SETNAME \"a b\"\r\n", "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
         KEEP),
    CASE("HELLO 3 AUTH default\r\n", "-ERR Syntax error in HELLO option 'AUTH'\r\n", KEEP),
    /* AUTH when no password is set */
    CASE("AUTH x\r\n",
         "-ERR AUTH <password> called without any password configured for the default user. Are you sure your "
         "configuration is correct?\r\n",
         KEEP),
    CASE("AUTH nobody x\r\n", "-WRONGPASS invalid username-password pair or user is disabled.\r\n", KEEP),
    CASE("AUTH a b c\r\n", "-ERR syntax error\r\n", KEEP),
};

/* Reads the replies expected for case i, frame by frame, comparing bytes. */
static void expect_replies(struct ts_raw *raw, size_t i, const char *esc)
{
    const char *want = cases[i].reply;
    size_t left = cases[i].reply_len;
    while (left > 0) {
        long n = ts_resp_frame_len(want, left);
        cr_assert(n > 0, "case %zu: the expected reply is not RESP", i);
        char why[1024];
        bool ok = ts_raw_reply_is(raw, want, (size_t)n, 5000, why, sizeof why);
        cr_assert(ok, "case %zu \"%s\": %s", i, esc, why);
        want += n;
        left -= (size_t)n;
    }
}

static void run_case(const struct bad_case *c, size_t i)
{
    char esc[200];
    ts_escape(c->request, c->len, esc, sizeof esc);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send(raw, c->request, c->len);
    expect_replies(raw, i, esc);
    if (c->closes) {
        cr_assert(ts_raw_wait_eof(raw, 5000), "case %zu \"%s\": the server should close: %s", i, esc,
                  ts_raw_status(raw));
    } else {
        ts_raw_send_str(raw, "PING\r\n");
        char why[1024];
        cr_assert(ts_raw_reply_is(raw, "+PONG\r\n", 7, 5000, why, sizeof why),
                  "case %zu \"%s\": the connection should stay usable: %s", i, esc, why);
    }
    ts_raw_close(raw);
}

TS_TEST(badinput, table)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET canary intact"));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i], i);
        /* another client never notices */
        ts_assert_bulk(ts_cmd(c, "GET canary"), "intact");
    }
    redisFree(c);
}

/* Inline lines: Redis gives up on a line whose end has not come after
 * 64 KB, reading 16 KB at a time, so a 70 KB line sent at once passes and
 * a 100 KB one does not. Lines of `n` bytes of argument. */
static void inline_line(size_t n, bool accepted)
{
    char *req = malloc(n + 16);
    memcpy(req, "ECHO ", 5);
    memset(req + 5, 'a', n);
    memcpy(req + 5 + n, "\r\n", 2);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send(raw, req, n + 7);
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r, "%zu-byte inline line: %s", n, ts_raw_status(raw));
    if (accepted) {
        char head[32];
        int h = snprintf(head, sizeof head, "$%zu\r\n", n);
        cr_assert(len == n + (size_t)h + 2 && memcmp(r, head, (size_t)h) == 0, "%zu-byte inline ECHO: %.40s", n, r);
    } else {
        cr_assert_str_eq(r, PERR("too big inline request"));
        cr_assert(ts_raw_wait_eof(raw, 5000), "no close after a too big inline request");
    }
    ts_raw_close(raw);
    free(req);
}

TS_TEST(badinput, long_inline_lines)
{
    inline_line(60000, true);
    inline_line(70000, true);
    inline_line(100000, false);
}

/* Many bad requests in a row on one connection after a good pipeline:
 * all good replies first, one error, the close; nothing after it runs. */
TS_TEST(badinput, nothing_runs_after_a_protocol_error)
{
    redisContext *c = ts_connect(g_server);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "SET b1 1\r\n*2\r\n$3\r\nGET\r\n$2\r\nb1\r\n*1\r\n$x\r\nSET b2 2\r\nSET b3 \"x\r\n");
    ts_raw_expect(raw, "+OK\r\n");
    ts_raw_expect(raw, "$1\r\n1\r\n");
    ts_raw_expect(raw, PERR("invalid bulk length"));
    cr_assert(ts_raw_wait_eof(raw, 5000), "no close: %s", ts_raw_status(raw));
    ts_raw_close(raw);
    ts_assert_int(ts_cmd(c, "EXISTS b2 b3"), 0);
    redisFree(c);
}
