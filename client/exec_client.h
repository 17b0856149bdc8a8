/* The client half of an exec request (ipccommand, ipcdo, ipcrun). */
#ifndef CLIENT_EXEC_CLIENT_H
#define CLIENT_EXEC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "tty.h"

/* How the request travels: the ucspi-ipc 0.70 byte stream (the command's
 * stdin and stdout are the socket, its stderr mixed in, no status), or
 * attached mode (proto/attach.h: the caller's own descriptors passed over
 * SCM_RIGHTS, the command's status returned), which ipcdo and ipcrun use
 * unless told -o. */
enum client_exec_mode {
  CLIENT_EXEC_070 = 0,
  CLIENT_EXEC_ATTACHED = 1,
};

/* Resolves a user for ipcdo: canonical decimal is a uid as it stands,
 * anything else a user name, looked up in /etc/passwd, then with getent
 * (pwfile.h). 0, or -1 with *why: "unknown user" (exit 100) or a lookup
 * failure with errno set (111). */
int client_exec_user(const char *user, uint32_t *uid, const char **why);

/* 0.70 mode: sends the request to run argv as uid, then relays stdin to
 * the server and the server to stdout until the server closes. Attached
 * mode: see client_attach_run. Prints a fatal message and returns an exit
 * code: in 0.70 mode 0, 100 (arguments over the protocol limits) or 111
 * (I/O); in attached mode the command's status. */
int client_exec_run(enum client_exec_mode mode, enum client_tty_mode tty, int to_server,
    int from_server, uint32_t uid, int argc, char *const *argv);

/* Connects to $IPCEXECPATH, or the configured default socket, checks that
 * the broker runs as root (or $IPCEXECUID), and runs client_exec_run on
 * it. Exits 111 when the broker cannot be reached or is not trusted. */
int client_exec_broker(enum client_exec_mode mode, enum client_tty_mode tty, uint32_t uid,
    int argc, char *const *argv);

/* ipcdo -l: asks the broker what the caller may run (as target only, when
 * has_target) and prints one line per rule. Returns 0 or exits 111. */
int client_exec_list(bool has_target, uint32_t target);

/* What ipcdo and ipcrun were told. */
struct client_exec_opts {
  enum client_exec_mode mode;   /* -o: CLIENT_EXEC_070 */
  const char *user;             /* -u user, or NULL */
  bool shell;                   /* -s: run the target's login shell */
  bool list;                    /* -l: list what the caller may run */
  enum client_tty_mode tty;     /* -t, -T */
};

/* The option parsing ipcdo and ipcrun share: -h/--help prints help on
 * stdout and exits 0, -V/--version prints the version, -n is accepted and
 * does nothing, -o selects 0.70 mode, -s the login shell, -t forces a pty
 * and -T refuses one, -u user (only when with_user) the target. Anything
 * else: usage, exit 100 (also -t with -o). Returns the index of the first
 * operand. */
int client_exec_options(int argc, char **argv, const char *usage,
    const char *help, bool with_user, struct client_exec_opts *o);

/* For -s: a new argv, uid's login shell from the passwd database (an
 * empty field is /bin/sh) followed by argv[0..argc). Dies with 100 for an
 * unknown uid or a shell that is not an absolute path, 111 when the
 * database cannot be read. */
char **client_exec_shell_argv(uint32_t uid, int argc, char *const *argv);

#endif
