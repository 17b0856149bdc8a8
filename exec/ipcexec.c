/* ipcexec [-t seconds] rules.cdb: runs under ipcserver, as root, with fd 0
 * and 1 on the client. Reads one request, decides from the exec rules,
 * logs the decision, and runs the command as the target user inside the
 * sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "decide.h"
#include "die.h"
#include "fd.h"
#include "request.h"
#include "run.h"
#include "scan.h"

#define USAGE "ipcexec [ -t seconds ] rules.cdb"

static void log_decision(const struct exec_decision *d, const struct exec_caller *c,
    const struct request *req)
{
  struct audit a;
  audit_begin(&a, d->verdict == EXEC_ALLOW ? "ok" : "deny", c->euid, c->egid, req->uid, d->cmd);
  audit_str(&a, "decision", d->verdict == EXEC_ALLOW ? "allow" : d->verdict == EXEC_DENY ? "deny" : "error");
  audit_str(&a, "mode", req->extended ? "attached" : "0.70");
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
  if (d->verdict == EXEC_ALLOW) audit_str(&a, "exec", d->path ? d->path : "PATH");
  audit_argv(&a, "argv", req->argv);  /* argv[0] as it will run */
  if (d->verdict == EXEC_ALLOW) {
    audit_str(&a, "seccomp", sandbox_seccomp_name(d->policy.seccomp));
    audit_num(&a, "caps", d->policy.caps);
  } else {
    audit_str(&a, "reason", d->reason);
  }
  audit_emit(&a);
}

int main(int argc, char **argv)
{
  struct exec_caller caller;
  struct exec_decision d;
  struct request req;
  const char *why = 0;
  uint64_t secs = REQUEST_DEFAULT_TIMEOUT_MS / 1000;
  int opt, fd;

  die_init("ipcexec");
  /* Hygiene first: fds 0-2 exist, nothing else inherited stays open. */
  if (fd_ensure_std() < 0) _exit(111);
  fd_close_from(3);

  while ((opt = getopt(argc, argv, "+t:")) != -1) {
    switch (opt) {
      case 't':
        if (!scan_u64(optarg, 3600, &secs) || secs == 0) die_usage(USAGE);
        break;
      default:
        die_usage(USAGE);
    }
  }
  if (argc - optind != 1 || !argv[optind][0]) die_usage(USAGE);

  /* The caller's identity comes from ipcserver alone. */
  if (!exec_caller_from_env(&caller))
    die_x(111, "missing or invalid IPCREMOTEEUID/IPCREMOTEEGID: run me under ipcserver");

  if (request_read(0, &req, (int)secs * 1000, &why) != REQUEST_OK) {
    struct audit a;
    audit_begin(&a, "deny", caller.euid, caller.egid, 0, "");
    audit_str(&a, "decision", "error");
    audit_num(&a, "caller_uid", caller.euid);
    audit_num(&a, "caller_gid", caller.egid);
    if (caller.has_pid) audit_num(&a, "caller_pid", caller.pid);
    audit_str(&a, "reason", why ? why : "bad request");
    audit_emit(&a);
    if (req.extended) exec_send_status(0, 'F', 0);
    die_x(111, "bad ipc request: %s", why ? why : "malformed");
  }

  fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_sys(111, "unable to read %s", argv[optind]);
  exec_decide(&d, &caller, &req, fd, geteuid() == 0);
  close(fd);
  log_decision(&d, &caller, &req);
  if (d.verdict != EXEC_ALLOW) {
    if (d.verdict == EXEC_ERROR) warn_x("%s", d.reason);
    /* An attached client learns only "denied" or "failed": the reason,
     * which may say something about policy, stays in the log. */
    if (req.extended) exec_send_status(0, d.verdict == EXEC_DENY ? 'D' : 'F', 0);
    _exit(d.exitcode);
  }
  _exit(exec_run(&d, &caller, &req));
}
