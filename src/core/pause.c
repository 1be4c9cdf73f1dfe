/* pause.c — CLIENT PAUSE across shards; see pause.h. */
#include "ringkv/core/pause.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/cmd_script.h"
#include "ringkv/core/server.h"
#include "ringkv/core/shard.h"
#include "ringkv/data/db.h"
#include "ringkv/net/conn.h"

enum pause_type pause_now(const struct server *srv)
{
    int type = __atomic_load_n(&srv->pause_type, __ATOMIC_ACQUIRE);
    if (type == PAUSE_OFF) return PAUSE_OFF;
    return mstime() <= __atomic_load_n(&srv->pause_end_ms, __ATOMIC_ACQUIRE) ? (enum pause_type)type : PAUSE_OFF;
}

void pause_start(struct server *srv, long long end_ms, enum pause_type type)
{
    /* A pause that has ended starts afresh; a running one only grows. */
    if (pause_now(srv) == PAUSE_OFF) {
        __atomic_store_n(&srv->pause_end_ms, end_ms, __ATOMIC_RELEASE);
        __atomic_store_n(&srv->pause_type, (int)type, __ATOMIC_RELEASE);
        return;
    }
    long long end = __atomic_load_n(&srv->pause_end_ms, __ATOMIC_RELAXED);
    while (end < end_ms && !__atomic_compare_exchange_n(&srv->pause_end_ms, &end, end_ms, true, __ATOMIC_ACQ_REL,
                                                        __ATOMIC_RELAXED)) {}
    int t = __atomic_load_n(&srv->pause_type, __ATOMIC_RELAXED);
    while (t < (int)type && !__atomic_compare_exchange_n(&srv->pause_type, &t, (int)type, true, __ATOMIC_ACQ_REL,
                                                         __ATOMIC_RELAXED)) {}
}

void pause_stop(struct server *srv) { __atomic_store_n(&srv->pause_type, PAUSE_OFF, __ATOMIC_RELEASE); }

bool pause_cmd_may_write(struct shard *s, const struct cmd_def *cmd, const struct cmd_args *a)
{
    if (!(cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE))) return false;
    return !cmd_is_script_run(cmd) || script_run_may_write(shard_host(s), cmd, a);
}

bool pause_holds(struct conn *c, bool may_write)
{
    struct shard *s = c->shard;
    enum pause_type p = pause_now(s->srv);
    if (p == PAUSE_OFF || (p == PAUSE_WRITE && !may_write)) return false;
    if (!(c->flags & CONN_PAUSED)) {
        c->flags |= CONN_PAUSED;
        s->paused_conns++;
    }
    return true;
}

void pause_retry(struct shard *s)
{
    if (s->paused_conns == 0) return;
    for (struct conn *c = s->conns; c; c = c->next) {
        if (!(c->flags & CONN_PAUSED)) continue;
        c->flags &= ~CONN_PAUSED;
        s->paused_conns--;
        conn_want_resume(c);
    }
}

static bool expiry_paused(void) { return pause_now(server_instance()) != PAUSE_OFF; }

void pause_setup(void) { db_set_expiry_gate(expiry_paused); }
