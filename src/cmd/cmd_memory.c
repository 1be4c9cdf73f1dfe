/* cmd_memory.c — MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE |
 * HELP. Thread: the shard running the command (PURGE, STATS and DOCTOR:
 * every shard, their figures added up where the call was made). */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/host.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/proto/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ringkv/cmd/commands.h"
#include "ringkv/data/db.h"
#include "ringkv/base/util.h"

/* MEMORY USAGE key [SAMPLES count]: the bytes of the key's record and
 * everything its value owns. ringkv measures the whole value, so SAMPLES
 * is checked as Redis checks it and otherwise changes nothing. */
static void memory_usage_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    for (int j = 3; j < a->argc; j++) {
        long long samples;
        if (arg_is(a, j, "samples") && j + 1 < a->argc) {
            if (!arg_ll_or_reply(c, a, j + 1, &samples, NULL)) return;
            if (samples < 0) {
                reply_error(c->r, RK_ERR_SYNTAX);
                return;
            }
            j++;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    struct kv *kv = db_lookup(c->db, a->argv[2], a->len[2]);
    if (!kv) reply_null(c->r);
    else reply_int(c->r, (long long)kv_bytes(kv));
}

/* Hands the allocator's free pages back to the OS, on every shard. */
static void memory_purge_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    rk_collect();
    reply_ok(c->r);
}

/* ---- MEMORY STATS and MEMORY DOCTOR ---------------------------------- */

/* What one shard reports: "used clients nclients\n" then per database
 * "keys overhead expires_overhead\n" (db_overhead). The parts are added
 * up where the call was made. */
static void memory_part_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct host_counters hc;
    host_read_counters(c->host, &hc);
    struct obuf out;
    obuf_init(&out);
    char line[128];
    obuf_append(&out, line, (size_t)snprintf(line, sizeof line, "%lld %llu %llu\n", hc.used_memory,
                                            (unsigned long long)hc.client_buffers, (unsigned long long)hc.clients));
    for (int d = 0; d < c->ks->ndbs; d++) {
        struct db *db = ks_db(c->ks, d);
        uint64_t main, expires;
        db_overhead(db, &main, &expires);
        obuf_append(&out, line, (size_t)snprintf(line, sizeof line, "%llu %llu %llu\n", (unsigned long long)db_size(db),
                                                (unsigned long long)main, (unsigned long long)expires));
    }
    reply_bulk(c->r, out.data, out.len);
    obuf_free(&out);
}

#define MAX_DBS 256

/* The server's memory as Redis's getMemoryOverheadData sees its own. */
struct overhead {
    long long used, peak, startup, clients, nclients, rss, active, resident, total, dataset, keys;
    long long db_keys[MAX_DBS], db_main[MAX_DBS], db_expires[MAX_DBS];
    int ndbs;
    uint64_t scripts, scripts_bytes, functions_bytes;
};

static void gather(struct overhead *o, const char *const *parts, const size_t *lens, int nparts)
{
    struct server_facts srv;
    host_server_facts(&srv);
    memset(o, 0, sizeof *o);
    o->used = srv.mem_base;
    o->ndbs = srv.cfg ? (srv.cfg->databases < MAX_DBS ? srv.cfg->databases : MAX_DBS) : 16;
    for (int p = 0; p < nparts; p++) {
        /* A bulk: "$<len>\r\n" then the lines. */
        const char *at = memchr(parts[p], '\n', lens[p]);
        if (!at) continue;
        char *next;
        o->used += strtoll(at + 1, &next, 10);
        o->clients += strtoll(next, &next, 10);
        o->nclients += strtoll(next, &next, 10);
        for (int d = 0; d < o->ndbs; d++) {
            o->db_keys[d] += strtoll(next, &next, 10);
            o->db_main[d] += strtoll(next, &next, 10);
            o->db_expires[d] += strtoll(next, &next, 10);
        }
    }
    o->peak = srv.mem_peak > o->used ? srv.mem_peak : o->used;
    o->startup = srv.mem_startup < o->used ? srv.mem_startup : o->used;
    o->scripts = srv.cached_scripts;
    o->scripts_bytes = srv.scripts_bytes;
    o->functions_bytes = srv.functions_bytes;
    size_t active, resident;
    rk_allocator_stats(&active, &resident);
    o->active = (long long)active;
    o->resident = (long long)resident;
    o->rss = (long long)rk_process_rss();
    o->total = o->startup + o->clients;
    for (int d = 0; d < o->ndbs; d++) {
        o->total += o->db_main[d] + o->db_expires[d];
        o->keys += o->db_keys[d];
    }
    if (o->total > o->used) o->total = o->used;
    o->dataset = o->used - o->total;
}

