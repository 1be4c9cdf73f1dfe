/* test_functions.c — Redis 7.0 functions: FUNCTION LOAD | DELETE | FLUSH |
 * LIST | STATS | HELP, FCALL and FCALL_RO, with replies compared byte for
 * byte on raw connections:
 *   load errors  the first line (metadata, name, engine), the code
 *                (compile errors, the top level's errors: only `redis`
 *                with register_function and log exists there),
 *                register_function's argument forms and their errors,
 *                flags, names, duplicates in and across libraries,
 *                REPLACE;
 *   calls        keys and args as the callback's two arguments (no KEYS
 *                global), errors naming the function, numkeys errors,
 *                FCALL_RO refusing functions without no-writes, names
 *                found whatever their case;
 *   listing      FUNCTION LIST in RESP2 and RESP3 (flags a set, nil
 *                description), LIBRARYNAME and WITHCODE, STATS, HELP;
 *   shards       declared keys on every shard (at --shards 4), undeclared
 *                keys, a library loaded on one connection called at once
 *                from 8 others (on different shards), DELETE and FLUSH
 *                seen from all of them, INFO's counts.
 * Not covered: FUNCTION DUMP/RESTORE/KILL (not implemented), the load
 * timeout. Every expectation holds on redis-server 7.0 (suite 'redis'). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/util.h"

TestSuite(functions, .timeout = 120);

#define ARGV_OF(...) ((const char *const[]){__VA_ARGS__})
#define NARGS(...) ((int)(sizeof ARGV_OF(__VA_ARGS__) / sizeof(const char *)))

#define EXPECT(raw, want, ...) ts_raw_expect_argv((raw), (want), sizeof(want) - 1, NARGS(__VA_ARGS__), ARGV_OF(__VA_ARGS__))
#define LOAD_ERR(raw, msg, code) EXPECT(raw, "-" msg "\r\n", "FUNCTION", "LOAD", code)
#define REG_ERR(raw, msg, code) LOAD_ERR(raw, "ERR Error registering functions: " msg, code)

static void raw_hello3(struct ts_raw *raw)
{
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    const char *r = ts_raw_read_reply(raw, 5000, &len);
    cr_assert(r && r[0] == '%', "HELLO 3: %s", r ? r : ts_raw_status(raw));
}

#define LIB_KV "#!lua name=kv\n" \
    "redis.register_function('kv_set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\n" \
    "redis.register_function{function_name='kv_get', callback=function(keys) return redis.call('GET', keys[1]) end, " \
    "flags={'no-writes'}, description='reads'}\n"

TS_TEST(functions, load_metadata_errors)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    LOAD_ERR(raw, "ERR Missing library metadata", "return 1");
    LOAD_ERR(raw, "ERR Library name was not given", "#!lua\nreturn 1");
    LOAD_ERR(raw, "ERR Invalid metadata value given: foo=bar", "#!lua name=x foo=bar\nreturn 1");
    LOAD_ERR(raw, "ERR Engine 'luax' not found", "#!luax name=x\nreturn 1");
    LOAD_ERR(raw, "ERR Invalid metadata value, name argument was given multiple times", "#!lua name=x name=y\n");
    LOAD_ERR(raw, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one "
                  "character long", "#!lua name=a-b\nreturn 1");
    LOAD_ERR(raw, "ERR Invalid library metadata", "#!lua name=x");
    LOAD_ERR(raw, "ERR No functions registered", "#!lua name=x\nreturn 1");
    LOAD_ERR(raw, "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'",
             "#!lua name=x\nredis.register_function('f')(");
    EXPECT(raw, "-ERR Unknown option given: foo\r\n", "FUNCTION", "LOAD", "foo", "bar");
    EXPECT(raw, "-ERR Missing library metadata\r\n", "FUNCTION", "LOAD", "replace");
    ts_raw_close(raw);
}

/* Found by redis-diff: the argument is named whole; FUNCTION LIST keeps
 * its CR/LF as spaces (addReplyErrorSds), LOAD drops them at the end
 * (addReplyErrorFormat). */
