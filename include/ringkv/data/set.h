/* set.h — the set type's value: three encodings behind one API.
 *
 *   intset     all members integers, at most set-max-intset-entries;
 *   listpack   at most set-max-listpack-entries members, each at most
 *              set-max-listpack-value bytes (Redis 7.2's compact encoding;
 *              OBJECT ENCODING calls it "hashtable", Redis 7.0's name for
 *              any set of strings, and set-max-listpack-entries 0 turns it
 *              off);
 *   hashtable  a dict of member records (struct dict_node + length + bytes,
 *              one allocation each).
 * Conversions only go towards hashtable, as in Redis: intset -> listpack
 * when a non-integer member arrives and the listpack limits allow it,
 * otherwise -> hashtable; listpack -> hashtable past its limits.
 *
 * The value is kv->v.ptr with kv->enc naming the encoding; calls that may
 * reallocate or convert update the record in place. Members handed out
 * (set_elem) point into the value and live until it next changes.
 * One thread: the shard owning the record (or the scratch keyspace of a
 * cross-shard command, which holds its own deep copies).
 */
#ifndef RINGKV_SET_H
#define RINGKV_SET_H

#include "ringkv/base/config.h"
#include "ringkv/data/dict.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One member: bytes (str != NULL) or an integer (str == NULL, ll). */
struct set_elem {
    const char *str;
    size_t len;
    long long ll;
};

/* Walks a set in its encoding's order. The set must not change meanwhile
 * (a hashtable's rehashing is paused until set_iter_done). */
struct set_iter {
    struct kv *kv;
    uint32_t pos;          /* intset index */
    unsigned char *p;      /* listpack: next entry */
    int table;             /* hashtable: table, bucket, next node */
    uint64_t bucket;
    struct dict_node *node;
};

extern const struct obj_type_ops set_type_ops;

/* A new empty set record for `key`, encoded for a first member `first`
 * and about size_hint members (Redis's setTypeCreate). */
struct kv *set_create(const char *key, size_t klen, const struct config *cfg, const char *first,
                      size_t flen, size_t size_hint);
/* A new empty intset record (what SINTERSTORE & co. start from). */
struct kv *set_create_intset(const char *key, size_t klen);

size_t set_size(const struct kv *kv);
/* Adds a member; false if it was already there. May convert. */
bool set_add(struct kv *kv, const struct config *cfg, const char *s, size_t len);
bool set_add_elem(struct kv *kv, const struct config *cfg, const struct set_elem *e);
bool set_remove(struct kv *kv, const char *s, size_t len);
bool set_remove_elem(struct kv *kv, const struct set_elem *e);
bool set_contains(struct kv *kv, const char *s, size_t len);
bool set_contains_elem(struct kv *kv, const struct set_elem *e);
/* Converts to `enc` (ENC_LISTPACK or ENC_HASHTABLE), sized for size_hint. */
void set_convert(struct kv *kv, enum obj_encoding enc, size_t size_hint);

void set_iter_init(struct set_iter *it, struct kv *kv);
bool set_iter_next(struct set_iter *it, struct set_elem *e);
void set_iter_done(struct set_iter *it);

/* The member's bytes; integers are formatted into buf (RK_LONG_STR_SIZE). */
const char *set_elem_str(const struct set_elem *e, char *buf, size_t *len);

/* A uniformly random member (set not empty). */
void set_random(struct kv *kv, struct set_elem *e);
/* Up to count distinct random members into out[] (count < set_size);
 * returns how many (= count). */
size_t set_random_distinct(struct kv *kv, size_t count, struct set_elem *out);

/* Hashtable cursor step for SSCAN: calls fn on each member in the buckets
 * the cursor names; returns the next cursor. */
uint64_t set_scan(struct kv *kv, uint64_t cursor, void (*fn)(const char *s, size_t len, void *arg),
                  void *arg);

#endif
