/* pubsub.h — publish/subscribe: who listens on this shard, and delivery.
 *
 * Subscribers are connections, and a connection lives on one shard, so
 * each shard keeps the registry of its own subscribers only: channel ->
 * its subscribers here, the patterns subscribed here, shard channels
 * (SSUBSCRIBE) apart, as Redis keeps them apart. SUBSCRIBE and friends
 * change the registry of the client's shard; PUBLISH runs on every shard
 * (a CMD_ALL_SHARDS command: one message per destination shard per loop
 * turn carries all the PUBLISHes of that turn), each shard delivers to
 * its subscribers and answers how many got the message, and the counts
 * are added up. A publisher waits for that answer before its next command
 * runs, so its messages arrive in the order it published them, after the
 * effects of what it sent before.
 *
 * Delivery appends the message to the subscriber's output like a reply
 * (RESP2 arrays, RESP3 pushes) and is bounded by the pubsub class of
 * client-output-buffer-limit, which drops a subscriber that does not read.
 *
 * Thread: the shard the registry and the connections belong to.
 */
#ifndef RINGKV_NET_PUBSUB_H
#define RINGKV_NET_PUBSUB_H

#include "ringkv/cmd/host.h"

#include <stdbool.h>
#include <stddef.h>

struct conn;
struct pubsub;

struct pubsub *pubsub_create(void);
void pubsub_destroy(struct pubsub *ps);

/* How many channels, patterns and shard channels the connection listens
 * to (CLIENT LIST's sub, psub, ssub). */
long pubsub_conn_count(const struct conn *c, enum pubsub_kind kind);
/* RESP2's subscribed mode: the connection listens to something. */
bool pubsub_conn_subscribed(const struct conn *c);
/* Whether ok(name, len, kind, arg) holds for everything it listens to. */
typedef bool (*pubsub_topic_pred)(const char *name, size_t len, enum pubsub_kind kind, void *arg);
bool pubsub_conn_all(const struct conn *c, pubsub_topic_pred ok, void *arg);
/* The connection is going: it stops listening everywhere. */
void pubsub_conn_closed(struct conn *c);

#endif
