/* test_stats.c — INFO commandstats and errorstats, total_commands_processed
 * and total_error_replies, CONFIG RESETSTAT: Redis 7.0's definitions of
 * calls, rejected_calls (refused before running: arity, NOAUTH) and
 * failed_calls (ran, replied with an error), counted once per client
 * command whichever shard runs it or however many shards it spans. Every
 * expectation holds on redis-server 7.0 too (suite `redis`). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(stats, .timeout = 90);

struct cstat {
    bool present;
    long long calls, usec, rejected, failed;
    char per_call[32];
};

static char *info(redisContext *c, const char *section)
{
    redisReply *r = *section ? ts_cmd(c, "INFO %s", section) : ts_cmd(c, "INFO");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "INFO %s did not answer a bulk", section);
    char *s = strdup(r->str);
    freeReplyObject(r);
    return s;
}

/* The "<prefix><name>:" line of an INFO text, or NULL. */
static const char *info_line(const char *text, const char *prefix, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s:", prefix, name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, key, strlen(key)) == 0) return p + strlen(key);
    return NULL;
}

static struct cstat cmdstat(redisContext *c, const char *name)
{
    struct cstat st = {0};
    char *text = info(c, "commandstats");
    const char *line = info_line(text, "cmdstat_", name);
    if (line) {
        st.present = true;
        int n = sscanf(line, "calls=%lld,usec=%lld,usec_per_call=%31[0-9.],rejected_calls=%lld,failed_calls=%lld",
                       &st.calls, &st.usec, st.per_call, &st.rejected, &st.failed);
        cr_assert_eq(n, 5, "malformed cmdstat_%s line: %.120s", name, line);
        char want[32];
        snprintf(want, sizeof want, "%.2f", st.calls ? (double)st.usec / (double)st.calls : 0.0);
        cr_assert_str_eq(st.per_call, want, "cmdstat_%s usec_per_call", name);
    }
    free(text);
    return st;
}

static void assert_cmdstat(redisContext *c, const char *name, long long calls, long long rejected, long long failed)
{
    struct cstat st = cmdstat(c, name);
    cr_assert(st.present, "no cmdstat_%s line", name);
    cr_assert_eq(st.calls, calls, "cmdstat_%s calls=%lld, want %lld", name, st.calls, calls);
    cr_assert_eq(st.rejected, rejected, "cmdstat_%s rejected_calls=%lld, want %lld", name, st.rejected, rejected);
    cr_assert_eq(st.failed, failed, "cmdstat_%s failed_calls=%lld, want %lld", name, st.failed, failed);
}

/* errorstat_<code>:count=N, 0 when absent. */
static long long errorstat(redisContext *c, const char *code)
{
    char *text = info(c, "errorstats");
    const char *line = info_line(text, "errorstat_", code);
    long long n = 0;
    if (line) cr_assert_eq(sscanf(line, "count=%lld", &n), 1, "malformed errorstat_%s", code);
    free(text);
    return n;
}

static long long errorstats_sum(redisContext *c)
{
    char *text = info(c, "errorstats");
    long long sum = 0;
    for (const char *p = strstr(text, "errorstat_"); p; p = strstr(p + 1, "errorstat_")) {
        const char *cnt = strstr(p, ":count=");
        cr_assert(cnt, "malformed errorstats: %s", text);
        sum += strtoll(cnt + 7, NULL, 10);
    }
    free(text);
    return sum;
}

static long long stat_field(redisContext *c, const char *field)
{
    char *text = info(c, "stats");
    const char *v = info_line(text, "", field);
    cr_assert(v, "no %s in INFO stats", field);
    long long n = strtoll(v, NULL, 10);
    free(text);
    return n;
}

static redisContext *fresh(void)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    return c;
}

