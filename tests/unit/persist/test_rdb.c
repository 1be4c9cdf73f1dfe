/* test_rdb.c — the RDB layer (persist/rdb.h) without a server: every type
 * and encoding the server builds written with rdb_put_value and read back
 * with rdb_read_object (same type, encoding and content, every byte
 * consumed), DUMP payloads (checksum and version checks, every single-byte
 * change and every truncation refused without a crash), payloads byte for
 * byte as redis-server 7.0.15 DUMPs them, rdb_put_string's / rdb_put_len's
 * encodings, and rdb_walk over hand-assembled images (databases, expiries,
 * checksums, skipped keys, truncation and trailing data). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/config.h"
#include "ringkv/base/crc64.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/object.h"
#include "ringkv/data/quicklist.h"
#include "ringkv/data/set.h"
#include "ringkv/data/stream.h"
#include "ringkv/data/stream_cg.h"
#include "ringkv/data/zset.h"
#include "ringkv/persist/rdb.h"

static struct config cfg;

static void setup(void)
{
    config_init(&cfg);
    obj_types_setup();
    rk_random_seed(20240607);
}

TestSuite(rdb, .init = setup);

/* ---- building values as the commands do ----------------------------------- */

static struct kv *str(const char *key, const char *val, size_t vlen)
{
    return kv_new_string(key, strlen(key), val, vlen);
}

static struct kv *strz(const char *key, const char *val) { return str(key, val, strlen(val)); }

static void rpush(struct kv *kv, const char *s, size_t len)
{
    listval_push(kv, LISTVAL_TAIL, s, len, list_limits_of(cfg.list_max_listpack_size, cfg.list_compress_depth));
}

static struct kv *list_of(const char *key, const char *const *items, int n)
{
    struct kv *kv = listval_create(key, strlen(key));
    for (int i = 0; i < n; i++) rpush(kv, items[i], strlen(items[i]));
    return kv;
}

/* SADD key m...: setTypeCreate(first member, count), then every member. */
static struct kv *set_of(const char *key, const char *const *items, int n)
{
    struct kv *kv = set_create(key, strlen(key), &cfg, items[0], strlen(items[0]), (size_t)n);
    for (int i = 0; i < n; i++) set_add(kv, &cfg, items[i], strlen(items[i]));
    return kv;
}

static void hset(struct kv *kv, const char *f, size_t flen, const char *v, size_t vlen)
{
    const struct hashval_limits lim = {cfg.hash_max_listpack_entries, cfg.hash_max_listpack_value};
    size_t lens[2] = {flen, vlen};
    hashval_prepare(kv, lens, 2, &lim);
    hashval_set(kv, f, flen, v, vlen, &lim);
}

static struct kv *hash_of(const char *key, const char *const *fv, int npairs)
{
    struct kv *kv = hashval_create(key, strlen(key));
    for (int i = 0; i < npairs; i++) hset(kv, fv[2 * i], strlen(fv[2 * i]), fv[2 * i + 1], strlen(fv[2 * i + 1]));
    return kv;
}

static void zadd(struct kv *kv, double score, const char *m, size_t mlen)
{
    int out = 0;
    cr_assert(zset_add(kv, &cfg, score, m, mlen, 0, &out, NULL));
}

struct zm {
    double score;
    const char *m;
};

static struct kv *zset_of(const char *key, const struct zm *e, int n)
{
    struct kv *kv = zset_create_for(key, strlen(key), &cfg, strlen(e[0].m));
    for (int i = 0; i < n; i++) zadd(kv, e[i].score, e[i].m, strlen(e[i].m));
    return kv;
}

static void random_bytes(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) buf[i] = (char)rk_random_below(256);
}

/* ---- comparing values element by element --------------------------------- */

static bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static const char *entry_str(const listval_entry *e, char *buf, size_t *len)
{
    if (e->str) {
        *len = e->len;
        return (const char *)e->str;
    }
    *len = ll2string(buf, e->ll);
    return buf;
}

struct hash_cmp {
    struct kv *other;
    size_t n;
    const char *what;
};

static void hash_field_in_other(const lp_value *f, const lp_value *v, void *arg)
{
    struct hash_cmp *hc = arg;
    char fb[RK_LONG_STR_SIZE], vb[RK_LONG_STR_SIZE], ob[RK_LONG_STR_SIZE];
    size_t flen, vlen, olen;
    const char *fs = hashval_str(f, fb, &flen), *vs = hashval_str(v, vb, &vlen);
    lp_value o;
    if (!hashval_get(hc->other, fs, flen, &o)) cr_assert_fail("%s: field %.*s lost", hc->what, (int)flen, fs);
    const char *os = hashval_str(&o, ob, &olen);
    if (!bytes_eq(vs, vlen, os, olen)) cr_assert_fail("%s: field %.*s changed", hc->what, (int)flen, fs);
    hc->n++;
}

/* Same type and the same content; for lists and sorted sets in the same
 * order, scores bit for bit (-0.0 stays -0.0). */
static void assert_same_value(struct kv *a, struct kv *b, const char *what)
{
    cr_assert_eq(a->type, b->type, "%s: type %d came back as %d", what, a->type, b->type);
    char ba[RK_LONG_STR_SIZE], bb[RK_LONG_STR_SIZE];
    size_t la, lb;
    switch (a->type) {
    case OBJ_STRING: {
        const char *sa = kv_string(a, ba, &la), *sb = kv_string(b, bb, &lb);
        cr_assert(bytes_eq(sa, la, sb, lb), "%s: string differs (%zu vs %zu bytes)", what, la, lb);
        break;
    }
    case OBJ_LIST: {
        cr_assert_eq(listval_len(a), listval_len(b), "%s: list length", what);
        struct listval_iter ia, ib;
        listval_entry ea, eb;
        bool ha = listval_iter_init(&ia, a, LISTVAL_HEAD, 0), hb = listval_iter_init(&ib, b, LISTVAL_HEAD, 0);
        cr_assert_eq(ha, hb);
        size_t i = 0;
        while (ha && listval_next(&ia, &ea)) {
            cr_assert(listval_next(&ib, &eb), "%s: list ends early at %zu", what, i);
            const char *sa = entry_str(&ea, ba, &la), *sb = entry_str(&eb, bb, &lb);
            if (!bytes_eq(sa, la, sb, lb)) cr_assert_fail("%s: list entry %zu differs", what, i);
            i++;
        }
        cr_assert(!hb || !listval_next(&ib, &eb), "%s: list has extra entries", what);
        cr_assert_eq(i, listval_len(a));
        break;
    }
    case OBJ_SET: {
        cr_assert_eq(set_size(a), set_size(b), "%s: set size", what);
        struct set_iter it;
        struct set_elem e;
        size_t n = 0;
        set_iter_init(&it, a);
        while (set_iter_next(&it, &e)) {
            const char *s = set_elem_str(&e, ba, &la);
            if (!set_contains(b, s, la)) cr_assert_fail("%s: member %.*s lost", what, (int)la, s);
            n++;
        }
        set_iter_done(&it);
        cr_assert_eq(n, set_size(a));
        break;
    }
    case OBJ_ZSET: {
        cr_assert_eq(zset_length(a), zset_length(b), "%s: zset length", what);
        struct zset_iter ia, ib;
        struct zset_elem ea, eb;
        zset_iter_rank(&ia, a, 0, false);
        zset_iter_rank(&ib, b, 0, false);
        size_t i = 0;
        while (zset_iter_next(&ia, &ea)) {
            cr_assert(zset_iter_next(&ib, &eb), "%s: zset ends early at %zu", what, i);
            const char *sa = zset_elem_str(&ea, ba, &la), *sb = zset_elem_str(&eb, bb, &lb);
            if (!bytes_eq(sa, la, sb, lb)) cr_assert_fail("%s: zset member %zu differs", what, i);
            if (memcmp(&ea.score, &eb.score, sizeof(double)) != 0)
                cr_assert_fail("%s: score of %.*s: %.17g came back as %.17g", what, (int)la, sa, ea.score, eb.score);
            i++;
        }
        cr_assert(!zset_iter_next(&ib, &eb), "%s: zset has extra members", what);
        break;
    }
    case OBJ_HASH: {
        cr_assert_eq(hashval_len(a), hashval_len(b), "%s: hash length", what);
        struct hash_cmp hc = {b, 0, what};
        hashval_foreach(a, hash_field_in_other, &hc);
        cr_assert_eq(hc.n, hashval_len(a));
        break;
    }
    default: cr_assert_fail("%s: unknown type", what);
    }
}

/* ---- every type and encoding ------------------------------------------------ */

struct sample {
    const char *name;
    struct kv *kv;
    enum obj_encoding enc; /* what it must be built as (and come back as) */
};

#define MAX_SAMPLES 48

