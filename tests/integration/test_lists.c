/* test_lists.c — integration tests of the list commands over TCP: replies,
 * errors and their order, small lists and big ones (many nodes, big
 * values) and the way between them, keys deleted when emptied, and LMOVE /
 * RPOPLPUSH / LMPOP between keys on one slot ({t}) and on different slots
 * (so, at --shards 4, different shards). Every expectation holds on
 * redis-server 7.0 too (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/util.h"

TestSuite(lists, .timeout = 120);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"

/* An array of integers. */
static void assert_ints(redisReply *r, size_t n, ...)
{
    char desc[512];
    ts_reply_describe(r, desc, sizeof desc);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n, "want %zu ints, got %s", n, desc);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        long long want = va_arg(ap, long long);
        cr_assert(r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == want,
                  "element %zu: want %lld, got %s", i, want, desc);
    }
    va_end(ap);
    freeReplyObject(r);
}
#define INTS(r, ...) assert_ints((r), sizeof((long long[]){__VA_ARGS__}) / sizeof(long long), __VA_ARGS__)

/* An LMPOP reply: [key, [values...]]. */
static void assert_mpop(redisReply *r, const char *key, size_t n, const char *const *vals)
{
    char desc[512];
    ts_reply_describe(r, desc, sizeof desc);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "want [%s, [...]], got %s", key, desc);
    redisReply *k = r->element[0], *v = r->element[1];
    cr_assert(k->type == REDIS_REPLY_STRING && strcmp(k->str, key) == 0, "key: got %s", desc);
    cr_assert(v->type == REDIS_REPLY_ARRAY && v->elements == n, "values: got %s", desc);
    for (size_t i = 0; i < n; i++)
        cr_assert(v->element[i]->type == REDIS_REPLY_STRING && strcmp(v->element[i]->str, vals[i]) == 0,
                  "value %zu: want %s, got %s", i, vals[i], desc);
    freeReplyObject(r);
}
#define MPOP(r, key, ...)                                                                  \
    assert_mpop((r), (key), sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *), \
                (const char *[]){__VA_ARGS__})

/* OBJECT comes with the generic key commands; until it is there the
 * encoding checks are skipped. Redis 7.0 calls every list "quicklist". */
static void assert_encoding(redisContext *c, const char *key, const char *enc)
{
    redisReply *r = ts_cmd(c, "OBJECT ENCODING %s", key);
    bool missing = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command", 19) == 0;
    if (missing) {
        freeReplyObject(r);
        return;
    }
    ts_assert_bulk(r, enc);
}

/* RPUSH key v0..v(n-1), each value `size` bytes ("v<i>" padded with x). */
static void push_n(redisContext *c, const char *key, int n, size_t size)
{
    char *val = malloc(size + 32);
    for (int i = 0; i < n; i++) {
        int len = snprintf(val, size + 32, "v%d", i);
        while ((size_t)len < size) val[len++] = 'x';
        ts_append(c, "RPUSH %s %b", key, val, (size_t)len);
    }
    for (int i = 0; i < n; i++) ts_assert_int(ts_reply(c), i + 1);
    free(val);
}

