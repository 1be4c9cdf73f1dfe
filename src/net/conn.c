/* conn.c — the connection actor; see conn.h. Thread: its shard only. */
#include "ringkv/net/conn.h"
#include "ringkv/net/conn_acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/exec.h"
#include "ringkv/net/dispatch.h"
#include "ringkv/net/multi.h"
#include "ringkv/net/monitor.h"
#include "ringkv/net/pubsub.h"
#include "ringkv/net/tracking.h"
#include "ringkv/net/tls.h"
#include "ringkv/core/client_registry.h"
#include "ringkv/base/log.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/shard.h"
#include "ringkv/base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


/* Buffers kept across requests; larger ones are released once drained. */
#define IN_KEEP (64 * 1024)
#define OUT_KEEP (64 * 1024)
/* How long a connection that is done waits for its peer to close. */
#define LINGER_MS 2000

static void on_recv(struct ring_op *op, int res, uint32_t flags);
static void on_send(struct ring_op *op, int res, uint32_t flags);
static void on_replies(struct msg_done *d, const char *data, size_t len, bool final);
static void on_outbox_room(struct msg_waiter *w);

static void format_addr(int fd, bool local, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    int r = local ? getsockname(fd, (struct sockaddr *)&ss, &sl) : getpeername(fd, (struct sockaddr *)&ss, &sl);
    if (r == 0 && ss.ss_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        port = ntohs(sin->sin_port);
    } else if (r == 0 && ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        port = ntohs(sin6->sin6_port);
    }
    snprintf(out, cap, "%s:%d", host, port);
}

struct conn *conn_create(struct shard *s, int fd, struct tls_context *tls)
{
    struct conn *c = rk_calloc(1, sizeof(*c));
    if (tls) c->tls = tls_session_create(tls);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->recv_op.cb = on_recv;
    c->send_op.cb = on_send;
    c->shard = s;
    c->fd = fd;
    c->resp = 2;
    c->sender.done.fn = on_replies;
    c->sender.last_target = -1;
    c->waiter.wake = on_outbox_room;
    c->id = __atomic_add_fetch(&s->srv->next_client_id, 1, __ATOMIC_RELAXED);
    conn_acl_init(c);
    c->ctime_ms = c->last_ms = mstime();
    resp_parser_init(&c->parser, s->cfg.proto_max_bulk_len);
    obuf_init(&c->out);
    obuf_init(&c->sending);
    format_addr(fd, false, c->addr, sizeof(c->addr));
    format_addr(fd, true, c->laddr, sizeof(c->laddr));
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    client_registry_add(c->id, s->id, c);
    conn_rearm_recv(c);
    return c;
}

void conn_rearm_recv(struct conn *c)
{
    if (c->flags & (CONN_CLOSING | CONN_RECV_ARMED | CONN_INPUT_EOF)) return;
    if (ring_recv_multishot(c->shard->ring, c->fd, 0, &c->recv_op) == 0) c->flags |= CONN_RECV_ARMED;
    else conn_close(c);
}

static void push_once(struct conn *c, uint32_t flag, struct conn_list *l)
{
    if (c->flags & flag) return;
    c->flags |= flag;
    conn_list_push(l, c);
}

bool conn_auth_required(const struct conn *c) { return conn_acl_auth_required(c); }

size_t conn_output_pending(const struct conn *c) { return c->out.len + (c->sending.len - c->sent); }

/* Redis lets an unauthenticated client's replies fill its 16 KB reply
 * buffer and 1 KB more (CVE-2025-21605): a stranger who never reads cannot
 * grow the server's memory. */
#define UNAUTH_OUTPUT_MAX (16 * 1024 + 1024)

static const struct config_obuf_limit *output_limits(const struct conn *c)
{
    return &c->shard->cfg.obuf_limits[c->flags & CONN_PUBSUB ? OBUF_PUBSUB : OBUF_NORMAL];
}

size_t conn_output_hard_limit(const struct conn *c) { return (size_t)output_limits(c)->hard; }

/* client-output-buffer-limit as Redis applies it: over the hard limit, or
 * over the soft limit for longer than its seconds, and the client goes. */
