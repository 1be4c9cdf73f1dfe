/* host.h — what a command handler may ask of the layers above it.
 *
 * Handlers see a keyspace, a configuration and a reply writer (cmd_ctx in
 * commands.h), never a shard or a connection. The few commands that act on
 * the calling client or on the server (SELECT, HELLO, AUTH, QUIT, CLIENT,
 * CONFIG SET/RESETSTAT, INFO, LASTSAVE) do it through the calls below,
 * declared here, in the command layer, and defined above it: the client
 * calls by the connection actor (src/net/conn.c), the host calls in
 * src/core/host.c.
 *
 * Two opaque handles, both in cmd_ctx:
 *  - struct client: the calling client's connection. Set only for CMD_CONN
 *    commands, which run on the connection's own shard; NULL otherwise
 *    (a command that runs on another shard cannot reach its client). The
 *    host also hands out its clients' handles (host_foreach_client).
 *  - struct host: the shard running the command, as a command sees it:
 *    its clients, its counters, its copy of the configuration.
 *
 * Thread: every call runs on the thread of the shard the handle belongs to,
 * which is the thread running the command; a handle is valid during the
 * command only (never keep one). host_server_facts runs on any thread.
 */
#ifndef RINGKV_HOST_H
#define RINGKV_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct client;
struct host;
struct config;
struct cmdstats;
struct obuf;

/* ---- the client (its connection's protocol state) ---- */

uint64_t client_id(const struct client *cl);
/* Its address and the server's address it connected to, "ip:port". */
const char *client_addr(const struct client *cl);
const char *client_laddr(const struct client *cl);
/* Its name (CLIENT SETNAME), or NULL when it has none. */
const char *client_name(const struct client *cl);
/* Names it; an empty name removes the name. */
void client_set_name(struct client *cl, const char *name, size_t len);
/* The database its next commands use (SELECT; the caller checked the range). */
void client_select_db(struct client *cl, int dbid);
/* The RESP version of its next replies (HELLO, 2 or 3). */
void client_set_resp(struct client *cl, int resp);
/* Whether it has authenticated (AUTH, HELLO AUTH), and marking it so. */
bool client_is_authenticated(const struct client *cl);
void client_set_authenticated(struct client *cl);
/* Its ACL user (cmd/acl.h): authenticating as u takes a reference; the
 * user it holds stays valid while the command runs. */
struct acl_user;
void client_set_user(struct client *cl, struct acl_user *u);
const struct acl_user *client_user(const struct client *cl);
/* CLIENT REPLY: ON answers every command; OFF none; SKIP (set as
 * SKIP_NEXT by the command) the next one only. Pushes (pub/sub messages,
 * subscription confirmations) are sent in every mode, as in Redis. */
enum client_reply_mode { CLIENT_REPLY_ON, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP_NEXT, CLIENT_REPLY_SKIP };
void client_set_reply_mode(struct client *cl, enum client_reply_mode mode);
enum client_reply_mode client_reply_mode(const struct client *cl);
/* CLIENT NO-EVICT: a flag CLIENT LIST shows. */
void client_set_no_evict(struct client *cl, bool on);
/* RESET: as a new connection again (its MULTI discarded, WATCHes and
 * subscriptions gone, database 0, RESP2, no name, authenticated only if
 * no password is required), its id kept. */
void client_reset(struct client *cl);
/* The command's reply comes later (SAVE answers when the file is
 * written): the client runs nothing else until it does. The completion
 * returned takes the reply bytes once (the host's to call). */
struct msg_done;
struct msg_done *client_defer_reply(struct client *cl);
/* Closes it once the replies queued so far, this command's included, are
 * sent (QUIT). */
void client_close_after_reply(struct client *cl);
/* Closes another client after what it has been sent (CLIENT KILL): as
 * client_close_after_reply, and wakes its connection to do it. */
void client_kill(struct client *cl);
/* Appends its CLIENT LIST line (ending in "\n") to out. */
void client_describe(const struct client *cl, struct obuf *out);

/* Pub/sub (net/pubsub.h): what a client listens to. Channels and
 * patterns are counted together (SUBSCRIBE's reply), shard channels apart. */