TS_TEST(lists, push_pop_len)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "LPUSH l a b c"), 3);
    ts_assert_int(ts_cmd(c, "RPUSH l d e"), 5);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "c", "b", "a", "d", "e");
    ts_assert_int(ts_cmd(c, "LLEN l"), 5);
    ts_assert_int(ts_cmd(c, "LLEN missing"), 0);
    ts_assert_status(ts_cmd(c, "TYPE l"), "list");
    assert_encoding(c, "l", "quicklist");

    ts_assert_bulk(ts_cmd(c, "LPOP l"), "c");
    ts_assert_bulk(ts_cmd(c, "RPOP l"), "e");
    ts_assert_array(ts_cmd(c, "LPOP l 2"), "b", "a");
    ts_assert_array(ts_cmd(c, "RPOP l 0"), );
    ts_assert_array(ts_cmd(c, "RPOP l 5"), "d");
    /* The last pop deleted the key. */
    ts_assert_int(ts_cmd(c, "EXISTS l"), 0);
    ts_assert_nil(ts_cmd(c, "LPOP l"));
    ts_assert_nil(ts_cmd(c, "RPOP l 3")); /* a null array */
    ts_assert_nil(ts_cmd(c, "RPOP l 0"));

    /* Count errors come before the key lookup. */
    ts_assert_error(ts_cmd(c, "LPOP l -1"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "LPOP l x"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "LPOP l 1 2"), "ERR wrong number of arguments for 'lpop' command");
    ts_assert_error(ts_cmd(c, "RPOP l 1 2"), "ERR wrong number of arguments for 'rpop' command");
    ts_assert_error(ts_cmd(c, "LPUSH l"), "ERR wrong number of arguments for 'lpush' command");

    /* Binary values, the empty string, and strings that look numeric are
     * kept byte for byte. */
    const char *vals[] = {"", "0", "-0", "007", "12345678901234567890", "9223372036854775807",
                          "-9223372036854775808", "1.5", " 1", "\xff\xfe"};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ts_assert_int(ts_cmd(c, "RPUSH n %s", vals[i]), (long long)i + 1);
    ts_assert_int(ts_cmd(c, "RPUSH n %b", "a\0b", (size_t)3), 11);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        ts_assert_bulk(ts_cmd(c, "LINDEX n %d", (int)i), vals[i]);
    redisReply *r = ts_cmd(c, "RPOP n");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 3 && memcmp(r->str, "a\0b", 3) == 0);
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(lists, pushx_only_existing)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "LPUSHX l a"), 0);
    ts_assert_int(ts_cmd(c, "RPUSHX l a b"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS l"), 0);
    ts_assert_int(ts_cmd(c, "RPUSH l m"), 1);
    ts_assert_int(ts_cmd(c, "LPUSHX l a b"), 3);
    ts_assert_int(ts_cmd(c, "RPUSHX l y z"), 5);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "b", "a", "m", "y", "z");
    ts_assert_ok(ts_cmd(c, "SET s v"));
    ts_assert_error(ts_cmd(c, "LPUSHX s a"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "RPUSHX s a"), WRONGTYPE);
    redisFree(c);
}

TS_TEST(lists, lrange_lindex_bounds)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l a b c d"), 4);
    ts_assert_array(ts_cmd(c, "LRANGE l 1 2"), "b", "c");
    ts_assert_array(ts_cmd(c, "LRANGE l -2 -1"), "c", "d");
    ts_assert_array(ts_cmd(c, "LRANGE l -100 1"), "a", "b");
    ts_assert_array(ts_cmd(c, "LRANGE l 2 100"), "c", "d");
    ts_assert_array(ts_cmd(c, "LRANGE l 3 1"), );
    ts_assert_array(ts_cmd(c, "LRANGE l 4 10"), );
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -5"), );
    ts_assert_array(ts_cmd(c, "LRANGE missing 0 -1"), );
    ts_assert_error(ts_cmd(c, "LRANGE l a 1"), NOT_INT);
    ts_assert_error(ts_cmd(c, "LRANGE missing 0 x"), NOT_INT);

    ts_assert_bulk(ts_cmd(c, "LINDEX l 0"), "a");
    ts_assert_bulk(ts_cmd(c, "LINDEX l -1"), "d");
    ts_assert_bulk(ts_cmd(c, "LINDEX l -4"), "a");
    ts_assert_nil(ts_cmd(c, "LINDEX l 4"));
    ts_assert_nil(ts_cmd(c, "LINDEX l -5"));
    /* LINDEX looks the key up before parsing the index. */
    ts_assert_nil(ts_cmd(c, "LINDEX missing x"));
    ts_assert_error(ts_cmd(c, "LINDEX l x"), NOT_INT);
    redisFree(c);
}

