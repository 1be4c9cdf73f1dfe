/* test_scripting.c — Lua scripting as Redis 7.0 behaves: EVAL, EVALSHA,
 * EVAL_RO, EVALSHA_RO and SCRIPT LOAD|EXISTS|FLUSH|HELP, with replies
 * compared byte for byte on raw connections wherever the form matters:
 *   conversions  Lua values to replies (integers truncate, nil ends an
 *                array, false is a nil bulk, {ok=}/{err=} tables are
 *                status/error replies), and replies to Lua values inside
 *                the script (status -> {ok=}, nil bulk -> false, ...);
 *   errors       numkeys errors, compile errors, runtime errors with the
 *                " script: <sha>, on @user_script:<line>." suffix (the sha
 *                comes from SCRIPT LOAD), redis.call errors (unknown or
 *                refused commands, arity, argument types, WRONGTYPE) versus
 *                redis.pcall and Lua pcall, redis.error_reply and
 *                redis.status_reply, globals protection, redis.sha1hex;
 *   cache        NOSCRIPT, EVAL caching its sha, uppercase shas, SCRIPT
 *                LOAD/EXISTS/FLUSH [ASYNC|SYNC]/HELP, the cache seen (and
 *                flushed) from every connection, INFO
 *                number_of_cached_scripts;
 *   read-only    EVAL_RO/EVALSHA_RO refusing writes, and the shebang line
 *                (#!lua flags=no-writes, unknown flags and options);
 *   RESP3        redis.setresp(3) for a RESP2 and for a HELLO 3 client
 *                (map, set, double, null, boolean, big number, verbatim);
 *   keys         round trips of the main types, no rollback after an
 *                error, SELECT inside a script, EVAL inside MULTI;
 *   shards       untagged declared keys on different shards (at --shards 4,
 *                checked below), undeclared keys (numkeys 0, names from
 *                ARGV or constants), a declared write followed by
 *                undeclared keys;
 *   atomicity    a script's 1000 INCRs are never seen half done, and a
 *                bank of accounts on every shard keeps its total for
 *                concurrent EVALSHA transfers (declared and undeclared
 *                keys) while a summing script and MGET read it;
 *   bad input    arity, 1000-deep tables, a self-referencing table (the
 *                reply ends in "-ERR reached lua stack limit"), non-string
 *                error objects, blocking commands (refused in 7.0).
 * Not covered: SCRIPT KILL, SCRIPT DEBUG, FUNCTION/FCALL, DEBUG, the
 * cjson/cmsgpack/bit/struct libraries. Threads report through their
 * struct (Criterion asserts only on the test's main thread); every loop is
 * bounded. Every expectation holds on redis-server 7.0 too (suite 'redis').
 *
 * Facts of Redis 7.0.15 worth knowing (checked against redis-server):
 *   - error({}) (a table without err) crashes redis-server 7.0.15, so no
 *     test raises one;
 *   - blocking commands (BLPOP, BLMOVE, ...) are refused inside scripts,
 *     even when they would not block;
 *   - with redis.setresp(3), `return false` gives :0 to a RESP2 client
 *     (#f to RESP3), and a RESP3 reply nested in an array keeps its shape
 *     (ZRANGE WITHSCORES becomes pairs) even for a RESP2 client;
 *   - redis.error_reply("x") is "-ERR x" but {err="x"} is "-x";
 *     redis.error_reply("") is "-ERR " (with the space);
 *   - Lua's pcall gives the error's text (a string) for redis.call errors,
 *     not the {err=} table redis.pcall returns. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringkv/base/util.h"

TestSuite(scripting, .timeout = 120);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOT_INT "ERR value is not an integer or out of range"
#define NOSCRIPT "NOSCRIPT No matching script. Please use EVAL."
#define TOO_MANY_KEYS "ERR Number of keys can't be greater than number of args"
#define NEG_KEYS "ERR Number of keys can't be negative"
#define RO_WRITE "ERR Write commands are not allowed from read-only scripts."
#define NOT_ALLOWED "ERR This Redis command is not allowed from script"
#define UNKNOWN_CMD "ERR Unknown Redis command called from script"
#define BAD_ARITY "ERR Wrong number of args calling Redis command from script"
#define BAD_ARG "ERR Lua redis lib command arguments must be strings or integers"
#define NO_ARGS "ERR Please specify at least one argument for this redis lib call"

/* ---- keys and shards --------------------------------------------------- */

#define ARGV_OF(...) ((const char *const[]){__VA_ARGS__})
#define NARGS(...) ((int)(sizeof ARGV_OF(__VA_ARGS__) / sizeof(const char *)))
#define SPREAD(want, ...) ts_assert_spread(ARGV_OF(__VA_ARGS__), (size_t)NARGS(__VA_ARGS__), want)

/* ---- raw commands and exact replies ------------------------------------ */


/* EXPECT(raw, "<exact reply bytes>", "EVAL", script, numkeys, args...):
 * want is a string literal (it may hold NULs); EXPECT_S takes a C string. */
#define EXPECT(raw, want, ...) ts_raw_expect_argv((raw), (want), sizeof(want) - 1, NARGS(__VA_ARGS__), ARGV_OF(__VA_ARGS__))
#define EXPECT_S(raw, want, ...) ts_raw_expect_argv((raw), (want), strlen(want), NARGS(__VA_ARGS__), ARGV_OF(__VA_ARGS__))

/* The sha1 the server gives script, from SCRIPT LOAD (40 hex digits). */
static void script_sha(struct ts_raw *raw, const char *script, char sha[41])
{
    ts_raw_send_argv(raw, 3, ARGV_OF("SCRIPT", "LOAD", script));
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r, "SCRIPT LOAD: %s", ts_raw_status(raw));
    cr_assert(len == 47 && memcmp(r, "$40\r\n", 5) == 0, "SCRIPT LOAD: want a 40-byte bulk, got \"%.*s\"", (int)len,
              r);
    memcpy(sha, r + 5, 40);
    sha[40] = '\0';
}

/* Runs argv (EVAL, its script in argv[1], numkeys, ...) and asserts the
 * error of a script aborted at `line`:
 * "-<msg> script: <sha of argv[1]>, on @user_script:<line>.\r\n". */
static void expect_script_error_argv(struct ts_raw *raw, const char *msg, int line, int argc,
                                     const char *const *argv)
{
    char sha[41], want[1024];
    script_sha(raw, argv[1], sha);
    snprintf(want, sizeof want, "-%s script: %s, on @user_script:%d.\r\n", msg, sha, line);
    ts_raw_expect_argv(raw, want, strlen(want), argc, argv);
}
#define EXPECT_SCRIPT_ERROR(raw, msg, line, ...)                                                 \
    expect_script_error_argv((raw), (msg), (line), NARGS(__VA_ARGS__), ARGV_OF(__VA_ARGS__))

/* Switches a raw connection to RESP3. */
static void raw_hello3(struct ts_raw *raw)
{
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '%', "HELLO 3: %s", r ? r : ts_raw_status(raw));
}

/* A bulk reply's text as a long long (hiredis), failing otherwise. */
static long long get_ll(redisContext *c, const char *key)
{
    redisReply *r = ts_cmd(c, "GET %s", key);
    cr_assert(r->type == REDIS_REPLY_STRING, "GET %s: not a bulk string", key);
    long long v = atoll(r->str);
    freeReplyObject(r);
    return v;
}

/* ---- Lua values -> replies ----------------------------------------------- */

TS_TEST(scripting, lua_values_convert_to_resp2_replies)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$5\r\nhello\r\n", "EVAL", "return 'hello'", "0");
    EXPECT(raw, "$11\r\nhello world\r\n", "EVAL", "return 'hello world'", "0");
    EXPECT(raw, "$5\r\nhello\r\n", "EVAL", "return 'hello' --trailing comment", "0");
    EXPECT(raw, "$3\r\na\0b\r\n", "EVAL", "return 'a\\0b'", "0");
    EXPECT(raw, "$0\r\n\r\n", "EVAL", "return ''", "0");
    /* Numbers are truncated toward zero. */
    EXPECT(raw, ":100\r\n", "EVAL", "return 100.5", "0");
    EXPECT(raw, ":3\r\n", "EVAL", "return 3.99", "0");
    EXPECT(raw, ":-3\r\n", "EVAL", "return -3.99", "0");
    EXPECT(raw, ":0\r\n", "EVAL", "return -0.5", "0");
    EXPECT(raw, ":9007199254740991\r\n", "EVAL", "return 9007199254740991", "0");
    EXPECT(raw, ":1\r\n", "EVAL", "return true", "0");
    EXPECT(raw, "$-1\r\n", "EVAL", "return false", "0");
    EXPECT(raw, "$-1\r\n", "EVAL", "return nil", "0");
    EXPECT(raw, "$-1\r\n", "EVAL", "return", "0");
    EXPECT(raw, "$-1\r\n", "EVAL", "", "0");
    EXPECT(raw, "+fine\r\n", "EVAL", "return {ok='fine'}", "0");
    EXPECT(raw, "-ERR this is an error\r\n", "EVAL", "return {err='ERR this is an error'}", "0");
    /* {err=} is sent as is: no "ERR " is added. */
    EXPECT(raw, "-x\r\n", "EVAL", "return {err='x'}", "0");
    /* err wins over ok, either wins over array items; CR/LF become spaces. */
    EXPECT(raw, "-e\r\n", "EVAL", "return {err='e', ok='x'}", "0");
    EXPECT(raw, "+x\r\n", "EVAL", "return {1, ok='x'}", "0");
    EXPECT(raw, "+li  ne\r\n", "EVAL", "return {ok='li\\r\\nne'}", "0");
    EXPECT(raw, "-li  ne\r\n", "EVAL", "return {err='li\\r\\nne'}", "0");
    /* Arrays, nested; an array ends at its first nil; false is a nil bulk. */
    EXPECT(raw, "*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n", "EVAL", "return {1,2,3,'ciao',{1,2}}",
           "0");
    EXPECT(raw, "*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n*2\r\n:4\r\n$1\r\nx\r\n", "EVAL",
           "return {1,2,{3,{4,'x'}},nil,5}", "0");
    EXPECT(raw, "*2\r\n:1\r\n:2\r\n", "EVAL", "return {1,2,nil,4}", "0");
    EXPECT(raw, "*0\r\n", "EVAL", "return {nil,2}", "0");
    EXPECT(raw, "*3\r\n:1\r\n$-1\r\n:3\r\n", "EVAL", "return {1,false,3}", "0");
    EXPECT(raw, "*6\r\n:1\r\n:2\r\n$1\r\nx\r\n:1\r\n$-1\r\n:9\r\n", "EVAL", "return {1, 2.7, 'x', true, false, 9}",
           "0");
    EXPECT(raw, "*0\r\n", "EVAL", "return {}", "0");
    /* Only the array part of a table is sent: _G has none. */
    EXPECT(raw, "*0\r\n", "EVAL", "return _G", "0");
    EXPECT(raw, "*1\r\n:1\r\n", "EVAL", "return {1, a=2, b=3}", "0");
    /* An {err=}/{ok=} table inside an array is an error/status element. */
    EXPECT(raw, "*3\r\n+fine\r\n-BAD x\r\n:1\r\n", "EVAL", "return {{ok='fine'}, {err='BAD x'}, 1}", "0");
    /* {double=}, {map=}, {set=}, {big_number=} in RESP2 (no setresp needed). */
    EXPECT(raw, "$3\r\n3.5\r\n", "EVAL", "return {double=3.5}", "0");
    EXPECT(raw, "*2\r\n$1\r\na\r\n:1\r\n", "EVAL", "return {map={a=1}}", "0");
    EXPECT(raw, "*1\r\n$1\r\na\r\n", "EVAL", "return {set={a=true}}", "0");
    EXPECT(raw, "$3\r\n123\r\n", "EVAL", "return {big_number='123'}", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, keys_and_argv)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "*4\r\n$4\r\na{t}\r\n$4\r\nb{t}\r\n$4\r\nc{t}\r\n$4\r\nd{t}\r\n", "EVAL",
           "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}", "2", "a{t}", "b{t}", "c{t}", "d{t}");
    EXPECT(raw, "*6\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n:2\r\n:2\r\n", "EVAL",
           "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2], #KEYS, #ARGV}", "2", "a", "b", "c", "d");
    EXPECT(raw, "*2\r\n:0\r\n:3\r\n", "EVAL", "return {#KEYS, #ARGV}", "0", "x", "y", "z");
    EXPECT(raw, "*2\r\n:3\r\n:0\r\n", "EVAL", "return {#KEYS, #ARGV}", "3", "x", "y", "z");
    EXPECT(raw, ":0\r\n", "EVAL", "return #KEYS + #ARGV", "0");
    EXPECT(raw, "$5\r\ntable\r\n", "EVAL", "return type(KEYS)", "0");
    /* KEYS itself is a global (read-only); its elements may be changed. */
    EXPECT(raw, "$1\r\na\r\n", "EVAL", "KEYS[1] = 'a'; return KEYS[1]", "0");
    /* Arguments are binary-safe strings, also when they look like numbers. */
    EXPECT(raw, "*2\r\n$6\r\nstring\r\n$2\r\n10\r\n", "EVAL", "return {type(ARGV[1]), ARGV[1]}", "0", "10");
    EXPECT(raw, ":11\r\n", "EVAL", "return tonumber(ARGV[1]) + 1", "0", "10");
    ts_raw_close(raw);
}

