/* glob.h — Redis's glob-style pattern matcher (stringmatchlen), used by
 * KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE and CONFIG GET.
 * Pure function; any thread. */
#ifndef RINGKV_GLOB_H
#define RINGKV_GLOB_H

#include <stdbool.h>
#include <stddef.h>

/* Redis fails a match that would nest deeper than this many '*' groups
 * (its guard against exponential patterns, CVE-2022-36021). */
#define GLOB_MAX_STAR_NESTING 1000

/* True when str matches pat, byte for byte as Redis 7.0 decides:
 *   '*' any run of bytes, '?' one byte, '\x' the byte x (a trailing '\'
 *   is a literal backslash);
 *   '[...]' one byte from a class: '^' first negates, 'a-z' is a range
 *   (reversed ranges work, endpoints compare as *signed* chars, so
 *   "[a-\xff]" holds '0' but not 'b'), '\x' is x taken case-sensitively
 *   even when nocase, and an unterminated class ends at the pattern's end
 *   ("[^" matches any one byte, "[" and "[]" nothing);
 *   a pattern with more than GLOB_MAX_STAR_NESTING '*' groups followed by
 *   something else matches nothing;
 *   an empty str matches only an empty pattern, even "*": callers that
 *   treat "*" as "everything" (KEYS, SCAN) must test for it themselves.
 * nocase folds ASCII letters only (the C locale), as CONFIG GET does.
 * Runs in O(plen * slen) at worst, without recursion or allocation. */
bool glob_match(const char *pat, size_t plen, const char *str, size_t slen, bool nocase);

#endif
