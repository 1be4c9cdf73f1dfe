/* Unit tests for geohash: scores, decoded positions, GEOHASH strings and
 * distances compared with what redis-server 7.0.15 replied for the same
 * points (GEOADD then ZSCORE, GEOPOS, GEOHASH, GEODIST), plus the
 * neighbour boxes, the step estimate and the search boxes of a shape. */
#include "ringkv/data/geohash.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>

struct known_point {
    double lon, lat;
    uint64_t score;            /* ZSCORE after GEOADD */
    const char *pos_lon, *pos_lat; /* GEOPOS (RESP2 text) */
    const char *hash;          /* GEOHASH */
};

static const struct known_point known[] = {
    {13.361389, 38.115556, 3479099956230698ULL, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
    {15.087269, 37.502669, 3479447370796909ULL, "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"},
    {-122.419418, 37.774929, 1367859919124605ULL, "-122.41941779851913452", "37.77492789249853189", "9q8yyk8yuu0"},
    {180, 85.05112878, 13510798882111488ULL, "180", "85.0511287799999991", "bp05b5048p0"},
    {-180, -85.05112878, 0ULL, "-179.99999731779098511", "-85.05112751263942528", "00bh0hbj200"},
    {0, 0, 3377699720527872ULL, "0.00000268220901489", "0.00000126736058093", "s0000000000"},
    {151.209290, -33.868820, 3252046221958824ULL, "151.20928913354873657", "-33.86882119711083305", "r3gx2f75zf0"},
};

/* GEOPOS's text: "%.17Lf" with trailing zeros (and the dot) dropped. */
static void human(char *buf, size_t cap, double v)
{
    snprintf(buf, cap, "%.17Lf", (long double)v);
    char *end = buf + strlen(buf) - 1;
    while (*end == '0') *end-- = '\0';
    if (*end == '.') *end = '\0';
}

Test(geohash, scores_match_redis)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        cr_expect_eq(geo_score_encode(known[i].lon, known[i].lat), known[i].score, "point %zu", i);
}

Test(geohash, decoded_positions_match_redis)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        double xy[2];
        char lon[64], lat[64];
        cr_assert(geo_score_decode((double)known[i].score, xy));
        human(lon, sizeof(lon), xy[0]);
        human(lat, sizeof(lat), xy[1]);
        cr_expect_str_eq(lon, known[i].pos_lon, "point %zu", i);
        cr_expect_str_eq(lat, known[i].pos_lat, "point %zu", i);
    }
}

Test(geohash, strings_match_redis)
{
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        double xy[2];
        char text[GEOHASH_STRING_LEN + 1];
        cr_assert(geo_score_decode((double)known[i].score, xy));
        geo_hash_string(xy, text);
        cr_expect_str_eq(text, known[i].hash, "point %zu", i);
    }
}

static double dist_between(size_t a, size_t b)
{
    double p[2], q[2];
    cr_assert(geo_score_decode((double)known[a].score, p));
    cr_assert(geo_score_decode((double)known[b].score, q));
    return geo_distance(p[0], p[1], q[0], q[1]);
}

Test(geohash, distances_match_redis)
{
    /* GEODIST's 4-decimal replies */
    cr_expect_eq(llrint(dist_between(0, 1) * 10000), 1662741516LL);         /* Palermo Catania: 166274.1516 */
    cr_expect_eq(llrint(dist_between(0, 2) / 1000 * 10000), 104413910LL);   /* Palermo SF km: 10441.3910 */
    cr_expect_eq(llrint(dist_between(2, 6) / 1609.34 * 10000), 74260466LL); /* SF Sydney mi: 7426.0466 */
    cr_expect_eq(llrint(dist_between(3, 4) / 0.3048 * 10000), 620729809353LL); /* top bottom ft */
}

Test(geohash, same_meridian_uses_the_latitude_formula)
{
    cr_expect_eq(geo_distance(10, 20, 10, 30), geo_lat_distance(20, 30));
    cr_expect_float_eq(geo_lat_distance(0, 1), GEO_EARTH_RADIUS_M * M_PI / 180, 1e-9);
}

