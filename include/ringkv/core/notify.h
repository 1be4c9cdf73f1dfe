/* notify.h — keyspace notifications (notify-keyspace-events): what a
 * shard's commands and keyspace raise, published to the subscribers of
 * every shard.
 *
 * An event becomes up to two messages, on __keyspace@<db>__:<key> and
 * __keyevent@<db>__:<event>, as Redis sends them. The shard raising it
 * delivers them to its own subscribers at once (a RESP3 client that
 * subscribed sees them before its command's reply, as in Redis) and
 * appends them to its outbox for every other shard that has subscribers
 * (msg_add_publish): the messages of one loop turn travel in one segment
 * per shard, after whatever the shard sent there before, so subscribers
 * anywhere see one shard's events in the order it raised them.
 *
 * Thread: the shard's own.
 */
#ifndef RINGKV_CORE_NOTIFY_H
#define RINGKV_CORE_NOTIFY_H

#include <stddef.h>

struct shard;

/* Delivers a message to this shard's subscribers of channel at once and
 * queues it for every other shard with subscribers, after what this shard
 * sent there before (keyspace events, a script's deferred PUBLISH). */
void notify_publish(struct shard *s, const char *channel, size_t clen, const char *msg, size_t mlen);

/* Points the shard's keyspace at its publisher with the classes of its
 * configuration (at start, once the RDB file is loaded: loading raises
 * nothing, and after each CONFIG SET). */
void notify_configure(struct shard *s);

#endif
