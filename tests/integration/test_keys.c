/* test_keys.c — generic key commands over TCP, as Redis 7.0 behaves:
 * RENAME/RENAMENX, COPY (DB, REPLACE), MOVE, SWAPDB, SCAN (MATCH, COUNT,
 * TYPE, and its guarantee while the keyspace grows), RANDOMKEY, KEYS
 * (glob quirks), OBJECT, TYPE, EXISTS, TOUCH. Two-key commands are run
 * with plain keys (different slots, so different shards at --shards 4)
 * and with {hash} tags. Every expectation holds on redis-server 7.0 too
 * (suite 'redis'). */
#include "harness.h"
#include "strings_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(keys, .timeout = 90);

#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define SAMEOBJ "ERR source and destination objects are the same"
#define DB_RANGE "ERR DB index is out of range"

static void rename_with(redisContext *c, const char *a, const char *b)
{
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET %s hello EX 100", a));
    ts_assert_ok(ts_cmd(c, "RENAME %s %s", a, b));
    ts_assert_int(ts_cmd(c, "EXISTS %s", a), 0);
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "hello");
    su_assert_ttl(c, b, 100, t0); /* the TTL moves along */
    /* Over an existing key: its value and TTL are replaced. */
    ts_assert_ok(ts_cmd(c, "SET %s other", a));
    ts_assert_ok(ts_cmd(c, "RENAME %s %s", a, b));
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "other");
    ts_assert_int(ts_cmd(c, "TTL %s", b), -1);
    /* The value keeps its encoding. */
    ts_assert_ok(ts_cmd(c, "SET %s 12345", a));
    ts_assert_ok(ts_cmd(c, "RENAME %s %s", a, b));
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", b), "int");
    ts_assert_int(ts_cmd(c, "APPEND %s x", b), 6);
    ts_assert_ok(ts_cmd(c, "RENAME %s %s", b, a));
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", a), "raw");
    ts_assert_bulk(ts_cmd(c, "GET %s", a), "12345x");
    /* RENAMENX. */
    ts_assert_ok(ts_cmd(c, "SET %s taken", b));
    ts_assert_int(ts_cmd(c, "RENAMENX %s %s", a, b), 0);
    ts_assert_bulk(ts_cmd(c, "GET %s", a), "12345x");
    ts_assert_int(ts_cmd(c, "DEL %s", b), 1);
    ts_assert_int(ts_cmd(c, "RENAMENX %s %s", a, b), 1);
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "12345x");
    ts_assert_int(ts_cmd(c, "EXISTS %s", a), 0);
    /* A collection moves whole. */
    if (su_make_set(c, a, "m1") && su_make_set(c, a, "m2")) {
        ts_assert_ok(ts_cmd(c, "RENAME %s %s", a, b));
        ts_assert_int(ts_cmd(c, "SCARD %s", b), 2);
        ts_assert_status(ts_cmd(c, "TYPE %s", b), "set");
    }
    ts_assert_int(ts_cmd(c, "DEL %s %s", a, b), 1);
}

TS_TEST(keys, rename)
{
    redisContext *c = ts_connect(g_server);
    rename_with(c, "src", "dst");
    rename_with(c, "{r}src", "{r}dst");
    ts_assert_error(ts_cmd(c, "RENAME missing dst"), "ERR no such key");
    ts_assert_error(ts_cmd(c, "RENAMENX missing dst"), "ERR no such key");
    ts_assert_error(ts_cmd(c, "RENAME missing missing"), "ERR no such key");
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET same v EX 100"));
    ts_assert_ok(ts_cmd(c, "RENAME same same"));
    ts_assert_int(ts_cmd(c, "RENAMENX same same"), 0);
    su_assert_ttl(c, "same", 100, t0);
    /* An expired source is missing. */
    ts_assert_ok(ts_cmd(c, "SET gone v PX 1"));
    ts_sleep_ms(20);
    ts_assert_error(ts_cmd(c, "RENAME gone dst"), "ERR no such key");
    ts_assert_error(ts_cmd(c, "RENAME a"), "ERR wrong number of arguments for 'rename' command");
    redisFree(c);
}

