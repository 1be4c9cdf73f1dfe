/* config.h — the server's configuration: redis.conf directives and
 * ringkv's own, parsed from a file and the command line into one struct.
 *
 * The server keeps the master copy; each shard gets its own copy at start
 * and CONFIG SET is delivered to every shard as a message, so a shard
 * reads its settings without sharing memory with other threads.
 */
#ifndef RINGKV_CONFIG_H
#define RINGKV_CONFIG_H

#include "ringkv/base/config_inert.h"

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_BIND 16
/* The most shards a server runs (the `shards` directive's bound). */
#define MAX_SHARDS 256

/* client-output-buffer-limit classes, in Redis's order. */
enum config_obuf_class { OBUF_NORMAL, OBUF_REPLICA, OBUF_PUBSUB, OBUF_CLASSES };

/* A save point: snapshot when at least `changes` writes happened in the
 * last `seconds` (redis.conf's `save <seconds> <changes>`). */
#define CONFIG_MAX_SAVE 16
struct config_save_point {
    long long seconds, changes;
};

/* maxmemory-policy, in Redis's order of its names (config_policy_names). */
enum maxmemory_policy {
    MM_VOLATILE_LRU, MM_VOLATILE_LFU, MM_VOLATILE_RANDOM, MM_VOLATILE_TTL,
    MM_ALLKEYS_LRU, MM_ALLKEYS_LFU, MM_ALLKEYS_RANDOM, MM_NOEVICTION,
};
extern const char *const config_policy_names[];
/* What a policy does: keep LFU counters instead of the LRU clock; choose
 * only among keys with a TTL; rank candidates (not a random pick). */
static inline bool config_policy_lfu(long long p) { return p == MM_ALLKEYS_LFU || p == MM_VOLATILE_LFU; }
static inline bool config_policy_volatile(long long p) { return p <= MM_VOLATILE_TTL; }
static inline bool config_policy_ranks(long long p)
{
    return p != MM_NOEVICTION && p != MM_ALLKEYS_RANDOM && p != MM_VOLATILE_RANDOM;
}

struct config_obuf_limit {
    long long hard, soft;       /* bytes, 0: none */
    long long soft_seconds;     /* over soft for longer than this: closed */
};

/* supervised and syslog-facility, in Redis's order of their names. */
#define CONFIG_SUPERVISED_MODES "upstart systemd auto no"
/* acl-pubsub-default: index 0 gives new users allchannels. */
#define CONFIG_ACL_PUBSUB_DEFAULTS "allchannels resetchannels"
enum config_supervised { CONFIG_SUPERVISED_UPSTART, CONFIG_SUPERVISED_SYSTEMD, CONFIG_SUPERVISED_AUTO, CONFIG_SUPERVISED_NO };
/* tls-auth-clients: no certificate asked, one required, one checked if sent. */
#define CONFIG_TLS_AUTH_CLIENTS "no yes optional"
enum { CONFIG_TLS_AUTH_NO, CONFIG_TLS_AUTH_YES, CONFIG_TLS_AUTH_OPTIONAL };
#define CONFIG_SYSLOG_FACILITIES "user local0 local1 local2 local3 local4 local5 local6 local7"
enum { CONFIG_FACILITY_USER, CONFIG_FACILITY_LOCAL0 };
/* enable-debug-command (Redis 7.0's protected actions), in its order. */
#define CONFIG_PROTECTED_ACTIONS "no yes local"
enum config_protected_action { CONFIG_PROTECTED_NO, CONFIG_PROTECTED_YES, CONFIG_PROTECTED_LOCAL };

