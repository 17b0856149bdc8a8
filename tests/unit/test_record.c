/* The recording writer and reader together: what record_* writes,
 * recread_* gives back byte for byte; the directory checks refuse what a
 * user could have prepared; the cap and write errors end a recording that
 * still reads as one.
 *
 * Built twice. unit-record links the library, which wants a root-owned
 * directory: run by another user, its tests enter a user namespace where
 * we are root, or are skipped when there is none. unit-record-user builds
 * the writer to want a directory owned by whoever runs it
 * (RECORD_TEST_USER), so the round trip runs for every user; only the
 * chown and mount tests then need root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "record.h"
#include "recread.h"

static char tmp[64];

/* Root, really or in a user namespace of our own (each criterion test is
 * its own process, so the namespace ends with the test). */
static void become_root(void)
{
  uid_t uid = geteuid();
  gid_t gid = getegid();
  char map[64];
  int fd;

#ifdef RECORD_TEST_USER
  (void)uid;
  (void)gid;
  (void)map;
  (void)fd;
  return;
#else
  if (uid == 0) return;
  if (unshare(CLONE_NEWUSER) < 0) cr_skip_test("not root and no user namespace");
  fd = open("/proc/self/setgroups", O_WRONLY);
  if (fd >= 0) {
    cr_assert_eq(write(fd, "deny", 4), 4);
    close(fd);
  }
  snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
  fd = open("/proc/self/uid_map", O_WRONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, map, strlen(map)), (ssize_t)strlen(map));
  close(fd);
  snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
  fd = open("/proc/self/gid_map", O_WRONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, map, strlen(map)), (ssize_t)strlen(map));
  close(fd);
  cr_assert_eq(geteuid(), 0);
#endif
}

static void need_real_root(void)
{
  if (geteuid() != 0) cr_skip_test("needs root to chown or mount");
}

static void mktmp(void)
{
  strcpy(tmp, "/tmp/test-record.XXXXXX");
  cr_assert_not_null(mkdtemp(tmp));
  cr_assert_eq(chmod(tmp, 0700), 0);
}

/* The skips come before the directory is made: a skipped test runs no
 * .fini to remove it. */
static void setup(void)
{
  become_root();
  mktmp();
}

static void setup_real_root(void)
{
  need_real_root();
  mktmp();
}

static void rmtmp(void)
{
  char cmd[128];
  if (!tmp[0]) return;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  if (system(cmd) != 0) { /* left for the next boot's /tmp */ }
}

static const char *const argv_ls[] = { "ls", "-l", "a b\n\x1b[31m", 0 };

static struct record_meta meta(const char *id)
{
  struct record_meta m = {
    .id = id, .caller_uid = 1000, .caller_gid = 100, .caller_name = "alice",
    .target_name = "root", .target_uid = 0, .target_gid = 0,
    .argv = argv_ls, .cwd = "/home/alice", .tty = "/dev/pts/3", .rows = 24, .cols = 80,
  };
  return m;
}

static char *path_of(const char *id)
{
  static char p[128];
  snprintf(p, sizeof p, "%s/%s", tmp, id);
  return p;
}

struct readback {
  struct buf_s { unsigned char *s; size_t n; } stream[REC_STREAMS];
  unsigned winsizes, rows, cols;
  bool ended, truncated, partial;
  uint32_t wstatus, signal;
  uint64_t last_t;
  int status;
  struct recread r;
};

/* Reads path with the reader, from a descriptor and from memory, and
 * checks both agree. Keeps r open (its meta) for the caller. */
