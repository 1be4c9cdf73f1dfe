/* fuzz_resp.c — libFuzzer target for the RESP request parser (resp.c), fed
 * the way a connection feeds it: the bytes arrive in pieces (the first
 * input byte picks the piece sizes), a command is parsed from its first
 * byte each time more arrives, and what a command consumed is dropped.
 * Checks: no crash or undefined behaviour (ASan, UBSan), arguments lie
 * inside the bytes fed (or the inline scratch), progress is made, errors
 * carry a message, and the reply scanner (resp_value_span) and the inline
 * splitter survive the same bytes. */
#include "ringkv/proto/resp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

static void check_args(const struct resp_parser *p, const char *buf, size_t used)
{
    for (uint32_t i = 0; i < p->argc; i++) {
        const char *a = resp_arg_ptr(p, buf, i);
        size_t len = p->args[i].len;
        if (p->is_inline) CHECK(p->args[i].off + len <= p->scratch_cap);
        else CHECK(a >= buf && a + len <= buf + used);
        /* touch every byte so ASan sees any overrun */
        volatile char sink = 0;
        for (size_t j = 0; j < len; j++) sink ^= a[j];
        (void)sink;
    }
}

/* Feeds data to a parser in pieces (split_seed 0: all at once); returns
 * the number of commands parsed. */
static size_t feed(const uint8_t *data, size_t size, unsigned split_seed, bool unauth, long long max_bulk)
{
    struct resp_parser p;
    resp_parser_init(&p, max_bulk);
    p.unauth = unauth;
    size_t start = 0, avail = 0, commands = 0;
    unsigned rng = split_seed * 2654435761u + 1;
    while (start < size) {
        if (avail < size) { /* more bytes arrive */
            rng = rng * 1103515245u + 12345u;
            avail = split_seed ? avail + 1 + (rng >> 16) % 64 : size;
            if (avail > size) avail = size;
        }
        const char *buf = (const char *)data + start;
        size_t len = avail - start;
        enum resp_status st = resp_parse(&p, buf, len);
        if (st == RESP_ERROR) {
            CHECK(resp_error(&p) && resp_error(&p)[0]);
            break;
        }
        if (st == RESP_MORE) {
            CHECK(resp_bytes_wanted(&p) > 0);
            if (avail == size) break; /* the input ends mid-command */
            continue;
        }
        if (st == RESP_DONE) {
            CHECK(p.argc > 0);
            check_args(&p, buf, len);
            commands++;
        }
        size_t used = resp_consumed(&p);
        CHECK(used > 0 && used <= len);
        start += used;
    }
    resp_parser_deinit(&p);
    return commands;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    unsigned seed = data[0];
    data++;
    size--;
    /* All at once and in pieces, the same commands (lines of 64 KB and
     * more may end differently: their fate depends on how they arrive). */
    size_t whole = feed(data, size, 0, false, 1 << 20);
    size_t pieces = feed(data, size, seed + 1, false, 1 << 20);
    if (size < RESP_INLINE_MAX) CHECK(whole == pieces);
    feed(data, size, seed + 1, (seed & 1) != 0, seed & 2 ? 1024 : 512LL << 20);

    /* The reply scanner on arbitrary bytes. */
    size_t off = 0;
    while (off < size) {
        size_t span = resp_value_span((const char *)data + off, size - off);
        if (span == 0) break;
        CHECK(span <= size - off);
        off += span;
    }
    long long count;
    size_t hdr;
    if (resp_aggregate_header((const char *)data, size, &count, &hdr)) CHECK(hdr <= size);

    /* The inline splitter (config files use it too). */
    char *out = malloc(size + 1);
    struct resp_arg args[64];
    int n = resp_split_inline((const char *)data, size, out, args, 64);
    CHECK(n >= -2 && n <= 64);
    for (int i = 0; i < n; i++) CHECK(args[i].off + args[i].len <= size);
    free(out);
    return 0;
}
