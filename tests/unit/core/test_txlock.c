/* The lock table of the transaction layer: modes and their conflicts,
 * FIFO grants, merged duplicates, database-wide locks through intents,
 * lockless accesses, callbacks that release from inside a grant, and a
 * randomized check that no two conflicting requests are ever granted at
 * once and every request is eventually granted. */
#include <criterion/criterion.h>
#include "ringkv/base/alloc.h"
#include "ringkv/core/txlock.h"

#include <stdio.h>
#include <string.h>

static struct lock_table *t;

static void setup(void) { t = lock_table_create(16); }
static void teardown(void) { lock_table_destroy(t); }

TestSuite(txlock, .init = setup, .fini = teardown);

struct grants {
    int n;
    struct lock_req *order[64];
};

static void on_grant(struct lock_req *r, void *arg)
{
    struct grants *g = arg;
    g->order[g->n++] = r;
}

static struct lock_want key(const char *k, enum lock_mode m) { return (struct lock_want){0, k, strlen(k), m}; }

static struct lock_req *req1(const char *k, enum lock_mode m, struct grants *g)
{
    struct lock_want w = key(k, m);
    return lock_request(t, &w, 1, on_grant, g);
}

Test(txlock, shared_locks_share_and_exclusive_waits)
{
    struct grants g = {0};
    struct lock_req *a = req1("k", LOCK_S, &g), *b = req1("k", LOCK_S, &g), *c = req1("k", LOCK_X, &g);
    cr_assert(a->granted && b->granted && !c->granted);
    lock_release(t, a);
    cr_assert_eq(g.n, 0, "X is granted only when both readers left");
    lock_release(t, b);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.order[0], c);
    cr_assert(c->granted);
    lock_release(t, c);
    cr_assert(!lock_table_busy(t));
    cr_assert_eq(lock_table_entries(t), 0, "key entries are dropped with their last request");
}

Test(txlock, fifo_a_reader_behind_a_waiting_writer_waits)
{
    struct grants g = {0};
    struct lock_req *a = req1("k", LOCK_S, &g), *w = req1("k", LOCK_X, &g), *r = req1("k", LOCK_S, &g);
    cr_assert(a->granted && !w->granted && !r->granted);
    lock_release(t, a);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.order[0], w);
    lock_release(t, w);
    cr_assert_eq(g.n, 2);
    cr_assert_eq(g.order[1], r);
    lock_release(t, r);
}

Test(txlock, request_is_granted_when_all_its_keys_are)
{
    struct grants g = {0};
    struct lock_req *x = req1("x", LOCK_X, &g), *y = req1("y", LOCK_X, &g);
    struct lock_want both[] = {key("x", LOCK_X), key("y", LOCK_S)};
    struct lock_req *r = lock_request(t, both, 2, on_grant, &g);
    cr_assert(!r->granted);
    lock_release(t, x);
    cr_assert_eq(g.n, 0);
    lock_release(t, y);
    cr_assert_eq(g.n, 1);
    lock_release(t, r);
}

Test(txlock, duplicate_keys_merge_to_the_strongest_mode)
{
    struct grants g = {0};
    struct lock_want dup[] = {key("k", LOCK_S), key("k", LOCK_X), key("k", LOCK_S)};
    struct lock_req *r = lock_request(t, dup, 3, on_grant, &g);
    cr_assert(r->granted, "a request never waits for itself");
    cr_assert(lock_table_blocks(t, 0, "k", 1, false), "merged to X: a reader is blocked");
    lock_release(t, r);
}

Test(txlock, lockless_accesses_check_granted_locks)
{
    struct grants g = {0};
    cr_assert(!lock_table_blocks(t, 0, "k", 1, true), "empty table blocks nothing");
    struct lock_req *s = req1("k", LOCK_S, &g);
    cr_assert(!lock_table_blocks(t, 0, "k", 1, false));
    cr_assert(lock_table_blocks(t, 0, "k", 1, true));
    cr_assert(!lock_table_blocks(t, 0, "other", 5, true));
    cr_assert(!lock_table_blocks(t, 1, "k", 1, true), "another database's k");
    struct lock_req *x = req1("k", LOCK_X, &g);
    cr_assert(!lock_table_blocks(t, 0, "k", 1, false), "a waiting writer does not hold the key");
    lock_release(t, s);
    cr_assert(lock_table_blocks(t, 0, "k", 1, false));
    lock_release(t, x);
}

