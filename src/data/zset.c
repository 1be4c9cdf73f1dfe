/* zset.c — the sorted set type's value in its two encodings; see zset.h.
 * One thread: the shard owning the record. */
#include "ringkv/data/zset.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/listpack.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/base/pickset.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---- the skiplist encoding's dict: member -> node ---- */

struct zset_dnode {
    struct dict_node node;
    zsl_node *zn;
};

static uint64_t dnode_hash(const struct dict_node *n)
{
    const zsl_node *zn = ((const struct zset_dnode *)n)->zn;
    return hash_bytes(zsl_member(zn), zn->mlen);
}

static bool dnode_eq(const struct dict_node *n, const void *key, size_t len)
{
    const zsl_node *zn = ((const struct zset_dnode *)n)->zn;
    return zn->mlen == len && memcmp(zsl_member(zn), key, len) == 0;
}

static const struct dict_type zset_dict_type = {dnode_hash, dnode_eq};

static struct zset *zs_new(void)
{
    struct zset *zs = rk_malloc(sizeof(*zs));
    dict_init(&zs->dict, &zset_dict_type);
    zs->zsl = zsl_create();
    return zs;
}

static zsl_node *zs_find(struct zset *zs, const void *m, size_t mlen)
{
    struct dict_node *n = dict_find(&zs->dict, m, mlen, hash_bytes(m, mlen));
    return n ? ((struct zset_dnode *)n)->zn : NULL;
}

/* Inserts a member known to be absent. */
static void zs_insert(struct zset *zs, double score, const void *m, size_t mlen)
{
    struct zset_dnode *dn = rk_malloc(sizeof(*dn));
    dn->zn = zsl_insert(zs->zsl, score, m, mlen);
    dict_insert(&zs->dict, &dn->node, hash_bytes(m, mlen));
}

static void free_dnode(struct dict_node *n, void *arg) { rk_free(n); }

static void zs_free(struct zset *zs)
{
    dict_clear(&zs->dict, free_dnode, NULL);
    zsl_free(zs->zsl);
    rk_free(zs);
}

/* Range deletions drop each removed node from the dict here. */
static void zs_unlink_removed(void *ctx, zsl_node *zn)
{
    struct zset *zs = ctx;
    const unsigned char *m = zsl_member(zn);
    rk_free(dict_unlink(&zs->dict, m, zn->mlen, hash_bytes(m, zn->mlen)));
}

/* ---- the listpack encoding: member/score pairs ---- */

static double lp_value_score(const lp_value *v)
{
    double d = 0;
    if (!v->str) return (double)v->ll;
    if (!string2d((const char *)v->str, v->len, &d)) d = 0;
    return d;
}

static double zzl_score(const unsigned char *p)
{
    lp_value v;
    lp_get(p, &v);
    return lp_value_score(&v);
}

static void zzl_elem(unsigned char *lp, unsigned char *p, struct zset_elem *e)
{
    lp_value v;
    lp_get(p, &v);
    e->str = (const char *)v.str;
    e->len = v.len;
    e->ll = v.ll;
    e->score = zzl_score(lp_next(lp, p));
}

static unsigned char *zzl_find(unsigned char *lp, const void *m, size_t mlen, double *score)
{
    unsigned char *p = lp_first(lp);
    if (p) p = lp_find(lp, p, m, mlen, 1);
    if (p && score) *score = zzl_score(lp_next(lp, p));
    return p;
}

/* Redis 7.0's double2ll: scores that are exact integers within +-2^62
 * go into the listpack as integers, so -0 is stored (and read back) as 0. */
static bool double_as_ll(double d, long long *out)
{
    if (d < (double)(-LLONG_MAX / 2) || d > (double)(LLONG_MAX / 2)) return false;
    long long ll = (long long)d;
    if ((double)ll != d) return false;
    *out = ll;
    return true;
}

