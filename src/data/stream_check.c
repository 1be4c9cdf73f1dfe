/* stream_check.c — checking a stream node read from untrusted bytes (an
 * RDB file, a RESTORE payload) before the stream takes it: the listpack
 * itself, the master entry, every entry's shape and lp-count, IDs rising
 * from the master ID, and the master entry's counts. Thread: any.
 */
#include "ringkv/data/stream.h"

/* The element at *p as an integer, stepping past it; false if there is
 * none or it is a string. */
static bool take_int(unsigned char *lp, unsigned char **p, int64_t *out)
{
    if (!*p) return false;
    lp_value v;
    lp_get(*p, &v);
    if (v.str) return false;
    *out = v.ll;
    *p = lp_next(lp, *p);
    return true;
}

static bool skip(unsigned char *lp, unsigned char **p, int64_t n)
{
    while (n-- > 0) {
        if (!*p) return false;
        *p = lp_next(lp, *p);
    }
    return true;
}

/* One entry from its flags; *p moves past its lp-count. */
static bool check_entry(unsigned char *lp, unsigned char **p, const struct stream_id *master, int64_t master_nfields,
                        struct stream_id *prev, bool *have_prev, int64_t *flags)
{
    int64_t msd, seqd, nfields, lpcount;
    if (!take_int(lp, p, flags) || !take_int(lp, p, &msd) || !take_int(lp, p, &seqd)) return false;
    struct stream_id id = {master->ms + (uint64_t)msd, master->seq + (uint64_t)seqd};
    if (stream_id_cmp(&id, master) < 0) return false;
    if (*have_prev && stream_id_cmp(&id, prev) <= 0) return false;
    *prev = id;
    *have_prev = true;
    int64_t expect;
    if (*flags & STREAM_FLAG_SAMEFIELDS) {
        if (!skip(lp, p, master_nfields)) return false;
        expect = 3 + master_nfields;
    } else {
        if (!take_int(lp, p, &nfields) || nfields < 0 || nfields > INT32_MAX) return false;
        if (!skip(lp, p, nfields * 2)) return false;
        expect = 3 + 2 * nfields + 1;
    }
    return take_int(lp, p, &lpcount) && lpcount == expect;
}

bool stream_node_validate(const struct stream_id *master, unsigned char *lp, size_t size, uint64_t *live,
                          struct stream_id *last)
{
    if (!lp_validate(lp, size, true)) return false;
    unsigned char *p = lp_first(lp);
    int64_t count, deleted, master_nfields, zero;
    if (!take_int(lp, &p, &count) || !take_int(lp, &p, &deleted) || !take_int(lp, &p, &master_nfields)) return false;
    if (count <= 0 || deleted < 0 || master_nfields < 0 || master_nfields > INT32_MAX) return false;
    if (!skip(lp, &p, master_nfields) || !take_int(lp, &p, &zero) || zero != 0) return false;
    int64_t seen_live = 0, seen_deleted = 0;
    bool have = false;
    while (p) {
        int64_t flags;
        if (!check_entry(lp, &p, master, master_nfields, last, &have, &flags)) return false;
        if (flags & STREAM_FLAG_DELETED) seen_deleted++;
        else seen_live++;
    }
    if (seen_live != count || seen_deleted != deleted) return false;
    *live = (uint64_t)count;
    return true;
}