TS_TEST(functions, unknown_arguments_are_named_whole)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "-ERR Unknown argument   \r\n", "FUNCTION", "LIST", "\r\n");
    char opt[301], want[400];
    memset(opt, 'o', 300);
    opt[300] = '\0';
    snprintf(want, sizeof want, "-ERR Unknown option given: %s\r\n", opt);
    ts_raw_expect_argv(raw, want, strlen(want), 4, ARGV_OF("FUNCTION", "LOAD", opt, "#!lua name=x\n"));
    EXPECT(raw, "-ERR Unknown option given: x\r\n", "FUNCTION", "LOAD", "x\r\n", "code");
    ts_raw_close(raw);
}

TS_TEST(functions, top_level_sees_only_register_function_and_log)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    REG_ERR(raw, "ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
            "#!lua name=x\nredis.call('set','a','b')");
    REG_ERR(raw, "ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
            "#!lua name=x\nlocal s = string.len('a')");
    REG_ERR(raw, "ERR user_function:2: Script attempted to access nonexistent global variable 'error'",
            "#!lua name=x\nerror('boom')");
    REG_ERR(raw, "ERR user_function:2: Script attempted to access nonexistent global variable 'setresp'",
            "#!lua name=x\nredis.setresp(3)");
    REG_ERR(raw, "ERR user_function:2: Attempt to modify a readonly table", "#!lua name=x\nx = 5");
    REG_ERR(raw, "ERR user_function:2: Attempt to modify a readonly table",
            "#!lua name=y\nredis.register_function('x', function() end) redis.foo = 1");
    LOAD_ERR(raw, "ERR No functions registered", "#!lua name=x\nredis.log(redis.LOG_WARNING, 'hi') return redis.REDIS_VERSION");
    ts_raw_close(raw);
}

TS_TEST(functions, register_function_argument_errors)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    REG_ERR(raw, "ERR Function already exists in the library",
            "#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)");
    REG_ERR(raw, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one "
                 "character long", "#!lua name=x\nredis.register_function('f-1', function() end)");
    REG_ERR(raw, "ERR unknown flag given",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}");
    REG_ERR(raw, "ERR flags argument to redis.register_function must be a table representing function flags",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags='no-writes'}");
    REG_ERR(raw, "ERR unknown argument given to redis.register_function",
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, foo=1}");
    REG_ERR(raw, "ERR redis.register_function must get a callback argument",
            "#!lua name=x\nredis.register_function{function_name='f'}");
    REG_ERR(raw, "ERR redis.register_function must get a function name argument",
            "#!lua name=x\nredis.register_function{callback=function() end}");
    REG_ERR(raw, "ERR calling redis.register_function with a single argument is only applicable to Lua table "
                 "(representing named arguments).", "#!lua name=x\nredis.register_function('f')");
    REG_ERR(raw, "ERR wrong number of arguments to redis.register_function", "#!lua name=x\nredis.register_function()");
    REG_ERR(raw, "ERR wrong number of arguments to redis.register_function",
            "#!lua name=x\nredis.register_function(1,2,3)");
    REG_ERR(raw, "ERR first argument to redis.register_function must be a string",
            "#!lua name=x\nredis.register_function(function() end, 'f')");
    REG_ERR(raw, "ERR second argument to redis.register_function must be a function",
            "#!lua name=x\nredis.register_function('f', 'g')");
    REG_ERR(raw, "ERR callback argument given to redis.register_function must be a function",
            "#!lua name=x\nredis.register_function{function_name='f', callback=5}");
    ts_raw_close(raw);
}