static void readback(const char *path, struct readback *b)
{
  struct recread_item it;
  int fd = open(path, O_RDONLY);
  int st;

  memset(b, 0, sizeof *b);
  cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
  st = recread_fd(&b->r, fd);
  cr_assert_eq(st, RECREAD_ITEM, "header: %s at %llu", b->r.why ? b->r.why : "",
      (unsigned long long)b->r.bad_off);
  while ((st = recread_next(&b->r, &it, true)) == RECREAD_ITEM) {
    cr_assert_geq(it.t_us, b->last_t);
    b->last_t = it.t_us;
    if (it.type == REC_T_DATA) {
      struct buf_s *s = &b->stream[it.stream];
      cr_assert_leq(it.len, REC_MAX_DATA);
      s->s = realloc(s->s, s->n + it.len);
      memcpy(s->s + s->n, it.data, it.len);
      s->n += it.len;
    } else if (it.type == REC_T_WINSIZE) {
      b->winsizes++;
      b->rows = it.rows;
      b->cols = it.cols;
    }
  }
  b->status = st;
  b->ended = b->r.ended;
  b->truncated = b->r.truncated;
  b->partial = b->r.partial;
  b->wstatus = b->r.wstatus;
  b->signal = b->r.signal;
  close(fd);
}

static unsigned char *slurp(const char *path, size_t *n)
{
  struct stat st;
  unsigned char *p;
  int fd = open(path, O_RDONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(fstat(fd, &st), 0);
  p = malloc((size_t)st.st_size + 1);
  cr_assert_eq(read(fd, p, (size_t)st.st_size), st.st_size);
  close(fd);
  *n = (size_t)st.st_size;
  return p;
}

Test(record, round_trip, .init = setup, .fini = rmtmp)
{
  static unsigned char big[200000];
  struct record_meta m = meta("4242.7");
  struct readback b;
  struct record *r;
  struct stat st;
  unsigned long long size;
  int truncated, err;
  const char *why = 0;

  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + i / 251);
  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r, "%s: %s", why, strerror(errno));
  cr_assert_str_eq(record_name(r), "4242.7");
  cr_assert_eq(record_data(r, REC_STDOUT, "hello\n", 6), 0);
  cr_assert_eq(record_data(r, REC_STDERR, "oops\0\n", 6), 0);
  usleep(20000);
  cr_assert_eq(record_winsize(r, 50, 132), 0);
  cr_assert_eq(record_data(r, REC_TTYOUT, "\x1b[2J", 4), 0);
  cr_assert_eq(record_data(r, REC_TTYIN, "q", 1), 0);
  cr_assert_eq(record_data(r, REC_STDIN, "in", 2), 0);
  cr_assert_eq(record_data(r, REC_STDOUT, big, sizeof big), 0, "split into records");
  cr_assert_eq(record_data(r, REC_STDOUT, "", 0), 0, "nothing to write is no record");
  cr_assert_eq(record_error(r), 0);
  cr_assert_not(record_truncated(r));
  cr_assert_eq(record_close(r, 3 << 8, &size, &truncated, &err), 0);
  cr_assert_eq(truncated, 0);
  cr_assert_eq(err, 0);

  cr_assert_eq(stat(path_of("4242.7"), &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0600);
  cr_assert_eq(st.st_uid, geteuid());
  cr_assert_eq((unsigned long long)st.st_size, size);

  readback(path_of("4242.7"), &b);
  cr_assert_eq(b.status, RECREAD_END);
  cr_assert(b.ended);
  cr_assert_not(b.truncated);
  cr_assert_not(b.partial);
  cr_assert_eq(b.wstatus, 3 << 8);
  cr_assert_eq(b.signal, 0);
  cr_assert_eq(b.winsizes, 1);
  cr_assert_eq(b.rows, 50);
  cr_assert_eq(b.cols, 132);
  cr_assert_geq(b.last_t, 20000, "the pause is in the timing");
  cr_assert_eq(b.stream[REC_STDOUT].n, 6 + sizeof big);
  cr_assert_eq(memcmp(b.stream[REC_STDOUT].s, "hello\n", 6), 0);
  cr_assert_eq(memcmp(b.stream[REC_STDOUT].s + 6, big, sizeof big), 0);
  cr_assert_eq(b.stream[REC_STDERR].n, 6);
  cr_assert_eq(memcmp(b.stream[REC_STDERR].s, "oops\0\n", 6), 0);
  cr_assert_eq(b.stream[REC_TTYOUT].n, 4);
  cr_assert_eq(b.stream[REC_TTYIN].n, 1);
  cr_assert_eq(b.stream[REC_STDIN].n, 2);

  cr_assert_str_eq(b.r.meta.id, "4242.7");
  cr_assert_eq(b.r.meta.caller_uid, 1000);
  cr_assert_eq(b.r.meta.caller_gid, 100);
  cr_assert_str_eq(b.r.meta.caller_name, "alice");
  cr_assert_str_eq(b.r.meta.target_name, "root");
  cr_assert_eq(b.r.meta.target_uid, 0);
  cr_assert_str_eq(b.r.meta.cwd, "/home/alice");
  cr_assert_str_eq(b.r.meta.tty, "/dev/pts/3");
  cr_assert_eq(b.r.meta.rows, 24);
  cr_assert_eq(b.r.meta.cols, 80);
  cr_assert_eq(b.r.meta.argc, 3);
  for (int i = 0; i < 3; i++) cr_assert_str_eq(b.r.meta.argv[i], argv_ls[i]);
  cr_assert_null(b.r.meta.argv[3]);
  cr_assert_gt(b.r.meta.start_sec, 1700000000);
  recread_free(&b.r);

  /* The same bytes read from memory give the same answer. */
  {
    size_t n;
    unsigned char *p = slurp(path_of("4242.7"), &n);
    struct recread r2;
    struct recread_item it;
    size_t out = 0;
    int st2 = recread_mem(&r2, p, n);
    cr_assert_eq(st2, RECREAD_ITEM);
    while ((st2 = recread_next(&r2, &it, true)) == RECREAD_ITEM)
      if (it.type == REC_T_DATA && it.stream == REC_STDOUT) out += it.len;
    cr_assert_eq(st2, RECREAD_END);
    cr_assert(r2.ended);
    cr_assert_eq(out, 6 + sizeof big);
    recread_free(&r2);
    free(p);
  }
}

