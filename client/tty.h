/* The caller's terminal, for a pty request (proto/attach.h, version 2):
 * what ipcdo tells the broker about it, and raw mode while the broker
 * relays between it and the command's pty. */
#ifndef CLIENT_TTY_H
#define CLIENT_TTY_H

#include <stdbool.h>

#include "request.h"

/* -t, -T, or neither. */
enum client_tty_mode {
  CLIENT_TTY_AUTO = 0,   /* a pty when one of 0-2 is a terminal */
  CLIENT_TTY_FORCE,      /* -t: a pty, or exit 100 without a terminal */
  CLIENT_TTY_NEVER,      /* -T: the descriptors as they are */
};

/* Fills *p for the request. p->want stays false (a version 1 request)
 * with -T or when none of 0-2 is a terminal: then this cost three isatty
 * calls and nothing else. Dies with 100 for -t without a terminal. */
void client_tty_probe(enum client_tty_mode mode, struct request_pty *p);

/* The terminal whose window size and name are sent: 1, 2, else 0. */
int client_tty_fd(const struct request_pty *p);

/* The window size of fd into p->rows...; false if it has none. */
bool client_tty_winsize(int fd, struct request_pty *p);

/* Is this process in the foreground process group of the terminal on
 * descriptor 0? */
bool client_tty_foreground(void);

/* Saves the termios of descriptor 0 and puts it in raw mode. Restored by
 * client_tty_restore, which the die functions also call. */
bool client_tty_raw(void);

/* Puts back exactly what client_tty_raw saved, if it changed anything.
 * Async-signal-safe: the signal handlers call it before they re-raise. */
void client_tty_restore(void);

/* Is the terminal in raw mode (set by client_tty_raw, not yet restored)? */
bool client_tty_is_raw(void);

#endif
