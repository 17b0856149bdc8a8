#include "ipcargs.h"

#include <string.h>

/* One element of spec from *pos: compared with arg (if not NULL) as it is
 * decoded. Sets *star for a lone unescaped "*", *last when it is the last
 * element. Returns -1 when malformed, else 1 if arg matched (or was NULL),
 * 0 if not. */
static int element(const char *spec, size_t len, size_t *pos, const char *arg,
    bool *star, bool *last)
{
  size_t i = *pos, start = *pos, k = 0;
  int same = 1;
  bool escaped_any = false;

  while (i < len && spec[i] != ' ') {
    char c = spec[i++];
    if (c == '\\') {
      if (i == len) return -1;
      c = spec[i++];
      escaped_any = true;
    }
    if (arg && same) {
      /* arg ends at its NUL, which nothing in spec matches */
      if (!arg[k] || arg[k] != c) same = 0;
      else k++;
    }
  }
  if (arg && same && arg[k]) same = 0;
  *star = !escaped_any && i - start == 1 && spec[start] == '*';
  *last = i == len;
  *pos = i < len ? i + 1 : i;   /* past the separating space */
  return same;
}

int ipcargs_match(const char *spec, size_t len, char *const *args, size_t n, const char **why)
{
  size_t pos = 0, i = 0;
  int matched = 1;

  *why = 0;
  if (len == 0) return n == 0;   /* IPCARGS="": no arguments */
  for (;;) {
    bool star, last;
    const char *arg = matched && i < n ? args[i] : 0;
    int r = element(spec, len, &pos, arg, &star, &last);
    if (r < 0) { *why = "a trailing lone backslash"; return -1; }
    if (star) {
      if (!last) { *why = "a lone * before the last argument (write \\* for a star)"; return -1; }
      return matched;            /* anything may follow the fixed ones */
    }
    if (i >= n || !r) matched = 0;
    i++;
    if (last) break;
  }
  return matched && i == n;
}

bool ipcargs_valid(const char *spec, size_t len, const char **why)
{
  return ipcargs_match(spec, len, 0, 0, why) >= 0;
}
