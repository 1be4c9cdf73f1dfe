/* acl_user.c — ACL users and selectors: creating, copying, and applying
 * one rule (Redis 7.0's ACLSetUser / ACLSetSelector, acl.c), with the same
 * outcome and the same error for every rule.
 * Thread: any; a user being changed belongs to its caller alone.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/cmd_spec.h"

#include <ctype.h>
#include <pthread.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static atomic_bool pubsub_allchannels; /* acl-pubsub-default */

void acl_set_pubsub_default(bool allchannels) { atomic_store(&pubsub_allchannels, allchannels); }

static size_t cmd_words(void) { return (cmd_index_count() + 63) / 64; }

/* Each command's categories, parsed once from the table (immutable). */
static uint32_t *categories;
static pthread_once_t categories_once = PTHREAD_ONCE_INIT;

static void categories_init(void)
{
    size_t n = cmd_index_count();
    categories = rk_calloc(n ? n : 1, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) categories[i] = cmd_acl_categories(cmd_by_index(i), NULL);
}

uint32_t acl_cmd_categories(size_t index)
{
    pthread_once(&categories_once, categories_init);
    return index < cmd_index_count() ? categories[index] : 0;
}

/* ---- selectors ---- */

static void selector_init(struct acl_selector *s, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    s->flags = flags;
    if (atomic_load(&pubsub_allchannels)) s->flags |= ACL_SEL_ALLCHANNELS;
    s->cmds = rk_calloc(cmd_words(), sizeof(uint64_t));
}

static void firstargs_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++) rk_free(list[i]);
    rk_free(list);
}

static void firstargs_reset(struct acl_selector *s)
{
    if (!s->firstargs) return;
    for (size_t i = 0; i < cmd_index_count(); i++) firstargs_free(s->firstargs[i]);
    rk_free(s->firstargs);
    s->firstargs = NULL;
}

static void keys_reset(struct acl_selector *s)
{
    for (uint32_t i = 0; i < s->nkeys; i++) rk_free(s->keys[i].pat);
    rk_free(s->keys);
    s->keys = NULL;
    s->nkeys = 0;
}

static void chans_reset(struct acl_selector *s)
{
    for (uint32_t i = 0; i < s->nchans; i++) rk_free(s->chans[i]);
    rk_free(s->chans);
    rk_free(s->chan_lens);
    s->chans = NULL;
    s->chan_lens = NULL;
    s->nchans = 0;
}

static void selector_deinit(struct acl_selector *s)
{
    firstargs_reset(s);
    keys_reset(s);
    chans_reset(s);
    rk_free(s->cmds);
}

static void selector_copy(struct acl_selector *dst, const struct acl_selector *src)
{
    *dst = *src;
    size_t words = cmd_words(), n = cmd_index_count();
    dst->cmds = rk_malloc(words * sizeof(uint64_t));
    memcpy(dst->cmds, src->cmds, words * sizeof(uint64_t));
    if (src->firstargs) {
        dst->firstargs = rk_calloc(n, sizeof(char **));
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (src->firstargs[i] && src->firstargs[i][k]) k++;
            if (!k) continue;
            dst->firstargs[i] = rk_calloc(k + 1, sizeof(char *));
            for (size_t j = 0; j < k; j++)
                dst->firstargs[i][j] = rk_strndup(src->firstargs[i][j], strlen(src->firstargs[i][j]));
        }
    }
    dst->keys = src->nkeys ? rk_malloc(src->nkeys * sizeof(*dst->keys)) : NULL;
    for (uint32_t i = 0; i < src->nkeys; i++) {
        dst->keys[i] = src->keys[i];
        dst->keys[i].pat = rk_strndup(src->keys[i].pat, src->keys[i].len);
    }
    dst->chans = src->nchans ? rk_malloc(src->nchans * sizeof(char *)) : NULL;
    dst->chan_lens = src->nchans ? rk_malloc(src->nchans * sizeof(size_t)) : NULL;
    for (uint32_t i = 0; i < src->nchans; i++) {
        dst->chans[i] = rk_strndup(src->chans[i], src->chan_lens[i]);
        dst->chan_lens[i] = src->chan_lens[i];
    }
}

