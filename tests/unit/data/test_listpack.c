/* Unit tests for listpack: byte-exact layout against Redis 7, edge cases,
 * and randomized operation sequences checked against a plain array. */
#include "ds_check.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/listpack.h"
#include "ringkv/base/util.h"

/* ---- checks ---- */

static bool value_is(const lp_value *v, const tval *t) { return tval_is(t, v->str, v->len, v->ll); }

static void check_entry(const unsigned char *p, const tval *t)
{
    lp_value v;
    long long ll;
    lp_get(p, &v);
    bool is_int = string2ll((const char *)t->s, t->len, &ll);
    /* Strict integers must be stored as integers, everything else as bytes. */
    REQUIRE(is_int == (v.str == NULL), "len %zu", t->len);
    REQUIRE(value_is(&v, t));
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *s = lp_get_str(p, &len, buf);
    REQUIRE(tval_eq(t, s, len));
    REQUIRE(lp_eq(p, t->s, t->len));
    REQUIRE(lp_cmp(p, t->s, t->len) == 0);
}

static void check_all(unsigned char *lp, const tlist *m)
{
    REQUIRE(lp_validate(lp, lp_bytes(lp), true));
    REQUIRE(lp_len(lp) == m->n, "%zu vs %zu", lp_len(lp), m->n);
    size_t i = 0, bytes = LP_HDR_SIZE + 1;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++) {
        REQUIRE(i < m->n);
        check_entry(p, &m->v[i]);
        bytes += lp_entry_size(m->v[i].s, m->v[i].len);
    }
    REQUIRE(i == m->n);
    REQUIRE(lp_bytes(lp) == bytes);
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p)) check_entry(p, &m->v[--i]);
    REQUIRE(i == 0);
}

static long index_of(unsigned char *lp, unsigned char *p)
{
    long i = 0;
    for (unsigned char *q = lp_first(lp); q; q = lp_next(lp, q), i++)
        if (q == p) return i;
    return -1;
}

static int sign(int x) { return (x > 0) - (x < 0); }

