/* Unit tests for intset: layout as Redis writes it, width upgrades, edge
 * values, and randomized add/remove/find against a sorted array. */
#include "ds_check.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/intset.h"
#include "ringkv/base/util.h"

/* ---- reference model: sorted distinct array ---- */

typedef struct model {
    int64_t v[600];
    size_t n;
    unsigned width; /* widest member ever added: the set never narrows */
} model;

static size_t m_pos(const model *m, int64_t x)
{
    size_t i = 0;
    while (i < m->n && m->v[i] < x) i++;
    return i;
}

static bool m_add(model *m, int64_t x)
{
    size_t i = m_pos(m, x);
    if (i < m->n && m->v[i] == x) return false;
    memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(int64_t));
    m->v[i] = x;
    m->n++;
    unsigned w = x >= INT16_MIN && x <= INT16_MAX ? 2 : x >= INT32_MIN && x <= INT32_MAX ? 4 : 8;
    if (w > m->width) m->width = w;
    return true;
}

static bool m_remove(model *m, int64_t x)
{
    size_t i = m_pos(m, x);
    if (i == m->n || m->v[i] != x) return false;
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(int64_t));
    m->n--;
    return true;
}

static void check_all(const intset *is, const model *m)
{
    REQUIRE(intset_len(is) == m->n);
    REQUIRE(is->encoding == m->width, "%u vs %u", is->encoding, m->width);
    REQUIRE(intset_bytes(is) == 8 + m->n * m->width);
    REQUIRE(!m->n || intset_validate(is, intset_bytes(is), true));
    int64_t v;
    for (size_t i = 0; i < m->n; i++) {
        REQUIRE(intset_get(is, (uint32_t)i, &v) && v == m->v[i], "pos %zu", i);
        REQUIRE(intset_find(is, v));
    }
    REQUIRE(!intset_get(is, (uint32_t)m->n, &v));
    if (m->n) {
        REQUIRE(intset_min(is) == m->v[0] && intset_max(is) == m->v[m->n - 1]);
        int64_t r = intset_random(is);
        REQUIRE(m->v[m_pos(m, r)] == r);
    }
}

static int64_t random_member(int scale)
{
    switch (scale) {
    case 0: return (int64_t)trand(200) - 100;
    case 1: return (int16_t)rk_random64();
    case 2: return (int32_t)rk_random64();
    default: return trand(4) ? (int64_t)rk_random64() : tval_edge_ints[trand(RK_ARRAY_LEN(tval_edge_ints))];
    }
}

Test(intset, randomized_against_model)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        rk_random_seed(seed);
        intset *is = intset_new();
        model m = {.n = 0, .width = 2};
        /* Each run widens at a different moment: the scale grows with time. */
        int scale = 0;
        for (int op = 0; op < 1500; op++) {
            if (trand(300) == 0 && scale < 3) scale++;
            int64_t x = trand(3) == 0 && m.n ? m.v[trand(m.n)] : random_member((int)trand(scale + 1));
            bool did;
            switch (trand(4)) {
            case 0: case 1:
                if (m.n >= 590) break;
                is = intset_add(is, x, &did);
                REQUIRE(did == m_add(&m, x), "add %lld", (long long)x);
                break;
            case 2:
                is = intset_remove(is, x, &did);
                REQUIRE(did == m_remove(&m, x), "remove %lld", (long long)x);
                break;
            default:
                REQUIRE(intset_find(is, x) == (m_pos(&m, x) < m.n && m.v[m_pos(&m, x)] == x));
                break;
            }
            check_all(is, &m);
        }
        intset_free(is);
    }
}