TS_TEST(lists, lset_linsert)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "LSET l 0 x"), "ERR no such key");
    ts_assert_int(ts_cmd(c, "RPUSH l a b c"), 3);
    ts_assert_ok(ts_cmd(c, "LSET l 1 B"));
    ts_assert_ok(ts_cmd(c, "LSET l -1 C"));
    ts_assert_error(ts_cmd(c, "LSET l 3 x"), "ERR index out of range");
    ts_assert_error(ts_cmd(c, "LSET l -4 x"), "ERR index out of range");
    ts_assert_error(ts_cmd(c, "LSET l x x"), NOT_INT);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "B", "C");

    ts_assert_int(ts_cmd(c, "LINSERT l BEFORE B x"), 4);
    ts_assert_int(ts_cmd(c, "LINSERT l after C y"), 5);
    ts_assert_int(ts_cmd(c, "LINSERT l AFTER a z"), 6);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "z", "x", "B", "C", "y");
    ts_assert_int(ts_cmd(c, "LINSERT l BEFORE nope v"), -1);
    ts_assert_int(ts_cmd(c, "LINSERT missing BEFORE a v"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS missing"), 0);
    /* The position word is checked before the key. */
    ts_assert_error(ts_cmd(c, "LINSERT missing MIDDLE a v"), SYNTAX);
    /* Only the first match is the pivot. */
    ts_assert_int(ts_cmd(c, "RPUSH d 1 2 1"), 3);
    ts_assert_int(ts_cmd(c, "LINSERT d AFTER 1 n"), 4);
    ts_assert_array(ts_cmd(c, "LRANGE d 0 -1"), "1", "n", "2", "1");
    redisFree(c);
}

TS_TEST(lists, lrem_ltrim)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l a b a c a b a"), 7);
    ts_assert_int(ts_cmd(c, "LREM l 2 a"), 2);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "b", "c", "a", "b", "a");
    ts_assert_int(ts_cmd(c, "LREM l -1 b"), 1);
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "b", "c", "a", "a");
    ts_assert_int(ts_cmd(c, "LREM l 0 a"), 2);
    ts_assert_int(ts_cmd(c, "LREM l 0 zz"), 0);
    ts_assert_int(ts_cmd(c, "LREM l -9223372036854775808 c"), 1);
    ts_assert_int(ts_cmd(c, "LREM l 1 b"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS l"), 0);
    ts_assert_int(ts_cmd(c, "LREM l 1 b"), 0);
    ts_assert_error(ts_cmd(c, "LREM l x b"), NOT_INT);

    ts_assert_int(ts_cmd(c, "RPUSH t a b c d e"), 5);
    ts_assert_ok(ts_cmd(c, "LTRIM t 1 -2"));
    ts_assert_array(ts_cmd(c, "LRANGE t 0 -1"), "b", "c", "d");
    ts_assert_ok(ts_cmd(c, "LTRIM t -100 100"));
    ts_assert_int(ts_cmd(c, "LLEN t"), 3);
    ts_assert_ok(ts_cmd(c, "LTRIM t 1 1"));
    ts_assert_array(ts_cmd(c, "LRANGE t 0 -1"), "c");
    ts_assert_ok(ts_cmd(c, "LTRIM t 2 1"));
    ts_assert_int(ts_cmd(c, "EXISTS t"), 0);
    ts_assert_ok(ts_cmd(c, "LTRIM t 0 1"));
    ts_assert_error(ts_cmd(c, "LTRIM t 0 x"), NOT_INT);
    redisFree(c);
}

TS_TEST(lists, lpos_options)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l a b c 1 2 3 c c"), 8);
    ts_assert_int(ts_cmd(c, "LPOS l c"), 2);
    ts_assert_int(ts_cmd(c, "LPOS l 3"), 5);
    ts_assert_nil(ts_cmd(c, "LPOS l x"));
    ts_assert_int(ts_cmd(c, "LPOS l c RANK 2"), 6);
    ts_assert_int(ts_cmd(c, "LPOS l c RANK -1"), 7);
    ts_assert_int(ts_cmd(c, "LPOS l c RANK -3"), 2);
    ts_assert_nil(ts_cmd(c, "LPOS l c RANK 4"));
    INTS(ts_cmd(c, "LPOS l c COUNT 0"), 2, 6, 7);
    INTS(ts_cmd(c, "LPOS l c COUNT 2"), 2, 6);
    INTS(ts_cmd(c, "LPOS l c COUNT 2 RANK -1"), 7, 6);
    INTS(ts_cmd(c, "LPOS l c RANK 2 COUNT 5"), 6, 7);
    INTS(ts_cmd(c, "LPOS l c COUNT 0 MAXLEN 7"), 2, 6);
    INTS(ts_cmd(c, "LPOS l c COUNT 0 MAXLEN 2 RANK -1"), 7, 6);
    ts_assert_array(ts_cmd(c, "LPOS l x COUNT 1"), );
    ts_assert_nil(ts_cmd(c, "LPOS l c MAXLEN 2"));
    ts_assert_array(ts_cmd(c, "LPOS missing c COUNT 1"), );
    ts_assert_nil(ts_cmd(c, "LPOS missing c"));
    /* RANK LLONG_MIN: Redis 7.0 ends up taking every match from the tail. */
    INTS(ts_cmd(c, "LPOS l c RANK -9223372036854775808 COUNT 1"), 7, 6, 2);

    ts_assert_error(ts_cmd(c, "LPOS l c RANK 0"),
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list");
    ts_assert_error(ts_cmd(c, "LPOS l c COUNT -1"), "ERR COUNT can't be negative");
    ts_assert_error(ts_cmd(c, "LPOS l c MAXLEN -1"), "ERR MAXLEN can't be negative");
    ts_assert_error(ts_cmd(c, "LPOS l c RANK x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "LPOS l c COUNT"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LPOS l c FOO 1"), SYNTAX);
    /* Options are checked before the key. */
    ts_assert_error(ts_cmd(c, "LPOS missing c RANK 0"),
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                    "second ... or use negative to start from the end of the list");
    redisFree(c);
}

/* Every list command refuses a key of another type, and leaves it alone. */
TS_TEST(lists, wrongtype_everywhere)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET {t}s v"));
    ts_assert_int(ts_cmd(c, "RPUSH {t}l a"), 1);
    const char *cmds[] = {
        "LPUSH {t}s a", "RPUSH {t}s a", "LPUSHX {t}s a", "RPUSHX {t}s a", "LPOP {t}s",
        "RPOP {t}s 2", "LLEN {t}s", "LRANGE {t}s 0 -1", "LINDEX {t}s 0", "LSET {t}s 0 a",
        "LINSERT {t}s BEFORE a b", "LREM {t}s 0 a", "LTRIM {t}s 0 1", "LPOS {t}s a",
        "LPOS {t}s a COUNT 0", "LMOVE {t}s {t}l LEFT LEFT", "LMOVE {t}l {t}s LEFT LEFT",
        "RPOPLPUSH {t}s {t}l", "RPOPLPUSH {t}l {t}s", "LMPOP 2 {t}s {t}l LEFT",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        redisReply *r = ts_cmd(c, cmds[i]);
        cr_assert(r->type == REDIS_REPLY_ERROR && strcmp(r->str, WRONGTYPE) == 0, "%s", cmds[i]);
        freeReplyObject(r);
    }
    ts_assert_bulk(ts_cmd(c, "GET {t}s"), "v");
    ts_assert_array(ts_cmd(c, "LRANGE {t}l 0 -1"), "a");
    /* LMPOP stops at the first non-empty list: a wrong type after it is
     * not looked at. */
    MPOP(ts_cmd(c, "LMPOP 2 {t}l {t}s RIGHT"), "{t}l", "a");
    redisFree(c);
}

