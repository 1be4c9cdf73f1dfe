/* block.h — one shard's wait registry: clients blocked on keys (BLPOP,
 * BZPOPMIN, BLMOVE, ...), in line per key, and their deadlines.
 *
 * A blocked command waits on the shard that owns its keys. It is queued,
 * first come first served, on each key it waits for, and told the
 * database which keys those are (data/ready.h). When one of them is
 * created, the shard serves the key's line in order (block_serve): each
 * waiter tries again, and the first that finds nothing (the key is empty
 * again) stops the round. A waiter that got served, timed out or was
 * cancelled leaves every line it was in.
 *
 * The registry knows nothing of commands: a waiter is a struct block_wait
 * with two callbacks, serve and expire (core/exec.c runs the command and
 * what its client sent after it). Deadlines are checked every 10 ms by a
 * timer that runs only while some waiter has one.
 *
 * Keys a transaction holds are not served until it lets them go (the
 * transaction layer calls block_serve after every release).
 *
 * Thread: the shard's own. Designed for streams' XREAD BLOCK too (a later
 * issue): they wait on a key's growth the same way.
 */
#ifndef RINGKV_BLOCK_H
#define RINGKV_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shard;
struct block_wait;
struct block_link;

/* What a waiter did when its key became ready. */
enum block_served {
    BLOCK_SERVED,   /* it ran and left the registry (block_leave) */
    BLOCK_EMPTY,    /* nothing for it: it stays in line, and so does the rest */
    BLOCK_HELD,     /* a transaction holds one of its keys: try after its release */
    BLOCK_SKIP,     /* the key holds a type it does not take: it stays, the next may */
};

/* Why a wait ends early. */
enum block_cancel {
    CANCEL_GONE,      /* the client left: nothing more of it runs */
    CANCEL_TIMEOUT,   /* CLIENT UNBLOCK ... TIMEOUT: answers as a timeout would */
    CANCEL_ERROR,     /* CLIENT UNBLOCK ... ERROR: answers -UNBLOCKED */
    CANCEL_WATCH,     /* a watcher for another shard's wait is called off */
    CANCEL_DISCARD,   /* the shard stops: free it, answer nobody */
};

struct block_wait {
    /* The key it waits for exists now: try again. */
    enum block_served (*serve)(struct block_wait *w, const char *key, size_t len);
    /* Its deadline passed: it answers as timed out and leaves. */
    void (*expire)(struct block_wait *w);
    /* It must end now (it leaves the registry). */
    void (*cancel)(struct block_wait *w, enum block_cancel why);
    long long deadline_ms;     /* unix ms; 0: none */
    uint64_t client_id;
    /* The client's own wait (a blocked command), or a watcher standing in
     * for a wait coordinated on another shard (core/xblock.c). */
    bool watcher;
    /* Not counted as a blocked client (yet): a wait across shards joins
     * before its first try has found nothing (core/xblock.c). */
    bool uncounted;
    /* registry's own */
    struct block_link *links;
    uint32_t nlinks;
    struct block_wait *prev, *next; /* every waiter of the shard */
};

struct block_registry;
struct block_registry *block_registry_create(void);
/* Frees the registry, discarding the waiters still in it (the shard stops:
 * their clients are gone). */
void block_registry_destroy(struct shard *s);

/* Puts w in line on each of the keys (in database dbid). */
void block_join(struct shard *s, struct block_wait *w, int dbid, const char *const *keys, const size_t *lens,
                uint32_t nkeys);
/* Takes w out of every line. */
void block_leave(struct shard *s, struct block_wait *w);
/* Serves the lines of the keys that became ready (after a client's
 * command, or a transaction's release). One load while nobody waits. */
void block_serve(struct shard *s);
/* A wait that joined uncounted is a blocked client from now on. */
void block_count_in(struct shard *s, struct block_wait *w);
/* How many clients are blocked here (INFO blocked_clients). */
uint64_t block_count(const struct shard *s);
/* A client left while none of its commands was blocked here: if one still
 * comes (its message was on its way), it must not block
 * (block_client_left). Remembered a minute. */
void block_client_gone(struct shard *s, uint64_t client_id);
bool block_client_left(const struct shard *s, uint64_t client_id);
/* Finds a client's wait (watcher false) or a watcher for it, or NULL. */
struct block_wait *block_find(struct shard *s, uint64_t client_id, bool watcher);

#endif
