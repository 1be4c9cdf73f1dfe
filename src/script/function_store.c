/* function_store.c — the shared libraries; see function_store.h.
 * A handful of libraries is the norm: a list, searched linearly. */
#include "ringkv/script/function_store.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

/* What Redis counts per library and function beyond their texts (dict
 * entries, structs): an estimate, for used_memory_functions. */
#define LIBRARY_OVERHEAD 64
#define FUNCTION_OVERHEAD 64

struct function_store {
    pthread_mutex_t lock;
    struct script_library **libs;
    uint32_t n, cap;
    uint64_t generation; /* atomic */
};

struct function_store *function_store_create(void)
{
    struct function_store *st = rk_calloc(1, sizeof(*st));
    pthread_mutex_init(&st->lock, NULL);
    return st;
}

static void clear(struct function_store *st)
{
    for (uint32_t i = 0; i < st->n; i++) script_library_free(st->libs[i]);
    st->n = 0;
}

void function_store_destroy(struct function_store *st)
{
    if (!st) return;
    clear(st);
    rk_free(st->libs);
    pthread_mutex_destroy(&st->lock);
    rk_free(st);
}

/* The index of the library of that name, or -1. Under the lock. */
static int find(const struct function_store *st, const char *name, size_t len)
{
    for (uint32_t i = 0; i < st->n; i++)
        if (st->libs[i]->name_len == len && memcmp(st->libs[i]->name, name, len) == 0) return (int)i;
    return -1;
}

static void bump(struct function_store *st) { __atomic_add_fetch(&st->generation, 1, __ATOMIC_RELEASE); }

bool function_store_has(struct function_store *st, const char *name, size_t len)
{
    pthread_mutex_lock(&st->lock);
    bool has = find(st, name, len) >= 0;
    pthread_mutex_unlock(&st->lock);
    return has;
}

/* A function of lib whose name (in any case) a library other than skip
 * has; NULL when none. Under the lock. */
static const struct script_function_info *clash(const struct function_store *st, const struct script_library *lib,
                                                int skip)
{
    for (int f = 0; f < lib->nfns; f++) {
        const struct script_function_info *fi = &lib->fns[f];
        for (uint32_t i = 0; i < st->n; i++) {
            if ((int)i == skip) continue;
            for (int g = 0; g < st->libs[i]->nfns; g++) {
                const struct script_function_info *other = &st->libs[i]->fns[g];
                if (other->name_len == fi->name_len && strncasecmp(other->name, fi->name, fi->name_len) == 0)
                    return fi;
            }
        }
    }
    return NULL;
}

static bool put_locked(struct function_store *st, struct script_library *lib, bool replace, struct obuf *err)
{
    int old = find(st, lib->name, lib->name_len);
    if (old >= 0 && !replace) {
        obuf_append(err, "ERR Library '", 13);
        obuf_append(err, lib->name, lib->name_len);
        obuf_append(err, "' already exists", 16);
        return false;
    }
    const struct script_function_info *fi = clash(st, lib, old);
    if (fi) {
        obuf_append(err, "ERR Function ", 13);
        obuf_append(err, fi->name, fi->name_len);
        obuf_append(err, " already exists", 15);
        return false;
    }
    if (old >= 0) {
        script_library_free(st->libs[old]);
        st->libs[old] = lib;
    } else {
        if (st->n == st->cap) {
            st->cap = st->cap ? 2 * st->cap : 8;
            st->libs = rk_realloc(st->libs, st->cap * sizeof(*st->libs));
        }
        st->libs[st->n++] = lib;
    }
    bump(st);
    return true;
}

bool function_store_put(struct function_store *st, struct script_library *lib, bool replace, struct obuf *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = put_locked(st, lib, replace, err);
    pthread_mutex_unlock(&st->lock);
    if (!ok) script_library_free(lib);
    return ok;
}

/* Whether libs[0..n) may join the libraries kept (those not flushed and
 * not replaced): no name or function taken; the error otherwise. */
