/* db.h — one logical database (SELECT n) of one shard's keyspace slice.
 *
 * Keys live in an intrusive dict of kv records. Keys with a time to live
 * also have an entry in a second dict (key -> expiry in unix ms), as in
 * Redis, so that active expiry samples only keys that can expire and keys
 * without a TTL pay nothing. Expired keys are removed lazily by every
 * lookup and actively by db_active_expire(), driven by the shard's timer.
 * Every change made through these functions is reported to the key's
 * watchers (watch.h).
 * Single-threaded: a db belongs to one shard.
 */
#ifndef RINGKV_DB_H
#define RINGKV_DB_H

#include "ringkv/data/dict.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stdint.h>

struct db_stats {
    uint64_t hits, misses, expired_keys, expired_stale_perc, expire_cycles, evicted_keys;
    /* Keys changed, ever (Redis's `dirty`; snapshots count from it): not
     * reset by CONFIG RESETSTAT. */
    uint64_t changes;
    uint64_t write_lookups; /* records handed out for writing (db_lookup_write) */
    uint64_t big_write_lookups; /* of them, large collections (watch_fingerprint_exact false) */
    uint64_t signals;           /* db_signal_modified calls */
};

struct watch_table;
struct ready_keys;
struct db;

/* A snapshot in progress (persist/snapshot.h) keeps the database as it was
 * at its cut without copying it: a record whose `snap` bit differs from
 * the database's snap_parity is not in the snapshot yet, and save() writes
 * it out before anything changes, replaces or removes it. Records stored
 * from then on get the current parity: they are newer than the cut. The
 * snapshot flips the parity when it starts and walks the database, saving
 * what is left; when it ends every record has the parity again. */
struct db_snap_hook {
    void (*save)(struct db_snap_hook *h, struct db *db, struct kv *kv);
};

/* How records remember their use (maxmemory-policy): the LRU clock, or
 * LFU counters (object.h). Owned by the keyspace, shared by its dbs. */
struct db_access {
    bool lfu;
    long long lfu_log_factor, lfu_decay_time;
};

/* Where the database reports keyspace notifications it raises itself
 * (expired, evicted, new, keymiss: base/notify.h): the shard's publisher.
 * Owned by the keyspace and shared by its dbs; classes 0 (the default,
 * and scratch keyspaces): nothing is raised. */
struct db_events {
    long long classes; /* notify-keyspace-events */
    void (*emit)(struct db_events *ev, long long type, const char *event, int dbid, const char *key, size_t klen);
};

/* Told of every key the database stores, replaces or removes (expiry and
 * eviction too), after the change: client-side caching's invalidation
 * (core/tracking.h). `live` points at what says it is wanted now: a
 * count that is nonzero while it is (read inline, so an unwanted hook
 * costs a load and a branch). Shared by the dbs of a shard; NULL: none. */
struct db_change_hook {
    const uint64_t *live;
    const long *live_shared;    /* atomic, any thread may change it */
    /* expired: the key's TTL removed it (nobody's write) */
    void (*changed)(struct db_change_hook *h, const char *key, size_t len, bool expired);
};

struct db {
    struct dict keys;
    struct dict expires;
    struct watch_table *watch;  /* WATCHed keys (watch.h), NULL: none; stays with the slot on SWAPDB */
    struct ready_keys *ready;   /* keys blocked clients wait for (ready.h), NULL: none; stays with the slot */
    struct db_stats *stats;   /* the shard's counters */
    uint64_t rng_state;
    long long avg_ttl;        /* running estimate from active expiry, ms */
    struct db_snap_hook *snap; /* a snapshot in progress, NULL: none */
    const struct db_access *access; /* NULL: LRU */
    struct db_events *events;  /* NULL: none */
    struct db_change_hook *changes; /* NULL: none */
    int id;                    /* its number (SELECT): stays with the slot on SWAPDB */
    uint8_t snap_parity;
};

