/* msg.c — batches of segments between shards; see msg.h for the ownership
 * rules. Thread: each function runs on the shard that owns the message at
 * that moment (sender when packing and consuming, target when executing). */
#include "ringkv/core/msg.h"
#include "ringkv/net/conn_acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/base/util.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/core/xscript.h"
#include "ringkv/net/monitor.h"
#include "ringkv/data/db.h"

#include <stddef.h>
#include <string.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* An outbox stops taking new segments past this many argument bytes; the
 * senders wait for the next turn (backpressure, bounded memory). */
#define OUTBOX_MAX_BYTES (4u << 20)

static __thread struct shard *self; /* the shard running on this thread */

static void on_request(struct ring_op *op, int res, uint32_t flags);
static void on_response(struct ring_op *op, int res, uint32_t flags);

/* A late reply (rule 6): the rest of one deferred segment's replies. */
struct msg_late {
    struct ring_op op;
    struct msg_done *done;
    struct obuf replies;
};

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

void msg_discard_outboxes(struct shard *s)
{
    for (unsigned t = 0; t < MAX_SHARDS; t++) {
        if (s->outbox[t]) batch_free(s->outbox[t]);
        s->outbox[t] = NULL;
    }
}

static struct msg_batch *outbox(struct shard *s, unsigned target)
{
    if (!s->outbox[target]) s->outbox[target] = batch_new(s, target);
    return s->outbox[target];
}

static void waiter_list_push(struct waiter_list *l, struct msg_waiter *w)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = rk_realloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->len++] = w;
}

bool msg_outbox_has_room(struct shard *s, unsigned target, struct msg_waiter *w)
{
    if (!s->outbox[target] || s->outbox[target]->args.len < OUTBOX_MAX_BYTES) return true;
    if (w && !w->queued) {
        w->queued = true;
        waiter_list_push(&s->outbox_waiters[target], w);
    }
    return false;
}

static struct msg_seg *seg_new(struct msg_batch *b, enum msg_seg_kind kind, struct msg_done *done, int dbid, int resp,
                               uint64_t client_id)
{
    if (b->nsegs == b->segs_cap) {
        b->segs_cap = b->segs_cap ? b->segs_cap * 2 : 8;
        b->segs = rk_realloc(b->segs, b->segs_cap * sizeof(*b->segs));
    }
    struct msg_seg *seg = &b->segs[b->nsegs++];
    memset(seg, 0, sizeof(*seg));
    seg->kind = (uint8_t)kind;
    seg->done = done;
    seg->dbid = (uint8_t)dbid;
    seg->resp = (uint16_t)resp;
    seg->client_id = client_id;
    seg->args_off = seg->args_end = b->args.len;
    return seg;
}

static void ignore_reply(struct msg_done *d, const char *data, size_t len, bool final) {}
struct msg_done msg_done_ignored = {ignore_reply};

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

void msg_pack_command(struct obuf *out, const struct cmd_def *cmd, const struct cmd_args *a)
{
    uint32_t argc = (uint32_t)a->argc;
    obuf_append(out, &cmd, sizeof(cmd));
    obuf_append(out, &argc, 4);
    for (int i = 0; i < a->argc; i++) msg_pack_arg(out, a->argv[i], a->len[i]);
}

const char *msg_unpack_command(struct shard *s, const char *p, const struct cmd_def **cmd, struct cmd_args *a)
{
    uint32_t argc;
    memcpy(cmd, p, sizeof(*cmd));
    memcpy(&argc, p + sizeof(*cmd), 4);
    p += sizeof(*cmd) + 4;
    shard_scratch_reserve(s, argc);
    p = msg_unpack_args(p, argc, s->scratch_argv, s->scratch_argl);
    *a = (struct cmd_args){(int)argc, s->scratch_argv, s->scratch_argl};
    return p;
}

/* A sender's segment stays open only while it is the batch's last: the
 * payloads of a batch's segments are consecutive ranges of b->args. */
static bool sender_open_in(const struct msg_sender *snd, const struct msg_batch *b)
{
    return snd->open_batch == b && snd->open_index + 1 == b->nsegs;
}

bool msg_sender_open_to(const struct msg_sender *snd, unsigned target)
{
    return snd->open_batch && snd->open_batch->to == target && sender_open_in(snd, snd->open_batch);
}

bool msg_add_command(struct shard *s, unsigned target, struct msg_sender *snd, const struct cmd_def *cmd,
                     const struct cmd_args *a)
{
    struct msg_batch *b = outbox(s, target);
    bool opened = !sender_open_in(snd, b);
    if (opened) {
        struct msg_seg *seg = seg_new(b, SEG_COMMANDS, &snd->done, snd->dbid, snd->resp, snd->client_id);
        seg->max_reply = snd->max_reply;
        snd->open_batch = b;
        snd->open_index = b->nsegs - 1;
        snd->last_target = (int)target;
    }
    struct msg_seg *seg = &b->segs[snd->open_index];
    msg_pack_command(&b->args, cmd, a);
    seg->args_end = b->args.len;
    seg->ncmds++;
    b->ncmds++;
    s->stats.cmds_forwarded++;
    return opened;
}

