/* service.h — ringkv as a system service, as redis-server runs as one:
 * `daemonize yes` detaches it into the background, `pidfile` records its
 * pid, and `supervised` tells the supervisor when it is ready (systemd's
 * sd_notify READY=1 once every shard accepts; upstart's SIGSTOP) and when
 * it stops. `supervised auto` picks what the environment names
 * (NOTIFY_SOCKET, UPSTART_JOB); a supervised server never daemonizes.
 * Thread: main, around server_start/server_run. */
#ifndef RINGKV_CORE_SERVICE_H
#define RINGKV_CORE_SERVICE_H

#include "ringkv/base/config.h"

#include <stdbool.h>

/* The supervisor in charge (CONFIG_SUPERVISED_SYSTEMD or _UPSTART), or
 * CONFIG_SUPERVISED_NO; logs why when asked for one that is not there. */
enum config_supervised service_supervisor(const struct config *cfg);
/* Forks into the background, the parent exiting 0; stdin, stdout and
 * stderr go to /dev/null. -1 (errno) when the fork fails. */
int service_daemonize(void);
/* Writes the pid to cfg's pidfile (or /var/run/ringkv.pid when
 * daemonized without one); a failure is logged, as Redis only warns. */
void service_write_pidfile(const struct config *cfg, bool daemonized);
/* Every shard accepts connections. */
void service_ready(enum config_supervised sup);
/* The server begins to stop (a signal or SHUTDOWN). */
void service_stopping(void);
/* Removes the pidfile written, if any. */
void service_remove_pidfile(void);

#endif
