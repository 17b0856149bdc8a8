/* ipcexec-config [-b bindir] user loguser dir: creates dir as a service
 * directory for daemontools, runit or s6 that runs the ipcexec broker
 * (ipcserver on dir/s, ipcexec with dir/rules/data.cdb) and logs it as
 * loguser.
 *
 * The tree is built under a hidden temporary name next to dir and renamed
 * into place only when complete, so a supervisor scanning the parent never
 * starts half a service, and a failure leaves nothing behind: whatever was
 * created is removed again, entry by entry. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "buf.h"
#include "config.h"
#include "die.h"
#include "fd.h"
#include "version.h"

#define USAGE "ipcexec-config [ -b bindir ] user loguser dir"

/* ipcserver binds dir/s: it must fit a socket address with its NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct entry {
  const char *name;          /* relative to the service directory */
  bool dir;
  mode_t mode;
  bool logowned;             /* owned by loguser rather than root */
  const struct buf *text;    /* file contents */
};

/* What exists so far, for the cleanup. */
static char *tmpdir;         /* the hidden name the tree is built under */
static int tmpfd = -1;
static const struct entry *created[16];
static size_t ncreated;

static void cleanup(void)
{
  while (ncreated) {
    const struct entry *e = created[--ncreated];
    if (unlinkat(tmpfd, e->name, e->dir ? AT_REMOVEDIR : 0) < 0)
      warn_sys("unable to remove %s/%s", tmpdir, e->name);
  }
  if (tmpfd >= 0) close(tmpfd);
  tmpfd = -1;
  if (tmpdir && rmdir(tmpdir) < 0) warn_sys("unable to remove %s", tmpdir);
  tmpdir = 0;
}

/* die_sys after removing what we created; the message keeps the errno of
 * the failure, not of the cleanup. */
__attribute__((format(printf, 1, 2)))
static noreturn void fail(const char *fmt, ...)
{
  char msg[1024];
  int err = errno;
  va_list ap;

  va_start(ap, fmt);
  if (vsnprintf(msg, sizeof msg, fmt, ap) < 0) msg[0] = 0;
  va_end(ap);
  cleanup();
  errno = err;
  die_sys(EXIT_TEMP, "%s", msg);
}

static void cat(struct buf *b, const char *s)
{
  if (!buf_cats(b, s)) die_nomem();
}

/* s as one shell word: single quotes, with ' written as '\''. */
static void cat_quoted(struct buf *b, const char *s, const char *tail)
{
  cat(b, "'");
  for (const char *p = s; *p; p++) {
    if (*p == '\'') cat(b, "'\\''");
    else if (!buf_catb(b, p, 1)) die_nomem();
  }
  for (const char *p = tail; *p; p++) {
    if (*p == '\'') cat(b, "'\\''");
    else if (!buf_catb(b, p, 1)) die_nomem();
  }
  cat(b, "'");
}

/* An absolute path with no control characters (they have no place in a
 * script line or a Makefile), trailing slashes removed. */
static char *path_arg(const char *what, const char *s)
{
  char *p;
  size_t n;

  if (s[0] != '/') die_x(EXIT_USAGE, "%s must be an absolute path: %s", what, s);
  for (const char *q = s; *q; q++)
    if ((unsigned char)*q < 32 || *q == 127)
      die_x(EXIT_USAGE, "%s must not contain control characters", what);
  p = strdup(s);
  if (!p) die_nomem();
  n = strlen(p);
  while (n > 1 && p[n - 1] == '/') p[--n] = 0;
  return p;
}

static const struct passwd *account(const char *name)
{
  const struct passwd *pw;

  errno = 0;
  pw = getpwnam(name);
  if (pw) return pw;
  if (errno && errno != ENOENT && errno != ESRCH)
    die_sys(EXIT_TEMP, "unable to look up account %s", name);
  die_x(EXIT_TEMP, "unknown account %s", name);
}