TS_TEST(stats, calls_rejected_failed)
{
    redisContext *c = fresh();
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_error(ts_cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    ts_assert_error(ts_cmd(c, "LPUSH k x"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "CONFIG"), "ERR wrong number of arguments for 'config' command");
    ts_assert_error(ts_cmd(c, "CONFIG GET"), "ERR wrong number of arguments for 'config|get' command");
    ts_assert_error(ts_cmd(c, "CONFIG NOSUCH"), "ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.");
    ts_assert_error(ts_cmd(c, "NOSUCHCMD a"), "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ");
    /* Ran and failed in the handler (MSET's own pairing check). */
    ts_assert_error(ts_cmd(c, "MSET a 1 b"), "ERR wrong number of arguments for 'mset' command");

    assert_cmdstat(c, "set", 1, 0, 0);
    assert_cmdstat(c, "get", 1, 1, 0);
    assert_cmdstat(c, "lpush", 1, 0, 1);
    assert_cmdstat(c, "config", 0, 1, 0);
    assert_cmdstat(c, "config|get", 0, 1, 0);
    assert_cmdstat(c, "mset", 1, 0, 1);
    assert_cmdstat(c, "config|resetstat", 1, 0, 0);
    cr_assert_not(cmdstat(c, "nosuchcmd").present);
    cr_assert_not(cmdstat(c, "config|nosuch").present);
    cr_assert_not(cmdstat(c, "del").present, "a command never called is not listed");
    /* INFO counts after it answers: the INFO calls above, not this one. */
    struct cstat inf = cmdstat(c, "info");
    cr_assert(inf.present);
    long long before = inf.calls;
    cr_assert_eq(cmdstat(c, "info").calls, before + 1);
    redisFree(c);
}

TS_TEST(stats, errorstats_and_totals)
{
    redisContext *c = fresh();
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "LPUSH k x"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "HGET k f"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "INCR k"), "ERR value is not an integer or out of range");
    ts_assert_error(ts_cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    ts_assert_error(ts_cmd(c, "NOSUCHCMD"), "ERR unknown command 'NOSUCHCMD', with args beginning with: ");
    /* A protocol error is an error reply too (and closes that connection). */
    struct ts_raw *raw = ts_raw_connect(g_server);
    ts_raw_send_str(raw, "*1\r\n$x\r\n");
    ts_raw_expect(raw, "-ERR Protocol error: invalid bulk length\r\n");
    ts_raw_close(raw);

    cr_assert_eq(errorstat(c, "WRONGTYPE"), 2);
    cr_assert_eq(errorstat(c, "ERR"), 4);
    cr_assert_eq(stat_field(c, "total_error_replies"), 6);
    cr_assert_eq(errorstats_sum(c), 6, "total_error_replies is the sum of errorstats");
    assert_cmdstat(c, "incr", 1, 0, 1);
    assert_cmdstat(c, "hget", 1, 0, 1);

    /* Sections: errorstats is in the default set, commandstats is not;
     * all and everything have both. */
    char *def = info(c, "");
    cr_assert(strstr(def, "# Errorstats\r\n"), "default INFO lacks Errorstats");
    cr_assert_not(strstr(def, "# Commandstats"), "default INFO has Commandstats");
    cr_assert(strstr(def, "errorstat_WRONGTYPE:count=2\r\n"));
    free(def);
    const char *everything[] = {"INFO all", "INFO everything", "INFO COMMANDSTATS errorstats"};
    for (size_t i = 0; i < sizeof everything / sizeof *everything; i++) {
        redisReply *r = ts_cmd(c, everything[i]);
        cr_assert_eq(r->type, REDIS_REPLY_STRING);
        cr_assert(strstr(r->str, "# Commandstats\r\ncmdstat_"), "%s lacks Commandstats", everything[i]);
        cr_assert(strstr(r->str, "# Errorstats\r\nerrorstat_"), "%s lacks Errorstats", everything[i]);
        freeReplyObject(r);
    }
    char *only = info(c, "commandstats");
    cr_assert_not(strstr(only, "# Errorstats"));
    cr_assert_not(strstr(only, "# Server"));
    free(only);
    redisFree(c);
}

