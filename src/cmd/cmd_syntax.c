/* cmd_syntax.c — parses a syntax line into COMMAND DOCS's argument tree;
 * the notation is described in cmd_syntax.h. Recursive descent over the
 * groups; each sequence first folds repeats ("X [X ...]"), then binds
 * tokens to what follows them. Any thread; no allocation. */
#include "ringkv/cmd/cmd_syntax.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum lex_kind { LEX_END, LEX_OPEN_OPT, LEX_OPEN_REQ, LEX_CLOSE_OPT, LEX_CLOSE_REQ, LEX_BAR, LEX_WORD, LEX_NAME, LEX_REPEAT };

struct lex {
    enum lex_kind kind;
    const char *at;
    size_t len;
};

struct parser {
    struct cmd_syntax *s;
    const char *p, *end;
    char *err;
    size_t errcap;
    bool failed;
};

/* One element of a sequence while it is being read: an argument already
 * built (node >= 0) or a bare token still to be bound to what follows. */
struct item {
    int node;
    const char *tok, *name, *ann; /* bare token; its name= prefix and @versions (or NULL) */
    size_t tok_len, name_len, ann_len;
    const char *start, *end; /* source span, to recognize repeats */
};

#define MAX_ITEMS 32

static const char *const type_names[] = {
    [ARG_STRING] = "string", [ARG_INTEGER] = "integer", [ARG_DOUBLE] = "double",
    [ARG_KEY] = "key", [ARG_PATTERN] = "pattern", [ARG_UNIX_TIME] = "unix-time",
    [ARG_PURE_TOKEN] = "pure-token", [ARG_ONEOF] = "oneof", [ARG_BLOCK] = "block",
};

const char *cmd_arg_type_name(enum cmd_arg_type type) { return type_names[type]; }

static void fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed) return;
    ps->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err, ps->errcap, fmt, ap);
    va_end(ap);
}

static bool is_sep(char ch) { return ch == ' ' || ch == '[' || ch == ']' || ch == '<' || ch == '>' || ch == '|'; }

static bool is_name_char(char ch) { return islower((unsigned char)ch) || isdigit((unsigned char)ch) || ch == '-' || ch == '_'; }

static struct lex lex_next(const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && *p == ' ') p++;
    struct lex l = {LEX_END, p, 0};
    if (p == end) return l;
    static const char single[] = "[<]>|";
    static const enum lex_kind kinds[] = {LEX_OPEN_OPT, LEX_OPEN_REQ, LEX_CLOSE_OPT, LEX_CLOSE_REQ, LEX_BAR};
    const char *hit = strchr(single, *p);
    if (hit) {
        l.kind = kinds[hit - single];
        l.len = 1;
    } else {
        size_t name = 0;
        while (p + name < end && is_name_char(p[name])) name++;
        if (name && p + name < end && p[name] == '=') {
            l.kind = LEX_NAME; /* "name=" prefix, the named element follows */
            l.len = name + 1;
        } else {
            while (p + l.len < end && !is_sep(p[l.len])) l.len++;
            l.kind = l.len == 3 && memcmp(p, "...", 3) == 0 ? LEX_REPEAT : LEX_WORD;
        }
    }
    *pp = p + l.len;
    return l;
}

static struct lex peek(const struct parser *ps)
{
    const char *p = ps->p;
    return lex_next(&p, ps->end);
}

static const char *text_put(struct parser *ps, const char *str, size_t len, bool lower)
{
    struct cmd_syntax *s = ps->s;
    if (s->text_len + len + 1 > sizeof(s->text)) {
        fail(ps, "syntax too long");
        return "";
    }
    char *out = s->text + s->text_len;
    for (size_t i = 0; i < len; i++) out[i] = lower ? (char)tolower((unsigned char)str[i]) : str[i];
    out[len] = '\0';
    s->text_len += len + 1;
    return out;
}

static int node_new(struct parser *ps, enum cmd_arg_type type, const char *name)
{
    struct cmd_syntax *s = ps->s;
    if (s->nargs >= CMD_SYNTAX_MAX_ARGS) {
        fail(ps, "too many arguments");
        return 0;
    }
    s->args[s->nargs] = (struct cmd_arg){.name = name, .type = type, .key_spec_index = -1, .child = -1, .next = -1};
    return s->nargs++;
}

static bool word_is_token(const char *w, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (islower((unsigned char)w[i])) return false;
    return true;
}

/* Splits "word@versions" into the word and its annotation; *ann NULL
 * when there is none. */
