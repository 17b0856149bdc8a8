/* The tap: a recorded request's descriptors that are not on a pty, relayed
 * by the supervisor through pipes of its own, so that what the command
 * writes on its stdout and stderr can be recorded on the way. Without a
 * recording nothing is tapped: the caller's descriptors are passed as
 * they are.
 *
 * Each direction has a bounded buffer and never blocks the supervisor:
 * the supervisor's ends of the pipes are non-blocking, a caller's pipe is
 * opened anew non-blocking (its own description, shared with its shell,
 * keeps its flags), a socket is written with MSG_DONTWAIT. A regular file
 * is written as it is, with the caller's own offset and O_APPEND. When
 * the caller's side stops reading, the tap closes the command's pipe, so
 * the command gets EPIPE (or SIGPIPE) as it would have. */
#ifndef EXEC_TAP_H
#define EXEC_TAP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define EXEC_TAP_BUF 16384
#define EXEC_TAP_NPOLL 6
/* After the command: how long the caller's side may go without taking
 * any of what is left before the rest is dropped. */
#define EXEC_TAP_DRAIN_MS 2000

struct exec_tap_dir {
  bool on;
  bool input;                   /* 0: towards the command */
  int rd, wr;                   /* the relay reads rd and writes wr; -1: closed */
  int child;                    /* the command's end of the pipe, until it has it */
  bool rd_sock, wr_sock;        /* a socket: recv/send with MSG_DONTWAIT */
  bool wr_small;                /* could not be made non-blocking: small writes */
  bool eof;                     /* nothing more to read */
  size_t len;
  char buf[EXEC_TAP_BUF];
};

struct exec_tap {
  struct exec_tap_dir d[3];
  /* Called with what the command wrote on 1 or 2, before it is passed on. */
  void (*on_data)(void *ctx, int fd, const void *buf, size_t n);
  void *ctx;
};

/* Taps the descriptors in mask (bit i: descriptor i) of from[]: the
 * caller's, or a 0.70 client's socket. Fills to[i] with what the command
 * must get as descriptor i (from[i] where not tapped). 0, or -1 with
 * *why and errno set and nothing left open. Ignores SIGPIPE in this
 * process (the command resets it), so a reader gone is an EPIPE. */
int exec_tap_open(struct exec_tap *t, unsigned mask, const int from[3], int to[3],
    const char **why);

/* The command has its ends: the supervisor closes its copies. */
void exec_tap_started(struct exec_tap *t);

/* Fills EXEC_TAP_NPOLL pollfds (unused ones with fd -1). */
void exec_tap_poll(struct exec_tap *t, struct pollfd *pfd);

/* Moves what poll said can move. */
void exec_tap_io(struct exec_tap *t, const struct pollfd *pfd);

/* After the command (and whatever it left) is gone: passes on what is
 * left in the pipes, as long as the caller's side keeps taking it (see
 * EXEC_TAP_DRAIN_MS). */
void exec_tap_drain(struct exec_tap *t);

/* Closes everything. */
void exec_tap_close(struct exec_tap *t);

#endif
