/* test_atomic.c — concurrency regression tests: clients on threads, each
 * with its own connection, hammer keys that live on different shards (at
 * --shards 4; the key names are checked to spread) and check what Redis
 * guarantees, one command or one MULTI/EXEC at a time:
 *   bank         MULTI DECRBY/INCRBY/EXEC transfers between 16 keys keep
 *                their sum for every reader (MGET, MULTI+MGET, MULTI+GETs),
 *                and MSETs (or MULTI+SETs) of 4 keys are never seen mixed;
 *   movers       two clients RPOPLPUSH/LMOVE a list into another: every
 *                element arrives once, in the order a serial run gives;
 *   queue        a reliable queue (LPUSH, RPOPLPUSH, RPOP): each item is
 *                delivered exactly once;
 *   smove        members moved back and forth between two sets: each in
 *                exactly one, on the side the count of its moves says;
 *   rename       RENAME a b against RENAME b a: always exactly one key;
 *   msetnx       two racing MSETNX over 4 keys: exactly one wins, whole;
 *   mset_mget    MGET never sees two MSETs mixed.
 * Threads report through their worker struct (Criterion asserts only on
 * the test's main thread); every loop is bounded by a deadline and an
 * iteration count, every read by the connection's 10 s timeout.
 *
 * Environment: RINGKV_ATOMIC_SECONDS (default 5) is the bank test's run
 * time (the other timed tests run half of it); RINGKV_ATOMIC_THREADS
 * (default 2) the number of threads per role; RINGKV_ATOMIC_MIN_TX
 * (default 0) the number of bank transactions the run must reach, e.g.
 * RINGKV_ATOMIC_SECONDS=20 RINGKV_ATOMIC_MIN_TX=100000 at --shards 4.
 * Every expectation holds on redis-server 7.0 too (suite 'redis'). */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringkv/base/util.h"

TestSuite(atomic, .timeout = 300);

#define PIPE 8          /* commands or transactions sent per round trip */
#define DRAIN_MS 60000  /* bound for the tests that run to completion */

/* ---- parameters and keys --------------------------------------------------- */

static int env_int(const char *name, int def, int lo, int hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    int n = atoi(v);
    cr_assert(n >= lo && n <= hi, "%s=%s: want %d..%d", name, v, lo, hi);
    return n;
}

static long long run_ms(void) { return env_int("RINGKV_ATOMIC_SECONDS", 5, 1, 200) * 1000LL; }
static long long half_run_ms(void) { return run_ms() / 2 < 1000 ? 1000 : run_ms() / 2; }
static int threads_per_role(void) { return env_int("RINGKV_ATOMIC_THREADS", 2, 1, 8); }

/* Asserts that the keys cover at least `want` of the 4 shards (the
 * server's contiguous slot split), so the test spans shards at 4. */

/* ---- worker threads ---------------------------------------------------------- */

#define MAX_WORKERS 32
#define MAX_VIOL 4

struct worker {
    pthread_t tid;
    redisContext *c;
    void *ctx;                /* the test's shared state */
    int role, idx;            /* what it does; its number within the role */
    unsigned seed;
    long long deadline;       /* ts_now_ms() bound of its loop */
    long long ops, aux;       /* counts, meaning per test */
    long long viol[MAX_VIOL]; /* violations of the guarantee, by kind */
    char note[256];           /* the first violation */
    char err[512];            /* the first error: it stops every worker */
    int *items;               /* per-test record, `cap` entries */
    int nitems, cap;
    void *(*fn)(void *);      /* what it runs, once every worker exists */
};

struct pool {
    struct worker w[MAX_WORKERS];
    int n;
};

static atomic_bool g_stop; /* a worker failed: everyone stops */
static atomic_bool g_go;   /* every worker exists: start together */

__attribute__((format(printf, 2, 3))) static void w_fail(struct worker *w, const char *fmt, ...)
{
    if (!w->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, sizeof w->err, fmt, ap);
        va_end(ap);
    }
    atomic_store(&g_stop, true);
}

__attribute__((format(printf, 3, 4))) static void w_violation(struct worker *w, int kind, const char *fmt, ...)
{
    if (w->viol[kind]++ == 0 && !w->note[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->note, sizeof w->note, fmt, ap);
        va_end(ap);
    }
}

static bool w_running(const struct worker *w) { return !atomic_load(&g_stop) && ts_now_ms() < w->deadline; }

/* The worker's next command, or NULL after recording a connection error. */
__attribute__((format(printf, 2, 3))) static redisReply *w_cmd(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(w->c, fmt, ap);
    va_end(ap);
    if (!r)
        w_fail(w, "%s: connection error: %s", fmt, w->c->errstr);
    return r;
}

__attribute__((format(printf, 2, 3))) static void w_append(struct worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (redisvAppendCommand(w->c, fmt, ap) != REDIS_OK)
        w_fail(w, "append %s: %s", fmt, w->c->errstr);
    va_end(ap);
}

static void w_append_argv(struct worker *w, int argc, const char **argv)
{
    if (redisAppendCommandArgv(w->c, argc, argv, NULL) != REDIS_OK)
        w_fail(w, "append %s: %s", argv[0], w->c->errstr);
}

/* Splits a command of space-separated words (no quoting) into argv,
 * pointing into buf; returns argc. */
