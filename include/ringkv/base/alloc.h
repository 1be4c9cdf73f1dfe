/* alloc.h — the one way ringkv allocates memory.
 *
 * Every allocation goes through mimalloc's explicit API (never a global
 * malloc override). mimalloc gives each thread its own heap, so a shard's
 * allocations stay on its own pages; a block freed by another thread (a
 * message returned to its sender) is handed back to the owning heap by
 * mimalloc itself. Allocation failure is fatal, as in Redis: the server
 * logs and aborts rather than limping on with a half-applied write.
 * Callable from any thread.
 */
#ifndef RINGKV_ALLOC_H
#define RINGKV_ALLOC_H

#include <stddef.h>

void *rk_malloc(size_t size);
void *rk_calloc(size_t n, size_t size);
void *rk_realloc(void *ptr, size_t size);
void rk_free(void *ptr);
char *rk_strndup(const char *s, size_t len);
/* What this thread allocated through these calls minus what it freed, in
 * usable bytes: summed over the threads (shards publish theirs, see
 * core/memory.h), the memory the server uses (INFO used_memory, maxmemory). */
long long rk_thread_allocated(void);
/* Usable size of a block from rk_malloc: the memory it really costs. */
size_t rk_usable_size(const void *ptr);
/* Sets the allocator up, before any thread starts (main). */
void rk_alloc_setup(void);
/* Gives the calling thread's free memory back to the OS now (mimalloc
 * otherwise does it lazily, on later allocations that may never come). */
void rk_collect(void);
/* Big transient buffers (a client's input and output, a message's replies)
 * die in bursts when clients go. rk_note_release() counts such a buffer,
 * on the thread that allocated it (the owner collects it); the owner's
 * timer calls rk_collect_released(), which collects once the releases
 * have settled (200 ms after the last, or each second while they go on).
 * Per thread. */
void rk_note_release(size_t bytes);
void rk_collect_released(void);
/* The allocator's view of the process (INFO allocator_*): memory it has
 * committed (active) and what of it is resident; 0 where unknown (under
 * the sanitizers' allocator). */
void rk_allocator_stats(size_t *active, size_t *resident);
/* MEMORY MALLOC-STATS: the allocator's own report, as text. */
struct obuf;
void rk_allocator_report(struct obuf *out);
/* Bytes this process has from the OS (resident), for INFO memory. */
size_t rk_process_rss(void);

#endif
