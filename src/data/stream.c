/* stream.c — the stream value: IDs, its nodes, appending, deleting and
 * walking entries; see stream.h. Trimming is in stream_trim.c, checking
 * nodes read from a file in stream_check.c. Thread: the stream's shard.
 */
#include "ringkv/data/stream.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/data/stream_cg.h"
#include "stream_node.h"

#include <string.h>

#define NODE_MAX_SIZE (1u << 30) /* Redis's STREAM_LISTPACK_MAX_SIZE */

int stream_id_cmp(const struct stream_id *a, const struct stream_id *b)
{
    if (a->ms != b->ms) return a->ms < b->ms ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

bool stream_id_incr(struct stream_id *id)
{
    if (id->seq != UINT64_MAX) {
        id->seq++;
        return true;
    }
    if (id->ms == UINT64_MAX) return false;
    id->ms++;
    id->seq = 0;
    return true;
}

bool stream_id_decr(struct stream_id *id)
{
    if (id->seq != 0) {
        id->seq--;
        return true;
    }
    if (id->ms == 0) return false;
    id->ms--;
    id->seq = UINT64_MAX;
    return true;
}

size_t stream_id_format(const struct stream_id *id, char *buf)
{
    size_t n = ull2string(buf, id->ms);
    buf[n++] = '-';
    n += ull2string(buf + n, id->seq);
    return n;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (unsigned char)v;
}
static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}
void stream_id_encode(const struct stream_id *id, unsigned char out[16])
{
    put_be64(out, id->ms);
    put_be64(out + 8, id->seq);
}
void stream_id_decode(const unsigned char in[16], struct stream_id *id)
{
    id->ms = get_be64(in);
    id->seq = get_be64(in + 8);
}

/* ---- lifecycle ---- */

struct stream *stream_new(void) { return rk_calloc(1, sizeof(struct stream)); }

void stream_free(struct stream *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nnodes; i++) lp_free(stream_node_at(s, i)->lp);
    rk_free(s->nodes);
    stream_groups_free(s->groups);
    rk_free(s);
}

struct stream *stream_dup(const struct stream *s)
{
    struct stream *d = rk_malloc(sizeof(*d));
    *d = *s;
    d->head = 0;
    d->cap = s->nnodes;
    d->nodes = s->nnodes ? rk_malloc(s->nnodes * sizeof(*d->nodes)) : NULL;
    d->groups = stream_groups_dup(s->groups);
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct stream_node *n = stream_node_at(s, i);
        size_t bytes = lp_bytes(n->lp);
        d->nodes[i].master = n->master;
        d->nodes[i].lp = rk_malloc(bytes);
        memcpy(d->nodes[i].lp, n->lp, bytes);
    }
    return d;
}

size_t stream_bytes(const struct stream *s)
{
    size_t n = rk_usable_size(s) + (s->nodes ? rk_usable_size(s->nodes) : 0);
    for (size_t i = 0; i < s->nnodes; i++) n += rk_usable_size(stream_node_at(s, i)->lp);
    return n + stream_groups_bytes(s->groups);
}

/* ---- nodes ---- */

void stream_push_node(struct stream *s, const struct stream_id *master, unsigned char *lp)
{
    if (s->head + s->nnodes == s->cap) {
        if (s->head > s->nnodes) { /* the trimmed front is larger than what is left: reuse it */
            memmove(s->nodes, s->nodes + s->head, s->nnodes * sizeof(*s->nodes));
            s->head = 0;
        } else {
            s->cap = s->cap ? s->cap * 2 : 4;
            s->nodes = rk_realloc(s->nodes, s->cap * sizeof(*s->nodes));
        }
    }
    s->nodes[s->head + s->nnodes++] = (struct stream_node){*master, lp};
}

void stream_remove_node(struct stream *s, size_t i)
{
    lp_free(stream_node_at(s, i)->lp);
    if (i == 0) {
        s->head++;
    } else {
        struct stream_node *at = stream_node_at(s, i);
        memmove(at, at + 1, (s->nnodes - i - 1) * sizeof(*at));
    }
    if (--s->nnodes == 0) s->head = 0;
}