static bool output_over_limit(struct conn *c)
{
    const struct config_obuf_limit *l = output_limits(c);
    bool unauth = !c->authenticated && conn_auth_required(c);
    if (!unauth && l->hard == 0 && l->soft == 0) return false;
    size_t used = conn_output_pending(c);
    if (unauth && used > UNAUTH_OUTPUT_MAX) return true;
    if (l->hard && used >= (unsigned long long)l->hard) return true;
    if (!l->soft || used < (unsigned long long)l->soft) {
        c->obuf_soft_since_ms = 0;
        return false;
    }
    long long now = mstime();
    if (c->obuf_soft_since_ms == 0) c->obuf_soft_since_ms = now;
    return now - c->obuf_soft_since_ms > l->soft_seconds * 1000;
}

void conn_want_send(struct conn *c)
{
    if (c->flags & CONN_CLOSING) return;
    if (output_over_limit(c)) {
        log_warn("Client id=%llu addr=%s closed for overcoming of output buffer limits.", (unsigned long long)c->id,
                 c->addr);
        /* Reset, not FIN: what the kernel still holds for this reader (up
         * to its send buffer) would otherwise stay queued before the FIN
         * for as long as the client does not read, and the client would
         * never learn it was dropped. */
        struct linger reset = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        conn_close(c);
        return;
    }
    if (c->flags & CONN_SENDING) return;
    push_once(c, CONN_IN_SEND_LIST, &c->shard->send_list);
}

void conn_want_resume(struct conn *c) { push_once(c, CONN_IN_RESUME_LIST, &c->shard->resume_list); }

/* A client that goes while blocked (BLPOP) leaves the wait registry, here
 * or on the shard its command went to; otherwise it would never be freed. */
static void stop_blocking(struct conn *c)
{
    struct shard *s = c->shard;
    if (exec_unblock(s, c->id, CANCEL_GONE)) return;
    int target = c->sender.last_target;
    if (target < 0 || target == (int)s->id) return;
    struct exec_unblock_msg m = {c->id, CANCEL_GONE};
    msg_add_segment(s, (unsigned)target, SEG_UNBLOCK, NULL, 0, 2, c->id, &m, sizeof(m));
}

void conn_close(struct conn *c)
{
    if (c->flags & CONN_CLOSING) return;
    c->flags |= CONN_CLOSING;
    client_registry_remove(c->id); /* gone for REDIRECT at once, as Redis frees it */
    if (c->busy) {
        /* Ending the wait may answer it at once (a wait for keys on several
         * shards), and the answer's conn_done_busy would free c under us
         * and again in the caller's conn_maybe_free: held meanwhile. */
        c->busy++;
        stop_blocking(c);
        c->busy--;
    }
    if (!(c->flags & CONN_LINGERING)) __atomic_sub_fetch(&c->shard->srv->connected_clients, 1, __ATOMIC_RELAXED);
    if (c->flags & (CONN_RECV_ARMED | CONN_SENDING)) ring_cancel_fd(c->shard->ring, c->fd);
}

void conn_maybe_free(struct conn *c)
{
    const uint32_t refs = CONN_RECV_ARMED | CONN_SENDING | CONN_IN_SEND_LIST | CONN_IN_RESUME_LIST |
                          CONN_IN_REARM_LIST;
    if (!(c->flags & CONN_CLOSING) || (c->flags & refs) || c->busy || c->waiter.queued) return;
    struct shard *s = c->shard;
    if (c->prev) c->prev->next = c->next;
    else s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    if (c->flags & CONN_PAUSED) s->paused_conns--;
    multi_conn_closed(c);
    pubsub_conn_closed(c);
    monitor_conn_closed(c);
    conn_acl_release(c);
    tracking_conn_closed(c);
    tls_session_free(c->tls);
    /* The fd is closed only now, so no later request can hit a reused fd. */
    ring_close(s->ring, c->fd);
    resp_parser_deinit(&c->parser);
    obuf_free(&c->out);
    obuf_free(&c->sending);
    if (c->in_cap > IN_KEEP) rk_note_release(c->in_cap);
    rk_free(c->in);
    rk_free(c->argv);
    rk_free(c->argl);
    rk_free(c->name);
    rk_free(c);
}

/* The replies of what was away (a segment, a transaction, a command that
 * waited for its keys): in order, since only one thing is away at a time. */
