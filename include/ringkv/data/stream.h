/* stream.h — a stream value (XADD, XRANGE, ...): an append-only log of
 * entries, each an ID (milliseconds-sequence, strictly growing) and a list
 * of field/value pairs.
 *
 * Layout: entries live in listpack nodes with exactly Redis 7.0's node
 * layout (t_stream.c), so RDB and DUMP write and read nodes as they are:
 *
 *   master entry: count deleted num-fields field_1 .. field_N 0
 *   entry:        flags ms-diff seq-diff [num-fields] (field value | value)... lp-count
 *
 * IDs are deltas against the node's master ID (the ID of the first entry
 * ever added to the node, kept outside the listpack); an entry whose
 * fields are the master's (flag SAMEFIELDS) stores its values only; a
 * deleted entry stays, flagged DELETED, until its node empties. A node
 * is closed when it reaches stream-node-max-bytes or -max-entries.
 *
 * Nodes are indexed by master ID in a sorted array (IDs only grow:
 * appends go at the end, trimming takes from the front through a head
 * offset), searched by bisection: the same complexity as Redis's radix
 * tree.
 *
 * Single-threaded: a stream belongs to the shard whose keyspace holds it.
 */
#ifndef RINGKV_STREAM_H
#define RINGKV_STREAM_H

#include "ringkv/data/listpack.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stream_id {
    uint64_t ms, seq;
};

#define STREAM_FLAG_DELETED 1
#define STREAM_FLAG_SAMEFIELDS 2

struct stream_groups;

struct stream_node {
    struct stream_id master;
    unsigned char *lp;
};

struct stream {
    struct stream_node *nodes; /* live ones are nodes[head .. head+nnodes) */
    size_t head, nnodes, cap;
    uint64_t length;           /* entries not deleted */
    struct stream_id last_id, first_id, max_deleted_id;
    uint64_t entries_added;
    struct stream_groups *groups; /* consumer groups (stream_cg.h); NULL: none */
};

/* Node size limits (stream-node-max-bytes / -entries; 0: no limit). */
struct stream_limits {
    long long max_bytes, max_entries;
};

extern const struct obj_type_ops stream_type_ops;

int stream_id_cmp(const struct stream_id *a, const struct stream_id *b);
/* a + 1 / a - 1 in (ms, seq) order; false at the edge (no such ID). */
bool stream_id_incr(struct stream_id *id);
bool stream_id_decr(struct stream_id *id);
/* "ms-seq" into buf (at least 42 bytes); returns the length. */
size_t stream_id_format(const struct stream_id *id, char *buf);
/* The 16-byte big-endian form (RDB node keys, PEL entries). */
void stream_id_encode(const struct stream_id *id, unsigned char out[16]);
void stream_id_decode(const unsigned char in[16], struct stream_id *id);

struct stream *stream_new(void);
void stream_free(struct stream *s);
struct stream *stream_dup(const struct stream *s);
size_t stream_bytes(const struct stream *s);

/* Appends an entry (id must exceed last_id: the caller checks). fields
 * holds nfields field/value pairs as fields[2i], fields[2i+1]. */
void stream_append(struct stream *s, const struct stream_id *id, const char *const *fv, const size_t *fvlen,
                   size_t nfields, const struct stream_limits *lim);
/* Deletes one entry; false if there is none with that ID. Updates
 * max_deleted_id and first_id as Redis does. */
bool stream_delete(struct stream *s, const struct stream_id *id);

/* Trimming (XADD/XTRIM MAXLEN|MINID [=|~] [LIMIT n]). approx removes only
 * whole nodes; limit (0: none) caps the entries removed, approx only.
 * Returns the number of entries removed. */
enum stream_trim_by { STREAM_TRIM_MAXLEN, STREAM_TRIM_MINID };
struct stream_trim {
    enum stream_trim_by by;
    uint64_t maxlen;
    struct stream_id minid;
    bool approx;
    long long limit;
};
uint64_t stream_trim(struct stream *s, const struct stream_trim *t);

/* Walking entries with IDs in [start, end], forward or backward. Deleted
 * entries are skipped. The iterator is invalid once the stream changes. */
struct stream_iter {
    const struct stream *s;
    struct stream_id start, end;
    bool rev, done;
    size_t node;                 /* index into nodes[], relative to head */
    unsigned char *lp, *p;       /* the node and the next entry to read (its flags / its lp-count) */
    unsigned char *master_fields; /* first master field */
    int64_t master_nfields;
    /* the entry just returned */
    int64_t flags, nfields;
    unsigned char *fp, *mfp;     /* next field (or value) and master field */
};
void stream_iter_init(struct stream_iter *it, const struct stream *s, const struct stream_id *start,
                      const struct stream_id *end, bool rev);
/* The next entry's ID and field count; false when none is left. */
bool stream_iter_next(struct stream_iter *it, struct stream_id *id, int64_t *nfields);
/* The current entry's next field and value (call nfields times). */
void stream_iter_field(struct stream_iter *it, lp_value *field, lp_value *value);

/* The first or last entry not deleted; false if the stream is empty. */
bool stream_first_entry(const struct stream *s, struct stream_id *id);
bool stream_last_entry(const struct stream *s, struct stream_id *id);

/* Nodes for RDB: appending a node read from a file (master from its key,
 * listpack taken over), after stream_node_validate accepted it: *live
 * gets its entries not deleted and *last its last entry's ID. */
bool stream_node_validate(const struct stream_id *master, unsigned char *lp, size_t size, uint64_t *live,
                          struct stream_id *last);
void stream_push_node(struct stream *s, const struct stream_id *master, unsigned char *lp);

#endif