/* Raises a keyspace notification of class `type` for key, if wanted. */
static inline void db_notify(struct db *db, long long type, const char *event, const char *key, size_t klen)
{
    if (db->events && (db->events->classes & type)) db->events->emit(db->events, type, event, db->id, key, klen);
}

void db_init(struct db *db, struct db_stats *stats, uint64_t seed);
void db_deinit(struct db *db);

uint64_t db_key_hash(const char *key, size_t len);

/* Brackets one command (shard_exec): within it, expiry is judged against a
 * single clock reading, db_now_ms(), so no key expires midway. Brackets
 * nest (a script's commands inside its EVAL): the outermost one counts. */
void db_command_begin(void);
void db_command_end(void);
/* Brackets a transaction's commands on one shard (EXEC): one clock
 * reading for all of them, as Redis fixes the time for an EXEC, so a key
 * does not expire between two commands of it. Brackets nest. */
void db_time_freeze_begin(void);
void db_time_freeze_end(void);
/* The time keys expire against: the transaction's or the command's
 * snapshot, else the clock. */
long long db_now_ms(void);
/* How many command brackets are open on this thread (a script's inner
 * commands run at depth 1 or more). */
int db_command_depth(void);

/* The live record for key, or NULL; an expired key is deleted on the way.
 * db_lookup counts a keyspace hit or miss (reads); db_lookup_write doesn't. */
struct kv *db_lookup(struct db *db, const char *key, size_t len);
struct kv *db_lookup_write(struct db *db, const char *key, size_t len);
/* A source of a command that stores its result elsewhere (SUNIONSTORE's
 * sets): found as db_lookup_write finds it (no hit or miss counted, as
 * Redis's lookupKeyWrite), but not handed out for writing, so it does not
 * count as changed (watch.h). */
struct kv *db_lookup_store_source(struct db *db, const char *key, size_t len);
/* Warms the cache for a coming lookup of key (stage 0, then 1: dict_prefetch). */
static inline void db_prefetch(struct db *db, const char *key, size_t len, int stage, uint64_t *hash)
{
    if (stage == 0) *hash = db_key_hash(key, len);
    dict_prefetch(&db->keys, *hash, stage);
}

/* Like db_lookup, but leaves the LRU clock alone (Redis's LOOKUP_NOTOUCH:
 * TYPE, EXISTS, TTL, OBJECT). */
struct kv *db_lookup_notouch(struct db *db, const char *key, size_t len);
/* The stored record, expired or not, with no side effect at all. */
struct kv *db_peek(struct db *db, const char *key, size_t len);
/* Whether the key exists, without touching its LRU or the hit counters. */
bool db_exists(struct db *db, const char *key, size_t len);

/* Adds a record whose key is absent. */
void db_add(struct db *db, struct kv *kv);
/* Adds or overwrites; the old record is freed. keep_ttl carries its TTL
 * over (SET KEEPTTL), otherwise the key ends up persistent. */
void db_set(struct db *db, struct kv *kv, bool keep_ttl);
/* Stores a string value for key, whose live record is `old` (NULL: absent;
 * the caller has just looked it up). Overwrites in place when the old
 * record's encoding and room fit the new value (no allocation: the common
 * SET over an existing key); otherwise builds a new record. keep_ttl as
 * db_set. Returns the record holding the value. */
struct kv *db_set_string(struct db *db, struct kv *old, const char *key, size_t klen, const char *val,
                         size_t vlen, bool keep_ttl);
/* Puts `repl` (same key) in place of `old`, keeping the TTL; frees nothing. */
void db_swap_record(struct db *db, struct kv *old, struct kv *repl);
/* The same for `repl` holding old's value in another encoding (an embstr
 * made raw to be written in place): not a change, so watchers hear
 * nothing of it; a change made in place afterwards is the caller's. */
