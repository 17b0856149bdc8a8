#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "buf.h"
#include "clock.h"
#include "fd.h"

static struct exec_relay_hooks hooks;

void exec_relay_set_hooks(const struct exec_relay_hooks *h)
{
  if (h) hooks = *h;
  else memset(&hooks, 0, sizeof hooks);
}

static void data_hook(int stream, const void *buf, size_t n)
{
  if (hooks.on_data) hooks.on_data(hooks.ctx, stream, buf, n);
}

static void set_winsize(struct exec_pty *p, unsigned rows, unsigned cols, unsigned x, unsigned y)
{
  struct winsize ws = { (unsigned short)rows, (unsigned short)cols, (unsigned short)x, (unsigned short)y };
  /* The pty's kernel sends SIGWINCH to the command's foreground process
   * group when the size changes. */
  ioctl(p->master, TIOCSWINSZ, &ws);
  if (hooks.on_winsize) hooks.on_winsize(hooks.ctx, rows, cols, x, y);
}

/* The caller's terminal on fd, opened anew for the relay: a file
 * description of our own, non-blocking, so that neither a full terminal
 * nor a reader racing us can block the supervisor, while the caller's own
 * description (shared with its shell) keeps its flags; setting O_NONBLOCK
 * on that one would break the shell, and stay set if we died. Safe as
 * root: the path is the kernel's magic link to the very file the caller
 * passed, not one anybody could prepare, and it is opened with the
 * caller's own access mode, so the relay can do nothing with it the
 * caller could not; O_NOCTTY, so it never becomes our terminal. A pty
 * master (which the link would open as a new pty), /dev/tty, or a
 * descriptor that does not reopen as the same device is used as it is
 * (dup), blocking. -1 on failure. */