static int build_samples(struct sample *s)
{
    int n = 0;
    char buf[20000];
#define ADD(nm, k, e) (s[n++] = (struct sample){nm, (k), (e)})
    /* strings */
    ADD("int", strz("s:int", "12345"), ENC_INT);
    ADD("int -1", strz("s:neg", "-1"), ENC_INT);
    ADD("int 0", strz("s:zero", "0"), ENC_INT);
    ADD("int past 32 bits", strz("s:int11", "12345678901"), ENC_INT);
    ADD("int64 max", strz("s:max", "9223372036854775807"), ENC_INT);
    ADD("int64 min", strz("s:min", "-9223372036854775808"), ENC_INT);
    ADD("embstr", strz("s:emb", "hello world"), ENC_EMBSTR);
    ADD("embstr 007", strz("s:007", "007"), ENC_EMBSTR);
    ADD("embstr empty", strz("s:empty", ""), ENC_EMBSTR);
    memset(buf, 'e', 44);
    ADD("embstr 44 bytes", str("s:emb44", buf, 44), ENC_EMBSTR);
    memset(buf, 'r', 45);
    ADD("raw 45 bytes", str("s:raw45", buf, 45), ENC_RAW);
    for (int i = 0; i < 5000; i++) buf[i] = (char)("abcdefgh"[i % 8] ^ (i / 512));
    ADD("raw compressible", str("s:lzf", buf, 5000), ENC_RAW);
    random_bytes(buf, 3000);
    ADD("raw incompressible", str("s:rand", buf, 3000), ENC_RAW);
    char *mb = malloc(1 << 20);
    memset(mb, 'x', 1 << 20); /* LZF's best ratio (~88:1): the loader's bound must allow it */
    ADD("raw 1 MB of one byte", str("s:mb", mb, 1 << 20), ENC_RAW);
    free(mb);

    /* lists */
    const char *small[] = {"a", "b", "1", "2", "-100", "70000", "hello", "9223372036854775807", "", "007"};
    ADD("list listpack", list_of("l:small", small, 10), ENC_LISTPACK);
    struct kv *ql = listval_create("l:ql", 4);
    for (int i = 0; i < 3000; i++) {
        int len = i % 3 ? snprintf(buf, sizeof buf, "element-%d-%08d", i % 7, i)
                        : snprintf(buf, sizeof buf, "%d", i * 37 - 5000);
        rpush(ql, buf, (size_t)len);
    }
    ADD("list quicklist", ql, ENC_QUICKLIST);
    struct kv *qlbig = listval_create("l:qlbig", 7);
    for (int i = 0; i < 6; i++) {
        if (i % 2) random_bytes(buf, 12000);
        else memset(buf, 'a' + i, 12000);
        rpush(qlbig, buf, 12000);
        rpush(qlbig, "x", 1);
    }
    ADD("list quicklist of big entries", qlbig, ENC_QUICKLIST);

    /* sets */
    const char *ints[] = {"1", "2", "3", "-5", "100000", "9223372036854775807", "-9223372036854775808", "70000"};
    ADD("set intset", set_of("t:is", ints, 8), ENC_INTSET);
    const char *strs[] = {"a", "b", "c", "1", "hello", "-0", "007"};
    ADD("set listpack", set_of("t:lp", strs, 7), ENC_LISTPACK);
    const char *first = "m0";
    struct kv *hs = set_create("t:ht", 4, &cfg, first, 2, 200);
    for (int i = 0; i < 200; i++) set_add(hs, &cfg, buf, (size_t)snprintf(buf, sizeof buf, "m%d", i));
    ADD("set hashtable of strings", hs, ENC_HASHTABLE);
    struct kv *hi = set_create("t:hi", 4, &cfg, "0", 1, 1);
    for (int i = 0; i < 600; i++) set_add(hi, &cfg, buf, (size_t)snprintf(buf, sizeof buf, "%d", i * 3 - 700));
    ADD("set hashtable of integers", hi, ENC_HASHTABLE);
    struct kv *hl = set_create("t:hl", 4, &cfg, "a", 1, 1);
    set_add(hl, &cfg, "a", 1);
    memset(buf, 'z', 100);
    set_add(hl, &cfg, buf, 100);
    set_add(hl, &cfg, "42", 2);
    ADD("set hashtable by a long member", hl, ENC_HASHTABLE);

    /* hashes */
    const char *fv[] = {"f1", "v1", "f2", "2", "n", "-70000", "empty", "", "big", "9223372036854775807"};
    ADD("hash listpack", hash_of("h:lp", fv, 5), ENC_LISTPACK);
    struct kv *hh = hashval_create("h:ht", 4);
    for (int i = 0; i < 600; i++) {
        char f[32];
        int flen = snprintf(f, sizeof f, i % 2 ? "field:%d" : "%d", i);
        hset(hh, f, (size_t)flen, buf, (size_t)snprintf(buf, sizeof buf, "value-%d", i * 7));
    }
    ADD("hash hashtable (many fields)", hh, ENC_HASHTABLE);
    struct kv *hv = hashval_create("h:hv", 4);
    hset(hv, "a", 1, "1", 1);
    memset(buf, 'v', 100);
    hset(hv, "long", 4, buf, 100);
    ADD("hash hashtable (long value)", hv, ENC_HASHTABLE);

    /* sorted sets: the scores that need care */
    const struct zm zs[] = {{2.5, "a"},          {1, "b"},         {-3, "c"},       {INFINITY, "inf"},
                            {-INFINITY, "-inf"}, {-0.0, "negzero"}, {0.1, "tenth"}, {1e300, "huge"},
                            {-1.5e-300, "tiny"}, {123456789012.0, "12"}, {-1e308, "neghuge"}};
    int nzs = (int)(sizeof zs / sizeof zs[0]);
    ADD("zset listpack", zset_of("z:lp", zs, nzs), ENC_LISTPACK);
    struct kv *zk = zset_of("z:sk", zs, nzs);
    for (int i = 0; i < 200; i++)
        zadd(zk, (i % 5 == 0 ? i : i / 7.0 - 3.3) * (i % 2 ? 1 : -1), buf, (size_t)snprintf(buf, sizeof buf, "m%d", i));
    ADD("zset skiplist", zk, ENC_SKIPLIST);
    struct kv *zl = zset_of("z:long", zs, 3);
    memset(buf, 'q', 100);
    zadd(zl, -0.0, buf, 100);
    zadd(zl, 0.25, "1", 1);
    ADD("zset skiplist (long member)", zl, ENC_SKIPLIST);
#undef ADD
    cr_assert_leq(n, MAX_SAMPLES);
    for (int i = 0; i < n; i++)
        cr_assert_eq(s[i].kv->enc, s[i].enc, "%s built as encoding %d", s[i].name, s[i].kv->enc);
    cr_assert_gt(((quicklist *)ql->v.ptr)->len, 1, "the quicklist sample has several nodes");
    return n;
}

static void free_samples(struct sample *s, int n)
{
    for (int i = 0; i < n; i++) kv_free(s[i].kv);
}

/* Reads one value of type `type` from exactly the n bytes at p. */
static struct kv *read_value(const unsigned char *p, size_t n, int type, const struct kv *orig)
{
    struct rdb_reader r;
    rdb_reader_init(&r, p, n, &cfg);
    struct kv *kv = rdb_read_object(&r, type, kv_key(orig), orig->keylen);
    cr_assert_not_null(kv, "read failed: %s at %zu", r.why ? r.why : "?", rdb_reader_offset(&r));
    cr_assert_eq(r.error, RDB_OK);
    cr_assert(r.p == r.end, "the reader left %zu of %zu bytes", (size_t)(r.end - r.p), n);
    rdb_reader_free(&r);
    cr_assert(bytes_eq(kv_key(kv), kv->keylen, kv_key(orig), orig->keylen));
    return kv;
}

