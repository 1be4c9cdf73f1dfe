/* shebang.c — a script's first line `#!lua flags=no-writes,allow-oom`, as
 * Redis 7.0 reads it (evalExtractShebangFlags): the line is split like a
 * redis-cli line (sdssplitargs: blanks, "quotes" with escapes, 'quotes'),
 * the engine must be `#!lua`, the only option is flags=. The same
 * splitting reads a library's first line (functions.c). Any thread.
 */
#include "ringkv/script/engine.h"

#include "ringkv/base/alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    uint32_t flag;
} shebang_flags[] = {
    {"no-writes", SCRIPT_FLAG_NO_WRITES},
    {"allow-oom", SCRIPT_FLAG_ALLOW_OOM},
    {"allow-stale", SCRIPT_FLAG_ALLOW_STALE},
    {"no-cluster", SCRIPT_FLAG_NO_CLUSTER},
    {"allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT},
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)tolower((unsigned char)c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* One quoted token's body from *pp (just past the opening quote) into
 * *out; false on an unterminated quote or a closing quote not followed by
 * a blank (sdssplitargs's errors). */
static bool take_quoted(const char **pp, char **out, char q)
{
    const char *p = *pp;
    for (;; p++) {
        if (!*p) return false;
        if (q == '"' && p[0] == '\\' && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
            *(*out)++ = (char)(hexval(p[2]) * 16 + hexval(p[3]));
            p += 3;
        } else if (q == '"' && p[0] == '\\' && p[1]) {
            p++;
            char c = *p;
            c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'a' ? '\a' : c;
            *(*out)++ = c;
        } else if (q == '\'' && p[0] == '\\' && p[1] == '\'') {
            p++;
            *(*out)++ = '\'';
        } else if (*p == q) {
            if (p[1] && !isspace((unsigned char)p[1])) return false;
            *pp = p + 1;
            return true;
        } else {
            *(*out)++ = *p;
        }
    }
}

/* Splits line (NUL-terminated) into NUL-terminated tokens laid end to end
 * in out (room for strlen(line) + its tokens' NULs). Returns the number of
 * tokens, or -1 on a quoting error. */
static int split_args(const char *line, char *out)
{
    const char *p = line;
    int n = 0;
    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) return n;
        for (bool done = false; !done;) {
            if (*p == '"' || *p == '\'') {
                char q = *p++;
                if (!take_quoted(&p, &out, q)) return -1;
            } else if (!*p || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
                done = true;
            } else {
                *out++ = *p++;
            }
        }
        *out++ = '\0';
        n++;
    }
}

static void set_error(struct obuf *err, const char *prefix, const char *what)
{
    obuf_append(err, "ERR ", 4);
    obuf_append(err, prefix, strlen(prefix));
    obuf_append(err, what, strlen(what));
}

/* flags=a,b,c: each must be a known flag (an empty one is not). */
static bool parse_flag_list(const char *list, uint32_t *flags, struct obuf *err)
{
    if (!*list) return true;
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        uint32_t flag = script_flag_by_name(p, n, false);
        if (!flag) {
            char *name = rk_strndup(p, n);
            set_error(err, "Unexpected flag in script shebang: ", name);
            rk_free(name);
            return false;
        }
        *flags |= flag;
        if (!comma) return true;
        p = comma + 1;
    }
}

static bool parse_parts(const char *parts, int n, uint32_t *flags, struct obuf *err)
{
    if (n <= 0) {
        set_error(err, "Invalid engine in script shebang", "");
        return false;
    }
    if (strcmp(parts, "#!lua") != 0) {
        set_error(err, "Unexpected engine in script shebang: ", parts);
        return false;
    }
    *flags = SCRIPT_FLAG_SHEBANG;
    const char *p = parts;
    for (int j = 1; j < n; j++) {
        p += strlen(p) + 1;
        if (strncmp(p, "flags=", 6) != 0) {
            set_error(err, "Unknown lua shebang option: ", p);
            return false;
        }
        if (!parse_flag_list(p + 6, flags, err)) return false;
    }
    return true;
}

int shebang_split(const char *line, size_t n, char **parts)
{
    /* Redis splits a C-string copy of the line: it ends at a NUL. */
    char *copy = rk_strndup(line, n);
    *parts = rk_malloc(2 * n + 2);
    int nparts = split_args(copy, *parts);
    rk_free(copy);
    return nparts;
}

bool shebang_parse(const char *body, size_t len, uint32_t *flags, size_t *skip, struct obuf *err)
{
    *flags = 0;
    *skip = 0;
    if (len < 2 || body[0] != '#' || body[1] != '!') return true;
    const char *nl = memchr(body, '\n', len);
    if (!nl) {
        set_error(err, "Invalid script shebang", "");
        return false;
    }
    size_t n = (size_t)(nl - body);
    char *parts;
    int nparts = shebang_split(body, n, &parts);
    bool ok = parse_parts(parts, nparts, flags, err);
    rk_free(parts);
    if (ok) *skip = n;
    return ok;
}

uint32_t script_flag_by_name(const char *name, size_t n, bool nocase)
{
    for (size_t i = 0; i < sizeof(shebang_flags) / sizeof(shebang_flags[0]); i++) {
        const char *f = shebang_flags[i].name;
        if (strlen(f) == n && (nocase ? strncasecmp(f, name, n) : memcmp(f, name, n)) == 0)
            return shebang_flags[i].flag;
    }
    return 0;
}

int script_flag_names(uint32_t flags, const char *names[SCRIPT_FLAG_COUNT])
{
    int n = 0;
    for (size_t i = 0; i < sizeof(shebang_flags) / sizeof(shebang_flags[0]); i++)
        if (flags & shebang_flags[i].flag) names[n++] = shebang_flags[i].name;
    return n;
}
