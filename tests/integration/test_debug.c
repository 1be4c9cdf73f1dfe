/* DEBUG as Redis 7.0's test suite uses it: DIGEST and DIGEST-VALUE (Redis's
 * exact SHA1 digests, the dataset's combined over every shard), RELOAD,
 * SET-ACTIVE-EXPIRE, PROTOCOL in RESP2 and RESP3, OBJECT, SLEEP, and the
 * enable-debug-command directive that admits it. Every expectation holds
 * against redis-server too. */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TestSuite(debug, .timeout = 120);

#define NOT_ALLOWED                                                                                              \
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it "   \
    "from a local connection, otherwise you need to set this option in the configuration file, and then "     \
    "restart the server."

/* A test with its own server that admits DEBUG. */
#define DEBUG_TEST(name, ...)                                                                                    \
    static void debug_body_##name(void);                                                                       \
    Test(debug, name, .fini = ts_fixture_fini, ##__VA_ARGS__)                                                  \
    {                                                                                                          \
        g_server = ts_start("--enable-debug-command", "yes", NULL);                                            \
        debug_body_##name();                                                                                   \
        ts_fixture_stop();                                                                                     \
    }                                                                                                          \
    static void debug_body_##name(void)

/* Keys spread over the 4 shards of a 4-shard server. */
static const char *const spread[] = {"a", "b", "c", "d", "e", "f", "l", "h", "s", "z", "st", "k1", "k2", "k3"};

static char *digest(redisContext *c, char *out)
{
    redisReply *r = ts_cmd(c, "DEBUG DIGEST");
    cr_assert_eq(r->type, REDIS_REPLY_STATUS, "DEBUG DIGEST: type %d", r->type);
    cr_assert_eq(r->len, 40, "DEBUG DIGEST: %s", r->str);
    snprintf(out, 41, "%s", r->str);
    freeReplyObject(r);
    return out;
}

static void load_dataset(redisContext *c, bool reversed)
{
    if (!reversed) {
        ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 c 3 d 4 e 5 f hello"));
        ts_assert_int(ts_cmd(c, "RPUSH l a b c"), 3);
        ts_assert_int(ts_cmd(c, "HSET h a 1"), 1);
    } else {
        ts_assert_int(ts_cmd(c, "HSET h a 1"), 1);
        ts_assert_int(ts_cmd(c, "RPUSH l a b c"), 3);
        ts_assert_ok(ts_cmd(c, "MSET f hello e 5 d 4 c 3 b 2 a 1"));
    }
}

Test(debug, refused_unless_enabled, .fini = ts_fixture_fini)
{
    g_server = ts_start("--protected-mode", "yes", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "DEBUG DIGEST"), NOT_ALLOWED);
    ts_assert_error(ts_cmd(c, "DEBUG HELP"), NOT_ALLOWED);
    ts_assert_error(ts_cmd(c, "DEBUG SLEEP 0"), NOT_ALLOWED);
    ts_assert_array(ts_cmd(c, "CONFIG GET enable-debug-command"), "enable-debug-command", "no");
    ts_assert_error(ts_cmd(c, "CONFIG SET enable-debug-command yes"),
                    "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set "
                    "immutable config");
    redisFree(c);
    ts_fixture_stop();
}