/* The last node whose master is <= id (0 when id precedes every node). */
static size_t node_for(const struct stream *s, const struct stream_id *id)
{
    size_t lo = 0, hi = s->nnodes; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (stream_id_cmp(&stream_node_at(s, mid)->master, id) <= 0) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* ---- appending ---- */

static bool node_has_room(unsigned char *lp, size_t add, const struct stream_limits *lim)
{
    size_t max_bytes = (size_t)lim->max_bytes;
    if (max_bytes == 0 || max_bytes > NODE_MAX_SIZE) max_bytes = NODE_MAX_SIZE;
    if (lp_bytes(lp) + add >= max_bytes) return false;
    if (lim->max_entries) {
        struct node_head h;
        node_read_head(lp, &h);
        if (h.count + h.deleted >= lim->max_entries) return false;
    }
    return true;
}

static unsigned char *node_new(const char *const *fv, const size_t *fvlen, size_t nfields)
{
    unsigned char *lp = lp_new(0);
    lp = lp_append_int(lp, 0); /* count: the entry appended next makes it 1 */
    lp = lp_append_int(lp, 0);
    lp = lp_append_int(lp, (long long)nfields);
    for (size_t i = 0; i < nfields; i++) lp = lp_append(lp, fv[2 * i], fvlen[2 * i]);
    return lp_append_int(lp, 0);
}

/* Whether the entry's fields are the node's master fields, in order. */
static bool same_fields(unsigned char *lp, const struct node_head *h, const char *const *fv, const size_t *fvlen,
                        size_t nfields)
{
    if ((int64_t)nfields != h->master_nfields) return false;
    unsigned char *p = h->master_fields;
    for (size_t i = 0; i < nfields; i++, p = lp_next(lp, p))
        if (!lp_eq(p, fv[2 * i], fvlen[2 * i])) return false;
    return true;
}

void stream_append(struct stream *s, const struct stream_id *id, const char *const *fv, const size_t *fvlen,
                   size_t nfields, const struct stream_limits *lim)
{
    size_t add = 0;
    for (size_t i = 0; i < 2 * nfields; i++) add += fvlen[i];
    struct stream_node *n = s->nnodes ? stream_node_at(s, s->nnodes - 1) : NULL;
    if (!n || !node_has_room(n->lp, add, lim)) {
        stream_push_node(s, id, node_new(fv, fvlen, nfields));
        n = stream_node_at(s, s->nnodes - 1);
    }
    unsigned char *lp = n->lp;
    struct node_head h;
    node_read_head(lp, &h);
    bool same = same_fields(lp, &h, fv, fvlen, nfields);
    unsigned char *p = lp_first(lp);
    lp = lp_replace_int(lp, &p, h.count + 1);
    lp = lp_append_int(lp, same ? STREAM_FLAG_SAMEFIELDS : 0);
    lp = lp_append_int(lp, (long long)(id->ms - n->master.ms));
    lp = lp_append_int(lp, (long long)(id->seq - n->master.seq));
    if (!same) lp = lp_append_int(lp, (long long)nfields);
    for (size_t i = 0; i < nfields; i++) {
        if (!same) lp = lp_append(lp, fv[2 * i], fvlen[2 * i]);
        lp = lp_append(lp, fv[2 * i + 1], fvlen[2 * i + 1]);
    }
    lp = lp_append_int(lp, (long long)(3 + nfields + (same ? 0 : nfields + 1)));
    n->lp = lp;
    s->length++;
    s->entries_added++;
    s->last_id = *id;
    if (s->length == 1) s->first_id = *id;
}

/* ---- deleting ---- */

void stream_update_first_id(struct stream *s)
{
    if (!stream_first_entry(s, &s->first_id)) s->first_id = (struct stream_id){0, 0};
}

bool stream_delete(struct stream *s, const struct stream_id *id)
{
    if (!s->nnodes) return false;
    size_t i = node_for(s, id);
    struct stream_node *n = stream_node_at(s, i);
    struct node_head h;
    node_read_head(n->lp, &h);
    for (unsigned char *p = h.first; p;) {
        struct node_entry e;
        node_read_entry(n->lp, &n->master, &h, p, &e);
        int c = stream_id_cmp(&e.id, id);
        if (c > 0) break;
        if (c == 0) {
            if (e.flags & STREAM_FLAG_DELETED) return false;
            if (h.count == 1) stream_remove_node(s, i);
            else n->lp = node_count_deleted(node_flag_deleted(n->lp, &e), 1);
            s->length--;
            if (stream_id_cmp(id, &s->max_deleted_id) > 0) s->max_deleted_id = *id;
            if (stream_id_cmp(id, &s->first_id) == 0) stream_update_first_id(s);
            return true;
        }
        p = e.next;
    }
    return false;
}

/* ---- walking ---- */

/* Points the iterator at node it->node: its first entry, or its last
 * when walking backward. */
static void iter_enter(struct stream_iter *it)
{
    struct stream_node *n = stream_node_at(it->s, it->node);
    struct node_head h;
    it->lp = n->lp;
    node_read_head(it->lp, &h);
    it->master_fields = h.master_fields;
    it->master_nfields = h.master_nfields;
    it->p = it->rev ? lp_last(it->lp) : h.first;
}

void stream_iter_init(struct stream_iter *it, const struct stream *s, const struct stream_id *start,
                      const struct stream_id *end, bool rev)
{
    memset(it, 0, sizeof(*it));
    it->s = s;
    it->start = *start;
    it->end = *end;
    it->rev = rev;
    it->done = s->nnodes == 0 || stream_id_cmp(start, end) > 0;
    if (it->done) return;
    it->node = node_for(s, rev ? end : start);
    iter_enter(it);
}

/* The next entry of the current node in the walk's direction (deleted
 * ones too), or false at the node's end. */
static bool iter_step(struct stream_iter *it, struct node_entry *e)
{
    const struct stream_node *n = stream_node_at(it->s, it->node);
    struct node_head h = {.master_nfields = it->master_nfields, .master_fields = it->master_fields};
    if (!it->rev) {
        if (!it->p) return false;
        node_read_entry(it->lp, &n->master, &h, it->p, e);
        it->p = e->next;
        return true;
    }
    unsigned char *start = it->p ? node_entry_start(it->lp, it->p) : NULL;
    if (!start) return false;
    node_read_entry(it->lp, &n->master, &h, start, e);
    it->p = lp_prev(it->lp, start);
    return true;
}

bool stream_iter_next(struct stream_iter *it, struct stream_id *id, int64_t *nfields)
{
    while (!it->done) {
        struct node_entry e;
        if (!iter_step(it, &e)) {
            if (it->rev ? it->node == 0 : it->node + 1 >= it->s->nnodes) break;
            it->node += it->rev ? (size_t)-1 : 1;
            iter_enter(it);
            continue;
        }
        if (e.flags & STREAM_FLAG_DELETED) continue;
        if (!it->rev) {
            if (stream_id_cmp(&e.id, &it->start) < 0) continue;
            if (stream_id_cmp(&e.id, &it->end) > 0) break;
        } else {
            if (stream_id_cmp(&e.id, &it->end) > 0) continue;
            if (stream_id_cmp(&e.id, &it->start) < 0) break;
        }
        it->flags = e.flags;
        it->nfields = e.nfields;
        it->fp = e.fields;
        it->mfp = it->master_fields;
        *id = e.id;
        *nfields = e.nfields;
        return true;
    }
    it->done = true;
    return false;
}

void stream_iter_field(struct stream_iter *it, lp_value *field, lp_value *value)
{
    if (it->flags & STREAM_FLAG_SAMEFIELDS) {
        lp_get(it->mfp, field);
        it->mfp = lp_next(it->lp, it->mfp);
    } else {
        lp_get(it->fp, field);
        it->fp = lp_next(it->lp, it->fp);
    }
    lp_get(it->fp, value);
    it->fp = lp_next(it->lp, it->fp);
}

static bool edge_entry(const struct stream *s, bool last, struct stream_id *id)
{
    struct stream_iter it;
    struct stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    int64_t nf;
    stream_iter_init(&it, s, &lo, &hi, last);
    return stream_iter_next(&it, id, &nf);
}
bool stream_first_entry(const struct stream *s, struct stream_id *id) { return edge_entry(s, false, id); }
bool stream_last_entry(const struct stream *s, struct stream_id *id) { return edge_entry(s, true, id); }

/* ---- the type's operations ---- */

static void free_value(void *ptr, enum obj_encoding enc)
{
    (void)enc;
    stream_free(ptr);
}
static void *dup_value(const void *ptr, enum obj_encoding enc)
{
    (void)enc;
    return stream_dup(ptr);
}
static size_t value_bytes(const void *ptr, enum obj_encoding enc)
{
    (void)enc;
    return stream_bytes(ptr);
}

const struct obj_type_ops stream_type_ops = {
    .name = "stream",
    .free_value = free_value,
    .dup_value = dup_value,
    .value_bytes = value_bytes,
};
