/* cmd_script.c — EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO and
 * SCRIPT LOAD | EXISTS | FLUSH | HELP, and the wide call core/xscript.c
 * runs a script over more keys with (cmd_script.h).
 *
 * The engine (script/script.h) compiles and runs the Lua; script_host.c
 * runs its commands. EVAL and FCALL differ only in what they run (a
 * script by body or SHA, or a library's function: cmd_function.c loads
 * those) and in two error texts. Thread: the shard running the EVAL.
 */
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/host.h"
#include "ringkv/cmd/script_host.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script.h"
#include "ringkv/script/script_store.h"

#include <ctype.h>
#include <string.h>

#define ERR_NOSCRIPT "NOSCRIPT No matching script. Please use EVAL."

/* ---- EVAL and friends ---- */

/* What a call runs. */
enum eval_kind { RUN_BODY, RUN_SHA, RUN_FUNCTION };

/* The call's parts: [name, script, sha or function, numkeys, keys...,
 * args...]. */
struct eval_call {
    const char *body;
    size_t body_len;
    enum eval_kind kind;
    bool read_only;
    long long numkeys;
    struct cmd_args keys, args;
};

static bool parse_eval(struct cmd_ctx *c, const struct cmd_args *a, struct eval_call *e)
{
    if (!string2ll(a->argv[2], a->len[2], &e->numkeys)) {
        reply_error(c->r, e->kind == RUN_FUNCTION ? "ERR Bad number of keys provided"
                                                  : "ERR value is not an integer or out of range");
        return false;
    }
    if (e->numkeys > a->argc - 3) {
        reply_error(c->r, "ERR Number of keys can't be greater than number of args");
        return false;
    }
    if (e->numkeys < 0) {
        reply_error(c->r, "ERR Number of keys can't be negative");
        return false;
    }
    e->body = a->argv[1];
    e->body_len = a->len[1];
    e->keys = (struct cmd_args){(int)e->numkeys, a->argv + 3, a->len + 3};
    e->args = (struct cmd_args){a->argc - 3 - (int)e->numkeys, a->argv + 3 + e->numkeys, a->len + 3 + e->numkeys};
    return true;
}

/* The script's sha, compiled in this shard's engine; false after replying
 * (NOSCRIPT, or the compile error). */
static bool ready_script(struct cmd_ctx *c, struct script_engine *eng, const struct eval_call *e, char sha[41])
{
    struct script_store *store = host_script_store(c->host);
    struct obuf err = {0};
    bool ok = true;
    if (e->kind == RUN_SHA) {
        for (size_t i = 0; i < 40 && i < e->body_len; i++) sha[i] = (char)tolower((unsigned char)e->body[i]);
        sha[40] = '\0';
        if (e->body_len != 40 || !script_exists(eng, sha, 40)) {
            struct obuf body = {0};
            ok = e->body_len == 40 && script_store_get(store, sha, &body) &&
                 script_load(eng, body.data ? body.data : "", body.len, sha, &err);
            obuf_free(&body);
            if (!ok && !err.len) reply_error(c->r, ERR_NOSCRIPT);
        }
    } else {
        /* Known here means known to the store: no lock on the hot path. */
        script_sha1hex(e->body, e->body_len, sha);
        if (!script_exists(eng, sha, 40)) {
            ok = script_load(eng, e->body, e->body_len, sha, &err);
            if (ok) script_store_put(store, sha, e->body, e->body_len);
        }
    }
    if (!ok && err.len) reply_error_len(c->r, err.data, err.len);
    obuf_free(&err);
    return ok;
}

static enum script_result run_cached(struct script_engine *eng, void *arg, const struct script_host *host,
                                     struct obuf *out)
{
    return script_run(eng, arg, host, out);
}

static enum script_result run_function(struct script_engine *eng, void *arg, const struct script_host *host,
                                       struct obuf *out)
{
    return script_fcall(eng, arg, host, out);
}

/* What runs: its engine, its runner and its flags; false after replying. */
struct eval_target {
    struct script_engine *eng;
    script_runner_fn runner;
    uint32_t flags;
    bool writes; /* may write: refused by the _ro commands */
    char sha[41];
};

