#include "ipchandle.h"
#include "ipchandle_private.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "die.h"
#include "fd.h"
#include "logsafe.h"
#include "peer_cred.h"
#include "rules_lookup.h"
#include "scan.h"
#include "server.h"
#include "unix_socket.h"

extern char **environ;

/* Each worker is a process: more than this is a configuration mistake. */
#define IPCHANDLE_MAX_WORKERS 1000

/* What the workers share, in one anonymous shared mapping made before
 * they are forked: nothing outside the server's processes can reach it. */
struct shared {
  /* Serialises accept: one worker waits in accept, the others for this.
   * Robust, so that a worker killed while holding it (it holds it for as
   * long as it waits in accept) hands it on instead of stopping every
   * other worker. It replaced the -f lock file, which a local user could
   * create and hold first, or plant as a symlink for root to follow. */
  pthread_mutex_t accept_lock;
  /* -C: each worker's current client euid, so that one user cannot hold
   * every worker; c.limit entries follow. */
  _Atomic int64_t busy[];
};

struct ipchandle {
  struct server_config c;
  struct shared *shared;
  _Atomic int64_t *busy;        /* shared->busy with -C, else NULL */
  unsigned slot;                /* this worker's index, in a worker */
  const char *localpath;
  int lfd;
  ipchandle_death_fn on_death;
  void (*on_worker)(void *);    /* ipchandle_on_worker */
  void (*on_served)(void *);    /* ipchandle_on_served */
  void *on_worker_ctx;
  void (*before_spawn)(void *);  /* ipchandle_on_spawn */
  void (*after_spawn)(void *, pid_t);
  void *spawn_ctx;
  bool spent;                   /* ipchandle_spent */
  int once;                     /* 1 with -1, 0 with -R, -1 unset */
};

static volatile sig_atomic_t got_term, got_chld;

static void on_term(int sig) { (void)sig; got_term = 1; }
static void on_chld(int sig) { (void)sig; got_chld = 1; }

static unsigned number(const char *usage, const char *s, unsigned min, unsigned max)
{
  uint64_t v;
  if (!scan_u64(s, max, &v) || v < min) die_usage(usage);
  return (unsigned)v;
}

struct ipchandle *ipchandle_parse(int argc, char **argv, const char *usage,
    int noperands, char ***rest)
{
  static struct ipchandle h;
  int opt;

  /* A program outside this package cannot call die_init: name it after
   * argv[0]. */
  if (!strcmp(die_prog, "ucspi-ipc") && argc > 0 && argv[0] && argv[0][0]) {
    const char *slash = strrchr(argv[0], '/');
    die_init(slash && slash[1] ? slash + 1 : argv[0]);
  }
  server_config_init(&h.c);
  h.once = -1;
  opterr = 0;
  /* ipcserver's options, with -c bounded by the number of workers we
   * fork, plus -f lockfile, accepted for compatibility and ignored: the
   * workers serialise accept with a lock in memory they share. */
  while ((opt = getopt(argc, argv, "+" SERVER_OPTIONS "f:1R")) != -1) {
    if (opt == 'f') continue;
    else if (opt == '1') h.once = 1;
    else if (opt == 'R') h.once = 0;
    else if (opt == 'c') h.c.limit = number(usage, optarg, 1, IPCHANDLE_MAX_WORKERS);
    else if (!server_option(&h.c, opt, optarg, usage)) die_usage(usage);
  }
  argv += optind;
  argc -= optind;
  if (argc < 1 || (noperands >= 0 && argc != 1 + noperands) || !argv[0][0]) die_usage(usage);
  for (int i = 1; i < argc; i++)
    if (!argv[i][0]) die_usage(usage);
  h.c.path = argv[0];
  *rest = argv + 1;
  return &h;
}

/* A private environment for one connection: the server's own, with the
 * connection's variables put first, so getenv finds them. Swapped in for
 * the call and out again after it, so nothing of one client's setup can
 * reach the next. */
