/* Warnings for exec rules that compile but are dangerous, so that the
 * administrator sees them before a caller does. Only text goes out: a
 * warning changes neither the cdb nor the exit status. */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "die.h"
#include "rules_compile.h"
#include "sandbox_env.h"
#include "scan.h"

bool rules_warn_quiet;

/* Programs that start other programs, or run code their arguments give
 * them: a rule allowing one without IPCARGS allows anything. The one list;
 * ipcexecrules(1) prints it. A name matches with a version suffix too
 * (python3.11, perl5.36). */
static const char *const starters[] = {
  /* shells */
  "sh", "ash", "bash", "busybox", "csh", "dash", "fish", "ksh", "mksh", "rbash", "tcsh", "zsh",
  /* interpreters */
  "awk", "gawk", "lua", "mawk", "nawk", "node", "perl", "php", "python", "ruby", "tclsh", "wish",
  /* editors and pagers */
  "ed", "emacs", "ex", "less", "man", "more", "most", "nano", "nvim", "pager", "vi", "view", "vim",
  /* programs that run a command they are given */
  "chroot", "doas", "env", "find", "flock", "gdb", "git", "ionice", "ipcdo", "ipcrun", "make",
  "nice", "nohup", "nsenter", "rsync", "runuser", "script", "setpriv", "setsid", "ssh", "stdbuf",
  "strace", "su", "sudo", "systemd-run", "tar", "time", "timeout", "unshare", "watch", "xargs",
};

static bool is_starter(const char *path)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  for (size_t i = 0; i < sizeof starters / sizeof *starters; i++) {
    size_t n = strlen(starters[i]);
    if (strncmp(base, starters[i], n)) continue;
    const char *v = base + n;
    while (isdigit((unsigned char)*v) || *v == '.') v++;
    if (!*v) return true;
  }
  return false;
}

__attribute__((format(printf, 2, 3)))
static void warn_line(unsigned long lineno, const char *fmt, ...)
{
  char msg[1200];
  va_list ap;
  if (rules_warn_quiet) return;
  va_start(ap, fmt);
  if (vsnprintf(msg, sizeof msg, fmt, ap) < 0) msg[0] = 0;
  va_end(ap);
  warn_x("line %lu: %s", lineno, msg);
}

/* Is what st describes changeable by anyone but root? Returns the reason
 * or NULL. A sticky directory keeps others from replacing what is in it. */
static const char *not_root_only(const struct stat *st)
{
  if (st->st_uid != 0) return "is owned by a user other than root";
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
    return "is writable by its group or others";
  return 0;
}

/* The program and every directory above it, as named and as resolved. */
static void check_tree(unsigned long lineno, const char *path)
{
  char dir[PATH_MAX];
  struct stat st;
  const char *why;
  size_t n;

  if (stat(path, &st) == 0 && (why = not_root_only(&st)))
    warn_line(lineno, "the program %s %s", path, why);
  n = strlen(path);
  if (n >= sizeof dir) return;
  memcpy(dir, path, n + 1);
  for (;;) {
    char *slash = strrchr(dir, '/');
    if (!slash) return;
    if (slash == dir) slash[1] = 0;
    else *slash = 0;
    if (stat(dir, &st) == 0 && (why = not_root_only(&st)))
      warn_line(lineno, "the program %s lies in %s, which %s", path, dir, why);
    if (!strcmp(dir, "/")) return;
  }
}

/* CMD in "KEY,UID.CMD", or NULL. */
static const char *key_cmd(const struct rules_line *r, char *buf, size_t size)
{
  const char *key = r->range ? r->suffix : r->key;
  size_t len = r->range ? r->suffixlen : r->keylen;
  const char *comma = memchr(key, ',', len), *dot;
  if (!comma) return 0;
  dot = memchr(comma, '.', len - (size_t)(comma - key));
  if (!dot || (size_t)(key + len - dot - 1) >= size || dot + 1 == key + len) return 0;
  memcpy(buf, dot + 1, (size_t)(key + len - dot - 1));
  buf[key + len - dot - 1] = 0;
  return buf;
}

/* The file the broker would run for CMD: itself when it has a slash, else
 * the first executable of that name in the fixed PATH. */
