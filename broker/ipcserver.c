/* ipcserver: accept local-domain connections and run a program for each. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "config.h"
#include "contain.h"
#include "decide.h"
#include "die.h"
#include "exec_main.h"
#include "server.h"
#include "version.h"

#define USAGE "ipcserver [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] " \
  "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] path prog"

/* Where execvp would find prog (the first executable regular file on PATH,
 * or prog itself when it names a path) into buf; false if nowhere. */
static bool resolve(const char *prog, char *buf, size_t size)
{
  const char *path = getenv("PATH"), *p, *end;
  if (strchr(prog, '/')) return snprintf(buf, size, "%s", prog) < (int)size;
  if (!path) path = "/bin:/usr/bin";    /* execvp's own default */
  for (p = path; ; p = end + 1) {
    struct stat st;
    size_t n;
    end = strchr(p, ':');
    if (!end) end = p + strlen(p);
    n = (size_t)(end - p);
    if (snprintf(buf, size, "%.*s%s%s", (int)n, p, n ? "/" : "", prog) < (int)size
        && stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
      return true;
    if (!*end) return false;
  }
}

/* Whether the file at path, still the one st describes, carries ipcexec's
 * mark: the path alone says nothing of what is there now (a wrapper put
 * in its place, an ipcexec of another version). Read only, by root, from
 * a path only root could have changed (SBINDIR, or beside this program). */
static bool marked(const char *path, const struct stat *st)
{
  static const char mark[] = EXEC_MAIN_MARK;
  struct stat now;
  bool found = false;
  void *p;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  if (fstat(fd, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino
      && now.st_size > 0 && (uintmax_t)now.st_size <= SIZE_MAX) {
    p = mmap(0, (size_t)now.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      found = memmem(p, (size_t)now.st_size, mark, sizeof mark - 1) != 0;
      munmap(p, (size_t)now.st_size);
    }
  }
  close(fd);
  return found;
}

/* Whether the file at path is the ipcexec installed with this ipcserver
 * (the same file as SBINDIR/ipcexec) or built with it (../exec/ipcexec
 * from this program, the build tree's layout); st is then its status. */
static bool our_ipcexec(const char *path, struct stat *st)
{
  char self[PATH_MAX], sib[PATH_MAX + 16], *slash;
  const char *cand[2] = { SBINDIR "/ipcexec", 0 };
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (stat(path, st) < 0 || !S_ISREG(st->st_mode)) return false;
  if (n > 0) {
    self[n] = 0;
    if ((slash = strrchr(self, '/'))) *slash = 0;
    if ((slash = strrchr(self, '/'))) {
      *slash = 0;
      snprintf(sib, sizeof sib, "%s/exec/ipcexec", self);
      cand[1] = sib;
    }
  }
  for (int i = 0; i < 2; i++) {
    struct stat c;
    if (cand[i] && stat(cand[i], &c) == 0 && c.st_dev == st->st_dev && c.st_ino == st->st_ino)
      return marked(path, st);
  }
  return false;
}

int main(int argc, char **argv)
{
  struct server_config c;
  static char prog[PATH_MAX];
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
  /* ipcserver + ipcexec, the 0.70 way: each connection's child runs
   * ipcexec's code as it is, without the exec and the dynamic start of a
   * new image, and with what every ipcexec would load for itself (the NSS
   * modules, where the cgroup2 mount is) loaded once here. The same file
   * only: a copy elsewhere, a wrapper, or ipcexec replaced while the
   * server runs is exec'd as any program. */
  if (resolve(c.prog[0], prog, sizeof prog) && our_ipcexec(prog, &c.builtin_st)) {
    c.builtin = exec_main;
    c.builtin_path = prog;
    exec_warm();
    contain_warm();
    if (c.verbosity >= SERVER_VERBOSE) say("%s runs in each connection's child without an exec", prog);
  }
  return server_run(&c);
}
