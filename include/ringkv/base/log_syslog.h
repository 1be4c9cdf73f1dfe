/* log_syslog.h — log.c's lines to syslog(3), apart because <syslog.h>
 * defines LOG_DEBUG and friends, the names of log.h's levels. Any thread. */
#ifndef RINGKV_BASE_LOG_SYSLOG_H
#define RINGKV_BASE_LOG_SYSLOG_H

/* facility: 0 user, 1..8 local0..local7. */
void log_syslog_open(const char *ident, int facility);
/* level: log.h's enum log_level. */
void log_syslog_line(int level, const char *text);
void log_syslog_close(void);

#endif
