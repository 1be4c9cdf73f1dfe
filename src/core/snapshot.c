/* snapshot.c — the snapshot actor (see snapshot.h): the cut, each shard's
 * producer and the origin's file writer. */
#include "ringkv/core/snapshot.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/crc64.h"
#include "ringkv/base/log.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/ring.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tx.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/persist/snapshot.h"
#include "ringkv/script/function_store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A chunk of a shard's slice on its way to the origin and back. */
struct snap_chunk {
    struct ring_op op;
    struct snap_chunk *next;
    unsigned from;
    bool last;         /* the shard's slice is complete */
    bool own;          /* the writer's (header, trailer): freed once written, not given back */
    struct rdb_buf buf;
};

/* The file side, on the origin. Steps run one at a time, each started by
 * the completion of the one before. */
enum writer_step { W_OPEN, W_DATA, W_FSYNC, W_CLOSE, W_RENAME, W_DIR_OPEN, W_DIR_FSYNC, W_DIR_CLOSE, W_UNLINK };

struct snap_writer {
    struct shard *s;
    enum snapshot_kind kind;
    struct msg_done *done;      /* the client waiting, NULL: none */
    struct msg_done cut_done;   /* the cut transaction's completion */
    struct ring_op op;
    enum writer_step step;
    bool busy;                  /* a file operation is in flight */
    int fd, dirfd, error;       /* error: errno of the first failure, 0: none */
    char tmp[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
    uint64_t crc, offset;
    struct snap_chunk *head, *tail; /* waiting to be written, in file order */
    size_t cur_off;             /* bytes of head already written */
    unsigned slices_done;
    bool trailer_queued;
};

/* A shard's producer (s->snap). */
struct shard_snap {
    /* A start asked for by a command: it begins on the next loop turn,
     * outside the command (the cut is a transaction of its own). */
    bool start_pending;
    enum snapshot_kind start_kind;
    struct msg_done *start_done;
    bool for_shutdown;          /* the server waits to stop: save when the slot is free */
    struct msg_done *shutdown_done; /* SHUTDOWN's client, NULL: a signal */
    struct snap_slice slice;
    bool producing;
    bool cut;                   /* it took part in the current cut */
    unsigned origin;
    uint32_t credits;
    struct snap_writer *writer; /* on the origin, while it writes */
};

static struct shard_snap *snap_of(struct shard *s)
{
    if (!s->snap) s->snap = rk_calloc(1, sizeof(struct shard_snap));
    return s->snap;
}

static struct snapshot_status *status(struct shard *s) { return &s->srv->snap; }

static void on_post_failed(struct ring_op *op, int res, uint32_t flags)
{
    log_warn("snapshot: a message between shards could not be posted: %s", strerror(-res));
}
static struct ring_op post_failed_op = {.cb = on_post_failed};

/* ---- claiming -------------------------------------------------------------- */

bool snapshot_claim(struct shard *s)
{
    int idle = 0;
    return __atomic_compare_exchange_n(&status(s)->running, &idle, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* ---- the writer (origin) ------------------------------------------------- */

static void writer_advance(struct snap_writer *w);

static void chunk_returned(struct ring_op *op, int res, uint32_t flags);

/* A written (or dropped) chunk goes back to its shard, which frees it. */
static void give_back(struct snap_writer *w, struct snap_chunk *c)
{
    if (c->from == w->s->id) {
        chunk_returned(&c->op, 0, 0);
        return;
    }
    c->op.cb = chunk_returned;
    ring_msg_post(w->s->ring, w->s->srv->ring_fds[c->from], &c->op, &post_failed_op);
}

/* The queue's head is done with: the writer's own is freed, a shard's
 * goes back to it. */
static void release_head(struct snap_writer *w)
{
    struct snap_chunk *c = w->head;
    w->head = c->next;
    if (!w->head) w->tail = NULL;
    if (c->own) {
        rdb_buf_free(&c->buf);
        rk_free(c);
    } else {
        give_back(w, c);
    }
}

static void enqueue(struct snap_writer *w, struct snap_chunk *c)
{
    c->next = NULL;
    if (w->tail) w->tail->next = c;
    else w->head = c;
    w->tail = c;
    if (c->last) w->slices_done++;
}

static void chunk_arrived(struct ring_op *op, int res, uint32_t flags)
{
    struct snap_chunk *c = container_of(op, struct snap_chunk, op);
    struct shard_snap *ss = snap_of(msg_thread_shard());
    struct snap_writer *w = ss->writer;
    enqueue(w, c);
    writer_advance(w);
}

static void file_op_done(struct ring_op *op, int res, uint32_t flags);

static int submit_step(struct snap_writer *w)
{
    struct ring *r = w->s->ring;
    w->op.cb = file_op_done;
    w->busy = true;
    switch (w->step) {
    case W_OPEN: return ring_openat(r, AT_FDCWD, w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, &w->op);
    case W_DATA: {
        struct snap_chunk *c = w->head;
        return ring_write_at(r, w->fd, c->buf.data + w->cur_off, c->buf.len - w->cur_off, w->offset, &w->op);
    }
    case W_FSYNC: return ring_fsync(r, w->fd, &w->op);
    case W_CLOSE: return ring_close_op(r, w->fd, &w->op);
    case W_RENAME: return ring_renameat(r, AT_FDCWD, w->tmp, AT_FDCWD, w->path, &w->op);
    case W_DIR_OPEN: return ring_openat(r, AT_FDCWD, w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, &w->op);
    case W_DIR_FSYNC: return ring_fsync(r, w->dirfd, &w->op);
    case W_DIR_CLOSE: return ring_close_op(r, w->dirfd, &w->op);
    case W_UNLINK: return ring_unlinkat(r, AT_FDCWD, w->tmp, &w->op);
    }
    return -EINVAL;
}

/* EOF, then the CRC64 of everything before it and of the EOF byte. */
static void queue_trailer(struct snap_writer *w)
{
    struct snap_chunk *t = rk_calloc(1, sizeof *t);
    t->from = w->s->id;
    rdb_put_byte(&t->buf, RDB_OPCODE_EOF);
    uint64_t crc = w->s->cfg.rdb_checksum ? crc64(w->crc, t->buf.data, 1) : 0;
    rdb_put_millis(&t->buf, (long long)crc); /* 8 bytes, little endian */
    t->own = true;
    w->trailer_queued = true;
    enqueue(w, t);
}

static void writer_finish(struct snap_writer *w);

static void fail_step(struct snap_writer *w, int err)
{
    if (!w->error) w->error = err;
}

/* Decides and submits the next file operation, if any is due. */
static void writer_advance(struct snap_writer *w)
{
    if (w->busy) return;
    for (;;) {
        if (w->step == W_DATA) {
            if (w->error) {
                /* Drop what comes: the shards still finish their walk. */
                while (w->head) release_head(w);
                if (w->slices_done < w->s->srv->nshards) return;
                if (w->fd < 0) { writer_finish(w); return; }
                w->step = W_CLOSE;
            } else if (w->head) {
                if (w->cur_off == 0) w->crc = crc64(w->crc, w->head->buf.data, w->head->buf.len);
                if (w->head->buf.len == 0) { /* an empty last chunk */
                    release_head(w);
                    continue;
                }
            } else if (w->slices_done == w->s->srv->nshards && !w->trailer_queued) {
                queue_trailer(w);
                continue;
            } else if (w->trailer_queued) {
                w->step = W_FSYNC;
            } else {
                return; /* waiting for chunks */
            }
        }
        int err = submit_step(w);
        if (err == 0) return;
        w->busy = false;
        fail_step(w, -err);
        if (w->step == W_DATA || w->step == W_OPEN) { w->step = W_DATA; continue; }
        writer_finish(w);
        return;
    }
}

static void data_written(struct snap_writer *w, int res)
{
    struct snap_chunk *c = w->head;
    if (res <= 0) {
        fail_step(w, res < 0 ? -res : ENOSPC);
        return;
    }
    w->offset += (uint64_t)res;
    w->cur_off += (size_t)res;
    if (w->cur_off < c->buf.len) return; /* a short write: the rest next */
    w->cur_off = 0;
    release_head(w);
}

static void file_op_done(struct ring_op *op, int res, uint32_t flags)
{
    struct snap_writer *w = container_of(op, struct snap_writer, op);
    w->busy = false;
    switch (w->step) {
    case W_OPEN:
        if (res < 0) fail_step(w, -res);
        else w->fd = res;
        w->step = W_DATA;
        break;
    case W_DATA: data_written(w, res); break;
    case W_FSYNC:
        if (res < 0) fail_step(w, -res);
        w->step = W_CLOSE;
        break;
    case W_CLOSE:
        w->fd = -1;
        if (res < 0) fail_step(w, -res);
        w->step = w->error ? W_UNLINK : W_RENAME;
        break;
    case W_RENAME:
        if (res < 0) { fail_step(w, -res); w->step = W_UNLINK; }
        else w->step = W_DIR_OPEN;
        break;
    case W_DIR_OPEN:
        if (res < 0) { writer_finish(w); return; } /* the file is in place; durability of the name is best effort */
        w->dirfd = res;
        w->step = W_DIR_FSYNC;
        break;
    case W_DIR_FSYNC: w->step = W_DIR_CLOSE; break;
    case W_DIR_CLOSE:
    case W_UNLINK: writer_finish(w); return;
    }
    writer_advance(w);
}

/* ---- the end -------------------------------------------------------------- */

static void answer(struct msg_done *d, const char *text)
{
    if (d) d->fn(d, text, strlen(text), true);
}

static void writer_finish(struct snap_writer *w)
{
    struct shard *s = w->s;
    struct snapshot_status *st = status(s);
    long long now_ms = mstime();
    bool ok = w->error == 0;
    if (ok) {
        for (unsigned i = 0; i < s->srv->nshards; i++)
            __atomic_store_n(&st->saved_changes[i], st->cut_changes[i], __ATOMIC_RELAXED);
        __atomic_store_n(&st->lastsave, now_ms / 1000, __ATOMIC_RELAXED);
        log_notice("DB saved on disk");
    } else {
        log_warn("Write error saving DB on disk (%s, in %s): %s", w->tmp, w->dir, strerror(w->error));
    }
    __atomic_store_n(&st->last_ok, ok ? 1 : 0, __ATOMIC_RELAXED);
    __atomic_store_n(&st->last_duration_s, (now_ms - st->started_ms) / 1000, __ATOMIC_RELAXED);
    if (w->kind == SNAPSHOT_SAVE) answer(w->done, ok ? "+OK\r\n" : "-ERR\r\n");
    if (w->kind == SNAPSHOT_SHUTDOWN) answer(w->done, ok ? "" : "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
    enum snapshot_kind kind = w->kind;
    snap_of(s)->writer = NULL;
    rk_free(w);
    __atomic_store_n(&st->running, 0, __ATOMIC_RELEASE);
    if (kind == SNAPSHOT_SHUTDOWN) server_snapshot_done(s, ok);
}

/* ---- the cut -------------------------------------------------------------- */

/* The part every shard runs inside the cut transaction. */
static void cut_part(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct shard *s = shard_of_host(c->host);
    long long origin = 0;
    string2ll(a->argv[1], a->len[1], &origin);
    struct shard_snap *ss = snap_of(s);
    snap_slice_begin(&ss->slice, s->ks, s->cfg.rdb_compression);
    ss->producing = true;
    ss->origin = (unsigned)origin;
    ss->credits = SNAPSHOT_CREDITS;
    status(s)->cut_changes[s->id] = s->ks->stats.changes;
    reply_ok(c->r);
}

static const struct cmd_def snapshot_cut_cmd = {
    .name = "snapshot|cut", .arity = 2, .flags = CMD_READONLY | CMD_ALL_SHARDS | CMD_ALL_DBS, .fn = cut_part,
    .combine = COMBINE_OK};

static void cut_taken(struct msg_done *d, const char *replies, size_t len, bool final)
{
    struct snap_writer *w = container_of(d, struct snap_writer, cut_done);
    if (w->kind == SNAPSHOT_BGSAVE) answer(w->done, "+Background saving started\r\n");
}

/* ---- starting ------------------------------------------------------------ */

static void put_function(const struct script_library *lib, void *arg)
{
    struct rdb_buf *b = arg;
    rdb_put_function(b, lib->code, lib->code_len, false);
}

static struct snap_chunk *header_chunk(struct shard *s)
{
    struct snap_chunk *h = rk_calloc(1, sizeof *h);
    h->from = s->id;
    h->own = true;
    rdb_put_header(&h->buf, rk_process_rss());
    function_store_visit(s->srv->functions, put_function, &h->buf);
    return h;
}

void snapshot_start(struct shard *s, enum snapshot_kind kind, struct msg_done *done)
{
    struct shard_snap *ss = snap_of(s);
    ss->start_pending = true;
    ss->start_kind = kind;
    ss->start_done = done;
}

static void start_now(struct shard *s, enum snapshot_kind kind, struct msg_done *done)
{
    struct snapshot_status *st = status(s);
    struct snap_writer *w = rk_calloc(1, sizeof *w);
    w->s = s;
    w->kind = kind;
    w->done = done;
    w->fd = w->dirfd = -1;
    w->cut_done.fn = cut_taken;
    const char *dir = s->cfg.dir && *s->cfg.dir ? s->cfg.dir : ".";
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    snprintf(w->path, sizeof w->path, "%s/%s", dir, s->cfg.dbfilename ? s->cfg.dbfilename : "dump.rdb");
    snprintf(w->tmp, sizeof w->tmp, "%s/temp-%d-%u.rdb", dir, (int)getpid(), s->id);
    snap_of(s)->writer = w;
    long long now = mstime();
    __atomic_store_n(&st->started_ms, now, __ATOMIC_RELAXED);
    __atomic_store_n(&st->last_try_ms, now, __ATOMIC_RELAXED);
    if (kind == SNAPSHOT_BGSAVE || kind == SNAPSHOT_AUTO) log_notice("Background saving started");
    if (kind != SNAPSHOT_SHUTDOWN) __atomic_add_fetch(&st->saves, 1, __ATOMIC_RELAXED); /* rdb_saves: tries */
    enqueue(w, header_chunk(s));
    w->step = W_OPEN;
    writer_advance(w);

    char origin[16];
    int n = snprintf(origin, sizeof origin, "%u", s->id);
    const char *argv[2] = {snapshot_cut_cmd.name, origin};
    size_t lens[2] = {strlen(snapshot_cut_cmd.name), (size_t)n};
    struct cmd_args a = {2, argv, lens};
    struct tx_client cl = {.done = &w->cut_done, .dbid = 0, .resp = 2};
    tx_run_command(s, &cl, &snapshot_cut_cmd, &a, NULL, 0);
}

/* ---- producing ------------------------------------------------------------ */

static void chunk_returned(struct ring_op *op, int res, uint32_t flags)
{
    struct snap_chunk *c = container_of(op, struct snap_chunk, op);
    struct shard *s = msg_thread_shard();
    snap_of(s)->credits++;
    rdb_buf_free(&c->buf);
    rk_free(c);
}

static void ship(struct shard *s, struct shard_snap *ss, bool last)
{
    struct snap_chunk *c = rk_calloc(1, sizeof *c);
    c->from = s->id;
    c->last = last;
    snap_slice_take(&ss->slice, &c->buf);
    ss->credits--;
    if (ss->origin == s->id) {
        enqueue(ss->writer, c);
        writer_advance(ss->writer);
        return;
    }
    c->op.cb = chunk_arrived;
    ring_msg_post(s->ring, s->srv->ring_fds[ss->origin], &c->op, &post_failed_op);
}

/* Per loop turn: a quarter of a millisecond of walking (checked every
 * 64 records), then the clients get the loop again: what a command waits
 * behind a snapshot. */
#define WALK_US_PER_TURN 250
#define WALK_KEYS_PER_STEP 64

bool snapshot_pump(struct shard *s)
{
    struct shard_snap *ss = s->snap;
    if (!ss) return false;
    if (ss->for_shutdown && snapshot_claim(s)) {
        ss->for_shutdown = false;
        start_now(s, SNAPSHOT_SHUTDOWN, ss->shutdown_done);
    }
    if (ss->start_pending) {
        ss->start_pending = false;
        start_now(s, ss->start_kind, ss->start_done);
    }
    if (!ss->producing || ss->credits == 0) return false;
    long long until = monotonic_us() + WALK_US_PER_TURN;
    bool complete;
    do {
        complete = snap_slice_step(&ss->slice, WALK_KEYS_PER_STEP, SNAPSHOT_CHUNK);
    } while (!complete && snap_slice_pending(&ss->slice) < SNAPSHOT_CHUNK && monotonic_us() < until);
    if (complete) {
        ss->producing = false;
        ship(s, ss, true);
        snap_slice_free(&ss->slice);
        return false;
    }
    if (snap_slice_pending(&ss->slice) >= SNAPSHOT_CHUNK) ship(s, ss, false);
    return ss->credits > 0;
}

/* ---- save points ------------------------------------------------------------ */

uint64_t snapshot_changes(struct shard *s)
{
    return s->ks->stats.changes - __atomic_load_n(&status(s)->saved_changes[s->id], __ATOMIC_RELAXED);
}

#define BGSAVE_RETRY_DELAY_MS 5000 /* Redis's CONFIG_BGSAVE_RETRY_DELAY */

static bool save_point_due(struct shard *s, long long now_ms)
{
    struct snapshot_status *st = status(s);
    uint64_t changes = 0;
    for (unsigned i = 0; i < s->srv->nshards; i++)
        changes += __atomic_load_n(&st->changes_now[i], __ATOMIC_RELAXED) -
                   __atomic_load_n(&st->saved_changes[i], __ATOMIC_RELAXED);
    long long since = now_ms / 1000 - __atomic_load_n(&st->lastsave, __ATOMIC_RELAXED);
    bool failed = !__atomic_load_n(&st->last_ok, __ATOMIC_RELAXED);
    if (failed && now_ms - __atomic_load_n(&st->last_try_ms, __ATOMIC_RELAXED) < BGSAVE_RETRY_DELAY_MS) return false;
    for (int i = 0; i < s->cfg.save_count; i++) {
        const struct config_save_point *sp = &s->cfg.save[i];
        if (changes >= (uint64_t)sp->changes && since > sp->seconds) {
            log_notice("%lld changes in %lld seconds. Saving...", sp->changes, sp->seconds);
            return true;
        }
    }
    return false;
}

void snapshot_tick(struct shard *s, long long now_ms)
{
    struct snapshot_status *st = status(s);
    __atomic_store_n(&st->changes_now[s->id], s->ks->stats.changes, __ATOMIC_RELAXED);
    if (s->id != 0 || s->draining) return;
    bool scheduled = __atomic_load_n(&st->scheduled, __ATOMIC_RELAXED);
    if (!scheduled && !save_point_due(s, now_ms)) return;
    if (!snapshot_claim(s)) return;
    __atomic_store_n(&st->scheduled, 0, __ATOMIC_RELAXED);
    snapshot_start(s, SNAPSHOT_AUTO, NULL);
}

void snapshot_for_shutdown(struct shard *s, struct msg_done *done)
{
    struct shard_snap *ss = snap_of(s);
    ss->for_shutdown = true;
    ss->shutdown_done = done;
}

void snapshot_shard_exit(struct shard *s)
{
    struct shard_snap *ss = s->snap;
    if (!ss) return;
    snap_slice_free(&ss->slice);
    struct snap_writer *w = ss->writer;
    if (w) {
        /* Chunks still queued belong to shards that are stopping too and
         * will not see them back: freed here (mimalloc returns a block to
         * the heap it came from). */
        while (w->head) {
            struct snap_chunk *c = w->head;
            w->head = c->next;
            rdb_buf_free(&c->buf);
            rk_free(c);
        }
        if (w->fd >= 0) close(w->fd);
        unlink(w->tmp);
        rk_free(w);
    }
    rk_free(ss);
    s->snap = NULL;
}
