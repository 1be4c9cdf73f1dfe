/* pubsub.c — this shard's subscribers, and delivery; see pubsub.h.
 * Thread: the shard's own. */
#include "ringkv/net/pubsub.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/util.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/dict.h"
#include "ringkv/net/conn.h"

#include <stdlib.h>
#include <string.h>

/* A name (channel, pattern, shard channel) with the connections that
 * listen to it: in the shard's registry, and in each connection's own set
 * (where `subs` stays empty). */
struct topic {
    struct dict_node node;
    uint64_t hash;
    uint64_t seq;              /* in a connection's set: when it subscribed */
    struct conn **subs;
    uint32_t nsubs, cap;
    size_t len;
    char name[];
};

static uint64_t topic_hash(const struct dict_node *n) { return ((const struct topic *)n)->hash; }
static bool topic_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct topic *t = (const struct topic *)n;
    return t->len == len && memcmp(t->name, key, len) == 0;
}
static const struct dict_type topic_type = {topic_hash, topic_eq};

/* Three namespaces, as Redis keeps them: channels, patterns, shard channels. */
struct topics {
    struct dict by_kind[3];
};

struct pubsub {
    struct topics registry;
};

static void topics_init(struct topics *t)
{
    for (int k = 0; k < 3; k++) dict_init(&t->by_kind[k], &topic_type);
}

static void free_topic(struct dict_node *n, void *arg)
{
    struct topic *t = (struct topic *)n;
    rk_free(t->subs);
    rk_free(t);
}

static void topics_clear(struct topics *t)
{
    for (int k = 0; k < 3; k++) dict_clear(&t->by_kind[k], free_topic, NULL);
}

struct pubsub *pubsub_create(void)
{
    struct pubsub *ps = rk_calloc(1, sizeof(*ps));
    topics_init(&ps->registry);
    return ps;
}

void pubsub_destroy(struct pubsub *ps)
{
    topics_clear(&ps->registry);
    rk_free(ps);
}

static struct topic *topic_find(struct dict *d, const char *name, size_t len)
{
    return (struct topic *)dict_find(d, name, len, hash_bytes(name, len));
}

static struct topic *topic_add(struct dict *d, const char *name, size_t len)
{
    struct topic *t = rk_calloc(1, sizeof(*t) + len);
    t->hash = hash_bytes(name, len);
    t->len = len;
    memcpy(t->name, name, len);
    dict_insert(d, &t->node, t->hash);
    return t;
}

static void topic_drop(struct dict *d, struct topic *t)
{
    dict_unlink(d, t->name, t->len, t->hash);
    free_topic(&t->node, NULL);
}

/* ---- a connection's subscriptions ---- */

struct conn_pubsub {
    struct topics mine;
    uint64_t next_seq;
};

static struct topics *mine(struct conn *c)
{
    if (!c->pubsub) {
        c->pubsub = rk_calloc(1, sizeof(*c->pubsub));
        topics_init(&c->pubsub->mine);
    }
    return &c->pubsub->mine;
}

long pubsub_conn_count(const struct conn *c, enum pubsub_kind kind)
{
    return c->pubsub ? (long)dict_size(&c->pubsub->mine.by_kind[kind]) : 0;
}

bool pubsub_conn_subscribed(const struct conn *c)
{
    return c->pubsub && (pubsub_conn_count(c, PUBSUB_CHANNEL) + pubsub_conn_count(c, PUBSUB_PATTERN) +
                             pubsub_conn_count(c, PUBSUB_SHARD) > 0);
}

/* The count a (un)subscribe reply carries: channels and patterns together,
 * shard channels alone (Redis 7.0). */
static long reply_count(const struct conn *c, enum pubsub_kind kind)
{
    if (kind == PUBSUB_SHARD) return pubsub_conn_count(c, PUBSUB_SHARD);
    return pubsub_conn_count(c, PUBSUB_CHANNEL) + pubsub_conn_count(c, PUBSUB_PATTERN);
}

/* Listening connections use the pubsub output limits and never time out. */
static void update_mode(struct conn *c)
{
    if (pubsub_conn_subscribed(c)) c->flags |= CONN_PUBSUB;
    else c->flags &= ~CONN_PUBSUB;
}

static struct dict *registry(struct conn *c, enum pubsub_kind kind)
{
    return &c->shard->pubsub->registry.by_kind[kind];
}

