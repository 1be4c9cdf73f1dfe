/* tracking_bcast.c — BCAST mode: this shard's prefixes, the keys changed
 * under them during a loop turn, and the one message per prefix and
 * client at the end of the turn (Redis's PrefixTable and
 * trackingBroadcastInvalidationMessages); see tracking.h.
 * Thread: the shard's own. */
#include "ringkv/net/tracking.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/net/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trk_prefix {
    char *prefix;
    size_t len;
    struct conn **conns;
    uint32_t nconns, cap;
    struct obuf keys;          /* changed this turn: [u64 writer][u32 len][key] */
    uint32_t nkeys;
};

static struct trk_prefix *find(struct shard_tracking *t, const char *p, size_t len)
{
    for (uint32_t i = 0; i < t->nprefixes; i++)
        if (t->prefixes[i].len == len && memcmp(t->prefixes[i].prefix, p, len) == 0) return &t->prefixes[i];
    return NULL;
}

static struct trk_prefix *create(struct shard_tracking *t, const char *p, size_t len)
{
    if (t->nprefixes == t->prefixes_cap) {
        t->prefixes_cap = t->prefixes_cap ? 2 * t->prefixes_cap : 4;
        t->prefixes = rk_realloc(t->prefixes, t->prefixes_cap * sizeof(*t->prefixes));
    }
    struct trk_prefix *pf = &t->prefixes[t->nprefixes++];
    memset(pf, 0, sizeof(*pf));
    pf->prefix = rk_malloc(len + 1);
    memcpy(pf->prefix, p, len);
    pf->len = len;
    obuf_init(&pf->keys);
    return pf;
}

static void destroy(struct trk_prefix *pf)
{
    rk_free(pf->prefix);
    rk_free(pf->conns);
    obuf_free(&pf->keys);
}

void tracking_prefixes_free(struct shard *s)
{
    struct shard_tracking *t = s->trk;
    for (uint32_t i = 0; i < t->nprefixes; i++) destroy(&t->prefixes[i]);
    rk_free(t->prefixes);
    t->prefixes = NULL;
    t->nprefixes = t->prefixes_cap = 0;
}

/* Bytewise, shorter first on a tie: a radix tree's order (TRACKINGINFO). */
static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* The client's own list of its prefixes, kept in Redis's order. */
static void remember_prefix(struct conn_tracking *ct, const char *prefix, size_t len)
{
    uint32_t at = 0;
    while (at < ct->nprefixes && compare_bytes(ct->prefixes[at], ct->prefix_lens[at], prefix, len) < 0) at++;
    ct->prefixes = rk_realloc(ct->prefixes, (ct->nprefixes + 1) * sizeof(*ct->prefixes));
    ct->prefix_lens = rk_realloc(ct->prefix_lens, (ct->nprefixes + 1) * sizeof(*ct->prefix_lens));
    memmove(ct->prefixes + at + 1, ct->prefixes + at, (ct->nprefixes - at) * sizeof(*ct->prefixes));
    memmove(ct->prefix_lens + at + 1, ct->prefix_lens + at, (ct->nprefixes - at) * sizeof(*ct->prefix_lens));
    ct->prefixes[at] = rk_malloc(len + 1);
    memcpy(ct->prefixes[at], prefix, len);
    ct->prefix_lens[at] = len;
    ct->nprefixes++;
}

void tracking_bcast_add(struct conn *c, const char *prefix, size_t len)
{
    struct shard_tracking *t = c->shard->trk;
    struct trk_prefix *pf = find(t, prefix, len);
    if (!pf) pf = create(t, prefix, len);
    for (uint32_t i = 0; i < pf->nconns; i++)
        if (pf->conns[i] == c) return;
    if (pf->nconns == pf->cap) {
        pf->cap = pf->cap ? 2 * pf->cap : 4;
        pf->conns = rk_realloc(pf->conns, pf->cap * sizeof(*pf->conns));
    }
    pf->conns[pf->nconns++] = c;
    remember_prefix(c->trk, prefix, len);
}

/* Takes c off one prefix; the last client takes the prefix away. */
static void leave(struct shard_tracking *t, struct conn *c, const char *prefix, size_t len)
{
    struct trk_prefix *pf = find(t, prefix, len);
    if (!pf) return;
    for (uint32_t i = 0; i < pf->nconns; i++) {
        if (pf->conns[i] != c) continue;
        pf->conns[i] = pf->conns[--pf->nconns];
        break;
    }
    if (pf->nconns) return;
    destroy(pf);
    *pf = t->prefixes[--t->nprefixes];
}

