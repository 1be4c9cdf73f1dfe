/* load.c — the dataset from the RDB file at startup (see load.h): the
 * server maps the file and checks it whole (structure, checksum) while it
 * loads the functions; then every shard walks the same mapping in
 * parallel, building only its own keys. A file that is not whole or not
 * valid stops the startup with the file's name and the offset. */
#include "ringkv/core/load.h"
#include "ringkv/base/util.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/tx.h"
#include "ringkv/core/snapshot.h"
#include "ringkv/cmd/host.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/log.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/persist/rdb.h"
#include "ringkv/proto/reply.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The file's function libraries, compiled while the file is checked. */
struct file_functions {
    struct script_engine *engine;
    struct script_library **libs;
    uint32_t n, cap;
};

static bool collect_function(void *arg, const unsigned char *code, size_t len, char *err, size_t errlen)
{
    struct file_functions *ff = arg;
    struct obuf e;
    obuf_init(&e);
    if (!ff->engine) ff->engine = script_engine_create();
    struct script_library *lib = script_library_load(ff->engine, (const char *)code, len, false, &e);
    if (lib) {
        if (ff->n == ff->cap) {
            ff->cap = ff->cap ? 2 * ff->cap : 4;
            ff->libs = rk_realloc(ff->libs, ff->cap * sizeof(*ff->libs));
        }
        ff->libs[ff->n++] = lib;
    } else {
        snprintf(err, errlen, "%.*s", (int)e.len, e.data);
    }
    obuf_free(&e);
    return lib != NULL;
}

/* Checks the whole image (every key too) and puts its function libraries
 * in the store all or none, by `policy`. False (logged, with `suffix`)
 * when the file or its functions do not load; then nothing has changed. */
static bool load_file_functions(const void *img, size_t len, const struct config *cfg, struct function_store *st,
                                enum function_restore policy, const char *path, const char *suffix)
{
    struct file_functions ff = {0};
    const struct rdb_walk_ops ops = {.on_function = collect_function};
    char err[512];
    bool ok = rdb_walk(img, len, cfg, cfg->databases, cfg->rdb_checksum, &ops, &ff, err, sizeof err);
    if (!ok) {
        log_warn("Internal error in RDB reading file %s: %s%s", path, err, suffix);
        for (uint32_t i = 0; i < ff.n; i++) script_library_free(ff.libs[i]);
    } else {
        struct obuf e;
        obuf_init(&e);
        ok = function_store_put_all(st, ff.libs, ff.n, policy, &e);
        if (!ok) log_warn("Failed loading library from %s: %.*s%s", path, (int)e.len, e.data, suffix);
        obuf_free(&e);
    }
    rk_free(ff.libs);
    if (ff.engine) script_engine_destroy(ff.engine);
    return ok;
}