TS_TEST(scripting, numkeys_and_arity_errors)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVAL", "return 1", "1");
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVAL", "return 1", "3", "a", "b");
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVAL", "return 1", "2147483648", "a");
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVAL", "return 1", "9223372036854775807");
    EXPECT(raw, "-" NEG_KEYS "\r\n", "EVAL", "return 1", "-1");
    EXPECT(raw, "-" NEG_KEYS "\r\n", "EVAL", "return 'hello'", "-12");
    EXPECT(raw, "-" NEG_KEYS "\r\n", "EVAL", "return 1", "-9223372036854775808", "a");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "x");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "1.5", "a", "b");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "9223372036854775808");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "99999999999999999999", "a");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return 1", "1a", "a");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL_RO", "return 1", "x");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "x", "k");
    EXPECT(raw, "-" NOT_INT "\r\n", "EVALSHA_RO", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "x", "k");
    /* numkeys is checked before the script is looked up. */
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "5");
    EXPECT(raw, "-" NEG_KEYS "\r\n", "EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "-1");
    EXPECT(raw, "-" TOO_MANY_KEYS "\r\n", "EVALSHA_RO", "ffd632c7d33e571e9f24556ebed26c3479a87130", "1");
    EXPECT(raw, "-ERR wrong number of arguments for 'eval' command\r\n", "EVAL", "return 1");
    EXPECT(raw, "-ERR wrong number of arguments for 'eval' command\r\n", "EVAL");
    EXPECT(raw, "-ERR wrong number of arguments for 'evalsha' command\r\n", "EVALSHA",
           "fd758d1589d044dd850a6f05d52f2eefd27f033f");
    EXPECT(raw, "-ERR wrong number of arguments for 'eval_ro' command\r\n", "EVAL_RO", "return 1");
    EXPECT(raw, "-ERR wrong number of arguments for 'evalsha_ro' command\r\n", "EVALSHA_RO");
    /* Extra arguments beyond numkeys are ARGV, not an error. */
    EXPECT(raw, ":1\r\n", "EVAL", "return 1", "0", "a", "b");
    ts_raw_close(raw);
}

/* ---- replies -> Lua values ------------------------------------------------- */

TS_TEST(scripting, redis_call_replies_convert_to_lua_values)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "SET", "x", "0");
    EXPECT(raw, "*2\r\n$6\r\nnumber\r\n:1\r\n", "EVAL",
           "local foo = redis.pcall('incr',KEYS[1]); return {type(foo),foo}", "1", "x");
    EXPECT(raw, "+OK\r\n", "SET", "mykey", "myval");
    EXPECT(raw, "*2\r\n$6\r\nstring\r\n$5\r\nmyval\r\n", "EVAL",
           "local foo = redis.pcall('get',KEYS[1]); return {type(foo),foo}", "1", "mykey");
    EXPECT(raw, ":3\r\n", "RPUSH", "mylist", "a", "b", "c");
    EXPECT(raw, "*5\r\n$5\r\ntable\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n:3\r\n", "EVAL",
           "local foo = redis.pcall('lrange',KEYS[1],0,-1); return {type(foo),foo[1],foo[2],foo[3],#foo}", "1",
           "mylist");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n:0\r\n", "EVAL",
           "local foo = redis.call('lrange','nosuchlist',0,-1); return {type(foo),#foo}", "0");
    /* A status reply is {ok=...}; returning it gives the status back. */
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$2\r\nOK\r\n", "EVAL",
           "local foo = redis.pcall('set',KEYS[1],'myval'); return {type(foo),foo['ok']}", "1", "mykey");
    EXPECT(raw, "+OK\r\n", "EVAL", "return redis.call('set',KEYS[1],'v')", "1", "mykey");
    EXPECT(raw, "+PONG\r\n", "EVAL", "return redis.call('ping')", "0");
    /* An error reply is {err=...} through redis.pcall. */
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$43\r\n" NOT_INT "\r\n", "EVAL",
           "local foo = redis.pcall('incr',KEYS[1]); return {type(foo),foo['err']}", "1", "mykey");
    /* A nil bulk is false. */
    EXPECT(raw, "*2\r\n$7\r\nboolean\r\n:1\r\n", "EVAL",
           "local foo = redis.pcall('get',KEYS[1]); return {type(foo),foo == false}", "1", "nokey");
    EXPECT(raw, ":1\r\n", "EVAL", "return redis.call('get','nokey') == false", "0");
    EXPECT(raw, "$-1\r\n", "EVAL", "return redis.call('get','nokey')", "0");
    /* Nil elements of an array are false too (MGET). */
    EXPECT(raw, "*3\r\n$1\r\nv\r\n$5\r\nfalse\r\n:2\r\n", "EVAL",
           "local r = redis.call('mget', KEYS[1], KEYS[2]); return {r[1], tostring(r[2]), #r}", "2", "mykey", "nokey");
    /* Lua numbers as arguments: integers as such, others with %.17g. */
    EXPECT(raw, "*3\r\n$1\r\n5\r\n$3\r\n3.5\r\n$16\r\n9007199254740991\r\n", "EVAL",
           "redis.call('set', KEYS[1], 5); redis.call('set', KEYS[2], 3.5); "
           "redis.call('set', KEYS[3], 9007199254740991); return redis.call('mget', KEYS[1], KEYS[2], KEYS[3])",
           "3", "n1", "n2", "n3");
    EXPECT(raw, "$20\r\n12039611435714932082\r\n", "EVAL",
           "redis.call('set', KEYS[1], '12039611435714932082'); return redis.call('get', KEYS[1])", "1", "big");
    EXPECT(raw, "$3\r\n1.5\r\n", "EVAL", "return redis.call('ping', 1.5)", "0");
    /* Command names are case-insensitive; many arguments work. */
    EXPECT(raw, "+OK\r\n", "EVAL", "return redis.call('SeT', 'Upper', 'v')", "0");
    EXPECT(raw, "*3\r\n:100\r\n$1\r\n1\r\n$3\r\n100\r\n", "EVAL",
           "local x = {} for i=1,100 do x[i] = i end redis.call('del', KEYS[1]) "
           "local n = redis.call('rpush', KEYS[1], unpack(x)) local r = redis.call('lrange', KEYS[1], 0, -1) "
           "return {n, r[1], r[100]}",
           "1", "biglist");
    ts_raw_close(raw);
}

/* ---- errors -------------------------------------------------------------- */

TS_TEST(scripting, redis_call_errors_abort_with_script_and_line)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "SET", "s", "str");
    EXPECT_SCRIPT_ERROR(raw, NOT_INT, 1, "EVAL", "return redis.call('incr',KEYS[1])", "1", "s");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL", "return redis.call('lpush',KEYS[1],'val')", "1", "s");
    EXPECT_SCRIPT_ERROR(raw, UNKNOWN_CMD, 1, "EVAL", "redis.call('nosuchcommand')", "0");
    EXPECT_SCRIPT_ERROR(raw, UNKNOWN_CMD, 1, "EVAL", "return redis.call(1)", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARITY, 1, "EVAL", "redis.call('get','a','b','c')", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARITY, 1, "EVAL", "redis.call('set','invalid')", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARITY, 1, "EVAL", "redis.call('incr')", "0");
    EXPECT_SCRIPT_ERROR(raw, NO_ARGS, 1, "EVAL", "return redis.call()", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARG, 1, "EVAL", "local x={} return redis.call('ping', x)", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARG, 1, "EVAL", "return redis.call(nil)", "0");
    EXPECT_SCRIPT_ERROR(raw, BAD_ARG, 1, "EVAL", "return redis.call('get', true)", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR no such key", 1, "EVAL", "return redis.call('rename', KEYS[1], KEYS[2])", "2",
                        "nosuch", "b");
    /* The line is the one of the failing call. */
    EXPECT_SCRIPT_ERROR(raw, NOT_INT, 3, "EVAL", "local a = 1\nlocal b = 2\nreturn redis.call('incr', KEYS[1])",
                        "1", "s");
    /* The argv array survives the error: the next call works. */
    EXPECT(raw, "$4\r\nasdf\r\n", "EVAL", "return redis.call('ping', 'asdf')", "0");
    /* redis.pcall returns the error: returned, it has no suffix. */
    EXPECT(raw, "-" NOT_INT "\r\n", "EVAL", "return redis.pcall('incr', KEYS[1])", "1", "s");
    EXPECT(raw, "-" WRONGTYPE "\r\n", "EVAL", "return redis.pcall('lpush', KEYS[1], 'a')", "1", "s");
    EXPECT(raw, "$65\r\n" WRONGTYPE "\r\n", "EVAL", "local r = redis.pcall('lpush',KEYS[1],'a'); return r['err']",
           "1", "s");
    EXPECT(raw, "-" UNKNOWN_CMD "\r\n", "EVAL", "return redis.pcall('nosuchcmd')", "0");
    EXPECT(raw, "-" BAD_ARITY "\r\n", "EVAL", "return redis.pcall('set','x')", "0");
    EXPECT(raw, "-" NO_ARGS "\r\n", "EVAL", "return redis.pcall()", "0");
    /* The script goes on after a redis.pcall error. */
    EXPECT(raw, "*2\r\n$5\r\nafter\r\n$3\r\nstr\r\n", "EVAL",
           "redis.pcall('incr', KEYS[1]); return {'after', redis.call('get', KEYS[1])}", "1", "s");
    /* Lua's pcall catches a redis.call error as its text (a string). */
    EXPECT(raw, "*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$43\r\n" NOT_INT "\r\n", "EVAL",
           "local ok, e = pcall(redis.call, 'incr', KEYS[1]); return {tostring(ok), type(e), e}", "1", "s");
    EXPECT(raw, "$44\r\n" UNKNOWN_CMD "\r\n", "EVAL", "local ok, e = pcall(redis.call, 'nosuchcmd'); return e",
           "0");
    /* The same for any error table with an err field. */
    EXPECT(raw, "*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$3\r\nX y\r\n", "EVAL",
           "local ok, e = pcall(error, {err='X y'}); return {tostring(ok), type(e), e}", "0");
    EXPECT(raw, "*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$43\r\n" NOT_INT "\r\n", "EVAL",
           "local ok, e = pcall(function() redis.call('incr', KEYS[1]) end); return {tostring(ok), type(e), e}", "1",
           "s");
    EXPECT(raw, "$22\r\nstatus: true result: 1\r\n", "EVAL",
           "local status, res = pcall(function() return 1 end); "
           "return 'status: ' .. tostring(status) .. ' result: ' .. res",
           "0");
    EXPECT(raw,
           "$97\r\nstatus: false result: user_script:1: Script attempted to access nonexistent global variable "
           "'foo'\r\n",
           "EVAL",
           "local status, res = pcall(function() return foo end); "
           "return 'status: ' .. tostring(status) .. ' result: ' .. res",
           "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, error_reply_and_status_reply)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-MY_ERR_CODE custom msg\r\n", "EVAL", "return redis.error_reply('MY_ERR_CODE custom msg')", "0");
    /* Without a space there is no code: ERR is put in front. */
    EXPECT(raw, "-ERR nocode\r\n", "EVAL", "return redis.error_reply('nocode')", "0");
    EXPECT(raw, "-ERR ERR\r\n", "EVAL", "return redis.error_reply('ERR')", "0");
    EXPECT(raw, "-ERR \r\n", "EVAL", "return redis.error_reply('')", "0");
    EXPECT(raw, "+MY_OK_CODE custom msg\r\n", "EVAL", "return redis.status_reply('MY_OK_CODE custom msg')", "0");
    EXPECT(raw, "+li  ne\r\n", "EVAL", "return redis.status_reply('li\\r\\nne')", "0");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$4\r\nMY x\r\n", "EVAL",
           "local e = redis.error_reply('MY x'); return {type(e), e.err}", "0");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$4\r\nFINE\r\n", "EVAL",
           "local e = redis.status_reply('FINE'); return {type(e), e.ok}", "0");
    /* Bad arguments give back an error table (not raised: no suffix). */
    EXPECT(raw, "-ERR wrong number or type of arguments\r\n", "EVAL", "return redis.error_reply()", "0");
    EXPECT(raw, "-ERR wrong number or type of arguments\r\n", "EVAL", "return redis.error_reply({})", "0");
    EXPECT(raw, "-ERR wrong number or type of arguments\r\n", "EVAL", "return redis.status_reply()", "0");
    EXPECT(raw, "-ERR wrong number or type of arguments\r\n", "EVAL", "return redis.status_reply({})", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, sha1hex)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n", "EVAL", "return redis.sha1hex('')", "0");
    EXPECT(raw, "$40\r\n74822d82031af7493c20eefa13bd07ec4fada82f\r\n", "EVAL",
           "return redis.sha1hex('Pizza & Mandolino')", "0");
    EXPECT(raw, "$40\r\na9993e364706816aba3e25717850c26c9cd0d89d\r\n", "EVAL", "return redis.sha1hex(ARGV[1])", "0",
           "abc");
    /* A number is hashed as its string. */
    EXPECT(raw, "$40\r\n40bd001563085fc35165329ea1ff5c5ecbdbbeef\r\n", "EVAL", "return redis.sha1hex(123)", "0");
    /* The sha of a script is the sha1 of its text. */
    EXPECT(raw, "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n", "EVAL", "return redis.sha1hex(ARGV[1])", "0",
           "return 'loaded'");
    EXPECT_SCRIPT_ERROR(raw, "ERR wrong number of arguments", 1, "EVAL", "redis.sha1hex()", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, globals_are_protected)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Script attempted to access nonexistent global variable 'a'", 1,
                        "EVAL", "return a", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Attempt to modify a readonly table", 1, "EVAL", "a=10", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:2: Attempt to modify a readonly table", 2, "EVAL",
                        "local x = 1\nnewglobal = x", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Attempt to modify a readonly table", 1, "EVAL", "KEYS = 1", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Attempt to modify a readonly table", 1, "EVAL",
                        "redis = function() return 1 end", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Attempt to modify a readonly table", 1, "EVAL",
                        "redis.call = function() return 1 end", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Attempt to modify a readonly table", 1, "EVAL", "_G = {}", "0");
    /* Library functions that touch files or the console are gone. */
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Script attempted to access nonexistent global variable 'print'", 1,
                        "EVAL", "print('some data')", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile'",
                        1, "EVAL", "loadfile('some file')", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Script attempted to access nonexistent global variable 'dofile'",
                        1, "EVAL", "dofile('some file')", "0");
    /* Locals are fine, and nothing leaks into the next script. */
    EXPECT(raw, ":10\r\n", "EVAL", "local a = 10; return a", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: Script attempted to access nonexistent global variable 'a'", 1,
                        "EVAL", "return a", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, compile_and_runtime_errors)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n",
           "EVAL", "return 1 +", "0");
    EXPECT(raw, "-ERR Error compiling script (new function): user_script:2: '=' expected near 'y'\r\n", "EVAL",
           "local x = 1\nx y", "0");
    EXPECT(raw, "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n",
           "SCRIPT", "LOAD", "return 1 +");
    /* A script that does not compile is not cached (sha1 of "return 1 +"). */
    EXPECT(raw, "*1\r\n:0\r\n", "SCRIPT", "EXISTS", "2b1542794fdd1688e17864bfe9b6bd02547420a8");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "2b1542794fdd1688e17864bfe9b6bd02547420a8", "0");
    /* Runtime errors: "ERR <source>:<line>: <message>" plus the suffix. */
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: boom", 1, "EVAL", "error('boom')", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:3: line3", 3, "EVAL", "\n\nerror('line3')", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: attempt to index local 't' (a nil value)", 1, "EVAL",
                        "local t = nil; return t.x", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: attempt to perform arithmetic on local 'n' (a nil value)", 1,
                        "EVAL", "local n = nil; return n + 1", "0");
    /* Non-string error objects: a number becomes text, a table with err
     * is used as is (no ERR added). (A table without err crashes 7.0.15.) */
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: 42", 1, "EVAL", "error(42)", "0");
    EXPECT_SCRIPT_ERROR(raw, "MYERR table", 1, "EVAL", "error({err='MYERR table'})", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:2: at two", 2, "EVAL", "local x = 1\nerror('at two')", "0");
    /* A script failing at run time was compiled: EVAL cached it. */
    EXPECT(raw, "*1\r\n:0\r\n", "SCRIPT", "EXISTS", "8262d8c24fbeb0d3043e34e7eea1196503181ef9");
    EXPECT(raw, "-ERR user_script:1: only eval script: 8262d8c24fbeb0d3043e34e7eea1196503181ef9, "
                "on @user_script:1.\r\n",
           "EVAL", "error('only eval')", "0");
    EXPECT(raw, "*1\r\n:1\r\n", "SCRIPT", "EXISTS", "8262d8c24fbeb0d3043e34e7eea1196503181ef9");
    EXPECT(raw, "-ERR user_script:1: only eval script: 8262d8c24fbeb0d3043e34e7eea1196503181ef9, "
                "on @user_script:1.\r\n",
           "EVALSHA", "8262d8c24fbeb0d3043e34e7eea1196503181ef9", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, writes_before_an_error_stay)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    /* No rollback: what ran before the error is kept. */
    EXPECT_SCRIPT_ERROR(raw, "ERR user_script:1: x", 1, "EVAL", "redis.call('set',KEYS[1],'1'); error('x')", "1",
                        "wk");
    EXPECT(raw, "$1\r\n1\r\n", "GET", "wk");
    EXPECT(raw, "+OK\r\n", "SET", "s", "str");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL",
                        "redis.call('incr',KEYS[1]); redis.call('lpush',KEYS[2],'a'); redis.call('incr',KEYS[1])",
                        "2", "wk", "s");
    EXPECT(raw, "$1\r\n2\r\n", "GET", "wk");
    ts_raw_close(raw);
}

