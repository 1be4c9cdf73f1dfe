/* exec.c — running commands on their keys' shard, honouring the lock
 * table; see exec.h. Thread: the shard's own. */
#include "ringkv/core/exec.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/memory.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/core/block.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/core/tx.h"
#include "ringkv/core/txlock.h"
#include "ringkv/data/db.h"
#include "ringkv/data/watch.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

struct cmd_ctx shard_cmd_ctx(struct shard *s, struct keyspace *ks, int dbid, struct reply *r,
                             struct client *client, uint64_t client_id)
{
    return (struct cmd_ctx){
        .ks = ks, .db = ks_db(ks, dbid), .dbid = dbid, .cfg = &s->cfg,
        .shard_index = s->id, .nshards = s->srv->nshards, .r = r, .client_id = client_id,
        .client = client, .host = shard_host(s),
    };
}

/* Watched keys a write command may change in place (SADD to an existing
 * set, INCR): their fingerprints before it runs. The database itself
 * reports changes it sees (watch.h). */
#define WATCHED_MAX 16
struct watched_before {
    int n;
    uint64_t big_write_lookups;
    const char *key[WATCHED_MAX];
    size_t len[WATCHED_MAX];
    uint64_t fp[WATCHED_MAX];
};

static void note_watched(struct db *db, const struct cmd_def *cmd, const struct cmd_args *a,
                         struct watched_before *wb)
{
    int pos[WATCHED_MAX];
    int n = cmd_key_positions(cmd, a, pos, WATCHED_MAX);
    wb->n = 0;
    wb->big_write_lookups = db->stats->big_write_lookups;
    for (int i = 0; i < n; i++) {
        const char *key = a->argv[pos[i]];
        size_t len = a->len[pos[i]];
        if (!watch_has(db, key, len)) continue;
        wb->key[wb->n] = key;
        wb->len[wb->n] = len;
        wb->fp[wb->n++] = watch_fingerprint(db_peek(db, key, len));
    }
}

/* ok: the command did not fail. */
static void touch_changed(struct db *db, const struct watched_before *wb, bool ok)
{
    bool big_written = ok && db->stats->big_write_lookups != wb->big_write_lookups;
    for (int i = 0; i < wb->n; i++) {
        const struct kv *kv = db_peek(db, wb->key[i], wb->len[i]);
        if (watch_fingerprint(kv) != wb->fp[i] || (big_written && !watch_fingerprint_exact(kv)))
            watch_touch(db, wb->key[i], wb->len[i]);
    }
}

static uint64_t us_to_ticks(long long us, long double us_per_tick)
{
    if (us_per_tick <= 0) return (uint64_t)us * 1000; /* not measured yet: at least 1 GHz */
    return (uint64_t)((long double)us / us_per_tick);
}

void exec_calibrate(struct shard *s)
{
    long long us = s->cfg.slowlog_log_slower_than;
    long double per_tick = cmdstats_us_per_tick(s->cmdstats);
    cmdstats_calibrate(s->cmdstats, s->cfg.latency_tracking);
    s->slowlog_ticks = us < 0 ? UINT64_MAX : us_to_ticks(us, per_tick);
    long long ms = s->cfg.latency_monitor_threshold;
    s->latency_ticks = ms <= 0 ? UINT64_MAX : us_to_ticks(ms * 1000, per_tick);
    s->slow_ticks = s->slowlog_ticks < s->latency_ticks ? s->slowlog_ticks : s->latency_ticks;
}

static void exec_slowlog_note(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                              struct client *client, uint64_t ticks)
{
    if ((cmd->flags & CMD_SKIP_SLOWLOG) || db_command_depth() > 0) return;
    uint64_t id = __atomic_fetch_add(&s->srv->slowlog_next_id, 1, __ATOMIC_RELAXED);
    long long us = (long long)((long double)ticks * cmdstats_us_per_tick(s->cmdstats));
    const char *addr = client ? client_addr(client) : "";
    const char *name = client ? client_name(client) : NULL;
    slowlog_add(&s->slowlog, (size_t)s->cfg.slowlog_max_len, id, mstime() / 1000, us, a->argc, a->argv, a->len,
                addr, name ? name : "");
}

