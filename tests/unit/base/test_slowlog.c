/* The slow log's ring (src/base/slowlog.c): newest first, at most max_len
 * entries (shrinking and growing with the setting), Redis's trimming of
 * long commands, pruning by id, reset. */
#include <criterion/criterion.h>
#include "ringkv/base/slowlog.h"
#include "ringkv/proto/reply.h"

#include <stdio.h>
#include <string.h>

static void add(struct slowlog *sl, size_t max, uint64_t id)
{
    char arg[32];
    int n = snprintf(arg, sizeof arg, "cmd%llu", (unsigned long long)id);
    const char *argv[] = {arg};
    size_t lens[] = {(size_t)n};
    slowlog_add(sl, max, id, 1700000000, (long long)id * 10, 1, argv, lens, "127.0.0.1:1", "name");
}

/* The ids slowlog_reply lists, in its order. */
static int reply_ids(const struct slowlog *sl, long long count, uint64_t *ids, int cap)
{
    struct obuf out;
    obuf_init(&out);
    struct reply r;
    reply_init(&r, &out, 2);
    slowlog_reply(sl, count, &r);
    obuf_append(&out, "", 1); /* a C string to search */
    int n = 0;
    /* Each entry starts "*6\r\n:<id>\r\n". */
    for (const char *p = out.data; (p = strstr(p, "*6\r\n:")) != NULL && n < cap; p += 5)
        ids[n++] = strtoull(p + 5, NULL, 10);
    obuf_free(&out);
    return n;
}

Test(slowlog, newest_first_within_max_len)
{
    struct slowlog sl;
    slowlog_init(&sl);
    for (uint64_t id = 1; id <= 20; id++) add(&sl, 5, id);
    cr_assert_eq(slowlog_len(&sl), 5);
    uint64_t ids[32];
    int n = reply_ids(&sl, -1, ids, 32);
    cr_assert_eq(n, 5);
    for (int i = 0; i < n; i++) cr_assert_eq(ids[i], 20 - (uint64_t)i);
    cr_assert_eq(reply_ids(&sl, 2, ids, 32), 2);
    cr_assert_eq(ids[0], 20);
    cr_assert_eq(reply_ids(&sl, 0, ids, 32), 0);
    slowlog_free(&sl);
}

Test(slowlog, max_len_changes_keep_the_newest)
{
    struct slowlog sl;
    slowlog_init(&sl);
    for (uint64_t id = 1; id <= 10; id++) add(&sl, 10, id);
    add(&sl, 3, 11); /* shrinks: 9, 10, 11 stay */
    uint64_t ids[32];
    cr_assert_eq(reply_ids(&sl, -1, ids, 32), 3);
    cr_assert(ids[0] == 11 && ids[1] == 10 && ids[2] == 9);
    add(&sl, 6, 12); /* grows: nothing lost */
    cr_assert_eq(reply_ids(&sl, -1, ids, 32), 4);
    cr_assert(ids[0] == 12 && ids[3] == 9);
    add(&sl, 0, 13); /* 0: none kept */
    cr_assert_eq(slowlog_len(&sl), 0);
    slowlog_free(&sl);
}

Test(slowlog, prune_and_reset)
{
    struct slowlog sl;
    slowlog_init(&sl);
    for (uint64_t id = 1; id <= 8; id++) add(&sl, 16, id);
    slowlog_prune(&sl, 6); /* ids below 6 go */
    uint64_t ids[32];
    cr_assert_eq(reply_ids(&sl, -1, ids, 32), 3);
    cr_assert(ids[0] == 8 && ids[2] == 6);
    slowlog_reset(&sl);
    cr_assert_eq(slowlog_len(&sl), 0);
    add(&sl, 16, 9);
    cr_assert_eq(reply_ids(&sl, -1, ids, 32), 1);
    slowlog_free(&sl);
}

/* At most 32 arguments, the last saying how many more; at most 128 bytes
 * of each, the rest counted. */
Test(slowlog, long_commands_are_trimmed)
{
    struct slowlog sl;
    slowlog_init(&sl);
    const char *argv[40];
    size_t lens[40];
    char big[300];
    memset(big, 'A', sizeof big);
    for (int i = 0; i < 40; i++) {
        argv[i] = i == 1 ? big : "x";
        lens[i] = i == 1 ? sizeof big : 1;
    }
    slowlog_add(&sl, 4, 1, 0, 0, 40, argv, lens, "", "");
    const struct slowlog_entry *e = &sl.entries[0];
    cr_assert_eq(e->argc, 32);
    cr_assert_str_eq(e->argv[31], "... (9 more arguments)");
    cr_assert_eq(e->lens[1], 128 + strlen("... (172 more bytes)"));
    cr_assert(memcmp(e->argv[1] + 128, "... (172 more bytes)", 20) == 0);
    slowlog_free(&sl);
}
