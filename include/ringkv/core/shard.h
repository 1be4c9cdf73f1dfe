/* shard.h — the shard actor: one thread, one io_uring, its listeners, the
 * connections it accepted, its slice of the keyspace (all databases) and
 * its timers. Nothing here is touched by another thread; other shards
 * reach a shard only through messages posted to its ring (msg.h).
 *
 * The loop: flush (post batched messages, start sends), submit and wait,
 * run each completion's callback, resume connections whose pending work
 * completed. The timer runs active expiry and table maintenance.
 */
#ifndef RINGKV_SHARD_H
#define RINGKV_SHARD_H

#include "ringkv/base/config.h"
#include "ringkv/base/inst_metric.h"
#include "ringkv/base/slowlog.h"
#include "ringkv/base/latency_monitor.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/core/ring.h"
#include "ringkv/core/server.h"
#include "ringkv/proto/reply.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct conn;
struct msg_batch;
struct cmdstats;
struct host;
struct tls_context;

struct listener {
    struct ring_op op;
    struct shard *shard;
    struct listener *next_retired;
    int fd;
    bool tls;       /* tls-port: its connections speak TLS */
    bool retired;   /* closed by a port change, waiting for its last completion */
    bool paused;    /* out of fds: accepting resumes on the next timer tick */
};

struct shard_stats {
    uint64_t connections_received;
    uint64_t net_input_bytes, net_output_bytes;
    uint64_t msgs_sent, msgs_received, cmds_forwarded;
    uint64_t reads_processed, writes_processed;  /* recv and send completions */
    /* sampled on the timer: commands, bytes in and out per second */
    struct inst_metric inst_ops, inst_net_in, inst_net_out;
};

/* A growable list of connections waiting for the loop's attention. */
struct conn_list {
    struct conn **items;
    uint32_t len, cap;
};

/* Senders waiting for room in one outbox (msg.h). */
struct msg_waiter;
struct waiter_list {
    struct msg_waiter **items;
    uint32_t len, cap;
};

struct lock_table;
struct block_registry;
struct shard_snap;
struct reload;
struct shard_memory;

struct shard {
    unsigned id;
    struct server *srv;
    struct config cfg;
    struct ring *ring;
    struct ring_bufs *bufs;
    struct tls_context *tls;            /* tls-port's context (net/tls.h), NULL: no TLS port */
    struct listener *listeners[CONFIG_MAX_BIND * 2]; /* plain and TLS, one per bind address */
    int nlisteners;
    struct listener *retired;           /* closed by CONFIG SET, freed by their last completion */
    struct ring_timer timer;
    int expire_next_db;                 /* where the next active expiry cycle starts */
    struct ring_op ctl_fail_op;
    struct keyspace *ks;                /* its slice of every database */
    struct shard_stats stats;
    struct cmdstats *cmdstats;          /* commands run, errors replied */

    /* messages to other shards: the batch being filled and credits left */
    struct msg_batch **outbox;
    uint32_t *credits;
    struct waiter_list *outbox_waiters; /* per target: senders waiting for room */
    struct lock_table *locks;           /* key intents of transactions (txlock.h) */
    struct pubsub *pubsub;              /* this shard's subscribers (net/pubsub.h) */
    struct block_registry *blocked;     /* clients blocked on its keys (block.h) */
    struct script_engine *scripts;      /* its Lua engine, once a script ran (script.h) */
    uint64_t scripts_gen;               /* the store generation it is in step with */
    uint64_t acl_gen;                   /* the ACL generation its subscribers were checked at */
    struct script_engine *functions;    /* its engine of libraries, once one was used (script.h) */
    struct shard_snap *snap;            /* its part of a snapshot, once one ran (core/snapshot.h) */
    struct reload *reload_pending; /* DEBUG RELOAD to start on the next loop turn (load.h) */
    struct shard_memory *mem;           /* its memory accounting and eviction pool (core/memory.h) */
    struct slowlog slowlog;             /* its slow commands (base/slowlog.h) */
    uint64_t slowlog_ticks;             /* slowlog-log-slower-than in ticks, UINT64_MAX: off */
    struct latency_monitor latency;     /* its latency spikes (base/latency_monitor.h) */
    uint64_t latency_ticks;             /* latency-monitor-threshold in ticks, UINT64_MAX: off */
    uint64_t slow_ticks;                /* the lower of the two: one test per command */
    uint64_t functions_gen;             /* the function store generation it holds */

