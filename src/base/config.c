/* config.c — directives from redis.conf files and the command line; see
 * config.h. Thread: main at startup; each shard on its own copy later. */
#include "ringkv/base/config.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/log.h"
#include "ringkv/base/notify.h"
#include "ringkv/proto/resp.h"
#include "ringkv/base/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum dir_type { T_INT, T_BOOL, T_STRING, T_MEMORY, T_LOGLEVEL, T_BIND, T_SAVE, T_APPENDONLY, T_OBUF_LIMIT, T_POLICY,
                T_PERCENTILES, T_NOTIFY, T_ENUM };

struct directive {
    const char *name;
    enum dir_type type;
    size_t offset;
    long long min, max;
    int runtime;    /* CONFIG SET allowed (true), or not (false), or PROTECTED */
    const char *choices; /* T_ENUM: the names, space-separated, stored as an index */
};
/* Redis 7's protected configs: CONFIG SET refuses them unless
 * enable-protected-configs, which ringkv does not have. */
#define PROTECTED 2
/* ringkv's own startup settings: fixed, but CONFIG SET of the value they
 * have is a no-op that succeeds, so a tool replaying CONFIG GET * (Redis's
 * "CONFIG sanity" test does) does not trip on directives it never heard of. */
#define FIXED_OWN 3

#define F(field) offsetof(struct config, field)
#define MB (1024LL * 1024)

