/* cmdstats.c — per-command and per-error statistics; see cmdstats.h.
 * Thread: the owning shard's (cmdstats_info_* work on a merged copy). */
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The TSC and CLOCK_MONOTONIC read at (nearly) the same moment: of a few
 * tries, the one where the TSC moved least across the monotonic read, so a
 * preemption in between does not skew the rate. */
static void clock_pair(uint64_t *ticks, long long *us)
{
    uint64_t best_gap = UINT64_MAX;
    *ticks = 0;
    *us = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = cmdstats_ticks_now();
        long long u = monotonic_us();
        uint64_t gap = cmdstats_ticks_now() - t0;
        if (gap < best_gap) {
            best_gap = gap;
            *ticks = t0 + gap / 2;
            *us = u;
        }
    }
}

struct cmdstats *cmdstats_create(void)
{
    struct cmdstats *cs = rk_calloc(1, sizeof(*cs));
    cs->ncmds = cmd_index_count();
    cs->per_cmd = rk_calloc(cs->ncmds ? cs->ncmds : 1, sizeof(*cs->per_cmd));
    clock_pair(&cs->base_ticks, &cs->base_us);
    return cs;
}

static void free_hists(struct cmdstats *cs)
{
    for (size_t i = 0; i < cs->ncmds; i++) {
        rk_free(cs->per_cmd[i].hist);
        cs->per_cmd[i].hist = NULL;
    }
}

void cmdstats_destroy(struct cmdstats *cs)
{
    if (!cs) return;
    free_hists(cs);
    rk_free(cs->per_cmd);
    rk_free(cs);
}

void cmdstats_track(struct cmd_stat *st, uint64_t ticks, uint64_t ns_per_tick_q32)
{
    if (!st->hist) st->hist = rk_calloc(1, sizeof(*st->hist));
    latency_hist_add(st->hist, (uint64_t)(((unsigned __int128)ticks * ns_per_tick_q32) >> 32));
}

void cmdstats_call_latency(struct cmdstats *cs, const struct cmd_def *cmd, uint64_t ticks)
{
    if (!cs->ns_per_tick_q32 || (int64_t)ticks <= 0) return;
    struct cmd_stat *st = cmdstats_lookup(cs, cmd);
    if (st) cmdstats_track(st, ticks, cs->ns_per_tick_q32);
}

void cmdstats_calibrate(struct cmdstats *cs, bool tracking)
{
    long double ns = cmdstats_us_per_tick(cs) * 1000.0L;
    cs->ns_per_tick_q32 = tracking && ns > 0 ? (uint64_t)(ns * 4294967296.0L) : 0;
}

void cmdstats_reset(struct cmdstats *cs)
{
    free_hists(cs);
    memset(cs->per_cmd, 0, cs->ncmds * sizeof(*cs->per_cmd));
    cs->error_replies = 0;
    cs->nerrors = 0;
}

struct cmd_stat *cmdstats_lookup(struct cmdstats *cs, const struct cmd_def *cmd)
{
    int i = cmd_index(cmd);
    /* Internal commands (the cross-shard fetch and store) have no entry. */
    struct cmd_stat *st = i >= 0 && (size_t)i < cs->ncmds ? &cs->per_cmd[i] : NULL;
    cs->last_cmd = cmd;
    cs->last_stat = st;
    return st;
}

void cmdstats_call_done(struct cmdstats *cs, const struct cmd_def *cmd, bool failed)
{
    cmdstats_ran(cs, cmd, 0, true, failed);
}

void cmdstats_rejected(struct cmdstats *cs, const struct cmd_def *cmd)
{
    struct cmd_stat *st = cmdstats_lookup(cs, cmd);
    if (st) st->rejected++;
}

static void add_error_code(struct cmdstats *cs, const char *code, size_t len, uint64_t n)
{
    if (len >= CMDSTATS_ERROR_CODE_MAX) len = CMDSTATS_ERROR_CODE_MAX - 1;
    for (uint32_t i = 0; i < cs->nerrors; i++) {
        struct err_stat *e = &cs->errors[i];
        if (strncmp(e->code, code, len) == 0 && e->code[len] == '\0') {
            e->count += n;
            return;
        }
    }
    if (cs->nerrors == CMDSTATS_MAX_ERRORS) return;
    struct err_stat *e = &cs->errors[cs->nerrors++];
    memcpy(e->code, code, len);
    e->code[len] = '\0';
    e->count = n;
}