Test(record, signal_and_optional_fields, .init = setup, .fini = rmtmp)
{
  static const char *const argv1[] = { "sleep", 0 };
  struct record_meta m = {
    .id = "9", .caller_uid = 4294967294UL, .caller_gid = 5, .target_name = 0,
    .target_uid = 65534, .target_gid = 65534, .argv = argv1,
  };
  struct readback b;
  struct record *r;
  const char *why;

  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r, "%s", why);
  cr_assert_eq(record_close(r, SIGKILL, 0, 0, 0), 0);
  readback(path_of("9"), &b);
  cr_assert(b.ended);
  cr_assert_eq(b.wstatus, SIGKILL);
  cr_assert_eq(b.signal, SIGKILL);
  cr_assert_null(b.r.meta.caller_name);
  cr_assert_null(b.r.meta.target_name);
  cr_assert_null(b.r.meta.tty);
  cr_assert_null(b.r.meta.cwd);
  cr_assert_eq(b.r.meta.caller_uid, 4294967294U);
  cr_assert_eq(b.r.meta.rows, 0);
  recread_free(&b.r);
}

Test(record, cap_truncates_once, .init = setup, .fini = rmtmp)
{
  static unsigned char data[5000];
  struct record_meta m = meta("cap");
  struct readback b;
  struct record *r;
  struct stat st;
  unsigned long long size, cap;
  size_t head;
  int truncated, err;
  const char *why;

  memset(data, 'x', sizeof data);
  /* The header's size, from a recording with no data. */
  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r);
  cr_assert_eq(record_close(r, 0, &size, 0, 0), 0);
  head = (size_t)size - REC_HDR_LEN - REC_END_LEN;
  cr_assert_eq(unlink(path_of("cap")), 0);

  cap = head + REC_RESERVE + REC_HDR_LEN + 1000;
  cr_assert_null(record_open(tmp, &m, head + REC_RESERVE - 1, &why), "a cap with no room");
  cr_assert_str_eq(why, "record cap too small");
  r = record_open(tmp, &m, cap, &why);
  cr_assert_not_null(r, "%s", why);
  cr_assert_eq(record_data(r, REC_STDOUT, data, 600), 0);
  cr_assert_eq(record_data(r, REC_STDOUT, data, sizeof data), -1, "the cap stops recording");
  cr_assert(record_truncated(r));
  cr_assert_eq(record_data(r, REC_STDOUT, data, 10), -1);
  cr_assert_eq(record_winsize(r, 1, 1), -1);
  cr_assert_eq(record_error(r), 0, "a cap is not an error");
  cr_assert_eq(record_close(r, 1 << 8, &size, &truncated, &err), 0);
  cr_assert_eq(truncated, 1);
  cr_assert_eq(err, 0);
  cr_assert_eq(stat(path_of("cap"), &st), 0);
  cr_assert_eq((unsigned long long)st.st_size, size);
  cr_assert_leq(size, cap, "the file stays within the cap");

  readback(path_of("cap"), &b);
  cr_assert_eq(b.status, RECREAD_END);
  cr_assert(b.truncated);
  cr_assert(b.ended);
  cr_assert_eq(b.wstatus, 1 << 8);
  /* As much as fit: the first 600, then what was left of 1000 less one
   * more record header. */
  cr_assert_eq(b.stream[REC_STDOUT].n, 1000 - REC_HDR_LEN, "%zu", b.stream[REC_STDOUT].n);
  recread_free(&b.r);
}

