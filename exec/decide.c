#include "decide.h"
#include "record.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipcargs.h"
#include "peer_cred.h"
#include "scan.h"

bool exec_caller_from_env(struct exec_caller *c)
{
  static uint32_t groups[PEER_GROUPS_MAX];
  const char *pid = getenv("IPCREMOTEPID");
  const char *g = getenv("IPCREMOTEGROUPS");
  memset(c, 0, sizeof *c);
  if (!scan_id(getenv("IPCREMOTEEUID"), &c->euid)) return false;
  if (!scan_id(getenv("IPCREMOTEEGID"), &c->egid)) return false;
  /* From the server, which read it from the kernel (a connection rule
   * cannot set it). A 0.70 server sets none: the egid is all we know. */
  if (g) {
    if (!scan_groups(g, groups, PEER_GROUPS_MAX, &c->ngroups)) return false;
  } else {
    groups[0] = c->egid;
    c->ngroups = 1;
  }
  c->groups = groups;
  c->has_pid = pid && scan_id(pid, &c->pid);
  c->localpath = getenv("IPCLOCALPATH");
  c->remotepath = getenv("IPCREMOTEPATH");
  return true;
}

static void refuse(struct exec_decision *d, enum exec_verdict v, const char *why)
{
  d->verdict = v;
  d->exitcode = v == EXEC_DENY ? 100 : 111;
  d->reason = why;
}

static void copyname(char *dst, size_t size, const char *src)
{
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* Applies IPCERROUT (as in 0.70) and IPCRECORDMAX (the broker's cap on a
 * recording's size) from the server's environment: the administrator's. IPCUID and IPCGID are not taken from there (0.70 took
 * them): under ipcserver the environment also holds the connection rule's
 * variables, and the target's identity is for the exec rules alone to
 * decide. A client can set none of them. */
static bool server_knobs(struct sandbox_policy *p, const char **why)
{
  const char *v = getenv("IPCERROUT");
  if (v && sandbox_policy_set(p, "IPCERROUT", v, why) < 0) return false;
  /* The broker's cap on a recording's size; a rule may set its own. */
  v = getenv("IPCRECORDMAX");
  if (v && sandbox_policy_set(p, "IPCRECORDMAX", v, why) < 0) return false;
  return true;
}

/* getpwuid, telling "no such user" (*why "unknown uid") from a lookup
 * that failed (*why "user lookup failed": the passwd database could not
 * be read, e.g. no descriptor left, or NSS unreachable). The entry stays
 * valid until the next call. */
static const struct passwd *lookup_uid(uint32_t uid, const char **why)
{
  static struct passwd pwbuf;
  static char mem[16384];
  struct passwd *pw = 0;
  int e = getpwuid_r((uid_t)uid, &pwbuf, mem, sizeof mem, &pw);
  if (pw) return pw;
  *why = e == 0 || e == ENOENT || e == ESRCH ? "unknown uid" : "user lookup failed";
  return 0;
}

static bool set_env(struct exec_decision *d, const char *name, const char *value)
{
  if (sandbox_env_set(&d->env, name, value)) return true;
  refuse(d, EXEC_ERROR, "unable to build the environment");
  return false;
}

static bool set_num(struct exec_decision *d, const char *name, uint64_t v)
{
  char num[21];
  fmt_u64(num, v);
  return set_env(d, name, num);
}

/* A locale name as setlocale(3) takes it: language[_territory][.codeset]
 * [@modifier], or C / POSIX; letters, digits and the few separators only,
 * so never a path (a '/' would make glibc load a locale from a file). */
static bool locale_ok(const char *v, size_t len)
{
  int stage = 0;   /* 0 name, 1 after '.', 2 after '@' */
  if (len == 0 || !((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z'))) return false;
  for (size_t i = 0; i < len; i++) {
    char ch = v[i];
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') continue;
    if (ch == '-' && stage > 0) continue;
    if (ch == '.' && stage == 0) { stage = 1; continue; }
    if (ch == '@' && stage < 2) { stage = 2; continue; }
    return false;
  }
  return v[len - 1] != '.' && v[len - 1] != '@';
}

/* Is name one of the variables a client may offer: the caller's terminal
 * (TERM, COLORTERM) and locale (LANG, LANGUAGE, LC_ and capitals)? */
static bool client_var_name(const char *name, bool *locale)
{
  *locale = true;
  if (!strcmp(name, "LANG") || !strcmp(name, "LANGUAGE")) return true;
  if (!strncmp(name, "LC_", 3) && name[3]) {
    for (const char *s = name + 3; *s; s++)
      if (!((*s >= 'A' && *s <= 'Z') || *s == '_')) return false;
    return true;
  }
  *locale = false;
  return !strcmp(name, "TERM") || !strcmp(name, "COLORTERM");
}

/* A variable an attached-mode client offers is admitted only if it is one
 * of the few that describe the caller's terminal and locale, the rule has
 * not turned them off (IPCCLIENTENV="0"), and its value passes a strict
 * check: 1 to 128 bytes of printable ASCII without space, no '/' (TERM=../x
 * would pick a terminfo file, LANG=/x a locale file), no '%' (a format in
 * a program that prints it), no backslash; a locale name for the locale
 * variables (LANGUAGE: a ':'-separated list of them). */
static bool client_var_ok(const struct sandbox_policy *p, const char *name, const char *value)
{
  size_t len = strlen(value);
  bool locale;
  if (!p->clientenv || !client_var_name(name, &locale)) return false;
  if (len == 0 || len > 128) return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)value[i];
    if (ch < 33 || ch > 126 || ch == '/' || ch == '\\' || ch == '%') return false;
  }
  if (!locale) return true;
  if (strcmp(name, "LANGUAGE")) return locale_ok(value, len);
  for (const char *s = value; ; ) {
    size_t n = strcspn(s, ":");
    if (!locale_ok(s, n)) return false;
    if (!s[n]) return true;
    s += n + 1;
  }
}

/* $IPCTTY, the caller's terminal as the client names it: a path under
 * /dev of letters, digits and "/._-", no "..", no empty component, at
 * most REQUEST_MAX_TTYNAME bytes. Anything else is not passed on. It is
 * for information (as sudo's SUDO_TTY): the client could name another
 * terminal, which the command can open only if the target could anyway. */
static bool tty_name_ok(const char *s)
{
  size_t n = strlen(s);
  if (n < 6 || strncmp(s, "/dev/", 5) || s[n - 1] == '/') return false;
  for (size_t i = 5; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          ch == '/' || ch == '.' || ch == '_' || ch == '-'))
      return false;
    if (ch == '/' && s[i - 1] == '/') return false;
    if (ch == '.' && s[i - 1] == '/' && (s[i + 1] == '/' || !s[i + 1] ||
          (s[i + 1] == '.' && (s[i + 2] == '/' || !s[i + 2]))))
      return false;
  }
  return true;
}