enum pubsub_kind { PUBSUB_CHANNEL, PUBSUB_PATTERN, PUBSUB_SHARD };
/* Starts listening (once); returns the count to reply with. */
long client_subscribe(struct client *cl, enum pubsub_kind kind, const char *name, size_t len);
/* Stops listening, if it did; returns the count to reply with. */
long client_unsubscribe(struct client *cl, enum pubsub_kind kind, const char *name, size_t len);
/* Stops listening to every channel (or pattern, or shard channel) of the
 * kind, calling fn with each name and the count after it, in no set order. */
typedef void (*client_unsub_fn)(const char *name, size_t len, long count, void *arg);
void client_unsubscribe_all(struct client *cl, enum pubsub_kind kind, client_unsub_fn fn, void *arg);
/* MONITOR (net/monitor.h): the client starts getting every command run;
 * DENIED inside a transaction, as Redis refuses a deny-blocking client. */
enum monitor_start { MONITOR_STARTED, MONITOR_ALREADY, MONITOR_DENIED };
enum monitor_start client_start_monitor(struct client *cl);
/* A command a script runs (redis.call), for the monitors of every shard. */
struct cmd_def;
struct cmd_args;
void host_monitor_script_call(struct host *h, const struct cmd_def *cmd, int dbid, const struct cmd_args *a);
/* Client-side caching (net/tracking.h): CLIENT TRACKING ON's options. */
enum { CLIENT_TRACKING_BCAST = 1u << 1, CLIENT_TRACKING_OPTIN = 1u << 2, CLIENT_TRACKING_OPTOUT = 1u << 3,
       CLIENT_TRACKING_NOLOOP = 1u << 4 };
struct client_tracking_req {
    uint32_t options;                 /* CLIENT_TRACKING_* */
    uint64_t redirect;                /* client id, 0: none */
    int nprefixes;
    const char *const *prefixes;
    const size_t *prefix_lens;
};
/* Turns tracking on (or changes its options) as Redis's CLIENT TRACKING
 * ON; false with Redis's error in err (the options that depend on the
 * client's current mode are checked here). */
bool client_tracking_on(struct client *cl, const struct client_tracking_req *req, char *err, size_t cap);
void client_tracking_off(struct client *cl);
/* CLIENT CACHING's word: YES, NO, or something else (a syntax error,
 * told only to a client in tracking mode, as Redis). */
enum client_caching { CLIENT_CACHING_YES, CLIENT_CACHING_NO, CLIENT_CACHING_BAD };
/* NULL, or Redis's error (with its ERR prefix). */
const char *client_tracking_caching(struct client *cl, enum client_caching word);
/* CLIENT GETREDIR: the redirect id, 0 without, -1 when not tracking. */
long long client_tracking_redirect(const struct client *cl);
/* CLIENT TRACKINGINFO's reply. */
struct reply;
void client_tracking_info(const struct client *cl, struct reply *r);
/* Whether a client with this id is connected, on any shard. */
bool host_client_exists(struct host *h, uint64_t id);
/* FLUSHDB/FLUSHALL ran on this shard: client-side caches are told. */
void host_tracking_flushed(struct host *h);
/* Whether the client is in RESP2's subscribed mode (only the subscribe
 * commands, PING and QUIT run there; PING answers differently). */
bool client_in_pubsub_mode(const struct client *cl);

/* ---- the host (the shard running the command) ---- */

/* Delivers a message to this shard's subscribers of channel (kind
 * PUBSUB_CHANNEL: channel and pattern subscribers; PUBSUB_SHARD: shard
 * channel subscribers); returns how many received it (msg NULL: how many
 * would, delivering nothing). */
long host_publish(struct host *h, enum pubsub_kind kind, const char *channel, size_t clen, const char *msg,
                  size_t mlen);
/* Raises a keyspace notification of class `type` (base/notify.h) for key in
 * database dbid, if notify-keyspace-events wants it: its messages reach
 * subscribers on every shard (core/notify.h). */
void host_notify(struct host *h, long long type, const char *event, int dbid, const char *key, size_t klen);
/* This shard's active channels (or shard channels) matching pattern (NULL:
 * all), its subscriber count of one, and its patterns, for PUBSUB. */
typedef void (*name_visit_fn)(const char *name, size_t len, void *arg);
void host_pubsub_channels(struct host *h, enum pubsub_kind kind, const char *pattern, size_t plen,
                          name_visit_fn fn, void *arg);
long host_pubsub_numsub(struct host *h, enum pubsub_kind kind, const char *channel, size_t len);
void host_pubsub_patterns(struct host *h, name_visit_fn fn, void *arg);
/* The BCAST prefixes of this shard's clients (client-side caching), each
 * once (INFO tracking_total_prefixes). */
