/* acl.h — Redis 7.0's ACL: users, their rules, the permission check, the
 * server's user registry and the ACL LOG.
 *
 * Model (acl_user.c, acl_describe.c): a user has flags (on/off, nopass),
 * SHA-256 password hashes and selectors; the root selector holds the rules
 * given outside parentheses, each "(...)" adds one more. A selector allows
 * commands (a bit per cmd_index, and "first args" such as +select|0), key
 * patterns with read/write rights, and channel patterns. A command is
 * permitted when one selector permits all of it (acl_check.c).
 *
 * Sharing (acl_registry.c): a user object is immutable once published. ACL
 * SETUSER builds a new version from a copy and swaps it into the registry
 * under the registry's mutex; readers hold counted references (atomic
 * counts), so a shard keeps using the version it holds while another is
 * published. Every change bumps acl_generation: a connection compares it with
 * the generation it last saw, and when its user was unrestricted then and
 * nothing changed since, its permission check is that one comparison.
 *
 * Thread: the model functions work on objects the caller owns; the
 * registry and log functions run on any thread.
 */
#ifndef RINGKV_ACL_H
#define RINGKV_ACL_H

#include "ringkv/cmd/commands.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct obuf;
struct reply;

/* ---- the model ----------------------------------------------------------- */

enum {
    ACL_USER_ON = 1u << 0,
    ACL_USER_NOPASS = 1u << 1,
    ACL_USER_SKIP_SANITIZE = 1u << 2, /* skip-sanitize-payload */
    ACL_USER_SANITIZE = 1u << 3,      /* sanitize-payload said (neither: not shown) */
};
enum {
    ACL_SEL_ROOT = 1u << 0,
    ACL_SEL_ALLKEYS = 1u << 1,
    ACL_SEL_ALLCHANNELS = 1u << 2,
    ACL_SEL_ALLCOMMANDS = 1u << 3, /* every command: checks skip the bitmap (any '-' rule clears it) */
    ACL_SEL_FUTURE = 1u << 4,      /* +@all not undone by -@all: described as "+@all ..." */
};
enum { ACL_KEY_READ = 1u << 0, ACL_KEY_WRITE = 1u << 1, ACL_KEY_ALL = 3 };

#define ACL_HASH_HEX 64 /* SHA-256 in lowercase hex */

struct acl_keypat {
    char *pat;
    size_t len;
    unsigned flags; /* ACL_KEY_* */
};

struct acl_selector {
    unsigned flags;            /* ACL_SEL_* */
    uint64_t *cmds;            /* a bit per cmd_index() */
    char ***firstargs;         /* per cmd_index: NULL-terminated allowed argv[1]s, or NULL */
    struct acl_keypat *keys;
    uint32_t nkeys;
    char **chans;              /* channel patterns, NUL-terminated copies */
    size_t *chan_lens;
    uint32_t nchans;
};

struct acl_user {
    atomic_uint refs;
    char *name;
    size_t name_len;
    unsigned flags;            /* ACL_USER_* */
    char (*pass)[ACL_HASH_HEX + 1];
    uint32_t npass;
    struct acl_selector *sel;  /* sel[0] is the root selector */
    uint32_t nsel;
    bool unrestricted;         /* every command, key and channel: checks are skipped */
    uint64_t identity;         /* kept by its versions; a user ACL LOAD recreates gets a new one */
};

/* Why a rule failed (Redis's errno values of ACLSetUser), 0 for none. */
enum acl_set_err {
    ACL_SET_OK = 0,
    ACL_SET_SYNTAX,      /* EINVAL */
    ACL_SET_UNKNOWN,     /* ENOENT: command or category */
    ACL_SET_KEYS_ALL,    /* EEXIST: a key pattern after allkeys */
    ACL_SET_CHANS_ALL,   /* EISDIR */
    ACL_SET_NO_PASS,     /* ENODEV: removing a password the user has not */
    ACL_SET_BAD_HASH,    /* EBADMSG */
    ACL_SET_SUBCMD_ARG,  /* ECHILD: +config|get|x */
    ACL_SET_DUPLICATE,   /* EALREADY: a user defined twice in a file */
};
/* Redis's words for err (ACLSetUserStringError). */
const char *acl_set_error(enum acl_set_err err);

/* A new user as ACL SETUSER creates it: off, no password, no commands,
 * no keys, channels as acl-pubsub-default says. */
struct acl_user *acl_user_create(const char *name, size_t len);
/* The default user: on, nopass, +@all ~* &*. */
struct acl_user *acl_user_create_default(void);
/* A deep copy with one reference. */
struct acl_user *acl_user_copy(const struct acl_user *u);
struct acl_user *acl_user_ref(struct acl_user *u);
void acl_user_unref(struct acl_user *u);
/* Applies one rule (ACLSetUser) to a user nobody else sees yet. */
enum acl_set_err acl_user_set(struct acl_user *u, const char *op, size_t len);
/* Recomputes u->unrestricted; call once the rules are applied. */
void acl_user_seal(struct acl_user *u);
/* The categories (1u << ACL_CAT_x) of the command numbered index
 * (cmd_index), parsed from the table once. */
uint32_t acl_cmd_categories(size_t index);
/* acl-pubsub-default: whether new users start with allchannels. */
void acl_set_pubsub_default(bool allchannels);

/* SHA-256 of a password in lowercase hex (out: ACL_HASH_HEX + 1 bytes). */
void acl_hash_password(const void *pass, size_t len, char *out);
/* Whether one of the user's passwords is pass (or it is nopass). */
bool acl_user_password_ok(const struct acl_user *u, const char *pass, size_t len);

