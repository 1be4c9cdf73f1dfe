/* config_inert.c — Redis's directives ringkv accepts and reports without
 * acting on them; see config_inert.h. The table was generated once from
 * Redis 7.0's config.c (types, ranges, enums, flags) and redis-server
 * 7.0's CONFIG GET (defaults), minus what ringkv implements. */
#include "ringkv/base/config_inert.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum inert_type { IN_BOOL, IN_INT, IN_MEMORY, IN_PERCENT, IN_OCTAL, IN_ENUM, IN_STRING, IN_SPECIAL };
enum {
    IN_IMMUTABLE = 1 << 0,
    IN_PROTECTED = 1 << 1,
    IN_MULTI_ARG = 1 << 2,    /* several words: an enum's flags, a list of numbers */
    IN_DEFAULT_ONLY = 1 << 3, /* any other value asks for what ringkv has not */
    IN_HIDDEN = 1 << 4,       /* Redis's test knobs: answered by name, not by a pattern */
};

struct inert {
    const char *name, *alias;
    enum inert_type type;
    unsigned flags;
    long long min, max;
    const char *deflt;        /* as redis-server 7.0's CONFIG GET answers it */
    const char *choices;      /* IN_ENUM: the names, space-separated */
};

static const struct inert table[] = {
    {"key-load-delay", NULL, IN_INT, IN_HIDDEN, INT_MIN, INT_MAX, "0", NULL},
    {"loading-process-events-interval-bytes", NULL, IN_MEMORY, IN_HIDDEN, 1024, INT_MAX, "2097152", NULL},
    {"rdb-key-save-delay", NULL, IN_INT, IN_HIDDEN, INT_MIN, INT_MAX, "0", NULL},
    {"use-exit-on-panic", NULL, IN_BOOL, IN_HIDDEN, 0, 0, "no", NULL},
    {"watchdog-period", NULL, IN_INT, IN_HIDDEN | IN_DEFAULT_ONLY, 0, INT_MAX, "0", NULL},
    {"active-defrag-cycle-max", NULL, IN_INT, 0, 1, 99, "25", NULL},
    {"active-defrag-cycle-min", NULL, IN_INT, 0, 1, 99, "1", NULL},
    {"active-defrag-ignore-bytes", NULL, IN_MEMORY, 0, 1, LLONG_MAX, "104857600", NULL},
    {"active-defrag-max-scan-fields", NULL, IN_INT, 0, 1, LONG_MAX, "1000", NULL},
    {"active-defrag-threshold-lower", NULL, IN_INT, 0, 0, 1000, "10", NULL},
    {"active-defrag-threshold-upper", NULL, IN_INT, 0, 0, 1000, "100", NULL},
    {"active-expire-effort", NULL, IN_INT, 0, 1, 10, "1", NULL},
    {"activedefrag", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"activerehashing", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"always-show-logo", NULL, IN_BOOL, IN_IMMUTABLE, 0, 0, "no", NULL},
    {"aof-disable-auto-gc", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"aof-load-truncated", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"aof-rewrite-incremental-fsync", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"aof-timestamp-enabled", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"aof-use-rdb-preamble", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"aof_rewrite_cpulist", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "", NULL},
    {"appenddirname", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "appendonlydir", NULL},
    {"appendfilename", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "appendonly.aof", NULL},
    {"appendfsync", NULL, IN_ENUM, 0, 0, 0, "everysec", "everysec always no"},
    {"auto-aof-rewrite-min-size", NULL, IN_MEMORY, 0, 0, LLONG_MAX, "67108864", NULL},
    {"auto-aof-rewrite-percentage", NULL, IN_INT, 0, 0, INT_MAX, "100", NULL},
    {"bgsave_cpulist", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "", NULL},
    {"bind-source-addr", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"bio_cpulist", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "", NULL},
    {"cluster-allow-pubsubshard-when-down", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"cluster-allow-reads-when-down", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"cluster-allow-replica-migration", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"cluster-announce-bus-port", NULL, IN_INT, 0, 0, 65535, "0", NULL},
    {"cluster-announce-hostname", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"cluster-announce-ip", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"cluster-announce-port", NULL, IN_INT, 0, 0, 65535, "0", NULL},
    {"cluster-announce-tls-port", NULL, IN_INT, 0, 0, 65535, "0", NULL},
    {"cluster-config-file", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "nodes.conf", NULL},
    {"cluster-enabled", NULL, IN_BOOL, IN_IMMUTABLE | IN_DEFAULT_ONLY, 0, 0, "no", NULL},
    {"cluster-link-sendbuf-limit", NULL, IN_MEMORY, 0, 0, LLONG_MAX, "0", NULL},
    {"cluster-migration-barrier", NULL, IN_INT, 0, 0, INT_MAX, "1", NULL},
    {"cluster-node-timeout", NULL, IN_INT, 0, 0, LLONG_MAX, "15000", NULL},
    {"cluster-port", NULL, IN_INT, IN_IMMUTABLE, 0, 65535, "0", NULL},
    {"cluster-preferred-endpoint-type", NULL, IN_ENUM, 0, 0, 0, "ip", "ip hostname unknown-endpoint"},
    {"cluster-replica-no-failover", "cluster-slave-no-failover", IN_BOOL, 0, 0, 0, "no", NULL},
    {"cluster-replica-validity-factor", "cluster-slave-validity-factor", IN_INT, 0, 0, INT_MAX, "10", NULL},
    {"cluster-require-full-coverage", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"crash-log-enabled", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"crash-memcheck-enabled", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"disable-thp", NULL, IN_BOOL, IN_IMMUTABLE, 0, 0, "yes", NULL},
    {"dynamic-hz", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"enable-module-command", NULL, IN_ENUM, IN_IMMUTABLE, 0, 0, "no", "no yes local"},
    {"enable-protected-configs", NULL, IN_ENUM, IN_IMMUTABLE | IN_DEFAULT_ONLY, 0, 0, "no", "no yes local"},
    {"ignore-warnings", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"io-threads", NULL, IN_INT, IN_IMMUTABLE, 1, 128, "1", NULL},
    {"io-threads-do-reads", NULL, IN_BOOL, IN_IMMUTABLE, 0, 0, "no", NULL},
    {"jemalloc-bg-thread", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"masterauth", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"masteruser", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"maxmemory-clients", NULL, IN_PERCENT, IN_DEFAULT_ONLY, -100, LLONG_MAX, "0", NULL},
    {"min-replicas-max-lag", "min-slaves-max-lag", IN_INT, 0, 0, INT_MAX, "10", NULL},
    {"min-replicas-to-write", "min-slaves-to-write", IN_INT, IN_DEFAULT_ONLY, 0, INT_MAX, "0", NULL},
    {"no-appendfsync-on-rewrite", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"oom-score-adj", NULL, IN_ENUM, IN_DEFAULT_ONLY, 0, 0, "no", "no yes relative absolute"},
    {"oom-score-adj-values", NULL, IN_SPECIAL, IN_MULTI_ARG, 0, 0, "0 200 800", NULL},
    {"proc-title-template", NULL, IN_STRING, 0, 0, 0, "{title} {listen-addr} {server-mode}", NULL},
    {"propagation-error-behavior", NULL, IN_ENUM, 0, 0, 0, "ignore", "ignore panic panic-on-replicas"},
    {"rdb-del-sync-files", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"rdb-save-incremental-fsync", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"repl-backlog-size", NULL, IN_MEMORY, 0, 1, LLONG_MAX, "1048576", NULL},
    {"repl-backlog-ttl", NULL, IN_INT, 0, 0, LONG_MAX, "3600", NULL},
    {"repl-disable-tcp-nodelay", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"repl-diskless-load", NULL, IN_ENUM, 0, 0, 0, "disabled", "disabled on-empty-db swapdb"},
    {"repl-diskless-sync", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"repl-diskless-sync-delay", NULL, IN_INT, 0, 0, INT_MAX, "5", NULL},
    {"repl-diskless-sync-max-replicas", NULL, IN_INT, 0, 0, INT_MAX, "0", NULL},
    {"repl-ping-replica-period", "repl-ping-slave-period", IN_INT, 0, 1, INT_MAX, "10", NULL},
    {"repl-timeout", NULL, IN_INT, 0, 1, INT_MAX, "60", NULL},
    {"replica-announce-ip", "slave-announce-ip", IN_STRING, 0, 0, 0, "", NULL},
    {"replica-announce-port", "slave-announce-port", IN_INT, 0, 0, 65535, "0", NULL},
    {"replica-announced", NULL, IN_BOOL, 0, 0, 0, "yes", NULL},
    {"replica-ignore-disk-write-errors", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"replica-ignore-maxmemory", "slave-ignore-maxmemory", IN_BOOL, 0, 0, 0, "yes", NULL},
    {"replica-lazy-flush", "slave-lazy-flush", IN_BOOL, 0, 0, 0, "no", NULL},
    {"replica-priority", "slave-priority", IN_INT, 0, 0, INT_MAX, "100", NULL},
    {"replica-read-only", "slave-read-only", IN_BOOL, 0, 0, 0, "yes", NULL},
    {"replica-serve-stale-data", "slave-serve-stale-data", IN_BOOL, 0, 0, 0, "yes", NULL},
    {"replicaof", "slaveof", IN_SPECIAL, IN_IMMUTABLE | IN_MULTI_ARG | IN_DEFAULT_ONLY, 0, 0, "", NULL},
    {"sanitize-dump-payload", NULL, IN_ENUM, 0, 0, 0, "no", "no yes clients"},
    {"server_cpulist", NULL, IN_STRING, IN_IMMUTABLE, 0, 0, "", NULL},
    {"set-proc-title", NULL, IN_BOOL, IN_IMMUTABLE, 0, 0, "yes", NULL},
    {"shutdown-on-sigint", NULL, IN_ENUM, IN_MULTI_ARG | IN_DEFAULT_ONLY, 0, 0, "default", "default save nosave now force"},
    {"shutdown-on-sigterm", NULL, IN_ENUM, IN_MULTI_ARG | IN_DEFAULT_ONLY, 0, 0, "default", "default save nosave now force"},
    {"shutdown-timeout", NULL, IN_INT, 0, 0, INT_MAX, "10", NULL},
    {"socket-mark-id", NULL, IN_INT, IN_IMMUTABLE | IN_DEFAULT_ONLY, 0, UINT_MAX, "0", NULL},
    {"tcp-keepalive", NULL, IN_INT, 0, 0, INT_MAX, "300", NULL},
    {"tls-client-cert-file", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"tls-client-key-file", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"tls-client-key-file-pass", NULL, IN_STRING, 0, 0, 0, "", NULL},
    {"tls-cluster", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"tls-replication", NULL, IN_BOOL, 0, 0, 0, "no", NULL},
    {"unixsocket", NULL, IN_STRING, IN_IMMUTABLE | IN_DEFAULT_ONLY, 0, 0, "", NULL},
    {"unixsocketperm", NULL, IN_OCTAL, IN_IMMUTABLE, 0, 511, "0", NULL},
};

