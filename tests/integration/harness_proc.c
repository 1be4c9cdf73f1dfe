/* harness_proc.c — see harness.h: the server process seen from outside
 * (RSS, INFO fields) and sockets the hiredis helpers do not make (chosen
 * source address, IPv6, close detection, fd limit). Test processes only. */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BUILT_SANITIZED true
#else
#define BUILT_SANITIZED false
#endif

static const char *server_sanitizer(void)
{
    const char *s = getenv("RINGKV_SERVER_SANITIZER");
    if (s && *s)
        return s;
    return BUILT_SANITIZED ? "address" : NULL;
}

bool ts_server_sanitized(void) { return server_sanitizer() != NULL; }

long ts_rss_slack_kb(void)
{
    const char *s = server_sanitizer();
    if (!s)
        return 0;
    return strcmp(s, "thread") == 0 ? 64L * 1024 * 1024 : 320L * 1024;
}

long ts_server_rss_kb(const struct test_server *ts)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)ts_pid(ts));
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

long long ts_info_ll(redisContext *c, const char *field)
{
    redisReply *r = ts_cmd(c, "INFO everything");
    long long v = -1;
    size_t flen = strlen(field);
    if (r->type == REDIS_REPLY_STRING) {
        for (const char *p = r->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
                v = strtoll(p + flen + 1, NULL, 10);
                break;
            }
        }
    }
    freeReplyObject(r);
    return v;
}

static int connect_addr(const struct sockaddr *sa, socklen_t len, const struct sockaddr *src,
                        socklen_t src_len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if ((src && bind(fd, src, src_len) != 0) || connect(fd, sa, len) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int ts_tcp_connect_from(const char *src, int port)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in from = {.sin_family = AF_INET};
    if (inet_pton(AF_INET, src, &from.sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    return connect_addr((struct sockaddr *)&to, sizeof to, (struct sockaddr *)&from, sizeof from);
}

int ts_tcp_connect_host(const char *host, int port)
{
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1)
        return connect_addr((struct sockaddr *)&a6, sizeof a6, NULL, 0);
    if (inet_pton(AF_INET, host, &a4.sin_addr) == 1)
        return connect_addr((struct sockaddr *)&a4, sizeof a4, NULL, 0);
    errno = EINVAL;
    return -1;
}

bool ts_fd_wait_closed(int fd, int timeout_ms)
{
    long long deadline = ts_now_ms() + timeout_ms;
    char buf[65536];
    while (ts_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - ts_now_ms());
        if (poll(&p, 1, left > 0 ? left : 0) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return true;
    }
    return false;
}

long ts_raise_nofile(long n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if ((long)rl.rlim_cur < n) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max > n ? (rlim_t)n : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return (long)rl.rlim_cur;
}
