/* txlock.c — one shard's lock table; see txlock.h. Thread: its shard. */
#include "ringkv/core/txlock.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/db.h"

#include <string.h>

/* A lock: a key of a database, or the database itself (keylen -1). */
struct lock_entry {
    struct lock_entry *next_in_bucket;
    uint64_t hash;
    int dbid;
    long keylen;
    struct lock_item *head, *tail;   /* the queue, oldest first */
    uint32_t granted[LOCK_MODES];    /* granted items per mode */
    uint32_t waiting;                /* items not grantable yet */
    char key[];
};

static const bool compatible[LOCK_MODES][LOCK_MODES] = {
    /*           IS     IX     S      X */
    /* IS */ {true, true, true, false},
    /* IX */ {true, true, false, false},
    /* S  */ {true, false, true, false},
    /* X  */ {false, false, false, false},
};

struct lock_table *lock_table_create(int ndbs)
{
    struct lock_table *t = rk_calloc(1, sizeof(*t));
    t->ndbs = ndbs;
    t->db_entries = rk_calloc((size_t)ndbs, sizeof(*t->db_entries));
    t->nbuckets = 64;
    t->buckets = rk_calloc(t->nbuckets, sizeof(*t->buckets));
    return t;
}

static uint64_t entry_hash(int dbid, const char *key, size_t len)
{
    return db_key_hash(key, len) ^ ((uint64_t)dbid * 0x9e3779b97f4a7c15ULL);
}

static struct lock_entry **bucket_of(const struct lock_table *t, uint64_t hash)
{
    return &t->buckets[hash & (t->nbuckets - 1)];
}

static struct lock_entry *find_key(const struct lock_table *t, int dbid, const char *key, size_t len, uint64_t hash)
{
    for (struct lock_entry *e = *bucket_of(t, hash); e; e = e->next_in_bucket)
        if (e->hash == hash && e->dbid == dbid && e->keylen == (long)len && memcmp(e->key, key, len) == 0) return e;
    return NULL;
}

/* Doubles the buckets when the table is full: a transaction's keys are a
 * few, but a MULTI may name thousands. */
