/* test_sort.c — SORT and SORT_RO over TCP: numeric and ALPHA order, ASC
 * and DESC, LIMIT, BY and GET patterns (on keys sharing a hash tag with
 * the sorted key, and on keys of any shard), STORE
 * (also across shards), each source type and errors. Every expectation
 * also holds on redis-server 7.0. */
#include "coll_util.h"

TestSuite(sort, .timeout = 60);

TS_TEST(sort, numeric_alpha_limit_each_type)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l 3 1 2 10 -5 1.5"), 6);
    ts_assert_int(ts_cmd(c, "SADD s 3 1 2 10 -5 1.5"), 6);
    ts_assert_int(ts_cmd(c, "ZADD z 0 3 0 1 0 2 0 10 0 -5 0 1.5"), 6);
    ts_assert_int(ts_cmd(c, "SADD si 3 1 2 10 -5"), 5); /* an intset */
    const char *keys[] = {"l", "s", "z"};
    for (int k = 0; k < 3; k++) {
        ts_assert_array(ts_cmd(c, "SORT %s", keys[k]), "-5", "1", "1.5", "2", "3", "10");
        ts_assert_array(ts_cmd(c, "SORT %s DESC", keys[k]), "10", "3", "2", "1.5", "1", "-5");
        ts_assert_array(ts_cmd(c, "SORT %s LIMIT 1 2", keys[k]), "1", "1.5");
        ts_assert_array(ts_cmd(c, "SORT %s ALPHA", keys[k]), "-5", "1", "1.5", "10", "2", "3");
        ts_assert_array(ts_cmd(c, "SORT_RO %s ALPHA DESC LIMIT 0 2", keys[k]), "3", "2");
    }
    ts_assert_array(ts_cmd(c, "SORT si"), "-5", "1", "2", "3", "10");
    /* LIMIT edge cases */
    ts_assert_array(ts_cmd(c, "SORT l LIMIT -5 2"), "-5", "1");
    ts_assert_array(ts_cmd(c, "SORT l LIMIT 4 -1"), "3", "10");
    ts_assert_array(ts_cmd(c, "SORT l LIMIT 100 5"));
    ts_assert_array(ts_cmd(c, "SORT l LIMIT 0 0"));
    ts_assert_array(ts_cmd(c, "SORT l LIMIT 4 9223372036854775807"), "3", "10");
    /* equal scores fall back to byte order */
    ts_assert_int(ts_cmd(c, "RPUSH eq 1.0 1 01"), 3);
    ts_assert_array(ts_cmd(c, "SORT eq"), "01", "1", "1.0");
    ts_assert_array(ts_cmd(c, "SORT nokey"));
    redisFree(c);
}

TS_TEST(sort, by_nosort_keeps_native_order)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l c a b d"), 4);
    ts_assert_array(ts_cmd(c, "SORT l BY nosort"), "c", "a", "b", "d");
    ts_assert_array(ts_cmd(c, "SORT l BY nosort DESC"), "d", "b", "a", "c");
    ts_assert_array(ts_cmd(c, "SORT l BY nosort LIMIT 1 2"), "a", "b");
    ts_assert_array(ts_cmd(c, "SORT l BY nosort DESC LIMIT 1 2"), "b", "a");
    ts_assert_int(ts_cmd(c, "ZADD z 3 a 1 b 2 c"), 3);
    ts_assert_array(ts_cmd(c, "SORT z BY nosort"), "b", "c", "a");
    ts_assert_array(ts_cmd(c, "SORT z BY nosort DESC LIMIT 0 2"), "a", "c");
    /* a set has no order: stored, it is sorted ALPHA */
    ts_assert_int(ts_cmd(c, "SADD s b c a"), 3);
    ts_assert_int(ts_cmd(c, "SORT s BY nosort STORE dst"), 3);
    ts_assert_array(ts_cmd(c, "LRANGE dst 0 -1"), "a", "b", "c");
    redisFree(c);
}

