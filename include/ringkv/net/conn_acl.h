/* conn_acl.h — a connection's ACL user: who it authenticated as, and the
 * permission check dispatch runs before every command.
 *
 * The hot path: conn_acl_free() compares the connection's cached
 * generation with the registry's (cmd/acl.h); they are equal only while
 * its user is unrestricted and no ACL change happened since it looked, so
 * the default user with every right costs that one comparison. Otherwise
 * conn_acl_check() catches up with the registry and checks the call.
 * Thread: the connection's shard.
 */
#ifndef RINGKV_CONN_ACL_H
#define RINGKV_CONN_ACL_H

#include "ringkv/cmd/acl.h"
#include "ringkv/base/util.h"
#include "ringkv/core/shard.h"
#include "ringkv/net/conn.h"

/* A new (or RESET) connection: the default user, authenticated when that
 * user is on and nopass. */
void conn_acl_init(struct conn *c);
/* Its references dropped (closing). */
void conn_acl_release(struct conn *c);
/* Authenticated as u from now on (takes a reference). */
void conn_acl_set_user(struct conn *c, struct acl_user *u);
/* Whether it must still AUTH (Redis's authRequired). */
bool conn_acl_auth_required(const struct conn *c);

static inline bool conn_acl_free(const struct conn *c) { return c->acl_free_gen == acl_generation(); }

/* After an ACL change, before the shard runs anything more: its clients
 * whose user is gone (DELUSER, or ACL LOAD made a new one of that name)
 * and its subscribers that may no longer listen to one of their channels
 * are closed, as Redis closes them (ACLFreeUserAndKillClients,
 * ACLKillPubsubClientsIfNeeded).
 * One comparison while nothing changed. */
void conn_acl_shard_catch_up(struct shard *s, struct conn *current);
static inline void conn_acl_shard_check(struct shard *s, struct conn *current)
{
    if (RK_UNLIKELY(s->acl_gen != acl_generation())) conn_acl_shard_catch_up(s, current);
}

/* Whether the call may run: ACL_OK, or why not (*errpos: the key or
 * channel argument), the denial logged in ACL LOG. ACL_DENIED_AUTH: its
 * user was deleted, and the connection is being closed. */
enum acl_denied conn_acl_check(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, int *errpos);
/* Redis's -NOPERM error for a denial at the top level. */
void conn_acl_write_denied(struct reply *r, enum acl_denied why, const struct cmd_def *cmd);
/* Logs a denial in ACL LOG with this connection's CLIENT LIST line. */
void conn_acl_log(struct conn *c, enum acl_denied why, enum acl_log_ctx ctx, const char *object, size_t olen,
                  const char *user, size_t ulen);

#endif