/* The batch's last segment when it is of this notice kind, else a new
 * one: notices (publishes, monitor lines) need no answer and go first. */
static struct msg_seg *notice_segment(struct shard *s, struct msg_batch *b, enum msg_seg_kind kind)
{
    struct msg_seg *seg = b->nsegs ? &b->segs[b->nsegs - 1] : NULL;
    if (!seg || seg->kind != kind) seg = seg_new(b, kind, NULL, 0, 2, 0);
    b->publishes = true;
    s->publish_pending = true;
    seg->ncmds++;
    return seg;
}

void msg_add_publish(struct shard *s, unsigned target, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg = notice_segment(s, b, SEG_PUBLISH);
    msg_pack_arg(&b->args, channel, clen);
    msg_pack_arg(&b->args, msg, mlen);
    seg->args_end = b->args.len;
}

void msg_add_monitor(struct shard *s, unsigned target, const char *line, size_t len)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg = notice_segment(s, b, SEG_MONITOR);
    msg_pack_arg(&b->args, line, len);
    seg->args_end = b->args.len;
}

void msg_add_tracking(struct shard *s, unsigned target, const void *head, size_t hlen, const void *data,
                      size_t dlen)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg = notice_segment(s, b, SEG_TRACKING);
    msg_pack_arg(&b->args, head, hlen);
    msg_pack_arg(&b->args, data, dlen);
    seg->args_end = b->args.len;
}

void msg_add_segment(struct shard *s, unsigned target, enum msg_seg_kind kind, struct msg_done *done, int dbid,
                     int resp, uint64_t client_id, const void *payload, size_t len)
{
    struct msg_batch *b = outbox(s, target);
    struct msg_seg *seg = seg_new(b, kind, done, dbid, resp, client_id);
    obuf_append(&b->args, payload, len);
    seg->args_end = b->args.len;
    seg->ncmds = 1;
}

static void wake_waiters(struct shard *s, unsigned target)
{
    struct waiter_list *l = &s->outbox_waiters[target];
    uint32_t n = l->len;
    l->len = 0; /* a woken waiter may queue itself again */
    for (uint32_t i = 0; i < n; i++) {
        struct msg_waiter *w = l->items[i];
        w->queued = false;
        w->wake(w);
    }
}

static void flush_published(struct shard *s);

/* Whatever a shard sends after raising keyspace notifications goes after
 * them (flush_published): a reply cannot overtake the events its command
 * raised, nor can the events of the client's next command, elsewhere. */
static void post(struct shard *s, struct ring_op *op, unsigned target, ring_cb cb)
{
    /* BCAST messages for the keys changed so far go out before a reply
     * does (they may send notices of their own: first). */
    tracking_before_sleep(s);
    if (s->publish_pending) flush_published(s);
    op->cb = cb;
    if (ring_msg_post(s->ring, s->srv->ring_fds[target], op, &s->ctl_fail_op) < 0)
        log_warn("shard %u: cannot post a message to shard %u", s->id, target);
    s->stats.msgs_sent++;
}

/* The senders whose segments are in b can no longer add to them. */
static void seal_senders(struct msg_batch *b)
{
    for (uint32_t i = 0; i < b->nsegs; i++) {
        if (b->segs[i].kind != SEG_COMMANDS) continue;
        struct msg_sender *snd = container_of(b->segs[i].done, struct msg_sender, done);
        if (snd->open_batch == b) snd->open_batch = NULL;
    }
}

/* A batch holding messages for subscribers does not wait for credit: the
 * events must reach their shards before anything posted after them. It
 * then brings no credit back (on_response). Such batches in flight are
 * bounded by the shard's loop turns and posts, each of which sends at most
 * one batch per target. */
static bool may_post(const struct shard *s, unsigned t) { return s->credits[t] || s->outbox[t]->publishes; }

static void flush_one(struct shard *s, unsigned t)
{
    struct msg_batch *b = s->outbox[t];
    seal_senders(b);
    s->outbox[t] = NULL;
    if (s->credits[t]) s->credits[t]--;
    else b->uncredited = true;
    post(s, &b->op, t, on_request);
}

void msg_flush(struct shard *s)
{
    /* Events first: a request posted before them in the same submission
     * could be run elsewhere, and its own events sent on, before the
     * kernel reaches ours. */
    if (s->publish_pending) flush_published(s);
    for (unsigned t = 0; t < s->srv->nshards; t++) {
        if (!s->outbox[t] || !may_post(s, t)) continue;
        flush_one(s, t);
        wake_waiters(s, t);
    }
}

