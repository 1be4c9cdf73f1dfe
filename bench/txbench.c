/* txbench.c: a load generator for MULTI/EXEC transactions, the one workload
 * redis-benchmark cannot send (bench/compare's multi2x; see bench/README.md).
 *
 * Every transaction is four commands on one connection:
 *
 *     MULTI
 *     SET {A}:tx:K <value>
 *     SET {B}:tx:K <value>
 *     EXEC
 *
 * with K a random integer below -r (printed %012d, as redis-benchmark does)
 * and A, B two hash tags (-A, -B; bench/compare picks them so that the two
 * keys live on different ringkv shards). Each of the -c connections sends
 * -P transactions at once and waits for all their replies before sending the
 * next -P (redis-benchmark's pipelining), until -n transactions are done.
 * Every reply is checked against what Redis answers (+OK, +QUEUED, +QUEUED,
 * *2 +OK +OK); any other reply is counted, the first one is printed, and the
 * run fails (exit 1, no CSV row) so a wrong server cannot post a figure.
 *
 * The value starts with a stamp unique to the transaction ("conn:seq:") and
 * is padded with 'x' to -d bytes. With -V, txbench then reads every pair
 * back (GET {A}:tx:K, GET {B}:tx:K for all K) and fails unless both keys of
 * each pair are absent or hold the same value: both SETs of a transaction
 * happen together, so the last transaction to touch K wrote both.
 *
 * Output: redis-benchmark's --csv format on stdout,
 *     "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
 * where rps is transactions per second over the whole run, and a
 * transaction's latency runs from the moment its batch was written to the
 * moment its EXEC reply was read (redis-benchmark times a whole batch to its
 * first reply instead). A one-line summary goes to stderr.
 *
 * Plain sockets and epoll; one thread; no dependencies. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STALL_MS 10000 /* no reply for this long while waiting: fail */

struct opts {
    const char *host, *port, *tag_a, *tag_b, *title;
    long clients, requests, pipeline, data_size, keyspace;
    uint64_t seed;
    int verify;
};

struct conn {
    int fd, id;
    uint64_t rng;
    uint64_t seq;        /* transactions this connection has sent */
    char *out;           /* the batch being written */
    size_t out_len, out_off, out_cap;
    char *in;            /* replies not yet parsed */
    size_t in_len, in_cap;
    long batch;          /* transactions in the current batch */
    long done_in_batch;  /* of which EXEC has been answered */
    int reply_idx;       /* 0..3: next reply expected within a transaction */
    uint64_t batch_start_ns;
    int want_out;        /* EPOLLOUT registered */
};

static const char *const EXPECT[4] = {
    "+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "*2\r\n+OK\r\n+OK\r\n",
};
static const char *const EXPECT_WHAT[4] = {"MULTI", "first SET", "second SET", "EXEC"};

static struct opts O;
static int epfd;
static long issued, finished, unexpected;
static uint32_t *lat_us; /* one per finished transaction */
static char first_unexpected[200];

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "txbench: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) die("out of memory");
    return p;
}

/* ---------------------------------------------------------------- output */

static void out_reserve(struct conn *c, size_t more)
{
    if (c->out_len + more <= c->out_cap) return;
    while (c->out_len + more > c->out_cap) c->out_cap = c->out_cap ? c->out_cap * 2 : 4096;
    c->out = xrealloc(c->out, c->out_cap);
}

