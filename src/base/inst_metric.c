/* inst_metric.c — instantaneous rates; see inst_metric.h. */
#include "ringkv/base/inst_metric.h"

void inst_metric_sample(struct inst_metric *m, long long now_ms, uint64_t value)
{
    long long dt = now_ms - m->last_ms;
    if (m->last_ms && dt > 0) {
        uint64_t delta = value >= m->last_value ? value - m->last_value : value;
        m->samples[m->next] = delta * 1000 / (uint64_t)dt;
        m->next = (m->next + 1) % INST_METRIC_SAMPLES;
    }
    if (dt > 0 || !m->last_ms) {
        m->last_ms = now_ms;
        m->last_value = value;
    }
}

uint64_t inst_metric_rate(const struct inst_metric *m)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < INST_METRIC_SAMPLES; i++) sum += m->samples[i];
    return sum / INST_METRIC_SAMPLES;
}