TS_TEST(stats, resetstat_clears_everything)
{
    redisContext *c = fresh();
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "LPUSH k x"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    ts_assert_error(ts_cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_nil(ts_cmd(c, "GET missing"));
    cr_assert_gt(stat_field(c, "keyspace_hits"), 0);
    cr_assert_eq(stat_field(c, "total_error_replies"), 2);

    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    /* Only RESETSTAT itself ran since (it counts after resetting). */
    cr_assert_eq(stat_field(c, "total_commands_processed"), 1);
    cr_assert_eq(stat_field(c, "total_error_replies"), 0);
    cr_assert_eq(stat_field(c, "keyspace_hits"), 0);
    cr_assert_eq(stat_field(c, "keyspace_misses"), 0);
    cr_assert_eq(errorstats_sum(c), 0);
    char *t = info(c, "commandstats");
    cr_assert_not(strstr(t, "cmdstat_set:"), "%s", t);
    cr_assert_not(strstr(t, "cmdstat_get:"), "%s", t);
    cr_assert_not(strstr(t, "cmdstat_lpush:"), "%s", t);
    cr_assert(strstr(t, "cmdstat_config|resetstat:calls=1,"), "%s", t);
    free(t);
    char *e = info(c, "errorstats");
    cr_assert_str_eq(e, "# Errorstats\r\n");
    free(e);
    /* total_commands_processed counts every call, rejected ones not. */
    long long n0 = stat_field(c, "total_commands_processed");
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    cr_assert_eq(stat_field(c, "total_commands_processed"), n0 + 2); /* the INFO and the SET */
    redisFree(c);
}

/* Keys without hash tags spread over the shards: with --shards 4 most of
 * these run on another shard than the connection's, one by one and in
 * pipelined batches; each is still one call. Multi-key commands spanning
 * shards (MGET, MSET, DEL fanned out; RENAME through the cross-shard
 * path) are one call too, not one per shard. */
/* A script's commands count as calls of their own (Redis's unit/
 * introspection-2 "command stats for scripts"), a failed one as failed
 * and its error once in errorstats. */
TS_TEST(stats, script_commands_count_as_calls)
{
    redisContext *c = fresh();
    ts_assert_ok(ts_cmd(c, "SET mykey myval"));
    const char *argv[] = {"EVAL",
                          "redis.call('set', KEYS[1], 0) redis.call('expire', KEYS[1], 0) "
                          "redis.call('geoadd', KEYS[1], 0, 0, 'bar') redis.pcall('incr', KEYS[1]) return 1",
                          "1", "mykey"};
    ts_assert_int(ts_cmd_argv(c, 4, argv, NULL), 1);
    assert_cmdstat(c, "eval", 1, 0, 0);
    assert_cmdstat(c, "set", 2, 0, 0);
    assert_cmdstat(c, "expire", 1, 0, 0);
    assert_cmdstat(c, "geoadd", 1, 0, 0);
    assert_cmdstat(c, "incr", 1, 0, 1);
    cr_assert_eq(errorstat(c, "WRONGTYPE"), 1);
    redisFree(c);
}

TS_TEST(stats, remote_and_multishard_commands_count_once)
{
    redisContext *c = fresh();
    enum { N = 16 };
    for (int i = 0; i < N; i++) ts_assert_ok(ts_cmd(c, "SET key:%d v%d", i, i));
    for (int i = 0; i < N; i++) ts_append(c, "GET key:%d", i);
    for (int i = 0; i < N; i++) ts_append(c, "LPUSH key:%d x", i);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", i);
        ts_assert_bulk(ts_reply(c), want);
    }
    for (int i = 0; i < N; i++)
        ts_assert_error(ts_reply(c), "WRONGTYPE Operation against a key holding the wrong kind of value");
    assert_cmdstat(c, "set", N, 0, 0);
    assert_cmdstat(c, "get", N, 0, 0);
    assert_cmdstat(c, "lpush", N, 0, N);
    cr_assert_eq(errorstat(c, "WRONGTYPE"), N);

    ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 c 3 d 4 e 5 f 6"));
    redisReply *r = ts_cmd(c, "MGET a b c d e f");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->elements, 6);
    freeReplyObject(r);
    ts_assert_ok(ts_cmd(c, "RENAME a zz"));
    ts_assert_error(ts_cmd(c, "RENAME nosuchkey zz2"), "ERR no such key");
    ts_assert_int(ts_cmd(c, "DEL b c d e f zz"), 6);
    ts_assert_int(ts_cmd(c, "DBSIZE"), N);
    assert_cmdstat(c, "mset", 1, 0, 0);
    assert_cmdstat(c, "mget", 1, 0, 0);
    assert_cmdstat(c, "rename", 2, 0, 1);
    assert_cmdstat(c, "del", 1, 0, 0);
    assert_cmdstat(c, "dbsize", 1, 0, 0);
    cr_assert_eq(errorstat(c, "ERR"), 1);
    cr_assert_eq(stat_field(c, "total_error_replies"), N + 1);
    redisFree(c);
}

