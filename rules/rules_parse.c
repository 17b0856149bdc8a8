#include <string.h>

#include "ipcargs.h"
#include "rules_compile.h"
#include "rules_lookup.h"
#include "scan.h"

/* The 0.70 grammar, kept byte for byte so old rules files compile to the
 * same cdb:
 *   KEY:deny[,VAR=QvalueQ]...
 *   KEY:allow[=QpathQ][,VAR=QvalueQ]...      (=QpathQ in exec rules only)
 * where Q is any single byte that closes the value. Stricter than 0.70 in
 * what it refuses: NUL bytes (they would split a record), an empty variable
 * name, and range bounds that are not canonical decimal uids. */

static bool parse_range(const char *key, size_t keylen, struct rules_line *out,
    enum rules_line_status *st)
{
  size_t comma, dash;
  uint32_t lo, hi;

  for (comma = 0; comma < keylen && key[comma] != ','; comma++)
    ;
  if (memchr(key, '.', comma)) return false;
  dash = 0;
  while (dash < comma && key[dash] != '-') dash++;
  if (dash == comma) return false;
  if (!scan_idn(key, dash, &lo) || !scan_idn(key + dash + 1, comma - dash - 1, &hi) || lo > hi) {
    *st = RULES_LINE_BAD;
    return true;
  }
  if ((uint64_t)hi - lo + 1 > RULES_MAX_RANGE) {
    *st = RULES_LINE_RANGE;
    return true;
  }
  out->range = true;
  out->lo = lo;
  out->hi = hi;
  out->suffix = key + comma;
  out->suffixlen = keylen - comma;
  *st = RULES_LINE_OK;
  return true;
}

/* A quoted value: Q, bytes, Q. Appends the bytes to data. */
static bool quoted(const char **x, size_t *len, struct buf *data, bool *nomem)
{
  char q;
  const char *end;
  if (!*len) return false;
  q = **x;
  ++*x;
  --*len;
  end = memchr(*x, q, *len);
  if (!end) return false;
  if (!buf_catb(data, *x, (size_t)(end - *x)) || !buf_cat0(data)) { *nomem = true; return false; }
  *len -= (size_t)(end - *x) + 1;
  *x = end + 1;
  return true;
}

enum rules_line_status rules_parse_line(enum rules_kind kind, const char *line,
    size_t len, struct rules_line *out)
{
  const char *x, *colon;
  enum rules_line_status st;
  bool nomem = false;

  out->data.len = 0;
  out->range = false;
  out->key = out->suffix = 0;
  out->keylen = out->suffixlen = 0;

  while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    --len;
  if (!len || line[0] == '#') return RULES_LINE_IGNORED;
  colon = memchr(line, ':', len);
  if (!colon) return RULES_LINE_IGNORED;
  if (memchr(line, 0, len)) return RULES_LINE_BAD;

  out->key = line;
  out->keylen = (size_t)(colon - line);
  x = colon + 1;
  len -= out->keylen + 1;

  if (len >= 4 && !memcmp(x, "deny", 4)) {
    if (!buf_catb(&out->data, "D", 2)) return RULES_LINE_NOMEM;
    x += 4;
    len -= 4;
  } else if (len >= 5 && !memcmp(x, "allow", 5)) {
    x += 5;
    len -= 5;
    if (kind == RULES_EXEC && len && *x == '=') {
      if (!buf_catb(&out->data, "=", 1)) return RULES_LINE_NOMEM;
      x++;
      len--;
      if (!quoted(&x, &len, &out->data, &nomem))
        return nomem ? RULES_LINE_NOMEM : RULES_LINE_BAD;
      if (out->data.len == 2) return RULES_LINE_BAD;   /* allow="" */
    }
  } else {
    return RULES_LINE_BAD;
  }

  while (len) {
    const char *eq;
    if (*x != ',') return RULES_LINE_BAD;
    eq = memchr(x, '=', len);
    if (!eq) return RULES_LINE_BAD;
    if (eq == x + 1) return RULES_LINE_BAD;              /* ,=value */
    if (!buf_catb(&out->data, "+", 1) || !buf_catb(&out->data, x + 1, (size_t)(eq - x)))
      return RULES_LINE_NOMEM;
    {
      bool pinned = kind == RULES_EXEC && eq - x - 1 == 7 && !memcmp(x + 1, "IPCARGS", 7);
      size_t vstart = out->data.len;
      const char *why;
      len -= (size_t)(eq - x) + 1;
      x = eq + 1;
      if (!quoted(&x, &len, &out->data, &nomem))
        return nomem ? RULES_LINE_NOMEM : RULES_LINE_BAD;
      /* A malformed IPCARGS would deny every request of the rule: refuse
       * it here. The value is NUL-terminated in data. */
      if (pinned && !ipcargs_valid(out->data.s + vstart, out->data.len - vstart - 1, &why))
        return RULES_LINE_BAD;
    }
  }

  /* The lookup refuses a record over these limits as malformed, so a line
   * that compiled to one would fail every request it matches at run time:
   * refuse it here, where the admin sees which line it is. */
  if (out->data.len > RULES_MAX_RECORD) return RULES_LINE_BAD;
  {
    size_t items = 0;
    for (size_t i = 0; i < out->data.len; i++)
      if (!out->data.s[i]) items++;
    if (items > RULES_MAX_ITEMS) return RULES_LINE_BAD;
  }

  if (parse_range(out->key, out->keylen, out, &st)) return st;
  return RULES_LINE_OK;
}
