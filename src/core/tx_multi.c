/* tx_multi.c — EXEC: the commands a client queued after MULTI run as one
 * transaction, whichever shards their keys live on.
 *
 * The plan locks, on every shard concerned, the union of what the
 * commands need (their keys, X for writes and S for reads; whole databases
 * for FLUSHDB, DBSIZE, KEYS...) and the keys the client WATCHes (S). Then:
 *  - without WATCH and without commands of the move kind (a RENAME whose
 *    keys are apart, say), it is one-shot: each shard runs its share of
 *    the commands, in queue order, as soon as it holds its locks;
 *  - otherwise every shard first answers, under its locks, whether a
 *    watched key of the client changed since WATCH (any did: EXEC answers
 *    a null array and nothing runs); then the commands run in rounds, a
 *    round being a run of queued commands that each shard can serve on its
 *    own, and a move-kind command a round (or a few) of its own.
 * Commands that touch no key (PING, ECHO, SELECT, CLIENT SETNAME) run on
 * the client's shard. The reply is every command's reply in queue order.
 * Thread: the client's shard.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_multi.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txplan.h"
#include "ringkv/proto/resp.h"

#include <string.h>

enum mkind {
    M_LOCAL,    /* no key: runs on the client's shard */
    M_SHARD,    /* its keys on one shard (or routed to one: SCAN) */
    M_SPLIT,    /* pieces on several shards, replies combined */
    M_MOVE,     /* run whole on the client's shard, values moved (tx_move.c) */
};

struct mcmd {
    const struct cmd_def *cmd;
    struct cmd_args args;
    int dbid;
    enum mkind kind;
    unsigned shard;            /* M_SHARD */
    uint32_t *key_shard;       /* M_SPLIT keyed: each key's shard */
    uint32_t nkeys;
    struct obuf pieces;        /* M_SPLIT: the pieces' replies, as they came */
    struct split_piece *piece;
    uint32_t npieces;
    struct obuf reply;
};

/* What each shard runs in the current round: command indexes, in order. */
struct round_list {
    uint32_t *cmd;
    uint32_t n, cap;
};

struct multi {
    struct mcmd *cmds;
    uint32_t n, next;
    char *storage;             /* the arguments */
    struct round_list *round;  /* per shard */
    bool watching, one_shot;
    struct move_step *move;
    uint32_t move_cmd;
};

void tx_pack_key(struct obuf *out, int dbid, const char *key, size_t len)
{
    int32_t db = dbid;
    obuf_append(out, &db, 4);
    msg_pack_arg(out, key, len);
}

const char *tx_unpack_key(const char *p, int *dbid, const char **key, size_t *len)
{
    int32_t db;
    memcpy(&db, p, 4);
    *dbid = db;
    return msg_unpack_args(p + 4, 1, key, len);
}

static void multi_free(void *state)
{
    struct multi *m = state;
    for (uint32_t i = 0; i < m->n; i++) {
        obuf_free(&m->cmds[i].reply);
        obuf_free(&m->cmds[i].pieces);
        rk_free(m->cmds[i].piece);
        rk_free(m->cmds[i].key_shard);
        rk_free((void *)m->cmds[i].args.argv);
    }
    for (unsigned s = 0; s < MAX_SHARDS; s++) rk_free(m->round[s].cmd);
    rk_free(m->round);
    move_step_free(m->move);
    rk_free(m->cmds);
    rk_free(m->storage);
    rk_free(m);
}

/* ---- planning ---- */

static void want_keys(struct tx *t, const struct mcmd *c)
{
    enum lock_mode mode = cmd_writes_keys(c->cmd) ? LOCK_X : LOCK_S;
    int pos[256], *keypos = c->args.argc <= 256 ? pos : rk_malloc((size_t)c->args.argc * sizeof(int));
    int n = cmd_key_positions(c->cmd, &c->args, keypos, c->args.argc);
    for (int i = 0; i < n; i++) {
        const char *key = c->args.argv[keypos[i]];
        size_t len = c->args.len[keypos[i]];
        int db = c->cmd->key_db ? c->cmd->key_db(&c->args, keypos[i], c->dbid) : c->dbid;
        if (db < 0 || db >= t->s->cfg.databases) db = c->dbid;
        struct tx_part *p = tx_part_of(t, shard_of_key(t->s->srv, key, len));
        tx_pack_want(&p->wants, db, key, len, mode);
        p->nwants++;
    }
    if (keypos != pos) rk_free(keypos);
}