static int split_words(const char *line, char *buf, size_t cap, const char **argv, int max)
{
    int argc = 0;
    snprintf(buf, cap, "%s", line);
    char *save = NULL;
    for (char *t = strtok_r(buf, " ", &save); t && argc < max; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    return argc;
}

/* A command given as words ("RPOPLPUSH A B"), sent and answered. */
static redisReply *w_cmd_words(struct worker *w, const char *line)
{
    char buf[128];
    const char *argv[8];
    int argc = split_words(line, buf, sizeof buf, argv, 8);
    redisReply *r = redisCommandArgv(w->c, argc, argv, NULL);
    if (!r)
        w_fail(w, "%s: connection error: %s", line, w->c->errstr);
    return r;
}

static void w_append_words(struct worker *w, const char *line)
{
    char buf[128];
    const char *argv[8];
    w_append_argv(w, split_words(line, buf, sizeof buf, argv, 8), argv);
}

/* The next pipelined reply, or NULL after recording the error. */
static redisReply *w_reply(struct worker *w)
{
    void *r = NULL;
    if (redisGetReply(w->c, &r) != REDIS_OK || !r) {
        w_fail(w, "reading a reply: %s", w->c->errstr[0] ? w->c->errstr : "(none)");
        return NULL;
    }
    return r;
}

/* Reads a reply of `type`, and `str` for a status or error; false (and
 * recorded) otherwise. */
static bool w_expect(struct worker *w, int type, const char *str, const char *what)
{
    redisReply *r = w_reply(w);
    if (!r)
        return false;
    char why[512];
    bool ok = ts_reply_is(r, type, str, 0, why, sizeof why) || (type == REDIS_REPLY_INTEGER && r->type == type);
    if (!ok)
        w_fail(w, "%s: %s", what, why);
    freeReplyObject(r);
    return ok;
}

/* Reads the replies of a pipelined MULTI, n queued commands and EXEC:
 * returns EXEC's array of n (the caller frees it), or NULL (recorded). */
static redisReply *w_read_tx(struct worker *w, size_t n, const char *what)
{
    if (!w_expect(w, REDIS_REPLY_STATUS, "OK", what))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!w_expect(w, REDIS_REPLY_STATUS, "QUEUED", what))
            return NULL;
    redisReply *r = w_reply(w);
    if (r && (r->type != REDIS_REPLY_ARRAY || r->elements != n)) {
        char d[512];
        ts_reply_describe(r, d, sizeof d);
        w_fail(w, "%s: EXEC answered %s, want %zu replies", what, d, n);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* Connects a worker (on the main thread); pool_start runs them all. */
static struct worker *pool_add(struct pool *p, int role, int idx, void *ctx, long long deadline)
{
    cr_assert_lt(p->n, MAX_WORKERS);
    struct worker *w = &p->w[p->n++];
    memset(w, 0, sizeof *w);
    w->c = ts_connect(g_server);
    w->role = role;
    w->idx = idx;
    w->ctx = ctx;
    w->deadline = deadline;
    w->seed = (unsigned)(ts_now_ms() * 7919 + p->n * 104729);
    return w;
}

/* Waits for the start signal (a few seconds at most), then runs. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    long long give_up = ts_now_ms() + 5000;
    while (!atomic_load(&g_go) && !atomic_load(&g_stop) && ts_now_ms() < give_up)
        usleep(100);
    return w->fn(w);
}

static void pool_start(struct pool *p, void *(*fn)(void *))
{
    atomic_store(&g_stop, false);
    atomic_store(&g_go, false);
    for (int i = 0; i < p->n; i++) {
        p->w[i].fn = fn;
        if (pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]) != 0) {
            atomic_store(&g_stop, true); /* the ones started return at once */
            for (int j = 0; j < i; j++)
                pthread_join(p->w[j].tid, NULL);
            cr_assert_fail("pthread_create failed");
        }
    }
    atomic_store(&g_go, true);
}

/* Joins every worker, closes the connections, and fails the test on the
 * first error a worker recorded. */
static void pool_join(struct pool *p)
{
    for (int i = 0; i < p->n; i++)
        pthread_join(p->w[i].tid, NULL);
    for (int i = 0; i < p->n; i++) {
        redisFree(p->w[i].c);
        p->w[i].c = NULL;
    }
    for (int i = 0; i < p->n; i++)
        cr_assert(!p->w[i].err[0], "worker %d (role %d): %s", i, p->w[i].role, p->w[i].err);
}

static long long pool_ops(const struct pool *p, int role)
{
    long long sum = 0;
    for (int i = 0; i < p->n; i++)
        sum += p->w[i].role == role ? p->w[i].ops : 0;
    return sum;
}

static long long pool_aux(const struct pool *p, int role)
{
    long long sum = 0;
    for (int i = 0; i < p->n; i++)
        sum += p->w[i].role == role ? p->w[i].aux : 0;
    return sum;
}

static long long pool_viol(const struct pool *p, int kind)
{
    long long sum = 0;
    for (int i = 0; i < p->n; i++)
        sum += p->w[i].viol[kind];
    return sum;
}

static const char *pool_note(const struct pool *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->w[i].note[0])
            return p->w[i].note;
    return "";
}

/* Gives the worker a zeroed record of cap ints (freed by pool_free_items). */
static void give_items(struct worker *w, int cap)
{
    w->items = calloc((size_t)cap, sizeof(int));
    cr_assert(w->items);
    w->cap = cap;
}

static void pool_free_items(struct pool *p)
{
    for (int i = 0; i < p->n; i++) {
        free(p->w[i].items);
        p->w[i].items = NULL;
    }
}

/* Whether the first n elements of r are the same bulk string. */
static bool all_same(const redisReply *r, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING || r->element[i]->len != r->element[from]->len ||
            memcmp(r->element[i]->str, r->element[from]->str, r->element[i]->len) != 0)
            return false;
    return true;
}

/* The index in "<prefix><n>", or -1. */
static int item_index(const redisReply *r, const char *prefix, int limit)
{
    size_t pl = strlen(prefix);
    if (r->type != REDIS_REPLY_STRING || r->len <= pl || memcmp(r->str, prefix, pl) != 0)
        return -1;
    int n = atoi(r->str + pl);
    return n >= 0 && n < limit ? n : -1;
}

/* Each thread's elements in the order it got them: rising (or falling). */
static void check_monotonic(struct worker *w, int idx, bool rising, const char *what)
{
    if (w->nitems > 0 && (rising ? idx <= w->items[w->nitems - 1] : idx >= w->items[w->nitems - 1]))
        w_violation(w, 0, "%s: got #%d after #%d", what, idx, w->items[w->nitems - 1]);
    if (w->nitems < w->cap)
        w->items[w->nitems++] = idx;
    else
        w_fail(w, "%s: more elements than were pushed", what);
}

/* ---- (a) bank: transfers, group writes, snapshot reads ----------------------- */