static void copy_with(redisContext *c, const char *a, const char *b)
{
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET %s %s EX 100", a, "a value longer than forty-four bytes, so raw!"));
    ts_assert_int(ts_cmd(c, "COPY %s %s", a, b), 1);
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "a value longer than forty-four bytes, so raw!");
    su_assert_ttl(c, b, 100, t0);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", b), "raw");
    /* The copy is independent of its source. */
    ts_assert_int(ts_cmd(c, "APPEND %s !", b), 46);
    ts_assert_int(ts_cmd(c, "STRLEN %s", a), 45);
    /* An existing destination needs REPLACE. */
    ts_assert_ok(ts_cmd(c, "SET %s 7", a));
    ts_assert_int(ts_cmd(c, "COPY %s %s", a, b), 0);
    ts_assert_int(ts_cmd(c, "STRLEN %s", b), 46);
    ts_assert_int(ts_cmd(c, "COPY %s %s REPLACE", a, b), 1);
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "7");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", b), "int");
    ts_assert_int(ts_cmd(c, "TTL %s", b), -1);
    /* Into another database: by name in the same or another slot. */
    ts_assert_int(ts_cmd(c, "COPY %s %s DB 3", a, b), 1);
    ts_assert_int(ts_cmd(c, "COPY %s %s DB 3", a, b), 0);
    ts_assert_ok(ts_cmd(c, "SET %s changed", a));
    ts_assert_int(ts_cmd(c, "COPY %s %s db 3 replace", a, b), 1);
    ts_assert_int(ts_cmd(c, "COPY %s %s DB 3", a, a), 1); /* same name, other db: fine */
    ts_assert_ok(ts_cmd(c, "SELECT 3"));
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "changed");
    ts_assert_bulk(ts_cmd(c, "GET %s", a), "changed");
    ts_assert_int(ts_cmd(c, "DEL %s %s", a, b), 2);
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_bulk(ts_cmd(c, "GET %s", b), "7");
    if (su_make_set(c, a, "m")) {
        ts_assert_int(ts_cmd(c, "COPY %s %s REPLACE", a, b), 1);
        ts_assert_int(ts_cmd(c, "SADD %s m2", b), 1);
        ts_assert_int(ts_cmd(c, "SCARD %s", a), 1);
        ts_assert_int(ts_cmd(c, "SCARD %s", b), 2);
    }
    ts_assert_int(ts_cmd(c, "DEL %s %s", a, b), 2);
}

TS_TEST(keys, copy)
{
    redisContext *c = ts_connect(g_server);
    copy_with(c, "src", "dst");
    copy_with(c, "{c}src", "{c}dst");
    ts_assert_int(ts_cmd(c, "COPY missing dst"), 0);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "COPY k k"), SAMEOBJ);
    ts_assert_error(ts_cmd(c, "COPY k k DB 0"), SAMEOBJ);
    ts_assert_error(ts_cmd(c, "COPY missing missing"), SAMEOBJ);
    ts_assert_error(ts_cmd(c, "COPY k d DB 16"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "COPY k d DB -1"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "COPY k d DB abc"), NOT_INT);
    ts_assert_error(ts_cmd(c, "COPY k d DB 4294967296"),
                    "ERR value is out of range, value must between -2147483648 and 2147483647");
    ts_assert_error(ts_cmd(c, "COPY k d DB"), SYNTAX);
    ts_assert_error(ts_cmd(c, "COPY k d FOO"), SYNTAX);
    ts_assert_error(ts_cmd(c, "COPY k"), "ERR wrong number of arguments for 'copy' command");
    ts_assert_int(ts_cmd(c, "EXISTS d"), 0);
    redisFree(c);
}

