#include "attach_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "attach.h"
#include "buf.h"
#include "die.h"
#include "fd.h"
#include "peer_cred.h"
#include "scan.h"
#include "tty.h"

extern char **environ;

static int sigpipe_w = -1;
/* Set once the broker says the command runs ("R"). */
static volatile sig_atomic_t started;

/* Stops this process the way SIGTSTP would have, with the terminal put
 * back first; returns once it is continued. For a SIGTSTP sent to ipcdo
 * in pty mode, and when the broker says the command stopped. */
static void stop_self(void)
{
  struct sigaction dfl, old;
  sigset_t tstp, mask;

  client_tty_restore();
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGTSTP, &dfl, &old);
  sigemptyset(&tstp);
  sigaddset(&tstp, SIGTSTP);
  sigprocmask(SIG_UNBLOCK, &tstp, &mask);
  /* Stops here (unless the process group is orphaned: then the kernel
   * drops the signal, and there is no one to continue us anyway). */
  raise(SIGTSTP);
  sigprocmask(SIG_SETMASK, &mask, 0);
  sigaction(SIGTSTP, &old, 0);
}

static void on_signal(int sig)
{
  unsigned char b = (unsigned char)sig;
  int e = errno;
  bool ends = sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
  /* Told to stop before the command runs (a broker that never answers,
   * or one still deciding): end now, by the signal itself, so that the
   * caller sees the usual 128+sig. Nothing runs yet that the signal
   * should reach; a command the broker starts after this finds the
   * client gone and is stopped. In raw mode the keys that would send
   * these are bytes for the command, so such a signal came from
   * elsewhere: the terminal is put back and ipcdo ends the same way, and
   * the broker stops the command as for any client gone. SIG_DFL and
   * raise are async-signal-safe; the signal stays blocked until the
   * handler returns, then kills us. */
  if ((!started && ends) || (client_tty_is_raw() && (ends || sig == SIGQUIT))) {
    client_tty_restore();
    signal(sig, SIG_DFL);
    raise(sig);
    errno = e;
    return;
  }
  if (write(sigpipe_w, &b, 1) < 0) { /* full: the signal is dropped */ }
  errno = e;
}

static void catch(int sig)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, 0);
}

void client_check_broker(int sock, const char *path)
{
  struct peer_cred pc;
  uint32_t want = 0;
  const char *s = getenv("IPCEXECUID");

  if (s && !scan_id(s, &want)) die_x(EXIT_USAGE, "IPCEXECUID is not a valid uid: %s", s);
  if (peer_cred_get(sock, &pc) < 0) die_sys(EXIT_TEMP, "unable to learn who runs %s", path);
  if (pc.uid != want)
    die_x(EXIT_TEMP, "refusing %s: the broker runs as uid %u, not %u", path, pc.uid, want);
}

/* What the client offers; the broker admits only what the rule keeps. */
static void offered_env(char **out, size_t max)
{
  size_t n = 0, total = 0;
  for (char **e = environ; *e && n < max; e++) {
    size_t len = strlen(*e) + 1;
    if (strncmp(*e, "TERM=", 5) && strncmp(*e, "LANG=", 5) && strncmp(*e, "COLORTERM=", 10) &&
        strncmp(*e, "LANGUAGE=", 9) && strncmp(*e, "LC_", 3))
      continue;
    if (len > 256 || total + len > ATTACH_MAX_ENVLEN) continue;
    out[n++] = *e;
    total += len;
  }
  out[n] = 0;
}

