/* object.h — a key with its value: the record the keyspace stores.
 *
 * One allocation holds the dict link, the key bytes and, for short strings,
 * the value bytes too (Redis's "embstr"): a GET touches one cache line or
 * two. Integers that fit a long long are kept as integers ("int"). Longer
 * strings ("raw") and collections point to a separate value whose layout
 * belongs to its type module, which registers how to free, copy and
 * measure it (obj_register_type). Single-threaded: a kv belongs to the
 * shard whose keyspace holds it.
 */
#ifndef RINGKV_OBJECT_H
#define RINGKV_OBJECT_H

#include "ringkv/data/dict.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Redis's type and encoding numbers (OBJECT ENCODING / TYPE / RDB). */
enum obj_type { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_STREAM = 6,
                OBJ_TYPE_MAX = 7 };
enum obj_encoding {
    ENC_RAW = 0, ENC_INT = 1, ENC_HASHTABLE = 2, ENC_INTSET = 6, ENC_SKIPLIST = 7,
    ENC_EMBSTR = 8, ENC_QUICKLIST = 9, ENC_STREAM = 10, ENC_LISTPACK = 11, ENC_MAX = 12,
};

#define OBJ_EMBSTR_MAX 44 /* longest string Redis calls embstr */

/* A raw string value: length and capacity, so APPEND/SETRANGE grow in place. */
struct rstr {
    size_t len, cap;
    char data[];
};

/* The record. An embstr record (the common short string) has no `v`: its
 * key starts right after the 16-byte header and its value follows the key,
 * so a 16-byte key with a 32-byte value takes exactly 64 bytes. Every other
 * record has the 8-byte `v` and its key after it. Read the key with
 * kv_key(); touch `v` only when enc != ENC_EMBSTR. `snap` belongs to the
 * database: whether a snapshot in progress has the record yet (db.h). */
struct kv {
    struct dict_node node;
    uint64_t keylen : 29, type : 3, enc : 4, expires : 1, embstr_len : 6, lru : 20, snap : 1;
    union {
        long long i;      /* ENC_INT */
        struct rstr *str; /* ENC_RAW */
        void *ptr;        /* collections */
    } v;
};

#define KV_HEADER_EMBSTR offsetof(struct kv, v)
#define KV_HEADER sizeof(struct kv)
#define OBJ_LRU_BITS 20

static inline char *kv_key_mut(struct kv *kv)
{
    return (char *)kv + (kv->enc == ENC_EMBSTR ? KV_HEADER_EMBSTR : KV_HEADER);
}
static inline const char *kv_key(const struct kv *kv) { return kv_key_mut((struct kv *)kv); }
static inline struct kv *kv_of(struct dict_node *n) { return (struct kv *)n; }

/* New records. Strings pick int/embstr/raw like Redis's tryObjectEncoding. */
struct kv *kv_new_string(const char *key, size_t klen, const char *val, size_t vlen);
struct kv *kv_new_int(const char *key, size_t klen, long long v);
/* An embstr whatever the bytes look like (INCRBYFLOAT's "3" is embstr). */
struct kv *kv_new_embstr(const char *key, size_t klen, const char *val, size_t vlen);
/* A raw string with room for `cap` bytes, `len` of them from val (may be NULL: zeros). */
struct kv *kv_new_raw(const char *key, size_t klen, const char *val, size_t len, size_t cap);
struct kv *kv_new_object(const char *key, size_t klen, enum obj_type type, enum obj_encoding enc, void *ptr);
/* Frees the record and its value. */
void kv_free(struct kv *kv);
/* Frees only the record, leaving a collection value to a new owner. */
void kv_free_shell(struct kv *kv);

/* A string's bytes; integers are formatted into numbuf (RK_LONG_STR_SIZE). */
const char *kv_string(const struct kv *kv, char *numbuf, size_t *len);
/* Whether a string value parses as a long long (Redis getLongLongFromObject). */
bool kv_string_ll(const struct kv *kv, long long *out);

/* Per-type value operations, registered by each type module at startup. */
struct obj_type_ops {
    const char *name;                               /* TYPE reply */
    void (*free_value)(void *ptr, enum obj_encoding enc);
    void *(*dup_value)(const void *ptr, enum obj_encoding enc);
    size_t (*value_bytes)(const void *ptr, enum obj_encoding enc);
};
void obj_register_type(enum obj_type type, const struct obj_type_ops *ops);
/* Registers every type module's ops; called once at startup. */
void obj_types_setup(void);
const struct obj_type_ops *obj_type_ops(enum obj_type type);
const char *obj_type_name(enum obj_type type);
const char *obj_encoding_name(enum obj_encoding enc);
/* OBJECT ENCODING of a record: Redis 7.0's name, which is "quicklist" for
 * every list (ringkv keeps small lists as a bare listpack, see listval.h,
 * as Redis 7.2 does; 7.0 clients and tests expect "quicklist"), and
 * "hashtable" for a set of strings (small ones are listpacks, see set.h,
 * as in Redis 7.2; Redis 7.0 has only intset and hashtable sets). */
const char *kv_encoding_name(const struct kv *kv);
/* A deep copy of the record under another key (COPY, RENAME across DBs). */
struct kv *kv_dup(const struct kv *kv, const char *key, size_t klen);
/* The record's value under another key (RENAME): a new record takes the
 * value over and the old one, detached from any db, is freed. */
struct kv *kv_rename(struct kv *kv, const char *key, size_t klen);
/* Approximate bytes used by the record and its value. */
size_t kv_bytes(const struct kv *kv);

/* The LRU clock (seconds, OBJ_LRU_BITS bits: wraps after 12 days) and the
 * idle time of a record. */
uint32_t obj_lru_clock(void);
long long kv_idle_seconds(const struct kv *kv);
/* As if last used `seconds` ago (RESTORE IDLETIME, an RDB file's IDLE). */
void kv_set_idle(struct kv *kv, long long seconds);

/* Under an LFU maxmemory-policy the same bits hold Redis's LFU state: the
 * minute of the last decrement (12 bits, wrapping after 68 hours; Redis
 * keeps 16) and an 8-bit logarithmic access counter. New records start
 * at LFU_INIT_VAL so they are not evicted before they had a chance. */
#define LFU_INIT_VAL 5
void kv_lfu_init(struct kv *kv);
/* A counter given (RESTORE ... FREQ), as of now. */
void kv_lfu_set(struct kv *kv, unsigned counter);
/* The counter after decay: one less per lfu-decay-time minutes idle. */
unsigned kv_lfu_counter(const struct kv *kv, long long decay_minutes);
/* An access: decay, then a logarithmic increment (lfu-log-factor). */
void kv_lfu_touch(struct kv *kv, long long log_factor, long long decay_minutes);

#endif
