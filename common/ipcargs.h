/* IPCARGS: the arguments an exec rule pins after argv[0].
 *
 * The value is split on single spaces; a backslash makes the next
 * character literal ("\ " a space inside an argument, "\\" a backslash,
 * "\*" a star). "" means no arguments at all. A last element that is a
 * lone unescaped "*" lets any further arguments (zero or more) follow the
 * fixed ones. There is no other pattern syntax. Malformed: a trailing lone
 * backslash, or a lone unescaped "*" anywhere but last. */
#ifndef IPCARGS_H
#define IPCARGS_H

#include <stdbool.h>
#include <stddef.h>

/* Whether spec (len bytes, no NUL needed) is well formed; *why says what
 * is wrong otherwise. */
bool ipcargs_valid(const char *spec, size_t len, const char **why);

/* 1 when the n arguments in args (each NUL-terminated) match spec, 0 when
 * they do not, -1 when spec is malformed (*why set). */
int ipcargs_match(const char *spec, size_t len, char *const *args, size_t n, const char **why);

#endif
