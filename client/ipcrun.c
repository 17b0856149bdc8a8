/* ipcrun [-o] prog...: ipcdo root prog..., with root as uid 0 directly, so
 * no name service is consulted. */
#include "die.h"
#include "exec_client.h"
#include "fd.h"
#include "version.h"

#define USAGE "ipcrun [ -o ] prog"

int main(int argc, char **argv)
{
  enum client_exec_mode mode;
  int i;

  die_init("ipcrun");
  version_arg(argc, argv);
  i = client_exec_options(argc, argv, USAGE, &mode);
  if (argc - i < 1 || !argv[i][0]) die_usage(USAGE);
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  return client_exec_broker(mode, 0, argc - i, argv + i);
}
