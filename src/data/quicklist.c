/* quicklist.c — linked list of listpack nodes; see quicklist.h for the
 * fill rules. One thread (the owning shard).
 *
 * Every size decision goes through node_fits(), so pushes, inserts,
 * replacements and merges agree on what a node may hold, and a node of
 * two or more entries always satisfies the fill (a single entry may be
 * bigger than any limit: it then lives alone).
 *
 * Compression (list-compress-depth, see quicklist.h): every access to a
 * node's listpack goes through node_lp() (for a change) or node_read()
 * (for a read), which decompress in place; every change ends in settle(),
 * which compresses what the change left plain inside the list. So the
 * rest of this file works on plain listpacks, and at depth 0 the cost is
 * a bit test per node touched.
 */
#include "ringkv/data/quicklist.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/listpack.h"

#include <liblzf/lzf.h>
#include <stdlib.h>
#include <string.h>

/* list-max-listpack-size -1..-5, and the cap on nodes with a count fill. */
static const size_t size_limits[] = {4096, 8192, 16384, 32768, 65536};
#define SIZE_SAFETY_LIMIT 8192
/* Redis's upper estimate of an entry's header + backlen (see header). */
#define SIZE_ESTIMATE_OVERHEAD 8
/* Bytes of listpack header and end marker, saved when two nodes merge. */
#define LP_FRAME (LP_HDR_SIZE + 1)
/* Redis's: smaller nodes are not worth compressing, and compression must
 * save at least this much. */
#define MIN_COMPRESS_BYTES 48
#define MIN_COMPRESS_IMPROVE 8
/* Nodes after the one a middle insert starts from that the insert may
 * have changed (split halves, the value's node, merged neighbours). */
#define INSERT_SPAN 7

static int clamp_fill(int fill)
{
    return fill > QUICKLIST_FILL_MAX ? QUICKLIST_FILL_MAX
         : fill < QUICKLIST_FILL_MIN ? QUICKLIST_FILL_MIN : fill;
}

void quicklist_node_limit(int fill, size_t *sz, size_t *count)
{
    fill = clamp_fill(fill);
    *sz = fill < 0 ? size_limits[-fill - 1] : SIZE_MAX;
    *count = fill < 0 ? SIZE_MAX : fill == 0 ? 1 : (size_t)fill;
}

bool quicklist_node_exceeds(int fill, size_t sz, size_t count)
{
    size_t sz_limit, count_limit;
    quicklist_node_limit(fill, &sz_limit, &count_limit);
    if (sz_limit != SIZE_MAX) return sz > sz_limit;
    return sz > SIZE_SAFETY_LIMIT || count > count_limit;
}

static bool node_fits(int fill, size_t sz, size_t count)
{
    return !quicklist_node_exceeds(fill, sz, count);
}

static bool allow_insert(const quicklist *ql, const quicklist_node *n, size_t len)
{
    return n && node_fits(ql->fill, n->sz + len + SIZE_ESTIMATE_OVERHEAD, n->count + 1);
}

static bool allow_merge(const quicklist *ql, const quicklist_node *a, const quicklist_node *b)
{
    return a && b && node_fits(ql->fill, a->sz + b->sz - LP_FRAME, a->count + b->count);
}

/* ---- compression ---- */

static void node_decompress(quicklist_node *n)
{
    quicklist_lzf *z = (quicklist_lzf *)n->lp;
    unsigned char *lp = rk_malloc(n->sz);
    /* Our own compressed form of a listpack: failing is memory corruption. */
    if (lzf_decompress(z->data, z->sz, lp, n->sz) != n->sz) abort();
    rk_free(z);
    n->lp = lp;
    n->compressed = 0;
}

/* Compresses a plain node if that pays (else remembers it did not, until
 * the node changes). */
