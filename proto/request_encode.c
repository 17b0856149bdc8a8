#include "request.h"

#include <string.h>

#include "buf.h"
#include "scan.h"

static bool netstring_num(struct buf *b, uint64_t v)
{
  char num[21];
  char len[21];
  size_t n = fmt_u64(num, v);
  size_t l = fmt_u64(len, n);
  return buf_catb(b, len, l) && buf_catb(b, ":", 1) && buf_catb(b, num, n) && buf_catb(b, ",", 1);
}

bool request_encode(struct buf *out, uint32_t uid, int argc, char *const *argv)
{
  size_t total = 0;
  int i;

  if (argc < 1 || argc > REQUEST_MAX_ARGC || !argv[0] || !argv[0][0]) return false;
  for (i = 0; i < argc; i++) {
    size_t l = strlen(argv[i]) + 1;
    if (l > REQUEST_MAX_ARGSLEN - total) return false;
    total += l;
  }
  if (!netstring_num(out, uid)) return false;
  if (!netstring_num(out, (uint64_t)argc)) return false;
  if (!buf_catu(out, total) || !buf_catb(out, ":", 1)) return false;
  for (i = 0; i < argc; i++)
    if (!buf_catb(out, argv[i], strlen(argv[i]) + 1)) return false;
  return buf_catb(out, ",", 1);
}
