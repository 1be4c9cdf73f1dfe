/* cmd_latency.c — LATENCY LATEST | HISTORY | RESET | GRAPH | DOCTOR |
 * HISTOGRAM | HELP. Every shard monitors what it runs (latency_monitor.h)
 * and keeps its commands' latency histograms (cmdstats.h); each
 * subcommand runs on every shard, which answers with a text dump, and the
 * combining shard merges the dumps and answers as Redis would from one
 * monitor. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/config.h"
#include "ringkv/base/latency_monitor.h"
#include "ringkv/base/str_refs.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the shards' parts ---------------------------------------------- */

/* Text a shard part answers, as one bulk string. */
static void reply_text(struct cmd_ctx *c, struct obuf *out)
{
    reply_bulk(c->r, out->data ? out->data : "", out->len);
    obuf_free(out);
}

/* This shard's series: all of them (LATEST), or argv[2]'s. */
static void dump_series(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf out;
    obuf_init(&out);
    bool one = a->argc > 2;
    latency_monitor_dump(host_latency(c->host), one ? a->argv[2] : NULL, one ? a->len[2] : 0, &out);
    reply_text(c, &out);
}

/* The doctor's advice depends on settings CONFIG SET may have changed:
 * they come first, from the shard's copy. */
static void dump_for_doctor(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf out;
    char line[128];
    obuf_init(&out);
    obuf_append(&out, line,
                (size_t)snprintf(line, sizeof line, "%lld %lld %d\n", (long long)c->cfg->latency_monitor_threshold,
                                 (long long)c->cfg->slowlog_log_slower_than, (int)c->cfg->hz));
    latency_monitor_dump(host_latency(c->host), NULL, 0, &out);
    reply_text(c, &out);
}

/* Forgets the events, answering their names (a line each): the same
 * event on several shards counts once. */
static void reset_part(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf out;
    obuf_init(&out);
    latency_monitor_reset(host_latency(c->host), (const char *const *)a->argv + 2, a->len + 2, a->argc - 2, &out);
    reply_text(c, &out);
}

static void histogram_part(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf out;
    obuf_init(&out);
    cmdstats_report(host_cmdstats(c->host), &out);
    reply_text(c, &out);
}

/* ---- combining ------------------------------------------------------ */

/* A part's bulk payload; false (and the part's error answered) when a
 * shard failed. */
static bool part_payload(struct reply *r, const char *part, size_t len, const char **p, size_t *n)
{
    if (len && part[0] == '-') {
        reply_error_raw(r, part, len);
        return false;
    }
    const char *crlf = len && part[0] == '$' ? memchr(part, '\n', len) : NULL;
    size_t hdr = crlf ? (size_t)(crlf - part) + 1 : len;
    *p = part + hdr;
    *n = len >= hdr + 2 ? len - hdr - 2 : 0;
    return true;
}

/* Merges every shard's dump into m (skipping `skip_lines` first lines of
 * each); false when a shard failed (answered). */
static bool merge_parts(struct reply *r, const char *const *parts, const size_t *lens, int nparts,
                        struct latency_monitor *m)
{
    latency_monitor_init(m);
    for (int i = 0; i < nparts; i++) {
        const char *p;
        size_t n;
        if (!part_payload(r, parts[i], lens[i], &p, &n)) {
            latency_monitor_free(m);
            return false;
        }
        latency_monitor_merge_dump(m, p, n);
    }
    return true;
}

static void latest_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    struct latency_monitor m;
    if (!merge_parts(r, parts, lens, nparts, &m)) return;
    latency_monitor_latest(&m, r);
    latency_monitor_free(&m);
}

static void history_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                            int nparts)
{
    struct latency_monitor m;
    if (!merge_parts(r, parts, lens, nparts, &m)) return;
    latency_monitor_history(&m, a->argv[2], a->len[2], r);
    latency_monitor_free(&m);
}

static void graph_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                          int nparts)
{
    struct latency_monitor m;
    if (!merge_parts(r, parts, lens, nparts, &m)) return;
    const struct latency_series *ts = latency_monitor_find(&m, a->argv[2], a->len[2]);
    if (!ts) {
        reply_errorf(r, "ERR No samples available for event '%.*s'", (int)a->len[2], a->argv[2]);
    } else {
        struct obuf out;
        obuf_init(&out);
        latency_monitor_graph(ts, (long long)time(NULL), &out);
        reply_verbatim(r, out.data, out.len, "txt");
        obuf_free(&out);
    }
    latency_monitor_free(&m);
}