#define BANK_KEYS 16
#define BANK_START 1000
#define GROUP_KEYS 4

static const char *const bank_keys[BANK_KEYS] = {"k0", "k1", "k2",  "k3",  "k4",  "k5",  "k6",  "k7",
                                                 "k8", "k9", "k10", "k11", "k12", "k13", "k14", "k15"};
static const char *const group_keys[GROUP_KEYS] = {"g1", "g2", "g3", "g4"};

enum { BANK_TRANSFER, BANK_GROUP, BANK_READER };
/* Violation kinds: a sum seen by MGET, MULTI+MGET, MULTI+GETs; a group mixed. */
enum { V_SUM_MGET, V_SUM_TX_MGET, V_SUM_TX_GETS, V_GROUP_MIX };

static void *bank_transfer(void *arg)
{
    struct worker *w = arg;
    while (w_running(w)) {
        for (int t = 0; t < PIPE; t++) {
            int x = rand_r(&w->seed) % BANK_KEYS, n = 1 + rand_r(&w->seed) % 100;
            int y = (x + 1 + rand_r(&w->seed) % (BANK_KEYS - 1)) % BANK_KEYS;
            w_append(w, "MULTI");
            w_append(w, "DECRBY %s %d", bank_keys[x], n);
            w_append(w, "INCRBY %s %d", bank_keys[y], n);
            w_append(w, "EXEC");
        }
        for (int t = 0; t < PIPE; t++) {
            redisReply *r = w_read_tx(w, 2, "transfer");
            if (!r)
                return NULL;
            if (r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER)
                w_fail(w, "transfer: EXEC replies are not integers");
            freeReplyObject(r);
        }
        w->ops += PIPE;
    }
    return NULL;
}

/* Appends one group write of value v: MSET, or MULTI + SETs + EXEC. */
static void append_group_write(struct worker *w, const char *v, bool tx)
{
    if (!tx) {
        w_append(w, "MSET %s %s %s %s %s %s %s %s", group_keys[0], v, group_keys[1], v, group_keys[2], v,
                 group_keys[3], v);
        return;
    }
    w_append(w, "MULTI");
    for (int k = 0; k < GROUP_KEYS; k++)
        w_append(w, "SET %s %s", group_keys[k], v);
    w_append(w, "EXEC");
}

static void *bank_group_writer(void *arg)
{
    struct worker *w = arg;
    long long seq = 0;
    while (w_running(w)) {
        for (int t = 0; t < PIPE; t++) {
            char v[48];
            snprintf(v, sizeof v, "w%d-%lld", w->idx, seq + t);
            append_group_write(w, v, (seq + t) % 2 == 1);
        }
        for (int t = 0; t < PIPE; t++) {
            if ((seq + t) % 2 == 0) {
                if (!w_expect(w, REDIS_REPLY_STATUS, "OK", "MSET"))
                    return NULL;
                continue;
            }
            redisReply *r = w_read_tx(w, GROUP_KEYS, "group SETs");
            if (!r)
                return NULL;
            freeReplyObject(r);
        }
        seq += PIPE;
        w->ops += PIPE;
        w->aux += PIPE / 2; /* the odd ones went in MULTI */
    }
    return NULL;
}

/* Sums n integer bulks from r->element[from]; -1 when one is not. */
static long long sum_elements(const redisReply *r, size_t from, size_t n)
{
    long long sum = 0;
    for (size_t i = from; i < from + n; i++) {
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -1;
        sum += atoll(r->element[i]->str);
    }
    return sum;
}

/* Element i of an array reply as text, for messages. */
static const char *el_str(const redisReply *r, size_t i)
{
    return r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "nil";
}

static bool is_array(const redisReply *r, size_t n) { return r->type == REDIS_REPLY_ARRAY && r->elements == n; }

/* Checks one snapshot: 16 balances from bal->element[bfrom], 4 group
 * values from grp->element[gfrom]. */
static void bank_check(struct worker *w, int sum_kind, const char *how, const redisReply *bal, size_t bfrom,
                       const redisReply *grp, size_t gfrom)
{
    long long sum = sum_elements(bal, bfrom, BANK_KEYS);
    if (sum != BANK_KEYS * BANK_START)
        w_violation(w, sum_kind, "%s: the 16 balances sum to %lld", how, sum);
    if (!all_same(grp, gfrom, GROUP_KEYS))
        w_violation(w, V_GROUP_MIX, "%s: the group keys hold %s %s %s %s", how, el_str(grp, gfrom),
                    el_str(grp, gfrom + 1), el_str(grp, gfrom + 2), el_str(grp, gfrom + 3));
}

static void bank_append_mgets(struct worker *w)
{
    const char *argv[1 + BANK_KEYS] = {"MGET"};
    memcpy(argv + 1, bank_keys, sizeof bank_keys);
    w_append_argv(w, 1 + BANK_KEYS, argv);
    const char *gargv[1 + GROUP_KEYS] = {"MGET", group_keys[0], group_keys[1], group_keys[2], group_keys[3]};
    w_append_argv(w, 1 + GROUP_KEYS, gargv);
}

/* Two MGETs, pipelined (each one command: atomic on its own). */
static void bank_read_mget(struct worker *w)
{
    bank_append_mgets(w);
    redisReply *a = w_reply(w), *b = a ? w_reply(w) : NULL;
    if (a && b && (!is_array(a, BANK_KEYS) || !is_array(b, GROUP_KEYS)))
        w_fail(w, "MGET did not answer arrays of 16 and 4");
    else if (a && b)
        bank_check(w, V_SUM_MGET, "MGET", a, 0, b, 0);
    if (a)
        freeReplyObject(a);
    if (b)
        freeReplyObject(b);
}

/* The same two MGETs in one transaction. */
static void bank_read_tx_mget(struct worker *w)
{
    w_append(w, "MULTI");
    bank_append_mgets(w);
    w_append(w, "EXEC");
    redisReply *tx = w_read_tx(w, 2, "MULTI+MGET");
    if (!tx)
        return;
    if (!is_array(tx->element[0], BANK_KEYS) || !is_array(tx->element[1], GROUP_KEYS))
        w_fail(w, "MULTI+MGET: MGET did not answer arrays of 16 and 4");
    else
        bank_check(w, V_SUM_TX_MGET, "MULTI+MGET", tx->element[0], 0, tx->element[1], 0);
    freeReplyObject(tx);
}

