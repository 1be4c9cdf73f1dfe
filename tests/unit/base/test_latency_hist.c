/* The latency histogram: buckets within 1/32 of their values, exact
 * small values, percentiles at the upper end of the bucket reaching them. */
#include <criterion/criterion.h>
#include "ringkv/base/latency_hist.h"

#include <string.h>

Test(latency_hist, buckets_hold_their_values)
{
    for (uint64_t v = 0; v < 100000; v += 1 + v / 50) {
        unsigned b = latency_hist_bucket(v);
        uint64_t max = latency_hist_bucket_max(b);
        cr_assert_geq(max, v, "bucket %u of %llu ends at %llu", b, (unsigned long long)v, (unsigned long long)max);
        cr_assert_leq((double)(max - v), (double)v / 32 + 1, "bucket %u too wide for %llu", b, (unsigned long long)v);
        if (b > 0) cr_assert_lt(latency_hist_bucket_max(b - 1), v);
    }
    for (uint64_t v = 0; v < 32; v++) cr_assert_eq(latency_hist_bucket_max(latency_hist_bucket(v)), v);
    cr_assert_eq(latency_hist_bucket(UINT64_MAX), LATENCY_HIST_BUCKETS - 1);
}

Test(latency_hist, percentiles)
{
    static struct latency_hist h;
    memset(&h, 0, sizeof h);
    cr_assert_eq(latency_hist_percentile(&h, 50), 0);
    for (uint64_t v = 1; v <= 1000; v++) latency_hist_add(&h, v * 1000); /* 1 us .. 1 ms */
    uint64_t p50 = latency_hist_percentile(&h, 50), p99 = latency_hist_percentile(&h, 99),
             p100 = latency_hist_percentile(&h, 100);
    cr_assert(p50 >= 500000 && p50 <= 500000 + 500000 / 16, "p50 %llu", (unsigned long long)p50);
    cr_assert(p99 >= 990000 && p99 <= 990000 + 990000 / 16, "p99 %llu", (unsigned long long)p99);
    cr_assert_geq(p100, 1000000);
    cr_assert_eq(latency_hist_percentile(&h, 0), latency_hist_bucket_max(latency_hist_bucket(1000)));
}
