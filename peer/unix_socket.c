#include "unix_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

int peer_unix_socket(void)
{
  return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

int peer_unix_addr(struct sockaddr_un *sa, socklen_t *salen, const char *path)
{
  size_t len = strlen(path);

  if (!len) {
    errno = EINVAL;
    return -1;
  }
  if (len > PEER_PATH_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, len + 1);
  *salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
  return 0;
}

int peer_unix_bind(int fd, const char *path, int flags)
{
  struct sockaddr_un sa;
  socklen_t salen;
  mode_t old;
  int r, err;

  if (peer_unix_addr(&sa, &salen, path) < 0) return -1;
  if (flags & PEER_BIND_DELETE) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) < 0 && errno != ENOENT)
      return -1;
  }
  /* The umask is process-wide; it is changed only around the bind, before
   * any child exists. */
  if (flags & PEER_BIND_UMASK0) old = umask(0);
  r = bind(fd, (struct sockaddr *)&sa, salen);
  err = errno;
  if (flags & PEER_BIND_UMASK0) umask(old);
  errno = err;
  return r;
}

int peer_unix_listen(const char *path, int flags, int backlog)
{
  int fd = peer_unix_socket();
  int err;

  if (fd < 0) return -1;
  if (peer_unix_bind(fd, path, flags) < 0) goto fail;
  if (listen(fd, backlog) < 0) goto fail;
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) goto fail;
  return fd;
fail:
  err = errno;
  close(fd);
  errno = err;
  return -1;
}

int peer_unix_accept(int lfd, char *remote)
{
  struct sockaddr_un sa;
  socklen_t salen = sizeof sa;
  size_t n = 0, max;
  int fd;

  memset(&sa, 0, sizeof sa);
  fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC);
  if (fd < 0) return -1;
  if (salen > sizeof sa) salen = sizeof sa;
  /* An abstract address starts with a NUL and so reads as empty, like an
   * unbound client; a path is cut at its first NUL. */
  if (salen > offsetof(struct sockaddr_un, sun_path)) {
    max = salen - offsetof(struct sockaddr_un, sun_path);
    if (max > PEER_PATH_MAX) max = PEER_PATH_MAX;
    while (n < max && sa.sun_path[n]) n++;
    memcpy(remote, sa.sun_path, n);
  }
  remote[n] = 0;
  return fd;
}

int peer_unix_connect_fd(int fd, const char *path)
{
  struct sockaddr_un sa;
  socklen_t salen;

  if (peer_unix_addr(&sa, &salen, path) < 0) return -1;
  for (;;) {
    if (connect(fd, (struct sockaddr *)&sa, salen) == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

int peer_unix_connect(const char *path, const char *localpath)
{
  int fd, err;

  fd = peer_unix_socket();
  if (fd < 0) return -1;
  /* No PEER_BIND_DELETE: a client only uses localpath, it never removes
   * whatever is there. */
  if (localpath && peer_unix_bind(fd, localpath, 0) < 0) goto fail;
  if (peer_unix_connect_fd(fd, path) < 0) goto fail;
  return fd;
fail:
  err = errno;
  close(fd);
  errno = err;
  return -1;
}

bool peer_unix_is_listener(int fd)
{
  int v;
  socklen_t l = sizeof v;

  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_UNIX) return false;
  l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0 || v != SOCK_STREAM) return false;
  l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || !v) return false;
  return true;
}
