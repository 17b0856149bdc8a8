#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "contain.h"
#include "die.h"
#include "fd.h"
#include "logsafe.h"
#include "peer_cred.h"
#include "rules_lookup.h"
#include "scan.h"
#include "sig.h"
#include "unix_socket.h"

struct child {
  pid_t pid;
  uint32_t euid;      /* meaningful when the -C limit is on */
};

struct server {
  const struct server_config *c;
  int lfd;
  const char *localpath;
  struct child *children;      /* c->limit slots, the first n in use */
  unsigned n;
  sigset_t waitmask;           /* the mask while waiting: CHLD and TERM open */
  int ignored[NSIG];           /* signals that were ignored when we started */
  int nignored;
};

static volatile sig_atomic_t got_chld;
static volatile sig_atomic_t got_term;

static void on_chld(int sig)
{
  (void)sig;
  got_chld = 1;
}

static void on_term(int sig)
{
  (void)sig;
  got_term = 1;
}

void server_config_init(struct server_config *c)
{
  memset(c, 0, sizeof *c);
  c->verbosity = SERVER_ERRORS;
  c->limit = SERVER_DEFAULT_LIMIT;
  c->backlog = SERVER_DEFAULT_BACKLOG;
  c->delete_path = true;
  c->lookup_peer = true;
}

static unsigned option_number(const char *usage, const char *s, unsigned min, unsigned max)
{
  uint64_t v;
  if (!scan_u64(s, max, &v) || v < min) die_usage(usage);
  return (unsigned)v;
}

static uint32_t option_id(const char *usage, const char *s)
{
  uint32_t v;
  if (!scan_id(s, &v)) die_usage(usage);
  return v;
}

bool server_option(struct server_config *c, int opt, const char *arg, const char *usage)
{
  switch (opt) {
    case 'q': c->verbosity = SERVER_QUIET; break;
    case 'Q': c->verbosity = SERVER_ERRORS; break;
    case 'v': c->verbosity = SERVER_VERBOSE; break;
    case 'c': c->limit = option_number(usage, arg, 1, SERVER_MAX_LIMIT); break;
    case 'C': c->peruid = option_number(usage, arg, 1, SERVER_MAX_LIMIT); break;
    case 'x': c->rules = arg; break;
    case 'X': c->rules_missing_ok = true; break;
    case 'B': c->banner = arg; break;
    case 'g': c->gid = option_id(usage, arg); c->set_gid = true; break;
    case 'u': c->uid = option_id(usage, arg); c->set_uid = true; break;
    case 'U':
      /* As set by envuidgid; both must be there and canonical, since a
       * missing one silently meaning "root" is the bug to avoid. */
      if (!scan_id(getenv("UID"), &c->uid) || !scan_id(getenv("GID"), &c->gid))
        die_x(EXIT_USAGE, "-U needs $UID and $GID set to numeric ids");
      c->set_uid = c->set_gid = true;
      break;
    case 'b': c->backlog = option_number(usage, arg, 0, SERVER_MAX_BACKLOG); break;
    case 'd': c->delete_path = true; break;
    case 'D': c->delete_path = false; break;
    case 'l': c->localname = arg; break;
    case 'p': c->lookup_peer = true; break;
    case 'P': c->lookup_peer = false; break;
    default: return false;
  }
  return true;
}

int server_switch_ids(const struct server_config *c, const char **what)
{
  uid_t ru, eu, su;
  gid_t rg, eg, sg;

  if (c->set_gid) {
    gid_t g = (gid_t)c->gid;
    *what = "setgroups";
    if (setgroups(1, &g) < 0) return -1;
    *what = "setresgid";
    if (setresgid(g, g, g) < 0) return -1;
  } else if (c->set_uid && geteuid() == 0) {
    /* -u alone: root's supplementary groups must not follow the server
     * into the new uid. This is the last moment we may drop them. */
    gid_t g = getegid();
    *what = "setgroups";
    if (setgroups(1, &g) < 0) return -1;
  }
  if (c->set_uid) {
    uid_t u = (uid_t)c->uid;
    *what = "setresuid";
    if (setresuid(u, u, u) < 0) return -1;
  }

  /* Prove it: a partial switch must never go on serving. */
  *what = "verify the new ids";
  if (getresgid(&rg, &eg, &sg) < 0 || getresuid(&ru, &eu, &su) < 0) return -1;
  if (c->set_gid && (rg != c->gid || eg != c->gid || sg != c->gid)) goto bad;
  if (c->set_uid && (ru != c->uid || eu != c->uid || su != c->uid)) goto bad;
  if (c->set_gid) {
    gid_t groups[2];
    int ng = getgroups(2, groups);
    if (ng != 1 || groups[0] != (gid_t)c->gid) goto bad;
  }
  if (c->set_uid && c->uid != 0 && setuid(0) == 0) goto bad;
  return 0;
bad:
  errno = EPERM;
  return -1;
}

