/* t_geo.h — what the geo command files share (t_geo.c: GEOADD, GEOPOS,
 * GEOHASH, GEODIST; t_geosearch.c: GEORADIUS & co., GEOSEARCH,
 * GEOSEARCHSTORE): argument parsing and the reply formats of positions
 * and distances, with Redis 7.0's errors. Positions live in sorted sets
 * (data/zset.h) as 52-bit geohash scores (data/geohash.h). */
#ifndef RINGKV_T_GEO_H
#define RINGKV_T_GEO_H

#include "ringkv/cmd/commands.h"

#include <stdbool.h>
#include <stddef.h>

/* argv[i], argv[i+1] as a valid longitude, latitude pair into xy, or a
 * reply with Redis's error ("ERR invalid longitude,latitude pair ..."). */
bool geo_lonlat_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, double xy[2]);
/* A unit's meters (m, km, ft, mi, any case), or -1 after the error. */
double geo_unit_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i);
/* A float argument, or false after "ERR <msg>" (RK_ERR_NOT_FLOAT when
 * msg is NULL). */
bool geo_double_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, const char *msg, double *out);

/* A distance: a bulk string with 4 decimals, in RESP3 too. */
void geo_reply_distance(struct reply *r, double d);
/* A position: [lon, lat], each printed as Redis's human long double
 * (a bulk in RESP2, a ',' double in RESP3). */
void geo_reply_position(struct reply *r, const double xy[2]);

#endif