static bool find_target(struct cmd_ctx *c, const struct eval_call *e, struct eval_target *t)
{
    if (e->kind == RUN_FUNCTION) {
        t->eng = host_function_engine(c->host);
        t->runner = run_function;
        if (!script_function_flags(t->eng, e->body, e->body_len, &t->flags)) {
            reply_error(c->r, "ERR Function not found");
            return false;
        }
        t->writes = !(t->flags & SCRIPT_FLAG_NO_WRITES);
        return true;
    }
    t->eng = host_script_engine(c->host);
    t->runner = run_cached;
    if (!ready_script(c, t->eng, e, t->sha)) return false;
    t->flags = script_flags(t->eng, t->sha, 40);
    /* A script without a shebang may write, yet EVAL_RO runs it (Redis). */
    t->writes = (t->flags & SCRIPT_FLAG_SHEBANG) && !(t->flags & SCRIPT_FLAG_NO_WRITES);
    return true;
}

/* reach (in databases reach_dbs, NULL: the EVAL's): the keys the run may
 * touch wherever it runs. */
static void eval_run(struct cmd_ctx *c, const struct eval_call *e, const struct cmd_args *reach, const int *reach_dbs)
{
    struct eval_target t;
    if (!find_target(c, e, &t)) return;
    if (e->read_only && t.writes) {
        reply_error(c->r, "ERR Can not execute a script with write flag using *_ro command.");
        return;
    }
    struct script_call_args sa = {.sha = e->kind == RUN_FUNCTION ? e->body : t.sha, .name_len = e->body_len,
                                  .keys = e->keys.argv, .key_lens = e->keys.len, .nkeys = (int)e->numkeys,
                                  .args = e->args.argv, .arg_lens = e->args.len, .nargs = (int)e->args.argc,
                                  .client_resp = c->r->resp};
    script_host_run(c, t.eng, t.runner, &sa, e->read_only || (t.flags & SCRIPT_FLAG_NO_WRITES),
                    e->kind == RUN_FUNCTION, reach, reach_dbs);
}

/* Parses a client's call (a wide call's inner one too); false after
 * replying. FCALL looks for its function first, as Redis does. */
static bool prepare_call(struct cmd_ctx *c, const struct cmd_args *a, enum eval_kind kind, bool ro,
                         struct eval_call *e)
{
    *e = (struct eval_call){.kind = kind, .read_only = ro};
    if (kind == RUN_SHA && a->len[1] != 40) { /* Redis looks at the sha's length before anything */
        reply_error(c->r, ERR_NOSCRIPT);
        return false;
    }
    uint32_t flags;
    if (kind == RUN_FUNCTION && !script_function_flags(host_function_engine(c->host), a->argv[1], a->len[1], &flags)) {
        reply_error(c->r, "ERR Function not found");
        return false;
    }
    return parse_eval(c, a, e);
}

static void eval_generic(struct cmd_ctx *c, const struct cmd_args *a, enum eval_kind kind, bool ro)
{
    struct eval_call e;
    if (prepare_call(c, a, kind, ro, &e)) eval_run(c, &e, &e.keys, NULL);
}

static void eval_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_BODY, false); }
static void evalsha_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_SHA, false); }
static void eval_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_BODY, true); }
static void evalsha_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_SHA, true); }
static void fcall_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_FUNCTION, false); }
static void fcall_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, RUN_FUNCTION, true); }

/* What a command of the family runs, and whether it is a _ro one; false
 * for any other command. */
static bool eval_kind_of(const struct cmd_def *cmd, enum eval_kind *kind, bool *ro)
{
    static const struct {
        void (*fn)(struct cmd_ctx *, const struct cmd_args *);
        enum eval_kind kind;
        bool ro;
    } family[] = {
        {eval_command, RUN_BODY, false},      {evalsha_command, RUN_SHA, false},
        {eval_ro_command, RUN_BODY, true},    {evalsha_ro_command, RUN_SHA, true},
        {fcall_command, RUN_FUNCTION, false}, {fcall_ro_command, RUN_FUNCTION, true},
    };
    for (size_t i = 0; cmd && i < RK_ARRAY_LEN(family); i++) {
        if (cmd->fn != family[i].fn) continue;
        *kind = family[i].kind;
        *ro = family[i].ro;
        return true;
    }
    return false;
}

static int eval_getkeys(const struct cmd_args *a, int *pos, int max) { return tc_numkeys_positions(a, 2, 0, pos, max); }

/* ---- the wide call: [name, EVAL call..., n extras..., n dbs..., n] ---- */

static bool wide_split(const struct cmd_args *a, struct cmd_args *call, struct cmd_args *extra, struct cmd_args *dbs)
{
    long long n;
    if (a->argc < 5 || !string2ll(a->argv[a->argc - 1], a->len[a->argc - 1], &n) || n < 0 ||
        n > (a->argc - 5) / 2)
        return false;
    *call = (struct cmd_args){a->argc - 2 - 2 * (int)n, a->argv + 1, a->len + 1};
    *extra = (struct cmd_args){(int)n, a->argv + 1 + call->argc, a->len + 1 + call->argc};
    *dbs = (struct cmd_args){(int)n, extra->argv + n, extra->len + n};
    return true;
}

