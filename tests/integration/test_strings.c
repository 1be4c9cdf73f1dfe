/* test_strings.c — string commands over TCP, as Redis 7.0 behaves: APPEND,
 * GETDEL, GETEX, GETRANGE/SUBSTR, INCRBYFLOAT, LCS, MSETNX, SETRANGE,
 * SETNX/SETEX/PSETEX/GETSET, STRLEN, and the int/embstr/raw encodings each
 * leaves behind. Multi-key commands are run with plain keys (different
 * slots, so different shards at --shards 4) and with {hash} tags. Every
 * expectation holds on redis-server 7.0 too (suite 'redis'). */
#include "harness.h"
#include "strings_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

TestSuite(strings, .timeout = 60);

#define NOT_INT "ERR value is not an integer or out of range"
#define NOT_FLOAT "ERR value is not a valid float"
#define SYNTAX "ERR syntax error"
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define TOO_BIG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

#define ENCODING(c, key, enc) ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", key), enc)

TS_TEST(strings, append)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "APPEND k hello"), 5);
    ENCODING(c, "k", "embstr");
    ts_assert_int(ts_cmd(c, "APPEND k %s", " world"), 11);
    ts_assert_bulk(ts_cmd(c, "GET k"), "hello world");
    ENCODING(c, "k", "raw"); /* edited in place: raw, as Redis */
    /* A new key takes the encoding of the value, an int included. */
    ts_assert_int(ts_cmd(c, "APPEND n 123"), 3);
    ENCODING(c, "n", "int");
    ts_assert_int(ts_cmd(c, "APPEND n 4"), 4);
    ts_assert_bulk(ts_cmd(c, "GET n"), "1234");
    ENCODING(c, "n", "raw");
    ts_assert_int(ts_cmd(c, "INCR n"), 1235); /* still a number */
    /* Appending nothing still makes the value raw. */
    ts_assert_ok(ts_cmd(c, "SET i 7"));
    ts_assert_int(ts_cmd(c, "APPEND i %s", ""), 1);
    ENCODING(c, "i", "raw");
    ts_assert_int(ts_cmd(c, "APPEND e %s", ""), 0);
    ts_assert_int(ts_cmd(c, "EXISTS e"), 1);
    /* Binary-safe. */
    ts_assert_int(ts_cmd(c, "APPEND b %b", "a\0b", (size_t)3), 3);
    ts_assert_int(ts_cmd(c, "APPEND b %b", "\r\n\0", (size_t)3), 6);
    redisReply *r = ts_cmd(c, "GET b");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 6 && memcmp(r->str, "a\0b\r\n\0", 6) == 0);
    freeReplyObject(r);
    /* The TTL survives an append. */
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET t v EX 100"));
    ts_assert_int(ts_cmd(c, "APPEND t w"), 2);
    su_assert_ttl(c, "t", 100, t0);
    if (su_make_set(c, "l", "member")) ts_assert_error(ts_cmd(c, "APPEND l x"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "APPEND k"), "ERR wrong number of arguments for 'append' command");
    redisFree(c);
}

