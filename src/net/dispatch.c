/* dispatch.c — request checks, routing and ordering; see dispatch.h.
 * Thread: the connection's shard. */
#include "ringkv/net/dispatch.h"
#include "ringkv/core/pause.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/net/conn.h"
#include "ringkv/net/conn_acl.h"
#include "ringkv/net/monitor.h"
#include "ringkv/net/multi.h"
#include "ringkv/net/tracking.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/tx.h"
#include "ringkv/core/xscript.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/server.h"
#include "ringkv/core/memory.h"
#include "ringkv/base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum run_result { RUN_DONE, RUN_WAIT };

static void argv_reserve(struct conn *c, uint32_t n)
{
    if (c->argv_cap >= n) return;
    uint32_t cap = c->argv_cap ? c->argv_cap : 16;
    while (cap < n) cap *= 2;
    c->argv = rk_realloc(c->argv, cap * sizeof(*c->argv));
    c->argl = rk_realloc(c->argl, cap * sizeof(*c->argl));
    c->argv_cap = cap;
}

typedef void (*error_writer)(struct reply *, const struct cmd_args *, const void *);

/* Errors the connection answers itself (a command refused before it
 * runs); they queue behind pending replies like any other reply, so they
 * too wait until nothing is in flight. Inside MULTI a refusal dooms the
 * transaction, and EXEC refused becomes EXECABORT (multi.h). */
static enum run_result refuse(struct conn *c, const struct cmd_def *cmd, error_writer write, const struct cmd_args *a,
                              const void *arg)
{
    if (c->busy) return RUN_WAIT;
    struct obuf err;
    obuf_init(&err);
    struct reply tmp;
    reply_init(&tmp, &err, c->resp);
    write(&tmp, a, arg);
    if (!multi_refused(c, cmd, err.data + 1, err.len - 3)) { /* "-...\r\n" */
        struct reply r;
        reply_init(&r, conn_reply_buf(c), c->resp);
        reply_counted(&r, c->shard->cmdstats);
        reply_error_raw(&r, err.data, err.len);
        conn_want_send(c);
    }
    obuf_free(&err);
    return RUN_DONE;
}

/* A known command refused before it runs: Redis counts it as the
 * command's rejected call. */
static enum run_result reject(struct conn *c, const struct cmd_def *cmd, error_writer write, const struct cmd_args *a,
                              const void *arg)
{
    enum run_result res = refuse(c, cmd, write, a, arg);
    if (res == RUN_DONE) cmdstats_rejected(c->shard->cmdstats, cmd);
    return res;
}

static void write_unknown_command(struct reply *r, const struct cmd_args *a, const void *unused)
{
    char args[512];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < a->argc && n < 128; i++) {
        int take = (int)(128 - n) < (int)a->len[i] ? (int)(128 - n) : (int)a->len[i];
        n += (size_t)snprintf(args + n, sizeof(args) - n, "'%.*s' ", take, a->argv[i]);
    }
    int nl = a->len[0] < 128 ? (int)a->len[0] : 128;
    reply_errorf(r, "ERR unknown command '%.*s', with args beginning with: %s", nl, a->argv[0], args);
}

static void write_unknown_subcommand(struct reply *r, const struct cmd_args *a, const void *parent)
{
    const struct cmd_def *p = parent;
    char upper[64];
    size_t i;
    for (i = 0; p->name[i] && i < sizeof(upper) - 1; i++) upper[i] = (char)toupper((unsigned char)p->name[i]);
    upper[i] = '\0';
    int nl = a->len[1] < 128 ? (int)a->len[1] : 128;
    reply_errorf(r, "ERR unknown subcommand '%.*s'. Try %s HELP.", nl, a->argv[1], upper);
}

static void write_arity(struct reply *r, const struct cmd_args *a, const void *cmd)
{
    reply_errorf(r, "ERR wrong number of arguments for '%s' command", ((const struct cmd_def *)cmd)->name);
}

/* Redis 7.0's protected commands: only DEBUG here (ringkv has no MODULE). */
static void write_protected(struct reply *r, const struct cmd_args *a, const void *unused)
{
    reply_error(r, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can "
                   "run it from a local connection, otherwise you need to set this option in the configuration "
                   "file, and then restart the server.");
}

/* enable-debug-command: yes, or local and the client is on the loopback
 * address (Redis's islocalClient: 127.0.0.1 or ::1 exactly). */
