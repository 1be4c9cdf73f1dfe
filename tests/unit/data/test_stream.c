/* test_stream.c — the stream value (stream.h) without a server: random
 * appends (same and differing fields), deletions and trims (MAXLEN and
 * MINID, exact and approximate) against a plain array of entries, checking
 * forward and backward ranges, field values, counts, first/last IDs, deep
 * copies and that every node passes the untrusted-input check. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "ringkv/base/random.h"
#include "ringkv/base/util.h"
#include "ringkv/data/stream.h"

#define MAXE 4000

struct mentry {
    struct stream_id id;
    bool deleted;
    int nf;
    char f[3][8], v[3][24];
};

static struct mentry model[MAXE];
static size_t nmodel;

static void setup(void)
{
    obj_types_setup();
    rk_random_seed(11);
    nmodel = 0;
}

TestSuite(stream, .init = setup);

static size_t lpv_str(const lp_value *v, char *buf)
{
    if (v->str) {
        memcpy(buf, v->str, v->len);
        return v->len;
    }
    return ll2string(buf, v->ll);
}

static uint64_t model_live(void)
{
    uint64_t n = 0;
    for (size_t i = 0; i < nmodel; i++) n += !model[i].deleted;
    return n;
}

/* Every live model entry in [lo, hi] is returned, in order, with its fields. */
static void check_range(const struct stream *s, struct stream_id lo, struct stream_id hi, bool rev)
{
    struct stream_iter it;
    stream_iter_init(&it, s, &lo, &hi, rev);
    long i = rev ? (long)nmodel - 1 : 0;
    struct stream_id id;
    int64_t nf;
    for (;;) {
        while (i >= 0 && i < (long)nmodel &&
               (model[i].deleted || stream_id_cmp(&model[i].id, &lo) < 0 || stream_id_cmp(&model[i].id, &hi) > 0))
            i += rev ? -1 : 1;
        bool more = stream_iter_next(&it, &id, &nf);
        if (i < 0 || i >= (long)nmodel) {
            cr_assert(!more, "extra entry %llu-%llu", (unsigned long long)id.ms, (unsigned long long)id.seq);
            return;
        }
        const struct mentry *m = &model[i];
        cr_assert(more, "missing entry %llu-%llu", (unsigned long long)m->id.ms, (unsigned long long)m->id.seq);
        cr_assert_eq(stream_id_cmp(&id, &m->id), 0);
        cr_assert_eq(nf, m->nf);
        for (int k = 0; k < m->nf; k++) {
            lp_value f, v;
            char fb[32], vb[32];
            stream_iter_field(&it, &f, &v);
            size_t fl = lpv_str(&f, fb), vl = lpv_str(&v, vb);
            cr_assert(fl == strlen(m->f[k]) && memcmp(fb, m->f[k], fl) == 0);
            cr_assert(vl == strlen(m->v[k]) && memcmp(vb, m->v[k], vl) == 0);
        }
        i += rev ? -1 : 1;
    }
}

static void check_all(const struct stream *s)
{
    cr_assert_eq(s->length, model_live());
    struct stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
    check_range(s, lo, hi, false);
    check_range(s, lo, hi, true);
    if (nmodel) {
        struct stream_id a = model[rk_random_below(nmodel)].id, b = model[rk_random_below(nmodel)].id;
        if (stream_id_cmp(&a, &b) > 0) {
            struct stream_id t = a;
            a = b;
            b = t;
        }
        check_range(s, a, b, false);
        check_range(s, a, b, true);
    }
    struct stream_id first;
    bool any = stream_first_entry(s, &first);
    cr_assert_eq(any, s->length > 0);
    if (any) cr_assert_eq(stream_id_cmp(&first, &s->first_id), 0);
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct stream_node *n = &s->nodes[s->head + i];
        uint64_t live;
        struct stream_id last;
        cr_assert(stream_node_validate(&n->master, n->lp, lp_bytes(n->lp), &live, &last));
    }
}

static void add_random(struct stream *s, const struct stream_limits *lim)
{
    struct mentry *m = &model[nmodel++];
    struct stream_id id = s->last_id;
    if (rk_random_below(3) == 0) {
        id.ms += 1 + rk_random_below(5);
        id.seq = rk_random_below(4);
    } else {
        id.seq++;
    }
    m->id = id;
    m->deleted = false;
    m->nf = 1 + (int)rk_random_below(3);
    const char *fv[6];
    size_t fvl[6];
    bool same = rk_random_below(4) != 0;
    for (int k = 0; k < m->nf; k++) {
        snprintf(m->f[k], sizeof m->f[k], same ? "f%d" : "g%d", same ? k : (int)rk_random_below(50));
        if (rk_random_below(2)) snprintf(m->v[k], sizeof m->v[k], "%lld", (long long)rk_random_below(100000) - 500);
        else snprintf(m->v[k], sizeof m->v[k], "v%llu", (unsigned long long)rk_random_below(1000));
        fv[2 * k] = m->f[k];
        fvl[2 * k] = strlen(m->f[k]);
        fv[2 * k + 1] = m->v[k];
        fvl[2 * k + 1] = strlen(m->v[k]);
    }
    stream_append(s, &id, fv, fvl, (size_t)m->nf, lim);
}

