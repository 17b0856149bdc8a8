/* ipcexecrulescheck [-et] rules.cdb [arg ...]: what the exec rules do for a
 * request from $IPCREMOTEEUID/$IPCREMOTEEGID to run $IPCCOMMAND with the
 * arguments arg ... as $IPCUID (default 0), using ipcexec's own lookup.
 * With no matching rule the answer is deny: ipcexec fails closed. For an
 * allowed request it then shows the sandbox ipcexec would build, from
 * ipcexec's own decision code. -e: the exit status is the decision, 0
 * allow, 1 deny, 111 when ipcexec would fail. -t: the request comes from
 * a terminal, as ipcdo's from an interactive shell (IPCPTY). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "decide.h"
#include "die.h"
#include "rules_check.h"
#include "scan.h"
#include "version.h"

#define USAGE "ipcexecrulescheck [ -et ] rules.cdb [ arg ... ]"

int main(int argc, char **argv)
{
  struct rules_who who;
  struct rules_match m;
  enum rules_result r;
  const char *cmd, *uidstr;
  uint32_t uid = 0;
  bool status, tty;
  int fd, opt, code;

  die_init("ipcexecrulescheck");
  version_arg(argc, argv);
  opt = rules_check_options(argc, argv, USAGE, &status, &tty);
  argv += opt - 1;
  argc -= opt - 1;
  if (argc < 2 || !argv[1][0]) die_usage(USAGE);
  rules_check_who(&who);
  cmd = getenv("IPCCOMMAND");
  if (!cmd) die_x(EXIT_TEMP, "IPCCOMMAND not set");
  if (!cmd[0]) die_x(EXIT_USAGE, "IPCCOMMAND is empty");
  uidstr = getenv("IPCUID");
  if (uidstr && !scan_id(uidstr, &uid)) die_x(EXIT_USAGE, "IPCUID is not a valid id: %s", uidstr);

  fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_sys(EXIT_TEMP, "unable to read %s", argv[1]);
  r = rules_lookup_exec(fd, &who, uid, cmd, &m);
  if (r == RULES_ERROR) die_x(EXIT_TEMP, "unable to read %s: %s", argv[1], rules_strerror(errno));
  rules_check_print(stdout, r, &m, 0);
  code = r == RULES_ALLOW ? 0 : 1;
  if (r == RULES_ALLOW && who.has_euid && who.has_egid) {
    struct exec_caller c = { .euid = who.euid, .egid = who.egid,
      .ngroups = who.ngroups, .groups = who.groups };
    struct exec_decision d;
    /* The request: $IPCCOMMAND, then the operands after the cdb. */
    char **args = calloc((size_t)argc, sizeof *args);
    struct request req = { .uid = uid, .argc = (uint32_t)argc - 1, .argv = args };
    if (!args) die_nomem();
    /* from a terminal: a pty is asked for, as ipcdo asks without -T */
    req.pty.want = tty;
    args[0] = (char *)cmd;
    for (int i = 2; i < argc; i++) args[i - 1] = argv[i];
    exec_decide(&d, &c, &req, fd, false);
    if (d.verdict == EXEC_ALLOW) {
      printf("run as uid %u gid %u (%s)\n", d.target_uid, d.target_gid, d.target_name);
      printf("execute %s\n", d.path ? d.path : "(looked up in the fixed PATH)");
      if (d.use_pty) printf("on a pty of its own, the caller's terminal relayed\n");
      sandbox_policy_describe(&d.policy, stdout);
    } else {
      printf("ipcexec would refuse: %s\n", d.reason);
      if (!tty && d.policy.pty == SANDBOX_PTY_REQUIRE)
        printf("(this was a request without a terminal: -t checks one from a terminal)\n");
      code = d.verdict == EXEC_DENY ? 1 : EXIT_TEMP;
    }
    exec_decision_free(&d);
    free(args);
  }
  close(fd);
  rules_match_free(&m);
  if (fflush(stdout) != 0 || ferror(stdout)) die_sys(EXIT_TEMP, "unable to write output");
  return status ? code : 0;
}
