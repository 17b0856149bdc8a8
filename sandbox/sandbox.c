#include "sandbox.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "fd.h"
#include "sig.h"
#include "sandbox_seccomp.h"

void sandbox_signal_handlers_default(void)
{
  struct sigaction sa;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, 0);
  sig_reset_reserved();
}

static void sandbox_unblock_all(void)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
}

void sandbox_signals_default(void)
{
  sandbox_signal_handlers_default();
  sandbox_unblock_all();
}

/* execve over SANDBOX_PATH for a bare name; the caller's and the server's
 * PATH are never consulted. */
static void exec_search(const char *file, char *const *argv, char *const *envp)
{
  static const char path[] = SANDBOX_PATH;
  char full[4096];
  int saved = ENOENT;
  const char *p = path;

  while (*p) {
    size_t dl = strcspn(p, ":"), fl = strlen(file);
    if (dl + 1 + fl + 1 <= sizeof full) {
      memcpy(full, p, dl);
      full[dl] = '/';
      memcpy(full + dl + 1, file, fl + 1);
      execve(full, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    p += dl;
    if (*p == ':') p++;
  }
  errno = saved;
}

int sandbox_exec(const struct sandbox_plan *p, const char **why)
{
  const struct sandbox_policy *pol = p->policy;
  struct rlimit nocore = { 0, 0 };

  /* Nothing the broker inherited or opened reaches the command. */
  fd_close_from(p->keepfd >= 0 ? p->keepfd + 1 : 3);

  /* Its own session, without a controlling terminal: a less privileged
   * target cannot reach the caller's terminal through job control. */
  /* In pty mode the session is already there, its terminal the fresh
   * pty the supervisor opened for the command, never the caller's. */
  if (!p->in_session && setsid() < 0) { *why = "unable to create a session"; return -1; }
  /* a prepared process reset its handlers ahead; the mask is left */
  if (p->prepared) sandbox_unblock_all();
  else sandbox_signals_default();
  umask(pol->umask);
  if (chdir("/") < 0) { *why = "unable to change directory to /"; return -1; }
  if (setrlimit(RLIMIT_CORE, &nocore) < 0) { *why = "unable to disable core dumps"; return -1; }

  if (sandbox_privdrop(p->ids, pol->caps, why) < 0) return -1;

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { *why = "unable to set no_new_privs"; return -1; }
  /* A prepared process carries the default filter since before it knew
   * the request; it is only ever used for a plan with that profile. */
  if (!(p->prepared && pol->seccomp == SANDBOX_SECCOMP_DEFAULT) &&
      sandbox_seccomp_load(pol->seccomp, why) < 0) return -1;

  if (p->path) {
    execve(p->path, p->argv, p->envp);
  } else {
    exec_search(p->argv[0], p->argv, p->envp);
  }
  *why = "unable to run command";
  return -1;
}
