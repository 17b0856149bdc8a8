#include "contain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "clock.h"
#include "die.h"
#include "fd.h"

/* Subtrees deeper than this are not walked (only a uid-0 target inside
 * its own cgroup namespace can create any at all). */
#define CONTAIN_MAX_DEPTH 16

static void pause_ms(long ms)
{
  struct timespec t = { 0, ms * 1000 * 1000 };
  nanosleep(&t, 0);
}

/* The broker's own cgroup directory, found once per process: -1 none. */
static char base[4096];
static int base_state;

/* The line of /proc/self/cgroup for the unified hierarchy ("0::PATH"):
 * 1 found, 0 there is none, -1 the file could not be read. */
static int own_cgroup(char *path, size_t size)
{
  FILE *f = fopen("/proc/self/cgroup", "re");
  char *line = 0;
  size_t cap = 0;
  bool found = false;
  if (!f) return -1;
  while (!found && getline(&line, &cap, f) > 0) {
    size_t n = strcspn(line, "\n");
    line[n] = 0;
    if (strncmp(line, "0::/", 4) || n - 3 >= size) continue;
    memcpy(path, line + 3, n - 3 + 1);
    found = true;
  }
  free(line);
  fclose(f);
  return found;
}

/* The cgroup2 mount whose root holds own: its mount point joined with the
 * rest of own. Mount points with escaped characters are not used. */
static bool find_base(void)
{
  char own[2048];
  FILE *f;
  char *line = 0;
  size_t cap = 0;

  /* Only a definite answer is kept: a failure to read (no descriptor
   * left, say) is tried again at the next request. */
  if (base_state) return base_state > 0;
  switch (own_cgroup(own, sizeof own)) {
    case -1: return false;
    case 0: base_state = -1; return false;
  }
  f = fopen("/proc/self/mountinfo", "re");
  if (!f) return false;
  base_state = -1;
  while (base_state < 0 && getline(&line, &cap, f) > 0) {
    char *sep = strstr(line, " - "), *field[5], *p = line, *rest;
    size_t rl;
    int i;
    if (!sep || strncmp(sep + 3, "cgroup2 ", 8)) continue;
    *sep = 0;
    for (i = 0; i < 5 && p; i++) {
      field[i] = p;
      p = strchr(p, ' ');
      if (p) *p++ = 0;
    }
    if (i < 5 || strchr(field[3], '\\') || strchr(field[4], '\\')) continue;
    /* field 3 is the mount's root within the hierarchy, 4 where it is */
    rl = strlen(field[3]);
    if (!strcmp(field[3], "/")) rest = own;
    else if (!strncmp(own, field[3], rl) && (own[rl] == '/' || !own[rl])) rest = own + rl;
    else continue;
    if (snprintf(base, sizeof base, "%s%s", field[4], !strcmp(rest, "/") ? "" : rest) >= (int)sizeof base)
      continue;
    base_state = 1;
  }
  free(line);
  fclose(f);
  return base_state > 0;
}

static void name_for(char *name, size_t size, pid_t pid)
{
  snprintf(name, size, "ipcexec.%ld", (long)pid);
}

/* Writes s to the file name in dir; false on any failure. */
static bool put(int dirfd, const char *name, const char *s)
{
  int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  bool ok;
  if (fd < 0) return false;
  ok = fd_write_all(fd, s, strlen(s)) == 0;
  close(fd);
  return ok;
}

/* Processes in cgroup.procs of dir and every sub-cgroup. */
static unsigned count_procs(int dirfd, int depth)
{
  unsigned n = 0;
  int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  DIR *d;
  struct dirent *e;
  if (fd >= 0) {
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
      for (ssize_t i = 0; i < r; i++)
        if (buf[i] == '\n') n++;
    close(fd);
  }
  if (depth >= CONTAIN_MAX_DEPTH) return n;
  fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !(d = fdopendir(fd))) {
    if (fd >= 0) close(fd);
    return n;
  }
  while ((e = readdir(d))) {
    int sub;
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    sub = openat(dirfd, e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    n += count_procs(sub, depth + 1);
    close(sub);
  }
  closedir(d);
  return n;
}

/* Removes the sub-cgroups of dir, deepest first (cgroupfs removes a
 * cgroup's own files with it). */
