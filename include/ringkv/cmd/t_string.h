/* t_string.h — string values as the string and bitmap commands change them.
 *
 * Redis keeps a string as an integer ("int"), inline with its key
 * ("embstr") or in its own growable buffer ("raw"), and every command that
 * edits a string in place (APPEND, SETRANGE, SETBIT, BITFIELD) first turns
 * it into "raw" (dbUnshareStringValue). These helpers do the same on our
 * records so both command modules share one set of rules.
 * Single-threaded: called by handlers on the shard owning the key.
 */
#ifndef RINGKV_T_STRING_H
#define RINGKV_T_STRING_H

#include "ringkv/cmd/commands.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>

struct db;

/* The live record of key for reading (counts a keyspace hit or miss):
 * NULL when missing; NULL after writing WRONGTYPE (then *wrongtype). */
struct kv *string_lookup_read(struct cmd_ctx *c, const char *key, size_t len, bool *wrongtype);

/* Makes kv (a string in db) a raw string holding at least `len` bytes:
 * an int or embstr record is replaced by a raw copy (keeping its TTL), a
 * raw buffer grows the way sds does (doubling below 1 MB), new bytes are
 * zero. Returns the record now in the db, which may not be kv. */
struct kv *string_unshare(struct db *db, struct kv *kv, size_t len);

/* Redis's checkStringLength: false after replying when a string would
 * grow beyond proto-max-bulk-len. `cur` + `add` never overflow here. */
bool string_size_ok(struct cmd_ctx *c, size_t cur, size_t add);

#endif
