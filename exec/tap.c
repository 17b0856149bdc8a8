#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "clock.h"
#include "fd.h"

/* Writes that cannot be made non-blocking go in pieces no larger than a
 * pipe takes at once when poll says it has room. */
#define SMALL_WRITE 512

static void close_fd(int *fd)
{
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* The caller's descriptor fd, for the relay's own use: writing (an
 * output) or reading (the input). A socket is duplicated and used with
 * MSG_DONTWAIT, which leaves its flags alone. A pipe or FIFO is opened
 * anew, non-blocking: safe as root, as the path is the kernel's magic link
 * to the very pipe the caller passed (compared by device and inode after
 * the open), and it is opened only in a direction the caller's own
 * descriptor allows. Anything else (a regular file, with its offset and
 * O_APPEND; /dev/null) is duplicated; a device is written in small
 * pieces. A character device is never opened anew: opening some has
 * effects. -1 on failure. */
static int own_fd(struct exec_tap_dir *d, int fd, bool writing)
{
  struct stat a, b;
  int flags = fcntl(fd, F_GETFL), acc, n;

  if (flags < 0 || fstat(fd, &a) < 0) return -1;
  acc = flags & O_ACCMODE;
  if (S_ISSOCK(a.st_mode)) {
    if (writing) d->wr_sock = true;
    else d->rd_sock = true;
  } else if (S_ISFIFO(a.st_mode) && (writing ? acc != O_RDONLY : acc != O_WRONLY)) {
    char path[32];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = open(path, (writing ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (n >= 0 && fstat(n, &b) == 0 && S_ISFIFO(b.st_mode) && b.st_dev == a.st_dev && b.st_ino == a.st_ino)
      return n;
    if (n >= 0) close(n);
    d->wr_small = writing;
  } else if (!S_ISREG(a.st_mode)) {
    d->wr_small = writing;
  }
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

int exec_tap_open(struct exec_tap *t, unsigned mask, const int from[3], int to[3],
    const char **why)
{
  struct sigaction ign;
  int e;

  for (int i = 0; i < 3; i++) {
    struct exec_tap_dir *d = &t->d[i];
    memset(d, 0, offsetof(struct exec_tap_dir, buf));
    d->rd = d->wr = d->child = -1;
    d->input = i == 0;
    to[i] = from[i];
  }
  *why = "unable to create a pipe for the recording";
  for (int i = 0; i < 3; i++) {
    struct exec_tap_dir *d = &t->d[i];
    int p[2];
    if (!(mask & (1u << i))) continue;
    d->on = true;
    if (pipe2(p, O_CLOEXEC) < 0) goto fail;
    if (d->input) {
      d->child = p[0];
      d->wr = p[1];
    } else {
      d->rd = p[0];
      d->child = p[1];
    }
    /* The supervisor's end of its own pipe. */
    if (fd_nonblock(d->input ? d->wr : d->rd, 1) < 0) goto fail;
    *why = "unable to take the caller's descriptor for the recording";
    if (d->input) d->rd = own_fd(d, from[i], false);
    else d->wr = own_fd(d, from[i], true);
    if ((d->input ? d->rd : d->wr) < 0) goto fail;
    *why = "unable to create a pipe for the recording";
    to[i] = d->child;
  }
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, 0);
  *why = 0;
  return 0;

fail:
  e = errno;
  exec_tap_close(t);
  errno = e;
  return -1;
}

void exec_tap_started(struct exec_tap *t)
{
  for (int i = 0; i < 3; i++) close_fd(&t->d[i].child);
}

void exec_tap_poll(struct exec_tap *t, struct pollfd *pfd)
{
  for (int i = 0; i < 3; i++) {
    struct exec_tap_dir *d = &t->d[i];
    struct pollfd *r = &pfd[2 * i], *w = &pfd[2 * i + 1];
    r->fd = w->fd = -1;
    r->events = w->events = 0;
    r->revents = w->revents = 0;
    if (!d->on) continue;
    if (d->rd >= 0 && !d->eof && d->len < sizeof d->buf) {
      r->fd = d->rd;
      r->events = POLLIN;
    }
    if (d->wr >= 0 && d->len) {
      w->fd = d->wr;
      w->events = POLLOUT;
    }
  }
}

/* The caller's side is gone (or the command closed its stdin): nothing
 * more is passed this way. An output's pipe is closed, so the command's
 * next write fails as it would have on the caller's descriptor. */
static void dir_dead(struct exec_tap_dir *d)
{
  d->len = 0;
  d->eof = true;
  close_fd(&d->rd);
  close_fd(&d->wr);
}

static void dir_read(struct exec_tap *t, struct exec_tap_dir *d, int i)
{
  size_t room = sizeof d->buf - d->len;
  ssize_t n;
  if (d->rd < 0 || d->eof || !room) return;
  n = d->rd_sock ? recv(d->rd, d->buf + d->len, room, MSG_DONTWAIT) : read(d->rd, d->buf + d->len, room);
  if (n > 0) {
    if (!d->input && t->on_data) t->on_data(t->ctx, i, d->buf + d->len, (size_t)n);
    d->len += (size_t)n;
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  d->eof = true;
  close_fd(&d->rd);
}

/* Returns true when bytes moved. */
static bool dir_write(struct exec_tap_dir *d)
{
  size_t len = d->wr_small && d->len > SMALL_WRITE ? SMALL_WRITE : d->len;
  ssize_t n = 0;
  if (d->wr < 0) return false;
  if (len) {
    n = d->wr_sock ? send(d->wr, d->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) : write(d->wr, d->buf, len);
    if (n > 0) {
      memmove(d->buf, d->buf + n, d->len - (size_t)n);
      d->len -= (size_t)n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      dir_dead(d);
      return false;
    }
  }
  /* All passed on: the other side sees the end too (the command its
   * stdin's; the caller, its descriptor let go). */
  if (d->eof && !d->len) close_fd(&d->wr);
  return n > 0;
}

void exec_tap_io(struct exec_tap *t, const struct pollfd *pfd)
{
  for (int i = 0; i < 3; i++) {
    struct exec_tap_dir *d = &t->d[i];
    if (!d->on) continue;
    if (pfd[2 * i].fd >= 0 && pfd[2 * i].revents) dir_read(t, d, i);
    if (pfd[2 * i + 1].fd >= 0 && pfd[2 * i + 1].revents) dir_write(d);
    else if (d->eof && !d->len) close_fd(&d->wr);
  }
}

void exec_tap_drain(struct exec_tap *t)
{
  long long deadline = clock_ms() + EXEC_TAP_DRAIN_MS;
  /* Nobody reads the command's stdin any more. */
  if (t->d[0].on) dir_dead(&t->d[0]);
  for (;;) {
    struct pollfd pfd[EXEC_TAP_NPOLL];
    long long left = deadline - clock_ms();
    int live = 0;
    exec_tap_poll(t, pfd);
    for (int i = 0; i < EXEC_TAP_NPOLL; i++) live += pfd[i].fd >= 0;
    if (!live || left <= 0 || poll(pfd, EXEC_TAP_NPOLL, (int)left) <= 0) break;
    for (int i = 1; i < 3; i++) {
      struct exec_tap_dir *d = &t->d[i];
      if (!d->on) continue;
      if (pfd[2 * i].fd >= 0 && pfd[2 * i].revents) dir_read(t, d, i);
      /* as long as the caller takes some, it may take the rest */
      if (pfd[2 * i + 1].fd >= 0 && pfd[2 * i + 1].revents && dir_write(d))
        deadline = clock_ms() + EXEC_TAP_DRAIN_MS;
      else if (d->eof && !d->len) close_fd(&d->wr);
    }
  }
}

void exec_tap_close(struct exec_tap *t)
{
  for (int i = 0; i < 3; i++) {
    struct exec_tap_dir *d = &t->d[i];
    close_fd(&d->rd);
    close_fd(&d->wr);
    close_fd(&d->child);
    d->on = false;
  }
}