static int tval_cmp(const tval *a, const tval *b)
{
    size_t min = a->len < b->len ? a->len : b->len;
    int c = min ? memcmp(a->s, b->s, min) : 0;
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* ---- randomized operations ---- */

static unsigned char *op_insert(unsigned char *lp, tlist *m)
{
    tval v = tval_random(true);
    unsigned kind = (unsigned)trand(4);
    if (kind == 0 || m->n == 0) {
        lp = lp_append(lp, v.s, v.len);
        tlist_insert(m, m->n, v);
    } else if (kind == 1) {
        lp = lp_prepend(lp, v.s, v.len);
        tlist_insert(m, 0, v);
    } else {
        size_t at = trand(m->n);
        enum lp_where where = trand(2) ? LP_AFTER : LP_BEFORE;
        unsigned char *newp;
        lp = lp_insert(lp, lp_seek(lp, (long)at), where, v.s, v.len, &newp);
        at += where == LP_AFTER;
        REQUIRE(index_of(lp, newp) == (long)at);
        check_entry(newp, &v);
        tlist_insert(m, at, v);
    }
    return lp;
}

static unsigned char *op_insert_int(unsigned char *lp, tlist *m)
{
    long long x = trand(2) ? (long long)rk_random64() >> trand(64)
                           : tval_edge_ints[trand(RK_ARRAY_LEN(tval_edge_ints))];
    tval v = tval_int(x);
    if (m->n == 0 || trand(3) == 0) {
        bool front = trand(2);
        lp = front ? lp_prepend_int(lp, x) : lp_append_int(lp, x);
        tlist_insert(m, front ? 0 : m->n, v);
        return lp;
    }
    size_t at = trand(m->n);
    unsigned char *newp;
    lp = lp_insert_int(lp, lp_seek(lp, (long)at), LP_AFTER, x, &newp);
    tlist_insert(m, at + 1, v);
    REQUIRE(index_of(lp, newp) == (long)at + 1);
    return lp;
}

static unsigned char *op_replace(unsigned char *lp, tlist *m)
{
    if (!m->n) return lp;
    size_t at = trand(m->n);
    unsigned char *p = lp_seek(lp, (long)at);
    tval v;
    if (trand(4) == 0) {
        long long x = (long long)rk_random64() >> trand(64);
        v = tval_int(x);
        lp = lp_replace_int(lp, &p, x);
    } else {
        v = tval_random(true);
        lp = lp_replace(lp, &p, v.s, v.len);
    }
    REQUIRE(index_of(lp, p) == (long)at);
    free(m->v[at].s);
    m->v[at] = v;
    return lp;
}

static unsigned char *op_delete(unsigned char *lp, tlist *m)
{
    if (!m->n) return lp;
    size_t at = trand(m->n);
    unsigned char *p = lp_seek(lp, (long)at);
    switch (trand(4)) {
    case 0: /* one entry */
        lp = lp_delete(lp, &p);
        tlist_delete(m, at, 1);
        break;
    case 1: { /* a range by index, maybe negative, maybe past the end */
        size_t count = trand(7);
        long index = trand(2) ? (long)at : (long)at - (long)m->n;
        lp = lp_delete_range(lp, index, count);
        tlist_delete(m, at, count);
        return lp;
    }
    case 2: { /* a range from a position */
        size_t count = 1 + trand(7);
        lp = lp_delete_range_at(lp, &p, count);
        tlist_delete(m, at, count);
        break;
    }
    default: { /* many scattered entries */
        unsigned char *ps[16];
        size_t idx[16], n = 0;
        for (size_t i = 0; i < m->n && n < 16; i++)
            if (trand(4) == 0) idx[n++] = i;
        for (size_t i = 0; i < n; i++) ps[i] = lp_seek(lp, (long)idx[i]);
        lp = lp_delete_many(lp, ps, n);
        while (n--) tlist_delete(m, idx[n], 1);
        return lp;
    }
    }
    /* The returned position is the entry that followed, or NULL. */
    if (at < m->n) REQUIRE(index_of(lp, p) == (long)at);
    else REQUIRE(p == NULL);
    return lp;
}

static unsigned char *op_merge(unsigned char *lp, tlist *m)
{
    unsigned char *b = lp_new(0);
    for (size_t k = trand(6); k; k--) {
        tval v = tval_random(false);
        b = lp_append(b, v.s, v.len);
        tlist_insert(m, m->n, v);
    }
    return lp_merge(lp, b);
}

static void op_seek(unsigned char *lp, const tlist *m)
{
    for (int k = 0; k < 4; k++) {
        long i = (long)trand(2 * m->n + 6) - (long)m->n - 3;
        unsigned char *p = lp_seek(lp, i);
        long j = i < 0 ? i + (long)m->n : i;
        if (j < 0 || j >= (long)m->n) {
            REQUIRE(p == NULL, "index %ld of %zu", i, m->n);
        } else {
            REQUIRE(p != NULL);
            check_entry(p, &m->v[j]);
        }
    }
}

static void op_find(unsigned char *lp, const tlist *m)
{
    if (!m->n) return;
    const tval *src = &m->v[trand(m->n)];
    tval t = trand(3) ? tval_make(src->s, src->len) : tval_random(false);
    unsigned skip = (unsigned)trand(3);
    size_t start = trand(m->n);
    long expect = -1;
    for (size_t j = start; j < m->n; j += skip + 1)
        if (tval_eq(&m->v[j], t.s, t.len)) {
            expect = (long)j;
            break;
        }
    unsigned char *p = lp_find(lp, lp_seek(lp, (long)start), t.s, t.len, skip);
    REQUIRE(p ? index_of(lp, p) == expect : expect == -1, "skip %u", skip);
    /* Equality and order against one entry. */
    size_t at = trand(m->n);
    p = lp_seek(lp, (long)at);
    REQUIRE(lp_eq(p, t.s, t.len) == tval_eq(&m->v[at], t.s, t.len));
    REQUIRE(sign(lp_cmp(p, t.s, t.len)) == sign(tval_cmp(&m->v[at], &t)));
    free(t.s);
}

static bool pair_matches(const tlist *m, size_t item, unsigned step, const lp_value *k,
                         const lp_value *v)
{
    return value_is(k, &m->v[item * step]) && (step == 1 || value_is(v, &m->v[item * step + 1]));
}

static void op_random(unsigned char *lp, const tlist *m)
{
    if (!m->n) return;
    unsigned step = m->n % 2 == 0 && trand(2) ? 2 : 1;
    size_t items = m->n / step, count = trand(12);
    lp_value keys[12], vals[12];
    bool found;

    lp_random_pick(lp, step, &keys[0], &vals[0]);
    found = false;
    for (size_t i = 0; i < items && !found; i++) found = pair_matches(m, i, step, &keys[0], &vals[0]);
    REQUIRE(found);

    lp_random_picks(lp, step, count, keys, step == 2 ? vals : NULL);
    for (size_t c = 0; c < count; c++) {
        found = false;
        for (size_t i = 0; i < items && !found; i++) found = pair_matches(m, i, step, &keys[c], &vals[c]);
        REQUIRE(found);
    }

    /* Unique picks come out in listpack order: a subsequence of the items. */
    size_t got = lp_random_picks_unique(lp, step, count, keys, vals);
    REQUIRE(got == (count < items ? count : items));
    size_t i = 0;
    for (size_t c = 0; c < got; c++, i++) {
        while (i < items && !pair_matches(m, i, step, &keys[c], &vals[c])) i++;
        REQUIRE(i < items, "pick %zu not in order", c);
    }
}

static void run_random(uint64_t seed, int ops)
{
    rk_random_seed(seed);
    unsigned char *lp = lp_new(trand(2) ? 0 : 64);
    tlist m = {0};
    for (int op = 0; op < ops; op++) {
        switch (trand(10)) {
        case 0: case 1: case 2: lp = op_insert(lp, &m); break;
        case 3: lp = op_insert_int(lp, &m); break;
        case 4: lp = op_replace(lp, &m); break;
        case 5: case 6: lp = op_delete(lp, &m); break;
        case 7: lp = op_merge(lp, &m); break;
        case 8: op_seek(lp, &m); op_find(lp, &m); break;
        default: op_random(lp, &m); break;
        }
        if (m.n > 200) {
            lp = lp_delete_range(lp, -100, 100);
            tlist_delete(&m, m.n - 100, 100);
        }
        check_all(lp, &m);
    }
    lp_free(lp);
    tlist_free(&m);
}

Test(listpack, randomized_against_model)
{
    for (uint64_t seed = 1; seed <= 10; seed++) run_random(seed, 8000);
}

/* ---- edge cases ---- */

Test(listpack, empty)
{
    unsigned char *lp = lp_new(0);
    cr_assert_eq(lp_bytes(lp), 7);
    cr_assert_eq(lp_len(lp), 0);
    cr_assert_null(lp_first(lp));
    cr_assert_null(lp_last(lp));
    cr_assert_null(lp_seek(lp, 0));
    cr_assert_null(lp_seek(lp, -1));
    cr_assert_null(lp_find(lp, lp_first(lp), "a", 1, 0));
    lp = lp_delete_range(lp, 0, 10);
    cr_assert_eq(lp_bytes(lp), 7);
    cr_assert(lp_validate(lp, 7, true));
    lp_free(lp);
}

Test(listpack, single_element)
{
    unsigned char *lp = lp_append(lp_new(0), "hello", 5);
    cr_assert_eq(lp_first(lp), lp_last(lp));
    cr_assert_eq(lp_seek(lp, 0), lp_seek(lp, -1));
    cr_assert_null(lp_next(lp, lp_first(lp)));
    cr_assert_null(lp_prev(lp, lp_first(lp)));
    unsigned char *p = lp_first(lp);
    lp = lp_delete(lp, &p);
    cr_assert_null(p);
    cr_assert_eq(lp_len(lp), 0);
    cr_assert_eq(lp_bytes(lp), 7);
    lp_free(lp);
}

/* Entry sizes per encoding: small things take a 1-byte header. */
Test(listpack, entry_sizes)
{
    static const struct { const char *s; size_t len, size; } cases[] = {
        {"5", 1, 2}, {"127", 3, 2}, {"128", 3, 3}, {"-1", 2, 3}, {"-4096", 5, 3},
        {"4096", 4, 4}, {"-32768", 6, 4}, {"32768", 5, 5}, {"8388607", 7, 5},
        {"2147483647", 10, 6}, {"2147483648", 10, 10}, {"9223372036854775807", 19, 10},
        {"-9223372036854775808", 20, 10}, {"01", 2, 4}, {"-0", 2, 4}, {" 1", 2, 4},
        {"", 0, 2}, {"x\0y", 3, 5}, {"9223372036854775808", 19, 21},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(cases); i++) {
        unsigned char *lp = lp_append(lp_new(0), cases[i].s, cases[i].len);
        cr_expect_eq(lp_bytes(lp) - 7, cases[i].size, "'%s': %zu bytes", cases[i].s, lp_bytes(lp) - 7);
        cr_expect_eq(lp_entry_size(cases[i].s, cases[i].len), cases[i].size);
        lp_free(lp);
    }
    /* String length boundaries: 63/64 (6-bit to 12-bit header), 4095/4096
     * (12-bit to 32-bit header), backlen growing past 127 bytes. */
    static const size_t lens[][2] = {{63, 65}, {64, 67}, {125, 128}, {126, 130}, {127, 131}, {4095, 4099},
                                     {4096, 4103}, {20000, 20008}};
    char *big = malloc(20000);
    memset(big, 'z', 20000);
    for (size_t i = 0; i < RK_ARRAY_LEN(lens); i++)
        cr_expect_eq(lp_entry_size(big, lens[i][0]), lens[i][1], "len %zu", lens[i][0]);
    free(big);
}

Test(listpack, int64_extremes_round_trip)
{
    long long xs[] = {INT64_MIN, INT64_MAX, INT64_MIN + 1, -1, 0};
    unsigned char *lp = lp_new(0);
    for (size_t i = 0; i < RK_ARRAY_LEN(xs); i++) lp = lp_append_int(lp, xs[i]);
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < RK_ARRAY_LEN(xs); i++, p = lp_next(lp, p)) {
        lp_value v;
        lp_get(p, &v);
        cr_assert_null(v.str);
        cr_assert_eq(v.ll, xs[i]);
    }
    cr_assert(lp_eq(lp_first(lp), "-9223372036854775808", 20));
    cr_assert(!lp_eq(lp_first(lp), "-9223372036854775809", 20));
    lp_free(lp);
}

