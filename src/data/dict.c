/* dict.c — intrusive chained hash table; see dict.h. Single-threaded. */
#include "ringkv/data/dict.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <string.h>

#define DICT_INITIAL 4
/* Buckets moved per operation, and empty buckets visited at most per step,
 * so one operation's extra work stays bounded (as Redis's dictRehash). */
#define REHASH_STEP 1
#define EMPTY_VISITS 10

void dict_init(struct dict *d, const struct dict_type *type)
{
    memset(d, 0, sizeof(*d));
    d->type = type;
    d->rehash_idx = -1;
}

uint64_t dict_size(const struct dict *d) { return d->used[0] + d->used[1]; }
uint64_t dict_buckets(const struct dict *d) { return d->size[0] + d->size[1]; }

static inline bool rehashing(const struct dict *d) { return d->rehash_idx >= 0; }

void dict_clear(struct dict *d, void (*free_node)(struct dict_node *n, void *arg), void *arg)
{
    for (int t = 0; t < 2; t++) {
        for (uint64_t i = 0; free_node && i < d->size[t]; i++) {
            struct dict_node *n = d->table[t][i];
            while (n) {
                struct dict_node *next = n->next;
                free_node(n, arg);
                n = next;
            }
        }
        rk_free(d->table[t]);
    }
    dict_init(d, d->type);
}

/* Moves up to n buckets from table 0 to table 1. Returns true if more remain. */
static bool rehash(struct dict *d, int n)
{
    int empty_visits = n * EMPTY_VISITS;
    if (!rehashing(d)) return false;
    while (n-- && d->used[0] != 0) {
        while (d->table[0][d->rehash_idx] == NULL) {
            d->rehash_idx++;
            if (--empty_visits == 0) return true;
        }
        struct dict_node *node = d->table[0][d->rehash_idx];
        while (node) {
            struct dict_node *next = node->next;
            uint64_t idx = d->type->hash_node(node) & (d->size[1] - 1);
            node->next = d->table[1][idx];
            d->table[1][idx] = node;
            d->used[0]--;
            d->used[1]++;
            node = next;
        }
        d->table[0][d->rehash_idx] = NULL;
        d->rehash_idx++;
    }
    if (d->used[0] == 0) {
        rk_free(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->table[1] = NULL;
        d->size[1] = d->used[1] = 0;
        d->rehash_idx = -1;
        d->longest_chain = 0;
        return false;
    }
    return true;
}

static void rehash_step(struct dict *d)
{
    if (d->pause_rehash == 0) rehash(d, REHASH_STEP);
}

static void resize_to(struct dict *d, uint64_t want)
{
    uint64_t size = DICT_INITIAL;
    while (size < want) size <<= 1;
    if (d->size[0] == 0) {
        d->table[0] = rk_calloc(size, sizeof(struct dict_node *));
        d->size[0] = size;
        return;
    }
    d->table[1] = rk_calloc(size, sizeof(struct dict_node *));
    d->size[1] = size;
    d->rehash_idx = 0;
}

static void expand_if_needed(struct dict *d)
{
    if (rehashing(d)) return;
    if (d->size[0] == 0) resize_to(d, DICT_INITIAL);
    else if (d->used[0] >= d->size[0]) resize_to(d, d->used[0] + 1);
}

bool dict_try_shrink(struct dict *d)
{
    if (rehashing(d) || d->size[0] <= DICT_INITIAL) return false;
    if (d->used[0] * 8 >= d->size[0]) return false;
    resize_to(d, d->used[0] ? d->used[0] : DICT_INITIAL);
    return true;
}

static struct dict_node **find_link(struct dict *d, const void *key, size_t len, uint64_t hash)
{
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) continue;
        struct dict_node **link = &d->table[t][hash & (d->size[t] - 1)];
        for (; *link; link = &(*link)->next)
            if (d->type->key_eq(*link, key, len)) return link;
        if (!rehashing(d)) break;
    }
    return NULL;
}

struct dict_node *dict_find(struct dict *d, const void *key, size_t len, uint64_t hash)
{
    if (dict_size(d) == 0) return NULL;
    if (rehashing(d)) rehash_step(d);
    struct dict_node **link = find_link(d, key, len, hash);
    return link ? *link : NULL;
}

void dict_insert(struct dict *d, struct dict_node *n, uint64_t hash)
{
    if (rehashing(d)) rehash_step(d);
    expand_if_needed(d);
    int t = rehashing(d) ? 1 : 0;
    uint64_t idx = hash & (d->size[t] - 1);
    n->next = d->table[t][idx];
    d->table[t][idx] = n;
    d->used[t]++;
}

struct dict_node *dict_unlink(struct dict *d, const void *key, size_t len, uint64_t hash)
{
    if (dict_size(d) == 0) return NULL;
    if (rehashing(d)) rehash_step(d);
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) continue;
        struct dict_node **link = &d->table[t][hash & (d->size[t] - 1)];
        for (; *link; link = &(*link)->next) {
            if (d->type->key_eq(*link, key, len)) {
                struct dict_node *n = *link;
                *link = n->next;
                d->used[t]--;
                return n;
            }
        }
        if (!rehashing(d)) break;
    }
    return NULL;
}

