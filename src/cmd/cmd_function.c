/* cmd_function.c — FUNCTION LOAD | DELETE | FLUSH | LIST | STATS | HELP
 * (Redis 7.0's functions.c). FCALL is with EVAL (cmd_script.c).
 *
 * A library is compiled on the client's shard first (the code's errors,
 * the functions it registers), then put in the server's store, which
 * every shard's engine follows (function_store.h). FUNCTION DUMP and
 * RESTORE carry the libraries' code in Redis's payload format.
 * Thread: any shard.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/host.h"
#include "ringkv/persist/rdb.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script.h"

#include <string.h>

/* The engine FUNCTION LIST and STATS report (Redis's only one). */
#define ENGINE_NAME "LUA"

/* Loads code as a library; its name (the caller frees it) or NULL with
 * the error in err. Redis's order: the first line, an existing library,
 * then the code, then the other libraries' functions. */
/* An error naming a client's argument whole, as Redis words these two:
 * addReplyErrorFormat drops CR/LF at the end (trim), addReplyErrorSds
 * does not; inside, they become spaces either way. */
static void reply_error_arg(struct reply *r, const char *prefix, const char *arg, size_t len, bool trim)
{
    struct obuf msg;
    obuf_init(&msg);
    obuf_append(&msg, prefix, strlen(prefix));
    obuf_append(&msg, arg, len);
    while (trim && msg.len && (msg.data[msg.len - 1] == '\r' || msg.data[msg.len - 1] == '\n')) msg.len--;
    reply_error_len(r, msg.data, msg.len);
    obuf_free(&msg);
}

static char *load_library(struct cmd_ctx *c, const char *code, size_t len, bool replace, struct obuf *err)
{
    struct function_store *st = host_function_store(c->host);
    char *name;
    if (!script_library_name(code, len, &name, err)) return NULL;
    struct script_library *lib = NULL;
    if (!replace && function_store_has(st, name, strlen(name))) {
        obuf_append(err, "ERR Library '", 13);
        obuf_append(err, name, strlen(name));
        obuf_append(err, "' already exists", 16);
    } else {
        lib = script_library_load(host_function_engine(c->host), code, len, false, err);
    }
    /* The store takes lib (the engines load it from there). */
    if (lib && function_store_put(st, lib, replace, err)) return name;
    rk_free(name);
    return NULL;
}

/* FUNCTION LOAD [REPLACE] code */
static void function_load_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool replace = false;
    int i = 2;
    for (; i < a->argc - 1; i++) {
        if (!arg_is(a, i, "replace")) {
            reply_error_arg(c->r, "ERR Unknown option given: ", a->argv[i], a->len[i], true);
            return;
        }
        replace = true;
    }
    struct obuf err = {0};
    char *name = load_library(c, a->argv[i], a->len[i], replace, &err);
    if (name) reply_bulk_cstr(c->r, name);
    else reply_error_len(c->r, err.data, err.len);
    rk_free(name);
    obuf_free(&err);
}

/* ---- FUNCTION DUMP / RESTORE ---- */

struct dump_state {
    struct rdb_buf b;
    bool compress;
};

static void dump_library(const struct script_library *lib, void *arg)
{
    struct dump_state *d = arg;
    rdb_put_function(&d->b, lib->code, lib->code_len, d->compress);
}

/* Every library's code as a FUNCTION2 entry, then the payload's footer,
 * as Redis's functionDumpCommand. */
static void function_dump_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct dump_state d = {.compress = c->cfg->rdb_compression};
    function_store_visit(host_function_store(c->host), dump_library, &d);
    rdb_payload_finish(&d.b);
    reply_bulk(c->r, (const char *)d.b.data, d.b.len);
    rdb_buf_free(&d.b);
}

/* The libraries of a payload, compiled (each checked as FUNCTION LOAD
 * checks one); false with Redis's error. */