/* DUMP of a Redis 7.0 hash (HSET s <field> <i*1000> for the fields below),
 * listpack payload as Redis wrote it. */
static const unsigned char redis_small_hash[] =
    "\x55\x00\x00\x00\x14\x00\x00\x01\x00\x01\xdf\xff\x02\xc3\xe8\x02\xc0\x80\x02\xc7\xd0\x02"
    "\xf1\xff\xef\x03\xcb\xb8\x02\xf2\x00\x80\x00\x04\xcf\xa0\x02\xf3\x00\x00\x80\x00\x05\xf1"
    "\x88\x13\x03\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09\xf1\x70\x17\x03\x82\x30\x31\x03\xf1"
    "\x58\x1b\x03\x80\x01\xf1\x40\x1f\x03\x83\x78\x00\x79\x04\xf1\x28\x23\x03\xff";

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    while (n--) h = (h ^ *p++) * 0x100000001b3ull;
    return h;
}

Test(listpack, byte_identical_to_redis)
{
    static const char *const fields[] = {"0", "-1", "128", "-4097", "32768", "8388608",
                                         "2147483648", "01", "", "x\0y"};
    static const size_t flens[] = {1, 2, 3, 5, 5, 7, 10, 2, 0, 3};
    unsigned char *lp = lp_new(0);
    for (size_t i = 0; i < RK_ARRAY_LEN(fields); i++) {
        char buf[RK_LONG_STR_SIZE];
        lp = lp_append(lp, fields[i], flens[i]);
        lp = lp_append(lp, buf, ll2string(buf, (long long)i * 1000));
    }
    cr_assert_eq(lp_bytes(lp), sizeof(redis_small_hash) - 1);
    cr_assert(memcmp(lp, redis_small_hash, lp_bytes(lp)) == 0);
    cr_assert(lp_validate(redis_small_hash, sizeof(redis_small_hash) - 1, true));
    lp_free(lp);

    /* HSET h f<i> <v> for every encoding boundary and 4 KB strings: Redis's
     * listpack was 8611 bytes with this FNV-1a hash. */
    static const char *const vals[] = {
        "0", "127", "128", "-1", "-4096", "4095", "4096", "-4097", "32767", "-32768", "32768",
        "8388607", "-8388608", "8388608", "2147483647", "-2147483648", "2147483648",
        "9223372036854775807", "-9223372036854775808", "01", "-0", " 1", ""};
    char *a63 = malloc(4096 * 3);
    lp = lp_new(0);
    for (size_t i = 0; i < 29; i++) {
        char f[16];
        lp = lp_append(lp, f, (size_t)snprintf(f, sizeof(f), "f%zu", i));
        if (i < RK_ARRAY_LEN(vals)) {
            lp = lp_append(lp, vals[i], strlen(vals[i]));
            continue;
        }
        size_t len = i == 23 ? 63 : i == 24 ? 64 : i == 25 ? 4095 : i == 26 ? 4096 : 0;
        memset(a63, i <= 24 ? 'a' : i == 25 ? 'b' : 'c', len);
        if (i == 27) lp = lp_append(lp, "x\0y", 3);
        else if (i == 28) lp = lp_append(lp, "9223372036854775808", 19);
        else lp = lp_append(lp, a63, len);
    }
    cr_assert_eq(lp_bytes(lp), 8611);
    cr_assert_eq(fnv1a(lp, 8611), 0x874f16f6c778eca3ull);
    free(a63);
    lp_free(lp);
}

