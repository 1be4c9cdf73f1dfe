/* info.c — INFO. Every shard reports its counters as "name:value" lines;
 * the connection's shard adds them up and formats Redis's sections with
 * Redis's field names, adding the server-wide facts. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/str_refs.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/config.h"
#include "ringkv/cmd/host.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/proto/resp.h"
#include "ringkv/base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <limits.h>
#include <unistd.h>

#define MAX_DBS 256

/* The counters one shard reports, in this order. */
enum { F_CONNS, F_CLIENTS, F_NET_IN, F_NET_OUT, F_EXPIRED, F_HITS, F_MISSES,
       F_MSGS_SENT, F_MSGS_RECV, F_FORWARDED, F_CPU_US, F_BLOCKED, F_LUA_MEM, F_FUNCTIONS_MEM, F_CHANGES,
       F_USED_MEMORY, F_EVICTED, F_MAXMEMORY, F_POLICY, F_CLIENT_BUFFERS, F_DICT_OVERHEAD, F_READS, F_WRITES,
       F_OPS_SEC, F_INPUT_SEC, F_OUTPUT_SEC, F_TRK_KEYS, F_TRK_ITEMS, F_NFIELDS };
/* Maxima rather than sums. */
enum { M_QUERY_BUF, M_OUTPUT_BUF, M_NFIELDS };

/* Names counted by distinct name across shards: pub/sub channels,
 * patterns and shard channels, and BCAST prefixes (tracking). */
enum { T_CHANNELS, T_PATTERNS, T_SHARD_CHANNELS, T_PREFIXES, NTOPICS };

struct shard_report {
    unsigned long long f[F_NFIELDS];
    unsigned long long max[M_NFIELDS];
    unsigned long long keys[MAX_DBS], expires[MAX_DBS];
    /* pubsub_channels, _patterns, pubsubshard_channels and
     * tracking_total_prefixes: with several shards, the names each
     * reports, told apart by name (a channel may have subscribers, a
     * prefix BCAST clients, on several shards); with one, its counts. */
    struct str_refs topics[NTOPICS];
    unsigned long long ntopics[NTOPICS];
    /* avg_ttl: each shard's estimate weighted by its keys with a TTL */
    long double ttl_sum[MAX_DBS];
    unsigned long long ttl_weight[MAX_DBS];
    struct cmdstats *cmds;     /* commands and errors, summed */
    double pct[CONFIG_MAX_PERCENTILES]; /* latency-tracking-info-percentiles */
    int npct;
};

/* The keyspace's bookkeeping beyond the values (db_overhead). */
static unsigned long long dict_overhead(struct keyspace *ks)
{
    unsigned long long n = 0;
    for (int d = 0; d < ks->ndbs; d++) {
        uint64_t keys, expires;
        db_overhead(ks_db(ks, d), &keys, &expires);
        n += keys + expires;
    }
    return n;
}

struct topic_report {
    struct obuf *out;
    unsigned long long n;
    bool names;
};

static void report_topic(const char *name, size_t len, void *arg)
{
    struct topic_report *tr = arg;
    tr->n++;
    if (!tr->names) return;
    char head[32];
    obuf_append(tr->out, head, (size_t)snprintf(head, sizeof head, "%zu:", len));
    obuf_append(tr->out, name, len);
}

/* "t <n> <names?>" per kind (channels, patterns, shard channels); with
 * several shards the names follow as "<len>:<bytes>", then a newline. */
static void visit_topics(struct cmd_ctx *c, int k, name_visit_fn fn, void *arg)
{
    static const enum pubsub_kind kinds[3] = {PUBSUB_CHANNEL, PUBSUB_PATTERN, PUBSUB_SHARD};
    if (k == T_PREFIXES) host_tracking_prefixes(c->host, fn, arg);
    else host_pubsub_channels(c->host, kinds[k], NULL, 0, fn, arg);
}

