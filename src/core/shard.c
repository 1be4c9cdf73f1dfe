/* shard.c — the shard actor: its loop, listeners and timer; see shard.h.
 * Thread: the shard's own, except shard_of_key (pure). */
#include "ringkv/script/script.h"
#include "ringkv/core/tracking.h"
#include "ringkv/core/shard.h"
#include "ringkv/cmd/acl.h"
#include "ringkv/core/notify.h"
#include "ringkv/core/pause.h"
#include "ringkv/core/snapshot.h"
#include "ringkv/core/load.h"
#include "ringkv/core/memory.h"
#include "ringkv/core/exec.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/net/conn.h"
#include "ringkv/net/pubsub.h"
#include "ringkv/net/tls.h"
#include "ringkv/base/log.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/block.h"
#include "ringkv/core/tx.h"
#include "ringkv/core/txlock.h"
#include "ringkv/base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TIMER_NS(hz) (1000000000LL / (hz))
/* A draining shard gives its clients this long to receive their replies. */
#define DRAIN_US 2000000

unsigned shard_of_key(const struct server *srv, const char *key, size_t len)
{
    return srv->slot_owner[key_hash_slot(key, len)];
}

struct db *shard_db(struct shard *s, int id) { return ks_db(s->ks, id); }

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

/* Refuses an accepted socket with an error line, as Redis does: written
 * straight to the new (nonblocking, empty) socket, then closed. */
static void reject(struct shard *s, int fd, bool tls, const char *msg, size_t len)
{
    if (!tls) { /* a TLS client could not read it before its handshake */
        ssize_t unused = write(fd, msg, len);
        (void)unused;
    }
    __atomic_add_fetch(&s->srv->rejected_conns, 1, __ATOMIC_RELAXED);
    close(fd);
}

/* Redis 7.0's protected-mode test: the peer is exactly 127.0.0.1 or ::1. */
static bool peer_is_loopback(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0) return false;
    if (ss.ss_family == AF_INET) return ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    if (ss.ss_family == AF_INET6) return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return false;
}

static const char denied_msg[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    "default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    "from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode "
    "sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the "
    "same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. "
    "Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by "
    "editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the "
    "server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above "
    "things in order for the server to start accepting connections from the outside.\r\n";

/* Protected mode guards a server whose default user needs no password. */
static bool default_user_nopass(void)
{
    struct acl_user *u = acl_registry_get("default", 7);
    bool nopass = !u || (u->flags & ACL_USER_NOPASS);
    acl_user_unref(u);
    return nopass;
}

static void accept_one(struct shard *s, int fd, bool tls)
{
    long long n = __atomic_add_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
    s->stats.connections_received++;
    if (s->draining) {
        __atomic_sub_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
        close(fd);
    } else if (n > s->cfg.maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        __atomic_sub_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
        reject(s, fd, tls, msg, sizeof(msg) - 1);
    } else if (s->cfg.protected_mode && !peer_is_loopback(fd) && default_user_nopass()) {
        __atomic_sub_fetch(&s->srv->connected_clients, 1, __ATOMIC_RELAXED);
        reject(s, fd, tls, denied_msg, sizeof(denied_msg) - 1);
    } else {
        conn_maybe_free(conn_create(s, fd, tls ? s->tls : NULL));
    }
}

/* Out of descriptors or memory: re-arming at once would fail at once and
 * spin, so accepting pauses until the next timer tick. */
static bool accept_error_is_transient(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOBUFS || err == -ENOMEM;
}

/* A retired listener whose last completion came: nothing refers to it. */
static void forget_retired(struct shard *s, struct listener *l)
{
    for (struct listener **p = &s->retired; *p; p = &(*p)->next_retired)
        if (*p == l) {
            *p = l->next_retired;
            rk_free(l);
            return;
        }
}

static void on_accept(struct ring_op *op, int res, uint32_t flags)
{
    struct listener *l = container_of(op, struct listener, op);
    struct shard *s = l->shard;
    if (l->retired) { /* its port was changed (CONFIG SET): its socket is closed */
        if (res >= 0) close(res);
        if (!ring_cqe_more(flags)) forget_retired(s, l);
        return;
    }
    if (res >= 0) {
        accept_one(s, res, l->tls);
    } else if (res != -ECANCELED && !s->draining) {
        if (!l->paused) log_warn("shard %u: accept failed: %s", s->id, strerror(-res));
        if (accept_error_is_transient(res) && !ring_cqe_more(flags)) {
            l->paused = true;
            return;
        }
    }
    if (!ring_cqe_more(flags) && !s->draining && l->fd >= 0) ring_accept_multishot(s->ring, l->fd, &l->op);
}

static void resume_accepting(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) {
        struct listener *l = s->listeners[i];
        if (!l->paused || s->draining || l->fd < 0) continue;
        l->paused = false;
        ring_accept_multishot(s->ring, l->fd, &l->op);
    }
}

