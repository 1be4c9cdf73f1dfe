/* pause.h — CLIENT PAUSE: the whole server stops running its clients'
 * commands (ALL) or those that may write (WRITE: CMD_WRITE or
 * CMD_MAY_REPLICATE, EXEC of such a queue, scripts that may write) until
 * a time or CLIENT UNPAUSE, as Redis 7.0 does for failovers.
 *
 * The pause is two atomics of the server, set by whichever shard runs
 * CLIENT PAUSE (a later pause extends the time and keeps the stricter
 * type) and read by every shard before it runs a command. A paused
 * connection keeps its command unparsed and is flagged CONN_PAUSED; the
 * shard's timer retries its flagged connections each tick (CLIENT UNPAUSE
 * retries its own shard's at once), so they resume within a timer period
 * of the pause's end. Paused connections count as blocked clients. While
 * paused, keys do not expire, actively or on access (an expired key reads
 * as missing but stays), as in Redis.
 *
 * Thread: any shard; the state is atomics only.
 */
#ifndef RINGKV_CORE_PAUSE_H
#define RINGKV_CORE_PAUSE_H

#include "ringkv/cmd/commands.h"
#include "ringkv/core/server.h"

#include <stdbool.h>

struct shard;
struct server;
struct conn;

enum pause_type { PAUSE_OFF = 0, PAUSE_WRITE = 1, PAUSE_ALL = 2 }; /* Redis's order: stricter is bigger */

/* The pause in force now (OFF once its time has passed). */
enum pause_type pause_now(const struct server *srv);
/* Pauses until end_ms (unix) at least, type at least. */
void pause_start(struct server *srv, long long end_ms, enum pause_type type);
void pause_stop(struct server *srv);

/* Whether a command may write, for the pause: CMD_WRITE or
 * CMD_MAY_REPLICATE, a script or function unless it declares no-writes. */
bool pause_cmd_may_write(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a);
/* Whether c must wait before running its command (may_write: the
 * command, or the transaction EXEC runs, may write; under ALL every
 * command waits, CLIENT UNPAUSE too, as in Redis); if so, c is flagged
 * CONN_PAUSED. */
bool pause_holds(struct conn *c, bool may_write);
/* Whether a pause was started and not stopped (it may have run out): the
 * cheap test before pause_holds. */
static inline bool pause_maybe(const struct server *srv) { return __atomic_load_n(&srv->pause_type, __ATOMIC_RELAXED) != 0; }
/* Lets the shard's paused connections try again (timer, UNPAUSE). */
void pause_retry(struct shard *s);
/* Tells the data layer to ask pause_now() before expiring a key. */
void pause_setup(void);

#endif
