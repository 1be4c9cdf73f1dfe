/* hashval.c — the hash type's value: listpack of pairs while small, a dict
 * of field records beyond hash-max-listpack-*; see hashval.h. One thread
 * (the shard owning the key).
 */
#include "ringkv/data/hashval.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/dict.h"
#include "ringkv/base/random.h"
#include "ringkv/base/util.h"

#include <stddef.h>
#include <string.h>

/* A field of a hashtable hash: one allocation, the field's bytes then
 * the value's. Lengths are size_t: a bulk string may exceed 4 GB when
 * proto-max-bulk-len allows it. */
struct hfield {
    struct dict_node node;
    size_t flen, vlen;
    char data[];
};

static struct hfield *hf_of(const struct dict_node *n) { return (struct hfield *)n; }

static uint64_t hf_hash_node(const struct dict_node *n)
{
    return hash_bytes(hf_of(n)->data, hf_of(n)->flen);
}

static bool hf_key_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct hfield *f = hf_of(n);
    return f->flen == len && memcmp(f->data, key, len) == 0;
}

static const struct dict_type hfield_type = {.hash_node = hf_hash_node, .key_eq = hf_key_eq};

static struct hfield *hf_new(const void *f, size_t flen, const void *v, size_t vlen)
{
    struct hfield *h = rk_malloc(offsetof(struct hfield, data) + flen + vlen);
    h->node.next = NULL;
    h->flen = flen;
    h->vlen = vlen;
    memcpy(h->data, f, flen);
    memcpy(h->data + flen, v, vlen);
    return h;
}

static void hf_free(struct dict_node *n, void *arg)
{
    (void)arg;
    rk_free(hf_of(n));
}

static void hf_view(const struct hfield *h, lp_value *field, lp_value *value)
{
    *field = (lp_value){.str = (const unsigned char *)h->data, .len = h->flen};
    *value = (lp_value){.str = (const unsigned char *)h->data + h->flen, .len = h->vlen};
}

const char *hashval_str(const lp_value *v, char *buf, size_t *len)
{
    if (v->str) {
        *len = v->len;
        return (const char *)v->str;
    }
    *len = ll2string(buf, v->ll);
    return buf;
}

static bool is_lp(const struct kv *kv) { return kv->enc == ENC_LISTPACK; }

struct kv *hashval_create(const char *key, size_t klen)
{
    return kv_new_object(key, klen, OBJ_HASH, ENC_LISTPACK, lp_new(0));
}

size_t hashval_len(const struct kv *kv)
{
    return is_lp(kv) ? lp_len(kv->v.ptr) / 2 : (size_t)dict_size(kv->v.ptr);
}

/* ---- conversion ---- */

static void dict_add_field(struct dict *d, const lp_value *f, const lp_value *v)
{
    char fbuf[RK_LONG_STR_SIZE], vbuf[RK_LONG_STR_SIZE];
    size_t flen, vlen;
    const char *fs = hashval_str(f, fbuf, &flen), *vs = hashval_str(v, vbuf, &vlen);
    dict_insert(d, &hf_new(fs, flen, vs, vlen)->node, hash_bytes(fs, flen));
}

static void add_to_dict(const lp_value *f, const lp_value *v, void *arg) { dict_add_field(arg, f, v); }

static void to_hashtable(struct kv *kv)
{
    struct dict *d = rk_malloc(sizeof *d);
    dict_init(d, &hfield_type);
    hashval_foreach(kv, add_to_dict, d);
    lp_free(kv->v.ptr);
    kv->v.ptr = d;
    kv->enc = ENC_HASHTABLE;
}

static bool too_long(size_t len, const struct hashval_limits *lim)
{
    return lim->max_value < 0 || len > (unsigned long long)lim->max_value;
}

void hashval_prepare(struct kv *kv, const size_t *len, int n, const struct hashval_limits *lim)
{
    if (!is_lp(kv)) return;
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (too_long(len[i], lim)) {
            to_hashtable(kv);
            return;
        }
        sum += len[i];
    }
    if (!lp_safe_to_add(kv->v.ptr, sum)) to_hashtable(kv);
}

/* ---- fields ---- */

