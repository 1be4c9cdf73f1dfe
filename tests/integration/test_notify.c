/* test_notify.c — keyspace notifications (notify-keyspace-events) over
 * TCP, as Redis 7.0 raises them.
 *
 * Covered: the directive's letters as CONFIG SET takes them and CONFIG GET
 * shows them (A, K, E, m and n apart, the error for an unknown letter);
 * the keyspace and keyevent channels and their messages; the events of the
 * string, generic, list, set, hash and sorted-set commands, in Redis's
 * order (geo's too), "del" when a command empties a key, nothing when a command
 * changes nothing; classes filtering what is raised; expired from lazy and
 * active expiry; evicted; new and keymiss; events of MOVE and COPY in
 * the other database; SORT STORE and the *STORE commands; a client's
 * events arriving in the order of its commands at subscribers on every
 * shard when its keys live on different shards, and events raised inside
 * MULTI/EXEC and scripts. Every expectation holds on redis-server 7.0 too
 * (suite 'redis'); every wait is bounded. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(notify, .timeout = 60);

/* A subscriber to every keyspace and keyevent channel. */
static redisContext *subscriber(void)
{
    redisContext *s = ts_connect(g_server);
    redisReply *r = ts_cmd(s, "PSUBSCRIBE __key*__:*");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "PSUBSCRIBE");
    freeReplyObject(r);
    return s;
}

/* The next message as "channel message". */
static void next_event(redisContext *s, char *out, size_t cap)
{
    redisReply *r = ts_reply(s);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && strcmp(r->element[0]->str, "pmessage") == 0,
              "expected a pmessage");
    snprintf(out, cap, "%s %s", r->element[2]->str, r->element[3]->str);
    freeReplyObject(r);
}

/* Checks the next messages, one "channel message" per vararg, then that no
 * other arrives before a PING's answer (the subscriber's own PING goes
 * after whatever reached it; events raised elsewhere got there first, as
 * the commands that raised them were answered before). */
static void expect_events(redisContext *s, ...)
{
    va_list ap;
    va_start(ap, s);
    char got[512];
    for (const char *want; (want = va_arg(ap, const char *));) {
        next_event(s, got, sizeof got);
        cr_assert_str_eq(got, want);
    }
    va_end(ap);
    redisReply *r = ts_cmd(s, "PING");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && strcmp(r->element[0]->str, "pong") == 0,
              "an unexpected event came before PONG");
    freeReplyObject(r);
}

static redisContext *with_events(const char *classes)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG SET notify-keyspace-events %s", classes));
    return c;
}

TS_TEST(notify, directive_letters)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "CONFIG GET notify-keyspace-events"), "notify-keyspace-events", "");
    const char *in[] = {"KEA", "Ex", "g$lshzxetKE", "AKEmn", "Kn", "", "xK"};
    const char *shown[] = {"AKE", "xE", "g$lshzxetKE", "AKEm", "nK", "", "xK"}; /* A needs d */
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        ts_assert_ok(ts_cmd(c, "CONFIG SET notify-keyspace-events %s", in[i]));
        ts_assert_array(ts_cmd(c, "CONFIG GET notify-keyspace-events"), "notify-keyspace-events", shown[i]);
    }
    ts_assert_error(ts_cmd(c, "CONFIG SET notify-keyspace-events KEQ"),
                    "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event "
                    "class character. Use 'Ag$lshzxeKEtmdn'.");
    ts_assert_array(ts_cmd(c, "CONFIG GET notify-keyspace-events"), "notify-keyspace-events", "xK");
    redisFree(c);
}