Test(rdb, every_type_and_encoding_round_trips)
{
    struct sample s[MAX_SAMPLES];
    int n = build_samples(s);
    for (int i = 0; i < n; i++) {
        for (int compress = 0; compress <= 1; compress++) {
            struct rdb_buf b = {0}, e = {0};
            rdb_put_value(&b, s[i].kv, compress);
            /* (now: lookups in a hashtable value below may move its
             * rehashing on, and with it the order its members come in) */
            rdb_put_entry(&e, s[i].kv, -1, compress);
            int type = rdb_value_type(s[i].kv);
            struct kv *back = read_value(b.data, b.len, type, s[i].kv);
            char what[128];
            snprintf(what, sizeof what, "%s (compress %d)", s[i].name, compress);
            cr_assert_eq(back->enc, s[i].enc, "%s: encoding %d came back as %d", what, s[i].enc, back->enc);
            assert_same_value(s[i].kv, back, what);
            assert_same_value(back, s[i].kv, what);
            if (s[i].enc == ENC_QUICKLIST)
                cr_assert_eq(((quicklist *)back->v.ptr)->len, ((quicklist *)s[i].kv->v.ptr)->len, "%s: nodes", what);
            kv_free(back);

            /* The same through rdb_put_entry's layout: type, key, value. */
            cr_assert_eq(e.data[0], type);
            struct rdb_reader r;
            rdb_reader_init(&r, e.data + 1, e.len - 1, &cfg);
            const unsigned char *k;
            size_t klen;
            cr_assert(rdb_read_string(&r, 0, &k, &klen));
            cr_assert(bytes_eq(k, klen, kv_key(s[i].kv), s[i].kv->keylen));
            cr_assert_eq(e.len - 1 - rdb_reader_offset(&r), b.len, "%s: entry = type + key + value", what);
            cr_assert(memcmp(r.p, b.data, b.len) == 0);
            /* ... and stepping over it consumes exactly the value. */
            cr_assert(rdb_skip_object(&r, type), "%s: skip failed: %s", what, r.why ? r.why : "?");
            cr_assert(r.p == r.end, "%s: skip left %zu bytes", what, (size_t)(r.end - r.p));
            rdb_reader_free(&r);
            rdb_buf_free(&e);
            rdb_buf_free(&b);
        }
    }
    free_samples(s, n);
}

/* The RDB type byte follows the encoding as Redis 7.0 writes it. */
Test(rdb, value_types)
{
    struct sample s[MAX_SAMPLES];
    int n = build_samples(s);
    for (int i = 0; i < n; i++) {
        int want;
        switch (s[i].kv->type) {
        case OBJ_STRING: want = RDB_TYPE_STRING; break;
        case OBJ_LIST: want = RDB_TYPE_LIST_QUICKLIST_2; break;
        case OBJ_SET: want = s[i].enc == ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET; break;
        case OBJ_ZSET: want = s[i].enc == ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2; break;
        default: want = s[i].enc == ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH; break;
        }
        cr_assert_eq(rdb_value_type(s[i].kv), want, "%s", s[i].name);
    }
    free_samples(s, n);
}

/* Compression really happens where it should, and only when asked. */
Test(rdb, compression_only_when_asked)
{
    char buf[5000];
    memset(buf, 'x', sizeof buf);
    struct kv *kv = str("k", buf, sizeof buf);
    struct rdb_buf on = {0}, off = {0};
    rdb_put_value(&on, kv, true);
    rdb_put_value(&off, kv, false);
    cr_assert_eq(on.data[0], 0xC3, "a compressible raw string is LZF");
    cr_assert_lt(on.len, 200);
    cr_assert_eq(off.data[0], 0x40 | (sizeof buf >> 8), "uncompressed: a 14-bit length");
    cr_assert_eq(off.data[1], sizeof buf & 0xFF);
    cr_assert_eq(off.len, 2 + sizeof buf);
    rdb_buf_free(&on);
    rdb_buf_free(&off);
    kv_free(kv);

    random_bytes(buf, 300);
    kv = str("k", buf, 300);
    rdb_put_value(&on, kv, true);
    cr_assert_eq(on.len, 2 + 300, "incompressible bytes stay as they are");
    cr_assert_eq(on.data[0], 0x41);
    cr_assert_eq(on.data[1], 300 & 0xFF);
    rdb_buf_free(&on);
    kv_free(kv);
}

/* ---- DUMP / RESTORE payloads ---------------------------------------------- */

static void refooter(struct rdb_buf *b, unsigned version)
{
    unsigned char ver[2] = {(unsigned char)(version & 0xFF), (unsigned char)(version >> 8)};
    rdb_put_bytes(b, ver, 2);
    rdb_put_millis(b, (long long)crc64(0, b->data, b->len));
}

Test(rdb, dump_payload_round_trips)
{
    struct sample s[MAX_SAMPLES];
    int n = build_samples(s);
    for (int i = 0; i < n; i++) {
        for (int compress = 0; compress <= 1; compress++) {
            struct rdb_buf b = {0};
            rdb_dump_payload(&b, s[i].kv, compress);
            cr_assert(rdb_payload_ok(b.data, b.len), "%s", s[i].name);
            cr_assert_eq(b.data[0], rdb_value_type(s[i].kv));
            cr_assert_eq(b.data[b.len - 10], RDB_VERSION);
            cr_assert_eq(b.data[b.len - 9], 0);
            bool bad = true;
            struct kv *back = rdb_restore_payload(b.data, b.len, &cfg, "new", 3, &bad);
            cr_assert_not_null(back, "%s", s[i].name);
            cr_assert_not(bad);
            cr_assert(bytes_eq(kv_key(back), back->keylen, "new", 3));
            cr_assert_eq(back->enc, s[i].enc, "%s", s[i].name);
            assert_same_value(s[i].kv, back, s[i].name);
            kv_free(back);
            rdb_buf_free(&b);
        }
    }
    free_samples(s, n);
}

/* A sample of each type, small enough to try every byte. */
static int small_samples(struct kv **kv)
{
    int n = 0;
    char buf[200];
    memset(buf, 'x', sizeof buf);
    kv[n++] = strz("k", "bar");
    kv[n++] = strz("k", "-12345");
    kv[n++] = str("k", buf, 100);
    const char *l[] = {"a", "b", "1", "2", "-100", "70000"};
    kv[n++] = list_of("k", l, 6);
    struct kv *ql = listval_create("k", 1);
    for (int i = 0; i < 100; i++) rpush(ql, buf, 100 + (size_t)i * 3 % 7); /* ~10 KB: two nodes */
    kv[n++] = ql;
    const char *ints[] = {"1", "2", "-5", "100000"};
    kv[n++] = set_of("k", ints, 4);
    const char *strs[] = {"a", "b", "c"};
    kv[n++] = set_of("k", strs, 3);
    struct kv *hs = set_create("k", 1, &cfg, "m", 1, 200);
    for (int i = 0; i < 140; i++) set_add(hs, &cfg, buf, (size_t)snprintf(buf, sizeof buf, "m%d", i));
    kv[n++] = hs;
    const char *fv[] = {"f1", "v1", "f2", "2"};
    kv[n++] = hash_of("k", fv, 2);
    struct kv *hv = hashval_create("k", 1);
    hset(hv, "a", 1, "1", 1);
    memset(buf, 'v', 70);
    hset(hv, "long", 4, buf, 70);
    kv[n++] = hv;
    const struct zm zs[] = {{2.5, "a"}, {1, "b"}, {-INFINITY, "c"}, {-0.0, "d"}};
    kv[n++] = zset_of("k", zs, 4);
    struct kv *zk = zset_of("k", zs, 4);
    for (int i = 0; i < 130; i++) zadd(zk, i / 3.0, buf, (size_t)snprintf(buf, sizeof buf, "%d", i));
    kv[n++] = zk;
    cr_assert_eq(ql->enc, ENC_QUICKLIST);
    cr_assert_gt(((quicklist *)ql->v.ptr)->len, 1);
    cr_assert_eq(hs->enc, ENC_HASHTABLE);
    cr_assert_eq(hv->enc, ENC_HASHTABLE);
    cr_assert_eq(zk->enc, ENC_SKIPLIST);
    return n;
}

Test(rdb, payload_byte_flips_are_refused)
{
    struct kv *kv[16];
    int n = small_samples(kv);
    static const unsigned char masks[] = {0x01, 0x80, 0xFF};
    for (int i = 0; i < n; i++) {
        struct rdb_buf b = {0};
        rdb_dump_payload(&b, kv[i], true);
        cr_assert(rdb_payload_ok(b.data, b.len));
        for (size_t pos = 0; pos < b.len; pos++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                b.data[pos] ^= masks[m];
                bool bad = false;
                struct kv *back = rdb_restore_payload(b.data, b.len, &cfg, "k", 1, &bad);
                /* CRC-64 catches every change within 8 bytes, so the check
                 * alone refuses them all. */
                cr_assert_not(rdb_payload_ok(b.data, b.len), "sample %d: byte %zu ^ %#x passed the check", i, pos,
                              masks[m]);
                cr_assert_null(back);
                cr_assert(bad);
                b.data[pos] ^= masks[m];
            }
        }
        rdb_buf_free(&b);
        kv_free(kv[i]);
    }
}

/* Changed values behind a valid footer: the reader is on its own. Any
 * outcome but a crash (ASan watches) or a half-built value is fine. */
