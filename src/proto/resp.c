/* resp.c — RESP request parser; see resp.h. Single-threaded per parser. */
#include "ringkv/proto/resp.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <string.h>

void resp_parser_init(struct resp_parser *p, long long max_bulk)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk = max_bulk;
    p->max_multibulk = INT_MAX;
    resp_parser_reset(p);
}

void resp_parser_deinit(struct resp_parser *p)
{
    rk_free(p->args);
    rk_free(p->scratch);
    p->args = NULL;
    p->scratch = NULL;
}

void resp_parser_reset(struct resp_parser *p)
{
    p->pos = 0;
    p->want = -1;
    p->bulklen = -1;
    p->argc = 0;
    p->is_inline = false;
    p->error = NULL;
    /* A huge argument vector from a previous command is not kept around. */
    if (p->args_cap > 1024) {
        rk_free(p->args);
        p->args = NULL;
        p->args_cap = 0;
    }
    if (p->scratch_cap > RESP_INLINE_MAX * 2) {
        rk_free(p->scratch);
        p->scratch = NULL;
        p->scratch_cap = 0;
    }
}

static enum resp_status fail(struct resp_parser *p, const char *msg)
{
    p->error = msg;
    return RESP_ERROR;
}

static void push_arg(struct resp_parser *p, size_t off, size_t len)
{
    if (p->argc == p->args_cap) {
        uint32_t cap = p->args_cap ? p->args_cap * 2 : 16;
        p->args = rk_realloc(p->args, cap * sizeof(*p->args));
        p->args_cap = cap;
    }
    p->args[p->argc].off = off;
    p->args[p->argc].len = len;
    p->argc++;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0'; }

/* One quoted argument starting at line[i] (a '"' or '\''); returns the index
 * after the closing quote, or -1 when unbalanced. */
static long split_quoted(const char *line, size_t len, size_t i, char *out, size_t *olen)
{
    char q = line[i++];
    while (i < len) {
        char c = line[i];
        if (q == '"' && c == '\\' && i + 3 < len && line[i + 1] == 'x' && hex_val(line[i + 2]) >= 0 && hex_val(line[i + 3]) >= 0) {
            out[(*olen)++] = (char)(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
            i += 4;
        } else if (c == '\\' && i + 1 < len && (q == '"' || line[i + 1] == '\'')) {
            char e = line[i + 1];
            if (q == '"') {
                switch (e) {
                case 'n': e = '\n'; break;
                case 'r': e = '\r'; break;
                case 't': e = '\t'; break;
                case 'b': e = '\b'; break;
                case 'a': e = '\a'; break;
                default: break;
                }
            }
            out[(*olen)++] = e;
            i += 2;
        } else if (c == q) {
            /* The closing quote must be followed by a space or the end. */
            if (i + 1 < len && !is_space(line[i + 1])) return -1;
            return (long)(i + 1);
        } else {
            out[(*olen)++] = c;
            i++;
        }
    }
    return -1;
}

int resp_split_inline(const char *line, size_t len, char *out, struct resp_arg *args, int max_args)
{
    size_t i = 0, olen = 0;
    int argc = 0;
    for (;;) {
        while (i < len && is_space(line[i])) i++;
        if (i >= len) return argc;
        if (argc == max_args) return -2;
        size_t start = olen;
        if (line[i] == '"' || line[i] == '\'') {
            long next = split_quoted(line, len, i, out, &olen);
            if (next < 0) return -1;
            i = (size_t)next;
        } else {
            while (i < len && !is_space(line[i])) out[olen++] = line[i++];
        }
        args[argc].off = start;
        args[argc].len = olen - start;
        argc++;
    }
}

static enum resp_status parse_inline(struct resp_parser *p, const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    if (!nl) {
        if (len > RESP_INLINE_MAX) return fail(p, "Protocol error: too big inline request");
        return RESP_MORE;
    }
    size_t linelen = (size_t)(nl - buf);
    if (linelen && buf[linelen - 1] == '\r') linelen--;
    /* Redis refuses a line only while its end has not arrived after 64 KB;
     * reading 16 KB at a time, it accepts lines up to 80 KB. The same here,
     * with a cap in case much arrived at once (a line's arguments cost
     * memory in proportion). */
    if (linelen > 2 * RESP_INLINE_MAX) return fail(p, "Protocol error: too big inline request");
    p->pos = (size_t)(nl - buf) + 1;
    if (p->scratch_cap < linelen + 1) {
        rk_free(p->scratch);
        p->scratch_cap = linelen + 1;
        p->scratch = rk_malloc(p->scratch_cap);
    }
    /* Each argument needs at least two bytes of the line (char + space). */
    uint32_t max_args = (uint32_t)(linelen / 2 + 1);
    if (p->args_cap < max_args) {
        rk_free(p->args);
        p->args_cap = max_args;
        p->args = rk_malloc(max_args * sizeof(*p->args));
    }
    int argc = resp_split_inline(buf, linelen, p->scratch, p->args, (int)max_args);
    if (argc < 0) return fail(p, "Protocol error: unbalanced quotes in request");
    p->argc = (uint32_t)argc;
    p->is_inline = true;
    return argc ? RESP_DONE : RESP_EMPTY;
}

/* Reads "<prefix><number>\r\n" at buf[p->pos]; returns 1 done, 0 more, -1 bad. */
static int read_number_line(struct resp_parser *p, const char *buf, size_t len, long long *out, size_t *line_len)
{
    size_t start = p->pos + 1;
    const char *cr = memchr(buf + start, '\r', len - start);
    if (!cr) return 0;
    size_t end = (size_t)(cr - buf);
    if (end + 1 >= len) return 0; /* need the '\n' */
    *line_len = end + 2 - p->pos;
    return string2ll(buf + start, end - start, out) ? 1 : -1;
}

static enum resp_status parse_multibulk(struct resp_parser *p, const char *buf, size_t len)
{
    size_t line_len;
    long long n;

    if (p->want < 0) {
        int r = read_number_line(p, buf, len, &n, &line_len);
        if (r == 0) {
            if (len - p->pos > RESP_INLINE_MAX) return fail(p, "Protocol error: too big mbulk count string");
            return RESP_MORE;
        }
        if (r < 0 || n > p->max_multibulk) return fail(p, "Protocol error: invalid multibulk length");
        if (p->unauth && n > RESP_UNAUTH_MULTIBULK_MAX) return fail(p, "Protocol error: unauthenticated multibulk length");
        p->pos += line_len;
        if (n <= 0) return RESP_EMPTY;
        p->want = n;
    }
    while (p->want > 0) {
        if (p->bulklen < 0) {
            if (p->pos >= len) return RESP_MORE;
            if (buf[p->pos] != '$') {
                static __thread char msg[64];
                memcpy(msg, "Protocol error: expected '$', got ' '", 38);
                msg[35] = buf[p->pos];
                return fail(p, msg);
            }
            int r = read_number_line(p, buf, len, &n, &line_len);
            if (r == 0) {
                if (len - p->pos > RESP_INLINE_MAX) return fail(p, "Protocol error: too big bulk count string");
                return RESP_MORE;
            }
            if (r < 0 || n < 0 || n > p->max_bulk) return fail(p, "Protocol error: invalid bulk length");
            if (p->unauth && n > RESP_UNAUTH_BULK_MAX) return fail(p, "Protocol error: unauthenticated bulk length");
            p->pos += line_len;
            p->bulklen = n;
        }
        if (len - p->pos < (size_t)p->bulklen + 2) return RESP_MORE;
        push_arg(p, p->pos, (size_t)p->bulklen);
        p->pos += (size_t)p->bulklen + 2;
        p->bulklen = -1;
        p->want--;
    }
    return RESP_DONE;
}

enum resp_status resp_parse(struct resp_parser *p, const char *buf, size_t len)
{
    if (len == 0) return RESP_MORE;
    if (buf[0] != '*') return parse_inline(p, buf, len);
    return parse_multibulk(p, buf, len);
}

size_t resp_consumed(struct resp_parser *p)
{
    size_t n = p->pos;
    resp_parser_reset(p);
    return n;
}

const char *resp_arg_ptr(const struct resp_parser *p, const char *buf, uint32_t i)
{
    return (p->is_inline ? p->scratch : buf) + p->args[i].off;
}

size_t resp_bytes_wanted(const struct resp_parser *p)
{
    if (p->bulklen >= 0) return p->pos + (size_t)p->bulklen + 2;
    return p->pos + 1;
}

const char *resp_error(const struct resp_parser *p) { return p->error; }

static size_t line_end(const char *buf, size_t len)
{
    const char *cr = memchr(buf, '\r', len);
    if (!cr || (size_t)(cr - buf) + 1 >= len) return 0;
    return (size_t)(cr - buf) + 2;
}

bool resp_aggregate_header(const char *buf, size_t len, long long *count, size_t *hdr_len)
{
    if (len == 0 || buf[0] == '\0' || !strchr("*%~>|", buf[0])) return false;
    size_t e = line_end(buf, len);
    if (!e || !string2ll(buf + 1, e - 3, count)) return false;
    *hdr_len = e;
    return true;
}

/* Deeper than any reply the server writes: treated as malformed, so a
 * hostile buffer cannot exhaust the stack. */
#define SPAN_MAX_DEPTH 128

static size_t value_span(const char *buf, size_t len, int depth)
{
    long long n;
    size_t e, hdr;
    if (len == 0 || depth > SPAN_MAX_DEPTH) return 0;
    switch (buf[0]) {
    case '+': case '-': case ':': case ',': case '#': case '_': case '(':
        return line_end(buf, len);
    case '$': case '=': case '!':
        e = line_end(buf, len);
        if (!e || !string2ll(buf + 1, e - 3, &n)) return 0;
        if (n < 0) return e;
        return len - e >= (size_t)n + 2 ? e + (size_t)n + 2 : 0;
    default:
        if (!resp_aggregate_header(buf, len, &n, &hdr)) return 0;
        if (n <= 0) return hdr; /* empty, or a null aggregate (*-1) */
        /* Each element takes 3 bytes at least: a count beyond what the
         * buffer can hold is incomplete (and cannot overflow below). */
        if (n > (long long)(len - hdr) / 3) return 0;
        if (buf[0] == '%' || buf[0] == '|') n *= 2;
        size_t off = hdr;
        for (long long i = 0; i < n; i++) {
            size_t span = value_span(buf + off, len - off, depth + 1);
            if (!span) return 0;
            off += span;
        }
        return off;
    }
}

size_t resp_value_span(const char *buf, size_t len) { return value_span(buf, len, 0); }