/* Where command c runs, and what it locks. */
static void classify(struct tx *t, struct mcmd *c)
{
    const struct cmd_def *cmd = c->cmd;
    struct shard *s = t->s;
    if (cmd->flags & CMD_ALL_SHARDS) {
        c->kind = M_SPLIT;
        for (unsigned sh = 0; sh < s->srv->nshards; sh++) split_db_wants(t, tx_part_of(t, sh), cmd, c->dbid);
        return;
    }
    if (cmd->route) {
        unsigned target = cmd->route(&c->args, s->srv->nshards);
        c->kind = target < s->srv->nshards ? M_SHARD : M_LOCAL;
        c->shard = target;
        return;
    }
    int pos[256], *keypos = c->args.argc <= 256 ? pos : rk_malloc((size_t)c->args.argc * sizeof(int));
    int n = cmd->flags & CMD_CONN ? 0 : cmd_key_positions(cmd, &c->args, keypos, c->args.argc);
    c->kind = M_LOCAL;
    for (int i = 0; i < n; i++) {
        unsigned sh = shard_of_key(s->srv, c->args.argv[keypos[i]], c->args.len[keypos[i]]);
        if (i == 0) {
            c->kind = M_SHARD;
            c->shard = sh;
        } else if (sh != c->shard) {
            c->kind = cmd->combine == COMBINE_NONE ? M_MOVE : M_SPLIT;
        }
    }
    if (c->kind == M_SHARD && cmd->value_keys_home && !cmd->value_keys_home(&c->args, s->srv->slot_owner, c->shard))
        c->kind = M_MOVE;
    if (keypos != pos) rk_free(keypos);
    if (n) want_keys(t, c);
}

/* The watched keys: locked S, and asked about at lock time, one check
 * per shard and database. */
static void plan_watch_checks(struct tx *t, const struct tx_multi_queue *q)
{
    const char *p = q->watched;
    for (uint32_t i = 0; i < q->nwatched; i++) {
        int db;
        const char *key;
        size_t len;
        p = tx_unpack_key(p, &db, &key, &len);
        struct tx_part *part = tx_part_of(t, shard_of_key(t->s->srv, key, len));
        tx_pack_want(&part->wants, db, key, len, LOCK_S);
        part->nwants++;
        char dbbuf[RK_LONG_STR_SIZE];
        const char *argv[3] = {watch_check_cmd.name, key, dbbuf};
        size_t lens[3] = {strlen(watch_check_cmd.name), len, ll2string(dbbuf, db)};
        struct cmd_args a = {3, argv, lens};
        tx_part_add_command(part, db, &watch_check_cmd, &a);
    }
}

/* ---- running rounds ---- */

static void round_add(struct multi *m, unsigned shard, uint32_t cmd)
{
    struct round_list *l = &m->round[shard];
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->cmd = rk_realloc(l->cmd, l->cap * sizeof(*l->cmd));
    }
    l->cmd[l->n++] = cmd;
}

/* Adds command i's share(s) to the round. */
static void schedule_cmd(struct tx *t, struct multi *m, uint32_t i)
{
    struct mcmd *c = &m->cmds[i];
    if (c->kind == M_SHARD) {
        tx_part_add_call(tx_part_of(t, c->shard), c->dbid, c->cmd, &c->args);
        round_add(m, c->shard, i);
        return;
    }
    unsigned shards[MAX_SHARDS];
    uint32_t n;
    if (c->cmd->flags & CMD_ALL_SHARDS) {
        n = t->s->srv->nshards;
        for (unsigned sh = 0; sh < n; sh++) {
            shards[sh] = sh;
            tx_part_add_command(tx_part_of(t, sh), c->dbid, c->cmd, &c->args);
        }
    } else {
        int keypos[256], *pos = c->args.argc <= 256 ? keypos : rk_malloc((size_t)c->args.argc * sizeof(int));
        int nkeys = cmd_key_positions(c->cmd, &c->args, pos, c->args.argc);
        c->key_shard = rk_malloc((size_t)nkeys * sizeof(uint32_t));
        c->nkeys = (uint32_t)nkeys;
        n = split_pieces(t, c->cmd, &c->args, c->dbid, pos, nkeys, c->key_shard, shards, false);
        if (pos != keypos) rk_free(pos);
    }
    for (uint32_t k = 0; k < n; k++) round_add(m, shards[k], i);
}

