/* tx_move.c — the move plan: a command whose keys live on several shards
 * and whose effect cannot be split per shard (RENAME, COPY, SMOVE, LMOVE,
 * MSETNX, SUNIONSTORE, ZUNIONSTORE, BITOP, SORT ... STORE, LCS, SINTER...)
 * runs whole on the client's shard, with its own handler, on the values it
 * names, inside one transaction:
 *
 *  1. lock: every owner locks its keys, X for a write command, S for a
 *     read-only one, and hands them over: a write command's values are
 *     taken out of the owner's keyspace (moved, not copied: the record
 *     itself travels, and no one can miss it, its key being locked); a
 *     read-only command gets copies and the owners keep theirs.
 *  2. run: the client's shard puts them in a scratch keyspace and runs the
 *     handler there, as if all keys were local.
 *  3. store (write commands): every key the command names goes back to its
 *     owner, changed, unchanged or deleted, and the locks go with it.
 *
 * Keys a command reaches through its values (SORT ... BY weight_*: see
 * cmd_def.value_keys) are only known after step 1; they are copied from
 * their owners between steps 1 and 2 without locks (README, "Limits").
 * Thread: the coordinator's shard; the internal commands run on owners.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txplan.h"
#include "ringkv/data/db.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/watch.h"

#include <stdlib.h>
#include <string.h>

/* A handed-over key: [u8 present][struct kv *][i64 expire ms or -1]. */
#define RECORD_SIZE (1 + sizeof(void *) + sizeof(long long))

static void put_record(struct obuf *out, struct kv *kv, long long when)
{
    char rec[RECORD_SIZE];
    rec[0] = kv != NULL;
    memcpy(rec + 1, &kv, sizeof(kv));
    memcpy(rec + 1 + sizeof(kv), &when, sizeof(when));
    obuf_append(out, rec, sizeof(rec));
}

static void get_record(const char *p, struct kv **kv, long long *when)
{
    memcpy(kv, p + 1, sizeof(*kv));
    memcpy(when, p + 1 + sizeof(*kv), sizeof(*when));
    if (!p[0]) *kv = NULL;
}

/* ---- the owners' side: argv = [name, db, key (, record)] ---- */

static struct db *arg_db(struct cmd_ctx *c, const struct cmd_args *a)
{
    long long db = 0;
    string2ll(a->argv[1], a->len[1], &db);
    return ks_db(c->ks, (int)db);
}

static void take_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct db *db = arg_db(c, a);
    long long when = -1;
    struct kv *kv = db_lookup_write(db, a->argv[2], a->len[2]); /* expired: gone */
    if (kv) kv = db_take(db, a->argv[2], a->len[2], &when);
    put_record(c->r->buf, kv, kv ? when : -1);
}

static void copy_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct db *db = arg_db(c, a);
    struct kv *kv = db_lookup_notouch(db, a->argv[2], a->len[2]);
    put_record(c->r->buf, kv ? kv_dup(kv, a->argv[2], a->len[2]) : NULL, kv ? db_get_expire(db, kv) : -1);
}

/* argv[4] "=": the value comes back as it was taken (watchers see no change). */
static void put_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct db *db = arg_db(c, a);
    struct kv *kv;
    long long when;
    get_record(a->argv[3], &kv, &when);
    bool unchanged = a->len[4] == 1 && a->argv[4][0] == '=';
    if (!kv) {
        /* Gone: it was taken (watchers were not told yet), or never was. */
        if (!db_delete(db, a->argv[2], a->len[2]) && !unchanged) db_touch(db, a->argv[2], a->len[2]);
    } else if (unchanged) {
        db_restore(db, kv, when);
    } else {
        db_set(db, kv, false);
        if (when >= 0) db_set_expire(db, kv, when);
    }
}

static const struct cmd_def take_cmd = {.name = "tx|take", .arity = 3, .fn = take_command};
static const struct cmd_def copy_cmd = {.name = "tx|copy", .arity = 3, .fn = copy_command};
static const struct cmd_def put_cmd = {.name = "tx|put", .arity = 5, .fn = put_command};

/* [name, db, key] and, for a put, [record, "=" unchanged or "~"]. */
static void add_key_command(struct tx_part *p, const struct cmd_def *cmd, int dbid, const char *key, size_t len,
                            const char *record, bool unchanged)
{
    char dbbuf[RK_LONG_STR_SIZE];
    size_t dblen = ll2string(dbbuf, dbid);
    const char *argv[5] = {cmd->name, dbbuf, key, record, unchanged ? "=" : "~"};
    size_t lens[5] = {strlen(cmd->name), dblen, len, RECORD_SIZE, 1};
    struct cmd_args a = {record ? 5 : 3, argv, lens};
    tx_part_add_command(p, 0, cmd, &a); /* the database is an argument */
}

/* ---- the coordinator's side ---- */

struct mkey {                  /* a key the plan hands over */
    int db;
    unsigned owner;
    uint32_t seq;              /* its record's place in the owner's answer */
    size_t off, len;           /* its name in names */
    struct kv *got;            /* the record handed over, and its state then */
    long long when;
    uint64_t fp;
};