static void reset_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                          int nparts)
{
    struct str_refs names = {0};
    for (int i = 0; i < nparts; i++) {
        const char *p, *end;
        size_t n;
        if (!part_payload(r, parts[i], lens[i], &p, &n)) {
            str_refs_free(&names);
            return;
        }
        for (end = p + n; p < end;) {
            const char *eol = memchr(p, '\n', (size_t)(end - p));
            if (!eol) break;
            str_refs_push(&names, p, (size_t)(eol - p));
            p = eol + 1;
        }
    }
    reply_int(r, (long long)str_refs_unique(&names));
    str_refs_free(&names);
}

/* ---- DOCTOR --------------------------------------------------------- */

enum advice {
    ADVISE_SLOWLOG_ENABLE = 1 << 0,
    ADVISE_SLOWLOG_TUNE = 1 << 1,
    ADVISE_SLOWLOG_INSPECT = 1 << 2,
    ADVISE_SCHEDULER = 1 << 3,
    ADVISE_HZ = 1 << 4,
    ADVISE_LARGE_OBJECTS = 1 << 5,
    ADVISE_MASS_EVICTION = 1 << 6,
};

struct doctor_settings {
    long long threshold_ms, slowlog_us;
    int hz;
};

static unsigned advice_for(const char *event, const struct doctor_settings *s)
{
    if (strcmp(event, "command") == 0) {
        unsigned a = ADVISE_SLOWLOG_INSPECT | ADVISE_LARGE_OBJECTS;
        if (s->slowlog_us < 0) a |= ADVISE_SLOWLOG_ENABLE;
        else if (s->slowlog_us / 1000 > s->threshold_ms) a |= ADVISE_SLOWLOG_TUNE;
        return a;
    }
    if (strcmp(event, "fast-command") == 0) return ADVISE_SCHEDULER;
    if (strcmp(event, "expire-cycle") == 0) return ADVISE_HZ | ADVISE_LARGE_OBJECTS;
    if (strcmp(event, "eviction-cycle") == 0) return ADVISE_MASS_EVICTION;
    return 0;
}

#define ADD(...) obuf_append(out, line, (size_t)snprintf(line, sizeof line, __VA_ARGS__))

static void write_advice(unsigned advice, const struct doctor_settings *s, struct obuf *out)
{
    char line[1024];
    ADD("\nI have a few advices for you:\n\n");
    if (advice & ADVISE_SLOWLOG_ENABLE)
        ADD("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log "
            "Redis feature using the command 'CONFIG SET slowlog-log-slower-than %llu'. If the Slow log is disabled "
            "Redis is not able to log slow commands execution for you.\n",
            (unsigned long long)s->threshold_ms * 1000);
    if (advice & ADVISE_SLOWLOG_TUNE)
        ADD("- Your current Slow Log configuration only logs events that are slower than your configured latency "
            "monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %llu'.\n",
            (unsigned long long)s->threshold_ms * 1000);
    if (advice & ADVISE_SLOWLOG_INSPECT)
        ADD("- Check your Slow Log to understand what are the commands you are running which are too slow to "
            "execute. Please check https://redis.io/commands/slowlog for more information.\n");
    if (advice & ADVISE_SCHEDULER)
        ADD("- The system is slow to execute Redis code paths not containing system calls. This usually means the "
            "system does not provide Redis CPU time to run for long periods. You should try to:\n"
            "  1) Lower the system load.\n"
            "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n"
            "  3) Check if you have a \"noisy neighbour\" problem.\n"
            "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n"
            "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using "
            "Jemalloc. However this may create fragmentation problems.\n");
    if ((advice & ADVISE_HZ) && s->hz < 100)
        ADD("- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration "
            "parameter to 100 using 'CONFIG SET hz 100'.\n");
    if (advice & ADVISE_LARGE_OBJECTS)
        ADD("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. "
            "If you have very large objects that are often deleted, expired, or evicted, try to fragment those "
            "objects into multiple smaller objects.\n");
    if (advice & ADVISE_MASS_EVICTION)
        ADD("- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets "
            "or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE "
            "command), may create sudden memory pressure forcing the server to block trying to evict keys. \n");
}