/* LMOVE and RPOPLPUSH in every direction, between keys of one slot and of
 * two slots (different shards when there are several). */
static void move_directions(redisContext *c, const char *src, const char *dst)
{
    ts_assert_int(ts_cmd(c, "RPUSH %s a b c", src), 3);
    ts_assert_bulk(ts_cmd(c, "LMOVE %s %s LEFT RIGHT", src, dst), "a");
    ts_assert_bulk(ts_cmd(c, "LMOVE %s %s right LEFT", src, dst), "c");
    ts_assert_bulk(ts_cmd(c, "RPOPLPUSH %s %s", src, dst), "b");
    ts_assert_int(ts_cmd(c, "EXISTS %s", src), 0);
    ts_assert_array(ts_cmd(c, "LRANGE %s 0 -1", dst), "b", "c", "a");
    ts_assert_nil(ts_cmd(c, "LMOVE %s %s LEFT LEFT", src, dst));
    ts_assert_nil(ts_cmd(c, "RPOPLPUSH %s %s", src, dst));
    ts_assert_bulk(ts_cmd(c, "LMOVE %s %s LEFT LEFT", dst, src), "b");
    ts_assert_bulk(ts_cmd(c, "LMOVE %s %s RIGHT RIGHT", dst, src), "a");
    ts_assert_array(ts_cmd(c, "LRANGE %s 0 -1", src), "b", "a");
    ts_assert_array(ts_cmd(c, "LRANGE %s 0 -1", dst), "c");
    /* A wrong type at the destination leaves the source untouched. */
    ts_assert_int(ts_cmd(c, "DEL %s", dst), 1);
    ts_assert_ok(ts_cmd(c, "SET %s str", dst));
    ts_assert_error(ts_cmd(c, "LMOVE %s %s LEFT LEFT", src, dst), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "RPOPLPUSH %s %s", src, dst), WRONGTYPE);
    ts_assert_array(ts_cmd(c, "LRANGE %s 0 -1", src), "b", "a");
    ts_assert_bulk(ts_cmd(c, "GET %s", dst), "str");
    /* A missing source answers nil whatever the destination holds. */
    ts_assert_int(ts_cmd(c, "DEL %s", src), 1);
    ts_assert_nil(ts_cmd(c, "LMOVE %s %s LEFT LEFT", src, dst));
    ts_assert_error(ts_cmd(c, "LMOVE %s %s UP LEFT", src, dst), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMOVE %s %s LEFT down", src, dst), SYNTAX);
    ts_assert_int(ts_cmd(c, "DEL %s", dst), 1);
}

