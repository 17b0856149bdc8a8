/* ipcdo user prog...: ask the ipcexec broker to run prog as user. */
#include <errno.h>

#include "die.h"
#include "exec_client.h"
#include "fd.h"

#define USAGE "ipcdo user prog"

int main(int argc, char **argv)
{
  uint32_t uid;
  const char *why;

  die_init("ipcdo");
  if (argc < 3 || !argv[1][0] || !argv[2][0]) die_usage(USAGE);
  if (client_exec_user(argv[1], &uid, &why) < 0) {
    /* An unknown name stops here, on the client: it never becomes a
     * default uid on the wire. */
    if (errno) die_sys(EXIT_TEMP, "%s %s", why, argv[1]);
    die_x(EXIT_USAGE, "%s: %s", why, argv[1]);
  }
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(CLIENT_EXEC_070, uid, argc - 2, argv + 2);
}
