/* host.c — the shard and the server as command handlers see them: the
 * host calls of cmd/host.h (the client calls are conn.c's). Thread: the
 * shard the handle belongs to; host_server_facts any. */
#include "ringkv/cmd/host.h"
#include "ringkv/core/load.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/config.h"
#include "ringkv/net/conn.h"
#include "ringkv/core/tracking.h"
#include "ringkv/data/trk_table.h"
#include "ringkv/core/block.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/notify.h"
#include "ringkv/core/pause.h"
#include "ringkv/core/snapshot.h"
#include "ringkv/core/memory.h"
#include "ringkv/data/evict.h"
#include "ringkv/core/txlock.h"
#include "ringkv/script/script.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script_store.h"

#include <string.h>

/* A host handle is the shard itself, under a type handlers cannot open. */
struct host *shard_host(struct shard *s) { return (struct host *)s; }
static struct shard *shard_of(struct host *h) { return (struct shard *)h; }
struct shard *shard_of_host(struct host *h) { return shard_of(h); }
static const struct shard *shard_of_const(const struct host *h) { return (const struct shard *)h; }

void host_foreach_client(struct host *h, client_visit_fn fn, void *arg)
{
    for (struct conn *c = shard_of(h)->conns; c; c = c->next)
        if (!(c->flags & (CONN_CLOSING | CONN_LINGERING))) fn(conn_client(c), arg);
}

const char *host_config_replace(struct host *h, struct config *cfg, const char **directive)
{
    struct shard *s = shard_of(h);
    const char *why = shard_reconfigure_network(s, cfg, directive);
    if (why) return why;
    config_free(&s->cfg);
    s->cfg = *cfg;
    evict_configure(s->ks, &s->cfg); /* LRU or LFU, and LFU's factors, from the next access on */
    exec_calibrate(s); /* slowlog and latency-tracking settings */
    notify_configure(s);
    return NULL;
}

/* Connections Redis would list: not closing, nor only waiting for the
 * peer to take their last reply. */
static uint64_t live_clients(const struct shard *s)
{
    uint64_t n = 0;
    for (const struct conn *c = s->conns; c; c = c->next) n += !(c->flags & (CONN_CLOSING | CONN_LINGERING));
    return n;
}

/* Its largest query and output buffers (INFO's client_recent_max_*). */
static void largest_buffers(const struct shard *s, uint64_t *query, uint64_t *output)
{
    *query = *output = 0;
    for (const struct conn *c = s->conns; c; c = c->next) {
        if (c->in_cap > *query) *query = c->in_cap;
        if (c->out.cap + c->sending.cap > *output) *output = c->out.cap + c->sending.cap;
    }
}

void host_read_counters(const struct host *h, struct host_counters *out)
{
    const struct shard *s = shard_of_const(h);
    *out = (struct host_counters){
        .connections_received = s->stats.connections_received,
        .clients = live_clients(s),
        .net_input_bytes = s->stats.net_input_bytes,
        .net_output_bytes = s->stats.net_output_bytes,
        .msgs_sent = s->stats.msgs_sent,
        .msgs_received = s->stats.msgs_received,
        .blocked_clients = block_count(s) + s->paused_conns,
        .lua_memory = (s->scripts ? script_lua_memory(s->scripts) : 0),
        .functions_lua_memory = (s->functions ? script_lua_memory(s->functions) : 0),
        .cmds_forwarded = s->stats.cmds_forwarded,
        .changes_since_save = snapshot_changes((struct shard *)s),
        .used_memory = memory_shard_used(),
        .client_buffers = conn_buffer_bytes(s),
        .reads_processed = s->stats.reads_processed,
        .writes_processed = s->stats.writes_processed,
        .ops_per_sec = inst_metric_rate(&s->stats.inst_ops),
        .input_per_sec = inst_metric_rate(&s->stats.inst_net_in),
        .output_per_sec = inst_metric_rate(&s->stats.inst_net_out),
        .tracking_keys = s->trk ? trk_table_keys(s->trk->table) : 0,
        .tracking_items = s->trk ? trk_table_items(s->trk->table) : 0,
    };
    largest_buffers(s, &out->max_query_buffer, &out->max_output_buffer);
}