static bool restore_libraries(struct cmd_ctx *c, const char *p, size_t len, struct script_library ***libs,
                              uint32_t *n, struct obuf *err)
{
    struct rdb_reader r;
    rdb_reader_init(&r, p, len - 10, c->cfg);
    uint32_t cap = 0;
    bool ok = true;
    while (ok && r.p < r.end) {
        unsigned char type;
        const unsigned char *code;
        size_t clen;
        if (!rdb_read_byte(&r, &type)) {
            obuf_append(err, "ERR can not read data type", 26);
            ok = false;
        } else if (type != RDB_OPCODE_FUNCTION2) {
            obuf_append(err, "ERR given type is not a function", 32);
            ok = false;
        } else if (!rdb_read_string(&r, 0, &code, &clen)) {
            obuf_append(err, "ERR failed loading the given functions payload", 46);
            ok = false;
        } else {
            struct script_library *lib =
                script_library_load(host_function_engine(c->host), (const char *)code, clen, false, err);
            if (!lib) {
                ok = false;
                break;
            }
            if (*n == cap) {
                cap = cap ? 2 * cap : 4;
                *libs = rk_realloc(*libs, cap * sizeof(**libs));
            }
            (*libs)[(*n)++] = lib;
        }
    }
    rdb_reader_free(&r);
    return ok;
}

/* FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
static void function_restore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 4) {
        reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try FUNCTION HELP.",
                     a->len[1] < 128 ? (int)a->len[1] : 128, a->argv[1]);
        return;
    }
    enum function_restore policy = FUNCTION_RESTORE_APPEND;
    if (a->argc == 4) {
        if (arg_is(a, 3, "replace")) policy = FUNCTION_RESTORE_REPLACE;
        else if (arg_is(a, 3, "flush")) policy = FUNCTION_RESTORE_FLUSH;
        else if (!arg_is(a, 3, "append")) {
            reply_error(c->r, "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
            return;
        }
    }
    if (!rdb_payload_ok((const unsigned char *)a->argv[2], a->len[2])) {
        reply_error(c->r, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    struct script_library **libs = NULL;
    uint32_t n = 0;
    struct obuf err = {0};
    if (!restore_libraries(c, a->argv[2], a->len[2], &libs, &n, &err)) {
        for (uint32_t i = 0; i < n; i++) script_library_free(libs[i]);
    } else if (function_store_put_all(host_function_store(c->host), libs, n, policy, &err)) {
        reply_ok(c->r);
    }
    if (err.len) reply_error_len(c->r, err.data, err.len);
    rk_free(libs);
    obuf_free(&err);
}

static void function_delete_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (function_store_delete(host_function_store(c->host), a->argv[2], a->len[2])) reply_ok(c->r);
    else reply_error(c->r, "ERR Library not found");
}

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
    function_store_flush(host_function_store(c->host)); /* every engine follows */
    reply_ok(c->r);
}

/* ---- FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] ---- */

struct list_walk {
    struct reply *r;
    const char *pattern; /* NULL: every library */
    size_t plen;
    bool with_code;
    long long n;
};

static void reply_function(struct reply *r, const struct script_function_info *fi)
{
    reply_map(r, 3);
    reply_bulk_cstr(r, "name");
    reply_bulk(r, fi->name, fi->name_len);
    reply_bulk_cstr(r, "description");
    if (fi->desc) reply_bulk(r, fi->desc, fi->desc_len);
    else reply_null(r);
    reply_bulk_cstr(r, "flags");
    const char *names[SCRIPT_FLAG_COUNT];
    int n = script_flag_names(fi->flags, names);
    reply_set(r, n);
    for (int i = 0; i < n; i++) reply_status(r, names[i]);
}

static void list_library(const struct script_library *lib, void *arg)
{
    struct list_walk *w = arg;
    if (w->pattern && !glob_match(w->pattern, w->plen, lib->name, lib->name_len, true)) return;
    w->n++;
    reply_map(w->r, w->with_code ? 4 : 3);
    reply_bulk_cstr(w->r, "library_name");
    reply_bulk(w->r, lib->name, lib->name_len);
    reply_bulk_cstr(w->r, "engine");
    reply_bulk_cstr(w->r, ENGINE_NAME);
    reply_bulk_cstr(w->r, "functions");
    reply_array(w->r, lib->nfns);
    for (int i = 0; i < lib->nfns; i++) reply_function(w->r, &lib->fns[i]);
    if (w->with_code) {
        reply_bulk_cstr(w->r, "library_code");
        reply_bulk(w->r, lib->code, lib->code_len);
    }
}

