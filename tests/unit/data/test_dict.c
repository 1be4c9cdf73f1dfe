/* The intrusive dict: lookups through growth and shrinking, and SCAN's
 * guarantee that an element present for a whole scan is seen. */
#include <criterion/criterion.h>
#include "ringkv/base/alloc.h"
#include "ringkv/data/dict.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>

struct item {
    struct dict_node node;
    int id;
    char key[16];
};

static uint64_t item_hash(const struct dict_node *n) { return hash_bytes(((const struct item *)n)->key, strlen(((const struct item *)n)->key)); }
static bool item_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct item *it = (const struct item *)n;
    return strlen(it->key) == len && memcmp(it->key, key, len) == 0;
}
static const struct dict_type items = {item_hash, item_eq};

static struct item *make(int id)
{
    struct item *it = rk_calloc(1, sizeof(*it));
    it->id = id;
    snprintf(it->key, sizeof(it->key), "k%d", id);
    return it;
}

static void free_item(struct dict_node *n, void *arg) { rk_free(n); }

static struct item *find(struct dict *d, int id)
{
    char key[16];
    snprintf(key, sizeof(key), "k%d", id);
    return (struct item *)dict_find(d, key, strlen(key), hash_bytes(key, strlen(key)));
}

Test(dict, insert_find_unlink_through_resizes)
{
    struct dict d;
    dict_init(&d, &items);
    for (int i = 0; i < 20000; i++) {
        struct item *it = make(i);
        dict_insert(&d, &it->node, item_hash(&it->node));
    }
    cr_assert_eq(dict_size(&d), 20000);
    for (int i = 0; i < 20000; i++) cr_assert(find(&d, i) && find(&d, i)->id == i, "missing %d", i);
    cr_assert_null(find(&d, 20000));
    for (int i = 0; i < 20000; i += 2) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        struct dict_node *n = dict_unlink(&d, key, strlen(key), hash_bytes(key, strlen(key)));
        cr_assert_not_null(n);
        rk_free(n);
    }
    while (dict_rehash_for(&d, 1000)) {}
    cr_assert_eq(dict_size(&d), 10000);
    for (int i = 0; i < 20000; i++) cr_assert_eq(find(&d, i) != NULL, i % 2 == 1, "id %d", i);
    dict_clear(&d, free_item, NULL);
}

struct seen {
    unsigned char *hits;
};

static void mark(struct dict_node *n, void *arg)
{
    struct seen *s = arg;
    s->hits[((struct item *)n)->id] = 1;
}

/* Elements present for the whole scan are returned even when the table
 * grows and shrinks between calls. */
Test(dict, scan_survives_resizing)
{
    enum { N = 5000 };
    struct dict d;
    dict_init(&d, &items);
    for (int i = 0; i < N; i++) {
        struct item *it = make(i);
        dict_insert(&d, &it->node, item_hash(&it->node));
    }
    struct seen s = {rk_calloc(4 * N, 1)};
    uint64_t cursor = 0;
    int step = 0, next_id = N;
    do {
        cursor = dict_scan(&d, cursor, mark, &s);
        /* grow a lot, then delete the extras again: forces both resizes */
        if (step++ % 3 == 0 && next_id < 4 * N) {
            for (int k = 0; k < 2000 && next_id < 4 * N; k++) {
                struct item *it = make(next_id++);
                dict_insert(&d, &it->node, item_hash(&it->node));
            }
        } else if (step % 7 == 0) {
            for (int id = N; id < next_id; id++) {
                char key[16];
                snprintf(key, sizeof(key), "k%d", id);
                struct dict_node *n = dict_unlink(&d, key, strlen(key), hash_bytes(key, strlen(key)));
                rk_free(n);
            }
            dict_try_shrink(&d);
        }
    } while (cursor != 0);
    for (int i = 0; i < N; i++) cr_assert(s.hits[i], "element %d present all along was not returned", i);
    rk_free(s.hits);
    dict_clear(&d, free_item, NULL);
}

static uint64_t xorshift(void *arg)
{
    uint64_t *s = arg;
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Every node is equally likely, whatever its chain's length: a chi-square
 * over 100 nodes (99 degrees of freedom; 180 is far beyond the 0.00001
 * tail, and what the bucket-then-chain pick scored here was well above). */
Test(dict, random_is_uniform)
{
    enum { N = 100, DRAWS = 100000 };
    struct dict d;
    dict_init(&d, &items);
    for (int i = 0; i < N; i++) {
        struct item *it = make(i);
        dict_insert(&d, &it->node, item_hash(&it->node));
    }
    while (dict_rehash_for(&d, 1000)) {}
    static unsigned hits[N];
    uint64_t state = 88172645463325252ull;
    for (int i = 0; i < DRAWS; i++) hits[((struct item *)dict_random(&d, xorshift, &state))->id]++;
    double expect = (double)DRAWS / N, chi2 = 0;
    for (int i = 0; i < N; i++) chi2 += (hits[i] - expect) * (hits[i] - expect) / expect;
    cr_assert(chi2 < 180, "chi-square %.1f", chi2);
    dict_clear(&d, free_item, NULL);
}