/* Inserts the pair before the member entry at p, or appends if p is NULL. */
static unsigned char *zzl_insert_at(unsigned char *lp, unsigned char *p, const void *m, size_t mlen, double score)
{
    char sbuf[RK_MAX_D_CHARS];
    long long ll;
    size_t slen = double_as_ll(score, &ll) ? ll2string(sbuf, ll) : d2string(sbuf, sizeof sbuf, score);
    if (!p) {
        lp = lp_append(lp, m, mlen);
        return lp_append(lp, sbuf, slen);
    }
    unsigned char *np;
    lp = lp_insert(lp, p, LP_BEFORE, m, mlen, &np);
    return lp_insert(lp, np, LP_AFTER, sbuf, slen, NULL);
}

static unsigned char *zzl_insert(unsigned char *lp, const void *m, size_t mlen, double score)
{
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        double s = zzl_score(lp_next(lp, p));
        if (s > score || (s == score && lp_cmp(p, m, mlen) > 0)) return zzl_insert_at(lp, p, m, mlen, score);
    }
    return zzl_insert_at(lp, NULL, m, mlen, score);
}

static unsigned char *zzl_delete(unsigned char *lp, unsigned char *p) { return lp_delete_range_at(lp, &p, 2); }

static unsigned char *zzl_prev_member(unsigned char *lp, unsigned char *p)
{
    unsigned char *s = lp_prev(lp, p);
    return s ? lp_prev(lp, s) : NULL;
}

static bool zzl_lex_gte(const unsigned char *p, const zsl_lex_range *r)
{
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *s = lp_get_str(p, &len, buf);
    return zsl_lex_gte_min(s, len, r);
}

static bool zzl_lex_lte(const unsigned char *p, const zsl_lex_range *r)
{
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const unsigned char *s = lp_get_str(p, &len, buf);
    return zsl_lex_lte_max(s, len, r);
}

static unsigned char *zzl_first_in_range(unsigned char *lp, const zsl_range *r)
{
    if (zsl_range_is_empty(r)) return NULL;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        double s = zzl_score(lp_next(lp, p));
        if (zsl_score_gte_min(s, r)) return zsl_score_lte_max(s, r) ? p : NULL;
    }
    return NULL;
}

static unsigned char *zzl_last_in_range(unsigned char *lp, const zsl_range *r)
{
    if (zsl_range_is_empty(r)) return NULL;
    unsigned char *last = lp_last(lp);
    for (unsigned char *p = last ? lp_prev(lp, last) : NULL; p; p = zzl_prev_member(lp, p)) {
        double s = zzl_score(lp_next(lp, p));
        if (zsl_score_lte_max(s, r)) return zsl_score_gte_min(s, r) ? p : NULL;
    }
    return NULL;
}

static unsigned char *zzl_first_in_lex(unsigned char *lp, const zsl_lex_range *r)
{
    if (zsl_lex_range_is_empty(r)) return NULL;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p)))
        if (zzl_lex_gte(p, r)) return zzl_lex_lte(p, r) ? p : NULL;
    return NULL;
}

static unsigned char *zzl_last_in_lex(unsigned char *lp, const zsl_lex_range *r)
{
    if (zsl_lex_range_is_empty(r)) return NULL;
    unsigned char *last = lp_last(lp);
    for (unsigned char *p = last ? lp_prev(lp, last) : NULL; p; p = zzl_prev_member(lp, p))
        if (zzl_lex_lte(p, r)) return zzl_lex_gte(p, r) ? p : NULL;
    return NULL;
}

/* ---- creation, size, conversion ---- */

struct kv *zset_create(const char *key, size_t klen, enum obj_encoding enc)
{
    void *v = enc == ENC_LISTPACK ? (void *)lp_new(0) : (void *)zs_new();
    return kv_new_object(key, klen, OBJ_ZSET, enc, v);
}

struct kv *zset_create_for(const char *key, size_t klen, const struct config *cfg, size_t flen)
{
    bool lp = cfg->zset_max_listpack_entries != 0 && flen <= (size_t)cfg->zset_max_listpack_value;
    return zset_create(key, klen, lp ? ENC_LISTPACK : ENC_SKIPLIST);
}

size_t zset_length(const struct kv *kv)
{
    if (kv->enc == ENC_LISTPACK) return lp_len(kv->v.ptr) / 2;
    return zsl_length(((const struct zset *)kv->v.ptr)->zsl);
}

