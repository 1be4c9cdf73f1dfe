/* tx.c — the transaction engine: the coordinator's side of the protocol in
 * tx.h, and the participant's. Thread: the coordinator's functions on the
 * client's shard, the participant's on each participant. */
#include "ringkv/core/tx.h"
#include "ringkv/base/alloc.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txplan.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ---- packed wants ---- */

void tx_pack_want(struct obuf *out, int dbid, const char *key, size_t len, enum lock_mode mode)
{
    int32_t db = dbid;
    uint32_t m = (uint32_t)mode;
    obuf_append(out, &db, 4);
    obuf_append(out, &m, 4);
    msg_pack_arg(out, key, len);
}

void tx_pack_db_want(struct obuf *out, int dbid, enum lock_mode mode) { tx_pack_want(out, dbid, "", 0, mode | TX_WANT_DB); }

const char *tx_unpack_wants(const char *p, uint32_t n, struct lock_want *out)
{
    for (uint32_t i = 0; i < n; i++) {
        int32_t db;
        uint32_t m;
        const char *key;
        size_t len;
        memcpy(&db, p, 4);
        memcpy(&m, p + 4, 4);
        p = msg_unpack_args(p + 8, 1, &key, &len);
        bool whole_db = m & TX_WANT_DB;
        out[i] = (struct lock_want){db, whole_db ? NULL : key, whole_db ? 0 : len, (enum lock_mode)(m & 0xff)};
    }
    return p;
}

/* ---- the participant ---- */

enum txp_op { TXP_LOCK, TXP_EXEC, TXP_RELEASE };
enum { TXP_RELEASE_AFTER = 1 };

/* A participant op's payload: this header, the wants (LOCK), the commands. */
struct txp_hdr {
    uint8_t op, flags;
    uint32_t nwants, ncmds;
    void *handle;              /* EXEC, RELEASE: the participant's state */
};

/* The participant's state: its granted request, and while it waits, what
 * to run and whom to answer once it is granted. */
struct txp {
    struct shard *s;
    struct lock_req *req;
    struct msg_done *done;
    int reply_shard;
    uint8_t dbid;
    uint16_t resp;
    uint64_t client_id;
    struct obuf cmds;
    uint32_t ncmds;
    bool release_after;
};

/* Commands travel as [i32 db, TX_CALL set for a client's whole call] +
 * a packed command each. A whole call counts in the stats where it runs;
 * a piece of one is counted where the pieces are combined. */
#define TX_CALL 0x10000
static void txp_run_cmds(struct txp *p, const char *cmds, uint32_t n, struct obuf *out)
{
    db_time_freeze_begin(); /* one clock for the batch, as for an EXEC */
    for (uint32_t i = 0; i < n; i++) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        int32_t db;
        memcpy(&db, cmds, 4);
        cmds = msg_unpack_command(p->s, cmds + 4, &cmd, &a);
        struct reply r;
        reply_init(&r, out, p->resp);
        if (db & TX_CALL) reply_counted(&r, p->s->cmdstats);
        shard_exec(p->s, cmd, &a, db & ~TX_CALL, &r, NULL, p->client_id);
    }
    db_time_freeze_end();
}

static void txp_free(struct txp *p)
{
    obuf_free(&p->cmds);
    rk_free(p);
}

/* Writes [handle][replies of cmds] to out and lets go if asked to. */
static void txp_answer(struct txp *p, const char *cmds, uint32_t n, bool release, struct obuf *out)
{
    void *handle = release ? NULL : p;
    obuf_append(out, &handle, sizeof(handle));
    txp_run_cmds(p, cmds, n, out);
    if (release) {
        struct shard *s = p->s;
        lock_release(s->locks, p->req);
        txp_free(p);
        exec_serve_blocked(s); /* keys it held may be ready for blocked clients */
    }
}

static void txp_granted(struct lock_req *req, void *arg)
{
    struct txp *p = arg;
    struct obuf out;
    obuf_init(&out);
    struct shard *s = p->s;
    struct msg_done *done = p->done;
    int to = p->reply_shard;
    txp_answer(p, p->cmds.data, p->ncmds, p->release_after, &out);
    if (to == (int)s->id) done->fn(done, out.data, out.len, true);
    else msg_send_late(s, (unsigned)to, done, &out);
    obuf_free(&out);
}

/* Runs one op; true when answered in `out` now, false when a late answer
 * will reach `done` (a LOCK that has to wait). */
