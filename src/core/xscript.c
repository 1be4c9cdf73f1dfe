/* xscript.c — a client's script that cannot run in place: its declared
 * keys are on other shards (or held by a transaction), or it touched a
 * key it did not declare that is out of reach (cmd_script.h).
 *
 * It runs as one transaction of the move plan (tx_move.c) over the wide
 * call (script_wide_cmd): its declared keys and the extra keys it was
 * found touching are locked on their owners, X (S for EVAL_RO), their
 * values moved to this shard, the script run on them and the values put
 * back. A try that touches yet another key out of reach has undone its
 * writes and answers a retry request instead of a reply: the values go
 * back unchanged, the locks are let go, and the script runs again over
 * the wider set. Every try starts from nothing held, so the locking order
 * of tx.h (ascending shards, all before any release) is kept, and no
 * client sees a try that did not finish.
 *
 * Bounds: at most MAX_EXTRA keys beyond the declared ones, each try adding
 * at least one; past that the client gets an error.
 * Thread: the client's shard.
 */
#include "ringkv/core/xscript.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/shard.h"

#include <string.h>

#define MAX_EXTRA 256
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct xscript {
    struct shard *s;
    struct tx_client cl;       /* the client: its completion gets the one reply */
    struct msg_done attempt;   /* each try's answer */
    bool ro;
    struct obuf call;          /* the client's call, packed (msg_pack_arg) */
    int argc;
    struct obuf extra;         /* the extra keys, packed the same way */
    int *extra_dbs;            /* their databases */
    int nextra;
};

static bool has_extra(const struct xscript *xs, int dbid, const char *key, size_t len)
{
    size_t at = 0;
    for (int i = 0; i < xs->nextra; i++) {
        uint32_t l;
        memcpy(&l, xs->extra.data + at, 4);
        if (xs->extra_dbs[i] == dbid && l == len && memcmp(xs->extra.data + at + 4, key, len) == 0) return true;
        at += 4 + l;
    }
    return false;
}

static void try_run(struct xscript *xs)
{
    size_t n = (size_t)xs->argc + 2 * (size_t)xs->nextra + 2;
    const char **argv = rk_malloc(n * (sizeof(char *) + sizeof(size_t) + sizeof(int)));
    size_t *lens = (size_t *)(argv + n);
    int *keypos = (int *)(lens + n);
    const char **call = rk_malloc(((size_t)xs->argc + (size_t)xs->nextra + 1) * (sizeof(char *) + sizeof(size_t)));
    size_t *call_lens = (size_t *)(call + xs->argc + xs->nextra + 1);
    msg_unpack_args(xs->call.data, (uint32_t)xs->argc, call, call_lens);
    msg_unpack_args(xs->extra.data, (uint32_t)xs->nextra, call + xs->argc, call_lens + xs->argc);
    struct cmd_args a = {xs->argc, call, call_lens}, wide;
    char (*numbufs)[24] = rk_malloc(((size_t)xs->nextra + 1) * sizeof(*numbufs));
    script_wide_args(&a, xs->ro, call + xs->argc, call_lens + xs->argc, xs->extra_dbs, xs->nextra, argv, lens,
                     numbufs, &wide);
    const struct cmd_def *cmd = xs->ro ? &script_wide_ro_cmd : &script_wide_cmd;
    int nkeys = cmd_key_positions(cmd, &wide, keypos, wide.argc);
    struct tx_client cl = xs->cl;
    cl.done = &xs->attempt;
    cl.script_may_retry = true;
    tx_run_command(xs->s, &cl, cmd, &wide, keypos, nkeys); /* copies what it keeps */
    rk_free(numbufs);
    rk_free(call);
    rk_free(argv);
}

static void finish(struct xscript *xs, const char *data, size_t len)
{
    xs->cl.done->fn(xs->cl.done, data, len, true);
    obuf_free(&xs->call);
    obuf_free(&xs->extra);
    rk_free(xs->extra_dbs);
    rk_free(xs);
}

