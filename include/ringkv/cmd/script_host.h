/* script_host.h — running a script for a command (script_host.c): the
 * engine's redis.call comes back here and runs within the keys the script
 * may reach (cmd_script.h).
 * Thread: the shard running the command.
 */
#ifndef RINGKV_SCRIPT_HOST_H
#define RINGKV_SCRIPT_HOST_H

#include "ringkv/cmd/commands.h"
#include "ringkv/script/script.h"

#include <stdbool.h>

/* Starts the script itself on the engine (script_run for EVAL). */
typedef enum script_result (*script_runner_fn)(struct script_engine *e, void *arg, const struct script_host *host,
                                               struct obuf *out);

/* Runs a script for the command whose context is c: its calls run in c's
 * keyspace, may touch the keys of reach (in databases reach_dbs, NULL:
 * c->dbid) wherever it runs and free keys of this shard when it runs in
 * place, and may not write when ro; function: FCALL's (FUNCTION KILL's to
 * stop). Its reply, its error or its retry
 * request (cmd_script.h) goes to c->r. */
void script_host_run(struct cmd_ctx *c, struct script_engine *eng, script_runner_fn runner, void *arg, bool ro,
                     bool function, const struct cmd_args *reach, const int *reach_dbs);

#endif
