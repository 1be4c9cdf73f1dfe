/* test_zset.c — the sorted set value (zset.h) without a server: a
 * randomized run of adds, updates, removals and range deletions against a
 * reference model, in both encodings and across the conversion, checking
 * order, scores, ranks, range counts and deep copies. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringkv/base/config.h"
#include "ringkv/base/random.h"
#include "ringkv/data/zset.h"

static struct config cfg;

static void setup(void)
{
    config_init(&cfg);
    obj_types_setup();
    rk_random_seed(7);
}

TestSuite(zset, .init = setup);

struct entry {
    char m[8];
    double score;
};

struct model {
    struct entry e[256];
    int n;
};

static int entry_cmp(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    return strcmp(a->m, b->m);
}

static int model_find(const struct model *md, const char *m)
{
    for (int i = 0; i < md->n; i++)
        if (strcmp(md->e[i].m, m) == 0) return i;
    return -1;
}

/* The whole set walked in order equals the sorted model. */
static void check_against(struct kv *kv, struct model *md)
{
    qsort(md->e, (size_t)md->n, sizeof(md->e[0]), entry_cmp);
    cr_assert_eq(zset_length(kv), (size_t)md->n);
    struct zset_iter it;
    struct zset_elem e;
    int i = 0;
    zset_iter_rank(&it, kv, 0, false);
    while (zset_iter_next(&it, &e)) {
        char buf[24];
        size_t len;
        const char *m = zset_elem_str(&e, buf, &len);
        cr_assert(i < md->n && len == strlen(md->e[i].m) && memcmp(m, md->e[i].m, len) == 0 &&
                      e.score == md->e[i].score,
                  "position %d", i);
        cr_assert_eq(zset_rank(kv, md->e[i].m, len, false), i);
        cr_assert_eq(zset_rank(kv, md->e[i].m, len, true), md->n - 1 - i);
        i++;
    }
    cr_assert_eq(i, md->n);
}

Test(zset, random_ops_match_a_model)
{
    cfg.zset_max_listpack_entries = 40;
    for (int round = 0; round < 40; round++) {
        struct model md = {.n = 0};
        struct kv *kv = zset_create("k", 1, ENC_LISTPACK);
        for (int step = 0; step < 300; step++) {
            char m[8];
            snprintf(m, sizeof m, "%c%u", rk_random_below(2) ? 'm' : '1', (unsigned)rk_random_below(80));
            double score = (double)rk_random_below(20) / 2;
            int at = model_find(&md, m), out;
            unsigned op = (unsigned)rk_random_below(10);
            if (op < 6) {
                cr_assert(zset_add(kv, &cfg, score, m, strlen(m), 0, &out, NULL));
                cr_assert_eq(!!(out & ZADD_OUT_ADDED), at < 0);
                if (at < 0) at = md.n++;
                strcpy(md.e[at].m, m);
                md.e[at].score = score;
            } else if (op < 9) {
                cr_assert_eq(zset_del(kv, m, strlen(m)), at >= 0);
                if (at >= 0) md.e[at] = md.e[--md.n];
            } else {
                zsl_range r = {score, score + 2, false, true};
                size_t want = 0;
                for (int i = 0; i < md.n; i++) want += md.e[i].score >= r.min && md.e[i].score < r.max;
                cr_assert_eq(zset_count_score(kv, &r), want);
                cr_assert_eq(zset_delete_score(kv, &r), want);
                for (int i = 0; i < md.n;)
                    if (md.e[i].score >= r.min && md.e[i].score < r.max) md.e[i] = md.e[--md.n];
                    else i++;
            }
            if (step % 50 == 0) check_against(kv, &md);
        }
        check_against(kv, &md);
        struct kv *copy = kv_dup(kv, "c", 1);
        kv_free(kv);
        check_against(copy, &md);
        kv_free(copy);
    }
}

Test(zset, conversion_keeps_order_and_zero_sign)
{
    struct kv *kv = zset_create("k", 1, ENC_LISTPACK);
    int out;
    zset_add(kv, &cfg, -0.0, "z", 1, 0, &out, NULL);
    zset_add(kv, &cfg, 1.5, "a", 1, 0, &out, NULL);
    double s;
    cr_assert(zset_score(kv, "z", 1, &s) && s == 0 && !signbit(s), "a listpack stores -0 as 0");
    zset_convert(kv, ENC_SKIPLIST);
    cr_assert_eq(kv->enc, ENC_SKIPLIST);
    zset_add(kv, &cfg, -0.0, "y", 1, 0, &out, NULL);
    cr_assert(zset_score(kv, "y", 1, &s) && signbit(s), "a skiplist keeps -0");
    cr_assert_eq(zset_rank(kv, "a", 1, false), 2);
    zset_shrink_if_fits(kv, &cfg, 1, 3);
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    cr_assert_eq(zset_rank(kv, "a", 1, false), 2);
    kv_free(kv);
}