/* "local": 127.0.0.1 may, 127.0.0.2 (loopback, but not local to Redis) may not. */
Test(debug, local_admits_only_local_clients, .fini = ts_fixture_fini)
{
    g_server = ts_start("--enable-debug-command", "local", "--protected-mode", "no", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_status(ts_cmd(c, "DEBUG DIGEST"), "0000000000000000000000000000000000000000");
    int fd = ts_tcp_connect_from("127.0.0.2", ts_port(g_server));
    cr_assert(fd >= 0, "connect from 127.0.0.2: %s", strerror(errno));
    cr_assert(send(fd, "DEBUG DIGEST\r\n", 14, MSG_NOSIGNAL) == 14);
    char buf[512];
    size_t n = 0;
    long long deadline = ts_now_ms() + 5000;
    while ((n < 2 || memcmp(buf + n - 2, "\r\n", 2) != 0) && ts_now_ms() < deadline) {
        ssize_t got = recv(fd, buf + n, sizeof buf - 1 - n, MSG_DONTWAIT);
        if (got > 0) n += (size_t)got;
        else ts_sleep_ms(10);
    }
    buf[n] = '\0';
    cr_assert_str_eq(buf, "-" NOT_ALLOWED "\r\n");
    close(fd);
    redisFree(c);
    ts_fixture_stop();
}

/* Redis's digests, for the values and for the dataset, whatever the order
 * the keys came in and whichever shards hold them. */
DEBUG_TEST(digest_is_redis_digest_over_every_shard)
{
    ts_assert_spread(spread, 8, 4);
    redisContext *c = ts_connect(g_server);
    char d0[41], d1[41], d2[41];
    cr_assert_str_eq(digest(c, d0), "0000000000000000000000000000000000000000");
    load_dataset(c, false);
    cr_assert_str_eq(digest(c, d1), "989549846bd780d328ae0ae1e4520bec10f1988e");
    ts_assert_ok(ts_cmd(c, "SET c 33"));
    cr_assert_str_neq(digest(c, d2), d1, "a changed value left the digest as it was");
    ts_assert_ok(ts_cmd(c, "SET c 3"));
    cr_assert_str_eq(digest(c, d2), d1);
    /* an expire counts, and so does the database a key is in */
    ts_assert_int(ts_cmd(c, "EXPIRE a 1000"), 1);
    cr_assert_str_neq(digest(c, d2), d1);
    ts_assert_int(ts_cmd(c, "PERSIST a"), 1);
    ts_assert_int(ts_cmd(c, "MOVE f 3"), 1);
    cr_assert_str_neq(digest(c, d2), d1);
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    load_dataset(c, true);
    cr_assert_str_eq(digest(c, d2), d1, "same dataset, other order, other digest");
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    cr_assert_str_eq(digest(c, d0), "0000000000000000000000000000000000000000");
    redisFree(c);
}

DEBUG_TEST(digest_value_per_key)
{
    redisContext *c = ts_connect(g_server);
    load_dataset(c, false);
    ts_assert_int(ts_cmd(c, "SADD s x y 1 2"), 4);
    ts_assert_int(ts_cmd(c, "ZADD z 1.5 a 2 b 3 10"), 3);
    redisReply *r = ts_cmd(c, "DEBUG DIGEST-VALUE a l h f nokey s z");
    static const char *const want[] = {
        "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da", "8bf72d812571eea9b927f3c11beb0c4165a6ff89",
        "626a7b57a269f8f179a44902458ecb2f5920d35d", "36b23a1456b2dce2c3ed252c456761301dba8060",
        "0000000000000000000000000000000000000000", "d9a5e496512416d64a1c5e6d33afd9f2f9c366c5",
        "b5c2bfeddffcffc54e11369182255db65f4a1a57"};
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 7);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(r->element[i]->type, REDIS_REPLY_STATUS, "element %zu", i);
        cr_assert_eq(r->element[i]->len, 40, "element %zu: %s", i, r->element[i]->str);
        cr_assert_str_eq(r->element[i]->str, want[i], "element %zu", i);
    }
    freeReplyObject(r);
    r = ts_cmd(c, "DEBUG DIGEST-VALUE");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0);
    freeReplyObject(r);
    /* equal values, equal digests, whatever the key */
    ts_assert_int(ts_cmd(c, "SADD s2 2 1 y x"), 4);
    r = ts_cmd(c, "DEBUG DIGEST-VALUE s s2");
    cr_assert_str_eq(r->element[0]->str, r->element[1]->str);
    freeReplyObject(r);
    redisFree(c);
}

DEBUG_TEST(reload_keeps_the_dataset)
{
    redisContext *c = ts_connect(g_server);
    load_dataset(c, false);
    ts_assert_int(ts_cmd(c, "SADD s x y 1 2"), 4);
    ts_assert_int(ts_cmd(c, "ZADD z 1.5 a 2 b 3 10"), 3);
    redisReply *r = ts_cmd(c, "XADD st 1-1 f v");
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "SET k1 v EX 1000"));
    ts_assert_ok(ts_cmd(c, "SELECT 2"));
    ts_assert_ok(ts_cmd(c, "SET k2 in-db-2"));
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    char before[41], after[41];
    digest(c, before);
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD"));
    cr_assert_str_eq(digest(c, after), before);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 12);
    r = ts_cmd(c, "TTL k1");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer > 900 && r->integer <= 1000, "TTL k1: %lld",
              r->integer);
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(c, "GET f"), "hello");
    /* NOSAVE loads what was saved: a key set since is gone */
    ts_assert_ok(ts_cmd(c, "SET k3 later"));
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD NOSAVE"));
    ts_assert_int(ts_cmd(c, "EXISTS k3"), 0);
    cr_assert_str_eq(digest(c, after), before);
    /* NOFLUSH MERGE adds the file to what is there */
    ts_assert_ok(ts_cmd(c, "SET k3 later"));
    ts_assert_ok(ts_cmd(c, "SET a changed"));
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD NOSAVE NOFLUSH MERGE"));
    ts_assert_bulk(ts_cmd(c, "GET k3"), "later");
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    ts_assert_error(ts_cmd(c, "DEBUG RELOAD FAST"), "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
    redisFree(c);
}

