/* test_streams.c — stream commands over TCP: XADD's IDs, options and
 * errors, ranges (exclusive, COUNT, reverse), XDEL, XTRIM, XSETID, XINFO
 * STREAM, the generic commands on a stream (TYPE, COPY, RENAME, DUMP /
 * RESTORE), XREAD over keys on one shard (hash tags) and on several, and
 * XREAD BLOCK woken by an XADD from another connection. Every expectation
 * also holds on redis-server 7.0 (suite 'redis'). */
#include "coll_util.h"

#include <unistd.h>

#include "ringkv/base/alloc.h"

TestSuite(streams, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define BAD_ID "ERR Invalid stream ID specified as stream command argument"

/* A compact text of a reply: ["1-0", ["f", "v"]], 3, (nil), +OK. */
static size_t describe(const redisReply *r, char *buf, size_t cap)
{
    size_t n = 0;
#define PUT(...) (n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__))
    switch (r->type) {
    case REDIS_REPLY_STRING: PUT("\"%s\"", r->str); break;
    case REDIS_REPLY_INTEGER: PUT("%lld", r->integer); break;
    case REDIS_REPLY_STATUS: PUT("+%s", r->str); break;
    case REDIS_REPLY_ERROR: PUT("-%s", r->str); break;
    case REDIS_REPLY_ARRAY:
        PUT("[");
        for (size_t i = 0; i < r->elements; i++) {
            if (i) PUT(", ");
            n += describe(r->element[i], buf + (n < cap ? n : cap), n < cap ? cap - n : 0);
        }
        PUT("]");
        break;
    default: PUT("(nil)"); break;
    }
#undef PUT
    return n;
}

/* The reply, described compactly, equals want. */
#define assert_reply_text(expr, want)                                        \
    do {                                                                     \
        redisReply *r_ = (expr);                                             \
        char d_[4096];                                                       \
        describe(r_, d_, sizeof d_);                                         \
        freeReplyObject(r_);                                                 \
        cr_assert_str_eq(d_, want, "%s: got %s", #expr, d_);                 \
    } while (0)

TS_TEST(streams, xadd_ids_and_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD s 1-1 a 1"), "1-1");
    ts_assert_bulk(ts_cmd(c, "XADD s 1-* a 2"), "1-2");
    ts_assert_bulk(ts_cmd(c, "XADD s 5 a 3"), "5-0");
    ts_assert_bulk(ts_cmd(c, "XADD s 7-* a 4"), "7-0");
    ts_assert_error(ts_cmd(c, "XADD s 7-0 a 1"),
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    ts_assert_error(ts_cmd(c, "XADD s 6-* a 1"),
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    ts_assert_error(ts_cmd(c, "XADD s 0-0 a 1"), "ERR The ID specified in XADD must be greater than 0-0");
    ts_assert_error(ts_cmd(c, "XADD s 1-x a 1"), BAD_ID);
    ts_assert_error(ts_cmd(c, "XADD s + a 1"), BAD_ID);
    ts_assert_error(ts_cmd(c, "XADD s 8-0 a"), "ERR wrong number of arguments for 'xadd' command");
    ts_assert_error(ts_cmd(c, "XADD s 8-0 a 1 b"), "ERR wrong number of arguments for 'xadd' command");
    ts_assert_int(ts_cmd(c, "XLEN s"), 4);
    /* "*" takes the clock, above the top when the top is in the future */
    ts_assert_ok(ts_cmd(c, "XSETID s 99999999999999-5"));
    ts_assert_bulk(ts_cmd(c, "XADD s * a 5"), "99999999999999-6");
    ts_assert_ok(ts_cmd(c, "XSETID s 18446744073709551615-18446744073709551615"));
    ts_assert_error(ts_cmd(c, "XADD s * a 1"),
                    "ERR The stream has exhausted the last possible ID, unable to add more items");
    /* NOMKSTREAM, wrong types */
    ts_assert_nil(ts_cmd(c, "XADD nos NOMKSTREAM * a 1"));
    ts_assert_int(ts_cmd(c, "EXISTS nos"), 0);
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_error(ts_cmd(c, "XADD str * a 1"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "XLEN str"), WRONGTYPE);
    ts_assert_int(ts_cmd(c, "XLEN nos"), 0);
    ts_assert_status(ts_cmd(c, "TYPE s"), "stream");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING s"), "stream");
    redisFree(c);
}

TS_TEST(streams, trim_options)
{
    redisContext *c = ts_connect(g_server);
    for (int i = 1; i <= 10; i++) ts_append(c, "XADD s %d-0 f %d", i, i);
    for (int i = 1; i <= 10; i++) freeReplyObject(ts_reply(c));
    ts_assert_bulk(ts_cmd(c, "XADD s MAXLEN 5 11-0 f 11"), "11-0");
    ts_assert_int(ts_cmd(c, "XLEN s"), 5);
    assert_reply_text(ts_cmd(c, "XRANGE s - + COUNT 1"), "[[\"7-0\", [\"f\", \"7\"]]]");
    ts_assert_int(ts_cmd(c, "XTRIM s MINID 9"), 2);
    ts_assert_int(ts_cmd(c, "XTRIM s MAXLEN = 1"), 2);
    ts_assert_int(ts_cmd(c, "XLEN s"), 1);
    /* "~" drops whole nodes only: this one holds the last entry */
    ts_assert_int(ts_cmd(c, "XTRIM s MAXLEN ~ 0"), 1);
    ts_assert_int(ts_cmd(c, "XLEN s"), 0);
    ts_assert_status(ts_cmd(c, "TYPE s"), "stream"); /* an empty stream stays */
    ts_assert_error(ts_cmd(c, "XTRIM s LIMIT 0"), "ERR syntax error, XTRIM must be called with a trimming strategy");
    ts_assert_error(ts_cmd(c, "XTRIM s MAXLEN 1 LIMIT 10"),
                    "ERR syntax error, LIMIT cannot be used without the special ~ option");
    ts_assert_error(ts_cmd(c, "XADD s LIMIT 10 * f v"),
                    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    ts_assert_error(ts_cmd(c, "XADD s MAXLEN 1 MINID 1 * f v"),
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
    ts_assert_error(ts_cmd(c, "XTRIM s MAXLEN -1"), "ERR The MAXLEN argument must be >= 0.");
    ts_assert_error(ts_cmd(c, "XTRIM s MAXLEN ~ 1 LIMIT -1"), "ERR The LIMIT argument must be >= 0.");
    ts_assert_error(ts_cmd(c, "XTRIM s MAXLEN x"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "XTRIM s FOO 1"), "ERR syntax error");
    ts_assert_int(ts_cmd(c, "XTRIM missing MAXLEN 0"), 0);
    /* with small nodes "~" drops the whole nodes it may, LIMIT caps it */
    ts_assert_ok(ts_cmd(c, "CONFIG SET stream-node-max-entries 2"));
    for (int i = 1; i <= 10; i++) ts_append(c, "XADD t %d-0 f %d", i, i);
    for (int i = 1; i <= 10; i++) freeReplyObject(ts_reply(c));
    ts_assert_int(ts_cmd(c, "XTRIM t MAXLEN ~ 5 LIMIT 2"), 2);
    ts_assert_int(ts_cmd(c, "XTRIM t MAXLEN ~ 5"), 2);
    ts_assert_int(ts_cmd(c, "XLEN t"), 6);
    /* three nodes (masters 5-0, 7-0, 9-0): Redis's rax has a shared run,
     * a fork, and a run and a leaf per key */
    redisReply *info = ts_cmd(c, "XINFO STREAM t");
    cr_assert(info->type == REDIS_REPLY_ARRAY && info->elements >= 6);
    cr_assert_str_eq(info->element[2]->str, "radix-tree-keys");
    cr_assert_eq(info->element[3]->integer, 3);
    cr_assert_eq(info->element[5]->integer, 8);
    freeReplyObject(info);
    redisFree(c);
}

TS_TEST(streams, ranges_and_deletes)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD s 1-0 a 1 b 2"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD s 1-1 a 3 b 4"), "1-1");
    ts_assert_bulk(ts_cmd(c, "XADD s 2-0 c 5"), "2-0");
    assert_reply_text(ts_cmd(c, "XRANGE s - +"),
                      "[[\"1-0\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-1\", [\"a\", \"3\", \"b\", \"4\"]], "
                      "[\"2-0\", [\"c\", \"5\"]]]");
    assert_reply_text(ts_cmd(c, "XRANGE s (1-0 2"), "[[\"1-1\", [\"a\", \"3\", \"b\", \"4\"]], [\"2-0\", [\"c\", \"5\"]]]");
    assert_reply_text(ts_cmd(c, "XRANGE s 1 (2-0"), "[[\"1-0\", [\"a\", \"1\", \"b\", \"2\"]], [\"1-1\", [\"a\", \"3\", \"b\", \"4\"]]]");
    assert_reply_text(ts_cmd(c, "XREVRANGE s + - COUNT 1"), "[[\"2-0\", [\"c\", \"5\"]]]");
    assert_reply_text(ts_cmd(c, "XRANGE s - + COUNT 0"), "(nil)");
    assert_reply_text(ts_cmd(c, "XRANGE missing - +"), "[]");
    ts_assert_error(ts_cmd(c, "XRANGE s (18446744073709551615-18446744073709551615 +"),
                    "ERR invalid start ID for the interval");
    ts_assert_error(ts_cmd(c, "XRANGE s - (0-0"), "ERR invalid end ID for the interval");
    ts_assert_error(ts_cmd(c, "XRANGE s (- +"), BAD_ID);
    ts_assert_error(ts_cmd(c, "XRANGE s - + LIMIT 1"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "XDEL s 1-0 bad"), BAD_ID);
    ts_assert_int(ts_cmd(c, "XDEL s 1-0 1-0 9-9"), 1);
    ts_assert_int(ts_cmd(c, "XLEN s"), 2);
    assert_reply_text(ts_cmd(c, "XRANGE s - + COUNT 1"), "[[\"1-1\", [\"a\", \"3\", \"b\", \"4\"]]]");
    ts_assert_int(ts_cmd(c, "XDEL missing 1-0"), 0);
    /* XSETID's checks */
    ts_assert_error(ts_cmd(c, "XSETID s 1-0"), "ERR The ID specified in XSETID is smaller than the target stream top item");
    ts_assert_error(ts_cmd(c, "XSETID s 5-0 ENTRIESADDED 1"),
                    "ERR The entries_added specified in XSETID is smaller than the target stream length");
    ts_assert_error(ts_cmd(c, "XSETID s 5-0 MAXDELETEDID 6-0"),
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
    ts_assert_error(ts_cmd(c, "XSETID missing 5-0"), "ERR no such key");
    ts_assert_ok(ts_cmd(c, "XSETID s 5-0 ENTRIESADDED 10 MAXDELETEDID 4-0"));
    assert_reply_text(ts_cmd(c, "XINFO STREAM s"),
                      "[\"length\", 2, \"radix-tree-keys\", 1, \"radix-tree-nodes\", 2, \"last-generated-id\", "
                      "\"5-0\", \"max-deleted-entry-id\", \"4-0\", \"entries-added\", 10, "
                      "\"recorded-first-entry-id\", \"1-1\", \"groups\", 0, \"first-entry\", [\"1-1\", [\"a\", "
                      "\"3\", \"b\", \"4\"]], \"last-entry\", [\"2-0\", [\"c\", \"5\"]]]");
    ts_assert_error(ts_cmd(c, "XINFO STREAM missing"), "ERR no such key");
    ts_assert_error(ts_cmd(c, "XINFO STREAM missing FULL COUNT"), "ERR no such key"); /* the key comes first */
    ts_assert_error(ts_cmd(c, "XINFO STREAM s FULL COUNT"),
                    "ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.");
    redisFree(c);
}

TS_TEST(streams, generic_commands_and_dump)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD {t}s 1-0 a 1"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD {t}s 2-0 a 2 b 3"), "2-0");
    ts_assert_int(ts_cmd(c, "XDEL {t}s 1-0"), 1);
    ts_assert_int(ts_cmd(c, "COPY {t}s {t}c"), 1);
    ts_assert_ok(ts_cmd(c, "RENAME {t}c other"));
    assert_reply_text(ts_cmd(c, "XRANGE other - +"), "[[\"2-0\", [\"a\", \"2\", \"b\", \"3\"]]]");
    redisReply *d = ts_cmd(c, "DUMP {t}s");
    cr_assert_eq(d->type, REDIS_REPLY_STRING);
    redisReply *r = redisCommand(c, "RESTORE restored 0 %b", d->str, d->len);
    freeReplyObject(d);
    ts_assert_ok(r);
    assert_reply_text(ts_cmd(c, "XRANGE restored - +"), "[[\"2-0\", [\"a\", \"2\", \"b\", \"3\"]]]");
    assert_reply_text(ts_cmd(c, "XINFO STREAM restored FULL"),
                      "[\"length\", 1, \"radix-tree-keys\", 1, \"radix-tree-nodes\", 2, \"last-generated-id\", "
                      "\"2-0\", \"max-deleted-entry-id\", \"1-0\", \"entries-added\", 2, "
                      "\"recorded-first-entry-id\", \"2-0\", \"entries\", [[\"2-0\", [\"a\", \"2\", \"b\", \"3\"]]], "
                      "\"groups\", []]");
    /* a corrupt payload (a listpack byte changed, checksum fixed) is refused */
    ts_assert_error(ts_cmd(c, "RESTORE bad 0 \"\\x13\\x01\\x10garbage\""), "ERR DUMP payload version or checksum are wrong");
    ts_assert_int(ts_cmd(c, "EXPIRE other 100"), 1);
    ts_assert_int(ts_cmd(c, "DEL other restored"), 2);
    ts_assert_int(ts_cmd(c, "EXISTS {t}s other restored"), 1);
    redisFree(c);
}

TS_TEST(streams, xread_one_and_several_shards)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD {t}a 1-0 f 1"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD {t}b 2-0 f 2"), "2-0");
    assert_reply_text(ts_cmd(c, "XREAD STREAMS {t}a {t}b 0 1-0"),
                      "[[\"{t}a\", [[\"1-0\", [\"f\", \"1\"]]]], [\"{t}b\", [[\"2-0\", [\"f\", \"2\"]]]]]");
    assert_reply_text(ts_cmd(c, "XREAD STREAMS {t}a {t}b $ 2-0"), "(nil)");
    /* keys on every shard, read in argument order */
    const char *spread[] = {"x", "y", "z", "w", "v", "u", "q", "p"};
    if (!ts_is_redis() && ts_shards() == 4) ts_assert_spread(spread, 8, 4);
    for (int i = 0; i < 8; i++) ts_append(c, "XADD %s %d-0 f %d", spread[i], i + 1, i + 1);
    for (int i = 0; i < 8; i++) freeReplyObject(ts_reply(c));
    assert_reply_text(ts_cmd(c, "XREAD COUNT 1 STREAMS x y z w v u q p 0 2 0 0 0 0 0 8"),
                      "[[\"x\", [[\"1-0\", [\"f\", \"1\"]]]], [\"z\", [[\"3-0\", [\"f\", \"3\"]]]], "
                      "[\"w\", [[\"4-0\", [\"f\", \"4\"]]]], [\"v\", [[\"5-0\", [\"f\", \"5\"]]]], "
                      "[\"u\", [[\"6-0\", [\"f\", \"6\"]]]], [\"q\", [[\"7-0\", [\"f\", \"7\"]]]]]");
    assert_reply_text(ts_cmd(c, "XREAD BLOCK 10 STREAMS x nosuch $ $"), "(nil)");
    ts_assert_error(ts_cmd(c, "XREAD STREAMS x y 0"),
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
    ts_assert_error(ts_cmd(c, "XREAD GROUP g c STREAMS x 0"),
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
    ts_assert_error(ts_cmd(c, "XREAD NOACK STREAMS x 0"),
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
    ts_assert_error(ts_cmd(c, "XREAD COUNT 1 x 0"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "XREAD BLOCK -1 STREAMS x 0"), "ERR timeout is negative");
    ts_assert_error(ts_cmd(c, "XREAD BLOCK 1.5 STREAMS x 0"), "ERR timeout is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "XREAD STREAMS x y bad 0"), BAD_ID);
    ts_assert_error(ts_cmd(c, "EVAL %s 1 x", "return redis.pcall('XREAD','BLOCK','x','STREAMS',KEYS[1],'0')"),
                    "ERR XREAD command is not allowed with BLOCK option from scripts");
    assert_reply_text(ts_cmd(c, "EVAL %s 1 x", "return redis.call('xread','count','1','streams',KEYS[1],'0')"),
                      "[[\"x\", [[\"1-0\", [\"f\", \"1\"]]]]]");
    ts_assert_ok(ts_cmd(c, "SET str v"));
    ts_assert_error(ts_cmd(c, "XREAD STREAMS x str 0 0"), WRONGTYPE);
    redisFree(c);
}

static long long blocked_clients(redisContext *c)
{
    redisReply *r = ts_cmd(c, "INFO clients");
    const char *p = strstr(r->str, "blocked_clients:");
    long long v = p ? atoll(p + strlen("blocked_clients:")) : -1;
    freeReplyObject(r);
    return v;
}

static void wait_blocked(redisContext *c, long long n)
{
    for (int i = 0; i < 5000 && blocked_clients(c) != n; i++) usleep(2000);
    cr_assert_eq(blocked_clients(c), n);
}

/* Sends cmd on b without waiting for the reply. */
static void send_only(redisContext *b, const char *cmd)
{
    int done = 0;
    redisAppendCommand(b, cmd);
    while (!done) cr_assert_eq(redisBufferWrite(b, &done), REDIS_OK);
}

static void block_then_add(const char *read_cmd, const char *add_cmd, const char *want)
{
    redisContext *c = ts_connect(g_server), *b = ts_connect(g_server);
    send_only(b, read_cmd);
    wait_blocked(c, 1);
    freeReplyObject(ts_cmd(c, add_cmd));
    redisReply *r;
    cr_assert_eq(redisGetReply(b, (void **)&r), REDIS_OK);
    assert_reply_text(r, want);
    wait_blocked(c, 0);
    redisFree(b);
    redisFree(c);
}

TS_TEST(streams, xread_block_woken_by_xadd)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD {t}a 1-0 old 1"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD x 1-0 old 1"), "1-0");
    /* "$" is the top at the call: what was there before is not read */
    block_then_add("XREAD BLOCK 5000 STREAMS {t}a {t}b $ $", "XADD {t}b 3-0 new 1",
                   "[[\"{t}b\", [[\"3-0\", [\"new\", \"1\"]]]]]");
    block_then_add("XREAD BLOCK 0 STREAMS {t}a 1-0", "XADD {t}a 2-0 new 2", "[[\"{t}a\", [[\"2-0\", [\"new\", \"2\"]]]]]");
    /* keys on several shards: the XADD reaches a waiter coordinated elsewhere */
    block_then_add("XREAD BLOCK 5000 STREAMS x y z w $ $ $ $", "XADD w 9-0 new 3",
                   "[[\"w\", [[\"9-0\", [\"new\", \"3\"]]]]]");
    block_then_add("XREAD BLOCK 5000 STREAMS x y z w $ $ $ $", "XADD x 9-0 new 4",
                   "[[\"x\", [[\"9-0\", [\"new\", \"4\"]]]]]");
    /* a key that became ready but holds another type now is no answer */
    redisContext *b = ts_connect(g_server);
    send_only(b, "XREAD BLOCK 5000 STREAMS {t}n $");
    wait_blocked(c, 1);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "XADD {t}n 1-0 old 1"), "QUEUED");
    ts_assert_status(ts_cmd(c, "DEL {t}n"), "QUEUED");
    ts_assert_status(ts_cmd(c, "LPUSH {t}n foo"), "QUEUED");
    freeReplyObject(ts_cmd(c, "EXEC"));
    ts_assert_int(ts_cmd(c, "DEL {t}n"), 1);
    ts_assert_bulk(ts_cmd(c, "XADD {t}n 2-0 new 1"), "2-0");
    redisReply *r;
    cr_assert_eq(redisGetReply(b, (void **)&r), REDIS_OK);
    assert_reply_text(r, "[[\"{t}n\", [[\"2-0\", [\"new\", \"1\"]]]]]");
    redisFree(b);
    /* a timeout answers a null array */
    long long t0 = ts_now_ms();
    assert_reply_text(ts_cmd(c, "XREAD BLOCK 50 STREAMS x y $ $"), "(nil)");
    cr_assert_geq(ts_now_ms() - t0, 40);
    /* inside MULTI it does not block */
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "XREAD BLOCK 0 STREAMS x $"), "QUEUED");
    assert_reply_text(ts_cmd(c, "EXEC"), "[(nil)]");
    redisFree(c);
}

