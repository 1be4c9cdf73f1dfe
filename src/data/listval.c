/* listval.c — the list type's value: a listpack while small, a quicklist
 * beyond list-max-listpack-size; see listval.h. One thread (the shard
 * owning the key).
 *
 * The conversion keeps the listpack itself as the quicklist's only node
 * (and takes it back the same way), so converting copies nothing and a
 * position in the listpack stays valid across it.
 */
#include "ringkv/data/listval.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/listpack.h"

#include <limits.h>
#include <string.h>

static bool is_lp(const struct kv *kv) { return kv->enc == ENC_LISTPACK; }

static int clamp_int(long long v) { return v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v; }

struct list_limits list_limits_of(long long fill, long long compress_depth)
{
    return (struct list_limits){clamp_int(fill), clamp_int(compress_depth)};
}

struct kv *listval_create(const char *key, size_t klen)
{
    return kv_new_object(key, klen, OBJ_LIST, ENC_LISTPACK, lp_new(0));
}

size_t listval_len(const struct kv *kv)
{
    return is_lp(kv) ? lp_len(kv->v.ptr) : quicklist_count(kv->v.ptr);
}

static void to_quicklist(struct kv *kv, int fill)
{
    kv->v.ptr = quicklist_from_listpack(fill, kv->v.ptr);
    kv->enc = ENC_QUICKLIST;
}

/* A quicklist that changed takes the shard's depth (after the change, so
 * that the entry a change works on stays plain until then). */
static void apply_depth(struct kv *kv, struct list_limits lim)
{
    if (is_lp(kv)) return;
    quicklist *ql = kv->v.ptr;
    if (ql->compress != lim.compress_depth) quicklist_set_compress(ql, lim.compress_depth);
}

/* Before a listpack list gets one more entry holding s: becomes a
 * quicklist if the listpack would break the fill. An entry e taken from
 * the listpack is moved along (its position stays valid, see the top). */
static void make_room(struct kv *kv, const void *s, size_t len, struct list_limits lim,
                      listval_entry *e)
{
    if (!is_lp(kv)) return;
    unsigned char *lp = kv->v.ptr;
    size_t add = lp_entry_size(s, len);
    if (!quicklist_node_exceeds(lim.fill, lp_bytes(lp) + add, lp_len(lp) + 1) && lp_safe_to_add(lp, add))
        return;
    to_quicklist(kv, lim.fill);
    if (e) e->node = ((quicklist *)kv->v.ptr)->head;
}

void listval_push(struct kv *kv, enum listval_where where, const void *s, size_t len,
                  struct list_limits lim)
{
    make_room(kv, s, len, lim, NULL);
    if (is_lp(kv))
        kv->v.ptr = where == LISTVAL_HEAD ? lp_prepend(kv->v.ptr, s, len) : lp_append(kv->v.ptr, s, len);
    else
        quicklist_push(kv->v.ptr, where == LISTVAL_HEAD ? QUICKLIST_HEAD : QUICKLIST_TAIL, s, len);
    apply_depth(kv, lim);
}

void listval_replace(struct kv *kv, listval_entry *e, const void *s, size_t len,
                     struct list_limits lim)
{
    make_room(kv, s, len, lim, e);
    if (is_lp(kv)) kv->v.ptr = lp_replace(kv->v.ptr, &e->p, s, len);
    else quicklist_replace_entry(kv->v.ptr, e, s, len);
    apply_depth(kv, lim);
}

void listval_insert(struct kv *kv, listval_entry *e, bool after, const void *s, size_t len,
                    struct list_limits lim)
{
    make_room(kv, s, len, lim, e);
    if (is_lp(kv))
        kv->v.ptr = lp_insert(kv->v.ptr, e->p, after ? LP_AFTER : LP_BEFORE, s, len, NULL);
    else
        quicklist_insert(kv->v.ptr, e, after, s, len);
    apply_depth(kv, lim);
}

size_t listval_del_range(struct kv *kv, long index, size_t count)
{
    if (!is_lp(kv)) return quicklist_del_range(kv->v.ptr, index, count);
    long n = (long)lp_len(kv->v.ptr);
    long first = index < 0 ? index + n : index;
    if (count == 0 || first < 0 || first >= n) return 0;
    size_t done = count < (size_t)(n - first) ? count : (size_t)(n - first);
    kv->v.ptr = lp_delete_range(kv->v.ptr, first, done);
    return done;
}

