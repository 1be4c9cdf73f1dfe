/* test_config.c — directives from files and the command line: values with
 * several words, Redis's defaults, client-output-buffer-limit's syntax. */
#include <criterion/criterion.h>
#include "ringkv/base/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct got {
    char value[512];
};

static void keep(const char *name, const char *value, void *arg)
{
    snprintf(((struct got *)arg)->value, sizeof(((struct got *)arg)->value), "%s", value);
}

static const char *get(const struct config *cfg, const char *name, struct got *g)
{
    g->value[0] = '\0';
    config_get(cfg, name, strlen(name), keep, g);
    return g->value;
}

/* Parses a config file holding `text`, then `args` (NULL-terminated). */
static bool parse(struct config *cfg, const char *text, const char **args, char *err, size_t errlen)
{
    char path[] = "/tmp/ringkv-config-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char *argv[32] = {"ringkv-server", path};
    int argc = 2;
    for (; args && *args; args++) argv[argc++] = (char *)*args;
    config_init(cfg);
    bool ok = config_parse_args(cfg, argc, argv, err, errlen);
    unlink(path);
    return ok;
}

Test(config, defaults_match_redis_conf)
{
    struct config cfg;
    struct got g;
    config_init(&cfg);
    cr_expect_str_eq(get(&cfg, "bind", &g), "127.0.0.1 -::1");
    cr_expect_str_eq(get(&cfg, "protected-mode", &g), "yes");
    cr_expect_str_eq(get(&cfg, "client-output-buffer-limit", &g),
                     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    cr_expect_str_eq(get(&cfg, "client-query-buffer-limit", &g), "1073741824");
    cr_expect_str_eq(get(&cfg, "proto-max-bulk-len", &g), "536870912");
    cr_expect_str_eq(get(&cfg, "maxclients", &g), "10000");
    cr_expect_str_eq(get(&cfg, "timeout", &g), "0");
    config_free(&cfg);
}

/* Every word of a file line reaches the directive intact. */
Test(config, file_lines_with_several_words)
{
    struct config cfg;
    struct got g;
    char err[512];
    bool ok = parse(&cfg,
                    "# comment\n"
                    "maxclients 77\n"
                    "bind 127.0.0.1 -::1 \"-192.0.2.1\"\n"
                    "client-output-buffer-limit normal 1mb 2mb 3\n"
                    "client-output-buffer-limit pubsub 4kb 5 6\n"
                    "requirepass \"a b\"\n",
                    (const char *[]){"--client-output-buffer-limit", "replica 7 8 9", "--timeout", "5", NULL},
                    err, sizeof err);
    cr_assert(ok, "%s", err);
    cr_expect_eq(cfg.maxclients, 77);
    cr_expect_str_eq(get(&cfg, "bind", &g), "127.0.0.1 -::1 -192.0.2.1");
    cr_expect_str_eq(get(&cfg, "client-output-buffer-limit", &g),
                     "normal 1048576 2097152 3 slave 7 8 9 pubsub 4096 5 6");
    cr_expect_str_eq(cfg.requirepass, "a b");
    cr_expect_eq(cfg.timeout, 5);
    config_free(&cfg);
}

Test(config, output_buffer_limit_errors_change_nothing)
{
    struct config cfg;
    struct got g;
    char err[256];
    config_init(&cfg);
    static const struct {
        const char *value, *error;
    } bad[] = {
        {"normal 1 2", "Wrong number of arguments in buffer limit configuration."},
        {"master 1 2 3", "Invalid client class specified in buffer limit configuration."},
        {"normal 1 2 3 pubsub 1 2 -3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
        {"normal 1x 2 3", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *v[1] = {bad[i].value};
        cr_expect(!config_set(&cfg, "client-output-buffer-limit", v, 1, true, err, sizeof err), "%s", bad[i].value);
        cr_expect_str_eq(err, bad[i].error);
    }
    cr_expect_str_eq(get(&cfg, "client-output-buffer-limit", &g),
                     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    const char *empty[1] = {""};
    cr_expect(config_set(&cfg, "client-output-buffer-limit", empty, 1, true, err, sizeof err));
    config_free(&cfg);
}

Test(config, file_errors_name_the_line)
{
    struct config cfg;
    char err[512];
    cr_expect(!parse(&cfg, "port 1\nmaxclients many\n", NULL, err, sizeof err));
    cr_expect(strstr(err, "line 2") && strstr(err, "maxclients"), "%s", err);
    config_free(&cfg);
}

/* Redis's directives ringkv only reports: a redis.conf setting them loads,
 * CONFIG GET answers them (aliases too), values are checked as Redis
 * checks them, and a value promising what ringkv lacks is refused. */
Test(config, reported_only_directives)
{
    struct config cfg;
    config_init(&cfg);
    char err[256] = "";
    struct got g;
    cr_expect_str_eq(get(&cfg, "appendfsync", &g), "everysec");
    cr_expect_str_eq(get(&cfg, "repl-backlog-size", &g), "1048576");
    cr_expect_str_eq(get(&cfg, "slave-read-only", &g), "yes");
    config_free(&cfg); /* parse starts a new one */
    cr_assert(parse(&cfg, "appendfsync always\nrepl-backlog-size 2mb\nslave-priority 50\n"
                          "shutdown-on-sigterm default\ndaemonize no\n", NULL, err, sizeof err), "%s", err);
    cr_expect_str_eq(get(&cfg, "appendfsync", &g), "always");
    cr_expect_str_eq(get(&cfg, "repl-backlog-size", &g), "2097152");
    cr_expect_str_eq(get(&cfg, "replica-priority", &g), "50");
    cr_expect_str_eq(get(&cfg, "slave-priority", &g), "50");

    const char *v[1] = {"sometimes"};
    cr_expect(!config_set(&cfg, "appendfsync", v, 1, true, err, sizeof err));
    cr_expect_str_eq(err, "argument(s) must be one of the following: everysec, always, no");
    v[0] = "0";
    cr_expect(!config_set(&cfg, "repl-timeout", v, 1, true, err, sizeof err));
    cr_expect_str_eq(err, "argument must be between 1 and 2147483647 inclusive");
    v[0] = "yes";
    cr_expect(!config_set(&cfg, "daemonize", v, 1, true, err, sizeof err));
    cr_expect_str_eq(err, "can't set immutable config");
    cr_expect(!config_set(&cfg, "cluster-enabled", v, 1, false, err, sizeof err), "cluster mode accepted");
    v[0] = "1";
    cr_expect(!config_set(&cfg, "min-slaves-to-write", v, 1, true, err, sizeof err), "NOREPLICAS promised");
    cr_expect_str_eq(get(&cfg, "min-replicas-to-write", &g), "0");

    cr_expect_str_eq(config_canonical_name("slave-priority"), "replica-priority");
    cr_expect_str_eq(config_canonical_name("lua-time-limit"), "busy-reply-threshold");
    cr_expect_str_eq(config_canonical_name("hash-max-ziplist-entries"), "hash-max-listpack-entries");
    cr_expect_str_eq(config_canonical_name("save"), "save");
    cr_expect_null(config_canonical_name("no-such-directive"));

    struct config copy;
    config_copy(&copy, &cfg);
    config_free(&cfg);
    cr_expect_str_eq(get(&copy, "appendfsync", &g), "always");
    config_free(&copy);
}

/* The service directives: daemonize, supervised, pidfile and syslog-* hold
 * what a redis.conf gives them, with Redis's defaults and enum errors, and
 * none of them changes at runtime (Redis's are immutable). */
Test(config, service_directives)
{
    struct config cfg;
    struct got g;
    char err[256] = "";
    config_init(&cfg);
    cr_expect_str_eq(get(&cfg, "daemonize", &g), "no");
    cr_expect_str_eq(get(&cfg, "supervised", &g), "no");
    cr_expect_str_eq(get(&cfg, "pidfile", &g), "");
    cr_expect_str_eq(get(&cfg, "syslog-enabled", &g), "no");
    cr_expect_str_eq(get(&cfg, "syslog-ident", &g), "redis");
    cr_expect_str_eq(get(&cfg, "syslog-facility", &g), "local0");
    config_free(&cfg);

    cr_assert(parse(&cfg, "daemonize yes\nsupervised systemd\npidfile /run/x.pid\nsyslog-enabled yes\n"
                          "syslog-ident kv\nsyslog-facility LOCAL3\n", NULL, err, sizeof err), "%s", err);
    cr_expect(cfg.daemonize);
    cr_expect_eq(cfg.supervised, CONFIG_SUPERVISED_SYSTEMD);
    cr_expect_str_eq(get(&cfg, "pidfile", &g), "/run/x.pid");
    cr_expect_str_eq(get(&cfg, "syslog-ident", &g), "kv");
    cr_expect_str_eq(get(&cfg, "syslog-facility", &g), "local3");

    const char *v[1] = {"no"};
    cr_expect(!config_set(&cfg, "daemonize", v, 1, true, err, sizeof err));
    cr_expect_str_eq(err, "can't set immutable config");
    v[0] = "/tmp/other.pid";
    cr_expect(!config_set(&cfg, "pidfile", v, 1, true, err, sizeof err));
    cr_expect_str_eq(err, "can't set immutable config");
    config_free(&cfg);

    cr_expect(!parse(&cfg, "supervised launchd\n", NULL, err, sizeof err));
    cr_expect(strstr(err, "argument(s) must be one of the following: upstart, systemd, auto, no"), "%s", err);
    config_free(&cfg);
    cr_expect(!parse(&cfg, "syslog-facility kern\n", NULL, err, sizeof err));
    cr_expect(strstr(err, "local7"), "%s", err);
    config_free(&cfg);
}

/* A file's save lines add up; save "" after them (a later line, or
 * --save '' on the command line) drops them all, as in Redis. */
Test(config, empty_save_drops_earlier_points)
{
    struct config cfg;
    struct got g;
    char err[256] = "";
    const char *args[] = {"--save", "", NULL};
    cr_assert(parse(&cfg, "save 3600 1\nsave 300 100\n", NULL, err, sizeof err), "%s", err);
    cr_expect_str_eq(get(&cfg, "save", &g), "3600 1 300 100");
    config_free(&cfg);
    cr_assert(parse(&cfg, "save 3600 1\nsave 300 100\n", args, err, sizeof err), "%s", err);
    cr_expect_str_eq(get(&cfg, "save", &g), "");
    config_free(&cfg);
    const char *more[] = {"--save", "", "--save", "60 5", NULL};
    cr_assert(parse(&cfg, "save 3600 1\n", more, err, sizeof err), "%s", err);
    cr_expect_str_eq(get(&cfg, "save", &g), "60 5");
    config_free(&cfg);
}

static void count_name(const char *name, const char *value, void *arg)
{
    if (strcmp(name, "key-load-delay") == 0) ++*(int *)arg;
}

/* Redis's hidden test knobs answer by name only, never to a pattern. */
Test(config, hidden_directives_answer_by_name_only)
{
    struct config cfg;
    struct got g;
    config_init(&cfg);
    cr_expect_str_eq(get(&cfg, "key-load-delay", &g), "0");
    cr_expect_str_eq(get(&cfg, "loading-process-events-interval-bytes", &g), "2097152");
    int seen = 0;
    config_get(&cfg, "*", 1, count_name, &seen);
    config_get(&cfg, "key-load-*", 10, count_name, &seen);
    cr_expect_eq(seen, 0, "a pattern found a hidden directive");
    config_free(&cfg);
}
