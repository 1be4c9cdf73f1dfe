/* block.c — the shard's wait registry; see block.h. Thread: the shard's own. */
#include "ringkv/core/block.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/txlock.h"
#include "ringkv/data/db.h"
#include "ringkv/data/ready.h"
#include "ringkv/proto/reply.h"

#include <stddef.h>
#include <string.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define TICK_NS (10 * 1000 * 1000LL)

/* The line of waiters for one key. */
struct block_line {
    struct dict_node node;
    uint64_t hash;
    int dbid;
    struct block_link *head, *tail;
    size_t len;
    char key[];
};

struct block_link {
    struct block_link *prev, *next;
    struct block_line *line;
    struct block_wait *w;
};

struct block_registry {
    struct dict lines;
    struct block_wait *all;    /* every waiter, for deadlines and lookups */
    uint64_t count, timed, watchers;
    struct ring_timer timer;
    bool ticking, serving;
    struct shard *s;
    /* keys ready while a transaction held them: served after its release */
    struct obuf held;          /* [i32 db][u32 len][key] each */
    /* clients that left before their command blocked here (its message
     * was still on its way, or waiting for a lock): they never block */
    struct gone { uint64_t client_id; long long at_ms; } *gone;
    uint32_t ngone, capgone;
};

static uint64_t line_hash(const struct dict_node *n) { return ((const struct block_line *)n)->hash; }
/* Lines are found by a key whose first 4 bytes are the database number. */
static bool line_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct block_line *l = (const struct block_line *)n;
    int dbid;
    memcpy(&dbid, key, 4);
    return l->dbid == dbid && l->len == len - 4 && memcmp(l->key, (const char *)key + 4, len - 4) == 0;
}
static const struct dict_type line_type = {line_hash, line_eq};

static uint64_t hash_of(int dbid, const char *key, size_t len) { return db_key_hash(key, len) ^ (uint64_t)dbid; }

static struct block_line *line_find(struct block_registry *reg, int dbid, const char *key, size_t len)
{
    char probe[4 + 64], *buf = len <= 64 ? probe : rk_malloc(4 + len);
    memcpy(buf, &dbid, 4);
    memcpy(buf + 4, key, len);
    struct block_line *l = (struct block_line *)dict_find(&reg->lines, buf, 4 + len, hash_of(dbid, key, len));
    if (buf != probe) rk_free(buf);
    return l;
}

struct block_registry *block_registry_create(void)
{
    struct block_registry *reg = rk_calloc(1, sizeof(*reg));
    dict_init(&reg->lines, &line_type);
    obuf_init(&reg->held);
    return reg;
}

static void free_line(struct dict_node *n, void *arg) { rk_free(n); }

void block_registry_destroy(struct shard *s)
{
    struct block_registry *reg = s->blocked;
    while (reg->all) reg->all->cancel(reg->all, CANCEL_DISCARD); /* each leaves */
    dict_clear(&reg->lines, free_line, NULL);
    obuf_free(&reg->held);
    rk_free(reg->gone);
    rk_free(reg);
}

/* A minute is far longer than any message takes between shards. */
#define GONE_KEEP_MS 60000

void block_client_gone(struct shard *s, uint64_t client_id)
{
    struct block_registry *reg = s->blocked;
    long long now = mstime();
    uint32_t kept = 0;
    for (uint32_t i = 0; i < reg->ngone; i++)
        if (now - reg->gone[i].at_ms < GONE_KEEP_MS) reg->gone[kept++] = reg->gone[i];
    reg->ngone = kept;
    if (reg->ngone == reg->capgone) {
        reg->capgone = reg->capgone ? reg->capgone * 2 : 8;
        reg->gone = rk_realloc(reg->gone, reg->capgone * sizeof(*reg->gone));
    }
    reg->gone[reg->ngone++] = (struct gone){client_id, now};
}

bool block_client_left(const struct shard *s, uint64_t client_id)
{
    const struct block_registry *reg = s->blocked;
    for (uint32_t i = 0; i < reg->ngone; i++)
        if (reg->gone[i].client_id == client_id) return true;
    return false;
}

static void on_tick(struct ring_op *op, int res, uint32_t flags);

static void tick_if_needed(struct block_registry *reg)
{
    if (reg->ticking || reg->timed == 0) return;
    reg->ticking = true;
    reg->timer.op.cb = on_tick;
    ring_timeout(reg->s->ring, &reg->timer, TICK_NS);
}

void block_join(struct shard *s, struct block_wait *w, int dbid, const char *const *keys, const size_t *lens,
                uint32_t nkeys)
{
    struct block_registry *reg = s->blocked;
    reg->s = s;
    w->links = rk_calloc(nkeys + 1, sizeof(*w->links));
    w->nlinks = nkeys;
    for (uint32_t i = 0; i < nkeys; i++) {
        struct block_line *l = line_find(reg, dbid, keys[i], lens[i]);
        if (!l) {
            l = rk_calloc(1, sizeof(*l) + lens[i]);
            l->hash = hash_of(dbid, keys[i], lens[i]);
            l->dbid = dbid;
            l->len = lens[i];
            memcpy(l->key, keys[i], lens[i]);
            dict_insert(&reg->lines, &l->node, l->hash);
        }
        struct block_link *k = &w->links[i];
        *k = (struct block_link){l->tail, NULL, l, w};
        if (l->tail) l->tail->next = k;
        else l->head = k;
        l->tail = k;
        ready_wait(shard_db(s, dbid), keys[i], lens[i]);
    }
    w->prev = NULL;
    w->next = reg->all;
    if (reg->all) reg->all->prev = w;
    reg->all = w;
    reg->count++;
    reg->watchers += w->watcher || w->uncounted; /* not clients blocked here */
    if (w->deadline_ms) reg->timed++;
    tick_if_needed(reg);
}