static void make_run(struct buf *b, const char *dir, const char *sbindir)
{
  cat(b,
    "#!/bin/sh\n"
    "# The ipcexec broker: ipcexecd on ./s decides every request with the\n"
    "# rules in ./rules/data.cdb and supervises its command, each in a fresh\n"
    "# process that no earlier request touched. Written by ipcexec-config(8);\n"
    "# the same script runs under daemontools, runit and s6, or by hand.\n"
    "# The ucspi-ipc 0.70 way, a fork and an exec of ipcexec per request, is\n"
    "# ipcserver -v -C 5 ./s ipcexec ./rules/data.cdb (see ipcexecd(8)).\n"
    "#\n"
    "# The broker runs as root: switching to the users the rules name needs\n"
    "# it. Who may run what is the rules' business: edit ./rules/data, then\n"
    "# run make in ./rules; no restart is needed.\n"
    "#\n"
    "# -C 5: any local user may connect, and without a per-uid limit one user\n"
    "# who opens connections and sends nothing holds every one of the 40\n"
    "# workers (-c) until the request deadline, so nobody else is served.\n"
    "# Five at once per client uid is plenty for people; raise it for an\n"
    "# account (a batch job) that runs more delegated commands at once.\n"
    "#\n"
    "# ./env holds one variable per file, read here so that no envdir program\n"
    "# is needed: the value is the file's first line without trailing blanks,\n"
    "# and an empty file removes the variable from the environment.\n"
    "exec 2>&1\n"
    "cd ");
  cat_quoted(b, dir, "");
  cat(b, " || exit 111\n"
    "set -- --\n"
    "for f in env/*; do\n"
    "  [ -f \"$f\" ] || continue\n"
    "  n=${f#env/}\n"
    "  case $n in\n"
    "    *=*) echo \"ipcexec run: warning: ignoring $f: = in a variable name\"; continue ;;\n"
    "  esac\n"
    "  if [ -s \"$f\" ]; then\n"
    "    v=\n"
    "    IFS= read -r v <\"$f\"\n"
    "    while :; do\n"
    "      case $v in\n"
    "        *' ' | *'\t') v=${v%?} ;;\n"
    "        *) break ;;\n"
    "      esac\n"
    "    done\n"
    "    set -- \"$@\" \"$n=$v\"\n"
    "  else\n"
    "    set -- -u \"$n\" \"$@\"\n"
    "  fi\n"
    "done\n"
    "exec env \"$@\" ");
  cat_quoted(b, sbindir, "/ipcexecd");
  cat(b, " -v -C 5 ");
  cat_quoted(b, dir, "/s");
  cat(b, " \\\n  ");
  cat_quoted(b, dir, "/rules/data.cdb");
  cat(b, "\n");
}

static void make_logrun(struct buf *b, const char *dir, const char *user, const char *group)
{
  static const char *const loggers[][2] = {
    { "s6-log", "-b t ./main" },
    { "multilog", "t ./main" },
    { "svlogd", "-tt ./main" },
  };

  cat(b,
    "#!/bin/sh\n"
    "# The log of the ipcexec broker: its status lines and one audit line per\n"
    "# request, kept in ./main. Written by ipcexec-config(8).\n"
    "#\n"
    "# The logger is the supervision suite's own (s6-log, multilog or svlogd,\n"
    "# the first found), run by setpriv(1) as ");
  cat(b, user);
  cat(b, " with that account's groups.\n"
    "cd ");
  cat_quoted(b, dir, "/log");
  cat(b, " || exit 111\n");
  for (size_t i = 0; i < sizeof loggers / sizeof loggers[0]; i++) {
    cat(b, "if command -v ");
    cat(b, loggers[i][0]);
    cat(b, " >/dev/null 2>&1; then\n  exec setpriv --reuid=");
    cat_quoted(b, user, "");
    cat(b, " --regid=");
    cat_quoted(b, group, "");
    cat(b, " --init-groups -- ");
    cat(b, loggers[i][0]);
    cat(b, " ");
    cat(b, loggers[i][1]);
    cat(b, "\nfi\n");
  }
  cat(b, "echo 'ipcexec log: fatal: no logger found: install s6 (s6-log), "
    "daemontools (multilog) or runit (svlogd)' >&2\n"
    "exit 111\n");
}

static void make_makefile(struct buf *b, const char *bindir)
{
  struct buf q = BUF_ZERO;

  cat(b,
    "# Compiles the exec rules: make -C this directory after editing data.\n"
    "# ipcexecrules replaces data.cdb atomically and ipcexec reads it afresh\n"
    "# for every request, so the running broker needs no restart.\n"
    "data.cdb: data\n\t");
  /* A shell word in a recipe: make only needs $ doubled. */
  cat_quoted(&q, bindir, "/ipcexecrules");
  for (size_t i = 0; i < q.len; i++) {
    if (q.s[i] == '$') cat(b, "$");
    if (!buf_catb(b, q.s + i, 1)) die_nomem();
  }
  buf_free(&q);
  cat(b, " data.cdb data.tmp < data\n");
}

