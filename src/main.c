/* main.c — ringkv-server's entry point: parse the configuration as
 * redis-server does, start the server actor, run until a signal. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/log.h"
#include "ringkv/core/server.h"
#include "ringkv/core/service.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ./ringkv-server [/path/to/redis.conf] [options] [-]\n"
            "       ./ringkv-server -v or --version\n"
            "       ./ringkv-server -h or --help\n\n"
            "Examples:\n"
            "       ./ringkv-server (run the server with default config)\n"
            "       ./ringkv-server /etc/redis/6379.conf\n"
            "       ./ringkv-server --port 7777 --shards 4\n"
            "       ./ringkv-server /etc/myredis.conf --loglevel verbose\n\n"
            "ringkv's own directives: shards N, pin-cpus yes|no, ring-entries N,\n"
            "recv-buffers N, recv-buffer-size BYTES, shard-msg-inflight N.\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("ringkv server v=%s (redis protocol 7.0 compatible) io_uring\n", RINGKV_VERSION);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    rk_alloc_setup();
    struct config cfg;
    char err[1024];
    config_init(&cfg);
    if (!config_parse_args(&cfg, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "\n%s\n", err);
        config_free(&cfg);
        return 1;
    }
    /* As redis-server: a supervised server stays in the foreground. */
    enum config_supervised supervisor = service_supervisor(&cfg);
    bool background = cfg.daemonize && supervisor == CONFIG_SUPERVISED_NO;
    if (background && service_daemonize() != 0) {
        fprintf(stderr, "Can't daemonize: %s\n", strerror(errno));
        config_free(&cfg);
        return 1;
    }
    struct log_syslog sys = {cfg.syslog_ident, (int)cfg.syslog_facility};
    log_setup((enum log_level)cfg.loglevel, cfg.logfile, cfg.syslog_enabled ? &sys : NULL);
    log_notice("oO0OoO0OoO0Oo ringkv is starting oO0OoO0OoO0Oo");
    log_notice("ringkv version=%s, shards=%d, port=%d", RINGKV_VERSION, cfg.shards, cfg.port);
    service_write_pidfile(&cfg, background);

    static struct server srv;
    if (server_start(&srv, &cfg) != 0) {
        service_remove_pidfile();
        log_teardown();
        return 1;
    }
    service_ready(supervisor);
    int status = server_run(&srv);
    service_remove_pidfile();
    config_free(&srv.cfg);
    log_teardown();
    return status;
}