    struct conn *conns;                 /* all connections, doubly linked */
    uint32_t nconns;
    struct conn_list send_list;         /* output ready, no send in flight */
    struct conn_list resume_list;       /* input ready to process again */
    struct conn_list rearm_list;        /* multishot recv to re-arm */

    /* scratch vectors reused by every command this shard runs */
    const char **scratch_argv;
    size_t *scratch_argl;
    int *scratch_keypos;
    uint32_t scratch_cap;
    struct obuf notify_channel;         /* a keyspace notification's channel name (notify.c) */
    struct obuf discard;                /* replies nobody gets (CLIENT REPLY OFF/SKIP: conn.c) */
    bool publish_pending;               /* an outbox holds keyspace notifications (msg.c) */
    uint32_t paused_conns;              /* connections waiting out CLIENT PAUSE (pause.c) */
    struct conn **monitors;             /* its connections in MONITOR (net/monitor.c) */
    uint32_t nmonitors, monitors_cap;
    struct shard_tracking *trk;         /* client-side caching, key side (core/tracking.h) */

    bool draining, exiting;
    long long drain_deadline_us;
    pthread_t thread;
    int start_error;
};

/* The shard's inbox from the server actor: what a control message asks. */
enum shard_ctl { SHARD_CTL_SHUTDOWN, SHARD_CTL_EXIT, SHARD_CTL_SAVE };
struct shard_ctl_msg {
    struct ring_op op;
    enum shard_ctl kind;
};

/* Creates shard `id` of the server and starts its thread, which builds
 * the ring, listeners and keyspace, then meets the others at the server's
 * start barrier; NULL if the thread cannot start. */
struct shard *shard_create(struct server *srv, unsigned id);
/* Why the shard could not start (-errno), read after the start barrier;
 * 0 when it did. */
int shard_start_error(const struct shard *s);
/* Waits for the shard's thread to end (after SHARD_CTL_EXIT, or a failed
 * start) and frees the shard. */
void shard_destroy(struct shard *s);
/* Before the shards start: -EADDRINUSE (logged) if another process
 * listens on the configured port, which SO_REUSEPORT would let the shards
 * share silently; else 0. */
int shard_check_port_free(const struct config *cfg);
/* CONFIG SET of the network settings (port, tls-port, bind, tls-*): builds
 * the TLS context next asks for when it changed and opens next's
 * listeners of the kinds that change, then, only once all of that
 * succeeded, swaps them in for the old ones. NULL, or Redis's error text
 * (and the directive it is about; "tls-": the first TLS one) with nothing
 * changed. */
const char *shard_reconfigure_network(struct shard *s, const struct config *next, const char **directive);
/* Callback of control messages the server posts to a shard. */
void shard_on_ctl(struct ring_op *op, int res, uint32_t flags);
/* The owning shard of a key. */
unsigned shard_of_key(const struct server *srv, const char *key, size_t len);
struct db *shard_db(struct shard *s, int id);
/* The shard as command handlers see it (cmd/host.h; defined in host.c),
 * and back. */
struct host *shard_host(struct shard *s);
struct shard *shard_of_host(struct host *h);

void conn_list_push(struct conn_list *l, struct conn *c);
/* Makes the shard's scratch vectors hold at least n entries. */
void shard_scratch_reserve(struct shard *s, uint32_t n);

#endif
