/* test_core.c — integration tests of the server core over TCP: string
 * commands, multi-key commands spread over many hash slots (so, with
 * several shards, over several shards), databases, errors with Redis's
 * exact text, and the connection/server commands clients rely on. Every
 * expectation was checked against redis-server 7.0 (RINGKV_TEST_REDIS=1). */
#include "harness.h"
#include "strings_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ringkv/base/util.h"

TestSuite(core, .timeout = 60);

/* Distinct hash slots among n keys named fmt % i: shows a test really
 * spreads its keys (slots, and so shards, are what the server splits on). */
static unsigned distinct_slots(const char *fmt, int n)
{
    static unsigned char seen[RK_SLOTS];
    memset(seen, 0, sizeof seen);
    unsigned count = 0;
    for (int i = 0; i < n; i++) {
        char key[64];
        int len = snprintf(key, sizeof key, fmt, i);
        unsigned slot = key_hash_slot(key, (size_t)len);
        count += !seen[slot];
        seen[slot] = 1;
    }
    return count;
}

TS_TEST(core, ping_and_echo)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    ts_assert_bulk(ts_cmd(c, "PING %s", "hello"), "hello");
    ts_assert_bulk(ts_cmd(c, "ECHO %s", "hi there"), "hi there");
    ts_assert_bulk(ts_cmd(c, "ECHO %b", "", (size_t)0), "");
    ts_assert_error(ts_cmd(c, "PING a b"), "ERR wrong number of arguments for 'ping' command");
    ts_assert_error(ts_cmd(c, "ECHO"), "ERR wrong number of arguments for 'echo' command");
    redisFree(c);
}

/* 10,000 pipelined SETs on one connection must all be visible to another. */
TS_TEST(core, ten_thousand_keys_pipelined)
{
    enum { N = 10000 };
    cr_assert_geq(distinct_slots("key:%d", N), 5000);
    redisContext *w = ts_connect(g_server), *r = ts_connect(g_server);
    for (int i = 0; i < N; i++)
        ts_append(w, "SET key:%d value-%d", i, i * 7);
    for (int i = 0; i < N; i++)
        ts_assert_ok(ts_reply(w));
    for (int i = 0; i < N; i++)
        ts_append(r, "GET key:%d", i);
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof want, "value-%d", i * 7);
        redisReply *rep = ts_reply(r);
        cr_assert(rep->type == REDIS_REPLY_STRING && strcmp(rep->str, want) == 0,
                  "GET key:%d: want %s, got type %d \"%s\"", i, want, rep->type,
                  rep->str ? rep->str : "");
        freeReplyObject(rep);
    }
    ts_assert_int(ts_cmd(r, "DBSIZE"), N);
    redisFree(w);
    redisFree(r);
}

/* Runs a command given as a vector of C strings. */
static redisReply *cmd_vec(redisContext *c, int argc, const char **argv)
{
    return ts_cmd_argv(c, argc, argv, NULL);
}

