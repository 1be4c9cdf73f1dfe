/* msg.c — batches of commands between shards, and fan-outs; see msg.h for
 * the ownership rules. Thread: each function runs on the shard that owns
 * the message at that moment (sender when packing and consuming, target
 * when executing). */
#include "ringkv/core/msg.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/net/conn.h"
#include "ringkv/data/db.h"
#include "ringkv/base/log.h"
#include "ringkv/core/shard.h"
#include "ringkv/base/util.h"

#include <stddef.h>
#include <string.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* An outbox stops taking new segments past this many argument bytes; the
 * connections wait for the next turn (backpressure, bounded memory). */
#define OUTBOX_MAX_BYTES (4u << 20)

static __thread struct shard *self; /* the shard running on this thread */

static void on_request(struct ring_op *op, int res, uint32_t flags);
static void on_response(struct ring_op *op, int res, uint32_t flags);

struct cmd_ctx shard_cmd_ctx(struct shard *s, struct keyspace *ks, int dbid, struct reply *r, struct conn *conn,
                             uint64_t client_id)
{
    return (struct cmd_ctx){
        .ks = ks, .db = ks_db(ks, dbid), .dbid = dbid, .cfg = &s->cfg,
        .shard_index = s->id, .nshards = s->srv->nshards, .r = r, .client_id = client_id,
        .client = conn ? conn_client(conn) : NULL, .host = shard_host(s),
    };
}

void shard_exec_ctx(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx)
{
    struct reply *r = ctx->r;
    uint32_t errors = r->errors;
    uint64_t start = cmdstats_ticks_now();
    db_command_begin();
    cmd->fn(ctx, a);
    db_command_end();
    cmdstats_ran(s->cmdstats, cmd, cmdstats_ticks_now() - start, r->stats != NULL, r->errors != errors);
}

void shard_exec(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                int dbid, struct reply *r, struct conn *conn, uint64_t client_id)
{
    struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, dbid, r, conn, client_id);
    shard_exec_ctx(s, cmd, a, &ctx);
}

static struct msg_batch *batch_new(struct shard *s, unsigned target)
{
    struct msg_batch *b = rk_calloc(1, sizeof(*b));
    b->from = (uint16_t)s->id;
    b->to = (uint16_t)target;
    obuf_init(&b->args);
    obuf_init(&b->replies);
    return b;
}

static void batch_free(struct msg_batch *b)
{
    obuf_free(&b->args);
    obuf_free(&b->replies);
    rk_free(b->segs);
    rk_free(b);
}

static struct msg_batch *outbox(struct shard *s, unsigned target)
{
    if (!s->outbox[target]) s->outbox[target] = batch_new(s, target);
    return s->outbox[target];
}

bool msg_outbox_has_room(struct shard *s, unsigned target)
{
    return !s->outbox[target] || s->outbox[target]->args.len < OUTBOX_MAX_BYTES;
}

static struct msg_seg *seg_new(struct msg_batch *b, int dbid, int resp)
{
    if (b->nsegs == b->segs_cap) {
        b->segs_cap = b->segs_cap ? b->segs_cap * 2 : 8;
        b->segs = rk_realloc(b->segs, b->segs_cap * sizeof(*b->segs));
    }
    struct msg_seg *seg = &b->segs[b->nsegs++];
    memset(seg, 0, sizeof(*seg));
    seg->dbid = (uint8_t)dbid;
    seg->resp = (uint8_t)resp;
    seg->args_off = seg->args_end = b->args.len;
    return seg;
}

/* Packed command: [cmd pointer][u32 argc]([u32 len][bytes])*. The pointer
 * is into the immutable command table, valid on every shard. */
void msg_pack_arg(struct obuf *out, const void *data, size_t len)
{
    uint32_t l = (uint32_t)len;
    obuf_reserve(out, 4 + len);
    memcpy(out->data + out->len, &l, 4);
    memcpy(out->data + out->len + 4, data, len);
    out->len += 4 + len;
}

