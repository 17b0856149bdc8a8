/* The client half of attached mode (proto/attach.h): the command runs on
 * this process's own descriptors 0-2, and its status comes back. */
#ifndef CLIENT_ATTACH_CLIENT_H
#define CLIENT_ATTACH_CLIENT_H

#include <stdint.h>

#include "tty.h"

/* Sends the attached request for argv as uid on sock, forwards SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the command,
 * and waits for the status. Returns the command's exit status, or 128+N if
 * signal N killed it. A denied request dies with exit 100; a broker
 * failure, or a broker that closes without a status (one that does not
 * speak attached mode), with 111. With a terminal on 0-2 (tty.h decides,
 * from tty), asks for a pty: the terminal is raw while the command runs
 * in the foreground, and put back on every way out. */
int client_attach_run(int sock, enum client_tty_mode tty, uint32_t uid, int argc,
    char *const *argv);

/* Refuses (exit 111) a broker socket whose owner is not root or, for test
 * setups, the uid in $IPCEXECUID: nothing is sent to a socket planted by
 * another user. */
void client_check_broker(int sock, const char *path);

#endif