static bool txp_run(struct shard *s, const char *payload, struct msg_done *done, int reply_shard, int dbid, int resp,
                    uint64_t client_id, struct obuf *out)
{
    struct txp_hdr h;
    memcpy(&h, payload, sizeof(h));
    const char *p = payload + sizeof(h);
    bool release = h.flags & TXP_RELEASE_AFTER;
    if (h.op != TXP_LOCK) {
        struct txp *tp = h.handle;
        if (h.op == TXP_RELEASE) {
            lock_release(s->locks, tp->req);
            txp_free(tp);
            exec_serve_blocked(s);
            return true;
        }
        txp_answer(tp, p, h.ncmds, release, out);
        return true;
    }
    struct txp *tp = rk_calloc(1, sizeof(*tp));
    *tp = (struct txp){s, NULL, done, reply_shard, (uint8_t)dbid, (uint16_t)resp, client_id, {0}, 0, release};
    struct lock_want *wants = rk_malloc((h.nwants + 1) * sizeof(*wants));
    p = tx_unpack_wants(p, h.nwants, wants);
    tp->req = lock_request(s->locks, wants, h.nwants, txp_granted, tp);
    rk_free(wants);
    if (tp->req->granted) {
        txp_answer(tp, p, h.ncmds, release, out);
        return true;
    }
    obuf_init(&tp->cmds);
    size_t len = 0;
    for (uint32_t i = 0, argc; i < h.ncmds; i++) { /* the commands' extent */
        memcpy(&argc, p + len + 4 + sizeof(void *), 4);
        const char *q = p + len + 4 + sizeof(void *) + 4;
        for (uint32_t j = 0, l; j < argc; j++) {
            memcpy(&l, q, 4);
            q += 4 + l;
        }
        len = (size_t)(q - p);
    }
    obuf_append(&tp->cmds, p, len);
    tp->ncmds = h.ncmds;
    return false;
}

bool tx_part_first_key(const char *payload, int *dbid, const char **key, size_t *len)
{
    struct txp_hdr h;
    memcpy(&h, payload, sizeof(h));
    if (h.op != TXP_LOCK || h.nwants == 0) return false;
    struct lock_want w;
    tx_unpack_wants(payload + sizeof(h), 1, &w);
    if (!w.key) return false;
    *dbid = w.dbid;
    *key = w.key;
    *len = w.len;
    return true;
}

void tx_part_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    msg_prefetch_step(s, b);
    if (!txp_run(s, b->args.data + seg->args_off, seg->done, b->from, seg->dbid, seg->resp, seg->client_id,
                 &b->replies))
        seg->deferred = true;
}

/* ---- the coordinator ---- */

static void part_answered(struct msg_done *d, const char *data, size_t len, bool final);

struct tx *tx_new(struct shard *s, const struct tx_client *cl, const struct tx_plan_ops *ops, void *state)
{
    struct tx *t = rk_calloc(1, sizeof(*t));
    t->s = s;
    t->cl = *cl;
    t->ops = ops;
    t->state = state;
    return t;
}

struct tx_part *tx_part_of(struct tx *t, unsigned shard)
{
    for (uint32_t i = 0; i < t->nparts; i++)
        if (t->parts[i]->shard == shard) return t->parts[i];
    if (t->nparts == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->parts = rk_realloc(t->parts, t->cap * sizeof(*t->parts));
    }
    /* Parts are allocated one by one: messages in flight point at them. */
    struct tx_part *p = rk_calloc(1, sizeof(*p));
    p->done.fn = part_answered;
    p->tx = t;
    p->shard = shard;
    obuf_init(&p->wants);
    obuf_init(&p->cmds);
    obuf_init(&p->reply);
    t->parts[t->nparts++] = p;
    return p;
}

void tx_part_add_call(struct tx_part *p, int dbid, const struct cmd_def *cmd, const struct cmd_args *a)
{
    tx_part_add_command(p, dbid | TX_CALL, cmd, a);
}

void tx_part_add_command(struct tx_part *p, int dbid, const struct cmd_def *cmd, const struct cmd_args *a)
{
    int32_t db = dbid;
    obuf_append(&p->cmds, &db, 4);
    msg_pack_command(&p->cmds, cmd, a);
    p->ncmds++;
}

static int by_shard(const void *a, const void *b)
{
    const struct tx_part *x = *(struct tx_part *const *)a, *y = *(struct tx_part *const *)b;
    return (x->shard > y->shard) - (x->shard < y->shard);
}

/* An answer: [the participant's handle][replies]. */
static void take_answer(struct tx_part *p, const char *data, size_t len)
{
    memcpy(&p->handle, data, sizeof(p->handle));
    obuf_append(&p->reply, data + sizeof(p->handle), len - sizeof(p->handle));
}

/* Sends (or runs here) one op to a part; true when it was answered at
 * once (a local part granted now), false when part_answered will follow. */
