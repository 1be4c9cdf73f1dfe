/* cmd_memory.c — MEMORY USAGE, MEMORY PURGE and MEMORY HELP.
 * Thread: the shard running the command (PURGE: every shard). */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/data/db.h"
#include "ringkv/base/util.h"

/* MEMORY USAGE key [SAMPLES count]: the bytes of the key's record and
 * everything its value owns. ringkv measures the whole value, so SAMPLES
 * is checked as Redis checks it and otherwise changes nothing. */
static void memory_usage_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int j = 3; j < a->argc; j++) {
        long long samples;
        if (arg_is(a, j, "samples") && j + 1 < a->argc) {
            if (!arg_ll_or_reply(c, a, j + 1, &samples, NULL)) return;
            if (samples < 0) {
                reply_error(c->r, RK_ERR_SYNTAX);
                return;
            }
            j++;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    struct kv *kv = db_lookup(c->db, a->argv[2], a->len[2]);
    if (!kv) reply_null(c->r);
    else reply_int(c->r, (long long)kv_bytes(kv));
}

/* Hands the allocator's free pages back to the OS, on every shard. */
static void memory_purge_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    rk_collect();
    reply_ok(c->r);
}

static void memory_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def memory_subcommands[] = {
    {.name = "memory|usage", .arity = -3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = memory_usage_command, .key_flags = KS_RO, .acl_categories = "read", .group = "server",
     .summary = "Estimate the memory usage of a key", .since = "4.0.0",
     .complexity = "O(N) where N is the number of samples.", .syntax = "key [SAMPLES count:integer]"},
    {.name = "memory|purge", .arity = 2, .flags = CMD_ALL_SHARDS, .fn = memory_purge_command,
     .combine = COMBINE_OK, .group = "server", .summary = "Ask the allocator to release memory", .since = "4.0.0",
     .complexity = "Depends on how much memory is allocated, could be slow",
     .tips = "request_policy:all_shards response_policy:all_succeeded"},
    {.name = "memory|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = memory_help_command,
     .group = "server", .summary = "Show helpful text about the different subcommands", .since = "4.0.0",
     .complexity = "O(1)"},
    {0},
};

const struct cmd_def memory_commands[] = {
    {.name = "memory", .arity = -2, .subcommands = memory_subcommands, .group = "server",
     .summary = "A container for memory diagnostics commands", .since = "4.0.0",
     .complexity = "Depends on subcommand."},
    {0},
};
