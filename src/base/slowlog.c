/* slowlog.c — a bounded log of slow commands (see slowlog.h). */
#include "ringkv/base/slowlog.h"
#include "ringkv/base/alloc.h"

#include <stdio.h>
#include <string.h>

void slowlog_init(struct slowlog *sl) { memset(sl, 0, sizeof *sl); }

static void entry_free(struct slowlog_entry *e)
{
    for (int i = 0; i < e->argc; i++) rk_free(e->argv[i]);
    rk_free(e->argv);
    rk_free(e->lens);
    rk_free(e->addr);
    rk_free(e->name);
    memset(e, 0, sizeof *e);
}

void slowlog_reset(struct slowlog *sl)
{
    for (size_t i = 0; i < sl->cap; i++) entry_free(&sl->entries[i]);
    sl->len = sl->head = 0;
}

void slowlog_free(struct slowlog *sl)
{
    slowlog_reset(sl);
    rk_free(sl->entries);
    memset(sl, 0, sizeof *sl);
}

void slowlog_prune(struct slowlog *sl, uint64_t min_id)
{
    while (sl->len) {
        struct slowlog_entry *oldest = &sl->entries[(sl->head + sl->cap - sl->len) % sl->cap];
        if (oldest->id >= min_id) break;
        entry_free(oldest);
        sl->len--;
    }
}

static char *copy_text(const char *s, size_t len, size_t *out_len)
{
    char *p = rk_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    *out_len = len;
    return p;
}

/* Redis's slowlogCreateEntry trimming. */
static void fill(struct slowlog_entry *e, int argc, const char *const *argv, const size_t *lens)
{
    int n = argc > SLOWLOG_MAX_ARGC ? SLOWLOG_MAX_ARGC : argc;
    e->argc = n;
    e->argv = rk_malloc((size_t)n * sizeof(char *));
    e->lens = rk_malloc((size_t)n * sizeof(size_t));
    for (int i = 0; i < n; i++) {
        char buf[64];
        if (i == n - 1 && n != argc) {
            int len = snprintf(buf, sizeof buf, "... (%d more arguments)", argc - n + 1);
            e->argv[i] = copy_text(buf, (size_t)len, &e->lens[i]);
        } else if (lens[i] > SLOWLOG_MAX_STRING) {
            int tail = snprintf(buf, sizeof buf, "... (%zu more bytes)", lens[i] - SLOWLOG_MAX_STRING);
            e->argv[i] = rk_malloc(SLOWLOG_MAX_STRING + (size_t)tail + 1);
            memcpy(e->argv[i], argv[i], SLOWLOG_MAX_STRING);
            memcpy(e->argv[i] + SLOWLOG_MAX_STRING, buf, (size_t)tail + 1);
            e->lens[i] = SLOWLOG_MAX_STRING + (size_t)tail;
        } else {
            e->argv[i] = copy_text(argv[i], lens[i], &e->lens[i]);
        }
    }
}

/* Keeps the ring at max_len slots, the newest entries kept in order. */
static void resize(struct slowlog *sl, size_t max_len)
{
    if (sl->cap == max_len) return;
    struct slowlog_entry *next = rk_calloc(max_len ? max_len : 1, sizeof *next);
    size_t keep = sl->len < max_len ? sl->len : max_len;
    for (size_t i = 0; i < sl->len; i++) { /* oldest first */
        struct slowlog_entry *e = &sl->entries[(sl->head + sl->cap - sl->len + i) % sl->cap];
        if (i < sl->len - keep) entry_free(e);
        else next[i - (sl->len - keep)] = *e;
    }
    rk_free(sl->entries);
    sl->entries = next;
    sl->cap = max_len;
    sl->len = keep;
    sl->head = max_len ? keep % max_len : 0;
}

void slowlog_add(struct slowlog *sl, size_t max_len, uint64_t id, long long time, long long duration_us, int argc,
                 const char *const *argv, const size_t *lens, const char *addr, const char *name)
{
    resize(sl, max_len);
    if (max_len == 0) return;
    struct slowlog_entry *e = &sl->entries[sl->head];
    entry_free(e);
    e->id = id;
    e->time = time;
    e->duration_us = duration_us;
    fill(e, argc, argv, lens);
    size_t n;
    e->addr = copy_text(addr, strlen(addr), &n);
    e->name = copy_text(name, strlen(name), &n);
    sl->head = (sl->head + 1) % sl->cap;
    if (sl->len < sl->cap) sl->len++;
}

void slowlog_reply(const struct slowlog *sl, long long count, struct reply *r)
{
    size_t n = count < 0 || (size_t)count > sl->len ? sl->len : (size_t)count;
    reply_array(r, (long long)n);
    for (size_t i = 0; i < n; i++) {
        const struct slowlog_entry *e = &sl->entries[(sl->head + sl->cap - 1 - i) % sl->cap];
        reply_array(r, 6);
        reply_int(r, (long long)e->id);
        reply_int(r, e->time);
        reply_int(r, e->duration_us);
        reply_array(r, e->argc);
        for (int a = 0; a < e->argc; a++) reply_bulk(r, e->argv[a], e->lens[a]);
        reply_bulk_cstr(r, e->addr);
        reply_bulk_cstr(r, e->name);
    }
}
