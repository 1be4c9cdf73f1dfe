/* pubbench.c: a pub/sub load generator (bench/compare's pub1, pub100 and
 * pub1000 workloads; see bench/README.md).
 *
 * -S subscriber connections each SUBSCRIBE to one channel (-C), or with -K
 * PSUBSCRIBE to a pattern that matches it. pubbench checks every
 * subscription reply, then waits until the server says they are all there
 * (PUBSUB NUMSUB, or PUBSUB NUMPAT with -K) before it starts -c publisher
 * connections. Each publisher sends -P PUBLISHes at once and waits for all
 * their replies before sending the next -P (redis-benchmark's pipelining),
 * until -n messages are published in all. Every PUBLISH reply must be :S
 * (the message reached every subscriber).
 *
 * Meanwhile the subscribers read (epoll, nonblocking, the same thread).
 * Every message carries its publisher, its sequence number within that
 * publisher and the time its batch was written, as 24 hex digits padded
 * with 'x' to -d bytes. Each subscriber must see every publisher's messages
 * exactly once and in order, each message byte-for-byte as Redis frames it
 * (*3 message CHANNEL PAYLOAD, or *4 pmessage PATTERN CHANNEL PAYLOAD);
 * anything else (a gap, a duplicate, a reordering, a foreign reply, a
 * closed subscriber) stops pubbench at once with exit status 1 and no
 * result, so a wrong server cannot post a figure.
 *
 * Publishers do not start a batch while some subscriber is more than -w
 * messages behind the PUBLISHes already answered, so a client that reads
 * more slowly than the server delivers measures the rate it can sustain
 * instead of filling the server's output buffers up to its pubsub limit.
 *
 * Output: redis-benchmark's --csv format on stdout,
 *     "test","rps","avg_latency_ms",...,"max_latency_ms","publish_rps",
 *     "deliveries","subscribers","publishers"
 * where rps is *deliveries* per second (messages read by subscribers,
 * S per message) and publish_rps messages per second, both over the whole
 * run (first PUBLISH written to last message read; rps = publish_rps * S),
 * and the latencies are those of deliveries, from the moment a message's
 * batch was written to the moment a subscriber read it. A one-line summary
 * goes to stderr.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define STALL_MS 10000   /* nothing happening for this long: fail */
#define STAMP 24         /* hex digits: publisher 4, sequence 8, time 12 */
#define SUB_BUF 65536    /* read buffer per subscriber */

struct opts {
    const char *host, *port, *channel, *pattern, *title;
    long subscribers, publishers, messages, pipeline, data_size, window;
};

struct sub {
    int fd, id;
    char *in;
    size_t in_len;
    long got;           /* messages read */
    uint32_t *next;     /* per publisher: the sequence number expected next */
};

struct pub {
    int fd, id;
    uint32_t seq;       /* messages this publisher has sent */
    char *out;
    size_t out_len, out_off, out_cap;
    char in[4096];
    size_t in_len;
    long batch, done_in_batch;
    int want_out, paused, done;
};

struct ep_tag { int kind; void *p; }; /* kind 0: subscriber, 1: publisher */

static struct opts O;
static int epfd;
static struct sub *subs;
static struct pub *pubs;
static struct ep_tag *sub_tags, *pub_tags;
static long issued, acked, delivered, subs_done, pubs_done, paused;
static long min_got;                  /* a lower bound of every subscriber's got */
static uint64_t t0, t_last;
static char prefix[600];              /* what precedes every payload */
static size_t prefix_len, msg_len;
static char pub_reply[32];            /* what every PUBLISH must answer */
static size_t pub_reply_len;

/* Delivery latency in µs: exact below 128, then 64 steps per power of two. */
#define HBUCKETS (128 + 64 * 40)
static uint64_t hist[HBUCKETS];
static uint64_t lat_sum_us, lat_min_us = UINT64_MAX, lat_max_us;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pubbench: error: ");
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

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) die("out of memory");
    return p;
}