_Static_assert(sizeof(table) / sizeof(table[0]) <= CONFIG_INERT_MAX, "raise CONFIG_INERT_MAX");

int config_inert_count(void) { return (int)RK_ARRAY_LEN(table); }
const char *config_inert_name(int i) { return table[i].name; }
const char *config_inert_alias(int i) { return table[i].alias; }
bool config_inert_immutable(int i) { return table[i].flags & IN_IMMUTABLE; }
bool config_inert_protected(int i) { return table[i].flags & IN_PROTECTED; }
bool config_inert_hidden(int i) { return table[i].flags & IN_HIDDEN; }
bool config_inert_is_string(int i) { return table[i].type == IN_STRING; }
bool config_inert_is_memory(int i) { return table[i].type == IN_MEMORY; }
bool config_inert_is_words(int i) { return table[i].type == IN_SPECIAL || (table[i].flags & IN_MULTI_ARG); }
const char *config_inert_value(const char *slot, int i) { return slot ? slot : table[i].deflt; }

int config_inert_find(const char *name)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(table); i++)
        if (strcasecmp(table[i].name, name) == 0 || (table[i].alias && strcasecmp(table[i].alias, name) == 0))
            return (int)i;
    return -1;
}

/* Redis's memtoull: bytes with an optional unit (k, kb, m, mb, g, gb). */
static bool parse_memory(const char *s, long long *out)
{
    static const struct { const char *unit; long long mul; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000000}, {"mb", 1024 * 1024},
        {"g", 1000000000LL}, {"gb", 1024LL * 1024 * 1024},
    };
    size_t digits = 0, len = strlen(s);
    while (digits < len && (isdigit((unsigned char)s[digits]) || (digits == 0 && s[0] == '-'))) digits++;
    long long v;
    if (!string2ll(s, digits, &v)) return false;
    for (size_t i = 0; i < RK_ARRAY_LEN(units); i++)
        if (strcasecmp(s + digits, units[i].unit) == 0) {
            if (v != 0 && llabs(v) > LLONG_MAX / units[i].mul) return false;
            *out = v * units[i].mul;
            return true;
        }
    return false;
}

