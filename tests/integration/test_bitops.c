/* test_bitops.c — bitmap commands over TCP, as Redis 7.0 behaves: SETBIT,
 * GETBIT, BITCOUNT and BITPOS (BYTE and BIT ranges), BITOP over keys on
 * one shard and on several, BITFIELD/BITFIELD_RO with every overflow
 * mode, and the offset limits (512 MB) refused before any allocation.
 * Every expectation holds on redis-server 7.0 too (suite 'redis'). */
#include "harness.h"
#include "strings_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(bitops, .timeout = 60);

#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define BAD_OFFSET "ERR bit offset is not an integer or out of range"
#define BAD_BIT "ERR bit is not an integer or out of range"
#define BAD_TYPE "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

static void set_bytes(redisContext *c, const char *key, const char *bytes, size_t n)
{
    ts_assert_ok(ts_cmd(c, "SET %s %b", key, bytes, n));
}

static void assert_value(redisContext *c, const char *key, const char *bytes, size_t n)
{
    redisReply *r = ts_cmd(c, "GET %s", key);
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, bytes, n) == 0, "value of %s", key);
    freeReplyObject(r);
}

TS_TEST(bitops, setbit_getbit)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SETBIT k 7 1"), 0);
    ts_assert_int(ts_cmd(c, "SETBIT k 7 1"), 1);
    ts_assert_int(ts_cmd(c, "SETBIT k 0 1"), 0);
    assert_value(c, "k", "\x81", 1);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING k"), "raw");
    ts_assert_int(ts_cmd(c, "SETBIT k 100 1"), 0); /* grows with zeros */
    ts_assert_int(ts_cmd(c, "STRLEN k"), 13);
    ts_assert_int(ts_cmd(c, "SETBIT k 7 0"), 1);
    ts_assert_int(ts_cmd(c, "GETBIT k 0"), 1);
    ts_assert_int(ts_cmd(c, "GETBIT k 7"), 0);
    ts_assert_int(ts_cmd(c, "GETBIT k 100"), 1);
    ts_assert_int(ts_cmd(c, "GETBIT k 101"), 0);
    ts_assert_int(ts_cmd(c, "GETBIT k 10000"), 0);
    ts_assert_int(ts_cmd(c, "GETBIT missing 5"), 0);
    /* The largest legal offset reads without allocating anything. */
    ts_assert_int(ts_cmd(c, "GETBIT missing 4294967295"), 0);
    ts_assert_int(ts_cmd(c, "EXISTS missing"), 0);
    /* An int value is read through its decimal text ("1" is 0x31). */
    ts_assert_ok(ts_cmd(c, "SET n 1"));
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING n"), "int");
    ts_assert_int(ts_cmd(c, "GETBIT n 2"), 1);
    ts_assert_int(ts_cmd(c, "GETBIT n 3"), 1);
    ts_assert_int(ts_cmd(c, "GETBIT n 4"), 0);
    ts_assert_int(ts_cmd(c, "SETBIT n 6 1"), 0);
    ts_assert_bulk(ts_cmd(c, "GET n"), "3");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING n"), "raw");
    /* Setting a bit to its current value still makes the value raw. */
    ts_assert_ok(ts_cmd(c, "SET e abc"));
    ts_assert_int(ts_cmd(c, "SETBIT e 0 0"), 0);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING e"), "raw");
    /* The TTL survives. */
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET t v EX 100"));
    ts_assert_int(ts_cmd(c, "SETBIT t 100 1"), 0);
    su_assert_ttl(c, "t", 100, t0);

    struct {
        const char *cmd, *err;
    } errs[] = {
        {"SETBIT k 0 2", BAD_BIT}, {"SETBIT k 0 -1", BAD_BIT}, {"SETBIT k 0 abc", BAD_BIT},
        {"SETBIT k -1 1", BAD_OFFSET}, {"SETBIT k abc 1", BAD_OFFSET}, {"SETBIT k 4294967296 1", BAD_OFFSET},
        {"SETBIT k 9223372036854775807 1", BAD_OFFSET}, {"GETBIT k -1", BAD_OFFSET},
        {"GETBIT k 4294967296", BAD_OFFSET}, {"GETBIT k 1.5", BAD_OFFSET}, {"SETBIT k #1 1", BAD_OFFSET},
        /* the offset is checked before the bit */
        {"SETBIT k -1 5", BAD_OFFSET},
        {"SETBIT k 0", "ERR wrong number of arguments for 'setbit' command"},
        {"GETBIT k", "ERR wrong number of arguments for 'getbit' command"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) ts_assert_error(ts_cmd(c, errs[i].cmd), errs[i].err);
    ts_assert_int(ts_cmd(c, "STRLEN k"), 13);
    if (su_make_set(c, "s", "member")) {
        ts_assert_error(ts_cmd(c, "SETBIT s 0 1"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "GETBIT s 0"), WRONGTYPE);
    }
    redisFree(c);
}

