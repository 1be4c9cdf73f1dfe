/* cmdstats.h — per-command and per-error statistics (INFO commandstats,
 * INFO errorstats, total_commands_processed, total_error_replies), as
 * Redis 7.0 defines them:
 *   calls           the command ran (counted once per client command, even
 *                   when it ran in parts on several shards)
 *   usec            time spent running it (summed over its parts)
 *   rejected_calls  refused before running (wrong arity, NOAUTH): dispatch
 *   failed_calls    ran and replied with an error
 *   errorstat_CODE  error replies sent to clients, by their first word
 *
 * Each shard owns one struct cmdstats and alone writes it (no sharing, no
 * atomics on the hot path); INFO asks every shard for a report and adds
 * them up. Counters are indexed by cmd_index() (commands.h).
 *
 * Time is read from the TSC where the CPU has a usable one (about 12 ns a
 * read, a third of a vDSO clock_gettime on this kind of machine) and
 * converted to microseconds only when a shard reports, using the TSC rate
 * measured against CLOCK_MONOTONIC since the shard started.
 *
 * Thread: the owning shard's, except cmdstats_info_* (pure, on a merged
 * copy) and cmdstats_ticks_now (any).
 */
#ifndef RINGKV_CMDSTATS_H
#define RINGKV_CMDSTATS_H

#include "ringkv/base/latency_hist.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#else
#include <time.h>
#endif

/* Distinct error codes tracked; more are still counted in the total. */
#define CMDSTATS_MAX_ERRORS 128
#define CMDSTATS_ERROR_CODE_MAX 32

struct cmd_stat {
    uint64_t calls, rejected, failed;
    uint64_t time; /* TSC ticks; microseconds in a merged report */
    struct latency_hist *hist; /* each call's time (latency-tracking), once called */
};

struct err_stat {
    char code[CMDSTATS_ERROR_CODE_MAX];
    uint64_t count;
};

struct cmdstats {
    struct cmd_stat *per_cmd;   /* cmd_index_count() entries */
    size_t ncmds;
    /* The last command's counters: pipelines repeat a command. */
    const struct cmd_def *last_cmd;
    struct cmd_stat *last_stat;
    uint64_t commands_processed; /* only in a merged report: the calls' sum */
    uint64_t error_replies;
    uint32_t nerrors;
    struct err_stat errors[CMDSTATS_MAX_ERRORS];
    uint64_t base_ticks;        /* clock pair for the tick rate */
    long long base_us;
    /* latency-tracking: nanoseconds per tick in 32.32 fixed point, 0 while
     * not tracking or not measured yet (cmdstats_calibrate). */
    uint64_t ns_per_tick_q32;
};

/* Creates a shard's statistics (after commands_setup). */
struct cmdstats *cmdstats_create(void);
void cmdstats_destroy(struct cmdstats *cs);
/* CONFIG RESETSTAT. */
void cmdstats_reset(struct cmdstats *cs);

static inline uint64_t cmdstats_ticks_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* Microseconds per tick (cmdstats_ticks_now), measured over the shard's
 * life so far; 0 until it can be measured. */
long double cmdstats_us_per_tick(const struct cmdstats *cs);

/* The counters of cmd, or NULL for a command outside the table. */
struct cmd_stat *cmdstats_lookup(struct cmdstats *cs, const struct cmd_def *cmd);

/* Records a call's latency in its command's histogram (made on first use). */
void cmdstats_track(struct cmd_stat *st, uint64_t ticks, uint64_t ns_per_tick_q32);
/* Each timer tick: the tick rate for latency-tracking (`tracking` off:
 * nothing is recorded). */
void cmdstats_calibrate(struct cmdstats *cs, bool tracking);

/* A command ran for `ticks`. A whole call counts as a call (failed if it
 * wrote an error); a part of a fanned-out call only adds its time, the
 * call is counted once where the parts' replies are combined. Inline: it
 * runs for every command. */
static inline void cmdstats_ran(struct cmdstats *cs, const struct cmd_def *cmd, uint64_t ticks, bool whole,
                                bool failed)
{
    struct cmd_stat *st = cmd == cs->last_cmd ? cs->last_stat : cmdstats_lookup(cs, cmd);
    if (!st) return;
    /* A thread moved to a CPU whose TSC lags: no time rather than 2^64. */
    st->time += (int64_t)ticks > 0 ? ticks : 0;
    st->calls += whole;
    st->failed += whole && failed;
    if (cs->ns_per_tick_q32 && whole && (int64_t)ticks > 0) cmdstats_track(st, ticks, cs->ns_per_tick_q32);
}
/* A fanned-out call finished (its parts' time is counted already);
 * ticks: how long the client's call took, for its latency histogram. */
void cmdstats_call_done(struct cmdstats *cs, const struct cmd_def *cmd, bool failed);
void cmdstats_call_latency(struct cmdstats *cs, const struct cmd_def *cmd, uint64_t ticks);
/* Refused before running. */
void cmdstats_rejected(struct cmdstats *cs, const struct cmd_def *cmd);
/* An error reply went to a client: msg is its text without the '-'. */
void cmdstats_error(struct cmdstats *cs, const char *msg, size_t len);

/* INFO: a shard's counters as text lines ("c ...", "e ..."), time already
 * in microseconds; merged into `sum` (from cmdstats_create) on the shard
 * combining the reports, then formatted as Redis's sections. */
void cmdstats_report(const struct cmdstats *cs, struct obuf *out);
/* The calls of every command (instantaneous_ops_per_sec samples it). */
uint64_t cmdstats_total_calls(const struct cmdstats *cs);
void cmdstats_merge_report(struct cmdstats *sum, const char *p, const char *end);
void cmdstats_info_commands(const struct cmdstats *sum, struct obuf *out);
void cmdstats_info_errors(const struct cmdstats *sum, struct obuf *out);
/* INFO latencystats: each called command's percentiles, in microseconds. */
void cmdstats_info_latency(const struct cmdstats *sum, const double *percentiles, int n, struct obuf *out);

#endif
