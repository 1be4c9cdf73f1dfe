/* set.c — the set type's value in its three encodings; see set.h.
 * One thread: the shard owning the record. */
#include "ringkv/data/set.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/intset.h"
#include "ringkv/data/listpack.h"
#include "ringkv/base/pickset.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"

#include <string.h>

/* A hashtable member: the dict link and the bytes, one allocation. */
struct set_node {
    struct dict_node node;
    uint32_t len;
    char m[];
};

static uint64_t node_hash(const struct dict_node *n)
{
    const struct set_node *sn = (const struct set_node *)n;
    return hash_bytes(sn->m, sn->len);
}

static bool node_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct set_node *sn = (const struct set_node *)n;
    return sn->len == len && memcmp(sn->m, key, len) == 0;
}

static const struct dict_type set_dict_type = {node_hash, node_eq};

static struct dict *ht_new(void)
{
    struct dict *d = rk_malloc(sizeof(*d));
    dict_init(d, &set_dict_type);
    return d;
}

/* Inserts a member known to be absent. */
static void ht_insert(struct dict *d, const char *s, size_t len)
{
    struct set_node *sn = rk_malloc(sizeof(*sn) + len);
    sn->len = (uint32_t)len;
    memcpy(sn->m, s, len);
    dict_insert(d, &sn->node, hash_bytes(s, len));
}

static bool ht_add(struct dict *d, const char *s, size_t len)
{
    uint64_t h = hash_bytes(s, len);
    if (dict_find(d, s, len, h)) return false;
    struct set_node *sn = rk_malloc(sizeof(*sn) + len);
    sn->len = (uint32_t)len;
    memcpy(sn->m, s, len);
    dict_insert(d, &sn->node, h);
    return true;
}

static void free_node(struct dict_node *n, void *arg) { rk_free(n); }

static void ht_free(struct dict *d)
{
    dict_clear(d, free_node, NULL);
    rk_free(d);
}

const char *set_elem_str(const struct set_elem *e, char *buf, size_t *len)
{
    if (e->str) {
        *len = e->len;
        return e->str;
    }
    *len = ll2string(buf, e->ll);
    return buf;
}

/* ---- creation and conversion ---- */

struct kv *set_create_intset(const char *key, size_t klen)
{
    return kv_new_object(key, klen, OBJ_SET, ENC_INTSET, intset_new());
}

struct kv *set_create(const char *key, size_t klen, const struct config *cfg, const char *first,
                      size_t flen, size_t size_hint)
{
    long long ll;
    if (string2ll(first, flen, &ll) && size_hint <= (size_t)cfg->set_max_intset_entries)
        return set_create_intset(key, klen);
    if (size_hint <= (size_t)cfg->set_max_listpack_entries)
        return kv_new_object(key, klen, OBJ_SET, ENC_LISTPACK, lp_new(0));
    return kv_new_object(key, klen, OBJ_SET, ENC_HASHTABLE, ht_new());
}

size_t set_size(const struct kv *kv)
{
    switch (kv->enc) {
    case ENC_INTSET: return intset_len(kv->v.ptr);
    case ENC_LISTPACK: return lp_len(kv->v.ptr);
    default: return dict_size(kv->v.ptr);
    }
}

void set_convert(struct kv *kv, enum obj_encoding enc, size_t size_hint)
{
    if (kv->enc == enc) return;
    void *to = enc == ENC_LISTPACK ? (void *)lp_new(0) : (void *)ht_new();
    struct set_iter it;
    struct set_elem e;
    set_iter_init(&it, kv);
    while (set_iter_next(&it, &e)) {
        if (enc == ENC_LISTPACK) {
            to = e.str ? lp_append(to, e.str, e.len) : lp_append_int(to, e.ll);
        } else {
            char buf[RK_LONG_STR_SIZE];
            size_t len;
            const char *s = set_elem_str(&e, buf, &len);
            ht_insert(to, s, len);
        }
    }
    set_iter_done(&it);
    set_type_ops.free_value(kv->v.ptr, kv->enc);
    kv->v.ptr = to;
    kv->enc = enc;
}

/* ---- membership ---- */