/* Printable, escaped copy of the first bytes of a reply for error messages. */
static const char *shown(const char *r, size_t n)
{
    static char buf[260];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof buf; i++) {
        unsigned char ch = (unsigned char)r[i];
        if (ch == '\r') { buf[o++] = '\\'; buf[o++] = 'r'; }
        else if (ch == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
        else buf[o++] = (ch >= 32 && ch < 127) ? (char)ch : '?';
    }
    if (n > 0 && o + 5 >= sizeof buf) { buf[o++] = '.'; buf[o++] = '.'; buf[o++] = '.'; }
    buf[o] = 0;
    return buf;
}

static void hist_add(uint64_t us)
{
    size_t i;
    if (us < 128) {
        i = (size_t)us;
    } else {
        int e = 63 - __builtin_clzll(us); /* >= 7 */
        i = 128 + (size_t)(e - 7) * 64 + ((us >> (e - 6)) & 63);
        if (i >= HBUCKETS) i = HBUCKETS - 1;
    }
    hist[i]++;
    lat_sum_us += us;
    if (us < lat_min_us) lat_min_us = us;
    if (us > lat_max_us) lat_max_us = us;
}

static double hist_value_ms(size_t i) /* the bucket's lower bound */
{
    if (i < 128) return (double)i / 1000.0;
    size_t e = (i - 128) / 64 + 7, sub = (i - 128) % 64;
    return (double)((1ull << e) + (sub << (e - 6))) / 1000.0;
}

static double hist_pct_ms(uint64_t total, double p)
{
    uint64_t want = (uint64_t)(p / 100.0 * (double)total + 0.5), seen = 0;
    if (want < 1) want = 1;
    for (size_t i = 0; i < HBUCKETS; i++) {
        seen += hist[i];
        if (seen >= want) return hist_value_ms(i);
    }
    return (double)lat_max_us / 1000.0;
}

/* ---------------------------------------------------------------- sockets */

static int connect_to(void)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai, *p;
    int rc = getaddrinfo(O.host, O.port, &hints, &ai);
    if (rc) die("%s:%s: %s", O.host, O.port, gai_strerror(rc));
    int fd = -1, err = 0;
    for (p = ai; p; p = p->ai_next) {
        fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
        if (fd < 0) { err = errno; continue; }
        if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0) die("cannot connect to %s:%s: %s", O.host, O.port, strerror(err));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {.tv_sec = STALL_MS / 1000}; /* for the blocking setup phase */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static void write_all(int fd, const char *b, size_t n, const char *who)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("%s: write: %s", who, strerror(errno));
        }
        b += w;
        n -= (size_t)w;
    }
}

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

/* Blocking: read one whole reply into buf (setup phase only). */
static size_t read_reply(int fd, char *buf, size_t cap, const char *who)
{
    size_t len = 0;
    for (;;) {
        long s = resp_span(buf, len);
        if (s < 0) die("%s: not a RESP reply: %s", who, shown(buf, len));
        if (s > 0) {
            if ((size_t)s != len) die("%s: more than one reply: %s", who, shown(buf, len));
            return len;
        }
        if (len == cap) die("%s: reply too long: %s", who, shown(buf, len));
        ssize_t r = read(fd, buf + len, cap - len);
        if (r == 0) die("%s: the server closed the connection", who);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                die("%s: no reply within %d s", who, STALL_MS / 1000);
            die("%s: read: %s", who, strerror(errno));
        }
        len += (size_t)r;
    }
}

static size_t bulk(char *out, size_t cap, const char *s)
{
    return (size_t)snprintf(out, cap, "$%zu\r\n%s\r\n", strlen(s), s);
}

static void set_nonblocking(int fd)
{
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
}

static void ep_add(int fd, struct ep_tag *tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
}

/* ---------------------------------------------------------------- setup */

static void raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur >= need) return;
    if (rl.rlim_max != RLIM_INFINITY && (long)rl.rlim_max < need) {
        rl.rlim_max = (rlim_t)need; /* only root may raise the hard limit */
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? (rlim_t)need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        getrlimit(RLIMIT_NOFILE, &rl);
        die("%ld connections need %ld file descriptors; RLIMIT_NOFILE is %llu (hard %llu) "
            "and cannot be raised: %s", O.subscribers + O.publishers, need,
            (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, strerror(errno));
    }
}

