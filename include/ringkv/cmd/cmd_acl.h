/* cmd_acl.h — what the connection commands (AUTH, HELLO, CLIENT KILL
 * USER) share with the ACL command (cmd_acl.c).
 * Thread: the shard running the command.
 */
#ifndef RINGKV_CMD_ACL_H
#define RINGKV_CMD_ACL_H

#include "ringkv/cmd/acl.h"
#include "ringkv/cmd/commands.h"

/* AUTH and HELLO AUTH: authenticates the calling client (CMD_CONN) as user
 * when the password fits and the user is on; otherwise logs the failure in
 * ACL LOG (object: the command's name as sent) and returns false. */
bool acl_auth_client(struct cmd_ctx *c, const struct cmd_args *a, const char *user, size_t ulen, const char *pass,
                     size_t plen);
/* Logs a denial for the calling client of any command run (scripts). */
void acl_log_for(struct cmd_ctx *c, enum acl_denied why, enum acl_log_ctx ctx, const char *object, size_t olen,
                 const struct acl_user *u);

/* Internal: a queued command EXEC found denied; argv[1] is its error. */
extern const struct cmd_def acl_denied_command;

#endif