Test(geohash, validity_is_the_storage_range)
{
    cr_expect(geo_lonlat_valid(180, 85.05112878));
    cr_expect(geo_lonlat_valid(-180, -85.05112878));
    cr_expect_not(geo_lonlat_valid(180.0000001, 0));
    cr_expect_not(geo_lonlat_valid(0, 85.0511288));
    cr_expect_not(geo_lonlat_valid(200, 100));
    struct geohash h;
    cr_expect_not(geohash_encode_wgs84(0, 86, 26, &h));
    cr_expect_not(geohash_encode_wgs84(0, 0, 0, &h));
}

Test(geohash, neighbors_touch_their_box)
{
    struct geohash h;
    cr_assert(geohash_encode_wgs84(13.361389, 38.115556, 26, &h));
    struct geo_neighbors n;
    geohash_neighbors(&h, &n);
    struct geo_area c, e, w, no, s, ne, sw;
    cr_assert(geohash_decode_wgs84(h, &c));
    geohash_decode_wgs84(n.east, &e);
    geohash_decode_wgs84(n.west, &w);
    geohash_decode_wgs84(n.north, &no);
    geohash_decode_wgs84(n.south, &s);
    geohash_decode_wgs84(n.north_east, &ne);
    geohash_decode_wgs84(n.south_west, &sw);
    cr_expect_float_eq(e.lon.min, c.lon.max, 1e-12);
    cr_expect_eq(e.lat.min, c.lat.min);
    cr_expect_float_eq(w.lon.max, c.lon.min, 1e-12);
    cr_expect_float_eq(no.lat.min, c.lat.max, 1e-12);
    cr_expect_eq(no.lon.min, c.lon.min);
    cr_expect_float_eq(s.lat.max, c.lat.min, 1e-12);
    cr_expect_float_eq(ne.lat.min, c.lat.max, 1e-12);
    cr_expect_float_eq(ne.lon.min, c.lon.max, 1e-12);
    cr_expect_float_eq(sw.lat.max, c.lat.min, 1e-12);
    cr_expect_float_eq(sw.lon.max, c.lon.min, 1e-12);
}

Test(geohash, neighbors_wrap_at_the_edges)
{
    /* step 2: lat bits in the even positions, lon in the odd ones */
    struct geohash h = {0, 2};
    struct geo_neighbors n;
    geohash_neighbors(&h, &n);
    cr_expect_eq(n.west.bits, 0xaULL);  /* lon 00 - 1 = 11 */
    cr_expect_eq(n.south.bits, 0x5ULL); /* lat 00 - 1 = 11 */
    cr_expect_eq(n.east.bits, 0x2ULL);  /* lon 01 */
    cr_expect_eq(n.north.bits, 0x1ULL); /* lat 01 */
    cr_expect_eq(n.south_west.bits, 0xfULL);
    struct geohash top = {0xfULL, 2};
    geohash_neighbors(&top, &n);
    cr_expect_eq(n.north_east.bits, 0x0ULL);
    cr_expect_eq(n.east.bits, 0x5ULL);
}

Test(geohash, score_range_covers_the_box)
{
    struct geohash h = {0x2aULL, 3};
    uint64_t min, max;
    geohash_score_range(h, &min, &max);
    cr_expect_eq(min, 0x2aULL << 46);
    cr_expect_eq(max, 0x2bULL << 46);
}

Test(geohash, steps_for_radius)
{
    cr_expect_eq(geohash_steps_for_radius(0, 0), 26);
    cr_expect_eq(geohash_steps_for_radius(100000, 38), 7);
    cr_expect_eq(geohash_steps_for_radius(100000, 70), 6);
    cr_expect_eq(geohash_steps_for_radius(100000, -85), 5);
    cr_expect_eq(geohash_steps_for_radius(1e9, 0), 1);
    cr_expect_eq(geohash_steps_for_radius(0.001, 0), 26);
}

