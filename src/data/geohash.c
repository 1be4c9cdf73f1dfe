/* geohash.c — geohash encoding, neighbours, distances and the search
 * boxes of a shape, with Redis 7.0's numbers and its order of floating
 * point operations (geohash.c, geohash_helper.c), so results match. */
#include "ringkv/data/geohash.h"

#include <math.h>
#include <stddef.h>

#define DEG_RAD (M_PI / 180.0)
/* Half the Web Mercator world's width in meters: the step estimate's unit. */
#define MERCATOR_MAX 20037726.37

#define EVEN_BITS 0x5555555555555555ULL /* latitude's lane */
#define ODD_BITS 0xaaaaaaaaaaaaaaaaULL  /* longitude's lane */

static const struct geo_range storage_lon = {GEO_LONG_MIN, GEO_LONG_MAX};
static const struct geo_range storage_lat = {GEO_LAT_MIN, GEO_LAT_MAX};

static inline double deg_to_rad(double deg) { return deg * DEG_RAD; }
static inline double rad_to_deg(double rad) { return rad / DEG_RAD; }

bool geo_lonlat_valid(double lon, double lat)
{
    return lon >= GEO_LONG_MIN && lon <= GEO_LONG_MAX && lat >= GEO_LAT_MIN && lat <= GEO_LAT_MAX;
}

/* Bit i of v moves to bit 2i. */
static uint64_t spread_bits(uint32_t v)
{
    uint64_t x = v;
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & EVEN_BITS;
    return x;
}

/* The inverse: bit 2i of x moves to bit i. */
static uint32_t squash_bits(uint64_t x)
{
    x &= EVEN_BITS;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return (uint32_t)x;
}

bool geohash_encode(const struct geo_range *lon_range, const struct geo_range *lat_range, double lon, double lat,
                    uint8_t step, struct geohash *out)
{
    if (step == 0 || step > 32) return false;
    if (!geo_lonlat_valid(lon, lat)) return false;
    if (lat < lat_range->min || lat > lat_range->max || lon < lon_range->min || lon > lon_range->max) return false;
    double lat_offset = (lat - lat_range->min) / (lat_range->max - lat_range->min);
    double lon_offset = (lon - lon_range->min) / (lon_range->max - lon_range->min);
    /* Fixed point at `step` bits; an offset of exactly 1 keeps its carry
     * bit (a coordinate at the range's top), as Redis does. */
    lat_offset *= (double)(1ULL << step);
    lon_offset *= (double)(1ULL << step);
    out->bits = spread_bits((uint32_t)lat_offset) | (spread_bits((uint32_t)lon_offset) << 1);
    out->step = step;
    return true;
}

bool geohash_encode_wgs84(double lon, double lat, uint8_t step, struct geohash *out)
{
    return geohash_encode(&storage_lon, &storage_lat, lon, lat, step, out);
}

bool geohash_decode_wgs84(struct geohash hash, struct geo_area *area)
{
    if (hash.bits == 0 && hash.step == 0) return false;
    double cells = (double)(1ULL << hash.step);
    uint32_t ilat = squash_bits(hash.bits), ilon = squash_bits(hash.bits >> 1);
    double lat_scale = storage_lat.max - storage_lat.min, lon_scale = storage_lon.max - storage_lon.min;
    area->hash = hash;
    area->lat.min = storage_lat.min + (ilat * 1.0 / cells) * lat_scale;
    area->lat.max = storage_lat.min + ((uint32_t)(ilat + 1) * 1.0 / cells) * lat_scale;
    area->lon.min = storage_lon.min + (ilon * 1.0 / cells) * lon_scale;
    area->lon.max = storage_lon.min + ((uint32_t)(ilon + 1) * 1.0 / cells) * lon_scale;
    return true;
}

static double clamp(double v, double lo, double hi) { return v > hi ? hi : v < lo ? lo : v; }

/* (uint64_t)score as x86-64 computes it, where Redis runs, without the
 * undefined behaviour outside 0..2^64 (any sorted set score reaches here:
 * -1 gives all ones, -inf and NaN the top bit, 2^64 and more 0). */
static uint64_t score_bits(double score)
{
    const double two63 = 9223372036854775808.0;
    const uint64_t top = 0x8000000000000000ULL;
    if (!(score >= two63)) return score >= -two63 ? (uint64_t)(int64_t)score : top;
    double rest = score - two63;
    return (rest < two63 ? (uint64_t)(int64_t)rest : top) ^ top;
}

