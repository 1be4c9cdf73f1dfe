/* dispatch.h — from parsed requests to executed commands.
 *
 * Checks every request centrally (unknown command, arity, authentication),
 * finds the shard(s) owning its keys and runs it: inline when the keys are
 * local and the connection has nothing in flight, otherwise as part of a
 * batch to the owning shard, or fanned out over several. It keeps each
 * connection's commands in order (DESIGN.md, "Order"): a connection has
 * requests in flight to one shard at a time, consecutive commands for that
 * shard travel together, and anything else waits until they are answered.
 * Single-threaded: runs on the connection's shard.
 */
#ifndef RINGKV_DISPATCH_H
#define RINGKV_DISPATCH_H

#include <stddef.h>

struct conn;

/* Parses and runs commands from buf; returns the bytes consumed. Stops at
 * an incomplete command, a protocol error, or a command that must wait. */
size_t dispatch_input(struct conn *c, const char *buf, size_t len);

#endif
