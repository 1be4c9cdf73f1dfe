/* cmd_slowlog.c — SLOWLOG GET | LEN | RESET | HELP. Each shard logs the
 * slow commands it ran (base/slowlog.h); the subcommands run on every
 * shard and GET merges the shards' entries by their server-wide ids. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/slowlog.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/proto/resp.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_COUNT 10

static bool count_arg(struct cmd_ctx *c, const struct cmd_args *a, long long *count)
{
    *count = DEFAULT_COUNT;
    if (a->argc < 3) return true;
    if (!string2ll(a->argv[2], a->len[2], count) || *count < -1) {
        reply_error(c->r, "ERR count should be greater than or equal to -1");
        return false;
    }
    return true;
}

/* This shard's part of the server's newest slowlog-max-len entries. */
static struct slowlog *current(struct cmd_ctx *c)
{
    struct slowlog *sl = host_slowlog(c->host);
    uint64_t next = host_slowlog_next_id(c->host), max = (uint64_t)c->cfg->slowlog_max_len;
    slowlog_prune(sl, next > max ? next - max : 0);
    return sl;
}

static void get_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long count;
    if (count_arg(c, a, &count)) slowlog_reply(current(c), count, c->r);
}

struct entry_ref {
    const char *p;
    size_t len;
    long long id;
};

static int newer_first(const void *x, const void *y)
{
    long long a = ((const struct entry_ref *)x)->id, b = ((const struct entry_ref *)y)->id;
    return a < b ? 1 : a > b ? -1 : 0;
}

/* Every shard's newest entries, merged newest first (ids are global). */
static void get_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                        int nparts)
{
    for (int p = 0; p < nparts; p++)
        if (lens[p] && parts[p][0] == '-') {
            reply_error_raw(r, parts[p], lens[p]);
            return;
        }
    long long count = DEFAULT_COUNT, total = 0, n;
    if (a->argc >= 3) string2ll(a->argv[2], a->len[2], &count);
    size_t hdr;
    for (int p = 0; p < nparts; p++)
        if (resp_aggregate_header(parts[p], lens[p], &n, &hdr)) total += n;
    struct entry_ref *refs = rk_malloc((size_t)(total ? total : 1) * sizeof *refs);
    size_t k = 0;
    for (int p = 0; p < nparts; p++) {
        if (!resp_aggregate_header(parts[p], lens[p], &n, &hdr)) continue;
        const char *at = parts[p] + hdr, *end = parts[p] + lens[p];
        for (long long i = 0; i < n && at < end; i++) {
            size_t span = resp_value_span(at, (size_t)(end - at)), eh;
            long long fields;
            if (!span || !resp_aggregate_header(at, span, &fields, &eh)) break;
            refs[k] = (struct entry_ref){at, span, strtoll(at + eh + 1, NULL, 10)}; /* ":<id>\r\n" */
            k++;
            at += span;
        }
    }
    qsort(refs, k, sizeof *refs, newer_first);
    size_t out = count < 0 || (size_t)count > k ? k : (size_t)count;
    reply_array(r, (long long)out);
    for (size_t i = 0; i < out; i++) reply_raw(r, refs[i].p, refs[i].len);
    rk_free(refs);
}

static void len_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_int(c->r, (long long)slowlog_len(current(c)));
}

static void reset_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    slowlog_reset(host_slowlog(c->host));
    reply_ok(c->r);
}

static void help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def slowlog_subcommands[] = {
    {.name = "slowlog|get", .arity = -2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS,
     .fn = get_command, .combine = COMBINE_CUSTOM, .combine_fn = get_combine,
     .tips = "request_policy:all_nodes nondeterministic_output", .group = "server",
     .summary = "Get the slow log's entries", .since = "2.2.12",
     .complexity = "O(N) where N is the number of entries returned", .syntax = "[count:integer]",
     .history = (const char *const[]){"4.0.0", "Added client IP address, port and name to the reply.", NULL}},
    {.name = "slowlog|len", .arity = 2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS,
     .fn = len_command, .combine = COMBINE_SUM,
     .tips = "request_policy:all_nodes response_policy:agg_sum nondeterministic_output", .group = "server",
     .summary = "Get the slow log's length", .since = "2.2.12", .complexity = "O(1)"},
    {.name = "slowlog|reset", .arity = 2, .flags = CMD_ADMIN | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS,
     .fn = reset_command, .combine = COMBINE_OK,
     .tips = "request_policy:all_nodes response_policy:all_succeeded", .group = "server",
     .summary = "Clear all entries from the slow log", .since = "2.2.12",
     .complexity = "O(N) where N is the number of entries in the slowlog"},
    {.name = "slowlog|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = help_command, .group = "server",
     .summary = "Show helpful text about the different subcommands", .since = "6.2.0", .complexity = "O(1)"},
    {0},
};

const struct cmd_def slowlog_commands[] = {
    {.name = "slowlog", .arity = -2, .subcommands = slowlog_subcommands, .group = "server",
     .summary = "A container for slow log commands", .since = "2.2.12", .complexity = "Depends on subcommand."},
    {0},
};
