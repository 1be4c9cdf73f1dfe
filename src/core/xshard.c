/* xshard.c — running a command whose keys live on several shards and
 * whose effect cannot be split per shard (RENAME, SMOVE, SUNIONSTORE,
 * BITOP, LCS, ...), with the command's own handler, unchanged.
 *
 * Three steps, each a fan-out over the shards owning the keys:
 *  1. fetch: every owner sends back a deep copy of each key it holds (with
 *     its TTL). The copy is made by the owner, on its thread; the message
 *     carries the copy's ownership, never a pointer into a keyspace.
 *     A command whose values name more keys (SORT ... BY weight_*: see
 *     cmd_def.value_keys) asks for them once the copies are in, and they
 *     are fetched the same way, in a second round, to be read only.
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
#include "ringkv/base/alloc.h"
#include "ringkv/net/conn.h"
#include "ringkv/data/db.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/shard.h"
#include "ringkv/base/util.h"

#include <stdlib.h>
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
    /* Keys named by the fetched values (cmd_def.value_keys), fetched in a
     * second round, read-only: dropped from the scratch before storing. */
    struct keyspace *scratch;  /* kept between the two rounds */
    struct gather *first;      /* the first round, owner of args */
    struct obuf extra_names;   /* the extra keys' bytes */
    size_t *extra_off, *extra_len;
    uint32_t *extra_part, nextra;
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
    obuf_free(&x->extra_names);
    rk_free(x->extra_off);
    rk_free(x->extra_len);
    rk_free(x->extra_part);
    rk_free(x->key_arg);
    rk_free(x->key_part);
    rk_free(x->key_db);
    obuf_free(&x->reply);
    rk_free(x);
}

/* The keyspace the handler runs in: as many databases as this shard's,
 * empty. The handler still runs as this shard's (its settings, and its
 * time and call counted here: run_on_scratch). */
static struct keyspace *scratch_create(struct shard *s) { return ks_create(s->cfg.databases, 1); }

static void stored(struct gather *g);
static void store_back(struct xrun *x, struct keyspace *sc, struct conn *c);

static bool fetch_value_keys(struct xrun *x, struct gather *g);
static void drop_value_keys(struct xrun *x, struct keyspace *sc);

/* Puts the records the parts sent back in the scratch: key k's record is
 * the next one of part key_part[k], to go in database key_db[k]. */
static void load_records(struct gather *g, struct keyspace *sc, uint32_t nkeys, const uint32_t *key_part,
                         const int *key_db, int dbid)
{
    size_t *cursor = rk_calloc(g->nparts, sizeof(size_t));
    for (uint32_t k = 0; k < nkeys; k++) {
        uint32_t p = key_part[k];
        struct kv *kv;
        long long when;
        get_record(g->part_reply[p].data + cursor[p], &kv, &when);
        cursor[p] += RECORD_SIZE;
        if (!kv) continue;
        struct db *db = ks_db(sc, key_db ? key_db[k] : dbid);
        db_add(db, kv);
        if (when >= 0) db_set_expire(db, kv, when);
    }
    rk_free(cursor);
}

/* Step 2: the handler runs on the scratch keyspace; g is the first
 * round's gather (it owns x->args). */
static void run_on_scratch(struct xrun *x, struct gather *g, struct keyspace *sc)
{
    struct shard *s = x->s;
    struct conn *c = g->conn;
    struct reply r;
    reply_init(&r, &x->reply, g->resp);
    reply_counted(&r, s->cmdstats); /* the client's reply, counted here */
    struct cmd_ctx ctx = shard_cmd_ctx(s, sc, x->dbid, &r, NULL, c->id);
    shard_exec_ctx(s, x->cmd, &x->args, &ctx);
    if (x->cmd->flags & CMD_WRITE) {
        drop_value_keys(x, sc);
        store_back(x, sc, c); /* may finish x at once */
        gather_free(g);
    } else {
        ks_destroy(sc);
        stored(g);
    }
}

/* When every fetch of the first round has answered. */
static void fetched(struct gather *g)
{
    struct xrun *x = g->user;
    struct keyspace *sc = scratch_create(x->s);
    load_records(g, sc, x->nkeys, x->key_part, x->key_db, x->dbid);
    x->scratch = sc;
    x->first = g;
    if (x->cmd->value_keys && fetch_value_keys(x, g)) return;
    run_on_scratch(x, g, sc);
}

