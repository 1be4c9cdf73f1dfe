/* script_store.c — the shared script bodies; see script_store.h. */
#include "ringkv/script/script_store.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/db.h"
#include "ringkv/data/dict.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

#define SHA_LEN 40

struct body {
    struct dict_node node;
    uint64_t hash;
    char sha[SHA_LEN];
    size_t len;
    char text[];
};

struct script_store {
    pthread_mutex_t lock;
    struct dict bodies;
    uint64_t count, bytes;
    uint64_t generation; /* atomic */
};

static uint64_t body_hash(const struct dict_node *n) { return ((const struct body *)n)->hash; }
static bool body_eq(const struct dict_node *n, const void *key, size_t len)
{
    return len == SHA_LEN && memcmp(((const struct body *)n)->sha, key, SHA_LEN) == 0;
}
static const struct dict_type body_type = {body_hash, body_eq};

/* The lowercase form of a 40-digit sha; false if it is not one. */
static bool normalize(const char *sha, size_t len, char out[SHA_LEN])
{
    if (len != SHA_LEN) return false;
    for (size_t i = 0; i < SHA_LEN; i++) out[i] = (char)tolower((unsigned char)sha[i]);
    return true;
}

struct script_store *script_store_create(void)
{
    struct script_store *st = rk_calloc(1, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    dict_init(&st->bodies, &body_type);
    return st;
}

static void free_body(struct dict_node *n, void *arg) { rk_free(n); }

void script_store_destroy(struct script_store *st)
{
    if (!st) return;
    dict_clear(&st->bodies, free_body, NULL);
    pthread_mutex_destroy(&st->lock);
    rk_free(st);
}

static struct body *find(struct script_store *st, const char *sha)
{
    return (struct body *)dict_find(&st->bodies, sha, SHA_LEN, db_key_hash(sha, SHA_LEN));
}

void script_store_put(struct script_store *st, const char *sha, const char *text, size_t len)
{
    char key[SHA_LEN];
    if (!normalize(sha, SHA_LEN, key)) return;
    pthread_mutex_lock(&st->lock);
    if (!find(st, key)) {
        struct body *b = rk_malloc(sizeof(*b) + len);
        b->hash = db_key_hash(key, SHA_LEN);
        memcpy(b->sha, key, SHA_LEN);
        b->len = len;
        memcpy(b->text, text, len);
        dict_insert(&st->bodies, &b->node, b->hash);
        st->count++;
        st->bytes += len;
    }
    pthread_mutex_unlock(&st->lock);
}

bool script_store_get(struct script_store *st, const char *sha, struct obuf *out)
{
    char key[SHA_LEN];
    if (!normalize(sha, SHA_LEN, key)) return false;
    pthread_mutex_lock(&st->lock);
    struct body *b = find(st, key);
    if (b) obuf_append(out, b->text, b->len);
    pthread_mutex_unlock(&st->lock);
    return b != NULL;
}

bool script_store_has(struct script_store *st, const char *sha, size_t len)
{
    char key[SHA_LEN];
    if (!normalize(sha, len, key)) return false;
    pthread_mutex_lock(&st->lock);
    bool has = find(st, key) != NULL;
    pthread_mutex_unlock(&st->lock);
    return has;
}

void script_store_flush(struct script_store *st)
{
    pthread_mutex_lock(&st->lock);
    dict_clear(&st->bodies, free_body, NULL);
    st->count = st->bytes = 0;
    __atomic_add_fetch(&st->generation, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&st->lock);
}

uint64_t script_store_generation(const struct script_store *st)
{
    return __atomic_load_n(&st->generation, __ATOMIC_ACQUIRE);
}

uint64_t script_store_count(struct script_store *st)
{
    pthread_mutex_lock(&st->lock);
    uint64_t n = st->count;
    pthread_mutex_unlock(&st->lock);
    return n;
}

uint64_t script_store_bytes(struct script_store *st)
{
    pthread_mutex_lock(&st->lock);
    uint64_t n = st->bytes;
    pthread_mutex_unlock(&st->lock);
    return n;
}
