/* The recording writer. It runs as root in the broker, beside the relay
 * that feeds it, so it must never let a recorded command block, fail or
 * fill the disk past the cap, and never write anywhere a user could have
 * prepared: see record_open. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "buf.h"
#include "clock.h"

/* The owner a record dir must have. Only the unit tests change it, in a
 * copy of this file they build to run the format round trip unprivileged;
 * the library and everything installed check for root. */
#ifndef RECORD_DIR_UID
#define RECORD_DIR_UID 0
#endif

struct record {
  int fd;
  int dirfd;
  char name[REC_MAX_ID + 1];
  uint64_t size;       /* bytes written, all whole records */
  uint64_t limit;      /* data records stop here; the end fits after it */
  long long last_us;   /* monotonic time of the last record */
  bool truncated;
  bool stopped;        /* by the cap or by a write error */
  int err;
};

static bool meta_str(struct buf *b, const char *key, const char *value)
{
  return buf_cats(b, key) && buf_cats(b, "=") && buf_cats(b, value) && buf_cat0(b);
}

static bool meta_num(struct buf *b, const char *key, unsigned long long value)
{
  return buf_cats(b, key) && buf_cats(b, "=") && buf_catu(b, value) && buf_cat0(b);
}

/* The 'H' payload: key=value\0 fields, in this order (ipcrecord(5)). */
static bool meta_build(struct buf *b, const struct record_meta *m)
{
  struct timespec now;
  char frac[8];
  long us;

  if (clock_gettime(CLOCK_REALTIME, &now) < 0 || now.tv_sec < 0) now.tv_sec = now.tv_nsec = 0;
  us = now.tv_nsec / 1000;
  for (int i = 5; i >= 0; i--, us /= 10) frac[i] = (char)('0' + us % 10);
  frac[6] = 0;
  if (!meta_str(b, "id", m->id)) return false;
  if (!(buf_cats(b, "start=") && buf_catu(b, (unsigned long long)now.tv_sec) && buf_cats(b, ".")
      && buf_cats(b, frac) && buf_cat0(b)))
    return false;
  if (!meta_num(b, "caller_uid", m->caller_uid) || !meta_num(b, "caller_gid", m->caller_gid))
    return false;
  if (m->caller_name && !meta_str(b, "caller_name", m->caller_name)) return false;
  if (m->target_name && !meta_str(b, "target_name", m->target_name)) return false;
  if (!meta_num(b, "target_uid", m->target_uid) || !meta_num(b, "target_gid", m->target_gid))
    return false;
  if (m->cwd && !meta_str(b, "cwd", m->cwd)) return false;
  if (m->tty && !meta_str(b, "tty", m->tty)) return false;
  if (!meta_num(b, "rows", m->rows) || !meta_num(b, "cols", m->cols)) return false;
  for (size_t i = 0; m->argv[i]; i++)
    if (!meta_str(b, "argv", m->argv[i])) return false;
  return true;
}

/* Writes all of iov, retrying on EINTR and short writes. A write of 0
 * bytes to a regular file means no space. */
