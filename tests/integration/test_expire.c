/* test_expire.c — keys' time to live over TCP, as Redis 7.0 behaves:
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX XX GT LT, PERSIST, TTL/PTTL/
 * EXPIRETIME/PEXPIRETIME, lazy expiry on every access, the active cycle
 * removing keys nobody reads, and INFO keyspace (keys=, expires=,
 * avg_ttl=). Keys are spread over many slots, so over every shard at
 * --shards 4. Every expectation holds on redis-server 7.0 too (suite
 * 'redis'). */
#include "harness.h"
#include "strings_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TestSuite(expire, .timeout = 90);

#define NOT_INT "ERR value is not an integer or out of range"

#define FAR 4102444800LL /* 2100-01-01, as unix seconds */

TS_TEST(expire, set_and_read_ttl)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    long long t0 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE k 100"), 1);
    su_assert_ttl(c, "k", 100, t0);
    su_assert_pttl(c, "k", 100000, t0);
    t0 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "PEXPIRE k 200000"), 1);
    su_assert_ttl(c, "k", 200, t0);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld", FAR), 1);
    ts_assert_int(ts_cmd(c, "EXPIRETIME k"), FAR);
    ts_assert_int(ts_cmd(c, "PEXPIRETIME k"), FAR * 1000);
    /* Seconds are rounded to the nearest, absolute times too. */
    ts_assert_int(ts_cmd(c, "PEXPIREAT k %lld", FAR * 1000 + 499), 1);
    ts_assert_int(ts_cmd(c, "EXPIRETIME k"), FAR);
    ts_assert_int(ts_cmd(c, "PEXPIREAT k %lld", FAR * 1000 + 500), 1);
    ts_assert_int(ts_cmd(c, "EXPIRETIME k"), FAR + 1);
    ts_assert_int(ts_cmd(c, "PEXPIRETIME k"), FAR * 1000 + 500);
    /* TTL rounds to the nearest second: 2999 ms left reads 3 (not 2) for
     * the next half second, slack enough for a loaded machine. */
    ts_assert_int(ts_cmd(c, "PEXPIRE k 2999"), 1);
    ts_assert_int(ts_cmd(c, "TTL k"), 3);
    /* Missing key and persistent key. */
    ts_assert_int(ts_cmd(c, "EXPIRE missing 100"), 0);
    ts_assert_int(ts_cmd(c, "TTL missing"), -2);
    ts_assert_int(ts_cmd(c, "PTTL missing"), -2);
    ts_assert_int(ts_cmd(c, "EXPIRETIME missing"), -2);
    ts_assert_int(ts_cmd(c, "PEXPIRETIME missing"), -2);
    ts_assert_ok(ts_cmd(c, "SET p v"));
    ts_assert_int(ts_cmd(c, "TTL p"), -1);
    ts_assert_int(ts_cmd(c, "PTTL p"), -1);
    ts_assert_int(ts_cmd(c, "EXPIRETIME p"), -1);
    ts_assert_int(ts_cmd(c, "PEXPIRETIME p"), -1);
    /* PERSIST. */
    ts_assert_int(ts_cmd(c, "PERSIST k"), 1);
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    ts_assert_int(ts_cmd(c, "PERSIST k"), 0);
    ts_assert_int(ts_cmd(c, "PERSIST missing"), 0);
    /* Writes that replace the value drop the TTL, edits keep it. */
    long long t1 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE k 100"), 1);
    ts_assert_int(ts_cmd(c, "APPEND k x"), 2);
    ts_assert_int(ts_cmd(c, "SETRANGE k 0 y"), 2);
    ts_assert_int(ts_cmd(c, "SETBIT k 0 1"), 0);
    su_assert_ttl(c, "k", 100, t1);
    ts_assert_ok(ts_cmd(c, "SET k 5"));
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    t1 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE k 100"), 1);
    ts_assert_int(ts_cmd(c, "INCR k"), 6);
    su_assert_ttl(c, "k", 100, t1);
    redisFree(c);
}