static void node_compress(quicklist_node *n)
{
    if (n->compressed || n->incompressible) return;
    if (n->sz < MIN_COMPRESS_BYTES) {
        n->incompressible = 1;
        return;
    }
    quicklist_lzf *z = rk_malloc(sizeof(*z) + n->sz);
    unsigned clen = lzf_compress(n->lp, n->sz, z->data, n->sz);
    if (clen == 0 || clen + MIN_COMPRESS_IMPROVE >= n->sz) {
        rk_free(z);
        n->incompressible = 1;
        return;
    }
    z->sz = clen;
    z = rk_realloc(z, sizeof(*z) + clen);
    lp_free(n->lp);
    n->lp = (unsigned char *)z;
    n->compressed = 1;
}

/* The listpack of a node about to change, plain. */
static inline unsigned char *node_lp(quicklist_node *n)
{
    if (n->compressed) node_decompress(n);
    return n->lp;
}

/* Is n among the `compress` nodes at either end (which stay plain)? All
 * are when the list is that short, as in Redis. */
static bool in_window(const quicklist *ql, const quicklist_node *n)
{
    size_t d = (size_t)ql->compress;
    if (ql->len < 2 * d) return true;
    const quicklist_node *a = n, *b = n;
    for (size_t i = 0; i < d; i++) {
        a = a->prev;
        b = b->next;
        if (!a || !b) return true;
    }
    return false;
}

static void compress_inside(const quicklist *ql, quicklist_node *n)
{
    if (n && !n->compressed && !n->incompressible && !in_window(ql, n)) node_compress(n);
}

/* The listpack of a node about to be read, plain. A compressed node stays
 * open (plain) while it is read: the one opened before is compressed
 * again now, and a change compresses this one (settle). */
static inline unsigned char *node_read(quicklist *ql, quicklist_node *n)
{
    if (!n->compressed) return n->lp;
    if (ql->open && ql->open != n) node_compress(ql->open);
    node_decompress(n);
    ql->open = ql->compress && !in_window(ql, n) ? n : NULL;
    return n->lp;
}

/* The end of every change: the window's nodes plain, the nodes just
 * inside it compressed (pushes and pops move nodes across that line),
 * and so are `span` nodes from `from` (NULL: the head) that the change
 * touched and the node a read left open, if they lie inside. Redis's
 * __quicklistCompress. */
static void settle_slow(quicklist *ql, quicklist_node *from, int span)
{
    quicklist_node *open = ql->open;
    ql->open = NULL;
    if (!ql->compress || ql->len < 2 * (size_t)ql->compress) return;
    quicklist_node *f = ql->head, *r = ql->tail;
    for (int i = 0; i < ql->compress; i++) {
        if (f->compressed) node_decompress(f);
        if (r->compressed) node_decompress(r);
        if (f == r || f->next == r) return; /* the window holds every node */
        f = f->next;
        r = r->prev;
    }
    node_compress(f);
    node_compress(r);
    compress_inside(ql, open);
    if (span && !from) from = ql->head;
    for (; span-- > 0 && from; from = from->next) compress_inside(ql, from);
}

static inline void settle(quicklist *ql, quicklist_node *from, int span)
{
    if (ql->compress || ql->open) settle_slow(ql, from, span);
}

/* ---- nodes ---- */

static void node_update(quicklist_node *n)
{
    n->sz = (uint32_t)lp_bytes(n->lp);
    n->count = (uint32_t)lp_len(n->lp) & 0x3fffffff;
    n->incompressible = 0;
}

static quicklist_node *node_new(unsigned char *lp)
{
    quicklist_node *n = rk_calloc(1, sizeof(*n));
    n->lp = lp;
    node_update(n);
    return n;
}

/* Links n next to `at` (after or before it); at is NULL in an empty list. */
static void link_node(quicklist *ql, quicklist_node *at, quicklist_node *n, bool after)
{
    if (!at) {
        n->prev = n->next = NULL;
        ql->head = ql->tail = n;
    } else if (after) {
        n->prev = at;
        n->next = at->next;
        if (at->next) at->next->prev = n;
        else ql->tail = n;
        at->next = n;
    } else {
        n->next = at;
        n->prev = at->prev;
        if (at->prev) at->prev->next = n;
        else ql->head = n;
        at->prev = n;
    }
    ql->len++;
}

