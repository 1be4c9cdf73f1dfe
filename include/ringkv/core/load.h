/* load.h — the dataset from the RDB file (dir/dbfilename) at startup.
 *
 * server_load_check maps the file and reads it whole on the main thread
 * before the shards start: a missing file is an empty dataset; a file
 * that is truncated, corrupt or fails its checksum stops the startup
 * (logged with the file and the offset), so no partial dataset is ever
 * served. It also loads the file's function libraries. Each shard then
 * loads its own keys from the same mapping in parallel, before the server
 * accepts clients (so there is no -LOADING phase). server_load_done
 * unmaps it once every shard is done.
 *
 * DEBUG RELOAD (host_debug_reload, cmd/host.h) does the same while the
 * server runs: its client's shard saves (a snapshot, unless NOSAVE), maps
 * and checks the file, then runs one transaction holding every database
 * of every shard, in which each shard empties its databases (unless
 * NOFLUSH) and loads its own keys from the mapping, so no client sees a
 * half-loaded dataset. The mapping is read-only and outlives the
 * transaction (the origin unmaps it when every shard has answered), so
 * the shards read it in place, as at startup. Function libraries are kept
 * as they are (Redis reloads them from the file too).
 */
#ifndef RINGKV_LOAD_H
#define RINGKV_LOAD_H

#include <stdbool.h>

struct server;
struct shard;

bool server_load_check(struct server *srv);
/* On the shard's thread, before the start barrier. */
bool shard_load_slice(struct shard *s);
void server_load_done(struct server *srv);
struct msg_done;
/* DEBUG RELOAD from shard s; flags are host.h's HOST_RELOAD_*. */
void shard_debug_reload(struct shard *s, unsigned flags, struct msg_done *later);
/* Starts the DEBUG RELOAD asked on this shard: from its loop, never from
 * inside a command (the client's deferred reply may come at once). */
void shard_reload_pump(struct shard *s);

#endif
