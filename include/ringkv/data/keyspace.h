/* keyspace.h — every database (SELECT 0..n-1) of one slice of the keys,
 * and the counters its databases share.
 *
 * A shard owns one keyspace: its slice of all the databases. Command
 * handlers reach it through their context (cmd_ctx.ks), so that commands
 * naming another database (MOVE, COPY ... DB, SWAPDB, FLUSHALL) need no
 * shard. The cross-shard path (xshard.c) builds a short-lived scratch
 * keyspace holding copies of a command's keys and runs the handler there.
 * Single-threaded: only its owner touches it.
 */
#ifndef RINGKV_KEYSPACE_H
#define RINGKV_KEYSPACE_H

#include "ringkv/data/db.h"

#include <stdint.h>

struct keyspace {
    struct db *dbs;
    int ndbs;
    struct db_stats stats;    /* hits, misses, expiry: counted by all its dbs */
    struct db_access access;  /* LRU or LFU (maxmemory-policy): read by all its dbs */
    struct db_events events;  /* keyspace notifications its dbs raise: the owner sets them */
    /* DEBUG SET-ACTIVE-EXPIRE 0: the owner's timer leaves expired keys
     * alone; they go when next looked up (Redis's active_expire_enabled). */
    bool active_expire_off;
};

/* ndbs empty databases; database i's sampling generator is seeded with
 * seed + i (shards pass different seeds so they sample differently). */
struct keyspace *ks_create(int ndbs, uint64_t seed);
/* Frees every key, then the keyspace. */
void ks_destroy(struct keyspace *ks);

/* Database i, 0 <= i < ks->ndbs (callers check the range: Redis's
 * "DB index is out of range" is theirs to reply). */
static inline struct db *ks_db(struct keyspace *ks, int i) { return &ks->dbs[i]; }

/* Empties every database (FLUSHALL). */
void ks_flush(struct keyspace *ks);
/* Zeroes the shared counters (CONFIG RESETSTAT). */
void ks_reset_stats(struct keyspace *ks);

#endif
