/* ipcreplay [-i] [-s factor] [-m maxdelay] FILE: plays a recording's
 * output to stdout and stderr, with its timing; ipcreplay -l DIR: one line
 * per recording in DIR. The file is read as untrusted bytes (recread.c):
 * anything malformed stops with the offset, exit 111. Replayed output is
 * written as it was recorded, escape sequences and all, since it replays
 * a terminal; every field of a listing is escaped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "buf.h"
#include "clock.h"
#include "die.h"
#include "fd.h"
#include "logsafe.h"
#include "recread.h"
#include "version.h"

#define USAGE "ipcreplay [ -i ] [ -s factor ] [ -m maxdelay ] file"
#define USAGE_LIST "ipcreplay -l dir"
#define HELP \
  "usage: " USAGE "\n" \
  "       " USAGE_LIST "\n" \
  "Play a recorded session's output with its timing, or list recordings.\n" \
  "  -s factor    play factor times as fast (0: all at once)\n" \
  "  -m maxdelay  wait at most maxdelay seconds between two outputs\n" \
  "  -i           play the input streams too, to stdout\n" \
  "  -l           list the recordings in dir, oldest first\n" \
  "  -h, --help     this help\n" \
  "  -V, --version  the version\n"

/* Longest wait or speed-up accepted: about 11 days, a million times. */
#define MAX_SECONDS 1000000

/* A fractional decimal, "1", "0.5", ".25" no: digits, then optionally '.'
 * and 1 to 6 digits. In millionths. */
static bool scan_micro(const char *s, uint64_t *out)
{
  uint64_t whole = 0, frac = 0;
  size_t i = 0, f = 0;
  if (!s[0]) return false;
  for (; s[i] >= '0' && s[i] <= '9'; i++) {
    whole = whole * 10 + (uint64_t)(s[i] - '0');
    if (whole > MAX_SECONDS) return false;
  }
  if (!i) return false;
  if (s[i] == '.') {
    for (i++; s[i] >= '0' && s[i] <= '9'; i++, f++) {
      if (f == 6) return false;
      frac = frac * 10 + (uint64_t)(s[i] - '0');
    }
    if (!f) return false;
    for (; f < 6; f++) frac *= 10;
  }
  if (s[i]) return false;
  *out = whole * 1000000 + frac;
  return true;
}

static noreturn void die_malformed(const char *file, const struct recread *r)
{
  say("%s: malformed recording at offset %llu: %s", file,
      (unsigned long long)r->bad_off, r->why);
  _exit(EXIT_TEMP);
}

/* In a listing, O_NOFOLLOW: a symlink in the directory is not a
 * recording. Always O_NONBLOCK, never stuck on a FIFO; then only a
 * regular file is read. */
static int open_recording(int dirfd, const char *name, bool follow)
{
  struct stat st;
  int fd = openat(dirfd, name,
      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  if (fd < 0) return -1;
  if (fstat(fd, &st) < 0) {
    close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

static void sleep_until(long long us)
{
  struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 };
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0) == EINTR) {}
}

static int replay(const char *file, uint64_t factor, bool capped, uint64_t maxdelay, bool input)
{
  struct recread r;
  struct recread_item it;
  long long at;
  uint64_t last = 0;
  int fd, st;

  fd = open_recording(AT_FDCWD, file, true);
  if (fd < 0) {
    if (errno == EINVAL) die_x(EXIT_TEMP, "unable to read %s: not a regular file", file);
    die_sys(EXIT_TEMP, "unable to open %s", file);
  }
  st = recread_fd(&r, fd);
  at = clock_us();
  while (st == RECREAD_ITEM && (st = recread_next(&r, &it, true)) == RECREAD_ITEM) {
    int out;
    if (it.type != REC_T_DATA) continue;
    switch (it.stream) {
      case REC_STDOUT: case REC_TTYOUT: out = 1; break;
      case REC_STDERR: out = 2; break;
      default: out = input ? 1 : -1; break;
    }
    if (out < 0) continue;
    if (factor) {
      /* The gap since the last output played, scaled, then capped. */
      double d = (double)(it.t_us - last) * 1e6 / (double)factor;
      if (capped && d > (double)maxdelay) d = (double)maxdelay;
      if (d > 0) {
        at += d > 1e15 ? (long long)1e15 : (long long)d;
        sleep_until(at);
      }
    }
    last = it.t_us;
    if (fd_write_all(out, it.data, it.len) < 0) die_sys(EXIT_TEMP, "unable to write output");
  }
  if (st == RECREAD_BAD) die_malformed(file, &r);
  if (st == RECREAD_IO) {
    errno = r.err;
    die_sys(EXIT_TEMP, "unable to read %s", file);
  }
  recread_free(&r);
  close(fd);
  return 0;
}

