/* test_geo.c — geo commands over TCP: GEOADD's options and errors, the
 * exact positions, hashes and distances Redis replies, radius and box
 * searches (both sorted set encodings, RESP2 and RESP3 formats), the
 * search errors, and STORE / STOREDIST / GEOSEARCHSTORE with source and
 * destination on one shard (hash tag) and on different shards. Every
 * expectation also holds on redis-server 7.0 (suite 'redis'). */
#include "coll_util.h"

TestSuite(geo, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define SICILY "13.361389 38.115556 Palermo 15.087269 37.502669 Catania"
#define ITALY SICILY " 12.496366 41.902782 Rome 14.2681 40.8518 Naples"

TS_TEST(geo, geoadd_options_and_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "GEOADD k " SICILY), 2);
    ts_assert_int(ts_cmd(c, "GEOADD k 13.361389 38.115556 Palermo"), 0);
    /* CH counts the moved member; NX only adds, XX only moves */
    ts_assert_int(ts_cmd(c, "GEOADD k CH 13.5 38 Palermo 1 1 new"), 2);
    ts_assert_int(ts_cmd(c, "GEOADD k NX 0 0 Palermo 2 2 other"), 1);
    ts_assert_int(ts_cmd(c, "GEOADD k XX CH 3 3 other 4 4 absent"), 1);
    redisReply *r = ts_cmd(c, "GEOPOS k Palermo other absent");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "GEOPOS shape");
    cr_assert(r->element[0]->elements == 2 && strcmp(r->element[0]->element[0]->str, "13.50000053644180298") == 0 &&
              strcmp(r->element[0]->element[1]->str, "38.0000009925631943") == 0, "Palermo moved");
    cr_assert(strcmp(r->element[1]->element[0]->str, "2.99999982118606567") == 0 &&
              strcmp(r->element[1]->element[1]->str, "3.00000091215010656") == 0, "other moved by XX");
    cr_assert(r->element[2]->type == REDIS_REPLY_NIL, "absent not added by XX");
    freeReplyObject(r);

    ts_assert_error(ts_cmd(c, "GEOADD k XX NX 1 1 a"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEOADD k 1 1"), "ERR wrong number of arguments for 'geoadd' command");
    ts_assert_error(ts_cmd(c, "GEOADD k 1 1 a 2"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEOADD k GT 1 1 a"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEOADD k 1 abc a"), "ERR value is not a valid float");
    ts_assert_error(ts_cmd(c, "GEOADD k 200 100 a"), "ERR invalid longitude,latitude pair 200.000000,100.000000");
    ts_assert_error(ts_cmd(c, "GEOADD k -180.5 10 a"), "ERR invalid longitude,latitude pair -180.500000,10.000000");
    ts_assert_error(ts_cmd(c, "GEOADD k 0 85.06 a"), "ERR invalid longitude,latitude pair 0.000000,85.060000");
    /* a bad pair anywhere adds nothing */
    ts_assert_error(ts_cmd(c, "GEOADD k 1 1 fine 0 86 bad"), "ERR invalid longitude,latitude pair 0.000000,86.000000");
    ts_assert_nil(ts_cmd(c, "ZSCORE k fine"));
    /* the extremes are valid */
    ts_assert_int(ts_cmd(c, "GEOADD k 180 85.05112878 top -180 -85.05112878 bottom"), 2);
    ts_assert_bulk(ts_cmd(c, "ZSCORE k top"), "13510798882111488");
    ts_assert_bulk(ts_cmd(c, "ZSCORE k bottom"), "0");
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_error(ts_cmd(c, "GEOADD str 1 1 a"), WRONGTYPE);
    redisFree(c);
}

TS_TEST(geo, positions_hashes_and_distances)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "GEOADD k " SICILY), 2);
    ts_assert_bulk(ts_cmd(c, "ZSCORE k Palermo"), "3479099956230698");
    ts_assert_array(ts_cmd(c, "GEOHASH k Palermo Catania nosuch"), "sqc8b49rny0", "sqdtr74hyu0", NULL);
    ts_assert_array(ts_cmd(c, "GEOHASH nokey a"), NULL);
    redisReply *r = ts_cmd(c, "GEOPOS k Catania nosuch");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->elements == 2 &&
              strcmp(r->element[0]->element[0]->str, "15.08726745843887329") == 0 &&
              strcmp(r->element[0]->element[1]->str, "37.50266842333162032") == 0 &&
              r->element[1]->type == REDIS_REPLY_NIL, "GEOPOS");
    freeReplyObject(r);
    ts_assert_bulk(ts_cmd(c, "GEODIST k Palermo Catania"), "166274.1516");
    ts_assert_bulk(ts_cmd(c, "GEODIST k Palermo Catania KM"), "166.2742");
    ts_assert_bulk(ts_cmd(c, "GEODIST k Palermo Catania mi"), "103.3182");
    ts_assert_bulk(ts_cmd(c, "GEODIST k Palermo Catania ft"), "545518.8700");
    ts_assert_bulk(ts_cmd(c, "GEODIST k Palermo Palermo"), "0.0000");
    ts_assert_nil(ts_cmd(c, "GEODIST k Palermo nosuch"));
    ts_assert_nil(ts_cmd(c, "GEODIST nokey a b"));
    ts_assert_error(ts_cmd(c, "GEODIST k Palermo Catania furlong"),
                    "ERR unsupported unit provided. please use M, KM, FT, MI");
    ts_assert_error(ts_cmd(c, "GEODIST k Palermo Catania km extra"), "ERR syntax error");
    /* any score decodes to some position, as in Redis */
    ts_assert_int(ts_cmd(c, "ZADD z -1 a inf b"), 2);
    ts_assert_array(ts_cmd(c, "GEOHASH z a b"), "bp05b5048p0", "00bh0hbj200");
    r = ts_cmd(c, "GEOPOS z a b");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
              strcmp(r->element[0]->element[0]->str, "180") == 0 &&
              strcmp(r->element[0]->element[1]->str, "85.0511287799999991") == 0 &&
              strcmp(r->element[1]->element[0]->str, "-179.99999731779098511") == 0 &&
              strcmp(r->element[1]->element[1]->str, "-85.05112751263942528") == 0, "GEOPOS of plain scores");
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_error(ts_cmd(c, "GEOPOS str a"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "GEOHASH str a"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "GEODIST str a b"), WRONGTYPE);
    redisFree(c);
}

