/* object.c — key/value records; see object.h. Single-threaded per record,
 * except the type registry, written once at startup before shards run. */
#include "ringkv/data/object.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/set.h"
#include "ringkv/data/stream.h"
#include "ringkv/data/zset.h"
#include "ringkv/base/util.h"
#include "ringkv/base/random.h"
#include <stdint.h>

#include <string.h>
#include <time.h>

static const struct obj_type_ops *type_ops[OBJ_TYPE_MAX];

void obj_register_type(enum obj_type type, const struct obj_type_ops *ops) { type_ops[type] = ops; }

void obj_types_setup(void)
{
    /* Each collection type module adds its line here. */
    obj_register_type(OBJ_LIST, &listval_type_ops);
    obj_register_type(OBJ_SET, &set_type_ops);
    obj_register_type(OBJ_ZSET, &zset_type_ops);
    obj_register_type(OBJ_HASH, &hashval_type_ops);
    obj_register_type(OBJ_STREAM, &stream_type_ops);
}
const struct obj_type_ops *obj_type_ops(enum obj_type type) { return type_ops[type]; }

const char *obj_type_name(enum obj_type type)
{
    static const char *names[OBJ_TYPE_MAX] = {"string", "list", "set", "zset", "hash", [OBJ_STREAM] = "stream"};
    return type < OBJ_TYPE_MAX && names[type] ? names[type] : "unknown";
}

const char *obj_encoding_name(enum obj_encoding enc)
{
    static const char *names[ENC_MAX] = {
        [ENC_RAW] = "raw", [ENC_INT] = "int", [ENC_HASHTABLE] = "hashtable", [3] = "zipmap",
        [4] = "linkedlist", [5] = "ziplist", [ENC_INTSET] = "intset", [ENC_SKIPLIST] = "skiplist",
        [ENC_EMBSTR] = "embstr", [ENC_QUICKLIST] = "quicklist", [ENC_STREAM] = "stream",
        [ENC_LISTPACK] = "listpack",
    };
    return enc < ENC_MAX && names[enc] ? names[enc] : "unknown";
}

const char *kv_encoding_name(const struct kv *kv)
{
    if (kv->type == OBJ_LIST) return "quicklist";
    if (kv->type == OBJ_SET && kv->enc == ENC_LISTPACK) return "hashtable";
    return obj_encoding_name(kv->enc);
}

uint32_t obj_lru_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint32_t)ts.tv_sec & ((1u << OBJ_LRU_BITS) - 1);
}

void kv_set_idle(struct kv *kv, long long seconds)
{
    const uint32_t mask = (1u << OBJ_LRU_BITS) - 1;
    kv->lru = (obj_lru_clock() - (uint32_t)((unsigned long long)seconds & mask)) & mask;
}

long long kv_idle_seconds(const struct kv *kv)
{
    uint32_t now = obj_lru_clock();
    uint32_t then = kv->lru;
    return now >= then ? now - then : (1u << OBJ_LRU_BITS) - then + now;
}

#define LFU_MINUTE_BITS (OBJ_LRU_BITS - 8)
#define LFU_MINUTE_MASK ((1u << LFU_MINUTE_BITS) - 1)

static uint32_t lfu_minutes(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint32_t)(ts.tv_sec / 60) & LFU_MINUTE_MASK;
}

void kv_lfu_init(struct kv *kv) { kv_lfu_set(kv, LFU_INIT_VAL); }

void kv_lfu_set(struct kv *kv, unsigned counter) { kv->lru = lfu_minutes() << 8 | (counter & 0xFF); }

/* Redis's LFUDecrAndReturn. */
unsigned kv_lfu_counter(const struct kv *kv, long long decay_minutes)
{
    uint32_t then = kv->lru >> 8, now = lfu_minutes();
    unsigned counter = kv->lru & 0xFF;
    uint32_t elapsed = now >= then ? now - then : LFU_MINUTE_MASK + 1 - then + now;
    long long periods = decay_minutes ? elapsed / decay_minutes : 0;
    return periods > counter ? 0 : counter - (unsigned)periods;
}

/* Redis's LFULogIncr: the busier a key already is, the less likely one
 * more access moves its counter. */
void kv_lfu_touch(struct kv *kv, long long log_factor, long long decay_minutes)
{
    unsigned counter = kv_lfu_counter(kv, decay_minutes);
    if (counter < 255) {
        double r = (double)rk_random64() / (double)UINT64_MAX;
        double base = counter > LFU_INIT_VAL ? (double)(counter - LFU_INIT_VAL) : 0;
        if (r < 1.0 / (base * (double)log_factor + 1)) counter++;
    }
    kv->lru = lfu_minutes() << 8 | counter;
}