TS_TEST(lists, lmove_same_slot)
{
    redisContext *c = ts_connect(g_server);
    move_directions(c, "{t}src", "{t}dst");
    redisFree(c);
}

TS_TEST(lists, lmove_across_slots)
{
    redisContext *c = ts_connect(g_server);
    cr_assert_neq(key_hash_slot("src", 3), key_hash_slot("dst", 3));
    move_directions(c, "src", "dst");
    /* Big lists cross too: values survive the copy both ways. */
    push_n(c, "src", 500, 40);
    ts_assert_bulk(ts_cmd(c, "LMOVE src dst RIGHT LEFT"), "v499xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_int(ts_cmd(c, "LLEN src"), 499);
    ts_assert_bulk(ts_cmd(c, "RPOPLPUSH src dst"), "v498xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_array(ts_cmd(c, "LRANGE dst 0 -1"), "v498xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "v499xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_bulk(ts_cmd(c, "LINDEX src 0"), "v0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_bulk(ts_cmd(c, "LINDEX src -1"), "v497xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_int(ts_cmd(c, "LLEN src"), 498);
    redisFree(c);
}

/* A list moved onto itself rotates. */
TS_TEST(lists, lmove_rotate_one_key)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l a b c"), 3);
    ts_assert_bulk(ts_cmd(c, "RPOPLPUSH l l"), "c");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "c", "a", "b");
    ts_assert_bulk(ts_cmd(c, "LMOVE l l LEFT RIGHT"), "c");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "b", "c");
    ts_assert_bulk(ts_cmd(c, "LMOVE l l LEFT LEFT"), "a");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "b", "c");
    ts_assert_int(ts_cmd(c, "RPUSH one 42"), 1);
    ts_assert_bulk(ts_cmd(c, "RPOPLPUSH one one"), "42");
    ts_assert_array(ts_cmd(c, "LRANGE one 0 -1"), "42");
    redisFree(c);
}

static void lmpop_checks(redisContext *c, const char *a, const char *b)
{
    ts_assert_nil(ts_cmd(c, "LMPOP 2 %s %s LEFT", a, b));
    ts_assert_int(ts_cmd(c, "RPUSH %s 1 2 3 4", b), 4);
    MPOP(ts_cmd(c, "LMPOP 2 %s %s LEFT", a, b), b, "1");
    MPOP(ts_cmd(c, "LMPOP 2 %s %s RIGHT COUNT 2", a, b), b, "4", "3");
    ts_assert_int(ts_cmd(c, "RPUSH %s x", a), 1);
    MPOP(ts_cmd(c, "LMPOP 2 %s %s right count 10", a, b), a, "x");
    ts_assert_int(ts_cmd(c, "EXISTS %s", a), 0);
    MPOP(ts_cmd(c, "LMPOP 2 %s %s LEFT COUNT 10", a, b), b, "2");
    ts_assert_int(ts_cmd(c, "EXISTS %s %s", a, b), 0);
    ts_assert_nil(ts_cmd(c, "LMPOP 1 %s LEFT", a));
}

TS_TEST(lists, lmpop)
{
    redisContext *c = ts_connect(g_server);
    lmpop_checks(c, "{t}a", "{t}b");
    lmpop_checks(c, "pa", "pb");
    cr_assert_neq(key_hash_slot("pa", 2), key_hash_slot("pb", 2));

    ts_assert_error(ts_cmd(c, "LMPOP 0 a LEFT"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP -1 a LEFT"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP x a LEFT"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP 2 a LEFT"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 5 a b LEFT"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 1 a MIDDLE"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT COUNT 0"), "ERR count should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT COUNT -1"), "ERR count should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT COUNT x"), "ERR count should be greater than 0");
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT COUNT 1 COUNT 1"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT COUNT"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 1 a LEFT FOO"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LMPOP 1 a"), "ERR wrong number of arguments for 'lmpop' command");
    redisFree(c);
}

/* Lists past list-max-listpack-size (many nodes, values bigger than a
 * node) behave the same, and shrink back. */