static bool errors(const struct server_config *c) { return c->verbosity >= SERVER_ERRORS; }
static bool verbose(const struct server_config *c) { return c->verbosity >= SERVER_VERBOSE; }

static void status(const struct server *s)
{
  if (verbose(s->c)) say("status: %u/%u", s->n, s->c->limit);
}

static bool setenv_u(const char *name, uint64_t v)
{
  char num[21];
  fmt_u64(num, v);
  return setenv(name, num, 1) == 0;
}

/* The identity variables are the server's word (the kernel's, for the
 * peer ids): a rule variable of the same name is dropped, with a warning,
 * so that no rule can make a client look like someone else to the program
 * (ipcexec decides from them). The item stays in m, marked '-'. */
static void drop_reserved(const struct server_config *c, struct rules_match *m)
{
  for (size_t k = 0; k < m->nitems; k++) {
    struct rules_item *it = &m->items[k];
    char key[SERVER_LOG_MAX + 4];
    if (it->type != '+' || !rules_var_reserved(it->name)) continue;
    it->type = '-';
    if (!errors(c)) continue;
    logsafe(key, sizeof key, m->key.s, m->key.len, SERVER_LOG_MAX);
    warn_x("ignoring %s from rule \"%s\": the server sets it", it->name, key);
  }
}

bool server_peer_groups(int fd, uint32_t egid, uint32_t **groups, size_t *n, char **text)
{
  char *t, *p;
  *groups = 0;
  *text = 0;
  if (peer_groups_get(fd, egid, groups, n) < 0) {
    if (errno != ENOPROTOOPT) return false;
    /* Before Linux 4.13: the egid is all the kernel tells. */
    *groups = malloc(sizeof **groups);
    if (!*groups) return false;
    (*groups)[0] = egid;
    *n = 1;
  }
  t = p = malloc(*n * 11 + 1);
  if (!t) {
    free(*groups);
    *groups = 0;
    return false;
  }
  for (size_t i = 0; i < *n; i++) {
    if (i) *p++ = ',';
    p += fmt_u64(p, (*groups)[i]);
  }
  *p = 0;
  *text = t;
  return true;
}

enum server_rules server_conn_rules(const struct server_config *c,
    const struct rules_who *who, struct rules_match *m)
{
  enum rules_result r;
  const char *why;
  int rfd, err;

  if (!c->rules) return SERVER_RULES_NONE;
  /* Opened per connection so that ipcrules can rename a new cdb into
   * place while we run; the old one stays valid for whoever has it open. */
  rfd = open(c->rules, O_RDONLY | O_CLOEXEC);
  if (rfd < 0) {
    if (errno == ENOENT && c->rules_missing_ok) return SERVER_RULES_NONE;
    if (errors(c)) warn_sys("dropping connection, unable to read %s", c->rules);
    return SERVER_RULES_ERROR;
  }
  /* As root, the rules decide who reaches a root program (ipcexec): a
   * file anyone but root could have written is refused, fail closed. */
  why = rules_untrusted(rfd, geteuid());
  if (why) {
    if (errors(c)) warn_x("dropping connection, refusing %s: %s", c->rules, why);
    close(rfd);
    return SERVER_RULES_ERROR;
  }
  r = rules_lookup_conn(rfd, who, m);
  err = errno;
  close(rfd);
  switch (r) {
    case RULES_ERROR:
      if (errors(c))
        warn_x("dropping connection, unable to read %s: %s", c->rules,
            err == EPROTO ? "malformed rules" : strerror(err));
      return SERVER_RULES_ERROR;
    case RULES_DENY:
      return SERVER_RULES_DENY;
    case RULES_ALLOW:
      drop_reserved(c, m);
      return SERVER_RULES_ALLOW;
    case RULES_NOTFOUND:
      break;
  }
  return SERVER_RULES_NONE;
}

