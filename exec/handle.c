#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "attach.h"
#include "audit.h"
#include "list.h"
#include "decide.h"
#include "recorder.h"
#include "clock.h"
#include "die.h"
#include "record.h"
#include "request.h"
#include "run.h"

static void log_decision(const struct exec_decision *d, const struct exec_caller *c,
    const struct request *req)
{
  struct audit a;
  audit_begin(&a, d->verdict == EXEC_ALLOW ? "ok" : "deny", c->euid, c->egid, req->uid, d->cmd);
  audit_str(&a, "decision", d->verdict == EXEC_ALLOW ? "allow" : d->verdict == EXEC_DENY ? "deny" : "error");
  audit_str(&a, "mode", req->extended ? "attached" : "0.70");
  if (d->use_pty) audit_str(&a, "pty", "yes");
  audit_num(&a, "caller_uid", c->euid);
  audit_num(&a, "caller_gid", c->egid);
  if (c->has_pid) audit_num(&a, "caller_pid", c->pid);
  if (d->caller_name[0]) audit_str(&a, "caller", d->caller_name);
  audit_num(&a, "target_uid", d->target_uid);
  if (d->verdict == EXEC_ALLOW) {
    audit_num(&a, "target_gid", d->target_gid);
    audit_str(&a, "target", d->target_name);
  }
  if (d->lookup == RULES_ALLOW || d->lookup == RULES_DENY)
    audit_bytes(&a, "rule", d->match.key.s, d->match.key.len, AUDIT_MAX_FIELD);
  else
    audit_str(&a, "rule", "none");
  if (d->verdict == EXEC_ALLOW) {
    audit_str(&a, "exec", d->path ? d->path : "PATH");
    audit_str(&a, "seccomp", sandbox_seccomp_name(d->policy.seccomp));
    audit_num(&a, "caps", d->policy.caps);
    if (d->record) audit_str(&a, "record", record_name(d->record));
  } else {
    audit_str(&a, "reason", d->reason);
  }
  /* Last: the one field a client sizes, so it can never crowd out the
   * others. argv[0] as it will run. */
  audit_argv(&a, "argv", req->argv);
  audit_emit(&a);
}

/* After a refusal the client may still be sending: the rest of a request
 * that was refused before it was read, or a 0.70 command's stdin. Closing
 * with unread bytes would reset the connection, and the client could read
 * ECONNRESET instead of the status. So: half-close, then read and drop
 * what comes, at most DRAIN_MAX bytes for at most DRAIN_MS. */
#define DRAIN_MAX (1024 * 1024)
#define DRAIN_MS 1000

static void drain(int sock)
{
  char buf[4096];
  size_t total = 0;
  long long deadline = clock_ms() + DRAIN_MS;
  if (shutdown(sock, SHUT_WR) < 0) return;   /* not a socket */
  while (total < DRAIN_MAX) {
    struct pollfd p = { .fd = sock, .events = POLLIN };
    long long left = deadline - clock_ms();
    ssize_t n;
    if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
    n = recv(sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    total += (size_t)n;
  }
}

int exec_handle(int sock, const struct exec_caller *c, const char *rules, int timeout_ms)
{
  struct exec_decision d;
  struct request req;
  const char *why = 0;
  sigset_t term, old;
  int fd, code;

  /* ipcdo -l: a list of what this caller may run, no command. The wait
   * for the first byte counts against the request's deadline. */
  {
    long long t0 = clock_ms();
    if (exec_list_request(sock, timeout_ms)) return exec_list(sock, c, rules, timeout_ms);
    timeout_ms -= (int)(clock_ms() - t0);
    if (timeout_ms < 1) timeout_ms = 1;
  }

  if (request_read(sock, &req, timeout_ms, &why) != REQUEST_OK) {
    struct audit a;
    audit_begin(&a, "deny", c->euid, c->egid, 0, "");
    audit_str(&a, "decision", "error");
    audit_num(&a, "caller_uid", c->euid);
    audit_num(&a, "caller_gid", c->egid);
    if (c->has_pid) audit_num(&a, "caller_pid", c->pid);
    audit_str(&a, "reason", why ? why : "bad request");
    audit_emit(&a);
    warn_x("bad ipc request: %s", why ? why : "malformed");
    if (req.extended) exec_send_status(sock, 'F', 0);
    drain(sock);
    request_free(&req);
    return 111;
  }

  /* From the decision on, SIGTERM (the broker stopping) is taken by the
   * supervisor, which stops the command and writes its end line; a
   * refused request is answered first. The process exits once done. */
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);
  fd = open(rules, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    warn_sys("unable to read %s", rules);
    if (req.extended) exec_send_status(sock, 'F', 0);
    drain(sock);
    request_free(&req);
    sigprocmask(SIG_SETMASK, &old, 0);
    return 111;
  }
  /* 0.70 took these from the environment, where a connection rule can
   * put them; here only the exec rules choose the target. */
  if (getenv("IPCUID") || getenv("IPCGID"))
    warn_x("ignoring IPCUID and IPCGID from the environment: the exec rules alone choose the target");
  exec_decide(&d, c, &req, fd, geteuid() == 0);
  close(fd);
  /* IPCRECORD: the recording is opened before the decision is logged, so
   * that a request that cannot be recorded is logged as refused. */
  exec_record_begin(&d, c, &req);
  log_decision(&d, c, &req);
  if (d.verdict != EXEC_ALLOW) {
    if (d.verdict == EXEC_ERROR) warn_x("%s", d.reason);
    /* An attached client learns only "denied" or "failed": the reason,
     * which may say something about policy, stays in the log. */
    if (req.extended) exec_send_status(sock, d.verdict == EXEC_DENY ? 'D' : 'F', 0);
    drain(sock);
    code = d.exitcode;
  } else {
    code = exec_run(sock, &d, c, &req);
  }
  exec_decision_free(&d);
  request_free(&req);
  sigprocmask(SIG_SETMASK, &old, 0);
  if (exec_stopping) {
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
  }
  return code;
}