DEBUG_TEST(set_active_expire_0_keeps_expired_keys_until_accessed)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "DEBUG SET-ACTIVE-EXPIRE 0"));
    for (size_t i = 0; i < 8; i++) ts_assert_ok(ts_cmd(c, "SET %s v PX 1", spread[i]));
    ts_sleep_ms(400); /* several expiry cycles at hz 10 */
    ts_assert_int(ts_cmd(c, "DBSIZE"), 8);
    ts_assert_nil(ts_cmd(c, "GET a"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 7);
    ts_assert_ok(ts_cmd(c, "DEBUG SET-ACTIVE-EXPIRE 1"));
    long long n = -1;
    for (long long deadline = ts_now_ms() + 5000; n != 0 && ts_now_ms() < deadline; ts_sleep_ms(50)) {
        redisReply *r = ts_cmd(c, "DBSIZE");
        n = r->integer;
        freeReplyObject(r);
    }
    cr_assert_eq(n, 0, "active expiry back on: %lld keys left", n);
    redisFree(c);
}

static void expect_protocol(struct ts_raw *raw, const char *type, const char *want, size_t n)
{
    const char *argv[] = {"DEBUG", "PROTOCOL", type};
    ts_raw_expect_argv(raw, want, n, 3, argv);
}
#define EXPECT_PROTOCOL(raw, type, want) expect_protocol(raw, type, want, sizeof(want) - 1)

