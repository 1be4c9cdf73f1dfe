/* test_persist.c — persistence as Redis 7.0 has it: DUMP/RESTORE (every
 * type and encoding; TTL, ABSTTL, REPLACE, IDLETIME, FREQ; payload
 * checks), payloads and RDB files exchanged with a real redis-server
 * (ts_start_redis), SAVE/BGSAVE/LASTSAVE and INFO persistence, the save,
 * dir, dbfilename, rdbcompression and rdbchecksum directives, dump.rdb
 * loaded at startup (databases, TTLs, expired keys, encodings), SHUTDOWN
 * [SAVE|NOSAVE], saving on SIGTERM, and a corrupt dump.rdb refused. Every
 * expectation holds on redis-server 7.0.15 (suite 'redis'), where the
 * exchanges with the peer Redis pass trivially. */
#include "harness.h"
#include "strings_util.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringkv/base/alloc.h"

TestSuite(persist, .timeout = 60);

#define NOT_INT "ERR value is not an integer or out of range"
#define SYNTAX "ERR syntax error"
#define BAD_PAYLOAD "ERR DUMP payload version or checksum are wrong"
#define BAD_FORMAT "ERR Bad data format"
#define BUSYKEY "BUSYKEY Target key name already exists."
#define BG_BUSY "ERR Background save already in progress"
#define LFU_OFF                                                                                    \
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that " \
    "when switching between policies at runtime LRU and LFU data will take some time to adjust."

/* ---- fixture: servers and data directories a test makes itself ------ */

static struct test_server *g_peer; /* a real redis-server next to g_server */
static char g_dir[256];            /* a --dir that outlives one server */

static void persist_init(void) { ts_mkdtemp(g_dir, sizeof g_dir); }

static void persist_fini(void)
{
    ts_fixture_fini();
    if (g_peer) {
        ts_kill(g_peer);
        g_peer = NULL;
    }
    struct stat st;
    if (g_dir[0] && stat(g_dir, &st) == 0) { /* a test may have removed it */
        ts_rmdir_files(g_dir);
        g_dir[0] = '\0';
    }
}

/* A test that starts its servers itself, with g_dir made for it; whatever
 * it leaves is killed and removed. */
#define PERSIST_TEST(name, ...) Test(persist, name, .init = persist_init, .fini = persist_fini, ##__VA_ARGS__)

/* Stops *ts with SIGTERM, asserting exit status 0. */
static void stop_ok(struct test_server **ts)
{
    struct test_server *s = *ts;
    *ts = NULL;
    int status = ts_stop(s);
    cr_assert_eq(status, 0, "exit status %d on SIGTERM, want 0 (log above)", status);
}

static void start_on_dir(void) { g_server = ts_start("--dir", g_dir, NULL); }

static void restart_on_dir(void)
{
    stop_ok(&g_server);
    start_on_dir();
}

static const char *path_in(const char *dir, const char *name)
{
    static char buf[4][PATH_MAX];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static long long file_size(const char *path)
{
    struct stat st;
    cr_assert(stat(path, &st) == 0, "%s does not exist", path);
    return (long long)st.st_size;
}

/* dir holds exactly one file, `name`: no temp file was left behind. */
static void assert_only_file(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    cr_assert(d, "opendir %s", dir);
    char names[512] = "";
    int n = 0;
    bool found = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        found |= strcmp(e->d_name, name) == 0;
        size_t len = strlen(names);
        snprintf(names + len, sizeof names - len, " %s", e->d_name);
    }
    closedir(d);
    cr_assert(found && n == 1, "%s holds%s; want only %s", dir, names, name);
}

static void copy_file(const char *from, const char *to)
{
    size_t n;
    char *d = ts_read_file(from, &n);
    cr_assert(d, "cannot read %s", from);
    ts_write_file(to, d, n);
    rk_free(d);
}

static long long int_of(redisReply *r, const char *what)
{
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s: not an integer reply", what);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Server time in ms (TIME), for ABSTTL. */
static long long server_time_ms(redisContext *c)
{
    redisReply *t = ts_cmd(c, "TIME");
    cr_assert(t->type == REDIS_REPLY_ARRAY && t->elements == 2);
    long long ms = atoll(t->element[0]->str) * 1000 + atoll(t->element[1]->str) / 1000;
    freeReplyObject(t);
    return ms;
}

/* An INFO field's text ("ok"), into buf; false when absent. */
static bool info_str(redisContext *c, const char *field, char *buf, size_t cap)
{
    redisReply *r = ts_cmd(c, "INFO persistence");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "INFO persistence");
    size_t flen = strlen(field);
    bool found = false;
    for (const char *p = r->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
            size_t n = strcspn(p + flen + 1, "\r\n");
            snprintf(buf, cap, "%.*s", (int)n, p + flen + 1);
            found = true;
            break;
        }
    }
    freeReplyObject(r);
    return found;
}

static void assert_info_str(redisContext *c, const char *field, const char *want)
{
    char got[128];
    cr_assert(info_str(c, field, got, sizeof got), "INFO persistence has no %s", field);
    cr_assert_str_eq(got, want, "INFO persistence %s:%s, want %s", field, got, want);
}

/* Waits (up to 10 s) for rdb_bgsave_in_progress:0. */
static void wait_bgsave_done(redisContext *c)
{
    long long deadline = ts_now_ms() + 10000;
    long long v;
    while ((v = ts_info_ll(c, "rdb_bgsave_in_progress")) != 0 && ts_now_ms() < deadline)
        ts_sleep_ms(20);
    cr_assert_eq(v, 0, "rdb_bgsave_in_progress still %lld after 10 s", v);
}

/* ---- CRC-64 (Jones, reflected: Redis's crc64) and payloads ------------ */

static uint64_t crc64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ ((crc & 1) ? 0x95ac9329ac4bc9b5ULL : 0);
    }
    return crc;
}

static uint64_t le64(const void *p)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void put_le64(void *p, uint64_t v)
{
    unsigned char *b = p;
    for (int i = 0; i < 8; i++, v >>= 8)
        b[i] = (unsigned char)v;
}

/* A DUMP payload: body, RDB version (2 bytes LE), CRC-64 of both (8 bytes
 * LE). Returns its length; out needs blen + 10 bytes. */
static size_t make_payload(char *out, const void *body, size_t blen, unsigned version)
{
    memcpy(out, body, blen);
    out[blen] = (char)(version & 0xff);
    out[blen + 1] = (char)(version >> 8);
    put_le64(out + blen + 2, crc64(out, blen + 2));
    return blen + 10;
}

/* DUMP key: the payload (malloc'd) and its length, asserting a bulk reply
 * that ends in RDB version 10 and a correct CRC-64. */
static char *dump_key(redisContext *c, const char *key, size_t *len)
{
    redisReply *r = ts_cmd(c, "DUMP %s", key);
    char d[256];
    ts_reply_describe(r, d, sizeof d);
    cr_assert(r->type == REDIS_REPLY_STRING && r->len >= 10, "DUMP %s: %s", key, d);
    const unsigned char *p = (const unsigned char *)r->str;
    size_t n = r->len;
    cr_assert(p[n - 10] == 10 && p[n - 9] == 0, "DUMP %s: RDB version %u in the footer, want 10", key,
              p[n - 10] | p[n - 9] << 8);
    cr_assert(le64(p + n - 8) == crc64(p, n - 8), "DUMP %s: the CRC-64 footer does not match", key);
    char *out = malloc(n);
    memcpy(out, p, n);
    *len = n;
    freeReplyObject(r);
    return out;
}

/* ---- values ----------------------------------------------------------- */

/* n bytes LZF shrinks to almost nothing. */
static char *pattern_value(size_t n)
{
    char *v = malloc(n);
    for (size_t i = 0; i < n; i++)
        v[i] = "abcdefghij"[i % 10];
    return v;
}

/* n bytes no compressor shrinks (xorshift64), \0 and \r\n included. */
static char *random_value(size_t n, uint64_t seed)
{
    char *v = malloc(n);
    uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (char)(x >> 32);
    }
    return v;
}

#define RAW60 "a raw string: longer than 44 bytes, so never embedded (60)..."

/* ---- the dataset: every type and encoding, in databases 0, 3 and 15 --- */

struct key_spec {
    int db;
    const char *key, *type, *enc;
    bool ttl;
};

static const struct key_spec DATASET[] = {
    {0, "str:int", "string", "int", false},
    {0, "str:bigint", "string", "int", false},
    {0, "str:neg", "string", "int", false},
    {0, "str:embstr", "string", "embstr", false},
    {0, "str:empty", "string", "embstr", false},
    {0, "str:bin", "string", "embstr", false},
    {0, "str:raw", "string", "raw", false},
    {0, "str:zip", "string", "raw", false},
    {0, "str:rand", "string", "raw", false},
    {0, "list:small", "list", "quicklist", false},
    {0, "list:large", "list", "quicklist", false},
    {0, "list:bigelem", "list", "quicklist", false},
    {0, "set:intset", "set", "intset", false},
    {0, "set:ints", "set", "intset", false},
    {0, "set:bigints", "set", "hashtable", false},
    {0, "set:small", "set", "hashtable", false},
    {0, "set:large", "set", "hashtable", false},
    {0, "hash:small", "hash", "listpack", false},
    {0, "hash:large", "hash", "hashtable", false},
    {0, "hash:bigval", "hash", "hashtable", false},
    {0, "zset:small", "zset", "listpack", false},
    {0, "zset:large", "zset", "skiplist", false},
    {0, "zset:bigmember", "zset", "skiplist", false},
    {0, "ttl:str", "string", "embstr", true},
    {0, "ttl:list", "list", "quicklist", true},
    {0, "ttl:hash", "hash", "listpack", true},
    {0, "ttl:zset", "zset", "skiplist", true},
    {3, "db3:str", "string", "embstr", false},
    {3, "db3:hash", "hash", "listpack", false},
    {3, "str:int", "string", "int", false},
    {15, "db15:set", "set", "intset", false},
    {15, "db15:zset", "zset", "listpack", false},
    {15, "str:int", "string", "int", true},
};
#define N_DATASET (sizeof DATASET / sizeof DATASET[0])
static const int DBS[] = {0, 3, 15};
#define N_DBS (sizeof DBS / sizeof DBS[0])

static int g_pending;

static void q(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(c, fmt, ap);
    va_end(ap);
    cr_assert_eq(rc, REDIS_OK, "redisvAppendCommand(%s) failed", fmt);
    g_pending++;
}

static void q_flush(redisContext *c)
{
    for (; g_pending > 0; g_pending--) {
        redisReply *r = ts_reply(c);
        char d[256];
        ts_reply_describe(r, d, sizeof d);
        cr_assert(r->type != REDIS_REPLY_ERROR, "a command building the dataset failed: %s", d);
        freeReplyObject(r);
    }
}