void cmdstats_error(struct cmdstats *cs, const char *msg, size_t len)
{
    cs->error_replies++;
    /* Redis's afterErrorReply: the code is what precedes the first space
     * within the first 32 bytes of "-CODE ...", else it is ERR.
    * CR and LF go out as spaces (reply.c), so they end the code too. */
    size_t window = len + 1 < 32 ? len : 31, n = 0;
    while (n < window && msg[n] != ' ' && msg[n] != '\r' && msg[n] != '\n') n++;
    if (n > 0 && n < window) add_error_code(cs, msg, n, 1);
    else add_error_code(cs, "ERR", 3, 1);
}

/* Microseconds per tick, measured over the shard's life so far. */
long double cmdstats_us_per_tick(const struct cmdstats *cs)
{
#if defined(__x86_64__) || defined(__i386__)
    uint64_t now_ticks;
    long long now_us;
    clock_pair(&now_ticks, &now_us);
    long long us = now_us - cs->base_us;
    uint64_t elapsed = now_ticks - cs->base_ticks;
    return us > 0 && elapsed > 0 ? (long double)us / (long double)elapsed : 0;
#else
    (void)cs;
    return 0.001L; /* nanoseconds */
#endif
}

#define LINE(...) obuf_append(out, line, (size_t)snprintf(line, sizeof(line), __VA_ARGS__))

uint64_t cmdstats_total_calls(const struct cmdstats *cs)
{
    uint64_t n = 0;
    for (size_t i = 0; i < cs->ncmds; i++) n += cs->per_cmd[i].calls;
    return n;
}

void cmdstats_report(const struct cmdstats *cs, struct obuf *out)
{
    char line[128];
    long double rate = cmdstats_us_per_tick(cs);
    LINE("n %llu\n", (unsigned long long)cs->error_replies);
    for (size_t i = 0; i < cs->ncmds; i++) {
        const struct cmd_stat *st = &cs->per_cmd[i];
        if (!st->calls && !st->rejected && !st->failed && !st->time) continue;
        LINE("c %zu %llu %llu %llu %llu\n", i, (unsigned long long)st->calls,
             (unsigned long long)((long double)st->time * rate), (unsigned long long)st->rejected,
             (unsigned long long)st->failed);
    }
    for (uint32_t i = 0; i < cs->nerrors; i++)
        LINE("e %s %llu\n", cs->errors[i].code, (unsigned long long)cs->errors[i].count);
    /* Histograms: "h <index> <bucket>:<count> ...", the buckets in use. */
    for (size_t i = 0; i < cs->ncmds; i++) {
        const struct latency_hist *h = cs->per_cmd[i].hist;
        if (!h || !h->total) continue;
        LINE("h %zu", i);
        for (unsigned b = 0; b < LATENCY_HIST_BUCKETS; b++)
            if (h->count[b]) LINE(" %u:%u", b, h->count[b]);
        LINE("\n");
    }
}

static unsigned long long next_ull(const char **p)
{
    return strtoull(*p, (char **)p, 10);
}