static bool protected_allowed(const struct conn *c)
{
    long long mode = c->shard->cfg.enable_debug_command;
    if (mode == CONFIG_PROTECTED_YES) return true;
    return mode == CONFIG_PROTECTED_LOCAL && (strncmp(c->addr, "127.0.0.1:", 10) == 0 || strncmp(c->addr, "::1:", 4) == 0);
}

static void write_busy(struct reply *r, const struct cmd_args *a, const void *busy)
{
    reply_error(r, script_busy_error(*(const int *)busy & SCRIPT_BUSY_FUNCTION));
}

/* The state (SCRIPT_BUSY_*) of a shard the command needs that runs a
 * script past busy-reply-threshold: Redis answers -BUSY then. 0: none.
 * (A client of that shard waits for the script instead: its shard runs
 * nothing else meanwhile.) */
static int reaches_busy_shard(const struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, int where,
                              const int *keypos, int nkeys)
{
    const struct server *srv = c->shard->srv;
    if (where >= 0) return __atomic_load_n(&srv->script_busy[where], __ATOMIC_RELAXED);
    if (where == -1) return 0;
    int busy = 0;
    for (unsigned i = 0; i < srv->nshards && (cmd->flags & CMD_ALL_SHARDS) && !busy; i++)
        busy = __atomic_load_n(&srv->script_busy[i], __ATOMIC_RELAXED);
    for (int i = 0; i < nkeys && !busy; i++)
        busy = __atomic_load_n(&srv->script_busy[shard_of_key(srv, a->argv[keypos[i]], a->len[keypos[i]])],
                               __ATOMIC_RELAXED);
    return busy;
}

static void write_pubsub_only(struct reply *r, const struct cmd_args *a, const void *cmd)
{
    reply_errorf(r,
                 "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                 "this context",
                 ((const struct cmd_def *)cmd)->name);
}

/* RESP2's subscribed mode lets only these through. */
static bool allowed_while_subscribed(const struct cmd_def *cmd)
{
    static const char *const names[] = {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
                                        "psubscribe", "punsubscribe", "quit", "reset"};
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++)
        if (strcmp(cmd->name, names[i]) == 0) return true;
    return false;
}

struct denial {
    const struct cmd_def *cmd;
    enum acl_denied why;
    int errpos;
};

static void write_noperm(struct reply *r, const struct cmd_args *a, const void *arg)
{
    (void)a;
    const struct denial *d = arg;
    conn_acl_write_denied(r, d->why, d->cmd);
}

static void write_noauth(struct reply *r, const struct cmd_args *a, const void *unused)
{
    reply_error(r, RK_ERR_NOAUTH);
}

static void write_oom(struct reply *r, const struct cmd_args *a, const void *unused)
{
    reply_error(r, RK_ERR_OOM);
}

static void write_misconf(struct reply *r, const struct cmd_args *a, const void *unused)
{
    reply_error(r, "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
                   "Commands that may modify the data set are disabled, because this instance is configured to "
                   "report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). "
                   "Please check the Redis logs for details about the RDB error.");
}

/* stop-writes-on-bgsave-error: with save points, a failed snapshot stops
 * writes (and PING, as in Redis) until one succeeds. */
static bool writes_denied(const struct conn *c, const struct cmd_def *cmd)
{
    const struct config *cfg = &c->shard->cfg;
    if (!cfg->stop_writes_on_bgsave_error || cfg->save_count == 0) return false;
    if (!(cmd->flags & CMD_WRITE) && strcmp(cmd->name, "ping") != 0) return false;
    return !__atomic_load_n(&c->shard->srv->snap.last_ok, __ATOMIC_RELAXED);
}

/* A local command whose keys a transaction holds waits for them (exec.h),
 * and the connection waits behind it. */
static void wait_for_keys(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct obuf packed;
    obuf_init(&packed);
    msg_pack_command(&packed, cmd, a);
    struct exec_origin o = {&c->sender.done, (int)c->shard->id, (uint8_t)c->dbid, (uint16_t)tracking_resp_word(c),
                            c->id, conn_output_hard_limit(c), true};
    c->busy++;
    exec_wait(c->shard, &o, packed.data, packed.len, 1, NULL, 0);
    obuf_free(&packed);
}

/* A local blocking command found nothing: the connection waits for it in
 * the wait registry (exec.h). */
static void block_here(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, long long deadline)
{
    struct obuf packed;
    obuf_init(&packed);
    msg_pack_command(&packed, cmd, a);
    struct exec_origin o = {&c->sender.done, (int)c->shard->id, (uint8_t)c->dbid, (uint16_t)tracking_resp_word(c),
                            c->id, conn_output_hard_limit(c), true};
    c->busy++;
    exec_block(c->shard, &o, packed.data, packed.len, 1, NULL, 0, deadline);
    obuf_free(&packed);
}

