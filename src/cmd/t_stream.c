/* t_stream.c — the stream commands that add, read ranges, delete and
 * trim: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM and XSETID, with Redis 7.0's replies, errors and option rules (its
 * t_stream.c). XREAD is in t_xread.c, XINFO in t_xinfo.c. Thread: the
 * shard running the command.
 */
#include "ringkv/cmd/t_stream.h"
#include "ringkv/cmd/keyevent.h"
#include "ringkv/base/alloc.h"
#include "ringkv/base/config.h"
#include "ringkv/base/util.h"
#include "ringkv/cmd/typecmd.h"
#include "ringkv/data/db.h"
#include "ringkv/data/ready.h"
#include "ringkv/data/stream_cg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- IDs ---- */

/* Redis's string2ull: string2ll, else strtoull's laxer rules. */
static bool parse_ull(const char *s, unsigned long long *out)
{
    long long ll;
    if (string2ll(s, strlen(s), &ll)) {
        if (ll < 0) return false;
        *out = (unsigned long long)ll;
        return true;
    }
    errno = 0;
    char *end = NULL;
    *out = strtoull(s, &end, 10);
    return errno != EINVAL && errno != ERANGE && *s != '\0' && *end == '\0';
}

bool stream_parse_id(const char *s, size_t len, uint64_t missing_seq, bool strict, bool *seq_given,
                     struct stream_id *id)
{
    char buf[128];
    if (len > sizeof(buf) - 1) return false;
    memcpy(buf, s, len);
    buf[len] = '\0'; /* C-string rules from here on, as Redis's */
    if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') return false;
    if (seq_given) *seq_given = true;
    if (buf[0] == '-' && buf[1] == '\0') {
        *id = (struct stream_id){0, 0};
        return true;
    }
    if (buf[0] == '+' && buf[1] == '\0') {
        *id = (struct stream_id){UINT64_MAX, UINT64_MAX};
        return true;
    }
    unsigned long long ms, seq = missing_seq;
    char *dash = strchr(buf, '-');
    if (dash) *dash = '\0';
    if (!parse_ull(buf, &ms)) return false;
    if (dash) {
        if (seq_given && dash[1] == '*' && dash[2] == '\0') {
            seq = 0;
            *seq_given = false;
        } else if (!parse_ull(dash + 1, &seq)) {
            return false;
        }
    }
    *id = (struct stream_id){ms, seq};
    return true;
}

bool stream_strict_id_or_reply(struct cmd_ctx *c, const char *s, size_t len, struct stream_id *id)
{
    if (stream_parse_id(s, len, 0, true, NULL, id)) return true;
    reply_error(c->r, STREAM_ERR_ID);
    return false;
}

void stream_reply_id(struct reply *r, const struct stream_id *id)
{
    char buf[48];
    reply_bulk(r, buf, stream_id_format(id, buf));
}

static void reply_lpv(struct reply *r, const lp_value *v)
{
    if (v->str) reply_bulk(r, v->str, v->len);
    else reply_bulk_ll(r, v->ll);
}

/* [id, [field, value, ...]] of the entry the iterator just returned. */
static void reply_entry(struct reply *r, struct stream_iter *it, const struct stream_id *id, int64_t nfields)
{
    reply_array(r, 2);
    stream_reply_id(r, id);
    reply_array(r, nfields * 2);
    for (int64_t i = 0; i < nfields; i++) {
        lp_value f, v;
        stream_iter_field(it, &f, &v);
        reply_lpv(r, &f);
        reply_lpv(r, &v);
    }
}

size_t stream_reply_range_each(struct reply *r, const struct stream *s, const struct stream_id *start,
                               const struct stream_id *end, size_t count, bool rev,
                               void (*each)(void *arg, const struct stream_id *id), void *arg)
{
    size_t at = reply_defer(r), n = 0;
    struct stream_iter it;
    struct stream_id id;
    int64_t nf;
    stream_iter_init(&it, s, start, end, rev);
    while ((count == 0 || n < count) && stream_iter_next(&it, &id, &nf)) {
        reply_entry(r, &it, &id, nf);
        if (each) each(arg, &id);
        n++;
    }
    reply_defer_array(r, at, (long long)n);
    return n;
}

size_t stream_reply_range(struct reply *r, const struct stream *s, const struct stream_id *start,
                          const struct stream_id *end, size_t count, bool rev)
{
    return stream_reply_range_each(r, s, start, end, count, rev, NULL, NULL);
}

