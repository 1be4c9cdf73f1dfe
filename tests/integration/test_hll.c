/* test_hll.c — HyperLogLog over TCP, as Redis 7.0 behaves: PFADD, PFCOUNT
 * (the cached count, unions over keys on one shard and on several, keys
 * left unchanged), PFMERGE, sparse-to-dense promotion and the
 * hll-sparse-max-bytes directive, PFDEBUG, PFSELFTEST, Redis's error
 * texts for strings that are not HLLs and for corrupt ones, and values
 * exchanged with a real redis-server by GET and SET (byte for byte equal
 * when built from the same elements). Every expectation holds on
 * redis-server 7.0 too (suite 'redis'). */
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(hll, .timeout = 120);

#define NOT_HLL "WRONGTYPE Key is not a valid HyperLogLog string value."
#define CORRUPT "INVALIDOBJ Corrupted HLL object detected"
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* PFADD key with elements prefix0 .. prefix(n-1), in batches. */
static void add_range(redisContext *c, const char *key, const char *prefix, int from, int n)
{
    for (int i = from; i < from + n; i += 100) {
        const char *argv[102];
        size_t lens[102];
        char bufs[100][32];
        int argc = 0;
        argv[argc] = "PFADD";
        lens[argc++] = 5;
        argv[argc] = key;
        lens[argc++] = strlen(key);
        for (int j = i; j < i + 100 && j < from + n; j++) {
            lens[argc] = (size_t)snprintf(bufs[j - i], sizeof bufs[0], "%s%d", prefix, j);
            argv[argc] = bufs[j - i];
            argc++;
        }
        redisReply *r = ts_cmd_argv(c, argc, argv, lens);
        cr_assert(r->type == REDIS_REPLY_INTEGER, "PFADD %s", key);
        freeReplyObject(r);
    }
}

static long long count_of(redisContext *c, const char *key)
{
    redisReply *r = ts_cmd(c, "PFCOUNT %s", key);
    cr_assert(r->type == REDIS_REPLY_INTEGER, "PFCOUNT %s: type %d %s", key, r->type, r->str ? r->str : "");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* GET key: the bytes (caller frees) and their length. */
static char *value_of(redisContext *c, const char *key, size_t *len)
{
    redisReply *r = ts_cmd(c, "GET %s", key);
    cr_assert(r->type == REDIS_REPLY_STRING, "GET %s", key);
    char *v = malloc(r->len + 1);
    memcpy(v, r->str, r->len);
    *len = r->len;
    freeReplyObject(r);
    return v;
}

static void set_value(redisContext *c, const char *key, const char *v, size_t len)
{
    ts_assert_ok(ts_cmd(c, "SET %s %b", key, v, len));
}

static void assert_near(long long got, long long want, double tolerance)
{
    cr_assert(got >= want * (1 - tolerance) && got <= want * (1 + tolerance), "count %lld, want about %lld", got,
              want);
}

TS_TEST(hll, pfadd_and_pfcount)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "PFCOUNT missing"), 0);
    ts_assert_int(ts_cmd(c, "PFADD h a b c"), 1);
    ts_assert_int(ts_cmd(c, "PFADD h a b c"), 0);
    ts_assert_int(ts_cmd(c, "PFADD h c d"), 1);
    ts_assert_int(ts_cmd(c, "PFCOUNT h"), 4);
    ts_assert_status(ts_cmd(c, "TYPE h"), "string");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING h"), "raw");
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING h"), "sparse");
    /* No element: the key is created (1) once, then nothing changes. */
    ts_assert_int(ts_cmd(c, "PFADD e"), 1);
    ts_assert_int(ts_cmd(c, "PFADD e"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS e"), 1);
    ts_assert_int(ts_cmd(c, "PFCOUNT e"), 0);
    add_range(c, "big", "x", 0, 20000);
    assert_near(count_of(c, "big"), 20000, 0.03);
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING big"), "dense");
    ts_assert_int(ts_cmd(c, "STRLEN big"), 12304);
    redisFree(c);
}

TS_TEST(hll, cached_cardinality)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "PFADD h a b c"), 1);
    /* Byte 15's top bit marks the cache stale after a change. */
    ts_assert_int(ts_cmd(c, "GETBIT h 120"), 1);
    ts_assert_int(ts_cmd(c, "PFCOUNT h"), 3);
    ts_assert_int(ts_cmd(c, "GETBIT h 120"), 0);
    ts_assert_bulk(ts_cmd(c, "GETRANGE h 8 8"), "\x03");
    /* A cached count is believed: poke another number into the cache. */
    ts_assert_int(ts_cmd(c, "SETRANGE h 8 \x07"), 27);
    ts_assert_int(ts_cmd(c, "PFCOUNT h"), 7);
    ts_assert_int(ts_cmd(c, "PFADD h d"), 1);
    ts_assert_int(ts_cmd(c, "PFCOUNT h"), 4);
    redisFree(c);
}

