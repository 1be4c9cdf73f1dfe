/* test_hashes.c — integration tests of the hash commands over TCP:
 * replies, errors and their order, listpack and hashtable encodings and
 * the conversion at hash-max-listpack-entries / -value, keys deleted when
 * emptied, HRANDFIELD's count forms and HSCAN's cursor, RESP3 forms, and
 * many hashes spread over the shards. Every expectation holds on
 * redis-server 7.0 too (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/util.h"

TestSuite(hashes, .timeout = 120);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"

/* OBJECT comes with the generic key commands; until it is there the
 * encoding checks are skipped. */
static void assert_encoding(redisContext *c, const char *key, const char *enc)
{
    redisReply *r = ts_cmd(c, "OBJECT ENCODING %s", key);
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command", 19) == 0) {
        freeReplyObject(r);
        return;
    }
    ts_assert_bulk(r, enc);
}

/* HSET key f0 v0 .. f(n-1) v(n-1), values `vsize` bytes. */
static void fill_hash(redisContext *c, const char *key, int n, size_t vsize)
{
    char *val = malloc(vsize + 32);
    for (int i = 0; i < n; i++) {
        int len = snprintf(val, vsize + 32, "v%d", i);
        while ((size_t)len < vsize) val[len++] = '.';
        ts_append(c, "HSET %s f%d %b", key, i, val, (size_t)len);
    }
    for (int i = 0; i < n; i++) ts_assert_int(ts_reply(c), 1);
    free(val);
}

/* Is every element of an array reply distinct and of the form prefix<i>
 * with i < n? Returns how many there are. */
static size_t check_fields(redisReply *r, size_t stride, int n)
{
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    /* Counts, wide enough for thousands of picks of one field. */
    static unsigned seen[100000];
    memset(seen, 0, (size_t)n * sizeof(seen[0]));
    for (size_t i = 0; i < r->elements; i += stride) {
        int k;
        cr_assert(r->element[i]->type == REDIS_REPLY_STRING && sscanf(r->element[i]->str, "f%d", &k) == 1 &&
                      k >= 0 && k < n,
                  "element %zu: %s", i, r->element[i]->str);
        if (stride == 2) {
            char want[32];
            snprintf(want, sizeof want, "v%d", k);
            cr_assert(strncmp(r->element[i + 1]->str, want, strlen(want)) == 0, "value of f%d: %s", k,
                      r->element[i + 1]->str);
        }
        seen[k]++;
    }
    size_t distinct = 0;
    for (int k = 0; k < n; k++) distinct += seen[k] != 0;
    return distinct;
}

