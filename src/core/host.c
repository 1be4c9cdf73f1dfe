/* host.c — the shard and the server as command handlers see them: the
 * host calls of cmd/host.h (the client calls are conn.c's). Thread: the
 * shard the handle belongs to; host_server_facts any. */
#include "ringkv/cmd/host.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/config.h"
#include "ringkv/net/conn.h"
#include "ringkv/core/block.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"

#include <string.h>

/* A host handle is the shard itself, under a type handlers cannot open. */
struct host *shard_host(struct shard *s) { return (struct host *)s; }
static struct shard *shard_of(struct host *h) { return (struct shard *)h; }
struct shard *shard_of_host(struct host *h) { return shard_of(h); }
static const struct shard *shard_of_const(const struct host *h) { return (const struct shard *)h; }

void host_foreach_client(struct host *h, client_visit_fn fn, void *arg)
{
    for (struct conn *c = shard_of(h)->conns; c; c = c->next)
        if (!(c->flags & CONN_CLOSING)) fn(conn_client(c), arg);
}

void host_config_replace(struct host *h, struct config *cfg)
{
    struct shard *s = shard_of(h);
    config_free(&s->cfg);
    s->cfg = *cfg;
}

void host_read_counters(const struct host *h, struct host_counters *out)
{
    const struct shard *s = shard_of_const(h);
    *out = (struct host_counters){
        .connections_received = s->stats.connections_received,
        .clients = s->nconns,
        .net_input_bytes = s->stats.net_input_bytes,
        .net_output_bytes = s->stats.net_output_bytes,
        .msgs_sent = s->stats.msgs_sent,
        .msgs_received = s->stats.msgs_received,
        .blocked_clients = block_count(s),
        .cmds_forwarded = s->stats.cmds_forwarded,
    };
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
    out->rejected_conns = __atomic_load_n(&srv->rejected_conns, __ATOMIC_RELAXED);
}

bool host_unblock_client(struct host *h, uint64_t client_id, bool error)
{
    return exec_unblock(shard_of(h), client_id, error ? CANCEL_ERROR : CANCEL_TIMEOUT);
}