TS_TEST(notify, strings_and_generic)
{
    redisContext *c = with_events("KEA"), *s = subscriber();
    ts_assert_ok(ts_cmd(c, "SET k v EX 100"));
    expect_events(s, "__keyspace@0__:k set", "__keyevent@0__:set k", "__keyspace@0__:k expire",
                  "__keyevent@0__:expire k", NULL);
    ts_assert_ok(ts_cmd(c, "CONFIG SET notify-keyspace-events E$g"));
    ts_assert_int(ts_cmd(c, "APPEND k w"), 2);
    ts_assert_int(ts_cmd(c, "SETRANGE k 0 x"), 2);
    ts_assert_int(ts_cmd(c, "SETRANGE k 1 %s", ""), 2); /* writes nothing: no event */
    ts_assert_int(ts_cmd(c, "PERSIST k"), 1);
    ts_assert_int(ts_cmd(c, "PERSIST k"), 0);
    ts_assert_int(ts_cmd(c, "INCR n"), 1);
    ts_assert_int(ts_cmd(c, "DECRBY n 3"), -2);
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT n 1.5"), "-0.5");
    /* one shard: the events of a command over several arrive in any order */
    ts_assert_ok(ts_cmd(c, "MSET {m}a 1 {m}b 2"));
    ts_assert_int(ts_cmd(c, "SETNX {m}a 3"), 0);
    ts_assert_int(ts_cmd(c, "SETBIT bits 3 1"), 0);
    ts_assert_int(ts_cmd(c, "DEL {m}a {m}nosuch {m}b"), 2);
    ts_assert_bulk(ts_cmd(c, "GETDEL n"), "-0.5");
    ts_assert_int(ts_cmd(c, "EXPIRE k -1"), 1);
    expect_events(s, "__keyevent@0__:append k", "__keyevent@0__:setrange k", "__keyevent@0__:persist k",
                  "__keyevent@0__:incrby n", "__keyevent@0__:incrby n", "__keyevent@0__:incrbyfloat n",
                  "__keyevent@0__:set {m}a", "__keyevent@0__:set {m}b", "__keyevent@0__:setbit bits",
                  "__keyevent@0__:del {m}a", "__keyevent@0__:del {m}b", "__keyevent@0__:del n", "__keyevent@0__:del k", NULL);
    /* a class left out raises nothing */
    ts_assert_ok(ts_cmd(c, "CONFIG SET notify-keyspace-events Eg"));
    ts_assert_ok(ts_cmd(c, "SET quiet 1"));
    ts_assert_int(ts_cmd(c, "EXPIRE quiet 100"), 1);
    expect_events(s, "__keyevent@0__:expire quiet", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, rename_move_copy_restore)
{
    redisContext *c = with_events("Eg"), *s = subscriber();
    ts_assert_ok(ts_cmd(c, "SET src v"));
    ts_assert_ok(ts_cmd(c, "RENAME src dst")); /* different shards at --shards 4 */
    ts_assert_int(ts_cmd(c, "COPY dst other DB 3"), 1);
    ts_assert_int(ts_cmd(c, "MOVE dst 2"), 1);
    expect_events(s, "__keyevent@0__:rename_from src", "__keyevent@0__:rename_to dst",
                  "__keyevent@3__:copy_to other", "__keyevent@0__:move_from dst", "__keyevent@2__:move_to dst", NULL);
    ts_assert_ok(ts_cmd(c, "SET d payload"));
    redisReply *dump = ts_cmd(c, "DUMP d");
    cr_assert(dump->type == REDIS_REPLY_STRING, "DUMP");
    ts_assert_ok(ts_cmd(c, "RESTORE r 0 %b", dump->str, dump->len));
    ts_assert_ok(ts_cmd(c, "RESTORE r 1 %b REPLACE ABSTTL", dump->str, dump->len)); /* expired: only del */
    freeReplyObject(dump);
    expect_events(s, "__keyevent@0__:restore r", "__keyevent@0__:del r", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, lists)
{
    redisContext *c = with_events("Egl"), *s = subscriber();
    ts_assert_int(ts_cmd(c, "RPUSH l a b c d"), 4);
    ts_assert_int(ts_cmd(c, "LPUSHX nolist x"), 0);
    ts_assert_bulk(ts_cmd(c, "LPOP l"), "a");
    ts_assert_ok(ts_cmd(c, "LSET l 0 B"));
    ts_assert_int(ts_cmd(c, "LINSERT l BEFORE B z"), 4);
    ts_assert_int(ts_cmd(c, "LREM l 0 nothing"), 0);
    ts_assert_int(ts_cmd(c, "LREM l 1 z"), 1);
    ts_assert_bulk(ts_cmd(c, "LMOVE l l2 RIGHT LEFT"), "d");
    ts_assert_ok(ts_cmd(c, "LTRIM l 5 10"));
    expect_events(s, "__keyevent@0__:rpush l", "__keyevent@0__:lpop l", "__keyevent@0__:lset l",
                  "__keyevent@0__:linsert l", "__keyevent@0__:lrem l", "__keyevent@0__:lpush l2",
                  "__keyevent@0__:rpop l", "__keyevent@0__:ltrim l", "__keyevent@0__:del l", NULL);
    ts_assert_bulk(ts_cmd(c, "RPOPLPUSH l2 l2"), "d");
    redisReply *r = ts_cmd(c, "LMPOP 2 nolist l2 LEFT COUNT 5");
    cr_assert(r->type == REDIS_REPLY_ARRAY, "LMPOP");
    freeReplyObject(r);
    expect_events(s, "__keyevent@0__:lpush l2", "__keyevent@0__:rpop l2", "__keyevent@0__:lpop l2",
                  "__keyevent@0__:del l2", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, sets_hashes_zsets)
{
    redisContext *c = with_events("Egshz"), *s = subscriber();
    ts_assert_int(ts_cmd(c, "SADD s a b"), 2);
    ts_assert_int(ts_cmd(c, "SADD s a"), 0);
    ts_assert_int(ts_cmd(c, "SREM s x"), 0);
    ts_assert_int(ts_cmd(c, "SMOVE s s2 a"), 1);
    ts_assert_int(ts_cmd(c, "SREM s b"), 1);
    expect_events(s, "__keyevent@0__:sadd s", "__keyevent@0__:srem s", "__keyevent@0__:sadd s2",
                  "__keyevent@0__:srem s", "__keyevent@0__:del s", NULL);
    ts_assert_int(ts_cmd(c, "HSET h f 1 g 2"), 2);
    ts_assert_int(ts_cmd(c, "HSETNX h f 3"), 0);
    ts_assert_int(ts_cmd(c, "HINCRBY h f 5"), 6);
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h g 0.5"), "2.5");
    ts_assert_int(ts_cmd(c, "HDEL h f g x"), 2);
    expect_events(s, "__keyevent@0__:hset h", "__keyevent@0__:hincrby h", "__keyevent@0__:hincrbyfloat h",
                  "__keyevent@0__:hdel h", "__keyevent@0__:del h", NULL);
    ts_assert_int(ts_cmd(c, "ZADD z 1 a 2 b 3 c 4 d"), 4);
    ts_assert_int(ts_cmd(c, "ZADD z NX 9 a"), 0);
    ts_assert_bulk(ts_cmd(c, "ZINCRBY z 1 a"), "2");
    ts_assert_int(ts_cmd(c, "ZREM z a nosuch"), 1);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYSCORE z 100 200"), 0);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYRANK z 0 0"), 1);
    redisReply *r = ts_cmd(c, "ZPOPMAX z");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "ZREMRANGEBYLEX z - +"), 1);
    expect_events(s, "__keyevent@0__:zadd z", "__keyevent@0__:zincr z", "__keyevent@0__:zrem z",
                  "__keyevent@0__:zremrangebyrank z", "__keyevent@0__:zpopmax z", "__keyevent@0__:zremrangebylex z",
                  "__keyevent@0__:del z", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, store_commands)
{
    redisContext *c = with_events("Egslz"), *s = subscriber();
    ts_assert_int(ts_cmd(c, "SADD {t}a 1 2"), 2);
    ts_assert_int(ts_cmd(c, "SADD {t}b 2 3"), 2);
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}i {t}a {t}b"), 1);
    ts_assert_int(ts_cmd(c, "SINTERSTORE {t}i {t}a {t}none"), 0);
    ts_assert_int(ts_cmd(c, "SUNIONSTORE dst {t}a {t}b"), 3); /* dst elsewhere at --shards 4 */
    ts_assert_int(ts_cmd(c, "SORT {t}a STORE {t}sorted"), 2);
    ts_assert_int(ts_cmd(c, "ZUNIONSTORE zdst 2 {t}a {t}b"), 3);
    ts_assert_int(ts_cmd(c, "ZRANGESTORE zr zdst 0 0"), 1);
    ts_assert_int(ts_cmd(c, "ZRANGESTORE zr zdst 5 6"), 0);
    expect_events(s, "__keyevent@0__:sadd {t}a", "__keyevent@0__:sadd {t}b", "__keyevent@0__:sinterstore {t}i",
                  "__keyevent@0__:del {t}i", "__keyevent@0__:sunionstore dst", "__keyevent@0__:sortstore {t}sorted",
                  "__keyevent@0__:zunionstore zdst", "__keyevent@0__:zrangestore zr", "__keyevent@0__:del zr", NULL);
    ts_assert_int(ts_cmd(c, "GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"), 2);
    ts_assert_int(ts_cmd(c, "GEORADIUS geo 15 37 200 km STORE near"), 2);
    ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE near2 geo FROMLONLAT 15 37 BYRADIUS 200 km"), 2);
    ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE near2 geo FROMLONLAT 0 0 BYRADIUS 1 km"), 0);
    ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE near3 nogeo FROMLONLAT 0 0 BYRADIUS 1 km"), 0);
    expect_events(s, "__keyevent@0__:zadd geo", "__keyevent@0__:georadiusstore near",
                  "__keyevent@0__:geosearchstore near2", "__keyevent@0__:del near2", NULL);
    ts_assert_ok(ts_cmd(c, "CONFIG SET notify-keyspace-events E$"));
    ts_assert_int(ts_cmd(c, "PFADD hll a b"), 1);
    ts_assert_int(ts_cmd(c, "PFADD hll a"), 0);
    ts_assert_ok(ts_cmd(c, "PFMERGE hll2 hll"));
    expect_events(s, "__keyevent@0__:pfadd hll", "__keyevent@0__:pfadd hll2", NULL);
    redisFree(s);
    redisFree(c);
}

