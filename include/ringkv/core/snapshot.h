/* snapshot.h — the snapshot actor: writes the whole dataset as one RDB
 * file, point in time, without fork, while every shard keeps serving.
 *
 * One snapshot at a time, server-wide (snapshot_claim). It is run by its
 * origin, the shard that started it (a client's SAVE or BGSAVE, the save
 * points, a shutdown), which also writes the file:
 *  1. Cut. The origin runs an internal command on every shard as one
 *     transaction holding every database (tx.h): each shard's part starts
 *     its slice (persist/snapshot.h) at the same point of the global order,
 *     so the file holds what a client could have read at one instant.
 *  2. Produce. Each shard walks its slice a little per loop turn and ships
 *     chunks of about SNAPSHOT_CHUNK bytes to the origin as ring messages;
 *     at most SNAPSHOT_CREDITS chunks per shard are in flight, so a slow
 *     disk slows the walk instead of growing memory. A record a client is
 *     about to change is saved first, whatever the walk's position.
 *  3. Write. The origin appends chunks to a temporary file through its
 *     ring as they come (one write in flight; the CRC64 runs over the bytes
 *     in file order), hands each chunk back to its shard, and when every
 *     shard has sent its last one writes EOF and the checksum, fsyncs,
 *     renames the file over dbfilename and fsyncs the directory.
 * Extra memory is the chunks in flight (shards × credits × chunk) plus the
 * records saved ahead of the walk, never a copy of the dataset.
 *
 * Messages: a chunk belongs to its shard, which frees it when the origin
 * hands it back. Thread: each function runs on the shard given.
 */
#ifndef RINGKV_CORE_SNAPSHOT_H
#define RINGKV_CORE_SNAPSHOT_H

#include "ringkv/base/config.h"

#include <stdbool.h>
#include <stdint.h>

struct shard;
struct msg_done;

#define SNAPSHOT_CHUNK (1u << 20)
#define SNAPSHOT_CREDITS 4

/* Server-wide facts (in struct server); atomics. */
struct snapshot_status {
    int running;                /* one is being taken */
    int scheduled;              /* BGSAVE SCHEDULE: start another when it ends */
    int last_ok;                /* the last one succeeded (1 until one fails) */
    long long lastsave;         /* unix seconds of the last success (start time before any) */
    long long started_ms;       /* of the one running */
    long long last_duration_s;  /* of the last one, -1 before any */
    long long last_try_ms;      /* when the last one started */
    uint64_t saves;             /* started since start (not at shutdown): INFO rdb_saves */
    /* Per shard: its change counter at the cut of the last successful
     * snapshot, and as it last published it (each timer tick). */
    uint64_t saved_changes[MAX_SHARDS];
    uint64_t changes_now[MAX_SHARDS];
    /* Each shard's counter at the running snapshot's cut (written by the
     * shard at the cut, read by the origin after that shard's last chunk). */
    uint64_t cut_changes[MAX_SHARDS];
};

/* Why one is taken: it decides what happens when it ends. */
enum snapshot_kind { SNAPSHOT_BGSAVE, SNAPSHOT_SAVE, SNAPSHOT_AUTO, SNAPSHOT_SHUTDOWN };

/* Takes the server's one snapshot slot; false while one runs. */
bool snapshot_claim(struct shard *s);
/* Starts the claimed snapshot with s as its origin, on the shard's next
 * loop turn (callable from a command). done (may be NULL) is answered as
 * the kind asks: BGSAVE once the cut is taken, SAVE once the file is
 * written (+OK, or -ERR). A shutdown's tells the server (server.h). */
void snapshot_start(struct shard *s, enum snapshot_kind kind, struct msg_done *done);

/* The shard's part of the loop: walks its slice and ships chunks. True
 * while it has work left that needs no completion to continue (the loop
 * then does not sleep). */
bool snapshot_pump(struct shard *s);
/* Each timer tick: publishes the shard's changes; on shard 0, starts a
 * snapshot when a save point is due (or a scheduled one). */
void snapshot_tick(struct shard *s, long long now_ms);
/* Changes since the last successful snapshot, for INFO. */
uint64_t snapshot_changes(struct shard *s);
/* The server is stopping and wants a final snapshot: taken as soon as no
 * other one runs (server_snapshot_done reports how it went, and `done`,
 * if any, hears nothing on success and Redis's SHUTDOWN error on failure). */
void snapshot_for_shutdown(struct shard *s, struct msg_done *done);
/* The shard stops: a slice in progress is dropped. */
void snapshot_shard_exit(struct shard *s);

#endif
