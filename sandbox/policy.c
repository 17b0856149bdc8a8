#include "sandbox_policy.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>


#include "ipcargs.h"
#include "scan.h"

static const char *const knobs[] = {
  "IPCUID", "IPCGID", "IPCERROUT", "IPCCAPS", "IPCSECCOMP", "IPCUMASK",
  "IPCKEEPENV", "IPCTIMEOUT", "IPCARGS", "IPCCLIENTENV", "IPCPTY",
  "IPCRECORD", "IPCRECORDMAX",
};

void sandbox_policy_init(struct sandbox_policy *p)
{
  memset(p, 0, sizeof *p);
  p->seccomp = SANDBOX_SECCOMP_DEFAULT;
  p->umask = SANDBOX_DEFAULT_UMASK;
  p->errout = true;
  p->clientenv = true;
}

bool sandbox_is_knob(const char *name)
{
  for (size_t i = 0; i < sizeof knobs / sizeof *knobs; i++)
    if (!strcmp(name, knobs[i])) return true;
  return false;
}

/* Capability names without their cap_ prefix, by number, as the kernel's
 * <linux/capability.h> and libcap-ng name them (the unit tests compare
 * the two). Our own table: the broker need not link libcap-ng, whose
 * start-up reads /proc for every process. */
static const char *const cap_names[] = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
  "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
  "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
  "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
  "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
  "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};
#define NCAP_NAMES (sizeof cap_names / sizeof *cap_names)

int sandbox_cap_from_name(const char *name)
{
  for (unsigned i = 0; i < NCAP_NAMES; i++)
    if (!strcmp(name, cap_names[i])) return (int)i;
  return -1;
}

const char *sandbox_cap_name(unsigned cap)
{
  return cap < NCAP_NAMES ? cap_names[cap] : 0;
}

unsigned sandbox_cap_last(void)
{
  static unsigned last;
  if (!last) {
    unsigned c = 40;
    /* PR_CAPBSET_READ fails with EINVAL past the last capability. */
    while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0) c++;
    while (c > 0 && prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0) c--;
    last = c;
  }
  return last;
}

bool sandbox_caps_parse(const char *s, uint64_t *caps, bool *all)
{
  char name[64];
  *caps = 0;
  *all = false;
  if (!strcmp(s, "all")) {
    *all = true;
    for (unsigned c = 0; c <= sandbox_cap_last(); c++) *caps |= UINT64_C(1) << c;
    return true;
  }
  if (!*s || !strcmp(s, "none")) return true;
  while (*s) {
    size_t n = strcspn(s, ",");
    const char *nm;
    int cap;
    if (n == 0 || n >= sizeof name) return false;
    memcpy(name, s, n);
    name[n] = 0;
    for (size_t i = 0; i < n; i++) name[i] = (char)tolower((unsigned char)name[i]);
    nm = strncmp(name, "cap_", 4) ? name : name + 4;
    cap = sandbox_cap_from_name(nm);
    if (cap < 0 || cap > 63 || (unsigned)cap > sandbox_cap_last()) return false;
    *caps |= UINT64_C(1) << cap;
    s += n;
    if (*s == ',') {
      s++;
      if (!*s) return false;
    }
  }
  return true;
}

static bool valid_env_name(const char *s, size_t n)
{
  if (n == 0 || n >= 64) return false;
  if (!(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum((unsigned char)s[i]) || s[i] == '_')) return false;
  return true;
}

bool sandbox_record_max_parse(const char *s, uint64_t *out)
{
  size_t n = strlen(s);
  unsigned shift = 0;
  uint64_t v;
  if (n && strchr("KMG", s[n - 1])) {
    shift = s[n - 1] == 'K' ? 10 : s[n - 1] == 'M' ? 20 : 30;
    n--;
  }
  if (!scan_u64n(s, n, SANDBOX_RECORD_MAX >> shift, &v)) return false;
  v <<= shift;
  if (v < SANDBOX_RECORD_MIN) return false;
  *out = v;
  return true;
}

/* IPCRECORD's directory: absolute, no "." or ".." component, no empty
 * one, no trailing slash, printable ASCII without spaces or quotes (it is
 * named in audit lines), bounded. Whether it is a root-owned directory
 * nobody else may write is checked when a request opens a recording. */
static bool record_dir_ok(const char *s)
{
  size_t n = strlen(s);
  if (n < 2 || n > SANDBOX_RECORD_PATH_MAX || s[0] != '/' || s[n - 1] == '/') return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '\'') return false;
    if (c == '/') {
      const char *next = s + i + 1;
      size_t len = strcspn(next, "/");
      if (len == 0 || (len == 1 && next[0] == '.') || (len == 2 && next[0] == '.' && next[1] == '.'))
        return false;
    }
  }
  return true;
}

