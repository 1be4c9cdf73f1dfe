/* service.c — daemonize, pidfile, supervision; see service.h. */
#include "ringkv/core/service.h"
#include "ringkv/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#define DEFAULT_PIDFILE "/var/run/ringkv.pid"

static char written_pidfile[4096];
static enum config_supervised notified = CONFIG_SUPERVISED_NO;

enum config_supervised service_supervisor(const struct config *cfg)
{
    const char *upstart = getenv("UPSTART_JOB"), *notify = getenv("NOTIFY_SOCKET");
    switch ((enum config_supervised)cfg->supervised) {
    case CONFIG_SUPERVISED_AUTO:
        if (upstart) return CONFIG_SUPERVISED_UPSTART;
        if (notify) return CONFIG_SUPERVISED_SYSTEMD;
        return CONFIG_SUPERVISED_NO;
    case CONFIG_SUPERVISED_UPSTART:
        if (upstart) return CONFIG_SUPERVISED_UPSTART;
        log_warn("upstart supervision requested, but UPSTART_JOB not found!");
        return CONFIG_SUPERVISED_NO;
    case CONFIG_SUPERVISED_SYSTEMD:
        if (notify) return CONFIG_SUPERVISED_SYSTEMD;
        log_warn("systemd supervision requested or auto-detected, but no socket found!");
        return CONFIG_SUPERVISED_NO;
    default: return CONFIG_SUPERVISED_NO;
    }
}

int service_daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid > 0) _exit(0); /* the parent; the child goes on */
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
    return 0;
}

void service_write_pidfile(const struct config *cfg, bool daemonized)
{
    const char *path = cfg->pidfile && *cfg->pidfile ? cfg->pidfile : daemonized ? DEFAULT_PIDFILE : NULL;
    if (!path) return;
    FILE *f = fopen(path, "w");
    if (!f) {
        log_warn("Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    snprintf(written_pidfile, sizeof written_pidfile, "%s", path);
}

void service_ready(enum config_supervised sup)
{
    notified = sup;
    if (sup == CONFIG_SUPERVISED_SYSTEMD) {
        log_notice("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec "
                   "and TimeoutStopSec in your service unit.");
        if (sd_notify(0, "READY=1\nSTATUS=Ready to accept connections") <= 0)
            log_warn("systemd supervision: could not notify readiness");
    } else if (sup == CONFIG_SUPERVISED_UPSTART) {
        log_notice("Supervised by upstart, will stop to signal readiness.");
        raise(SIGSTOP);
        unsetenv("UPSTART_JOB");
    }
}

void service_stopping(void)
{
    if (notified == CONFIG_SUPERVISED_SYSTEMD) sd_notify(0, "STOPPING=1");
}

void service_remove_pidfile(void)
{
    if (written_pidfile[0]) unlink(written_pidfile);
    written_pidfile[0] = '\0';
}
