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

/* The most groups a connection may carry: beyond this the caller is
 * refused rather than decided on a truncated list, which could miss a
 * %GID deny rule. (IPCREMOTEGROUPS must also fit one environment string.) */
#define PEER_GROUPS_MAX 8192

/* The connecting process's groups, as the kernel recorded them at connect
 * time (SO_PEERGROUPS), with its effective gid egid added: ascending,
 * without repeats, in a malloc'd array (*groups, *n; free it). 0, or -1
 * with errno (E2BIG: more than PEER_GROUPS_MAX). */
int peer_groups_get(int fd, uint32_t egid, uint32_t **groups, size_t *n);

/* Sorts groups ascending and removes repeats; returns the new count. */
size_t peer_groups_normalize(uint32_t *groups, size_t n);

#endif
