/* tracking.c — client-side caching, key side; see tracking.h.
 * Thread: the shard's own. */
#include "ringkv/core/tracking.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txplan.h"
#include "ringkv/data/trk_table.h"
#include "ringkv/data/watch.h"
#include "ringkv/net/tracking.h"

#include <string.h>

#define ITEM_NULL 0x80 /* with TRK_ITEM_KEY: a null invalidation (no key) */

static void key_changed(struct db_change_hook *h, const char *key, size_t len, bool expired);

void tracking_setup(struct shard *s)
{
    struct shard_tracking *t = rk_calloc(1, sizeof(*t));
    t->s = s;
    t->table = trk_table_create();
    t->hook = (struct db_change_hook){&t->keys, &s->srv->trk_bcast_total, key_changed};
    s->trk = t;
    tracking_conns_setup(s);
    for (int i = 0; i < s->ks->ndbs; i++) ks_db(s->ks, i)->changes = &t->hook;
}

void tracking_teardown(struct shard *s)
{
    struct shard_tracking *t = s->trk;
    if (!t) return;
    for (int i = 0; i < s->ks->ndbs; i++) ks_db(s->ks, i)->changes = NULL;
    __atomic_sub_fetch(&s->srv->trk_keys_total, (long)t->keys, __ATOMIC_RELAXED);
    tracking_prefixes_free(s);
    dict_clear(&t->clients, NULL, NULL); /* the connections own their state */
    trk_table_destroy(t->table);
    rk_free(t);
    s->trk = NULL;
}

/* The table's key count changed: the inline test and the server's total
 * (tracking-table-max-keys, INFO) follow. */
static void count_keys(struct shard_tracking *t)
{
    uint64_t now = trk_table_keys(t->table);
    __atomic_add_fetch(&t->s->srv->trk_keys_total, (long)now - (long)t->keys, __ATOMIC_RELAXED);
    t->keys = now;
}

void tracking_send_item(struct shard *s, unsigned to, enum trk_item kind, uint64_t target, uint64_t writer,
                        const char *data, size_t len)
{
    unsigned char head[1 + 2 * sizeof(uint64_t)];
    head[0] = (unsigned char)kind | (data ? 0 : ITEM_NULL);
    memcpy(head + 1, &target, sizeof target);
    memcpy(head + 1 + sizeof target, &writer, sizeof writer);
    msg_add_tracking(s, to, head, sizeof head, data ? data : "", data ? len : 0);
}

void tracking_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const char *p = b->args.data + seg->args_off;
    for (uint32_t i = 0; i < seg->ncmds; i++) {
        const char *part[2];
        size_t len[2];
        p = msg_unpack_args(p, 2, part, len);
        unsigned char kind = (unsigned char)part[0][0];
        uint64_t target, writer;
        memcpy(&target, part[0] + 1, sizeof target);
        memcpy(&writer, part[0] + 1 + sizeof target, sizeof writer);
        const char *data = kind & ITEM_NULL ? NULL : part[1];
        switch ((enum trk_item)(kind & ~ITEM_NULL)) {
        case TRK_ITEM_KEY: tracking_deliver(s, target, writer, data, len[1]); break;
        case TRK_ITEM_BCAST: tracking_bcast_note(s, part[1], len[1], writer); break;
        case TRK_ITEM_PUSH: tracking_push_redirected(s, target, part[1], len[1]); break;
        }
    }
    /* The changes came before the writer's reply: so must the BCAST
     * messages, before this turn runs anything its clients send next. */
    tracking_before_sleep(s);
}

/* ---- invalidation ---- */

static void send_invalidation(const struct trk_reader *r, const char *key, size_t len, void *arg)
{
    struct shard_tracking *t = arg;
    if (r->shard == t->s->id) tracking_deliver(t->s, r->id, t->writer, key, len);
    else tracking_send_item(t->s, r->shard, TRK_ITEM_KEY, r->id, t->writer, key, len);
}

/* A changed key for the BCAST clients of every shard that has some. */
static void spread_to_bcast(struct shard *s, const char *key, size_t len, uint64_t writer)
{
    const struct server *srv = s->srv;
    for (unsigned i = 0; i < srv->nshards; i++) {
        if (!__atomic_load_n(&srv->trk_bcast[i], __ATOMIC_RELAXED)) continue;
        if (i == s->id) tracking_bcast_note(s, key, len, writer);
        else tracking_send_item(s, i, TRK_ITEM_BCAST, 0, writer, key, len);
    }
}

enum bcast_as { BCAST_NONE, BCAST_BY_WRITER, BCAST_BY_NOBODY };

