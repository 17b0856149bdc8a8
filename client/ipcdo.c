/* ipcdo [-hnostT] [-u user | user] prog [arg ...]: ask the ipcexec broker to
 * run prog as user. By default in attached mode (the command gets this
 * process's own stdin, stdout and stderr, and ipcdo exits with the
 * command's status); -o sends the plain ucspi-ipc 0.70 request for an old
 * broker. */
#include <errno.h>

#include "die.h"
#include "exec_client.h"
#include "fd.h"
#include "version.h"

#define USAGE "ipcdo [ -hnostT ] [ -u user | user ] prog [ arg ... ]"
#define USAGE_LIST "ipcdo -l [ -u user | user ]"
#define HELP \
  "usage: " USAGE "\n" \
  "       ipcdo -s [ -hnotT ] [ -u user | user ] [ arg ... ]\n" \
  "       " USAGE_LIST "\n" \
  "Ask the ipcexec broker to run prog as user; its rules decide.\n" \
  "  -u user    the target user (name or uid); the same as the operand user\n" \
  "  -s         run the target's login shell from the passwd database\n" \
  "             (the rules must allow that path), with arg ... as its arguments\n" \
  "  -o         send the plain ucspi-ipc 0.70 request (no exit status back)\n" \
  "  -t         a pseudo-terminal for the command, as by default when stdin,\n" \
  "             stdout or stderr is a terminal; without a terminal, exit 100\n" \
  "  -T         no pseudo-terminal: the command runs on the terminal itself\n" \
  "  -l         list what the rules let you run (as user only, if given)\n" \
  "  -n         accepted and ignored: the broker never prompts\n" \
  "  -h, --help     this help\n" \
  "  -V, --version  the version\n"

int main(int argc, char **argv)
{
  struct client_exec_opts o;
  const char *user;
  char **cmd;
  uint32_t uid;
  const char *why;
  int i, n;

  die_init("ipcdo");
  version_arg(argc, argv);
  i = client_exec_options(argc, argv, USAGE, HELP, true, &o);
  user = o.user;
  if (o.list) {
    if (!user && i < argc) user = argv[i++];
    if (i < argc || (user && !user[0])) die_usage(USAGE_LIST);
    if (user && client_exec_user(user, &uid, &why) < 0) {
      if (errno) die_sys(EXIT_TEMP, "%s %s", why, user);
      die_x(EXIT_USAGE, "%s: %s", why, user);
    }
    return client_exec_list(user != 0, user ? uid : 0);
  }
  if (!user) {
    if (i >= argc) die_usage(USAGE);
    user = argv[i++];
  }
  if (!user[0]) die_usage(USAGE);
  if (!o.shell && (i >= argc || !argv[i][0])) die_usage(USAGE);
  if (client_exec_user(user, &uid, &why) < 0) {
    /* An unknown name stops here, on the client: it never becomes a
     * default uid on the wire. */
    if (errno) die_sys(EXIT_TEMP, "%s %s", why, user);
    die_x(EXIT_USAGE, "%s: %s", why, user);
  }
  cmd = argv + i;
  n = argc - i;
  if (o.shell) {
    cmd = client_exec_shell_argv(uid, n, cmd);
    n++;
  }
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(o.mode, o.tty, uid, n, cmd);
}