static void delete_random(struct stream *s)
{
    size_t i = rk_random_below(nmodel);
    bool expect = !model[i].deleted;
    cr_assert_eq(stream_delete(s, &model[i].id), expect);
    model[i].deleted = true;
    struct stream_id none = model[i].id;
    none.seq += 1000000; /* never used: deleting it finds nothing */
    cr_assert(!stream_delete(s, &none));
}

/* The model's effect of an exact trim. */
static void model_trim(const struct stream_trim *t)
{
    uint64_t live = model_live();
    for (size_t i = 0; i < nmodel; i++) {
        if (model[i].deleted) continue;
        if (t->by == STREAM_TRIM_MAXLEN ? live <= t->maxlen : stream_id_cmp(&model[i].id, &t->minid) >= 0) break;
        model[i].deleted = true;
        live--;
    }
}

static void trim_random(struct stream *s)
{
    struct stream_trim t = {.by = rk_random_below(2) ? STREAM_TRIM_MAXLEN : STREAM_TRIM_MINID,
                            .approx = rk_random_below(2) != 0};
    uint64_t live = model_live();
    t.maxlen = live > 20 ? live - rk_random_below(20) : live;
    t.minid = nmodel ? model[rk_random_below(nmodel)].id : (struct stream_id){0, 0};
    uint64_t before = s->length;
    uint64_t removed = stream_trim(s, &t);
    cr_assert_eq(before - removed, s->length);
    if (!t.approx) {
        model_trim(&t);
        return;
    }
    /* approximate: what went is a prefix of what an exact trim takes */
    uint64_t gone = removed;
    for (size_t i = 0; i < nmodel && gone; i++) {
        if (model[i].deleted) continue;
        model[i].deleted = true;
        gone--;
    }
    if (t.by == STREAM_TRIM_MAXLEN) cr_assert_geq(s->length, t.maxlen);
}

static void run(const struct stream_limits *lim, int rounds)
{
    struct stream *s = stream_new();
    for (int r = 0; r < rounds && nmodel < MAXE; r++) {
        unsigned op = (unsigned)rk_random_below(20);
        if (op < 15) add_random(s, lim);
        else if (op < 18 && nmodel) delete_random(s);
        else trim_random(s);
        if (r % 97 == 0) check_all(s);
    }
    check_all(s);
    struct stream *copy = stream_dup(s);
    stream_free(s);
    check_all(copy);
    cr_assert_gt(stream_bytes(copy), 0);
    stream_free(copy);
}

Test(stream, random_against_model_default_nodes)
{
    struct stream_limits lim = {4096, 100};
    run(&lim, 3500);
}

Test(stream, random_against_model_tiny_nodes)
{
    struct stream_limits lim = {0, 3};
    run(&lim, 3500);
}

Test(stream, random_against_model_byte_bound_nodes)
{
    struct stream_limits lim = {64, 0};
    run(&lim, 3500);
}

Test(stream, ids_order_format_and_encoding)
{
    struct stream_id a = {5, UINT64_MAX}, b = a;
    cr_assert(stream_id_incr(&b));
    cr_assert(b.ms == 6 && b.seq == 0);
    cr_assert(stream_id_decr(&b));
    cr_assert_eq(stream_id_cmp(&a, &b), 0);
    struct stream_id max = {UINT64_MAX, UINT64_MAX}, zero = {0, 0};
    cr_assert(!stream_id_incr(&max));
    cr_assert(!stream_id_decr(&zero));
    char buf[48];
    size_t n = stream_id_format(&a, buf);
    cr_assert(n == strlen("5-18446744073709551615") && memcmp(buf, "5-18446744073709551615", n) == 0);
    unsigned char raw[16];
    stream_id_encode(&a, raw);
    cr_assert(raw[7] == 5 && raw[8] == 0xff);
    struct stream_id back;
    stream_id_decode(raw, &back);
    cr_assert_eq(stream_id_cmp(&a, &back), 0);
}

Test(stream, validate_rejects_broken_nodes)
{
    struct stream_limits lim = {4096, 100};
    struct stream *s = stream_new();
    for (int i = 0; i < 5; i++) add_random(s, &lim);
    struct stream_node *n = &s->nodes[s->head];
    size_t size = lp_bytes(n->lp);
    uint64_t live;
    struct stream_id last;
    cr_assert(stream_node_validate(&n->master, n->lp, size, &live, &last));
    cr_assert_eq(live, 5);
    cr_assert_eq(stream_id_cmp(&last, &s->last_id), 0);
    /* a wrong count in the master entry */
    unsigned char *copy = malloc(size);
    memcpy(copy, n->lp, size);
    copy[LP_HDR_SIZE] = 7; /* count 5 -> 7 (a 7-bit integer) */
    cr_assert(!stream_node_validate(&n->master, copy, size, &live, &last));
    /* truncated */
    cr_assert(!stream_node_validate(&n->master, n->lp, size - 3, &live, &last));
    free(copy);
    stream_free(s);
}