Test(txlock, database_locks_conflict_with_key_locks_through_intents)
{
    struct grants g = {0};
    struct lock_req *k = req1("k", LOCK_X, &g);
    struct lock_want dbx = {0, NULL, 0, LOCK_X}, dbs = {0, NULL, 0, LOCK_S};
    struct lock_req *flush = lock_request(t, &dbx, 1, on_grant, &g);
    cr_assert(!flush->granted, "FLUSHDB waits for the key writer");
    struct lock_req *other = req1("other", LOCK_S, &g);
    cr_assert(!other->granted, "a key lock queued behind a database X waits");
    cr_assert(!lock_table_blocks(t, 0, "zzz", 3, true), "the database X is not granted yet");
    lock_release(t, k);
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.order[0], flush);
    cr_assert(lock_table_blocks(t, 0, "zzz", 3, false), "under a database X nothing runs");
    cr_assert(lock_table_blocks_db(t, 0, false));
    cr_assert(!lock_table_blocks(t, 3, "zzz", 3, true), "other databases are free");
    lock_release(t, flush);
    cr_assert_eq(g.n, 2);
    lock_release(t, other);
    struct lock_req *size = lock_request(t, &dbs, 1, on_grant, &g);
    struct lock_req *reader = req1("k", LOCK_S, &g);
    cr_assert(size->granted && reader->granted, "DBSIZE's S and a key reader's IS share");
    struct lock_req *writer = req1("k2", LOCK_X, &g);
    cr_assert(!writer->granted, "IX conflicts with S");
    cr_assert(lock_table_blocks(t, 0, "k3", 2, true) && !lock_table_blocks(t, 0, "k3", 2, false));
    lock_release(t, size);
    lock_release(t, reader);
    lock_release(t, writer);
}

/* A callback that releases its own request at once, as a client's single
 * command waiting for a key does. */
static void run_and_release(struct lock_req *r, void *arg)
{
    int *ran = arg;
    (*ran)++;
    lock_release(t, r);
}

Test(txlock, callbacks_may_release_inside_a_grant)
{
    int ran = 0;
    struct grants g = {0};
    struct lock_req *x = req1("k", LOCK_X, &g);
    struct lock_want w = key("k", LOCK_X);
    for (int i = 0; i < 5; i++) cr_assert(!lock_request(t, &w, 1, run_and_release, &ran)->granted);
    struct lock_req *last = req1("k", LOCK_X, &g);
    lock_release(t, x);
    cr_assert_eq(ran, 5, "each waiter ran and released, letting the next in");
    cr_assert_eq(g.n, 1);
    cr_assert_eq(g.order[0], last);
    lock_release(t, last);
    cr_assert(!lock_table_busy(t));
}

Test(txlock, destroy_frees_requests_left_queued)
{
    struct grants g = {0};
    struct lock_want two[] = {key("a", LOCK_X), key("b", LOCK_X)};
    lock_request(t, two, 2, on_grant, &g);
    lock_request(t, two, 2, on_grant, &g);
    struct lock_want db = {2, NULL, 0, LOCK_X};
    lock_request(t, &db, 1, on_grant, &g);
    /* teardown destroys the table; ASan/LSan check nothing leaks. */
}

/* Random requests over a few keys: at every moment the granted ones are
 * pairwise compatible, and releasing everything grants everything. */
static const bool ok_with[LOCK_MODES][LOCK_MODES] = {
    {true, true, true, false}, {true, true, false, false}, {true, false, true, false}, {false, false, false, false}};

struct rq {
    struct lock_req *req;
    struct lock_want w[3];
    int n;
};

static bool conflict(const struct rq *a, const struct rq *b)
{
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) {
            const struct lock_want *x = &a->w[i], *y = &b->w[j];
            if (x->dbid != y->dbid) continue;
            enum lock_mode mx = x->mode, my = y->mode;
            if (x->key && y->key) {
                if (strcmp(x->key, y->key) == 0 && !ok_with[mx][my]) return true;
            } else if (x->key || y->key) {
                /* key vs database: the key side holds an intent */
                enum lock_mode intent = (x->key ? mx : my) == LOCK_X ? LOCK_IX : LOCK_IS;
                if (!ok_with[x->key ? intent : mx][y->key ? intent : my]) return true;
            } else if (!ok_with[mx][my]) {
                return true;
            }
        }
    return false;
}

static void noop_grant(struct lock_req *r, void *arg) { (void)r, (void)arg; }

Test(txlock, random_requests_never_grant_conflicts)
{
    static const char *keys[] = {"a", "b", "c", "d"};
    uint64_t seed = 12345;
    struct rq live[40];
    int nlive = 0;
    for (int step = 0; step < 20000; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33);
        if (nlive < 40 && (r % 3 != 0 || nlive == 0)) {
            struct rq *q = &live[nlive++];
            q->n = 1 + (int)(r % 3);
            for (int i = 0; i < q->n; i++) {
                unsigned v = r >> (4 + 4 * i);
                bool whole_db = v % 11 == 0;
                q->w[i] = (struct lock_want){(int)(v / 11 % 2), whole_db ? NULL : keys[v / 3 % 4],
                                             whole_db ? 0 : 1, (v / 7) % 2 ? LOCK_X : LOCK_S};
            }
            q->req = lock_request(t, q->w, (uint32_t)q->n, noop_grant, NULL);
        } else {
            int i = (int)(r % (unsigned)nlive);
            lock_release(t, live[i].req);
            live[i] = live[--nlive];
        }
        for (int i = 0; i < nlive; i++)
            for (int j = i + 1; j < nlive; j++)
                if (live[i].req->granted && live[j].req->granted)
                    cr_assert(!conflict(&live[i], &live[j]), "step %d: conflicting grants", step);
    }
    /* Releasing granted ones one by one must let every request through. */
    while (nlive) {
        int i = 0;
        while (i < nlive && !live[i].req->granted) i++;
        cr_assert_lt(i, nlive, "nothing granted while %d wait: deadlock", nlive);
        lock_release(t, live[i].req);
        live[i] = live[--nlive];
    }
    cr_assert(!lock_table_busy(t));
}
