/* tx_split.c — the split plan: a command whose keys lie on several shards
 * (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) or that runs on every shard
 * (DBSIZE, KEYS, FLUSHALL, SWAPDB, INFO, CONFIG SET, ...) runs as one part
 * per shard, each holding its keys (or its databases, for the keyspace
 * ones) until every part ran, and the parts' replies are combined in the
 * caller's order. A one-shot transaction: each part runs when its locks
 * are granted. Commands that do not touch the keyspace (INFO, CLIENT
 * LIST, CONFIG SET) take no locks. Thread: the coordinator's shard. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/util.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txplan.h"
#include "ringkv/proto/resp.h"

#include <string.h>

struct split {
    const struct cmd_def *cmd;
    struct cmd_args args;      /* a copy of the call, for custom combiners */
    char *arg_storage;
    uint32_t *key_shard;       /* COMBINE_KEYED: for key group k, its shard */
    uint32_t nkeys;
    struct cmdstats *stats;
    uint64_t start_ticks;      /* for SLOWLOG: the call as the client saw it */
};

static void split_free(void *state)
{
    struct split *sp = state;
    rk_free(sp->key_shard);
    rk_free(sp->arg_storage);
    rk_free((void *)sp->args.argv);
    rk_free(sp);
}

static void copy_args(struct split *sp, const struct cmd_args *a)
{
    size_t total = 0;
    for (int i = 0; i < a->argc; i++) total += a->len[i];
    sp->arg_storage = rk_malloc(total + 1);
    const char **argv = rk_malloc((size_t)a->argc * (sizeof(char *) + sizeof(size_t)));
    size_t *lens = (size_t *)(argv + a->argc);
    char *p = sp->arg_storage;
    for (int i = 0; i < a->argc; i++) {
        memcpy(p, a->argv[i], a->len[i]);
        argv[i] = p;
        lens[i] = a->len[i];
        p += a->len[i];
    }
    sp->args = (struct cmd_args){a->argc, argv, lens};
}

/* ---- combining the pieces' replies ---- */

static const struct split_piece *piece_of(const struct split_piece *pieces, uint32_t n, unsigned shard)
{
    for (uint32_t i = 0; i < n; i++)
        if (pieces[i].shard == shard) return &pieces[i];
    return NULL;
}

static bool first_error(const struct split_piece *pieces, uint32_t n, struct reply *r)
{
    for (uint32_t p = 0; p < n; p++) {
        if (pieces[p].len && pieces[p].data[0] == '-') {
            reply_error_raw(r, pieces[p].data, pieces[p].len);
            return true;
        }
    }
    return false;
}

static void combine_sum(const struct split_piece *pieces, uint32_t n, struct reply *r)
{
    long long sum = 0, v;
    for (uint32_t p = 0; p < n; p++)
        if (pieces[p].len > 3 && pieces[p].data[0] == ':' && string2ll(pieces[p].data + 1, pieces[p].len - 3, &v))
            sum += v;
    reply_int(r, sum);
}

/* MGET: element k of the reply comes from the piece owning key k, in turn. */
static void combine_keyed(const struct split_piece *pieces, uint32_t n, const uint32_t *key_shard, uint32_t nkeys,
                          struct reply *r)
{
    size_t cursor[MAX_SHARDS] = {0};
    for (uint32_t p = 0; p < n; p++) {
        long long count;
        size_t hdr = 0;
        resp_aggregate_header(pieces[p].data, pieces[p].len, &count, &hdr);
        cursor[pieces[p].shard] = hdr;
    }
    reply_array(r, nkeys);
    for (uint32_t k = 0; k < nkeys; k++) {
        const struct split_piece *b = piece_of(pieces, n, key_shard[k]);
        size_t *at = &cursor[key_shard[k]];
        size_t span = resp_value_span(b->data + *at, b->len - *at);
        reply_raw(r, b->data + *at, span);
        *at += span;
    }
}

static void combine_concat(const struct split_piece *pieces, uint32_t n, struct reply *r)
{
    long long total = 0, count;
    size_t hdr;
    for (uint32_t p = 0; p < n; p++)
        if (resp_aggregate_header(pieces[p].data, pieces[p].len, &count, &hdr) && count > 0) total += count;
    reply_array(r, total);
    for (uint32_t p = 0; p < n; p++)
        if (resp_aggregate_header(pieces[p].data, pieces[p].len, &count, &hdr))
            reply_raw(r, pieces[p].data + hdr, pieces[p].len - hdr);
}

void split_combine(struct reply *r, const struct cmd_def *cmd, const struct cmd_args *a,
                   const struct split_piece *pieces, uint32_t n, const uint32_t *key_shard, uint32_t nkeys)
{
    if (cmd->combine == COMBINE_CUSTOM) {
        const char *parts[MAX_SHARDS];
        size_t lens[MAX_SHARDS];
        for (uint32_t p = 0; p < n; p++) {
            parts[p] = pieces[p].data ? pieces[p].data : "";
            lens[p] = pieces[p].len;
        }
        cmd->combine_fn(r, a, parts, lens, (int)n);
        return;
    }
    if (first_error(pieces, n, r)) return;
    switch (cmd->combine) {
    case COMBINE_SUM: combine_sum(pieces, n, r); break;
    case COMBINE_KEYED: combine_keyed(pieces, n, key_shard, nkeys, r); break;
    case COMBINE_CONCAT: combine_concat(pieces, n, r); break;
    default: reply_ok(r); break;
    }
}

