/* xscript.h — a client's script run as a transaction over the keys it
 * declared and those it was found touching (xscript.c).
 * Thread: the client's shard.
 */
#ifndef RINGKV_XSCRIPT_H
#define RINGKV_XSCRIPT_H

#include "ringkv/core/tx.h"

/* Runs the client's EVAL-family call a atomically over its declared keys
 * and the keys of a retry request (retry: a reply starting with
 * SCRIPT_RETRY_MARK from a try in place, or NULL), trying again over more
 * keys while it asks; answers cl->done once with the script's reply. */
void xscript_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                 const char *retry, size_t retry_len);
/* The same when every declared key is on shard home (another one): the
 * first try runs in place there, as a single command would. */
void xscript_run_at(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                    unsigned home);
/* The owner's side of that try (a SEG_SCRIPT segment). */
struct msg_batch;
struct msg_seg;
void xscript_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg);

/* A finished script's reply may carry the messages it published
 * (SCRIPT_PUBLISH_MARK): sends them to every shard and returns how many
 * bytes of data carried them (the client's reply follows); 0 if none. */
size_t xscript_send_published(struct shard *s, const char *data, size_t len);

#endif
