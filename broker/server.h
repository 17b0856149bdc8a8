/* ipcserver's logic: one listening socket, a fork per connection, the UCSPI
 * environment, connection rules, concurrency limits. ipcserver.c only turns
 * options into a struct server_config. */
#ifndef BROKER_SERVER_H
#define BROKER_SERVER_H

#include <stdbool.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

#define SERVER_DEFAULT_LIMIT 40
#define SERVER_DEFAULT_BACKLOG 20
/* Bounds for -c and -b: the child table is sized by -c up front. */
#define SERVER_MAX_LIMIT 65535
#define SERVER_MAX_BACKLOG 65535
/* Client text in a log line is cut after this many bytes. */
#define SERVER_LOG_MAX 100

enum server_verbosity { SERVER_QUIET = 0, SERVER_ERRORS = 1, SERVER_VERBOSE = 2 };

struct server_config {
  enum server_verbosity verbosity;
  unsigned limit;            /* -c */
  unsigned peruid;           /* -C, 0 for no per-uid limit */
  unsigned backlog;          /* -b */
  const char *rules;         /* -x, or NULL */
  bool rules_missing_ok;     /* -X */
  const char *banner;        /* -B, or NULL */
  bool set_uid, set_gid;     /* explicit: uid 0 / gid 0 are real targets */
  uint32_t uid, gid;         /* -u / -g / -U */
  bool delete_path;          /* -d (default) / -D */
  const char *localname;     /* -l, or NULL for path */
  bool lookup_peer;          /* -p (default) / -P */
  const char *path;
  char **prog;               /* NULL-terminated */
  /* A program that can run in the forked child without an exec: called
   * as builtin(argc, prog) instead of execvp while the file at
   * builtin_path is still the one described by builtin_st (same device,
   * inode, size, mtime and ctime). NULL: always exec. */
  void (*builtin)(int argc, char **argv);   /* never returns */
  const char *builtin_path;
  struct stat builtin_st;
};

void server_config_init(struct server_config *c);

/* The options ipcserver and the ipchandle servers share
 * (qQvcCxXBguUbdDlpP). Applies opt with its argument and returns true, or
 * returns false for a letter it does not know; a bad number or id is a
 * usage error (exit 100, usage line). */
#define SERVER_OPTIONS "qQvc:C:x:XB:g:u:Ub:dDl:pP"
bool server_option(struct server_config *c, int opt, const char *arg, const char *usage);

/* Takes the socket-activated fd 3 or binds and listens on c->path, closes
 * every other inherited descriptor, switches ids, and sets PROTO and
 * IPCLOCALPATH. Returns the listening socket (non-blocking, close-on-exec);
 * fatal errors exit 111. *localpath is what $IPCLOCALPATH says. */
int server_listen(const struct server_config *c, const char **localpath);

enum server_rules {
  SERVER_RULES_NONE = 0,     /* no -x, no matching rule, or missing with -X */
  SERVER_RULES_ALLOW,        /* m holds the rule's variables */
  SERVER_RULES_DENY,
  SERVER_RULES_ERROR,        /* logged; the connection must be dropped */
};

/* The connection rules (-x) for a client, read afresh. Running as root,
 * a cdb that is not root's alone (rules_untrusted) is an error. An allow
 * rule's variables that name a server-set identity variable
 * (rules_var_reserved) are logged and marked '-', so callers set only the
 * '+' items. */
struct rules_who;
struct rules_match;
enum server_rules server_conn_rules(const struct server_config *c,
    const struct rules_who *who, struct rules_match *m);

/* Binds (or takes the socket-activated fd 3), switches ids and serves until
 * SIGTERM, then returns 0. Fatal setup errors exit 111 with a message. */
int server_run(const struct server_config *c);

/* The caller's groups, for the %GID keys of the rules and for
 * $IPCREMOTEGROUPS: from the kernel (SO_PEERGROUPS), with the effective
 * gid egid, ascending. *groups and *text (the comma-separated list) are
 * malloc'd; free both. A kernel without SO_PEERGROUPS gives egid alone.
 * False (errno set) when the list cannot be had: drop the connection. */
bool server_peer_groups(int fd, uint32_t egid, uint32_t **groups, size_t *n, char **text);

/* Switches to the configured gid and uid (each only when set), clearing
 * supplementary groups, and proves the result with getresuid/getresgid.
 * 0, or -1 with errno and *what naming the step that failed. */
int server_switch_ids(const struct server_config *c, const char **what);

#endif
