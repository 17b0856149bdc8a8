/* ipccat path: print what the server sends. Nothing is sent and the write
 * side stays open, as in 0.70, so a server waiting for input is not told
 * the client has gone. */
#include "die.h"
#include "fd.h"
#include "relay.h"
#include "unix_socket.h"
#include "version.h"

int main(int argc, char **argv)
{
  struct relay r = { -1, -1, -1, 1, 0, 0 };
  enum relay_result rr;
  int fd;

  die_init("ipccat");
  version_arg(argc, argv);
  if (argc != 2 || !argv[1][0]) die_usage("ipccat path");
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  fd = peer_unix_connect(argv[1], 0);
  if (fd < 0) die_sys(EXIT_TEMP, "unable to connect to %s", argv[1]);
  r.to_server = r.from_server = fd;
  rr = client_relay(&r);
  if (rr != RELAY_OK) die_sys(EXIT_TEMP, "%s", client_relay_what(rr));
  return 0;
}
