/* xshard.c — running a command whose keys live on several shards and
 * whose effect cannot be split per shard (RENAME, SMOVE, SUNIONSTORE,
 * BITOP, LCS, ...), with the command's own handler, unchanged.
 *
 * Three steps, each a fan-out over the shards owning the keys:
 *  1. fetch: every owner sends back a deep copy of each key it holds (with
 *     its TTL). The copy is made by the owner, on its thread; the message
 *     carries the copy's ownership, never a pointer into a keyspace.
 *  2. run: the connection's shard puts the copies in a scratch keyspace and
 *     runs the handler there, exactly as if all keys were local.
 *  3. store (write commands only): every key the command names, and every
 *     key the handler created, goes back to its owner, which replaces its
 *     record (or deletes it if the scratch keyspace no longer has it).
 * The client's reply is sent after step 3, so its next command sees the
 * result. Between steps 1 and 3 another client may change the same keys:
 * the command is not atomic across shards (README, "Limits"); the planned
 * multi-shard transaction protocol replaces this window with key locks.
 * Thread: the connection's shard (steps run in its completions); the two
 * internal commands run on the owners.
 */
#include "ringkv/alloc.h"
#include "ringkv/conn.h"
#include "ringkv/db.h"
#include "ringkv/msg.h"
#include "ringkv/shard.h"
#include "ringkv/util.h"

#include <string.h>

/* A fetched key: [u8 present][struct kv *][i64 expire ms or -1]. */
#define RECORD_SIZE (1 + sizeof(void *) + sizeof(long long))

struct xrun {
    struct shard *s;
    const struct cmd_def *cmd;
    struct cmd_args args;      /* a copy (the gather owns the storage) */
    int dbid;
    uint32_t nkeys;            /* distinct keys */
    uint32_t *key_arg;         /* argument index of each distinct key */
    uint32_t *key_part;        /* fetch part of each key */
    int *key_db;               /* database of each key (cmd_def.key_db) */
    struct obuf reply;         /* the handler's reply, held until stored */
};

static void put_record(struct obuf *out, struct kv *kv, long long when)
{
    char rec[RECORD_SIZE];
    rec[0] = kv != NULL;
    memcpy(rec + 1, &kv, sizeof(kv));
    memcpy(rec + 1 + sizeof(kv), &when, sizeof(when));
    obuf_append(out, rec, sizeof(rec));
}

static const char *get_record(const char *p, struct kv **kv, long long *when)
{
    memcpy(kv, p + 1, sizeof(*kv));
    memcpy(when, p + 1 + sizeof(*kv), sizeof(*when));
    if (!p[0]) *kv = NULL;
    return p + RECORD_SIZE;
}

/* Owner side of step 1: argv = [xfetch, key...]. */
static void xfetch_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 1; i < a->argc; i++) {
        struct kv *kv = db_lookup_write(c->db, a->argv[i], a->len[i]);
        put_record(c->r->buf, kv ? kv_dup(kv, a->argv[i], a->len[i]) : NULL, kv ? db_get_expire(c->db, kv) : -1);
    }
}

/* Owner side of step 3: argv = [xstore, key, record, key, record...]. */
static void xstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int i = 1; i + 1 < a->argc; i += 2) {
        struct kv *kv;
        long long when;
        get_record(a->argv[i + 1], &kv, &when);
        if (!kv) {
            db_delete(c->db, a->argv[i], a->len[i]);
            continue;
        }
        db_set(c->db, kv, false);
        if (when >= 0) db_set_expire(c->db, kv, when);
    }
    reply_ok(c->r);
}

static const struct cmd_def xfetch_cmd = {.name = "xshard|fetch", .arity = -1, .fn = xfetch_command};
static const struct cmd_def xstore_cmd = {.name = "xshard|store", .arity = -1, .fn = xstore_command};

static void xrun_free(struct xrun *x)
{
    rk_free(x->key_arg);
    rk_free(x->key_part);
    rk_free(x->key_db);
    obuf_free(&x->reply);
    rk_free(x);
}

/* The keyspace the handler runs in: this shard's settings, empty dbs. */
static struct shard *scratch_create(struct shard *s)
{
    struct shard *sc = rk_calloc(1, sizeof(*sc));
    sc->id = s->id;
    sc->srv = s->srv;
    sc->cfg = s->cfg; /* shallow: the scratch never frees it */
    sc->dbs = rk_calloc((size_t)s->cfg.databases, sizeof(struct db));
    for (int i = 0; i < s->cfg.databases; i++) db_init(&sc->dbs[i], &sc->db_stats, (uint64_t)i + 1);
    return sc;
}