/* Writes DATASET, leaving database 0 selected. */
static void populate(redisContext *c)
{
    char *zip = pattern_value(100000), *rnd = random_value(100000, 1);
    char *big = pattern_value(20000), *rnd10 = random_value(10000, 2);
    char v100[101], m100[101];
    memset(v100, 'v', 100);
    v100[100] = '\0';
    memset(m100, 'm', 100);
    m100[100] = '\0';

    q(c, "SELECT 0");
    q(c, "SET str:int 12345");
    q(c, "SET str:bigint 9223372036854775807");
    q(c, "SET str:neg -42");
    q(c, "SET str:embstr %s", "hello, world");
    q(c, "SET str:empty %b", "", (size_t)0);
    q(c, "SET str:bin %b", "a\0b\r\nc\xff", (size_t)7);
    q(c, "SET str:raw %s", RAW60);
    q(c, "SET str:zip %b", zip, (size_t)100000);
    q(c, "SET str:rand %b", rnd, (size_t)100000);
    q(c, "RPUSH list:small 1 -2 hello 3.5 %b", "", (size_t)0);
    for (int i = 0; i < 300; i++)
        q(c, i % 3 == 0 ? "RPUSH list:large %d" : "RPUSH list:large item:%d", i);
    q(c, "RPUSH list:bigelem head %b %b tail", big, (size_t)20000, rnd10, (size_t)10000);
    q(c, "SADD set:intset 1 2 3 -5 100000 9223372036854775807 -9223372036854775808");
    for (int i = 0; i < 300; i++)
        q(c, "SADD set:ints %d", i * 7 - 1000);
    for (int i = 0; i < 600; i++)
        q(c, "SADD set:bigints %d", i);
    q(c, "SADD set:small a b c");
    for (int i = 0; i < 600; i++)
        q(c, "SADD set:large m:%d", i);
    q(c, "HSET hash:small f1 v1 f2 2 f3 %b num -17", "", (size_t)0);
    for (int i = 0; i < 600; i++) /* hash-max-listpack-entries is 512 */
        q(c, "HSET hash:large f:%d v:%d", i, i * 3);
    q(c, "HSET hash:bigval f %s small s", v100);
    q(c, "ZADD zset:small 1.5 a -inf b +inf c 0 d -2.25 e 0.1 f 1e300 g");
    for (int i = 0; i < 300; i++)
        q(c, "ZADD zset:large %.2f m:%d", (i - 150) / 4.0, i);
    q(c, "ZADD zset:large -inf lo +inf hi 3.14159 pi");
    q(c, "ZADD zset:bigmember 1 %s 2 short", m100);
    q(c, "SET ttl:str v EX 1000");
    q(c, "RPUSH ttl:list a b c");
    q(c, "PEXPIRE ttl:list 2000000");
    q(c, "HSET ttl:hash f v");
    q(c, "EXPIRE ttl:hash 3000");
    for (int i = 0; i < 200; i++)
        q(c, "ZADD ttl:zset %d z%d", i, i);
    q(c, "EXPIRE ttl:zset 4000");
    q(c, "SELECT 3");
    q(c, "SET db3:str %s", "in db 3");
    q(c, "HSET db3:hash a 1 b 2");
    q(c, "SET str:int 333");
    q(c, "SELECT 15");
    q(c, "SADD db15:set 1 2");
    q(c, "ZADD db15:zset 1 x 2 y");
    q(c, "SET str:int 15 EX 500");
    q(c, "SELECT 0");
    q_flush(c);
    free(zip);
    free(rnd);
    free(big);
    free(rnd10);
}

/* Every DATASET key has its type, encoding and (no) TTL; leaves db 0. */
static void assert_dataset_shape(redisContext *c)
{
    int db = -1;
    for (size_t i = 0; i < N_DATASET; i++) {
        const struct key_spec *k = &DATASET[i];
        if (k->db != db) {
            ts_assert_ok(ts_cmd(c, "SELECT %d", k->db));
            db = k->db;
        }
        ts_assert_status(ts_cmd(c, "TYPE %s", k->key), k->type);
        redisReply *r = ts_cmd(c, "OBJECT ENCODING %s", k->key);
        char d[256];
        ts_reply_describe(r, d, sizeof d);
        cr_assert(r->type == REDIS_REPLY_STRING && strcmp(r->str, k->enc) == 0,
                  "db %d key %s: OBJECT ENCODING %s, want %s", k->db, k->key, d, k->enc);
        freeReplyObject(r);
        long long pttl = int_of(ts_cmd(c, "PTTL %s", k->key), "PTTL");
        cr_assert(k->ttl ? pttl > 0 : pttl == -1, "db %d key %s: PTTL %lld", k->db, k->key, pttl);
    }
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
}

static void assert_dataset_spreads(void)
{
    const char *keys[N_DATASET];
    for (size_t i = 0; i < N_DATASET; i++)
        keys[i] = DATASET[i].key;
    ts_assert_spread(keys, N_DATASET, 4);
}

/* ---- digests: a key as the commands see it ----------------------------- */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_put(struct sbuf *b, const void *d, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_elem(struct sbuf *b, const redisReply *e)
{
    char hdr[32];
    if (e->type == REDIS_REPLY_STRING) {
        int n = snprintf(hdr, sizeof hdr, "%zu:", e->len);
        sb_put(b, hdr, (size_t)n);
        sb_put(b, e->str, e->len);
    } else {
        sb_put(b, "?", 1);
    }
    sb_put(b, ",", 1);
}

static int cmp_elem(const void *a, const void *b)
{
    const redisReply *x = *(redisReply *const *)a, *y = *(redisReply *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->str, y->str, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Pairs (field, value) ordered by field. */
static int cmp_pair(const void *a, const void *b) { return cmp_elem(a, b); }

/* "type/encoding n=<elements> bytes=<content> fnv=<hash> head=<start>":
 * strings whole, lists and sorted sets in order, sets and hashes sorted. */
static char *key_digest(redisContext *c, const char *key)
{
    redisReply *t = ts_cmd(c, "TYPE %s", key);
    cr_assert_eq(t->type, REDIS_REPLY_STATUS, "TYPE %s", key);
    redisReply *e = ts_cmd(c, "OBJECT ENCODING %s", key);
    struct sbuf b = {0};
    size_t n = 0;
    redisReply *r = NULL;
    if (strcmp(t->str, "string") == 0) {
        r = ts_cmd(c, "GET %s", key);
        sb_elem(&b, r);
        n = 1;
    } else if (strcmp(t->str, "list") == 0 || strcmp(t->str, "zset") == 0) {
        r = ts_cmd(c, strcmp(t->str, "list") == 0 ? "LRANGE %s 0 -1" : "ZRANGE %s 0 -1 WITHSCORES", key);
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
        for (size_t i = 0; i < r->elements; i++)
            sb_elem(&b, r->element[i]);
        n = r->elements;
    } else if (strcmp(t->str, "set") == 0) {
        r = ts_cmd(c, "SMEMBERS %s", key);
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
        qsort(r->element, r->elements, sizeof r->element[0], cmp_elem);
        for (size_t i = 0; i < r->elements; i++)
            sb_elem(&b, r->element[i]);
        n = r->elements;
    } else if (strcmp(t->str, "hash") == 0) {
        r = ts_cmd(c, "HGETALL %s", key);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0);
        qsort(r->element, r->elements / 2, 2 * sizeof r->element[0], cmp_pair);
        for (size_t i = 0; i < r->elements; i++)
            sb_elem(&b, r->element[i]);
        n = r->elements / 2;
    } else {
        sb_put(&b, "none", 4);
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < b.len; i++)
        h = (h ^ (unsigned char)b.p[i]) * 0x100000001b3ULL;
    char head[200];
    ts_escape(b.p ? b.p : "", b.len < 60 ? b.len : 60, head, sizeof head);
    char *out = malloc(512);
    snprintf(out, 512, "%s/%s n=%zu bytes=%zu fnv=%016llx head=%s", t->str,
             e->type == REDIS_REPLY_STRING ? e->str : "?", n, b.len, (unsigned long long)h, head);
    free(b.p);
    freeReplyObject(r);
    freeReplyObject(e);
    freeReplyObject(t);
    return out;
}

static void assert_same_key(redisContext *cw, const char *kw, redisContext *cg, const char *kg)
{
    char *want = key_digest(cw, kw), *got = key_digest(cg, kg);
    cr_assert_str_eq(got, want, "%s: got\n  %s\nwant (from %s)\n  %s", kg, got, kw, want);
    free(want);
    free(got);
}

/* ---- snapshots: every key of databases 0, 3, 15 with its PTTL ---------- */

struct snap_entry {
    int db;
    char *key, *digest;
    long long pttl;
};

struct snap {
    struct snap_entry e[128];
    size_t n;
    long long dbsize[N_DBS];
    long long t0, t1; /* ts_now_ms() around the PTTL readings */
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void snap_take(redisContext *c, struct snap *s)
{
    memset(s, 0, sizeof *s);
    s->t0 = ts_now_ms();
    for (size_t d = 0; d < N_DBS; d++) {
        ts_assert_ok(ts_cmd(c, "SELECT %d", DBS[d]));
        redisReply *r = ts_cmd(c, "KEYS *");
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
        char **names = malloc((r->elements + 1) * sizeof *names);
        for (size_t i = 0; i < r->elements; i++)
            names[i] = r->element[i]->str;
        qsort(names, r->elements, sizeof *names, cmp_str);
        for (size_t i = 0; i < r->elements; i++) {
            cr_assert_lt(s->n, 128, "too many keys for a snapshot");
            struct snap_entry *e = &s->e[s->n++];
            e->db = DBS[d];
            e->key = strdup(names[i]);
            e->digest = key_digest(c, names[i]);
            e->pttl = int_of(ts_cmd(c, "PTTL %s", names[i]), "PTTL");
        }
        s->dbsize[d] = (long long)r->elements;
        free(names);
        freeReplyObject(r);
    }
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    s->t1 = ts_now_ms();
}

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].digest);
    }
    s->n = 0;
}

static char *snap_names(const struct snap *s)
{
    struct sbuf b = {0};
    sb_put(&b, "", 0);
    for (size_t i = 0; i < s->n; i++) {
        char buf[300];
        int n = snprintf(buf, sizeof buf, "%s%d/%s", i ? " " : "", s->e[i].db, s->e[i].key);
        sb_put(&b, buf, (size_t)n);
    }
    return b.p;
}

