/* test_server.c — server commands redis-diff found missing or different:
 * LASTSAVE. Every expectation holds on redis-server 7.0.15
 * (RINGKV_TEST_REDIS=1). */
#include "harness.h"

#include <stdlib.h>

TestSuite(server, .timeout = 60);

static long long int_reply(redisContext *c, const char *cmd)
{
    redisReply *r = ts_cmd(c, cmd);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s", cmd);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Before any save, the data counts as saved when the server started. */
TS_TEST(server, lastsave_is_the_start_time)
{
    redisContext *c = ts_connect(g_server);
    redisReply *t = ts_cmd(c, "TIME");
    cr_assert(t->type == REDIS_REPLY_ARRAY && t->elements == 2);
    long long now = atoll(t->element[0]->str);
    freeReplyObject(t);
    long long last = int_reply(c, "LASTSAVE");
    cr_expect(last <= now && last >= now - 30, "LASTSAVE %lld, TIME %lld", last, now);
    ts_sleep_ms(1100);
    cr_expect_eq(int_reply(c, "LASTSAVE"), last);
    ts_assert_error(ts_cmd(c, "LASTSAVE x"), "ERR wrong number of arguments for 'lastsave' command");
    redisFree(c);
}