Test(record, running_recording_is_locked, .init = setup, .fini = rmtmp)
{
  struct record_meta m = meta("lock");
  struct record *r;
  const char *why;
  int fd;

  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r);
  fd = open(path_of("lock"), O_RDONLY);
  cr_assert_geq(fd, 0);
  cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), -1, "locked while recording");
  cr_assert_eq(errno, EWOULDBLOCK);
  cr_assert_eq(record_close(r, 0, 0, 0, 0), 0);
  cr_assert_eq(flock(fd, LOCK_SH | LOCK_NB), 0, "free once ended");
  close(fd);
}

static void refused(const char *dir, const struct record_meta *m, const char *reason)
{
  const char *why = 0;
  struct record *r = record_open(dir, m, 0, &why);
  cr_assert_null(r, "%s accepted", dir);
  cr_assert_str_eq(why, reason, "%s: %s", dir, why);
}

Test(record, refuses_unsafe_dirs, .init = setup, .fini = rmtmp)
{
  struct record_meta m = meta("1");
  char sub[128], link[128], via[160];

  refused("tmp/x", &m, "record dir not absolute");
  refused("", &m, "record dir not absolute");
  refused(0, &m, "record dir not absolute");
  snprintf(sub, sizeof sub, "%s/d", tmp);
  cr_assert_eq(mkdir(sub, 0700), 0);
  snprintf(link, sizeof link, "%s/l", tmp);
  cr_assert_eq(symlink(sub, link), 0);
  refused(link, &m, "record dir has a symlink");
  snprintf(via, sizeof via, "%s/l/.", tmp);
  refused(via, &m, "record dir has a symlink");
  snprintf(via, sizeof via, "%s/d/../d", tmp);
  refused(via, &m, "record dir has a .. component");
  snprintf(via, sizeof via, "%s/nonexistent", tmp);
  refused(via, &m, "record dir not found");

  cr_assert_eq(chmod(sub, 0770), 0);
  refused(sub, &m, "record dir writable by group or others");
  cr_assert_eq(chmod(sub, 0702), 0);
  refused(sub, &m, "record dir writable by group or others");
  cr_assert_eq(chmod(sub, 0755), 0);

  /* A file where the directory should be. */
  snprintf(via, sizeof via, "%s/d/f", tmp);
  cr_assert_eq(close(open(via, O_CREAT | O_WRONLY, 0600)), 0);
  refused(via, &m, "record dir not a directory");

  /* Nothing was created through any of these. */
  snprintf(via, sizeof via, "%s/d/1", tmp);
  cr_assert_eq(access(via, F_OK), -1);
  {
    const char *why;
    struct record *r = record_open(sub, &m, 0, &why);
    cr_assert_not_null(r, "0755 root-owned is fine: %s", why);
    record_close(r, 0, 0, 0, 0);
    cr_assert_eq(access(via, F_OK), 0);
  }
}

