/* ipchandle: preforking local-domain servers.
 *
 * At start-up the server binds (or takes the socket-activated fd 3), then
 * forks -c n workers (default 40). Each worker accepts on the shared
 * socket, sets up the connection exactly as ipcserver would (peer ids,
 * banner, connection rules, environment), and calls the handler once per
 * connection with the client on a descriptor, then loops. A worker that
 * dies is replaced. SIGTERM is passed to every worker, awaited, and the
 * server exits 0. No fork and no exec per connection: that is the point.
 *
 * Options: those of ipcserver, plus -f lockfile, accepted and ignored:
 * accept is always serialised, by a robust process-shared mutex in memory
 * the workers share (a lock file was the caller's to create first, hold,
 * or plant as a symlink). -C n
 * limits how many workers one client euid may hold at once, counted in
 * memory the workers share: without it, one local user holding idle
 * connections can occupy every worker. */
#ifndef BROKER_IPCHANDLE_H
#define BROKER_IPCHANDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What the handler learns about the client; also in its environment. */
struct ipchandle_conn {
  bool has_ids;             /* false with -P */
  uint32_t euid, egid;
  pid_t pid;
  const char *localpath;    /* $IPCLOCALPATH */
  const char *remotepath;   /* $IPCREMOTEPATH: client-chosen bytes */
  unsigned slot;            /* the worker's index, 0 .. ipchandle_workers()-1 */
};

/* Called once per connection in a worker, with fd on the client. Returns
 * an exit-code-like status for the log ("end PID status"). The handler
 * must release what it allocates and close what it opens (fd is closed by
 * ipchandle afterwards); the environment is put back by ipchandle.
 * SIGPIPE is ignored in the workers, so a write to a client that went away
 * fails with EPIPE; a handler that runs another program restores it there. */
typedef int (*ipchandle_fn)(void *ctx, int fd, const struct ipchandle_conn *conn);

/* Parses ipcserver-style options from argv (argv[0] is the program), leaves
 * the operands after path in *rest, and serves. prog names the program in
 * messages; usage is its usage line. Returns only on SIGTERM, with 0. */
int ipchandle_main(int argc, char **argv, const char *usage, int noperands,
    char ***rest, ipchandle_fn fn, void *ctx);

/* The same, in two steps, for programs that must check their operands
 * before binding: parse, then serve. */
struct ipchandle;
struct ipchandle *ipchandle_parse(int argc, char **argv, const char *usage,
    int noperands, char ***rest);
int ipchandle_serve(struct ipchandle *h, ipchandle_fn fn, void *ctx);

/* How many workers ipchandle_serve will fork (-c). */
unsigned ipchandle_workers(const struct ipchandle *h);

/* Called in the master, before the worker in slot is replaced (or, while
 * stopping, once it has exited), with the dead worker's pid: whatever the
 * worker was responsible for can be cleaned up here. */
typedef void (*ipchandle_death_fn)(void *ctx, unsigned slot, pid_t pid);
void ipchandle_on_death(struct ipchandle *h, ipchandle_death_fn fn);

#endif