/* Growth by appends keeps every byte (the raw buffer grows in place). */
TS_TEST(strings, append_many)
{
    redisContext *c = ts_connect(g_server);
    char chunk[100];
    for (int i = 0; i < 500; i++) {
        snprintf(chunk, sizeof chunk, "%06d,", i);
        ts_append(c, "APPEND big %s", chunk);
    }
    for (int i = 0; i < 500; i++) ts_assert_int(ts_reply(c), 7 * (i + 1));
    redisReply *r = ts_cmd(c, "GET big");
    cr_assert_eq(r->len, 3500u);
    for (int i = 0; i < 500; i++) {
        snprintf(chunk, sizeof chunk, "%06d,", i);
        cr_assert(memcmp(r->str + 7 * i, chunk, 7) == 0, "chunk %d", i);
    }
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(strings, size_limit)
{
    redisContext *c = ts_connect(g_server);
    /* 512 MB by default: offsets past it are refused before allocating. */
    ts_assert_error(ts_cmd(c, "SETRANGE k 536870912 x"), TOO_BIG);
    ts_assert_error(ts_cmd(c, "SETRANGE k 536870911 xy"), TOO_BIG);
    ts_assert_error(ts_cmd(c, "SETRANGE k 9223372036854775807 x"), TOO_BIG);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    /* With a lower limit, APPEND and SETRANGE on an existing key too. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 1048576"));
    ts_assert_error(ts_cmd(c, "SETRANGE k 1048576 x"), TOO_BIG);
    ts_assert_int(ts_cmd(c, "SETRANGE k 1048575 x"), 1048576);
    ts_assert_error(ts_cmd(c, "APPEND k x"), TOO_BIG);
    ts_assert_error(ts_cmd(c, "SETRANGE k 1048576 x"), TOO_BIG);
    ts_assert_int(ts_cmd(c, "STRLEN k"), 1048576);
    ts_assert_int(ts_cmd(c, "APPEND k %s", ""), 1048576);
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 536870912"));
    redisFree(c);
}

TS_TEST(strings, setrange)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SETRANGE k 5 hello"), 10);
    redisReply *r = ts_cmd(c, "GET k");
    cr_assert(r->len == 10 && memcmp(r->str, "\0\0\0\0\0hello", 10) == 0, "zero padding");
    freeReplyObject(r);
    ENCODING(c, "k", "raw");
    ts_assert_int(ts_cmd(c, "SETRANGE k 0 HE"), 10);
    ts_assert_int(ts_cmd(c, "SETRANGE k 9 XYZ"), 12);
    r = ts_cmd(c, "GET k");
    cr_assert(r->len == 12 && memcmp(r->str, "HE\0\0\0hellXYZ", 12) == 0);
    freeReplyObject(r);
    /* Nothing to write: no key is created, an existing one is untouched. */
    ts_assert_int(ts_cmd(c, "SETRANGE missing 100 %s", ""), 0);
    ts_assert_int(ts_cmd(c, "EXISTS missing"), 0);
    ts_assert_ok(ts_cmd(c, "SET n 12345"));
    ts_assert_int(ts_cmd(c, "SETRANGE n 100 %s", ""), 5);
    ENCODING(c, "n", "int");
    ts_assert_int(ts_cmd(c, "SETRANGE n 1 9"), 5);
    ts_assert_bulk(ts_cmd(c, "GET n"), "19345");
    ENCODING(c, "n", "raw");
    ts_assert_ok(ts_cmd(c, "SET e abc"));
    ts_assert_int(ts_cmd(c, "SETRANGE e 1 %b", "\0", (size_t)1), 3);
    r = ts_cmd(c, "GET e");
    cr_assert(r->len == 3 && memcmp(r->str, "a\0c", 3) == 0);
    freeReplyObject(r);

    ts_assert_error(ts_cmd(c, "SETRANGE k -1 x"), "ERR offset is out of range");
    ts_assert_error(ts_cmd(c, "SETRANGE k abc x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "SETRANGE k 1.5 x"), NOT_INT);
    if (su_make_set(c, "l", "member")) {
        ts_assert_error(ts_cmd(c, "SETRANGE l 0 x"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "SETRANGE l 0 %s", ""), WRONGTYPE);
    }
    redisFree(c);
}

TS_TEST(strings, getrange_and_substr)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k %s", "This is a string"));
    struct {
        const char *start, *end, *want;
    } cases[] = {
        {"0", "3", "This"}, {"-3", "-1", "ing"}, {"0", "-1", "This is a string"},
        {"10", "100", "string"}, {"5", "3", ""}, {"-1", "-5", ""}, {"-100", "3", "This"},
        {"-100", "-100", "T"}, {"100", "200", ""}, {"15", "15", "g"}, {"16", "16", ""},
        {"-9223372036854775808", "9223372036854775807", "This is a string"},
        {"9223372036854775807", "-9223372036854775808", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_assert_bulk(ts_cmd(c, "GETRANGE k %s %s", cases[i].start, cases[i].end), cases[i].want);
        ts_assert_bulk(ts_cmd(c, "SUBSTR k %s %s", cases[i].start, cases[i].end), cases[i].want);
    }
    ts_assert_ok(ts_cmd(c, "SET n -12345"));
    ts_assert_bulk(ts_cmd(c, "GETRANGE n 1 2"), "12");
    ts_assert_bulk(ts_cmd(c, "GETRANGE missing 0 -1"), "");
    ts_assert_ok(ts_cmd(c, "SET empty %s", ""));
    ts_assert_bulk(ts_cmd(c, "GETRANGE empty 0 -1"), "");
    ts_assert_error(ts_cmd(c, "GETRANGE k a 1"), NOT_INT);
    ts_assert_error(ts_cmd(c, "GETRANGE k 0 1.0"), NOT_INT);
    /* Bad indexes are reported before a missing key or a wrong type. */
    ts_assert_error(ts_cmd(c, "GETRANGE missing x 1"), NOT_INT);
    if (su_make_set(c, "l", "member")) ts_assert_error(ts_cmd(c, "GETRANGE l 0 1"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "GETRANGE k 0"), "ERR wrong number of arguments for 'getrange' command");
    redisFree(c);
}

TS_TEST(strings, getdel)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v EX 100"));
    ts_assert_bulk(ts_cmd(c, "GETDEL k"), "v");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_nil(ts_cmd(c, "GETDEL k"));
    ts_assert_ok(ts_cmd(c, "SET n 42"));
    ts_assert_bulk(ts_cmd(c, "GETDEL n"), "42");
    if (su_make_set(c, "l", "member")) {
        ts_assert_error(ts_cmd(c, "GETDEL l"), WRONGTYPE);
        ts_assert_int(ts_cmd(c, "EXISTS l"), 1);
    }
    redisFree(c);
}

TS_TEST(strings, getex)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_bulk(ts_cmd(c, "GETEX k"), "v");
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    long long t0 = ts_now_ms();
    ts_assert_bulk(ts_cmd(c, "GETEX k EX 100"), "v");
    su_assert_ttl(c, "k", 100, t0);
    t0 = ts_now_ms();
    ts_assert_bulk(ts_cmd(c, "GETEX k PX 200000"), "v");
    su_assert_ttl(c, "k", 200, t0);
    long long at = (long long)time(NULL) + 300;
    ts_assert_bulk(ts_cmd(c, "GETEX k EXAT %lld", at), "v");
    ts_assert_int(ts_cmd(c, "EXPIRETIME k"), at);
    ts_assert_bulk(ts_cmd(c, "GETEX k PXAT %lld", at * 1000 + 999), "v");
    ts_assert_int(ts_cmd(c, "PEXPIRETIME k"), at * 1000 + 999);
    ts_assert_bulk(ts_cmd(c, "GETEX k PERSIST"), "v");
    ts_assert_int(ts_cmd(c, "TTL k"), -1);
    /* An absolute time in the past deletes the key after replying. */
    ts_assert_bulk(ts_cmd(c, "GETEX k EXAT 1"), "v");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_bulk(ts_cmd(c, "getex k pxat 1"), "v");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);

    struct {
        const char *cmd, *err;
    } errs[] = {
        {"GETEX k EX 10 PX 10", SYNTAX}, {"GETEX k PERSIST EX 10", SYNTAX}, {"GETEX k EX 10 PERSIST", SYNTAX},
        {"GETEX k KEEPTTL", SYNTAX}, {"GETEX k NX", SYNTAX}, {"GETEX k GET", SYNTAX}, {"GETEX k EX", SYNTAX},
        {"GETEX k FOO", SYNTAX}, {"GETEX k EX abc", NOT_INT}, {"GETEX k EX 0", "ERR invalid expire time in 'getex' command"},
        {"GETEX k PX -1", "ERR invalid expire time in 'getex' command"},
        {"GETEX k EX 9223372036854775807", "ERR invalid expire time in 'getex' command"},
    };
    t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET k v EX 50"));
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) ts_assert_error(ts_cmd(c, errs[i].cmd), errs[i].err);
    su_assert_ttl(c, "k", 50, t0);
    /* EX repeated is allowed, the last one wins; PERSIST may repeat. */
    t0 = ts_now_ms();
    ts_assert_bulk(ts_cmd(c, "GETEX k EX 10 EX 20"), "v");
    su_assert_ttl(c, "k", 20, t0);
    ts_assert_bulk(ts_cmd(c, "GETEX k PERSIST PERSIST"), "v");
    /* A missing key answers nil before the expire value is checked. */
    ts_assert_nil(ts_cmd(c, "GETEX missing EX 0"));
    ts_assert_nil(ts_cmd(c, "GETEX missing EX abc"));
    ts_assert_error(ts_cmd(c, "GETEX missing EX 1 PX 1"), SYNTAX);
    if (su_make_set(c, "l", "member")) ts_assert_error(ts_cmd(c, "GETEX l EX 0"), WRONGTYPE);
    /* PX is in milliseconds (long enough that a slow machine never sees it
     * expire before PTTL reads it). */
    t0 = ts_now_ms();
    ts_assert_bulk(ts_cmd(c, "GETEX k PX 150000"), "v");
    su_assert_pttl(c, "k", 150000, t0);
    redisFree(c);
}

