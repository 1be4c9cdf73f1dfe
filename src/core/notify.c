/* notify.c — keyspace notifications; see notify.h. */
#include "ringkv/core/notify.h"
#include "ringkv/base/notify.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/keyspace.h"

#include <stdio.h>
#include <string.h>

void notify_publish(struct shard *s, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    host_publish(shard_host(s), PUBSUB_CHANNEL, channel, clen, msg, mlen);
    for (unsigned t = 0; t < s->srv->nshards; t++) {
        if (t == s->id || !__atomic_load_n(&s->srv->pubsub_topics[t], __ATOMIC_RELAXED)) continue;
        msg_add_publish(s, t, channel, clen, msg, mlen);
    }
}

/* "__keyspace@<db>__:" + name into the shard's channel buffer. */
static const char *channel_name(struct shard *s, const char *space, int dbid, const char *name, size_t len,
                                size_t *clen)
{
    char prefix[48];
    int n = snprintf(prefix, sizeof prefix, "__%s@%d__:", space, dbid);
    struct obuf *ch = &s->notify_channel;
    ch->len = 0;
    obuf_append(ch, prefix, (size_t)n);
    obuf_append(ch, name, len);
    *clen = ch->len;
    return ch->data;
}

static void raise_event(struct shard *s, long long classes, const char *event, int dbid, const char *key,
                        size_t klen)
{
    size_t elen = strlen(event), clen;
    if (classes & NOTIFY_KEYSPACE) {
        const char *ch = channel_name(s, "keyspace", dbid, key, klen, &clen);
        notify_publish(s, ch, clen, event, elen);
    }
    if (classes & NOTIFY_KEYEVENT) {
        const char *ch = channel_name(s, "keyevent", dbid, event, elen, &clen);
        notify_publish(s, ch, clen, key, klen);
    }
}

void host_notify(struct host *h, long long type, const char *event, int dbid, const char *key, size_t klen)
{
    struct shard *s = shard_of_host(h);
    if (s->cfg.notify_keyspace_events & type) raise_event(s, s->cfg.notify_keyspace_events, event, dbid, key, klen);
}

/* The keyspace's own events (expired, evicted, new, keymiss). */
static void keyspace_event(struct db_events *ev, long long type, const char *event, int dbid, const char *key,
                           size_t klen)
{
    (void)type;
    raise_event(msg_thread_shard(), ev->classes, event, dbid, key, klen);
}

void notify_configure(struct shard *s)
{
    s->ks->events.classes = s->cfg.notify_keyspace_events;
    s->ks->events.emit = keyspace_event;
}

void notify_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const char *p = b->args.data + seg->args_off;
    for (uint32_t i = 0; i < seg->ncmds; i++) {
        const char *argv[2];
        size_t lens[2];
        p = msg_unpack_args(p, 2, argv, lens);
        host_publish(shard_host(s), PUBSUB_CHANNEL, argv[0], lens[0], argv[1], lens[1]);
    }
}
