/* quicklist.h — the list type's storage: a doubly linked list of
 * listpack nodes, so pushes and pops at either end are O(1) and the
 * memory stays compact.
 *
 * Node size follows Redis's `list-max-listpack-size` (the `fill`):
 *   fill > 0        at most `fill` entries per node (clamped to 32767),
 *                   and a node of 2+ entries stays under 8 KB;
 *   fill -1 .. -5   a node of 2+ entries stays under 4/8/16/32/64 KB
 *                   (below -5 is taken as -5);
 *   fill 0          one entry per node.
 * As in Redis, an insert is allowed when node bytes + the new string's
 * length + 8 stays within the limit (the 8 over-estimates the entry's
 * header and backlen, so the real node never exceeds the limit). A value
 * too big for any node gets a node of its own. A middle insert into a full
 * node splits it and then merges neighbours that fit together again.
 * Deletions never merge.
 *
 * Compression follows Redis's `list-compress-depth` (the list's
 * `compress`, 0 = off): the `compress` nodes at each end stay plain
 * listpacks and the nodes between are LZF-compressed, where that pays
 * (a node of 48+ bytes that shrinks by 8+, as quicklist.c's
 * MIN_COMPRESS_BYTES/IMPROVE). A node is decompressed in place when an
 * operation needs it: a change compresses it again when it is done
 * (Redis's __quicklistCompress, with the nodes that moved across the
 * depth line), a read leaves it open until the next read of another
 * compressed node or the next change (so entries stay valid as below).
 * With compress 0 nothing is compressed; nodes compressed earlier are
 * decompressed when next touched (a list whose depth changes is never
 * rewritten at once: its nodes change as they are touched).
 *
 * Memory (measured in tests/unit/data/test_quicklist.c, memory_per_element):
 * 100000 8-byte strings with the default fill -2 take 123 nodes of ~8 KB;
 * 10.0 bytes of listpack per element (8 + 1 header + 1 backlen), 10.07
 * bytes per element allocated including the 32-byte nodes.
 *
 * Entries handed out (quicklist_entry) point into a node's listpack and
 * are valid until the list is next changed, except through the iterator
 * call that says otherwise; with compression also until the next read of
 * the list by index or iteration that enters another compressed node (so
 * one iterator at a time per list; a change through it, iter_del, is
 * fine). One thread (the owning shard).
 */
#ifndef RINGKV_QUICKLIST_H
#define RINGKV_QUICKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUICKLIST_FILL_MAX 32767
#define QUICKLIST_FILL_MIN (-5)

enum quicklist_where { QUICKLIST_HEAD, QUICKLIST_TAIL };

/* A compressed node's data (Redis's quicklistLZF): the LZF form of the
 * node's listpack, as an RDB file holds it. */
typedef struct quicklist_lzf {
    uint32_t sz; /* bytes of data */
    unsigned char data[];
} quicklist_lzf;

typedef struct quicklist_node {
    struct quicklist_node *prev, *next;
    unsigned char *lp; /* the listpack, or a quicklist_lzf if compressed */
    uint32_t sz;       /* lp_bytes of the listpack, compressed or not */
    uint32_t count : 30;        /* entries in lp */
    uint32_t compressed : 1;    /* lp is a quicklist_lzf */
    uint32_t incompressible : 1; /* compressing did not pay since the last change */
} quicklist_node;

typedef struct quicklist {
    quicklist_node *head, *tail;
    size_t count; /* entries in all nodes */
    size_t len;   /* nodes */
    int fill;
    int compress;         /* list-compress-depth: plain nodes at each end, 0 = off */
    quicklist_node *open; /* a compressed node decompressed by a read, or NULL */
} quicklist;

/* One entry: a string (str != NULL) or an integer (str == NULL, ll). */
typedef struct quicklist_entry {
    quicklist_node *node;
    unsigned char *p; /* position in node->lp */
    const unsigned char *str;
    size_t len;
    long long ll;
} quicklist_entry;

/* An iterator lives on the caller's stack; no cleanup needed. */
typedef struct quicklist_iter {
    quicklist *ql;
    quicklist_node *node;
    unsigned char *p; /* last returned entry, or the next one if `ready` */
    bool ready;
    enum quicklist_where from; /* HEAD walks towards the tail */
} quicklist_iter;