TS_TEST(strings, set_variants)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SETNX k a"), 1);
    ts_assert_int(ts_cmd(c, "SETNX k b"), 0);
    ts_assert_bulk(ts_cmd(c, "GET k"), "a");
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SETEX e 100 v"));
    su_assert_ttl(c, "e", 100, t0);
    long long tp = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "PSETEX p 100000 v"));
    su_assert_ttl(c, "p", 100, tp);
    ts_assert_error(ts_cmd(c, "SETEX e 0 v"), "ERR invalid expire time in 'setex' command");
    ts_assert_error(ts_cmd(c, "SETEX e -5 v"), "ERR invalid expire time in 'setex' command");
    ts_assert_error(ts_cmd(c, "PSETEX e 0 v"), "ERR invalid expire time in 'psetex' command");
    ts_assert_error(ts_cmd(c, "SETEX e abc v"), NOT_INT);
    su_assert_ttl(c, "e", 100, t0);
    /* GETSET drops the TTL, like SET. */
    ts_assert_bulk(ts_cmd(c, "GETSET e w"), "v");
    ts_assert_int(ts_cmd(c, "TTL e"), -1);
    ts_assert_nil(ts_cmd(c, "GETSET fresh 1"));
    /* A time option may repeat (the last wins), NX may too. */
    t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET r v EX 10 EX 20"));
    su_assert_ttl(c, "r", 20, t0);
    t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET r v PX 30000 px 40000"));
    su_assert_ttl(c, "r", 40, t0);
    ts_assert_ok(ts_cmd(c, "SET r v KEEPTTL KEEPTTL"));
    su_assert_ttl(c, "r", 40, t0);
    ts_assert_error(ts_cmd(c, "SET r v PERSIST"), SYNTAX);
    ts_assert_error(ts_cmd(c, "SET r v EX 10 KEEPTTL"), SYNTAX);
    if (su_make_set(c, "l", "member")) {
        ts_assert_error(ts_cmd(c, "SET l v GET"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "GETSET l v"), WRONGTYPE);
        ts_assert_int(ts_cmd(c, "SETNX l v"), 0);
        ts_assert_ok(ts_cmd(c, "SET l v"));
        ts_assert_bulk(ts_cmd(c, "GET l"), "v");
    }
    redisFree(c);
}

