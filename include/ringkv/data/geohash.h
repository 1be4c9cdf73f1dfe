/* geohash.h — the geo index's arithmetic, as Redis 7.0 does it, so that
 * scores, positions, distances and search results match redis-server bit
 * for bit.
 *
 * A position is stored as a sorted set score: a 52-bit geohash, the
 * longitude and latitude each cut into 26 bits (latitude in the even bits,
 * longitude in the odd ones), over the Web Mercator ranges lon -180..180,
 * lat -85.05112878..85.05112878. A search covers a shape (circle or box)
 * with the geohash box holding its centre at a resolution chosen from its
 * size, plus the 8 neighbouring boxes; each box is one score range of the
 * sorted set, and every member found there is tested against the shape.
 * Distances are haversine over Redis's earth radius, 6372797.560856 m.
 *
 * Pure functions; any thread.
 */
#ifndef RINGKV_GEOHASH_H
#define RINGKV_GEOHASH_H

#include <stdbool.h>
#include <stdint.h>

#define GEO_STEP_MAX 26 /* bits per coordinate: 52-bit scores */
#define GEO_LAT_MIN -85.05112878
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN -180.0
#define GEO_LONG_MAX 180.0
#define GEO_EARTH_RADIUS_M 6372797.560856
#define GEOHASH_STRING_LEN 11

/* A geohash of `step` bits per coordinate; {0, 0} is "no box". */
struct geohash {
    uint64_t bits;
    uint8_t step;
};

struct geo_range {
    double min, max;
};

/* The rectangle a geohash stands for. */
struct geo_area {
    struct geohash hash;
    struct geo_range lon, lat;
};

struct geo_neighbors {
    struct geohash north, south, east, west, north_east, north_west, south_east, south_west;
};

enum geo_shape_type { GEO_SHAPE_CIRCLE = 1, GEO_SHAPE_BOX = 2 };

/* What a search covers: sizes are in `conversion` units (meters per unit). */
struct geo_shape {
    enum geo_shape_type type;
    double xy[2];         /* centre: longitude, latitude */
    double conversion;    /* meters per unit: m 1, km 1000, ft 0.3048, mi 1609.34 */
    double radius;        /* circle */
    double width, height; /* box */
};

/* The boxes to scan for a shape: the centre's box and its neighbours,
 * those that cannot hold a match zeroed. */
struct geo_search_boxes {
    struct geohash hash;
    struct geo_neighbors neighbors;
    struct geo_area area;
};

/* Whether GEOADD & co. accept the pair (the storage ranges above). */
bool geo_lonlat_valid(double lon, double lat);

/* Encodes over the given ranges at `step` (1..32) bits per coordinate;
 * false outside the ranges or the storage limits. */
bool geohash_encode(const struct geo_range *lon_range, const struct geo_range *lat_range, double lon, double lat,
                    uint8_t step, struct geohash *out);
/* Over the storage ranges. */
bool geohash_encode_wgs84(double lon, double lat, uint8_t step, struct geohash *out);
/* The rectangle of a hash over the storage ranges; false for {0, 0}. */
bool geohash_decode_wgs84(struct geohash hash, struct geo_area *area);
/* The 8 boxes around a hash at the same step (wrapping at the edges). */
void geohash_neighbors(const struct geohash *hash, struct geo_neighbors *out);
/* The hash as a 52-bit score prefix: shifted left to fill 52 bits. */
uint64_t geohash_align52(struct geohash hash);

/* A member's position from its score: the centre of its 52-bit box, kept
 * inside the storage ranges. False if the score decodes to nothing. */
bool geo_score_decode(double score, double xy[2]);
/* The score GEOADD stores for a valid pair. */
uint64_t geo_score_encode(double lon, double lat);
/* GEOHASH's text: the position re-encoded over lat -90..90 (the standard
 * geohash), 10 base32 characters of its 52 bits and a final '0'; out gets
 * GEOHASH_STRING_LEN characters and a NUL. */
void geo_hash_string(const double xy[2], char out[GEOHASH_STRING_LEN + 1]);

/* Great-circle distance in meters (haversine). */
double geo_distance(double lon1, double lat1, double lon2, double lat2);
/* Distance along a meridian in meters. */
double geo_lat_distance(double lat1, double lat2);

/* Redis's step estimate: the coarsest step whose box still holds a
 * circle of that radius, a step or two coarser near the poles. */
uint8_t geohash_steps_for_radius(double range_meters, double lat);
/* Bounding box of the shape: min lon, min lat, max lon, max lat. */
void geo_shape_bounds(const struct geo_shape *shape, double bounds[4]);
/* The boxes a search of the shape scans. */
struct geo_search_boxes geo_search_boxes_for(const struct geo_shape *shape);
/* Whether the member with this score lies in the shape; *xy gets its
 * position and *dist its distance in meters from the centre. */
bool geo_shape_contains(const struct geo_shape *shape, double score, double xy[2], double *dist);
/* The score range [*min, *max) holding every member of a box. */
void geohash_score_range(struct geohash hash, uint64_t *min, uint64_t *max);

#endif
