/* tx.h — the multi-shard transaction layer.
 *
 * Everything that touches keys on more than one shard runs as a
 * transaction: multi-key commands whose keys are apart (MSET, MGET, DEL,
 * RENAME, SMOVE, SUNIONSTORE, ...), database-wide commands (DBSIZE,
 * FLUSHALL, SWAPDB, KEYS), MULTI/EXEC, and later scripts and blocking pops.
 * A transaction is run by a coordinator on the client's shard; each shard
 * it touches is a participant, holding the transaction's key intents in
 * its lock table (txlock.h) for as long as the transaction needs them.
 *
 * The protocol
 *  1. Plan. The coordinator works out, per participant, the locks it needs
 *     (keys in S or X, whole databases for database-wide commands) and the
 *     commands it runs there.
 *  2. Lock, in ascending shard order, one participant at a time: LOCK goes
 *     to the lowest participant; when its locks are granted (at once, or
 *     after the requests queued before it there), it answers, and only then
 *     does LOCK go to the next one. A participant may run commands as soon
 *     as its locks are granted (reads, or a one-shot transaction's whole
 *     part: the writes stay invisible, since no one else may touch those
 *     keys until release).
 *  3. Execute: once all participants hold their locks, the coordinator may
 *     run further rounds (EXEC to the participants concerned, in parallel),
 *     each using the results of the last: a value moved from one shard to
 *     another, a member set gathered then stored.
 *  4. Release: RELEASE to every participant, or with its last EXEC (the
 *     last participant of a one-shot transaction releases right after its
 *     part). The client is answered when the last round has answered.
 *
 * Invariants
 *  - Every access to a key takes its shard's lock table into account: a
 *    transaction's own parts run under its locks; a client's single
 *    command runs only when no granted lock conflicts with it (exec.h).
 *  - A transaction releases nothing before it holds everything (two-phase
 *    locking), so conflicting transactions are serialized, every shard
 *    sees them in the same order, and no client, on any shard, can see
 *    part of one: its writes on a shard stay locked until all are done.
 *  - Messages of the protocol are ordinary segments in the shards' batches
 *    (msg.h); a wait is a deferred segment answered by a late reply, never
 *    a shard waiting on another.
 *
 * Why it cannot deadlock
 *  Within a shard, a request waits only for requests queued before it
 *  there (txlock.h). Across shards, a transaction asks a shard for locks
 *  only while holding locks on lower shards, never higher ones. Take the
 *  waiting transaction whose highest held shard is highest: whatever it
 *  waits for on the next shard was granted there and waits, if at all, on
 *  a shard higher still, where it again waits only for holders that are
 *  themselves going up. The chain climbs a finite number of shards and
 *  ends at a transaction that holds everything it needs, which finishes and
 *  releases. A client's single command holds nothing while it waits, so it
 *  is never part of a cycle.
 *
 * Bounds: a transaction belongs to one connection, which has at most one
 * in flight; its memory is its plan (its commands' arguments) and its
 * replies, both bounded by the client's query and output limits.
 *
 * Thread: the coordinator's functions run on the client's shard, the
 * participant's (tx_part_segment, tx_part_run) on each participant.
 */
#ifndef RINGKV_TX_H
#define RINGKV_TX_H

#include "ringkv/cmd/commands.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/txlock.h"

#include <stdbool.h>
#include <stdint.h>

struct shard;

struct client;

/* Where a transaction's reply goes: the client's completion, called once
 * with the whole reply; and the client itself, for the connection
 * commands (SELECT, CLIENT SETNAME) a MULTI may hold. */
struct tx_client {
    struct msg_done *done;
    int dbid;
    uint16_t resp;             /* the protocol word (proto/reply.h reply_init) */
    uint64_t client_id;
    struct client *client;
    /* A blocked command tried again (xblock.c): its handler runs serving
     * (cmd_ctx.serving). */
    bool serving;
    /* A script's try (core/xscript.c): it may ask for a wider key set
     * (cmd_ctx.script_may_retry). */
    bool script_may_retry;
};

/* Runs a command whose keys live on several shards, or that runs on every
 * shard (CMD_ALL_SHARDS), atomically. keypos/nkeys: its key positions. */
void tx_run_command(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                    const int *keypos, int nkeys);

/* A blocking command (BLPOP...) whose keys live on several shards: tried
 * as a transaction, and while it finds nothing, waiting for one of its
 * keys on any of their shards (xblock.c). */
void tx_run_blocking(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                     const int *keypos, int nkeys);
/* The shard stops: frees the waits it coordinates (after the registry). */
void xblock_discard_all(struct shard *s);

/* EXEC: a client's queued commands, as its connection hands them over
 * (copied). cmds: n packed commands (msg_pack_command), dbids[i] the
 * database of command i (SELECTs in the queue counted); watched: the
 * keys the client WATCHes, nwatched packed [i32 db][key arg] (tx_pack_key).
 * Runs them atomically and answers with their replies as an array, or a
 * null array when a watched key changed since WATCH. */
struct tx_multi_queue {
    const char *cmds;
    size_t len;
    uint32_t n;
    const int *dbids;
    const char *watched;
    size_t watched_len;
    uint32_t nwatched;
};
void tx_run_multi(struct shard *s, const struct tx_client *cl, const struct tx_multi_queue *q);
/* A packed key with its database, as the watched keys travel. */
void tx_pack_key(struct obuf *out, int dbid, const char *key, size_t len);
const char *tx_unpack_key(const char *p, int *dbid, const char **key, size_t *len);

/* Packed lock wants, as they travel in LOCK: [i32 db][u32 mode][key arg];
 * a whole database has mode | TX_WANT_DB and an empty key. */
#define TX_WANT_DB 0x100u
void tx_pack_want(struct obuf *out, int dbid, const char *key, size_t len, enum lock_mode mode);
void tx_pack_db_want(struct obuf *out, int dbid, enum lock_mode mode);
/* Reads n packed wants at p (keys point into the packed bytes); returns the end. */
const char *tx_unpack_wants(const char *p, uint32_t n, struct lock_want *out);

#endif
