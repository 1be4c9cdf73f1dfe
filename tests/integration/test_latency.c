/* LATENCY LATEST | HISTORY | RESET | GRAPH | DOCTOR | HISTOGRAM and
 * latency-monitor-threshold, as Redis 7.0's unit/latency-monitor checks
 * them, with a busy script in place of DEBUG SLEEP: at 4 shards the
 * spikes and the histograms come from several shards and are merged. */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

TestSuite(latency, .timeout = 60);

/* Runs on KEYS[1]'s shard for ARGV[1] milliseconds. */
static const char busy_script[] =
    "local t = redis.call('TIME') local start = t[1] * 1000000 + t[2] "
    "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= tonumber(ARGV[1]) * 1000 "
    "return redis.call('SET', KEYS[1], ARGV[1])";

static void busy(redisContext *c, const char *key, int ms)
{
    char arg[16];
    snprintf(arg, sizeof arg, "%d", ms);
    const char *argv[] = {"EVAL", busy_script, "1", key, arg};
    ts_assert_ok(ts_cmd_argv(c, 5, argv, NULL));
}

/* Two keys on different shards at 4 shards. */
static void two_shards(const char **a, const char **b)
{
    static const char *const keys[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"};
    *a = keys[0];
    *b = NULL;
    for (size_t i = 1; i < sizeof keys / sizeof *keys && !*b; i++)
        if (ts_key_quarter(keys[i]) != ts_key_quarter(keys[0])) *b = keys[i];
    cr_assert_not_null(*b);
}

TS_TEST(latency, spikes_from_every_shard_in_latest_history_graph_doctor)
{
    redisContext *c = ts_connect(g_server);
    const char *k1, *k2;
    two_shards(&k1, &k2);
    /* 50 ms: on a loaded machine (CI runs two suites side by side) a fast
     * command may be preempted for tens of milliseconds. */
    ts_assert_ok(ts_cmd(c, "CONFIG SET latency-monitor-threshold 50"));
    ts_assert_array(ts_cmd(c, "CONFIG GET latency-monitor-threshold"), "latency-monitor-threshold", "50");
    /* A shard's first script creates its Lua engine, which under a
     * sanitizer takes longer than the threshold: warm k1's up first. */
    busy(c, k1, 1);
    /* Under the threshold: no spike, in one of a few tries (a try the
     * machine stalled past the threshold says nothing). */
    bool quiet = false;
    for (int try = 0; try < 5 && !quiet; try++) {
        freeReplyObject(ts_cmd(c, "LATENCY RESET"));
        busy(c, k1, 5);
        redisReply *l = ts_cmd(c, "LATENCY LATEST");
        cr_assert(l->type == REDIS_REPLY_ARRAY);
        quiet = l->elements == 0;
        freeReplyObject(l);
    }
    cr_assert(quiet, "a 5 ms command is no spike");
    redisReply *r;

    long long before = (long long)time(NULL);
    busy(c, k1, 200);
    ts_sleep_ms(1100); /* one sample a second: the next is another */
    busy(c, k2, 100);
    r = ts_cmd(c, "LATENCY LATEST");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1, "LATENCY LATEST: one event");
    redisReply *e = r->element[0];
    cr_assert(e->type == REDIS_REPLY_ARRAY && e->elements == 4);
    cr_assert_str_eq(e->element[0]->str, "command");
    cr_assert_geq(e->element[1]->integer, before + 1, "the latest sample is the second script's");
    cr_assert(e->element[2]->integer >= 95 && e->element[2]->integer < 1500, "latest %lld ms", e->element[2]->integer);
    cr_assert(e->element[3]->integer >= 195, "max %lld ms: the first script's", e->element[3]->integer);
    freeReplyObject(r);

    r = ts_cmd(c, "LATENCY HISTORY command");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "two samples, one per script");
    cr_assert_lt(r->element[0]->element[0]->integer, r->element[1]->element[0]->integer, "oldest first");
    cr_assert_geq(r->element[0]->element[1]->integer, 195);
    cr_assert_geq(r->element[1]->element[1]->integer, 95);
    freeReplyObject(r);

    r = ts_cmd(c, "LATENCY GRAPH command");
    cr_assert(r->type == REDIS_REPLY_STRING);
    cr_assert(strncmp(r->str, "command - high ", 15) == 0, "%s", r->str);
    cr_assert(strstr(r->str, "\n--------------------------------------------------------------------------------\n"),
              "%s", r->str);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "LATENCY GRAPH blabla"), "ERR No samples available for event 'blabla'");

    r = ts_cmd(c, "LATENCY DOCTOR");
    cr_assert(r->type == REDIS_REPLY_STRING);
    cr_assert(strstr(r->str, "1. command: 2 latency spikes (average "), "%s", r->str);
    freeReplyObject(r);

    r = ts_cmd(c, "LATENCY HISTORY blabla");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0);
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "LATENCY RESET blabla"), 0);
    ts_assert_int(ts_cmd(c, "LATENCY RESET"), 1);
    r = ts_cmd(c, "LATENCY LATEST");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0, "reset forgets the events");
    freeReplyObject(r);
    ts_assert_int(ts_cmd(c, "LATENCY RESET"), 0);
    redisFree(c);
}