TS_TEST(bitops, bitcount)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k foobar"));
    ts_assert_int(ts_cmd(c, "BITCOUNT k"), 26);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 0 0"), 4);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 1 1"), 6);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 1 1 BYTE"), 6);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 5 30 BIT"), 17);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 5 30 bit"), 17);
    ts_assert_int(ts_cmd(c, "BITCOUNT k -1 -1"), 4);
    ts_assert_int(ts_cmd(c, "BITCOUNT k -1 -1 BIT"), 0);
    ts_assert_int(ts_cmd(c, "BITCOUNT k -8 -1 BIT"), 4);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 0 -1 BIT"), 26);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 0 1000"), 26);
    ts_assert_int(ts_cmd(c, "BITCOUNT k -1000 1000 BIT"), 26);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 3 2"), 0);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 9 9 BIT"), 1);
    ts_assert_int(ts_cmd(c, "BITCOUNT k 100 200"), 0);
    /* Both negative and reversed: 0 before BYTE/BIT is even read. */
    ts_assert_int(ts_cmd(c, "BITCOUNT k -1 -2 FOO"), 0);
    ts_assert_error(ts_cmd(c, "BITCOUNT k 0 1 FOO"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITCOUNT k 0"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITCOUNT k 0 1 BIT x"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITCOUNT k a 1"), NOT_INT);
    /* A missing key is 0 whatever follows: the key is looked up first. */
    ts_assert_int(ts_cmd(c, "BITCOUNT missing a b"), 0);
    ts_assert_int(ts_cmd(c, "BITCOUNT missing 0"), 0);
    ts_assert_ok(ts_cmd(c, "SET n 255"));
    ts_assert_int(ts_cmd(c, "BITCOUNT n"), 11); /* "255": 0x32 0x35 0x35 */
    ts_assert_ok(ts_cmd(c, "SET e %s", ""));
    ts_assert_int(ts_cmd(c, "BITCOUNT e"), 0);
    ts_assert_int(ts_cmd(c, "BITCOUNT e 0 -1 BIT"), 0);
    set_bytes(c, "b", "\xff\x00\xff\x00\x0f", 5);
    ts_assert_int(ts_cmd(c, "BITCOUNT b"), 20);
    ts_assert_int(ts_cmd(c, "BITCOUNT b 4 35 BIT"), 12);
    ts_assert_int(ts_cmd(c, "BITCOUNT b 4 39 BIT"), 16);
    ts_assert_int(ts_cmd(c, "BITCOUNT b 36 37 BIT"), 2);
    if (su_make_set(c, "s", "member")) ts_assert_error(ts_cmd(c, "BITCOUNT s"), WRONGTYPE);
    redisFree(c);
}

TS_TEST(bitops, bitpos)
{
    redisContext *c = ts_connect(g_server);
    set_bytes(c, "k", "\xff\xf0\x00", 3);
    ts_assert_int(ts_cmd(c, "BITPOS k 0"), 12);
    set_bytes(c, "k", "\x00\xff\xf0", 3);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 0"), 8);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 2"), 16);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 2 -1 BYTE"), 16);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 7 15 BIT"), 8);
    ts_assert_int(ts_cmd(c, "BITPOS k 0 8 15 BIT"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS k 0 8 20 BIT"), 20);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 -3 -1"), 8);
    ts_assert_int(ts_cmd(c, "BITPOS k 1 -1 -3"), -1);
    set_bytes(c, "z", "\x00\x00\x00", 3);
    ts_assert_int(ts_cmd(c, "BITPOS z 1"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS z 1 7 -3 BIT"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS z 0"), 0);
    /* All ones: looking for a 0 finds the bit after the end, unless an
     * end was given. */
    set_bytes(c, "o", "\xff\xff", 2);
    ts_assert_int(ts_cmd(c, "BITPOS o 0"), 16);
    ts_assert_int(ts_cmd(c, "BITPOS o 0 1"), 16);
    ts_assert_int(ts_cmd(c, "BITPOS o 0 0 -1"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS o 0 3 9 BIT"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS o 1 3 9 BIT"), 3);
    /* A missing key is all zeros. */
    ts_assert_int(ts_cmd(c, "BITPOS missing 0"), 0);
    ts_assert_int(ts_cmd(c, "BITPOS missing 1"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS missing 1 a b"), -1);
    ts_assert_ok(ts_cmd(c, "SET e %s", ""));
    ts_assert_int(ts_cmd(c, "BITPOS e 0"), -1);
    ts_assert_int(ts_cmd(c, "BITPOS e 1"), -1);

    ts_assert_error(ts_cmd(c, "BITPOS k 2"), "ERR The bit argument must be 1 or 0.");
    ts_assert_error(ts_cmd(c, "BITPOS k -1"), "ERR The bit argument must be 1 or 0.");
    ts_assert_error(ts_cmd(c, "BITPOS k x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "BITPOS missing 2"), "ERR The bit argument must be 1 or 0.");
    ts_assert_error(ts_cmd(c, "BITPOS k 1 0 1 FOO"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITPOS k 1 0 1 BIT x"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITPOS k 1 x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "BITPOS k 1 0 x"), NOT_INT);
    if (su_make_set(c, "s", "member")) ts_assert_error(ts_cmd(c, "BITPOS s 1"), WRONGTYPE);
    redisFree(c);
}

static void bitop_with(redisContext *c, const char *a, const char *b, const char *d)
{
    set_bytes(c, a, "\xf0\x0f\xaa", 3);
    set_bytes(c, b, "\xff\x01", 2);
    ts_assert_int(ts_cmd(c, "BITOP AND %s %s %s", d, a, b), 3);
    assert_value(c, d, "\xf0\x01\x00", 3);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING %s", d), "raw");
    ts_assert_int(ts_cmd(c, "BITOP OR %s %s %s", d, a, b), 3);
    assert_value(c, d, "\xff\x0f\xaa", 3);
    ts_assert_int(ts_cmd(c, "BITOP XOR %s %s %s %s", d, a, b, b), 3);
    assert_value(c, d, "\xf0\x0f\xaa", 3);
    ts_assert_int(ts_cmd(c, "bitop not %s %s", d, b), 2);
    assert_value(c, d, "\x00\xfe", 2);
    /* A missing source is zeros; the destination may be a source. */
    ts_assert_int(ts_cmd(c, "BITOP OR %s %s nosuchkey", a, a), 3);
    assert_value(c, a, "\xf0\x0f\xaa", 3);
    /* The destination's TTL goes. */
    ts_assert_int(ts_cmd(c, "EXPIRE %s 100", d), 1);
    ts_assert_int(ts_cmd(c, "BITOP AND %s %s", d, a), 3);
    ts_assert_int(ts_cmd(c, "TTL %s", d), -1);
    /* All sources empty or missing: the destination is deleted. */
    ts_assert_int(ts_cmd(c, "BITOP AND %s nosuchkey nosuchkey2", d), 0);
    ts_assert_int(ts_cmd(c, "EXISTS %s", d), 0);
    ts_assert_ok(ts_cmd(c, "SET %s %s", b, ""));
    ts_assert_int(ts_cmd(c, "BITOP NOT %s %s", d, b), 0);
    ts_assert_int(ts_cmd(c, "EXISTS %s", d), 0);
    ts_assert_int(ts_cmd(c, "DEL %s %s", a, b), 2);
}

TS_TEST(bitops, bitop)
{
    redisContext *c = ts_connect(g_server);
    bitop_with(c, "src1", "src2", "dest");    /* three slots */
    bitop_with(c, "{b}1", "{b}2", "{b}dest"); /* one slot */
    ts_assert_ok(ts_cmd(c, "SET n 12"));
    ts_assert_int(ts_cmd(c, "BITOP AND dest n n"), 2);
    ts_assert_bulk(ts_cmd(c, "GET dest"), "12");
    ts_assert_error(ts_cmd(c, "BITOP NAND dest a b"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BITOP NOT dest a b"), "ERR BITOP NOT must be called with a single source key.");
    ts_assert_error(ts_cmd(c, "BITOP AND dest"), "ERR wrong number of arguments for 'bitop' command");
    if (su_make_set(c, "s", "member")) {
        ts_assert_error(ts_cmd(c, "BITOP AND dest n s"), WRONGTYPE);
        ts_assert_bulk(ts_cmd(c, "GET dest"), "12");
        /* The destination is overwritten whatever its type. */
        ts_assert_int(ts_cmd(c, "BITOP OR s n"), 2);
        ts_assert_status(ts_cmd(c, "TYPE s"), "string");
    }
    redisFree(c);
}

/* Checks an array of integers and nils written as "1 -2 nil 3". */
static void assert_ints(redisReply *r, const char *want)
{
    char desc[512], buf[256];
    ts_reply_describe(r, desc, sizeof desc);
    cr_assert(r->type == REDIS_REPLY_ARRAY, "not an array: %s", desc);
    snprintf(buf, sizeof buf, "%s", want);
    size_t i = 0;
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " "), i++) {
        cr_assert(i < r->elements, "too few elements: %s, want %s", desc, want);
        if (strcmp(tok, "nil") == 0)
            cr_assert(r->element[i]->type == REDIS_REPLY_NIL, "element %zu: %s, want %s", i, desc, want);
        else
            cr_assert(r->element[i]->type == REDIS_REPLY_INTEGER && r->element[i]->integer == strtoll(tok, NULL, 10),
                      "element %zu: %s, want %s", i, desc, want);
    }
    cr_assert(i == r->elements, "%s, want %s", desc, want);
    freeReplyObject(r);
}

TS_TEST(bitops, bitfield)
{
    redisContext *c = ts_connect(g_server);
    assert_ints(ts_cmd(c, "BITFIELD k INCRBY i5 100 1 GET u4 0"), "1 0");
    ts_assert_int(ts_cmd(c, "STRLEN k"), 14);
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING k"), "raw");
    /* SET replies the old value, INCRBY the new one; #N counts in fields. */
    assert_ints(ts_cmd(c, "BITFIELD m SET u8 0 255 GET u8 0 SET i8 0 -1 GET i8 0 GET u8 0"), "0 255 -1 -1 255");
    assert_ints(ts_cmd(c, "BITFIELD m SET u4 #1 3 GET u8 0 GET u4 #0 GET i4 #1"), "15 243 15 3");
    /* 64-bit fields: the old value 0xF300... is negative as i64. */
    assert_ints(ts_cmd(c, "BITFIELD m SET i64 0 -9223372036854775808 GET i64 0 GET u63 0 GET i1 0 GET u1 0"),
                "-936748722493063168 -9223372036854775808 4611686018427387904 -1 1");
    /* Fields past the end read as zeros. */
    assert_ints(ts_cmd(c, "BITFIELD m GET u16 60 GET i8 1000"), "0 0");
    /* Overflow modes: WRAP (default), SAT, FAIL (nil, nothing written). */
    assert_ints(ts_cmd(c, "BITFIELD o INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"), "1 1");
    assert_ints(ts_cmd(c, "BITFIELD o INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"), "2 2");
    assert_ints(ts_cmd(c, "BITFIELD o INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"), "3 3");
    assert_ints(ts_cmd(c, "BITFIELD o INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1"), "0 3");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW FAIL INCRBY u2 102 1 GET u2 102"), "nil 3");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW SAT SET u8 0 300 SET i8 8 -300 GET u8 0 GET i8 8"), "0 0 255 -128");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW WRAP SET u8 0 300 SET i8 8 200 GET u8 0 GET i8 8"), "255 -128 44 -56");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW FAIL SET u8 0 256 SET i8 8 128 SET i8 8 -128 GET u8 0"),
                "nil nil -56 44");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW WRAP INCRBY i8 8 -1 INCRBY u8 0 -45 INCRBY u8 0 -1"), "127 255 254");
    assert_ints(ts_cmd(c, "BITFIELD o INCRBY i64 256 9223372036854775807 INCRBY i64 256 1 INCRBY u63 320 -1"),
                "9223372036854775807 -9223372036854775808 9223372036854775807");
    assert_ints(ts_cmd(c, "BITFIELD o OVERFLOW SAT INCRBY i64 256 -1 INCRBY i64 256 -9223372036854775808"),
                "-9223372036854775808 -9223372036854775808");
    /* FAIL writes nothing, but the key is still created. */
    assert_ints(ts_cmd(c, "BITFIELD f OVERFLOW FAIL INCRBY u2 0 10"), "nil");
    ts_assert_int(ts_cmd(c, "STRLEN f"), 1);
    redisFree(c);
}

TS_TEST(bitops, bitfield_errors_and_ro)
{
    redisContext *c = ts_connect(g_server);
    struct {
        const char *cmd, *err;
    } errs[] = {
        {"BITFIELD k GET u64 0", BAD_TYPE}, {"BITFIELD k GET i65 0", BAD_TYPE}, {"BITFIELD k GET u0 0", BAD_TYPE},
        {"BITFIELD k GET i0 0", BAD_TYPE}, {"BITFIELD k GET x8 0", BAD_TYPE}, {"BITFIELD k GET I8 0", BAD_TYPE},
        {"BITFIELD k GET 8 0", BAD_TYPE}, {"BITFIELD k GET u 0", BAD_TYPE}, {"BITFIELD k GET u8 -1", BAD_OFFSET},
        {"BITFIELD k GET u8 abc", BAD_OFFSET}, {"BITFIELD k GET u8 #-1", BAD_OFFSET}, {"BITFIELD k GET u8 #", BAD_OFFSET},
        {"BITFIELD k SET u8 4294967296 1", BAD_OFFSET}, {"BITFIELD k SET u8 #536870912 1", BAD_OFFSET},
        {"BITFIELD k SET u8 0 abc", NOT_INT}, {"BITFIELD k INCRBY u8 0 1.5", NOT_INT}, {"BITFIELD k SET u8 0", SYNTAX},
        {"BITFIELD k GET u8", SYNTAX}, {"BITFIELD k OVERFLOW", SYNTAX}, {"BITFIELD k FOO u8 0", SYNTAX},
        {"BITFIELD k OVERFLOW FOO GET u8 0", "ERR Invalid OVERFLOW type specified"},
        /* every operation is parsed before any runs */
        {"BITFIELD k SET u8 0 1 GET u64 0", BAD_TYPE},
        {"BITFIELD_RO k SET u8 0 1", "ERR BITFIELD_RO only supports the GET subcommand"},
        {"BITFIELD_RO k INCRBY u8 0 1 GET u8 0", "ERR BITFIELD_RO only supports the GET subcommand"},
        {"BITFIELD_RO k SET u8 0 1 GET u64 0", BAD_TYPE},
        {"BITFIELD", "ERR wrong number of arguments for 'bitfield' command"},
        {"BITFIELD_RO", "ERR wrong number of arguments for 'bitfield_ro' command"},
    };
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) ts_assert_error(ts_cmd(c, errs[i].cmd), errs[i].err);
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    /* Reads never create the key; the largest offset is fine. */
    assert_ints(ts_cmd(c, "BITFIELD k"), "");
    assert_ints(ts_cmd(c, "BITFIELD k GET u8 0 GET i64 4294967295"), "0 0");
    assert_ints(ts_cmd(c, "BITFIELD_RO k GET u8 0"), "0");
    assert_ints(ts_cmd(c, "BITFIELD_RO k"), "");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_ok(ts_cmd(c, "SET k 1"));
    assert_ints(ts_cmd(c, "BITFIELD_RO k GET u8 0 GET u4 #1"), "49 1");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING k"), "int");
    assert_ints(ts_cmd(c, "BITFIELD k GET u8 0"), "49");
    ts_assert_bulk(ts_cmd(c, "OBJECT ENCODING k"), "int");
    if (su_make_set(c, "s", "member")) {
        ts_assert_error(ts_cmd(c, "BITFIELD s GET u8 0"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "BITFIELD s"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "BITFIELD s SET u8 0 1"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "BITFIELD_RO s GET u8 0"), WRONGTYPE);
        ts_assert_error(ts_cmd(c, "BITFIELD s GET u64 0"), BAD_TYPE);
    }
    redisFree(c);
}
