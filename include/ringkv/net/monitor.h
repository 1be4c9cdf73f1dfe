/* monitor.h — MONITOR: each command the server runs, as one line, to
 * every connection that asked.
 *
 * A command is fed where its connection lives, when it is accepted to run
 * (after the checks that refuse it outright: unknown, arity, NOAUTH...),
 * as Redis feeds what reaches call(): `+<unix s>.<us> [<db> <addr>] "arg"
 * ...`. Transactions show MULTI, then the queued commands at EXEC, then
 * EXEC; scripts their EVAL/FCALL line, then each redis.call as `[<db>
 * lua]`; administrative commands (CMD_ADMIN) are never shown, and
 * AUTH/HELLO passwords are shown as "(redacted)".
 *
 * Monitors are connections, so each shard keeps its own; a line reaches
 * the monitors of other shards in the loop turn's message to them (a
 * SEG_MONITOR, posted first like keyspace notifications), and only the
 * shards that have monitors (srv->monitors[]) get it. With no monitor
 * anywhere feeding costs one relaxed load.
 *
 * Thread: the shard the connections belong to.
 */
#ifndef RINGKV_NET_MONITOR_H
#define RINGKV_NET_MONITOR_H

#include "ringkv/core/server.h"

#include <stdbool.h>

struct conn;
struct shard;
struct cmd_def;
struct cmd_args;
struct msg_batch;
struct msg_seg;

/* Whether any shard has a monitor: the caller's cheap test. */
static inline bool monitor_any(const struct server *srv)
{
    return __atomic_load_n(&srv->monitors_total, __ATOMIC_RELAXED) != 0;
}

/* A client's command, accepted to run in database dbid. */
void monitor_feed_command(struct conn *c, const struct cmd_def *cmd, int dbid, const struct cmd_args *a);
/* The connection stops monitoring (RESET, close); idempotent. */
void monitor_conn_closed(struct conn *c);
/* Target side of a SEG_MONITOR: its lines to this shard's monitors. */
void monitor_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);

#endif
