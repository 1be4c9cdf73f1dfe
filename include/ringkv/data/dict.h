/* dict.h — an intrusive chained hash table with incremental rehashing.
 *
 * Nodes are embedded in the caller's records (a key with its value, a hash
 * field, a set member), so a record is one allocation and the table adds
 * one pointer per bucket. Power-of-two tables, grown at load factor 1 and
 * rehashed a bucket or so per operation, as Redis's dict.c does, so no
 * single command pays for a whole resize. dict_scan() uses Redis's
 * reverse-binary cursor, which returns every element present for a whole
 * scan at least once even while the table grows or shrinks.
 *
 * Single-threaded: a dict belongs to one shard.
 */
#ifndef RINGKV_DICT_H
#define RINGKV_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dict_node {
    struct dict_node *next;
};

struct dict_type {
    /* The hash of a node's key (used when rehashing). */
    uint64_t (*hash_node)(const struct dict_node *n);
    /* Whether a node's key equals (key, len). */
    bool (*key_eq)(const struct dict_node *n, const void *key, size_t len);
};

struct dict {
    const struct dict_type *type;
    struct dict_node **table[2];
    uint64_t size[2];     /* buckets: 0 or a power of two */
    uint64_t used[2];
    int64_t rehash_idx;   /* next bucket of table[0] to move, -1: not rehashing */
    int pause_rehash;     /* > 0 while a caller walks raw buckets */
    uint32_t longest_chain; /* longest chain dict_random has met (since the last resize) */
};

void dict_init(struct dict *d, const struct dict_type *type);
/* Frees the bucket arrays; calls free_node (if not NULL) on every node. */
void dict_clear(struct dict *d, void (*free_node)(struct dict_node *n, void *arg), void *arg);
uint64_t dict_size(const struct dict *d);
/* Total buckets (for memory accounting and INFO). */
uint64_t dict_buckets(const struct dict *d);

struct dict_node *dict_find(struct dict *d, const void *key, size_t len, uint64_t hash);
/* Adds a node whose key is not in the dict yet. */
void dict_insert(struct dict *d, struct dict_node *n, uint64_t hash);
/* Removes and returns the node with this key, or NULL. */
struct dict_node *dict_unlink(struct dict *d, const void *key, size_t len, uint64_t hash);
/* Puts `repl` where `old` is (same key; old was reallocated or replaced). */
void dict_replace(struct dict *d, struct dict_node *old, struct dict_node *repl, uint64_t hash);

/* Calls fn for each node of the buckets the cursor names; returns the next
 * cursor (0 when the scan is over). fn must not modify the dict. */
typedef void (*dict_scan_fn)(struct dict_node *n, void *arg);
uint64_t dict_scan(struct dict *d, uint64_t cursor, dict_scan_fn fn, void *arg);

/* A uniformly random node (see dict.c), or NULL when empty. */
struct dict_node *dict_random(struct dict *d, uint64_t (*rng)(void *), void *rng_arg);

/* Rehash work for the timer: moves buckets for up to `us` microseconds and
 * shrinks tables left mostly empty. Returns true when work remains. */
bool dict_rehash_for(struct dict *d, long long us);
bool dict_try_shrink(struct dict *d);

/* Cache warming for a batch of lookups: first call with stage 0 for every
 * key (loads buckets), then stage 1 (loads the first node of each chain). */
void dict_prefetch(const struct dict *d, uint64_t hash, int stage);

/* Walks all nodes; fn may not modify the dict. */
void dict_foreach(struct dict *d, void (*fn)(struct dict_node *n, void *arg), void *arg);

#endif
