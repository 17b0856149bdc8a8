/* The connecting process's identity, as the kernel recorded it at connect
 * time (SO_PEERCRED). The client cannot choose these values. */
#ifndef PEER_PEER_CRED_H
#define PEER_PEER_CRED_H

#include <stdint.h>
#include <sys/types.h>

struct peer_cred {
  pid_t pid;
  uint32_t uid;   /* effective uid at connect */
  uint32_t gid;   /* effective gid at connect */
};

/* 0, or -1 with errno. There is no fallback identity: a caller that cannot
 * learn who is on the other end must drop the connection. */
int peer_cred_get(int fd, struct peer_cred *c);

#endif