static bool lp_can_take(unsigned char *lp, const struct config *cfg, size_t len)
{
    return lp_len(lp) < (size_t)cfg->set_max_listpack_entries && len <= (size_t)cfg->set_max_listpack_value &&
           lp_safe_to_add(lp, len);
}

static size_t int_entry_size(long long v)
{
    char buf[RK_LONG_STR_SIZE];
    return lp_entry_size(buf, ll2string(buf, v));
}

/* Can an intset plus one string of len bytes become a listpack? The
 * bound assumes every member as long as the widest end (Redis 7.2). */
static bool intset_fits_listpack(const intset *is, const struct config *cfg, size_t len)
{
    size_t n = intset_len(is), maxlen = 0, total = 0;
    if (n) {
        char buf[RK_LONG_STR_SIZE];
        size_t a = ll2string(buf, intset_min(is)), b = ll2string(buf, intset_max(is));
        maxlen = a > b ? a : b;
        size_t s1 = int_entry_size(intset_min(is)), s2 = int_entry_size(intset_max(is));
        total = (s1 > s2 ? s1 : s2) * n;
    }
    return n < (size_t)cfg->set_max_listpack_entries && len <= (size_t)cfg->set_max_listpack_value &&
           maxlen <= (size_t)cfg->set_max_listpack_value && lp_safe_to_add(NULL, total + len);
}

static size_t intset_max_entries(const struct config *cfg)
{
    long long max = cfg->set_max_intset_entries;
    return max > (1ll << 30) ? (size_t)1 << 30 : (size_t)max;
}

bool set_add(struct kv *kv, const struct config *cfg, const char *s, size_t len)
{
    long long ll;
    switch (kv->enc) {
    case ENC_INTSET:
        if (string2ll(s, len, &ll)) {
            bool added;
            kv->v.ptr = intset_add(kv->v.ptr, ll, &added);
            if (added && intset_len(kv->v.ptr) > intset_max_entries(cfg))
                set_convert(kv, ENC_HASHTABLE, intset_len(kv->v.ptr));
            return added;
        }
        set_convert(kv, intset_fits_listpack(kv->v.ptr, cfg, len) ? ENC_LISTPACK : ENC_HASHTABLE,
                    intset_len(kv->v.ptr) + 1);
        return set_add(kv, cfg, s, len);
    case ENC_LISTPACK: {
        unsigned char *lp = kv->v.ptr, *p = lp_first(lp);
        if (p && lp_find(lp, p, s, len, 0)) return false;
        if (lp_can_take(lp, cfg, len)) {
            kv->v.ptr = lp_append(lp, s, len);
            return true;
        }
        set_convert(kv, ENC_HASHTABLE, lp_len(lp) + 1);
        ht_insert(kv->v.ptr, s, len);
        return true;
    }
    default:
        return ht_add(kv->v.ptr, s, len);
    }
}

bool set_add_elem(struct kv *kv, const struct config *cfg, const struct set_elem *e)
{
    if (!e->str && kv->enc == ENC_INTSET) {
        bool added;
        kv->v.ptr = intset_add(kv->v.ptr, e->ll, &added);
        if (added && intset_len(kv->v.ptr) > intset_max_entries(cfg))
            set_convert(kv, ENC_HASHTABLE, intset_len(kv->v.ptr));
        return added;
    }
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = set_elem_str(e, buf, &len);
    return set_add(kv, cfg, s, len);
}

bool set_remove(struct kv *kv, const char *s, size_t len)
{
    long long ll;
    switch (kv->enc) {
    case ENC_INTSET: {
        bool removed = false;
        if (string2ll(s, len, &ll)) kv->v.ptr = intset_remove(kv->v.ptr, ll, &removed);
        return removed;
    }
    case ENC_LISTPACK: {
        unsigned char *lp = kv->v.ptr, *p = lp_first(lp);
        if (p) p = lp_find(lp, p, s, len, 0);
        if (!p) return false;
        kv->v.ptr = lp_delete(lp, &p);
        return true;
    }
    default: {
        struct dict_node *n = dict_unlink(kv->v.ptr, s, len, hash_bytes(s, len));
        if (!n) return false;
        rk_free(n);
        dict_try_shrink(kv->v.ptr);
        return true;
    }
    }
}