static void run_local(struct tx *t, struct mcmd *c)
{
    struct reply r;
    reply_init(&r, &c->reply, t->cl.resp);
    reply_counted(&r, t->s->cmdstats);
    if (c->cmd->flags & CMD_TX_CONTROL) { /* UNWATCH, queued: EXEC ends the watches anyway */
        reply_ok(&r);
        return;
    }
    struct client *client = c->cmd->flags & CMD_CONN ? t->cl.client : NULL;
    shard_exec(t->s, c->cmd, &c->args, c->dbid, &r, client, t->cl.client_id);
}

/* Hands each shard's replies of the round to the commands they answer. */
static void distribute(struct tx *t, struct multi *m)
{
    for (uint32_t pi = 0; pi < t->nparts; pi++) {
        struct tx_part *p = t->parts[pi];
        struct round_list *l = &m->round[p->shard];
        size_t at = 0;
        for (uint32_t k = 0; k < l->n; k++) {
            struct mcmd *c = &m->cmds[l->cmd[k]];
            size_t span = resp_value_span(p->reply.data + at, p->reply.len - at);
            if (c->kind == M_SHARD) {
                obuf_append(&c->reply, p->reply.data + at, span);
            } else {
                c->piece = rk_realloc(c->piece, (c->npieces + 1) * sizeof(*c->piece));
                c->piece[c->npieces++] = (struct split_piece){p->shard, NULL, c->pieces.len};
                obuf_append(&c->pieces, p->reply.data + at, span);
            }
            at += span;
        }
        l->n = 0;
    }
}

/* The pieces' replies, in shard order, combined. */
static void combine_pieces(struct tx *t, struct mcmd *c)
{
    struct split_piece ordered[MAX_SHARDS];
    uint32_t n = 0;
    for (unsigned sh = 0; sh < t->s->srv->nshards; sh++) {
        for (uint32_t i = 0; i < c->npieces; i++) {
            if (c->piece[i].shard != sh) continue;
            size_t off = c->piece[i].len, end = i + 1 < c->npieces ? c->piece[i + 1].len : c->pieces.len;
            ordered[n++] = (struct split_piece){sh, c->pieces.data + off, end - off};
        }
    }
    struct reply r;
    reply_init(&r, &c->reply, t->cl.resp);
    reply_counted(&r, t->s->cmdstats);
    split_combine(&r, c->cmd, &c->args, ordered, n, c->key_shard, c->nkeys);
    cmdstats_call_done(t->s->cmdstats, c->cmd, r.errors > 0);
}

static void answer(struct tx *t, struct multi *m)
{
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, t->cl.resp);
    reply_array(&r, m->n);
    for (uint32_t i = 0; i < m->n; i++) {
        struct mcmd *c = &m->cmds[i];
        if (c->kind == M_SPLIT && c->reply.len == 0) combine_pieces(t, c);
        obuf_append(&out, c->reply.data, c->reply.len);
    }
    cmdstats_call_done(t->s->cmdstats, cmd_lookup("exec", 4), false);
    tx_finish(t, out.data, out.len);
    obuf_free(&out);
}

/* Queues the next round (or runs what needs no round) until a round is
 * out or every command ran. */
static void schedule(struct tx *t, struct multi *m)
{
    bool queued = false;
    while (m->next < m->n) {
        struct mcmd *c = &m->cmds[m->next];
        if (c->kind == M_LOCAL) {
            run_local(t, c);
        } else if (c->kind == M_MOVE) {
            if (queued) break; /* the round so far goes first */
            m->move = move_step_new(t, c->cmd, &c->args, c->dbid, false);
            m->move_cmd = m->next++;
            tx_round(t, false);
            return;
        } else {
            schedule_cmd(t, m, m->next);
            queued = true;
        }
        m->next++;
    }
    if (queued) tx_round(t, false);
    else answer(t, m);
}