int sandbox_policy_set(struct sandbox_policy *p, const char *name,
    const char *value, const char **why)
{
  uint64_t v;

  if (!strcmp(name, "IPCUID")) {
    if (!scan_id(value, &p->uid)) { *why = "invalid IPCUID"; return -1; }
    p->has_uid = true;
  } else if (!strcmp(name, "IPCGID")) {
    if (!scan_id(value, &p->gid)) { *why = "invalid IPCGID"; return -1; }
    p->has_gid = true;
  } else if (!strcmp(name, "IPCERROUT")) {
    /* 0.70 read any number; nonzero meant on. Canonical decimal only. */
    if (!scan_u64(value, UINT32_MAX, &v)) { *why = "invalid IPCERROUT"; return -1; }
    p->errout = v != 0;
  } else if (!strcmp(name, "IPCCAPS")) {
    if (!sandbox_caps_parse(value, &p->caps, &p->caps_all)) { *why = "invalid IPCCAPS"; return -1; }
  } else if (!strcmp(name, "IPCSECCOMP")) {
    if (!strcmp(value, "default")) p->seccomp = SANDBOX_SECCOMP_DEFAULT;
    else if (!strcmp(value, "strict")) p->seccomp = SANDBOX_SECCOMP_STRICT;
    else if (!strcmp(value, "none")) p->seccomp = SANDBOX_SECCOMP_NONE;
    else { *why = "invalid IPCSECCOMP"; return -1; }
  } else if (!strcmp(name, "IPCUMASK")) {
    if (!scan_umask(value, &p->umask)) { *why = "invalid IPCUMASK"; return -1; }
  } else if (!strcmp(name, "IPCTIMEOUT")) {
    if (!scan_u64(value, SANDBOX_MAX_TIMEOUT, &v)) { *why = "invalid IPCTIMEOUT"; return -1; }
    p->timeout = (unsigned)v;
  } else if (!strcmp(name, "IPCCLIENTENV")) {
    if (strcmp(value, "0") && strcmp(value, "1")) { *why = "invalid IPCCLIENTENV"; return -1; }
    p->clientenv = value[0] == '1';
  } else if (!strcmp(name, "IPCPTY")) {
    if (strcmp(value, "0") && strcmp(value, "1")) { *why = "invalid IPCPTY"; return -1; }
    p->pty = value[0] == '1' ? SANDBOX_PTY_REQUIRE : SANDBOX_PTY_FORBID;
  } else if (!strcmp(name, "IPCRECORD")) {
    if (!record_dir_ok(value)) { *why = "invalid IPCRECORD"; return -1; }
    p->record = value;
  } else if (!strcmp(name, "IPCRECORDMAX")) {
    if (!sandbox_record_max_parse(value, &p->record_max)) { *why = "invalid IPCRECORDMAX"; return -1; }
  } else if (!strcmp(name, "IPCARGS")) {
    if (!ipcargs_valid(value, strlen(value), why)) { *why = "invalid IPCARGS"; return -1; }
    p->has_args = true;
    p->args = value;
  } else if (!strcmp(name, "IPCKEEPENV")) {
    const char *s = value;
    p->nkeepenv = 0;
    while (*s) {
      size_t n = strcspn(s, ",");
      if (!valid_env_name(s, n) || p->nkeepenv == SANDBOX_MAX_KEEPENV) {
        *why = "invalid IPCKEEPENV";
        return -1;
      }
      memcpy(p->keepenv[p->nkeepenv], s, n);
      p->keepenv[p->nkeepenv][n] = 0;
      p->nkeepenv++;
      s += n;
      if (*s == ',' && !*++s) { *why = "invalid IPCKEEPENV"; return -1; }
    }
  } else {
    return 0;
  }
  return 1;
}

const char *sandbox_seccomp_name(enum sandbox_seccomp s)
{
  switch (s) {
    case SANDBOX_SECCOMP_DEFAULT: return "default";
    case SANDBOX_SECCOMP_STRICT: return "strict";
    case SANDBOX_SECCOMP_NONE: return "none";
  }
  return "?";
}

void sandbox_policy_describe(const struct sandbox_policy *p, FILE *out)
{
  fputs("sandbox capabilities: ", out);
  if (p->caps_all) {
    fputs("all", out);
  } else if (!p->caps) {
    fputs("none", out);
  } else {
    const char *sep = "";
    for (unsigned c = 0; c < 64; c++)
      if (p->caps & (UINT64_C(1) << c)) {
        const char *n = sandbox_cap_name(c);
        fprintf(out, "%scap_%s", sep, n ? n : "?");
        sep = ",";
      }
  }
  fprintf(out, "\nsandbox seccomp: %s\n", sandbox_seccomp_name(p->seccomp));
  fprintf(out, "sandbox no_new_privs: yes\n");
  fprintf(out, "sandbox umask: %04o\n", p->umask);
  if (p->timeout) fprintf(out, "sandbox timeout: %us\n", p->timeout);
  else fputs("sandbox timeout: none\n", out);
  if (p->has_args) fprintf(out, "arguments allowed: %s\n", p->args);
  else fputs("arguments allowed: any\n", out);
  fputs("sandbox keep environment:", out);
  if (!p->nkeepenv) fputs(" none", out);
  for (size_t i = 0; i < p->nkeepenv; i++) fprintf(out, "%s%s", i ? "," : " ", p->keepenv[i]);
  fprintf(out, "\nclient environment: %s", p->clientenv ? "TERM,COLORTERM,LANG,LANGUAGE,LC_* (checked)" : "none");
  fprintf(out, "\nsandbox stderr: %s\n", p->errout ? "to the client" : "to the service log");
  fprintf(out, "terminal: %s\n", p->pty == SANDBOX_PTY_FORBID ? "never a pty (the caller's terminal itself)"
      : p->pty == SANDBOX_PTY_REQUIRE ? "a pty, required (denied without a terminal)"
      : "a pty when the caller has a terminal");
  if (p->record) {
    fprintf(out, "recording: into %s, ", p->record);
    if (p->record_max) fprintf(out, "at most %llu bytes\n", (unsigned long long)p->record_max);
    else fputs("at most the broker's cap (IPCRECORDMAX, default 64M)\n", out);
  } else {
    fputs("recording: none\n", out);
  }
}
