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
#include <stdatomic.h>
#include <sched.h>
#include <stdint.h>
#include <linux/sched.h>    /* struct clone_args, CLONE_INTO_CGROUP */
#include <sys/mman.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "attach.h"
#include "audit.h"
#include "buf.h"
#include "contain.h"
#include "clock.h"
#include "die.h"
#include "fd.h"
#include "pty.h"
#include "recorder.h"
#include "sandbox.h"
#include "sandbox_seccomp.h"
#include "tap.h"

/* The child. In 0.70 mode fds 0 and 1 are the socket and 2 the log; in
 * attached mode 0-2 become the caller's own descriptors. fds, when not
 * NULL, says what 0-2 become instead: the caller's, or the tap's pipes
 * for a recording. Never returns. */
static void child(struct exec_decision *d, const int *fds, int sock, int report,
    int errpipe, const struct contain *k, bool born_in, pid_t supervisor, bool prepared)
{
  struct sandbox_plan plan = {
    .policy = &d->policy, .ids = &d->ids, .envp = d->env.v,
    .path = d->path, .argv = d->argv, .keepfd = 3, .prepared = prepared,
  };
  const char *why = "unable to run command";
  char msg[512];
  int err, ctty = -1;

  /* Into the request's cgroup first, while still root: from here on,
   * nothing this process starts can leave it. Should the supervisor die
   * before that (its cgroup then killed and removed by whoever reaps it),
   * this child dies with it instead of joining late and running on. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != supervisor) _exit(111);
  /* A prepared process joined ahead (exec_prepare): it was born in the
   * worker's cgroup, which is the request's, and made its namespace. */
  if (!prepared && contain_join(k, born_in) < 0) {
    why = "unable to join the request's cgroup";
    goto fail;
  }
  /* 0-2 first: the received descriptors may sit on 3, which the report
   * channel takes next. */
  if (d->pty) {
    /* the pty's slave where the caller had a terminal */
    ctty = exec_pty_child_fds(d->pty, fds);
    if (ctty < 0) _exit(111);
  } else if (fds) {
    for (int i = 0; i < 3; i++)
      if (dup2(fds[i], i) < 0) _exit(111);
  } else {
    /* Under ipcserver, 0 reads and 1 writes as they are; a preforked
     * server hands over a socket on another descriptor. */
    if (sock > 2 && (dup2(sock, 0) < 0 || dup2(sock, 1) < 0)) _exit(111);
    if (d->policy.errout && dup2(1, 2) < 0) _exit(111);
    /* IPCERROUT="0": stderr goes to the supervisor, which logs it
     * escaped; the command never writes to the log itself. */
    if (!d->policy.errout && dup2(errpipe, 2) < 0) _exit(111);
  }
  if (report != 3 && dup3(report, 3, O_CLOEXEC) < 0) _exit(111);
  report = 3;
  /* Pty mode: this process stays behind as the session's monitor; the
   * command goes on in a child. */
  if (d->pty) {
    if (exec_pty_session(ctty) < 0) {
      why = "unable to start the pty's session";
      goto fail;
    }
    plan.in_session = true;
  }
  sandbox_exec(&plan, &why);
fail:
  err = errno;
  /* Tell the supervisor what failed; it owns the log line. */
  snprintf(msg, sizeof msg, "%s: %s", why, strerror(err));
  fd_write_all(report, msg, strlen(msg));
  _exit(111);
}

struct child_args {
  struct exec_decision *d;
  const int *fds;               /* the command's 0-2, or NULL (0.70 untapped) */
  int sock, report, errpipe;
  int close1, close2, close3;   /* the supervisor's ends, not the child's */
  const struct contain *k;
  pid_t supervisor;
  bool born_in;                 /* cloned into k's cgroup */
  bool prepared;                /* the process exec_prepare made */
};

static int child_main(void *p)
{
  struct child_args *a = p;
  close(a->close2);
  if (a->close1 >= 0) close(a->close1);
  close(a->close3);
  child(a->d, a->fds, a->sock, a->report, a->errpipe, a->k, a->born_in, a->supervisor,
      a->prepared);
  return 111;
}

#if defined(__SANITIZE_ADDRESS__)
#define RUN_FORK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUN_FORK 1
#endif
#endif

/* The child's stack, mapped once per process with a guard page below it:
 * the sandbox needs a few pages (group lists, the PATH search). */
#define CHILD_STACK (256 * 1024)