/* An array of [member, dist] pairs. */
static void assert_with_dist(redisReply *r, const char *const *members, const char *const *dists, size_t n)
{
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n, "want %zu results, got %zu", n, r->elements);
    for (size_t i = 0; i < n; i++) {
        redisReply *e = r->element[i];
        cr_assert(e->type == REDIS_REPLY_ARRAY && e->elements == 2, "result %zu is a pair", i);
        cr_assert_str_eq(e->element[0]->str, members[i]);
        cr_assert_str_eq(e->element[1]->str, dists[i]);
    }
    freeReplyObject(r);
}

static void searches_body(redisContext *c, const char *enc)
{
    ts_assert_int(ts_cmd(c, "GEOADD s " ITALY), 4);
    cu_assert_encoding(c, "s", enc, enc);
    assert_with_dist(ts_cmd(c, "GEORADIUS s 15 37 200 km WITHDIST ASC"), (const char *[]){"Catania", "Palermo"},
                     (const char *[]){"56.4413", "190.4424"}, 2);
    ts_assert_array(ts_cmd(c, "GEORADIUS s 15 37 500 km DESC"), "Naples", "Palermo", "Catania");
    ts_assert_array(ts_cmd(c, "GEORADIUS_RO s 15 37 500 km COUNT 2"), "Catania", "Palermo");
    cu_assert_unordered(ts_cmd(c, "GEORADIUS s 15 37 500 km"), "Catania Palermo Naples");
    ts_assert_array(ts_cmd(c, "GEORADIUS s 15 37 10 km"));
    ts_assert_array(ts_cmd(c, "GEORADIUS nokey 15 37 10 km"));
    assert_with_dist(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST"),
                     (const char *[]){"Catania", "Palermo"}, (const char *[]){"56.4413", "190.4424"}, 2);
    /* a box is not a circle: Palermo (190 km) is in a 400 km box, not a 190 km radius */
    ts_assert_array(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 190 km"), "Catania");
    ts_assert_array(ts_cmd(c, "GEOSEARCH s FROMMEMBER Rome BYRADIUS 250 km ASC"), "Rome", "Naples");
    ts_assert_array(ts_cmd(c, "GEORADIUSBYMEMBER_RO s Rome 250 km DESC"), "Naples", "Rome");
    ts_assert_array(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1000 km COUNT 1 ANY"), "Palermo");
    assert_with_dist(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1000 mi ASC WITHDIST"),
                     (const char *[]){"Catania", "Palermo", "Naples", "Rome"},
                     (const char *[]){"35.0711", "118.3357", "269.0991", "364.1897"}, 4);

    /* WITHDIST, WITHHASH and WITHCOORD, in that order whatever the call's */
    redisReply *r = ts_cmd(c, "GEORADIUSBYMEMBER s Palermo 300 km WITHCOORD WITHHASH WITHDIST ASC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "two results");
    redisReply *p = r->element[0];
    cr_assert(p->elements == 4 && strcmp(p->element[0]->str, "Palermo") == 0 &&
              strcmp(p->element[1]->str, "0.0000") == 0 && p->element[2]->type == REDIS_REPLY_INTEGER &&
              p->element[2]->integer == 3479099956230698LL && p->element[3]->elements == 2 &&
              strcmp(p->element[3]->element[0]->str, "13.36138933897018433") == 0 &&
              strcmp(p->element[3]->element[1]->str, "38.11555639549629859") == 0, "Palermo's fields");
    cr_assert(strcmp(r->element[1]->element[0]->str, "Catania") == 0 &&
              strcmp(r->element[1]->element[1]->str, "166.2742") == 0, "Catania's distance");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "DEL s"), 1);
}

static void with_both_encodings(void (*body)(redisContext *c, const char *enc))
{
    redisContext *c = ts_connect(g_server);
    cu_require_object_encoding(c);
    body(c, "listpack");
    ts_assert_ok(ts_cmd(c, "CONFIG SET zset-max-listpack-entries 0"));
    body(c, "skiplist");
    redisFree(c);
}

TS_TEST(geo, radius_and_box_searches) { with_both_encodings(searches_body); }

TS_TEST(geo, search_errors)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "GEOADD s " SICILY), 2);
    ts_assert_error(ts_cmd(c, "GEORADIUS s 200 100 1 km"), "ERR invalid longitude,latitude pair 200.000000,100.000000");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 x km"), "ERR need numeric radius");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 -1 km"), "ERR radius cannot be negative");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 furlong"), "ERR unsupported unit provided. please use M, KM, FT, MI");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 km COUNT 0"), "ERR COUNT must be > 0");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 km COUNT x"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 km ANY"), "ERR the ANY argument requires COUNT argument");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 km BOGUS"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEORADIUS s 15 37 1 km STORE d WITHDIST"),
                    "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    ts_assert_error(ts_cmd(c, "GEORADIUS_RO s 15 37 1 km STORE d"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEORADIUSBYMEMBER s nosuch 1 km"), "ERR could not decode requested zset member");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1 km STORE d"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s BYRADIUS 1 km ASC DESC"),
                    "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH");
    ts_assert_error(ts_cmd(c, "geosearch s FROMLONLAT 15 37 ASC DESC"),
                    "ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km"), "ERR syntax error");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYBOX 1 -1 km"), "ERR height or width cannot be negative");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYBOX x 1 km"), "ERR need numeric width");
    ts_assert_error(ts_cmd(c, "GEOSEARCH s FROMLONLAT 15 37 BYBOX 1 x km"), "ERR need numeric height");
    ts_assert_error(ts_cmd(c, "GEOSEARCHSTORE d s FROMLONLAT 15 37 BYRADIUS 1 km WITHCOORD"),
                    "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    /* a missing source still has its options checked */
    ts_assert_error(ts_cmd(c, "GEORADIUSBYMEMBER nokey x 1 km ANY"), "ERR the ANY argument requires COUNT argument");
    ts_assert_array(ts_cmd(c, "GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km"));
    ts_assert_ok(ts_cmd(c, "SET str x"));
    ts_assert_error(ts_cmd(c, "GEORADIUS str 15 37 1 km"), WRONGTYPE);
    ts_assert_error(ts_cmd(c, "GEOSEARCHSTORE d str FROMLONLAT 15 37 BYRADIUS 1 km"), WRONGTYPE);
    redisFree(c);
}

