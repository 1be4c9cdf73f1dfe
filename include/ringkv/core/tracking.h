/* tracking.h — client-side caching on the shard that owns the keys
 * (Redis 7.0's tracking.c, key side): reads register, changes invalidate.
 *
 * Each shard keeps the tracking table (data/trk_table.h) of the keys it
 * owns, so a read registers its keys and a write invalidates them where
 * they live, with no message. A reader is the client and the shard of its
 * connection: an invalidation for a client of this shard is handed to the
 * connection at once (net/tracking.h); for a client elsewhere it goes in
 * the loop turn's message to that shard as a SEG_TRACKING notice, one
 * segment per destination per turn whatever the number of keys and
 * clients, posted before anything else this shard sends there (the
 * notices of msg.h, as keyspace notifications): so an invalidation
 * reaches its client's shard before the reply of the write that caused
 * it, and before any later reply to a read of the same key.
 *
 * A redirect client (REDIRECT) on a third shard gets the ready message
 * from the tracking client's shard, which alone knows the redirection: a
 * notice causing a notice, never a request (msg.h rule 4), so no cycle
 * and no wait; that hop may make it arrive after the writer's reply.
 *
 * Whether a read registers travels with the command: the reply's
 * protocol word (proto/reply.h REPLY_TRACKING) carries the reader's shard
 * when its client tracks the keys it reads (CLIENT TRACKING on, not
 * BCAST, and OPTIN/OPTOUT with CLIENT CACHING agreeing), set by the
 * connection when it dispatches the command, whichever way the command
 * then runs (inline, in a segment, a transaction or a script).
 *
 * Changes: the database reports every key it stores, replaces or removes
 * (expiry and eviction included) through its change hook (db.h); a write
 * command that changed a value in place (INCR, SADD to an existing set)
 * invalidates the keys it writes after it ran; FLUSHDB/FLUSHALL empty the
 * table and send every tracking client a null invalidation (each shard to
 * its own clients). BCAST clients get every changed key matching their
 * prefixes: a changed key goes to each shard that has BCAST clients
 * (srv->trk_bcast[]), which gathers the turn's keys per prefix and sends
 * each client one message per prefix at the end of the loop turn.
 *
 * Costs: with no tracking client anywhere and an empty table, a command
 * and a key change test one shard field and one relaxed atomic.
 *
 * Thread: the shard's own.
 */
#ifndef RINGKV_CORE_TRACKING_H
#define RINGKV_CORE_TRACKING_H

#include "ringkv/core/server.h"
#include "ringkv/data/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shard;
struct cmd_def;
struct cmd_args;
struct cmd_ctx;
struct msg_batch;
struct msg_seg;
struct trk_table;
struct trk_prefix;

struct shard_tracking {
    struct db_change_hook hook;     /* on every database of the shard; first: its callback casts back */
    struct shard *s;
    struct trk_table *table;        /* keys read here, by whom */
    uint64_t keys;                  /* trk_table_keys(table), for the inline test */
    uint64_t writer;                /* the client whose command runs now, 0: none (expiry, eviction) */
    unsigned evict_rounds;          /* tracking-table-max-keys: rounds still over the limit */
    bool script_read;               /* the running script ran a read for a tracking client */
    struct dict clients;            /* its connections with tracking on, by id (net/tracking_mode.c) */
    /* BCAST clients of this shard (net/tracking.c) */
    struct trk_prefix *prefixes;
    uint32_t nprefixes, prefixes_cap;
    bool bcast_pending;             /* some prefix gathered keys this turn */
};

void tracking_setup(struct shard *s);
void tracking_teardown(struct shard *s);

/* Whether a command must take the tracking path: a client tracks
 * somewhere, or keys read before are still in this shard's table. */
static inline bool tracking_live(const struct shard_tracking *t, const struct server *srv)
{
    return t->keys != 0 || __atomic_load_n(&srv->trk_clients, __ATOMIC_RELAXED) != 0;
}

/* What a command's tracking needs from before it runs: the writer to
 * restore after it (commands nest in scripts), and the fingerprints
 * (data/watch.h) of the tracked keys a write may change in place. */
#define TRK_FRAME_KEYS 16
struct trk_frame {
    uint64_t saved_writer;
    uint64_t big_write_lookups;
    int n;                    /* -1: more than TRK_FRAME_KEYS: any change invalidates all */
    int pos[TRK_FRAME_KEYS];
    uint64_t fp[TRK_FRAME_KEYS];
};
/* Around a command run by shard_exec_ctx when tracking_live(): before it,
 * then after it, to register the keys of a read (for a tracking reader)
 * and invalidate those of a write that changed them in place (`ok`: the
 * command did not fail nor say it changed nothing), as WATCH tells (exec.c). */
void tracking_command_begin(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                            const struct cmd_ctx *ctx, struct trk_frame *f);
void tracking_command_end(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                          const struct cmd_ctx *ctx, bool ok, const struct trk_frame *f);

/* FLUSHDB/FLUSHALL ran on this shard: its table empties and its tracking
 * clients get a null invalidation. */
void tracking_flushed(struct shard *s);
/* Timer and per-command upkeep: evicts table keys (invalidating them)
 * while the server's tables hold more than tracking-table-max-keys. */
void tracking_limit(struct shard *s);
/* End of a loop turn, and before a reply leaves the shard (msg.c) or
 * after changes from another shard arrived: BCAST clients get the keys
 * gathered so far, so a message for a write comes before the reply of
 * anything sent after that write answered, as in Redis (its beforeSleep
 * sends them before any reply). */
void tracking_before_sleep(struct shard *s);

/* Target side of a SEG_TRACKING notice. */
void tracking_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);

/* ---- what the connection side (net/tracking.c) asks ---- */

/* The kinds of a SEG_TRACKING item. */
enum trk_item {
    TRK_ITEM_KEY,       /* key invalidated, for tracking client `target` */
    TRK_ITEM_BCAST,     /* key changed by `writer`: for this shard's BCAST prefixes */
    TRK_ITEM_PUSH,      /* a ready invalidation payload for redirect client `target` */
};
/* Sends an item to shard `to` in this turn's message. */
void tracking_send_item(struct shard *s, unsigned to, enum trk_item kind, uint64_t target, uint64_t writer,
                        const char *data, size_t len);

#endif
