/* ipcexec [-t seconds] rules.cdb: runs under ipcserver, as root, with fd 0
 * and 1 on the client. Reads one request, decides from the exec rules,
 * logs the decision, and runs the command as the target user inside the
 * sandbox. */
#include "config.h"
#include "exec_main.h"

/* What ipcserver looks for before it runs this file's code without it. */
__attribute__((used)) static const char mark[] = EXEC_MAIN_MARK;

int main(int argc, char **argv)
{
  exec_main(argc, argv);
}