/* The child, from fork to exec. Runs for every connection, so it does only
 * what the connection needs: no config beyond the -x cdb, no name lookups,
 * no allocation beyond setenv and the rules record. */
static noreturn void child(const struct server *s, int fd, const char *remote,
    struct peer_cred *pc, bool have_cred)
{
  const struct server_config *c = s->c;
  char saferemote[SERVER_LOG_MAX + 4];
  char safelocal[SERVER_LOG_MAX + 4];
  struct rules_who who;
  struct rules_match m;
  sigset_t empty;
  long me = (long)getpid();
  int i;

  /* The handler starts as if run from a shell: default dispositions (only
   * ignored ones survive exec, so only those need resetting) and no
   * blocked signals. The C library's reserved signals, which sigaction
   * cannot see, are reset by the raw system call (make and ninja leave
   * them ignored). */
  for (i = 0; i < s->nignored; i++) signal(s->ignored[i], SIG_DFL);
  sig_reset_reserved();
  signal(SIGCHLD, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, 0);

  if (verbose(c)) {
    logsafe(saferemote, sizeof saferemote, remote, strlen(remote), SERVER_LOG_MAX);
    logsafe(safelocal, sizeof safelocal, s->localpath, strlen(s->localpath), SERVER_LOG_MAX);
    say("pid %ld from %s", me, saferemote);
  }

  if (c->lookup_peer && !have_cred) {
    if (peer_cred_get(fd, pc) < 0) {
      if (errors(c)) warn_sys("dropping connection, unable to get peer ids");
      _exit(EXIT_TEMP);
    }
    have_cred = true;
  }

  if (c->banner && fd_write_all(fd, c->banner, strlen(c->banner)) < 0) {
    if (errors(c)) warn_sys("dropping connection, unable to write banner");
    _exit(EXIT_TEMP);
  }

  if (setenv("IPCREMOTEPATH", remote, 1) < 0) goto nomem;
  memset(&who, 0, sizeof who);
  who.has_euid = who.has_egid = true;
  if (c->lookup_peer) {
    if (!setenv_u("IPCREMOTEEUID", pc->uid) || !setenv_u("IPCREMOTEEGID", pc->gid)
        || !setenv_u("IPCREMOTEPID", (uint64_t)pc->pid))
      goto nomem;
    who.euid = pc->uid;
    who.egid = pc->gid;
    /* The groups for %GID rules and the exec broker, from the kernel.
     * They live until exec. */
    {
      uint32_t *groups;
      char *text;
      if (!server_peer_groups(fd, pc->gid, &groups, &who.ngroups, &text)) {
        if (errors(c)) warn_sys("dropping connection, unable to get the peer's groups");
        _exit(EXIT_TEMP);
      }
      who.groups = groups;
      if (setenv("IPCREMOTEGROUPS", text, 1) < 0) goto nomem;
    }
  } else {
    /* -P: the rules see the server's own ids, as in 0.70. */
    who.euid = (uint32_t)geteuid();
    who.egid = (uint32_t)getegid();
  }

  switch (server_conn_rules(c, &who, &m)) {
    case SERVER_RULES_ERROR:
      _exit(EXIT_TEMP);
    case SERVER_RULES_DENY:
      if (verbose(c)) say("deny %ld %s %s:%lu,%lu", me, safelocal, saferemote,
          (unsigned long)who.euid, (unsigned long)who.egid);
      _exit(EXIT_PERM);
    case SERVER_RULES_ALLOW:
      for (size_t k = 0; k < m.nitems; k++)
        if (m.items[k].type == '+' && setenv(m.items[k].name, m.items[k].value, 1) < 0)
          goto nomem;
      break;
    case SERVER_RULES_NONE:
      break;
  }

  if (verbose(c)) say("ok %ld %s %s:%lu,%lu", me, safelocal, saferemote,
      (unsigned long)who.euid, (unsigned long)who.egid);

