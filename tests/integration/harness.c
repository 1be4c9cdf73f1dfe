/* harness.c — see harness.h. Test processes only: one thread, and every
 * failure ends the current Criterion test with a message saying why. A
 * server never outlives its test process: the child asks the kernel for
 * SIGKILL when its parent dies (a crashed or timed-out test). */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ringkv/base/alloc.h"

#define TS_START_TIMEOUT_MS 10000
#define TS_STOP_TIMEOUT_MS 10000
#define TS_START_ATTEMPTS 5 /* a port picked free may be taken before bind */
#define TS_MAX_ARGS 64

struct test_server {
    pid_t pid;         /* 0 once reaped */
    int status;        /* exit status once reaped */
    int port;
    char port_str[8];
    char dir[128];      /* private temp dir: the server's cwd, log and config */
    char log_path[160];
    char conf_path[160];
    const char *binary; /* NULL: the server under test; else real Redis (ts_start_redis) */
    bool may_fail;      /* ts_try_start: an exit during startup is an answer */
};

struct test_server *g_server;

void ts_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

long long ts_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool ts_is_redis(void)
{
    const char *v = getenv("RINGKV_TEST_REDIS");
    return v && strcmp(v, "1") == 0;
}

int ts_shards(void)
{
    const char *v = getenv("RINGKV_SHARDS");
    if (ts_is_redis() || !v || !*v)
        return 1;
    int n = atoi(v);
    cr_assert(n >= 1 && n <= 1024, "RINGKV_SHARDS=%s is not a shard count", v);
    return n;
}

const char *ts_server_binary(void)
{
    const char *bin = getenv("RINGKV_SERVER");
    if (bin && *bin)
        return bin;
    if (ts_is_redis())
        return "redis-server";
    cr_assert_fail("RINGKV_SERVER is not set: run through `meson test`, or set "
                   "RINGKV_SERVER=path/to/ringkv-server (or RINGKV_TEST_REDIS=1)");
    return NULL;
}

int ts_port(const struct test_server *ts) { return ts->port; }
const char *ts_port_str(const struct test_server *ts) { return ts->port_str; }
pid_t ts_pid(const struct test_server *ts) { return ts->pid; }
const char *ts_log_path(const struct test_server *ts) { return ts->log_path; }

void ts_dump_log(const struct test_server *ts)
{
    FILE *f = fopen(ts->log_path, "r");
    fprintf(stderr, "---- server log (%s, port %d) ----\n", ts->log_path, ts->port);
    if (!f) {
        fprintf(stderr, "(cannot open: %s)\n", strerror(errno));
        return;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
    fprintf(stderr, "---- end of server log ----\n");
}

static bool log_contains(const struct test_server *ts, const char *needle)
{
    FILE *f = fopen(ts->log_path, "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* Asks the kernel for an unused ephemeral port. Another process may take it
 * before the server binds; ts_start retries when that happens. */
int ts_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    cr_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind: %s", strerror(errno));
    cr_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0, "getsockname: %s",
              strerror(errno));
    close(fd);
    return ntohs(sa.sin_port);
}

int ts_tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* One PING over a fresh connection; true on +PONG (or -NOAUTH, from a
 * server started with a password) within timeout_ms. */
static bool answers_ping(int port, int timeout_ms)
{
    int fd = ts_tcp_connect(port);
    if (fd < 0)
        return false;
    bool ok = false;
    char buf[64];
    size_t got = 0;
    if (write(fd, "PING\r\n", 6) == 6) {
        long long deadline = ts_now_ms() + timeout_ms;
        while (got < 7 && ts_now_ms() < deadline) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            if (poll(&p, 1, 50) <= 0)
                continue;
            ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
            if (n <= 0)
                break;
            got += n;
        }
        ok = got >= 7 && (memcmp(buf, "+PONG\r\n", 7) == 0 || memcmp(buf, "-NOAUTH", 7) == 0);
    }
    close(fd);
    return ok;
}

/* Exit status as one number: code, 128+signal. */
static int decode_status(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return -1;
}

/* Waits up to timeout_ms for pid; returns its decoded status or -2 if it is
 * still running. */
static int wait_exit(pid_t pid, int timeout_ms)
{
    long long deadline = ts_now_ms() + timeout_ms;
    for (;;) {
        int wstatus;
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid)
            return decode_status(wstatus);
        if (r < 0 && errno != EINTR)
            return -1;
        if (ts_now_ms() >= deadline)
            return -2;
        ts_sleep_ms(5);
    }
}

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/* Child side of the fork: becomes the server. Only async-signal-safe calls
 * until exec. */
