/* latency_graph.c — LATENCY GRAPH's drawing (latency_monitor.h): a
 * sparkline of an event's samples, four rows high, a column per sample
 * and 80 columns a band, each column labelled vertically with how long ago
 * it happened ("12s", "3m", "2h", "1d"), as Redis draws it. */
#include "ringkv/base/latency_monitor.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define GRAPH_COLS 80
#define GRAPH_ROWS 4
#define LABEL_MARGIN_TOP 1

/* The levels of a row, lowest first, in the filled style; a column above
 * its row's levels is drawn '|'. */
static const char levels[] = "_o#";
#define NLEVELS 3

struct column {
    uint32_t value;
    char label[24];
};

static void age_label(long long elapsed, char *buf, size_t cap)
{
    if (elapsed < 60) snprintf(buf, cap, "%llds", elapsed);
    else if (elapsed < 3600) snprintf(buf, cap, "%lldm", elapsed / 60);
    else if (elapsed < 86400) snprintf(buf, cap, "%lldh", elapsed / 3600);
    else snprintf(buf, cap, "%lldd", elapsed / 86400);
}

/* The level (0 .. GRAPH_ROWS*NLEVELS-1) a value is drawn at. */
static int level_of(uint32_t value, uint32_t min, uint32_t max)
{
    double range = max - min ? (double)(max - min) : 1.0;
    int steps = GRAPH_ROWS * NLEVELS;
    int step = (int)((double)(int)((double)(value - min) * steps) / range);
    return step < 0 ? 0 : step >= steps ? steps - 1 : step;
}

static void draw_band(const struct column *cols, int n, uint32_t min, uint32_t max, struct obuf *out)
{
    char line[GRAPH_COLS + 1];
    for (int row = 0; row < GRAPH_ROWS; row++) {
        memset(line, ' ', (size_t)n);
        for (int j = 0; j < n; j++) {
            int idx = level_of(cols[j].value, min, max) - (GRAPH_ROWS - row - 1) * NLEVELS;
            if (idx >= 0 && idx < NLEVELS) line[j] = levels[idx];
            else if (idx >= NLEVELS) line[j] = '|';
        }
        line[n] = '\n';
        obuf_append(out, line, (size_t)n + 1);
    }
    /* A blank line, then the labels top to bottom, as long as any has a
     * character left. */
    for (int margin = 0; margin < LABEL_MARGIN_TOP; margin++) {
        memset(line, ' ', (size_t)n);
        line[n] = '\n';
        obuf_append(out, line, (size_t)n + 1);
    }
    for (size_t c = 0;; c++) {
        bool any = false;
        memset(line, ' ', (size_t)n);
        for (int j = 0; j < n; j++)
            if (strlen(cols[j].label) > c) {
                line[j] = cols[j].label[c];
                any = true;
            }
        if (!any) break;
        line[n] = '\n';
        obuf_append(out, line, (size_t)n + 1);
    }
}

void latency_monitor_graph(const struct latency_series *ts, long long now, struct obuf *out)
{
    struct column cols[LATENCY_TS_LEN];
    int n = 0;
    uint32_t min = 0, max = 0;
    for (int j = 0; j < LATENCY_TS_LEN; j++) {
        const struct latency_sample *s = &ts->samples[(ts->idx + j) % LATENCY_TS_LEN];
        if (!s->time) continue;
        if (n == 0 || s->latency > max) max = s->latency;
        if (n == 0 || s->latency < min) min = s->latency;
        cols[n].value = s->latency;
        age_label(now - s->time, cols[n].label, sizeof cols[n].label);
        n++;
    }
    char head[256];
    obuf_append(out, head,
                (size_t)snprintf(head, sizeof head, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n", ts->name,
                                 (unsigned long)max, (unsigned long)min, (unsigned long)ts->max));
    memset(head, '-', GRAPH_COLS);
    head[GRAPH_COLS] = '\n';
    obuf_append(out, head, GRAPH_COLS + 1);
    for (int j = 0; j < n; j += GRAPH_COLS) {
        if (j) obuf_append(out, "\n", 1);
        draw_band(cols + j, n - j < GRAPH_COLS ? n - j : GRAPH_COLS, min, max, out);
    }
}
