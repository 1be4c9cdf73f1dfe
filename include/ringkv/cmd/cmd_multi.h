/* cmd_multi.h — the shard-side commands behind WATCH (see cmd_multi.c),
 * for the connection's transaction state (net/multi.c) and EXEC's
 * transaction (core/tx_multi.c). Both take [name, key, db, key, db...] and
 * are not in the command table. */
#ifndef RINGKV_CMD_MULTI_H
#define RINGKV_CMD_MULTI_H

#include "ringkv/cmd/commands.h"

/* Forgets the calling client's watches on the keys; replies +OK. */
extern const struct cmd_def unwatch_keys_cmd;
/* Whether any of the keys changed since the client watched them (:1) or
 * not (:0); forgets the watches. */
extern const struct cmd_def watch_check_cmd;

#endif