/* Where no channel or pattern has subscribers, keyspace notifications
 * are not sent (core/notify.h). */
static void count_topic(struct conn *c, enum pubsub_kind kind, long delta)
{
    if (kind != PUBSUB_SHARD) __atomic_add_fetch(&c->shard->srv->pubsub_topics[c->shard->id], delta, __ATOMIC_RELAXED);
}

long client_subscribe(struct client *cl, enum pubsub_kind kind, const char *name, size_t len)
{
    struct conn *c = (struct conn *)cl;
    struct dict *own = &mine(c)->by_kind[kind];
    if (!topic_find(own, name, len)) {
        topic_add(own, name, len)->seq = c->pubsub->next_seq++;
        struct dict *reg = registry(c, kind);
        struct topic *t = topic_find(reg, name, len);
        if (!t) {
            t = topic_add(reg, name, len);
            count_topic(c, kind, 1);
        }
        if (t->nsubs == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 4;
            t->subs = rk_realloc(t->subs, t->cap * sizeof(*t->subs));
        }
        t->subs[t->nsubs++] = c;
        update_mode(c);
    }
    return reply_count(c, kind);
}

/* Takes c off the registry's list for name. */
static void leave(struct conn *c, enum pubsub_kind kind, const char *name, size_t len)
{
    struct dict *reg = registry(c, kind);
    struct topic *t = topic_find(reg, name, len);
    if (!t) return;
    for (uint32_t i = 0; i < t->nsubs; i++) {
        if (t->subs[i] != c) continue;
        /* Delivery order among subscribers is not promised: swap-remove. */
        t->subs[i] = t->subs[--t->nsubs];
        break;
    }
    if (t->nsubs == 0) {
        topic_drop(reg, t);
        count_topic(c, kind, -1);
    }
}

long client_unsubscribe(struct client *cl, enum pubsub_kind kind, const char *name, size_t len)
{
    struct conn *c = (struct conn *)cl;
    if (c->pubsub) {
        struct dict *own = &c->pubsub->mine.by_kind[kind];
        struct topic *t = topic_find(own, name, len);
        if (t) {
            leave(c, kind, name, len);
            topic_drop(own, t);
            update_mode(c);
        }
    }
    return reply_count(c, kind);
}

struct names {
    struct topic **t;
    uint64_t n;
};

static void collect(struct dict_node *node, void *arg)
{
    struct names *ns = arg;
    ns->t[ns->n++] = (struct topic *)node;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = (*(struct topic *const *)a)->seq, y = (*(struct topic *const *)b)->seq;
    return (x > y) - (x < y);
}

/* In the order they were subscribed (Redis keeps patterns so; its
 * channels come in hash order, which no client can rely on). */
void client_unsubscribe_all(struct client *cl, enum pubsub_kind kind, client_unsub_fn fn, void *arg)
{
    struct conn *c = (struct conn *)cl;
    if (!c->pubsub) return;
    struct dict *own = &c->pubsub->mine.by_kind[kind];
    struct names ns = {rk_malloc((dict_size(own) + 1) * sizeof(struct topic *)), 0};
    dict_foreach(own, collect, &ns);
    qsort(ns.t, ns.n, sizeof(*ns.t), by_seq);
    for (uint64_t i = 0; i < ns.n; i++) {
        struct topic *t = ns.t[i];
        leave(c, kind, t->name, t->len);
        dict_unlink(own, t->name, t->len, t->hash);
        update_mode(c);
        if (fn) fn(t->name, t->len, reply_count(c, kind), arg);
        free_topic(&t->node, NULL);
    }
    rk_free(ns.t);
}

struct all_visit {
    pubsub_topic_pred ok;
    void *arg;
    enum pubsub_kind kind;
    bool all;
};

static void visit_all(struct dict_node *node, void *arg)
{
    struct all_visit *v = arg;
    const struct topic *t = (const struct topic *)node;
    if (v->all && !v->ok(t->name, t->len, v->kind, v->arg)) v->all = false;
}

bool pubsub_conn_all(const struct conn *c, pubsub_topic_pred ok, void *arg)
{
    if (!c->pubsub) return true;
    struct all_visit v = {ok, arg, PUBSUB_CHANNEL, true};
    for (int k = PUBSUB_CHANNEL; k <= PUBSUB_SHARD && v.all; k++) {
        v.kind = (enum pubsub_kind)k;
        dict_foreach(&c->pubsub->mine.by_kind[k], visit_all, &v);
    }
    return v.all;
}