Test(listpack, validate_rejects_corruption)
{
    unsigned char *lp = lp_new(0);
    lp = lp_append(lp, "hello", 5);
    lp = lp_append_int(lp, 1000000);
    size_t n = lp_bytes(lp);
    unsigned char *c = malloc(n);
    cr_assert(lp_validate(lp, n, true));
    cr_assert(!lp_validate(lp, n - 1, false)); /* size disagrees with header */
    memcpy(c, lp, n);
    c[n - 1] = 0;
    cr_assert(!lp_validate(c, n, false)); /* no end marker */
    memcpy(c, lp, n);
    c[4] = 3;
    cr_assert(!lp_validate(c, n, true)); /* wrong count */
    c[4] = 0xff, c[5] = 0xff;
    cr_assert(lp_validate(c, n, true)); /* "unknown" count is legal */
    memcpy(c, lp, n);
    c[LP_HDR_SIZE] = 0xF7;
    cr_assert(!lp_validate(c, n, true)); /* unused encoding */
    memcpy(c, lp, n);
    c[LP_HDR_SIZE + 6] = 5;
    cr_assert(!lp_validate(c, n, true)); /* backlen disagrees */
    memcpy(c, lp, n);
    c[LP_HDR_SIZE] = 0x80 | 40;
    cr_assert(!lp_validate(c, n, true)); /* string runs past the end */
    free(c);
    lp_free(lp);
}

