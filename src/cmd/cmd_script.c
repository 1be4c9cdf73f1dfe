/* cmd_script.c — EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD |
 * EXISTS | FLUSH | HELP: running a script's commands for it, within the
 * keys it may reach (cmd_script.h), and undoing them when the run must
 * start again over more keys.
 *
 * The engine (script/script.h) compiles and runs the Lua; this file is
 * its host: each redis.call comes here, is checked as Redis 7.0 checks a
 * script's call, and runs against the context the EVAL itself runs in.
 * Thread: the shard running the EVAL.
 */
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/host.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"
#include "ringkv/script/script.h"
#include "ringkv/script/script_store.h"

#include <ctype.h>
#include <string.h>

/* A value bigger than this is not copied before a script's first write to
 * it: such a run cannot be undone, and fails instead of being retried if
 * it then reaches a key out of reach (README, "Limits"). */
#define UNDO_MAX_BYTES (64 * 1024)
/* A script is retried over at most this many keys it did not declare. */
#define MAX_WIDE_KEYS 256

#define ERR_NOSCRIPT "NOSCRIPT No matching script. Please use EVAL."

/* A key's state before the run's first write to it. */
struct undo {
    int dbid;
    char *key;
    size_t len;
    struct kv *before; /* NULL: it did not exist */
    long long when;
};

/* One run of a script: what its calls need. */
struct run {
    struct cmd_ctx *c;          /* the EVAL's own context */
    bool read_only;
    const struct cmd_args *keys; /* keys it may touch wherever it runs: declared and extras */
    const int *key_dbs;         /* their databases (NULL: all the EVAL's) */
    int dbid;                   /* SELECT inside a script is the script's own */
    struct db *db;
    bool undoable;              /* writes are recorded (more than one shard) */
    bool undo_lost;             /* a value was too big to copy */
    struct undo *undo;
    uint32_t nundo, capundo;
    struct obuf published;      /* its PUBLISHes, sent when it finishes: [u32 len][channel][u32 len][msg] */
    uint32_t npublished;
    char *out_key;              /* the key out of reach that stopped it (a copy: the
                                 * script's strings are gone once it stopped) */
    size_t out_len;
    int out_db;
};

/* ---- reach ---- */

static bool declared(const struct run *run, int dbid, const char *key, size_t len)
{
    for (int i = 0; i < run->keys->argc; i++)
        if ((run->key_dbs ? run->key_dbs[i] : run->c->dbid) == dbid && run->keys->len[i] == len &&
            memcmp(run->keys->argv[i], key, len) == 0)
            return true;
    return false;
}

static bool reachable(const struct run *run, const char *key, size_t len)
{
    const struct cmd_ctx *c = run->c;
    if (c->nshards == 1 || declared(run, run->dbid, key, len)) return true;
    if (c->keys_moved) return false; /* only the moved values are here */
    return host_key_here(c->host, run->dbid, key, len);
}

/* ---- undo ---- */

static void undo_record(struct run *run, const char *key, size_t len)
{
    for (uint32_t i = 0; i < run->nundo; i++)
        if (run->undo[i].dbid == run->dbid && run->undo[i].len == len && memcmp(run->undo[i].key, key, len) == 0)
            return;
    struct kv *kv = db_peek(run->db, key, len);
    if (kv && kv_bytes(kv) > UNDO_MAX_BYTES) {
        run->undo_lost = true;
        return;
    }
    if (run->nundo == run->capundo) {
        run->capundo = run->capundo ? run->capundo * 2 : 8;
        run->undo = rk_realloc(run->undo, run->capundo * sizeof(*run->undo));
    }
    run->undo[run->nundo++] = (struct undo){
        .dbid = run->dbid, .key = rk_strndup(key, len), .len = len,
        .before = kv ? kv_dup(kv, key, len) : NULL, .when = kv ? db_get_expire(run->db, kv) : -1};
}

/* Puts every written key back as it was, newest first. */
static void undo_apply(struct run *run)
{
    for (uint32_t i = run->nundo; i-- > 0;) {
        struct undo *u = &run->undo[i];
        struct db *db = ks_db(run->c->ks, u->dbid);
        db_delete(db, u->key, u->len);
        if (u->before) db_restore(db, u->before, u->when);
        u->before = NULL;
    }
}

