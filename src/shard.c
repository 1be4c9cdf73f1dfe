/* shard.c — the shard actor: its loop, listeners and timer; see shard.h.
 * Thread: the shard's own, except shard_of_key (pure). */
#include "ringkv/shard.h"
#include "ringkv/alloc.h"
#include "ringkv/conn.h"
#include "ringkv/log.h"
#include "ringkv/msg.h"
#include "ringkv/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define TIMER_NS(hz) (1000000000LL / (hz))
/* A draining shard gives its clients this long to receive their replies. */
#define DRAIN_US 2000000

unsigned shard_of_key(const struct server *srv, const char *key, size_t len)
{
    return srv->slot_owner[key_hash_slot(key, len)];
}

struct db *shard_db(struct shard *s, int id) { return &s->dbs[id]; }

void shard_scratch_reserve(struct shard *s, uint32_t n)
{
    if (s->scratch_cap >= n) return;
    uint32_t cap = s->scratch_cap ? s->scratch_cap : 64;
    while (cap < n) cap *= 2;
    s->scratch_argv = rk_realloc(s->scratch_argv, cap * sizeof(*s->scratch_argv));
    s->scratch_argl = rk_realloc(s->scratch_argl, cap * sizeof(*s->scratch_argl));
    s->scratch_keypos = rk_realloc(s->scratch_keypos, cap * sizeof(*s->scratch_keypos));
    s->scratch_cap = cap;
}

void conn_list_push(struct conn_list *l, struct conn *c)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = rk_realloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->len++] = c;
}

static void on_accept(struct ring_op *op, int res, uint32_t flags)
{
    struct listener *l = container_of(op, struct listener, op);
    struct shard *s = l->shard;
    if (res >= 0) {
        long long n = __atomic_add_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
        s->stats.connections_received++;
        if (s->draining) {
            __atomic_sub_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
            close(res);
        } else if (n > s->cfg.maxclients) {
            static const char msg[] = "-ERR max number of clients reached\r\n";
            ssize_t unused = write(res, msg, sizeof(msg) - 1); /* nonblocking socket */
            (void)unused;
            __atomic_sub_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&s->srv->rejected_conns, 1, __ATOMIC_RELAXED);
            close(res);
        } else {
            conn_maybe_free(conn_create(s, res));
        }
    } else if (res != -ECANCELED && !s->draining) {
        log_warn("shard %u: accept failed: %s", s->id, strerror(-res));
    }
    if (!ring_cqe_more(flags) && !s->draining && l->fd >= 0) ring_accept_multishot(s->ring, l->fd, &l->op);
}

static int listen_on(struct shard *s, const char *addr, int port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    bool v6 = strchr(addr, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1) return -EINVAL;
        sl = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1) return -EINVAL;
        sl = sizeof(*a4);
    }
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, (int)s->cfg.tcp_backlog) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static void on_timer(struct ring_op *op, int res, uint32_t flags);

static void arm_timer(struct shard *s)
{
    s->timer.op.cb = on_timer;
    ring_timeout(s->ring, &s->timer, TIMER_NS(s->cfg.hz > 0 ? s->cfg.hz : 10));
}

static void close_idle_clients(struct shard *s, long long now_ms)
{
    if (s->cfg.timeout <= 0) return;
    for (struct conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!(c->flags & CONN_CLOSING) && c->busy == 0 && now_ms - c->last_ms > s->cfg.timeout * 1000) {
            conn_close(c);
            conn_maybe_free(c);
        }
    }
}

static void on_timer(struct ring_op *op, int res, uint32_t flags)
{
    struct shard *s = container_of(op, struct shard, timer.op);
    long long now = mstime();
    /* Redis gives active expiry 25% of each timer period. */
    long long budget = 1000000 / (s->cfg.hz > 0 ? s->cfg.hz : 10) / 4 / s->cfg.databases;
    for (int i = 0; i < s->cfg.databases; i++) {
        db_active_expire(&s->dbs[i], now, budget);
        db_maintain(&s->dbs[i], 1000);
    }
    close_idle_clients(s, now);
    if (s->draining) {
        bool idle = true;
        for (struct conn *c = s->conns; c; c = c->next) {
            if (c->busy || c->out.len || (c->flags & CONN_SENDING)) idle = false;
        }
        if (idle || monotonic_us() > s->drain_deadline_us) {
            for (struct conn *c = s->conns, *next; c; c = next) {
                next = c->next;
                conn_close(c);
                conn_maybe_free(c);
            }
        }
    }
    if (!s->exiting) arm_timer(s);
}

static void stop_listening(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) {
        if (s->listeners[i].fd < 0) continue;
        ring_cancel_fd(s->ring, s->listeners[i].fd);
        ring_close(s->ring, s->listeners[i].fd);
        s->listeners[i].fd = -1;
    }
}

static __thread struct shard *shard_self;

static void on_ctl_failed(struct ring_op *op, int res, uint32_t flags)
{
    log_warn("a cross-ring message could not be posted: %s", strerror(-res));
}

void shard_on_ctl(struct ring_op *op, int res, uint32_t flags)
{
    struct ctl_msg *m = container_of(op, struct ctl_msg, op);
    struct shard *s = shard_self;
    enum ctl_kind kind = m->kind;
    rk_free(m);
    if (kind == CTL_SHUTDOWN) {
        s->draining = true;
        s->drain_deadline_us = monotonic_us() + DRAIN_US;
        stop_listening(s);
        for (struct conn *c = s->conns; c; c = c->next) {
            /* Stop reading; replies already owed still go out. */
            c->flags |= CONN_CLOSE_AFTER_REPLY;
            conn_want_send(c);
        }
    } else if (kind == CTL_EXIT) {
        s->exiting = true;
    }
}

