/* Local-domain stream sockets: bind, listen, accept, connect.
 *
 * Every descriptor made here is close-on-exec, so nothing leaks into a
 * handler the caller did not hand over on purpose (dup2 onto 0/1 or 6/7). */
#ifndef PEER_UNIX_SOCKET_H
#define PEER_UNIX_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Longest path that fits sun_path with its terminating NUL. A longer path
 * is refused with ENAMETOOLONG; the kernel would otherwise bind or connect
 * to a silently truncated name. */
#define PEER_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Flags for peer_unix_bind. */
#define PEER_BIND_DELETE 1   /* remove a stale socket at path first */
#define PEER_BIND_UMASK0 2   /* create the socket file with mode 0777 */

/* A new AF_UNIX stream socket, close-on-exec. -1 with errno on failure. */
int peer_unix_socket(void);

/* Fills sa for path; -1 with ENAMETOOLONG (too long) or EINVAL (empty). */
int peer_unix_addr(struct sockaddr_un *sa, socklen_t *salen, const char *path);

/* Binds fd to path. With PEER_BIND_DELETE an existing socket at path is
 * removed first; anything that is not a socket is left alone, so a mistyped
 * path never deletes a file (bind then fails with EADDRINUSE). With
 * PEER_BIND_UMASK0 the umask is 0 for the bind: access control is by peer
 * identity, not file mode. 0 or -1 with errno. */
int peer_unix_bind(int fd, const char *path, int flags);

/* A listening socket bound to path: socket, bind, listen. The socket is
 * non-blocking, so an accept after poll never stalls when another process
 * took the connection first. -1 with errno. */
int peer_unix_listen(const char *path, int flags, int backlog);

/* accept4 with SOCK_CLOEXEC. The client's bound path (empty when unbound or
 * abstract) is copied NUL-terminated into remote, which must hold
 * PEER_PATH_MAX + 1 bytes; it is client-controlled text. -1 with errno. */
int peer_unix_accept(int lfd, char *remote);

/* Connects fd to path, retrying on EINTR. 0 or -1 with errno. */
int peer_unix_connect_fd(int fd, const char *path);

/* A connected socket to path, optionally bound first to localpath (NULL
 * for none). Whatever exists at localpath is left alone: bind then fails
 * with EADDRINUSE. -1 with errno. */
int peer_unix_connect(const char *path, const char *localpath);

/* Whether fd is a listening AF_UNIX stream socket (for inherited fds). */
bool peer_unix_is_listener(int fd);

#endif
