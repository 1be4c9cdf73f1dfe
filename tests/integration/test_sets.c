/* test_sets.c — set commands over TCP: every command with its options and
 * errors, each encoding (intset, listpack, hashtable) and the conversions
 * between them, and multi-key commands across shards (plain keys) and on
 * one shard (hash tags). Expectations hold on redis-server 7.0 too (small
 * string sets are listpacks inside ringkv but report "hashtable", as 7.0). */
#include "coll_util.h"

TestSuite(sets, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* Fills key with the members "prefix0".."prefix<n-1>". */
static void fill(redisContext *c, const char *key, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) ts_append(c, "SADD %s %s%d", key, prefix, i);
    for (int i = 0; i < n; i++) ts_assert_int(ts_reply(c), 1);
}

TS_TEST(sets, sadd_scard_sismember_smembers)
{
    redisContext *c = ts_connect(g_server);
    /* one set per encoding: integers, short strings, many strings */
    ts_assert_int(ts_cmd(c, "SADD ints 3 1 2 1"), 3);
    ts_assert_int(ts_cmd(c, "SADD strs a b c a"), 3);
    fill(c, "big", "m", 200);
    ts_assert_int(ts_cmd(c, "SADD big m0 m1 new"), 1);
    ts_assert_int(ts_cmd(c, "SCARD ints"), 3);
    ts_assert_int(ts_cmd(c, "SCARD strs"), 3);
    ts_assert_int(ts_cmd(c, "SCARD big"), 201);
    ts_assert_int(ts_cmd(c, "SCARD nokey"), 0);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS ints"), "1 2 3");
    cu_assert_unordered(ts_cmd(c, "SMEMBERS strs"), "a b c");
    cu_assert_unordered(ts_cmd(c, "SMEMBERS nokey"), "");
    const char *keys[] = {"ints", "strs", "big"};
    const char *in[] = {"2", "b", "m199"}, *out[] = {"4", "z", "m200"};
    for (int k = 0; k < 3; k++) {
        ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], in[k]), 1);
        ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], out[k]), 0);
        redisReply *r = ts_cmd(c, "SMISMEMBER %s %s %s %s", keys[k], out[k], in[k], in[k]);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->integer == 0 &&
                  r->element[1]->integer == 1 && r->element[2]->integer == 1, "SMISMEMBER %s", keys[k]);
        freeReplyObject(r);
    }
    /* "01" and " 1" are strings, not the integer 1 */
    ts_assert_int(ts_cmd(c, "SISMEMBER ints 01"), 0);
    ts_assert_int(ts_cmd(c, "SADD ints 01"), 1);
    ts_assert_int(ts_cmd(c, "SISMEMBER ints 01"), 1);
    ts_assert_int(ts_cmd(c, "SISMEMBER ints 1"), 1);
    ts_assert_int(ts_cmd(c, "SISMEMBER nokey a"), 0);
    /* binary members */
    ts_assert_int(ts_cmd(c, "SADD bin %b %b", "a\0b", (size_t)3, "a", (size_t)1), 2);
    ts_assert_int(ts_cmd(c, "SISMEMBER bin %b", "a\0b", (size_t)3), 1);
    ts_assert_int(ts_cmd(c, "SISMEMBER bin %b", "a\0c", (size_t)3), 0);
    redisFree(c);
}

TS_TEST(sets, errors_and_wrongtype)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_error(ts_cmd(c, "SADD s"), "ERR wrong number of arguments for 'sadd' command");
    ts_assert_error(ts_cmd(c, "SREM s"), "ERR wrong number of arguments for 'srem' command");
    ts_assert_error(ts_cmd(c, "SMOVE a b"), "ERR wrong number of arguments for 'smove' command");
    ts_assert_error(ts_cmd(c, "SCARD"), "ERR wrong number of arguments for 'scard' command");
    ts_assert_error(ts_cmd(c, "SINTERCARD 1"), "ERR wrong number of arguments for 'sintercard' command");
    const char *cmds[] = {"SADD str a", "SREM str a", "SCARD str", "SISMEMBER str a", "SMISMEMBER str a",
                          "SMEMBERS str", "SPOP str", "SPOP str 2", "SRANDMEMBER str", "SRANDMEMBER str 2",
                          "SINTER str", "SUNION str", "SDIFF str", "SSCAN str 0", "SINTERCARD 1 str",
                          "SINTERSTORE d str", "SUNIONSTORE d str", "SDIFFSTORE d str"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) ts_assert_error(ts_cmd(c, cmds[i]), WRONGTYPE);
    ts_assert_bulk(ts_cmd(c, "GET str"), "x");
    ts_assert_int(ts_cmd(c, "EXISTS d"), 0);
    redisFree(c);
}