TS_TEST(lists, big_lists)
{
    redisContext *c = ts_connect(g_server);
    push_n(c, "big", 2000, 50);
    assert_encoding(c, "big", "quicklist");
    ts_assert_int(ts_cmd(c, "LLEN big"), 2000);
    ts_assert_bulk(ts_cmd(c, "LINDEX big 1234"), "v1234xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_bulk(ts_cmd(c, "LINDEX big -2000"), "v0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_array(ts_cmd(c, "LRANGE big 999 1000"), "v999xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "v1000xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    INTS(ts_cmd(c, "LPOS big v1500xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx COUNT 0"), 1500);
    ts_assert_int(ts_cmd(c, "LINSERT big AFTER v999xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx mid"), 2001);
    ts_assert_int(ts_cmd(c, "LPOS big mid"), 1000);
    ts_assert_ok(ts_cmd(c, "LSET big 1000 MID"));
    ts_assert_bulk(ts_cmd(c, "LINDEX big 1000"), "MID");
    ts_assert_int(ts_cmd(c, "LREM big 0 MID"), 1);

    /* A value bigger than any node, in the middle. */
    size_t hsz = 20000;
    char *huge = malloc(hsz);
    memset(huge, 'h', hsz);
    ts_assert_ok(ts_cmd(c, "LSET big 10 %b", huge, hsz));
    redisReply *r = ts_cmd(c, "LINDEX big 10");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == hsz && memcmp(r->str, huge, hsz) == 0);
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "LREM big 1 %b", huge, hsz), 1); /* v10 went with it */
    ts_assert_int(ts_cmd(c, "LLEN big"), 1999);

    /* Pop most of it away: what is left is intact, then gone. */
    r = ts_cmd(c, "LPOP big 1990");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1990);
    cr_assert_str_eq(r->element[9]->str, "v9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    cr_assert_str_eq(r->element[10]->str, "v11xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    cr_assert_str_eq(r->element[1989]->str, "v1990xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    freeReplyObject(r);
    ts_assert_array(ts_cmd(c, "RPOP big 3"), "v1999xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "v1998xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "v1997xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    ts_assert_int(ts_cmd(c, "LPUSH big small"), 7);
    ts_assert_bulk(ts_cmd(c, "LINDEX big 0"), "small");
    ts_assert_bulk(ts_cmd(c, "LINDEX big -1"), "v1996xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    assert_encoding(c, "big", "quicklist");
    ts_assert_ok(ts_cmd(c, "LTRIM big 1 0"));
    ts_assert_int(ts_cmd(c, "EXISTS big"), 0);

    /* One value too big for a small list, pushed into an empty one, then
     * small values around it. */
    ts_assert_int(ts_cmd(c, "RPUSH h %b", huge, hsz), 1);
    ts_assert_int(ts_cmd(c, "LPUSH h a"), 2);
    ts_assert_int(ts_cmd(c, "RPUSH h z"), 3);
    ts_assert_bulk(ts_cmd(c, "LINDEX h 0"), "a");
    ts_assert_bulk(ts_cmd(c, "LINDEX h 2"), "z");
    r = ts_cmd(c, "LMOVE h h RIGHT LEFT");
    cr_assert(r->type == REDIS_REPLY_STRING && strcmp(r->str, "z") == 0);
    freeReplyObject(r);
    r = ts_cmd(c, "LPOS h %b", huge, hsz);
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer == 2);
    freeReplyObject(r);
    free(huge);
    redisFree(c);
}

/* The value push_n gives entry i (size bytes), into buf. */
static const char *nth_value(char *buf, int i, size_t size)
{
    int len = snprintf(buf, size + 32, "v%d", i);
    while ((size_t)len < size) buf[len++] = 'x';
    buf[len] = '\0';
    return buf;
}

/* LRANGE key 0 -1 is exactly vals[0..n). */
static void assert_list(redisContext *c, const char *key, char **vals, size_t n)
{
    redisReply *r = ts_cmd(c, "LRANGE %s 0 -1", key);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n, "%s: %zu elements, want %zu", key,
              r->type == REDIS_REPLY_ARRAY ? r->elements : 0, n);
    for (size_t i = 0; i < n; i++)
        cr_assert(r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, vals[i]) == 0,
                  "%s[%zu]: %s, want %s", key, i, r->element[i]->str, vals[i]);
    freeReplyObject(r);
}