TS_TEST(functions, libraries_and_function_names_clash)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$2\r\nkv\r\n", "FUNCTION", "LOAD", LIB_KV);
    LOAD_ERR(raw, "ERR Library 'kv' already exists", LIB_KV);
    /* Already exists comes before the code is looked at. */
    LOAD_ERR(raw, "ERR Library 'kv' already exists", "#!lua name=kv\nbad code (");
    LOAD_ERR(raw, "ERR Function KV_SET already exists", "#!lua name=y\nredis.register_function('KV_SET', function() end)");
    /* REPLACE: the library's own functions do not clash. */
    EXPECT(raw, "$2\r\nkv\r\n", "FUNCTION", "LOAD", "REPLACE",
           "#!lua name=kv\nredis.register_function('kv_set', function() return 'new' end)");
    EXPECT(raw, "$3\r\nnew\r\n", "FCALL", "kv_set", "0");
    EXPECT(raw, "-ERR Function not found\r\n", "FCALL", "kv_get", "1", "k");
    EXPECT(raw, "-ERR Library not found\r\n", "FUNCTION", "DELETE", "nope");
    EXPECT(raw, "+OK\r\n", "FUNCTION", "DELETE", "kv");
    EXPECT(raw, "-ERR Function not found\r\n", "FCALL", "kv_set", "0");
    ts_raw_close(raw);
}

TS_TEST(functions, fcall_passes_keys_and_args)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$1\r\nz\r\n", "FUNCTION", "LOAD",
           "#!lua name=z\n"
           "redis.register_function('h', function(keys, args) return {keys, args} end)\n"
           "redis.register_function('g', function(keys, args) return KEYS end)\n"
           "redis.register_function('e', function(keys, args) return error('oops') end)\n"
           "redis.register_function('w', function(keys, args) x = 1 end)\n"
           "redis.register_function('rf', function() return redis.register_function('q', function() end) end)\n"
           "redis.register_function('s', function(keys, args) return string.upper(args[1]) .. tostring(#keys) end)");
    EXPECT(raw, "*2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n$1\r\nd\r\n", "FCALL", "h", "2", "a", "b", "c", "d");
    EXPECT(raw, "*2\r\n*0\r\n*0\r\n", "FCALL", "H", "0");
    EXPECT(raw, "$4\r\nABC1\r\n", "FCALL", "s", "1", "k", "abc");
    EXPECT(raw, "-ERR user_function:3: Script attempted to access nonexistent global variable 'KEYS' script: g, on "
                "@user_function:3.\r\n", "FCALL", "g", "0");
    EXPECT(raw, "-ERR user_function:4: oops script: e, on @user_function:4.\r\n", "FCALL", "E", "0");
    EXPECT(raw, "-ERR user_function:5: Attempt to modify a readonly table script: w, on @user_function:5.\r\n",
           "FCALL", "w", "0");
    EXPECT(raw, "-ERR user_function:6: attempt to call field 'register_function' (a nil value) script: rf, on "
                "@user_function:6.\r\n", "FCALL", "rf", "0");
    EXPECT(raw, "-ERR Function not found\r\n", "FCALL", "nope", "0");
    EXPECT(raw, "-ERR Function not found\r\n", "FCALL", "nope", "x");
    EXPECT(raw, "-ERR Bad number of keys provided\r\n", "FCALL", "h", "x");
    EXPECT(raw, "-ERR Number of keys can't be negative\r\n", "FCALL", "h", "-1");
    EXPECT(raw, "-ERR Number of keys can't be greater than number of args\r\n", "FCALL", "h", "5");
    EXPECT(raw, "-ERR wrong number of arguments for 'fcall' command\r\n", "FCALL", "h");
    ts_raw_close(raw);
}

