/* test_latency_monitor.c — the latency monitor's series: one sample a
 * second (the worst), a ring of LATENCY_TS_LEN, the all-time worst, the
 * merge of several shards' dumps in time order, RESET, and GRAPH's
 * drawing checked against redis-server 7.0's for the same samples. */
#include <criterion/criterion.h>
#include "ringkv/base/latency_monitor.h"

#include <string.h>

Test(latency_monitor, one_sample_a_second_and_the_worst_ever)
{
    struct latency_monitor m;
    latency_monitor_init(&m);
    latency_monitor_add(&m, "command", 1000, 30);
    latency_monitor_add(&m, "command", 1000, 50); /* same second: the worse stays */
    latency_monitor_add(&m, "command", 1000, 40);
    latency_monitor_add(&m, "command", 1001, 20);
    latency_monitor_add(&m, "expire-cycle", 1001, 7);
    cr_assert_eq(m.n, 2);
    const struct latency_series *ts = latency_monitor_find(&m, "command", 7);
    cr_assert_not_null(ts);
    cr_expect_eq(ts->max, 50);
    cr_expect_eq(ts->samples[0].time, 1000);
    cr_expect_eq(ts->samples[0].latency, 50);
    cr_expect_eq(ts->samples[1].latency, 20);
    cr_expect_eq(ts->idx, 2);

    /* The ring keeps the newest LATENCY_TS_LEN; the worst ever stays. */
    for (int i = 0; i < LATENCY_TS_LEN + 5; i++) latency_monitor_add(&m, "command", 2000 + i, 10);
    struct latency_stats st;
    latency_series_stats(ts, 2000 + LATENCY_TS_LEN + 10, &st);
    cr_expect_eq(st.samples, LATENCY_TS_LEN);
    cr_expect_eq(st.avg, 10);
    cr_expect_eq(st.mad, 0);
    cr_expect_eq(st.all_time_high, 50);
    cr_expect_eq(st.period, LATENCY_TS_LEN + 5, "since the oldest kept: %lld", st.period);

    const char *names[] = {"nope", "expire-cycle"};
    size_t lens[] = {4, 12};
    cr_expect_eq(latency_monitor_reset(&m, names, lens, 2, NULL), 1);
    cr_expect_null(latency_monitor_find(&m, "expire-cycle", 12));
    cr_expect_eq(latency_monitor_reset(&m, NULL, NULL, 0, NULL), 1);
    cr_expect_eq(m.n, 0);
    latency_monitor_free(&m);
}

Test(latency_monitor, dumps_merge_in_time_order_worst_per_second)
{
    struct latency_monitor a, b, merged;
    latency_monitor_init(&a);
    latency_monitor_init(&b);
    latency_monitor_init(&merged);
    latency_monitor_add(&a, "command", 100, 30);
    latency_monitor_add(&a, "command", 103, 10);
    latency_monitor_add(&b, "command", 101, 90);
    latency_monitor_add(&b, "command", 103, 25);
    latency_monitor_add(&b, "fast-command", 102, 5);
    struct obuf out;
    obuf_init(&out);
    latency_monitor_dump(&a, NULL, 0, &out);
    latency_monitor_merge_dump(&merged, out.data, out.len);
    out.len = 0;
    latency_monitor_dump(&b, NULL, 0, &out);
    latency_monitor_merge_dump(&merged, out.data, out.len);

    const struct latency_series *ts = latency_monitor_find(&merged, "command", 7);
    cr_assert_not_null(ts);
    cr_expect_eq(ts->max, 90);
    long long times[] = {100, 101, 103};
    uint32_t lat[] = {30, 90, 25};
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(ts->samples[i].time, times[i]);
        cr_expect_eq(ts->samples[i].latency, lat[i]);
    }
    cr_expect_eq(ts->samples[3].time, 0);
    cr_expect_not_null(latency_monitor_find(&merged, "fast-command", 12));

    /* One event's dump holds that event only. */
    out.len = 0;
    latency_monitor_dump(&b, "fast-command", 12, &out);
    cr_expect(out.len > 0 && memcmp(out.data, "fast-command 5 102:5\n", out.len) == 0, "%.*s", (int)out.len,
              out.data);
    obuf_free(&out);
    latency_monitor_free(&a);
    latency_monitor_free(&b);
    latency_monitor_free(&merged);
}

Test(latency_monitor, graph_as_redis_draws_it)
{
    struct latency_monitor m;
    latency_monitor_init(&m);
    latency_monitor_add(&m, "command", 5000, 290);
    latency_monitor_add(&m, "command", 5001, 83);
    struct obuf out;
    obuf_init(&out);
    latency_monitor_graph(latency_monitor_find(&m, "command", 7), 5001, &out);
    /* redis-server 7.0 for the same two samples, 1 s and 0 s ago. */
    const char *want = "command - high 290 ms, low 83 ms (all time high 290 ms)\n"
                       "--------------------------------------------------------------------------------\n"
                       "# \n| \n| \n|_\n  \n10\nss\n";
    cr_expect(out.len == strlen(want) && memcmp(out.data, want, out.len) == 0, "got:\n%.*s", (int)out.len, out.data);
    obuf_free(&out);
    latency_monitor_free(&m);
}
