/* Unit tests for the list value (listval): randomized list commands on
 * both encodings against an array, with the conversion rules checked after
 * every step (a listpack never breaks the fill; a quicklist that got small
 * enough turns back), and dup as a deep copy. */
#include "ds_check.h"
#include "ringkv/data/listpack.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/object.h"

/* The depth the random runs use (list-compress-depth); 0: none. */
static int depth;
static size_t seen_compressed;
#define LIM(fill) list_limits_of((fill), depth)

static bool entry_is(const listval_entry *e, const tval *t)
{
    return tval_is(t, e->str, e->len, e->ll) && listval_entry_eq(e, t->s, t->len);
}

static void check_all(struct kv *kv, const tlist *m, int fill)
{
    REQUIRE(listval_len(kv) == m->n, "%zu %zu", listval_len(kv), m->n);
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        REQUIRE(lp_validate(lp, lp_bytes(lp), true));
        REQUIRE(m->n <= 1 || !quicklist_node_exceeds(fill, lp_bytes(lp), lp_len(lp)),
                "fill %d: listpack of %zu bytes, %zu entries", fill, lp_bytes(lp), lp_len(lp));
    } else {
        REQUIRE(kv->enc == ENC_QUICKLIST);
        const quicklist *ql = kv->v.ptr;
        REQUIRE(ql->compress == depth);
        for (const quicklist_node *n = ql->head; n; n = n->next) seen_compressed += n->compressed;
    }
    struct listval_iter it;
    listval_entry e;
    size_t i = 0;
    if (listval_iter_init(&it, kv, LISTVAL_HEAD, 0))
        while (listval_next(&it, &e)) REQUIRE(i < m->n && entry_is(&e, &m->v[i++]));
    REQUIRE(i == m->n);
    if (listval_iter_init(&it, kv, LISTVAL_TAIL, -1))
        while (listval_next(&it, &e)) REQUIRE(i > 0 && entry_is(&e, &m->v[--i]));
    REQUIRE(i == 0);
}

/* After removals a command calls try_shrink; a one-node quicklist within
 * half the limits must then be a listpack. */
static void shrink_and_check(struct kv *kv, int fill)
{
    listval_try_shrink(kv, LIM(fill));
    if (kv->enc != ENC_QUICKLIST) return;
    quicklist *ql = kv->v.ptr;
    size_t sz, count;
    quicklist_node_limit(fill, &sz, &count);
    REQUIRE(ql->len > 1 || (ql->head && (ql->head->sz > sz / 2 || ql->head->count > count / 2)));
}

static tval value(void) { return trand(12) ? tval_random(false) : tval_random(true); }

static void op_push(struct kv *kv, tlist *m, int fill)
{
    bool head = trand(2);
    tval v = value();
    listval_push(kv, head ? LISTVAL_HEAD : LISTVAL_TAIL, v.s, v.len, LIM(fill));
    tlist_insert(m, head ? 0 : m->n, v);
}

static void op_insert_or_replace(struct kv *kv, tlist *m, int fill)
{
    if (!m->n) return;
    size_t at = trand(m->n);
    listval_entry e;
    REQUIRE(listval_index(kv, trand(2) ? (long)at : (long)at - (long)m->n, &e));
    REQUIRE(entry_is(&e, &m->v[at]));
    tval v = value();
    if (trand(2)) {
        bool after = trand(2);
        listval_insert(kv, &e, after, v.s, v.len, LIM(fill));
        tlist_insert(m, at + after, v);
    } else {
        listval_replace(kv, &e, v.s, v.len, LIM(fill));
        free(m->v[at].s);
        m->v[at] = v;
        shrink_and_check(kv, fill);
    }
}

static void op_del_range(struct kv *kv, tlist *m, int fill)
{
    long index = (long)trand(2 * m->n + 4) - (long)m->n - 2;
    long j = index < 0 ? index + (long)m->n : index;
    size_t count = trand(3) ? trand(6) : trand(m->n + 2);
    size_t expect = j < 0 || j >= (long)m->n ? 0 : count < m->n - (size_t)j ? count : m->n - (size_t)j;
    REQUIRE(listval_del_range(kv, index, count) == expect);
    if (expect) tlist_delete(m, (size_t)j, expect);
    shrink_and_check(kv, fill);
}

