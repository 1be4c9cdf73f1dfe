/* rdb_stream.c — a stream value in RDB form (RDB_TYPE_STREAM_LISTPACKS_2,
 * Redis 7.0's rdbSaveObject / rdbLoadObject): the node count, each node
 * as its 16-byte big-endian master ID and its listpack (written as it
 * is), the length, last ID, first ID, largest deleted ID, entries added,
 * then the consumer groups: name, last delivered ID, entries read, the
 * PEL (raw ID, delivery time, delivery count) and the consumers (name,
 * seen time, the raw IDs of the NACKs they own). Nodes from the input
 * are checked whole before the stream takes them (stream_node_validate);
 * every NACK must have exactly one owner. Thread: any (the value belongs
 * to the caller).
 */
#include "ringkv/base/alloc.h"
#include "ringkv/data/stream.h"
#include "ringkv/data/stream_cg.h"
#include "ringkv/persist/rdb.h"

#include <string.h>

static void put_raw_id(struct rdb_buf *b, const struct stream_id *id)
{
    unsigned char raw[16];
    stream_id_encode(id, raw);
    rdb_put_bytes(b, raw, sizeof raw);
}

static void put_groups(struct rdb_buf *b, const struct stream_groups *gs, bool compress)
{
    rdb_put_len(b, gs ? gs->n : 0);
    for (size_t i = 0; gs && i < gs->n; i++) {
        const struct stream_group *g = gs->v[i];
        rdb_put_string(b, g->name, g->nlen, compress);
        rdb_put_len(b, g->last_id.ms);
        rdb_put_len(b, g->last_id.seq);
        rdb_put_len(b, (uint64_t)g->entries_read);
        rdb_put_len(b, g->pel.n);
        for (size_t k = 0; k < g->pel.n; k++) {
            put_raw_id(b, &g->pel.v[k]->id);
            rdb_put_millis(b, g->pel.v[k]->delivery_time);
            rdb_put_len(b, g->pel.v[k]->delivery_count);
        }
        rdb_put_len(b, g->nconsumers);
        for (size_t k = 0; k < g->nconsumers; k++) {
            const struct stream_consumer *con = g->consumers[k];
            rdb_put_string(b, con->name, con->nlen, compress);
            rdb_put_millis(b, con->seen_time);
            rdb_put_len(b, con->pel.n);
            for (size_t j = 0; j < con->pel.n; j++) put_raw_id(b, &con->pel.v[j]->id);
        }
    }
}

void rdb_put_stream(struct rdb_buf *b, const struct kv *kv, bool compress)
{
    const struct stream *s = kv->v.ptr;
    rdb_put_len(b, s->nnodes);
    for (size_t i = 0; i < s->nnodes; i++) {
        const struct stream_node *n = &s->nodes[s->head + i];
        unsigned char key[16];
        stream_id_encode(&n->master, key);
        rdb_put_string(b, key, sizeof key, compress);
        rdb_put_string(b, n->lp, lp_bytes(n->lp), compress);
    }
    rdb_put_len(b, s->length);
    rdb_put_len(b, s->last_id.ms);
    rdb_put_len(b, s->last_id.seq);
    rdb_put_len(b, s->first_id.ms);
    rdb_put_len(b, s->first_id.seq);
    rdb_put_len(b, s->max_deleted_id.ms);
    rdb_put_len(b, s->max_deleted_id.seq);
    rdb_put_len(b, s->entries_added);
    put_groups(b, s->groups, compress);
}

static bool corrupt(struct rdb_reader *r, const char *why) { return rdb_fail(r, RDB_ERR_CORRUPT, why); }

static bool read_id(struct rdb_reader *r, struct stream_id *id)
{
    return rdb_read_len(r, &id->ms) && rdb_read_len(r, &id->seq);
}

/* One node: its master ID, then its listpack, checked and copied. *prev
 * is the last entry ID so far (have_prev: there is one). */
static bool read_node(struct rdb_reader *r, struct stream *s, struct stream_id *prev, bool *have_prev,
                      uint64_t *live)
{
    const unsigned char *k, *lpb;
    size_t klen, lplen;
    if (!rdb_read_string(r, 0, &k, &klen)) return false;
    if (klen != 16) return corrupt(r, "stream node key is not a stream ID");
    struct stream_id master, last;
    stream_id_decode(k, &master);
    if (*have_prev && stream_id_cmp(&master, prev) <= 0) return corrupt(r, "stream nodes out of order");
    if (!rdb_read_string(r, 1, &lpb, &lplen)) return false;
    if (lplen < LP_HDR_SIZE + 1) return corrupt(r, "invalid stream listpack");
    unsigned char *lp = rk_malloc(lplen);
    memcpy(lp, lpb, lplen);
    uint64_t n;
    if (!stream_node_validate(&master, lp, lplen, &n, &last)) {
        rk_free(lp);
        return corrupt(r, "invalid stream listpack");
    }
    stream_push_node(s, &master, lp);
    *prev = last;
    *have_prev = true;
    *live += n;
    return true;
}

