/* Unit tests for the hash value (hashval): randomized HSET/HDEL/HGET on
 * both encodings against an array model, the conversion rule checked after
 * every step, foreach/scan/random picks covering exactly the fields, and
 * dup as a deep copy. */
#include "ds_check.h"
#include "ringkv/data/dict.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/object.h"

/* The model: fields and values, fields distinct. */
typedef struct model {
    tlist f, v;
} model;

static long find(const model *m, const tval *f)
{
    for (size_t i = 0; i < m->f.n; i++)
        if (tval_eq(&m->f.v[i], f->s, f->len)) return (long)i;
    return -1;
}

/* Fields from a small pool so sets hit existing fields often. */
static tval field(void)
{
    if (trand(5) == 0) return tval_random(false);
    char buf[32];
    return tval_make(buf, (size_t)snprintf(buf, sizeof buf, trand(2) ? "f%llu" : "%llu", trand(300)));
}

static bool view_is(const lp_value *v, const tval *t) { return tval_is(t, v->str, v->len, v->ll); }

struct seen {
    const model *m;
    unsigned char *hits; /* per model field */
    size_t calls;
};

static void mark(const lp_value *f, const lp_value *v, void *arg)
{
    struct seen *s = arg;
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *fs = hashval_str(f, buf, &len);
    tval t = {(unsigned char *)fs, len};
    long i = find(s->m, &t);
    REQUIRE(i >= 0 && view_is(v, &s->m->v.v[i]), "field %.*s", (int)len, fs);
    s->hits[i]++;
    s->calls++;
}

static void check_all(struct kv *kv, const model *m, const struct hashval_limits *lim)
{
    REQUIRE(hashval_len(kv) == m->f.n, "%zu %zu", hashval_len(kv), m->f.n);
    if (kv->enc == ENC_LISTPACK) {
        REQUIRE((long long)m->f.n <= lim->max_entries);
        for (size_t i = 0; i < m->f.n; i++)
            REQUIRE((long long)m->f.v[i].len <= lim->max_value && (long long)m->v.v[i].len <= lim->max_value);
    } else {
        REQUIRE(kv->enc == ENC_HASHTABLE);
    }
    struct seen s = {m, calloc(m->f.n + 1, 1), 0};
    hashval_foreach(kv, mark, &s);
    REQUIRE(s.calls == m->f.n);
    for (size_t i = 0; i < m->f.n; i++) {
        REQUIRE(s.hits[i] == 1);
        lp_value v;
        REQUIRE(hashval_get(kv, m->f.v[i].s, m->f.v[i].len, &v) && view_is(&v, &m->v.v[i]));
    }
    free(s.hits);
}

static void op_set(struct kv *kv, model *m, const struct hashval_limits *lim)
{
    tval f = field(), v = tval_random(trand(20) == 0);
    size_t lens[2] = {f.len, v.len};
    if (trand(2)) hashval_prepare(kv, lens, 2, lim);
    long i = find(m, &f);
    REQUIRE(hashval_set(kv, f.s, f.len, v.s, v.len, lim) == (i < 0));
    if (i < 0) {
        tlist_insert(&m->f, m->f.n, f);
        tlist_insert(&m->v, m->v.n, v);
    } else {
        free(f.s);
        free(m->v.v[i].s);
        m->v.v[i] = v;
    }
}

static void op_delete(struct kv *kv, model *m)
{
    tval f;
    if (m->f.n && trand(4)) { /* mostly a present field */
        const tval *t = &m->f.v[trand(m->f.n)];
        f = tval_make(t->s, t->len);
    } else {
        f = field();
    }
    long i = find(m, &f);
    lp_value v;
    REQUIRE(hashval_delete(kv, f.s, f.len) == (i >= 0));
    REQUIRE(!hashval_get(kv, f.s, f.len, &v));
    if (i >= 0) {
        tlist_delete(&m->f, (size_t)i, 1);
        tlist_delete(&m->v, (size_t)i, 1);
    }
    free(f.s);
}

static void op_random(struct kv *kv, const model *m)
{
    if (!m->f.n) return;
    struct seen s = {m, calloc(m->f.n, 1), 0};
    size_t count = 1 + trand(m->f.n + 5);
    hashval_random(kv, count, false, mark, &s);
    REQUIRE(s.calls == count);
    memset(s.hits, 0, m->f.n);
    s.calls = 0;
    count = trand(m->f.n); /* unique picks need count < len */
    hashval_random(kv, count, true, mark, &s);
    REQUIRE(s.calls == count);
    for (size_t i = 0; i < m->f.n; i++) REQUIRE(s.hits[i] <= 1);
    free(s.hits);
}

