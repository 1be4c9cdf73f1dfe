/* Tests for cmdstats.c and the command numbering it relies on (commands.c):
 * every command and subcommand has its own counters, error codes are taken
 * as Redis takes them, and a shard's report survives the trip through INFO
 * (report, merge, format) with the numbers Redis would print. */
#include <criterion/criterion.h>
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <string.h>

static void setup(void) { commands_setup(); }

TestSuite(cmdstats, .init = setup);

static char *text(struct obuf *b)
{
    obuf_append(b, "", 1);
    return b->data;
}

Test(cmdstats, every_command_and_subcommand_numbered_once)
{
    size_t n = cmd_index_count(), seen_subs = 0;
    cr_assert_gt(n, cmd_count());
    for (size_t i = 0; i < cmd_count(); i++) {
        const struct cmd_def *c = cmd_at(i);
        cr_assert_eq(cmd_by_index((size_t)cmd_index(c)), c, "%s", c->name);
        for (const struct cmd_def *sub = c->subcommands; sub && sub->name; sub++, seen_subs++)
            cr_assert_eq(cmd_by_index((size_t)cmd_index(sub)), sub, "%s", sub->name);
    }
    cr_assert_eq(n, cmd_count() + seen_subs);
    static const struct cmd_def outsider = {.name = "outsider"};
    cr_assert_eq(cmd_index(&outsider), -1);
    cr_assert_null(cmd_by_index(n));
}

Test(cmdstats, error_codes_as_redis)
{
    struct cmdstats *cs = cmdstats_create();
    static const char *const errors[] = {
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "ERR syntax error",
        "NOAUTH Authentication required.",
        "ERR no such key",
        "NOSPACEHERE",                                 /* no space: ERR */
        "AVERYLONGCODETHATRUNSPASTTHIRTYTWOBYTES x",   /* space too far: ERR */
        "LF\nin the code",                             /* sent as "LF in the code" */
    };
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++) cmdstats_error(cs, errors[i], strlen(errors[i]));
    struct obuf out;
    obuf_init(&out);
    cmdstats_info_errors(cs, &out);
    cr_assert_str_eq(text(&out), "errorstat_ERR:count=4\r\nerrorstat_LF:count=1\r\nerrorstat_NOAUTH:count=1\r\n"
                                 "errorstat_WRONGTYPE:count=1\r\n");
    cr_assert_eq(cs->error_replies, 7);
    obuf_free(&out);
    cmdstats_destroy(cs);
}

Test(cmdstats, reports_merge_and_format)
{
    const struct cmd_def *get = cmd_lookup("get", 3), *set = cmd_lookup("set", 3);
    const struct cmd_def *cfg_get = cmd_lookup_fullname("config|get", 10);
    struct cmdstats *a = cmdstats_create(), *b = cmdstats_create(), *sum = cmdstats_create();
    cmdstats_ran(a, get, 0, true, false);
    cmdstats_ran(a, get, 0, true, true);
    cmdstats_rejected(a, get);
    cmdstats_ran(b, get, 0, true, false);
    cmdstats_ran(b, set, 0, false, false);   /* a part: time only, not a call */
    cmdstats_call_done(a, set, false);        /* the fan-out's one call */
    cmdstats_rejected(b, cfg_get);
    cmdstats_error(b, "ERR x", 5);
    struct obuf ra, rb, out;
    obuf_init(&ra);
    obuf_init(&rb);
    obuf_init(&out);
    cmdstats_report(a, &ra);
    cmdstats_report(b, &rb);
    cmdstats_merge_report(sum, ra.data, ra.data + ra.len);
    cmdstats_merge_report(sum, rb.data, rb.data + rb.len);
    cr_assert_eq(sum->commands_processed, 4, "calls, not rejections");
    cr_assert_eq(sum->error_replies, 1);
    cmdstats_info_commands(sum, &out);
    cr_assert_str_eq(text(&out),
                     "cmdstat_config|get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"
                     "cmdstat_get:calls=3,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=1\r\n"
                     "cmdstat_set:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0\r\n");
    cmdstats_reset(a);
    obuf_free(&ra);
    obuf_init(&ra);
    cmdstats_report(a, &ra);
    cr_assert_str_eq(text(&ra), "n 0\n", "a reset report is empty");
    obuf_free(&ra);
    obuf_free(&rb);
    obuf_free(&out);
    cmdstats_destroy(a);
    cmdstats_destroy(b);
    cmdstats_destroy(sum);
}

/* Ticks become microseconds at the rate the clock ran since the shard
 * started: 20 ms of ticks report as about 20000 usec (more if this thread
 * was preempted while timing, never more than the wall time around it). */
Test(cmdstats, time_in_microseconds)
{
    const struct cmd_def *get = cmd_lookup("get", 3);
    struct cmdstats *cs = cmdstats_create(), *sum = cmdstats_create();
    long long t0 = monotonic_us();
    uint64_t start = cmdstats_ticks_now();
    while (monotonic_us() - t0 < 20000) {
    }
    cmdstats_ran(cs, get, cmdstats_ticks_now() - start, true, false);
    long long wall = monotonic_us() - t0;
    struct obuf r;
    obuf_init(&r);
    cmdstats_report(cs, &r);
    cmdstats_merge_report(sum, r.data, r.data + r.len);
    uint64_t us = sum->per_cmd[cmd_index(get)].time;
    cr_assert(us >= 19000 && us <= (uint64_t)wall * 21 / 20 + 100, "20 ms (%lld wall) reported as %llu usec", wall,
              (unsigned long long)us);
    obuf_free(&r);
    cmdstats_destroy(cs);
    cmdstats_destroy(sum);
}