TS_TEST(hashes, set_get_basics)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "HSET h a 1 b 2"), 2);
    ts_assert_int(ts_cmd(c, "HSET h a 10 c 3"), 1); /* counts new fields only */
    ts_assert_ok(ts_cmd(c, "HMSET h d 4 a 11"));
    ts_assert_bulk(ts_cmd(c, "HGET h a"), "11");
    ts_assert_nil(ts_cmd(c, "HGET h zz"));
    ts_assert_nil(ts_cmd(c, "HGET nokey a"));
    ts_assert_array(ts_cmd(c, "HMGET h a zz d"), "11", NULL, "4");
    ts_assert_array(ts_cmd(c, "HMGET nokey a b"), NULL, NULL);
    ts_assert_int(ts_cmd(c, "HLEN h"), 4);
    ts_assert_int(ts_cmd(c, "HLEN nokey"), 0);
    ts_assert_int(ts_cmd(c, "HEXISTS h a"), 1);
    ts_assert_int(ts_cmd(c, "HEXISTS h zz"), 0);
    ts_assert_int(ts_cmd(c, "HEXISTS nokey a"), 0);
    ts_assert_int(ts_cmd(c, "HSTRLEN h a"), 2);
    ts_assert_int(ts_cmd(c, "HSTRLEN h zz"), 0);
    ts_assert_int(ts_cmd(c, "HSTRLEN nokey a"), 0);
    ts_assert_status(ts_cmd(c, "TYPE h"), "hash");
    assert_encoding(c, "h", "listpack");
    /* A small hash keeps insertion order. */
    ts_assert_array(ts_cmd(c, "HKEYS h"), "a", "b", "c", "d");
    ts_assert_array(ts_cmd(c, "HVALS h"), "11", "2", "3", "4");
    ts_assert_array(ts_cmd(c, "HGETALL h"), "a", "11", "b", "2", "c", "3", "d", "4");
    ts_assert_array(ts_cmd(c, "HKEYS nokey"), );
    ts_assert_array(ts_cmd(c, "HGETALL nokey"), );

    ts_assert_int(ts_cmd(c, "HSETNX h a x"), 0);
    ts_assert_int(ts_cmd(c, "HSETNX h e 5"), 1);
    ts_assert_int(ts_cmd(c, "HSETNX fresh f v"), 1);
    ts_assert_bulk(ts_cmd(c, "HGET h a"), "11");
    ts_assert_bulk(ts_cmd(c, "HGET fresh f"), "v");

    ts_assert_error(ts_cmd(c, "HSET h a"), "ERR wrong number of arguments for 'hset' command");
    ts_assert_error(ts_cmd(c, "HSET h a 1 b"), "ERR wrong number of arguments for 'hset' command");
    ts_assert_error(ts_cmd(c, "HMSET h a 1 b"), "ERR wrong number of arguments for 'hmset' command");
    ts_assert_error(ts_cmd(c, "HGET h"), "ERR wrong number of arguments for 'hget' command");
    ts_assert_int(ts_cmd(c, "EXISTS nokey"), 0);

    /* Binary, empty and numeric-looking fields and values, byte for byte. */
    const char *odd[] = {"", "0", "-0", "007", "9223372036854775807", "-9223372036854775808",
                         "9223372036854775808", "1.50", "\xff"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        ts_assert_int(ts_cmd(c, "HSET odd %s %s", odd[i], odd[i]), 1);
    ts_assert_int(ts_cmd(c, "HSET odd %b %b", "a\0b", (size_t)3, "c\0d", (size_t)3), 1);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        ts_assert_bulk(ts_cmd(c, "HGET odd %s", odd[i]), odd[i]);
        ts_assert_int(ts_cmd(c, "HSTRLEN odd %s", odd[i]), (long long)strlen(odd[i]));
    }
    redisReply *r = ts_cmd(c, "HGET odd %b", "a\0b", (size_t)3);
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 3 && memcmp(r->str, "c\0d", 3) == 0);
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(hashes, hdel_deletes_empty_key)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "HSET h a 1 b 2 c 3"), 3);
    ts_assert_int(ts_cmd(c, "HDEL h a zz a"), 1);
    ts_assert_int(ts_cmd(c, "HDEL h zz"), 0);
    ts_assert_int(ts_cmd(c, "HDEL nokey a"), 0);
    ts_assert_int(ts_cmd(c, "HDEL h b c"), 2);
    ts_assert_int(ts_cmd(c, "EXISTS h"), 0);
    ts_assert_nil(ts_cmd(c, "HGET h b"));
    /* The same for a hashtable hash. */
    fill_hash(c, "big", 600, 4);
    assert_encoding(c, "big", "hashtable");
    for (int i = 0; i < 599; i++) ts_append(c, "HDEL big f%d", i);
    for (int i = 0; i < 599; i++) ts_assert_int(ts_reply(c), 1);
    ts_assert_int(ts_cmd(c, "HLEN big"), 1);
    assert_encoding(c, "big", "hashtable"); /* never back to a listpack */
    ts_assert_int(ts_cmd(c, "HDEL big f599 f0"), 1);
    ts_assert_int(ts_cmd(c, "EXISTS big"), 0);
    redisFree(c);
}