/* Same keys in the same databases with the same digests; TTLs where they
 * were, each at most what it was less the time that passed in between
 * (the expiry is an absolute time that moves along with the data). */
static void snap_assert_same(const struct snap *want, const struct snap *got)
{
    char *wn = snap_names(want), *gn = snap_names(got);
    cr_assert_str_eq(gn, wn, "keys differ:\n got  %s\n want %s", gn, wn);
    free(wn);
    free(gn);
    for (size_t i = 0; i < want->n; i++) {
        const struct snap_entry *w = &want->e[i], *g = &got->e[i];
        cr_assert_str_eq(g->digest, w->digest, "db %d key %s: got\n  %s\nwant\n  %s", w->db, w->key,
                         g->digest, w->digest);
        if (w->pttl < 0) {
            cr_assert_eq(g->pttl, w->pttl, "db %d key %s: PTTL %lld, want %lld", w->db, w->key, g->pttl,
                         w->pttl);
        } else {
            long long hi = w->pttl + (want->t1 - want->t0) + 10;
            long long lo = w->pttl - (got->t1 - want->t0) - 10;
            cr_assert(g->pttl > 0 && g->pttl >= lo && g->pttl <= hi,
                      "db %d key %s: PTTL %lld, want %lld less the time between (%lld..%lld)", w->db,
                      w->key, g->pttl, w->pttl, lo, hi);
        }
    }
}

/* DBSIZE of each database as in the snapshot: nothing more was loaded
 * (an expired key is skipped, not merely hidden). */
static void assert_dbsizes(redisContext *c, const struct snap *s)
{
    for (size_t d = 0; d < N_DBS; d++) {
        ts_assert_ok(ts_cmd(c, "SELECT %d", DBS[d]));
        long long n = int_of(ts_cmd(c, "DBSIZE"), "DBSIZE");
        cr_assert_eq(n, s->dbsize[d], "db %d: DBSIZE %lld, want %lld", DBS[d], n, s->dbsize[d]);
    }
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
}

/* The loaded values are live: each type takes a write as it should. */
static void assert_dataset_writable(redisContext *c)
{
    ts_assert_int(ts_cmd(c, "INCR str:int"), 12346);
    ts_assert_int(ts_cmd(c, "APPEND str:zip xyz"), 100003);
    ts_assert_int(ts_cmd(c, "RPUSH list:large tail"), 301);
    ts_assert_bulk(ts_cmd(c, "LINDEX list:large 150"), "150");
    ts_assert_int(ts_cmd(c, "SADD set:intset 7"), 1);
    ts_assert_int(ts_cmd(c, "SISMEMBER set:intset -9223372036854775808"), 1);
    ts_assert_int(ts_cmd(c, "SADD set:large m:0 m:600"), 1);
    ts_assert_int(ts_cmd(c, "HSET hash:small f4 v4"), 1);
    ts_assert_bulk(ts_cmd(c, "HGET hash:large f:299"), "v:897");
    ts_assert_bulk(ts_cmd(c, "ZSCORE zset:small b"), "-inf");
    ts_assert_int(ts_cmd(c, "ZRANK zset:large m:0"), 1);
    ts_assert_int(ts_cmd(c, "ZADD zset:small 2 a2"), 1);
}

/* ---- DUMP / RESTORE ---------------------------------------------------- */

/* Every type and encoding survives DUMP + RESTORE: content and
 * OBJECT ENCODING as the original's; the copy has no TTL. */
TS_TEST(persist, dump_restore_every_type_and_encoding)
{
    redisContext *c = ts_connect(g_server);
    populate(c);
    assert_dataset_shape(c);
    assert_dataset_spreads();
    for (size_t i = 0; i < N_DATASET; i++) {
        const struct key_spec *k = &DATASET[i];
        ts_assert_ok(ts_cmd(c, "SELECT %d", k->db));
        size_t n;
        char *p = dump_key(c, k->key, &n);
        char copy[128];
        snprintf(copy, sizeof copy, "copy:%s", k->key);
        ts_assert_ok(ts_cmd(c, "RESTORE %s 0 %b", copy, p, n));
        assert_same_key(c, k->key, c, copy);
        ts_assert_int(ts_cmd(c, "PTTL %s", copy), -1);
        /* The payload restores under its own name too, once it is gone. */
        ts_assert_int(ts_cmd(c, "DEL %s", k->key), 1);
        ts_assert_ok(ts_cmd(c, "RESTORE %s 0 %b", k->key, p, n));
        assert_same_key(c, copy, c, k->key);
        free(p);
    }
    redisFree(c);
}

/* RDB string encodings, byte for byte: integers in 8/16/32 bits, longer
 * numbers and short strings as length-prefixed bytes, then version 10 and
 * the CRC-64. A 100 KB compressible value is LZF-compressed; an
 * incompressible one is stored as it is. */
TS_TEST(persist, dump_payload_bytes)
{
    redisContext *c = ts_connect(g_server);
    static const struct {
        const char *value;
        size_t vlen;
        const char *body;
        size_t blen;
    } cases[] = {
        {"12345", 5, "\x00\xc1\x39\x30", 4},
        {"-1", 2, "\x00\xc0\xff", 3},
        {"100000", 6, "\x00\xc2\xa0\x86\x01\x00", 6},
        {"hello", 5, "\x00\x05hello", 7},
        {"", 0, "\x00\x00", 2},
        {"9223372036854775807", 19, "\x00\x13" "9223372036854775807", 21},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char key[16], want[64], got_d[200], want_d[200];
        snprintf(key, sizeof key, "k%zu", i);
        ts_assert_ok(ts_cmd(c, "SET %s %b", key, cases[i].value, cases[i].vlen));
        size_t wn = make_payload(want, cases[i].body, cases[i].blen, 10), gn;
        char *got = dump_key(c, key, &gn);
        ts_escape(got, gn, got_d, sizeof got_d);
        ts_escape(want, wn, want_d, sizeof want_d);
        cr_assert(gn == wn && memcmp(got, want, wn) == 0, "DUMP %s (%s): got \"%s\", want \"%s\"", key,
                  cases[i].value, got_d, want_d);
        free(got);
    }
    char *zip = pattern_value(100000), *rnd = random_value(100000, 3);
    ts_assert_ok(ts_cmd(c, "SET zip %b", zip, (size_t)100000));
    ts_assert_ok(ts_cmd(c, "SET rnd %b", rnd, (size_t)100000));
    size_t n;
    char *p = dump_key(c, "zip", &n);
    cr_assert(n < 10000, "DUMP of a 100 KB run of abcdefghij is %zu bytes: not compressed", n);
    cr_assert_eq((unsigned char)p[1], 0xc3, "the compressible value is not LZF-encoded (0xc3)");
    free(p);
    p = dump_key(c, "rnd", &n);
    cr_assert(n >= 100000 && n < 100100, "DUMP of 100 KB of random bytes is %zu bytes", n);
    free(p);
    free(zip);
    free(rnd);
    redisFree(c);
}

TS_TEST(persist, dump_missing_key_and_arguments)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_nil(ts_cmd(c, "DUMP missing"));
    ts_assert_ok(ts_cmd(c, "SET gone v PX 1"));
    ts_sleep_ms(20);
    ts_assert_nil(ts_cmd(c, "DUMP gone"));
    ts_assert_error(ts_cmd(c, "DUMP"), "ERR wrong number of arguments for 'dump' command");
    ts_assert_error(ts_cmd(c, "DUMP a b"), "ERR wrong number of arguments for 'dump' command");
    ts_assert_error(ts_cmd(c, "RESTORE k 0"), "ERR wrong number of arguments for 'restore' command");
    redisFree(c);
}

/* RESTORE key ttl: the TTL in ms from now; ABSTTL: a Unix time in ms; 0:
 * none. */
TS_TEST(persist, restore_ttl_and_absttl)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH src a b c"), 3);
    size_t n;
    char *p = dump_key(c, "src", &n);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "RESTORE rel 5000 %b", p, n));
    su_assert_pttl(c, "rel", 5000, t0);
    ts_assert_array(ts_cmd(c, "LRANGE rel 0 -1"), "a", "b", "c");
    t0 = ts_now_ms();
    long long at = server_time_ms(c) + 100000;
    ts_assert_ok(ts_cmd(c, "RESTORE abs %lld %b ABSTTL", at, p, n));
    su_assert_pttl(c, "abs", 100000, t0);
    ts_assert_ok(ts_cmd(c, "RESTORE none 0 %b", p, n));
    ts_assert_int(ts_cmd(c, "PTTL none"), -1);
    ts_assert_ok(ts_cmd(c, "RESTORE none2 0 %b absttl", p, n));
    ts_assert_int(ts_cmd(c, "PTTL none2"), -1);
    /* A short TTL really expires. */
    ts_assert_ok(ts_cmd(c, "RESTORE brief 50 %b", p, n));
    ts_assert_int(ts_cmd(c, "EXISTS brief"), 1);
    ts_sleep_ms(120);
    ts_assert_int(ts_cmd(c, "EXISTS brief"), 0);
    free(p);
    redisFree(c);
}

/* An existing key needs REPLACE (checked before the TTL and the payload);
 * REPLACE swaps in the new value whatever the old type, dropping its TTL. */
TS_TEST(persist, restore_replace_and_busykey)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET src payload-value"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_error(ts_cmd(c, "RESTORE src 0 %b", p, n), BUSYKEY);
    ts_assert_error(ts_cmd(c, "RESTORE src -5 %b", p, n), BUSYKEY);
    ts_assert_error(ts_cmd(c, "RESTORE src abc %b", p, n), BUSYKEY);
    ts_assert_error(ts_cmd(c, "RESTORE src 0 garbage"), BUSYKEY);
    ts_assert_int(ts_cmd(c, "SADD dst m1 m2"), 2);
    ts_assert_int(ts_cmd(c, "EXPIRE dst 1000"), 1);
    ts_assert_error(ts_cmd(c, "RESTORE dst 0 %b", p, n), BUSYKEY);
    ts_assert_int(ts_cmd(c, "SCARD dst"), 2);
    ts_assert_ok(ts_cmd(c, "RESTORE dst 0 %b REPLACE", p, n));
    ts_assert_status(ts_cmd(c, "TYPE dst"), "string");
    ts_assert_bulk(ts_cmd(c, "GET dst"), "payload-value");
    ts_assert_int(ts_cmd(c, "PTTL dst"), -1);
    long long t0 = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "RESTORE dst 7000 %b replace", p, n));
    su_assert_pttl(c, "dst", 7000, t0);
    /* REPLACE on a missing key is a plain RESTORE. */
    ts_assert_ok(ts_cmd(c, "RESTORE fresh 0 %b REPLACE", p, n));
    ts_assert_bulk(ts_cmd(c, "GET fresh"), "payload-value");
    /* An expired key does not block. */
    ts_assert_ok(ts_cmd(c, "SET old v PX 1"));
    ts_sleep_ms(20);
    ts_assert_ok(ts_cmd(c, "RESTORE old 0 %b", p, n));
    ts_assert_bulk(ts_cmd(c, "GET old"), "payload-value");
    free(p);
    redisFree(c);
}

