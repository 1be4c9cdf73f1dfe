/* fuzz_exec.c — libFuzzer target for command execution: random command
 * sequences run against a keyspace through the command table, the way a
 * shard runs them (shard_exec), with no ring, no thread and no socket.
 *
 * The input is text, one command per line in Redis's inline syntax
 * ("SET k \"a b\"", "\x00" escapes), so seeds are readable scripts. Each
 * line is checked for arity as dispatch does, then run. Checks:
 *  - no crash, leak or undefined behaviour (ASan, LeakSanitizer, UBSan);
 *  - every command writes exactly one well-formed RESP value
 *    (resp_value_span), in RESP2 or RESP3 as HELLO chose;
 *  - after the sequence, every database is consistent: the key count is
 *    db_size, every key is found again by its own hash, keys flagged with
 *    a TTL are exactly the expires entries, and each value survives a deep
 *    copy (dup_value, what cross-shard commands do) and a free.
 * Commands that need a real connection, another shard or wall-clock waits
 * (blocking, pub/sub, CONFIG SET, SHUTDOWN) are skipped, and so are counts
 * that only make a command slow (see too_costly). */
#include "ringkv/base/alloc.h"
#include "ringkv/base/cmdstats.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/base/config.h"
#include "ringkv/net/conn.h"
#include "ringkv/net/pubsub.h"
#include "ringkv/data/db.h"
#include "ringkv/core/exec.h"
#include "ringkv/core/msg.h"
#include "ringkv/data/object.h"
#include "ringkv/proto/resp.h"
#include "ringkv/core/server.h"
#include "ringkv/script/function_store.h"
#include "ringkv/script/script.h"
#include "ringkv/script/script_store.h"
#include "ringkv/core/block.h"
#include "ringkv/core/shard.h"
#include "ringkv/core/tracking.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

#define MAX_ARGS 32
#define DATABASES 4

static struct server srv;

static void setup_once(void)
{
    static bool done;
    if (done) return;
    done = true;
    commands_setup();
    obj_types_setup();
    srv.nshards = 1; /* slot_owner all 0: every key is ours */
    srv.scripts = script_store_create(); /* SCRIPT LOAD, EXISTS, FLUSH */
    srv.functions = function_store_create(); /* FUNCTION LOAD, LIST, DUMP, RESTORE... */
}

static struct shard *shard_new(void)
{
    struct shard *s = rk_calloc(1, sizeof(*s));
    s->srv = &srv;
    config_init(&s->cfg);
    s->cfg.databases = DATABASES;
    /* The smallest limit Redis allows: big strings cost time, not coverage. */
    s->cfg.proto_max_bulk_len = 1 << 20;
    s->ks = ks_create(DATABASES, 1);
    s->cmdstats = cmdstats_create();
    s->blocked = block_registry_create(); /* INFO counts blocked clients */
    tracking_setup(s); /* shard_exec reads its tracking state */
    s->pubsub = pubsub_create(); /* INFO counts channels */
    return s;
}

static void shard_free(struct shard *s)
{
    tracking_teardown(s);
    pubsub_destroy(s->pubsub);
    block_registry_destroy(s);
    script_engine_destroy(s->scripts);
    script_engine_destroy(s->functions);
    ks_destroy(s->ks);
    config_free(&s->cfg);
    rk_free(s->scratch_argv);
    rk_free(s->scratch_argl);
    rk_free(s->scratch_keypos);
    cmdstats_destroy(s->cmdstats);
    rk_free(s);
}

static bool skipped(const struct cmd_def *cmd)
{
    /* Scripts are fuzzed by fuzz_script: here one could loop for ever
     * (Redis sets no time limit either). */
    static const char *const names[] = {"config|set", "shutdown", "debug", "monitor", "client|kill",
                                        "client|pause", "sync", "psync", "replicaof", "slaveof",
                                        "save", "bgsave" /* the server's snapshot actor answers them */,
                                        "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro",
                                        "pfselftest" /* a second of fixed work; fuzz_hll covers HLLs */};
    if (cmd->flags & (CMD_BLOCKING | CMD_PUBSUB)) return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(cmd->name, names[i]) == 0) return true;
    return false;
}

/* Counts that make a command do a lot of work without reaching new code
 * (SRANDMEMBER k -100000000 replies a hundred million members): numbers
 * between 10^5 and 10^13 are not run. Bigger ones are: they reach the
 * range and overflow checks, except as the count of a random pick, which
 * Redis accepts up to LONG_MAX and answers with that many members. */
