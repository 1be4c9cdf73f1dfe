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

#endif
