/* script_store.h — the script bodies the server knows, by SHA1, shared by
 * every shard.
 *
 * EVAL and SCRIPT LOAD put a body here before they answer, so an EVALSHA
 * that any client sends afterwards, on whichever shard, finds it: each
 * shard's engine (script.h) compiles a body it misses from here. SCRIPT
 * FLUSH empties the store and moves its generation on; an engine that
 * sees a newer generation than it last saw forgets its compiled scripts.
 *
 * Why shared and not messaged: a body must be known everywhere the moment
 * EVAL answers, and it is touched only when a script is new to a shard
 * (a mutex on a cold path), never on a script's run, which reads the
 * generation alone (one atomic load).
 *
 * Bound: the store keeps every distinct body until SCRIPT FLUSH, as Redis
 * does; INFO memory reports its size (used_memory_scripts_eval).
 * Thread: any.
 */
#ifndef RINGKV_SCRIPT_STORE_H
#define RINGKV_SCRIPT_STORE_H

#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct script_store;

struct script_store *script_store_create(void);
void script_store_destroy(struct script_store *st);

/* Keeps body under sha (40 lowercase hex digits); a known sha is kept once. */
void script_store_put(struct script_store *st, const char *sha, const char *body, size_t len);
/* Appends the body of sha (40 hex digits, either case) to out; false when
 * the store does not have it. */
bool script_store_get(struct script_store *st, const char *sha, struct obuf *out);
bool script_store_has(struct script_store *st, const char *sha, size_t len);
/* Forgets every body and starts a new generation. */
void script_store_flush(struct script_store *st);
uint64_t script_store_generation(const struct script_store *st);
uint64_t script_store_count(struct script_store *st);
uint64_t script_store_bytes(struct script_store *st);

#endif
