/* txplan.h — the transaction engine's interface to its plans (not for
 * other modules: they use tx.h).
 *
 * The engine (tx.c) runs the protocol of tx.h: it locks the participants
 * in ascending shard order, runs rounds of commands on them, releases and
 * answers. A plan says what to lock and run: it fills the parts, starts the
 * transaction, and is called back when everything is locked and after
 * each round. Plans: tx_split.c (a command split per shard, its replies
 * combined: MSET, MGET, DEL, DBSIZE, FLUSHALL...), tx_move.c (a command
 * run whole on one shard, with the values it needs moved there and back:
 * RENAME, SMOVE, SUNIONSTORE, ...).
 *
 * Thread: the coordinator's shard.
 */
#ifndef RINGKV_TXPLAN_H
#define RINGKV_TXPLAN_H

#include "ringkv/core/tx.h"

struct tx;

/* One participant, as the coordinator sees it. */
struct tx_part {
    struct msg_done done;      /* its answers come here */
    struct tx *tx;
    unsigned shard;
    struct obuf wants;         /* packed lock wants (tx_pack_want) */
    uint32_t nwants;
    struct obuf cmds;          /* the next step's commands here: [i32 db] + packed command each */
    uint32_t ncmds;
    struct obuf reply;         /* the replies of the last step here */
    void *handle;              /* the participant's state while it holds locks */
    bool locked;
};

struct tx_plan_ops {
    /* Every participant holds its locks and ran its at-lock commands
     * (their replies are in each part's reply). */
    void (*locked)(struct tx *t);
    /* The round started by tx_round has answered. */
    void (*round_done)(struct tx *t);
    /* Frees the plan's state (tx_finish calls it). */
    void (*free_state)(void *state);
};

struct tx {
    struct shard *s;
    struct tx_client cl;
    const struct tx_plan_ops *ops;
    void *state;
    struct tx_part **parts;    /* in ascending shard order once started */
    uint32_t nparts, cap;
    uint32_t next_lock;        /* the part LOCK goes to next */
    struct tx_part *waiting_on; /* the part whose locks are awaited */
    uint32_t pending;          /* answers awaited: of the round, or of lockless parts */
    bool locking;
    /* The at-lock commands are the whole work: the last participant
     * releases as soon as it ran them. */
    bool one_shot;
};

struct tx *tx_new(struct shard *s, const struct tx_client *cl, const struct tx_plan_ops *ops, void *state);
/* The part for shard, added if new. Before tx_start: a participant; after:
 * a shard visited without locks (tx_round runs and forgets it). */
struct tx_part *tx_part_of(struct tx *t, unsigned shard);
/* Adds a command for the part's next step, run in database dbid. */
void tx_part_add_command(struct tx_part *p, int dbid, const struct cmd_def *cmd, const struct cmd_args *a);
/* The same for a client's whole call (a command of MULTI): it counts in
 * INFO commandstats and errorstats where it runs. */
void tx_part_add_call(struct tx_part *p, int dbid, const struct cmd_def *cmd, const struct cmd_args *a);
/* Sorts the parts and starts locking; ops->locked follows. */
void tx_start(struct tx *t);
/* Runs each part's pending commands (parts with none are skipped), the
 * participants letting their locks go after them when `release`;
 * ops->round_done follows. */
void tx_round(struct tx *t, bool release);
/* Answers the client with `reply`, releases what is still held, frees t. */
void tx_finish(struct tx *t, const char *reply, size_t len);

/* The plans' entry points (tx_run_command picks one). */
void tx_split_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a,
                  const int *keypos, int nkeys);
void tx_move_run(struct shard *s, const struct tx_client *cl, const struct cmd_def *cmd, const struct cmd_args *a);
/* Whether cmd is the owner's side of a key copied for a move (tx|copy
 * db key): a read there registers the key for client-side caching
 * (core/tracking.h), since the command itself runs on the copy. */
bool tx_move_is_copy(const struct cmd_def *cmd);

/* A split command's piece of reply from one shard. */
struct split_piece {
    unsigned shard;
    const char *data;
    size_t len;
};
/* Adds to each shard owning some of the call's keys its piece of the call
 * (and, with `lock`, wants for those keys); fills key_shard[k] with key
 * k's shard and `shards` with the shards in the order their piece was
 * added; returns how many. */
uint32_t split_pieces(struct tx *t, const struct cmd_def *cmd, const struct cmd_args *a, int dbid, const int *keypos,
                      int nkeys, uint32_t *key_shard, unsigned *shards, bool lock);
/* The database locks a command run on every shard wants (none for those
 * that leave the keyspace alone). */
void split_db_wants(struct tx *t, struct tx_part *p, const struct cmd_def *cmd, int dbid);
/* The call's reply from its pieces (for CMD_ALL_SHARDS: one per shard, in
 * shard order), as its cmd_def.combine says. */
void split_combine(struct reply *r, const struct cmd_def *cmd, const struct cmd_args *a,
                   const struct split_piece *pieces, uint32_t n, const uint32_t *key_shard, uint32_t nkeys);

/* One command run by the move plan, as a step of a transaction (tx_move.c;
 * MULTI/EXEC uses it for such commands between its other rounds).
 * move_step_new asks each owner for the call's keys in its part's next
 * commands (and, with `lock`, wants them locked); after every round that
 * carried the step's commands, move_step_advance goes on: true when the
 * step is over (its reply in move_step_reply), false when it queued the
 * commands of another round. */
struct move_step;
struct move_step *move_step_new(struct tx *t, const struct cmd_def *cmd, const struct cmd_args *a, int dbid,
                                bool lock);
bool move_step_advance(struct tx *t, struct move_step *m);
/* Whether the round it queued puts the values back (its last). */
bool move_step_storing(const struct move_step *m);
const struct obuf *move_step_reply(const struct move_step *m);
void move_step_free(struct move_step *m);

#endif
