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
    uint32_t *key_part;        /* COMBINE_KEYED: for key group k, its part's shard */
    uint32_t nkeys;
    struct cmdstats *stats;
};

static void split_free(void *state)
{
    struct split *sp = state;
    rk_free(sp->key_part);
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

/* ---- combining the parts' replies ---- */

static const struct obuf *reply_of(const struct tx *t, unsigned shard)
{
    for (uint32_t i = 0; i < t->nparts; i++)
        if (t->parts[i]->shard == shard) return &t->parts[i]->reply;
    return NULL;
}

static bool first_error(const struct tx *t, struct reply *r)
{
    for (uint32_t p = 0; p < t->nparts; p++) {
        const struct obuf *b = &t->parts[p]->reply;
        if (b->len && b->data[0] == '-') {
            reply_error_raw(r, b->data, b->len);
            return true;
        }
    }
    return false;
}

static void combine_sum(const struct tx *t, struct reply *r)
{
    long long sum = 0, v;
    for (uint32_t p = 0; p < t->nparts; p++) {
        const struct obuf *b = &t->parts[p]->reply;
        if (b->len > 3 && b->data[0] == ':' && string2ll(b->data + 1, b->len - 3, &v)) sum += v;
    }
    reply_int(r, sum);
}

/* MGET: element k of the reply comes from the part owning key k, in turn. */
static void combine_keyed(const struct tx *t, const struct split *sp, struct reply *r)
{
    size_t cursor[MAX_SHARDS] = {0};
    for (uint32_t p = 0; p < t->nparts; p++) {
        long long n;
        size_t hdr = 0;
        resp_aggregate_header(t->parts[p]->reply.data, t->parts[p]->reply.len, &n, &hdr);
        cursor[t->parts[p]->shard] = hdr;
    }
    reply_array(r, sp->nkeys);
    for (uint32_t k = 0; k < sp->nkeys; k++) {
        const struct obuf *b = reply_of(t, sp->key_part[k]);
        size_t *at = &cursor[sp->key_part[k]];
        size_t span = resp_value_span(b->data + *at, b->len - *at);
        reply_raw(r, b->data + *at, span);
        *at += span;
    }
}

static void combine_concat(const struct tx *t, struct reply *r)
{
    long long total = 0, n;
    size_t hdr;
    for (uint32_t p = 0; p < t->nparts; p++)
        if (resp_aggregate_header(t->parts[p]->reply.data, t->parts[p]->reply.len, &n, &hdr) && n > 0) total += n;
    reply_array(r, total);
    for (uint32_t p = 0; p < t->nparts; p++) {
        const struct obuf *b = &t->parts[p]->reply;
        if (resp_aggregate_header(b->data, b->len, &n, &hdr)) reply_raw(r, b->data + hdr, b->len - hdr);
    }
}

static void combine(const struct tx *t, const struct split *sp, struct reply *r)
{
    if (sp->cmd->combine == COMBINE_CUSTOM) {
        const char *parts[MAX_SHARDS];
        size_t lens[MAX_SHARDS];
        for (uint32_t p = 0; p < t->nparts; p++) {
            parts[p] = t->parts[p]->reply.data ? t->parts[p]->reply.data : "";
            lens[p] = t->parts[p]->reply.len;
        }
        sp->cmd->combine_fn(r, &sp->args, parts, lens, (int)t->nparts);
        return;
    }
    if (first_error(t, r)) return;
    switch (sp->cmd->combine) {
    case COMBINE_SUM: combine_sum(t, r); break;
    case COMBINE_KEYED: combine_keyed(t, sp, r); break;
    case COMBINE_CONCAT: combine_concat(t, r); break;
    default: reply_ok(r); break;
    }
}

/* Every part ran (one-shot): combine, answer, release. */
static void split_locked(struct tx *t)
{
    struct split *sp = t->state;
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, t->cl.resp);
    reply_counted(&r, sp->stats);
    combine(t, sp, &r);
    /* Counted after the combine, as Redis counts a call after it ran:
     * INFO commandstats does not include the INFO asking. */
    cmdstats_call_done(sp->stats, sp->cmd, r.errors > 0);
    tx_finish(t, out.data, out.len);
    obuf_free(&out);
}