void listval_try_shrink(struct kv *kv, struct list_limits lim)
{
    if (is_lp(kv)) return;
    apply_depth(kv, lim);
    quicklist *ql = kv->v.ptr;
    if (ql->len > 1) return;
    /* Half the limits: hysteresis against converting back and forth. */
    size_t sz_limit, count_limit;
    quicklist_node_limit(lim.fill, &sz_limit, &count_limit);
    if (ql->head && (ql->head->sz > sz_limit / 2 || ql->head->count > count_limit / 2)) return;
    kv->v.ptr = quicklist_to_listpack(ql);
    kv->enc = ENC_LISTPACK;
}

/* ---- reading ---- */

bool listval_index(struct kv *kv, long index, listval_entry *e)
{
    if (!is_lp(kv)) return quicklist_index(kv->v.ptr, index, e);
    unsigned char *p = lp_seek(kv->v.ptr, index);
    if (p) quicklist_entry_fill(e, NULL, p);
    return p != NULL;
}

bool listval_entry_eq(const listval_entry *e, const void *s, size_t len) { return lp_eq(e->p, s, len); }

void listval_reply_entry(struct reply *r, const listval_entry *e)
{
    if (e->str) reply_bulk(r, e->str, e->len);
    else reply_bulk_ll(r, e->ll);
}

/* ---- iteration ---- */

bool listval_iter_init(struct listval_iter *it, struct kv *kv, enum listval_where from, long index)
{
    it->kv = kv;
    it->from = from;
    if (!is_lp(kv)) {
        enum quicklist_where qfrom = from == LISTVAL_HEAD ? QUICKLIST_HEAD : QUICKLIST_TAIL;
        return quicklist_iter_init_at(&it->qi, kv->v.ptr, qfrom, index);
    }
    it->p = lp_seek(kv->v.ptr, index);
    it->ready = true;
    it->done = it->p == NULL;
    return !it->done;
}

bool listval_next(struct listval_iter *it, listval_entry *e)
{
    if (!is_lp(it->kv)) return quicklist_next(&it->qi, e);
    if (it->done) return false;
    unsigned char *lp = it->kv->v.ptr, *p = it->p;
    if (!it->ready) p = it->from == LISTVAL_HEAD ? lp_next(lp, p) : lp_prev(lp, p);
    it->ready = false;
    if (!p) {
        it->done = true;
        return false;
    }
    it->p = p;
    quicklist_entry_fill(e, NULL, p);
    return true;
}

void listval_iter_del(struct listval_iter *it, listval_entry *e)
{
    if (!is_lp(it->kv)) {
        quicklist_iter_del(&it->qi, e);
        return;
    }
    unsigned char *lp = it->kv->v.ptr, *p = e->p;
    size_t off = (size_t)(p - lp);
    lp = lp_delete(lp, &p);
    it->kv->v.ptr = lp;
    /* Next: the entry that slid into the deleted one's place, or going
     * backwards the one before that place. */
    if (it->from == LISTVAL_TAIL) p = lp_prev(lp, lp + off);
    it->p = p;
    it->ready = true;
    it->done = p == NULL;
}

/* ---- type operations ---- */

static void list_free_value(void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) lp_free(ptr);
    else quicklist_free(ptr);
}

static unsigned char *lp_copy(const unsigned char *lp)
{
    size_t n = lp_bytes(lp);
    unsigned char *copy = rk_malloc(n);
    memcpy(copy, lp, n);
    return copy;
}

static void *list_dup_value(const void *ptr, enum obj_encoding enc)
{
    if (enc == ENC_LISTPACK) return lp_copy(ptr);
    return quicklist_dup(ptr); /* compressed nodes stay compressed */
}

static size_t list_value_bytes(const void *ptr, enum obj_encoding enc)
{
    return enc == ENC_LISTPACK ? rk_usable_size(ptr) : quicklist_mem_usage(ptr);
}

const struct obj_type_ops listval_type_ops = {
    .name = "list",
    .free_value = list_free_value,
    .dup_value = list_dup_value,
    .value_bytes = list_value_bytes,
};