TS_TEST(hashes, hincrby_hincrbyfloat)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "HINCRBY h n 5"), 5);
    ts_assert_int(ts_cmd(c, "HINCRBY h n -7"), -2);
    ts_assert_bulk(ts_cmd(c, "HGET h n"), "-2");
    ts_assert_error(ts_cmd(c, "HINCRBY h n x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "HINCRBY new n x"), NOT_INT);
    ts_assert_int(ts_cmd(c, "EXISTS new"), 0);
    ts_assert_int(ts_cmd(c, "HSET h s abc big 9223372036854775807 sp %s lz 01", " 1"), 4);
    ts_assert_error(ts_cmd(c, "HINCRBY h s 1"), "ERR hash value is not an integer");
    ts_assert_error(ts_cmd(c, "HINCRBY h sp 1"), "ERR hash value is not an integer");
    ts_assert_error(ts_cmd(c, "HINCRBY h lz 1"), "ERR hash value is not an integer");
    ts_assert_error(ts_cmd(c, "HINCRBY h big 1"), "ERR increment or decrement would overflow");
    ts_assert_int(ts_cmd(c, "HINCRBY h big -9223372036854775807"), 0);
    ts_assert_error(ts_cmd(c, "HINCRBY h n -9223372036854775807"), "ERR increment or decrement would overflow");

    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h f 10.5"), "10.5");
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h f 0.1"), "10.6");
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h f -10.6"), "0");
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h f 5.0e3"), "5000");
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h n 1.5"), "-0.5"); /* integer value */
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h lz 1"), "2");     /* "01" is a float */
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h f 1e-20"), "5000");
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT h s 1"), "ERR hash value is not a float");
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT h f x"), "ERR value is not a valid float");
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT h f 1e5000"), "ERR value is not a valid float");
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT h f inf"), "ERR value is NaN or Infinity");
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT nokey f -inf"), "ERR value is NaN or Infinity");
    ts_assert_int(ts_cmd(c, "EXISTS nokey"), 0);
    /* DBL_MAX printed in full from a long double, digits as Redis shows. */
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT h m 1.7976931348623157e308"),
                   "179769313486231569995921046774104434048386446944329178485314420765176628523124396354"
                   "701868608387085564428793419425520689308708363451136055357897278026477617073498977686"
                   "288394835618163294045594434929537447290627480669417384648879122776218333598953852832"
                   "103282504751611691208117720159985926376802466863339536384");
    /* Long double headroom: twice DBL_MAX is still finite. */
    redisReply *r = ts_cmd(c, "HINCRBYFLOAT h m 1.7976931348623157e308");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 309 && r->str[0] == '3', "%s", r->str);
    freeReplyObject(r);
    /* Past the long double range: refused, the value stays. */
    r = ts_cmd(c, "HINCRBYFLOAT h x 1.1e4932");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 4933 && strncmp(r->str, "10999999999", 11) == 0);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "HINCRBYFLOAT h x 1.1e4932"), "ERR increment would produce NaN or Infinity");
    ts_assert_int(ts_cmd(c, "HSTRLEN h x"), 4933);
    ts_assert_int(ts_cmd(c, "HSTRLEN h m"), 309);
    ts_assert_error(ts_cmd(c, "HINCRBY h"), "ERR wrong number of arguments for 'hincrby' command");
    redisFree(c);
}

