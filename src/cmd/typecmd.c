/* typecmd.c — helpers for collection command modules; see typecmd.h.
 * Handlers' helpers run on the shard running the command. */
#include "ringkv/cmd/typecmd.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/base/alloc.h"
#include "ringkv/data/db.h"
#include "ringkv/base/glob.h"
#include "ringkv/base/numfmt.h"
#include "ringkv/base/util.h"

#include <limits.h>
#include <math.h>
#include <string.h>

static struct kv *check_type(struct cmd_ctx *c, struct kv *kv, enum obj_type type, bool *err)
{
    *err = kv && kv->type != type;
    if (*err) {
        reply_error(c->r, RK_ERR_WRONGTYPE);
        return NULL;
    }
    return kv;
}

struct kv *tc_lookup_read(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err)
{
    return check_type(c, db_lookup(c->db, key, len), type, err);
}

struct kv *tc_lookup_write(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err)
{
    return check_type(c, db_lookup_write(c->db, key, len), type, err);
}

struct kv *tc_lookup_store_source(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err)
{
    return check_type(c, db_lookup_store_source(c->db, key, len), type, err);
}

struct kv *tc_lookup_source(struct cmd_ctx *c, const char *key, size_t len, enum obj_type type, bool *err)
{
    if (c->serving) {
        *err = false;
        if (c->served_key && (len != c->served_len || memcmp(key, c->served_key, len) != 0)) return NULL;
        struct kv *kv = db_lookup_write(c->db, key, len);
        return kv && kv->type == type ? kv : NULL;
    }
    return tc_lookup_write(c, key, len, type, err);
}

void tc_delete_emptied(struct cmd_ctx *c, struct kv *kv, const char *key, size_t klen)
{
    db_delete_kv(c->db, kv);
    notify_key(c, NOTIFY_GENERIC, "del", key, klen);
}

void tc_store_nothing(struct cmd_ctx *c, const char *key, size_t klen)
{
    if (db_delete(c->db, key, klen)) notify_key(c, NOTIFY_GENERIC, "del", key, klen);
    reply_int(c->r, 0);
}

void tc_store_result(struct cmd_ctx *c, const char *key, size_t klen, struct kv *result, size_t n, long long type,
                     const char *event)
{
    if (!n) {
        kv_free(result);
        tc_store_nothing(c, key, klen);
        return;
    }
    struct kv *kv = kv_new_object(key, klen, result->type, result->enc, result->v.ptr);
    kv_free_shell(result);
    db_set(c->db, kv, false);
    notify_key(c, type, event, key, klen);
    reply_int(c->r, (long long)n);
}

struct kv *tc_lookup_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, enum obj_type type,
                              bool write, tc_missing_fn missing)
{
    bool err;
    struct kv *kv = write ? tc_lookup_write(c, a->argv[i], a->len[i], type, &err)
                          : tc_lookup_read(c, a->argv[i], a->len[i], type, &err);
    if (!kv && !err) missing(c->r);
    return kv;
}

void tc_reply_zero(struct reply *r) { reply_int(r, 0); }
void tc_reply_empty_array(struct reply *r) { reply_array(r, 0); }
void tc_reply_empty_map(struct reply *r) { reply_map(r, 0); }

bool tc_range_ll_or_reply(struct cmd_ctx *c, const char *s, size_t len, long long min, long long max,
                          const char *msg, long long *out)
{
    if (!string2ll(s, len, out)) {
        if (msg) reply_errorf(c->r, "ERR %s", msg);
        else reply_error(c->r, RK_ERR_NOT_INT);
        return false;
    }
    if (*out < min || *out > max) {
        if (msg) reply_errorf(c->r, "ERR %s", msg);
        else reply_errorf(c->r, "ERR value is out of range, value must between %lld and %lld", min, max);
        return false;
    }
    return true;
}

bool tc_positive_ll_or_reply(struct cmd_ctx *c, const char *s, size_t len, const char *msg, long long *out)
{
    return tc_range_ll_or_reply(c, s, len, 0, LLONG_MAX, msg ? msg : "value is out of range, must be positive", out);
}

static bool is_c_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* strtoul's grammar: optional sign, digits, stopping at the first other
 * byte, which Redis then requires to be the string's end (a NUL counts). */
bool scan_cursor_or_reply(struct cmd_ctx *c, const char *s, size_t len, uint64_t *cursor)
{
    if (scan_cursor_parse(s, len, cursor)) return true;
    reply_error(c->r, "ERR invalid cursor");
    return false;
}

bool scan_cursor_parse(const char *s, size_t len, uint64_t *cursor)
{
    size_t i = 0;
    bool neg = false, overflow = false;
    if (len && is_c_space(s[0])) goto invalid;
    if (i < len && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    size_t digits_at = i;
    uint64_t v = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) overflow = true;
        else v = v * 10 + d;
    }
    if (i == digits_at) {
        /* No digits: strtoul points back at the start. */
        if (len == 0 || s[0] == '\0') {
            *cursor = 0;
            return true;
        }
        goto invalid;
    }
    if ((i < len && s[i] != '\0') || overflow) goto invalid;
    *cursor = neg ? (uint64_t)0 - v : v;
    return true;
invalid:
    return false;
}