static long long memory_usage(redisContext *c, const char *key)
{
    redisReply *r = ts_cmd(c, "MEMORY USAGE %s SAMPLES 0", key);
    cr_assert(r->type == REDIS_REPLY_INTEGER, "MEMORY USAGE %s", key);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* list-compress-depth (runtime, CONFIG SET): big lists whose interior
 * nodes are compressed answer as plain ones (contents, LINDEX, LSET and
 * LINSERT in the middle, LREM, LPOS, LTRIM, LMOVE, SORT, COPY, DUMP/
 * RESTORE), take less memory than at depth 0 for compressible values, and
 * survive the depth changing under them. */
TS_TEST(lists, compressed_nodes)
{
    enum { N = 3000, SIZE = 50 };
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "CONFIG GET list-compress-depth"), "list-compress-depth", "0");
    redisReply *r = ts_cmd(c, "CONFIG SET list-compress-depth -1");
    cr_assert(r->type == REDIS_REPLY_ERROR, "depth -1 is refused");
    freeReplyObject(r);
    push_n(c, "plain", N, SIZE);
    ts_assert_ok(ts_cmd(c, "CONFIG SET list-compress-depth 1"));
    ts_assert_array(ts_cmd(c, "CONFIG GET list-compress-depth"), "list-compress-depth", "1");
    push_n(c, "d1", N, SIZE);
    ts_assert_ok(ts_cmd(c, "CONFIG SET list-compress-depth 2"));
    push_n(c, "d2", N, SIZE);
    assert_encoding(c, "d1", "quicklist");
    long long plain = memory_usage(c, "plain"), d1 = memory_usage(c, "d1"), d2 = memory_usage(c, "d2");
    cr_assert(d1 * 2 < plain && d2 * 2 < plain, "MEMORY USAGE: depth 0 %lld, 1 %lld, 2 %lld", plain, d1, d2);

    char **want = calloc(N + 1, sizeof(char *));
    char buf[SIZE + 32];
    for (int i = 0; i < N; i++) want[i] = strdup(nth_value(buf, i, SIZE));
    const char *keys[] = {"d1", "d2"};
    for (size_t k = 0; k < 2; k++) {
        const char *key = keys[k];
        assert_list(c, key, want, N);
        for (int i = 0; i < N; i += 97) ts_assert_bulk(ts_cmd(c, "LINDEX %s %d", key, i), want[i]);
        ts_assert_bulk(ts_cmd(c, "LINDEX %s -1500", key), want[1500]);
        INTS(ts_cmd(c, "LPOS %s %s COUNT 0", key, want[2222]), 2222);
    }
    /* Changes in the middle of d1 (and of the model). */
    ts_assert_ok(ts_cmd(c, "LSET d1 1500 middle"));
    free(want[1500]);
    want[1500] = strdup("middle");
    ts_assert_int(ts_cmd(c, "LINSERT d1 BEFORE %s inserted", want[1000]), N + 1);
    memmove(want + 1001, want + 1000, (N - 1000) * sizeof(char *));
    want[1000] = strdup("inserted");
    assert_list(c, "d1", want, N + 1);
    ts_assert_bulk(ts_cmd(c, "LINDEX d1 1000"), "inserted");
    ts_assert_bulk(ts_cmd(c, "LINDEX d1 1501"), "middle");
    ts_assert_int(ts_cmd(c, "LREM d1 0 inserted"), 1);
    ts_assert_int(ts_cmd(c, "LREM d1 0 middle"), 1);
    ts_assert_int(ts_cmd(c, "LLEN d1"), N - 1);
    ts_assert_bulk(ts_cmd(c, "LINDEX d1 1000"), want[1001]);
    ts_assert_bulk(ts_cmd(c, "LINDEX d1 1499"), nth_value(buf, 1499, SIZE));
    ts_assert_bulk(ts_cmd(c, "LINDEX d1 1500"), nth_value(buf, 1501, SIZE));

    for (int i = 0; i <= N; i++) free(want[i]); /* the model of d2 again */
    for (int i = 0; i < N; i++) want[i] = strdup(nth_value(buf, i, SIZE));
    want[N] = NULL;

    /* Copies: COPY (another shard with --shards 4), DUMP/RESTORE, SORT. */
    ts_assert_int(ts_cmd(c, "COPY d2 d2:copy"), 1);
    r = ts_cmd(c, "DUMP d2");
    cr_assert(r->type == REDIS_REPLY_STRING);
    ts_assert_ok(ts_cmd(c, "RESTORE d2:restored 0 %b", r->str, r->len));
    freeReplyObject(r);
    assert_list(c, "d2:copy", want, N);
    assert_list(c, "d2:restored", want, N);
    cr_assert(memory_usage(c, "d2:restored") * 2 < plain, "RESTORE compressed it again");
    r = ts_cmd(c, "SORT d2 ALPHA LIMIT 0 3");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && strcmp(r->element[0]->str, want[0]) == 0);
    freeReplyObject(r);

    /* Depth 0 again: the compressed lists keep working as they change. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET list-compress-depth 0"));
    ts_assert_bulk(ts_cmd(c, "LINDEX d2 1234"), want[1234]);
    ts_assert_ok(ts_cmd(c, "LSET d2 1234 again"));
    ts_assert_bulk(ts_cmd(c, "LINDEX d2 1234"), "again");
    ts_assert_bulk(ts_cmd(c, "LMOVE d2 d2 RIGHT LEFT"), want[N - 1]);
    ts_assert_bulk(ts_cmd(c, "LINDEX d2 0"), want[N - 1]);
    ts_assert_ok(ts_cmd(c, "LTRIM d2 1000 1999"));
    ts_assert_int(ts_cmd(c, "LLEN d2"), 1000);
    ts_assert_bulk(ts_cmd(c, "LINDEX d2 0"), want[999]);
    ts_assert_bulk(ts_cmd(c, "LINDEX d2 -1"), nth_value(buf, 1998, SIZE));
    assert_list(c, "d2:copy", want, N); /* the copies are their own */
    for (int i = 0; i <= N; i++) free(want[i]);
    free(want);
    redisFree(c);
}

