#include "recread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "scan.h"

#define READ_CHUNK 65536

static int bad(struct recread *r, uint64_t off, const char *why)
{
  r->bad_off = off;
  r->why = why;
  return RECREAD_BAD;
}

static int io(struct recread *r)
{
  r->err = errno ? errno : EIO;
  return RECREAD_IO;
}

/* Makes up to need bytes from offset r->off available at *p. Returns how
 * many there are (fewer only at the end of the file) or -1 (errno). */
static ssize_t avail(struct recread *r, size_t need, const unsigned char **p)
{
  size_t have, want;

  if (r->mem) {
    have = r->off < r->memlen ? r->memlen - (size_t)r->off : 0;
    *p = r->mem + (r->off < r->memlen ? r->off : r->memlen);
    return (ssize_t)(have < need ? have : need);
  }
  if (r->off < r->boff || r->off > r->boff + r->blen) {
    /* Past what was read (skipped data): start again there. */
    if (lseek(r->fd, (off_t)r->off, SEEK_SET) < 0) return -1;
    r->boff = r->off;
    r->blen = 0;
  }
  have = (size_t)(r->boff + r->blen - r->off);
  if (have < need) {
    size_t at = (size_t)(r->off - r->boff);
    memmove(r->buf, r->buf + at, have);
    r->boff = r->off;
    r->blen = have;
    want = need > READ_CHUNK ? need : READ_CHUNK;
    if (want > r->bcap) {
      unsigned char *b = realloc(r->buf, want);
      if (!b) return -1;
      r->buf = b;
      r->bcap = want;
    }
    while (r->blen < need) {
      ssize_t n = read(r->fd, r->buf + r->blen, r->bcap - r->blen);
      if (n < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (n == 0) break;
      r->blen += (size_t)n;
    }
    have = r->blen;
  }
  *p = r->buf + (r->off - r->boff);
  return (ssize_t)(have < need ? have : need);
}

/* Whether the file holds n more bytes from r->off, without reading them. */
static int holds(struct recread *r, uint64_t n)
{
  struct stat st;
  if (r->mem) return r->off <= r->memlen && r->memlen - r->off >= n;
  if (r->off >= r->boff && r->boff + r->blen - r->off >= n) return 1;
  if (fstat(r->fd, &st) < 0) return -1;
  return (uint64_t)st.st_size >= r->off && (uint64_t)st.st_size - r->off >= n;
}

static void unpack(const unsigned char *p, struct rec_hdr *h)
{
  h->type = p[0];
  h->stream = p[1];
  h->len = rec_get32(p + 4);
  h->delta_us = rec_get64(p + 8);
}

static bool key_ok(const char *k, size_t n)
{
  if (!n) return false;
  for (size_t i = 0; i < n; i++)
    if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
      return false;
  return true;
}

static bool is(const char *k, size_t n, const char *name)
{
  return strlen(name) == n && !memcmp(k, name, n);
}

/* "SECONDS.UUUUUU", seconds canonical decimal. */
static bool scan_start(const char *v, uint64_t *sec, uint32_t *usec)
{
  const char *dot = strchr(v, '.');
  uint64_t u;
  if (!dot || strlen(dot + 1) != 6) return false;
  if (!scan_u64n(v, (size_t)(dot - v), RECREAD_MAX_START, sec)) return false;
  u = 0;
  for (int i = 1; i <= 6; i++) {
    unsigned d = (unsigned char)dot[i] - '0';
    if (d > 9) return false;
    u = u * 10 + d;
  }
  *usec = (uint32_t)u;
  return true;
}

enum { F_ID, F_START, F_CUID, F_CGID, F_CNAME, F_TNAME, F_TUID, F_TGID, F_CWD, F_TTY,
  F_ROWS, F_COLS, F_N };
static const char *const fields[F_N] = {
  "id", "start", "caller_uid", "caller_gid", "caller_name", "target_name",
  "target_uid", "target_gid", "cwd", "tty", "rows", "cols",
};

/* The 'H' payload, copied to r->metacopy (n bytes, at file offset base). */
static int parse_meta(struct recread *r, uint64_t base, size_t n)
{
  char *s = r->metacopy;
  struct recread_meta *m = &r->meta;
  bool seen[F_N] = { false };
  size_t i = 0, argc = 0, a = 0;

  if (!n || s[n - 1] != 0) return bad(r, base + n, "header not NUL-terminated");
  /* argv first counted, then filled: at most one per NUL. */
  for (size_t j = 0; j < n; j += strlen(s + j) + 1)
    if (!strncmp(s + j, "argv=", 5)) argc++;
  if (!argc) return bad(r, base, "header has no argv");
  m->argv = calloc(argc + 1, sizeof *m->argv);
  if (!m->argv) return io(r);
  while (i < n) {
    char *f = s + i, *eq = strchr(f, '='), *v;
    size_t len = strlen(f), kn;
    uint64_t u;
    int k;
    if (!eq) return bad(r, base + i, "header field without '='");
    kn = (size_t)(eq - f);
    if (!key_ok(f, kn)) return bad(r, base + i, "header field name not [a-z0-9_]");
    v = eq + 1;
    if (is(f, kn, "argv")) {
      m->argv[a++] = v;
      i += len + 1;
      continue;
    }
    for (k = 0; k < F_N && !is(f, kn, fields[k]); k++) {}
    if (k == F_N) {   /* a field this version does not know: ignored */
      i += len + 1;
      continue;
    }
    if (seen[k]) return bad(r, base + i, "header field repeated");
    seen[k] = true;
    switch (k) {
      case F_ID:
        if (!record_id_ok(v)) return bad(r, base + i, "header id not a safe file name");
        m->id = v;
        break;
      case F_START:
        if (!scan_start(v, &m->start_sec, &m->start_usec))
          return bad(r, base + i, "header start not SECONDS.MICROSECONDS");
        break;
      case F_CUID: case F_CGID: case F_TUID: case F_TGID:
        if (!scan_u64(v, UINT32_MAX, &u)) return bad(r, base + i, "header id number not decimal");
        *(k == F_CUID ? &m->caller_uid : k == F_CGID ? &m->caller_gid
            : k == F_TUID ? &m->target_uid : &m->target_gid) = (uint32_t)u;
        break;
      case F_ROWS: case F_COLS:
        if (!scan_u64(v, 0xffff, &u)) return bad(r, base + i, "header size not decimal");
        *(k == F_ROWS ? &m->rows : &m->cols) = (unsigned)u;
        break;
      case F_CNAME: m->caller_name = v; break;
      case F_TNAME: m->target_name = v; break;
      case F_CWD: m->cwd = v; break;
      case F_TTY: m->tty = v; break;
    }
    i += len + 1;
  }
  m->argc = argc;
  m->argv[argc] = 0;
  for (int k = 0; k < F_N; k++) {
    static const bool required[F_N] = {
      [F_ID] = true, [F_START] = true, [F_CUID] = true, [F_CGID] = true,
      [F_TUID] = true, [F_TGID] = true,
    };
    if (required[k] && !seen[k]) return bad(r, base, "header field missing");
  }
  return RECREAD_ITEM;
}

static int start(struct recread *r)
{
  const unsigned char *p;
  ssize_t n;
  struct rec_hdr h;

  n = avail(r, REC_MAGIC_LEN, &p);
  if (n < 0) return io(r);
  for (ssize_t i = 0; i < REC_MAGIC_LEN; i++) {
    if (i >= n) return bad(r, (uint64_t)i, "not a recording: too short");
    if (p[i] != (unsigned char)REC_MAGIC[i])
      return bad(r, (uint64_t)i, i == 6 ? "unsupported version" : "not a recording: bad magic");
  }
  r->off = REC_MAGIC_LEN;
  n = avail(r, REC_HDR_LEN, &p);
  if (n < 0) return io(r);
  if (n < REC_HDR_LEN) return bad(r, r->off, "header record cut short");
  unpack(p, &h);
  if (h.type != REC_T_META) return bad(r, r->off, "first record not the header");
  if (h.stream || p[2] || p[3]) return bad(r, r->off, "reserved bytes not zero");
  if (h.delta_us) return bad(r, r->off, "header time not zero");
  if (h.len > REC_MAX_META) return bad(r, r->off, "header record too long");
  r->off += REC_HDR_LEN;
  n = avail(r, h.len, &p);
  if (n < 0) return io(r);
  if ((size_t)n < h.len) return bad(r, r->off, "header record cut short");
  r->metacopy = malloc(h.len + 1);
  if (!r->metacopy) return io(r);
  memcpy(r->metacopy, p, h.len);
  r->metacopy[h.len] = 0;
  n = parse_meta(r, r->off, h.len);
  if (n != RECREAD_ITEM) return (int)n;
  r->off += h.len;
  return RECREAD_ITEM;
}

static void init(struct recread *r)
{
  memset(r, 0, sizeof *r);
  r->fd = -1;
}

int recread_fd(struct recread *r, int fd)
{
  init(r);
  r->fd = fd;
  r->buf = malloc(READ_CHUNK);
  if (!r->buf) return io(r);
  r->bcap = READ_CHUNK;
  if (lseek(fd, 0, SEEK_SET) < 0) return io(r);
  return start(r);
}

int recread_mem(struct recread *r, const void *p, size_t n)
{
  static const unsigned char empty[1];
  init(r);
  r->mem = n ? p : empty;
  r->memlen = n;
  return start(r);
}

int recread_next(struct recread *r, struct recread_item *it, bool want_data)
{
  const unsigned char *p;
  struct rec_hdr h;
  ssize_t n;
  int hold;

  memset(it, 0, sizeof *it);
  n = avail(r, REC_HDR_LEN, &p);
  if (n < 0) return io(r);
  if (r->ended) {
    if (n) return bad(r, r->off, "bytes after the end record");
    return RECREAD_END;
  }
  if (n < REC_HDR_LEN) {
    r->partial = n > 0;
    return RECREAD_END;
  }
  unpack(p, &h);
  if (p[2] || p[3]) return bad(r, r->off, "reserved bytes not zero");
  switch (h.type) {
    case REC_T_DATA:
      if (h.stream >= REC_STREAMS) return bad(r, r->off, "unknown stream");
      if (!h.len || h.len > REC_MAX_DATA) return bad(r, r->off, "data record length out of range");
      if (r->truncated) return bad(r, r->off, "data after the truncation record");
      break;
    case REC_T_WINSIZE:
      if (h.stream) return bad(r, r->off, "stream set on a window size record");
      if (h.len != REC_WINSIZE_LEN) return bad(r, r->off, "window size record length wrong");
      if (r->truncated) return bad(r, r->off, "data after the truncation record");
      break;
    case REC_T_TRUNC:
      if (h.stream) return bad(r, r->off, "stream set on a truncation record");
      if (h.len != REC_TRUNC_LEN) return bad(r, r->off, "truncation record length wrong");
      if (r->truncated) return bad(r, r->off, "truncation record repeated");
      break;
    case REC_T_END:
      if (h.stream) return bad(r, r->off, "stream set on the end record");
      if (h.len != REC_END_LEN) return bad(r, r->off, "end record length wrong");
      break;
    case REC_T_META:
      return bad(r, r->off, "header record repeated");
    default:
      return bad(r, r->off, "unknown record type");
  }
  if (h.delta_us > (uint64_t)INT64_MAX - r->t_us) return bad(r, r->off, "time out of range");

  it->type = h.type;
  it->stream = h.type == REC_T_DATA ? h.stream : 0;
  it->off = r->off;
  it->delta_us = h.delta_us;
  it->t_us = r->t_us + h.delta_us;

  if (h.type == REC_T_DATA && !want_data) {
    hold = holds(r, (uint64_t)REC_HDR_LEN + h.len);
    if (hold < 0) return io(r);
    if (!hold) {
      r->partial = true;
      return RECREAD_END;
    }
    it->len = h.len;
  } else {
    n = avail(r, REC_HDR_LEN + (size_t)h.len, &p);
    if (n < 0) return io(r);
    if ((size_t)n < REC_HDR_LEN + h.len) {
      r->partial = true;
      return RECREAD_END;
    }
    p += REC_HDR_LEN;
    switch (h.type) {
      case REC_T_DATA:
        it->data = p;
        it->len = h.len;
        break;
      case REC_T_WINSIZE:
        it->rows = p[0] | (unsigned)p[1] << 8;
        it->cols = p[2] | (unsigned)p[3] << 8;
        break;
      case REC_T_END: {
        uint32_t w = rec_get32(p), sig = rec_get32(p + 4);
        int ws = (int)w;
        if (sig != (WIFSIGNALED(ws) ? (uint32_t)WTERMSIG(ws) : 0))
          return bad(r, r->off + REC_HDR_LEN + 4, "end signal does not match the status");
        if (p[8] > 1 || (p[8] != 0) != r->truncated)
          return bad(r, r->off + REC_HDR_LEN + 8, "end truncated flag does not match");
        if (p[9] || p[10] || p[11])
          return bad(r, r->off + REC_HDR_LEN + 9, "reserved bytes not zero");
        it->wstatus = w;
        it->signal = sig;
        r->wstatus = w;
        r->signal = sig;
        r->ended = true;
        break;
      }
    }
  }
  if (h.type == REC_T_TRUNC) r->truncated = true;
  r->off += REC_HDR_LEN + h.len;
  r->t_us = it->t_us;
  return RECREAD_ITEM;
}

void recread_free(struct recread *r)
{
  free(r->meta.argv);
  free(r->metacopy);
  free(r->buf);
  r->meta.argv = 0;
  r->metacopy = 0;
  r->buf = 0;
}
