/* slowlog.h — the commands that ran longer than slowlog-log-slower-than,
 * newest first, at most slowlog-max-len of them (Redis's SLOWLOG).
 *
 * Each shard keeps its own log of the commands it ran; entry ids come from
 * one server-wide counter, so SLOWLOG GET merges the shards' logs by id.
 * An entry keeps copies of at most SLOWLOG_MAX_ARGC arguments of at most
 * SLOWLOG_MAX_STRING bytes each, trimmed as Redis trims them ("... (N more
 * arguments)", "... (N more bytes)"), so a log's memory is bounded.
 * Single-threaded: the owning shard.
 */
#ifndef RINGKV_SLOWLOG_H
#define RINGKV_SLOWLOG_H

#include "ringkv/proto/reply.h"

#include <stddef.h>
#include <stdint.h>

#define SLOWLOG_MAX_ARGC 32
#define SLOWLOG_MAX_STRING 128

struct slowlog_entry {
    uint64_t id;
    long long time;        /* unix seconds */
    long long duration_us;
    int argc;
    char **argv;           /* NUL-terminated copies, trimmed */
    size_t *lens;
    char *addr, *name;     /* the client's "ip:port" and name ("" when unknown) */
};

struct slowlog {
    struct slowlog_entry *entries; /* ring, newest at head - 1 */
    size_t cap, len, head;
};

void slowlog_init(struct slowlog *sl);
void slowlog_free(struct slowlog *sl);
/* Adds an entry; the oldest ones go beyond max_len (0: none is kept). */
void slowlog_add(struct slowlog *sl, size_t max_len, uint64_t id, long long time, long long duration_us, int argc,
                 const char *const *argv, const size_t *lens, const char *addr, const char *name);
void slowlog_reset(struct slowlog *sl);
/* Drops the entries older than id min_id: with ids server-wide, the log
 * of all shards together keeps the newest slowlog-max-len. */
void slowlog_prune(struct slowlog *sl, uint64_t min_id);
static inline size_t slowlog_len(const struct slowlog *sl) { return sl->len; }
/* The newest `count` entries (-1: all) as SLOWLOG GET's array. */
void slowlog_reply(const struct slowlog *sl, long long count, struct reply *r);

#endif
