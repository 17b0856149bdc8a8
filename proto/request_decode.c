#include "request.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "attach.h"
#include "scan.h"

/* Reads the netstring length "DIGITS:" at buf[*pos]. Canonical decimal,
 * at most maxdigits digits. */
static enum request_status get_len(const char *buf, size_t len, size_t *pos,
    size_t maxdigits, uint64_t max, uint64_t *out, const char **why)
{
  size_t i = *pos, start = *pos;
  while (i < len && buf[i] != ':') {
    if (buf[i] < '0' || buf[i] > '9') { *why = "bad netstring length"; return REQUEST_BAD; }
    if (i - start >= maxdigits) { *why = "netstring length too long"; return REQUEST_BAD; }
    i++;
  }
  if (i == len) return REQUEST_MORE;
  if (i == start) { *why = "empty netstring length"; return REQUEST_BAD; }
  if (buf[start] == '0' && i - start > 1) { *why = "bad netstring length"; return REQUEST_BAD; }
  if (!scan_u64n(buf + start, i - start, max, out)) {
    *why = "netstring length out of range";
    return REQUEST_BAD;
  }
  *pos = i + 1;
  return REQUEST_OK;
}

/* A netstring holding a canonical decimal number <= max. */
static enum request_status get_num(const char *buf, size_t len, size_t *pos,
    uint64_t max, uint64_t *out, const char *what, const char **why)
{
  uint64_t n;
  size_t p = *pos;
  enum request_status st = get_len(buf, len, &p, 2, REQUEST_MAX_NUMDIGITS, &n, why);
  if (st != REQUEST_OK) return st;
  if (n == 0) { *why = what; return REQUEST_BAD; }
  for (size_t i = 0; i < n && p + i < len; i++)
    if (buf[p + i] < '0' || buf[p + i] > '9') { *why = what; return REQUEST_BAD; }
  if (len - p < n + 1) return REQUEST_MORE;
  if (buf[p + n] != ',') { *why = "missing netstring terminator"; return REQUEST_BAD; }
  if (!scan_u64n(buf + p, (size_t)n, max, out)) { *why = what; return REQUEST_BAD; }
  *pos = p + (size_t)n + 1;
  return REQUEST_OK;
}

enum request_status request_parse_header(const char *buf, size_t len,
    struct request_header *h, const char **why)
{
  size_t pos = 0;
  uint64_t v;
  enum request_status st;

  *why = 0;
  st = get_num(buf, len, &pos, SCAN_ID_MAX, &v, "bad uid", why);
  if (st != REQUEST_OK) return st;
  h->uid = (uint32_t)v;
  st = get_num(buf, len, &pos, REQUEST_MAX_ARGC, &v, "bad argc", why);
  if (st != REQUEST_OK) return st;
  if (v == 0) { *why = "argc is 0"; return REQUEST_BAD; }
  h->argc = (uint32_t)v;
  st = get_len(buf, len, &pos, REQUEST_MAX_LENDIGITS, REQUEST_MAX_ARGSLEN, &v, why);
  if (st == REQUEST_BAD && *why && !strcmp(*why, "netstring length out of range"))
    *why = "arguments too long";
  if (st != REQUEST_OK) return st;
  /* argc NULs plus a non-empty argv[0]: a lower bound, checked exactly
   * against the real NULs once the bytes are here. */
  if (v < (uint64_t)h->argc + 1) { *why = "argc does not match the arguments"; return REQUEST_BAD; }
  h->argslen = (size_t)v;
  h->headerlen = pos;
  h->total = pos + h->argslen + 1;
  return REQUEST_OK;
}

enum request_status request_parse(const char *buf, size_t len,
    struct request *r, size_t *consumed, const char **why)
{
  struct request_header h;
  enum request_status st;
  const char *args;
  size_t nuls = 0, i;

  request_init(r);
  st = request_parse_header(buf, len, &h, why);
  if (st != REQUEST_OK) return st;
  if (len < h.total) return REQUEST_MORE;
  args = buf + h.headerlen;
  if (buf[h.total - 1] != ',') { *why = "missing netstring terminator"; return REQUEST_BAD; }
  if (args[h.argslen - 1] != 0) { *why = "last argument not NUL-terminated"; return REQUEST_BAD; }
  if (args[0] == 0) { *why = "empty argv[0]"; return REQUEST_BAD; }
  /* Count the real NULs before trusting argc for any allocation. */
  for (i = 0; i < h.argslen; i++)
    if (!args[i]) nuls++;
  if (nuls != h.argc) { *why = "argc does not match the arguments"; return REQUEST_BAD; }

  r->args = malloc(h.argslen);
  r->argv = calloc((size_t)h.argc + 1, sizeof *r->argv);
  if (!r->args || !r->argv) {
    request_free(r);
    *why = "out of memory";
    return REQUEST_BAD;
  }
  memcpy(r->args, args, h.argslen);
  r->argslen = h.argslen;
  r->uid = h.uid;
  r->argc = h.argc;
  {
    char *p = r->args;
    for (i = 0; i < h.argc; i++) {
      r->argv[i] = p;
      p += strlen(p) + 1;
    }
    r->argv[h.argc] = 0;
  }
  *consumed = h.total;
  return REQUEST_OK;
}