Test(rdb, payload_changed_under_a_valid_checksum)
{
    struct kv *kv[16];
    int n = small_samples(kv);
    static const unsigned char masks[] = {0x01, 0x02, 0x10, 0x40, 0x80, 0xFF};
    for (int i = 0; i < n; i++) {
        struct rdb_buf b = {0};
        rdb_put_byte(&b, rdb_value_type(kv[i]));
        rdb_put_value(&b, kv[i], true);
        size_t vlen = b.len;
        for (size_t pos = 0; pos < vlen; pos++) {
            for (size_t m = 0; m < sizeof masks; m++) {
                struct rdb_buf c = {0};
                rdb_put_bytes(&c, b.data, vlen);
                c.data[pos] ^= masks[m];
                refooter(&c, RDB_VERSION);
                bool bad = true;
                struct kv *back = rdb_restore_payload(c.data, c.len, &cfg, "k", 1, &bad);
                cr_assert_not(bad);
                if (back) {
                    cr_assert_lt(back->type, OBJ_TYPE_MAX);
                    kv_free(back);
                }
                rdb_buf_free(&c);
            }
        }
        rdb_buf_free(&b);
        kv_free(kv[i]);
    }
}

Test(rdb, payload_truncations_are_refused)
{
    struct kv *kv[16];
    int n = small_samples(kv);
    for (int i = 0; i < n; i++) {
        struct rdb_buf b = {0};
        rdb_dump_payload(&b, kv[i], true);
        for (size_t len = 0; len < b.len; len++) {
            /* Copied to an exact-size buffer so ASan sees any read past it. */
            unsigned char *p = malloc(len ? len : 1);
            memcpy(p, b.data, len);
            bool bad = false;
            cr_assert_null(rdb_restore_payload(p, len, &cfg, "k", 1, &bad), "sample %d cut at %zu", i, len);
            cr_assert(bad);
            cr_assert_not(rdb_payload_ok(p, len));
            free(p);
        }
        /* The value cut short behind a footer that fits it: the checksum
         * passes, the value does not. */
        size_t vlen = b.len - 10;
        for (size_t len = 0; len < vlen; len++) {
            struct rdb_buf c = {0};
            rdb_put_bytes(&c, b.data, len);
            refooter(&c, RDB_VERSION);
            bool bad = true;
            cr_assert_null(rdb_restore_payload(c.data, c.len, &cfg, "k", 1, &bad), "sample %d value cut at %zu", i,
                           len);
            cr_assert_not(bad, "sample %d value cut at %zu", i, len);
            rdb_buf_free(&c);
        }
        rdb_buf_free(&b);
        kv_free(kv[i]);
    }
}