/* NOAUTH is a rejection of the command named; AUTH with a wrong password
 * ran and failed (WRONGPASS). */
Test(stats, noauth_is_rejected_wrongpass_failed, .fini = ts_fixture_fini)
{
    g_server = ts_start("--requirepass", "pw", NULL);
    redisContext *admin = ts_connect(g_server);
    ts_assert_ok(ts_cmd(admin, "AUTH pw"));
    ts_assert_ok(ts_cmd(admin, "CONFIG RESETSTAT"));
    redisContext *c = ts_connect(g_server);
    ts_assert_error(ts_cmd(c, "GET k"), "NOAUTH Authentication required.");
    ts_assert_error(ts_cmd(c, "SET k v"), "NOAUTH Authentication required.");
    ts_assert_error(ts_cmd(c, "AUTH nope"), "WRONGPASS invalid username-password pair or user is disabled.");
    ts_assert_ok(ts_cmd(c, "AUTH pw"));
    assert_cmdstat(admin, "get", 0, 1, 0);
    assert_cmdstat(admin, "set", 0, 1, 0);
    assert_cmdstat(admin, "auth", 2, 0, 1);
    cr_assert_eq(errorstat(admin, "NOAUTH"), 2);
    cr_assert_eq(errorstat(admin, "WRONGPASS"), 1);
    cr_assert_eq(stat_field(admin, "total_error_replies"), 3);
    redisFree(c);
    redisFree(admin);
    ts_fixture_stop();
}

static bool info_has(redisContext *c, const char *section, const char *needle)
{
    redisReply *r = ts_cmd(c, "INFO %s", section);
    bool has = r->type == REDIS_REPLY_STRING && strstr(r->str, needle) != NULL;
    freeReplyObject(r);
    return has;
}

/* INFO latencystats: each command called has its percentiles, with the
 * labels latency-tracking-info-percentiles asks for; commands across
 * shards too (MSET); not in the default INFO. */
