/* The exec request codec: the 0.70 bytes, the limits, every hostile form,
 * and request_read's promise never to take a byte of the command's stdin. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include "buf.h"
#include "request.h"

#define LIT(s) s, sizeof s - 1

static const char echo_req[] = "1:0,1:2,12:echo\0hereur\0,";

static void expect_argv(const struct request *r, char *const *want, uint32_t argc)
{
  cr_assert_eq(r->argc, argc);
  for (uint32_t i = 0; i < argc; i++)
    cr_assert_str_eq(r->argv[i], want[i], "argv[%u]", i);
  cr_assert_null(r->argv[argc], "argv is NULL-terminated");
}

/* ---- the 0.70 bytes ----------------------------------------------------- */

Test(encode, exact_070_bytes)
{
  struct buf b = BUF_ZERO;
  char *argv[] = { "echo", "hereur", 0 };
  cr_assert(request_encode(&b, 0, 2, argv));
  cr_assert_eq(b.len, sizeof echo_req - 1);
  cr_assert_eq(memcmp(b.s, echo_req, b.len), 0);
  buf_free(&b);
}

Test(encode, appends_and_numbers)
{
  struct buf b = BUF_ZERO;
  char *argv[] = { "x", 0 };
  cr_assert(buf_cats(&b, "pre"));
  cr_assert(request_encode(&b, 4294967294u, 1, argv));
  cr_assert_eq(b.len, 3 + sizeof "10:4294967294,1:1,2:x\0," - 1);
  cr_assert_eq(memcmp(b.s, LIT("pre10:4294967294,1:1,2:x\0,")), 0);
  buf_free(&b);
}

Test(encode, refuses_what_the_decoder_would)
{
  struct buf b = BUF_ZERO;
  char *empty0[] = { "", "x", 0 };
  char *one[] = { "ls", 0 };
  cr_assert_not(request_encode(&b, 0, 0, one), "argc 0");
  cr_assert_not(request_encode(&b, 0, -1, one), "argc < 0");
  cr_assert_not(request_encode(&b, 0, 2, empty0), "empty argv[0]");
  cr_assert_not(request_encode(&b, 0, REQUEST_MAX_ARGC + 1, one), "argc over the limit");
  {
    char *big = malloc(REQUEST_MAX_ARGSLEN + 1);
    char *argv[] = { big, 0 };
    cr_assert_not_null(big);
    memset(big, 'a', REQUEST_MAX_ARGSLEN);
    big[REQUEST_MAX_ARGSLEN] = 0;
    cr_assert_not(request_encode(&b, 0, 1, argv), "argslen over the limit by one");
    big[REQUEST_MAX_ARGSLEN - 1] = 0;
    cr_assert(request_encode(&b, 0, 1, argv), "argslen exactly at the limit");
    free(big);
  }
  buf_free(&b);
}

/* ---- parsing ------------------------------------------------------------ */

Test(parse, exact_070_bytes)
{
  struct request r;
  struct request_header h;
  const char *why = "unset";
  size_t consumed = 0;
  char *want[] = { "echo", "hereur" };

  cr_assert_eq(request_parse_header(echo_req, sizeof echo_req - 1, &h, &why), REQUEST_OK);
  cr_assert_null(why);
  cr_assert_eq(h.uid, 0);
  cr_assert_eq(h.argc, 2);
  cr_assert_eq(h.argslen, 12);
  cr_assert_eq(h.headerlen, 11);
  cr_assert_eq(h.total, 24);

  cr_assert_eq(request_parse(echo_req, sizeof echo_req - 1, &r, &consumed, &why), REQUEST_OK);
  cr_assert_eq(consumed, 24);
  cr_assert_eq(r.uid, 0);
  cr_assert_eq(r.argslen, 12);
  expect_argv(&r, want, 2);
  request_free(&r);
  cr_assert_null(r.args);
  cr_assert_null(r.argv);
}