struct config {
    int port;
    char *bind[CONFIG_MAX_BIND];  /* as written: "-::1" is optional, "*" any IPv4 */
    int bind_count;
    int shards;
    bool pin_cpus;
    int databases;
    char *requirepass;
    char *aclfile;              /* ACL LOAD / SAVE; NULL: none */
    char *acl_users;            /* the "user ..." lines of the config, '\n'-separated, quoted again */
    long long acllog_max_len;
    long long acl_pubsub_default; /* index in CONFIG_ACL_PUBSUB_DEFAULTS */
    long long maxclients;
    long long timeout;          /* seconds idle before closing, 0: never */
    int loglevel;
    char *logfile;
    bool syslog_enabled;
    char *syslog_ident;
    long long syslog_facility;  /* index in CONFIG_SYSLOG_FACILITIES */
    bool daemonize;
    long long supervised;       /* enum config_supervised */
    long long enable_debug_command; /* enum config_protected_action */
    char *pidfile;
    char *dir;
    long long notify_keyspace_events; /* NOTIFY_* classes (base/notify.h), 0: none */
    /* memory: maxmemory and eviction */
    long long maxmemory;            /* bytes, 0: no limit */
    long long maxmemory_policy;     /* enum maxmemory_policy */
    long long maxmemory_samples, maxmemory_eviction_tenacity;
    long long tracking_table_max_keys;  /* keys in all tracking tables (core/tracking.h), 0: no limit */
    long long lfu_log_factor, lfu_decay_time;
    /* accepted, as Redis's: big values are freed at once either way */
    bool lazyfree_lazy_eviction, lazyfree_lazy_expire, lazyfree_lazy_server_del, lazyfree_lazy_user_del,
        lazyfree_lazy_user_flush;
    /* persistence */
    char *dbfilename;
    struct config_save_point save[CONFIG_MAX_SAVE];
    int save_count;
    bool save_from_user;        /* the defaults were replaced by a save line */
    bool rdb_compression, rdb_checksum, stop_writes_on_bgsave_error;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    struct config_obuf_limit obuf_limits[OBUF_CLASSES];
    bool protected_mode;
    long long tcp_backlog;
    long long hz;
    long long busy_reply_threshold; /* ms a script runs before it is busy (lua-time-limit) */
    long long slowlog_log_slower_than; /* us; -1: off, 0: every command */
    long long latency_monitor_threshold; /* ms; 0: off (LATENCY) */
    long long slowlog_max_len;
    bool latency_tracking;          /* INFO latencystats */
#define CONFIG_MAX_PERCENTILES 16
    double latency_percentiles[CONFIG_MAX_PERCENTILES]; /* latency-tracking-info-percentiles */
    int latency_percentiles_count;
    /* ringkv's own */
    long long ring_entries;     /* SQ entries per shard ring */
    long long recv_buffers;     /* provided buffers per shard (power of two) */
    long long recv_buffer_size; /* bytes each */
    long long shard_msg_inflight; /* request messages in flight per target shard */
    /* encodings (used by the collection types) */
    long long list_max_listpack_size;
    long long list_compress_depth; /* quicklist nodes left plain at each end; 0: no compression */
    long long hash_max_listpack_entries, hash_max_listpack_value;
    long long set_max_intset_entries, set_max_listpack_entries, set_max_listpack_value;
    long long zset_max_listpack_entries, zset_max_listpack_value;
    long long hll_sparse_max_bytes; /* a sparse HyperLogLog longer than this turns dense */
    long long stream_node_max_bytes, stream_node_max_entries;
    /* TLS (net/tls.h); the strings NULL where not set */
    long long tls_port;               /* 0: no TLS listener */
    char *tls_cert_file, *tls_key_file, *tls_key_file_pass, *tls_ca_cert_file, *tls_ca_cert_dir;
    char *tls_dh_params_file, *tls_protocols, *tls_ciphers, *tls_ciphersuites;
    long long tls_auth_clients;       /* CONFIG_TLS_AUTH_* */
    bool tls_prefer_server_ciphers, tls_session_caching;
    long long tls_session_cache_size, tls_session_cache_timeout;
    char *config_file;
    /* Redis's directives ringkv only reports (base/config_inert.h): their
     * values as text, NULL where at the default. */
    char *inert[CONFIG_INERT_MAX];
};

/* Fills defaults (shards = online CPUs). */
void config_init(struct config *cfg);
void config_free(struct config *cfg);
/* Copies every field, duplicating strings. */
void config_copy(struct config *dst, const struct config *src);
/* Parses argv as redis-server does: [file] [--name value ...]. On error,
 * writes a message naming the directive to err and returns false. */
bool config_parse_args(struct config *cfg, int argc, char **argv, char *err, size_t errlen);
/* Sets one directive from its text value (config file line, CONFIG SET). */
bool config_set(struct config *cfg, const char *name, const char *const *values, int nvalues,
                bool at_runtime, char *err, size_t errlen);
/* The directive's own name when name is one of its aliases (CONFIG SET
 * refuses a directive given twice), name itself otherwise; NULL when
 * there is no such directive. */
const char *config_canonical_name(const char *name);

/* How a directive's value is written in a config file (CONFIG REWRITE). */
enum config_style {
    CONFIG_STYLE_PLAIN,  /* one word as CONFIG GET answers it */
    CONFIG_STYLE_QUOTED, /* a string: quoted and escaped */
    CONFIG_STYLE_MEMORY, /* bytes, with a unit where it divides (100mb) */
    CONFIG_STYLE_WORDS,  /* several words (bind, percentiles) */
    CONFIG_STYLE_SAVE,   /* a line per save point */
    CONFIG_STYLE_OBUF,   /* a line per client class */
};
/* Each directive once, by its canonical name (no aliases, no hidden test
 * knobs), with its value as CONFIG GET answers it. */
void config_each(const struct config *cfg,
                 void (*fn)(const char *name, const char *value, enum config_style style, void *arg), void *arg);
/* CONFIG GET: calls fn for every directive matching the glob pattern
 * (a directive Redis hides from patterns still answers its exact name). */
void config_get(const struct config *cfg, const char *pattern, size_t plen,
                void (*fn)(const char *name, const char *value, void *arg), void *arg);

/* A memory size as redis.conf writes it ("1gb", "100k", "5"), Redis's memtoll. */
bool config_parse_memory(const char *s, long long *out);

#endif
