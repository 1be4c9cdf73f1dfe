/* sort.c — SORT and SORT_RO over lists, sets and sorted sets, with BY,
 * LIMIT, GET, ASC/DESC, ALPHA and STORE, as Redis 7.0's
 * sortCommandGeneric does it.
 *
 * BY and GET patterns name other keys ("weight_*", "obj_*->field"): they
 * are looked up in the database the command runs on. When a hash tag pins
 * them to the sorted key's shard (SORT {u}list BY {u}w_*) the command runs
 * there; otherwise it takes the cross-shard path, which fetches the keys
 * sort_value_keys names along with the sorted key. Handlers run on the
 * shard owning the keys (or the cross-shard scratch keyspace).
 */
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hashval.h"
#include "ringkv/data/listval.h"
#include "ringkv/data/set.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/base/util.h"
#include "ringkv/data/zset.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One element being sorted. Bytes live in the sort's arena (offsets
 * until loading is done, since the arena may move while it grows). */
struct sort_item {
    size_t off, len;       /* the element */
    size_t cmp_off, cmp_len; /* ALPHA BY: the value compared */
    bool has_cmp;
    double score;
    const char *s, *cmp;   /* resolved pointers */
};

struct sort_ctx {
    struct cmd_ctx *c;
    struct obuf arena;
    struct sort_item *items;
    size_t n, cap;
    bool desc, alpha, bypattern, store;
};

static void add_item(struct sort_ctx *sc, const char *s, size_t len, long long ll)
{
    char buf[RK_LONG_STR_SIZE];
    if (!s) {
        len = ll2string(buf, ll);
        s = buf;
    }
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->items = rk_realloc(sc->items, sc->cap * sizeof(*sc->items));
    }
    sc->items[sc->n++] = (struct sort_item){.off = sc->arena.len, .len = len};
    /* Never a NULL arena: an empty element must read as "", not as an
     * integer (a NULL string), even when all elements are empty. */
    obuf_reserve(&sc->arena, len + 1);
    obuf_append(&sc->arena, s, len);
}

/* ---- patterns ---- */

/* A looked-up pattern value: bytes, or an integer (str NULL). */
struct pat_value {
    const char *str;
    size_t len;
    long long ll;
};

/* The key a pattern names for an element: the first '*' replaced by the
 * element, up to "->field" if one follows the '*'. Redis reads the
 * pattern as a C string. */
struct pat_key {
    const char *field; /* NULL: the key's string value is wanted */
    size_t flen, klen;
    char *key;         /* small, or a heap copy the caller frees (pat_key_done) */
};

static bool pattern_key(const char *pat, size_t plen, const char *elem, size_t elen, char *small, size_t cap,
                        struct pat_key *out)
{
    size_t clen = strnlen(pat, plen);
    const char *star = memchr(pat, '*', clen);
    if (!star) return false;
    out->field = NULL;
    out->flen = 0;
    for (const char *f = star + 1; f + 2 < pat + clen; f++) {
        if (f[0] == '-' && f[1] == '>') {
            out->field = f + 2;
            out->flen = plen - (size_t)(out->field - pat);
            break;
        }
    }
    size_t prefix = (size_t)(star - pat);
    size_t postfix = plen - prefix - 1 - (out->field ? out->flen + 2 : 0);
    out->klen = prefix + elen + postfix;
    out->key = out->klen <= cap ? small : rk_malloc(out->klen);
    memcpy(out->key, pat, prefix);
    memcpy(out->key + prefix, elem, elen);
    memcpy(out->key + prefix + elen, star + 1, postfix);
    return true;
}

static void pat_key_done(struct pat_key *k, const char *small)
{
    if (k->key != small) rk_free(k->key);
}

/* Redis's lookupKeyByPattern: "#" is the element itself; otherwise the
 * key the pattern names, read as a string, or as a hash field when
 * "->field" follows the '*'. False when missing. */