TS_TEST(expire, conditions)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    /* No TTL: NX sets, XX and GT refuse, LT sets (no TTL is infinite). */
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld XX", FAR), 0);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld GT", FAR), 0);
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld LT", FAR), 1);
    ts_assert_int(ts_cmd(c, "PERSIST k"), 1);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld NX", FAR), 1);
    /* With a TTL. */
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld NX", FAR + 10), 0);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld XX", FAR + 10), 1);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld GT", FAR + 10), 0); /* equal is not greater */
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld GT", FAR + 5), 0);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld gt", FAR + 20), 1);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld LT", FAR + 20), 0);
    ts_assert_int(ts_cmd(c, "EXPIREAT k %lld LT XX", FAR + 15), 1);
    ts_assert_int(ts_cmd(c, "EXPIRETIME k"), FAR + 15);
    ts_assert_int(ts_cmd(c, "PEXPIREAT k %lld GT XX", (FAR + 15) * 1000 + 1), 1);
    ts_assert_int(ts_cmd(c, "EXPIRE k 100 LT"), 1);
    long long t0 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE k 1000 GT"), 1);
    su_assert_ttl(c, "k", 1000, t0);
    ts_assert_int(ts_cmd(c, "EXPIRE k 100 GT"), 0);
    su_assert_ttl(c, "k", 1000, t0);
    /* Options repeat freely. */
    t0 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE k 50 XX XX LT lt"), 1);
    ts_assert_int(ts_cmd(c, "EXPIRE missing 50 XX"), 0);

    struct {
        const char *cmd, *err;
    } errs[] = {
        {"EXPIRE k 10 FOO", "ERR Unsupported option FOO"},
        {"EXPIRE k 10 NX FOO", "ERR Unsupported option FOO"},
        {"EXPIRE k abc FOO", "ERR Unsupported option FOO"}, /* options first */
        {"EXPIRE missing 10 BAR", "ERR Unsupported option BAR"},
        {"EXPIRE k 10 NX XX", "ERR NX and XX, GT or LT options at the same time are not compatible"},
        {"EXPIRE k 10 NX GT", "ERR NX and XX, GT or LT options at the same time are not compatible"},
        {"PEXPIRE k 10 LT NX", "ERR NX and XX, GT or LT options at the same time are not compatible"},
        {"EXPIREAT k 10 GT LT", "ERR GT and LT options at the same time are not compatible"},
        {"EXPIRE k abc", NOT_INT}, {"EXPIRE k 1.5", NOT_INT}, {"EXPIRE k %s", NOT_INT},
        {"EXPIRE k 9223372036854775807", "ERR invalid expire time in 'expire' command"},
        {"EXPIRE k -9223372036854775808", "ERR invalid expire time in 'expire' command"},
        {"PEXPIRE k 9223372036854775807", "ERR invalid expire time in 'pexpire' command"},
        {"EXPIREAT k 9223372036854775807", "ERR invalid expire time in 'expireat' command"},
        {"EXPIRE k", "ERR wrong number of arguments for 'expire' command"},
        {"PERSIST", "ERR wrong number of arguments for 'persist' command"},
        {"TTL a b", "ERR wrong number of arguments for 'ttl' command"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        if (strstr(errs[i].cmd, "%s")) ts_assert_error(ts_cmd(c, errs[i].cmd, ""), errs[i].err);
        else ts_assert_error(ts_cmd(c, errs[i].cmd), errs[i].err);
    }
    su_assert_ttl(c, "k", 50, t0); /* no refused command changed it */
    /* The largest absolute time in ms is accepted. */
    ts_assert_int(ts_cmd(c, "PEXPIREAT k 9223372036854775807"), 1);
    ts_assert_int(ts_cmd(c, "PEXPIRETIME k"), 9223372036854775807LL);
    redisFree(c);
}

