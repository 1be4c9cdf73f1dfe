/* conn_acl.c — a connection's ACL user and its permission check; see
 * conn_acl.h. Thread: the connection's shard.
 */
#include "ringkv/net/conn_acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/host.h"
#include "ringkv/net/multi.h"
#include "ringkv/net/pubsub.h"
#include "ringkv/proto/reply.h"

#include <string.h>

/* The registry always has "default"; a connection that cannot get it
 * (impossible once acl_configure ran) keeps no user and is refused. */
static struct acl_user *default_user(void) { return acl_registry_get("default", 7); }

static void note_generation(struct conn *c, uint64_t gen)
{
    c->acl_seen_gen = gen;
    c->acl_free_gen = c->user && c->user->unrestricted ? gen : 0;
}

void conn_acl_init(struct conn *c)
{
    uint64_t gen = acl_generation();
    conn_acl_release(c);
    c->user = default_user();
    c->authenticated = c->user && (c->user->flags & ACL_USER_NOPASS) && (c->user->flags & ACL_USER_ON);
    note_generation(c, gen);
}

void conn_acl_release(struct conn *c)
{
    if (c->user && !(c->user->name_len == 7 && memcmp(c->user->name, "default", 7) == 0))
        acl_client_user_clear(c->id);
    acl_user_unref(c->user);
    c->user = NULL;
    c->acl_free_gen = 0;
}

void conn_acl_set_user(struct conn *c, struct acl_user *u)
{
    uint64_t gen = acl_generation();
    conn_acl_release(c);
    c->user = u;
    c->authenticated = true;
    acl_client_user_set(c->id, u->name, u->name_len);
    note_generation(c, gen);
}

bool conn_acl_auth_required(const struct conn *c)
{
    if (c->authenticated) return false;
    struct acl_user *def = default_user();
    bool required = !def || !(def->flags & ACL_USER_NOPASS) || !(def->flags & ACL_USER_ON);
    acl_user_unref(def);
    return required;
}

/* Takes the current version of its user; false when it is gone. */
static bool catch_up(struct conn *c)
{
    uint64_t gen = acl_generation();
    if (c->acl_seen_gen == gen) return c->user != NULL;
    struct acl_user *now = c->user ? acl_registry_get(c->user->name, c->user->name_len) : NULL;
    if (now && now->identity != c->user->identity) { /* ACL LOAD made another of that name */
        acl_user_unref(now);
        now = NULL;
    }
    if (!now) return false;
    acl_user_unref(c->user);
    c->user = now;
    note_generation(c, gen);
    return true;
}

static bool may_listen(const char *name, size_t len, enum pubsub_kind kind, void *arg)
{
    return acl_channel_permitted(arg, name, len, kind == PUBSUB_PATTERN);
}

void conn_acl_shard_catch_up(struct shard *s, struct conn *current)
{
    s->acl_gen = acl_generation();
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->flags & (CONN_CLOSING | CONN_LINGERING | CONN_CLOSE_AFTER_REPLY)) continue;
        if (catch_up(c) && (!pubsub_conn_subscribed(c) || pubsub_conn_all(c, may_listen, c->user))) continue;
        /* At once, what it was sent is dropped, as Redis frees it; the
         * connection being read finishes its input first. */
        if (c == current) client_kill(conn_client(c));
        else conn_close(c);
    }
}

void conn_acl_log(struct conn *c, enum acl_denied why, enum acl_log_ctx ctx, const char *object, size_t olen,
                  const char *user, size_t ulen)
{
    struct obuf info;
    obuf_init(&info);
    client_describe(conn_client(c), &info);
    if (info.len && info.data[info.len - 1] == '\n') info.len--;
    obuf_append(&info, "", 1);
    acl_log_add(why, ctx, object, olen, user, ulen, info.data);
    obuf_free(&info);
}

enum acl_denied conn_acl_check(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a, int *errpos)
{
    if (!catch_up(c)) {
        /* Its user was deleted: Redis closes such clients at once. */
        c->flags |= CONN_CLOSE_AFTER_REPLY;
        conn_want_send(c);
        return ACL_DENIED_AUTH;
    }
    *errpos = 0;
    enum acl_denied why = acl_check(c->user, cmd, a, errpos);
    if (why == ACL_OK) return why;
    const char *object = cmd->name;
    size_t olen = strlen(cmd->name);
    if (why != ACL_DENIED_CMD) {
        object = a->argv[*errpos];
        olen = a->len[*errpos];
    }
    conn_acl_log(c, why, multi_active(c) ? ACL_LOG_MULTI : ACL_LOG_TOPLEVEL, object, olen, c->user->name,
                 c->user->name_len);
    return why;
}

void conn_acl_write_denied(struct reply *r, enum acl_denied why, const struct cmd_def *cmd)
{
    switch (why) {
    case ACL_DENIED_CMD: reply_errorf(r, "NOPERM this user has no permissions to run the '%s' command", cmd->name); break;
    case ACL_DENIED_KEY: reply_error(r, "NOPERM this user has no permissions to access one of the keys used as arguments"); break;
    case ACL_DENIED_CHANNEL:
        reply_error(r, "NOPERM this user has no permissions to access one of the channels used as arguments");
        break;
    default: reply_error(r, "no permission"); break;
    }
}