/* A field of a listing: escaped, so it holds no space, control byte or
 * quote, and bounded. */
static bool field(struct buf *b, const char *s, size_t max)
{
  char q[4 * 256 + 8];
  if (max > 256) max = 256;
  return buf_catb(b, q, logquote(q, sizeof q, s, strlen(s), max));
}

static bool who(struct buf *b, const char *name, uint32_t id)
{
  if (name && name[0]) {
    if (!field(b, name, 64) || !buf_cats(b, "(")) return false;
    return buf_catu(b, id) && buf_cats(b, ")");
  }
  return buf_catu(b, id);
}

struct entry {
  uint64_t sec;
  uint32_t usec;
  char *name;
  struct buf line;
};

static int entry_cmp(const void *pa, const void *pb)
{
  const struct entry *a = pa, *b = pb;
  if (a->sec != b->sec) return a->sec < b->sec ? -1 : 1;
  if (a->usec != b->usec) return a->usec < b->usec ? -1 : 1;
  return strcmp(a->name, b->name);
}

/* One line: id start caller target status truncated command. */
static int list_one(const char *dir, int dirfd, const char *name, struct entry *e)
{
  struct recread r;
  struct recread_item it;
  struct buf *b = &e->line;
  char when[32];
  struct tm tm;
  time_t t;
  size_t cmdlen = 0;
  int fd, st;

  fd = open_recording(dirfd, name, false);
  if (fd < 0) {
    /* not a regular file, or a symlink: not a recording */
    if (errno == EINVAL || errno == ELOOP || errno == ENXIO) return 0;
    warn_sys("unable to open %s/%s", dir, name);
    return -1;
  }
  st = recread_fd(&r, fd);
  while (st == RECREAD_ITEM && (st = recread_next(&r, &it, false)) == RECREAD_ITEM) {}
  if (st == RECREAD_BAD) {
    say("%s/%s: malformed recording at offset %llu: %s", dir, name,
        (unsigned long long)r.bad_off, r.why);
    goto fail;
  }
  if (st == RECREAD_IO) {
    errno = r.err;
    warn_sys("unable to read %s/%s", dir, name);
    goto fail;
  }
  e->sec = r.meta.start_sec;
  e->usec = r.meta.start_usec;
  t = (time_t)r.meta.start_sec;
  if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
    strcpy(when, "-");
  if (!field(b, name, 64) || !buf_cats(b, " ") || !buf_cats(b, when) || !buf_cats(b, " ")
      || !who(b, r.meta.caller_name, r.meta.caller_uid) || !buf_cats(b, " ")
      || !who(b, r.meta.target_name, r.meta.target_uid) || !buf_cats(b, " "))
    die_nomem();
  if (r.ended) {
    int w = (int)r.wstatus;
    bool ok;
    if (WIFEXITED(w)) ok = buf_cats(b, "exit:") && buf_catu(b, (unsigned)WEXITSTATUS(w));
    else if (WIFSIGNALED(w)) ok = buf_cats(b, "signal:") && buf_catu(b, (unsigned)WTERMSIG(w));
    else ok = buf_cats(b, "status:") && buf_catu(b, r.wstatus);
    if (!ok) die_nomem();
  } else {
    /* The writer holds its lock until the end record is written. */
    bool running = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    if (!buf_cats(b, running ? "running" : "cut-short")) die_nomem();
  }
  if (!buf_cats(b, r.truncated ? " truncated" : " -")) die_nomem();
  for (size_t i = 0; i < r.meta.argc; i++) {
    size_t before = b->len;
    if (cmdlen >= 1024) {
      if (!buf_cats(b, " ...")) die_nomem();
      break;
    }
    if (!buf_cats(b, " ") || !field(b, r.meta.argv[i], 256)) die_nomem();
    cmdlen += b->len - before;
  }
  e->name = strdup(name);
  if (!e->name) die_nomem();
  recread_free(&r);
  close(fd);
  return 1;

fail:
  recread_free(&r);
  close(fd);
  return -1;
}