static const char *resolve(const char *cmd, char *buf, size_t size)
{
  const char *p = SANDBOX_PATH;
  if (strchr(cmd, '/')) return cmd[0] == '/' ? cmd : 0;
  while (*p) {
    size_t n = strcspn(p, ":");
    if (n + 1 + strlen(cmd) < size) {
      memcpy(buf, p, n);
      buf[n] = '/';
      strcpy(buf + n + 1, cmd);
      if (access(buf, X_OK) == 0) return buf;
    }
    p += n;
    if (*p == ':') p++;
  }
  return 0;
}

/* The ids a key names that this machine does not know: a %GID without a
 * group is most likely a mistyped id, and a target UID without a passwd
 * entry makes the broker fail every request of the rule. */
static void check_ids(enum rules_kind kind, const struct rules_line *r, unsigned long lineno)
{
  const char *key = r->range ? r->suffix : r->key;
  size_t len = r->range ? r->suffixlen : r->keylen;
  const char *comma = memchr(key, ',', len);
  uint32_t id;

  if (!r->range && len > 1 && key[0] == '%') {
    size_t n = comma ? (size_t)(comma - key) : len;
    if (scan_idn(key + 1, n - 1, &id)) {
      errno = 0;
      if (!getgrgid((gid_t)id) && (errno == 0 || errno == ENOENT || errno == ESRCH))
        warn_line(lineno, "%%%u names no group on this machine", id);
    }
  }
  if (kind == RULES_EXEC && comma) {
    const char *dot = memchr(comma, '.', len - (size_t)(comma - key));
    if (dot && scan_idn(comma + 1, (size_t)(dot - comma - 1), &id)) {
      errno = 0;
      if (!getpwuid((uid_t)id) && (errno == 0 || errno == ENOENT || errno == ESRCH))
        warn_line(lineno, "the target uid %u has no passwd entry: the broker fails every request of this rule", id);
    }
  }
}

void rules_warn_line(enum rules_kind kind, const struct rules_line *r, unsigned long lineno)
{
  const char *allow = 0, *prog, *caps = 0, *seccomp = 0;
  char cmdbuf[1024], pathbuf[PATH_MAX], real[PATH_MAX];
  bool args = false;
  size_t pos = 0;

  if (rules_warn_quiet) return;
  if (r->data.len && r->data.s[0] == 'D') return;
  check_ids(kind, r, lineno);
  if (kind != RULES_EXEC) return;
  while (pos < r->data.len) {
    const char *item = r->data.s + pos;
    if (item[0] == '=') allow = item + 1;
    else if (!strncmp(item, "+IPCARGS=", 9)) args = true;
    else if (!strncmp(item, "+IPCCAPS=", 9)) caps = item + 9;
    else if (!strncmp(item, "+IPCSECCOMP=", 12)) seccomp = item + 12;
    pos += strlen(item) + 1;
  }

  if (allow && allow[0] != '/')
    warn_line(lineno, "allow=\"%s\" is not an absolute path: the broker denies every request of this rule", allow);
  /* The broker's last value of a knob is the one that counts. */
  if (caps && !strcmp(caps, "all"))
    warn_line(lineno, "IPCCAPS=\"all\" keeps every capability: the command can do what root can");
  if (seccomp && !strcmp(seccomp, "none"))
    warn_line(lineno, "IPCSECCOMP=\"none\" turns the system call filter off");

  prog = allow && allow[0] == '/' ? allow : 0;
  if (!allow) {
    const char *cmd = key_cmd(r, cmdbuf, sizeof cmdbuf);
    if (cmd) prog = resolve(cmd, pathbuf, sizeof pathbuf);
  }
  if (!prog) return;
  if (!args && is_starter(prog))
    warn_line(lineno, "%s starts other programs and IPCARGS does not pin its arguments: "
        "the rule allows any command", prog);
  check_tree(lineno, prog);
  if (realpath(prog, real) && strcmp(real, prog)) {
    if (!args && !is_starter(prog) && is_starter(real))
      warn_line(lineno, "%s (%s) starts other programs and IPCARGS does not pin its arguments: "
          "the rule allows any command", prog, real);
    check_tree(lineno, real);
  }
}