/* A time already past deletes the key at once (and still answers 1). */
TS_TEST(expire, past_times_delete)
{
    redisContext *c = ts_connect(g_server);
    const char *cmds[] = {"EXPIRE %s -1", "EXPIRE %s 0", "PEXPIRE %s -100", "EXPIREAT %s 1", "PEXPIREAT %s 0",
                          "EXPIREAT %s -5", "EXPIRE %s -9223372036854775"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ts_assert_ok(ts_cmd(c, "SET k v"));
        ts_assert_int(ts_cmd(c, cmds[i], "k"), 1);
        ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    }
    /* ...unless a condition refuses it. */
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_int(ts_cmd(c, "EXPIRE k -1 GT"), 0);
    ts_assert_int(ts_cmd(c, "EXPIRE k -1 XX"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 1);
    ts_assert_int(ts_cmd(c, "EXPIRE k -1 LT"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    redisFree(c);
}

/* An expired key is gone for every command, even before anything
 * deleted it. */
TS_TEST(expire, lazy_expiry_everywhere)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 {t}c 3 live 4"));
    /* Long enough to read a once before it passes even on a slow,
     * loaded machine under a sanitizer. */
    ts_assert_int(ts_cmd(c, "PEXPIRE a 600"), 1);
    ts_assert_int(ts_cmd(c, "PEXPIRE b 600"), 1);
    ts_assert_int(ts_cmd(c, "PEXPIRE {t}c 600"), 1);
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    ts_sleep_ms(800);
    ts_assert_nil(ts_cmd(c, "GET a"));
    ts_assert_array(ts_cmd(c, "MGET a b {t}c live"), NULL, NULL, NULL, "4");
    ts_assert_int(ts_cmd(c, "EXISTS a b {t}c"), 0);
    ts_assert_int(ts_cmd(c, "TTL b"), -2);
    ts_assert_int(ts_cmd(c, "PTTL {t}c"), -2);
    ts_assert_status(ts_cmd(c, "TYPE b"), "none");
    ts_assert_nil(ts_cmd(c, "OBJECT ENCODING b"));
    ts_assert_int(ts_cmd(c, "EXPIRE b 100"), 0);
    ts_assert_int(ts_cmd(c, "PERSIST b"), 0);
    ts_assert_int(ts_cmd(c, "STRLEN b"), 0);
    ts_assert_int(ts_cmd(c, "INCR b"), 1); /* a new key, without the old TTL */
    ts_assert_int(ts_cmd(c, "TTL b"), -1);
    redisReply *r = ts_cmd(c, "KEYS *");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_assert((strcmp(r->element[0]->str, "b") == 0 && strcmp(r->element[1]->str, "live") == 0) ||
              (strcmp(r->element[0]->str, "live") == 0 && strcmp(r->element[1]->str, "b") == 0));
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "SET {t}d v PX 1"));
    ts_sleep_ms(20);
    ts_assert_error(ts_cmd(c, "RENAME {t}d {t}e"), "ERR no such key");
    ts_assert_int(ts_cmd(c, "COPY {t}d {t}e"), 0);
    ts_assert_int(ts_cmd(c, "MOVE {t}d 1"), 0);
    redisFree(c);
}

/* The "dbN:..." line of INFO keyspace, or "" when absent. */
static void keyspace_line(redisContext *c, int db, char *out, size_t cap)
{
    redisReply *r = ts_cmd(c, "INFO keyspace");
    cr_assert(r->type == REDIS_REPLY_STRING);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "db%d:", db);
    const char *p = strstr(r->str, prefix);
    out[0] = '\0';
    if (p) {
        size_t n = strcspn(p, "\r\n");
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    }
    freeReplyObject(r);
}

static long long info_stat(redisContext *c, const char *field)
{
    redisReply *r = ts_cmd(c, "INFO stats");
    const char *p = strstr(r->str, field);
    cr_assert(p, "INFO stats lacks %s", field);
    long long v = strtoll(p + strlen(field) + 1, NULL, 10);
    freeReplyObject(r);
    return v;
}

