/* ipcdo [-o] user prog...: ask the ipcexec broker to run prog as user. By
 * default in attached mode (the command gets this process's own stdin,
 * stdout and stderr, and ipcdo exits with the command's status); -o sends
 * the plain ucspi-ipc 0.70 request for an old broker. */
#include <errno.h>

#include "die.h"
#include "exec_client.h"
#include "fd.h"
#include "version.h"

#define USAGE "ipcdo [ -o ] user prog"

int main(int argc, char **argv)
{
  enum client_exec_mode mode;
  uint32_t uid;
  const char *why;
  int i;

  die_init("ipcdo");
  version_arg(argc, argv);
  i = client_exec_options(argc, argv, USAGE, &mode);
  if (argc - i < 2 || !argv[i][0] || !argv[i + 1][0]) die_usage(USAGE);
  if (client_exec_user(argv[i], &uid, &why) < 0) {
    /* An unknown name stops here, on the client: it never becomes a
     * default uid on the wire. */
    if (errno) die_sys(EXIT_TEMP, "%s %s", why, argv[i]);
    die_x(EXIT_USAGE, "%s: %s", why, argv[i]);
  }
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(mode, uid, argc - i - 1, argv + i + 1);
}
