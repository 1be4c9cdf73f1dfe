/* Unit tests for quicklist: node layout identical to Redis 7.0 for the
 * same pushes and inserts, fill invariants, and randomized list commands
 * (push/pop/index/insert/set/trim/remove-while-iterating) against an
 * array, plain and with compressed nodes (list-compress-depth). */
#include "ds_check.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/quicklist.h"

#include <liblzf/lzf.h>

/* ---- invariants ---- */

/* The fill rule, restated from list-max-listpack-size's documentation. */
static bool node_ok(int fill, const quicklist_node *n)
{
    static const size_t limits[] = {4096, 8192, 16384, 32768, 65536};
    if (n->count == 1) return true;
    if (fill < 0) return n->sz <= limits[-fill - 1];
    return n->count <= (size_t)fill && n->sz <= 8192;
}

static bool entry_is(const quicklist_entry *e, const tval *t)
{
    return tval_is(t, e->str, e->len, e->ll) && quicklist_entry_eq(e, t->s, t->len);
}

/* Compressed nodes seen by check_all (over a whole test run). */
static size_t seen_compressed;

/* A node's listpack: itself, or a decompressed copy in *owned. */
static const unsigned char *node_plain(const quicklist_node *n, unsigned char **owned)
{
    *owned = NULL;
    if (!n->compressed) return n->lp;
    const quicklist_lzf *z = (const quicklist_lzf *)n->lp;
    REQUIRE(z->sz + 8 < n->sz, "compression must save 8 bytes");
    *owned = malloc(n->sz);
    REQUIRE(lzf_decompress(z->data, z->sz, *owned, n->sz) == n->sz);
    return *owned;
}

/* The depth rule: with `settled` (after a change) the `compress` nodes at
 * each end are plain; any node inside them is compressed unless it did
 * not pay (too small or no gain) or is the one a read left open. */
static void check_compression(const quicklist *ql, bool settled)
{
    size_t d = (size_t)ql->compress, pos = 0;
    for (const quicklist_node *n = ql->head; n; n = n->next, pos++) {
        if (!d) {
            REQUIRE(!n->compressed, "depth 0 compresses nothing");
            continue;
        }
        bool window = ql->len < 2 * d || pos < d || pos >= ql->len - d;
        if (window) {
            REQUIRE(!settled || !n->compressed, "node %zu of %zu is compressed at depth %zu", pos, ql->len, d);
        } else {
            REQUIRE(n->compressed || n->incompressible || n == ql->open,
                    "node %zu of %zu (%u bytes) is plain at depth %zu", pos, ql->len, n->sz, d);
        }
        REQUIRE(!n->compressed || n->sz >= 48);
    }
}

static void check_all(quicklist *ql, const tlist *m)
{
    size_t total = 0, nodes = 0;
    const quicklist_node *prev = NULL;
    for (const quicklist_node *n = ql->head; n; prev = n, n = n->next) {
        REQUIRE(n->prev == prev);
        unsigned char *owned;
        const unsigned char *lp = node_plain(n, &owned);
        seen_compressed += n->compressed;
        REQUIRE(n->count >= 1 && n->count == lp_len((unsigned char *)lp));
        REQUIRE(n->sz == lp_bytes(lp) && lp_validate(lp, n->sz, true));
        free(owned);
        REQUIRE(node_ok(ql->fill, n), "fill %d: node of %u entries, %u bytes", ql->fill, n->count, n->sz);
        total += n->count;
        nodes++;
    }
    REQUIRE(ql->tail == prev && ql->len == nodes);
    REQUIRE(ql->count == total && total == m->n, "%zu %zu %zu", ql->count, total, m->n);

    quicklist_iter it;
    quicklist_entry e;
    size_t i = 0;
    quicklist_iter_init(&it, ql, QUICKLIST_HEAD);
    while (quicklist_next(&it, &e)) REQUIRE(i < m->n && entry_is(&e, &m->v[i++]));
    REQUIRE(i == m->n);
    quicklist_iter_init(&it, ql, QUICKLIST_TAIL);
    while (quicklist_next(&it, &e)) REQUIRE(i > 0 && entry_is(&e, &m->v[--i]));
    REQUIRE(i == 0);
}

/* Values for lists: mostly short so nodes hold many entries. */
static tval list_value(void)
{
    if (trand(10) < 7) {
        char buf[24];
        int n = trand(2) ? snprintf(buf, sizeof(buf), "%llu", trand(1000))
                         : snprintf(buf, sizeof(buf), "v%llu", trand(100000));
        return tval_make(buf, (size_t)n);
    }
    return tval_random(trand(10) == 0);
}

