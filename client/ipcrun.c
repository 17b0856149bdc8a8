/* ipcrun prog...: ipcdo root prog..., with root as uid 0 directly, so no
 * name service is consulted. */
#include "die.h"
#include "exec_client.h"
#include "fd.h"

int main(int argc, char **argv)
{
  die_init("ipcrun");
  if (argc < 2 || !argv[1][0]) die_usage("ipcrun prog");
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(CLIENT_EXEC_070, 0, argc - 1, argv + 1);
}