static int relay_fd(int fd, bool *blocking)
{
  char path[32];
  struct stat a, b;
  int flags = fcntl(fd, F_GETFL), n, ptn;

  *blocking = false;
  if (flags < 0 || fstat(fd, &a) < 0) return -1;
  /* /dev/tty (5,0) would reopen as our own controlling terminal, if we
   * had one, not the caller's. */
  if (S_ISCHR(a.st_mode) && a.st_rdev != makedev(5, 0) && ioctl(fd, TIOCGPTN, &ptn) < 0) {
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = open(path, (flags & O_ACCMODE) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (n >= 0 && fstat(n, &b) == 0 && S_ISCHR(b.st_mode) && b.st_rdev == a.st_rdev) return n;
    if (n >= 0) close(n);
  }
  *blocking = true;
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static void close_fd(int *fd)
{
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

int exec_pty_open(struct exec_pty *p, const struct request *req, uint32_t target_uid,
    const char **why)
{
  const struct request_pty *rq = &req->pty;
  struct termios t;
  int e, first = -1, outfd;

  memset(p, 0, sizeof *p);
  p->master = p->slave = p->in = p->out = -1;
  p->mask = rq->mask & 7;
  for (int i = 0; i < 3; i++) {
    if (!(p->mask & (1u << i))) continue;
    /* The client's word, checked: the relay reads and writes only
     * terminals. */
    if (tcgetattr(req->fds[i], &t) < 0) {
      *why = "a descriptor the client called a terminal is not one";
      errno = ENOTTY;
      return -1;
    }
    if (first < 0) first = i;
  }
  if (first < 0) {
    *why = "no terminal for the pty";
    errno = ENOTTY;
    return -1;
  }

  /* A fresh pty of root's, never a path: /dev/ptmx hands out a new pair,
   * and the slave comes from the master itself (TIOCGPTPEER), so no name
   * in /dev/pts is looked up. Neither becomes our controlling terminal. */
  *why = "unable to open a pseudo-terminal";
  p->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p->master < 0) goto fail;
  if (grantpt(p->master) < 0 || unlockpt(p->master) < 0) goto fail;
  p->slave = ioctl(p->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p->slave < 0) {
    /* Before Linux 4.13: by name, which devpts (root's) gave us. */
    char name[64];
    if (ptsname_r(p->master, name, sizeof name) != 0) goto fail;
    p->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW);
    if (p->slave < 0) goto fail;
  }
  if (fd_nonblock(p->master, 1) < 0) goto fail;

  /* The caller's modes (its erase and interrupt keys, say) to start with,
   * as its terminal had them before ipcdo made it raw: ipcdo does that
   * only once the command runs. */
  if (tcgetattr(req->fds[first], &t) == 0) tcsetattr(p->slave, TCSANOW, &t);
  set_winsize(p, rq->rows, rq->cols, rq->xpixel, rq->ypixel);
  /* The slave is the target's, as a login's terminal is the user's: a
   * program that opens it by name (ttyname) can. Our own descriptor, no
   * path: it changes this pty's node and nothing else, and the node goes
   * with the pty. */
  if (fchown(p->slave, (uid_t)target_uid, (gid_t)-1) < 0) goto fail;

  *why = "unable to open the caller's terminal for the relay";
  if (p->mask & 1) {
    p->in = relay_fd(req->fds[0], &p->in_blocking);
    if (p->in < 0) goto fail;
  }
  /* The output goes where a local command's would be seen: stdout's
   * terminal, else stderr's, else (only stdin is one) stdin's, which
   * may well be writable; where it is not, the output is dropped. */
  outfd = p->mask & 2 ? 1 : p->mask & 4 ? 2 : 0;
  p->out = relay_fd(req->fds[outfd], &p->out_blocking);
  if (p->out < 0) goto fail;
  /* Nothing is written to the caller's terminal, nor read from it, before
   * the client's first C: it answers R with it once its terminal is raw
   * (or it is in the background), so that no output of the command meets
   * a terminal in canonical mode and no key is echoed twice. */
  p->fg = false;
  p->held = true;
  *why = 0;
  return 0;

fail:
  e = errno;
  exec_pty_close(p);
  errno = e;
  return -1;
}

int exec_pty_child_fds(const struct exec_pty *p, const int from[3])
{
  int ctty = -1;
  for (int i = 0; i < 3; i++) {
    bool tty = (p->mask & (1u << i)) != 0;
    if (dup2(tty ? p->slave : from[i], i) < 0) return -1;
    if (tty && ctty < 0) ctty = i;
  }
  return ctty;
}

/* The monitor: root, in the command's session and cgroup, holding no
 * descriptor. The target cannot signal or trace it (another uid, not
 * dumpable), and the only signals the terminal could send its process
 * group, if the command made that the foreground (tcsetpgrp), are passed
 * on to the command like any other, or, for the stop signals, dropped by
 * the kernel: this process group is orphaned. */
static _Noreturn void monitor(pid_t cmd, sigset_t *all)
{
  struct rlimit nocore = { 0, 0 };
  struct sigaction dfl;

  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  setrlimit(RLIMIT_CORE, &nocore);
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  /* The slave (the master must see the end when the command's side is
   * closed) and the report channel (the supervisor waits for the exec). */
  fd_close_from(0);
  /* The command is looked for before every wait, the first one too: it
   * may have ended before this process got here, and a SIGCHLD pending
   * from then can be gone (setting SIGCHLD's action to SIG_DFL, its
   * default being to ignore, discards a pending one: exec_pty_session
   * does that before the fork, but the command's end must not depend on
   * it). */
  for (;;) {
    siginfo_t si;
    int sig, st;
    pid_t w;
    while ((w = waitpid(cmd, &st, WNOHANG | WUNTRACED)) > 0) {
      if (WIFSTOPPED(st)) {
        /* The supervisor sees this stop, tells the client, and continues
         * us (SIGCONT, passed on below) when the client says so. */
        raise(SIGSTOP);
        continue;
      }
      if (WIFEXITED(st)) _exit(WEXITSTATUS(st));
      sig = WTERMSIG(st);
      sigaction(sig, &dfl, 0);
      sigdelset(all, sig);
      sigprocmask(SIG_SETMASK, all, 0);
      raise(sig);
      _exit(128 + sig);   /* a signal that does not kill by default */
    }
    sig = sigwaitinfo(all, &si);
    /* SIGCONT after our own stop, too: the command goes on with us. */
    if (sig > 0 && sig != SIGCHLD) kill(-cmd, sig);
  }
}

int exec_pty_session(int ctty)
{
  sigset_t all, old;
  pid_t cmd;

  /* Its own session, whose controlling terminal is the command's fresh
   * pty, never the caller's: TIOCSCTTY with 0 steals no terminal that is
   * another session's. */
  if (setsid() < 0 || ioctl(ctty, TIOCSCTTY, 0) < 0) return -1;
  /* No signal between the fork and the monitor's first wait is lost:
   * they wait, blocked, for sigwaitinfo. */
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  /* SIGCHLD at its default for the monitor (an ignored one would reap the
   * command for it), set while no child can have sent one. */
  {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGCHLD, &dfl, 0);
  }
  cmd = fork();
  if (cmd < 0) {
    sigprocmask(SIG_SETMASK, &old, 0);
    return -1;
  }
  if (cmd > 0) monitor(cmd, &all);
  /* The command's process group, the terminal's foreground (SIGTTOU,
   * which a background tcsetpgrp would get, is blocked here). */
  if (setpgid(0, 0) < 0 || tcsetpgrp(ctty, getpid()) < 0) return -1;
  sigprocmask(SIG_SETMASK, &old, 0);
  return 0;
}