bool stream_reply_entry_at(struct reply *r, const struct stream *s, const struct stream_id *id)
{
    struct stream_iter it;
    struct stream_id got;
    int64_t nf;
    stream_iter_init(&it, s, id, id, false);
    if (!stream_iter_next(&it, &got, &nf)) return false;
    reply_entry(r, &it, &got, nf);
    return true;
}

void stream_reply_edge(struct reply *r, const struct stream *s, bool last)
{
    struct stream_iter it;
    struct stream_id lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX}, id;
    int64_t nf;
    stream_iter_init(&it, s, &lo, &hi, last);
    if (stream_iter_next(&it, &id, &nf)) reply_entry(r, &it, &id, nf);
    else reply_null(r);
}

static struct stream_limits node_limits(const struct cmd_ctx *c)
{
    return (struct stream_limits){c->cfg->stream_node_max_bytes, c->cfg->stream_node_max_entries};
}

/* ---- XADD / XTRIM options ---- */

struct add_trim_args {
    bool trim, no_mkstream, id_given, seq_given;
    struct stream_trim t;
    struct stream_id id;
};

/* MAXLEN|MINID [=|~] threshold at argv[*i]; false after a reply. */
static bool parse_strategy(struct cmd_ctx *c, const struct cmd_args *a, int *i, struct add_trim_args *o)
{
    if (o->trim) {
        reply_error(c->r, "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
    }
    bool maxlen = arg_is(a, *i, "maxlen");
    int more = a->argc - 1 - *i;
    o->t.approx = false;
    if (more >= 2 && a->len[*i + 1] == 1 && (a->argv[*i + 1][0] == '~' || a->argv[*i + 1][0] == '=')) {
        o->t.approx = a->argv[*i + 1][0] == '~';
        (*i)++;
    }
    int at = *i + 1;
    if (maxlen) {
        long long n;
        if (!arg_ll_or_reply(c, a, at, &n, NULL)) return false;
        if (n < 0) {
            reply_error(c->r, "ERR The MAXLEN argument must be >= 0.");
            return false;
        }
        o->t.by = STREAM_TRIM_MAXLEN;
        o->t.maxlen = (uint64_t)n;
    } else {
        if (!stream_strict_id_or_reply(c, a->argv[at], a->len[at], &o->t.minid)) return false;
        o->t.by = STREAM_TRIM_MINID;
    }
    o->trim = true;
    *i = at;
    return true;
}

/* Redis's streamParseAddOrTrimArgsOrReply: the options from argv[2];
 * for XADD, returns the ID's position; -1 after a reply. */
static int parse_add_trim(struct cmd_ctx *c, const struct cmd_args *a, bool xadd, struct add_trim_args *o)
{
    memset(o, 0, sizeof(*o));
    bool limit_given = false;
    int i = 2;
    for (; i < a->argc; i++) {
        int more = a->argc - 1 - i;
        if (xadd && a->len[i] == 1 && a->argv[i][0] == '*') break;
        if ((arg_is(a, i, "maxlen") || arg_is(a, i, "minid")) && more) {
            if (!parse_strategy(c, a, &i, o)) return -1;
        } else if (arg_is(a, i, "limit") && more) {
            if (!arg_ll_or_reply(c, a, i + 1, &o->t.limit, NULL)) return -1;
            if (o->t.limit < 0) {
                reply_error(c->r, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = true;
            i++;
        } else if (xadd && arg_is(a, i, "nomkstream")) {
            o->no_mkstream = true;
        } else if (xadd) {
            if (!stream_parse_id(a->argv[i], a->len[i], 0, true, &o->seq_given, &o->id)) {
                reply_error(c->r, STREAM_ERR_ID);
                return -1;
            }
            o->id_given = true;
            break;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return -1;
        }
    }
    if (o->t.limit && !o->trim) {
        reply_error(c->r, "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return -1;
    }
    if (!xadd && !o->trim) {
        reply_error(c->r, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given && !o->t.approx) {
        reply_error(c->r, "ERR syntax error, LIMIT cannot be used without the special ~ option");
        return -1;
    }
    if (!limit_given && o->t.approx) { /* at most about 100 nodes of work, as Redis */
        long long per_node = c->cfg->stream_node_max_entries;
        o->t.limit = per_node <= 0 ? 10000 : per_node > 10000 ? 1000000 : 100 * per_node;
    } else if (!limit_given) {
        o->t.limit = 0;
    }
    return i;
}

/* ---- XADD ---- */

/* The ID XADD adds under, or false (the stream's top is not below it). */
static bool next_id(const struct stream *s, const struct add_trim_args *o, struct stream_id *id)
{
    if (!o->id_given) {
        uint64_t ms = (uint64_t)mstime();
        if (ms > s->last_id.ms) {
            *id = (struct stream_id){ms, 0};
        } else {
            *id = s->last_id;
            if (!stream_id_incr(id)) return false;
        }
    } else if (o->seq_given) {
        *id = o->id;
    } else if (s->last_id.ms == o->id.ms) {
        if (s->last_id.seq == UINT64_MAX) return false;
        *id = (struct stream_id){o->id.ms, s->last_id.seq + 1};
    } else {
        *id = (struct stream_id){o->id.ms, 0};
    }
    return stream_id_cmp(id, &s->last_id) > 0;
}

/* The stream at argv[1] for XADD, created unless NOMKSTREAM; NULL after a reply. */
static struct kv *stream_for_add(struct cmd_ctx *c, const struct cmd_args *a, bool no_mkstream)
{
    bool err;
    struct kv *kv = tc_lookup_write(c, a->argv[1], a->len[1], OBJ_STREAM, &err);
    if (kv || err) return kv;
    if (no_mkstream) {
        reply_null(c->r);
        return NULL;
    }
    kv = kv_new_object(a->argv[1], a->len[1], OBJ_STREAM, ENC_STREAM, stream_new());
    db_add(c->db, kv);
    return kv;
}

static void xadd_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct add_trim_args o;
    int idpos = parse_add_trim(c, a, true, &o);
    if (idpos < 0) return;
    int fields = idpos + 1, nfv = a->argc - fields;
    if (nfv < 2 || nfv % 2) {
        reply_error(c->r, "ERR wrong number of arguments for 'xadd' command");
        return;
    }
    if (o.id_given && o.seq_given && o.id.ms == 0 && o.id.seq == 0) {
        reply_error(c->r, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    struct kv *kv = stream_for_add(c, a, o.no_mkstream);
    if (!kv) return;
    struct stream *s = kv->v.ptr;
    if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
        reply_error(c->r, "ERR The stream has exhausted the last possible ID, unable to add more items");
        return;
    }
    struct stream_id id;
    if (!next_id(s, &o, &id)) {
        reply_error(c->r, "ERR The ID specified in XADD is equal or smaller than the target stream top item");
        return;
    }
    size_t total = 0;
    for (int i = fields; i < a->argc; i++) total += a->len[i];
    if (total > (1u << 30)) {
        reply_error(c->r, "ERR Elements are too large to be stored");
        return;
    }
    struct stream_limits lim = node_limits(c);
    stream_append(s, &id, a->argv + fields, a->len + fields, (size_t)nfv / 2, &lim);
    stream_reply_id(c->r, &id);
    notify_key(c, NOTIFY_STREAM, "xadd", a->argv[1], a->len[1]);
    if (o.trim && stream_trim(s, &o.t)) notify_key(c, NOTIFY_STREAM, "xtrim", a->argv[1], a->len[1]);
    ready_created(c->db, a->argv[1], a->len[1]); /* XREAD BLOCK waiters: new data */
}

/* ---- XRANGE / XREVRANGE ---- */

bool stream_bound_or_reply(struct cmd_ctx *c, const char *s, size_t len, uint64_t missing_seq, bool start,
                               struct stream_id *id)
{
    bool ex = len > 1 && s[0] == '(';
    bool ok = ex ? stream_parse_id(s + 1, len - 1, missing_seq, true, NULL, id)
                 : stream_parse_id(s, len, missing_seq, false, NULL, id);
    if (!ok) {
        reply_error(c->r, STREAM_ERR_ID);
        return false;
    }
    if (ex && !(start ? stream_id_incr(id) : stream_id_decr(id))) {
        reply_error(c->r, start ? "ERR invalid start ID for the interval" : "ERR invalid end ID for the interval");
        return false;
    }
    return true;
}

static void xrange_generic(struct cmd_ctx *c, const struct cmd_args *a, bool rev)
{
    struct stream_id start, end;
    int si = rev ? 3 : 2, ei = rev ? 2 : 3;
    if (!stream_bound_or_reply(c, a->argv[si], a->len[si], 0, true, &start)) return;
    if (!stream_bound_or_reply(c, a->argv[ei], a->len[ei], UINT64_MAX, false, &end)) return;
    long long count = -1;
    for (int j = 4; j < a->argc; j++) {
        if (arg_is(a, j, "count") && j + 1 < a->argc) {
            if (!arg_ll_or_reply(c, a, j + 1, &count, NULL)) return;
            if (count < 0) count = 0;
            j++;
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_STREAM, false, tc_reply_empty_array);
    if (!kv) return;
    if (count == 0) reply_null_array(c->r);
    else stream_reply_range(c->r, kv->v.ptr, &start, &end, count < 0 ? 0 : (size_t)count, rev);
}

static void xrange_command(struct cmd_ctx *c, const struct cmd_args *a) { xrange_generic(c, a, false); }
static void xrevrange_command(struct cmd_ctx *c, const struct cmd_args *a) { xrange_generic(c, a, true); }

/* ---- XLEN, XDEL, XTRIM, XSETID ---- */

static void xlen_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_STREAM, false, tc_reply_zero);
    if (kv) reply_int(c->r, (long long)((struct stream *)kv->v.ptr)->length);
}

static void xdel_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_STREAM, true, tc_reply_zero);
    if (!kv) return;
    size_t n = (size_t)a->argc - 2;
    struct stream_id *ids = rk_malloc(n * sizeof(*ids));
    long long deleted = 0;
    for (size_t j = 0; j < n; j++)
        if (!stream_strict_id_or_reply(c, a->argv[j + 2], a->len[j + 2], &ids[j])) goto done;
    for (size_t j = 0; j < n; j++) deleted += stream_delete(kv->v.ptr, &ids[j]);
    if (deleted) notify_key(c, NOTIFY_STREAM, "xdel", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    reply_int(c->r, deleted);
done:
    rk_free(ids);
}

static void xtrim_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    struct add_trim_args o;
    if (parse_add_trim(c, a, false, &o) < 0) return;
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_STREAM, true, tc_reply_zero);
    if (!kv) return;
    long long trimmed = (long long)stream_trim(kv->v.ptr, &o.t);
    if (trimmed) notify_key(c, NOTIFY_STREAM, "xtrim", a->argv[1], a->len[1]);
    else cmd_unchanged(c);
    reply_int(c->r, trimmed);
}

void stream_reply_no_such_key(struct reply *r) { reply_error(r, RK_ERR_NO_KEY); }

struct stream_consumer *stream_consumer_for(struct cmd_ctx *c, struct stream_group *g, const char *name, size_t len,
                                            const char *key, size_t klen, long long now)
{
    if (stream_consumer_find(g, name, len)) return stream_consumer_get(g, name, len, now);
    notify_key(c, NOTIFY_STREAM, "xgroup-createconsumer", key, klen);
    return stream_consumer_create(g, name, len, now);
}

static void xsetid_command(struct cmd_ctx *c, const struct cmd_args *a)
{
    cmd_quiet_write(c); /* as Redis: no signalModifiedKey */
    struct stream_id id, max_deleted = {0, 0};
    long long entries_added = -1;
    if (!stream_strict_id_or_reply(c, a->argv[2], a->len[2], &id)) return;
    for (int i = 3; i < a->argc; i += 2) {
        bool more = i + 1 < a->argc;
        if (arg_is(a, i, "entriesadded") && more) {
            if (!arg_ll_or_reply(c, a, i + 1, &entries_added, NULL)) return;
            if (entries_added < 0) {
                reply_error(c->r, "ERR entries_added must be positive");
                return;
            }
        } else if (arg_is(a, i, "maxdeletedid") && more) {
            if (!stream_strict_id_or_reply(c, a->argv[i + 1], a->len[i + 1], &max_deleted)) return;
            if (stream_id_cmp(&id, &max_deleted) < 0) {
                reply_error(c->r, "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
        } else {
            reply_error(c->r, RK_ERR_SYNTAX);
            return;
        }
    }
    struct kv *kv = tc_lookup_or_reply(c, a, 1, OBJ_STREAM, true, stream_reply_no_such_key);
    if (!kv) return;
    struct stream *s = kv->v.ptr;
    if (s->length > 0) {
        struct stream_id top;
        stream_last_entry(s, &top);
        if (stream_id_cmp(&id, &top) < 0) {
            reply_error(c->r, "ERR The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if (entries_added != -1 && s->length > (uint64_t)entries_added) {
            reply_error(c->r, "ERR The entries_added specified in XSETID is smaller than the target stream length");
            return;
        }
    }
    s->last_id = id;
    if (entries_added != -1) s->entries_added = (uint64_t)entries_added;
    if (max_deleted.ms || max_deleted.seq) s->max_deleted_id = max_deleted;
    notify_key(c, NOTIFY_STREAM, "xsetid", a->argv[1], a->len[1]);
    reply_ok(c->r);
}

/* ---- the table ---- */

#define STREAM(name_, arity_, flags_, fn_, summary_, since_, complexity_, acl_, ...)                 \
    {.name = name_, .arity = arity_, .flags = flags_, .first_key = 1, .last_key = 1, .key_step = 1, \
     .fn = fn_, .group = "stream", .summary = summary_, .since = since_, .complexity = complexity_,  \
     .acl_categories = acl_, __VA_ARGS__}

const struct cmd_def stream_commands[] = {
    STREAM("xadd", -5, CMD_WRITE | CMD_DENYOOM | CMD_FAST, xadd_command, "Appends a new entry to a stream", "5.0.0",
           "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
           "write stream fast",
           .key_specs = (const struct cmd_key_spec[]){{.flags = KS_RW | KS_UPDATE, .begin = KS_BEGIN_INDEX,
                                                        .index = 1, .find = KS_FIND_RANGE, .lastkey = 0, .keystep = 1,
                                                        .notes = "UPDATE instead of INSERT because of the optional "
                                                                 "trimming feature"},
                                                       {0}},
           .tips = "nondeterministic_output",
           .syntax = "key [NOMKSTREAM]@6.2.0 trim=[strategy=<MAXLEN | MINID@6.2.0> operator=[equal== | approximately=~] "
                     "threshold [LIMIT count:integer]@6.2.0] id_or_auto=<auto_id=* | id> field value [field value ...]",
           .history = (const char *const[]){"6.2.0",
                                            "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` "
                                            "option.",
                                            "7.0.0", "Added support for the `<ms>-*` explicit ID form.", NULL}),
    STREAM("xrange", -4, CMD_READONLY, xrange_command,
           "Return a range of elements in a stream, with IDs matching the specified IDs interval", "5.0.0",
           "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the "
           "first 10 elements with COUNT), you can consider it O(1).",
           "read stream slow", .key_flags = KS_RO | KS_ACCESS, .syntax = "key start end [COUNT count:integer]",
           .history = (const char *const[]){"6.2.0", "Added exclusive ranges.", NULL}),
    STREAM("xrevrange", -4, CMD_READONLY, xrevrange_command,
           "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order "
           "(from greater to smaller IDs) compared to XRANGE",
           "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the "
           "first 10 elements with COUNT), you can consider it O(1).",
           "read stream slow", .key_flags = KS_RO | KS_ACCESS, .syntax = "key end start [COUNT count:integer]",
           .history = (const char *const[]){"6.2.0", "Added exclusive ranges.", NULL}),
    STREAM("xlen", 2, CMD_READONLY | CMD_FAST, xlen_command, "Return the number of entries in a stream", "5.0.0", "O(1)",
           "read stream fast", .key_flags = KS_RO, .syntax = "key"),
    STREAM("xdel", -3, CMD_WRITE | CMD_FAST, xdel_command,
           "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be "
           "different from the number of IDs passed in case certain IDs do not exist.",
           "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.",
           "write stream fast", .key_flags = KS_RW | KS_DELETE, .syntax = "key id [id ...]"),
    STREAM("xtrim", -4, CMD_WRITE, xtrim_command, "Trims the stream to (approximately if '~' is passed) a certain size",
           "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since "
           "entries are organized in macro nodes containing multiple entries that can be released with a single "
           "deallocation.",
           "write stream slow", .key_flags = KS_RW | KS_DELETE, .tips = "nondeterministic_output",
           .syntax = "key trim=<strategy=<MAXLEN | MINID@6.2.0> operator=[equal== | approximately=~] threshold "
                     "[LIMIT count:integer]@6.2.0>",
           .history = (const char *const[]){"6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option.",
                                            NULL}),
    STREAM("xsetid", -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, xsetid_command,
           "An internal command for replicating stream values", "5.0.0", "O(1)", "write stream fast",
           .key_flags = KS_RW | KS_UPDATE,
           .syntax = "key last-id [ENTRIESADDED entries_added:integer]@7.0.0 "
                     "[MAXDELETEDID max_deleted_entry_id]@7.0.0",
           .history = (const char *const[]){"7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments.",
                                            NULL}),
    {0},
};
