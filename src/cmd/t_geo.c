/* t_geo.c — the geo commands on points (GEOADD, GEOPOS, GEOHASH,
 * GEODIST) and the argument and reply helpers the search commands share
 * (t_geosearch.c), with Redis 7.0's replies and errors. A geo index is a
 * sorted set whose scores are 52-bit geohashes (data/geohash.h).
 * Handlers run on the shard owning the keys (or on the cross-shard
 * scratch keyspace's copies). */
#include "ringkv/base/alloc.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_geo.h"
#include "ringkv/cmd/t_zset.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/geohash.h"
#include "ringkv/data/zset.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

bool geo_double_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, const char *msg, double *out)
{
    if (string2d(a->argv[i], a->len[i], out)) return true;
    if (msg) reply_errorf(c->r, "ERR %s", msg);
    else reply_error(c->r, RK_ERR_NOT_FLOAT);
    return false;
}

bool geo_lonlat_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, double xy[2])
{
    if (!geo_double_or_reply(c, a, i, NULL, &xy[0]) || !geo_double_or_reply(c, a, i + 1, NULL, &xy[1]))
        return false;
    if (geo_lonlat_valid(xy[0], xy[1])) return true;
    reply_errorf(c->r, "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
    return false;
}

double geo_unit_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i)
{
    static const struct { const char *name; double meters; } units[] = {
        {"m", 1}, {"km", 1000}, {"ft", 0.3048}, {"mi", 1609.34},
    };
    for (size_t k = 0; k < RK_ARRAY_LEN(units); k++)
        if (arg_is(a, i, units[k].name)) return units[k].meters;
    reply_error(c->r, "ERR unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* Redis's fixedpoint_d2string with 4 digits: the value rounded to 1e-4
 * with llrint (ties to even), "0.0000" for anything that rounds to 0. */
void geo_reply_distance(struct reply *r, double d)
{
    char buf[48];
    long long scaled = llrint(d * 10000.0);
    unsigned long long mag = scaled < 0 ? 0ULL - (unsigned long long)scaled : (unsigned long long)scaled;
    int n = snprintf(buf, sizeof(buf), "%s%llu.%04llu", scaled < 0 ? "-" : "", mag / 10000, mag % 10000);
    reply_bulk(r, buf, (size_t)n);
}

static void reply_human_double(struct reply *r, double v)
{
    char buf[RK_MAX_LD_CHARS + 3];
    size_t n = ld2string(buf + 1, RK_MAX_LD_CHARS, (long double)v, LD_STR_HUMAN);
    if (r->resp == 2) {
        reply_bulk(r, buf + 1, n);
        return;
    }
    buf[0] = ',';
    memcpy(buf + 1 + n, "\r\n", 2);
    reply_raw(r, buf, n + 3);
}

void geo_reply_position(struct reply *r, const double xy[2])
{
    reply_array(r, 2);
    reply_human_double(r, xy[0]);
    reply_human_double(r, xy[1]);
}

/* ---- GEOADD ---- */

/* The ZADD call GEOADD becomes: zadd key [options] score member ...;
 * `scores` holds the scores' text, RK_LONG_STR_SIZE bytes each. */
struct zadd_call {
    const char **argv;
    size_t *len;
    char *scores;
};

static void zadd_call_free(struct zadd_call *z)
{
    rk_free(z->argv);
    rk_free(z->len);
    rk_free(z->scores);
}

/* GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...] */
static void geoadd_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool nx = false, xx = false;
    int first = 2;
    for (; first < a->argc; first++) {
        if (arg_is(a, first, "nx")) nx = true;
        else if (arg_is(a, first, "xx")) xx = true;
        else if (!arg_is(a, first, "ch")) break;
    }
    if ((a->argc - first) % 3 || (nx && xx)) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    int elements = (a->argc - first) / 3, argc = first + elements * 2;
    struct zadd_call z = {rk_malloc((size_t)argc * sizeof(char *)), rk_malloc((size_t)argc * sizeof(size_t)),
                          rk_malloc((size_t)(elements ? elements : 1) * RK_LONG_STR_SIZE)};
    z.argv[0] = "zadd";
    z.len[0] = 4;
    for (int i = 1; i < first; i++) {
        z.argv[i] = a->argv[i];
        z.len[i] = a->len[i];
    }
    for (int e = 0; e < elements; e++) {
        int at = first + e * 3, to = first + e * 2;
        double xy[2];
        if (!geo_lonlat_or_reply(c, a, at, xy)) goto out;
        char *score = z.scores + (size_t)e * RK_LONG_STR_SIZE;
        z.argv[to] = score;
        z.len[to] = ull2string(score, geo_score_encode(xy[0], xy[1]));
        z.argv[to + 1] = a->argv[at + 2];
        z.len[to + 1] = a->len[at + 2];
    }
    struct cmd_args zargs = {argc, z.argv, z.len};
    zadd_command(c, &zargs);
out:
    zadd_call_free(&z);
}

/* ---- GEOPOS, GEOHASH, GEODIST ---- */

/* The position of member in kv (NULL: missing key); false if absent. */
static bool member_position(struct kv *kv, const char *m, size_t len, double xy[2])
{
    double score;
    return kv && zset_score(kv, m, len, &score) && geo_score_decode(score, xy);
}

static void geopos_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        double xy[2];
        if (member_position(kv, a->argv[i], a->len[i], xy)) geo_reply_position(c->r, xy);
        else reply_null_array(c->r);
    }
}