/* PFCOUNT refreshing a stale cache changes the value: a WATCH sees it
 * (Redis signals the key though PFCOUNT is read-only); a fresh cache or
 * a union over keys changes nothing. */
TS_TEST(hll, pfcount_cache_refresh_is_a_change)
{
    redisContext *c = ts_connect(g_server), *o = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "PFADD h a b c"), 1);
    ts_assert_int(ts_cmd(c, "PFADD g x"), 1);
    ts_assert_ok(ts_cmd(c, "WATCH h"));
    ts_assert_int(ts_cmd(o, "PFCOUNT h"), 3);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "PING"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "EXEC after the cache was refreshed aborts");
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "WATCH h"));
    ts_assert_int(ts_cmd(o, "PFCOUNT h"), 3);     /* cached: no change */
    ts_assert_int(ts_cmd(o, "PFCOUNT h g"), 4);   /* a union: no change */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "PING"), "QUEUED");
    r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1, "EXEC runs");
    freeReplyObject(r);
    redisFree(o);
    redisFree(c);
}

TS_TEST(hll, not_an_hll)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET s hello"));
    ts_assert_ok(ts_cmd(c, "SET n 12345"));
    ts_assert_int(ts_cmd(c, "RPUSH l a"), 1);
    ts_assert_error(ts_cmd(c, "PFADD s a"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFADD n a"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFCOUNT s"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFADD l a"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "PFCOUNT l"), WRONGTYPE);
    ts_assert_int(ts_cmd(c, "PFADD {t}h a"), 1);
    ts_assert_ok(ts_cmd(c, "SET {t}s hello"));
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}h {t}s"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFMERGE {t}h {t}s"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFMERGE {t}s {t}h"), NOT_HLL);
    /* Broken magic, unknown encoding, dense of the wrong length. */
    ts_assert_ok(ts_cmd(c, "SET m %b", "HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18));
    ts_assert_error(ts_cmd(c, "PFCOUNT m"), NOT_HLL);
    ts_assert_ok(ts_cmd(c, "SET m %b", "HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18));
    ts_assert_error(ts_cmd(c, "PFADD m a"), NOT_HLL);
    ts_assert_ok(ts_cmd(c, "SET m %b", "HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", (size_t)18));
    ts_assert_error(ts_cmd(c, "PFCOUNT m"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFDEBUG GETREG m"), NOT_HLL);
    ts_assert_error(ts_cmd(c, "PFDEBUG GETREG nosuchkey"), "ERR The specified key does not exist");
    redisFree(c);
}

TS_TEST(hll, corrupt_sparse_detected)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "PFADD {t}h a b c"), 1);
    ts_assert_int(ts_cmd(c, "APPEND {t}h hello"), 32); /* opcodes past the 16384 registers */
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}h"), CORRUPT);
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}h {t}x"), CORRUPT);
    ts_assert_error(ts_cmd(c, "PFMERGE {t}d {t}h"), CORRUPT);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_error(ts_cmd(c, "PFDEBUG TODENSE {t}h"), CORRUPT);
    ts_assert_error(ts_cmd(c, "PFDEBUG GETREG {t}h"), CORRUPT);
    /* Runs that stop short of the last register. */
    ts_assert_ok(ts_cmd(c, "SET {t}s %b", "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xf0", (size_t)18));
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}s"), CORRUPT);
    /* A lone XZERO byte at the end reads its missing byte as 0. */
    ts_assert_ok(ts_cmd(c, "SET {t}z %b", "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f", (size_t)17));
    ts_assert_bulk(ts_cmd(c, "PFDEBUG DECODE {t}z"), "Z:16129");
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}z"), CORRUPT);
    /* A header with no opcode at all (found by fuzz_hll). */
    ts_assert_ok(ts_cmd(c, "SET {t}n %b", "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", (size_t)16));
    ts_assert_bulk(ts_cmd(c, "PFDEBUG DECODE {t}n"), "");
    ts_assert_error(ts_cmd(c, "PFCOUNT {t}n"), CORRUPT);
    ts_assert_error(ts_cmd(c, "PFADD {t}n a"), CORRUPT);
    redisFree(c);
}

