/* commands.c — joins the per-module command tables and answers lookups.
 * commands_setup() runs once before shards start; afterwards everything
 * here is read-only and safe from any thread. */
#include "ringkv/cmd/commands.h"
#include "ringkv/base/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every module's part of the table. Add a module's array here. */
static const struct cmd_def *const parts[] = {
    command_commands,
    server_commands,
    acl_commands,
    conn_commands,
    string_commands,
    bitops_commands,
    hll_commands,
    keys_commands,
    dump_commands,
    persist_commands,
    slowlog_commands,
    latency_commands,
    cluster_commands,
    info_commands,
    expire_commands,
    set_commands,
    list_commands,
    zset_commands,
    zsetops_commands,
    zset_pop_commands,
    sort_commands,
    geo_commands,
    geosearch_commands,
    hash_commands,
    memory_commands,
    function_commands,
    script_commands,
    multi_commands,
    pubsub_commands,
    stream_commands,
    xread_commands,
    xreadgroup_commands,
    xinfo_commands,
    xgroup_commands,
    xclaim_commands,
    debug_commands,
};

#define CMD_SLOTS 1024 /* power of two, comfortably above the command count */
static const struct cmd_def *by_name[CMD_SLOTS];
static const struct cmd_def *all[CMD_SLOTS];
static size_t ncommands;

/* Numbering for per-command counters: commands and subcommands. */
#define IDX_SLOTS 4096 /* power of two, at least twice the numbered count */
static struct {
    const struct cmd_def *cmd;
    uint32_t idx;
} by_ptr[IDX_SLOTS];
static const struct cmd_def *numbered[IDX_SLOTS / 2];
static size_t nnumbered;

static size_t ptr_slot(const struct cmd_def *cmd)
{
    return (size_t)(((uint64_t)(uintptr_t)cmd * 0x9E3779B97F4A7C15ull) >> 52) & (IDX_SLOTS - 1);
}

/* A variant (cmd_variant_fn) counts as its command: same index, and
 * cmd_by_index names the command. */
static void number_as(const struct cmd_def *cmd, uint32_t idx)
{
    size_t i = ptr_slot(cmd);
    while (by_ptr[i].cmd) i = (i + 1) & (IDX_SLOTS - 1);
    by_ptr[i].cmd = cmd;
    by_ptr[i].idx = idx;
}

static void number(const struct cmd_def *cmd)
{
    if (nnumbered == RK_ARRAY_LEN(numbered)) abort(); /* raise IDX_SLOTS */
    size_t i = ptr_slot(cmd);
    while (by_ptr[i].cmd) i = (i + 1) & (IDX_SLOTS - 1);
    by_ptr[i].cmd = cmd;
    by_ptr[i].idx = (uint32_t)nnumbered;
    numbered[nnumbered++] = cmd;
}

int cmd_index(const struct cmd_def *cmd)
{
    for (size_t i = ptr_slot(cmd);; i = (i + 1) & (IDX_SLOTS - 1)) {
        if (by_ptr[i].cmd == cmd) return (int)by_ptr[i].idx;
        if (!by_ptr[i].cmd) return -1;
    }
}

size_t cmd_index_count(void) { return nnumbered; }
const struct cmd_def *cmd_by_index(size_t i) { return i < nnumbered ? numbered[i] : NULL; }

static uint64_t name_hash(const char *name, size_t len) { return hash_bytes_nocase(name, len); }

void commands_setup(void)
{
    if (ncommands) return;
    for (size_t p = 0; p < RK_ARRAY_LEN(parts); p++) {
        for (const struct cmd_def *c = parts[p]; c->name; c++) {
            size_t len = strlen(c->name);
            uint64_t i = name_hash(c->name, len);
            while (by_name[i & (CMD_SLOTS - 1)]) i++;
            by_name[i & (CMD_SLOTS - 1)] = c;
            all[ncommands++] = c;
            number(c);
            for (const struct cmd_def *sub = c->subcommands; sub && sub->name; sub++) number(sub);
            for (const struct cmd_def *v = c->variants; v && v->name; v++) number_as(v, (uint32_t)cmd_index(c));
        }
    }
}

const struct cmd_def *cmd_lookup(const char *name, size_t len)
{
    if (len == 0 || len > 64) return NULL;
    for (uint64_t i = name_hash(name, len);; i++) {
        const struct cmd_def *c = by_name[i & (CMD_SLOTS - 1)];
        if (!c) return NULL;
        if (strlen(c->name) == len && strncasecmp(c->name, name, len) == 0) return c;
    }
}

const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, const char *name, size_t len)
{
    for (const struct cmd_def *c = parent->subcommands; c && c->name; c++) {
        const char *bar = strchr(c->name, '|');
        const char *sub = bar ? bar + 1 : c->name;
        if (strlen(sub) == len && strncasecmp(sub, name, len) == 0) return c;
    }
    return NULL;
}

bool cmd_arity_ok(const struct cmd_def *cmd, int argc)
{
    return cmd->arity >= 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

void cmd_fullname(const struct cmd_def *cmd, const struct cmd_def *parent, char *out, size_t cap)
{
    (void)parent;
    snprintf(out, cap, "%s", cmd->name);
}

int cmd_key_positions(const struct cmd_def *cmd, const struct cmd_args *a, int *pos, int max)
{
    if (cmd->getkeys) return cmd->getkeys(a, pos, max);
    if (cmd->first_key <= 0) return 0;
    int last = cmd->last_key < 0 ? a->argc + cmd->last_key : cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    /* An incomplete key group (MSET k v k): no keys, the handler will
     * report the arity error where the command runs. */
    if (cmd->last_key < 0 && (a->argc - cmd->first_key) % step != 0) return 0;
    int n = 0;
    for (int i = cmd->first_key; i <= last && i < a->argc && n < max; i += step) pos[n++] = i;
    return n;
}

const struct cmd_def *cmd_lookup_fullname(const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    if (!bar) return cmd_lookup(name, len);
    const struct cmd_def *parent = cmd_lookup(name, (size_t)(bar - name));
    return parent ? cmd_lookup_sub(parent, bar + 1, len - (size_t)(bar + 1 - name)) : NULL;
}

size_t cmd_count(void) { return ncommands; }
const struct cmd_def *cmd_at(size_t i) { return i < ncommands ? all[i] : NULL; }

bool arg_ll_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long *out, const char *err)
{
    if (string2ll(a->argv[i], a->len[i], out)) return true;
    reply_error(c->r, err ? err : RK_ERR_NOT_INT);
    return false;
}