static int wide_getkeys(const struct cmd_args *a, int *pos, int max)
{
    struct cmd_args call, extra, dbs;
    if (!wide_split(a, &call, &extra, &dbs)) return 0;
    int n = tc_numkeys_positions(&call, 2, 0, pos, max);
    for (int i = 0; i < n; i++) pos[i] += 1;
    for (int i = 0; i < extra.argc && n < max; i++) pos[n++] = 1 + call.argc + i;
    return n;
}

/* An extra key's database is the argument n places after it. */
static int wide_key_db(const struct cmd_args *a, int pos, int selected)
{
    struct cmd_args call, extra, dbs;
    long long db;
    if (!wide_split(a, &call, &extra, &dbs) || pos <= call.argc) return selected;
    int i = pos - 1 - call.argc;
    return i < dbs.argc && string2ll(dbs.argv[i], dbs.len[i], &db) ? (int)db : selected;
}

static void wide_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct cmd_args call, extra, dbs;
    if (!wide_split(a, &call, &extra, &dbs)) {
        reply_error(c->r, "ERR syntax error");
        return;
    }
    enum eval_kind kind;
    bool ro;
    struct eval_call e;
    if (!eval_kind_of(cmd_lookup(call.argv[0], call.len[0]), &kind, &ro)) {
        reply_error(c->r, "ERR syntax error");
        return;
    }
    if (!prepare_call(c, &call, kind, ro, &e)) return;
    /* The reach: declared keys, then the extras. */
    int n = (int)e.numkeys + extra.argc;
    const char **argv = rk_malloc(((size_t)n + 1) * (sizeof(char *) + sizeof(size_t) + sizeof(int)));
    size_t *lens = (size_t *)(argv + n + 1);
    int *kdbs = (int *)(lens + n + 1);
    for (int i = 0; i < e.keys.argc; i++) argv[i] = e.keys.argv[i], lens[i] = e.keys.len[i], kdbs[i] = c->dbid;
    for (int i = 0; i < extra.argc; i++) {
        int k = e.keys.argc + i;
        argv[k] = extra.argv[i];
        lens[k] = extra.len[i];
        kdbs[k] = wide_key_db(a, 1 + call.argc + i, c->dbid);
    }
    struct cmd_args reach = {n, argv, lens};
    eval_run(c, &e, &reach, kdbs);
    rk_free(argv);
}

const struct cmd_def script_wide_cmd = {.name = "eval|wide", .arity = -5, .flags = CMD_KEYS_WRITE,
                                        .fn = wide_command, .getkeys = wide_getkeys, .key_db = wide_key_db};
const struct cmd_def script_wide_ro_cmd = {.name = "eval|wide-ro", .arity = -5, .flags = CMD_READONLY,
                                           .fn = wide_command, .getkeys = wide_getkeys, .key_db = wide_key_db};

void script_wide_args(const struct cmd_args *a, bool ro, const char *const *extra, const size_t *extra_lens,
                      const int *dbs, int nextra, const char **argv, size_t *lens, char (*numbufs)[24],
                      struct cmd_args *out)
{
    const struct cmd_def *wide = ro ? &script_wide_ro_cmd : &script_wide_cmd;
    int n = 0;
    argv[n] = wide->name;
    lens[n++] = strlen(wide->name);
    for (int i = 0; i < a->argc; i++) argv[n] = a->argv[i], lens[n++] = a->len[i];
    for (int i = 0; i < nextra; i++) argv[n] = extra[i], lens[n++] = extra_lens[i];
    for (int i = 0; i <= nextra; i++) {
        argv[n] = numbufs[i];
        lens[n++] = (size_t)ll2string(numbufs[i], i < nextra ? dbs[i] : nextra);
    }
    *out = (struct cmd_args){n, argv, lens};
}

bool script_retry_key(const char *data, size_t len, int *dbid, const char **key, size_t *klen)
{
    int32_t db;
    uint32_t l;
    if (len < 9 || data[0] != SCRIPT_RETRY_MARK) return false;
    memcpy(&db, data + 1, 4);
    memcpy(&l, data + 5, 4);
    if (len - 9 != l) return false;
    *dbid = db;
    *key = data + 9;
    *klen = l;
    return true;
}