static bool pattern_lookup(struct cmd_ctx *c, const char *pat, size_t plen, const char *elem, size_t elen,
                           struct pat_value *out, char *keybuf_small)
{
    if (plen == 1 && pat[0] == '#') {
        *out = (struct pat_value){elem, elen, 0};
        return true;
    }
    struct pat_key k;
    if (!pattern_key(pat, plen, elem, elen, keybuf_small, 256, &k)) return false;
    struct kv *kv = db_lookup(c->db, k.key, k.klen);
    pat_key_done(&k, keybuf_small);
    if (!kv) return false;
    if (k.field) {
        lp_value v;
        if (kv->type != OBJ_HASH || !hashval_get(kv, k.field, k.flen, &v)) return false;
        *out = (struct pat_value){(const char *)v.str, v.len, v.ll};
        return true;
    }
    if (kv->type != OBJ_STRING) return false;
    if (kv->enc == ENC_INT) {
        *out = (struct pat_value){NULL, 0, kv->v.i};
        return true;
    }
    char unused[RK_LONG_STR_SIZE];
    out->str = kv_string(kv, unused, &out->len);
    return true;
}

/* strtod as Redis uses it on a score: the bytes up to a NUL, whole. */
static bool parse_weight(const char *s, size_t len, double *out)
{
    char small[128];
    char *buf = len < sizeof small ? small : rk_malloc(len + 1);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    *out = strtod(buf, &end);
    bool ok = *end == '\0' && errno != ERANGE && !isnan(*out);
    if (buf != small) rk_free(buf);
    return ok;
}

/* ---- comparison ---- */

static int bin_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int r = memcmp(a, b, al < bl ? al : bl);
    return r ? r : (al > bl) - (al < bl);
}

/* strcoll in the C locale: bytes up to the first NUL. */
static int coll_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    return bin_cmp(a, strnlen(a, al), b, strnlen(b, bl));
}

static int sort_cmp(const void *x, const void *y, void *arg)
{
    const struct sort_item *a = x, *b = y;
    const struct sort_ctx *sc = arg;
    int cmp;
    if (!sc->alpha) {
        if (a->score != b->score) cmp = a->score > b->score ? 1 : -1;
        else cmp = bin_cmp(a->s, a->len, b->s, b->len);
    } else if (sc->bypattern) {
        if (!a->has_cmp || !b->has_cmp) cmp = a->has_cmp == b->has_cmp ? 0 : (!a->has_cmp ? -1 : 1);
        else if (sc->store) cmp = bin_cmp(a->cmp, a->cmp_len, b->cmp, b->cmp_len);
        else cmp = coll_cmp(a->cmp, a->cmp_len, b->cmp, b->cmp_len);
    } else {
        cmp = sc->store ? bin_cmp(a->s, a->len, b->s, b->len) : coll_cmp(a->s, a->len, b->s, b->len);
    }
    return sc->desc ? -cmp : cmp;
}

/* ---- loading ---- */

/* Loads the elements; with dontsort, lists and sorted sets load only
 * [start, end] in the requested direction (and start/end are rebased). */
static void load_items(struct sort_ctx *sc, struct kv *kv, bool dontsort, long long *start, long long *end)
{
    bool ranged = dontsort && kv && kv->type != OBJ_SET;
    long long len = ranged ? *end - *start + 1 : 0; /* unranged: end may be LLONG_MAX */
    if (!kv) return;
    if (kv->type == OBJ_LIST) {
        struct listval_iter it;
        listval_entry e;
        long long total = (long long)listval_len(kv), want = ranged ? len : total;
        if (ranged && *end < *start) return;
        long idx = ranged ? (long)(sc->desc ? total - *start - 1 : *start) : 0;
        enum listval_where from = ranged && sc->desc ? LISTVAL_TAIL : LISTVAL_HEAD;
        if (listval_iter_init(&it, kv, from, idx))
            while (want-- > 0 && listval_next(&it, &e)) add_item(sc, (const char *)e.str, e.len, e.ll);
    } else if (kv->type == OBJ_SET) {
        struct set_iter it;
        struct set_elem e;
        set_iter_init(&it, kv);
        while (set_iter_next(&it, &e)) add_item(sc, e.str, e.len, e.ll);
        set_iter_done(&it);
    } else {
        struct zset_iter it;
        struct zset_elem e;
        long long want = ranged ? len : (long long)zset_length(kv);
        zset_iter_rank(&it, kv, ranged ? (size_t)*start : 0, ranged && sc->desc);
        while (want-- > 0 && zset_iter_next(&it, &e)) add_item(sc, e.str, e.len, e.ll);
    }
    if (ranged) {
        *end -= *start;
        *start = 0;
    }
}