const char *msg_unpack_args(const char *p, uint32_t argc, const char **argv, size_t *lens)
{
    for (uint32_t j = 0; j < argc; j++) {
        uint32_t l;
        memcpy(&l, p, 4);
        argv[j] = p + 4;
        lens[j] = l;
        p += 4 + l;
    }
    return p;
}

static void pack_command(struct msg_batch *b, struct msg_seg *seg, const struct cmd_def *cmd, const struct cmd_args *a)
{
    uint32_t argc = (uint32_t)a->argc;
    obuf_append(&b->args, &cmd, sizeof(cmd));
    obuf_append(&b->args, &argc, 4);
    for (int i = 0; i < a->argc; i++) msg_pack_arg(&b->args, a->argv[i], a->len[i]);
    seg->args_end = b->args.len;
    seg->ncmds++;
    b->ncmds++;
}

void msg_add_command(struct shard *s, unsigned target, struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg;
    if (c->seg_batch == b && c->seg_target == (int)target) {
        seg = &b->segs[c->seg_index];
    } else {
        seg = seg_new(b, c->dbid, c->resp);
        seg->conn = c;
        seg->client_id = c->id;
        seg->max_reply = conn_output_hard_limit(c);
        c->seg_batch = b;
        c->seg_index = b->nsegs - 1;
        c->seg_target = (int)target;
        c->busy++;
    }
    pack_command(b, seg, cmd, a);
    s->stats.cmds_forwarded++;
}

void msg_add_part(struct shard *s, unsigned target, struct gather *g, uint32_t part, int dbid,
                  const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg = seg_new(b, dbid, g->resp);
    seg->gather = g;
    seg->part = part;
    seg->client_id = g->conn->id;
    pack_command(b, seg, cmd, a);
}

void msg_seal_segment(struct conn *c)
{
    c->seg_batch = NULL;
    c->seg_target = -1;
}

static void wake_waiters(struct shard *s, unsigned target)
{
    struct conn_list *l = &s->outbox_waiters[target];
    for (uint32_t i = 0; i < l->len; i++) {
        struct conn *c = l->items[i];
        c->flags &= ~CONN_WAITING;
        if (c->flags & CONN_CLOSING) conn_maybe_free(c);
        else conn_want_resume(c);
    }
    l->len = 0;
}

static void post(struct shard *s, struct msg_batch *b, unsigned target, ring_cb cb)
{
    b->op.cb = cb;
    if (ring_msg_post(s->ring, s->srv->ring_fds[target], &b->op, &s->ctl_fail_op) < 0)
        log_warn("shard %u: cannot post a message to shard %u", s->id, target);
    s->stats.msgs_sent++;
}

void msg_flush(struct shard *s)
{
    for (unsigned t = 0; t < s->srv->nshards; t++) {
        struct msg_batch *b = s->outbox[t];
        if (!b || s->credits[t] == 0) continue;
        for (uint32_t i = 0; i < b->nsegs; i++)
            if (b->segs[i].conn && b->segs[i].conn->seg_batch == b) msg_seal_segment(b->segs[i].conn);
        s->outbox[t] = NULL;
        s->credits[t]--;
        post(s, b, t, on_request);
        wake_waiters(s, t);
    }
}

#define PREFETCH_MAX 32

/* Where prefetching stopped in a batch: segment, command, its bytes. */
struct prefetch_cursor {
    uint32_t seg, cmd;
    const char *p;
};

/* A batch's commands hit records scattered over the keyspace: finding the
 * keys (argv[1]) of the next commands and prefetching their buckets, then
 * their records, overlaps those cache misses, as dispatch.c does for a
 * local pipeline. Returns how many commands it covered. */
