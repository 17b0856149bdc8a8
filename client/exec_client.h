/* The client half of an exec request (ipccommand, ipcdo, ipcrun). */
#ifndef CLIENT_EXEC_CLIENT_H
#define CLIENT_EXEC_CLIENT_H

#include <stdint.h>

/* How the request travels. Only the ucspi-ipc 0.70 byte stream exists
 * today; a mode that passes the caller's descriptors over SCM_RIGHTS and
 * returns the command's status is meant to join as a second value, chosen
 * by the caller, without changing the 0.70 path. */
enum client_exec_mode {
  CLIENT_EXEC_070 = 0,
};

/* Resolves a user for ipcdo: canonical decimal is a uid as it stands,
 * anything else a name for getpwnam. 0, or -1 with *why:
 * "unknown user" (exit 100) or a lookup failure with errno set (111). */
int client_exec_user(const char *user, uint32_t *uid, const char **why);

/* Sends the request to run argv as uid, then relays stdin to the server
 * and the server to stdout until the server closes. Prints a fatal
 * message and returns an exit code: 0, 100 (arguments over the protocol
 * limits) or 111 (I/O). */
int client_exec_run(enum client_exec_mode mode, int to_server, int from_server,
    uint32_t uid, int argc, char *const *argv);

/* Connects to $IPCEXECPATH, or the configured default socket, and runs
 * client_exec_run on it. Exits 111 when the broker cannot be reached. */
int client_exec_broker(enum client_exec_mode mode, uint32_t uid, int argc,
    char *const *argv);

#endif
