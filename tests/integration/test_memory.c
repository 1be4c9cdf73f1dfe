/* test_memory.c — maxmemory as Redis 7.0 has it: the maxmemory,
 * maxmemory-policy (all 8 policies), maxmemory-samples,
 * maxmemory-eviction-tenacity, lfu-* and lazyfree-lazy-* directives on the
 * command line, in a config file and through CONFIG SET/GET; INFO memory;
 * eviction under each policy (the budget held while writing several times
 * its size, which keys go: LRU keeps the recently used, LFU the frequently
 * used, volatile-* only keys with a TTL, volatile-ttl the nearest expiry
 * first); the OOM error under noeviction or with nothing evictable; a
 * maxmemory lowered at runtime; one budget for all shards even when every
 * key lives on one; OBJECT FREQ/IDLETIME by policy and RESTORE FREQ /
 * IDLETIME. Limits are set relative to used_memory measured at the start of
 * each test (an empty Redis holds ~1 MB, ringkv much less), and key counts
 * from the measured cost of one key, so that the same expectations hold on
 * redis-server 7.0 (suite 'redis'). LRU clocks tick in whole seconds on
 * both servers, so the LRU tests sleep a little over a second between the
 * keys that should look old and those that should look recent. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(memory, .timeout = 120);

#define MB (1024LL * 1024)
#define VALUE_LEN 1000
#define BATCH 100       /* pipelined commands per round trip */
#define CHECK_EVERY 500 /* writes between used_memory checks */

#define OOM "OOM command not allowed when used memory > 'maxmemory'."
#define LFU_OFF                                                                                              \
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "     \
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
#define LFU_ON                                                                                               \
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "      \
    "between policies at runtime LRU and LFU data will take some time to adjust."
#define CFG_ERR(name) "ERR CONFIG SET failed (possibly related to argument '" name "') - "
#define BAD_POLICY                                                                                           \
    CFG_ERR("maxmemory-policy")                                                                              \
    "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, " \
    "allkeys-lru, allkeys-lfu, allkeys-random, noeviction"

static const char *const POLICIES[] = {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                       "allkeys-lru",  "allkeys-lfu",  "allkeys-random",  "noeviction"};

/* The value every filled key holds (NUL-terminated for ts_assert_bulk). */
static char g_value[VALUE_LEN + 1];

static const char *value(void)
{
    if (!g_value[0]) {
        for (int i = 0; i < VALUE_LEN; i++) g_value[i] = (char)('a' + i % 26);
        g_value[VALUE_LEN] = '\0';
    }
    return g_value;
}

/* ---- INFO and CONFIG ------------------------------------------------- */

/* The text of `field` in INFO `section`, copied into buf; false if absent. */
static bool info_str(redisContext *c, const char *section, const char *field, char *buf, size_t cap)
{
    redisReply *r = ts_cmd(c, "INFO %s", section);
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "INFO %s: reply type %d", section, r->type);
    size_t flen = strlen(field);
    bool found = false;
    for (const char *p = r->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
            const char *v = p + flen + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= cap) n = cap - 1;
            memcpy(buf, v, n);
            buf[n] = '\0';
            found = true;
            break;
        }
    }
    freeReplyObject(r);
    return found;
}

static long long info_num(redisContext *c, const char *section, const char *field)
{
    char buf[128];
    cr_assert(info_str(c, section, field, buf, sizeof buf), "INFO %s has no %s", section, field);
    char *end;
    long long v = strtoll(buf, &end, 10);
    cr_assert(end != buf && *end == '\0', "INFO %s: %s:%s is not an integer", section, field, buf);
    return v;
}

static void expect_info(redisContext *c, const char *section, const char *field, const char *want)
{
    char buf[128];
    cr_assert(info_str(c, section, field, buf, sizeof buf), "INFO %s has no %s", section, field);
    cr_assert_str_eq(buf, want, "INFO %s: %s:%s, want %s", section, field, buf, want);
}

static long long used_memory(redisContext *c) { return info_num(c, "memory", "used_memory"); }
static long long evicted_keys(redisContext *c) { return info_num(c, "stats", "evicted_keys"); }

/* Keys with a TTL in db0 (INFO keyspace), 0 when db0 is empty. */
static long long db0_expires(redisContext *c)
{
    char buf[128];
    if (!info_str(c, "keyspace", "db0", buf, sizeof buf)) return 0;
    const char *e = strstr(buf, "expires=");
    cr_assert(e, "INFO keyspace: db0:%s", buf);
    return strtoll(e + 8, NULL, 10);
}

static long long int_reply(redisReply *r, const char *what)
{
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s: reply type %d (%s)", what, r->type,
                 r->type == REDIS_REPLY_ERROR ? r->str : "");
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static long long dbsize(redisContext *c) { return int_reply(ts_cmd(c, "DBSIZE"), "DBSIZE"); }

static void config_set(redisContext *c, const char *name, const char *v)
{
    ts_assert_ok(ts_cmd(c, "CONFIG SET %s %s", name, v));
}

static void config_set_ll(redisContext *c, const char *name, long long v)
{
    ts_assert_ok(ts_cmd(c, "CONFIG SET %s %lld", name, v));
}

static void expect_config(redisContext *c, const char *name, const char *want)
{
    ts_assert_array(ts_cmd(c, "CONFIG GET %s", name), name, want);
}

/* An error reply that starts with prefix (the rest differs by version). */
static void expect_error_prefix(redisReply *r, const char *what, const char *prefix)
{
    cr_assert(r->type == REDIS_REPLY_ERROR && strncmp(r->str, prefix, strlen(prefix)) == 0,
              "%s: got type %d \"%s\", want an error starting \"%s\"", what, r->type,
              r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STATUS ? r->str : "", prefix);
    freeReplyObject(r);
}

/* ---- filling ----------------------------------------------------------- */

struct fill {
    long long limit;          /* maxmemory to hold used_memory to (0: none) */
    long long slack;
    const char *allow_error;  /* the only error a write may get (NULL: none) */
    long long ok, errors;
    char first_error[256];
};