static size_t split_versions(const char *w, size_t len, const char **ann, size_t *ann_len)
{
    const char *at = memchr(w, '@', len);
    *ann = at ? at + 1 : NULL;
    *ann_len = at ? len - (size_t)(at + 1 - w) : 0;
    return at ? (size_t)(at - w) : len;
}

/* "6.2.0", "!2.8.12" or "1.0.0@!2.8.12": since and deprecated_since. */
static void apply_versions(struct parser *ps, int node, const char *ann, size_t len)
{
    const char *end = ann + len;
    if (len == 0) fail(ps, "empty version");
    while (ann < end && !ps->failed) {
        const char *at = memchr(ann, '@', (size_t)(end - ann));
        const char *stop = at ? at : end;
        bool deprecated = *ann == '!';
        const char *v = ann + deprecated;
        if (v == stop) fail(ps, "empty version");
        const char *text = text_put(ps, v, (size_t)(stop - v), false);
        if (deprecated) ps->s->args[node].deprecated_since = text;
        else ps->s->args[node].since = text;
        ann = at ? at + 1 : end;
    }
}

/* A value word: name[:type][#keyspec] (its @since already split off). */
static int parse_value(struct parser *ps, const char *w, size_t len)
{
    int ksi = -1;
    const char *hash = memchr(w, '#', len);
    if (hash) {
        if (hash + 1 == w + len) fail(ps, "missing key spec index in '%.*s'", (int)len, w);
        ksi = 0;
        for (const char *d = hash + 1; d < w + len; d++) {
            if (!isdigit((unsigned char)*d) || ksi > 9) fail(ps, "bad key spec index in '%.*s'", (int)len, w);
            ksi = ksi * 10 + (*d - '0');
        }
        len = (size_t)(hash - w);
    }
    size_t name_len = len;
    int type = -1;
    const char *colon = memrchr(w, ':', len);
    if (colon) {
        size_t tlen = len - (size_t)(colon + 1 - w);
        for (int t = ARG_STRING; t <= ARG_UNIX_TIME; t++)
            if (strlen(type_names[t]) == tlen && memcmp(type_names[t], colon + 1, tlen) == 0) type = t;
        if (type >= 0) name_len = (size_t)(colon - w);
    }
    if (type < 0) {
        type = ARG_STRING;
        if (name_len == 3 && memcmp(w, "key", 3) == 0) type = ARG_KEY;
        if (name_len == 7 && memcmp(w, "pattern", 7) == 0) type = ARG_PATTERN;
    }
    int n = node_new(ps, (enum cmd_arg_type)type, text_put(ps, w, name_len, false));
    if (ps->failed) return n;
    if (type == ARG_KEY && ksi < 0) ksi = ps->s->nkeys++;
    ps->s->args[n].key_spec_index = (int8_t)ksi;
    return n;
}

/* Links nodes into a sibling list; returns the head. */
static int link_list(struct parser *ps, const int *nodes, int n)
{
    for (int i = 0; i + 1 < n; i++) ps->s->args[nodes[i]].next = (int16_t)nodes[i + 1];
    if (n) ps->s->args[nodes[n - 1]].next = -1;
    return n ? nodes[0] : -1;
}

/* A group (oneof or block) of nodes; unnamed groups join their members'
 * names with '_'. */
static int group_new(struct parser *ps, enum cmd_arg_type type, const int *nodes, int n, const char *name, size_t name_len)
{
    char joined[256];
    if (!name) {
        size_t len = 0;
        for (int i = 0; i < n && len < sizeof(joined); i++)
            len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s", i ? "_" : "", ps->s->args[nodes[i]].name);
        name = joined;
        name_len = len < sizeof(joined) ? len : sizeof(joined) - 1;
    }
    int g = node_new(ps, type, text_put(ps, name, name_len, false));
    if (ps->failed) return g;
    ps->s->args[g].child = (int16_t)link_list(ps, nodes, n);
    return g;
}

/* Binds bare tokens: a token takes the rest of the sequence as its
 * argument (one) or block (several), or is a pure token (none). Returns the
 * number of nodes written to out. */
