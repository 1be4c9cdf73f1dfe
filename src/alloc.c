/* alloc.c — thin wrappers over mimalloc; see alloc.h. Any thread. */
#include "ringkv/alloc.h"
#include "ringkv/log.h"

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
#include <unistd.h>

static void *oom(size_t size)
{
    log_fatal("out of memory allocating %zu bytes", size);
    abort();
}

void *rk_malloc(size_t size)
{
    void *p = mi_malloc(size);
    return p ? p : oom(size);
}

void *rk_calloc(size_t n, size_t size)
{
    void *p = mi_calloc(n, size);
    return p ? p : oom(n * size);
}

void *rk_realloc(void *ptr, size_t size)
{
    void *p = mi_realloc(ptr, size);
    return p ? p : oom(size);
}

void rk_free(void *ptr) { mi_free(ptr); }

char *rk_strndup(const char *s, size_t len)
{
    char *p = rk_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

size_t rk_usable_size(const void *ptr) { return ptr ? mi_usable_size(ptr) : 0; }

size_t rk_process_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}