static void resolve(struct sort_ctx *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        sc->items[i].s = sc->arena.data + sc->items[i].off;
        sc->items[i].cmp = sc->arena.data + sc->items[i].cmp_off;
    }
}

/* Computes each element's sort key; false if a weight is not a number. */
static bool load_weights(struct sort_ctx *sc, const char *by, size_t bylen)
{
    bool ok = true;
    for (size_t i = 0; i < sc->n; i++) {
        struct sort_item *it = &sc->items[i];
        struct pat_value v;
        char keybuf[256];
        it->s = sc->arena.data + it->off; /* the arena may have moved */
        if (by) {
            if (!pattern_lookup(sc->c, by, bylen, it->s, it->len, &v, keybuf)) continue;
        } else {
            v = (struct pat_value){it->s, it->len, 0};
        }
        if (sc->alpha) {
            if (!by) continue;
            char nb[RK_LONG_STR_SIZE];
            const char *s = v.str;
            size_t len = v.len;
            if (!s) {
                len = ll2string(nb, v.ll);
                s = nb;
            }
            it->has_cmp = true;
            it->cmp_len = len;
            if (s >= sc->arena.data && s < sc->arena.data + sc->arena.len) {
                it->cmp_off = (size_t)(s - sc->arena.data); /* already in the arena */
            } else {
                it->cmp_off = sc->arena.len;
                obuf_append(&sc->arena, s, len);
            }
        } else if (!v.str) {
            it->score = (double)v.ll;
        } else if (!parse_weight(v.str, v.len, &it->score)) {
            ok = false;
        }
    }
    resolve(sc);
    return ok;
}

/* ---- output ---- */

struct sort_getop {
    const char *pat;
    size_t len;
};

static void emit_reply(struct sort_ctx *sc, const struct sort_getop *ops, int nops, long long start, long long end)
{
    struct reply *r = sc->c->r;
    long long count = end - start + 1;
    reply_array(r, nops ? nops * count : count);
    for (long long j = start; j <= end; j++) {
        const struct sort_item *it = &sc->items[j];
        if (!nops) reply_bulk(r, it->s, it->len);
        for (int k = 0; k < nops; k++) {
            struct pat_value v;
            char keybuf[256];
            if (!pattern_lookup(sc->c, ops[k].pat, ops[k].len, it->s, it->len, &v, keybuf)) reply_null(r);
            else if (v.str) reply_bulk(r, v.str, v.len);
            else reply_bulk_ll(r, v.ll);
        }
    }
}

static void emit_store(struct sort_ctx *sc, const struct sort_getop *ops, int nops, long long start, long long end,
                       const char *dst, size_t dlen)
{
    struct list_limits lim = list_limits_of(sc->c->cfg->list_max_listpack_size, sc->c->cfg->list_compress_depth);
    struct kv *list = NULL;
    long long count = 0;
    for (long long j = start; j <= end; j++) {
        const struct sort_item *it = &sc->items[j];
        for (int k = 0; k < (nops ? nops : 1); k++) {
            struct pat_value v = {it->s, it->len, 0};
            char keybuf[256], nb[RK_LONG_STR_SIZE];
            if (nops && !pattern_lookup(sc->c, ops[k].pat, ops[k].len, it->s, it->len, &v, keybuf))
                v = (struct pat_value){"", 0, 0};
            if (!v.str) {
                v.len = ll2string(nb, v.ll);
                v.str = nb;
            }
            if (!list) list = listval_create(dst, dlen);
            listval_push(list, LISTVAL_TAIL, v.str, v.len, lim);
            count++;
        }
    }
    if (list) tc_store_result(sc->c, dst, dlen, list, (size_t)count, NOTIFY_LIST, "sortstore");
    else tc_store_nothing(sc->c, dst, dlen);
}