bool client_in_pubsub_mode(const struct client *cl)
{
    const struct conn *c = (const struct conn *)cl;
    return c->resp == 2 && pubsub_conn_subscribed(c);
}

void pubsub_conn_closed(struct conn *c)
{
    if (!c->pubsub) return;
    for (int k = 0; k < 3; k++) client_unsubscribe_all(conn_client(c), (enum pubsub_kind)k, NULL, NULL);
    topics_clear(&c->pubsub->mine);
    rk_free(c->pubsub);
    c->pubsub = NULL;
}

/* ---- delivery ---- */

/* message/smessage: [kind, channel, payload]; pmessage: [kind, pattern,
 * channel, payload]; a push in RESP3. */
static long deliver(struct conn *c, const char *kind, const struct topic *pattern, const char *channel,
                    size_t clen, const char *msg, size_t mlen)
{
    if (c->flags & CONN_CLOSING) return 0; /* leaves the registry when freed */
    if (!msg) return 1; /* counting only */
    struct reply r;
    reply_init(&r, &c->out, c->resp);
    reply_push(&r, pattern ? 4 : 3);
    reply_bulk_cstr(&r, kind);
    if (pattern) reply_bulk(&r, pattern->name, pattern->len);
    reply_bulk(&r, channel, clen);
    reply_bulk(&r, msg, mlen);
    conn_want_send(c); /* may close c (output limit): never frees it here */
    return 1;
}

struct pattern_match {
    const char *channel, *msg;
    size_t clen, mlen;
    long delivered;
};

static void deliver_to_pattern(struct dict_node *node, void *arg)
{
    struct pattern_match *pm = arg;
    struct topic *t = (struct topic *)node;
    if (!glob_match(t->name, t->len, pm->channel, pm->clen, false)) return;
    for (uint32_t i = 0; i < t->nsubs; i++)
        pm->delivered += deliver(t->subs[i], "pmessage", t, pm->channel, pm->clen, pm->msg, pm->mlen);
}

long host_publish(struct host *h, enum pubsub_kind kind, const char *channel, size_t clen, const char *msg,
                  size_t mlen)
{
    struct pubsub *ps = shard_of_host(h)->pubsub;
    long delivered = 0;
    struct topic *t = topic_find(&ps->registry.by_kind[kind], channel, clen);
    const char *what = kind == PUBSUB_SHARD ? "smessage" : "message";
    for (uint32_t i = 0; t && i < t->nsubs; i++) delivered += deliver(t->subs[i], what, NULL, channel, clen, msg, mlen);
    if (kind == PUBSUB_CHANNEL && dict_size(&ps->registry.by_kind[PUBSUB_PATTERN])) {
        struct pattern_match pm = {channel, msg, clen, mlen, 0};
        dict_foreach(&ps->registry.by_kind[PUBSUB_PATTERN], deliver_to_pattern, &pm);
        delivered += pm.delivered;
    }
    return delivered;
}

struct channel_visit {
    const char *pattern;
    size_t plen;
    name_visit_fn fn;
    void *arg;
};

static void visit_channel(struct dict_node *node, void *arg)
{
    struct channel_visit *cv = arg;
    struct topic *t = (struct topic *)node;
    if (!cv->pattern || glob_match(cv->pattern, cv->plen, t->name, t->len, false)) cv->fn(t->name, t->len, cv->arg);
}

void host_pubsub_channels(struct host *h, enum pubsub_kind kind, const char *pattern, size_t plen, name_visit_fn fn,
                          void *arg)
{
    struct channel_visit cv = {pattern, plen, fn, arg};
    dict_foreach(&shard_of_host(h)->pubsub->registry.by_kind[kind], visit_channel, &cv);
}

long host_pubsub_numsub(struct host *h, enum pubsub_kind kind, const char *channel, size_t len)
{
    struct topic *t = topic_find(&shard_of_host(h)->pubsub->registry.by_kind[kind], channel, len);
    return t ? (long)t->nsubs : 0;
}

void host_pubsub_patterns(struct host *h, name_visit_fn fn, void *arg)
{
    host_pubsub_channels(h, PUBSUB_PATTERN, NULL, 0, fn, arg);
}