/* The listpack position of field f's entry, or NULL. */
static unsigned char *lp_field(unsigned char *lp, const void *f, size_t flen)
{
    unsigned char *p = lp_first(lp);
    return p ? lp_find(lp, p, f, flen, 1) : NULL;
}

static bool dict_set(struct dict *d, const void *f, size_t flen, const void *v, size_t vlen)
{
    uint64_t hash = hash_bytes(f, flen);
    struct dict_node *n = dict_find(d, f, flen, hash);
    if (!n) {
        dict_insert(d, &hf_new(f, flen, v, vlen)->node, hash);
        return true;
    }
    struct hfield *old = hf_of(n);
    size_t cap = rk_usable_size(old) - offsetof(struct hfield, data) - flen;
    /* In place when it fits without stranding much of the block. */
    if (vlen <= cap && (cap - vlen <= 16 || vlen >= cap / 2)) {
        memcpy(old->data + flen, v, vlen);
        old->vlen = vlen;
        return false;
    }
    dict_replace(d, n, &hf_new(f, flen, v, vlen)->node, hash);
    rk_free(old);
    return false;
}

bool hashval_set(struct kv *kv, const void *f, size_t flen, const void *v, size_t vlen,
                 const struct hashval_limits *lim)
{
    if (is_lp(kv) && (too_long(flen, lim) || too_long(vlen, lim))) to_hashtable(kv);
    if (!is_lp(kv)) return dict_set(kv->v.ptr, f, flen, v, vlen);
    unsigned char *lp = kv->v.ptr, *p = lp_field(lp, f, flen);
    if (p) {
        p = lp_next(lp, p);
        kv->v.ptr = lp_replace(lp, &p, v, vlen);
        return false;
    }
    lp = lp_append(lp, f, flen);
    kv->v.ptr = lp_append(lp, v, vlen);
    if (lim->max_entries < 0 || hashval_len(kv) > (unsigned long long)lim->max_entries) to_hashtable(kv);
    return true;
}

bool hashval_get(struct kv *kv, const void *f, size_t flen, lp_value *v)
{
    if (is_lp(kv)) {
        unsigned char *lp = kv->v.ptr, *p = lp_field(lp, f, flen);
        if (p) lp_get(lp_next(lp, p), v);
        return p != NULL;
    }
    struct dict_node *n = dict_find(kv->v.ptr, f, flen, hash_bytes(f, flen));
    if (n) {
        lp_value field;
        hf_view(hf_of(n), &field, v);
    }
    return n != NULL;
}

bool hashval_delete(struct kv *kv, const void *f, size_t flen)
{
    if (is_lp(kv)) {
        unsigned char *p = lp_field(kv->v.ptr, f, flen);
        if (!p) return false;
        kv->v.ptr = lp_delete_range_at(kv->v.ptr, &p, 2);
        return true;
    }
    struct dict *d = kv->v.ptr;
    struct dict_node *n = dict_unlink(d, f, flen, hash_bytes(f, flen));
    if (!n) return false;
    rk_free(hf_of(n));
    dict_try_shrink(d);
    return true;
}

/* ---- walking ---- */

struct visit {
    hashval_fn fn;
    void *arg;
};

static void visit_node(struct dict_node *n, void *arg)
{
    struct visit *v = arg;
    lp_value field, value;
    hf_view(hf_of(n), &field, &value);
    v->fn(&field, &value, v->arg);
}

void hashval_foreach(struct kv *kv, hashval_fn fn, void *arg)
{
    if (!is_lp(kv)) {
        struct visit v = {fn, arg};
        dict_foreach(kv->v.ptr, visit_node, &v);
        return;
    }
    unsigned char *lp = kv->v.ptr;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        lp_value field, value;
        lp_get(p, &field);
        lp_get(lp_next(lp, p), &value);
        fn(&field, &value, arg);
    }
}

uint64_t hashval_scan(struct kv *kv, uint64_t cursor, hashval_fn fn, void *arg)
{
    struct visit v = {fn, arg};
    return dict_scan(kv->v.ptr, cursor, visit_node, &v);
}

/* ---- random fields ---- */

#define RANDOM_CHUNK 1000 /* picks per listpack walk, as Redis's sample limit */

static uint64_t rng64(void *arg)
{
    (void)arg;
    return rk_random64();
}