quicklist *quicklist_create(int fill);
void quicklist_free(quicklist *ql);
/* Applies to nodes filled from now on. */
void quicklist_set_fill(quicklist *ql, int fill);
/* The depth for this and later changes (negative is taken as 0); a new
 * depth moves the nodes at the ends across the line at once, the others
 * as they are touched. */
void quicklist_set_compress(quicklist *ql, int depth);
/* A deep copy, compressed nodes copied as they are. */
quicklist *quicklist_dup(const quicklist *ql);
static inline size_t quicklist_count(const quicklist *ql) { return ql->count; }
/* Bytes allocated for nodes and listpacks, compressed or not (for MEMORY
 * USAGE). */
size_t quicklist_mem_usage(const quicklist *ql);

void quicklist_push(quicklist *ql, enum quicklist_where where, const void *s, size_t len);
/* Appends an existing non-empty listpack as a node of its own (RDB
 * loading); the list takes ownership. */
void quicklist_append_listpack(quicklist *ql, unsigned char *lp);

/* Converting small lists, which the list type keeps as a bare listpack.
 * The node limits of a fill (Redis's quicklistNodeLimit): at most *sz
 * bytes (SIZE_MAX: no byte limit but the 8 KB safety cap of count fills)
 * and *count entries (fill 0 allows 1). */
void quicklist_node_limit(int fill, size_t *sz, size_t *count);
/* Would one node of sz bytes and count entries break the fill? (Redis's
 * quicklistNodeExceedsLimit.) */
bool quicklist_node_exceeds(int fill, size_t sz, size_t count);
/* A list holding lp's entries as one node (none if lp is empty, which is
 * then freed); takes ownership of lp, which becomes that node's listpack
 * as it is, so positions into it stay valid. */
quicklist *quicklist_from_listpack(int fill, unsigned char *lp);
/* Frees a list of at most one node and returns that node's listpack as
 * it is (a new empty one if the list was empty). */
unsigned char *quicklist_to_listpack(quicklist *ql);
/* Removes the head or tail entry and hands it over: *data gets an
 * rk_malloc'd copy of a string (caller frees) or NULL for an integer,
 * stored in *ll. False if the list is empty. To reply without a copy, read
 * the end with quicklist_index() and then quicklist_del_range(). */
bool quicklist_pop(quicklist *ql, enum quicklist_where where, unsigned char **data, size_t *len,
                   long long *ll);

/* Entry at index (negative counts from the tail); false if out of range. */
bool quicklist_index(quicklist *ql, long index, quicklist_entry *e);
/* Fills e from the listpack entry at p, which lives in node n (NULL for a
 * bare listpack, as listval's small encoding uses). */
void quicklist_entry_fill(quicklist_entry *e, quicklist_node *n, unsigned char *p);
/* Inserts next to an entry found by index or iteration (LINSERT). Other
 * entries and iterators are invalid afterwards. */
void quicklist_insert(quicklist *ql, quicklist_entry *e, bool after, const void *s, size_t len);
/* Replaces an entry (LSET); entries and iterators are invalid afterwards. */
void quicklist_replace_entry(quicklist *ql, quicklist_entry *e, const void *s, size_t len);
bool quicklist_replace_at(quicklist *ql, long index, const void *s, size_t len);
/* Deletes up to count entries from index on (negative index counts from
 * the tail; LTRIM); returns how many. */
size_t quicklist_del_range(quicklist *ql, long index, size_t count);

/* Iteration from the head or the tail, optionally starting at an index. */
void quicklist_iter_init(quicklist_iter *it, quicklist *ql, enum quicklist_where from);
/* False (and the iterator is done) if index is out of range. */
bool quicklist_iter_init_at(quicklist_iter *it, quicklist *ql, enum quicklist_where from,
                            long index);
bool quicklist_next(quicklist_iter *it, quicklist_entry *e);
/* Deletes the entry just returned by quicklist_next; iteration goes on
 * with the entry after it (LREM). */
void quicklist_iter_del(quicklist_iter *it, quicklist_entry *e);
/* Is the entry equal to s? (LPOS, LREM, LINSERT's pivot.) */
bool quicklist_entry_eq(const quicklist_entry *e, const void *s, size_t len);

#endif