Test(rdb, payload_versions)
{
    struct kv *kv = strz("k", "bar");
    struct rdb_buf b = {0};
    rdb_dump_payload(&b, kv, true);
    size_t vlen = b.len - 10;
    static const struct {
        unsigned version;
        bool ok;
    } cases[] = {{RDB_VERSION, true}, {9, true}, {1, true}, {0, true}, {11, false}, {12, false},
                 {0x0100 | RDB_VERSION, false}, {0xFFFF, false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rdb_buf c = {0};
        rdb_put_bytes(&c, b.data, vlen);
        refooter(&c, cases[i].version);
        cr_assert_eq(rdb_payload_ok(c.data, c.len), cases[i].ok, "version %u", cases[i].version);
        bool bad = !cases[i].ok;
        struct kv *back = rdb_restore_payload(c.data, c.len, &cfg, "k", 1, &bad);
        cr_assert_eq(back != NULL, cases[i].ok, "version %u", cases[i].version);
        cr_assert_eq(bad, !cases[i].ok);
        if (back) {
            assert_same_value(kv, back, "old version");
            kv_free(back);
        }
        rdb_buf_free(&c);
    }
    /* A footer alone (nothing before it) and shorter inputs. */
    struct rdb_buf c = {0};
    refooter(&c, RDB_VERSION);
    bool bad = false;
    cr_assert_null(rdb_restore_payload(c.data, c.len, &cfg, "k", 1, &bad));
    cr_assert_not(bad, "a footer with nothing before it checks out but holds no value");
    rdb_buf_free(&c);
    rdb_buf_free(&b);
    kv_free(kv);
}

/* Types the payload may name that are not values, or that are refused. */
Test(rdb, payload_with_unknown_or_unsupported_types)
{
    static const unsigned char types[] = {8, 6, 7, 15, 19, 20, 100, 245, 255};
    for (size_t i = 0; i < sizeof types; i++) {
        struct rdb_buf c = {0};
        rdb_put_byte(&c, types[i]);
        rdb_put_string(&c, "bar", 3, false);
        refooter(&c, RDB_VERSION);
        bool bad = true;
        cr_assert_null(rdb_restore_payload(c.data, c.len, &cfg, "k", 1, &bad), "type %d", types[i]);
        cr_assert_not(bad);
        rdb_buf_free(&c);
    }
    struct rdb_reader r;
    rdb_reader_init(&r, "\x01\x02", 2, &cfg);
    cr_assert_null(rdb_read_object(&r, RDB_TYPE_MODULE_2, "k", 1));
    cr_assert_eq(r.error, RDB_ERR_UNSUPPORTED);
    rdb_reader_free(&r);
    /* a stream claiming a consumer group the bytes do not hold */
    rdb_reader_init(&r, "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 10, &cfg);
    cr_assert_null(rdb_read_object(&r, RDB_TYPE_STREAM_LISTPACKS_2, "k", 1));
    cr_assert_eq(r.error, RDB_ERR_CORRUPT);
    rdb_reader_free(&r);
    rdb_reader_init(&r, "\x01\x02", 2, &cfg);
    cr_assert_null(rdb_read_object(&r, RDB_TYPE_STREAM_LISTPACKS_2, "k", 1));
    cr_assert_eq(r.error, RDB_ERR_CORRUPT);
    rdb_reader_free(&r);
}

static struct kv *make_stream(int n)
{
    struct stream *s = stream_new();
    struct stream_limits lim = {4096, 7};
    for (int i = 1; i <= n; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i * 37);
        const char *fv[] = {i % 3 ? "f" : "g", v};
        size_t fl[] = {1, strlen(v)};
        struct stream_id id = {(uint64_t)i / 2, (uint64_t)i};
        stream_append(s, &id, fv, fl, 1, &lim);
    }
    struct stream_id del = {2, 4};
    cr_assert(stream_delete(s, &del));
    /* two groups, one with two consumers sharing its pending entries */
    struct stream_id last = {10, 20}, zero = {0, 0};
    struct stream_group *g = stream_group_create(s, "grp", 3, &last, 17);
    stream_group_create(s, "empty", 5, &zero, STREAM_ENTRIES_READ_INVALID);
    struct stream_consumer *a = stream_consumer_create(g, "alice", 5, 1000);
    struct stream_consumer *b = stream_consumer_create(g, "bob", 3, 2000);
    stream_consumer_create(g, "idle", 4, 3000);
    for (uint64_t i = 1; i <= 12; i++) stream_group_deliver(g, i % 2 ? a : b, &(struct stream_id){i / 2, i}, 100 + (long long)i);
    return kv_new_object("s", 1, OBJ_STREAM, ENC_STREAM, s);
}

/* A stream written and read back is the same stream; every byte changed
 * or cut is refused or read as some valid stream, never a crash. */
Test(rdb, stream_round_trip_and_corruption)
{
    struct kv *kv = make_stream(40);
    struct rdb_buf b = {0};
    rdb_put_value(&b, kv, true);
    cr_assert_eq(rdb_value_type(kv), RDB_TYPE_STREAM_LISTPACKS_2);
    struct rdb_reader r;
    rdb_reader_init(&r, b.data, b.len, &cfg);
    struct kv *back = rdb_read_object(&r, RDB_TYPE_STREAM_LISTPACKS_2, "s", 1);
    cr_assert_not_null(back, "%s", r.why ? r.why : "");
    cr_assert_eq(rdb_reader_offset(&r), b.len);
    rdb_reader_free(&r);
    const struct stream *a = kv->v.ptr, *c = back->v.ptr;
    cr_assert_eq(a->length, 39);
    cr_assert(a->length == c->length && a->entries_added == c->entries_added && a->nnodes == c->nnodes);
    cr_assert(stream_id_cmp(&a->last_id, &c->last_id) == 0 && stream_id_cmp(&a->first_id, &c->first_id) == 0);
    cr_assert(stream_id_cmp(&a->max_deleted_id, &c->max_deleted_id) == 0);
    cr_assert_eq(c->groups->n, 2);
    const struct stream_group *cg = stream_group_find(c, "grp", 3);
    cr_assert(cg && cg->entries_read == 17 && cg->pel.n == 12 && cg->nconsumers == 3);
    cr_assert_eq(stream_group_find(c, "empty", 5)->entries_read, STREAM_ENTRIES_READ_INVALID);
    const struct stream_consumer *bob = stream_consumer_find(cg, "bob", 3);
    cr_assert(bob && bob->pel.n == 6 && bob->seen_time == 2000 && bob->pel.v[0]->delivery_time == 102);
    struct rdb_buf b2 = {0};
    rdb_put_value(&b2, back, true);
    cr_assert(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0);
    rdb_buf_free(&b2);
    kv_free(back);
    struct rdb_buf plain = {0};
    rdb_put_value(&plain, kv, false);
    for (size_t i = 0; i < plain.len; i++) {
        for (int delta = 1; delta < 256; delta += 85) {
            plain.data[i] = (unsigned char)(plain.data[i] + delta);
            rdb_reader_init(&r, plain.data, plain.len, &cfg);
            struct kv *got = rdb_read_object(&r, RDB_TYPE_STREAM_LISTPACKS_2, "s", 1);
            if (got) kv_free(got);
            else cr_assert_neq(r.error, RDB_OK);
            rdb_reader_free(&r);
            plain.data[i] = (unsigned char)(plain.data[i] - delta);
        }
        rdb_reader_init(&r, plain.data, i, &cfg);
        cr_assert_null(rdb_read_object(&r, RDB_TYPE_STREAM_LISTPACKS_2, "s", 1));
        rdb_reader_free(&r);
    }
    rdb_buf_free(&plain);
    rdb_buf_free(&b);
    kv_free(kv);
}

/* Layouts Redis 7.0 still loads though it no longer writes them. */
Test(rdb, older_layouts)
{
    struct rdb_buf b = {0};
    /* RDB_TYPE_LIST: plain strings */
    rdb_put_len(&b, 3);
    rdb_put_string(&b, "a", 1, false);
    rdb_put_string(&b, "12", 2, false);
    rdb_put_string(&b, "xyz", 3, false);
    struct rdb_reader r;
    rdb_reader_init(&r, b.data, b.len, &cfg);
    struct kv *kv = rdb_read_object(&r, RDB_TYPE_LIST, "k", 1);
    cr_assert_not_null(kv);
    cr_assert(r.p == r.end);
    const char *items[] = {"a", "12", "xyz"};
    struct kv *want = list_of("k", items, 3);
    assert_same_value(want, kv, "plain list");
    kv_free(want);
    kv_free(kv);
    rdb_reader_free(&r);
    rdb_buf_free(&b);

    /* RDB_TYPE_ZSET: text scores, 253..255 for nan/inf/-inf */
    rdb_put_len(&b, 3);
    rdb_put_string(&b, "a", 1, false);
    rdb_put_byte(&b, 3);
    rdb_put_bytes(&b, "2.5", 3);
    rdb_put_string(&b, "b", 1, false);
    rdb_put_byte(&b, 254);
    rdb_put_string(&b, "c", 1, false);
    rdb_put_byte(&b, 255);
    rdb_reader_init(&r, b.data, b.len, &cfg);
    kv = rdb_read_object(&r, RDB_TYPE_ZSET, "k", 1);
    cr_assert_not_null(kv);
    cr_assert(r.p == r.end);
    const struct zm zs[] = {{2.5, "a"}, {INFINITY, "b"}, {-INFINITY, "c"}};
    want = zset_of("k", zs, 3);
    assert_same_value(want, kv, "text-score zset");
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    kv_free(want);
    kv_free(kv);
    rdb_reader_free(&r);
    rdb_buf_free(&b);

    /* a NaN score is refused */
    rdb_put_len(&b, 1);
    rdb_put_string(&b, "a", 1, false);
    rdb_put_byte(&b, 253);
    rdb_reader_init(&r, b.data, b.len, &cfg);
    cr_assert_null(rdb_read_object(&r, RDB_TYPE_ZSET, "k", 1));
    cr_assert_eq(r.error, RDB_ERR_CORRUPT);
    rdb_reader_free(&r);
    rdb_buf_free(&b);
}

/* ---- byte for byte as redis-server 7.0.15 DUMPs (rdbcompression yes) ---- */

static void assert_bytes(const unsigned char *got, size_t glen, const char *want, size_t wlen, const char *what)
{
    if (glen == wlen && memcmp(got, want, wlen) == 0) return;
    char hex[1024] = "";
    size_t o = 0;
    for (size_t i = 0; i < glen && o + 5 < sizeof hex; i++)
        o += (size_t)snprintf(hex + o, sizeof hex - o, "\\x%02x", got[i]);
    size_t at = 0;
    while (at < glen && at < wlen && got[at] == (unsigned char)want[at]) at++;
    cr_assert_fail("%s: %zu bytes, want %zu; first difference at %zu; got \"%s\"", what, glen, wlen, at, hex);
}

#define ASSERT_DUMP(val, lit)                                                                              \
    do {                                                                                                   \
        struct kv *k_ = (val);                                                                              \
        struct rdb_buf b_ = {0};                                                                           \
        rdb_dump_payload(&b_, k_, true);                                                                   \
        assert_bytes(b_.data, b_.len, lit, sizeof(lit) - 1, #val);                                          \
        bool bad_;                                                                                         \
        struct kv *back_ = rdb_restore_payload((const unsigned char *)(lit), sizeof(lit) - 1, &cfg, "k", 1, \
                                               &bad_);                                                     \
        cr_assert_not_null(back_, "%s: Redis's payload does not restore", #val);                            \
        assert_same_value(k_, back_, #val);                                                                 \
        cr_assert_eq(back_->enc, k_->enc, "%s", #val);                                                      \
        kv_free(back_);                                                                                    \
        rdb_buf_free(&b_);                                                                                 \
        kv_free(k_);                                                                                       \
    } while (0)

Test(rdb, dump_matches_redis_7_0)
{
    char buf[128];
    /* SET foo bar */
    ASSERT_DUMP(strz("foo", "bar"), "\x00\x03\x62\x61\x72\x0a\x00\xe6\xbe\x49\x60\xee\x66\xfd\x17");
    /* SET i 12345 */
    ASSERT_DUMP(strz("i", "12345"), "\x00\xc1\x39\x30\x0a\x00\x9d\x94\xea\x27\x93\xfc\x08\xb9");
    /* SET n -1 */
    ASSERT_DUMP(strz("n", "-1"), "\x00\xc0\xff\x0a\x00\x0c\x93\x7e\x24\x85\x08\x9d\xc5");
    /* SET ll 9223372036854775807: an int in memory, digits in the payload */
    ASSERT_DUMP(strz("ll", "9223372036854775807"),
                "\x00\x13\x39\x32\x32\x33\x33\x37\x32\x30\x33\x36\x38\x35\x34\x37\x37\x35\x38\x30\x37\x0a\x00\x3a"
                "\x65\x7e\x94\x81\xe8\x5f\x22");
    /* SET big xxx...(100): LZF */
    memset(buf, 'x', 100);
    ASSERT_DUMP(str("big", buf, 100),
                "\x00\xc3\x09\x40\x64\x01\x78\x78\xe0\x57\x00\x01\x78\x78\x0a\x00\x5d\xb7\xf6\x63\xbb\x08\x62\x5f");
    /* SET s70 yyy...(70) */
    memset(buf, 'y', 70);
    ASSERT_DUMP(str("s70", buf, 70),
                "\x00\xc3\x09\x40\x46\x01\x79\x79\xe0\x39\x00\x01\x79\x79\x0a\x00\xe1\x23\x45\xb3\x6b\x1a\x39\x45");
    /* RPUSH l a b 1 2 */
    const char *l[] = {"a", "b", "1", "2"};
    ASSERT_DUMP(list_of("l", l, 4),
                "\x12\x01\x02\x11\x11\x00\x00\x00\x04\x00\x81\x61\x02\x81\x62\x02\x01\x01\x02\x01\xff\x0a\x00\x6d"
                "\x72\x71\x3e\x9b\x43\x48\x2b");
    /* RPUSH l2 hello -100 70000 xxx...(70): a compressed listpack node */
    memset(buf, 'x', 70);
    buf[70] = '\0';
    const char *l2[] = {"hello", "-100", "70000", buf};
    ASSERT_DUMP(list_of("l2", l2, 4),
                "\x12\x01\x02\xc3\x1f\x40\x5f\x17\x5f\x00\x00\x00\x04\x00\x85\x68\x65\x6c\x6c\x6f\x06\xdf\x9c\x02"
                "\xf2\x70\x11\x01\x04\xe0\x46\x78\xe0\x3c\x00\x01\x48\xff\x0a\x00\x65\xe8\x7f\x92\xd8\xd2\x4f\xf7");
    /* SADD is 1 2 3 -5 100000 */
    const char *is[] = {"1", "2", "3", "-5", "100000"};
    ASSERT_DUMP(set_of("is", is, 5),
                "\x0b\x1c\x04\x00\x00\x00\x05\x00\x00\x00\xfb\xff\xff\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00"
                "\x00\x00\xa0\x86\x01\x00\x0a\x00\xd3\x65\xf8\xd8\xaf\x87\x52\xac");
    /* HSET h f1 v1 f2 2 */
    const char *h[] = {"f1", "v1", "f2", "2"};
    ASSERT_DUMP(hash_of("h", h, 2),
                "\x10\x15\x15\x00\x00\x00\x04\x00\x82\x66\x31\x03\x82\x76\x31\x03\x82\x66\x32\x03\x02\x01\xff\x0a"
                "\x00\x5c\x5e\xa8\x13\xfe\xec\x1f\xf5");
    /* HSET hb aaa...(30) bbb...(30) n -70000: a compressed listpack */
    char a30[31], b30[31];
    memset(a30, 'a', 30);
    memset(b30, 'b', 30);
    a30[30] = b30[30] = '\0';
    const char *hb[] = {a30, b30, "n", "-70000"};
    ASSERT_DUMP(hash_of("hb", hb, 2),
                "\x10\xc3\x1e\x40\x4f\x07\x4f\x00\x00\x00\x04\x00\x9e\x61\xe0\x14\x00\x02\x1f\x9e\x62\xe0\x14\x00"
                "\x09\x1f\x81\x6e\x02\xf2\x90\xee\xfe\x04\xff\x0a\x00\x12\x51\x37\x1f\x20\x55\x7b\x22");
    /* ZADD z 2.5 a 1 b -3 c */
    const struct zm z[] = {{2.5, "a"}, {1, "b"}, {-3, "c"}};
    ASSERT_DUMP(zset_of("z", z, 3),
                "\x11\x1a\x1a\x00\x00\x00\x06\x00\x81\x63\x02\xdf\xfd\x02\x81\x62\x02\x01\x01\x81\x61\x02\x83\x32"
                "\x2e\x35\x04\xff\x0a\x00\xd7\xaa\x0f\xf4\xa8\xfc\xfc\xe2");
    /* ZADD zj inf p -inf m 0.1 t 3 three */
    const struct zm zj[] = {{INFINITY, "p"}, {-INFINITY, "m"}, {0.1, "t"}, {3, "three"}};
    ASSERT_DUMP(zset_of("zj", zj, 4),
                "\x11\xc3\x30\x39\x16\x39\x00\x00\x00\x08\x00\x81\x6d\x02\x84\x2d\x69\x6e\x66\x05\x81\x74\x02\x93"
                "\x30\x2e\x31\x30\xe0\x05\x00\x0e\x31\x14\x85\x74\x68\x72\x65\x65\x06\x03\x01\x81\x70\x02\x83\x20"
                "\x28\x01\x04\xff\x0a\x00\xb9\x5f\x2a\x63\x83\x14\x20\xdd");
}

/* ---- rdb_put_string / rdb_put_len ---------------------------------------- */

static void assert_put_string(const char *s, size_t len, bool compress, const char *want, size_t wlen)
{
    struct rdb_buf b = {0};
    rdb_put_string(&b, s, len, compress);
    char what[96];
    snprintf(what, sizeof what, "rdb_put_string(\"%.*s\")", (int)(len < 40 ? len : 40), s);
    assert_bytes(b.data, b.len, want, wlen, what);
    /* and it reads back as the same bytes */
    struct rdb_reader r;
    rdb_reader_init(&r, b.data, b.len, &cfg);
    const unsigned char *out;
    size_t olen;
    cr_assert(rdb_read_string(&r, 1, &out, &olen), "%s", what);
    cr_assert(bytes_eq(out, olen, s, len), "%s reads back differently", what);
    cr_assert(r.p == r.end);
    rdb_reader_free(&r);
    rdb_buf_free(&b);
}

#define PUT_STRING(s, want) assert_put_string(s, sizeof(s) - 1, false, want, sizeof(want) - 1)

Test(rdb, put_string_encodings)
{
    /* integers that fit 8, 16 or 32 bits */
    PUT_STRING("0", "\xc0\x00");
    PUT_STRING("-1", "\xc0\xff");
    PUT_STRING("127", "\xc0\x7f");
    PUT_STRING("-128", "\xc0\x80");
    PUT_STRING("128", "\xc1\x80\x00");
    PUT_STRING("-129", "\xc1\x7f\xff");
    PUT_STRING("32767", "\xc1\xff\x7f");
    PUT_STRING("-32768", "\xc1\x00\x80");
    PUT_STRING("32768", "\xc2\x00\x80\x00\x00");
    PUT_STRING("2147483647", "\xc2\xff\xff\xff\x7f");
    PUT_STRING("-2147483648", "\xc2\x00\x00\x00\x80");
    /* integers past 32 bits, and strings that only look like integers */
    PUT_STRING("2147483648", "\x0a" "2147483648");
    PUT_STRING("-2147483649", "\x0b" "-2147483649");
    PUT_STRING("12345678901", "\x0b" "12345678901");
    PUT_STRING("007", "\x03" "007");
    PUT_STRING(" 1", "\x02" " 1");
    PUT_STRING("1 ", "\x02" "1 ");
    PUT_STRING("+1", "\x02" "+1");
    PUT_STRING("-0", "\x02" "-0");
    PUT_STRING("00", "\x02" "00");
    PUT_STRING("1.0", "\x03" "1.0");
    PUT_STRING("", "\x00");
    PUT_STRING("abc", "\x03" "abc");
    assert_put_string("1\0", 2, false, "\x02" "1\0", 3);

    /* LZF: more than 20 bytes that compress, and only when asked */
    char s[64];
    memset(s, 'a', sizeof s);
    struct rdb_buf b = {0};
    rdb_put_string(&b, s, 21, true);
    cr_assert_eq(b.data[0], 0xC3, "21 compressible bytes with compress: LZF");
    cr_assert_eq(b.data[2], 21, "the uncompressed length follows the compressed one");
    cr_assert_lt(b.len, 1 + 21);
    rdb_buf_free(&b);
    assert_put_string(s, 21, false, "\x15" "aaaaaaaaaaaaaaaaaaaaa", 22);
    rdb_put_string(&b, s, 20, true);
    cr_assert_eq(b.len, 21, "20 bytes are never compressed");
    cr_assert_eq(b.data[0], 20);
    rdb_buf_free(&b);
    for (size_t len = 21; len <= sizeof s; len++) {
        rdb_put_string(&b, s, len, true);
        cr_assert_eq(b.data[0], 0xC3, "%zu bytes", len);
        struct rdb_reader r;
        rdb_reader_init(&r, b.data, b.len, &cfg);
        const unsigned char *out;
        size_t olen;
        cr_assert(rdb_read_string(&r, 0, &out, &olen));
        cr_assert(bytes_eq(out, olen, s, len));
        cr_assert(r.p == r.end);
        rdb_reader_free(&r);
        rdb_buf_free(&b);
    }
    /* incompressible: as they are, even with compress */
    random_bytes(s, sizeof s);
    rdb_put_string(&b, s, sizeof s, true);
    cr_assert_eq(b.len, 2 + sizeof s);
    cr_assert_eq(b.data[0], 0x40);
    cr_assert_eq(b.data[1], 64);
    cr_assert(memcmp(b.data + 2, s, sizeof s) == 0);
    rdb_buf_free(&b);
    /* an integer stays an integer even with compress */
    rdb_put_string(&b, "123456", 6, true);
    cr_assert_eq(b.data[0], 0xC2);
    rdb_buf_free(&b);
}

Test(rdb, put_len_encodings)
{
    static const struct {
        uint64_t len;
        const char *want;
        size_t wlen;
    } cases[] = {
        {0, "\x00", 1},
        {63, "\x3f", 1},
        {64, "\x40\x40", 2},
        {300, "\x41\x2c", 2},
        {16383, "\x7f\xff", 2},
        {16384, "\x80\x00\x00\x40\x00", 5},
        {UINT32_MAX, "\x80\xff\xff\xff\xff", 5},
        {(uint64_t)UINT32_MAX + 1, "\x81\x00\x00\x00\x01\x00\x00\x00\x00", 9},
        {UINT64_MAX, "\x81\xff\xff\xff\xff\xff\xff\xff\xff", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rdb_buf b = {0};
        rdb_put_len(&b, cases[i].len);
        assert_bytes(b.data, b.len, cases[i].want, cases[i].wlen, "rdb_put_len");
        struct rdb_reader r;
        rdb_reader_init(&r, b.data, b.len, &cfg);
        uint64_t v;
        cr_assert(rdb_read_len(&r, &v));
        cr_assert_eq(v, cases[i].len);
        cr_assert(r.p == r.end);
        /* every truncation fails */
        for (size_t n = 0; n < b.len; n++) {
            rdb_reader_init(&r, b.data, n, &cfg);
            cr_assert_not(rdb_read_len(&r, &v));
            cr_assert_eq(r.error, RDB_ERR_CORRUPT);
        }
        rdb_buf_free(&b);
    }
    /* an encoded string where a length belongs */
    struct rdb_reader r;
    rdb_reader_init(&r, "\xc0\x01", 2, &cfg);
    uint64_t v;
    cr_assert_not(rdb_read_len(&r, &v));
    cr_assert_eq(r.error, RDB_ERR_CORRUPT);
}

/* ---- whole images --------------------------------------------------------- */

struct got {
    int db;
    char key[64];
    long long expire;
    struct kv *kv;
};

struct collect {
    struct got got[64];
    int n;
    int wanted, skipped;
    bool skip_odd; /* want_key refuses keys ending in an odd digit */
    int functions;
};

static bool want_key(void *arg, int db, const char *key, size_t klen)
{
    struct collect *c = arg;
    cr_assert_eq(key[klen], '\0', "the key handed to want_key is NUL-terminated");
    (void)db;
    bool want = !(c->skip_odd && klen && (key[klen - 1] - '0') % 2 == 1);
    if (want) c->wanted++;
    else c->skipped++;
    return want;
}

static bool on_key(void *arg, int db, struct kv *kv, long long expire_ms, long long idle)
{
    struct collect *c = arg;
    (void)idle;
    cr_assert_lt(c->n, 64);
    struct got *g = &c->got[c->n++];
    g->db = db;
    snprintf(g->key, sizeof g->key, "%.*s", (int)kv->keylen, kv_key(kv));
    g->expire = expire_ms;
    g->kv = kv;
    return true;
}

static void collect_free(struct collect *c)
{
    for (int i = 0; i < c->n; i++) kv_free(c->got[i].kv);
    c->n = 0;
}

static const struct got *find_got(const struct collect *c, int db, const char *key)
{
    const struct got *found = NULL;
    for (int i = 0; i < c->n; i++) {
        if (c->got[i].db == db && strcmp(c->got[i].key, key) == 0) {
            cr_assert_null(found, "key %s in db %d twice", key, db);
            found = &c->got[i];
        }
    }
    return found;
}

static const struct rdb_walk_ops collect_ops = {.want_key = want_key, .on_key = on_key};

static void finish_image(struct rdb_buf *b)
{
    rdb_put_byte(b, RDB_OPCODE_EOF);
    rdb_put_millis(b, (long long)crc64(0, b->data, b->len));
}

/* db 0: a (string), b (hash, expires); db 3: c (list), d (zset, expires),
 * e (intset) — written with compress on. */
struct image {
    struct rdb_buf b;
    struct kv *kv[5];
    int db[5];
    long long expire[5];
};

static void build_image(struct image *im)
{
    memset(im, 0, sizeof *im);
    im->kv[0] = strz("a", "hello");
    const char *fv[] = {"f", "v", "g", "12"};
    im->kv[1] = hash_of("b", fv, 2);
    const char *l[] = {"x", "y", "3"};
    im->kv[2] = list_of("c", l, 3);
    const struct zm z[] = {{1.5, "m"}, {-INFINITY, "n"}};
    im->kv[3] = zset_of("d", z, 2);
    const char *is[] = {"7", "8"};
    im->kv[4] = set_of("e", is, 2);
    static const int dbs[] = {0, 0, 3, 3, 3};
    static const long long exp[] = {-1, 1700000000123LL, -1, 4102444800000LL, -1};
    rdb_put_header(&im->b, 123456);
    for (int i = 0; i < 5; i++) {
        im->db[i] = dbs[i];
        im->expire[i] = exp[i];
        if (i == 0 || dbs[i] != dbs[i - 1]) rdb_put_select_db(&im->b, dbs[i]);
        rdb_put_entry(&im->b, im->kv[i], exp[i], true);
    }
    finish_image(&im->b);
}

static void free_image(struct image *im)
{
    for (int i = 0; i < 5; i++) kv_free(im->kv[i]);
    rdb_buf_free(&im->b);
}

static bool walk(const unsigned char *p, size_t len, int ndbs, bool verify, struct collect *c, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    return rdb_walk(p, len, &cfg, ndbs, verify, &collect_ops, c, err, errlen);
}

Test(rdb, walk_hands_out_every_key)
{
    struct image im;
    build_image(&im);
    cr_assert(memcmp(im.b.data, "REDIS0010", 9) == 0);
    struct collect c = {0};
    char err[256];
    cr_assert(walk(im.b.data, im.b.len, 16, true, &c, err, sizeof err), "%s", err);
    cr_assert_eq(c.n, 5);
    for (int i = 0; i < 5; i++) {
        const char *key = kv_key(im.kv[i]);
        char k[8];
        snprintf(k, sizeof k, "%.*s", (int)im.kv[i]->keylen, key);
        const struct got *g = find_got(&c, im.db[i], k);
        cr_assert_not_null(g, "key %s missing from db %d", k, im.db[i]);
        cr_assert_eq(g->expire, im.expire[i], "key %s: expire %lld", k, g->expire);
        cr_assert_eq(g->kv->enc, im.kv[i]->enc, "key %s", k);
        assert_same_value(im.kv[i], g->kv, k);
        cr_assert_eq(&c.got[i], g, "keys come in file order");
    }
    collect_free(&c);

    /* ndbs 4 still holds db 3; a NULL ops set steps over every key */
    cr_assert(walk(im.b.data, im.b.len, 4, true, &c, err, sizeof err), "%s", err);
    collect_free(&c);
    const struct rdb_walk_ops none = {0};
    cr_assert(rdb_walk(im.b.data, im.b.len, &cfg, 16, true, &none, NULL, err, sizeof err), "%s", err);
    free_image(&im);
}

Test(rdb, walk_checksum)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    for (int byte = 0; byte < 8; byte++) {
        im.b.data[im.b.len - 8 + byte] ^= 0x20;
        cr_assert_not(walk(im.b.data, im.b.len, 16, true, &c, err, sizeof err), "wrong CRC byte %d passed", byte);
        cr_assert(strstr(err, "checksum") && strstr(err, "offset"), "%s", err);
        collect_free(&c);
        cr_assert(walk(im.b.data, im.b.len, 16, false, &c, err, sizeof err), "not verified: %s", err);
        cr_assert_eq(c.n, 5);
        collect_free(&c);
        im.b.data[im.b.len - 8 + byte] ^= 0x20;
    }
    /* a changed byte in the data (a value's byte: "hello" -> "hellp") */
    unsigned char *h = NULL;
    for (size_t i = 0; i + 5 <= im.b.len && !h; i++)
        if (memcmp(im.b.data + i, "hello", 5) == 0) h = im.b.data + i;
    cr_assert_not_null(h);
    h[4] = 'p';
    cr_assert_not(walk(im.b.data, im.b.len, 16, true, &c, err, sizeof err));
    collect_free(&c);
    cr_assert(walk(im.b.data, im.b.len, 16, false, &c, err, sizeof err), "%s", err);
    const struct got *g = find_got(&c, 0, "a");
    char nb[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv_string(g->kv, nb, &len);
    cr_assert(bytes_eq(s, len, "hellp", 5));
    collect_free(&c);
    h[4] = 'o';
    /* a checksum of zero: the writer had rdbchecksum off */
    memset(im.b.data + im.b.len - 8, 0, 8);
    cr_assert(walk(im.b.data, im.b.len, 16, true, &c, err, sizeof err), "%s", err);
    collect_free(&c);
    free_image(&im);
}

Test(rdb, walk_refuses_a_database_beyond_ndbs)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    cr_assert_not(walk(im.b.data, im.b.len, 3, true, &c, err, sizeof err), "SELECTDB 3 with 3 databases");
    cr_assert(strstr(err, "more databases") && strstr(err, "offset"), "%s", err);
    collect_free(&c);
    cr_assert_not(walk(im.b.data, im.b.len, 1, true, &c, err, sizeof err));
    collect_free(&c);

    struct rdb_buf b = {0};
    rdb_put_header(&b, 0);
    rdb_put_select_db(&b, 16);
    struct kv *kv = strz("k", "v");
    rdb_put_entry(&b, kv, -1, false);
    finish_image(&b);
    cr_assert_not(walk(b.data, b.len, 16, true, &c, err, sizeof err));
    cr_assert_eq(c.n, 0);
    cr_assert(walk(b.data, b.len, 17, true, &c, err, sizeof err), "%s", err);
    cr_assert_eq(c.n, 1);
    cr_assert_eq(c.got[0].db, 16);
    collect_free(&c);
    rdb_buf_free(&b);
    kv_free(kv);
    free_image(&im);
}

Test(rdb, walk_refuses_trailing_data)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    for (int extra = 1; extra <= 9; extra++) {
        struct rdb_buf b = {0};
        rdb_put_bytes(&b, im.b.data, im.b.len);
        for (int i = 0; i < extra; i++) rdb_put_byte(&b, i == 0 ? 0 : 0xFF);
        cr_assert_not(walk(b.data, b.len, 16, false, &c, err, sizeof err), "%d bytes after the checksum", extra);
        cr_assert(strstr(err, "offset"), "%s", err);
        collect_free(&c);
        rdb_buf_free(&b);
    }
    free_image(&im);
}

Test(rdb, walk_refuses_every_truncation)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    for (size_t len = 0; len < im.b.len; len++) {
        unsigned char *p = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        memcpy(p, im.b.data, len);
        for (int verify = 0; verify <= 1; verify++) {
            cr_assert_not(walk(p, len, 16, verify, &c, err, sizeof err), "image cut at %zu of %zu passed", len,
                          im.b.len);
            cr_assert(strstr(err, "at offset "), "cut at %zu: \"%s\"", len, err);
            unsigned long off = strtoul(strstr(err, "at offset ") + 10, NULL, 10);
            cr_assert_leq(off, len, "cut at %zu: \"%s\"", len, err);
            collect_free(&c);
        }
        free(p);
    }
    free_image(&im);
}

Test(rdb, walk_refuses_other_versions_and_signatures)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    im.b.data[8] = '1'; /* REDIS0011 */
    cr_assert_not(walk(im.b.data, im.b.len, 16, false, &c, err, sizeof err));
    cr_assert(strstr(err, "version 11"), "%s", err);
    im.b.data[8] = '0';
    im.b.data[0] = 'X';
    cr_assert_not(walk(im.b.data, im.b.len, 16, false, &c, err, sizeof err));
    cr_assert(strstr(err, "signature"), "%s", err);
    cr_assert_eq(c.n, 0);
    free_image(&im);
}

/* Keys the caller does not want are stepped over, whatever their type,
 * and the keys around them still come out right. */
Test(rdb, walk_skips_unwanted_keys_of_every_type)
{
    struct sample s[MAX_SAMPLES];
    int n = build_samples(s);
    for (int compress = 0; compress <= 1; compress++) {
        struct rdb_buf b = {0};
        rdb_put_header(&b, 0);
        rdb_put_aux(&b, "extra", "aux field");
        /* Each sample twice, under key "<i>0" (wanted) in db 1 and key
         * "<i>1" (skipped) in db 2, so every type is both built and skipped. */
        for (int db = 1; db <= 2; db++) {
            rdb_put_select_db(&b, db);
            for (int i = 0; i < n; i++) {
                char key[16];
                int klen = snprintf(key, sizeof key, "%02d%d", i, db - 1);
                struct kv *k = kv_dup(s[i].kv, key, (size_t)klen);
                rdb_put_entry(&b, k, i % 3 == 0 ? 1000000LL * i : -1, compress);
                kv_free(k);
            }
        }
        finish_image(&b);
        struct collect c = {.skip_odd = true};
        char err[256];
        cr_assert(walk(b.data, b.len, 16, true, &c, err, sizeof err), "%s", err);
        cr_assert_eq(c.n, n);
        cr_assert_eq(c.wanted, n);
        cr_assert_eq(c.skipped, n);
        for (int i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "%02d0", i);
            const struct got *g = find_got(&c, 1, key);
            cr_assert_not_null(g, "%s", key);
            cr_assert_eq(g->expire, i % 3 == 0 ? 1000000LL * i : -1, "%s", s[i].name);
            cr_assert_eq(g->kv->enc, s[i].enc, "%s", s[i].name);
            assert_same_value(s[i].kv, g->kv, s[i].name);
        }
        collect_free(&c);
        rdb_buf_free(&b);
    }
    free_samples(s, n);
}

/* Single-byte changes anywhere in an image, not verified by checksum: any
 * outcome but a crash (ASan watches) or a leak. */
Test(rdb, walk_survives_changed_bytes)
{
    struct image im;
    build_image(&im);
    struct collect c = {0};
    char err[256];
    static const unsigned char masks[] = {0x01, 0x40, 0x80, 0xFF};
    for (size_t pos = 0; pos < im.b.len; pos++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            im.b.data[pos] ^= masks[m];
            bool ok = walk(im.b.data, im.b.len, 16, false, &c, err, sizeof err);
            if (!ok) cr_assert(strstr(err, "offset"), "byte %zu: %s", pos, err);
            collect_free(&c);
            im.b.data[pos] ^= masks[m];
        }
    }
    free_image(&im);
}