TS_TEST(core, mset_mget_del_exists_across_slots)
{
    enum { N = 200 };
    cr_assert_geq(distinct_slots("mk:%d", N), 190);
    redisContext *c = ts_connect(g_server);
    static char keys[N][16], vals[N][16];
    const char *argv[2 * N + 2];
    argv[0] = "MSET";
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "mk:%d", i);
        snprintf(vals[i], sizeof vals[i], "mv:%d", i);
        argv[1 + 2 * i] = keys[i];
        argv[2 + 2 * i] = vals[i];
    }
    ts_assert_ok(cmd_vec(c, 1 + 2 * N, argv));

    /* MGET of all keys plus a missing one, in an order unlike insertion. */
    argv[0] = "MGET";
    for (int i = 0; i < N; i++)
        argv[1 + i] = keys[N - 1 - i];
    argv[1 + N] = "mk:missing";
    redisReply *r = cmd_vec(c, 2 + N, argv);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, (size_t)N + 1);
    for (int i = 0; i < N; i++)
        cr_assert(r->element[i]->type == REDIS_REPLY_STRING &&
                      strcmp(r->element[i]->str, vals[N - 1 - i]) == 0,
                  "MGET element %d", i);
    cr_assert_eq(r->element[N]->type, REDIS_REPLY_NIL);
    freeReplyObject(r);

    /* EXISTS counts repeated keys each time. */
    ts_assert_int(ts_cmd(c, "EXISTS mk:1 mk:2 mk:missing mk:1"), 3);
    /* DEL the even keys and one missing key. */
    argv[0] = "DEL";
    int argc = 1;
    for (int i = 0; i < N; i += 2)
        argv[argc++] = keys[i];
    argv[argc++] = "mk:missing";
    ts_assert_int(cmd_vec(c, argc, argv), N / 2);
    argv[0] = "EXISTS";
    for (int i = 0; i < N; i++)
        argv[1 + i] = keys[i];
    ts_assert_int(cmd_vec(c, 1 + N, argv), N / 2);
    ts_assert_array(ts_cmd(c, "MGET mk:0 mk:1 mk:2 mk:3"), NULL, "mv:1", NULL, "mv:3");
    ts_assert_int(ts_cmd(c, "DBSIZE"), N / 2);

    /* MSET overwrites, and its arity errors. */
    ts_assert_ok(ts_cmd(c, "MSET mk:1 new1 mk:0 new0"));
    ts_assert_array(ts_cmd(c, "MGET mk:0 mk:1"), "new0", "new1");
    ts_assert_error(ts_cmd(c, "MSET a b c"), "ERR wrong number of arguments for 'mset' command");
    ts_assert_error(ts_cmd(c, "MSET a"), "ERR wrong number of arguments for 'mset' command");
    ts_assert_error(ts_cmd(c, "MGET"), "ERR wrong number of arguments for 'mget' command");
    ts_assert_error(ts_cmd(c, "DEL"), "ERR wrong number of arguments for 'del' command");
    ts_assert_error(ts_cmd(c, "EXISTS"), "ERR wrong number of arguments for 'exists' command");
    redisFree(c);
}

#define NOT_INT "ERR value is not an integer or out of range"
#define OVERFLOW "ERR increment or decrement would overflow"

TS_TEST(core, incr_decr_family)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "INCR n"), 1);
    ts_assert_int(ts_cmd(c, "INCRBY n 10"), 11);
    ts_assert_int(ts_cmd(c, "DECR n"), 10);
    ts_assert_int(ts_cmd(c, "DECRBY n 5"), 5);
    ts_assert_int(ts_cmd(c, "INCRBY n -7"), -2);
    ts_assert_int(ts_cmd(c, "DECRBY n -3"), 1);
    ts_assert_bulk(ts_cmd(c, "GET n"), "1");
    ts_assert_int(ts_cmd(c, "DECR fresh"), -1);
    ts_assert_ok(ts_cmd(c, "SET s 41"));
    ts_assert_int(ts_cmd(c, "INCR s"), 42);
    ts_assert_bulk(ts_cmd(c, "GET s"), "42");

    /* Values that are not strict decimal integers. */
    const char *bad[] = {"abc", " 1", "1 ", "01", "+1", "1.5", "", "9223372036854775808"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_assert_ok(ts_cmd(c, "SET bad %s", bad[i]));
        ts_assert_error(ts_cmd(c, "INCR bad"), NOT_INT);
        ts_assert_bulk(ts_cmd(c, "GET bad"), bad[i]);
    }
    ts_assert_error(ts_cmd(c, "INCRBY n abc"), NOT_INT);
    ts_assert_error(ts_cmd(c, "INCRBY n 1.5"), NOT_INT);
    ts_assert_error(ts_cmd(c, "DECRBY n 99999999999999999999"), NOT_INT);

    /* Overflow leaves the value alone. */
    ts_assert_ok(ts_cmd(c, "SET big 9223372036854775807"));
    ts_assert_error(ts_cmd(c, "INCR big"), OVERFLOW);
    ts_assert_error(ts_cmd(c, "INCRBY big 1"), OVERFLOW);
    ts_assert_bulk(ts_cmd(c, "GET big"), "9223372036854775807");
    ts_assert_ok(ts_cmd(c, "SET small -9223372036854775808"));
    ts_assert_error(ts_cmd(c, "DECR small"), OVERFLOW);
    ts_assert_error(ts_cmd(c, "DECRBY small 1"), OVERFLOW);
    ts_assert_int(ts_cmd(c, "INCRBY small 9223372036854775807"), -1);
    /* DECRBY of LLONG_MIN cannot be negated: its own message. */
    ts_assert_error(ts_cmd(c, "DECRBY x -9223372036854775808"), "ERR decrement would overflow");
    ts_assert_int(ts_cmd(c, "EXISTS x"), 0);

    ts_assert_error(ts_cmd(c, "INCR"), "ERR wrong number of arguments for 'incr' command");
    ts_assert_error(ts_cmd(c, "INCRBY n"), "ERR wrong number of arguments for 'incrby' command");
    ts_assert_error(ts_cmd(c, "DECR a b"), "ERR wrong number of arguments for 'decr' command");
    ts_assert_error(ts_cmd(c, "DECRBY n 1 2"),
                    "ERR wrong number of arguments for 'decrby' command");
    redisFree(c);
}