TS_TEST(sets, srem_deletes_empty_set)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD s 1 2 x"), 3);
    ts_assert_int(ts_cmd(c, "SREM s 1 nope"), 1);
    ts_assert_int(ts_cmd(c, "SREM s 2 x 2 x"), 2);
    ts_assert_int(ts_cmd(c, "EXISTS s"), 0);
    ts_assert_int(ts_cmd(c, "SREM s a"), 0);
    fill(c, "big", "m", 300);
    ts_assert_int(ts_cmd(c, "SREM big m1 m2 zz"), 2);
    ts_assert_int(ts_cmd(c, "SCARD big"), 298);
    redisFree(c);
}

TS_TEST(sets, encodings_and_conversions)
{
    redisContext *c = ts_connect(g_server);
    cu_require_object_encoding(c);
    ts_assert_int(ts_cmd(c, "SADD s 1 2 3"), 3);
    cu_assert_encoding(c, "s", "intset", "intset");
    /* a string member: "hashtable" (internally a listpack, as Redis 7.2) */
    ts_assert_int(ts_cmd(c, "SADD s a"), 1);
    cu_assert_encoding(c, "s", "hashtable", "hashtable");
    cu_assert_unordered(ts_cmd(c, "SMEMBERS s"), "1 2 3 a");
    /* intset past set-max-intset-entries */
    ts_assert_ok(ts_cmd(c, "CONFIG SET set-max-intset-entries 4"));
    ts_assert_int(ts_cmd(c, "SADD n 1 2 3 4"), 4);
    cu_assert_encoding(c, "n", "intset", "intset");
    ts_assert_int(ts_cmd(c, "SADD n 5"), 1);
    cu_assert_encoding(c, "n", "hashtable", "hashtable");
    cu_assert_unordered(ts_cmd(c, "SMEMBERS n"), "1 2 3 4 5");
    /* SADD with more members than the intset limit creates a bigger encoding */
    ts_assert_int(ts_cmd(c, "SADD m 1 2 3 4 5 6"), 6);
    cu_assert_encoding(c, "m", "hashtable", "hashtable");
    /* listpack past its value length and entry count limits */
    ts_assert_int(ts_cmd(c, "SADD l a b"), 2);
    cu_assert_encoding(c, "l", "hashtable", "hashtable");
    char longm[66];
    memset(longm, 'x', 65);
    longm[65] = '\0';
    ts_assert_int(ts_cmd(c, "SADD l %s", longm), 1);
    cu_assert_encoding(c, "l", "hashtable", "hashtable");
    ts_assert_int(ts_cmd(c, "SISMEMBER l %s", longm), 1);
    fill(c, "e", "m", 128);
    cu_assert_encoding(c, "e", "hashtable", "hashtable");
    ts_assert_int(ts_cmd(c, "SADD e m128"), 1);
    cu_assert_encoding(c, "e", "hashtable", "hashtable");
    ts_assert_int(ts_cmd(c, "SCARD e"), 129);
    /* removing never converts back */
    ts_assert_int(ts_cmd(c, "SREM e m0 m1 m2"), 3);
    cu_assert_encoding(c, "e", "hashtable", "hashtable");
    /* an intset too wide for a listpack value goes straight to hashtable */
    ts_assert_ok(ts_cmd(c, "CONFIG SET set-max-intset-entries 512"));
    if (!ts_is_redis()) ts_assert_ok(ts_cmd(c, "CONFIG SET set-max-listpack-value 5"));
    ts_assert_int(ts_cmd(c, "SADD w 1234567 1"), 2);
    ts_assert_int(ts_cmd(c, "SADD w x"), 1);
    cu_assert_encoding(c, "w", "hashtable", "hashtable");
    /* set-max-listpack-entries 0: Redis 7.0's intset/hashtable only */
    if (!ts_is_redis()) {
        ts_assert_ok(ts_cmd(c, "CONFIG SET set-max-listpack-entries 0"));
        ts_assert_int(ts_cmd(c, "SADD z a"), 1);
        cu_assert_encoding(c, "z", "hashtable", "hashtable");
    }
    redisFree(c);
}

