/* t_xread.c — XREAD [COUNT n] [BLOCK ms] STREAMS key... id..., with
 * Redis 7.0's replies and errors, and the option parsing XREADGROUP
 * (t_xreadgroup.c) shares.
 *
 * Blocking goes through the wait registry like BLPOP (core/block.h):
 * with nothing to read the handler calls cmd_block(), XADD reports its
 * key ready (ready_created), and the command runs again (c->serving),
 * reading only the key that became ready, as Redis serves it. Keys on
 * several shards are coordinated by core/xblock.c, which tries the whole
 * call again whenever a watched key grows.
 *
 * "$" means "what arrives after the call": the top ID at the first try.
 * A later run must keep that ID, not read the top again, so the first
 * try that finds nothing pins the IDs it resolved, per client, on the
 * thread that runs every try of the call (the key's shard, or the
 * client's for a call across shards); later runs read the pin and drop
 * it once they answer. Pins of clients that timed out or left are
 * replaced by their next XREAD, and at most XREAD_PINS are kept per
 * thread (the oldest goes first).
 *
 * Thread: the shard running the command.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/typecmd.h"

#include <pthread.h>
#include <string.h>

#define XREAD_PINS 1024

struct xread_pin {
    uint64_t client_id;
    int nstreams;
    struct stream_id *ids;
};

static __thread struct xread_pin pins[XREAD_PINS];
static __thread size_t npins;

/* Pins left when the shard's thread ends (their clients timed out or left)
 * go with it. */
static pthread_key_t pins_key;
static pthread_once_t pins_once = PTHREAD_ONCE_INIT;

static void pins_free(void *unused)
{
    (void)unused;
    for (size_t i = 0; i < npins; i++) rk_free(pins[i].ids);
    npins = 0;
}

static void pins_key_create(void) { pthread_key_create(&pins_key, pins_free); }

static struct xread_pin *pin_find(uint64_t client_id, int nstreams)
{
    for (size_t i = 0; i < npins; i++)
        if (pins[i].client_id == client_id && pins[i].nstreams == nstreams) return &pins[i];
    return NULL;
}

static void pin_drop(uint64_t client_id)
{
    for (size_t i = 0; i < npins; i++) {
        if (pins[i].client_id != client_id) continue;
        rk_free(pins[i].ids);
        memmove(&pins[i], &pins[i + 1], (npins - i - 1) * sizeof(pins[0]));
        npins--;
        return;
    }
}

static void pin_add(uint64_t client_id, const struct stream_id *ids, int nstreams)
{
    if (npins == 0) { /* the thread's destructor frees what is left at its end */
        pthread_once(&pins_once, pins_key_create);
        pthread_setspecific(pins_key, pins);
    }
    if (npins == XREAD_PINS) pin_drop(pins[0].client_id);
    struct xread_pin *p = &pins[npins++];
    p->client_id = client_id;
    p->nstreams = nstreams;
    p->ids = rk_malloc((size_t)nstreams * sizeof(*ids));
    memcpy(p->ids, ids, (size_t)nstreams * sizeof(*ids));
}

