/* conn.h — the connection actor: one client socket on one shard.
 *
 * It owns the socket, the bytes received but not yet executed, the replies
 * not yet sent, and the client's protocol state (selected db, RESP version,
 * auth, name). Input arrives through the shard's multishot recv into
 * provided buffers; complete commands are handed to dispatch (dispatch.h),
 * which runs them inline or sends them to their shard. One send is in
 * flight at a time; replies gathered meanwhile go out with the next one.
 *
 * A connection is freed only when nothing refers to it any more: no recv or
 * send in flight, no request of it in flight to another shard (`busy`), and
 * no loop list holding it. Closing first cancels its I/O, then waits for
 * those to drain. Single-threaded: only its shard touches it.
 *
 * The end of a connection, as Redis ends it:
 *  - the peer's FIN (a half-close) means no more requests: everything
 *    received before it still runs and is answered in order, including
 *    commands away on other shards, and the socket closes after the last
 *    reply has gone out;
 *  - a connection that must end after its pending replies (a protocol
 *    error, QUIT, CLIENT KILL, shutdown) sends them, then half-closes its
 *    own side and reads, discarding, until the peer closes or a short
 *    deadline passes ("lingering close"): closing a socket with unread
 *    input makes the kernel send a reset, which can destroy replies still
 *    on their way to the peer;
 *  - an error on the socket, or a client over its output limit (reset on
 *    purpose), closes at once.
 */
#ifndef RINGKV_CONN_H
#define RINGKV_CONN_H

#include "ringkv/core/msg.h"
#include "ringkv/proto/reply.h"
#include "ringkv/proto/resp.h"
#include "ringkv/core/ring.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct shard;
struct msg_batch;
struct client;
struct tls_context;
struct tls_session;

enum {
    CONN_RECV_ARMED = 1u << 0,
    CONN_SENDING = 1u << 1,
    CONN_CLOSING = 1u << 2,
    CONN_CLOSE_AFTER_REPLY = 1u << 3,
    CONN_IN_SEND_LIST = 1u << 4,
    CONN_IN_RESUME_LIST = 1u << 5,
    CONN_IN_REARM_LIST = 1u << 6,
    CONN_NO_EVICT = 1u << 8,       /* CLIENT NO-EVICT on */
    CONN_PUBSUB = 1u << 9,         /* subscribed: the pubsub output-limit class, no idle timeout */
    CONN_INPUT_EOF = 1u << 10,     /* the peer sent FIN: no more requests, but all it sent is answered */
    CONN_PAUSED = 1u << 12,        /* its next command waits out CLIENT PAUSE (core/pause.h) */
    CONN_LINGERING = 1u << 11,     /* replies sent and FIN queued; reading until the peer closes */
    CONN_MONITOR = 1u << 13,       /* in MONITOR (net/monitor.h) */
    CONN_MONITOR_FED = 1u << 14,   /* the command waiting to run was shown to monitors already */
};

struct acl_user;

struct conn {
    struct ring_op recv_op;
    struct ring_op send_op;
    struct shard *shard;
    struct conn *prev, *next;
    int fd;
    uint32_t flags;
    uint64_t id;

    /* input not yet executed: in[in_pos, in_len) */
    struct resp_parser parser;
    char *in;
    size_t in_len, in_cap, in_pos;
    /* While a command runs: the input bytes from its start on (Redis's
     * qbuf counts the running command, CLIENT LIST/INFO show it) */
    size_t in_running;
    /* argument vectors handed to commands */
    const char **argv;
    size_t *argl;
    uint32_t argv_cap;
    uint32_t prefetched;           /* commands ahead whose keys were prefetched */

    /* output: replies gathered, and the bytes handed to the kernel */
    struct obuf out;
    struct obuf sending;           /* with TLS: sealed records */
    size_t sent;
    struct tls_session *tls;       /* NULL: plain text */
    long long obuf_soft_since_ms;  /* when output first passed the soft limit, 0: under it */
    struct msghdr mh;
    struct iovec iov;

    /* protocol state */
    int dbid;
    uint8_t resp;
    bool authenticated;
    struct acl_user *user;      /* the version of its user it last saw (net/conn_acl.h) */
    uint64_t acl_seen_gen;      /* the ACL generation it saw it at */
    uint64_t acl_free_gen;      /* that generation while the user is unrestricted, else 0 */
    char *name;

    /* pending work elsewhere: a segment, a transaction, or a command
     * waiting for keys, not answered yet (at most one: see dispatch.h) */
    uint32_t busy;
    /* CLIENT REPLY: the mode, whether the command running now answers
     * nothing (its replies go to the shard's discard buffer, pushes still
     * to out), and whether the reply of what is away is dropped. */
    uint8_t reply_mode;            /* enum client_reply_mode (cmd/host.h) */
    bool silenced, drop_away_reply;
    struct msg_sender sender;      /* its commands to other shards; done: their replies */
    struct msg_waiter waiter;      /* waiting for room in an outbox */
    struct conn_multi *multi;      /* MULTI queue and WATCHed keys (multi.h), NULL: never used */
    struct conn_pubsub *pubsub;    /* what it listens to (pubsub.h), NULL: never subscribed */
    struct conn_tracking *trk;     /* client-side caching (tracking.h), NULL: never tracked */

    long long ctime_ms, last_ms;
    long long linger_deadline_ms;  /* CONN_LINGERING: closed at this time at the latest */
    uint64_t commands;
    char addr[64], laddr[64];
    const char *last_cmd;          /* table name of the last command, NULL if unknown */
};

/* Takes an accepted socket; with tls, its bytes are TLS records and the
 * client's session is made from that context (net/tls.h). */
struct conn *conn_create(struct shard *s, int fd, struct tls_context *tls);
/* Starts closing (idempotent). Never frees: the caller ends its use of the
 * connection with conn_maybe_free(). */
void conn_close(struct conn *c);
/* Queues the connection for a send at the end of this loop turn. */
void conn_want_send(struct conn *c);
/* Queues the connection to process its buffered input again. */
void conn_want_resume(struct conn *c);
/* Frees the connection if nothing refers to it any more. */
void conn_maybe_free(struct conn *c);
/* Loop hooks, called by the shard for each connection on its lists. */
void conn_start_send(struct conn *c);
void conn_resume(struct conn *c);
void conn_rearm_recv(struct conn *c);
/* A request of this connection came back: one less thing in flight. */
void conn_done_busy(struct conn *c);
/* Timer hook: closes a lingering connection whose peer never closed. */
void conn_check_linger(struct conn *c, long long now_ms);

/* Whether the client must still AUTH before running commands: it has not
 * authenticated and a password is set now (CONFIG SET may have changed it). */
bool conn_auth_required(const struct conn *c);
/* Reply bytes not yet accepted by the kernel: what the output buffer limits
 * (client-output-buffer-limit) measure. */
size_t conn_output_pending(const struct conn *c);
/* Where the reply of the command running now goes: out, or nowhere
 * (CLIENT REPLY OFF/SKIP: a discard buffer the shard empties). */
struct obuf *conn_reply_buf(struct conn *c);
/* The hard output limit of the client's class in bytes, 0 if none. */
size_t conn_output_hard_limit(const struct conn *c);

/* The connection as command handlers see it: the handle of the client
 * calls (cmd/host.h, defined in conn.c). */
struct client *conn_client(struct conn *c);
/* What the shard's connections hold in query and reply buffers (INFO
 * mem_clients_normal). */
uint64_t conn_buffer_bytes(const struct shard *s);

#endif
