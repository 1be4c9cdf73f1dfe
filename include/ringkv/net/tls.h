/* tls.h — TLS for client connections, OpenSSL over memory BIOs.
 *
 * OpenSSL never touches a socket here: the connection hands it the bytes
 * its ring received (tls_session_feed), takes back plaintext
 * (tls_session_read), and hands it plaintext replies to seal into records
 * (tls_session_seal), which then go out through the ring's send like any
 * reply. So the handshake and the record layer are driven by ring
 * completions and never block a shard's loop.
 *
 * A tls_context is one shard's server context (certificate, key, CA,
 * protocols, ciphers, session cache) built from its configuration; each
 * shard owns its own, so no lock is taken per connection. A tls_session
 * is one connection's state; it holds a reference to the context it was
 * made from, so a context replaced by CONFIG SET lives on until its last
 * connection ends. Single-threaded: only the owning shard touches either.
 */
#ifndef RINGKV_TLS_H
#define RINGKV_TLS_H

#include "ringkv/base/config.h"
#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tls_context;
struct tls_session;

/* Builds a server context from cfg's tls-* directives, as Redis's
 * tlsConfigure does; NULL (the reason logged) when a file cannot be read,
 * a certificate and key do not match, or a setting is invalid. */
struct tls_context *tls_context_create(const struct config *cfg);
void tls_context_release(struct tls_context *ctx);
/* Whether two configurations build the same context (CONFIG SET of any
 * other directive keeps the one there is). */
bool tls_settings_equal(const struct config *a, const struct config *b);

/* A server-side session that waits for the client's hello. */
struct tls_session *tls_session_create(struct tls_context *ctx);
void tls_session_free(struct tls_session *t);

/* Takes bytes received from the peer. */
void tls_session_feed(struct tls_session *t, const char *data, size_t len);
/* Plaintext out of what was fed, up to cap bytes: the count, 0 when more
 * input is needed first, or -1 when the session failed (a bad handshake, a
 * plain-text client, a corrupt record) or the peer closed it; why is
 * logged at verbose level as Redis logs it. Drives the handshake. */
ssize_t tls_session_read(struct tls_session *t, char *buf, size_t cap);
/* Whether the handshake has completed: replies can be sealed. */
bool tls_session_ready(const struct tls_session *t);
/* Seals len bytes of plaintext into records appended to out; false when
 * the session failed. Only once ready. */
bool tls_session_seal(struct tls_session *t, const char *data, size_t len, struct obuf *out);
/* Whether the session has bytes of its own to send. */
bool tls_session_pending(const struct tls_session *t);
/* Appends to out what the session has to send on its own (handshake
 * messages, alerts); returns the number of bytes appended. */
size_t tls_session_take_output(struct tls_session *t, struct obuf *out);

#endif
