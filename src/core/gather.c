/* gather.c — one command fanned out over several shards and its replies
 * combined (MGET/MSET/DEL over keys on different shards, DBSIZE, KEYS,
 * FLUSHALL, INFO...). Thread: the connection's shard. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/net/conn.h"
#include "ringkv/core/msg.h"
#include "ringkv/proto/resp.h"
#include "ringkv/core/shard.h"
#include "ringkv/base/util.h"

#include <string.h>

void gather_free(struct gather *g)
{
    for (uint32_t i = 0; i < g->nparts; i++) obuf_free(&g->part_reply[i]);
    rk_free(g->part_reply);
    rk_free(g->part_shard);
    rk_free(g->key_part);
    rk_free(g->arg_storage);
    rk_free((void *)g->args.argv);
    rk_free(g);
}

/* The gather keeps its own copy of the call (combiners may read it). */
void gather_copy_args(struct gather *g, const struct cmd_args *a)
{
    size_t total = 0;
    for (int i = 0; i < a->argc; i++) total += a->len[i];
    g->arg_storage = rk_malloc(total + 1);
    const char **argv = rk_malloc((size_t)a->argc * (sizeof(char *) + sizeof(size_t)));
    size_t *lens = (size_t *)(argv + a->argc);
    char *p = g->arg_storage;
    for (int i = 0; i < a->argc; i++) {
        memcpy(p, a->argv[i], a->len[i]);
        argv[i] = p;
        lens[i] = a->len[i];
        p += a->len[i];
    }
    g->args = (struct cmd_args){a->argc, argv, lens};
}

/* Builds part p's call: the arguments before the first key, the key groups
 * owned by that part's shard, and the arguments after the last group. */
