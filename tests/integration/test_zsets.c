/* test_zsets.c — sorted set commands over TCP: options, errors, score
 * parsing and printing, ranges, both encodings (listpack, skiplist) and
 * the conversion between them, and the multi-key commands across shards
 * (plain keys) and on one shard (hash tags). Every expectation also holds
 * on redis-server 7.0 (suite 'redis'). */
#include "coll_util.h"

TestSuite(zsets, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* key gets members m0..m<n-1> with scores 0..n-1 (skiplist past 128). */
static void zfill(redisContext *c, const char *key, int n)
{
    for (int i = 0; i < n; i++) ts_append(c, "ZADD %s %d m%d", key, i, i);
    for (int i = 0; i < n; i++) ts_assert_int(ts_reply(c), 1);
}

/* The same checks run on a listpack and a skiplist sorted set: the
 * skiplist one is made by lowering the listpack limit to 0. */
static void with_both_encodings(void (*body)(redisContext *c, const char *enc))
{
    redisContext *c = ts_connect(g_server);
    body(c, "listpack");
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    ts_assert_ok(ts_cmd(c, "CONFIG SET zset-max-listpack-entries 0"));
    body(c, "skiplist");
    redisFree(c);
}

static void zadd_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 2 b 3 c"), 3);
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 5 b"), 0);
    ts_assert_bulk(ts_cmd(c, "ZSCORE z b"), "5");
    ts_assert_int(ts_cmd(c, "ZADD z CH 1 a 6 b 0 d"), 2);
    ts_assert_int(ts_cmd(c, "ZADD z NX 100 a 7 e"), 1);
    ts_assert_bulk(ts_cmd(c, "ZSCORE z a"), "1");
    ts_assert_int(ts_cmd(c, "ZADD z XX 100 a 7 f"), 0);
    ts_assert_bulk(ts_cmd(c, "ZSCORE z a"), "100");
    ts_assert_nil(ts_cmd(c, "ZSCORE z f"));
    /* GT / LT update only in their direction, and always add */
    ts_assert_int(ts_cmd(c, "ZADD z GT CH 50 a 200 c 9 g"), 2);
    ts_assert_bulk(ts_cmd(c, "ZSCORE z a"), "100");
    ts_assert_bulk(ts_cmd(c, "ZSCORE z c"), "200");
    ts_assert_int(ts_cmd(c, "ZADD z LT CH 50 a 300 c"), 1);
    ts_assert_bulk(ts_cmd(c, "ZSCORE z a"), "50");
    ts_assert_bulk(ts_cmd(c, "ZSCORE z c"), "200");
    /* INCR replies the new score, or nil when a flag stopped it */
    ts_assert_bulk(ts_cmd(c, "ZADD z INCR 2.5 a"), "52.5");
    ts_assert_nil(ts_cmd(c, "ZADD z NX INCR 1 a"));
    ts_assert_nil(ts_cmd(c, "ZADD z XX INCR 1 nope"));
    ts_assert_nil(ts_cmd(c, "ZADD z GT INCR -1 a"));
    ts_assert_bulk(ts_cmd(c, "ZINCRBY z 0.1 a"), "52.600000000000001");
    ts_assert_bulk(ts_cmd(c, "ZINCRBY z 5 new"), "5");
    ts_assert_bulk(ts_cmd(c, "ZADD z INCR +inf a"), "inf");
    ts_assert_error(ts_cmd(c, "ZINCRBY z -inf a"), "ERR resulting score is not a number (NaN)");
    ts_assert_bulk(ts_cmd(c, "ZSCORE z a"), "inf");
    /* scores as Redis prints them (17 digits) */
    ts_assert_int(ts_cmd(c, "ZADD s 1.1 a 1e20 b -0.0 c 0x10 d 1e-5 e"), 5);
    ts_assert_bulk(ts_cmd(c, "ZSCORE s a"), "1.1000000000000001");
    ts_assert_bulk(ts_cmd(c, "ZSCORE s b"), "1e+20");
    ts_assert_bulk(ts_cmd(c, "ZSCORE s d"), "16");
    ts_assert_bulk(ts_cmd(c, "ZSCORE s e"), "1.0000000000000001e-05");
    /* -0 is kept by a skiplist; a listpack stores it as the integer 0 */
    ts_assert_bulk(ts_cmd(c, "ZSCORE s c"), strcmp(enc, "listpack") == 0 ? "0" : "-0");
    redisReply *r = ts_cmd(c, "ZMSCORE s a nope b");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[1]->type == REDIS_REPLY_NIL &&
              strcmp(r->element[2]->str, "1e+20") == 0, "ZMSCORE");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "ZCARD z"), 7);
    ts_assert_int(ts_cmd(c, "ZCARD nokey"), 0);
    ts_assert_int(ts_cmd(c, "ZADD xx XX 1 a"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS xx"), 0);
}

TS_TEST(zsets, zadd_options_and_scores) { with_both_encodings(zadd_body); }

TS_TEST(zsets, zadd_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "ZADD z 1"), "ERR wrong number of arguments for 'zadd' command");
    ts_assert_error(ts_cmd(c, "ZADD z 1 a 2"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZADD z NX 1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZADD z NX XX 1 a"), "ERR XX and NX options at the same time are not compatible");
    ts_assert_error(ts_cmd(c, "ZADD z GT LT 1 a"), "ERR GT, LT, and/or NX options at the same time are not compatible");
    ts_assert_error(ts_cmd(c, "ZADD z NX GT 1 a"), "ERR GT, LT, and/or NX options at the same time are not compatible");
    ts_assert_error(ts_cmd(c, "ZADD z INCR 1 a 2 b"), "ERR INCR option supports a single increment-element pair");
    ts_assert_error(ts_cmd(c, "ZADD z nan a"), "ERR value is not a valid float");
    ts_assert_error(ts_cmd(c, "ZADD z 1 a abc b"), "ERR value is not a valid float");
    ts_assert_int(ts_cmd(c, "EXISTS z"), 0);
    ts_assert_error(ts_cmd(c, "ZINCRBY z x a"), "ERR value is not a valid float");
    ts_assert_ok(ts_cmd(c, "SET str x"));
    const char *cmds[] = {"ZADD str 1 a", "ZINCRBY str 1 a", "ZREM str a", "ZCARD str", "ZSCORE str a",
                          "ZMSCORE str a", "ZRANK str a", "ZREVRANK str a", "ZCOUNT str 0 1", "ZLEXCOUNT str - +",
                          "ZRANGE str 0 1", "ZRANGESTORE d str 0 1", "ZREMRANGEBYRANK str 0 1", "ZPOPMIN str",
                          "ZMPOP 1 str MIN", "ZRANDMEMBER str", "ZRANDMEMBER str 2", "ZSCAN str 0",
                          "ZUNION 1 str", "ZINTERSTORE d 1 str", "ZINTERCARD 1 str", "ZDIFF 1 str"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) ts_assert_error(ts_cmd(c, cmds[i]), WRONGTYPE);
    redisFree(c);
}

static void ranges_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 2 b 2 c 3 d -inf e +inf f"), 6);
    ts_assert_array(ts_cmd(c, "ZRANGE z 0 -1"), "e", "a", "b", "c", "d", "f");
    ts_assert_array(ts_cmd(c, "ZRANGE z 1 2 WITHSCORES"), "a", "1", "b", "2");
    ts_assert_array(ts_cmd(c, "ZRANGE z -2 100"), "d", "f");
    ts_assert_array(ts_cmd(c, "ZRANGE z 3 1"));
    ts_assert_array(ts_cmd(c, "ZRANGE z 0 0 REV"), "f");
    ts_assert_array(ts_cmd(c, "ZREVRANGE z 0 1 WITHSCORES"), "f", "inf", "d", "3");
    ts_assert_array(ts_cmd(c, "ZRANGEBYSCORE z (1 2"), "b", "c");
    ts_assert_array(ts_cmd(c, "ZRANGEBYSCORE z -inf (-inf"));
    ts_assert_array(ts_cmd(c, "ZRANGEBYSCORE z -inf +inf LIMIT 1 2"), "a", "b");
    ts_assert_array(ts_cmd(c, "ZRANGEBYSCORE z -inf +inf LIMIT 4 -1"), "d", "f");
    ts_assert_array(ts_cmd(c, "ZRANGEBYSCORE z -inf +inf LIMIT -1 5"));
    ts_assert_array(ts_cmd(c, "ZREVRANGEBYSCORE z 3 (1 WITHSCORES"), "d", "3", "c", "2", "b", "2");
    ts_assert_array(ts_cmd(c, "ZRANGE z (3 1 BYSCORE REV LIMIT 0 2"), "c", "b");
    ts_assert_int(ts_cmd(c, "ZCOUNT z (1 3"), 3);
    ts_assert_int(ts_cmd(c, "ZCOUNT z -inf +inf"), 6);
    ts_assert_int(ts_cmd(c, "ZCOUNT z 5 1"), 0);
    ts_assert_int(ts_cmd(c, "ZRANK z b"), 2);
    ts_assert_int(ts_cmd(c, "ZREVRANK z b"), 3);
    ts_assert_nil(ts_cmd(c, "ZRANK z nope"));
    ts_assert_nil(ts_cmd(c, "ZRANK nokey a"));
    /* lex ranges on equal scores */
    ts_assert_int(ts_cmd(c, "ZADD l 0 a 0 b 0 c 0 d 0 e"), 5);
    ts_assert_array(ts_cmd(c, "ZRANGEBYLEX l [b (d"), "b", "c");
    ts_assert_array(ts_cmd(c, "ZRANGEBYLEX l - + LIMIT 3 5"), "d", "e");
    ts_assert_array(ts_cmd(c, "ZREVRANGEBYLEX l (d -"), "c", "b", "a");
    ts_assert_array(ts_cmd(c, "ZRANGE l + [c BYLEX REV"), "e", "d", "c");
    ts_assert_int(ts_cmd(c, "ZLEXCOUNT l (a [c"), 2);
    ts_assert_int(ts_cmd(c, "ZLEXCOUNT l - +"), 5);
    ts_assert_error(ts_cmd(c, "ZRANGEBYLEX l a c"), "ERR min or max not valid string range item");
    ts_assert_error(ts_cmd(c, "ZRANGEBYSCORE z a 1"), "ERR min or max is not a float");
    ts_assert_error(ts_cmd(c, "ZRANGEBYSCORE z (nan 1"), "ERR min or max is not a float");
    ts_assert_error(ts_cmd(c, "ZCOUNT z [1 2"), "ERR min or max is not a float");
    ts_assert_error(ts_cmd(c, "ZRANGE z 0 1 LIMIT 0 1"),
                    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    ts_assert_error(ts_cmd(c, "ZRANGE l - + BYLEX WITHSCORES"),
                    "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    ts_assert_error(ts_cmd(c, "ZRANGEBYSCORE z 0 1 BYSCORE"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZREVRANGE z 0 1 REV"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZRANGE z a 1"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "ZRANGE z 0 1 BYSCORE LIMIT 0"), "ERR syntax error");
    ts_assert_array(ts_cmd(c, "ZRANGE nokey 0 -1"));
    (void)enc;
}

TS_TEST(zsets, ranges_counts_ranks) { with_both_encodings(ranges_body); }

static void remove_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 2 b 3 c 4 d 5 e"), 5);
    ts_assert_int(ts_cmd(c, "ZREM z a nope b"), 2);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYSCORE z (3 4"), 1);
    ts_assert_array(ts_cmd(c, "ZRANGE z 0 -1"), "c", "e");
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYRANK z -1 -1"), 1);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYRANK z 5 10"), 0);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYRANK z 0 0"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS z"), 0);
    ts_assert_int(ts_cmd(c, "ZADD l 0 a 0 b 0 c 0 d"), 4);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYLEX l [b (d"), 2);
    ts_assert_array(ts_cmd(c, "ZRANGE l 0 -1"), "a", "d");
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYLEX l - +"), 2);
    ts_assert_int(ts_cmd(c, "EXISTS l"), 0);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYSCORE nokey -inf +inf"), 0);
    ts_assert_error(ts_cmd(c, "ZREMRANGEBYLEX l x y"), "ERR min or max not valid string range item");
    ts_assert_error(ts_cmd(c, "ZREMRANGEBYRANK l x 1"), "ERR value is not an integer or out of range");
    (void)enc;
}

TS_TEST(zsets, zrem_and_range_removals) { with_both_encodings(remove_body); }

static void pop_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 2 b 3 c 4 d"), 4);
    ts_assert_array(ts_cmd(c, "ZPOPMIN z"), "a", "1");
    ts_assert_array(ts_cmd(c, "ZPOPMAX z 2"), "d", "4", "c", "3");
    ts_assert_array(ts_cmd(c, "ZPOPMIN z 0"));
    ts_assert_array(ts_cmd(c, "ZPOPMIN z 10"), "b", "2");
    ts_assert_int(ts_cmd(c, "EXISTS z"), 0);
    ts_assert_array(ts_cmd(c, "ZPOPMIN z"));
    ts_assert_error(ts_cmd(c, "ZPOPMIN z -1"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "ZPOPMIN z 1 2"), "ERR syntax error");
    /* ZMPOP: the first non-empty key */
    ts_assert_int(ts_cmd(c, "ZADD {t}b 1 x 2 y 3 z"), 3);
    redisReply *r = ts_cmd(c, "ZMPOP 2 {t}a {t}b MAX COUNT 2");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[0]->str, "{t}b") == 0 &&
              r->element[1]->elements == 2 && strcmp(r->element[1]->element[0]->element[0]->str, "z") == 0 &&
              strcmp(r->element[1]->element[1]->element[1]->str, "2") == 0, "ZMPOP reply");
    freeReplyObject(r);
    ts_assert_nil(ts_cmd(c, "ZMPOP 1 {t}a MIN"));
    ts_assert_error(ts_cmd(c, "ZMPOP 0 {t}a MIN"), "ERR numkeys should be greater than 0");
    ts_assert_error(ts_cmd(c, "ZMPOP 1 {t}a MID"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZMPOP 2 {t}a MIN"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZMPOP 1 {t}b MIN COUNT 0"), "ERR count should be greater than 0");
    ts_assert_error(ts_cmd(c, "ZMPOP 1 {t}b MIN COUNT 1 COUNT 1"), "ERR syntax error");
    (void)enc;
}

