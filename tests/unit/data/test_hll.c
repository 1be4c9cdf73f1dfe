/* Unit tests for hll: bytes as redis-server writes them, the dense and
 * sparse encodings randomized against a plain register array, merge,
 * counting, promotion, and corrupt strings rejected without reading or
 * writing out of bounds (run under ASan). */
#include "ringkv/base/alloc.h"
#include "ringkv/data/hll.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *bytes(const struct rstr *s) { return (const uint8_t *)s->data; }

/* The registers of an HLL string, one per byte. */
static void registers_of(const struct rstr *s, uint8_t *regs)
{
    memset(regs, 0, HLL_REGISTERS);
    cr_assert(hll_merge(regs, bytes(s), s->len), "a valid HLL merges");
}

static struct rstr *from_bytes(const uint8_t *b, size_t len)
{
    struct rstr *s = rk_malloc(sizeof(*s) + len + 1);
    s->len = len;
    s->cap = len + 1;
    memcpy(s->data, b, len);
    return s;
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* ---- Redis's bytes -------------------------------------------------------- */

Test(hll, empty_is_redis_bytes)
{
    struct rstr *s = hll_create();
    static const uint8_t expect[HLL_EMPTY_SIZE] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff};
    cr_assert_eq(s->len, HLL_EMPTY_SIZE);
    cr_assert(memcmp(s->data, expect, sizeof expect) == 0);
    uint64_t card = 99;
    cr_assert(hll_cache_get(bytes(s), &card) && card == 0, "a new HLL caches 0");
    cr_assert_eq(hll_count(bytes(s), s->len, NULL), 0);
    rk_free(s);
}

/* redis-server 7.0: PFADD h a b c; GET h. Then PFCOUNT h caches 3. */
Test(hll, small_sparse_matches_redis)
{
    static const uint8_t expect[] = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
                                    "`\xf3\x80P\xb1\x84K\xfb\x80" "BZ";
    struct rstr *s = hll_create();
    const char *els[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) cr_assert_eq(hll_add(&s, els[i], 1, 3000), 1);
    cr_assert_eq(s->len, sizeof expect - 1);
    cr_assert(memcmp(s->data, expect, s->len) == 0, "PFADD a b c writes Redis's bytes");
    cr_assert_eq(hll_add(&s, "a", 1, 3000), 0, "an element seen before changes nothing");
    cr_assert_eq(hll_count(bytes(s), s->len, NULL), 3);
    rk_free(s);
}

/* redis-server 7.0: PFADD h e0 ... e19; GET h (adjacent VALs coalesced). */
Test(hll, twenty_elements_match_redis)
{
    uint8_t expect[128];
    size_t n = unhex("48594c4c01000000000000000000008042358842ee8044528042da844bd08c406f8043868042ac8041648441b884"
                     "453d90435884430d8441038446d18047e684408880406a84404880138041520a",
                     expect) - 1; /* redis-cli's newline */
    struct rstr *s = hll_create();
    for (int i = 0; i < 20; i++) {
        char e[8];
        int len = snprintf(e, sizeof e, "e%d", i);
        hll_add(&s, e, (size_t)len, 3000);
    }
    cr_assert_eq(s->len, n);
    cr_assert(memcmp(s->data, expect, n) == 0);
    cr_assert_eq(hll_count(bytes(s), s->len, NULL), 20);
    rk_free(s);
}

/* redis-server 7.0: PFADD h foo; PFDEBUG DECODE h is "Z:7348 v:5,1 Z:9035". */
Test(hll, murmur_picks_redis_register)
{
    long index;
    cr_assert_eq(hll_pattern_len("foo", 3, &index), 5);
    cr_assert_eq(index, 7348);
}

/* Elements of 8 bytes and more go through MurmurHash64A's block loop
 * (redis-server 7.0: PFADD h ELEMENT; PFDEBUG DECODE h). */
