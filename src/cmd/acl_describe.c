/* acl_describe.c — users back to rules, as ACL LIST, ACL GETUSER and ACL
 * SAVE write them (Redis 7.0's ACLDescribeUser and its helpers), and the
 * splitting of a rule line into words (sdssplitargs).
 * Thread: any; the objects described are immutable or the caller's.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/cmd_spec.h"
#include "ringkv/proto/reply.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

static void put(struct obuf *out, const char *s) { obuf_append(out, s, strlen(s)); }

static bool bit(const struct acl_selector *s, size_t id) { return (s->cmds[id / 64] >> (id % 64)) & 1; }

static void set_cmd(struct acl_selector *s, const struct cmd_def *cmd, bool on)
{
    int id = cmd_index(cmd);
    if (id < 0) return;
    if (on) s->cmds[id / 64] |= 1ull << (id % 64);
    else s->cmds[id / 64] &= ~(1ull << (id % 64));
}

/* The commands of category cat that a bitmap allows (on) and not (off). */
static void count_category(const uint64_t *cmds, int cat, unsigned long *on, unsigned long *off)
{
    *on = *off = 0;
    for (size_t i = 0; i < cmd_index_count(); i++) {
        if (!(acl_cmd_categories(i) & (1u << cat))) continue;
        if ((cmds[i / 64] >> (i % 64)) & 1) (*on)++;
        else (*off)++;
    }
}

static void category_apply(uint64_t *cmds, int cat, bool on)
{
    for (size_t i = 0; i < cmd_index_count(); i++) {
        if (!(acl_cmd_categories(i) & (1u << cat))) continue;
        if (on) cmds[i / 64] |= 1ull << (i % 64);
        else cmds[i / 64] &= ~(1ull << (i % 64));
    }
}

/* Redis's best fit: the categories that explain most of the bitmap, then
 * the single commands left over, so the rules rebuild the same bitmap. */
void acl_selector_describe_commands(const struct acl_selector *s, struct obuf *out)
{
    size_t words = (cmd_index_count() + 63) / 64;
    bool additive = !(s->flags & ACL_SEL_FUTURE);
    put(out, additive ? "-@all" : "+@all");
    uint64_t *fake = rk_calloc(words, sizeof(uint64_t)), *temp = rk_malloc(words * sizeof(uint64_t));
    if (!additive) memset(fake, 0xff, words * sizeof(uint64_t));
    memcpy(temp, s->cmds, words * sizeof(uint64_t));
    bool applied[ACL_CAT_COUNT] = {0};
    for (;;) {
        int best = -1;
        unsigned long mindiff = INT_MAX, maxsame = 0;
        for (int j = 0; j < ACL_CAT_COUNT; j++) {
            if (applied[j]) continue;
            unsigned long on, off;
            count_category(temp, j, &on, &off);
            unsigned long diff = additive ? off : on, same = additive ? on : off;
            if (same > diff && (diff < mindiff || (diff == mindiff && same > maxsame))) {
                best = j;
                mindiff = diff;
                maxsame = same;
            }
        }
        if (best < 0) break;
        category_apply(fake, best, additive);
        category_apply(temp, best, !additive);
        put(out, additive ? " +@" : " -@");
        put(out, acl_category_name((enum acl_category)best));
        applied[best] = true;
    }
    struct acl_selector f = {.cmds = fake};
    for (size_t i = 0; i < cmd_index_count(); i++) {
        const struct cmd_def *cmd = cmd_by_index(i);
        bool userbit = bit(s, i);
        if (userbit != bit(&f, i)) {
            put(out, userbit ? " +" : " -");
            put(out, cmd->name);
            set_cmd(&f, cmd, userbit);
            for (const struct cmd_def *sub = cmd->subcommands; sub && sub->name; sub++) set_cmd(&f, sub, userbit);
        }
        for (size_t k = 0; !userbit && s->firstargs && s->firstargs[i] && s->firstargs[i][k]; k++) {
            put(out, " +");
            put(out, cmd->name);
            put(out, "|");
            put(out, s->firstargs[i][k]);
        }
    }
    rk_free(fake);
    rk_free(temp);
}

static void key_pattern(const struct acl_keypat *k, struct obuf *out)
{
    put(out, k->flags == ACL_KEY_ALL ? "~" : k->flags == ACL_KEY_READ ? "%R~" : "%W~");
    obuf_append(out, k->pat, k->len);
}

void acl_selector_describe_keys(const struct acl_selector *s, struct obuf *out)
{
    if (s->flags & ACL_SEL_ALLKEYS) {
        put(out, "~*");
        return;
    }
    for (uint32_t i = 0; i < s->nkeys; i++) {
        if (i) put(out, " ");
        key_pattern(&s->keys[i], out);
    }
}

void acl_selector_describe_channels(const struct acl_selector *s, struct obuf *out)
{
    if (s->flags & ACL_SEL_ALLCHANNELS) {
        put(out, "&*");
        return;
    }
    for (uint32_t i = 0; i < s->nchans; i++) {
        put(out, i ? " &" : "&");
        obuf_append(out, s->chans[i], s->chan_lens[i]);
    }
}