bool set_remove_elem(struct kv *kv, const struct set_elem *e)
{
    if (!e->str && kv->enc == ENC_INTSET) {
        bool removed;
        kv->v.ptr = intset_remove(kv->v.ptr, e->ll, &removed);
        return removed;
    }
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = set_elem_str(e, buf, &len);
    return set_remove(kv, s, len);
}

bool set_contains(struct kv *kv, const char *s, size_t len)
{
    long long ll;
    switch (kv->enc) {
    case ENC_INTSET:
        return string2ll(s, len, &ll) && intset_find(kv->v.ptr, ll);
    case ENC_LISTPACK: {
        unsigned char *lp = kv->v.ptr, *p = lp_first(lp);
        return p && lp_find(lp, p, s, len, 0);
    }
    default:
        return dict_find(kv->v.ptr, s, len, hash_bytes(s, len)) != NULL;
    }
}

bool set_contains_elem(struct kv *kv, const struct set_elem *e)
{
    if (!e->str && kv->enc == ENC_INTSET) return intset_find(kv->v.ptr, e->ll);
    if (e->str && kv->enc == ENC_INTSET) {
        long long ll;
        return string2ll(e->str, e->len, &ll) && intset_find(kv->v.ptr, ll);
    }
    char buf[RK_LONG_STR_SIZE];
    size_t len;
    const char *s = set_elem_str(e, buf, &len);
    return set_contains(kv, s, len);
}

/* ---- iteration ---- */

void set_iter_init(struct set_iter *it, struct kv *kv)
{
    memset(it, 0, sizeof(*it));
    it->kv = kv;
    if (kv->enc == ENC_LISTPACK) it->p = lp_first(kv->v.ptr);
    if (kv->enc == ENC_HASHTABLE) ((struct dict *)kv->v.ptr)->pause_rehash++;
}

void set_iter_done(struct set_iter *it)
{
    if (it->kv && it->kv->enc == ENC_HASHTABLE) ((struct dict *)it->kv->v.ptr)->pause_rehash--;
    it->kv = NULL;
}

static void ht_elem(const struct dict_node *n, struct set_elem *e)
{
    const struct set_node *sn = (const struct set_node *)n;
    e->str = sn->m;
    e->len = sn->len;
}

bool set_iter_next(struct set_iter *it, struct set_elem *e)
{
    struct kv *kv = it->kv;
    if (kv->enc == ENC_INTSET) {
        int64_t v;
        if (!intset_get(kv->v.ptr, it->pos, &v)) return false;
        it->pos++;
        e->str = NULL;
        e->ll = v;
        return true;
    }
    if (kv->enc == ENC_LISTPACK) {
        if (!it->p) return false;
        lp_value v;
        lp_get(it->p, &v);
        e->str = (const char *)v.str;
        e->len = v.len;
        e->ll = v.ll;
        it->p = lp_next(kv->v.ptr, it->p);
        return true;
    }
    struct dict *d = kv->v.ptr;
    while (!it->node) {
        if (it->bucket >= d->size[it->table]) {
            if (it->table == 1) return false;
            it->table = 1;
            it->bucket = 0;
            continue;
        }
        it->node = d->table[it->table][it->bucket++];
    }
    ht_elem(it->node, e);
    it->node = it->node->next;
    return true;
}

/* ---- random members ---- */

static uint64_t rng_cb(void *arg) { return rk_random64(); }

static void intset_elem(const intset *is, uint32_t pos, struct set_elem *e)
{
    int64_t v = 0;
    intset_get(is, pos, &v);
    e->str = NULL;
    e->ll = v;
}

void set_random(struct kv *kv, struct set_elem *e)
{
    if (kv->enc == ENC_INTSET) {
        e->str = NULL;
        e->ll = intset_random(kv->v.ptr);
    } else if (kv->enc == ENC_LISTPACK) {
        lp_value v;
        lp_random_pick(kv->v.ptr, 1, &v, NULL);
        e->str = (const char *)v.str;
        e->len = v.len;
        e->ll = v.ll;
    } else {
        ht_elem(dict_random(kv->v.ptr, rng_cb, NULL), e);
    }
}