/* Every member GEODIST puts within the radius, and no other, is found:
 * the 9 boxes cover the circle (a grid of points around it). */
TS_TEST(geo, search_finds_every_point_in_range)
{
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 20; j++) ts_append(c, "GEOADD grid %f %f p%d_%d", 9.5 + i * 0.05, 44.5 + j * 0.05, i, j);
    for (int i = 0; i < 400; i++) ts_assert_int(ts_reply(c), 1);
    const double radii_km[] = {3, 12.5, 30};
    for (size_t k = 0; k < 3; k++) {
        char want[8192] = "";
        size_t n = 0;
        for (int i = 0; i < 20; i++)
            for (int j = 0; j < 20; j++) {
                redisReply *d = ts_cmd(c, "GEODIST grid p10_10 p%d_%d km", i, j);
                cr_assert(d->type == REDIS_REPLY_STRING);
                if (atof(d->str) <= radii_km[k]) {
                    n += (size_t)snprintf(want + n, sizeof(want) - n, "%sp%d_%d", n ? " " : "", i, j);
                }
                freeReplyObject(d);
            }
        cu_assert_unordered(ts_cmd(c, "GEORADIUSBYMEMBER grid p10_10 %f km", radii_km[k]), want);
        cu_assert_unordered(ts_cmd(c, "GEOSEARCH grid FROMMEMBER p10_10 BYRADIUS %f km", radii_km[k]), want);
    }
    redisFree(c);
}

