/* What ipcrulescheck and ipcexecrulescheck print, from a lookup result. */
#ifndef RULES_CHECK_H
#define RULES_CHECK_H

#include <stdio.h>

#include "rules_lookup.h"

/* Reads the client's ids from $IPCREMOTEEUID / $IPCREMOTEEGID; an unset
 * variable leaves its part out, a set one must be a canonical id (else
 * the program dies with exit 100). */
void rules_check_who(struct rules_who *who);

/* The checkers' options: -e (*status: exit with the decision), -t where
 * tty is not NULL (*tty: the request comes from a terminal) and -V;
 * anything else is usage. Stops at the first operand, so the request's
 * arguments after rules.cdb may start with '-'. Returns its index. */
int rules_check_options(int argc, char **argv, const char *usage, bool *status, bool *tty);

/* Prints "rule KEY:" and one line per item, stopping at a deny item, then
 * the verdict line; or "default:" and the default verdict for NOTFOUND.
 * verdict words: "connection" for both programs, as in 0.70. */
void rules_check_print(FILE *out, enum rules_result r, const struct rules_match *m,
    int default_allow);

/* A message for a lookup error: "malformed rules" for EPROTO, else strerror. */
const char *rules_strerror(int err);

#endif