static const struct directive directives[] = {
    {"port", T_INT, F(port), 0, 65535, true, NULL},
    {"bind", T_BIND, 0, 0, 0, true, NULL},
    {"shards", T_INT, F(shards), 1, 256, FIXED_OWN, NULL},
    {"pin-cpus", T_BOOL, F(pin_cpus), 0, 1, FIXED_OWN, NULL},
    {"databases", T_INT, F(databases), 1, 256, false, NULL},
    {"requirepass", T_STRING, F(requirepass), 0, 0, true, NULL},
    {"aclfile", T_STRING, F(aclfile), 0, 0, false, NULL},
    {"acllog-max-len", T_INT, F(acllog_max_len), 0, LONG_MAX, true, NULL},
    {"acl-pubsub-default", T_ENUM, F(acl_pubsub_default), 0, 1, true, CONFIG_ACL_PUBSUB_DEFAULTS},
    {"maxclients", T_INT, F(maxclients), 1, 10000000, true, NULL},
    {"timeout", T_INT, F(timeout), 0, INT_MAX, true, NULL},
    {"loglevel", T_LOGLEVEL, F(loglevel), 0, 3, true, NULL},
    {"logfile", T_STRING, F(logfile), 0, 0, false, NULL},
    {"syslog-enabled", T_BOOL, F(syslog_enabled), 0, 1, false, NULL},
    {"syslog-ident", T_STRING, F(syslog_ident), 0, 0, false, NULL},
    {"syslog-facility", T_ENUM, F(syslog_facility), 0, 8, false, CONFIG_SYSLOG_FACILITIES},
    {"daemonize", T_BOOL, F(daemonize), 0, 1, false, NULL},
    {"supervised", T_ENUM, F(supervised), 0, 3, false, CONFIG_SUPERVISED_MODES},
    {"pidfile", T_STRING, F(pidfile), 0, 0, false, NULL},
    {"dir", T_STRING, F(dir), 0, 0, PROTECTED, NULL},
    {"dbfilename", T_STRING, F(dbfilename), 0, 0, PROTECTED, NULL},
    {"rdbcompression", T_BOOL, F(rdb_compression), 0, 1, true, NULL},
    {"rdbchecksum", T_BOOL, F(rdb_checksum), 0, 1, false, NULL},
    {"stop-writes-on-bgsave-error", T_BOOL, F(stop_writes_on_bgsave_error), 0, 1, true, NULL},
    {"proto-max-bulk-len", T_MEMORY, F(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, true, NULL},
    {"client-query-buffer-limit", T_MEMORY, F(client_query_buffer_limit), 1024 * 1024, LLONG_MAX, true, NULL},
    {"client-output-buffer-limit", T_OBUF_LIMIT, 0, 0, 0, true, NULL},
    {"enable-debug-command", T_ENUM, F(enable_debug_command), 0, 2, false, CONFIG_PROTECTED_ACTIONS},
    {"protected-mode", T_BOOL, F(protected_mode), 0, 1, true, NULL},
    {"tcp-backlog", T_INT, F(tcp_backlog), 0, INT_MAX, false, NULL},
    {"hz", T_INT, F(hz), 1, 500, true, NULL},
    {"busy-reply-threshold", T_INT, F(busy_reply_threshold), 0, LLONG_MAX, true, NULL},
    {"lua-time-limit", T_INT, F(busy_reply_threshold), 0, LLONG_MAX, true, NULL},
    {"slowlog-log-slower-than", T_INT, F(slowlog_log_slower_than), -1, LLONG_MAX, true, NULL},
    {"slowlog-max-len", T_INT, F(slowlog_max_len), 0, LONG_MAX, true, NULL},
    {"latency-monitor-threshold", T_INT, F(latency_monitor_threshold), 0, LLONG_MAX, true, NULL},
    {"latency-tracking", T_BOOL, F(latency_tracking), 0, 1, true, NULL},
    {"latency-tracking-info-percentiles", T_PERCENTILES, 0, 0, 0, true, NULL},
    {"notify-keyspace-events", T_NOTIFY, F(notify_keyspace_events), 0, LLONG_MAX, true, NULL},
    {"maxmemory", T_MEMORY, F(maxmemory), 0, LLONG_MAX, true, NULL},
    {"maxmemory-policy", T_POLICY, F(maxmemory_policy), 0, MM_NOEVICTION, true, NULL},
    {"maxmemory-samples", T_INT, F(maxmemory_samples), 1, 64, true, NULL},
    {"tracking-table-max-keys", T_INT, F(tracking_table_max_keys), 0, LONG_MAX, true, NULL},
    {"maxmemory-eviction-tenacity", T_INT, F(maxmemory_eviction_tenacity), 0, 100, true, NULL},
    {"lfu-log-factor", T_INT, F(lfu_log_factor), 0, INT_MAX, true, NULL},
    {"lfu-decay-time", T_INT, F(lfu_decay_time), 0, INT_MAX, true, NULL},
    {"lazyfree-lazy-eviction", T_BOOL, F(lazyfree_lazy_eviction), 0, 1, true, NULL},
    {"lazyfree-lazy-expire", T_BOOL, F(lazyfree_lazy_expire), 0, 1, true, NULL},
    {"lazyfree-lazy-server-del", T_BOOL, F(lazyfree_lazy_server_del), 0, 1, true, NULL},
    {"lazyfree-lazy-user-del", T_BOOL, F(lazyfree_lazy_user_del), 0, 1, true, NULL},
    {"lazyfree-lazy-user-flush", T_BOOL, F(lazyfree_lazy_user_flush), 0, 1, true, NULL},
    {"save", T_SAVE, 0, 0, 0, true, NULL},
    {"appendonly", T_APPENDONLY, 0, 0, 0, true, NULL},
    {"ring-entries", T_INT, F(ring_entries), 64, 32768, FIXED_OWN, NULL},
    {"recv-buffers", T_INT, F(recv_buffers), 16, 32768, FIXED_OWN, NULL},
    {"recv-buffer-size", T_MEMORY, F(recv_buffer_size), 1024, 1 * MB, FIXED_OWN, NULL},
    {"shard-msg-inflight", T_INT, F(shard_msg_inflight), 1, 1024, FIXED_OWN, NULL},
    {"list-max-listpack-size", T_INT, F(list_max_listpack_size), -5, INT_MAX, true, NULL},
    {"list-max-ziplist-size", T_INT, F(list_max_listpack_size), -5, INT_MAX, true, NULL},
    {"list-compress-depth", T_INT, F(list_compress_depth), 0, INT_MAX, true, NULL},
    {"hash-max-listpack-entries", T_INT, F(hash_max_listpack_entries), 0, LLONG_MAX, true, NULL},
    {"hash-max-ziplist-entries", T_INT, F(hash_max_listpack_entries), 0, LLONG_MAX, true, NULL},
    {"hash-max-listpack-value", T_INT, F(hash_max_listpack_value), 0, LLONG_MAX, true, NULL},
    {"hash-max-ziplist-value", T_INT, F(hash_max_listpack_value), 0, LLONG_MAX, true, NULL},
    {"set-max-intset-entries", T_INT, F(set_max_intset_entries), 0, LLONG_MAX, true, NULL},
    {"set-max-listpack-entries", T_INT, F(set_max_listpack_entries), 0, LLONG_MAX, true, NULL},
    {"set-max-listpack-value", T_INT, F(set_max_listpack_value), 0, LLONG_MAX, true, NULL},
    {"zset-max-listpack-entries", T_INT, F(zset_max_listpack_entries), 0, LLONG_MAX, true, NULL},
    {"zset-max-ziplist-entries", T_INT, F(zset_max_listpack_entries), 0, LLONG_MAX, true, NULL},
    {"zset-max-listpack-value", T_INT, F(zset_max_listpack_value), 0, LLONG_MAX, true, NULL},
    {"zset-max-ziplist-value", T_INT, F(zset_max_listpack_value), 0, LLONG_MAX, true, NULL},
    {"hll-sparse-max-bytes", T_MEMORY, F(hll_sparse_max_bytes), 0, LONG_MAX, true, NULL},
    {"stream-node-max-bytes", T_MEMORY, F(stream_node_max_bytes), 0, LLONG_MAX, true, NULL},
    {"stream-node-max-entries", T_INT, F(stream_node_max_entries), 0, LLONG_MAX, true, NULL},
    /* TLS (net/tls.h): a change of any but the port builds the shards'
     * contexts again; a port or bind change opens new listeners. */
    {"tls-port", T_INT, F(tls_port), 0, 65535, true, NULL},
    {"tls-cert-file", T_STRING, F(tls_cert_file), 0, 0, true, NULL},
    {"tls-key-file", T_STRING, F(tls_key_file), 0, 0, true, NULL},
    {"tls-key-file-pass", T_STRING, F(tls_key_file_pass), 0, 0, true, NULL},
    {"tls-ca-cert-file", T_STRING, F(tls_ca_cert_file), 0, 0, true, NULL},
    {"tls-ca-cert-dir", T_STRING, F(tls_ca_cert_dir), 0, 0, true, NULL},
    {"tls-dh-params-file", T_STRING, F(tls_dh_params_file), 0, 0, true, NULL},
    {"tls-protocols", T_STRING, F(tls_protocols), 0, 0, true, NULL},
    {"tls-ciphers", T_STRING, F(tls_ciphers), 0, 0, true, NULL},
    {"tls-ciphersuites", T_STRING, F(tls_ciphersuites), 0, 0, true, NULL},
    {"tls-auth-clients", T_ENUM, F(tls_auth_clients), 0, 2, true, CONFIG_TLS_AUTH_CLIENTS},
    {"tls-prefer-server-ciphers", T_BOOL, F(tls_prefer_server_ciphers), 0, 1, true, NULL},
    {"tls-session-caching", T_BOOL, F(tls_session_caching), 0, 1, true, NULL},
    {"tls-session-cache-size", T_INT, F(tls_session_cache_size), 0, INT_MAX, true, NULL},
    {"tls-session-cache-timeout", T_INT, F(tls_session_cache_timeout), 0, INT_MAX, true, NULL},
};

const char *const config_policy_names[] = {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                                           "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"};

void config_init(struct config *cfg)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    memset(cfg, 0, sizeof(*cfg));
    cfg->port = 6379;
    cfg->bind[0] = rk_strndup("127.0.0.1", 9);
    cfg->bind[1] = rk_strndup("-::1", 4); /* optional: IPv6 may be off */
    cfg->bind_count = 2;
    cfg->syslog_ident = rk_strndup("redis", 5);
    cfg->syslog_facility = CONFIG_FACILITY_LOCAL0;
    cfg->supervised = CONFIG_SUPERVISED_NO;
    cfg->enable_debug_command = CONFIG_PROTECTED_NO;
    cfg->shards = cpus > 0 ? (cpus > 256 ? 256 : (int)cpus) : 1;
    cfg->databases = 16;
    cfg->maxclients = 10000;
    cfg->loglevel = 2; /* notice */
    cfg->dir = rk_strndup(".", 1);
    cfg->dbfilename = rk_strndup("dump.rdb", 8);
    cfg->slowlog_log_slower_than = 10000; /* Redis's defaults */
    cfg->slowlog_max_len = 128;
    cfg->acllog_max_len = 128;
    cfg->acl_pubsub_default = 1; /* resetchannels */
    cfg->latency_tracking = true;
    cfg->latency_percentiles[0] = 50;
    cfg->latency_percentiles[1] = 99;
    cfg->latency_percentiles[2] = 99.9;
    cfg->latency_percentiles_count = 3;
    cfg->maxmemory_policy = MM_NOEVICTION;
    cfg->maxmemory_samples = 5;
    cfg->tracking_table_max_keys = 1000000;
    cfg->maxmemory_eviction_tenacity = 10;
    cfg->lfu_log_factor = 10;
    cfg->lfu_decay_time = 1;
    cfg->tls_auth_clients = CONFIG_TLS_AUTH_YES;
    cfg->tls_session_caching = true;
    cfg->tls_session_cache_size = 20 * 1024;
    cfg->tls_session_cache_timeout = 300;
    /* Redis 7.0's default save points. */
    static const struct config_save_point defaults[] = {{3600, 1}, {300, 100}, {60, 10000}};
    memcpy(cfg->save, defaults, sizeof defaults);
    cfg->save_count = (int)RK_ARRAY_LEN(defaults);
    cfg->rdb_compression = true;
    cfg->rdb_checksum = true;
    cfg->stop_writes_on_bgsave_error = true;
    cfg->proto_max_bulk_len = 512 * MB;
    cfg->client_query_buffer_limit = 1024 * MB;
    cfg->obuf_limits[OBUF_NORMAL] = (struct config_obuf_limit){0, 0, 0};
    cfg->obuf_limits[OBUF_REPLICA] = (struct config_obuf_limit){256 * MB, 64 * MB, 60};
    cfg->obuf_limits[OBUF_PUBSUB] = (struct config_obuf_limit){32 * MB, 8 * MB, 60};
    cfg->protected_mode = true;
    cfg->tcp_backlog = 511;
    cfg->hz = 10;
    cfg->ring_entries = 4096;
    cfg->recv_buffers = 256;
    cfg->recv_buffer_size = 16384;
    cfg->shard_msg_inflight = 16;
    cfg->list_max_listpack_size = -2;
    cfg->list_compress_depth = 0;
    cfg->busy_reply_threshold = 5000; /* Redis 7.0's default */
    cfg->hash_max_listpack_entries = 512; /* Redis 7.0's default, as its redis.conf */
    cfg->hash_max_listpack_value = 64;
    cfg->set_max_intset_entries = 512;
    cfg->set_max_listpack_entries = 128;
    cfg->set_max_listpack_value = 64;
    cfg->zset_max_listpack_entries = 128;
    cfg->zset_max_listpack_value = 64;
    cfg->hll_sparse_max_bytes = 3000;
    cfg->stream_node_max_bytes = 4096; /* Redis 7.0's defaults */
    cfg->stream_node_max_entries = 100;
}