TS_TEST(strings, encodings)
{
    redisContext *c = ts_connect(g_server);
    char v44[45], v45[46];
    memset(v44, 'x', 44), v44[44] = '\0';
    memset(v45, 'x', 45), v45[45] = '\0';
    struct {
        const char *val, *enc;
    } cases[] = {
        {"0", "int"}, {"-1", "int"}, {"9223372036854775807", "int"}, {"-9223372036854775808", "int"},
        {"9223372036854775808", "embstr"}, {"01", "embstr"}, {"+1", "embstr"}, {" 1", "embstr"},
        {"1.5", "embstr"}, {"", "embstr"}, {"abc", "embstr"}, {v44, "embstr"}, {v45, "raw"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_assert_ok(ts_cmd(c, "SET k %s", cases[i].val));
        ENCODING(c, "k", cases[i].enc);
        ts_assert_bulk(ts_cmd(c, "GET k"), cases[i].val);
        ts_assert_int(ts_cmd(c, "STRLEN k"), (long long)strlen(cases[i].val));
    }
    ts_assert_ok(ts_cmd(c, "MSET a 12 b %s", v45));
    ENCODING(c, "a", "int");
    ENCODING(c, "b", "raw");
    ts_assert_int(ts_cmd(c, "INCR a"), 13);
    ENCODING(c, "a", "int");
    ts_assert_ok(ts_cmd(c, "SET a foo"));
    ts_assert_error(ts_cmd(c, "INCR a"), NOT_INT);
    ENCODING(c, "a", "embstr");
    ts_assert_nil(ts_cmd(c, "OBJECT ENCODING missing"));
    ts_assert_int(ts_cmd(c, "STRLEN missing"), 0);
    redisFree(c);
}

TS_TEST(strings, incrbyfloat)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k 10.50"));
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT k 0.1"), "10.6");
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT k -5"), "5.6");
    ts_assert_bulk(ts_cmd(c, "GET k"), "5.6");
    ts_assert_ok(ts_cmd(c, "SET k 5.0e3"));
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT k 2.0e2"), "5200");
    /* The result is stored as text (embstr), even when it is integral. */
    ENCODING(c, "k", "embstr");
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT new 3"), "3");
    ENCODING(c, "new", "embstr");
    ts_assert_int(ts_cmd(c, "INCR new"), 4);
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT new 0.25"), "4.25");
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT new -4.25"), "0");
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT tiny 1e-20"), "0");
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT h 0x10"), "16");
    /* 1e30 parsed as a long double, printed with "%.17Lf" */
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT big 1e30"), "1000000000000000000024696061952");
    /* The TTL stays. */
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET t 1 EX 100"));
    ts_assert_bulk(ts_cmd(c, "INCRBYFLOAT t 1.5"), "2.5");
    su_assert_ttl(c, "t", 100, t0);

    ts_assert_error(ts_cmd(c, "INCRBYFLOAT k abc"), NOT_FLOAT);
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT k nan"), NOT_FLOAT);
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT k %s", ""), NOT_FLOAT);
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT k %s", " 1"), NOT_FLOAT);
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT k inf"), "ERR increment would produce NaN or Infinity");
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT fresh -inf"), "ERR increment would produce NaN or Infinity");
    ts_assert_int(ts_cmd(c, "EXISTS fresh"), 0);
    ts_assert_ok(ts_cmd(c, "SET s hello"));
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT s 1"), NOT_FLOAT);
    /* Long double arithmetic: past the double range is fine, past the
     * long double range is infinity. */
    ts_assert_ok(ts_cmd(c, "SET m 1.7976931348623157e308"));
    redisReply *r = ts_cmd(c, "INCRBYFLOAT m 1.7976931348623157e308");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 309 && strncmp(r->str, "35953862697246313", 17) == 0);
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "SET m 1.1e4932"));
    ts_assert_error(ts_cmd(c, "INCRBYFLOAT m 1.1e4932"), "ERR increment would produce NaN or Infinity");
    if (su_make_set(c, "l", "member")) ts_assert_error(ts_cmd(c, "INCRBYFLOAT l 1"), WRONGTYPE);
    redisFree(c);
}

