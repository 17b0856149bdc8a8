#include "request.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

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

  memset(r, 0, sizeof *r);
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

void request_free(struct request *r)
{
  free(r->args);
  free(r->argv);
  r->args = 0;
  r->argv = 0;
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

enum request_status request_read(int fd, struct request *r, int timeout_ms,
    const char **why)
{
  char head[REQUEST_MAX_HEADER];
  size_t have = 0, prev = 0;
  struct request_header h;
  enum request_status st;
  long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : REQUEST_DEFAULT_TIMEOUT_MS);
  int peek = 1;
  char *whole;
  size_t got, consumed;

  memset(r, 0, sizeof *r);
  /* Phase 1: the header. On a socket, peek so that nothing is consumed yet;
   * elsewhere (a pipe in tests) read it a byte at a time. Either way no
   * byte after the request is taken from the command's stdin. */
  for (;;) {
    ssize_t n;
    int hup;
    int w = wait_readable(fd, deadline, &hup);
    if (w == 0) { *why = "timed out reading request"; return REQUEST_BAD; }
    if (w < 0) { *why = "unable to read request"; return REQUEST_BAD; }
    if (peek) {
      n = recv(fd, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
      if (n < 0 && errno == ENOTSOCK) { peek = 0; continue; }
    } else {
      n = read(fd, head + have, 1);
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      *why = "unable to read request";
      return REQUEST_BAD;
    }
    if (n == 0) { *why = "request truncated"; return REQUEST_BAD; }
    have = peek ? (size_t)n : have + (size_t)n;
    st = request_parse_header(head, have, &h, why);
    if (st == REQUEST_BAD) return REQUEST_BAD;
    if (st == REQUEST_OK) break;
    if (have == sizeof head) { *why = "bad request header"; return REQUEST_BAD; }
    /* A peek never sees EOF while bytes are queued: without this, a peer
     * that sends half a header and closes would hold us until the deadline. */
    if (peek && hup) { *why = "request truncated"; return REQUEST_BAD; }
    if (peek && have == prev) {
      /* Only a partial header is queued and poll keeps saying readable:
       * a short sleep bounds the cost of a peer that trickles bytes. */
      struct timespec ts = { 0, 2 * 1000 * 1000 };
      nanosleep(&ts, 0);
    }
    prev = have;
  }

  /* Phase 2: the whole request, now that its size is known and bounded. */
  whole = malloc(h.total);
  if (!whole) { *why = "out of memory"; return REQUEST_BAD; }
  got = 0;
  if (!peek) {
    memcpy(whole, head, have);
    got = have;
  }
  while (got < h.total) {
    ssize_t n;
    int hup;
    int w = wait_readable(fd, deadline, &hup);
    if (w <= 0) { free(whole); *why = w ? "unable to read request" : "timed out reading request"; return REQUEST_BAD; }
    n = read(fd, whole + got, h.total - got);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      free(whole);
      *why = "unable to read request";
      return REQUEST_BAD;
    }
    if (n == 0) { free(whole); *why = "request truncated"; return REQUEST_BAD; }
    got += (size_t)n;
  }
  st = request_parse(whole, h.total, r, &consumed, why);
  free(whole);
  return st == REQUEST_OK ? REQUEST_OK : REQUEST_BAD;
}
