/* cmd_tracking.c — client-side caching commands; see cmd_tracking.h.
 * CMD_CONN: they run on the connection's shard. */
#include "ringkv/cmd/cmd_tracking.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/commands.h"
#include "ringkv/cmd/host.h"

#include <string.h>

/* Redis's option loop: a failed option answers at once, in order. */
static bool parse_options(struct cmd_ctx *c, const struct cmd_args *a, struct client_tracking_req *req,
                          const char **prefixes, size_t *lens)
{
    for (int j = 3; j < a->argc; j++) {
        bool more = j + 1 < a->argc;
        if (arg_is(a, j, "redirect") && more) {
            long long id;
            j++;
            if (req->redirect != 0) {
                reply_error(c->r, "ERR A client can only redirect to a single other client");
                return false;
            }
            if (!string2ll(a->argv[j], a->len[j], &id)) {
                reply_error(c->r, RK_ERR_NOT_INT);
                return false;
            }
            if (!host_client_exists(c->host, (uint64_t)id)) {
                reply_error(c->r, "ERR The client ID you want redirect to does not exist");
                return false;
            }
            req->redirect = (uint64_t)id;
        } else if (arg_is(a, j, "bcast")) {
            req->options |= CLIENT_TRACKING_BCAST;
        } else if (arg_is(a, j, "optin")) {
            req->options |= CLIENT_TRACKING_OPTIN;
        } else if (arg_is(a, j, "optout")) {
            req->options |= CLIENT_TRACKING_OPTOUT;
        } else if (arg_is(a, j, "noloop")) {
            req->options |= CLIENT_TRACKING_NOLOOP;
        } else if (arg_is(a, j, "prefix") && more) {
            j++;
            prefixes[req->nprefixes] = a->argv[j];
            lens[req->nprefixes++] = a->len[j];
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

static void tracking_on(struct cmd_ctx *c, const struct client_tracking_req *req)
{
    if (!(req->options & CLIENT_TRACKING_BCAST) && req->nprefixes) {
        reply_error(c->r, "ERR PREFIX option requires BCAST mode to be enabled");
        return;
    }
    char err[1024];
    if (!client_tracking_on(c->client, req, err + 4, sizeof err - 4)) {
        memcpy(err, "ERR ", 4);
        reply_error(c->r, err);
        return;
    }
    reply_ok(c->r);
}

void client_tracking_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    const char **prefixes = rk_malloc((size_t)a->argc * sizeof(*prefixes));
    size_t *lens = rk_malloc((size_t)a->argc * sizeof(*lens));
    struct client_tracking_req req = {.prefixes = prefixes, .prefix_lens = lens};
    if (!parse_options(c, a, &req, prefixes, lens)) {
        /* answered */
    } else if (arg_is(a, 2, "on")) {
        tracking_on(c, &req);
    } else if (arg_is(a, 2, "off")) {
        client_tracking_off(c->client);
        reply_ok(c->r);
    } else {
        reply_error(c->r, RK_ERR_SYNTAX);
    }
    rk_free(prefixes);
    rk_free(lens);
}

void client_caching_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    enum client_caching word = arg_is(a, 2, "yes") ? CLIENT_CACHING_YES
                             : arg_is(a, 2, "no")  ? CLIENT_CACHING_NO
                                                   : CLIENT_CACHING_BAD;
    const char *err = client_tracking_caching(c->client, word);
    if (err) reply_error(c->r, err);
    else reply_ok(c->r);
}

void client_getredir_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    reply_int(c->r, client_tracking_redirect(c->client));
}

void client_trackinginfo_command(struct cmd_ctx *c, const struct cmd_args *a) { client_tracking_info(c->client, c->r); }
