/* exec.c — running commands on their keys' shard, honouring the lock
 * table; see exec.h. Thread: the shard's own. */
#include "ringkv/core/exec.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tx.h"
#include "ringkv/core/txlock.h"
#include "ringkv/data/db.h"
#include "ringkv/data/watch.h"

#include <string.h>

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
    for (int i = 0; i < n; i++) {
        const char *key = a->argv[pos[i]];
        size_t len = a->len[pos[i]];
        if (!watch_has(db, key, len)) continue;
        wb->key[wb->n] = key;
        wb->len[wb->n] = len;
        wb->fp[wb->n++] = watch_fingerprint(db_peek(db, key, len));
    }
}

static void touch_changed(struct db *db, const struct watched_before *wb)
{
    for (int i = 0; i < wb->n; i++)
        if (watch_fingerprint(db_peek(db, wb->key[i], wb->len[i])) != wb->fp[i]) watch_touch(db, wb->key[i], wb->len[i]);
}

void shard_exec_ctx(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx)
{
    struct reply *r = ctx->r;
    uint32_t errors = r->errors;
    uint64_t start = cmdstats_ticks_now();
    struct watched_before wb = {0};
    struct db *db = ctx->db;
    bool watched = db->watch && (cmd->flags & CMD_WRITE);
    if (watched) note_watched(db, cmd, a, &wb);
    db_command_begin();
    cmd->fn(ctx, a);
    db_command_end();
    if (watched && wb.n && db->watch) touch_changed(db, &wb);
    cmdstats_ran(s->cmdstats, cmd, cmdstats_ticks_now() - start, r->stats != NULL, r->errors != errors);
}

void shard_exec(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid, struct reply *r,
                struct client *client, uint64_t client_id)
{
    struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, dbid, r, client, client_id);
    shard_exec_ctx(s, cmd, a, &ctx);
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
    bool write = (cmd->flags & CMD_WRITE) != 0;
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
    enum lock_mode mode = cmd->flags & CMD_WRITE ? LOCK_X : LOCK_S;
    shard_scratch_reserve(s, (uint32_t)a->argc);
    int *pos = s->scratch_keypos;
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    for (int i = 0; i < n; i++)
        tx_pack_want(wants, key_db(s, cmd, a, pos[i], dbid), a->argv[pos[i]], a->len[pos[i]], mode);
    return (uint32_t)n;
}

/* ---- commands waiting for keys ---- */

struct waiting {
    struct shard *s;
    struct exec_origin o;
    struct obuf cmds;          /* packed commands, [at, len) not run yet */
    size_t at;
    uint32_t left;
    struct obuf replies;
};

static void waiting_granted(struct lock_req *req, void *arg);

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

/* Runs w's next command. */
static void run_one(struct waiting *w, const struct cmd_def *cmd, const struct cmd_args *a, const char *next)
{
    struct reply r;
    reply_init(&r, &w->replies, w->o.resp);
    if (w->o.counted) reply_counted(&r, w->s->cmdstats);
    if (w->o.max_reply && w->replies.len >= w->o.max_reply) {
        w->left = 0; /* the client is over its output limit: it is being dropped */
        return;
    }
    shard_exec(w->s, cmd, a, w->o.dbid, &r, NULL, w->o.client_id);
    w->at = (size_t)(next - w->cmds.data);
    w->left--;
}

/* Runs w's commands while none has to wait; false when one does. */
static bool run_while_free(struct waiting *w)
{
    while (w->left) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
        if (exec_must_wait(w->s, w->s->locks, cmd, &a, w->o.dbid)) return false;
        run_one(w, cmd, &a, next);
    }
    return true;
}

/* The keys of w's next command are w's: it runs, and they are let go at
 * once (w holds nothing between commands). */
static void waiting_granted(struct lock_req *req, void *arg)
{
    struct waiting *w = arg;
    const struct cmd_def *cmd;
    struct cmd_args a;
    const char *next = msg_unpack_command(w->s, w->cmds.data + w->at, &cmd, &a);
    run_one(w, cmd, &a, next);
    lock_release(w->s->locks, req);
    if (run_while_free(w)) deliver(w);
    else wait_for_next(w);
}

void exec_wait(struct shard *s, const struct exec_origin *o, const char *cmds, size_t len, uint32_t n,
               const char *before, size_t before_len)
{
    struct waiting *w = rk_calloc(1, sizeof(*w));
    w->s = s;
    w->o = *o;
    obuf_init(&w->cmds);
    obuf_append(&w->cmds, cmds, len);
    w->left = n;
    obuf_init(&w->replies);
    obuf_append(&w->replies, before, before_len);
    wait_for_next(w);
}

/* ---- a client's segment from another shard ---- */

void exec_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    struct reply r;
    reply_init(&r, &b->replies, seg->resp);
    reply_counted(&r, s->cmdstats); /* a client's own commands */
    const char *p = b->args.data + seg->args_off;
    for (uint32_t k = 0; k < seg->ncmds; k++) {
        msg_prefetch_step(s, b);
        if (seg->max_reply && b->replies.len - seg->reply_off >= seg->max_reply) break;
        const struct cmd_def *cmd;
        struct cmd_args a;
        const char *next = msg_unpack_command(s, p, &cmd, &a);
        if (exec_must_wait(s, s->locks, cmd, &a, seg->dbid)) {
            /* The replies so far travel with the rest (msg.h, rule 6). */
            struct exec_origin o = {seg->done, b->from, seg->dbid, seg->resp, seg->client_id, seg->max_reply, true};
            exec_wait(s, &o, p, b->args.data + seg->args_end - p, seg->ncmds - k, b->replies.data + seg->reply_off,
                      b->replies.len - seg->reply_off);
            b->replies.len = seg->reply_off;
            seg->deferred = true;
            return;
        }
        shard_exec(s, cmd, &a, seg->dbid, &r, NULL, seg->client_id);
        p = next;
    }
}
