/* cmd_function.c — FUNCTION FLUSH and FUNCTION HELP.
 *
 * FUNCTION LOAD is not implemented yet (an unknown subcommand; EVAL is,
 * cmd_script.c), so no library can ever be loaded: the library set is
 * always empty and FLUSH, which empties it, is complete as it is. Clients and
 * test suites call it to reset a server. Thread: any shard. */
#include "ringkv/cmd/commands.h"
#include "ringkv/base/util.h"

static void function_flush_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 3) {
        reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try FUNCTION HELP.",
                     a->len[1] < 128 ? (int)a->len[1] : 128, a->argv[1]);
        return;
    }
    if (a->argc == 3 && !arg_is(a, 2, "sync") && !arg_is(a, 2, "async")) {
        reply_error(c->r, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    reply_ok(c->r);
}

static void function_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def function_subcommands[] = {
    {.name = "function|flush", .arity = -2, .flags = CMD_WRITE | CMD_NOSCRIPT, .fn = function_flush_command,
     .group = "scripting", .acl_categories = "write slow scripting", .summary = "Deleting all functions",
     .since = "7.0.0", .complexity = "O(N) where N is the number of functions deleted",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "flush-type=[ASYNC | SYNC]"},
    {.name = "function|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = function_help_command,
     .group = "scripting", .acl_categories = "scripting", .summary = "Show helpful text about the different subcommands",
     .since = "7.0.0", .complexity = "O(1)"},
    {0},
};

const struct cmd_def function_commands[] = {
    {.name = "function", .arity = -2, .subcommands = function_subcommands, .group = "scripting",
     .summary = "A container for function commands", .since = "7.0.0", .complexity = "Depends on subcommand."},
    {0},
};