/* A full scan returns every field at least once. */
static void op_scan(struct kv *kv, const model *m)
{
    if (kv->enc != ENC_HASHTABLE) return;
    struct seen s = {m, calloc(m->f.n + 1, 1), 0};
    uint64_t cursor = 0;
    do cursor = hashval_scan(kv, cursor, mark, &s);
    while (cursor);
    for (size_t i = 0; i < m->f.n; i++) REQUIRE(s.hits[i] >= 1);
    free(s.hits);
}

static void op_dup(struct kv *kv, const model *m, const struct hashval_limits *lim)
{
    struct kv *copy = kv_dup(kv, "c", 1);
    REQUIRE(copy->enc == kv->enc && copy->v.ptr != kv->v.ptr);
    check_all(copy, m, lim);
    for (size_t i = 0; i < m->f.n; i++) hashval_delete(copy, m->f.v[i].s, m->f.v[i].len);
    REQUIRE(hashval_len(copy) == 0);
    kv_free(copy);
    check_all(kv, m, lim);
}

static void run_random(uint64_t seed, struct hashval_limits lim, int ops)
{
    rk_random_seed(seed);
    obj_types_setup();
    struct kv *kv = hashval_create("k", 1);
    model m = {0};
    for (int op = 0; op < ops; op++) {
        switch (trand(10)) {
        case 0: case 1: case 2: case 3: op_set(kv, &m, &lim); break;
        case 4: case 5: op_delete(kv, &m); break;
        case 6: op_random(kv, &m); break;
        case 7: op_scan(kv, &m); break;
        case 8: if (trand(10) == 0) op_dup(kv, &m, &lim); break;
        default: for (int k = 0; k < 10; k++) op_set(kv, &m, &lim);
        }
        check_all(kv, &m, &lim);
        if (m.f.n == 0 && trand(4) == 0) { /* start over: a fresh listpack */
            kv_free(kv);
            kv = hashval_create("k", 1);
        }
    }
    kv_free(kv);
    tlist_free(&m.f);
    tlist_free(&m.v);
}

Test(hashval, randomized_against_model)
{
    static const struct hashval_limits lims[] = {
        {128, 64}, {4, 8}, {0, 0}, {1, 1000}, {100000, 100000}, {16, 0},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(lims); i++) run_random(900 + i, lims[i], 800);
}

Test(hashval, conversion_points)
{
    obj_types_setup();
    struct hashval_limits lim = {3, 5};
    struct kv *kv = hashval_create("k", 1);
    hashval_set(kv, "a", 1, "12345", 5, &lim);
    hashval_set(kv, "b", 1, "1", 1, &lim);
    hashval_set(kv, "c", 1, "1", 1, &lim);
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    hashval_set(kv, "c", 1, "2", 1, &lim); /* an update adds no field */
    cr_assert_eq(kv->enc, ENC_LISTPACK);
    hashval_set(kv, "d", 1, "1", 1, &lim);
    cr_assert_eq(kv->enc, ENC_HASHTABLE);
    /* Never back, as in Redis. */
    hashval_delete(kv, "d", 1);
    hashval_delete(kv, "c", 1);
    cr_assert_eq(kv->enc, ENC_HASHTABLE);
    kv_free(kv);

    kv = hashval_create("k", 1);
    hashval_set(kv, "a", 1, "123456", 6, &lim); /* value over 5 bytes */
    cr_assert_eq(kv->enc, ENC_HASHTABLE);
    kv_free(kv);

    kv = hashval_create("k", 1);
    size_t lens[] = {1, 6};
    hashval_prepare(kv, lens, 2, &lim);
    cr_assert_eq(kv->enc, ENC_HASHTABLE);
    lp_value v;
    cr_assert(!hashval_get(kv, "a", 1, &v));
    kv_free(kv);
}

/* Integers keep their exact text whatever the encoding. */
Test(hashval, integer_text_round_trip)
{
    obj_types_setup();
    struct hashval_limits lims[] = {{128, 64}, {0, 0}};
    const char *vals[] = {"0", "-1", "9223372036854775807", "-9223372036854775808", "007", "-0", "1.0"};
    for (size_t l = 0; l < RK_ARRAY_LEN(lims); l++) {
        struct kv *kv = hashval_create("k", 1);
        for (size_t i = 0; i < RK_ARRAY_LEN(vals); i++)
            hashval_set(kv, vals[i], strlen(vals[i]), vals[i], strlen(vals[i]), &lims[l]);
        for (size_t i = 0; i < RK_ARRAY_LEN(vals); i++) {
            lp_value v;
            char buf[RK_LONG_STR_SIZE];
            size_t len;
            cr_assert(hashval_get(kv, vals[i], strlen(vals[i]), &v));
            const char *s = hashval_str(&v, buf, &len);
            cr_assert(len == strlen(vals[i]) && memcmp(s, vals[i], len) == 0);
        }
        kv_free(kv);
    }
}