static bool watched_changed(const struct tx *t)
{
    for (uint32_t i = 0; i < t->nparts; i++) {
        const struct obuf *b = &t->parts[i]->reply;
        for (size_t at = 0; at + 4 <= b->len; at += 4) /* ":0\r\n" or ":1\r\n" each */
            if (b->data[at + 1] == '1') return true;
    }
    return false;
}

static void multi_locked(struct tx *t)
{
    struct multi *m = t->state;
    if (m->one_shot) {
        distribute(t, m);
        db_time_freeze_begin(); /* one clock here, as each part had one */
        for (uint32_t i = 0; i < m->n; i++)
            if (m->cmds[i].kind == M_LOCAL) run_local(t, &m->cmds[i]);
        db_time_freeze_end();
        answer(t, m);
        return;
    }
    if (m->watching && watched_changed(t)) {
        struct obuf out;
        obuf_init(&out);
        struct reply r;
        reply_init(&r, &out, t->cl.resp);
        reply_null_array(&r);
        cmdstats_call_done(t->s->cmdstats, cmd_lookup("exec", 4), false);
        tx_finish(t, out.data, out.len);
        obuf_free(&out);
        return;
    }
    for (uint32_t i = 0; i < t->nparts; i++) t->parts[i]->reply.len = 0;
    schedule(t, m);
}

static void multi_round_done(struct tx *t)
{
    struct multi *m = t->state;
    if (m->move) {
        if (!move_step_advance(t, m->move)) {
            tx_round(t, false);
            return;
        }
        const struct obuf *rep = move_step_reply(m->move);
        obuf_append(&m->cmds[m->move_cmd].reply, rep->data, rep->len);
        move_step_free(m->move);
        m->move = NULL;
    } else {
        distribute(t, m);
    }
    schedule(t, m);
}

static const struct tx_plan_ops multi_ops = {multi_locked, multi_round_done, multi_free};

/* Copies the queue: every argument into one block, vectors per command. */
static void copy_queue(struct shard *s, struct multi *m, const struct tx_multi_queue *q)
{
    m->storage = rk_malloc(q->len + 1);
    if (q->len) memcpy(m->storage, q->cmds, q->len); /* an empty queue has no buffer at all */
    m->cmds = rk_calloc(q->n + 1, sizeof(*m->cmds));
    m->n = q->n;
    const char *p = m->storage;
    for (uint32_t i = 0; i < q->n; i++) {
        struct mcmd *c = &m->cmds[i];
        uint32_t argc;
        memcpy(&c->cmd, p, sizeof(c->cmd));
        memcpy(&argc, p + sizeof(c->cmd), 4);
        const char **argv = rk_malloc((size_t)argc * (sizeof(char *) + sizeof(size_t)) + 1);
        size_t *lens = (size_t *)(argv + argc);
        p = msg_unpack_args(p + sizeof(c->cmd) + 4, argc, argv, lens);
        c->args = (struct cmd_args){(int)argc, argv, lens};
        c->dbid = q->dbids[i];
        obuf_init(&c->reply);
        obuf_init(&c->pieces);
    }
    (void)s;
}

/* ---- every key on the client's shard, none held: run it here, now ---- */

/* Whether the queued command at p can run here now: its keys are this
 * shard's (or it has none) and no transaction holds them. */
static bool runs_here(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a, int dbid)
{
    unsigned nshards = s->srv->nshards;
    if (cmd->flags & (CMD_CONN | CMD_TX_CONTROL)) return true;
    if (cmd->flags & CMD_ALL_SHARDS) /* a part that is the whole reply, its databases free */
        return nshards == 1 && cmd->combine != COMBINE_CUSTOM && !exec_must_wait(s, s->locks, cmd, a, dbid);
    if (cmd->route) return cmd->route(a, nshards) == s->id || cmd->route(a, nshards) >= nshards;
    int pos[64];
    int n = cmd_key_positions(cmd, a, pos, 64);
    if (n == 64) return false; /* many keys: leave it to the general path */
    for (int i = 0; i < n; i++)
        if (shard_of_key(s->srv, a->argv[pos[i]], a->len[pos[i]]) != s->id) return false;
    if (n && cmd->value_keys_home && !cmd->value_keys_home(a, s->srv->slot_owner, s->id)) return false;
    return !exec_must_wait(s, s->locks, cmd, a, dbid);
}

