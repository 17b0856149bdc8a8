#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "attach.h"
#include "buf.h"
#include "request.h"

Test(attach, encodes_version_request_and_env)
{
  struct buf b = BUF_ZERO;
  char *argv[] = { "id", "-u", 0 };
  char *env[] = { "TERM=xterm", 0 };
  const char want[] = "1:1,5:65534,1:2,6:id\0-u\0,1:1,11:TERM=xterm\0,";
  cr_assert(attach_encode(&b, 65534, 2, argv, env, 0));
  cr_assert_eq(b.len, sizeof want - 1);
  cr_assert(!memcmp(b.s, want, b.len));
  buf_free(&b);
}

Test(attach, env_roundtrip_and_limits)
{
  struct request r;
  const char *why;
  size_t used;
  const char in[] = "1:2,18:TERM=xterm\0LANG=C\0,rest";
  request_init(&r);
  cr_assert_eq(attach_parse_env(in, sizeof in - 1, &r, &used, &why), REQUEST_OK);
  cr_assert_eq(used, sizeof in - 1 - 4);
  cr_assert_eq(r.envc, 2);
  cr_assert_str_eq(r.envp[0], "TERM=xterm");
  cr_assert_str_eq(r.envp[1], "LANG=C");
  cr_assert_null(r.envp[2]);
  request_free(&r);

  /* every proper prefix asks for more, never fails or succeeds */
  for (size_t n = 0; n < sizeof in - 1 - 4; n++) {
    request_init(&r);
    cr_assert_eq(attach_parse_env(in, n, &r, &used, &why), REQUEST_MORE, "prefix %zu", n);
    request_free(&r);
  }
}

Test(attach, env_hostile_forms)
{
  const char *bad[] = {
    "1:3,7:A=1\0B=2\0,",       /* count says 3, two entries */
    "1:1,3:A=1,",              /* not NUL-terminated */
    "1:1,4:=x1\0,",            /* empty name */
    "1:1,4:ABC\0,",            /* no '=' */
    "2:99,0:,",                /* more than ATTACH_MAX_ENVC */
    "1:0,9999:",               /* longer than ATTACH_MAX_ENVLEN */
    "01:0,0:,",                /* leading zero */
    "1:0,0:;",                 /* bad terminator */
    "x",
  };
  size_t lens[] = { 16, 10, 11, 11, 8, 9, 8, 7, 1 };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct request r;
    const char *why = 0;
    size_t used;
    request_init(&r);
    cr_assert_eq(attach_parse_env(bad[i], lens[i], &r, &used, &why), REQUEST_BAD, "case %zu accepted", i);
    cr_assert_not_null(why);
    request_free(&r);
  }
}