static void remove_subtree(int dirfd, int depth)
{
  int fd;
  DIR *d;
  struct dirent *e;
  if (depth >= CONTAIN_MAX_DEPTH) return;
  fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !(d = fdopendir(fd))) {
    if (fd >= 0) close(fd);
    return;
  }
  while ((e = readdir(d))) {
    int sub;
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    sub = openat(dirfd, e->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) continue;
    remove_subtree(sub, depth + 1);
    close(sub);
    unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
  }
  closedir(d);
}

/* Reads the small file name in dirfd (a cgroup's interface file, which
 * the kernel hands out whole) into buf, NUL-terminated. Its length, or
 * -1. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t size)
{
  ssize_t r;
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  r = read(fd, buf, size - 1);
  close(fd);
  if (r >= 0) buf[r] = 0;
  return r;
}

static bool populated(int dirfd)
{
  char buf[256];
  return read_small(dirfd, "cgroup.events", buf, sizeof buf) > 0 && strstr(buf, "populated 1") != 0;
}

/* Kills everything in the cgroup at dirfd and waits, at most
 * CONTAIN_WAIT_MS, for it to be empty; reap: this process also reaps its
 * own children meanwhile (the killed processes it is subreaper for).
 * Returns the number of processes found before the kill. */
/* killfd: cgroup.kill already open for writing, or -1 to open it now. */
static unsigned kill_all(int dirfd, int killfd, bool reap)
{
  unsigned n = count_procs(dirfd, 0);
  long long deadline = clock_ms() + CONTAIN_WAIT_MS;
  if (killfd >= 0 ? fd_write_all(killfd, "1", 1) < 0 : !put(dirfd, "cgroup.kill", "1")) {
    warn_sys("unable to write cgroup.kill");
    return n;
  }
  for (;;) {
    if (reap)
      while (waitpid(-1, 0, WNOHANG) > 0)
        ;
    if (!populated(dirfd)) break;
    if (clock_ms() >= deadline) {
      warn_x("the command's cgroup is still populated after the kill");
      break;
    }
    pause_ms(2);
  }
  if (reap)
    while (waitpid(-1, 0, WNOHANG) > 0)
      ;
  return n;
}

