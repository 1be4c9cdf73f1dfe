/* stream_trim.c — XADD/XTRIM's MAXLEN and MINID: whole nodes go from the
 * front while they may; exact trimming then flags entries of the first
 * node left as deleted, as Redis 7.0's streamTrim does. Thread: the
 * stream's shard.
 */
#include "ringkv/data/stream.h"
#include "stream_node.h"

/* Whether the whole first node may go. */
static bool node_goes(const struct stream *s, const struct stream_trim *t, const struct stream_node *n,
                      int64_t count)
{
    if (t->by == STREAM_TRIM_MAXLEN) return s->length - (uint64_t)count >= t->maxlen;
    struct stream_id last;
    node_last_id(n->lp, &n->master, &last);
    return stream_id_cmp(&last, &t->minid) < 0;
}

/* Flags the first node's entries that the trim removes; returns how many. */
static uint64_t trim_in_node(struct stream *s, const struct stream_trim *t, struct stream_node *n)
{
    struct node_head h;
    node_read_head(n->lp, &h);
    uint64_t removed = 0;
    for (unsigned char *p = h.first; p;) {
        struct node_entry e;
        node_read_entry(n->lp, &n->master, &h, p, &e);
        bool stop = t->by == STREAM_TRIM_MAXLEN ? s->length <= t->maxlen : stream_id_cmp(&e.id, &t->minid) >= 0;
        if (stop) break;
        if (e.flags & STREAM_FLAG_DELETED) {
            p = e.next;
            continue;
        }
        size_t next_off = e.next ? (size_t)(e.next - n->lp) : 0;
        n->lp = node_flag_deleted(n->lp, &e); /* same size: offsets hold */
        p = next_off ? n->lp + next_off : NULL;
        s->length--;
        removed++;
    }
    if (removed) n->lp = node_count_deleted(n->lp, (int64_t)removed);
    return removed;
}

uint64_t stream_trim(struct stream *s, const struct stream_trim *t)
{
    uint64_t removed = 0;
    while (s->nnodes) {
        if (t->by == STREAM_TRIM_MAXLEN && s->length <= t->maxlen) break;
        struct stream_node *n = stream_node_at(s, 0);
        struct node_head h;
        node_read_head(n->lp, &h);
        if (t->limit && removed + (uint64_t)h.count > (uint64_t)t->limit) break;
        if (node_goes(s, t, n, h.count)) {
            s->length -= (uint64_t)h.count;
            removed += (uint64_t)h.count;
            stream_remove_node(s, 0);
            continue;
        }
        if (!t->approx) removed += trim_in_node(s, t, n);
        break;
    }
    if (s->length == 0) s->first_id = (struct stream_id){0, 0};
    else if (removed) stream_update_first_id(s);
    return removed;
}
