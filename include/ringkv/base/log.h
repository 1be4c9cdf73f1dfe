/* log.h — Redis-style log lines ("pid:role dd Mon yyyy hh:mm:ss.mmm * msg")
 * on stderr or the configured logfile. Any thread; one write(2) per line so
 * lines from different shards never interleave. */
#ifndef RINGKV_LOG_H
#define RINGKV_LOG_H

enum log_level { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING };

void log_setup(enum log_level level, const char *path);
void log_teardown(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_verbose(...) log_msg(LOG_VERBOSE, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_fatal(...) log_msg(LOG_WARNING, __VA_ARGS__)

#endif