/* ---- randomized list commands ---- */

static void op_push_pop(quicklist *ql, tlist *m)
{
    bool head = trand(2);
    enum quicklist_where w = head ? QUICKLIST_HEAD : QUICKLIST_TAIL;
    if (trand(3) || !m->n) {
        tval v = list_value();
        quicklist_push(ql, w, v.s, v.len);
        tlist_insert(m, head ? 0 : m->n, v);
        return;
    }
    unsigned char *data;
    size_t len;
    long long ll;
    REQUIRE(quicklist_pop(ql, w, &data, &len, &ll));
    size_t at = head ? 0 : m->n - 1;
    REQUIRE(tval_is(&m->v[at], data, len, ll));
    rk_free(data);
    tlist_delete(m, at, 1);
}

static void op_index(quicklist *ql, const tlist *m)
{
    long i = (long)trand(2 * m->n + 4) - (long)m->n - 2;
    long j = i < 0 ? i + (long)m->n : i;
    quicklist_entry e;
    bool ok = quicklist_index(ql, i, &e);
    REQUIRE(ok == (j >= 0 && j < (long)m->n), "index %ld of %zu", i, m->n);
    if (ok) REQUIRE(entry_is(&e, &m->v[j]));
}

/* LINSERT: find the pivot by index or by walking, insert next to it. */
static void op_insert(quicklist *ql, tlist *m)
{
    if (!m->n) return;
    size_t at = trand(m->n);
    bool after = trand(2);
    quicklist_entry e;
    if (trand(2)) {
        REQUIRE(quicklist_index(ql, (long)at, &e));
    } else {
        quicklist_iter it;
        quicklist_iter_init(&it, ql, QUICKLIST_HEAD);
        for (size_t k = 0; k <= at; k++) REQUIRE(quicklist_next(&it, &e));
    }
    tval v = list_value();
    quicklist_insert(ql, &e, after, v.s, v.len);
    tlist_insert(m, at + after, v);
}

/* LSET, sometimes with a value too big for the node. */
static void op_replace(quicklist *ql, tlist *m)
{
    if (!m->n) return;
    size_t at = trand(m->n);
    tval v = trand(8) ? list_value() : tval_random(true);
    long index = trand(2) ? (long)at : (long)at - (long)m->n;
    REQUIRE(quicklist_replace_at(ql, index, v.s, v.len));
    free(m->v[at].s);
    m->v[at] = v;
    tval w = tval_int(1);
    REQUIRE(!quicklist_replace_at(ql, (long)m->n, w.s, w.len));
    free(w.s);
}

/* LTRIM-style range deletes, with out-of-range corners. */
static void op_del_range(quicklist *ql, tlist *m)
{
    long index = (long)trand(2 * m->n + 4) - (long)m->n - 2;
    long j = index < 0 ? index + (long)m->n : index;
    size_t count = trand(4) ? trand(10) : trand(m->n + 2);
    size_t expect = j < 0 || j >= (long)m->n ? 0 : count < m->n - (size_t)j ? count : m->n - (size_t)j;
    REQUIRE(quicklist_del_range(ql, index, count) == expect);
    if (expect) tlist_delete(m, (size_t)j, expect);
}

/* LREM: walk from either end (maybe from an index) deleting matches. */
static void op_iter_delete(quicklist *ql, tlist *m)
{
    if (!m->n) return;
    bool fwd = trand(2);
    size_t start = trand(3) ? (fwd ? 0 : m->n - 1) : trand(m->n);
    quicklist_iter it;
    quicklist_entry e;
    REQUIRE(quicklist_iter_init_at(&it, ql, fwd ? QUICKLIST_HEAD : QUICKLIST_TAIL, (long)start));
    size_t limit = trand(3) ? trand(8) : SIZE_MAX, removed = 0;
    const tval *t = &m->v[trand(m->n)];
    tval target = tval_make(t->s, t->len);
    /* Model position of the entry the iterator returns next. */
    long pos = (long)start;
    while (removed < limit && quicklist_next(&it, &e)) {
        REQUIRE(pos >= 0 && pos < (long)m->n && entry_is(&e, &m->v[pos]));
        if (tval_eq(&m->v[pos], target.s, target.len) || trand(6) == 0) {
            quicklist_iter_del(&it, &e);
            tlist_delete(m, (size_t)pos, 1);
            removed++;
            if (!fwd) pos--;
        } else {
            pos += fwd ? 1 : -1;
        }
    }
    if (removed < limit) REQUIRE(fwd ? pos == (long)m->n : pos == -1);
    free(target.s);
}