TS_TEST(sets, smove)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD {t}src 1 2 a"), 3);
    ts_assert_int(ts_cmd(c, "SADD {t}dst 3"), 1);
    ts_assert_int(ts_cmd(c, "SMOVE {t}src {t}dst a"), 1);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}dst"), "3 a");
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}src"), "1 2");
    ts_assert_int(ts_cmd(c, "SMOVE {t}src {t}dst nope"), 0);
    /* moving into a missing key creates it; emptying the source deletes it */
    ts_assert_int(ts_cmd(c, "SMOVE {t}src {t}new 1"), 1);
    ts_assert_int(ts_cmd(c, "SMOVE {t}src {t}new 2"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS {t}src"), 0);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}new"), "1 2");
    /* already in the destination: still 1, removed from the source */
    ts_assert_int(ts_cmd(c, "SADD {t}src 3"), 1);
    ts_assert_int(ts_cmd(c, "SMOVE {t}src {t}dst 3"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS {t}src"), 0);
    ts_assert_int(ts_cmd(c, "SCARD {t}dst"), 2);
    /* same key: 1 if a member, 0 if not, nothing changes */
    ts_assert_int(ts_cmd(c, "SMOVE {t}dst {t}dst 3"), 1);
    ts_assert_int(ts_cmd(c, "SMOVE {t}dst {t}dst 9"), 0);
    /* missing source: 0 even when the destination has the wrong type */
    ts_assert_ok(ts_cmd(c, "SET {t}str x"));
    ts_assert_int(ts_cmd(c, "SMOVE {t}nokey {t}str a"), 0);
    ts_assert_error(ts_cmd(c, "SMOVE {t}dst {t}str 3"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "SMOVE {t}str {t}dst 3"), WRONGTYPE);
    ts_assert_int(ts_cmd(c, "SISMEMBER {t}dst 3"), 1);
    redisFree(c);
}

/* Checks a random-pick reply: n elements, all members of key; distinct
 * when `distinct`. */
static void check_picks(redisContext *c, redisReply *r, const char *key, size_t n, bool distinct)
{
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n, "want %zu picks, got type %d n %zu", n, r->type,
              r->elements);
    for (size_t i = 0; i < r->elements; i++) {
        if (distinct)
            for (size_t j = 0; j < i; j++)
                cr_assert(strcmp(r->element[i]->str, r->element[j]->str), "repeated pick %s", r->element[i]->str);
        if (key) ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", key, r->element[i]->str), 1);
    }
    freeReplyObject(r);
}

