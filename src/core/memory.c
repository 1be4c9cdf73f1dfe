/* memory.c — the shared memory budget and eviction (see memory.h). */
#include "ringkv/core/memory.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/core/server.h"
#include "ringkv/core/ring.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/evict.h"

#include <limits.h>
#include <math.h>

#define STEP_MIN (256LL * 1024)

struct shard_memory {
    struct evict_pool *pool;
    struct ring_op wake;   /* posted to this shard by another that wants it to evict */
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

static void on_wake(struct ring_op *op, int res, uint32_t flags);

void memory_shard_setup(struct shard *s)
{
    s->mem = rk_calloc(1, sizeof *s->mem);
    s->mem->pool = evict_pool_create();
    s->mem->wake.cb = on_wake;
    s->mem->policy = -1;
    __atomic_add_fetch(&shared(s)->startup, rk_thread_allocated(), __ATOMIC_RELAXED);
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
    bool vol = config_policy_volatile(policy);
    for (int d = 0; d < s->ks->ndbs; d++)
        if ((vol ? db_expires_size(ks_db(s->ks, d)) : db_size(ks_db(s->ks, d))) > 0) return true;
    return false;
}

static void on_wake(struct ring_op *op, int res, uint32_t flags)
{
    struct shard_memory *m = container_of(op, struct shard_memory, wake);
    m->evicting = true; /* memory_pump takes it from here */
}

/* How much better another shard's best candidate must score for s to
 * leave an eviction to it: twice as idle and a tick of the LRU clock (1 s)
 * more under LRU, 4 steps of the LFU counter, a second nearer expiry under
 * volatile-ttl. Only ever to a strictly better shard, so two shards never
 * leave it to each other (on stale figures they may for a moment: the
 * overshoot bound ends it). */
static unsigned long long margin(const struct shard *s, unsigned long long own)
{
    switch (s->cfg.maxmemory_policy) {
    case MM_ALLKEYS_LFU:
    case MM_VOLATILE_LFU: return 4;
    case MM_VOLATILE_TTL: return 1000;
    default: return own + 1000;
    }
}

/* The shard (not s) with the best candidate, when it is clearly better
 * than s's; -1 when s should evict its own. */
static int better_shard(struct shard *s, unsigned long long own)
{
    int best = -1;
    unsigned long long top = own, need = margin(s, own);
    for (unsigned i = 0; i < s->srv->nshards; i++) {
        if (i == s->id || __atomic_load_n(&shared(s)->cannot_evict[i], __ATOMIC_RELAXED)) continue;
        unsigned long long sc = __atomic_load_n(&shared(s)->best[i], __ATOMIC_RELAXED);
        if (sc > top && sc - own >= need) {
            top = sc;
            best = (int)i;
        }
    }
    return best;
}

/* Asks shard i to evict: one wake-up message in flight at most. */
static void ask(struct shard *s, int i)
{
    if (__atomic_exchange_n(&shared(s)->wanted[i], 1, __ATOMIC_ACQ_REL)) return;
    ring_msg_post(s->ring, s->srv->ring_fds[i], &s->srv->shards[i]->mem->wake, &s->ctl_fail_op);
}

/* Whether s should leave this eviction to a shard with better candidates
 * (publishing its own best on the way). */
static bool leave_to_others(struct shard *s)
{
    unsigned long long own;
    if (s->srv->nshards == 1 || !evict_best_score(s->ks, s->mem->pool, &s->cfg, &own)) return false;
    __atomic_store_n(&shared(s)->best[s->id], own, __ATOMIC_RELAXED);
    if (memory_server_used(s) > s->cfg.maxmemory + s->cfg.maxmemory / 32) return false;
    int i = better_shard(s, own);
    if (i < 0) return false;
    ask(s, i);
    return true;
}

/* Evicts while over, within the time limit; false when nothing is left
 * that the policy may evict here. */
static bool make_room(struct shard *s)
{
    long long limit = time_limit_us(s->cfg.maxmemory_eviction_tenacity), start = monotonic_us();
    bool ok = true, left = false;
    for (int n = 1; over(s); n++) {
        if ((left = leave_to_others(s))) break;
        if (!evict_one(s->ks, s->mem->pool, &s->cfg)) {
            ok = false;
            break;
        }
        if (n % 16 == 0 && monotonic_us() - start > limit) break; /* the tick goes on */
    }
    publish(s, false);
    __atomic_store_n(&shared(s)->cannot_evict[s->id], ok ? 0 : 1, __ATOMIC_RELAXED);
    s->mem->evicting = ok && !left && over(s); /* what was left to another is its to do */
    return ok;
}

bool memory_pump(struct shard *s)
{
    if (RK_LIKELY(!s->mem->evicting)) return false;
    __atomic_store_n(&shared(s)->wanted[s->id], 0, __ATOMIC_RELEASE);
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
    read_others(s); /* the others' latest figures, not the last tick's */
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
    unsigned long long best;
    if (evict_best_score(s->ks, s->mem->pool, &s->cfg, &best))
        __atomic_store_n(&shared(s)->best[s->id], best, __ATOMIC_RELAXED);
    if (over(s)) make_room(s);
}