/* Keys named in a test with and without a hash tag: the plain names land
 * on different slots, hence different shards at --shards 4. */
static const char *const plain3[] = {"foo", "bar", "baz"};
static const char *const tagged3[] = {"{t}foo", "{t}bar", "{t}baz"};

static void msetnx_with(redisContext *c, const char *const *k)
{
    ts_assert_int(ts_cmd(c, "MSETNX %s 1 %s 2", k[0], k[1]), 1);
    ts_assert_array(ts_cmd(c, "MGET %s %s", k[0], k[1]), "1", "2");
    /* One existing key: nothing is set. */
    ts_assert_int(ts_cmd(c, "MSETNX %s x %s y", k[2], k[1]), 0);
    ts_assert_int(ts_cmd(c, "EXISTS %s", k[2]), 0);
    ts_assert_bulk(ts_cmd(c, "GET %s", k[1]), "2");
    ts_assert_int(ts_cmd(c, "MSETNX %s x %s y", k[1], k[2]), 0);
    ts_assert_int(ts_cmd(c, "EXISTS %s", k[2]), 0);
    /* A repeated key: the last value wins. */
    ts_assert_int(ts_cmd(c, "MSETNX %s a %s b %s c", k[2], k[2], k[2]), 1);
    ts_assert_bulk(ts_cmd(c, "GET %s", k[2]), "c");
    ENCODING(c, k[2], "embstr");
    ts_assert_int(ts_cmd(c, "DEL %s %s %s", k[0], k[1], k[2]), 3);
}

TS_TEST(strings, msetnx)
{
    redisContext *c = ts_connect(g_server);
    msetnx_with(c, plain3);
    msetnx_with(c, tagged3);
    ts_assert_error(ts_cmd(c, "MSETNX a 1 b"), "ERR wrong number of arguments for 'msetnx' command");
    ts_assert_error(ts_cmd(c, "MSETNX a"), "ERR wrong number of arguments for 'msetnx' command");
    if (su_make_set(c, "l", "member")) ts_assert_int(ts_cmd(c, "MSETNX l 1"), 0);
    /* An expired key does not block MSETNX. */
    ts_assert_ok(ts_cmd(c, "SET gone v PX 1"));
    ts_sleep_ms(20);
    ts_assert_int(ts_cmd(c, "MSETNX gone 1 other 2"), 1);
    redisFree(c);
}