static int write_iov(int fd, struct iovec *iov, int n)
{
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (w == 0) {
      errno = ENOSPC;
      return -1;
    }
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

static void stop(struct record *r, int err)
{
  r->stopped = true;
  r->err = err ? err : EIO;
  /* Back to the last whole record, so the file still reads as a
   * recording cut short; best effort, the error is what matters. */
  if (ftruncate(r->fd, (off_t)r->size) < 0) { /* nothing more to do */ }
}

static int put(struct record *r, unsigned type, unsigned stream, const void *p, size_t len)
{
  unsigned char h[REC_HDR_LEN];
  long long now = clock_us();
  struct rec_hdr hd = {
    .type = type, .stream = stream, .len = (uint32_t)len,
    .delta_us = now > r->last_us ? (uint64_t)(now - r->last_us) : 0,
  };
  struct iovec iov[2] = { { h, sizeof h }, { (void *)p, len } };

  rec_pack_hdr(h, &hd);
  if (write_iov(r->fd, iov, len ? 2 : 1) < 0) {
    stop(r, errno);
    return -1;
  }
  r->last_us = now > r->last_us ? now : r->last_us;
  r->size += REC_HDR_LEN + len;
  return 0;
}

static void truncate_mark(struct record *r)
{
  if (r->truncated) return;
  r->truncated = true;
  r->stopped = true;
  put(r, REC_T_TRUNC, 0, 0, REC_TRUNC_LEN);
}

int record_data(struct record *r, enum rec_stream s, const void *buf, size_t n)
{
  const char *p = buf;
  if (!r || r->stopped) return -1;
  if ((unsigned)s >= REC_STREAMS) return 0;
  while (n) {
    size_t chunk = n > REC_MAX_DATA ? REC_MAX_DATA : n;
    uint64_t room = r->limit > r->size ? r->limit - r->size : 0;
    if (room <= REC_HDR_LEN) {
      truncate_mark(r);
      return -1;
    }
    if (chunk > room - REC_HDR_LEN) chunk = (size_t)(room - REC_HDR_LEN);
    if (put(r, REC_T_DATA, (unsigned)s, p, chunk) < 0) return -1;
    p += chunk;
    n -= chunk;
  }
  return 0;
}

int record_winsize(struct record *r, unsigned rows, unsigned cols)
{
  unsigned char w[REC_WINSIZE_LEN];
  if (!r || r->stopped) return -1;
  if (r->limit < r->size + REC_HDR_LEN + REC_WINSIZE_LEN) {
    truncate_mark(r);
    return -1;
  }
  /* A terminal size is 16 bits a side (struct winsize). */
  if (rows > 0xffff) rows = 0xffff;
  if (cols > 0xffff) cols = 0xffff;
  w[0] = (unsigned char)rows;
  w[1] = (unsigned char)(rows >> 8);
  w[2] = (unsigned char)cols;
  w[3] = (unsigned char)(cols >> 8);
  return put(r, REC_T_WINSIZE, 0, w, sizeof w);
}

/* Opens dir one component at a time, each with O_NOFOLLOW from the one
 * before, so no symlink anywhere on the path is followed. The result is
 * open for reading, as it is fsynced at the end. */
static int open_dir(const char *dir, const char **why)
{
  char comp[256];
  const char *p = dir;
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), next, saved;

  if (fd < 0) {
    *why = "unable to open record dir";
    return -1;
  }
  for (;;) {
    size_t n;
    struct stat st;

    while (*p == '/') p++;
    if (!*p) break;
    n = strcspn(p, "/");
    if (n >= sizeof comp) {
      close(fd);
      errno = ENAMETOOLONG;
      *why = "unable to open record dir";
      return -1;
    }
    memcpy(comp, p, n);
    comp[n] = 0;
    p += n;
    if (!strcmp(comp, ".")) continue;
    if (!strcmp(comp, "..")) {
      close(fd);
      errno = 0;
      *why = "record dir has a .. component";
      return -1;
    }
    next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next >= 0 && (fstat(next, &st) < 0 || !S_ISDIR(st.st_mode))) {
      /* O_PATH|O_NOFOLLOW may hand back the link itself. */
      close(next);
      next = -1;
      errno = ELOOP;
    }
    if (next < 0) {
      saved = errno;
      if (saved == ELOOP || (saved == ENOTDIR
          && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)))
        *why = "record dir has a symlink";
      else if (saved == ENOTDIR)
        *why = "record dir not a directory";
      else if (saved == ENOENT)
        *why = "record dir not found";
      else
        *why = "unable to open record dir";
      close(fd);
      errno = saved;
      return -1;
    }
    close(fd);
    fd = next;
  }
  next = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  saved = errno;
  close(fd);
  if (next < 0) *why = "unable to open record dir";
  errno = saved;
  return next;
}