Test(parse, stops_at_the_request)
{
  static const char in[] = "1:5,1:1,3:ls\0,STDIN BYTES 1:0,";
  struct request r;
  const char *why;
  size_t consumed;
  char *want[] = { "ls" };
  cr_assert_eq(request_parse(in, sizeof in - 1, &r, &consumed, &why), REQUEST_OK);
  cr_assert_eq(consumed, 14);
  cr_assert_eq(r.uid, 5);
  expect_argv(&r, want, 1);
  request_free(&r);
}

static void roundtrip(uint32_t uid, int argc, char **argv)
{
  struct buf b = BUF_ZERO;
  struct request r;
  const char *why;
  size_t consumed;
  cr_assert(request_encode(&b, uid, argc, argv));
  cr_assert_eq(request_parse(b.s, b.len, &r, &consumed, &why), REQUEST_OK, "why: %s", why ? why : "");
  cr_assert_eq(consumed, b.len);
  cr_assert_eq(r.uid, uid);
  expect_argv(&r, argv, (uint32_t)argc);
  request_free(&r);
  buf_free(&b);
}

Test(parse, roundtrip)
{
  char *a1[] = { "ls", 0 };
  char *a2[] = { "/bin/sh", "-c", "echo 'a,b:c' \"$X\"", "", "\xff\x01", 0 };
  char *a3[] = { "1:0,", "2:x", ",", ":", 0 };
  roundtrip(0, 1, a1);
  roundtrip(1000, 5, a2);
  roundtrip(4294967294u, 4, a3);
  roundtrip(65534, 2, a2 + 1);
}

Test(parse, limits_exactly)
{
  /* REQUEST_MAX_ARGC arguments */
  char **argv = calloc(REQUEST_MAX_ARGC + 1, sizeof *argv);
  cr_assert_not_null(argv);
  for (int i = 0; i < REQUEST_MAX_ARGC; i++) argv[i] = "a";
  roundtrip(7, REQUEST_MAX_ARGC, argv);
  free(argv);
  /* REQUEST_MAX_ARGSLEN bytes of arguments */
  {
    char *big = malloc(REQUEST_MAX_ARGSLEN);
    char *a[] = { big, 0 };
    cr_assert_not_null(big);
    memset(big, 'b', REQUEST_MAX_ARGSLEN - 1);
    big[REQUEST_MAX_ARGSLEN - 1] = 0;
    roundtrip(7, 1, a);
    free(big);
  }
}

/* Every prefix of a valid request is "more", never "bad", never a crash. */
static void every_prefix_is_more(const char *req, size_t len)
{
  struct request r;
  struct request_header h;
  const char *why;
  size_t consumed;
  for (size_t n = 0; n < len; n++) {
    char *copy = malloc(n ? n : 1);   /* exactly n bytes, so ASan sees overreads */
    memcpy(copy, req, n);
    cr_assert_eq(request_parse(copy, n, &r, &consumed, &why), REQUEST_MORE, "prefix of %zu bytes", n);
    cr_assert_null(r.args);
    if (request_parse_header(copy, n, &h, &why) == REQUEST_OK)
      cr_assert_leq(h.headerlen, n);
    else
      cr_assert_eq(request_parse_header(copy, n, &h, &why), REQUEST_MORE, "header of %zu bytes", n);
    free(copy);
  }
}

Test(parse, truncated_is_more)
{
  struct buf b = BUF_ZERO;
  char *argv[] = { "/usr/bin/env", "A=1", "x", 0 };
  every_prefix_is_more(LIT("1:0,1:2,12:echo\0hereur\0,"));
  cr_assert(request_encode(&b, 4294967294u, 3, argv));
  every_prefix_is_more(b.s, b.len);
  buf_free(&b);
}

struct hostile {
  const char *what;
  const char *s;
  size_t len;
};
#define H(what, lit) { what, lit, sizeof lit - 1 }

