/* ipcexecd [ipcserver options] path rules.cdb: the exec broker
 * as a preforked server. The same decision, sandbox and audit code as
 * ipcserver + ipcexec (exec_handle), without a fork and an exec of ipcexec
 * for every request: workers accept and handle requests in turn, and only
 * the delegated command is forked. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "audit.h"
#include "contain.h"
#include "decide.h"
#include "die.h"
#include "ipchandle_private.h"
#include "peer_cred.h"
#include "request.h"
#include "run.h"
#include "sandbox_privdrop.h"
#include "scan.h"
#include "version.h"

#define USAGE "ipcexecd [ -qQvdDUXpP1R ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] [ -B banner ] " \
  "[ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -f lockfile ] path rules.cdb"

struct ctx {
  const char *rules;
  int timeout_ms;
  uint64_t seq;
  struct exec_track *tracks;    /* one per worker, shared with the master */
  bool once;                    /* a fresh worker per request */
  struct ipchandle *h;
};

/* In the master: a worker died. If it was supervising a command, the
 * command is killed with its cgroup and its end line written. */
static void dead(void *p, unsigned slot, pid_t pid, int wstat)
{
  struct ctx *x = p;
  /* Its cgroup may go to another worker only after a worker that ended
   * as it should, and whose request could not have changed it. */
  exec_track_dead(&x->tracks[slot], pid, WIFEXITED(wstat) && WEXITSTATUS(wstat) == 0);
}

/* In a fresh worker, before it accepts: what its request would otherwise
 * wait for. With -R a worker serves many requests, and each makes its own
 * cgroup as ipcexec does. */
static void ready(void *p)
{
  struct ctx *x = p;
  if (x->once && contain_enter()) exec_prepare();
}

/* In a fresh worker, its connection over, handled or refused before
 * handle (a connection rule, -C): the process made ahead, if unused, is
 * killed and reaped here. Left to die with the worker, it might still be
 * in the cgroup when the master looks, which then could not go back to
 * the pool. */
static void served(void *p)
{
  (void)p;
  exec_prepare_cancel();
}

/* In the master, around the fork of a fresh worker: the cgroup it will
 * wait in, from the pool (contain_pool_pick). */
static void pick(void *p)
{
  (void)p;
  contain_pool_pick();
}

static void spawned(void *p, pid_t pid)
{
  (void)p;
  contain_pool_bind(pid);
}

static int handle(void *p, int fd, const struct ipchandle_conn *conn)
{
  struct ctx *x = p;
  struct exec_caller caller = {
    .euid = conn->euid, .egid = conn->egid, .has_pid = conn->pid > 0,
    .pid = (uint32_t)conn->pid, .localpath = conn->localpath, .remotepath = conn->remotepath,
  };
  /* Without the client's ids there is nobody to decide for. */
  if (!conn->has_ids) {
    warn_x("refusing a request without peer ids (-P)");
    return 111;
  }
  /* The caller's groups for %GID rules, as ipchandle read them from the
   * kernel for this connection. */
  caller.groups = conn->groups;
  caller.ngroups = conn->ngroups;
  audit_set_request((uint64_t)getpid(), ++x->seq);
  exec_track = &x->tracks[conn->slot];
  exec_track->seq = x->seq;
  {
    int code = exec_handle(fd, &caller, x->rules, x->timeout_ms);
    /* the process made ahead, if this request did not use it, goes in
     * served(), as for a connection refused before this handler */
    if (contain_spent()) ipchandle_spent(x->h);
    return code;
  }
}

int main(int argc, char **argv)
{
  struct ctx x = { 0, REQUEST_DEFAULT_TIMEOUT_MS, 0, 0, false, 0 };
  char **rest;
  struct ipchandle *h;

  die_init("ipcexecd");
  version_arg(argc, argv);
  h = ipchandle_parse(argc, argv, USAGE, 1, &rest);
  x.rules = rest[0];
  x.h = h;
  x.tracks = mmap(0, ipchandle_workers(h) * sizeof *x.tracks, PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (x.tracks == MAP_FAILED) die_sys(111, "unable to map the request table");
  ipchandle_on_death(h, dead);
  ipchandle_on_worker(h, ready, &x);
  /* By default every request is decided and supervised in a fresh fork
   * of this process, which never serves one: nothing an earlier caller
   * did can reach it. -R reuses workers. */
  if (ipchandle_once(h) < 0) ipchandle_set_once(h, true);
  x.once = ipchandle_once(h) > 0;
  if (x.once) {
    ipchandle_on_spawn(h, pick, spawned, &x);
    ipchandle_on_served(h, served);
  }
  /* What every fresh worker would load or read for itself, done once
   * here: the NSS modules, and where the cgroup2 mount is. */
  exec_warm();
  contain_warm();
  /* Left by an earlier broker killed outright: the cgroups its workers
   * waited in, and any request whose supervisor went with it. */
  contain_sweep(ipchandle_config(h)->verbosity < SERVER_ERRORS);
  /* The bounding set, emptied once here for every worker and command
   * (requests then skip 41 drops and reads each). As non-root it fails:
   * nothing is assumed, and each request does it, or fails, itself. */
  {
    const char *why;
    (void)sandbox_bset_clear(&why);
  }
  return ipchandle_serve(h, handle, &x);
}
