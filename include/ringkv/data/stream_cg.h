/* stream_cg.h — a stream's consumer groups (XGROUP, XREADGROUP, XACK,
 * XPENDING, XCLAIM, ...), as Redis 7.0 keeps them.
 *
 * A group has a last delivered ID, an entries-read counter (for the lag),
 * a pending entries list (PEL: one NACK per entry delivered and not yet
 * acknowledged, with its delivery time, delivery count and owner) and its
 * consumers, each with the PEL of the NACKs it owns. Every NACK is in its
 * group's PEL and its owner's. Groups and consumers are kept in name
 * order (byte order, a prefix first: Redis's radix tree order), PELs in
 * ID order, all as sorted arrays searched by bisection: delivering new
 * entries appends; acknowledging or claiming in the middle moves the
 * pointers after it (a memmove, where Redis's tree is O(log n)).
 *
 * Single-threaded: the stream's shard.
 */
#ifndef RINGKV_STREAM_CG_H
#define RINGKV_STREAM_CG_H

#include "ringkv/data/stream.h"

#define STREAM_ENTRIES_READ_INVALID (-1LL) /* Redis's SCG_INVALID_ENTRIES_READ */

struct stream_consumer;

struct stream_nack {
    struct stream_id id;
    long long delivery_time; /* unix ms */
    uint64_t delivery_count;
    struct stream_consumer *consumer;
};

/* NACKs in ID order. */
struct stream_pel {
    struct stream_nack **v;
    size_t n, cap;
};

struct stream_consumer {
    long long seen_time;
    struct stream_pel pel; /* the NACKs it owns (the group's PEL owns their memory) */
    size_t nlen;
    char name[];
};

struct stream_group {
    struct stream_id last_id;
    long long entries_read;
    struct stream_pel pel;
    struct stream_consumer **consumers; /* name order */
    size_t nconsumers, ccap;
    size_t nlen;
    char name[];
};

/* Groups (name order): the stream's. */
struct stream_groups {
    struct stream_group **v;
    size_t n, cap;
};

/* ---- PELs ---- */
/* Index of the first NACK with an ID >= id (n if none). */
size_t stream_pel_seek(const struct stream_pel *p, const struct stream_id *id);
struct stream_nack *stream_pel_find(const struct stream_pel *p, const struct stream_id *id);

/* ---- groups ---- */
struct stream_group *stream_group_find(const struct stream *s, const char *name, size_t len);
/* A new group; NULL if the name is taken. */
struct stream_group *stream_group_create(struct stream *s, const char *name, size_t len,
                                         const struct stream_id *last_id, long long entries_read);
void stream_group_destroy(struct stream *s, struct stream_group *g);

/* ---- consumers ---- */
struct stream_consumer *stream_consumer_find(const struct stream_group *g, const char *name, size_t len);
/* A new consumer seen now; NULL if the name is taken. */
struct stream_consumer *stream_consumer_create(struct stream_group *g, const char *name, size_t len, long long now);
/* Found (its seen time refreshed) or created. */
struct stream_consumer *stream_consumer_get(struct stream_group *g, const char *name, size_t len, long long now);
/* Deletes the consumer and its NACKs; returns how many it had. */
size_t stream_consumer_delete(struct stream_group *g, struct stream_consumer *c);

/* ---- NACKs ---- */
/* XREADGROUP delivered id to c: a new NACK, or the group's existing one
 * moved to c with its count reset to 1 (after XGROUP SETID went back). */
void stream_group_deliver(struct stream_group *g, struct stream_consumer *c, const struct stream_id *id,
                          long long now);
/* A new NACK owned by nobody yet (XCLAIM FORCE): stream_nack_assign it. */
struct stream_nack *stream_group_add_nack(struct stream_group *g, const struct stream_id *id, long long now);
/* Moves nack to consumer c's PEL. */
void stream_nack_assign(struct stream_nack *nack, struct stream_consumer *c);
/* Removes the NACK for id from the group and its owner; false if none. */
bool stream_group_ack(struct stream_group *g, const struct stream_id *id);

/* ---- counters (Redis 7.0's lag rules) ---- */
/* Whether a deleted entry may lie in [start, end] (NULL: open end). */
bool stream_range_has_tombstones(const struct stream *s, const struct stream_id *start, const struct stream_id *end);
/* The entries-read value of id (its distance from the first entry ever
 * added), or STREAM_ENTRIES_READ_INVALID when it cannot be known. */
long long stream_estimate_distance(const struct stream *s, const struct stream_id *id);
/* The group's lag; false when it cannot be known (a null reply). */
bool stream_group_lag(const struct stream *s, const struct stream_group *g, long long *lag);
/* XREADGROUP read entry id past the group's last ID: the counter and the
 * last ID move on. */
void stream_group_advance(const struct stream *s, struct stream_group *g, const struct stream_id *id);

/* ---- the value's lifecycle (stream.c) ---- */
void stream_groups_free(struct stream_groups *gs);
struct stream_groups *stream_groups_dup(const struct stream_groups *gs);
size_t stream_groups_bytes(const struct stream_groups *gs);

#endif
