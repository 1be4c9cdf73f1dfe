/* trk_table.c — the tracking table; see trk_table.h. Single-threaded. */
#include "ringkv/data/trk_table.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/data/dict.h"

#include <string.h>

/* One key and its readers: a small array, since most keys are cached by
 * a few clients, and adding the same reader twice must stay an item. */
struct trk_key {
    struct dict_node node;
    struct trk_reader *readers;
    uint32_t n, cap;
    uint32_t len;
    char key[];
};

struct trk_table {
    struct dict keys;
    uint64_t items;
    uint64_t rng;
};

static uint64_t key_hash(const char *key, size_t len) { return hash_bytes(key, len); }

static uint64_t node_hash(const struct dict_node *n)
{
    const struct trk_key *k = (const struct trk_key *)n;
    return key_hash(k->key, k->len);
}

static bool node_eq(const struct dict_node *n, const void *key, size_t len)
{
    const struct trk_key *k = (const struct trk_key *)n;
    return k->len == len && memcmp(k->key, key, len) == 0;
}

static const struct dict_type trk_type = {node_hash, node_eq};

struct trk_table *trk_table_create(void)
{
    struct trk_table *t = rk_calloc(1, sizeof(*t));
    dict_init(&t->keys, &trk_type);
    t->rng = 0x9e3779b97f4a7c15ull;
    return t;
}

static void free_key(struct dict_node *n, void *arg)
{
    struct trk_key *k = (struct trk_key *)n;
    rk_free(k->readers);
    rk_free(k);
}

void trk_table_clear(struct trk_table *t)
{
    dict_clear(&t->keys, free_key, NULL);
    dict_init(&t->keys, &trk_type);
    t->items = 0;
}

void trk_table_destroy(struct trk_table *t)
{
    if (!t) return;
    dict_clear(&t->keys, free_key, NULL);
    rk_free(t);
}

bool trk_table_add(struct trk_table *t, const char *key, size_t len, struct trk_reader reader)
{
    uint64_t h = key_hash(key, len);
    struct trk_key *k = (struct trk_key *)dict_find(&t->keys, key, len, h);
    if (!k) {
        k = rk_calloc(1, sizeof(*k) + len);
        k->len = (uint32_t)len;
        memcpy(k->key, key, len);
        dict_insert(&t->keys, &k->node, h);
    }
    for (uint32_t i = 0; i < k->n; i++)
        if (k->readers[i].id == reader.id) return false;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 2;
        k->readers = rk_realloc(k->readers, k->cap * sizeof(*k->readers));
    }
    k->readers[k->n++] = reader;
    t->items++;
    return true;
}

bool trk_table_has(struct trk_table *t, const char *key, size_t len)
{
    return dict_find(&t->keys, key, len, key_hash(key, len)) != NULL;
}

bool trk_table_take(struct trk_table *t, const char *key, size_t len, trk_reader_fn fn, void *arg)
{
    struct trk_key *k = (struct trk_key *)dict_unlink(&t->keys, key, len, key_hash(key, len));
    if (!k) return false;
    t->items -= k->n;
    for (uint32_t i = 0; i < k->n; i++) fn(&k->readers[i], k->key, k->len, arg);
    free_key(&k->node, NULL);
    return true;
}

static uint64_t next_random(void *arg)
{
    uint64_t *s = arg; /* xorshift64: the pick needs no quality, only spread */
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

bool trk_table_random_key(struct trk_table *t, const char **key, size_t *len)
{
    struct trk_key *k = (struct trk_key *)dict_random(&t->keys, next_random, &t->rng);
    if (!k) return false;
    *key = k->key;
    *len = k->len;
    return true;
}

uint64_t trk_table_keys(const struct trk_table *t) { return dict_size(&t->keys); }
uint64_t trk_table_items(const struct trk_table *t) { return t->items; }
