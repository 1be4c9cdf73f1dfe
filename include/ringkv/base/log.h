/* log.h — Redis-style log lines ("pid:role dd Mon yyyy hh:mm:ss.mmm * msg")
 * on stderr or the configured logfile, and to syslog when asked
 * (syslog-enabled). Any thread; one write(2) per line so lines from
 * different shards never interleave. */
#ifndef RINGKV_LOG_H
#define RINGKV_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

/* syslog-ident, and syslog-facility as an index: user, local0..local7. */
struct log_syslog {
    const char *ident;
    int facility;
};

/* path NULL or "": stderr; sys NULL: no syslog. */
void log_setup(enum log_level level, const char *path, const struct log_syslog *sys);
/* Opens the log file again (after logrotate moved it: SIGHUP); 0, or -1
 * with errno when it cannot, and lines keep going where they went. */
int log_reopen(void);
void log_teardown(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_fatal(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