/* Every part ran (one-shot): combine, answer, release. */
static void split_locked(struct tx *t)
{
    struct split *sp = t->state;
    struct split_piece pieces[MAX_SHARDS];
    for (uint32_t p = 0; p < t->nparts; p++)
        pieces[p] = (struct split_piece){t->parts[p]->shard, t->parts[p]->reply.data, t->parts[p]->reply.len};
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, t->cl.resp);
    reply_counted(&r, sp->stats);
    split_combine(&r, sp->cmd, &sp->args, pieces, t->nparts, sp->key_shard, sp->nkeys);
    /* Counted after the combine, as Redis counts a call after it ran:
     * INFO commandstats does not include the INFO asking. */
    cmdstats_call_done(sp->stats, sp->cmd, r.errors > 0);
    uint64_t ticks = cmdstats_ticks_now() - sp->start_ticks;
    cmdstats_call_latency(sp->stats, sp->cmd, ticks);
    if (ticks >= t->s->slow_ticks) exec_note_slow(t->s, sp->cmd, &sp->args, t->cl.client, ticks);
    tx_finish(t, out.data, out.len);
    obuf_free(&out);
}

static const struct tx_plan_ops split_ops = {split_locked, NULL, split_free};

/* ---- planning ---- */

/* The piece of the call for `shard`: the arguments before the first key,
 * the key groups that shard owns, and the arguments after the last group. */
static void piece_args(const struct cmd_def *cmd, const struct cmd_args *a, const int *keypos, int nkeys,
                       const uint32_t *key_shard, unsigned shard, const char **argv, size_t *lens, int *argc)
{
    int n = 0, step = cmd->key_step > 0 ? cmd->key_step : 1;
    int first = keypos[0], after = keypos[nkeys - 1] + step;
    for (int i = 0; i < first; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    for (int k = 0; k < nkeys; k++) {
        if (key_shard[k] != shard) continue;
        for (int j = 0; j < step; j++) { argv[n] = a->argv[keypos[k] + j]; lens[n++] = a->len[keypos[k] + j]; }
    }
    for (int i = after; i < a->argc; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    *argc = n;
}

uint32_t split_pieces(struct tx *t, const struct cmd_def *cmd, const struct cmd_args *a, int dbid, const int *keypos,
                      int nkeys, uint32_t *key_shard, unsigned *shards, bool lock)
{
    struct shard *s = t->s;
    uint32_t n = 0;
    for (int k = 0; k < nkeys; k++) key_shard[k] = shard_of_key(s->srv, a->argv[keypos[k]], a->len[keypos[k]]);
    const char **argv = rk_malloc((size_t)a->argc * sizeof(char *));
    size_t *lens = rk_malloc((size_t)a->argc * sizeof(size_t));
    for (int k = 0; k < nkeys; k++) {
        bool planned = false;
        for (uint32_t i = 0; i < n && !planned; i++) planned = shards[i] == key_shard[k];
        if (planned) continue;
        shards[n++] = key_shard[k];
        struct tx_part *p = tx_part_of(t, key_shard[k]);
        struct cmd_args pa = *a;
        piece_args(cmd, a, keypos, nkeys, key_shard, p->shard, argv, lens, &pa.argc);
        pa.argv = argv;
        pa.len = lens;
        if (lock) p->nwants += exec_key_wants(s, cmd, &pa, dbid, &p->wants);
        tx_part_add_command(p, dbid, cmd, &pa);
    }
    rk_free(argv);
    rk_free(lens);
    return n;
}

void split_db_wants(struct tx *t, struct tx_part *p, const struct cmd_def *cmd, int dbid)
{
    if (!(cmd->flags & (CMD_WRITE | CMD_READONLY))) return; /* not the keyspace: INFO, CONFIG SET... */
    enum lock_mode mode = cmd_writes_keys(cmd) ? LOCK_X : LOCK_S;
    if (cmd->flags & CMD_ALL_DBS) {
        for (int db = 0; db < t->s->cfg.databases; db++) tx_pack_db_want(&p->wants, db, mode);
        p->nwants += (uint32_t)t->s->cfg.databases;
    } else {
        tx_pack_db_want(&p->wants, dbid, mode);
        p->nwants++;
    }
}

void tx_split_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                  const int *keypos, int nkeys)
{
    struct split *sp = rk_calloc(1, sizeof(*sp));
    sp->cmd = cmd;
    sp->stats = s->cmdstats;
    sp->start_ticks = cmdstats_ticks_now();
    /* The call's arguments: for a custom combine, and for SLOWLOG while
     * it logs (whether this call will be slow is known only at the end). */
    if (cmd->combine == COMBINE_CUSTOM || s->slowlog_ticks != UINT64_MAX) copy_args(sp, a);
    struct tx *t = tx_new(s, cl, &split_ops, sp);
    t->one_shot = true;
    if (cmd->flags & CMD_ALL_SHARDS) {
        for (unsigned sh = 0; sh < s->srv->nshards; sh++) {
            struct tx_part *p = tx_part_of(t, sh);
            split_db_wants(t, p, cmd, cl->dbid);
            tx_part_add_command(p, cl->dbid, cmd, a);
        }
    } else {
        unsigned shards[MAX_SHARDS];
        sp->key_shard = rk_malloc((size_t)nkeys * sizeof(uint32_t));
        sp->nkeys = (uint32_t)nkeys;
        split_pieces(t, cmd, a, cl->dbid, keypos, nkeys, sp->key_shard, shards, true);
    }
    tx_start(t);
}
