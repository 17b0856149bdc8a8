#include "relay.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fd.h"

static bool again(int err)
{
  return err == EINTR || err == EAGAIN || err == EWOULDBLOCK;
}

enum relay_result client_relay(const struct relay *r)
{
  static char upbuf[RELAY_BUFSIZE];
  static char downbuf[RELAY_BUFSIZE];
  const char *up = r->prefix;
  size_t uplen = r->prefix ? r->prefixlen : 0, upoff = 0;
  bool in_open = r->in >= 0;
  bool to_open = r->in >= 0 || uplen > 0;

  signal(SIGPIPE, SIG_IGN);
  /* Writes to the server must never block: a server that answers while we
   * send could otherwise fill both socket buffers and deadlock with us.
   * The server descriptors are ours alone (a socket we made or one
   * ipcclient handed over), unlike stdin/stdout, which stay as they are. */
  if (to_open && fd_nonblock(r->to_server, 1) < 0) return RELAY_WRITE_SERVER;

  for (;;) {
    struct pollfd p[2];
    int np = 0, iin = -1, iout = -1, isrv;

    if (to_open && upoff == uplen && !in_open) {
      /* All input sent: tell the server, keep listening for its answer. */
      if (shutdown(r->to_server, SHUT_WR) < 0) {
        if (errno != ENOTSOCK && errno != ENOTCONN) return RELAY_WRITE_SERVER;
        if (errno == ENOTSOCK && r->to_server != r->from_server) close(r->to_server);
      }
      to_open = false;
    }
    if (to_open) {
      if (upoff < uplen) {
        p[np].fd = r->to_server;
        p[np].events = POLLOUT;
        iout = np++;
      } else {
        p[np].fd = r->in;
        p[np].events = POLLIN;
        iin = np++;
      }
    }
    p[np].fd = r->from_server;
    p[np].events = POLLIN;
    isrv = np++;
    for (int i = 0; i < np; i++) p[i].revents = 0;

    if (poll(p, (nfds_t)np, -1) < 0) {
      if (errno == EINTR) continue;
      return RELAY_POLL;
    }

    if (iin >= 0 && p[iin].revents) {
      ssize_t n = read(r->in, upbuf, sizeof upbuf);
      if (n < 0) {
        if (!again(errno)) return RELAY_READ_INPUT;
      } else if (n == 0) {
        in_open = false;
      } else {
        up = upbuf;
        uplen = (size_t)n;
        upoff = 0;
      }
    }

    if (iout >= 0 && p[iout].revents) {
      ssize_t n = write(r->to_server, up + upoff, uplen - upoff);
      if (n < 0) {
        if (errno == EPIPE || errno == ECONNRESET) {
          /* The server stopped reading; what it says still matters. */
          to_open = in_open = false;
          upoff = uplen = 0;
        } else if (!again(errno)) {
          return RELAY_WRITE_SERVER;
        }
      } else {
        upoff += (size_t)n;
        if (upoff == uplen) upoff = uplen = 0;
      }
    }

    if (p[isrv].revents) {
      ssize_t n = read(r->from_server, downbuf, sizeof downbuf);
      if (n < 0) {
        if (again(errno)) continue;
        /* A local server that exits without reading all we sent resets
         * the connection; everything it wrote has been read by now. */
        if (errno == ECONNRESET) return RELAY_OK;
        return RELAY_READ_SERVER;
      }
      if (n == 0) return RELAY_OK;
      if (fd_write_all(r->out, downbuf, (size_t)n) < 0) return RELAY_WRITE_OUTPUT;
    }
  }
}

const char *client_relay_what(enum relay_result r)
{
  switch (r) {
    case RELAY_OK: return "relay";
    case RELAY_READ_INPUT: return "unable to read input";
    case RELAY_WRITE_SERVER: return "unable to write to server";
    case RELAY_READ_SERVER: return "unable to read from server";
    case RELAY_WRITE_OUTPUT: return "unable to write output";
    case RELAY_POLL: return "unable to poll";
  }
  return "relay";
}