TS_TEST(sets, srandmember_each_encoding)
{
    redisContext *c = ts_connect(g_server);
    const char *keys[] = {"ints", "strs", "big", "bigints"};
    for (int i = 0; i < 20; i++) ts_assert_int(ts_cmd(c, "SADD ints %d", i), 1);
    fill(c, "strs", "s", 20);
    fill(c, "big", "m", 300);
    for (int i = 0; i < 600; i++) ts_assert_int(ts_cmd(c, "SADD bigints %d", i * 3), 1);
    for (int k = 0; k < 4; k++) {
        long long size;
        redisReply *r = ts_cmd(c, "SCARD %s", keys[k]);
        size = r->integer;
        freeReplyObject(r);
        r = ts_cmd(c, "SRANDMEMBER %s", keys[k]);
        cr_assert_eq(r->type, REDIS_REPLY_STRING);
        ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], r->str), 1);
        freeReplyObject(r);
        check_picks(c, ts_cmd(c, "SRANDMEMBER %s 5", keys[k]), keys[k], 5, true);
        check_picks(c, ts_cmd(c, "SRANDMEMBER %s %lld", keys[k], size - 2), NULL, (size_t)size - 2, true);
        check_picks(c, ts_cmd(c, "SRANDMEMBER %s 1000", keys[k]), NULL, (size_t)size, true);
        check_picks(c, ts_cmd(c, "SRANDMEMBER %s -30", keys[k]), keys[k], 30, false);
        ts_assert_int(ts_cmd(c, "SCARD %s", keys[k]), size);
    }
    /* a repeated pick really repeats on a 1-member set */
    ts_assert_int(ts_cmd(c, "SADD one x"), 1);
    ts_assert_array(ts_cmd(c, "SRANDMEMBER one -3"), "x", "x", "x");
    ts_assert_array(ts_cmd(c, "SRANDMEMBER one 0"));
    ts_assert_array(ts_cmd(c, "SRANDMEMBER nokey 5"));
    ts_assert_nil(ts_cmd(c, "SRANDMEMBER nokey"));
    ts_assert_error(ts_cmd(c, "SRANDMEMBER one abc"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "SRANDMEMBER one -9223372036854775808"),
                    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    ts_assert_error(ts_cmd(c, "SRANDMEMBER one 1 2"), "ERR syntax error");
    redisFree(c);
}

TS_TEST(sets, spop_each_encoding)
{
    redisContext *c = ts_connect(g_server);
    /* sizes chosen to run both of SPOP's strategies (few or most popped) */
    const char *keys[] = {"ints", "strs", "big"};
    for (int i = 0; i < 30; i++) ts_assert_int(ts_cmd(c, "SADD ints %d", i), 1);
    fill(c, "strs", "s", 30);
    fill(c, "big", "m", 300);
    for (int k = 0; k < 3; k++) {
        long long size;
        redisReply *r = ts_cmd(c, "SCARD %s", keys[k]);
        size = r->integer;
        freeReplyObject(r);
        r = ts_cmd(c, "SPOP %s", keys[k]);
        cr_assert_eq(r->type, REDIS_REPLY_STRING);
        ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], r->str), 0);
        freeReplyObject(r);
        size--;
        /* few: each popped member is gone */
        r = ts_cmd(c, "SPOP %s 3", keys[k]);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3);
        for (size_t i = 0; i < 3; i++) ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], r->element[i]->str), 0);
        check_picks(c, r, NULL, 3, true);
        size -= 3;
        ts_assert_int(ts_cmd(c, "SCARD %s", keys[k]), size);
        /* most: only `keep` stay, and they were not popped */
        long long keep = 2;
        r = ts_cmd(c, "SPOP %s %lld", keys[k], size - keep);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)(size - keep));
        for (size_t i = 0; i < r->elements; i++)
            ts_assert_int(ts_cmd(c, "SISMEMBER %s %s", keys[k], r->element[i]->str), 0);
        check_picks(c, r, NULL, (size_t)(size - keep), true);
        ts_assert_int(ts_cmd(c, "SCARD %s", keys[k]), keep);
        /* all: the key goes */
        check_picks(c, ts_cmd(c, "SPOP %s 100", keys[k]), NULL, (size_t)keep, true);
        ts_assert_int(ts_cmd(c, "EXISTS %s", keys[k]), 0);
    }
    ts_assert_int(ts_cmd(c, "SADD one x"), 1);
    ts_assert_array(ts_cmd(c, "SPOP one 0"));
    ts_assert_bulk(ts_cmd(c, "SPOP one"), "x");
    ts_assert_int(ts_cmd(c, "EXISTS one"), 0);
    ts_assert_nil(ts_cmd(c, "SPOP one"));
    ts_assert_array(ts_cmd(c, "SPOP one 3"));
    ts_assert_error(ts_cmd(c, "SPOP one -1"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "SPOP one abc"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "SPOP one 1 2"), "ERR syntax error");
    redisFree(c);
}