static void out_add(struct conn *c, const char *s, size_t n)
{
    out_reserve(c, n);
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

static void out_bulk(struct conn *c, const char *s, size_t n)
{
    char head[32];
    int h = snprintf(head, sizeof head, "$%zu\r\n", n);
    out_add(c, head, (size_t)h);
    out_add(c, s, n);
    out_add(c, "\r\n", 2);
}

static size_t key_name(char *buf, size_t cap, const char *tag, uint64_t k)
{
    return (size_t)snprintf(buf, cap, "{%s}:tx:%012llu", tag, (unsigned long long)k);
}

/* The value for this connection's transaction seq: "id:seq:" then 'x's. */
static void make_value(char *val, size_t size, int id, uint64_t seq)
{
    char stamp[48];
    int n = snprintf(stamp, sizeof stamp, "%d:%llu:", id, (unsigned long long)seq);
    memset(val, 'x', size);
    memcpy(val, stamp, (size_t)n < size ? (size_t)n : size);
}

static void add_transaction(struct conn *c, char *val)
{
    char key[300];
    uint64_t k = O.keyspace > 0 ? rng_next(&c->rng) % (uint64_t)O.keyspace : 0;
    make_value(val, (size_t)O.data_size, c->id, c->seq++);
    out_add(c, "*1\r\n$5\r\nMULTI\r\n", 15);
    for (int i = 0; i < 2; i++) {
        size_t kn = key_name(key, sizeof key, i ? O.tag_b : O.tag_a, k);
        out_add(c, "*3\r\n$3\r\nSET\r\n", 13);
        out_bulk(c, key, kn);
        out_bulk(c, val, (size_t)O.data_size);
    }
    out_add(c, "*1\r\n$4\r\nEXEC\r\n", 14);
}

static void set_events(struct conn *c, int want_out)
{
    if (c->want_out == want_out) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    c->want_out = want_out;
}

static void flush_out(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            die("connection %d: write: %s", c->id, strerror(errno));
        }
        c->out_off += (size_t)w;
    }
    set_events(c, c->out_off < c->out_len);
}

/* Start the connection's next batch; 0 when there is nothing left to send. */
static int start_batch(struct conn *c, char *val)
{
    long k = O.requests - issued;
    if (k > O.pipeline) k = O.pipeline;
    if (k <= 0) return 0;
    issued += k;
    c->out_len = c->out_off = 0;
    for (long i = 0; i < k; i++) add_transaction(c, val);
    c->batch = k;
    c->done_in_batch = 0;
    c->reply_idx = 0;
    c->batch_start_ns = now_ns();
    flush_out(c);
    return 1;
}

/* ---------------------------------------------------------------- replies */

/* Bytes of the complete RESP value at b, 0 if more bytes are needed, -1 if
 * it is not RESP. */
static long resp_span(const char *b, size_t len)
{
    const char *nl = len ? memchr(b, '\n', len) : NULL;
    if (!nl) return 0;
    if (nl == b || nl[-1] != '\r') return -1;
    size_t head = (size_t)(nl - b) + 1;
    char *end;
    long n;
    switch (b[0]) {
    case '+': case '-': case ':': case '_': case ',': case '#': case '(':
        return (long)head;
    case '$': case '!': case '=':
        n = strtol(b + 1, &end, 10);
        if (end != nl - 1) return -1;
        if (n < 0) return (long)head;
        return len < head + (size_t)n + 2 ? 0 : (long)(head + (size_t)n + 2);
    case '*': case '%': case '~': case '>': {
        n = strtol(b + 1, &end, 10);
        if (end != nl - 1) return -1;
        if (b[0] == '%') n *= 2;
        size_t off = head;
        for (long i = 0; i < n; i++) {
            long s = resp_span(b + off, len - off);
            if (s <= 0) return s;
            off += (size_t)s;
        }
        return (long)off;
    }
    default:
        return -1;
    }
}

static void note_unexpected(const struct conn *c, const char *r, size_t n)
{
    if (unexpected++) return;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof first_unexpected; i++) {
        unsigned char ch = (unsigned char)r[i];
        if (ch == '\r') { first_unexpected[o++] = '\\'; first_unexpected[o++] = 'r'; }
        else if (ch == '\n') { first_unexpected[o++] = '\\'; first_unexpected[o++] = 'n'; }
        else first_unexpected[o++] = (ch >= 32 && ch < 127) ? (char)ch : '?';
    }
    first_unexpected[o] = 0;
    fprintf(stderr, "txbench: connection %d: unexpected reply to %s: %s\n", c->id,
            EXPECT_WHAT[c->reply_idx], first_unexpected);
}