static bool too_costly(const struct cmd_args *a)
{
    bool random_pick = arg_is(a, 0, "srandmember") || arg_is(a, 0, "hrandfield") || arg_is(a, 0, "zrandmember");
    for (int i = 1; i < a->argc; i++) {
        long long v;
        if (!string2ll(a->argv[i], a->len[i], &v)) continue;
        long long m = v < 0 ? (v == LLONG_MIN ? LLONG_MAX : -v) : v;
        if (m > 100000 && (m < 10000000000000LL || (random_pick && i == 2 && v != LLONG_MIN))) return true;
    }
    return false;
}

/* The command a line names, as dispatch resolves it, or NULL. */
static const struct cmd_def *resolve(const struct cmd_args *a)
{
    const struct cmd_def *cmd = cmd_lookup(a->argv[0], a->len[0]);
    if (!cmd) return NULL;
    if (cmd->subcommands && (a->argc >= 2 || !cmd->fn)) {
        if (a->argc < 2) return NULL;
        cmd = cmd_lookup_sub(cmd, a->argv[1], a->len[1]);
    }
    if (!cmd || !cmd->fn || !cmd_arity_ok(cmd, a->argc)) return NULL;
    return cmd;
}

static void run_line(struct shard *s, struct conn *conn, struct obuf *out, const struct cmd_args *a)
{
    const struct cmd_def *cmd = resolve(a);
    if (!cmd || skipped(cmd) || too_costly(a)) return;
    struct reply r;
    size_t before = out->len;
    reply_init(&r, out, conn->resp);
    shard_exec(s, cmd, a, conn->dbid, &r, (cmd->flags & CMD_CONN) ? conn_client(conn) : NULL, conn->id);
    size_t span = resp_value_span(out->data + before, out->len - before);
    CHECK(span > 0 && span == out->len - before);
    CHECK(conn->dbid >= 0 && conn->dbid < DATABASES);
    CHECK(conn->resp == 2 || conn->resp == 3);
    out->len = 0; /* keep memory flat over long inputs */
}

struct scan_state {
    struct db *db;
    uint64_t keys, flagged;
};

static void check_key(struct dict_node *n, void *arg)
{
    struct scan_state *st = arg;
    struct kv *kv = kv_of(n);
    const char *key = kv_key(kv);
    st->keys++;
    CHECK(dict_find(&st->db->keys, key, kv->keylen, db_key_hash(key, kv->keylen)) == n);
    CHECK(kv->type < OBJ_TYPE_MAX && kv->enc < ENC_MAX);
    if (kv->expires) {
        st->flagged++;
        CHECK(db_get_expire(st->db, kv) >= 0);
    }
    if (kv->type != OBJ_STRING) {
        const struct obj_type_ops *ops = obj_type_ops((enum obj_type)kv->type);
        CHECK(ops && ops->dup_value && ops->free_value);
        if (ops->value_bytes) (void)ops->value_bytes(kv->v.ptr, (enum obj_encoding)kv->enc);
        void *copy = ops->dup_value(kv->v.ptr, (enum obj_encoding)kv->enc);
        ops->free_value(copy, (enum obj_encoding)kv->enc);
    }
    kv_free(kv_dup(kv, "copy", 4));
}

static void check_dbs(struct shard *s)
{
    for (int i = 0; i < DATABASES; i++) {
        struct db *db = ks_db(s->ks, i);
        struct scan_state st = {db, 0, 0};
        dict_foreach(&db->keys, check_key, &st);
        CHECK(st.keys == db_size(db));
        CHECK(st.flagged == db_expires_size(db));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    struct shard *s = shard_new();
    struct conn conn;
    memset(&conn, 0, sizeof(conn));
    conn.shard = s;
    conn.resp = 2;
    conn.authenticated = true;
    conn.id = 1;
    struct obuf out;
    obuf_init(&out);
    char *words = rk_malloc(size + 1);
    struct resp_arg spans[MAX_ARGS];
    const char *argv[MAX_ARGS];
    size_t lens[MAX_ARGS];

    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int argc = resp_split_inline(p, len, words, spans, MAX_ARGS);
        p += len + (nl != NULL);
        if (argc <= 0) continue;
        for (int i = 0; i < argc; i++) {
            argv[i] = words + spans[i].off;
            lens[i] = spans[i].len;
        }
        struct cmd_args a = {argc, argv, lens};
        run_line(s, &conn, &out, &a);
    }
    /* Active expiry and table maintenance run on what is left. */
    for (int i = 0; i < DATABASES; i++) {
        db_active_expire(ks_db(s->ks, i), mstime(), 1000);
        db_maintain(ks_db(s->ks, i), 1000);
    }
    check_dbs(s);

    rk_free(words);
    obuf_free(&out);
    rk_free(conn.name);
    shard_free(s);
    function_store_flush(srv.functions); /* each input starts with none */
    return 0;
}
