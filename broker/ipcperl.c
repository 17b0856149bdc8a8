/* ipcperl [ipcserver options] [-f lockfile] path file sub [arg ...]: a
 * preforked server (ipchandle) whose workers each run the Perl file once,
 * then call the Perl sub per connection, with STDIN and STDOUT on the
 * client and %ENV holding the connection's variables. The embedding is in
 * perl_embed.c. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "die.h"
#include "ipchandle_private.h"
#include "perl_embed.h"
#include "version.h"

#define USAGE "ipcperl [ -qQvdDUXpP ] [ -c limit ] [ -C peruid ] [ -x rules.cdb ] [ -B banner ] " \
  "[ -g gid ] [ -u uid ] [ -b backlog ] [ -l localname ] [ -f lockfile ] path file sub [ arg ... ]"

struct perl_ctx {
  const char *file, *sub;
  char *const *args;
  const struct server_config *c;
};

static void load_or_die(const struct perl_ctx *p)
{
  char err[512];
  if (!perl_embed_load(p->file, p->sub, err, sizeof err))
    die_x(EXIT_TEMP, "%s: %s", p->file, err);
}

/* In each worker, before it serves: its own interpreter. */
static void on_worker(void *ctx)
{
  load_or_die(ctx);
}

static int call(void *ctx, int fd, const struct ipchandle_conn *conn)
{
  const struct perl_ctx *p = ctx;
  char err[512];
  int status;
  (void)conn;
  status = perl_embed_call(fd, p->args, err, sizeof err);
  if (status && p->c->verbosity >= SERVER_ERRORS) warn_x("%s: %s died: %s", p->file, p->sub, err);
  return status;
}

/* The file is run once at start-up in a process of its own, with the ids
 * the workers will have: a file that fails or returns false is a fatal
 * error here, not a worker dying and being replaced in a loop. */
static void probe(const struct perl_ctx *p)
{
  const char *what;
  int wstat;
  pid_t pid = fork();
  if (pid < 0) die_sys(EXIT_TEMP, "unable to fork");
  if (pid == 0) {
    if (server_switch_ids(p->c, &what) < 0) die_sys(EXIT_TEMP, "unable to %s", what);
    load_or_die(p);
    perl_embed_free();
    /* exit, not _exit: under LeakSanitizer this checks what loading the
     * file and destroying the interpreter left behind. */
    exit(0);
  }
  if (waitpid(pid, &wstat, 0) < 0) die_sys(EXIT_TEMP, "unable to wait for the start-up check");
  if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0) _exit(EXIT_TEMP);
}

int main(int argc, char **argv, char **envp)
{
  struct ipchandle *h;
  struct perl_ctx p;
  char **rest;

  die_init("ipcperl");
  version_arg(argc, argv);
  perl_embed_sys_init(&argc, &argv, &envp);
  h = ipchandle_parse(argc, argv, USAGE, -1, &rest);
  if (!rest[0] || !rest[1]) die_usage(USAGE);
  p.file = rest[0];
  p.sub = rest[1];
  p.args = rest + 2;
  p.c = ipchandle_config(h);
  probe(&p);
  ipchandle_on_worker(h, on_worker, &p);
  return ipchandle_serve(h, call, &p);
}