static void read_replies(struct conn *c, char *val, long *live)
{
    for (;;) { /* one read, more only while they fill the buffer */
        if (c->in_cap - c->in_len < 16384) {
            c->in_cap = c->in_cap ? c->in_cap * 2 : 65536;
            c->in = xrealloc(c->in, c->in_cap);
        }
        size_t room = c->in_cap - c->in_len;
        ssize_t r = read(c->fd, c->in + c->in_len, room);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            die("connection %d: read: %s", c->id, strerror(errno));
        }
        if (r == 0)
            die("connection %d: the server closed the connection (%ld of %ld transactions "
                "done, %ld unexpected replies)", c->id, finished, O.requests, unexpected);
        c->in_len += (size_t)r;
        if ((size_t)r < room) break;
    }
    uint64_t t = now_ns();
    size_t off = 0;
    while (off < c->in_len) {
        long s = resp_span(c->in + off, c->in_len - off);
        if (s < 0) die("connection %d: not a RESP reply: %.40s", c->id, c->in + off);
        if (s == 0) break;
        if (c->done_in_batch >= c->batch)
            die("connection %d: a reply nobody asked for: %.40s", c->id, c->in + off);
        const char *want = EXPECT[c->reply_idx];
        if ((size_t)s != strlen(want) || memcmp(c->in + off, want, (size_t)s) != 0)
            note_unexpected(c, c->in + off, (size_t)s);
        off += (size_t)s;
        if (++c->reply_idx == 4) {
            c->reply_idx = 0;
            c->done_in_batch++;
            uint64_t us = (t - c->batch_start_ns) / 1000;
            lat_us[finished++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
        }
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    if (c->done_in_batch == c->batch && !start_batch(c, val)) {
        if (c->in_len) die("connection %d: a reply nobody asked for", c->id);
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        (*live)--;
    }
}

/* ---------------------------------------------------------------- setup */

static int connect_to(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *p;
    int rc = getaddrinfo(O.host, O.port, &hints, &ai);
    if (rc) die("%s:%s: %s", O.host, O.port, gai_strerror(rc));
    int fd = -1;
    for (p = ai; p; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) die("cannot connect to %s:%s: %s", O.host, O.port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double pct_ms(long n, double p)
{
    long i = (long)(p / 100.0 * (double)n + 0.5) - 1;
    if (i < 0) i = 0;
    if (i >= n) i = n - 1;
    return lat_us[i] / 1000.0;
}

/* ---------------------------------------------------------------- -V */

/* Blocking: send a buffer, then read exactly `replies` replies into buf. */
static void roundtrip(int fd, const char *req, size_t reqlen, char **buf, size_t *cap,
                      size_t *len, long replies)
{
    for (size_t o = 0; o < reqlen;) {
        ssize_t w = write(fd, req + o, reqlen - o);
        if (w < 0 && errno != EINTR) die("verify: write: %s", strerror(errno));
        if (w > 0) o += (size_t)w;
    }
    *len = 0;
    for (;;) {
        size_t off = 0;
        long got = 0;
        while (got < replies) {
            long s = resp_span(*buf + off, *len - off);
            if (s < 0) die("verify: not a RESP reply");
            if (s == 0) break;
            off += (size_t)s;
            got++;
        }
        if (got == replies) return;
        if (*cap - *len < 65536) { *cap = *cap * 2 + 65536; *buf = xrealloc(*buf, *cap); }
        ssize_t r = read(fd, *buf + *len, *cap - *len);
        if (r == 0) die("verify: the server closed the connection");
        if (r < 0 && errno != EINTR) die("verify: read: %s", strerror(errno));
        if (r > 0) *len += (size_t)r;
    }
}

/* Read a bulk reply at *p: returns its length (-1 for nil), sets *data. */
static long take_bulk(const char **p, const char **data)
{
    const char *b = *p;
    if (b[0] != '$') die("verify: GET answered %.40s", b);
    long n = strtol(b + 1, NULL, 10);
    const char *nl = strchr(b, '\n');
    *data = nl + 1;
    *p = n < 0 ? nl + 1 : nl + 1 + n + 2;
    return n;
}

static int verify_pairs(void)
{
    int fd = connect_to();
    const long chunk = 1000;
    char *req = NULL, *buf = NULL;
    size_t req_cap = 0, cap = 0, len;
    long present = 0, mismatched = 0;
    char key[300];
    for (long k0 = 0; k0 < O.keyspace; k0 += chunk) {
        long m = O.keyspace - k0 < chunk ? O.keyspace - k0 : chunk;
        size_t rl = 0;
        for (long k = k0; k < k0 + m; k++) {
            for (int i = 0; i < 2; i++) {
                size_t kn = key_name(key, sizeof key, i ? O.tag_b : O.tag_a, (uint64_t)k);
                if (req_cap - rl < kn + 64) {
                    req_cap = req_cap * 2 + kn + 65536;
                    req = xrealloc(req, req_cap);
                }
                rl += (size_t)snprintf(req + rl, req_cap - rl, "*2\r\n$3\r\nGET\r\n$%zu\r\n%s\r\n",
                                       kn, key);
            }
        }
        roundtrip(fd, req, rl, &buf, &cap, &len, 2 * m);
        const char *p = buf;
        for (long k = k0; k < k0 + m; k++) {
            const char *da, *db;
            long na = take_bulk(&p, &da), nb = take_bulk(&p, &db);
            if (na >= 0 || nb >= 0) present++;
            if (na != nb || (na > 0 && memcmp(da, db, (size_t)na) != 0)) {
                if (!mismatched)
                    fprintf(stderr, "txbench: verify: K=%ld: {%s} holds %.*s, {%s} holds %.*s\n",
                            k, O.tag_a, na < 0 ? 5 : (int)(na > 30 ? 30 : na),
                            na < 0 ? "(nil)" : da, O.tag_b,
                            nb < 0 ? 5 : (int)(nb > 30 ? 30 : nb), nb < 0 ? "(nil)" : db);
                mismatched++;
            }
        }
    }
    close(fd);
    free(req);
    free(buf);
    fprintf(stderr, "txbench: verify: %ld of %ld pairs written, %ld with the two keys "
            "different\n", present, O.keyspace, mismatched);
    return mismatched == 0 && present > 0;
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr,
            "usage: txbench [-h host] [-p port] [-c clients] [-n transactions] [-P depth]\n"
            "               [-d value bytes] [-r keyspace] [-A tag] [-B tag] [-s seed]\n"
            "               [-t title] [-V]\n"
            "Sends MULTI; SET {A}:tx:K v; SET {B}:tx:K v; EXEC transactions, -P per\n"
            "connection at a time; prints redis-benchmark's --csv format (rps =\n"
            "transactions per second). -V: afterwards read every pair back and fail\n"
            "unless both keys of each pair hold the same value.\n"
            "Defaults: 127.0.0.1 6379 -c 50 -n 100000 -P 1 -d 64 -r 100000 -A b -B a\n"
            "(slots 3300 and 15495: different shards at --shards 2 and 4).\n");
    exit(2);
}

static long num_arg(const char *s, const char *what, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min) die("%s must be an integer >= %ld, not '%s'", what, min, s);
    return v;
}

int main(int argc, char **argv)
{
    O = (struct opts){.host = "127.0.0.1", .port = "6379", .tag_a = "b", .tag_b = "a",
                      .title = "MULTI_SET2_EXEC", .clients = 50, .requests = 100000,
                      .pipeline = 1, .data_size = 64, .keyspace = 100000, .seed = 1};
    int opt;
    while ((opt = getopt(argc, argv, "h:p:c:n:P:d:r:A:B:s:t:V")) != -1) {
        switch (opt) {
        case 'h': O.host = optarg; break;
        case 'p': O.port = optarg; break;
        case 'c': O.clients = num_arg(optarg, "-c", 1); break;
        case 'n': O.requests = num_arg(optarg, "-n", 1); break;
        case 'P': O.pipeline = num_arg(optarg, "-P", 1); break;
        case 'd': O.data_size = num_arg(optarg, "-d", 1); break;
        case 'r': O.keyspace = num_arg(optarg, "-r", 1); break;
        case 'A': O.tag_a = optarg; break;
        case 'B': O.tag_b = optarg; break;
        case 's': O.seed = (uint64_t)num_arg(optarg, "-s", 0); break;
        case 't': O.title = optarg; break;
        case 'V': O.verify = 1; break;
        default: usage();
        }
    }
    if (optind != argc) usage();
    if (strlen(O.tag_a) > 200 || strlen(O.tag_b) > 200) die("tags are limited to 200 bytes");
    if (O.verify && O.data_size < 24) die("-V needs -d 24 or more (the value carries a stamp)");

    lat_us = malloc(sizeof *lat_us * (size_t)O.requests);
    char *val = malloc((size_t)O.data_size);
    struct conn *conns = calloc((size_t)O.clients, sizeof *conns);
    if (!lat_us || !val || !conns) die("out of memory");
    epfd = epoll_create1(0);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));

    for (long i = 0; i < O.clients; i++) {
        struct conn *c = &conns[i];
        c->id = (int)i;
        c->fd = connect_to();
        c->rng = (O.seed + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(i + 1) * 0xD1B54A32D192ED03ull;
        if (!c->rng) c->rng = 1;
        fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    }

    uint64_t t0 = now_ns();
    long live = 0;
    for (long i = 0; i < O.clients; i++) {
        if (start_batch(&conns[i], val)) live++;
        else epoll_ctl(epfd, EPOLL_CTL_DEL, conns[i].fd, NULL);
    }
    struct epoll_event evs[256];
    while (live > 0) {
        int n = epoll_wait(epfd, evs, 256, STALL_MS);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        if (n == 0)
            die("no reply for %d s (%ld of %ld transactions done)", STALL_MS / 1000, finished,
                O.requests);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT) flush_out(c);
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_replies(c, val, &live);
        }
    }
    uint64_t t1 = now_ns();
    for (long i = 0; i < O.clients; i++) {
        close(conns[i].fd);
        free(conns[i].out);
        free(conns[i].in);
    }

    if (unexpected) {
        fprintf(stderr, "txbench: error: %ld of %ld replies were not what Redis answers "
                "(first: %s); no result printed\n", unexpected, 4 * finished, first_unexpected);
        return 1;
    }
    double secs = (double)(t1 - t0) / 1e9;
    qsort(lat_us, (size_t)finished, sizeof *lat_us, cmp_u32);
    double sum = 0;
    for (long i = 0; i < finished; i++) sum += lat_us[i];
    if (O.verify && !verify_pairs()) {
        fprintf(stderr, "txbench: error: verify failed\n");
        return 1;
    }
    printf("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
           "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n");
    printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", O.title,
           (double)finished / secs, sum / (double)finished / 1000.0, lat_us[0] / 1000.0,
           pct_ms(finished, 50), pct_ms(finished, 95), pct_ms(finished, 99),
           lat_us[finished - 1] / 1000.0);
    fflush(stdout);
    fprintf(stderr, "txbench: %ld transactions (%ld replies, all as expected) in %.2f s over "
            "%ld connections, -P %ld\n", finished, 4 * finished, secs, O.clients, O.pipeline);
    free(lat_us);
    free(val);
    free(conns);
    return 0;
}
