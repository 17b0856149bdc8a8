/* Containment: every command runs in a cgroup of its own, so that when the
 * request ends everything it started can be killed at once, however it
 * forked, whichever session or process group it moved to.
 *
 * The cgroup is "ipcexec.PID" (PID: the supervising process), or one of
 * a preforked master's pool, "ipcexec.MASTER.N" (below), directly under
 * the broker's own cgroup on the machine's cgroup2 mount (found in
 * /proc/self/mountinfo and /proc/self/cgroup); under systemd that is the
 * service's delegated subtree (Delegate=yes in the unit). No controller is
 * enabled anywhere, so the cgroup v2 rule against processes in inner
 * nodes never applies and the broker stays where it is. The command joins
 * before exec; at the end, cgroup.kill kills all that is left, the
 * supervisor waits (bounded) for cgroup.events to say "populated 0", and
 * removes the cgroup.
 *
 * Where no cgroup2 is mounted or it cannot be written, the supervisor
 * falls back to a walk: the supervisor is a subreaper, so every orphan of
 * the command becomes its child, and it kills its children until none is
 * left or CONTAIN_WALK_MS have passed. So does a kernel without
 * cgroup.kill (before Linux 5.14), after the kill has failed. */
#ifndef EXEC_CONTAIN_H
#define EXEC_CONTAIN_H

#include <stdbool.h>
#include <sys/types.h>

/* How long the end of a request may wait for what it killed to go. */
#define CONTAIN_WAIT_MS 3000
#define CONTAIN_WALK_MS 5000
/* How old a dead supervisor's cgroup must be for a starting broker to
 * remove it (contain_sweep). */
#define CONTAIN_SWEEP_AGE_S 2

struct contain {
  int dirfd;            /* the request's cgroup, -1 in fallback mode */
  int basefd;           /* the broker's cgroup, to remove the request's */
  int killfd;           /* its cgroup.kill, open for writing */
  bool self_in;         /* the supervisor itself is in it (contain_enter) */
  bool spoilt;          /* not to be used again (its command ran as uid 0) */
  bool pooled;          /* one of a master's pool (contain_pool_pick) */
  char name[48];        /* under basefd */
};

/* Creates the cgroup for a request supervised by this process. A stale
 * cgroup of the same name (a supervisor with this pid that died) is
 * killed and removed first. Returns false, with k in fallback mode, when
 * there is no writable cgroup2. */
bool contain_create(struct contain *k);

/* In the child, before exec: moves the calling process into the cgroup
 * (unless born_in: it was cloned into it, CLONE_INTO_CGROUP), and into a
 * cgroup namespace rooted there, which keeps even a uid-0 target in where
 * the cgroup2 mount has nsdelegate (without it, only file permissions do:
 * root's files, so every other target). 0 on success (or in fallback
 * mode), -1 with errno set. */
int contain_join(const struct contain *k, bool born_in);

/* At the end of the request: kills what is left and waits for it to go,
 * reaping this process's children meanwhile; removes the cgroup. Returns
 * how many processes were left to kill. */
unsigned contain_end(struct contain *k);

/* Finds the broker's cgroup and the cgroup2 mount now, in a long-lived
 * parent, so that each process it forks for a request need not read
 * /proc/self/mountinfo again (the parent's cgroup is theirs). */
void contain_warm(void);

/* At a broker's start: removes the cgroups "ipcexec.PID" (and a pool's
 * "ipcexec.PID.N") under its own whose PID no process has any more, left by supervisors or idle
 * workers that died with nobody to clean up after them (their broker
 * killed by SIGKILL, say); anything still in one is killed. Only cgroups
 * older than CONTAIN_SWEEP_AGE_S seconds are touched. Returns how many
 * were removed; says so on stderr unless quiet. */
unsigned contain_sweep(bool quiet);

/* For a preforked worker that will serve one request, while it waits for
 * it: creates that request's cgroup now and moves this process into it,
 * so that the command is born there and the request pays for no cgroup
 * migration. The next contain_create takes it; contain_end then kills
 * what is left but this process, and leaves the empty cgroup to
 * contain_drop, run by whoever reaps this process. false (nothing done)
 * where there is no writable cgroup2. */
bool contain_enter(void);
/* For a preforked broker's master, for every worker it reaps: removes the
 * worker's cgroup (contain_enter), killing what is still in it, or, for
 * a cgroup of the pool below, puts it back in the pool if reusable (the
 * worker exited as it should, not spent) and it is as empty as when it
 * was made. */
void contain_drop(pid_t pid, bool reusable);

/* The pool of a preforked master (ipcexecd), whose workers each serve one
 * request: cgroups "ipcexec.MASTER.N" that the master makes once and
 * hands to worker after worker, so that a request pays for no mkdir and
 * no rmdir (with the kernel's work to destroy a cgroup, a tenth of a
 * millisecond or more here). contain_pool_pick, before a fork, chooses a
 * free one (making it if none is free) for the child's contain_enter;
 * contain_pool_bind, after it, ties it to the child's pid (or frees it,
 * the fork having failed). A cgroup goes back to the pool only when its
 * worker is reaped, exited as it should, and it holds no process and no
 * sub-cgroup, is not frozen, and never after a command ran in it as uid
 * 0 or with capabilities, which could have changed its files (contain_spent).
 * The free ones are removed when
 * the master exits normally (one killed outright leaves them to the next
 * broker's sweep). */
void contain_pool_pick(void);
void contain_pool_bind(pid_t pid);

/* In a worker given a cgroup of the pool: whether a request it served
 * ran a command that could have changed the cgroup's files (uid 0, or
 * capabilities kept), so that the cgroup must not be used again: the
 * worker says so to its master (ipchandle_spent). Such a cgroup is also
 * removed at the end of its request, as is the worker's cgroup when its
 * master is gone. */
bool contain_spent(void);
/* For a preforked broker's master: the cgroup that the dead process pid
 * supervised, if any, is killed and removed. Returns the number killed,
 * or -1 when there was no such cgroup. */
int contain_reap_dead(pid_t pid);

#endif