/* An ABSTTL already past: OK, and no key; with REPLACE the existing key
 * is deleted; without it, BUSYKEY as usual. */
TS_TEST(persist, restore_absttl_in_the_past)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET src v"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_ok(ts_cmd(c, "RESTORE k 1000 %b ABSTTL", p, n));
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    long long past = server_time_ms(c) - 5000;
    ts_assert_ok(ts_cmd(c, "RESTORE k %lld %b ABSTTL", past, p, n));
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_ok(ts_cmd(c, "SET k old"));
    ts_assert_error(ts_cmd(c, "RESTORE k %lld %b ABSTTL", past, p, n), BUSYKEY);
    ts_assert_bulk(ts_cmd(c, "GET k"), "old");
    ts_assert_ok(ts_cmd(c, "RESTORE k %lld %b ABSTTL REPLACE", past, p, n));
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 1);
    free(p);
    redisFree(c);
}

/* IDLETIME sets the key's idle time (seconds); FREQ is accepted under the
 * default (non-LFU) policy, which still answers OBJECT FREQ with its
 * error. The two exclude each other. */
TS_TEST(persist, restore_idletime_and_freq)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET src hello"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_ok(ts_cmd(c, "RESTORE idle 0 %b IDLETIME 1000", p, n));
    long long idle = int_of(ts_cmd(c, "OBJECT IDLETIME idle"), "OBJECT IDLETIME");
    cr_assert(idle >= 1000 && idle <= 1010, "OBJECT IDLETIME %lld after RESTORE ... IDLETIME 1000", idle);
    ts_assert_bulk(ts_cmd(c, "GET idle"), "hello");
    ts_assert_ok(ts_cmd(c, "RESTORE fresh 0 %b", p, n));
    idle = int_of(ts_cmd(c, "OBJECT IDLETIME fresh"), "OBJECT IDLETIME");
    cr_assert(idle <= 2, "OBJECT IDLETIME %lld right after a plain RESTORE", idle);
    ts_assert_ok(ts_cmd(c, "RESTORE idle2 0 %b REPLACE ABSTTL IDLETIME 0", p, n));
    ts_assert_bulk(ts_cmd(c, "GET idle2"), "hello");
    ts_assert_ok(ts_cmd(c, "RESTORE freq 0 %b FREQ 100", p, n));
    ts_assert_bulk(ts_cmd(c, "GET freq"), "hello");
    ts_assert_error(ts_cmd(c, "OBJECT FREQ freq"), LFU_OFF);
    ts_assert_ok(ts_cmd(c, "RESTORE freq2 0 %b freq 0", p, n));
    ts_assert_ok(ts_cmd(c, "RESTORE freq3 0 %b FREQ 255", p, n));
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b FREQ 256", p, n), "ERR Invalid FREQ value, must be >= 0 and <= 255");
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b FREQ -1", p, n), "ERR Invalid FREQ value, must be >= 0 and <= 255");
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b FREQ x", p, n), NOT_INT);
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b IDLETIME -1", p, n), "ERR Invalid IDLETIME value, must be >= 0");
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b IDLETIME abc", p, n), NOT_INT);
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b IDLETIME 5 FREQ 5", p, n), SYNTAX);
    ts_assert_error(ts_cmd(c, "RESTORE x 0 %b FREQ 5 IDLETIME 5", p, n), SYNTAX);
    ts_assert_int(ts_cmd(c, "EXISTS x"), 0);
    free(p);
    redisFree(c);
}

TS_TEST(persist, restore_argument_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET src v"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_error(ts_cmd(c, "RESTORE k -1 %b", p, n), "ERR Invalid TTL value, must be >= 0");
    ts_assert_error(ts_cmd(c, "RESTORE k -1 %b ABSTTL", p, n), "ERR Invalid TTL value, must be >= 0");
    ts_assert_error(ts_cmd(c, "RESTORE k abc %b", p, n), NOT_INT);
    ts_assert_error(ts_cmd(c, "RESTORE k 1.5 %b", p, n), NOT_INT);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b FOO", p, n), SYNTAX);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b IDLETIME", p, n), SYNTAX);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b FREQ", p, n), SYNTAX);
    /* Options are parsed before anything else. */
    ts_assert_error(ts_cmd(c, "RESTORE src 0 %b FOO", p, n), SYNTAX);
    ts_assert_error(ts_cmd(c, "RESTORE k -1 garbage"), "ERR Invalid TTL value, must be >= 0");
    ts_assert_error(ts_cmd(c, "RESTORE"), "ERR wrong number of arguments for 'restore' command");
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    free(p);
    redisFree(c);
}

/* Payloads that fail the footer check (version above 10, CRC wrong or
 * zero, too short, truncated) or the content check (well-formed footer,
 * bad body) are refused with Redis's two errors, and create nothing. */
TS_TEST(persist, restore_bad_payloads)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "RPUSH src one two three"), 3);
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 garbage"), BAD_PAYLOAD);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", "", (size_t)0), BAD_PAYLOAD);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", p, n - 1), BAD_PAYLOAD);      /* truncated */
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", p + 1, n - 1), BAD_PAYLOAD);  /* head cut */
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", p + n - 9, (size_t)9), BAD_PAYLOAD);
    char *bad = malloc(n + 64);
    memcpy(bad, p, n);
    bad[n / 2] ^= 0x20; /* a body byte */
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", bad, n), BAD_PAYLOAD);
    memcpy(bad, p, n);
    bad[n - 1] ^= 1; /* the CRC */
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", bad, n), BAD_PAYLOAD);
    memcpy(bad, p, n);
    memset(bad + n - 8, 0, 8); /* a zero CRC is no "checksum off" here */
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", bad, n), BAD_PAYLOAD);

    /* A version above 10 with a correct CRC; older versions load. */
    size_t m = make_payload(bad, "\x00\x05hello", 7, 11);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", bad, m), BAD_PAYLOAD);
    m = make_payload(bad, "\x00\x05hello", 7, 0xffff);
    ts_assert_error(ts_cmd(c, "RESTORE k 0 %b", bad, m), BAD_PAYLOAD);
    m = make_payload(bad, "\x00\x05hello", 7, 9);
    ts_assert_ok(ts_cmd(c, "RESTORE v9 0 %b", bad, m));
    ts_assert_bulk(ts_cmd(c, "GET v9"), "hello");
    m = make_payload(bad, "\x00\x05hello", 7, 10);
    ts_assert_ok(ts_cmd(c, "RESTORE v10 0 %b", bad, m));
    ts_assert_bulk(ts_cmd(c, "GET v10"), "hello");

    /* Correct footer, bad content. */
    static const struct {
        const char *body;
        size_t len;
        const char *what;
    } bodies[] = {
        {"", 0, "no object at all"},
        {"\x00\x32" "abc", 5, "a string shorter than its length"},
        {"\x63\x05hello", 7, "an unknown type"},
        {"\x02\x00", 2, "an empty set"},
        {"\x02\x02\x01" "a\x01" "a", 7, "a set with a duplicate member"},
        {"\x12\x00", 2, "an empty list"},
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        m = make_payload(bad, bodies[i].body, bodies[i].len, 10);
        redisReply *r = ts_cmd(c, "RESTORE k 0 %b", bad, m);
        char d[256];
        ts_reply_describe(r, d, sizeof d);
        cr_assert(r->type == REDIS_REPLY_ERROR && strcmp(r->str, BAD_FORMAT) == 0,
                  "RESTORE of %s: %s, want -%s", bodies[i].what, d, BAD_FORMAT);
        freeReplyObject(r);
    }
    ts_assert_int(ts_cmd(c, "EXISTS k"), 0);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 3);
    /* A failed RESTORE ... REPLACE leaves the old value. */
    ts_assert_error(ts_cmd(c, "RESTORE src 0 garbage REPLACE"), BAD_PAYLOAD);
    ts_assert_int(ts_cmd(c, "LLEN src"), 3);
    free(bad);
    free(p);
    redisFree(c);
}

/* Payloads cross between a real redis-server and the server under test
 * both ways, every type, with equal content and encodings. */
PERSIST_TEST(dump_payloads_cross_with_redis)
{
    g_server = ts_start(NULL, NULL);
    g_peer = ts_start_redis(NULL, NULL);
    redisContext *c = ts_connect(g_server), *r = ts_connect(g_peer);
    for (int round = 0; round < 2; round++) {
        redisContext *from = round == 0 ? r : c, *to = round == 0 ? c : r;
        ts_assert_ok(ts_cmd(c, "FLUSHALL"));
        ts_assert_ok(ts_cmd(r, "FLUSHALL"));
        populate(from);
        for (size_t i = 0; i < N_DATASET; i++) {
            const struct key_spec *k = &DATASET[i];
            ts_assert_ok(ts_cmd(from, "SELECT %d", k->db));
            ts_assert_ok(ts_cmd(to, "SELECT %d", k->db));
            size_t n;
            char *p = dump_key(from, k->key, &n);
            redisReply *rep = ts_cmd(to, "RESTORE %s 0 %b", k->key, p, n);
            char d[256];
            ts_reply_describe(rep, d, sizeof d);
            cr_assert(rep->type == REDIS_REPLY_STATUS, "%s: RESTORE %s of a payload from %s: %s",
                      round == 0 ? "server" : "redis", k->key, round == 0 ? "redis" : "the server", d);
            freeReplyObject(rep);
            assert_same_key(from, k->key, to, k->key);
            free(p);
        }
    }
    redisFree(c);
    redisFree(r);
    stop_ok(&g_peer);
    stop_ok(&g_server);
}

/* ---- RDB files ----------------------------------------------------------- */

/* dump.rdb: "REDIS0010", ..., EOF opcode 0xff, CRC-64 of all before it
 * (little endian), or 0 with rdbchecksum no. */
static void assert_rdb_format(const char *path, bool checksum)
{
    size_t n;
    char *d = ts_read_file(path, &n);
    cr_assert(d, "cannot read %s", path);
    cr_assert(n >= 18 && memcmp(d, "REDIS0010", 9) == 0, "%s does not start with REDIS0010", path);
    cr_assert_eq((unsigned char)d[n - 9], 0xff, "%s: no EOF opcode before the checksum", path);
    uint64_t want = checksum ? crc64(d, n - 8) : 0, got = le64(d + n - 8);
    cr_assert(got == want, "%s: checksum %016llx, want %016llx", path, (unsigned long long)got,
              (unsigned long long)want);
    rk_free(d);
}