/* The rest of the tree: root-owned unless logowned, exactly this mode
 * (set with fchmod, so the umask does not matter), synced. */
static void create(const struct entry *e, uid_t loguid, gid_t loggid)
{
  uid_t uid = e->logowned ? loguid : 0;
  gid_t gid = e->logowned ? loggid : 0;
  int fd;

  if (e->dir) {
    if (mkdirat(tmpfd, e->name, 0700) < 0) fail("unable to create %s/%s", tmpdir, e->name);
    created[ncreated++] = e;
    fd = openat(tmpfd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } else {
    fd = openat(tmpfd, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) created[ncreated++] = e;
  }
  if (fd < 0) fail("unable to create %s/%s", tmpdir, e->name);
  if (e->text && fd_write_all(fd, e->text->s, e->text->len) < 0)
    fail("unable to write %s/%s", tmpdir, e->name);
  if (fchown(fd, uid, gid) < 0) fail("unable to set the owner of %s/%s", tmpdir, e->name);
  if (fchmod(fd, e->mode) < 0) fail("unable to set the mode of %s/%s", tmpdir, e->name);
  if (fsync(fd) < 0) fail("unable to sync %s/%s", tmpdir, e->name);
  close(fd);
}

/* Puts the finished tree at dir, never over something that appeared there
 * meanwhile. */
static void publish(const char *dir)
{
  if (renameat2(AT_FDCWD, tmpdir, AT_FDCWD, dir, RENAME_NOREPLACE) == 0) return;
  if (errno != EINVAL && errno != ENOSYS) fail("unable to create %s", dir);
  /* A file system without RENAME_NOREPLACE: claim the name with mkdir,
   * which fails if it exists, then replace our own empty directory (rename
   * refuses a directory that someone filled meanwhile). */
  if (mkdir(dir, 0700) < 0) fail("unable to create %s", dir);
  if (rename(tmpdir, dir) < 0) {
    int err = errno;
    rmdir(dir);
    errno = err;
    fail("unable to create %s", dir);
  }
}

int main(int argc, char **argv)
{
  /* ipcexec is an administrator's program, in sbin; -b names one
   * directory for all three. */
  const char *bindir = BINDIR, *sbindir = SBINDIR;
  char *bindir_arg = 0;
  const char *user, *loguser;
  const struct passwd *pw;
  const struct group *gr;
  char *dir, *parent, *base, *logname, *loggroup;
  uid_t loguid;
  gid_t loggid;
  char gidnum[24];
  struct stat st;
  sigset_t block;
  struct buf run = BUF_ZERO, logrun = BUF_ZERO, makefile = BUF_ZERO, tmp = BUF_ZERO;
  struct buf errout = BUF_ZERO, data = BUF_ZERO;
  int opt, dfd;

  die_init("ipcexec-config");
  version_arg(argc, argv);
  umask(077);
  opterr = 0;
  while ((opt = getopt(argc, argv, "+b:")) != -1) {
    switch (opt) {
      case 'b':
        free(bindir_arg);
        bindir = sbindir = bindir_arg = path_arg("bindir", optarg);
        break;
      default: die_usage(USAGE);
    }
  }
  argv += optind;
  argc -= optind;
  if (argc != 3 || !argv[0][0] || !argv[1][0] || !argv[2][0]) die_usage(USAGE);
  user = argv[0];
  loguser = argv[1];
  dir = path_arg("dir", argv[2]);
  if (!strcmp(dir, "/")) die_x(EXIT_USAGE, "dir must name a new directory, not /");
  if (strlen(dir) + 2 > SOCKET_PATH_MAX)
    die_x(EXIT_USAGE, "dir is too long: the socket %s/s would not fit a socket address", dir);

  /* Every file must be root's (ipcexec refuses rules that are not) and the
   * log directory loguser's: only root can set both. */
  if (geteuid() != 0) die_x(EXIT_TEMP, "must be run as root: the service directory belongs to root");

  /* 0.70 ran ipcserver as user (envuidgid user ipcserver -U). Our ipcexec
   * switches to the users its rules name, which only root can do, so the
   * service runs as root; user is still checked, so that an old
   * invocation with a typo fails as it did. */
  pw = account(user);
  if (pw->pw_uid != 0)
    warn_x("the service runs as root, not as %s: ipcexec needs root to switch users", user);

  pw = account(loguser);
  loguid = pw->pw_uid;
  loggid = pw->pw_gid;
  logname = strdup(pw->pw_name);
  if (!logname) die_nomem();
  errno = 0;
  gr = getgrgid(loggid);
  if (gr) {
    loggroup = strdup(gr->gr_name);
  } else {
    snprintf(gidnum, sizeof gidnum, "%u", (unsigned)loggid);
    loggroup = strdup(gidnum);
  }
  if (!loggroup) die_nomem();

  for (const char *const *p = (const char *const[]){ "ipcexecd", "ipcexecrules", 0 }; *p; p++) {
    struct buf path = BUF_ZERO;
    cat(&path, strcmp(*p, "ipcexecd") ? bindir : sbindir);
    cat(&path, "/");
    cat(&path, *p);
    if (access(path.s, X_OK) < 0)
      warn_sys("the service needs %s", path.s);
    buf_free(&path);
  }

  make_run(&run, dir, sbindir);
  make_logrun(&logrun, dir, logname, loggroup);
  make_makefile(&makefile, bindir);
  cat(&errout, "1\n");
  cat(&data, ":deny\n");

  const struct entry tree[] = {
    { "run", false, 0755, false, &run },
    { "env", true, 0755, false, 0 },
    { "env/IPCERROUT", false, 0644, false, &errout },
    { "rules", true, 0755, false, 0 },
    { "rules/data", false, 0644, false, &data },
    { "rules/Makefile", false, 0644, false, &makefile },
    { "log", true, 0755, false, 0 },
    /* The audit log names callers and their arguments: loguser and its
     * group only. */
    { "log/main", true, 0750, true, 0 },
    { "log/run", false, 0755, false, &logrun },
  };
  _Static_assert(sizeof tree / sizeof tree[0] <= sizeof created / sizeof created[0],
    "cleanup list too short");

  if (lstat(dir, &st) == 0) {
    errno = EEXIST;
    die_sys(EXIT_TEMP, "unable to create %s", dir);
  }
  if (errno != ENOENT) die_sys(EXIT_TEMP, "unable to create %s", dir);

  /* The hidden name: ".BASE.XXXXXX" in dir's parent. Supervisors skip
   * names starting with a dot. */
  parent = strdup(dir);
  if (!parent) die_nomem();
  base = strrchr(parent, '/');
  *base++ = 0;
  cat(&tmp, parent[0] ? parent : "/");
  cat(&tmp, parent[0] ? "/." : ".");
  cat(&tmp, base);
  cat(&tmp, ".XXXXXX");

  /* An interrupt in the middle would leave the hidden tree behind. */
  sigemptyset(&block);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGQUIT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, 0);

  if (!mkdtemp(tmp.s)) die_sys(EXIT_TEMP, "unable to create a directory beside %s", dir);
  tmpdir = tmp.s;
  tmpfd = open(tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (tmpfd < 0) fail("unable to open %s", tmpdir);
  if (fchown(tmpfd, 0, 0) < 0) fail("unable to set the owner of %s", tmpdir);

  for (size_t i = 0; i < sizeof tree / sizeof tree[0]; i++)
    create(&tree[i], loguid, loggid);

  /* Readable by all once complete: the run scripts are not secret. */
  if (fchmod(tmpfd, 0755) < 0) fail("unable to set the mode of %s", tmpdir);
  if (fsync(tmpfd) < 0) fail("unable to sync %s", tmpdir);
  publish(dir);
  close(tmpfd);

  /* Done: the tree is in place. A failed sync of the parent only means it
   * may not survive a crash yet. */
  dfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) < 0) warn_sys("unable to sync %s", parent[0] ? parent : "/");
  if (dfd >= 0) close(dfd);

  buf_free(&run);
  buf_free(&logrun);
  buf_free(&makefile);
  buf_free(&errout);
  buf_free(&data);
  buf_free(&tmp);
  free(parent);
  free(loggroup);
  free(logname);
  free(dir);
  free(bindir_arg);
  return 0;
}
