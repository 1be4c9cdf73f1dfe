/* xblock.c — a blocking command whose keys live on several shards (BLPOP
 * q1 q2 with the queues apart, BLMOVE from one shard's list to another's).
 *
 * The client's shard coordinates. It tries the command as a transaction
 * (tx.h), which pops from the first key in argument order that has
 * something, atomically across shards. If every key was empty it leaves a
 * watcher on each shard owning a key it waits for (exec_watch); the first
 * watcher to see one of its keys created tells the coordinator, which
 * calls the others off and tries again once they have answered (someone
 * else may have taken the element meanwhile: then it watches again). The
 * deadline, CLIENT UNBLOCK and the client leaving are handled here, by
 * the client's own entry in this shard's wait registry (a wait with no
 * key: block.h).
 *
 * Fairness: a watcher does not take its element, so a client blocked on
 * one shard alone, behind it in line, may get it first; a client waiting
 * across shards is served when it next finds something.
 *
 * Thread: the client's shard.
 */
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/core/block.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tx.h"

#include <stddef.h>
#include <string.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct xwatch {
    struct msg_done done;      /* the watcher's answer */
    struct xblock *xb;
    unsigned shard;
    bool out;                  /* asked, not answered yet */
    bool called_off;           /* told to stop (once a round: see call_off) */
};

struct xblock {
    struct block_wait wait;    /* the client's entry here: deadline, cancel */
    struct shard *s;
    struct tx_client cl;       /* the client: its completion gets the one reply */
    struct msg_done attempt;   /* a try's reply */
    const struct cmd_def *cmd;
    struct cmd_args args;
    char *storage;
    int *keypos;
    int nkeys;
    struct xwatch *watch;      /* one per shard owning a waited key */
    uint32_t nwatch;
    /* where it stands; only step() acts on it (callbacks may come back
     * into this file synchronously: they just record and call step) */
    uint32_t watchers_out;     /* watchers asked, not answered */
    bool trying;               /* a try is out */
    bool tried_empty;          /* the last try found nothing: watch */
    struct obuf found;         /* the last try's reply, when it found something */
    bool has_found;
    bool ready_seen;           /* a watcher saw a key created: try again */
    bool end_pending;          /* the deadline, CLIENT UNBLOCK or the client gone */
    const char *end_error;
    bool end_silent;           /* the client is gone: no nil for it */
    bool tried;                /* once: later tries skip keys of another type */
    bool confirming;           /* CMD_BLOCK_ON_GROWTH: the try that follows the watchers is out */
    bool waiting;              /* in the registry */
    bool answered;
    bool stepping, again;
    struct xblock *prev, *next; /* this shard's live waits */
};

static __thread struct xblock *live; /* the shard's (one per thread) */

static void try_now(struct xblock *xb);
static void step(struct xblock *xb);

static void xblock_free(struct xblock *xb)
{
    if (xb->prev) xb->prev->next = xb->next;
    else live = xb->next;
    if (xb->next) xb->next->prev = xb->prev;
    obuf_free(&xb->found);
    rk_free(xb->watch);
    rk_free(xb->keypos);
    rk_free(xb->storage);
    rk_free((void *)xb->args.argv);
    rk_free(xb);
}

/* Calls off the watchers still out (each answers ":0", maybe at once).
 * Once each: a second word could reach the next round's watcher there
 * (messages between two shards keep their order, so one cannot). */
static void call_off(struct xblock *xb)
{
    for (uint32_t i = 0; i < xb->nwatch; i++) {
        struct xwatch *w = &xb->watch[i];
        if (!w->out || w->called_off) continue;
        w->called_off = true;
        if (w->shard == xb->s->id) {
            exec_unblock(xb->s, xb->cl.client_id, CANCEL_WATCH);
        } else if (!xb->s->draining) { /* stopping: every shard discards its watchers at exit */
            struct exec_unblock_msg m = {xb->cl.client_id, CANCEL_WATCH};
            msg_add_segment(xb->s, w->shard, SEG_UNBLOCK, NULL, 0, 2, xb->cl.client_id, &m, sizeof(m));
        }
    }
}

static void leave_registry(struct xblock *xb)
{
    if (!xb->waiting) return;
    xb->waiting = false;
    block_leave(xb->s, &xb->wait);
}

/* The client's one reply; what is still out is called off. */
static void answer(struct xblock *xb, const char *data, size_t len)
{
    xb->answered = true;
    leave_registry(xb);
    xb->cl.done->fn(xb->cl.done, data, len, true);
    call_off(xb);
}

static void answer_nil(struct xblock *xb, const char *error)
{
    if (xb->end_silent) { /* a half-closed client still reads: it must see nothing */
        answer(xb, "", 0);
        return;
    }
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, xb->cl.resp);
    if (error) reply_error(&r, error);
    else reply_null_array(&r); /* whatever the command (Redis 7.0) */
    answer(xb, out.data, out.len);
    obuf_free(&out);
}