/* Twenty GETs in one transaction. */
static void bank_read_tx_gets(struct worker *w)
{
    w_append(w, "MULTI");
    for (int k = 0; k < BANK_KEYS; k++)
        w_append(w, "GET %s", bank_keys[k]);
    for (int k = 0; k < GROUP_KEYS; k++)
        w_append(w, "GET %s", group_keys[k]);
    w_append(w, "EXEC");
    redisReply *tx = w_read_tx(w, BANK_KEYS + GROUP_KEYS, "MULTI+GETs");
    if (!tx)
        return;
    bank_check(w, V_SUM_TX_GETS, "MULTI+GETs", tx, 0, tx, BANK_KEYS);
    freeReplyObject(tx);
}

static void *bank_reader(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; w_running(w); i++) {
        if (i % 3 == 0)
            bank_read_mget(w);
        else if (i % 3 == 1)
            bank_read_tx_mget(w);
        else
            bank_read_tx_gets(w);
        w->ops++;
        w->aux += i % 3 != 0; /* reads inside MULTI */
    }
    return NULL;
}

static void *bank_worker(void *arg)
{
    struct worker *w = arg;
    switch (w->role) {
    case BANK_TRANSFER: return bank_transfer(w);
    case BANK_GROUP: return bank_group_writer(w);
    default: return bank_reader(w);
    }
}

static void bank_setup(redisContext *c)
{
    ts_assert_spread(bank_keys, BANK_KEYS, 4);
    ts_assert_spread(group_keys, GROUP_KEYS, 4);
    for (int k = 0; k < BANK_KEYS; k++)
        ts_assert_ok(ts_cmd(c, "SET %s %d", bank_keys[k], BANK_START));
    ts_assert_ok(ts_cmd(c, "MSET g1 init g2 init g3 init g4 init"));
}

/* After the run: the sum, and one value in the group. */
static void bank_final_check(redisContext *c)
{
    redisReply *r = ts_cmd_argv(c, 1 + BANK_KEYS,
                                (const char *[]){"MGET", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9",
                                                 "k10", "k11", "k12", "k13", "k14", "k15"},
                                NULL);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == BANK_KEYS);
    long long sum = sum_elements(r, 0, BANK_KEYS);
    freeReplyObject(r);
    cr_assert_eq(sum, BANK_KEYS * BANK_START, "final sum of the balances: %lld", sum);
    r = ts_cmd(c, "MGET g1 g2 g3 g4");
    bool same = r->type == REDIS_REPLY_ARRAY && r->elements == GROUP_KEYS && all_same(r, 0, GROUP_KEYS);
    freeReplyObject(r);
    cr_assert(same, "the group keys end with different values");
}

TS_TEST(atomic, bank_transfers_and_group_writes)
{
    redisContext *c = ts_connect(g_server);
    bank_setup(c);
    struct pool p = {.n = 0};
    long long t0 = ts_now_ms(), deadline = t0 + run_ms();
    for (int i = 0; i < threads_per_role(); i++) {
        pool_add(&p, BANK_TRANSFER, i, NULL, deadline);
        pool_add(&p, BANK_GROUP, i, NULL, deadline);
        pool_add(&p, BANK_READER, i, NULL, deadline);
    }
    pool_start(&p, bank_worker);
    pool_join(&p);
    double secs = (ts_now_ms() - t0) / 1000.0;
    long long transfers = pool_ops(&p, BANK_TRANSFER), groups = pool_ops(&p, BANK_GROUP);
    long long group_tx = pool_aux(&p, BANK_GROUP), reads = pool_ops(&p, BANK_READER);
    long long read_tx = pool_aux(&p, BANK_READER), all_tx = transfers + group_tx + read_tx;
    /* On stderr, so it shows without --verbose: the run's size matters. */
    fprintf(stderr,
            "atomic::bank: %.1f s at %d shard(s): %lld MULTI/EXEC transactions (%.0f/s): %lld transfers, "
            "%lld group writes, %lld reads; plus %lld MSETs and %lld plain MGET reads\n",
            secs, ts_shards(), all_tx, all_tx / secs, transfers, group_tx, read_tx, groups - group_tx,
            reads - read_tx);
    cr_assert_eq(pool_viol(&p, V_SUM_MGET), 0, "%lld MGETs saw a wrong sum; first: %s", pool_viol(&p, V_SUM_MGET),
                 pool_note(&p));
    cr_assert_eq(pool_viol(&p, V_SUM_TX_MGET), 0, "%lld MULTI+MGETs saw a wrong sum; first: %s",
                 pool_viol(&p, V_SUM_TX_MGET), pool_note(&p));
    cr_assert_eq(pool_viol(&p, V_SUM_TX_GETS), 0, "%lld MULTI+GETs saw a wrong sum; first: %s",
                 pool_viol(&p, V_SUM_TX_GETS), pool_note(&p));
    cr_assert_eq(pool_viol(&p, V_GROUP_MIX), 0, "%lld reads saw two group writes mixed; first: %s",
                 pool_viol(&p, V_GROUP_MIX), pool_note(&p));
    bank_final_check(c);
    long long min_tx = env_int("RINGKV_ATOMIC_MIN_TX", 0, 0, 1000000000);
    cr_assert_geq(all_tx, min_tx, "RINGKV_ATOMIC_MIN_TX=%lld not reached", min_tx);
    redisFree(c);
}

/* ---- (b) list movers ------------------------------------------------------------ */

#define MOVER_ELEMS 2000

struct movers {
    const char *cmd;  /* moves one element from A to B */
    bool from_left;   /* it pops A's head (else its tail) */
};