/* What used_memory may exceed maxmemory by: ~10% + 1 MB (eviction works
 * per command, client buffers count, ringkv's shards see each other's
 * figures a step late). */
static long long slack_for(long long limit) { return limit / 10 + MB; }

static void check_used(redisContext *c, const struct fill *f, const char *prefix, long i)
{
    if (!f->limit) return;
    long long u = used_memory(c);
    cr_assert_leq(u, f->limit + f->slack, "used_memory %lld over maxmemory %lld + slack %lld at %s:%ld", u, f->limit,
                  f->slack, prefix, i);
}

/* SETs "<prefix>:<i>" for i in [from, to) to VALUE_LEN bytes (with EX ex when
 * ex > 0), BATCH pipelined at a time; counts the replies, checks used_memory
 * every CHECK_EVERY writes. With stop_on_error it stops after the first
 * batch that had an error. Returns the index after the last key sent. */
static long fill_keys(redisContext *c, const char *prefix, long from, long to, long long ex, struct fill *f,
                      bool stop_on_error)
{
    const char *v = value();
    long i = from;
    while (i < to) {
        long end = i + BATCH < to ? i + BATCH : to;
        for (long k = i; k < end; k++) {
            if (ex > 0) ts_append(c, "SET %s:%ld %b EX %lld", prefix, k, v, (size_t)VALUE_LEN, ex);
            else ts_append(c, "SET %s:%ld %b", prefix, k, v, (size_t)VALUE_LEN);
        }
        bool failed = false;
        for (long k = i; k < end; k++) {
            redisReply *r = ts_reply(c);
            if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0) {
                f->ok++;
            } else {
                char d[256];
                ts_reply_describe(r, d, sizeof d);
                if (!f->errors) snprintf(f->first_error, sizeof f->first_error, "%s", d);
                f->errors++;
                failed = true;
                bool allowed = f->allow_error && r->type == REDIS_REPLY_ERROR && strcmp(r->str, f->allow_error) == 0;
                cr_assert(allowed, "SET %s:%ld: %s", prefix, k, d);
            }
            freeReplyObject(r);
        }
        long done_before = (i - from) / CHECK_EVERY;
        i = end;
        if ((i - from) / CHECK_EVERY != done_before || i == to) check_used(c, f, prefix, i);
        if (failed && stop_on_error) break;
    }
    return i;
}

/* How many of "<prefix>:<i>", i in [from, to), exist (EXISTS does not
 * count as an access on either server). */
/* Until evictions stop (a shard may go on after the last write: in the
 * background, or woken by another that left an eviction to it). */
static void eviction_settled(redisContext *c)
{
    long long last = evicted_keys(c);
    for (int tries = 0; tries < 100; tries++) {
        ts_sleep_ms(30);
        long long now = evicted_keys(c);
        if (now == last) return;
        last = now;
    }
}

static long count_present(redisContext *c, const char *prefix, long from, long to)
{
    eviction_settled(c);
    long n = 0;
    for (long i = from; i < to; i += BATCH) {
        long end = i + BATCH < to ? i + BATCH : to;
        for (long k = i; k < end; k++) ts_append(c, "EXISTS %s:%ld", prefix, k);
        for (long k = i; k < end; k++) n += int_reply(ts_reply(c), "EXISTS");
    }
    return n;
}

/* GET "<prefix>:<i>" for i in [from, to), `times` times each: accesses. */
static void touch_keys(redisContext *c, const char *prefix, long from, long to, int times)
{
    for (int t = 0; t < times; t++)
        for (long i = from; i < to; i += BATCH) {
            long end = i + BATCH < to ? i + BATCH : to;
            for (long k = i; k < end; k++) ts_append(c, "GET %s:%ld", prefix, k);
            for (long k = i; k < end; k++) {
                redisReply *r = ts_reply(c);
                cr_assert(r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL, "GET %s:%ld: type %d", prefix,
                          k, r->type);
                freeReplyObject(r);
            }
        }
}

static void del_keys(redisContext *c, const char *prefix, long from, long to)
{
    for (long i = from; i < to; i += BATCH) {
        long end = i + BATCH < to ? i + BATCH : to;
        for (long k = i; k < end; k++) ts_append(c, "DEL %s:%ld", prefix, k);
        for (long k = i; k < end; k++) int_reply(ts_reply(c), "DEL");
    }
}

/* The names spread over the 4 shards (at --shards 4 the test then really
 * spans them). */
static void assert_prefix_spread(const char *prefix)
{
    char buf[16][32];
    const char *names[16];
    for (int i = 0; i < 16; i++) {
        snprintf(buf[i], sizeof buf[i], "%s:%d", prefix, i);
        names[i] = buf[i];
    }
    ts_assert_spread(names, 16, 4);
}

/* A budget of `extra` bytes over what the server holds now, with the
 * number of VALUE_LEN keys it fits (from the measured cost of one). */
struct budget {
    long long start, limit, cost;
    long keys;
};

static struct budget set_budget(redisContext *c, long long extra)
{
    struct budget b;
    long long before = used_memory(c);
    struct fill f = {0};
    fill_keys(c, "cal", 0, 2000, 0, &f, false);
    b.cost = (used_memory(c) - before) / 2000;
    del_keys(c, "cal", 0, 2000);
    cr_assert(b.cost >= VALUE_LEN && b.cost <= 4 * VALUE_LEN, "one %d-byte key costs %lld bytes of used_memory?",
              VALUE_LEN, b.cost);
    b.start = used_memory(c);
    b.limit = b.start + extra;
    b.keys = (long)(extra / b.cost);
    config_set_ll(c, "maxmemory", b.limit);
    return b;
}

static struct fill fill_for(const struct budget *b)
{
    return (struct fill){.limit = b->limit, .slack = slack_for(b->limit)};
}

/* A test on its own server started with --maxmemory-policy `policy` (so
 * the keyspace tracks accesses as the policy wants from the first key),
 * given a connection to it. */
