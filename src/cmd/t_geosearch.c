/* t_geosearch.c — searching a geo index: GEORADIUS, GEORADIUSBYMEMBER,
 * their _RO forms, GEOSEARCH and GEOSEARCHSTORE (Redis 7.0's
 * georadiusGeneric): parse a centre and a shape, scan the 9 geohash boxes
 * around the centre as score ranges of the sorted set, keep the members
 * inside the shape, sort by distance, then reply or store (STORE keeps
 * the geohash scores, STOREDIST the distances). The STORE destination
 * may live on another shard: the key specs name it and the transaction
 * layer brings the keys together: handlers run on the shard owning the
 * keys, or on the cross-shard scratch keyspace's copies. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_geo.h"
#include "ringkv/cmd/t_zset.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/data/db.h"
#include "ringkv/data/geohash.h"
#include "ringkv/data/zset.h"

#include <stdlib.h>
#include <string.h>

enum {
    GEO_FROM_COORDS = 1 << 0, /* GEORADIUS: lon lat after the key */
    GEO_FROM_MEMBER = 1 << 1, /* GEORADIUSBYMEMBER: member after the key */
    GEO_NO_STORE = 1 << 2,    /* the _RO forms */
    GEO_SEARCH = 1 << 3,      /* GEOSEARCH's FROM.../BY... syntax */
    GEO_SEARCH_STORE = 1 << 4,
};

enum geo_sort { GEO_SORT_NONE, GEO_SORT_ASC, GEO_SORT_DESC };

/* One match; member points into the source value (or holds an integer). */
struct geo_point {
    double xy[2], dist, score;
    struct zset_elem member;
};

struct geo_points {
    struct geo_point *p;
    size_t n, cap;
};

/* A parsed call. */
struct geo_query {
    struct geo_shape shape;
    const char *store;
    size_t store_len;
    bool storedist, withdist, withhash, withcoord, any;
    bool from_member, from_lonlat, by_radius, by_box;
    enum geo_sort sort;
    long long count; /* 0: all */
};

static void points_push(struct geo_points *pts, const struct geo_point *p)
{
    if (pts->n == pts->cap) {
        pts->cap = pts->cap ? pts->cap * 2 : 8;
        pts->p = rk_realloc(pts->p, pts->cap * sizeof(*pts->p));
    }
    pts->p[pts->n++] = *p;
}

static bool limit_reached(const struct geo_points *pts, unsigned long limit)
{
    return pts->n && limit && pts->n >= limit;
}

/* Members with scores in [min, max) that lie in the shape. */
static void scan_range(struct kv *kv, double min, double max, const struct geo_shape *shape,
                       struct geo_points *pts, unsigned long limit)
{
    zsl_range range = {.min = min, .max = max, .minex = false, .maxex = true};
    struct zset_iter it;
    struct zset_elem e;
    zset_iter_score(&it, kv, &range, false);
    while (zset_iter_next(&it, &e) && e.score < max) {
        struct geo_point p = {.member = e, .score = e.score};
        if (geo_shape_contains(shape, e.score, p.xy, &p.dist)) points_push(pts, &p);
        if (limit_reached(pts, limit)) break;
    }
}

/* The centre's box, then N S E W NE NW SE SW (Redis's order, which ANY
 * shows). A box equal to the one scanned just before is skipped (large
 * radii make neighbours coincide); as in Redis the centre's box (index 0)
 * is never compared with. */
static void scan_boxes(struct kv *kv, const struct geo_shape *shape, struct geo_points *pts, unsigned long limit)
{
    struct geo_search_boxes b = geo_search_boxes_for(shape);
    const struct geo_neighbors *n = &b.neighbors;
    struct geohash boxes[9] = {b.hash,          n->north,      n->south,      n->east,      n->west,
                               n->north_east,   n->north_west, n->south_east, n->south_west};
    int last = 0;
    for (int i = 0; i < 9; i++) {
        if (boxes[i].bits == 0 && boxes[i].step == 0) continue;
        if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) continue;
        if (limit_reached(pts, limit)) break;
        uint64_t min, max;
        geohash_score_range(boxes[i], &min, &max);
        scan_range(kv, (double)min, (double)max, shape, pts, limit);
        last = i;
    }
}