static void *mover(void *arg)
{
    struct worker *w = arg;
    const struct movers *m = w->ctx;
    for (int i = 0; i <= MOVER_ELEMS && !atomic_load(&g_stop); i++) {
        if (ts_now_ms() > w->deadline) {
            w_fail(w, "%s: A not empty after %d ms", m->cmd, DRAIN_MS);
            return NULL;
        }
        redisReply *r = w_cmd_words(w, m->cmd);
        if (!r)
            return NULL;
        if (r->type == REDIS_REPLY_NIL) {
            freeReplyObject(r);
            return NULL;
        }
        int idx = item_index(r, "e", MOVER_ELEMS);
        freeReplyObject(r);
        if (idx < 0) {
            w_fail(w, "%s answered something else than an element", m->cmd);
            return NULL;
        }
        check_monotonic(w, idx, m->from_left, m->cmd);
        w->ops++;
    }
    return NULL;
}

/* Fills A, races two movers, then checks B against the serial result. */
static void run_movers(redisContext *c, const char *cmd, bool from_left, bool b_same_order)
{
    struct movers m = {cmd, from_left};
    freeReplyObject(ts_cmd(c, "DEL A B"));
    for (int i = 0; i < MOVER_ELEMS; i++)
        ts_append(c, "RPUSH A e%04d", i);
    for (int i = 0; i < MOVER_ELEMS; i++)
        ts_assert_int(ts_reply(c), i + 1);
    struct pool p = {.n = 0};
    for (int i = 0; i < 2; i++)
        give_items(pool_add(&p, 0, i, &m, ts_now_ms() + DRAIN_MS), MOVER_ELEMS);
    pool_start(&p, mover);
    pool_join(&p);
    static unsigned char seen[MOVER_ELEMS];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < p.n; i++)
        for (int j = 0; j < p.w[i].nitems; j++)
            seen[p.w[i].items[j]]++;
    for (int i = 0; i < MOVER_ELEMS; i++)
        cr_assert_eq(seen[i], 1, "%s: e%04d was returned %d times", cmd, i, seen[i]);
    cr_assert_eq(pool_viol(&p, 0), 0, "%s: a client got elements out of order: %s", cmd, pool_note(&p));
    cr_log_info("%s: the two clients moved %lld and %lld elements", cmd, p.w[0].ops, p.w[1].ops);
    pool_free_items(&p);
    ts_assert_int(ts_cmd(c, "EXISTS A"), 0);
    ts_assert_int(ts_cmd(c, "LLEN B"), MOVER_ELEMS);
    redisReply *r = ts_cmd(c, "LRANGE B 0 -1");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == MOVER_ELEMS);
    for (int i = 0; i < MOVER_ELEMS; i++) {
        int want = b_same_order ? i : MOVER_ELEMS - 1 - i;
        cr_assert_eq(item_index(r->element[i], "e", MOVER_ELEMS), want,
                     "%s: B[%d] is %s, want e%04d (the order of a serial run)", cmd, i, r->element[i]->str, want);
    }
    freeReplyObject(r);
}

TS_TEST(atomic, rpoplpush_movers)
{
    static const char *const keys[] = {"A", "B"};
    ts_assert_spread(keys, 2, 2);
    redisContext *c = ts_connect(g_server);
    run_movers(c, "RPOPLPUSH A B", false, true);
    redisFree(c);
}

TS_TEST(atomic, lmove_movers)
{
    redisContext *c = ts_connect(g_server);
    run_movers(c, "LMOVE A B RIGHT LEFT", false, true);
    run_movers(c, "LMOVE A B LEFT RIGHT", true, true);
    run_movers(c, "LMOVE A B LEFT LEFT", true, false);
    run_movers(c, "LMOVE A B RIGHT RIGHT", false, false);
    redisFree(c);
}

/* ---- (c) reliable queue ------------------------------------------------------------ */

#define QUEUE_ITEMS 20000
#define QUEUE_MOVERS 2

enum { Q_PRODUCER, Q_MOVER, Q_CONSUMER };

struct queue_state {
    atomic_bool producer_done;
    atomic_int movers_done;
    _Atomic unsigned char delivered[QUEUE_ITEMS];
};

static void *queue_producer(void *arg)
{
    struct worker *w = arg;
    struct queue_state *qs = w->ctx;
    for (int i = 0; i < QUEUE_ITEMS && !atomic_load(&g_stop); i += 100) {
        for (int j = i; j < i + 100; j++)
            w_append(w, "LPUSH q item:%05d", j);
        for (int j = i; j < i + 100; j++)
            if (!w_expect(w, REDIS_REPLY_INTEGER, NULL, "LPUSH q"))
                return NULL;
        w->ops += 100;
    }
    atomic_store(&qs->producer_done, true);
    return NULL;
}

/* Pops with cmd until it answers nil while `finished` held before the
 * command was sent; records what it got (rising: FIFO). */
static void queue_pop_loop(struct worker *w, const char *cmd, bool (*finished)(struct queue_state *))
{
    struct queue_state *qs = w->ctx;
    while (!atomic_load(&g_stop)) {
        if (ts_now_ms() > w->deadline) {
            w_fail(w, "%s: the queue did not drain in %d ms", cmd, DRAIN_MS);
            return;
        }
        bool was_finished = finished(qs);
        redisReply *r = w_cmd_words(w, cmd);
        if (!r)
            return;
        if (r->type == REDIS_REPLY_NIL) {
            freeReplyObject(r);
            if (was_finished)
                return;
            usleep(200);
            continue;
        }
        int idx = item_index(r, "item:", QUEUE_ITEMS);
        freeReplyObject(r);
        if (idx < 0) {
            w_fail(w, "%s answered something else than an item", cmd);
            return;
        }
        check_monotonic(w, idx, true, cmd);
        if (w->role == Q_CONSUMER)
            atomic_fetch_add(&qs->delivered[idx], 1);
        w->ops++;
    }
}

static bool producer_finished(struct queue_state *qs) { return atomic_load(&qs->producer_done); }
static bool movers_finished(struct queue_state *qs) { return atomic_load(&qs->movers_done) == QUEUE_MOVERS; }