static char **str_field(struct config *cfg, const struct directive *d) { return (char **)((char *)cfg + d->offset); }

/* Fields declared `int` or `bool` in struct config are read and written
 * with their own width. */
static void store_int(struct config *cfg, const struct directive *d, long long v)
{
    void *p = (char *)cfg + d->offset;
    if (d->offset == F(port) || d->offset == F(shards) || d->offset == F(databases) || d->offset == F(loglevel))
        *(int *)p = (int)v;
    else if (d->type == T_BOOL) *(bool *)p = v != 0;
    else *(long long *)p = v;
}

static long long load_int(const struct config *cfg, const struct directive *d)
{
    const void *p = (const char *)cfg + d->offset;
    if (d->offset == F(port) || d->offset == F(shards) || d->offset == F(databases) || d->offset == F(loglevel))
        return *(const int *)p;
    if (d->type == T_BOOL) return *(const bool *)p;
    return *(const long long *)p;
}

/* The string fields the directives table names, each once, and those it
 * does not (config_file, acl_users): what copy duplicates and free frees. */
static char **next_string_field(struct config *cfg, size_t *i)
{
    static const size_t extra[] = {F(config_file), F(acl_users)};
    for (; *i < RK_ARRAY_LEN(directives); (*i)++)
        if (directives[*i].type == T_STRING) return (char **)((char *)cfg + directives[(*i)++].offset);
    size_t k = *i - RK_ARRAY_LEN(directives);
    if (k >= RK_ARRAY_LEN(extra)) return NULL;
    (*i)++;
    return (char **)((char *)cfg + extra[k]);
}

