/* memory.h — one memory budget for the whole server (maxmemory), shared
 * by the shards without a lock on the hot path.
 *
 * Each shard counts exactly what its thread allocates and frees
 * (rk_thread_allocated) and publishes the figure in the server's
 * per-shard slots when it has moved by more than a step since the last
 * publication (maxmemory / 64 / shards, at least 256 KB) and on every
 * timer tick. A shard's view of the whole is its own exact figure plus
 * the others' last published ones, so it is wrong by less than one step
 * per other shard: the server as a whole overshoots maxmemory by at most
 * about maxmemory / 64 before some shard sees it over.
 *
 * When its view is over the limit, a shard evicts from its own keys
 * before running a client's command (for at most the time
 * maxmemory-eviction-tenacity allows, as Redis) and on every timer tick,
 * so no shard evicts while the server as a whole is under. Eviction is
 * one choice across shards, as Redis's is across databases: every shard
 * publishes the score of its best candidate (idle time, LFU counter,
 * nearness of expiry), and a shard whose best is clearly worse than
 * another's leaves the eviction to that shard, waking it with a message,
 * for as long as the overshoot stays below maxmemory / 32; past that it
 * evicts its own. So a hot shard does not throw out its fresh keys while
 * another holds cold ones. A command flagged
 * denyoom is refused with Redis's OOM error only when the policy is
 * noeviction or no shard has anything its policy may evict.
 * Thread: each call on the shard given.
 */
#ifndef RINGKV_MEMORY_H
#define RINGKV_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

struct shard;
struct server;

/* In struct server; atomics. */
struct memory_shared {
    long long used[256];          /* per shard, as last published (MAX_SHARDS) */
    int cannot_evict[256];        /* per shard: its policy finds nothing to evict */
    unsigned long long best[256]; /* per shard: score of its best eviction candidate (evict.h) */
    int wanted[256];              /* per shard: another asked it to evict (a wake-up is on its way) */
    long long base;               /* the main thread's, at startup */
    long long startup;            /* all of it once every shard had started (INFO used_memory_startup) */
    long long peak;
};

void memory_shard_setup(struct shard *s);
void memory_shard_exit(struct shard *s);
/* Before a client's command: evicts while the server is over maxmemory;
 * false when the command (denyoom: it may grow memory) must be refused
 * with -OOM. */
bool memory_admit(struct shard *s, bool denyoom);
/* Every timer tick: publishes, evicts when over, and (after CONFIG SET)
 * follows the policy. */
void memory_tick(struct shard *s);
/* Each loop turn: while the server is over the limit and this shard has
 * keys to evict, evicts another slice (within the tenacity's time) so a
 * lowered maxmemory is reached while clients are served in between; true
 * while there is more (the loop then does not sleep). */
bool memory_pump(struct shard *s);
/* This shard's exact figure, and the server's as this shard sees it. */
long long memory_shard_used(void);
long long memory_server_used(struct shard *s);

#endif