/* Redis's report: each event's statistics, then advice on what they suggest. */
static void doctor_report(const struct latency_monitor *m, const struct doctor_settings *s, struct obuf *out)
{
    char line[512];
    if (m->n == 0 && s->threshold_ms == 0) {
        ADD("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
            "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep "
            "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n");
        return;
    }
    if (m->n == 0) {
        ADD("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. "
            "I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n");
        return;
    }
    ADD("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you "
        "Dave?\n\n");
    unsigned advice = 0;
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < m->n; i++) {
        struct latency_stats st;
        latency_series_stats(m->series[i], now, &st);
        ADD("%zu. %s: %u latency spikes (average %lums, mean deviation %lums, period %.2f sec). Worst all time event "
            "%lums.\n",
            i + 1, m->series[i]->name, st.samples, (unsigned long)st.avg, (unsigned long)st.mad,
            st.samples ? (double)st.period / st.samples : 0.0, (unsigned long)st.all_time_high);
        advice |= advice_for(m->series[i]->name, s);
    }
    if (advice)
        write_advice(advice, s, out);
    else
        ADD("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis "
            "community to get some help, providing this report in your help request.\n");
}

#undef ADD

static void doctor_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    struct latency_monitor m;
    struct doctor_settings s = {0, 0, 10};
    latency_monitor_init(&m);
    for (int i = 0; i < nparts; i++) {
        const char *p;
        size_t n;
        if (!part_payload(r, parts[i], lens[i], &p, &n)) {
            latency_monitor_free(&m);
            return;
        }
        const char *eol = memchr(p, '\n', n);
        if (!eol) continue;
        if (i == 0) sscanf(p, "%lld %lld %d", &s.threshold_ms, &s.slowlog_us, &s.hz);
        latency_monitor_merge_dump(&m, eol + 1, n - (size_t)(eol + 1 - p));
    }
    struct obuf out;
    obuf_init(&out);
    doctor_report(&m, &s, &out);
    reply_verbatim(r, out.data, out.len, "txt");
    obuf_free(&out);
    latency_monitor_free(&m);
}

/* ---- HISTOGRAM ------------------------------------------------------ */

/* Redis's cumulative distribution: at 1024 ns and each doubling after
 * (reported in microseconds: 1, 2, 4, 8, 16, 32, 65, ...), the calls that
 * took less, where that number grew. */
static void reply_cdf(struct reply *r, const struct latency_hist *h)
{
    reply_map(r, 2);
    reply_bulk_cstr(r, "calls");
    reply_int(r, (long long)h->total);
    reply_bulk_cstr(r, "histogram_usec");
    size_t at = reply_defer(r);
    long long points = 0;
    uint64_t cumulative = 0, reported = 0;
    unsigned b = 0;
    for (uint64_t level = 1024; reported < h->total && level <= (1ULL << 40); level *= 2) {
        for (; b < LATENCY_HIST_BUCKETS && latency_hist_bucket_max(b) < level; b++) cumulative += h->count[b];
        if (level == (1ULL << 40)) cumulative = h->total; /* the last bucket holds everything longer */
        if (cumulative > reported) {
            reply_int(r, (long long)(level / 1000));
            reply_int(r, (long long)cumulative);
            reported = cumulative;
            points++;
        }
    }
    reply_defer_map(r, at, points);
}

/* Adds cmd's histogram when it was called; returns how many it added. */
static long long reply_command_cdf(struct reply *r, const struct cmdstats *sum, const struct cmd_def *cmd)
{
    int i = cmd_index(cmd);
    const struct latency_hist *h = i >= 0 && (size_t)i < sum->ncmds ? sum->per_cmd[i].hist : NULL;
    if (!h || !h->total) return 0;
    reply_bulk_cstr(r, cmd->name);
    reply_cdf(r, h);
    return 1;
}