/* A bind address as Redis writes it: "-" in front makes it optional (not
 * fatal when the address does not exist here), "*" is every IPv4 address
 * and "::*" every IPv6 one. */
static const char *bind_address(const char *spec, bool *optional)
{
    *optional = spec[0] == '-';
    if (*optional) spec++;
    if (strcmp(spec, "*") == 0) return "0.0.0.0";
    if (strcmp(spec, "::*") == 0) return "::";
    return spec;
}

/* A TCP socket bound to addr:port, not yet listening, or -errno. Shards
 * share the port through SO_REUSEPORT, one listener each. */
static int bind_socket(const char *addr, int port, bool reuseport)
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
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static int listen_on(struct shard *s, const char *addr, int port)
{
    int fd = bind_socket(addr, port, true);
    if (fd >= 0 && listen(fd, (int)s->cfg.tcp_backlog) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

static int check_port_free(const struct config *cfg, int port)
{
    for (int i = 0; i < cfg->bind_count; i++) {
        bool optional;
        const char *addr = bind_address(cfg->bind[i], &optional);
        /* Without SO_REUSEPORT the bind fails where anyone listens, where
         * the shards' own binds would quietly share the port. */
        int fd = bind_socket(addr, port, false);
        if (fd == -EADDRINUSE) {
            log_warn("Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(EADDRINUSE));
            return fd;
        }
        if (fd >= 0) close(fd);
    }
    return 0;
}

int shard_check_port_free(const struct config *cfg)
{
    int err = cfg->port > 0 ? check_port_free(cfg, cfg->port) : 0;
    if (err == 0 && cfg->tls_port > 0) err = check_port_free(cfg, (int)cfg->tls_port);
    return err;
}

static void on_timer(struct ring_op *op, int res, uint32_t flags);

static void arm_timer(struct shard *s)
{
    s->timer.op.cb = on_timer;
    ring_timeout(s->ring, &s->timer, TIMER_NS(s->cfg.hz > 0 ? s->cfg.hz : 10));
}

/* Idle clients (the `timeout` directive) and lingering ones whose peer
 * never closed. */
static void close_idle_clients(struct shard *s, long long now_ms)
{
    for (struct conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        conn_check_linger(c, now_ms);
        /* As Redis: subscribers wait for messages, so they are never idle. */
        if (s->cfg.timeout > 0 && !(c->flags & (CONN_CLOSING | CONN_PUBSUB)) && c->busy == 0 &&
            now_ms - c->last_ms > s->cfg.timeout * 1000)
            conn_close(c);
        conn_maybe_free(c);
    }
}

/* INFO's instantaneous rates, sampled as Redis does every 100 ms (or
 * the timer's period when longer). */
static void sample_rates(struct shard *s, long long now_ms)
{
    if (now_ms - s->stats.inst_ops.last_ms < 100) return;
    inst_metric_sample(&s->stats.inst_ops, now_ms, cmdstats_total_calls(s->cmdstats));
    inst_metric_sample(&s->stats.inst_net_in, now_ms, s->stats.net_input_bytes);
    inst_metric_sample(&s->stats.inst_net_out, now_ms, s->stats.net_output_bytes);
}

/* A cycle of timer work that began at monotonic `start_us` took
 * latency-monitor-threshold or more: a latency spike (LATENCY). */
static void note_latency(struct shard *s, const char *event, long long start_us)
{
    long long ms = (monotonic_us() - start_us) / 1000, threshold = s->cfg.latency_monitor_threshold;
    if (threshold > 0 && ms >= threshold) latency_monitor_add(&s->latency, event, mstime() / 1000, (uint32_t)ms);
}

static void on_timer(struct ring_op *op, int res, uint32_t flags)
{
    struct shard *s = container_of(op, struct shard, timer.op);
    long long now = mstime();
    /* Redis gives active expiry 25% of each timer period, shared by the
     * databases in turn: a db that used up the budget is where the next
     * period starts, so one busy db neither starves nor is starved. */
    long long budget = 1000000 / (s->cfg.hz > 0 ? s->cfg.hz : 10) / 4, start = monotonic_us();
    pause_retry(s);
    for (int n = 0; n < s->cfg.databases && pause_now(s->srv) == PAUSE_OFF && !s->ks->active_expire_off; n++) {
        int i = (s->expire_next_db + n) % s->cfg.databases;
        long long left = budget - (monotonic_us() - start);
        if (left <= 0) {
            s->expire_next_db = i;
            break;
        }
        db_active_expire(ks_db(s->ks, i), now, left);
    }
    note_latency(s, "expire-cycle", start);
    for (int i = 0; i < s->cfg.databases; i++) db_maintain(ks_db(s->ks, i), 1000);
    close_idle_clients(s, now);
    sample_rates(s, now);
    snapshot_tick(s, now);
    memory_tick(s);
    tracking_limit(s); /* CONFIG SET tracking-table-max-keys on an idle server */
    exec_calibrate(s);
    rk_collect_released();
    resume_accepting(s);
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

static void close_listener(struct shard *s, struct listener *l)
{
    if (l->fd < 0) return;
    ring_cancel_fd(s->ring, l->fd);
    ring_close(s->ring, l->fd);
    l->fd = -1;
}

static void stop_listening(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) close_listener(s, s->listeners[i]);
}

/* At the shard's end, with no completion to come. */
static void free_listeners(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) rk_free(s->listeners[i]);
    s->nlisteners = 0;
    while (s->retired) {
        struct listener *l = s->retired;
        s->retired = l->next_retired;
        rk_free(l);
    }
}

static __thread struct shard *shard_self;

static void on_ctl_failed(struct ring_op *op, int res, uint32_t flags)
{
    log_warn("a cross-ring message could not be posted: %s", strerror(-res));
}

void shard_on_ctl(struct ring_op *op, int res, uint32_t flags)
{
    struct shard_ctl_msg *m = container_of(op, struct shard_ctl_msg, op);
    struct shard *s = shard_self;
    enum shard_ctl kind = m->kind;
    rk_free(m);
    if (kind == SHARD_CTL_SHUTDOWN) {
        s->draining = true;
        s->drain_deadline_us = monotonic_us() + DRAIN_US;
        stop_listening(s);
        for (struct conn *c = s->conns; c; c = c->next) {
            /* Stop reading; replies already owed still go out. */
            c->flags |= CONN_CLOSE_AFTER_REPLY;
            conn_want_send(c);
        }
    } else if (kind == SHARD_CTL_EXIT) {
        s->exiting = true;
    } else if (kind == SHARD_CTL_SAVE) {
        snapshot_for_shutdown(s, NULL);
    }
}

static void post_ctl(struct shard *s, enum server_ctl kind)
{
    struct server_ctl_msg *m = rk_calloc(1, sizeof(*m));
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

/* Listeners on each of cfg's bind addresses for port, plain or TLS,
 * added to out[*n] (not yet accepting); 0, or the -errno of an address
 * that must exist and cannot be bound. */
static int open_listeners(struct shard *s, const struct config *cfg, int port, bool tls, struct listener **out,
                          int *n)
{
    for (int i = 0; i < cfg->bind_count; i++) {
        bool optional;
        const char *addr = bind_address(cfg->bind[i], &optional);
        int fd = listen_on(s, addr, port);
        if (fd < 0) {
            /* As Redis: a protocol this host lacks is skipped, and so is a
             * missing address marked optional ("-::1" with IPv6 off). */
            bool skip = (fd == -EADDRNOTAVAIL && optional) || fd == -EAFNOSUPPORT || fd == -EPROTONOSUPPORT ||
                        fd == -ESOCKTNOSUPPORT || fd == -EPFNOSUPPORT || fd == -ENOPROTOOPT;
            if (s->id == 0 || !skip)
                log_warn("%sCould not create server TCP listening socket %s:%d: %s", skip ? "Warning: " : "", addr,
                         port, strerror(-fd));
            if (skip) continue;
            return fd;
        }
        struct listener *l = rk_calloc(1, sizeof(*l));
        l->op.cb = on_accept;
        l->shard = s;
        l->fd = fd;
        l->tls = tls;
        out[(*n)++] = l;
    }
    return 0;
}

static bool same_binds(const struct config *a, const struct config *b)
{
    if (a->bind_count != b->bind_count) return false;
    for (int i = 0; i < a->bind_count; i++)
        if (strcmp(a->bind[i], b->bind[i]) != 0) return false;
    return true;
}

/* The context next asks for: NULL without a TLS port (as Redis, the
 * settings are built only while one is open), the shard's own when its
 * settings did not change, else a new one; false when that does not build. */
static bool next_tls_context(struct shard *s, const struct config *next, struct tls_context **ctx)
{
    *ctx = NULL;
    if (next->tls_port == 0) return true;
    if (s->tls && tls_settings_equal(&s->cfg, next)) {
        *ctx = s->tls;
        return true;
    }
    *ctx = tls_context_create(next);
    return *ctx != NULL;
}

const char *shard_reconfigure_network(struct shard *s, const struct config *next, const char **directive)
{
    struct tls_context *ctx;
    if (!next_tls_context(s, next, &ctx)) {
        *directive = "tls-";
        return "Unable to update TLS configuration. Check server logs.";
    }
    bool binds = !same_binds(&s->cfg, next);
    bool plain = binds || next->port != s->cfg.port, tls = binds || next->tls_port != s->cfg.tls_port;
    struct listener *fresh[CONFIG_MAX_BIND * 2];
    int n = 0, err = 0;
    if (plain && next->port > 0) err = open_listeners(s, next, (int)next->port, false, fresh, &n);
    if (!err && tls && next->tls_port > 0) err = open_listeners(s, next, (int)next->tls_port, true, fresh, &n);
    if (err) { /* nothing changes: the old listeners and context stay, as Redis keeps them */
        for (int i = 0; i < n; i++) {
            close(fresh[i]->fd);
            rk_free(fresh[i]);
        }
        if (ctx != s->tls) tls_context_release(ctx);
        *directive = binds ? "bind" : next->port != s->cfg.port ? "port" : "tls-port";
        return binds ? "Failed to bind to specified addresses." : "Unable to listen on this port. Check server logs.";
    }
    if (ctx != s->tls) { /* open sessions keep the context they were made from */
        if (s->tls) tls_context_release(s->tls);
        s->tls = ctx;
    }
    /* The old listeners of a changed kind go; their last completions free them. */
    int kept = 0;
    for (int i = 0; i < s->nlisteners; i++) {
        struct listener *l = s->listeners[i];
        if (l->tls ? tls : plain) {
            close_listener(s, l);
            l->retired = true;
            l->next_retired = s->retired;
            s->retired = l;
        } else {
            s->listeners[kept++] = l;
        }
    }
    s->nlisteners = kept;
    for (int i = 0; i < n; i++) {
        s->listeners[s->nlisteners++] = fresh[i];
        ring_accept_multishot(s->ring, fresh[i]->fd, &fresh[i]->op);
    }
    return NULL;
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
    if (s->cfg.port > 0) err = open_listeners(s, &s->cfg, (int)s->cfg.port, false, s->listeners, &s->nlisteners);
    if (!err && s->cfg.tls_port > 0) {
        /* The server checked the settings before starting the shards. */
        s->tls = tls_context_create(&s->cfg);
        err = s->tls ? open_listeners(s, &s->cfg, (int)s->cfg.tls_port, true, s->listeners, &s->nlisteners) : -EINVAL;
    }
    if (err) {
        s->start_error = err;
        return;
    }
    if (s->nlisteners == 0) {
        if (s->id == 0) log_warn("Configured to not listen anywhere, exiting.");
        s->start_error = -EADDRNOTAVAIL;
    }
}

static void run_loop(struct shard *s)
{
    for (int i = 0; i < s->nlisteners; i++) ring_accept_multishot(s->ring, s->listeners[i]->fd, &s->listeners[i]->op);
    arm_timer(s);
    bool drained_reported = false;
    while (!s->exiting) {
        tracking_before_sleep(s); /* BCAST messages: may post to other shards */
        msg_flush(s);
        drain_list(&s->send_list, CONN_IN_SEND_LIST, conn_start_send);
        if (RK_UNLIKELY(s->reload_pending != NULL)) shard_reload_pump(s);
        bool more = snapshot_pump(s);
        more |= memory_pump(s);
        int n = ring_run(s->ring, more ? 0 : 1);
        if (n < 0) {
            log_warn("shard %u: io_uring wait failed: %s", s->id, strerror(-n));
            break;
        }
        drain_list(&s->rearm_list, CONN_IN_REARM_LIST, conn_rearm_recv);
        drain_list(&s->resume_list, CONN_IN_RESUME_LIST, conn_resume);
        if (s->draining && !drained_reported && s->conns == NULL) {
            drained_reported = true;
            post_ctl(s, SERVER_CTL_DRAINED);
        }
    }
}

static void *shard_main(void *arg)
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
    s->ks = ks_create(s->cfg.databases, (uint64_t)(s->id + 1) * 7919);
    tracking_setup(s); /* before anything runs a command (shard_exec_ctx reads it) */
    s->cmdstats = cmdstats_create();
    s->outbox = rk_calloc(MAX_SHARDS, sizeof(*s->outbox));
    s->credits = rk_calloc(MAX_SHARDS, sizeof(*s->credits));
    s->outbox_waiters = rk_calloc(MAX_SHARDS, sizeof(*s->outbox_waiters));
    s->locks = lock_table_create(s->cfg.databases);
    s->pubsub = pubsub_create();
    s->blocked = block_registry_create();
    for (unsigned t = 0; t < MAX_SHARDS; t++) s->credits[t] = (uint32_t)s->cfg.shard_msg_inflight;

    setup(s);
    if (!s->start_error && !shard_load_slice(s)) s->start_error = -EINVAL;
    notify_configure(s); /* after loading, which raises nothing */
    memory_shard_setup(s);
    slowlog_init(&s->slowlog);
    latency_monitor_init(&s->latency);
    exec_calibrate(s);
    /* Meet the others, then learn whether everyone started. */
    pthread_barrier_wait(&s->srv->start_barrier);
    pthread_barrier_wait(&s->srv->start_barrier);
    if (!s->srv->start_failed) run_loop(s);

    /* Waiters first: leaving, they tell the databases (data/ready.h). */
    block_registry_destroy(s);
    xblock_discard_all(s);
    snapshot_shard_exit(s);
    memory_shard_exit(s);
    tracking_teardown(s);
    slowlog_free(&s->slowlog);
    latency_monitor_free(&s->latency);
    ks_destroy(s->ks);
    script_engine_destroy(s->scripts);
    script_engine_destroy(s->functions);
    lock_table_destroy(s->locks);
    pubsub_destroy(s->pubsub);
    obuf_free(&s->notify_channel);
    obuf_free(&s->discard);
    rk_free(s->monitors);
    stop_listening(s);
    if (s->tls) tls_context_release(s->tls); /* its sessions hold their own references */
    free_listeners(s);
    if (s->ring) {
        ring_submit(s->ring);
        ring_bufs_destroy(s->ring, s->bufs);
        ring_destroy(s->ring);
    }
    msg_discard_outboxes(s);
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
    cmdstats_destroy(s->cmdstats);
    return NULL;
}

struct shard *shard_create(struct server *srv, unsigned id)
{
    struct shard *s = rk_calloc(1, sizeof(*s));
    s->id = id;
    s->srv = srv;
    config_copy(&s->cfg, &srv->cfg);
    if (pthread_create(&s->thread, NULL, shard_main, s) != 0) {
        config_free(&s->cfg);
        rk_free(s);
        return NULL;
    }
    return s;
}

void shard_destroy(struct shard *s)
{
    pthread_join(s->thread, NULL);
    config_free(&s->cfg);
    rk_free(s);
}

int shard_start_error(const struct shard *s) { return s->start_error; }