static void subscribe_all(void)
{
    const char *topic = O.pattern ? O.pattern : O.channel;
    const char *verb = O.pattern ? "PSUBSCRIBE" : "SUBSCRIBE";
    const char *lower = O.pattern ? "psubscribe" : "subscribe";
    char req[400], want[600], got[1024], who[64];
    size_t rl = (size_t)snprintf(req, sizeof req, "*2\r\n");
    rl += bulk(req + rl, sizeof req - rl, verb);
    rl += bulk(req + rl, sizeof req - rl, topic);
    size_t wl = (size_t)snprintf(want, sizeof want, "*3\r\n");
    wl += bulk(want + wl, sizeof want - wl, lower);
    wl += bulk(want + wl, sizeof want - wl, topic);
    wl += (size_t)snprintf(want + wl, sizeof want - wl, ":1\r\n");
    /* One at a time: a subscriber is connected, subscribed and confirmed
     * before the next connects, which paces the connects with the server's
     * accepts (no overflowing listen backlog at 1000 subscribers). */
    for (long i = 0; i < O.subscribers; i++) {
        struct sub *s = &subs[i];
        snprintf(who, sizeof who, "subscriber %ld", i);
        s->id = (int)i;
        s->fd = connect_to();
        write_all(s->fd, req, rl, who);
        size_t n = read_reply(s->fd, got, sizeof got, who);
        if (n != wl || memcmp(got, want, wl) != 0) {
            char expected[300];
            snprintf(expected, sizeof expected, "%s", shown(want, wl));
            die("%s: %s answered %s, expected %s", who, verb, shown(got, n), expected);
        }
        s->in = xmalloc(SUB_BUF);
        s->next = xcalloc((size_t)O.publishers, sizeof *s->next);
        set_nonblocking(s->fd);
    }
}

/* Ask the server until it counts every subscriber (NUMSUB) or the pattern
 * (NUMPAT), as a check that they are all registered before publishing. */
static void wait_registered(void)
{
    int fd = connect_to();
    char req[400], got[1024];
    size_t rl = (size_t)snprintf(req, sizeof req, "*%d\r\n", O.pattern ? 2 : 3);
    rl += bulk(req + rl, sizeof req - rl, "PUBSUB");
    rl += bulk(req + rl, sizeof req - rl, O.pattern ? "NUMPAT" : "NUMSUB");
    if (!O.pattern) rl += bulk(req + rl, sizeof req - rl, O.channel);
    uint64_t deadline = now_ns() + (uint64_t)STALL_MS * 1000000u;
    for (;;) {
        write_all(fd, req, rl, "PUBSUB");
        size_t n = read_reply(fd, got, sizeof got - 1, "PUBSUB");
        got[n] = 0;
        long count = -1;
        if (O.pattern) {
            if (got[0] == ':') count = strtol(got + 1, NULL, 10);
            if (count >= 1) break; /* the number of patterns, not subscribers */
        } else {
            /* *2 $len channel :count */
            char *colon = got[0] == '*' ? strrchr(got, ':') : NULL;
            if (colon) count = strtol(colon + 1, NULL, 10);
            if (count == O.subscribers) break;
            if (count > O.subscribers)
                die("PUBSUB NUMSUB %s says %ld subscribers, pubbench has %ld: someone else "
                    "listens on this channel (pick another with -C)", O.channel, count,
                    O.subscribers);
        }
        if (count < 0) die("PUBSUB answered %s", shown(got, n));
        if (now_ns() > deadline)
            die("PUBSUB %s still says %ld after %d s (%ld subscribers confirmed)",
                O.pattern ? "NUMPAT" : "NUMSUB", count, STALL_MS / 1000, O.subscribers);
        usleep(10000);
    }
    close(fd);
}

/* ---------------------------------------------------------------- publishers */

static void out_reserve(struct pub *p, size_t more)
{
    if (p->out_len + more <= p->out_cap) return;
    while (p->out_len + more > p->out_cap) p->out_cap = p->out_cap ? p->out_cap * 2 : 4096;
    p->out = realloc(p->out, p->out_cap);
    if (!p->out) die("out of memory");
}