/* LREM-style: walk from an end deleting some entries. */
static void op_iter_delete(struct kv *kv, tlist *m, int fill)
{
    if (!m->n) return;
    bool fwd = trand(2);
    struct listval_iter it;
    listval_entry e;
    REQUIRE(listval_iter_init(&it, kv, fwd ? LISTVAL_HEAD : LISTVAL_TAIL, fwd ? 0 : -1));
    long pos = fwd ? 0 : (long)m->n - 1;
    while (listval_next(&it, &e)) {
        REQUIRE(pos >= 0 && pos < (long)m->n && entry_is(&e, &m->v[pos]));
        if (trand(4) == 0) {
            listval_iter_del(&it, &e);
            tlist_delete(m, (size_t)pos, 1);
            if (!fwd) pos--;
        } else {
            pos += fwd ? 1 : -1;
        }
    }
    REQUIRE(fwd ? pos == (long)m->n : pos == -1);
    shrink_and_check(kv, fill);
}

static void check_dup(struct kv *kv, const tlist *m, int fill)
{
    struct kv *copy = kv_dup(kv, "copy", 4);
    REQUIRE(copy->enc == kv->enc && copy->v.ptr != kv->v.ptr);
    check_all(copy, m, fill);
    /* Independent: emptying the copy leaves the original intact. */
    listval_del_range(copy, 0, m->n);
    REQUIRE(listval_len(copy) == 0);
    kv_free(copy);
    check_all(kv, m, fill);
}

static void run_random(uint64_t seed, int fill, int ops)
{
    rk_random_seed(seed);
    obj_types_setup();
    struct kv *kv = listval_create("k", 1);
    tlist m = {0};
    bool saw_lp = false, saw_ql = false, saw_back = false;
    for (int op = 0; op < ops; op++) {
        enum obj_encoding before = kv->enc;
        switch (trand(10)) {
        case 0: case 1: case 2: op_push(kv, &m, fill); break;
        case 3: case 4: op_insert_or_replace(kv, &m, fill); break;
        case 5: op_del_range(kv, &m, fill); break;
        case 6: op_iter_delete(kv, &m, fill); break;
        case 7: if (trand(20) == 0) check_dup(kv, &m, fill); break;
        case 8:
            if (trand(10) == 0) { /* a run of big values: past even 64 KB */
                for (int k = 0; k < 20; k++) {
                    tval v = tval_make(NULL, 0);
                    free(v.s);
                    v.len = 4000;
                    v.s = malloc(v.len);
                    memset(v.s, 'a' + k, v.len);
                    listval_push(kv, LISTVAL_TAIL, v.s, v.len, LIM(fill));
                    tlist_insert(&m, m.n, v);
                }
            }
            break;
        default:
            for (int k = 0; k < (int)trand(40); k++) op_push(kv, &m, fill);
        }
        if (m.n > 400) {
            REQUIRE(listval_del_range(kv, 0, m.n - 10) == m.n - 10);
            tlist_delete(&m, 0, m.n - 10);
            shrink_and_check(kv, fill);
        }
        saw_lp |= kv->enc == ENC_LISTPACK;
        saw_ql |= kv->enc == ENC_QUICKLIST;
        saw_back |= before == ENC_QUICKLIST && kv->enc == ENC_LISTPACK;
        check_all(kv, &m, fill);
    }
    /* Fills 0 and 1 never go back: half of one entry is none. */
    REQUIRE(saw_lp && saw_ql && (saw_back || fill == 0 || fill == 1),
            "fill %d: both encodings and the way back", fill);
    kv_free(kv);
    tlist_free(&m);
}

Test(listval, randomized_against_model)
{
    static const int fills[] = {-2, -1, -5, 0, 1, 2, 5, 128, -9};
    depth = 0;
    for (size_t f = 0; f < RK_ARRAY_LEN(fills); f++) run_random(500 + f, fills[f], 2500);
}

