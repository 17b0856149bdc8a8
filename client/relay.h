/* Copying bytes both ways between the user and a server at once, for
 * ipcconnect, ipccat, ipccommand, ipcdo and ipcrun. */
#ifndef CLIENT_RELAY_H
#define CLIENT_RELAY_H

#include <stddef.h>

#define RELAY_BUFSIZE 65536

enum relay_result {
  RELAY_OK = 0,            /* the server closed its side */
  RELAY_READ_INPUT,
  RELAY_WRITE_SERVER,
  RELAY_READ_SERVER,
  RELAY_WRITE_OUTPUT,
  RELAY_POLL,
};

struct relay {
  int in;              /* user input, or -1 to send nothing */
  int to_server;
  int from_server;
  int out;             /* user output */
  const char *prefix;  /* sent before any input (a request), may be NULL */
  size_t prefixlen;
};

/* Sends prefix, then in to the server while copying the server to out,
 * both at once. When in ends (and everything is written) the write side is
 * shut down (SHUT_WR), so the server sees EOF and can still answer. Returns
 * when the server closes, or on an error with errno set. A server that
 * stops reading is not an error: its answer is still copied out. SIGPIPE
 * is ignored from here on; writes report EPIPE instead. */
enum relay_result client_relay(const struct relay *r);

/* "unable to read input" etc., for a fatal message. */
const char *client_relay_what(enum relay_result r);

#endif