/* Redis's trackingInvalidateKey: BCAST_NONE when the table itself evicts
 * the key (only its readers hear of it). An expiry is nobody's write to
 * BCAST clients (NOLOOP does not hide it, Redis's signalModifiedKey(NULL))
 * while a reader in NOLOOP mode does not hear of a key expiring in its own
 * command (Redis compares with server.current_client there). */
static void invalidate(struct shard_tracking *t, const char *key, size_t len, enum bcast_as bcast)
{
    if (bcast != BCAST_NONE && __atomic_load_n(&t->s->srv->trk_bcast_total, __ATOMIC_RELAXED))
        spread_to_bcast(t->s, key, len, bcast == BCAST_BY_WRITER ? t->writer : 0);
    if (t->keys && trk_table_take(t->table, key, len, send_invalidation, t)) count_keys(t);
}

static void key_changed(struct db_change_hook *h, const char *key, size_t len, bool expired)
{
    invalidate((struct shard_tracking *)h, key, len, expired ? BCAST_BY_NOBODY : BCAST_BY_WRITER);
}

void tracking_flushed(struct shard *s)
{
    struct shard_tracking *t = s->trk;
    if (!t) return;
    trk_table_clear(t->table);
    count_keys(t);
    tracking_conns_flushed(s, t->writer);
}

/* ---- commands ---- */

#define KEYS_ON_STACK 64

/* The key positions of a call whose specs have any of the flags. */
static int keys_with(const struct cmd_def *cmd, const struct cmd_args *a, uint32_t flags, int *pos, int max)
{
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int nspecs = cmd_key_specs(cmd, specs), n = 0;
    for (int i = 0; i < nspecs && n < max; i++) {
        if (!(specs[i].flags & flags)) continue;
        int got = cmd_key_spec_find(&specs[i], a, pos + n, max - n);
        if (got > 0) n += got;
    }
    return n;
}

#define WRITTEN (KS_RW | KS_OW | KS_RM)

/* Values moved here from their owners (tx_move.c) are neither this
 * shard's to register nor to invalidate: their owners hear of them when
 * they are stored back. */
static bool runs_on_own_keys(const struct shard *s, const struct cmd_ctx *ctx)
{
    return ctx->ks == s->ks && !ctx->keys_moved;
}

void tracking_command_begin(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                            const struct cmd_ctx *ctx, struct trk_frame *f)
{
    struct shard_tracking *t = s->trk;
    f->saved_writer = t->writer;
    f->big_write_lookups = ctx->ks->stats.big_write_lookups;
    f->n = 0;
    t->writer = ctx->client_id;
    if (!(cmd->flags & CMD_WRITE) || !t->keys || !runs_on_own_keys(s, ctx)) return;
    int stack[KEYS_ON_STACK];
    int *pos = a->argc <= KEYS_ON_STACK ? stack : rk_malloc((size_t)a->argc * sizeof(int));
    int n = keys_with(cmd, a, WRITTEN, pos, a->argc);
    for (int i = 0; i < n && f->n >= 0; i++) {
        const char *key = a->argv[pos[i]];
        size_t len = a->len[pos[i]];
        if (!trk_table_has(t->table, key, len)) continue;
        if (f->n == TRK_FRAME_KEYS) {
            f->n = -1;
            break;
        }
        f->pos[f->n] = pos[i];
        f->fp[f->n++] = watch_fingerprint(db_peek(ctx->db, key, len));
    }
    if (pos != stack) rk_free(pos);
}

/* The command's client, as its protocol word names it (reader != 0). */
static struct trk_reader reader_of(const struct cmd_ctx *ctx)
{
    return (struct trk_reader){ctx->client_id, (uint32_t)(ctx->r->reader - 1)};
}

static void remember_key(struct shard_tracking *t, const char *key, size_t len, const struct cmd_ctx *ctx)
{
    trk_table_add(t->table, key, len, reader_of(ctx));
    count_keys(t);
    tracking_limit(t->s);
}

/* Redis's trackingRememberKeys: the read's keys, for its client. */
static void remember(struct shard_tracking *t, const struct cmd_def *cmd, const struct cmd_args *a,
                     const struct cmd_ctx *ctx)
{
    if (cmd->flags & CMD_PUBSUB) return;
    int stack[KEYS_ON_STACK];
    int *pos = a->argc <= KEYS_ON_STACK ? stack : rk_malloc((size_t)a->argc * sizeof(int));
    int n = cmd_key_positions(cmd, a, pos, a->argc);
    for (int i = 0; i < n; i++) trk_table_add(t->table, a->argv[pos[i]], a->len[pos[i]], reader_of(ctx));
    if (pos != stack) rk_free(pos);
    count_keys(t);
    tracking_limit(t->s);
}

