#include "tty.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "die.h"

static struct termios saved;
static volatile sig_atomic_t raw;

void client_tty_probe(enum client_tty_mode mode, struct request_pty *p)
{
  int fd;

  memset(p, 0, sizeof *p);
  if (mode == CLIENT_TTY_NEVER) return;
  for (int i = 0; i < 3; i++)
    if (isatty(i)) p->mask |= 1u << i;
  if (!p->mask) {
    if (mode == CLIENT_TTY_FORCE)
      die_x(EXIT_USAGE, "-t: none of standard input, output and error is a terminal");
    return;
  }
  p->want = true;
  p->forced = mode == CLIENT_TTY_FORCE;
  /* Only a foreground ipcdo lets the broker read its terminal: one in the
   * background (ipcdo ... &) must not take the input of whatever is in
   * the foreground, nor touch the terminal's modes. */
  p->fg = client_tty_foreground();
  fd = client_tty_fd(p);
  client_tty_winsize(fd, p);
  if (ttyname_r(fd, p->name, sizeof p->name) != 0) p->name[0] = 0;
  /* What the request may carry: printable, no space (the broker checks
   * again, and more strictly, before it believes any of it). */
  for (char *s = p->name; *s; s++)
    if (*s < 33 || *s > 126) {
      p->name[0] = 0;
      break;
    }
}

int client_tty_fd(const struct request_pty *p)
{
  if (p->mask & 2) return 1;
  if (p->mask & 4) return 2;
  return 0;
}

bool client_tty_winsize(int fd, struct request_pty *p)
{
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return false;
  p->rows = ws.ws_row;
  p->cols = ws.ws_col;
  p->xpixel = ws.ws_xpixel;
  p->ypixel = ws.ws_ypixel;
  return true;
}

bool client_tty_foreground(void)
{
  pid_t fg = tcgetpgrp(0);
  return fg >= 0 && fg == getpgrp();
}

bool client_tty_raw(void)
{
  struct termios t;
  if (raw) return true;
  if (tcgetattr(0, &saved) < 0) return false;
  t = saved;
  /* cfmakeraw(3), spelled out: no input or output processing, no echo,
   * no signals from keys (^C, ^Z, ^\ go to the command's own pty as
   * bytes), a byte at a time. */
  t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_oflag &= ~(tcflag_t)OPOST;
  t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  /* Set before the change: a signal arriving in between restores too. */
  raw = 1;
  if (tcsetattr(0, TCSADRAIN, &t) < 0) {
    raw = 0;
    return false;
  }
  die_cleanup = client_tty_restore;
  return true;
}

void client_tty_restore(void)
{
  sigset_t ttou, old;
  int e = errno;
  if (!raw) return;
  /* A process that is no longer in the foreground would be stopped by
   * SIGTTOU for changing the terminal; blocked, the change goes through. */
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  sigprocmask(SIG_BLOCK, &ttou, &old);
  while (tcsetattr(0, TCSANOW, &saved) < 0 && errno == EINTR)
    ;
  sigprocmask(SIG_SETMASK, &old, 0);
  raw = 0;
  errno = e;
}

bool client_tty_is_raw(void)
{
  return raw != 0;
}