static void *queue_worker(void *arg)
{
    struct worker *w = arg;
    struct queue_state *qs = w->ctx;
    if (w->role == Q_PRODUCER)
        return queue_producer(w);
    if (w->role == Q_MOVER) {
        queue_pop_loop(w, "RPOPLPUSH q processing", producer_finished);
        atomic_fetch_add(&qs->movers_done, 1);
        return NULL;
    }
    queue_pop_loop(w, "RPOP processing", movers_finished);
    return NULL;
}

TS_TEST(atomic, reliable_queue)
{
    static const char *const keys[] = {"q", "processing"};
    ts_assert_spread(keys, 2, 2);
    redisContext *c = ts_connect(g_server);
    struct queue_state *qs = calloc(1, sizeof *qs);
    cr_assert(qs);
    struct pool p = {.n = 0};
    long long t0 = ts_now_ms(), deadline = t0 + DRAIN_MS;
    pool_add(&p, Q_PRODUCER, 0, qs, deadline);
    for (int i = 0; i < QUEUE_MOVERS; i++)
        give_items(pool_add(&p, Q_MOVER, i, qs, deadline), QUEUE_ITEMS);
    for (int i = 0; i < 2; i++)
        give_items(pool_add(&p, Q_CONSUMER, i, qs, deadline), QUEUE_ITEMS);
    pool_start(&p, queue_worker);
    pool_join(&p);
    cr_log_info("queue: %d items in %lld ms; movers moved %lld and %lld, consumers got %lld and %lld", QUEUE_ITEMS,
                ts_now_ms() - t0, p.w[1].ops, p.w[2].ops, p.w[3].ops, p.w[4].ops);
    cr_assert_eq(pool_viol(&p, 0), 0, "items out of FIFO order: %s", pool_note(&p));
    for (int i = 0; i < QUEUE_ITEMS; i++)
        cr_assert_eq(atomic_load(&qs->delivered[i]), 1, "item:%05d delivered %d times", i,
                     (int)atomic_load(&qs->delivered[i]));
    cr_assert_eq(pool_ops(&p, Q_CONSUMER), QUEUE_ITEMS);
    ts_assert_int(ts_cmd(c, "EXISTS q processing"), 0);
    pool_free_items(&p);
    free(qs);
    redisFree(c);
}

/* ---- (d) SMOVE back and forth ------------------------------------------------------- */

#define SET_MEMBERS 200

enum { SM_MOVER, SM_READER };

static void *smove_mover(struct worker *w)
{
    static const char *const sets[2] = {"s1", "s2"};
    while (w_running(w)) {
        int m[PIPE], dir[PIPE];
        for (int t = 0; t < PIPE; t++) {
            m[t] = rand_r(&w->seed) % SET_MEMBERS;
            dir[t] = rand_r(&w->seed) % 2;
            w_append(w, "SMOVE %s %s m%d", sets[dir[t]], sets[!dir[t]], m[t]);
        }
        for (int t = 0; t < PIPE; t++) {
            redisReply *r = w_reply(w);
            if (!r)
                return NULL;
            if (r->type != REDIS_REPLY_INTEGER || (r->integer != 0 && r->integer != 1))
                w_fail(w, "SMOVE did not answer 0 or 1");
            else
                w->items[m[t]] += (int)r->integer; /* moves that happened */
            freeReplyObject(r);
        }
        w->ops += PIPE;
    }
    return NULL;
}

/* In one transaction: the two cardinalities and one member's places. */
static void *smove_reader(struct worker *w)
{
    while (w_running(w)) {
        int m = rand_r(&w->seed) % SET_MEMBERS;
        w_append(w, "MULTI");
        w_append(w, "SCARD s1");
        w_append(w, "SCARD s2");
        w_append(w, "SISMEMBER s1 m%d", m);
        w_append(w, "SISMEMBER s2 m%d", m);
        w_append(w, "EXEC");
        redisReply *r = w_read_tx(w, 4, "set reader");
        if (!r)
            return NULL;
        long long v[4];
        for (int i = 0; i < 4; i++)
            v[i] = r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : -100;
        freeReplyObject(r);
        if (v[0] + v[1] != SET_MEMBERS)
            w_violation(w, 0, "SCARD s1 + SCARD s2 = %lld + %lld", v[0], v[1]);
        if (v[2] + v[3] != 1)
            w_violation(w, 1, "m%d: SISMEMBER s1 %lld, s2 %lld", m, v[2], v[3]);
        w->ops++;
    }
    return NULL;
}

static void *smove_worker(void *arg)
{
    struct worker *w = arg;
    return w->role == SM_MOVER ? smove_mover(w) : smove_reader(w);
}

/* Which set holds each member at the end: 1, 2, or 0 for none, 3 for both. */
static void set_places(redisContext *c, int *place)
{
    memset(place, 0, SET_MEMBERS * sizeof(int));
    for (int s = 1; s <= 2; s++) {
        redisReply *r = ts_cmd(c, "SMEMBERS s%d", s);
        cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
        for (size_t i = 0; i < r->elements; i++) {
            int m = item_index(r->element[i], "m", SET_MEMBERS);
            cr_assert_geq(m, 0, "s%d holds a stranger", s);
            place[m] |= s;
        }
        freeReplyObject(r);
    }
}

TS_TEST(atomic, smove_back_and_forth)
{
    static const char *const keys[] = {"s1", "s2"};
    ts_assert_spread(keys, 2, 2);
    redisContext *c = ts_connect(g_server);
    for (int i = 0; i < SET_MEMBERS; i++)
        ts_append(c, "SADD s1 m%d", i);
    for (int i = 0; i < SET_MEMBERS; i++)
        ts_assert_int(ts_reply(c), 1);
    struct pool p = {.n = 0};
    long long deadline = ts_now_ms() + half_run_ms();
    for (int i = 0; i < threads_per_role(); i++)
        give_items(pool_add(&p, SM_MOVER, i, NULL, deadline), SET_MEMBERS);
    pool_add(&p, SM_READER, 0, NULL, deadline);
    pool_start(&p, smove_worker);
    pool_join(&p);
    cr_log_info("smove: %lld SMOVEs, %lld transactional reads", pool_ops(&p, SM_MOVER), pool_ops(&p, SM_READER));
    cr_assert_eq(pool_viol(&p, 0) + pool_viol(&p, 1), 0, "%lld reads saw a member lost or doubled; first: %s",
                 pool_viol(&p, 0) + pool_viol(&p, 1), pool_note(&p));
    int place[SET_MEMBERS];
    set_places(c, place);
    for (int m = 0; m < SET_MEMBERS; m++) {
        int moves = 0;
        for (int i = 0; i < p.n; i++)
            moves += p.w[i].items ? p.w[i].items[m] : 0;
        cr_assert(place[m] == 1 || place[m] == 2, "m%d is in %s", m, place[m] ? "both sets" : "neither set");
        cr_assert_eq(place[m], moves % 2 ? 2 : 1, "m%d moved %d times but is in s%d", m, moves, place[m]);
    }
    pool_free_items(&p);
    redisFree(c);
}