/* listpack while both limits hold, hashtable past either of them. */
TS_TEST(hashes, encoding_conversion)
{
    redisContext *c = ts_connect(g_server);
    fill_hash(c, "e", 512, 4);
    assert_encoding(c, "e", "listpack");
    ts_assert_int(ts_cmd(c, "HSET e f0 changed"), 0);
    assert_encoding(c, "e", "listpack");
    ts_assert_int(ts_cmd(c, "HSET e f512 v512"), 1);
    assert_encoding(c, "e", "hashtable");
    ts_assert_int(ts_cmd(c, "HLEN e"), 513);
    ts_assert_bulk(ts_cmd(c, "HGET e f0"), "changed");
    ts_assert_bulk(ts_cmd(c, "HGET e f511"), "v511");
    redisReply *r = ts_cmd(c, "HGETALL e");
    cr_assert_eq(r->elements, 1026);
    freeReplyObject(r);

    /* A 64-byte value fits, 65 bytes does not; a long field the same. */
    char v64[65], v65[66];
    memset(v64, 'x', 64);
    v64[64] = 0;
    memset(v65, 'y', 65);
    v65[65] = 0;
    ts_assert_int(ts_cmd(c, "HSET v a %s", v64), 1);
    assert_encoding(c, "v", "listpack");
    ts_assert_int(ts_cmd(c, "HSET v b %s", v65), 1);
    assert_encoding(c, "v", "hashtable");
    ts_assert_bulk(ts_cmd(c, "HGET v a"), v64);
    ts_assert_bulk(ts_cmd(c, "HGET v b"), v65);
    ts_assert_int(ts_cmd(c, "HSET k %s 1", v65), 1);
    assert_encoding(c, "k", "hashtable");
    /* HSETNX and HINCRBYFLOAT convert too (a long result). */
    ts_assert_int(ts_cmd(c, "HSETNX n a %s", v65), 1);
    assert_encoding(c, "n", "hashtable");
    ts_assert_bulk(ts_cmd(c, "HINCRBYFLOAT fl a 1e70"),
                   "10000000000000000000222479489586148259025995410601157579323600873193472");
    assert_encoding(c, "fl", "hashtable");

    /* Lower limits with CONFIG SET apply to the next change. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET hash-max-listpack-entries 2"));
    ts_assert_int(ts_cmd(c, "HSET s a 1 b 2"), 2);
    assert_encoding(c, "s", "listpack");
    ts_assert_int(ts_cmd(c, "HSET s c 3"), 1);
    assert_encoding(c, "s", "hashtable");
    ts_assert_array(ts_cmd(c, "HMGET s a b c"), "1", "2", "3");
    redisFree(c);
}

static void hash_ops_roundtrip(redisContext *c, const char *key, int n)
{
    redisReply *r = ts_cmd(c, "HGETALL %s", key);
    cr_assert_eq(check_fields(r, 2, n), (size_t)n);
    freeReplyObject(r);
    r = ts_cmd(c, "HKEYS %s", key);
    cr_assert_eq(check_fields(r, 1, n), (size_t)n);
    freeReplyObject(r);
    r = ts_cmd(c, "HVALS %s", key);
    cr_assert_eq(r->elements, (size_t)n);
    freeReplyObject(r);
}

TS_TEST(hashes, hrandfield)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_nil(ts_cmd(c, "HRANDFIELD nokey"));
    ts_assert_array(ts_cmd(c, "HRANDFIELD nokey 3"), );
    ts_assert_array(ts_cmd(c, "HRANDFIELD nokey -3 WITHVALUES"), );
    const char *keys[] = {"small", "large"};
    int sizes[] = {10, 700};
    for (int k = 0; k < 2; k++) {
        const char *key = keys[k];
        int n = sizes[k];
        fill_hash(c, key, n, 3);
        hash_ops_roundtrip(c, key, n);
        redisReply *r = ts_cmd(c, "HRANDFIELD %s", key);
        int idx;
        cr_assert(r->type == REDIS_REPLY_STRING && sscanf(r->str, "f%d", &idx) == 1 && idx < n);
        freeReplyObject(r);
        ts_assert_array(ts_cmd(c, "HRANDFIELD %s 0", key), );
        ts_assert_array(ts_cmd(c, "HRANDFIELD %s 0 WITHVALUES", key), );
        /* Distinct fields: as many as asked, at most all of them. */
        int counts[] = {1, 3, n / 2, n - 1, n, n + 5, 1000};
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            int want = counts[i] < n ? counts[i] : n;
            r = ts_cmd(c, "HRANDFIELD %s %d", key, counts[i]);
            cr_assert_eq(r->elements, (size_t)want);
            cr_assert_eq(check_fields(r, 1, n), (size_t)want);
            freeReplyObject(r);
            r = ts_cmd(c, "HRANDFIELD %s %d WITHVALUES", key, counts[i]);
            cr_assert_eq(r->elements, (size_t)want * 2);
            cr_assert_eq(check_fields(r, 2, n), (size_t)want);
            freeReplyObject(r);
        }
        /* Negative: exactly that many, repeats allowed; with 3000 picks of
         * a 10-field hash every field shows up. */
        r = ts_cmd(c, "HRANDFIELD %s -3000", key);
        cr_assert_eq(r->elements, 3000);
        size_t distinct = check_fields(r, 1, n);
        freeReplyObject(r);
        if (n == 10) cr_assert_eq(distinct, 10);
        r = ts_cmd(c, "HRANDFIELD %s -5 WITHVALUES", key);
        cr_assert_eq(r->elements, 10);
        check_fields(r, 2, n);
        freeReplyObject(r);
    }
    ts_assert_error(ts_cmd(c, "HRANDFIELD small x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "HRANDFIELD small 1 WITHVALUE"), SYNTAX);
    ts_assert_error(ts_cmd(c, "HRANDFIELD small 1 WITHVALUES x"), SYNTAX);
    ts_assert_error(ts_cmd(c, "HRANDFIELD small -9223372036854775808"),
                    "ERR value is out of range, value must between -9223372036854775807 and "
                    "9223372036854775807");
    ts_assert_error(ts_cmd(c, "HRANDFIELD nokey 4611686018427387904 WITHVALUES"), "ERR value is out of range");
    ts_assert_error(ts_cmd(c, "HRANDFIELD nokey -4611686018427387904 WITHVALUES"), "ERR value is out of range");
    /* The count is checked before the key's type. */
    ts_assert_ok(ts_cmd(c, "SET str v"));
    ts_assert_error(ts_cmd(c, "HRANDFIELD str x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "HRANDFIELD str 1"), WRONGTYPE);
    redisFree(c);
}

/* A whole HSCAN iteration returns every field (with its value) at least
 * once, both encodings; MATCH filters fields only. */
static void scan_all(redisContext *c, const char *key, int n, const char *opts)
{
    static unsigned char seen[1000];
    memset(seen, 0, sizeof seen);
    char cursor[32] = "0";
    int rounds = 0;
    do {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "HSCAN %s %s %s", key, cursor, opts);
        redisReply *r = ts_cmd(c, cmd);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *items = r->element[1];
        cr_assert(items->elements % 2 == 0);
        for (size_t i = 0; i < items->elements; i += 2) {
            int k;
            cr_assert(sscanf(items->element[i]->str, "f%d", &k) == 1 && k < n);
            char want[32];
            snprintf(want, sizeof want, "v%d", k);
            cr_assert(strncmp(items->element[i + 1]->str, want, strlen(want)) == 0);
            seen[k] = 1;
        }
        freeReplyObject(r);
        cr_assert(++rounds < 10000);
    } while (strcmp(cursor, "0") != 0);
    bool match7 = strstr(opts, "MATCH f7*") != NULL;
    for (int k = 0; k < n; k++) {
        char f[16];
        snprintf(f, sizeof f, "f%d", k);
        bool want = !match7 || f[1] == '7';
        cr_assert_eq(seen[k], want, "%s: field f%d seen %d", key, k, seen[k]);
    }
}

TS_TEST(hashes, hscan)
{
    redisContext *c = ts_connect(g_server);
    fill_hash(c, "small", 20, 3);
    fill_hash(c, "large", 900, 3);
    /* A small hash comes back whole, cursor 0, whatever COUNT says. */
    redisReply *r = ts_cmd(c, "HSCAN small 0 COUNT 1");
    cr_assert(strcmp(r->element[0]->str, "0") == 0 && r->element[1]->elements == 40);
    freeReplyObject(r);
    r = ts_cmd(c, "HSCAN large 0 COUNT 10");
    cr_assert(strcmp(r->element[0]->str, "0") != 0 && r->element[1]->elements < 400);
    freeReplyObject(r);
    scan_all(c, "small", 20, "");
    scan_all(c, "small", 20, "MATCH f7*");
    scan_all(c, "large", 900, "");
    scan_all(c, "large", 900, "COUNT 7");
    scan_all(c, "large", 900, "MATCH f7* COUNT 50");
    r = ts_cmd(c, "HSCAN small 0 MATCH v*");
    cr_assert_eq(r->element[1]->elements, 0);
    freeReplyObject(r);

    r = ts_cmd(c, "HSCAN nokey 0 COUNT 0");
    cr_assert(r->elements == 2 && strcmp(r->element[0]->str, "0") == 0 && r->element[1]->elements == 0);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "HSCAN small x"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "HSCAN small 18446744073709551616"), "ERR invalid cursor");
    ts_assert_error(ts_cmd(c, "HSCAN small 0 COUNT 0"), SYNTAX);
    ts_assert_error(ts_cmd(c, "HSCAN small 0 COUNT x"), NOT_INT);
    ts_assert_error(ts_cmd(c, "HSCAN small 0 MATCH"), SYNTAX);
    ts_assert_error(ts_cmd(c, "HSCAN small 0 TYPE hash"), SYNTAX);
    ts_assert_ok(ts_cmd(c, "SET str v"));
    ts_assert_error(ts_cmd(c, "HSCAN str 0"), WRONGTYPE);
    redisFree(c);
}