TS_TEST(functions, fcall_ro_needs_no_writes)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$2\r\nkv\r\n", "FUNCTION", "LOAD", LIB_KV);
    EXPECT(raw, "+OK\r\n", "FCALL", "kv_set", "1", "k", "v");
    EXPECT(raw, "-ERR Can not execute a script with write flag using *_ro command.\r\n", "FCALL_RO", "kv_set", "1",
           "k", "v");
    EXPECT(raw, "$1\r\nv\r\n", "FCALL_RO", "kv_get", "1", "k");
    EXPECT(raw, "$1\r\nv\r\n", "FCALL", "kv_get", "1", "k");
    EXPECT(raw, "$1\r\nv\r\n", "GET", "k");
    /* A no-writes function may not write, even through FCALL. */
    EXPECT(raw, "$2\r\nro\r\n", "FUNCTION", "LOAD",
           "#!lua name=ro\nredis.register_function{function_name='ro_w', callback=function(keys) "
           "return redis.pcall('SET', keys[1], 'x') end, flags={'no-writes'}}");
    EXPECT(raw, "-ERR Write commands are not allowed from read-only scripts.\r\n", "FCALL", "ro_w", "1", "k");
    ts_raw_close(raw);
}

/* One function per library: Redis lists a library's functions in its
 * dict's order. */
#define LIB_ONE "#!lua name=one\nredis.register_function{function_name='kv_get', callback=function(keys) return 1 end, " \
    "flags={'no-writes'}, description='reads'}\n"
#define LIST_ONE2                                                                                                    \
    "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$3\r\none\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n"           \
    "*6\r\n$4\r\nname\r\n$6\r\nkv_get\r\n$11\r\ndescription\r\n$5\r\nreads\r\n$5\r\nflags\r\n*1\r\n+no-writes\r\n"
#define LIST_ONE3                                                                                                    \
    "*1\r\n%3\r\n$12\r\nlibrary_name\r\n$3\r\none\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n"           \
    "%3\r\n$4\r\nname\r\n$6\r\nkv_get\r\n$11\r\ndescription\r\n$5\r\nreads\r\n$5\r\nflags\r\n~1\r\n+no-writes\r\n"

TS_TEST(functions, list_and_stats_replies)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "*0\r\n", "FUNCTION", "LIST");
    EXPECT(raw, "$3\r\none\r\n", "FUNCTION", "LOAD", LIB_ONE);
    EXPECT(raw, LIST_ONE2, "FUNCTION", "LIST");
    EXPECT(raw, LIST_ONE2, "FUNCTION", "LIST", "LIBRARYNAME", "O*");
    EXPECT(raw, "*0\r\n", "FUNCTION", "LIST", "LIBRARYNAME", "x*");
    EXPECT(raw, "-ERR library name argument was not given\r\n", "FUNCTION", "LIST", "LIBRARYNAME");
    EXPECT(raw, "-ERR Unknown argument foo\r\n", "FUNCTION", "LIST", "foo");
    EXPECT(raw, "-ERR Unknown argument withcode\r\n", "FUNCTION", "LIST", "withcode", "withcode");
    EXPECT(raw, "$1\r\nc\r\n", "FUNCTION", "LOAD", "#!lua name=c\nredis.register_function('c1', function() end)");
    EXPECT(raw, "*1\r\n*8\r\n$12\r\nlibrary_name\r\n$1\r\nc\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n"
                "*6\r\n$4\r\nname\r\n$2\r\nc1\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n"
                "$12\r\nlibrary_code\r\n$58\r\n#!lua name=c\nredis.register_function('c1', function() end)\r\n",
           "FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "c");
    EXPECT(raw, "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
                "$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:2\r\n", "FUNCTION", "STATS");
    EXPECT(raw, "+OK\r\n", "FUNCTION", "DELETE", "c");
    raw_hello3(raw);
    EXPECT(raw, LIST_ONE3, "FUNCTION", "LIST");
    EXPECT(raw, "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n"
                "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n", "FUNCTION", "STATS");
    ts_raw_close(raw);
}