DEBUG_TEST(protocol_in_resp2_and_resp3)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    EXPECT_PROTOCOL(raw, "string", "$11\r\nHello World\r\n");
    EXPECT_PROTOCOL(raw, "integer", ":12345\r\n");
    EXPECT_PROTOCOL(raw, "double", "$5\r\n3.141\r\n");
    EXPECT_PROTOCOL(raw, "bignum", "$37\r\n1234567999999999999999999999999999999\r\n");
    EXPECT_PROTOCOL(raw, "null", "$-1\r\n");
    EXPECT_PROTOCOL(raw, "array", "*3\r\n:0\r\n:1\r\n:2\r\n");
    EXPECT_PROTOCOL(raw, "set", "*3\r\n:0\r\n:1\r\n:2\r\n");
    EXPECT_PROTOCOL(raw, "map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n");
    EXPECT_PROTOCOL(raw, "attrib", "$39\r\nSome real reply following the attribute\r\n");
    EXPECT_PROTOCOL(raw, "push", "-ERR RESP2 is not supported by this command\r\n");
    EXPECT_PROTOCOL(raw, "verbatim", "$25\r\nThis is a verbatim\nstring\r\n");
    EXPECT_PROTOCOL(raw, "true", ":1\r\n");
    EXPECT_PROTOCOL(raw, "false", ":0\r\n");
    EXPECT_PROTOCOL(raw, "nope",
                    "-ERR Wrong protocol type name. Please use one of the following: "
                    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false\r\n");
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    cr_assert_not_null(ts_raw_read_reply(raw, 5000, &len), "HELLO 3: %s", ts_raw_status(raw));
    EXPECT_PROTOCOL(raw, "string", "$11\r\nHello World\r\n");
    EXPECT_PROTOCOL(raw, "double", ",3.141\r\n");
    EXPECT_PROTOCOL(raw, "bignum", "(1234567999999999999999999999999999999\r\n");
    EXPECT_PROTOCOL(raw, "null", "_\r\n");
    EXPECT_PROTOCOL(raw, "set", "~3\r\n:0\r\n:1\r\n:2\r\n");
    EXPECT_PROTOCOL(raw, "map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n");
    /* the attribute and the push come before the reply they go with */
    const char *argv[] = {"DEBUG", "PROTOCOL", "attrib"};
    ts_raw_send_argv(raw, 3, argv);
    ts_raw_expect(raw, "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
                       "$39\r\nSome real reply following the attribute\r\n");
    argv[2] = "push";
    ts_raw_send_argv(raw, 3, argv);
    ts_raw_expect(raw, ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
    ts_raw_expect(raw, "$40\r\nSome real reply following the push reply\r\n");
    EXPECT_PROTOCOL(raw, "verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n");
    EXPECT_PROTOCOL(raw, "true", "#t\r\n");
    EXPECT_PROTOCOL(raw, "false", "#f\r\n");
    ts_raw_close(raw);
}

static void expect_object(redisContext *c, const char *key, const char *encoding, const char *also)
{
    redisReply *r = ts_cmd(c, "DEBUG OBJECT %s", key);
    cr_assert_eq(r->type, REDIS_REPLY_STATUS, "DEBUG OBJECT %s: type %d %s", key, r->type,
                 r->type == REDIS_REPLY_ERROR ? r->str : "");
    char enc[64];
    snprintf(enc, sizeof enc, " encoding:%s ", encoding);
    cr_assert(strncmp(r->str, "Value at:0x", 11) == 0, "%s", r->str);
    cr_assert_not_null(strstr(r->str, enc), "DEBUG OBJECT %s: %s", key, r->str);
    cr_assert_not_null(strstr(r->str, " serializedlength:"), "%s", r->str);
    cr_assert_not_null(strstr(r->str, " lru_seconds_idle:"), "%s", r->str);
    if (also) cr_assert_not_null(strstr(r->str, also), "DEBUG OBJECT %s: %s", key, r->str);
    freeReplyObject(r);
}

DEBUG_TEST(object_shows_the_encoding)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET a 12"));
    ts_assert_ok(ts_cmd(c, "SET b hello"));
    ts_assert_ok(ts_cmd(c, "SET c %s", "a-string-longer-than-forty-four-bytes-is-stored-raw"));
    ts_assert_int(ts_cmd(c, "RPUSH l x y z"), 3);
    ts_assert_int(ts_cmd(c, "HSET h f v"), 1);
    ts_assert_int(ts_cmd(c, "SADD s 1 2 3"), 3);
    ts_assert_int(ts_cmd(c, "ZADD z 1 m"), 1);
    expect_object(c, "a", "int", " refcount:2147483647 ");
    expect_object(c, "b", "embstr", " serializedlength:6 ");
    expect_object(c, "c", "raw", NULL);
    expect_object(c, "l", "quicklist", " ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ");
    expect_object(c, "h", "listpack", NULL);
    expect_object(c, "s", "intset", NULL);
    expect_object(c, "z", "listpack", NULL);
    ts_assert_error(ts_cmd(c, "DEBUG OBJECT nokey"), "ERR no such key");
    ts_assert_error(ts_cmd(c, "DEBUG LISTPACK b"), "ERR Not a listpack encoded object.");
    ts_assert_status(ts_cmd(c, "DEBUG LISTPACK h"), "Listpack structure printed on stdout");
    ts_assert_error(ts_cmd(c, "DEBUG QUICKLIST h"), "ERR Not a quicklist encoded object.");
    redisFree(c);
}

