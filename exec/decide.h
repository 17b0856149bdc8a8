/* ipcexec's decision: from the caller's ids, the request and the exec
 * rules, whether to run something, as whom, in which sandbox. */
#ifndef EXEC_DECIDE_H
#define EXEC_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "request.h"
#include "rules_lookup.h"
#include "sandbox_env.h"
#include "sandbox_policy.h"
#include "sandbox_privdrop.h"

enum exec_verdict { EXEC_ALLOW = 0, EXEC_DENY = 1, EXEC_ERROR = 2 };

/* Who is calling, as ipcserver put it in the environment. */
struct exec_caller {
  uint32_t euid, egid;
  bool has_pid;
  uint32_t pid;
  const char *localpath;        /* $IPCLOCALPATH for the command, or NULL */
  const char *remotepath;       /* $IPCREMOTEPATH (client-chosen), or NULL */
  size_t ngroups;               /* the caller's groups, egid included, */
  const uint32_t *groups;       /* ascending: for the %GID keys */
};

struct exec_pty;
struct record;

struct exec_decision {
  enum exec_verdict verdict;
  int exitcode;                 /* 100 deny, 111 error */
  const char *reason;           /* for the audit line and the log */
  enum rules_result lookup;
  struct rules_match match;
  struct sandbox_policy policy;
  uint32_t target_uid, target_gid;
  char target_name[64];
  char caller_name[64];
  const char *path;             /* what to execve; NULL: search argv[0] */
  char **argv;                  /* the request's argv (argv[0] may be path) */
  const char *cmd;              /* the requested argv[0], as looked up */
  struct sandbox_env env;
  struct sandbox_ids ids;
  bool use_pty;                 /* run on a pty: asked for, and IPCPTY allows it */
  struct exec_pty *pty;         /* while exec_run runs it on one (pty.h) */
  struct record *record;        /* IPCRECORD: the request's recording, once open */
  bool record_error_told;       /* a recording that stopped has been logged */
};

/* Reads $IPCREMOTEEUID, $IPCREMOTEEGID (both required, canonical),
 * $IPCREMOTEGROUPS (ascending, as ipcserver sets it; without it, the egid
 * alone), $IPCREMOTEPID, $IPCLOCALPATH and $IPCREMOTEPATH (optional).
 * False when the identity is missing or bad. The group list is static:
 * one caller per process. */
bool exec_caller_from_env(struct exec_caller *c);

/* Decides. rulesfd is the open exec rules cdb. check_owner: refuse a cdb
 * not owned by root or writable by group or others (set when running as
 * root). Always fills d enough for the audit line. */
void exec_decide(struct exec_decision *d, const struct exec_caller *c,
    struct request *req, int rulesfd, bool check_owner);

void exec_decision_free(struct exec_decision *d);

/* Loads what the decisions' lookups load on first use (the NSS modules
 * nsswitch.conf names for passwd and group), by looking up root once.
 * For a broker that forks a process per request from a long-lived parent:
 * each child then finds them loaded instead of loading them again. No
 * answer is kept: every request still asks the database. */
void exec_warm(void);

#endif