const char *zset_elem_str(const struct zset_elem *e, char *buf, size_t *len)
{
    if (e->str) {
        *len = e->len;
        return e->str;
    }
    *len = ll2string(buf, e->ll);
    return buf;
}

void zset_convert(struct kv *kv, enum obj_encoding enc)
{
    if (kv->enc == enc) return;
    struct zset_iter it;
    struct zset_elem e;
    void *to = enc == ENC_LISTPACK ? (void *)lp_new(0) : (void *)zs_new();
    zset_iter_rank(&it, kv, 0, false);
    while (zset_iter_next(&it, &e)) {
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *m = zset_elem_str(&e, buf, &len);
        if (enc == ENC_LISTPACK) to = zzl_insert_at(to, NULL, m, len, e.score);
        else zs_insert(to, e.score, m, len);
    }
    zset_type_ops.free_value(kv->v.ptr, kv->enc);
    kv->v.ptr = to;
    kv->enc = enc;
}

void zset_shrink_if_fits(struct kv *kv, const struct config *cfg, size_t maxlen, size_t total)
{
    if (kv->enc == ENC_LISTPACK) return;
    if (zset_length(kv) <= (size_t)cfg->zset_max_listpack_entries && maxlen <= (size_t)cfg->zset_max_listpack_value &&
        lp_safe_to_add(NULL, total))
        zset_convert(kv, ENC_LISTPACK);
}

/* ---- members ---- */

static bool listpack_fits(unsigned char *lp, const struct config *cfg, size_t mlen)
{
    return lp_len(lp) / 2 + 1 <= (size_t)cfg->zset_max_listpack_entries &&
           mlen <= (size_t)cfg->zset_max_listpack_value && lp_safe_to_add(lp, mlen);
}

/* The shared decision for an existing member: the new score, or false
 * (with *out set) when nothing changes or the result is NaN. */
static bool existing_score(int in, double cur, double *score, int *out)
{
    if (in & ZADD_IN_NX) {
        *out |= ZADD_OUT_NOP;
        return false;
    }
    if (in & ZADD_IN_INCR) {
        *score += cur;
        if (isnan(*score)) {
            *out |= ZADD_OUT_NAN;
            return false;
        }
    }
    if (((in & ZADD_IN_LT) && *score >= cur) || ((in & ZADD_IN_GT) && *score <= cur)) {
        *out |= ZADD_OUT_NOP;
        return false;
    }
    return true;
}

bool zset_add(struct kv *kv, const struct config *cfg, double score, const char *m, size_t mlen, int in,
              int *out, double *newscore)
{
    *out = 0;
    if (isnan(score)) {
        *out = ZADD_OUT_NAN;
        return false;
    }
    if (kv->enc == ENC_LISTPACK) {
        double cur;
        unsigned char *p = zzl_find(kv->v.ptr, m, mlen, &cur);
        if (p) {
            if (!existing_score(in, cur, &score, out)) return !(*out & ZADD_OUT_NAN);
            if (newscore) *newscore = score;
            if (score != cur) {
                kv->v.ptr = zzl_insert(zzl_delete(kv->v.ptr, p), m, mlen, score);
                *out |= ZADD_OUT_UPDATED;
            }
            return true;
        }
        if (in & ZADD_IN_XX) {
            *out |= ZADD_OUT_NOP;
            return true;
        }
        if (listpack_fits(kv->v.ptr, cfg, mlen)) {
            kv->v.ptr = zzl_insert(kv->v.ptr, m, mlen, score);
            if (newscore) *newscore = score;
            *out |= ZADD_OUT_ADDED;
            return true;
        }
        zset_convert(kv, ENC_SKIPLIST);
    }
    struct zset *zs = kv->v.ptr;
    zsl_node *zn = zs_find(zs, m, mlen);
    if (zn) {
        if (!existing_score(in, zn->score, &score, out)) return !(*out & ZADD_OUT_NAN);
        if (newscore) *newscore = score;
        if (score != zn->score) {
            zsl_update_score(zs->zsl, zn, score);
            *out |= ZADD_OUT_UPDATED;
        }
        return true;
    }
    if (in & ZADD_IN_XX) {
        *out |= ZADD_OUT_NOP;
        return true;
    }
    zs_insert(zs, score, m, mlen);
    *out |= ZADD_OUT_ADDED;
    if (newscore) *newscore = score;
    return true;
}

