/* record-write [-c cap] [-d ms] [-e text] [-n name] [-t] [-w s] [-x wstatus] [-k]
 *   DIR ID [ARG...]: makes a recording with the writer the broker uses.
 * Standard input becomes stdout data, one record per read, with ms
 * milliseconds between reads; -e text is then recorded as stderr, -t adds
 * a window size and terminal output with an escape sequence. ARG... is the
 * recorded command (default "true"), -n the caller's name. -w waits s
 * seconds before the end (the recording is "running" meanwhile), -k exits
 * without writing the end (a recording cut short). Exit 0, or 111 with
 * the writer's reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

int main(int argc, char **argv)
{
  static const char *const deflt[] = { "true", 0 };
  struct record_meta m = { .target_name = "root", .cwd = "/" };
  unsigned long long cap = 0, size;
  const char *err = 0, *why;
  struct record *r;
  char buf[4096];
  int opt, ms = 0, wait_s = 0, wstatus = 0, tty = 0, cut = 0, truncated, e;
  ssize_t n;

  while ((opt = getopt(argc, argv, "+c:d:e:n:tw:x:k")) != -1) {
    switch (opt) {
      case 'c': cap = strtoull(optarg, 0, 10); break;
      case 'd': ms = atoi(optarg); break;
      case 'e': err = optarg; break;
      case 'n': m.caller_name = optarg; break;
      case 't': tty = 1; break;
      case 'w': wait_s = atoi(optarg); break;
      case 'x': wstatus = atoi(optarg); break;
      case 'k': cut = 1; break;
      default: return 100;
    }
  }
  if (argc - optind < 2) return 100;
  m.id = argv[optind + 1];
  m.argv = argc - optind > 2 ? (const char *const *)argv + optind + 2 : deflt;
  m.caller_uid = getuid();
  m.caller_gid = getgid();
  if (tty) {
    m.tty = "/dev/pts/9";
    m.rows = 24;
    m.cols = 80;
  }
  r = record_open(argv[optind], &m, cap, &why);
  if (!r) {
    fprintf(stderr, "record-write: %s: %s\n", why, errno ? strerror(errno) : "refused");
    return 111;
  }
  for (int first = 1; (n = read(0, buf, sizeof buf)) > 0; first = 0) {
    if (!first && ms) usleep((useconds_t)ms * 1000);
    record_data(r, REC_STDOUT, buf, (size_t)n);
  }
  if (err) record_data(r, REC_STDERR, err, strlen(err));
  if (tty) {
    record_winsize(r, 50, 132);
    record_data(r, REC_TTYIN, "q", 1);
    record_data(r, REC_TTYOUT, "\033[1mbold\033[0m\n", 13);
  }
  if (wait_s) sleep((unsigned)wait_s);
  if (cut) _exit(0);
  if (record_close(r, wstatus, &size, &truncated, &e) < 0) {
    fprintf(stderr, "record-write: unable to end the recording: %s\n", strerror(e));
    return 111;
  }
  printf("size=%llu truncated=%d\n", size, truncated);
  return 0;
}
