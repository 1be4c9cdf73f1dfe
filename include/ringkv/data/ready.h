/* ready.h — keys clients block on (BLPOP, BZPOPMIN, ...), and those of
 * them that came into existence since the shard last looked.
 *
 * Blocked clients mostly wait for a key that does not exist (an empty
 * list or sorted set does not exist), so the event that can serve them
 * is the key being created: the database reports every list, sorted set
 * or stream it adds (db.h) and, when someone waits for that key, it is
 * queued here as ready, once, in the order keys became ready. Streams
 * also report growing (XADD) and going away (XREADGROUP readers then
 * answer an error). The shard
 * takes the ready keys after each client command and serves its waiters
 * (core/exec.c).
 *
 * Costs nothing while nobody waits: db->ready is NULL.
 * Single-threaded: a database belongs to one shard.
 */
#ifndef RINGKV_READY_H
#define RINGKV_READY_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/* One more (or one less) waiter for key. */
void ready_wait(struct db *db, const char *key, size_t len);
void ready_unwait(struct db *db, const char *key, size_t len);
/* db.c: a list or sorted set key was created. */
void ready_created(struct db *db, const char *key, size_t len);
/* The database's contents were swapped in whole (SWAPDB): every waited
 * key that holds a list or sorted set now is ready. */
void ready_rescan(struct db *db);
/* The database is emptied (FLUSHDB, FLUSHALL): every waited key holding
 * a stream is ready (its XREADGROUP readers learn it is gone). */
void ready_streams_going(struct db *db);
/* Whether keys became ready, and taking them (each once, oldest first;
 * fn may make more keys ready: they are taken in the same call). */
bool ready_pending(const struct db *db);
typedef void (*ready_fn)(const char *key, size_t len, void *arg);
void ready_take(struct db *db, ready_fn fn, void *arg);
/* Frees the bookkeeping (the database goes away). */
void ready_free(struct db *db);

#endif