static void undo_free(struct run *run)
{
    for (uint32_t i = 0; i < run->nundo; i++) {
        if (run->undo[i].before) kv_free(run->undo[i].before);
        rk_free(run->undo[i].key);
    }
    rk_free(run->undo);
}

/* ---- a script's call ---- */

static const struct cmd_def *find_command(int argc, const char *const *argv, const size_t *lens)
{
    const struct cmd_def *cmd = cmd_lookup(argv[0], lens[0]);
    if (cmd && cmd->subcommands && (argc >= 2 || !cmd->fn)) {
        if (argc < 2) return cmd; /* the arity check answers */
        cmd = cmd_lookup_sub(cmd, argv[1], lens[1]);
    }
    return cmd;
}

/* SELECT inside a script changes the script's database only (7.0). */
static void script_select(struct run *run, const struct cmd_args *a, struct reply *r)
{
    long long id;
    if (!string2ll(a->argv[1], a->len[1], &id)) {
        reply_error(r, "ERR value is not an integer or out of range");
    } else if (id < 0 || id >= run->c->cfg->databases) {
        reply_error(r, "ERR DB index is out of range");
    } else {
        run->dbid = (int)id;
        run->db = ks_db(run->c->ks, (int)id);
        reply_ok(r);
    }
}

static void pack_arg(struct obuf *out, const char *p, size_t len)
{
    uint32_t l = (uint32_t)len;
    obuf_append(out, &l, 4);
    obuf_append(out, p, len);
}

/* PUBLISH with several shards: kept until the script finishes (a try
 * that is undone publishes nothing), then sent to every shard. Its reply
 * counts the receivers on this shard only (README, "Limits"). */
static void script_publish(struct run *run, const struct cmd_args *a, struct reply *r)
{
    pack_arg(&run->published, a->argv[1], a->len[1]);
    pack_arg(&run->published, a->argv[2], a->len[2]);
    run->npublished++;
    reply_int(r, host_publish(run->c->host, PUBSUB_CHANNEL, a->argv[1], a->len[1], NULL, 0));
}

size_t script_take_publishes(const char *data, size_t len, script_publish_fn fn, void *arg)
{
    uint32_t n;
    if (len < 5 || data[0] != SCRIPT_PUBLISH_MARK) return 0;
    memcpy(&n, data + 1, 4);
    size_t at = 5;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cl, ml;
        memcpy(&cl, data + at, 4);
        const char *ch = data + at + 4;
        at += 4 + cl;
        memcpy(&ml, data + at, 4);
        fn(arg, ch, cl, data + at + 4, ml);
        at += 4 + ml;
    }
    return at;
}

/* A finished run's messages: ahead of its reply for the shard to send
 * once the script's effects are visible, or sent now when nobody
 * coordinates the run (inside MULTI). */
static void send_published(struct cmd_ctx *c, struct run *run, size_t reply_at)
{
    if (!run->npublished) return;
    if (!c->script_may_retry) {
        for (size_t at = 0; at < run->published.len;) {
            uint32_t cl, ml;
            memcpy(&cl, run->published.data + at, 4);
            const char *ch = run->published.data + at + 4;
            at += 4 + cl;
            memcpy(&ml, run->published.data + at, 4);
            host_publish_all(c->host, ch, cl, run->published.data + at + 4, ml);
            at += 4 + ml;
        }
        return;
    }
    struct obuf *out = c->r->buf;
    size_t head = 5 + run->published.len, reply_len = out->len - reply_at;
    obuf_reserve(out, head);
    memmove(out->data + reply_at + head, out->data + reply_at, reply_len);
    out->data[reply_at] = SCRIPT_PUBLISH_MARK;
    memcpy(out->data + reply_at + 1, &run->npublished, 4);
    memcpy(out->data + reply_at + 5, run->published.data, run->published.len);
    out->len += head;
}

/* Why Redis 7.0 refuses a call before running it, or NULL. Those that
 * reach every shard cannot run from inside one shard's run (README,
 * "Limits"). The connection commands a script may call (PING, ECHO,
 * TIME, ...) run without their client (cmd_ctx.client is NULL); those
 * that need one are NOSCRIPT, but for SELECT, which the script keeps. */
