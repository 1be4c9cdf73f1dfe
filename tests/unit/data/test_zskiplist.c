/* Unit tests for zskiplist: randomized sorted-set operations (insert,
 * delete, score update, rank, score/lex/rank ranges and range deletes)
 * against a sorted array, checking links, spans and order every step; and
 * range argument parsing as Redis 7.0 does it. */
#include "ds_check.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/zskiplist.h"

#include <math.h>

/* ---- reference model: array sorted by (score, member) ---- */

typedef struct zitem {
    double score;
    tval m;
} zitem;

typedef struct zmodel {
    zitem v[700];
    size_t n;
} zmodel;

static int mcmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t min = alen < blen ? alen : blen;
    int c = min ? memcmp(a, b, min) : 0;
    return c ? c : (alen > blen) - (alen < blen);
}

static int icmp(const zitem *x, double score, const tval *m)
{
    if (x->score < score) return -1;
    if (x->score > score) return 1;
    return mcmp(x->m.s, x->m.len, m->s, m->len);
}

static long z_find(const zmodel *z, const tval *m)
{
    for (size_t i = 0; i < z->n; i++)
        if (tval_eq(&z->v[i].m, m->s, m->len)) return (long)i;
    return -1;
}

static void z_insert(zmodel *z, double score, tval m)
{
    size_t i = 0;
    while (i < z->n && icmp(&z->v[i], score, &m) < 0) i++;
    memmove(&z->v[i + 1], &z->v[i], (z->n - i) * sizeof(zitem));
    z->v[i] = (zitem){score, m};
    z->n++;
}

static void z_remove(zmodel *z, size_t i)
{
    free(z->v[i].m.s);
    memmove(&z->v[i], &z->v[i + 1], (z->n - i - 1) * sizeof(zitem));
    z->n--;
}

static bool node_is(const zsl_node *n, const zitem *it)
{
    return n && n->score == it->score && tval_eq(&it->m, zsl_member(n), n->mlen);
}

/* ---- invariants ---- */

static void check_all(const zskiplist *zsl, const zmodel *z)
{
    static const zsl_node *nodes[701];
    REQUIRE(zsl_length(zsl) == z->n);
    const zsl_node *prev = NULL;
    int maxh = 1;
    size_t i = 0;
    for (const zsl_node *n = zsl_first(zsl); n; prev = n, n = zsl_next(n), i++) {
        REQUIRE(i < z->n && node_is(n, &z->v[i]), "at %zu", i);
        REQUIRE(zsl_prev(n) == prev);
        REQUIRE(n->height >= 1 && n->height <= ZSL_MAX_LEVEL);
        if (n->height > maxh) maxh = n->height;
        nodes[i + 1] = n;
    }
    REQUIRE(i == z->n && zsl_last(zsl) == prev);
    REQUIRE(zsl->level == maxh, "level %d, tallest node %d", zsl->level, maxh);
    /* Spans: steps to the forward node, or to one past the tail. */
    nodes[0] = zsl->header;
    for (int l = 0; l < zsl->level; l++) {
        size_t r = 0;
        while (1) {
            const zsl_node *x = nodes[r], *f = x->level[l].forward;
            size_t fr = r + 1;
            while (f && nodes[fr] != f) fr++;
            REQUIRE(fr <= z->n + 1 && x->level[l].span == (f ? fr : z->n) - r,
                    "level %d rank %zu: span %zu", l, r, x->level[l].span);
            if (!f) break;
            REQUIRE(f->height > l);
            r = fr;
        }
    }
}

/* ---- generators ---- */

static double random_score(void)
{
    switch (trand(8)) {
    case 0: return INFINITY;
    case 1: return -INFINITY;
    case 2: return trand(2) ? 0.0 : -0.0;
    case 3: return (double)(long long)(rk_random64() >> 1) / 7.0;
    default: return (double)trand(20) - 5; /* many ties */
    }
}

static tval random_member(void)
{
    if (trand(3)) {
        char buf[16];
        return tval_make(buf, (size_t)snprintf(buf, sizeof(buf), "m%llu", trand(3000)));
    }
    tval v = tval_random(false);
    if (v.len > 40) v.len = 40;
    return v;
}

static zsl_range random_range(const zmodel *z)
{
    zsl_range r;
    double a = z->n && trand(2) ? z->v[trand(z->n)].score : random_score();
    double b = z->n && trand(2) ? z->v[trand(z->n)].score : random_score();
    r.min = trand(5) ? fmin(a, b) : fmax(a, b); /* sometimes inverted */
    r.max = r.min == a ? b : a;
    r.minex = trand(3) == 0;
    r.maxex = trand(3) == 0;
    return r;
}

