/* client_registry.h — every connected client's id, with the shard its
 * connection lives on: what a shard asks when a client names another by
 * id and the other may live on any shard (CLIENT TRACKING's REDIRECT,
 * net/tracking.h).
 *
 * One server-wide table under a mutex: connections enter it when accepted
 * and leave it when freed, and lookups come from tracking only, so no
 * command's hot path takes the lock. The connection pointer is for its own
 * shard only (another shard never follows it: shards talk by messages).
 *
 * Thread: any.
 */
#ifndef RINGKV_CORE_CLIENT_REGISTRY_H
#define RINGKV_CORE_CLIENT_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

struct conn;

void client_registry_add(uint64_t id, unsigned shard, struct conn *c);
void client_registry_remove(uint64_t id);
/* Whether client id is connected; its shard and (for that shard's own
 * use) its connection into the pointers given (either may be NULL). */
bool client_registry_find(uint64_t id, unsigned *shard, struct conn **c);

#endif
