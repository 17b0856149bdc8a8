#include <grp.h>
#include <pwd.h>
#include <stdio.h>
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

/* ---- names in keys and in IPCUID/IPCGID, resolved when compiling ------ */

/* For the reason of an unknown name (the compiler is single-threaded). */
static char namewhy[160];

static bool all_digits(const char *s, size_t n)
{
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

/* A user or group name as useradd and groupadd make them: a letter or _
 * first, then letters, digits, _ and -, perhaps a final $. Anything else
 * in a key (a space, say) is kept byte for byte, as 0.70 did. */
static bool is_name(const char *s, size_t n)
{
  if (!n || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-' || (c == '$' && i == n - 1))
      continue;
    return false;
  }
  return true;
}

/* Appends the id of the user (group: is_group) named by s[0..n) to b: the
 * field as it stands when all digits (0.70 keys compile to the same
 * bytes), else the name looked up now. False with *why when unknown. */
static bool put_id(struct buf *b, const char *s, size_t n, bool is_group, bool *nomem,
    const char **why)
{
  char name[128];
  unsigned long id;
  if (!is_name(s, n)) {
    if (!buf_catb(b, s, n)) *nomem = true;   /* digits, or as 0.70 had it */
    return !*nomem;
  }
  if (n >= sizeof name) {
    *why = is_group ? "a group name too long" : "a user name too long";
    return false;
  }
  memcpy(name, s, n);
  name[n] = 0;
  if (is_group) {
    struct group *g = getgrnam(name);
    if (!g) {
      snprintf(namewhy, sizeof namewhy, "unknown group %s", name);
      *why = namewhy;
      return false;
    }
    id = (unsigned long)g->gr_gid;
  } else {
    struct passwd *pw = getpwnam(name);
    if (!pw) {
      snprintf(namewhy, sizeof namewhy, "unknown user %s", name);
      *why = namewhy;
      return false;
    }
    id = (unsigned long)pw->pw_uid;
  }
  if (id > SCAN_ID_MAX) {
    *why = "a name whose id is -1";
    return false;
  }
  if (!buf_catu(b, id)) *nomem = true;
  return !*nomem;
}

/* The client part of a key (before the ',' of an exec key, the whole of a
 * connection key): "", %G, .G, U, U.G, or a numeric range LO-HI. */
static bool put_client(struct buf *b, const char *s, size_t n, bool *nomem, const char **why)
{
  const char *dot, *dash;
  if (!n) return true;
  if (s[0] == '%' || s[0] == '.') {
    if (!buf_catb(b, s, 1)) { *nomem = true; return false; }
    return put_id(b, s + 1, n - 1, true, nomem, why);
  }
  dash = memchr(s, '-', n);
  if (dash && !memchr(s, '.', n) && all_digits(s, (size_t)(dash - s)) &&
      all_digits(dash + 1, n - (size_t)(dash - s) - 1)) {
    if (!buf_catb(b, s, n)) *nomem = true;   /* a range: numbers only */
    return !*nomem;
  }
  dot = memchr(s, '.', n);
  if (!dot) return put_id(b, s, n, false, nomem, why);
  if (!put_id(b, s, (size_t)(dot - s), false, nomem, why)) return false;
  if (!buf_catb(b, ".", 1)) {
    *nomem = true;
    return false;
  }
  return put_id(b, dot + 1, n - (size_t)(dot - s) - 1, true, nomem, why);
}

/* Rewrites out->key into out->keybuf with every name made its number;
 * out->key then points there. A key without names is left as it is. */
static enum rules_line_status resolve_key(enum rules_kind kind, struct rules_line *out)
{
  const char *k = out->key, *comma = 0;
  size_t n = out->keylen, client;
  bool nomem = false, named = false;
  struct buf *b = &out->keybuf;

  if (kind == RULES_EXEC) comma = memchr(k, ',', n);
  client = comma ? (size_t)(comma - k) : n;
  {
    /* Any field of the client part, split at . and after a leading % */
    size_t i = client && (k[0] == '%' || k[0] == '.') ? 1 : 0;
    while (i < client) {
      size_t f = i;
      while (f < client && k[f] != '.') f++;
      if (is_name(k + i, f - i)) named = true;
      i = f + 1;
    }
  }
  if (comma) {
    const char *dot = memchr(comma + 1, '.', n - client - 1);
    size_t ulen = dot ? (size_t)(dot - comma - 1) : n - client - 1;
    if (is_name(comma + 1, ulen)) named = true;
  }
  if (!named) return RULES_LINE_OK;

  b->len = 0;
  if (!put_client(b, k, client, &nomem, &out->why))
    return nomem ? RULES_LINE_NOMEM : RULES_LINE_BAD;
  if (comma) {
    const char *dot = memchr(comma + 1, '.', n - client - 1);
    size_t ulen = dot ? (size_t)(dot - comma - 1) : n - client - 1;
    if (!buf_catb(b, ",", 1) || (ulen && !put_id(b, comma + 1, ulen, false, &nomem, &out->why)))
      return nomem ? RULES_LINE_NOMEM : RULES_LINE_BAD;
    if (dot && !buf_catb(b, dot, n - (size_t)(dot - k))) return RULES_LINE_NOMEM;
  }
  out->key = b->s;
  out->keylen = b->len;
  return RULES_LINE_OK;
}

/* IPCUID="name" and IPCGID="name" in an exec rule's record become their
 * numbers, so that the cdb holds numbers only. */
static enum rules_line_status resolve_knobs(struct rules_line *out)
{
  struct buf nb = BUF_ZERO;
  size_t pos = 0;
  bool nomem = false, changed = false;

  while (pos < out->data.len) {
    const char *item = out->data.s + pos;
    size_t ilen = strlen(item);
    bool uid = !strncmp(item, "+IPCUID=", 8), gid = !strncmp(item, "+IPCGID=", 8);
    if ((uid || gid) && is_name(item + 8, ilen - 8)) {
      if (!buf_catb(&nb, item, 8) || !put_id(&nb, item + 8, ilen - 8, gid, &nomem, &out->why)) {
        buf_free(&nb);
        return nomem ? RULES_LINE_NOMEM : RULES_LINE_BAD;
      }
      changed = true;
    } else if (!buf_catb(&nb, item, ilen)) {
      buf_free(&nb);
      return RULES_LINE_NOMEM;
    }
    if (!buf_cat0(&nb)) {
      buf_free(&nb);
      return RULES_LINE_NOMEM;
    }
    pos += ilen + 1;
  }
  if (changed) {
    buf_free(&out->data);
    out->data = nb;
  } else {
    buf_free(&nb);
  }
  return RULES_LINE_OK;
}

#define BAD(reason) do { out->why = (reason); return RULES_LINE_BAD; } while (0)

enum rules_line_status rules_parse_line(enum rules_kind kind, const char *line,
    size_t len, struct rules_line *out)
{
  const char *x, *colon;
  enum rules_line_status st;
  bool nomem = false;

  out->data.len = 0;
  out->keybuf.len = 0;
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

  /* Names where numbers go: the cdb holds numbers only. */
  if ((st = resolve_key(kind, out)) != RULES_LINE_OK) return st;
  if (kind == RULES_EXEC && (st = resolve_knobs(out)) != RULES_LINE_OK) return st;

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
