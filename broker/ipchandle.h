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

/* Installed as <ipchandle.h>: it must stay self-contained (system headers
 * only). The library exports what this header declares and nothing else. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__GNUC__)
#define IPCHANDLE_API __attribute__((visibility("default")))
#else
#define IPCHANDLE_API
#ifdef __cplusplus
}
#endif

#endif

#ifdef __cplusplus
extern "C" {
#ifdef __cplusplus
}
#endif

#endif

/* What the handler learns about the client; also in its environment. */
struct ipchandle_conn {
  bool has_ids;             /* false with -P */
  uint32_t euid, egid;
  pid_t pid;
  const char *localpath;    /* $IPCLOCALPATH */
  const char *remotepath;   /* $IPCREMOTEPATH: client-chosen bytes */
  unsigned slot;            /* the worker's index, 0 .. -c limit - 1 */
  size_t ngroups;           /* the client's groups, its egid among them, */
  const uint32_t *groups;   /* ascending, from the kernel; 0 with -P */
};

/* Called once per connection in a worker, with fd on the client. Returns
 * an exit-code-like status for the log ("end PID status"). The handler
 * must release what it allocates and close what it opens (fd is closed by
 * ipchandle afterwards); the environment is put back by ipchandle, and a
 * handler that changed it (setenv, putenv, unsetenv) has its connection
 * dropped with a warning and its worker replaced.
 * SIGPIPE is ignored in the workers, so a write to a client that went away
 * fails with EPIPE; a handler that runs another program restores it there. */
typedef int (*ipchandle_fn)(void *ctx, int fd, const struct ipchandle_conn *conn);

/* Parses ipcserver-style options from argv (argv[0] is the program), leaves
 * the operands after path in *rest (exactly noperands of them, or any
 * number with noperands -1), and serves. usage is the usage line.
 * Messages name the program as die_init did, else by argv[0]'s last
 * component. Returns only on SIGTERM, with 0. */
IPCHANDLE_API int ipchandle_main(int argc, char **argv, const char *usage, int noperands,
    char ***rest, ipchandle_fn fn, void *ctx);

/* The same, in two steps, for programs that must check their operands
 * before binding: parse, then serve. */
struct ipchandle;
IPCHANDLE_API struct ipchandle *ipchandle_parse(int argc, char **argv, const char *usage,
    int noperands, char ***rest);
IPCHANDLE_API int ipchandle_serve(struct ipchandle *h, ipchandle_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