/* Headers older than Linux 5.9 lack close_range: then no syscall number
 * is guessed; the call fails (ENOSYS) and nothing is made ahead. */
#ifndef SYS_close_range
#define SYS_close_range (-1)
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

#ifndef RUN_FORK
/* The top of the child's stack, mapped once per process with a guard page
 * below it, or NULL. */
static char *child_stack(void)
{
  static char *stack;
  if (!stack) {
    char *m = mmap(0, CHILD_STACK + 4096, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (m == MAP_FAILED) return 0;
    if (mprotect(m, 4096, PROT_NONE) < 0) {
      munmap(m, CHILD_STACK + 4096);
      return 0;
    }
    stack = m;
  }
  return stack + 4096 + CHILD_STACK;
}

/* The command's process, made ahead by an idle worker (exec_prepare): a
 * CLONE_VM child that has set every signal handler to the default and
 * loaded the default seccomp filter, then waits, all signals blocked,
 * for the request. The filter's cost (its JIT and the kernel's action
 * cache, about a tenth of a millisecond) is paid before a caller waits.
 *
 * It shares this process's memory and descriptor table. While it waits it
 * touches neither: it sleeps on a futex in a word of its own. Told to go,
 * it first takes a copy of the descriptor table as it is at that moment
 * (close_range with CLOSE_RANGE_UNSHARE, closing nothing: the copy a
 * clone would have made then), and from there runs exactly what the
 * child of a spawn at request time runs, minus the two steps done. The
 * worker meanwhile waits, as CLONE_VFORK would make it, until the child
 * has exec'd or ended: the kernel clears the tid word and wakes its futex
 * at either (CLONE_CHILD_CLEARTID, as for threads).
 *
 * Used only when the request's plan is what it was made for: the default
 * filter, no pty (its monitor is a fork), and a worker already in the
 * request's cgroup (ipcexecd); otherwise it is killed and reaped, and the
 * command spawned as usual. The worker never lets it run while it runs
 * itself, except for the start, which it waits for: the two share errno. */
enum { PRE_NONE, PRE_STARTING, PRE_READY, PRE_FAILED, PRE_GO };
static struct {
  _Atomic int state;
  _Atomic pid_t tid;            /* set by the kernel at clone, cleared at exec or exit */
  pid_t pid;                    /* 0: none */
  pid_t parent;
  struct child_args *args;
} pre;

static void futex_wait(_Atomic int *w, int val)
{
  syscall(SYS_futex, (int *)w, FUTEX_WAIT_PRIVATE, val, 0, 0, 0);
}

static void futex_wake(_Atomic int *w)
{
  syscall(SYS_futex, (int *)w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

/* In the prepared process, before it is ready: says so, and ends. */
static _Noreturn void prepared_failed(void)
{
  atomic_store(&pre.state, PRE_FAILED);
  futex_wake(&pre.state);
  _exit(111);
}

static int prepared_main(void *unused)
{
  const char *why;
  (void)unused;
  /* As the spawned child would: it dies with the worker. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != pre.parent) prepared_failed();
  sandbox_signal_handlers_default();
  /* contain_join, ahead: born in the worker's cgroup, which will be the
   * request's (the worker entered it before making this process), and
   * rooted there. */
  if (unshare(CLONE_NEWCGROUP) < 0) prepared_failed();
  /* The copy of the descriptor table it will take (Linux 5.9): where the
   * kernel lacks it, nothing is made ahead. */
  if (syscall(SYS_close_range, ~0U, ~0U, 0) < 0) prepared_failed();
  /* Safe before the identity change: the filter only denies, and nothing
   * this process does until its exec is among what it denies. */
  if (sandbox_seccomp_load(SANDBOX_SECCOMP_DEFAULT, &why) < 0) prepared_failed();
  atomic_store(&pre.state, PRE_READY);
  futex_wake(&pre.state);
  /* only the worker changes it from here: to PRE_GO */
  while (atomic_load(&pre.state) == PRE_READY) futex_wait(&pre.state, PRE_READY);
  /* Safe: the worker waits until this process has exec'd or ended. */
  if (syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) < 0) {
    static const char msg[] = "unable to copy the descriptor table";
    /* the report channel, still in the shared table */
    fd_write_all(pre.args->report, msg, sizeof msg - 1);
    _exit(111);
  }
  return child_main(pre.args);
}

/* Reaps the prepared process, if there is one left. Safe to kill by pid:
 * while the tid word is set the process has not reached its exit, so it
 * cannot have been reaped, and its pid not reused. */
static void prepared_cancel(void)
{
  if (!pre.pid) return;
  if (atomic_load(&pre.tid)) {
    kill(pre.pid, SIGKILL);
    while (waitpid(pre.pid, 0, __WALL) < 0 && errno == EINTR)
      ;
  }
  pre.pid = 0;
}

/* Hands the request to the prepared process, if it was made for this
 * plan. true: *pid runs the command's child, exec'd or failed. */
static bool prepared_take(struct child_args *a, pid_t *pid)
{
  int st;
  if (!pre.pid) return false;
  if (a->d->pty || a->d->policy.seccomp != SANDBOX_SECCOMP_DEFAULT || !a->k->self_in ||
      a->k->dirfd < 0) {
    prepared_cancel();
    return false;
  }
  while ((st = atomic_load(&pre.state)) == PRE_STARTING) futex_wait(&pre.state, PRE_STARTING);
  if (st != PRE_READY || !atomic_load(&pre.tid)) {
    prepared_cancel();
    return false;
  }
  a->prepared = true;
  pre.args = a;
  atomic_store(&pre.state, PRE_GO);
  futex_wake(&pre.state);
  /* The kernel's wake at exec or exit is a shared futex wake: the wait
   * must be one too. */
  for (pid_t t; (t = atomic_load(&pre.tid)) != 0;)
    syscall(SYS_futex, (int *)&pre.tid, FUTEX_WAIT, t, 0, 0, 0);
  *pid = pre.pid;
  pre.pid = 0;
  return true;
}
#endif

void exec_prepare(void)
{
#ifndef RUN_FORK
  char *stack = child_stack();
  sigset_t all, old;
  long pid;
  int st;

  if (pre.pid || !stack) return;
  atomic_store(&pre.state, PRE_STARTING);
  pre.parent = getpid();
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid = clone(prepared_main, stack, CLONE_VM | CLONE_FILES | CLONE_PARENT_SETTID |
      CLONE_CHILD_CLEARTID | SIGCHLD, 0, (pid_t *)&pre.tid, 0, (pid_t *)&pre.tid);
  sigprocmask(SIG_SETMASK, &old, 0);
  if (pid < 0) return;
  pre.pid = (pid_t)pid;
  /* Its start writes errno, which is ours too: wait it out. */
  while ((st = atomic_load(&pre.state)) == PRE_STARTING) futex_wait(&pre.state, PRE_STARTING);
  if (st != PRE_READY) {
    /* It could not load the filter (a broker without CAP_SYS_ADMIN) and
     * is ending: our child, reaped by nobody else meanwhile. */
    while (waitpid(pre.pid, 0, __WALL) < 0 && errno == EINTR)
      ;
    pre.pid = 0;
  }
#endif
}

void exec_prepare_cancel(void)
{
#ifndef RUN_FORK
  prepared_cancel();
#endif
}

/* Starts the command's process. It shares this process's memory until it
 * execs (CLONE_VM | CLONE_VFORK, as posix_spawn does), so that starting a
 * command copies no page tables and leaves no copy-on-write faults behind;
 * this process waits meanwhile, as it would for the report channel
 * anyway. Safe because the child writes nothing of the parent's: every
 * step before exec is a system call or works on its own stack (the
 * capability and id changes are raw system calls, see sandbox/privdrop.c),
 * signals are blocked until the child has set every handler to the
 * default, and it has its own descriptor table, signal handlers and
 * credentials. Under AddressSanitizer, whose bookkeeping the shared stack
 * would confuse, it is a plain fork. */
static pid_t spawn_child(struct child_args *a)
{
#ifndef RUN_FORK
  {
    /* The process made ahead, for a plan it fits; else gone before any
     * other start, so that it never sits in the request's cgroup. */
    pid_t pre_pid;
    if (prepared_take(a, &pre_pid)) return pre_pid;
  }
#endif
  /* A supervisor outside the request's cgroup (ipcexec, ipcexecd -R):
   * the child is cloned straight into it (clone3, CLONE_INTO_CGROUP), as
   * a fork would be, which spares the migration a write to cgroup.procs
   * is (it waits for an RCU grace period). The child runs on its own copy
   * of this process, as after fork; where the kernel has no clone3 or
   * refuses the cgroup, the usual spawn and a migration. */
  if (a->k->dirfd >= 0 && !a->k->self_in) {
    struct clone_args ca;
    long pid;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = (uint64_t)a->k->dirfd;
    a->born_in = true;
    pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) _exit(child_main(a));
    a->born_in = false;
    if (pid > 0) return (pid_t)pid;
  }
  if (a->d->pty) {
    /* Pty mode: the child stays, as the monitor of the command's session,
     * and never execs: it must not run on our memory. */
    pid_t mon = fork();
    if (mon == 0) _exit(child_main(a));
    return mon;
  }
#ifdef RUN_FORK
  pid_t pid = fork();
  if (pid == 0) _exit(child_main(a));
  return pid;
#else
  char *stack = child_stack();
  sigset_t all, old;
  pid_t pid;
  int saved;

  if (!stack) return -1;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  pid = clone(child_main, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
  saved = errno;
  sigprocmask(SIG_SETMASK, &old, 0);
  errno = saved;
  return pid;
#endif
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

/* The client's side of the socket, in attached mode: signal requests (and
 * with a pty its window size and continues), or the end of the stream
 * when the client is gone. Returns false once the client is gone or
 * misbehaves; true while it may still speak. */
static bool client_input(int sock, pid_t pid, struct exec_pty *pty, char *in, size_t *inlen)
{
  ssize_t n = recv(sock, in + *inlen, ATTACH_MAX_MSG * 4 - *inlen, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  *inlen += (size_t)n;
  for (;;) {
    struct attach_msg m;
    size_t used;
    enum request_status st = attach_parse_msg(in, *inlen, &m, &used);
    if (st == REQUEST_MORE) return *inlen < ATTACH_MAX_MSG * 4;
    if (st == REQUEST_OK && m.kind == 'K' && attach_signal_allowed(m.value)) {
      kill(-pid, m.value);
    } else if (st == REQUEST_BAD || !pty || !exec_pty_message(pty, &m, pid)) {
      warn_x("ignoring a malformed message from the client");
      return false;
    }
    memmove(in, in + used, *inlen - used);
    *inlen -= used;
  }
}

struct exec_track *exec_track;
bool exec_stopping;

/* The command's stderr (IPCERROUT="0"), logged a line at a time, each
 * escaped and at most ERRLINE_MAX bytes; past ERRLOG_MAX bytes in all, the
 * rest is counted and dropped. */
#define ERRLINE_MAX 512
#define ERRLOG_MAX (64 * 1024)
struct errlog {
  int fd;
  struct exec_decision *rec;    /* recorded as stderr, if set */
  bool eof;
  size_t len, total;
  unsigned long long dropped;
  char line[ERRLINE_MAX];
};

static void errlog_flush(struct errlog *e)
{
  struct audit a;
  if (!e->len) return;
  audit_begin_req(&a, "stderr");
  audit_bytes(&a, "text", e->line, e->len, ERRLINE_MAX);
  audit_emit(&a);
  e->len = 0;
}

/* Reads what is there; false at end of file or on error. *more: bytes
 * were read, there may be others. */
static bool errlog_read(struct errlog *e, bool *more)
{
  char buf[4096];
  ssize_t n = read(e->fd, buf, sizeof buf);
  *more = n > 0;
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  if (e->rec) exec_record_data(e->rec, 2, buf, (size_t)n);
  for (ssize_t i = 0; i < n; i++) {
    if (e->total >= ERRLOG_MAX) {
      e->dropped++;
      continue;
    }
    e->total++;
    if (buf[i] == '\n') {
      errlog_flush(e);
      continue;
    }
    e->line[e->len++] = buf[i];
    if (e->len == ERRLINE_MAX) errlog_flush(e);
  }
  return true;
}

static void errlog_close(struct errlog *e)
{
  bool more = true;
  if (e->fd < 0) return;
  /* What is in the pipe now; a writer the walk could not kill must not
   * hold the end of the request. */
  while (!e->eof && more && errlog_read(e, &more))
    ;
  errlog_flush(e);
  if (e->dropped) {
    struct audit a;
    audit_begin_req(&a, "stderr");
    audit_num(&a, "dropped", e->dropped);
    audit_emit(&a);
  }
  close(e->fd);
  e->fd = -1;
}

static void track_begin(const struct exec_decision *d, const struct exec_caller *c, pid_t pid,
    long long start)
{
  struct exec_track *t = exec_track;
  if (!t) return;
  t->euid = c->euid;
  t->egid = c->egid;
  t->uid = d->target_uid;
  snprintf(t->cmd, sizeof t->cmd, "%s", d->cmd);
  t->pid = pid;
  t->start_us = start;
  /* the worker's pid, not 1: a replacement in the same slot may begin
   * its own request before the master has cleaned up after this one */
  atomic_store(&t->active, (int)getpid());
}

static void track_end(void)
{
  if (exec_track) atomic_store(&exec_track->active, 0);
}

/* A failure after the decision: the one line that ends the request, and
 * the status for an attached client. */
static int run_failed(int sock, struct exec_decision *d, const struct exec_caller *c,
    const struct request *req, const char *what)
{
  struct audit a;
  audit_begin(&a, "fail", c->euid, c->egid, d->target_uid, d->cmd);
  audit_str(&a, "error", what);
  /* a recording already open ends, as never run (exit 111) */
  exec_record_end(d, 111 << 8, &a);
  audit_emit(&a);
  track_end();
  if (req->extended && sock >= 0) exec_send_status(sock, 'F', 0);
  return 111;
}

static int sys_failed(int sock, struct exec_decision *d, const struct exec_caller *c,
    const struct request *req, const char *what)
{
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  warn_x("%s", msg);
  return run_failed(sock, d, c, req, msg);
}

/* Before the command started: what run() set up, let go. */
static void undo_setup(const int pipefd[2], const int errfd[2], int sfd, const sigset_t *old)
{
  close(pipefd[0]);
  close(pipefd[1]);
  if (errfd[0] >= 0) {
    close(errfd[0]);
    close(errfd[1]);
  }
  close(sfd);
  sigprocmask(SIG_SETMASK, old, 0);
}

static void stop(pid_t pid, int sig)
{
  kill(-pid, sig);
  kill(pid, sig);
}

static int run(int sock, struct exec_decision *d, const struct exec_caller *c, struct request *req,
    struct exec_tap *tap)
{
  int pipefd[2], errfd[2] = { -1, -1 }, sfd, status = 0, code;
  sigset_t chld, old;
  long long start = clock_us(), stop_at, kill_at = 0;
  bool listening = req->extended, termed = false;
  char msg[520], in[ATTACH_MAX_MSG * 4];
  size_t inlen = 0;
  ssize_t got;
  pid_t pid, supervisor;
  struct audit a;
  struct contain k;
  struct errlog elog = { .fd = -1 };
  unsigned leftovers, tapmask = tap ? exec_record_tap_mask(d, req) : 0;
  int cfds[3];
  const int *fds = req->extended ? req->fds : 0;

  /* From here on, should this process die, a preforked broker's master
   * kills what it supervised and writes the end line. */
  track_begin(d, c, 0, start);

  /* SIGCHLD and SIGTERM (the broker is stopping) are taken through a
   * signalfd, so that one poll waits for the command, the client, the
   * deadline and the shutdown together. */
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigaddset(&chld, SIGTERM);
  sigprocmask(SIG_BLOCK, &chld, &old);
  sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    code = sys_failed(sock, d, c, req, "unable to create signalfd");
    sigprocmask(SIG_SETMASK, &old, 0);
    return code;
  }

  /* Orphans of the command become ours, so none can escape the end. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  if (pipe2(pipefd, O_CLOEXEC) < 0) {
    code = sys_failed(sock, d, c, req, "unable to create pipe");
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, 0);
    return code;
  }
  if (!req->extended && !d->policy.errout && pipe2(errfd, O_CLOEXEC) < 0) {
    code = sys_failed(sock, d, c, req, "unable to create pipe");
    close(pipefd[0]);
    close(pipefd[1]);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, 0);
    return code;
  }
  /* A recording: the outputs not on a pty go through the tap, which
   * records them and passes them on. */
  if (tapmask) {
    /* 0.70: what the command's 0 and 1 would be (under ipcserver the
     * socket is both), and its stderr the same as its stdout */
    int out = sock > 2 ? sock : 1;
    const int from[3] = { req->extended ? req->fds[0] : sock > 2 ? sock : 0,
      req->extended ? req->fds[1] : out, req->extended ? req->fds[2] : out };
    const char *why;
    if (exec_tap_open(tap, tapmask, from, cfds, &why) < 0) {
      code = sys_failed(sock, d, c, req, why);
      undo_setup(pipefd, errfd, sfd, &old);
      return code;
    }
    /* IPCERROUT="0" in 0.70 mode: stderr to the log, recorded there */
    if (!req->extended && !(tapmask & 4)) cfds[2] = errfd[1];
    fds = cfds;
  }
  if (errfd[0] >= 0 && d->record) elog.rec = d;
  /* No writable cgroup2: the walk in contain_end does the work. */
  contain_create(&k);
  /* A uid-0 command, or one that keeps capabilities, could change the
   * cgroup's own files: its cgroup is never handed to another request. */
  k.spoilt = d->target_uid == 0 || d->policy.caps || d->policy.caps_all;
  supervisor = getpid();
  {
    struct child_args ca = { d, fds, sock, pipefd[1], errfd[1], errfd[0], pipefd[0], sfd, &k, supervisor, false, false };
    pid = spawn_child(&ca);
  }
  if (pid < 0) {
    code = sys_failed(sock, d, c, req, "unable to fork");
    contain_end(&k);
    if (tapmask) exec_tap_close(tap);
    undo_setup(pipefd, errfd, sfd, &old);
    return code;
  }
  if (exec_track) exec_track->pid = pid;
  close(pipefd[1]);
  if (d->pty) exec_pty_started(d->pty);
  if (tapmask) exec_tap_started(tap);
  if (errfd[0] >= 0) {
    close(errfd[1]);
    elog.fd = errfd[0];
    fd_nonblock(elog.fd, 1);
  }

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
    } else {
      /* no descriptor for /dev/null: the socket is let go all the same */
      shutdown(sock, SHUT_RDWR);
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
    contain_end(&k);
    if (tapmask) exec_tap_close(tap);
    errlog_close(&elog);
    close(sfd);
    sigprocmask(SIG_SETMASK, &old, 0);
    return run_failed(sock, d, c, req, msg);
  }

  /* The command runs: from now on an attached client forwards the signals
   * it is sent instead of ending at once. */
  if (d->pty) exec_send_status(sock, 'P', 0);
  if (req->extended) exec_send_status(sock, 'R', 0);

  stop_at = d->policy.timeout ? start + (long long)d->policy.timeout * 1000000 : 0;
  for (;;) {
    struct pollfd p[3 + EXEC_PTY_NPOLL + EXEC_TAP_NPOLL] = { { .fd = sfd, .events = POLLIN }, { .fd = sock, .events = POLLIN },
      { .fd = elog.eof ? -1 : elog.fd, .events = POLLIN } };
    long long next = kill_at ? kill_at : stop_at, now = clock_us();
    int timeout = -1, r, np = 3;
    bool gone = false, more;

    if (!listening) p[1].fd = -1;
    if (next) timeout = next > now ? (int)((next - now + 999) / 1000) : 0;
    if (d->pty) {
      exec_pty_poll(d->pty, p + 3, &timeout);
      np += EXEC_PTY_NPOLL;
    }
    if (tapmask) {
      exec_tap_poll(tap, p + np);
      np += EXEC_TAP_NPOLL;
    }
    r = poll(p, (nfds_t)np, timeout);
    if (r < 0 && errno != EINTR) {
      /* Without poll nothing can be supervised: the command is stopped
       * now and the request ends the normal way. */
      warn_sys("unable to poll");
      stop(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      break;
    }
    if (r > 0 && (p[0].revents & POLLIN)) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si)
        if (si.ssi_signo == SIGTERM) {
          exec_stopping = true;
          gone = true;
        }
    }
    if (r > 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)) && !errlog_read(&elog, &more))
      elog.eof = true;
    if (r >= 0 && d->pty) exec_pty_io(d->pty, p + 3);
    if (r >= 0 && tapmask) exec_tap_io(tap, p + np - EXEC_TAP_NPOLL);
    {
      /* Every child, not only the command: the supervisor is a subreaper,
       * so what the command orphans becomes ours, and reaped as it dies it
       * never piles up as zombies holding pids for the whole request. */
      pid_t w;
      int st;
      bool done = false;
      while ((w = waitpid(-1, &st, WNOHANG | (d->pty ? WUNTRACED : 0))) > 0)
        if (w == pid && WIFSTOPPED(st)) {
          /* ^Z on its pty: the client stops too, and says when to go on. */
          exec_pty_stopped(d->pty, listening ? sock : -1);
        } else if (w == pid) {
          status = st;
          done = true;
        }
      if (done) break;
    }
    if (listening && r > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !client_input(sock, pid, d->pty, in, &inlen))
      gone = true;
    if (gone) {
      /* The client went away, or the broker is stopping: nothing may
       * keep running on the client's descriptors. SIGTERM now, SIGKILL
       * after the grace period. */
      listening = false;
      if (!termed) {
        stop(pid, SIGTERM);
        /* stopped on its pty: it must run to see the SIGTERM */
        if (d->pty && d->pty->stopped) stop(pid, SIGCONT);
        termed = true;
        stop_at = 0;
        kill_at = clock_us() + SANDBOX_KILL_GRACE * 1000000LL;
      }
    }
    now = clock_us();
    if (kill_at && now >= kill_at) {
      stop(pid, SIGKILL);
      kill_at = 0;
      stop_at = 0;
    } else if (stop_at && now >= stop_at && !termed) {
      stop(pid, SIGTERM);
      termed = true;
      stop_at = 0;
      kill_at = now + SANDBOX_KILL_GRACE * 1000000LL;
      audit_begin(&a, "timeout", c->euid, c->egid, d->target_uid, d->cmd);
      audit_num(&a, "timeout_s", d->policy.timeout);
      audit_emit(&a);
    }
  }
  close(sfd);
  /* Whatever the command left behind, in any session or process group,
   * is killed with its cgroup. */
  leftovers = contain_end(&k);
  /* What the command wrote last is still in the pty: the caller sees it
   * before the status. */
  if (d->pty) exec_pty_drain(d->pty);
  if (tapmask) {
    exec_tap_drain(tap);
    exec_tap_close(tap);
  }
  errlog_close(&elog);
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
    long long us = clock_us() - start;
    char dur[32];
    snprintf(dur, sizeof dur, "%lld.%03lld", us / 1000, us % 1000);
    audit_str(&a, "duration_ms", dur);
  }
  audit_num(&a, "leftovers", leftovers);
  exec_record_end(d, status, &a);
  audit_emit(&a);
  track_end();
  return code;
}

