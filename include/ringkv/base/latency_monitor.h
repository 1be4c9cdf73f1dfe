/* latency_monitor.h — Redis's latency monitor: for each event class
 * ("command", "fast-command", "expire-cycle", ...) the spikes that lasted
 * latency-monitor-threshold milliseconds or more, one sample per second
 * (the worst of that second), the last LATENCY_TS_LEN of them, and the
 * worst ever. LATENCY LATEST, HISTORY, GRAPH and DOCTOR read it.
 *
 * Each shard keeps its own monitor of what it ran. LATENCY merges them: a
 * shard dumps its series (latency_monitor_dump), the combining shard adds
 * every dump into an empty monitor (latency_monitor_merge_dump) and
 * answers from that, so the merged series holds the worst sample of each
 * second across shards.
 * Single-threaded: the owning shard, or the combining one's merged copy.
 */
#ifndef RINGKV_LATENCY_MONITOR_H
#define RINGKV_LATENCY_MONITOR_H

#include "ringkv/proto/reply.h"

#include <stddef.h>
#include <stdint.h>

#define LATENCY_TS_LEN 160        /* samples kept per event, as Redis */
#define LATENCY_EVENT_NAME_MAX 64

struct latency_sample {
    long long time;   /* unix seconds; 0: unused slot */
    uint32_t latency; /* milliseconds */
};

struct latency_series {
    char name[LATENCY_EVENT_NAME_MAX];
    struct latency_sample samples[LATENCY_TS_LEN]; /* a ring, oldest at idx */
    int idx;
    uint32_t max; /* the worst ever, kept beyond the ring */
};

struct latency_monitor {
    struct latency_series **series; /* in the order the events first occurred */
    size_t n, cap;
};

void latency_monitor_init(struct latency_monitor *m);
void latency_monitor_free(struct latency_monitor *m);
/* A spike of `ms` milliseconds at unix second `now`: within the same
 * second as the event's last sample, only the worst is kept. */
void latency_monitor_add(struct latency_monitor *m, const char *event, long long now, uint32_t ms);
/* Forgets the named events (all when n == 0); how many there were. Their
 * names go to `removed` (a line each) when it is not NULL. */
size_t latency_monitor_reset(struct latency_monitor *m, const char *const *events, const size_t *lens, int n,
                             struct obuf *removed);
const struct latency_series *latency_monitor_find(const struct latency_monitor *m, const char *event, size_t len);

/* This shard's series (only `event` when not NULL) as text lines:
 * "<name> <max> <time>:<latency> ...", oldest sample first. */
void latency_monitor_dump(const struct latency_monitor *m, const char *event, size_t len, struct obuf *out);
/* Adds a shard's dump into m (which merges shards' samples in time order). */
void latency_monitor_merge_dump(struct latency_monitor *m, const char *p, size_t len);

/* LATENCY LATEST: [event, time, latest ms, max ms] for each event. */
void latency_monitor_latest(const struct latency_monitor *m, struct reply *r);
/* LATENCY HISTORY: [time, ms] pairs, oldest first (empty for an unknown event). */
void latency_monitor_history(const struct latency_monitor *m, const char *event, size_t len, struct reply *r);
/* LATENCY GRAPH's ASCII sparkline of one series, as Redis draws it. */
void latency_monitor_graph(const struct latency_series *ts, long long now, struct obuf *out);

/* One event's statistics, as LATENCY DOCTOR reports them. */
struct latency_stats {
    uint32_t samples, avg, min, max, mad, all_time_high;
    long long period; /* seconds since the oldest sample (at least 1) */
};
void latency_series_stats(const struct latency_series *ts, long long now, struct latency_stats *st);

#endif
