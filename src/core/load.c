/* load.c — the dataset from the RDB file at startup (see load.h): the
 * server maps the file and checks it whole (structure, checksum) while it
 * loads the functions; then every shard walks the same mapping in
 * parallel, building only its own keys. A file that is not whole or not
 * valid stops the startup with the file's name and the offset. */
#include "ringkv/core/load.h"
#include "ringkv/base/log.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/persist/rdb.h"
#include "ringkv/proto/reply.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct function_load {
    struct server *srv;
    struct script_engine *engine;
};

static bool load_function(void *arg, const unsigned char *code, size_t len, char *err, size_t errlen)
{
    struct function_load *fl = arg;
    struct obuf e;
    obuf_init(&e);
    if (!fl->engine) fl->engine = script_engine_create();
    struct script_library *lib = script_library_load(fl->engine, (const char *)code, len, false, &e);
    bool ok = lib && function_store_put(fl->srv->functions, lib, false, &e);
    if (!ok) snprintf(err, errlen, "%.*s", (int)e.len, e.data);
    obuf_free(&e);
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
    struct function_load fl = {srv, NULL};
    const struct rdb_walk_ops ops = {.on_function = load_function};
    char err[512];
    bool ok = rdb_walk(map, (size_t)st.st_size, cfg, cfg->databases, cfg->rdb_checksum, &ops, &fl, err, sizeof err);
    if (fl.engine) script_engine_destroy(fl.engine);
    if (!ok) {
        log_warn("Internal error in RDB reading file %s: %s. Exiting.", srv->rdb_path, err);
        server_load_done(srv);
    }
    return ok;
}

struct slice_load {
    struct shard *s;
    long long now_ms;
    uint64_t loaded;
};

static bool want_key(void *arg, int db, const char *key, size_t klen)
{
    struct slice_load *sl = arg;
    return shard_of_key(sl->s->srv, key, klen) == sl->s->id;
}

static bool on_key(void *arg, int dbid, struct kv *kv, long long expire_ms, long long idle)
{
    struct slice_load *sl = arg;
    struct db *db = ks_db(sl->s->ks, dbid);
    /* A master drops what expired while the file waited, as Redis does. */
    if (expire_ms >= 0 && expire_ms < sl->now_ms) {
        kv_free(kv);
        return true;
    }
    if (db_peek(db, kv_key(kv), kv->keylen)) {
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
    struct slice_load sl = {s, mstime(), 0};
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