static void too_wide(struct xscript *xs)
{
    static const char err[] = "-ERR ringkv: the script touched more keys it did not declare than can be "
                              "locked for it; declare them in KEYS\r\n";
    finish(xs, err, sizeof(err) - 1);
}

/* Adds the key of a retry request; false when it is not new (a request
 * that adds nothing would loop). */
static bool widen(struct xscript *xs, const char *data, size_t len)
{
    int dbid;
    const char *key;
    size_t klen;
    if (!script_retry_key(data, len, &dbid, &key, &klen)) return false;
    if (dbid < 0) return !xs->nextra; /* the owner could not run it in place: a transaction, same keys */
    if (has_extra(xs, dbid, key, klen)) return false;
    msg_pack_arg(&xs->extra, key, klen);
    xs->extra_dbs = rk_realloc(xs->extra_dbs, ((size_t)xs->nextra + 1) * sizeof(int));
    xs->extra_dbs[xs->nextra++] = dbid;
    return true;
}

static void publish_one(void *arg, const char *channel, size_t clen, const char *msg, size_t mlen)
{
    host_publish_all(shard_host(arg), channel, clen, msg, mlen);
}

size_t xscript_send_published(struct shard *s, const char *data, size_t len)
{
    return script_take_publishes(data, len, publish_one, s);
}

static void on_attempt(struct msg_done *d, const char *data, size_t len, bool final)
{
    struct xscript *xs = container_of(d, struct xscript, attempt);
    if (len == 0 || data[0] != SCRIPT_RETRY_MARK) {
        /* Every value is back with its owner: the messages may go. */
        size_t skip = xscript_send_published(xs->s, data, len);
        finish(xs, data + skip, len - skip);
        return;
    }
    if (!widen(xs, data, len) || xs->nextra > MAX_EXTRA) {
        too_wide(xs);
        return;
    }
    try_run(xs);
}

static struct xscript *xscript_new(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd,
                                   const struct cmd_args *a)
{
    struct xscript *xs = rk_calloc(1, sizeof(*xs));
    xs->s = s;
    xs->cl = *cl;
    xs->attempt.fn = on_attempt;
    xs->ro = (cmd->flags & CMD_READONLY) != 0;
    obuf_init(&xs->call);
    obuf_init(&xs->extra);
    for (int i = 0; i < a->argc; i++) msg_pack_arg(&xs->call, a->argv[i], a->len[i]);
    xs->argc = a->argc;
    return xs;
}

void xscript_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                 const char *retry, size_t retry_len)
{
    struct xscript *xs = xscript_new(s, cl, cmd, a);
    if (retry_len) widen(xs, retry, retry_len);
    try_run(xs);
}

void xscript_run_at(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                    unsigned home)
{
    struct xscript *xs = xscript_new(s, cl, cmd, a);
    struct obuf packed;
    obuf_init(&packed);
    msg_pack_command(&packed, cmd, a);
    msg_add_segment(s, home, SEG_SCRIPT, &xs->attempt, cl->dbid, cl->resp, cl->client_id, packed.data, packed.len);
    obuf_free(&packed);
}

/* Held keys cannot be waited for inside a synchronous run: the try asks
 * for a transaction instead (a retry request naming no key). */
void xscript_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const struct cmd_def *cmd;
    struct cmd_args a;
    msg_unpack_command(s, b->args.data + seg->args_off, &cmd, &a);
    if (exec_must_wait(s, s->locks, cmd, &a, seg->dbid)) {
        char retry[9] = {SCRIPT_RETRY_MARK};
        int32_t none = -1;
        memcpy(retry + 1, &none, 4);
        memset(retry + 5, 0, 4);
        obuf_append(&b->replies, retry, sizeof(retry));
        return;
    }
    struct reply r;
    reply_init(&r, &b->replies, seg->resp);
    reply_counted(&r, s->cmdstats);
    struct cmd_ctx ctx = shard_cmd_ctx(s, s->ks, seg->dbid, &r, NULL, seg->client_id);
    ctx.script_may_retry = true;
    shard_exec_ctx(s, cmd, &a, &ctx);
    exec_serve_blocked(s);
}
