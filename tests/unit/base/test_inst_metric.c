/* test_inst_metric.c — instantaneous rates as Redis computes them. */
#include "ringkv/base/inst_metric.h"

#include <criterion/criterion.h>

Test(inst_metric, steady_rate_after_sixteen_samples)
{
    struct inst_metric m = {0};
    uint64_t v = 0;
    inst_metric_sample(&m, 1000, v);
    cr_expect_eq(inst_metric_rate(&m), 0);
    for (int i = 1; i <= 8; i++) inst_metric_sample(&m, 1000 + 100 * i, v += 50); /* 500/s */
    cr_expect_eq(inst_metric_rate(&m), 250, "half the window filled: %llu", (unsigned long long)inst_metric_rate(&m));
    for (int i = 9; i <= 16; i++) inst_metric_sample(&m, 1000 + 100 * i, v += 50);
    cr_expect_eq(inst_metric_rate(&m), 500);
    for (int i = 17; i <= 32; i++) inst_metric_sample(&m, 1000 + 100 * i, v); /* idle */
    cr_expect_eq(inst_metric_rate(&m), 0);
}

Test(inst_metric, uneven_periods_and_reset_counter)
{
    struct inst_metric m = {0};
    inst_metric_sample(&m, 500, 100);
    inst_metric_sample(&m, 500, 900);  /* no time passed: ignored */
    inst_metric_sample(&m, 750, 200);  /* 100 in 250 ms */
    cr_expect_eq(m.samples[0], 400);
    inst_metric_sample(&m, 850, 30);   /* went back (RESETSTAT): counts from 0 */
    cr_expect_eq(m.samples[1], 300);
}