static bool may_join(const struct function_store *st, struct script_library **libs, uint32_t n,
                     enum function_restore policy, struct obuf *err)
{
    for (uint32_t k = 0; k < n; k++)
        for (uint32_t j = 0; j < k; j++)
            if (libs[j]->name_len == libs[k]->name_len && memcmp(libs[j]->name, libs[k]->name, libs[k]->name_len) == 0) {
                obuf_append(err, "ERR Library '", 13);
                obuf_append(err, libs[k]->name, libs[k]->name_len);
                obuf_append(err, "' already exists", 16);
                return false;
            }
    if (policy == FUNCTION_RESTORE_FLUSH) return true;
    for (uint32_t k = 0; k < n; k++) {
        if (policy == FUNCTION_RESTORE_APPEND && find(st, libs[k]->name, libs[k]->name_len) >= 0) {
            obuf_append(err, "ERR Library ", 12);
            obuf_append(err, libs[k]->name, libs[k]->name_len);
            obuf_append(err, " already exists", 15);
            return false;
        }
        /* With REPLACE, the library of the same name goes: its functions
         * do not clash. */
        const struct script_function_info *fi = clash(st, libs[k], find(st, libs[k]->name, libs[k]->name_len));
        if (fi) {
            obuf_append(err, "ERR Function ", 13);
            obuf_append(err, fi->name, fi->name_len);
            obuf_append(err, " already exists", 15);
            return false;
        }
    }
    return true;
}

bool function_store_put_all(struct function_store *st, struct script_library **libs, uint32_t n,
                            enum function_restore policy, struct obuf *err)
{
    pthread_mutex_lock(&st->lock);
    bool ok = may_join(st, libs, n, policy, err);
    if (ok) {
        if (policy == FUNCTION_RESTORE_FLUSH) clear(st);
        for (uint32_t k = 0; k < n; k++) {
            bool put = put_locked(st, libs[k], true, err);
            (void)put; /* checked above: cannot fail */
        }
    }
    pthread_mutex_unlock(&st->lock);
    if (!ok)
        for (uint32_t k = 0; k < n; k++) script_library_free(libs[k]);
    return ok;
}

bool function_store_delete(struct function_store *st, const char *name, size_t len)
{
    pthread_mutex_lock(&st->lock);
    int i = find(st, name, len);
    if (i >= 0) {
        script_library_free(st->libs[i]);
        memmove(st->libs + i, st->libs + i + 1, (st->n - (uint32_t)i - 1) * sizeof(*st->libs));
        st->n--;
        bump(st);
    }
    pthread_mutex_unlock(&st->lock);
    return i >= 0;
}

void function_store_flush(struct function_store *st)
{
    pthread_mutex_lock(&st->lock);
    clear(st);
    bump(st);
    pthread_mutex_unlock(&st->lock);
}

uint64_t function_store_generation(const struct function_store *st)
{
    return __atomic_load_n(&st->generation, __ATOMIC_ACQUIRE);
}

uint64_t function_store_install(struct function_store *st, struct script_engine *e)
{
    /* The codes are copied out so that compiling holds no lock. */
    struct obuf codes = {0};
    pthread_mutex_lock(&st->lock);
    uint64_t gen = function_store_generation(st);
    for (uint32_t i = 0; i < st->n; i++) {
        uint64_t len = st->libs[i]->code_len;
        obuf_append(&codes, &len, sizeof(len));
        obuf_append(&codes, st->libs[i]->code, st->libs[i]->code_len);
    }
    pthread_mutex_unlock(&st->lock);
    script_flush(e);
    struct obuf err = {0};
    for (size_t at = 0; at < codes.len;) {
        uint64_t len;
        memcpy(&len, codes.data + at, sizeof(len));
        at += sizeof(len);
        err.len = 0;
        /* It loaded on the shard that checked it: failing here means its
         * top level does not do the same on each run. */
        struct script_library *lib = script_library_load(e, codes.data + at, len, true, &err);
        if (!lib) log_warn("a library failed to load on this shard: %.*s", (int)err.len, err.data);
        script_library_free(lib);
        at += len;
    }
    obuf_free(&err);
    obuf_free(&codes);
    return gen;
}

void function_store_visit(struct function_store *st, function_store_visit_fn fn, void *arg)
{
    pthread_mutex_lock(&st->lock);
    for (uint32_t i = 0; i < st->n; i++) fn(st->libs[i], arg);
    pthread_mutex_unlock(&st->lock);
}

void function_store_stats(struct function_store *st, struct function_store_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&st->lock);
    for (uint32_t i = 0; i < st->n; i++) {
        const struct script_library *lib = st->libs[i];
        out->libraries++;
        out->functions += (uint64_t)lib->nfns;
        out->bytes += LIBRARY_OVERHEAD + lib->name_len + lib->code_len;
        for (int f = 0; f < lib->nfns; f++)
            out->bytes += FUNCTION_OVERHEAD + lib->fns[f].name_len + lib->fns[f].desc_len;
    }
    pthread_mutex_unlock(&st->lock);
}