static int by_dist_asc(const void *x, const void *y)
{
    const struct geo_point *a = x, *b = y;
    return a->dist > b->dist ? 1 : a->dist == b->dist ? 0 : -1;
}

static int by_dist_desc(const void *x, const void *y) { return -by_dist_asc(x, y); }

/* ---- arguments ---- */

/* <radius> <unit> at argv[i]. */
static bool radius_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, struct geo_shape *s)
{
    if (!geo_double_or_reply(c, a, i, "need numeric radius", &s->radius)) return false;
    if (s->radius < 0) {
        reply_error(c->r, "ERR radius cannot be negative");
        return false;
    }
    s->conversion = geo_unit_or_reply(c, a, i + 1);
    s->type = GEO_SHAPE_CIRCLE;
    return s->conversion >= 0;
}

/* <width> <height> <unit> at argv[i]. */
static bool box_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, struct geo_shape *s)
{
    if (!geo_double_or_reply(c, a, i, "need numeric width", &s->width) ||
        !geo_double_or_reply(c, a, i + 1, "need numeric height", &s->height))
        return false;
    if (s->height < 0 || s->width < 0) {
        reply_error(c->r, "ERR height or width cannot be negative");
        return false;
    }
    s->conversion = geo_unit_or_reply(c, a, i + 2);
    s->type = GEO_SHAPE_BOX;
    return s->conversion >= 0;
}

/* A member's position as a search centre. */
static bool member_center_or_reply(struct cmd_ctx *c, struct kv *kv, const char *m, size_t len, double xy[2])
{
    double score;
    if (zset_score(kv, m, len, &score) && geo_score_decode(score, xy)) return true;
    reply_error(c->r, "ERR could not decode requested zset member");
    return false;
}

/* One optional argument at argv[i] (Redis's parse: each option checks
 * what follows it exists and that the command takes it). Returns the
 * next index, or -1 after an error reply. */
static int parse_option(struct cmd_ctx *c, const struct cmd_args *a, int i, int flags, struct kv *kv,
                        struct geo_query *q)
{
    int left = a->argc - i - 1; /* arguments after this one */
    bool store_ok = !(flags & (GEO_NO_STORE | GEO_SEARCH)), search = flags & GEO_SEARCH;
    if (arg_is(a, i, "withdist")) q->withdist = true;
    else if (arg_is(a, i, "withhash")) q->withhash = true;
    else if (arg_is(a, i, "withcoord")) q->withcoord = true;
    else if (arg_is(a, i, "any")) q->any = true;
    else if (arg_is(a, i, "asc")) q->sort = GEO_SORT_ASC;
    else if (arg_is(a, i, "desc")) q->sort = GEO_SORT_DESC;
    else if (arg_is(a, i, "count") && left >= 1) {
        if (!arg_ll_or_reply(c, a, i + 1, &q->count, NULL)) return -1;
        if (q->count <= 0) {
            reply_error(c->r, "ERR COUNT must be > 0");
            return -1;
        }
        return i + 2;
    } else if ((arg_is(a, i, "store") || arg_is(a, i, "storedist")) && left >= 1 && store_ok) {
        q->storedist = arg_is(a, i, "storedist");
        q->store = a->argv[i + 1];
        q->store_len = a->len[i + 1];
        return i + 2;
    } else if (arg_is(a, i, "storedist") && (flags & GEO_SEARCH_STORE)) {
        q->storedist = true;
    } else if (arg_is(a, i, "frommember") && left >= 1 && search && !q->from_lonlat) {
        /* no source: the parse goes on and the missing key answers */
        if (kv && !member_center_or_reply(c, kv, a->argv[i + 1], a->len[i + 1], q->shape.xy)) return -1;
        q->from_member = true;
        return i + 2;
    } else if (arg_is(a, i, "fromlonlat") && left >= 2 && search && !q->from_member) {
        if (!geo_lonlat_or_reply(c, a, i + 1, q->shape.xy)) return -1;
        q->from_lonlat = true;
        return i + 3;
    } else if (arg_is(a, i, "byradius") && left >= 2 && search && !q->by_box) {
        if (!radius_or_reply(c, a, i + 1, &q->shape)) return -1;
        q->by_radius = true;
        return i + 3;
    } else if (arg_is(a, i, "bybox") && left >= 3 && search && !q->by_radius) {
        if (!box_or_reply(c, a, i + 1, &q->shape)) return -1;
        q->by_box = true;
        return i + 4;
    } else {
        reply_error(c->r, RK_ERR_SYNTAX);
        return -1;
    }
    return i + 1;
}