/* Redis's unit/pubsub "stream events test", and XADD's trim, XDEL, XTRIM
 * and XSETID. */
TS_TEST(notify, streams)
{
    redisContext *c = with_events("Kt"), *s = subscriber();
    redisReply *r = ts_cmd(c, "XGROUP CREATE mystream mygroup $ MKSTREAM");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "XGROUP CREATECONSUMER mystream mygroup Bob"), 1);
    ts_assert_bulk(ts_cmd(c, "XADD mystream 1-0 field1 A"), "1-0");
    freeReplyObject(ts_cmd(c, "XREADGROUP GROUP mygroup Alice STREAMS mystream >"));
    freeReplyObject(ts_cmd(c, "XCLAIM mystream mygroup Mike 0 1-0 FORCE"));
    ts_assert_int(ts_cmd(c, "XGROUP DELCONSUMER mystream mygroup Lee"), 0); /* no Lee: nothing */
    freeReplyObject(ts_cmd(c, "XAUTOCLAIM mystream mygroup Bob 0 1-0"));  /* Bob exists: nothing */
    ts_assert_int(ts_cmd(c, "XGROUP DESTROY mystream mygroup"), 1);
    ts_assert_bulk(ts_cmd(c, "XADD mystream MAXLEN 1 2-0 f B"), "2-0");
    ts_assert_int(ts_cmd(c, "XDEL mystream 1-0"), 0); /* already trimmed */
    ts_assert_int(ts_cmd(c, "XTRIM mystream MAXLEN 0"), 1);
    ts_assert_ok(ts_cmd(c, "XSETID mystream 5-0"));
    expect_events(s, "__keyspace@0__:mystream xgroup-create", "__keyspace@0__:mystream xgroup-createconsumer",
                  "__keyspace@0__:mystream xadd", "__keyspace@0__:mystream xgroup-createconsumer",
                  "__keyspace@0__:mystream xgroup-createconsumer", "__keyspace@0__:mystream xgroup-destroy",
                  "__keyspace@0__:mystream xadd", "__keyspace@0__:mystream xtrim", "__keyspace@0__:mystream xtrim",
                  "__keyspace@0__:mystream xsetid", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, expired_lazily_and_actively)
{
    redisContext *c = with_events("Ex"), *s = subscriber();
    ts_assert_ok(ts_cmd(c, "SET lazy v PX 1"));
    ts_sleep_ms(20);
    ts_assert_nil(ts_cmd(c, "GET lazy"));
    expect_events(s, "__keyevent@0__:expired lazy", NULL);
    ts_assert_ok(ts_cmd(c, "SET active v PX 1"));
    char got[512];
    next_event(s, got, sizeof got); /* the server's timer finds it, nobody asking */
    cr_assert_str_eq(got, "__keyevent@0__:expired active");
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, new_and_keymiss)
{
    redisContext *c = with_events("Enm"), *s = subscriber();
    ts_assert_nil(ts_cmd(c, "GET missing"));
    ts_assert_ok(ts_cmd(c, "SET fresh 1"));
    ts_assert_ok(ts_cmd(c, "SET fresh 2"));
    ts_assert_int(ts_cmd(c, "RPUSH list x"), 1);
    expect_events(s, "__keyevent@0__:keymiss missing", "__keyevent@0__:new fresh", "__keyevent@0__:new list", NULL);
    redisFree(s);
    redisFree(c);
}