Test(record, refuses_dir_not_owned_by_root, .init = setup_real_root, .fini = rmtmp)
{
  struct record_meta m = meta("1");
  cr_assert_eq(chown(tmp, 65534, 65534), 0);
  refused(tmp, &m, "record dir not owned by root");
  cr_assert_eq(chown(tmp, 0, 0), 0);
}

Test(record, refuses_existing_file_and_bad_ids, .init = setup, .fini = rmtmp)
{
  struct record_meta m = meta("taken");
  char id[80];
  struct record *r;
  const char *why;
  int fd;
  char buf[8];

  fd = open(path_of("taken"), O_CREAT | O_WRONLY, 0644);
  cr_assert_eq(write(fd, "mine", 4), 4);
  close(fd);
  refused(tmp, &m, "record file exists");
  fd = open(path_of("taken"), O_RDONLY);
  cr_assert_eq(read(fd, buf, sizeof buf), 4, "left as it was");
  close(fd);
  /* A dangling symlink is no way in either. */
  cr_assert_eq(symlink("/tmp/nowhere-record-target", path_of("dangling")), 0);
  m.id = "dangling";
  refused(tmp, &m, "record file exists");
  cr_assert_eq(access("/tmp/nowhere-record-target", F_OK), -1);

  for (const char *const *bad = (const char *const[]){ "", ".hidden", "..", "a/b", "a b",
      "a\nb", 0 }; *bad; bad++) {
    m.id = *bad;
    refused(tmp, &m, "record id not a safe file name");
  }
  m.id = 0;
  refused(tmp, &m, "record id not a safe file name");
  memset(id, 'a', 65);
  id[65] = 0;
  m.id = id;
  refused(tmp, &m, "record id not a safe file name");
  id[64] = 0;
  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r, "64 bytes is the limit: %s", why);
  record_close(r, 0, 0, 0, 0);
  m.id = "x";
  m.argv = (const char *const[]){ 0 };
  refused(tmp, &m, "record argv missing");
}

/* A full filesystem: a 64 KiB tmpfs in a mount namespace of this test's
 * own, so the mount goes with the process whatever happens. */
Test(record, write_error_stops_and_is_kept, .init = setup_real_root, .fini = rmtmp)
{
  static unsigned char data[8192];
  struct record_meta m = meta("full");
  struct readback b;
  struct record *r;
  unsigned long long size;
  int truncated, err, ret = 0, i;
  const char *why;
  struct stat st;

  if (unshare(CLONE_NEWNS) < 0 || mount(0, "/", 0, MS_REC | MS_PRIVATE, 0) < 0) {
    rmtmp();
    cr_skip_test("no mount namespace of our own: %s", strerror(errno));
  }
  if (mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0700") < 0) {
    rmtmp();
    cr_skip_test("cannot mount tmpfs: %s", strerror(errno));
  }
  r = record_open(tmp, &m, 0, &why);
  cr_assert_not_null(r, "%s", why);
  for (i = 0; i < 100 && ret == 0; i++) ret = record_data(r, REC_STDOUT, data, sizeof data);
  cr_assert_eq(ret, -1, "the disk fills up");
  cr_assert_eq(record_error(r), ENOSPC);
  cr_assert_eq(record_data(r, REC_STDOUT, data, 1), -1, "and stays stopped");
  cr_assert_eq(record_close(r, 0, &size, &truncated, &err), -1);
  cr_assert_eq(err, ENOSPC);
  cr_assert_eq(truncated, 0);
  cr_assert_eq(stat(path_of("full"), &st), 0);
  cr_assert_eq((unsigned long long)st.st_size, size, "cut back to whole records");
  readback(path_of("full"), &b);
  cr_assert_eq(b.status, RECREAD_END, "still a recording: %s", b.r.why ? b.r.why : "");
  cr_assert_not(b.ended, "with no end");
  cr_assert_not(b.partial);
  cr_assert_gt(b.stream[REC_STDOUT].n, 0);
  recread_free(&b.r);
  umount2(tmp, MNT_DETACH);
}