static char g_dir[256];

static void dir_fini(void)
{
    ts_fixture_fini();
    if (g_dir[0]) ts_rmdir_files(g_dir);
    g_dir[0] = '\0';
}

static void assert_saved_streams(redisContext *c)
{
    assert_reply_text(ts_cmd(c, "XRANGE {t}s - +"), "[[\"2-0\", [\"b\", \"2\"]]]");
    assert_reply_text(ts_cmd(c, "XINFO STREAM plain"),
                      "[\"length\", 1, \"radix-tree-keys\", 1, \"radix-tree-nodes\", 2, \"last-generated-id\", "
                      "\"9-0\", \"max-deleted-entry-id\", \"3-0\", \"entries-added\", 7, "
                      "\"recorded-first-entry-id\", \"5-0\", \"groups\", 1, \"first-entry\", [\"5-0\", [\"f\", "
                      "\"v\"]], \"last-entry\", [\"5-0\", [\"f\", \"v\"]]]");
    ts_assert_int(ts_cmd(c, "XLEN empty"), 0);
    ts_assert_status(ts_cmd(c, "TYPE empty"), "stream");
    assert_reply_text(ts_cmd(c, "XPENDING plain g"), "[1, \"5-0\", \"5-0\", [[\"alice\", \"1\"]]]");
    assert_reply_text(ts_cmd(c, "XINFO GROUPS plain"),
                      "[[\"name\", \"g\", \"consumers\", 2, \"pending\", 1, \"last-delivered-id\", \"5-0\", "
                      "\"entries-read\", 7, \"lag\", 0]]");
}