static double ratio(long long a, long long b) { return b > 0 ? (double)a / (double)b : 0; }

static void pair_int(struct reply *r, const char *name, long long v)
{
    reply_bulk_cstr(r, name);
    reply_int(r, v);
}

static void pair_double(struct reply *r, const char *name, double v)
{
    reply_bulk_cstr(r, name);
    reply_double(r, v);
}

static void stats_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                          int nparts)
{
    struct overhead o;
    gather(&o, parts, lens, nparts);
    int dbs = 0;
    for (int d = 0; d < o.ndbs; d++) dbs += o.db_keys[d] > 0;
    long long net = o.used - o.startup;
    reply_map(r, 27 + dbs);
    pair_int(r, "peak.allocated", o.peak);
    pair_int(r, "total.allocated", o.used);
    pair_int(r, "startup.allocated", o.startup);
    pair_int(r, "replication.backlog", 0);
    pair_int(r, "clients.slaves", 0);
    pair_int(r, "clients.normal", o.clients);
    pair_int(r, "cluster.links", 0);
    pair_int(r, "aof.buffer", 0);
    pair_int(r, "lua.caches", (long long)o.scripts_bytes);
    pair_int(r, "functions.caches", (long long)o.functions_bytes);
    for (int d = 0; d < o.ndbs; d++) {
        if (!o.db_keys[d]) continue;
        char name[16];
        snprintf(name, sizeof name, "db.%d", d);
        reply_bulk_cstr(r, name);
        reply_map(r, 3);
        pair_int(r, "overhead.hashtable.main", o.db_main[d]);
        pair_int(r, "overhead.hashtable.expires", o.db_expires[d]);
        pair_int(r, "overhead.hashtable.slot-to-keys", 0);
    }
    pair_int(r, "overhead.total", o.total);
    pair_int(r, "keys.count", o.keys);
    pair_int(r, "keys.bytes-per-key", o.keys ? net / o.keys : 0);
    pair_int(r, "dataset.bytes", o.dataset);
    pair_double(r, "dataset.percentage", net > 0 ? 100.0 * ratio(o.dataset, net) : 0);
    pair_double(r, "peak.percentage", 100.0 * ratio(o.used, o.peak));
    pair_int(r, "allocator.allocated", o.used);
    pair_int(r, "allocator.active", o.active);
    pair_int(r, "allocator.resident", o.resident);
    pair_double(r, "allocator-fragmentation.ratio", ratio(o.active, o.used));
    pair_int(r, "allocator-fragmentation.bytes", o.active - o.used);
    pair_double(r, "allocator.rss-ratio", ratio(o.resident, o.active));
    pair_int(r, "allocator.rss-bytes", o.resident - o.active);
    pair_double(r, "rss-overhead.ratio", ratio(o.rss, o.resident));
    pair_int(r, "rss-overhead.bytes", o.rss - o.resident);
    pair_double(r, "fragmentation", ratio(o.rss, o.used));
    pair_int(r, "fragmentation.bytes", o.rss - o.used);
}

#define MB (1024LL * 1024)

/* Redis's getMemoryDoctorReport, its rules and its words (the allocator
 * and replica parts as they apply here). */