/* The IDs and counters after the nodes; type 15 has only the last ID. */
static bool read_meta(struct rdb_reader *r, int type, struct stream *s)
{
    if (!rdb_read_len(r, &s->length) || !read_id(r, &s->last_id)) return false;
    if (type == RDB_TYPE_STREAM_LISTPACKS) {
        s->entries_added = s->length;
        if (!stream_first_entry(s, &s->first_id)) s->first_id = (struct stream_id){0, 0};
        return true;
    }
    return read_id(r, &s->first_id) && read_id(r, &s->max_deleted_id) && rdb_read_len(r, &s->entries_added);
}

static bool read_millis(struct rdb_reader *r, long long *ms)
{
    const unsigned char *p;
    if (!rdb_read_raw(r, 8, &p)) return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    *ms = (long long)v;
    return true;
}

/* A count the rest of the input can hold, at min_bytes each. */
static bool plausible(struct rdb_reader *r, uint64_t n, unsigned min_bytes)
{
    return n <= (uint64_t)(r->end - r->p) / min_bytes || corrupt(r, "count larger than the data");
}

static bool read_pel(struct rdb_reader *r, struct stream_group *g)
{
    uint64_t n;
    if (!rdb_read_len(r, &n) || !plausible(r, n, 25)) return false;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *raw;
        long long when;
        uint64_t count;
        struct stream_id id;
        if (!rdb_read_raw(r, 16, &raw)) return false;
        stream_id_decode(raw, &id);
        if (!read_millis(r, &when) || !rdb_read_len(r, &count)) return false;
        if (stream_pel_find(&g->pel, &id)) return corrupt(r, "duplicated stream PEL entry");
        stream_group_add_nack(g, &id, when)->delivery_count = count;
    }
    return true;
}

/* The consumers, each taking its NACKs from the group's PEL. */
static bool read_consumers(struct rdb_reader *r, struct stream_group *g)
{
    uint64_t n;
    if (!rdb_read_len(r, &n) || !plausible(r, n, 10)) return false;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *name;
        size_t len;
        long long seen;
        uint64_t npel;
        if (!rdb_read_string(r, 0, &name, &len)) return false;
        struct stream_consumer *con = stream_consumer_create(g, (const char *)name, len, 0);
        if (!con) return corrupt(r, "duplicated consumer name");
        if (!read_millis(r, &seen) || !rdb_read_len(r, &npel) || !plausible(r, npel, 16)) return false;
        con->seen_time = seen;
        for (uint64_t k = 0; k < npel; k++) {
            const unsigned char *raw;
            struct stream_id id;
            if (!rdb_read_raw(r, 16, &raw)) return false;
            stream_id_decode(raw, &id);
            struct stream_nack *nack = stream_pel_find(&g->pel, &id);
            if (!nack || nack->consumer) return corrupt(r, "consumer PEL entry not in the group's PEL");
            stream_nack_assign(nack, con);
        }
    }
    for (size_t k = 0; k < g->pel.n; k++)
        if (!g->pel.v[k]->consumer) return corrupt(r, "stream PEL entry without a consumer");
    return true;
}

static bool read_groups(struct rdb_reader *r, int type, struct stream *s, uint64_t n)
{
    if (!plausible(r, n, 4)) return false;
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *name;
        size_t len;
        struct stream_id last;
        uint64_t read = 0;
        if (!rdb_read_string(r, 0, &name, &len) || !read_id(r, &last)) return false;
        if (type == RDB_TYPE_STREAM_LISTPACKS_2 && !rdb_read_len(r, &read)) return false;
        long long entries_read = type == RDB_TYPE_STREAM_LISTPACKS_2 ? (long long)read : stream_estimate_distance(s, &last);
        struct stream_group *g = stream_group_create(s, (const char *)name, len, &last, entries_read);
        if (!g) return corrupt(r, "duplicated consumer group name");
        if (!read_pel(r, g) || !read_consumers(r, g)) return false;
    }
    return true;
}

struct kv *rdb_read_stream(struct rdb_reader *r, int type, const char *key, size_t klen)
{
    uint64_t nnodes, live = 0, groups;
    if (!rdb_read_len(r, &nnodes)) return NULL;
    if (nnodes > (uint64_t)(r->end - r->p) / 2) {
        corrupt(r, "count larger than the data");
        return NULL;
    }
    struct stream *s = stream_new();
    struct stream_id prev = {0, 0};
    bool have_prev = false, ok = true;
    for (uint64_t i = 0; ok && i < nnodes; i++) ok = read_node(r, s, &prev, &have_prev, &live);
    ok = ok && read_meta(r, type, s);
    if (ok && s->length != live) ok = corrupt(r, "stream length does not match its entries");
    if (ok && have_prev && stream_id_cmp(&s->last_id, &prev) < 0) ok = corrupt(r, "stream last ID below its entries");
    ok = ok && rdb_read_len(r, &groups) && read_groups(r, type, s, groups);
    if (!ok || r->error != RDB_OK) {
        stream_free(s);
        return NULL;
    }
    return kv_new_object(key, klen, OBJ_STREAM, ENC_STREAM, s);
}
