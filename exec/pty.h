/* Pty mode (proto/attach.h, version 2): the supervisor, still root, opens
 * a pseudo-terminal for the command and relays between it and the
 * caller's terminal. The command gets the pty's slave on those of its
 * descriptors 0-2 that were terminals on the caller's side, as its
 * controlling terminal in its own session; it never holds a descriptor of
 * the caller's terminal. The caller's other descriptors are passed as
 * they are, never relayed.
 *
 * The relay never blocks on one direction: the caller's terminal is
 * opened anew, non-blocking, for the relay's own use (the caller's file
 * descriptions, shared with its shell, are left as they are), the pty's
 * master is non-blocking, and each direction has a bounded buffer. */
#ifndef EXEC_PTY_H
#define EXEC_PTY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attach.h"
#include "request.h"

/* What a hook is told a byte came through. The pipe numbers are for a
 * relay of descriptors that are not terminals: none is relayed today. */
enum exec_stream {
  EXEC_STREAM_STDIN = 0,
  EXEC_STREAM_STDOUT = 1,
  EXEC_STREAM_STDERR = 2,
  EXEC_STREAM_TTY_IN = 3,    /* read from the caller's terminal, for the pty */
  EXEC_STREAM_TTY_OUT = 4,   /* read from the pty, for the caller's terminal */
};

/* A recorder's way in: called in the supervisor (root), in the order the
 * bytes pass, before they are written on; on_winsize at the start and
 * for every window size the client sends. Either may be NULL. They must
 * not block: the relay waits for them. */
struct exec_relay_hooks {
  void *ctx;
  void (*on_data)(void *ctx, int stream, const void *buf, size_t n);
  void (*on_winsize)(void *ctx, unsigned rows, unsigned cols, unsigned xpixel, unsigned ypixel);
};

/* Hooks for every later request of this process (NULL: none). Copied. */
void exec_relay_set_hooks(const struct exec_relay_hooks *h);

#define EXEC_PTY_INBUF 4096
#define EXEC_PTY_OUTBUF 16384
/* How many pollfds exec_pty_poll fills. */
#define EXEC_PTY_NPOLL 3
/* After the command: how long the rest of its output may take. */
#define EXEC_PTY_DRAIN_MS 2000

struct exec_pty {
  int master, slave;            /* slave: -1 once the command has it */
  int in, out;                  /* the caller's terminal, for the relay; -1: none */
  unsigned mask;                /* the command's descriptors on the slave */
  bool fg;                      /* the client is in the foreground: read its terminal */
  bool held;                    /* no C from the client yet: its terminal may not be raw */
  bool stopped;                 /* the command stopped, and the client was told */
  bool master_hup;              /* no slave open: nothing to read for now */
  bool in_eof, out_dead;
  bool in_blocking, out_blocking;   /* could not be opened anew: the caller's own */
  size_t inlen, outlen;
  char inbuf[EXEC_PTY_INBUF];
  char outbuf[EXEC_PTY_OUTBUF];
};

/* Opens the pair and the caller's terminal for the relay, as root, from
 * what req says (its descriptors marked as terminals must be terminals);
 * the slave is given to target_uid, whose session it will be. 0, or -1
 * with *why and errno set and nothing left open. */
int exec_pty_open(struct exec_pty *p, const struct request *req, uint32_t target_uid,
    const char **why);

/* In the command's process, before the sandbox: puts the slave on those
 * of 0-2 that were terminals and the caller's descriptor on the others
 * (from[i]); returns the descriptor to make the controlling terminal
 * after setsid, or -1 on failure. */
int exec_pty_child_fds(const struct exec_pty *p, const int from[3]);

/* In the command's process (a fork of the supervisor), once its
 * descriptors are in place: makes a session whose controlling terminal is
 * the slave on descriptor ctty, and forks. The child, in a process group
 * of its own that is the terminal's foreground, returns 0 and goes on to
 * the sandbox (sandbox_plan.in_session). This process stays as the
 * session's monitor and never returns: a job-control parent in the same
 * session, without which the kernel would never stop the command for ^Z
 * (its process group would be orphaned). It passes on every signal it
 * gets, stops when the command stops, and ends as the command ended, so
 * that to the supervisor it is the command. -1 on failure. */
int exec_pty_session(int ctty);

/* The command runs: the supervisor lets go of its slave, so that the
 * master sees the end once the command's side is closed. */
void exec_pty_started(struct exec_pty *p);

/* Fills EXEC_PTY_NPOLL pollfds (unused ones with fd -1) and may shorten
 * *timeout (-1: none). */
void exec_pty_poll(struct exec_pty *p, struct pollfd *pfd, int *timeout);

/* Moves what poll said can move, in both directions. */
void exec_pty_io(struct exec_pty *p, const struct pollfd *pfd);

/* A client message only a pty request may send ("W", "C"); false for
 * any other, which ends the conversation. pid: the command. */
bool exec_pty_message(struct exec_pty *p, const struct attach_msg *m, pid_t pid);

/* The command stopped: it gets no more input until the client says "C";
 * the client is told ("Z") on sock, unless sock is -1. */
void exec_pty_stopped(struct exec_pty *p, int sock);

/* After the command: relays what is left of its output (until the master
 * reports the end, at most EXEC_PTY_DRAIN_MS), so that nothing written
 * just before exit is lost. */
void exec_pty_drain(struct exec_pty *p);

/* Closes everything. */
void exec_pty_close(struct exec_pty *p);

#endif
