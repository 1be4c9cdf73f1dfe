/* floor_main.c — ringkv-floor: the networking floor for benchmarks.
 *
 * The same ring layer as ringkv-server (ring.c: multishot accept, multishot
 * recv into provided buffers, one send in flight per socket, one loop per
 * shard thread) and the same request framing (resp.c), but every command is
 * answered "+OK" without looking it up or touching a keyspace. What
 * ringkv-server costs above this is the cost of ringkv's own work
 * (Dragonfly's ok_main, Pelikan's pingserver). Usage:
 *   ringkv-floor --port N [--shards N]
 */
#include "ringkv/base/alloc.h"
#include "ringkv/proto/reply.h"
#include "ringkv/proto/resp.h"
#include "ringkv/core/ring.h"
#include "ringkv/base/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


struct floor_shard;

struct floor_conn {
    struct ring_op recv_op, send_op;
    struct floor_shard *sh;
    int fd;
    bool sending, recv_armed, closing, queued;
    struct resp_parser parser;
    struct obuf pending;   /* partial request bytes */
    struct obuf out, sending_buf;
    struct msghdr mh;
    struct iovec iov;
    struct floor_conn *next_ready;
};

struct floor_shard {
    struct ring *ring;
    struct ring_bufs *bufs;
    struct ring_op accept_op;
    int listen_fd;
    struct floor_conn *ready;
};

static int port = 6379, nshards = 1;

static void conn_free_if_done(struct floor_conn *c)
{
    if (!c->closing || c->sending || c->recv_armed || c->queued) return;
    close(c->fd);
    resp_parser_deinit(&c->parser);
    obuf_free(&c->pending);
    obuf_free(&c->out);
    obuf_free(&c->sending_buf);
    rk_free(c);
}

static void conn_close(struct floor_conn *c)
{
    if (c->closing) return;
    c->closing = true;
    ring_cancel_fd(c->sh->ring, c->fd);
}

static void queue_send(struct floor_conn *c)
{
    if (c->queued || c->sending) return;
    c->queued = true;
    c->next_ready = c->sh->ready;
    c->sh->ready = c;
}

/* Frames requests and answers each with +OK; returns bytes consumed. */
static size_t answer(struct floor_conn *c, const char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        enum resp_status st = resp_parse(&c->parser, buf + off, len - off);
        if (st == RESP_MORE) break;
        if (st == RESP_ERROR) {
            conn_close(c);
            return len;
        }
        if (st == RESP_DONE) obuf_append(&c->out, "+OK\r\n", 5);
        off += resp_consumed(&c->parser);
    }
    return off;
}

static void on_recv(struct ring_op *op, int res, uint32_t flags)
{
    struct floor_conn *c = container_of(op, struct floor_conn, recv_op);
    if (!ring_cqe_more(flags)) c->recv_armed = false;
    if (res <= 0) {
        if (res != -ENOBUFS) conn_close(c);
    } else {
        unsigned id = ring_cqe_buf_id(flags);
        const char *data = ring_bufs_data(c->sh->bufs, id);
        if (!c->closing) {
            if (c->pending.len == 0) {
                size_t used = answer(c, data, (size_t)res);
                if (used < (size_t)res) obuf_append(&c->pending, data + used, (size_t)res - used);
            } else {
                obuf_append(&c->pending, data, (size_t)res);
                size_t used = answer(c, c->pending.data, c->pending.len);
                memmove(c->pending.data, c->pending.data + used, c->pending.len - used);
                c->pending.len -= used;
            }
            if (c->out.len) queue_send(c);
        }
        ring_bufs_recycle(c->sh->bufs, id);
    }
    if (!c->recv_armed && !c->closing) {
        if (ring_recv_multishot(c->sh->ring, c->fd, 0, &c->recv_op) == 0) c->recv_armed = true;
    }
    conn_free_if_done(c);
}

static void on_send(struct ring_op *op, int res, uint32_t flags)
{
    struct floor_conn *c = container_of(op, struct floor_conn, send_op);
    c->sending = false;
    if (res < 0) conn_close(c);
    else if ((size_t)res < c->sending_buf.len) {
        memmove(c->sending_buf.data, c->sending_buf.data + res, c->sending_buf.len - (size_t)res);
        c->sending_buf.len -= (size_t)res;
        queue_send(c);
    } else {
        c->sending_buf.len = 0;
        if (c->out.len) queue_send(c);
    }
    conn_free_if_done(c);
}

static void start_send(struct floor_conn *c)
{
    c->queued = false;
    if (c->closing) return;
    if (c->sending_buf.len == 0) {
        struct obuf t = c->sending_buf;
        c->sending_buf = c->out;
        c->out = t;
    }
    c->iov.iov_base = c->sending_buf.data;
    c->iov.iov_len = c->sending_buf.len;
    memset(&c->mh, 0, sizeof(c->mh));
    c->mh.msg_iov = &c->iov;
    c->mh.msg_iovlen = 1;
    if (ring_sendmsg(c->sh->ring, c->fd, &c->mh, &c->send_op) == 0) c->sending = true;
}

static void on_accept(struct ring_op *op, int res, uint32_t flags)
{
    struct floor_shard *sh = container_of(op, struct floor_shard, accept_op);
    if (res >= 0) {
        struct floor_conn *c = rk_calloc(1, sizeof(*c));
        int one = 1;
        setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->recv_op.cb = on_recv;
        c->send_op.cb = on_send;
        c->sh = sh;
        c->fd = res;
        resp_parser_init(&c->parser, 512LL << 20);
        if (ring_recv_multishot(sh->ring, res, 0, &c->recv_op) == 0) c->recv_armed = true;
    }
    if (!ring_cqe_more(flags)) ring_accept_multishot(sh->ring, sh->listen_fd, &sh->accept_op);
}

static int listen_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 511) < 0) {
        perror("ringkv-floor: listen");
        exit(1);
    }
    return fd;
}

static void *shard_main(void *arg)
{
    struct floor_shard sh = {0};
    int err = 0;
    (void)arg;
    sh.ring = ring_create(4096, NULL, &err);
    if (!sh.ring) {
        fprintf(stderr, "ringkv-floor: io_uring: %s\n", strerror(-err));
        exit(1);
    }
    sh.bufs = ring_bufs_create(sh.ring, 0, 1024, 16384, &err);
    if (!sh.bufs) {
        fprintf(stderr, "ringkv-floor: buffers: %s\n", strerror(-err));
        exit(1);
    }
    sh.listen_fd = listen_port();
    sh.accept_op.cb = on_accept;
    ring_accept_multishot(sh.ring, sh.listen_fd, &sh.accept_op);
    for (;;) {
        while (sh.ready) {
            struct floor_conn *c = sh.ready;
            sh.ready = c->next_ready;
            start_send(c);
            conn_free_if_done(c);
        }
        if (ring_run(sh.ring, 1) < 0) break;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--shards") == 0) nshards = atoi(argv[i + 1]);
        /* other redis-server style options are accepted and ignored */
    }
    if (nshards < 1) nshards = 1;
    signal(SIGPIPE, SIG_IGN);
    pthread_t threads[256];
    for (int i = 0; i < nshards && i < 256; i++) pthread_create(&threads[i], NULL, shard_main, NULL);
    fprintf(stderr, "ringkv-floor: %d shard(s) on port %d\n", nshards, port);
    for (int i = 0; i < nshards && i < 256; i++) pthread_join(threads[i], NULL);
    return 0;
}