/* Time stands still during a script (Redis 7): a key set to expire in
 * 100 ms is still there after the script spent 200 ms (read with TIME,
 * which does move), and gone after the script. */
TS_TEST(scripting, time_is_frozen_during_a_script)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$1\r\nv\r\n", "EVAL",
           "redis.call('set',KEYS[1],'v','px',100) local t = redis.call('time') "
           "while true do local n = redis.call('time') "
           "if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 200000 then break end end "
           "return redis.call('get',KEYS[1])",
           "1", "frozen");
    EXPECT(raw, "$-1\r\n", "GET", "frozen");
    ts_raw_close(raw);
}

/* ---- busy scripts: busy-reply-threshold, -BUSY, SCRIPT KILL ------------ */

#define BUSY_CLIENTS 8
#define BUSY_ERR "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n"

/* A script runs synchronously on its shard: with ringkv, only clients of
 * other shards are answered while it runs (README, "Limits"), so these
 * tests need several shards there; several clients are opened so that
 * some land on another shard than the script's. */
static bool busy_tests_apply(void) { return ts_is_redis() || ts_shards() > 1; }

static void open_clients(struct ts_raw **cl, bool *answered)
{
    for (int i = 0; i < BUSY_CLIENTS; i++) {
        cl[i] = ts_raw_connect(g_server);
        answered[i] = true;
    }
}

/* Sends cmd on every client, then reads each one's reply within ms;
 * counts replies equal to want. Clients whose reply did not come stay
 * readable (it comes once the script ends). */
static int count_replies(struct ts_raw **cl, int n, int argc, const char *const *argv, const char *want, int ms,
                         bool *answered)
{
    for (int i = 0; i < n; i++)
        if (answered[i]) ts_raw_send_argv(cl[i], argc, argv);
    int hits = 0;
    for (int i = 0; i < n; i++) {
        if (!answered[i]) continue;
        size_t len;
        const char *r = ts_raw_read_reply(cl[i], ms, &len);
        if (!r) {
            answered[i] = false; /* on the script's shard: waits for it */
            continue;
        }
        hits += len == strlen(want) && memcmp(r, want, len) == 0;
    }
    return hits;
}

/* A script that wrote nothing, past the threshold: other clients get
 * -BUSY for what it holds, SCRIPT KILL stops it, and its client gets the
 * kill error. */
TS_TEST(scripting, busy_script_is_killed)
{
    if (!busy_tests_apply()) cr_skip_test("ringkv needs several shards to answer while a script runs");
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "CONFIG", "SET", "busy-reply-threshold", "100");
    static const char loop[] = "local x = redis.call('get', KEYS[1])\nwhile true do end";
    char sha[41], want[160];
    script_sha(raw, loop, sha);
    snprintf(want, sizeof want, "-ERR Script killed by user with SCRIPT KILL... script: %s, on @user_script:2.\r\n",
             sha);
    ts_raw_send_argv(raw, 4, ARGV_OF("EVAL", loop, "1", "bk"));
    ts_sleep_ms(300);
    struct ts_raw *cl[BUSY_CLIENTS];
    bool answered[BUSY_CLIENTS];
    open_clients(cl, answered);
    /* Rounds until it shows (a loaded machine may start the script late). */
    int busy = 0, killed = 0;
    for (int round = 0; round < 20 && !busy; round++)
        busy = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("GET", "bk"), BUSY_ERR, 300, answered);
    cr_assert_gt(busy, 0, "no client got -BUSY while the script ran");
    /* Redis answers +OK to each one sent before the kill took. */
    for (int round = 0; round < 20 && !killed; round++)
        killed = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("SCRIPT", "KILL"), "+OK\r\n", 300, answered);
    cr_assert_gt(killed, 0, "no SCRIPT KILL answered +OK");
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && len == strlen(want) && memcmp(r, want, len) == 0, "the killed script's client got %.*s",
              r ? (int)len : 4, r ? r : "none");
    EXPECT(raw, "+PONG\r\n", "PING");
    for (int i = 0; i < BUSY_CLIENTS; i++) ts_raw_close(cl[i]);
    struct ts_raw *after = ts_raw_connect(g_server);
    EXPECT(after, "-NOTBUSY No scripts in execution right now.\r\n", "SCRIPT", "KILL");
    ts_raw_close(after);
    ts_raw_close(raw);
}

/* A busy function: -BUSY names FUNCTION KILL, SCRIPT KILL refuses with
 * that error, FUNCTION KILL stops it (Redis's text, with the function's
 * name and line). */
TS_TEST(scripting, busy_function_is_killed_by_function_kill)
{
    if (!busy_tests_apply()) cr_skip_test("ringkv needs several shards to answer while a script runs");
    static const char busy_fn[] =
        "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "CONFIG", "SET", "busy-reply-threshold", "100");
    EXPECT(raw, "$2\r\nlp\r\n", "FUNCTION", "LOAD",
           "#!lua name=lp\nredis.register_function('spin', function(k, a) local x = redis.call('get', k[1])\n"
           "while true do end end)");
    ts_raw_send_argv(raw, 4, ARGV_OF("FCALL", "spin", "1", "fk"));
    ts_sleep_ms(300);
    struct ts_raw *cl[BUSY_CLIENTS];
    bool answered[BUSY_CLIENTS];
    open_clients(cl, answered);
    int busy = 0, refused = 0, killed = 0;
    for (int round = 0; round < 20 && !busy; round++)
        busy = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("GET", "fk"), busy_fn, 300, answered);
    cr_assert_gt(busy, 0, "no client got -BUSY naming FUNCTION KILL");
    refused = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("SCRIPT", "KILL"), busy_fn, 300, answered);
    cr_assert_gt(refused, 0, "SCRIPT KILL did not refuse to stop a function");
    for (int round = 0; round < 20 && !killed; round++)
        killed = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("FUNCTION", "KILL"), "+OK\r\n", 300, answered);
    cr_assert_gt(killed, 0, "no FUNCTION KILL answered +OK");
    static const char want[] = "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:3.\r\n";
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && len == sizeof(want) - 1 && memcmp(r, want, len) == 0, "the killed function's client got %.*s",
              r ? (int)len : 4, r ? r : "none");
    for (int i = 0; i < BUSY_CLIENTS; i++) ts_raw_close(cl[i]);
    EXPECT(raw, "-NOTBUSY No scripts in execution right now.\r\n", "FUNCTION", "KILL");
    EXPECT(raw, "+OK\r\n", "FUNCTION", "FLUSH");
    ts_raw_close(raw);
}

/* A script that wrote cannot be killed: SCRIPT KILL says UNKILLABLE and
 * the script runs to its end (here, 1.5 s by TIME). */
