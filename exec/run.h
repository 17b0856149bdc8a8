#ifndef EXEC_RUN_H
#define EXEC_RUN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "decide.h"

/* Runs an allowed request: forks, the child enters the sandbox and execs,
 * the parent (still root, doing nothing else) waits, enforces the timeout,
 * and logs the end line. Returns the exit code for ipcexec: the command's
 * exit status, 128+N for death by signal N, or 111 when it never ran.
 * In attached mode the command runs on the caller's descriptors, the
 * supervisor forwards the client's signals, kills the command if the
 * client goes away, and sends the status back on the socket. */
int exec_run(int sock, struct exec_decision *d, const struct exec_caller *c, struct request *req);

/* In an idle worker that will take its request in the cgroup it is in:
 * makes the command's process ahead, its signals reset and the default
 * seccomp filter loaded, for exec_run to use when the request's plan is
 * the default one. exec_prepare_cancel ends it when it was not used. */
void exec_prepare(void);
void exec_prepare_cancel(void);

/* A preforked broker's record of the request one worker supervises, in
 * memory the master shares: if the worker dies, the master kills the
 * command's cgroup and writes the end line the worker could not. */
struct exec_track {
  _Atomic int active;           /* the supervising worker's pid, or 0 */
  uint32_t euid, egid, uid;
  pid_t pid;                    /* the command */
  uint64_t seq;                 /* the worker's request number */
  long long start_us;
  char cmd[128];
};

/* This process's record, or NULL (ipcexec under ipcserver). */
extern struct exec_track *exec_track;

/* Set once SIGTERM reached a supervisor: the command was stopped as if
 * the client had gone, its end logged, and the process must now exit. */
extern bool exec_stopping;

/* In the master, for a worker that died: if t says it supervised a
 * command, the command's cgroup is killed and an end line with
 * status=lost is written. Otherwise its cgroup is dropped, or given back
 * to the pool if reusable (the worker ended as it should; contain_drop). */
void exec_track_dead(struct exec_track *t, pid_t worker, bool reusable);

/* Attached mode: sends the status message (attach.h) on sock. */
void exec_send_status(int sock, char kind, int value);

/* One whole connection: reads the request from sock (for 0.70 requests
 * also the command's stdin and stdout), decides from the rules at path
 * rules, logs, runs. Returns ipcexec's exit code. Frees what it used, so
 * that a preforked server can call it once per connection. */
int exec_handle(int sock, const struct exec_caller *c, const char *rules, int timeout_ms);

#endif
