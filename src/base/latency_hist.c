/* latency_hist.c — see latency_hist.h. */
#include "ringkv/base/latency_hist.h"

uint64_t latency_hist_bucket_max(unsigned b)
{
    if (b < LATENCY_HIST_SUB) return b;
    unsigned e = (b - LATENCY_HIST_SUB) / LATENCY_HIST_SUB + 5, sub = (b - LATENCY_HIST_SUB) % LATENCY_HIST_SUB;
    uint64_t low = (uint64_t)(LATENCY_HIST_SUB + sub) << (e - 5);
    return low + ((uint64_t)1 << (e - 5)) - 1;
}

uint64_t latency_hist_percentile(const struct latency_hist *h, double percentile)
{
    if (h->total == 0) return 0;
    if (percentile > 100) percentile = 100;
    /* HDR's rule: the count to reach, at least one sample. */
    uint64_t want = (uint64_t)((percentile / 100.0) * (double)h->total + 0.5);
    if (want == 0) want = 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < LATENCY_HIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= want) return latency_hist_bucket_max(b);
    }
    return latency_hist_bucket_max(LATENCY_HIST_BUCKETS - 1);
}