TS_TEST(scripting, busy_script_that_wrote_is_unkillable)
{
    if (!busy_tests_apply()) cr_skip_test("ringkv needs several shards to answer while a script runs");
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "CONFIG", "SET", "lua-time-limit", "100");
    ts_raw_send_argv(raw, 4, ARGV_OF("EVAL",
                                  "redis.call('set', KEYS[1], 'x') local t = redis.call('time') "
                                  "while true do local n = redis.call('time') "
                                  "if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 1500000 then break end end "
                                  "return 'done'",
                                  "1", "uk"));
    ts_sleep_ms(300);
    struct ts_raw *cl[BUSY_CLIENTS];
    bool answered[BUSY_CLIENTS];
    open_clients(cl, answered);
    static const char unkillable[] =
        "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the "
        "script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n";
    int n = 0;
    for (int round = 0; round < 3 && !n; round++)
        n = count_replies(cl, BUSY_CLIENTS, 2, ARGV_OF("SCRIPT", "KILL"), unkillable, 300, answered);
    cr_assert_gt(n, 0, "no SCRIPT KILL answered UNKILLABLE");
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && len == 10 && memcmp(r, "$4\r\ndone\r\n", 10) == 0, "the script did not run to its end");
    for (int i = 0; i < BUSY_CLIENTS; i++) ts_raw_close(cl[i]);
    EXPECT(raw, "$1\r\nx\r\n", "GET", "uk");
    EXPECT(raw, "+OK\r\n", "CONFIG", "SET", "lua-time-limit", "5000");
    ts_raw_close(raw);
}

/* ---- EVALSHA and the script cache ----------------------------------------- */

TS_TEST(scripting, evalsha)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "NotValidShaSUM", "0");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "", "0");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA_RO", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey");
    EXPECT(raw, "+OK\r\n", "SET", "mykey", "myval");
    /* EVAL caches its script under the sha1 of its text. */
    EXPECT(raw, "$5\r\nmyval\r\n", "EVAL", "return redis.call('get',KEYS[1])", "1", "mykey");
    EXPECT(raw, "$5\r\nmyval\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey");
    EXPECT(raw, "$5\r\nmyval\r\n", "EVALSHA", "FD758D1589D044DD850A6F05D52F2EEFD27F033F", "1", "mykey");
    EXPECT(raw, "$5\r\nmyval\r\n", "evalsha", "Fd758D1589d044dd850a6f05d52f2eefd27f033F", "1", "mykey");
    EXPECT(raw, "$5\r\nmyval\r\n", "EVALSHA_RO", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey");
    EXPECT(raw, "$-1\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "other");
    /* A 40-digit prefix of the sha is not the sha. */
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033", "1", "mykey");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f0", "1", "mykey");
    /* A cached script sees its own KEYS and ARGV each time. */
    EXPECT(raw, "*2\r\n$1\r\nk\r\n$1\r\nv\r\n", "EVAL", "return {KEYS[1], ARGV[1]}", "1", "k", "v");
    char sha[41];
    script_sha(raw, "return {KEYS[1], ARGV[1]}", sha);
    EXPECT(raw, "*2\r\n$2\r\nk2\r\n$2\r\nv2\r\n", "EVALSHA", sha, "1", "k2", "v2");
    /* No KEYS: KEYS[1] is nil, which ends the array at once. */
    EXPECT(raw, "*0\r\n", "EVALSHA", sha, "0", "v3");
    ts_raw_close(raw);
}

/* Found by redis-diff: EVALSHA looks at the sha's length before numkeys. */
TS_TEST(scripting, evalsha_checks_the_sha_length_first)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-NOSCRIPT No matching script. Please use EVAL.\r\n", "EVALSHA", "", "1");
    EXPECT(raw, "-NOSCRIPT No matching script. Please use EVAL.\r\n", "EVALSHA_RO", "abc", "x");
    EXPECT(raw, "-ERR value is not an integer or out of range\r\n", "EVALSHA",
           "0123456789012345678901234567890123456789", "x");
    ts_raw_close(raw);
}

TS_TEST(scripting, script_load_and_exists)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n", "SCRIPT", "LOAD", "return 'loaded'");
    EXPECT(raw, "$6\r\nloaded\r\n", "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
    /* Loading again is fine and gives the same sha. */
    EXPECT(raw, "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n", "script", "load", "return 'loaded'");
    EXPECT(raw, "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n", "SCRIPT", "LOAD", "");
    EXPECT(raw, "$-1\r\n", "EVALSHA", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "0");
    EXPECT(raw, ":2\r\n", "EVAL", "return 1+1", "0");
    EXPECT(raw, "*2\r\n:1\r\n:0\r\n", "SCRIPT", "EXISTS", "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9",
           "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda");
    EXPECT(raw, "*6\r\n:1\r\n:1\r\n:0\r\n:1\r\n:0\r\n:0\r\n", "SCRIPT", "EXISTS",
           "b534286061d4b9e4026607613b95c06c06015ae8", "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9",
           "0000000000000000000000000000000000000000", "B534286061D4B9E4026607613B95C06C06015AE8", "short", "");
    /* SCRIPT LOAD does not run the script. */
    char sha[41];
    script_sha(raw, "redis.call('set', 'loadedkey', 'ran') return 1", sha);
    EXPECT(raw, ":0\r\n", "EXISTS", "loadedkey");
    EXPECT(raw, ":1\r\n", "EVALSHA", sha, "0");
    EXPECT(raw, "$3\r\nran\r\n", "GET", "loadedkey");
    EXPECT(raw, "-ERR wrong number of arguments for 'script|exists' command\r\n", "SCRIPT", "EXISTS");
    EXPECT(raw, "-ERR wrong number of arguments for 'script|load' command\r\n", "SCRIPT", "LOAD");
    EXPECT(raw, "-ERR wrong number of arguments for 'script|load' command\r\n", "SCRIPT", "LOAD", "a", "b");
    ts_raw_close(raw);
}

TS_TEST(scripting, script_flush)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "SET", "mykey", "myval");
    EXPECT(raw, "$5\r\nmyval\r\n", "EVAL", "return redis.call('get',KEYS[1])", "1", "mykey");
    EXPECT(raw, "$5\r\nmyval\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey");
    EXPECT(raw, "+OK\r\n", "SCRIPT", "FLUSH");
    EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "fd758d1589d044dd850a6f05d52f2eefd27f033f", "1", "mykey");
    EXPECT(raw, "*1\r\n:0\r\n", "SCRIPT", "EXISTS", "fd758d1589d044dd850a6f05d52f2eefd27f033f");
    /* Flushing leaves the data alone. */
    EXPECT(raw, "$5\r\nmyval\r\n", "GET", "mykey");
    const char *modes[] = {"ASYNC", "SYNC", "async", "sync"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        EXPECT(raw, "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n", "SCRIPT", "LOAD", "return 'loaded'");
        EXPECT(raw, "*1\r\n:1\r\n", "SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8");
        EXPECT(raw, "+OK\r\n", "SCRIPT", "FLUSH", modes[i]);
        EXPECT(raw, "*1\r\n:0\r\n", "SCRIPT", "EXISTS", "b534286061d4b9e4026607613b95c06c06015ae8");
        EXPECT(raw, "-" NOSCRIPT "\r\n", "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
    }
    EXPECT(raw, "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n", "SCRIPT", "FLUSH", "bogus");
    EXPECT(raw, "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n", "SCRIPT", "FLUSH", "sync", "async");
    /* Scripts run again after a flush (and are cached again). */
    EXPECT(raw, ":2\r\n", "EVAL", "return 1+1", "0");
    EXPECT(raw, ":2\r\n", "EVALSHA", "a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, script_help_and_unknown_subcommands)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "SCRIPT HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements >= 8, "SCRIPT HELP: want an array of lines");
    for (size_t i = 0; i < r->elements; i++)
        cr_assert_eq(r->element[i]->type, REDIS_REPLY_STATUS, "SCRIPT HELP line %zu is not a status", i);
    cr_assert_str_eq(r->element[0]->str, "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    const char *lines[] = {"EXISTS <sha1> [<sha1> ...]", "FLUSH [ASYNC|SYNC]", "LOAD <script>", "HELP",
                           "    Prints this help."};
    for (size_t l = 0; l < sizeof lines / sizeof lines[0]; l++) {
        bool found = false;
        for (size_t i = 1; i < r->elements && !found; i++)
            found = strcmp(r->element[i]->str, lines[l]) == 0;
        cr_assert(found, "SCRIPT HELP lacks the line \"%s\"", lines[l]);
    }
    cr_assert_str_eq(r->element[r->elements - 1]->str, "    Prints this help.");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "script help extra"), "ERR wrong number of arguments for 'script|help' command");
    ts_assert_error(ts_cmd(c, "SCRIPT bogus"), "ERR unknown subcommand 'bogus'. Try SCRIPT HELP.");
    ts_assert_error(ts_cmd(c, "SCRIPT bogus a b"), "ERR unknown subcommand 'bogus'. Try SCRIPT HELP.");
    ts_assert_error(ts_cmd(c, "SCRIPT"), "ERR wrong number of arguments for 'script' command");
    redisFree(c);
}