TS_TEST(zsets, zpop_and_zmpop) { with_both_encodings(pop_body); }

static void random_body(redisContext *c, const char *enc)
{
    zfill(c, "z", 40);
    redisReply *r = ts_cmd(c, "ZRANDMEMBER z 10 WITHSCORES");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 20);
    for (size_t i = 0; i < 20; i += 2) {
        cr_assert_eq(atoi(r->element[i]->str + 1), atoi(r->element[i + 1]->str), "score of %s", r->element[i]->str);
        for (size_t j = 0; j < i; j += 2) cr_assert(strcmp(r->element[i]->str, r->element[j]->str), "distinct");
    }
    freeReplyObject(r);
    const char *counts[] = {"30", "100", "-50"};
    size_t want[] = {30, 40, 50};
    for (int k = 0; k < 3; k++) {
        r = ts_cmd(c, "ZRANDMEMBER z %s", counts[k]);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == want[k], "ZRANDMEMBER z %s: %zu", counts[k], r->elements);
        freeReplyObject(r);
    }
    r = ts_cmd(c, "ZRANDMEMBER z");
    cr_assert(r->type == REDIS_REPLY_STRING && r->str[0] == 'm');
    freeReplyObject(r);
    ts_assert_nil(ts_cmd(c, "ZRANDMEMBER nokey"));
    ts_assert_array(ts_cmd(c, "ZRANDMEMBER nokey 3"));
    ts_assert_error(ts_cmd(c, "ZRANDMEMBER z 1 WITHSCORE"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZRANDMEMBER z 4611686018427387904 WITHSCORES"), "ERR value is out of range");
    (void)enc;
}

TS_TEST(zsets, zrandmember) { with_both_encodings(random_body); }

TS_TEST(zsets, encodings_and_conversions)
{
    redisContext *c = ts_connect(g_server);
    cu_require_object_encoding(c);
    zfill(c, "z", 128);
    cu_assert_encoding(c, "z", "listpack", "listpack");
    ts_assert_int(ts_cmd(c, "ZADD z 1000 m128"), 1);
    cu_assert_encoding(c, "z", "skiplist", "skiplist");
    ts_assert_array(ts_cmd(c, "ZRANGE z 127 -1"), "m127", "m128");
    char longm[66];
    memset(longm, 'x', 65);
    longm[65] = '\0';
    ts_assert_int(ts_cmd(c, "ZADD y 1 a"), 1);
    cu_assert_encoding(c, "y", "listpack", "listpack");
    ts_assert_int(ts_cmd(c, "ZADD y 2 %s", longm), 1);
    cu_assert_encoding(c, "y", "skiplist", "skiplist");
    ts_assert_bulk(ts_cmd(c, "ZSCORE y %s", longm), "2");
    /* a long first member starts as a skiplist */
    ts_assert_int(ts_cmd(c, "ZADD w 1 %s", longm), 1);
    cu_assert_encoding(c, "w", "skiplist", "skiplist");
    /* a small result of a big input goes back to listpack */
    ts_assert_int(ts_cmd(c, "ZRANGESTORE d z 0 9"), 10);
    cu_assert_encoding(c, "d", "listpack", "listpack");
    ts_assert_int(ts_cmd(c, "ZUNIONSTORE d 1 y"), 2);
    cu_assert_encoding(c, "d", "skiplist", "skiplist");
    ts_assert_int(ts_cmd(c, "ZINTERSTORE d 2 z z"), 129);
    cu_assert_encoding(c, "d", "skiplist", "skiplist");
    ts_assert_int(ts_cmd(c, "ZDIFFSTORE d 2 z y"), 129);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYRANK d 5 -1"), 124);
    cu_assert_encoding(c, "d", "skiplist", "skiplist");
    redisFree(c);
}

TS_TEST(zsets, zrangestore)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "ZADD {t}z 1 a 2 b 3 c 4 d"), 4);
    ts_assert_int(ts_cmd(c, "ZRANGESTORE {t}d {t}z 1 2"), 2);
    ts_assert_array(ts_cmd(c, "ZRANGE {t}d 0 -1 WITHSCORES"), "b", "2", "c", "3");
    ts_assert_int(ts_cmd(c, "ZRANGESTORE {t}d {t}z +inf (1 BYSCORE REV LIMIT 0 2"), 2);
    ts_assert_array(ts_cmd(c, "ZRANGE {t}d 0 -1"), "c", "d");
    ts_assert_int(ts_cmd(c, "ZRANGESTORE {t}d {t}z 5 10"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_ok(ts_cmd(c, "SET {t}d x"));
    ts_assert_int(ts_cmd(c, "ZRANGESTORE {t}d {t}nokey 0 -1"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_error(ts_cmd(c, "ZRANGESTORE {t}d {t}z 0 1 WITHSCORES"), "ERR syntax error");
    redisFree(c);
}

static void setops_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "ZADD {t}a 1 x 2 y 3 z"), 3);
    ts_assert_int(ts_cmd(c, "ZADD {t}b 10 y 20 z 30 w"), 3);
    ts_assert_int(ts_cmd(c, "SADD {t}s x w"), 2);
    ts_assert_array(ts_cmd(c, "ZUNION 2 {t}a {t}b WITHSCORES"), "x", "1", "y", "12", "z", "23", "w", "30");
    ts_assert_array(ts_cmd(c, "ZUNION 2 {t}a {t}b WEIGHTS 2 -1 AGGREGATE MAX WITHSCORES"), "w", "-30", "x", "2", "y",
                    "4", "z", "6");
    ts_assert_array(ts_cmd(c, "ZINTER 2 {t}a {t}b AGGREGATE MIN WITHSCORES"), "y", "2", "z", "3");
    ts_assert_array(ts_cmd(c, "ZINTER 3 {t}a {t}b {t}nokey"));
    ts_assert_array(ts_cmd(c, "ZUNION 2 {t}a {t}s WITHSCORES"), "w", "1", "x", "2", "y", "2", "z", "3");
    ts_assert_array(ts_cmd(c, "ZDIFF 2 {t}a {t}b WITHSCORES"), "x", "1");
    ts_assert_array(ts_cmd(c, "ZDIFF 2 {t}a {t}s"), "y", "z");
    ts_assert_array(ts_cmd(c, "ZDIFF 2 {t}a {t}a"));
    /* inf + -inf sums to 0 */
    ts_assert_array(ts_cmd(c, "ZUNION 2 {t}a {t}b WEIGHTS inf -inf WITHSCORES"), "w", "-inf", "y", "0", "z", "0",
                    "x", "inf");
    ts_assert_int(ts_cmd(c, "ZUNIONSTORE {t}d 2 {t}a {t}b"), 4);
    ts_assert_array(ts_cmd(c, "ZRANGE {t}d 0 -1 WITHSCORES"), "x", "1", "y", "12", "z", "23", "w", "30");
    ts_assert_int(ts_cmd(c, "ZINTERSTORE {t}d 2 {t}a {t}b WEIGHTS 1 0.5"), 2);
    ts_assert_array(ts_cmd(c, "ZRANGE {t}d 0 -1 WITHSCORES"), "y", "7", "z", "13");
    ts_assert_int(ts_cmd(c, "ZDIFFSTORE {t}d 2 {t}b {t}a"), 1);
    ts_assert_int(ts_cmd(c, "ZINTERSTORE {t}d 2 {t}a {t}nokey"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}d"), 0);
    ts_assert_int(ts_cmd(c, "ZINTERCARD 2 {t}a {t}b"), 2);
    ts_assert_int(ts_cmd(c, "ZINTERCARD 2 {t}a {t}b LIMIT 1"), 1);
    ts_assert_error(ts_cmd(c, "ZUNION 0 {t}a"), "ERR at least 1 input key is needed for 'zunion' command");
    ts_assert_error(ts_cmd(c, "ZUNIONSTORE {t}d 0 {t}a"),
                    "ERR at least 1 input key is needed for 'zunionstore' command");
    ts_assert_error(ts_cmd(c, "ZINTERCARD 0 {t}a"), "ERR at least 1 input key is needed for 'zintercard' command");
    ts_assert_error(ts_cmd(c, "ZINTER 3 {t}a {t}b"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZUNION x {t}a"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "ZUNION 2 {t}a {t}b WEIGHTS 1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZUNION 1 {t}a WEIGHTS x"), "ERR weight value is not a float");
    ts_assert_error(ts_cmd(c, "ZUNION 1 {t}a AGGREGATE AVG"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZDIFF 1 {t}a WEIGHTS 1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZUNIONSTORE {t}d 1 {t}a WITHSCORES"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "ZINTERCARD 1 {t}a LIMIT -1"), "ERR LIMIT can't be negative");
    ts_assert_error(ts_cmd(c, "ZINTERCARD 1 {t}a WITHSCORES"), "ERR syntax error");
    (void)enc;
}

TS_TEST(zsets, union_inter_diff) { with_both_encodings(setops_body); }

TS_TEST(zsets, zscan)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "ZADD small 1.5 a 2 b 3 ab"), 3);
    redisReply *r = ts_cmd(c, "ZSCAN small 0 COUNT 1 MATCH a*");
    cr_assert(r->type == REDIS_REPLY_ARRAY && strcmp(r->element[0]->str, "0") == 0, "ZSCAN shape");
    const char *want[] = {"a", "1.5", "ab", "3"};
    cr_assert_eq(r->element[1]->elements, 4u, "a listpack comes whole, pairs filtered by member");
    for (int i = 0; i < 4; i++) cr_assert_str_eq(r->element[1]->element[i]->str, want[i]);
    freeReplyObject(r);
    /* a skiplist scanned in steps returns every member with its score */
    zfill(c, "big", 500);
    static unsigned char seen[500];
    char cursor[32] = "0";
    int distinct = 0, calls = 0;
    do {
        r = ts_cmd(c, "ZSCAN big %s COUNT 20", cursor);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i + 1 < r->element[1]->elements; i += 2) {
            int m = atoi(r->element[1]->element[i]->str + 1);
            cr_assert_eq(m, atoi(r->element[1]->element[i + 1]->str), "score of m%d", m);
            distinct += !seen[m];
            seen[m] = 1;
        }
        freeReplyObject(r);
        calls++;
    } while (strcmp(cursor, "0") != 0 && calls < 1000);
    cr_assert_eq(distinct, 500);
    cr_assert_gt(calls, 5);
    r = ts_cmd(c, "ZSCAN nokey 0 COUNT x");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->element[1]->elements == 0, "missing key: empty scan");
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "ZSCAN small x"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "ZSCAN small 0 COUNT 0"), "ERR syntax error");
    redisFree(c);
}