/* A number of the directive's kind into *out; false with Redis's error. */
static bool parse_number(const struct inert *d, const char *v, long long *out, char *err, size_t errlen)
{
    const char *why = NULL;
    if (d->type == IN_PERCENT && v[0] && v[strlen(v) - 1] == '%') {
        if (!string2ll(v, strlen(v) - 1, out) || *out < 0) why = "argument must be a memory or percent value";
        else if (*out > 100) why = "percentage argument must be less or equal to 100";
        else *out = -*out; /* Redis keeps a percentage negative */
    } else if (d->type == IN_MEMORY || d->type == IN_PERCENT) {
        if (!parse_memory(v, out))
            why = d->type == IN_PERCENT ? "argument must be a memory or percent value" : "argument must be a memory value";
    } else if (d->type == IN_OCTAL) {
        char *end;
        *out = strtoll(v, &end, 8);
        if (!*v || *end) why = "argument couldn't be parsed as an octal number";
    } else if (!string2ll(v, strlen(v), out)) {
        why = "argument couldn't be parsed into an integer";
    }
    if (why) {
        snprintf(err, errlen, "%s", why);
        return false;
    }
    if (*out < d->min || *out > d->max) {
        if (d->type == IN_OCTAL) snprintf(err, errlen, "argument must be between %llo and %llo inclusive",
                                          (unsigned long long)d->min, (unsigned long long)d->max);
        else snprintf(err, errlen, "argument must be between %lld and %lld inclusive", d->min, d->max);
        return false;
    }
    return true;
}

