#ifndef COMMON_FD_H
#define COMMON_FD_H

#include <stddef.h>
#include <sys/types.h>

/* Write all of buf, retrying on EINTR and short writes. 0 or -1 (errno). */
int fd_write_all(int fd, const void *buf, size_t len);
/* Read until len bytes or EOF, retrying on EINTR. Returns bytes read or -1. */
ssize_t fd_read_full(int fd, void *buf, size_t len);
int fd_cloexec(int fd);
int fd_nonblock(int fd, int on);
/* dup2 from -> to unless equal; the result is not close-on-exec. */
int fd_move(int to, int from);
int fd_copy(int to, int from);
/* Make sure fds 0, 1 and 2 exist, opening /dev/null for a missing one. */
int fd_ensure_std(void);
/* Close every descriptor >= lowfd (close_range, with a fallback). */
void fd_close_from(int lowfd);

#endif