void config_free(struct config *cfg)
{
    for (int i = 0; i < cfg->bind_count; i++) rk_free(cfg->bind[i]);
    size_t at = 0;
    for (char **f; (f = next_string_field(cfg, &at));) rk_free(*f);
    for (int i = 0; i < CONFIG_INERT_MAX; i++) rk_free(cfg->inert[i]);
    memset(cfg, 0, sizeof(*cfg));
}

static char *dup_or_null(const char *s) { return s ? rk_strndup(s, strlen(s)) : NULL; }

void config_copy(struct config *dst, const struct config *src)
{
    *dst = *src;
    for (int i = 0; i < src->bind_count; i++) dst->bind[i] = dup_or_null(src->bind[i]);
    size_t at = 0;
    for (char **f; (f = next_string_field(dst, &at));) *f = dup_or_null(*f);
    for (int i = 0; i < CONFIG_INERT_MAX; i++) dst->inert[i] = dup_or_null(src->inert[i]);
}

static const struct directive *find_directive(const char *name)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(directives); i++)
        if (strcasecmp(directives[i].name, name) == 0) return &directives[i];
    return NULL;
}

/* Redis's memtoll: "1gb", "512mb", "100k", plain bytes. */
bool config_parse_memory(const char *s, long long *out)
{
    static const struct { const char *unit; long long mul; } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000000}, {"mb", MB},
        {"g", 1000000000LL}, {"gb", 1024 * MB},
    };
    size_t len = strlen(s), digits = 0;
    while (digits < len && (isdigit((unsigned char)s[digits]) || (digits == 0 && s[0] == '-'))) digits++;
    long long v;
    if (!string2ll(s, digits, &v)) return false;
    for (size_t i = 0; i < RK_ARRAY_LEN(units); i++) {
        if (strcasecmp(s + digits, units[i].unit) == 0) {
            if (v != 0 && llabs(v) > LLONG_MAX / units[i].mul) return false;
            *out = v * units[i].mul;
            return true;
        }
    }
    return false;
}

static bool parse_bool(const char *s, long long *out)
{
    if (strcasecmp(s, "yes") == 0) *out = 1;
    else if (strcasecmp(s, "no") == 0) *out = 0;
    else return false;
    return true;
}