TS_TEST(sort, by_and_get_patterns)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH {u}l 1 2 3 4"), 4);
    ts_assert_ok(ts_cmd(c, "MSET {u}w_1 40 {u}w_2 30 {u}w_3 abc {u}w_4 10"));
    ts_assert_ok(ts_cmd(c, "MSET {u}o_1 one {u}o_2 two {u}o_4 four"));
    ts_assert_error(ts_cmd(c, "SORT {u}l BY {u}w_*"), "ERR One or more scores can't be converted into double");
    ts_assert_ok(ts_cmd(c, "SET {u}w_3 20"));
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}w_*"), "4", "3", "2", "1");
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}w_* DESC LIMIT 0 2"), "1", "2");
    /* a missing weight counts as 0; ALPHA BY compares the weights' text */
    ts_assert_int(ts_cmd(c, "DEL {u}w_3"), 1);
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}w_*"), "3", "4", "2", "1");
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}w_* ALPHA"), "3", "4", "2", "1");
    ts_assert_ok(ts_cmd(c, "MSET {u}w_1 b {u}w_2 a {u}w_3 c {u}w_4 aa"));
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}w_* ALPHA"), "2", "4", "1", "3");
    /* GET: the element itself (#), a pattern, a missing key (nil) */
    ts_assert_array(ts_cmd(c, "SORT {u}l GET # GET {u}o_*"), "1", "one", "2", "two", "3", NULL, "4", "four");
    ts_assert_array(ts_cmd(c, "SORT {u}l BY nosort GET {u}o_* LIMIT 0 2"), "one", "two");
    ts_assert_array(ts_cmd(c, "SORT {u}l GET nostar LIMIT 0 1"), NULL);
    /* hash fields: BY and GET through "->" */
    ts_assert_int(ts_cmd(c, "HSET {u}h_1 f 3 g one"), 2);
    ts_assert_int(ts_cmd(c, "HSET {u}h_2 f 1"), 1);
    ts_assert_int(ts_cmd(c, "HSET {u}h_3 f 2 g three"), 2);
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}h_*->f GET {u}h_*->g GET #"), NULL, "4", NULL, "2", "three", "3",
                    "one", "1");
    ts_assert_array(ts_cmd(c, "SORT {u}l BY {u}h_*->f DESC GET {u}h_*->nofield LIMIT 0 1"), NULL);
    ts_assert_array(ts_cmd(c, "SORT {u}l GET {u}o_*->f LIMIT 0 1"), NULL);
    /* a GET key of another type reads as missing */
    ts_assert_int(ts_cmd(c, "RPUSH {u}o_3 x"), 1);
    ts_assert_array(ts_cmd(c, "SORT {u}l GET {u}o_* LIMIT 2 1"), NULL);
    redisFree(c);
}