void request_init(struct request *r)
{
  memset(r, 0, sizeof *r);
  r->fds[0] = r->fds[1] = r->fds[2] = -1;
}

void request_free(struct request *r)
{
  free(r->args);
  free(r->argv);
  free(r->envbuf);
  free(r->envp);
  r->args = r->envbuf = 0;
  r->argv = r->envp = 0;
  for (int i = 0; i < 3; i++) {
    if (r->fds[i] >= 0) close(r->fds[i]);
    r->fds[i] = -1;
  }
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is readable or the deadline passes. *hup is set when the
 * peer has shut down its side: every byte it sent is queued by then. */
static int wait_readable(int fd, long long deadline, int *hup)
{
  *hup = 0;
  for (;;) {
    long long left = deadline - now_ms();
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
    int r;
    if (left <= 0) return 0;
    r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return 0;
    *hup = (p.revents & (POLLRDHUP | POLLHUP)) != 0;
    return 1;
  }
}

/* Receives the first byte, and any descriptors sent with it. */
static ssize_t first_byte(int fd, char *c, int fds[], size_t *nfds, bool *trunc, bool *sock)
{
  char cbuf[CMSG_SPACE(4 * sizeof(int))];
  struct iovec iov = { c, 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  ssize_t n;

  *nfds = 0;
  *trunc = false;
  n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0 && errno == ENOTSOCK) {
    *sock = false;
    return read(fd, c, 1);
  }
  if (n < 0) return n;
  *trunc = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; i++) {
      int got;
      memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof got);
      if (*nfds < 4) fds[(*nfds)++] = got;
      else close(got);
    }
  }
  return n;
}

static void close_all(int fds[], size_t n)
{
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

/* Reads into buf[*have..want) from fd, a byte at a time (pipe) or by
 * peeking (socket: then buf[skip..] mirrors what is queued). */
static enum request_status fill(int fd, bool peek, char *buf, size_t skip,
    size_t *have, size_t max, size_t *prev, long long deadline, const char **why)
{
  ssize_t n;
  int hup;
  int w = wait_readable(fd, deadline, &hup);
  if (w == 0) { *why = "timed out reading request"; return REQUEST_BAD; }
  if (w < 0) { *why = "unable to read request"; return REQUEST_BAD; }
  if (peek) n = recv(fd, buf + skip, max - skip, MSG_PEEK | MSG_DONTWAIT);
  else n = read(fd, buf + *have, 1);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return REQUEST_MORE;
    *why = "unable to read request";
    return REQUEST_BAD;
  }
  if (n == 0) { *why = "request truncated"; return REQUEST_BAD; }
  *have = peek ? skip + (size_t)n : *have + (size_t)n;
  /* A peek never sees EOF while bytes are queued: without this, a peer
   * that sends half a header and closes would hold us until the deadline.
   * The caller checks for a complete header first. */
  if (peek && hup && *have == *prev) { *why = "request truncated"; return REQUEST_BAD; }
  if (peek && *have == *prev) {
    /* Only a partial header is queued and poll keeps saying readable:
     * a short sleep bounds the cost of a peer that trickles bytes. */
    struct timespec ts = { 0, 2 * 1000 * 1000 };
    nanosleep(&ts, 0);
  }
  *prev = *have;
  return REQUEST_OK;
}

/* Reads exactly len bytes. */
static enum request_status read_exact(int fd, char *buf, size_t len, long long deadline, const char **why)
{
  size_t got = 0;
  while (got < len) {
    ssize_t n;
    int hup;
    int w = wait_readable(fd, deadline, &hup);
    if (w <= 0) { *why = w ? "unable to read request" : "timed out reading request"; return REQUEST_BAD; }
    n = read(fd, buf + got, len - got);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      *why = "unable to read request";
      return REQUEST_BAD;
    }
    if (n == 0) { *why = "request truncated"; return REQUEST_BAD; }
    got += (size_t)n;
  }
  return REQUEST_OK;
}

/* The environment, then (version 2) the pty item. An environment parsed
 * before the pty item is whole is let go again, so that the next try
 * starts afresh. */
static enum request_status parse_tail(const char *buf, size_t len, bool pty,
    struct request *r, size_t *consumed, const char **why)
{
  size_t used = 0, more = 0;
  enum request_status st = attach_parse_env(buf, len, r, &used, why);
  if (st == REQUEST_OK && !pty) *consumed = used;
  if (st != REQUEST_OK || !pty) return st;
  st = attach_parse_pty(buf + used, len - used, &r->pty, &more, why);
  if (st == REQUEST_OK) {
    *consumed = used + more;
    return st;
  }
  free(r->envbuf);
  free(r->envp);
  r->envbuf = 0;
  r->envp = 0;
  r->envc = 0;
  memset(&r->pty, 0, sizeof r->pty);
  return st;
}