static void function_list_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct list_walk w = {.r = c->r};
    for (int i = 2; i < a->argc; i++) {
        if (!w.with_code && arg_is(a, i, "withcode")) {
            w.with_code = true;
        } else if (!w.pattern && arg_is(a, i, "libraryname")) {
            if (i >= a->argc - 1) {
                reply_error(c->r, "ERR library name argument was not given");
                return;
            }
            i++;
            w.pattern = a->argv[i];
            w.plen = a->len[i];
        } else {
            reply_error_arg(c->r, "ERR Unknown argument ", a->argv[i], a->len[i], false);
            return;
        }
    }
    size_t at = reply_defer(c->r);
    function_store_visit(host_function_store(c->host), list_library, &w);
    reply_defer_array(c->r, at, w.n);
}

/* FUNCTION STATS: no function is ever running when a command runs (a
 * script runs whole, synchronously, on its shard). */
static void function_stats_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    struct function_store_stats fs;
    function_store_stats(host_function_store(c->host), &fs);
    reply_map(c->r, 2);
    reply_bulk_cstr(c->r, "running_script");
    reply_null(c->r);
    reply_bulk_cstr(c->r, "engines");
    reply_map(c->r, 1);
    reply_bulk_cstr(c->r, ENGINE_NAME);
    reply_map(c->r, 2);
    reply_bulk_cstr(c->r, "libraries_count");
    reply_int(c->r, (long long)fs.libraries);
    reply_bulk_cstr(c->r, "functions_count");
    reply_int(c->r, (long long)fs.functions);
}

static void function_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    (void)a;
    /* Redis 7.0's text, DUMP, RESTORE and KILL included. */
    static const char *const lines[] = {
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        ("    Return a serialized payload representing the current libraries, can be restored using FUNCTION "
         "RESTORE command"),
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static void function_kill_command(struct cmd_ctx *c, const struct cmd_args *a) { script_kill_reply(c, true); }

static const struct cmd_def function_subcommands[] = {
    {.name = "function|load", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_DENYOOM,
     .fn = function_load_command, .group = "scripting", .acl_categories = "write slow scripting",
     .summary = "Create a function with the given arguments (name, code, description)", .since = "7.0.0",
     .complexity = "O(1) (considering compilation time is redundant)",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "[REPLACE] function-code"},
    {.name = "function|dump", .arity = 2, .flags = CMD_NOSCRIPT, .fn = function_dump_command, .group = "scripting",
     .summary = "Dump all functions into a serialized binary payload", .since = "7.0.0",
     .complexity = "O(N) where N is the number of functions", .acl_categories = "slow scripting"},
    {.name = "function|restore", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_DENYOOM,
     .fn = function_restore_command, .group = "scripting", .summary = "Restore all the functions on the given payload",
     .since = "7.0.0", .complexity = "O(N) where N is the number of functions on the payload",
     .acl_categories = "write slow scripting", .tips = "request_policy:all_shards response_policy:all_succeeded",
     .syntax = "serialized-value [FLUSH | APPEND | REPLACE]"},
    {.name = "function|delete", .arity = 3, .flags = CMD_WRITE | CMD_NOSCRIPT, .fn = function_delete_command,
     .group = "scripting", .acl_categories = "write slow scripting", .summary = "Delete a function by name",
     .since = "7.0.0", .complexity = "O(1)", .tips = "request_policy:all_shards response_policy:all_succeeded",
     .syntax = "library-name"},
    {.name = "function|flush", .arity = -2, .flags = CMD_WRITE | CMD_NOSCRIPT, .fn = function_flush_command,
     .group = "scripting", .acl_categories = "write slow scripting", .summary = "Deleting all functions",
     .since = "7.0.0", .complexity = "O(N) where N is the number of functions deleted",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .syntax = "async=[ASYNC | SYNC]"},
    {.name = "function|list", .arity = -2, .flags = CMD_NOSCRIPT, .fn = function_list_command,
     .group = "scripting", .acl_categories = "slow scripting", .summary = "List information about all the functions",
     .since = "7.0.0", .complexity = "O(N) where N is the number of functions",
     .tips = "nondeterministic_output_order", .syntax = "[LIBRARYNAME library-name-pattern] [WITHCODE]"},
    {.name = "function|kill", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .fn = function_kill_command,
     .group = "scripting", .acl_categories = "scripting", .summary = "Kill the function currently in execution.",
     .since = "7.0.0", .complexity = "O(1)", .tips = "request_policy:all_shards response_policy:one_succeeded"},
    {.name = "function|stats", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .fn = function_stats_command,
     .group = "scripting", .acl_categories = "slow scripting",
     .summary = "Return information about the function currently running (name, description, duration)",
     .since = "7.0.0", .complexity = "O(1)",
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special"},
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
