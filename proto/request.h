/* The exec request: three netstrings, byte-compatible with ucspi-ipc 0.70.
 *
 *   LEN:UID,  LEN:ARGC,  LEN:ARG0\0ARG1\0...,
 *
 * e.g. "1:0,1:2,12:echo\0hereur\0,". Everything after the final ',' is the
 * command's stdin. Every limit a peer can push against is here. */
#ifndef PROTO_REQUEST_H
#define PROTO_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most arguments a request may carry. */
#define REQUEST_MAX_ARGC 4096
/* Most bytes of arguments (NULs included); well under the kernel's
 * ARG_MAX, so a request never fails at execve for its size alone. */
#define REQUEST_MAX_ARGSLEN (256 * 1024)
/* Digits in a netstring length: enough for REQUEST_MAX_ARGSLEN. */
#define REQUEST_MAX_LENDIGITS 7
/* Digits in the uid and argc fields: uids are at most 10 digits. */
#define REQUEST_MAX_NUMDIGITS 10
/* The header is everything before the argument bytes:
 * "10:4294967294,4:4096,262144:" is the longest. */
#define REQUEST_MAX_HEADER 40
/* The longest whole request. */
#define REQUEST_MAX_TOTAL (REQUEST_MAX_HEADER + REQUEST_MAX_ARGSLEN + 1)
/* Default deadline for the whole request to arrive, in milliseconds. */
#define REQUEST_DEFAULT_TIMEOUT_MS 10000

enum request_status {
  REQUEST_OK = 0,
  REQUEST_MORE = 1,   /* valid so far, needs more bytes */
  REQUEST_BAD = 2,    /* malformed or over a limit: refuse */
};

/* What the header says, once it has arrived. */
struct request_header {
  uint32_t uid;
  uint32_t argc;
  size_t argslen;       /* length of the argument netstring's body */
  size_t headerlen;     /* bytes before the argument bytes */
  size_t total;         /* headerlen + argslen + 1 (the final ',') */
};

/* Attached mode, version 2 (attach.h): the client's terminal, for which
 * the broker opens a pseudo-terminal. Every field is the client's word. */
#define REQUEST_MAX_TTYNAME 64
struct request_pty {
  bool want;            /* a pty is asked for: version 2 */
  bool fg;              /* the client is in its terminal's foreground */
  bool forced;          /* ipcdo -t: no pty is a refusal */
  unsigned mask;        /* bit i: the client's descriptor i is a terminal */
  uint16_t rows, cols, xpixel, ypixel;
  char name[REQUEST_MAX_TTYNAME + 1];   /* ttyname(3), possibly empty */
};

struct request {
  uint32_t uid;
  uint32_t argc;
  char *args;           /* argslen bytes, each argument NUL-terminated */
  size_t argslen;
  char **argv;          /* argc + 1 pointers into args, NULL-terminated */
  /* Attached mode (see attach.h): the caller's fds 0-2 and environment.
   * extended stays set on a refused request once the magic was seen. */
  bool extended;
  int fds[3];           /* -1 when not extended */
  uint32_t envc;
  char *envbuf;
  char **envp;          /* envc + 1 pointers into envbuf, NULL-terminated */
  struct request_pty pty;
};

/* Parses the header at the start of buf[0..len). REQUEST_MORE while it is
 * incomplete but valid so far. On REQUEST_BAD, *why says what is wrong. */
enum request_status request_parse_header(const char *buf, size_t len,
    struct request_header *h, const char **why);

/* Parses a whole request from buf[0..len), where len is at least h->total
 * once the header is known. Allocates r->args and r->argv, bounded by the
 * limits above and only after the counts have been checked against the
 * bytes. *consumed is the length of the request. */
enum request_status request_parse(const char *buf, size_t len,
    struct request *r, size_t *consumed, const char **why);

/* Reads exactly one request from fd, never a byte beyond it (the rest is
 * the command's stdin), giving up after timeout_ms in total. Accepts the
 * 0.70 request and the attached-mode one (attach.h), whose descriptors it
 * receives into r->fds. Returns REQUEST_OK, or REQUEST_BAD with *why set
 * (also for I/O errors, EOF and the deadline); a refused request leaves no
 * received descriptor open. */
enum request_status request_read(int fd, struct request *r, int timeout_ms,
    const char **why);

/* An empty request: nothing allocated, no descriptors. */
void request_init(struct request *r);

/* Frees what request_parse/request_read allocated; closes r->fds. */
void request_free(struct request *r);

/* Appends the encoded request to out; returns false on
 * allocation failure or a request over the limits (argc 0 included). */
struct buf;
bool request_encode(struct buf *out, uint32_t uid, int argc, char *const *argv);

#endif