/* Dense registers all at 63, above any value a hash can give: Redis's
 * estimator divides by zero and answers LLONG_MIN, whose cache bit reads
 * stale (found by fuzz_hll). */
TS_TEST(hll, registers_beyond_the_hash)
{
    redisContext *c = ts_connect(g_server);
    size_t len = 16 + 12288;
    char *v = malloc(len);
    memcpy(v, "HYLL\0\0\0\0\0\0\0\0\0\0\0\x80", 16);
    memset(v + 16, 0xff, len - 16);
    set_value(c, "d", v, len);
    free(v);
    ts_assert_int(ts_cmd(c, "PFCOUNT d"), LLONG_MIN);
    ts_assert_bulk(ts_cmd(c, "GETRANGE d 15 15"), "\x80");
    ts_assert_int(ts_cmd(c, "PFCOUNT d d"), LLONG_MIN);
    ts_assert_int(ts_cmd(c, "PFADD d x"), 0);
    redisFree(c);
}

TS_TEST(hll, union_over_shards)
{
    redisContext *c = ts_connect(g_server);
    /* Keys spread over shards, and keys on one shard. */
    const char *sets[2][3] = {{"ka", "kb", "kc"}, {"{t}a", "{t}b", "{t}c"}};
    for (int s = 0; s < 2; s++) {
        add_range(c, sets[s][0], "e", 0, 1000);
        add_range(c, sets[s][1], "e", 500, 1000);
        add_range(c, sets[s][2], "e", 5000, 10000); /* dense */
        size_t before_len;
        char *before = value_of(c, sets[s][0], &before_len);
        redisReply *r = ts_cmd(c, "PFCOUNT %s %s", sets[s][0], sets[s][1]);
        cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
        assert_near(r->integer, 1500, 0.03);
        freeReplyObject(r);
        r = ts_cmd(c, "PFCOUNT %s %s %s nosuch", sets[s][0], sets[s][1], sets[s][2]);
        assert_near(r->integer, 11500, 0.03);
        long long u3 = r->integer;
        freeReplyObject(r);
        size_t after_len;
        char *after = value_of(c, sets[s][0], &after_len);
        cr_assert(before_len == after_len && memcmp(before, after, before_len) == 0, "a union leaves keys alone");
        free(before);
        free(after);
        /* PFMERGE: the destination joins the sources, dense when one is. */
        char dest[16];
        snprintf(dest, sizeof dest, s ? "{t}d" : "kd");
        ts_assert_ok(ts_cmd(c, "PFMERGE %s %s %s", dest, sets[s][0], sets[s][1]));
        assert_near(count_of(c, dest), 1500, 0.03);
        ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING %s", dest), "sparse");
        ts_assert_ok(ts_cmd(c, "PFMERGE %s %s", dest, sets[s][2]));
        ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING %s", dest), "dense");
        cr_assert_eq(count_of(c, dest), u3, "merged count equals the union's");
        /* PFMERGE with no source makes an empty destination. */
        char empty[16];
        snprintf(empty, sizeof empty, s ? "{t}e" : "ke");
        ts_assert_ok(ts_cmd(c, "PFMERGE %s", empty));
        ts_assert_int(ts_cmd(c, "PFCOUNT %s", empty), 0);
    }
    /* The same data gives the same bytes wherever the keys live. */
    size_t l1, l2;
    char *v1 = value_of(c, "kd", &l1), *v2 = value_of(c, "{t}d", &l2);
    cr_assert(l1 == l2 && memcmp(v1 + 16, v2 + 16, l1 - 16) == 0);
    free(v1);
    free(v2);
    redisFree(c);
}

TS_TEST(hll, sparse_max_bytes_directive)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CONFIG GET hll-sparse-max-bytes");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[1]->str, "3000") == 0);
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "CONFIG SET hll-sparse-max-bytes 30"));
    ts_assert_int(ts_cmd(c, "PFADD h a b c"), 1);
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING h"), "sparse");
    add_range(c, "h", "x", 0, 10);
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING h"), "dense");
    ts_assert_ok(ts_cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"));
    add_range(c, "h2", "x", 0, 200);
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING h2"), "sparse");
    ts_assert_error(ts_cmd(c, "CONFIG SET hll-sparse-max-bytes lots"),
                    "ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be a memory value");
    redisFree(c);
}