static void run_random(uint64_t seed, int fill, int depth, int ops)
{
    rk_random_seed(seed);
    quicklist *ql = quicklist_create(fill);
    quicklist_set_compress(ql, depth);
    tlist m = {0};
    for (int op = 0; op < ops; op++) {
        unsigned kind = (unsigned)trand(12);
        switch (kind) {
        case 0: case 1: case 2: case 3: op_push_pop(ql, &m); break;
        case 4: op_index(ql, &m); break;
        case 5: case 6: op_insert(ql, &m); break;
        case 7: op_replace(ql, &m); break;
        case 8: op_del_range(ql, &m); break;
        case 9: op_iter_delete(ql, &m); break;
        default: /* grow in bursts so nodes fill up and split */
            for (int k = 0; k < 20; k++) op_push_pop(ql, &m);
        }
        if (m.n > 600) {
            REQUIRE(quicklist_del_range(ql, 100, 300) == 300);
            tlist_delete(&m, 100, 300);
        }
        /* Reads (index, LREM's walk) and check_all's own walks leave a
         * node open and need not tidy the ends; changes settle. */
        check_compression(ql, kind != 4 && kind != 9);
        check_all(ql, &m);
        check_compression(ql, false);
    }
    quicklist_free(ql);
    tlist_free(&m);
}

Test(quicklist, randomized_against_model)
{
    static const int fills[] = {-1, -2, -3, -4, -5, 0, 1, 2, 3, 4, 8, 128, 40000, -9};
    for (size_t f = 0; f < RK_ARRAY_LEN(fills); f++) run_random(100 + f, fills[f], 0, 3000);
}

/* list-compress-depth 1 and 2: the same commands with interior nodes
 * compressed (decompressed on access, compressed again after). */
Test(quicklist, randomized_compressed_against_model)
{
    static const int fills[] = {-2, -1, 1, 2, 4, 16};
    seen_compressed = 0;
    for (int depth = 1; depth <= 2; depth++)
        for (size_t f = 0; f < RK_ARRAY_LEN(fills); f++) run_random(700 + f, fills[f], depth, 3000);
    cr_assert_gt(seen_compressed, 1000, "compressed nodes were exercised");
}

/* A deep list of compressible values: interior nodes compressed, the ends
 * not; reads and a deep copy see the same entries; changing the depth
 * moves the line at the ends and leaves the rest until touched. */
Test(quicklist, compressed_nodes_and_depth_changes)
{
    quicklist *ql = quicklist_create(-2);
    quicklist_set_compress(ql, 1);
    tlist m = {0};
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "value-%08d-padding-padding", i);
        quicklist_push(ql, QUICKLIST_TAIL, buf, (size_t)n);
        tlist_insert(&m, m.n, tval_make(buf, (size_t)n));
    }
    cr_assert_gt(ql->len, 10);
    cr_assert(!ql->head->compressed && !ql->tail->compressed);
    for (quicklist_node *n = ql->head->next; n != ql->tail; n = n->next) cr_assert(n->compressed);
    check_compression(ql, true);
    size_t packed = quicklist_mem_usage(ql);

    quicklist *copy = quicklist_dup(ql);
    cr_assert_eq(quicklist_mem_usage(copy), packed);
    check_all(copy, &m);
    quicklist_free(copy);

    quicklist_entry e;
    cr_assert(quicklist_index(ql, 10000, &e) && entry_is(&e, &m.v[10000]));
    cr_assert(ql->open == e.node, "a read leaves its node open");
    cr_assert(quicklist_index(ql, 15000, &e) && entry_is(&e, &m.v[15000]));
    cr_assert(ql->open == e.node);
    check_compression(ql, true); /* the node opened first is compressed again */

    quicklist_set_compress(ql, 3);
    check_compression(ql, true);
    cr_assert(!ql->head->next->next->compressed && ql->head->next->next->next->compressed);
    quicklist_set_compress(ql, 0);
    cr_assert(!ql->open);
    size_t still = 0;
    for (quicklist_node *n = ql->head; n; n = n->next) still += n->compressed;
    cr_assert_gt(still, 0, "depth 0 leaves untouched nodes as they are");
    check_all(ql, &m); /* reads at depth 0 decompress for good */
    for (quicklist_node *n = ql->head; n; n = n->next) cr_assert(!n->compressed);
    cr_assert_gt(quicklist_mem_usage(ql), packed * 2);
    quicklist_free(ql);
    tlist_free(&m);
}

