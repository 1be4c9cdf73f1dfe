/* acl_registry.c — the server's users, shared by every shard.
 *
 * Users are immutable once published: a change builds a new version from a
 * copy and swaps it in under `lock`, then bumps acl_generation_counter so
 * connections look their user up again (acl.h). The lock is taken by ACL
 * commands, AUTH and connections catching up with a change, never by a
 * connection whose user has not changed.
 * Thread: any.
 */
#include "ringkv/cmd/acl.h"
#include "ringkv/base/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

atomic_uint_fast64_t acl_generation_counter = 1;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct acl_user **users; /* sorted by name, as Redis's rax lists them */
static size_t nusers;

/* Clients authenticated as another user than "default" (for scripts). */
struct client_user {
    uint64_t id;
    char *name;
    size_t len;
};
static struct client_user *clients;
static size_t nclients;

static int name_cmp(const struct acl_user *u, const char *name, size_t len)
{
    size_t n = u->name_len < len ? u->name_len : len;
    int c = memcmp(u->name, name, n);
    return c ? c : (u->name_len > len) - (u->name_len < len);
}

/* Index of the user, or of where it would go (*found false). */
static size_t find(const char *name, size_t len, bool *found)
{
    size_t lo = 0, hi = nusers;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = name_cmp(users[mid], name, len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static atomic_bool all_unrestricted = true;

bool acl_all_unrestricted(void) { return atomic_load_explicit(&all_unrestricted, memory_order_acquire); }

/* After any change, under the lock. */
static void bump(void)
{
    bool all = true;
    for (size_t i = 0; i < nusers && all; i++) all = users[i]->unrestricted;
    atomic_store_explicit(&all_unrestricted, all, memory_order_release);
    atomic_fetch_add_explicit(&acl_generation_counter, 1, memory_order_release);
}

/* Puts u (owned) in place of the user of its name; under the lock. */
static void publish_locked(struct acl_user *u)
{
    bool found;
    size_t at = find(u->name, u->name_len, &found);
    if (found) {
        acl_user_unref(users[at]);
    } else {
        users = rk_realloc(users, (nusers + 1) * sizeof(*users));
        memmove(users + at + 1, users + at, (nusers - at) * sizeof(*users));
        nusers++;
    }
    users[at] = u;
}

void acl_registry_setup(void)
{
    pthread_mutex_lock(&lock);
    bool found;
    find("default", 7, &found);
    if (!found) publish_locked(acl_user_create_default());
    pthread_mutex_unlock(&lock);
}

struct acl_user *acl_registry_get(const char *name, size_t len)
{
    pthread_mutex_lock(&lock);
    bool found;
    size_t at = find(name, len, &found);
    struct acl_user *u = found ? acl_user_ref(users[at]) : NULL;
    pthread_mutex_unlock(&lock);
    return u;
}

enum acl_set_err acl_registry_setuser(const char *name, size_t len, char *const *ops, const size_t *lens, int nops,
                                      int *bad)
{
    pthread_mutex_lock(&lock);
    bool found;
    size_t at = find(name, len, &found);
    struct acl_user *u = found ? acl_user_copy(users[at]) : acl_user_create(name, len);
    enum acl_set_err err = ACL_SET_OK;
    for (int i = 0; i < nops && !err; i++) {
        err = acl_user_set(u, ops[i], lens[i]);
        if (err) *bad = i;
    }
    if (err) {
        acl_user_unref(u);
    } else {
        acl_user_seal(u);
        publish_locked(u);
        bump();
    }
    pthread_mutex_unlock(&lock);
    return err;
}

bool acl_registry_deluser(const char *name, size_t len)
{
    pthread_mutex_lock(&lock);
    bool found;
    size_t at = find(name, len, &found);
    if (found) {
        acl_user_unref(users[at]);
        memmove(users + at, users + at + 1, (nusers - at - 1) * sizeof(*users));
        nusers--;
        bump();
    }
    pthread_mutex_unlock(&lock);
    return found;
}

struct acl_user **acl_registry_list(size_t *n)
{
    pthread_mutex_lock(&lock);
    struct acl_user **list = rk_malloc((nusers ? nusers : 1) * sizeof(*list));
    for (size_t i = 0; i < nusers; i++) list[i] = acl_user_ref(users[i]);
    *n = nusers;
    pthread_mutex_unlock(&lock);
    return list;
}

void acl_registry_list_free(struct acl_user **list, size_t n)
{
    for (size_t i = 0; i < n; i++) acl_user_unref(list[i]);
    rk_free(list);
}

/* One "user <name> rules..." line into a new user; false with err set. */
static struct acl_user *parse_line(const char *line, const char *origin, int lineno, char *err, size_t errcap)
{
    int argc;
    size_t *lens;
    char **argv = acl_split_args(line, strlen(line), &argc, &lens);
    if (!argv) {
        snprintf(err, errcap, "%s:%d: unbalanced quotes in acl line. ", origin, lineno);
        return NULL;
    }
    struct acl_user *u = NULL;
    if (argc < 2 || strcmp(argv[0], "user") != 0) {
        snprintf(err, errcap, "%s:%d should start with user keyword. ", origin, lineno);
    } else if (memchr(argv[1], ' ', lens[1]) || memchr(argv[1], 0, lens[1])) {
        snprintf(err, errcap, "%s:%d: username '%s' contains invalid characters. ", origin, lineno, argv[1]);
    } else {
        int n, bad;
        size_t *mlens;
        char **ops = acl_merge_selectors(argv + 2, lens + 2, argc - 2, &n, &mlens, &bad);
        if (!ops) {
            snprintf(err, errcap, "%s:%d: Unmatched parenthesis in acl selector starting at '%s'. ", origin, lineno,
                     argv[2 + bad]);
        } else {
            u = acl_user_create(argv[1], lens[1]);
            for (int i = 0; i < n && u; i++) {
                enum acl_set_err e = acl_user_set(u, ops[i], mlens[i]);
                if (e) {
                    snprintf(err, errcap, "%s:%d: %s. ", origin, lineno, acl_set_error(e));
                    acl_user_unref(u);
                    u = NULL;
                }
            }
            if (u) acl_user_seal(u);
            acl_free_args(ops, mlens, n);
        }
    }
    acl_free_args(argv, lens, argc);
    return u;
}

bool acl_registry_load(char *const *lines, int nlines, const char *origin, bool reset_default, char *err,
                       size_t errcap)
{
    struct acl_user **fresh = rk_calloc((size_t)nlines + 1, sizeof(*fresh));
    int n = 0;
    bool ok = true;
    for (int i = 0; i < nlines && ok; i++) {
        const char *l = lines[i];
        while (*l == ' ' || *l == '\t') l++;
        if (*l == 0 || *l == '#') continue;
        struct acl_user *u = parse_line(l, origin, i + 1, err, errcap);
        if (!u) ok = false;
        for (int j = 0; ok && j < n; j++)
            if (name_cmp(fresh[j], u->name, u->name_len) == 0) {
                snprintf(err, errcap, "%s:%d: Duplicate user '%s' found. ", origin, i + 1, u->name);
                acl_user_unref(u);
                ok = false;
            }
        if (ok) fresh[n++] = u;
    }
    if (ok) {
        pthread_mutex_lock(&lock);
        bool found;
        size_t at = find("default", 7, &found);
        /* As Redis copies the new rules into its default user, the default
         * user's clients stay; every other user is a new one, and the
         * clients of the old ones go (they are not yet published: the
         * fresh objects may still be written). */
        bool in_file = false;
        for (int i = 0; i < n; i++)
            if (fresh[i]->name_len == 7 && memcmp(fresh[i]->name, "default", 7) == 0) {
                if (found) fresh[i]->identity = users[at]->identity;
                in_file = true;
            }
        struct acl_user *def = NULL;
        if (!in_file) def = found && !reset_default ? acl_user_ref(users[at]) : acl_user_create_default();
        if (def && found && def != users[at]) def->identity = users[at]->identity;
        for (size_t i = 0; i < nusers; i++) acl_user_unref(users[i]);
        nusers = 0;
        if (def) publish_locked(def);
        for (int i = 0; i < n; i++) publish_locked(fresh[i]);
        bump();
        pthread_mutex_unlock(&lock);
    } else {
        for (int i = 0; i < n; i++) acl_user_unref(fresh[i]);
    }
    rk_free(fresh);
    return ok;
}

void acl_registry_set_requirepass(const char *pass)
{
    char *ops[2] = {"resetpass", NULL};
    size_t lens[2] = {9, 0};
    int nops = 1, bad;
    char *rule = NULL;
    if (pass && *pass) {
        size_t len = strlen(pass);
        rule = rk_malloc(len + 2);
        rule[0] = '>';
        memcpy(rule + 1, pass, len + 1);
        ops[1] = rule;
        lens[1] = len + 1;
        nops = 2;
    } else {
        ops[0] = "nopass";
        lens[0] = 6;
    }
    acl_registry_setuser("default", 7, ops, lens, nops, &bad);
    rk_free(rule);
}

/* ---- which user a client is ---- */

void acl_client_user_set(uint64_t id, const char *name, size_t len)
{
    acl_client_user_clear(id);
    if (len == 7 && memcmp(name, "default", 7) == 0) return;
    pthread_mutex_lock(&lock);
    clients = rk_realloc(clients, (nclients + 1) * sizeof(*clients));
    clients[nclients++] = (struct client_user){id, rk_strndup(name, len), len};
    pthread_mutex_unlock(&lock);
}

void acl_client_user_clear(uint64_t id)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nclients; i++)
        if (clients[i].id == id) {
            rk_free(clients[i].name);
            clients[i] = clients[--nclients];
            break;
        }
    pthread_mutex_unlock(&lock);
}

struct acl_user *acl_client_user(uint64_t id)
{
    const char *name = "default";
    size_t len = 7;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nclients; i++)
        if (clients[i].id == id) {
            name = clients[i].name;
            len = clients[i].len;
            break;
        }
    bool found;
    size_t at = find(name, len, &found);
    struct acl_user *u = found ? acl_user_ref(users[at]) : NULL;
    pthread_mutex_unlock(&lock);
    return u;
}