static const struct hostile hostile[] = {
  /* the uid */
  H("uid 01", "2:01,1:1,3:ls\0,"),
  H("uid 00", "2:00,1:1,3:ls\0,"),
  H("uid -1", "2:-1,1:1,3:ls\0,"),
  H("uid +1", "2:+1,1:1,3:ls\0,"),
  H("uid space", "2: 1,1:1,3:ls\0,"),
  H("uid 4294967295", "10:4294967295,1:1,3:ls\0,"),
  H("uid 4294967296", "10:4294967296,1:1,3:ls\0,"),
  H("uid 11 digits", "11:12345678901,1:1,3:ls\0,"),
  H("uid empty", "0:,1:1,3:ls\0,"),
  H("uid hex", "3:0x1,1:1,3:ls\0,"),
  H("uid letters", "4:root,1:1,3:ls\0,"),
  H("uid too short", "1:10,1:1,3:ls\0,"),
  /* netstring lengths */
  H("length not a number", "x:0,1:1,3:ls\0,"),
  H("length empty", ":0,1:1,3:ls\0,"),
  H("length 01", "01:0,1:1,3:ls\0,"),
  H("length -1", "-1:0,1:1,3:ls\0,"),
  H("length with space", " 1:0,1:1,3:ls\0,"),
  H("length too many digits", "100:0,1:1,3:ls\0,"),
  H("no colon", "1;0,1:1,3:ls\0,"),
  H("uid no comma", "1:0;1:1,3:ls\0,"),
  H("argc no comma", "1:0,1:1;3:ls\0,"),
  H("args length 03", "1:0,1:1,03:ls\0,"),
  H("args length 0", "1:0,1:1,0:,"),
  H("args length letters", "1:0,1:1,a:ls\0,"),
  H("args length 8 digits", "1:0,1:1,12345678:"),
  H("args over the limit", "1:0,1:1,262145:"),
  H("args far over the limit", "1:0,1:1,9999999:"),
  /* argc */
  H("argc 0", "1:0,1:0,1:\0,"),
  H("argc 0 no args", "1:0,1:0,0:,"),
  H("argc 01", "1:0,2:01,3:ls\0,"),
  H("argc over the limit", "1:0,4:4097,3:ls\0,"),
  H("argc huge", "1:0,10:4294967295,3:ls\0,"),
  H("argc -1", "1:0,2:-1,3:ls\0,"),
  H("argc beyond the bytes", "1:0,1:5,3:ls\0,"),
  /* the arguments */
  H("empty argv[0]", "1:0,1:1,1:\0,"),
  H("empty argv[0] of two", "1:0,1:2,3:\0a\0,"),
  H("fewer NULs than argc", "1:0,1:3,5:ab\0c\0,"),
  H("more NULs than argc", "1:0,1:1,5:ab\0c\0,"),
  H("more NULs than argc 2", "1:0,1:2,6:a\0\0\0b\0,"),
  H("last arg not NUL-terminated", "1:0,1:1,2:ls,"),
  H("last of two not NUL-terminated", "1:0,1:2,5:ls\0ab,"),
  H("missing terminator", "1:0,1:1,3:ls\0;"),
  H("terminator is NUL", "1:0,1:1,3:ls\0\0"),
  H("length one short", "1:0,1:1,2:ls\0,"),
  H("length one long", "1:0,1:1,4:ls\0,,"),
};

Test(parse, hostile_forms_refused)
{
  for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
    const struct hostile *t = &hostile[i];
    struct request r;
    const char *why = 0;
    size_t consumed = 12345;
    /* give the parser plenty of bytes after the form, as a socket would */
    char *buf = malloc(t->len + 64);
    memcpy(buf, t->s, t->len);
    memset(buf + t->len, 'z', 64);
    cr_assert_eq(request_parse(buf, t->len + 64, &r, &consumed, &why), REQUEST_BAD, "%s accepted", t->what);
    cr_assert_not_null(why, "%s: a refusal says why", t->what);
    cr_assert_null(r.args, "%s: nothing allocated", t->what);
    cr_assert_null(r.argv);
    cr_assert_eq(consumed, 12345, "%s: consumed untouched", t->what);
    /* and every prefix of it is either more or bad, never a crash */
    for (size_t n = 0; n <= t->len; n++) {
      enum request_status st = request_parse(buf, n, &r, &consumed, &why);
      cr_assert(st == REQUEST_MORE || st == REQUEST_BAD, "%s: prefix %zu gave %d", t->what, n, st);
      if (st == REQUEST_OK) request_free(&r);
    }
    free(buf);
  }
}