struct slowlog *host_slowlog(struct host *h) { return &shard_of(h)->slowlog; }
struct latency_monitor *host_latency(struct host *h) { return &shard_of(h)->latency; }

uint64_t host_slowlog_next_id(struct host *h)
{
    return __atomic_load_n(&shard_of(h)->srv->slowlog_next_id, __ATOMIC_RELAXED);
}

bool host_snapshot_claim(struct host *h) { return snapshot_claim(shard_of(h)); }

void host_snapshot_start(struct host *h, enum host_snapshot_kind kind, struct msg_done *later)
{
    snapshot_start(shard_of(h), kind == HOST_SNAPSHOT_SAVE ? SNAPSHOT_SAVE : SNAPSHOT_BGSAVE, later);
}

void host_debug_reload(struct host *h, unsigned flags, struct msg_done *later)
{
    shard_debug_reload(shard_of(h), flags, later);
}

void host_snapshot_schedule(struct host *h)
{
    __atomic_store_n(&shard_of(h)->srv->snap.scheduled, 1, __ATOMIC_RELAXED);
}

void host_shutdown(struct host *h, bool save, struct msg_done *later)
{
    struct shard *s = shard_of(h);
    if (save) snapshot_for_shutdown(s, later);
    server_request_shutdown(s, save ? SHUTDOWN_SAVED_BY_SHARD : SHUTDOWN_NOSAVE);
}

const struct cmdstats *host_cmdstats(const struct host *h) { return shard_of_const(h)->cmdstats; }

void host_reset_stats(struct host *h)
{
    struct shard *s = shard_of(h);
    memset(&s->stats, 0, sizeof(s->stats));
    cmdstats_reset(s->cmdstats);
    /* Server-wide; every shard storing 0 is harmless. */
    __atomic_store_n(&s->srv->rejected_conns, 0, __ATOMIC_RELAXED);
}

/* Outside a running server (unit tests, fuzzers) the facts are all zero
 * and cfg is NULL. */
void host_server_facts(struct server_facts *out)
{
    const struct server *srv = server_instance();
    memset(out, 0, sizeof(*out));
    if (!srv) return;
    out->cfg = &srv->cfg;
    out->nshards = srv->nshards;
    out->start_time_us = srv->start_time_us;
    out->max_fds = srv->max_fds;
    out->tracking_clients = __atomic_load_n(&srv->trk_clients, __ATOMIC_RELAXED);
    out->rejected_conns = __atomic_load_n(&srv->rejected_conns, __ATOMIC_RELAXED);
    const struct snapshot_status *st = &srv->snap;
    out->snapshot_running = __atomic_load_n(&st->running, __ATOMIC_ACQUIRE);
    out->last_snapshot_ok = __atomic_load_n(&st->last_ok, __ATOMIC_RELAXED);
    out->lastsave = __atomic_load_n(&st->lastsave, __ATOMIC_RELAXED);
    out->snapshot_started_ms = __atomic_load_n(&st->started_ms, __ATOMIC_RELAXED);
    out->last_snapshot_s = __atomic_load_n(&st->last_duration_s, __ATOMIC_RELAXED);
    out->snapshots = __atomic_load_n(&st->saves, __ATOMIC_RELAXED);
    out->keys_loaded = srv->keys_loaded;
    out->mem_base = __atomic_load_n(&srv->mem.base, __ATOMIC_RELAXED);
    out->mem_peak = __atomic_load_n(&srv->mem.peak, __ATOMIC_RELAXED);
    out->mem_startup = __atomic_load_n(&srv->mem.startup, __ATOMIC_RELAXED);
    if (srv->scripts) {
        out->cached_scripts = script_store_count(srv->scripts);
        out->scripts_bytes = script_store_bytes(srv->scripts);
    }
    if (srv->functions) {
        struct function_store_stats fs;
        function_store_stats(srv->functions, &fs);
        out->libraries = fs.libraries;
        out->functions = fs.functions;
        out->functions_bytes = fs.bytes;
    }
}

bool host_unblock_client(struct host *h, uint64_t client_id, bool error)
{
    return exec_unblock(shard_of(h), client_id, error ? CANCEL_ERROR : CANCEL_TIMEOUT);
}