bool cmd_is_script_run(const struct cmd_def *cmd)
{
    enum eval_kind kind;
    bool ro;
    return eval_kind_of(cmd, &kind, &ro);
}

bool script_run_may_write(struct host *h, const struct cmd_def *cmd, const struct cmd_args *a)
{
    enum eval_kind kind;
    bool ro;
    if (!eval_kind_of(cmd, &kind, &ro) || ro || a->argc < 2) return false;
    uint32_t flags = 0;
    if (kind == RUN_FUNCTION) {
        if (!script_function_flags(host_function_engine(h), a->argv[1], a->len[1], &flags)) return true;
        return !(flags & SCRIPT_FLAG_NO_WRITES);
    }
    if (kind == RUN_SHA) flags = script_flags(host_script_engine(h), a->argv[1], a->len[1]);
    else flags = script_body_flags(a->argv[1], a->len[1]);
    return !((flags & SCRIPT_FLAG_SHEBANG) && (flags & SCRIPT_FLAG_NO_WRITES));
}

/* ---- SCRIPT ---- */

static void script_load_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct script_engine *eng = host_script_engine(c->host);
    char sha[41];
    struct obuf err = {0};
    if (script_load(eng, a->argv[2], a->len[2], sha, &err)) {
        script_store_put(host_script_store(c->host), sha, a->argv[2], a->len[2]);
        reply_bulk(c->r, sha, 40);
    } else {
        reply_error_len(c->r, err.data, err.len);
    }
    obuf_free(&err);
}

static void script_exists_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct script_store *store = host_script_store(c->host);
    reply_array(c->r, (size_t)a->argc - 2);
    for (int i = 2; i < a->argc; i++) reply_int(c->r, script_store_has(store, a->argv[i], a->len[i]));
}

static void script_flush_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    if (a->argc > 3 || (a->argc == 3 && !arg_is(a, 2, "sync") && !arg_is(a, 2, "async"))) {
        reply_error(c->r, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    script_store_flush(host_script_store(c->host)); /* every engine follows (host_script_engine) */
    reply_ok(c->r);
}

/* A script runs synchronously on its shard: SCRIPT KILL reaches one that
 * runs past busy-reply-threshold from a client on another shard (README,
 * "Limits"). FUNCTION KILL is the same for functions. */
void script_kill_reply(struct cmd_ctx *c, bool functions)
{
    switch (host_script_kill(c->host, functions)) {
    case SCRIPT_KILL_DONE: reply_ok(c->r); break;
    case SCRIPT_KILL_NOTBUSY: reply_error(c->r, "NOTBUSY No scripts in execution right now."); break;
    case SCRIPT_KILL_OTHER_KIND: reply_error(c->r, script_busy_error(!functions)); break;
    case SCRIPT_KILL_UNKILLABLE:
        reply_error(c->r, "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
                          "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
                          "NOSAVE command.");
        break;
    }
}

const char *script_busy_error(bool function)
{
    return function ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
                    : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
}

static void script_kill_command(struct cmd_ctx *c, const struct cmd_args *a) { script_kill_reply(c, false); }

static void script_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    };
    reply_array(c->r, RK_ARRAY_LEN(lines));
    for (size_t i = 0; i < RK_ARRAY_LEN(lines); i++) reply_status(c->r, lines[i]);
}

#define EVAL_SPEC(flags_, notes_) \
    ((const struct cmd_key_spec[]){{.flags = (flags_), .begin = KS_BEGIN_INDEX, .index = 2, \
                                    .find = KS_FIND_KEYNUM, .keynumidx = 0, .firstkey = 1, .keystep = 1, \
                                    .notes = (notes_)}, \
                                   {0}})
#define RW_SPEC(notes_) EVAL_SPEC(KS_RW | KS_ACCESS | KS_UPDATE, notes_)
#define RO_SPEC(notes_) EVAL_SPEC(KS_RO | KS_ACCESS, notes_)
#define FCALL_RW_SPEC EVAL_SPEC(KS_RW | KS_ACCESS | KS_UPDATE, \
    "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")
#define FCALL_RO_SPEC EVAL_SPEC(KS_RO | KS_ACCESS, \
    "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")
#define EVAL_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_MAY_REPLICATE | CMD_NO_MANDATORY_KEYS | CMD_STALE)
#define EVAL_RO_FLAGS (CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_STALE | CMD_READONLY)