/* Whether a try found nothing: a null (bulk or aggregate, RESP2 or 3). */
static bool found_nothing(const char *data, size_t len)
{
    return (len == 5 && (memcmp(data, "*-1\r\n", 5) == 0 || memcmp(data, "$-1\r\n", 5) == 0)) ||
           (len == 3 && memcmp(data, "_\r\n", 3) == 0);
}

/* Watchers on every shard owning a waited key. */
static void watch(struct xblock *xb)
{
    struct shard *s = xb->s;
    const char **keys = rk_malloc(((size_t)xb->args.argc + 1) * sizeof(*keys));
    size_t *lens = rk_malloc(((size_t)xb->args.argc + 1) * sizeof(*lens));
    uint32_t n = exec_waited_keys(xb->cmd, &xb->args, keys, lens);
    for (uint32_t i = 0; i < xb->nwatch; i++) {
        struct xwatch *w = &xb->watch[i];
        struct obuf payload, now;
        obuf_init(&payload);
        obuf_init(&now);
        uint32_t mine = 0;
        for (uint32_t k = 0; k < n; k++) mine += shard_of_key(s->srv, keys[k], lens[k]) == w->shard;
        int32_t db = xb->cl.dbid;
        obuf_append(&payload, &xb->cl.client_id, 8);
        obuf_append(&payload, &db, 4);
        obuf_append(&payload, &mine, 4);
        const char **sel = rk_malloc((mine + 1) * sizeof(*sel));
        size_t *sell = rk_malloc((mine + 1) * sizeof(*sell));
        uint32_t j = 0;
        for (uint32_t k = 0; k < n; k++) {
            if (shard_of_key(s->srv, keys[k], lens[k]) != w->shard) continue;
            msg_pack_arg(&payload, keys[k], lens[k]);
            sel[j] = keys[k];
            sell[j++] = lens[k];
        }
        w->out = true;
        w->called_off = false;
        xb->watchers_out++;
        if (w->shard != s->id) {
            msg_add_segment(s, w->shard, SEG_WATCH, &w->done, xb->cl.dbid, 2, xb->cl.client_id, payload.data,
                            payload.len);
        } else if (exec_watch(s, xb->cl.client_id, xb->cl.dbid, sel, sell, mine, &w->done, (int)s->id, &now)) {
            w->done.fn(&w->done, now.data, now.len, true);
        }
        rk_free(sel);
        rk_free(sell);
        obuf_free(&payload);
        obuf_free(&now);
    }
    rk_free(keys);
    rk_free(lens);
}

/* Does what the state calls for, until nothing; frees the wait once it
 * was answered and nothing of it is out. Re-entered calls only ask for
 * another round. */
static void step(struct xblock *xb)
{
    if (xb->stepping) {
        xb->again = true;
        return;
    }
    xb->stepping = true;
    do {
        xb->again = false;
        if (xb->answered) break;
        if (xb->has_found) {
            xb->has_found = false;
            answer(xb, xb->found.data, xb->found.len);
        } else if (xb->end_pending && !xb->trying) {
            answer_nil(xb, xb->end_error);
        } else if (xb->ready_seen && xb->watchers_out) {
            call_off(xb); /* the others first: one watcher each, at a time */
        } else if (xb->ready_seen && !xb->trying) {
            xb->ready_seen = false;
            xb->tried_empty = false; /* a confirming try's empty answer is stale now: this try decides */
            xb->confirming = false;
            try_now(xb);
        } else if (xb->tried_empty && xb->confirming) {
            xb->tried_empty = false; /* nothing grew before the watchers stood: they tell what comes */
            xb->confirming = false;
        } else if (xb->tried_empty) {
            xb->tried_empty = false;
            watch(xb);
            /* A key that grew between the try and the watcher standing on
             * its shard told nobody (an existing stream is no news to a
             * watcher). One more try, sent after the watchers (messages
             * between two shards keep their order), sees such growth. */
            if ((xb->cmd->flags & CMD_BLOCK_ON_GROWTH) && xb->watchers_out && !xb->trying) {
                xb->confirming = true;
                try_now(xb);
            }
        }
    } while (xb->again);
    xb->stepping = false;
    if (xb->answered && !xb->trying && xb->watchers_out == 0) xblock_free(xb);
}

static void on_watch(struct msg_done *d, const char *data, size_t len, bool final)
{
    struct xwatch *w = container_of(d, struct xwatch, done);
    struct xblock *xb = w->xb;
    w->out = false;
    xb->watchers_out--;
    if (len >= 2 && data[1] == '1') xb->ready_seen = true;
    step(xb);
}

/* A try's reply: what it popped is the client's, even past its deadline
 * (it is out of the keyspace already). */
static void on_attempt(struct msg_done *d, const char *data, size_t len, bool final)
{
    struct xblock *xb = container_of(d, struct xblock, attempt);
    xb->trying = false;
    if (found_nothing(data, len)) {
        if (xb->waiting) block_count_in(xb->s, &xb->wait);
        xb->tried_empty = true;
    } else {
        xb->found.len = 0;
        obuf_append(&xb->found, data, len);
        xb->has_found = true;
    }
    step(xb);
}

