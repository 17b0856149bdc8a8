/* ipcserver: accept local-domain connections and run a program for each. */
#include <stdlib.h>
#include <unistd.h>

#include "die.h"
#include "scan.h"
#include "server.h"

#define USAGE "ipcserver [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] " \
  "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] path prog"

static unsigned number(const char *s, unsigned min, unsigned max)
{
  uint64_t v;
  if (!scan_u64(s, max, &v) || v < min) die_usage(USAGE);
  return (unsigned)v;
}

static uint32_t id(const char *s)
{
  uint32_t v;
  if (!scan_id(s, &v)) die_usage(USAGE);
  return v;
}

int main(int argc, char **argv)
{
  struct server_config c;
  int opt;

  die_init("ipcserver");
  server_config_init(&c);
  opterr = 0;
  while ((opt = getopt(argc, argv, "+qQvc:C:x:XB:g:u:Ub:dDl:pP")) != -1) {
    switch (opt) {
      case 'q': c.verbosity = SERVER_QUIET; break;
      case 'Q': c.verbosity = SERVER_ERRORS; break;
      case 'v': c.verbosity = SERVER_VERBOSE; break;
      case 'c': c.limit = number(optarg, 1, SERVER_MAX_LIMIT); break;
      case 'C': c.peruid = number(optarg, 1, SERVER_MAX_LIMIT); break;
      case 'x': c.rules = optarg; break;
      case 'X': c.rules_missing_ok = true; break;
      case 'B': c.banner = optarg; break;
      case 'g': c.gid = id(optarg); c.set_gid = true; break;
      case 'u': c.uid = id(optarg); c.set_uid = true; break;
      case 'U':
        /* As set by envuidgid; both must be there and canonical, since a
         * missing one silently meaning "root" is the bug to avoid. */
        if (!scan_id(getenv("UID"), &c.uid) || !scan_id(getenv("GID"), &c.gid))
          die_x(EXIT_USAGE, "-U needs $UID and $GID set to numeric ids");
        c.set_uid = c.set_gid = true;
        break;
      case 'b': c.backlog = number(optarg, 0, SERVER_MAX_BACKLOG); break;
      case 'd': c.delete_path = true; break;
      case 'D': c.delete_path = false; break;
      case 'l': c.localname = optarg; break;
      case 'p': c.lookup_peer = true; break;
      case 'P': c.lookup_peer = false; break;
      default: die_usage(USAGE);
    }
  }
  argv += optind;
  argc -= optind;
  if (argc < 2 || !argv[0][0] || !argv[1][0]) die_usage(USAGE);
  c.path = argv[0];
  c.prog = argv + 1;
  return server_run(&c);
}