bool zset_del(struct kv *kv, const char *m, size_t mlen)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *p = zzl_find(kv->v.ptr, m, mlen, NULL);
        if (!p) return false;
        kv->v.ptr = zzl_delete(kv->v.ptr, p);
        return true;
    }
    struct zset *zs = kv->v.ptr;
    struct zset_dnode *dn = (struct zset_dnode *)dict_unlink(&zs->dict, m, mlen, hash_bytes(m, mlen));
    if (!dn) return false;
    zsl_delete(zs->zsl, dn->zn->score, m, mlen, NULL);
    rk_free(dn);
    dict_try_shrink(&zs->dict);
    return true;
}

bool zset_score(struct kv *kv, const char *m, size_t mlen, double *score)
{
    if (kv->enc == ENC_LISTPACK) return zzl_find(kv->v.ptr, m, mlen, score) != NULL;
    zsl_node *zn = zs_find(kv->v.ptr, m, mlen);
    if (zn) *score = zn->score;
    return zn != NULL;
}

long long zset_rank(struct kv *kv, const char *m, size_t mlen, bool reverse)
{
    size_t len = zset_length(kv);
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        long long rank = 0;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p)), rank++)
            if (lp_eq(p, m, mlen)) return reverse ? (long long)len - 1 - rank : rank;
        return -1;
    }
    struct zset *zs = kv->v.ptr;
    zsl_node *zn = zs_find(zs, m, mlen);
    if (!zn) return -1;
    size_t r = zsl_rank(zs->zsl, zn->score, m, mlen);
    return reverse ? (long long)(len - r) : (long long)r - 1;
}

/* ---- iteration ---- */

static void iter_init(struct zset_iter *it, struct kv *kv, bool rev)
{
    it->kv = kv;
    it->rev = rev;
    it->p = NULL;
    it->n = NULL;
}

void zset_iter_rank(struct zset_iter *it, struct kv *kv, size_t rank, bool rev)
{
    iter_init(it, kv, rev);
    if (rank >= zset_length(kv)) return;
    if (kv->enc == ENC_LISTPACK) {
        long idx = rev ? -2 - 2 * (long)rank : 2 * (long)rank;
        it->p = lp_seek(kv->v.ptr, idx);
    } else {
        struct zset *zs = kv->v.ptr;
        size_t len = zsl_length(zs->zsl);
        it->n = zsl_by_rank(zs->zsl, rev ? len - rank : rank + 1);
    }
}

void zset_iter_score(struct zset_iter *it, struct kv *kv, const zsl_range *r, bool rev)
{
    iter_init(it, kv, rev);
    if (kv->enc == ENC_LISTPACK)
        it->p = rev ? zzl_last_in_range(kv->v.ptr, r) : zzl_first_in_range(kv->v.ptr, r);
    else
        it->n = rev ? zsl_last_in_range(((struct zset *)kv->v.ptr)->zsl, r)
                    : zsl_first_in_range(((struct zset *)kv->v.ptr)->zsl, r);
}

void zset_iter_lex(struct zset_iter *it, struct kv *kv, const zsl_lex_range *r, bool rev)
{
    iter_init(it, kv, rev);
    if (kv->enc == ENC_LISTPACK)
        it->p = rev ? zzl_last_in_lex(kv->v.ptr, r) : zzl_first_in_lex(kv->v.ptr, r);
    else
        it->n = rev ? zsl_last_in_lex_range(((struct zset *)kv->v.ptr)->zsl, r)
                    : zsl_first_in_lex_range(((struct zset *)kv->v.ptr)->zsl, r);
}

bool zset_iter_next(struct zset_iter *it, struct zset_elem *e)
{
    if (it->kv->enc == ENC_LISTPACK) {
        unsigned char *lp = it->kv->v.ptr;
        if (!it->p) return false;
        zzl_elem(lp, it->p, e);
        it->p = it->rev ? zzl_prev_member(lp, it->p) : lp_next(lp, lp_next(lp, it->p));
        return true;
    }
    if (!it->n) return false;
    e->str = (const char *)zsl_member(it->n);
    e->len = it->n->mlen;
    e->score = it->n->score;
    it->n = it->rev ? zsl_prev(it->n) : zsl_next(it->n);
    return true;
}