static bool send_op(struct tx *t, struct tx_part *p, enum txp_op op, bool release)
{
    struct txp_hdr h = {(uint8_t)op, release ? TXP_RELEASE_AFTER : 0, op == TXP_LOCK ? p->nwants : 0, p->ncmds,
                        p->handle};
    struct obuf payload;
    obuf_init(&payload);
    obuf_append(&payload, &h, sizeof(h));
    if (op == TXP_LOCK) obuf_append(&payload, p->wants.data, p->wants.len);
    obuf_append(&payload, p->cmds.data, p->cmds.len);
    p->cmds.len = 0;
    p->ncmds = 0;
    p->reply.len = 0;
    struct shard *s = t->s;
    bool now = false;
    if (p->shard == s->id) {
        struct obuf out;
        obuf_init(&out);
        now = txp_run(s, payload.data, &p->done, (int)s->id, t->cl.dbid, t->cl.resp, t->cl.client_id, &out);
        if (now && op != TXP_RELEASE) take_answer(p, out.data, out.len);
        obuf_free(&out);
    } else {
        struct msg_done *done = op == TXP_RELEASE ? NULL : &p->done;
        msg_add_segment(s, p->shard, SEG_TX, done, t->cl.dbid, t->cl.resp, t->cl.client_id, payload.data,
                        payload.len);
    }
    obuf_free(&payload);
    return now;
}

static void maybe_locked(struct tx *t)
{
    if (t->waiting_on || t->next_lock < t->nparts || t->pending) return;
    t->locking = false;
    t->ops->locked(t);
}

/* Phase 2: LOCK to each part in turn, the next only after the last
 * answered. Parts that want no locks (a command visiting every shard
 * without touching keys) are not waited for: they cannot block anyone. */
static void lock_next(struct tx *t)
{
    while (t->next_lock < t->nparts) {
        struct tx_part *p = t->parts[t->next_lock++];
        bool holds = p->nwants > 0;
        bool release = !holds || (t->one_shot && t->next_lock == t->nparts);
        if (send_op(t, p, TXP_LOCK, release)) {
            p->locked = true;
            continue;
        }
        if (holds) {
            t->waiting_on = p;
            return; /* part_answered goes on */
        }
        t->pending++;
    }
    maybe_locked(t);
}

static void part_answered(struct msg_done *d, const char *data, size_t len, bool final)
{
    if (!final) return; /* a deferred LOCK's first, empty answer */
    struct tx_part *p = container_of(d, struct tx_part, done);
    struct tx *t = p->tx;
    take_answer(p, data, len);
    if (!t->locking) {
        if (--t->pending == 0) t->ops->round_done(t);
        return;
    }
    p->locked = true;
    if (t->waiting_on == p) {
        t->waiting_on = NULL;
        lock_next(t);
    } else {
        t->pending--;
        maybe_locked(t);
    }
}

void tx_start(struct tx *t)
{
    qsort(t->parts, t->nparts, sizeof(*t->parts), by_shard);
    t->locking = true;
    t->next_lock = 0;
    lock_next(t);
}

void tx_round(struct tx *t, bool release)
{
    t->pending = 1; /* held until every op is out */
    for (uint32_t i = 0; i < t->nparts; i++) {
        struct tx_part *p = t->parts[i];
        if (p->ncmds == 0) continue;
        t->pending++;
        /* A shard that holds nothing (not a participant, or one that let
         * go already) gets a lone LOCK of nothing. */
        bool visit = !p->handle;
        if (visit) p->nwants = 0, p->wants.len = 0;
        if (send_op(t, p, visit ? TXP_LOCK : TXP_EXEC, release || visit)) t->pending--;
    }
    if (--t->pending == 0) t->ops->round_done(t);
}

void tx_finish(struct tx *t, const char *reply, size_t len)
{
    t->cl.done->fn(t->cl.done, reply, len, true);
    for (uint32_t i = 0; i < t->nparts; i++) {
        struct tx_part *p = t->parts[i];
        if (p->handle) send_op(t, p, TXP_RELEASE, true);
        obuf_free(&p->wants);
        obuf_free(&p->cmds);
        obuf_free(&p->reply);
        rk_free(p);
    }
    if (t->ops->free_state) t->ops->free_state(t->state);
    rk_free(t->parts);
    rk_free(t);
}

void tx_run_command(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                    const int *keypos, int nkeys)
{
    if (cmd->combine == COMBINE_NONE && !(cmd->flags & CMD_ALL_SHARDS)) tx_move_run(s, cl, cmd, a);
    else tx_split_run(s, cl, cmd, a, keypos, nkeys);
}