enum request_status request_read(int fd, struct request *r, int timeout_ms,
    const char **why)
{
  /* the magic byte and the version, then the 0.70 header */
  char head[1 + 4 + REQUEST_MAX_HEADER];
  size_t have, prev = 0, skip, nfds, consumed;
  struct request_header h;
  enum request_status st;
  long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : REQUEST_DEFAULT_TIMEOUT_MS);
  bool peek = true, trunc, ext;
  int fds[4];
  char *whole;

  request_init(r);
  *why = 0;

  /* Phase 0: the first byte, received with any descriptors sent with it.
   * Only the attached-mode magic may carry descriptors, exactly three. */
  for (;;) {
    int hup;
    ssize_t n;
    int w = wait_readable(fd, deadline, &hup);
    if (w == 0) { *why = "timed out reading request"; return REQUEST_BAD; }
    if (w < 0) { *why = "unable to read request"; return REQUEST_BAD; }
    n = first_byte(fd, head, fds, &nfds, &trunc, &peek);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) { *why = "unable to read request"; return REQUEST_BAD; }
    if (n == 0) { *why = "request truncated"; return REQUEST_BAD; }
    break;
  }
  ext = head[0] == ATTACH_MAGIC;
  /* Known from here on, so that a refusal can be answered in kind: an
   * attached client waits for a status byte. */
  r->extended = ext;
  if (trunc || nfds != (ext ? 3u : 0u)) {
    close_all(fds, nfds);
    if (trunc && ext && nfds < 3)
      *why = "out of descriptors for the attached request's descriptors";
    else
      *why = ext ? "attached request needs exactly three descriptors" : "unexpected descriptors";
    return REQUEST_BAD;
  }
  skip = ext ? 1 + strlen(ATTACH_VERSION) : 0;
  have = 1;

  /* Phase 1: the header, peeked on a socket so that nothing after the
   * request is consumed; read a byte at a time elsewhere (a pipe). */
  for (;;) {
    if (ext && have > 1) {
      size_t n = have - 1 < skip - 1 ? have - 1 : skip - 1;
      if (memcmp(head + 1, ATTACH_VERSION, n) && memcmp(head + 1, ATTACH_VERSION_PTY, n)) {
        *why = "unsupported attached request version";
        st = REQUEST_BAD;
        goto fail;
      }
    }
    if (have > skip) {
      st = request_parse_header(head + skip, have - skip, &h, why);
      if (st == REQUEST_BAD) goto fail;
      if (st == REQUEST_OK) break;
    }
    if (have == sizeof head) { *why = "bad request header"; st = REQUEST_BAD; goto fail; }
    st = fill(fd, peek, head, 1, &have, sizeof head, &prev, deadline, why);
    if (st == REQUEST_BAD) goto fail;
  }

  /* Phase 2: the whole request, now that its size is known and bounded. */
  whole = malloc(skip + h.total);
  if (!whole) { *why = "out of memory"; st = REQUEST_BAD; goto fail; }
  consumed = peek ? 1 : have;
  memcpy(whole, head, consumed);
  st = read_exact(fd, whole + consumed, skip + h.total - consumed, deadline, why);
  if (st == REQUEST_OK) st = request_parse(whole + skip, h.total, r, &consumed, why);
  r->extended = ext;
  free(whole);
  if (st != REQUEST_OK) { st = REQUEST_BAD; goto fail; }

  /* Phase 3 (attached mode): the environment the client offers, and for
   * version 2 its terminal. */
  if (ext) {
    char env[64 + ATTACH_MAX_ENVLEN + 8 + ATTACH_MAX_PTY];
    size_t got = 0;
    bool pty = head[1 + 2] == ATTACH_VERSION_PTY[2];
    prev = 0;
    for (;;) {
      size_t used = 0;
      st = got ? parse_tail(env, got, pty, r, &used, why) : REQUEST_MORE;
      if (st == REQUEST_BAD) goto fail_req;
      if (st == REQUEST_OK) {
        if (peek) {
          char *sink = malloc(used);
          if (!sink) { *why = "out of memory"; goto fail_req; }
          st = read_exact(fd, sink, used, deadline, why);
          free(sink);
          if (st != REQUEST_OK) goto fail_req;
        }
        break;
      }
      if (got == sizeof env) { *why = "bad environment in request"; goto fail_req; }
      st = fill(fd, peek, env, 0, &got, sizeof env, &prev, deadline, why);
      if (st == REQUEST_BAD) goto fail_req;
    }
    r->extended = true;
    memcpy(r->fds, fds, sizeof r->fds);
  }
  return REQUEST_OK;

fail_req:
  request_free(r);
fail:
  close_all(fds, nfds);
  return REQUEST_BAD;
}