/* Nodes that do not compress (random bytes, or under 48 bytes) stay plain
 * and are not tried again until they change. */
Test(quicklist, incompressible_nodes_stay_plain)
{
    quicklist *ql = quicklist_create(4);
    quicklist_set_compress(ql, 1);
    for (int i = 0; i < 40; i++) quicklist_push(ql, QUICKLIST_TAIL, "ab", 2); /* 10 tiny nodes */
    for (quicklist_node *n = ql->head; n; n = n->next) cr_assert(!n->compressed);
    check_compression(ql, true);
    quicklist_free(ql);
}

/* ---- same node layout as Redis 7.0 ---- */

static void expect_nodes(const quicklist *ql, const unsigned *counts, size_t n)
{
    size_t i = 0;
    for (const quicklist_node *node = ql->head; node; node = node->next, i++)
        cr_expect(i < n && node->count == counts[i], "node %zu: %u entries, Redis had %u", i,
                  node->count, i < n ? counts[i] : 0);
    cr_assert_eq(i, n);
}

/* Node entry counts read from DUMP of the same list built on Redis 7.0. */
Test(quicklist, node_layout_matches_redis)
{
    char *buf = malloc(5000);
    memset(buf, 'x', 5000);
    quicklist *ql = quicklist_create(-2);
    for (int i = 0; i < 2000; i++) quicklist_push(ql, QUICKLIST_TAIL, buf, (size_t)(i * 37) % 300);
    static const unsigned a[] = {54, 51, 55, 52, 52, 53, 55, 53, 52, 54, 51, 54, 53, 54, 50, 53, 53,
                                 53, 52, 55, 51, 53, 53, 54, 51, 54, 52, 52, 52, 55, 51, 53, 52, 54,
                                 51, 54, 53, 46};
    expect_nodes(ql, a, RK_ARRAY_LEN(a));
    quicklist_free(ql);

    ql = quicklist_create(5);
    char v[32];
    for (int i = 0; i < 23; i++) quicklist_push(ql, QUICKLIST_HEAD, v, (size_t)snprintf(v, 32, "v%d", i));
    for (int i = 0; i < 20; i++) quicklist_push(ql, QUICKLIST_TAIL, v, (size_t)snprintf(v, 32, "%d", i * 1000));
    static const unsigned b[] = {3, 5, 5, 5, 5, 5, 5, 5, 5};
    expect_nodes(ql, b, RK_ARRAY_LEN(b));
    quicklist_free(ql);

    ql = quicklist_create(-1);
    memset(buf, 'y', 5000);
    for (int i = 0; i < 60; i++)
        quicklist_push(ql, QUICKLIST_TAIL, buf, i % 17 == 3 ? 5000 : (size_t)(i * 53) % 700);
    static const unsigned c[] = {3, 1, 9, 7, 1, 11, 5, 1, 12, 4, 1, 5};
    expect_nodes(ql, c, RK_ARRAY_LEN(c));
    quicklist_free(ql);
    free(buf);
}

/* LINSERT into full nodes: split, neighbour edge, new head node. */
Test(quicklist, insert_split_matches_redis)
{
    quicklist *ql = quicklist_create(4);
    char v[8];
    for (int i = 1; i <= 12; i++) quicklist_push(ql, QUICKLIST_TAIL, v, (size_t)snprintf(v, 8, "%d", i));
    static const struct { long pivot; bool after; const char *val; unsigned nodes[6]; size_t n; } steps[] = {
        {5, false, "x", {4, 2, 3, 4}, 4},       /* LINSERT before 6 */
        {10, true, "y", {4, 2, 3, 2, 3}, 5},    /* after 10 */
        {3, true, "z", {4, 3, 3, 2, 3}, 5},     /* after 4 */
        {0, false, "w", {1, 4, 3, 3, 2, 3}, 6}, /* before 1 */
    };
    for (size_t s = 0; s < RK_ARRAY_LEN(steps); s++) {
        quicklist_entry e;
        cr_assert(quicklist_index(ql, steps[s].pivot, &e));
        quicklist_insert(ql, &e, steps[s].after, steps[s].val, 1);
        expect_nodes(ql, steps[s].nodes, steps[s].n);
    }
    static const char *const want[] = {"w", "1", "2", "3", "4", "z", "5", "x", "6", "7", "8",
                                       "9", "10", "y", "11", "12"};
    quicklist_iter it;
    quicklist_entry e;
    quicklist_iter_init(&it, ql, QUICKLIST_HEAD);
    for (size_t i = 0; i < RK_ARRAY_LEN(want); i++) {
        cr_assert(quicklist_next(&it, &e));
        cr_assert(quicklist_entry_eq(&e, want[i], strlen(want[i])), "at %zu", i);
    }
    cr_assert(!quicklist_next(&it, &e));
    quicklist_free(ql);
}