/* --- the reader on bytes made by hand --- */

struct img {
  unsigned char s[4096];
  size_t n;
};

static void put(struct img *g, const void *p, size_t n)
{
  cr_assert_leq(g->n + n, sizeof g->s);
  memcpy(g->s + g->n, p, n);
  g->n += n;
}

static void rec(struct img *g, unsigned type, unsigned stream, uint64_t delta,
    const void *p, size_t n)
{
  unsigned char h[REC_HDR_LEN];
  struct rec_hdr hd = { type, stream, (uint32_t)n, delta };
  rec_pack_hdr(h, &hd);
  put(g, h, sizeof h);
  put(g, p, n);
}

static const char good_meta[] =
    "id=1\0start=1733212800.000001\0caller_uid=1000\0caller_gid=1000\0"
    "target_uid=0\0target_gid=0\0argv=id\0";

/* A literal with its embedded NULs, less the one C adds. */
#define LIT(s) s, sizeof s - 1

static void start(struct img *g, const char *m, size_t n)
{
  g->n = 0;
  put(g, REC_MAGIC, REC_MAGIC_LEN);
  rec(g, REC_T_META, 0, 0, m, n);
}

static void end(struct img *g, uint32_t w, uint32_t sig, unsigned char trunc)
{
  unsigned char e[REC_END_LEN] = { 0 };
  rec_put32(e, w);
  rec_put32(e + 4, sig);
  e[8] = trunc;
  rec(g, REC_T_END, 0, 5, e, sizeof e);
}

/* Reads g to the end; returns the last status, with r filled. */
static int scan(struct img *g, struct recread *r)
{
  struct recread_item it;
  int st = recread_mem(r, g->s, g->n);
  while (st == RECREAD_ITEM) st = recread_next(r, &it, true);
  return st;
}

static void expect_bad(struct img *g, uint64_t off, const char *why)
{
  struct recread r;
  int st = scan(g, &r);
  cr_assert_eq(st, RECREAD_BAD, "accepted, expected %s", why);
  cr_assert_eq(r.bad_off, off, "%s at %llu", r.why, (unsigned long long)r.bad_off);
  cr_assert_str_eq(r.why, why);
  recread_free(&r);
}

Test(recread, a_minimal_file)
{
  struct img g;
  struct recread r;
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, REC_STDOUT, 10, "x", 1);
  end(&g, 0, 0, 0);
  cr_assert_eq(scan(&g, &r), RECREAD_END);
  cr_assert(r.ended);
  cr_assert_eq(r.meta.start_sec, 1733212800);
  cr_assert_eq(r.meta.start_usec, 1);
  cr_assert_eq(r.t_us, 15);
  recread_free(&r);
}