/* Collections with nothing in them: no record, RDB_ERR_EMPTY_KEY. */
Test(rdb, empty_collections)
{
    static const struct {
        int type;
        const char *bytes;
        size_t len;
        bool corrupt_too; /* Redis calls this one corrupt; either refusal is fine */
    } cases[] = {
        {RDB_TYPE_SET, "\x00", 1, false},
        {RDB_TYPE_LIST, "\x00", 1, false},
        {RDB_TYPE_LIST_QUICKLIST_2, "\x00", 1, false},
        {RDB_TYPE_HASH, "\x00", 1, false},
        {RDB_TYPE_ZSET_2, "\x00", 1, false},
        /* an empty intset: encoding 2, length 0 (Redis: integrity check failed) */
        {RDB_TYPE_SET_INTSET, "\x08\x02\x00\x00\x00\x00\x00\x00\x00", 9, true},
        /* an empty listpack: 7 bytes, 0 entries, end byte */
        {RDB_TYPE_HASH_LISTPACK, "\x07\x07\x00\x00\x00\x00\x00\xff", 8, false},
        {RDB_TYPE_ZSET_LISTPACK, "\x07\x07\x00\x00\x00\x00\x00\xff", 8, false},
        /* a quicklist whose only node is an empty listpack */
        {RDB_TYPE_LIST_QUICKLIST_2, "\x01\x02\x07\x07\x00\x00\x00\x00\x00\xff", 10, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rdb_reader r;
        rdb_reader_init(&r, cases[i].bytes, cases[i].len, &cfg);
        cr_assert_null(rdb_read_object(&r, cases[i].type, "k", 1), "case %zu", i);
        if (cases[i].corrupt_too) cr_assert_neq(r.error, RDB_OK, "case %zu", i);
        else cr_assert_eq(r.error, RDB_ERR_EMPTY_KEY, "case %zu: error %d (%s)", i, r.error, r.why ? r.why : "");
        rdb_reader_free(&r);
    }
    /* A file's empty keys are skipped (Redis's loader does the same). */
    struct rdb_buf b = {0};
    rdb_put_header(&b, 0);
    rdb_put_select_db(&b, 0);
    rdb_put_byte(&b, RDB_TYPE_SET);
    rdb_put_string(&b, "empty", 5, false);
    rdb_put_len(&b, 0);
    struct kv *kv = strz("full", "v");
    rdb_put_entry(&b, kv, -1, false);
    rdb_put_byte(&b, RDB_OPCODE_EOF);
    rdb_put_millis(&b, (long long)crc64(0, b.data, b.len));
    struct collect c = {0};
    char err[256] = "";
    cr_assert(rdb_walk(b.data, b.len, &cfg, 16, true, &collect_ops, &c, err, sizeof err), "%s", err);
    cr_assert_eq(c.n, 1);
    cr_assert_str_eq(c.got[0].key, "full");
    collect_free(&c);
    kv_free(kv);
    rdb_buf_free(&b);
}

/* A skiplist sorted set is written from the highest score down, as Redis
 * 7.0 writes it (so loading inserts each member at the head). */
Test(rdb, skiplist_zset_written_from_the_top)
{
    char buf[32];
    struct kv *kv = zset_create_for("z", 1, &cfg, 2);
    for (int i = 0; i < 300; i++)
        zadd(kv, (i * 7919 % 300) / 4.0 - 20, buf, (size_t)snprintf(buf, sizeof buf, "m%d", i));
    zadd(kv, INFINITY, "top", 3);
    zadd(kv, -INFINITY, "bottom", 6);
    cr_assert_eq(kv->enc, ENC_SKIPLIST);
    struct rdb_buf b = {0};
    rdb_put_value(&b, kv, false);
    struct rdb_reader r;
    rdb_reader_init(&r, b.data, b.len, &cfg);
    uint64_t n;
    cr_assert(rdb_read_len(&r, &n));
    cr_assert_eq(n, 302);
    double prev = INFINITY;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *m;
        size_t mlen;
        cr_assert(rdb_read_string(&r, 0, &m, &mlen));
        if (i == 0) cr_assert(bytes_eq(m, mlen, "top", 3));
        if (i == n - 1) cr_assert(bytes_eq(m, mlen, "bottom", 6));
        double d;
        cr_assert_geq(r.end - r.p, 8);
        memcpy(&d, r.p, 8); /* little endian binary double */
        r.p += 8;
        cr_assert_leq(d, prev, "member %llu: %g after %g", (unsigned long long)i, d, prev);
        prev = d;
    }
    cr_assert(r.p == r.end);
    rdb_reader_free(&r);
    rdb_buf_free(&b);
    kv_free(kv);
}
