/* t_zset.h — what the sorted set command files share (t_zset.c,
 * t_zpop.c, t_geo.c): replying members, ZADD, and their command table
 * entries. */
#ifndef RINGKV_T_ZSET_H
#define RINGKV_T_ZSET_H

#include "ringkv/cmd/commands.h"
#include "ringkv/data/zset.h"

#include <stdbool.h>

void zset_reply_member(struct reply *r, const struct zset_elem *e);
/* A member with its score: [m, s] in RESP3 when nested, else m s. */
void zset_reply_pair(struct reply *r, const struct zset_elem *e, bool nested);
/* ZADD's handler: GEOADD runs it on its arguments rewritten to ZADD's
 * (key [NX|XX] [CH] score member ...), as Redis's geoaddCommand does. */
void zadd_command(struct cmd_ctx *c, const struct cmd_args *a);

/* A sorted set command whose keys a (first, last, 1) triple describes. */
#define ZSET_CMD(name_, arity_, flags_, fn_, first_, last_, summary_, since_, acl_, ...)                 \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = first_, .last_key = last_, .key_step = 1, \
     .fn = fn_, .group = "sorted-set", .summary = summary_, .since = since_, .acl_categories = acl_, __VA_ARGS__}

#endif