struct env_swap {
  char **saved;
  char **env;
  char **copy;                  /* env as handed to the handler */
  size_t n;
  char *owned[8 + 64];
  size_t nowned;
};

static bool env_add(struct env_swap *e, const char *name, const char *value)
{
  size_t nl = strlen(name), vl = strlen(value);
  char *s;
  if (e->nowned == sizeof e->owned / sizeof *e->owned) return false;
  s = malloc(nl + vl + 2);
  if (!s) return false;
  memcpy(s, name, nl);
  s[nl] = '=';
  memcpy(s + nl + 1, value, vl + 1);
  e->owned[e->nowned++] = s;
  return true;
}

static bool env_num(struct env_swap *e, const char *name, uint64_t v)
{
  char num[21];
  fmt_u64(num, v);
  return env_add(e, name, num);
}

static bool env_enter(struct env_swap *e)
{
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  e->env = malloc((n + e->nowned + 1) * sizeof *e->env);
  if (!e->env) return false;
  for (size_t i = 0; i < e->nowned; i++) e->env[k++] = e->owned[i];
  for (size_t i = 0; i < n; i++) e->env[k++] = environ[i];
  e->env[k] = 0;
  e->copy = malloc((k + 1) * sizeof *e->copy);
  if (!e->copy) {
    free(e->env);
    e->env = 0;
    return false;
  }
  memcpy(e->copy, e->env, (k + 1) * sizeof *e->copy);
  e->n = k;
  e->saved = environ;
  environ = e->env;
  return true;
}

/* Whether the handler left the environment as it got it: the same array,
 * with the same strings. setenv, putenv and unsetenv all change one or
 * the other. (A handler that wrote into a string in place is not seen.) */
static bool env_same(const struct env_swap *e)
{
  return environ == e->env && !memcmp(e->env, e->copy, (e->n + 1) * sizeof *e->copy);
}

static void env_leave(struct env_swap *e)
{
  if (e->saved) environ = e->saved;
  free(e->env);
  free(e->copy);
  for (size_t i = 0; i < e->nowned; i++) free(e->owned[i]);
  memset(e, 0, sizeof *e);
}

/* -C: marks this worker busy with uid and counts the workers busy with
 * it. Each worker writes its own slot before counting, so two racing
 * workers can both refuse but never both pass beyond the limit. */
static bool claim(struct ipchandle *h, uint32_t uid)
{
  unsigned count = 0;
  if (!h->busy) return true;
  atomic_store(&h->busy[h->slot], (int64_t)uid);
  for (unsigned i = 0; i < h->c.limit; i++)
    if (atomic_load(&h->busy[i]) == (int64_t)uid) count++;
  if (count > h->c.peruid) {
    atomic_store(&h->busy[h->slot], -1);
    return false;
  }
  return true;
}

static void release(struct ipchandle *h)
{
  if (h->busy) atomic_store(&h->busy[h->slot], -1);
}

/* One connection, in a worker. Returns false when the worker must not go
 * on (the handler changed the environment). */
