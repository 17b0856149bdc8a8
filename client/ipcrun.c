/* ipcrun [-hnostT] prog [arg ...]: ipcdo root prog..., with root as uid 0
 * directly, so no name service is consulted (but for -s, root's shell). */
#include "die.h"
#include "exec_client.h"
#include "fd.h"
#include "version.h"

#define USAGE "ipcrun [ -hnostT ] prog [ arg ... ]"
#define HELP \
  "usage: " USAGE "\n" \
  "       ipcrun -s [ -hnotT ] [ arg ... ]\n" \
  "       ipcrun -l\n" \
  "Ask the ipcexec broker to run prog as root; its rules decide.\n" \
  "  -s         run root's login shell from the passwd database\n" \
  "             (the rules must allow that path), with arg ... as its arguments\n" \
  "  -o         send the plain ucspi-ipc 0.70 request (no exit status back)\n" \
  "  -t         a pseudo-terminal for the command, as by default when stdin,\n" \
  "             stdout or stderr is a terminal; without a terminal, exit 100\n" \
  "  -T         no pseudo-terminal: the command runs on the terminal itself\n" \
  "  -l         list what the rules let you run as root\n" \
  "  -n         accepted and ignored: the broker never prompts\n" \
  "  -h, --help     this help\n" \
  "  -V, --version  the version\n" \
  "For another user than root: ipcdo -u user prog.\n"

int main(int argc, char **argv)
{
  struct client_exec_opts o;
  char **cmd;
  int i, n;

  die_init("ipcrun");
  version_arg(argc, argv);
  i = client_exec_options(argc, argv, USAGE, HELP, false, &o);
  if (o.list) {
    if (i < argc) die_usage("ipcrun -l");
    return client_exec_list(true, 0);
  }
  cmd = argv + i;
  n = argc - i;
  if (o.shell) {
    cmd = client_exec_shell_argv(0, n, cmd);
    n++;
  } else if (n < 1 || !cmd[0][0]) {
    die_usage(USAGE);
  }
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(o.mode, o.tty, 0, n, cmd);
}
