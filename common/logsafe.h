/* Making client-controlled text safe for a log line. */
#ifndef COMMON_LOGSAFE_H
#define COMMON_LOGSAFE_H

#include <stddef.h>

/* The 0.70 rule, which existing log readers rely on: every byte outside
 * 33..126, '%' and ':' becomes '?'; more than max bytes are cut and "..."
 * appended. Writes at most max + 3 bytes plus a NUL into dst, which must hold
 * dstsize bytes (dst is always NUL-terminated when dstsize > 0). Returns the
 * length written. */
size_t logsafe(char *dst, size_t dstsize, const char *src, size_t len, size_t max);

/* For key=value audit fields: printable ASCII other than '\\' and '"' is
 * kept, everything else is written as \xHH (and '\\' as \\, '"' as \"), so a
 * field can never contain a space, a newline or a quote that would split it.
 * Input beyond max bytes is cut and "..." appended. Returns the length. */
size_t logquote(char *dst, size_t dstsize, const char *src, size_t len, size_t max);

#endif
