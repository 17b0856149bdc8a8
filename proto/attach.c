#include "attach.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"

/* "MASK FLAGS ROWS COLS XPIXEL YPIXEL NAME" */
static bool encode_pty(struct buf *out, const struct request_pty *p)
{
  char body[ATTACH_MAX_PTY + 1];
  size_t n = 0, namelen = strlen(p->name);
  uint64_t v[6] = { p->mask, (p->fg ? 1u : 0u) | (p->forced ? 2u : 0u),
    p->rows, p->cols, p->xpixel, p->ypixel };
  if (!p->mask || p->mask > 7 || namelen > REQUEST_MAX_TTYNAME) return false;
  for (size_t i = 0; i < namelen; i++)
    if (p->name[i] < 33 || p->name[i] > 126) return false;
  for (int i = 0; i < 6; i++) {
    n += fmt_u64(body + n, v[i]);
    body[n++] = ' ';
  }
  memcpy(body + n, p->name, namelen);
  n += namelen;
  return buf_catu(out, n) && buf_cats(out, ":") && buf_catb(out, body, n) && buf_cats(out, ",");
}

bool attach_encode(struct buf *out, uint32_t uid, int argc, char *const *argv,
    char *const *envp, const struct request_pty *pty)
{
  size_t envlen = 0, envc = 0;
  if (pty && !pty->want) pty = 0;
  if (!buf_cats(out, pty ? ATTACH_VERSION_PTY : ATTACH_VERSION)) return false;
  if (!request_encode(out, uid, argc, argv)) return false;
  for (; envp && envp[envc]; envc++) envlen += strlen(envp[envc]) + 1;
  if (envc > ATTACH_MAX_ENVC || envlen > ATTACH_MAX_ENVLEN) return false;
  {
    char num[21];
    size_t n = fmt_u64(num, envc);
    if (!buf_catu(out, n) || !buf_cats(out, ":") || !buf_catb(out, num, n) || !buf_cats(out, ",")) return false;
  }
  if (!buf_catu(out, envlen) || !buf_cats(out, ":")) return false;
  for (size_t i = 0; i < envc; i++)
    if (!buf_catb(out, envp[i], strlen(envp[i]) + 1)) return false;
  if (!buf_cats(out, ",")) return false;
  return !pty || encode_pty(out, pty);
}

/* "DIGITS:" at buf[*pos], canonical, <= max, at most 4 digits. */
static enum request_status small_len(const char *buf, size_t len, size_t *pos,
    uint64_t max, uint64_t *out)
{
  size_t i = *pos;
  while (i < len && buf[i] != ':') {
    if (buf[i] < '0' || buf[i] > '9' || i - *pos >= 4) return REQUEST_BAD;
    i++;
  }
  if (i == len) return REQUEST_MORE;
  if (!scan_u64n(buf + *pos, i - *pos, max, out)) return REQUEST_BAD;
  *pos = i + 1;
  return REQUEST_OK;
}

enum request_status attach_parse_env(const char *buf, size_t len,
    struct request *r, size_t *consumed, const char **why)
{
  size_t pos = 0, nuls = 0;
  uint64_t n, envc, envlen;
  enum request_status st;

  *why = "bad environment in request";
  st = small_len(buf, len, &pos, 2, &n);
  if (st != REQUEST_OK) return st;
  if (n == 0) return REQUEST_BAD;
  if (len - pos < n + 1) return REQUEST_MORE;
  if (buf[pos + n] != ',' || !scan_u64n(buf + pos, (size_t)n, ATTACH_MAX_ENVC, &envc)) return REQUEST_BAD;
  pos += n + 1;
  st = small_len(buf, len, &pos, ATTACH_MAX_ENVLEN, &envlen);
  if (st != REQUEST_OK) return st;
  if (len - pos < envlen + 1) return REQUEST_MORE;
  if (buf[pos + envlen] != ',') return REQUEST_BAD;
  if (envlen && buf[pos + envlen - 1] != 0) return REQUEST_BAD;
  for (size_t i = 0; i < envlen; i++)
    if (!buf[pos + i]) nuls++;
  if (nuls != envc) return REQUEST_BAD;

  r->envbuf = malloc(envlen ? envlen : 1);
  r->envp = calloc((size_t)envc + 1, sizeof *r->envp);
  if (!r->envbuf || !r->envp) { *why = "out of memory"; return REQUEST_BAD; }
  memcpy(r->envbuf, buf + pos, (size_t)envlen);
  {
    char *p = r->envbuf;
    for (size_t i = 0; i < envc; i++) {
      if (!strchr(p, '=') || *p == '=') return REQUEST_BAD;
      r->envp[i] = p;
      p += strlen(p) + 1;
    }
  }
  r->envc = (uint32_t)envc;
  *consumed = pos + (size_t)envlen + 1;
  *why = 0;
  return REQUEST_OK;
}

/* The next space-terminated canonical number <= max in s[*pos..end). */
static bool field(const char *s, size_t end, size_t *pos, uint64_t max, uint64_t *out)
{
  size_t i = *pos;
  while (i < end && s[i] != ' ') i++;
  if (i == end || !scan_u64n(s + *pos, i - *pos, max, out)) return false;
  *pos = i + 1;
  return true;
}