static void histogram_combine(struct reply *r, const struct cmd_args *a, const char *const *parts,
                              const size_t *lens, int nparts)
{
    struct cmdstats *sum = cmdstats_create();
    for (int i = 0; i < nparts; i++) {
        const char *p;
        size_t n;
        if (!part_payload(r, parts[i], lens[i], &p, &n)) {
            cmdstats_destroy(sum);
            return;
        }
        cmdstats_merge_report(sum, p, p + n);
    }
    size_t at = reply_defer(r);
    long long entries = 0;
    if (a->argc == 2) {
        for (size_t i = 0; i < sum->ncmds; i++) entries += reply_command_cdf(r, sum, cmd_by_index(i));
    } else {
        /* As Redis: in argument order, a container with its subcommands,
         * unknown names skipped. */
        for (int k = 2; k < a->argc; k++) {
            const struct cmd_def *cmd = cmd_lookup_fullname(a->argv[k], a->len[k]);
            if (!cmd) continue;
            entries += reply_command_cdf(r, sum, cmd);
            for (const struct cmd_def *sub = cmd->subcommands; sub && sub->name; sub++)
                entries += reply_command_cdf(r, sum, sub);
        }
    }
    reply_defer_map(r, at, entries);
    cmdstats_destroy(sum);
}

/* ---- HELP and the table --------------------------------------------- */

static void help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        ("    Return a cumulative distribution of latencies in the format of a histogram for the specified command "
         "names."),
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

#define LATENCY_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALL_SHARDS)
#define SPECIAL_TIPS "nondeterministic_output request_policy:all_nodes response_policy:special"

static const struct cmd_def latency_subcommands[] = {
    {.name = "latency|latest", .arity = 2, .flags = LATENCY_FLAGS, .fn = dump_series, .combine = COMBINE_CUSTOM,
     .combine_fn = latest_combine, .tips = SPECIAL_TIPS, .group = "server",
     .summary = "Return the latest latency samples for all events.", .since = "2.8.13", .complexity = "O(1)"},
    {.name = "latency|history", .arity = 3, .flags = LATENCY_FLAGS, .fn = dump_series, .combine = COMBINE_CUSTOM,
     .combine_fn = history_combine, .tips = SPECIAL_TIPS, .group = "server",
     .summary = "Return timestamp-latency samples for the event.", .since = "2.8.13", .complexity = "O(1)",
     .syntax = "event"},
    {.name = "latency|reset", .arity = -2, .flags = LATENCY_FLAGS, .fn = reset_part, .combine = COMBINE_CUSTOM,
     .combine_fn = reset_combine, .tips = "request_policy:all_nodes response_policy:all_succeeded",
     .group = "server", .summary = "Reset latency data for one or more events.", .since = "2.8.13",
     .complexity = "O(1)", .syntax = "[event [event ...]]"},
    {.name = "latency|graph", .arity = 3, .flags = LATENCY_FLAGS, .fn = dump_series, .combine = COMBINE_CUSTOM,
     .combine_fn = graph_combine, .tips = SPECIAL_TIPS, .group = "server",
     .summary = "Return a latency graph for the event.", .since = "2.8.13", .complexity = "O(1)",
     .syntax = "event"},
    {.name = "latency|doctor", .arity = 2, .flags = LATENCY_FLAGS, .fn = dump_for_doctor, .combine = COMBINE_CUSTOM,
     .combine_fn = doctor_combine, .tips = SPECIAL_TIPS, .group = "server",
     .summary = "Return a human readable latency analysis report.", .since = "2.8.13", .complexity = "O(1)"},
    {.name = "latency|histogram", .arity = -2, .flags = LATENCY_FLAGS, .fn = histogram_part,
     .combine = COMBINE_CUSTOM, .combine_fn = histogram_combine, .tips = SPECIAL_TIPS, .group = "server",
     .summary = "Return the cumulative distribution of latencies of a subset of commands or all.", .since = "7.0.0",
     .complexity = "O(N) where N is the number of commands with latency information being retrieved.",
     .syntax = "[command [command ...]]"},
    {.name = "latency|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = help_command, .group = "server",
     .summary = "Show helpful text about the different subcommands.", .since = "2.8.13", .complexity = "O(1)"},
    {0},
};

const struct cmd_def latency_commands[] = {
    {.name = "latency", .arity = -2, .subcommands = latency_subcommands, .group = "server",
     .summary = "A container for latency diagnostics commands", .since = "2.8.13",
     .complexity = "Depends on subcommand."},
    {0},
};