TS_TEST(keys, move)
{
    redisContext *c = ts_connect(g_server);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET k v PX 100000"));
    ts_assert_int(ts_cmd(c, "MOVE k 1"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_int(ts_cmd(c, "MOVE k 1"), 0);
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    su_assert_ttl(c, "k", 100, t0); /* the TTL moves along */
    /* An existing key in the target stays; the source is kept. */
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_ok(ts_cmd(c, "SET k other"));
    ts_assert_int(ts_cmd(c, "MOVE k 1"), 0);
    ts_assert_bulk(ts_cmd(c, "GET k"), "other");
    ts_assert_int(ts_cmd(c, "MOVE k 15"), 1);
    ts_assert_error(ts_cmd(c, "MOVE k 0"), SAMEOBJ);
    ts_assert_error(ts_cmd(c, "MOVE k 16"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "MOVE k -1"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "MOVE k x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "MOVE k -2147483649"),
                    "ERR value is out of range, value must between -2147483648 and 2147483647");
    ts_assert_error(ts_cmd(c, "MOVE missing 0"), SAMEOBJ); /* checked before the key */
    ts_assert_int(ts_cmd(c, "MOVE missing 2"), 0);
    redisFree(c);
}

TS_TEST(keys, swapdb)
{
    redisContext *c = ts_connect(g_server), *other = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 {t}c 3"));
    long long t0 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "EXPIRE a 100"), 1);
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "SET only1 x"));
    ts_assert_ok(ts_cmd(other, "SELECT 1"));
    ts_assert_ok(ts_cmd(c, "SWAPDB 0 1"));
    /* Every connection sees the swapped contents of its selected db. */
    ts_assert_array(ts_cmd(other, "MGET a b {t}c only1"), "1", "2", "3", NULL);
    su_assert_ttl(other, "a", 100, t0);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 3);
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_array(ts_cmd(c, "MGET a only1"), NULL, "x");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1);
    ts_assert_ok(ts_cmd(c, "SWAPDB 1 1"));
    ts_assert_ok(ts_cmd(c, "swapdb 0 1"));
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    ts_assert_error(ts_cmd(c, "SWAPDB 0 16"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "SWAPDB -1 0"), DB_RANGE);
    ts_assert_error(ts_cmd(c, "SWAPDB x 0"), "ERR invalid first DB index");
    ts_assert_error(ts_cmd(c, "SWAPDB 0 x"), "ERR invalid second DB index");
    ts_assert_error(ts_cmd(c, "SWAPDB 4294967296 0"), "ERR invalid first DB index");
    ts_assert_error(ts_cmd(c, "SWAPDB 0"), "ERR wrong number of arguments for 'swapdb' command");
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    redisFree(c);
    redisFree(other);
}

/* A full SCAN from cursor 0: every key returned, counted in seen[]. */
struct scan_result {
    int calls;
    bool bad_key;
};

static struct scan_result scan_all(redisContext *c, const char *opts, int nkeys, int *seen,
                                   void (*between)(redisContext *, int), redisContext *side)
{
    struct scan_result res = {0, false};
    char cursor[32] = "0";
    do {
        const char *argv[16] = {"SCAN", cursor};
        char buf[128];
        int argc = 2;
        snprintf(buf, sizeof buf, "%s", opts);
        for (char *tok = strtok(buf, " "); tok && argc < 16; tok = strtok(NULL, " ")) argv[argc++] = tok;
        redisReply *r = ts_cmd_argv(c, argc, argv, NULL);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "SCAN reply shape");
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *k = r->element[1]->element[i]->str;
            int n;
            if (sscanf(k, "key:%d", &n) == 1 && n >= 0 && n < nkeys) seen[n]++;
            else if (strncmp(k, "new:", 4) != 0) res.bad_key = true;
        }
        freeReplyObject(r);
        if (between) between(side, res.calls);
        res.calls++;
        cr_assert(res.calls < 100000, "SCAN does not end");
    } while (strcmp(cursor, "0") != 0);
    return res;
}

