/* ipcprint [ipcserver options] path: a preforked server (ipchandle) that
 * prints, to each client, the UCSPI environment it was given. An example
 * of the library and a tool for checking a server's setup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "fd.h"
#include "ipchandle.h"
#include "version.h"

#define USAGE "ipcprint [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] [ -B banner ] " \
  "[ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -f lockfile ] path"

static int print(void *ctx, int fd, const struct ipchandle_conn *conn)
{
  static const char *const names[] = { "PROTO", "IPCLOCALPATH", "IPCREMOTEPATH",
    "IPCREMOTEEUID", "IPCREMOTEEGID", "IPCREMOTEPID" };
  char line[4096];
  (void)ctx;
  (void)conn;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    const char *v = getenv(names[i]);
    int n = snprintf(line, sizeof line, "%s=%s\n", names[i], v ? v : "(unset)");
    if (n < 0 || (size_t)n >= sizeof line) continue;
    if (fd_write_all(fd, line, (size_t)n) < 0) return 111;
  }
  return 0;
}

int main(int argc, char **argv)
{
  char **rest;
  die_init("ipcprint");
  version_arg(argc, argv);
  return ipchandle_main(argc, argv, USAGE, 0, &rest, print, 0);
}