TS_TEST(latency, threshold_zero_records_nothing)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_array(ts_cmd(c, "CONFIG GET latency-monitor-threshold"), "latency-monitor-threshold", "0");
    busy(c, "k", 30);
    redisReply *r = ts_cmd(c, "LATENCY LATEST");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0, "the monitor is off by default");
    freeReplyObject(r);
    r = ts_cmd(c, "LATENCY DOCTOR");
    cr_assert(r->str && strstr(r->str, "Latency monitoring is disabled in this Redis instance"), "%s", r->str);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "LATENCY HELP xxx"), "ERR wrong number of arguments for 'latency|help' command");
    redisFree(c);
}

/* "calls N" of one command in a HISTOGRAM reply (RESP2: flat pairs). */
static long long calls_of(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0) {
            const redisReply *v = r->element[i + 1];
            cr_assert(v->elements == 4 && strcmp(v->element[0]->str, "calls") == 0 &&
                      strcmp(v->element[2]->str, "histogram_usec") == 0);
            return v->element[1]->integer;
        }
    return -1;
}

TS_TEST(latency, histogram_counts_each_call_once_across_shards)
{
    redisContext *c = ts_connect(g_server);
    const char *k1, *k2;
    two_shards(&k1, &k2);
    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    redisReply *r = ts_cmd(c, "LATENCY HISTOGRAM");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "only CONFIG RESETSTAT so far");
    cr_assert_eq(calls_of(r, "config|resetstat"), 1);
    freeReplyObject(r);

    ts_assert_ok(ts_cmd(c, "SET %s a", k1));
    ts_assert_ok(ts_cmd(c, "SET %s b", k2));
    ts_assert_bulk(ts_cmd(c, "GET %s", k1), "a");
    ts_assert_int(ts_cmd(c, "HSET h%s f v", k2), 1);
    ts_assert_ok(ts_cmd(c, "MSET %s x %s y", k1, k2)); /* one call, parts on two shards */
    r = ts_cmd(c, "LATENCY HISTOGRAM set hset blabla mset");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "set, hset and mset; blabla skipped");
    cr_assert_str_eq(r->element[0]->str, "set", "argument order");
    cr_assert_eq(calls_of(r, "set"), 2);
    cr_assert_eq(calls_of(r, "hset"), 1);
    cr_assert_eq(calls_of(r, "mset"), 1);
    /* The distribution is cumulative and ends at every call. */
    const redisReply *hist = r->element[1]->element[3];
    cr_assert(hist->elements >= 2 && hist->elements % 2 == 0);
    cr_assert_eq(hist->element[hist->elements - 1]->integer, 2);
    freeReplyObject(r);

    freeReplyObject(ts_cmd(c, "CLIENT ID"));
    freeReplyObject(ts_cmd(c, "CLIENT ID"));
    r = ts_cmd(c, "LATENCY HISTOGRAM client");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "the container answers its called subcommands");
    cr_assert_str_eq(r->element[0]->str, "client|id");
    cr_assert_eq(calls_of(r, "client|id"), 2);
    freeReplyObject(r);
    r = ts_cmd(c, "LATENCY HISTOGRAM blabla blabla2");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 0);
    freeReplyObject(r);
    redisFree(c);
}