/* The checks Redis makes once every option is read. */
static bool query_complete_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int flags, const struct geo_query *q)
{
    int nlen = (int)a->len[0];
    if (q->store && (q->withdist || q->withhash || q->withcoord)) {
        reply_errorf(c->r, "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     (flags & GEO_SEARCH_STORE) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return false;
    }
    if ((flags & GEO_SEARCH) && !(q->from_member || q->from_lonlat)) {
        reply_errorf(c->r, "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s", nlen, a->argv[0]);
        return false;
    }
    if ((flags & GEO_SEARCH) && !(q->by_radius || q->by_box)) {
        reply_errorf(c->r, "ERR exactly one of BYRADIUS and BYBOX can be specified for %.*s", nlen, a->argv[0]);
        return false;
    }
    if (q->any && !q->count) {
        reply_error(c->r, "ERR the ANY argument requires COUNT argument");
        return false;
    }
    return true;
}

/* The fixed arguments before the options; returns where options start,
 * or -1 after an error reply. */
static int parse_fixed(struct cmd_ctx *c, const struct cmd_args *a, int flags, struct kv *kv, struct geo_query *q)
{
    if (flags & GEO_FROM_COORDS) {
        if (!geo_lonlat_or_reply(c, a, 2, q->shape.xy) || !radius_or_reply(c, a, 4, &q->shape)) return -1;
        return 6;
    }
    if (flags & GEO_FROM_MEMBER) {
        /* a missing key still parses the options: STORE decides the reply */
        if (kv && (!member_center_or_reply(c, kv, a->argv[2], a->len[2], q->shape.xy) ||
                   !radius_or_reply(c, a, 3, &q->shape)))
            return -1;
        return 5;
    }
    if (flags & GEO_SEARCH_STORE) {
        q->store = a->argv[1];
        q->store_len = a->len[1];
        return 3;
    }
    return 2;
}

/* ---- results ---- */

static void reply_points(struct cmd_ctx *c, const struct geo_query *q, struct geo_points *pts, size_t n)
{
    int extras = q->withdist + q->withcoord + q->withhash;
    reply_array(c->r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        struct geo_point *p = &pts->p[i];
        if (extras) reply_array(c->r, extras + 1);
        zset_reply_member(c->r, &p->member);
        if (q->withdist) geo_reply_distance(c->r, p->dist / q->shape.conversion);
        if (q->withhash) reply_int(c->r, (long long)p->score);
        if (q->withcoord) geo_reply_position(c->r, p->xy);
    }
}

static void store_points(struct cmd_ctx *c, const struct geo_query *q, struct geo_points *pts, size_t n, int flags)
{
    struct kv *result = zset_create(q->store, q->store_len, ENC_SKIPLIST);
    size_t maxlen = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct geo_point *p = &pts->p[i];
        char buf[RK_LONG_STR_SIZE];
        size_t len;
        const char *m = zset_elem_str(&p->member, buf, &len);
        double score = q->storedist ? p->dist / q->shape.conversion : p->score;
        int out;
        zset_add(result, c->cfg, score, m, len, 0, &out, NULL);
        if (len > maxlen) maxlen = len;
        total += len;
    }
    if (n) zset_shrink_if_fits(result, c->cfg, maxlen, total);
    tc_store_result(c, q->store, q->store_len, result, n, NOTIFY_ZSET,
                    (flags & GEO_SEARCH) ? "geosearchstore" : "georadiusstore");
}

