/* server.c — the server actor; see server.h. Thread: main only. */
#include "ringkv/script/function_store.h"
#include "ringkv/script/script_store.h"
#include "ringkv/core/server.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/log.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/ring.h"
#include "ringkv/core/shard.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

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

void server_on_ctl(struct ring_op *op, int res, uint32_t flags)
{
    struct server_ctl_msg *m = container_of(op, struct server_ctl_msg, op);
    if (m->kind == SERVER_CTL_DRAINED) g_srv->drained++;
    rk_free(m);
}

static void post_to_shards(struct server *srv, enum shard_ctl kind)
{
    for (unsigned i = 0; i < srv->nshards; i++) {
        struct shard_ctl_msg *m = rk_calloc(1, sizeof(*m));
        m->kind = kind;
        m->op.cb = shard_on_ctl;
        ring_msg_post(srv->ring, srv->ring_fds[i], &m->op, NULL);
    }
    ring_run(srv->ring, 0);
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
    srv->scripts = script_store_create();
    srv->functions = function_store_create();
    commands_setup();
    obj_types_setup();
    raise_fd_limit(srv);
    for (unsigned slot = 0; slot < RK_SLOTS; slot++)
        srv->slot_owner[slot] = (uint16_t)((unsigned long)slot * srv->nshards / RK_SLOTS);

    /* Signals go to the server's signalfd only; SIGPIPE nowhere. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    srv->ring = ring_create(64, NULL, &err);
    if (!srv->ring) {
        log_warn("Failed to create an io_uring: %s. ringkv needs io_uring (Linux 6.1 or later, not disabled by "
                 "sysctl kernel.io_uring_disabled or a seccomp filter).", strerror(-err));
        return -1;
    }
    if (srv->cfg.port > 0 && shard_check_port_free(&srv->cfg) < 0) {
        ring_destroy(srv->ring);
        return -1;
    }
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
}

int server_run(struct server *srv)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    struct signal_reader sr = {.op.cb = on_signal, .fd = signalfd(-1, &mask, SFD_CLOEXEC)};
    if (sr.fd < 0) {
        log_warn("signalfd: %s", strerror(errno));
        return 1;
    }
    ring_read(srv->ring, sr.fd, &sr.info, sizeof(sr.info), &sr.op);
    while (!sr.fired) ring_run(srv->ring, 1);
    log_notice("Received %s scheduling shutdown...", sr.info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
    __atomic_store_n(&srv->shutdown_requested, 1, __ATOMIC_RELEASE);

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
