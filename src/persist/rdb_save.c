/* rdb_save.c — writing values, keys and file sections in RDB version 10
 * (see rdb.h). The layouts follow Redis 7.0's rdb.c byte for byte: what
 * redis-server writes for a value is what this writes for it. */
#include "ringkv/persist/rdb.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/crc64.h"
#include "ringkv/base/util.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/intset.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/quicklist.h"
#include "ringkv/data/set.h"
#include "ringkv/data/zset.h"

#include <liblzf/lzf.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { RDB_ENC_INT8 = 0, RDB_ENC_INT16 = 1, RDB_ENC_INT32 = 2, RDB_ENC_LZF = 3 };
enum { QUICKLIST_NODE_PACKED = 2 };

void rdb_buf_free(struct rdb_buf *b)
{
    rk_free(b->data);
    *b = (struct rdb_buf){0};
}

static unsigned char *reserve(struct rdb_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) cap *= 2;
        b->data = rk_realloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void rdb_put_bytes(struct rdb_buf *b, const void *p, size_t n)
{
    if (n == 0) return;
    memcpy(reserve(b, n), p, n);
    b->len += n;
}

void rdb_put_byte(struct rdb_buf *b, unsigned char c) { rdb_put_bytes(b, &c, 1); }

void rdb_put_len(struct rdb_buf *b, uint64_t len)
{
    unsigned char buf[9];
    size_t n;
    if (len < (1 << 6)) {
        buf[0] = (unsigned char)len;
        n = 1;
    } else if (len < (1 << 14)) {
        buf[0] = (unsigned char)(((len >> 8) & 0xFF) | 0x40);
        buf[1] = (unsigned char)(len & 0xFF);
        n = 2;
    } else if (len <= UINT32_MAX) {
        buf[0] = 0x80;
        for (int i = 0; i < 4; i++) buf[1 + i] = (unsigned char)(len >> (24 - 8 * i)); /* big endian */
        n = 5;
    } else {
        buf[0] = 0x81;
        for (int i = 0; i < 8; i++) buf[1 + i] = (unsigned char)(len >> (56 - 8 * i));
        n = 9;
    }
    rdb_put_bytes(b, buf, n);
}

/* rdbEncodeInteger: an integer that fits 32 bits in 2..5 bytes. */
static bool put_int_encoded(struct rdb_buf *b, long long v)
{
    unsigned char buf[5];
    size_t n;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        buf[0] = (3 << 6) | RDB_ENC_INT8;
        buf[1] = (unsigned char)(v & 0xFF);
        n = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        buf[0] = (3 << 6) | RDB_ENC_INT16;
        buf[1] = (unsigned char)(v & 0xFF);
        buf[2] = (unsigned char)((v >> 8) & 0xFF);
        n = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        buf[0] = (3 << 6) | RDB_ENC_INT32;
        for (int i = 0; i < 4; i++) buf[1 + i] = (unsigned char)((v >> (8 * i)) & 0xFF);
        n = 5;
    } else {
        return false;
    }
    rdb_put_bytes(b, buf, n);
    return true;
}

/* rdbSaveLzfStringObject: worth it only when it saves at least 4 bytes. */
static bool put_lzf(struct rdb_buf *b, const void *s, size_t len)
{
    if (len <= 4 || len > UINT_MAX) return false;
    size_t outlen = len - 4;
    unsigned char *out = rk_malloc(outlen + 1);
    unsigned comprlen = lzf_compress(s, (unsigned)len, out, (unsigned)outlen);
    if (comprlen == 0) {
        rk_free(out);
        return false;
    }
    rdb_put_byte(b, (3 << 6) | RDB_ENC_LZF);
    rdb_put_len(b, comprlen);
    rdb_put_len(b, len);
    rdb_put_bytes(b, out, comprlen);
    rk_free(out);
    return true;
}

void rdb_put_string(struct rdb_buf *b, const void *s, size_t len, bool compress)
{
    long long v;
    if (len <= 11 && string2ll(s, len, &v) && put_int_encoded(b, v)) return;
    if (compress && len > 20 && put_lzf(b, s, len)) return;
    rdb_put_len(b, len);
    rdb_put_bytes(b, s, len);
}