/* ACLDescribeSelector: keys, channels, then commands. */
void acl_selector_describe(const struct acl_selector *s, struct obuf *out)
{
    if (s->flags & ACL_SEL_ALLKEYS) {
        put(out, "~* ");
    } else {
        for (uint32_t i = 0; i < s->nkeys; i++) {
            key_pattern(&s->keys[i], out);
            put(out, " ");
        }
    }
    if (s->flags & ACL_SEL_ALLCHANNELS) {
        put(out, "&* ");
    } else {
        put(out, "resetchannels ");
        for (uint32_t i = 0; i < s->nchans; i++) {
            put(out, "&");
            obuf_append(out, s->chans[i], s->chan_lens[i]);
            put(out, " ");
        }
    }
    acl_selector_describe_commands(s, out);
}

void acl_user_describe(const struct acl_user *u, struct obuf *out)
{
    put(out, "user ");
    obuf_append(out, u->name, u->name_len);
    put(out, u->flags & ACL_USER_ON ? " on " : " off ");
    if (u->flags & ACL_USER_NOPASS) put(out, "nopass ");
    if (u->flags & ACL_USER_SKIP_SANITIZE) put(out, "skip-sanitize-payload ");
    if (u->flags & ACL_USER_SANITIZE) put(out, "sanitize-payload ");
    for (uint32_t i = 0; i < u->npass; i++) {
        put(out, "#");
        obuf_append(out, u->pass[i], ACL_HASH_HEX);
        put(out, " ");
    }
    acl_selector_describe(&u->sel[0], out);
    for (uint32_t i = 1; i < u->nsel; i++) {
        put(out, " (");
        acl_selector_describe(&u->sel[i], out);
        put(out, ")");
    }
}

/* ---- splitting (sdssplitargs) ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One word from *p; false on unbalanced quotes. */
static bool next_word(const char **pp, const char *end, struct obuf *w)
{
    const char *p = *pp;
    bool inq = false, insq = false;
    for (; p < end; p++) {
        if (inq) {
            if (*p == '\\' && end - p >= 4 && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
                char ch = (char)(hexval(p[2]) * 16 + hexval(p[3]));
                obuf_append(w, &ch, 1);
                p += 3;
            } else if (*p == '\\' && end - p >= 2) {
                p++;
                char ch = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p == 'b' ? '\b' : *p == 'a' ? '\a' : *p;
                obuf_append(w, &ch, 1);
            } else if (*p == '"') {
                if (p + 1 < end && !isspace((unsigned char)p[1])) return false;
                p++;
                inq = false;
                break;
            } else {
                obuf_append(w, p, 1);
            }
        } else if (insq) {
            if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
                p++;
                obuf_append(w, "'", 1);
            } else if (*p == '\'') {
                if (p + 1 < end && !isspace((unsigned char)p[1])) return false;
                p++;
                insq = false;
                break;
            } else {
                obuf_append(w, p, 1);
            }
        } else if (isspace((unsigned char)*p) || *p == 0) {
            break;
        } else if (*p == '"') {
            inq = true;
        } else if (*p == '\'') {
            insq = true;
        } else {
            obuf_append(w, p, 1);
        }
    }
    if (inq || insq) return false; /* a quote must close before the end */
    *pp = p;
    return true;
}

char **acl_split_args(const char *line, size_t len, int *argc, size_t **lens)
{
    const char *p = line, *end = line + len;
    char **argv = NULL;
    size_t *lv = NULL;
    int n = 0;
    for (;;) {
        while (p < end && (isspace((unsigned char)*p) || *p == 0)) p++;
        if (p >= end) break;
        struct obuf w;
        obuf_init(&w);
        if (!next_word(&p, end, &w)) {
            obuf_free(&w);
            acl_free_args(argv, lv, n);
            return NULL;
        }
        argv = rk_realloc(argv, (size_t)(n + 1) * sizeof(char *));
        lv = rk_realloc(lv, (size_t)(n + 1) * sizeof(size_t));
        argv[n] = rk_strndup(w.data ? w.data : "", w.len);
        lv[n++] = w.len;
        obuf_free(&w);
    }
    if (!argv) argv = rk_calloc(1, sizeof(char *));
    *argc = n;
    *lens = lv;
    return argv;
}

void acl_free_args(char **argv, size_t *lens, int argc)
{
    for (int i = 0; i < argc; i++) rk_free(argv[i]);
    rk_free(argv);
    rk_free(lens);
}

char **acl_merge_selectors(char *const *argv, const size_t *lens, int argc, int *out_argc, size_t **out_lens,
                           int *bad)
{
    char **out = rk_calloc((size_t)argc + 1, sizeof(char *));
    size_t *olens = rk_calloc((size_t)argc + 1, sizeof(size_t));
    int n = 0, open_at = -1;
    struct obuf sel;
    obuf_init(&sel);
    for (int i = 0; i < argc; i++) {
        const char *op = argv[i];
        size_t len = lens[i];
        if (open_at < 0 && len && op[0] == '(' && op[len - 1] != ')') {
            sel.len = 0;
            obuf_append(&sel, op, len);
            open_at = i;
            continue;
        }
        if (open_at >= 0) {
            obuf_append(&sel, " ", 1);
            obuf_append(&sel, op, len);
            if (!len || op[len - 1] != ')') continue;
            open_at = -1;
            op = sel.data;
            len = sel.len;
        }
        out[n] = rk_strndup(op, len);
        olens[n++] = len;
    }
    obuf_free(&sel);
    if (open_at >= 0) {
        *bad = open_at;
        acl_free_args(out, olens, n);
        return NULL;
    }
    *out_argc = n;
    *out_lens = olens;
    return out;
}