/* Keys nobody reads are removed by the active cycle, in every db. */
TS_TEST(expire, active_expiry)
{
    enum { N = 500 };
    redisContext *c = ts_connect(g_server);
    long long expired_before = info_stat(c, "expired_keys");
    for (int db = 0; db < 2; db++) {
        ts_assert_ok(ts_cmd(c, "SELECT %d", db * 3));
        for (int i = 0; i < N; i++) ts_append(c, "SET vol:%d v PX 100", i);
        for (int i = 0; i < N; i++) ts_assert_ok(ts_reply(c));
        for (int i = 0; i < 10; i++) ts_assert_ok(ts_cmd(c, "SET keep:%d v", i));
    }
    /* DBSIZE counts without expiring anything itself. */
    long long deadline = ts_now_ms() + 30000;
    long long n0 = -1, n3 = -1;
    while (ts_now_ms() < deadline) {
        ts_sleep_ms(100);
        ts_assert_ok(ts_cmd(c, "SELECT 0"));
        n0 = su_int(ts_cmd(c, "DBSIZE"));
        ts_assert_ok(ts_cmd(c, "SELECT 3"));
        n3 = su_int(ts_cmd(c, "DBSIZE"));
        if (n0 == 10 && n3 == 10) break;
    }
    cr_assert(n0 == 10 && n3 == 10, "after 30 s: db0 %lld keys, db3 %lld keys, want 10 each", n0, n3);
    long long expired = info_stat(c, "expired_keys") - expired_before;
    cr_assert(expired >= 2 * N, "expired_keys grew by %lld", expired);
    char line[256];
    keyspace_line(c, 3, line, sizeof line);
    cr_assert_str_eq(line, "db3:keys=10,expires=0,avg_ttl=0");
    redisFree(c);
}

TS_TEST(expire, info_keyspace)
{
    redisContext *c = ts_connect(g_server);
    char line[256];
    keyspace_line(c, 0, line, sizeof line);
    cr_assert_str_eq(line, "");
    for (int i = 0; i < 10; i++) ts_assert_ok(ts_cmd(c, "SET key:%d v", i));
    for (int i = 0; i < 4; i++) ts_assert_int(ts_cmd(c, "EXPIRE key:%d 1000", i), 1);
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "SET x v"));
    keyspace_line(c, 1, line, sizeof line);
    cr_assert_str_eq(line, "db1:keys=1,expires=0,avg_ttl=0");
    /* avg_ttl is the active cycle's running estimate: wait for a sample. */
    long long deadline = ts_now_ms() + 20000, avg = 0;
    unsigned long long keys = 0, expires = 0;
    while (ts_now_ms() < deadline) {
        keyspace_line(c, 0, line, sizeof line);
        cr_assert(sscanf(line, "db0:keys=%llu,expires=%llu,avg_ttl=%lld", &keys, &expires, &avg) == 3, "%s", line);
        cr_assert(keys == 10 && expires == 4, "%s", line);
        if (avg > 0) break;
        ts_sleep_ms(100);
    }
    cr_assert(avg > 0 && avg <= 1000000, "avg_ttl %lld", avg);
    /* Counts follow PERSIST and DEL. */
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_int(ts_cmd(c, "PERSIST key:0"), 1);
    ts_assert_int(ts_cmd(c, "DEL key:1 key:9"), 2);
    keyspace_line(c, 0, line, sizeof line);
    cr_assert(strncmp(line, "db0:keys=8,expires=2,", 21) == 0, "%s", line);
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    keyspace_line(c, 0, line, sizeof line);
    cr_assert_str_eq(line, "");
    redisFree(c);
}

/* EXPIRE key 0 deletes the key at once, also in a script that has run for
 * a while: its base time and the check that the time has passed read the
 * same clock (stats::script_commands_count_as_calls failed on a slow TSan
 * server, where EXPIRE 0 left the key until the script ended). */
TS_TEST(expire, zero_ttl_deletes_at_once_inside_a_long_script)
{
    redisContext *c = ts_connect(g_server);
    const char *argv[] = {
        "EVAL",
        "redis.call('SET', KEYS[1], 'v') "
        "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
        "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= 30000 "
        "redis.call('EXPIRE', KEYS[1], 0) "
        "return redis.call('EXISTS', KEYS[1])",
        "1", "k"};
    ts_assert_int(ts_cmd_argv(c, 4, argv, NULL), 0);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    redisFree(c);
}
