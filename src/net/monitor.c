/* monitor.c — MONITOR; see monitor.h. */
#include "ringkv/net/monitor.h"
#include "ringkv/base/alloc.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"
#include "ringkv/core/msg.h"
#include "ringkv/core/shard.h"
#include "ringkv/net/conn.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

/* An argument as Redis quotes it (sdscatrepr). */
static void append_quoted(struct obuf *out, const char *p, size_t len)
{
    obuf_append(out, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        char esc[5];
        const char *named = ch == '\\' ? "\\\\" : ch == '"' ? "\\\"" : ch == '\n' ? "\\n" : ch == '\r' ? "\\r"
                          : ch == '\t' ? "\\t" : ch == '\a' ? "\\a" : ch == '\b' ? "\\b" : NULL;
        if (named) obuf_append(out, named, 2);
        else if (isprint(ch)) obuf_append(out, &p[i], 1);
        else obuf_append(out, esc, (size_t)snprintf(esc, sizeof esc, "\\x%02x", ch));
    }
    obuf_append(out, "\"", 1);
}

/* The arguments shown as "(redacted)", as Redis hides AUTH's and HELLO
 * AUTH's credentials from monitors. */
static bool redacted(const struct cmd_def *cmd, const struct cmd_args *a, int i)
{
    if (!cmd) return false;
    if (strcmp(cmd->name, "auth") == 0) return i >= 1;
    if (strcmp(cmd->name, "hello") != 0) return false;
    for (int j = 2; j + 2 < a->argc && j < i; j++)
        if (a->len[j] == 4 && strncasecmp(a->argv[j], "auth", 4) == 0) return i == j + 1 || i == j + 2;
    return false;
}

static void format_line(struct obuf *out, const char *source, int dbid, const struct cmd_def *cmd,
                        const struct cmd_args *a)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char head[160];
    obuf_append(out, head, (size_t)snprintf(head, sizeof head, "+%ld.%06ld [%d %s]", (long)tv.tv_sec,
                                            (long)tv.tv_usec, dbid, source));
    for (int i = 0; i < a->argc; i++) {
        obuf_append(out, " ", 1);
        if (redacted(cmd, a, i)) obuf_append(out, "\"(redacted)\"", 12);
        else append_quoted(out, a->argv[i], a->len[i]);
    }
    obuf_append(out, "\r\n", 2);
}

static void deliver_here(struct shard *s, const char *line, size_t len)
{
    for (uint32_t i = 0; i < s->nmonitors; i++) {
        struct conn *c = s->monitors[i];
        if (c->flags & CONN_CLOSING) continue;
        obuf_append(&c->out, line, len);
        conn_want_send(c); /* may close c (output limit): never frees it here */
    }
}

static void feed(struct shard *s, const char *source, int dbid, const struct cmd_def *cmd, const struct cmd_args *a)
{
    struct obuf line;
    obuf_init(&line);
    format_line(&line, source, dbid, cmd, a);
    deliver_here(s, line.data, line.len);
    for (unsigned t = 0; t < s->srv->nshards; t++)
        if (t != s->id && __atomic_load_n(&s->srv->monitors[t], __ATOMIC_RELAXED))
            msg_add_monitor(s, t, line.data, line.len);
    obuf_free(&line);
}

void monitor_feed_command(struct conn *c, const struct cmd_def *cmd, int dbid, const struct cmd_args *a)
{
    /* CMD_SKIP_MONITOR (EVAL, FCALL) means Redis feeds them itself, before
     * their calls: every command is fed before it runs here. */
    if (cmd->flags & CMD_ADMIN) return;
    feed(c->shard, c->addr, dbid, cmd, a);
}

void host_monitor_script_call(struct host *h, const struct cmd_def *cmd, int dbid, const struct cmd_args *a)
{
    struct shard *s = shard_of_host(h);
    if (monitor_any(s->srv)) feed(s, "lua", dbid, cmd, a);
}

void monitor_segment(struct shard *s, struct msg_batch *b, struct msg_seg *seg)
{
    const char *p = b->args.data + seg->args_off;
    for (uint32_t i = 0; i < seg->ncmds; i++) {
        const char *line;
        size_t len;
        p = msg_unpack_args(p, 1, &line, &len);
        deliver_here(s, line, len);
    }
}

static void count(struct conn *c, long delta)
{
    struct server *srv = c->shard->srv;
    __atomic_add_fetch(&srv->monitors[c->shard->id], delta, __ATOMIC_RELAXED);
    __atomic_add_fetch(&srv->monitors_total, delta, __ATOMIC_RELAXED);
}

enum monitor_start client_start_monitor(struct client *cl)
{
    struct conn *c = (struct conn *)cl;
    if (c->flags & CONN_MONITOR) return MONITOR_ALREADY;
    /* Busy with something sent away: the command runs inside EXEC, where
     * Redis refuses to start monitoring (a deny-blocking client). */
    if (c->busy) return MONITOR_DENIED;
    struct shard *s = c->shard;
    if (s->nmonitors == s->monitors_cap) {
        s->monitors_cap = s->monitors_cap ? 2 * s->monitors_cap : 4;
        s->monitors = rk_realloc(s->monitors, s->monitors_cap * sizeof(*s->monitors));
    }
    s->monitors[s->nmonitors++] = c;
    c->flags |= CONN_MONITOR;
    count(c, 1);
    return MONITOR_STARTED;
}

void monitor_conn_closed(struct conn *c)
{
    if (!(c->flags & CONN_MONITOR)) return;
    struct shard *s = c->shard;
    for (uint32_t i = 0; i < s->nmonitors; i++) {
        if (s->monitors[i] != c) continue;
        s->monitors[i] = s->monitors[--s->nmonitors];
        break;
    }
    c->flags &= ~CONN_MONITOR;
    count(c, -1);
}