/* At --shards 4 connections land on different shards: the cache is one. */
TS_TEST(scripting, cache_is_shared_by_every_connection)
{
    enum { NCONN = 8 };
    struct ts_raw *raw[NCONN];
    for (int i = 0; i < NCONN; i++)
        raw[i] = ts_raw_connect(g_server);
    EXPECT(raw[0], "$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n", "SCRIPT", "LOAD", "return 'loaded'");
    EXPECT(raw[3], "$5\r\nmyval\r\n", "EVAL", "return ARGV[1]", "0", "myval");
    for (int i = 0; i < NCONN; i++) {
        EXPECT(raw[i], "$6\r\nloaded\r\n", "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
        EXPECT(raw[i], "$2\r\nhi\r\n", "EVALSHA", "098e0f0d1448c0a81dafe820f66d460eb09263da", "0", "hi");
    }
    /* Each connection loads its own script; all see all of them. */
    char sha[NCONN][41], script[64];
    for (int i = 0; i < NCONN; i++) {
        snprintf(script, sizeof script, "return %d", 1000 + i);
        script_sha(raw[i], script, sha[i]);
    }
    for (int i = 0; i < NCONN; i++)
        for (int j = 0; j < NCONN; j++) {
            char want[32];
            snprintf(want, sizeof want, ":%d\r\n", 1000 + j);
            EXPECT_S(raw[i], want, "EVALSHA", sha[j], "0");
        }
    EXPECT(raw[5], "+OK\r\n", "SCRIPT", "FLUSH");
    for (int i = 0; i < NCONN; i++) {
        EXPECT(raw[i], "-" NOSCRIPT "\r\n", "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
        EXPECT(raw[i], "-" NOSCRIPT "\r\n", "EVALSHA_RO", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
        EXPECT(raw[i], "*2\r\n:0\r\n:0\r\n", "SCRIPT", "EXISTS", sha[i], "b534286061d4b9e4026607613b95c06c06015ae8");
        EXPECT_S(raw[i], "-" NOSCRIPT "\r\n", "EVALSHA", sha[(i + 1) % NCONN], "0");
    }
    for (int i = 0; i < NCONN; i++)
        ts_raw_close(raw[i]);
}

TS_TEST(scripting, info_counts_cached_scripts)
{
    enum { NCONN = 4 };
    redisContext *c[NCONN];
    for (int i = 0; i < NCONN; i++)
        c[i] = ts_connect(g_server);
    cr_assert_eq(ts_info_ll(c[0], "number_of_cached_scripts"), 0);
    freeReplyObject(ts_cmd(c[0], "SCRIPT LOAD %s", "return 1"));
    freeReplyObject(ts_cmd(c[1], "EVAL %s 0", "return 2"));
    freeReplyObject(ts_cmd(c[2], "EVAL %s 0", "return 2"));
    freeReplyObject(ts_cmd(c[3], "SCRIPT LOAD %s", "return 1"));
    freeReplyObject(ts_cmd(c[3], "EVAL %s 0", "error('runtime')"));
    cr_assert_eq(ts_info_ll(c[0], "number_of_cached_scripts"), 3);
    cr_assert_eq(ts_info_ll(c[2], "number_of_cached_scripts"), 3);
    /* Scripts that do not compile, and EVALSHA, add nothing. */
    ts_assert_error(ts_cmd(c[1], "SCRIPT LOAD %s", "return 1 +"),
                    "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'");
    freeReplyObject(ts_cmd(c[1], "EVAL %s 0", "return 1 +"));
    ts_assert_int(ts_cmd(c[1], "EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0"), 1);
    cr_assert_eq(ts_info_ll(c[3], "number_of_cached_scripts"), 3);
    for (int j = 0; j < 100; j++) {
        char s[32];
        snprintf(s, sizeof s, "return %d", j + 10);
        freeReplyObject(ts_cmd(c[j % NCONN], "SCRIPT LOAD %s", s));
    }
    cr_assert_eq(ts_info_ll(c[1], "number_of_cached_scripts"), 103);
    ts_assert_ok(ts_cmd(c[2], "SCRIPT FLUSH ASYNC"));
    cr_assert_eq(ts_info_ll(c[0], "number_of_cached_scripts"), 0);
    ts_assert_int(ts_cmd(c[0], "EVAL %s 0", "return 2"), 2);
    cr_assert_eq(ts_info_ll(c[3], "number_of_cached_scripts"), 1);
    ts_assert_ok(ts_cmd(c[0], "SCRIPT FLUSH SYNC"));
    cr_assert_eq(ts_info_ll(c[1], "number_of_cached_scripts"), 0);
    for (int i = 0; i < NCONN; i++)
        redisFree(c[i]);
}

/* ---- read-only scripts and the shebang -------------------------------------- */

TS_TEST(scripting, eval_ro_refuses_writes)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "SET", "foo", "bar");
    EXPECT(raw, "$3\r\nbar\r\n", "EVAL_RO", "return redis.call('get', KEYS[1]);", "1", "foo");
    EXPECT(raw, "*2\r\n$3\r\nbar\r\n$-1\r\n", "EVAL_RO", "return redis.call('mget', KEYS[1], KEYS[2])", "2", "foo",
           "nokey");
    EXPECT_SCRIPT_ERROR(raw, RO_WRITE, 1, "EVAL_RO", "redis.call('del', KEYS[1]);", "1", "foo");
    EXPECT_SCRIPT_ERROR(raw, RO_WRITE, 1, "EVAL_RO", "return redis.call('set', KEYS[1], 'y')", "1", "foo");
    EXPECT_SCRIPT_ERROR(raw, RO_WRITE, 2, "EVAL_RO", "local v = redis.call('get', KEYS[1])\nredis.call('incr', 'n')",
                        "1", "foo");
    EXPECT(raw, "-" RO_WRITE "\r\n", "EVAL_RO", "return redis.pcall('set', KEYS[1], 'y')", "1", "foo");
    EXPECT(raw, ":1\r\n", "EVAL_RO",
           "local t = redis.pcall('set',KEYS[1],'y'); if t['err'] == '" RO_WRITE "' then return 1 else return 0 end",
           "1", "foo");
    EXPECT(raw, "$3\r\nbar\r\n", "GET", "foo");
    EXPECT(raw, ":0\r\n", "EXISTS", "n");
    /* EVALSHA_RO of a writing script cached by EVAL. */
    EXPECT(raw, "+OK\r\n", "EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "foo", "baz");
    char sha[41];
    script_sha(raw, "return redis.call('set', KEYS[1], ARGV[1])", sha);
    char want[256];
    snprintf(want, sizeof want, "-" RO_WRITE " script: %s, on @user_script:1.\r\n", sha);
    EXPECT_S(raw, want, "EVALSHA_RO", sha, "1", "foo", "qux");
    EXPECT(raw, "$3\r\nbaz\r\n", "GET", "foo");
    EXPECT(raw, "+OK\r\n", "EVALSHA", sha, "1", "foo", "qux");
    EXPECT(raw, "$3\r\nqux\r\n", "GET", "foo");
    /* Commands that are neither reads nor writes are fine. */
    EXPECT(raw, "+PONG\r\n", "EVAL_RO", "return redis.call('ping')", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, shebang_flags)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, ":1\r\n", "EVAL", "#!lua\nreturn 1", "0");
    EXPECT(raw, ":1\r\n", "EVAL", "#!lua flags=\nreturn 1", "0");
    EXPECT(raw, ":1\r\n", "EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0");
    EXPECT(raw, ":1\r\n", "EVAL", "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", "0");
    EXPECT(raw, "$40\r\ncb70127618f0b0be70c53cf6bfcfa54a29d9b0c0\r\n", "SCRIPT", "LOAD", "#!lua\nreturn 1");
    /* A shebang script without flags may write, also undeclared keys. */
    EXPECT(raw, "+OK\r\n", "EVAL", "#!lua\nreturn redis.call('set', KEYS[1], 'v')", "1", "x");
    EXPECT(raw, "+OK\r\n", "EVAL", "#!lua\nreturn redis.call('set', 'undeclared', '1')", "0");
    EXPECT(raw, "$1\r\n1\r\n", "GET", "undeclared");
    /* no-writes: a write fails at the call (line 2: the shebang is line 1). */
    EXPECT_SCRIPT_ERROR(raw, RO_WRITE, 2, "EVAL", "#!lua flags=no-writes\nreturn redis.call('set','x','1')", "1",
                        "x");
    EXPECT(raw, "-" RO_WRITE "\r\n", "EVAL", "#!lua flags=no-writes\nreturn redis.pcall('set','x','1')", "0");
    EXPECT(raw, "$1\r\nv\r\n", "EVAL", "#!lua flags=no-writes\nreturn redis.call('get',KEYS[1])", "1", "x");
    EXPECT(raw, "$1\r\nv\r\n", "EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get',KEYS[1])", "1", "x");
    /* *_RO refuses a shebang script that does not declare no-writes. */
    EXPECT(raw, "-ERR Can not execute a script with write flag using *_ro command.\r\n", "EVAL_RO",
           "#!lua\nreturn redis.call('get','x')", "1", "x");
    EXPECT(raw, "-ERR Can not execute a script with write flag using *_ro command.\r\n", "EVALSHA_RO",
           "cb70127618f0b0be70c53cf6bfcfa54a29d9b0c0", "0");
    /* Bad shebangs fail at load, for EVAL and SCRIPT LOAD alike. */
    EXPECT(raw, "-ERR Unexpected flag in script shebang: bogus\r\n", "EVAL", "#!lua flags=bogus\nreturn 1", "0");
    EXPECT(raw, "-ERR Unexpected flag in script shebang: what?\r\n", "EVAL", "#!lua flags=allow-oom,what?\nreturn 1",
           "0");
    EXPECT(raw, "-ERR Unexpected flag in script shebang: bogus\r\n", "SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1");
    EXPECT(raw, "-ERR Unknown lua shebang option: badger=data\r\n", "EVAL", "#!lua badger=data\nreturn 1", "0");
    /* name= belongs to FUNCTION LOAD: EVAL does not take it. */
    EXPECT(raw, "-ERR Unknown lua shebang option: name=x\r\n", "EVAL", "#!lua name=x\nreturn 1", "0");
    EXPECT(raw, "-ERR Unexpected engine in script shebang: #!not-lua\r\n", "EVAL", "#!not-lua\nreturn 1", "0");
    EXPECT(raw, "*1\r\n:0\r\n", "SCRIPT", "EXISTS", "0000000000000000000000000000000000000000");
    ts_raw_close(raw);
}

/* ---- RESP3 ------------------------------------------------------------------- */

static void resp3_fixture(struct ts_raw *raw)
{
    EXPECT(raw, ":1\r\n", "HSET", "hash", "field", "value");
    EXPECT(raw, ":1\r\n", "SADD", "set", "m");
    EXPECT(raw, ":1\r\n", "ZADD", "z", "1.5", "a");
}

TS_TEST(scripting, setresp3_for_a_resp2_client)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    resp3_fixture(raw);
    /* What reaches a RESP2 client stays RESP2. */
    EXPECT(raw, "*2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL",
           "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "1", "hash");
    EXPECT(raw, "*2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL",
           "redis.setresp(2); return redis.call('hgetall', KEYS[1])", "1", "hash");
    EXPECT(raw, "*1\r\n$1\r\nm\r\n", "EVAL", "redis.setresp(3); return redis.call('smembers', KEYS[1])", "1", "set");
    EXPECT(raw, "$3\r\n1.5\r\n", "EVAL", "redis.setresp(3); return redis.call('zscore', KEYS[1], 'a')", "1", "z");
    EXPECT(raw, "$-1\r\n", "EVAL", "redis.setresp(3); return redis.call('get', 'nokey')", "0");
    /* A RESP3 reply nested in an array keeps its pairs. */
    EXPECT(raw, "*1\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n", "EVAL",
           "redis.setresp(3); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')", "1", "z");
    EXPECT(raw, "*2\r\n$1\r\na\r\n$3\r\n1.5\r\n", "EVAL", "return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
           "1", "z");
    /* With setresp(3), Lua booleans are RESP3 booleans: :1 and :0 in RESP2. */
    EXPECT(raw, ":1\r\n", "EVAL", "redis.setresp(3); return true", "0");
    EXPECT(raw, ":0\r\n", "EVAL", "redis.setresp(3); return false", "0");
    EXPECT(raw, "*2\r\n:1\r\n:0\r\n", "EVAL", "redis.setresp(3); return {true, false}", "0");
    /* What the script sees: {map=}, {set=}, {double=}, nil. */
    EXPECT(raw, "*3\r\n$5\r\ntable\r\n$5\r\ntable\r\n$5\r\nvalue\r\n", "EVAL",
           "redis.setresp(3); local r = redis.call('hgetall', KEYS[1]); return {type(r), type(r.map), r.map.field}",
           "1", "hash");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n", "EVAL",
           "redis.setresp(3); local r = redis.call('smembers', KEYS[1]); return {type(r.set), tostring(r.set.m)}", "1",
           "set");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$3\r\n1.5\r\n", "EVAL",
           "redis.setresp(3); local r = redis.call('zscore', KEYS[1], 'a'); return {type(r), tostring(r.double)}",
           "1", "z");
    EXPECT(raw, "$3\r\nnil\r\n", "EVAL", "redis.setresp(3); local r = redis.call('get','nokey'); return type(r)",
           "0");
    EXPECT(raw, ":1\r\n", "EVAL", "redis.setresp(3); return redis.call('get', 'nokey') == nil", "0");
    /* In RESP2 mode HGETALL is a flat table. */
    EXPECT(raw, "*3\r\n:2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL",
           "local r = redis.call('hgetall', KEYS[1]); return {#r, r[1], r[2]}", "1", "hash");
    EXPECT_SCRIPT_ERROR(raw, "ERR RESP version must be 2 or 3.", 1, "EVAL", "redis.setresp(4)", "0");
    EXPECT_SCRIPT_ERROR(raw, "ERR redis.setresp() requires one argument.", 1, "EVAL", "redis.setresp()", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, setresp3_for_a_resp3_client)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    resp3_fixture(raw);
    raw_hello3(raw);
    EXPECT(raw, "%1\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL",
           "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "1", "hash");
    /* Without setresp(3) the script gets (and returns) RESP2 forms. */
    EXPECT(raw, "*2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL",
           "redis.setresp(2); return redis.call('hgetall', KEYS[1])", "1", "hash");
    EXPECT(raw, "*2\r\n$5\r\nfield\r\n$5\r\nvalue\r\n", "EVAL", "return redis.call('hgetall', KEYS[1])", "1", "hash");
    EXPECT(raw, "%0\r\n", "EVAL", "redis.setresp(3); return redis.call('hgetall', 'nokey')", "0");
    EXPECT(raw, "~1\r\n$1\r\nm\r\n", "EVAL", "redis.setresp(3); return redis.call('smembers', KEYS[1])", "1", "set");
    EXPECT(raw, ",1.5\r\n", "EVAL", "redis.setresp(3); return redis.call('zscore', KEYS[1], 'a')", "1", "z");
    EXPECT(raw, "$3\r\n1.5\r\n", "EVAL", "return redis.call('zscore', KEYS[1], 'a')", "1", "z");
    EXPECT(raw, "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n", "EVAL",
           "redis.setresp(3); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')", "1", "z");
    /* Nulls are _ for a RESP3 client, whatever the script's protocol. */
    EXPECT(raw, "_\r\n", "EVAL", "redis.setresp(3); return redis.call('get', 'nokey')", "0");
    EXPECT(raw, "_\r\n", "EVAL", "return redis.call('get', 'nokey')", "0");
    EXPECT(raw, "_\r\n", "EVAL", "return nil", "0");
    EXPECT(raw, "_\r\n", "EVAL", "return false", "0");
    EXPECT(raw, "*3\r\n:1\r\n_\r\n$1\r\nx\r\n", "EVAL", "return {1, false, 'x'}", "0");
    EXPECT(raw, "*1\r\n:1\r\n", "EVAL", "return {1, nil, 'x'}", "0");
    /* A RESP3 null inside the script is nil, so it ends an array. */
    EXPECT(raw, "*0\r\n", "EVAL", "redis.setresp(3); return {redis.call('hget', KEYS[1], 'nofield'), 'after'}", "1",
           "hash");
    /* Booleans: :1 and nil in RESP2 mode, #t/#f in RESP3 mode. */
    EXPECT(raw, ":1\r\n", "EVAL", "return true", "0");
    EXPECT(raw, "#t\r\n", "EVAL", "redis.setresp(3); return true", "0");
    EXPECT(raw, "#f\r\n", "EVAL", "redis.setresp(3); return false", "0");
    EXPECT(raw, "*2\r\n#t\r\n#f\r\n", "EVAL", "redis.setresp(3); return {true, false}", "0");
    /* RESP3 tables returned by the script. */
    EXPECT(raw, ",3.5\r\n", "EVAL", "return {double=3.5}", "0");
    EXPECT(raw, ",3\r\n", "EVAL", "return {double=3}", "0");
    EXPECT(raw, "%1\r\n$1\r\na\r\n:1\r\n", "EVAL", "return {map={a=1}}", "0");
    EXPECT(raw, "~1\r\n$1\r\na\r\n", "EVAL", "return {set={a=true}}", "0");
    EXPECT(raw, "(123\r\n", "EVAL", "return {big_number='123'}", "0");
    EXPECT(raw, "=6\r\ntxt:hi\r\n", "EVAL", "return {verbatim_string={format='txt', string='hi'}}", "0");
    EXPECT(raw, ":3\r\n", "EVAL", "return 3.99", "0");
    EXPECT(raw, "+fine\r\n", "EVAL", "return {ok='fine'}", "0");
    EXPECT(raw, "-BAD x\r\n", "EVAL", "return {err='BAD x'}", "0");
    ts_raw_close(raw);
}