TS_TEST(functions, flags_listed_in_order_and_help)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$1\r\nf\r\n", "FUNCTION", "LOAD",
           "#!lua name=f\nredis.register_function{function_name='f', callback=function() end, flags={'allow-stale', "
           "'NO-WRITES', 'allow-cross-slot-keys', 'no-cluster', 'allow-oom'}}");
    EXPECT(raw, "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$1\r\nf\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n"
                "*6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*5\r\n+no-writes\r\n"
                "+allow-oom\r\n+allow-stale\r\n+no-cluster\r\n+allow-cross-slot-keys\r\n", "FUNCTION", "LIST");
    EXPECT(raw, "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option\r\n", "FUNCTION", "FLUSH", "foo");
    EXPECT(raw, "+OK\r\n", "FUNCTION", "FLUSH", "ASYNC");
    EXPECT(raw, "*0\r\n", "FUNCTION", "LIST");
    EXPECT(raw, "-ERR wrong number of arguments for 'function|delete' command\r\n", "FUNCTION", "DELETE");
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "FUNCTION HELP");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 40);
    cr_assert_str_eq(r->element[1]->str, "LOAD [REPLACE] <FUNCTION CODE>");
    cr_assert_str_eq(r->element[39]->str, "    Prints this help.");
    freeReplyObject(r);
    redisFree(c);
    ts_raw_close(raw);
}

/* ---- shards -------------------------------------------------------------- */

static const char *const spread_keys[] = {"fk:a", "fk:b", "fk:c", "fk:d", "fk:e", "fk:f", "fk:g", "fk:h"};

static void assert_spread(void) { ts_assert_spread(spread_keys, RK_ARRAY_LEN(spread_keys), 4); }

#define LIB_MULTI "#!lua name=multi\n" \
    "redis.register_function('mset_all', function(keys, args)\n" \
    "  for i, k in ipairs(keys) do redis.call('SET', k, args[1] .. i) end\n" \
    "  return #keys end)\n" \
    "redis.register_function{function_name='sum', flags={'no-writes'}, callback=function(keys, args)\n" \
    "  local s = 0\n" \
    "  for i = 1, tonumber(args[1]) do s = s + tonumber(redis.call('GET', 'fk:' .. args[i + 1]) or 0) end\n" \
    "  return s end}\n" \
    "redis.register_function('undeclared', function(keys, args)\n" \
    "  for i = 1, #args do redis.call('INCRBY', 'fk:' .. args[i], 10) end\n" \
    "  return redis.call('MGET', 'fk:a', 'fk:b', 'fk:c', 'fk:d', 'fk:e', 'fk:f', 'fk:g', 'fk:h') end)\n"

TS_TEST(functions, keys_on_every_shard)
{
    assert_spread();
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT(raw, "$5\r\nmulti\r\n", "FUNCTION", "LOAD", LIB_MULTI);
    EXPECT(raw, ":8\r\n", "FCALL", "mset_all", "8", "fk:a", "fk:b", "fk:c", "fk:d", "fk:e", "fk:f", "fk:g", "fk:h",
           "1");
    EXPECT(raw, "*8\r\n$2\r\n11\r\n$2\r\n12\r\n$2\r\n13\r\n$2\r\n14\r\n$2\r\n15\r\n$2\r\n16\r\n$2\r\n17\r\n$2\r\n18\r\n",
           "MGET", "fk:a", "fk:b", "fk:c", "fk:d", "fk:e", "fk:f", "fk:g", "fk:h");
    /* Undeclared keys, read and written. */
    EXPECT(raw, ":116\r\n", "FCALL_RO", "sum", "0", "8", "a", "b", "c", "d", "e", "f", "g", "h");
    EXPECT(raw, "*8\r\n$2\r\n21\r\n$2\r\n22\r\n$2\r\n23\r\n$2\r\n24\r\n$2\r\n25\r\n$2\r\n26\r\n$2\r\n27\r\n$2\r\n28\r\n",
           "FCALL", "undeclared", "0", "a", "b", "c", "d", "e", "f", "g", "h");
    EXPECT(raw, ":196\r\n", "FCALL", "sum", "1", "fk:a", "8", "a", "b", "c", "d", "e", "f", "g", "h");
    ts_raw_close(raw);
}

