/* cmd_server.c — server commands: PING, ECHO, TIME, DBSIZE, FLUSHDB,
 * FLUSHALL, CONFIG. Handlers run on the shard the dispatcher picked. */
#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/config.h"
#include "ringkv/base/config_rewrite.h"
#include "ringkv/base/log.h"
#include "ringkv/cmd/host.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

static void ping_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 2) {
        reply_error(c->r, "ERR wrong number of arguments for 'ping' command");
        return;
    }
    if (c->client && client_in_pubsub_mode(c->client)) { /* RESP2 subscribers get an array */
        reply_array(c->r, 2);
        reply_bulk_cstr(c->r, "pong");
        reply_bulk(c->r, a->argc == 2 ? a->argv[1] : "", a->argc == 2 ? a->len[1] : 0);
        return;
    }
    if (a->argc == 2) reply_bulk(c->r, a->argv[1], a->len[1]);
    else reply_status(c->r, "PONG");
}

static void echo_command(struct cmd_ctx *c, const struct cmd_args *a) { reply_bulk(c->r, a->argv[1], a->len[1]); }

static void time_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array(c->r, 2);
    reply_bulk_ll(c->r, tv.tv_sec);
    reply_bulk_ll(c->r, tv.tv_usec);
}

/* ringkv has no replication: every server is a master without replicas,
 * which is what ROLE and INFO replication say. */
static void role_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_array(c->r, 3);
    reply_bulk_cstr(c->r, "master");
    reply_int(c->r, 0);
    reply_array(c->r, 0);
}

static void dbsize_command(struct cmd_ctx *c, const struct cmd_args *a) { reply_int(c->r, (long long)db_size(c->db)); }

/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: freeing is synchronous either way. */
static bool flush_args_ok(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc == 1) return true;
    if (a->argc == 2 && (arg_is(a, 1, "async") || arg_is(a, 1, "sync"))) return true;
    reply_error(c->r, RK_ERR_SYNTAX);
    return false;
}

static void flushdb_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!flush_args_ok(c, a)) return;
    db_flush(c->db);
    if (c->host) host_tracking_flushed(c->host);
    reply_ok(c->r);
}

/* With save points, Redis saves the emptied dataset at once; here a
 * snapshot is scheduled (its cut comes after the flush on every shard,
 * and it starts within a timer tick, or when one running ends). */
static void flushall_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (!flush_args_ok(c, a)) return;
    ks_flush(c->ks);
    if (c->host) host_tracking_flushed(c->host);
    if (c->cfg->save_count > 0 && c->host) host_snapshot_schedule(c->host);
    reply_ok(c->r);
}

struct config_get_state {
    struct reply *r;
    long long n;
    const char *seen[256];
};

static void config_get_one(const char *name, const char *value, void *arg)
{
    struct config_get_state *st = arg;
    for (long long i = 0; i < st->n; i++)
        if (strcmp(st->seen[i], name) == 0) return;
    if (st->n < 256) st->seen[st->n] = name;
    st->n++;
    reply_bulk_cstr(st->r, name);
    reply_bulk_cstr(st->r, value);
}

static void config_get_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct config_get_state st = {.r = c->r};
    size_t at = reply_defer(c->r);
    for (int i = 2; i < a->argc; i++) config_get(c->cfg, a->argv[i], a->len[i], config_get_one, &st);
    reply_defer_map(c->r, at, st.n);
}

/* As Redis, before any value is looked at: every name is known, and no
 * directive comes twice (by its name or an alias). */
static bool config_set_names_ok(struct reply *r, const struct cmd_args *a)
{
    for (int i = 2; i < a->argc; i += 2) {
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)a->len[i], a->argv[i]);
        const char *canon = config_canonical_name(name);
        if (!canon) {
            reply_errorf(r, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", name);
            return false;
        }
        for (int j = 2; j < i; j += 2) {
            char earlier[128];
            snprintf(earlier, sizeof(earlier), "%.*s", (int)a->len[j], a->argv[j]);
            if (config_canonical_name(earlier) == canon) {
                reply_errorf(r, "ERR CONFIG SET failed (possibly related to argument '%s') - duplicate parameter",
                             name);
                return false;
            }
        }
    }
    return true;
}

