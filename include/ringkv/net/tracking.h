/* tracking.h — client-side caching, connection side (Redis 7.0's
 * tracking.c and CLIENT TRACKING): a connection's tracking mode, and the
 * invalidation messages it receives.
 *
 * A tracking connection (CLIENT TRACKING ON) dispatches each command with
 * a protocol word saying whether the command's reads register (proto/
 * reply.h REPLY_TRACKING); the key's owner registers them (core/
 * tracking.h) and sends invalidations back here, where the connection's
 * current mode decides, as Redis decides at that moment: nothing for a
 * client that stopped tracking or is in BCAST mode, nothing under NOLOOP
 * for its own writes, else a push `>2 invalidate [keys]` (RESP3) or, to a
 * REDIRECT client in RESP2's subscribed mode, a `message` on
 * `__redis__:invalidate`. The redirect client may live on another shard:
 * the ready message goes there in the loop turn's message. A redirect
 * client that is gone turns the tracking client's redirect broken and
 * sends it (RESP3) a `tracking-redir-broken` push.
 *
 * Order: as Redis 7.0, invalidations caused by the client's own command
 * are written right after that command's reply (after EXEC's or a
 * script's whole reply): they wait on the connection (its pending list)
 * and are written with the reply. For a command run on another shard
 * they come back before its reply (notices precede replies, core/
 * tracking.h) and wait for it; when a pipeline sent several commands
 * there in one segment, they follow the segment's last reply, where
 * Redis puts each after its own command's. Invalidations caused by other
 * clients are written when they arrive, which is before the reply of any
 * command the client sends after the write answered.
 *
 * BCAST: each shard keeps the prefixes of its BCAST connections; changed
 * keys reach it from every shard (core/tracking.h) and are gathered per
 * prefix; at the end of the loop turn, or sooner (before this shard
 * posts a reply, after a shard's changes arrived: core/tracking.h), each
 * client gets one message per prefix with the keys gathered (sorted, once
 * each; under NOLOOP without its own).
 *
 * Thread: the connection's shard.
 */
#ifndef RINGKV_NET_TRACKING_H
#define RINGKV_NET_TRACKING_H

#include "ringkv/cmd/host.h"
#include "ringkv/data/dict.h"
#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct shard;

/* The options keep CLIENT TRACKING's bits (cmd/host.h). */
enum {
    TRK_ON = 1u << 0,
    TRK_BCAST = CLIENT_TRACKING_BCAST,
    TRK_OPTIN = CLIENT_TRACKING_OPTIN,
    TRK_OPTOUT = CLIENT_TRACKING_OPTOUT,
    TRK_NOLOOP = CLIENT_TRACKING_NOLOOP,
    TRK_CACHING = 1u << 5,        /* CLIENT CACHING given for the next command */
    TRK_BROKEN_REDIR = 1u << 6,   /* the redirect client was found gone */
};

/* A connection's tracking state, allocated when it first turns tracking
 * on (conn->trk; NULL: never did). */
struct conn_tracking {
    struct dict_node node;        /* in its shard's tracking clients, while on */
    struct conn *conn;
    uint64_t id;
    uint32_t flags;
    uint64_t redirect;            /* client id, 0: none */
    char **prefixes;              /* BCAST prefixes, as given */
    size_t *prefix_lens;
    uint32_t nprefixes;
    struct obuf pending;          /* invalidation payloads its own commands caused: [u32 len][RESP] */
    uint32_t npending;
};

/* The protocol word of the connection's next command (reply_init): its
 * RESP version, and its shard when the command's reads must register.
 * Inline: every command asks. */
static inline int tracking_resp_word(const struct conn *c);
int tracking_resp_word_slow(const struct conn *c);
/* After each command the connection ran or queued: CLIENT CACHING lasts
 * one command (or one transaction). */
void tracking_command_done(struct conn *c, const char *name);
/* Writes the invalidations the connection's own commands caused, now that
 * their replies are written. */
void tracking_flush_pending(struct conn *c);
static inline bool tracking_has_pending(const struct conn *c);
/* The connection stops tracking (RESET, close); idempotent. */
void tracking_conn_closed(struct conn *c);
/* CLIENT LIST's flags letters (t, R, B) into out; returns how many. */
int tracking_describe_flags(const struct conn *c, char *out);
/* CLIENT LIST's redir= value: -1 when not tracking. */
long long tracking_redirect_of(const struct conn *c);

/* ---- from the key side (core/tracking.c) ---- */

/* This shard's connection with tracking on for client id, or NULL. */
struct conn *tracking_conn_find(struct shard *s, uint64_t id);
/* An invalidation of key (NULL: of everything, a flush) for tracking
 * client `target` of this shard, caused by `writer`'s command (0: none). */
void tracking_deliver(struct shard *s, uint64_t target, uint64_t writer, const char *key, size_t len);
/* A ready invalidation message for redirect client `target` of this shard. */
void tracking_push_redirected(struct shard *s, uint64_t target, const char *payload, size_t len);
/* FLUSHDB/FLUSHALL: every tracking client of this shard gets a null
 * invalidation. */
void tracking_conns_flushed(struct shard *s, uint64_t writer);
/* A changed key, for this shard's BCAST prefixes. */
void tracking_bcast_note(struct shard *s, const char *key, size_t len, uint64_t writer);
/* Sends what the prefixes gathered this turn. */
void tracking_bcast_send(struct shard *s);
/* The shard's tracking connections by id (its shard_tracking.clients),
 * which invalidations for its clients look up. */
void tracking_conns_setup(struct shard *s);
/* Frees the shard's prefixes (the shard stops). */
void tracking_prefixes_free(struct shard *s);
/* The connection listens to prefix (BCAST), or stops listening to all its
 * prefixes (tracking_bcast.c). */
void tracking_bcast_add(struct conn *c, const char *prefix, size_t len);
void tracking_bcast_remove_all(struct conn *c);
/* Sends an invalidation payload to c, or its redirect client (tracking.c). */
void tracking_send_payload(struct conn *c, const char *payload, size_t len);

/* The inline tests need the connection's layout; conn.h does not need
 * this header. */
#include "ringkv/net/conn.h"
static inline bool tracking_has_pending(const struct conn *c) { return c->trk && c->trk->npending; }
static inline int tracking_resp_word(const struct conn *c)
{
    return __builtin_expect(c->trk == NULL, 1) ? c->resp : tracking_resp_word_slow(c);
}

#endif
