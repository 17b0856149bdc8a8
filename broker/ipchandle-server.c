/* main() for a 0.70-style ipchandle server (pkg-config ipchandle-server).
 * The program defines void server(int argc, char *const *argv); this takes
 * every ipchandle option and calls server() once per connection, in a
 * worker, with the client on descriptors 0 and 1 and the operands after
 * path as its arguments, as 0.70's ipchandle did.
 *
 * Built against the installed <ipchandle.h> only. */
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipchandle.h"

void server(int argc, char *const *argv);

struct args {
  int argc;
  char **argv;
};

/* 0 and 1 go back to /dev/null between calls: the client's connection
 * must end when ipchandle closes its descriptor, not live on here. */
static int on_devnull(void)
{
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  int r = 0;
  if (null < 0) return -1;
  if (dup2(null, 0) < 0 || dup2(null, 1) < 0) r = -1;
  close(null);
  return r;
}

static int call(void *ctx, int fd, const struct ipchandle_conn *conn)
{
  const struct args *a = ctx;
  (void)conn;
  /* Nothing one client sent or left unread reaches the next. */
  __fpurge(stdin);
  clearerr(stdin);
  clearerr(stdout);
  if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) return 111;
  server(a->argc, a->argv);
  fflush(stdout);
  __fpurge(stdout);
  if (on_devnull() < 0) _exit(111);
  return 0;
}

int main(int argc, char **argv)
{
  static const char opts[] = " [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] "
    "[ -B banner ] [ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -f lockfile ] "
    "path [ arg ... ]";
  const char *name = argc > 0 && argv[0] && argv[0][0] ? argv[0] : "server";
  const char *slash = strrchr(name, '/');
  static char usage[256 + sizeof opts];
  struct args a;
  struct ipchandle *h;
  char **rest;

  if (slash && slash[1]) name = slash + 1;
  snprintf(usage, sizeof usage, "%.256s%s", name, opts);
  h = ipchandle_parse(argc, argv, usage, -1, &rest);
  a.argv = rest;
  for (a.argc = 0; rest[a.argc]; a.argc++) {}
  if (on_devnull() < 0) return 111;
  return ipchandle_serve(h, call, &a);
}