/* The command's environment, from nothing: the target's basics and a fixed
 * PATH, what the rule keeps from the server's environment, the caller's
 * checked terminal and locale (from an attached-mode client), the rule's own
 * variables, and last the server-set caller identity and, on a pty, the
 * caller's terminal name, which nothing may override. */
static bool build_env(struct exec_decision *d, const struct exec_caller *c,
    const struct request *req, const struct passwd *target)
{
  const char *v;

  if (!set_env(d, "PATH", SANDBOX_PATH) || !set_env(d, "HOME", target->pw_dir) ||
      !set_env(d, "USER", target->pw_name) || !set_env(d, "LOGNAME", target->pw_name) ||
      !set_env(d, "SHELL", target->pw_shell && *target->pw_shell ? target->pw_shell : "/bin/sh"))
    return false;
  for (size_t i = 0; i < d->policy.nkeepenv; i++) {
    v = getenv(d->policy.keepenv[i]);
    if (v && !set_env(d, d->policy.keepenv[i], v)) return false;
  }
  for (size_t i = 0; req->envp && req->envp[i]; i++) {
    char name[64];
    const char *eq = strchr(req->envp[i], '=');
    size_t n = (size_t)(eq - req->envp[i]);
    if (n >= sizeof name) continue;
    memcpy(name, req->envp[i], n);
    name[n] = 0;
    if (client_var_ok(&d->policy, name, eq + 1) && !set_env(d, name, eq + 1)) return false;
  }
  for (size_t i = 0; i < d->match.nitems; i++) {
    const struct rules_item *it = &d->match.items[i];
    if (it->type == '+' && !sandbox_is_knob(it->name) && !set_env(d, it->name, it->value))
      return false;
  }
  if (!set_env(d, "PROTO", "IPC")) return false;
  if (!set_env(d, "IPCLOCALPATH", c->localpath ? c->localpath : "")) return false;
  if (!set_env(d, "IPCREMOTEPATH", c->remotepath ? c->remotepath : "")) return false;
  if (!set_num(d, "IPCREMOTEEUID", c->euid) || !set_num(d, "IPCREMOTEEGID", c->egid)) return false;
  if (c->has_pid && !set_num(d, "IPCREMOTEPID", c->pid)) return false;
  if (d->caller_name[0] && !set_env(d, "IPCREMOTEUSER", d->caller_name)) return false;
  if (d->use_pty && tty_name_ok(req->pty.name) && !set_env(d, "IPCTTY", req->pty.name)) return false;
  return true;
}

void exec_decide(struct exec_decision *d, const struct exec_caller *c,
    struct request *req, int rulesfd, bool check_owner)
{
  struct rules_who who = { true, true, c->euid, c->egid, c->ngroups, c->groups };
  const struct passwd *pw;
  const char *why = 0;