/* redis-check-rdb accepts the file, and counts `keys` keys and `expires`
 * TTLs in it. */
/* keys, expires: the counts it must report, -1: any. */
static void assert_redis_check_rdb(const char *path, int keys, int expires)
{
    char *out;
    int status = ts_runl(&out, 20000, "redis-check-rdb", path, NULL);
    cr_assert_eq(status, 0, "redis-check-rdb %s: exit status %d:\n%s", path, status, out);
    char want[64];
    if (keys >= 0) {
        snprintf(want, sizeof want, "[info] %d keys read", keys);
        cr_assert(strstr(out, want), "redis-check-rdb: want \"%s\" in:\n%s", want, out);
    }
    if (expires >= 0) {
        snprintf(want, sizeof want, "[info] %d expires", expires);
        cr_assert(strstr(out, want), "redis-check-rdb: want \"%s\" in:\n%s", want, out);
    }
    rk_free(out);
}

static int dataset_expires(void)
{
    int n = 0;
    for (size_t i = 0; i < N_DATASET; i++)
        n += DATASET[i].ttl;
    return n;
}

/* SAVE, restart on the same dir: every key of every database comes back
 * with its content, encoding and TTL; keys that expired meanwhile are not
 * loaded at all. */
PERSIST_TEST(save_and_restart_keeps_the_dataset)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    populate(c);
    long long t_set = ts_now_ms();
    ts_assert_ok(ts_cmd(c, "SET expiring:soon v PX 1000"));
    ts_assert_ok(ts_cmd(c, "SELECT 3"));
    ts_assert_ok(ts_cmd(c, "SET expiring:soon3 v PX 1000"));
    ts_assert_ok(ts_cmd(c, "SELECT 0"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    size_t n;
    char *file = ts_read_file(path_in(g_dir, "dump.rdb"), &n);
    cr_assert(file, "SAVE wrote no %s", path_in(g_dir, "dump.rdb"));
    cr_assert(memmem(file, n, "expiring:soon3", 14), "the expiring key is not in dump.rdb");
    rk_free(file);
    assert_only_file(g_dir, "dump.rdb");
    long long left = t_set + 1100 - ts_now_ms();
    if (left > 0)
        ts_sleep_ms((int)left);
    struct snap before;
    snap_take(c, &before);
    cr_assert_eq(before.n, N_DATASET);
    redisFree(c);

    restart_on_dir();
    c = ts_connect(g_server);
    struct snap after;
    snap_take(c, &after);
    snap_assert_same(&before, &after);
    assert_dbsizes(c, &before);
    assert_dataset_shape(c);
    assert_info_str(c, "loading", "0");
    assert_dataset_writable(c);
    snap_free(&before);
    snap_free(&after);
    redisFree(c);
    stop_ok(&g_server);
}

/* The server's dump.rdb is in RDB 10 form, passes redis-check-rdb, and a
 * real redis-server loads the same dataset from a copy of it. */
PERSIST_TEST(rdb_from_the_server_loads_into_redis)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    populate(c);
    struct snap want;
    snap_take(c, &want);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    stop_ok(&g_server);
    assert_rdb_format(path_in(g_dir, "dump.rdb"), true);
    assert_redis_check_rdb(path_in(g_dir, "dump.rdb"), (int)N_DATASET, dataset_expires());

    copy_file(path_in(g_dir, "dump.rdb"), path_in(g_dir, "copy.rdb"));
    g_peer = ts_start_redis("--dir", g_dir, "--dbfilename", "copy.rdb", NULL);
    redisContext *r = ts_connect(g_peer);
    struct snap got;
    snap_take(r, &got);
    snap_assert_same(&want, &got);
    assert_dbsizes(r, &want);
    assert_dataset_shape(r);
    snap_free(&want);
    snap_free(&got);
    redisFree(r);
    stop_ok(&g_peer);
}

/* A dump.rdb written by a real redis-server loads into the server under
 * test with the same dataset. */
PERSIST_TEST(rdb_from_redis_loads_into_the_server)
{
    g_peer = ts_start_redis("--dir", g_dir, NULL);
    redisContext *r = ts_connect(g_peer);
    populate(r);
    struct snap want;
    snap_take(r, &want);
    ts_assert_ok(ts_cmd(r, "SAVE"));
    redisFree(r);
    stop_ok(&g_peer);
    assert_redis_check_rdb(path_in(g_dir, "dump.rdb"), (int)N_DATASET, dataset_expires());

    start_on_dir();
    redisContext *c = ts_connect(g_server);
    struct snap got;
    snap_take(c, &got);
    snap_assert_same(&want, &got);
    assert_dbsizes(c, &want);
    assert_dataset_shape(c);
    assert_dataset_writable(c);
    snap_free(&want);
    snap_free(&got);
    redisFree(c);
    stop_ok(&g_server);
}

/* RPUSH key of n compressible entries; LRANGE key 0 -1 in *out. */
static redisReply *push_compressible(redisContext *c, const char *key, int n)
{
    for (int i = 0; i < n; i++)
        ts_append(c, "RPUSH %s item:%06d:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", key, i);
    for (int i = 0; i < n; i++) freeReplyObject(ts_reply(c));
    ts_assert_int(ts_cmd(c, "LINSERT %s AFTER item:002500:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa mid", key),
                  n + 1);
    return ts_cmd(c, "LRANGE %s 0 -1", key);
}

static void assert_same_range(redisContext *c, const char *key, const redisReply *want)
{
    redisReply *got = ts_cmd(c, "LRANGE %s 0 -1", key);
    cr_assert(got->type == REDIS_REPLY_ARRAY && got->elements == want->elements, "%s: %zu elements, want %zu",
              key, got->elements, want->elements);
    for (size_t i = 0; i < want->elements; i++)
        cr_assert(strcmp(got->element[i]->str, want->element[i]->str) == 0, "%s[%zu]", key, i);
    freeReplyObject(got);
}

/* list-compress-depth 1: compressed quicklist nodes go into the file as
 * LZF node blobs (so, with rdbcompression no, the file is still far
 * smaller than the list), redis-check-rdb accepts it and redis-server
 * loads the same list; and the other way round, a file redis-server saved
 * with compressed nodes loads into the server under test. */
PERSIST_TEST(compressed_list_nodes_both_ways)
{
    enum { N = 5000 };
    g_server = ts_start("--dir", g_dir, "--list-compress-depth", "1", "--rdbcompression", "no", NULL);
    redisContext *c = ts_connect(g_server);
    redisReply *want = push_compressible(c, "clist", N);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    stop_ok(&g_server);
    long long size = file_size(path_in(g_dir, "dump.rdb"));
    cr_assert_lt(size, N * 50 / 4, "dump.rdb of %lld bytes: the nodes were not saved compressed", size);
    assert_redis_check_rdb(path_in(g_dir, "dump.rdb"), 1, 0);
    copy_file(path_in(g_dir, "dump.rdb"), path_in(g_dir, "copy.rdb"));
    g_peer = ts_start_redis("--dir", g_dir, "--dbfilename", "copy.rdb", NULL);
    redisContext *r = ts_connect(g_peer);
    assert_same_range(r, "clist", want);
    redisFree(r);
    stop_ok(&g_peer);
    unlink(path_in(g_dir, "copy.rdb"));
    unlink(path_in(g_dir, "dump.rdb"));

    g_peer = ts_start_redis("--dir", g_dir, "--list-compress-depth", "1", "--rdbcompression", "no", NULL);
    r = ts_connect(g_peer);
    redisReply *want2 = push_compressible(r, "rlist", N);
    ts_assert_ok(ts_cmd(r, "SAVE"));
    redisFree(r);
    stop_ok(&g_peer);
    size = file_size(path_in(g_dir, "dump.rdb"));
    cr_assert_lt(size, N * 50 / 4, "redis-server's dump.rdb of %lld bytes has no compressed nodes", size);
    start_on_dir(); /* at depth 0 */
    c = ts_connect(g_server);
    assert_same_range(c, "rlist", want2);
    ts_assert_int(ts_cmd(c, "RPUSH rlist tail"), N + 2);
    ts_assert_bulk(ts_cmd(c, "LINDEX rlist 2501"), "mid");
    redisFree(c);
    stop_ok(&g_server);
    freeReplyObject(want);
    freeReplyObject(want2);
}

static void assert_config(redisContext *c, const char *name, const char *want)
{
    ts_assert_array(ts_cmd(c, "CONFIG GET %s", name), name, want);
}

/* rdbchecksum no: the file ends in eight zero bytes, and servers that
 * check checksums (both kinds) load it all the same. */
PERSIST_TEST(rdbchecksum_no_writes_a_zero_checksum_that_loads)
{
    g_server = ts_start("--dir", g_dir, "--rdbchecksum", "no", NULL);
    redisContext *c = ts_connect(g_server);
    assert_config(c, "rdbchecksum", "no");
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_int(ts_cmd(c, "RPUSH l a b"), 2);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    stop_ok(&g_server);
    assert_rdb_format(path_in(g_dir, "dump.rdb"), false);
    assert_redis_check_rdb(path_in(g_dir, "dump.rdb"), 2, 0);

    start_on_dir();
    c = ts_connect(g_server);
    assert_config(c, "rdbchecksum", "yes");
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "b");
    redisFree(c);
    stop_ok(&g_server);
    g_peer = ts_start_redis("--dir", g_dir, NULL);
    c = ts_connect(g_peer);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    redisFree(c);
    stop_ok(&g_peer);
}

/* rdbcompression (yes by default; command line and CONFIG SET): a 100 KB
 * compressible value makes a small dump.rdb, or a big one without LZF;
 * both load back. */