TS_TEST(sets, sinter_sunion_sdiff)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD {t}a 1 2 3 4 x"), 5);
    ts_assert_int(ts_cmd(c, "SADD {t}b 2 3 5 x y"), 5);
    fill(c, "{t}big", "", 300); /* "0".."299": a hashtable of integers */
    cu_assert_unordered(ts_cmd(c, "SINTER {t}a {t}b"), "2 3 x");
    cu_assert_unordered(ts_cmd(c, "SINTER {t}a {t}b {t}big"), "2 3");
    cu_assert_unordered(ts_cmd(c, "SINTER {t}a {t}a"), "1 2 3 4 x");
    cu_assert_unordered(ts_cmd(c, "SINTER {t}a {t}nokey"), "");
    cu_assert_unordered(ts_cmd(c, "SUNION {t}a {t}b {t}nokey"), "1 2 3 4 5 x y");
    cu_assert_unordered(ts_cmd(c, "SDIFF {t}a {t}b"), "1 4");
    cu_assert_unordered(ts_cmd(c, "SDIFF {t}a {t}big"), "x");
    cu_assert_unordered(ts_cmd(c, "SDIFF {t}a {t}nokey"), "1 2 3 4 x");
    cu_assert_unordered(ts_cmd(c, "SDIFF {t}a {t}a"), "");
    cu_assert_unordered(ts_cmd(c, "SDIFF {t}nokey {t}a"), "");
    /* the big side first: both of SDIFF's strategies */
    redisReply *r = ts_cmd(c, "SDIFF {t}big {t}a");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 296, "SDIFF big a: %zu", r->elements);
    freeReplyObject(r);
    /* a wrong type anywhere is an error, even after a missing key */
    ts_assert_ok(ts_cmd(c, "SET {t}str x"));
    ts_assert_error(ts_cmd(c, "SINTER {t}nokey {t}str"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "SUNION {t}a {t}str"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "SDIFF {t}nokey {t}str"), WRONGTYPE);
    redisFree(c);
}