static const char hexd[] = "0123456789abcdef";

static void put_hex(char *d, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        d[i] = hexd[v & 15];
        v >>= 4;
    }
}

static void set_pub_events(struct pub *p, int want_out)
{
    if (p->want_out == want_out) return;
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = &pub_tags[p->id]};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, p->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    p->want_out = want_out;
}

static void flush_out(struct pub *p)
{
    while (p->out_off < p->out_len) {
        ssize_t w = write(p->fd, p->out + p->out_off, p->out_len - p->out_off);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            die("publisher %d: write: %s", p->id, strerror(errno));
        }
        p->out_off += (size_t)w;
    }
    set_pub_events(p, p->out_off < p->out_len);
}

/* Recompute min_got; only when the cached bound says someone may lag. */
static long lag(void)
{
    if (acked - min_got <= O.window) return acked - min_got;
    long m = O.messages;
    for (long i = 0; i < O.subscribers; i++)
        if (subs[i].got < m) m = subs[i].got;
    min_got = m;
    return acked - min_got;
}

/* Start the publisher's next batch. Returns 0 when it has nothing left to
 * send (done) or must wait for the subscribers (paused). */
static int start_batch(struct pub *p)
{
    long k = O.messages - issued;
    if (k > O.pipeline) k = O.pipeline;
    if (k <= 0) {
        if (p->paused) { p->paused = 0; paused--; }
        if (!p->done) {
            p->done = 1;
            pubs_done++;
            epoll_ctl(epfd, EPOLL_CTL_DEL, p->fd, NULL);
        }
        return 0;
    }
    if (lag() > O.window) {
        if (!p->paused) { p->paused = 1; paused++; }
        return 0;
    }
    if (p->paused) { p->paused = 0; paused--; }
    issued += k;
    p->out_len = p->out_off = 0;
    size_t each = 4 + 11 + 32 + strlen(O.channel) + 16 + (size_t)O.data_size + 2;
    out_reserve(p, each * (size_t)k);
    uint64_t stamp_time = now_ns() - t0;
    for (long i = 0; i < k; i++) {
        int n = snprintf(p->out + p->out_len, p->out_cap - p->out_len,
                         "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s\r\n$%ld\r\n", strlen(O.channel),
                         O.channel, O.data_size);
        char *d = p->out + p->out_len + n;
        put_hex(d, (uint64_t)p->id, 4);
        put_hex(d + 4, p->seq++, 8);
        put_hex(d + 12, stamp_time, 12);
        memset(d + STAMP, 'x', (size_t)O.data_size - STAMP);
        memcpy(d + O.data_size, "\r\n", 2);
        p->out_len += (size_t)n + (size_t)O.data_size + 2;
    }
    p->batch = k;
    p->done_in_batch = 0;
    flush_out(p);
    return 1;
}

static void read_pub(struct pub *p)
{
    for (;;) {
        ssize_t r = read(p->fd, p->in + p->in_len, sizeof p->in - p->in_len);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            die("publisher %d: read: %s", p->id, strerror(errno));
        }
        if (r == 0)
            die("publisher %d: the server closed the connection (%ld of %ld messages answered)",
                p->id, acked, O.messages);
        p->in_len += (size_t)r;
        break;
    }
    size_t off = 0;
    while (off < p->in_len) {
        long s = resp_span(p->in + off, p->in_len - off);
        if (s < 0) die("publisher %d: not a RESP reply: %s", p->id, shown(p->in + off, p->in_len - off));
        if (s == 0) break;
        if (p->done_in_batch >= p->batch)
            die("publisher %d: a reply nobody asked for: %s", p->id, shown(p->in + off, (size_t)s));
        if ((size_t)s != pub_reply_len || memcmp(p->in + off, pub_reply, pub_reply_len) != 0)
            die("publisher %d: PUBLISH answered %s, expected :%ld (the number of subscribers)",
                p->id, shown(p->in + off, (size_t)s), O.subscribers);
        off += (size_t)s;
        p->done_in_batch++;
        acked++;
    }
    if (off == 0 && p->in_len == sizeof p->in) die("publisher %d: reply too long", p->id);
    memmove(p->in, p->in + off, p->in_len - off);
    p->in_len -= off;
    if (p->done_in_batch == p->batch) {
        if (p->in_len) die("publisher %d: a reply nobody asked for: %s", p->id, shown(p->in, p->in_len));
        start_batch(p);
    }
}

