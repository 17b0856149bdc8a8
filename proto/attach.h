/* Attached mode: the extended request that ipcdo and ipcrun send by
 * default, so that the command runs on the caller's own descriptors and
 * the caller gets its exit status back.
 *
 * Client to server, on the broker's socket:
 *
 *   'X' "1:1," <0.70 request> LEN:ENVC, LEN:NAME=VALUE\0...,
 *   'X' "1:2," <0.70 request> LEN:ENVC, LEN:NAME=VALUE\0..., LEN:PTY,
 *
 * The first byte, 'X', is sent with sendmsg and carries exactly three
 * descriptors (SCM_RIGHTS): the caller's 0, 1 and 2. A 0.70 broker reads
 * 'X' where a digit must be and drops the connection, so an old broker
 * never runs the command on the wrong descriptors; the client then reports
 * that the broker does not speak attached mode. "1:1," is the protocol
 * version, a netstring holding "1"; "1:2," asks for a pseudo-terminal
 * (a broker that knows only version 1 refuses it with "F"). ENVC (at most
 * ATTACH_MAX_ENVC) entries of NAME=VALUE, each NUL-terminated,
 * ATTACH_MAX_ENVLEN bytes at most: what the client offers (TERM, LANG,
 * LC_*, COLORTERM); the broker admits only what the matching rule's
 * IPCKEEPENV names, with checked values.
 *
 * PTY (version 2 only, at most ATTACH_MAX_PTY bytes) is seven fields
 * separated by single spaces:
 *
 *   MASK FLAGS ROWS COLS XPIXEL YPIXEL NAME
 *
 * MASK (1-7): bit i set when the client's descriptor i is a terminal;
 * FLAGS (0-3): 1, the client is in its terminal's foreground process
 * group (its terminal input may be read), 2, the pty was forced (ipcdo
 * -t): a rule that forbids one denies the request; then the window size
 * (0-65535 each) and the terminal's name, up to REQUEST_MAX_TTYNAME
 * printable bytes without space, possibly empty. Numbers are canonical
 * decimal.
 *
 * After the request, client to server: zero or more netstrings "K<signo>"
 * asking the broker to send signal signo to the command's process group.
 * Only ATTACH_SIGNALS are accepted. With a pty, also "W<rows> <cols>
 * <xpixel> <ypixel>", the terminal's new window size, and "C<fg>" (fg 0
 * or 1), the client continued after a stop, in its terminal's foreground
 * or not: the command, if it stopped, is continued. The client never
 * half-closes: end of stream means the client is gone, and the command's
 * session gets SIGTERM, then SIGKILL after a grace period.
 *
 * Server to client, once the command has started (its exec succeeded):
 *
 *   "P"     (version 2) the command runs on a pty; without it, on the
 *           client's descriptors as in version 1
 *   "R"     the command runs; until then a client told to stop (SIGTERM,
 *           SIGINT, SIGHUP) ends at once instead of forwarding the signal
 *   "Z"     (with a pty) the command stopped; the client answers "C" once
 *           it is itself continued
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
#define ATTACH_VERSION_PTY "1:2,"
#define ATTACH_MAX_ENVC 32
#define ATTACH_MAX_ENVLEN 4096
/* The pty item's body: "7 3 65535 65535 65535 65535 " and a name. */
#define ATTACH_MAX_PTY 128
/* The longest message is "24:W65535 65535 65535 65535," */
#define ATTACH_MAX_MSG 32

/* The signals a client may forward. */
#define ATTACH_SIGNALS { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH }

struct buf;

/* Appends the extended request (after the magic byte, which the caller
 * sends itself with the descriptors) to out: version 1, or version 2 with
 * the pty item when pty is not NULL (pty->want set). */
bool attach_encode(struct buf *out, uint32_t uid, int argc, char *const *argv,
    char *const *envp, const struct request_pty *pty);

/* Parses "LEN:ENVC,LEN:ENV," from buf. REQUEST_MORE while incomplete; on
 * REQUEST_OK fills r->envc, r->envbuf, r->envp and *consumed. */
enum request_status attach_parse_env(const char *buf, size_t len,
    struct request *r, size_t *consumed, const char **why);

/* Parses the pty item "LEN:MASK FLAGS ROWS COLS XPIXEL YPIXEL NAME," from
 * buf. REQUEST_MORE while incomplete; on REQUEST_OK fills *p (want set)
 * and *consumed. */
enum request_status attach_parse_pty(const char *buf, size_t len,
    struct request_pty *p, size_t *consumed, const char **why);

/* Is this signal one a client may forward? */
bool attach_signal_allowed(int sig);

/* One message after the request, either way. */
struct attach_msg {
  char kind;                    /* K W C, or P R Z E S D F */
  int value;                    /* K, E, S: the number; C: fg (0 or 1) */
  uint16_t rows, cols, xpixel, ypixel;   /* W */
};

/* Message encoders: "K<sig>", "C<fg>", "W<rows> <cols> <xpixel> <ypixel>",
 * and "P", "R", "Z" and the statuses "E<n>", "S<n>", "D", "F". */
bool attach_encode_signal(struct buf *out, int sig);
bool attach_encode_continue(struct buf *out, bool fg);
bool attach_encode_winsize(struct buf *out, unsigned rows, unsigned cols,
    unsigned xpixel, unsigned ypixel);
bool attach_encode_status(struct buf *out, char kind, int value);

/* Parses one message at the start of buf into *m. REQUEST_MORE while
 * incomplete. Which kinds a side accepts is its own business. */
enum request_status attach_parse_msg(const char *buf, size_t len,
    struct attach_msg *m, size_t *consumed);

#endif