void exec_pty_started(struct exec_pty *p)
{
  close_fd(&p->slave);
}

void exec_pty_poll(struct exec_pty *p, struct pollfd *pfd, int *timeout)
{
  for (int i = 0; i < EXEC_PTY_NPOLL; i++) {
    pfd[i].fd = -1;
    pfd[i].events = 0;
    pfd[i].revents = 0;
  }
  if (!p->master_hup) {
    pfd[0].fd = p->master;
    if (p->outlen < sizeof p->outbuf) pfd[0].events |= POLLIN;
    if (p->inlen) pfd[0].events |= POLLOUT;
  } else if (*timeout < 0 || *timeout > 100) {
    /* No slave is open (the master would report POLLHUP without end):
     * look again now and then, in case the command opens its terminal
     * anew (/dev/tty). */
    *timeout = 100;
  }
  if (p->in >= 0 && p->fg && !p->stopped && !p->in_eof && p->inlen < sizeof p->inbuf) {
    pfd[1].fd = p->in;
    pfd[1].events = POLLIN;
  }
  if (p->out >= 0 && p->outlen && !p->out_dead && !p->held) {
    pfd[2].fd = p->out;
    pfd[2].events = POLLOUT;
  }
}

/* Reads the pty's output into outbuf; false at its end (no slave open). */
static bool read_master(struct exec_pty *p)
{
  ssize_t n;
  if (p->outlen == sizeof p->outbuf) return true;   /* full: the caller's terminal first */
  n = read(p->master, p->outbuf + p->outlen, sizeof p->outbuf - p->outlen);
  if (n > 0) {
    data_hook(EXEC_STREAM_TTY_OUT, p->outbuf + p->outlen, (size_t)n);
    /* With nowhere to write it, it is dropped, so that the command never
     * blocks on a full pty. */
    if (p->out >= 0 && !p->out_dead) p->outlen += (size_t)n;
    p->master_hup = false;
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  /* EIO: every descriptor of the slave is closed. */
  p->master_hup = true;
  return false;
}

static void write_out(struct exec_pty *p)
{
  /* A descriptor we could not make our own blocks: small writes, only
   * when poll says there is room, keep the wait short. */
  size_t len = p->out_blocking && p->outlen > 128 ? 128 : p->outlen;
  ssize_t n = write(p->out, p->outbuf, len);
  if (n > 0) {
    memmove(p->outbuf, p->outbuf + n, p->outlen - (size_t)n);
    p->outlen -= (size_t)n;
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    /* hung up, or not writable: the rest is dropped from now on */
    p->out_dead = true;
    p->outlen = 0;
  }
}

void exec_pty_io(struct exec_pty *p, const struct pollfd *pfd)
{
  if (pfd[1].fd >= 0 && pfd[1].revents) {
    size_t room = sizeof p->inbuf - p->inlen;
    ssize_t n;
    int avail;
    /* Blocking: no more than is there, so that the read returns at once. */
    if (p->in_blocking && ioctl(p->in, FIONREAD, &avail) == 0 && avail >= 0 && (size_t)avail < room)
      room = avail ? (size_t)avail : 1;
    n = read(p->in, p->inbuf + p->inlen, room);
    if (n > 0) {
      data_hook(EXEC_STREAM_TTY_IN, p->inbuf + p->inlen, (size_t)n);
      p->inlen += (size_t)n;
    } else if (n < 0 ? errno != EAGAIN && errno != EINTR : (pfd[1].revents & (POLLHUP | POLLERR)) != 0) {
      /* The caller's terminal hung up. (A read of 0 without a hangup is
       * a ^D the terminal took while still in canonical mode.) */
      p->in_eof = true;
    }
  }
  if (p->master_hup) {
    read_master(p);
  } else if (pfd[0].revents) {
    if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) read_master(p);
    if (p->inlen && !p->master_hup) {
      ssize_t n = write(p->master, p->inbuf, p->inlen);
      if (n > 0) {
        memmove(p->inbuf, p->inbuf + n, p->inlen - (size_t)n);
        p->inlen -= (size_t)n;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        p->inlen = 0;
      }
    }
  }
  if (p->master_hup) p->inlen = 0;   /* no one left to read it */
  if (pfd[2].fd >= 0 && pfd[2].revents) write_out(p);
}