Test(parse, messages)
{
  struct request r;
  struct request_header h;
  const char *why;
  size_t c;
  cr_assert_eq(request_parse(LIT("1:0,1:0,1:\0,"), &r, &c, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "argc is 0");
  cr_assert_eq(request_parse(LIT("1:0,1:2,3:\0a\0,"), &r, &c, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "empty argv[0]");
  cr_assert_eq(request_parse(LIT("1:0,1:1,2:ls,"), &r, &c, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "last argument not NUL-terminated");
  cr_assert_eq(request_parse(LIT("1:0,1:1,3:ls\0;"), &r, &c, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "missing netstring terminator");
  cr_assert_eq(request_parse(LIT("1:0,1:1,5:ab\0c\0,"), &r, &c, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "argc does not match the arguments");
  cr_assert_eq(request_parse_header(LIT("2:01,"), &h, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "bad uid");
  cr_assert_eq(request_parse_header(LIT("1:0,4:4097,"), &h, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "bad argc");
  cr_assert_eq(request_parse_header(LIT("1:0,1:1,262145:"), &h, &why), REQUEST_BAD);
  cr_assert_str_eq(why, "arguments too long");
}

Test(parse, bad_is_known_before_the_bytes_arrive)
{
  /* a peer must not be able to make us wait for (or allocate) bytes that a
   * header already proves wrong */
  struct request_header h;
  const char *why;
  cr_assert_eq(request_parse_header(LIT("1:0,1:1,262145:"), &h, &why), REQUEST_BAD);
  cr_assert_eq(request_parse_header(LIT("1:0,1:1,1234567"), &h, &why), REQUEST_MORE);
  cr_assert_eq(request_parse_header(LIT("1:0,1:1,12345678"), &h, &why), REQUEST_BAD);
  cr_assert_eq(request_parse_header(LIT("1:0,1:3,3:"), &h, &why), REQUEST_BAD, "3 args in 3 bytes");
  cr_assert_eq(request_parse_header(LIT("2:-"), &h, &why), REQUEST_BAD);
  cr_assert_eq(request_parse_header(LIT("999"), &h, &why), REQUEST_BAD);
  cr_assert_eq(request_parse_header(LIT("1:0,4:409"), &h, &why), REQUEST_MORE);
}

/* ---- request_read ------------------------------------------------------- */

static long long ms_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pair(int kind, int fds[2])
{
  if (kind == 0) cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  else cr_assert_eq(pipe(fds), 0);
}

static void read_then_rest(int kind)
{
  int fds[2];
  struct request r;
  const char *why = 0;
  char rest[16];
  char *want[] = { "echo", "hereur" };
  pair(kind, fds);
  cr_assert_eq(write(fds[1], echo_req, sizeof echo_req - 1), (ssize_t)(sizeof echo_req - 1));
  cr_assert_eq(write(fds[1], "STDIN", 5), 5);
  close(fds[1]);
  cr_assert_eq(request_read(fds[0], &r, 2000, &why), REQUEST_OK, "why: %s", why ? why : "");
  expect_argv(&r, want, 2);
  cr_assert_eq(r.uid, 0);
  request_free(&r);
  cr_assert_eq(read(fds[0], rest, sizeof rest), 5, "the command's stdin is all there");
  cr_assert_eq(memcmp(rest, "STDIN", 5), 0);
  close(fds[0]);
}

Test(read, socketpair_leaves_stdin)
{
  read_then_rest(0);
}

Test(read, pipe_leaves_stdin)
{
  read_then_rest(1);
}

/* A writer that sends the request and its stdin a byte at a time. */
static void trickle(int kind)
{
  int fds[2];
  struct request r;
  const char *why = 0;
  char rest[16];
  pid_t pid;
  int status;
  char *want[] = { "echo", "hereur" };
  pair(kind, fds);
  pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    static const char all[] = "1:0,1:2,12:echo\0hereur\0,MORE";
    close(fds[0]);
    for (size_t i = 0; i < sizeof all - 1; i++) {
      struct timespec ts = { 0, 1000 * 1000 };
      if (write(fds[1], all + i, 1) != 1) _exit(1);
      nanosleep(&ts, 0);
    }
    _exit(0);
  }
  close(fds[1]);
  cr_assert_eq(request_read(fds[0], &r, 5000, &why), REQUEST_OK, "why: %s", why ? why : "");
  expect_argv(&r, want, 2);
  request_free(&r);
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert_eq(read(fds[0], rest, sizeof rest), 4);
  cr_assert_eq(memcmp(rest, "MORE", 4), 0);
  close(fds[0]);
}

Test(read, socketpair_trickled)
{
  trickle(0);
}

Test(read, pipe_trickled)
{
  trickle(1);
}

static void times_out(int kind, const char *partial, size_t len)
{
  int fds[2];
  struct request r;
  const char *why = 0;
  long long t0;
  pair(kind, fds);
  cr_assert_eq(write(fds[1], partial, len), (ssize_t)len);
  t0 = ms_now();
  cr_assert_eq(request_read(fds[0], &r, 200, &why), REQUEST_BAD);
  cr_assert_geq(ms_now() - t0, 190);
  cr_assert_lt(ms_now() - t0, 3000);
  cr_assert_str_eq(why, "timed out reading request");
  cr_assert_null(r.args);
  close(fds[0]);
  close(fds[1]);
}

Test(read, deadline_on_partial_header)
{
  times_out(0, LIT("1:0,1:"));
  times_out(1, LIT("1:0,1:"));
  times_out(0, LIT(""));
  times_out(1, LIT(""));
}

Test(read, deadline_on_partial_arguments)
{
  times_out(0, LIT("1:0,1:2,12:echo\0"));
  times_out(1, LIT("1:0,1:2,12:echo\0"));
}

static void truncated(int kind, const char *partial, size_t len)
{
  int fds[2];
  struct request r;
  const char *why = 0;
  long long t0;
  pair(kind, fds);
  if (len) cr_assert_eq(write(fds[1], partial, len), (ssize_t)len);
  close(fds[1]);
  t0 = ms_now();
  cr_assert_eq(request_read(fds[0], &r, 5000, &why), REQUEST_BAD, "%zu bytes", len);
  cr_assert_lt(ms_now() - t0, 1000, "EOF is noticed at once, not at the deadline (%zu bytes)", len);
  cr_assert_str_eq(why, "request truncated", "%zu bytes", len);
  cr_assert_null(r.args);
  close(fds[0]);
}

Test(read, eof_mid_request)
{
  for (int kind = 0; kind < 2; kind++)
    for (size_t n = 0; n < sizeof echo_req - 1; n++)
      truncated(kind, echo_req, n);
}

Test(read, hostile_refused_at_once)
{
  for (int kind = 0; kind < 2; kind++) {
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
      int fds[2];
      struct request r;
      const char *why = 0;
      long long t0;
      pair(kind, fds);
      cr_assert_eq(write(fds[1], hostile[i].s, hostile[i].len), (ssize_t)hostile[i].len);
      t0 = ms_now();
      /* the writer stays open: a refusal must come from the bytes alone */
      cr_assert_eq(request_read(fds[0], &r, 3000, &why), REQUEST_BAD, "%s", hostile[i].what);
      cr_assert_lt(ms_now() - t0, 2000, "%s: refused without waiting", hostile[i].what);
      cr_assert_not_null(why);
      cr_assert_null(r.args);
      close(fds[0]);
      close(fds[1]);
    }
  }
}

Test(read, closed_reader_side)
{
  struct request r;
  const char *why = 0;
  int fds[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  close(fds[1]);
  cr_assert_eq(request_read(fds[0], &r, 1000, &why), REQUEST_BAD);
  cr_assert_not_null(why);
  close(fds[0]);
}
