/* str_refs.c — borrowed byte strings and their distinct members; see str_refs.h. */
#include "ringkv/base/str_refs.h"
#include "ringkv/base/alloc.h"

#include <stdlib.h>
#include <string.h>

void str_refs_push(struct str_refs *r, const char *s, size_t len)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->v = rk_realloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = (struct str_ref){s, len};
}

static int by_len_then_bytes(const void *a, const void *b)
{
    const struct str_ref *x = a, *y = b;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->len ? memcmp(x->s, y->s, x->len) : 0;
}

size_t str_refs_unique(struct str_refs *r)
{
    if (r->n < 2) return r->n;
    qsort(r->v, r->n, sizeof(*r->v), by_len_then_bytes);
    size_t out = 1;
    for (size_t i = 1; i < r->n; i++)
        if (by_len_then_bytes(&r->v[i], &r->v[out - 1]) != 0) r->v[out++] = r->v[i];
    r->n = out;
    return out;
}

void str_refs_free(struct str_refs *r)
{
    rk_free(r->v);
    *r = (struct str_refs){0};
}