#define MEM_TEST(name, policy, ...)                                                   \
    static void mem_body_##name(redisContext *c);                                     \
    Test(memory, name, .fini = ts_fixture_fini, ##__VA_ARGS__)                        \
    {                                                                                 \
        g_server = ts_start("--maxmemory-policy", policy, NULL);                      \
        redisContext *c = ts_connect(g_server);                                       \
        mem_body_##name(c);                                                           \
        redisFree(c);                                                                 \
        ts_fixture_stop();                                                            \
    }                                                                                 \
    static void mem_body_##name(redisContext *c)

/* ---- directives ------------------------------------------------------- */

static void expect_directives(redisContext *c, const char *policy, const char *samples)
{
    expect_config(c, "maxmemory", "104857600");
    expect_config(c, "maxmemory-policy", policy);
    expect_config(c, "maxmemory-samples", samples);
    expect_config(c, "lazyfree-lazy-eviction", "yes");
    expect_info(c, "memory", "maxmemory", "104857600");
    expect_info(c, "memory", "maxmemory_human", "100.00M");
    expect_info(c, "memory", "maxmemory_policy", policy);
}

/* Units on the command line: CONFIG GET and INFO show bytes. */
Test(memory, directives_on_the_command_line, .fini = ts_fixture_fini)
{
    g_server = ts_start("--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "10",
                        "--lazyfree-lazy-eviction", "yes", "--maxmemory-eviction-tenacity", "20", NULL);
    redisContext *c = ts_connect(g_server);
    expect_directives(c, "allkeys-lru", "10");
    expect_config(c, "maxmemory-eviction-tenacity", "20");
    redisFree(c);
    ts_fixture_stop();
}

Test(memory, directives_in_a_config_file, .fini = ts_fixture_fini)
{
    g_server = ts_start_with_config("maxmemory 100MB\n"
                                    "maxmemory-policy volatile-ttl\n"
                                    "maxmemory-samples 3\n"
                                    "lfu-log-factor 5\n"
                                    "lfu-decay-time 2\n"
                                    "lazyfree-lazy-eviction yes\n"
                                    "lazyfree-lazy-user-del yes\n",
                                    NULL, NULL);
    redisContext *c = ts_connect(g_server);
    expect_directives(c, "volatile-ttl", "3");
    expect_config(c, "lfu-log-factor", "5");
    expect_config(c, "lfu-decay-time", "2");
    expect_config(c, "lazyfree-lazy-user-del", "yes");
    expect_config(c, "lazyfree-lazy-expire", "no");
    redisFree(c);
    ts_fixture_stop();
}

/* The defaults, CONFIG SET with units, every policy name (any case, shown
 * in lower case), and the refusals with Redis's messages. */
TS_TEST(memory, config_set_and_get)
{
    redisContext *c = ts_connect(g_server);
    expect_config(c, "maxmemory", "0");
    expect_config(c, "maxmemory-policy", "noeviction");
    expect_config(c, "maxmemory-samples", "5");
    expect_config(c, "maxmemory-eviction-tenacity", "10");
    expect_config(c, "lfu-log-factor", "10");
    expect_config(c, "lfu-decay-time", "1");
    expect_config(c, "lazyfree-lazy-eviction", "no");

    config_set(c, "maxmemory", "1gb");
    expect_config(c, "maxmemory", "1073741824");
    expect_info(c, "memory", "maxmemory", "1073741824");
    expect_info(c, "memory", "maxmemory_human", "1.00G");
    config_set(c, "maxmemory", "10MB");
    expect_config(c, "maxmemory", "10485760");
    config_set(c, "maxmemory", "100k");
    expect_config(c, "maxmemory", "100000");
    config_set(c, "maxmemory", "0");
    expect_config(c, "maxmemory", "0");
    expect_info(c, "memory", "maxmemory", "0");
    expect_info(c, "memory", "maxmemory_human", "0B");
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory abc"), CFG_ERR("maxmemory") "argument must be a memory value");
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory 5x"), CFG_ERR("maxmemory") "argument must be a memory value");
    expect_config(c, "maxmemory", "0");

    for (size_t i = 0; i < sizeof POLICIES / sizeof POLICIES[0]; i++) {
        config_set(c, "maxmemory-policy", POLICIES[i]);
        expect_config(c, "maxmemory-policy", POLICIES[i]);
        expect_info(c, "memory", "maxmemory_policy", POLICIES[i]);
    }
    config_set(c, "maxmemory-policy", "ALLKEYS-LFU");
    expect_config(c, "maxmemory-policy", "allkeys-lfu");
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory-policy allkeys-fifo"), BAD_POLICY);
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory-policy %s", ""), BAD_POLICY);
    expect_config(c, "maxmemory-policy", "allkeys-lfu"); /* unchanged */

    config_set(c, "maxmemory-samples", "10");
    expect_config(c, "maxmemory-samples", "10");
    /* The upper bound differs (Redis 7.0: INT_MAX; 7.2 and ringkv: 64). */
    expect_error_prefix(ts_cmd(c, "CONFIG SET maxmemory-samples 0"), "maxmemory-samples 0",
                        CFG_ERR("maxmemory-samples") "argument must be between 1 and ");
    expect_error_prefix(ts_cmd(c, "CONFIG SET maxmemory-samples -5"), "maxmemory-samples -5",
                        CFG_ERR("maxmemory-samples") "argument must be between 1 and ");
    expect_config(c, "maxmemory-samples", "10");
    config_set(c, "maxmemory-eviction-tenacity", "100");
    ts_assert_error(ts_cmd(c, "CONFIG SET maxmemory-eviction-tenacity 101"),
                    CFG_ERR("maxmemory-eviction-tenacity") "argument must be between 0 and 100 inclusive");
    expect_config(c, "maxmemory-eviction-tenacity", "100");
    config_set(c, "lfu-log-factor", "0");
    expect_config(c, "lfu-log-factor", "0");
    config_set(c, "lfu-decay-time", "0");
    expect_config(c, "lfu-decay-time", "0");
    ts_assert_error(ts_cmd(c, "CONFIG SET lfu-log-factor -1"),
                    CFG_ERR("lfu-log-factor") "argument must be between 0 and 2147483647 inclusive");

    static const char *const lazy[] = {"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
                                       "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"};
    for (size_t i = 0; i < sizeof lazy / sizeof lazy[0]; i++) {
        config_set(c, lazy[i], "yes");
        expect_config(c, lazy[i], "yes");
        config_set(c, lazy[i], "no");
        expect_config(c, lazy[i], "no");
    }
    config_set(c, "lazyfree-lazy-eviction", "yes");
    expect_config(c, "lazyfree-lazy-eviction", "yes");
    ts_assert_error(ts_cmd(c, "CONFIG SET lazyfree-lazy-eviction maybe"),
                    CFG_ERR("lazyfree-lazy-eviction") "argument must be 'yes' or 'no'");
    redisFree(c);
}

/* INFO memory's fields; used_memory follows the data, used_memory_peak
 * remembers it after a FLUSHALL. */
TS_TEST(memory, info_memory_fields)
{
    redisContext *c = ts_connect(g_server);
    static const char *const fields[] = {"used_memory",      "used_memory_human", "used_memory_peak",
                                         "used_memory_peak_human", "maxmemory", "maxmemory_human",
                                         "maxmemory_policy", "used_memory_overhead", "used_memory_startup",
                                         "used_memory_dataset", "used_memory_dataset_perc", "allocator_allocated",
                                         "allocator_active", "allocator_resident", "total_system_memory",
                                         "mem_fragmentation_ratio", "mem_clients_normal", "mem_allocator"};
    char buf[128];
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        cr_assert(info_str(c, "memory", fields[i], buf, sizeof buf), "INFO memory has no %s", fields[i]);
    expect_info(c, "memory", "maxmemory", "0");
    expect_info(c, "memory", "maxmemory_policy", "noeviction");
    /* INFO (no section) and INFO all have the section too. */
    cr_assert(info_str(c, "default", "maxmemory_policy", buf, sizeof buf));
    cr_assert(info_str(c, "all", "used_memory_peak", buf, sizeof buf));

    long long before = used_memory(c);
    cr_assert_gt(before, 0);
    struct fill f = {0};
    fill_keys(c, "k", 0, 3000, 0, &f, false);
    long long full = used_memory(c);
    cr_assert_geq(full - before, 3000LL * VALUE_LEN, "used_memory %lld -> %lld after 3000 keys of %d bytes", before,
                  full, VALUE_LEN);
    /* The values are dataset, not overhead. */
    long long dataset = info_num(c, "memory", "used_memory_dataset");
    cr_assert_geq(dataset, 3000LL * VALUE_LEN, "used_memory_dataset %lld after 3000 keys of %d bytes", dataset,
                  VALUE_LEN);
    cr_assert_leq(info_num(c, "memory", "used_memory_overhead") + dataset, full + 64 * 1024);
    cr_assert_geq(info_num(c, "memory", "used_memory_peak"), full);
    ts_sleep_ms(300); /* the peak is sampled by the timer too (Redis's serverCron) */
    ts_assert_ok(ts_cmd(c, "FLUSHALL"));
    long long after = used_memory(c);
    cr_assert_lt(after, full - 2000LL * VALUE_LEN, "used_memory %lld after FLUSHALL, %lld before", after, full);
    /* ringkv samples the peak on its timer only, so INFO's own buffers at
     * the time `full` was read may be missing from it: 64 KB of leeway. */
    long long peak = info_num(c, "memory", "used_memory_peak");
    cr_assert_geq(peak, full - 64 * 1024, "used_memory_peak %lld after FLUSHALL, used_memory was %lld", peak, full);
    redisFree(c);
}

/* ---- eviction ------------------------------------------------------------ */

/* DBSIZE and evicted_keys at one moment: a shard may still be evicting
 * after the last write (a lowered budget is reached in the background),
 * so they are read until no eviction fell between. */
static void settled_counts(redisContext *c, long long *left, long long *evicted)
{
    for (int tries = 0; tries < 100; tries++) {
        long long before = evicted_keys(c);
        *left = dbsize(c);
        *evicted = evicted_keys(c);
        if (*evicted == before) return;
        ts_sleep_ms(20);
    }
}

/* Writing 4x the budget never fails, used_memory stays within it, what
 * was evicted plus what is left is what was written, and the recent keys
 * are there while the first ones are mostly gone. */
MEM_TEST(allkeys_lru_stays_within_budget, "allkeys-lru")
{
    assert_prefix_spread("k");
    struct budget b = set_budget(c, 8 * MB);
    struct fill f = fill_for(&b);
    long n = 4 * b.keys;
    fill_keys(c, "k", 0, n, 0, &f, false);
    cr_assert_eq(f.errors, 0);
    long long evicted, left;
    settled_counts(c, &left, &evicted);
    cr_assert_gt(evicted, 0);
    cr_assert_eq(left + evicted, n, "DBSIZE %lld + evicted_keys %lld, %ld keys written", left, evicted, n);
    cr_assert_geq(left, b.keys / 2, "%lld keys left of the %ld that fit: the budget is not used", left, b.keys);
    long long u = used_memory(c);
    cr_assert_geq(u, b.start + 8 * MB / 2, "used_memory %lld, budget %lld..%lld", u, b.start, b.limit);
    long recent = count_present(c, "k", n - 200, n);
    /* 70%, as the LFU test: random eviction keeps ~40%; 144 seen at 4
     * shards on a loaded machine, where the shards' published candidates
     * lag and a shard evicts some of its own fresh keys. */
    cr_assert_geq(recent, 140, "%ld of the last 200 keys written left", recent);
    long first = count_present(c, "k", 0, 1000);
    cr_assert_leq(first, 200, "%ld of the first 1000 keys written left", first);
}

/* Fill to the limit, let a second pass, then keep reading a hot 5% of the
 * old keys while writing as many new keys as fit: the hot keys stay, the
 * other old ones go. */
MEM_TEST(allkeys_lru_keeps_recently_used_keys, "allkeys-lru")
{
    struct budget b = set_budget(c, 8 * MB);
    struct fill f = fill_for(&b);
    long old = b.keys, hot = b.keys / 20;
    fill_keys(c, "old", 0, old, 0, &f, false);
    ts_sleep_ms(2200); /* the old keys' LRU clocks (1 s resolution) fall two seconds behind */
    for (long w = 0; w < b.keys; w += 500) {
        touch_keys(c, "old", 0, hot, 1);
        fill_keys(c, "new", w, w + 500, 0, &f, false);
    }
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    long hot_left = count_present(c, "old", 0, hot), cold_left = count_present(c, "old", hot, old);
    /* Redis and one shard keep them all. With several shards the choice
     * across shards goes by each shard's published best candidate, a
     * little stale under load: 77-100% kept at 4 shards in CI runs (54-80%
     * before shards compared candidates at all; random eviction ~50%). */
    cr_assert_gt(hot_left * 100, hot * 70, "%ld of %ld hot keys left", hot_left, hot);
    cr_assert_lt(cold_left * 100, (old - hot) * 20, "%ld of %ld untouched old keys left", cold_left, old - hot);
}

/* The same with LFU: a hot 5% of the keys read between the writes keeps a
 * higher counter than the keys written once, and stays. */
MEM_TEST(allkeys_lfu_keeps_frequently_used_keys, "allkeys-lfu")
{
    struct budget b = set_budget(c, 8 * MB);
    struct fill f = fill_for(&b);
    long old = b.keys, hot = b.keys / 20;
    fill_keys(c, "old", 0, old, 0, &f, false);
    touch_keys(c, "old", 0, hot, 3);
    for (long w = 0; w < b.keys; w += 500) {
        touch_keys(c, "old", 0, hot, 1);
        fill_keys(c, "new", w, w + 500, 0, &f, false);
    }
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    long hot_left = count_present(c, "old", 0, hot), cold_left = count_present(c, "old", hot, old);
    /* As with LRU, several shards compare slightly stale candidates: 75%
     * kept at 4 shards on a loaded machine (random eviction keeps ~40%). */
    cr_assert_gt(hot_left * 100, hot * 70, "%ld of %ld hot keys left", hot_left, hot);
    cr_assert_lt(cold_left * 100, (old - hot) * 80, "%ld of %ld never-read old keys left", cold_left, old - hot);
}

/* OBJECT FREQ answers under an LFU policy only, OBJECT IDLETIME under the
 * others; a new key starts at LFU_INIT_VAL (5) and reads raise it. The
 * policy takes effect for the very next command. */
TS_TEST(memory, object_freq_and_idletime_follow_the_policy)
{
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_error(ts_cmd(c, "OBJECT FREQ k"), LFU_OFF);
    long long idle = int_reply(ts_cmd(c, "OBJECT IDLETIME k"), "OBJECT IDLETIME");
    cr_assert(idle >= 0 && idle <= 2, "OBJECT IDLETIME %lld of a new key", idle);

    config_set(c, "maxmemory-policy", "allkeys-lfu");
    ts_assert_ok(ts_cmd(c, "SET fresh v"));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ fresh"), 5);
    ts_assert_ok(ts_cmd(c, "SET hot v"));
    for (int i = 0; i < 100; i++) ts_assert_bulk(ts_cmd(c, "GET hot"), "v");
    long long freq = int_reply(ts_cmd(c, "OBJECT FREQ hot"), "OBJECT FREQ hot");
    cr_assert(freq > 5 && freq <= 255, "OBJECT FREQ %lld after 100 reads, 5 for a key never read", freq);
    ts_assert_int(ts_cmd(c, "OBJECT FREQ fresh"), 5); /* OBJECT FREQ itself is no access */
    ts_assert_error(ts_cmd(c, "OBJECT IDLETIME hot"), LFU_ON);
    ts_assert_nil(ts_cmd(c, "OBJECT FREQ missing"));
    /* lfu-log-factor 0 (and no decay): every read counts, at once. */
    config_set(c, "lfu-log-factor", "0");
    config_set(c, "lfu-decay-time", "0");
    ts_assert_ok(ts_cmd(c, "SET counted v"));
    for (int i = 0; i < 100; i++) ts_assert_bulk(ts_cmd(c, "GET counted"), "v");
    ts_assert_int(ts_cmd(c, "OBJECT FREQ counted"), 105);
    for (int i = 0; i < 200; i++) ts_assert_bulk(ts_cmd(c, "GET counted"), "v");
    ts_assert_int(ts_cmd(c, "OBJECT FREQ counted"), 255); /* saturates */

    config_set(c, "maxmemory-policy", "volatile-lfu");
    long long again = int_reply(ts_cmd(c, "OBJECT FREQ hot"), "OBJECT FREQ hot");
    cr_assert_eq(again, freq, "OBJECT FREQ %lld after switching to volatile-lfu, %lld before", again, freq);

    config_set(c, "maxmemory-policy", "volatile-lru");
    ts_assert_error(ts_cmd(c, "OBJECT FREQ hot"), LFU_OFF);
    ts_assert_ok(ts_cmd(c, "SET later v"));
    idle = int_reply(ts_cmd(c, "OBJECT IDLETIME later"), "OBJECT IDLETIME");
    cr_assert(idle >= 0 && idle <= 2, "OBJECT IDLETIME %lld of a new key under volatile-lru", idle);
    redisFree(c);
}

/* Under each volatile-* policy only keys with a TTL are evicted; once none
 * is left, writes (even with a TTL) get the OOM error while reads and DEL
 * still work. */
static void volatile_policy(const char *policy)
{
    g_server = ts_start("--maxmemory-policy", policy, NULL);
    redisContext *c = ts_connect(g_server);
    struct budget b = set_budget(c, 6 * MB);
    struct fill f = fill_for(&b);
    long persistent = b.keys / 4;
    fill_keys(c, "p", 0, persistent, 0, &f, false);
    fill_keys(c, "v", 0, 2 * b.keys, 3600, &f, false);
    cr_assert_eq(f.errors, 0, "%s: %lld writes failed, first: %s", policy, f.errors, f.first_error);
    cr_assert_gt(evicted_keys(c), 0, "%s: nothing evicted", policy);
    long p = count_present(c, "p", 0, persistent);
    cr_assert_eq(p, persistent, "%s: %ld of %ld keys without TTL left", policy, p, persistent);
    cr_assert_lt(count_present(c, "v", 0, 2 * b.keys), 2 * b.keys);

    f.allow_error = OOM;
    long sent = fill_keys(c, "q", 0, 2 * b.keys, 0, &f, true);
    cr_assert_gt(f.errors, 0, "%s: no OOM after %ld more keys without TTL", policy, sent);
    cr_assert_eq(db0_expires(c), 0, "%s: refused writes while keys with a TTL were left", policy);
    config_set_ll(c, "maxmemory", used_memory(c) - MB); /* firmly over: nothing more to evict */
    p = count_present(c, "p", 0, persistent);
    cr_assert_eq(p, persistent, "%s: %ld of %ld keys without TTL left", policy, p, persistent);
    ts_assert_error(ts_cmd(c, "SET q:x v"), OOM);
    ts_assert_error(ts_cmd(c, "SET q:y v EX 100"), OOM);
    ts_assert_bulk(ts_cmd(c, "GET p:0"), value());
    ts_assert_int(ts_cmd(c, "EXISTS p:0 p:1"), 2);
    ts_assert_int(ts_cmd(c, "DEL p:0"), 1);
    redisFree(c);
    ts_fixture_stop();
}

Test(memory, volatile_policies_evict_only_keys_with_a_ttl, .fini = ts_fixture_fini)
{
    volatile_policy("volatile-lru");
    volatile_policy("volatile-lfu");
    volatile_policy("volatile-random");
    volatile_policy("volatile-ttl");
}

/* No key has a TTL at all: a volatile policy refuses writes at once over
 * the limit; freeing room lets them in again. */
MEM_TEST(volatile_policy_without_ttl_keys_refuses_writes, "volatile-random")
{
    struct budget b = set_budget(c, 4 * MB);
    struct fill f = fill_for(&b);
    f.allow_error = OOM;
    long sent = fill_keys(c, "k", 0, 3 * b.keys, 0, &f, true);
    cr_assert_gt(f.errors, 0, "no OOM after %ld keys, %ld fit", sent, b.keys);
    cr_assert_geq(f.ok, b.keys / 2, "OOM after %lld keys, %ld fit", f.ok, b.keys);
    cr_assert_eq(evicted_keys(c), 0);
    config_set_ll(c, "maxmemory", used_memory(c) - MB); /* firmly over */
    cr_assert_eq(dbsize(c), f.ok);
    ts_assert_error(ts_cmd(c, "SET t v EX 100"), OOM);
    ts_assert_bulk(ts_cmd(c, "GET k:0"), value());
    del_keys(c, "k", 0, f.ok * 3 / 4);
    ts_assert_ok(ts_cmd(c, "SET t v EX 100"));
}

/* volatile-ttl: keys that expire soonest go first, whenever they were
 * written (LRU would take the oldest). */
MEM_TEST(volatile_ttl_evicts_nearest_expiry_first, "volatile-ttl")
{
    struct budget b = set_budget(c, 6 * MB);
    struct fill f = fill_for(&b);
    long far = b.keys * 4 / 10, near = b.keys * 6 / 10, mid = b.keys * 8 / 10;
    fill_keys(c, "far", 0, far, 50000, &f, false);
    fill_keys(c, "near", 0, near, 1000, &f, false);
    fill_keys(c, "mid", 0, mid, 20000, &f, false);
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    long far_left = count_present(c, "far", 0, far), near_left = count_present(c, "near", 0, near);
    cr_assert_gt(far_left * 100, far * 85, "%ld of %ld keys with the farthest expiry left", far_left, far);
    cr_assert_lt(near_left * 100, near * 20, "%ld of %ld keys with the nearest expiry left", near_left, near);
}

MEM_TEST(allkeys_random_evicts, "allkeys-random")
{
    struct budget b = set_budget(c, 6 * MB);
    struct fill f = fill_for(&b);
    long n = 3 * b.keys;
    fill_keys(c, "k", 0, n, 0, &f, false);
    cr_assert_eq(f.errors, 0);
    long long evicted, left;
    settled_counts(c, &left, &evicted);
    cr_assert_gt(evicted, 0);
    cr_assert_eq(left + evicted, n, "DBSIZE %lld + evicted_keys %lld, %ld keys written", left, evicted, n);
    cr_assert_geq(left, b.keys / 2, "%lld keys left of the %ld that fit", left, b.keys);
    /* Random eviction spares no key, but a policy that took the newest
     * first would leave none of these. At 4 shards under CI load, shards
     * may evict past the limit while their figures catch up (the budget's
     * overshoot correction), taking recent keys too: 138 of 200 were seen. */
    long recent = count_present(c, "k", n - 200, n);
    cr_assert_geq(recent, 100, "%ld of the last 200 keys written left", recent);
}

/* noeviction: over the limit, writes get the OOM error (counted in INFO
 * errorstats) while reads and DEL work; deleting makes room again, and so
 * does lifting the limit. */
TS_TEST(memory, noeviction_refuses_writes_over_the_limit)
{
    redisContext *c = ts_connect(g_server);
    struct budget b = set_budget(c, 4 * MB);
    struct fill f = fill_for(&b);
    f.allow_error = OOM;
    long sent = fill_keys(c, "k", 0, 3 * b.keys, 0, &f, true);
    cr_assert_gt(f.errors, 0, "no OOM after %ld keys, %ld fit", sent, b.keys);
    cr_assert_geq(f.ok, b.keys / 2, "OOM after %lld keys, %ld fit", f.ok, b.keys);
    cr_assert_eq(evicted_keys(c), 0);
    long long u = used_memory(c);
    cr_assert_leq(u, b.limit + slack_for(b.limit));
    /* Firmly over (so that a client buffer shrinking meanwhile does not
     * let the next write in); noeviction evicts nothing for it. */
    config_set_ll(c, "maxmemory", u - MB);
    cr_assert_eq(dbsize(c), f.ok);
    ts_assert_error(ts_cmd(c, "SET k:x v"), OOM);
    ts_assert_error(ts_cmd(c, "RPUSH l a"), OOM);
    ts_assert_bulk(ts_cmd(c, "GET k:0"), value());
    ts_assert_int(ts_cmd(c, "EXISTS k:0 k:1 nosuch"), 2);
    ts_assert_int(ts_cmd(c, "DEL k:0"), 1);
    long long oom = f.errors + 2;
    char buf[128];
    cr_assert(info_str(c, "errorstats", "errorstat_OOM", buf, sizeof buf), "INFO errorstats has no errorstat_OOM");
    long long counted = -1;
    cr_assert_eq(sscanf(buf, "count=%lld", &counted), 1, "errorstat_OOM:%s", buf);
    cr_assert_eq(counted, oom, "errorstat_OOM:%s, %lld OOM errors answered", buf, oom);

    del_keys(c, "k", 1, f.ok * 3 / 4);
    ts_assert_ok(ts_cmd(c, "SET k:x v"));
    ts_assert_int(ts_cmd(c, "RPUSH l a"), 1);

    struct fill g = fill_for(&b);
    g.allow_error = OOM;
    sent = fill_keys(c, "m", 0, 3 * b.keys, 0, &g, true);
    cr_assert_gt(g.errors, 0, "no OOM after %ld more keys", sent);
    config_set(c, "maxmemory", "0");
    ts_assert_ok(ts_cmd(c, "SET m:x v"));
    cr_assert_eq(evicted_keys(c), 0);
    redisFree(c);
}

/* CONFIG SET maxmemory to half of what is used: within 2 s the server is
 * back under it, answering meanwhile. */
MEM_TEST(lowering_maxmemory_evicts_promptly, "allkeys-lru")
{
    assert_prefix_spread("k");
    struct fill f = {0};
    long n = (long)(12 * MB / (VALUE_LEN + 200));
    fill_keys(c, "k", 0, n, 0, &f, false);
    cr_assert_eq(dbsize(c), n);
    long long full = used_memory(c), limit = full / 2, slack = slack_for(limit);
    /* A sanitized server is several times slower. */
    long long within = ts_server_sanitized() ? 10000 : 2000, answer = ts_server_sanitized() ? 2500 : 500;
    config_set_ll(c, "maxmemory", limit);
    long long t0 = ts_now_ms(), u = full, worst = 0;
    while (ts_now_ms() - t0 < within) {
        long long t = ts_now_ms();
        ts_assert_status(ts_cmd(c, "PING"), "PONG");
        u = used_memory(c);
        long long lat = ts_now_ms() - t;
        if (lat > worst) worst = lat;
        if (u <= limit + slack) break;
        ts_sleep_ms(20);
    }
    cr_assert_leq(u, limit + slack, "used_memory %lld %lld ms after maxmemory went from 0 to %lld (%lld used)", u,
                  ts_now_ms() - t0, limit, full);
    cr_assert_lt(worst, answer, "PING + INFO took %lld ms while evicting", worst);
    /* Once eviction has settled, a new key is not evicted at once. */
    long long evicted = evicted_keys(c);
    for (long long prev = -1; evicted != prev && ts_now_ms() - t0 < 2 * within; evicted = evicted_keys(c)) {
        prev = evicted;
        ts_sleep_ms(200);
    }
    long long left = dbsize(c);
    cr_assert_gt(evicted, 0);
    cr_assert_eq(left + evicted, n);
    cr_assert_lt(left, n * 7 / 10, "%lld of %ld keys left under half the memory", left, n);
    ts_assert_ok(ts_cmd(c, "SET after v"));
    ts_assert_bulk(ts_cmd(c, "GET after"), "v");
}

/* Every key on one shard ({tag}): that shard may use the whole budget,
 * not its share of it. */
MEM_TEST(skewed_keyspace_uses_the_whole_budget, "allkeys-lru")
{
    unsigned q = ts_key_quarter("{tag}:0");
    cr_assert_eq(ts_key_quarter("{tag}:12345"), q);
    struct budget b = set_budget(c, 8 * MB);
    struct fill f = fill_for(&b);
    fill_keys(c, "{tag}", 0, 2 * b.keys, 0, &f, false);
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    long long u = used_memory(c), left = dbsize(c);
    cr_assert_geq(u - b.start, 8 * MB * 7 / 10, "the keys hold %lld bytes of an %lld-byte budget", u - b.start,
                  8 * MB);
    cr_assert_geq(left, b.keys * 6 / 10, "%lld keys left of the %ld that fit", left, b.keys);
}

/* ---- RESTORE FREQ / IDLETIME -------------------------------------------- */

static char *dump_key(redisContext *c, const char *key, size_t *len)
{
    redisReply *r = ts_cmd(c, "DUMP %s", key);
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "DUMP %s", key);
    char *p = malloc(r->len);
    cr_assert(p);
    memcpy(p, r->str, r->len);
    *len = r->len;
    freeReplyObject(r);
    return p;
}