static uint32_t prefetch_ahead(struct shard *s, const struct msg_batch *b, struct prefetch_cursor *at)
{
    const char *keys[PREFETCH_MAX];
    size_t lens[PREFETCH_MAX];
    uint64_t hashes[PREFETCH_MAX];
    struct db *dbs[PREFETCH_MAX];
    uint32_t n = 0, covered = 0;
    while (at->seg < b->nsegs && covered < PREFETCH_MAX) {
        const struct msg_seg *seg = &b->segs[at->seg];
        if (at->cmd == seg->ncmds) {
            at->seg++;
            at->cmd = 0;
            if (at->seg < b->nsegs) at->p = b->args.data + b->segs[at->seg].args_off;
            continue;
        }
        uint32_t argc, l;
        memcpy(&argc, at->p + sizeof(void *), 4);
        at->p += sizeof(void *) + 4;
        for (uint32_t j = 0; j < argc; j++) {
            memcpy(&l, at->p, 4);
            if (j == 1) {
                keys[n] = at->p + 4;
                lens[n] = l;
                dbs[n++] = shard_db(s, seg->dbid);
            }
            at->p += 4 + l;
        }
        at->cmd++;
        covered++;
    }
    if (n < 2) return covered;
    for (uint32_t i = 0; i < n; i++) db_prefetch(dbs[i], keys[i], lens[i], 0, &hashes[i]);
    for (uint32_t i = 0; i < n; i++) db_prefetch(dbs[i], keys[i], lens[i], 1, &hashes[i]);
    return covered;
}

/* Target side: run every command of every segment, then send it all back. */
static void on_request(struct ring_op *op, int res, uint32_t flags)
{
    struct msg_batch *b = container_of(op, struct msg_batch, op);
    struct shard *s = self;

    s->stats.msgs_received++;
    struct prefetch_cursor ahead = {0, 0, b->nsegs ? b->args.data + b->segs[0].args_off : NULL};
    uint32_t prefetched = 0;
    for (uint32_t i = 0; i < b->nsegs; i++) {
        struct msg_seg *seg = &b->segs[i];
        struct reply r;
        reply_init(&r, &b->replies, seg->resp);
        if (!seg->gather) reply_counted(&r, s->cmdstats); /* a client's own commands */
        seg->reply_off = b->replies.len;
        const char *p = b->args.data + seg->args_off;
        for (uint32_t k = 0; k < seg->ncmds; k++) {
            if (prefetched == 0) prefetched = prefetch_ahead(s, b, &ahead);
            prefetched--;
            if (seg->max_reply && b->replies.len - seg->reply_off >= seg->max_reply) break;
            const struct cmd_def *cmd;
            uint32_t argc;
            memcpy(&cmd, p, sizeof(cmd));
            memcpy(&argc, p + sizeof(cmd), 4);
            p += sizeof(cmd) + 4;
            shard_scratch_reserve(s, argc);
            p = msg_unpack_args(p, argc, s->scratch_argv, s->scratch_argl);
            struct cmd_args a = {(int)argc, s->scratch_argv, s->scratch_argl};
            shard_exec(s, cmd, &a, seg->dbid, &r, NULL, seg->client_id);
        }
        seg->reply_end = b->replies.len;
    }
    /* The sender frees these replies; their pages are this shard's to
     * give back (alloc.h). */
    if (b->replies.cap >= 64 * 1024) rk_note_release(b->replies.cap);
    post(s, b, b->from, on_response);
}

/* Sender side: hand each segment's replies to its connection or fan-out. */
static void on_response(struct ring_op *op, int res, uint32_t flags)
{
    struct msg_batch *b = container_of(op, struct msg_batch, op);
    struct shard *s = self;
    s->credits[b->to]++;
    for (uint32_t i = 0; i < b->nsegs; i++) {
        struct msg_seg *seg = &b->segs[i];
        const char *data = b->replies.data + seg->reply_off;
        size_t len = seg->reply_end - seg->reply_off;
        if (seg->gather) {
            msg_gather_part_done(seg->gather, seg->part, data, len);
            continue;
        }
        struct conn *c = seg->conn;
        if (!(c->flags & CONN_CLOSING)) obuf_append(&c->out, data, len);
        conn_done_busy(c);
    }
    batch_free(b);
}

void msg_set_thread_shard(struct shard *s) { self = s; }