#define NCONN 8

TS_TEST(functions, a_load_is_seen_by_every_connection)
{
    redisContext *c[NCONN + 1];
    for (int i = 0; i <= NCONN; i++) c[i] = ts_connect(g_server);
    /* Every connection's engine exists before the load. */
    for (int i = 1; i <= NCONN; i++) ts_assert_error(ts_cmd(c[i], "FCALL ping 0"), "ERR Function not found");
    ts_assert_bulk(ts_cmd(c[0], "FUNCTION LOAD %s", "#!lua name=p\nredis.register_function('ping', function(keys, "
                                                    "args) return 'pong' .. (args[1] or '') end)"), "p");
    for (int i = 1; i <= NCONN; i++) {
        char want[16];
        snprintf(want, sizeof want, "pong%d", i);
        ts_assert_bulk(ts_cmd(c[i], "FCALL ping 0 %d", i), want);
    }
    ts_assert_bulk(ts_cmd(c[0], "FUNCTION LOAD REPLACE %s",
                          "#!lua name=p\nredis.register_function('ping', function() return 'v2' end)"), "p");
    for (int i = 1; i <= NCONN; i++) ts_assert_bulk(ts_cmd(c[i], "FCALL ping 0"), "v2");
    ts_assert_ok(ts_cmd(c[1], "FUNCTION DELETE p"));
    for (int i = 0; i <= NCONN; i++) ts_assert_error(ts_cmd(c[i], "FCALL ping 0"), "ERR Function not found");
    ts_assert_bulk(ts_cmd(c[2], "FUNCTION LOAD %s", "#!lua name=q\nredis.register_function('q', function() return 1 end)"), "q");
    for (int i = 0; i <= NCONN; i++) ts_assert_int(ts_cmd(c[i], "FCALL q 0"), 1);
    ts_assert_ok(ts_cmd(c[3], "FUNCTION FLUSH"));
    for (int i = 0; i <= NCONN; i++) ts_assert_error(ts_cmd(c[i], "FCALL q 0"), "ERR Function not found");
    for (int i = 0; i <= NCONN; i++) redisFree(c[i]);
}

TS_TEST(functions, info_counts_functions)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "FUNCTION LOAD %s", LIB_KV), "kv");
    redisReply *r = ts_cmd(c, "INFO memory");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert(strstr(r->str, "\r\nnumber_of_functions:2\r\n"), "%s", r->str);
    cr_assert(strstr(r->str, "\r\nnumber_of_libraries:1\r\n"), "%s", r->str);
    cr_assert(strstr(r->str, "\r\nused_memory_functions:"), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
}

/* The payload of FUNCTION DUMP, as a reply's bytes (the caller frees). */
static redisReply *dump_functions(redisContext *c)
{
    redisReply *r = ts_cmd(c, "FUNCTION DUMP");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "FUNCTION DUMP: not a bulk string");
    return r;
}

#define LIB_A "#!lua name=liba\nredis.register_function('fa', function() return 'a' end)"
#define LIB_B "#!lua name=libb\nredis.register_function('fb', function() return 'b' end)"
#define LIB_C "#!lua name=libc\nredis.register_function('fc', function() return 'c' end)"

/* "ERR Library liba already exists" or the same of libb (freed). */
static void assert_exists_error(redisReply *r)
{
    cr_assert_eq(r->type, REDIS_REPLY_ERROR, "FUNCTION RESTORE: type %d, not an error", r->type);
    cr_assert(strcmp(r->str, "ERR Library liba already exists") == 0 ||
                  strcmp(r->str, "ERR Library libb already exists") == 0,
              "FUNCTION RESTORE: %s", r->str);
    freeReplyObject(r);
}

