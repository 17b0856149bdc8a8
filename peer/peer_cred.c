#include "peer_cred.h"

#include <errno.h>
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