/* Removes the cgroup called name under base: kills what is in it first. */
static int kill_and_remove(int basefd, const char *name, bool reap)
{
  int fd = openat(basefd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  unsigned n;
  if (fd < 0) return -1;
  n = kill_all(fd, -1, reap);
  remove_subtree(fd, 0);
  close(fd);
  if (unlinkat(basefd, name, AT_REMOVEDIR) < 0) warn_sys("unable to remove cgroup %s", name);
  return (int)n;
}

/* The cgroup this process entered before its request came
 * (contain_enter), for contain_create to hand to that request. */
static struct contain ahead = { -1, -1, -1, false, false, false, "" };

/* Whether the cgroup at dirfd holds this process and nothing else: no
 * other process in cgroup.procs, no sub-cgroup (cgroup.stat). */
static bool only_self(int dirfd)
{
  char buf[4096], self[32];
  snprintf(self, sizeof self, "%ld\n", (long)getpid());
  if (read_small(dirfd, "cgroup.procs", buf, sizeof buf) < 0 || strcmp(buf, self)) return false;
  return read_small(dirfd, "cgroup.stat", buf, sizeof buf) > 0 && strstr(buf, "nr_descendants 0\n") != 0;
}

/* Moves this process back into the broker's own cgroup. */
static bool leave(struct contain *k)
{
  char self[32];
  snprintf(self, sizeof self, "%ld", (long)getpid());
  if (!put(k->basefd, "cgroup.procs", self)) {
    warn_sys("unable to leave the request's cgroup");
    return false;
  }
  k->self_in = false;
  return true;
}

/* SIGKILL to every process listed in the cgroup's cgroup.procs but this
 * one, until none is left or CONTAIN_WAIT_MS have passed. Their pids
 * cannot be reused while they are listed. Returns how many were seen. */
static unsigned kill_listed(int dirfd)
{
  long long deadline = clock_ms() + CONTAIN_WAIT_MS;
  unsigned seen = 0;
  pid_t me = getpid();
  for (;;) {
    char buf[4096], *p, *end;
    unsigned now = 0;
    if (read_small(dirfd, "cgroup.procs", buf, sizeof buf) < 0) break;
    for (p = buf; *p; p = end) {
      long pid = strtol(p, &end, 10);
      if (end == p) break;
      while (*end == '\n') end++;
      if (pid > 0 && pid != me) {
        kill((pid_t)pid, SIGKILL);
        now++;
      }
    }
    if (now > seen) seen = now;
    while (waitpid(-1, 0, WNOHANG) > 0)
      ;
    if (!now || clock_ms() >= deadline) break;
    pause_ms(2);
  }
  return seen;
}

/* A preforked master's pool (contain_pool_pick): every cgroup it made,
 * free (pid 0), promised to the child of a fork under way (-1), or its
 * worker's; fd -1: an unused entry. */
struct pooled {
  int fd;
  pid_t pid;
  unsigned id;
  unsigned long long bound;     /* when it was tied to pid, in binds */
};
static struct pooled *pool;
static size_t npool;
static pid_t pool_owner;
static unsigned pool_ids;
static unsigned long long pool_binds;
static ssize_t pool_picked = -1;
/* In a worker given a cgroup of the pool: its master, and whether a
 * request it served could have changed the cgroup (contain_spent). */
static pid_t pool_master;
static bool spent;
/* The name contain_pool_pick chose: what the child of the fork enters. */
static char picked[sizeof ahead.name];

static void pool_name(char *name, size_t size, unsigned id)
{
  snprintf(name, size, "ipcexec.%ld.%u", (long)pool_owner, id);
}

static void pool_forget(size_t i)
{
  if (pool[i].fd >= 0) close(pool[i].fd);
  pool[i].fd = -1;
  pool[i].pid = 0;
}

/* As when it was made: no process and no sub-cgroup, not even a dying one. */
static bool pristine(int dirfd)
{
  char buf[4096];
  if (read_small(dirfd, "cgroup.events", buf, sizeof buf) <= 0 || !strstr(buf, "populated 0\n") ||
      !strstr(buf, "frozen 0\n"))
    return false;
  return read_small(dirfd, "cgroup.stat", buf, sizeof buf) > 0 && strstr(buf, "nr_descendants 0\n") &&
      strstr(buf, "nr_dying_descendants 0\n");
}

/* At the master's exit: its free cgroups go with it (a worker's went
 * with its worker, contain_drop). */
static void pool_remove(void)
{
  int basefd;
  if (getpid() != pool_owner || !find_base()) return;
  basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (size_t i = 0; i < npool; i++) {
    char name[sizeof picked];
    if (pool[i].fd < 0) continue;
    pool_name(name, sizeof name, pool[i].id);
    if (basefd >= 0 && unlinkat(basefd, name, AT_REMOVEDIR) < 0 && errno == EBUSY)
      kill_and_remove(basefd, name, false);
    pool_forget(i);
  }
  if (basefd >= 0) close(basefd);
}

void contain_pool_pick(void)
{
  size_t i, unused = npool;
  picked[0] = 0;
  pool_picked = -1;
  if (!find_base()) return;
  if (!pool_owner) {
    pool_owner = getpid();
    atexit(pool_remove);
  }
  for (i = 0; i < npool; i++) {
    if (pool[i].fd >= 0 && pool[i].pid == 0) break;
    if (pool[i].fd < 0 && unused == npool) unused = i;
  }
  if (i == npool) {
    char name[sizeof picked];
    int basefd, fd = -1;
    if (unused == npool) {
      struct pooled *p = realloc(pool, (npool + 8) * sizeof *pool);
      if (!p) return;
      pool = p;
      for (size_t j = npool; j < npool + 8; j++) pool[j].fd = -1, pool[j].pid = 0;
      npool += 8;
    }
    i = unused;
    /* a new id, none held (should the count ever wrap) */
    for (bool held = true; held;) {
      if (++pool_ids == 0) pool_ids = 1;
      held = false;
      for (size_t j = 0; j < npool; j++)
        if (pool[j].fd >= 0 && pool[j].id == pool_ids) held = true;
    }
    pool[i].id = pool_ids;
    pool_name(name, sizeof name, pool[i].id);
    /* Safe: the broker's own cgroup belongs to root (see contain_create),
     * and a name of a master with this pid that died is killed first. */
    basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (basefd < 0) return;
    if (mkdirat(basefd, name, 0755) < 0 &&
        (errno != EEXIST || (kill_and_remove(basefd, name, false), mkdirat(basefd, name, 0755) < 0))) {
      /* not made new here (a stale one that would not go): not used */
      close(basefd);
      return;
    }
    fd = openat(basefd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) unlinkat(basefd, name, AT_REMOVEDIR);
    close(basefd);
    if (fd < 0) return;
    pool[i].fd = fd;
  }
  pool[i].pid = -1;
  pool_picked = (ssize_t)i;
  pool_name(picked, sizeof picked, pool[i].id);
}

void contain_pool_bind(pid_t pid)
{
  if (pool_picked < 0) return;
  pool[pool_picked].pid = pid > 0 ? pid : 0;
  pool[pool_picked].bound = ++pool_binds;
  pool_picked = -1;
  picked[0] = 0;
}

/* The pool's cgroup called name, whose descriptor the master held as
 * dirfd, for this process's request. */
static bool pool_open(struct contain *k, const char *name, int dirfd)
{
  k->dirfd = k->killfd = -1;
  k->self_in = k->spoilt = false;
  k->pooled = true;
  snprintf(k->name, sizeof k->name, "%s", name);
  k->basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (k->basefd < 0) return false;
  /* the very directory the master made and checked, not one by its name */
  k->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (k->dirfd >= 0) k->killfd = openat(k->dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (k->killfd >= 0) return true;
  if (k->dirfd >= 0) close(k->dirfd);
  close(k->basefd);
  k->dirfd = k->basefd = -1;
  return false;
}

/* In a worker: the master's pool is not its business (its descriptors
 * are closed once the one it was given is its own). */
static void pool_let_go(void)
{
  for (size_t i = 0; i < npool; i++)
    if (pool[i].fd >= 0) close(pool[i].fd);
  free(pool);
  pool = 0;
  npool = 0;
  pool_owner = 0;
  pool_picked = -1;
}

bool contain_spent(void)
{
  return spent;
}

bool contain_enter(void)
{
  struct contain k;
  bool ok;
  if (ahead.dirfd >= 0) return false;
  if (picked[0] && pool_picked >= 0) {
    ok = pool_open(&k, picked, pool[pool_picked].fd);
    pool_master = pool_owner;
    picked[0] = 0;
  } else {
    ok = contain_create(&k);
  }
  pool_let_go();
  if (!ok) return false;
  /* "0" is this process: its request's command will be born inside. */
  if (!put(k.dirfd, "cgroup.procs", "0")) {
    contain_end(&k);
    return false;
  }
  k.self_in = true;
  ahead = k;
  return true;
}

/* The entry of the pool that the worker pid had, or -1. */
static ssize_t pool_of(pid_t pid)
{
  ssize_t found = -1;
  /* The oldest: should the pid have been reused by the replacement forked
   * before this one was dropped, that one is the live worker's. */
  for (size_t i = 0; i < npool; i++)
    if (pool[i].fd >= 0 && pool[i].pid == pid && (found < 0 || pool[i].bound < pool[found].bound))
      found = (ssize_t)i;
  return found;
}

void contain_drop(pid_t pid, bool reusable)
{
  char name[sizeof picked];
  int basefd;
  ssize_t i = pid > 0 ? pool_of(pid) : -1;
  bool pooled = false;
  if (!find_base()) return;
  if (i >= 0) {
    /* Safe to give to the next worker: its worker ended as it should
     * (not killed, and none of its requests could have changed the
     * cgroup's files: ipchandle_spent), and nothing is in it. Otherwise
     * out of the pool at once, whatever happens below. */
    pool[i].pid = 0;
    if (reusable && pristine(pool[i].fd)) return;
    pool_name(name, sizeof name, pool[i].id);
    pool_forget((size_t)i);
    pooled = true;
  }
  basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (basefd < 0) return;
  if (pooled && unlinkat(basefd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    kill_and_remove(basefd, name, false);
  /* and the worker's own, made where the pool's would not do */
  name_for(name, sizeof name, pid);
  /* The usual case, an empty cgroup: one rmdir. */
  if (unlinkat(basefd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) kill_and_remove(basefd, name, false);
  close(basefd);
}

bool contain_create(struct contain *k)
{
  static bool warned;
  char name[sizeof k->name];
  int basefd;

  if (ahead.dirfd >= 0) {
    *k = ahead;
    ahead.dirfd = ahead.basefd = ahead.killfd = -1;
    ahead.self_in = false;
    return true;
  }
  k->dirfd = k->basefd = k->killfd = -1;
  k->self_in = false;
  k->spoilt = k->pooled = false;
  name_for(k->name, sizeof k->name, getpid());
  if (!find_base()) return false;
  /* The broker's own cgroup belongs to root (or to the service manager
   * that delegated it to this root process): no user can prepare a name
   * in it. */
  basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (basefd >= 0) {
    memcpy(name, k->name, sizeof name);
    if (mkdirat(basefd, name, 0755) < 0 && errno == EEXIST) {
      /* left by a supervisor with this pid that died: what is in it is
       * a dead request's leftovers */
      kill_and_remove(basefd, name, false);
      mkdirat(basefd, name, 0755);
    }
    k->dirfd = openat(basefd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* Held for the whole request, so that killing the cgroup and removing
     * it at the end need no new descriptor, even with none left. */
    if (k->dirfd >= 0) k->killfd = openat(k->dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (k->dirfd >= 0 && k->killfd < 0) {
      close(k->dirfd);
      k->dirfd = -1;
    }
    /* Not usable (no descriptor left, say): not left behind either. */
    if (k->dirfd < 0) unlinkat(basefd, name, AT_REMOVEDIR);
    if (k->dirfd >= 0) k->basefd = basefd;
    else close(basefd);
  }
  if (k->dirfd < 0 && !warned) {
    /* once per process: the log says why containment is the walk */
    warn_sys("unable to create a cgroup for the command under %s, killing leftovers by walking", base);
    warned = true;
  }
  return k->dirfd >= 0;
}

int contain_join(const struct contain *k, bool born_in)
{
  if (k->dirfd < 0) return 0;
  /* "0" is the writing process itself. A child of a supervisor that is
   * in the cgroup already, or cloned into it, was born in it. */
  if (!k->self_in && !born_in && !put(k->dirfd, "cgroup.procs", "0")) return -1;
  /* Rooted at its own cgroup, the command cannot name any cgroup outside
   * it, so not even a uid-0 target can move itself out. */
  return unshare(CLONE_NEWCGROUP);
}

/* Without a cgroup: every orphan of the command is a child of this
 * subreaper; kill them until none is left. Only processes that are this
 * process's children are signalled (their pids cannot be reused before
 * they are reaped). Bounded by time, not by rounds. */
static unsigned walk(void)
{
  pid_t me = getpid(), seen[256];
  unsigned nseen = 0, killed = 0;
  long long deadline = clock_ms() + CONTAIN_WALK_MS;

  for (;;) {
    DIR *d;
    struct dirent *e;
    pid_t r;
    while ((r = waitpid(-1, 0, WNOHANG)) > 0)
      ;
    if (r < 0) return killed;          /* ECHILD: nothing is left */
    if (clock_ms() >= deadline) {
      warn_x("processes left by the command could not all be killed");
      return killed;
    }
    d = opendir("/proc");
    if (d) {
      while ((e = readdir(d))) {
        char path[sizeof e->d_name + 16], buf[512], *p;
        long pp;
        char state;
        int fd, n;
        pid_t pid;
        bool known = false;
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        n = (int)read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        /* the command name may hold anything; the fields after the last
         * ')' are fixed */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %ld", &state, &pp) != 2 || pp != me || state == 'Z') continue;
        pid = (pid_t)atol(e->d_name);
        kill(pid, SIGKILL);
        for (unsigned i = 0; i < nseen; i++)
          if (seen[i] == pid) known = true;
        if (!known) {
          killed++;
          if (nseen < sizeof seen / sizeof *seen) seen[nseen++] = pid;
        }
      }
      closedir(d);
    }
    pause_ms(2);
  }
}

unsigned contain_end(struct contain *k)
{
  const char *name = k->name;
  int basefd;
  unsigned n;

  if (k->pooled && k->spoilt) spent = true;

  if (k->dirfd < 0) return walk();
  if (k->self_in) {
    /* Nothing but this process left: the cgroup goes with it, removed by
     * whoever reaps it (contain_drop). Otherwise this process leaves it
     * first, so that the kill below is not its own. */
    if (!k->spoilt && (!k->pooled || getppid() == pool_master) && only_self(k->dirfd)) {
      close(k->dirfd);
      close(k->killfd);
      close(k->basefd);
      k->dirfd = k->killfd = k->basefd = -1;
      return walk();
    }
    if (!leave(k)) {
      /* Still inside: the supervisor can only kill what it sees, one
       * by one; its subreaper walk gets the rest. */
      n = kill_listed(k->dirfd);
      close(k->dirfd);
      close(k->killfd);
      close(k->basefd);
      k->dirfd = k->killfd = k->basefd = -1;
      return n + walk();
    }
  }
  basefd = k->basefd;
  k->basefd = -1;
  if (k->pooled && !k->spoilt && getppid() == pool_master) {
    /* The master's (contain_pool_pick): emptied, and left to it; it
     * gives the cgroup to another worker only if nothing is in it. */
    n = populated(k->dirfd) ? kill_all(k->dirfd, k->killfd, true) : 0;
    close(k->dirfd);
    close(k->killfd);
    close(basefd);
    k->dirfd = k->killfd = -1;
    return n + walk();
  }
  /* The usual end: the command and all it started are gone. rmdir
   * succeeds only on a cgroup with no process and no sub-cgroup, and
   * nothing can enter an empty one but root, so then there is nothing to
   * kill. Otherwise (EBUSY), the kill. */
  if (unlinkat(basefd, name, AT_REMOVEDIR) == 0) {
    n = 0;
    close(k->dirfd);
    close(k->killfd);
    k->dirfd = k->killfd = -1;
  } else {
    n = kill_all(k->dirfd, k->killfd, true);
    remove_subtree(k->dirfd, 0);
    close(k->dirfd);
    close(k->killfd);
    k->dirfd = k->killfd = -1;
    if (unlinkat(basefd, name, AT_REMOVEDIR) < 0) warn_sys("unable to remove cgroup %s", name);
  }
  close(basefd);
  /* Anything that escaped the cgroup before it existed cannot: the
   * command joins before exec. A walk still reaps what is ours. */
  return n + walk();
}

int contain_reap_dead(pid_t pid)
{
  char name[sizeof picked];
  int basefd, n;
  ssize_t i = pid > 0 ? pool_of(pid) : -1;
  char pname[sizeof picked];
  if (!find_base()) return -1;
  /* A request's, its supervisor killed: out of the pool at once, removed.
   * Its worker may also have made one of its own, had the pool's not done. */
  pname[0] = 0;
  if (i >= 0) {
    pool_name(pname, sizeof pname, pool[i].id);
    pool_forget((size_t)i);
  }
  basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (basefd < 0) return -1;
  name_for(name, sizeof name, pid);
  n = kill_and_remove(basefd, name, false);
  if (pname[0]) {
    int m = kill_and_remove(basefd, pname, false);
    if (m >= 0) n = n < 0 ? m : n + m;
  }
  close(basefd);
  return n;
}

void contain_warm(void)
{
  find_base();
}

/* Whether name is "ipcexec.PID", or "ipcexec.PID.N" of a master's pool,
 * for a pid no process has (not even a zombie awaiting its reaper); sets
 * *pid. */
static bool stale_name(const char *name, pid_t *pid)
{
  char *end;
  long n;
  if (strncmp(name, "ipcexec.", 8) || name[8] < '1' || name[8] > '9') return false;
  errno = 0;
  n = strtol(name + 8, &end, 10);
  if (*end == '.' && end[1] >= '1' && end[1] <= '9') {
    char *id = end + 1;
    errno = 0;
    if (strtoul(id, &end, 10) > 0xffffffffUL) return false;
  }
  if (*end || errno || n <= 0 || n != (pid_t)n) return false;
  *pid = (pid_t)n;
  return kill(*pid, 0) < 0 && errno == ESRCH;
}

/* Whether the cgroup name (of a dead master's pool) still holds one of
 * its workers, ending its request after the master's death: a process of
 * uid 0 running this very program, or an ipcexecd (only ipcexecd makes
 * pool cgroups, and ipcserver sweeps them too). That worker removes the
 * cgroup itself (contain_end); a command cannot pass for one (not as uid
 * 0 unless the rule trusts it as root already, and then it could run
 * ipcexecd itself). */
static bool holds_worker(int basefd, const char *name)
{
  char buf[4096], self[4096], exe[4096], path[64], *p, *end;
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  int fd = openat(basefd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  bool found = false;
  if (fd < 0 || n <= 0) {
    if (fd >= 0) close(fd);
    return false;
  }
  self[n] = 0;
  if (n > 10 && !strcmp(self + n - 10, " (deleted)")) self[n - 10] = 0;
  if (read_small(fd, "cgroup.procs", buf, sizeof buf) > 0)
    for (p = buf; *p && !found; p = end) {
      long pid = strtol(p, &end, 10);
      char status[4096], *uid;
      ssize_t m;
      size_t len;
      if (end == p || *end != '\n') break;   /* a pid cut short is no pid */
      while (*end == '\n') end++;
      /* all four uids 0, from status: a process that is not dumpable
       * shows as root's in /proc whoever it is */
      snprintf(path, sizeof path, "/proc/%ld", pid);
      m = -1;
      {
        int dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
          m = read_small(dfd, "status", status, sizeof status);
          close(dfd);
        }
      }
      if (m <= 0 || !(uid = strstr(status, "\nUid:\t")) || strncmp(uid + 6, "0\t0\t0\t0\n", 8)) continue;
      snprintf(path, sizeof path, "/proc/%ld/exe", pid);
      m = readlink(path, exe, sizeof exe - 1);
      if (m <= 0) continue;
      exe[m] = 0;
      /* a worker of a broker since upgraded runs a file since replaced */
      len = strlen(exe);
      if (len > 10 && !strcmp(exe + len - 10, " (deleted)")) exe[len - 10] = 0;
      {
        const char *file = strrchr(exe, '/');
        found = !strcmp(exe, self) || (file && !strcmp(file + 1, "ipcexecd"));
      }
    }
  close(fd);
  return found;
}

unsigned contain_sweep(bool quiet)
{
  struct timespec now;
  unsigned removed = 0;
  int basefd, fd;
  DIR *d;
  struct dirent *e;

  if (!find_base() || clock_gettime(CLOCK_REALTIME, &now) < 0) return 0;
  basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (basefd < 0) return 0;
  fd = openat(basefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !(d = fdopendir(fd))) {
    if (fd >= 0) close(fd);
    close(basefd);
    return 0;
  }
  while ((e = readdir(d))) {
    struct stat st;
    pid_t pid;
    int n;
    if (e->d_type != DT_DIR || !stale_name(e->d_name, &pid)) continue;
    /* Only what existed well before this sweep began: a process that has
     * just been given a pid that was free a moment ago, and made its
     * cgroup since, keeps it. Two seconds, not "before now": cgroupfs
     * stamps its times from a coarse clock that trails the real one. */
    if (fstatat(basefd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) continue;
    if (st.st_ctim.tv_sec > now.tv_sec - CONTAIN_SWEEP_AGE_S) continue;
    /* Empty (the usual leftover: a worker that waited in it and died
     * with nobody to reap it): one rmdir. Otherwise what is in it has
     * lost its supervisor: killed, as a new supervisor of that pid
     * would (contain_create). */
    if (unlinkat(basefd, e->d_name, AT_REMOVEDIR) == 0) {
      removed++;
      continue;
    }
    if (errno != EBUSY) continue;
    if (strchr(e->d_name + 8, '.') && holds_worker(basefd, e->d_name)) continue;
    n = kill_and_remove(basefd, e->d_name, false);
    if (n < 0) continue;
    if (n > 0 && !quiet) warn_x("%d processes left in %s, whose supervisor is gone, killed", n, e->d_name);
    removed++;
  }
  closedir(d);
  close(basefd);
  if (removed && !quiet) warn_x("removed %u cgroups left by supervisors that died", removed);
  return removed;
}