/* ---- scripts and keys ----------------------------------------------------------- */

TS_TEST(scripting, data_type_round_trips)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "*5\r\n:1\r\n:6\r\n$2\r\nhi\r\n:2\r\n:1\r\n", "EVAL",
           "return {redis.call('incr', KEYS[1]), redis.call('incrby', KEYS[1], 5), "
           "(function() redis.call('set', KEYS[2], 'hi') return redis.call('get', KEYS[2]) end)(), "
           "redis.call('lpush', KEYS[3], 'a', 'b'), redis.call('hset', KEYS[4], 'f', 'v')}",
           "4", "cnt", "str", "lst", "hsh");
    EXPECT(raw, ":2\r\n", "EVAL", "return redis.call('zadd', KEYS[1], 1, 'one', 2, 'two')", "1", "zs");
    EXPECT(raw, "$1\r\n6\r\n", "GET", "cnt");
    EXPECT(raw, "$2\r\nhi\r\n", "GET", "str");
    EXPECT(raw, "*2\r\n$1\r\nb\r\n$1\r\na\r\n", "LRANGE", "lst", "0", "-1");
    EXPECT(raw, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "HGETALL", "hsh");
    EXPECT(raw, "*4\r\n$3\r\none\r\n$1\r\n1\r\n$3\r\ntwo\r\n$1\r\n2\r\n", "ZRANGE", "zs", "0", "-1", "WITHSCORES");
    EXPECT(raw, "*4\r\n$6\r\nstring\r\n$4\r\nlist\r\n$4\r\nhash\r\n$4\r\nzset\r\n", "EVAL",
           "return {redis.call('type', KEYS[1]).ok, redis.call('type', KEYS[2]).ok, redis.call('type', KEYS[3]).ok, "
           "redis.call('type', KEYS[4]).ok}",
           "4", "cnt", "lst", "hsh", "zs");
    /* Data written by clients is read by scripts. */
    EXPECT(raw, "+OK\r\n", "SET", "foo", "5");
    const char *decr_if_gt = "local current = redis.call('get',KEYS[1])\n"
                             "if not current then return nil end\n"
                             "if current > ARGV[1] then return redis.call('decr',KEYS[1])\n"
                             "else return redis.call('get',KEYS[1]) end";
    EXPECT(raw, ":4\r\n", "EVAL", decr_if_gt, "1", "foo", "2");
    EXPECT(raw, ":3\r\n", "EVAL", decr_if_gt, "1", "foo", "2");
    EXPECT(raw, ":2\r\n", "EVAL", decr_if_gt, "1", "foo", "2");
    EXPECT(raw, "$1\r\n2\r\n", "EVAL", decr_if_gt, "1", "foo", "2");
    EXPECT(raw, "$-1\r\n", "EVAL", decr_if_gt, "1", "nofoo", "2");
    /* Expiry set by a script; DEL inside a script. */
    EXPECT(raw, ":1\r\n", "EVAL", "redis.call('set', KEYS[1], 'v') return redis.call('expire', KEYS[1], 100)", "1",
           "ttlkey");
    EXPECT(raw, ":100\r\n", "TTL", "ttlkey");
    EXPECT(raw, "+OK\r\n", "SET", "key", "value", "EX", "10");
    EXPECT(raw, ":0\r\n", "EVAL", "redis.call('DEL', 'key') return redis.call('EXISTS', 'key')", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, wrongtype_errors)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, ":1\r\n", "LPUSH", "l", "a");
    EXPECT(raw, "+OK\r\n", "SET", "s", "v");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL", "return redis.call('get', KEYS[1])", "1", "l");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL", "return redis.call('hset', KEYS[1], 'f', 'v')", "1", "s");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL_RO", "return redis.call('smembers', KEYS[1])", "1", "l");
    EXPECT(raw, "-" WRONGTYPE "\r\n", "EVAL", "return redis.pcall('zadd', KEYS[1], 1, 'm')", "1", "s");
    EXPECT(raw, "*2\r\n$5\r\ntable\r\n$65\r\n" WRONGTYPE "\r\n", "EVAL",
           "local r = redis.pcall('get', KEYS[1]); return {type(r), r.err}", "1", "l");
    EXPECT(raw, "$1\r\nv\r\n", "GET", "s");
    EXPECT(raw, "*1\r\n$1\r\na\r\n", "LRANGE", "l", "0", "-1");
    ts_raw_close(raw);
}

TS_TEST(scripting, select_inside_a_script_does_not_affect_the_caller)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "SET", "k", "outer");
    EXPECT(raw, "$3\r\nin9\r\n", "EVAL",
           "redis.call('select','9'); redis.call('set', KEYS[1], 'in9'); return redis.call('get', KEYS[1])", "1",
           "k");
    EXPECT(raw, "$5\r\nouter\r\n", "GET", "k");
    EXPECT(raw, "$5\r\nouter\r\n", "EVAL", "return redis.call('get', KEYS[1])", "1", "k");
    EXPECT(raw, "+OK\r\n", "SELECT", "9");
    EXPECT(raw, "$3\r\nin9\r\n", "GET", "k");
    /* A script runs in its caller's database. */
    EXPECT(raw, "$3\r\nin9\r\n", "EVAL", "return redis.pcall('get', KEYS[1])", "1", "k");
    EXPECT_SCRIPT_ERROR(raw, "ERR DB index is out of range", 1, "EVAL", "return redis.call('select',99)", "0");
    ts_raw_close(raw);
}

TS_TEST(scripting, eval_inside_multi)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "MULTI");
    EXPECT(raw, "+QUEUED\r\n", "EVAL", "return redis.call('incr', KEYS[1])", "1", "mc");
    EXPECT(raw, "+QUEUED\r\n", "EVALSHA", "0000000000000000000000000000000000000000", "0");
    EXPECT(raw, "+QUEUED\r\n", "EVAL", "return redis.call('incr', KEYS[1])", "1", "mc");
    EXPECT(raw, "+QUEUED\r\n", "SCRIPT", "LOAD", "return 'loaded'");
    EXPECT(raw, "+QUEUED\r\n", "EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0");
    EXPECT(raw,
           "*5\r\n:1\r\n-" NOSCRIPT "\r\n:2\r\n$40\r\nb534286061d4b9e4026607613b95c06c06015ae8\r\n$6\r\nloaded\r\n",
           "EXEC");
    ts_raw_close(raw);
}

/* ---- keys on different shards ------------------------------------------------- */

TS_TEST(scripting, declared_keys_on_every_shard)
{
    SPREAD(4, "a", "b", "c", "d", "e", "f", "g", "h");
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "EVAL",
           "return redis.call('mset', KEYS[1], 1, KEYS[2], 2, KEYS[3], 3, KEYS[4], 4, KEYS[5], 5, KEYS[6], 6, "
           "KEYS[7], 7, KEYS[8], 8)",
           "8", "a", "b", "c", "d", "e", "f", "g", "h");
    EXPECT(raw, "*8\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n$1\r\n6\r\n$1\r\n7\r\n$1\r\n8\r\n",
           "MGET", "a", "b", "c", "d", "e", "f", "g", "h");
    /* Sum, then move each value one key on: all in one script. */
    EXPECT(raw, ":36\r\n", "EVAL",
           "local s = 0 for i = 1, #KEYS do s = s + tonumber(redis.call('get', KEYS[i])) end return s", "8", "a", "b",
           "c", "d", "e", "f", "g", "h");
    EXPECT(raw, "*8\r\n:2\r\n:4\r\n:6\r\n:8\r\n:10\r\n:12\r\n:14\r\n:16\r\n", "EVAL",
           "local r = {} for i = 1, #KEYS do r[i] = redis.call('incrby', KEYS[i], redis.call('get', KEYS[i])) end "
           "return r",
           "8", "a", "b", "c", "d", "e", "f", "g", "h");
    /* RENAME and LMOVE between keys of different shards. */
    EXPECT(raw, "*3\r\n$1\r\n2\r\n:0\r\n$1\r\n2\r\n", "EVAL",
           "redis.call('del', KEYS[2]) redis.call('rename', KEYS[1], KEYS[2]) "
           "return {redis.call('get', KEYS[2]), redis.call('exists', KEYS[1]), redis.call('get', KEYS[2])}",
           "2", "a", "b");
    EXPECT(raw, ":0\r\n", "EXISTS", "a");
    EXPECT(raw, "$1\r\n2\r\n", "GET", "b");
    EXPECT(raw, "*4\r\n$2\r\nl3\r\n$2\r\nl1\r\n:1\r\n:2\r\n", "EVAL",
           "redis.call('del', KEYS[1], KEYS[2]) redis.call('rpush', KEYS[1], 'l1', 'l2', 'l3') "
           "local x = redis.call('lmove', KEYS[1], KEYS[2], 'right', 'left') "
           "local y = redis.call('lmove', KEYS[1], KEYS[2], 'left', 'right') "
           "return {x, y, redis.call('llen', KEYS[1]), redis.call('llen', KEYS[2])}",
           "2", "c", "d");
    EXPECT(raw, "*2\r\n$2\r\nl3\r\n$2\r\nl1\r\n", "LRANGE", "d", "0", "-1");
    EXPECT(raw, "*1\r\n$2\r\nl2\r\n", "LRANGE", "c", "0", "-1");
    EXPECT(raw, "$-1\r\n", "EVAL", "return redis.call('lmove', KEYS[1], KEYS[2], 'left', 'right')", "2", "nosuch",
           "e");
    /* SMOVE, SUNIONSTORE and a ZUNIONSTORE over four shards. */
    EXPECT(raw, "*3\r\n:1\r\n:3\r\n:2\r\n", "EVAL",
           "redis.call('del', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) "
           "redis.call('sadd', KEYS[1], 'x', 'y') redis.call('sadd', KEYS[2], 'z') "
           "local m = redis.call('smove', KEYS[1], KEYS[2], 'x') "
           "local u = redis.call('sunionstore', KEYS[3], KEYS[1], KEYS[2]) "
           "redis.call('zadd', KEYS[4], 1, 'p', 2, 'q') "
           "return {m, u, redis.call('zunionstore', KEYS[4], 2, KEYS[4], KEYS[4])}",
           "4", "e", "f", "g", "h");
    EXPECT(raw, "*2\r\n$1\r\nx\r\n$1\r\nz\r\n", "SORT", "f", "ALPHA");
    EXPECT(raw, "*4\r\n$1\r\np\r\n$1\r\n2\r\n$1\r\nq\r\n$1\r\n4\r\n", "ZRANGE", "h", "0", "-1", "WITHSCORES");
    ts_raw_close(raw);
}

/* Outside cluster mode a script may touch keys it did not declare. */
TS_TEST(scripting, undeclared_keys_on_every_shard)
{
    SPREAD(4, "u1", "u2", "u3", "u4");
    struct ts_raw *raw = ts_raw_connect(g_server);
    /* Names from ARGV, numkeys 0. */
    EXPECT(raw, "+OK\r\n", "EVAL",
           "return redis.call('mset', ARGV[1], 'v1', ARGV[2], 'v2', ARGV[3], 'v3', ARGV[4], 'v4')", "0", "u1", "u2",
           "u3", "u4");
    EXPECT(raw, "*4\r\n$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n$2\r\nv4\r\n", "MGET", "u1", "u2", "u3", "u4");
    EXPECT(raw, "*4\r\n$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n$2\r\nv4\r\n", "EVAL",
           "return redis.call('mget', ARGV[1], ARGV[2], ARGV[3], ARGV[4])", "0", "u1", "u2", "u3", "u4");
    /* Constant names, and names built in the script. */
    EXPECT(raw, "*4\r\n:1\r\n:1\r\n:1\r\n:1\r\n", "EVAL",
           "local r = {} for i = 1, 4 do r[i] = redis.call('incr', 'cnt:' .. i) end return r", "0");
    EXPECT(raw, "*4\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n1\r\n", "MGET", "cnt:1", "cnt:2", "cnt:3", "cnt:4");
    EXPECT(raw, "+OK\r\n", "EVAL", "redis.call('set', 'u1', 'const') return redis.call('rename', 'u1', 'u2')", "0");
    EXPECT(raw, "*2\r\n$-1\r\n$5\r\nconst\r\n", "MGET", "u1", "u2");
    EXPECT(raw, "$2\r\nv3\r\n", "EVAL",
           "return redis.call('lmove', 'nosuch', 'u4', 'left', 'left') or redis.call('get', 'u3')", "0");
    /* Undeclared keys next to declared ones, some of them on other shards. */
    EXPECT(raw, "*3\r\n$2\r\nv3\r\n$5\r\nconst\r\n$2\r\nv4\r\n", "EVAL",
           "return {redis.call('get', KEYS[1]), redis.call('get', ARGV[1]), redis.call('get', 'u4')}", "1", "u3",
           "u2");
    /* EVAL_RO reads undeclared keys too. */
    EXPECT(raw, "*2\r\n$5\r\nconst\r\n$2\r\nv4\r\n", "EVAL_RO", "return redis.call('mget', 'u2', ARGV[1])", "0",
           "u4");
    ts_raw_close(raw);
}