static bool set_scalar(struct config *cfg, const struct directive *d, const char *v, char *err, size_t errlen)
{
    static const char *levels[] = {"debug", "verbose", "notice", "warning"};
    long long n = 0;
    bool ok = true;
    switch (d->type) {
    case T_INT: ok = string2ll(v, strlen(v), &n); break;
    case T_MEMORY: ok = config_parse_memory(v, &n); break;
    case T_BOOL: ok = parse_bool(v, &n); break;
    case T_LOGLEVEL:
        ok = false;
        for (int i = 0; i < 4; i++)
            if (strcasecmp(v, levels[i]) == 0) { n = i; ok = true; }
        break;
    case T_POLICY:
        ok = false;
        for (int i = 0; i <= MM_NOEVICTION; i++)
            if (strcasecmp(v, config_policy_names[i]) == 0) { n = i; ok = true; }
        break;
    case T_ENUM:
        n = config_choice_index(d->choices, v);
        if (n < 0) {
            config_choices_error(d->choices, err, errlen);
            return false;
        }
        break;
    case T_NOTIFY:
        n = notify_flags_parse(v, strlen(v));
        if (n < 0) {
            snprintf(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            return false;
        }
        break;
    case T_STRING: {
        char **f = str_field(cfg, d);
        rk_free(*f);
        *f = *v ? rk_strndup(v, strlen(v)) : NULL;
        return true;
    }
    case T_APPENDONLY:
        if (strcasecmp(v, "no") == 0) return true;
        snprintf(err, errlen, "'appendonly' must be no: ringkv does not persist data yet");
        return false;
    default: break;
    }
    if (!ok) {
        snprintf(err, errlen, "argument couldn't be parsed into an integer");
        if (d->type == T_BOOL) snprintf(err, errlen, "argument must be 'yes' or 'no'");
        if (d->type == T_MEMORY) snprintf(err, errlen, "argument must be a memory value");
        if (d->type == T_LOGLEVEL) snprintf(err, errlen, "argument(s) must be one of the following: debug, verbose, notice, warning");
        if (d->type == T_POLICY)
            snprintf(err, errlen, "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
                                  "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction");
        return false;
    }
    if (n < d->min || n > d->max) {
        snprintf(err, errlen, "argument must be between %lld and %lld inclusive", d->min, d->max);
        return false;
    }
    store_int(cfg, d, n);
    return true;
}

/* client-output-buffer-limit <class> <hard> <soft> <soft seconds> [...]:
 * the words may come one per value (config file, command line) or all in
 * one value (CONFIG SET). All groups are checked before any is applied. */
static bool set_obuf_limits(struct config *cfg, const char *const *values, int nvalues, char *err, size_t errlen)
{
    static const char *const class_names[] = {"normal", "slave", "replica", "pubsub"};
    static const enum config_obuf_class classes[] = {OBUF_NORMAL, OBUF_REPLICA, OBUF_REPLICA, OBUF_PUBSUB};
    char joined[1024] = "";
    for (int i = 0; i < nvalues; i++) {
        size_t at = strlen(joined);
        if ((size_t)snprintf(joined + at, sizeof(joined) - at, "%s%s", i ? " " : "", values[i]) >= sizeof(joined) - at) {
            snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
            return false;
        }
    }
    char *words[65];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(joined, " \t", &save); w && n < 65; w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    if (n % 4 != 0 || n > 64) {
        snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
        return false;
    }
    struct config_obuf_limit next[OBUF_CLASSES];
    memcpy(next, cfg->obuf_limits, sizeof(next));
    for (int i = 0; i < n; i += 4) {
        int cls = -1;
        for (size_t k = 0; k < RK_ARRAY_LEN(class_names); k++)
            if (strcasecmp(words[i], class_names[k]) == 0) cls = (int)classes[k];
        if (cls < 0) {
            snprintf(err, errlen, "Invalid client class specified in buffer limit configuration.");
            return false;
        }
        long long hard, soft, secs;
        if (!config_parse_memory(words[i + 1], &hard) || !config_parse_memory(words[i + 2], &soft) ||
            !string2ll(words[i + 3], strlen(words[i + 3]), &secs) || hard < 0 || soft < 0 || secs < 0) {
            snprintf(err, errlen, "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
            return false;
        }
        next[cls] = (struct config_obuf_limit){hard, soft, secs};
    }
    memcpy(cfg->obuf_limits, next, sizeof(next));
    return true;
}

/* save "<seconds> <changes> ..." or "": the pairs may come one word per
 * value (config file, command line) or in one value (CONFIG SET). In a
 * file or on the command line, save lines add up (the first one replaces
 * the defaults); CONFIG SET replaces them all, as in Redis. */
static bool set_save(struct config *cfg, const char *const *values, int nvalues, bool at_runtime, char *err,
                     size_t errlen)
{
    struct config_save_point pts[CONFIG_MAX_SAVE];
    int n = 0;
    long long pair[2];
    int half = 0;
    for (int i = 0; i < nvalues; i++) {
        const char *p = values[i];
        while (*p) {
            while (*p == ' ') p++;
            size_t len = strcspn(p, " ");
            if (len == 0) break;
            if (!string2ll(p, len, &pair[half]) || pair[half] < 0 || (half == 1 && n == CONFIG_MAX_SAVE)) {
                snprintf(err, errlen, "Invalid save parameters");
                return false;
            }
            if (half == 1) pts[n++] = (struct config_save_point){pair[0], pair[1]};
            half ^= 1;
            p += len;
        }
    }
    if (half) {
        snprintf(err, errlen, "Invalid save parameters");
        return false;
    }
    /* A file's save lines add up, replacing Redis's defaults; save "" (in the
     * file or after it, on the command line) drops every point so far. */
    if (at_runtime || !cfg->save_from_user || n == 0) cfg->save_count = 0;
    cfg->save_from_user = true;
    if (cfg->save_count + n > CONFIG_MAX_SAVE) {
        snprintf(err, errlen, "Too many save points");
        return false;
    }
    memcpy(cfg->save + cfg->save_count, pts, (size_t)n * sizeof pts[0]);
    cfg->save_count += n;
    return true;
}

/* latency-tracking-info-percentiles "50 99 99.9" (or one word per value),
 * each in [0, 100]; "" for none. */
static bool set_percentiles(struct config *cfg, const char *const *values, int nvalues, char *err, size_t errlen)
{
    double p[CONFIG_MAX_PERCENTILES];
    int n = 0;
    for (int i = 0; i < nvalues; i++) {
        const char *s = values[i];
        while (*s) {
            while (*s == ' ') s++;
            if (!*s) break;
            char *end;
            double v = strtod(s, &end);
            if (end == s || (*end && *end != ' ') || n == CONFIG_MAX_PERCENTILES) {
                snprintf(err, errlen, "Invalid latency-tracking-info-percentiles parameters");
                return false;
            }
            if (v < 0 || v > 100) {
                snprintf(err, errlen, "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]");
                return false;
            }
            p[n++] = v;
            s = end;
        }
    }
    memcpy(cfg->latency_percentiles, p, (size_t)n * sizeof p[0]);
    cfg->latency_percentiles_count = n;
    return true;
}

static bool set_inert(struct config *cfg, const char *name, const char *const *values, int nvalues, bool at_runtime,
                      char *err, size_t errlen)
{
    int i = config_inert_find(name);
    if (i < 0) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return false;
    }
    if (at_runtime && (config_inert_immutable(i) || config_inert_protected(i))) {
        snprintf(err, errlen, "can't set %s config", config_inert_immutable(i) ? "immutable" : "protected");
        return false;
    }
    return config_inert_set(&cfg->inert[i], i, values, nvalues, err, errlen);
}

const char *config_canonical_name(const char *name)
{
    const struct directive *d = find_directive(name);
    if (!d) {
        int i = config_inert_find(name);
        return i < 0 ? NULL : config_inert_name(i);
    }
    /* an alias shares its field and type with the directive listed first */
    for (size_t i = 0; i < RK_ARRAY_LEN(directives); i++)
        if (directives[i].type == d->type && directives[i].offset == d->offset &&
            (d->offset != 0 || &directives[i] == d))
            return directives[i].name;
    return d->name;
}

/* The addresses as written ("-::1", "*"; the shard's listener reads them),
 * one per value or, from CONFIG SET, space-separated in one. */
static bool set_binds(struct config *cfg, const char *const *values, int nvalues, char *err, size_t errlen)
{
    char *words[CONFIG_MAX_BIND];
    int n = 0;
    for (int i = 0; i < nvalues; i++) {
        for (const char *p = values[i]; *p;) {
            while (*p == ' ') p++;
            size_t len = strcspn(p, " ");
            if (len == 0) break;
            if (n == CONFIG_MAX_BIND) {
                for (int k = 0; k < n; k++) rk_free(words[k]);
                snprintf(err, errlen, "Too many bind addresses specified.");
                return false;
            }
            words[n++] = rk_strndup(p, len);
            p += len;
        }
    }
    for (int i = 0; i < cfg->bind_count; i++) rk_free(cfg->bind[i]);
    memcpy(cfg->bind, words, (size_t)n * sizeof(words[0]));
    cfg->bind_count = n;
    return true;
}

static void directive_value(const struct config *cfg, const struct directive *d, char *buf, size_t cap);

bool config_set(struct config *cfg, const char *name, const char *const *values, int nvalues, bool at_runtime,
                char *err, size_t errlen)
{
    const struct directive *d = find_directive(name);
    if (!d) return set_inert(cfg, name, values, nvalues, at_runtime, err, errlen);
    if (at_runtime && d->runtime == FIXED_OWN && nvalues == 1) {
        char now[64];
        directive_value(cfg, d, now, sizeof now);
        if (strcmp(now, values[0]) == 0) return true;
    }
    if (at_runtime && d->runtime != true) {
        snprintf(err, errlen, "can't set %s config", d->runtime == PROTECTED ? "protected" : "immutable");
        return false;
    }
    if (d->type == T_OBUF_LIMIT) return set_obuf_limits(cfg, values, nvalues, err, errlen);
    if (d->type == T_BIND) {
        if (nvalues < 1 || nvalues > CONFIG_MAX_BIND) {
            snprintf(err, errlen, "Too many bind addresses specified.");
            return false;
        }
        return set_binds(cfg, values, nvalues, err, errlen);
    }
    if (d->type == T_SAVE) return set_save(cfg, values, nvalues, at_runtime, err, errlen);
    if (d->type == T_PERCENTILES) return set_percentiles(cfg, values, nvalues, err, errlen);
    if (nvalues != 1) {
        snprintf(err, errlen, "wrong number of arguments");
        return false;
    }
    return set_scalar(cfg, d, values[0], err, errlen);
}

/* "user <name> <rules>": kept for the ACL registry (Redis loads them once
 * the configuration is read), each word quoted again for acl_split_args. */
static void add_user_line(struct config *cfg, char **words, int n)
{
    size_t cap = 2, len = 0;
    for (int i = 0; i < n; i++) cap += strlen(words[i]) * 4 + 3;
    size_t old = cfg->acl_users ? strlen(cfg->acl_users) : 0;
    char *out = rk_malloc(old + cap + 1);
    if (old) {
        memcpy(out, cfg->acl_users, old);
        out[old] = '\n';
        len = old + 1;
    }
    memcpy(out + len, "user ", 5);
    len += 5;
    for (int i = 1; i < n; i++) {
        out[len++] = '"';
        for (const unsigned char *p = (const unsigned char *)words[i]; *p; p++) {
            if (*p == '"' || *p == '\\' || *p < ' ' || *p > '~') len += (size_t)sprintf(out + len, "\\x%02x", *p);
            else out[len++] = (char)*p;
        }
        out[len++] = '"';
        out[len++] = ' ';
    }
    out[len] = 0;
    rk_free(cfg->acl_users);
    cfg->acl_users = out;
}

static void set_from_words(struct config *cfg, char **words, int n, const char *where, int line, char *err,
                           size_t errlen, bool *ok)
{
    char why[256] = "";
    if (strcasecmp(words[0], "user") == 0 && n >= 2) {
        add_user_line(cfg, words, n);
        return;
    }
    if (!config_set(cfg, words[0], (const char *const *)words + 1, n - 1, false, why, sizeof(why))) {
        if (line > 0)
            snprintf(err, errlen, "*** FATAL CONFIG FILE ERROR ***\nReading the configuration file, at line %d\n>>> '%s'\n%s",
                     line, words[0], why);
        else
            snprintf(err, errlen, "*** FATAL CONFIG FILE ERROR ***\n%s '%s': %s", where, words[0], why);
        *ok = false;
    }
}

static bool load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "Fatal error, can't open config file '%s': %s", path, strerror(errno));
        return false;
    }
    char line[4096];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f)) {
        lineno++;
        char *args[64];
        char out[4096], words[4096 + 64];
        struct resp_arg spans[64];
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '#' || *p == '\0') continue;
        int n = resp_split_inline(p, strlen(p), out, spans, 64);
        if (n <= 0) {
            snprintf(err, errlen, "*** FATAL CONFIG FILE ERROR ***\nat line %d: Unbalanced quotes in configuration line", lineno);
            ok = false;
            break;
        }
        /* The split arguments lie back to back in `out`: each gets its own
         * NUL-terminated copy. */
        size_t at = 0;
        for (int i = 0; i < n; i++) {
            memcpy(words + at, out + spans[i].off, spans[i].len);
            words[at + spans[i].len] = '\0';
            args[i] = words + at;
            at += spans[i].len + 1;
        }
        set_from_words(cfg, args, n, path, lineno, err, errlen, &ok);
    }
    fclose(f);
    return ok;
}

