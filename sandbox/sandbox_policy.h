/* The sandbox a rule grants: reserved variables in a rule's instruction
 * list (and IPCUID/IPCGID/IPCERROUT in the server's environment) choose it.
 * Defaults are the strict ones. Reserved variables are consumed here and
 * never reach the command's environment. */
#ifndef SANDBOX_POLICY_H
#define SANDBOX_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SANDBOX_MAX_KEEPENV 32
#define SANDBOX_MAX_TIMEOUT (7 * 24 * 3600)
#define SANDBOX_DEFAULT_UMASK 022
/* IPCRECORDMAX: bounds of a recording's size cap, in bytes. The least
 * leaves room for the largest request header (ipcrecord(5)). */
#define SANDBOX_RECORD_MIN (1024 * 1024)
#define SANDBOX_RECORD_MAX (UINT64_C(1) << 40)
#define SANDBOX_RECORD_PATH_MAX 1024
/* After IPCTIMEOUT, SIGTERM; SIGKILL this many seconds later. */
#define SANDBOX_KILL_GRACE 5

enum sandbox_seccomp {
  SANDBOX_SECCOMP_DEFAULT = 0,   /* deny-list */
  SANDBOX_SECCOMP_STRICT,        /* allow-list */
  SANDBOX_SECCOMP_NONE,
};

/* IPCPTY: may the command run on a pty when the caller has a terminal? */
enum sandbox_pty {
  SANDBOX_PTY_ALLOW = 0,         /* unset: when the client asks for one */
  SANDBOX_PTY_FORBID,            /* "0": never (ipcdo -t is denied) */
  SANDBOX_PTY_REQUIRE,           /* "1": a request without one is denied */
};

struct sandbox_policy {
  uint64_t caps;                 /* bit n: capability n is kept */
  bool caps_all;
  enum sandbox_seccomp seccomp;
  unsigned umask;
  unsigned timeout;              /* seconds; 0: none */
  bool errout;                   /* command's stderr to the socket */
  bool has_uid, has_gid;         /* IPCUID / IPCGID given */
  uint32_t uid, gid;
  bool has_args;                 /* IPCARGS given */
  const char *args;              /* its value: valid, as long as the rule */
  bool clientenv;                /* IPCCLIENTENV: the caller's TERM etc. */
  enum sandbox_pty pty;          /* IPCPTY */
  const char *record;            /* IPCRECORD: the directory, or NULL */
  uint64_t record_max;           /* IPCRECORDMAX: bytes; 0: the default */
  size_t nkeepenv;
  char keepenv[SANDBOX_MAX_KEEPENV][64];
};

void sandbox_policy_init(struct sandbox_policy *p);

/* Is name one of the reserved variables (IPCUID, IPCGID, IPCERROUT,
 * IPCCAPS, IPCSECCOMP, IPCUMASK, IPCKEEPENV, IPCTIMEOUT, IPCARGS,
 * IPCCLIENTENV, IPCPTY, IPCRECORD, IPCRECORDMAX)? */
bool sandbox_is_knob(const char *name);

/* Applies one reserved variable. Returns 1 when applied, 0 when name is not
 * a reserved variable, -1 when the value is invalid (*why says why): an
 * invalid value denies the request, it never falls back to a default. */
int sandbox_policy_set(struct sandbox_policy *p, const char *name,
    const char *value, const char **why);

/* A recording's size cap as IPCRECORDMAX gives it: canonical decimal
 * bytes, or a number followed by K, M or G (powers of 1024), within
 * SANDBOX_RECORD_MIN..SANDBOX_RECORD_MAX. */
bool sandbox_record_max_parse(const char *s, uint64_t *out);

/* Parses a capability list ("cap_chown,net_bind_service", "all", "" or
 * "none"). */
bool sandbox_caps_parse(const char *s, uint64_t *caps, bool *all);

/* A capability's number from its name without cap_ ("chown"), -1 if
 * unknown; and back, 0 if unknown. */
int sandbox_cap_from_name(const char *name);
const char *sandbox_cap_name(unsigned cap);

/* Highest capability the kernel knows. */
unsigned sandbox_cap_last(void);

/* One line per setting: "sandbox capabilities: none" etc. */
void sandbox_policy_describe(const struct sandbox_policy *p, FILE *out);

const char *sandbox_seccomp_name(enum sandbox_seccomp s);

#endif
