#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "scan.h"

bool buf_ready(struct buf *b, size_t extra)
{
  size_t want, cap;
  char *s;
  if (extra > (size_t)-1 - b->len - 1) return false;
  want = b->len + extra + 1;
  if (want <= b->cap) return true;
  cap = b->cap ? b->cap : 64;
  while (cap < want) {
    if (cap > (size_t)-1 / 2) { cap = want; break; }
    cap *= 2;
  }
  s = realloc(b->s, cap);
  if (!s) return false;
  b->s = s;
  b->cap = cap;
  return true;
}

bool buf_catb(struct buf *b, const void *p, size_t n)
{
  if (!buf_ready(b, n)) return false;
  if (n) memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = 0;
  return true;
}

bool buf_cats(struct buf *b, const char *s)
{
  return buf_catb(b, s, strlen(s));
}

bool buf_cat0(struct buf *b)
{
  return buf_catb(b, "", 1);
}

bool buf_catu(struct buf *b, unsigned long long u)
{
  char num[21];
  return buf_catb(b, num, fmt_u64(num, u));
}

void buf_free(struct buf *b)
{
  free(b->s);
  b->s = 0;
  b->len = b->cap = 0;
}