/* ---- the command ---- */

struct sort_args {
    bool desc, alpha, dontsort;
    long long limit_start, limit_count;
    int by_at, store_at, nops;
    struct sort_getop *ops;
};

/* Whether the caller may read any key, as BY and GET patterns can name
 * any (Redis refuses them otherwise); 1 yes, 0 no, -1 not asked yet. */
static bool patterns_allowed(struct cmd_ctx *c, const struct cmd_args *a, int *cache)
{
    if (*cache < 0) {
        struct acl_user *u = acl_all_unrestricted() ? NULL : acl_client_user(c->client_id);
        const struct cmd_def *cmd = cmd_lookup(a->argv[0], a->len[0]);
        *cache = !u || (cmd && acl_check_every_key(u, cmd, a, ACL_KEY_READ));
        acl_user_unref(u);
    }
    return *cache;
}

static bool parse_sort(struct cmd_ctx *c, const struct cmd_args *a, bool readonly, struct sort_args *o)
{
    int allowed = -1;
    for (int j = 2; j < a->argc; j++) {
        int left = a->argc - j - 1;
        if (arg_is(a, j, "asc")) {
            o->desc = false;
        } else if (arg_is(a, j, "desc")) {
            o->desc = true;
        } else if (arg_is(a, j, "alpha")) {
            o->alpha = true;
        } else if (arg_is(a, j, "limit") && left >= 2) {
            if (!arg_ll_or_reply(c, a, j + 1, &o->limit_start, NULL) ||
                !arg_ll_or_reply(c, a, j + 2, &o->limit_count, NULL))
                return false;
            j += 2;
        } else if (!readonly && arg_is(a, j, "store") && left >= 1) {
            o->store_at = ++j;
        } else if (arg_is(a, j, "by") && left >= 1) {
            o->by_at = ++j;
            o->dontsort = memchr(a->argv[j], '*', strnlen(a->argv[j], a->len[j])) == NULL;
            if (!o->dontsort && !patterns_allowed(c, a, &allowed)) {
                reply_error(c->r, "ERR BY option of SORT denied due to insufficient ACL permissions.");
                return false;
            }
        } else if (arg_is(a, j, "get") && left >= 1) {
            if (!patterns_allowed(c, a, &allowed)) {
                reply_error(c->r, "ERR GET option of SORT denied due to insufficient ACL permissions.");
                return false;
            }
            j++;
            o->ops[o->nops++] = (struct sort_getop){a->argv[j], a->len[j]};
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static void sort_generic(struct cmd_ctx *c, const struct cmd_args *a, bool readonly)
{
    struct sort_args o = {.limit_count = -1, .ops = rk_malloc((size_t)a->argc * sizeof(struct sort_getop))};
    struct sort_ctx sc = {.c = c};
    if (!parse_sort(c, a, readonly, &o)) goto out;
    struct kv *kv = db_lookup(c->db, a->argv[1], a->len[1]);
    if (kv && kv->type != OBJ_SET && kv->type != OBJ_LIST && kv->type != OBJ_ZSET) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        goto out;
    }
    /* Redis 7.0 converts a listpack sorted set to a skiplist for SORT, for
     * good: it shows (OBJECT ENCODING, and -0 scores, which only a
     * skiplist keeps), so do the same. */
    if (kv && kv->type == OBJ_ZSET) zset_convert(kv, ENC_SKIPLIST);
    if (!o.store_at) cmd_unchanged(c); /* the conversion is no change (no WATCH breaks) */
    bool bypattern = o.by_at > 0;
    /* A set has no order of its own: sorted ALPHA when stored, so that the
     * result is reproducible (as Redis does for STORE and scripts). */
    if (o.dontsort && kv && kv->type == OBJ_SET && o.store_at) {
        o.dontsort = false;
        o.alpha = true;
        bypattern = false;
    }
    long long vlen = 0;
    if (kv) vlen = kv->type == OBJ_LIST ? (long long)listval_len(kv)
                   : kv->type == OBJ_SET ? (long long)set_size(kv) : (long long)zset_length(kv);
    long long start = o.limit_start < 0 ? 0 : o.limit_start;
    /* start + count - 1 without overflow: a huge count reaches the end (what
     * Redis's compiled code does with its overflowing sum) */
    long long end = o.limit_count < 0                          ? vlen - 1
                    : o.limit_count - 1 > LLONG_MAX - start ? LLONG_MAX
                                                             : start + o.limit_count - 1;
    if (start >= vlen) {
        start = vlen - 1;
        end = vlen - 2;
    }
    if (end >= vlen) end = vlen - 1;
    sc.desc = o.desc;
    sc.alpha = o.alpha;
    sc.bypattern = bypattern;
    sc.store = o.store_at > 0;
    load_items(&sc, kv, o.dontsort, &start, &end);
    resolve(&sc);
    bool weights_ok = true;
    if (!o.dontsort) {
        weights_ok = load_weights(&sc, bypattern ? a->argv[o.by_at] : NULL, bypattern ? a->len[o.by_at] : 0);
        if (sc.n) qsort_r(sc.items, sc.n, sizeof(*sc.items), sort_cmp, &sc);
    }
    if (!weights_ok) reply_error(c->r, "ERR One or more scores can't be converted into double");
    else if (!o.store_at) emit_reply(&sc, o.ops, o.nops, start, end);
    else emit_store(&sc, o.ops, o.nops, start, end, a->argv[o.store_at], a->len[o.store_at]);
out:
    rk_free(o.ops);
    rk_free(sc.items);
    obuf_free(&sc.arena);
}

static void sort_command(struct cmd_ctx *c, const struct cmd_args *a) { sort_generic(c, a, false); }
static void sort_ro_command(struct cmd_ctx *c, const struct cmd_args *a) { sort_generic(c, a, true); }

/* ---- pattern keys on other shards ---- */

static void visit_pattern(const char *pat, size_t plen, const char *elem, size_t elen, cmd_key_visitor visit,
                          void *arg)
{
    char small[256];
    struct pat_key k;
    if (!pattern_key(pat, plen, elem, elen, small, sizeof small, &k)) return;
    visit(arg, k.key, k.klen);
    pat_key_done(&k, small);
}

/* Every key the call's BY and GET patterns name, over all the elements
 * (a superset of what LIMIT will read). Errors are the handler's to
 * report: here they only end the visit. */
static void sort_value_keys_generic(struct cmd_ctx *c, const struct cmd_args *a, bool readonly, cmd_key_visitor visit,
                                    void *arg)
{
    struct sort_args o = {.limit_count = -1, .ops = rk_malloc((size_t)a->argc * sizeof(struct sort_getop))};
    struct sort_ctx sc = {.c = c};
    struct kv *kv = parse_sort(c, a, readonly, &o) ? db_lookup(c->db, a->argv[1], a->len[1]) : NULL;
    if (kv && (kv->type == OBJ_SET || kv->type == OBJ_LIST || kv->type == OBJ_ZSET)) {
        long long start = 0, end = LLONG_MAX;
        load_items(&sc, kv, false, &start, &end);
        resolve(&sc);
        for (size_t i = 0; i < sc.n; i++) {
            const struct sort_item *it = &sc.items[i];
            if (o.by_at && !o.dontsort) visit_pattern(a->argv[o.by_at], a->len[o.by_at], it->s, it->len, visit, arg);
            for (int g = 0; g < o.nops; g++) visit_pattern(o.ops[g].pat, o.ops[g].len, it->s, it->len, visit, arg);
        }
    }
    rk_free(o.ops);
    rk_free(sc.items);
    obuf_free(&sc.arena);
}

static void sort_value_keys(struct cmd_ctx *c, const struct cmd_args *a, cmd_key_visitor visit, void *arg)
{
    sort_value_keys_generic(c, a, false, visit, arg);
}

static void sort_ro_value_keys(struct cmd_ctx *c, const struct cmd_args *a, cmd_key_visitor visit, void *arg)
{
    sort_value_keys_generic(c, a, true, visit, arg);
}

/* Whether every key a pattern can name is on shard `home`: true when it
 * names none ("#", no '*') or when the part before the '*' holds a whole,
 * non-empty {hash tag}, which then decides the slot of every such key. */
static bool pattern_on(const uint16_t *slot_owner, const char *pat, size_t plen, unsigned home)
{
    size_t clen = strnlen(pat, plen);
    const char *star = memchr(pat, '*', clen);
    if (!star) return true;
    size_t prefix = (size_t)(star - pat);
    const char *open = memchr(pat, '{', prefix);
    if (!open) return false;
    const char *close = memchr(open + 1, '}', (size_t)(star - open - 1));
    if (!close || close == open + 1) return false;
    return slot_owner[key_hash_slot(pat, prefix)] == home;
}

static bool sort_patterns_home(const struct cmd_args *a, const uint16_t *slot_owner, unsigned home)
{
    for (int i = 2; i < a->argc; i++) {
        if (arg_is(a, i, "limit")) {
            i += 2;
        } else if (arg_is(a, i, "store")) {
            i += 1;
        } else if ((arg_is(a, i, "get") || arg_is(a, i, "by")) && i + 1 < a->argc) {
            if (!pattern_on(slot_owner, a->argv[i + 1], a->len[i + 1], home)) return false;
            i += 1;
        }
    }
    return true;
}

/* The sorted key and the last STORE destination (Redis's sortGetKeys). */
static int sort_getkeys(const struct cmd_args *a, int *pos, int max)
{
    int n = 0, store = 0;
    if (max < 2 || a->argc < 2) return 0;
    pos[n++] = 1;
    for (int i = 2; i < a->argc; i++) {
        if (arg_is(a, i, "limit")) i += 2;
        else if (arg_is(a, i, "get") || arg_is(a, i, "by")) i += 1;
        else if (arg_is(a, i, "store") && i + 1 < a->argc) store = i + 1;
    }
    if (store) pos[n++] = store;
    return n;
}

/* BY and GET name keys through the sorted values' content. */
#define SORT_BY_GET_SPEC                                                                                    \
    KEY_SPEC_UNKNOWN(KS_RO | KS_ACCESS, "For the optional BY/GET keyword. It is marked 'unknown' because the key " \
                                        "names derive from the content of the key we sort")
#define SORT_SYNTAX                                                                                        \
    "key [BY pattern#1] [LIMIT offset:integer count:integer] [GET pattern#1 [GET pattern#1 ...]] order=[ASC | DESC] " \
    "sorting=[ALPHA]"

const struct cmd_def sort_commands[] = {
    {.name = "sort", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM, .fn = sort_command, .getkeys = sort_getkeys,
     .value_keys = sort_value_keys, .value_keys_home = sort_patterns_home,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 1, 0, 1), SORT_BY_GET_SPEC,
                                                KEY_SPEC_UNKNOWN(KS_OW | KS_UPDATE,
                                                                 "For the optional STORE keyword. It is marked 'unknown' "
                                                                 "because the keyword can appear anywhere in the argument array"),
                                                {0}},
     .syntax = SORT_SYNTAX " [STORE destination:key#2]",
     .group = "generic", .since = "1.0.0", .acl_categories = "set sortedset list slow dangerous",
     .summary = "Sort the elements in a list, set or sorted set",
     .complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of "
                   "returned elements. When the elements are not sorted, complexity is O(N)."},
    {.name = "sort_ro", .arity = -2, .flags = CMD_READONLY, .fn = sort_ro_command, .first_key = 1, .last_key = 1,
     .value_keys = sort_ro_value_keys, .value_keys_home = sort_patterns_home,
     .key_step = 1,
     .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 1, 0, 1), SORT_BY_GET_SPEC, {0}},
     .syntax = SORT_SYNTAX, .group = "generic", .since = "7.0.0",
     .acl_categories = "set sortedset list slow dangerous",
     .summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
     .complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of "
                   "returned elements. When the elements are not sorted, complexity is O(N)."},
    {0},
};