TS_TEST(core, set_conditions_and_get)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_nil(ts_cmd(c, "SET k v XX"));
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_ok(ts_cmd(c, "SET k v NX"));
    ts_assert_nil(ts_cmd(c, "SET k v2 NX"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_ok(ts_cmd(c, "SET k v3 XX"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "v3");
    /* GET returns the old value; with NX/XX it is returned whether or not
     * the write happens. */
    ts_assert_bulk(ts_cmd(c, "SET k v4 GET"), "v3");
    ts_assert_nil(ts_cmd(c, "SET fresh x GET"));
    ts_assert_bulk(ts_cmd(c, "GET fresh"), "x");
    ts_assert_bulk(ts_cmd(c, "SET k v5 NX GET"), "v4");
    ts_assert_bulk(ts_cmd(c, "GET k"), "v4");
    ts_assert_bulk(ts_cmd(c, "SET k v6 XX GET"), "v4");
    ts_assert_nil(ts_cmd(c, "SET nokey v XX GET"));
    ts_assert_int(ts_cmd(c, "EXISTS nokey"), 0);
    /* Options are case-insensitive. */
    ts_assert_bulk(ts_cmd(c, "set k v7 xx get"), "v6");
    redisFree(c);
}

#define INVALID_EXPIRE "ERR invalid expire time in 'set' command"

TS_TEST(core, set_syntax_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k orig"));
    struct {
        const char *cmd, *err;
    } cases[] = {
        {"SET k v NX XX", "ERR syntax error"},
        {"SET k v EX 10 PX 10", "ERR syntax error"},
        {"SET k v EX 10 EXAT 10", "ERR syntax error"},
        {"SET k v KEEPTTL EX 10", "ERR syntax error"},
        {"SET k v PX 10 KEEPTTL", "ERR syntax error"},
        {"SET k v EX", "ERR syntax error"},
        {"SET k v FOO", "ERR syntax error"},
        {"SET k v EX abc", NOT_INT},
        {"SET k v PX 1.5", NOT_INT},
        {"SET k v EX 0", INVALID_EXPIRE},
        {"SET k v EX -1", INVALID_EXPIRE},
        {"SET k v PX 0", INVALID_EXPIRE},
        {"SET k v EXAT 0", INVALID_EXPIRE},
        {"SET k v PXAT -5", INVALID_EXPIRE},
        {"SET k v EX 9223372036854775807", INVALID_EXPIRE},
        {"SET k v PX 9223372036854775807", INVALID_EXPIRE},
        {"SET k", "ERR wrong number of arguments for 'set' command"},
        {"GET", "ERR wrong number of arguments for 'get' command"},
        {"GET a b", "ERR wrong number of arguments for 'get' command"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ts_assert_error(ts_cmd(c, cases[i].cmd), cases[i].err);
    /* No failed SET wrote anything. */
    ts_assert_bulk(ts_cmd(c, "GET k"), "orig");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1);
    redisFree(c);
}

/* Key with a relative/absolute expiry is gone once it passes. */
TS_TEST(core, set_expiry_takes_effect)
{
    redisContext *c = ts_connect(g_server);
    long long now_ms = (long long)time(NULL) * 1000;
    /* Margins of several hundred ms: the reads before expiry must not
     * race the clock on a slow, loaded machine under a sanitizer. */
    ts_assert_ok(ts_cmd(c, "SET px v PX 600"));
    ts_assert_ok(ts_cmd(c, "SET pxat v PXAT %lld", now_ms + 1150));
    ts_assert_ok(ts_cmd(c, "SET ex v EX 2"));
    ts_assert_ok(ts_cmd(c, "SET exat v EXAT %lld", now_ms / 1000 + 100));
    ts_assert_ok(ts_cmd(c, "SET keep v"));
    /* An absolute time already past: accepted, and the key is gone. */
    ts_assert_ok(ts_cmd(c, "SET past v EXAT 1"));
    ts_assert_nil(ts_cmd(c, "GET past"));
    ts_assert_bulk(ts_cmd(c, "GET px"), "v");
    ts_sleep_ms(800);
    ts_assert_nil(ts_cmd(c, "GET px"));
    ts_assert_bulk(ts_cmd(c, "GET ex"), "v");
    ts_sleep_ms(1500);
    ts_assert_nil(ts_cmd(c, "GET ex"));
    ts_assert_nil(ts_cmd(c, "GET pxat"));
    ts_assert_int(ts_cmd(c, "EXISTS ex pxat px past"), 0);
    ts_assert_bulk(ts_cmd(c, "GET exat"), "v");
    ts_assert_bulk(ts_cmd(c, "GET keep"), "v");
    redisFree(c);
}

/* TTL bookkeeping of SET's options, read back with TTL/PTTL. */
TS_TEST(core, set_ttl_options)
{
    redisContext *c = ts_connect(g_server);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET k v EX 100"));
    su_assert_ttl(c, "k", 100, t0);
    ts_assert_ok(ts_cmd(c, "SET k v2 KEEPTTL"));
    su_assert_ttl(c, "k", 100, t0);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v2");
    ts_assert_ok(ts_cmd(c, "SET k v3"));
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    ts_assert_int(ts_cmd(c, "TTL missing"), -2);

    t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET p v PX 50000"));
    su_assert_pttl(c, "p", 50000, t0);
    /* EXAT now+200 in whole seconds of time(): 199 to 200 s away, less the
     * seconds the commands take on a loaded machine. */
    t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET a v EXAT %lld", (long long)time(NULL) + 200));
    long long ttl = su_int(ts_cmd(c, "TTL a"));
    long long low = 198 - (ts_now_ms() - t0) / 1000;
    cr_assert(ttl >= low && ttl <= 200, "TTL after EXAT now+200: %lld (want %lld..200)", ttl, low);
    /* SET ... GET keeps the TTL rules of the write. */
    ts_assert_bulk(ts_cmd(c, "SET a w GET KEEPTTL"), "v");
    ttl = su_int(ts_cmd(c, "TTL a"));
    low = 198 - (ts_now_ms() - t0) / 1000;
    cr_assert(ttl >= low && ttl <= 200, "TTL after KEEPTTL GET: %lld (want %lld..200)", ttl, low);
    redisFree(c);
}

TS_TEST(core, select_sixteen_databases)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    for (int db = 0; db < 16; db++) {
        ts_assert_ok(ts_cmd(c, "SELECT %d", db));
        ts_assert_ok(ts_cmd(c, "SET dbkey db%d", db));
        for (int i = 0; i <= db; i++)
            ts_assert_ok(ts_cmd(c, "SET extra:%d x", i));
    }
    for (int db = 15; db >= 0; db--) {
        char want[8];
        snprintf(want, sizeof want, "db%d", db);
        ts_assert_ok(ts_cmd(c, "SELECT %d", db));
        ts_assert_bulk(ts_cmd(c, "GET dbkey"), want);
        ts_assert_int(ts_cmd(c, "DBSIZE"), db + 2);
    }
    /* Each connection has its own selected database. */
    ts_assert_ok(ts_cmd(c, "SELECT 7"));
    ts_assert_bulk(ts_cmd(other, "GET dbkey"), "db0");

    ts_assert_error(ts_cmd(c, "SELECT 16"), "ERR DB index is out of range");
    ts_assert_error(ts_cmd(c, "SELECT -1"), "ERR DB index is out of range");
    ts_assert_error(ts_cmd(c, "SELECT abc"), NOT_INT);
    ts_assert_error(ts_cmd(c, "SELECT"), "ERR wrong number of arguments for 'select' command");
    ts_assert_bulk(ts_cmd(c, "GET dbkey"), "db7"); /* a failed SELECT keeps the old db */

    /* FLUSHDB empties the selected database only; FLUSHALL all of them. */
    ts_assert_ok(ts_cmd(c, "FLUSHDB"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    ts_assert_nil(ts_cmd(c, "GET dbkey"));
    ts_assert_ok(ts_cmd(c, "SELECT 6"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 8);
    ts_assert_int(ts_cmd(other, "DBSIZE"), 2);
    ts_assert_ok(ts_cmd(other, "FLUSHALL"));
    for (int db = 0; db < 16; db++) {
        ts_assert_ok(ts_cmd(c, "SELECT %d", db));
        ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    }
    ts_assert_error(ts_cmd(c, "FLUSHDB x"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "DBSIZE x"), "ERR wrong number of arguments for 'dbsize' command");
    redisFree(c);
    redisFree(other);
}

/* DBSIZE and FLUSHDB must see every shard's keys. */
TS_TEST(core, dbsize_and_flush_cover_all_slots)
{
    enum { N = 1000 };
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    for (int i = 0; i < N; i++)
        ts_append(c, "SET d:%d %d", i, i);
    for (int i = 0; i < N; i++)
        ts_assert_ok(ts_reply(c));
    ts_assert_int(ts_cmd(c, "DBSIZE"), N);
    ts_assert_int(ts_cmd(c, "DEL d:1 d:2 d:3 d:500 d:999"), 5);
    ts_assert_int(ts_cmd(c, "DBSIZE"), N - 5);
    ts_assert_ok(ts_cmd(c, "FLUSHDB"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    for (int i = 0; i < N; i += 97)
        ts_assert_nil(ts_cmd(c, "GET d:%d", i));
    ts_assert_ok(ts_cmd(c, "SET after flush"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1);
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    redisFree(c);
}

TS_TEST(core, unknown_command_error_text)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "FOO a b"),
                    "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
    ts_assert_error(ts_cmd(c, "nosuchcmd"),
                    "ERR unknown command 'nosuchcmd', with args beginning with: ");
    /* The args part stops once it reaches 128 bytes; one arg is cut at 128. */
    char longarg[201];
    memset(longarg, 'x', 200);
    longarg[200] = '\0';
    char want[300];
    snprintf(want, sizeof want, "ERR unknown command 'FOO', with args beginning with: '%.128s' ",
             longarg);
    ts_assert_error(ts_cmd(c, "FOO %s b c", longarg), want);
    const char *argv[41];
    argv[0] = "FOO";
    for (int i = 1; i < 41; i++)
        argv[i] = "a";
    char want2[300] = "ERR unknown command 'FOO', with args beginning with: ";
    for (int i = 0; i < 32; i++)
        strcat(want2, "'a' ");
    ts_assert_error(ts_cmd_argv(c, 41, argv, NULL), want2);
    /* The connection is fine afterwards. */
    ts_assert_status(ts_cmd(c, "PING"), "PONG");
    redisFree(c);
}

/* Arity errors name the command in lower case whatever the client sent. */
TS_TEST(core, wrong_arity_error_text)
{
    redisContext *c = ts_connect(g_server);
    struct {
        const char *cmd, *name;
    } cases[] = {
        {"GET", "get"},       {"gEt a b", "get"}, {"SET x", "set"},   {"INCR", "incr"},
        {"ECHO a b", "echo"}, {"TIME x", "time"}, {"SELECT", "select"}, {"MGET", "mget"},
        {"DBSIZE x", "dbsize"}, {"CLIENT", "client"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "ERR wrong number of arguments for '%s' command",
                 cases[i].name);
        ts_assert_error(ts_cmd(c, cases[i].cmd), want);
    }
    ts_assert_error(ts_cmd(c, "CONFIG GET"),
                    "ERR wrong number of arguments for 'config|get' command");
    redisFree(c);
}

TS_TEST(core, time_command)
{
    redisContext *c = ts_connect(g_server);
    time_t before = time(NULL);
    redisReply *r = ts_cmd(c, "TIME");
    time_t after = time(NULL);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 2);
    cr_assert_eq(r->element[0]->type, REDIS_REPLY_STRING);
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_STRING);
    long long sec, usec;
    cr_assert(string2ll(r->element[0]->str, r->element[0]->len, &sec), "TIME seconds");
    cr_assert(string2ll(r->element[1]->str, r->element[1]->len, &usec), "TIME micros");
    cr_assert(sec >= before - 1 && sec <= after + 1, "TIME %lld vs clock %lld", sec,
              (long long)before);
    cr_assert(usec >= 0 && usec < 1000000, "TIME microseconds %lld", usec);
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(core, client_setname_getname_id)
{
    redisContext *a = ts_connect(g_server), *b = ts_connect(g_server);
    redisReply *ra = ts_cmd(a, "CLIENT ID"), *rb = ts_cmd(b, "CLIENT ID");
    cr_assert(ra->type == REDIS_REPLY_INTEGER && rb->type == REDIS_REPLY_INTEGER);
    /* Unique and positive. (Redis also numbers them in connection order;
     * with several shards accepting in parallel, ringkv does not promise that.) */
    cr_assert(ra->integer > 0 && rb->integer > 0 && rb->integer != ra->integer,
              "ids must be positive and unique: %lld and %lld", ra->integer, rb->integer);
    ts_assert_int(ts_cmd(a, "CLIENT ID"), ra->integer);
    freeReplyObject(ra);
    freeReplyObject(rb);

    ts_assert_nil(ts_cmd(a, "CLIENT GETNAME"));
    ts_assert_ok(ts_cmd(a, "CLIENT SETNAME worker-1"));
    ts_assert_bulk(ts_cmd(a, "CLIENT GETNAME"), "worker-1");
    ts_assert_nil(ts_cmd(b, "CLIENT GETNAME"));
    ts_assert_ok(ts_cmd(a, "client setname other"));
    ts_assert_bulk(ts_cmd(a, "client getname"), "other");
    ts_assert_error(ts_cmd(a, "CLIENT SETNAME %s", "a b"),
                    "ERR Client names cannot contain spaces, newlines or special characters.");
    ts_assert_error(ts_cmd(a, "CLIENT SETNAME %s", "a\nb"),
                    "ERR Client names cannot contain spaces, newlines or special characters.");
    ts_assert_bulk(ts_cmd(a, "CLIENT GETNAME"), "other");
    /* An empty name clears it. */
    ts_assert_ok(ts_cmd(a, "CLIENT SETNAME %s", ""));
    ts_assert_nil(ts_cmd(a, "CLIENT GETNAME"));
    ts_assert_error(ts_cmd(a, "CLIENT NOSUCH"), "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
    redisFree(a);
    redisFree(b);
}

/* redis-benchmark reads these two at startup. */
TS_TEST(core, config_get_save_and_appendonly)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CONFIG GET save");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET save shape");
    cr_assert(r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "save") == 0);
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_STRING);
    if (ts_is_redis())
        cr_assert_str_eq(r->element[1]->str, ""); /* we passed --save '' */
    freeReplyObject(r);
    ts_assert_array(ts_cmd(c, "CONFIG GET appendonly"), "appendonly", "no");
    ts_assert_array(ts_cmd(c, "CONFIG GET no-such-parameter"));
    redisFree(c);
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\r' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static bool has_line_prefix(const char *text, const char *prefix)
{
    for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++)
        if (p == text || p[-1] == '\n')
            return true;
    return false;
}

/* Polls INFO clients until it shows `line` (the server learns of closed
 * connections asynchronously, the harness's startup probe included), for
 * up to 10 s: a loaded machine under a sanitizer can take seconds. */
static bool wait_info_clients_line(redisContext *c, const char *line)
{
    for (long long deadline = ts_now_ms() + 10000; ts_now_ms() < deadline;) {
        redisReply *r = ts_cmd(c, "INFO clients");
        bool found = r->type == REDIS_REPLY_STRING && has_line(r->str, line);
        freeReplyObject(r);
        if (found)
            return true;
        ts_sleep_ms(10);
    }
    return false;
}

TS_TEST(core, info_sections)
{
    redisContext *c = ts_connect(g_server), *c2 = ts_connect(g_server),
                 *c3 = ts_connect(g_server);
    for (int i = 0; i < 5; i++)
        ts_assert_ok(ts_cmd(c, "SET info:%d x", i));
    ts_assert_ok(ts_cmd(c, "SET info:ttl x EX 1000"));
    ts_assert_ok(ts_cmd(c2, "SELECT 2"));
    ts_assert_ok(ts_cmd(c2, "SET other y"));
    cr_assert(wait_info_clients_line(c, "connected_clients:3"), "connected_clients never 3");

    redisReply *r = ts_cmd(c, "INFO");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    const char *info = r->str;
    cr_assert(has_line_prefix(info, "redis_version:"), "INFO lacks redis_version:\n%s", info);
    cr_assert(has_line(info, "connected_clients:3"), "INFO connected_clients != 3:\n%s", info);
    cr_assert(has_line(info, "# Keyspace"), "INFO lacks # Keyspace:\n%s", info);
    cr_assert(has_line_prefix(info, "db0:keys=6,expires=1,"), "INFO db0 line:\n%s", info);
    cr_assert(has_line_prefix(info, "db2:keys=1,expires=0,"), "INFO db2 line:\n%s", info);
    cr_assert(!has_line_prefix(info, "db1:"), "INFO lists an empty db1:\n%s", info);
    freeReplyObject(r);

    /* INFO with a section gives that section only. */
    r = ts_cmd(c, "INFO keyspace");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    cr_assert(has_line(r->str, "# Keyspace") && !has_line(r->str, "# Server"),
              "INFO keyspace:\n%s", r->str);
    freeReplyObject(r);
    r = ts_cmd(c, "INFO server");
    cr_assert(has_line(r->str, "# Server") && has_line_prefix(r->str, "redis_version:") &&
                  !has_line(r->str, "# Keyspace"),
              "INFO server:\n%s", r->str);
    freeReplyObject(r);

    redisFree(c3);
    cr_assert(wait_info_clients_line(c, "connected_clients:2"),
              "connected_clients did not drop to 2 after a client closed");
    redisFree(c);
    redisFree(c2);
}

/* ---- ordering ------------------------------------------------------------ */

/* A sequential model of the few commands the ordering test mixes. */
enum { MODEL_STRINGS = 60, MODEL_COUNTERS = 20, MODEL_KEYS = MODEL_STRINGS + MODEL_COUNTERS };

struct model {
    const char *prefix;
    bool present[MODEL_KEYS];
    char val[MODEL_KEYS][24];
};

struct expect {
    int type;
    char str[24];
    long long n;
};

static void model_key(const struct model *m, int k, char *out, size_t cap)
{
    if (k < MODEL_STRINGS)
        snprintf(out, cap, "%sk_%d", m->prefix, k);
    else
        snprintf(out, cap, "%scounter_%d", m->prefix, k - MODEL_STRINGS);
}

static void expect_value(const struct model *m, int k, struct expect *e)
{
    e->type = m->present[k] ? REDIS_REPLY_STRING : REDIS_REPLY_NIL;
    snprintf(e->str, sizeof e->str, "%s", m->present[k] ? m->val[k] : "");
}

/* Queues one random command on c and records the reply the model predicts. */
static void model_step(struct model *m, redisContext *c, unsigned *seed, int step,
                       struct expect *e)
{
    int s = rand_r(seed) % MODEL_STRINGS, n = MODEL_STRINGS + rand_r(seed) % MODEL_COUNTERS;
    int any = rand_r(seed) % MODEL_KEYS;
    char ks[48], kn[48], ka[48];
    model_key(m, s, ks, sizeof ks);
    model_key(m, n, kn, sizeof kn);
    model_key(m, any, ka, sizeof ka);
    memset(e, 0, sizeof *e);
    switch (rand_r(seed) % 6) {
    case 0:
        ts_append(c, "SET %s v%d", ks, step);
        m->present[s] = true;
        snprintf(m->val[s], sizeof m->val[s], "v%d", step);
        e->type = REDIS_REPLY_STATUS;
        snprintf(e->str, sizeof e->str, "OK");
        break;
    case 1:
        ts_append(c, "GET %s", ks);
        expect_value(m, s, e);
        break;
    case 2: {
        ts_append(c, "INCR %s", kn);
        long long v = m->present[n] ? atoll(m->val[n]) + 1 : 1;
        m->present[n] = true;
        snprintf(m->val[n], sizeof m->val[n], "%lld", v);
        e->type = REDIS_REPLY_INTEGER;
        e->n = v;
        break;
    }
    case 3:
        ts_append(c, "DEL %s", ka);
        e->type = REDIS_REPLY_INTEGER;
        e->n = m->present[any];
        m->present[any] = false;
        break;
    case 4:
        ts_append(c, "EXISTS %s %s %s", ks, kn, ka);
        e->type = REDIS_REPLY_INTEGER;
        e->n = m->present[s] + m->present[n] + m->present[any];
        break;
    default:
        ts_append(c, "GET %s", kn);
        expect_value(m, n, e);
        break;
    }
}

/* Several connections each pipeline 1,000 mixed commands over keys on many
 * slots, all written before any reply is read: every reply must come back
 * in order and equal what a sequential model of that connection predicts
 * (the connections use disjoint keys). */
TS_TEST(core, pipeline_order_matches_sequential_model)
{
    enum { CONNS = 4, STEPS = 1000 };
    cr_assert_geq(distinct_slots("a:k_%d", MODEL_STRINGS), 55);
    static const char *prefixes[CONNS] = {"a:", "b:", "c:", "d:"};
    static struct model models[CONNS];
    static struct expect expects[CONNS][STEPS];
    redisContext *cs[CONNS];
    unsigned seed = 12345;
    for (int i = 0; i < CONNS; i++) {
        cs[i] = ts_connect(g_server);
        models[i].prefix = prefixes[i];
        for (int step = 0; step < STEPS; step++)
            model_step(&models[i], cs[i], &seed, step, &expects[i][step]);
    }
    for (int i = 0; i < CONNS; i++) {
        int done = 0;
        while (!done)
            cr_assert(redisBufferWrite(cs[i], &done) == REDIS_OK, "write: %s", cs[i]->errstr);
    }
    for (int i = 0; i < CONNS; i++) {
        for (int step = 0; step < STEPS; step++) {
            const struct expect *e = &expects[i][step];
            redisReply *r = ts_reply(cs[i]);
            char why[512];
            bool has_str = e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS;
            bool ok = ts_reply_is(r, e->type, has_str ? e->str : NULL, e->n, why, sizeof why);
            freeReplyObject(r);
            cr_assert(ok, "connection %d, command %d: %s", i, step, why);
        }
        redisFree(cs[i]);
    }
}

/* Another client that sees a later write of a pipeline must also see every
 * earlier one (Redis's "SET data, then SET ready" guarantee), whichever
 * shards the keys live on. */
TS_TEST(core, later_write_visible_implies_earlier_write_visible)
{
    enum { N = 1000 };
    cr_assert_geq(distinct_slots("ready:%d", N), 900);
    redisContext *writer = ts_connect(g_server), *reader = ts_connect(g_server);
    for (int i = 0; i < N; i++) {
        ts_append(writer, "SET data:%d payload-%d", i, i);
        ts_append(writer, "SET ready:%d 1", i);
    }
    int done = 0;
    while (!done)
        cr_assert(redisBufferWrite(writer, &done) == REDIS_OK, "write: %s", writer->errstr);

    /* Read while the writer's pipeline is being applied. */
    int seen_ready = 0;
    long long deadline = ts_now_ms() + 20000;
    for (int i = 0; i < N && ts_now_ms() < deadline;) {
        redisReply *r = ts_cmd(reader, "GET ready:%d", i);
        bool ready = r->type == REDIS_REPLY_STRING;
        freeReplyObject(r);
        if (!ready)
            continue; /* not applied yet: ask again */
        char want[32];
        snprintf(want, sizeof want, "payload-%d", i);
        ts_assert_bulk(ts_cmd(reader, "GET data:%d", i), want);
        seen_ready++;
        i++;
    }
    cr_assert_eq(seen_ready, N, "only %d of %d ready flags seen in 20 s", seen_ready, N);
    for (int i = 0; i < 2 * N; i++)
        ts_assert_ok(ts_reply(writer));
    redisFree(writer);
    redisFree(reader);
}

/* SELECT inside a pipeline applies to exactly the commands after it. */
TS_TEST(core, select_inside_pipeline)
{
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < 50; i++) {
        ts_append(c, "SELECT %d", i % 16);
        ts_append(c, "SET sel:%d db%d", i % 7, i % 16);
        ts_append(c, "GET sel:%d", i % 7);
    }
    for (int i = 0; i < 50; i++) {
        char want[8];
        snprintf(want, sizeof want, "db%d", i % 16);
        ts_assert_ok(ts_reply(c));
        ts_assert_ok(ts_reply(c));
        ts_assert_bulk(ts_reply(c), want);
    }
    /* The connection stays on the last database selected. */
    ts_assert_bulk(ts_cmd(c, "GET sel:%d", 49 % 7), "db1");
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 4); /* i = 0, 16, 32, 48 wrote sel:0,2,4,6 */
    redisFree(c);
}
