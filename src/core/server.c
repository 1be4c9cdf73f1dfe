/* server.c — the server actor; see server.h. Thread: main only. */
#include "ringkv/script/function_store.h"
#include "ringkv/script/script_store.h"
#include "ringkv/core/server.h"
#include "ringkv/core/service.h"
#include "ringkv/core/pause.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/log.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/ring.h"
#include "ringkv/core/shard.h"
#include "ringkv/net/tls.h"
#include "ringkv/core/load.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>


static struct server *g_srv;

const struct server *server_instance(void) { return g_srv; }

struct signal_reader {
    struct ring_op op;
    int fd;
    struct signalfd_siginfo info;
    bool fired;
};

/* Raises the fd limit to fit maxclients, as Redis does at startup. */
static void raise_fd_limit(struct server *srv)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)srv->cfg.maxclients + 32 + (rlim_t)srv->cfg.shards * 8;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    if (rl.rlim_cur < want) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
            log_warn("You requested maxclients of %lld requiring at least %llu max file descriptors; the limit is %llu.",
                     srv->cfg.maxclients, (unsigned long long)want, (unsigned long long)rl.rlim_cur);
        else if (rl.rlim_cur != old)
            log_verbose("Increased maximum number of open files to %llu", (unsigned long long)rl.rlim_cur);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
    srv->max_fds = (long long)rl.rlim_cur;
}

/* What stopping has reached (main thread only). */
enum stop_state { RUNNING, SAVING, STOPPING };
static enum stop_state stop_state = RUNNING;

static void post_to_shards(struct server *srv, enum shard_ctl kind);
static void post_to_shard(struct server *srv, unsigned i, enum shard_ctl kind);

/* A signal or SHUTDOWN: save first when asked or when save points exist,
 * as Redis does; a second request while saving stops at once. */
static void begin_stop(struct server *srv, enum server_shutdown how)
{
    if (stop_state == STOPPING) return;
    bool save = how == SHUTDOWN_SAVED_BY_SHARD || (how == SHUTDOWN_DEFAULT && srv->cfg.save_count > 0);
    if (stop_state == SAVING || !save) {
        if (stop_state == SAVING) log_warn("You insist... exiting now.");
        else service_stopping();
        stop_state = STOPPING;
        return;
    }
    service_stopping();
    log_notice("Saving the final RDB snapshot before exiting.");
    stop_state = SAVING;
    if (how == SHUTDOWN_DEFAULT) post_to_shard(srv, 0, SHARD_CTL_SAVE);
}

void server_on_ctl(struct ring_op *op, int res, uint32_t flags)
{
    struct server_ctl_msg *m = container_of(op, struct server_ctl_msg, op);
    if (m->kind == SERVER_CTL_DRAINED) {
        g_srv->drained++;
    } else if (m->kind == SERVER_CTL_SHUTDOWN) {
        begin_stop(g_srv, (enum server_shutdown)m->arg);
    } else if (m->kind == SERVER_CTL_SAVED && stop_state == SAVING) {
        if (m->arg) {
            stop_state = STOPPING;
        } else {
            log_warn("Error trying to save the DB, can't exit.");
            stop_state = RUNNING;
        }
    }
    rk_free(m);
}

static void post_to_server(struct shard *s, enum server_ctl kind, int arg)
{
    struct server_ctl_msg *m = rk_calloc(1, sizeof(*m));
    m->kind = kind;
    m->shard = s->id;
    m->arg = arg;
    m->op.cb = server_on_ctl;
    ring_msg_post(s->ring, ring_fd(s->srv->ring), &m->op, &s->ctl_fail_op);
}

void server_snapshot_done(struct shard *s, bool ok) { post_to_server(s, SERVER_CTL_SAVED, ok ? 1 : 0); }

void server_request_shutdown(struct shard *s, enum server_shutdown how)
{
    post_to_server(s, SERVER_CTL_SHUTDOWN, (int)how);
}

static void post_to_shard(struct server *srv, unsigned i, enum shard_ctl kind)
{
    struct shard_ctl_msg *m = rk_calloc(1, sizeof(*m));
    m->kind = kind;
    m->op.cb = shard_on_ctl;
    ring_msg_post(srv->ring, srv->ring_fds[i], &m->op, NULL);
    ring_submit(srv->ring);
}

static void post_to_shards(struct server *srv, enum shard_ctl kind)
{
    for (unsigned i = 0; i < srv->nshards; i++) post_to_shard(srv, i, kind);
}

static void join_shards(struct server *srv)
{
    for (unsigned i = 0; i < srv->nshards; i++) shard_destroy(srv->shards[i]);
    rk_free(srv->shards);
    srv->shards = NULL;
}