static void lp_random(unsigned char *lp, size_t count, bool unique, hashval_fn fn, void *arg)
{
    size_t chunk = unique ? count : count < RANDOM_CHUNK ? count : RANDOM_CHUNK;
    lp_value *keys = rk_malloc(chunk * sizeof *keys), *vals = rk_malloc(chunk * sizeof *vals);
    while (count) {
        size_t n = count < chunk ? count : chunk;
        if (unique) n = lp_random_picks_unique(lp, 2, n, keys, vals);
        else lp_random_picks(lp, 2, n, keys, vals);
        for (size_t i = 0; i < n; i++) fn(&keys[i], &vals[i], arg);
        count -= unique ? count : n;
    }
    rk_free(keys);
    rk_free(vals);
}

static void collect_node(struct dict_node *n, void *arg)
{
    struct dict_node ***at = arg;
    *(*at)++ = n;
}

/* Distinct fields: pick count of all the nodes by a partial shuffle when
 * the hash is not much bigger than count, else draw random nodes and drop
 * repeats (a pointer set of twice count slots). */
static void dict_random_unique(struct dict *d, size_t count, hashval_fn fn, void *arg)
{
    size_t size = (size_t)dict_size(d);
    struct visit v = {fn, arg};
    if (count * 3 > size) {
        struct dict_node **all = rk_malloc(size * sizeof *all), **at = all;
        dict_foreach(d, collect_node, &at);
        for (size_t i = 0; i < count; i++) {
            size_t j = i + (size_t)rk_random_below(size - i);
            struct dict_node *t = all[i];
            all[i] = all[j];
            all[j] = t;
            visit_node(all[i], &v);
        }
        rk_free(all);
        return;
    }
    size_t cap = 16;
    while (cap < count * 2) cap <<= 1;
    struct dict_node **seen = rk_calloc(cap, sizeof *seen);
    for (size_t got = 0; got < count;) {
        struct dict_node *n = dict_random(d, rng64, NULL);
        size_t i = (size_t)(((uintptr_t)n >> 4) * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (seen[i] && seen[i] != n) i = (i + 1) & (cap - 1);
        if (seen[i]) continue;
        seen[i] = n;
        got++;
        visit_node(n, &v);
    }
    rk_free(seen);
}

void hashval_random(struct kv *kv, size_t count, bool unique, hashval_fn fn, void *arg)
{
    if (is_lp(kv)) {
        lp_random(kv->v.ptr, count, unique, fn, arg);
    } else if (unique) {
        dict_random_unique(kv->v.ptr, count, fn, arg);
    } else {
        struct visit v = {fn, arg};
        while (count--) visit_node(dict_random(kv->v.ptr, rng64, NULL), &v);
    }
}

/* ---- type operations ---- */

static void hash_free_value(void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) {
        lp_free(ptr);
        return;
    }
    dict_clear(ptr, hf_free, NULL);
    rk_free(ptr);
}

static void copy_node(struct dict_node *n, void *arg)
{
    const struct hfield *h = hf_of(n);
    dict_insert(arg, &hf_new(h->data, h->flen, h->data + h->flen, h->vlen)->node,
                hash_bytes(h->data, h->flen));
}

static void *hash_dup_value(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) {
        size_t n = lp_bytes(ptr);
        unsigned char *copy = rk_malloc(n);
        memcpy(copy, ptr, n);
        return copy;
    }
    struct dict *d = rk_malloc(sizeof *d);
    dict_init(d, &hfield_type);
    dict_foreach((struct dict *)ptr, copy_node, d);
    return d;
}

static void add_node_bytes(struct dict_node *n, void *arg) { *(size_t *)arg += rk_usable_size(n); }

static size_t hash_value_bytes(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) return rk_usable_size(ptr);
    struct dict *d = (struct dict *)ptr;
    size_t total = rk_usable_size(d) + (size_t)dict_buckets(d) * sizeof(struct dict_node *);
    dict_foreach(d, add_node_bytes, &total);
    return total;
}

const struct obj_type_ops hashval_type_ops = {
    .name = "hash",
    .free_value = hash_free_value,
    .dup_value = hash_dup_value,
    .value_bytes = hash_value_bytes,
};
