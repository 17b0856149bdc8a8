/* ipcclient: connect to a local-domain socket and run a program with the
 * connection on fd 6 (from the server) and fd 7 (to the server). */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "die.h"
#include "fd.h"
#include "unix_socket.h"
#include "version.h"

#define USAGE "ipcclient [ -qQv ] [ -p localpath ] [ -l localname ] path prog"

int main(int argc, char **argv)
{
  const char *localpath = 0, *localname = 0, *path;
  int verbosity = 1, opt, fd;

  die_init("ipcclient");
  version_arg(argc, argv);
  opterr = 0;
  while ((opt = getopt(argc, argv, "+qQvp:l:")) != -1) {
    switch (opt) {
      case 'q': verbosity = 0; break;
      case 'Q': verbosity = 1; break;
      case 'v': verbosity = 2; break;
      case 'p': localpath = optarg; break;
      case 'l': localname = optarg; break;
      default: die_usage(USAGE);
    }
  }
  argv += optind;
  argc -= optind;
  if (argc < 2 || !argv[0][0] || !argv[1][0]) die_usage(USAGE);
  path = argv[0];
  if (localpath && !localpath[0]) die_usage(USAGE);
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");

  fd = peer_unix_socket();
  if (fd < 0) {
    if (verbosity) die_sys(EXIT_TEMP, "unable to create a socket");
    _exit(EXIT_TEMP);
  }
  /* -p names a path to bind, not one to clear: whatever already exists
   * there (an old socket, someone's file) stays, and we refuse, as 0.70
   * does. */
  if (localpath && peer_unix_bind(fd, localpath, 0) < 0) {
    if (verbosity) die_sys(EXIT_TEMP, "unable to bind");
    _exit(EXIT_TEMP);
  }
  if (peer_unix_connect_fd(fd, path) < 0) {
    if (verbosity) die_sys(EXIT_TEMP, "unable to connect to %s", path);
    _exit(EXIT_TEMP);
  }
  if (verbosity >= 2) say("connected to %s", path);

  if (setenv("PROTO", "IPC", 1) < 0) die_nomem();
  if (setenv("IPCLOCALPATH", localname ? localname : localpath ? localpath : "", 1) < 0)
    die_nomem();

  /* fd_move clears close-on-exec when the socket already sits on 6 or 7. */
  if (fd == 7) {
    if (fd_copy(6, 7) < 0 || fd_move(7, 7) < 0) die_sys(EXIT_TEMP, "unable to set up descriptors");
  } else {
    if (fd_copy(7, fd) < 0 || fd_move(6, fd) < 0) die_sys(EXIT_TEMP, "unable to set up descriptors");
  }
  execvp(argv[1], argv + 1);
  die_sys(EXIT_TEMP, "unable to run %s", argv[1]);
}
