/* log_syslog.c — see log_syslog.h. */
#include "ringkv/base/log_syslog.h"

#include <syslog.h>

void log_syslog_open(const char *ident, int facility)
{
    static const int facilities[] = {LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                     LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
    int f = facility >= 0 && facility < (int)(sizeof facilities / sizeof *facilities) ? facility : 1;
    openlog(ident && *ident ? ident : "redis", LOG_PID | LOG_NDELAY | LOG_NOWAIT, facilities[f]);
}

void log_syslog_line(int level, const char *text)
{
    static const int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING};
    syslog(priorities[level >= 0 && level < 4 ? level : 3], "%s", text);
}

void log_syslog_close(void) { closelog(); }
