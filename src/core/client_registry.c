/* client_registry.c — client id -> shard; see client_registry.h. Any
 * thread, under one mutex. Entries are malloc'ed (not a shard's heap):
 * any thread may free them. */
#include "ringkv/core/client_registry.h"
#include "ringkv/base/util.h"

#include <pthread.h>
#include <stdlib.h>

struct entry {
    struct entry *next;
    uint64_t id;
    unsigned shard;
    struct conn *conn;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry **buckets;
static size_t nbuckets, used;

static size_t slot(uint64_t id, size_t n) { return (size_t)(hash_bytes(&id, sizeof id) & (n - 1)); }

/* Doubles the table at load factor 1 (connections only grow it so far). */
static void grow(void)
{
    size_t n = nbuckets ? 2 * nbuckets : 256;
    struct entry **b = calloc(n, sizeof(*b));
    if (!b) return; /* chains just get longer */
    for (size_t i = 0; i < nbuckets; i++) {
        for (struct entry *e = buckets[i], *next; e; e = next) {
            next = e->next;
            size_t j = slot(e->id, n);
            e->next = b[j];
            b[j] = e;
        }
    }
    free(buckets);
    buckets = b;
    nbuckets = n;
}

void client_registry_add(uint64_t id, unsigned shard, struct conn *c)
{
    struct entry *e = malloc(sizeof(*e));
    if (!e) return; /* the client is then unknown to REDIRECT: never worse than that */
    *e = (struct entry){NULL, id, shard, c};
    pthread_mutex_lock(&lock);
    if (used >= nbuckets) grow();
    if (nbuckets) {
        size_t j = slot(id, nbuckets);
        e->next = buckets[j];
        buckets[j] = e;
        used++;
    } else {
        free(e);
    }
    pthread_mutex_unlock(&lock);
}

void client_registry_remove(uint64_t id)
{
    struct entry *gone = NULL;
    pthread_mutex_lock(&lock);
    for (struct entry **p = nbuckets ? &buckets[slot(id, nbuckets)] : NULL; p && *p; p = &(*p)->next) {
        if ((*p)->id != id) continue;
        gone = *p;
        *p = gone->next;
        used--;
        break;
    }
    pthread_mutex_unlock(&lock);
    free(gone);
}

bool client_registry_find(uint64_t id, unsigned *shard, struct conn **c)
{
    bool found = false;
    pthread_mutex_lock(&lock);
    for (struct entry *e = nbuckets ? buckets[slot(id, nbuckets)] : NULL; e; e = e->next) {
        if (e->id != id) continue;
        if (shard) *shard = e->shard;
        if (c) *c = e->conn;
        found = true;
        break;
    }
    pthread_mutex_unlock(&lock);
    return found;
}