Test(recread, refuses_what_is_not_the_format)
{
  struct img g;
  size_t h = REC_MAGIC_LEN + REC_HDR_LEN + sizeof good_meta - 1;   /* first record */

  g.n = 0;
  put(&g, "IPCREC", 6);
  expect_bad(&g, 6, "not a recording: too short");
  g.n = 0;
  put(&g, "#!/bin/sh\n", 10);
  expect_bad(&g, 0, "not a recording: bad magic");
  g.n = 0;
  put(&g, "IPCREC2\n", 8);
  expect_bad(&g, 6, "unsupported version");

  start(&g, good_meta, sizeof good_meta - 1);
  g.s[REC_MAGIC_LEN + 2] = 1;
  expect_bad(&g, REC_MAGIC_LEN, "reserved bytes not zero");
  start(&g, good_meta, sizeof good_meta - 1);
  g.n--;
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header record cut short");
  start(&g, good_meta, sizeof good_meta - 2);
  expect_bad(&g, h - 1, "header not NUL-terminated");
  start(&g, LIT("id=1\0start=1.000000\0caller_uid=1\0caller_gid=1\0target_uid=0\0target_gid=0\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header has no argv");
  start(&g, LIT("id=1\0argv=x\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header field missing");
  start(&g, LIT("id=1\0id=2\0argv=x\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN + 5, "header field repeated");
  start(&g, LIT("id=../x\0argv=x\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header id not a safe file name");
  start(&g, LIT("caller_uid=01\0argv=x\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header id number not decimal");
  start(&g, LIT("Bad=1\0argv=x\0"));
  expect_bad(&g, REC_MAGIC_LEN + REC_HDR_LEN, "header field name not [a-z0-9_]");

  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, 'X', 0, 0, "", 0);
  expect_bad(&g, h, "unknown record type");
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, 5, 0, "x", 1);
  expect_bad(&g, h, "unknown stream");
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, 1, 0, "", 0);
  expect_bad(&g, h, "data record length out of range");
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_META, 0, 0, good_meta, sizeof good_meta - 1);
  expect_bad(&g, h, "header record repeated");
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_TRUNC, 0, 0, "", 0);
  rec(&g, REC_T_DATA, 1, 0, "x", 1);
  expect_bad(&g, h + REC_HDR_LEN, "data after the truncation record");
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, 1, UINT64_MAX, "x", 1);
  expect_bad(&g, h, "time out of range");
  start(&g, good_meta, sizeof good_meta - 1);
  end(&g, 9, 0, 0);
  expect_bad(&g, h + REC_HDR_LEN + 4, "end signal does not match the status");
  start(&g, good_meta, sizeof good_meta - 1);
  end(&g, 0, 0, 1);
  expect_bad(&g, h + REC_HDR_LEN + 8, "end truncated flag does not match");
  start(&g, good_meta, sizeof good_meta - 1);
  end(&g, 0, 0, 0);
  put(&g, "x", 1);
  expect_bad(&g, h + REC_HDR_LEN + REC_END_LEN, "bytes after the end record");
}

Test(recread, a_file_cut_inside_a_record_is_not_malformed)
{
  struct img g;
  struct recread r;
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, REC_STDOUT, 10, "hello", 5);
  g.n -= 2;
  cr_assert_eq(scan(&g, &r), RECREAD_END);
  cr_assert(r.partial);
  cr_assert_not(r.ended);
  recread_free(&r);
  /* but a length no writer could give is */
  start(&g, good_meta, sizeof good_meta - 1);
  rec(&g, REC_T_DATA, REC_STDOUT, 10, "hello", 5);
  rec_put32(g.s + g.n - 5 - REC_HDR_LEN + 4, REC_MAX_DATA + 1);
  cr_assert_eq(scan(&g, &r), RECREAD_BAD);
  recread_free(&r);
}

Test(recread, unknown_header_fields_are_ignored)
{
  struct img g;
  struct recread r;
  static const char m[] = "future_field=anything at all\0id=1\0start=0.000000\0caller_uid=1\0"
      "caller_gid=1\0target_uid=2\0target_gid=2\0argv=a\0argv=\0";
  start(&g, m, sizeof m - 1);
  cr_assert_eq(scan(&g, &r), RECREAD_END);
  cr_assert_not(r.ended);
  cr_assert_eq(r.meta.argc, 2);
  cr_assert_str_eq(r.meta.argv[1], "");
  recread_free(&r);
}