Test(hll, murmur_blocks_pick_redis_registers)
{
    static const struct {
        const char *ele;
        long index;
        unsigned value;
    } cases[] = {{"the quick brown fox jumps", 7253, 2}, {"12345678", 10579, 3}, {"123456789abcdef0x", 12038, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long index;
        cr_assert_eq(hll_pattern_len(cases[i].ele, strlen(cases[i].ele), &index), cases[i].value, "%s", cases[i].ele);
        cr_assert_eq(index, cases[i].index, "%s", cases[i].ele);
    }
}

Test(hll, pattern_len_bounds)
{
    for (int i = 0; i < 100000; i++) {
        long index;
        unsigned v = hll_pattern_len(&i, sizeof i, &index);
        cr_assert(v >= 1 && v <= HLL_Q + 1 && index >= 0 && index < HLL_REGISTERS);
    }
}

/* ---- dense registers ------------------------------------------------------ */

Test(hll, dense_registers_keep_neighbours)
{
    uint8_t *regs = rk_calloc(HLL_DENSE_SIZE - HLL_HDR_SIZE, 1);
    uint8_t *model = rk_calloc(HLL_REGISTERS, 1);
    srand(7);
    for (int round = 0; round < 20; round++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            model[i] = (uint8_t)(rand() & HLL_REGISTER_MAX);
            hll_dense_set(regs, i, model[i]);
        }
        for (long i = 0; i < HLL_REGISTERS; i++) cr_assert_eq(hll_dense_get(regs, i), model[i], "register %ld", i);
    }
    rk_free(regs);
    rk_free(model);
}

/* ---- randomized against a register array ---------------------------------- */

/* Sets random registers in a sparse HLL (promoted past `sparse_max`) and
 * in a dense one: each step answers as the model does, and both always
 * hold the model's registers and agree on the count. */
static void random_against_model(unsigned seed, size_t sparse_max, int steps, unsigned maxval)
{
    srand(seed);
    uint8_t *model = rk_calloc(HLL_REGISTERS, 1), *got = rk_malloc(HLL_REGISTERS);
    struct rstr *sparse = hll_create(), *dense = hll_create();
    cr_assert(hll_to_dense(&dense));
    bool promoted = false;
    for (int i = 0; i < steps; i++) {
        /* Clustered indexes make runs split and join; some stay spread. */
        long index = rand() % 4 ? (rand() % 64) * 37 + rand() % 6 : rand() % HLL_REGISTERS;
        unsigned count = 1 + (unsigned)rand() % maxval;
        int expect = count > model[index];
        if (expect) model[index] = (uint8_t)count;
        cr_assert_eq(hll_set(&sparse, index, count, sparse_max), expect, "step %d", i);
        cr_assert_eq(hll_set(&dense, index, count, sparse_max), expect);
        if (hll_encoding_of(bytes(sparse)) == HLL_DENSE) promoted = true;
        else cr_assert_leq(sparse->len, sparse_max > HLL_EMPTY_SIZE ? sparse_max : HLL_EMPTY_SIZE + 3);
        if (i % 97 == 0 || i == steps - 1) {
            registers_of(sparse, got);
            cr_assert(memcmp(got, model, HLL_REGISTERS) == 0, "sparse registers at step %d", i);
            registers_of(dense, got);
            cr_assert(memcmp(got, model, HLL_REGISTERS) == 0, "dense registers at step %d", i);
            bool invalid = false;
            uint64_t c = hll_count(bytes(sparse), sparse->len, &invalid);
            cr_assert(!invalid);
            cr_assert_eq(c, hll_count(bytes(dense), dense->len, NULL));
            cr_assert_eq(c, hll_count_registers(model));
        }
    }
    if (maxval > HLL_SPARSE_VAL_MAX_VALUE || sparse_max < 1000) cr_assert(promoted, "promoted to dense");
    rk_free(model);
    rk_free(got);
    rk_free(sparse);
    rk_free(dense);
}

