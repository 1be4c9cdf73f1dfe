/* function_store.h — the libraries of functions the server knows (Redis
 * 7.0's FUNCTION LOAD), shared by every shard.
 *
 * FUNCTION LOAD compiles a library on its client's shard (which checks
 * the code and finds its functions: script_library_load), then puts it
 * here; the store checks it against the other libraries and moves its
 * generation on. Each shard's function engine, when it sees a newer
 * generation than it was built from, is rebuilt from the store
 * (function_store_install): a library loaded through any shard is called
 * through every shard the moment FUNCTION LOAD answers, and DELETE and
 * FLUSH reach every shard the same way.
 *
 * Why shared and not messaged: as script_store.h. The store is touched by
 * FUNCTION commands and by an engine catching up (a mutex, cold paths);
 * FCALL reads the generation alone (one atomic load).
 *
 * Bound: the libraries loaded, as in Redis, until FUNCTION DELETE/FLUSH.
 * Order: FUNCTION LIST shows the libraries in load order (Redis: its
 * dict's order, which clients must not rely on).
 * Thread: any.
 */
#ifndef RINGKV_FUNCTION_STORE_H
#define RINGKV_FUNCTION_STORE_H

#include "ringkv/proto/reply.h"
#include "ringkv/script/script.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct function_store;

struct function_store *function_store_create(void);
void function_store_destroy(struct function_store *st);

/* Whether a library of that name exists (names are case-sensitive). */
bool function_store_has(struct function_store *st, const char *name, size_t len);
/* Adds lib, taking it (freed on failure), in the place of the library of
 * its name when replace. Fails with Redis's error in err: "ERR Library
 * 'x' already exists" (not replace), "ERR Function f already exists" (a
 * function of another library has the name, in any case). */
bool function_store_put(struct function_store *st, struct script_library *lib, bool replace, struct obuf *err);
/* FUNCTION RESTORE's policies. */
enum function_restore { FUNCTION_RESTORE_APPEND, FUNCTION_RESTORE_REPLACE, FUNCTION_RESTORE_FLUSH };
/* Adds n libraries, taking them all (freed on failure), all or none:
 * FLUSH replaces every library with them; APPEND fails on a name that
 * exists ("ERR Library x already exists", Redis's words here), REPLACE
 * replaces those; a function name another library has fails both. */
bool function_store_put_all(struct function_store *st, struct script_library **libs, uint32_t n,
                            enum function_restore policy, struct obuf *err);
/* Removes the library; false when there is none of that name. */
bool function_store_delete(struct function_store *st, const char *name, size_t len);
/* Removes every library. */
void function_store_flush(struct function_store *st);
uint64_t function_store_generation(const struct function_store *st);

/* Makes e hold exactly the store's libraries (script_flush, then each one
 * loaded); returns the generation it holds. */
uint64_t function_store_install(struct function_store *st, struct script_engine *e);

/* Calls fn for each library in order, under the store's lock (fn must
 * not come back to the store). */
typedef void (*function_store_visit_fn)(const struct script_library *lib, void *arg);
void function_store_visit(struct function_store *st, function_store_visit_fn fn, void *arg);

/* FUNCTION STATS and INFO: libraries, functions, the bytes they hold. */
struct function_store_stats {
    uint64_t libraries, functions, bytes;
};
void function_store_stats(struct function_store *st, struct function_store_stats *out);

#endif
