/* config_inert.h — the directives of Redis 7.0 that ringkv accepts and
 * reports (CONFIG GET, the config file, CONFIG SET) without acting on
 * them: tunables of what ringkv has not (replication, cluster, AOF, TLS,
 * active defrag, IO threads...) or does its own way. They are validated
 * as Redis validates them (types, ranges, enums, immutability), so a
 * configuration written for Redis loads, and each answers its value.
 * Where a value would promise behaviour ringkv lacks (cluster-enabled yes,
 * daemonize yes, replicaof, tls-port, min-replicas-to-write...), only the
 * default is accepted: anything else is refused rather than ignored.
 * Thread: any (the table is constant; the values live in a config). */
#ifndef RINGKV_BASE_CONFIG_INERT_H
#define RINGKV_BASE_CONFIG_INERT_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_INERT_MAX 128

/* The directive's index by its name or alias (any case), or -1. */
int config_inert_find(const char *name);
int config_inert_count(void);
const char *config_inert_name(int i);
const char *config_inert_alias(int i); /* NULL: none */
bool config_inert_immutable(int i);
bool config_inert_protected(int i);
/* Redis's hidden test knobs: CONFIG GET answers them only by exact name. */
bool config_inert_hidden(int i);
/* A string (quoted in a config file), a memory size, several words. */
bool config_inert_is_string(int i);
bool config_inert_is_memory(int i);
bool config_inert_is_words(int i);
/* Validates values (one word each, or several for a multi-word
 * directive) and stores the canonical text in *slot (NULL: the default). */
bool config_inert_set(char **slot, int i, const char *const *values, int nvalues, char *err, size_t errlen);
/* The value as CONFIG GET answers it. */
const char *config_inert_value(const char *slot, int i);

/* Enumerated values, as a space-separated list of names (shared with
 * config.c): a word's index (any case) or -1; the index-th name; Redis's
 * error listing them. */
int config_choice_index(const char *choices, const char *word);
void config_choice_name(const char *choices, int index, char *out, size_t cap);
void config_choices_error(const char *choices, char *err, size_t errlen);

#endif
