/* cmd_spec.c — facts COMMAND derives from the command table, as Redis 7.0
 * derives them (server.c: setImplicitACLCategories,
 * populateCommandLegacyRangeSpec, getKeysUsingKeySpecs). See cmd_spec.h.
 * Pure functions of the immutable table: any thread. */
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

struct flag_name {
    uint32_t flag;
    const char *name;
};

/* Redis's addReplyFlagsForCommand order. may_replicate, sentinel,
 * only_sentinel and protected exist but Redis hides them. */
static const struct flag_name command_flags[] = {
    {CMD_WRITE, "write"},
    {CMD_READONLY, "readonly"},
    {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"},
    {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"},
    {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_ASKING, "asking"},
    {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
    {CMD_NO_ASYNC_LOADING, "no_async_loading"},
    {CMD_NO_MULTI, "no_multi"},
    {0, "movablekeys"}, /* derived: see cmd_legacy_range */
    {CMD_ALLOW_BUSY, "allow_busy"},
};

static const struct flag_name key_flags[] = {
    {KS_RO, "RO"},
    {KS_RW, "RW"},
    {KS_OW, "OW"},
    {KS_RM, "RM"},
    {KS_ACCESS, "access"},
    {KS_UPDATE, "update"},
    {KS_INSERT, "insert"},
    {KS_DELETE, "delete"},
    {KS_NOT_KEY, "not_key"},
    {KS_INCOMPLETE, "incomplete"},
    {KS_VARIABLE_FLAGS, "variable_flags"},
};

size_t cmd_flag_names(uint32_t flags, bool movable, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < RK_ARRAY_LEN(command_flags); i++) {
        const struct flag_name *f = &command_flags[i];
        if (f->flag ? (flags & f->flag) != 0 : movable) out[n++] = f->name;
    }
    return n;
}

size_t cmd_key_flag_names(uint32_t ks_flags, const char **out)
{
    size_t n = 0;
    for (size_t i = 0; i < RK_ARRAY_LEN(key_flags); i++)
        if (ks_flags & key_flags[i].flag) out[n++] = key_flags[i].name;
    return n;
}

/* Redis's ACLCommandCategories order, which is also the print order. */
static const char *const acl_names[ACL_CAT_COUNT] = {
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
    "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
    "blocking", "dangerous", "connection", "transaction", "scripting",
};

const char *acl_category_name(enum acl_category cat)
{
    return (unsigned)cat < ACL_CAT_COUNT ? acl_names[cat] : NULL;
}

int acl_category_lookup(const char *name, size_t len)
{
    for (int i = 0; i < ACL_CAT_COUNT; i++)
        if (strlen(acl_names[i]) == len && strncasecmp(acl_names[i], name, len) == 0) return i;
    return -1;
}

uint32_t cmd_acl_categories(const struct cmd_def *cmd, bool *unknown)
{
    uint32_t cats = 0;
    const char *s = cmd->acl_categories ? cmd->acl_categories : "";
    while (*s) {
        size_t len = strcspn(s, " ");
        if (len) {
            int cat = acl_category_lookup(s, len);
            if (cat >= 0) cats |= 1u << cat;
            else if (unknown) *unknown = true;
        }
        s += len + (s[len] == ' ');
    }
    /* setImplicitACLCategories */
    if (cmd->flags & CMD_WRITE) cats |= 1u << ACL_CAT_WRITE;
    if ((cmd->flags & CMD_READONLY) && !(cats & (1u << ACL_CAT_SCRIPTING))) cats |= 1u << ACL_CAT_READ;
    if (cmd->flags & CMD_ADMIN) cats |= 1u << ACL_CAT_ADMIN | 1u << ACL_CAT_DANGEROUS;
    if (cmd->flags & CMD_PUBSUB) cats |= 1u << ACL_CAT_PUBSUB;
    if (cmd->flags & CMD_FAST) cats |= 1u << ACL_CAT_FAST;
    if (cmd->flags & CMD_BLOCKING) cats |= 1u << ACL_CAT_BLOCKING;
    if (!(cats & (1u << ACL_CAT_FAST))) cats |= 1u << ACL_CAT_SLOW;
    return cats;
}

int cmd_key_specs(const struct cmd_def *cmd, struct cmd_key_spec *out)
{
    int n = 0;
    if (cmd->key_specs) {
        for (const struct cmd_key_spec *ks = cmd->key_specs; ks->begin != KS_BEGIN_NONE && n < CMD_MAX_KEY_SPECS; ks++)
            out[n++] = *ks;
        return n;
    }
    if (cmd->first_key <= 0) return 0;
    int lastkey = cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key;
    out[0] = (struct cmd_key_spec)KEY_SPEC_RANGE(cmd->key_flags, cmd->first_key, lastkey,
                                                  cmd->key_step > 0 ? cmd->key_step : 1);
    return 1;
}

static bool spec_is_index_range(const struct cmd_key_spec *ks)
{
    return ks->begin == KS_BEGIN_INDEX && ks->find == KS_FIND_RANGE;
}

struct cmd_legacy_range cmd_legacy_range(const struct cmd_def *cmd)
{
    struct cmd_legacy_range lr = {0, 0, 0, cmd->getkeys != NULL};
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int n = cmd_key_specs(cmd, specs);
    if (n == 1 && spec_is_index_range(&specs[0])) {
        lr.first = specs[0].index;
        lr.last = specs[0].lastkey >= 0 ? specs[0].lastkey + lr.first : specs[0].lastkey;
        lr.step = specs[0].keystep;
        lr.movable |= (specs[0].flags & KS_INCOMPLETE) != 0;
        return lr;
    }
    /* Several specs: the consecutive, step-1 index ranges make the range;
     * anything else makes the keys movable. */
    int first = INT_MAX, last = 0, prev_last = 0;
    for (int i = 0; i < n; i++) {
        const struct cmd_key_spec *ks = &specs[i];
        if (!spec_is_index_range(ks) || ks->keystep != 1 || (prev_last && prev_last != ks->index - 1)) {
            lr.movable = true;
            continue;
        }
        lr.movable |= (ks->flags & KS_INCOMPLETE) != 0;
        if (ks->index < first) first = ks->index;
        int abs_last = ks->lastkey >= 0 ? ks->lastkey + ks->index : ks->lastkey;
        /* Unsigned, as Redis: a negative (from the end) last key wins. */
        if ((unsigned)abs_last > (unsigned)last) last = abs_last;
        prev_last = last;
    }
    if (first == INT_MAX) {
        lr.movable |= n > 0;
        return lr;
    }
    lr.first = first;
    lr.last = last;
    lr.step = 1;
    return lr;
}

/* Where the keyword-search spec's keys begin, or 0 when the keyword is absent. */
static int keyword_begin(const struct cmd_key_spec *ks, const struct cmd_args *a)
{
    int start = ks->startfrom > 0 ? ks->startfrom : a->argc + ks->startfrom;
    int end = ks->startfrom > 0 ? a->argc - 1 : 0;
    for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= a->argc || i < 1) break;
        if (arg_is(a, i, ks->keyword)) return i + 1;
    }
    return 0;
}