static bool serve_one(struct ipchandle *h, int fd, const char *remote, ipchandle_fn fn, void *ctx)
{
  const struct server_config *c = &h->c;
  char saferemote[SERVER_LOG_MAX + 4], safelocal[SERVER_LOG_MAX + 4];
  struct ipchandle_conn conn;
  struct env_swap e;
  struct rules_who who;
  struct rules_match m;
  struct peer_cred pc;
  uint32_t *groups = 0;
  char *grouptext = 0;
  long me = (long)getpid();
  bool verbose = c->verbosity >= SERVER_VERBOSE, errors = c->verbosity >= SERVER_ERRORS;
  int code;
  bool same = true;

  memset(&e, 0, sizeof e);
  memset(&conn, 0, sizeof conn);
  memset(&m, 0, sizeof m);
  if (verbose) {
    logsafe(saferemote, sizeof saferemote, remote, strlen(remote), SERVER_LOG_MAX);
    logsafe(safelocal, sizeof safelocal, h->localpath, strlen(h->localpath), SERVER_LOG_MAX);
    say("pid %ld from %s", me, saferemote);
  }
  memset(&who, 0, sizeof who);
  who.has_euid = who.has_egid = true;
  if (c->lookup_peer) {
    if (peer_cred_get(fd, &pc) < 0) {
      if (errors) warn_sys("dropping connection, unable to get peer ids");
      return true;
    }
    if (!claim(h, pc.uid)) {
      if (errors)
        warn_x("dropping connection, uid %lu has %u connections (limit %u)",
            (unsigned long)pc.uid, c->peruid, c->peruid);
      return true;
    }
    conn.has_ids = true;
    conn.euid = who.euid = pc.uid;
    conn.egid = who.egid = pc.gid;
    conn.pid = pc.pid;
  } else {
    who.euid = (uint32_t)geteuid();
    who.egid = (uint32_t)getegid();
  }
  conn.localpath = h->localpath;
  conn.remotepath = remote;
  conn.slot = h->slot;
  if (c->banner && fd_write_all(fd, c->banner, strlen(c->banner)) < 0) {
    if (errors) warn_sys("dropping connection, unable to write banner");
    return true;
  }

  if (!env_add(&e, "IPCREMOTEPATH", remote)) goto nomem;
  if (conn.has_ids && (!env_num(&e, "IPCREMOTEEUID", pc.uid) || !env_num(&e, "IPCREMOTEEGID", pc.gid)
      || !env_num(&e, "IPCREMOTEPID", (uint64_t)pc.pid)))
    goto nomem;
  if (conn.has_ids) {
    /* The groups for %GID rules, from the kernel, as ipcserver gives them. */
    if (!server_peer_groups(fd, pc.gid, &groups, &who.ngroups, &grouptext)) {
      if (errors) warn_sys("dropping connection, unable to get the peer's groups");
      goto out;
    }
    who.groups = groups;
    conn.groups = groups;
    conn.ngroups = who.ngroups;
    if (!env_add(&e, "IPCREMOTEGROUPS", grouptext)) goto nomem;
  }
  switch (server_conn_rules(c, &who, &m)) {
    case SERVER_RULES_ERROR:
      goto out;
    case SERVER_RULES_DENY:
      if (verbose) say("deny %ld %s %s:%lu,%lu", me, safelocal, saferemote,
          (unsigned long)who.euid, (unsigned long)who.egid);
      goto out;
    case SERVER_RULES_ALLOW:
      for (size_t k = 0; k < m.nitems; k++)
        if (m.items[k].type == '+' && !env_add(&e, m.items[k].name, m.items[k].value)) goto nomem;
      break;
    case SERVER_RULES_NONE:
      break;
  }
  if (!env_enter(&e)) goto nomem;
  if (verbose) say("ok %ld %s %s:%lu,%lu", me, safelocal, saferemote,
      (unsigned long)who.euid, (unsigned long)who.egid);
  code = fn(ctx, fd, &conn);
  /* SPEC: each call releases what it allocated, environment included. A
   * changed environment would reach the next client (or leak, call after
   * call): drop this connection and let a fresh worker take over. */
  same = env_same(&e);
  if (!same) {
    if (errors) warn_x("dropping connection, environ changed");
    goto out;
  }
  if (verbose) say("end %ld status %d", me, (code & 0xff) << 8);
  goto out;

nomem:
  if (errors) warn_x("dropping connection, out of memory");
out:
  env_leave(&e);
  rules_match_free(&m);
  free(groups);
  free(grouptext);
  return same;
}

