/* benchrun [-u uid -g gid] [-n runs] [-w warmup] [-a] prog [arg...]
 *
 * The timing driver of bench.sh. Switches to uid/gid once (groups
 * cleared), then runs prog `runs` times, one after the other, and reports
 * the wall time of each run from just before posix_spawn to just after
 * waitpid. One line on stdout, tab-separated, microseconds:
 *
 *   runs  mean  min  median  max
 *
 * Each run gets /dev/null on fds 0-2, nothing else, and its own session
 * (no controlling terminal: sudo's use_pty and the like behave the same
 * whether the benchmark is started from a terminal or from a script).
 * A run that does not exit 0 stops everything: a failing contender would
 * otherwise look fast. -a accepts any exit status (profile.sh times
 * programs that stop at a usage error on purpose). Exit 0, 100 usage, 111 system failure or a run that
 * failed (its wait status on stderr).
 *
 * Not part of the product; built by bench.sh with the system compiler. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#define USAGE "usage: benchrun [-u uid -g gid] [-n runs] [-w warmup] [-a] prog [arg...]"
#define MAX_RUNS 10000000UL

extern char **environ;
static int any_status;

static void fatal(const char *what)
{
  fprintf(stderr, "benchrun: fatal: %s: %s\n", what, strerror(errno));
  exit(111);
}

static void usage(void)
{
  fprintf(stderr, "benchrun: %s\n", USAGE);
  exit(100);
}

static unsigned long number(const char *s, unsigned long max)
{
  char *end;
  unsigned long v;

  if (!s || *s < '0' || *s > '9') usage();
  errno = 0;
  v = strtoul(s, &end, 10);
  if (errno || *end || v > max) usage();
  return v;
}

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Become uid/gid for good, the way setpriv --clear-groups does, and prove
 * it: a driver that silently stayed root would measure the wrong thing. */
static void become(uid_t uid, gid_t gid)
{
  uid_t ru, eu, su;
  gid_t rg, eg, sg;

  if (setgroups(0, NULL) < 0) fatal("unable to clear groups");
  if (setresgid(gid, gid, gid) < 0) fatal("unable to set gid");
  if (setresuid(uid, uid, uid) < 0) fatal("unable to set uid");
  if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) fatal("unable to read ids");
  if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
    errno = EPERM;
    fatal("ids did not change");
  }
  if (uid != 0 && setuid(0) == 0) {
    errno = EPERM;
    fatal("still able to become root");
  }
}

static double run_once(const char *prog, char **argv, const posix_spawn_file_actions_t *fa,
    const posix_spawnattr_t *at)
{
  pid_t pid;
  int status, e;
  double t0, t1;

  t0 = now_us();
  e = posix_spawn(&pid, prog, fa, at, argv, environ);
  if (e) {
    errno = e;
    fatal(prog);
  }
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fatal("unable to wait");
  t1 = now_us();
  if (!any_status && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    if (WIFEXITED(status))
      fprintf(stderr, "benchrun: fatal: %s exited %d\n", prog, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
      fprintf(stderr, "benchrun: fatal: %s killed by signal %d\n", prog, WTERMSIG(status));
    else
      fprintf(stderr, "benchrun: fatal: %s: wait status %d\n", prog, status);
    exit(111);
  }
  return t1 - t0;
}

int main(int argc, char **argv)
{
  unsigned long runs = 100, warmup = 0;
  long uid = -1, gid = -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  double *t, sum = 0;
  int opt, null;

  opterr = 0;
  while ((opt = getopt(argc, argv, "+u:g:n:w:a")) != -1) {
    switch (opt) {
      case 'u': uid = (long)number(optarg, 4294967294UL); break;
      case 'g': gid = (long)number(optarg, 4294967294UL); break;
      case 'n': runs = number(optarg, MAX_RUNS); break;
      case 'w': warmup = number(optarg, MAX_RUNS); break;
      case 'a': any_status = 1; break;
      default: usage();
    }
  }
  if (optind >= argc || argv[optind][0] != '/' || runs == 0) usage();
  if ((uid < 0) != (gid < 0)) usage();
  argv += optind;

  null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) fatal("unable to open /dev/null");
  if (uid >= 0) become((uid_t)uid, (gid_t)gid);

  if (posix_spawn_file_actions_init(&fa)) fatal("posix_spawn_file_actions_init");
  for (int fd = 0; fd < 3; fd++)
    if (posix_spawn_file_actions_adddup2(&fa, null, fd)) fatal("posix_spawn_file_actions_adddup2");
  if (posix_spawnattr_init(&at)) fatal("posix_spawnattr_init");
#ifdef POSIX_SPAWN_SETSID
  if (posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID)) fatal("posix_spawnattr_setflags");
#endif

  t = calloc(runs, sizeof *t);
  if (!t) fatal("unable to allocate");

  for (unsigned long i = 0; i < warmup; i++) run_once(argv[0], argv, &fa, &at);
  for (unsigned long i = 0; i < runs; i++) {
    t[i] = run_once(argv[0], argv, &fa, &at);
    sum += t[i];
  }

  qsort(t, runs, sizeof *t, cmp_double);
  printf("%lu\t%.3f\t%.3f\t%.3f\t%.3f\n", runs, sum / (double)runs, t[0],
      runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2, t[runs - 1]);
  if (fflush(stdout) == EOF) fatal("unable to write");
  free(t);
  return 0;
}
