/* cmd_tracking.h — CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO:
 * the handlers, which parse the arguments and ask the client (host.h);
 * their table rows are in cmd_conn.c with the other CLIENT subcommands. */
#ifndef RINGKV_CMD_TRACKING_H
#define RINGKV_CMD_TRACKING_H

struct cmd_ctx;
struct cmd_args;

void client_tracking_command(struct cmd_ctx *c, const struct cmd_args *a);
void client_caching_command(struct cmd_ctx *c, const struct cmd_args *a);
void client_getredir_command(struct cmd_ctx *c, const struct cmd_args *a);
void client_trackinginfo_command(struct cmd_ctx *c, const struct cmd_args *a);

#endif
