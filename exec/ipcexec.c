/* ipcexec [-t seconds] rules.cdb: runs under ipcserver, as root, with fd 0
 * and 1 on the client. Reads one request, decides from the exec rules,
 * logs the decision, and runs the command as the target user inside the
 * sandbox. */
#include "exec_main.h"

int main(int argc, char **argv)
{
  exec_main(argc, argv);
}