/* Keys on different shards (at --shards 4), and the same with a tag. */
TS_TEST(zsets, cross_shard_store)
{
    cr_assert(cu_quarter("s1") != cu_quarter("s2") && cu_quarter("s2") != cu_quarter("dst") &&
              cu_quarter("s1") != cu_quarter("dst"));
    redisContext *c = ts_connect(g_server);
    const char *tags[] = {"", "{t}"};
    for (int t = 0; t < 2; t++) {
        const char *p = tags[t];
        ts_assert_int(ts_cmd(c, "ZADD %ss1 1 a 2 b 3 c", p), 3);
        ts_assert_int(ts_cmd(c, "ZADD %ss2 10 b 20 c 30 d", p), 3);
        ts_assert_int(ts_cmd(c, "ZUNIONSTORE %sdst 2 %ss1 %ss2", p, p, p), 4);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst 0 -1 WITHSCORES", p), "a", "1", "b", "12", "c", "23", "d", "30");
        ts_assert_int(ts_cmd(c, "ZINTERSTORE %sdst 2 %ss1 %ss2 AGGREGATE MAX", p, p, p), 2);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst 0 -1 WITHSCORES", p), "b", "10", "c", "20");
        ts_assert_int(ts_cmd(c, "ZDIFFSTORE %sdst 2 %ss2 %ss1", p, p, p), 1);
        ts_assert_array(ts_cmd(c, "ZUNION 2 %ss1 %ss2", p, p), "a", "b", "c", "d");
        ts_assert_int(ts_cmd(c, "ZINTERCARD 2 %ss1 %ss2", p, p), 2);
        ts_assert_int(ts_cmd(c, "ZRANGESTORE %sdst %ss2 0 0", p, p), 1);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst 0 -1", p), "b");
        redisReply *r = ts_cmd(c, "ZMPOP 2 %snokey %ss2 MIN", p, p);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->elements == 1);
        freeReplyObject(r);
        ts_assert_int(ts_cmd(c, "ZCARD %ss2", p), 2);
    }
    redisFree(c);
}