int server_start(struct server *srv, struct config *cfg)
{
    int err = 0;
    memset(srv, 0, sizeof(*srv));
    g_srv = srv;
    srv->cfg = *cfg;
    srv->nshards = (unsigned)cfg->shards;
    srv->start_time_us = ustime();
    /* As Redis at startup: the data counts as saved when the server started. */
    srv->snap.lastsave = srv->start_time_us / 1000000;
    srv->snap.last_ok = 1;
    srv->snap.last_duration_s = -1;
    srv->scripts = script_store_create();
    srv->functions = function_store_create();
    commands_setup();
    char acl_err[512];
    if (!acl_configure(cfg, acl_err, sizeof(acl_err))) {
        log_warn("Aborting Redis startup because of ACL errors: %s", acl_err);
        return -1;
    }
    obj_types_setup();
    pause_setup();
    raise_fd_limit(srv);
    for (unsigned slot = 0; slot < RK_SLOTS; slot++)
        srv->slot_owner[slot] = (uint16_t)slot_home(slot, srv->nshards);

    /* Signals go to the server's signalfd only; SIGPIPE nowhere. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv->ring = ring_create(64, NULL, &err);
    if (!srv->ring) {
        log_warn("Failed to create an io_uring: %s. ringkv needs io_uring (Linux 6.1 or later, not disabled by "
                 "sysctl kernel.io_uring_disabled or a seccomp filter).", strerror(-err));
        return -1;
    }
    if (shard_check_port_free(&srv->cfg) < 0) {
        ring_destroy(srv->ring);
        return -1;
    }
    /* Checked once here, so a bad setting is logged once, not per shard. */
    if (srv->cfg.tls_port > 0) {
        struct tls_context *tls = tls_context_create(&srv->cfg);
        if (!tls) {
            log_warn("Failed to configure TLS. Check logs for more info.");
            ring_destroy(srv->ring);
            return -1;
        }
        tls_context_release(tls);
    }
    long long load_start = ustime();
    if (!server_load_check(srv)) {
        ring_destroy(srv->ring);
        return -1;
    }
    srv->mem.base = rk_thread_allocated(); /* the main thread's: configuration, stores */
    srv->mem.startup = srv->mem.base;
    pthread_barrier_init(&srv->start_barrier, NULL, srv->nshards + 1);
    srv->shards = rk_calloc(srv->nshards, sizeof(*srv->shards));
    for (unsigned i = 0; i < srv->nshards; i++) {
        srv->shards[i] = shard_create(srv, i);
        if (!srv->shards[i]) {
            log_warn("cannot start shard thread %u", i);
            abort();
        }
    }
    pthread_barrier_wait(&srv->start_barrier);
    for (unsigned i = 0; i < srv->nshards; i++)
        if (shard_start_error(srv->shards[i])) srv->start_failed = 1;
    pthread_barrier_wait(&srv->start_barrier);
    if (srv->rdb_image) {
        log_notice("Done loading RDB, keys loaded: %llu.", (unsigned long long)srv->keys_loaded);
        log_notice("DB loaded from disk: %.3f seconds", (double)(ustime() - load_start) / 1e6);
    }
    server_load_done(srv);
    if (srv->start_failed) {
        join_shards(srv);
        ring_destroy(srv->ring);
        return -1;
    }
    log_notice("Server initialized with %u shard%s", srv->nshards, srv->nshards == 1 ? "" : "s");
    log_notice("Ready to accept connections tcp");
    return 0;
}

static void on_signal(struct ring_op *op, int res, uint32_t flags)
{
    struct signal_reader *sr = container_of(op, struct signal_reader, op);
    sr->fired = true;
    if (res <= 0) return;
    if (sr->info.ssi_signo == SIGHUP) { /* logrotate moved the log file */
        if (log_reopen() == 0) log_notice("Received SIGHUP, log file reopened.");
        else log_warn("Received SIGHUP, but the log file could not be reopened: %s", strerror(errno));
        ring_read(g_srv->ring, sr->fd, &sr->info, sizeof(sr->info), &sr->op);
        return;
    }
    log_notice("Received %s scheduling shutdown...", sr->info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    begin_stop(g_srv, SHUTDOWN_DEFAULT);
    ring_read(g_srv->ring, sr->fd, &sr->info, sizeof(sr->info), &sr->op); /* a second one insists */
}

int server_run(struct server *srv)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGHUP);
    struct signal_reader sr = {.op.cb = on_signal, .fd = signalfd(-1, &mask, SFD_CLOEXEC)};
    if (sr.fd < 0) {
        log_warn("signalfd: %s", strerror(errno));
        return 1;
    }
    ring_read(srv->ring, sr.fd, &sr.info, sizeof(sr.info), &sr.op);
    while (stop_state != STOPPING) ring_run(srv->ring, 1);
    __atomic_store_n(&srv->shutdown_requested, 1, __ATOMIC_RELEASE);
    ring_cancel_fd(srv->ring, sr.fd);

    post_to_shards(srv, SHARD_CTL_SHUTDOWN);
    while (srv->drained < srv->nshards) ring_run(srv->ring, 1);
    post_to_shards(srv, SHARD_CTL_EXIT);
    join_shards(srv);
    close(sr.fd);
    ring_destroy(srv->ring);
    script_store_destroy(srv->scripts);
    function_store_destroy(srv->functions);
    log_notice("ringkv is now ready to exit, bye bye...");
    return 0;
}