struct move_step {
    const struct cmd_def *cmd;
    struct cmd_args args;      /* a copy of the call */
    char *arg_storage;
    int dbid;
    struct obuf names;
    struct mkey *keys;         /* the named keys, then the value keys */
    uint32_t nkeys, nnamed, cap;
    uint32_t seq[MAX_SHARDS];  /* records asked of each shard this round */
    struct keyspace *scratch;
    struct obuf reply;
    enum { MOVE_TAKING, MOVE_VALUES, MOVE_STORING } stage;
};

static const char *key_name(const struct move_step *m, const struct mkey *k) { return m->names.data + k->off; }

static struct mkey *find_key(struct move_step *m, int db, const char *key, size_t len)
{
    for (uint32_t i = 0; i < m->nkeys; i++) {
        struct mkey *k = &m->keys[i];
        if (k->db == db && k->len == len && memcmp(key_name(m, k), key, len) == 0) return k;
    }
    return NULL;
}

/* Adds a key to hand over (once), asking its owner for it: taken out
 * (a write command's named key) or copied (a read, or a value key). */
static void want_key(struct tx *t, struct move_step *m, int db, const char *key, size_t len, bool named, bool lock)
{
    if (find_key(m, db, key, len)) return;
    if (m->nkeys == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->keys = rk_realloc(m->keys, m->cap * sizeof(*m->keys));
    }
    unsigned owner = shard_of_key(t->s->srv, key, len);
    struct mkey *k = &m->keys[m->nkeys++];
    *k = (struct mkey){db, owner, m->seq[owner]++, m->names.len, len, NULL, -1, 0};
    obuf_append(&m->names, key, len);
    struct tx_part *p = tx_part_of(t, owner);
    bool write = cmd_writes_keys(m->cmd);
    if (lock) {
        tx_pack_want(&p->wants, db, key, len, write ? LOCK_X : LOCK_S);
        p->nwants++;
    }
    add_key_command(p, write && named ? &take_cmd : &copy_cmd, db, key, len, NULL, false);
}

void move_step_free(struct move_step *m)
{
    if (!m) return;
    if (m->scratch) ks_destroy(m->scratch);
    obuf_free(&m->names);
    obuf_free(&m->reply);
    rk_free(m->keys);
    rk_free(m->arg_storage);
    rk_free((void *)m->args.argv);
    rk_free(m);
}

const struct obuf *move_step_reply(const struct move_step *m) { return &m->reply; }

/* Puts keys [from, to) into the scratch, from their owners' answers. */
static void load_keys(struct tx *t, struct move_step *m, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        struct mkey *k = &m->keys[i];
        const struct obuf *ans = &tx_part_of(t, k->owner)->reply;
        struct kv *kv;
        long long when;
        get_record(ans->data + (size_t)k->seq * RECORD_SIZE, &kv, &when);
        k->got = kv;
        k->when = when;
        k->fp = watch_fingerprint(kv);
        if (!kv) continue;
        struct db *db = ks_db(m->scratch, k->db);
        db_add(db, kv);
        if (when >= 0) db_set_expire(db, kv, when);
    }
}

struct value_keys {
    struct tx *t;
    struct move_step *m;
};

static void collect_value_key(void *arg, const char *key, size_t len)
{
    struct value_keys *vk = arg;
    want_key(vk->t, vk->m, vk->m->dbid, key, len, false, false);
}

/* Asks the owners for the keys the values name; false if there are none. */
static bool fetch_value_keys(struct tx *t, struct move_step *m)
{
    memset(m->seq, 0, sizeof(m->seq));
    struct obuf discard = {0};
    struct reply r;
    reply_init(&r, &discard, t->cl.resp);
    struct cmd_ctx ctx = shard_cmd_ctx(t->s, m->scratch, m->dbid, &r, NULL, t->cl.client_id);
    struct value_keys vk = {t, m};
    m->cmd->value_keys(&ctx, &m->args, collect_value_key, &vk);
    obuf_free(&discard);
    return m->nkeys > m->nnamed;
}

/* Step 3: every named key back to its owner. big_written: the handler
 * took a large collection for writing and did not fail, so those count
 * as changed whatever their fingerprint (watch.h). */
static void store_back(struct tx *t, struct move_step *m, bool unchanged, bool big_written, bool signaled)
{
    memset(m->seq, 0, sizeof(m->seq));
    for (uint32_t i = 0; i < m->nkeys; i++) {
        struct mkey *k = &m->keys[i];
        long long when = -1;
        struct kv *kv = db_take(ks_db(m->scratch, k->db), key_name(m, k), k->len, &when);
        if (i >= m->nnamed) { /* a value key: read, never written */
            if (kv) kv_free(kv);
            continue;
        }
        bool same = !signaled && (unchanged || (kv == k->got && when == k->when && watch_fingerprint(kv) == k->fp &&
                                                !(big_written && !watch_fingerprint_exact(kv))));
        struct obuf rec = {0};
        put_record(&rec, kv, when);
        add_key_command(tx_part_of(t, k->owner), &put_cmd, k->db, key_name(m, k), k->len, rec.data, same);
        obuf_free(&rec);
    }
}