TS_TEST(sets, store_variants)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD {t}a 1 2 3 x"), 4);
    ts_assert_int(ts_cmd(c, "SADD {t}b 2 3 4"), 3);
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}d {t}a {t}b"), 2);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}d"), "2 3");
    ts_assert_int(ts_cmd(c, "SUNIONSTORE {t}d {t}a {t}b"), 5);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}d"), "1 2 3 4 x");
    ts_assert_int(ts_cmd(c, "SDIFFSTORE {t}d {t}a {t}b"), 2);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}d"), "1 x");
    /* the destination may be a source */
    ts_assert_int(ts_cmd(c, "SUNIONSTORE {t}a {t}a {t}b"), 5);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}a"), "1 2 3 4 x");
    /* a destination of another type is overwritten; its TTL goes */
    ts_assert_ok(ts_cmd(c, "SET {t}str v EX 100"));
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}str {t}a {t}b"), 3);
    ts_assert_status(ts_cmd(c, "TYPE {t}str"), "set");
    ts_assert_int(ts_cmd(c, "TTL {t}str"), -1);
    /* an empty result deletes the destination */
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}d {t}a {t}nokey"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_int(ts_cmd(c, "SADD {t}d z"), 1);
    ts_assert_int(ts_cmd(c, "SDIFFSTORE {t}d {t}b {t}a"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_int(ts_cmd(c, "SADD {t}d z"), 1);
    ts_assert_int(ts_cmd(c, "SUNIONSTORE {t}d {t}nokey"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    /* a wrong-typed source leaves the destination alone */
    ts_assert_int(ts_cmd(c, "SADD {t}d z"), 1);
    ts_assert_ok(ts_cmd(c, "SET {t}s2 x"));
    ts_assert_error(ts_cmd(c, "SUNIONSTORE {t}d {t}a {t}s2"), WRONGTYPE);
    cu_assert_unordered(ts_cmd(c, "SMEMBERS {t}d"), "z");
    redisFree(c);
}

TS_TEST(sets, store_result_encodings)
{
    redisContext *c = ts_connect(g_server);
    cu_require_object_encoding(c);
    ts_assert_int(ts_cmd(c, "SADD {t}a 1 2 3 x"), 4);
    ts_assert_int(ts_cmd(c, "SADD {t}b 1 2 y"), 3);
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}d {t}a {t}b"), 2);
    cu_assert_encoding(c, "{t}d", "intset", "intset");
    ts_assert_int(ts_cmd(c, "SUNIONSTORE {t}d {t}a {t}b"), 5);
    cu_assert_encoding(c, "{t}d", "hashtable", "hashtable");
    fill(c, "{t}big", "m", 200);
    ts_assert_int(ts_cmd(c, "SUNIONSTORE {t}d {t}big {t}a"), 204);
    cu_assert_encoding(c, "{t}d", "hashtable", "hashtable");
    redisFree(c);
}

TS_TEST(sets, sintercard)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD {t}a 1 2 3 4 5 x"), 6);
    ts_assert_int(ts_cmd(c, "SADD {t}b 2 3 4 5 x y"), 6);
    ts_assert_int(ts_cmd(c, "SINTERCARD 2 {t}a {t}b"), 5);
    ts_assert_int(ts_cmd(c, "SINTERCARD 2 {t}a {t}b LIMIT 0"), 5);
    ts_assert_int(ts_cmd(c, "SINTERCARD 2 {t}a {t}b LIMIT 3"), 3);
    ts_assert_int(ts_cmd(c, "SINTERCARD 2 {t}a {t}b limit 10"), 5);
    ts_assert_int(ts_cmd(c, "SINTERCARD 1 {t}a"), 6);
    ts_assert_int(ts_cmd(c, "SINTERCARD 2 {t}a {t}nokey"), 0);
    ts_assert_error(ts_cmd(c, "SINTERCARD 0 {t}a"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "SINTERCARD abc {t}a"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "SINTERCARD 3 {t}a {t}b"), "ERR Number of keys can't be greater than number of args");
    ts_assert_error(ts_cmd(c, "SINTERCARD 1 {t}a LIMIT -1"), "ERR LIMIT can't be negative");
    ts_assert_error(ts_cmd(c, "SINTERCARD 1 {t}a LIMIT x"), "ERR LIMIT can't be negative");
    ts_assert_error(ts_cmd(c, "SINTERCARD 1 {t}a LIMIT"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SINTERCARD 1 {t}a FOO 1"), "ERR syntax error");
    ts_assert_ok(ts_cmd(c, "SET {t}s x"));
    ts_assert_error(ts_cmd(c, "SINTERCARD 2 {t}nokey {t}s"), WRONGTYPE);
    redisFree(c);
}

/* Collects a whole SSCAN into a count of distinct members (members are
 * "m<i>" or integers below 10000). */
static int sscan_all(redisContext *c, const char *key, const char *opts, int *calls)
{
    static unsigned char seen[20000];
    memset(seen, 0, sizeof seen);
    char cursor[32] = "0";
    int distinct = 0;
    *calls = 0;
    do {
        char obuf[128];
        const char *argv[8] = {"SSCAN", key, cursor};
        int argc = 3;
        snprintf(obuf, sizeof obuf, "%s", opts);
        for (char *t = strtok(obuf, " "); t && argc < 8; t = strtok(NULL, " ")) argv[argc++] = t;
        redisReply *r = ts_cmd_argv(c, argc, argv, NULL);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "SSCAN reply shape");
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *m = r->element[1]->element[i]->str;
            int v = atoi(m[0] == 'm' ? m + 1 : m) + (m[0] == 'm' ? 10000 : 0);
            distinct += !seen[v];
            seen[v] = 1;
        }
        freeReplyObject(r);
        (*calls)++;
    } while (strcmp(cursor, "0") != 0 && *calls < 10000);
    return distinct;
}

TS_TEST(sets, sscan)
{
    redisContext *c = ts_connect(g_server);
    int calls;
    for (int i = 0; i < 50; i++) ts_assert_int(ts_cmd(c, "SADD ints %d", i), 1);
    cr_assert_eq(sscan_all(c, "ints", "", &calls), 50);
    cr_assert_eq(calls, 1, "a compact set comes in one call");
    fill(c, "big", "m", 1000);
    cr_assert_eq(sscan_all(c, "big", "COUNT 50", &calls), 1000);
    cr_assert_gt(calls, 5, "a hashtable is scanned in steps (%d calls)", calls);
    cr_assert_eq(sscan_all(c, "big", "MATCH m1?? COUNT 100", &calls), 100);
    cr_assert_eq(sscan_all(c, "ints", "MATCH 4*", &calls), 11);
    ts_assert_int(ts_cmd(c, "SADD lp a b"), 2);
    /* compact encodings come whole whatever COUNT says (on Redis 7.0, "lp"
     * is a hashtable) */
    const char *compact[] = {"ints", "lp"};
    for (int k = 0; k < (ts_is_redis() ? 1 : 2); k++) {
        redisReply *r1 = ts_cmd(c, "SSCAN %s 0 COUNT 1", compact[k]);
        cr_assert(r1->type == REDIS_REPLY_ARRAY && strcmp(r1->element[0]->str, "0") == 0 &&
                  r1->element[1]->elements == (k ? 2u : 50u), "%s scanned whole", compact[k]);
        freeReplyObject(r1);
    }
    redisReply *r = ts_cmd(c, "SSCAN nokey 0 MATCH");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[0]->str, "0") == 0 &&
              r->element[1]->elements == 0, "missing key: empty scan, options unchecked");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "SSCAN ints abc"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "SSCAN ints 18446744073709551616"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "SSCAN nokey abc"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "SSCAN ints 0 COUNT 0"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SSCAN ints 0 COUNT x"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "SSCAN ints 0 MATCH"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SSCAN ints 0 TYPE set"), "ERR syntax error");
    redisFree(c);
}

