/* harness_run.c — runs an external tool (redis-cli, redis-benchmark)
 * against the server under test and captures what it prints, with a time
 * bound. Test processes only (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringkv/base/alloc.h"

#define RUN_MAX_OUTPUT (16u << 20)
#define RUN_MAX_ARGS 64

static void exec_child(int out_fd, pid_t parent, const char *const *argv)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(126);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0)
        _exit(126);
    dup2(null, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    execvp(argv[0], (char **)argv);
    static const char msg[] = "harness: exec failed\n";
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        _exit(127);
    _exit(127);
}

/* Drains the pipe until EOF or the deadline; returns false on timeout. */
static bool collect_output(int fd, long long deadline, char **buf, size_t *len, size_t *cap)
{
    for (;;) {
        int left = (int)(deadline - ts_now_ms());
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? false : true;
        if (*cap - *len < 4096) {
            cr_assert(*cap < RUN_MAX_OUTPUT, "command output exceeds %u bytes", RUN_MAX_OUTPUT);
            *cap *= 2;
            *buf = rk_realloc(*buf, *cap);
        }
        ssize_t n = read(fd, *buf + *len, *cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return true;
        *len += (size_t)n;
    }
}

int ts_run(char **out, int timeout_ms, const char *const *argv)
{
    int pipefd[2];
    cr_assert(pipe2(pipefd, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        exec_child(pipefd[1], parent, argv);
    close(pipefd[1]);

    size_t len = 0, cap = 8192;
    char *buf = rk_malloc(cap);
    bool finished = collect_output(pipefd[0], ts_now_ms() + timeout_ms, &buf, &len, &cap);
    close(pipefd[0]);
    buf[len] = '\0';
    *out = buf;
    if (!finished)
        kill(pid, SIGKILL);
    int wstatus;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (!finished)
        return -1;
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

int ts_runl(char **out, int timeout_ms, const char *arg0, ...)
{
    const char *argv[RUN_MAX_ARGS + 1];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        cr_assert(n < RUN_MAX_ARGS, "too many arguments for %s", arg0);
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    return ts_run(out, timeout_ms, argv);
}