/* Unlinks and frees a node; its entries must already be accounted for. */
static void drop_node(quicklist *ql, quicklist_node *n)
{
    if (n->prev) n->prev->next = n->next;
    else ql->head = n->next;
    if (n->next) n->next->prev = n->prev;
    else ql->tail = n->prev;
    ql->len--;
    if (ql->open == n) ql->open = NULL;
    rk_free(n->lp); /* a listpack or a quicklist_lzf */
    rk_free(n);
}

/* A node holding just s. */
static quicklist_node *node_with(const void *s, size_t len)
{
    return node_new(lp_append(lp_new(0), s, len));
}

/* Deletes the entry at *p; *p becomes the entry after it (or NULL).
 * Returns true if that emptied and freed the node. */
static bool delete_at(quicklist *ql, quicklist_node *n, unsigned char **p)
{
    n->lp = lp_delete(node_lp(n), p);
    ql->count--;
    node_update(n);
    if (n->count) return false;
    drop_node(ql, n);
    return true;
}

/* Appends b's entries to a (its predecessor) and frees b. */
static quicklist_node *merge_into(quicklist *ql, quicklist_node *a, quicklist_node *b)
{
    a->lp = lp_merge(node_lp(a), node_lp(b));
    b->lp = NULL; /* lp_merge freed it */
    drop_node(ql, b);
    node_update(a);
    return a;
}

/* After a split, joins whatever fits among center and two neighbours on
 * each side, so repeated middle inserts don't leave a trail of fragments. */
static void merge_around(quicklist *ql, quicklist_node *center)
{
    quicklist_node *prev = center->prev, *next = center->next;
    if (prev && allow_merge(ql, prev->prev, prev)) merge_into(ql, prev->prev, prev);
    if (next && allow_merge(ql, next, next->next)) merge_into(ql, next, next->next);
    if (allow_merge(ql, center->prev, center)) center = merge_into(ql, center->prev, center);
    if (allow_merge(ql, center, center->next)) merge_into(ql, center, center->next);
}

/* ---- lifecycle ---- */

void quicklist_set_fill(quicklist *ql, int fill) { ql->fill = clamp_fill(fill); }

void quicklist_set_compress(quicklist *ql, int depth)
{
    if (depth < 0) depth = 0;
    if (depth == ql->compress) return;
    ql->compress = depth;
    settle(ql, NULL, 0);
}

quicklist *quicklist_dup(const quicklist *ql)
{
    quicklist *copy = quicklist_create(ql->fill);
    copy->compress = ql->compress;
    for (const quicklist_node *n = ql->head; n; n = n->next) {
        size_t bytes = n->compressed ? sizeof(quicklist_lzf) + ((const quicklist_lzf *)n->lp)->sz : n->sz;
        quicklist_node *c = rk_malloc(sizeof(*c));
        *c = *n;
        c->lp = rk_malloc(bytes);
        memcpy(c->lp, n->lp, bytes);
        link_node(copy, copy->tail, c, true);
        if (n == ql->open) node_compress(c); /* as the original will be */
    }
    copy->count = ql->count;
    return copy;
}

quicklist *quicklist_create(int fill)
{
    quicklist *ql = rk_calloc(1, sizeof(*ql));
    quicklist_set_fill(ql, fill);
    return ql;
}

void quicklist_free(quicklist *ql)
{
    quicklist_node *n = ql->head;
    while (n) {
        quicklist_node *next = n->next;
        rk_free(n->lp); /* a listpack or a quicklist_lzf */
        rk_free(n);
        n = next;
    }
    rk_free(ql);
}