static int list(const char *dir)
{
  struct entry *v = 0;
  size_t n = 0, cap = 0;
  struct dirent *d;
  DIR *dp;
  int dirfd, code = 0;

  dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) die_sys(EXIT_TEMP, "unable to open %s", dir);
  dp = fdopendir(dirfd);
  if (!dp) die_sys(EXIT_TEMP, "unable to open %s", dir);
  for (;;) {
    int got;
    errno = 0;
    d = readdir(dp);
    if (!d) break;
    /* The writer never names a recording with a leading dot. */
    if (d->d_name[0] == '.') continue;
    if (n == cap) {
      struct entry *nv;
      cap = cap ? 2 * cap : 64;
      nv = realloc(v, cap * sizeof *v);
      if (!nv) die_nomem();
      v = nv;
    }
    memset(&v[n], 0, sizeof v[n]);
    got = list_one(dir, dirfd, d->d_name, &v[n]);
    if (got < 0) code = EXIT_TEMP;
    if (got > 0) n++;
    else buf_free(&v[n].line);
  }
  if (errno) die_sys(EXIT_TEMP, "unable to read %s", dir);
  qsort(v, n, sizeof *v, entry_cmp);
  for (size_t i = 0; i < n; i++) {
    if (!buf_catb(&v[i].line, "\n", 1)) die_nomem();
    if (fd_write_all(1, v[i].line.s, v[i].line.len) < 0) die_sys(EXIT_TEMP, "unable to write output");
    buf_free(&v[i].line);
    free(v[i].name);
  }
  free(v);
  closedir(dp);
  return code;
}

int main(int argc, char **argv)
{
  uint64_t factor = 1000000, maxdelay = 0;
  bool capped = false, input = false, listing = false;
  int opt;

  die_init("ipcreplay");
  version_arg(argc, argv);
  if (argc == 2 && !strcmp(argv[1], "--help")) {
    if (fd_write_all(1, HELP, sizeof HELP - 1) < 0) die_sys(EXIT_TEMP, "unable to write output");
    return 0;
  }
  opterr = 0;   /* one message, ours */
  while ((opt = getopt(argc, argv, "+s:m:ilhV")) != -1) {
    switch (opt) {
      case 's':
        if (!scan_micro(optarg, &factor)) die_usage(USAGE);
        break;
      case 'm':
        if (!scan_micro(optarg, &maxdelay)) die_usage(USAGE);
        capped = true;
        break;
      case 'i': input = true; break;
      case 'l': listing = true; break;
      case 'h':
        if (fd_write_all(1, HELP, sizeof HELP - 1) < 0) die_sys(EXIT_TEMP, "unable to write output");
        return 0;
      case 'V': version_print();
      default: die_usage(USAGE);
    }
  }
  argc -= optind;
  argv += optind;
  if (argc != 1 || !argv[0][0]) die_usage(listing ? USAGE_LIST : USAGE);
  if (fd_ensure_std() < 0) die_sys(EXIT_TEMP, "unable to open /dev/null");
  if (listing) return list(argv[0]);
  return replay(argv[0], factor, capped, maxdelay, input);
}