static bool in_range(const zsl_range *r, double s)
{
    return (r->minex ? s > r->min : s >= r->min) && (r->maxex ? s < r->max : s <= r->max);
}

/* Range deletions report members here, checked against the model. */
typedef struct removed_log {
    const zmodel *z;
    size_t first, seen;
} removed_log;

static void on_removed(void *ctx, zsl_node *n)
{
    removed_log *log = ctx;
    REQUIRE(node_is(n, &log->z->v[log->first + log->seen]), "removal %zu", log->seen);
    log->seen++;
}

/* Deletes model items [first, first + count) after checking the log. */
static void z_remove_run(zmodel *z, const removed_log *log, size_t removed, size_t first, size_t count)
{
    REQUIRE(removed == count && log->seen == count, "%zu %zu %zu", removed, log->seen, count);
    for (size_t k = 0; k < count; k++) z_remove(z, first);
}

/* ---- randomized operations ---- */

static void op_insert(zskiplist *zsl, zmodel *z)
{
    tval m = random_member();
    double score = random_score();
    if (z_find(z, &m) >= 0 || z->n >= 690) {
        free(m.s);
        return;
    }
    zsl_node *n = zsl_insert(zsl, score, m.s, m.len);
    REQUIRE(n->score == score && tval_eq(&m, zsl_member(n), n->mlen));
    z_insert(z, score, m);
}

static void op_delete(zskiplist *zsl, zmodel *z)
{
    tval m = random_member();
    if (z_find(z, &m) < 0) REQUIRE(!zsl_delete(zsl, random_score(), m.s, m.len, NULL));
    free(m.s);
    if (!z->n) return;
    size_t at = trand(z->n);
    const tval *t = &z->v[at].m;
    /* Wrong score: not found. Right score: removed. */
    REQUIRE(!zsl_delete(zsl, z->v[at].score == 1.5 ? 2.5 : 1.5, t->s, t->len, NULL));
    zsl_node *out = NULL;
    bool keep = trand(2);
    REQUIRE(zsl_delete(zsl, z->v[at].score, t->s, t->len, keep ? &out : NULL));
    if (keep) {
        REQUIRE(node_is(out, &z->v[at]));
        zsl_node_free(out);
    }
    z_remove(z, at);
}

static void op_update(zskiplist *zsl, zmodel *z)
{
    if (!z->n) return;
    size_t at = trand(z->n);
    zsl_node *n = zsl_by_rank(zsl, at + 1);
    REQUIRE(node_is(n, &z->v[at]));
    /* Nudge within neighbours sometimes, to hit the in-place path. */
    double s = trand(2) ? random_score() : z->v[at].score + (trand(2) ? 1e-9 : -1e-9);
    REQUIRE(zsl_update_score(zsl, n, s) == n && n->score == s);
    tval m = z->v[at].m;
    memmove(&z->v[at], &z->v[at + 1], (z->n - at - 1) * sizeof(zitem));
    z->n--;
    z_insert(z, s, m);
}

static void op_rank(zskiplist *zsl, const zmodel *z)
{
    if (z->n) {
        size_t at = trand(z->n);
        REQUIRE(zsl_rank(zsl, z->v[at].score, z->v[at].m.s, z->v[at].m.len) == at + 1);
        double other = z->v[at].score == 1.5 ? 2.5 : 1.5;
        REQUIRE(zsl_rank(zsl, other, z->v[at].m.s, z->v[at].m.len) == 0);
    }
    tval m = random_member();
    long at = z_find(z, &m);
    if (at < 0) REQUIRE(zsl_rank(zsl, 0, m.s, m.len) == 0);
    free(m.s);
    size_t r = trand(z->n + 2);
    zsl_node *n = zsl_by_rank(zsl, r);
    REQUIRE(r >= 1 && r <= z->n ? node_is(n, &z->v[r - 1]) : n == NULL, "rank %zu", r);
}