static enum run_result run_inline(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a)
{
    if (c->busy) return RUN_WAIT;
    struct shard *s = c->shard;
    if (exec_must_wait(s, s->locks, cmd, a, c->dbid)) {
        wait_for_keys(c, cmd, a);
        return RUN_DONE;
    }
    struct reply r;
    reply_init(&r, conn_reply_buf(c), tracking_resp_word(c));
    reply_counted(&r, s->cmdstats);
    long long deadline;
    if (!(cmd->flags & CMD_BLOCKING)) {
        shard_exec(s, cmd, a, c->dbid, &r, conn_client(c), c->id);
    } else if (shard_exec_blocking(s, cmd, a, c->dbid, &r, c->id, &deadline)) {
        block_here(c, cmd, a, deadline);
        return RUN_DONE;
    }
    exec_serve_blocked(s);
    conn_want_send(c);
    return RUN_DONE;
}

static enum run_result run_remote(struct conn *c, unsigned target, const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct shard *s = c->shard;
    int resp = tracking_resp_word(c);
    /* A segment's commands share its protocol word: one whose reads
     * register differently (CLIENT CACHING) starts a segment of its own. */
    bool joins_open_segment = msg_sender_open_to(&c->sender, target) && c->sender.resp == resp;
    if (c->busy && !joins_open_segment) return RUN_WAIT;
    if (!joins_open_segment && !msg_outbox_has_room(s, target, &c->waiter)) return RUN_WAIT;
    c->sender.dbid = (uint8_t)c->dbid;
    c->sender.resp = (uint16_t)resp;
    c->sender.client_id = c->id;
    c->sender.max_reply = conn_output_hard_limit(c);
    if (msg_add_command(s, target, &c->sender, cmd, a)) c->busy++;
    return RUN_DONE;
}

/* A command over several shards: a transaction (tx.h). */
static enum run_result run_transaction(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a,
                                       const int *keypos, int nkeys)
{
    if (c->busy) return RUN_WAIT;
    c->busy++;
    struct tx_client cl = {.done = &c->sender.done, .dbid = c->dbid, .resp = (uint16_t)tracking_resp_word(c),
                           .client_id = c->id, .client = conn_client(c)};
    if (cmd->flags & CMD_BLOCKING) tx_run_blocking(c->shard, &cl, cmd, a, keypos, nkeys);
    else tx_run_command(c->shard, &cl, cmd, a, keypos, nkeys);
    return RUN_DONE;
}

/* A script (EVAL...) with more than one shard: in place when its declared
 * keys are this shard's and free, else, or when it reaches for a key
 * that is not, as a transaction (core/xscript.h). */
static enum run_result run_script(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a,
                                  const int *keypos, int nkeys)
{
    if (c->busy) return RUN_WAIT;
    struct shard *s = c->shard;
    /* The one shard owning every declared key, or -1 when they are apart. */
    int home = (int)s->id;
    for (int i = 0; i < nkeys && home >= 0; i++) {
        unsigned owner = shard_of_key(s->srv, a->argv[keypos[i]], a->len[keypos[i]]);
        if (i == 0) home = (int)owner;
        else if ((int)owner != home) home = -1;
    }
    int resp = tracking_resp_word(c);
    struct tx_client cl = {.done = &c->sender.done, .dbid = c->dbid, .resp = (uint16_t)resp, .client_id = c->id};
    if (home >= 0 && home != (int)s->id) {
        c->busy++;
        xscript_run_at(s, &cl, cmd, a, (unsigned)home);
        return RUN_DONE;
    }
    bool here = home >= 0 && !exec_must_wait(s, s->locks, cmd, a, c->dbid);
    struct obuf retry = {0};
    if (here) {
        struct obuf *out = conn_reply_buf(c);
        size_t mark = out->len;
        struct reply r;
        reply_init(&r, out, resp);
        reply_counted(&r, s->cmdstats);
        struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, c->dbid, &r, NULL, c->id);
        ctx.script_may_retry = true;
        shard_exec_ctx(s, cmd, a, &ctx);
        exec_serve_blocked(s);
        if (out->len == mark || out->data[mark] != SCRIPT_RETRY_MARK) {
            size_t skip = xscript_send_published(s, out->data + mark, out->len - mark);
            if (skip) {
                memmove(out->data + mark, out->data + mark + skip, out->len - mark - skip);
                out->len -= skip;
            }
            conn_want_send(c);
            return RUN_DONE;
        }
        obuf_append(&retry, out->data + mark, out->len - mark);
        out->len = mark;
    }
    c->busy++;
    xscript_run(s, &cl, cmd, a, retry.data, retry.len);
    obuf_free(&retry);
    return RUN_DONE;
}

