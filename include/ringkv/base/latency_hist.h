/* latency_hist.h — a histogram of command latencies (INFO latencystats),
 * log-linear in nanoseconds: exact below 32 ns, then 32 buckets per
 * power of two (values within 1/32, about 3%, of each other share one),
 * up to about 34 s (longer ones count in the last bucket). Redis keeps
 * an HDR histogram with 2 significant digits; percentiles read here are
 * the upper end of the bucket holding them, as HDR reports its highest
 * equivalent value.
 * Single-threaded: the owning shard (or a merged copy).
 */
#ifndef RINGKV_LATENCY_HIST_H
#define RINGKV_LATENCY_HIST_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_HIST_SUB 32
#define LATENCY_HIST_BUCKETS (LATENCY_HIST_SUB + 31 * LATENCY_HIST_SUB)

struct latency_hist {
    uint64_t total;
    uint32_t count[LATENCY_HIST_BUCKETS];
};

static inline unsigned latency_hist_bucket(uint64_t ns)
{
    if (ns < LATENCY_HIST_SUB) return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* >= 5 */
    unsigned b = LATENCY_HIST_SUB + (e - 5) * LATENCY_HIST_SUB + (unsigned)((ns >> (e - 5)) & (LATENCY_HIST_SUB - 1));
    return b < LATENCY_HIST_BUCKETS ? b : LATENCY_HIST_BUCKETS - 1;
}

static inline void latency_hist_add(struct latency_hist *h, uint64_t ns)
{
    h->count[latency_hist_bucket(ns)]++;
    h->total++;
}

/* The largest value a bucket holds. */
uint64_t latency_hist_bucket_max(unsigned b);
/* The value below which `percentile` (0..100) of the samples lie: the
 * upper end of the bucket reaching it; 0 when empty. */
uint64_t latency_hist_percentile(const struct latency_hist *h, double percentile);

#endif
