/* typecmd.h — helpers shared by the collection type command modules (sets,
 * sorted sets, SORT, and whoever else wants them): typed key lookups that
 * write WRONGTYPE, the SCAN-family argument rules (SSCAN, ZSCAN, HSCAN),
 * and numkeys-style key positions for getkeys functions.
 * Called from command handlers on the shard running the command; the
 * getkeys helpers are pure (any thread).
 */
#ifndef RINGKV_TYPECMD_H
#define RINGKV_TYPECMD_H

#include "ringkv/cmd/commands.h"
#include "ringkv/data/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The record of key if it holds `type`; NULL if the key is missing (*err
 * false) or after replying WRONGTYPE (*err true). _read counts a keyspace
 * hit or miss, _write does not (as Redis's lookupKeyRead/Write). */
struct kv *tc_lookup_read(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err);
struct kv *tc_lookup_write(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err);
/* The same for a source a command reads to store elsewhere
 * (db_lookup_store_source). */
struct kv *tc_lookup_store_source(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err);
/* A blocking command's source key (BLPOP, BZPOPMIN, BLMOVE, ...). When
 * it runs again because one key became ready (cmd_ctx.served_key), only
 * that key counts, and a key of another type is as good as missing: Redis
 * 7.0 serves the key that became ready and leaves a client blocked on a
 * key created with the wrong type. */
struct kv *tc_lookup_source(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err);
/* Redis's lookupKey{Read,Write}OrReply + checkType: the record of argv[i]
 * if it holds `type`, else NULL after replying `missing` (no such key) or
 * WRONGTYPE. */
typedef void (*tc_missing_fn)(struct reply *r);
struct kv *tc_lookup_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, enum obj_type type,
                              bool write, tc_missing_fn missing);
/* Common `missing` replies (reply_null, reply_null_array, reply_ok fit too). */
void tc_reply_zero(struct reply *r);
void tc_reply_empty_array(struct reply *r);
void tc_reply_empty_map(struct reply *r);

/* The end of a *STORE command: `result` (a collection record built under
 * any key name, holding n members) replaces key (whose TTL goes), raising
 * `event` of class `type`, or, when n is 0, key is deleted ("del" if it
 * existed) and result freed. Replies n. */
void tc_store_result(struct cmd_ctx *c, const char *key, size_t klen, struct kv *result, size_t n, long long type,
                     const char *event);
/* A collection a command emptied goes, raising "del" (key: the command's
 * argument, which outlives the record). */
void tc_delete_emptied(struct cmd_ctx *c, struct kv *kv, const char *key, size_t klen);
/* The same with nothing to store: key is deleted ("del"); replies 0. */
void tc_store_nothing(struct cmd_ctx *c, const char *key, size_t klen);

/* Redis's getRangeLongFromObjectOrReply: argv value as an integer in
 * [min, max]. msg (without "ERR ") replaces both the parse and the range
 * error when given; otherwise they are Redis's default texts. */
bool tc_range_ll_or_reply(struct cmd_ctx *c, const char *s, size_t len, long long min, long long max,
                          const char *msg, long long *out);
/* getPositiveLongFromObjectOrReply: [0, LLONG_MAX], default message
 * "value is out of range, must be positive". */
bool tc_positive_ll_or_reply(struct cmd_ctx *c, const char *s, size_t len, const char *msg, long long *out);

/* SCAN-family options after the cursor: MATCH pattern and COUNT n. */
struct scan_opts {
    const char *pat;
    size_t plen;
    bool use_pattern; /* false when there is none or it is "*" */
    long count;       /* default 10 */
};

/* Redis's parseScanCursorOrReply (strtoul rules: "-1" wraps, "" is 0,
 * leading space or trailing junk is "ERR invalid cursor"). */
bool scan_cursor_or_reply(struct cmd_ctx *c, const char *s, size_t len, uint64_t *cursor);
/* The same rules without a reply (SCAN's routing reads the cursor). */
bool scan_cursor_parse(const char *s, size_t len, uint64_t *cursor);
/* Parses argv[first..] as [MATCH pattern] [COUNT n] (any order, repeated);
 * replies with Redis's error and returns false on a bad one. */
bool scan_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int first, struct scan_opts *o);
/* Whether an element passes the MATCH filter. */
bool scan_matches(const struct scan_opts *o, const char *s, size_t len);
/* The common start of SSCAN, ZSCAN and HSCAN (key cursor [MATCH p]
 * [COUNT n]) in Redis's order: the cursor, then the key (WRONGTYPE; a
 * missing key replies an empty scan), then the options. The record of
 * argv[1], or NULL after a reply. */
struct kv *scan_key_or_reply(struct cmd_ctx *c, const struct cmd_args *a, enum obj_type type, uint64_t *cursor,
                             struct scan_opts *o);
/* The elements one scan call collected before filtering: a growable array
 * of `size`-byte items, owned by the caller (rk_free(items) when done). */
struct scan_batch {
    void *items;
    size_t n, cap, size;
};
void scan_batch_push(struct scan_batch *b, const void *item);
/* The reply for a missing key: cursor 0 and no elements. */
void scan_reply_empty(struct reply *r);
/* The first part of a scan reply: *2 and the cursor as a bulk string. */
void scan_reply_cursor(struct reply *r, uint64_t cursor);

/* Key positions of "numkeys key..." commands: argv[numkeys_at] holds the
 * count, the keys follow it. Returns 0 keys when the count is not a
 * positive integer or exceeds the arguments (the handler then replies the
 * error wherever it runs). extra_first/extra_last: a destination key
 * before numkeys (ZUNIONSTORE dst numkeys ...) is passed as extra_at > 0. */
int tc_numkeys_positions(const struct cmd_args *a, int numkeys_at, int extra_at, int *pos, int max);

/* A blocking command's timeout (decimal seconds, 0: forever) as Redis
 * 7.0 reads it: *deadline_ms is the unix time it ends, 0 for never; false
 * after replying the error. */
bool tc_timeout_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long *deadline_ms);
/* XREAD's BLOCK milliseconds (0: forever) as Redis reads them. */
bool tc_ms_timeout_or_reply(struct cmd_ctx *c, const char *s, size_t len, long long *deadline_ms);
/* The deadline of a blocking command's call (CMD_BLOCKING), for whoever
 * coordinates its wait; false if its timeout is not valid. */
bool tc_block_deadline(const struct cmd_def *cmd, const struct cmd_args *a, long long *deadline_ms);

#endif