  memset(d, 0, sizeof *d);
  sandbox_policy_init(&d->policy);
  sandbox_env_init(&d->env);
  d->lookup = RULES_NOTFOUND;
  d->target_uid = req->uid;
  d->argv = req->argv;
  d->cmd = req->argv[0];

  if (!server_knobs(&d->policy, &why)) return refuse(d, EXEC_ERROR, why);

  pw = lookup_uid(c->euid, &why);
  if (pw) copyname(d->caller_name, sizeof d->caller_name, pw->pw_name);

  /* 0.70: the requested uid must exist. The entry stays valid until the
   * next passwd call, which is the target's lookup below: it is reused
   * there when the rule does not change the uid. */
  pw = lookup_uid(req->uid, &why);
  if (!pw) return refuse(d, EXEC_ERROR, why);

  if (check_owner && (why = rules_untrusted(rulesfd, geteuid())))
    return refuse(d, EXEC_ERROR, why);
  errno = 0;
  d->lookup = rules_lookup_exec(rulesfd, &who, req->uid, req->argv[0], &d->match);
  switch (d->lookup) {
    case RULES_ERROR:
      return refuse(d, EXEC_ERROR, errno == EPROTO ? "malformed rules" : "unable to read rules");
    case RULES_NOTFOUND:
      /* Fail closed: 0.70 allowed what no rule mentioned. */
      return refuse(d, EXEC_DENY, "no matching rule");
    case RULES_DENY:
      return refuse(d, EXEC_DENY, "denied by rule");
    case RULES_ALLOW:
      break;
  }

  for (size_t i = 0; i < d->match.nitems; i++) {
    const struct rules_item *it = &d->match.items[i];
    if (it->type == '+' && sandbox_policy_set(&d->policy, it->name, it->value, &why) < 0)
      return refuse(d, EXEC_DENY, why);
  }

  /* IPCARGS pins what follows argv[0]; without it any arguments go. */
  if (d->policy.has_args) {
    int r = ipcargs_match(d->policy.args, strlen(d->policy.args), req->argv + 1, req->argc - 1, &why);
    if (r <= 0) return refuse(d, EXEC_DENY, "arguments not allowed");
  }

  /* IPCPTY: a pty where the caller has a terminal, unless the rule says
   * never ("0": the caller's descriptors as they are, and a forced pty,
   * ipcdo -t, is denied) or always ("1": a request without a terminal is
   * denied). */
  if (d->policy.pty == SANDBOX_PTY_REQUIRE && !req->pty.want)
    return refuse(d, EXEC_DENY, "a terminal is required");
  if (d->policy.pty == SANDBOX_PTY_FORBID && req->pty.forced)
    return refuse(d, EXEC_DENY, "no terminal allowed");
  d->use_pty = req->pty.want && d->policy.pty != SANDBOX_PTY_FORBID;

  d->target_uid = d->policy.has_uid ? d->policy.uid : req->uid;
  if (d->target_uid != req->uid) pw = lookup_uid(d->target_uid, &why);
  if (!pw) return refuse(d, EXEC_ERROR, why);
  d->target_gid = d->policy.has_gid ? d->policy.gid : pw->pw_gid;
  copyname(d->target_name, sizeof d->target_name, pw->pw_name);
  if (sandbox_ids_lookup(&d->ids, pw->pw_name, d->target_uid, d->target_gid, d->policy.has_gid) < 0)
    return refuse(d, EXEC_ERROR, "unable to read the target's groups");

  if (d->match.exec) {
    if (d->match.exec[0] != '/') return refuse(d, EXEC_DENY, "allow path is not absolute");
    d->path = d->match.exec;
    req->argv[0] = (char *)d->match.exec;   /* as 0.70 */
  } else if (strchr(req->argv[0], '/')) {
    if (req->argv[0][0] != '/') return refuse(d, EXEC_DENY, "relative command path");
    d->path = req->argv[0];
  } else {
    d->path = 0;   /* looked up in SANDBOX_PATH only */
  }

  if (!build_env(d, c, req, pw)) return;
  d->verdict = EXEC_ALLOW;
  d->exitcode = 0;
  d->reason = "allowed by rule";
}

void exec_decision_free(struct exec_decision *d)
{
  /* a recording nobody ended (never the case after exec_run) */
  if (d->record) record_close(d->record, 111 << 8, 0, 0, 0);
  d->record = 0;
  rules_match_free(&d->match);
  sandbox_env_free(&d->env);
}

void exec_warm(void)
{
  gid_t groups[64];
  int n = 64;
  struct passwd *pw = getpwuid(0);
  if (pw) getgrouplist(pw->pw_name, pw->pw_gid, groups, &n);
  endpwent();
  endgrent();
}