Test(attach, messages)
{
  struct buf b = BUF_ZERO;
  struct attach_msg m;
  size_t used;
  cr_assert(attach_encode_status(&b, 'E', 255));
  cr_assert(attach_encode_status(&b, 'S', 9));
  cr_assert(attach_encode_status(&b, 'D', 0));
  cr_assert(attach_encode_signal(&b, SIGINT));
  cr_assert_eq(b.len, strlen("4:E255,2:S9,1:D,2:K2,"));
  cr_assert(!memcmp(b.s, "4:E255,2:S9,1:D,2:K2,", b.len));
  cr_assert_eq(attach_parse_msg(b.s, b.len, &m, &used), REQUEST_OK);
  cr_assert_eq(m.kind, 'E');
  cr_assert_eq(m.value, 255);
  cr_assert_eq(used, 7);
  cr_assert_eq(attach_parse_msg(b.s + 7, 3, &m, &used), REQUEST_MORE);
  buf_free(&b);

  cr_assert_eq(attach_parse_msg("4:E256,", 7, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("2:D1,", 5, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("2:Z1,", 5, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("3:K01,", 6, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("3:K99,", 6, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("1:E,", 4, &m, &used), REQUEST_BAD);
}

Test(attach, started_message)
{
  struct buf b = BUF_ZERO;
  struct attach_msg m = { .value = -1 };
  size_t used;
  cr_assert(attach_encode_status(&b, 'R', 0));
  cr_assert(attach_encode_status(&b, 'E', 0));
  cr_assert_eq(b.len, strlen("1:R,2:E0,"));
  cr_assert(!memcmp(b.s, "1:R,2:E0,", b.len));
  cr_assert_eq(attach_parse_msg(b.s, b.len, &m, &used), REQUEST_OK);
  cr_assert_eq(m.kind, 'R');
  cr_assert_eq(m.value, 0);
  cr_assert_eq(used, 4);
  cr_assert_eq(attach_parse_msg("2:R1,", 5, &m, &used), REQUEST_BAD);
  buf_free(&b);
}

Test(attach, pty_messages)
{
  struct buf b = BUF_ZERO;
  struct attach_msg m;
  size_t used, off = 0;
  cr_assert(attach_encode_winsize(&b, 24, 80, 0, 65535));
  cr_assert(attach_encode_continue(&b, true));
  cr_assert(attach_encode_status(&b, 'P', 0));
  cr_assert(attach_encode_status(&b, 'Z', 0));
  cr_assert_not(attach_encode_winsize(&b, 65536, 80, 0, 0));
  cr_assert_eq(b.len, strlen("14:W24 80 0 65535,2:C1,1:P,1:Z,"));
  cr_assert(!memcmp(b.s, "14:W24 80 0 65535,2:C1,1:P,1:Z,", b.len));
  cr_assert_eq(attach_parse_msg(b.s, b.len, &m, &used), REQUEST_OK);
  cr_assert_eq(m.kind, 'W');
  cr_assert_eq(m.rows, 24);
  cr_assert_eq(m.cols, 80);
  cr_assert_eq(m.xpixel, 0);
  cr_assert_eq(m.ypixel, 65535);
  off += used;
  cr_assert_eq(attach_parse_msg(b.s + off, b.len - off, &m, &used), REQUEST_OK);
  cr_assert_eq(m.kind, 'C');
  cr_assert_eq(m.value, 1);
  off += used;
  cr_assert_eq(attach_parse_msg(b.s + off, b.len - off, &m, &used), REQUEST_OK);
  cr_assert_eq(m.kind, 'P');
  buf_free(&b);

  cr_assert_eq(attach_parse_msg("2:C2,", 5, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("2:Z1,", 5, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("8:W24 80 0,", 11, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("9:W24 80 0 ,", 12, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("11:W24 80 0 0 ,", 15, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("11:W24  80 0 0,", 16, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("11:W024 80 0 0,", 15, &m, &used), REQUEST_BAD);
  cr_assert_eq(attach_parse_msg("12:W65536 1 0 0,", 16, &m, &used), REQUEST_BAD);
}

Test(attach, pty_item)
{
  struct buf b = BUF_ZERO;
  struct request_pty p = { .want = true, .mask = 5, .fg = true, .rows = 24, .cols = 80 }, q;
  char *argv[] = { "id", 0 };
  const char want[] = "1:2,1:0,1:1,3:id\0,1:0,0:,24:5 1 24 80 0 0 /dev/pts/3,";
  const char *why;
  size_t used;
  strcpy(p.name, "/dev/pts/3");
  cr_assert(attach_encode(&b, 0, 1, argv, 0, &p));
  cr_assert_eq(b.len, sizeof want - 1);
  cr_assert(!memcmp(b.s, want, b.len));
  buf_free(&b);

  cr_assert_eq(attach_parse_pty("24:5 1 24 80 0 0 /dev/pts/3,x", 29, &q, &used, &why), REQUEST_OK);
  cr_assert_eq(used, 28);
  cr_assert(q.want && q.fg && !q.forced);
  cr_assert_eq(q.mask, 5);
  cr_assert_eq(q.rows, 24);
  cr_assert_eq(q.cols, 80);
  cr_assert_str_eq(q.name, "/dev/pts/3");
  cr_assert_eq(attach_parse_pty("12:7 3 1 2 3 4 ,", 16, &q, &used, &why), REQUEST_OK);
  cr_assert(q.forced && q.fg);
  cr_assert_str_eq(q.name, "");
  for (size_t n = 0; n < 16; n++)
    cr_assert_eq(attach_parse_pty("12:7 3 1 2 3 4 ,", n, &q, &used, &why), REQUEST_MORE, "prefix %zu", n);
  {
    static const char *const bad[] = {
      "12:0 1 1 2 3 4 ,", "12:8 1 1 2 3 4 ,", "12:1 4 1 2 3 4 ,", "11:1 1 1 2 3 4,",
      "13:1 1 1 2 3 4 a,", "15:1 1 1 2 3 4 a b,", "16:1 1 65536 2 3 4 ,", "13:1 1 01 2 3 4 ,",
      "13:1 1 1 2 3 4 \x01,", "12:1 1 1 2 3 4 ;",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
      size_t len = strlen(bad[i]);
      enum request_status st = attach_parse_pty(bad[i], len, &q, &used, &why);
      if (i == 4) cr_assert_eq(st, REQUEST_OK, "a one-byte name is fine");
      else cr_assert_eq(st, REQUEST_BAD, "case %zu accepted", i);
    }
  }
  {
    char longname[3 + 128 + 2];
    /* a name of REQUEST_MAX_TTYNAME + 1 bytes */
    int n = snprintf(longname, sizeof longname, "%d:1 1 1 2 3 4 ", 12 + REQUEST_MAX_TTYNAME + 1);
    memset(longname + n, 'a', REQUEST_MAX_TTYNAME + 1);
    longname[n + REQUEST_MAX_TTYNAME + 1] = ',';
    cr_assert_eq(attach_parse_pty(longname, (size_t)n + REQUEST_MAX_TTYNAME + 2, &q, &used, &why), REQUEST_BAD);
  }
}

Test(attach, forwardable_signals)
{
  cr_assert(attach_signal_allowed(SIGINT));
  cr_assert(attach_signal_allowed(SIGWINCH));
  cr_assert_not(attach_signal_allowed(SIGKILL));
  cr_assert_not(attach_signal_allowed(SIGSTOP));
  cr_assert_not(attach_signal_allowed(SIGSEGV));
  cr_assert_not(attach_signal_allowed(0));
}

static void send_with_fds(int s, const char *bytes, size_t len, const int *fds, size_t nfds)
{
  char cbuf[CMSG_SPACE(8 * sizeof(int))];
  struct iovec iov = { (void *)bytes, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds) {
    memset(cbuf, 0, sizeof cbuf);
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cr_assert_not_null(cm);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
  }
  cr_assert_eq(sendmsg(s, &m, 0), 1);
  cr_assert_eq(write(s, bytes + 1, len - 1), (ssize_t)(len - 1));
}

static int count_open_fds(void)
{
  int n = 0;
  for (int fd = 0; fd < 256; fd++)
    if (fcntl(fd, F_GETFD) >= 0) n++;
  return n;
}

Test(attach, request_read_takes_exactly_three_fds)
{
  const char req[] = "X1:1,1:0,1:1,3:id\0,1:0,0:,";
  int sv[2], fds[3];
  struct request r;
  const char *why = 0;
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  for (int i = 0; i < 3; i++) fds[i] = dup(2);
  send_with_fds(sv[0], req, sizeof req - 1, fds, 3);
  cr_assert_eq(request_read(sv[1], &r, 1000, &why), REQUEST_OK, "%s", why ? why : "");
  cr_assert(r.extended);
  cr_assert_eq(r.uid, 0);
  cr_assert_str_eq(r.argv[0], "id");
  cr_assert_eq(r.envc, 0);
  for (int i = 0; i < 3; i++) cr_assert_geq(r.fds[i], 0);
  request_free(&r);
  for (int i = 0; i < 3; i++) close(fds[i]);
  close(sv[0]);
  close(sv[1]);
}

Test(attach, request_read_refuses_wrong_fd_counts_and_leaks_nothing)
{
  const char ext[] = "X1:1,1:0,1:1,3:id\0,1:0,0:,";
  const char old[] = "1:0,1:1,3:id\0,";
  struct { const char *bytes; size_t len; size_t nfds; } cases[] = {
    { ext, sizeof ext - 1, 0 }, { ext, sizeof ext - 1, 2 }, { ext, sizeof ext - 1, 4 },
    { old, sizeof old - 1, 1 }, { old, sizeof old - 1, 3 },
  };
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    int sv[2], fds[4];
    struct request r;
    const char *why = 0;
    int before;
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    for (size_t i = 0; i < cases[c].nfds; i++) fds[i] = dup(2);
    send_with_fds(sv[0], cases[c].bytes, cases[c].len, fds, cases[c].nfds);
    for (size_t i = 0; i < cases[c].nfds; i++) close(fds[i]);
    before = count_open_fds();
    cr_assert_eq(request_read(sv[1], &r, 1000, &why), REQUEST_BAD, "case %zu accepted", c);
    cr_assert_not_null(why);
    cr_assert_eq(count_open_fds(), before, "case %zu left received descriptors open", c);
    request_free(&r);
    close(sv[0]);
    close(sv[1]);
  }
}

Test(attach, request_read_refuses_unknown_version)
{
  const char req[] = "X1:3,1:0,1:1,3:id\0,1:0,0:,";
  int sv[2], fds[3];
  struct request r;
  const char *why = 0;
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  for (int i = 0; i < 3; i++) fds[i] = dup(2);
  send_with_fds(sv[0], req, sizeof req - 1, fds, 3);
  for (int i = 0; i < 3; i++) close(fds[i]);
  cr_assert_eq(request_read(sv[1], &r, 1000, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "unsupported attached request version");
  cr_assert(r.extended, "the refusal can be answered in kind");
  request_free(&r);
  close(sv[0]);
  close(sv[1]);
}

Test(attach, request_read_takes_a_pty_item)
{
  const char req[] = "X1:2,1:0,1:1,3:id\0,1:0,0:,24:5 1 24 80 0 0 /dev/pts/3,";
  int sv[2], fds[3];
  struct request r;
  const char *why = 0;
  char rest[8];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  for (int i = 0; i < 3; i++) fds[i] = dup(2);
  send_with_fds(sv[0], req, sizeof req - 1, fds, 3);
  cr_assert_eq(write(sv[0], "2:K2,", 5), 5);
  cr_assert_eq(request_read(sv[1], &r, 1000, &why), REQUEST_OK, "%s", why ? why : "");
  cr_assert(r.pty.want);
  cr_assert_eq(r.pty.mask, 5);
  cr_assert_str_eq(r.pty.name, "/dev/pts/3");
  cr_assert_eq(read(sv[1], rest, sizeof rest), 5, "nothing past the request is consumed");
  request_free(&r);
  for (int i = 0; i < 3; i++) close(fds[i]);
  close(sv[0]);
  close(sv[1]);
}
