/* reply.h — writing RESP2/RESP3 replies into a byte buffer.
 *
 * Command handlers reply only through this API: they never see a socket or
 * a ring. The buffer behind a reply is a connection's output buffer when the
 * command runs on the connection's shard, or a cross-shard message's reply
 * area when it runs elsewhere; the bytes are the same either way. `resp`
 * (2 or 3) picks the encoding of maps, sets, nulls, doubles and booleans,
 * as Redis does for HELLO 3 clients. Single-threaded per buffer.
 */
#ifndef RINGKV_REPLY_H
#define RINGKV_REPLY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. */
struct obuf {
    char *data;
    size_t len, cap;
};

void obuf_init(struct obuf *b);
void obuf_free(struct obuf *b);
void obuf_reserve(struct obuf *b, size_t extra);
void obuf_append(struct obuf *b, const void *data, size_t len);
/* Releases memory of an emptied buffer that grew beyond `keep` bytes. */
void obuf_shrink(struct obuf *b, size_t keep);

struct cmdstats;

struct reply {
    struct obuf *buf;
    uint8_t resp;        /* 2 or 3 */
    /* 1 + the shard of the client's connection when the client tracks the
     * keys it reads (client-side caching, core/tracking.h), else 0. */
    uint16_t reader;
    uint32_t errors;     /* error replies written */
    /* Where error replies are counted (INFO errorstats), and a sign that
     * this reply goes to a client as it is: set by whoever delivers it, on
     * the delivering shard. NULL for a part of a fanned-out call: the
     * combined reply is counted instead. */
    struct cmdstats *stats;
};

/* Starts a reply with no stats (reply_counted sets them). */
/* resp: the protocol word a client's commands carry (16 bits), the RESP
 * version (2 or 3) in the low 4 bits and, for a client that tracks the keys it reads, its
 * connection's shard (REPLY_TRACKING): reply_init splits it. */
#define REPLY_TRACKING(resp, shard) ((int)(resp) | (int)(((shard) + 1) << 4))
#define REPLY_RESP_MASK 0xf
void reply_init(struct reply *r, struct obuf *buf, int resp);
static inline void reply_counted(struct reply *r, struct cmdstats *stats) { r->stats = stats; }

void reply_status(struct reply *r, const char *status);  /* +status */
void reply_ok(struct reply *r);
/* -msg; msg is the whole error including its code ("ERR ...", "WRONGTYPE ...").
 * CR and LF inside msg become spaces so the protocol stays intact. */
void reply_error(struct reply *r, const char *msg);
void reply_error_len(struct reply *r, const char *msg, size_t len);
void reply_errorf(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_int(struct reply *r, long long v);
void reply_bulk(struct reply *r, const void *data, size_t len);
void reply_bulk_cstr(struct reply *r, const char *s);
void reply_bulk_ll(struct reply *r, long long v);
void reply_null(struct reply *r);        /* $-1 or _ */
void reply_null_array(struct reply *r);  /* *-1 or _ */
void reply_array(struct reply *r, long long n);
void reply_map(struct reply *r, long long n);   /* RESP2: array of 2n */
void reply_set(struct reply *r, long long n);   /* RESP2: array */
void reply_push(struct reply *r, long long n);  /* RESP2: array */
void reply_double(struct reply *r, double d);   /* RESP3 ',' or bulk */
void reply_bool(struct reply *r, bool v);       /* RESP3 '#' or :0/:1 */
void reply_verbatim(struct reply *r, const char *data, size_t len, const char *ext);
/* An array of status lines, as Redis answers the HELP subcommands. */
void reply_help(struct reply *r, const char *const *lines, size_t n);
/* Raw bytes that are already RESP (a reply computed elsewhere). */
void reply_raw(struct reply *r, const void *data, size_t len);
/* An error reply computed elsewhere ("-CODE msg\r\n", a part's reply),
 * passed on and counted as this reply's error. */
void reply_error_raw(struct reply *r, const char *data, size_t len);

/* Deferred aggregate length: reserve now, fill in when the count is known. */
size_t reply_defer(struct reply *r);
void reply_defer_array(struct reply *r, size_t at, long long n);
void reply_defer_map(struct reply *r, size_t at, long long n);
void reply_defer_set(struct reply *r, size_t at, long long n);

/* Redis's shared error strings. */
#define RK_ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define RK_ERR_NOT_INT "ERR value is not an integer or out of range"
#define RK_ERR_NOT_FLOAT "ERR value is not a valid float"
#define RK_ERR_SYNTAX "ERR syntax error"
#define RK_ERR_NO_KEY "ERR no such key"
#define RK_ERR_OVERFLOW "ERR increment or decrement would overflow"
#define RK_ERR_DB_RANGE "ERR DB index is out of range"
#define RK_ERR_OOM "OOM command not allowed when used memory > 'maxmemory'."
#define RK_ERR_NOAUTH "NOAUTH Authentication required."
#define RK_ERR_OOM "OOM command not allowed when used memory > 'maxmemory'."

#endif