void cmdstats_merge_report(struct cmdstats *sum, const char *p, const char *end)
{
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) break;
        char kind = *p;
        p += 2;
        if (kind == 'n' && p < eol) {
            sum->error_replies += next_ull(&p);
        } else if (kind == 'c' && p < eol) {
            unsigned long long i = next_ull(&p);
            struct cmd_stat *st = i < sum->ncmds ? &sum->per_cmd[i] : NULL;
            if (st) {
                unsigned long long calls = next_ull(&p);
                st->calls += calls;
                /* As Redis: every call counts, a rejected one does not. */
                sum->commands_processed += calls;
                st->time += next_ull(&p);
                st->rejected += next_ull(&p);
                st->failed += next_ull(&p);
            }
        } else if (kind == 'h' && p < eol) {
            unsigned long long i = next_ull(&p);
            if (i < sum->ncmds) {
                struct cmd_stat *st = &sum->per_cmd[i];
                if (!st->hist) st->hist = rk_calloc(1, sizeof(*st->hist));
                while (p < eol && *p == ' ') {
                    unsigned long long b = next_ull(&p), n = 0;
                    if (p < eol && *p == ':') {
                        p++;
                        n = next_ull(&p);
                    }
                    if (b < LATENCY_HIST_BUCKETS) {
                        st->hist->count[b] += (uint32_t)n;
                        st->hist->total += n;
                    }
                }
            }
        } else if (kind == 'e' && p < eol) {
            const char *sp = memchr(p, ' ', (size_t)(eol - p));
            if (sp) {
                const char *q = sp + 1;
                add_error_code(sum, p, (size_t)(sp - p), next_ull(&q));
            }
        }
        p = eol + 1;
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(cmd_by_index(*(const size_t *)a)->name, cmd_by_index(*(const size_t *)b)->name);
}

static int by_code(const void *a, const void *b)
{
    return strcmp(((const struct err_stat *)a)->code, ((const struct err_stat *)b)->code);
}

/* Redis lists commands that were called, rejected or failed, by name. */
void cmdstats_info_commands(const struct cmdstats *sum, struct obuf *out)
{
    char line[256];
    size_t *order = rk_malloc((sum->ncmds ? sum->ncmds : 1) * sizeof(size_t)), n = 0;
    for (size_t i = 0; i < sum->ncmds; i++) {
        const struct cmd_stat *st = &sum->per_cmd[i];
        if (st->calls || st->rejected || st->failed) order[n++] = i;
    }
    qsort(order, n, sizeof(*order), by_name);
    for (size_t k = 0; k < n; k++) {
        const struct cmd_stat *st = &sum->per_cmd[order[k]];
        LINE("cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
             cmd_by_index(order[k])->name, (unsigned long long)st->calls, (unsigned long long)st->time,
             st->calls ? (double)st->time / (double)st->calls : 0.0, (unsigned long long)st->rejected,
             (unsigned long long)st->failed);
    }
    rk_free(order);
}

/* Redis's percentile label: "p50", "p99.9" (a double without trailing zeros). */
static void percentile_label(char *buf, size_t cap, double p)
{
    snprintf(buf, cap, "%f", p);
    char *dot = strchr(buf, '.');
    if (!dot) return;
    char *end = buf + strlen(buf) - 1;
    while (end > dot && *end == '0') *end-- = '\0';
    if (end == dot) *end = '\0';
}

void cmdstats_info_latency(const struct cmdstats *sum, const double *percentiles, int n, struct obuf *out)
{
    char line[256];
    size_t *order = rk_malloc((sum->ncmds ? sum->ncmds : 1) * sizeof(size_t)), k = 0;
    for (size_t i = 0; i < sum->ncmds; i++)
        if (sum->per_cmd[i].hist && sum->per_cmd[i].hist->total) order[k++] = i;
    qsort(order, k, sizeof(*order), by_name);
    for (size_t j = 0; j < k; j++) {
        const struct latency_hist *h = sum->per_cmd[order[j]].hist;
        LINE("latency_percentiles_usec_%s:", cmd_by_index(order[j])->name);
        for (int p = 0; p < n; p++) {
            char label[64];
            percentile_label(label, sizeof label, percentiles[p]);
            LINE("%sp%s=%.3f", p ? "," : "", label, (double)latency_hist_percentile(h, percentiles[p]) / 1000.0);
        }
        LINE("\r\n");
    }
    rk_free(order);
}

void cmdstats_info_errors(const struct cmdstats *sum, struct obuf *out)
{
    char line[128];
    struct err_stat sorted[CMDSTATS_MAX_ERRORS];
    memcpy(sorted, sum->errors, sum->nerrors * sizeof(*sorted));
    qsort(sorted, sum->nerrors, sizeof(*sorted), by_code);
    for (uint32_t i = 0; i < sum->nerrors; i++)
        LINE("errorstat_%s:count=%llu\r\n", sorted[i].code, (unsigned long long)sorted[i].count);
}
