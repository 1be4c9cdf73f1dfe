/* msg.h — the cross-shard message protocol.
 *
 * Rules (DESIGN.md, "Ownership of messages"):
 *  1. A message is a ring_op posted to the target shard's ring with
 *     MSG_RING; the target runs its callback on its own thread.
 *  2. A request carries copies of everything it needs (the packed command
 *     arguments): never a pointer into the sender's keyspace or buffers.
 *     Pointers it carries for the sender's own use (the connection a
 *     segment belongs to) are opaque to the target, which never follows them.
 *  3. The target executes, writes the replies into the message, and posts
 *     the same message back. The sender, which allocated it, frees it after
 *     consuming the response. The reply bytes the target allocated travel
 *     with the message (mimalloc returns them to the right heap).
 *  4. A shard never waits for another: requests and responses are just
 *     completions, and a request never causes the target to send a request
 *     of its own, so chains of requests form no cycles.
 *  5. Batching and credits: during a loop turn, all commands for target T
 *     from all connections go into one batch (the outbox for T), posted once
 *     per turn. At most cfg.shard_msg_inflight batches per target are in
 *     flight; a full outbox makes connections wait, never memory grow
 *     without bound or a CQ overflow.
 *
 * A batch holds segments: a segment is the run of consecutive commands of
 * one connection (or one part of a fan-out, see gather below), so replies
 * return to the right place in request order.
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
struct conn;
struct gather;
struct keyspace;

struct msg_seg {
    struct conn *conn;         /* sender-side owner of the replies... */
    struct gather *gather;     /* ...or the fan-out part they belong to */
    uint32_t part;
    uint32_t ncmds;
    uint8_t dbid, resp;
    uint64_t client_id;
    size_t args_off, args_end; /* packed commands in batch->args */
    size_t reply_off, reply_end; /* replies in batch->replies, by the target */
    /* The client's output hard limit (0: none): once the segment's replies
     * reach it the client is disconnected anyway, so the target stops
     * running its commands there, as Redis stops a client over its limit. */
    size_t max_reply;
};

struct msg_batch {
    struct ring_op op;
    uint16_t from, to;
    uint32_t nsegs, segs_cap;
    struct msg_seg *segs;
    struct obuf args;
    struct obuf replies;
    uint64_t ncmds;
};

/* A control message between the server actor and a shard. */
enum ctl_kind { CTL_SHUTDOWN, CTL_DRAINED, CTL_EXIT, CTL_EXITED };
struct ctl_msg {
    struct ring_op op;
    enum ctl_kind kind;
    unsigned shard;
};

/* Sender side: append a command to the open segment of conn for target. */
bool msg_outbox_has_room(struct shard *s, unsigned target);
void msg_add_command(struct shard *s, unsigned target, struct conn *c,
                     const struct cmd_def *cmd, const struct cmd_args *a);
/* Closes a connection's open segment (its next command goes elsewhere). */
void msg_seal_segment(struct conn *c);
/* Posts every non-empty outbox that has credit. Called once per loop turn. */
void msg_flush(struct shard *s);

/* A command fanned out over several shards: one part per shard involved,
 * replies gathered and combined in the caller's order. */
struct gather {
    struct conn *conn;
    const struct cmd_def *cmd;
    uint32_t nparts, pending;
    uint16_t *part_shard;
    struct obuf *part_reply;
    struct cmd_args args;      /* a copy of the original call */
    char *arg_storage;
    uint32_t *key_part;        /* COMBINE_KEYED: for key group k, its part */
    uint32_t nkeys;
    uint8_t resp;
    /* Internal multi-phase work (xshard.c) finishes here instead of by
     * combining replies; it runs even if the connection closed, since it
     * owns what the parts sent back. */
    void (*on_done)(struct gather *g);
    void *user;
};

/* An empty fan-out for internal work: parts are added with gather_add_part. */
struct gather *gather_new(struct conn *c, const struct cmd_def *cmd, uint32_t max_parts);
/* Adds a part for shard `target` running cmd with args; runs it now if local. */
void gather_add_part(struct shard *s, struct gather *g, unsigned target, int dbid,
                     const struct cmd_def *cmd, const struct cmd_args *a);
/* Call after the last gather_add_part: finishes at once if all parts were local. */
void gather_launch(struct gather *g);
void gather_free(struct gather *g);
/* Gives the gather its own copy of a call (g->args). */
void gather_copy_args(struct gather *g, const struct cmd_args *a);

/* Runs a command whose keys span shards and whose replies cannot simply be
 * combined (RENAME, SMOVE, SUNIONSTORE...): see xshard.c. */
void xshard_run(struct shard *s, struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a,
                const int *keypos, int nkeys);

/* Starts a fan-out of the call over the shards that own its keys (or all
 * shards for CMD_ALL_SHARDS). Local parts run inline. Calls
 * conn_gather_done() when every part has answered. */
void msg_fan_out(struct shard *s, struct conn *c, const struct cmd_def *cmd,
                 const struct cmd_args *a, const int *keypos, int nkeys);
/* Sends one part of a fan-out to target (in this turn's batch). */
void msg_add_part(struct shard *s, unsigned target, struct gather *g, uint32_t part, int dbid,
                  const struct cmd_def *cmd, const struct cmd_args *a);
/* A part's reply arrived; the last one combines and answers the client. */
void msg_gather_part_done(struct gather *g, uint32_t part, const char *data, size_t len);
/* Tells msg.c which shard runs on this thread (set once by the shard). */
void msg_set_thread_shard(struct shard *s);

/* Packed arguments, as they travel in messages: [u32 len][bytes] each. */
void msg_pack_arg(struct obuf *out, const void *data, size_t len);
/* Points argv/lens at `argc` packed arguments starting at p; returns the end. */
const char *msg_unpack_args(const char *p, uint32_t argc, const char **argv, size_t *lens);

/* Runs one command on this shard: the single place handlers are called.
 * Counts its time, and when r has stats (a client's whole call, not a
 * part) the call and whether it failed (cmdstats.h). conn is the calling
 * connection for CMD_CONN commands, else NULL. */
void shard_exec(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                int dbid, struct reply *r, struct conn *conn, uint64_t client_id);
/* The same in two steps, for a command run on another keyspace than the
 * shard's own (xshard.c's scratch): the context a handler of shard s gets
 * when it runs on ks, then the run. */
struct cmd_ctx shard_cmd_ctx(struct shard *s, struct keyspace *ks, int dbid, struct reply *r, struct conn *conn,
                             uint64_t client_id);
void shard_exec_ctx(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx);

#endif