/* ---- edge cases ---- */

Test(quicklist, empty_list)
{
    quicklist *ql = quicklist_create(-2);
    unsigned char *data;
    size_t len;
    long long ll;
    quicklist_entry e;
    quicklist_iter it;
    cr_assert(!quicklist_pop(ql, QUICKLIST_HEAD, &data, &len, &ll));
    cr_assert(!quicklist_index(ql, 0, &e));
    cr_assert(!quicklist_index(ql, -1, &e));
    cr_assert(!quicklist_replace_at(ql, 0, "a", 1));
    cr_assert_eq(quicklist_del_range(ql, 0, 10), 0);
    cr_assert(!quicklist_iter_init_at(&it, ql, QUICKLIST_HEAD, 0));
    cr_assert(!quicklist_next(&it, &e));
    quicklist_iter_init(&it, ql, QUICKLIST_TAIL);
    cr_assert(!quicklist_next(&it, &e));
    cr_assert_eq(quicklist_count(ql), 0);
    quicklist_free(ql);
}

Test(quicklist, pop_hands_over_strings_and_ints)
{
    quicklist *ql = quicklist_create(-2);
    quicklist_push(ql, QUICKLIST_TAIL, "9223372036854775807", 19);
    quicklist_push(ql, QUICKLIST_TAIL, "a\0b", 3);
    quicklist_push(ql, QUICKLIST_TAIL, "", 0);
    unsigned char *data;
    size_t len;
    long long ll;
    cr_assert(quicklist_pop(ql, QUICKLIST_HEAD, &data, &len, &ll));
    cr_assert(data == NULL && ll == INT64_MAX);
    cr_assert(quicklist_pop(ql, QUICKLIST_TAIL, &data, &len, &ll));
    cr_assert(data != NULL && len == 0);
    rk_free(data);
    cr_assert(quicklist_pop(ql, QUICKLIST_TAIL, &data, &len, &ll));
    cr_assert(len == 3 && memcmp(data, "a\0b", 3) == 0);
    rk_free(data);
    cr_assert_null(ql->head);
    cr_assert_eq(ql->len, 0);
    quicklist_free(ql);
}

/* Deleting every entry while iterating, both ways, frees every node. */
Test(quicklist, delete_all_while_iterating)
{
    for (int dir = 0; dir < 2; dir++) {
        quicklist *ql = quicklist_create(3);
        for (int i = 0; i < 100; i++) quicklist_push(ql, QUICKLIST_TAIL, "ab", 2);
        quicklist_iter it;
        quicklist_entry e;
        quicklist_iter_init(&it, ql, dir ? QUICKLIST_TAIL : QUICKLIST_HEAD);
        int n = 0;
        while (quicklist_next(&it, &e)) {
            quicklist_iter_del(&it, &e);
            n++;
        }
        cr_assert_eq(n, 100);
        cr_assert_eq(quicklist_count(ql), 0);
        cr_assert_null(ql->head);
        cr_assert_null(ql->tail);
        quicklist_free(ql);
    }
}

