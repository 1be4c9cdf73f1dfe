/* The tracking table: a (key, reader) pair counts once, taking a key
 * hands over every reader once and forgets the key, other keys stay,
 * counts follow, clearing forgets all, random picks find tracked keys. */
#include <criterion/criterion.h>
#include "ringkv/data/trk_table.h"

#include <stdio.h>
#include <string.h>

struct seen {
    int n;
    uint64_t ids[8];
    uint32_t shards[8];
    char key[32];
};

static void collect(const struct trk_reader *r, const char *key, size_t len, void *arg)
{
    struct seen *s = arg;
    s->ids[s->n] = r->id;
    s->shards[s->n++] = r->shard;
    memcpy(s->key, key, len);
    s->key[len] = '\0';
}

Test(trk_table, a_reader_counts_once_per_key)
{
    struct trk_table *t = trk_table_create();
    cr_assert(trk_table_add(t, "k", 1, (struct trk_reader){7, 1}));
    cr_assert_not(trk_table_add(t, "k", 1, (struct trk_reader){7, 1}));
    cr_assert(trk_table_add(t, "k", 1, (struct trk_reader){8, 3}));
    cr_assert(trk_table_add(t, "other", 5, (struct trk_reader){7, 1}));
    cr_assert_eq(trk_table_keys(t), 2);
    cr_assert_eq(trk_table_items(t), 3);
    trk_table_destroy(t);
}

Test(trk_table, take_hands_every_reader_and_forgets_the_key)
{
    struct trk_table *t = trk_table_create();
    trk_table_add(t, "k", 1, (struct trk_reader){7, 1});
    trk_table_add(t, "k", 1, (struct trk_reader){8, 3});
    trk_table_add(t, "other", 5, (struct trk_reader){9, 0});
    cr_assert(trk_table_has(t, "k", 1));
    struct seen s = {0};
    cr_assert(trk_table_take(t, "k", 1, collect, &s));
    cr_assert_not(trk_table_has(t, "k", 1));
    cr_assert_eq(s.n, 2);
    cr_assert_eq(s.ids[0], 7);
    cr_assert_eq(s.shards[0], 1);
    cr_assert_eq(s.ids[1], 8);
    cr_assert_eq(s.shards[1], 3);
    cr_assert_str_eq(s.key, "k");
    cr_assert_eq(trk_table_keys(t), 1);
    cr_assert_eq(trk_table_items(t), 1);
    /* taken once: a second change finds nobody */
    s.n = 0;
    cr_assert_not(trk_table_take(t, "k", 1, collect, &s));
    cr_assert_eq(s.n, 0);
    trk_table_destroy(t);
}

Test(trk_table, binary_keys_are_told_apart)
{
    struct trk_table *t = trk_table_create();
    trk_table_add(t, "a\0b", 3, (struct trk_reader){1, 0});
    trk_table_add(t, "a\0c", 3, (struct trk_reader){2, 0});
    struct seen s = {0};
    cr_assert(trk_table_take(t, "a\0c", 3, collect, &s));
    cr_assert_eq(s.n, 1);
    cr_assert_eq(s.ids[0], 2);
    cr_assert_eq(trk_table_keys(t), 1);
    trk_table_destroy(t);
}

Test(trk_table, clear_forgets_everything)
{
    struct trk_table *t = trk_table_create();
    for (int i = 0; i < 100; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "key%d", i);
        trk_table_add(t, k, (size_t)n, (struct trk_reader){(uint64_t)i, 0});
    }
    cr_assert_eq(trk_table_keys(t), 100);
    trk_table_clear(t);
    cr_assert_eq(trk_table_keys(t), 0);
    cr_assert_eq(trk_table_items(t), 0);
    const char *key;
    size_t len;
    cr_assert_not(trk_table_random_key(t, &key, &len));
    /* usable again after clearing */
    cr_assert(trk_table_add(t, "x", 1, (struct trk_reader){1, 0}));
    cr_assert_eq(trk_table_keys(t), 1);
    trk_table_destroy(t);
}

Test(trk_table, random_picks_drain_the_table)
{
    struct trk_table *t = trk_table_create();
    for (int i = 0; i < 50; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "key%d", i);
        trk_table_add(t, k, (size_t)n, (struct trk_reader){1, 0});
    }
    const char *key;
    size_t len;
    int taken = 0;
    while (trk_table_random_key(t, &key, &len)) {
        char copy[16];
        memcpy(copy, key, len);
        struct seen s = {0};
        cr_assert(trk_table_take(t, copy, len, collect, &s));
        cr_assert_eq(s.n, 1);
        taken++;
    }
    cr_assert_eq(taken, 50);
    cr_assert_eq(trk_table_items(t), 0);
    trk_table_destroy(t);
}
