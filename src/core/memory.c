/* memory.c — the shared memory budget and eviction (see memory.h). */
#include "ringkv/core/memory.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/evict.h"

#include <limits.h>
#include <math.h>

#define STEP_MIN (256LL * 1024)

struct shard_memory {
    struct evict_pool *pool;
    long long published;   /* what the server's slot holds */
    long long others;      /* the other shards' published sum, as last read */
    long long policy;      /* the policy the keyspace's access tracking follows */
    bool evicting;         /* over the limit with keys to evict: the loop keeps at it */
};

long long memory_shard_used(void) { return rk_thread_allocated(); }

static struct memory_shared *shared(struct shard *s) { return &s->srv->mem; }

static long long step(const struct shard *s)
{
    long long st = s->cfg.maxmemory / 64 / (long long)s->srv->nshards;
    return st > STEP_MIN ? st : STEP_MIN;
}

static void publish(struct shard *s, bool force)
{
    long long now = rk_thread_allocated();
    long long d = now - s->mem->published;
    if (!force && d < step(s) && -d < step(s)) return;
    s->mem->published = now;
    __atomic_store_n(&shared(s)->used[s->id], now, __ATOMIC_RELAXED);
}

static void read_others(struct shard *s)
{
    long long sum = __atomic_load_n(&shared(s)->base, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < s->srv->nshards; i++)
        if (i != s->id) sum += __atomic_load_n(&shared(s)->used[i], __ATOMIC_RELAXED);
    s->mem->others = sum;
}

long long memory_server_used(struct shard *s) { return rk_thread_allocated() + s->mem->others; }

static bool over(struct shard *s) { return memory_server_used(s) > s->cfg.maxmemory; }

void memory_shard_setup(struct shard *s)
{
    s->mem = rk_calloc(1, sizeof *s->mem);
    s->mem->pool = evict_pool_create();
    s->mem->policy = -1;
    memory_tick(s);
}

void memory_shard_exit(struct shard *s)
{
    if (!s->mem) return;
    evict_pool_destroy(s->mem->pool);
    rk_free(s->mem);
    s->mem = NULL;
}

/* Redis's evictionTimeLimitUs: how long one command may spend evicting. */
static long long time_limit_us(long long tenacity)
{
    if (tenacity <= 10) return 50 * tenacity;
    if (tenacity < 100) return (long long)(500.0 * pow(1.15, (double)(tenacity - 10)));
    return LLONG_MAX;
}

static bool has_evictable(struct shard *s)
{
    long long policy = s->cfg.maxmemory_policy;
    if (policy == MM_NOEVICTION) return false;
    bool vol = policy < MM_ALLKEYS_LRU;
    for (int d = 0; d < s->ks->ndbs; d++)
        if ((vol ? db_expires_size(ks_db(s->ks, d)) : db_size(ks_db(s->ks, d))) > 0) return true;
    return false;
}

/* Evicts while over, within the time limit; false when nothing is left
 * that the policy may evict here. */
static bool make_room(struct shard *s)
{
    long long limit = time_limit_us(s->cfg.maxmemory_eviction_tenacity), start = monotonic_us();
    bool ok = true;
    for (int n = 1; over(s); n++) {
        if (!evict_one(s->ks, s->mem->pool, &s->cfg)) {
            ok = false;
            break;
        }
        if (n % 16 == 0 && monotonic_us() - start > limit) break; /* the tick goes on */
    }
    publish(s, false);
    __atomic_store_n(&shared(s)->cannot_evict[s->id], ok ? 0 : 1, __ATOMIC_RELAXED);
    s->mem->evicting = ok && over(s);
    return ok;
}

bool memory_pump(struct shard *s)
{
    if (RK_LIKELY(!s->mem->evicting)) return false;
    read_others(s);
    if (s->cfg.maxmemory == 0 || !over(s)) {
        s->mem->evicting = false;
        return false;
    }
    make_room(s);
    return s->mem->evicting;
}

static bool nobody_can_evict(struct shard *s)
{
    for (unsigned i = 0; i < s->srv->nshards; i++)
        if (!__atomic_load_n(&shared(s)->cannot_evict[i], __ATOMIC_RELAXED)) return false;
    return true;
}

bool memory_admit(struct shard *s, bool denyoom)
{
    if (RK_LIKELY(s->cfg.maxmemory == 0)) return true;
    publish(s, false);
    if (!over(s)) return true;
    read_others(s);
    if (!over(s)) return true;
    if (make_room(s)) return true;
    if (!denyoom) return true;
    return s->cfg.maxmemory_policy != MM_NOEVICTION && !nobody_can_evict(s);
}

void memory_tick(struct shard *s)
{
    if (s->mem->policy != s->cfg.maxmemory_policy) {
        evict_configure(s->ks, &s->cfg);
        s->mem->policy = s->cfg.maxmemory_policy;
    }
    publish(s, true);
    read_others(s);
    long long total = memory_server_used(s), peak = __atomic_load_n(&shared(s)->peak, __ATOMIC_RELAXED);
    while (total > peak && !__atomic_compare_exchange_n(&shared(s)->peak, &peak, total, true, __ATOMIC_RELAXED,
                                                        __ATOMIC_RELAXED)) {}
    if (s->cfg.maxmemory == 0) return;
    __atomic_store_n(&shared(s)->cannot_evict[s->id], has_evictable(s) ? 0 : 1, __ATOMIC_RELAXED);
    if (over(s)) make_room(s);
}