int cmd_key_spec_find(const struct cmd_key_spec *ks, const struct cmd_args *a, int *pos, int max)
{
    int first, last, step;
    if (ks->begin == KS_BEGIN_INDEX) first = ks->index;
    else if (ks->begin == KS_BEGIN_KEYWORD) first = keyword_begin(ks, a);
    else return -1;
    if (first == 0) return 0;

    if (ks->find == KS_FIND_RANGE) {
        step = ks->keystep;
        if (ks->lastkey >= 0) last = first + ks->lastkey;
        else if (!ks->limit) last = a->argc + ks->lastkey;
        else last = first + ((a->argc - first) / ks->limit + ks->lastkey);
    } else if (ks->find == KS_FIND_KEYNUM) {
        step = ks->keystep;
        long long numkeys;
        int at = first + ks->keynumidx;
        if (at >= a->argc || !string2ll(a->argv[at], a->len[at], &numkeys) || numkeys < 0 || numkeys > a->argc)
            return -1;
        first += ks->firstkey;
        last = first + (int)numkeys - 1;
    } else {
        return -1;
    }
    if (last >= a->argc || last < first || first >= a->argc) return -1;
    if (step < 1) step = 1;
    int n = 0;
    for (int i = first; i <= last && n < max; i += step) pos[n++] = i;
    return n;
}

bool cmd_has_keys(const struct cmd_def *cmd)
{
    if (cmd->getkeys) return true;
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int n = cmd_key_specs(cmd, specs);
    for (int i = 0; i < n; i++)
        if (!(specs[i].flags & KS_NOT_KEY)) return true;
    return false;
}

static bool any_arg_is(const struct cmd_args *a, int from, const char *word)
{
    for (int i = from; i < a->argc; i++)
        if (arg_is(a, i, word)) return true;
    return false;
}

uint32_t cmd_key_call_flags(const struct cmd_def *cmd, const struct cmd_args *a, uint32_t spec_flags)
{
    if (!(spec_flags & KS_VARIABLE_FLAGS)) return spec_flags;
    if (strcmp(cmd->name, "set") == 0)
        return any_arg_is(a, 3, "get") ? KS_RW | KS_ACCESS | KS_UPDATE : KS_OW | KS_UPDATE;
    if (strcmp(cmd->name, "bitfield") == 0)
        return any_arg_is(a, 2, "set") || any_arg_is(a, 2, "incrby") ? KS_RW | KS_ACCESS | KS_UPDATE
                                                                     : KS_RO | KS_ACCESS;
    return spec_flags;
}