void host_tracking_prefixes(struct host *h, name_visit_fn fn, void *arg);

/* Calls fn for each client connected to this shard, except those closing
 * or only waiting for the peer to take their last reply. */
typedef void (*client_visit_fn)(struct client *cl, void *arg);
void host_foreach_client(struct host *h, client_visit_fn fn, void *arg);

/* Replaces this shard's configuration with *cfg, taking ownership of it
 * (CONFIG SET runs on every shard: each replaces its own copy). The old
 * one is freed; cmd_ctx.cfg points at the new one. Returns NULL, or
 * Redis's error text when the new settings cannot be applied (TLS
 * settings that do not build, a port or address that cannot be listened
 * on), with nothing changed, *cfg still the caller's, and *directive the
 * directive the error is about ("tls-": the first TLS one). */
const char *host_config_replace(struct host *h, struct config *cfg, const char **directive);

/* CLIENT PAUSE until end_ms (unix), of every command or (writes_only) of
 * those that may write, on every shard; CLIENT UNPAUSE (core/pause.h). */
void host_pause_clients(struct host *h, long long end_ms, bool writes_only);
void host_unpause_clients(struct host *h);

/* CLIENT UNBLOCK: ends the wait of the client blocked on this shard, if
 * any (answering nil, or -UNBLOCKED when error); true when there was one. */
bool host_unblock_client(struct host *h, uint64_t client_id, bool error);

/* ---- scripting (cmd_script.c) ---- */

struct script_engine;
struct script_store;
struct cmd_def;
struct cmd_args;
struct cmd_ctx;
/* This shard's Lua engine, created on first use and in step with the
 * server's store: a script flushed anywhere is forgotten here too. */
struct script_engine *host_script_engine(struct host *h);
/* The bodies every shard knows (script_store.h). */
struct script_store *host_script_store(struct host *h);
/* This shard's engine of libraries (FCALL), created on first use and
 * holding exactly the libraries of the server's store. */
struct function_store;
struct script_engine *host_function_engine(struct host *h);
struct function_store *host_function_store(struct host *h);
/* A script that runs long (busy-reply-threshold, ms): every so often it
 * tells the host how long it has run and whether it wrote; past the
 * threshold the other shards see it (they answer -BUSY for this shard and
 * SCRIPT KILL reaches it). True when SCRIPT KILL asked it to stop and it
 * may (it wrote nothing). host_script_done when it ends. */
enum { SCRIPT_NOT_BUSY = 0, SCRIPT_BUSY_CLEAN = 1, SCRIPT_BUSY_WROTE = 2, SCRIPT_BUSY_FUNCTION = 4 };
bool host_script_tick(struct host *h, long long started_ms, bool wrote, bool function);
void host_script_done(struct host *h);
/* SCRIPT KILL (functions false) and FUNCTION KILL: stop a busy script of
 * their kind that wrote nothing, on any shard. */
enum script_kill_result { SCRIPT_KILL_NOTBUSY, SCRIPT_KILL_UNKILLABLE, SCRIPT_KILL_OTHER_KIND, SCRIPT_KILL_DONE };
enum script_kill_result host_script_kill(struct host *h, bool functions);
/* Runs a command for a script as the shard runs a client's command
 * (statistics, WATCH), in ctx (its keyspace, database and reply). */
void host_run(struct host *h, const struct cmd_def *cmd, const struct cmd_args *a, struct cmd_ctx *ctx);
/* Whether key is this shard's and no transaction holds it: a script
 * running here in place may touch it at once. */
bool host_key_here(struct host *h, int dbid, const char *key, size_t len);
/* Publishes to the subscribers of every shard, in the order of this
 * shard's other publishes and keyspace events, answering no one (a
 * script's deferred PUBLISH; core/notify.h). */
void host_publish_all(struct host *h, const char *channel, size_t clen, const char *msg, size_t mlen);

/* What a shard counts outside its keyspace (the keyspace counts its own
 * hits, misses and expiries: keyspace.h). */
