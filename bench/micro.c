/* micro.c — micro benchmarks of ringkv's building blocks (not a test):
 *   - RESP request parsing, ns per command;
 *   - keyspace lookup and insert at 1M keys, ns per operation;
 *   - a cross-shard request/response round trip over MSG_RING between two
 *     rings on two threads, one message at a time and in batches.
 * Run: ninja -C build bench-micro  (or ./build/bench/micro) */
#include "ringkv/base/alloc.h"
#include "ringkv/data/db.h"
#include "ringkv/data/object.h"
#include "ringkv/proto/resp.h"
#include "ringkv/core/ring.h"
#include "ringkv/base/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

/* Single-threaded figures use this thread's CPU time, so a busy machine
 * slows them less; the round trip (two threads) is wall time. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void) { return (double)monotonic_us() * 1000.0; }

static void bench_parse(void)
{
    const char *req = "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$64\r\n"
                      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
    size_t rlen = strlen(req), n = 2000000;
    char *buf = rk_malloc(rlen * 1000);
    for (int i = 0; i < 1000; i++) memcpy(buf + (size_t)i * rlen, req, rlen);
    struct resp_parser p;
    resp_parser_init(&p, 512LL << 20);
    double t0 = cpu_ns();
    size_t done = 0;
    while (done < n) {
        size_t off = 0, total = rlen * 1000;
        while (off < total) {
            if (resp_parse(&p, buf + off, total - off) != RESP_DONE) abort();
            off += resp_consumed(&p);
            done++;
        }
    }
    printf("resp_parse (SET, 16-byte key, 64-byte value): %.1f ns/command CPU\n", (cpu_ns() - t0) / (double)done);
    resp_parser_deinit(&p);
    rk_free(buf);
}

static void bench_keyspace(void)
{
    enum { N = 1000000 };
    struct db_stats stats = {0};
    struct db db;
    char key[32];
    db_init(&db, &stats, 1);
    double t0 = cpu_ns();
    for (int i = 0; i < N; i++) {
        int len = snprintf(key, sizeof(key), "key:%012d", i);
        db_set(&db, kv_new_string(key, (size_t)len, "value-value-value-value-value-32", 32), false);
    }
    double t1 = cpu_ns();
    uint64_t x = 88172645463325252ull, hits = 0;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        int len = snprintf(key, sizeof(key), "key:%012d", (int)(x % N));
        hits += db_lookup(&db, key, (size_t)len) != NULL;
    }
    double t2 = cpu_ns();
    printf("keyspace insert (1M string keys, incl. key formatting): %.1f ns/op CPU\n", (t1 - t0) / N);
    printf("keyspace random lookup at 1M keys (incl. key formatting): %.1f ns/op CPU (%llu hits)\n", (t2 - t1) / N, (unsigned long long)hits);
    db_deinit(&db);
}

/* Two rings ping-pong a message: the server side answers each arrival. */
struct pingpong {
    struct ring *ring;
    int peer_fd;
    long long remaining;
    struct ring_op op;
    pthread_barrier_t *ready;
    int *fds;
    int id;
};

static __thread struct pingpong *self_pp;

static void on_msg(struct ring_op *op, int res, uint32_t flags)
{
    struct pingpong *pp = self_pp;
    /* Send it straight back: the message is the op itself. */
    if (pp->id == 1) ring_msg_post(pp->ring, pp->fds[0], op, NULL);
    else pp->remaining--;
}

static void *pp_thread(void *arg)
{
    struct pingpong *pp = arg;
    int err;
    self_pp = pp;
    pp->ring = ring_create(1024, NULL, &err);
    pp->fds[pp->id] = ring_fd(pp->ring);
    pthread_barrier_wait(pp->ready);
    if (pp->id == 1) {
        while (pp->remaining > 0) ring_run(pp->ring, 1);
    }
    return pp;
}

static void bench_round_trip(int inflight, long long total)
{
    int fds[2];
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, 2);
    struct pingpong server = {.id = 1, .fds = fds, .ready = &ready, .remaining = 1};
    struct pingpong client = {.id = 0, .fds = fds, .ready = &ready};
    pthread_t t;
    pthread_create(&t, NULL, pp_thread, &server);
    int err;
    self_pp = &client;
    client.ring = ring_create(1024, NULL, &err);
    fds[0] = ring_fd(client.ring);
    pthread_barrier_wait(&ready);
    struct ring_op *msgs = rk_calloc((size_t)inflight, sizeof(*msgs));
    client.remaining = total;
    double t0 = now_ns();
    long long sent = 0;
    for (int i = 0; i < inflight && sent < total; i++, sent++) {
        msgs[i].cb = on_msg;
        ring_msg_post(client.ring, fds[1], &msgs[i], NULL);
    }
    while (client.remaining > 0) {
        long long before = client.remaining;
        ring_run(client.ring, 1);
        for (long long k = before - client.remaining; k > 0 && sent < total; k--, sent++)
            ring_msg_post(client.ring, fds[1], &msgs[sent % inflight], NULL);
    }
    double t1 = now_ns();
    printf("MSG_RING round trip, %d in flight: %.0f ns each wall (%.2f M/s)\n", inflight, (t1 - t0) / (double)total,
           (double)total / ((t1 - t0) / 1e9) / 1e6);
    /* stop the server thread */
    server.remaining = 0;
    struct ring_op stop = {on_msg};
    ring_msg_post(client.ring, fds[1], &stop, NULL);
    ring_run(client.ring, 0);
    pthread_join(t, NULL);
    rk_free(msgs);
}

int main(void)
{
    bench_parse();
    bench_keyspace();
    bench_round_trip(1, 50000);
    bench_round_trip(64, 1000000);
    return 0;
}
