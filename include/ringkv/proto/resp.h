/* resp.h — the RESP request parser (RESP2 multibulk and inline commands).
 *
 * The parser is resumable: a connection keeps one resp_parser and feeds it
 * the bytes it has for the current command, from the command's first byte;
 * when they are not enough the parser remembers how far it got, so a 500 MB
 * bulk arriving in 16 KB pieces is scanned once, not once per piece.
 * Arguments are reported as offsets into the fed buffer (the buffer may move
 * between calls), or into the parser's own scratch for inline commands,
 * whose quoting rules rewrite the bytes. Single-threaded: one per connection.
 */
#ifndef RINGKV_RESP_H
#define RINGKV_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESP_INLINE_MAX (64 * 1024)       /* PROTO_INLINE_MAX_SIZE */
/* Before a client authenticates (when a password is set) Redis accepts only
 * small requests, so a stranger cannot make it buffer much. */
#define RESP_UNAUTH_MULTIBULK_MAX 10
#define RESP_UNAUTH_BULK_MAX 16384

enum resp_status {
    RESP_DONE,       /* one command parsed; resp_consumed() bytes used */
    RESP_EMPTY,      /* an empty command (blank inline line, "*0"): skip bytes */
    RESP_MORE,       /* need more bytes */
    RESP_ERROR,      /* protocol error: resp_error() has Redis's text */
};

struct resp_arg {
    size_t off, len;
};

struct resp_parser {
    long long max_bulk;       /* proto-max-bulk-len */
    long long max_multibulk;  /* INT_MAX normally */
    bool unauth;              /* the client must still authenticate */
    /* progress through the current command */
    size_t pos;               /* bytes of the command scanned so far */
    long long want;           /* multibulk args still to read, -1 before '*N' */
    long long bulklen;        /* length of the bulk being read, -1 before '$N' */
    bool is_inline;
    const char *error;
    /* the arguments of the current command */
    struct resp_arg *args;
    uint32_t argc, args_cap;
    char *scratch;            /* unescaped inline arguments */
    size_t scratch_len, scratch_cap;
};

void resp_parser_init(struct resp_parser *p, long long max_bulk);
void resp_parser_deinit(struct resp_parser *p);
/* Feeds the bytes of the current command, buf[0] being its first byte. */
enum resp_status resp_parse(struct resp_parser *p, const char *buf, size_t len);
/* After RESP_DONE/RESP_EMPTY: bytes the command took; resets for the next. */
size_t resp_consumed(struct resp_parser *p);
/* After RESP_DONE: pointer to argument i, given the buffer last fed. */
const char *resp_arg_ptr(const struct resp_parser *p, const char *buf, uint32_t i);
/* Bytes the current partial command will need at least (for buffer sizing). */
size_t resp_bytes_wanted(const struct resp_parser *p);
const char *resp_error(const struct resp_parser *p);
/* Drops partial progress (the connection is being closed or reset). */
void resp_parser_reset(struct resp_parser *p);

/* Splits an inline line as Redis's sdssplitargs does (quotes, \xHH escapes).
 * Writes unescaped bytes to out (at least len bytes) and argument bounds to
 * args (offsets into out). Returns argc, or -1 on unbalanced quotes, -2 when
 * more than max_args arguments. */
int resp_split_inline(const char *line, size_t len, char *out, struct resp_arg *args, int max_args);

/* Replies (the server's own output, read back when combining the parts of
 * a fan-out): the byte length of the one complete RESP value at buf, or 0
 * if it is incomplete or malformed. */
size_t resp_value_span(const char *buf, size_t len);
/* For an aggregate header ("*3\r\n", "%2\r\n", ...): its element count
 * (maps count pairs) and header length. Returns false for non-aggregates. */
bool resp_aggregate_header(const char *buf, size_t len, long long *count, size_t *hdr_len);

#endif