Test(hll, sparse_and_dense_follow_model)
{
    random_against_model(1, 1000000, 3000, 32); /* sparse all along */
}
Test(hll, promotion_past_sparse_max) { random_against_model(2, 300, 2000, 20); }
Test(hll, promotion_by_big_register) { random_against_model(3, 1000000, 2000, 40); }
Test(hll, promotion_at_default_max) { random_against_model(4, 3000, 6000, 32); }

Test(hll, conversion_keeps_header_and_registers)
{
    struct rstr *s = hll_create();
    for (int i = 0; i < 500; i++) hll_add(&s, &i, sizeof i, 1000000);
    uint64_t card = hll_count(bytes(s), s->len, NULL);
    hll_cache_set((uint8_t *)s->data, card);
    uint8_t *before = rk_malloc(HLL_REGISTERS), *after = rk_malloc(HLL_REGISTERS);
    registers_of(s, before);
    cr_assert(hll_to_dense(&s));
    cr_assert_eq(s->len, HLL_DENSE_SIZE);
    cr_assert_eq(hll_encoding_of(bytes(s)), HLL_DENSE);
    uint64_t cached;
    cr_assert(hll_cache_get(bytes(s), &cached) && cached == card, "the cache carries over");
    registers_of(s, after);
    cr_assert(memcmp(before, after, HLL_REGISTERS) == 0);
    cr_assert_eq(hll_count(bytes(s), s->len, NULL), card);
    rk_free(before);
    rk_free(after);
    rk_free(s);
}

Test(hll, merge_is_register_max)
{
    struct rstr *a = hll_create(), *b = hll_create();
    for (int i = 0; i < 3000; i++) hll_add(&a, &i, sizeof i, 3000); /* dense by now */
    for (int i = 2000; i < 2300; i++) hll_add(&b, &i, sizeof i, 1000000); /* sparse */
    cr_assert_eq(hll_encoding_of(bytes(a)), HLL_DENSE);
    cr_assert_eq(hll_encoding_of(bytes(b)), HLL_SPARSE);
    uint8_t *ra = rk_malloc(HLL_REGISTERS), *rb = rk_malloc(HLL_REGISTERS), *m = rk_calloc(HLL_REGISTERS, 1);
    registers_of(a, ra);
    registers_of(b, rb);
    cr_assert(hll_merge(m, bytes(a), a->len) && hll_merge(m, bytes(b), b->len));
    for (long i = 0; i < HLL_REGISTERS; i++) cr_assert_eq(m[i], ra[i] > rb[i] ? ra[i] : rb[i]);
    uint64_t u = hll_count_registers(m);
    cr_assert(u > 2900 && u < 3100, "union of 0..2999 and 2000..2299 counted %lu", (unsigned long)u);
    rk_free(ra);
    rk_free(rb);
    rk_free(m);
    rk_free(a);
    rk_free(b);
}

Test(hll, estimate_error_is_small)
{
    struct rstr *s = hll_create();
    for (uint64_t i = 1; i <= 200000; i++) {
        hll_add(&s, &i, sizeof i, 3000);
        if (i == 10 || i == 100 || i == 1000 || i == 10000 || i == 100000 || i == 200000) {
            double c = (double)hll_count(bytes(s), s->len, NULL);
            cr_assert(c > (double)i * 0.95 && c < (double)i * 1.05, "%lu counted %.0f", (unsigned long)i, c);
        }
    }
    rk_free(s);
}

/* ---- untrusted strings ---------------------------------------------------- */

