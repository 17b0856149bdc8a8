/* ipcexec's program (exec_main.h). */
#include <unistd.h>

#include "decide.h"
#include "exec_main.h"
#include "die.h"
#include "fd.h"
#include "request.h"
#include "run.h"
#include "scan.h"
#include "version.h"

#define USAGE "ipcexec [ -t seconds ] rules.cdb"

_Noreturn void exec_main(int argc, char **argv)
{
  struct exec_caller caller;
  uint64_t secs = REQUEST_DEFAULT_TIMEOUT_MS / 1000;
  int opt;

  die_init("ipcexec");
  version_arg(argc, argv);
  /* Hygiene first: fds 0-2 exist, nothing else inherited stays open. */
  if (fd_ensure_std() < 0) _exit(111);
  fd_close_from(3);

  /* Reset: in ipcserver's child, its own option parsing ran before. */
  optind = 0;
  opterr = 0;
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

  _exit(exec_handle(0, &caller, argv[optind], (int)secs * 1000));
}