/* ---- ranges ---- */

size_t zset_count_score(struct kv *kv, const zsl_range *r)
{
    if (kv->enc == ENC_LISTPACK) {
        struct zset_iter it;
        struct zset_elem e;
        size_t n = 0;
        zset_iter_score(&it, kv, r, false);
        while (zset_iter_next(&it, &e) && zsl_score_lte_max(e.score, r)) n++;
        return n;
    }
    zskiplist *zsl = ((struct zset *)kv->v.ptr)->zsl;
    zsl_node *first = zsl_first_in_range(zsl, r), *last = zsl_last_in_range(zsl, r);
    if (!first || !last) return 0;
    return zsl_rank(zsl, last->score, zsl_member(last), last->mlen) -
           zsl_rank(zsl, first->score, zsl_member(first), first->mlen) + 1;
}

size_t zset_count_lex(struct kv *kv, const zsl_lex_range *r)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr;
        size_t n = 0;
        for (unsigned char *p = zzl_first_in_lex(lp, r); p && zzl_lex_lte(p, r); p = lp_next(lp, lp_next(lp, p)))
            n++;
        return n;
    }
    zskiplist *zsl = ((struct zset *)kv->v.ptr)->zsl;
    zsl_node *first = zsl_first_in_lex_range(zsl, r), *last = zsl_last_in_lex_range(zsl, r);
    if (!first || !last) return 0;
    return zsl_rank(zsl, last->score, zsl_member(last), last->mlen) -
           zsl_rank(zsl, first->score, zsl_member(first), first->mlen) + 1;
}

size_t zset_delete_score(struct kv *kv, const zsl_range *r)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr, *p = zzl_first_in_range(lp, r);
        size_t n = 0;
        while (p && zsl_score_lte_max(zzl_score(lp_next(lp, p)), r)) {
            lp = lp_delete_range_at(lp, &p, 2);
            n++;
        }
        kv->v.ptr = lp;
        return n;
    }
    struct zset *zs = kv->v.ptr;
    size_t n = zsl_delete_range_by_score(zs->zsl, r, zs_unlink_removed, zs);
    dict_try_shrink(&zs->dict);
    return n;
}

size_t zset_delete_lex(struct kv *kv, const zsl_lex_range *r)
{
    if (kv->enc == ENC_LISTPACK) {
        unsigned char *lp = kv->v.ptr, *p = zzl_first_in_lex(lp, r);
        size_t n = 0;
        while (p && zzl_lex_lte(p, r)) {
            lp = lp_delete_range_at(lp, &p, 2);
            n++;
        }
        kv->v.ptr = lp;
        return n;
    }
    struct zset *zs = kv->v.ptr;
    size_t n = zsl_delete_range_by_lex(zs->zsl, r, zs_unlink_removed, zs);
    dict_try_shrink(&zs->dict);
    return n;
}

size_t zset_delete_rank(struct kv *kv, size_t start, size_t end)
{
    size_t n = end - start + 1;
    if (kv->enc == ENC_LISTPACK) {
        kv->v.ptr = lp_delete_range(kv->v.ptr, 2 * (long)start, 2 * n);
        return n;
    }
    struct zset *zs = kv->v.ptr;
    n = zsl_delete_range_by_rank(zs->zsl, start + 1, end + 1, zs_unlink_removed, zs);
    dict_try_shrink(&zs->dict);
    return n;
}

/* ---- random members ---- */

static uint64_t rng_cb(void *arg) { return rk_random64(); }

static void node_elem(const zsl_node *zn, struct zset_elem *e)
{
    e->str = (const char *)zsl_member(zn);
    e->len = zn->mlen;
    e->score = zn->score;
}

static void lp_pair_elem(const lp_value *k, const lp_value *v, struct zset_elem *e)
{
    e->str = (const char *)k->str;
    e->len = k->len;
    e->ll = k->ll;
    e->score = lp_value_score(v);
}