struct host_counters {
    uint64_t connections_received;  /* accepted since start or RESETSTAT */
    uint64_t clients;               /* connected now */
    uint64_t net_input_bytes, net_output_bytes;
    uint64_t msgs_sent, msgs_received, cmds_forwarded; /* between shards */
    uint64_t blocked_clients;       /* waiting here in BLPOP and the like */
    uint64_t lua_memory;            /* its Lua engines: EVAL's, and FCALL's */
    uint64_t functions_lua_memory;
    uint64_t changes_since_save;    /* keys changed since the last snapshot's cut */
    long long used_memory;          /* what its thread allocated minus freed (core/memory.h) */
    uint64_t client_buffers;        /* its clients' query and reply buffers, bytes */
    uint64_t max_query_buffer, max_output_buffer; /* its largest client's, now */
    uint64_t reads_processed, writes_processed;   /* receives and sends completed */
    uint64_t ops_per_sec, input_per_sec, output_per_sec; /* instantaneous: commands, bytes */
    uint64_t tracking_keys, tracking_items;   /* its tracking table (core/tracking.h) */
};
void host_read_counters(const struct host *h, struct host_counters *out);
/* Its commands' calls, time and errors (INFO commandstats, errorstats). */
const struct cmdstats *host_cmdstats(const struct host *h);
/* Zeroes its counters and its command statistics, and the server's count
 * of rejected connections (CONFIG RESETSTAT; the keyspace's counters are
 * the caller's: ks_reset_stats). */
void host_reset_stats(struct host *h);

/* The server's facts, the same on every shard (INFO, LASTSAVE). */
/* This shard's log of slow commands (SLOWLOG). */
struct slowlog;
struct slowlog *host_slowlog(struct host *h);
/* The id the next slow command will get, server-wide. */
uint64_t host_slowlog_next_id(struct host *h);
/* This shard's latency monitor (LATENCY). */
struct latency_monitor;
struct latency_monitor *host_latency(struct host *h);

/* ---- persistence (core/snapshot.h) ---- */
/* Takes the server's one snapshot slot; false while a snapshot runs. */
bool host_snapshot_claim(struct host *h);
/* Starts the claimed snapshot. SAVE answers `later` when the file is
 * written, BGSAVE once the snapshot's cut is taken (so the client's next
 * commands come after it). */
enum host_snapshot_kind { HOST_SNAPSHOT_SAVE, HOST_SNAPSHOT_BGSAVE };
void host_snapshot_start(struct host *h, enum host_snapshot_kind kind, struct msg_done *later);
/* BGSAVE SCHEDULE while one runs: another starts when it ends. */
void host_snapshot_schedule(struct host *h);
/* SHUTDOWN: the server stops. With `save`, this shard takes a snapshot
 * first and `later` hears how it went: nothing when it was written (the
 * server stops, closing the connection), Redis's error when it failed
 * (the server keeps running). */
void host_shutdown(struct host *h, bool save, struct msg_done *later);

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the dataset (unless
 * NOSAVE), then, at one point of the global order, every shard empties
 * its databases (unless NOFLUSH) and loads its keys from the file (MERGE:
 * a key in the file replaces one of the same name; without it a key that
 * already exists fails the load). `later` hears +OK or Redis's error. */
enum { HOST_RELOAD_MERGE = 1u << 0, HOST_RELOAD_NOFLUSH = 1u << 1, HOST_RELOAD_NOSAVE = 1u << 2 };
void host_debug_reload(struct host *h, unsigned flags, struct msg_done *later);

struct server_facts {
    const struct config *cfg;       /* as the server started (CONFIG SET changes the shards' copies) */
    unsigned nshards;
    long long start_time_us;        /* unix time, microseconds */
    long long max_fds;              /* the descriptor limit after raising it */
    long long rejected_conns;       /* refused over maxclients */
    long long tracking_clients;     /* CLIENT TRACKING on, every shard */
    uint64_t cached_scripts;        /* script bodies known (SCRIPT LOAD, EVAL) */
    uint64_t scripts_bytes;         /* their size */
    uint64_t libraries, functions;  /* FUNCTION LOAD's (function_store.h) */
    uint64_t functions_bytes;       /* what they hold */
    /* snapshots */
    bool snapshot_running, last_snapshot_ok;
    long long lastsave;             /* unix seconds */
    long long snapshot_started_ms, last_snapshot_s;
    uint64_t snapshots;             /* started since start (INFO rdb_saves) */
    uint64_t keys_loaded;           /* at startup */
    long long mem_base, mem_peak;   /* the main thread's allocations; the peak seen (core/memory.h) */
    long long mem_startup;          /* everything allocated once the shards had started */
};
void host_server_facts(struct server_facts *out);

#endif
