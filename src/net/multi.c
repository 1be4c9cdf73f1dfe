/* multi.c — a connection's MULTI/EXEC/WATCH state; see multi.h.
 * Thread: the connection's shard. */
#include "ringkv/net/multi.h"
#include "ringkv/net/tracking.h"
#include "ringkv/core/pause.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_multi.h"
#include "ringkv/core/memory.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tx.h"
#include "ringkv/net/conn.h"
#include "ringkv/net/conn_acl.h"
#include "ringkv/cmd/cmd_acl.h"
#include "ringkv/net/monitor.h"

#include <stdio.h>
#include <string.h>

struct conn_multi {
    bool active;               /* between MULTI and EXEC/DISCARD */
    bool doomed;               /* a command was refused while queueing */
    struct obuf queue;         /* packed commands (msg_pack_command) */
    uint32_t queued;
    bool denyoom;              /* a queued command may grow memory (maxmemory) */
    bool may_write;            /* a queued command may write (CLIENT PAUSE WRITE holds EXEC) */
    struct obuf watched;       /* packed [db][key] (tx_pack_key) */
    uint32_t nwatched;
};

static struct conn_multi *state(struct conn *c)
{
    if (!c->multi) {
        c->multi = rk_calloc(1, sizeof(*c->multi));
        obuf_init(&c->multi->queue);
        obuf_init(&c->multi->watched);
    }
    return c->multi;
}

bool multi_active(const struct conn *c) { return c->multi && c->multi->active; }
bool multi_may_write(const struct conn *c) { return multi_active(c) && c->multi->may_write; }
long multi_queued(const struct conn *c) { return multi_active(c) ? (long)c->multi->queued : -1; }

/* Which transaction command cmd is (by name: the table is shared by
 * every shard, read-only). */
static bool is(const struct cmd_def *cmd, const char *name) { return strcmp(cmd->name, name) == 0; }

static void reply_str(struct conn *c, const char *err)
{
    struct reply r;
    reply_init(&r, conn_reply_buf(c), c->resp);
    reply_counted(&r, c->shard->cmdstats);
    if (err[0] == '+') reply_status(&r, err + 1);
    else reply_error(&r, err);
    conn_want_send(c);
}

/* A transaction command answered here: one call of it in the stats. */
static void answer(struct conn *c, const struct cmd_def *cmd, const char *text)
{
    reply_str(c, text);
    cmdstats_call_done(c->shard->cmdstats, cmd, text[0] != '+');
}

static void end_multi(struct conn_multi *m)
{
    m->active = m->doomed = m->denyoom = m->may_write = false;
    m->queued = 0;
    obuf_shrink(&m->queue, 0);
    m->queue.len = 0;
}

/* Sends the owners of the watched keys word to forget them; the reply
 * (+OK) goes to done. */
static void forget_watched(struct conn *c, struct msg_done *done)
{
    struct conn_multi *m = c->multi;
    uint32_t argc = 1 + 2 * m->nwatched;
    const char **argv = rk_malloc(argc * sizeof(char *));
    size_t *lens = rk_malloc(argc * sizeof(size_t));
    char (*dbs)[RK_LONG_STR_SIZE] = rk_malloc((size_t)m->nwatched * RK_LONG_STR_SIZE + 1);
    int *keypos = rk_malloc(m->nwatched * sizeof(int) + sizeof(int));
    argv[0] = unwatch_keys_cmd.name;
    lens[0] = strlen(argv[0]);
    const char *p = m->watched.data;
    for (uint32_t i = 0; i < m->nwatched; i++) {
        int db;
        p = tx_unpack_key(p, &db, &argv[1 + 2 * i], &lens[1 + 2 * i]);
        argv[2 + 2 * i] = dbs[i];
        lens[2 + 2 * i] = ll2string(dbs[i], db);
        keypos[i] = 1 + 2 * (int)i;
    }
    struct cmd_args a = {(int)argc, argv, lens};
    struct tx_client cl = {.done = done ? done : &msg_done_ignored, .dbid = c->dbid, .resp = c->resp, .client_id = c->id};
    tx_run_command(c->shard, &cl, &unwatch_keys_cmd, &a, keypos, (int)m->nwatched);
    rk_free(argv);
    rk_free(lens);
    rk_free(dbs);
    rk_free(keypos);
    m->watched.len = 0;
    m->nwatched = 0;
}

/* Forgets the watches and answers +OK once the owners did (so a WATCH
 * that follows cannot overtake the forgetting). */