bool config_parse_args(struct config *cfg, int argc, char **argv, char *err, size_t errlen)
{
    int i = 1;
    bool ok = true;
    if (i < argc && strncmp(argv[i], "--", 2) != 0) {
        /* absolute, as Redis keeps it: INFO config_file, CONFIG REWRITE */
        char *abs = realpath(argv[i], NULL);
        cfg->config_file = rk_strndup(abs ? abs : argv[i], strlen(abs ? abs : argv[i]));
        free(abs);
        if (!load_file(cfg, argv[i], err, errlen)) return false;
        i++;
    }
    while (ok && i < argc) {
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            snprintf(err, errlen, "*** FATAL CONFIG FILE ERROR ***\nInvalid argument '%s': options start with --", argv[i]);
            return false;
        }
        char *words[64];
        int n = 0;
        words[n++] = argv[i] + 2;
        i++;
        while (i < argc && strncmp(argv[i], "--", 2) != 0 && n < 64) words[n++] = argv[i++];
        if (n == 1) {
            /* A flag without a value: only booleans, meaning yes. */
            static char yes[] = "yes";
            words[n++] = yes;
        }
        set_from_words(cfg, words, n, "command line option", 0, err, errlen, &ok);
    }
    return ok;
}

/* A directive's value as CONFIG GET answers it, into buf (cap bytes). */
static void directive_value(const struct config *cfg, const struct directive *d, char *buf, size_t cap)
{
    static const char *levels[] = {"debug", "verbose", "notice", "warning"};
    buf[0] = '\0';
    switch (d->type) {
    case T_STRING: {
        const char *s = *str_field((struct config *)cfg, d);
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case T_BOOL: snprintf(buf, cap, "%s", load_int(cfg, d) ? "yes" : "no"); break;
    case T_LOGLEVEL: snprintf(buf, cap, "%s", levels[cfg->loglevel & 3]); break;
    case T_POLICY: snprintf(buf, cap, "%s", config_policy_names[cfg->maxmemory_policy]); break;
    case T_ENUM: config_choice_name(d->choices, (int)load_int(cfg, d), buf, cap); break;
    case T_NOTIFY: notify_flags_format(cfg->notify_keyspace_events, buf); break;
    case T_PERCENTILES:
        for (int k = 0; k < cfg->latency_percentiles_count; k++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%g", k ? " " : "", cfg->latency_percentiles[k]);
        break;
    case T_BIND:
        for (int b = 0; b < cfg->bind_count; b++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", b ? " " : "", cfg->bind[b]);
        break;
    case T_SAVE:
        for (int k = 0; k < cfg->save_count; k++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%lld %lld", k ? " " : "",
                     cfg->save[k].seconds, cfg->save[k].changes);
        break;
    case T_APPENDONLY: snprintf(buf, cap, "no"); break;
    case T_OBUF_LIMIT: {
        static const char *const names[OBUF_CLASSES] = {"normal", "slave", "pubsub"};
        for (int k = 0; k < OBUF_CLASSES; k++)
            snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s %lld %lld %lld", k ? " " : "", names[k],
                     cfg->obuf_limits[k].hard, cfg->obuf_limits[k].soft, cfg->obuf_limits[k].soft_seconds);
        break;
    }
    default: snprintf(buf, cap, "%lld", load_int(cfg, d)); break;
    }
}

void config_get(const struct config *cfg, const char *pattern, size_t plen,
                void (*fn)(const char *name, const char *value, void *arg), void *arg)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(directives); i++) {
        const struct directive *d = &directives[i];
        if (!glob_match(pattern, plen, d->name, strlen(d->name), true)) continue;
        char buf[1024];
        directive_value(cfg, d, buf, sizeof buf);
        fn(d->name, buf, arg);
    }
    bool is_pattern = memchr(pattern, '*', plen) || memchr(pattern, '?', plen) || memchr(pattern, '[', plen);
    for (int i = 0; i < config_inert_count(); i++) {
        const char *names[2] = {config_inert_name(i), config_inert_alias(i)};
        if (is_pattern && config_inert_hidden(i)) continue;
        for (int k = 0; k < 2 && names[k]; k++)
            if (glob_match(pattern, plen, names[k], strlen(names[k]), true))
                fn(names[k], config_inert_value(cfg->inert[i], i), arg);
    }
}