static void fill(redisContext *c, const char *fmt, int from, int to)
{
    for (int i = from; i < to; i++) ts_append(c, fmt, i);
    for (int i = from; i < to; i++) ts_assert_ok(ts_reply(c));
}

TS_TEST(keys, scan_returns_every_key)
{
    enum { N = 1000 };
    redisContext *c = ts_connect(g_server);
    fill(c, "SET key:%d v", 0, N);
    static int seen[N];
    memset(seen, 0, sizeof seen);
    struct scan_result r = scan_all(c, "COUNT 10", N, seen, NULL, NULL);
    for (int i = 0; i < N; i++) cr_assert(seen[i] >= 1, "key:%d never returned", i);
    cr_assert(!r.bad_key);
    cr_assert(r.calls >= N / 30, "only %d calls for %d keys with COUNT 10", r.calls, N);
    /* MATCH filters, COUNT is a hint. */
    memset(seen, 0, sizeof seen);
    scan_all(c, "MATCH key:1?? COUNT 1000", N, seen, NULL, NULL);
    for (int i = 0; i < N; i++) cr_assert_eq(seen[i] > 0, i >= 100 && i < 200, "key:%d with MATCH key:1??", i);
    /* TYPE filters by type name, case-insensitively; unknown names match nothing. */
    memset(seen, 0, sizeof seen);
    scan_all(c, "TYPE STRING COUNT 100", N, seen, NULL, NULL);
    for (int i = 0; i < N; i++) cr_assert(seen[i] >= 1);
    memset(seen, 0, sizeof seen);
    scan_all(c, "TYPE hash", N, seen, NULL, NULL);
    scan_all(c, "TYPE bogus MATCH * COUNT 50", N, seen, NULL, NULL);
    for (int i = 0; i < N; i++) cr_assert_eq(seen[i], 0);
    redisFree(c);
}

static void grow(redisContext *side, int call)
{
    char fmt[32];
    snprintf(fmt, sizeof fmt, "SET new:%d:%%d v", call);
    fill(side, fmt, 0, 40);
}

/* Keys present for the whole scan are returned even while the tables
 * grow (and rehash) under it. */
TS_TEST(keys, scan_guarantee_while_growing)
{
    enum { N = 200 };
    redisContext *c = ts_connect(g_server), *side = ts_connect(g_server);
    fill(c, "SET key:%d v", 0, N);
    static int seen[N];
    memset(seen, 0, sizeof seen);
    scan_all(c, "COUNT 5", N, seen, grow, side);
    for (int i = 0; i < N; i++) cr_assert(seen[i] >= 1, "key:%d missed while the keyspace grew", i);
    redisFree(c);
    redisFree(side);
}

static void shrink(redisContext *side, int call)
{
    if (call < 19) {
        for (int i = 0; i < 100; i++) ts_append(side, "DEL key:%d", 100 + call * 100 + i);
        for (int i = 0; i < 100; i++) freeReplyObject(ts_reply(side));
    } else if (call == 19) {
        ts_sleep_ms(300); /* time for the tables to shrink (a timer's work) */
    }
}

/* ...and while they shrink: 2000 keys, all but 100 deleted mid-scan. */
TS_TEST(keys, scan_guarantee_while_shrinking)
{
    enum { N = 2000 };
    redisContext *c = ts_connect(g_server), *side = ts_connect(g_server);
    fill(c, "SET key:%d v", 0, N);
    static int seen[N];
    memset(seen, 0, sizeof seen);
    scan_all(c, "COUNT 10", N, seen, shrink, side);
    for (int i = 0; i < 100; i++) cr_assert(seen[i] >= 1, "key:%d missed while the keyspace shrank", i);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 100);
    redisFree(c);
    redisFree(side);
}