/* The same with list-compress-depth 1 and 2: compressed interior nodes
 * through every change, the conversions and dup. */
Test(listval, randomized_compressed_against_model)
{
    static const int fills[] = {-2, 1, 2, 5};
    seen_compressed = 0;
    for (depth = 1; depth <= 2; depth++)
        for (size_t f = 0; f < RK_ARRAY_LEN(fills); f++) run_random(900 + f, fills[f], 2500);
    depth = 0;
    cr_assert_gt(seen_compressed, 100, "compressed nodes were exercised");
}

/* A new depth reaches a list when it next changes; no list breaks. */
Test(listval, depth_changes_apply_on_next_change)
{
    obj_types_setup();
    struct kv *kv = listval_create("k", 1);
    char buf[64];
    for (int i = 0; i < 5000; i++)
        listval_push(kv, LISTVAL_TAIL, buf, (size_t)snprintf(buf, sizeof buf, "item:%06d:xxxxxxxx", i),
                     list_limits_of(-2, 0));
    quicklist *ql = kv->v.ptr;
    cr_assert_eq(ql->compress, 0);
    listval_push(kv, LISTVAL_HEAD, "h", 1, list_limits_of(-2, 1));
    cr_assert_eq(ql->compress, 1);
    cr_assert(ql->head->next->compressed && !ql->head->compressed, "the line at the ends moved at once");
    struct kv *copy = kv_dup(kv, "c", 1);
    listval_entry e, f;
    for (long i = 0; i <= 5000; i += 7) {
        cr_assert(listval_index(kv, i, &e) && listval_index(copy, i, &f));
        cr_assert(e.len == f.len && !memcmp(e.str, f.str, e.len));
    }
    cr_assert(listval_index(kv, 2500, &e));
    listval_replace(kv, &e, "middle", 6, list_limits_of(-2, 0));
    cr_assert_eq(ql->compress, 0);
    cr_assert(listval_index(kv, 2500, &e) && e.len == 6 && !memcmp(e.str, "middle", 6));
    cr_assert(listval_index(copy, 1, &e) && e.len == 20 && !memcmp(e.str, "item:000000:xxxxxxxx", 20));
    kv_free(copy);
    kv_free(kv);
}

Test(listval, conversion_points)
{
    obj_types_setup();
    struct kv *kv = listval_create("k", 1);
    /* Count fill 4: the fifth entry makes a quicklist (nodes of 4 and 1);
     * back to a listpack only as one node of at most 2 (half). */
    for (int i = 0; i < 4; i++) listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    cr_assert_eq(kv->enc, ENC_QUICKLIST);
    listval_del_range(kv, 0, 2);
    listval_try_shrink(kv, LIM(4));
    cr_assert_eq(kv->enc, ENC_QUICKLIST); /* two nodes */
    listval_del_range(kv, 0, 2);
    listval_try_shrink(kv, LIM(4));
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    cr_assert_eq(listval_len(kv), 1);
    listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    listval_push(kv, LISTVAL_TAIL, "abc", 3, LIM(4));
    cr_assert_eq(kv->enc, ENC_QUICKLIST); /* one node of 5 would break the fill */
    listval_del_range(kv, -2, 2);
    listval_try_shrink(kv, LIM(4));
    cr_assert_eq(kv->enc, ENC_QUICKLIST); /* 3 entries > 4/2: hysteresis */
    listval_del_range(kv, -2, 2);
    listval_try_shrink(kv, LIM(4));
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    cr_assert_eq(listval_len(kv), 1);

    /* Size fill -1 (4 KB): one big value converts even a short list. */
    char big[5000];
    memset(big, 'b', sizeof big);
    listval_push(kv, LISTVAL_HEAD, big, sizeof big, LIM(-1));
    cr_assert_eq(kv->enc, ENC_QUICKLIST);
    listval_entry e;
    cr_assert(listval_index(kv, 0, &e) && e.len == sizeof big);
    listval_del_range(kv, 0, 1);
    listval_try_shrink(kv, LIM(-1));
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    cr_assert_eq(listval_len(kv), 1);
    kv_free(kv);
}