void host_tracking_prefixes(struct host *h, name_visit_fn fn, void *arg)
{
    struct shard_tracking *t = shard_of_host(h)->trk;
    for (uint32_t i = 0; i < t->nprefixes; i++) fn(t->prefixes[i].prefix, t->prefixes[i].len, arg);
}

void tracking_bcast_remove_all(struct conn *c)
{
    struct conn_tracking *ct = c->trk;
    for (uint32_t i = 0; i < ct->nprefixes; i++) {
        leave(c->shard->trk, c, ct->prefixes[i], ct->prefix_lens[i]);
        rk_free(ct->prefixes[i]);
    }
    rk_free(ct->prefixes);
    rk_free(ct->prefix_lens);
    ct->prefixes = NULL;
    ct->prefix_lens = NULL;
    ct->nprefixes = 0;
}

void tracking_bcast_note(struct shard *s, const char *key, size_t len, uint64_t writer)
{
    struct shard_tracking *t = s->trk;
    for (uint32_t i = 0; i < t->nprefixes; i++) {
        struct trk_prefix *pf = &t->prefixes[i];
        if (pf->len > len || memcmp(pf->prefix, key, pf->len) != 0) continue;
        uint32_t l = (uint32_t)len;
        obuf_append(&pf->keys, &writer, sizeof writer);
        obuf_append(&pf->keys, &l, sizeof l);
        obuf_append(&pf->keys, key, len);
        pf->nkeys++;
        t->bcast_pending = true;
    }
}

struct changed_key {
    const char *key;
    size_t len;
    uint64_t writer;
    uint32_t seq;
};

static int by_key_then_seq(const void *a, const void *b)
{
    const struct changed_key *x = a, *y = b;
    int c = compare_bytes(x->key, x->len, y->key, y->len);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The turn's keys, sorted, once each with their last writer (a radix
 * tree's order and overwrite in Redis); returns the count. */
static uint32_t unique_keys(const struct trk_prefix *pf, struct changed_key *out)
{
    const char *p = pf->keys.data;
    for (uint32_t i = 0; i < pf->nkeys; i++) {
        uint32_t l;
        memcpy(&out[i].writer, p, sizeof out[i].writer);
        memcpy(&l, p + sizeof(uint64_t), sizeof l);
        out[i] = (struct changed_key){p + sizeof(uint64_t) + sizeof l, l, out[i].writer, i};
        p += sizeof(uint64_t) + sizeof l + l;
    }
    qsort(out, pf->nkeys, sizeof(*out), by_key_then_seq);
    uint32_t n = 0;
    for (uint32_t i = 0; i < pf->nkeys; i++) {
        if (n && out[n - 1].len == out[i].len && memcmp(out[n - 1].key, out[i].key, out[i].len) == 0) n--;
        out[n++] = out[i];
    }
    return n;
}

/* The keys as a RESP array, without those `skip` wrote (0: all);
 * false when none is left. */
static bool build(struct obuf *out, const struct changed_key *keys, uint32_t n, uint64_t skip)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) count += !skip || keys[i].writer != skip;
    if (!count) return false;
    char head[32];
    obuf_append(out, head, (size_t)snprintf(head, sizeof head, "*%u\r\n", count));
    for (uint32_t i = 0; i < n; i++) {
        if (skip && keys[i].writer == skip) continue;
        obuf_append(out, head, (size_t)snprintf(head, sizeof head, "$%zu\r\n", keys[i].len));
        obuf_append(out, keys[i].key, keys[i].len);
        obuf_append(out, "\r\n", 2);
    }
    return true;
}

static void send_prefix(struct trk_prefix *pf)
{
    struct changed_key *keys = rk_malloc(pf->nkeys * sizeof(*keys));
    uint32_t n = unique_keys(pf, keys);
    struct obuf common, own;
    obuf_init(&common);
    obuf_init(&own);
    build(&common, keys, n, 0);
    for (uint32_t i = 0; i < pf->nconns; i++) {
        struct conn *c = pf->conns[i];
        if (c->flags & CONN_CLOSING) continue;
        if (!(c->trk->flags & TRK_NOLOOP)) {
            tracking_send_payload(c, common.data, common.len);
            continue;
        }
        own.len = 0;
        if (build(&own, keys, n, c->id)) tracking_send_payload(c, own.data, own.len);
    }
    obuf_free(&common);
    obuf_free(&own);
    rk_free(keys);
    pf->keys.len = 0;
    pf->nkeys = 0;
}

void tracking_bcast_send(struct shard *s)
{
    struct shard_tracking *t = s->trk;
    t->bcast_pending = false;
    for (uint32_t i = 0; i < t->nprefixes; i++)
        if (t->prefixes[i].nkeys) send_prefix(&t->prefixes[i]);
}