/* RESP3: coordinates are doubles, distances stay bulk strings. */
TS_TEST(geo, resp3_formats)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "GEOADD k " SICILY), 2);
    redisFree(c);
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "HELLO 3\r\n");
    size_t len;
    cr_assert(ts_raw_read_reply(raw, 5000, &len), "HELLO 3: %s", ts_raw_status(raw));
    ts_raw_send_str(raw, "GEOPOS k Catania nosuch\r\n");
    ts_raw_expect(raw, "*2\r\n*2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n_\r\n");
    ts_raw_send_str(raw, "GEORADIUS k 15 37 100 km WITHDIST WITHCOORD\r\n");
    ts_raw_expect(raw, "*1\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n*2\r\n,15.08726745843887329\r\n"
                       ",37.50266842333162032\r\n");
    ts_raw_send_str(raw, "GEODIST k Palermo Catania km\r\n");
    ts_raw_expect(raw, "$8\r\n166.2742\r\n");
    ts_raw_send_str(raw, "GEOHASH k nosuch\r\n");
    ts_raw_expect(raw, "*1\r\n_\r\n");
    ts_raw_close(raw);
}

/* STORE keeps the geohash scores, STOREDIST the distances in the unit;
 * source and destination on one shard ({t}) and on different ones. */
TS_TEST(geo, store_within_and_across_shards)
{
    cr_assert(cu_quarter("src") != cu_quarter("dst") && cu_quarter("dst") != cu_quarter("dst2") &&
              cu_quarter("src") != cu_quarter("dst2"));
    redisContext *c = ts_connect(g_server);
    const char *tags[] = {"", "{t}"};
    for (int t = 0; t < 2; t++) {
        const char *p = tags[t];
        ts_assert_int(ts_cmd(c, "GEOADD %ssrc " ITALY, p), 4);
        ts_assert_int(ts_cmd(c, "GEORADIUS %ssrc 15 37 200 km STORE %sdst", p, p), 2);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst 0 -1 WITHSCORES", p), "Palermo", "3479099956230698", "Catania",
                        "3479447370796909");
        ts_assert_int(ts_cmd(c, "GEORADIUSBYMEMBER %ssrc Palermo 200 km STOREDIST %sdst COUNT 1", p, p), 1);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst 0 -1 WITHSCORES", p), "Palermo", "0");
        ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE %sdst2 %ssrc FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST", p, p), 2);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst2 0 -1 WITHSCORES", p), "Catania", "56.441257870158204", "Palermo",
                        "190.44242984775784");
        ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE %sdst2 %ssrc FROMMEMBER Rome BYBOX 500 500 km DESC COUNT 1", p, p), 1);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst2 0 -1", p), "Naples");
        /* the last of STORE and STOREDIST wins */
        ts_assert_int(ts_cmd(c, "GEORADIUS %ssrc 15 37 200 km STORE %sdst STOREDIST %sdst2 ASC", p, p, p), 2);
        ts_assert_array(ts_cmd(c, "ZRANGE %sdst2 0 -1 WITHSCORES", p), "Catania", "56.441257870158204", "Palermo",
                        "190.44242984775784");
        ts_assert_int(ts_cmd(c, "DEL %sdst %sdst2", p, p), 2);
        ts_assert_int(ts_cmd(c, "GEORADIUS %ssrc 15 37 200 km STORE %sdst STORE %sdst2", p, p, p), 2);
        ts_assert_int(ts_cmd(c, "EXISTS %sdst", p), 0);
        ts_assert_int(ts_cmd(c, "ZCARD %sdst2", p), 2);
        /* no result, or no source: the destination is deleted */
        ts_assert_int(ts_cmd(c, "GEORADIUS %ssrc 0 0 1 km STORE %sdst", p, p), 0);
        ts_assert_int(ts_cmd(c, "EXISTS %sdst", p), 0);
        ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE %sdst2 %snosrc FROMLONLAT 0 0 BYRADIUS 1 km", p, p), 0);
        ts_assert_int(ts_cmd(c, "EXISTS %sdst2", p), 0);
        /* the destination may be the source, and of another type */
        ts_assert_ok(ts_cmd(c, "SET %sdst x", p));
        ts_assert_int(ts_cmd(c, "GEORADIUS %ssrc 15 37 200 km STORE %sdst", p, p), 2);
        ts_assert_int(ts_cmd(c, "ZCARD %sdst", p), 2);
        ts_assert_int(ts_cmd(c, "GEOSEARCHSTORE %ssrc %ssrc FROMMEMBER Rome BYRADIUS 250 km", p, p), 2);
        cu_assert_unordered(ts_cmd(c, "ZRANGE %ssrc 0 -1", p), "Rome Naples");
        ts_assert_int(ts_cmd(c, "DEL %ssrc %sdst %sdst2", p, p, p), 2);
    }
    redisFree(c);
}

TS_TEST(geo, key_positions)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE a STOREDIST b"), "k", "a", "b");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km COUNT 1 STOREDIST b"), "k", "b");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE"), "k");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km"), "d", "s");
    ts_assert_array(ts_cmd(c, "COMMAND GETKEYS GEOADD k 1 1 m"), "k");
    redisFree(c);
}

TS_TEST(geo, store_inside_multi)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_int(ts_cmd(c, "GEOADD src " SICILY), 2);
    ts_assert_ok(ts_cmd(c, "MULTI"));
    ts_assert_status(ts_cmd(c, "GEORADIUS src 15 37 100 km STORE dst"), "QUEUED");
    ts_assert_status(ts_cmd(c, "GEOSEARCHSTORE dst2 dst FROMMEMBER Catania BYRADIUS 1 km"), "QUEUED");
    redisReply *r = ts_cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->integer == 1 &&
              r->element[1]->integer == 1, "EXEC");
    freeReplyObject(r);
    ts_assert_array(ts_cmd(c, "ZRANGE dst2 0 -1"), "Catania");
    redisFree(c);
}