TS_TEST(hashes, wrongtype_everywhere)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH l a"), 1);
    const char *cmds[] = {
        "HSET l a 1", "HMSET l a 1", "HSETNX l a 1", "HGET l a", "HMGET l a", "HDEL l a",
        "HLEN l", "HSTRLEN l a", "HEXISTS l a", "HKEYS l", "HVALS l", "HGETALL l",
        "HINCRBY l a 1", "HINCRBYFLOAT l a 1", "HRANDFIELD l", "HRANDFIELD l 2 WITHVALUES", "HSCAN l 0",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        redisReply *r = ts_cmd(c, cmds[i]);
        cr_assert(r->type == REDIS_REPLY_ERROR && strcmp(r->str, WRONGTYPE) == 0, "%s", cmds[i]);
        freeReplyObject(r);
    }
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a");
    /* And the list commands refuse a hash. */
    ts_assert_int(ts_cmd(c, "HSET h a 1"), 1);
    ts_assert_error(ts_cmd(c, "LPUSH h a"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "LLEN h"), WRONGTYPE);
    redisFree(c);
}

/* RESP3: HGETALL is a map, HRANDFIELD WITHVALUES a list of pairs. */
TS_TEST(hashes, resp3_forms)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "HSET h a 1"), 1);
    redisFree(c);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    cr_assert(ts_raw_read_reply(raw, 5000, &len));
    ts_raw_send_str(raw, "HGETALL h\r\nHGETALL nokey\r\nHRANDFIELD h 1 WITHVALUES\r\n"
                         "HRANDFIELD h -2 WITHVALUES\r\nHRANDFIELD nokey\r\nHGET h zz\r\n"
                         "HRANDFIELD h 2\r\nHINCRBYFLOAT h a 1.5\r\n");
    ts_raw_expect(raw, "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    ts_raw_expect(raw, "%0\r\n");
    ts_raw_expect(raw, "*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    ts_raw_expect(raw, "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    ts_raw_expect(raw, "_\r\n");
    ts_raw_expect(raw, "_\r\n");
    ts_raw_expect(raw, "*1\r\n$1\r\na\r\n");
    ts_raw_expect(raw, "$3\r\n2.5\r\n");
    ts_raw_close(raw);
}

/* Many hashes, spread over every shard, each intact. */
TS_TEST(hashes, many_keys_across_shards)
{
    enum { N = 300 };
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < N; i++) ts_append(c, "HSET user:%d name n%d id %d", i, i, i);
    for (int i = 0; i < N; i++) ts_assert_int(ts_reply(c), 2);
    for (int i = 0; i < N; i++) ts_append(c, "HINCRBY user:%d id 1000", i);
    for (int i = 0; i < N; i++) ts_assert_int(ts_reply(c), 1000 + i);
    for (int i = 0; i < N; i += 37) {
        char name[16], id[16];
        snprintf(name, sizeof name, "n%d", i);
        snprintf(id, sizeof id, "%d", 1000 + i);
        ts_assert_array(ts_cmd(c, "HMGET user:%d name id", i), name, id);
    }
    ts_assert_int(ts_cmd(c, "DBSIZE"), N);
    redisFree(c);
}