static bool all_here(struct shard *s, const struct tx_multi_queue *q)
{
    const char *p = q->cmds;
    for (uint32_t i = 0; i < q->n; i++) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        p = msg_unpack_command(s, p, &cmd, &a);
        if (!runs_here(s, cmd, &a, q->dbids[i])) return false;
    }
    p = q->watched;
    for (uint32_t i = 0; i < q->nwatched; i++) {
        int db;
        const char *key;
        size_t len;
        p = tx_unpack_key(p, &db, &key, &len);
        if (shard_of_key(s->srv, key, len) != s->id || lock_table_blocks(s->locks, db, key, len, false)) return false;
    }
    return true;
}

/* Asks the watched keys' registry directly (watch_check_cmd, run here). */
static bool watched_changed_here(struct shard *s, const struct tx_client *cl, const struct tx_multi_queue *q)
{
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, 2);
    const char *p = q->watched;
    for (uint32_t i = 0; i < q->nwatched; i++) {
        int db;
        const char *key;
        size_t len;
        p = tx_unpack_key(p, &db, &key, &len);
        char dbbuf[RK_LONG_STR_SIZE];
        const char *argv[3] = {watch_check_cmd.name, key, dbbuf};
        size_t lens[3] = {strlen(watch_check_cmd.name), len, ll2string(dbbuf, db)};
        struct cmd_args a = {3, argv, lens};
        shard_exec(s, &watch_check_cmd, &a, db, &r, NULL, cl->client_id);
    }
    bool changed = memchr(out.data, '1', out.len) != NULL; /* ":0\r\n" or ":1\r\n" each */
    obuf_free(&out);
    return changed;
}

/* The whole transaction at once on this shard: nothing else runs here
 * meanwhile, and no transaction holds its keys. */
static void run_here_now(struct shard *s, const struct tx_client *cl, const struct tx_multi_queue *q)
{
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, cl->resp);
    if (q->nwatched && watched_changed_here(s, cl, q)) {
        reply_null_array(&r);
    } else {
        reply_array(&r, q->n);
        db_time_freeze_begin();
        const char *p = q->cmds;
        for (uint32_t i = 0; i < q->n; i++) {
            const struct cmd_def *cmd;
            struct cmd_args a;
            p = msg_unpack_command(s, p, &cmd, &a);
            struct reply one;
            reply_init(&one, &out, cl->resp);
            reply_counted(&one, s->cmdstats);
            if (cmd->flags & CMD_TX_CONTROL) reply_ok(&one); /* UNWATCH: EXEC ends the watches anyway */
            else shard_exec(s, cmd, &a, q->dbids[i], &one, cmd->flags & CMD_CONN ? cl->client : NULL, cl->client_id);
        }
        db_time_freeze_end();
    }
    cmdstats_call_done(s->cmdstats, cmd_lookup("exec", 4), false);
    cl->done->fn(cl->done, out.data, out.len, true);
    obuf_free(&out);
    exec_serve_blocked(s); /* after the whole transaction, as Redis serves them */
}

void tx_run_multi(struct shard *s, const struct tx_client *cl, const struct tx_multi_queue *q)
{
    if (all_here(s, q)) {
        run_here_now(s, cl, q);
        return;
    }
    struct multi *m = rk_calloc(1, sizeof(*m));
    m->round = rk_calloc(MAX_SHARDS, sizeof(*m->round));
    copy_queue(s, m, q);
    struct tx *t = tx_new(s, cl, &multi_ops, m);
    bool moves = false;
    for (uint32_t i = 0; i < m->n; i++) {
        classify(t, &m->cmds[i]);
        moves |= m->cmds[i].kind == M_MOVE;
    }
    m->watching = q->nwatched > 0;
    m->one_shot = !m->watching && !moves;
    if (m->watching) plan_watch_checks(t, q);
    if (m->one_shot)
        for (uint32_t i = 0; i < m->n; i++)
            if (m->cmds[i].kind != M_LOCAL) schedule_cmd(t, m, i);
    t->one_shot = m->one_shot;
    tx_start(t);
}