static const struct tx_plan_ops split_ops = {split_locked, NULL, split_free};

/* ---- planning ---- */

/* Part p's call: the arguments before the first key, the key groups owned
 * by shard p, and the arguments after the last group. */
static void part_args(const struct cmd_def *cmd, const struct cmd_args *a, const int *keypos, int nkeys,
                      const uint32_t *key_part, unsigned shard, const char **argv, size_t *lens, int *argc)
{
    int n = 0, step = cmd->key_step > 0 ? cmd->key_step : 1;
    int first = keypos[0], after = keypos[nkeys - 1] + step;
    for (int i = 0; i < first; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    for (int k = 0; k < nkeys; k++) {
        if (key_part[k] != shard) continue;
        for (int j = 0; j < step; j++) { argv[n] = a->argv[keypos[k] + j]; lens[n++] = a->len[keypos[k] + j]; }
    }
    for (int i = after; i < a->argc; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    *argc = n;
}

/* A part per shard owning keys, each wanting its keys and running its
 * share of the call. */
static void plan_keyed(struct shard *s, struct tx *t, struct split *sp, const struct cmd_args *a, const int *keypos,
                       int nkeys)
{
    sp->key_part = rk_malloc((size_t)nkeys * sizeof(uint32_t));
    sp->nkeys = (uint32_t)nkeys;
    for (int k = 0; k < nkeys; k++) sp->key_part[k] = shard_of_key(s->srv, a->argv[keypos[k]], a->len[keypos[k]]);
    const char **argv = rk_malloc((size_t)a->argc * sizeof(char *));
    size_t *lens = rk_malloc((size_t)a->argc * sizeof(size_t));
    for (int k = 0; k < nkeys; k++) {
        struct tx_part *p = tx_part_of(t, sp->key_part[k]);
        if (p->ncmds) continue; /* planned with an earlier key */
        struct cmd_args pa = *a;
        part_args(sp->cmd, a, keypos, nkeys, sp->key_part, p->shard, argv, lens, &pa.argc);
        pa.argv = argv;
        pa.len = lens;
        p->nwants = exec_key_wants(s, sp->cmd, &pa, t->cl.dbid, &p->wants);
        tx_part_add_command(p, sp->cmd, &pa);
    }
    rk_free(argv);
    rk_free(lens);
}

/* A part on every shard; keyspace commands lock their databases. */
static void plan_all_shards(struct shard *s, struct tx *t, const struct cmd_def *cmd, const struct cmd_args *a)
{
    bool keyspace = cmd->flags & (CMD_WRITE | CMD_READONLY);
    enum lock_mode mode = cmd->flags & CMD_WRITE ? LOCK_X : LOCK_S;
    for (unsigned sh = 0; sh < s->srv->nshards; sh++) {
        struct tx_part *p = tx_part_of(t, sh);
        if (keyspace && (cmd->flags & CMD_ALL_DBS)) {
            for (int db = 0; db < s->cfg.databases; db++) tx_pack_db_want(&p->wants, db, mode);
            p->nwants = (uint32_t)s->cfg.databases;
        } else if (keyspace) {
            tx_pack_db_want(&p->wants, t->cl.dbid, mode);
            p->nwants = 1;
        }
        tx_part_add_command(p, cmd, a);
    }
}

void tx_split_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                  const int *keypos, int nkeys)
{
    struct split *sp = rk_calloc(1, sizeof(*sp));
    sp->cmd = cmd;
    sp->stats = s->cmdstats;
    if (cmd->combine == COMBINE_CUSTOM) copy_args(sp, a);
    struct tx *t = tx_new(s, cl, &split_ops, sp);
    t->one_shot = true;
    if (cmd->flags & CMD_ALL_SHARDS) plan_all_shards(s, t, cmd, a);
    else plan_keyed(s, t, sp, a, keypos, nkeys);
    tx_start(t);
}