bool scan_opts_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int first, struct scan_opts *o)
{
    o->pat = NULL;
    o->plen = 0;
    o->use_pattern = false;
    o->count = 10;
    for (int i = first; i < a->argc; i += 2) {
        bool has_value = i + 1 < a->argc;
        if (has_value && arg_is(a, i, "count")) {
            long long n;
            if (!arg_ll_or_reply(c, a, i + 1, &n, NULL)) return false;
            if (n < 1) {
                reply_error(c->r, RK_ERR_SYNTAX);
                return false;
            }
            o->count = n > LONG_MAX ? LONG_MAX : (long)n;
        } else if (has_value && arg_is(a, i, "match")) {
            o->pat = a->argv[i + 1];
            o->plen = a->len[i + 1];
            o->use_pattern = !(o->plen == 1 && o->pat[0] == '*');
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

bool scan_matches(const struct scan_opts *o, const char *s, size_t len)
{
    return !o->use_pattern || glob_match(o->pat, o->plen, s, len, false);
}

struct kv *scan_key_or_reply(struct cmd_ctx *c, const struct cmd_args *a, enum obj_type type, uint64_t *cursor,
                             struct scan_opts *o)
{
    if (!scan_cursor_or_reply(c, a->argv[2], a->len[2], cursor)) return NULL;
    struct kv *kv = tc_lookup_or_reply(c, a, 1, type, false, scan_reply_empty);
    if (!kv || !scan_opts_or_reply(c, a, 3, o)) return NULL;
    return kv;
}

void scan_batch_push(struct scan_batch *b, const void *item)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = rk_realloc(b->items, b->cap * b->size);
    }
    memcpy((char *)b->items + b->n++ * b->size, item, b->size);
}

void scan_reply_cursor(struct reply *r, uint64_t cursor)
{
    char buf[RK_LONG_STR_SIZE];
    reply_array(r, 2);
    reply_bulk(r, buf, ull2string(buf, cursor));
}

void scan_reply_empty(struct reply *r)
{
    scan_reply_cursor(r, 0);
    reply_array(r, 0);
}

int tc_numkeys_positions(const struct cmd_args *a, int numkeys_at, int extra_at, int *pos, int max)
{
    long long n;
    if (numkeys_at >= a->argc || !string2ll(a->argv[numkeys_at], a->len[numkeys_at], &n)) return 0;
    if (n < 1 || n > a->argc - numkeys_at - 1) return 0;
    int count = 0;
    if (extra_at > 0 && count < max) pos[count++] = extra_at;
    for (int i = 0; i < n && count < max; i++) pos[count++] = numkeys_at + 1 + i;
    return count;
}

/* Redis 7.0's reading (timeout.c): milliseconds rounded up; beyond what a
 * long long holds, x86 turns the value negative, so Redis answers
 * "negative" for 1e400 or inf, and a sum past the end of time wraps the
 * same way. 1: not a number; 3: negative. */
static int timeout_parse(const char *str, size_t len, long long now, long long *deadline_ms)
{
    long double secs;
    if (!string2ld(str, len, &secs)) return 1;
    long double ms = ceill(secs * 1000.0L);
    if (!(ms < 9223372036854775808.0L) || ms < 0) return 3;
    long long t = (long long)ms;
    if (t > 0 && t > LLONG_MAX - now) return 3;
    *deadline_ms = t > 0 ? now + t : 0;
    return 0;
}

bool tc_timeout_or_reply(struct cmd_ctx *c, const struct cmd_args *a, int i, long long *deadline_ms)
{
    static const char *const errors[] = {NULL, "ERR timeout is not a float or out of range", NULL,
                                         "ERR timeout is negative"};
    int e = timeout_parse(a->argv[i], a->len[i], db_now_ms(), deadline_ms);
    if (e) reply_error(c->r, errors[e]);
    return e == 0;
}

/* Milliseconds (XREAD BLOCK): 0, else the message of Redis's error. */
static const char *ms_timeout_parse(const char *str, size_t len, long long now, long long *deadline_ms)
{
    long long ms;
    if (!string2ll(str, len, &ms)) return "ERR timeout is not an integer or out of range";
    if (ms < 0) return "ERR timeout is negative";
    if (ms > 0 && ms > LLONG_MAX - now) return "ERR timeout is out of range";
    *deadline_ms = ms > 0 ? now + ms : 0;
    return NULL;
}

bool tc_ms_timeout_or_reply(struct cmd_ctx *c, const char *s, size_t len, long long *deadline_ms)
{
    const char *e = ms_timeout_parse(s, len, db_now_ms(), deadline_ms);
    if (e) reply_error(c->r, e);
    return e == NULL;
}

/* XREAD's and XREADGROUP's BLOCK argument, read as their option loop
 * reads it (the last BLOCK before STREAMS); 0 when there is none. */
static int stream_block_at(const struct cmd_args *a)
{
    int at = 0;
    for (int i = 1; i + 1 < a->argc; i++) {
        if (str_eq_nocase(a->argv[i], a->len[i], "streams")) break;
        if (str_eq_nocase(a->argv[i], a->len[i], "block")) at = ++i;
        else if (str_eq_nocase(a->argv[i], a->len[i], "count")) i++;
        else if (str_eq_nocase(a->argv[i], a->len[i], "group")) i += 2;
        else if (!str_eq_nocase(a->argv[i], a->len[i], "noack")) break;
    }
    return at;
}

bool tc_block_deadline(const struct cmd_def *cmd, const struct cmd_args *a, long long *deadline_ms)
{
    if (cmd->group && strcmp(cmd->group, "stream") == 0) {
        int at = stream_block_at(a);
        return at > 0 && ms_timeout_parse(a->argv[at], a->len[at], mstime(), deadline_ms) == NULL;
    }
    /* BLMPOP and BZMPOP put it first, the others last. */
    int at = cmd->getkeys ? 1 : a->argc - 1;
    return at >= 1 && at < a->argc && timeout_parse(a->argv[at], a->len[at], mstime(), deadline_ms) == 0;
}
