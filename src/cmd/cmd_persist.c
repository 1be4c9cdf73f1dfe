/* cmd_persist.c — SAVE, BGSAVE, LASTSAVE, SHUTDOWN: snapshots and
 * stopping, which the host runs (core/snapshot.h). SAVE and BGSAVE run on
 * their client's shard, which becomes the snapshot's origin. */
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/base/config.h"

#include <string.h>

#define ERR_IN_PROGRESS "ERR Background save already in progress"

/* Unlike Redis's, the server keeps serving while SAVE writes; the client
 * that asked waits for the file, as with Redis. */
static void save_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!host_snapshot_claim(c->host)) {
        reply_error(c->r, ERR_IN_PROGRESS);
        return;
    }
    host_snapshot_start(c->host, HOST_SNAPSHOT_SAVE, client_defer_reply(c->client));
}

static void bgsave_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool schedule = false;
    if (a->argc > 2 || (a->argc == 2 && !(schedule = arg_is(a, 1, "schedule")))) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (!host_snapshot_claim(c->host)) {
        if (!schedule) {
            reply_error(c->r, ERR_IN_PROGRESS);
            return;
        }
        host_snapshot_schedule(c->host);
        reply_status(c->r, "Background saving scheduled");
        return;
    }
    host_snapshot_start(c->host, HOST_SNAPSHOT_BGSAVE, client_defer_reply(c->client));
}

static void lastsave_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct server_facts srv;
    host_server_facts(&srv);
    reply_int(c->r, srv.lastsave);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. NOW and FORCE are
 * accepted: there are no replicas to wait for, and a failed save keeps
 * the server running as Redis does without FORCE. */
static void shutdown_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool save = false, nosave = false, abort_ = false;
    for (int i = 1; i < a->argc; i++) {
        if (arg_is(a, i, "nosave")) nosave = true;
        else if (arg_is(a, i, "save")) save = true;
        else if (arg_is(a, i, "now") || arg_is(a, i, "force")) continue;
        else if (arg_is(a, i, "abort")) abort_ = true;
        else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    if ((save && nosave) || (abort_ && a->argc > 2)) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (abort_) {
        reply_error(c->r, "ERR No shutdown in progress.");
        return;
    }
    if (save || (!nosave && c->cfg->save_count > 0)) {
        host_shutdown(c->host, true, client_defer_reply(c->client));
        return;
    }
    host_shutdown(c->host, false, NULL);
    client_close_after_reply(c->client); /* as Redis: no reply, the connection ends */
}

const struct cmd_def persist_commands[] = {
    {.name = "save", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_NO_MULTI | CMD_CONN,
     .fn = save_command, .group = "server", .summary = "Synchronously save the dataset to disk", .since = "1.0.0",
     .complexity = "O(N) where N is the total number of keys in all databases"},
    {.name = "bgsave", .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_ASYNC_LOADING | CMD_CONN,
     .fn = bgsave_command, .group = "server", .summary = "Asynchronously save the dataset to disk", .since = "1.0.0",
     .complexity = "O(1)", .syntax = "[SCHEDULE]@3.2.2",
     .history = (const char *const[]){"3.2.2", "Added the `SCHEDULE` option.", NULL}},
    {.name = "lastsave", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .fn = lastsave_command,
     .group = "server", .summary = "Get the UNIX time stamp of the last successful save to disk", .since = "1.0.0",
     .complexity = "O(1)", .acl_categories = "admin dangerous", .tips = "nondeterministic_output"},
    {.name = "shutdown", .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY | CMD_CONN,
     .fn = shutdown_command, .group = "server",
     .summary = "Synchronously save the dataset to disk and then shut down the server", .since = "1.0.0",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, "
                   "otherwise O(1)",
     .syntax = "[NOSAVE | SAVE] [NOW]@7.0.0 [FORCE]@7.0.0 [ABORT]@7.0.0",
     .history = (const char *const[]){"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.", NULL}},
    {0},
};