PERSIST_TEST(rdbcompression_directive)
{
    const char *file = path_in(g_dir, "dump.rdb");
    char *zip = pattern_value(100000);
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    assert_config(c, "rdbcompression", "yes");
    ts_assert_ok(ts_cmd(c, "SET zip %b", zip, (size_t)100000));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    cr_assert(file_size(file) < 20000, "dump.rdb with rdbcompression yes: %lld bytes", file_size(file));
    redisFree(c);
    stop_ok(&g_server);

    g_server = ts_start("--dir", g_dir, "--rdbcompression", "no", NULL);
    c = ts_connect(g_server);
    assert_config(c, "rdbcompression", "no");
    ts_assert_bulk(ts_cmd(c, "GETRANGE zip 99990 -1"), "abcdefghij");
    ts_assert_int(ts_cmd(c, "STRLEN zip"), 100000);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    cr_assert(file_size(file) > 100000, "dump.rdb with rdbcompression no: %lld bytes", file_size(file));
    ts_assert_ok(ts_cmd(c, "CONFIG SET rdbcompression yes"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    cr_assert(file_size(file) < 20000, "dump.rdb after CONFIG SET rdbcompression yes: %lld bytes",
              file_size(file));
    ts_assert_ok(ts_cmd(c, "CONFIG SET rdbcompression no"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    cr_assert(file_size(file) > 100000, "dump.rdb after CONFIG SET rdbcompression no: %lld bytes",
              file_size(file));
    redisFree(c);
    restart_on_dir();
    c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "GET zip");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 100000 && memcmp(r->str, zip, 100000) == 0,
              "the value did not survive an uncompressed dump.rdb");
    freeReplyObject(r);
    redisFree(c);
    stop_ok(&g_server);
    free(zip);
}

/* dbfilename names the file in dir; both show in CONFIG GET, and neither
 * can change at runtime (protected configs in Redis 7.0). */
PERSIST_TEST(dbfilename_and_dir)
{
    g_server = ts_start("--dir", g_dir, "--dbfilename", "other.rdb", NULL);
    redisContext *c = ts_connect(g_server);
    assert_config(c, "dbfilename", "other.rdb");
    char real[PATH_MAX];
    cr_assert(realpath(g_dir, real));
    assert_config(c, "dir", real);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    cr_assert(file_exists(path_in(g_dir, "other.rdb")), "SAVE wrote no other.rdb");
    cr_assert(!file_exists(path_in(g_dir, "dump.rdb")), "SAVE wrote dump.rdb, not the dbfilename");
    ts_assert_error(ts_cmd(c, "CONFIG SET dbfilename x.rdb"), "ERR CONFIG SET failed (possibly related to "
                    "argument 'dbfilename') - can't set protected config");
    ts_assert_error(ts_cmd(c, "CONFIG SET dir /tmp"), "ERR CONFIG SET failed (possibly related to "
                    "argument 'dir') - can't set protected config");
    redisFree(c);
    stop_ok(&g_server);

    g_server = ts_start("--dir", g_dir, "--dbfilename", "other.rdb", NULL);
    c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    redisFree(c);
    restart_on_dir(); /* dump.rdb: there is none */
    c = ts_connect(g_server);
    assert_config(c, "dbfilename", "dump.rdb");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    redisFree(c);
    stop_ok(&g_server);
}

/* SAVE: LASTSAVE and rdb_last_save_time move to now; dump.rdb appears in
 * the default dir (the cwd). */
TS_TEST(persist, save_updates_lastsave_and_info)
{
    redisContext *c = ts_connect(g_server);
    long long before = int_of(ts_cmd(c, "LASTSAVE"), "LASTSAVE");
    cr_assert_eq(ts_info_ll(c, "rdb_last_save_time"), before);
    assert_info_str(c, "loading", "0");
    assert_info_str(c, "rdb_bgsave_in_progress", "0");
    assert_info_str(c, "rdb_last_bgsave_status", "ok");
    assert_info_str(c, "rdb_changes_since_last_save", "0");
    cr_assert(!file_exists(path_in(ts_dir(g_server), "dump.rdb")));
    ts_sleep_ms(1100);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    long long now = server_time_ms(c) / 1000;
    long long after = int_of(ts_cmd(c, "LASTSAVE"), "LASTSAVE");
    cr_assert(after > before && after <= now && after >= now - 5,
              "LASTSAVE %lld after SAVE (before %lld, now %lld)", after, before, now);
    cr_assert_eq(ts_info_ll(c, "rdb_last_save_time"), after);
    assert_info_str(c, "rdb_changes_since_last_save", "0");
    cr_assert(file_exists(path_in(ts_dir(g_server), "dump.rdb")), "no dump.rdb in the server's dir");
    assert_redis_check_rdb(path_in(ts_dir(g_server), "dump.rdb"), 1, 0);
    ts_assert_error(ts_cmd(c, "SAVE x"), "ERR wrong number of arguments for 'save' command");
    ts_assert_error(ts_cmd(c, "LASTSAVE x"), "ERR wrong number of arguments for 'lastsave' command");
    redisFree(c);
}

/* rdb_changes_since_last_save is `want`. */
#define assert_changes(c, want)                                                                   \
    do {                                                                                          \
        long long got_ = ts_info_ll((c), "rdb_changes_since_last_save");                          \
        cr_assert_eq(got_, (long long)(want), "rdb_changes_since_last_save:%lld, want %lld", got_,   \
                     (long long)(want));                                                          \
    } while (0)

/* rdb_changes_since_last_save: nothing for reads and failed writes, at
 * least one per key a write changes, and 0 again after SAVE and BGSAVE.
 * Redis counts some writes finer (one per hash field given); ringkv
 * counts keys changed, and a write that changes a value in place once,
 * so those are checked as ranges. */
#define assert_changes_between(c, lo, hi)                                                          \
    do {                                                                                           \
        long long got_ = ts_info_ll((c), "rdb_changes_since_last_save");                          \
        cr_assert(got_ >= (long long)(lo) && got_ <= (long long)(hi),                              \
                  "rdb_changes_since_last_save:%lld, want %lld..%lld", got_, (long long)(lo),        \
                  (long long)(hi));                                                                \
    } while (0)

TS_TEST(persist, changes_since_last_save)
{
    redisContext *c = ts_connect(g_server);
    assert_changes(c, 0);
    ts_assert_ok(ts_cmd(c, "SET a 1"));
    ts_assert_ok(ts_cmd(c, "SET b 2"));
    assert_changes(c, 2);
    ts_assert_bulk(ts_cmd(c, "GET a"), "1");
    ts_assert_int(ts_cmd(c, "EXISTS a b"), 2);
    assert_changes(c, 2);
    ts_assert_ok(ts_cmd(c, "MSET x 1 y 2 z 3"));
    assert_changes(c, 5);
    ts_assert_int(ts_cmd(c, "SADD s m"), 1);
    assert_changes(c, 6);
    ts_assert_int(ts_cmd(c, "SADD s m"), 0);
    assert_changes(c, 6);
    long long n = ts_info_ll(c, "rdb_changes_since_last_save");
    ts_assert_int(ts_cmd(c, "DEL x y missing"), 2);
    assert_changes(c, n + 2);
    ts_assert_int(ts_cmd(c, "INCR a"), 2);
    assert_changes(c, n + 3);
    ts_assert_int(ts_cmd(c, "HSET h f1 v f2 v"), 2);
    assert_changes_between(c, n + 4, n + 5);
    n = ts_info_ll(c, "rdb_changes_since_last_save");
    ts_assert_error(ts_cmd(c, "INCR s"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_changes(c, n);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    assert_changes(c, 0);
    ts_assert_ok(ts_cmd(c, "SET c 3"));
    assert_changes(c, 1);
    ts_assert_status(ts_cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_changes(c, 0);
    redisFree(c);
}

/* Writes that change nothing count nothing, as Redis's (unit/bitops
 * "SETBIT/BITFIELD only increase dirty when the value changed"). */
TS_TEST(persist, changes_skip_writes_that_change_nothing)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 0"), 0);
    redisReply *r = ts_cmd(c, "BITFIELD foo2 SET i5 0 0");
    freeReplyObject(r);
    assert_changes(c, 2); /* created */
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 0"), 0);
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 0 0"));
    assert_changes(c, 2);
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 1"), 0);
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 1"), 1);
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 0"), 1);
    ts_assert_int(ts_cmd(c, "SETBIT foo 0 0"), 0);
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 0 1"));
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 0 1"));
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 0 0"));
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 0 0"));
    assert_changes(c, 6);
    ts_assert_int(ts_cmd(c, "SETBIT foo 90 0"), 0); /* lengthened */
    freeReplyObject(ts_cmd(c, "BITFIELD foo2 SET i5 90 0"));
    assert_changes(c, 8);
    ts_assert_int(ts_cmd(c, "SADD s a"), 1);
    ts_assert_int(ts_cmd(c, "SADD s a"), 0);
    ts_assert_int(ts_cmd(c, "SREM s zz"), 0);
    ts_assert_int(ts_cmd(c, "ZADD z 1 a"), 1);
    ts_assert_int(ts_cmd(c, "ZADD z 1 a"), 0);
    ts_assert_int(ts_cmd(c, "ZREM z zz"), 0);
    ts_assert_int(ts_cmd(c, "HSET h f v"), 1);
    ts_assert_int(ts_cmd(c, "HDEL h zz"), 0);
    ts_assert_int(ts_cmd(c, "RPUSH l a"), 1);
    ts_assert_int(ts_cmd(c, "LREM l 0 zz"), 0);
    assert_changes(c, 12);
    redisFree(c);
}

/* BGSAVE: "Background saving started", then rdb_bgsave_in_progress goes
 * back to 0 with status ok, LASTSAVE moves, and the file holds the
 * dataset. */
PERSIST_TEST(bgsave_writes_the_dataset)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    populate(c);
    struct snap want;
    snap_take(c, &want);
    long long before = int_of(ts_cmd(c, "LASTSAVE"), "LASTSAVE");
    ts_sleep_ms(1100);
    ts_assert_status(ts_cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_info_str(c, "rdb_last_bgsave_status", "ok");
    assert_info_str(c, "rdb_changes_since_last_save", "0");
    long long after = int_of(ts_cmd(c, "LASTSAVE"), "LASTSAVE");
    cr_assert_gt(after, before, "LASTSAVE %lld after BGSAVE, %lld before", after, before);
    cr_assert_eq(ts_info_ll(c, "rdb_last_save_time"), after);
    assert_rdb_format(path_in(g_dir, "dump.rdb"), true);
    assert_only_file(g_dir, "dump.rdb");
    ts_assert_error(ts_cmd(c, "BGSAVE x"), SYNTAX);
    ts_assert_error(ts_cmd(c, "BGSAVE SCHEDULE x"), SYNTAX);
    ts_assert_ok(ts_cmd(c, "SET added-later v"));
    ts_assert_status(ts_cmd(c, "BGSAVE SCHEDULE"), "Background saving started");
    wait_bgsave_done(c);
    assert_info_str(c, "rdb_last_bgsave_status", "ok");
    ts_assert_int(ts_cmd(c, "DEL added-later"), 1);
    redisFree(c);

    stop_ok(&g_server);
    g_peer = ts_start_redis("--dir", g_dir, NULL); /* Redis reads the server's BGSAVE file */
    c = ts_connect(g_peer);
    ts_assert_bulk(ts_cmd(c, "GET added-later"), "v");
    ts_assert_int(ts_cmd(c, "DEL added-later"), 1);
    struct snap got;
    snap_take(c, &got);
    snap_assert_same(&want, &got);
    redisFree(c);
    stop_ok(&g_peer);
    snap_free(&want);
    snap_free(&got);
}

/* A second BGSAVE (or a SAVE) while one runs is refused. The running one
 * is kept slow with rdb-key-save-delay (microseconds per key); a server
 * without that knob cannot be tested this way, and skips. */
TS_TEST(persist, bgsave_while_one_runs)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "CONFIG SET rdb-key-save-delay 100000");
    bool knob = r->type == REDIS_REPLY_STATUS;
    freeReplyObject(r);
    if (!knob) {
        redisFree(c);
        ts_fixture_stop();
        cr_skip_test("CONFIG SET rdb-key-save-delay is not supported: no way to keep a BGSAVE running");
    }
    for (int i = 0; i < 8; i++)
        ts_assert_ok(ts_cmd(c, "SET key:%d v", i));
    ts_assert_status(ts_cmd(c, "BGSAVE"), "Background saving started");
    cr_assert_eq(ts_info_ll(c, "rdb_bgsave_in_progress"), 1);
    ts_assert_error(ts_cmd(c, "BGSAVE"), BG_BUSY);
    ts_assert_error(ts_cmd(c, "SAVE"), BG_BUSY);
    ts_assert_ok(ts_cmd(c, "CONFIG SET rdb-key-save-delay 0"));
    wait_bgsave_done(c);
    assert_info_str(c, "rdb_last_bgsave_status", "ok");
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
}

/* save points on the command line: several --save accumulate (after the
 * harness's --save ""), CONFIG GET shows "seconds changes ..."; CONFIG SET
 * save replaces them and checks its argument. */
Test(persist, save_directive_in_config_get, .fini = ts_fixture_fini)
{
    g_server = ts_start(NULL, NULL);
    redisContext *c = ts_connect(g_server);
    assert_config(c, "save", "");
    redisFree(c);
    stop_ok(&g_server);
    g_server = ts_start("--save", "900 1", NULL);
    c = ts_connect(g_server);
    assert_config(c, "save", "900 1");
    redisFree(c);
    stop_ok(&g_server);
    g_server = ts_start("--save", "900 1", "--save", "300 10", NULL);
    c = ts_connect(g_server);
    assert_config(c, "save", "900 1 300 10");
    ts_assert_ok(ts_cmd(c, "CONFIG SET save %s", "60 5"));
    assert_config(c, "save", "60 5");
    ts_assert_ok(ts_cmd(c, "CONFIG SET save %s", "3600 1 300 100 60 10000"));
    assert_config(c, "save", "3600 1 300 100 60 10000");
    const char *err = "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters";
    ts_assert_error(ts_cmd(c, "CONFIG SET save %s", "abc"), err);
    ts_assert_error(ts_cmd(c, "CONFIG SET save %s", "60"), err);
    ts_assert_error(ts_cmd(c, "CONFIG SET save %s", "60 x"), err);
    assert_config(c, "save", "3600 1 300 100 60 10000");
    ts_assert_ok(ts_cmd(c, "CONFIG SET save %s", ""));
    assert_config(c, "save", "");
    redisFree(c);
    stop_ok(&g_server);
}

/* ---- SHUTDOWN and signals ------------------------------------------------ */

/* Sends cmd (inline), expects the connection closed without a reply and
 * the server gone with exit status 0. */
static void shutdown_with(const char *cmd)
{
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, cmd);
    cr_assert(ts_raw_wait_eof(raw, 10000), "%s: the connection stayed open (%s)", cmd, ts_raw_status(raw));
    ts_raw_close(raw);
    int status = ts_wait_exit(g_server, 10000);
    cr_assert_eq(status, 0, "%s: exit status %d, want 0", cmd, status);
    stop_ok(&g_server);
}

PERSIST_TEST(shutdown_nosave_does_not_write)
{
    g_server = ts_start("--dir", g_dir, "--save", "900 1", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "SHUTDOWN foo"), SYNTAX);
    ts_assert_error(ts_cmd(c, "SHUTDOWN SAVE NOSAVE"), SYNTAX);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    redisFree(c);
    shutdown_with("SHUTDOWN NOSAVE\r\n");
    cr_assert(!file_exists(path_in(g_dir, "dump.rdb")), "SHUTDOWN NOSAVE wrote dump.rdb");
}