/* ---------------------------------------------------------------- subscribers */

static uint64_t parse_hex(const char *s, int digits, int *ok)
{
    uint64_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else { *ok = 0; return 0; }
        v = v << 4 | d;
    }
    return v;
}

static void bad_message(struct sub *s, const char *b, size_t n, const char *why)
{
    long span = resp_span(b, n);
    die("subscriber %d (after %ld of %ld messages): %s: %s", s->id, s->got, O.messages, why,
        shown(b, span > 0 ? (size_t)span : n));
}

static void read_sub(struct sub *s)
{
    ssize_t r;
    for (;;) {
        r = read(s->fd, s->in + s->in_len, SUB_BUF - s->in_len);
        if (r >= 0 || errno != EINTR) break;
    }
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        die("subscriber %d: read: %s", s->id, strerror(errno));
    }
    if (r == 0)
        die("subscriber %d: the server closed the connection after %ld of %ld messages "
            "(its pubsub output buffer limit?)", s->id, s->got, O.messages);
    s->in_len += (size_t)r;
    uint64_t t = now_ns() - t0;
    size_t off = 0;
    while (s->in_len - off >= msg_len) {
        const char *m = s->in + off;
        const char *d = m + prefix_len;
        int ok = 1;
        if (memcmp(m, prefix, prefix_len) != 0 || d[O.data_size] != '\r' || d[O.data_size + 1] != '\n')
            bad_message(s, m, s->in_len - off, "not a message on the channel");
        uint64_t from = parse_hex(d, 4, &ok), seq = parse_hex(d + 4, 8, &ok),
                 sent = parse_hex(d + 12, 12, &ok);
        if (!ok || from >= (uint64_t)O.publishers)
            bad_message(s, m, s->in_len - off, "a payload pubbench did not send");
        uint32_t *want = &s->next[from];
        if (seq != *want) {
            die("subscriber %d: message %llu of publisher %llu arrived when %u was due "
                "(%s; after %ld of %ld messages)", s->id, (unsigned long long)seq,
                (unsigned long long)from, *want,
                seq < *want ? "a duplicate or reordered" : "messages lost or reordered",
                s->got, O.messages);
        }
        (*want)++;
        s->got++;
        delivered++;
        hist_add(t > sent ? (t - sent) / 1000 : 0);
        off += msg_len;
    }
    size_t rest = s->in_len - off;
    if (rest && memcmp(s->in + off, prefix, rest < prefix_len ? rest : prefix_len) != 0)
        bad_message(s, s->in + off, rest, "not a message on the channel");
    memmove(s->in, s->in + off, rest);
    s->in_len = rest;
    if (!off) return;
    t_last = t;
    if (s->got > O.messages)
        die("subscriber %d: %ld messages, more than the %ld published", s->id, s->got, O.messages);
    if (s->got == O.messages) subs_done++; /* this read brought its last one */
}

/* ---------------------------------------------------------------- main */

static void usage(void)
{
    fprintf(stderr,
            "usage: pubbench [-h host] [-p port] [-S subscribers] [-c publishers]\n"
            "                [-n messages] [-P depth] [-d payload bytes] [-C channel]\n"
            "                [-K pattern] [-w window] [-t title]\n"
            "S connections SUBSCRIBE to the channel (or PSUBSCRIBE to -K pattern, which\n"
            "must match it); c publishers PUBLISH -n messages in all, -P at a time each;\n"
            "every subscriber must get every message once, in each publisher's order.\n"
            "Prints redis-benchmark's --csv format with rps = deliveries per second,\n"
            "plus publish_rps, deliveries, subscribers and publishers columns.\n"
            "Defaults: 127.0.0.1 6379 -S 1 -c 50 -n 100000 -P 1 -d 64 -C pubbench\n"
            "-w max(1000, 2 * c * P) (most messages a subscriber may lag behind the\n"
            "answered PUBLISHes before publishers wait). -d is at least %d.\n", STAMP);
    exit(2);
}