/* As Redis answers a setting that passed its checks but could not be
 * applied: naming the command's argument for the directive (a name ending
 * in '-' stands for the first of that family). */
static void reply_apply_failed(struct reply *r, const struct cmd_args *a, const char *directive, const char *why)
{
    size_t dl = strlen(directive);
    bool family = dl && directive[dl - 1] == '-';
    int at = 2;
    for (int i = 2; i < a->argc; i += 2)
        if (family ? a->len[i] > dl && strncasecmp(a->argv[i], directive, dl) == 0
                   : a->len[i] == dl && strncasecmp(a->argv[i], directive, dl) == 0) {
            at = i;
            break;
        }
    log_warn("Failed applying new configuration. Possibly related to new %.*s setting. Restoring previous settings.",
             (int)a->len[at], a->argv[at]);
    reply_errorf(r, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s", (int)a->len[at], a->argv[at],
                 why);
}

/* Runs on every shard: each validates on a scratch copy, then applies, so
 * a bad value leaves every shard's configuration as it was. */
static void config_set_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc % 2 != 0) { /* parameter/value pairs */
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    if (!config_set_names_ok(c->r, a)) return;
    struct config scratch;
    config_copy(&scratch, c->cfg);
    for (int i = 2; i < a->argc; i += 2) {
        char name[128], value[4096], err[256];
        snprintf(name, sizeof(name), "%.*s", (int)a->len[i], a->argv[i]);
        snprintf(value, sizeof(value), "%.*s", (int)a->len[i + 1], a->argv[i + 1]);
        const char *values[1] = {value};
        if (!config_set(&scratch, name, values, 1, true, err, sizeof(err))) {
            if (strcmp(err, "Bad directive or wrong number of arguments") == 0)
                reply_errorf(c->r, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", name);
            else
                reply_errorf(c->r, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, err);
            config_free(&scratch);
            return;
        }
    }
    const struct config *was = c->cfg;
    struct config before;
    bool acl_owner = c->shard_index == 0; /* the ACL registry is the server's: changed once */
    if (acl_owner) config_copy(&before, was);
    const char *directive = "", *why = host_config_replace(c->host, &scratch, &directive);
    if (why) {
        reply_apply_failed(c->r, a, directive, why);
        config_free(&scratch);
        if (acl_owner) config_free(&before);
        return;
    }
    if (acl_owner) {
        acl_config_changed(&before, c->cfg);
        config_free(&before);
    }
    reply_ok(c->r);
}

static void config_resetstat_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    ks_reset_stats(c->ks);
    host_reset_stats(c->host);
    reply_ok(c->r);
}

static void config_rewrite_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    char err[256];
    if (!c->cfg->config_file) {
        reply_error(c->r, "ERR The server is running without a config file");
    } else if (!config_rewrite(c->cfg, c->cfg->config_file, err, sizeof err)) {
        log_warn("CONFIG REWRITE failed: %s", err);
        reply_errorf(c->r, "ERR Rewriting config file: %s", err);
    } else {
        log_notice("CONFIG REWRITE executed with success.");
        reply_ok(c->r);
    }
}