struct script_engine *host_script_engine(struct host *h)
{
    struct shard *s = shard_of(h);
    uint64_t gen = script_store_generation(s->srv->scripts);
    if (s->scripts && s->scripts_gen != gen) script_flush(s->scripts);
    if (!s->scripts) s->scripts = script_engine_create();
    s->scripts_gen = gen;
    return s->scripts;
}

struct script_store *host_script_store(struct host *h) { return shard_of(h)->srv->scripts; }

struct script_engine *host_function_engine(struct host *h)
{
    struct shard *s = shard_of(h);
    struct function_store *st = s->srv->functions;
    if (!s->functions) s->functions = script_engine_create();
    if (s->functions_gen != function_store_generation(st)) s->functions_gen = function_store_install(st, s->functions);
    return s->functions;
}

struct function_store *host_function_store(struct host *h) { return shard_of(h)->srv->functions; }

void host_run(struct host *h, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx)
{
    shard_exec_ctx(shard_of(h), cmd, a, ctx);
}

bool host_key_here(struct host *h, int dbid, const char *key, size_t len)
{
    struct shard *s = shard_of(h);
    return shard_of_key(s->srv, key, len) == s->id && !lock_table_blocks(s->locks, dbid, key, len, true);
}


void host_pause_clients(struct host *h, long long end_ms, bool writes_only)
{
    pause_start(shard_of(h)->srv, end_ms, writes_only ? PAUSE_WRITE : PAUSE_ALL);
}

void host_unpause_clients(struct host *h)
{
    pause_stop(shard_of(h)->srv);
    pause_retry(shard_of(h)); /* the others within a timer period */
}

void host_publish_all(struct host *h, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    notify_publish(shard_of(h), channel, clen, msg, mlen);
}

bool host_script_tick(struct host *h, long long started_ms, bool wrote, bool function)
{
    struct shard *s = shard_of(h);
    if (__atomic_load_n(&s->srv->shutdown_requested, __ATOMIC_ACQUIRE)) return true; /* as SHUTDOWN NOSAVE would */
    if (mstime() - started_ms < s->cfg.busy_reply_threshold) return false;
    int busy = (wrote ? SCRIPT_BUSY_WROTE : SCRIPT_BUSY_CLEAN) | (function ? SCRIPT_BUSY_FUNCTION : 0);
    __atomic_store_n(&s->srv->script_busy[s->id], busy, __ATOMIC_RELEASE);
    if (!__atomic_exchange_n(&s->srv->script_kill[s->id], 0, __ATOMIC_ACQ_REL)) return false;
    return !wrote; /* a script that wrote cannot be undone: it runs on (SCRIPT KILL said UNKILLABLE or raced) */
}

void host_script_done(struct host *h)
{
    struct shard *s = shard_of(h);
    if (!__atomic_load_n(&s->srv->script_busy[s->id], __ATOMIC_RELAXED)) return;
    __atomic_store_n(&s->srv->script_busy[s->id], SCRIPT_NOT_BUSY, __ATOMIC_RELEASE);
    __atomic_store_n(&s->srv->script_kill[s->id], 0, __ATOMIC_RELEASE);
}

/* Redis's order: nothing busy, then a script that wrote, then one of the
 * other kind; a kill reaches every busy script it may stop. */
enum script_kill_result host_script_kill(struct host *h, bool functions)
{
    struct server *srv = shard_of(h)->srv;
    enum script_kill_result res = SCRIPT_KILL_NOTBUSY;
    for (unsigned i = 0; i < srv->nshards; i++) {
        int busy = __atomic_load_n(&srv->script_busy[i], __ATOMIC_ACQUIRE);
        enum script_kill_result r = SCRIPT_KILL_NOTBUSY;
        if (busy & SCRIPT_BUSY_WROTE) r = SCRIPT_KILL_UNKILLABLE;
        else if (busy && !(busy & SCRIPT_BUSY_FUNCTION) != !functions) r = SCRIPT_KILL_OTHER_KIND;
        else if (busy) r = SCRIPT_KILL_DONE;
        if (r == SCRIPT_KILL_DONE) __atomic_store_n(&srv->script_kill[i], 1, __ATOMIC_RELEASE);
        if (r > res) res = r;
    }
    return res;
}