static void on_replies(struct msg_done *d, const char *data, size_t len, bool final)
{
    struct conn *c = container_of(d, struct conn, sender.done);
    bool dropped = c->drop_away_reply || c->reply_mode == CLIENT_REPLY_OFF;
    if (final) c->drop_away_reply = false;
    if (!(c->flags & CONN_CLOSING) && !dropped) obuf_append(&c->out, data, len);
    if (final && RK_UNLIKELY(tracking_has_pending(c))) tracking_flush_pending(c);
    if (final) conn_done_busy(c);
}

static void on_outbox_room(struct msg_waiter *w)
{
    struct conn *c = container_of(w, struct conn, waiter);
    if (c->flags & CONN_CLOSING) conn_maybe_free(c);
    else conn_want_resume(c);
}

void conn_done_busy(struct conn *c)
{
    c->busy--;
    if (c->flags & CONN_CLOSING) {
        conn_maybe_free(c);
        return;
    }
    conn_want_send(c);
    if (c->busy == 0) conn_want_resume(c);
}

/* Keeps bytes that could not run yet. */
static void in_append(struct conn *c, const char *data, size_t len)
{
    if (c->in_pos && c->in_pos == c->in_len) c->in_pos = c->in_len = 0;
    if (c->in_cap - c->in_len < len) {
        if (c->in_pos) { /* reclaim the consumed prefix first */
            memmove(c->in, c->in + c->in_pos, c->in_len - c->in_pos);
            c->in_len -= c->in_pos;
            c->in_pos = 0;
        }
        if (c->in_cap - c->in_len < len) {
            size_t want = c->in_len + len;
            size_t hint = resp_bytes_wanted(&c->parser);
            size_t cap = c->in_cap ? c->in_cap : 16384;
            /* Size for the whole bulk being read, so a big value is copied once. */
            if (hint > want && hint <= (size_t)c->shard->cfg.client_query_buffer_limit) want = hint;
            while (cap < want) cap *= 2;
            c->in = rk_realloc(c->in, cap);
            c->in_cap = cap;
        }
    }
    memcpy(c->in + c->in_len, data, len);
    c->in_len += len;
}