static int bind_tokens(struct parser *ps, const struct item *items, int n, int *out)
{
    int k = 0;
    for (int i = 0; i < n && !ps->failed; i++) {
        if (items[i].node >= 0) {
            out[k++] = items[i].node;
            continue;
        }
        const struct item *t = &items[i];
        int rest[MAX_ITEMS];
        int nrest = bind_tokens(ps, items + i + 1, n - i - 1, rest);
        const char *tok = text_put(ps, t->tok, t->tok_len, false);
        int node;
        if (nrest == 0) {
            bool empty = t->tok_len == 2 && memcmp(t->tok, "\"\"", 2) == 0;
            if (empty) tok = "";
            node = node_new(ps, ARG_PURE_TOKEN, t->name ? text_put(ps, t->name, t->name_len, false)
                                                        : text_put(ps, empty ? "empty_string" : t->tok,
                                                                   empty ? 12 : t->tok_len, true));
        } else if (nrest == 1 && !ps->s->args[rest[0]].token) {
            node = rest[0];
            if (t->name) ps->s->args[node].name = text_put(ps, t->name, t->name_len, false);
        } else {
            node = group_new(ps, ARG_BLOCK, rest, nrest, t->name, t->name_len);
        }
        if (ps->failed) return k;
        ps->s->args[node].token = tok;
        if (t->ann) apply_versions(ps, node, t->ann, t->ann_len);
        out[k++] = node;
        return k;
    }
    return k;
}

static bool spans_equal(const char *a, const char *a_end, const char *b, const char *b_end)
{
    for (;;) {
        struct lex x = lex_next(&a, a_end), y = lex_next(&b, b_end);
        if (x.kind != y.kind || x.len != y.len || memcmp(x.at, y.at, x.len) != 0) return false;
        if (x.kind == LEX_END) return true;
    }
}

static int parse_group(struct parser *ps, struct lex open, const char *name, size_t name_len,
                       struct item *items, int *nitems);

/* Reads one sequence up to '|', a closing bracket or the end. Sets
 * *repeat when it ends with "..." (the content of a "[X ...]"). */
static int parse_seq(struct parser *ps, struct item *items, bool *repeat)
{
    int n = 0;
    *repeat = false;
    while (!ps->failed) {
        struct lex l = peek(ps);
        if (l.kind == LEX_END || l.kind == LEX_BAR || l.kind == LEX_CLOSE_OPT || l.kind == LEX_CLOSE_REQ) break;
        lex_next(&ps->p, ps->end);
        if (l.kind == LEX_REPEAT) {
            *repeat = true;
            struct lex after = peek(ps);
            if (after.kind != LEX_CLOSE_OPT) fail(ps, "'...' must close a [X ...] group");
            break;
        }
        if (l.kind == LEX_WORD && *l.at == '@') { /* "[CH]@3.0.2": the preceding element's */
            if (n == 0 || l.len == 1) {
                fail(ps, "misplaced '%.*s'", (int)l.len, l.at);
                break;
            }
            struct item *prev = &items[n - 1];
            if (prev->node >= 0) apply_versions(ps, prev->node, l.at + 1, l.len - 1);
            else prev->ann = l.at + 1, prev->ann_len = l.len - 1;
            prev->end = ps->p;
            continue;
        }
        const char *name = NULL;
        size_t name_len = 0;
        if (l.kind == LEX_NAME) {
            name = l.at;
            name_len = l.len - 1;
            l = lex_next(&ps->p, ps->end);
        }
        if (n == MAX_ITEMS) {
            fail(ps, "sequence too long");
            break;
        }
        struct item *it = &items[n];
        *it = (struct item){.node = -1, .start = l.at};
        const char *ann = NULL;
        size_t ann_len = 0, wlen = l.kind == LEX_WORD ? split_versions(l.at, l.len, &ann, &ann_len) : 0;
        if (l.kind == LEX_WORD && word_is_token(l.at, wlen)) {
            it->tok = l.at;
            it->tok_len = wlen;
            it->name = name;
            it->name_len = name_len;
            it->ann = ann;
            it->ann_len = ann_len;
        } else if (l.kind == LEX_WORD) {
            it->node = parse_value(ps, l.at, wlen);
            if (name) ps->s->args[it->node].name = text_put(ps, name, name_len, false);
            if (ann) apply_versions(ps, it->node, ann, ann_len);
        } else if (l.kind == LEX_OPEN_OPT || l.kind == LEX_OPEN_REQ) {
            if (parse_group(ps, l, name, name_len, items, &n)) continue; /* folded a repeat */
        } else {
            fail(ps, "unexpected '%.*s'", (int)(l.len ? l.len : 3), l.len ? l.at : "end");
            break;
        }
        items[n].end = ps->p;
        n++;
    }
    return n;
}

/* "X [X ...]": the repeat's content must equal the last k items, which
 * become one argument (a block when several) flagged multiple. */