static void grow(struct lock_table *t)
{
    uint64_t n = t->nbuckets * 2;
    struct lock_entry **b = rk_calloc(n, sizeof(*b));
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        for (struct lock_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next_in_bucket;
            e->next_in_bucket = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    rk_free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static struct lock_entry *entry_get(struct lock_table *t, int dbid, const char *key, size_t len)
{
    if (!key) {
        if (!t->db_entries[dbid]) {
            struct lock_entry *e = rk_calloc(1, sizeof(*e));
            e->dbid = dbid;
            e->keylen = -1;
            t->db_entries[dbid] = e;
        }
        return t->db_entries[dbid];
    }
    uint64_t hash = entry_hash(dbid, key, len);
    struct lock_entry *e = find_key(t, dbid, key, len, hash);
    if (e) return e;
    if (t->nentries >= t->nbuckets) grow(t);
    e = rk_calloc(1, sizeof(*e) + len);
    e->hash = hash;
    e->dbid = dbid;
    e->keylen = (long)len;
    memcpy(e->key, key, len);
    e->next_in_bucket = *bucket_of(t, hash);
    *bucket_of(t, hash) = e;
    t->nentries++;
    return e;
}

static void entry_drop_if_unused(struct lock_table *t, struct lock_entry *e)
{
    if (e->head || e->keylen < 0) return; /* database entries stay */
    struct lock_entry **p = bucket_of(t, e->hash);
    while (*p != e) p = &(*p)->next_in_bucket;
    *p = e->next_in_bucket;
    t->nentries--;
    rk_free(e);
}

/* An item is grantable when compatible with every item queued before it. */
static bool grantable_behind(const struct lock_item *it)
{
    for (const struct lock_item *p = it->prev; p; p = p->prev)
        if (!compatible[p->mode][it->mode]) return false;
    return true;
}

static void mark_grantable(struct lock_table *t, struct lock_item *it)
{
    it->grantable = true;
    it->entry->granted[it->mode]++;
    it->entry->waiting--;
    struct lock_req *r = it->req;
    if (--r->waiting == 0) {
        r->granted = true;
        r->next_granted = t->announce;
        t->announce = r;
    }
}

/* Re-examines a queue after an item left it. Every item's verdict depends
 * only on the items before it, so one pass front to back, carrying the
 * modes seen so far, settles them all. */
static void reevaluate(struct lock_table *t, struct lock_entry *e)
{
    if (e->waiting == 0) return;
    bool seen[LOCK_MODES] = {false};
    for (struct lock_item *it = e->head; it; it = it->next) {
        if (!it->grantable) {
            bool ok = true;
            for (int m = 0; m < LOCK_MODES && ok; m++)
                if (seen[m] && !compatible[m][it->mode]) ok = false;
            if (ok) mark_grantable(t, it);
        }
        seen[it->mode] = true;
    }
}

/* Runs the callbacks of requests granted since the last announcement. A
 * callback may release or request, which may grant more: the outermost
 * call keeps announcing until none are left. */
static void announce(struct lock_table *t)
{
    if (t->announcing) return;
    t->announcing = true;
    while (t->announce) {
        struct lock_req *r = t->announce;
        t->announce = r->next_granted;
        r->granted_fn(r, r->arg);
    }
    t->announcing = false;
}

static enum lock_mode stronger(enum lock_mode a, enum lock_mode b)
{
    if (a == LOCK_X || b == LOCK_X) return LOCK_X;
    if ((a == LOCK_S && b == LOCK_IX) || (a == LOCK_IX && b == LOCK_S)) return LOCK_X; /* SIX, kept simple */
    return a > b ? a : b;
}

/* Adds (entry, mode) to the request's items, merging a repeated entry. */
static void add_item(struct lock_req *r, struct lock_entry *e, enum lock_mode mode)
{
    for (uint32_t i = 0; i < r->nitems; i++) {
        if (r->items[i].entry == e) {
            r->items[i].mode = stronger(r->items[i].mode, mode);
            return;
        }
    }
    struct lock_item *it = &r->items[r->nitems++];
    it->entry = e;
    it->mode = mode;
    it->req = r;
}

static void enqueue(struct lock_item *it)
{
    struct lock_entry *e = it->entry;
    it->next = NULL;
    it->prev = e->tail;
    if (e->tail) e->tail->next = it;
    else e->head = it;
    e->tail = it;
    e->waiting++;
}

struct lock_req *lock_request(struct lock_table *t, const struct lock_want *wants, uint32_t n, lock_granted_fn fn,
                              void *arg)
{
    /* Each key lock brings its database's intent lock: 2n items at most. */
    struct lock_req *r = rk_calloc(1, sizeof(*r) + 2 * (size_t)n * sizeof(struct lock_item));
    r->granted_fn = fn;
    r->arg = arg;
    for (uint32_t i = 0; i < n; i++) {
        const struct lock_want *w = &wants[i];
        if (w->key) {
            add_item(r, entry_get(t, w->dbid, w->key, w->len), w->mode);
            add_item(r, entry_get(t, w->dbid, NULL, 0), w->mode == LOCK_X ? LOCK_IX : LOCK_IS);
        } else {
            add_item(r, entry_get(t, w->dbid, NULL, 0), w->mode);
        }
    }
    r->waiting = r->nitems;
    for (uint32_t i = 0; i < r->nitems; i++) enqueue(&r->items[i]);
    for (uint32_t i = 0; i < r->nitems; i++) {
        struct lock_item *it = &r->items[i];
        if (grantable_behind(it)) {
            it->grantable = true;
            it->entry->granted[it->mode]++;
            it->entry->waiting--;
            r->waiting--;
        }
    }
    r->granted = r->waiting == 0 || r->nitems == 0;
    t->nreqs++;
    return r;
}

void lock_release(struct lock_table *t, struct lock_req *r)
{
    for (uint32_t i = 0; i < r->nitems; i++) {
        struct lock_item *it = &r->items[i];
        struct lock_entry *e = it->entry;
        if (it->grantable) e->granted[it->mode]--;
        else e->waiting--;
        if (it->prev) it->prev->next = it->next;
        else e->head = it->next;
        if (it->next) it->next->prev = it->prev;
        else e->tail = it->prev;
    }
    /* A granted request not announced yet (released from inside another
     * callback) must not be announced after it is gone. */
    for (struct lock_req **p = &t->announce; *p; p = &(*p)->next_granted) {
        if (*p == r) {
            *p = r->next_granted;
            break;
        }
    }
    for (uint32_t i = 0; i < r->nitems; i++) reevaluate(t, r->items[i].entry);
    for (uint32_t i = 0; i < r->nitems; i++) entry_drop_if_unused(t, r->items[i].entry);
    t->nreqs--;
    rk_free(r);
    announce(t);
}

/* Whether a lockless access conflicts with a granted lock on e. It may
 * run ahead of requests still waiting: it holds nothing, so it cannot
 * keep them waiting, and it is ordered before them. */
static bool entry_blocks(const struct lock_entry *e, enum lock_mode mode)
{
    if (!e || !e->head) return false;
    for (int m = 0; m < LOCK_MODES; m++)
        if (e->granted[m] && !compatible[m][mode]) return true;
    return false;
}

bool lock_table_blocks_db(const struct lock_table *t, int dbid, bool write)
{
    if (t->nreqs == 0 || dbid < 0 || dbid >= t->ndbs) return false;
    return entry_blocks(t->db_entries[dbid], write ? LOCK_X : LOCK_S);
}

bool lock_table_blocks(const struct lock_table *t, int dbid, const char *key, size_t len, bool write)
{
    if (t->nreqs == 0 || dbid < 0 || dbid >= t->ndbs) return false;
    if (entry_blocks(t->db_entries[dbid], write ? LOCK_IX : LOCK_IS)) return true;
    return entry_blocks(find_key(t, dbid, key, len, entry_hash(dbid, key, len)), write ? LOCK_X : LOCK_S);
}

uint64_t lock_table_requests(const struct lock_table *t) { return t->nreqs; }
uint64_t lock_table_entries(const struct lock_table *t) { return t->nentries; }

/* Visits every entry: the database ones, then the key ones. */
static void foreach_entry(struct lock_table *t, void (*fn)(struct lock_entry *e, void *arg), void *arg)
{
    for (int d = 0; d < t->ndbs; d++)
        if (t->db_entries[d]) fn(t->db_entries[d], arg);
    for (uint64_t i = 0; i < t->nbuckets; i++) {
        for (struct lock_entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next_in_bucket;
            fn(e, arg);
        }
    }
}

struct req_list {
    struct lock_req **reqs;
    uint64_t n;
};

/* A request is listed once, through its first item. */
static void list_requests(struct lock_entry *e, void *arg)
{
    struct req_list *l = arg;
    for (struct lock_item *it = e->head; it; it = it->next)
        if (it == &it->req->items[0]) l->reqs[l->n++] = it->req;
}

static void free_entry(struct lock_entry *e, void *arg) { rk_free(e); }

/* Requests still queued (a shard stopping mid-transaction) are freed
 * without callbacks; their items live inside them, so the queues are
 * walked first and the requests freed last. */
void lock_table_destroy(struct lock_table *t)
{
    struct req_list l = {rk_malloc((t->nreqs + 1) * sizeof(struct lock_req *)), 0};
    foreach_entry(t, list_requests, &l);
    foreach_entry(t, free_entry, NULL);
    for (uint64_t i = 0; i < l.n; i++) rk_free(l.reqs[i]);
    rk_free(l.reqs);
    rk_free(t->db_entries);
    rk_free(t->buckets);
    rk_free(t);
}
