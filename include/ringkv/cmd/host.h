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
/* CLIENT NO-EVICT: a flag CLIENT LIST shows. */
void client_set_no_evict(struct client *cl, bool on);
/* Closes it once the replies queued so far, this command's included, are
 * sent (QUIT). */
void client_close_after_reply(struct client *cl);
/* Closes another client after what it has been sent (CLIENT KILL): as
 * client_close_after_reply, and wakes its connection to do it. */
void client_kill(struct client *cl);
/* Appends its CLIENT LIST line (ending in "\n") to out. */
void client_describe(const struct client *cl, struct obuf *out);

/* ---- the host (the shard running the command) ---- */

/* Calls fn for each client connected to this shard, except those closing. */
typedef void (*client_visit_fn)(struct client *cl, void *arg);
void host_foreach_client(struct host *h, client_visit_fn fn, void *arg);

/* Replaces this shard's configuration with *cfg, taking ownership of it
 * (CONFIG SET runs on every shard: each replaces its own copy). The old
 * one is freed; cmd_ctx.cfg points at the new one. */
void host_config_replace(struct host *h, struct config *cfg);

/* What a shard counts outside its keyspace (the keyspace counts its own
 * hits, misses and expiries: keyspace.h). */
struct host_counters {
    uint64_t connections_received;  /* accepted since start or RESETSTAT */
    uint64_t clients;               /* connected now */
    uint64_t net_input_bytes, net_output_bytes;
    uint64_t msgs_sent, msgs_received, cmds_forwarded; /* between shards */
};
void host_read_counters(const struct host *h, struct host_counters *out);
/* Its commands' calls, time and errors (INFO commandstats, errorstats). */
const struct cmdstats *host_cmdstats(const struct host *h);
/* Zeroes its counters and its command statistics, and the server's count
 * of rejected connections (CONFIG RESETSTAT; the keyspace's counters are
 * the caller's: ks_reset_stats). */
void host_reset_stats(struct host *h);

/* The server's facts, the same on every shard (INFO, LASTSAVE). */
struct server_facts {
    const struct config *cfg;       /* as the server started (CONFIG SET changes the shards' copies) */
    unsigned nshards;
    long long start_time_us;        /* unix time, microseconds */
    long long max_fds;              /* the descriptor limit after raising it */
    long long rejected_conns;       /* refused over maxclients */
};
void host_server_facts(struct server_facts *out);

#endif