/* SAVE and a restart keep streams, IDs and counters (an empty stream
 * too) and consumer groups with their pending entries and consumers;
 * redis-check-rdb accepts the file and redis-server loads it to the same
 * streams. */
Test(streams, save_restart_and_redis_loads_the_file, .fini = dir_fini)
{
    ts_mkdtemp(g_dir, sizeof g_dir);
    g_server = ts_start("--dir", g_dir, NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "XADD {t}s 1-0 a 1"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD {t}s 2-0 b 2"), "2-0");
    ts_assert_int(ts_cmd(c, "XDEL {t}s 1-0"), 1);
    ts_assert_bulk(ts_cmd(c, "XADD plain 5-0 f v"), "5-0");
    ts_assert_ok(ts_cmd(c, "XSETID plain 9-0 ENTRIESADDED 7 MAXDELETEDID 3-0"));
    ts_assert_bulk(ts_cmd(c, "XADD empty 1-0 f v"), "1-0");
    ts_assert_int(ts_cmd(c, "XDEL empty 1-0"), 1);
    ts_assert_ok(ts_cmd(c, "XGROUP CREATE plain g 0 ENTRIESREAD 6"));
    freeReplyObject(ts_cmd(c, "XREADGROUP GROUP g alice STREAMS plain >"));
    ts_assert_int(ts_cmd(c, "XGROUP CREATECONSUMER plain g bob"), 1);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    cr_assert_eq(ts_stop(g_server), 0);
    g_server = ts_start("--dir", g_dir, NULL);
    c = ts_connect(g_server);
    assert_saved_streams(c);
    redisFree(c);
    cr_assert_eq(ts_stop(g_server), 0);
    g_server = NULL;

    char path[300], *out;
    snprintf(path, sizeof path, "%s/dump.rdb", g_dir);
    int status = ts_runl(&out, 20000, "redis-check-rdb", path, NULL);
    cr_assert_eq(status, 0, "redis-check-rdb: %s", out);
    cr_assert(strstr(out, "[info] 3 keys read"), "redis-check-rdb: %s", out);
    rk_free(out);
    g_server = ts_start_redis("--dir", g_dir, NULL);
    c = ts_connect(g_server);
    assert_saved_streams(c);
    redisFree(c);
    cr_assert_eq(ts_stop(g_server), 0);
    g_server = NULL;
}

/* ---- consumer groups ---- */

TS_TEST(streams, groups_read_ack_pending)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "XGROUP CREATE s g $"),
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use "
                    "the MKSTREAM option to create an empty stream automatically.");
    ts_assert_ok(ts_cmd(c, "XGROUP CREATE s g $ MKSTREAM"));
    ts_assert_error(ts_cmd(c, "XGROUP CREATE s g $"), "BUSYGROUP Consumer Group name already exists");
    ts_assert_bulk(ts_cmd(c, "XADD s 1-0 a 1"), "1-0");
    ts_assert_bulk(ts_cmd(c, "XADD s 2-0 b 2"), "2-0");
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >"),
                      "[[\"s\", [[\"1-0\", [\"a\", \"1\"]]]]]");
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g bob STREAMS s >"), "[[\"s\", [[\"2-0\", [\"b\", \"2\"]]]]]");
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g bob STREAMS s >"), "(nil)");
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g alice STREAMS s 0"), "[[\"s\", [[\"1-0\", [\"a\", \"1\"]]]]]");
    assert_reply_text(ts_cmd(c, "XPENDING s g"), "[2, \"1-0\", \"2-0\", [[\"alice\", \"1\"], [\"bob\", \"1\"]]]");
    redisReply *r = ts_cmd(c, "XPENDING s g - + 10 alice");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 4);
    cr_assert_str_eq(r->element[0]->element[0]->str, "1-0");
    cr_assert_str_eq(r->element[0]->element[1]->str, "alice");
    cr_assert_eq(r->element[0]->element[3]->integer, 2); /* read again from the history */
    freeReplyObject(r);
    assert_reply_text(ts_cmd(c, "XPENDING s g IDLE 3600000 - + 10"), "[]");
    ts_assert_int(ts_cmd(c, "XACK s g 1-0 9-9"), 1);
    ts_assert_error(ts_cmd(c, "XACK s g 1-0 bad"), BAD_ID);
    ts_assert_int(ts_cmd(c, "XACK nokey g 1-0"), 0);
    assert_reply_text(ts_cmd(c, "XINFO GROUPS s"),
                      "[[\"name\", \"g\", \"consumers\", 2, \"pending\", 1, \"last-delivered-id\", \"2-0\", "
                      "\"entries-read\", 2, \"lag\", 0]]");
    /* an entry deleted while pending reads back as [id, nil] */
    ts_assert_int(ts_cmd(c, "XDEL s 2-0"), 1);
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g bob STREAMS s 0"), "[[\"s\", [[\"2-0\", (nil)]]]]");
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g carol STREAMS s 0"), "[[\"s\", []]]");
    ts_assert_error(ts_cmd(c, "XREADGROUP GROUP nog c STREAMS s >"),
                    "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option");
    ts_assert_error(ts_cmd(c, "XREADGROUP GROUP g c STREAMS s $"),
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this "
                    "consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just "
                    "return an empty result set.");
    ts_assert_error(ts_cmd(c, "XREAD STREAMS s >"),
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> "
                    "option.");
    ts_assert_error(ts_cmd(c, "XREADGROUP COUNT 1 NOACK STREAMS s >"), "ERR Missing GROUP option for XREADGROUP");
    /* consumers and the group's position */
    ts_assert_int(ts_cmd(c, "XGROUP CREATECONSUMER s g dave"), 1);
    ts_assert_int(ts_cmd(c, "XGROUP CREATECONSUMER s g dave"), 0);
    ts_assert_int(ts_cmd(c, "XGROUP DELCONSUMER s g bob"), 1);
    ts_assert_int(ts_cmd(c, "XGROUP DELCONSUMER s g nobody"), 0);
    ts_assert_error(ts_cmd(c, "XGROUP DELCONSUMER s nog x"), "NOGROUP No such consumer group 'nog' for key name 's'");
    ts_assert_ok(ts_cmd(c, "XGROUP SETID s g 0"));
    assert_reply_text(ts_cmd(c, "XREADGROUP GROUP g erin NOACK STREAMS s >"), "[[\"s\", [[\"1-0\", [\"a\", \"1\"]]]]]");
    assert_reply_text(ts_cmd(c, "XPENDING s g"), "[0, (nil), (nil), (nil)]"); /* NOACK: nothing pending */
    ts_assert_error(ts_cmd(c, "XGROUP CREATE s g2 0 ENTRIESREAD -5"), "ERR value for ENTRIESREAD must be positive or -1");
    ts_assert_int(ts_cmd(c, "XGROUP DESTROY s g"), 1);
    ts_assert_int(ts_cmd(c, "XGROUP DESTROY s g"), 0);
    redisFree(c);
}

TS_TEST(streams, claim_and_autoclaim)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "XGROUP CREATE c g 0 MKSTREAM"));
    for (int i = 1; i <= 3; i++) ts_assert_bulk(ts_cmd(c, "XADD c %d-0 f %d", i, i), NULL);
    freeReplyObject(ts_cmd(c, "XREADGROUP GROUP g alice STREAMS c >"));
    assert_reply_text(ts_cmd(c, "XCLAIM c g bob 0 1-0 JUSTID"), "[\"1-0\"]");
    assert_reply_text(ts_cmd(c, "XCLAIM c g bob 3600000 2-0"), "[]"); /* not idle long enough */
    assert_reply_text(ts_cmd(c, "XCLAIM c g bob 0 2-0 RETRYCOUNT 7"), "[[\"2-0\", [\"f\", \"2\"]]]");
    redisReply *r = ts_cmd(c, "XPENDING c g - + 10 bob");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_assert_eq(r->element[0]->element[3]->integer, 1); /* JUSTID leaves the count */
    cr_assert_eq(r->element[1]->element[3]->integer, 7);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "XCLAIM c g bob 0 1-0 BADOPT"), "ERR Unrecognized XCLAIM option 'BADOPT'");
    ts_assert_error(ts_cmd(c, "XCLAIM c g bob x 1-0"), "ERR Invalid min-idle-time argument for XCLAIM");
    ts_assert_error(ts_cmd(c, "XCLAIM nokey g bob 0 1-0"), "NOGROUP No such key 'nokey' or consumer group 'g'");
    /* a deleted entry leaves the PEL and is listed apart */
    ts_assert_int(ts_cmd(c, "XDEL c 3-0"), 1);
    assert_reply_text(ts_cmd(c, "XAUTOCLAIM c g carol 0 0 COUNT 10 JUSTID"), "[\"0-0\", [\"1-0\", \"2-0\"], [\"3-0\"]]");
    assert_reply_text(ts_cmd(c, "XAUTOCLAIM c g dave 0 0 COUNT 1"), "[\"2-0\", [[\"1-0\", [\"f\", \"1\"]]], []]");
    ts_assert_error(ts_cmd(c, "XAUTOCLAIM c g dave 0 0 COUNT 0"), "ERR COUNT must be > 0");
    r = ts_cmd(c, "XINFO CONSUMERS c g");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4);
    const char *names[] = {"alice", "bob", "carol", "dave"};
    const long long pending[] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++) {
        cr_assert_str_eq(r->element[i]->element[1]->str, names[i]);
        cr_assert_eq(r->element[i]->element[3]->integer, pending[i]);
    }
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(streams, xreadgroup_block_and_wakeups)
{
    redisContext *c = ts_connect(g_server);
    const char *keys[] = {"x", "y", "z", "w"};
    for (int i = 0; i < 4; i++) ts_assert_ok(ts_cmd(c, "XGROUP CREATE %s g $ MKSTREAM", keys[i]));
    /* woken by an XADD on another shard, the entry then pending for it */
    block_then_add("XREADGROUP GROUP g alice BLOCK 5000 STREAMS x y z w > > > >", "XADD z 5-0 new 1",
                   "[[\"z\", [[\"5-0\", [\"new\", \"1\"]]]]]");
    assert_reply_text(ts_cmd(c, "XPENDING z g"), "[1, \"5-0\", \"5-0\", [[\"alice\", \"1\"]]]");
    ts_assert_error(ts_cmd(c, "XREADGROUP GROUP g bob BLOCK 5000 STREAMS {t}nokey >"),
                    "NOGROUP No such key '{t}nokey' or consumer group 'g' in XREADGROUP with GROUP option");
    /* the group destroyed, the key deleted: the reader is told */
    ts_assert_ok(ts_cmd(c, "XGROUP CREATE {t}q g $ MKSTREAM"));
    block_then_add("XREADGROUP GROUP g bob BLOCK 5000 STREAMS {t}q >", "XGROUP DESTROY {t}q g",
                   "-NOGROUP the consumer group this client was blocked on no longer exists");
    ts_assert_ok(ts_cmd(c, "XGROUP CREATE {t}q g $"));
    block_then_add("XREADGROUP GROUP g bob BLOCK 5000 STREAMS {t}q >", "DEL {t}q",
                   "-UNBLOCKED the stream key no longer exists");
    /* a reader that leaves while blocked got nothing: the group is as it was */
    redisContext *b = ts_connect(g_server);
    send_only(b, "XREADGROUP GROUP g gone BLOCK 0 STREAMS y >");
    wait_blocked(c, 1);
    redisFree(b);
    wait_blocked(c, 0);
    ts_assert_bulk(ts_cmd(c, "XADD y 7-0 f v"), "7-0");
    assert_reply_text(ts_cmd(c, "XPENDING y g"), "[0, (nil), (nil), (nil)]");
    assert_reply_text(ts_cmd(c, "XINFO GROUPS y"),
                      "[[\"name\", \"g\", \"consumers\", 0, \"pending\", 0, \"last-delivered-id\", \"0-0\", "
                      "\"entries-read\", (nil), \"lag\", 1]]");
    redisFree(c);
}