static void scratch_destroy(struct shard *sc)
{
    for (int i = 0; i < sc->cfg.databases; i++) db_deinit(&sc->dbs[i]);
    rk_free(sc->dbs);
    rk_free(sc);
}

static void stored(struct gather *g);
static void store_back(struct xrun *x, struct shard *sc, struct conn *c);

/* Step 2, when every fetch has answered. */
static void fetched(struct gather *g)
{
    struct xrun *x = g->user;
    struct shard *s = x->s, *sc = scratch_create(s);
    size_t *cursor = rk_calloc(g->nparts, sizeof(size_t));
    for (uint32_t k = 0; k < x->nkeys; k++) {
        uint32_t p = x->key_part[k];
        struct kv *kv;
        long long when;
        get_record(g->part_reply[p].data + cursor[p], &kv, &when);
        cursor[p] += RECORD_SIZE;
        if (!kv) continue;
        struct db *db = &sc->dbs[x->key_db[k]];
        db_add(db, kv);
        if (when >= 0) db_set_expire(db, kv, when);
    }
    rk_free(cursor);
    struct conn *c = g->conn;
    struct reply r;
    reply_init(&r, &x->reply, g->resp);
    shard_exec(sc, x->cmd, &x->args, x->dbid, &r, NULL, c->id);
    s->stats.commands_processed++;
    s->stats.error_replies += r.errors;
    if (x->cmd->flags & CMD_WRITE) {
        store_back(x, sc, c); /* may finish x at once */
        gather_free(g);
    } else {
        scratch_destroy(sc);
        stored(g);
    }
}

static void plan_add(struct xrun *x, struct obuf *args_by_shard, uint32_t *count, const char *key, size_t klen,
                     struct kv *kv, long long when)
{
    unsigned owner = shard_of_key(x->s->srv, key, klen);
    char rec[RECORD_SIZE];
    struct obuf tmp = {rec, 0, sizeof(rec)};
    put_record(&tmp, kv, when);
    msg_pack_arg(&args_by_shard[owner], key, klen);
    msg_pack_arg(&args_by_shard[owner], rec, RECORD_SIZE);
    count[owner]++;
}

struct leftover {
    struct kv **kvs;
    size_t n, cap;
};

static void collect_kv(struct dict_node *n, void *arg)
{
    struct leftover *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->kvs = rk_realloc(l->kvs, l->cap * sizeof(*l->kvs));
    }
    l->kvs[l->n++] = kv_of(n);
}

/* Sends one store per owner and db: the values, moved out of the scratch. */
static void store_back(struct xrun *x, struct shard *sc, struct conn *c)
{
    unsigned nshards = x->s->srv->nshards;
    struct gather *g2 = gather_new(c, x->cmd, nshards * (unsigned)sc->cfg.databases);
    g2->on_done = stored;
    g2->user = x;
    for (int dbid = 0; dbid < sc->cfg.databases; dbid++) {
        struct db *db = &sc->dbs[dbid];
        struct obuf *by_shard = rk_calloc(nshards, sizeof(struct obuf));
        uint32_t *count = rk_calloc(nshards, sizeof(uint32_t));
        {
            /* Every key the command named: its new value, or deleted. */
            for (uint32_t k = 0; k < x->nkeys; k++) {
                if (x->key_db[k] != dbid) continue;
                const char *key = x->args.argv[x->key_arg[k]];
                size_t klen = x->args.len[x->key_arg[k]];
                long long when = -1;
                struct kv *kv = db_detach(db, key, klen, &when);
                plan_add(x, by_shard, count, key, klen, kv, when);
            }
        }
        /* Keys the handler created beyond those (COPY ... DB n). */
        struct leftover left = {0};
        dict_foreach(&db->keys, collect_kv, &left);
        for (size_t i = 0; i < left.n; i++) {
            long long when = -1;
            struct kv *kv = db_detach(db, kv_key(left.kvs[i]), left.kvs[i]->keylen, &when);
            plan_add(x, by_shard, count, kv_key(kv), kv->keylen, kv, when);
        }
        rk_free(left.kvs);
        for (unsigned t = 0; t < nshards; t++) {
            if (count[t] == 0) continue;
            /* Unpack into an argument vector for the part. */
            uint32_t argc = 1 + 2 * count[t];
            const char **argv = rk_malloc(argc * sizeof(char *));
            size_t *lens = rk_malloc(argc * sizeof(size_t));
            argv[0] = xstore_cmd.name;
            lens[0] = strlen(xstore_cmd.name);
            msg_unpack_args(by_shard[t].data, argc - 1, argv + 1, lens + 1);
            struct cmd_args sa = {(int)argc, argv, lens};
            gather_add_part(x->s, g2, t, dbid, &xstore_cmd, &sa);
            rk_free(argv);
            rk_free(lens);
        }
        for (unsigned t = 0; t < nshards; t++) obuf_free(&by_shard[t]);
        rk_free(by_shard);
        rk_free(count);
    }
    scratch_destroy(sc);
    gather_launch(g2);
}