static void search_generic(struct cmd_ctx *c, const struct cmd_args *a, int src, int flags)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[src], a->len[src], OBJ_ZSET, &err);
    if (err) return;
    struct geo_query q = {.sort = GEO_SORT_NONE};
    int i = parse_fixed(c, a, flags, kv, &q);
    while (i >= 0 && i < a->argc) i = parse_option(c, a, i, flags, kv, &q);
    if (i < 0 || !query_complete_or_reply(c, a, flags, &q)) return;
    if (!kv) {
        if (!q.store) {
            reply_array(c->r, 0);
            return;
        }
        tc_store_nothing(c, q.store, q.store_len);
        return;
    }
    /* COUNT alone means the nearest ones */
    if (q.count && q.sort == GEO_SORT_NONE && !q.any) q.sort = GEO_SORT_ASC;

    struct geo_points pts = {0};
    scan_boxes(kv, &q.shape, &pts, q.any ? (unsigned long)q.count : 0);
    size_t n = q.count == 0 || pts.n < (size_t)q.count ? pts.n : (size_t)q.count;
    if (q.sort != GEO_SORT_NONE && pts.n)
        qsort(pts.p, pts.n, sizeof(*pts.p), q.sort == GEO_SORT_ASC ? by_dist_asc : by_dist_desc);
    if (q.store) store_points(c, &q, &pts, n, flags);
    else reply_points(c, &q, &pts, n);
    rk_free(pts.p);
}

static void georadius_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    search_generic(c, a, 1, GEO_FROM_COORDS);
}
static void georadius_ro_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    search_generic(c, a, 1, GEO_FROM_COORDS | GEO_NO_STORE);
}
static void georadiusbymember_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    search_generic(c, a, 1, GEO_FROM_MEMBER);
}
static void georadiusbymember_ro_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    search_generic(c, a, 1, GEO_FROM_MEMBER | GEO_NO_STORE);
}
static void geosearch_command(struct cmd_ctx *c, const struct cmd_args *a) { search_generic(c, a, 1, GEO_SEARCH); }
static void geosearchstore_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    search_generic(c, a, 2, GEO_SEARCH | GEO_SEARCH_STORE);
}

/* ---- command table ---- */

/* The source key, then every key after STORE, then every key after
 * STOREDIST, options looked for from argv[5] on (both GEORADIUS forms).
 * Redis's key specs, which COMMAND GETKEYS reports, name the first of
 * each; its georadiusGetKeys only the last one, which the command writes.
 * Routing needs that one and COMMAND GETKEYS the spec order, so all are
 * named (a repeated STORE names a key more than Redis reports; a key
 * named and not written is locked and left as it was). */
static int georadius_getkeys(const struct cmd_args *a, int *pos, int max)
{
    static const char *const words[] = {"store", "storedist"};
    int n = 0;
    if (max < 1 || a->argc < 2) return 0;
    pos[n++] = 1;
    for (int w = 0; w < 2; w++)
        for (int i = 5; i + 1 < a->argc && n < max; i++)
            if (arg_is(a, i, words[w])) pos[n++] = i + 1;
    return n;
}

#define KEY_SPEC_AFTER(word_, from_)                                                                        \
    {.flags = KS_OW | KS_UPDATE, .begin = KS_BEGIN_KEYWORD, .keyword = (word_), .startfrom = (from_),      \
     .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1}
#define GEORADIUS_KEYS(from_)                                                                               \
    ((const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 1, 0, 1), KEY_SPEC_AFTER("STORE", from_), \
                                   KEY_SPEC_AFTER("STOREDIST", from_), {0}})

#define UNIT "unit=<M | KM | FT | MI>"
#define RADIUS_OPTIONS "[WITHCOORD] [WITHDIST] [WITHHASH] count=[COUNT count:integer [ANY]@6.2.0] order=[ASC | DESC]"
#define STORE_OPTIONS " [STORE key#1] [STOREDIST key#2]"
#define SEARCH_SHAPE                                                                                    \
    "from=<FROMMEMBER member | FROMLONLAT longitude:double latitude:double> "                               \
    "by=<circle=<BYRADIUS radius:double " UNIT "> | box=<BYBOX width:double height:double " UNIT ">> "       \
    "order=[ASC | DESC] count=[COUNT count:integer [ANY]]"
#define RADIUS_COMPLEXITY                                                                                       \
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by " \
    "center and radius and M is the number of items inside the index."
#define SEARCH_COMPLEXITY                                                                                       \
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape "    \
    "provided as the filter and M is the number of items inside the shape"
#define UPPER_UNITS "7.0.0", "Added support for uppercase unit names."
#define ANY_ADDED "6.2.0", "Added the `ANY` option for `COUNT`."

