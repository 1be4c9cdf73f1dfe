/* Tests for notify.c: notify-keyspace-events letters both ways, as
 * redis-server 7.0.15 answers CONFIG SET / CONFIG GET for them. */
#include <criterion/criterion.h>
#include "ringkv/base/notify.h"

#include <string.h>

static long long parse(const char *s) { return notify_flags_parse(s, strlen(s)); }

static void shows(const char *in, const char *want)
{
    char out[32];
    long long f = parse(in);
    cr_assert_geq(f, 0, "%s did not parse", in);
    notify_flags_format(f, out);
    cr_assert_str_eq(out, want, "CONFIG SET %s", in);
}

Test(notify, letters_name_redis_bits)
{
    cr_assert_eq(parse(""), 0);
    cr_assert_eq(parse("K"), NOTIFY_KEYSPACE);
    cr_assert_eq(parse("E"), NOTIFY_KEYEVENT);
    cr_assert_eq(parse("g$lshz"), NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET);
    cr_assert_eq(parse("xetdmn"), NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE | NOTIFY_KEY_MISS | NOTIFY_NEW);
    cr_assert_eq(parse("A"), NOTIFY_ALL);
    cr_assert_eq(parse("AA"), NOTIFY_ALL);
    cr_assert_eq(NOTIFY_ALL & (NOTIFY_KEY_MISS | NOTIFY_NEW | NOTIFY_KEYSPACE | NOTIFY_KEYEVENT), 0);
}

Test(notify, unknown_letters_are_refused)
{
    cr_assert_eq(parse("KEQ"), -1);
    cr_assert_eq(parse("a"), -1); /* case matters */
    cr_assert_eq(notify_flags_parse("K\0E", 3), -1);
}

Test(notify, formats_as_config_get)
{
    shows("KEA", "AKE");
    shows("Ex", "xE");
    shows("g$lshzxetKE", "g$lshzxetKE"); /* A needs d too */
    shows("AKEmn", "AKEm");              /* Redis drops n after A */
    shows("Kn", "nK");
    shows("xK", "xK");
    shows("mEK", "KEm");
    shows("", "");
}