static void exec_server(const struct test_server *ts, pid_t parent, char **argv)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(126);
    int log = open(ts->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    if (log < 0 || null < 0 || chdir(ts->dir) != 0)
        _exit(126);
    dup2(null, STDIN_FILENO);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execvp(argv[0], argv);
    static const char msg[] = "harness: exec of the server binary failed\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

static size_t build_argv(const struct test_server *ts, const char **argv, char *shards_buf,
                         size_t shards_cap, const char *const *extra, size_t n_extra)
{
    size_t n = 0;
    argv[n++] = ts->binary ? ts->binary : ts_server_binary();
    if (ts->conf_path[0])
        argv[n++] = ts->conf_path;
    argv[n++] = "--port";
    argv[n++] = ts->port_str;
    argv[n++] = "--bind";
    argv[n++] = "127.0.0.1";
    /* No snapshots or AOF unless a test asks for them (its extra arguments
     * come after these and win). */
    argv[n++] = "--save";
    argv[n++] = "";
    argv[n++] = "--appendonly";
    argv[n++] = "no";
    if (!ts_is_redis() && !ts->binary) {
        snprintf(shards_buf, shards_cap, "%d", ts_shards());
        argv[n++] = "--shards";
        argv[n++] = shards_buf;
    }
    for (size_t i = 0; i < n_extra; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return n;
}

enum start_result { START_OK, START_PORT_TAKEN, START_EXITED };

static void cleanup_dir(struct test_server *ts);

/* Shows the log, forgets the server and fails the test. */
__attribute__((format(printf, 2, 3), noreturn)) static void start_failed(struct test_server *ts,
                                                                         const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ts_dump_log(ts);
    cleanup_dir(ts);
    rk_free(ts);
    cr_assert_fail("%s", msg);
    abort(); /* cr_assert_fail does not return */
}

/* One attempt on one port: fork, exec, wait for PING. Fails the test on
 * anything but success or a port taken by someone else. */
static enum start_result start_once(struct test_server *ts, const char *const *extra,
                                    size_t n_extra)
{
    ts->port = ts_free_port();
    snprintf(ts->port_str, sizeof ts->port_str, "%d", ts->port);
    const char *argv[TS_MAX_ARGS + 16];
    char shards[16];
    build_argv(ts, argv, shards, sizeof shards, extra, n_extra);

    /* Empty the log first: the checks below must not read the previous
     * attempt's "in use" before this child has opened (truncated) it. */
    int log = open(ts->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(log >= 0, "open %s: %s", ts->log_path, strerror(errno));
    close(log);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        exec_server(ts, parent, (char **)argv);
    ts->pid = pid;

    long long deadline = ts_now_ms() + TS_START_TIMEOUT_MS;
    while (ts_now_ms() < deadline) {
        int status = wait_exit(pid, 0);
        if (status != -2) {
            ts->pid = 0;
            if (log_contains(ts, "in use"))
                return START_PORT_TAKEN;
            if (ts->may_fail) {
                ts->status = status;
                return START_EXITED;
            }
            start_failed(ts, "server %s exited with status %d during startup (log above)",
                         argv[0], status);
        }
        /* Another test's server may hold the port just taken (ours then
         * fails with "in use"): only ours says it is ready in our log. */
        if (log_contains(ts, "in use")) {
            kill_and_reap(pid);
            ts->pid = 0;
            return START_PORT_TAKEN;
        }
        if (log_contains(ts, "Ready to accept") && answers_ping(ts->port, 1000))
            return START_OK;
        ts_sleep_ms(10);
    }
    kill_and_reap(pid);
    ts->pid = 0;
    start_failed(ts, "server %s did not answer PING on port %d within %d ms (log above)", argv[0],
                 ts->port, TS_START_TIMEOUT_MS);
    return START_OK;
}

/* binary: NULL for the server under test. may_fail: a server that exits
 * during startup is returned (pid 0, its status in ts->status) instead of
 * failing the test. */
static struct test_server *start_server(const char *config_text, const char *const *extra,
                                        size_t n_extra, const char *binary, bool may_fail)
{
    if (!binary)
        ts_server_binary(); /* fail early, before creating anything, when unset */
    struct test_server *ts = rk_calloc(1, sizeof *ts);
    ts->status = -1;
    ts->binary = binary;
    ts->may_fail = may_fail;
    const char *tmp = getenv("TMPDIR");
    snprintf(ts->dir, sizeof ts->dir, "%s/ringkv-itest-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(ts->dir) != NULL, "mkdtemp %s: %s", ts->dir, strerror(errno));
    snprintf(ts->log_path, sizeof ts->log_path, "%s/server.log", ts->dir);
    if (config_text) {
        snprintf(ts->conf_path, sizeof ts->conf_path, "%s/server.conf", ts->dir);
        FILE *f = fopen(ts->conf_path, "w");
        cr_assert(f && fputs(config_text, f) >= 0 && fclose(f) == 0, "writing %s failed",
                  ts->conf_path);
    }
    for (int attempt = 1;; attempt++) {
        if (start_once(ts, extra, n_extra) != START_PORT_TAKEN)
            return ts;
        if (attempt == TS_START_ATTEMPTS)
            start_failed(ts, "server could not bind a free port in %d attempts", attempt);
    }
}

static size_t collect_args(const char *first, va_list ap, const char **out)
{
    size_t n = 0;
    for (const char *a = first; a; a = va_arg(ap, const char *)) {
        cr_assert(n < TS_MAX_ARGS, "too many extra server arguments");
        out[n++] = a;
    }
    return n;
}

struct test_server *ts_start(const char *arg, ...)
{
    const char *extra[TS_MAX_ARGS];
    va_list ap;
    va_start(ap, arg);
    size_t n = collect_args(arg, ap, extra);
    va_end(ap);
    return start_server(NULL, extra, n, NULL, false);
}

struct test_server *ts_start_with_config(const char *config_text, const char *arg, ...)
{
    const char *extra[TS_MAX_ARGS];
    va_list ap;
    va_start(ap, arg);
    size_t n = collect_args(arg, ap, extra);
    va_end(ap);
    return start_server(config_text, extra, n, NULL, false);
}

static const char *redis_binary(void)
{
    const char *bin = getenv("RINGKV_REDIS_SERVER");
    return bin && *bin ? bin : "redis-server";
}

struct test_server *ts_start_redis(const char *arg, ...)
{
    const char *extra[TS_MAX_ARGS];
    va_list ap;
    va_start(ap, arg);
    size_t n = collect_args(arg, ap, extra);
    va_end(ap);
    return start_server(NULL, extra, n, redis_binary(), false);
}

struct test_server *ts_try_start(int *status, const char *arg, ...)
{
    const char *extra[TS_MAX_ARGS];
    va_list ap;
    va_start(ap, arg);
    size_t n = collect_args(arg, ap, extra);
    va_end(ap);
    struct test_server *ts = start_server(NULL, extra, n, NULL, true);
    *status = ts->status;
    if (ts->pid > 0) {
        ts->may_fail = false;
        return ts;
    }
    cleanup_dir(ts);
    rk_free(ts);
    return NULL;
}

const char *ts_dir(const struct test_server *ts) { return ts->dir; }

/* Removes the server's temp dir. Its log was already printed whenever
 * something went wrong; Redis may leave files we did not create. */
static void cleanup_dir(struct test_server *ts)
{
    char path[300];
    const char *names[] = {"server.log", "server.conf", "dump.rdb", "temp-rewriteaof.aof"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", ts->dir, names[i]);
        unlink(path);
    }
    if (rmdir(ts->dir) != 0)
        fprintf(stderr, "harness: left %s behind: %s\n", ts->dir, strerror(errno));
}

int ts_wait_exit(struct test_server *ts, int timeout_ms)
{
    if (ts->pid > 0) {
        int status = wait_exit(ts->pid, timeout_ms);
        if (status == -2)
            return -2;
        ts->pid = 0;
        ts->status = status;
    }
    return ts->status;
}

int ts_stop_timeout(struct test_server *ts, int timeout_ms)
{
    if (ts->pid > 0) {
        kill(ts->pid, SIGTERM);
        if (ts_wait_exit(ts, timeout_ms) == -2) {
            kill_and_reap(ts->pid);
            fprintf(stderr, "harness: server pid %d ignored SIGTERM for %d ms; killed\n",
                    (int)ts->pid, timeout_ms);
            ts->pid = 0;
            ts->status = -1;
        }
    }
    int status = ts->status;
    if (status != 0)
        ts_dump_log(ts);
    cleanup_dir(ts);
    rk_free(ts);
    return status;
}

int ts_stop(struct test_server *ts) { return ts_stop_timeout(ts, TS_STOP_TIMEOUT_MS); }

void ts_kill(struct test_server *ts)
{
    if (ts->pid > 0)
        kill_and_reap(ts->pid);
    ts_dump_log(ts);
    cleanup_dir(ts);
    rk_free(ts);
}

void ts_fixture_stop(void)
{
    struct test_server *ts = g_server;
    g_server = NULL;
    int status = ts_stop(ts);
    cr_assert_eq(status, 0, "server exit status on SIGTERM: %d, want 0 (log above)", status);
}

void ts_fixture_fini(void)
{
    if (g_server) {
        ts_kill(g_server);
        g_server = NULL;
    }
}

/* ---- data directories and files ------------------------------------ */

void ts_mkdtemp(char *buf, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(buf, cap, "%s/ringkv-data-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(n > 0 && (size_t)n < cap, "temp dir path does not fit %zu bytes", cap);
    cr_assert(mkdtemp(buf) != NULL, "mkdtemp %s: %s", buf, strerror(errno));
}

void ts_rmdir_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "harness: cannot open %s: %s\n", dir, strerror(errno));
        return;
    }
    char path[PATH_MAX];
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            fprintf(stderr, "harness: cannot remove %s: %s\n", path, strerror(errno));
    }
    closedir(d);
    if (rmdir(dir) != 0)
        fprintf(stderr, "harness: left %s behind: %s\n", dir, strerror(errno));
}

char *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = rk_malloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = rk_realloc(buf, cap);
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        rk_free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

void ts_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s: %s", path, strerror(errno));
    bool ok = fwrite(buf, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    cr_assert(ok, "writing %s failed: %s", path, strerror(errno));
}
