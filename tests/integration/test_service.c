/* test_service.c — the server as a system service: `daemonize yes` with a
 * pidfile, `supervised systemd` readiness and stop notices on a
 * NOTIFY_SOCKET, and the log file reopened on SIGHUP after a rotation.
 * Daemonize and supervision behave the same against redis-server. */
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ringkv/base/alloc.h"

TestSuite(service, .timeout = 60);

/* The pid in a pidfile, or -1 while it is absent or empty. */
static pid_t read_pidfile(const char *path)
{
    size_t len;
    char *text = ts_read_file(path, &len);
    if (!text) return -1;
    char digits[32] = "";
    memcpy(digits, text, len < sizeof digits - 1 ? len : sizeof digits - 1);
    rk_free(text);
    long pid = strtol(digits, NULL, 10);
    return pid > 0 ? (pid_t)pid : -1;
}

static bool answers_ping(int port)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        freeReplyObject(r);
    }
    redisFree(c);
    return ok;
}

static bool file_holds(const char *path, const char *text)
{
    size_t len;
    char *data = ts_read_file(path, &len);
    bool found = data && memmem(data, len, text, strlen(text));
    rk_free(data);
    return found;
}

struct daemon {
    char dir[256], pidfile[320], logfile[320];
    int port;
    pid_t pid;
};

/* Starts the server with daemonize yes, a pidfile and a logfile in a new
 * directory: its foreground process must exit 0 at once, and the daemon
 * then serve on d->port with its pid in the pidfile. */
static void daemon_start(struct daemon *d)
{
    char port[16], shards[16];
    ts_mkdtemp(d->dir, sizeof d->dir);
    snprintf(d->pidfile, sizeof d->pidfile, "%s/server.pid", d->dir);
    snprintf(d->logfile, sizeof d->logfile, "%s/server.log", d->dir);
    d->port = ts_free_port();
    snprintf(port, sizeof port, "%d", d->port);
    snprintf(shards, sizeof shards, "%d", ts_shards());

    const char *argv[32] = {ts_server_binary(), "--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", d->dir,
                            "--daemonize", "yes", "--pidfile", d->pidfile, "--logfile", d->logfile};
    size_t n = 15;
    if (!ts_is_redis()) {
        argv[n++] = "--shards";
        argv[n++] = shards;
    }
    char *out = NULL;
    int status = ts_run(&out, 10000, argv);
    cr_assert_eq(status, 0, "the foreground process should exit 0: %s", out);
    rk_free(out);

    d->pid = -1;
    WAIT_FOR((d->pid = read_pidfile(d->pidfile)) > 0 && answers_ping(d->port), 10000);
    cr_assert_gt(d->pid, 0, "no pid in %s", d->pidfile);
    cr_assert(answers_ping(d->port), "the daemon does not answer on port %s", port);
}

/* SIGTERM, and the daemon is gone within the time a sanitizer needs. */
static void daemon_stop(struct daemon *d)
{
    cr_assert_eq(kill(d->pid, SIGTERM), 0);
    WAIT_FOR(kill(d->pid, 0) != 0, ts_server_sanitized() ? 20000 : 10000);
    cr_assert_neq(kill(d->pid, 0), 0, "the daemon is still running after SIGTERM");
}

/* The daemon leads its own session, serves, and removes its pidfile when
 * SIGTERM stops it. */
Test(service, daemonize_writes_pidfile_and_removes_it_on_exit)
{
    struct daemon d;
    daemon_start(&d);
    cr_assert_eq(kill(d.pid, 0), 0, "pid %d from the pidfile is not running", (int)d.pid);
    cr_assert_eq(getsid(d.pid), d.pid, "the daemon should lead its own session");
    redisContext *c = redisConnect("127.0.0.1", d.port);
    cr_assert(c && !c->err);
    ts_assert_ok(ts_cmd(c, "SET k v"));
    ts_assert_array(ts_cmd(c, "CONFIG GET daemonize"), "daemonize", "yes");
    ts_assert_array(ts_cmd(c, "CONFIG GET pidfile"), "pidfile", d.pidfile);
    redisFree(c);

    daemon_stop(&d);
    size_t len;
    cr_assert_null(ts_read_file(d.pidfile, &len), "the pidfile outlives the server");
    cr_assert(file_holds(d.logfile, "Ready to accept connections"), "no startup lines in %s", d.logfile);
    ts_rmdir_files(d.dir);
}