/* Past 65535 entries the header count saturates; lp_len counts, and caches
 * the count again once it fits. */
Test(listpack, count_over_65535)
{
    unsigned char *lp = lp_new(0);
    for (int i = 0; i < 70000; i++) lp = lp_append_int(lp, i % 100);
    cr_assert_eq(lp_len(lp), 70000);
    lp_value v;
    lp_get(lp_seek(lp, -1), &v);
    cr_assert_eq(v.ll, 69999 % 100);
    lp = lp_delete_range(lp, 0, 10000);
    cr_assert_eq(lp_len(lp), 60000);
    cr_assert_eq(lp[4] | lp[5] << 8, 60000);
    cr_assert(lp_validate(lp, lp_bytes(lp), true));
    lp_free(lp);
}

/* Picks are uniform: 60000 draws over 10 items land within 10% of 6000. */
Test(listpack, random_picks_are_uniform)
{
    rk_random_seed(42);
    unsigned char *lp = lp_new(0);
    for (int i = 0; i < 20; i++) lp = lp_append_int(lp, i);
    size_t hits[10] = {0}, uhits[10] = {0};
    lp_value keys[100], vals[100];
    for (int round = 0; round < 600; round++) {
        lp_random_picks(lp, 2, 100, keys, vals);
        for (int i = 0; i < 100; i++) {
            cr_assert_eq(vals[i].ll, keys[i].ll + 1);
            hits[keys[i].ll / 2]++;
        }
        size_t got = lp_random_picks_unique(lp, 2, 3, keys, NULL);
        cr_assert_eq(got, 3);
        cr_assert(keys[0].ll < keys[1].ll && keys[1].ll < keys[2].ll);
        for (size_t i = 0; i < got; i++) uhits[keys[i].ll / 2]++;
    }
    for (int i = 0; i < 10; i++) {
        cr_expect(hits[i] > 5400 && hits[i] < 6600, "item %d: %zu", i, hits[i]);
        cr_expect(uhits[i] > 130 && uhits[i] < 230, "item %d: %zu unique", i, uhits[i]);
    }
    cr_assert_eq(lp_random_picks_unique(lp, 1, 50, keys, NULL), 20);
    lp_free(lp);
}

