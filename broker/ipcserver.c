/* ipcserver: accept local-domain connections and run a program for each. */
#include <unistd.h>

#include "die.h"
#include "server.h"
#include "version.h"

#define USAGE "ipcserver [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] " \
  "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] path prog"

int main(int argc, char **argv)
{
  struct server_config c;
  int opt;

  die_init("ipcserver");
  version_arg(argc, argv);
  server_config_init(&c);
  opterr = 0;
  while ((opt = getopt(argc, argv, "+" SERVER_OPTIONS)) != -1)
    if (!server_option(&c, opt, optarg, USAGE)) die_usage(USAGE);
  argv += optind;
  argc -= optind;
  if (argc < 2 || !argv[0][0] || !argv[1][0]) die_usage(USAGE);
  c.path = argv[0];
  c.prog = argv + 1;
  return server_run(&c);
}