void exec_note_slow(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct client *client,
                    uint64_t ticks)
{
    if (ticks >= s->slowlog_ticks && a->argc) exec_slowlog_note(s, cmd, a, client, ticks);
    if (ticks >= s->latency_ticks && db_command_depth() == 0) {
        long double ms = (long double)ticks * cmdstats_us_per_tick(s->cmdstats) / 1000;
        latency_monitor_add(&s->latency, (cmd->flags & CMD_FAST) ? "fast-command" : "command", (long long)time(NULL),
                            (uint32_t)(ms < UINT32_MAX ? ms : UINT32_MAX));
    }
}

void shard_exec_ctx(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx)
{
    struct reply *r = ctx->r;
    uint32_t errors = r->errors;
    uint64_t start = cmdstats_ticks_now();
    struct watched_before wb; /* note_watched fills it; {0} cost a 400-byte clear per command */
    wb.n = 0;
    struct db *db = ctx->db;
    bool watched = db->watch && (cmd->flags & CMD_WRITE);
    if (watched) note_watched(db, cmd, a, &wb);
    struct db_stats *st = &ctx->ks->stats;
    uint64_t changes = st->changes, write_lookups = st->write_lookups;
    bool tracking = RK_UNLIKELY(tracking_live(s->trk, s->srv));
    struct trk_frame trk;
    if (tracking) tracking_command_begin(s, cmd, a, ctx, &trk);
    ctx->unchanged = ctx->quiet = false;
    db_command_begin();
    cmd->fn(ctx, a);
    db_command_end();
    bool changed_any = r->errors == errors && !ctx->unchanged, signalled = changed_any && !ctx->quiet;
    if (tracking) tracking_command_end(s, cmd, a, ctx, signalled, &trk);
    /* The database counts keys stored, replaced and removed; a write that
     * took an existing value to change it in place (INCR, SADD to a set)
     * and did not fail counts once, unless it said it changed nothing. */
    if (st->changes == changes && st->write_lookups != write_lookups && changed_any) st->changes++;
    /* A command that changed nothing may still have changed a value's
     * form (SORT converts a sorted set), which moves its fingerprint. */
    if (watched && wb.n && db->watch && !ctx->unchanged) touch_changed(db, &wb, signalled);
    /* A command that blocked counts as a call when it is served. */
    uint64_t ticks = cmdstats_ticks_now() - start;
    bool whole = r->stats != NULL && !ctx->blocked;
    cmdstats_ran(s->cmdstats, cmd, ticks, whole, r->errors != errors);
    if (RK_UNLIKELY(ticks >= s->slow_ticks) && whole) exec_note_slow(s, cmd, a, ctx->client, ticks);
}

void shard_exec(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid, struct reply *r,
                struct client *client, uint64_t client_id)
{
    struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, dbid, r, client, client_id);
    shard_exec_ctx(s, cmd, a, &ctx);
}

/* Runs a command that may block, in ctx: true when it did. */
static bool exec_may_block(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx,
                           long long *deadline)
{
    ctx->may_block = true;
    shard_exec_ctx(s, cmd, a, ctx);
    *deadline = ctx->block_deadline_ms;
    return ctx->blocked;
}

bool shard_exec_blocking(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                         struct reply *r, uint64_t client_id, long long *deadline)
{
    struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, dbid, r, NULL, client_id);
    return exec_may_block(s, cmd, a, &ctx, deadline);
}

/* The database a key argument lives in (COPY ... DB n names another). */
static int key_db(const struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int pos, int dbid)
{
    if (!cmd->key_db) return dbid;
    int db = cmd->key_db(a, pos, dbid);
    return db >= 0 && db < s->cfg.databases ? db : dbid;
}

/* A database-wide command run in place (with one shard): its databases. */
static bool dbs_wait(struct shard *s, const struct cmd_def *cmd, int dbid)
{
    if (!(cmd->flags & (CMD_WRITE | CMD_READONLY))) return false; /* not the keyspace */
    bool write = cmd->flags & CMD_WRITE;
    if (!(cmd->flags & CMD_ALL_DBS)) return lock_table_blocks_db(s->locks, dbid, write);
    for (int db = 0; db < s->cfg.databases; db++)
        if (lock_table_blocks_db(s->locks, db, write)) return true;
    return false;
}