static long num_arg(const char *s, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        die("%s must be an integer from %ld to %ld, not '%s'", what, min, max, s);
    return v;
}

int main(int argc, char **argv)
{
    O = (struct opts){.host = "127.0.0.1", .port = "6379", .channel = "pubbench",
                      .subscribers = 1, .publishers = 50, .messages = 100000, .pipeline = 1,
                      .data_size = 64, .window = -1};
    int opt;
    while ((opt = getopt(argc, argv, "h:p:S:c:n:P:d:C:K:w:t:")) != -1) {
        switch (opt) {
        case 'h': O.host = optarg; break;
        case 'p': O.port = optarg; break;
        case 'S': O.subscribers = num_arg(optarg, "-S", 1, 1000000); break;
        case 'c': O.publishers = num_arg(optarg, "-c", 1, 0xffff); break;
        case 'n': O.messages = num_arg(optarg, "-n", 1, 0xffffffffL); break;
        case 'P': O.pipeline = num_arg(optarg, "-P", 1, 1000000); break;
        case 'd': O.data_size = num_arg(optarg, "-d", STAMP, 1 << 20); break;
        case 'C': O.channel = optarg; break;
        case 'K': O.pattern = optarg; break;
        case 'w': O.window = num_arg(optarg, "-w", 1, 0xffffffffL); break;
        case 't': O.title = optarg; break;
        default: usage();
        }
    }
    if (optind != argc) usage();
    if (strlen(O.channel) > 200 || (O.pattern && strlen(O.pattern) > 200))
        die("channel and pattern are limited to 200 bytes");
    if (O.window < 0) {
        O.window = 2 * O.publishers * O.pipeline;
        if (O.window < 1000) O.window = 1000;
    }
    static char title[64];
    if (!O.title) {
        snprintf(title, sizeof title, "PUBLISH_%ld_%s", O.subscribers,
                 O.pattern ? "PSUBSCRIBERS" : "SUBSCRIBERS");
        O.title = title;
    }

    /* The exact bytes of every delivery up to its payload, and of every
     * PUBLISH reply. */
    size_t pl = 0;
    if (O.pattern) {
        pl = (size_t)snprintf(prefix, sizeof prefix, "*4\r\n$8\r\npmessage\r\n");
        pl += bulk(prefix + pl, sizeof prefix - pl, O.pattern);
    } else {
        pl = (size_t)snprintf(prefix, sizeof prefix, "*3\r\n$7\r\nmessage\r\n");
    }
    pl += bulk(prefix + pl, sizeof prefix - pl, O.channel);
    pl += (size_t)snprintf(prefix + pl, sizeof prefix - pl, "$%ld\r\n", O.data_size);
    prefix_len = pl;
    msg_len = prefix_len + (size_t)O.data_size + 2;
    if (msg_len > SUB_BUF / 2) die("-d %ld is too large (at most %d)", O.data_size, SUB_BUF / 2 - 600);
    pub_reply_len = (size_t)snprintf(pub_reply, sizeof pub_reply, ":%ld\r\n", O.subscribers);

    raise_nofile(O.subscribers + O.publishers + 64);
    subs = xcalloc((size_t)O.subscribers, sizeof *subs);
    pubs = xcalloc((size_t)O.publishers, sizeof *pubs);
    sub_tags = xcalloc((size_t)O.subscribers, sizeof *sub_tags);
    pub_tags = xcalloc((size_t)O.publishers, sizeof *pub_tags);
    epfd = epoll_create1(0);
    if (epfd < 0) die("epoll_create1: %s", strerror(errno));

    subscribe_all();
    wait_registered();
    for (long i = 0; i < O.subscribers; i++) {
        sub_tags[i] = (struct ep_tag){0, &subs[i]};
        ep_add(subs[i].fd, &sub_tags[i]);
    }
    for (long i = 0; i < O.publishers; i++) {
        struct pub *p = &pubs[i];
        p->id = (int)i;
        p->fd = connect_to();
        set_nonblocking(p->fd);
        pub_tags[i] = (struct ep_tag){1, p};
        ep_add(p->fd, &pub_tags[i]);
    }

    t0 = now_ns();
    for (long i = 0; i < O.publishers; i++) start_batch(&pubs[i]);
    int nevs = 1024;
    struct epoll_event *evs = xcalloc((size_t)nevs, sizeof *evs);
    long last_progress = -1;
    uint64_t last_progress_ns = now_ns();
    while (subs_done < O.subscribers || pubs_done < O.publishers) {
        int n = epoll_wait(epfd, evs, nevs, 1000);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            struct ep_tag *tag = evs[i].data.ptr;
            if (tag->kind == 0) {
                read_sub(tag->p);
            } else {
                struct pub *p = tag->p;
                if (evs[i].events & EPOLLOUT) flush_out(p);
                if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_pub(p);
            }
        }
        for (long i = 0; i < O.publishers && paused; i++) {
            if (!pubs[i].paused) continue;
            start_batch(&pubs[i]);
            if (pubs[i].paused) break; /* the subscribers still lag */
        }
        long progress = delivered + acked;
        if (progress != last_progress) {
            last_progress = progress;
            last_progress_ns = now_ns();
        } else if (now_ns() - last_progress_ns > (uint64_t)STALL_MS * 1000000u) {
            long worst = O.messages;
            for (long i = 0; i < O.subscribers; i++)
                if (subs[i].got < worst) worst = subs[i].got;
            die("nothing arrived for %d s: %ld of %ld PUBLISHes answered, %ld of %ld "
                "deliveries read (the slowest subscriber has %ld)", STALL_MS / 1000, acked,
                O.messages, delivered, O.messages * O.subscribers, worst);
        }
    }
    for (long i = 0; i < O.subscribers; i++) {
        for (long p = 0; p < O.publishers; p++)
            if (subs[i].next[p] != pubs[p].seq)
                die("subscriber %ld: %u of publisher %ld's %u messages", i, subs[i].next[p], p,
                    pubs[p].seq);
        if (subs[i].in_len)
            die("subscriber %ld: bytes after the last message: %s", i,
                shown(subs[i].in, subs[i].in_len));
    }
    /* A last look for anything extra that arrived behind the last message. */
    usleep(20000);
    for (long i = 0; i < O.subscribers; i++) {
        char extra[256];
        ssize_t r = read(subs[i].fd, extra, sizeof extra);
        if (r > 0) die("subscriber %ld: more after the last message: %s", i, shown(extra, (size_t)r));
    }

    double secs = (double)t_last / 1e9;
    uint64_t total = (uint64_t)delivered;
    printf("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
           "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\",\"publish_rps\","
           "\"deliveries\",\"subscribers\",\"publishers\"\n");
    printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.2f\","
           "\"%ld\",\"%ld\",\"%ld\"\n", O.title, (double)total / secs,
           (double)lat_sum_us / (double)total / 1000.0, (double)lat_min_us / 1000.0,
           hist_pct_ms(total, 50), hist_pct_ms(total, 95), hist_pct_ms(total, 99),
           (double)lat_max_us / 1000.0, (double)O.messages / secs, delivered, O.subscribers,
           O.publishers);
    fflush(stdout);
    fprintf(stderr, "pubbench: %ld messages x %ld subscribers = %ld deliveries, every one once "
            "and in order, in %.2f s: %.0f deliveries/s, %.0f messages/s (%ld publishers, "
            "-P %ld, -d %ld, %s %s)\n", O.messages, O.subscribers, delivered, secs,
            (double)total / secs, (double)O.messages / secs, O.publishers, O.pipeline,
            O.data_size, O.pattern ? "pattern" : "channel", O.pattern ? O.pattern : O.channel);
    for (long i = 0; i < O.subscribers; i++) {
        close(subs[i].fd);
        free(subs[i].in);
        free(subs[i].next);
    }
    for (long i = 0; i < O.publishers; i++) {
        close(pubs[i].fd);
        free(pubs[i].out);
    }
    free(subs);
    free(pubs);
    free(sub_tags);
    free(pub_tags);
    free(evs);
    return 0;
}
