/* latency_monitor.c — see latency_monitor.h. */
#include "ringkv/base/latency_monitor.h"
#include "ringkv/base/alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void latency_monitor_init(struct latency_monitor *m) { *m = (struct latency_monitor){0}; }

void latency_monitor_free(struct latency_monitor *m)
{
    for (size_t i = 0; i < m->n; i++) rk_free(m->series[i]);
    rk_free(m->series);
    *m = (struct latency_monitor){0};
}

const struct latency_series *latency_monitor_find(const struct latency_monitor *m, const char *event, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (strlen(m->series[i]->name) == len && memcmp(m->series[i]->name, event, len) == 0) return m->series[i];
    return NULL;
}

static struct latency_series *series_for(struct latency_monitor *m, const char *event, size_t len)
{
    struct latency_series *ts = (struct latency_series *)latency_monitor_find(m, event, len);
    if (ts) return ts;
    if (len >= LATENCY_EVENT_NAME_MAX) return NULL; /* event names are ours, short */
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->series = rk_realloc(m->series, m->cap * sizeof *m->series);
    }
    ts = rk_calloc(1, sizeof *ts);
    memcpy(ts->name, event, len);
    m->series[m->n++] = ts;
    return ts;
}

static void series_add(struct latency_series *ts, long long now, uint32_t ms)
{
    if (ms > ts->max) ts->max = ms;
    struct latency_sample *prev = &ts->samples[(ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
    if (prev->time == now) {
        if (ms > prev->latency) prev->latency = ms;
        return;
    }
    ts->samples[ts->idx] = (struct latency_sample){now, ms};
    ts->idx = (ts->idx + 1) % LATENCY_TS_LEN;
}

void latency_monitor_add(struct latency_monitor *m, const char *event, long long now, uint32_t ms)
{
    struct latency_series *ts = series_for(m, event, strlen(event));
    if (ts) series_add(ts, now, ms);
}

size_t latency_monitor_reset(struct latency_monitor *m, const char *const *events, const size_t *lens, int n,
                             struct obuf *removed)
{
    size_t gone = 0, kept = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct latency_series *ts = m->series[i];
        bool named = n == 0;
        for (int k = 0; k < n && !named; k++)
            named = strlen(ts->name) == lens[k] && memcmp(ts->name, events[k], lens[k]) == 0;
        if (named) {
            if (removed) {
                obuf_append(removed, ts->name, strlen(ts->name));
                obuf_append(removed, "\n", 1);
            }
            rk_free(ts);
            gone++;
        } else {
            m->series[kept++] = ts;
        }
    }
    m->n = kept;
    return gone;
}

/* The samples in use, oldest first; returns how many. */
static int series_samples(const struct latency_series *ts, struct latency_sample *out)
{
    int n = 0;
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const struct latency_sample *s = &ts->samples[(ts->idx + j) % LATENCY_TS_LEN];
        if (s->time) out[n++] = *s;
    }
    return n;
}

void latency_monitor_dump(const struct latency_monitor *m, const char *event, size_t len, struct obuf *out)
{
    struct latency_sample samples[LATENCY_TS_LEN];
    char buf[64];
    for (size_t i = 0; i < m->n; i++) {
        const struct latency_series *ts = m->series[i];
        if (event && (strlen(ts->name) != len || memcmp(ts->name, event, len) != 0)) continue;
        obuf_append(out, buf, (size_t)snprintf(buf, sizeof buf, "%s %u", ts->name, ts->max));
        int n = series_samples(ts, samples);
        for (int k = 0; k < n; k++)
            obuf_append(out, buf, (size_t)snprintf(buf, sizeof buf, " %lld:%u", samples[k].time, samples[k].latency));
        obuf_append(out, "\n", 1);
    }
}

static int by_time(const void *a, const void *b)
{
    long long x = ((const struct latency_sample *)a)->time, y = ((const struct latency_sample *)b)->time;
    return x < y ? -1 : x > y;
}

/* Adds one dumped line's samples to ts, keeping time order: the samples
 * already there and the new ones are sorted together and replayed. */
static void merge_line(struct latency_series *ts, const char *p, const char *eol)
{
    struct latency_sample all[2 * LATENCY_TS_LEN];
    int n = series_samples(ts, all);
    char *end;
    unsigned long max = strtoul(p, &end, 10);
    if (max > ts->max) ts->max = (uint32_t)max;
    for (p = end; p < eol && *p == ' ' && n < 2 * LATENCY_TS_LEN;) {
        long long t = strtoll(p + 1, &end, 10);
        if (*end != ':') break;
        unsigned long ms = strtoul(end + 1, &end, 10);
        if (t > 0) all[n++] = (struct latency_sample){t, (uint32_t)ms};
        p = end;
    }
    qsort(all, (size_t)n, sizeof *all, by_time);
    uint32_t keep_max = ts->max;
    memset(ts->samples, 0, sizeof ts->samples);
    ts->idx = 0;
    for (int k = 0; k < n; k++) series_add(ts, all[k].time, all[k].latency);
    ts->max = keep_max;
}

void latency_monitor_merge_dump(struct latency_monitor *m, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        const char *sp = memchr(p, ' ', (size_t)(eol - p));
        if (sp) {
            struct latency_series *ts = series_for(m, p, (size_t)(sp - p));
            if (ts) merge_line(ts, sp + 1, eol);
        }
        p = eol + 1;
    }
}

void latency_monitor_latest(const struct latency_monitor *m, struct reply *r)
{
    reply_array(r, (long long)m->n);
    for (size_t i = 0; i < m->n; i++) {
        const struct latency_series *ts = m->series[i];
        const struct latency_sample *last = &ts->samples[(ts->idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
        reply_array(r, 4);
        reply_bulk_cstr(r, ts->name);
        reply_int(r, last->time);
        reply_int(r, last->latency);
        reply_int(r, ts->max);
    }
}

void latency_monitor_history(const struct latency_monitor *m, const char *event, size_t len, struct reply *r)
{
    const struct latency_series *ts = latency_monitor_find(m, event, len);
    struct latency_sample samples[LATENCY_TS_LEN];
    int n = ts ? series_samples(ts, samples) : 0;
    reply_array(r, n);
    for (int k = 0; k < n; k++) {
        reply_array(r, 2);
        reply_int(r, samples[k].time);
        reply_int(r, samples[k].latency);
    }
}

void latency_series_stats(const struct latency_series *ts, long long now, struct latency_stats *st)
{
    struct latency_sample samples[LATENCY_TS_LEN];
    int n = series_samples(ts, samples);
    *st = (struct latency_stats){.all_time_high = ts->max};
    if (!n) return;
    uint64_t sum = 0;
    long long oldest = samples[0].time;
    st->min = st->max = samples[0].latency;
    for (int k = 0; k < n; k++) {
        uint32_t l = samples[k].latency;
        if (l < st->min) st->min = l;
        if (l > st->max) st->max = l;
        if (samples[k].time < oldest) oldest = samples[k].time;
        sum += l;
    }
    st->samples = (uint32_t)n;
    st->avg = (uint32_t)(sum / (uint64_t)n);
    st->period = now - oldest > 0 ? now - oldest : 1;
    uint64_t dev = 0;
    for (int k = 0; k < n; k++) dev += (uint64_t)llabs((long long)st->avg - (long long)samples[k].latency);
    st->mad = (uint32_t)(dev / (uint64_t)n);
}