/* Where a command runs: -1 on this connection's shard with the connection,
 * a shard id, or -2 for a fan-out over several shards. */
static int route(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, int **keypos, int *nkeys)
{
    const struct server *srv = c->shard->srv;

    if (cmd->flags & CMD_CONN) return -1;
    /* With one shard, a command whose part is its whole reply runs in place. */
    if (cmd->flags & CMD_ALL_SHARDS) return srv->nshards == 1 && cmd->combine != COMBINE_CUSTOM ? -1 : -2;
    if (cmd->route) {
        unsigned target = cmd->route(a, srv->nshards);
        return target == c->shard->id || target >= srv->nshards ? -1 : (int)target;
    }
    shard_scratch_reserve(c->shard, (uint32_t)a->argc);
    int *pos = c->shard->scratch_keypos;
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    *keypos = pos;
    *nkeys = n;
    if (n == 0 || srv->nshards == 1) return -1;
    unsigned first = shard_of_key(srv, a->argv[pos[0]], a->len[pos[0]]);
    for (int i = 1; i < n; i++)
        if (shard_of_key(srv, a->argv[pos[i]], a->len[pos[i]]) != first) return -2;
    if (cmd->value_keys_home && !cmd->value_keys_home(a, srv->slot_owner, first)) return -2;
    return first == c->shard->id ? -1 : (int)first;
}

/* Commands whose replies CLIENT REPLY OFF/SKIP leaves alone: the
 * subscription commands answer with pushes, as Redis's, and CLIENT REPLY
 * and RESET end the silence before they answer. */
static bool always_answers(const struct cmd_def *cmd)
{
    static const char *const names[] = {"subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe",
                                        "punsubscribe", "client|reply", "reset"};
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++)
        if (strcmp(cmd->name, names[i]) == 0) return true;
    return false;
}

static bool is_exec(const struct cmd_def *cmd) { return cmd->name[0] == 'e' && strcmp(cmd->name, "exec") == 0; }

static bool silent_mode(const struct conn *c)
{
    return c->reply_mode == CLIENT_REPLY_OFF || c->reply_mode == CLIENT_REPLY_SKIP;
}

/* MULTI, EXEC (shown after its queue: multi.c), DISCARD and UNWATCH ran,
 * rather than being queued (UNWATCH inside MULTI). */
static bool tx_control_ran(const struct conn *c, const struct cmd_def *cmd)
{
    return (cmd->flags & CMD_TX_CONTROL) && !(multi_active(c) && strcmp(cmd->name, "unwatch") == 0);
}

static enum run_result run_routed(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, int where,
                                  const int *keypos, int nkeys)
{
    if (c->shard->srv->nshards > 1 && cmd_is_script_run(cmd)) return run_script(c, cmd, a, keypos, nkeys);
    if (where == -1) return run_inline(c, cmd, a);
    if (where >= 0) return run_remote(c, (unsigned)where, cmd, a);
    return run_transaction(c, cmd, a, keypos, nkeys);
}