static void op_score_range(zskiplist *zsl, zmodel *z)
{
    zsl_range r = random_range(z);
    long first = -1, last = -1;
    for (size_t i = 0; i < z->n; i++)
        if (in_range(&r, z->v[i].score)) {
            if (first < 0) first = (long)i;
            last = (long)i;
        }
    REQUIRE(!zsl_range_is_empty(&r) || first < 0);
    zsl_node *f = zsl_first_in_range(zsl, &r), *l = zsl_last_in_range(zsl, &r);
    REQUIRE(first < 0 ? f == NULL : node_is(f, &z->v[first]));
    REQUIRE(last < 0 ? l == NULL : node_is(l, &z->v[last]));
    if (trand(6) == 0 && z->n > 300) { /* ZREMRANGEBYSCORE */
        removed_log log = {z, first < 0 ? 0 : (size_t)first, 0};
        size_t removed = zsl_delete_range_by_score(zsl, &r, on_removed, &log);
        z_remove_run(z, &log, removed, log.first, first < 0 ? 0 : (size_t)(last - first + 1));
    }
}

static void op_rank_range(zskiplist *zsl, zmodel *z)
{
    size_t start = trand(z->n + 3), end = start + trand(6) - 1;
    bool valid = start >= 1 && start <= end && start <= z->n;
    size_t count = valid ? (end < z->n ? end : z->n) - start + 1 : 0;
    removed_log log = {z, valid ? start - 1 : 0, 0};
    size_t removed = zsl_delete_range_by_rank(zsl, start, end, trand(5) ? on_removed : NULL, &log);
    if (!log.seen) log.seen = removed; /* no callback given */
    z_remove_run(z, &log, removed, log.first, count);
}

static void run_random(uint64_t seed, int ops)
{
    rk_random_seed(seed);
    zskiplist *zsl = zsl_create();
    zmodel *z = calloc(1, sizeof(*z));
    for (int op = 0; op < ops; op++) {
        switch (trand(10)) {
        case 0: case 1: case 2: op_insert(zsl, z); break;
        case 3: op_delete(zsl, z); break;
        case 4: case 5: op_update(zsl, z); break;
        case 6: op_rank(zsl, z); break;
        case 7: case 8: op_score_range(zsl, z); break;
        default: trand(4) ? op_rank(zsl, z) : op_rank_range(zsl, z); break;
        }
        check_all(zsl, z);
    }
    while (z->n) z_remove(z, 0);
    free(z);
    zsl_free(zsl);
}

Test(zskiplist, randomized_against_model)
{
    for (uint64_t seed = 1; seed <= 8; seed++) run_random(seed, 5000);
}

/* ---- lex ranges: every score equal, as ZRANGEBYLEX requires ---- */

static zsl_lex_bound random_lex_bound(const zmodel *z, tval *keep)
{
    zsl_lex_bound b;
    unsigned k = (unsigned)trand(10);
    if (k == 0) return (zsl_lex_bound){ZSL_LEX_MIN, NULL, 0};
    if (k == 1) return (zsl_lex_bound){ZSL_LEX_MAX, NULL, 0};
    if (z->n && trand(2)) { /* an exact member */
        const tval *src = &z->v[trand(z->n)].m;
        *keep = tval_make(src->s, src->len);
    } else {
        *keep = random_member();
    }
    b.kind = trand(2) ? ZSL_LEX_INCL : ZSL_LEX_EXCL;
    b.s = keep->s;
    b.len = keep->len;
    return b;
}

static bool lex_in(const zsl_lex_range *r, const tval *m)
{
    const zsl_lex_bound *lo = &r->min, *hi = &r->max;
    bool ge = lo->kind == ZSL_LEX_MIN ? true : lo->kind == ZSL_LEX_MAX ? false
            : lo->kind == ZSL_LEX_INCL ? mcmp(m->s, m->len, lo->s, lo->len) >= 0
                                       : mcmp(m->s, m->len, lo->s, lo->len) > 0;
    bool le = hi->kind == ZSL_LEX_MAX ? true : hi->kind == ZSL_LEX_MIN ? false
            : hi->kind == ZSL_LEX_INCL ? mcmp(m->s, m->len, hi->s, hi->len) <= 0
                                       : mcmp(m->s, m->len, hi->s, hi->len) < 0;
    return ge && le;
}

