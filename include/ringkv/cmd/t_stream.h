/* t_stream.h — what the stream command modules share: Redis 7.0's ID
 * syntax and the reply shape of entries. t_stream.c has XADD, XRANGE,
 * XLEN, XDEL, XTRIM and XSETID; t_xread.c XREAD, t_xreadgroup.c
 * XREADGROUP, t_xgroup.c XGROUP, XACK and XPENDING, t_xclaim.c XCLAIM and
 * XAUTOCLAIM, t_xinfo.c XINFO.
 * Called by handlers on the shard running the command.
 */
#ifndef RINGKV_T_STREAM_H
#define RINGKV_T_STREAM_H

#include "ringkv/cmd/commands.h"
#include "ringkv/data/stream.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_ERR_ID "ERR Invalid stream ID specified as stream command argument"

/* Redis's streamGenericParseIDOrReply without the reply: "ms-seq", "ms"
 * (seq = missing_seq), "-" and "+" unless strict; with seq_given, also
 * "ms-*" (*seq_given false). */
bool stream_parse_id(const char *s, size_t len, uint64_t missing_seq, bool strict, bool *seq_given,
                     struct stream_id *id);
/* The same, replying STREAM_ERR_ID when it fails (strict, no "ms-*"). */
bool stream_strict_id_or_reply(struct cmd_ctx *c, const char *s, size_t len, struct stream_id *id);

void stream_reply_id(struct reply *r, const struct stream_id *id);
/* Entries with IDs in [start, end] as [[id, [field, value, ...]], ...],
 * at most count (0: all); returns how many. */
size_t stream_reply_range(struct reply *r, const struct stream *s, const struct stream_id *start,
                          const struct stream_id *end, size_t count, bool rev);
/* The same, calling each(arg, id) after each entry (XREADGROUP delivers
 * it); each may change the stream's groups, not its entries. */
size_t stream_reply_range_each(struct reply *r, const struct stream *s, const struct stream_id *start,
                               const struct stream_id *end, size_t count, bool rev,
                               void (*each)(void *arg, const struct stream_id *id), void *arg);
/* The entry with this ID as [id, [field, value, ...]]; false (nothing
 * written) if there is none. */
bool stream_reply_entry_at(struct reply *r, const struct stream *s, const struct stream_id *id);
/* A range bound (XRANGE, XPENDING, XAUTOCLAIM): "-", "+", an ID (seq
 * missing_seq when absent), or "(" and a strict ID for an exclusive bound,
 * moved by one toward the range (start: up); false after a reply. */
bool stream_bound_or_reply(struct cmd_ctx *c, const char *s, size_t len, uint64_t missing_seq, bool start,
                           struct stream_id *id);
/* The first (or last) entry as [id, [field, value, ...]], or a null. */
void stream_reply_edge(struct reply *r, const struct stream *s, bool last);
/* "ERR no such key" (XSETID, XINFO on a missing key). */
void stream_reply_no_such_key(struct reply *r);
/* The group's consumer of that name, seen now; made if new, which raises
 * xgroup-createconsumer for the stream's key. */
struct stream_group;
struct stream_consumer *stream_consumer_for(struct cmd_ctx *c, struct stream_group *g, const char *name, size_t len,
                                            const char *key, size_t klen, long long now);

/* ---- XREAD and XREADGROUP (t_xread.c) ---- */

#define STREAM_READ_BLOCKED_COUNT 1000 /* Redis's: a served waiter gets at most this without COUNT */

struct stream_read_call {
    long long count, deadline;
    bool block, noack;
    int streams_at, nstreams;
    int group_at; /* XREADGROUP: group name, consumer name after it */
};
/* [BLOCK ms] [COUNT n] [GROUP g c] [NOACK] STREAMS ...; GROUP and NOACK
 * only when group_cmd. False after a reply. */
bool stream_read_options_or_reply(struct cmd_ctx *c, const struct cmd_args *a, bool group_cmd,
                                  struct stream_read_call *x);
/* The key positions: after the first STREAMS from argument `from` on,
 * half of what is left (0 keys when unbalanced). */
int stream_read_keys(const struct cmd_args *a, int from, int *pos, int max);
/* Whether key argument k takes part in this run: every key, except when
 * the command runs again for one key that became ready. */
bool stream_read_key_served(const struct cmd_ctx *c, const struct cmd_args *a, int k);

#endif
