#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "attach.h"
#include "audit.h"
#include "buf.h"
#include "die.h"
#include "fd.h"
#include "sandbox.h"

static long long now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The child. In 0.70 mode fds 0 and 1 are the socket and 2 the log; in
 * attached mode 0-2 become the caller's own descriptors. Never returns. */
static void child(struct exec_decision *d, const struct request *req, int sock, int report)
{
  struct sandbox_plan plan = {
    .policy = &d->policy, .ids = &d->ids, .envp = d->env.v,
    .path = d->path, .argv = d->argv, .keepfd = 3,
  };
  const char *why = "unable to run command";
  char msg[512];
  int err;

  /* 0-2 first: the received descriptors may sit on 3, which the report
   * channel takes next. */
  if (req->extended) {
    for (int i = 0; i < 3; i++)
      if (dup2(req->fds[i], i) < 0) _exit(111);
  } else {
    /* Under ipcserver, 0 reads and 1 writes as they are; a preforked
     * server hands over a socket on another descriptor. */
    if (sock > 2 && (dup2(sock, 0) < 0 || dup2(sock, 1) < 0)) _exit(111);
    if (d->policy.errout && dup2(1, 2) < 0) _exit(111);
  }
  if (report != 3 && dup3(report, 3, O_CLOEXEC) < 0) _exit(111);
  sandbox_exec(&plan, &why);
  err = errno;
  /* Tell the supervisor what failed; it owns the log line. */
  snprintf(msg, sizeof msg, "%s: %s", why, strerror(err));
  fd_write_all(3, msg, strlen(msg));
  _exit(111);
}

