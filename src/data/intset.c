/* intset.c — sorted integer array with width upgrade; see intset.h.
 * One thread (the owning shard). Header fields and members are stored
 * little-endian, which is the host order on every target ringkv builds
 * for (x86-64, aarch64); a big-endian port would swap in get/set. */
#include "ringkv/data/intset.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/random.h"

#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "intset.c assumes a little-endian host"
#endif

static unsigned width_of(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

static int64_t get_as(const intset *is, uint32_t pos, unsigned width)
{
    const int8_t *p = is->contents + (size_t)pos * width;
    if (width == 2) { int16_t v; memcpy(&v, p, 2); return v; }
    if (width == 4) { int32_t v; memcpy(&v, p, 4); return v; }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline int64_t get_at(const intset *is, uint32_t pos) { return get_as(is, pos, is->encoding); }

static void set_at(intset *is, uint32_t pos, int64_t v)
{
    int8_t *p = is->contents + (size_t)pos * is->encoding;
    if (is->encoding == 2) { int16_t x = (int16_t)v; memcpy(p, &x, 2); }
    else if (is->encoding == 4) { int32_t x = (int32_t)v; memcpy(p, &x, 4); }
    else memcpy(p, &v, 8);
}

static intset *resize(intset *is, uint32_t len)
{
    return rk_realloc(is, sizeof(intset) + (size_t)len * is->encoding);
}

/* Binary search: true and *pos = index if found, else false and *pos =
 * where v would go. */
static bool search(const intset *is, int64_t v, uint32_t *pos)
{
    uint32_t lo = 0, hi = is->length;
    if (hi && v > get_at(is, hi - 1)) {
        *pos = hi;
        return false;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = get_at(is, mid);
        if (cur == v) {
            *pos = mid;
            return true;
        }
        if (cur < v) lo = mid + 1;
        else hi = mid;
    }
    *pos = lo;
    return false;
}

intset *intset_new(void)
{
    intset *is = rk_malloc(sizeof(intset));
    is->encoding = 2;
    is->length = 0;
    return is;
}

void intset_free(intset *is) { rk_free(is); }

/* v needs a wider encoding than any member, so it is either below all of
 * them or above all of them: widen from the back, then put v at an end. */
static intset *upgrade_and_add(intset *is, int64_t v)
{
    unsigned old = is->encoding;
    uint32_t len = is->length, front = v < 0;
    is->encoding = width_of(v);
    is = resize(is, len + 1);
    for (uint32_t i = len; i-- > 0;) set_at(is, i + front, get_as(is, i, old));
    set_at(is, front ? 0 : len, v);
    is->length = len + 1;
    return is;
}

intset *intset_add(intset *is, int64_t v, bool *added)
{
    uint32_t pos;
    if (added) *added = true;
    if (width_of(v) > is->encoding) return upgrade_and_add(is, v);
    if (search(is, v, &pos)) {
        if (added) *added = false;
        return is;
    }
    is = resize(is, is->length + 1);
    memmove(is->contents + (size_t)(pos + 1) * is->encoding, is->contents + (size_t)pos * is->encoding,
            (size_t)(is->length - pos) * is->encoding);
    set_at(is, pos, v);
    is->length++;
    return is;
}

intset *intset_remove(intset *is, int64_t v, bool *removed)
{
    uint32_t pos;
    bool found = width_of(v) <= is->encoding && search(is, v, &pos);
    if (removed) *removed = found;
    if (!found) return is;
    memmove(is->contents + (size_t)pos * is->encoding, is->contents + (size_t)(pos + 1) * is->encoding,
            (size_t)(is->length - pos - 1) * is->encoding);
    is->length--;
    return resize(is, is->length);
}

bool intset_find(const intset *is, int64_t v)
{
    uint32_t pos;
    return width_of(v) <= is->encoding && search(is, v, &pos);
}

bool intset_get(const intset *is, uint32_t pos, int64_t *v)
{
    if (pos >= is->length) return false;
    *v = get_at(is, pos);
    return true;
}

int64_t intset_random(const intset *is) { return get_at(is, (uint32_t)rk_random_below(is->length)); }
int64_t intset_min(const intset *is) { return get_at(is, 0); }
int64_t intset_max(const intset *is) { return get_at(is, is->length - 1); }
uint32_t intset_len(const intset *is) { return is->length; }
size_t intset_bytes(const intset *is) { return sizeof(intset) + (size_t)is->length * is->encoding; }

bool intset_validate(const void *p, size_t size, bool deep)
{
    intset hdr;
    if (size < sizeof(intset)) return false;
    memcpy(&hdr, p, sizeof(hdr));
    if (hdr.encoding != 2 && hdr.encoding != 4 && hdr.encoding != 8) return false;
    if ((size - sizeof(intset)) / hdr.encoding != hdr.length ||
        (size - sizeof(intset)) % hdr.encoding || hdr.length == 0)
        return false;
    if (!deep) return true;
    const intset *is = p;
    for (uint32_t i = 1; i < hdr.length; i++)
        if (get_at(is, i - 1) >= get_at(is, i)) return false;
    return true;
}