static void set_bit(struct acl_selector *s, int id, bool on)
{
    if (id < 0) return;
    if (on) {
        s->cmds[id / 64] |= 1ull << (id % 64);
    } else {
        s->cmds[id / 64] &= ~(1ull << (id % 64));
        s->flags &= ~(unsigned)ACL_SEL_ALLCOMMANDS;
    }
}

/* ACLChangeSelectorPerm: a command and all its subcommands. */
static void change_perm(struct acl_selector *s, const struct cmd_def *cmd, bool on)
{
    int id = cmd_index(cmd);
    if (s->firstargs && id >= 0) {
        firstargs_free(s->firstargs[id]);
        s->firstargs[id] = NULL;
    }
    set_bit(s, id, on);
    for (const struct cmd_def *sub = cmd->subcommands; sub && sub->name; sub++) set_bit(s, cmd_index(sub), on);
}

static bool category_set(struct acl_selector *s, const char *name, size_t len, bool on)
{
    int cat = acl_category_lookup(name, len);
    if (cat < 0) return false;
    for (size_t i = 0; i < cmd_index_count(); i++) {
        if (acl_cmd_categories(i) & (1u << cat)) set_bit(s, (int)i, on);
    }
    return true;
}

static void firstarg_add(struct acl_selector *s, int id, const char *arg, size_t len)
{
    if (!s->firstargs) s->firstargs = rk_calloc(cmd_index_count(), sizeof(char **));
    size_t k = 0;
    for (; s->firstargs[id] && s->firstargs[id][k]; k++)
        if (strlen(s->firstargs[id][k]) == len && strncasecmp(s->firstargs[id][k], arg, len) == 0) return;
    s->firstargs[id] = rk_realloc(s->firstargs[id], (k + 2) * sizeof(char *));
    s->firstargs[id][k] = rk_strndup(arg, len);
    s->firstargs[id][k + 1] = NULL;
}

static bool has_space(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)p[i]) || p[i] == 0) return true;
    return false;
}

static bool op_is(const char *op, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(op, word, len) == 0;
}

static enum acl_set_err add_key_pattern(struct acl_selector *s, const char *op, size_t len)
{
    if (s->flags & ACL_SEL_ALLKEYS) return ACL_SET_KEYS_ALL;
    unsigned flags = 0;
    size_t off = 1;
    if (op[0] == '%') {
        for (; off < len; off++) {
            char ch = (char)toupper((unsigned char)op[off]);
            if (ch == 'R' && !(flags & ACL_KEY_READ)) flags |= ACL_KEY_READ;
            else if (ch == 'W' && !(flags & ACL_KEY_WRITE)) flags |= ACL_KEY_WRITE;
            else if (op[off] == '~') {
                off++;
                break;
            } else return ACL_SET_SYNTAX;
        }
    } else {
        flags = ACL_KEY_ALL;
    }
    if (has_space(op + off, len - off)) return ACL_SET_SYNTAX;
    const char *pat = op + off;
    size_t plen = len - off;
    for (uint32_t i = 0; i < s->nkeys; i++)
        if (s->keys[i].len == plen && memcmp(s->keys[i].pat, pat, plen) == 0) {
            s->keys[i].flags |= flags;
            s->flags &= ~ACL_SEL_ALLKEYS;
            return ACL_SET_OK;
        }
    s->keys = rk_realloc(s->keys, (s->nkeys + 1) * sizeof(*s->keys));
    s->keys[s->nkeys++] = (struct acl_keypat){rk_strndup(pat, plen), plen, flags};
    s->flags &= ~ACL_SEL_ALLKEYS;
    return ACL_SET_OK;
}

static enum acl_set_err add_channel(struct acl_selector *s, const char *op, size_t len)
{
    if (s->flags & ACL_SEL_ALLCHANNELS) return ACL_SET_CHANS_ALL;
    if (has_space(op + 1, len - 1)) return ACL_SET_SYNTAX;
    for (uint32_t i = 0; i < s->nchans; i++)
        if (s->chan_lens[i] == len - 1 && memcmp(s->chans[i], op + 1, len - 1) == 0) return ACL_SET_OK;
    s->chans = rk_realloc(s->chans, (s->nchans + 1) * sizeof(char *));
    s->chan_lens = rk_realloc(s->chan_lens, (s->nchans + 1) * sizeof(size_t));
    s->chans[s->nchans] = rk_strndup(op + 1, len - 1);
    s->chan_lens[s->nchans++] = len - 1;
    return ACL_SET_OK;
}