  if (fd_copy(0, fd) < 0 || fd_copy(1, fd) < 0) {
    if (errors(c)) warn_sys("dropping connection, unable to set up descriptors");
    _exit(EXIT_TEMP);
  }
  if (fd > 1) close(fd);
  if (c->builtin) {
    /* The very file that would be exec'd, unchanged since the server
     * started: its code is the builtin's. Replaced since (an upgrade),
     * it is exec'd. */
    struct stat st;
    const struct stat *b = &c->builtin_st;
    if (stat(c->builtin_path, &st) == 0 && st.st_dev == b->st_dev && st.st_ino == b->st_ino
        && st.st_size == b->st_size && st.st_mtim.tv_sec == b->st_mtim.tv_sec
        && st.st_mtim.tv_nsec == b->st_mtim.tv_nsec && st.st_ctim.tv_sec == b->st_ctim.tv_sec
        && st.st_ctim.tv_nsec == b->st_ctim.tv_nsec) {
      int argc = 0;
      const char *base = strrchr(c->prog[0], '/');
      while (c->prog[argc]) argc++;
      /* The name ps and pkill know it by, as after an exec. */
      prctl(PR_SET_NAME, base ? base + 1 : c->prog[0], 0, 0, 0);
      c->builtin(argc, c->prog);
    }
  }
  execvp(c->prog[0], c->prog);
  die_sys(EXIT_TEMP, "unable to run %s", c->prog[0]);

nomem:
  if (errors(c)) warn_x("dropping connection, out of memory");
  _exit(EXIT_TEMP);
}

static void reap(struct server *s)
{
  pid_t pid;
  int wstat;

  while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
    unsigned i;
    for (i = 0; i < s->n; i++)
      if (s->children[i].pid == pid) break;
    if (i == s->n) continue;   /* not a connection child */
    s->children[i] = s->children[--s->n];
    /* A program killed by a signal may have been an ipcexec that could
     * not end its request: whatever it left in its cgroup (ipcexec.PID,
     * under ours) is killed now, so no command outlives its supervisor.
     * Safe: the name holds a pid that was our child's until the waitpid
     * just now (a zombie keeps its pid), so only a pid wrapping around in
     * the instant since could make it name another request's cgroup. */
    if (WIFSIGNALED(wstat)) {
      int left = contain_reap_dead(pid);
      if (left >= 0)
        warn_x("lost %ld: killed by signal %d, %d left in its cgroup killed", (long)pid,
            WTERMSIG(wstat), left);
    }
    if (verbose(s->c)) {
      say("end %ld status %d", (long)pid, wstat);
      status(s);
    }
  }
}

static void handle(struct server *s, int fd, const char *remote)
{
  const struct server_config *c = s->c;
  struct peer_cred pc;
  bool have_cred = false;
  pid_t pid;

  memset(&pc, 0, sizeof pc);
  if (c->peruid) {
    /* The parent needs the euid to count, so the lookup moves here; the
     * child reuses it rather than asking twice. */
    unsigned count = 0;
    if (peer_cred_get(fd, &pc) < 0) {
      if (errors(c)) warn_sys("dropping connection, unable to get peer ids");
      close(fd);
      return;
    }
    have_cred = true;
    for (unsigned i = 0; i < s->n; i++)
      if (s->children[i].euid == pc.uid) count++;
    if (count >= c->peruid) {
      if (errors(c))
        warn_x("dropping connection, uid %lu has %u connections (limit %u)",
            (unsigned long)pc.uid, count, c->peruid);
      close(fd);
      return;
    }
  }

  pid = fork();
  if (pid < 0) {
    if (errors(c)) warn_sys("dropping connection, unable to fork");
    close(fd);
    return;
  }
  if (pid == 0) child(s, fd, remote, &pc, have_cred);
  s->children[s->n].pid = pid;
  s->children[s->n].euid = pc.uid;
  s->n++;
  status(s);
  close(fd);
}

/* systemd-style socket activation: LISTEN_PID names us and LISTEN_FDS is 1.
 * Returns the inherited fd, or -1 when we were not activated. */
static int activated_fd(void)
{
  const char *lp = getenv("LISTEN_PID");
  const char *lf = getenv("LISTEN_FDS");
  uint64_t pid, n;
  int fd = -1;

  if (lp && lf && scan_u64(lp, INT32_MAX, &pid) && (pid_t)pid == getpid()) {
    if (!scan_u64(lf, INT32_MAX, &n) || n != 1)
      die_x(EXIT_TEMP, "unable to use socket activation: LISTEN_FDS must be 1");
    if (!peer_unix_is_listener(3))
      die_x(EXIT_TEMP, "unable to use socket activation: fd 3 is not a listening local socket");
    fd = 3;
  }
  /* Meant for us or not, handlers must never see them. */
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
  return fd;
}