bool exec_keys_wait(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid)
{
    if (cmd->flags & CMD_ALL_SHARDS) return dbs_wait(s, cmd, dbid);
    bool write = cmd_writes_keys(cmd);
    shard_scratch_reserve(s, (uint32_t)a->argc);
    int *pos = s->scratch_keypos;
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    for (int i = 0; i < n; i++)
        if (lock_table_blocks(s->locks, key_db(s, cmd, a, pos[i], dbid), a->argv[pos[i]], a->len[pos[i]], write))
            return true;
    return false;
}

uint32_t exec_key_wants(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                        struct obuf *wants)
{
    enum lock_mode mode = cmd_writes_keys(cmd) ? LOCK_X : LOCK_S;
    shard_scratch_reserve(s, (uint32_t)a->argc);
    int *pos = s->scratch_keypos;
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    for (int i = 0; i < n; i++)
        tx_pack_want(wants, key_db(s, cmd, a, pos[i], dbid), a->argv[pos[i]], a->len[pos[i]], mode);
    return (uint32_t)n;
}

/* ---- commands waiting for keys: held by a transaction, or blocked ---- */

struct waiting {
    struct shard *s;
    struct exec_origin o;
    struct obuf cmds;          /* packed commands, [at, len) not run yet */
    size_t at;
    uint32_t left;
    struct obuf replies;
    struct block_wait block;   /* in the wait registry while blocked */
    bool blocked;
    /* While a ready key serves it: the one key its command may take from. */
    const char *served_key;
    size_t served_len;
};

enum progress { RAN_ALL, WAITS_FOR_LOCKS, BLOCKED };

static void waiting_granted(struct lock_req *req, void *arg);
static enum progress run_while_free(struct waiting *w);

/* Queues w for the keys of its next command. */
static void wait_for_next(struct waiting *w)
{
    struct shard *s = w->s;
    const struct cmd_def *cmd;
    struct cmd_args a;
    msg_unpack_command(s, w->cmds.data + w->at, &cmd, &a);
    struct obuf packed;
    obuf_init(&packed);
    uint32_t n = exec_key_wants(s, cmd, &a, w->o.dbid, &packed);
    struct lock_want *wants = rk_malloc((n + 1) * sizeof(*wants));
    tx_unpack_wants(packed.data, n, wants);
    struct lock_req *req = lock_request(s->locks, wants, n, waiting_granted, w);
    rk_free(wants);
    obuf_free(&packed);
    /* Granted at once only if the blocker left meanwhile: run now. */
    if (req->granted) waiting_granted(req, w);
}

static void deliver(struct waiting *w)
{
    struct shard *s = w->s;
    if (w->o.reply_shard == (int)s->id) w->o.done->fn(w->o.done, w->replies.data, w->replies.len, true);
    else msg_send_late(s, (unsigned)w->o.reply_shard, w->o.done, &w->replies);
    obuf_free(&w->replies);
    obuf_free(&w->cmds);
    rk_free(w);
}

/* Goes on with w's commands after progress: they run until one must wait. */
static void proceed(struct waiting *w)
{
    switch (run_while_free(w)) {
    case RAN_ALL: deliver(w); break;
    case WAITS_FOR_LOCKS: wait_for_next(w); break;
    case BLOCKED: break;
    }
}

static void advance(struct waiting *w, const char *next)
{
    w->at = (size_t)(next - w->cmds.data);
    w->left--;
}

/* Runs w's next command; true when it blocked (nothing written, w stays
 * on it) with its deadline in *deadline. */
static bool run_one(struct waiting *w, const struct cmd_def *cmd, const struct cmd_args *a, const char *next,
                    long long *deadline)
{
    struct reply r;
    reply_init(&r, &w->replies, w->o.resp);
    if (w->o.counted) reply_counted(&r, w->s->cmdstats);
    if (w->o.max_reply && w->replies.len >= w->o.max_reply) {
        w->left = 0; /* the client is over its output limit: it is being dropped */
        return false;
    }
    struct cmd_ctx ctx = shard_cmd_ctx(w->s, w->s->ks, w->o.dbid, &r, NULL, w->o.client_id);
    ctx.serving = w->served_key != NULL;
    ctx.served_key = w->served_key;
    ctx.served_len = w->served_len;
    if (exec_may_block(w->s, cmd, a, &ctx, deadline)) return true;
    advance(w, next);
    return false;
}