static void assert_sparse_max(const char *want)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CONFIG GET hll-sparse-max-bytes");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[1]->str, want) == 0,
              "hll-sparse-max-bytes should be %s", want);
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(hll, sparse_max_bytes_from_the_command_line_and_file)
{
    ts_fixture_stop();
    g_server = ts_start("--hll-sparse-max-bytes", "2kb", NULL);
    assert_sparse_max("2048");
    ts_fixture_stop();
    g_server = ts_start_with_config("hll-sparse-max-bytes 1k\n", NULL, NULL);
    assert_sparse_max("1000");
}

TS_TEST(hll, pfdebug)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "PFADD h foo"), 1);
    ts_assert_bulk(ts_cmd(c, "PFDEBUG DECODE h"), "Z:7348 v:5,1 Z:9035");
    ts_assert_int(ts_cmd(c, "PFADD h2 a b c"), 1);
    ts_assert_bulk(ts_cmd(c, "PFDEBUG DECODE h2"), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
    redisReply *r = ts_cmd(c, "PFDEBUG GETREG h");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 16384);
    for (size_t i = 0; i < r->elements; i++) cr_assert_eq(r->element[i]->integer, i == 7348 ? 5 : 0);
    freeReplyObject(r);
    ts_assert_status(ts_cmd(c, "PFDEBUG ENCODING h"), "dense"); /* GETREG made it dense */
    ts_assert_error(ts_cmd(c, "PFDEBUG DECODE h"), "ERR HLL encoding is not sparse");
    ts_assert_int(ts_cmd(c, "PFDEBUG TODENSE h"), 0);
    ts_assert_int(ts_cmd(c, "PFDEBUG TODENSE h2"), 1);
    ts_assert_int(ts_cmd(c, "PFCOUNT h2"), 3);
    ts_assert_error(ts_cmd(c, "PFDEBUG FOO h"), "ERR Unknown PFDEBUG subcommand 'FOO'");
    ts_assert_error(ts_cmd(c, "PFDEBUG GETREG"), "ERR wrong number of arguments for 'pfdebug' command");
    redisFree(c);
}

TS_TEST(hll, pfselftest, .timeout = 120)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "PFSELFTEST"));
    redisFree(c);
}

/* An HLL built by one server, read with GET and SET into the other,
 * counts the same there; the same elements give the same bytes. */
static void exchange(redisContext *from, redisContext *to, int n)
{
    char key[32];
    snprintf(key, sizeof key, "x%d", n);
    add_range(from, key, "element:", 0, n); /* 9 bytes and more: MurmurHash64A's block loop too */
    add_range(to, "same", "element:", 0, n);
    size_t len, len2;
    char *v = value_of(from, key, &len);
    char *v2 = value_of(to, "same", &len2);
    cr_assert(len == len2 && memcmp(v, v2, len) == 0, "%d elements: the same bytes on both servers", n);
    set_value(to, key, v, len);
    cr_assert_eq(count_of(to, key), count_of(from, key), "%d elements count the same", n);
    ts_assert_int(ts_cmd(to, "PFADD %s element:0", key), 0);
    ts_assert_int(ts_cmd(to, "DEL same"), 1);
    free(v);
    free(v2);
}

Test(hll, values_exchanged_with_redis, .fini = ts_fixture_fini)
{
    g_server = ts_start(NULL, NULL);
    struct test_server *peer = ts_start_redis(NULL, NULL);
    redisContext *c = ts_connect(g_server), *r = ts_connect(peer);
    const int sizes[] = {3, 150, 2500, 30000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        exchange(c, r, sizes[i]);
        ts_assert_ok(ts_cmd(c, "FLUSHALL"));
        ts_assert_ok(ts_cmd(r, "FLUSHALL"));
        exchange(r, c, sizes[i]);
    }
    /* A merge on one side equals a merge on the other. */
    add_range(c, "m1", "a", 0, 300);
    add_range(c, "m2", "b", 0, 5000);
    add_range(r, "m1", "a", 0, 300);
    add_range(r, "m2", "b", 0, 5000);
    ts_assert_ok(ts_cmd(c, "PFMERGE m3 m1 m2"));
    ts_assert_ok(ts_cmd(r, "PFMERGE m3 m1 m2"));
    size_t l1, l2;
    char *v1 = value_of(c, "m3", &l1), *v2 = value_of(r, "m3", &l2);
    cr_assert(l1 == l2 && memcmp(v1, v2, l1) == 0, "PFMERGE writes the same bytes");
    free(v1);
    free(v2);
    redisFree(r);
    redisFree(c);
    cr_assert_eq(ts_stop(peer), 0);
    ts_fixture_stop();
}
