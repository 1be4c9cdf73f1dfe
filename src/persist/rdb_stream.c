/* rdb_stream.c — a stream value in RDB form (RDB_TYPE_STREAM_LISTPACKS_2,
 * Redis 7.0's rdbSaveObject / rdbLoadObject): the node count, each node
 * as its 16-byte big-endian master ID and its listpack (written as it
 * is), the length, last ID, first ID, largest deleted ID, entries added,
 * then the consumer groups. ringkv has no consumer groups yet: it writes
 * none and refuses a value that has some (RDB_ERR_UNSUPPORTED) rather
 * than drop them. Nodes from the input are checked whole before the
 * stream takes them (stream_node_validate). Thread: any (the value
 * belongs to the caller).
 */
#include "ringkv/base/alloc.h"
#include "ringkv/data/stream.h"
#include "ringkv/persist/rdb.h"

#include <string.h>

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
    rdb_put_len(b, 0); /* consumer groups */
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
    if (ok && rdb_read_len(r, &groups) && groups > 0)
        ok = rdb_fail(r, RDB_ERR_UNSUPPORTED, "stream consumer groups are not supported yet");
    if (!ok || r->error != RDB_OK) {
        stream_free(s);
        return NULL;
    }
    return kv_new_object(key, klen, OBJ_STREAM, ENC_STREAM, s);
}