void rdb_put_millis(struct rdb_buf *b, long long ms)
{
    unsigned char buf[8];
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(((uint64_t)ms >> (8 * i)) & 0xFF);
    rdb_put_bytes(b, buf, 8);
}

static void put_double(struct rdb_buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    unsigned char buf[8];
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((bits >> (8 * i)) & 0xFF);
    rdb_put_bytes(b, buf, 8);
}

unsigned char rdb_value_type(const struct kv *kv)
{
    switch (kv->type) {
    case OBJ_STRING: return RDB_TYPE_STRING;
    case OBJ_LIST: return RDB_TYPE_LIST_QUICKLIST_2;
    case OBJ_SET: return kv->enc == ENC_INTSET ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case OBJ_ZSET: return kv->enc == ENC_LISTPACK ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case OBJ_STREAM: return RDB_TYPE_STREAM_LISTPACKS_2;
    default: return kv->enc == ENC_LISTPACK ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    }
}

static void put_string_value(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    if (kv->enc == ENC_INT) {
        if (put_int_encoded(b, kv->v.i)) return;
        char buf[RK_LONG_STR_SIZE];
        size_t n = ll2string(buf, kv->v.i);
        rdb_put_len(b, n);
        rdb_put_bytes(b, buf, n);
        return;
    }
    char numbuf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv_string(kv, numbuf, &len);
    rdb_put_string(b, s, len, compress);
}

/* A compressed quicklist node as it is (rdbSaveLzfBlob): an LZF string
 * whatever rdbcompression says, as Redis writes it. */
static void put_lzf_blob(struct rdb_buf *b, const quicklist_node *n)
{
    const quicklist_lzf *z = (const quicklist_lzf *)n->lp;
    rdb_put_byte(b, (3 << 6) | RDB_ENC_LZF);
    rdb_put_len(b, z->sz);
    rdb_put_len(b, n->sz);
    rdb_put_bytes(b, z->data, z->sz);
}

/* Quicklist 2: every node as a packed listpack (a small list, kept as a
 * bare listpack here, is a one-node quicklist), compressed nodes in
 * their LZF form. */
static void put_list(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        rdb_put_len(b, 1);
        rdb_put_len(b, QUICKLIST_NODE_PACKED);
        rdb_put_string(b, lp, lp_bytes(lp), compress);
        return;
    }
    const quicklist *ql = kv->v.ptr;
    rdb_put_len(b, ql->len);
    for (const quicklist_node *n = ql->head; n; n = n->next) {
        rdb_put_len(b, QUICKLIST_NODE_PACKED);
        if (n->compressed) put_lzf_blob(b, n);
        else rdb_put_string(b, n->lp, n->sz, compress);
    }
}

static void put_set(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    if (kv->enc == ENC_INTSET) {
        rdb_put_string(b, kv->v.ptr, intset_bytes(kv->v.ptr), compress);
        return;
    }
    rdb_put_len(b, set_size(kv));
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, (struct kv *)kv);
    while (set_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *s = set_elem_str(&e, buf, &len);
        rdb_put_string(b, s, len, compress);
    }
    set_iter_done(&it);
}

/* A skiplist from the tail, as Redis does, so that loading it inserts at
 * the head each time. */
static void put_zset(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        rdb_put_string(b, lp, lp_bytes(lp), compress);
        return;
    }
    rdb_put_len(b, zset_length(kv));
    struct zset_iter it;
    struct zset_elem e;
    zset_iter_rank(&it, (struct kv *)kv, 0, true);
    while (zset_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *m = zset_elem_str(&e, buf, &len);
        rdb_put_string(b, m, len, compress);
        put_double(b, e.score);
    }
}

struct hash_put {
    struct rdb_buf *b;
    bool compress;
};