static void part_args(const struct cmd_def *cmd, const struct cmd_args *a, const int *keypos, int nkeys,
                      const uint32_t *key_part, uint32_t p, const char **argv, size_t *lens, int *argc)
{
    int n = 0, step = cmd->key_step > 0 ? cmd->key_step : 1;
    int first = keypos[0], after = keypos[nkeys - 1] + step;
    for (int i = 0; i < first; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    for (int k = 0; k < nkeys; k++) {
        if (key_part[k] != p) continue;
        for (int j = 0; j < step; j++) { argv[n] = a->argv[keypos[k] + j]; lens[n++] = a->len[keypos[k] + j]; }
    }
    for (int i = after; i < a->argc; i++) { argv[n] = a->argv[i]; lens[n++] = a->len[i]; }
    *argc = n;
}

static void run_part(struct shard *s, struct gather *g, uint32_t p, int dbid, const struct cmd_def *cmd,
                     const struct cmd_args *pa)
{
    if (g->part_shard[p] == s->id) {
        struct reply r;
        reply_init(&r, &g->part_reply[p], g->resp);
        shard_exec(s, cmd, pa, dbid, &r, NULL, g->conn->id);
        g->pending--;
    } else {
        msg_add_part(s, g->part_shard[p], g, p, dbid, cmd, pa);
    }
}

static void finish(struct gather *g);

struct gather *gather_new(struct conn *c, const struct cmd_def *cmd, uint32_t max_parts)
{
    struct gather *g = rk_calloc(1, sizeof(*g));
    g->conn = c;
    g->cmd = cmd;
    g->resp = c->resp;
    g->part_shard = rk_malloc(max_parts * sizeof(uint16_t));
    g->part_reply = rk_calloc(max_parts, sizeof(struct obuf));
    g->pending = 1; /* held until gather_launch */
    return g;
}

void gather_add_part(struct shard *s, struct gather *g, unsigned target, int dbid, const struct cmd_def *cmd,
                     const struct cmd_args *a)
{
    uint32_t p = g->nparts++;
    g->part_shard[p] = (uint16_t)target;
    g->pending++;
    run_part(s, g, p, dbid, cmd, a);
}

void gather_launch(struct gather *g)
{
    if (--g->pending == 0) finish(g);
}

void msg_fan_out(struct shard *s, struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a,
                 const int *keypos, int nkeys)
{
    const struct server *srv = s->srv;
    struct gather *g = rk_calloc(1, sizeof(*g));
    g->conn = c;
    g->cmd = cmd;
    g->resp = c->resp;
    gather_copy_args(g, a);

    if (cmd->flags & CMD_ALL_SHARDS) {
        g->nparts = srv->nshards;
        g->part_shard = rk_malloc(g->nparts * sizeof(uint16_t));
        for (uint32_t p = 0; p < g->nparts; p++) g->part_shard[p] = (uint16_t)p;
    } else {
        /* Part per shard involved, in order of first appearance. */
        int16_t part_of_shard[MAX_SHARDS];
        memset(part_of_shard, -1, sizeof(part_of_shard));
        g->key_part = rk_malloc((size_t)nkeys * sizeof(uint32_t));
        g->part_shard = rk_malloc((size_t)nkeys * sizeof(uint16_t));
        g->nkeys = (uint32_t)nkeys;
        for (int k = 0; k < nkeys; k++) {
            unsigned sh = shard_of_key(srv, a->argv[keypos[k]], a->len[keypos[k]]);
            if (part_of_shard[sh] < 0) {
                part_of_shard[sh] = (int16_t)g->nparts;
                g->part_shard[g->nparts++] = (uint16_t)sh;
            }
            g->key_part[k] = (uint32_t)part_of_shard[sh];
        }
    }
    g->pending = g->nparts;
    g->part_reply = rk_calloc(g->nparts, sizeof(struct obuf));

    const char **argv = rk_malloc((size_t)a->argc * sizeof(char *));
    size_t *lens = rk_malloc((size_t)a->argc * sizeof(size_t));
    for (uint32_t p = 0; p < g->nparts; p++) {
        struct cmd_args pa = *a;
        if (!(cmd->flags & CMD_ALL_SHARDS)) {
            part_args(cmd, a, keypos, nkeys, g->key_part, p, argv, lens, &pa.argc);
            pa.argv = argv;
            pa.len = lens;
        }
        run_part(s, g, p, c->dbid, cmd, &pa);
    }
    rk_free(argv);
    rk_free(lens);
    if (g->pending == 0) finish(g);
}

void msg_gather_part_done(struct gather *g, uint32_t part, const char *data, size_t len)
{
    obuf_append(&g->part_reply[part], data, len);
    if (--g->pending == 0) finish(g);
}

static bool first_error(struct gather *g, struct reply *r)
{
    for (uint32_t p = 0; p < g->nparts; p++) {
        const struct obuf *b = &g->part_reply[p];
        if (b->len && b->data[0] == '-') {
            reply_error_raw(r, b->data, b->len);
            return true;
        }
    }
    return false;
}

static void combine_sum(struct gather *g, struct reply *r)
{
    long long sum = 0, v;
    for (uint32_t p = 0; p < g->nparts; p++) {
        const struct obuf *b = &g->part_reply[p];
        if (b->len > 3 && b->data[0] == ':' && string2ll(b->data + 1, b->len - 3, &v)) sum += v;
    }
    reply_int(r, sum);
}

/* MGET: element k of the reply comes from the part owning key k, in turn. */
static void combine_keyed(struct gather *g, struct reply *r)
{
    size_t *cursor = rk_calloc(g->nparts, sizeof(size_t));
    for (uint32_t p = 0; p < g->nparts; p++) {
        long long n;
        size_t hdr = 0;
        resp_aggregate_header(g->part_reply[p].data, g->part_reply[p].len, &n, &hdr);
        cursor[p] = hdr;
    }
    reply_array(r, g->nkeys);
    for (uint32_t k = 0; k < g->nkeys; k++) {
        const struct obuf *b = &g->part_reply[g->key_part[k]];
        size_t *at = &cursor[g->key_part[k]];
        size_t span = resp_value_span(b->data + *at, b->len - *at);
        reply_raw(r, b->data + *at, span);
        *at += span;
    }
    rk_free(cursor);
}

static void combine_concat(struct gather *g, struct reply *r)
{
    long long total = 0, n;
    size_t hdr;
    for (uint32_t p = 0; p < g->nparts; p++)
        if (resp_aggregate_header(g->part_reply[p].data, g->part_reply[p].len, &n, &hdr) && n > 0) total += n;
    reply_array(r, total);
    for (uint32_t p = 0; p < g->nparts; p++)
        if (resp_aggregate_header(g->part_reply[p].data, g->part_reply[p].len, &n, &hdr))
            reply_raw(r, g->part_reply[p].data + hdr, g->part_reply[p].len - hdr);
}

static void combine(struct gather *g, struct reply *r)
{
    if (g->cmd->combine == COMBINE_CUSTOM) {
        const char *parts[MAX_SHARDS];
        size_t lens[MAX_SHARDS];
        for (uint32_t p = 0; p < g->nparts; p++) {
            parts[p] = g->part_reply[p].data ? g->part_reply[p].data : "";
            lens[p] = g->part_reply[p].len;
        }
        g->cmd->combine_fn(r, &g->args, parts, lens, (int)g->nparts);
        return;
    }
    if (first_error(g, r)) return;
    switch (g->cmd->combine) {
    case COMBINE_SUM: combine_sum(g, r); break;
    case COMBINE_KEYED: combine_keyed(g, r); break;
    case COMBINE_CONCAT: combine_concat(g, r); break;
    default: reply_ok(r); break;
    }
}

static void finish(struct gather *g)
{
    if (g->on_done) {
        g->on_done(g);
        return;
    }
    struct conn *c = g->conn;
    struct cmdstats *stats = c->shard->cmdstats;
    bool failed = false;
    if (!(c->flags & CONN_CLOSING)) {
        struct reply r;
        reply_init(&r, &c->out, g->resp);
        reply_counted(&r, stats);
        combine(g, &r);
        failed = r.errors > 0;
    }
    /* Counted after the combine, as Redis counts a call after it ran:
     * INFO commandstats does not include the INFO asking. */
    cmdstats_call_done(stats, g->cmd, failed);
    gather_free(g);
    conn_done_busy(c);
}