Test(zskiplist, lex_ranges_against_model)
{
    rk_random_seed(7);
    zskiplist *zsl = zsl_create();
    zmodel *z = calloc(1, sizeof(*z));
    for (int op = 0; op < 6000; op++) {
        if (trand(2) && z->n < 300) {
            tval m = random_member();
            if (z_find(z, &m) < 0) {
                zsl_insert(zsl, 0, m.s, m.len);
                z_insert(z, 0, m);
            } else {
                free(m.s);
            }
            continue;
        }
        tval k1 = {0}, k2 = {0};
        zsl_lex_range r = {random_lex_bound(z, &k1), random_lex_bound(z, &k2)};
        long first = -1, last = -1;
        for (size_t i = 0; i < z->n; i++)
            if (lex_in(&r, &z->v[i].m)) {
                if (first < 0) first = (long)i;
                last = (long)i;
            }
        REQUIRE(!zsl_lex_range_is_empty(&r) || first < 0);
        zsl_node *f = zsl_first_in_lex_range(zsl, &r), *l = zsl_last_in_lex_range(zsl, &r);
        REQUIRE(first < 0 ? f == NULL : node_is(f, &z->v[first]));
        REQUIRE(last < 0 ? l == NULL : node_is(l, &z->v[last]));
        if (trand(5) == 0 && z->n > 150) { /* ZREMRANGEBYLEX */
            removed_log log = {z, first < 0 ? 0 : (size_t)first, 0};
            size_t removed = zsl_delete_range_by_lex(zsl, &r, on_removed, &log);
            z_remove_run(z, &log, removed, log.first, first < 0 ? 0 : (size_t)(last - first + 1));
        }
        free(k1.s);
        free(k2.s);
        check_all(zsl, z);
    }
    while (z->n) z_remove(z, 0);
    free(z);
    zsl_free(zsl);
}

/* ---- edge cases ---- */

Test(zskiplist, empty_and_single)
{
    zskiplist *zsl = zsl_create();
    zsl_range all = {-INFINITY, INFINITY, false, false};
    zsl_lex_range lex_all = {{ZSL_LEX_MIN, NULL, 0}, {ZSL_LEX_MAX, NULL, 0}};
    cr_assert_null(zsl_first(zsl));
    cr_assert_null(zsl_last(zsl));
    cr_assert_null(zsl_by_rank(zsl, 1));
    cr_assert_null(zsl_first_in_range(zsl, &all));
    cr_assert_null(zsl_last_in_lex_range(zsl, &lex_all));
    cr_assert_eq(zsl_rank(zsl, 0, "a", 1), 0);
    cr_assert(!zsl_delete(zsl, 0, "a", 1, NULL));
    cr_assert_eq(zsl_delete_range_by_rank(zsl, 1, 10, NULL, NULL), 0);
    zsl_node *n = zsl_insert(zsl, 1, "", 0);
    cr_assert_eq(zsl_first(zsl), n);
    cr_assert_eq(zsl_last(zsl), n);
    cr_assert_eq(zsl_rank(zsl, 1, "", 0), 1);
    cr_assert_eq(zsl_first_in_range(zsl, &all), n);
    cr_assert_eq(zsl_delete_range_by_score(zsl, &all, NULL, NULL), 1);
    cr_assert_eq(zsl_length(zsl), 0);
    cr_assert_eq(zsl->level, 1);
    zsl_free(zsl);
}

/* Equal scores order by member bytes, shorter prefix first, NUL included. */
Test(zskiplist, ties_order_by_member_bytes)
{
    zskiplist *zsl = zsl_create();
    const char *ms[] = {"b", "a\0", "a", "", "ab", "\xff"};
    const size_t lens[] = {1, 2, 1, 0, 2, 1};
    for (int i = 0; i < 6; i++) zsl_insert(zsl, 3, ms[i], lens[i]);
    zsl_insert(zsl, -INFINITY, "z", 1);
    zsl_insert(zsl, INFINITY, "0", 1);
    const char *want[] = {"z", "", "a", "a\0", "ab", "b", "\xff", "0"};
    const size_t wlen[] = {1, 0, 1, 2, 2, 1, 1, 1};
    zsl_node *n = zsl_first(zsl);
    for (int i = 0; i < 8; i++, n = zsl_next(n))
        cr_assert(n->mlen == wlen[i] && memcmp(zsl_member(n), want[i], wlen[i]) == 0, "at %d", i);
    cr_assert_eq(zsl_rank(zsl, 3, "a\0", 2), 4);
    zsl_free(zsl);
}