/* With a count fill (list-max-listpack-size 4) lists convert after 4
 * entries; every command keeps working across the line both ways. */
TS_TEST(lists, small_fill_conversions)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG SET list-max-listpack-size 4"));
    for (int round = 0; round < 3; round++) {
        ts_assert_int(ts_cmd(c, "RPUSH l 1 2 3"), 3);
        ts_assert_int(ts_cmd(c, "RPUSH l 4 5 6 7 8 9"), 9);
        ts_assert_int(ts_cmd(c, "LINSERT l BEFORE 5 x"), 10);
        ts_assert_array(ts_cmd(c, "LRANGE l 3 5"), "4", "x", "5");
        ts_assert_int(ts_cmd(c, "LREM l 0 x"), 1);
        ts_assert_array(ts_cmd(c, "RPOP l 7"), "9", "8", "7", "6", "5", "4", "3");
        ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "1", "2");
        ts_assert_int(ts_cmd(c, "RPUSH l 3 4 5"), 5);
        ts_assert_ok(ts_cmd(c, "LTRIM l 1 -2"));
        ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "2", "3", "4");
        ts_assert_array(ts_cmd(c, "LPOP l 3"), "2", "3", "4");
        ts_assert_int(ts_cmd(c, "EXISTS l"), 0);
    }
    redisFree(c);
}

/* COPY, RENAME and MOVE of lists (small and big) to keys of other slots
 * (other shards) and databases: the copy is deep, each side changes alone. */
TS_TEST(lists, copy_rename_move)
{
    redisContext *c = ts_connect(g_server);
    push_n(c, "big", 1000, 30);
    ts_assert_int(ts_cmd(c, "RPUSH small a 1 b"), 3);
    const char *srcs[] = {"small", "big"};
    for (int i = 0; i < 2; i++) {
        const char *src = srcs[i];
        long long n = i == 0 ? 3 : 1000;
        ts_assert_int(ts_cmd(c, "COPY %s %s-copy", src, src), 1);
        ts_assert_int(ts_cmd(c, "RPUSH %s-copy tail", src), n + 1);
        ts_assert_int(ts_cmd(c, "LLEN %s", src), n);
        ts_assert_bulk(ts_cmd(c, "LPOP %s", src), i == 0 ? "a" : "v0xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ts_assert_bulk(ts_cmd(c, "LINDEX %s-copy 0", src), i == 0 ? "a" : "v0xxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        ts_assert_bulk(ts_cmd(c, "LINDEX %s-copy -1", src), "tail");
        ts_assert_ok(ts_cmd(c, "RENAME %s-copy %s-renamed", src, src));
        ts_assert_int(ts_cmd(c, "LLEN %s-renamed", src), n + 1);
        ts_assert_status(ts_cmd(c, "TYPE %s-renamed", src), "list");
        ts_assert_int(ts_cmd(c, "MOVE %s-renamed 1", src), 1);
        ts_assert_int(ts_cmd(c, "EXISTS %s-renamed", src), 0);
    }
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_array(ts_cmd(c, "LRANGE small-renamed 0 -1"), "a", "1", "b", "tail");
    ts_assert_int(ts_cmd(c, "LLEN big-renamed"), 1001);
    redisFree(c);
}

/* SORT over a list whose only elements are empty strings: "" each time
 * (an empty element once came back as "0"). */
TS_TEST(lists, sort_empty_elements)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l %s %s", "", ""), 2);
    ts_assert_array(ts_cmd(c, "SORT l ALPHA GET #"), "", "");
    ts_assert_array(ts_cmd(c, "SORT_RO l ALPHA DESC GET #"), "", "");
    ts_assert_array(ts_cmd(c, "SORT l ALPHA"), "", "");
    redisFree(c);
}
