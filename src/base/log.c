/* log.c — see log.h. Any thread. */
#include "ringkv/base/log.h"
#include "ringkv/base/log_syslog.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_NOTICE;
static int log_fd = STDERR_FILENO;
static char log_path[4096];
static bool to_syslog;

static int open_log(const char *path) { return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644); }

void log_setup(enum log_level level, const char *path, const struct log_syslog *sys)
{
    min_level = level;
    if (path && *path) {
        snprintf(log_path, sizeof log_path, "%s", path);
        int fd = open_log(path);
        if (fd >= 0) log_fd = fd;
    }
    if (sys) {
        log_syslog_open(sys->ident, sys->facility);
        to_syslog = true;
    }
}

int log_reopen(void)
{
    if (!log_path[0]) return 0;
    int fd = open_log(log_path);
    if (fd < 0) return -1;
    /* dup2 swaps the file under every thread at once: a line is written
     * whole to the old file or the new one */
    if (dup2(fd, log_fd) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

void log_teardown(void)
{
    if (log_fd != STDERR_FILENO) close(log_fd);
    log_fd = STDERR_FILENO;
    log_path[0] = '\0';
    if (to_syslog) log_syslog_close();
    to_syslog = false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char marks[] = ".-*#";
    char line[1024];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (level < min_level) return;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
    n += (int)strftime(line + n, sizeof(line) - (size_t)n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, "%03d %c ", (int)(tv.tv_usec / 1000), marks[level]);
    int text_at = n;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2) n = (int)sizeof(line) - 2;
    line[n] = '\0';
    if (to_syslog) log_syslog_line(level, line + text_at); /* syslog stamps its own time and pid */
    line[n++] = '\n';
    ssize_t unused = write(log_fd, line, (size_t)n);
    (void)unused;
}