static const char *refusal(const struct run *run, const struct cmd_def *cmd, int argc)
{
    if (!cmd) return "ERR Unknown Redis command called from script";
    if (!cmd_arity_ok(cmd, argc)) return "ERR Wrong number of args calling Redis command from script";
    if (cmd->flags & CMD_NOSCRIPT) return "ERR This Redis command is not allowed from script";
    if (run->read_only && (cmd->flags & CMD_WRITE))
        return "ERR Write commands are not allowed from read-only scripts.";
    if ((cmd->flags & CMD_ALL_SHARDS) && run->c->nshards > 1 && strcmp(cmd->name, "publish") != 0)
        return "ERR ringkv: a command that reaches every shard cannot run inside a script with --shards above 1";
    return NULL;
}

/* Whether every key of the call is within reach (else run->out_key). */
static bool keys_in_reach(struct run *run, const struct cmd_def *cmd, const struct cmd_args *a, bool write)
{
    int *pos = rk_malloc(((size_t)a->argc + 1) * sizeof(int));
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        const char *key = a->argv[pos[i]];
        size_t len = a->len[pos[i]];
        if (!reachable(run, key, len)) {
            run->out_key = rk_strndup(key, len);
            run->out_len = len;
            run->out_db = run->dbid;
            ok = false;
        } else if (write && run->undoable) {
            undo_record(run, key, len);
        }
    }
    rk_free(pos);
    return ok;
}

static enum script_call script_call(void *ud, int argc, const char *const *argv, const size_t *lens, int resp,
                                    struct obuf *out)
{
    struct run *run = ud;
    struct reply r;
    reply_init(&r, out, resp);
    const struct cmd_def *cmd = find_command(argc, argv, lens);
    const char *why = refusal(run, cmd, argc);
    struct cmd_args a = {argc, (const char **)argv, lens};
    if (why) {
        reply_error(&r, why);
        return SCRIPT_CALL_OK;
    }
    if (strcmp(cmd->name, "select") == 0) {
        script_select(run, &a, &r);
        return SCRIPT_CALL_OK;
    }
    if (run->c->nshards > 1 && strcmp(cmd->name, "publish") == 0) {
        script_publish(run, &a, &r);
        return SCRIPT_CALL_OK;
    }
    if (!keys_in_reach(run, cmd, &a, (cmd->flags & CMD_WRITE) != 0)) return SCRIPT_CALL_ABORT;
    struct cmd_ctx ctx = *run->c;
    ctx.r = &r;
    ctx.db = run->db;
    ctx.dbid = run->dbid;
    ctx.client = NULL;
    ctx.may_block = false; /* a blocking command answers at once (Redis) */
    ctx.blocked = false;
    ctx.serving = false;
    host_run(ctx.host, cmd, &a, &ctx);
    return SCRIPT_CALL_OK;
}

/* ---- EVAL and friends ---- */

/* The call's parts: [name, script or sha, numkeys, keys..., args...]. */
struct eval_call {
    const char *body;
    size_t body_len;
    bool by_sha, read_only;
    long long numkeys;
    struct cmd_args keys, args;
};

