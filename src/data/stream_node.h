/* stream_node.h — reading and changing one listpack node of a stream
 * (layout in ringkv/data/stream.h); private to src/data/stream*.c.
 * Thread: the stream's shard.
 */
#ifndef RINGKV_STREAM_NODE_H
#define RINGKV_STREAM_NODE_H

#include "ringkv/data/stream.h"

/* The node's master entry. */
struct node_head {
    int64_t count, deleted, master_nfields;
    unsigned char *master_fields; /* first master field */
    unsigned char *first;         /* first entry's flags, NULL if none */
};

/* One entry, read from its flags. */
struct node_entry {
    int64_t flags, nfields;
    struct stream_id id;
    unsigned char *flagsp, *fields; /* flags; first field (or value when SAMEFIELDS) */
    unsigned char *next;            /* the next entry's flags, NULL at the end */
};

/* An integer element (the node's counters, flags and deltas). */
int64_t node_int(const unsigned char *p);
void node_read_head(unsigned char *lp, struct node_head *h);
void node_read_entry(unsigned char *lp, const struct stream_id *master, const struct node_head *h, unsigned char *p,
                     struct node_entry *e);
/* From an entry's lp-count back to its flags; NULL at the master entry. */
unsigned char *node_entry_start(unsigned char *lp, unsigned char *lpcount);
/* Flags entry e deleted (the flags keep their size: positions hold);
 * returns the (maybe moved) listpack. */
unsigned char *node_flag_deleted(unsigned char *lp, const struct node_entry *e);
/* Moves n entries from the master entry's count to its deleted count
 * (sizes may change: positions held before are invalid). */
unsigned char *node_count_deleted(unsigned char *lp, int64_t n);
/* The last entry's ID (deleted or not). */
void node_last_id(unsigned char *lp, const struct stream_id *master, struct stream_id *out);

/* The node at position i (from the head). */
static inline struct stream_node *stream_node_at(const struct stream *s, size_t i) { return &s->nodes[s->head + i]; }
/* Removes node i (freeing its listpack). */
void stream_remove_node(struct stream *s, size_t i);
/* The first / last live entry, or none: sets first_id after removals. */
void stream_update_first_id(struct stream *s);

#endif
