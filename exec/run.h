#ifndef EXEC_RUN_H
#define EXEC_RUN_H

#include "decide.h"

/* Runs an allowed request: forks, the child enters the sandbox and execs,
 * the parent (still root, doing nothing else) waits, enforces the timeout,
 * and logs the end line. Returns the exit code for ipcexec: the command's
 * exit status, 128+N for death by signal N, or 111 when it never ran.
 * In attached mode the command runs on the caller's descriptors, the
 * supervisor forwards the client's signals, kills the command if the
 * client goes away, and sends the status back on the socket (fd 0). */
int exec_run(struct exec_decision *d, const struct exec_caller *c, struct request *req);

/* Attached mode: sends the status message (attach.h) on sock. */
void exec_send_status(int sock, char kind, int value);

#endif