void db_reencode(struct db *db, struct kv *old, struct kv *repl);
bool db_delete(struct db *db, const char *key, size_t len);
void db_delete_kv(struct db *db, struct kv *kv);
/* Deletes a record whose time has come: counted as expired and raised as
 * "expired" (Redis raises it once the key is gone; nothing can tell).
 * While expiry is paused (CLIENT PAUSE) the record stays, reading as
 * missing. */
void db_delete_expired(struct db *db, struct kv *kv);
/* Who says whether expiry is paused (NULL: never), asked only when a key
 * is found expired. Set once at startup. */
void db_set_expiry_gate(bool (*paused)(void));
/* Takes the record out of the db without freeing it; *when gets its TTL (-1). */
struct kv *db_detach(struct db *db, const char *key, size_t len, long long *when);
/* The same for a record that will come back (db_restore, or db_set once
 * changed): its watchers hear of the change only then. */
struct kv *db_take(struct db *db, const char *key, size_t len, long long *when);
/* Tells the key's watchers it changed, for a change made elsewhere
 * (a value that left with db_take and does not come back) or in place by
 * a command not flagged write (PFCOUNT refreshing its cached count). */
void db_touch(struct db *db, const char *key, size_t len);
/* The same without counting a change: a command Redis has signal the key
 * modified although it changed nothing (LTRIM of nothing). */
void db_signal_modified(struct db *db, const char *key, size_t len);
/* Puts back a detached record that did not change (when: its TTL or -1):
 * no WATCH of the key sees a change. */
void db_restore(struct db *db, struct kv *kv, long long when);

/* Expiry in unix milliseconds; -1 when the key is persistent. */
long long db_get_expire(struct db *db, const struct kv *kv);
void db_set_expire(struct db *db, struct kv *kv, long long when_ms);
bool db_persist(struct db *db, struct kv *kv);

uint64_t db_size(const struct db *db);
uint64_t db_expires_size(const struct db *db);
/* Bytes of bookkeeping beyond the values (INFO used_memory_overhead, MEMORY
 * STATS): the keys' hash table slots and record headers, and the expiry
 * table's slots and entries. */
void db_overhead(const struct db *db, uint64_t *keys, uint64_t *expires);
void db_flush(struct db *db);

/* Redis's adaptive cycle: samples keys with a TTL and deletes the expired
 * ones, repeating while more than a quarter of a sample was stale, until
 * `budget_us` is spent. Returns the number of keys deleted. */
uint64_t db_active_expire(struct db *db, long long now_ms, long long budget_us);
/* Incremental rehash/shrink work for the timer. */
void db_maintain(struct db *db, long long budget_us);

/* Starts a snapshot (flips the parity: every record is to be saved) and
 * ends it (every record was saved). */
void db_snapshot_begin(struct db *db, struct db_snap_hook *hook);
void db_snapshot_end(struct db *db);
/* Hands every record the snapshot does not have yet to its hook (what a
 * FLUSHDB or SWAPDB does first while one is in progress). */
void db_snapshot_all(struct db *db);
/* Whether the running snapshot still lacks the record. */
static inline bool db_snapshot_lacks(const struct db *db, const struct kv *kv) { return kv->snap != db->snap_parity; }

/* SWAPDB: exchanges the contents (keys, TTLs, TTL estimate) of two dbs. */
void db_swap(struct db *a, struct db *b);

/* A random live key, or NULL. */
struct kv *db_random(struct db *db);
/* A random record for eviction to consider, expired or not, with no side
 * effect: any key, or (volatile) one with a TTL, its expiry in *when (-1
 * for none). NULL when there is none. */
struct kv *db_sample(struct db *db, bool volatile_only, long long *when);
uint64_t db_rand(struct db *db);
/* Scan step over the keys (dict_scan cursor semantics). */
uint64_t db_scan(struct db *db, uint64_t cursor, dict_scan_fn fn, void *arg);

/* Whether a record's TTL has passed at now_ms. */
bool db_is_expired(struct db *db, const struct kv *kv, long long now_ms);

#endif