int server_listen(const struct server_config *c, const char **localpath)
{
  const char *what;
  int lfd;

  *localpath = c->localname ? c->localname : c->path;
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  lfd = activated_fd();
  /* Descriptors we inherited (beyond the activated socket) are not ours to
   * pass on to every handler; drop them once, here, not per connection. */
  fd_close_from(lfd >= 0 ? lfd + 1 : 3);
  if (lfd >= 0) {
    if (fd_cloexec(lfd) < 0 || fd_nonblock(lfd, 1) < 0 || listen(lfd, (int)c->backlog) < 0)
      die_sys(EXIT_TEMP, "unable to listen");
  } else {
    int flags = PEER_BIND_UMASK0 | (c->delete_path ? PEER_BIND_DELETE : 0);
    lfd = peer_unix_listen(c->path, flags, (int)c->backlog);
    if (lfd < 0) die_sys(EXIT_TEMP, "unable to bind %s", c->path);
  }

  if (server_switch_ids(c, &what) < 0) die_sys(EXIT_TEMP, "unable to %s", what);

  /* What every child shares is set once, here, not per connection. */
  if (setenv("PROTO", "IPC", 1) < 0 || setenv("IPCLOCALPATH", *localpath, 1) < 0) die_nomem();
  unsetenv("IPCREMOTEEUID");
  unsetenv("IPCREMOTEEGID");
  unsetenv("IPCREMOTEPID");
  return lfd;
}

int server_run(const struct server_config *c)
{
  struct server s;
  struct sigaction sa;
  sigset_t block, old;
  char remote[PEER_PATH_MAX + 1];
  int sig;

  memset(&s, 0, sizeof s);
  s.c = c;

  s.lfd = server_listen(c, &s.localpath);
  /* What an earlier broker here left when it was killed outright: its
   * ipcexecs' cgroups, and anything still in them. */
  contain_sweep(!errors(c));

  s.children = calloc(c->limit, sizeof *s.children);
  if (!s.children) die_nomem();

  for (sig = 1; sig < NSIG; sig++) {
    struct sigaction cur;
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, 0, &cur) == 0 && cur.sa_handler == SIG_IGN)
      s.ignored[s.nignored++] = sig;
  }

  /* CHLD and TERM are blocked except while we wait in ppoll or sigsuspend,
   * so a flag can never be set between the check and the wait. */
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGTERM);
  if (sigprocmask(SIG_BLOCK, &block, &old) < 0) die_sys(EXIT_TEMP, "unable to block signals");
  s.waitmask = old;
  sigdelset(&s.waitmask, SIGCHLD);
  sigdelset(&s.waitmask, SIGTERM);
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, 0) < 0) die_sys(EXIT_TEMP, "unable to catch SIGCHLD");
  sa.sa_handler = on_term;
  sa.sa_flags = 0;
  if (sigaction(SIGTERM, &sa, 0) < 0) die_sys(EXIT_TEMP, "unable to catch SIGTERM");

  status(&s);
  for (;;) {
    struct pollfd p;
    int fd;

    if (got_term) break;
    if (got_chld) {
      got_chld = 0;
      reap(&s);
    }
    if (s.n >= c->limit) {
      /* Defer accept: the kernel queues new clients (up to -b) while we
       * sleep until a child exits. */
      sigsuspend(&s.waitmask);
      continue;
    }
    p.fd = s.lfd;
    p.events = POLLIN;
    p.revents = 0;
    if (ppoll(&p, 1, 0, &s.waitmask) < 0) {
      if (errno == EINTR) continue;
      die_sys(EXIT_TEMP, "unable to wait for connections");
    }
    fd = peer_unix_accept(s.lfd, remote);
    if (fd < 0) {
      struct timespec pause = { 0, 100 * 1000 * 1000 };
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
        continue;
      /* Out of descriptors or memory: say so, then back off instead of
       * spinning on a listener that stays readable. */
      if (errors(c)) warn_sys("unable to accept");
      ppoll(0, 0, &pause, &s.waitmask);
      continue;
    }
    handle(&s, fd, remote);
  }
  free(s.children);
  return 0;
}