/* ---- blocked on keys (block.h) ---- */

static enum block_served on_ready(struct block_wait *bw, const char *key, size_t len);
static void on_expire(struct block_wait *bw);
static void on_cancel(struct block_wait *bw, enum block_cancel why);

/* The keys a blocked command waits for: its sources (BLMOVE's
 * destination is not waited on). */
uint32_t exec_waited_keys(const struct cmd_def *cmd, const struct cmd_args *a, const char **keys, size_t *lens)
{
    int *pos = rk_malloc(((size_t)a->argc + 1) * sizeof(int));
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    if (cmd->flags & CMD_BLOCK_ON_SOURCE && n > 1) n = 1; /* BLMOVE, BRPOPLPUSH */
    for (int i = 0; i < n; i++) {
        keys[i] = a->argv[pos[i]];
        lens[i] = a->len[pos[i]];
    }
    rk_free(pos);
    return (uint32_t)n;
}

static void block_on(struct waiting *w, const struct cmd_def *cmd, const struct cmd_args *a, long long deadline)
{
    if (block_client_left(w->s, w->o.client_id)) { /* nobody to wait for */
        w->left = 0;
        deliver(w);
        return;
    }
    size_t n = (size_t)a->argc + 1;
    const char **keys = rk_malloc(n * sizeof(*keys));
    size_t *lens = rk_malloc(n * sizeof(*lens));
    uint32_t nkeys = exec_waited_keys(cmd, a, keys, lens);
    w->block = (struct block_wait){.serve = on_ready, .expire = on_expire, .cancel = on_cancel,
                                   .deadline_ms = deadline, .client_id = w->o.client_id};
    w->blocked = true;
    block_join(w->s, &w->block, w->o.dbid, keys, lens, nkeys);
    rk_free(keys);
    rk_free(lens);
}

static void unblocked(struct waiting *w)
{
    block_leave(w->s, &w->block);
    w->blocked = false;
}

/* key became ready: the command runs again, taking from key alone. Still
 * nothing: the key is empty again (the line stops), or holds a type the
 * command does not pop (the next in line may). */
static enum block_served on_ready(struct block_wait *bw, const char *key, size_t len)
{
    struct waiting *w = (struct waiting *)((char *)bw - offsetof(struct waiting, block));
    const struct cmd_def *cmd;
    struct cmd_args a;
    long long deadline;
    const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
    if (exec_must_wait(w->s, w->s->locks, cmd, &a, w->o.dbid)) return BLOCK_HELD;
    w->served_key = key;
    w->served_len = len;
    bool still = run_one(w, cmd, &a, next, &deadline);
    w->served_key = NULL;
    if (still) return db_peek(shard_db(w->s, w->o.dbid), key, len) ? BLOCK_SKIP : BLOCK_EMPTY;
    unblocked(w);
    proceed(w);
    return BLOCK_SERVED;
}

/* The command's answer when nothing came in time (or a CLIENT UNBLOCK
 * ... TIMEOUT), or CLIENT UNBLOCK ... ERROR's. */
static void end_blocking(struct waiting *w, const char *error)
{
    const struct cmd_def *cmd;
    struct cmd_args a;
    const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
    unblocked(w);
    struct reply r;
    reply_init(&r, &w->replies, w->o.resp);
    if (w->o.counted) reply_counted(&r, w->s->cmdstats);
    if (error) reply_error(&r, error);
    else reply_null_array(&r); /* whatever the command (Redis 7.0) */
    advance(w, next);
    proceed(w);
}

static void on_expire(struct block_wait *bw)
{
    end_blocking((struct waiting *)((char *)bw - offsetof(struct waiting, block)), NULL);
}

static void discard(struct waiting *w)
{
    obuf_free(&w->replies);
    obuf_free(&w->cmds);
    rk_free(w);
}

static void on_cancel(struct block_wait *bw, enum block_cancel why)
{
    struct waiting *w = (struct waiting *)((char *)bw - offsetof(struct waiting, block));
    if (why == CANCEL_DISCARD) {
        unblocked(w);
        discard(w);
        return;
    }
    if (why == CANCEL_GONE) { /* the client left: nothing more runs */
        unblocked(w);
        w->left = 0;
        deliver(w);
        return;
    }
    end_blocking(w, why == CANCEL_ERROR ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : NULL);
}