static enum run_result run_command(struct conn *c, const struct cmd_args *a)
{
    const struct cmd_def *cmd = cmd_lookup(a->argv[0], a->len[0]);
    c->last_cmd = NULL;
    c->silenced = silent_mode(c);
    if (!cmd) return refuse(c, NULL, write_unknown_command, a, NULL);
    if (cmd->subcommands && (a->argc >= 2 || !cmd->fn)) {
        if (a->argc < 2) return reject(c, cmd, write_arity, a, cmd);
        const struct cmd_def *sub = cmd_lookup_sub(cmd, a->argv[1], a->len[1]);
        if (!sub) return refuse(c, NULL, write_unknown_subcommand, a, cmd);
        cmd = sub;
    }
    if (c->silenced && always_answers(cmd)) c->silenced = false;
    c->last_cmd = cmd->name; /* as Redis: CLIENT INFO shows itself */
    if (!cmd_arity_ok(cmd, a->argc)) return reject(c, cmd, write_arity, a, cmd);
    if (RK_UNLIKELY(cmd->flags & CMD_PROTECTED) && !protected_allowed(c)) return reject(c, cmd, write_protected, a, NULL);
    if (!c->authenticated && !(cmd->flags & CMD_NO_AUTH) && conn_auth_required(c))
        return reject(c, cmd, write_noauth, a, NULL);
    if (RK_UNLIKELY(!conn_acl_free(c))) {
        struct denial d = {.cmd = cmd, .errpos = 0};
        d.why = conn_acl_check(c, cmd, a, &d.errpos);
        if (d.why == ACL_DENIED_AUTH) return RUN_DONE; /* its user is gone: closing */
        if (d.why != ACL_OK) return reject(c, cmd, write_noperm, a, &d);
    }
    if ((c->flags & CONN_PUBSUB) && c->resp == 2 && !allowed_while_subscribed(cmd))
        return reject(c, cmd, write_pubsub_only, a, cmd);
    /* Checked as the command, routed as the variant its arguments pick. */
    if (RK_UNLIKELY(cmd->variant != NULL)) cmd = cmd->variant(a);
    if (writes_denied(c, cmd)) return reject(c, cmd, write_misconf, a, NULL);
    if (RK_UNLIKELY(pause_maybe(c->shard->srv)) &&
        pause_holds(c, pause_cmd_may_write(c->shard, cmd, a) || (is_exec(cmd) && multi_may_write(c))))
        return RUN_WAIT;
    switch (multi_dispatch(c, cmd, a)) {
    case MULTI_PASS: break;
    case MULTI_DONE:
        if (RK_UNLIKELY(monitor_any(c->shard->srv)) && tx_control_ran(c, cmd)) monitor_feed_command(c, cmd, c->dbid, a);
        return RUN_DONE;
    case MULTI_WAIT: return RUN_WAIT;
    }

    int *keypos = NULL, nkeys = 0;
    int where = route(c, cmd, a, &keypos, &nkeys);
    int busy = cmd->flags & CMD_ALLOW_BUSY ? 0 : reaches_busy_shard(c, cmd, a, where, keypos, nkeys);
    if (busy) return reject(c, cmd, write_busy, a, &busy);
    /* maxmemory: a command run here or coordinated from here evicts here
     * first; one sent to another shard is checked there (exec.c). */
    if (where < 0 && !c->busy && !memory_admit(c->shard, cmd->flags & CMD_DENYOOM)) return reject(c, cmd, write_oom, a, NULL);
    /* Shown before it runs (a script's EVAL before its calls), once even
     * when it has to wait for its turn; a connection command after, with
     * the state it leaves (SELECT's database), as Redis shows it. */
    bool show = RK_UNLIKELY(monitor_any(c->shard->srv)) && !(c->flags & CONN_MONITOR_FED);
    if (show && !(cmd->flags & CMD_CONN)) {
        monitor_feed_command(c, cmd, c->dbid, a);
        c->flags |= CONN_MONITOR_FED;
    }
    enum run_result res = run_routed(c, cmd, a, where, keypos, nkeys);
    if (res != RUN_DONE) return res;
    if (show && (cmd->flags & CMD_CONN)) monitor_feed_command(c, cmd, c->dbid, a);
    c->flags &= ~CONN_MONITOR_FED;
    return res;
}

/* Reads "<prefix><digits>\r\n" at *p; returns the number or -1. */
static long long scan_header(const char **p, const char *end, char prefix)
{
    const char *q = *p;
    long long n = 0;
    if (q >= end || *q++ != prefix) return -1;
    while (q < end && *q >= '0' && *q <= '9' && n < 1000000000) n = n * 10 + (*q++ - '0');
    if (end - q < 2 || q[0] != '\r' || q[1] != '\n') return -1;
    *p = q + 2;
    return n;
}

#define PREFETCH_MAX 32

/* A pipeline's lookups miss the cache one after another; finding the keys
 * of the next commands first and prefetching their buckets, then their
 * records, overlaps those misses. A cheap scan: anything unusual stops it.
 * Returns how many commands it looked at (they need no second look). */
/* Where a pipelined command's first key usually is: after the script
 * and numkeys for scripts (EVAL body numkeys key ...), else argv[1]. */
static long long first_key_at(const char *name, long long len)
{
    static const char *const scripts[] = {"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"};
    for (size_t i = 0; i < RK_ARRAY_LEN(scripts); i++)
        if ((size_t)len == strlen(scripts[i]) && strncasecmp(name, scripts[i], (size_t)len) == 0) return 3;
    return 1;
}