TS_TEST(scripting, declared_write_then_undeclared_keys)
{
    SPREAD(4, "k1", "k2", "k3", "k4");
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "+OK\r\n", "MSET", "k2", "10", "k3", "20", "k4", "30");
    /* Write the declared key first, then read and write keys of other shards. */
    EXPECT(raw, "*4\r\n:1\r\n$2\r\n10\r\n:21\r\n:31\r\n", "EVAL",
           "local a = redis.call('incr', KEYS[1]) local b = redis.call('get', 'k2') "
           "local c = redis.call('incr', ARGV[1]) local d = redis.call('incr', ARGV[2]) return {a, b, c, d}",
           "1", "k1", "k3", "k4");
    EXPECT(raw, "*4\r\n$1\r\n1\r\n$2\r\n10\r\n$2\r\n21\r\n$2\r\n31\r\n", "MGET", "k1", "k2", "k3", "k4");
    /* The same, moving values through a list on an undeclared key. */
    EXPECT(raw, "*2\r\n:2\r\n$2\r\n10\r\n", "EVAL",
           "redis.call('set', KEYS[1], 'w') redis.call('rpush', 'movelist', redis.call('get', 'k2'), "
           "redis.call('get', 'k3')) redis.call('del', 'k2') "
           "return {redis.call('llen', 'movelist'), redis.call('lpop', 'movelist')}",
           "1", "k1");
    EXPECT(raw, "*3\r\n$1\r\nw\r\n$-1\r\n$2\r\n21\r\n", "MGET", "k1", "k2", "k3");
    EXPECT(raw, "*1\r\n$2\r\n21\r\n", "LRANGE", "movelist", "0", "-1");
    /* A failing undeclared write after a declared one: the first stays. */
    EXPECT(raw, ":1\r\n", "LPUSH", "k4list", "x");
    EXPECT_SCRIPT_ERROR(raw, WRONGTYPE, 1, "EVAL", "redis.call('set', KEYS[1], 'before') redis.call('incr', 'k4list')",
                        "1", "k1");
    EXPECT(raw, "$6\r\nbefore\r\n", "GET", "k1");
    ts_raw_close(raw);
}

/* ---- atomicity -------------------------------------------------------------- */

struct incr_runner {
    redisContext *c;
    int scripts;
    atomic_bool done;
    char err[256];
};

/* 1000 INCRs of each of two keys on different shards, per script. */
static void *incr_runner_main(void *arg)
{
    struct incr_runner *ir = arg;
    for (int i = 0; i < ir->scripts && !ir->err[0]; i++) {
        redisReply *r = redisCommand(ir->c, "EVAL %s 2 counter x",
                                     "for i=1,1000 do redis.call('incr',KEYS[1]) redis.call('incr',KEYS[2]) end "
                                     "return redis.call('get',KEYS[1])");
        if (!r)
            snprintf(ir->err, sizeof ir->err, "EVAL: %s", ir->c->errstr);
        else if (r->type != REDIS_REPLY_STRING || atoll(r->str) != (i + 1) * 1000LL)
            snprintf(ir->err, sizeof ir->err, "EVAL #%d: want bulk \"%d\", got type %d", i, (i + 1) * 1000, r->type);
        if (r)
            freeReplyObject(r);
    }
    atomic_store(&ir->done, true);
    return NULL;
}

/* The value of a GET/MGET element: 0 for nil, -1 for anything else. */
static long long elem_ll(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING ? atoll(r->str) : r->type == REDIS_REPLY_NIL ? 0 : -1;
}

/* A script's INCRs are never seen half done by another connection: GET
 * sees multiples of 1000, MGET of both keys (on different shards) two
 * equal multiples of 1000. */
TS_TEST(scripting, script_is_atomic_for_other_clients)
{
    SPREAD(2, "counter", "x");
    /* 600k INCRs in all: a tenth of that under a sanitizer. */
    const int nscripts = ts_server_sanitized() ? 30 : 300;
    struct incr_runner ir = {.c = ts_connect(g_server), .scripts = nscripts};
    atomic_init(&ir.done, false);
    redisContext *reader = ts_connect(g_server);
    pthread_t tid;
    cr_assert_eq(pthread_create(&tid, NULL, incr_runner_main, &ir), 0);
    long long reads = 0, bad = 0, last = 0, backwards = 0;
    char err[256] = "", first_bad[128] = "";
    long long deadline = ts_now_ms() + 30000;
    while (!atomic_load(&ir.done) && ts_now_ms() < deadline) {
        bool mget = reads % 2;
        redisReply *r = mget ? redisCommand(reader, "MGET counter x") : redisCommand(reader, "GET counter");
        if (!r) {
            snprintf(err, sizeof err, "read: %s", reader->errstr);
            break;
        }
        long long v, w;
        if (mget) {
            bool arr = r->type == REDIS_REPLY_ARRAY && r->elements == 2;
            v = arr ? elem_ll(r->element[0]) : -1;
            w = arr ? elem_ll(r->element[1]) : -1;
        } else {
            v = w = elem_ll(r);
        }
        freeReplyObject(r);
        reads++;
        if (v < 0 || v % 1000 != 0 || v != w) {
            if (!bad++)
                snprintf(first_bad, sizeof first_bad, "%s saw %lld and %lld", mget ? "MGET" : "GET", v, w);
        }
        if (v < last)
            backwards++;
        last = v;
    }
    pthread_join(tid, NULL);
    cr_assert(!err[0], "%s", err);
    cr_assert(!ir.err[0], "script runner: %s", ir.err);
    cr_assert(atomic_load(&ir.done), "the scripts did not finish in 30 s");
    cr_assert_eq(bad, 0, "%lld of %lld reads saw a script half done (first: %s)", bad, reads, first_bad);
    cr_assert_eq(backwards, 0, "the counter went backwards %lld times", backwards);
    cr_assert_eq(get_ll(reader, "counter"), nscripts * 1000LL);
    cr_assert_eq(get_ll(reader, "x"), nscripts * 1000LL);
    cr_log_info("atomic INCR loop: %lld reads during %d scripts", reads, nscripts);
    redisFree(ir.c);
    redisFree(reader);
}

#define NACCT 12
#define ACCT_START 100
#define BANK_MS 2000
#define BANK_MAX_OPS 200000
#define BANK_TRANSFERERS 3

static const char *const accounts[NACCT] = {"acct:0", "acct:1", "acct:2", "acct:3",  "acct:4",  "acct:5",
                                            "acct:6", "acct:7", "acct:8", "acct:9", "acct:10", "acct:11"};

/* Moves ARGV[1] from KEYS[1] to KEYS[2] unless that leaves KEYS[1]
 * negative; 1 if moved. */
static const char transfer_script[] = "local amount = tonumber(ARGV[1])\n"
                                      "local a = tonumber(redis.call('get', KEYS[1]))\n"
                                      "if a < amount then return 0 end\n"
                                      "redis.call('decrby', KEYS[1], amount)\n"
                                      "redis.call('incrby', KEYS[2], amount)\n"
                                      "return 1";
/* The same with undeclared keys: the names are ARGV[2] and ARGV[3]. */
static const char transfer_undeclared_script[] = "local amount = tonumber(ARGV[1])\n"
                                                 "local a = tonumber(redis.call('get', ARGV[2]))\n"
                                                 "if a < amount then return 0 end\n"
                                                 "redis.call('decrby', ARGV[2], amount)\n"
                                                 "redis.call('incrby', ARGV[3], amount)\n"
                                                 "return 1";
/* {sum, lowest balance} of the declared keys, or of the ARGV names. */
static const char sum_script[] = "local names = KEYS\n"
                                 "if #names == 0 then names = ARGV end\n"
                                 "local s, low = 0, nil\n"
                                 "for i = 1, #names do\n"
                                 "  local v = tonumber(redis.call('get', names[i]))\n"
                                 "  s = s + v\n"
                                 "  if low == nil or v < low then low = v end\n"
                                 "end\n"
                                 "return {s, low}";

struct bank_worker {
    pthread_t tid;
    redisContext *c;
    bool reader;
    unsigned seed;
    long long deadline;
    char sha_transfer[41], sha_transfer_u[41], sha_sum[41];
    long long ops, moved, refused, sums, mgets;
    long long bad_sum, bad_low;
    char note[256];
    char err[512];
};

static atomic_bool g_bank_stop;

__attribute__((format(printf, 2, 3))) static void bank_fail(struct bank_worker *w, const char *fmt, ...)
{
    if (!w->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, sizeof w->err, fmt, ap);
        va_end(ap);
    }
    atomic_store(&g_bank_stop, true);
}

static bool bank_running(const struct bank_worker *w)
{
    return !atomic_load(&g_bank_stop) && ts_now_ms() < w->deadline && w->ops < BANK_MAX_OPS;
}

static void bank_transfer_once(struct bank_worker *w)
{
    int x = rand_r(&w->seed) % NACCT, amount = 1 + rand_r(&w->seed) % 60;
    int y = (x + 1 + rand_r(&w->seed) % (NACCT - 1)) % NACCT;
    char amt[16];
    snprintf(amt, sizeof amt, "%d", amount);
    bool undeclared = rand_r(&w->seed) % 2;
    const char *argv[6];
    int argc;
    if (undeclared) {
        argv[0] = "EVALSHA", argv[1] = w->sha_transfer_u, argv[2] = "0", argv[3] = amt, argv[4] = accounts[x],
        argv[5] = accounts[y], argc = 6;
    } else {
        argv[0] = "EVALSHA", argv[1] = w->sha_transfer, argv[2] = "2", argv[3] = accounts[x], argv[4] = accounts[y],
        argv[5] = amt, argc = 6;
    }
    redisReply *r = redisCommandArgv(w->c, argc, argv, NULL);
    if (!r) {
        bank_fail(w, "transfer: %s", w->c->errstr);
        return;
    }
    if (r->type != REDIS_REPLY_INTEGER || (r->integer != 0 && r->integer != 1)) {
        char d[300];
        ts_reply_describe(r, d, sizeof d);
        bank_fail(w, "transfer (%s keys): want 0 or 1, got %s", undeclared ? "undeclared" : "declared", d);
    } else if (r->integer) {
        w->moved++;
    } else {
        w->refused++;
    }
    freeReplyObject(r);
}

/* One read: the sum script (declared or undeclared keys) or MGET. */
static void bank_read_once(struct bank_worker *w)
{
    const char *argv[NACCT + 3];
    int kind = (int)(w->ops % 3), argc = 0;
    if (kind == 2) {
        argv[argc++] = "MGET";
    } else {
        argv[argc++] = "EVALSHA";
        argv[argc++] = w->sha_sum;
        argv[argc++] = kind == 0 ? "12" : "0";
    }
    for (int i = 0; i < NACCT; i++)
        argv[argc++] = accounts[i];
    redisReply *r = redisCommandArgv(w->c, argc, argv, NULL);
    if (!r) {
        bank_fail(w, "read: %s", w->c->errstr);
        return;
    }
    long long sum = 0, low = -1;
    if (kind == 2) {
        if (r->type != REDIS_REPLY_ARRAY || r->elements != NACCT) {
            bank_fail(w, "MGET: want %d bulks", NACCT);
        } else {
            for (size_t i = 0; i < r->elements; i++) {
                long long v = r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : -1;
                sum += v;
                low = i == 0 || v < low ? v : low;
            }
        }
        w->mgets++;
    } else {
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->type != REDIS_REPLY_INTEGER) {
            char d[300];
            ts_reply_describe(r, d, sizeof d);
            bank_fail(w, "sum script: want {sum, low}, got %s", d);
        } else {
            sum = r->element[0]->integer;
            low = r->element[1]->integer;
        }
        w->sums++;
    }
    freeReplyObject(r);
    if (w->err[0])
        return;
    if (sum != (long long)NACCT * ACCT_START) {
        if (!w->bad_sum++ && !w->note[0])
            snprintf(w->note, sizeof w->note, "%s saw a total of %lld", kind == 2 ? "MGET" : "the sum script", sum);
    }
    if (low < 0) {
        if (!w->bad_low++ && !w->note[0])
            snprintf(w->note, sizeof w->note, "%s saw a balance of %lld", kind == 2 ? "MGET" : "the sum script", low);
    }
}