/* COPY, RENAME and MOVE of hashes (both encodings) to keys of other slots
 * (other shards) and databases: the copy is deep, each side changes alone. */
TS_TEST(hashes, copy_rename_move)
{
    redisContext *c = ts_connect(g_server);
    fill_hash(c, "big", 700, 3);
    ts_assert_int(ts_cmd(c, "HSET small a 1 b 2"), 2);
    const char *srcs[] = {"small", "big"};
    for (int i = 0; i < 2; i++) {
        const char *src = srcs[i];
        long long n = i == 0 ? 2 : 700;
        ts_assert_int(ts_cmd(c, "COPY %s %s-copy", src, src), 1);
        assert_encoding(c, i == 0 ? "small-copy" : "big-copy", i == 0 ? "listpack" : "hashtable");
        ts_assert_int(ts_cmd(c, "HSET %s-copy extra x", src), 1);
        ts_assert_int(ts_cmd(c, "HDEL %s %s", src, i == 0 ? "a" : "f0"), 1);
        ts_assert_int(ts_cmd(c, "HLEN %s", src), n - 1);
        ts_assert_int(ts_cmd(c, "HLEN %s-copy", src), n + 1);
        ts_assert_bulk(ts_cmd(c, "HGET %s-copy %s", src, i == 0 ? "a" : "f0"), i == 0 ? "1" : "v0.");
        ts_assert_ok(ts_cmd(c, "RENAME %s-copy %s-renamed", src, src));
        ts_assert_status(ts_cmd(c, "TYPE %s-renamed", src), "hash");
        ts_assert_int(ts_cmd(c, "MOVE %s-renamed 1", src), 1);
    }
    ts_assert_ok(ts_cmd(c, "SELECT 1"));
    ts_assert_array(ts_cmd(c, "HGETALL small-renamed"), "a", "1", "b", "2", "extra", "x");
    ts_assert_int(ts_cmd(c, "HLEN big-renamed"), 701);
    assert_encoding(c, "big-renamed", "hashtable");
    redisFree(c);
}

