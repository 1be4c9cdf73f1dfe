/* hashval.h — the hash type's value, behind one API whatever its encoding.
 *
 * A small hash is a listpack of field, value, field, value... (kv->enc
 * ENC_LISTPACK), searched linearly: with at most hash-max-listpack-entries
 * (512) fields of at most hash-max-listpack-value (64) bytes that is
 * cheaper than hashing, and it costs 2-3 bytes per string over its bytes.
 * Past either limit it becomes a dict of field records (ENC_HASHTABLE)
 * for good, as in Redis: one allocation per field holding the dict link,
 * both lengths, the field and the value.
 *
 * Field/value views handed out (lp_value: a string, or an integer when
 * str is NULL) point into the value and are valid until it changes. One
 * thread: the shard owning the key.
 */
#ifndef RINGKV_HASHVAL_H
#define RINGKV_HASHVAL_H

#include "ringkv/data/listpack.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The shard's encoding thresholds (hash-max-listpack-entries / -value). */
struct hashval_limits {
    long long max_entries, max_value;
};

/* A new key holding an empty hash (filled before anyone can see it). */
struct kv *hashval_create(const char *key, size_t klen);
size_t hashval_len(const struct kv *kv);

/* Before adding: converts a listpack hash to a hashtable if one of the n
 * strings about to be set (fields and values; their lengths in len[]) is
 * longer than max_value, or all of them would take the listpack past its
 * safe size (Redis's hashTypeTryConversion). */
void hashval_prepare(struct kv *kv, const size_t *len, int n, const struct hashval_limits *lim);
/* Sets field to value; true if the field was new. Converts when the
 * field or value is too long or the hash gets too many fields. */
bool hashval_set(struct kv *kv, const void *f, size_t flen, const void *v, size_t vlen,
                 const struct hashval_limits *lim);
/* The value of a field; false if there is no such field. */
bool hashval_get(struct kv *kv, const void *f, size_t flen, lp_value *v);
/* Removes a field; false if there was none. */
bool hashval_delete(struct kv *kv, const void *f, size_t flen);

/* Calls fn for every field in the value's order; fn must not change it. */
typedef void (*hashval_fn)(const lp_value *field, const lp_value *value, void *arg);
void hashval_foreach(struct kv *kv, hashval_fn fn, void *arg);
/* One step of a scan of a hashtable hash (dict_scan cursor rules); a
 * listpack hash is scanned whole with hashval_foreach. */
uint64_t hashval_scan(struct kv *kv, uint64_t cursor, hashval_fn fn, void *arg);

/* Random fields for HRANDFIELD: count picks with repetition, or with
 * `unique` count distinct fields (count must be below the length). The
 * hash must not be empty. */
void hashval_random(struct kv *kv, size_t count, bool unique, hashval_fn fn, void *arg);

/* The text of a view (integers are formatted into buf, RK_LONG_STR_SIZE). */
const char *hashval_str(const lp_value *v, char *buf, size_t *len);

/* obj_type_ops of OBJ_HASH; dup is a deep copy. */
extern const struct obj_type_ops hashval_type_ops;

#endif