static void *bank_main(void *arg)
{
    struct bank_worker *w = arg;
    while (bank_running(w)) {
        if (w->reader)
            bank_read_once(w);
        else
            bank_transfer_once(w);
        w->ops++;
    }
    return NULL;
}

/* Transfers by EVALSHA between accounts on every shard, some declaring
 * their keys and some not, while a reader sums all balances with a script
 * (declared and undeclared keys) and with MGET: the total never changes and
 * no balance goes negative. */
TS_TEST(scripting, bank_transfers_keep_the_total_across_shards)
{
    ts_assert_spread(accounts, NACCT, 4);
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < NACCT; i++)
        ts_assert_ok(ts_cmd(c, "SET %s %d", accounts[i], ACCT_START));
    char sha_t[41], sha_tu[41], sha_s[41];
    struct {
        const char *script;
        char *sha;
    } load[] = {{transfer_script, sha_t}, {transfer_undeclared_script, sha_tu}, {sum_script, sha_s}};
    for (size_t i = 0; i < sizeof load / sizeof load[0]; i++) {
        redisReply *r = ts_cmd(c, "SCRIPT LOAD %s", load[i].script);
        cr_assert(r->type == REDIS_REPLY_STRING && r->len == 40, "SCRIPT LOAD: want a sha");
        memcpy(load[i].sha, r->str, 41);
        freeReplyObject(r);
    }
    /* The scripts work before the race starts. */
    ts_assert_int(ts_cmd(c, "EVALSHA %s 2 %s %s 1000", sha_t, accounts[0], accounts[1]), 0);
    ts_assert_int(ts_cmd(c, "EVALSHA %s 0 5 %s %s", sha_tu, accounts[0], accounts[1]), 1);
    ts_assert_int(ts_cmd(c, "EVALSHA %s 2 %s %s 5", sha_t, accounts[1], accounts[0]), 1);

    static struct bank_worker w[BANK_TRANSFERERS + 1];
    memset(w, 0, sizeof w);
    atomic_store(&g_bank_stop, false);
    long long deadline = ts_now_ms() + BANK_MS;
    int n = BANK_TRANSFERERS + 1;
    for (int i = 0; i < n; i++) {
        w[i].c = ts_connect(g_server);
        w[i].reader = i == BANK_TRANSFERERS;
        w[i].seed = (unsigned)(ts_now_ms() * 7919 + i * 104729);
        w[i].deadline = deadline;
        memcpy(w[i].sha_transfer, sha_t, 41);
        memcpy(w[i].sha_transfer_u, sha_tu, 41);
        memcpy(w[i].sha_sum, sha_s, 41);
    }
    int started = 0;
    for (; started < n; started++)
        if (pthread_create(&w[started].tid, NULL, bank_main, &w[started]) != 0)
            break;
    if (started < n)
        atomic_store(&g_bank_stop, true);
    for (int i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    cr_assert_eq(started, n, "pthread_create failed");
    for (int i = 0; i < n; i++) {
        redisFree(w[i].c);
        cr_assert(!w[i].err[0], "worker %d: %s", i, w[i].err);
    }
    struct bank_worker *rd = &w[BANK_TRANSFERERS];
    long long moved = 0, refused = 0;
    for (int i = 0; i < BANK_TRANSFERERS; i++) {
        moved += w[i].moved;
        refused += w[i].refused;
        cr_assert_gt(w[i].moved + w[i].refused, 0, "transferer %d ran no script", i);
    }
    cr_assert_gt(rd->sums + rd->mgets, 0, "the reader read nothing");
    cr_assert_eq(rd->bad_sum, 0, "%lld of %lld reads saw a wrong total: %s", rd->bad_sum, rd->ops, rd->note);
    cr_assert_eq(rd->bad_low, 0, "%lld of %lld reads saw a negative balance: %s", rd->bad_low, rd->ops, rd->note);
    /* And at the end. */
    long long total = 0;
    for (int i = 0; i < NACCT; i++) {
        long long v = get_ll(c, accounts[i]);
        cr_assert_geq(v, 0, "%s = %lld", accounts[i], v);
        total += v;
    }
    cr_assert_eq(total, (long long)NACCT * ACCT_START);
    redisReply *r = ts_cmd(c, "EVALSHA %s 0 %s %s %s %s %s %s %s %s %s %s %s %s", sha_s, accounts[0], accounts[1],
                           accounts[2], accounts[3], accounts[4], accounts[5], accounts[6], accounts[7], accounts[8],
                           accounts[9], accounts[10], accounts[11]);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->integer == NACCT * ACCT_START,
              "final sum script");
    freeReplyObject(r);
    cr_log_info("bank: %lld transfers, %lld refused, %lld sum scripts, %lld MGETs", moved, refused, rd->sums,
                rd->mgets);
    redisFree(c);
}

/* ---- bad input ------------------------------------------------------------- */

/* Reads from fd until `n` bytes arrived or timeout; returns the count. */
static size_t read_bytes(int fd, char *buf, size_t n, int timeout_ms, const char *stop_suffix)
{
    size_t got = 0, sl = stop_suffix ? strlen(stop_suffix) : 0;
    long long deadline = ts_now_ms() + timeout_ms;
    while (got < n) {
        if (sl && got >= sl && memcmp(buf + got - sl, stop_suffix, sl) == 0)
            break;
        int left = (int)(deadline - ts_now_ms());
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int pr = poll(&p, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            break;
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

static void fd_send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        cr_assert(k > 0, "write: %s", strerror(errno));
        s += k;
        n -= (size_t)k;
    }
}

static void fd_send_eval(int fd, const char *script)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "*3\r\n$4\r\nEVAL\r\n$%zu\r\n%s\r\n$1\r\n0\r\n", strlen(script), script);
    fd_send_all(fd, buf, (size_t)n);
}

static void fd_expect_pong(int fd)
{
    char buf[16];
    fd_send_all(fd, "PING\r\n", 6);
    size_t got = read_bytes(fd, buf, 7, 5000, NULL);
    cr_assert(got == 7 && memcmp(buf, "+PONG\r\n", 7) == 0, "PING after the deep reply: got %zu bytes", got);
}

TS_TEST(scripting, deeply_nested_tables)
{
    /* The harness's RESP reader stops at depth 64: read the bytes directly. */
    int fd = ts_tcp_connect(ts_port(g_server));
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    enum { DEPTH = 1000 };
    size_t want_len = DEPTH * 4 + 4;
    char *want = malloc(want_len), *got = malloc(want_len + 64);
    cr_assert(want && got);
    for (int i = 0; i < DEPTH; i++)
        memcpy(want + i * 4, "*1\r\n", 4);
    memcpy(want + DEPTH * 4, "*0\r\n", 4);
    fd_send_eval(fd, "local t = {} local cur = t for i=1,1000 do local n = {} cur[1] = n cur = n end return t");
    size_t n = read_bytes(fd, got, want_len, 10000, NULL);
    cr_assert(n == want_len && memcmp(got, want, want_len) == 0,
              "1000 nested tables: want 1000 \"*1\\r\\n\" then \"*0\\r\\n\" (%zu bytes), got %zu bytes", want_len, n);
    fd_expect_pong(fd);
    /* A string at depth 300. */
    fd_send_eval(fd, "local t = 'x' for i=1,300 do t = {t} end return t");
    n = read_bytes(fd, got, 300 * 4 + 7, 10000, NULL);
    bool ok = n == 300 * 4 + 7 && memcmp(got + 300 * 4, "$1\r\nx\r\n", 7) == 0;
    for (int i = 0; ok && i < 300; i++)
        ok = memcmp(got + i * 4, "*1\r\n", 4) == 0;
    cr_assert(ok, "300 nested tables around 'x': got %zu bytes", n);
    fd_expect_pong(fd);
    free(want);
    free(got);
    close(fd);
}

/* A table that contains itself: the reply nests until the Lua stack
 * limit, then ends in an error (7995 levels on redis-server 7.0), and the
 * connection goes on. */
TS_TEST(scripting, self_referencing_table_ends_in_an_error)
{
    static const char tail[] = "-ERR reached lua stack limit\r\n";
    int fd = ts_tcp_connect(ts_port(g_server));
    cr_assert(fd >= 0, "connect: %s", strerror(errno));
    size_t cap = 4u << 20;
    char *buf = malloc(cap);
    cr_assert(buf);
    for (int round = 0; round < 2; round++) {
        fd_send_eval(fd, round == 0 ? "local a = {}; local b = {a}; a[1] = b; return a"
                                    : "local t = 'x' for i=1,100000 do t = {t} end return t");
        size_t n = read_bytes(fd, buf, cap, 10000, tail);
        size_t tl = sizeof tail - 1;
        cr_assert(n >= tl && memcmp(buf + n - tl, tail, tl) == 0, "round %d: the reply does not end in %s (%zu bytes)",
                  round, "-ERR reached lua stack limit", n);
        size_t levels = (n - tl) / 4;
        cr_assert_eq((n - tl) % 4, 0);
        for (size_t i = 0; i < levels; i++)
            cr_assert(memcmp(buf + i * 4, "*1\r\n", 4) == 0, "round %d: level %zu is not *1", round, i);
        cr_assert(levels >= 1000 && levels <= 1000000, "round %d: %zu levels", round, levels);
        fd_expect_pong(fd);
    }
    free(buf);
    close(fd);
}

TS_TEST(scripting, commands_refused_inside_scripts)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, ":1\r\n", "RPUSH", "nel", "a");
    /* Blocking commands are refused in 7.0, even when they would not block. */
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('blpop','emptyl','0')", "0");
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('blpop',KEYS[1],'0')", "1", "nel");
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('brpop',KEYS[1],'1')", "1", "nel");
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('blmove',KEYS[1],'x','left','left','0')", "1",
                        "nel");
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('brpoplpush','e1','e2','0')", "0");
    EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", "return redis.call('bzpopmin','ez','0')", "0");
    EXPECT(raw, "-" NOT_ALLOWED "\r\n", "EVAL", "return redis.pcall('blpop','x',0)", "0");
    EXPECT(raw, "-" NOT_ALLOWED "\r\n", "EVAL", "return redis.pcall('bzpopmax','empty_zset', 0)", "0");
    EXPECT(raw, "*1\r\n$1\r\na\r\n", "LRANGE", "nel", "0", "-1");
    /* Transactions, pub/sub subscriptions, scripting, connection state. */
    const char *refused[] = {
        "return redis.call('multi')",
        "return redis.call('exec')",
        "return redis.call('watch','x')",
        "return redis.call('subscribe','c')",
        "return redis.call('psubscribe','x')",
        "return redis.call('eval','return 1','0')",
        "return redis.call('script','load','return 1')",
        "return redis.call('client','list')",
        "return redis.call('hello','3')",
        "return redis.call('auth','x')",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        EXPECT_SCRIPT_ERROR(raw, NOT_ALLOWED, 1, "EVAL", refused[i], "0");
    /* Non-blocking list and pub/sub commands are fine. */
    EXPECT(raw, ":0\r\n", "EVAL", "return redis.call('publish','x','y')", "0");
    EXPECT(raw, "$1\r\na\r\n", "EVAL", "return redis.call('lpop',KEYS[1])", "1", "nel");
    EXPECT(raw, "$-1\r\n", "EVAL", "return redis.call('lpop',KEYS[1])", "1", "nel");
    /* After all that the connection is in its normal state. */
    EXPECT(raw, "+PONG\r\n", "PING");
    EXPECT(raw, "+OK\r\n", "SET", "after", "1");
    ts_raw_close(raw);
}

TS_TEST(scripting, many_scripts_on_one_connection_do_not_leak_state)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET x 0"));
    enum { N = 2000 };
    for (int j = 0; j < N; j++)
        ts_append(c, "EVAL %s 1 x", "return redis.call('incr',KEYS[1])");
    for (int j = 0; j < N; j++)
        ts_assert_int(ts_reply(c), j + 1);
    ts_assert_bulk(ts_cmd(c, "GET x"), "2000");
    /* Pipelined mixed successes and errors keep their order. */
    ts_append(c, "EVAL %s 0", "return 1");
    ts_append(c, "EVAL %s 0", "return {err='E1 one'}");
    ts_append(c, "EVALSHA %s 0", "0000000000000000000000000000000000000000");
    ts_append(c, "EVAL %s 0", "return 'two'");
    ts_assert_int(ts_reply(c), 1);
    ts_assert_error(ts_reply(c), "E1 one");
    ts_assert_error(ts_reply(c), NOSCRIPT);
    ts_assert_bulk(ts_reply(c), "two");
    redisFree(c);
}