/* +name, +name|sub (a subcommand) or +name|arg (a first argument). */
static enum acl_set_err allow_command(struct acl_selector *s, const char *name, size_t len)
{
    const char *bar = memrchr(name, '|', len);
    if (!bar) {
        const struct cmd_def *cmd = cmd_lookup(name, len);
        if (!cmd) return ACL_SET_UNKNOWN;
        change_perm(s, cmd, true);
        return ACL_SET_OK;
    }
    const char *first_bar = memchr(name, '|', len);
    const struct cmd_def *cmd = cmd_lookup(name, (size_t)(bar - name));
    if (!cmd) {
        /* "config|get|x": the part before the last bar is a subcommand */
        if (first_bar != bar && cmd_lookup_fullname(name, (size_t)(bar - name))) return ACL_SET_SUBCMD_ARG;
        return ACL_SET_UNKNOWN;
    }
    size_t sublen = len - (size_t)(bar + 1 - name);
    if (sublen == 0) return ACL_SET_SYNTAX;
    if (cmd->subcommands) {
        const struct cmd_def *sub = cmd_lookup_sub(cmd, bar + 1, sublen);
        if (!sub) return ACL_SET_UNKNOWN;
        change_perm(s, sub, true);
        return ACL_SET_OK;
    }
    firstarg_add(s, cmd_index(cmd), bar + 1, sublen);
    return ACL_SET_OK;
}

static enum acl_set_err selector_set(struct acl_selector *s, const char *op, size_t len)
{
    size_t words = cmd_words();
    if (op_is(op, len, "allkeys") || op_is(op, len, "~*")) {
        keys_reset(s);
        s->flags |= ACL_SEL_ALLKEYS;
    } else if (op_is(op, len, "resetkeys")) {
        keys_reset(s);
        s->flags &= ~ACL_SEL_ALLKEYS;
    } else if (op_is(op, len, "allchannels") || op_is(op, len, "&*")) {
        chans_reset(s);
        s->flags |= ACL_SEL_ALLCHANNELS;
    } else if (op_is(op, len, "resetchannels")) {
        chans_reset(s);
        s->flags &= ~ACL_SEL_ALLCHANNELS;
    } else if (op_is(op, len, "allcommands") || op_is(op, len, "+@all")) {
        memset(s->cmds, 0xff, words * sizeof(uint64_t));
        s->flags |= ACL_SEL_ALLCOMMANDS | ACL_SEL_FUTURE;
        firstargs_reset(s);
    } else if (op_is(op, len, "nocommands") || op_is(op, len, "-@all")) {
        memset(s->cmds, 0, words * sizeof(uint64_t));
        s->flags &= ~(unsigned)(ACL_SEL_ALLCOMMANDS | ACL_SEL_FUTURE);
        firstargs_reset(s);
    } else if (op[0] == '~' || op[0] == '%') {
        return add_key_pattern(s, op, len);
    } else if (op[0] == '&') {
        return add_channel(s, op, len);
    } else if (len >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@') {
        if (!category_set(s, op + 2, len - 2, op[0] == '+')) return ACL_SET_UNKNOWN;
    } else if (op[0] == '+') {
        return allow_command(s, op + 1, len - 1);
    } else if (op[0] == '-') {
        const struct cmd_def *cmd = cmd_lookup_fullname(op + 1, len - 1);
        if (!cmd) return ACL_SET_UNKNOWN;
        change_perm(s, cmd, false);
    } else {
        return ACL_SET_SYNTAX;
    }
    return ACL_SET_OK;
}

/* ---- users ---- */

static atomic_uint_fast64_t next_identity = 1;

static struct acl_user *user_alloc(const char *name, size_t len)
{
    struct acl_user *u = rk_calloc(1, sizeof(*u));
    u->identity = atomic_fetch_add_explicit(&next_identity, 1, memory_order_relaxed);
    atomic_init(&u->refs, 1);
    u->name = rk_strndup(name, len);
    u->name_len = len;
    return u;
}

struct acl_user *acl_user_create(const char *name, size_t len)
{
    struct acl_user *u = user_alloc(name, len);
    u->sel = rk_malloc(sizeof(*u->sel));
    u->nsel = 1;
    selector_init(&u->sel[0], ACL_SEL_ROOT);
    return u;
}