bool server_load_check(struct server *srv)
{
    const struct config *cfg = &srv->cfg;
    snprintf(srv->rdb_path, sizeof srv->rdb_path, "%s/%s", cfg->dir && *cfg->dir ? cfg->dir : ".",
             cfg->dbfilename ? cfg->dbfilename : "dump.rdb");
    int fd = open(srv->rdb_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return true; /* nothing saved yet */
        log_warn("Fatal error loading the DB: %s. Exiting.", strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size == 0) {
        close(fd);
        log_warn("Short read or OOM loading DB. Unrecoverable error, aborting now.");
        return false;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        log_warn("Fatal error loading the DB: %s. Exiting.", strerror(errno));
        return false;
    }
    madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
    srv->rdb_image = map;
    srv->rdb_image_len = (size_t)st.st_size;
    bool ok = load_file_functions(map, (size_t)st.st_size, cfg, srv->functions, FUNCTION_RESTORE_APPEND,
                                  srv->rdb_path, ". Exiting.");
    if (!ok) server_load_done(srv);
    return ok;
}

struct slice_load {
    struct shard *s;
    struct keyspace *ks;
    long long now_ms;
    uint64_t loaded;
    bool merge;       /* DEBUG RELOAD MERGE: the file's key replaces the one here */
};

static bool want_key(void *arg, int db, const char *key, size_t klen)
{
    struct slice_load *sl = arg;
    return shard_of_key(sl->s->srv, key, klen) == sl->s->id;
}

static bool on_key(void *arg, int dbid, struct kv *kv, long long expire_ms, long long idle)
{
    struct slice_load *sl = arg;
    struct db *db = ks_db(sl->ks, dbid);
    /* A master drops what expired while the file waited, as Redis does. */
    if (expire_ms >= 0 && expire_ms < sl->now_ms) {
        kv_free(kv);
        return true;
    }
    if (sl->merge) {
        db_delete(db, kv_key(kv), kv->keylen);
    } else if (db_peek(db, kv_key(kv), kv->keylen)) {
        log_warn("RDB has duplicated key '%.*s' in DB %d", (int)kv->keylen, kv_key(kv), dbid);
        kv_free(kv);
        return false; /* Redis: "Duplicate key ... found in RDB file" */
    }
    if (idle >= 0) kv_set_idle(kv, idle);
    db_add(db, kv);
    if (expire_ms >= 0) db_set_expire(db, kv, expire_ms);
    sl->loaded++;
    return true;
}

bool shard_load_slice(struct shard *s)
{
    struct server *srv = s->srv;
    if (!srv->rdb_image) return true;
    struct slice_load sl = {.s = s, .ks = s->ks, .now_ms = mstime()};
    const struct rdb_walk_ops ops = {.want_key = want_key, .on_key = on_key};
    char err[512];
    if (!rdb_walk(srv->rdb_image, srv->rdb_image_len, &s->cfg, s->cfg.databases, false, &ops, &sl, err,
                  sizeof err)) {
        log_warn("Internal error in RDB reading file %s: %s. Exiting.", srv->rdb_path, err);
        return false;
    }
    /* Loading is not a change since the last save. */
    s->ks->stats.changes = 0;
    __atomic_add_fetch(&srv->keys_loaded, sl.loaded, __ATOMIC_RELAXED);
    return true;
}

void server_load_done(struct server *srv)
{
    if (!srv->rdb_image) return;
    munmap((void *)srv->rdb_image, srv->rdb_image_len);
    srv->rdb_image = NULL;
}

/* ---- DEBUG RELOAD --------------------------------------------------------- */

/* Owned by the origin shard from the call to the answer; the shards'
 * parts only read img, len and flags, while the transaction runs. */
struct reload {
    struct shard *s;
    unsigned flags;             /* HOST_RELOAD_* */
    struct msg_done *later;     /* the client */
    struct msg_done saved, loaded;
    const unsigned char *img;
    size_t len;
    struct reload *next;        /* in shard.reload_pending */
};

#define RELOAD_LOAD_ERROR "-ERR Error trying to load the RDB dump\r\n"

/* Answers the client and frees rl (which never held the server's slot). */
static void reload_answer(struct reload *rl, const char *answer)
{
    if (rl->img) munmap((void *)rl->img, rl->len);
    if (rl->later) rl->later->fn(rl->later, answer, strlen(answer), true);
    rk_free(rl);
}

static void reload_end(struct reload *rl, const char *answer)
{
    struct server *srv = rl->s->srv;
    reload_answer(rl, answer);
    __atomic_store_n(&srv->reloading, 0, __ATOMIC_RELEASE);
}

/* Each shard's part, inside the transaction holding every database. */
static void reload_part(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct shard *s = shard_of_host(c->host);
    /* The argument is the origin's address in hex, not NUL-terminated
     * where the message carries it: read exactly its bytes. */
    char hex[32];
    snprintf(hex, sizeof hex, "%.*s", (int)(a->len[1] < sizeof hex ? a->len[1] : sizeof hex - 1), a->argv[1]);
    const struct reload *rl = (const struct reload *)(uintptr_t)strtoull(hex, NULL, 16);
    if (!(rl->flags & HOST_RELOAD_NOFLUSH)) {
        ks_flush(c->ks);
        host_tracking_flushed(c->host);
    }
    struct slice_load sl = {.s = s, .ks = c->ks, .now_ms = mstime(), .merge = rl->flags & HOST_RELOAD_MERGE};
    const struct rdb_walk_ops ops = {.want_key = want_key, .on_key = on_key};
    char err[512];
    if (!rdb_walk(rl->img, rl->len, &s->cfg, s->cfg.databases, false, &ops, &sl, err, sizeof err)) {
        log_warn("Internal error in RDB reading file %s: %s", s->srv->rdb_path, err);
        reply_error(c->r, "ERR Error trying to load the RDB dump");
        return;
    }
    reply_ok(c->r);
}

static const struct cmd_def reload_part_cmd = {
    .name = "debug|reload-part", .arity = 2, .flags = CMD_WRITE | CMD_ALL_SHARDS | CMD_ALL_DBS, .fn = reload_part,
    .combine = COMBINE_OK};

static void reload_loaded(struct msg_done *d, const char *replies, size_t len, bool final)
{
    struct reload *rl = container_of(d, struct reload, loaded);
    bool ok = len > 0 && replies[0] == '+';
    if (ok) log_warn("DB reloaded by DEBUG RELOAD");
    reload_end(rl, ok ? "+OK\r\n" : RELOAD_LOAD_ERROR);
}

/* The file's functions as Redis's load puts them after DEBUG RELOAD's
 * flush: in place of every library, or with NOFLUSH beside them (refused
 * when a name exists), or with NOFLUSH MERGE replacing those of the same
 * name. */
static bool reload_functions(struct reload *rl, const char *path)
{
    struct shard *s = rl->s;
    enum function_restore policy = !(rl->flags & HOST_RELOAD_NOFLUSH) ? FUNCTION_RESTORE_FLUSH
                                   : (rl->flags & HOST_RELOAD_MERGE)  ? FUNCTION_RESTORE_REPLACE
                                                                       : FUNCTION_RESTORE_APPEND;
    return load_file_functions(rl->img, rl->len, &s->cfg, s->srv->functions, policy, path, "");
}

/* Maps and checks the file on the origin (a blocking read, as Redis's
 * DEBUG RELOAD blocks its one thread), then loads it everywhere. */
static void reload_load(struct reload *rl)
{
    struct shard *s = rl->s;
    char path[sizeof s->srv->rdb_path];
    snprintf(path, sizeof path, "%s/%s", s->cfg.dir && *s->cfg.dir ? s->cfg.dir : ".",
             s->cfg.dbfilename ? s->cfg.dbfilename : "dump.rdb");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
        log_warn("DEBUG RELOAD: cannot read %s: %s", path, fd < 0 ? strerror(errno) : "empty file");
        if (fd >= 0) close(fd);
        reload_end(rl, RELOAD_LOAD_ERROR);
        return;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        reload_end(rl, RELOAD_LOAD_ERROR);
        return;
    }
    rl->img = map;
    rl->len = (size_t)st.st_size;
    if (!reload_functions(rl, path)) {
        reload_end(rl, RELOAD_LOAD_ERROR);
        return;
    }
    char addr[32];
    int n = snprintf(addr, sizeof addr, "%llx", (unsigned long long)(uintptr_t)rl);
    const char *argv[2] = {reload_part_cmd.name, addr};
    size_t lens[2] = {strlen(reload_part_cmd.name), (size_t)n};
    struct cmd_args a = {2, argv, lens};
    rl->loaded.fn = reload_loaded;
    struct tx_client cl = {.done = &rl->loaded, .dbid = 0, .resp = 2};
    tx_run_command(s, &cl, &reload_part_cmd, &a, NULL, 0);
}