void zset_random(struct kv *kv, struct zset_elem *e)
{
    if (kv->enc == ENC_LISTPACK) {
        lp_value k, v;
        lp_random_pick(kv->v.ptr, 2, &k, &v);
        lp_pair_elem(&k, &v, e);
        return;
    }
    struct zset *zs = kv->v.ptr;
    node_elem(((struct zset_dnode *)dict_random(&zs->dict, rng_cb, NULL))->zn, e);
}

size_t zset_random_distinct(struct kv *kv, size_t count, struct zset_elem *out)
{
    size_t size = zset_length(kv);
    if (count > size) count = size;
    if (kv->enc == ENC_LISTPACK) {
        lp_value *vals = rk_malloc((count ? count : 1) * 2 * sizeof(*vals));
        size_t n = lp_random_picks_unique(kv->v.ptr, 2, count, vals, vals + count);
        for (size_t i = 0; i < n; i++) lp_pair_elem(&vals[i], &vals[count + i], &out[i]);
        rk_free(vals);
        return n;
    }
    struct zset *zs = kv->v.ptr;
    if (count * 3 <= size) {
        /* Few picks from many: draw until count distinct ones came up. */
        struct pickset ps;
        size_t n = 0;
        pickset_init(&ps, count);
        while (n < count) {
            zsl_node *zn = ((struct zset_dnode *)dict_random(&zs->dict, rng_cb, NULL))->zn;
            if (pickset_add(&ps, (uint64_t)(uintptr_t)zn)) node_elem(zn, &out[n++]);
        }
        pickset_free(&ps);
        return n;
    }
    /* Many picks: every node, then a partial Fisher-Yates shuffle. */
    zsl_node **all = rk_malloc(size * sizeof(*all));
    size_t n = 0;
    for (zsl_node *zn = zsl_first(zs->zsl); zn; zn = zsl_next(zn)) all[n++] = zn;
    for (size_t i = 0; i < count; i++) {
        size_t j = i + rk_random_below(n - i);
        zsl_node *t = all[i];
        all[i] = all[j];
        all[j] = t;
        node_elem(all[i], &out[i]);
    }
    rk_free(all);
    return count;
}

/* ---- ZSCAN ---- */

struct scan_ctx {
    void (*fn)(const char *m, size_t mlen, double score, void *arg);
    void *arg;
};

static void scan_dnode(struct dict_node *n, void *arg)
{
    struct scan_ctx *sc = arg;
    const zsl_node *zn = ((struct zset_dnode *)n)->zn;
    sc->fn((const char *)zsl_member(zn), zn->mlen, zn->score, sc->arg);
}

uint64_t zset_scan(struct kv *kv, uint64_t cursor,
                   void (*fn)(const char *m, size_t mlen, double score, void *arg), void *arg)
{
    struct scan_ctx sc = {fn, arg};
    return dict_scan(&((struct zset *)kv->v.ptr)->dict, cursor, scan_dnode, &sc);
}

/* ---- type operations ---- */

static void zset_free_value(void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) lp_free(ptr);
    else zs_free(ptr);
}

static void *zset_dup_value(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) {
        size_t n = lp_bytes(ptr);
        void *q = rk_malloc(n);
        memcpy(q, ptr, n);
        return q;
    }
    const struct zset *src = ptr;
    struct zset *zs = zs_new();
    /* From the tail: each insert lands at the head, the cheapest spot. */
    for (zsl_node *zn = zsl_last(src->zsl); zn; zn = zsl_prev(zn)) zs_insert(zs, zn->score, zsl_member(zn), zn->mlen);
    return zs;
}

static size_t zset_value_bytes(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) return rk_usable_size(ptr);
    const struct zset *zs = ptr;
    size_t n = rk_usable_size(zs) + rk_usable_size(zs->zsl) + rk_usable_size(zs->zsl->header) +
               dict_buckets(&zs->dict) * sizeof(struct dict_node *);
    for (zsl_node *zn = zsl_first(zs->zsl); zn; zn = zsl_next(zn))
        n += rk_usable_size(zn) + sizeof(struct zset_dnode);
    return n;
}

const struct obj_type_ops zset_type_ops = {
    .name = "zset",
    .free_value = zset_free_value,
    .dup_value = zset_dup_value,
    .value_bytes = zset_value_bytes,
};