static void in_compact(struct conn *c)
{
    if (c->in_pos == c->in_len) {
        c->in_pos = c->in_len = 0;
        if (c->in_cap > IN_KEEP) {
            rk_note_release(c->in_cap);
            rk_free(c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
    }
}

/* After the peer's FIN: once nothing is in flight or waiting for room,
 * what is left of the input can never become a command, and the
 * connection ends after its last reply. */
static void end_if_input_done(struct conn *c)
{
    if (!(c->flags & CONN_INPUT_EOF) || c->busy || c->waiter.queued || (c->flags & CONN_CLOSE_AFTER_REPLY)) return;
    c->flags |= CONN_CLOSE_AFTER_REPLY;
    conn_want_send(c);
}

/* Runs what is buffered. */
void conn_resume(struct conn *c)
{
    if (c->flags & CONN_CLOSING || c->busy) return;
    if (c->in_pos < c->in_len) c->in_pos += dispatch_input(c, c->in + c->in_pos, c->in_len - c->in_pos);
    in_compact(c);
    end_if_input_done(c);
}

/* Whether the input left can still run is known only after conn_resume
 * tried: a reply may have come back this turn with commands queued behind
 * it. */
static void stop_blocking(struct conn *c);

static void on_input_eof(struct conn *c)
{
    c->flags |= CONN_INPUT_EOF;
    /* A blocked command ends with its client's input, as in Redis (it
     * would otherwise wait for ever for a client that cannot send). */
    if (c->busy) stop_blocking(c);
    if (c->flags & CONN_LINGERING) conn_close(c);
    else conn_want_resume(c);
}

/* Every reply is in the kernel's hands: end the connection. */
static void finish(struct conn *c)
{
    if (c->flags & CONN_LINGERING) return;
    if ((c->flags & CONN_INPUT_EOF) || shutdown(c->fd, SHUT_WR) < 0) {
        conn_close(c); /* nothing more can arrive, or the socket is gone */
        return;
    }
    /* Gone for Redis's clients (INFO connected_clients, CLIENT LIST): it
     * only waits for the peer to take its last reply. */
    c->flags |= CONN_LINGERING;
    client_registry_remove(c->id); /* and for REDIRECT */
    tracking_conn_closed(c);       /* and for client-side caching: no more pushes */
    __atomic_sub_fetch(&c->shard->srv->connected_clients, 1, __ATOMIC_RELAXED);
    c->linger_deadline_ms = mstime() + LINGER_MS;
}

void conn_check_linger(struct conn *c, long long now_ms)
{
    if ((c->flags & CONN_LINGERING) && now_ms >= c->linger_deadline_ms) conn_close(c);
}

/* Plaintext input: run straight from data when nothing waits before it,
 * keeping the tail; otherwise behind what waits. */
static void take_input(struct conn *c, const char *data, size_t len)
{
    if (c->in_pos == c->in_len && c->busy == 0) {
        size_t used = dispatch_input(c, data, len);
        if (used < len && !(c->flags & CONN_CLOSING)) in_append(c, data + used, len - used);
    } else {
        in_append(c, data, len);
        conn_resume(c);
    }
}

/* TLS records: opened into plaintext, which runs as above. The handshake
 * advances here too; what it answers leaves with the next send. */
static void take_sealed_input(struct conn *c, const char *data, size_t len)
{
    char plain[16 * 1024]; /* a record's worth */
    tls_session_feed(c->tls, data, len);
    while (!(c->flags & (CONN_CLOSING | CONN_CLOSE_AFTER_REPLY))) {
        ssize_t n = tls_session_read(c->tls, plain, sizeof plain);
        if (n < 0) { /* a bad handshake, a plain-text client: this connection only */
            conn_close(c);
            return;
        }
        if (n == 0) break;
        take_input(c, plain, (size_t)n);
    }
    if (tls_session_pending(c->tls)) conn_want_send(c);
}

static void on_recv(struct ring_op *op, int res, uint32_t flags)
{
    struct conn *c = container_of(op, struct conn, recv_op);
    struct shard *s = c->shard;
    if (!ring_cqe_more(flags)) c->flags &= ~CONN_RECV_ARMED;
    if (res <= 0) {
        if (res == -ENOBUFS && !(c->flags & CONN_CLOSING)) push_once(c, CONN_IN_REARM_LIST, &s->rearm_list);
        else if (res == 0 && !(c->flags & CONN_CLOSING)) on_input_eof(c);
        else conn_close(c);
        conn_maybe_free(c);
        return;
    }
    unsigned id = ring_cqe_buf_id(flags);
    const char *data = ring_bufs_data(s->bufs, id);
    s->stats.net_input_bytes += (uint64_t)res;
    s->stats.reads_processed++;
    if (!(c->flags & (CONN_CLOSING | CONN_CLOSE_AFTER_REPLY))) {
        c->last_ms = mstime();
        if (c->tls) take_sealed_input(c, data, (size_t)res);
        else take_input(c, data, (size_t)res);
        if (c->in_len - c->in_pos > (size_t)s->cfg.client_query_buffer_limit) {
            log_warn("Closing client that reached max query buffer length (id=%llu)", (unsigned long long)c->id);
            conn_close(c);
        }
    }
    ring_bufs_recycle(s->bufs, id);
    if (!(c->flags & CONN_RECV_ARMED) && !(c->flags & CONN_CLOSING)) push_once(c, CONN_IN_REARM_LIST, &s->rearm_list);
    conn_maybe_free(c);
}

/* While a command is away on another shard, replies before it wait for
 * its reply (up to a bound), so a pipeline goes back in one send: a
 * partial send costs a syscall, TCP segments and a client wake-up each. */
#define HOLD_WHILE_BUSY 16384

/* The next TLS send: what the session has to say on its own, then the
 * replies sealed into records (once the handshake is done, and unless
 * they are held); false when there is nothing to send. */
static bool seal_next(struct conn *c, bool hold)
{
    c->sending.len = c->sent = 0;
    tls_session_take_output(c->tls, &c->sending);
    if (!hold && c->out.len && tls_session_ready(c->tls)) {
        if (!tls_session_seal(c->tls, c->out.data, c->out.len, &c->sending)) {
            conn_close(c);
            return false;
        }
        c->out.len = 0;
        obuf_shrink(&c->out, OUT_KEEP);
    }
    return c->sending.len > 0;
}

void conn_start_send(struct conn *c)
{
    if (c->flags & (CONN_SENDING | CONN_CLOSING)) return;
    if (c->sent == c->sending.len) {
        if (c->out.len == 0 && !(c->tls && tls_session_pending(c->tls))) {
            if ((c->flags & CONN_CLOSE_AFTER_REPLY) && c->busy == 0) finish(c);
            return;
        }
        /* Once the client's input has ended, replies go at once: a client
         * that closed its socket makes a send fail, which ends the
         * connection, instead of the server running the rest of a
         * pipeline nobody will read. */
        bool hold = c->busy && c->out.len < HOLD_WHILE_BUSY && !(c->flags & CONN_INPUT_EOF);
        if (c->tls) {
            if (!seal_next(c, hold)) return; /* conn_done_busy or the handshake sends */
        } else {
            if (hold) return; /* conn_done_busy sends */
            struct obuf t = c->sending;
            c->sending = c->out;
            c->out = t;
            c->out.len = 0;
            c->sent = 0;
        }
    }
    c->iov.iov_base = c->sending.data + c->sent;
    c->iov.iov_len = c->sending.len - c->sent;
    memset(&c->mh, 0, sizeof(c->mh));
    c->mh.msg_iov = &c->iov;
    c->mh.msg_iovlen = 1;
    if (ring_sendmsg(c->shard->ring, c->fd, &c->mh, &c->send_op) == 0) c->flags |= CONN_SENDING;
    else conn_close(c);
}

static void on_send(struct ring_op *op, int res, uint32_t flags)
{
    struct conn *c = container_of(op, struct conn, send_op);
    c->flags &= ~CONN_SENDING;
    if (res < 0) {
        conn_close(c);
        conn_maybe_free(c);
        return;
    }
    c->shard->stats.net_output_bytes += (uint64_t)res;
    c->shard->stats.writes_processed++;
    c->sent += (size_t)res;
    c->last_ms = mstime(); /* a client reading a long reply is not idle */
    if (c->sent == c->sending.len) {
        c->sending.len = c->sent = 0;
        obuf_shrink(&c->sending, OUT_KEEP);
    }
    if (!(c->flags & CONN_CLOSING) &&
        (c->sent < c->sending.len || c->out.len || (c->flags & CONN_CLOSE_AFTER_REPLY) ||
         (c->tls && tls_session_pending(c->tls))))
        conn_want_send(c);
    conn_maybe_free(c);
}

struct obuf *conn_reply_buf(struct conn *c)
{
    if (!c->silenced) return &c->out;
    c->shard->discard.len = 0;
    return &c->shard->discard;
}

/* ---- the client calls of cmd/host.h ---- */

/* A client handle is the connection itself, under a type handlers cannot
 * open. */
struct client *conn_client(struct conn *c) { return (struct client *)c; }
static struct conn *conn_of(struct client *cl) { return (struct conn *)cl; }
static const struct conn *conn_of_const(const struct client *cl) { return (const struct conn *)cl; }

uint64_t client_id(const struct client *cl) { return conn_of_const(cl)->id; }
const char *client_addr(const struct client *cl) { return conn_of_const(cl)->addr; }
const char *client_laddr(const struct client *cl) { return conn_of_const(cl)->laddr; }
const char *client_name(const struct client *cl) { return conn_of_const(cl)->name; }

void client_set_name(struct client *cl, const char *name, size_t len)
{
    struct conn *c = conn_of(cl);
    rk_free(c->name);
    c->name = len ? rk_strndup(name, len) : NULL;
}

void client_select_db(struct client *cl, int dbid) { conn_of(cl)->dbid = dbid; }
void client_set_resp(struct client *cl, int resp) { conn_of(cl)->resp = (uint8_t)resp; }
bool client_is_authenticated(const struct client *cl) { return conn_of_const(cl)->authenticated; }
void client_set_authenticated(struct client *cl) { conn_of(cl)->authenticated = true; }
void client_set_user(struct client *cl, struct acl_user *u) { conn_acl_set_user(conn_of(cl), u); }
const struct acl_user *client_user(const struct client *cl) { return conn_of_const(cl)->user; }

void client_set_no_evict(struct client *cl, bool on)
{
    if (on) conn_of(cl)->flags |= CONN_NO_EVICT;
    else conn_of(cl)->flags &= ~CONN_NO_EVICT;
}

void client_set_reply_mode(struct client *cl, enum client_reply_mode mode) { conn_of(cl)->reply_mode = (uint8_t)mode; }
enum client_reply_mode client_reply_mode(const struct client *cl) { return conn_of_const(cl)->reply_mode; }

void client_reset(struct client *cl)
{
    struct conn *c = conn_of(cl);
    c->reply_mode = CLIENT_REPLY_ON;
    multi_conn_closed(c);
    pubsub_conn_closed(c); /* without unsubscribe messages, as Redis */
    monitor_conn_closed(c);
    tracking_conn_closed(c);
    c->flags &= ~(CONN_PUBSUB | CONN_NO_EVICT);
    c->dbid = 0;
    c->resp = 2;
    rk_free(c->name);
    c->name = NULL;
    conn_acl_init(c);
}

/* The send that empties its output closes it (conn_start_send). */
uint64_t conn_buffer_bytes(const struct shard *s)
{
    uint64_t n = 0;
    for (const struct conn *c = s->conns; c; c = c->next) n += c->in_cap + c->out.cap + c->sending.cap;
    return n;
}

struct msg_done *client_defer_reply(struct client *cl)
{
    struct conn *c = conn_of(cl);
    c->busy++;
    return &c->sender.done;
}

void client_close_after_reply(struct client *cl) { conn_of(cl)->flags |= CONN_CLOSE_AFTER_REPLY; }

/* A killed client blocked in BLPOP and the like leaves the line at once
 * (as Redis frees it): its command ends with no reply, and the close that
 * follows its last reply comes now instead of after the next push. */
void client_kill(struct client *cl)
{
    struct conn *c = conn_of(cl);
    client_close_after_reply(cl);
    if (c->busy) stop_blocking(c);
    conn_want_send(c);
}

/* Redis's CLIENT LIST flags letters for what ringkv tracks, in Redis's order. */
static void describe_flags(const struct conn *c, char *out)
{
    size_t n = 0;
    if (c->flags & CONN_MONITOR) out[n++] = 'O';
    if (c->flags & CONN_PUBSUB) out[n++] = 'P';
    if (multi_active(c)) out[n++] = 'x';
    n += (size_t)tracking_describe_flags(c, out + n);
    if (c->flags & CONN_CLOSING) out[n++] = 'A';
    else if (c->flags & CONN_CLOSE_AFTER_REPLY) out[n++] = 'c';
    if (c->flags & CONN_NO_EVICT) out[n++] = 'e';
    if (n == 0) out[n++] = 'N';
    out[n] = '\0';
}

/* Buffer fields map to ringkv's two output buffers: obl is the replies
 * gathered for the next send, oll how many buffers hold unsent bytes (the
 * one in the kernel's hands and the gathering one), omem all unsent bytes;
 * rbs (and rbp: no peak is tracked) the two buffers' allocated size. */
void client_describe(const struct client *cl, struct obuf *out)
{
    const struct conn *c = conn_of_const(cl);
    char line[640], flags[16];
    long long now = mstime();
    size_t unsent = c->sending.len - c->sent;
    int oll = (unsent > 0) + (c->out.len > 0);
    bool writing = (c->flags & CONN_SENDING) || c->out.len;
    describe_flags(c, flags);
    int n = snprintf(line, sizeof(line),
                     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%ld psub=%ld "
                     "ssub=%ld multi=%ld qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=%d "
                     "omem=%zu tot-mem=%zu events=%s cmd=%s user=%s redir=%lld resp=%d shard=%u\n",
                     (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
                     (now - c->ctime_ms) / 1000, (now - c->last_ms) / 1000, flags, c->dbid, pubsub_conn_count(c, PUBSUB_CHANNEL),
                     pubsub_conn_count(c, PUBSUB_PATTERN), pubsub_conn_count(c, PUBSUB_SHARD), multi_queued(c), c->in_running ? c->in_running : c->in_len - c->in_pos,
                     c->in_cap - c->in_len, c->out.cap + c->sending.cap, c->out.cap + c->sending.cap, c->out.len, oll, conn_output_pending(c),
                     sizeof(*c) + c->in_cap + c->out.cap + c->sending.cap + c->parser.args_cap * sizeof(struct resp_arg) +
                         c->parser.scratch_cap + c->argv_cap * (sizeof(*c->argv) + sizeof(*c->argl)),
                     writing ? "rw" : "r", c->last_cmd ? c->last_cmd : "NULL", c->user ? c->user->name : "default",
                     tracking_redirect_of(c), c->resp,
                     c->shard->id);
    if (n > 0) obuf_append(out, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