#define GEOSEARCH_CMD(name_, arity_, flags_, fn_, since_, acl_, summary_, ...)                             \
    {.name = name_, .arity = arity_, .flags = flags_, .fn = fn_, .group = "geo", .since = since_,          \
     .acl_categories = acl_, .summary = summary_, __VA_ARGS__}

const struct cmd_def geosearch_commands[] = {
    GEOSEARCH_CMD("georadius", -6, CMD_WRITE | CMD_DENYOOM, georadius_command, "3.2.0", "write geo slow",
                  "Query a sorted set representing a geospatial index to fetch members matching a given maximum "
                  "distance from a point",
                  .getkeys = georadius_getkeys, .key_specs = GEORADIUS_KEYS(6), .complexity = RADIUS_COMPLEXITY,
                  .syntax = "key longitude:double latitude:double radius:double " UNIT " " RADIUS_OPTIONS
                            STORE_OPTIONS,
                  .history = (const char *const[]){ANY_ADDED, UPPER_UNITS, NULL}, .deprecated_since = "6.2.0",
                  .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"),
    GEOSEARCH_CMD("georadius_ro", -6, CMD_READONLY, georadius_ro_command, "3.2.10", "read geo slow",
                  "A read-only variant for GEORADIUS", .first_key = 1, .last_key = 1, .key_step = 1,
                  .key_flags = KS_RO | KS_ACCESS, .complexity = RADIUS_COMPLEXITY,
                  .syntax = "key longitude:double latitude:double radius:double " UNIT " " RADIUS_OPTIONS,
                  .history = (const char *const[]){ANY_ADDED, NULL}, .deprecated_since = "6.2.0",
                  .replaced_by = "`GEOSEARCH` with the `BYRADIUS` argument"),
    GEOSEARCH_CMD("georadiusbymember", -5, CMD_WRITE | CMD_DENYOOM, georadiusbymember_command, "3.2.0",
                  "write geo slow",
                  "Query a sorted set representing a geospatial index to fetch members matching a given maximum "
                  "distance from a member",
                  .getkeys = georadius_getkeys, .key_specs = GEORADIUS_KEYS(5), .complexity = RADIUS_COMPLEXITY,
                  .syntax = "key member radius:double " UNIT " " RADIUS_OPTIONS STORE_OPTIONS,
                  .history = (const char *const[]){UPPER_UNITS, NULL}, .deprecated_since = "6.2.0",
                  .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    GEOSEARCH_CMD("georadiusbymember_ro", -5, CMD_READONLY, georadiusbymember_ro_command, "3.2.10", "read geo slow",
                  "A read-only variant for GEORADIUSBYMEMBER", .first_key = 1, .last_key = 1, .key_step = 1,
                  .key_flags = KS_RO | KS_ACCESS, .complexity = RADIUS_COMPLEXITY,
                  .syntax = "key member radius:double " UNIT " " RADIUS_OPTIONS, .deprecated_since = "6.2.0",
                  .replaced_by = "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments"),
    GEOSEARCH_CMD("geosearch", -7, CMD_READONLY, geosearch_command, "6.2.0", "read geo slow",
                  "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a "
                  "circle.",
                  .first_key = 1, .last_key = 1, .key_step = 1, .key_flags = KS_RO | KS_ACCESS,
                  .complexity = SEARCH_COMPLEXITY,
                  .syntax = "key " SEARCH_SHAPE " [WITHCOORD] [WITHDIST] [WITHHASH]",
                  .history = (const char *const[]){UPPER_UNITS, NULL}),
    GEOSEARCH_CMD("geosearchstore", -8, CMD_WRITE | CMD_DENYOOM, geosearchstore_command, "6.2.0", "write geo slow",
                  "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a "
                  "circle, and store the result in another key.",
                  .first_key = 1, .last_key = 2, .key_step = 1,
                  .key_specs = (const struct cmd_key_spec[]){KEY_SPEC_RANGE(KS_OW | KS_UPDATE, 1, 0, 1),
                                                             KEY_SPEC_RANGE(KS_RO | KS_ACCESS, 2, 0, 1), {0}},
                  .complexity = SEARCH_COMPLEXITY,
                  .syntax = "destination:key source:key " SEARCH_SHAPE " [STOREDIST]",
                  .history = (const char *const[]){UPPER_UNITS, NULL}),
    {0},
};
