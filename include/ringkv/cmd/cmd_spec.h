/* cmd_spec.h — what COMMAND reports that follows from the command table
 * rather than being written in it, derived the way Redis 7.0 derives it:
 * flag names, ACL categories (explicit plus implied by flags), key specs
 * (explicit, or the one a first/last/step triple describes), the legacy
 * (first, last, step) range and "movablekeys", and the keys a key spec
 * finds in a call. Pure functions of the immutable table: any thread.
 */
#ifndef RINGKV_CMD_SPEC_H
#define RINGKV_CMD_SPEC_H

#include "ringkv/cmd/commands.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- names, in the order Redis prints them ---------------------------- */

#define CMD_SPEC_MAX_NAMES 32
/* COMMAND INFO flags of a command (CMD_* that Redis shows, plus
 * "movablekeys" when `movable`). Returns the count written to out. */
size_t cmd_flag_names(uint32_t flags, bool movable, const char **out);
/* Key spec flag names ("RO", "access", ...). */
size_t cmd_key_flag_names(uint32_t ks_flags, const char **out);

/* ---- ACL categories ----------------------------------------------------- */

enum acl_category {
    ACL_CAT_KEYSPACE, ACL_CAT_READ, ACL_CAT_WRITE, ACL_CAT_SET, ACL_CAT_SORTEDSET,
    ACL_CAT_LIST, ACL_CAT_HASH, ACL_CAT_STRING, ACL_CAT_BITMAP, ACL_CAT_HYPERLOGLOG,
    ACL_CAT_GEO, ACL_CAT_STREAM, ACL_CAT_PUBSUB, ACL_CAT_ADMIN, ACL_CAT_FAST,
    ACL_CAT_SLOW, ACL_CAT_BLOCKING, ACL_CAT_DANGEROUS, ACL_CAT_CONNECTION,
    ACL_CAT_TRANSACTION, ACL_CAT_SCRIPTING,
    ACL_CAT_COUNT
};

/* Name without '@' ("keyspace"). */
const char *acl_category_name(enum acl_category cat);
/* Category by name, case-insensitively; -1 if unknown. */
int acl_category_lookup(const char *name, size_t len);
/* Bit (1u << ACL_CAT_x) per category of the command: its acl_categories
 * plus those its flags imply. Sets *unknown (if given) when the table
 * names a category that does not exist. */
uint32_t cmd_acl_categories(const struct cmd_def *cmd, bool *unknown);

/* ---- keys --------------------------------------------------------------- */

#define CMD_MAX_KEY_SPECS 8
/* The command's key specs: its explicit key_specs, or the single spec its
 * first/last/step triple describes (none without keys). Returns the count;
 * at most CMD_MAX_KEY_SPECS are written. */
int cmd_key_specs(const struct cmd_def *cmd, struct cmd_key_spec *out);

/* The (first, last, step) Redis reports in COMMAND INFO, computed from the
 * key specs as Redis does (populateCommandLegacyRangeSpec), and whether the
 * keys are "movable" (a getkeys function, or specs no triple describes). */
struct cmd_legacy_range {
    int first, last, step;
    bool movable;
};
struct cmd_legacy_range cmd_legacy_range(const struct cmd_def *cmd);

/* Positions of the keys one spec finds in a call (Redis's
 * getKeysUsingKeySpecs for one spec; argv[0] is the command name). Returns
 * the count (<= max), 0 when a keyword is absent, or -1 when the arguments
 * do not fit the spec (unknown spec, bad key count, out of range). */
int cmd_key_spec_find(const struct cmd_key_spec *spec, const struct cmd_args *a, int *pos, int max);
/* A key's flags in this call: where its spec says KS_VARIABLE_FLAGS, the
 * arguments decide, as Redis's getkeys functions do (SET reads the old
 * value only with GET; BITFIELD writes only with SET or INCRBY); else the
 * spec's flags. ACL checks and COMMAND GETKEYSANDFLAGS both ask here. */
uint32_t cmd_key_call_flags(const struct cmd_def *cmd, const struct cmd_args *a, uint32_t spec_flags);

/* True when COMMAND GETKEYS has something to find: some key spec that is
 * not KS_NOT_KEY, or a getkeys function. */
bool cmd_has_keys(const struct cmd_def *cmd);

#endif
