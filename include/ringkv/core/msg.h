/* msg.h — the cross-shard message protocol.
 *
 * Rules (DESIGN.md, "Ownership of messages"):
 *  1. A message is a ring_op posted to the target shard's ring with
 *     MSG_RING; the target runs its callback on its own thread.
 *  2. A request carries copies of everything it needs (the packed command
 *     arguments): never a pointer into the sender's keyspace or buffers.
 *     Pointers it carries for the sender's own use (a segment's completion)
 *     are opaque to the target, which never follows them; the same holds
 *     the other way for the transaction layer's handles (tx.h).
 *  3. The target executes, writes the replies into the message, and posts
 *     the same message back. The sender, which allocated it, frees it after
 *     consuming the response. The reply bytes the target allocated travel
 *     with the message (mimalloc returns them to the right heap).
 *  4. A shard never waits for another: requests and responses are just
 *     completions, and a request never causes the target to send a request
 *     of its own, so chains of requests form no cycles.
 *  5. Batching and credits: during a loop turn, all segments for target T
 *     from everyone on this shard go into one batch (the outbox for T),
 *     posted once per turn. At most cfg.shard_msg_inflight batches per
 *     target are in flight; a full outbox makes senders wait, never memory
 *     grow without bound or a CQ overflow.
 *  6. A segment the target cannot finish at once (its commands wait for
 *     keys a transaction holds, or a transaction's locks are queued) is
 *     marked deferred in the batch, which goes back at once, and all its
 *     replies (those of commands that ran before the wait too) follow in a
 *     late reply, a message of its own that the sender frees after
 *     consuming it; the two may arrive in either order. A batch is
 *     therefore always answered in the turn it arrives, and its credit
 *     comes back whatever waits: waiting never holds up the messages that
 *     end the wait. Late replies take no credit; there is at most one per
 *     waiting segment.
 *
 * A batch holds segments: a segment is the run of consecutive commands of
 * one sender (a connection, or one shard's part of a transaction), so
 * replies return to the right place in request order. Each segment names
 * its sender's completion, which the message layer calls with the replies
 * and nothing else: it never knows who is behind a completion.
 *
 * Single-threaded except as the rules say: a message is owned by exactly one
 * shard at any time.
 */
#ifndef RINGKV_MSG_H
#define RINGKV_MSG_H

#include "ringkv/cmd/commands.h"
#include "ringkv/proto/reply.h"
#include "ringkv/core/ring.h"

#include <stdbool.h>
#include <stdint.h>

struct shard;

/* A completion owned by a segment's sender: it receives the segment's
 * replies, all at once (`final` is always true from the message layer; a
 * plan may pass partial results internally). */
struct msg_done;
typedef void (*msg_done_fn)(struct msg_done *d, const char *replies, size_t len, bool final);
struct msg_done {
    msg_done_fn fn;
};
/* A completion for answers nobody waits for (fire and forget). */
extern struct msg_done msg_done_ignored;

/* What a sender of plain commands (a connection) keeps between the
 * commands it adds to its open segment. */
struct msg_sender {
    struct msg_done done;
    /* the segment commands join while it is open: sealed at each flush */
    struct msg_batch *open_batch;
    uint32_t open_index;
    /* set by the sender before adding commands */
    uint8_t dbid;
    uint16_t resp;             /* the protocol word (reply_init) */
    uint64_t client_id;
    size_t max_reply;          /* output hard limit, 0: none (see msg_seg) */
    int last_target;           /* where its last segment went, -1: nowhere yet */
};

/* Someone waiting for room in an outbox: woken once, after a flush. */
struct msg_waiter {
    void (*wake)(struct msg_waiter *w);
    bool queued;
};

enum msg_seg_kind {
    SEG_COMMANDS = 0,   /* a client's commands, run as they come */
    SEG_TX,             /* a transaction's part: see tx.h */
    SEG_UNBLOCK,        /* a client's blocking wait ends (exec.h); nobody waits for an answer */
    SEG_WATCH,          /* a watcher for a wait coordinated on the sender's shard (exec.h) */
    SEG_SCRIPT,         /* a client's script, run in place on the owner of its keys (xscript.h) */
    SEG_PUBLISH,        /* messages for this shard's subscribers (keyspace notifications, notify.h); no answer */
    SEG_MONITOR,        /* lines for this shard's monitors (net/monitor.h); no answer */
    SEG_TRACKING,       /* client-side caching invalidations (core/tracking.h); no answer */
};