/* ---- (e) RENAME back and forth ------------------------------------------------------- */

#define RENAME_VALUE "the original value"

enum { RN_RENAMER, RN_READER };

static void *renamer(struct worker *w)
{
    const char *cmd = w->idx == 0 ? "RENAME a b" : "RENAME b a";
    while (w_running(w)) {
        for (int t = 0; t < PIPE; t++)
            w_append_words(w, cmd);
        for (int t = 0; t < PIPE; t++) {
            redisReply *r = w_reply(w);
            if (!r)
                return NULL;
            if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
                w->ops++;
            else if (r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR no such key") == 0)
                w->aux++;
            else
                w_fail(w, "%s: unexpected reply", cmd);
            freeReplyObject(r);
        }
    }
    return NULL;
}

static void *rename_reader(struct worker *w)
{
    for (int i = 0; w_running(w); i++) {
        if (i % 2 == 0) {
            redisReply *r = w_cmd(w, "EXISTS a b");
            if (!r)
                return NULL;
            if (r->type != REDIS_REPLY_INTEGER || r->integer != 1)
                w_violation(w, 0, "EXISTS a b answered %lld", r->integer);
            freeReplyObject(r);
        } else {
            w_append(w, "MULTI");
            w_append(w, "GET a");
            w_append(w, "GET b");
            w_append(w, "EXEC");
            redisReply *r = w_read_tx(w, 2, "MULTI GET a GET b");
            if (!r)
                return NULL;
            const redisReply *a = r->element[0], *b = r->element[1];
            const redisReply *one = a->type == REDIS_REPLY_STRING ? a : b;
            if ((a->type == REDIS_REPLY_NIL) == (b->type == REDIS_REPLY_NIL) || one->type != REDIS_REPLY_STRING ||
                strcmp(one->str, RENAME_VALUE) != 0)
                w_violation(w, 1, "MULTI GET a GET b: a %s, b %s", a->type == REDIS_REPLY_NIL ? "nil" : "set",
                            b->type == REDIS_REPLY_NIL ? "nil" : "set");
            freeReplyObject(r);
        }
        w->ops++;
    }
    return NULL;
}

static void *rename_worker(void *arg)
{
    struct worker *w = arg;
    return w->role == RN_RENAMER ? renamer(w) : rename_reader(w);
}

TS_TEST(atomic, rename_back_and_forth)
{
    static const char *const keys[] = {"a", "b"};
    ts_assert_spread(keys, 2, 2);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "SET a %s", RENAME_VALUE));
    struct pool p = {.n = 0};
    long long deadline = ts_now_ms() + half_run_ms();
    pool_add(&p, RN_RENAMER, 0, NULL, deadline);
    pool_add(&p, RN_RENAMER, 1, NULL, deadline);
    pool_add(&p, RN_READER, 0, NULL, deadline);
    pool_start(&p, rename_worker);
    pool_join(&p);
    long long ab = p.w[0].ops, ba = p.w[1].ops;
    cr_log_info("rename: %lld a->b and %lld b->a done, %lld 'no such key', %lld reads", ab, ba,
                pool_aux(&p, RN_RENAMER), pool_ops(&p, RN_READER));
    cr_assert_eq(pool_viol(&p, 0) + pool_viol(&p, 1), 0, "%lld reads saw not exactly one key; first: %s",
                 pool_viol(&p, 0) + pool_viol(&p, 1), pool_note(&p));
    ts_assert_int(ts_cmd(c, "EXISTS a b"), 1);
    cr_assert(ab == ba || ab == ba + 1, "%lld renames a->b and %lld b->a cannot alternate", ab, ba);
    ts_assert_bulk(ts_cmd(c, "GET %s", ab == ba ? "a" : "b"), RENAME_VALUE);
    redisFree(c);
}

/* ---- (f) racing MSETNX --------------------------------------------------------------- */

#define MSETNX_ROUNDS 300

struct msetnx_race {
    pthread_barrier_t start, done; /* the coordinator and the two racers */
    atomic_bool last;              /* set before `start`: no round follows */
    long long result[2];
    char value[2][32];
};

static void *msetnx_racer(void *arg)
{
    struct worker *w = arg;
    struct msetnx_race *mr = w->ctx;
    for (int round = 0;; round++) {
        pthread_barrier_wait(&mr->start);
        if (atomic_load(&mr->last))
            return NULL;
        snprintf(mr->value[w->idx], sizeof mr->value[w->idx], "c%d-r%d", w->idx, round);
        const char *v = mr->value[w->idx];
        redisReply *r = w_cmd(w, "MSETNX x1 %s x2 %s x3 %s x4 %s", v, v, v, v);
        mr->result[w->idx] = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
        if (r)
            freeReplyObject(r);
        pthread_barrier_wait(&mr->done);
    }
}

/* Checks one round: one winner, whose value every key holds. */
static void msetnx_check_round(redisContext *c, struct msetnx_race *mr, int round, struct worker *note_to)
{
    long long r0 = mr->result[0], r1 = mr->result[1];
    if (r0 < 0 || r1 < 0 || r0 + r1 != 1) {
        w_violation(note_to, 0, "round %d: MSETNX answered %lld and %lld", round, r0, r1);
        return;
    }
    const char *v = mr->value[r0 == 1 ? 0 : 1];
    redisReply *r = ts_cmd(c, "MGET x1 x2 x3 x4");
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 4 && all_same(r, 0, 4) && strcmp(r->element[0]->str, v) == 0;
    freeReplyObject(r);
    if (!ok)
        w_violation(note_to, 1, "round %d: the keys do not all hold the winner's %s", round, v);
}