static void post_ctl(struct shard *s, enum ctl_kind kind)
{
    struct ctl_msg *m = rk_calloc(1, sizeof(*m));
    m->kind = kind;
    m->shard = s->id;
    m->op.cb = server_on_ctl;
    ring_msg_post(s->ring, ring_fd(s->srv->ring), &m->op, &s->ctl_fail_op);
}

static void drain_list(struct conn_list *l, uint32_t flag, void (*fn)(struct conn *))
{
    /* fn may push onto other lists, never this one (its flag is still set). */
    for (uint32_t i = 0; i < l->len; i++) {
        struct conn *c = l->items[i];
        c->flags &= ~flag;
        if (!(c->flags & CONN_CLOSING)) fn(c);
        conn_maybe_free(c);
    }
    l->len = 0;
}

static void setup(struct shard *s)
{
    int err = 0;
    struct ring_features feat;
    s->ring = ring_create((unsigned)s->cfg.ring_entries, &feat, &err);
    if (!s->ring) {
        log_warn("shard %u: io_uring setup failed: %s%s", s->id, strerror(-err),
                 err == -EPERM || err == -ENOSYS ? " (io_uring is disabled or filtered on this system)" : "");
        s->start_error = err;
        return;
    }
    if (s->id == 0)
        log_verbose("io_uring features: single_issuer=%d defer_taskrun=%d coop_taskrun=%d", feat.single_issuer,
                    feat.defer_taskrun, feat.coop_taskrun);
    s->srv->ring_fds[s->id] = ring_fd(s->ring);
    s->bufs = ring_bufs_create(s->ring, 0, (unsigned)s->cfg.recv_buffers, (unsigned)s->cfg.recv_buffer_size, &err);
    if (!s->bufs) {
        log_warn("shard %u: cannot register receive buffers: %s", s->id, strerror(-err));
        s->start_error = err;
        return;
    }
    for (int i = 0; i < s->cfg.bind_count; i++) {
        int fd = listen_on(s, s->cfg.bind[i], s->cfg.port);
        if (fd < 0) {
            log_warn("Could not create server TCP listening socket %s:%d: %s", s->cfg.bind[i], s->cfg.port,
                     strerror(-fd));
            s->start_error = fd;
            return;
        }
        struct listener *l = &s->listeners[s->nlisteners++];
        l->op.cb = on_accept;
        l->shard = s;
        l->fd = fd;
    }
}

static void run_loop(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) ring_accept_multishot(s->ring, s->listeners[i].fd, &s->listeners[i].op);
    arm_timer(s);
    bool drained_reported = false;
    while (!s->exiting) {
        msg_flush(s);
        drain_list(&s->send_list, CONN_IN_SEND_LIST, conn_start_send);
        int n = ring_run(s->ring, 1);
        if (n < 0) {
            log_warn("shard %u: io_uring wait failed: %s", s->id, strerror(-n));
            break;
        }
        drain_list(&s->rearm_list, CONN_IN_REARM_LIST, conn_rearm_recv);
        drain_list(&s->resume_list, CONN_IN_RESUME_LIST, conn_resume);
        if (s->draining && !drained_reported && s->conns == NULL) {
            drained_reported = true;
            post_ctl(s, CTL_DRAINED);
        }
    }
}

void *shard_main(void *arg)
{
    struct shard *s = arg;
    shard_self = s;
    msg_set_thread_shard(s);
    s->ctl_fail_op.cb = on_ctl_failed;
    if (s->cfg.pin_cpus) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(s->id % CPU_SETSIZE, &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    s->dbs = rk_calloc((size_t)s->cfg.databases, sizeof(struct db));
    for (int i = 0; i < s->cfg.databases; i++) db_init(&s->dbs[i], &s->db_stats, (uint64_t)(s->id + 1) * 7919 + (uint64_t)i);
    s->outbox = rk_calloc(MAX_SHARDS, sizeof(*s->outbox));
    s->credits = rk_calloc(MAX_SHARDS, sizeof(*s->credits));
    s->outbox_waiters = rk_calloc(MAX_SHARDS, sizeof(*s->outbox_waiters));
    for (unsigned t = 0; t < MAX_SHARDS; t++) s->credits[t] = (uint32_t)s->cfg.shard_msg_inflight;

    setup(s);
    /* Meet the others, then learn whether everyone started. */
    pthread_barrier_wait(&s->srv->start_barrier);
    pthread_barrier_wait(&s->srv->start_barrier);
    if (!s->srv->start_failed) run_loop(s);

    for (int i = 0; i < s->cfg.databases; i++) db_deinit(&s->dbs[i]);
    rk_free(s->dbs);
    stop_listening(s);
    if (s->ring) {
        ring_run(s->ring, 0);
        ring_bufs_destroy(s->ring, s->bufs);
        ring_destroy(s->ring);
    }
    for (unsigned t = 0; t < MAX_SHARDS; t++) rk_free(s->outbox_waiters[t].items);
    rk_free(s->outbox_waiters);
    rk_free(s->outbox);
    rk_free(s->credits);
    rk_free(s->send_list.items);
    rk_free(s->resume_list.items);
    rk_free(s->rearm_list.items);
    rk_free(s->scratch_argv);
    rk_free(s->scratch_argl);
    rk_free(s->scratch_keypos);
    return NULL;
}