static void fold_repeat(struct parser *ps, struct item *items, int *nitems, int k, const char *rstart, const char *rend)
{
    int n = *nitems;
    if (k == 0 || k > n || !spans_equal(items[n - k].start, items[n - 1].end, rstart, rend)) {
        fail(ps, "'[%.*s ...]' does not repeat what precedes it", (int)(rend - rstart), rstart);
        return;
    }
    int nodes[MAX_ITEMS];
    int nn = bind_tokens(ps, items + n - k, k, nodes);
    if (ps->failed || nn == 0) return;
    int node = nn == 1 ? nodes[0] : group_new(ps, ARG_BLOCK, nodes, nn, NULL, 0);
    if (ps->failed) return;
    struct cmd_arg *arg = &ps->s->args[node];
    arg->flags |= ARG_MULTIPLE | (arg->token && items[n - k].node < 0 ? ARG_MULTIPLE_TOKEN : 0);
    const char *start = items[n - k].start;
    items[n - k] = (struct item){.node = node, .start = start};
    *nitems = n - k + 1;
}

/* Parses a bracketed group after its opening lexeme and appends it to
 * items[*nitems] (the caller then sets its end). Returns true instead when
 * the group was a repeat folded into the preceding items. */
static int parse_group(struct parser *ps, struct lex open, const char *name, size_t name_len,
                       struct item *items, int *nitems)
{
    enum lex_kind close = open.kind == LEX_OPEN_OPT ? LEX_CLOSE_OPT : LEX_CLOSE_REQ;
    int alts[MAX_ITEMS], nalts = 0;
    bool lone = false; /* "<x>": one argument alone in a required group */
    /* A repeat's content is parsed only to be compared: its nodes and key
     * numbers are dropped again. */
    int saved_nargs = ps->s->nargs, saved_nkeys = ps->s->nkeys;
    const char *content = ps->p;
    for (;;) {
        struct item sub[MAX_ITEMS];
        bool repeat;
        int n = parse_seq(ps, sub, &repeat);
        if (ps->failed) return false;
        if (repeat) {
            if (nalts || close != LEX_CLOSE_OPT) {
                fail(ps, "'...' only in [X ...]");
                return false;
            }
            const char *rend = ps->p - 3;
            lex_next(&ps->p, ps->end); /* ']' */
            ps->s->nargs = saved_nargs;
            ps->s->nkeys = saved_nkeys;
            fold_repeat(ps, items, nitems, n, content, rend);
            return true;
        }
        int nodes[MAX_ITEMS];
        int nn = bind_tokens(ps, sub, n, nodes);
        if (ps->failed) return false;
        lone = nalts == 0 && n == 1 && sub[0].node >= 0;
        if (nn == 0) {
            fail(ps, "empty group or alternative");
            return false;
        }
        if (nalts == MAX_ITEMS) {
            fail(ps, "too many alternatives");
            return false;
        }
        alts[nalts++] = nn == 1 ? nodes[0] : group_new(ps, ARG_BLOCK, nodes, nn, NULL, 0);
        struct lex l = lex_next(&ps->p, ps->end);
        if (l.kind == LEX_BAR) continue;
        if (l.kind != close) {
            fail(ps, "unbalanced '%c'", *open.at);
            return false;
        }
        break;
    }
    int node;
    if (nalts > 1) node = group_new(ps, ARG_ONEOF, alts, nalts, name, name_len);
    else if (lone && close == LEX_CLOSE_REQ) node = group_new(ps, ARG_BLOCK, alts, 1, name, name_len);
    else node = alts[0];
    if (ps->failed) return false;
    if (nalts == 1 && name) ps->s->args[node].name = text_put(ps, name, name_len, false);
    if (close == LEX_CLOSE_OPT) ps->s->args[node].flags |= ARG_OPTIONAL;
    items[*nitems].node = node;
    return false;
}

bool cmd_syntax_parse(struct cmd_syntax *s, const char *syntax, char *err, size_t errcap)
{
    s->nargs = 0;
    s->first = -1;
    s->nkeys = 0;
    s->text_len = 0;
    if (!syntax) return true;
    struct parser ps = {s, syntax, syntax + strlen(syntax), err, errcap, false};
    struct item items[MAX_ITEMS];
    bool repeat;
    int n = parse_seq(&ps, items, &repeat);
    if (!ps.failed && (repeat || peek(&ps).kind != LEX_END)) fail(&ps, "unbalanced brackets");
    int nodes[MAX_ITEMS];
    int nn = ps.failed ? 0 : bind_tokens(&ps, items, n, nodes);
    if (ps.failed) return false;
    s->first = link_list(&ps, nodes, nn);
    return true;
}