TS_TEST(atomic, racing_msetnx)
{
    static const char *const keys[] = {"x1", "x2", "x3", "x4"};
    ts_assert_spread(keys, 4, 4);
    redisContext *c = ts_connect(g_server);
    struct msetnx_race mr;
    memset(&mr, 0, sizeof mr);
    pthread_barrier_init(&mr.start, NULL, 3);
    pthread_barrier_init(&mr.done, NULL, 3);
    struct pool p = {.n = 0};
    long long deadline = ts_now_ms() + DRAIN_MS;
    pool_add(&p, 0, 0, &mr, deadline);
    pool_add(&p, 0, 1, &mr, deadline);
    struct worker judge = {.idx = 0}; /* collects the coordinator's findings */
    pool_start(&p, msetnx_racer);
    int rounds = 0;
    for (;; rounds++) {
        bool last = rounds == MSETNX_ROUNDS || atomic_load(&g_stop) || ts_now_ms() > deadline;
        if (!last)
            freeReplyObject(ts_cmd(c, "DEL x1 x2 x3 x4"));
        atomic_store(&mr.last, last);
        pthread_barrier_wait(&mr.start);
        if (last)
            break;
        pthread_barrier_wait(&mr.done);
        msetnx_check_round(c, &mr, rounds, &judge);
    }
    pool_join(&p);
    pthread_barrier_destroy(&mr.start);
    pthread_barrier_destroy(&mr.done);
    cr_log_info("msetnx: %d rounds", rounds);
    cr_assert_eq(rounds, MSETNX_ROUNDS, "only %d rounds in %d ms", rounds, DRAIN_MS);
    cr_assert_eq(judge.viol[0], 0, "%lld rounds without exactly one winner; first: %s", judge.viol[0], judge.note);
    cr_assert_eq(judge.viol[1], 0, "%lld rounds left the keys mixed; first: %s", judge.viol[1], judge.note);
    redisFree(c);
}

/* ---- (g) MSET / MGET snapshots -------------------------------------------------------- */

enum { SN_WRITER, SN_READER };

static void *snapshot_writer(struct worker *w)
{
    long long seq = 0;
    while (w_running(w)) {
        for (int t = 0; t < PIPE; t++, seq++)
            w_append(w, "MSET a w%d-%lld b w%d-%lld c w%d-%lld", w->idx, seq, w->idx, seq, w->idx, seq);
        for (int t = 0; t < PIPE; t++)
            if (!w_expect(w, REDIS_REPLY_STATUS, "OK", "MSET a b c"))
                return NULL;
        w->ops += PIPE;
    }
    return NULL;
}

/* PIPE pipelined MGET a b c; false on an error. */
static bool snapshot_mgets(struct worker *w)
{
    for (int t = 0; t < PIPE; t++)
        w_append(w, "MGET a b c");
    for (int t = 0; t < PIPE; t++) {
        redisReply *r = w_reply(w);
        if (!r)
            return false;
        if (!is_array(r, 3))
            w_fail(w, "MGET a b c did not answer 3 values");
        else if (!all_same(r, 0, 3))
            w_violation(w, 0, "MGET a b c: %s %s %s", el_str(r, 0), el_str(r, 1), el_str(r, 2));
        freeReplyObject(r);
    }
    w->ops += PIPE;
    return true;
}

/* MULTI, GET a, GET b, GET c, EXEC; false on an error. */
static bool snapshot_tx_gets(struct worker *w)
{
    w_append(w, "MULTI");
    w_append(w, "GET a");
    w_append(w, "GET b");
    w_append(w, "GET c");
    w_append(w, "EXEC");
    redisReply *r = w_read_tx(w, 3, "MULTI GET a b c");
    if (!r)
        return false;
    if (!all_same(r, 0, 3))
        w_violation(w, 1, "MULTI GET a b c: %s %s %s", el_str(r, 0), el_str(r, 1), el_str(r, 2));
    freeReplyObject(r);
    w->ops++;
    return true;
}

static void *snapshot_reader(struct worker *w)
{
    for (int i = 0; w_running(w); i++)
        if (!(i % 2 ? snapshot_tx_gets(w) : snapshot_mgets(w)))
            return NULL;
    return NULL;
}

static void *snapshot_worker(void *arg)
{
    struct worker *w = arg;
    return w->role == SN_WRITER ? snapshot_writer(w) : snapshot_reader(w);
}

TS_TEST(atomic, mset_mget_snapshots)
{
    static const char *const keys[] = {"a", "b", "c"};
    ts_assert_spread(keys, 3, 3);
    redisContext *c = ts_connect(g_server);
    ts_assert_ok(ts_cmd(c, "MSET a init b init c init"));
    struct pool p = {.n = 0};
    long long deadline = ts_now_ms() + half_run_ms();
    for (int i = 0; i < threads_per_role(); i++) {
        pool_add(&p, SN_WRITER, i, NULL, deadline);
        pool_add(&p, SN_READER, i, NULL, deadline);
    }
    pool_start(&p, snapshot_worker);
    pool_join(&p);
    cr_log_info("mset/mget: %lld MSETs, %lld reads", pool_ops(&p, SN_WRITER), pool_ops(&p, SN_READER));
    cr_assert_eq(pool_viol(&p, 0), 0, "%lld MGETs saw two MSETs mixed; first: %s", pool_viol(&p, 0), pool_note(&p));
    cr_assert_eq(pool_viol(&p, 1), 0, "%lld MULTI GETs saw two MSETs mixed; first: %s", pool_viol(&p, 1),
                 pool_note(&p));
    redisReply *r = ts_cmd(c, "MGET a b c");
    bool same = r->type == REDIS_REPLY_ARRAY && r->elements == 3 && all_same(r, 0, 3);
    freeReplyObject(r);
    cr_assert(same, "a b c end with different values");
    redisFree(c);
}