static uint32_t prefetch_keys(struct conn *c, const char *p, const char *end)
{
    const char *keys[PREFETCH_MAX];
    size_t lens[PREFETCH_MAX];
    uint64_t hashes[PREFETCH_MAX];
    int n = 0;
    struct db *db = shard_db(c->shard, c->dbid);
    while (n < PREFETCH_MAX && p < end) {
        long long argc = scan_header(&p, end, '*'), l, key_at = 1;
        if (argc < 2) break;
        for (long long i = 0; i < argc; i++) {
            if ((l = scan_header(&p, end, '$')) < 0 || end - p < l + 2) return (uint32_t)n;
            if (i == 0 && ((*p | 0x20) == 'e' || (*p | 0x20) == 'f')) key_at = first_key_at(p, l);
            /* Keys of other shards are prefetched too: a wasted load is
             * cheaper than computing their slot twice. */
            if (i == key_at) {
                keys[n] = p;
                lens[n++] = (size_t)l;
            }
            p += l + 2;
        }
    }
    if (n < 2) return (uint32_t)n;
    for (int i = 0; i < n; i++) db_prefetch(db, keys[i], lens[i], 0, &hashes[i]);
    for (int i = 0; i < n; i++) db_prefetch(db, keys[i], lens[i], 1, &hashes[i]);
    return (uint32_t)n;
}

/* After each command (Redis's commandProcessed): SKIP lasts one command,
 * set by the one before. A skipped command that went to another shard
 * has its reply dropped when it comes, and nothing joins it there: true
 * when input must wait for it. */
static bool reply_mode_step(struct conn *c)
{
    bool skipped_away = c->reply_mode == CLIENT_REPLY_SKIP && c->silenced && c->busy;
    if (skipped_away) c->drop_away_reply = true;
    c->reply_mode = c->reply_mode == CLIENT_REPLY_SKIP_NEXT ? CLIENT_REPLY_SKIP : CLIENT_REPLY_ON;
    c->silenced = false;
    return skipped_away;
}

size_t dispatch_input(struct conn *c, const char *buf, size_t len)
{
    size_t off = 0;
    conn_acl_shard_check(c->shard, c);
    while (off < len && !(c->flags & (CONN_CLOSING | CONN_CLOSE_AFTER_REPLY))) {
        /* Once per run of commands, not on every resume after a wait. */
        if (c->prefetched == 0 && c->busy == 0 && len - off > 64)
            c->prefetched = prefetch_keys(c, buf + off, buf + len);
        /* Limits as of now: AUTH or CONFIG SET may have changed them. */
        c->parser.max_bulk = c->shard->cfg.proto_max_bulk_len;
        c->parser.unauth = !c->authenticated && conn_auth_required(c);
        enum resp_status st = resp_parse(&c->parser, buf + off, len - off);
        if (st == RESP_MORE) break;
        if (st == RESP_ERROR) {
            if (c->busy) { /* answer in order: after what is in flight */
                resp_parser_reset(&c->parser);
                break;
            }
            struct reply r;
            reply_init(&r, &c->out, c->resp);
            reply_counted(&r, c->shard->cmdstats);
            reply_errorf(&r, "ERR %s", resp_error(&c->parser));
            c->flags |= CONN_CLOSE_AFTER_REPLY;
            conn_want_send(c);
            resp_parser_reset(&c->parser);
            return len;
        }
        if (st == RESP_EMPTY) {
            off += resp_consumed(&c->parser);
            continue;
        }
        uint32_t argc = c->parser.argc;
        argv_reserve(c, argc);
        for (uint32_t i = 0; i < argc; i++) {
            c->argv[i] = resp_arg_ptr(&c->parser, buf + off, i);
            c->argl[i] = c->parser.args[i].len;
        }
        struct cmd_args a = {(int)argc, c->argv, c->argl};
        c->in_running = len - off;
        enum run_result ran = run_command(c, &a);
        c->in_running = 0;
        if (ran == RUN_WAIT) {
            resp_parser_reset(&c->parser);
            break;
        }
        c->commands++;
        if (RK_UNLIKELY(c->trk != NULL)) {
            tracking_command_done(c, c->last_cmd);
            /* what its own command invalidated follows its reply */
            if (!c->busy && tracking_has_pending(c)) tracking_flush_pending(c);
        }
        if (c->prefetched) c->prefetched--;
        off += resp_consumed(&c->parser);
        if (c->reply_mode >= CLIENT_REPLY_SKIP_NEXT && reply_mode_step(c)) break;
    }
    return off;
}