/* A datagram socket standing in for systemd's notify socket. */
static int notify_socket(char *path, size_t cap, const char *dir)
{
    snprintf(path, cap, "%s/notify.sock", dir);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    cr_assert_lt(strlen(path), sizeof addr.sun_path);
    strcpy(addr.sun_path, path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0, "bind %s: %s", path, strerror(errno));
    struct timeval tv = {.tv_sec = ts_server_sanitized() ? 20 : 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads notices until one holds `want` (true) or the socket times out. */
static bool notified(int fd, const char *want, char *seen, size_t cap)
{
    size_t used = 0;
    seen[0] = '\0';
    for (;;) {
        char buf[512];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n < 0) return false;
        buf[n] = '\0';
        used += (size_t)snprintf(seen + used, cap - used, "%s|", buf);
        if (used >= cap) used = cap - 1;
        if (strstr(buf, want)) return true;
    }
}

/* `supervised systemd`: READY=1 once it serves (it stays in the
 * foreground even with daemonize yes), STOPPING=1 when it begins to stop. */
Test(service, supervised_systemd_notifies_ready_and_stopping)
{
    char dir[256], sock[320], seen[2048];
    ts_mkdtemp(dir, sizeof dir);
    int fd = notify_socket(sock, sizeof sock, dir);
    setenv("NOTIFY_SOCKET", sock, 1);
    struct test_server *ts = ts_start("--supervised", "systemd", "--daemonize", "yes", NULL);
    unsetenv("NOTIFY_SOCKET");

    cr_assert(notified(fd, "READY=1", seen, sizeof seen), "no READY=1 notice; got: %s", seen);
    redisContext *c = ts_connect(ts);
    ts_assert_bulk(ts_cmd(c, "PING hello"), "hello");
    ts_assert_array(ts_cmd(c, "CONFIG GET supervised"), "supervised", "systemd");
    redisFree(c);
    cr_assert_eq(kill(ts_pid(ts), SIGTERM), 0);
    cr_assert(notified(fd, "STOPPING=1", seen, sizeof seen), "no STOPPING=1 notice; got: %s", seen);
    cr_assert_eq(ts_stop(ts), 0);
    close(fd);
    ts_rmdir_files(dir);
}

/* ringkv reopens its log file on SIGHUP, so logrotate can move it away
 * (Redis ignores SIGHUP); the server goes on serving. */
Test(service, sighup_reopens_a_rotated_log_file)
{
    if (ts_is_redis()) cr_skip_test("redis-server ignores SIGHUP");
    struct daemon d;
    daemon_start(&d);
    char rotated[340];
    snprintf(rotated, sizeof rotated, "%s.1", d.logfile);
    cr_assert_eq(rename(d.logfile, rotated), 0, "rename: %s", strerror(errno));

    cr_assert_eq(kill(d.pid, SIGHUP), 0);
    WAIT_FOR(file_holds(d.logfile, "log file reopened"), 10000);
    cr_assert(file_holds(d.logfile, "log file reopened"), "no reopened log at %s after SIGHUP", d.logfile);
    redisContext *c = redisConnect("127.0.0.1", d.port);
    cr_assert(c && !c->err);
    ts_assert_ok(ts_cmd(c, "SET still serving"));
    redisFree(c);

    daemon_stop(&d);
    cr_assert(file_holds(d.logfile, "bye bye"), "the shutdown lines belong in the new file");
    cr_assert_not(file_holds(rotated, "bye bye"), "the rotated file is still written");
    ts_rmdir_files(d.dir);
}
