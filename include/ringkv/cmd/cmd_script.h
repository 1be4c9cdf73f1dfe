/* cmd_script.h — what the shard layer needs to know of EVAL and friends.
 *
 * A script runs whole, synchronously, on one shard: in place on the
 * client's shard when the keys it declared are there and free, or on the
 * values of its keys moved there inside a transaction (core/xscript.c,
 * tx_move.c). Either way it may touch only keys within reach: in place,
 * its declared keys and any other key this shard owns that no
 * transaction holds; on moved values, the keys that were moved. A key out
 * of reach ends the try with its writes undone; when the run may be
 * retried (cmd_ctx.script_may_retry) its reply is then a retry request
 * naming the key, and the shard runs the script again over the wider key
 * set, as the internal command script_wide_cmd.
 */
#ifndef RINGKV_CMD_SCRIPT_H
#define RINGKV_CMD_SCRIPT_H

#include "ringkv/cmd/commands.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first byte of a retry request. No RESP reply starts with it, so a
 * request can never be mistaken for (or reach) a client. After it:
 * [i32 db][u32 len][key]: the key to add to the run (a script may SELECT
 * another database). */
#define SCRIPT_RETRY_MARK '\x01'

/* The key of a retry request (pointing into data); false when data is
 * not one. */
bool script_retry_key(const char *data, size_t len, int *dbid, const char **key, size_t *klen);

/* The first byte of a finished script's reply that carries the messages
 * it published (with more than one shard, a script's PUBLISH goes out to
 * every shard once the script's effects are visible, and only if its try
 * finished): [u32 n] then n times [u32 len][channel][u32 len][message],
 * then the reply itself. */
#define SCRIPT_PUBLISH_MARK '\x02'

/* Calls fn for each message a reply carries; returns the length of the
 * part that carries them (0: none), the client's reply following it. */
typedef void (*script_publish_fn)(void *arg, const char *channel, size_t clen, const char *msg, size_t mlen);
size_t script_take_publishes(const char *data, size_t len, script_publish_fn fn, void *arg);

/* A script run over more keys than it declared: argv = [name, the
 * client's EVAL... (or FCALL...) call, n extra keys..., their n
 * databases..., n]. Its keys: the declared ones and the extras, in that
 * order. The _ro form runs EVAL_RO, EVALSHA_RO and FCALL_RO (read locks,
 * values copied). */
extern const struct cmd_def script_wide_cmd, script_wide_ro_cmd;

/* Builds the wide call of a client's EVAL-family call with extra keys in
 * databases dbs; argv/lens must hold a->argc + 2 * nextra + 2 entries;
 * numbufs holds nextra + 1 numbers. */
void script_wide_args(const struct cmd_args *a, bool ro, const char *const *extra, const size_t *extra_lens,
                      const int *dbs, int nextra, const char **argv, size_t *lens, char (*numbufs)[24],
                      struct cmd_args *out);

/* SCRIPT KILL's reply (functions: FUNCTION KILL's), stopping what it may. */
void script_kill_reply(struct cmd_ctx *c, bool functions);
/* The -BUSY error (without '-') for a busy script, or a busy function. */
const char *script_busy_error(bool function);

/* Whether a command is one of EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL,
 * FCALL_RO (they route alike: numkeys at argv[2]). */
bool cmd_is_script_run(const struct cmd_def *cmd);
/* Whether a call of the EVAL family may write, as its script or function
 * declares (`no-writes`), for CLIENT PAUSE WRITE; the _RO forms never. */
struct host;
bool script_run_may_write(struct host *h, const struct cmd_def *cmd, const struct cmd_args *a);

#endif