bool exec_unblock(struct shard *s, uint64_t client_id, enum block_cancel why)
{
    struct block_wait *bw = block_find(s, client_id, why == CANCEL_WATCH);
    if (!bw) {
        if (why == CANCEL_GONE) block_client_gone(s, client_id);
        return false;
    }
    bw->cancel(bw, why);
    return true;
}

/* ---- running a waiting run ---- */

/* Runs w's commands while none has to wait, serving blocked clients after
 * each (what a command creates may be theirs). */
static enum progress run_while_free(struct waiting *w)
{
    while (w->left) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        long long deadline;
        const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
        if (exec_must_wait(w->s, w->s->locks, cmd, &a, w->o.dbid)) return WAITS_FOR_LOCKS;
        if (run_one(w, cmd, &a, next, &deadline)) {
            block_on(w, cmd, &a, deadline);
            return BLOCKED;
        }
        exec_serve_blocked(w->s);
    }
    return RAN_ALL;
}

/* The keys of w's next command are w's: it runs, and they are let go at
 * once (w holds nothing between commands). */
static void waiting_granted(struct lock_req *req, void *arg)
{
    struct waiting *w = arg;
    const struct cmd_def *cmd;
    struct cmd_args a;
    long long deadline;
    const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
    struct shard *s = w->s;
    bool blocked = run_one(w, cmd, &a, next, &deadline);
    if (blocked) block_on(w, cmd, &a, deadline); /* before the release: the args are in scratch; w may be gone */
    lock_release(s->locks, req);
    exec_serve_blocked(s); /* what it created, now that its keys are free */
    if (!blocked) proceed(w);
}

static struct waiting *waiting_new(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len,
                                   uint32_t n, const char *before, size_t before_len)
{
    struct waiting *w = rk_calloc(1, sizeof(*w));
    w->s = s;
    w->o = *o;
    obuf_init(&w->cmds);
    obuf_append(&w->cmds, cmds, len);
    w->left = n;
    obuf_init(&w->replies);
    obuf_append(&w->replies, before, before_len);
    return w;
}

void exec_wait(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len, uint32_t n,
               const char *before, size_t before_len)
{
    wait_for_next(waiting_new(s, o, cmds, len, n, before, before_len));
}

void exec_block(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len, uint32_t n,
                const char *before, size_t before_len, long long deadline)
{
    struct waiting *w = waiting_new(s, o, cmds, len, n, before, before_len);
    const struct cmd_def *cmd;
    struct cmd_args a;
    msg_unpack_command(s, w->cmds.data, &cmd, &a);
    block_on(w, cmd, &a, deadline);
}

/* ---- a client's segment from another shard ---- */

void exec_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const char *p = b->args.data + seg->args_off;
    for (uint32_t k = 0; k < seg->ncmds; k++) {
        msg_prefetch_step(s, b);
        if (seg->max_reply && b->replies.len - seg->reply_off >= seg->max_reply) break;
        const struct cmd_def *cmd;
        struct cmd_args a;
        const char *next = msg_unpack_command(s, p, &cmd, &a);
        bool locked = exec_must_wait(s, s->locks, cmd, &a, seg->dbid);
        long long deadline = 0;
        if (!locked) {
            struct reply r;
            reply_init(&r, &b->replies, seg->resp);
            reply_counted(&r, s->cmdstats); /* a client's own commands */
            if (!memory_admit(s, cmd->flags & CMD_DENYOOM)) {
                reply_error(&r, RK_ERR_OOM);
                cmdstats_rejected(s->cmdstats, cmd);
                p = next;
                continue;
            }
            if (!shard_exec_blocking(s, cmd, &a, seg->dbid, &r, seg->client_id, &deadline)) {
                exec_serve_blocked(s);
                p = next;
                continue;
            }
        }
        /* It waits, and the rest behind it; the replies so far travel
         * with theirs (msg.h, rule 6). */
        struct exec_origin o = {seg->done, b->from, seg->dbid, seg->resp, seg->client_id, seg->max_reply, true};
        size_t len = (size_t)(b->args.data + seg->args_end - p);
        const char *before = b->replies.data + seg->reply_off;
        size_t before_len = b->replies.len - seg->reply_off;
        if (locked) exec_wait(s, &o, p, len, seg->ncmds - k, before, before_len);
        else exec_block(s, &o, p, len, seg->ncmds - k, before, before_len, deadline);
        b->replies.len = seg->reply_off;
        seg->deferred = true;
        return;
    }
}

