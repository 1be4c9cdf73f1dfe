/* watch.h — WATCHed keys of one database: who watches each key, and
 * whether the key changed since (Redis's db->watched_keys, multi.c).
 *
 * The registry lives with the key's owner, so "has it changed?" is
 * answered where the changes happen, under the transaction's lock
 * (tx_multi.c), with no message per write. Watchers are named by client
 * id; a client may live on any shard.
 *
 * The database calls watch_touch() after every change to a key it sees
 * (db.h: writes, deletions, expiry, TTL changes) and watch_touch_all()
 * before FLUSHDB/FLUSHALL/SWAPDB; a command that changed a value in place
 * is caught by comparing fingerprints around it (exec.c). As in Redis 7.0,
 * a key that had already expired (but was still stored) when it was
 * watched does not count as changed when that stale key is deleted, or
 * replaced by nothing.
 *
 * Costs nothing while nobody watches: db->watch is NULL.
 * Single-threaded: a database belongs to one shard.
 */
#ifndef RINGKV_WATCH_H
#define RINGKV_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct kv;

/* Registers client as watching key (once); `expired`: the key is stored
 * but already expired. */
void watch_add(struct db *db, const char *key, size_t len, uint64_t client, bool expired);
/* Forgets client's watch on key (if any). */
void watch_remove(struct db *db, const char *key, size_t len, uint64_t client);
/* Whether the key changed since client watched it: touched, or expired
 * since (when it was not at WATCH time). A missing registration counts as
 * changed. */
bool watch_changed(struct db *db, const char *key, size_t len, uint64_t client);
/* Whether anyone watches key. */
bool watch_has(const struct db *db, const char *key, size_t len);

/* Marks key changed for its watchers (called after the change). */
void watch_touch(struct db *db, const char *key, size_t len);
/* FLUSHDB/FLUSHALL (replaced_with NULL) or SWAPDB: marks changed the
 * watched keys of `emptied` that exist there or in replaced_with; called
 * before the databases change. */
void watch_touch_all(struct db *emptied, struct db *replaced_with);
/* Frees the registry (the database goes away). */
void watch_free(struct db *db);

/* A value's fingerprint: equal before and after a command only if the
 * command left the value as it was (for in-place changes; see exec.c).
 * Exact for strings and the compact encodings (listpack, intset); a large
 * collection's is its size, so a command that took one for writing and
 * did not fail counts as having changed it (db_stats.big_write_lookups)
 * unless the command said it changed nothing (cmd_unchanged): WATCH may
 * then abort an EXEC that Redis would run, never the other way round. */
uint64_t watch_fingerprint(const struct kv *kv);
bool watch_fingerprint_exact(const struct kv *kv);

#endif