static void accept_lock(struct ipchandle *h)
{
  int r = pthread_mutex_lock(&h->shared->accept_lock);
  /* The holder died (SIGKILL, say) waiting in accept: there is no state
   * the lock protects beyond the wait itself, so it is simply taken on. */
  if (r == EOWNERDEAD) r = pthread_mutex_consistent(&h->shared->accept_lock);
  if (r) {
    errno = r;
    die_sys(EXIT_TEMP, "unable to take the accept lock");
  }
}

static void worker(struct ipchandle *h, pid_t master, ipchandle_fn fn, void *ctx)
{
  char remote[PEER_PATH_MAX + 1];
  sigset_t none;

  /* A master that dies, even by SIGKILL, takes its workers with it as
   * its SIGTERM would: none keeps serving on a socket nobody supervises
   * (a service manager that kills only its main process would otherwise
   * leave them behind, with the rules they loaded). A supervising worker
   * ends its request as on any SIGTERM. The master may have died before
   * the prctl: then the parent is no longer it. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != master) _exit(EXIT_TEMP);
  if (h->on_worker) h->on_worker(h->on_worker_ctx);
  signal(SIGTERM, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  /* A client that hangs up must cost a failed write (EPIPE), not the
   * worker: with SIGPIPE, every early hang-up killed one and forked its
   * replacement. */
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
  /* Workers block in accept; the kernel wakes one per connection. */
  fd_nonblock(h->lfd, 0);
  for (;;) {
    int fd;
    accept_lock(h);
    fd = peer_unix_accept(h->lfd, remote);
    pthread_mutex_unlock(&h->shared->accept_lock);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      warn_sys("unable to accept");
      sleep(1);
      continue;
    }
    if (!serve_one(h, fd, remote, fn, ctx)) {
      close(fd);
      _exit(EXIT_TEMP);
    }
    release(h);
    close(fd);
    /* -1: this process has served its connection; the next one gets a
     * fresh fork of the master, which no connection ever touched. */
    if (h->once > 0) {
      if (h->on_served) h->on_served(h->on_worker_ctx);
      _exit(h->spent ? IPCHANDLE_EXIT_SPENT : 0);
    }
  }
}

static pid_t spawn(struct ipchandle *h, unsigned slot, ipchandle_fn fn, void *ctx)
{
  pid_t pid, master = getpid();
  if (h->busy) atomic_store(&h->busy[slot], -1);
  if (h->before_spawn) h->before_spawn(h->spawn_ctx);
  pid = fork();
  if (pid != 0 && h->after_spawn) h->after_spawn(h->spawn_ctx, pid);
  if (pid < 0) {
    warn_sys("unable to fork a worker");
    return -1;
  }
  if (pid == 0) {
    h->slot = slot;
    worker(h, master, fn, ctx);
    _exit(0);
  }
  return pid;
}

