/* server.h — the server actor: starts the shards, holds what they share
 * read-only (slot map, ring fds, command table), waits for a signal and
 * shuts them down in order.
 *
 * Lifecycle: server_start() creates one thread per shard; each builds its
 * ring and listeners and meets the others at a startup barrier. After the
 * barrier the fields below are immutable except the atomics. server_run()
 * blocks the main thread (not a shard) on its own small ring until SIGINT
 * or SIGTERM, then sends SHUTDOWN to each shard, waits for every shard to
 * report it drained its clients, sends EXIT, and joins the threads.
 */
#ifndef RINGKV_SERVER_H
#define RINGKV_SERVER_H

#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/core/snapshot.h"
#include "ringkv/core/memory.h"

#include <pthread.h>
#include <stdint.h>

struct shard;
struct ring;

struct server {
    struct config cfg;
    unsigned nshards;
    struct shard **shards;
    int ring_fds[MAX_SHARDS];
    uint16_t slot_owner[RK_SLOTS];
    struct script_store *scripts;  /* script bodies, shared (script_store.h) */
    /* Per shard, atomics: a script running past busy-reply-threshold
     * (SCRIPT_BUSY_*, host.h), and SCRIPT KILL's request to it. Written only
     * by long scripts, read by every forwarded command: their own lines. */
    int script_busy[MAX_SHARDS] __attribute__((aligned(64)));
    int script_kill[MAX_SHARDS] __attribute__((aligned(64)));
    struct function_store *functions; /* libraries of functions, shared (function_store.h) */
    struct ring *ring;             /* the main thread's ring (signals, control) */
    long long start_time_us;
    long long max_fds;             /* the fd limit after raising it */
    /* shared counters, touched on connect/disconnect only */
    long long connected_clients;   /* atomic */
    uint64_t next_client_id;       /* atomic */
    long long rejected_conns;      /* atomic */
    int shutdown_requested;        /* atomic: stopping (a signal): busy scripts end (host_script_tick) */
    struct snapshot_status snap;   /* BGSAVE & co. (core/snapshot.h) */
    struct memory_shared mem;      /* maxmemory's accounting (core/memory.h) */
    uint64_t keys_loaded;          /* from the RDB file at startup (atomic) */
    uint64_t slowlog_next_id;      /* atomic: SLOWLOG entry ids, server-wide */
    /* Per shard, atomic: its channels and patterns with subscribers (not
     * shard channels); where it is 0, keyspace notifications are not sent. */
    long pubsub_topics[MAX_SHARDS];
    /* Per shard and in all, atomic: connections in MONITOR (net/monitor.h). */
    long monitors[MAX_SHARDS];
    long monitors_total;
    /* Client-side caching (core/tracking.h), atomic: clients tracking,
     * BCAST clients per shard and in all, keys in every shard's table. */
    long trk_clients;
    long trk_bcast[MAX_SHARDS];
    long trk_bcast_total;
    long trk_keys_total;
    int pause_type;                /* atomic: CLIENT PAUSE (core/pause.h) */
    long long pause_end_ms;        /* atomic */
    const unsigned char *rdb_image; /* the RDB file, mapped while the shards load it (core/load.h) */
    size_t rdb_image_len;
    char rdb_path[4096];
    int reloading;                  /* a DEBUG RELOAD runs (load.h); atomic */
    pthread_barrier_t start_barrier;
    int start_failed;              /* written between the two barrier waits */
    unsigned drained;              /* main thread only */
};

/* 0 on success; on failure logs why and returns -1. Takes ownership of cfg. */
int server_start(struct server *srv, struct config *cfg);
/* Runs until a signal or SHUTDOWN, then stops every shard. Returns exit status. */
int server_run(struct server *srv);

/* The running server (read-only fields and atomics), for INFO and the like. */
const struct server *server_instance(void);

/* The server's inbox from the shards: what a control message reports. */
#include "ringkv/core/ring.h"
enum server_ctl { SERVER_CTL_DRAINED, SERVER_CTL_SAVED, SERVER_CTL_SHUTDOWN };
struct server_ctl_msg {
    struct ring_op op;
    enum server_ctl kind;
    unsigned shard;
    int arg;        /* SAVED: 1 when it succeeded; SHUTDOWN: enum server_shutdown */
};
/* How a shutdown saves: as the save points say (a signal: shard 0 takes
 * the snapshot), not at all, or by the shard asking (SHUTDOWN SAVE, whose
 * snapshot reports with server_snapshot_done). */
enum server_shutdown { SHUTDOWN_DEFAULT, SHUTDOWN_NOSAVE, SHUTDOWN_SAVED_BY_SHARD };
/* A shard tells the server: the shutdown's snapshot ended (ok or not). */
void server_snapshot_done(struct shard *s, bool ok);
/* A shard asks the server to shut down (SHUTDOWN), as a signal would. */
void server_request_shutdown(struct shard *s, enum server_shutdown how);
/* Callback of control messages shards post to the server's ring. */
void server_on_ctl(struct ring_op *op, int res, uint32_t flags);

static inline unsigned server_shard_of_slot(const struct server *srv, unsigned slot)
{
    return srv->slot_owner[slot];
}

#endif