size_t quicklist_mem_usage(const quicklist *ql)
{
    size_t total = rk_usable_size(ql);
    for (const quicklist_node *n = ql->head; n; n = n->next)
        total += rk_usable_size(n) + rk_usable_size(n->lp);
    return total;
}

/* ---- ends ---- */

void quicklist_push(quicklist *ql, enum quicklist_where where, const void *s, size_t len)
{
    bool head = where == QUICKLIST_HEAD;
    quicklist_node *end = head ? ql->head : ql->tail;
    if (allow_insert(ql, end, len)) {
        end->lp = head ? lp_prepend(node_lp(end), s, len) : lp_append(node_lp(end), s, len);
        node_update(end);
    } else {
        link_node(ql, end, node_with(s, len), !head);
    }
    ql->count++;
    settle(ql, NULL, 0);
}

void quicklist_append_listpack(quicklist *ql, unsigned char *lp)
{
    quicklist_node *n = node_new(lp);
    link_node(ql, ql->tail, n, true);
    ql->count += n->count;
    settle(ql, NULL, 0);
}

quicklist *quicklist_from_listpack(int fill, unsigned char *lp)
{
    quicklist *ql = quicklist_create(fill);
    if (lp_len(lp)) quicklist_append_listpack(ql, lp);
    else lp_free(lp);
    return ql;
}

unsigned char *quicklist_to_listpack(quicklist *ql)
{
    unsigned char *lp;
    if (ql->head) {
        lp = node_lp(ql->head);
        rk_free(ql->head);
    } else {
        lp = lp_new(0);
    }
    rk_free(ql);
    return lp;
}

bool quicklist_pop(quicklist *ql, enum quicklist_where where, unsigned char **data, size_t *len,
                   long long *ll)
{
    quicklist_node *n = where == QUICKLIST_HEAD ? ql->head : ql->tail;
    if (!n) return false;
    unsigned char *lp = node_lp(n);
    unsigned char *p = where == QUICKLIST_HEAD ? lp_first(lp) : lp_last(lp);
    lp_value v;
    lp_get(p, &v);
    *data = NULL;
    *len = 0;
    *ll = v.ll;
    if (v.str) {
        *data = rk_malloc(v.len ? v.len : 1);
        if (v.len) memcpy(*data, v.str, v.len);
        *len = v.len;
    }
    delete_at(ql, n, &p);
    settle(ql, NULL, 0);
    return true;
}

/* ---- by index ---- */

void quicklist_entry_fill(quicklist_entry *e, quicklist_node *n, unsigned char *p)
{
    lp_value v;
    lp_get(p, &v);
    e->node = n;
    e->p = p;
    e->str = v.str;
    e->len = v.len;
    e->ll = v.ll;
}

/* Finds the node holding list index `index` (negative from the tail),
 * walking from the closer end; false if out of range. */
static bool locate(const quicklist *ql, long index, quicklist_node **node, size_t *offset)
{
    long count = (long)ql->count;
    if (index < 0) index += count;
    if (index < 0 || index >= count) return false;
    quicklist_node *n;
    size_t k;
    if (index < count / 2) {
        k = (size_t)index;
        for (n = ql->head; k >= n->count; n = n->next) k -= n->count;
    } else {
        k = (size_t)(count - 1 - index); /* distance from the tail */
        for (n = ql->tail; k >= n->count; n = n->prev) k -= n->count;
        k = n->count - 1 - k;
    }
    *node = n;
    *offset = k;
    return true;
}

bool quicklist_index(quicklist *ql, long index, quicklist_entry *e)
{
    quicklist_node *n;
    size_t off;
    if (!locate(ql, index, &n, &off)) return false;
    quicklist_entry_fill(e, n, lp_seek(node_read(ql, n), (long)off));
    return true;
}

/* ---- insert and replace ---- */

static size_t entry_offset(quicklist_node *n, unsigned char *p)
{
    size_t i = 0;
    for (unsigned char *q = lp_first(n->lp); q != p; q = lp_next(n->lp, q)) i++;
    return i;
}