int ipchandle_serve(struct ipchandle *h, ipchandle_fn fn, void *ctx)
{
  struct sigaction sa;
  sigset_t block, wait_mask;
  pid_t *workers;
  unsigned n = h->c.limit, alive = 0;

  h->lfd = server_listen(&h->c, &h->localpath);
  workers = calloc(n, sizeof *workers);
  if (!workers) die_nomem();
  h->shared = mmap(0, sizeof *h->shared + n * sizeof *h->shared->busy,
      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (h->shared == MAP_FAILED) die_sys(EXIT_TEMP, "unable to map the workers' shared memory");
  {
    pthread_mutexattr_t a;
    int r = pthread_mutexattr_init(&a);
    if (!r) r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (!r) r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (!r) r = pthread_mutex_init(&h->shared->accept_lock, &a);
    if (r) {
      errno = r;
      die_sys(EXIT_TEMP, "unable to set up the accept lock");
    }
    pthread_mutexattr_destroy(&a);
  }
  if (h->c.peruid) {
    h->busy = h->shared->busy;
    for (unsigned i = 0; i < n; i++) atomic_init(&h->busy[i], -1);
  }

  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &wait_mask);
  sigdelset(&wait_mask, SIGCHLD);
  sigdelset(&wait_mask, SIGTERM);
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  sa.sa_handler = on_term;
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, 0);

  for (unsigned i = 0; i < n; i++) {
    workers[i] = spawn(h, i, fn, ctx);
    if (workers[i] > 0) alive++;
  }
  if (h->c.verbosity >= SERVER_VERBOSE) say("status: %u/%u", alive, n);

  while (!got_term) {
    pid_t pid;
    int wstat;
    sigsuspend(&wait_mask);
    if (!got_chld) continue;
    got_chld = 0;
    while ((pid = waitpid(-1, &wstat, WNOHANG)) > 0) {
      for (unsigned i = 0; i < n; i++) {
        bool done = h->once > 0 && WIFEXITED(wstat) &&
            (WEXITSTATUS(wstat) == 0 || WEXITSTATUS(wstat) == IPCHANDLE_EXIT_SPENT);
        if (workers[i] != pid) continue;
        if (h->c.verbosity >= SERVER_ERRORS && !done)
          warn_x("worker %ld ended with status %d, replacing it", (long)pid, wstat);
        if (done && !got_term) {
          /* -1: a worker that served its one connection, replaced at
           * once; what is left to clean up after it can wait */
          workers[i] = spawn(h, i, fn, ctx);
          if (h->on_death) h->on_death(ctx, i, pid, wstat);
          continue;
        }
        if (h->on_death) h->on_death(ctx, i, pid, wstat);
        if (got_term) {
          workers[i] = 0;
        } else {
          struct timespec pause = { 0, 10 * 1000 * 1000 };
          /* a worker that dies at once must not turn into a fork loop */
          nanosleep(&pause, 0);
          workers[i] = spawn(h, i, fn, ctx);
        }
      }
    }
    /* a slot whose fork failed earlier gets another try */
    for (unsigned i = 0; i < n && !got_term; i++)
      if (workers[i] < 0) workers[i] = spawn(h, i, fn, ctx);
  }

  for (unsigned i = 0; i < n; i++)
    if (workers[i] > 0) kill(workers[i], SIGTERM);
  for (unsigned i = 0; i < n; i++)
    if (workers[i] > 0) {
      int wstat = 0;
      while (waitpid(workers[i], &wstat, 0) < 0 && errno == EINTR)
        ;
      if (h->on_death) h->on_death(ctx, i, workers[i], wstat);
    }
  free(workers);
  return 0;
}

unsigned ipchandle_workers(const struct ipchandle *h)
{
  return h->c.limit;
}

void ipchandle_on_death(struct ipchandle *h, ipchandle_death_fn fn)
{
  h->on_death = fn;
}

int ipchandle_main(int argc, char **argv, const char *usage, int noperands,
    char ***rest, ipchandle_fn fn, void *ctx)
{
  return ipchandle_serve(ipchandle_parse(argc, argv, usage, noperands, rest), fn, ctx);
}

const struct server_config *ipchandle_config(const struct ipchandle *h)
{
  return &h->c;
}

void ipchandle_on_worker(struct ipchandle *h, void (*fn)(void *ctx), void *ctx)
{
  h->on_worker = fn;
  h->on_worker_ctx = ctx;
}

void ipchandle_on_served(struct ipchandle *h, void (*fn)(void *ctx))
{
  h->on_served = fn;
}

void ipchandle_on_spawn(struct ipchandle *h, void (*before)(void *ctx),
    void (*after)(void *ctx, pid_t pid), void *ctx)
{
  h->spawn_ctx = ctx;
  h->before_spawn = before;
  h->after_spawn = after;
}

void ipchandle_spent(struct ipchandle *h)
{
  h->spent = true;
}

int ipchandle_once(const struct ipchandle *h)
{
  return h->once;
}

void ipchandle_set_once(struct ipchandle *h, bool once)
{
  h->once = once;
}