TS_TEST(notify, evicted)
{
    redisContext *c = with_events("Ee"), *s = subscriber();
    ts_assert_ok(ts_cmd(c, "CONFIG SET maxmemory-policy allkeys-random"));
    for (int i = 0; i < 200; i++) ts_append(c, "SET big:%d %0512d", i, i);
    for (int i = 0; i < 200; i++) ts_assert_ok(ts_reply(c));
    long long used = ts_info_ll(c, "used_memory");
    ts_assert_ok(ts_cmd(c, "CONFIG SET maxmemory %lld", used - 20000));
    char got[512];
    next_event(s, got, sizeof got);
    cr_assert(strncmp(got, "__keyevent@0__:evicted big:", 27) == 0, "got %s", got);
    ts_assert_ok(ts_cmd(c, "CONFIG SET maxmemory 0"));
    redisFree(s);
    redisFree(c);
}

/* One client's writes to keys on every shard all reach subscribers on
 * every shard, those raised by one shard in the order it raised them
 * (README "Limits": the events of different shards may interleave
 * differently from the client's order under load). */
TS_TEST(notify, order_across_shards)
{
    enum { SUBS = 8, WRITES = 2000 };
    redisContext *c = with_events("E$"), *subs[SUBS];
    for (int i = 0; i < SUBS; i++) subs[i] = subscriber();
    for (int w = 0; w < WRITES; w++) ts_append(c, "SET key:%d %d", w, w); /* pipelined: no pause between */
    for (int w = 0; w < WRITES; w++) ts_assert_ok(ts_reply(c));
    char got[512], key[32];
    for (int i = 0; i < SUBS; i++) {
        int last[4] = {-1, -1, -1, -1}, seen = 0;
        for (int w = 0; w < WRITES; w++) {
            next_event(subs[i], got, sizeof got);
            int k;
            cr_assert(sscanf(got, "__keyevent@0__:set key:%d", &k) == 1, "subscriber %d got %s", i, got);
            snprintf(key, sizeof key, "key:%d", k);
            unsigned q = ts_shards() == 4 ? ts_key_quarter(key) : 0;
            cr_assert_gt(k, last[q], "subscriber %d: key:%d after key:%d of the same shard", i, k, last[q]);
            last[q] = k;
            seen++;
        }
        cr_assert_eq(seen, WRITES);
        redisFree(subs[i]);
    }
    redisFree(c);
}

TS_TEST(notify, multi_and_scripts)
{
    redisContext *c = with_events("E$g"), *s = subscriber();
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "SET {m}x 1"), "QUEUED");
    ts_assert_status(ts_cmd(c, "SET {m}y 2"), "QUEUED");
    ts_assert_status(ts_cmd(c, "DEL {m}x"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "EXEC");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "EVAL %s 2 {m}sx {m}sy", "redis.call('set', KEYS[1], 1) redis.call('incr', KEYS[2]) return 1"),
                  1);
    expect_events(s, "__keyevent@0__:set {m}x", "__keyevent@0__:set {m}y", "__keyevent@0__:del {m}x",
                  "__keyevent@0__:set {m}sx", "__keyevent@0__:incrby {m}sy", NULL);
    redisFree(s);
    redisFree(c);
}