/* Random picks are uniform over a hashtable-encoded hash too (the check
 * Redis's own suite makes: a chi-square over 1000 picks of 10 fields, 9
 * degrees of freedom, 40 being a 0.00001 tail). */
TS_TEST(hashes, hrandfield_is_uniform)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG SET hash-max-listpack-value 10"));
    for (int i = 0; i < 10; i++) ts_assert_int(ts_cmd(c, "HSET h field-number-%d a-value-longer-than-ten", i), 1);
    redisReply *enc = ts_cmd(c, "OBJECT ENCODING h");
    cr_assert_str_eq(enc->str, "hashtable");
    freeReplyObject(enc);
    redisReply *r = ts_cmd(c, "HRANDFIELD h -1000");
    cr_assert_eq(r->elements, 1000);
    int hits[10] = {0};
    for (size_t i = 0; i < r->elements; i++) {
        int idx = -1;
        cr_assert(sscanf(r->element[i]->str, "field-number-%d", &idx) == 1 && idx >= 0 && idx < 10);
        hits[idx]++;
    }
    freeReplyObject(r);
    double chi2 = 0;
    for (int i = 0; i < 10; i++) chi2 += (hits[i] - 100.0) * (hits[i] - 100.0) / 100.0;
    cr_assert(chi2 < 40, "chi-square %.1f", chi2);
    redisFree(c);
}