static int send_all(int sock, const char *p, size_t len)
{
  while (len) {
    ssize_t w = send(sock, p, len, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

static void send_msg(int sock, struct buf *m, bool ok)
{
  if (ok) send_all(sock, m->s, m->len);
  buf_free(m);
}

static void send_winsize(int sock, const struct request_pty *pty)
{
  struct request_pty now = *pty;
  struct buf m = BUF_ZERO;
  if (!client_tty_winsize(client_tty_fd(pty), &now)) return;
  send_msg(sock, &m, attach_encode_winsize(&m, now.rows, now.cols, now.xpixel, now.ypixel));
}

/* In pty mode, after a stop (or a SIGCONT from anywhere): the terminal
 * is ours again only if ipcdo is now in its foreground; the broker is told
 * whether to read it, and to continue the command if it had stopped. */
static void resumed(int sock, const struct request_pty *pty, bool *fg, bool *cmd_stopped)
{
  bool now = (pty->mask & 1) && client_tty_foreground();
  struct buf m = BUF_ZERO;
  if (now && !client_tty_raw()) now = false;
  if (*cmd_stopped || now != *fg) send_msg(sock, &m, attach_encode_continue(&m, now));
  *fg = now;
  *cmd_stopped = false;
  send_winsize(sock, pty);
}

int client_attach_run(int sock, enum client_tty_mode ttymode, uint32_t uid, int argc,
    char *const *argv)
{
  static const int fwd[] = ATTACH_SIGNALS;
  char *env[ATTACH_MAX_ENVC + 1];
  struct buf req = BUF_ZERO;
  char magic = ATTACH_MAGIC;
  int fds[3] = { 0, 1, 2 };
  char cbuf[CMSG_SPACE(sizeof fds)];
  struct iovec iov = { &magic, 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *cm;
  struct request_pty pty;
  /* pty mode: the broker said "P"; fg: it reads our terminal (raw);
   * cmd_stopped: it said "Z" and has not been told "C" since. */
  bool on_pty = false, fg = false, cmd_stopped = false;
  int sp[2];
  char in[ATTACH_MAX_MSG * 4];
  size_t inlen = 0;

  client_tty_probe(ttymode, &pty);
  offered_env(env, ATTACH_MAX_ENVC);
  if (!attach_encode(&req, uid, argc, argv, env, &pty)) die_x(EXIT_USAGE, "arguments too long");

  /* Signals become bytes on a pipe, read by the loop below. */
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0) die_sys(EXIT_TEMP, "unable to create pipe");
  sigpipe_w = sp[1];
  for (size_t i = 0; i < sizeof fwd / sizeof *fwd; i++) catch(fwd[i]);
  signal(SIGPIPE, SIG_IGN);

  memset(cbuf, 0, sizeof cbuf);
  cm = CMSG_FIRSTHDR(&msg);
  if (!cm) die_x(EXIT_TEMP, "unable to build the descriptor message");
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof fds);
  memcpy(CMSG_DATA(cm), fds, sizeof fds);
  for (;;) {
    ssize_t w = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (w == 1) break;
    if (w < 0 && errno == EINTR) continue;
    die_sys(EXIT_TEMP, "unable to send request");
  }
  if (send_all(sock, req.s, req.len) < 0) die_sys(EXIT_TEMP, "unable to send request");
  buf_free(&req);

  for (;;) {
    struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = sp[0], .events = POLLIN } };
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die_sys(EXIT_TEMP, "unable to poll");
    }
    if (p[1].revents & POLLIN) {
      unsigned char sigs[16];
      ssize_t n = read(sp[0], sigs, sizeof sigs);
      for (ssize_t i = 0; i < n; i++) {
        struct buf m = BUF_ZERO;
        /* With a pty the window size travels as such: the broker sets it
         * on the pty, whose kernel sends SIGWINCH itself. */
        if (on_pty && sigs[i] == SIGWINCH) {
          send_winsize(sock, &pty);
        } else if (sigs[i] == SIGCONT) {
          resumed(sock, &pty, &fg, &cmd_stopped);
        } else if (sigs[i] == SIGTSTP) {
          /* Stopped by someone (in raw mode no key sends it): the broker
           * stops reading the terminal first, which the shell gets back;
           * the command runs on. SIGCONT's byte takes it from there. */
          if (fg) send_msg(sock, &m, attach_encode_continue(&m, false));
          fg = false;
          stop_self();
        } else {
          send_msg(sock, &m, attach_encode_signal(&m, sigs[i]));
        }
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      struct attach_msg m;
      size_t used;
      ssize_t n = recv(sock, in + inlen, sizeof in - inlen, 0);
      if (n < 0 && errno == EINTR) continue;
      /* A reset is how a broker that stopped reading mid-request hangs up. */
      if (n < 0 && errno != ECONNRESET) die_sys(EXIT_TEMP, "unable to read from the broker");
      if (n <= 0)
        die_x(EXIT_TEMP, "the broker closed the connection without a status "
            "(a broker without attached mode? try -o)");
      inlen += (size_t)n;
      /* "R" may arrive together with the status: every whole message in
       * the buffer is taken before the next read. */
      for (;;) {
        enum request_status st = attach_parse_msg(in, inlen, &m, &used);
        if (st == REQUEST_MORE) {
          if (inlen == sizeof in) die_x(EXIT_TEMP, "unexpected reply from the broker");
          break;
        }
        if (st == REQUEST_BAD)
          die_x(EXIT_TEMP, "unexpected reply from the broker (a broker without attached mode? try -o)");
        memmove(in, in + used, inlen - used);
        inlen -= used;
        switch (m.kind) {
          case 'P':
            if (!pty.want || started) die_x(EXIT_TEMP, "unexpected reply from the broker");
            on_pty = true;
            continue;
          case 'R':
            /* The command runs: signals are forwarded from now on. With a
             * pty and in the foreground, the terminal goes raw: its keys
             * are the command's, through the pty's line discipline. */
            started = 1;
            if (on_pty) {
              struct buf c = BUF_ZERO;
              catch(SIGCONT);
              catch(SIGTSTP);
              /* The broker holds the command's output, and our keys, until
               * told where we are: raw first, then C1 (C0 in the
               * background, or moved there since the request). */
              fg = pty.fg && (pty.mask & 1) && client_tty_foreground() && client_tty_raw();
              send_msg(sock, &c, attach_encode_continue(&c, fg));
            }
            continue;
          case 'Z':
            if (!on_pty) die_x(EXIT_TEMP, "unexpected reply from the broker");
            /* The command stopped (^Z on its pty): so does ipcdo, as a
             * local command's shell would see it, if it holds the
             * terminal. In the background, or without raw mode, the stop
             * came from elsewhere: whoever stopped it continues it. */
            cmd_stopped = true;
            if (client_tty_is_raw()) stop_self();
            continue;
          case 'E':
            client_tty_restore();
            return m.value;
          case 'S':
            client_tty_restore();
            return 128 + m.value;
          case 'D': die_x(EXIT_PERM, "request denied");
          case 'F':
            if (pty.want && !started)
              die_x(EXIT_TEMP, "the broker could not run the request (see its log; "
                  "a broker without pty mode? try -T)");
            die_x(EXIT_TEMP, "the broker could not run the request (see its log)");
          default: die_x(EXIT_TEMP, "unexpected reply from the broker");
        }
      }
    }
  }
}
