/* test_str_refs.c — distinct members of a list of byte strings. */
#include "ringkv/base/str_refs.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(str_refs, drops_repeats_keeps_each_distinct_once)
{
    struct str_refs r = {0};
    const char *names[] = {"b", "a", "ab", "b", "", "a\0x", "a", "", "ab"};
    size_t lens[] = {1, 1, 2, 1, 0, 3, 1, 0, 2};
    for (size_t i = 0; i < 9; i++) str_refs_push(&r, names[i], lens[i]);
    cr_assert_eq(str_refs_unique(&r), 5); /* "", "a", "b", "ab", "a\0x" */
    for (size_t i = 0; i + 1 < r.n; i++)
        cr_expect(r.v[i].len < r.v[i + 1].len ||
                  (r.v[i].len == r.v[i + 1].len && memcmp(r.v[i].s, r.v[i + 1].s, r.v[i].len) < 0));
    str_refs_free(&r);
    cr_expect_eq(r.n, 0);
}

Test(str_refs, many_names_from_several_lists)
{
    static char buf[3][20000][8];
    struct str_refs r = {0};
    for (int part = 0; part < 3; part++)
        for (int i = 0; i < 20000; i++) {
            int len = snprintf(buf[part][i], 8, "c%d", (i + part * 10000) % 30000);
            str_refs_push(&r, buf[part][i], (size_t)len);
        }
    cr_expect_eq(str_refs_unique(&r), 30000);
    str_refs_free(&r);
}
