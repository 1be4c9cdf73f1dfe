/* fuzz_acl.c — libFuzzer target for the ACL rule parser (acl_user.c,
 * acl_describe.c) and the check (acl_check.c). The input is a rule line as
 * ACL SETUSER or an aclfile gives it: split as Redis splits it, selectors
 * joined, applied rule by rule to a new user (a bad rule is skipped). Then:
 * the user's description, applied to a fresh user, must describe the same
 * (what ACL SAVE writes, ACL LOAD reads back identically), a copy must
 * describe the same, and a few calls are checked against it. Checks: no
 * crash, leak or undefined behaviour (ASan, UBSan), and the round trip. */
#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/proto/reply.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) abort();                                                \
    } while (0)

/* *clean: every rule applied without an error. */
static struct acl_user *apply_line(const char *line, size_t len, bool *clean)
{
    struct acl_user *u = acl_user_create("fuzz", 4);
    int argc, n, bad;
    size_t *lens, *mlens;
    *clean = false;
    char **argv = acl_split_args(line, len, &argc, &lens);
    if (!argv) return u;
    char **ops = acl_merge_selectors(argv, lens, argc, &n, &mlens, &bad);
    if (ops) {
        *clean = true;
        for (int i = 0; i < n; i++) *clean &= acl_user_set(u, ops[i], mlens[i]) == ACL_SET_OK;
        acl_free_args(ops, mlens, n);
    }
    acl_free_args(argv, lens, argc);
    acl_user_seal(u);
    return u;
}

/* "%RW~*" is a pattern "*", written "~*", which reads back as allkeys. */
static bool star_pattern(const struct acl_user *u)
{
    for (uint32_t i = 0; i < u->nsel; i++)
        for (uint32_t k = 0; k < u->sel[i].nkeys; k++)
            if (u->sel[i].keys[k].len == 1 && u->sel[i].keys[k].pat[0] == '*') return true;
    return false;
}

/* The rules part of the description: after "user fuzz ". */
static void describe(const struct acl_user *u, struct obuf *out)
{
    acl_user_describe(u, out);
    obuf_append(out, "", 1);
}

static void check_calls(const struct acl_user *u)
{
    static const char *const calls[][4] = {
        {"get", "k", NULL}, {"set", "k", "v", "get"}, {"publish", "ch", "m", NULL},
        {"psubscribe", "p*", NULL}, {"config", "get", "x", NULL}, {"select", "0", NULL},
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        const char *argv[4];
        size_t lens[4];
        int argc = 0;
        for (; argc < 4 && calls[i][argc]; argc++) {
            argv[argc] = calls[i][argc];
            lens[argc] = strlen(calls[i][argc]);
        }
        struct cmd_args a = {argc, argv, lens};
        const struct cmd_def *cmd = cmd_lookup(argv[0], lens[0]);
        if (cmd->subcommands) cmd = cmd_lookup_sub(cmd, argv[1], lens[1]);
        int pos = 0;
        enum acl_denied d = acl_check(u, cmd, &a, &pos);
        CHECK(d == ACL_OK || (pos >= 0 && pos < argc));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    commands_setup();
    bool clean;
    struct acl_user *u = apply_line((const char *)data, size, &clean);
    struct obuf d1, d2, d3;
    obuf_init(&d1);
    obuf_init(&d2);
    obuf_init(&d3);
    describe(u, &d1);
    /* Some descriptions do not read back, in Redis as here: a quoted rule
     * may hold spaces or quotes (+select|"0 1"), written as is; "%RW~*" is
     * written "~*", which reads back as allkeys. Any other line whose
     * description reads back without an error must describe the same. */
    bool odd = memchr(data, '"', size) || memchr(data, '\'', size) || star_pattern(u);
    const char *rules = d1.data + strlen("user fuzz ");
    struct acl_user *back = apply_line(rules, strlen(rules), &clean);
    describe(back, &d2);
    CHECK(odd || !clean || strcmp(d1.data, d2.data) == 0);
    struct acl_user *copy = acl_user_copy(u);
    describe(copy, &d3);
    CHECK(strcmp(d1.data, d3.data) == 0);
    CHECK(copy->unrestricted == u->unrestricted);
    check_calls(u);
    acl_user_unref(copy);
    acl_user_unref(back);
    acl_user_unref(u);
    obuf_free(&d1);
    obuf_free(&d2);
    obuf_free(&d3);
    return 0;
}