static void report_topics(struct cmd_ctx *c, struct obuf *out)
{
    for (int k = 0; k < NTOPICS; k++) {
        struct obuf names;
        obuf_init(&names);
        struct topic_report tr = {&names, 0, c->nshards > 1};
        visit_topics(c, k, report_topic, &tr);
        char head[48];
        obuf_append(out, head, (size_t)snprintf(head, sizeof head, "t %llu %d ", tr.n, tr.names ? 1 : 0));
        obuf_append(out, names.data, names.len);
        obuf_append(out, "\n", 1);
        obuf_free(&names);
    }
}

static const char *parse_topics(const char *p, const char *end, struct shard_report *rep)
{
    for (int k = 0; k < NTOPICS && p + 2 < end && p[0] == 't'; k++) {
        char *q;
        unsigned long long n = strtoull(p + 1, &q, 10);
        bool names = strtol(q, &q, 10) == 1;
        p = q + 1;
        rep->ntopics[k] += n;
        for (unsigned long long i = 0; names && i < n && p < end; i++) {
            size_t len = (size_t)strtoull(p, &q, 10);
            if (q >= end || *q != ':' || len > (size_t)(end - q - 1)) return end;
            str_refs_push(&rep->topics[k], q + 1, len);
            p = q + 1 + len;
        }
        if (p < end && *p == '\n') p++;
    }
    return p;
}

/* A kind's count: the distinct names, or the one shard's count. */
static unsigned long long topic_count(struct shard_report *rep, int k, int nparts)
{
    return nparts > 1 ? (unsigned long long)str_refs_unique(&rep->topics[k]) : rep->ntopics[k];
}

