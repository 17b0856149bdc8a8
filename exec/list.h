/* ipcdo -l: what the caller may run, from the broker, which alone may read
 * the rules. The request is "L", the version 1:1, and the target filter as
 * a netstring (empty for every target); the answer a netstring "l..." per
 * rule that can apply to this caller (its euid, egid, groups and the
 * catch-all keys, the one that decides for each target and command), then
 * "E" (or "F" on failure). Rules for other callers are never shown. */
#ifndef EXEC_LIST_H
#define EXEC_LIST_H

#include <stdbool.h>

#include "decide.h"

/* At most this many rules are listed, and a listing stops after this long:
 * a caller cannot make the root broker do much work by asking. */
#define LIST_MAX_RULES 1000
#define LIST_MAX_MS 2000

/* Whether the request waiting on sock is a list request (its first byte,
 * peeked, is 'L'). False for anything else, a pipe included. */
bool exec_list_request(int sock, int timeout_ms);

/* Answers it; one "ipcexec: list" audit line. Returns an exit code. */
int exec_list(int sock, const struct exec_caller *c, const char *rules, int timeout_ms);

#endif
