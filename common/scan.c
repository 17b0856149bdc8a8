#include "scan.h"

#include <string.h>

bool scan_u64n(const char *s, size_t len, uint64_t max, uint64_t *out)
{
  uint64_t v = 0;
  size_t i;

  if (!s || len == 0 || len > 20) return false;
  if (s[0] == '0' && len > 1) return false;
  for (i = 0; i < len; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  *out = v;
  return true;
}

bool scan_u64(const char *s, uint64_t max, uint64_t *out)
{
  if (!s) return false;
  return scan_u64n(s, strlen(s), max, out);
}

bool scan_idn(const char *s, size_t len, uint32_t *out)
{
  uint64_t v;
  if (!scan_u64n(s, len, SCAN_ID_MAX, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

bool scan_id(const char *s, uint32_t *out)
{
  if (!s) return false;
  return scan_idn(s, strlen(s), out);
}

bool scan_umask(const char *s, unsigned *out)
{
  size_t len, i;
  unsigned v = 0;

  if (!s) return false;
  len = strlen(s);
  if (len == 0 || len > 4) return false;
  for (i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '7') return false;
    v = v * 8 + (unsigned)(s[i] - '0');
  }
  if (v > 0777) return false;
  *out = v;
  return true;
}

size_t fmt_u64(char *buf, uint64_t u)
{
  char tmp[21];
  size_t n = 0, i;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  for (i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return n;
}

bool scan_groups(const char *s, uint32_t *out, size_t max, size_t *n)
{
  size_t k = 0;
  if (!s || !*s) return false;
  for (;;) {
    size_t len = strcspn(s, ",");
    uint32_t g;
    if (k == max || !scan_idn(s, len, &g) || (k && g <= out[k - 1])) return false;
    out[k++] = g;
    if (!s[len]) break;
    s += len + 1;
  }
  *n = k;
  return true;
}