static void info_shard_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct keyspace *ks = c->ks;
    struct host_counters hc;
    host_read_counters(c->host, &hc);
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    unsigned long long cpu = (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ULL +
                             (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    char line[128];
    struct obuf out;
    obuf_init(&out);
    unsigned long long f[F_NFIELDS] = {
        hc.connections_received, hc.clients, hc.net_input_bytes,
        hc.net_output_bytes, ks->stats.expired_keys, ks->stats.hits,
        ks->stats.misses, hc.msgs_sent, hc.msgs_received, hc.cmds_forwarded, cpu, hc.blocked_clients,
        hc.lua_memory, hc.functions_lua_memory, hc.changes_since_save,
        (unsigned long long)hc.used_memory, /* may be negative alone: the sum is right */
        ks->stats.evicted_keys, (unsigned long long)c->cfg->maxmemory, (unsigned long long)c->cfg->maxmemory_policy,
        hc.client_buffers, dict_overhead(ks), hc.reads_processed, hc.writes_processed,
        hc.ops_per_sec, hc.input_per_sec, hc.output_per_sec, hc.tracking_keys, hc.tracking_items,
    };
    for (int i = 0; i < F_NFIELDS; i++) obuf_append(&out, line, (size_t)snprintf(line, sizeof(line), "%llu\n", f[i]));
    obuf_append(&out, line, (size_t)snprintf(line, sizeof(line), "%llu %llu\n",
                                             (unsigned long long)hc.max_query_buffer,
                                             (unsigned long long)hc.max_output_buffer));
    for (int d = 0; d < ks->ndbs; d++) {
        struct db *db = ks_db(ks, d);
        obuf_append(&out, line, (size_t)snprintf(line, sizeof(line), "%llu %llu %lld\n",
                                                 (unsigned long long)db_size(db),
                                                 (unsigned long long)db_expires_size(db), db->avg_ttl));
    }
    /* The percentiles INFO latencystats reports, as this shard's
     * configuration has them (CONFIG SET reaches every shard). */
    obuf_append(&out, "q", 1);
    for (int i = 0; i < c->cfg->latency_percentiles_count; i++)
        obuf_append(&out, line, (size_t)snprintf(line, sizeof(line), " %.17g", c->cfg->latency_percentiles[i]));
    obuf_append(&out, "\n", 1);
    report_topics(c, &out);
    cmdstats_report(host_cmdstats(c->host), &out);
    reply_bulk(c->r, out.data, out.len);
    obuf_free(&out);
}

static void parse_report(const char *bulk, size_t len, struct shard_report *rep, int ndbs)
{
    const char *p = memchr(bulk, '\n', len);
    if (!p) return;
    p++;
    for (int i = 0; i < F_NFIELDS; i++) rep->f[i] += strtoull(p, (char **)&p, 10);
    for (int i = 0; i < M_NFIELDS; i++) {
        unsigned long long v = strtoull(p, (char **)&p, 10);
        if (v > rep->max[i]) rep->max[i] = v;
    }
    for (int d = 0; d < ndbs && d < MAX_DBS; d++) {
        unsigned long long k = strtoull(p, (char **)&p, 10), e = strtoull(p, (char **)&p, 10);
        long long ttl = strtoll(p, (char **)&p, 10);
        rep->keys[d] += k;
        rep->expires[d] += e;
        if (ttl > 0) {
            rep->ttl_sum[d] += (long double)ttl * (long double)e;
            rep->ttl_weight[d] += e;
        }
    }
    if (p < bulk + len && *p == '\n') p++;
    if (p < bulk + len && *p == 'q') {
        const char *eol = memchr(p, '\n', (size_t)(bulk + len - p));
        p++;
        int n = 0;
        while (eol && p < eol && n < CONFIG_MAX_PERCENTILES) {
            char *end;
            double v = strtod(p, &end);
            if (end == p) break;
            rep->pct[n++] = v;
            p = end;
        }
        rep->npct = n;
        if (eol) p = eol + 1;
    }
    p = parse_topics(p, bulk + len, rep);
    cmdstats_merge_report(rep->cmds, p, bulk + len);
}

static bool wants(const struct cmd_args *a, const char *section, bool in_default)
{
    if (a->argc < 2) return in_default;
    for (int i = 1; i < a->argc; i++) {
        if (arg_is(a, i, section) || arg_is(a, i, "all") || arg_is(a, i, "everything")) return true;
        if (arg_is(a, i, "default") && in_default) return true;
    }
    return false;
}

static void human_bytes(char *out, size_t cap, double n)
{
    const char *units = "BKMGT";
    int u = 0;
    while (n >= 1024 && u < 4) { n /= 1024; u++; }
    if (u == 0) snprintf(out, cap, "%.0fB", n);
    else snprintf(out, cap, "%.2f%c", n, units[u]);
}

/* Appends a formatted line to out (an obuf, or with ADDP a pointer to one). */
#define ADDP(o, ...) do { int n_ = snprintf(buf, sizeof(buf), __VA_ARGS__); \
                          obuf_append((o), buf, (size_t)n_ < sizeof(buf) ? (size_t)n_ : sizeof(buf) - 1); } while (0)
#define ADD(...) ADDP(&out, __VA_ARGS__)

/* Redis 7.0's script memory fields: the Lua engines summed over shards,
 * the bodies and libraries the server keeps once. */
