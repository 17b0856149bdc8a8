#include <string.h>

#include "rules_compile.h"
#include "rules_lookup.h"
#include "sandbox_policy.h"
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
    out->why = "a range LO-HI needs two uids with LO <= HI";
    *st = RULES_LINE_BAD;
    return true;
  }
  if ((uint64_t)hi - lo + 1 > RULES_MAX_RANGE) {
    out->why = "the range covers too many uids";
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

/* Every knob value of an exec rule, through the broker's own
 * sandbox_policy_set: a value the broker would refuse (and so deny every
 * request of the rule with) is refused here. data is the compiled record. */
static bool knobs_valid(const struct buf *data, const char **why)
{
  struct sandbox_policy p;
  size_t pos = 0;

  sandbox_policy_init(&p);
  while (pos < data->len) {
    const char *item = data->s + pos;
    size_t ilen = strlen(item);
    const char *eq = item[0] == '+' ? strchr(item, '=') : 0;
    char name[64];
    if (eq && (size_t)(eq - item - 1) < sizeof name) {
      memcpy(name, item + 1, (size_t)(eq - item - 1));
      name[eq - item - 1] = 0;
      if (sandbox_policy_set(&p, name, eq + 1, why) < 0) return false;
    }
    pos += ilen + 1;
  }
  return true;
}

#define BAD(reason) do { out->why = (reason); return RULES_LINE_BAD; } while (0)

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
  out->why = 0;

  while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    --len;
  if (!len || line[0] == '#') return RULES_LINE_IGNORED;
  colon = memchr(line, ':', len);
  if (!colon) return RULES_LINE_IGNORED;
  if (memchr(line, 0, len)) BAD("a NUL byte in the line");

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
      if (!quoted(&x, &len, &out->data, &nomem)) {
        if (nomem) return RULES_LINE_NOMEM;
        BAD("the allow path has no closing quote");
      }
      if (out->data.len == 2) BAD("an empty allow path");   /* allow="" */
    }
  } else {
    BAD("the key is not followed by allow or deny");
  }

  while (len) {
    const char *eq;
    if (*x != ',') BAD("expected ,VAR=\"value\" or the end of the line");
    eq = memchr(x, '=', len);
    if (!eq) BAD("a variable without =");
    if (eq == x + 1) BAD("an empty variable name");      /* ,=value */
    if (!buf_catb(&out->data, "+", 1) || !buf_catb(&out->data, x + 1, (size_t)(eq - x)))
      return RULES_LINE_NOMEM;
    len -= (size_t)(eq - x) + 1;
    x = eq + 1;
    if (!quoted(&x, &len, &out->data, &nomem)) {
      if (nomem) return RULES_LINE_NOMEM;
      BAD("a value has no closing quote");
    }
  }

  /* A knob value the broker refuses would deny every request of the rule
   * at run time: refuse it here (IPCARGS included). A deny rule applies
 * none, as in 0.70. */
  if (kind == RULES_EXEC && out->data.len && out->data.s[0] != 'D' && !knobs_valid(&out->data, &out->why))
    return RULES_LINE_BAD;

  /* The lookup refuses a record over these limits as malformed, so a line
   * that compiled to one would fail every request it matches at run time:
   * refuse it here, where the admin sees which line it is. */
  if (out->data.len > RULES_MAX_RECORD) BAD("the rule is too long");
  {
    size_t items = 0;
    for (size_t i = 0; i < out->data.len; i++)
      if (!out->data.s[i]) items++;
    if (items > RULES_MAX_ITEMS) BAD("too many variables");
  }

  if (parse_range(out->key, out->keylen, out, &st)) return st;
  return RULES_LINE_OK;
}