enum request_status attach_parse_pty(const char *buf, size_t len,
    struct request_pty *p, size_t *consumed, const char **why)
{
  size_t pos = 0, end;
  uint64_t n, v[6];
  static const uint64_t max[6] = { 7, 3, 65535, 65535, 65535, 65535 };
  enum request_status st;

  *why = "bad terminal item in request";
  st = small_len(buf, len, &pos, ATTACH_MAX_PTY, &n);
  if (st != REQUEST_OK) return st;
  if (len - pos < n + 1) return REQUEST_MORE;
  end = pos + (size_t)n;
  if (buf[end] != ',') return REQUEST_BAD;
  for (int i = 0; i < 6; i++)
    if (!field(buf, end, &pos, max[i], &v[i])) return REQUEST_BAD;
  if (v[0] == 0 || end - pos > REQUEST_MAX_TTYNAME) return REQUEST_BAD;
  for (size_t i = pos; i < end; i++)
    if (buf[i] < 33 || buf[i] > 126) return REQUEST_BAD;
  memset(p, 0, sizeof *p);
  p->want = true;
  p->mask = (unsigned)v[0];
  p->fg = (v[1] & 1) != 0;
  p->forced = (v[1] & 2) != 0;
  p->rows = (uint16_t)v[2];
  p->cols = (uint16_t)v[3];
  p->xpixel = (uint16_t)v[4];
  p->ypixel = (uint16_t)v[5];
  memcpy(p->name, buf + pos, end - pos);
  p->name[end - pos] = 0;
  *consumed = end + 1;
  *why = 0;
  return REQUEST_OK;
}

bool attach_signal_allowed(int sig)
{
  static const int ok[] = ATTACH_SIGNALS;
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    if (ok[i] == sig) return true;
  return false;
}

static bool encode_msg(struct buf *out, char kind, int value, bool with_value)
{
  char body[ATTACH_MAX_MSG];
  size_t n = 0;
  body[n++] = kind;
  if (with_value) {
    if (value < 0) return false;
    n += fmt_u64(body + n, (uint64_t)value);
  }
  return buf_catu(out, n) && buf_cats(out, ":") && buf_catb(out, body, n) && buf_cats(out, ",");
}

bool attach_encode_signal(struct buf *out, int sig)
{
  return encode_msg(out, 'K', sig, true);
}

bool attach_encode_continue(struct buf *out, bool fg)
{
  return encode_msg(out, 'C', fg ? 1 : 0, true);
}

bool attach_encode_winsize(struct buf *out, unsigned rows, unsigned cols,
    unsigned xpixel, unsigned ypixel)
{
  char body[ATTACH_MAX_MSG];
  unsigned v[4] = { rows, cols, xpixel, ypixel };
  size_t n = 0;
  body[n++] = 'W';
  for (int i = 0; i < 4; i++) {
    if (v[i] > 65535) return false;
    if (i) body[n++] = ' ';
    n += fmt_u64(body + n, v[i]);
  }
  return buf_catu(out, n) && buf_cats(out, ":") && buf_catb(out, body, n) && buf_cats(out, ",");
}

bool attach_encode_status(struct buf *out, char kind, int value)
{
  return encode_msg(out, kind, value, kind == 'E' || kind == 'S');
}

enum request_status attach_parse_msg(const char *buf, size_t len,
    struct attach_msg *m, size_t *consumed)
{
  size_t pos = 0, end;
  uint64_t n, v = 0;
  enum request_status st = small_len(buf, len, &pos, ATTACH_MAX_MSG - 4, &n);
  if (st != REQUEST_OK) return st;
  if (n == 0) return REQUEST_BAD;
  if (len - pos < n + 1) return REQUEST_MORE;
  end = pos + (size_t)n;
  if (buf[end] != ',') return REQUEST_BAD;
  memset(m, 0, sizeof *m);
  m->kind = buf[pos];
  switch (m->kind) {
    case 'D': case 'F': case 'R': case 'P': case 'Z':
      if (n != 1) return REQUEST_BAD;
      break;
    case 'E': case 'S': case 'K': case 'C':
      if (!scan_u64n(buf + pos + 1, (size_t)n - 1, m->kind == 'E' ? 255 : m->kind == 'C' ? 1 : 64, &v))
        return REQUEST_BAD;
      break;
    case 'W': {
      /* four numbers, single spaces between them */
      uint64_t w[4];
      size_t i = pos + 1;
      for (int k = 0; k < 4; k++) {
        size_t j = i;
        while (j < end && buf[j] != ' ') j++;
        if ((k < 3) != (j < end) || !scan_u64n(buf + i, j - i, 65535, &w[k])) return REQUEST_BAD;
        i = j + 1;
      }
      m->rows = (uint16_t)w[0];
      m->cols = (uint16_t)w[1];
      m->xpixel = (uint16_t)w[2];
      m->ypixel = (uint16_t)w[3];
      break;
    }
    default:
      return REQUEST_BAD;
  }
  m->value = (int)v;
  *consumed = end + 1;
  return REQUEST_OK;
}
