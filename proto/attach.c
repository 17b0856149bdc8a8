#include "attach.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan.h"

bool attach_encode(struct buf *out, uint32_t uid, int argc, char *const *argv,
    char *const *envp)
{
  size_t envlen = 0, envc = 0;
  if (!buf_cats(out, ATTACH_VERSION)) return false;
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
  return buf_cats(out, ",");
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

bool attach_encode_status(struct buf *out, char kind, int value)
{
  return encode_msg(out, kind, value, kind == 'E' || kind == 'S');
}

enum request_status attach_parse_msg(const char *buf, size_t len, char *kind,
    int *value, size_t *consumed)
{
  size_t pos = 0;
  uint64_t n, v = 0;
  enum request_status st = small_len(buf, len, &pos, ATTACH_MAX_MSG - 4, &n);
  if (st != REQUEST_OK) return st;
  if (n == 0) return REQUEST_BAD;
  if (len - pos < n + 1) return REQUEST_MORE;
  if (buf[pos + n] != ',') return REQUEST_BAD;
  *kind = buf[pos];
  switch (*kind) {
    case 'D': case 'F': case 'R':
      if (n != 1) return REQUEST_BAD;
      break;
    case 'E': case 'S': case 'K':
      if (!scan_u64n(buf + pos + 1, (size_t)n - 1, *kind == 'E' ? 255 : 64, &v)) return REQUEST_BAD;
      break;
    default:
      return REQUEST_BAD;
  }
  *value = (int)v;
  *consumed = pos + (size_t)n + 1;
  return REQUEST_OK;
}