/* Step 3 done (the store gather), or skipped (the fetch gather of a
 * read-only command): answer the client. */
static void stored(struct gather *g)
{
    struct xrun *x = g->user;
    struct conn *c = g->conn;
    if (!(c->flags & CONN_CLOSING)) obuf_append(&c->out, x->reply.data, x->reply.len);
    gather_free(g);
    xrun_free(x);
    conn_done_busy(c);
}

void xshard_run(struct shard *s, struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a,
                const int *keypos, int nkeys)
{
    struct xrun *x = rk_calloc(1, sizeof(*x));
    x->s = s;
    x->cmd = cmd;
    x->dbid = c->dbid;
    x->key_arg = rk_malloc((size_t)nkeys * sizeof(uint32_t));
    x->key_part = rk_malloc((size_t)nkeys * sizeof(uint32_t));
    x->key_db = rk_malloc((size_t)nkeys * sizeof(int));
    /* Distinct (db, key) pairs, grouped per owner and db: part p fetches
     * group p in order. A key lives in the selected db unless the command
     * names another (COPY ... DB n). */
    struct gather *g = gather_new(c, cmd, (uint32_t)nkeys);
    g->on_done = fetched;
    g->user = x;
    const char **argv = rk_malloc(((size_t)nkeys + 1) * sizeof(char *));
    size_t *lens = rk_malloc(((size_t)nkeys + 1) * sizeof(size_t));
    unsigned *owners = rk_malloc((size_t)nkeys * sizeof(unsigned));
    int *owner_db = rk_malloc((size_t)nkeys * sizeof(int));
    unsigned nowners = 0;
    for (int k = 0; k < nkeys; k++) {
        int db = cmd->key_db ? cmd->key_db(a, keypos[k], c->dbid) : c->dbid;
        if (db < 0 || db >= s->cfg.databases) db = c->dbid; /* the handler will refuse it */
        bool dup = false;
        for (uint32_t j = 0; j < x->nkeys && !dup; j++)
            dup = x->key_db[j] == db && a->len[x->key_arg[j]] == a->len[keypos[k]] &&
                  memcmp(a->argv[x->key_arg[j]], a->argv[keypos[k]], a->len[keypos[k]]) == 0;
        if (dup) continue;
        unsigned sh = shard_of_key(s->srv, a->argv[keypos[k]], a->len[keypos[k]]), p = 0;
        while (p < nowners && (owners[p] != sh || owner_db[p] != db)) p++;
        if (p == nowners) {
            owners[nowners] = sh;
            owner_db[nowners++] = db;
        }
        x->key_arg[x->nkeys] = (uint32_t)keypos[k];
        x->key_db[x->nkeys] = db;
        x->key_part[x->nkeys++] = p;
    }
    /* Keep a copy of the call for step 2 (the fetch gather owns it). */
    gather_copy_args(g, a);
    x->args = g->args;
    for (unsigned p = 0; p < nowners; p++) {
        int n = 0;
        argv[n] = xfetch_cmd.name;
        lens[n++] = strlen(xfetch_cmd.name);
        for (uint32_t k = 0; k < x->nkeys; k++) {
            if (x->key_part[k] != p) continue;
            argv[n] = x->args.argv[x->key_arg[k]];
            lens[n++] = x->args.len[x->key_arg[k]];
        }
        struct cmd_args fa = {n, argv, lens};
        gather_add_part(s, g, owners[p], owner_db[p], &xfetch_cmd, &fa);
    }
    rk_free(owners);
    rk_free(owner_db);
    rk_free(argv);
    rk_free(lens);
    gather_launch(g);
}