int config_choice_index(const char *choices, const char *word)
{
    size_t len = strlen(word);
    int i = 0;
    for (const char *p = choices; *p; i++) {
        size_t n = strcspn(p, " ");
        if (n == len && strncasecmp(p, word, n) == 0) return i;
        p += n + (p[n] == ' ');
    }
    return -1;
}

void config_choice_name(const char *choices, int index, char *out, size_t cap)
{
    const char *p = choices;
    for (int i = 0; i < index && *p; i++) p += strcspn(p, " ") + (p[strcspn(p, " ")] == ' ');
    snprintf(out, cap, "%.*s", (int)strcspn(p, " "), p);
}

void config_choices_error(const char *choices, char *err, size_t errlen)
{
    snprintf(err, errlen, "argument(s) must be one of the following: ");
    for (const char *p = choices; *p;) {
        size_t k = strcspn(p, " ");
        snprintf(err + strlen(err), errlen - strlen(err), "%.*s%s", (int)k, p, p[k] ? ", " : "");
        p += k + (p[k] == ' ');
    }
}

/* The value's canonical text into out: numbers in decimal (octal kept as
 * written), booleans and enum names in lower case. */
static bool canonical(const struct inert *d, const char *const *values, int nvalues, char *out, size_t cap,
                      char *err, size_t errlen)
{
    out[0] = '\0';
    for (int w = 0; w < nvalues; w++) {
        const char *v = values[w];
        char word[128];
        long long n;
        switch (d->type) {
        case IN_BOOL:
            if (strcasecmp(v, "yes") && strcasecmp(v, "no")) {
                snprintf(err, errlen, "argument must be 'yes' or 'no'");
                return false;
            }
            snprintf(word, sizeof word, "%s", strcasecmp(v, "yes") == 0 ? "yes" : "no");
            break;
        case IN_ENUM: {
            int k = config_choice_index(d->choices, v);
            if (k < 0) {
                config_choices_error(d->choices, err, errlen);
                return false;
            }
            config_choice_name(d->choices, k, word, sizeof word);
            break;
        }
        case IN_STRING: snprintf(word, sizeof word, "%s", v); break;
        case IN_SPECIAL: /* oom-score-adj-values: three scores; replicaof: host and port */
            if (strcmp(d->name, "oom-score-adj-values") == 0 &&
                (!string2ll(v, strlen(v), &n) || n < -2000 || n > 2000 || nvalues != 3)) {
                snprintf(err, errlen, "Invalid oom-score-adj-values, elements must be between -2000 and 2000.");
                return false;
            }
            snprintf(word, sizeof word, "%s", v);
            break;
        default:
            if (!parse_number(d, v, &n, err, errlen)) return false;
            if (d->type == IN_OCTAL) snprintf(word, sizeof word, "%s", v);
            else if (n < 0 && d->type == IN_PERCENT) snprintf(word, sizeof word, "%lld%%", -n);
            else snprintf(word, sizeof word, "%lld", n);
        }
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", w ? " " : "", word);
    }
    return true;
}

bool config_inert_set(char **slot, int i, const char *const *values, int nvalues, char *err, size_t errlen)
{
    const struct inert *d = &table[i];
    /* One value may hold several words (CONFIG SET shutdown-on-sigterm "nosave now"). */
    char joined[1024] = "", *words[16];
    int nwords = 0;
    for (int w = 0; w < nvalues; w++) snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", w ? " " : "", values[w]);
    if (d->flags & IN_MULTI_ARG) {
        for (char *save = NULL, *t = strtok_r(joined, " ", &save); t && nwords < 16; t = strtok_r(NULL, " ", &save))
            words[nwords++] = t;
    } else {
        if (nvalues != 1) {
            snprintf(err, errlen, "wrong number of arguments");
            return false;
        }
        words[nwords++] = joined;
    }
    char text[1024];
    if (!canonical(d, (const char *const *)words, nwords, text, sizeof text, err, errlen)) return false;
    if ((d->flags & IN_DEFAULT_ONLY) && strcmp(text, d->deflt) != 0) {
        snprintf(err, errlen, "ringkv does not support %s other than '%s'", d->name, d->deflt);
        return false;
    }
    rk_free(*slot);
    *slot = strcmp(text, d->deflt) == 0 ? NULL : rk_strndup(text, strlen(text));
    return true;
}
