/* ipccommand uid prog...: run under ipcclient; asks the ipcexec on the
 * other end of fd 6/7 to run prog as uid, then relays stdin and stdout. */
#include "die.h"
#include "exec_client.h"
#include "fd.h"
#include "scan.h"
#include "version.h"

#define USAGE "ipccommand uid prog"

int main(int argc, char **argv)
{
  uint32_t uid;

  die_init("ipccommand");
  version_arg(argc, argv);
  /* The uid is a number and only a number: "root" or " 0" must never
   * become uid 0 by a lenient parse. */
  if (argc < 3 || !scan_id(argv[1], &uid) || !argv[2][0]) die_usage(USAGE);
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_run(CLIENT_EXEC_070, CLIENT_TTY_NEVER, 7, 6, uid, argc - 2, argv + 2);
}