static void reload_saved(struct msg_done *d, const char *replies, size_t len, bool final)
{
    struct reload *rl = container_of(d, struct reload, saved);
    if (len == 0 || replies[0] != '+') {
        reload_end(rl, "-ERR\r\n"); /* Redis's shared.err */
        return;
    }
    reload_load(rl);
}

void shard_debug_reload(struct shard *s, unsigned flags, struct msg_done *later)
{
    struct reload *rl = rk_calloc(1, sizeof *rl);
    rl->s = s;
    rl->flags = flags;
    rl->later = later;
    rl->saved.fn = reload_saved;
    rl->next = s->reload_pending;
    s->reload_pending = rl;
}

void shard_reload_pump(struct shard *s)
{
    while (s->reload_pending) {
        struct reload *rl = s->reload_pending;
        s->reload_pending = rl->next;
        int idle = 0;
        if (!__atomic_compare_exchange_n(&s->srv->reloading, &idle, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            reload_answer(rl, "-ERR DEBUG RELOAD already in progress\r\n");
            continue;
        }
        if (rl->flags & HOST_RELOAD_NOSAVE) {
            reload_load(rl);
        } else if (!snapshot_claim(s)) {
            reload_end(rl, "-ERR Background save already in progress\r\n");
        } else {
            snapshot_start(s, SNAPSHOT_SAVE, &rl->saved);
        }
    }
}
