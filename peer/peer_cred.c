#include "peer_cred.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#ifndef SO_PEERCRED
#error "peer_cred_get needs SO_PEERCRED (Linux); add getpeereid for other systems"
#endif

int peer_cred_get(int fd, struct peer_cred *c)
{
  struct ucred u;
  socklen_t len = sizeof u;

  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len) < 0) return -1;
  if (len != sizeof u) {
    errno = EPROTO;
    return -1;
  }
  /* (uid_t)-1 is "no change" to the kernel, never an identity; a socket
   * with no peer (socketpair halves aside) reports it. Refuse it rather
   * than let it reach a rule key. */
  if (u.uid == (uid_t)-1 || u.gid == (gid_t)-1) {
    errno = ENOTCONN;
    return -1;
  }
  c->pid = u.pid;
  c->uid = (uint32_t)u.uid;
  c->gid = (uint32_t)u.gid;
  return 0;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

size_t peer_groups_normalize(uint32_t *g, size_t n)
{
  size_t k = 0;
  qsort(g, n, sizeof *g, cmp_u32);
  for (size_t i = 0; i < n; i++)
    if (!k || g[i] != g[k - 1]) g[k++] = g[i];
  return k;
}

int peer_groups_get(int fd, uint32_t egid, uint32_t **groups, size_t *n)
{
  size_t cap = 64;
  gid_t *buf = 0;
  socklen_t len;

  for (;;) {
    gid_t *more = realloc(buf, (cap + 1) * sizeof *buf);
    if (!more) { free(buf); return -1; }
    buf = more;
    len = (socklen_t)(cap * sizeof *buf);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) == 0) break;
    /* ERANGE: the kernel has set len to what the whole list needs. */
    if (errno != ERANGE || len / sizeof *buf <= cap) { free(buf); return -1; }
    cap = len / sizeof *buf;
    if (cap > PEER_GROUPS_MAX) { free(buf); errno = E2BIG; return -1; }
  }
  *n = len / sizeof *buf;
  buf[(*n)++] = (gid_t)egid;
  /* gid_t and uint32_t are the same width on Linux; the array is reused. */
  _Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");
  *n = peer_groups_normalize((uint32_t *)buf, *n);
  if (*n > PEER_GROUPS_MAX) { free(buf); errno = E2BIG; return -1; }
  *groups = (uint32_t *)buf;
  return 0;
}