static void try_now(struct xblock *xb)
{
    struct tx_client cl = xb->cl;
    cl.done = &xb->attempt;
    cl.serving = xb->tried; /* the first try answers WRONGTYPE as Redis would */
    xb->tried = true;
    xb->trying = true;
    tx_run_command(xb->s, &cl, xb->cmd, &xb->args, xb->keypos, xb->nkeys);
}

/* The wait ends (deadline, CLIENT UNBLOCK, the client gone); a try under
 * way decides what the answer is. The registry entry goes at once. */
static void end_wait(struct xblock *xb, const char *error)
{
    leave_registry(xb);
    xb->end_pending = true;
    xb->end_error = error;
    step(xb);
}

static void on_expire(struct block_wait *bw) { end_wait(container_of(bw, struct xblock, wait), NULL); }

static void on_cancel(struct block_wait *bw, enum block_cancel why)
{
    if (why == CANCEL_DISCARD) { /* the shard stops: xblock_discard_all frees it */
        leave_registry(container_of(bw, struct xblock, wait));
        return;
    }
    /* A client gone gets no answer; it frees the connection's wait. */
    container_of(bw, struct xblock, wait)->end_silent = why == CANCEL_GONE;
    end_wait(container_of(bw, struct xblock, wait),
             why == CANCEL_ERROR ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : NULL);
}

static enum block_served never_ready(struct block_wait *bw, const char *key, size_t len) { return BLOCK_EMPTY; }

static void copy_call(struct xblock *xb, const struct cmd_args *a, const int *keypos, int nkeys)
{
    size_t total = 0;
    for (int i = 0; i < a->argc; i++) total += a->len[i];
    xb->storage = rk_malloc(total + 1);
    const char **argv = rk_malloc((size_t)a->argc * (sizeof(char *) + sizeof(size_t)));
    size_t *lens = (size_t *)(argv + a->argc);
    char *p = xb->storage;
    for (int i = 0; i < a->argc; i++) {
        memcpy(p, a->argv[i], a->len[i]);
        argv[i] = p;
        lens[i] = a->len[i];
        p += a->len[i];
    }
    xb->args = (struct cmd_args){a->argc, argv, lens};
    xb->keypos = rk_malloc(((size_t)nkeys + 1) * sizeof(int));
    memcpy(xb->keypos, keypos, (size_t)nkeys * sizeof(int));
    xb->nkeys = nkeys;
}

/* One watcher slot per shard owning a waited key. */
static void plan_watchers(struct xblock *xb)
{
    const char **keys = rk_malloc(((size_t)xb->args.argc + 1) * sizeof(*keys));
    size_t *lens = rk_malloc(((size_t)xb->args.argc + 1) * sizeof(*lens));
    uint32_t n = exec_waited_keys(xb->cmd, &xb->args, keys, lens);
    xb->watch = rk_calloc(n + 1, sizeof(*xb->watch));
    for (uint32_t k = 0; k < n; k++) {
        unsigned sh = shard_of_key(xb->s->srv, keys[k], lens[k]);
        bool seen = false;
        for (uint32_t i = 0; i < xb->nwatch && !seen; i++) seen = xb->watch[i].shard == sh;
        if (seen) continue;
        xb->watch[xb->nwatch] = (struct xwatch){.done.fn = on_watch, .xb = xb, .shard = sh};
        xb->nwatch++;
    }
    rk_free(keys);
    rk_free(lens);
}

void tx_run_blocking(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                     const int *keypos, int nkeys)
{
    long long deadline = 0;
    if (!tc_block_deadline(cmd, a, &deadline)) { /* a bad timeout: the try says so */
        tx_run_command(s, cl, cmd, a, keypos, nkeys);
        return;
    }
    struct xblock *xb = rk_calloc(1, sizeof(*xb));
    xb->s = s;
    xb->cl = *cl;
    xb->cmd = cmd;
    xb->attempt.fn = on_attempt;
    /* Blocked (INFO) once its first try found nothing, as in Redis, where
     * the command runs before it blocks. */
    xb->wait = (struct block_wait){.serve = never_ready, .expire = on_expire, .cancel = on_cancel,
                                   .deadline_ms = deadline, .client_id = cl->client_id, .uncounted = true};
    copy_call(xb, a, keypos, nkeys);
    plan_watchers(xb);
    obuf_init(&xb->found);
    xb->next = live;
    if (live) live->prev = xb;
    live = xb;
    block_join(s, &xb->wait, cl->dbid, NULL, NULL, 0);
    xb->waiting = true;
    xb->stepping = true; /* the first try may answer at once */
    try_now(xb);
    xb->stepping = false;
    step(xb);
}

void xblock_discard_all(struct shard *s)
{
    while (live) xblock_free(live);
}
