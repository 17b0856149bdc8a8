/* Entering the sandbox and running the command: the last thing the
 * broker's child does. Order matters and is fixed here:
 *   descriptors, session, signals, umask, cwd, core limit,
 *   identity and capabilities, no_new_privs, seccomp, execve. */
#ifndef SANDBOX_SANDBOX_H
#define SANDBOX_SANDBOX_H

#include "sandbox_env.h"
#include "sandbox_policy.h"
#include "sandbox_privdrop.h"

struct sandbox_plan {
  const struct sandbox_policy *policy;
  const struct sandbox_ids *ids;
  char *const *envp;
  /* Absolute path to run; or NULL to look argv[0] up in SANDBOX_PATH. */
  const char *path;
  char *const *argv;
  /* Lowest descriptor to keep open besides 0-2 (a close-on-exec channel
   * to the supervisor), or -1. It must be 3. */
  int keepfd;
  /* Already in a session of its own, in its own process group (pty
   * mode: the session of the pty's monitor, exec/pty.c): no setsid. */
  bool in_session;
  /* Made ahead (exec/run.c, exec_prepare): every signal handler is the
   * default already, only the mask is left to empty; and the default
   * seccomp filter is loaded, so a plan whose profile is the default
   * does not load it again. */
  bool prepared;
};

/* Never returns on success. On failure returns -1 with *why set and errno
 * describing the cause; the process is then half-dropped and must exit. */
int sandbox_exec(const struct sandbox_plan *p, const char **why);

/* Resets every signal to its default and empties the mask. */
void sandbox_signals_default(void);

/* Resets every signal handler to the default; the mask stays as it is. */
void sandbox_signal_handlers_default(void);

#endif