Test(geohash, search_boxes_hold_every_point_of_the_circle)
{
    struct geo_shape s = {.type = GEO_SHAPE_CIRCLE, .xy = {15, 37}, .conversion = 1000, .radius = 200};
    struct geo_search_boxes b = geo_search_boxes_for(&s);
    /* Palermo and Catania are within 200 km of (15, 37): each one's score
     * must fall in one of the boxes scanned. */
    const uint64_t scores[] = {3479099956230698ULL, 3479447370796909ULL};
    const struct geohash *boxes[] = {&b.hash, &b.neighbors.north, &b.neighbors.south, &b.neighbors.east,
                                     &b.neighbors.west, &b.neighbors.north_east, &b.neighbors.north_west,
                                     &b.neighbors.south_east, &b.neighbors.south_west};
    for (size_t k = 0; k < 2; k++) {
        double xy[2], dist;
        cr_assert(geo_shape_contains(&s, (double)scores[k], xy, &dist));
        cr_expect_lt(dist, 200000);
        bool found = false;
        for (size_t i = 0; i < 9; i++) {
            uint64_t min, max;
            if (boxes[i]->bits == 0 && boxes[i]->step == 0) continue;
            geohash_score_range(*boxes[i], &min, &max);
            found |= scores[k] >= min && scores[k] < max;
        }
        cr_expect(found, "point %zu", k);
    }
    /* SF is far outside */
    double xy[2], dist;
    cr_expect_not(geo_shape_contains(&s, 1367859919124605.0, xy, &dist));
}

Test(geohash, box_shape_tests_each_axis)
{
    /* 400 km wide, 100 km high around (15, 37.5): Catania (15.09, 37.50)
     * is in, Palermo (13.36, 38.12) is 145 km west and 68 km north: out. */
    struct geo_shape s = {.type = GEO_SHAPE_BOX, .xy = {15, 37.5}, .conversion = 1000, .width = 400, .height = 100};
    double xy[2], dist;
    cr_expect(geo_shape_contains(&s, 3479447370796909.0, xy, &dist));
    cr_expect_not(geo_shape_contains(&s, 3479099956230698.0, xy, &dist));
    s.height = 200;
    cr_expect(geo_shape_contains(&s, 3479099956230698.0, xy, &dist));
    s.width = 200;
    cr_expect_not(geo_shape_contains(&s, 3479099956230698.0, xy, &dist));
}

Test(geohash, bounds_widen_towards_the_equator)
{
    struct geo_shape n = {.type = GEO_SHAPE_CIRCLE, .xy = {0, 60}, .conversion = 1, .radius = 100000};
    double b[4];
    geo_shape_bounds(&n, b);
    /* north of the equator the top edge spans more degrees: its delta is used */
    double lat_delta = 100000 / GEO_EARTH_RADIUS_M * 180 / M_PI;
    cr_expect_float_eq(b[1], 60 - lat_delta, 1e-9);
    cr_expect_float_eq(b[3], 60 + lat_delta, 1e-9);
    double top = 100000 / GEO_EARTH_RADIUS_M / cos((60 + lat_delta) * M_PI / 180) * 180 / M_PI;
    cr_expect_float_eq(b[2], top, 1e-9);
}

Test(geohash, any_score_decodes_as_redis_does)
{
    /* ZADD z -1 a inf b -inf c, then GEOPOS z a b c on redis-server */
    const double scores[] = {-1, INFINITY, -INFINITY, 1e300};
    const char *want[][2] = {{"180", "85.0511287799999991"},
                             {"-179.99999731779098511", "-85.05112751263942528"},
                             {"180", "-85.05112751263942528"},
                             {"-179.99999731779098511", "-85.05112751263942528"}};
    for (size_t i = 0; i < 4; i++) {
        double xy[2];
        char lon[64], lat[64];
        cr_assert(geo_score_decode(scores[i], xy));
        human(lon, sizeof(lon), xy[0]);
        human(lat, sizeof(lat), xy[1]);
        cr_expect_str_eq(lon, want[i][0], "score %g", scores[i]);
        cr_expect_str_eq(lat, want[i][1], "score %g", scores[i]);
    }
}
