/* multi.h — a connection's transaction state: MULTI's queue, whether a
 * queueing error dooms it, and the keys the client WATCHes.
 *
 * Between MULTI and EXEC the connection queues the commands it receives
 * (+QUEUED) instead of running them; EXEC hands the queue and the watched
 * keys to the transaction layer (tx_run_multi), which runs it atomically
 * across shards. The replies, errors and edge cases are Redis 7.0's:
 * errors while queueing (unknown command, arity) make EXEC answer
 * EXECABORT; nested MULTI and WATCH inside MULTI are refused without
 * dooming the transaction; UNWATCH inside MULTI is queued.
 *
 * The watches themselves live with the keys' owners (data/watch.h); the
 * connection keeps the key names, to have them checked at EXEC and
 * forgotten at UNWATCH, DISCARD and disconnection.
 *
 * Thread: the connection's shard.
 */
#ifndef RINGKV_NET_MULTI_H
#define RINGKV_NET_MULTI_H

#include "ringkv/cmd/commands.h"

#include <stdbool.h>
#include <stddef.h>

struct conn;

enum multi_verdict { MULTI_PASS, MULTI_DONE, MULTI_WAIT };

/* Every command that passed the checks comes here first: the transaction
 * commands are handled, and inside MULTI the others queued. MULTI_PASS:
 * run the command as usual; MULTI_DONE: handled; MULTI_WAIT: try again
 * once nothing of the connection is in flight. */
enum multi_verdict multi_dispatch(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a);
/* A command refused before it ran (unknown, arity, authentication), its
 * error about to be written. Inside MULTI the transaction is doomed. For
 * EXEC itself, the transaction ends and the error becomes EXECABORT's
 * reason: true when the reply was written here. */
bool multi_refused(struct conn *c, const struct cmd_def *cmd, const char *err, size_t len);
/* Whether the connection is inside MULTI, and how many commands it queued. */
bool multi_active(const struct conn *c);
/* Whether a command queued in the open transaction may write. */
bool multi_may_write(const struct conn *c);
long multi_queued(const struct conn *c);
/* The connection is going: its watches are forgotten. */
void multi_conn_closed(struct conn *c);

#endif
