#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/syscall.h>

int fd_write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

ssize_t fd_read_full(int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, p + got, len - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  return (ssize_t)got;
}

int fd_cloexec(int fd)
{
  int f = fcntl(fd, F_GETFD);
  if (f < 0) return -1;
  return fcntl(fd, F_SETFD, f | FD_CLOEXEC);
}

int fd_nonblock(int fd, int on)
{
  int f = fcntl(fd, F_GETFL);
  if (f < 0) return -1;
  return fcntl(fd, F_SETFL, on ? (f | O_NONBLOCK) : (f & ~O_NONBLOCK));
}

int fd_copy(int to, int from)
{
  if (to == from) return 0;
  return dup2(from, to) < 0 ? -1 : 0;
}

int fd_move(int to, int from)
{
  if (to == from) {
    int f = fcntl(to, F_GETFD);
    if (f < 0) return -1;
    return fcntl(to, F_SETFD, f & ~FD_CLOEXEC);
  }
  if (dup2(from, to) < 0) return -1;
  close(from);
  return 0;
}

int fd_ensure_std(void)
{
  int fd;
  for (fd = 0; fd < 3; fd++) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    if (errno != EBADF) return -1;
    int n = open("/dev/null", O_RDWR);
    if (n < 0) return -1;
    if (n != fd) {
      if (dup2(n, fd) < 0) return -1;
      close(n);
    }
  }
  return 0;
}

void fd_close_from(int lowfd)
{
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  if (max < 0 || max > 65536) max = 65536;
  for (long fd = lowfd; fd < max; fd++) close((int)fd);
}
