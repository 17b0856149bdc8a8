/* Attached mode: the extended request that ipcdo and ipcrun send by
 * default, so that the command runs on the caller's own descriptors and
 * the caller gets its exit status back.
 *
 * Client to server, on the broker's socket:
 *
 *   'X' "1:1," <0.70 request> LEN:ENVC, LEN:NAME=VALUE\0...,
 *
 * The first byte, 'X', is sent with sendmsg and carries exactly three
 * descriptors (SCM_RIGHTS): the caller's 0, 1 and 2. A 0.70 broker reads
 * 'X' where a digit must be and drops the connection, so an old broker
 * never runs the command on the wrong descriptors; the client then reports
 * that the broker does not speak attached mode. "1:1," is the protocol
 * version, a netstring holding "1". ENVC (at most ATTACH_MAX_ENVC) entries
 * of NAME=VALUE, each NUL-terminated, ATTACH_MAX_ENVLEN bytes at most:
 * what the client offers (TERM, LANG, LC_*, COLORTERM); the broker admits
 * only what the matching rule's IPCKEEPENV names, with checked values.
 *
 * After the request, client to server: zero or more netstrings "K<signo>"
 * asking the broker to send signal signo to the command's process group.
 * Only ATTACH_SIGNALS are accepted. The client never half-closes: end of
 * stream means the client is gone, and the command's session gets SIGTERM,
 * then SIGKILL after a grace period.
 *
 * Server to client, once the command has started (its exec succeeded):
 *
 *   "R"     the command runs; until then a client told to stop (SIGTERM,
 *           SIGINT, SIGHUP) ends at once instead of forwarding the signal
 *
 * then once, when the command is done or was never run:
 *
 *   "E<n>"  the command exited with status n (0-255)
 *   "S<n>"  the command was killed by signal n
 *   "D"     the request was denied
 *   "F"     the broker failed (malformed request, unknown user, ...)
 *
 * each as one netstring, e.g. "1:R," then "2:E0,". Then the server
 * closes. */
#ifndef PROTO_ATTACH_H
#define PROTO_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define ATTACH_MAGIC 'X'
#define ATTACH_VERSION "1:1,"
#define ATTACH_MAX_ENVC 32
#define ATTACH_MAX_ENVLEN 4096
/* A status or signal message is at most "3:S64," */
#define ATTACH_MAX_MSG 16

/* The signals a client may forward. */
#define ATTACH_SIGNALS { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH }

struct buf;

/* Appends the extended request (after the magic byte, which the caller
 * sends itself with the descriptors) to out. */
bool attach_encode(struct buf *out, uint32_t uid, int argc, char *const *argv,
    char *const *envp);

/* Parses "LEN:ENVC,LEN:ENV," from buf. REQUEST_MORE while incomplete; on
 * REQUEST_OK fills r->envc, r->envbuf, r->envp and *consumed. */
enum request_status attach_parse_env(const char *buf, size_t len,
    struct request *r, size_t *consumed, const char **why);

/* Is this signal one a client may forward? */
bool attach_signal_allowed(int sig);

/* Message encoders: "K<sig>", "R", and the statuses "E<n>", "S<n>", "D", "F". */
bool attach_encode_signal(struct buf *out, int sig);
bool attach_encode_status(struct buf *out, char kind, int value);

/* Parses one message "K<n>", "R", "E<n>", "S<n>", "D" or "F" at the start
 * of buf. REQUEST_MORE while incomplete. *kind is the letter, *value the
 * number (0 for R, D and F). */
enum request_status attach_parse_msg(const char *buf, size_t len, char *kind,
    int *value, size_t *consumed);

#endif
