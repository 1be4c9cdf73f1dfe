/* tracking_mode.c — a connection's tracking mode: CLIENT TRACKING ON/OFF
 * (Redis's enableTracking/disableTracking), CACHING, GETREDIR and
 * TRACKINGINFO, and the end of tracking on RESET and close; see
 * tracking.h. Thread: the connection's shard. */
#include "ringkv/net/tracking.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/client_registry.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/net/conn.h"

#include <stdio.h>
#include <string.h>

static struct conn *conn_of(struct client *cl) { return (struct conn *)cl; }

static uint64_t id_hash(uint64_t id) { return hash_bytes(&id, sizeof id); }
static uint64_t node_hash(const struct dict_node *n) { return id_hash(((const struct conn_tracking *)n)->id); }
static bool node_eq(const struct dict_node *n, const void *key, size_t len)
{
    return ((const struct conn_tracking *)n)->id == *(const uint64_t *)key;
}
static const struct dict_type clients_type = {node_hash, node_eq};

void tracking_conns_setup(struct shard *s) { dict_init(&s->trk->clients, &clients_type); }

struct conn *tracking_conn_find(struct shard *s, uint64_t id)
{
    struct dict_node *n = dict_find(&s->trk->clients, &id, sizeof id, id_hash(id));
    return n ? ((struct conn_tracking *)n)->conn : NULL;
}
static const struct conn *conn_of_const(const struct client *cl) { return (const struct conn *)cl; }

static void count_bcast(struct conn *c, long delta)
{
    struct server *srv = c->shard->srv;
    __atomic_add_fetch(&srv->trk_bcast[c->shard->id], delta, __ATOMIC_RELAXED);
    __atomic_add_fetch(&srv->trk_bcast_total, delta, __ATOMIC_RELAXED);
}

static bool overlap(const char *a, size_t alen, const char *b, size_t blen)
{
    return memcmp(a, b, alen < blen ? alen : blen) == 0;
}

/* Redis's checkPrefixCollisionsOrReply. */
static bool prefixes_ok(const struct conn *c, const struct client_tracking_req *req, char *err, size_t cap)
{
    const struct conn_tracking *t = c->trk;
    for (int i = 0; i < req->nprefixes; i++) {
        const char *p = req->prefixes[i];
        size_t plen = req->prefix_lens[i];
        for (uint32_t j = 0; t && j < t->nprefixes; j++) {
            if (!overlap(t->prefixes[j], t->prefix_lens[j], p, plen)) continue;
            snprintf(err, cap, "Prefix '%.*s' overlaps with an existing prefix '%.*s'. Prefixes for a single client "
                     "must not overlap.", (int)plen, p, (int)t->prefix_lens[j], t->prefixes[j]);
            return false;
        }
        for (int j = i + 1; j < req->nprefixes; j++) {
            if (!overlap(p, plen, req->prefixes[j], req->prefix_lens[j])) continue;
            snprintf(err, cap, "Prefix '%.*s' overlaps with another provided prefix '%.*s'. Prefixes for a single "
                     "client must not overlap.", (int)plen, p, (int)req->prefix_lens[j], req->prefixes[j]);
            return false;
        }
    }
    return true;
}

/* The checks that depend on the client's current mode, in Redis's order. */
static const char *mode_error(const struct conn *c, uint32_t opts)
{
    uint32_t now = c->trk ? c->trk->flags : 0;
    if ((now & TRK_ON) && !!(now & TRK_BCAST) != !!(opts & TRK_BCAST))
        return "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling "
               "it with a different mode.";
    if ((opts & TRK_BCAST) && (opts & (TRK_OPTIN | TRK_OPTOUT)))
        return "OPTIN and OPTOUT are not compatible with BCAST";
    if ((opts & TRK_OPTIN) && (opts & TRK_OPTOUT)) return "You can't specify both OPTIN mode and OPTOUT mode";
    if (((opts & TRK_OPTIN) && (now & TRK_OPTOUT)) || ((opts & TRK_OPTOUT) && (now & TRK_OPTIN)))
        return "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling "
               "it with a different mode.";
    return NULL;
}