/* A write that changes a value in place stores nothing, so the database
 * does not report it: the tracked keys it writes are invalidated when
 * their fingerprints moved, as WATCH judges (a large collection the
 * command took for writing counts as changed). Past TRK_FRAME_KEYS
 * tracked keys, every written key is. */
static void invalidate_changed(struct shard_tracking *t, const struct cmd_def *cmd, const struct cmd_args *a,
                               const struct cmd_ctx *ctx, const struct trk_frame *f)
{
    bool big_written = ctx->ks->stats.big_write_lookups != f->big_write_lookups;
    if (f->n < 0) {
        int stack[KEYS_ON_STACK];
        int *pos = a->argc <= KEYS_ON_STACK ? stack : rk_malloc((size_t)a->argc * sizeof(int));
        int n = keys_with(cmd, a, WRITTEN, pos, a->argc);
        for (int i = 0; i < n; i++) invalidate(t, a->argv[pos[i]], a->len[pos[i]], BCAST_BY_WRITER);
        if (pos != stack) rk_free(pos);
        return;
    }
    for (int i = 0; i < f->n; i++) {
        const char *key = a->argv[f->pos[i]];
        size_t len = a->len[f->pos[i]];
        const struct kv *kv = db_peek(ctx->db, key, len);
        if (watch_fingerprint(kv) != f->fp[i] || (big_written && !watch_fingerprint_exact(kv)))
            invalidate(t, key, len, BCAST_BY_WRITER);
    }
}

void tracking_command_end(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a,
                          const struct cmd_ctx *ctx, bool ok, const struct trk_frame *f)
{
    struct shard_tracking *t = s->trk;
    bool own = runs_on_own_keys(s, ctx);
    if (own && ok && f->n) invalidate_changed(t, cmd, a, ctx, f);
    /* As Redis 7.0, a script that ran a read registers its declared keys
     * (what its inner reads touch may be computed, its keys are named). */
    if (cmd_is_script_run(cmd)) {
        if (own && t->script_read && ctx->r->reader) remember(t, cmd, a, ctx);
        t->script_read = false;
    } else if (own && ctx->r->reader && (cmd->flags & CMD_READONLY)) {
        if (ctx->from_script) t->script_read = true;
        else remember(t, cmd, a, ctx);
    } else if (own && ctx->r->reader && tx_move_is_copy(cmd)) {
        remember_key(t, a->argv[2], a->len[2], ctx); /* tx|copy db key */
    }
    t->writer = f->saved_writer;
}

/* Claims one key's eviction while the server's tables are over max: the
 * total drops at once, so shards evicting at the same time never go
 * below the limit together. */
static bool claim_eviction(long *total, long max)
{
    long cur = __atomic_load_n(total, __ATOMIC_RELAXED);
    while (cur > max)
        if (__atomic_compare_exchange_n(total, &cur, cur - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return true;
    return false;
}

/* Evicts one random key of this shard's table, invalidating it; its
 * removal was counted by the claim. */
static void evict_one(struct shard_tracking *t)
{
    long *total = &t->s->srv->trk_keys_total;
    const char *key;
    size_t len;
    if (!trk_table_random_key(t->table, &key, &len)) {
        __atomic_add_fetch(total, 1, __ATOMIC_RELAXED); /* nothing here: the claim goes back */
        return;
    }
    char *copy = rk_malloc(len + 1);
    memcpy(copy, key, len);
    invalidate(t, copy, len, BCAST_NONE); /* counts the removal again */
    __atomic_add_fetch(total, 1, __ATOMIC_RELAXED);
    rk_free(copy);
}

/* Redis's trackingLimitUsedSlots: a few random keys per call, more each
 * call the table stays over the limit. The limit is the server's (the
 * sum of the shards' tables); each shard evicts from its own. */
void tracking_limit(struct shard *s)
{
    struct shard_tracking *t = s->trk;
    long max = (long)s->cfg.tracking_table_max_keys;
    if (!t || max == 0 || !t->keys) return;
    long *total = &s->srv->trk_keys_total;
    uint64_t saved = t->writer;
    t->writer = 0; /* the table's eviction, nobody's write */
    unsigned effort = 100 * (t->evict_rounds + 1);
    while (effort > 0 && t->keys && claim_eviction(total, max)) {
        evict_one(t);
        effort--;
    }
    t->writer = saved;
    if (__atomic_load_n(total, __ATOMIC_RELAXED) <= max) t->evict_rounds = 0;
    else if (effort == 0) t->evict_rounds++;
}

void tracking_before_sleep(struct shard *s)
{
    if (s->trk && s->trk->bcast_pending) tracking_bcast_send(s);
}
