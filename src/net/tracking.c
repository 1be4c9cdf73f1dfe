/* tracking.c — client-side caching, connection side; see tracking.h.
 * Thread: the connection's shard. */
#include "ringkv/net/tracking.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/client_registry.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/net/conn.h"
#include "ringkv/net/multi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- messages ---- */

/* The connection of client id on this shard, if it is still there (any
 * connection may be a redirect client: the server's registry knows). */
static struct conn *local_conn(struct shard *s, uint64_t id)
{
    unsigned shard;
    struct conn *c;
    if (!client_registry_find(id, &shard, &c) || shard != s->id) return NULL;
    return c->flags & CONN_CLOSING ? NULL : c;
}

/* Writes an invalidation (payload: the RESP array of keys, or null) to x
 * as its protocol allows; redirected: x is a REDIRECT target, which RESP2
 * reaches in subscribed mode as a message on __redis__:invalidate. */
static void append_push(struct conn *x, const char *payload, size_t len, bool redirected)
{
    static const char push[] = ">2\r\n$10\r\ninvalidate\r\n";
    static const char message[] = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
    if (x->flags & CONN_CLOSING) return;
    if (x->resp >= 3) obuf_append(&x->out, push, sizeof push - 1);
    else if (redirected && (x->flags & CONN_PUBSUB)) obuf_append(&x->out, message, sizeof message - 1);
    else return; /* RESP2 without redirection has nowhere to put it */
    obuf_append(&x->out, payload, len);
    conn_want_send(x);
}

static void redirect_broken(struct conn *c)
{
    c->trk->flags |= TRK_BROKEN_REDIR;
    if (c->resp < 3) return;
    char line[96];
    int n = snprintf(line, sizeof line, ">2\r\n$21\r\ntracking-redir-broken\r\n:%llu\r\n",
                     (unsigned long long)c->trk->redirect);
    obuf_append(&c->out, line, (size_t)n);
    conn_want_send(c);
}

/* Redis's sendTrackingMessage: to the client, or to its redirect client,
 * on this shard or (in the turn's message) on its own. */
void tracking_send_payload(struct conn *c, const char *payload, size_t len)
{
    uint64_t redirect = c->trk->redirect;
    if (!redirect) {
        append_push(c, payload, len, false);
        return;
    }
    unsigned shard;
    struct conn *r;
    if (!client_registry_find(redirect, &shard, &r)) redirect_broken(c);
    else if (shard == c->shard->id) append_push(r, payload, len, true);
    else tracking_send_item(c->shard, shard, TRK_ITEM_PUSH, redirect, 0, payload, len);
}

static void key_payload(struct obuf *out, const char *key, size_t len)
{
    char head[48];
    obuf_append(out, head, (size_t)snprintf(head, sizeof head, "*1\r\n$%zu\r\n", len));
    obuf_append(out, key, len);
    obuf_append(out, "\r\n", 2);
}

/* Kept until the reply of the command that caused it is written. */
static void pend(struct conn *c, const char *payload, size_t len)
{
    uint32_t l = (uint32_t)len;
    obuf_append(&c->trk->pending, &l, sizeof l);
    obuf_append(&c->trk->pending, payload, len);
    c->trk->npending++;
}

void tracking_flush_pending(struct conn *c)
{
    struct conn_tracking *t = c->trk;
    struct obuf pending = t->pending;
    uint32_t n = t->npending;
    obuf_init(&t->pending);
    t->npending = 0;
    const char *p = pending.data;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len;
        memcpy(&len, p, sizeof len);
        if (!(c->flags & CONN_CLOSING)) tracking_send_payload(c, p + sizeof len, len);
        p += sizeof len + len;
    }
    obuf_free(&pending);
}

/* Redis's trackingInvalidateKey for one client (key NULL: the flush's
 * null, which reaches BCAST clients too and ignores NOLOOP). */
static void invalidate_conn(struct conn *c, uint64_t writer, const char *key, size_t len)
{
    struct conn_tracking *t = c->trk;
    if (!t || !(t->flags & TRK_ON)) return;
    if (key && ((t->flags & TRK_BCAST) || ((t->flags & TRK_NOLOOP) && writer == c->id))) return;
    struct obuf payload;
    obuf_init(&payload);
    if (key) key_payload(&payload, key, len);
    else if (c->resp >= 3) obuf_append(&payload, "_\r\n", 3);
    else obuf_append(&payload, "$-1\r\n", 5);
    /* Its own command's, while that command runs here or is away (its
     * reply not written yet): after the reply. */
    if (writer == c->id && (c->busy || c->in_running)) pend(c, payload.data, payload.len);
    else tracking_send_payload(c, payload.data, payload.len);
    obuf_free(&payload);
}

void tracking_deliver(struct shard *s, uint64_t target, uint64_t writer, const char *key, size_t len)
{
    struct conn *c = tracking_conn_find(s, target);
    if (c && !(c->flags & CONN_CLOSING)) invalidate_conn(c, writer, key, len);
}

/* A redirect client gone by now is not reported to the tracking client,
 * which lives on another shard: the next invalidation finds it gone. */
void tracking_push_redirected(struct shard *s, uint64_t target, const char *payload, size_t len)
{
    struct conn *r = local_conn(s, target);
    if (r) append_push(r, payload, len, true);
}

void tracking_conns_flushed(struct shard *s, uint64_t writer)
{
    if (!__atomic_load_n(&s->srv->trk_clients, __ATOMIC_RELAXED)) return;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->trk && !(c->flags & CONN_CLOSING)) invalidate_conn(c, writer, NULL, 0);
}

/* ---- the connection's mode ---- */

int tracking_resp_word_slow(const struct conn *c)
{
    const struct conn_tracking *t = c->trk;
    if ((t->flags & (TRK_ON | TRK_BCAST)) != TRK_ON) return c->resp;
    bool caching = t->flags & TRK_CACHING;
    if (((t->flags & TRK_OPTIN) && !caching) || ((t->flags & TRK_OPTOUT) && caching)) return c->resp;
    return REPLY_TRACKING(c->resp, c->shard->id);
}

void tracking_command_done(struct conn *c, const char *name)
{
    if (!(c->trk->flags & TRK_CACHING) || multi_active(c)) return;
    if (name && strncmp(name, "client|", 7) == 0) return;
    c->trk->flags &= ~TRK_CACHING;
}

int tracking_describe_flags(const struct conn *c, char *out)
{
    int n = 0;
    if (!c->trk || !(c->trk->flags & TRK_ON)) return 0;
    out[n++] = 't';
    if (c->trk->flags & TRK_BROKEN_REDIR) out[n++] = 'R';
    if (c->trk->flags & TRK_BCAST) out[n++] = 'B';
    return n;
}

long long tracking_redirect_of(const struct conn *c)
{
    return c->trk && (c->trk->flags & TRK_ON) ? (long long)c->trk->redirect : -1;
}