static void doctor_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens,
                           int nparts)
{
    struct overhead o;
    gather(&o, parts, lens, nparts);
    struct obuf t;
    obuf_init(&t);
#define SAY(text) obuf_append(&t, text, strlen(text))
    bool empty = o.used < 5 * MB;
    bool big_peak = !empty && ratio(o.peak, o.used) > 1.5;
    bool high_frag = !empty && ratio(o.rss, o.used) > 1.4 && o.rss - o.used > 10 * MB;
    bool high_alloc_frag = !empty && ratio(o.active, o.used) > 1.1 && o.active - o.used > 10 * MB;
    bool high_alloc_rss = !empty && ratio(o.resident, o.active) > 1.1 && o.resident - o.active > 10 * MB;
    bool high_proc_rss = !empty && ratio(o.rss, o.resident) > 1.1 && o.rss - o.resident > 10 * MB;
    bool big_client_buf = !empty && o.nclients > 0 && o.clients / o.nclients > 1024 * 200;
    bool many_scripts = !empty && o.scripts > 1000;
    if (empty) {
        SAY("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in "
            "these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I "
            "will be back to our programming as soon as I finished rebooting.\n");
    } else if (!(big_peak || high_frag || high_alloc_frag || high_alloc_rss || high_proc_rss || big_client_buf ||
                 many_scripts)) {
        SAY("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this "
            "base.\n");
    } else {
        SAY("Sam, I detected a few issues in this Redis instance memory implants:\n\n");
        if (big_peak)
            SAY(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. "
                "The allocator is normally not able to release memory after a peak, so you can expect to see a big "
                "fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if "
                "the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be "
                "used as soon as you fill the Redis instance with more data. If the memory peak was only occasional "
                "and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only "
                "other option is to shutdown and restart the instance.\n\n");
        if (high_frag)
            SAY(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this "
                "means that the Resident Set Size of the Redis process is much larger than the sum of the logical "
                "allocations Redis performed). This problem is usually due either to a large peak memory (check if "
                "there is a peak memory entry above in the report) or may result from a workload that causes the "
                "allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. "
                "Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: "
                "The currently used allocator is \"mimalloc\".\n\n");
        if (high_alloc_frag)
            SAY(" * High allocator fragmentation: This instance has an allocator external fragmentation greater "
                "than 1.1. This problem is usually due either to a large peak memory (check if there is a peak "
                "memory entry above in the report) or may result from a workload that causes the allocator to "
                "fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n");
        if (high_alloc_rss)
            SAY(" * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this "
                "means that the Resident Set Size of the allocator is much larger than the sum what the allocator "
                "actually holds). This problem is usually due to a large peak memory (check if there is a peak "
                "memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n");
        if (high_proc_rss)
            SAY(" * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than "
                "1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the "
                "allocator holds). This problem may be due to Lua scripts or Modules.\n\n");
        if (big_client_buf)
            SAY(" * Big client buffers: The clients output buffers in this instance are greater than 200K per "
                "client (on average). This may result from different causes, like Pub/Sub clients subscribed to "
                "channels bot not receiving data fast enough, so that data piles on the Redis instance output "
                "buffer, or clients sending commands with large replies or very large sequences of commands in the "
                "same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes "
                "problems in your instance, or to understand better why certain clients are using a big amount of "
                "memory.\n\n");
        if (many_scripts)
            SAY(" * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may "
                "be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), "
                "`SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches "
                "may end up consuming most of your memory.\n\n");
        SAY("I'm here to keep you safe, Sam. I want to help you.\n");
    }
#undef SAY
    reply_verbatim(r, t.data, t.len, "txt");
    obuf_free(&t);
}

static void memory_malloc_stats_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct obuf t;
    obuf_init(&t);
    rk_allocator_report(&t);
    reply_verbatim(c->r, t.data, t.len, "txt");
    obuf_free(&t);
}

static void memory_help_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, RK_ARRAY_LEN(lines));
}

static const struct cmd_def memory_subcommands[] = {
    {.name = "memory|usage", .arity = -3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .fn = memory_usage_command, .key_flags = KS_RO, .acl_categories = "read", .group = "server",
     .summary = "Estimate the memory usage of a key", .since = "4.0.0",
     .complexity = "O(N) where N is the number of samples.", .syntax = "key [SAMPLES count:integer]"},
    {.name = "memory|purge", .arity = 2, .flags = CMD_ALL_SHARDS, .fn = memory_purge_command,
     .combine = COMBINE_OK, .group = "server", .summary = "Ask the allocator to release memory", .since = "4.0.0",
     .complexity = "Depends on how much memory is allocated, could be slow",
     .tips = "request_policy:all_shards response_policy:all_succeeded"},
    {.name = "memory|stats", .arity = 2, .flags = CMD_ALL_SHARDS, .fn = memory_part_command,
     .combine = COMBINE_CUSTOM, .combine_fn = stats_combine,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special", .group = "server",
     .summary = "Show memory usage details", .since = "4.0.0", .complexity = "O(1)"},
    {.name = "memory|doctor", .arity = 2, .flags = CMD_ALL_SHARDS, .fn = memory_part_command,
     .combine = COMBINE_CUSTOM, .combine_fn = doctor_combine,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special", .group = "server",
     .summary = "Outputs memory problems report", .since = "4.0.0", .complexity = "O(1)"},
    {.name = "memory|malloc-stats", .arity = 2, .flags = 0, .fn = memory_malloc_stats_command,
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special", .group = "server",
     .summary = "Show allocator internal stats", .since = "4.0.0",
     .complexity = "Depends on how much memory is allocated, could be slow"},
    {.name = "memory|help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .fn = memory_help_command,
     .group = "server", .summary = "Show helpful text about the different subcommands", .since = "4.0.0",
     .complexity = "O(1)"},
    {0},
};

const struct cmd_def memory_commands[] = {
    {.name = "memory", .arity = -2, .subcommands = memory_subcommands, .group = "server",
     .summary = "A container for memory diagnostics commands", .since = "4.0.0",
     .complexity = "Depends on subcommand."},
    {0},
};