/* The options before the keys; false after a reply. */
bool stream_read_options_or_reply(struct cmd_ctx *c, const struct cmd_args *a, bool group_cmd,
                                  struct stream_read_call *x)
{
    memset(x, 0, sizeof(*x));
    for (int i = 1; i < a->argc; i++) {
        int more = a->argc - i - 1;
        if (arg_is(a, i, "block") && more) {
            if (c->from_script) {
                reply_errorf(c->r, "ERR %.*s command is not allowed with BLOCK option from scripts",
                             (int)a->len[0], a->argv[0]);
                return false;
            }
            i++;
            if (!tc_ms_timeout_or_reply(c, a->argv[i], a->len[i], &x->deadline)) return false;
            x->block = true;
        } else if (arg_is(a, i, "count") && more) {
            i++;
            if (!arg_ll_or_reply(c, a, i, &x->count, NULL)) return false;
            if (x->count < 0) x->count = 0;
        } else if (arg_is(a, i, "streams") && more) {
            x->streams_at = i + 1;
            if ((a->argc - x->streams_at) % 2) {
                reply_error(c->r, "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
                                  "specified.");
                return false;
            }
            x->nstreams = (a->argc - x->streams_at) / 2;
            if (group_cmd && !x->group_at) {
                reply_error(c->r, "ERR Missing GROUP option for XREADGROUP");
                return false;
            }
            return true;
        } else if (arg_is(a, i, "group") && more >= 2) {
            if (!group_cmd) {
                reply_error(c->r, "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return false;
            }
            x->group_at = i + 1;
            i += 2;
        } else if (arg_is(a, i, "noack")) {
            if (!group_cmd) {
                reply_error(c->r, "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return false;
            }
            x->noack = true;
        } else {
            break;
        }
    }
    reply_error(c->r, RK_ERR_SYNTAX);
    return false;
}

/* Each stream's "greater than" ID ("$": its top, or the pinned one);
 * false after a reply. *dollar tells whether "$" was used. */
static bool resolve_ids(struct cmd_ctx *c, const struct cmd_args *a, const struct stream_read_call *x,
                        struct stream_id *ids, struct kv **kvs, bool *dollar)
{
    const struct xread_pin *pin = c->serving ? pin_find(c->client_id, x->nstreams) : NULL;
    *dollar = false;
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i, at = k + x->nstreams;
        bool err;
        /* run again for a key that became ready: one of another type
         * now (DEL then LPUSH) is as good as missing, as in Redis */
        struct kv *kv = c->serving ? tc_lookup_source(c, a->argv[k], a->len[k], OBJ_STREAM, &err)
                                   : tc_lookup_read(c, a->argv[k], a->len[k], OBJ_STREAM, &err);
        if (err) return false;
        kvs[i] = kv;
        if (a->len[at] == 1 && a->argv[at][0] == '>') {
            reply_error(c->r, "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
                              "<consumer> option.");
            return false;
        }
        if (a->len[at] == 1 && a->argv[at][0] == '$') {
            *dollar = true;
            if (pin) ids[i] = pin->ids[i];
            else ids[i] = kv ? ((struct stream *)kv->v.ptr)->last_id : (struct stream_id){0, 0};
        } else if (!stream_strict_id_or_reply(c, a->argv[at], a->len[at], &ids[i])) {
            return false;
        }
    }
    return true;
}

/* Whether the stream has an entry after id (its top is past it). */
static bool has_after(const struct stream *s, const struct stream_id *id)
{
    struct stream_id top;
    return s->length && stream_last_entry(s, &top) && stream_id_cmp(&top, id) > 0;
}

/* Replies what each stream has after its ID; false when none had any
 * (nothing written). */
static bool serve(struct cmd_ctx *c, const struct cmd_args *a, const struct stream_read_call *x,
                  const struct stream_id *ids, struct kv *const *kvs)
{
    size_t at = 0, n = 0;
    size_t count = (size_t)x->count;
    if (c->serving && !count) count = STREAM_READ_BLOCKED_COUNT;
    for (int i = 0; i < x->nstreams; i++) {
        int k = x->streams_at + i;
        if (!stream_read_key_served(c, a, k)) continue;
        struct kv *kv = kvs[i];
        if (!kv || !has_after(kv->v.ptr, &ids[i])) continue;
        if (n++ == 0) at = reply_defer(c->r);
        if (c->r->resp == 2) reply_array(c->r, 2);
        reply_bulk(c->r, a->argv[k], a->len[k]);
        struct stream_id start = ids[i], end = {UINT64_MAX, UINT64_MAX};
        stream_id_incr(&start);
        stream_reply_range(c->r, kv->v.ptr, &start, &end, count, false);
    }
    if (!n) return false;
    if (c->r->resp == 2) reply_defer_array(c->r, at, (long long)n);
    else reply_defer_map(c->r, at, (long long)n);
    return true;
}

static void xread_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct stream_read_call x;
    if (!stream_read_options_or_reply(c, a, false, &x)) return;
    struct stream_id *ids = rk_malloc(((size_t)x.nstreams + 1) * sizeof(*ids));
    struct kv **kvs = rk_malloc(((size_t)x.nstreams + 1) * sizeof(*kvs));
    bool dollar;
    if (!resolve_ids(c, a, &x, ids, kvs, &dollar)) goto done;
    if (serve(c, a, &x, ids, kvs)) {
        if (c->serving) pin_drop(c->client_id);
        goto done;
    }
    if (x.block && !c->serving) {
        pin_drop(c->client_id); /* a pin of an earlier call that timed out */
        if (dollar) pin_add(c->client_id, ids, x.nstreams);
    }
    if (x.block && c->may_block) cmd_block(c, x.deadline);
    else reply_null_array(c->r);
done:
    rk_free(kvs);
    rk_free(ids);
}

/* ---- what XREADGROUP shares ---- */

bool stream_read_key_served(const struct cmd_ctx *c, const struct cmd_args *a, int k)
{
    return !c->serving || !c->served_key ||
           (a->len[k] == c->served_len && memcmp(a->argv[k], c->served_key, c->served_len) == 0);
}

int stream_read_keys(const struct cmd_args *a, int from, int *pos, int max)
{
    int first = 0;
    for (int i = from; i < a->argc && !first; i++)
        if (arg_is(a, i, "streams")) first = i + 1;
    if (!first || (a->argc - first) % 2) return 0;
    int n = 0;
    for (int i = first; i < first + (a->argc - first) / 2 && n < max; i++) pos[n++] = i;
    return n;
}

static int xread_getkeys(const struct cmd_args *a, int *pos, int max) { return stream_read_keys(a, 1, pos, max); }

const struct cmd_def xread_commands[] = {
    {.name = "xread", .arity = -4, .flags = CMD_READONLY | CMD_BLOCKING | CMD_BLOCK_ON_GROWTH, .fn = xread_command,
     .getkeys = xread_getkeys, .group = "stream",
     .summary = "Return never seen elements in multiple streams, with IDs greater than the ones reported by the "
                "caller for each stream. Can block.",
     .since = "5.0.0",
     .complexity = "For each stream mentioned: O(N) with N being the number of elements being returned, it means "
                   "that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay "
                   "O(M) time in order to serve the M clients blocked on the stream getting new data.",
     .acl_categories = "read stream slow blocking",
     .key_specs = (const struct cmd_key_spec[]){{.flags = KS_RO | KS_ACCESS, .begin = KS_BEGIN_KEYWORD,
                                                 .keyword = "STREAMS", .startfrom = 1, .find = KS_FIND_RANGE,
                                                 .lastkey = -1, .keystep = 1, .limit = 2},
                                                {0}},
     .syntax = "[COUNT count:integer] [BLOCK milliseconds:integer] streams=<STREAMS key [key ...] id [id ...]>"},
    {0},
};