DEBUG_TEST(sleep_help_and_the_rest)
{
    redisContext *c = ts_connect(g_server);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "DEBUG SLEEP 0.2"));
    cr_assert_geq(ts_now_ms() - t0, 195);
    ts_assert_ok(ts_cmd(c, "DEBUG SLEEP 0"));
    ts_assert_ok(ts_cmd(c, "DEBUG QUICKLIST-PACKED-THRESHOLD 1b"));
    ts_assert_ok(ts_cmd(c, "DEBUG QUICKLIST-PACKED-THRESHOLD 0"));
    ts_assert_error(ts_cmd(c, "DEBUG QUICKLIST-PACKED-THRESHOLD 5gb"),
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb");
    ts_assert_ok(ts_cmd(c, "DEBUG CHANGE-REPL-ID"));
    ts_assert_ok(ts_cmd(c, "DEBUG LOG hello"));
    ts_assert_error(ts_cmd(c, "DEBUG ERROR %s", "ABC some error"), "ABC some error");
    ts_assert_error(ts_cmd(c, "DEBUG NOSUCH"),
                    "ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.");
    ts_assert_error(ts_cmd(c, "DEBUG DIGEST extra"),
                    "ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.");
    ts_assert_error(ts_cmd(c, "DEBUG"), "ERR wrong number of arguments for 'debug' command");
    redisReply *r = ts_cmd(c, "DEBUG HELP");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_str_eq(r->element[0]->str, "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    cr_assert_str_eq(r->element[r->elements - 1]->str, "    Prints this help.");
    freeReplyObject(r);
    redisFree(c);
}

/* POPULATE makes every key once, on whichever shard owns it, keeps keys
 * that exist, and pads or cuts values to a size as Redis does. */
DEBUG_TEST(populate_makes_keys_on_every_shard)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET key:7 mine"));
    ts_assert_ok(ts_cmd(c, "DEBUG POPULATE 1000"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1000);
    ts_assert_bulk(ts_cmd(c, "GET key:999"), "value:999");
    ts_assert_bulk(ts_cmd(c, "GET key:7"), "mine");
    static const char *const some[] = {"key:0", "key:1", "key:2", "key:3", "key:4", "key:5", "key:6", "key:8"};
    ts_assert_spread(some, 8, ts_shards() >= 4 ? 4 : 1);
    for (int i = 0; i < 8; i++) {
        char want[16];
        snprintf(want, sizeof want, "value:%c", some[i][4]);
        ts_assert_bulk(ts_cmd(c, "GET %s", some[i]), want);
    }
    ts_assert_ok(ts_cmd(c, "DEBUG POPULATE 10 pfx 12"));
    redisReply *r = ts_cmd(c, "GET pfx:3");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 12 && memcmp(r->str, "value:3\0\0\0\0\0", 12) == 0,
              "DEBUG POPULATE 10 pfx 12: pfx:3 is not value:3 zero-padded to 12 bytes");
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "DEBUG POPULATE 10 cut 3"));
    ts_assert_bulk(ts_cmd(c, "GET cut:9"), "val");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1020);
    ts_assert_error(ts_cmd(c, "DEBUG POPULATE -1"), "ERR value is out of range, must be positive");
    ts_assert_error(ts_cmd(c, "DEBUG populate 1 a b c d"),
                    "ERR unknown subcommand or wrong number of arguments for 'populate'. Try DEBUG HELP.");
    ts_assert_ok(ts_cmd(c, "SELECT 3"));
    ts_assert_ok(ts_cmd(c, "DEBUG POPULATE 5"));
    ts_assert_int(ts_cmd(c, "DBSIZE"), 5);
    redisFree(c);
}

/* RELOAD brings the file's functions back as Redis's load does: in place
 * of every library, or with NOFLUSH beside them (refused when one exists),
 * or with NOFLUSH MERGE over them. */
DEBUG_TEST(reload_restores_functions_as_redis)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "FUNCTION LOAD %s", "#!lua name=saved\nredis.register_function('fs', function() return 1 end)"),
                   "saved");
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD"));
    ts_assert_int(ts_cmd(c, "FCALL fs 0"), 1);
    ts_assert_error(ts_cmd(c, "DEBUG RELOAD NOFLUSH"), "ERR Error trying to load the RDB dump");
    ts_assert_int(ts_cmd(c, "FCALL fs 0"), 1);
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD NOFLUSH MERGE"));
    ts_assert_int(ts_cmd(c, "FCALL fs 0"), 1);
    /* A library loaded after the save: NOSAVE NOFLUSH MERGE keeps it, a
     * flushing NOSAVE reload leaves only the file's. */
    ts_assert_bulk(ts_cmd(c, "FUNCTION LOAD %s", "#!lua name=later\nredis.register_function('fl', function() return 2 end)"),
                   "later");
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD NOSAVE NOFLUSH MERGE"));
    ts_assert_int(ts_cmd(c, "FCALL fl 0"), 2);
    ts_assert_int(ts_cmd(c, "FCALL fs 0"), 1);
    ts_assert_ok(ts_cmd(c, "DEBUG RELOAD NOSAVE"));
    ts_assert_error(ts_cmd(c, "FCALL fl 0"), "ERR Function not found");
    ts_assert_int(ts_cmd(c, "FCALL fs 0"), 1);
    redisFree(c);
}
