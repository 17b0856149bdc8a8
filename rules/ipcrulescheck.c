/* ipcrulescheck [-e] rules.cdb: what the connection rules do for a client
 * with $IPCREMOTEEUID and $IPCREMOTEEGID, using ipcserver's own lookup.
 * -e: the exit status is the decision, 0 allow, 1 deny. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "die.h"
#include "rules_check.h"
#include "version.h"

#define USAGE "ipcrulescheck [ -e ] rules.cdb"

int main(int argc, char **argv)
{
  struct rules_who who;
  struct rules_match m;
  enum rules_result r;
  bool status;
  int fd, opt;

  die_init("ipcrulescheck");
  version_arg(argc, argv);
  opt = rules_check_options(argc, argv, USAGE, &status, 0);
  argv += opt - 1;
  argc -= opt - 1;
  if (argc != 2 || !argv[1][0]) die_usage(USAGE);
  rules_check_who(&who);

  fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) die_sys(EXIT_TEMP, "unable to read %s", argv[1]);
  r = rules_lookup_conn(fd, &who, &m);
  if (r == RULES_ERROR) die_x(EXIT_TEMP, "unable to read %s: %s", argv[1], rules_strerror(errno));
  close(fd);
  rules_check_print(stdout, r, &m, 1);
  rules_match_free(&m);
  if (fflush(stdout) != 0 || ferror(stdout)) die_sys(EXIT_TEMP, "unable to write output");
  /* ipcserver allows what no rule mentions, as in 0.70. */
  return status && r == RULES_DENY ? 1 : 0;
}