/* Splits n: with `after`, n keeps entries [0, offset] and the new node
 * (linked after n) gets the rest; otherwise n keeps [offset, end) and the
 * new node (linked before n) gets [0, offset). */
static quicklist_node *split_node(quicklist *ql, quicklist_node *n, size_t offset, bool after)
{
    unsigned char *copy = rk_malloc(n->sz);
    memcpy(copy, node_lp(n), n->sz);
    size_t cut = after ? offset + 1 : offset;
    if (after) {
        n->lp = lp_delete_range(n->lp, (long)cut, SIZE_MAX);
        copy = lp_delete_range(copy, 0, cut);
    } else {
        n->lp = lp_delete_range(n->lp, 0, cut);
        copy = lp_delete_range(copy, (long)cut, SIZE_MAX);
    }
    node_update(n);
    quicklist_node *m = node_new(copy);
    link_node(ql, n, m, after);
    return m;
}

/* Puts s at the head or tail of n if it fits there. */
static bool try_edge(quicklist *ql, quicklist_node *n, bool head, const void *s, size_t len)
{
    if (!allow_insert(ql, n, len)) return false;
    n->lp = head ? lp_prepend(node_lp(n), s, len) : lp_append(node_lp(n), s, len);
    node_update(n);
    return true;
}

/* Inserting into a full node: use a neighbour at an edge, else split. */
static void insert_full(quicklist *ql, quicklist_entry *e, bool after, const void *s, size_t len)
{
    quicklist_node *n = e->node;
    bool at_tail = after && !lp_next(n->lp, e->p);
    bool at_head = !after && !lp_prev(n->lp, e->p);
    if (at_tail || at_head) {
        if (!try_edge(ql, after ? n->next : n->prev, after, s, len))
            link_node(ql, n, node_with(s, len), after);
        return;
    }
    quicklist_node *m = split_node(ql, n, entry_offset(n, e->p), after);
    quicklist_node *left = after ? n : m, *right = after ? m : n;
    /* The value goes between the halves: onto the new node's edge if it
     * fits there (as Redis does), else the other half's, else alone. */
    bool placed = after ? try_edge(ql, right, true, s, len) || try_edge(ql, left, false, s, len)
                        : try_edge(ql, left, false, s, len) || try_edge(ql, right, true, s, len);
    if (!placed) link_node(ql, left, node_with(s, len), true);
    merge_around(ql, n);
}

void quicklist_insert(quicklist *ql, quicklist_entry *e, bool after, const void *s, size_t len)
{
    quicklist_node *n = e->node;
    ql->count++;
    if (allow_insert(ql, n, len)) {
        n->lp = lp_insert(node_lp(n), e->p, after ? LP_AFTER : LP_BEFORE, s, len, NULL);
        node_update(n);
        settle(ql, n, 1);
        return;
    }
    /* Merges free later nodes into earlier ones, so the node two before n
     * outlives the insert, and all it changed lies within INSERT_SPAN. */
    quicklist_node *from = n->prev && n->prev->prev ? n->prev->prev : n->prev;
    insert_full(ql, e, after, s, len);
    settle(ql, from, INSERT_SPAN);
}

void quicklist_replace_entry(quicklist *ql, quicklist_entry *e, const void *s, size_t len)
{
    quicklist_node *n = e->node;
    unsigned char *next = lp_next(n->lp, e->p);
    size_t old = (size_t)((next ? next : n->lp + n->sz - 1) - e->p);
    if (n->count == 1 || node_fits(ql->fill, n->sz - old + lp_entry_size(s, len), n->count)) {
        n->lp = lp_replace(node_lp(n), &e->p, s, len);
        node_update(n);
        settle(ql, n, 1);
        return;
    }
    /* Too big for this node in place: remove it, then insert where it was
     * (the node keeps at least one entry, so it survives). */
    unsigned char *p = e->p;
    delete_at(ql, n, &p);
    quicklist_entry at;
    quicklist_entry_fill(&at, n, p ? p : lp_last(n->lp));
    quicklist_insert(ql, &at, p == NULL, s, len);
}