/* Few picks from many: draw until count distinct ones came up. */
static size_t random_distinct_sparse(struct kv *kv, size_t count, struct set_elem *out)
{
    struct pickset ps;
    pickset_init(&ps, count);
    size_t n = 0, size = set_size(kv);
    while (n < count) {
        if (kv->enc == ENC_INTSET) {
            uint32_t pos = (uint32_t)rk_random_below(size);
            if (pickset_add(&ps, (uint64_t)pos + 1)) intset_elem(kv->v.ptr, pos, &out[n++]);
        } else {
            struct dict_node *node = dict_random(kv->v.ptr, rng_cb, NULL);
            if (pickset_add(&ps, (uint64_t)(uintptr_t)node)) ht_elem(node, &out[n++]);
        }
    }
    pickset_free(&ps);
    return n;
}

size_t set_random_distinct(struct kv *kv, size_t count, struct set_elem *out)
{
    size_t size = set_size(kv);
    if (count > size) count = size;
    if (kv->enc == ENC_LISTPACK) {
        lp_value *vals = rk_malloc((count ? count : 1) * sizeof(*vals));
        size_t n = lp_random_picks_unique(kv->v.ptr, 1, count, vals, NULL);
        for (size_t i = 0; i < n; i++) out[i] = (struct set_elem){(const char *)vals[i].str, vals[i].len, vals[i].ll};
        rk_free(vals);
        return n;
    }
    if (count * 3 <= size) return random_distinct_sparse(kv, count, out);
    /* Many picks: list everything, then a partial Fisher-Yates shuffle. */
    struct set_elem *all = rk_malloc(size * sizeof(*all));
    struct set_iter it;
    size_t n = 0;
    set_iter_init(&it, kv);
    while (n < size && set_iter_next(&it, &all[n])) n++;
    set_iter_done(&it);
    for (size_t i = 0; i < count; i++) {
        size_t j = i + rk_random_below(n - i);
        struct set_elem t = all[i];
        all[i] = all[j];
        all[j] = t;
        out[i] = all[i];
    }
    rk_free(all);
    return count;
}

/* ---- SSCAN ---- */

struct scan_ctx {
    void (*fn)(const char *s, size_t len, void *arg);
    void *arg;
};

static void scan_node(struct dict_node *n, void *arg)
{
    struct scan_ctx *sc = arg;
    const struct set_node *sn = (const struct set_node *)n;
    sc->fn(sn->m, sn->len, sc->arg);
}

uint64_t set_scan(struct kv *kv, uint64_t cursor, void (*fn)(const char *s, size_t len, void *arg),
                  void *arg)
{
    struct scan_ctx sc = {fn, arg};
    return dict_scan(kv->v.ptr, cursor, scan_node, &sc);
}

/* ---- type operations ---- */

static void set_free_value(void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_INTSET) intset_free(ptr);
    else if (enc == ENC_LISTPACK) lp_free(ptr);
    else ht_free(ptr);
}

static void *copy_bytes(const void *p, size_t n)
{
    void *q = rk_malloc(n);
    memcpy(q, p, n);
    return q;
}

static void dup_node(struct dict_node *n, void *arg)
{
    const struct set_node *sn = (const struct set_node *)n;
    ht_insert(arg, sn->m, sn->len);
}

static void *set_dup_value(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_INTSET) return copy_bytes(ptr, intset_bytes(ptr));
    if (enc == ENC_LISTPACK) return copy_bytes(ptr, lp_bytes(ptr));
    struct dict *d = ht_new();
    dict_foreach((struct dict *)ptr, dup_node, d);
    return d;
}

static void add_node_bytes(struct dict_node *n, void *arg) { *(size_t *)arg += rk_usable_size(n); }

static size_t set_value_bytes(const void *ptr, enum obj_encoding enc)
{
    if (enc != ENC_HASHTABLE) return rk_usable_size(ptr);
    struct dict *d = (struct dict *)ptr;
    size_t n = rk_usable_size(d) + dict_buckets(d) * sizeof(struct dict_node *);
    dict_foreach(d, add_node_bytes, &n);
    return n;
}

const struct obj_type_ops set_type_ops = {
    .name = "set",
    .free_value = set_free_value,
    .dup_value = set_dup_value,
    .value_bytes = set_value_bytes,
};