bool exec_pty_message(struct exec_pty *p, const struct attach_msg *m, pid_t pid)
{
  switch (m->kind) {
    case 'W':
      set_winsize(p, m->rows, m->cols, m->xpixel, m->ypixel);
      return true;
    case 'C':
      /* The client is back (fg) or in the background: its terminal is
       * read only in the first case. A stopped command goes on. */
      p->fg = m->value && p->in >= 0;
      p->held = false;
      if (p->stopped) {
        kill(-pid, SIGCONT);
        kill(pid, SIGCONT);
        p->stopped = false;
      }
      return true;
  }
  return false;
}

void exec_pty_stopped(struct exec_pty *p, int sock)
{
  struct buf b = BUF_ZERO;
  /* Whoever holds the caller's terminal now (its shell, once ipcdo stops
   * too) gets its input. */
  p->stopped = true;
  p->fg = false;
  if (sock >= 0 && attach_encode_status(&b, 'Z', 0)) send(sock, b.s, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
  buf_free(&b);
}

void exec_pty_drain(struct exec_pty *p)
{
  long long deadline = clock_ms() + EXEC_PTY_DRAIN_MS;
  p->fg = false;
  p->inlen = 0;
  for (;;) {
    struct pollfd pfd[2] = { { .fd = -1 }, { .fd = -1 } };
    long long left = deadline - clock_ms();
    if (!p->master_hup && p->outlen < sizeof p->outbuf) {
      pfd[0].fd = p->master;
      pfd[0].events = POLLIN;
    }
    if (p->outlen && !p->out_dead) {
      pfd[1].fd = p->out;
      pfd[1].events = POLLOUT;
    }
    if (pfd[0].fd < 0 && pfd[1].fd < 0) break;
    if (left <= 0 || poll(pfd, 2, (int)left) <= 0) break;
    if (pfd[0].revents) read_master(p);
    if (pfd[1].revents) write_out(p);
  }
}

void exec_pty_close(struct exec_pty *p)
{
  close_fd(&p->master);
  close_fd(&p->slave);
  close_fd(&p->in);
  close_fd(&p->out);
}
