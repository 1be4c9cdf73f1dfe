/* evict.h — choosing and removing keys to free memory (maxmemory-policy),
 * by Redis's method: for the LRU, LFU and TTL policies each round samples
 * maxmemory-samples keys of every database (all keys, or only those with a
 * TTL for the volatile-* policies) into a pool of the best 16 candidates
 * kept across rounds, and evicts the best one still there; the random
 * policies take a random key, visiting the databases in turn.
 *
 * The pool holds copies of the candidates' names (the records may go
 * away meanwhile), so it belongs to one keyspace. The caller decides how
 * much to evict (memory accounting is above this layer). Evicted keys are
 * deleted as DEL would (watchers, snapshots) and counted in the
 * keyspace's evicted_keys.
 * Single-threaded: the keyspace's owner.
 */
#ifndef RINGKV_EVICT_H
#define RINGKV_EVICT_H

#include "ringkv/base/config.h"
#include "ringkv/data/keyspace.h"

#include <stdbool.h>

struct evict_pool;

struct evict_pool *evict_pool_create(void);
void evict_pool_destroy(struct evict_pool *p);

/* Evicts one key as the configuration's policy chooses; false when the
 * policy finds nothing to evict (noeviction, no keys, or a volatile
 * policy and no key with a TTL). */
bool evict_one(struct keyspace *ks, struct evict_pool *pool, const struct config *cfg);

/* For the policies that rank keys (LRU, LFU, TTL): samples a round into
 * the pool and gives the score of the best candidate now in it (higher:
 * better to evict; comparable between keyspaces under one policy), for a
 * shard to tell whether another shard holds better candidates. False
 * for the random policies and noeviction, or when there is no candidate. */
bool evict_best_score(struct keyspace *ks, struct evict_pool *pool, const struct config *cfg,
                      unsigned long long *score);

/* The keyspace's access tracking (LRU or LFU) as the policy wants it. */
void evict_configure(struct keyspace *ks, const struct config *cfg);

#endif