static enum multi_verdict unwatch_then_ok(struct conn *c, const struct cmd_def *cmd)
{
    cmdstats_call_done(c->shard->cmdstats, cmd, false);
    if (!c->multi || c->multi->nwatched == 0) {
        reply_str(c, "+OK");
        return MULTI_DONE;
    }
    c->busy++;
    forget_watched(c, &c->sender.done);
    return MULTI_DONE;
}

static bool watching(const struct conn_multi *m, int dbid, const char *key, size_t len)
{
    const char *p = m->watched.data;
    for (uint32_t i = 0; i < m->nwatched; i++) {
        int db;
        const char *k;
        size_t l;
        p = tx_unpack_key(p, &db, &k, &l);
        if (db == dbid && l == len && memcmp(k, key, len) == 0) return true;
    }
    return false;
}

/* Each (database, key) once, as Redis keeps them. */
static void note_watched(struct conn *c, const struct cmd_args *a)
{
    struct conn_multi *m = state(c);
    for (int i = 1; i < a->argc; i++) {
        if (watching(m, c->dbid, a->argv[i], a->len[i])) continue;
        tx_pack_key(&m->watched, c->dbid, a->argv[i], a->len[i]);
        m->nwatched++;
    }
}

/* The database each queued command runs in: EXEC starts in the current
 * one, and a valid SELECT in the queue moves the rest. */
static int *queue_dbids(struct conn *c, const struct cmd_def *select)
{
    struct conn_multi *m = c->multi;
    int *dbids = rk_malloc((m->queued + 1) * sizeof(int));
    int db = c->dbid;
    const char *p = m->queue.data;
    for (uint32_t i = 0; i < m->queued; i++) {
        const struct cmd_def *cmd;
        uint32_t argc, len;
        memcpy(&cmd, p, sizeof(cmd));
        memcpy(&argc, p + sizeof(cmd), 4);
        p += sizeof(cmd) + 4;
        dbids[i] = db;
        for (uint32_t j = 0; j < argc; j++) {
            memcpy(&len, p, 4);
            long long n;
            if (cmd == select && j == 1 && argc == 2 && string2ll(p + 4, len, &n) && n >= 0 &&
                n < c->shard->cfg.databases)
                db = (int)n;
            p += 4 + len;
        }
    }
    return dbids;
}

/* MONITOR shows the queued commands as EXEC runs them, before EXEC. */
static void show_queue(struct conn *c, const int *dbids)
{
    const char *p = c->multi->queue.data;
    for (uint32_t i = 0; i < c->multi->queued; i++) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        p = msg_unpack_command(c->shard, p, &cmd, &a);
        monitor_feed_command(c, cmd, dbids[i], &a);
    }
}

/* Why a queued command may no longer run, in Redis's words for EXEC. */
static void denied_text(char *out, size_t cap, enum acl_denied why, const struct cmd_def *cmd)
{
    char reason[160];
    (void)cmd;
    if (why == ACL_DENIED_CMD) snprintf(reason, sizeof(reason), "no permission to execute the command or subcommand");
    else if (why == ACL_DENIED_KEY) snprintf(reason, sizeof(reason), "no permission to touch the specified keys");
    else if (why == ACL_DENIED_CHANNEL)
        snprintf(reason, sizeof(reason), "no permission to access one of the channels used as arguments");
    else snprintf(reason, sizeof(reason), "no permission");
    snprintf(out, cap,
             "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This "
             "command is no longer allowed for the following reason: %s",
             reason);
}

/* EXEC checks the queue again, as Redis does: the rights may have changed
 * since a command was queued. A denied command answers its error in its
 * place (acl_denied_command); the others run. */
static void recheck_queue(struct conn *c)
{
    if (conn_acl_free(c)) return;
    struct conn_multi *m = c->multi;
    struct obuf fresh;
    obuf_init(&fresh);
    const char *p = m->queue.data;
    for (uint32_t i = 0; i < m->queued; i++) {
        const struct cmd_def *cmd;
        struct cmd_args a;
        p = msg_unpack_command(c->shard, p, &cmd, &a);
        int pos = 0;
        enum acl_denied why = conn_acl_check(c, cmd, &a, &pos);
        if (why == ACL_OK) {
            msg_pack_command(&fresh, cmd, &a);
            continue;
        }
        char text[512];
        denied_text(text, sizeof(text), why, cmd);
        const char *argv[2] = {acl_denied_command.name, text};
        size_t lens[2] = {strlen(acl_denied_command.name), strlen(text)};
        struct cmd_args denied = {2, argv, lens};
        msg_pack_command(&fresh, &acl_denied_command, &denied);
    }
    obuf_free(&m->queue);
    m->queue = fresh;
}

