/* keyevent.h — how a command handler raises a keyspace notification
 * (notify-keyspace-events; classes in base/notify.h): where Redis calls
 * notifyKeyspaceEvent, the handler calls notify_key with the same class,
 * event name and key. Costs one test when notifications are off. */
#ifndef RINGKV_CMD_KEYEVENT_H
#define RINGKV_CMD_KEYEVENT_H

#include "ringkv/base/config.h"
#include "ringkv/base/notify.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"

/* For key in database dbid (MOVE and COPY raise events in another). */
static inline void notify_key_in(struct cmd_ctx *c, int dbid, long long type, const char *event, const char *key,
                                 size_t klen)
{
    if (c->cfg->notify_keyspace_events & type) host_notify(c->host, type, event, dbid, key, klen);
}

/* For key in the client's database. */
static inline void notify_key(struct cmd_ctx *c, long long type, const char *event, const char *key, size_t klen)
{
    notify_key_in(c, c->dbid, type, event, key, klen);
}

#endif
