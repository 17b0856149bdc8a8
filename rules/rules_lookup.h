/* Rule lookup, shared by the servers and the checkers, so that precedence
 * exists in exactly one place. This is the only rules code the root-running
 * ipcexec links. */
#ifndef RULES_LOOKUP_H
#define RULES_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

/* Compiled records are small; a larger one is malformed. */
#define RULES_MAX_RECORD 65536
#define RULES_MAX_ITEMS 64

enum rules_result {
  RULES_ERROR = -1,    /* unreadable or malformed: errno says which */
  RULES_NOTFOUND = 0,
  RULES_ALLOW = 1,
  RULES_DENY = 2,
};

/* The client's identity, each part optional (unset parts skip their keys).
 * groups: the caller's effective gid and supplementary groups, ascending
 * and without repeats, from the kernel (SO_PEERGROUPS); for the %GID keys. */
struct rules_who {
  bool has_euid, has_egid;
  uint32_t euid, egid;
  size_t ngroups;
  const uint32_t *groups;
};

/* One item of a record, in file order. */
struct rules_item {
  char type;           /* 'D' deny, '+' variable, '=' exec path */
  const char *name;    /* '+': the variable's name (NUL-terminated copy) */
  const char *value;   /* '+': its value; '=': the path */
};

struct rules_match {
  struct buf key;      /* the key that matched, e.g. "1000.1000,0.ls" */
  char *data;          /* the record, owned; items point into it */
  size_t datalen;
  size_t nitems;
  struct rules_item items[RULES_MAX_ITEMS];
  bool deny;
  const char *exec;    /* allow="path", or NULL */
};

/* Connection rules: keys EUID.EGID, EUID, .EGID, %GID for each of the
 * caller's groups in ascending order, "" in that order. */
enum rules_result rules_lookup_conn(int fd, const struct rules_who *who,
    struct rules_match *m);

/* Exec rules: keys EUID.EGID,UID.CMD  EUID,UID.CMD  .EGID,UID.CMD
 * %GID,UID.CMD (each of the caller's groups, ascending)  ,UID.CMD  "" in
 * that order. A 0.70 rules file has no %GID keys and decides as before. */
enum rules_result rules_lookup_exec(int fd, const struct rules_who *who,
    uint32_t uid, const char *cmd, struct rules_match *m);

/* Validates a compiled record and splits it into items. data is modified
 * (the '=' after a variable's name becomes a NUL). Returns false for a
 * malformed record: a missing final NUL, an unknown item, an empty name or
 * path, a repeated 'D' or '=', 'D' with '=', more than RULES_MAX_ITEMS. */
bool rules_record_parse(char *data, size_t len, struct rules_match *m);

/* Value of the last variable NAME set by the match, or NULL. */
const char *rules_match_var(const struct rules_match *m, const char *name);

void rules_match_free(struct rules_match *m);

/* The one check of a rules cdb's owner and mode, for connection and exec
 * rules alike. A process whose euid is 0 lets the file decide for root,
 * so the file must be a regular file owned by root that neither group nor
 * others can write; a process running as anyone else trusts what it can
 * read (euid is geteuid() at the time of the lookup). Returns NULL when fd
 * may be used, else why not, for the log line (errno is kept for a failed
 * fstat). */
const char *rules_untrusted(int fd, uid_t euid);

/* True for the variables a server sets from what it knows for certain
 * (PROTO, IPCLOCALPATH, IPCREMOTEPATH, IPCREMOTEEUID, IPCREMOTEEGID,
 * IPCREMOTEPID, IPCREMOTEGROUPS): a connection rule may never set one of
 * them. */
bool rules_var_reserved(const char *name);

#endif
