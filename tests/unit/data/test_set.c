/* test_set.c — the set value (set.h) without a server: the encoding each
 * operation leaves behind (intset -> listpack -> hashtable), a randomized
 * run against a simple reference model, deep copies, and random picks. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "ringkv/base/config.h"
#include "ringkv/base/random.h"
#include "ringkv/data/set.h"

static struct config cfg;

static void setup(void)
{
    config_init(&cfg);
    obj_types_setup();
    rk_random_seed(42);
}

TestSuite(set, .init = setup);

static struct kv *new_set(const char *first, size_t hint)
{
    return set_create("k", 1, &cfg, first, strlen(first), hint);
}

static bool add(struct kv *kv, const char *m) { return set_add(kv, &cfg, m, strlen(m)); }

Test(set, encodings_follow_the_limits)
{
    cfg.set_max_intset_entries = 4;
    struct kv *kv = new_set("1", 1);
    cr_assert_eq(kv->enc, ENC_INTSET);
    for (int i = 1; i <= 4; i++) cr_assert(add(kv, (char[]){(char)('0' + i), 0}));
    cr_assert_eq(kv->enc, ENC_INTSET);
    cr_assert(!add(kv, "4"));
    cr_assert(add(kv, "5"));
    cr_assert_eq(kv->enc, ENC_HASHTABLE, "an intset past its limit becomes a hashtable");
    kv_free(kv);

    kv = new_set("1", 1);
    cr_assert(add(kv, "1"));
    cr_assert(add(kv, "a"));
    cr_assert_eq(kv->enc, ENC_LISTPACK, "a string turns a small intset into a listpack");
    cr_assert(set_contains(kv, "1", 1) && set_contains(kv, "a", 1) && !set_contains(kv, "2", 1));
    char big[70];
    memset(big, 'x', 65);
    big[65] = 0;
    cr_assert(add(kv, big));
    cr_assert_eq(kv->enc, ENC_HASHTABLE, "a member past set-max-listpack-value");
    cr_assert_eq(set_size(kv), 3);
    kv_free(kv);

    cfg.set_max_listpack_entries = 0;
    kv = new_set("a", 1);
    cr_assert_eq(kv->enc, ENC_HASHTABLE, "set-max-listpack-entries 0: no listpack sets");
    kv_free(kv);
}

/* A sorted array of members as the reference. */
struct model {
    char m[128][8];
    int n;
};

static int model_find(const struct model *md, const char *s)
{
    for (int i = 0; i < md->n; i++)
        if (strcmp(md->m[i], s) == 0) return i;
    return -1;
}

Test(set, random_ops_match_a_model)
{
    cfg.set_max_intset_entries = 20;
    cfg.set_max_listpack_entries = 40;
    for (int round = 0; round < 50; round++) {
        struct model md = {.n = 0};
        struct kv *kv = new_set("0", 1);
        for (int step = 0; step < 400; step++) {
            char m[8];
            unsigned r = (unsigned)rk_random_below(100);
            if (rk_random_below(3) == 0) snprintf(m, sizeof m, "s%u", r % 60);
            else snprintf(m, sizeof m, "%u", r % 60);
            bool present = model_find(&md, m) >= 0;
            if (rk_random_below(3)) {
                cr_assert_eq(add(kv, m), !present, "add %s", m);
                if (!present) strcpy(md.m[md.n++], m);
            } else {
                cr_assert_eq(set_remove(kv, m, strlen(m)), present, "remove %s", m);
                if (present) {
                    int i = model_find(&md, m);
                    if (i != --md.n) strcpy(md.m[i], md.m[md.n]);
                }
            }
            cr_assert_eq(set_size(kv), (size_t)md.n);
        }
        /* every member once, and nothing else */
        struct set_iter it;
        struct set_elem e;
        int seen = 0;
        set_iter_init(&it, kv);
        while (set_iter_next(&it, &e)) {
            char buf[24];
            size_t len;
            const char *s = set_elem_str(&e, buf, &len);
            char z[24];
            snprintf(z, sizeof z, "%.*s", (int)len, s);
            cr_assert_geq(model_find(&md, z), 0, "stray member %s", z);
            seen++;
        }
        set_iter_done(&it);
        cr_assert_eq(seen, md.n);
        /* a deep copy is equal and independent */
        struct kv *copy = kv_dup(kv, "c", 1);
        cr_assert_eq(copy->enc, kv->enc);
        for (int i = 0; i < md.n; i++) cr_assert(set_contains(copy, md.m[i], strlen(md.m[i])));
        kv_free(kv);
        cr_assert_eq(set_size(copy), (size_t)md.n);
        kv_free(copy);
    }
}

Test(set, random_distinct_picks)
{
    const char *fill[] = {"1", "a"};
    for (int f = 0; f < 2; f++) {
        for (int size = 1; size <= 300; size += 37) {
            struct kv *kv = new_set(fill[f], 1);
            for (int i = 0; i < size; i++) {
                char m[16];
                snprintf(m, sizeof m, f ? "m%d" : "%d", i);
                add(kv, m);
            }
            for (size_t count = 1; count < (size_t)size; count = count * 2 + 1) {
                struct set_elem out[300];
                cr_assert_eq(set_random_distinct(kv, count, out), count);
                for (size_t i = 0; i < count; i++) {
                    char b1[24], b2[24];
                    size_t l1, l2;
                    const char *s1 = set_elem_str(&out[i], b1, &l1);
                    cr_assert(set_contains(kv, s1, l1));
                    for (size_t j = 0; j < i; j++) {
                        const char *s2 = set_elem_str(&out[j], b2, &l2);
                        cr_assert(l1 != l2 || memcmp(s1, s2, l1), "repeated pick");
                    }
                }
            }
            kv_free(kv);
        }
    }
}