bool quicklist_replace_at(quicklist *ql, long index, const void *s, size_t len)
{
    quicklist_entry e;
    if (!quicklist_index(ql, index, &e)) return false;
    quicklist_replace_entry(ql, &e, s, len);
    return true;
}

size_t quicklist_del_range(quicklist *ql, long index, size_t count)
{
    quicklist_node *n;
    size_t off;
    if (count == 0 || !locate(ql, index, &n, &off)) return 0;
    size_t first = index < 0 ? (size_t)(index + (long)ql->count) : (size_t)index;
    size_t left = count < ql->count - first ? count : ql->count - first, done = left;
    quicklist_node *before = n->prev; /* outlives the deletion */
    while (left) {
        quicklist_node *next = n->next;
        size_t del = n->count - off < left ? n->count - off : left;
        ql->count -= del;
        left -= del;
        if (del == n->count) {
            drop_node(ql, n);
        } else {
            n->lp = lp_delete_range(node_lp(n), (long)off, del);
            node_update(n);
        }
        n = next;
        off = 0;
    }
    /* Changed: at most the first and the last node of the range. */
    settle(ql, before ? before->next : ql->head, 2);
    return done;
}

/* ---- iteration ---- */

void quicklist_iter_init(quicklist_iter *it, quicklist *ql, enum quicklist_where from)
{
    it->ql = ql;
    it->node = from == QUICKLIST_HEAD ? ql->head : ql->tail;
    it->p = NULL;
    it->ready = false;
    it->from = from;
}

bool quicklist_iter_init_at(quicklist_iter *it, quicklist *ql, enum quicklist_where from,
                            long index)
{
    size_t off;
    quicklist_iter_init(it, ql, from);
    if (!locate(ql, index, &it->node, &off)) {
        it->node = NULL;
        return false;
    }
    it->p = lp_seek(node_read(ql, it->node), (long)off);
    it->ready = true;
    return true;
}

bool quicklist_next(quicklist_iter *it, quicklist_entry *e)
{
    bool fwd = it->from == QUICKLIST_HEAD;
    while (it->node) {
        unsigned char *lp = node_read(it->ql, it->node), *p;
        if (it->ready) p = it->p;
        else if (it->p) p = fwd ? lp_next(lp, it->p) : lp_prev(lp, it->p);
        else p = fwd ? lp_first(lp) : lp_last(lp);
        it->ready = false;
        if (p) {
            it->p = p;
            quicklist_entry_fill(e, it->node, p);
            return true;
        }
        it->node = fwd ? it->node->next : it->node->prev;
        it->p = NULL;
    }
    return false;
}

void quicklist_iter_del(quicklist_iter *it, quicklist_entry *e)
{
    bool fwd = it->from == QUICKLIST_HEAD;
    quicklist_node *n = e->node, *onward = fwd ? n->next : n->prev;
    /* No settle: n stays plain while the iteration may go on in it, as
     * the open node if it lies inside (the next read elsewhere or change
     * compresses it). */
    quicklist *ql = it->ql;
    size_t off = (size_t)(e->p - n->lp);
    unsigned char *p = e->p;
    if (!delete_at(ql, n, &p)) {
        if (ql->compress && ql->open != n && !in_window(ql, n)) {
            if (ql->open) node_compress(ql->open);
            ql->open = n;
        }
        /* The entry to return next: the one that slid into the deleted
         * entry's place, or the one before that place going backwards. */
        p = fwd ? p : lp_prev(n->lp, n->lp + off);
        if (p) {
            it->node = n;
            it->p = p;
            it->ready = true;
            return;
        }
    }
    it->node = onward;
    it->p = NULL;
    it->ready = false;
}

bool quicklist_entry_eq(const quicklist_entry *e, const void *s, size_t len)
{
    return lp_eq(e->p, s, len);
}