TS_TEST(stats, info_latencystats)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_bulk(ts_cmd(c, "GET k"), "v");
    ts_assert_ok(ts_cmd(c, "MSET a 1 b 2 c 3 d 4"));
    cr_assert(info_has(c, "latencystats", "# Latencystats"));
    cr_assert(info_has(c, "latencystats", "latency_percentiles_usec_set:p50="));
    cr_assert(info_has(c, "latencystats", "latency_percentiles_usec_get:p50="));
    cr_assert(info_has(c, "latencystats", "latency_percentiles_usec_mset:p50="));
    cr_assert(info_has(c, "latencystats", ",p99=") && info_has(c, "latencystats", ",p99.9="));
    cr_assert_not(info_has(c, "", "# Latencystats"), "latencystats is not a default section");
    cr_assert(info_has(c, "all", "# Latencystats"));
    ts_assert_ok(ts_cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 99.99"));
    ts_assert_array(ts_cmd(c, "CONFIG GET latency-tracking-info-percentiles"), "latency-tracking-info-percentiles",
                    "50 99.99");
    cr_assert(info_has(c, "latencystats", "latency_percentiles_usec_get:p50="));
    cr_assert(info_has(c, "latencystats", ",p99.99="));
    ts_assert_error(ts_cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 101"),
                    "ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - "
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
    ts_assert_ok(ts_cmd(c, "CONFIG SET latency-tracking no"));
    ts_assert_ok(ts_cmd(c, "CONFIG RESETSTAT"));
    ts_assert_ok(ts_cmd(c, "SET k v2"));
    cr_assert_not(info_has(c, "latencystats", "latency_percentiles_usec_set"), "tracked with latency-tracking no");
    redisFree(c);
}

/* Redis 7.0's INFO fields that dashboards and exporters read: the server
 * section's identity, instantaneous rates, pubsub counts of distinct
 * channels whichever shards their subscribers sit on, and the sections
 * Redis lists in the default set. */
TS_TEST(stats, info_fields_exporters_read)
{
    redisContext *c = ts_connect(g_server);
    char *text = info(c, "");
    static const char *const sections[] = {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                                           "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster",
                                           "# Keyspace"};
    const char *at = text;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        const char *s = strstr(at, sections[i]);
        cr_expect(s, "INFO lacks %s or has it out of Redis's order", sections[i]);
        if (s) at = s;
    }
    const char *run_id = info_line(text, "", "run_id");
    cr_assert(run_id && strspn(run_id, "0123456789abcdef") == 40, "run_id: %s", run_id ? run_id : "(none)");
    char first[41];
    memcpy(first, run_id, 40);
    first[40] = '\0';
    cr_expect(info_line(text, "", "executable") && info_line(text, "", "server_time_usec"));
    cr_expect(info_line(text, "", "configured_hz") && info_line(text, "", "lru_clock"));
    cr_expect(info_line(text, "", "cluster_enabled") && *info_line(text, "", "cluster_enabled") == '0');
    free(text);
    text = info(c, "server");
    cr_expect(strncmp(info_line(text, "", "run_id"), first, 40) == 0, "run_id changed between calls");
    free(text);

    /* several connections, spread over the shards, share channels */
    enum { N = 6 };
    redisContext *sub[N];
    for (int i = 0; i < N; i++) {
        sub[i] = ts_connect(g_server);
        redisReply *r = ts_cmd(sub[i], "SUBSCRIBE shared own%d", i);
        freeReplyObject(r);
        freeReplyObject(ts_reply(sub[i])); /* the second subscribe confirmation */
    }
    redisReply *p = ts_cmd(sub[0], "PSUBSCRIBE pat*");
    freeReplyObject(p);
    cr_expect_eq(ts_info_ll(c, "pubsub_channels"), N + 1);
    cr_expect_eq(ts_info_ll(c, "pubsub_patterns"), 1);
    cr_expect_eq(ts_info_ll(c, "pubsubshard_channels"), 0);
    for (int i = 0; i < N; i++) redisFree(sub[i]);

    /* a rate appears while commands run (sampled every 100 ms) */
    long long reads = ts_info_ll(c, "total_reads_processed");
    long long ops = 0;
    for (int round = 0; round < 40 && ops == 0; round++) {
        for (int i = 0; i < 200; i++) ts_append(c, "SET rate:%d %d", i, i);
        for (int i = 0; i < 200; i++) freeReplyObject(ts_reply(c));
        ts_sleep_ms(25);
        ops = ts_info_ll(c, "instantaneous_ops_per_sec");
    }
    cr_expect_gt(ops, 0, "instantaneous_ops_per_sec stayed 0 under load");
    cr_expect_gt(ts_info_ll(c, "total_reads_processed"), reads);
    redisFree(c);
}
