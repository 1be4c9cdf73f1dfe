/* script_host.c — the engine's host: running a script's commands for it,
 * within the keys it may reach (cmd_script.h), undoing its writes when the
 * run must start again over more keys, and keeping its PUBLISHes until it
 * has finished.
 *
 * Each redis.call comes here, is checked as Redis 7.0 checks a script's
 * call, and runs against the context of the command that runs the script
 * (EVAL, or the wide call of core/xscript.c).
 * Thread: the shard running the script.
 */
#include "ringkv/cmd/script_host.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_acl.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/cmd/host.h"
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"

#include <string.h>

/* A value bigger than this is not copied before a script's first write to
 * it: such a run cannot be undone, and fails instead of being retried if
 * it then reaches a key out of reach (README, "Limits"). */
#define UNDO_MAX_BYTES (64 * 1024)

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
    long long started_ms;       /* for busy-reply-threshold */
    bool wrote;
    bool function;              /* FCALL's (FUNCTION KILL stops it, not SCRIPT KILL) */
    struct acl_user *user;      /* the caller's ACL user, NULL when every user may run anything */
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

/* Calls fn for each of n packed [channel, message] pairs at p; returns
 * the end. */
static const char *visit_published(const char *p, uint32_t n, script_publish_fn fn, void *arg)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cl, ml;
        memcpy(&cl, p, 4);
        const char *ch = p + 4;
        p += 4 + cl;
        memcpy(&ml, p, 4);
        fn(arg, ch, cl, p + 4, ml);
        p += 4 + ml;
    }
    return p;
}

size_t script_take_publishes(const char *data, size_t len, script_publish_fn fn, void *arg)
{
    uint32_t n;
    if (len < 5 || data[0] != SCRIPT_PUBLISH_MARK) return 0;
    memcpy(&n, data + 1, 4);
    return (size_t)(visit_published(data + 5, n, fn, arg) - data);
}

static void publish_now(void *host, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    host_publish_all(host, channel, clen, msg, mlen);
}

/* A finished run's messages: ahead of its reply for the shard to send
 * once the script's effects are visible, or sent now when nobody
 * coordinates the run (inside MULTI). */
static void send_published(struct cmd_ctx *c, struct run *run, size_t reply_at)
{
    if (!run->npublished) return;
    if (!c->script_may_retry) {
        visit_published(run->published.data, run->npublished, publish_now, c->host);
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
    /* As Redis, may-replicate counts as writing (PUBLISH), so that
     * read-only scripts may run during CLIENT PAUSE WRITE. */
    if (run->read_only && (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)))
        return "ERR Write commands are not allowed from read-only scripts.";
    if ((cmd->flags & CMD_ALL_SHARDS) && run->c->nshards > 1 && strcmp(cmd->name, "publish") != 0)
        return "ERR ringkv: a command that reaches every shard cannot run inside a script with --shards above 1";
    return NULL;
}

/* The caller's rights, checked for each call as Redis's scriptVerifyACL:
 * a denial is logged (context "lua") and is the call's error. */