int exec_run(int sock, struct exec_decision *d, const struct exec_caller *c, struct request *req)
{
  struct exec_pty pty;
  struct exec_tap tap;
  const char *why;
  int code;

  tap.on_data = exec_record_data;
  tap.ctx = d;
  if (!d->use_pty) return run(sock, d, c, req, d->record ? &tap : 0);
  /* A recording sees the pty's both ways, and its sizes. */
  if (d->record) {
    const struct exec_relay_hooks h = { d, exec_record_data, exec_record_winsize };
    exec_relay_set_hooks(&h);
  }
  /* Pty mode: the pair, and the caller's terminal for the relay, opened
   * by root here, before anything runs (exec/pty.c). */
  if (exec_pty_open(&pty, req, d->target_uid, &why) < 0) {
    code = sys_failed(sock, d, c, req, why);
  } else {
    d->pty = &pty;
    code = run(sock, d, c, req, d->record ? &tap : 0);
    d->pty = 0;
    exec_pty_close(&pty);
  }
  exec_relay_set_hooks(0);
  return code;
}

void exec_track_dead(struct exec_track *t, pid_t worker, bool reusable)
{
  struct audit a;
  int n, was = (int)worker;
  long long us;
  char dur[32];
  /* A worker that ended its request (or never began one) left no cgroup
   * of a request: the end of the request removed it. What the slot says
   * now may be the request of the worker that replaced it. */
  if (atomic_load(&t->active) != (int)worker) {
    /* the cgroup it entered waiting for a request, if any */
    contain_drop(worker, reusable);
    return;
  }
  n = contain_reap_dead(worker);
  atomic_compare_exchange_strong(&t->active, &was, 0);
  us = clock_us() - t->start_us;
  snprintf(dur, sizeof dur, "%lld.%03lld", us / 1000, us % 1000);
  audit_set_request((uint64_t)worker, t->seq);
  audit_begin(&a, "end", t->euid, t->egid, t->uid, t->cmd);
  audit_num(&a, "pid", (uint64_t)t->pid);
  audit_str(&a, "status", "lost");
  audit_str(&a, "duration_ms", dur);
  if (n >= 0) audit_num(&a, "leftovers", (uint64_t)n);
  else audit_str(&a, "leftovers", "unknown");
  audit_emit(&a);
}