/* FUNCTION DUMP and RESTORE with each policy, every connection seeing the
 * result, and Redis's errors; the payload goes both ways with redis-server
 * (ringkv's restored there, redis-server's here). */
TS_TEST(functions, dump_and_restore)
{
    redisContext *c[NCONN];
    for (int i = 0; i < NCONN; i++) c[i] = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c[0], "FUNCTION LOAD %s", LIB_A), "liba");
    ts_assert_bulk(ts_cmd(c[0], "FUNCTION LOAD %s", LIB_B), "libb");
    redisReply *dump = dump_functions(c[0]);
    ts_assert_ok(ts_cmd(c[1], "FUNCTION FLUSH"));
    ts_assert_ok(ts_cmd(c[1], "FUNCTION RESTORE %b", dump->str, dump->len));
    for (int i = 0; i < NCONN; i++) {
        ts_assert_bulk(ts_cmd(c[i], "FCALL fa 0"), "a");
        ts_assert_bulk(ts_cmd(c[i], "FCALL fb 0"), "b");
    }
    /* APPEND (the default) refuses a library that exists; REPLACE takes it.
     * The error names the payload's first library, and redis-server dumps
     * its libraries in its dictionary's order, which its random hash seed
     * changes from run to run. */
    assert_exists_error(ts_cmd(c[2], "FUNCTION RESTORE %b", dump->str, dump->len));
    assert_exists_error(ts_cmd(c[2], "FUNCTION RESTORE %b APPEND", dump->str, dump->len));
    ts_assert_ok(ts_cmd(c[2], "FUNCTION RESTORE %b REPLACE", dump->str, dump->len));
    /* FLUSH leaves only the payload's libraries. */
    ts_assert_bulk(ts_cmd(c[3], "FUNCTION LOAD %s", LIB_C), "libc");
    ts_assert_ok(ts_cmd(c[3], "FUNCTION RESTORE %b FLUSH", dump->str, dump->len));
    for (int i = 0; i < NCONN; i++) ts_assert_error(ts_cmd(c[i], "FCALL fc 0"), "ERR Function not found");
    ts_assert_error(ts_cmd(c[3], "FUNCTION RESTORE %b BAD", dump->str, dump->len),
                    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    char *bad = malloc(dump->len);
    memcpy(bad, dump->str, dump->len);
    bad[dump->len - 1] ^= 1;
    ts_assert_error(ts_cmd(c[3], "FUNCTION RESTORE %b", bad, dump->len), "ERR DUMP payload version or checksum are wrong");
    free(bad);
    /* An empty set dumps to the footer alone, and restores to nothing. */
    ts_assert_ok(ts_cmd(c[4], "FUNCTION FLUSH"));
    redisReply *empty = dump_functions(c[4]);
    cr_assert_eq(empty->len, 10);
    ts_assert_ok(ts_cmd(c[4], "FUNCTION RESTORE %b", empty->str, empty->len));
    freeReplyObject(empty);

    /* With redis-server, both ways. */
    struct test_server *redis = ts_start_redis("--enable-debug-command", "no", NULL);
    redisContext *rc = ts_connect(redis);
    ts_assert_ok(ts_cmd(rc, "FUNCTION RESTORE %b", dump->str, dump->len));
    ts_assert_bulk(ts_cmd(rc, "FCALL fb 0"), "b");
    ts_assert_bulk(ts_cmd(rc, "FUNCTION LOAD %s", LIB_C), "libc");
    redisReply *theirs = dump_functions(rc);
    ts_assert_ok(ts_cmd(c[5], "FUNCTION RESTORE %b FLUSH", theirs->str, theirs->len));
    for (int i = 0; i < NCONN; i++) ts_assert_bulk(ts_cmd(c[i], "FCALL fc 0"), "c");
    freeReplyObject(theirs);
    redisFree(rc);
    cr_assert_eq(ts_stop(redis), 0);
    freeReplyObject(dump);
    for (int i = 0; i < NCONN; i++) redisFree(c[i]);
}