PERSIST_TEST(shutdown_save_writes_without_save_points)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_int(ts_cmd(c, "RPUSH l a b c"), 3);
    redisFree(c);
    shutdown_with("SHUTDOWN SAVE\r\n");
    cr_assert(file_exists(path_in(g_dir, "dump.rdb")), "SHUTDOWN SAVE wrote no dump.rdb");
    start_on_dir();
    c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "a", "b", "c");
    redisFree(c);
    stop_ok(&g_server);
}

/* Plain SHUTDOWN saves exactly when save points are configured. */
PERSIST_TEST(shutdown_follows_save_points)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    redisFree(c);
    shutdown_with("SHUTDOWN\r\n");
    cr_assert(!file_exists(path_in(g_dir, "dump.rdb")), "SHUTDOWN without save points wrote dump.rdb");

    g_server = ts_start("--dir", g_dir, "--save", "900 1", NULL);
    c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v2"));
    redisFree(c);
    shutdown_with("SHUTDOWN\r\n");
    cr_assert(file_exists(path_in(g_dir, "dump.rdb")), "SHUTDOWN with save points wrote no dump.rdb");
    start_on_dir();
    c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v2");
    redisFree(c);
    stop_ok(&g_server);
}

/* SIGTERM (ts_stop) with save points: the dataset is saved before the
 * exit, and the next server loads it. */
PERSIST_TEST(sigterm_saves_with_save_points)
{
    g_server = ts_start("--dir", g_dir, "--save", "900 1", NULL);
    redisContext *c = ts_connect(g_server);
    populate(c);
    struct snap want;
    snap_take(c, &want);
    redisFree(c);
    cr_assert(!file_exists(path_in(g_dir, "dump.rdb")));
    stop_ok(&g_server);
    cr_assert(file_exists(path_in(g_dir, "dump.rdb")), "SIGTERM with save points wrote no dump.rdb");
    start_on_dir();
    c = ts_connect(g_server);
    struct snap got;
    snap_take(c, &got);
    snap_assert_same(&want, &got);
    snap_free(&want);
    snap_free(&got);
    redisFree(c);
    stop_ok(&g_server);
}

PERSIST_TEST(sigterm_without_save_points_does_not_save)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    redisFree(c);
    stop_ok(&g_server);
    cr_assert(!file_exists(path_in(g_dir, "dump.rdb")), "SIGTERM without save points wrote dump.rdb");
}

/* A save that cannot write (its dir is gone): SAVE answers a bare "ERR",
 * a BGSAVE ends with status err, SHUTDOWN SAVE refuses and the server
 * keeps serving; SHUTDOWN NOSAVE still exits. */
PERSIST_TEST(save_failure_is_reported)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    cr_assert(rmdir(g_dir) == 0, "rmdir %s", g_dir);
    ts_assert_error(ts_cmd(c, "SAVE"), "ERR");
    ts_assert_status(ts_cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_info_str(c, "rdb_last_bgsave_status", "err");
    ts_assert_error(ts_cmd(c, "SHUTDOWN SAVE"), "ERR Errors trying to SHUTDOWN. Check logs.");
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_ok(ts_cmd(c, "SET k2 v2")); /* no save points: writes go on */
    redisFree(c);
    shutdown_with("SHUTDOWN NOSAVE\r\n");
    g_dir[0] = '\0';
}

#define MISCONF                                                                                    \
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to "  \
    "disk. Commands that may modify the data set are disabled, because this instance is "          \
    "configured to report errors during writes if RDB snapshotting fails "                         \
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB " \
    "error."

/* With save points and stop-writes-on-bgsave-error (the default), a failed
 * BGSAVE turns writes away with MISCONF until the option is off; reads go
 * on. */
PERSIST_TEST(failed_bgsave_with_save_points_refuses_writes)
{
    g_server = ts_start("--dir", g_dir, "--save", "900 1", NULL);
    redisContext *c = ts_connect(g_server);
    assert_config(c, "stop-writes-on-bgsave-error", "yes");
    ts_assert_ok(ts_cmd(c, "SET k v"));
    cr_assert(rmdir(g_dir) == 0, "rmdir %s", g_dir);
    ts_assert_status(ts_cmd(c, "BGSAVE"), "Background saving started");
    wait_bgsave_done(c);
    assert_info_str(c, "rdb_last_bgsave_status", "err");
    ts_assert_error(ts_cmd(c, "SET k w"), MISCONF);
    ts_assert_error(ts_cmd(c, "DEL k"), MISCONF);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_ok(ts_cmd(c, "CONFIG SET stop-writes-on-bgsave-error no"));
    ts_assert_ok(ts_cmd(c, "SET k w"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "w");
    redisFree(c);
    shutdown_with("SHUTDOWN NOSAVE\r\n"); /* SIGTERM would try to save, fail, and stay */
    g_dir[0] = '\0';
}

/* ---- corrupt dump.rdb ------------------------------------------------------ */

/* Saves a few keys and a 100 KB incompressible value (the middle of the
 * file), returning the file's bytes (rk_free them). */
static char *save_reference_rdb(size_t *len)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    char *rnd = random_value(100000, 7);
    ts_assert_ok(ts_cmd(c, "SET a 1"));
    ts_assert_ok(ts_cmd(c, "SET b hello"));
    ts_assert_ok(ts_cmd(c, "SET big %b", rnd, (size_t)100000));
    ts_assert_int(ts_cmd(c, "RPUSH l x y z"), 3);
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    free(rnd);
    stop_ok(&g_server);
    char *d = ts_read_file(path_in(g_dir, "dump.rdb"), len);
    cr_assert(d && *len > 100000, "no dump.rdb of over 100 KB after SAVE");
    return d;
}

/* The server on g_dir loads the reference data (so the file was fine
 * before the test broke it). */
static void assert_reference_loads(void)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    char *rnd = random_value(100000, 7);
    redisReply *r = ts_cmd(c, "GET big");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 100000 && memcmp(r->str, rnd, 100000) == 0,
              "the 100 KB value did not load");
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(c, "GET b"), "hello");
    ts_assert_array(ts_cmd(c, "LRANGE l 0 -1"), "x", "y", "z");
    ts_assert_int(ts_cmd(c, "DBSIZE"), 4);
    free(rnd);
    redisFree(c);
    stop_ok(&g_server);
}

/* Writes dump.rdb and expects the server to refuse it: an exit of its own
 * (status 1..127: not a crash, not a hang) before it serves. */