static void info_script_memory(struct obuf *out, const struct shard_report *rep, const struct server_facts *srv)
{
    char buf[1024], eval_h[32], vm_h[32], scripts_h[32];
    unsigned long long vm_eval = rep->f[F_LUA_MEM], vm_fn = rep->f[F_FUNCTIONS_MEM];
    unsigned long long scripts = srv->scripts_bytes + srv->functions_bytes;
    human_bytes(eval_h, sizeof(eval_h), (double)vm_eval);
    human_bytes(vm_h, sizeof(vm_h), (double)(vm_eval + vm_fn));
    human_bytes(scripts_h, sizeof(scripts_h), (double)scripts);
    int n = snprintf(buf, sizeof(buf), "used_memory_lua:%llu\r\nused_memory_vm_eval:%llu\r\nused_memory_lua_human:%s\r\n"
        "used_memory_scripts_eval:%llu\r\nnumber_of_cached_scripts:%llu\r\nnumber_of_functions:%llu\r\n"
        "number_of_libraries:%llu\r\nused_memory_vm_functions:%llu\r\nused_memory_vm_total:%llu\r\n"
        "used_memory_vm_total_human:%s\r\nused_memory_functions:%llu\r\nused_memory_scripts:%llu\r\n"
        "used_memory_scripts_human:%s\r\n",
        vm_eval, vm_eval, eval_h, (unsigned long long)srv->scripts_bytes, (unsigned long long)srv->cached_scripts,
        (unsigned long long)srv->functions, (unsigned long long)srv->libraries, vm_fn, vm_eval + vm_fn, vm_h,
        (unsigned long long)srv->functions_bytes, scripts, scripts_h);
    obuf_append(out, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Redis 7.0's fields; there is no fork, so no copy-on-write to report,
 * and no AOF yet. */
static void info_persistence(struct obuf *out, const struct shard_report *rep, const struct server_facts *srv)
{
    char buf[1536];
    long long now_s = ustime() / 1000000;
    long long current = srv->snapshot_running ? now_s - srv->snapshot_started_ms / 1000 : -1;
    int n = snprintf(buf, sizeof buf,
        "# Persistence\r\nloading:0\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\ncurrent_cow_size:0\r\n"
        "current_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\ncurrent_save_keys_processed:0\r\n"
        "current_save_keys_total:0\r\nrdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:%d\r\n"
        "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\nrdb_last_bgsave_time_sec:%lld\r\n"
        "rdb_current_bgsave_time_sec:%lld\r\nrdb_saves:%llu\r\nrdb_last_cow_size:0\r\n"
        "rdb_last_load_keys_expired:0\r\nrdb_last_load_keys_loaded:%llu\r\naof_enabled:0\r\n"
        "aof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\n"
        "aof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\naof_rewrites:0\r\n"
        "aof_rewrites_consecutive_failures:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n"
        "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n\r\n",
        rep->f[F_CHANGES], srv->snapshot_running ? 1 : 0, srv->lastsave, srv->last_snapshot_ok ? "ok" : "err",
        srv->last_snapshot_s, current, (unsigned long long)srv->snapshots, (unsigned long long)srv->keys_loaded);
    obuf_append(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* used_memory is what the shards' threads hold through the allocator
 * (alloc.h), as Redis's is what zmalloc holds; every shard reports the
 * same maxmemory and policy (a CONFIG SET reaches them all). */
static void info_memory(struct obuf *out, const struct shard_report *rep, const struct server_facts *srv, int nparts)
{
    char buf[2048], used_h[32], rss_h[32], peak_h[32], max_h[32], sys_h[32];
    long long used = (long long)rep->f[F_USED_MEMORY] + srv->mem_base;
    long long peak = srv->mem_peak > used ? srv->mem_peak : used;
    long long startup = srv->mem_startup < used ? srv->mem_startup : used;
    long long clients = (long long)rep->f[F_CLIENT_BUFFERS];
    long long overhead = startup + clients + (long long)rep->f[F_DICT_OVERHEAD];
    if (overhead > used) overhead = used;
    long long dataset = used - overhead;
    size_t rss = rk_process_rss(), active, resident;
    rk_allocator_stats(&active, &resident);
    long long system = (long long)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
    unsigned long long maxmemory = nparts ? rep->f[F_MAXMEMORY] / (unsigned)nparts : 0;
    unsigned long long policy = nparts ? rep->f[F_POLICY] / (unsigned)nparts : MM_NOEVICTION;
    human_bytes(used_h, sizeof used_h, (double)used);
    human_bytes(rss_h, sizeof rss_h, (double)rss);
    human_bytes(peak_h, sizeof peak_h, (double)peak);
    human_bytes(max_h, sizeof max_h, (double)maxmemory);
    human_bytes(sys_h, sizeof sys_h, (double)system);
    int n = snprintf(buf, sizeof buf,
        "# Memory\r\nused_memory:%lld\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\nused_memory_rss_human:%s\r\n"
        "used_memory_peak:%lld\r\nused_memory_peak_human:%s\r\nused_memory_peak_perc:%.2f%%\r\n"
        "used_memory_overhead:%lld\r\nused_memory_startup:%lld\r\nused_memory_dataset:%lld\r\n"
        "used_memory_dataset_perc:%.2f%%\r\nallocator_allocated:%lld\r\nallocator_active:%zu\r\n"
        "allocator_resident:%zu\r\ntotal_system_memory:%lld\r\ntotal_system_memory_human:%s\r\n",
        used, used_h, rss, rss_h, peak, peak_h, peak ? 100.0 * (double)used / (double)peak : 100.0, overhead, startup,
        dataset, used > startup ? 100.0 * (double)dataset / (double)(used - startup) : 0.0, used, active, resident,
        system, sys_h);
    obuf_append(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    info_script_memory(out, rep, srv);
    double frag = used > 0 ? (double)rss / (double)used : 0.0;
    n = snprintf(buf, sizeof buf,
        "maxmemory:%llu\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\nallocator_frag_ratio:%.2f\r\n"
        "allocator_frag_bytes:%lld\r\nallocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n"
        "rss_overhead_ratio:%.2f\r\nrss_overhead_bytes:%lld\r\nmem_fragmentation_ratio:%.2f\r\n"
        "mem_fragmentation_bytes:%lld\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n"
        "mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:%lld\r\n"
        "mem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:mimalloc\r\nactive_defrag_running:0\r\n"
        "lazyfree_pending_objects:0\r\nlazyfreed_objects:0\r\n\r\n",
        maxmemory, max_h, config_policy_names[policy <= MM_NOEVICTION ? policy : MM_NOEVICTION],
        used > 0 && active ? (double)active / (double)used : 0.0, active ? (long long)active - used : 0,
        active ? (double)resident / (double)active : 0.0, (long long)resident - (long long)active,
        resident ? (double)rss / (double)resident : 0.0, (long long)rss - (long long)resident, frag,
        (long long)rss - used, clients);
    obuf_append(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A 40-hex-digit id of this server run (run_id, master_replid): random
 * per start in Redis, here derived from the start time, the pid and salt. */
static void server_hex_id(char out[41], const struct server_facts *srv, uint64_t salt)
{
    for (int i = 0; i < 5; i++) {
        uint64_t seed[3] = {(uint64_t)srv->start_time_us,
                            (uint64_t)getpid() ^ ((uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull), salt};
        snprintf(out + 8 * i, 9, "%08x", (unsigned)hash_bytes(seed, salt ? sizeof(seed) : 2 * sizeof(uint64_t)));
    }
}

static void info_server(struct obuf *out, const struct server_facts *srv)
{
    const struct config *cfg = srv->cfg;
    char buf[PATH_MAX + 512], run_id[41], exe[PATH_MAX] = "";
    struct utsname u;
    uname(&u);
    server_hex_id(run_id, srv, 1);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    long long now_us = ustime(), uptime = (now_us - srv->start_time_us) / 1000000;
    ADDP(out, "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
        "redis_build_id:%08x\r\nringkv_version:%s\r\nredis_mode:standalone\r\nos:%s %s %s\r\narch_bits:64\r\n"
        "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:io_uring\r\natomicvar_api:c11-builtin\r\n"
        "gcc_version:%d.%d.%d\r\nprocess_id:%d\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n",
        (unsigned)hash_bytes(RINGKV_VERSION, sizeof RINGKV_VERSION), RINGKV_VERSION, u.sysname, u.release, u.machine,
        __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__, (int)getpid(), run_id, cfg->port);
    /* lru_clock: Redis's LRU clock, seconds modulo 2^24 */
    ADDP(out, "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%lld\r\n"
        "configured_hz:%lld\r\nlru_clock:%lld\r\nexecutable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n"
        "shards:%u\r\n\r\n", now_us, uptime, uptime / 86400, cfg->hz, cfg->hz, (now_us / 1000000) & ((1LL << 24) - 1),
        exe, cfg->config_file ? cfg->config_file : "", srv->nshards);
}

/* Redis 7.0's fields. What ringkv does not have reads 0: replication
 * (sync_*, repl bytes), forks, MIGRATE's sockets, active defrag, IO
 * threads; ringkv's own counters of messages between shards follow. */
static void info_stats(struct obuf *out, struct shard_report *rep, const struct server_facts *srv, int nparts)
{
    char buf[2048];
    ADDP(out, "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
        "instantaneous_ops_per_sec:%llu\r\ntotal_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\n"
        "total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\n"
        "instantaneous_output_kbps:%.2f\r\ninstantaneous_input_repl_kbps:0.00\r\n"
        "instantaneous_output_repl_kbps:0.00\r\nrejected_connections:%lld\r\nsync_full:0\r\n"
        "sync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:%llu\r\nevicted_keys:%llu\r\n"
        "evicted_clients:0\r\nkeyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n",
        rep->f[F_CONNS], (unsigned long long)rep->cmds->commands_processed, rep->f[F_OPS_SEC], rep->f[F_NET_IN],
        rep->f[F_NET_OUT], (double)rep->f[F_INPUT_SEC] / 1024, (double)rep->f[F_OUTPUT_SEC] / 1024,
        srv->rejected_conns, rep->f[F_EXPIRED], rep->f[F_EVICTED], rep->f[F_HITS], rep->f[F_MISSES]);
    ADDP(out, "pubsub_channels:%llu\r\npubsub_patterns:%llu\r\npubsubshard_channels:%llu\r\nlatest_fork_usec:0\r\n"
        "total_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\n"
        "active_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
        "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:%llu\r\n"
        "tracking_total_items:%llu\r\ntracking_total_prefixes:%llu\r\nunexpected_error_replies:0\r\n"
        "total_error_replies:%llu\r\ntotal_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
        "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\nshard_messages_sent:%llu\r\n"
        "shard_messages_received:%llu\r\nshard_commands_forwarded:%llu\r\n\r\n",
        topic_count(rep, T_CHANNELS, nparts), topic_count(rep, T_PATTERNS, nparts),
        topic_count(rep, T_SHARD_CHANNELS, nparts), rep->f[F_TRK_KEYS], rep->f[F_TRK_ITEMS],
        topic_count(rep, T_PREFIXES, nparts), (unsigned long long)rep->cmds->error_replies, rep->f[F_READS],
        rep->f[F_WRITES], rep->f[F_MSGS_SENT],
        rep->f[F_MSGS_RECV], rep->f[F_FORWARDED]);
}

static void info_combine(struct reply *r, const struct cmd_args *a, const char *const *parts, const size_t *lens, int nparts)
{
    struct server_facts srv;
    host_server_facts(&srv);
    const struct config *cfg = srv.cfg;
    struct shard_report *rep = rk_calloc(1, sizeof(*rep));
    rep->cmds = cmdstats_create();
    for (int p = 0; p < nparts; p++) parse_report(parts[p], lens[p], rep, cfg->databases);
    struct obuf out;
    char buf[512];
    obuf_init(&out);
    if (wants(a, "server", true)) info_server(&out, &srv);
    if (wants(a, "clients", true)) {
        ADD("# Clients\r\nconnected_clients:%llu\r\ncluster_connections:0\r\nmaxclients:%lld\r\nmax_fds:%lld\r\n"
            "client_recent_max_input_buffer:%llu\r\nclient_recent_max_output_buffer:%llu\r\n"
            "blocked_clients:%llu\r\ntracking_clients:%lld\r\n\r\n",
            rep->f[F_CLIENTS], cfg->maxclients, srv.max_fds, rep->max[M_QUERY_BUF], rep->max[M_OUTPUT_BUF],
            rep->f[F_BLOCKED], srv.tracking_clients);
    }
    if (wants(a, "memory", true)) info_memory(&out, rep, &srv, nparts);
    if (wants(a, "persistence", true)) info_persistence(&out, rep, &srv);
    if (wants(a, "stats", true)) info_stats(&out, rep, &srv, nparts);
    if (wants(a, "replication", true)) {
        /* A master without replicas (ringkv has no replication). The
         * replication ID names this server's dataset history: random per
         * start in Redis, here derived from the start time and pid. */
        char id[41];
        server_hex_id(id, &srv, 0);
        ADD("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n"
            "master_replid:%s\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n"
            "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n"
            "repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n\r\n",
            id);
    }
    if (wants(a, "cpu", true)) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        struct rusage children;
        getrusage(RUSAGE_CHILDREN, &children); /* ringkv never forks: its helpers, if any */
        ADD("# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\nused_cpu_sys_children:%ld.%06ld\r\n"
            "used_cpu_user_children:%ld.%06ld\r\nused_cpu_shards:%.6f\r\n\r\n",
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec, (long)children.ru_utime.tv_sec,
            (long)children.ru_utime.tv_usec, (double)rep->f[F_CPU_US] / 1e6);
    }
    /* No modules can be loaded: the section is empty, as Redis's without any. */
    if (wants(a, "modules", true) || wants(a, "module_list", false)) ADD("# Modules\r\n\r\n");
    /* As Redis 7.0: errorstats is in the default set, commandstats only
     * in all/everything or by name. */
    if (wants(a, "commandstats", false)) {
        ADD("# Commandstats\r\n");
        cmdstats_info_commands(rep->cmds, &out);
        ADD("\r\n");
    }
    if (wants(a, "errorstats", true)) {
        ADD("# Errorstats\r\n");
        cmdstats_info_errors(rep->cmds, &out);
        ADD("\r\n");
    }
    if (wants(a, "latencystats", false)) {
        ADD("# Latencystats\r\n");
        cmdstats_info_latency(rep->cmds, rep->pct, rep->npct, &out);
        ADD("\r\n");
    }
    if (wants(a, "cluster", true)) ADD("# Cluster\r\ncluster_enabled:0\r\n\r\n");
    if (wants(a, "keyspace", true)) {
        ADD("# Keyspace\r\n");
        for (int d = 0; d < cfg->databases && d < MAX_DBS; d++)
            if (rep->keys[d])
                ADD("db%d:keys=%llu,expires=%llu,avg_ttl=%llu\r\n", d, rep->keys[d], rep->expires[d],
                    rep->ttl_weight[d] ? (unsigned long long)(rep->ttl_sum[d] / rep->ttl_weight[d]) : 0ULL);
    }
    /* Redis ends with one CRLF less than it separates sections with. */
    while (out.len >= 4 && memcmp(out.data + out.len - 4, "\r\n\r\n", 4) == 0) out.len -= 2;
    reply_verbatim(r, out.data ? out.data : "", out.len, "txt");
    obuf_free(&out);
    cmdstats_destroy(rep->cmds);
    for (int k = 0; k < NTOPICS; k++) str_refs_free(&rep->topics[k]);
    rk_free(rep);
}

const struct cmd_def info_commands[] = {
    {.name = "info", .arity = -1, .flags = CMD_LOADING | CMD_STALE | CMD_SENTINEL | CMD_ALL_SHARDS,
     .fn = info_shard_command, .combine = COMBINE_CUSTOM, .combine_fn = info_combine, .group = "server",
     .summary = "Get information and statistics about the server", .since = "1.0.0", .complexity = "O(1)",
     .acl_categories = "dangerous", .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
     .syntax = "[section [section ...]]",
     .history = (const char *const[]){"7.0.0", "Added support for taking multiple section arguments.", NULL}},
    {0},
};
