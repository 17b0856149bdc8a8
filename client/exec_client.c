#include "exec_client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach_client.h"
#include "buf.h"
#include "pwfile.h"
#include "config.h"
#include "die.h"
#include "fd.h"
#include "relay.h"
#include "request.h"
#include "scan.h"
#include "unix_socket.h"
#include "version.h"

int client_exec_user(const char *user, uint32_t *uid, const char **why)
{
  struct pwfile_entry e;

  if (scan_id(user, uid)) return 0;
  switch (pwfile_byname(user, &e)) {
    case 1:
      *uid = e.uid;   /* scan_id refused uid -1, "no change": never a target */
      return 0;
    case 0:
      *why = "unknown user";
      errno = 0;
      return -1;
  }
  *why = "unable to look up user";
  return -1;
}

static int run_070(int to_server, int from_server, uint32_t uid, int argc,
    char *const *argv)
{
  struct buf req = BUF_ZERO;
  struct relay r;
  enum relay_result rr;
  size_t total = 0;

  if (argc > REQUEST_MAX_ARGC) die_x(EXIT_USAGE, "too many arguments");
  for (int i = 0; i < argc; i++) {
    total += strlen(argv[i]) + 1;
    if (total > REQUEST_MAX_ARGSLEN) die_x(EXIT_USAGE, "arguments too long");
  }
  if (!request_encode(&req, uid, argc, argv)) die_nomem();

  r.in = 0;
  r.to_server = to_server;
  r.from_server = from_server;
  r.out = 1;
  r.prefix = req.s;
  r.prefixlen = req.len;
  rr = client_relay(&r);
  buf_free(&req);
  if (rr != RELAY_OK) die_sys(EXIT_TEMP, "%s", client_relay_what(rr));
  return 0;
}

int client_exec_run(enum client_exec_mode mode, enum client_tty_mode tty, int to_server,
    int from_server, uint32_t uid, int argc, char *const *argv)
{
  if (argc < 1 || !argv[0][0]) die_x(EXIT_USAGE, "empty command");
  switch (mode) {
    case CLIENT_EXEC_070:
      return run_070(to_server, from_server, uid, argc, argv);
    case CLIENT_EXEC_ATTACHED:
      return client_attach_run(to_server, tty, uid, argc, argv);
  }
  die_x(EXIT_USAGE, "unknown request mode");
}

int client_exec_broker(enum client_exec_mode mode, enum client_tty_mode tty, uint32_t uid,
    int argc, char *const *argv)
{
  const char *path = getenv("IPCEXECPATH");
  int fd;

  if (!path || !path[0]) path = IPCEXEC_PATH;
  fd = peer_unix_connect(path, 0);
  if (fd < 0) die_sys(EXIT_TEMP, "unable to connect to %s", path);
  client_check_broker(fd, path);
  return client_exec_run(mode, tty, fd, fd, uid, argc, argv);
}

/* Reads one netstring (at most size - 1 bytes) into buf, NUL-terminated.
 * False at end of stream or on anything that is not one. */
static bool read_netstring(int fd, char *buf, size_t size)
{
  size_t len = 0, got = 0;
  char c;
  for (;;) {
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (c == ':') break;
    if (c < '0' || c > '9' || len > size) return false;
    len = len * 10 + (size_t)(c - '0');
  }
  if (len >= size) return false;
  while (got < len + 1) {
    ssize_t r = read(fd, got < len ? buf + got : &c, got < len ? len - got : 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += (size_t)r;
  }
  buf[len] = 0;
  return c == ',';
}

int client_exec_list(bool has_target, uint32_t target)
{
  const char *path = getenv("IPCEXECPATH");
  char req[64], line[2048];
  int fd, n;

  if (!path || !path[0]) path = IPCEXEC_PATH;
  fd = peer_unix_connect(path, 0);
  if (fd < 0) die_sys(EXIT_TEMP, "unable to connect to %s", path);
  client_check_broker(fd, path);
  if (has_target) {
    char num[16];
    snprintf(num, sizeof num, "%lu", (unsigned long)target);
    n = snprintf(req, sizeof req, "L1:1,%zu:%s,", strlen(num), num);
  } else {
    n = snprintf(req, sizeof req, "L1:1,0:,");
  }
  if (fd_write_all(fd, req, (size_t)n) < 0) die_sys(EXIT_TEMP, "unable to write to %s", path);
  while (read_netstring(fd, line, sizeof line)) {
    switch (line[0]) {
      case 'l':
        if (printf("%s\n", line + 1) < 0) die_sys(EXIT_TEMP, "unable to write output");
        break;
      case 'E':
        if (fflush(stdout) != 0) die_sys(EXIT_TEMP, "unable to write output");
        return 0;
      default:
        die_x(EXIT_TEMP, "the broker could not list the rules (see its log)");
    }
  }
  fflush(stdout);
  die_x(EXIT_TEMP, "the broker closed the connection without a list (it may be too old for -l)");
}

/* The login shell is looked up here, on the caller's side, and sent as the
 * command's path like any other: the broker trusts it no further than its
 * rules allow that path for this caller and target. */
char **client_exec_shell_argv(uint32_t uid, int argc, char *const *argv)
{
  /* Static, so that the vector stays reachable until exit. */
  static char **v;
  static struct pwfile_entry pw;
  const char *sh;

  switch (pwfile_byuid(uid, &pw)) {
    case 0:
      die_x(EXIT_USAGE, "unknown user: %u: no login shell to run", uid);
    case -1:
      die_sys(EXIT_TEMP, "unable to look up uid %u", uid);
  }
  /* passwd(5): an empty shell field means /bin/sh. */
  sh = pw.shell[0] ? pw.shell : "/bin/sh";
  if (sh[0] != '/') die_x(EXIT_USAGE, "the login shell of uid %u is not an absolute path", uid);
  v = calloc((size_t)argc + 2, sizeof *v);
  if (!v) die_nomem();
  v[0] = strdup(sh);
  if (!v[0]) die_nomem();
  for (int i = 0; i < argc; i++) v[i + 1] = argv[i];
  return v;
}

static const struct option longopts[] = {
  { "help", no_argument, 0, 'h' },
  { "version", no_argument, 0, 'V' },
  { 0, 0, 0, 0 },
};

int client_exec_options(int argc, char **argv, const char *usage,
    const char *help, bool with_user, struct client_exec_opts *o)
{
  int opt;

  o->mode = CLIENT_EXEC_ATTACHED;
  o->user = 0;
  o->shell = false;
  o->list = false;
  o->tty = CLIENT_TTY_AUTO;
  /* Our messages, never getopt's: they would name argv[0]'s path. */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+hlnostTu:V", longopts, 0)) != -1) {
    switch (opt) {
      case 'h':
        if (fputs(help, stdout) == EOF || fflush(stdout) != 0) exit(EXIT_TEMP);
        exit(0);
      case 'V': version_print();
      case 'n': break;   /* sudo -n: the broker never prompts anyway */
      case 'o': o->mode = CLIENT_EXEC_070; break;
      case 's': o->shell = true; break;
      case 'l': o->list = true; break;
      case 't': o->tty = CLIENT_TTY_FORCE; break;
      case 'T': o->tty = CLIENT_TTY_NEVER; break;
      case 'u':
        if (!with_user || !optarg[0]) die_usage(usage);
        o->user = optarg;
        break;
      default: die_usage(usage);
    }
  }
  if (o->mode == CLIENT_EXEC_070 && o->tty == CLIENT_TTY_FORCE)
    die_x(EXIT_USAGE, "-t needs attached mode: not with -o");
  return optind;
}
