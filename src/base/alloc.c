/* alloc.c — thin wrappers over mimalloc; see alloc.h. Any thread. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/proto/reply.h"

#include <mimalloc.h>
#include <malloc.h>

/* Under sanitizers, allocate with libc so AddressSanitizer sees every
 * block (it cannot look inside mimalloc's pages). */
#ifdef RK_ALLOC_LIBC
#define mi_malloc malloc
#define mi_calloc calloc
#define mi_realloc realloc
#define mi_free free
#define mi_usable_size malloc_usable_size
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *oom(size_t size)
{
    log_fatal("out of memory allocating %zu bytes", size);
    abort();
}

/* Bytes this thread allocated minus bytes it freed (a block freed by
 * another thread counts there: only the sum over threads is the memory in
 * use). The usable size, what a block really costs. */
static __thread long long thread_allocated;

long long rk_thread_allocated(void) { return thread_allocated; }

void *rk_malloc(size_t size)
{
    void *p = mi_malloc(size);
    if (!p) return oom(size);
    thread_allocated += (long long)mi_usable_size(p);
    return p;
}

void *rk_calloc(size_t n, size_t size)
{
    void *p = mi_calloc(n, size);
    if (!p) return oom(n * size);
    thread_allocated += (long long)mi_usable_size(p);
    return p;
}

void *rk_realloc(void *ptr, size_t size)
{
    long long before = ptr ? (long long)mi_usable_size(ptr) : 0;
    void *p = mi_realloc(ptr, size);
    if (!p) return oom(size);
    thread_allocated += (long long)mi_usable_size(p) - before;
    return p;
}

void rk_free(void *ptr)
{
    if (!ptr) return;
    thread_allocated -= (long long)mi_usable_size(ptr);
    mi_free(ptr);
}

char *rk_strndup(const char *s, size_t len)
{
    char *p = rk_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

#ifdef RK_ALLOC_LIBC
/* Under a sanitizer its allocator owns the heap: glibc's malloc_trim would
 * walk arenas glibc never set up, and two shards calling it first race
 * setting them up (a SEGV in mtrim). AddressSanitizer offers its own. */
void __sanitizer_purge_allocator(void) __attribute__((weak));
#endif

void rk_alloc_setup(void)
{
#ifndef RK_ALLOC_LIBC
    /* mimalloc 2.0 gives a free page back only after it has been free for
     * decommit_delay, and only when something collects after that: the
     * pages of a burst freed just before the last collect stayed for good
     * (tens of MB after clients with big replies in flight reset at once).
     * Given back when freed instead; the hot path reuses pages before they
     * are entirely free, so it does not notice (GET/SET P16 unchanged). */
    mi_option_set(mi_option_decommit_delay, 0); /* MIMALLOC_RESET_DELAY */
#endif
}

void rk_collect(void)
{
#ifdef RK_ALLOC_LIBC
    if (__sanitizer_purge_allocator) __sanitizer_purge_allocator();
#else
    mi_collect(true);
#endif
}

#define RELEASE_MIN (1u << 20)
#define RELEASE_SETTLE_MS 200
#define RELEASE_MAX_WAIT_MS 1000

static __thread size_t released;
static __thread long long last_release_ms, last_collect_ms;

static long long coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rk_note_release(size_t bytes)
{
    released += bytes;
    last_release_ms = coarse_ms();
}

void rk_collect_released(void)
{
    if (released < RELEASE_MIN) return;
    long long now = coarse_ms();
    if (now - last_release_ms < RELEASE_SETTLE_MS && now - last_collect_ms < RELEASE_MAX_WAIT_MS) return;
    rk_collect();
    released = 0;
    last_collect_ms = now;
}

void rk_allocator_stats(size_t *active, size_t *resident)
{
#ifdef RK_ALLOC_LIBC
    *active = *resident = 0;
#else
    size_t elapsed, user, sys, rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit, &faults);
    /* mimalloc commits whole segments ahead of use, and the kernel backs
     * only the pages touched: what is resident is the honest "active". */
    size_t resident_now = rk_process_rss();
    *active = *resident = resident_now < commit ? resident_now : commit;
#endif
}

static void append_report(const char *msg, void *arg) { obuf_append(arg, msg, strlen(msg)); }

void rk_allocator_report(struct obuf *out)
{
#ifdef RK_ALLOC_LIBC
    (void)append_report;
    static const char msg[] = "Stats not supported for the current allocator";
    obuf_append(out, msg, sizeof msg - 1);
#else
    mi_stats_print_out(append_report, out);
#endif
}

size_t rk_usable_size(const void *ptr) { return ptr ? mi_usable_size((void *)ptr) : 0; }

size_t rk_process_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}