/* Step 2, once every key the handler reads is in the scratch. Returns
 * true when the step is over (a read-only command). */
static bool run_handler(struct tx *t, struct move_step *m)
{
    struct reply r;
    reply_init(&r, &m->reply, t->cl.resp);
    reply_counted(&r, t->s->cmdstats); /* the client's reply, counted here */
    struct cmd_ctx ctx = shard_cmd_ctx(t->s, m->scratch, m->dbid, &r, NULL, t->cl.client_id);
    ctx.serving = t->cl.serving;
    ctx.keys_moved = true;
    ctx.script_may_retry = t->cl.script_may_retry;
    uint64_t big = m->scratch->stats.big_write_lookups, signals = m->scratch->stats.signals;
    uint32_t errors = r.errors;
    shard_exec_ctx(t->s, m->cmd, &m->args, &ctx);
    if (!(cmd_writes_keys(m->cmd))) return true;
    /* A key the command signalled modified (as Redis does for some that
     * change nothing) is stored back as changed: its owner's watchers
     * hear of it. */
    store_back(t, m, ctx.unchanged,
               r.errors == errors && !ctx.unchanged && !ctx.quiet && m->scratch->stats.big_write_lookups != big,
               m->scratch->stats.signals != signals);
    m->stage = MOVE_STORING;
    return false;
}

bool move_step_advance(struct tx *t, struct move_step *m)
{
    switch (m->stage) {
    case MOVE_TAKING:
        m->scratch = ks_create(t->s->cfg.databases, 1);
        load_keys(t, m, 0, m->nkeys);
        if (m->cmd->value_keys && fetch_value_keys(t, m)) {
            m->stage = MOVE_VALUES;
            return false;
        }
        return run_handler(t, m);
    case MOVE_VALUES:
        load_keys(t, m, m->nnamed, m->nkeys);
        return run_handler(t, m);
    case MOVE_STORING:
        break;
    }
    return true;
}

bool move_step_storing(const struct move_step *m) { return m->stage == MOVE_STORING; }

static void copy_call(struct move_step *m, const struct cmd_args *a)
{
    size_t total = 0;
    for (int i = 0; i < a->argc; i++) total += a->len[i];
    m->arg_storage = rk_malloc(total + 1);
    const char **argv = rk_malloc((size_t)a->argc * (sizeof(char *) + sizeof(size_t)));
    size_t *lens = (size_t *)(argv + a->argc);
    char *p = m->arg_storage;
    for (int i = 0; i < a->argc; i++) {
        memcpy(p, a->argv[i], a->len[i]);
        argv[i] = p;
        lens[i] = a->len[i];
        p += a->len[i];
    }
    m->args = (struct cmd_args){a->argc, argv, lens};
}

struct move_step *move_step_new(struct tx *t, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                                bool lock)
{
    struct move_step *m = rk_calloc(1, sizeof(*m));
    m->cmd = cmd;
    m->dbid = dbid;
    copy_call(m, a);
    struct shard *s = t->s;
    int *keypos = rk_malloc(((size_t)a->argc + 1) * sizeof(int));
    int nkeys = cmd_key_positions(cmd, a, keypos, a->argc);
    for (int i = 0; i < nkeys; i++) {
        int db = cmd->key_db ? cmd->key_db(a, keypos[i], dbid) : dbid;
        if (db < 0 || db >= s->cfg.databases) db = dbid; /* the handler will refuse it */
        want_key(t, m, db, a->argv[keypos[i]], a->len[keypos[i]], true, lock);
    }
    rk_free(keypos);
    m->nnamed = m->nkeys;
    return m;
}

/* ---- the plan for one command ---- */

static void move_locked(struct tx *t)
{
    struct move_step *m = t->state;
    if (move_step_advance(t, m)) tx_finish(t, m->reply.data, m->reply.len);
    else tx_round(t, move_step_storing(m)); /* the locks go back with the values */
}

static void move_free(void *state) { move_step_free(state); }

static const struct tx_plan_ops move_ops = {move_locked, move_locked, move_free};

bool tx_move_is_copy(const struct cmd_def *cmd) { return cmd == &copy_cmd; }

void tx_move_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a)
{
    /* Only a read registers the keys it copies (client-side caching): a
     * write's copies of its sources do not, as in Redis. */
    struct tx_client reader = *cl;
    if (!(cmd->flags & CMD_READONLY)) reader.resp &= REPLY_RESP_MASK;
    cl = &reader;
    struct tx *t = tx_new(s, cl, &move_ops, NULL);
    /* A read-only command's copies are all it needs: its owners let go as
     * soon as everything is locked. */
    t->one_shot = !(cmd_writes_keys(cmd));
    t->state = move_step_new(t, cmd, a, cl->dbid, true);
    tx_start(t);
}