struct msg_seg {
    struct msg_done *done;     /* the sender's completion; NULL: nobody waits */
    uint8_t kind, dbid;
    uint16_t resp;             /* the protocol word (proto/reply.h reply_init) */
    bool deferred;             /* set by the target: a late reply follows */
    uint32_t ncmds;
    uint64_t client_id;
    size_t args_off, args_end; /* packed payload in batch->args */
    size_t reply_off, reply_end; /* replies in batch->replies, by the target */
    /* The client's output hard limit (0: none): once the segment's replies
     * reach it the client is disconnected anyway, so the target stops
     * running its commands there, as Redis stops a client over its limit. */
    size_t max_reply;
};

/* Target side: how far a batch's keys have been prefetched. */
struct msg_prefetch {
    uint32_t seg, cmd;
    const char *p;
    uint32_t left;             /* prefetched commands not run yet */
};

struct msg_batch {
    struct ring_op op;
    uint16_t from, to;
    uint32_t nsegs, segs_cap;
    struct msg_seg *segs;
    struct obuf args;
    struct obuf replies;
    uint64_t ncmds;
    struct msg_prefetch prefetch;
    bool publishes;            /* holds a SEG_PUBLISH: goes before anything else is posted */
    bool uncredited;           /* posted without credit (it publishes): returns none */
};

/* ---- sender side ---- */

/* Whether target's outbox takes another segment now; when not, the waiter
 * (if given) is woken after the next flush. */
bool msg_outbox_has_room(struct shard *s, unsigned target, struct msg_waiter *w);
/* Appends a command to the sender's open segment for target, opening one
 * (and counting nothing: the sender tracks what it has in flight). Returns
 * true when it opened a new segment. */
bool msg_add_command(struct shard *s, unsigned target, struct msg_sender *snd, const struct cmd_def *cmd,
                     const struct cmd_args *a);
/* Whether the sender's open segment goes to target (its next command for
 * target may join it). */
bool msg_sender_open_to(const struct msg_sender *snd, unsigned target);
/* A new segment of another kind, its payload copied in; for the
 * transaction layer. */
void msg_add_segment(struct shard *s, unsigned target, enum msg_seg_kind kind, struct msg_done *done, int dbid,
                     int resp, uint64_t client_id, const void *payload, size_t len);
/* Adds a message for target's subscribers of channel to its outbox, after
 * everything this shard sent it before; consecutive ones share a segment. */
void msg_add_publish(struct shard *s, unsigned target, const char *channel, size_t clen, const char *msg,
                     size_t mlen);
/* Adds a line for target's monitors, as msg_add_publish. */
void msg_add_monitor(struct shard *s, unsigned target, const char *line, size_t len);
/* Adds a client-side caching item (a header and its data) for target, as
 * msg_add_publish. */
void msg_add_tracking(struct shard *s, unsigned target, const void *head, size_t hlen, const void *data,
                      size_t dlen);
/* The shard stops: what its outboxes still hold is never sent (the
 * other shards are stopping too). */
void msg_discard_outboxes(struct shard *s);
/* Posts every non-empty outbox that has credit. Called once per loop turn. */
void msg_flush(struct shard *s);

/* ---- target side ---- */

/* Runs a segment's payload into b->replies (see exec.h, tx.h); sets
 * seg->deferred when a late reply will carry the rest. */
void exec_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
void tx_part_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
void exec_unblock_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
void exec_watch_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
void notify_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
/* The first key a transaction op wants, for prefetching; false if none. */
bool tx_part_first_key(const char *payload, int *dbid, const char **key, size_t *len);
/* Call before running each command of a batch: warms the cache for the
 * keys of the next ones (see msg.c). */
void msg_prefetch_step(struct shard *s, struct msg_batch *b);
/* Sends the rest of a deferred segment's replies to its sender, taking
 * the buffer's memory over. */
void msg_send_late(struct shard *s, unsigned to, struct msg_done *done, struct obuf *replies);

/* Tells msg.c which shard runs on this thread (set once by the shard). */
void msg_set_thread_shard(struct shard *s);
/* The shard running on this thread (for completions of messages). */
struct shard *msg_thread_shard(void);

/* Packed arguments, as they travel in messages: [u32 len][bytes] each. */
void msg_pack_arg(struct obuf *out, const void *data, size_t len);
/* Points argv/lens at `argc` packed arguments starting at p; returns the end. */
const char *msg_unpack_args(const char *p, uint32_t argc, const char **argv, size_t *lens);
/* A packed command: [cmd pointer][u32 argc] then its arguments. The
 * pointer is into the immutable command table, valid on every shard. */
void msg_pack_command(struct obuf *out, const struct cmd_def *cmd, const struct cmd_args *a);
/* Reads one packed command at p into (cmd, a), with a's vectors taken from
 * the shard's scratch; returns the end. */
const char *msg_unpack_command(struct shard *s, const char *p, const struct cmd_def **cmd, struct cmd_args *a);

#endif