Test(quicklist, fill_is_clamped_and_big_values_live_alone)
{
    quicklist *ql = quicklist_create(-100);
    cr_assert_eq(ql->fill, -5);
    quicklist_set_fill(ql, 1 << 20);
    cr_assert_eq(ql->fill, QUICKLIST_FILL_MAX);
    quicklist_set_fill(ql, -2);
    char *big = malloc(10000);
    memset(big, 'q', 10000);
    quicklist_push(ql, QUICKLIST_TAIL, "a", 1);
    quicklist_push(ql, QUICKLIST_TAIL, big, 10000);
    quicklist_push(ql, QUICKLIST_TAIL, "b", 1);
    cr_assert_eq(ql->len, 3);
    cr_assert_eq(ql->head->next->count, 1);
    /* LSET of a big value in a shared node moves it out. */
    for (int i = 0; i < 10; i++) quicklist_push(ql, QUICKLIST_HEAD, "c", 1);
    cr_assert(quicklist_replace_at(ql, 3, big, 9000));
    quicklist_node *n;
    for (n = ql->head; n; n = n->next) cr_assert(n->count == 1 || n->sz <= 8192);
    quicklist_entry e;
    cr_assert(quicklist_index(ql, 3, &e) && e.len == 9000);
    free(big);
    quicklist_free(ql);
}

Test(quicklist, append_listpack_node)
{
    quicklist *ql = quicklist_create(-2);
    quicklist_push(ql, QUICKLIST_TAIL, "first", 5);
    unsigned char *lp = lp_append_int(lp_append(lp_new(0), "x", 1), 42);
    quicklist_append_listpack(ql, lp);
    cr_assert_eq(quicklist_count(ql), 3);
    cr_assert_eq(ql->len, 2);
    quicklist_entry e;
    cr_assert(quicklist_index(ql, -1, &e) && !e.str && e.ll == 42);
    quicklist_free(ql);
}

Test(quicklist, memory_per_element)
{
    quicklist *ql = quicklist_create(-2);
    char v[16];
    for (int i = 0; i < 100000; i++) quicklist_push(ql, QUICKLIST_TAIL, v, (size_t)snprintf(v, 16, "v%07d", i));
    size_t lp_total = 0;
    for (quicklist_node *n = ql->head; n; n = n->next) lp_total += n->sz;
    size_t mem = quicklist_mem_usage(ql);
    cr_log_info("100000 8-byte strings, fill -2: %zu nodes, %.2f listpack bytes/elem, %.2f allocated/elem",
                ql->len, lp_total / 1e5, mem / 1e5);
    cr_assert(mem < 100000 * 11);
    quicklist_free(ql);
}

/* The limits small lists are converted by, restated from Redis's
 * quicklistNodeLimit / quicklistNodeExceedsLimit. */
Test(quicklist, node_limits)
{
    size_t sz, count;
    quicklist_node_limit(-2, &sz, &count);
    cr_assert(sz == 8192 && count == SIZE_MAX);
    quicklist_node_limit(-100, &sz, &count);
    cr_assert(sz == 65536);
    quicklist_node_limit(0, &sz, &count);
    cr_assert(sz == SIZE_MAX && count == 1);
    quicklist_node_limit(128, &sz, &count);
    cr_assert(sz == SIZE_MAX && count == 128);
    quicklist_node_limit(1 << 20, &sz, &count);
    cr_assert(count == QUICKLIST_FILL_MAX);

    cr_assert(!quicklist_node_exceeds(-1, 4096, 100000));
    cr_assert(quicklist_node_exceeds(-1, 4097, 1));
    cr_assert(!quicklist_node_exceeds(128, 8192, 128));
    cr_assert(quicklist_node_exceeds(128, 8192, 129));
    cr_assert(quicklist_node_exceeds(128, 8193, 2)); /* the safety cap of count fills */
    cr_assert(!quicklist_node_exceeds(0, 100, 1));
    cr_assert(quicklist_node_exceeds(0, 100, 2));
}

Test(quicklist, listpack_round_trip)
{
    unsigned char *lp = lp_append_int(lp_append(lp_new(0), "a", 1), 7);
    quicklist *ql = quicklist_from_listpack(-2, lp);
    cr_assert(ql->len == 1 && quicklist_count(ql) == 2 && ql->head->lp == lp);
    quicklist_push(ql, QUICKLIST_HEAD, "z", 1);
    unsigned char *back = quicklist_to_listpack(ql);
    cr_assert_eq(lp_len(back), 3);
    size_t len;
    char buf[RK_LONG_STR_SIZE];
    const unsigned char *s = lp_get_str(lp_first(back), &len, buf);
    cr_assert(len == 1 && s[0] == 'z');
    lp_free(back);

    /* Empty ends: an empty listpack makes an empty list and back. */
    ql = quicklist_from_listpack(-2, lp_new(0));
    cr_assert(ql->len == 0 && quicklist_count(ql) == 0 && !ql->head);
    back = quicklist_to_listpack(ql);
    cr_assert_eq(lp_len(back), 0);
    lp_free(back);
}