/* Descriptions, as ACL LIST and ACL GETUSER show them. */
void acl_user_describe(const struct acl_user *u, struct obuf *out); /* "user <name> on ... " */
void acl_selector_describe(const struct acl_selector *s, struct obuf *out);
void acl_selector_describe_commands(const struct acl_selector *s, struct obuf *out);
void acl_selector_describe_keys(const struct acl_selector *s, struct obuf *out);
void acl_selector_describe_channels(const struct acl_selector *s, struct obuf *out);
/* Splits a line the way Redis's sdssplitargs does ("quotes", \x41); NULL
 * on unbalanced quotes. Free with acl_free_args. */
char **acl_split_args(const char *line, size_t len, int *argc, size_t **lens);
/* Joins the words of a selector split by spaces ("(+get", "~k)") into one,
 * as Redis's ACLMergeSelectorArguments; NULL when a parenthesis is left
 * open (*bad: the word that opened it). The result is a new array. */
char **acl_merge_selectors(char *const *argv, const size_t *lens, int argc, int *out_argc, size_t **out_lens,
                           int *bad);
void acl_free_args(char **argv, size_t *lens, int argc);

/* ---- the check --------------------------------------------------------- */

enum acl_denied { ACL_OK = 0, ACL_DENIED_CMD, ACL_DENIED_KEY, ACL_DENIED_AUTH, ACL_DENIED_CHANNEL };

/* Whether u may run cmd with these arguments; on denial *errpos is the
 * argument (key or channel) that no selector allowed, as Redis picks it. */
enum acl_denied acl_check(const struct acl_user *u, const struct cmd_def *cmd, const struct cmd_args *a,
                          int *errpos);
/* Whether one selector of u both permits the call and reaches every key
 * with the rights `need` (ACL_KEY_*): SORT's BY and GET patterns may name
 * any key (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess). */
bool acl_check_every_key(const struct acl_user *u, const struct cmd_def *cmd, const struct cmd_args *a, unsigned need);

/* Whether u may listen to a channel (a pattern, is_pattern, must be one of
 * its channel patterns literally), as Redis's ACLUserCheckChannelPerm. */
bool acl_channel_permitted(const struct acl_user *u, const char *name, size_t len, bool is_pattern);

/* ---- the registry ------------------------------------------------------ */

extern atomic_uint_fast64_t acl_generation_counter;
static inline uint64_t acl_generation(void)
{
    return atomic_load_explicit(&acl_generation_counter, memory_order_acquire);
}

/* Creates the default user (once). */
void acl_registry_setup(void);
/* The current version of a user, referenced (acl_user_unref), or NULL. */
struct acl_user *acl_registry_get(const char *name, size_t len);
/* ACL SETUSER: applies ops to (a copy of) the user, creating it when new,
 * and publishes it. On a bad rule nothing changes, *bad is the rule's
 * index and the error is returned. */
enum acl_set_err acl_registry_setuser(const char *name, size_t len, char *const *ops, const size_t *lens, int nops,
                                      int *bad);
/* ACL DELUSER of one user: true when it existed. */
bool acl_registry_deluser(const char *name, size_t len);
/* Every user, in name order, referenced; free with acl_registry_list_free. */
struct acl_user **acl_registry_list(size_t *n);
void acl_registry_list_free(struct acl_user **users, size_t n);
/* Replaces every user by those the lines ("user <name> <rules>...")
 * describe; the default user is kept as is when the lines omit it (but
 * created anew by reset_default). On an error nothing changes and err holds
 * Redis's message. */
bool acl_registry_load(char *const *lines, int nlines, const char *origin, bool reset_default, char *err,
                       size_t errcap);
/* CONFIG SET requirepass: the default user gets "resetpass >pass" or,
 * empty, "nopass". */
void acl_registry_set_requirepass(const char *pass);

/* Whether every user may run anything (then scripts skip their checks). */
bool acl_all_unrestricted(void);
/* Which user a client authenticated as, for the commands a script runs on
 * whichever shard (cmd_ctx carries the client id): only clients that are
 * not the default user are recorded. Returns a reference or NULL for
 * "default". */
void acl_client_user_set(uint64_t client_id, const char *name, size_t len);
void acl_client_user_clear(uint64_t client_id);
struct acl_user *acl_client_user(uint64_t client_id);

/* ---- files and configuration (acl_file.c) ------------------------------ */

struct config;
/* At startup: the default user (requirepass), then the config's `user`
 * lines or the aclfile (not both), acllog-max-len, acl-pubsub-default. */
bool acl_configure(const struct config *cfg, char *err, size_t errcap);
/* CONFIG SET changed was into now (run once, not per shard). */
void acl_config_changed(const struct config *was, const struct config *now);
/* ACL LOAD: every user from the file, or nothing and err. */
bool acl_file_load(const char *path, char *err, size_t errcap);
/* ACL SAVE: the users as ACL LIST writes them. */
bool acl_file_save(const char *path);

/* ---- the log ----------------------------------------------------------- */

enum acl_log_ctx { ACL_LOG_TOPLEVEL, ACL_LOG_MULTI, ACL_LOG_LUA };

/* Records a denial or an auth failure (object: the command, key, channel
 * or "AUTH"), merged with a like entry of the last minute as Redis does. */
void acl_log_add(enum acl_denied reason, enum acl_log_ctx ctx, const char *object, size_t olen,
                 const char *user, size_t ulen, const char *client_info);
void acl_log_set_max_len(long long len);
/* ACL LOG [count]: the newest entries first. */
void acl_log_reply(struct reply *r, long long count);
void acl_log_reset(void);

#endif