static void put_hash_field(const lp_value *field, const lp_value *value, void *arg)
{
    struct hash_put *hp = arg;
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = hashval_str(field, buf, &len);
    rdb_put_string(hp->b, s, len, hp->compress);
    s = hashval_str(value, buf, &len);
    rdb_put_string(hp->b, s, len, hp->compress);
}

static void put_hash(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        rdb_put_string(b, lp, lp_bytes(lp), compress);
        return;
    }
    rdb_put_len(b, hashval_len(kv));
    struct hash_put hp = {b, compress};
    hashval_foreach((struct kv *)kv, put_hash_field, &hp);
}

void rdb_put_value(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    switch (kv->type) {
    case OBJ_STRING: put_string_value(b, kv, compress); break;
    case OBJ_LIST: put_list(b, kv, compress); break;
    case OBJ_SET: put_set(b, kv, compress); break;
    case OBJ_ZSET: put_zset(b, kv, compress); break;
    case OBJ_STREAM: rdb_put_stream(b, kv, compress); break;
    default: put_hash(b, kv, compress); break;
    }
}

void rdb_put_entry(struct rdb_buf *b, const struct kv *kv, long long expire_ms, bool compress)
{
    if (expire_ms >= 0) {
        rdb_put_byte(b, RDB_OPCODE_EXPIRETIME_MS);
        rdb_put_millis(b, expire_ms);
    }
    rdb_put_byte(b, rdb_value_type(kv));
    rdb_put_string(b, kv_key(kv), kv->keylen, compress);
    rdb_put_value(b, kv, compress);
}

void rdb_put_aux(struct rdb_buf *b, const char *key, const char *val)
{
    rdb_put_byte(b, RDB_OPCODE_AUX);
    rdb_put_string(b, key, strlen(key), false);
    rdb_put_string(b, val, strlen(val), false);
}

void rdb_put_header(struct rdb_buf *b, size_t used_mem)
{
    char magic[16];
    snprintf(magic, sizeof magic, "REDIS%04d", RDB_VERSION);
    rdb_put_bytes(b, magic, 9);
    char num[32];
    /* The format's level, which tools read to know what to expect. */
    rdb_put_aux(b, "redis-ver", "7.0.15");
    rdb_put_aux(b, "ringkv-ver", RINGKV_VERSION);
    snprintf(num, sizeof num, "%d", (int)(sizeof(void *) * 8));
    rdb_put_aux(b, "redis-bits", num);
    snprintf(num, sizeof num, "%lld", (long long)time(NULL));
    rdb_put_aux(b, "ctime", num);
    snprintf(num, sizeof num, "%zu", used_mem);
    rdb_put_aux(b, "used-mem", num);
    rdb_put_aux(b, "aof-base", "0");
}

void rdb_put_select_db(struct rdb_buf *b, int db)
{
    rdb_put_byte(b, RDB_OPCODE_SELECTDB);
    rdb_put_len(b, (uint64_t)db);
}

void rdb_put_function(struct rdb_buf *b, const char *code, size_t len, bool compress)
{
    rdb_put_byte(b, RDB_OPCODE_FUNCTION2);
    rdb_put_string(b, code, len, compress);
}

void rdb_payload_finish(struct rdb_buf *b)
{
    unsigned char ver[2] = {RDB_VERSION & 0xFF, (RDB_VERSION >> 8) & 0xFF};
    rdb_put_bytes(b, ver, 2);
    rdb_put_millis(b, (long long)crc64(0, b->data, b->len)); /* 8 bytes little endian */
}

void rdb_dump_payload(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    rdb_put_byte(b, rdb_value_type(kv));
    rdb_put_value(b, kv, compress);
    rdb_payload_finish(b);
}

bool rdb_payload_ok(const unsigned char *p, size_t len)
{
    if (len < 10) return false;
    const unsigned char *footer = p + len - 10;
    unsigned version = (unsigned)footer[0] | (unsigned)footer[1] << 8;
    if (version > RDB_VERSION) return false;
    uint64_t crc = crc64(0, p, len - 8), stored = 0;
    for (int i = 0; i < 8; i++) stored |= (uint64_t)footer[2 + i] << (8 * i);
    return crc == stored;
}