/* Keys on four different shards (at --shards 4), and the same with a tag. */
TS_TEST(sets, cross_shard_store_and_smove)
{
    cr_assert(cu_quarter("s1") != cu_quarter("s2") && cu_quarter("s2") != cu_quarter("s3") &&
              cu_quarter("s3") != cu_quarter("dst") && cu_quarter("s1") != cu_quarter("dst") &&
              cu_quarter("s1") != cu_quarter("s3") && cu_quarter("s2") != cu_quarter("dst"));
    redisContext *c = ts_connect(g_server);
    const char *tags[] = {"", "{t}"};
    for (int t = 0; t < 2; t++) {
        const char *p = tags[t];
        ts_assert_int(ts_cmd(c, "SADD %ss1 1 2 3 a", p), 4);
        ts_assert_int(ts_cmd(c, "SADD %ss2 2 3 4 a b", p), 5);
        ts_assert_int(ts_cmd(c, "SADD %ss3 3 a z", p), 3);
        ts_assert_int(ts_cmd(c, "SINTERSTORE %sdst %ss1 %ss2 %ss3", p, p, p, p), 2);
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %sdst", p), "3 a");
        cu_assert_unordered(ts_cmd(c, "SINTER %ss1 %ss2", p, p), "2 3 a");
        ts_assert_int(ts_cmd(c, "SINTERCARD 3 %ss1 %ss2 %ss3", p, p, p), 2);
        ts_assert_int(ts_cmd(c, "SUNIONSTORE %sdst %ss1 %ss3", p, p, p), 5);
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %sdst", p), "1 2 3 a z");
        ts_assert_int(ts_cmd(c, "SDIFFSTORE %sdst %ss2 %ss1", p, p, p), 2);
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %sdst", p), "4 b");
        cu_assert_unordered(ts_cmd(c, "SDIFF %ss1 %ss2 %ss3", p, p, p), "1");
        ts_assert_int(ts_cmd(c, "SMOVE %ss1 %sdst 1", p, p), 1);
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %sdst", p), "1 4 b");
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %ss1", p), "2 3 a");
        ts_assert_int(ts_cmd(c, "SMOVE %ss3 %snew z", p, p), 1);
        ts_assert_int(ts_cmd(c, "SMOVE %ss3 %snew 3", p, p), 1);
        ts_assert_int(ts_cmd(c, "SMOVE %ss3 %snew a", p, p), 1);
        ts_assert_int(ts_cmd(c, "EXISTS %ss3", p), 0);
        cu_assert_unordered(ts_cmd(c, "SMEMBERS %snew", p), "3 a z");
        ts_assert_int(ts_cmd(c, "SINTERSTORE %sdst %ss1 %ss3", p, p, p), 0);
        ts_assert_int(ts_cmd(c, "EXISTS %sdst", p), 0);
    }
    redisFree(c);
}