struct acl_user *acl_user_create_default(void)
{
    struct acl_user *u = acl_user_create("default", 7);
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) acl_user_set(u, rules[i], strlen(rules[i]));
    acl_user_seal(u);
    return u;
}

struct acl_user *acl_user_copy(const struct acl_user *src)
{
    struct acl_user *u = user_alloc(src->name, src->name_len);
    u->flags = src->flags;
    u->npass = src->npass;
    if (src->npass) {
        u->pass = rk_malloc(src->npass * sizeof(*u->pass));
        memcpy(u->pass, src->pass, src->npass * sizeof(*u->pass));
    }
    u->nsel = src->nsel;
    u->sel = rk_malloc(src->nsel * sizeof(*u->sel));
    for (uint32_t i = 0; i < src->nsel; i++) selector_copy(&u->sel[i], &src->sel[i]);
    u->unrestricted = src->unrestricted;
    u->identity = src->identity;
    return u;
}

struct acl_user *acl_user_ref(struct acl_user *u)
{
    if (u) atomic_fetch_add_explicit(&u->refs, 1, memory_order_relaxed);
    return u;
}

void acl_user_unref(struct acl_user *u)
{
    if (!u || atomic_fetch_sub_explicit(&u->refs, 1, memory_order_acq_rel) != 1) return;
    for (uint32_t i = 0; i < u->nsel; i++) selector_deinit(&u->sel[i]);
    rk_free(u->sel);
    rk_free(u->pass);
    rk_free(u->name);
    rk_free(u);
}

void acl_hash_password(const void *pass, size_t len, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!EVP_Digest(pass, len, md, &mdlen, EVP_sha256(), NULL)) mdlen = 0;
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = i < mdlen ? hex[md[i] >> 4] : '0';
        out[2 * i + 1] = i < mdlen ? hex[md[i] & 15] : '0';
    }
    out[ACL_HASH_HEX] = 0;
}

static bool valid_hash(const char *h, size_t len)
{
    if (len != ACL_HASH_HEX) return false;
    for (size_t i = 0; i < len; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) return false;
    return true;
}

static int find_pass(const struct acl_user *u, const char *hash)
{
    for (uint32_t i = 0; i < u->npass; i++)
        if (memcmp(u->pass[i], hash, ACL_HASH_HEX) == 0) return (int)i;
    return -1;
}

/* >pw #hash (add) and <pw !hash (remove). */
static enum acl_set_err password_rule(struct acl_user *u, const char *op, size_t len)
{
    char hash[ACL_HASH_HEX + 1];
    if (op[0] == '>' || op[0] == '<') {
        acl_hash_password(op + 1, len - 1, hash);
    } else {
        if (!valid_hash(op + 1, len - 1)) return ACL_SET_BAD_HASH;
        memcpy(hash, op + 1, ACL_HASH_HEX);
        hash[ACL_HASH_HEX] = 0;
    }
    int at = find_pass(u, hash);
    if (op[0] == '>' || op[0] == '#') {
        if (at < 0) {
            u->pass = rk_realloc(u->pass, (u->npass + 1) * sizeof(*u->pass));
            memcpy(u->pass[u->npass++], hash, ACL_HASH_HEX + 1);
        }
        u->flags &= ~(unsigned)ACL_USER_NOPASS;
        return ACL_SET_OK;
    }
    if (at < 0) return ACL_SET_NO_PASS;
    memmove(u->pass[at], u->pass[at + 1], (u->npass - (uint32_t)at - 1) * sizeof(*u->pass));
    u->npass--;
    return ACL_SET_OK;
}

static void clear_selectors(struct acl_user *u)
{
    for (uint32_t i = 1; i < u->nsel; i++) selector_deinit(&u->sel[i]);
    u->nsel = 1;
}

/* "(rule rule ...)": a new selector made of the rules inside. */
static enum acl_set_err add_selector(struct acl_user *u, const char *op, size_t len)
{
    int argc;
    size_t *lens;
    char **argv = acl_split_args(op + 1, len - 2, &argc, &lens);
    if (!argv) return ACL_SET_SYNTAX;
    struct acl_selector s;
    selector_init(&s, 0);
    enum acl_set_err err = ACL_SET_OK;
    for (int i = 0; i < argc && !err; i++) err = selector_set(&s, argv[i], lens[i]);
    acl_free_args(argv, lens, argc);
    if (err) {
        selector_deinit(&s);
        return err;
    }
    u->sel = rk_realloc(u->sel, (u->nsel + 1) * sizeof(*u->sel));
    u->sel[u->nsel++] = s;
    return ACL_SET_OK;
}

