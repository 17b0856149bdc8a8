#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "audit.h"
#include "die.h"
#include "fd.h"
#include "sandbox.h"

static long long now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The child: fds 0 and 1 are the socket, 2 the log. Never returns. */
static void child(struct exec_decision *d, int report)
{
  struct sandbox_plan plan = {
    .policy = &d->policy, .ids = &d->ids, .envp = d->env.v,
    .path = d->path, .argv = d->argv, .keepfd = 3,
  };
  const char *why = "unable to run command";
  char msg[512];
  int err;

  if (dup3(report, 3, O_CLOEXEC) < 0 && report != 3) _exit(111);
  if (d->policy.errout && dup2(1, 2) < 0) _exit(111);
  sandbox_exec(&plan, &why);
  err = errno;
  /* Tell the supervisor what failed; it owns the log line. */
  {
    size_t n = strlen(why), e = strlen(strerror(err));
    if (n > 400) n = 400;
    if (e > 100) e = 100;
    memcpy(msg, why, n);
    memcpy(msg + n, ": ", 2);
    memcpy(msg + n + 2, strerror(err), e);
    fd_write_all(3, msg, n + 2 + e);
  }
  _exit(111);
}

/* Waits for pid until deadline_us (0: forever). 1 reaped, 0 timed out. */
static int wait_until(pid_t pid, int *status, long long deadline_us, const sigset_t *chld)
{
  for (;;) {
    pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return 1;
    if (r < 0 && errno != EINTR) return 1;
    if (deadline_us) {
      long long left = deadline_us - now_us();
      struct timespec ts;
      if (left <= 0) return 0;
      ts.tv_sec = left / 1000000;
      ts.tv_nsec = (left % 1000000) * 1000;
      sigtimedwait(chld, 0, &ts);
    } else {
      sigwaitinfo(chld, 0);
    }
  }
}

int exec_run(struct exec_decision *d, const struct exec_caller *c)
{
  int pipefd[2];
  sigset_t chld, old;
  long long start = now_us();
  int status = 0, code;
  pid_t pid;
  char msg[520];
  ssize_t got;
  struct audit a;

  /* SIGCHLD stays blocked in the supervisor so that waiting can have a
   * deadline; the child resets its mask before execve. */
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);

  if (pipe2(pipefd, O_CLOEXEC) < 0) die_sys(111, "unable to create pipe");
  pid = fork();
  if (pid < 0) die_sys(111, "unable to fork");
  if (pid == 0) {
    close(pipefd[0]);
    child(d, pipefd[1]);
  }
  close(pipefd[1]);

  /* The supervisor lets go of the socket, so that the client sees EOF
   * exactly when the command (and whatever it left behind) is done. */
  {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      if (null > 2) close(null);
    }
  }

  do got = read(pipefd[0], msg, sizeof msg - 1);
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);

  if (got > 0) {
    msg[got] = 0;
    wait_until(pid, &status, 0, &chld);
    audit_begin(&a, "fail", c->euid, c->egid, d->target_uid, d->cmd);
    audit_str(&a, "error", msg);
    audit_emit(&a);
    return 111;
  }

  if (!wait_until(pid, &status, d->policy.timeout ? start + (long long)d->policy.timeout * 1000000 : 0, &chld)) {
    /* The whole session: the command and anything it started. */
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    if (!wait_until(pid, &status, now_us() + SANDBOX_KILL_GRACE * 1000000LL, &chld)) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      wait_until(pid, &status, 0, &chld);
    }
    audit_begin(&a, "timeout", c->euid, c->egid, d->target_uid, d->cmd);
    audit_num(&a, "timeout_s", d->policy.timeout);
    audit_emit(&a);
  }

  audit_begin(&a, "end", c->euid, c->egid, d->target_uid, d->cmd);
  audit_num(&a, "pid", (uint64_t)pid);
  if (WIFEXITED(status)) {
    char st[32];
    snprintf(st, sizeof st, "exit:%d", WEXITSTATUS(status));
    audit_str(&a, "status", st);
    code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    char st[32];
    snprintf(st, sizeof st, "signal:%d", WTERMSIG(status));
    audit_str(&a, "status", st);
    code = 128 + WTERMSIG(status);
  } else {
    audit_str(&a, "status", "unknown");
    code = 111;
  }
  {
    long long us = now_us() - start;
    char dur[32];
    snprintf(dur, sizeof dur, "%lld.%03lld", us / 1000, us % 1000);
    audit_str(&a, "duration_ms", dur);
  }
  audit_emit(&a);
  sigprocmask(SIG_SETMASK, &old, 0);
  return code;
}