Test(hll, header_checks)
{
    uint8_t b[HLL_DENSE_SIZE + 1] = {0};
    hll_write_empty(b);
    cr_assert(hll_valid(b, HLL_EMPTY_SIZE));
    cr_assert(!hll_valid(b, HLL_HDR_SIZE - 1), "shorter than a header");
    b[0] = 'h';
    cr_assert(!hll_valid(b, HLL_EMPTY_SIZE), "bad magic");
    b[0] = 'H';
    b[4] = 2;
    cr_assert(!hll_valid(b, HLL_EMPTY_SIZE), "unknown encoding");
    b[4] = HLL_DENSE;
    cr_assert(!hll_valid(b, HLL_DENSE_SIZE - 1) && !hll_valid(b, HLL_DENSE_SIZE + 1), "dense of the wrong size");
    cr_assert(hll_valid(b, HLL_DENSE_SIZE));
}

/* Every reader and writer must reject a sparse body whose runs do not
 * cover exactly the registers. */
static void assert_corrupt(const uint8_t *b, size_t len)
{
    bool invalid = false;
    hll_count(b, len, &invalid);
    cr_assert(invalid);
    uint8_t *max = rk_calloc(HLL_REGISTERS, 1);
    cr_assert(!hll_merge(max, b, len));
    rk_free(max);
    struct rstr *s = from_bytes(b, len);
    cr_assert(!hll_to_dense(&s));
    rk_free(s);
}

Test(hll, corrupt_sparse_detected)
{
    uint8_t b[64];
    hll_write_empty(b);
    b[HLL_EMPTY_SIZE] = 0x80; /* one more VAL past the 16384 registers */
    assert_corrupt(b, HLL_EMPTY_SIZE + 1);
    b[HLL_HDR_SIZE + 1] = 0xfe; /* XZERO of 16383, nothing after */
    assert_corrupt(b, HLL_EMPTY_SIZE);
    assert_corrupt(b, HLL_HDR_SIZE + 1); /* XZERO cut short: low byte read as 0 */
    hll_write_empty(b);
    b[HLL_EMPTY_SIZE] = 0x7f;
    b[HLL_EMPTY_SIZE + 1] = 0xff; /* twice 16384 */
    assert_corrupt(b, HLL_EMPTY_SIZE + 2);
}

/* A run past the end is never written: a VAL covering registers beyond
 * 16383 must not reach the dense registers or the merge array. */
Test(hll, overlong_runs_stay_in_bounds)
{
    uint8_t b[64];
    memcpy(b, "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0", HLL_HDR_SIZE);
    b[16] = 0x7f;
    b[17] = 0xfe; /* 16383 zeros */
    b[18] = 0xfb; /* VAL 31 x 4: 3 past the end */
    assert_corrupt(b, 19);
    struct rstr *s = from_bytes(b, 19);
    int r = hll_set(&s, 16383, 32, 3000); /* the register is found: Redis updates it too */
    cr_assert(r == 1 || r == -1);
    rk_free(s);
}

/* Random bodies: any answer, no out-of-bounds access (ASan), and the
 * writers keep the string within its capacity. */
Test(hll, random_garbage_never_overflows)
{
    srand(11);
    for (int round = 0; round < 3000; round++) {
        size_t len = HLL_HDR_SIZE + (size_t)(rand() % 40);
        uint8_t b[64];
        hll_write_empty(b);
        for (size_t i = HLL_HDR_SIZE; i < len; i++) b[i] = (uint8_t)rand();
        bool invalid = false;
        hll_count(b, len, &invalid);
        uint8_t *max = rk_calloc(HLL_REGISTERS, 1);
        hll_merge(max, b, len);
        rk_free(max);
        struct rstr *s = from_bytes(b, len);
        for (int k = 0; k < 4; k++) {
            if (hll_set(&s, rand() % HLL_REGISTERS, 1 + (unsigned)rand() % 50, 200) < 0) break;
            cr_assert_leq(s->len, s->cap);
            if (hll_encoding_of(bytes(s)) == HLL_DENSE) cr_assert_eq(s->len, HLL_DENSE_SIZE);
        }
        hll_to_dense(&s);
        rk_free(s);
    }
}