/* Results of ZRANGEBYSCORE / ZRANGEBYLEX on redis-server 7.0.15. */
Test(zskiplist, parse_like_redis)
{
    zsl_range r;
    cr_assert(zsl_parse_range("", 0, "", 0, &r) && r.min == 0 && r.max == 0 && !r.minex);
    cr_assert(zsl_parse_range(" 1", 2, "5", 1, &r) && r.min == 1);
    cr_assert(zsl_parse_range("(", 1, " 5", 2, &r) && r.minex && r.min == 0);
    cr_assert(zsl_parse_range("1e999", 5, "+inf", 4, &r) && isinf(r.min) && r.max == INFINITY);
    cr_assert(zsl_parse_range("-inf", 4, "(5", 2, &r) && r.min == -INFINITY && r.maxex && r.max == 5);
    cr_assert(zsl_parse_range("(0\0junk", 7, "10", 2, &r) && r.minex && r.min == 0);
    cr_assert(zsl_parse_range("0x10", 4, "100", 3, &r) && r.min == 16);
    cr_assert(!zsl_parse_range("nan", 3, "1", 1, &r));
    cr_assert(!zsl_parse_range("1 ", 2, "2", 1, &r));
    cr_assert(!zsl_parse_range("1", 1, "(abc", 4, &r));
    char long_num[300];
    memset(long_num, '0', sizeof(long_num));
    long_num[0] = '(';
    long_num[299] = '7';
    cr_assert(zsl_parse_range(long_num, 300, "8", 1, &r) && r.min == 7 && r.minex);

    zsl_lex_range l;
    cr_assert(zsl_parse_lex_range("-", 1, "+", 1, &l));
    cr_assert(l.min.kind == ZSL_LEX_MIN && l.max.kind == ZSL_LEX_MAX);
    cr_assert(zsl_parse_lex_range("[a", 2, "(c", 2, &l));
    cr_assert(l.min.kind == ZSL_LEX_INCL && l.min.len == 1 && l.max.kind == ZSL_LEX_EXCL);
    cr_assert(zsl_parse_lex_range("-\0x", 3, "+", 1, &l) && l.min.kind == ZSL_LEX_MIN);
    cr_assert(zsl_parse_lex_range("[", 1, "(", 1, &l) && l.min.len == 0);
    cr_assert(!zsl_parse_lex_range("", 0, "+", 1, &l));
    cr_assert(!zsl_parse_lex_range("a", 1, "+", 1, &l));
    cr_assert(!zsl_parse_lex_range("-", 1, "+x", 2, &l));
    /* Empty ranges: "+" "-", "-" "-", "[b" "[a", "(a" "[a". */
    static const char *const empty[][2] = {{"+", "-"}, {"-", "-"}, {"[b", "[a"}, {"(a", "[a"}};
    for (size_t i = 0; i < RK_ARRAY_LEN(empty); i++) {
        cr_assert(zsl_parse_lex_range(empty[i][0], strlen(empty[i][0]), empty[i][1], strlen(empty[i][1]), &l));
        cr_assert(zsl_lex_range_is_empty(&l), "%s %s", empty[i][0], empty[i][1]);
    }
    cr_assert(zsl_parse_lex_range("[a", 2, "[a", 2, &l) && !zsl_lex_range_is_empty(&l));
}

/* Update keeps the node's address, whether in place or moved. */
Test(zskiplist, update_keeps_node)
{
    zskiplist *zsl = zsl_create();
    zsl_node *a = zsl_insert(zsl, 1, "a", 1);
    zsl_insert(zsl, 2, "b", 1);
    zsl_insert(zsl, 3, "c", 1);
    cr_assert_eq(zsl_update_score(zsl, a, 1.5), a);
    cr_assert_eq(zsl_rank(zsl, 1.5, "a", 1), 1);
    cr_assert_eq(zsl_update_score(zsl, a, 10), a);
    cr_assert_eq(zsl_rank(zsl, 10, "a", 1), 3);
    cr_assert_eq(zsl_last(zsl), a);
    cr_assert_eq(zsl_update_score(zsl, a, 2), a); /* tie with "b": a sorts first */
    cr_assert_eq(zsl_rank(zsl, 2, "a", 1), 1);
    zsl_free(zsl);
}

Test(zskiplist, memory_per_element)
{
    rk_random_seed(3);
    zskiplist *zsl = zsl_create();
    char m[16];
    for (int i = 0; i < 100000; i++)
        zsl_insert(zsl, (double)trand(1000000), m, (size_t)snprintf(m, sizeof(m), "m%07d", i));
    size_t total = 0, levels = 0;
    for (zsl_node *n = zsl_first(zsl); n; n = zsl_next(n)) {
        total += rk_usable_size(n);
        levels += n->height;
    }
    cr_log_info("100000 8-byte members: %.2f levels/node, %.1f bytes/node allocated",
                levels / 1e5, total / 1e5);
    cr_assert(levels < 140000 && levels > 125000); /* p = 1/4: 4/3 levels on average */
    zsl_free(zsl);
}
