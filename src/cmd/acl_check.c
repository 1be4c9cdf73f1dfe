/* acl_check.c — whether a user may run a call: its command (or first
 * argument), the keys its key specs find with the rights their flags need,
 * and the channels it publishes or subscribes to (Redis 7.0's
 * ACLCheckAllUserCommandPerm). Pure: reads an immutable user.
 * Thread: any.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/glob.h"
#include "ringkv/cmd/cmd_spec.h"

#include <string.h>
#include <strings.h>

#define ACL_MAX_KEYS 256 /* keys checked beyond this are found again per chunk */

static bool cmd_allowed(const struct acl_selector *s, const struct cmd_def *cmd, const struct cmd_args *a)
{
    if ((s->flags & ACL_SEL_ALLCOMMANDS) || (cmd->flags & CMD_NO_AUTH)) return true;
    int id = cmd_index(cmd);
    if (id < 0) return false;
    if ((s->cmds[id / 64] >> (id % 64)) & 1) return true;
    if (a->argc < 2 || !s->firstargs || !s->firstargs[id]) return false;
    int at = strchr(cmd->name, '|') ? 2 : 1;
    if (at >= a->argc) return false;
    for (char **f = s->firstargs[id]; *f; f++)
        if (strlen(*f) == a->len[at] && strncasecmp(*f, a->argv[at], a->len[at]) == 0) return true;
    return false;
}

/* ACLSelectorCheckKey: the rights a key spec's flags need. */
static bool key_allowed(const struct acl_selector *s, const char *key, size_t len, uint32_t ks_flags)
{
    if (s->flags & ACL_SEL_ALLKEYS) return true;
    unsigned need = 0;
    if (ks_flags & KS_ACCESS) need |= ACL_KEY_READ;
    if (ks_flags & (KS_INSERT | KS_DELETE | KS_UPDATE)) need |= ACL_KEY_WRITE;
    for (uint32_t i = 0; i < s->nkeys; i++) {
        const struct acl_keypat *k = &s->keys[i];
        if ((k->flags & need) == need && glob_match(k->pat, k->len, key, len, false)) return true;
    }
    return false;
}

static bool keys_allowed(const struct acl_selector *s, const struct cmd_def *cmd, const struct cmd_args *a, int *errpos)
{
    if (s->flags & ACL_SEL_ALLKEYS) return true;
    struct cmd_key_spec specs[CMD_MAX_KEY_SPECS];
    int nspecs = cmd_key_specs(cmd, specs);
    int pos[ACL_MAX_KEYS];
    for (int i = 0; i < nspecs; i++) {
        if (specs[i].flags & KS_NOT_KEY) continue;
        int n = cmd_key_spec_find(&specs[i], a, pos, ACL_MAX_KEYS);
        for (int k = 0; k < n; k++) {
            if (!key_allowed(s, a->argv[pos[k]], a->len[pos[k]], cmd_key_call_flags(cmd, a, specs[i].flags))) {
                *errpos = pos[k];
                return false;
            }
        }
    }
    return true;
}

/* Where a call names channels (Redis's getChannelsFromCommand): from
 * argument 1 to the last (all) or argument 1 only; patterns match literally. */
static bool channel_args(const struct cmd_def *cmd, bool *all, bool *pattern)
{
    static const struct { const char *name; bool all, pattern; } tab[] = {
        {"publish", false, false}, {"spublish", false, false}, {"subscribe", true, false},
        {"ssubscribe", true, false}, {"psubscribe", true, true},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strcmp(cmd->name, tab[i].name) == 0) {
            *all = tab[i].all;
            *pattern = tab[i].pattern;
            return true;
        }
    return false;
}

static bool channel_allowed(const struct acl_selector *s, const char *ch, size_t len, bool pattern)
{
    if (s->flags & ACL_SEL_ALLCHANNELS) return true;
    for (uint32_t i = 0; i < s->nchans; i++) {
        if (pattern ? s->chan_lens[i] == len && memcmp(s->chans[i], ch, len) == 0
                    : glob_match(s->chans[i], s->chan_lens[i], ch, len, false))
            return true;
    }
    return false;
}

static bool channels_allowed(const struct acl_selector *s, const struct cmd_def *cmd, const struct cmd_args *a,
                             int *errpos)
{
    bool all, pattern;
    if ((s->flags & ACL_SEL_ALLCHANNELS) || !channel_args(cmd, &all, &pattern)) return true;
    for (int i = 1; i < (all ? a->argc : 2) && i < a->argc; i++)
        if (!channel_allowed(s, a->argv[i], a->len[i], pattern)) {
            *errpos = i;
            return false;
        }
    return true;
}

static enum acl_denied selector_check(const struct acl_selector *s, const struct cmd_def *cmd,
                                      const struct cmd_args *a, int *errpos)
{
    if (!cmd_allowed(s, cmd, a)) return ACL_DENIED_CMD;
    if (!keys_allowed(s, cmd, a, errpos)) return ACL_DENIED_KEY;
    if (!channels_allowed(s, cmd, a, errpos)) return ACL_DENIED_CHANNEL;
    return ACL_OK;
}

enum acl_denied acl_check(const struct acl_user *u, const struct cmd_def *cmd, const struct cmd_args *a,
                          int *errpos)
{
    if (u->unrestricted) return ACL_OK;
    /* Redis's choice of the error to report: the command when no selector
     * allows it, else the key or channel the furthest along. */
    enum acl_denied worst = ACL_DENIED_CMD;
    int last = 0;
    for (uint32_t i = 0; i < u->nsel; i++) {
        int pos = 0;
        enum acl_denied d = selector_check(&u->sel[i], cmd, a, &pos);
        if (d == ACL_OK) return ACL_OK;
        if (d > worst || (d == worst && pos > last)) {
            worst = d;
            last = pos;
        }
    }
    *errpos = last;
    return worst;
}

/* ACLSelectorHasUnrestrictedKeyAccess: ~* (or %R~* for reads...). */
static bool every_key(const struct acl_selector *s, unsigned need)
{
    if (s->flags & ACL_SEL_ALLKEYS) return true;
    for (uint32_t i = 0; i < s->nkeys; i++)
        if ((s->keys[i].flags & need) == need && s->keys[i].len == 1 && s->keys[i].pat[0] == '*') return true;
    return false;
}

bool acl_check_every_key(const struct acl_user *u, const struct cmd_def *cmd, const struct cmd_args *a, unsigned need)
{
    if (u->unrestricted) return true;
    for (uint32_t i = 0; i < u->nsel; i++) {
        int pos = 0;
        if (selector_check(&u->sel[i], cmd, a, &pos) == ACL_OK && every_key(&u->sel[i], need)) return true;
    }
    return false;
}

bool acl_channel_permitted(const struct acl_user *u, const char *name, size_t len, bool is_pattern)
{
    for (uint32_t i = 0; i < u->nsel; i++)
        if (channel_allowed(&u->sel[i], name, len, is_pattern)) return true;
    return false;
}
