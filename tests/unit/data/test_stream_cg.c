/* test_stream_cg.c — consumer groups (stream_cg.h) without a server: name
 * order of groups and consumers, random deliveries, acknowledgements,
 * claims and consumer deletions against a model (an owner per ID),
 * checking that every NACK sits in its group's PEL and in exactly its
 * owner's, both in ID order; deep copies; Redis 7.0's lag rules. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "ringkv/base/random.h"
#include "ringkv/data/stream_cg.h"

#define NIDS 300
#define NCONS 5

static void setup(void)
{
    obj_types_setup();
    rk_random_seed(5);
}

TestSuite(stream_cg, .init = setup);

static bool sorted(const struct stream_pel *p)
{
    for (size_t i = 1; i < p->n; i++)
        if (stream_id_cmp(&p->v[i - 1]->id, &p->v[i]->id) >= 0) return false;
    return true;
}

/* owner[i]: index of the consumer owning ID i, -1 when not pending. */
static void check(const struct stream_group *g, const int *owner, char names[][8])
{
    size_t pending = 0;
    for (int i = 0; i < NIDS; i++) pending += owner[i] >= 0;
    cr_assert_eq(g->pel.n, pending);
    cr_assert(sorted(&g->pel));
    size_t owned = 0;
    for (size_t k = 0; k < g->nconsumers; k++) {
        const struct stream_consumer *c = g->consumers[k];
        cr_assert(sorted(&c->pel));
        owned += c->pel.n;
        for (size_t j = 0; j < c->pel.n; j++) {
            const struct stream_nack *n = c->pel.v[j];
            cr_assert_eq(n->consumer, c);
            cr_assert_eq(stream_pel_find(&g->pel, &n->id), n);
            int o = owner[n->id.seq];
            cr_assert(o >= 0 && strlen(names[o]) == c->nlen && memcmp(names[o], c->name, c->nlen) == 0);
        }
        if (k) cr_assert(memcmp(g->consumers[k - 1]->name, c->name, 2) < 0); /* name order */
    }
    cr_assert_eq(owned, pending);
}

Test(stream_cg, random_pel_against_model)
{
    struct stream *s = stream_new();
    struct stream_id zero = {0, 0};
    struct stream_group *g = stream_group_create(s, "g", 1, &zero, 0);
    cr_assert_not_null(g);
    cr_assert_null(stream_group_create(s, "g", 1, &zero, 0));
    char names[NCONS][8];
    int owner[NIDS];
    for (int i = 0; i < NIDS; i++) owner[i] = -1;
    for (int k = 0; k < NCONS; k++) snprintf(names[k], sizeof names[k], "c%d", NCONS - k); /* made out of order */
    for (int round = 0; round < 4000; round++) {
        int id = (int)rk_random_below(NIDS), k = (int)rk_random_below(NCONS);
        struct stream_id sid = {1, (uint64_t)id};
        unsigned op = (unsigned)rk_random_below(10);
        struct stream_consumer *c = stream_consumer_get(g, names[k], strlen(names[k]), round);
        if (op < 5) {
            stream_group_deliver(g, c, &sid, round);
            owner[id] = k;
            cr_assert_eq(stream_pel_find(&g->pel, &sid)->delivery_count, 1);
        } else if (op < 8) {
            cr_assert_eq(stream_group_ack(g, &sid), owner[id] >= 0);
            owner[id] = -1;
        } else if (op < 9) {
            struct stream_nack *n = stream_pel_find(&g->pel, &sid);
            cr_assert_eq(n != NULL, owner[id] >= 0);
            if (n) {
                stream_nack_assign(n, c);
                owner[id] = k;
            }
        } else if (rk_random_below(8) == 0) {
            size_t had = 0;
            for (int i = 0; i < NIDS; i++) had += owner[i] == k;
            cr_assert_eq(stream_consumer_delete(g, c), had);
            for (int i = 0; i < NIDS; i++)
                if (owner[i] == k) owner[i] = -1;
        }
        if (round % 50 == 0) check(g, owner, names);
    }
    check(g, owner, names);
    struct stream *copy = stream_dup(s);
    stream_free(s);
    struct stream_group *cg = stream_group_find(copy, "g", 1);
    cr_assert_not_null(cg);
    check(cg, owner, names);
    cr_assert_gt(stream_bytes(copy), sizeof(struct stream));
    stream_free(copy);
}

Test(stream_cg, groups_in_name_order_and_destroy)
{
    struct stream *s = stream_new();
    struct stream_id id = {5, 0};
    const char *names[] = {"b", "a", "ab", "", "ba"};
    for (int i = 0; i < 5; i++) cr_assert_not_null(stream_group_create(s, names[i], strlen(names[i]), &id, -1));
    const char *want[] = {"", "a", "ab", "b", "ba"};
    cr_assert_eq(s->groups->n, 5);
    for (int i = 0; i < 5; i++)
        cr_assert(s->groups->v[i]->nlen == strlen(want[i]) && memcmp(s->groups->v[i]->name, want[i], strlen(want[i])) == 0);
    struct stream_group *g = stream_group_find(s, "ab", 2);
    cr_assert_not_null(g);
    struct stream_consumer *c = stream_consumer_create(g, "x", 1, 1);
    stream_group_deliver(g, c, &id, 7);
    stream_group_destroy(s, g);
    cr_assert_null(stream_group_find(s, "ab", 2));
    cr_assert_eq(s->groups->n, 4);
    stream_free(s);
}

/* Redis 7.0's counters: exact without tombstones, unknown past one. */
Test(stream_cg, lag_and_entries_read)
{
    struct stream *s = stream_new();
    struct stream_limits lim = {4096, 100};
    const char *fv[] = {"f", "v"};
    size_t fl[] = {1, 1};
    for (uint64_t i = 1; i <= 5; i++) {
        struct stream_id id = {i, 0};
        stream_append(s, &id, fv, fl, 1, &lim);
    }
    struct stream_id zero = {0, 0}, three = {3, 0};
    struct stream_group *g = stream_group_create(s, "g", 1, &zero, 0);
    long long lag;
    cr_assert(stream_group_lag(s, g, &lag));
    cr_assert_eq(lag, 5);
    stream_group_advance(s, g, &(struct stream_id){1, 0});
    cr_assert_eq(g->entries_read, 1);
    cr_assert(stream_group_lag(s, g, &lag));
    cr_assert_eq(lag, 4);
    cr_assert(stream_delete(s, &three));
    cr_assert(stream_range_has_tombstones(s, &g->last_id, NULL));
    cr_assert_not(stream_group_lag(s, g, &lag)); /* a tombstone ahead: unknown */
    cr_assert_eq(stream_estimate_distance(s, &s->last_id), 5);
    cr_assert_eq(stream_estimate_distance(s, &(struct stream_id){9, 0}), STREAM_ENTRIES_READ_INVALID);
    stream_free(s);
}
