/* stream_cg.c — consumer groups, consumers and their pending entries; see
 * stream_cg.h. Thread: the stream's shard.
 */
#include "ringkv/data/stream_cg.h"
#include "ringkv/base/alloc.h"

#include <stddef.h>
#include <string.h>

/* ---- sorted arrays ---- */

static void grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return;
    *cap = *cap ? *cap * 2 : 4;
    *v = rk_realloc(*v, *cap * size);
}

static void insert_at(void **v, size_t *n, size_t *cap, size_t at, void *item)
{
    grow((void **)v, cap, *n, sizeof(void *));
    void **a = *v;
    memmove(a + at + 1, a + at, (*n - at) * sizeof(void *));
    a[at] = item;
    (*n)++;
}

static void remove_at(void **v, size_t *n, size_t at)
{
    memmove(v + at, v + at + 1, (*n - at - 1) * sizeof(void *));
    (*n)--;
}

/* Redis's radix tree order of names: bytes, then a prefix first. */
static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : alen > blen;
}

/* ---- PELs ---- */

size_t stream_pel_seek(const struct stream_pel *p, const struct stream_id *id)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(&p->v[mid]->id, id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

struct stream_nack *stream_pel_find(const struct stream_pel *p, const struct stream_id *id)
{
    size_t i = stream_pel_seek(p, id);
    return i < p->n && stream_id_cmp(&p->v[i]->id, id) == 0 ? p->v[i] : NULL;
}

static void pel_insert(struct stream_pel *p, struct stream_nack *nack)
{
    size_t at = p->n && stream_id_cmp(&p->v[p->n - 1]->id, &nack->id) < 0 ? p->n : stream_pel_seek(p, &nack->id);
    insert_at((void **)&p->v, &p->n, &p->cap, at, nack);
}

static void pel_remove(struct stream_pel *p, const struct stream_id *id)
{
    size_t i = stream_pel_seek(p, id);
    if (i < p->n && stream_id_cmp(&p->v[i]->id, id) == 0) remove_at((void **)p->v, &p->n, i);
}

/* ---- named records: groups and consumers ---- */

/* Groups and consumers are sorted arrays of records carrying their name
 * (nlen bytes at name, at these offsets): the index of the first whose
 * name is >= name, and *found when it is name. */
static size_t seek_named(void *const *v, size_t n, size_t name_off, size_t len_off, const char *name, size_t len,
                         bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *r = v[mid];
        if (name_cmp(r + name_off, *(const size_t *)(r + len_off), name, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    const char *r = lo < n ? v[lo] : NULL;
    *found = r && name_cmp(r + name_off, *(const size_t *)(r + len_off), name, len) == 0;
    return lo;
}

static size_t group_seek(const struct stream_groups *gs, const char *name, size_t len, bool *found)
{
    return seek_named((void *const *)gs->v, gs->n, offsetof(struct stream_group, name),
                      offsetof(struct stream_group, nlen), name, len, found);
}

static size_t consumer_seek(const struct stream_group *g, const char *name, size_t len, bool *found)
{
    return seek_named((void *const *)g->consumers, g->nconsumers, offsetof(struct stream_consumer, name),
                      offsetof(struct stream_consumer, nlen), name, len, found);
}

/* ---- groups ---- */

struct stream_group *stream_group_find(const struct stream *s, const char *name, size_t len)
{
    bool found;
    if (!s->groups) return NULL;
    size_t i = group_seek(s->groups, name, len, &found);
    return found ? s->groups->v[i] : NULL;
}

static struct stream_group *group_new(const char *name, size_t len, const struct stream_id *last_id,
                                      long long entries_read)
{
    struct stream_group *g = rk_calloc(1, sizeof(*g) + len);
    memcpy(g->name, name, len);
    g->nlen = len;
    g->last_id = *last_id;
    g->entries_read = entries_read;
    return g;
}

static void group_free(struct stream_group *g)
{
    for (size_t i = 0; i < g->pel.n; i++) rk_free(g->pel.v[i]);
    rk_free(g->pel.v);
    for (size_t i = 0; i < g->nconsumers; i++) {
        rk_free(g->consumers[i]->pel.v);
        rk_free(g->consumers[i]);
    }
    rk_free(g->consumers);
    rk_free(g);
}

struct stream_group *stream_group_create(struct stream *s, const char *name, size_t len,
                                         const struct stream_id *last_id, long long entries_read)
{
    if (!s->groups) s->groups = rk_calloc(1, sizeof(*s->groups));
    struct stream_groups *gs = s->groups;
    bool found;
    size_t at = group_seek(gs, name, len, &found);
    if (found) return NULL;
    struct stream_group *g = group_new(name, len, last_id, entries_read);
    insert_at((void **)&gs->v, &gs->n, &gs->cap, at, g);
    return g;
}

void stream_group_destroy(struct stream *s, struct stream_group *g)
{
    struct stream_groups *gs = s->groups;
    bool found;
    size_t at = group_seek(gs, g->name, g->nlen, &found);
    remove_at((void **)gs->v, &gs->n, at);
    group_free(g);
}

/* ---- consumers ---- */

struct stream_consumer *stream_consumer_find(const struct stream_group *g, const char *name, size_t len)
{
    bool found;
    size_t i = consumer_seek(g, name, len, &found);
    return found ? g->consumers[i] : NULL;
}

struct stream_consumer *stream_consumer_create(struct stream_group *g, const char *name, size_t len, long long now)
{
    bool found;
    size_t at = consumer_seek(g, name, len, &found);
    if (found) return NULL;
    struct stream_consumer *c = rk_calloc(1, sizeof(*c) + len);
    memcpy(c->name, name, len);
    c->nlen = len;
    c->seen_time = now;
    insert_at((void **)&g->consumers, &g->nconsumers, &g->ccap, at, c);
    return c;
}

struct stream_consumer *stream_consumer_get(struct stream_group *g, const char *name, size_t len, long long now)
{
    struct stream_consumer *c = stream_consumer_find(g, name, len);
    if (!c) return stream_consumer_create(g, name, len, now);
    c->seen_time = now;
    return c;
}

size_t stream_consumer_delete(struct stream_group *g, struct stream_consumer *c)
{
    size_t pending = c->pel.n;
    for (size_t i = 0; i < c->pel.n; i++) {
        struct stream_nack *nack = c->pel.v[i];
        pel_remove(&g->pel, &nack->id);
        rk_free(nack);
    }
    rk_free(c->pel.v);
    bool found;
    remove_at((void **)g->consumers, &g->nconsumers, consumer_seek(g, c->name, c->nlen, &found));
    rk_free(c);
    return pending;
}

/* ---- NACKs ---- */

void stream_nack_assign(struct stream_nack *nack, struct stream_consumer *c)
{
    if (nack->consumer == c) return;
    if (nack->consumer) pel_remove(&nack->consumer->pel, &nack->id);
    nack->consumer = c;
    pel_insert(&c->pel, nack);
}

struct stream_nack *stream_group_add_nack(struct stream_group *g, const struct stream_id *id, long long now)
{
    struct stream_nack *nack = rk_calloc(1, sizeof(*nack));
    nack->id = *id;
    nack->delivery_time = now;
    nack->delivery_count = 1;
    pel_insert(&g->pel, nack);
    return nack;
}

void stream_group_deliver(struct stream_group *g, struct stream_consumer *c, const struct stream_id *id,
                          long long now)
{
    struct stream_nack *nack = stream_pel_find(&g->pel, id);
    if (!nack) nack = stream_group_add_nack(g, id, now);
    nack->delivery_time = now;
    nack->delivery_count = 1;
    stream_nack_assign(nack, c);
}

bool stream_group_ack(struct stream_group *g, const struct stream_id *id)
{
    struct stream_nack *nack = stream_pel_find(&g->pel, id);
    if (!nack) return false;
    pel_remove(&g->pel, id);
    if (nack->consumer) pel_remove(&nack->consumer->pel, id);
    rk_free(nack);
    return true;
}

/* ---- counters ---- */

static bool id_zero(const struct stream_id *id) { return id->ms == 0 && id->seq == 0; }

bool stream_range_has_tombstones(const struct stream *s, const struct stream_id *start, const struct stream_id *end)
{
    if (!s->length || id_zero(&s->max_deleted_id)) return false;
    if (stream_id_cmp(&s->first_id, &s->max_deleted_id) > 0) return false;
    struct stream_id lo = start ? *start : (struct stream_id){0, 0};
    struct stream_id hi = end ? *end : (struct stream_id){UINT64_MAX, UINT64_MAX};
    return stream_id_cmp(&lo, &s->max_deleted_id) <= 0 && stream_id_cmp(&s->max_deleted_id, &hi) <= 0;
}

long long stream_estimate_distance(const struct stream *s, const struct stream_id *id)
{
    if (!s->entries_added) return 0;
    if (!s->length && stream_id_cmp(id, &s->last_id) < 1) return (long long)s->entries_added;
    int cmp_last = stream_id_cmp(id, &s->last_id);
    if (cmp_last == 0) return (long long)s->entries_added;
    if (cmp_last > 0) return STREAM_ENTRIES_READ_INVALID;
    int cmp_first = stream_id_cmp(id, &s->first_id);
    if (id_zero(&s->max_deleted_id) || stream_id_cmp(&s->max_deleted_id, &s->first_id) < 0) {
        if (cmp_first < 0) return (long long)(s->entries_added - s->length);
        if (cmp_first == 0) return (long long)(s->entries_added - s->length + 1);
    }
    return STREAM_ENTRIES_READ_INVALID;
}

bool stream_group_lag(const struct stream *s, const struct stream_group *g, long long *lag)
{
    if (!s->entries_added) {
        *lag = 0;
        return true;
    }
    if (g->entries_read != STREAM_ENTRIES_READ_INVALID && !stream_range_has_tombstones(s, &g->last_id, NULL)) {
        *lag = (long long)s->entries_added - g->entries_read;
        return true;
    }
    long long read = stream_estimate_distance(s, &g->last_id);
    if (read == STREAM_ENTRIES_READ_INVALID) return false;
    *lag = (long long)s->entries_added - read;
    return true;
}

void stream_group_advance(const struct stream *s, struct stream_group *g, const struct stream_id *id)
{
    if (g->entries_read != STREAM_ENTRIES_READ_INVALID && !stream_range_has_tombstones(s, id, NULL))
        g->entries_read++;
    else if (s->entries_added)
        g->entries_read = stream_estimate_distance(s, id);
    g->last_id = *id;
}

/* ---- lifecycle ---- */

void stream_groups_free(struct stream_groups *gs)
{
    if (!gs) return;
    for (size_t i = 0; i < gs->n; i++) group_free(gs->v[i]);
    rk_free(gs->v);
    rk_free(gs);
}

static struct stream_group *group_dup(const struct stream_group *g)
{
    struct stream_group *d = group_new(g->name, g->nlen, &g->last_id, g->entries_read);
    for (size_t i = 0; i < g->nconsumers; i++) {
        const struct stream_consumer *c = g->consumers[i];
        stream_consumer_create(d, c->name, c->nlen, c->seen_time);
    }
    for (size_t i = 0; i < g->pel.n; i++) {
        const struct stream_nack *n = g->pel.v[i];
        struct stream_nack *m = stream_group_add_nack(d, &n->id, n->delivery_time);
        m->delivery_count = n->delivery_count;
        if (n->consumer) stream_nack_assign(m, stream_consumer_find(d, n->consumer->name, n->consumer->nlen));
    }
    return d;
}

struct stream_groups *stream_groups_dup(const struct stream_groups *gs)
{
    if (!gs) return NULL;
    struct stream_groups *d = rk_calloc(1, sizeof(*d));
    d->cap = d->n = gs->n;
    d->v = gs->n ? rk_malloc(gs->n * sizeof(*d->v)) : NULL;
    for (size_t i = 0; i < gs->n; i++) d->v[i] = group_dup(gs->v[i]);
    return d;
}

size_t stream_groups_bytes(const struct stream_groups *gs)
{
    if (!gs) return 0;
    size_t n = rk_usable_size(gs) + (gs->v ? rk_usable_size(gs->v) : 0);
    for (size_t i = 0; i < gs->n; i++) {
        const struct stream_group *g = gs->v[i];
        n += rk_usable_size(g) + (g->pel.v ? rk_usable_size(g->pel.v) : 0) +
             (g->consumers ? rk_usable_size(g->consumers) : 0);
        for (size_t k = 0; k < g->pel.n; k++) n += rk_usable_size(g->pel.v[k]);
        for (size_t k = 0; k < g->nconsumers; k++)
            n += rk_usable_size(g->consumers[k]) + (g->consumers[k]->pel.v ? rk_usable_size(g->consumers[k]->pel.v) : 0);
    }
    return n;
}
