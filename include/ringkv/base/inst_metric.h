/* inst_metric.h — an instantaneous rate, as Redis's INFO reports
 * instantaneous_ops_per_sec and instantaneous_*_kbps: a counter sampled
 * periodically (every 100 ms in Redis), each sample the rate per second
 * since the previous one, and the rate the mean of the last 16 samples.
 * Thread: its owner's (a shard samples its own counters on its timer). */
#ifndef RINGKV_BASE_INST_METRIC_H
#define RINGKV_BASE_INST_METRIC_H

#include <stdint.h>

#define INST_METRIC_SAMPLES 16

struct inst_metric {
    long long last_ms;          /* 0: not sampled yet */
    uint64_t last_value;
    uint64_t samples[INST_METRIC_SAMPLES];
    unsigned next;
};

/* Records the counter's value at now_ms (a counter that went back, as
 * after CONFIG RESETSTAT, restarts the rate from it). */
void inst_metric_sample(struct inst_metric *m, long long now_ms, uint64_t value);
/* The mean rate per second over the samples. */
uint64_t inst_metric_rate(const struct inst_metric *m);

#endif