static struct kv *kv_alloc(const char *key, size_t klen, size_t extra, enum obj_type type, enum obj_encoding enc)
{
    size_t header = enc == ENC_EMBSTR ? KV_HEADER_EMBSTR : KV_HEADER;
    struct kv *kv = rk_malloc(header + klen + extra);
    kv->node.next = NULL;
    kv->keylen = klen;
    kv->type = type;
    kv->enc = enc;
    kv->expires = 0;
    kv->embstr_len = 0;
    kv->lru = obj_lru_clock();
    kv->snap = 0;
    memcpy(kv_key_mut(kv), key, klen);
    return kv;
}

struct kv *kv_new_int(const char *key, size_t klen, long long v)
{
    struct kv *kv = kv_alloc(key, klen, 0, OBJ_STRING, ENC_INT);
    kv->v.i = v;
    return kv;
}

struct kv *kv_new_raw(const char *key, size_t klen, const char *val, size_t len, size_t cap)
{
    struct kv *kv = kv_alloc(key, klen, 0, OBJ_STRING, ENC_RAW);
    if (cap < len) cap = len;
    kv->v.str = rk_malloc(sizeof(struct rstr) + cap);
    kv->v.str->len = len;
    kv->v.str->cap = rk_usable_size(kv->v.str) - sizeof(struct rstr);
    if (val) memcpy(kv->v.str->data, val, len);
    else memset(kv->v.str->data, 0, len);
    return kv;
}

struct kv *kv_new_embstr(const char *key, size_t klen, const char *val, size_t vlen)
{
    struct kv *kv = kv_alloc(key, klen, vlen, OBJ_STRING, ENC_EMBSTR);
    kv->embstr_len = vlen;
    memcpy(kv_key_mut(kv) + klen, val, vlen);
    return kv;
}

struct kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen)
{
    long long ll;
    if (vlen <= 20 && string2ll(val, vlen, &ll)) return kv_new_int(key, klen, ll);
    if (vlen > OBJ_EMBSTR_MAX) return kv_new_raw(key, klen, val, vlen, vlen);
    return kv_new_embstr(key, klen, val, vlen);
}

struct kv *kv_new_object(const char *key, size_t klen, enum obj_type type, enum obj_encoding enc, void *ptr)
{
    struct kv *kv = kv_alloc(key, klen, 0, type, enc);
    kv->v.ptr = ptr;
    return kv;
}

void kv_free_shell(struct kv *kv) { rk_free(kv); }

void kv_free(struct kv *kv)
{
    if (kv->type == OBJ_STRING) {
        if (kv->enc == ENC_RAW) rk_free(kv->v.str);
    } else if (type_ops[kv->type] && type_ops[kv->type]->free_value) {
        type_ops[kv->type]->free_value(kv->v.ptr, kv->enc);
    }
    rk_free(kv);
}

const char *kv_string(const struct kv *kv, char *numbuf, size_t *len)
{
    switch (kv->enc) {
    case ENC_INT:
        *len = ll2string(numbuf, kv->v.i);
        return numbuf;
    case ENC_EMBSTR:
        *len = kv->embstr_len;
        return kv_key(kv) + kv->keylen;
    default:
        *len = kv->v.str->len;
        return kv->v.str->data;
    }
}

bool kv_string_ll(const struct kv *kv, long long *out)
{
    if (kv->enc == ENC_INT) {
        *out = kv->v.i;
        return true;
    }
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = kv_string(kv, buf, &len);
    return string2ll(s, len, out);
}

struct kv *kv_dup(const struct kv *kv, const char *key, size_t klen)
{
    if (kv->type == OBJ_STRING) {
        /* Redis's dupStringObject keeps the encoding. */
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *s = kv_string(kv, buf, &len);
        if (kv->enc == ENC_RAW) return kv_new_raw(key, klen, s, len, len);
        if (kv->enc == ENC_EMBSTR) return kv_new_embstr(key, klen, s, len);
        return kv_new_int(key, klen, kv->v.i);
    }
    const struct obj_type_ops *ops = type_ops[kv->type];
    return kv_new_object(key, klen, kv->type, kv->enc, ops->dup_value(kv->v.ptr, kv->enc));
}

struct kv *kv_rename(struct kv *kv, const char *key, size_t klen)
{
    struct kv *moved;
    if (kv->enc == ENC_EMBSTR) {
        moved = kv_new_embstr(key, klen, kv_key(kv) + kv->keylen, kv->embstr_len);
    } else {
        moved = kv_alloc(key, klen, 0, kv->type, kv->enc);
        moved->v = kv->v;
    }
    moved->lru = kv->lru;
    rk_free(kv);
    return moved;
}

size_t kv_bytes(const struct kv *kv)
{
    size_t n = rk_usable_size(kv);
    if (kv->type == OBJ_STRING) {
        if (kv->enc == ENC_RAW) n += rk_usable_size(kv->v.str);
    } else if (type_ops[kv->type] && type_ops[kv->type]->value_bytes) {
        n += type_ops[kv->type]->value_bytes(kv->v.ptr, kv->enc);
    }
    return n;
}