static void lcs_with(redisContext *c, const char *a, const char *b)
{
    ts_assert_ok(ts_cmd(c, "MSET %s ohmytext %s mynewtext", a, b));
    ts_assert_bulk(ts_cmd(c, "LCS %s %s", a, b), "mytext");
    ts_assert_int(ts_cmd(c, "LCS %s %s LEN", a, b), 6);
    redisReply *r = ts_cmd(c, "LCS %s %s IDX", a, b);
    char desc[512];
    ts_reply_describe(r, desc, sizeof desc);
    cr_assert_str_eq(desc, "array[4] {bulk \"matches\", array[2] {array[2] {array[2] {integer 4, integer 7}, "
                           "array[2] {integer 5, integer 8}}, array[2] {array[2] {integer 2, integer 3}, array[2] "
                           "{integer 0, integer 1}}}, bulk \"len\", integer 6}");
    freeReplyObject(r);
    r = ts_cmd(c, "LCS %s %s IDX MINMATCHLEN 4 WITHMATCHLEN", a, b);
    ts_reply_describe(r, desc, sizeof desc);
    cr_assert_str_eq(desc, "array[4] {bulk \"matches\", array[1] {array[3] {array[2] {integer 4, integer 7}, "
                           "array[2] {integer 5, integer 8}, integer 4}}, bulk \"len\", integer 6}");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "DEL %s %s", a, b), 2);
}

TS_TEST(strings, lcs)
{
    redisContext *c = ts_connect(g_server);
    lcs_with(c, "key1", "key2");
    lcs_with(c, "{k}1", "{k}2");
    ts_assert_bulk(ts_cmd(c, "LCS nokey1 nokey2"), "");
    ts_assert_int(ts_cmd(c, "LCS nokey1 nokey2 LEN"), 0);
    ts_assert_ok(ts_cmd(c, "MSET n1 12345 n2 2a4"));
    ts_assert_bulk(ts_cmd(c, "LCS n1 n2"), "24");
    ts_assert_bulk(ts_cmd(c, "LCS n1 n1"), "12345");
    ts_assert_int(ts_cmd(c, "LCS n1 n2 LEN MINMATCHLEN -5"), 2);
    ts_assert_error(ts_cmd(c, "LCS n1 n2 IDX LEN"), "ERR If you want both the length and indexes, please just use IDX.");
    ts_assert_error(ts_cmd(c, "LCS n1 n2 FOO"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LCS n1 n2 MINMATCHLEN"), SYNTAX);
    ts_assert_error(ts_cmd(c, "LCS n1 n2 MINMATCHLEN x"), NOT_INT);
    if (su_make_set(c, "l", "member")) {
        /* The type check comes first, before the options. */
        ts_assert_error(ts_cmd(c, "LCS n1 l FOO"), "ERR The specified keys must contain string values");
        ts_assert_error(ts_cmd(c, "LCS l nokey"), "ERR The specified keys must contain string values");
    }
    /* The DP table is bounded by proto-max-bulk-len. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 1048576"));
    char big[601];
    memset(big, 'a', 600), big[600] = '\0';
    ts_assert_ok(ts_cmd(c, "SET la %s", big));
    memset(big, 'b', 600);
    ts_assert_ok(ts_cmd(c, "SET lb %s", big));
    ts_assert_error(ts_cmd(c, "LCS la lb"), "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    ts_assert_ok(ts_cmd(c, "CONFIG SET proto-max-bulk-len 536870912"));
    ts_assert_int(ts_cmd(c, "LCS la lb LEN"), 0);
    redisFree(c);
}

/* MGET and MSET across slots, with wrong types and expired keys. */
TS_TEST(strings, mget_mset_mixed)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET foo 1 bar 2 {t}foo 3"));
    ts_assert_ok(ts_cmd(c, "SET gone v PX 1"));
    bool have_set = su_make_set(c, "l", "member");
    ts_sleep_ms(20);
    ts_assert_array(ts_cmd(c, "MGET foo gone bar l {t}foo missing foo"), "1", NULL, "2", NULL, "3", NULL, "1");
    ts_assert_error(ts_cmd(c, "MSET foo 1 bar"), "ERR wrong number of arguments for 'mset' command");
    if (have_set) ts_assert_ok(ts_cmd(c, "MSET l now-a-string"));
    redisFree(c);
}