static void reset_user(struct acl_user *u)
{
    static const char *const rules[] = {"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload",
                                        "clearselectors", "-@all"};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) acl_user_set(u, rules[i], strlen(rules[i]));
    if (atomic_load(&pubsub_allchannels)) acl_user_set(u, "allchannels", 11);
}

enum acl_set_err acl_user_set(struct acl_user *u, const char *op, size_t len)
{
    if (len == 0) return ACL_SET_OK;
    if (op_is(op, len, "on")) u->flags |= ACL_USER_ON;
    else if (op_is(op, len, "off")) u->flags &= ~(unsigned)ACL_USER_ON;
    else if (op_is(op, len, "skip-sanitize-payload"))
        u->flags = (u->flags & ~(unsigned)ACL_USER_SANITIZE) | ACL_USER_SKIP_SANITIZE;
    else if (op_is(op, len, "sanitize-payload"))
        u->flags = (u->flags & ~(unsigned)ACL_USER_SKIP_SANITIZE) | ACL_USER_SANITIZE;
    else if (op_is(op, len, "nopass") || op_is(op, len, "resetpass")) {
        rk_free(u->pass);
        u->pass = NULL;
        u->npass = 0;
        if (op[0] == 'n' || op[0] == 'N') u->flags |= ACL_USER_NOPASS;
        else u->flags &= ~(unsigned)ACL_USER_NOPASS;
    } else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') {
        return password_rule(u, op, len);
    } else if (op[0] == '(' && op[len - 1] == ')') {
        return len >= 2 ? add_selector(u, op, len) : ACL_SET_SYNTAX;
    } else if (op_is(op, len, "clearselectors")) {
        clear_selectors(u);
    } else if (op_is(op, len, "reset")) {
        reset_user(u);
    } else {
        return selector_set(&u->sel[0], op, len);
    }
    return ACL_SET_OK;
}

static bool selector_unrestricted(const struct acl_selector *s)
{
    return (s->flags & (ACL_SEL_ALLCOMMANDS | ACL_SEL_ALLKEYS | ACL_SEL_ALLCHANNELS)) ==
           (ACL_SEL_ALLCOMMANDS | ACL_SEL_ALLKEYS | ACL_SEL_ALLCHANNELS);
}

void acl_user_seal(struct acl_user *u)
{
    u->unrestricted = false;
    for (uint32_t i = 0; i < u->nsel; i++)
        if (selector_unrestricted(&u->sel[i])) u->unrestricted = true;
}

bool acl_user_password_ok(const struct acl_user *u, const char *pass, size_t len)
{
    if (u->flags & ACL_USER_NOPASS) return true;
    char hash[ACL_HASH_HEX + 1];
    acl_hash_password(pass, len, hash);
    bool ok = false;
    for (uint32_t i = 0; i < u->npass; i++) {
        unsigned diff = 0; /* time-independent, as Redis compares */
        for (size_t j = 0; j < ACL_HASH_HEX; j++) diff |= (unsigned)(u->pass[i][j] ^ hash[j]);
        ok |= diff == 0;
    }
    return ok;
}

const char *acl_set_error(enum acl_set_err err)
{
    switch (err) {
    case ACL_SET_UNKNOWN: return "Unknown command or category name in ACL";
    case ACL_SET_SYNTAX: return "Syntax error";
    case ACL_SET_KEYS_ALL:
        return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any "
               "effect. Try 'resetkeys' to start with an empty list of patterns";
    case ACL_SET_CHANS_ALL:
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have "
               "any effect. Try 'resetchannels' to start with an empty list of channels";
    case ACL_SET_NO_PASS: return "The password you are trying to remove from the user does not exist";
    case ACL_SET_BAD_HASH:
        return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters";
    case ACL_SET_DUPLICATE: return "Duplicate user found. A user can only be defined once in config files";
    case ACL_SET_SUBCMD_ARG: return "Allowing first-arg of a subcommand is not supported";
    case ACL_SET_OK: break;
    }
    return "Wrong format";
}
