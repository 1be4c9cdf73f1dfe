/* exec.h — running commands on the shard that owns their keys.
 *
 * shard_exec() is the one place command handlers are called. Around it,
 * this module makes a client's commands (inline on the client's shard, or
 * arriving in a message segment) respect the transaction layer's key
 * intents (txlock.h): a command whose keys a transaction holds does not
 * run beside it. It waits, queued for those keys in line with everyone
 * else, and runs as soon as they are free; the commands the same client
 * sent after it wait behind it, so its order holds. While no transaction
 * holds anything on the shard (lock_table_busy false), the check is one
 * load and the command runs as before.
 *
 * Thread: the shard's own.
 */
#ifndef RINGKV_EXEC_H
#define RINGKV_EXEC_H

#include "ringkv/cmd/commands.h"
#include "ringkv/core/block.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/txlock.h"

#include <stdbool.h>
#include <stdint.h>

struct shard;
struct client;

/* Runs one command on this shard: the single place handlers are called.
 * Counts its time, and when r has stats (a client's whole call, not a
 * part) the call and whether it failed (cmdstats.h). */
void shard_exec(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid, struct reply *r,
                struct client *client, uint64_t client_id);
/* The same in two steps, for a command run on another keyspace than the
 * shard's own (tx_move.c's scratch): the context a handler of shard s gets
 * when it runs on ks, then the run. */
struct keyspace;
/* What follows from the command clock's rate, measured over the shard's
 * life: slowlog-log-slower-than in ticks and latency-tracking's rate. At
 * start, each timer tick and each CONFIG SET (host_config_replace). */
void exec_calibrate(struct shard *s);
/* A client's own call took `ticks`, at least s->slow_ticks (not a
 * script's inner command): where it ran, or where its parts were
 * combined. The slow log takes it past slowlog-log-slower-than (when `a`
 * holds its arguments), the latency monitor past latency-monitor-threshold
 * as a "command" or "fast-command" event. client may be NULL (then no
 * address or name). */
struct client;
void exec_note_slow(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct client *client,
                    uint64_t ticks);
struct cmd_ctx shard_cmd_ctx(struct shard *s, struct keyspace *ks, int dbid, struct reply *r,
                             struct client *client, uint64_t client_id);
void shard_exec_ctx(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx);

/* Whether a command that holds no lock must wait before it runs here: a
 * transaction holds one of its keys (or its database) in a conflicting
 * mode. Inline so that while the shard's lock table (s->locks, passed for
 * that) is empty the check is one load. */
bool exec_keys_wait(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid);
static inline bool exec_must_wait(struct shard *s, struct lock_table *locks, const struct cmd_def *cmd,
                                  const struct cmd_args *a, int dbid)
{
    return lock_table_busy(locks) && exec_keys_wait(s, cmd, a, dbid);
}

/* Who a waiting run answers, and how its commands run. */
struct exec_origin {
    struct msg_done *done;     /* receives the replies */
    int reply_shard;           /* where done lives: this shard, or a late reply goes there */
    uint8_t dbid;
    uint16_t resp;             /* the protocol word (proto/reply.h reply_init) */
    uint64_t client_id;
    size_t max_reply;          /* as msg_seg.max_reply */
    bool counted;              /* a client's own commands: errors count in cmdstats */
};

/* Queues commands that must wait (the first of them must): a copy of the
 * `n` packed commands at `cmds` (msg_pack_command) runs in order as their
 * keys come free, and the replies go to o->done in one final call,
 * after `before` (replies of the same segment's earlier commands). */
void exec_wait(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len, uint32_t n,
               const char *before, size_t before_len);

/* The same for a blocked command (its keys do not exist yet): the run
 * joins the wait registry (block.h) on its first command, which runs again
 * when one of its keys is created, or answers nil at deadline_ms (0:
 * never), and the rest follow. */
void exec_block(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len, uint32_t n,
                const char *before, size_t before_len, long long deadline_ms);

/* Runs a client's command that may block (BLPOP...): true when it did
 * (nothing written; *deadline_ms as exec_block takes it). */
bool shard_exec_blocking(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                         struct reply *r, uint64_t client_id, long long *deadline_ms);
/* After a client's command (or a transaction's release): serves the
 * clients blocked on keys it created. One load when nobody is blocked. */
void exec_serve_blocked(struct shard *s);

/* Ends a client's blocking wait on this shard, if it has one here (or,
 * with CANCEL_WATCH, the watcher standing in for it): see block.h's
 * enum block_cancel. True when there was one. */
bool exec_unblock(struct shard *s, uint64_t client_id, enum block_cancel why);
/* The payload of a SEG_UNBLOCK segment (msg.h): exec_unblock there. */
struct exec_unblock_msg {
    uint64_t client_id;
    enum block_cancel why;
};
void exec_unblock_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);

/* A watcher for a blocking wait coordinated on another shard (xblock.c):
 * when one of the keys exists (now, or later), done hears ":1"; if it is
 * called off first (exec_unblock CANCEL_WATCH), ":0". Returns true when
 * it answered at once, into `now`. */
bool exec_watch(struct shard *s, uint64_t client_id, int dbid, const char *const *keys, const size_t *lens,
                uint32_t nkeys, struct msg_done *done, int reply_shard, struct obuf *now);
void exec_watch_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);
/* The keys a blocked command waits for (its sources: not BLMOVE's
 * destination), into keys/lens (argc entries at most); returns how many. */
uint32_t exec_waited_keys(const struct cmd_def *cmd, const struct cmd_args *a, const char **keys, size_t *lens);

/* Lock wants for a command's keys, for the transaction layer: appends to
 * `wants` (packed, see tx.h) and returns how many it added. */
uint32_t exec_key_wants(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                        struct obuf *wants);

#endif