void exec_send_status(int sock, char kind, int value)
{
  struct buf b = BUF_ZERO;
  if (attach_encode_status(&b, kind, value)) {
    size_t off = 0;
    while (off < b.len) {
      ssize_t w = send(sock, b.s + off, b.len - off, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += (size_t)w;
    }
  }
  buf_free(&b);
}

/* The client's side of the socket, in attached mode: signal requests, or
 * the end of the stream when the client is gone. Returns false once the
 * client is gone or misbehaves; true while it may still speak. */
static bool client_input(int sock, pid_t pid, char *in, size_t *inlen)
{
  ssize_t n = recv(sock, in + *inlen, ATTACH_MAX_MSG * 4 - *inlen, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  *inlen += (size_t)n;
  for (;;) {
    char kind;
    int value;
    size_t used;
    enum request_status st = attach_parse_msg(in, *inlen, &kind, &value, &used);
    if (st == REQUEST_MORE) return *inlen < ATTACH_MAX_MSG * 4;
    if (st == REQUEST_BAD || kind != 'K' || !attach_signal_allowed(value)) {
      warn_x("ignoring a malformed message from the client");
      return false;
    }
    kill(-pid, value);
    memmove(in, in + used, *inlen - used);
    *inlen -= used;
  }
}

/* pid's parent and session, from /proc/PID/stat; false if it is gone. */
static bool proc_ids(const char *pid, pid_t *ppid, pid_t *sid)
{
  char path[64], buf[512], *p;
  int fd, n;
  long pp, pg, se;
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  n = (int)read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  /* the command name may hold anything, even ") "; the fields after the
   * last ')' are fixed */
  p = strrchr(buf, ')');
  if (!p || sscanf(p + 1, " %*c %ld %ld %ld", &pp, &pg, &se) != 3) return false;
  *ppid = (pid_t)pp;
  *sid = (pid_t)se;
  return true;
}

/* After the command has ended (or been stopped), whatever it left behind is
 * killed: background processes in its session, and, since the supervisor
 * is a subreaper, every orphan of the command's tree, even one that left
 * the session. Nothing keeps running on the client's descriptors or the
 * caller's terminal. Costs one waitpid when the command left nothing. */
static void kill_leftovers(pid_t sid)
{
  pid_t me = getpid();
  for (int round = 0; round < 200; round++) {
    struct timespec pause = { 0, 5 * 1000 * 1000 };
    DIR *d;
    struct dirent *e;
    int st;
    pid_t r = waitpid(-1, &st, WNOHANG);
    if (r < 0) return;                 /* ECHILD: nothing is left */
    if (r > 0) continue;
    d = opendir("/proc");
    if (!d) {
      kill(-sid, SIGKILL);
    } else {
      while ((e = readdir(d))) {
        pid_t ppid, psid;
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        if (proc_ids(e->d_name, &ppid, &psid) && (psid == sid || ppid == me))
          kill((pid_t)atol(e->d_name), SIGKILL);
      }
      closedir(d);
    }
    nanosleep(&pause, 0);
  }
  warn_x("processes left by the command could not all be killed");
}

int exec_run(int sock, struct exec_decision *d, const struct exec_caller *c, struct request *req)
{
  int pipefd[2], sfd, status = 0, code;
  sigset_t chld, old;
  long long start = now_us(), stop_at, kill_at = 0;
  bool reaped = false, listening = req->extended, termed = false;
  char msg[520], in[ATTACH_MAX_MSG * 4];
  size_t inlen = 0;
  ssize_t got;
  pid_t pid;
  struct audit a;

  /* SIGCHLD is taken through a signalfd, so that one poll waits for the
   * command, the client and the deadline together. */
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die_sys(111, "unable to create signalfd");

  /* Orphans of the command become ours, so none can escape the end. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (pipe2(pipefd, O_CLOEXEC) < 0) die_sys(111, "unable to create pipe");
  pid = fork();
  if (pid < 0) die_sys(111, "unable to fork");
  if (pid == 0) {
    close(pipefd[0]);
    close(sfd);
    child(d, req, sock, pipefd[1]);
  }
  close(pipefd[1]);

  /* The supervisor lets go of what the command now owns: the caller's
   * descriptors in attached mode; in 0.70 mode the socket itself, so that
   * the client sees EOF exactly when the command is done. */
  for (int i = 0; i < 3; i++)
    if (req->fds[i] >= 0) {
      close(req->fds[i]);
      req->fds[i] = -1;
    }
  if (!req->extended) {
    /* /dev/null takes the socket's place (and, under ipcserver, keeps 0
     * and 1 valid): the caller still owns and closes the descriptor. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, sock);
      if (sock == 0) dup2(null, 1);
      if (null != sock && null > 2) close(null);
    }
    sock = -1;
  } else if (sock == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 1);
      if (null > 2) close(null);
    }
  }

  do got = read(pipefd[0], msg, sizeof msg - 1);
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);
  if (got > 0) {
    msg[got] = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
    kill_leftovers(pid);
    audit_begin(&a, "fail", c->euid, c->egid, d->target_uid, d->cmd);
    audit_str(&a, "error", msg);
    audit_emit(&a);
    if (req->extended) exec_send_status(sock, 'F', 0);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, 0);
    return 111;
  }

  /* The command runs: from now on an attached client forwards the signals
   * it is sent instead of ending at once. */
  if (req->extended) exec_send_status(sock, 'R', 0);

  stop_at = d->policy.timeout ? start + (long long)d->policy.timeout * 1000000 : 0;
  while (!reaped) {
    struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = sock, .events = POLLIN } };
    long long next = kill_at ? kill_at : stop_at, now = now_us();
    int timeout = -1, r;

    if (next) timeout = next > now ? (int)((next - now + 999) / 1000) : 0;
    r = poll(p, listening ? 2 : 1, timeout);
    if (r < 0 && errno != EINTR) die_sys(111, "unable to poll");
    if (r > 0 && (p[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0)
        ;
    }
    if (waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
      break;
    }
    if (listening && r > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!client_input(sock, pid, in, &inlen)) {
        /* The client went away: nothing may keep running on its
         * descriptors. SIGTERM now, SIGKILL after the grace period. */
        listening = false;
        if (!termed) {
          kill(-pid, SIGTERM);
          kill(pid, SIGTERM);
          termed = true;
          kill_at = now_us() + SANDBOX_KILL_GRACE * 1000000LL;
        }
      }
    }
    now = now_us();
    if (kill_at && now >= kill_at) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      kill_at = 0;
      stop_at = 0;
    } else if (stop_at && now >= stop_at && !termed) {
      kill(-pid, SIGTERM);
      kill(pid, SIGTERM);
      termed = true;
      stop_at = 0;
      kill_at = now + SANDBOX_KILL_GRACE * 1000000LL;
      audit_begin(&a, "timeout", c->euid, c->egid, d->target_uid, d->cmd);
      audit_num(&a, "timeout_s", d->policy.timeout);
      audit_emit(&a);
    }
  }
  kill_leftovers(pid);
  close(sfd);
  sigprocmask(SIG_SETMASK, &old, 0);

  audit_begin(&a, "end", c->euid, c->egid, d->target_uid, d->cmd);
  audit_num(&a, "pid", (uint64_t)pid);
  if (WIFEXITED(status)) {
    char st[32];
    snprintf(st, sizeof st, "exit:%d", WEXITSTATUS(status));
    audit_str(&a, "status", st);
    code = WEXITSTATUS(status);
    if (req->extended) exec_send_status(sock, 'E', code);
  } else if (WIFSIGNALED(status)) {
    char st[32];
    snprintf(st, sizeof st, "signal:%d", WTERMSIG(status));
    audit_str(&a, "status", st);
    code = 128 + WTERMSIG(status);
    if (req->extended) exec_send_status(sock, 'S', WTERMSIG(status));
  } else {
    audit_str(&a, "status", "unknown");
    code = 111;
    if (req->extended) exec_send_status(sock, 'F', 0);
  }
  {
    long long us = now_us() - start;
    char dur[32];
    snprintf(dur, sizeof dur, "%lld.%03lld", us / 1000, us % 1000);
    audit_str(&a, "duration_ms", dur);
  }
  audit_emit(&a);
  return code;
}