/* Under LFU, RESTORE ... FREQ sets the counter (IDLETIME is ignored), and
 * keys restored with a high one survive eviction. */
MEM_TEST(restore_freq_under_lfu, "allkeys-lfu")
{
    ts_assert_ok(ts_cmd(c, "SET src hello"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_ok(ts_cmd(c, "RESTORE f100 0 %b FREQ 100", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ f100"), 100);
    ts_assert_ok(ts_cmd(c, "RESTORE f0 0 %b FREQ 0", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ f0"), 0);
    ts_assert_ok(ts_cmd(c, "RESTORE f255 0 %b FREQ 255", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ f255"), 255);
    ts_assert_ok(ts_cmd(c, "RESTORE plain 0 %b", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ plain"), 5);
    ts_assert_ok(ts_cmd(c, "RESTORE idle 0 %b IDLETIME 1000", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ idle"), 5);
    ts_assert_error(ts_cmd(c, "OBJECT IDLETIME f100"), LFU_ON);
    ts_assert_ok(ts_cmd(c, "RESTORE f100 0 %b REPLACE FREQ 50", p, n));
    ts_assert_int(ts_cmd(c, "OBJECT FREQ f100"), 50);

    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "busy:%d", i);
        ts_assert_ok(ts_cmd(c, "RESTORE %s 0 %b FREQ 200", key, p, n));
    }
    struct budget b = set_budget(c, 6 * MB);
    struct fill f = fill_for(&b);
    fill_keys(c, "k", 0, 2 * b.keys, 0, &f, false);
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    ts_assert_int(ts_cmd(c, "EXISTS busy:0 busy:1 busy:2 busy:3 busy:4 busy:5 busy:6 busy:7 busy:8 busy:9 busy:10 "
                            "busy:11 busy:12 busy:13 busy:14 busy:15 busy:16 busy:17 busy:18 busy:19"),
                  20);
    free(p);
}

/* Under LRU, RESTORE ... IDLETIME backdates the key (FREQ is ignored), and
 * keys restored as long idle are evicted before fresh ones. */
MEM_TEST(restore_idletime_under_lru, "allkeys-lru")
{
    ts_assert_ok(ts_cmd(c, "SET src hello"));
    size_t n;
    char *p = dump_key(c, "src", &n);
    ts_assert_ok(ts_cmd(c, "RESTORE i1000 0 %b IDLETIME 1000", p, n));
    long long idle = int_reply(ts_cmd(c, "OBJECT IDLETIME i1000"), "OBJECT IDLETIME");
    cr_assert(idle >= 1000 && idle <= 1002, "OBJECT IDLETIME %lld after RESTORE ... IDLETIME 1000", idle);
    ts_assert_ok(ts_cmd(c, "RESTORE f100 0 %b FREQ 100", p, n));
    idle = int_reply(ts_cmd(c, "OBJECT IDLETIME f100"), "OBJECT IDLETIME");
    cr_assert(idle <= 2, "OBJECT IDLETIME %lld after RESTORE ... FREQ 100", idle);
    ts_assert_error(ts_cmd(c, "OBJECT FREQ f100"), LFU_OFF);

    char key[32];
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "stale:%d", i);
        ts_assert_ok(ts_cmd(c, "RESTORE %s 0 %b IDLETIME 100000", key, p, n));
    }
    struct budget b = set_budget(c, 6 * MB);
    struct fill f = fill_for(&b);
    fill_keys(c, "k", 0, 3 * b.keys, 0, &f, false);
    cr_assert_eq(f.errors, 0);
    cr_assert_gt(evicted_keys(c), 0);
    long stale = count_present(c, "stale", 0, 20), fresh = count_present(c, "k", 0, 3 * b.keys);
    /* Sampled eviction may miss a few (2 seen on a loaded machine);
     * random eviction would leave about a third. */
    cr_assert_leq(stale, 4, "%ld of 20 keys restored with IDLETIME 100000 left", stale);
    cr_assert_gt(fresh, b.keys / 2);
    free(p);
}

/* ---- MEMORY STATS, DOCTOR, MALLOC-STATS ----------------------------------- */

static long long stats_field(redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0) {
            redisReply *v = r->element[i + 1];
            return v->type == REDIS_REPLY_INTEGER ? v->integer : v->type == REDIS_REPLY_STRING ? atoll(v->str) : -1;
        }
    cr_assert_fail("MEMORY STATS has no %s", name);
    return -1;
}

static redisReply *stats_db(redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0) return r->element[i + 1];
    return NULL;
}

/* The server's memory as MEMORY STATS breaks it down: keys counted over
 * every shard, a db.N entry for each database holding keys, the totals
 * consistent with INFO. */
TS_TEST(memory, memory_stats)
{
    redisContext *c = ts_connect(g_server);
    struct fill f = {0};
    fill_keys(c, "k", 0, 2000, 0, &f, false);
    ts_assert_ok(ts_cmd(c, "SELECT 5"));
    ts_assert_ok(ts_cmd(c, "SET in5 v"));
    redisReply *r = ts_cmd(c, "MEMORY STATS");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(stats_field(r, "keys.count"), 2001);
    long long total = stats_field(r, "total.allocated");
    cr_assert_gt(total, 2000LL * VALUE_LEN);
    cr_assert_geq(stats_field(r, "peak.allocated"), total);
    cr_assert_leq(stats_field(r, "startup.allocated"), total);
    cr_assert_leq(stats_field(r, "overhead.total"), total);
    cr_assert_gt(stats_field(r, "dataset.bytes"), 2000LL * VALUE_LEN / 2);
    cr_assert_gt(stats_field(r, "keys.bytes-per-key"), VALUE_LEN / 2);
    redisReply *db0 = stats_db(r, "db.0"), *db5 = stats_db(r, "db.5");
    cr_assert(db0 && db5, "MEMORY STATS lacks db.0 or db.5");
    cr_assert_null(stats_db(r, "db.1"), "db.1 holds no keys");
    cr_assert(db0->elements == 6 && strcmp(db0->element[0]->str, "overhead.hashtable.main") == 0);
    cr_assert_gt(db0->element[1]->integer, 0);
    freeReplyObject(r);
    redisFree(c);
}

TS_TEST(memory, memory_doctor_and_malloc_stats)
{
    redisContext *c = ts_connect(g_server);
    redisReply *r = ts_cmd(c, "MEMORY DOCTOR");
    cr_assert(r->type == REDIS_REPLY_STRING);
    cr_assert(strstr(r->str, "Hi Sam, this instance is empty or is using very little memory") != NULL,
              "MEMORY DOCTOR on an empty server: %s", r->str);
    freeReplyObject(r);
    struct fill f = {0};
    fill_keys(c, "k", 0, 8000, 0, &f, false); /* over the doctor's 5 MB */
    r = ts_cmd(c, "MEMORY DOCTOR");
    cr_assert(strstr(r->str, "Sam") != NULL && strstr(r->str, "empty") == NULL, "MEMORY DOCTOR: %s", r->str);
    freeReplyObject(r);
    r = ts_cmd(c, "MEMORY MALLOC-STATS");
    cr_assert(r->type == REDIS_REPLY_STRING);
    cr_assert_gt(r->len, 0);
    freeReplyObject(r);
    ts_assert_error(ts_cmd(c, "MEMORY STATS extra"), "ERR wrong number of arguments for 'memory|stats' command");
    redisFree(c);
}