static void assert_refused(const void *data, size_t len, const char *what)
{
    ts_write_file(path_in(g_dir, "dump.rdb"), data, len);
    int status;
    struct test_server *ts = ts_try_start(&status, "--dir", g_dir, NULL);
    if (ts) {
        g_server = ts;
        cr_assert_fail("the server started and serves on a dump.rdb with %s", what);
    }
    cr_assert(status >= 1 && status <= 127, "dump.rdb with %s: exit status %d, want a refusal (1..127)", what,
              status);
}

PERSIST_TEST(corrupt_rdb_byte_flipped_refuses_start)
{
    size_t n;
    char *d = save_reference_rdb(&n);
    char *bad = rk_malloc(n);
    memcpy(bad, d, n);
    bad[n / 2] ^= 0xff; /* inside the random value: only the CRC can tell */
    assert_refused(bad, n, "a byte flipped in the middle");
    memcpy(bad, d, n);
    bad[n - 1] ^= 0x01;
    assert_refused(bad, n, "a wrong checksum");
    ts_write_file(path_in(g_dir, "dump.rdb"), d, n);
    assert_reference_loads();
    rk_free(bad);
    rk_free(d);
}

PERSIST_TEST(truncated_rdb_refuses_start)
{
    size_t n;
    char *d = save_reference_rdb(&n);
    assert_refused(d, n / 2, "half of it cut off");
    assert_refused(d, n - 1, "its last byte cut off");
    assert_refused(d, n - 8, "no checksum");
    assert_refused(d, 9, "only the header");
    assert_refused(d, 0, "nothing in it");
    ts_write_file(path_in(g_dir, "dump.rdb"), d, n);
    assert_reference_loads();
    rk_free(d);
}

/* The signature must be REDIS and the version at most 10 (RDB 9 files, as
 * Redis 6 writes them, load); the CRC is recomputed so only the header
 * decides. */
PERSIST_TEST(rdb_signature_and_version)
{
    size_t n;
    char *d = save_reference_rdb(&n);
    char *v = rk_malloc(n);
    memcpy(v, d, n);
    memcpy(v, "XEDIS", 5);
    put_le64(v + n - 8, crc64(v, n - 8));
    assert_refused(v, n, "a wrong signature");
    memcpy(v, d, n);
    memcpy(v, "REDIS0011", 9);
    put_le64(v + n - 8, crc64(v, n - 8));
    assert_refused(v, n, "RDB version 11");
    memcpy(v, d, n);
    memcpy(v, "REDIS0009", 9);
    put_le64(v + n - 8, crc64(v, n - 8));
    ts_write_file(path_in(g_dir, "dump.rdb"), v, n);
    assert_reference_loads();
    rk_free(v);
    rk_free(d);
}

/* ---- point in time ------------------------------------------------------ */

/* Reads an integer the way the tests below keep their counters: a bulk
 * holding digits, an integer reply, or nil for 0. */
static long long counter_of(redisReply *r, const char *what)
{
    long long v = 0;
    if (r->type == REDIS_REPLY_INTEGER) v = r->integer;
    else if (r->type == REDIS_REPLY_STRING) v = strtoll(r->str, NULL, 10);
    else cr_assert(r->type == REDIS_REPLY_NIL, "%s: unexpected reply type %d", what, r->type);
    freeReplyObject(r);
    return v;
}

/* BGSAVE while a client runs transactions that change five keys on
 * (at 4 shards) every shard together: a counter pair, a string
 * appended to, a list pushed to and a hash field incremented, the last
 * three changed in place. Each transaction keeps them equal, so a
 * snapshot taken at one point in time has them equal too, whichever
 * shard saved which key when; a value changed after the cut must be
 * saved as it was before. 20000 other keys make each shard's walk take
 * many loop turns while the writes go on. Loaded back by a restart. */
PERSIST_TEST(bgsave_is_one_point_in_time)
{
    static const char *const keys[] = {"pit:a", "pit:d", "pit:c", "pit:list", "pit:hash"};
    if (ts_shards() == 4) ts_assert_spread(keys, 5, 4);
    start_on_dir();
    redisContext *c = ts_connect(g_server), *w = ts_connect(g_server);
    for (int i = 0; i < 20000; i++) ts_append(c, "SET fill:%d %0100d", i, i);
    for (int i = 0; i < 20000; i++) ts_assert_ok(ts_reply(c));
    /* Every key exists before the first save, whenever its cut comes. */
    ts_assert_ok(ts_cmd(c, "MSET pit:a 0 pit:d 0 pit:c %s", ""));
    ts_assert_int(ts_cmd(c, "RPUSH pit:list seed"), 1);
    ts_assert_int(ts_cmd(c, "HSET pit:hash f 0"), 1);
    for (int round = 0; round < 3; round++) {
        const int batch = 400;
        for (int i = 0; i < batch; i++) {
            ts_append(w, "MULTI");
            ts_append(w, "INCR pit:a");
            ts_append(w, "INCR pit:d");
            ts_append(w, "APPEND pit:c x");
            ts_append(w, "RPUSH pit:list x");
            ts_append(w, "HINCRBY pit:hash f 1");
            ts_append(w, "SET fill:%d changed-after", (round * batch + i) % 20000);
            ts_append(w, "EXEC");
            if (i == batch / 4) { /* let the first ones reach the server */
                redisReply *r;
                cr_assert(redisBufferWrite(w, &(int){0}) == REDIS_OK);
                r = ts_cmd(c, "BGSAVE");
                cr_assert(r->type == REDIS_REPLY_STATUS, "BGSAVE: %s", r->str);
                freeReplyObject(r);
            }
        }
        for (int i = 0; i < batch * 8; i++) freeReplyObject(ts_reply(w));
        wait_bgsave_done(c);
        assert_info_str(c, "rdb_last_bgsave_status", "ok");
        assert_redis_check_rdb(path_in(g_dir, "dump.rdb"), -1, -1);

        /* What the file holds: a server of its own loads it. */
        struct test_server *loaded = ts_start("--dir", g_dir, "--save", "", NULL);
        redisContext *l = ts_connect(loaded);
        long long a = counter_of(ts_cmd(l, "GET pit:a"), "pit:a");
        cr_assert_eq(counter_of(ts_cmd(l, "GET pit:d"), "pit:d"), a, "pit:d differs from pit:a=%lld", a);
        cr_assert_eq(counter_of(ts_cmd(l, "STRLEN pit:c"), "pit:c"), a, "pit:c differs from pit:a=%lld", a);
        cr_assert_eq(counter_of(ts_cmd(l, "LLEN pit:list"), "pit:list") - 1, a, "pit:list differs from pit:a=%lld", a);
        cr_assert_eq(counter_of(ts_cmd(l, "HGET pit:hash f"), "pit:hash"), a, "pit:hash differs from pit:a=%lld", a);
        cr_assert(a >= (long long)round * batch && a <= (long long)(round + 1) * batch,
                  "pit:a=%lld outside round %d's transactions", a, round);
        cr_log_info("round %d: the snapshot holds %lld of its %d transactions", round, a - (long long)round * batch,
                    batch);
        /* Keys changed after the cut kept their value of before. */
        long long changed = 0;
        for (int i = 0; i < (round + 1) * batch; i++) {
            redisReply *r = ts_cmd(l, "GET fill:%d", i);
            cr_assert_eq(r->type, REDIS_REPLY_STRING, "fill:%d missing from the snapshot", i);
            if (strcmp(r->str, "changed-after") == 0) changed++;
            freeReplyObject(r);
        }
        cr_assert_eq(changed, a, "%lld fill keys changed in the snapshot, want %lld (as many as transactions)",
                     changed, a);
        cr_assert_eq(counter_of(ts_cmd(l, "DBSIZE"), "DBSIZE"), 20005);
        redisFree(l);
        cr_assert_eq(ts_stop(loaded), 0);
    }
    redisFree(w);
    redisFree(c);
}

/* ---- functions ------------------------------------------------------- */

#define LIBRARY "#!lua name=persistlib\nredis.register_function('persist_echo', function(keys, args) return args[1] end)"

static void assert_library_works(redisContext *c)
{
    redisReply *r = ts_cmd(c, "FUNCTION LIST");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1, "FUNCTION LIST: want one library");
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(c, "FCALL persist_echo 0 hello"), "hello");
}

/* Libraries travel in the RDB file as Redis 7.0 keeps them (FUNCTION2):
 * a restart keeps them, and files move them between ringkv and Redis. */
PERSIST_TEST(functions_are_saved_and_loaded)
{
    start_on_dir();
    redisContext *c = ts_connect(g_server);
    ts_assert_bulk(ts_cmd(c, "FUNCTION LOAD %s", LIBRARY), "persistlib");
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    restart_on_dir();
    c = ts_connect(g_server);
    assert_library_works(c);
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    redisFree(c);
    stop_ok(&g_server);

    g_peer = ts_start_redis("--dir", g_dir, NULL); /* reads the server's file */
    c = ts_connect(g_peer);
    assert_library_works(c);
    ts_assert_ok(ts_cmd(c, "FUNCTION DELETE persistlib"));
    ts_assert_bulk(ts_cmd(c, "FUNCTION LOAD %s", LIBRARY), "persistlib");
    ts_assert_ok(ts_cmd(c, "SAVE"));
    redisFree(c);
    stop_ok(&g_peer);
    start_on_dir(); /* reads Redis's file */
    c = ts_connect(g_server);
    assert_library_works(c);
    redisFree(c);
    stop_ok(&g_server);
}

/* FLUSHALL with save points saves the emptied dataset, as Redis does. */
PERSIST_TEST(flushall_with_save_points_saves)
{
    g_server = ts_start("--dir", g_dir, "--save", "3600 1", NULL);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_ok(ts_cmd(c, "SAVE"));
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    /* The file is replaced whole (renamed into place): old or new. */
    long long deadline = ts_now_ms() + 5000;
    bool empty = false;
    while (!empty && ts_now_ms() < deadline) {
        char *out;
        if (ts_runl(&out, 20000, "redis-check-rdb", path_in(g_dir, "dump.rdb"), NULL) == 0)
            empty = strstr(out, "[info] 0 keys read") != NULL;
        rk_free(out);
        if (!empty) ts_sleep_ms(20);
    }
    cr_assert(empty, "dump.rdb still holds keys 5 s after FLUSHALL");
    wait_bgsave_done(c);
    redisFree(c);
    ts_kill(g_server); /* no save at exit: the file must already be empty */
    g_server = NULL;
    start_on_dir();
    c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "DBSIZE"), 0);
    redisFree(c);
    stop_ok(&g_server);
}