void dict_replace(struct dict *d, struct dict_node *old, struct dict_node *repl, uint64_t hash)
{
    for (int t = 0; t < 2; t++) {
        if (d->size[t] == 0) continue;
        struct dict_node **link = &d->table[t][hash & (d->size[t] - 1)];
        for (; *link; link = &(*link)->next) {
            if (*link == old) {
                repl->next = old->next;
                *link = repl;
                return;
            }
        }
    }
}

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
    return __builtin_bswap64(v);
}

static void scan_bucket(struct dict_node *n, dict_scan_fn fn, void *arg)
{
    while (n) {
        struct dict_node *next = n->next;
        fn(n, arg);
        n = next;
    }
}

/* Reverse-binary cursor: increments the high bits first so that buckets
 * visited in a small table map onto buckets already visited in a larger
 * one (the argument in Redis's dict.c, dictScan). */
uint64_t dict_scan(struct dict *d, uint64_t v, dict_scan_fn fn, void *arg)
{
    if (dict_size(d) == 0) return 0;
    d->pause_rehash++;
    if (!rehashing(d)) {
        uint64_t m0 = d->size[0] - 1;
        scan_bucket(d->table[0][v & m0], fn, arg);
        v |= ~m0;
        v = rev64(v);
        v++;
        v = rev64(v);
    } else {
        int small = d->size[0] <= d->size[1] ? 0 : 1, large = 1 - small;
        uint64_t m0 = d->size[small] - 1, m1 = d->size[large] - 1;
        scan_bucket(d->table[small][v & m0], fn, arg);
        do {
            scan_bucket(d->table[large][v & m1], fn, arg);
            v |= ~m1;
            v = rev64(v);
            v++;
            v = rev64(v);
        } while (v & (m0 ^ m1));
    }
    d->pause_rehash--;
    return v;
}

/* A uniform bucket, then a uniform slot among `bound` in its chain, an
 * empty slot (or bucket) being a retry: every node is equally likely
 * whatever its chain's length, which HRANDFIELD/SRANDMEMBER users test
 * with a chi-square (picking a uniform element of a uniform bucket would
 * favour nodes alone in their bucket). The bound must be at least the
 * longest chain: FAIR_SLOTS covers nearly every chain at a load factor of
 * at most 1, and a longer one, once met, raises the dict's bound. */
#define FAIR_SLOTS 4

static struct dict_node *random_bucket(struct dict *d, uint64_t (*rng)(void *), void *arg)
{
    if (!rehashing(d)) return d->table[0][rng(arg) & (d->size[0] - 1)];
    uint64_t total = d->size[0] + d->size[1];
    uint64_t i = (uint64_t)d->rehash_idx + rng(arg) % (total - (uint64_t)d->rehash_idx);
    return i >= d->size[0] ? d->table[1][i - d->size[0]] : d->table[0][i];
}

struct dict_node *dict_random(struct dict *d, uint64_t (*rng)(void *), void *arg)
{
    if (dict_size(d) == 0) return NULL;
    if (rehashing(d)) rehash_step(d);
    for (int tries = 0;; tries++) {
        struct dict_node *bucket = random_bucket(d, rng, arg);
        if (!bucket && tries > 1000) {
            /* Sparse table (before it shrinks): the first chain from the
             * start, rather than spin. */
            for (int t = 0; t < 2 && !bucket; t++)
                for (uint64_t i = 0; i < d->size[t] && !bucket; i++) bucket = d->table[t][i];
        }
        if (!bucket) continue;
        unsigned len = 0;
        for (struct dict_node *n = bucket; n; n = n->next) len++;
        if (len > d->longest_chain) d->longest_chain = len;
        unsigned bound = d->longest_chain > FAIR_SLOTS ? d->longest_chain : FAIR_SLOTS;
        unsigned slot = (unsigned)(rng(arg) % (tries > 1000 ? len : bound));
        if (slot >= len) continue;
        while (slot--) bucket = bucket->next;
        return bucket;
    }
}

void dict_prefetch(const struct dict *d, uint64_t hash, int stage)
{
    if (d->size[0] == 0) return;
    struct dict_node *const *bucket = &d->table[0][hash & (d->size[0] - 1)];
    if (stage == 0) __builtin_prefetch(bucket);
    else if (*bucket) __builtin_prefetch(*bucket);
}

bool dict_rehash_for(struct dict *d, long long us)
{
    long long start = monotonic_us();
    if (!rehashing(d)) dict_try_shrink(d);
    while (rehashing(d) && d->pause_rehash == 0) {
        if (!rehash(d, 100)) break;
        if (monotonic_us() - start > us) return true;
    }
    return rehashing(d);
}

void dict_foreach(struct dict *d, void (*fn)(struct dict_node *n, void *arg), void *arg)
{
    d->pause_rehash++;
    for (int t = 0; t < 2; t++)
        for (uint64_t i = 0; i < d->size[t]; i++) scan_bucket(d->table[t][i], fn, arg);
    d->pause_rehash--;
}