struct record *record_open(const char *dir, const struct record_meta *m,
    unsigned long long cap, const char **why)
{
  static const char none[] = "unable to record";
  struct buf meta = BUF_ZERO;
  struct record *r = 0;
  struct stat st;
  unsigned char h[REC_HDR_LEN];
  struct rec_hdr hd = { .type = REC_T_META };
  struct iovec iov[3];
  int dirfd = -1, fd = -1, saved;
  const char *dummy;

  if (!why) why = &dummy;
  *why = none;
  errno = 0;
  if (!dir || dir[0] != '/') {
    *why = "record dir not absolute";
    return 0;
  }
  if (!m || !record_id_ok(m->id)) {
    *why = "record id not a safe file name";
    return 0;
  }
  if (!m->argv || !m->argv[0]) {
    *why = "record argv missing";
    return 0;
  }
  if (!cap) cap = REC_DEFAULT_CAP;
  if (!meta_build(&meta, m)) {
    buf_free(&meta);
    errno = ENOMEM;
    *why = "out of memory";
    return 0;
  }
  if (meta.len > REC_MAX_META) {
    buf_free(&meta);
    *why = "record header too large";
    return 0;
  }
  if (cap < REC_MAGIC_LEN + REC_HDR_LEN + meta.len + REC_RESERVE) {
    buf_free(&meta);
    *why = "record cap too small";
    return 0;
  }
  r = calloc(1, sizeof *r);
  if (!r) {
    buf_free(&meta);
    errno = ENOMEM;
    *why = "out of memory";
    return 0;
  }

  dirfd = open_dir(dir, why);
  if (dirfd < 0) goto fail;
  /* Only a directory that root alone may write is trusted: nobody else
   * can then have put a file, a symlink or a hard link under the name we
   * create, nor rename or remove ours while we write it. */
  if (fstat(dirfd, &st) < 0) {
    *why = "unable to open record dir";
    goto fail;
  }
  errno = 0;
  if (!S_ISDIR(st.st_mode)) {
    *why = "record dir not a directory";
    goto fail;
  }
  if (st.st_uid != (uid_t)RECORD_DIR_UID) {
    *why = "record dir not owned by root";
    goto fail;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    *why = "record dir writable by group or others";
    goto fail;
  }
  /* O_EXCL|O_NOFOLLOW: a new file or nothing, never an existing one or
   * what a link points to; 0600, as it holds what the command wrote. */
  fd = openat(dirfd, m->id, O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_WRONLY | O_NOCTTY, 0600);
  if (fd < 0) {
    *why = errno == EEXIST ? "record file exists" : "unable to create record file";
    goto fail;
  }
  /* Held until the end record is written: a lister then sees "running". */
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) { /* a new file; never contended */ }

  hd.len = (uint32_t)meta.len;
  rec_pack_hdr(h, &hd);
  iov[0] = (struct iovec){ (void *)REC_MAGIC, REC_MAGIC_LEN };
  iov[1] = (struct iovec){ h, sizeof h };
  iov[2] = (struct iovec){ meta.s, meta.len };
  if (write_iov(fd, iov, 3) < 0) {
    saved = errno;
    /* Ours, just created in a directory only root writes. */
    unlinkat(dirfd, m->id, 0);
    errno = saved;
    *why = "unable to write record file";
    goto fail;
  }

  r->fd = fd;
  r->dirfd = dirfd;
  memcpy(r->name, m->id, strlen(m->id) + 1);
  r->size = REC_MAGIC_LEN + REC_HDR_LEN + meta.len;
  r->limit = cap - REC_RESERVE;
  r->last_us = clock_us();
  buf_free(&meta);
  return r;

fail:
  saved = errno;
  if (fd >= 0) close(fd);
  if (dirfd >= 0) close(dirfd);
  free(r);
  buf_free(&meta);
  errno = saved;
  return 0;
}

int record_close(struct record *r, int wstatus, unsigned long long *size,
    int *truncated, int *err)
{
  unsigned char e[REC_END_LEN];
  unsigned w = (unsigned)wstatus;
  int ret = -1;

  if (size) *size = 0;
  if (truncated) *truncated = 0;
  if (err) *err = 0;
  if (!r) return -1;
  /* A write error has stopped everything; the cap leaves room for this. */
  if (!r->err) {
    rec_put32(e, w);
    rec_put32(e + 4, WIFSIGNALED(wstatus) ? (uint32_t)WTERMSIG(wstatus) : 0);
    e[8] = r->truncated;
    e[9] = e[10] = e[11] = 0;
    r->stopped = false;   /* so put() may write the end */
    if (put(r, REC_T_END, 0, e, sizeof e) == 0) {
      if (fsync(r->fd) < 0 || fsync(r->dirfd) < 0) r->err = errno ? errno : EIO;
      else ret = 0;
    }
  }
  if (size) *size = r->size;
  if (truncated) *truncated = r->truncated;
  if (err) *err = r->err;
  close(r->fd);   /* releases the lock */
  close(r->dirfd);
  free(r);
  return ret;
}

const char *record_name(const struct record *r)
{
  return r ? r->name : "";
}

int record_error(const struct record *r)
{
  return r ? r->err : 0;
}

bool record_truncated(const struct record *r)
{
  return r && r->truncated;
}