static void geohash_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    bool err;
    struct kv *kv = tc_lookup_read(c, a->argv[1], a->len[1], OBJ_ZSET, &err);
    if (err) return;
    reply_array(c->r, a->argc - 2);
    for (int i = 2; i < a->argc; i++) {
        double xy[2];
        char text[GEOHASH_STRING_LEN + 1];
        if (!member_position(kv, a->argv[i], a->len[i], xy)) {
            reply_null(c->r);
            continue;
        }
        geo_hash_string(xy, text);
        reply_bulk(c->r, text, GEOHASH_STRING_LEN);
    }
}

/* GEODIST key member1 member2 [unit] */
static void geodist_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    double to_meters = 1;
    if (a->argc == 5) {
        to_meters = geo_unit_or_reply(c, a, 4);
        if (to_meters < 0) return;
    } else if (a->argc > 5) {
        reply_error(c->r, RK_ERR_SYNTAX);
        return;
    }
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_ZSET, false, reply_null);
    if (!kv) return;
    double p1[2], p2[2];
    if (!member_position(kv, a->argv[2], a->len[2], p1) || !member_position(kv, a->argv[3], a->len[3], p2)) {
        reply_null(c->r);
        return;
    }
    geo_reply_distance(c->r, geo_distance(p1[0], p1[1], p2[0], p2[1]) / to_meters);
}

#define GEO_CMD(name_, arity_, flags_, fn_, summary_, acl_, ...)                                                  \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = 1, .last_key = 1, .key_step = 1, .fn = fn_, \
     .group = "geo", .summary = summary_, .since = "3.2.0", .acl_categories = acl_, __VA_ARGS__}

const struct cmd_def geo_commands[] = {
    GEO_CMD("geoadd", -5, CMD_WRITE | CMD_DENYOOM, geoadd_command,
            "Add one or more geospatial items in the geospatial index represented using a sorted set",
            "write geo slow", .key_flags = KS_RW | KS_UPDATE,
            .complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
            .syntax = "key condition=[NX | XX]@6.2.0 change=[CH]@6.2.0 "
                      "longitude:double latitude:double member [longitude:double latitude:double member ...]",
            .history = (const char *const[]){"6.2.0", "Added the `CH`, `NX` and `XX` options.", NULL}),
    GEO_CMD("geodist", -4, CMD_READONLY, geodist_command, "Returns the distance between two members of a geospatial index",
            "read geo slow", .key_flags = KS_RO | KS_ACCESS, .complexity = "O(log(N))",
            .syntax = "key member1 member2 unit=[M | KM | FT | MI]"),
    GEO_CMD("geohash", -2, CMD_READONLY, geohash_command,
            "Returns members of a geospatial index as standard geohash strings", "read geo slow",
            .key_flags = KS_RO | KS_ACCESS,
            .complexity = "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
            .syntax = "key member [member ...]"),
    GEO_CMD("geopos", -2, CMD_READONLY, geopos_command, "Returns longitude and latitude of members of a geospatial index",
            "read geo slow", .key_flags = KS_RO | KS_ACCESS,
            .complexity = "O(N) where N is the number of members requested.", .syntax = "key member [member ...]"),
    {0},
};
