#include "logsafe.h"

#include <string.h>

size_t logsafe(char *dst, size_t dstsize, const char *src, size_t len, size_t max)
{
  size_t n = 0, i;
  int cut = len > max;

  if (!dstsize) return 0;
  if (cut) len = max;
  for (i = 0; i < len && n + 1 < dstsize; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c < 33 || c > 126 || c == '%' || c == ':') c = '?';
    dst[n++] = (char)c;
  }
  if (cut || i < len)
    for (i = 0; i < 3 && n + 1 < dstsize; i++) dst[n++] = '.';
  dst[n] = 0;
  return n;
}

size_t logquote(char *dst, size_t dstsize, const char *src, size_t len, size_t max)
{
  static const char hex[] = "0123456789abcdef";
  /* Room for "..." and the NUL is kept back, so a cut is always marked. */
  size_t n = 0, i, lim = dstsize > 4 ? dstsize - 4 : 0;
  int cut = len > max;

  if (!dstsize) return 0;
  if (cut) len = max;
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c > 32 && c < 127 && c != '\\' && c != '"') {
      if (n + 1 > lim) break;
      dst[n++] = (char)c;
    } else if (c == '\\' || c == '"') {
      if (n + 2 > lim) break;
      dst[n++] = '\\';
      dst[n++] = (char)c;
    } else {
      if (n + 4 > lim) break;
      dst[n++] = '\\';
      dst[n++] = 'x';
      dst[n++] = hex[c >> 4];
      dst[n++] = hex[c & 15];
    }
  }
  if ((cut || i < len) && n + 3 < dstsize) {
    memcpy(dst + n, "...", 3);
    n += 3;
  }
  dst[n] = 0;
  return n;
}
