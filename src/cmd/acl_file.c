/* acl_file.c — the ACL registry and the configuration: users from `user`
 * lines or the `aclfile` at startup, ACL LOAD and ACL SAVE, and the
 * directives that change ACL state at runtime (requirepass, acllog-max-len,
 * acl-pubsub-default).
 * Thread: main at startup; the shard running the command later.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/proto/reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Splits text into lines (in place); returns them (free the array). */
static char **split_lines(char *text, int *n)
{
    int cap = 16;
    char **lines = rk_malloc((size_t)cap * sizeof(char *));
    *n = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r') p[len - 1] = 0;
        if (*n == cap) lines = rk_realloc(lines, (size_t)(cap *= 2) * sizeof(char *));
        lines[(*n)++] = p;
        p = nl ? nl + 1 : NULL;
    }
    return lines;
}

static bool load_text(char *text, const char *origin, bool reset_default, char *err, size_t errcap)
{
    int n;
    char **lines = split_lines(text, &n);
    bool ok = acl_registry_load(lines, n, origin, reset_default, err, errcap);
    rk_free(lines);
    return ok;
}

bool acl_file_load(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return false;
    }
    struct obuf text;
    obuf_init(&text);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof(buf), f)) > 0) obuf_append(&text, buf, got);
    bool read_ok = !ferror(f);
    fclose(f);
    obuf_append(&text, "", 1);
    bool ok = read_ok ? load_text(text.data, path, true, err, errcap) : false;
    if (!read_ok) snprintf(err, errcap, "Error loading ACLs, reading file '%s'", path);
    obuf_free(&text);
    return ok;
}

/* Written next to the file, then renamed over it, as Redis does. */
bool acl_file_save(const char *path)
{
    size_t n;
    struct acl_user **users = acl_registry_list(&n);
    struct obuf out;
    obuf_init(&out);
    for (size_t i = 0; i < n; i++) {
        acl_user_describe(users[i], &out);
        obuf_append(&out, "\n", 1);
    }
    acl_registry_list_free(users, n);
    size_t plen = strlen(path);
    char *tmp = rk_malloc(plen + 32);
    snprintf(tmp, plen + 32, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    bool ok = f && fwrite(out.data ? out.data : "", 1, out.len, f) == out.len;
    if (f) {
        ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok;
    }
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) unlink(tmp);
    rk_free(tmp);
    obuf_free(&out);
    return ok;
}

bool acl_configure(const struct config *cfg, char *err, size_t errcap)
{
    acl_registry_setup();
    acl_set_pubsub_default(cfg->acl_pubsub_default == 0);
    acl_log_set_max_len(cfg->acllog_max_len);
    if (cfg->requirepass && *cfg->requirepass) acl_registry_set_requirepass(cfg->requirepass);
    bool has_file = cfg->aclfile && *cfg->aclfile;
    if (has_file && cfg->acl_users) {
        snprintf(err, errcap,
                 "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is "
                 "invalid. This setup is very likely to lead to configuration errors and security holes, please "
                 "define either an ACL file or declare users directly in your redis.conf, but not both.");
        return false;
    }
    if (cfg->acl_users) {
        char *text = rk_strndup(cfg->acl_users, strlen(cfg->acl_users));
        bool ok = load_text(text, "config", false, err, errcap);
        rk_free(text);
        return ok;
    }
    return has_file ? acl_file_load(cfg->aclfile, err, errcap) : true;
}

void acl_config_changed(const struct config *was, const struct config *now)
{
    const char *a = was->requirepass ? was->requirepass : "", *b = now->requirepass ? now->requirepass : "";
    if (strcmp(a, b) != 0) acl_registry_set_requirepass(b);
    if (was->acllog_max_len != now->acllog_max_len) acl_log_set_max_len(now->acllog_max_len);
    if (was->acl_pubsub_default != now->acl_pubsub_default) acl_set_pubsub_default(now->acl_pubsub_default == 0);
}