static void config_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def config_subcommands[] = {
    {.name = "config|get", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_CONN,
     .fn = config_get_command, .group = "server", .summary = "Get the values of configuration parameters", .since = "2.0.0",
     .complexity = "O(N) when N is the number of configuration parameters provided", .syntax = "<parameter> [<parameter> ...]",
     .history = (const char *const[]){"7.0.0", "Added the ability to pass multiple pattern parameters in one call", NULL}},
    {.name = "config|set", .arity = -4, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS,
     .fn = config_set_command, .combine = COMBINE_OK, .group = "server", .summary = "Set configuration parameters to the given values",
     .since = "2.0.0", .complexity = "O(N) when N is the number of configuration parameters provided",
     .tips = "request_policy:all_nodes response_policy:all_succeeded", .syntax = "parameter value [parameter value ...]",
     .history = (const char *const[]){"7.0.0", "Added the ability to set multiple parameters in one call.", NULL}},
    {.name = "config|resetstat", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS,
     .fn = config_resetstat_command, .combine = COMBINE_OK, .group = "server", .summary = "Reset the stats returned by INFO",
     .since = "2.0.0", .complexity = "O(1)"},
    {.name = "config|rewrite", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_CONN,
     .fn = config_rewrite_command, .group = "server",
     .summary = "Rewrite the configuration file with the in memory configuration", .since = "2.8.0",
     .complexity = "O(1)"},
    {.name = "config|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_CONN, .fn = config_help_command,
     .group = "server", .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .complexity = "O(1)"},
    {0},
};

#define FLUSH_HISTORY (const char *const[]){"4.0.0", "Added the `ASYNC` flushing mode modifier.", \
                                            "6.2.0", "Added the `SYNC` flushing mode modifier.", NULL}

const struct cmd_def server_commands[] = {
    {.name = "ping", .arity = -1, .flags = CMD_FAST | CMD_SENTINEL | CMD_CONN, .fn = ping_command,
     .group = "connection", .summary = "Ping the server", .since = "1.0.0", .complexity = "O(1)",
     .acl_categories = "connection", .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "[message]"},
    {.name = "echo", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_CONN, .fn = echo_command, .group = "connection",
     .summary = "Echo the given string", .since = "1.0.0", .complexity = "O(1)", .acl_categories = "connection",
     .syntax = "message"},
    {.name = "time", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST | CMD_CONN, .fn = time_command,
     .group = "server", .summary = "Return the current server time", .since = "2.6.0", .complexity = "O(1)",
     .tips = "nondeterministic_output"},
    {.name = "role", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, .fn = role_command,
     .group = "server", .summary = "Return the role of the instance in the context of replication",
     .since = "2.8.12", .complexity = "O(1)", .acl_categories = "admin dangerous"},
    {.name = "dbsize", .arity = 1, .flags = CMD_READONLY | CMD_FAST | CMD_ALL_SHARDS, .fn = dbsize_command,
     .combine = COMBINE_SUM, .group = "server", .summary = "Return the number of keys in the selected database",
     .since = "1.0.0", .complexity = "O(1)", .acl_categories = "keyspace",
     .tips = "request_policy:all_shards response_policy:agg_sum"},
    {.name = "flushdb", .arity = -1, .flags = CMD_WRITE | CMD_ALL_SHARDS, .fn = flushdb_command, .combine = COMBINE_OK,
     .group = "server", .summary = "Remove all keys from the current database", .since = "1.0.0",
     .complexity = "O(N) where N is the number of keys in the selected database", .acl_categories = "keyspace dangerous",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "async=[ASYNC@4.0.0 | SYNC@6.2.0]",
     .history = FLUSH_HISTORY},
    {.name = "flushall", .arity = -1, .flags = CMD_WRITE | CMD_ALL_SHARDS | CMD_ALL_DBS, .fn = flushall_command, .combine = COMBINE_OK,
     .group = "server", .summary = "Remove all keys from all databases", .since = "1.0.0",
     .complexity = "O(N) where N is the total number of keys in all databases", .acl_categories = "keyspace dangerous",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "async=[ASYNC@4.0.0 | SYNC@6.2.0]",
     .history = FLUSH_HISTORY},
    {.name = "config", .arity = -2, .subcommands = config_subcommands, .group = "server",
     .summary = "A container for server configuration commands", .since = "2.0.0", .complexity = "Depends on subcommand."},
    {0},
};