static const struct cmd_def script_subcommands[] = {
    {.name = "script|load", .arity = 3, .flags = CMD_NOSCRIPT | CMD_STALE, .fn = script_load_command,
     .group = "scripting", .acl_categories = "scripting", .summary = "Load the specified Lua script into the script cache.", .since = "2.6.0",
     .complexity = "O(N) with N being the length in bytes of the script body.", .syntax = "script",
     .tips = "request_policy:all_nodes response_policy:all_succeeded"},
    {.name = "script|exists", .arity = -3, .flags = CMD_NOSCRIPT, .fn = script_exists_command, .group = "scripting", .acl_categories = "scripting",
     .summary = "Check existence of scripts in the script cache.", .since = "2.6.0",
     .complexity = "O(N) with N being the number of scripts to check (so checking a single script is an O(1) "
                   "operation).",
     .syntax = "sha1 [sha1 ...]", .tips = "request_policy:all_shards response_policy:agg_logical_and"},
    {.name = "script|flush", .arity = -2, .flags = CMD_NOSCRIPT, .fn = script_flush_command, .group = "scripting", .acl_categories = "scripting",
     .summary = "Remove all the scripts from the script cache.", .since = "2.6.0",
     .complexity = "O(N) with N being the number of scripts in cache", .syntax = "[ASYNC | SYNC]@6.2.0",
     .history = (const char *const[]){"6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.", NULL},
     .tips = "request_policy:all_nodes response_policy:all_succeeded"},
    {.name = "script|kill", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .fn = script_kill_command,
     .group = "scripting", .acl_categories = "scripting",
     .summary = "Kill the script currently in execution.", .since = "2.6.0", .complexity = "O(1)",
     .tips = "request_policy:all_shards response_policy:one_succeeded"},
    {.name = "script|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = script_help_command,
     .group = "scripting", .acl_categories = "scripting", .summary = "Show helpful text about the different subcommands", .since = "5.0.0",
     .complexity = "O(1)"},
    {0},
};

const struct cmd_def script_commands[] = {
    {.name = "eval", .arity = -3, .flags = EVAL_FLAGS | CMD_KEYS_WRITE, .fn = eval_command, .getkeys = eval_getkeys,
     .key_specs = RW_SPEC("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"), .group = "scripting", .acl_categories = "scripting",
     .summary = "Execute a Lua script server side", .since = "2.6.0",
     .complexity = "Depends on the script that is executed.", .syntax = "script numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "evalsha", .arity = -3, .flags = EVAL_FLAGS | CMD_KEYS_WRITE, .fn = evalsha_command,
     .getkeys = eval_getkeys, .key_specs = RW_SPEC(NULL), .group = "scripting", .acl_categories = "scripting",
     .summary = "Execute a Lua script server side", .since = "2.6.0",
     .complexity = "Depends on the script that is executed.", .syntax = "sha1 numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "eval_ro", .arity = -3, .flags = EVAL_RO_FLAGS, .fn = eval_ro_command, .getkeys = eval_getkeys,
     .key_specs = RO_SPEC("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"), .group = "scripting", .acl_categories = "scripting", .summary = "Execute a read-only Lua script server side",
     .since = "7.0.0", .complexity = "Depends on the script that is executed.",
     .syntax = "script numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "evalsha_ro", .arity = -3, .flags = EVAL_RO_FLAGS, .fn = evalsha_ro_command, .getkeys = eval_getkeys,
     .key_specs = RO_SPEC(NULL), .group = "scripting", .acl_categories = "scripting", .summary = "Execute a read-only Lua script server side",
     .since = "7.0.0", .complexity = "Depends on the script that is executed.",
     .syntax = "sha1 numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "fcall", .arity = -3, .flags = EVAL_FLAGS | CMD_KEYS_WRITE, .fn = fcall_command, .getkeys = eval_getkeys,
     .key_specs = FCALL_RW_SPEC, .group = "scripting", .acl_categories = "scripting", .summary = "Invoke a function",
     .since = "7.0.0", .complexity = "Depends on the function that is executed.",
     .syntax = "function numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "fcall_ro", .arity = -3, .flags = EVAL_RO_FLAGS, .fn = fcall_ro_command, .getkeys = eval_getkeys,
     .key_specs = FCALL_RO_SPEC, .group = "scripting", .acl_categories = "scripting",
     .summary = "Invoke a read-only function", .since = "7.0.0",
     .complexity = "Depends on the function that is executed.",
     .syntax = "function numkeys:integer [key [key ...]] [arg [arg ...]]"},
    {.name = "script", .arity = -2, .subcommands = script_subcommands, .group = "scripting",
     .summary = "A container for Lua scripts management commands", .since = "2.6.0",
     .complexity = "Depends on subcommand."},
    {0},
};
