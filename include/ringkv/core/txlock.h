/* txlock.h — key intents: one shard's lock table for the transaction layer.
 *
 * A request asks for a set of locks at once: keys in shared (read) or
 * exclusive (write) mode, and whole databases (FLUSHDB, DBSIZE, SWAPDB).
 * Databases and keys form Gray's two-level hierarchy: a key lock also takes
 * an intent lock on its database (IS under a shared key, IX under an
 * exclusive one), so a database-wide S or X conflicts with every key lock
 * in it and key locks conflict only with each other:
 *
 *            IS   IX   S    X
 *       IS   ok   ok   ok   -
 *       IX   ok   ok   -    -
 *       S    ok   -    ok   -
 *       X    -    -    -    -
 *
 * Every lock has a FIFO queue of the requests that want it. A request's
 * lock is grantable when it is compatible with every request queued before
 * it there, granted or not; the request is granted when all its locks are.
 * All the locks of a request are queued at once (the table is one shard's,
 * single-threaded), so a request only ever waits for requests queued
 * before it on this shard: waits within a shard never form a cycle. The
 * transaction layer (tx.h) adds the rule across shards.
 *
 * Commands that hold no lock (a client's single command) only check that
 * no granted lock conflicts (lock_table_blocks) and run; when one does,
 * they queue a request like anyone else, run when it is granted and
 * release it at once, so they keep their place in line.
 *
 * The table costs nothing while empty: lock_table_busy() is one load.
 * Single-threaded: a table belongs to one shard.
 */
#ifndef RINGKV_TXLOCK_H
#define RINGKV_TXLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lock_mode { LOCK_IS = 0, LOCK_IX, LOCK_S, LOCK_X, LOCK_MODES };

/* One wanted lock: a key (mode S or X) or, with key NULL, a whole
 * database (mode S or X). */
struct lock_want {
    int dbid;
    const char *key;
    size_t len;
    enum lock_mode mode;
};

struct lock_entry;
struct lock_req;

/* Fields are txlock.c's own; the struct is here for lock_table_busy. */
struct lock_table {
    uint64_t nreqs;                  /* requests queued, granted or not */
    uint64_t nentries;               /* key entries */
    struct lock_entry **buckets;
    uint64_t nbuckets;
    struct lock_entry **db_entries;  /* one per database, made on first use */
    int ndbs;
    struct lock_req *announce;       /* granted, callbacks not run yet */
    bool announcing;
};

/* Called once when a request that had to wait is granted. It may call
 * lock_release (on this or any request) and lock_request. */
typedef void (*lock_granted_fn)(struct lock_req *req, void *arg);

/* A request's place in one lock's queue. */
struct lock_item {
    struct lock_entry *entry;
    struct lock_item *prev, *next;
    struct lock_req *req;
    enum lock_mode mode;
    bool grantable;
};

struct lock_req {
    lock_granted_fn granted_fn;
    void *arg;
    uint32_t nitems, waiting;  /* locks, and how many are not grantable yet */
    bool granted;
    struct lock_req *next_granted; /* the table's list of grants to announce */
    struct lock_item items[];
};

struct lock_table *lock_table_create(int ndbs);
/* Frees the table and any request still in it (their callbacks never run). */
void lock_table_destroy(struct lock_table *t);

/* Whether any request is queued: while not, nothing can conflict. */
static inline bool lock_table_busy(const struct lock_table *t) { return t->nreqs != 0; }
/* Whether a command holding no lock must wait before it reads (write
 * false) or writes the key: a granted lock conflicts with it, or a
 * request queued earlier is still waiting for it (its turn comes first). */
bool lock_table_blocks(const struct lock_table *t, int dbid, const char *key, size_t len, bool write);
/* The same for a command that reads or writes the whole database. */
bool lock_table_blocks_db(const struct lock_table *t, int dbid, bool write);

/* Queues a request for the wanted locks (duplicates are merged, keeping the
 * strongest mode). Returns it granted (req->granted) when nothing stands in
 * its way, in which case fn is not called; otherwise fn(req, arg) runs
 * when it is granted. Key bytes are copied. */
struct lock_req *lock_request(struct lock_table *t, const struct lock_want *wants, uint32_t n,
                              lock_granted_fn fn, void *arg);
/* Releases a request, granted or not, frees it, and announces the grants
 * that follow (their callbacks run before this returns). */
void lock_release(struct lock_table *t, struct lock_req *req);

/* Counters for INFO and tests. */
uint64_t lock_table_requests(const struct lock_table *t); /* queued now */
uint64_t lock_table_entries(const struct lock_table *t);  /* locks with a queue */

#endif