static bool parse_eval(struct cmd_ctx *c, const struct cmd_args *a, struct eval_call *e)
{
    if (!string2ll(a->argv[2], a->len[2], &e->numkeys)) {
        reply_error(c->r, "ERR value is not an integer or out of range");
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
    if (e->by_sha) {
        for (size_t i = 0; i < 40 && i < e->body_len; i++) sha[i] = (char)tolower((unsigned char)e->body[i]);
        sha[40] = '\0';
        if (e->body_len != 40 || !script_exists(eng, sha, 40)) {
            struct obuf body = {0};
            ok = e->body_len == 40 && script_store_get(store, sha, &body) &&
                 script_load(eng, body.data ? body.data : "", body.len, sha, &err);
            obuf_free(&body);
            if (!ok && !err.len) reply_error(c->r, ERR_NOSCRIPT);
        }
    } else if (!script_load(eng, e->body, e->body_len, sha, &err)) {
        ok = false;
    } else {
        script_store_put(store, sha, e->body, e->body_len);
    }
    if (!ok && err.len) reply_error_len(c->r, err.data, err.len);
    obuf_free(&err);
    return ok;
}

/* The reply asking for a run over the out-of-reach key too. */
static void reply_retry(struct cmd_ctx *c, const struct run *run)
{
    char mark = SCRIPT_RETRY_MARK;
    int32_t db = run->out_db;
    uint32_t len = (uint32_t)run->out_len;
    obuf_append(c->r->buf, &mark, 1);
    obuf_append(c->r->buf, &db, 4);
    obuf_append(c->r->buf, &len, 4);
    obuf_append(c->r->buf, run->out_key, run->out_len);
}

static void after_abort(struct cmd_ctx *c, struct run *run)
{
    if (run->undo_lost) {
        undo_apply(run); /* what could be copied: the rest is lost with the error */
        reply_errorf(c->r, "ERR ringkv: the script touched key '%.*s', which it did not declare and which another "
                     "shard owns, after writing a value too big to undo; declare it in KEYS",
                     (int)(run->out_len < 128 ? run->out_len : 128), run->out_key);
        return;
    }
    undo_apply(run);
    if (c->script_may_retry) reply_retry(c, run);
    else
        reply_errorf(c->r, "ERR ringkv: the script touched key '%.*s', which it did not declare and which another "
                     "shard owns or a transaction holds; declare it in KEYS",
                     (int)(run->out_len < 128 ? run->out_len : 128), run->out_key);
}

/* reach (in databases reach_dbs, NULL: the EVAL's): the keys the run may
 * touch wherever it runs. */
static void eval_run(struct cmd_ctx *c, const struct eval_call *e, const struct cmd_args *reach, const int *reach_dbs)
{
    struct script_engine *eng = host_script_engine(c->host);
    char sha[41];
    if (!ready_script(c, eng, e, sha)) return;
    uint32_t flags = script_flags(eng, sha, 40);
    if (e->read_only && (flags & SCRIPT_FLAG_SHEBANG) && !(flags & SCRIPT_FLAG_NO_WRITES)) {
        reply_error(c->r, "ERR Can not execute a script with write flag using *_ro command.");
        return;
    }
    bool ro = e->read_only || (flags & SCRIPT_FLAG_NO_WRITES);
    struct run run = {.c = c, .read_only = ro, .keys = reach, .key_dbs = reach_dbs, .dbid = c->dbid, .db = c->db,
                      .undoable = c->nshards > 1 && !ro};
    struct script_host host = {.call = script_call, .ud = &run};
    struct script_call_args sa = {sha, e->keys.argv, e->keys.len, (int)e->numkeys, e->args.argv, e->args.len,
                                  (int)e->args.argc, c->r->resp};
    size_t reply_at = c->r->buf->len;
    switch (script_run(eng, &sa, &host, c->r->buf)) {
    case SCRIPT_DONE: send_published(c, &run, reply_at); break;
    case SCRIPT_NOSCRIPT: reply_error(c->r, ERR_NOSCRIPT); break;
    case SCRIPT_ABORTED: after_abort(c, &run); break;
    }
    undo_free(&run);
    obuf_free(&run.published);
    rk_free(run.out_key);
}

static void eval_generic(struct cmd_ctx *c, const struct cmd_args *a, bool by_sha, bool ro)
{
    struct eval_call e = {.by_sha = by_sha, .read_only = ro};
    if (!parse_eval(c, a, &e)) return;
    eval_run(c, &e, &e.keys, NULL);
}

static void eval_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, false, false); }
static void evalsha_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, true, false); }
static void eval_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, false, true); }
static void evalsha_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { eval_generic(c, a, true, true); }

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
    const struct cmd_def *orig = cmd_lookup(call.argv[0], call.len[0]);
    struct eval_call e = {.by_sha = orig && (orig->fn == evalsha_command || orig->fn == evalsha_ro_command),
                          .read_only = orig && (orig->fn == eval_ro_command || orig->fn == evalsha_ro_command)};
    if (!parse_eval(c, &call, &e)) return;
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
    return cmd->fn == eval_command || cmd->fn == evalsha_command || cmd->fn == eval_ro_command ||
           cmd->fn == evalsha_ro_command;
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
    {.name = "script", .arity = -2, .subcommands = script_subcommands, .group = "scripting",
     .summary = "A container for Lua scripts management commands", .since = "2.6.0",
     .complexity = "Depends on subcommand."},
    {0},
};