/* The outboxes holding messages for subscribers go now, in the middle of
 * a loop turn. Those with senders waiting for room are left to msg_flush,
 * which wakes them: a rare case (a full outbox), where events may reach
 * subscribers after the reply of their command. */
static void flush_published(struct shard *s)
{
    s->publish_pending = false;
    for (unsigned t = 0; t < s->srv->nshards; t++) {
        struct msg_batch *b = s->outbox[t];
        if (!b || !b->publishes || s->outbox_waiters[t].len) continue;
        flush_one(s, t);
    }
}

#define PREFETCH_MAX 32

/* A batch's commands hit records scattered over the keyspace: finding the
 * keys (argv[1]) of the next commands and prefetching their buckets, then
 * their records, overlaps those cache misses, as dispatch.c does for a
 * local pipeline. Returns how many commands it covered. */
static uint32_t prefetch_ahead(struct shard *s, const struct msg_batch *b, struct msg_prefetch *at)
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
        if (seg->kind == SEG_UNBLOCK || seg->kind == SEG_WATCH || seg->kind == SEG_SCRIPT || seg->kind == SEG_PUBLISH ||
            seg->kind == SEG_MONITOR || seg->kind == SEG_TRACKING) {
            at->cmd = seg->ncmds;
            continue;
        }
        if (seg->kind == SEG_TX) { /* one op: its first wanted key */
            int db;
            if (tx_part_first_key(at->p, &db, &keys[n], &lens[n])) dbs[n++] = shard_db(s, db);
            at->cmd = seg->ncmds;
            covered++;
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

/* Target side: run every segment, then send it all back. */
static void on_request(struct ring_op *op, int res, uint32_t flags)
{
    struct msg_batch *b = container_of(op, struct msg_batch, op);
    struct shard *s = self;

    s->stats.msgs_received++;
    conn_acl_shard_check(s, NULL); /* subscribers a change denies go before anything runs here */
    b->prefetch = (struct msg_prefetch){0, 0, b->nsegs ? b->args.data + b->segs[0].args_off : NULL, 0};
    for (uint32_t i = 0; i < b->nsegs; i++) {
        struct msg_seg *seg = &b->segs[i];
        seg->reply_off = b->replies.len;
        if (seg->kind == SEG_TX) tx_part_segment(s, b, seg);
        else if (seg->kind == SEG_UNBLOCK) exec_unblock_segment(s, b, seg);
        else if (seg->kind == SEG_WATCH) exec_watch_segment(s, b, seg);
        else if (seg->kind == SEG_SCRIPT) xscript_segment(s, b, seg);
        else if (seg->kind == SEG_PUBLISH) notify_segment(s, b, seg);
        else if (seg->kind == SEG_MONITOR) monitor_segment(s, b, seg);
        else if (seg->kind == SEG_TRACKING) tracking_segment(s, b, seg);
        else exec_segment(s, b, seg);
        seg->reply_end = b->replies.len;
    }
    /* The sender frees these replies; their pages are this shard's to
     * give back (alloc.h). */
    if (b->replies.cap >= 64 * 1024) rk_note_release(b->replies.cap);
    post(s, &b->op, b->from, on_response);
}

/* Sender side: hand each segment's replies to its completion. */
static void on_response(struct ring_op *op, int res, uint32_t flags)
{
    struct msg_batch *b = container_of(op, struct msg_batch, op);
    struct shard *s = self;
    if (!b->uncredited) s->credits[b->to]++;
    for (uint32_t i = 0; i < b->nsegs; i++) {
        struct msg_seg *seg = &b->segs[i];
        /* A deferred segment's replies all come in its late reply, which
         * may even have arrived first. */
        if (!seg->done || seg->deferred) continue;
        seg->done->fn(seg->done, b->replies.data + seg->reply_off, seg->reply_end - seg->reply_off, true);
    }
    batch_free(b);
}

void msg_prefetch_step(struct shard *s, struct msg_batch *b)
{
    if (b->prefetch.left == 0) b->prefetch.left = prefetch_ahead(s, b, &b->prefetch);
    if (b->prefetch.left) b->prefetch.left--;
}

static void on_late(struct ring_op *op, int res, uint32_t flags)
{
    struct msg_late *m = container_of(op, struct msg_late, op);
    if (m->done) m->done->fn(m->done, m->replies.data, m->replies.len, true);
    obuf_free(&m->replies);
    rk_free(m);
}

void msg_send_late(struct shard *s, unsigned to, struct msg_done *done, struct obuf *replies)
{
    struct msg_late *m = rk_calloc(1, sizeof(*m));
    m->done = done;
    m->replies = *replies;
    obuf_init(replies);
    post(s, &m->op, to, on_late);
}

void msg_set_thread_shard(struct shard *s) { self = s; }
struct shard *msg_thread_shard(void) { return self; }