static void line_drop(struct block_registry *reg, struct block_line *l)
{
    char probe[4 + 64], *buf = l->len <= 64 ? probe : rk_malloc(4 + l->len);
    memcpy(buf, &l->dbid, 4);
    memcpy(buf + 4, l->key, l->len);
    dict_unlink(&reg->lines, buf, 4 + l->len, l->hash);
    if (buf != probe) rk_free(buf);
    rk_free(l);
}

void block_leave(struct shard *s, struct block_wait *w)
{
    struct block_registry *reg = s->blocked;
    for (uint32_t i = 0; i < w->nlinks; i++) {
        struct block_link *k = &w->links[i];
        struct block_line *l = k->line;
        if (k->prev) k->prev->next = k->next;
        else l->head = k->next;
        if (k->next) k->next->prev = k->prev;
        else l->tail = k->prev;
        ready_unwait(shard_db(s, l->dbid), l->key, l->len);
        if (!l->head) line_drop(reg, l);
    }
    rk_free(w->links);
    w->links = NULL;
    w->nlinks = 0;
    if (w->prev) w->prev->next = w->next;
    else reg->all = w->next;
    if (w->next) w->next->prev = w->prev;
    w->prev = w->next = NULL;
    reg->count--;
    reg->watchers -= w->watcher || w->uncounted;
    if (w->deadline_ms) reg->timed--;
}

struct serve_arg {
    struct shard *s;
    int dbid;
};

static void hold(struct block_registry *reg, int dbid, const char *key, size_t len)
{
    int32_t db = dbid;
    uint32_t l = (uint32_t)len;
    obuf_append(&reg->held, &db, 4);
    obuf_append(&reg->held, &l, 4);
    obuf_append(&reg->held, key, len);
}

/* Serves one ready key's line, first come first served, until a waiter
 * finds it empty again. The line is looked up anew each time: serving
 * may empty it (and free it), or add to it. */
static void serve_key(const char *key, size_t len, void *arg)
{
    struct serve_arg *sa = arg;
    struct block_registry *reg = sa->s->blocked;
    uint32_t skipped = 0; /* at the front of the line, waiting for another type */
    for (;;) {
        struct block_line *line = line_find(reg, sa->dbid, key, len);
        struct block_link *at = line ? line->head : NULL;
        for (uint32_t i = 0; at && i < skipped; i++) at = at->next;
        if (!at) return;
        if (lock_table_blocks(sa->s->locks, sa->dbid, key, len, true)) {
            hold(reg, sa->dbid, key, len); /* a transaction holds it: after its release */
            return;
        }
        struct block_wait *w = at->w;
        enum block_served r = w->serve(w, key, len);
        if (r == BLOCK_EMPTY) return;
        if (r == BLOCK_SKIP) {
            skipped++;
            continue;
        }
        if (r == BLOCK_HELD) {
            hold(reg, sa->dbid, key, len);
            return;
        }
    }
}

/* Keys that were ready while a transaction held them, ready again. */
static void requeue_held(struct shard *s)
{
    struct block_registry *reg = s->blocked;
    if (reg->held.len == 0) return; /* serve_key holds again what is still locked */
    struct obuf held = reg->held;
    obuf_init(&reg->held);
    for (size_t at = 0; at < held.len;) {
        int32_t db;
        uint32_t len;
        memcpy(&db, held.data + at, 4);
        memcpy(&len, held.data + at + 4, 4);
        ready_created(shard_db(s, db), held.data + at + 8, len);
        at += 8 + len;
    }
    obuf_free(&held);
}

/* Until no key is ready: serving runs commands, which may create keys. A
 * call from inside serving returns at once (the outer one goes on). */
void block_serve(struct shard *s)
{
    struct block_registry *reg = s->blocked;
    if (reg->count == 0 || reg->serving) return;
    reg->s = s;
    reg->serving = true;
    requeue_held(s);
    for (bool again = true; again;) {
        again = false;
        for (int db = 0; db < s->cfg.databases; db++) {
            struct db *d = shard_db(s, db);
            if (!ready_pending(d)) continue;
            struct serve_arg sa = {s, db};
            ready_take(d, serve_key, &sa);
            again = true;
        }
    }
    reg->serving = false;
}

void block_count_in(struct shard *s, struct block_wait *w)
{
    if (!w->uncounted) return;
    w->uncounted = false;
    s->blocked->watchers--;
}

uint64_t block_count(const struct shard *s) { return s->blocked->count - s->blocked->watchers; }

struct block_wait *block_find(struct shard *s, uint64_t client_id, bool watcher)
{
    for (struct block_wait *w = s->blocked->all; w; w = w->next)
        if (w->client_id == client_id && w->watcher == watcher) return w;
    return NULL;
}

/* Every 10 ms while someone has a deadline: the late ones time out. */
static void on_tick(struct ring_op *op, int res, uint32_t flags)
{
    struct block_registry *reg = container_of(op, struct block_registry, timer.op);
    reg->ticking = false;
    long long now = mstime();
    for (struct block_wait *w = reg->all, *next; w; w = next) {
        next = w->next;
        if (w->deadline_ms && w->deadline_ms <= now) {
            w->expire(w); /* leaves the list: its next may have left too */
            next = reg->all;
        }
    }
    tick_if_needed(reg);
}