static bool acl_permits(struct run *run, const struct cmd_def *cmd, const struct cmd_args *a, struct reply *r)
{
    int pos = 0;
    enum acl_denied why = acl_check(run->user, cmd, a, &pos);
    if (why == ACL_OK) return true;
    const char *object = why == ACL_DENIED_CMD ? cmd->name : a->argv[pos];
    size_t olen = why == ACL_DENIED_CMD ? strlen(cmd->name) : a->len[pos];
    acl_log_for(run->c, why, ACL_LOG_LUA, object, olen, run->user);
    switch (why) {
    case ACL_DENIED_CMD: reply_error(r, "ERR The user executing the script can't run this command or subcommand"); break;
    case ACL_DENIED_KEY:
        reply_error(r, "ERR The user executing the script can't access at least one of the keys mentioned in the "
                       "command arguments");
        break;
    case ACL_DENIED_CHANNEL:
        reply_error(r, "ERR The user executing the script can't publish to the channel mentioned in the command");
        break;
    default: reply_error(r, "ERR The user executing the script is lacking the permissions for the command"); break;
    }
    return false;
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

/* redis.acl_check_cmd: the command as redis.call would find it, checked
 * against the script's user (every right without one), arity aside as in
 * Redis. */
static int script_acl_check(void *ud, int argc, const char *const *argv, const size_t *lens)
{
    struct run *run = ud;
    const struct cmd_def *cmd = find_command(argc, argv, lens);
    if (!cmd) return -1;
    int pos = 0;
    struct cmd_args a = {argc, (const char **)argv, lens};
    return !run->user || acl_check(run->user, cmd, &a, &pos) == ACL_OK;
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
    if (run->user && !acl_permits(run, cmd, &a, &r)) return SCRIPT_CALL_OK;
    host_monitor_script_call(run->c->host, cmd, run->dbid, &a);
    if (strcmp(cmd->name, "select") == 0) {
        script_select(run, &a, &r);
        return SCRIPT_CALL_OK;
    }
    if (run->c->nshards > 1 && strcmp(cmd->name, "publish") == 0) {
        script_publish(run, &a, &r);
        return SCRIPT_CALL_OK;
    }
    if (!keys_in_reach(run, cmd, &a, (cmd->flags & CMD_WRITE) != 0)) return SCRIPT_CALL_ABORT;
    /* Counted as Redis counts a script's commands: calls, failures and
     * error replies in INFO commandstats/errorstats, where the script's
     * own reply is counted (a part of a fanned-out call: not here). */
    reply_counted(&r, run->c->r->stats);
    struct cmd_ctx ctx = *run->c;
    r.reader = run->c->r->reader; /* the script's reads are its client's (client-side caching) */
    ctx.r = &r;
    ctx.db = run->db;
    ctx.dbid = run->dbid;
    ctx.client = NULL;
    ctx.may_block = false; /* a blocking command answers at once (Redis) */
    ctx.from_script = true;
    ctx.blocked = false;
    ctx.serving = false;
    host_run(ctx.host, cmd, &a, &ctx);
    run->wrote |= (cmd->flags & CMD_WRITE) != 0; /* as Redis: SCRIPT KILL cannot stop it any more */
    return SCRIPT_CALL_OK;
}

static enum script_call script_tick(void *ud)
{
    struct run *run = ud;
    return host_script_tick(run->c->host, run->started_ms, run->wrote, run->function) ? SCRIPT_CALL_KILL
                                                                                        : SCRIPT_CALL_OK;
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


void script_host_run(struct cmd_ctx *c, struct script_engine *eng, script_runner_fn runner, void *arg, bool ro,
                     bool function, const struct cmd_args *reach, const int *reach_dbs)
{
    struct run run = {.c = c, .read_only = ro, .function = function, .keys = reach, .key_dbs = reach_dbs, .dbid = c->dbid, .db = c->db,
                      .undoable = c->nshards > 1 && !ro};
    struct script_host host = {.call = script_call, .tick = script_tick, .acl_check = script_acl_check, .ud = &run};
    size_t reply_at = c->r->buf->len;
    if (!acl_all_unrestricted()) run.user = acl_client_user(c->client_id);
    run.started_ms = db_now_ms(); /* the clock keys expire by stops here until the script ends (Redis 7) */
    switch (runner(eng, arg, &host, c->r->buf)) {
    case SCRIPT_DONE: send_published(c, &run, reply_at); break;
    case SCRIPT_NOSCRIPT: reply_error(c->r, "NOSCRIPT No matching script. Please use EVAL."); break;
    case SCRIPT_ABORTED: after_abort(c, &run); break;
    }
    host_script_done(c->host);
    undo_free(&run);
    acl_user_unref(run.user);
    obuf_free(&run.published);
    rk_free(run.out_key);
}
