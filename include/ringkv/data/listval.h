/* listval.h — the list type's value, behind one API whatever its encoding.
 *
 * A small list is a bare listpack (kv->enc ENC_LISTPACK): one allocation,
 * where a one-node quicklist would add a 40-byte list header and a 32-byte
 * node. It becomes a quicklist (ENC_QUICKLIST) when a change would take it
 * past list-max-listpack-size (the `fill`, see quicklist.h), and turns back
 * into a listpack when it is down to one node holding at most half of that
 * limit, so a list hovering at the limit does not flip on every push/pop
 * (Redis 7.2's rules). Redis 7.0 itself always uses a quicklist, so OBJECT
 * ENCODING reports "quicklist" for both (kv_encoding_name in object.h).
 *
 * Entries handed out point into the value and are valid until it changes
 * (except where an iterator call says otherwise). One thread: the shard
 * owning the key.
 */
#ifndef RINGKV_LISTVAL_H
#define RINGKV_LISTVAL_H

#include "ringkv/data/object.h"
#include "ringkv/data/quicklist.h"
#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>

enum listval_where { LISTVAL_HEAD, LISTVAL_TAIL };

/* The shard's list settings a change applies: list-max-listpack-size (the
 * fill, see quicklist.h: it decides the conversions and the node size of a
 * quicklist created now) and list-compress-depth (applied to the quicklist
 * at every change, so a new depth reaches a list when it is next changed). */
struct list_limits {
    int fill;
    int compress_depth;
};

/* From the config's values, clamped to int. */
struct list_limits list_limits_of(long long fill, long long compress_depth);

/* An entry: a string (str != NULL) or an integer (str == NULL, ll), with
 * its position (node is NULL in a listpack). */
typedef quicklist_entry listval_entry;

/* An iterator lives on the caller's stack; no cleanup needed. */
struct listval_iter {
    struct kv *kv;
    enum listval_where from; /* LISTVAL_HEAD walks towards the tail */
    quicklist_iter qi;       /* quicklist encoding */
    unsigned char *p;        /* listpack: last entry returned, or the next if ready */
    bool ready, done;
};

/* A new key holding an empty list (a list key is never left empty: the
 * caller pushes before anyone else can see it). */
struct kv *listval_create(const char *key, size_t klen);
size_t listval_len(const struct kv *kv);

/* Changes, under the shard's limits. */
void listval_push(struct kv *kv, enum listval_where where, const void *s, size_t len,
                  struct list_limits lim);
/* Replaces the entry (LSET) or inserts next to it (LINSERT); entries and
 * iterators are invalid afterwards. */
void listval_replace(struct kv *kv, listval_entry *e, const void *s, size_t len,
                     struct list_limits lim);
void listval_insert(struct kv *kv, listval_entry *e, bool after, const void *s, size_t len,
                    struct list_limits lim);
/* Deletes up to count entries from index on (negative from the tail),
 * at the depth the list last had. */
size_t listval_del_range(struct kv *kv, long index, size_t count);
/* After removals: back to a listpack if the list got small enough, else
 * the limits' depth applied. */
void listval_try_shrink(struct kv *kv, struct list_limits lim);

/* Reading. With compressed nodes a read may decompress one node in
 * place (see quicklist.h): one reader at a time per list. */
bool listval_index(struct kv *kv, long index, listval_entry *e);
bool listval_entry_eq(const listval_entry *e, const void *s, size_t len);
void listval_reply_entry(struct reply *r, const listval_entry *e);

/* Iteration from the head or the tail, starting at index (counted from
 * the head, negative from the tail); false if index is out of range. */
bool listval_iter_init(struct listval_iter *it, struct kv *kv, enum listval_where from,
                       long index);
bool listval_next(struct listval_iter *it, listval_entry *e);
/* Deletes the entry just returned by listval_next; iteration goes on with
 * the entry after it in the iterator's direction (LREM). */
void listval_iter_del(struct listval_iter *it, listval_entry *e);

/* obj_type_ops of OBJ_LIST: dup is a deep copy (the cross-shard path
 * moves values between shards as copies). */
extern const struct obj_type_ops listval_type_ops;

#endif