Test(listpack, memory_per_element)
{
    unsigned char *lp = lp_new(0);
    for (int i = 0; i < 10; i++) {
        char f[16], v[16];
        lp = lp_append(lp, f, (size_t)snprintf(f, sizeof(f), "field%03d", i));
        lp = lp_append(lp, v, (size_t)snprintf(v, sizeof(v), "value%03d", i));
    }
    /* Same as Redis 7.0 (DUMP of the same hash: 207-byte listpack). */
    cr_assert_eq(lp_bytes(lp), 207);
    size_t usable = rk_usable_size(lp);
    cr_log_info("10-field hash, 8-byte fields/values: %zu bytes (%zu allocated), %.1f per pair",
                lp_bytes(lp), usable, usable / 10.0);
    lp_free(lp);
}

/* Entries of 2 MB and more have a 4-byte backlen; walking back over one
 * must land on the entry before it. */
Test(listpack, multi_megabyte_entry)
{
    size_t len = 2097151 - 5; /* encoded size exactly 2097151 */
    char *big = malloc(len);
    memset(big, 'm', len);
    cr_assert_eq(lp_entry_size(big, len), 2097151 + 4);
    unsigned char *lp = lp_append(lp_new(0), "before", 6);
    lp = lp_append(lp, big, len);
    lp = lp_append_int(lp, -7);
    cr_assert(lp_validate(lp, lp_bytes(lp), true));
    unsigned char *p = lp_prev(lp, lp_last(lp));
    lp_value v;
    lp_get(p, &v);
    cr_assert(v.len == len && memcmp(v.str, big, len) == 0);
    cr_assert(lp_eq(lp_prev(lp, p), "before", 6));
    cr_assert(lp_safe_to_add(lp, 1000));
    cr_assert(!lp_safe_to_add(lp, LP_MAX_SAFE_SIZE));
    cr_assert(!lp_safe_to_add(NULL, LP_MAX_SAFE_SIZE + 1));
    free(big);
    lp_free(lp);
}
