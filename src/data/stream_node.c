/* stream_node.c — one listpack node of a stream: its master entry and its
 * entries, read and flagged (layout in ringkv/data/stream.h). Thread: the
 * stream's shard.
 */
#include "stream_node.h"

#include "ringkv/base/util.h"

int64_t node_int(const unsigned char *p)
{
    lp_value v;
    lp_get(p, &v);
    if (!v.str) return v.ll;
    long long n = 0; /* a validated node has integers here; stay defined anyway */
    string2ll((const char *)v.str, v.len, &n);
    return n;
}

void node_read_head(unsigned char *lp, struct node_head *h)
{
    unsigned char *p = lp_first(lp);
    h->count = node_int(p);
    p = lp_next(lp, p);
    h->deleted = node_int(p);
    p = lp_next(lp, p);
    h->master_nfields = node_int(p);
    p = lp_next(lp, p);
    h->master_fields = p;
    for (int64_t i = 0; i < h->master_nfields; i++) p = lp_next(lp, p);
    h->first = lp_next(lp, p); /* past the master entry's 0 */
}

void node_read_entry(unsigned char *lp, const struct stream_id *master, const struct node_head *h, unsigned char *p,
                     struct node_entry *e)
{
    e->flagsp = p;
    e->flags = node_int(p);
    p = lp_next(lp, p);
    e->id.ms = master->ms + (uint64_t)node_int(p);
    p = lp_next(lp, p);
    e->id.seq = master->seq + (uint64_t)node_int(p);
    p = lp_next(lp, p);
    int64_t skip;
    if (e->flags & STREAM_FLAG_SAMEFIELDS) {
        e->nfields = h->master_nfields;
        skip = e->nfields;
    } else {
        e->nfields = node_int(p);
        p = lp_next(lp, p);
        skip = e->nfields * 2;
    }
    e->fields = p;
    while (skip-- > 0) p = lp_next(lp, p);
    e->next = lp_next(lp, p); /* past lp-count */
}

unsigned char *node_entry_start(unsigned char *lp, unsigned char *lpcount)
{
    int64_t back = node_int(lpcount);
    if (back == 0) return NULL;
    unsigned char *p = lpcount;
    while (back-- > 0) p = lp_prev(lp, p);
    return p;
}

unsigned char *node_flag_deleted(unsigned char *lp, const struct node_entry *e)
{
    unsigned char *p = e->flagsp;
    return lp_replace_int(lp, &p, e->flags | STREAM_FLAG_DELETED);
}

unsigned char *node_count_deleted(unsigned char *lp, int64_t n)
{
    unsigned char *p = lp_first(lp);
    int64_t count = node_int(p);
    lp = lp_replace_int(lp, &p, count - n);
    p = lp_next(lp, p);
    int64_t deleted = node_int(p);
    return lp_replace_int(lp, &p, deleted + n);
}

void node_last_id(unsigned char *lp, const struct stream_id *master, struct stream_id *out)
{
    struct node_head h;
    node_read_head(lp, &h);
    unsigned char *p = node_entry_start(lp, lp_last(lp));
    if (!p) {
        *out = *master;
        return;
    }
    struct node_entry e;
    node_read_entry(lp, master, &h, p, &e);
    *out = e.id;
}