TS_TEST(sort, store)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH {t}l 3 1 2"), 3);
    ts_assert_int(ts_cmd(c, "SORT {t}l STORE {t}dst"), 3);
    ts_assert_status(ts_cmd(c, "TYPE {t}dst"), "list");
    ts_assert_array(ts_cmd(c, "LRANGE {t}dst 0 -1"), "1", "2", "3");
    /* GET with STORE: a missing key stores "" */
    ts_assert_ok(ts_cmd(c, "SET {t}o_1 one"));
    ts_assert_int(ts_cmd(c, "SORT {t}l GET {t}o_* GET # STORE {t}dst"), 6);
    ts_assert_array(ts_cmd(c, "LRANGE {t}dst 0 -1"), "one", "1", "", "2", "", "3");
    /* overwrites any type, TTL gone; the source itself may be the target */
    ts_assert_ok(ts_cmd(c, "SET {t}str x EX 100"));
    ts_assert_int(ts_cmd(c, "SORT {t}l DESC STORE {t}str"), 3);
    ts_assert_int(ts_cmd(c, "TTL {t}str"), -1);
    ts_assert_array(ts_cmd(c, "LRANGE {t}str 0 -1"), "3", "2", "1");
    ts_assert_int(ts_cmd(c, "SORT {t}l DESC STORE {t}l"), 3);
    ts_assert_array(ts_cmd(c, "LRANGE {t}l 0 -1"), "3", "2", "1");
    /* an empty result deletes the target */
    ts_assert_int(ts_cmd(c, "SORT {t}nokey STORE {t}dst"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}dst"), 0);
    ts_assert_int(ts_cmd(c, "SORT {t}l LIMIT 5 1 STORE {t}str"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS {t}str"), 0);
    /* the last STORE wins */
    ts_assert_int(ts_cmd(c, "SORT {t}l STORE {t}a STORE {t}b"), 3);
    ts_assert_int(ts_cmd(c, "EXISTS {t}a"), 0);
    ts_assert_int(ts_cmd(c, "LLEN {t}b"), 3);
    redisFree(c);
}

TS_TEST(sort, errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l 1 a"), 2);
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_int(ts_cmd(c, "HSET h f v"), 1);
    ts_assert_error(ts_cmd(c, "SORT str"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "SORT h"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "SORT l"), "ERR One or more scores can't be converted into double");
    ts_assert_error(ts_cmd(c, "SORT l STORE d"), "ERR One or more scores can't be converted into double");
    ts_assert_int(ts_cmd(c, "EXISTS d"), 0);
    ts_assert_array(ts_cmd(c, "SORT l ALPHA"), "1", "a");
    ts_assert_error(ts_cmd(c, "SORT l LIMIT 1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SORT l LIMIT a 1"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "SORT l FOO"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SORT l BY"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SORT_RO l STORE d"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "SORT"), "ERR wrong number of arguments for 'sort' command");
    /* options are checked before the key's type */
    ts_assert_error(ts_cmd(c, "SORT str FOO"), "ERR syntax error");
    redisFree(c);
}

TS_TEST(sort, zset_sort_converts_to_skiplist)
{
    redisContext *c = ts_connect(g_server);
    cu_require_object_encoding(c);
    ts_assert_int(ts_cmd(c, "ZADD z 1 2 2 1"), 2);
    cu_assert_encoding(c, "z", "listpack", "listpack");
    ts_assert_array(ts_cmd(c, "SORT z"), "1", "2");
    cu_assert_encoding(c, "z", "skiplist", "skiplist");
    redisFree(c);
}

/* The sorted key and the STORE target on different shards (at --shards 4). */
TS_TEST(sort, cross_shard_store)
{
    cr_assert(cu_quarter("s1") != cu_quarter("dst"));
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SADD s1 5 3 9"), 3);
    ts_assert_int(ts_cmd(c, "SORT s1 DESC STORE dst"), 3);
    ts_assert_array(ts_cmd(c, "LRANGE dst 0 -1"), "9", "5", "3");
    ts_assert_int(ts_cmd(c, "ZADD s2 1 b 2 a"), 2);
    ts_assert_int(ts_cmd(c, "SORT s2 ALPHA STORE dst"), 2);
    ts_assert_array(ts_cmd(c, "LRANGE dst 0 -1"), "a", "b");
    ts_assert_int(ts_cmd(c, "SORT nokey STORE dst"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS dst"), 0);
    redisFree(c);
}

/* Pattern keys without a hash tag live on any shard: BY and GET still read
 * them, STORE writes only its destination, and the pattern keys are left
 * as they were. */
TS_TEST(sort, patterns_on_other_shards)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH list 3 1 2 5"), 4);
    ts_assert_ok(ts_cmd(c, "MSET w_1 30 w_2 10 w_3 20 w_5 5 o_1 one o_2 two o_3 three"));
    ts_assert_int(ts_cmd(c, "HSET h_1 f c"), 1);
    ts_assert_int(ts_cmd(c, "HSET h_2 f a"), 1);
    ts_assert_int(ts_cmd(c, "HSET h_3 f b"), 1);
    ts_assert_array(ts_cmd(c, "SORT list BY w_*"), "5", "2", "3", "1");
    ts_assert_array(ts_cmd(c, "SORT list BY w_* DESC LIMIT 1 2 GET o_* GET #"), "three", "3", "two", "2");
    ts_assert_array(ts_cmd(c, "SORT list BY h_*->f ALPHA GET h_*->f"), NULL, "a", "b", "c");
    ts_assert_array(ts_cmd(c, "SORT_RO list BY w_* GET o_*"), NULL, "two", "three", "one");
    ts_assert_array(ts_cmd(c, "SORT list BY nosort GET o_*"), "three", "one", "two", NULL);
    ts_assert_int(ts_cmd(c, "SORT list BY w_* GET o_* STORE dst"), 4);
    ts_assert_array(ts_cmd(c, "LRANGE dst 0 -1"), "", "two", "three", "one");
    ts_assert_bulk(ts_cmd(c, "GET w_1"), "30");
    ts_assert_bulk(ts_cmd(c, "GET o_3"), "three");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 12);
    ts_assert_ok(ts_cmd(c, "SET w_2 notanumber"));
    ts_assert_error(ts_cmd(c, "SORT list BY w_*"), "ERR One or more scores can't be converted into double");
    redisFree(c);
}
