/* fuzz_hll.c — libFuzzer target for HyperLogLog values from clients:
 * arbitrary bytes stored as a string and fed to PFCOUNT, PFADD, PFMERGE
 * and PFDEBUG through the command table (their handlers, on a keyspace of
 * their own: no shard, no ring), and to the hll.h functions directly.
 *
 * Input: byte 0 picks hll-sparse-max-bytes, byte 1 how the value is made
 * (bit 0: behind a "HYLL" magic, bit 1: dense encoding byte, bit 2: padded
 * to the dense size, bit 4: one byte short of it, bit 3: a valid sparse
 * HLL grown by PFADD instead, bit 5: PFDEBUG GETREG too), the rest is
 * the value's body and the elements PFADD adds.
 * Checks:
 *  - no crash, leak or undefined behaviour (ASan, LeakSanitizer, UBSan),
 *    above all no read or write outside a corrupt sparse string;
 *  - every command writes exactly one well-formed RESP value;
 *  - the readers agree on corruption: hll_count flags it exactly when
 *    hll_merge and hll_to_dense refuse the string;
 *  - a value PFADD accepted stays a valid HLL (header, dense size), and
 *    a valid one stays countable. */
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/data/db.h"
#include "ringkv/data/hll.h"
#include "ringkv/data/keyspace.h"
#include "ringkv/data/object.h"
#include "ringkv/proto/reply.h"
#include "ringkv/proto/resp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

struct fuzz_env {
    struct keyspace *ks;
    struct config cfg;
    struct obuf out;
};

static void setup_once(void)
{
    static bool done;
    if (done) return;
    done = true;
    commands_setup();
    obj_types_setup();
}

/* Runs one command (split on spaces; "%v" stands for `val`) and checks
 * its reply is one RESP value. Returns whether it answered an error. */
static bool run(struct fuzz_env *e, const char *line, const char *val, size_t vlen)
{
    char buf[128];
    const char *argv[16];
    size_t lens[16];
    int argc = 0;
    strcpy(buf, line);
    for (char *tok = strtok(buf, " "); tok && argc < 16; tok = strtok(NULL, " ")) {
        bool is_val = strcmp(tok, "%v") == 0;
        argv[argc] = is_val ? val : tok;
        lens[argc++] = is_val ? vlen : strlen(tok);
    }
    const struct cmd_def *cmd = cmd_lookup(argv[0], lens[0]);
    CHECK(cmd && cmd_arity_ok(cmd, argc));
    struct reply r;
    e->out.len = 0;
    reply_init(&r, &e->out, 2);
    struct cmd_ctx c = {.ks = e->ks, .db = ks_db(e->ks, 0), .cfg = &e->cfg, .nshards = 1, .r = &r};
    struct cmd_args a = {argc, argv, lens};
    cmd->fn(&c, &a);
    CHECK(e->out.len > 0 && resp_value_span(e->out.data, e->out.len) == e->out.len);
    return e->out.data[0] == '-';
}

/* The value of key as bytes (a string record), or NULL. */
static const uint8_t *value_of(struct fuzz_env *e, const char *key, size_t *len, char *nbuf)
{
    struct kv *kv = db_peek(ks_db(e->ks, 0), key, strlen(key));
    if (!kv || kv->type != OBJ_STRING) return NULL;
    return (const uint8_t *)kv_string(kv, nbuf, len);
}

/* hll_count, hll_merge and hll_to_dense must agree on a valid header. */
static void check_readers_agree(const uint8_t *s, size_t len)
{
    if (!hll_valid(s, len)) return;
    bool invalid = false;
    hll_count(s, len, &invalid);
    uint8_t *max = rk_calloc(HLL_REGISTERS, 1);
    bool merged = hll_merge(max, s, len);
    rk_free(max);
    struct rstr *copy = rk_malloc(sizeof(*copy) + len);
    copy->len = copy->cap = len;
    memcpy(copy->data, s, len);
    bool dense = hll_to_dense(&copy);
    rk_free(copy);
    CHECK(merged == !invalid && dense == !invalid);
}

/* The value under test, as byte 1 says. */
static uint8_t *make_value(const uint8_t *body, size_t n, uint8_t how, size_t *len)
{
    size_t head = (how & 1) ? 5 : 0;
    size_t total = (how & 4) ? HLL_DENSE_SIZE - (how & 16 ? 1 : 0) : head + n;
    if (total < head) total = head;
    uint8_t *v = rk_calloc(total ? total : 1, 1);
    if (head) {
        memcpy(v, "HYLL", 4);
        v[4] = (how & 2) ? HLL_DENSE : HLL_SPARSE;
    }
    for (size_t i = head; i < total && n; i++) v[i] = body[(i - head) % n];
    *len = total;
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    setup_once();
    struct fuzz_env e;
    config_init(&e.cfg);
    e.cfg.hll_sparse_max_bytes = (long long)data[0] * 12; /* 0..3060: the default 3000 in reach */
    e.ks = ks_create(1, 1);
    obuf_init(&e.out);
    uint8_t how = data[1];
    size_t vlen;
    uint8_t *val = make_value(data + 2, size - 2, how, &vlen);
    check_readers_agree(val, vlen);
    char nbuf[RK_LONG_STR_SIZE];

    if (how & 8) run(&e, "PFADD h a b c d e f g h i j", NULL, 0);
    else run(&e, "SET h %v", (const char *)val, vlen);
    /* Elements from the input: PFADD may grow, split or promote. */
    for (size_t off = 2; off + 4 <= size && off < 2 + 64; off += 4) {
        size_t len;
        bool err = run(&e, "PFADD h %v", (const char *)data + off, 4);
        const uint8_t *s = value_of(&e, "h", &len, nbuf);
        if (!err) CHECK(s && hll_valid(s, len));
    }
    size_t hlen;
    const uint8_t *h = value_of(&e, "h", &hlen, nbuf);
    if (h) check_readers_agree(h, hlen);
    run(&e, "PFCOUNT h", NULL, 0);
    run(&e, "PFCOUNT h", NULL, 0); /* the cache, when the first one set it */
    run(&e, "PFADD g x y z", NULL, 0);
    run(&e, "PFCOUNT h g nosuch", NULL, 0);
    run(&e, "PFMERGE g h", NULL, 0);
    run(&e, "PFMERGE m h g", NULL, 0);
    run(&e, "PFDEBUG DECODE h", NULL, 0);
    run(&e, "PFDEBUG ENCODING h", NULL, 0);
    if (how & 32) run(&e, "PFDEBUG GETREG h", NULL, 0); /* a 16384-integer reply: now and then */
    run(&e, "PFDEBUG TODENSE h", NULL, 0);
    run(&e, "PFCOUNT h", NULL, 0);
    /* Whatever PFMERGE wrote is a valid, countable HLL. */
    size_t len;
    const uint8_t *m = value_of(&e, "m", &len, nbuf);
    if (m) {
        bool invalid = false;
        CHECK(hll_valid(m, len));
        hll_count(m, len, &invalid);
        CHECK(!invalid);
    }

    rk_free(val);
    obuf_free(&e.out);
    ks_destroy(e.ks);
    config_free(&e.cfg);
    return 0;
}