TS_TEST(keys, scan_errors_and_expired)
{
    redisContext *c = ts_connect(g_server);
    struct {
        const char *cmd, *err;
    } errs[] = {
        {"SCAN abc", "ERR invalid cursor"}, {"SCAN 18446744073709551616", "ERR invalid cursor"},
        {"SCAN 0x10", "ERR invalid cursor"}, {"SCAN 1.5", "ERR invalid cursor"},
        {"SCAN 0 COUNT 0", SYNTAX}, {"SCAN 0 COUNT -1", SYNTAX}, {"SCAN 0 COUNT abc", NOT_INT},
        {"SCAN 0 MATCH", SYNTAX}, {"SCAN 0 FOO bar", SYNTAX}, {"SCAN 0 TYPE", SYNTAX},
        {"SCAN abc COUNT 0", "ERR invalid cursor"},
        {"SCAN", "ERR wrong number of arguments for 'scan' command"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) ts_assert_error(ts_cmd(c, errs[i].cmd), errs[i].err);
    /* Odd but valid cursors, as strtoul reads them. */
    const char *odd[] = {"-1", "18446744073709551615", "+0", "00"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        redisReply *r = ts_cmd(c, "SCAN %s", odd[i]);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "SCAN %s", odd[i]);
        freeReplyObject(r);
    }
    /* Expired keys are never returned. */
    fill(c, "SET key:%d v PX 1", 0, 50);
    ts_assert_ok(ts_cmd(c, "SET key:50 v"));
    ts_sleep_ms(30);
    int seen[51] = {0};
    scan_all(c, "COUNT 7", 51, seen, NULL, NULL);
    for (int i = 0; i < 50; i++) cr_assert_eq(seen[i], 0, "expired key:%d returned", i);
    cr_assert(seen[50] >= 1);
    /* Each database is scanned on its own. */
    ts_assert_ok(ts_cmd(c, "SELECT 2"));
    memset(seen, 0, sizeof seen);
    scan_all(c, "", 51, seen, NULL, NULL);
    cr_assert_eq(seen[50], 0);
    redisFree(c);
}

TS_TEST(keys, randomkey)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_nil(ts_cmd(c, "RANDOMKEY"));
    ts_assert_ok(ts_cmd(c, "SET only v"));
    ts_assert_bulk(ts_cmd(c, "RANDOMKEY"), "only");
    ts_assert_int(ts_cmd(c, "DEL only"), 1);
    enum { N = 20 };
    fill(c, "SET key:%d v", 0, N);
    int seen[N] = {0};
    for (int i = 0; i < 400; i++) {
        redisReply *r = ts_cmd(c, "RANDOMKEY");
        int n = -1;
        cr_assert(r->type == REDIS_REPLY_STRING && sscanf(r->str, "key:%d", &n) == 1 && n >= 0 && n < N);
        seen[n]++;
        freeReplyObject(r);
    }
    for (int i = 0; i < N; i++) cr_assert(seen[i] > 0, "key:%d never picked in 400 tries", i);
    /* Expired keys are never picked. */
    ts_assert_ok(ts_cmd(c, "FLUSHDB"));
    fill(c, "SET gone:%d v PX 1", 0, 30);
    ts_assert_ok(ts_cmd(c, "SET stay v"));
    ts_sleep_ms(30);
    for (int i = 0; i < 30; i++) ts_assert_bulk(ts_cmd(c, "RANDOMKEY"), "stay");
    ts_assert_error(ts_cmd(c, "RANDOMKEY x"), "ERR wrong number of arguments for 'randomkey' command");
    redisFree(c);
}