static enum multi_verdict exec(struct conn *c, const struct cmd_def *cmd)
{
    struct conn_multi *m = c->multi;
    if (!multi_active(c)) {
        answer(c, cmd, "ERR EXEC without MULTI");
        return MULTI_DONE;
    }
    if (m->doomed) {
        end_multi(m);
        answer(c, cmd, "EXECABORT Transaction discarded because of previous errors.");
        if (m->nwatched) forget_watched(c, NULL);
        return MULTI_DONE;
    }
    if (m->denyoom && !memory_admit(c->shard, true)) { /* as Redis: the whole transaction is refused */
        end_multi(m);
        answer(c, cmd, "EXECABORT Transaction discarded because of: " RK_ERR_OOM);
        if (m->nwatched) forget_watched(c, NULL);
        return MULTI_DONE;
    }
    recheck_queue(c);
    int *dbids = queue_dbids(c, cmd_lookup("select", 6));
    if (RK_UNLIKELY(monitor_any(c->shard->srv))) show_queue(c, dbids);
    struct tx_multi_queue q = {m->queue.data, m->queue.len, m->queued, dbids, m->watched.data, m->watched.len,
                               m->nwatched};
    struct tx_client cl = {.done = &c->sender.done, .dbid = c->dbid, .resp = (uint16_t)tracking_resp_word(c),
                           .client_id = c->id, .client = conn_client(c)};
    c->busy++;
    tx_run_multi(c->shard, &cl, &q); /* copies what it needs; checks and ends the watches */
    rk_free(dbids);
    end_multi(m);
    m->watched.len = 0;
    m->nwatched = 0;
    return MULTI_DONE;
}

static enum multi_verdict queue(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct conn_multi *m = c->multi;
    if (cmd->flags & CMD_NO_MULTI) {
        m->doomed = true;
        reply_str(c, "ERR Command not allowed inside a transaction");
        cmdstats_rejected(c->shard->cmdstats, cmd);
        return MULTI_DONE;
    }
    msg_pack_command(&m->queue, cmd, a);
    m->queued++;
    if (cmd->flags & CMD_DENYOOM) m->denyoom = true;
    if (pause_cmd_may_write(c->shard, cmd, a)) m->may_write = true;
    reply_str(c, "+QUEUED");
    return MULTI_DONE;
}

enum multi_verdict multi_dispatch(struct conn *c, const struct cmd_def *cmd, const struct cmd_args *a)
{
    bool control = cmd->flags & CMD_TX_CONTROL;
    bool watch = cmd->name[0] == 'w' && is(cmd, "watch");
    bool inside = multi_active(c);
    if (!control && !watch && !inside) return MULTI_PASS;
    if (inside && !control && !watch && (cmd->flags & CMD_CONN) && (is(cmd, "quit") || is(cmd, "reset")))
        return MULTI_PASS; /* QUIT and RESET are never queued */
    if (c->busy) return MULTI_WAIT; /* replies go out in order */
    if (is(cmd, "multi")) {
        if (!inside) state(c)->active = true;
        answer(c, cmd, inside ? "ERR MULTI calls can not be nested" : "+OK");
        return MULTI_DONE;
    }
    if (is(cmd, "exec")) return exec(c, cmd);
    if (is(cmd, "discard")) {
        if (!inside) {
            answer(c, cmd, "ERR DISCARD without MULTI");
            return MULTI_DONE;
        }
        end_multi(c->multi);
        return unwatch_then_ok(c, cmd);
    }
    if (watch) {
        if (inside) {
            answer(c, cmd, "ERR WATCH inside MULTI is not allowed");
            return MULTI_DONE;
        }
        note_watched(c, a);
        return MULTI_PASS; /* registered by the keys' owners */
    }
    if (is(cmd, "unwatch") && !inside) return unwatch_then_ok(c, cmd);
    return queue(c, cmd, a);
}

bool multi_refused(struct conn *c, const struct cmd_def *cmd, const char *err, size_t len)
{
    if (cmd && is(cmd, "exec")) {
        if (c->multi) end_multi(c->multi);
        if (c->multi && c->multi->nwatched) forget_watched(c, NULL);
        if (len > 4 && memcmp(err, "ERR ", 4) == 0) err += 4, len -= 4;
        char msg[512];
        snprintf(msg, sizeof(msg), "EXECABORT Transaction discarded because of: %.*s", (int)(len < 400 ? len : 400),
                 err);
        reply_str(c, msg);
        return true;
    }
    if (multi_active(c)) c->multi->doomed = true;
    return false;
}

void multi_conn_closed(struct conn *c)
{
    if (!c->multi) return;
    if (c->multi->nwatched) forget_watched(c, NULL);
    obuf_free(&c->multi->queue);
    obuf_free(&c->multi->watched);
    rk_free(c->multi);
    c->multi = NULL;
}