Test(intset, empty_and_single)
{
    intset *is = intset_new();
    int64_t v;
    cr_assert_eq(intset_len(is), 0);
    cr_assert_eq(intset_bytes(is), 8);
    cr_assert(!intset_find(is, 0));
    cr_assert(!intset_get(is, 0, &v));
    bool did;
    is = intset_remove(is, 5, &did);
    cr_assert(!did);
    is = intset_add(is, 5, &did);
    cr_assert(did);
    is = intset_add(is, 5, &did);
    cr_assert(!did);
    cr_assert_eq(intset_random(is), 5);
    cr_assert_eq(intset_min(is), 5);
    cr_assert_eq(intset_max(is), 5);
    is = intset_remove(is, 5, &did);
    cr_assert(did && intset_len(is) == 0);
    intset_free(is);
}

/* Upgrading puts a wider negative value first and a positive one last,
 * and keeps every older member. */
Test(intset, width_upgrades)
{
    intset *is = intset_new();
    is = intset_add(is, 1, NULL);
    is = intset_add(is, -1, NULL);
    cr_assert_eq(is->encoding, 2);
    is = intset_add(is, 32768, NULL);
    cr_assert_eq(is->encoding, 4);
    is = intset_add(is, INT64_MIN, NULL);
    cr_assert_eq(is->encoding, 8);
    is = intset_add(is, INT64_MAX, NULL);
    int64_t want[] = {INT64_MIN, -1, 1, 32768, INT64_MAX}, v;
    for (uint32_t i = 0; i < 5; i++) cr_assert(intset_get(is, i, &v) && v == want[i]);
    cr_assert(!intset_find(is, INT64_MIN + 1));
    /* Removing the wide members does not narrow. */
    is = intset_remove(is, INT64_MIN, NULL);
    is = intset_remove(is, INT64_MAX, NULL);
    cr_assert_eq(is->encoding, 8);
    cr_assert_eq(intset_bytes(is), 8 + 3 * 8);
    intset_free(is);
}

/* SADD s 5 -1 70000 1 on Redis 7.0: DUMP carries this intset. */
Test(intset, byte_identical_to_redis)
{
    static const unsigned char redis[] = "\x04\x00\x00\x00\x04\x00\x00\x00"
                                         "\xff\xff\xff\xff\x01\x00\x00\x00"
                                         "\x05\x00\x00\x00\x70\x11\x01\x00";
    intset *is = intset_new();
    int64_t adds[] = {5, -1, 70000, 1};
    for (size_t i = 0; i < 4; i++) is = intset_add(is, adds[i], NULL);
    cr_assert_eq(intset_bytes(is), sizeof(redis) - 1);
    cr_assert(memcmp(is, redis, sizeof(redis) - 1) == 0);
    intset_free(is);
}

Test(intset, validate_rejects_corruption)
{
    intset *is = intset_new();
    for (int i = 0; i < 5; i++) is = intset_add(is, i * 10, NULL);
    size_t n = intset_bytes(is);
    cr_assert(intset_validate(is, n, true));
    cr_assert(!intset_validate(is, n - 1, false));
    cr_assert(!intset_validate(is, 4, false));
    unsigned char *c = malloc(n);
    memcpy(c, is, n);
    c[0] = 3;
    cr_assert(!intset_validate(c, n, false));
    memcpy(c, is, n);
    c[8] = 100; /* first member now above the second */
    cr_assert(intset_validate(c, n, false));
    cr_assert(!intset_validate(c, n, true));
    free(c);
    intset *empty = intset_new();
    cr_assert(!intset_validate(empty, 8, true));
    intset_free(empty);
    intset_free(is);
}

Test(intset, memory_per_element)
{
    intset *is = intset_new();
    for (int i = 0; i < 100; i++) is = intset_add(is, i * 300, NULL);
    cr_assert_eq(intset_bytes(is), 208);
    cr_log_info("100 16-bit members: %zu bytes (%zu allocated), %.2f per member", intset_bytes(is),
                rk_usable_size(is), rk_usable_size(is) / 100.0);
    is = intset_add(is, 1LL << 40, NULL);
    cr_log_info("101 members after a 64-bit one: %zu bytes (%zu allocated)", intset_bytes(is),
                rk_usable_size(is));
    intset_free(is);
}