/* KEYS with Redis's glob rules; the reply order is unspecified. */
static void assert_keys(redisContext *c, const char *pattern, const char *const *want, size_t n)
{
    redisReply *r = ts_cmd(c, "KEYS %s", pattern);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, n, "KEYS %s: %zu keys, want %zu", pattern, r->elements, n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < r->elements && !found; j++)
            found = r->element[j]->len == strlen(want[i]) && memcmp(r->element[j]->str, want[i], r->element[j]->len) == 0;
        cr_assert(found, "KEYS %s lacks '%s'", pattern, want[i]);
    }
    freeReplyObject(r);
}

#define KEYS_ARE(c, pat, ...) \
    assert_keys(c, pat, (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define KEYS_NONE(c, pat) assert_keys(c, pat, NULL, 0)

TS_TEST(keys, keys_glob)
{
    redisContext *c = ts_connect(g_server);
    const char *names[] = {"hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "a?b", "[x]", "back\\slash", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) ts_assert_ok(ts_cmd(c, "SET %s v", names[i]));
    KEYS_ARE(c, "h?llo", "hello", "hallo", "hxllo");
    KEYS_ARE(c, "h*llo", "hello", "hallo", "hxllo", "hllo", "heeeello");
    KEYS_ARE(c, "h[ae]llo", "hello", "hallo");
    KEYS_ARE(c, "h[^e]llo", "hallo", "hxllo");
    KEYS_ARE(c, "h[a-b]llo", "hallo");
    KEYS_ARE(c, "h[b-a]llo", "hallo"); /* reversed ranges work */
    KEYS_ARE(c, "a\\*b", "a*b");
    KEYS_ARE(c, "a\\?b", "a?b");
    KEYS_ARE(c, "a?b", "a*b", "a?b");
    KEYS_ARE(c, "\\[x\\]", "[x]");
    KEYS_ARE(c, "[[]x]", "[x]");
    KEYS_ARE(c, "back\\\\slash", "back\\slash");
    KEYS_NONE(c, "nomatch*");
    /* "*" lists every key, the empty one too; other patterns never match "". */
    redisReply *r = ts_cmd(c, "KEYS *");
    cr_assert_eq(r->elements, sizeof names / sizeof names[0]);
    freeReplyObject(r);
    r = ts_cmd(c, "KEYS **");
    cr_assert_eq(r->elements, sizeof names / sizeof names[0] - 1);
    freeReplyObject(r);
    KEYS_ARE(c, "", "");
    /* Expired keys are not listed; other databases are not either. */
    ts_assert_ok(ts_cmd(c, "SET hzllo v PX 1"));
    ts_sleep_ms(20);
    KEYS_ARE(c, "h?llo", "hello", "hallo", "hxllo");
    ts_assert_ok(ts_cmd(c, "SELECT 5"));
    KEYS_NONE(c, "*");
    redisFree(c);
}

/* OBJECT IDLETIME of a key last touched after t0: whole seconds of a clock
 * that ticks once a second (Redis's LRU clock), so anything from 0 to the
 * seconds since t0 plus one for a tick in between. A loaded machine may
 * take over a second for a few commands, or cross a tick in one. */
static long long idle_since(redisContext *c, const char *key, long long t0)
{
    long long idle = su_int(ts_cmd(c, "OBJECT IDLETIME %s", key));
    long long elapsed = ts_now_ms() - t0;
    cr_assert(idle >= 0 && idle <= elapsed / 1000 + 1, "OBJECT IDLETIME %s: %lld, %lld ms after it was touched", key,
              idle, elapsed);
    return idle;
}

TS_TEST(keys, object)
{
    redisContext *c = ts_connect(g_server);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "MSET small 5 big 10000 neg -1 str abc"));
    ts_assert_int(ts_cmd(c, "OBJECT REFCOUNT small"), INT_MAX); /* a shared integer */
    ts_assert_int(ts_cmd(c, "OBJECT REFCOUNT big"), 1);
    ts_assert_int(ts_cmd(c, "OBJECT REFCOUNT neg"), 1);
    ts_assert_int(ts_cmd(c, "OBJECT REFCOUNT str"), 1);
    ts_assert_nil(ts_cmd(c, "OBJECT REFCOUNT missing"));
    ts_assert_nil(ts_cmd(c, "OBJECT IDLETIME missing"));
    ts_assert_nil(ts_cmd(c, "OBJECT FREQ missing"));
    ts_assert_error(ts_cmd(c, "OBJECT FREQ str"),
                    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
                    "when switching between policies at runtime LRU and LFU data will take some time to adjust.");
    idle_since(c, "str", t0);
    ts_assert_error(ts_cmd(c, "OBJECT FOO str"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    ts_assert_error(ts_cmd(c, "OBJECT ENCODING"), "ERR wrong number of arguments for 'object|encoding' command");
    ts_assert_error(ts_cmd(c, "OBJECT ENCODING a b"), "ERR wrong number of arguments for 'object|encoding' command");
    ts_assert_error(ts_cmd(c, "OBJECT"), "ERR wrong number of arguments for 'object' command");
    redisReply *r = ts_cmd(c, "OBJECT HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 15);
    cr_assert_str_eq(r->element[0]->str, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    cr_assert_str_eq(r->element[14]->str, "    Prints this help.");
    freeReplyObject(r);
    redisFree(c);
}

/* Reads that Redis makes without touching the LRU clock (TYPE, EXISTS,
 * TTL, OBJECT) leave the idle time; GET and TOUCH reset it. */
TS_TEST(keys, idletime)
{
    redisContext *c = ts_connect(g_server);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 c 3"));
    /* 2.5 s: at least two ticks of a once-a-second clock, even one that
     * lags (Redis updates its LRU clock from a 100 ms timer). */
    ts_sleep_ms(2500);
    ts_assert_status(ts_cmd(c, "TYPE a"), "string");
    ts_assert_int(ts_cmd(c, "EXISTS a"), 1);
    ts_assert_int(ts_cmd(c, "TTL a"), -1);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING a"), "int");
    long long idle = idle_since(c, "a", t0);
    cr_assert(idle >= 2, "idle %lld after 2.5 s", idle);
    /* A reset reads 0, or 1 when the clock ticks in between: never the 2+
     * an untouched key shows. */
    long long t1 = ts_now_ms();
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    idle_since(c, "a", t1);
    t1 = ts_now_ms();
    ts_assert_int(ts_cmd(c, "TOUCH b c missing b"), 3);
    idle_since(c, "b", t1);
    idle_since(c, "c", t1);
    redisFree(c);
}

TS_TEST(keys, type_exists_touch_del)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET s1 v s2 v {t}s3 v"));
    ts_assert_status(ts_cmd(c, "TYPE s1"), "string");
    ts_assert_status(ts_cmd(c, "TYPE missing"), "none");
    if (su_make_set(c, "set", "m")) ts_assert_status(ts_cmd(c, "TYPE set"), "set");
    ts_assert_int(ts_cmd(c, "EXISTS s1 s2 {t}s3 missing s1"), 4);
    ts_assert_int(ts_cmd(c, "TOUCH s1 s2 {t}s3 missing"), 3);
    ts_assert_ok(ts_cmd(c, "SET gone v PX 1"));
    ts_sleep_ms(20);
    ts_assert_status(ts_cmd(c, "TYPE gone"), "none");
    ts_assert_int(ts_cmd(c, "EXISTS gone"), 0);
    ts_assert_int(ts_cmd(c, "DEL gone"), 0);
    ts_assert_int(ts_cmd(c, "UNLINK s1 missing s2"), 2);
    ts_assert_int(ts_cmd(c, "DEL s1 {t}s3 {t}s3"), 1);
    ts_assert_error(ts_cmd(c, "EXISTS"), "ERR wrong number of arguments for 'exists' command");
    ts_assert_error(ts_cmd(c, "TYPE a b"), "ERR wrong number of arguments for 'type' command");
    redisFree(c);
}