bool geo_score_decode(double score, double xy[2])
{
    struct geo_area area;
    struct geohash hash = {score_bits(score), GEO_STEP_MAX};
    if (!geohash_decode_wgs84(hash, &area)) return false;
    xy[0] = clamp((area.lon.min + area.lon.max) / 2, GEO_LONG_MIN, GEO_LONG_MAX);
    xy[1] = clamp((area.lat.min + area.lat.max) / 2, GEO_LAT_MIN, GEO_LAT_MAX);
    return true;
}

uint64_t geohash_align52(struct geohash hash) { return hash.bits << (52 - hash.step * 2); }

uint64_t geo_score_encode(double lon, double lat)
{
    struct geohash hash = {0, 0};
    geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &hash);
    return geohash_align52(hash);
}

void geo_hash_string(const double xy[2], char out[GEOHASH_STRING_LEN + 1])
{
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    static const struct geo_range lon = {-180, 180}, lat = {-90, 90};
    struct geohash hash = {0, 0};
    geohash_encode(&lon, &lat, xy[0], xy[1], GEO_STEP_MAX, &hash);
    /* 52 bits make 10 characters and 2 bits; the 11th is '0' as in Redis. */
    for (int i = 0; i < GEOHASH_STRING_LEN - 1; i++) out[i] = alphabet[(hash.bits >> (52 - (i + 1) * 5)) & 0x1f];
    out[GEOHASH_STRING_LEN - 1] = alphabet[0];
    out[GEOHASH_STRING_LEN] = '\0';
}

/* One step along a lane (ODD_BITS: east/west, EVEN_BITS: north/south),
 * wrapping around: the other lane's bits are filled so a carry or borrow
 * crosses them. */
static void move_in_lane(struct geohash *h, uint64_t lane, int d)
{
    if (d == 0) return;
    uint64_t in_range = ~0ULL >> (64 - h->step * 2);
    uint64_t mine = h->bits & lane, other = h->bits & ~lane;
    mine = d > 0 ? (mine | (~lane & in_range)) + 1 : mine - 1;
    h->bits = (mine & lane & in_range) | other;
}

static struct geohash moved(const struct geohash *h, int dx, int dy)
{
    struct geohash n = *h;
    move_in_lane(&n, ODD_BITS, dx);
    move_in_lane(&n, EVEN_BITS, dy);
    return n;
}

void geohash_neighbors(const struct geohash *hash, struct geo_neighbors *out)
{
    out->east = moved(hash, 1, 0);
    out->west = moved(hash, -1, 0);
    out->south = moved(hash, 0, -1);
    out->north = moved(hash, 0, 1);
    out->north_west = moved(hash, -1, 1);
    out->north_east = moved(hash, 1, 1);
    out->south_east = moved(hash, 1, -1);
    out->south_west = moved(hash, -1, -1);
}

double geo_lat_distance(double lat1, double lat2)
{
    return GEO_EARTH_RADIUS_M * fabs(deg_to_rad(lat2) - deg_to_rad(lat1));
}

double geo_distance(double lon1, double lat1, double lon2, double lat2)
{
    double lon1r = deg_to_rad(lon1), lon2r = deg_to_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    /* Same meridian: the cheaper formula, as Redis (results differ in the
     * last bits, so this branch is part of matching it). */
    if (v == 0.0) return geo_lat_distance(lat1, lat2);
    double lat1r = deg_to_rad(lat1), lat2r = deg_to_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

uint8_t geohash_steps_for_radius(double range_meters, double lat)
{
    if (range_meters == 0) return 26;
    int step = 1;
    while (range_meters < MERCATOR_MAX) {
        range_meters *= 2;
        step++;
    }
    step -= 2; /* so that the range fits in most cases */
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > 26) step = 26;
    return (uint8_t)step;
}