static enum config_style style_of(const struct directive *d)
{
    switch (d->type) {
    case T_STRING:
    case T_NOTIFY: return CONFIG_STYLE_QUOTED;
    case T_MEMORY: return CONFIG_STYLE_MEMORY;
    case T_BIND:
    case T_PERCENTILES: return CONFIG_STYLE_WORDS;
    case T_SAVE: return CONFIG_STYLE_SAVE;
    case T_OBUF_LIMIT: return CONFIG_STYLE_OBUF;
    default: return CONFIG_STYLE_PLAIN;
    }
}

void config_each(const struct config *cfg,
                 void (*fn)(const char *name, const char *value, enum config_style style, void *arg), void *arg)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(directives); i++) {
        const struct directive *d = &directives[i];
        if (strcmp(config_canonical_name(d->name), d->name) != 0) continue; /* an alias */
        char buf[1024];
        directive_value(cfg, d, buf, sizeof buf);
        fn(d->name, buf, style_of(d), arg);
    }
    for (int i = 0; i < config_inert_count(); i++) {
        if (config_inert_hidden(i)) continue;
        enum config_style style = config_inert_is_string(i)   ? CONFIG_STYLE_QUOTED
                                  : config_inert_is_memory(i) ? CONFIG_STYLE_MEMORY
                                  : config_inert_is_words(i)  ? CONFIG_STYLE_WORDS
                                                              : CONFIG_STYLE_PLAIN;
        fn(config_inert_name(i), config_inert_value(cfg->inert[i], i), style, arg);
    }
}
