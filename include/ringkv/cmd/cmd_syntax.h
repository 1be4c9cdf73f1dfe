/* cmd_syntax.h — turns a command's syntax line (cmd_def.syntax) into the
 * argument tree COMMAND DOCS reports, the one Redis 7.0 keeps in
 * commands/NAME.json ("arguments"). redis-cli builds its hints from it.
 *
 * The notation is redis.io's syntax line, without the command name:
 *
 *   key value [NX | XX] [GET] [EX seconds:integer | PX milliseconds:integer]
 *
 *   word        a value argument named `word`, of type string; `key` is of
 *               type key and `pattern` of type pattern. `name:type` sets the
 *               type (string integer double key pattern unix-time);
 *               `name#N` sets the key spec index of a key (default: keys
 *               count 0, 1, 2 ... in order of appearance).
 *   TOKEN       a word with no lowercase letter (NX, EX, =, *, "" for the
 *               empty string) is a token. Followed by one argument in the
 *               same sequence, it is that argument's token (EX seconds);
 *               by several, the token of a block of them (LIMIT offset
 *               count); alone, a pure token.
 *   [ ... ]     optional; `|` separates alternatives (a "oneof"); a
 *               sequence of several arguments is a block.
 *   < ... >     the same, required (LINSERT key <BEFORE | AFTER> ...); one
 *               argument alone in it is a block of one (<parameter>).
 *   X [X ...]   X repeats: `key [key ...]`, `score member [score member ...]`
 *               (a repeated block), `GET pattern [GET pattern ...]`.
 *   name=X      names a group or argument (condition=[NX | XX]); groups are
 *               otherwise named by joining their members' names with '_',
 *               as Redis names most of them (offset_count, score_member).
 *   X@6.2.0     the version that added an argument (GET@6.2.0, [CH]@3.0.2,
 *               seconds:integer@2.6.12); X@!2.8.12 the one that deprecated it.
 *
 * Runs on any thread; no allocation: the tree lives in struct cmd_syntax.
 */
#ifndef RINGKV_CMD_SYNTAX_H
#define RINGKV_CMD_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cmd_arg_type {
    ARG_STRING, ARG_INTEGER, ARG_DOUBLE, ARG_KEY, ARG_PATTERN, ARG_UNIX_TIME,
    ARG_PURE_TOKEN, ARG_ONEOF, ARG_BLOCK,
};

enum {
    ARG_OPTIONAL = 1u << 0,
    ARG_MULTIPLE = 1u << 1,
    ARG_MULTIPLE_TOKEN = 1u << 2, /* the token repeats too: GET p [GET p ...] */
};

struct cmd_arg {
    const char *name;        /* in cmd_syntax.text */
    const char *token;       /* in cmd_syntax.text, or NULL */
    const char *since;       /* in cmd_syntax.text, or NULL */
    const char *deprecated_since;
    enum cmd_arg_type type;
    uint8_t flags;           /* ARG_* */
    int8_t key_spec_index;   /* -1 when not a key */
    int16_t child, next;     /* first member (oneof, block) and next sibling; -1 ends */
};

#define CMD_SYNTAX_MAX_ARGS 160
#define CMD_SYNTAX_TEXT 3072

struct cmd_syntax {
    struct cmd_arg args[CMD_SYNTAX_MAX_ARGS];
    int nargs;
    int first;               /* first top-level argument, -1 if none */
    int nkeys;               /* key arguments numbered so far */
    char text[CMD_SYNTAX_TEXT];
    size_t text_len;
};

/* Parses `syntax` (NULL or "" gives no arguments). False with a message in
 * err when the line is malformed or too big for the bounds above. */
bool cmd_syntax_parse(struct cmd_syntax *s, const char *syntax, char *err, size_t errcap);

/* "string", "integer", ..., "pure-token", "oneof", "block". */
const char *cmd_arg_type_name(enum cmd_arg_type type);

#endif