void geo_shape_bounds(const struct geo_shape *shape, double bounds[4])
{
    double lon = shape->xy[0], lat = shape->xy[1];
    bool circle = shape->type == GEO_SHAPE_CIRCLE;
    double height = shape->conversion * (circle ? shape->radius : shape->height / 2);
    double width = shape->conversion * (circle ? shape->radius : shape->width / 2);
    double lat_delta = rad_to_deg(height / GEO_EARTH_RADIUS_M);
    double lon_delta_top = rad_to_deg(width / GEO_EARTH_RADIUS_M / cos(deg_to_rad(lat + lat_delta)));
    double lon_delta_bottom = rad_to_deg(width / GEO_EARTH_RADIUS_M / cos(deg_to_rad(lat - lat_delta)));
    /* A degree of longitude is longer nearer the equator: the box's width
     * comes from its edge nearer the pole, where the circle spans more
     * degrees (the southern edge south of the equator). */
    double lon_delta = lat < 0 ? lon_delta_bottom : lon_delta_top;
    bounds[0] = lon - lon_delta;
    bounds[1] = lat - lat_delta;
    bounds[2] = lon + lon_delta;
    bounds[3] = lat + lat_delta;
}

static double shape_radius_meters(const struct geo_shape *shape)
{
    if (shape->type == GEO_SHAPE_CIRCLE) return shape->radius * shape->conversion;
    double hw = shape->width / 2, hh = shape->height / 2;
    return sqrt(hw * hw + hh * hh) * shape->conversion;
}

static void boxes_at(const struct geo_shape *shape, uint8_t steps, struct geo_search_boxes *b)
{
    geohash_encode_wgs84(shape->xy[0], shape->xy[1], steps, &b->hash);
    geohash_neighbors(&b->hash, &b->neighbors);
    geohash_decode_wgs84(b->hash, &b->area);
}

/* Whether the neighbours at this step reach past the bounds: if not, the
 * step is too fine near an edge of the centre's box. */
static bool neighbors_cover(const struct geo_neighbors *n, const double bounds[4])
{
    struct geo_area north, south, east, west;
    geohash_decode_wgs84(n->north, &north);
    geohash_decode_wgs84(n->south, &south);
    geohash_decode_wgs84(n->east, &east);
    geohash_decode_wgs84(n->west, &west);
    return !(north.lat.max < bounds[3] || south.lat.min > bounds[1] || east.lon.max < bounds[2] ||
             west.lon.min > bounds[0]);
}

static void drop(struct geohash *a, struct geohash *b, struct geohash *c)
{
    *a = *b = *c = (struct geohash){0, 0};
}

struct geo_search_boxes geo_search_boxes_for(const struct geo_shape *shape)
{
    double bounds[4];
    struct geo_search_boxes b;
    geo_shape_bounds(shape, bounds);
    uint8_t steps = geohash_steps_for_radius(shape_radius_meters(shape), shape->xy[1]);
    boxes_at(shape, steps, &b);
    if (steps > 1 && !neighbors_cover(&b.neighbors, bounds)) boxes_at(shape, --steps, &b);
    if (steps >= 2) {
        struct geo_neighbors *n = &b.neighbors;
        if (b.area.lat.min < bounds[1]) drop(&n->south, &n->south_west, &n->south_east);
        if (b.area.lat.max > bounds[3]) drop(&n->north, &n->north_east, &n->north_west);
        if (b.area.lon.min < bounds[0]) drop(&n->west, &n->south_west, &n->north_west);
        if (b.area.lon.max > bounds[2]) drop(&n->east, &n->south_east, &n->north_east);
    }
    return b;
}

void geohash_score_range(struct geohash hash, uint64_t *min, uint64_t *max)
{
    *min = geohash_align52(hash);
    hash.bits++;
    *max = geohash_align52(hash);
}

static bool within_box(const struct geo_shape *shape, const double xy[2], double *dist)
{
    double width_m = shape->width * shape->conversion, height_m = shape->height * shape->conversion;
    /* the latitude test is the cheaper one */
    if (geo_lat_distance(xy[1], shape->xy[1]) > height_m / 2) return false;
    if (geo_distance(xy[0], xy[1], shape->xy[0], xy[1]) > width_m / 2) return false;
    *dist = geo_distance(shape->xy[0], shape->xy[1], xy[0], xy[1]);
    return true;
}

bool geo_shape_contains(const struct geo_shape *shape, double score, double xy[2], double *dist)
{
    if (!geo_score_decode(score, xy)) return false;
    if (shape->type == GEO_SHAPE_BOX) return within_box(shape, xy, dist);
    *dist = geo_distance(shape->xy[0], shape->xy[1], xy[0], xy[1]);
    return *dist <= shape->radius * shape->conversion;
}