/* When the second round (the keys the values name) has answered. */
static void value_keys_fetched(struct gather *g2)
{
    struct xrun *x = g2->user;
    load_records(g2, x->scratch, x->nextra, x->extra_part, NULL, x->dbid);
    gather_free(g2);
    run_on_scratch(x, x->first, x->scratch);
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
static void store_back(struct xrun *x, struct keyspace *sc, struct conn *c)
{
    unsigned nshards = x->s->srv->nshards;
    struct gather *g2 = gather_new(c, x->cmd, nshards * (unsigned)sc->ndbs);
    g2->on_done = stored;
    g2->user = x;
    for (int dbid = 0; dbid < sc->ndbs; dbid++) {
        struct db *db = ks_db(sc, dbid);
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
    ks_destroy(sc);
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

/* ---- fetch parts, shared by both rounds ---- */

/* The part that fetches from (shard, db), added to the list if new. */
static uint32_t part_for(unsigned shard, int db, unsigned *part_shard, int *part_db, uint32_t *nparts)
{
    uint32_t p = 0;
    while (p < *nparts && (part_shard[p] != shard || part_db[p] != db)) p++;
    if (p == *nparts) {
        part_shard[p] = shard;
        part_db[(*nparts)++] = db;
    }
    return p;
}

/* One xfetch per part: part p asks its shard for the keys k with
 * key_part[k] == p, in order, which is the order load_records reads the
 * records back in. */
static void add_fetch_parts(struct shard *s, struct gather *g, uint32_t nkeys, const char *const *key,
                            const size_t *klen, const uint32_t *key_part, uint32_t nparts,
                            const unsigned *part_shard, const int *part_db)
{
    const char **argv = rk_malloc(((size_t)nkeys + 1) * sizeof(char *));
    size_t *lens = rk_malloc(((size_t)nkeys + 1) * sizeof(size_t));
    for (uint32_t p = 0; p < nparts; p++) {
        int n = 0;
        argv[n] = xfetch_cmd.name;
        lens[n++] = strlen(xfetch_cmd.name);
        for (uint32_t k = 0; k < nkeys; k++) {
            if (key_part[k] != p) continue;
            argv[n] = key[k];
            lens[n++] = klen[k];
        }
        struct cmd_args fa = {n, argv, lens};
        gather_add_part(s, g, part_shard[p], part_db[p], &xfetch_cmd, &fa);
    }
    rk_free(argv);
    rk_free(lens);
}

/* ---- the second round: keys named by values (SORT BY/GET) ---- */

static void collect_value_key(void *arg, const char *key, size_t len)
{
    struct xrun *x = arg;
    if (x->nextra % 64 == 0) {
        x->extra_off = rk_realloc(x->extra_off, (x->nextra + 64) * sizeof(size_t));
        x->extra_len = rk_realloc(x->extra_len, (x->nextra + 64) * sizeof(size_t));
    }
    x->extra_off[x->nextra] = x->extra_names.len;
    x->extra_len[x->nextra++] = len;
    obuf_append(&x->extra_names, key, len);
}

static int cmp_extra(const void *pa, const void *pb, void *arg)
{
    const struct xrun *x = arg;
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    size_t la = x->extra_len[a], lb = x->extra_len[b];
    int r = memcmp(x->extra_names.data + x->extra_off[a], x->extra_names.data + x->extra_off[b], la < lb ? la : lb);
    return r ? r : (la > lb) - (la < lb);
}

static bool is_named_key(const struct xrun *x, const char *key, size_t len)
{
    for (uint32_t k = 0; k < x->nkeys; k++) {
        uint32_t i = x->key_arg[k];
        if (x->key_db[k] == x->dbid && x->args.len[i] == len && memcmp(x->args.argv[i], key, len) == 0) return true;
    }
    return false;
}

/* Distinct extra keys, not among the named ones (the first round has
 * them), in a stable order; returns how many are left. */
static uint32_t unique_value_keys(struct xrun *x)
{
    uint32_t *order = rk_malloc((size_t)x->nextra * sizeof(uint32_t) + 1);
    for (uint32_t i = 0; i < x->nextra; i++) order[i] = i;
    qsort_r(order, x->nextra, sizeof(uint32_t), cmp_extra, x);
    uint32_t n = 0;
    for (uint32_t i = 0; i < x->nextra; i++) {
        if (n && cmp_extra(&order[n - 1], &order[i], x) == 0) continue;
        if (is_named_key(x, x->extra_names.data + x->extra_off[order[i]], x->extra_len[order[i]])) continue;
        order[n++] = order[i];
    }
    size_t *off = rk_malloc((size_t)n * sizeof(size_t) + 1), *len = rk_malloc((size_t)n * sizeof(size_t) + 1);
    for (uint32_t i = 0; i < n; i++) {
        off[i] = x->extra_off[order[i]];
        len[i] = x->extra_len[order[i]];
    }
    rk_free(order);
    rk_free(x->extra_off);
    rk_free(x->extra_len);
    x->extra_off = off;
    x->extra_len = len;
    x->nextra = n;
    return n;
}

/* Asks the command which keys its fetched values name and fetches them
 * from their owners; false when there are none (run at once). */
static bool fetch_value_keys(struct xrun *x, struct gather *g)
{
    struct obuf discard = {0};
    struct reply r;
    reply_init(&r, &discard, g->resp);
    struct cmd_ctx ctx = shard_cmd_ctx(x->s, x->scratch, x->dbid, &r, NULL, g->conn->id);
    x->cmd->value_keys(&ctx, &x->args, collect_value_key, x);
    obuf_free(&discard);
    if (unique_value_keys(x) == 0) return false;
    unsigned nshards = x->s->srv->nshards;
    unsigned *part_shard = rk_malloc(nshards * sizeof(unsigned));
    int *part_db = rk_malloc(nshards * sizeof(int));
    const char **key = rk_malloc((size_t)x->nextra * sizeof(char *));
    uint32_t nparts = 0;
    x->extra_part = rk_malloc((size_t)x->nextra * sizeof(uint32_t));
    for (uint32_t k = 0; k < x->nextra; k++) {
        key[k] = x->extra_names.data + x->extra_off[k];
        unsigned owner = shard_of_key(x->s->srv, key[k], x->extra_len[k]);
        x->extra_part[k] = part_for(owner, x->dbid, part_shard, part_db, &nparts);
    }
    struct gather *g2 = gather_new(g->conn, x->cmd, nparts);
    g2->on_done = value_keys_fetched;
    g2->user = x;
    add_fetch_parts(x->s, g2, x->nextra, key, x->extra_len, x->extra_part, nparts, part_shard, part_db);
    rk_free(key);
    rk_free(part_shard);
    rk_free(part_db);
    gather_launch(g2);
    return true;
}

/* The extra keys were read, never written: they must not go back. */
static void drop_value_keys(struct xrun *x, struct keyspace *sc)
{
    struct db *db = ks_db(sc, x->dbid);
    for (uint32_t k = 0; k < x->nextra; k++) {
        const char *key = x->extra_names.data + x->extra_off[k];
        db_delete(db, key, x->extra_len[k]);
    }
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
    unsigned *part_shard = rk_malloc((size_t)nkeys * sizeof(unsigned));
    int *part_db = rk_malloc((size_t)nkeys * sizeof(int));
    uint32_t nparts = 0;
    for (int k = 0; k < nkeys; k++) {
        int db = cmd->key_db ? cmd->key_db(a, keypos[k], c->dbid) : c->dbid;
        if (db < 0 || db >= s->cfg.databases) db = c->dbid; /* the handler will refuse it */
        bool dup = false;
        for (uint32_t j = 0; j < x->nkeys && !dup; j++)
            dup = x->key_db[j] == db && a->len[x->key_arg[j]] == a->len[keypos[k]] &&
                  memcmp(a->argv[x->key_arg[j]], a->argv[keypos[k]], a->len[keypos[k]]) == 0;
        if (dup) continue;
        unsigned owner = shard_of_key(s->srv, a->argv[keypos[k]], a->len[keypos[k]]);
        x->key_arg[x->nkeys] = (uint32_t)keypos[k];
        x->key_db[x->nkeys] = db;
        x->key_part[x->nkeys++] = part_for(owner, db, part_shard, part_db, &nparts);
    }
    /* Keep a copy of the call for step 2 (the fetch gather owns it). */
    gather_copy_args(g, a);
    x->args = g->args;
    const char **key = rk_malloc((size_t)x->nkeys * sizeof(char *));
    size_t *klen = rk_malloc((size_t)x->nkeys * sizeof(size_t));
    for (uint32_t k = 0; k < x->nkeys; k++) {
        key[k] = x->args.argv[x->key_arg[k]];
        klen[k] = x->args.len[x->key_arg[k]];
    }
    add_fetch_parts(s, g, x->nkeys, key, klen, x->key_part, nparts, part_shard, part_db);
    rk_free(key);
    rk_free(klen);
    rk_free(part_shard);
    rk_free(part_db);
    gather_launch(g);
}