bool client_tracking_on(struct client *cl, const struct client_tracking_req *req, char *err, size_t cap)
{
    struct conn *c = conn_of(cl);
    const char *bad = mode_error(c, req->options);
    if (bad) snprintf(err, cap, "%s", bad);
    if (bad || ((req->options & TRK_BCAST) && !prefixes_ok(c, req, err, cap))) return false;
    if (!c->trk) {
        c->trk = rk_calloc(1, sizeof(*c->trk));
        obuf_init(&c->trk->pending);
    }
    struct conn_tracking *t = c->trk;
    if (!(t->flags & TRK_ON)) {
        __atomic_add_fetch(&c->shard->srv->trk_clients, 1, __ATOMIC_RELAXED);
        t->conn = c;
        t->id = c->id;
        dict_insert(&c->shard->trk->clients, &t->node, id_hash(c->id));
    }
    bool was_bcast = (t->flags & (TRK_ON | TRK_BCAST)) == (TRK_ON | TRK_BCAST);
    t->flags = (t->flags & TRK_CACHING) | TRK_ON | (req->options & (TRK_BCAST | TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP));
    t->redirect = req->redirect;
    if (!(req->options & TRK_BCAST)) return true;
    if (!was_bcast) count_bcast(c, 1);
    if (req->nprefixes == 0) tracking_bcast_add(c, "", 0);
    for (int i = 0; i < req->nprefixes; i++) tracking_bcast_add(c, req->prefixes[i], req->prefix_lens[i]);
    return true;
}

void client_tracking_off(struct client *cl)
{
    struct conn *c = conn_of(cl);
    struct conn_tracking *t = c->trk;
    if (!t) return;
    if (t->flags & TRK_BCAST) {
        tracking_bcast_remove_all(c);
        count_bcast(c, -1);
    }
    if (t->flags & TRK_ON) {
        __atomic_sub_fetch(&c->shard->srv->trk_clients, 1, __ATOMIC_RELAXED);
        dict_unlink(&c->shard->trk->clients, &c->id, sizeof c->id, id_hash(c->id));
    }
    t->flags = 0;
}

void tracking_conn_closed(struct conn *c)
{
    if (!c->trk) return;
    client_tracking_off(conn_client(c));
    obuf_free(&c->trk->pending);
    rk_free(c->trk);
    c->trk = NULL;
}

const char *client_tracking_caching(struct client *cl, enum client_caching word)
{
    struct conn_tracking *t = conn_of(cl)->trk;
    if (!t || !(t->flags & TRK_ON))
        return "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode "
               "enabled";
    if (word == CLIENT_CACHING_BAD) return RK_ERR_SYNTAX;
    if (word == CLIENT_CACHING_YES && !(t->flags & TRK_OPTIN))
        return "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.";
    if (word == CLIENT_CACHING_NO && !(t->flags & TRK_OPTOUT))
        return "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.";
    t->flags |= TRK_CACHING;
    return NULL;
}

long long client_tracking_redirect(const struct client *cl) { return tracking_redirect_of(conn_of_const(cl)); }

static void info_flags(const struct conn_tracking *t, struct reply *r)
{
    static const struct { uint32_t flag, needs; const char *name; } names[] = {
        {TRK_BCAST, 0, "bcast"},     {TRK_OPTIN, 0, "optin"},   {TRK_CACHING, TRK_OPTIN, "caching-yes"},
        {TRK_OPTOUT, 0, "optout"},   {TRK_CACHING, TRK_OPTOUT, "caching-no"},
        {TRK_NOLOOP, 0, "noloop"},   {TRK_BROKEN_REDIR, 0, "broken_redirect"},
    };
    uint32_t flags = t && (t->flags & TRK_ON) ? t->flags : 0;
    long long n = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        n += (flags & names[i].flag) && (!names[i].needs || (flags & names[i].needs));
    reply_set(r, n);
    reply_bulk_cstr(r, flags ? "on" : "off");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((flags & names[i].flag) && (!names[i].needs || (flags & names[i].needs))) reply_bulk_cstr(r, names[i].name);
}

void client_tracking_info(const struct client *cl, struct reply *r)
{
    const struct conn *c = conn_of_const(cl);
    const struct conn_tracking *t = c->trk;
    reply_map(r, 3);
    reply_bulk_cstr(r, "flags");
    info_flags(t, r);
    reply_bulk_cstr(r, "redirect");
    reply_int(r, tracking_redirect_of(c));
    reply_bulk_cstr(r, "prefixes");
    uint32_t n = t && (t->flags & TRK_BCAST) ? t->nprefixes : 0;
    reply_array(r, n);
    for (uint32_t i = 0; i < n; i++) reply_bulk(r, t->prefixes[i], t->prefix_lens[i]);
}

bool host_client_exists(struct host *h, uint64_t id) { return client_registry_find(id, NULL, NULL); }

void host_tracking_flushed(struct host *h) { tracking_flushed(shard_of_host(h)); }