void exec_unblock_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    struct exec_unblock_msg m;
    memcpy(&m, b->args.data + seg->args_off, sizeof(m));
    exec_unblock(s, m.client_id, m.why);
}

/* ---- watchers: a key here for a wait coordinated elsewhere ---- */

struct watcher {
    struct block_wait block;
    struct shard *s;
    struct msg_done *done;
    int reply_shard;
};

/* Tells the coordinator: ":1" a key exists now, ":0" called off. */
static void watcher_answer(struct shard *s, struct msg_done *done, int reply_shard, bool ready)
{
    struct obuf out;
    obuf_init(&out);
    obuf_append(&out, ready ? ":1\r\n" : ":0\r\n", 4);
    if (reply_shard == (int)s->id) done->fn(done, out.data, out.len, true);
    else if (!s->draining) msg_send_late(s, (unsigned)reply_shard, done, &out); /* stopping: the waits go at exit */
    obuf_free(&out);
}

static void watcher_end(struct watcher *wt, bool ready)
{
    block_leave(wt->s, &wt->block);
    watcher_answer(wt->s, wt->done, wt->reply_shard, ready);
    rk_free(wt);
}

static enum block_served watcher_ready(struct block_wait *bw, const char *key, size_t len)
{
    watcher_end((struct watcher *)bw, true); /* the element stays for whoever is next */
    return BLOCK_SERVED;
}

static void watcher_cancel(struct block_wait *bw, enum block_cancel why)
{
    struct watcher *wt = (struct watcher *)bw;
    if (why != CANCEL_DISCARD) {
        watcher_end(wt, false);
        return;
    }
    block_leave(wt->s, &wt->block);
    rk_free(wt);
}

bool exec_watch(struct shard *s, uint64_t client_id, int dbid, const char *const *keys, const size_t *lens,
                uint32_t nkeys, struct msg_done *done, int reply_shard, struct obuf *now)
{
    struct db *db = shard_db(s, dbid);
    bool exists = false;
    /* A stream existing is no news: XREAD waits for it to grow (XADD
     * reports that, see ready.h). */
    for (uint32_t i = 0; i < nkeys && !exists; i++) {
        struct kv *kv = db_peek(db, keys[i], lens[i]);
        exists = kv && kv->type != OBJ_STREAM && db_exists(db, keys[i], lens[i]);
    }
    if (exists || block_client_left(s, client_id)) {
        obuf_append(now, exists ? ":1\r\n" : ":0\r\n", 4);
        return true;
    }
    struct watcher *wt = rk_calloc(1, sizeof(*wt));
    wt->block = (struct block_wait){.serve = watcher_ready, .expire = NULL, .cancel = watcher_cancel,
                                    .client_id = client_id, .watcher = true};
    wt->s = s;
    wt->done = done;
    wt->reply_shard = reply_shard;
    block_join(s, &wt->block, dbid, keys, lens, nkeys);
    return false;
}

/* Payload: [u64 client id][i32 db][u32 nkeys] then the keys (msg_pack_arg). */
void exec_watch_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const char *p = b->args.data + seg->args_off;
    uint64_t client_id;
    int32_t dbid;
    uint32_t n;
    memcpy(&client_id, p, 8);
    memcpy(&dbid, p + 8, 4);
    memcpy(&n, p + 12, 4);
    const char **keys = rk_malloc((n + 1) * sizeof(*keys));
    size_t *lens = rk_malloc((n + 1) * sizeof(*lens));
    msg_unpack_args(p + 16, n, keys, lens);
    if (!exec_watch(s, client_id, dbid, keys, lens, n, seg->done, b->from, &b->replies)) seg->deferred = true;
    rk_free(keys);
    rk_free(lens);
}

void exec_serve_blocked(struct shard *s) { block_serve(s); }
