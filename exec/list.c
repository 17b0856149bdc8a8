#include "list.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cdb.h>

#include "audit.h"
#include "buf.h"
#include "clock.h"
#include "die.h"
#include "fd.h"
#include "rules_lookup.h"
#include "sandbox_policy.h"
#include "scan.h"

/* One rule that can apply to the caller: the best (lowest) rank wins for
 * its target and command, as the lookup's key order would decide. */
struct entry {
  bool any;            /* the empty key: any target, any command */
  uint32_t uid;
  unsigned rank;
  char *cmd;
  char *data;
  size_t datalen;
};

/* Reads "L" 1:1, LEN:TARGET, within the deadline, without reading past
 * it. *has_target, *target: the uid filter, if TARGET is not empty. */
static bool read_request(int sock, int timeout_ms, bool *has_target, uint32_t *target)
{
  char buf[32];
  size_t n = 0, commas = 0;
  long long deadline = clock_ms() + timeout_ms;
  while (commas < 2) {
    struct pollfd p = { .fd = sock, .events = POLLIN };
    long long left = deadline - clock_ms();
    ssize_t r;
    if (n == sizeof buf - 1 || left <= 0 || poll(&p, 1, (int)left) <= 0) return false;   /* room for the NUL */
    r = read(sock, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    if (buf[n++] == ',') commas++;
  }
  buf[n] = 0;
  if (strncmp(buf, "L1:1,", 5)) return false;
  {
    const char *s = buf + 5, *colon = strchr(s, ':');
    uint32_t len;
    if (!colon || !scan_idn(s, (size_t)(colon - s), &len)) return false;
    if (strlen(colon + 1) != (size_t)len + 1) return false;
    *has_target = len > 0;
    if (len && !scan_idn(colon + 1, len, target)) return false;
  }
  return true;
}

/* The rank of a key's client part for this caller (the order
 * rules_lookup_exec tries them), or -1 when it is not the caller's. */
static int rank_of(const char *k, size_t n, const struct exec_caller *c)
{
  char want[48];
  uint32_t g;
  if (n == 0) return 3 + (int)c->ngroups;   /* ",UID.CMD": any client */
  snprintf(want, sizeof want, "%lu.%lu", (unsigned long)c->euid, (unsigned long)c->egid);
  if (strlen(want) == n && !memcmp(k, want, n)) return 0;
  snprintf(want, sizeof want, "%lu", (unsigned long)c->euid);
  if (strlen(want) == n && !memcmp(k, want, n)) return 1;
  snprintf(want, sizeof want, ".%lu", (unsigned long)c->egid);
  if (strlen(want) == n && !memcmp(k, want, n)) return 2;
  if (k[0] == '%' && scan_idn(k + 1, n - 1, &g))
    for (size_t i = 0; i < c->ngroups; i++)
      if (c->groups[i] == g) return 3 + (int)i;
  return -1;
}

static int by_target(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  if (x->any != y->any) return x->any ? 1 : -1;
  if (x->uid != y->uid) return x->uid < y->uid ? -1 : 1;
  return strcmp(x->cmd, y->cmd);
}

/* Sends one netstring "LEN:text,"; false when the client is gone. */
static bool send_line(int sock, const char *kind, const char *text)
{
  struct buf b = BUF_ZERO;
  size_t n = strlen(kind) + strlen(text);
  bool ok = buf_catu(&b, n) && buf_cats(&b, ":") && buf_cats(&b, kind) && buf_cats(&b, text) &&
    buf_cats(&b, ",") && fd_write_all(sock, b.s, b.len) == 0;
  buf_free(&b);
  return ok;
}

/* What one rule grants, in the words ipcexecrulescheck uses. */
static void describe(const struct entry *e, char *out, size_t size)
{
  struct rules_match m;
  struct sandbox_policy p;
  char *copy = malloc(e->datalen ? e->datalen : 1);
  const char *why, *target = "?";
  char tname[64] = "any user", caps[32];
  FILE *f;

  memset(&m, 0, sizeof m);
  if (!e->any) {
    struct passwd *pw = getpwuid((uid_t)e->uid);
    snprintf(tname, sizeof tname, "%s (%lu)", pw ? pw->pw_name : "?", (unsigned long)e->uid);
  }
  target = tname;
  if (!copy) {
    snprintf(out, size, "%s %s: (out of memory)", target, e->any ? "any command" : e->cmd);
    return;
  }
  if (e->datalen) memcpy(copy, e->data, e->datalen);
  if (!rules_record_parse(copy, e->datalen, &m)) {
    snprintf(out, size, "as %s: %s: malformed rule (denied)", target, e->any ? "any command" : e->cmd);
    free(copy);
    return;
  }
  if (m.deny) {
    snprintf(out, size, "as %s: %s: deny", target, e->any ? "any command" : e->cmd);
    free(copy);
    return;
  }
  sandbox_policy_init(&p);
  for (size_t i = 0; i < m.nitems; i++)
    if (m.items[i].type == '+' && sandbox_policy_set(&p, m.items[i].name, m.items[i].value, &why) < 0) {
      snprintf(out, size, "as %s: %s: invalid rule (denied: %s)", target, e->any ? "any command" : e->cmd, why);
      free(copy);
      return;
    }
  if (p.caps_all) snprintf(caps, sizeof caps, "all");
  else if (p.caps) snprintf(caps, sizeof caps, "0x%llx", (unsigned long long)p.caps);
  else snprintf(caps, sizeof caps, "none");
  f = fmemopen(out, size, "w");
  if (f) {
    fprintf(f, "as %s: %s: allow, runs %s%s", target, e->any ? "any command" : e->cmd,
        m.exec ? m.exec : (e->any ? "the command" : e->cmd), m.exec ? "" : " from the fixed PATH");
    fprintf(f, ", arguments %s", p.has_args ? (p.args[0] ? p.args : "none") : "any");
    fprintf(f, ", capabilities %s, seccomp %s", caps, sandbox_seccomp_name(p.seccomp));
    if (p.timeout) fprintf(f, ", timeout %us", p.timeout);
    if (p.pty == SANDBOX_PTY_FORBID) fprintf(f, ", never a pty");
    if (p.pty == SANDBOX_PTY_REQUIRE) fprintf(f, ", from a terminal only");
    if (p.has_uid) fprintf(f, ", as uid %lu instead", (unsigned long)p.uid);
    fclose(f);
  }
  out[size - 1] = 0;
  free(copy);
}

int exec_list(int sock, const struct exec_caller *c, const char *rules, int timeout_ms)
{
  struct entry *v = 0;
  size_t n = 0, cap = 0, scanned = 0;
  bool has_target = false, truncated = false, ok = true;
  uint32_t target = 0;
  long long start = clock_ms();
  struct cdb db;
  unsigned pos;
  struct audit a;
  const char *why;
  int fd;

  if (!read_request(sock, timeout_ms, &has_target, &target)) {
    audit_begin(&a, "list", c->euid, c->egid, 0, "");
    audit_str(&a, "decision", "error");
    audit_str(&a, "reason", "bad list request");
    audit_emit(&a);
    send_line(sock, "F", "");
    return 111;
  }
  fd = open(rules, O_RDONLY | O_CLOEXEC);
  why = fd < 0 ? "unable to read rules" : rules_untrusted(fd, geteuid());
  if (!why && cdb_init(&db, fd) < 0) why = "malformed rules";
  if (why) {
    audit_begin(&a, "list", c->euid, c->egid, target, "");
    audit_str(&a, "decision", "error");
    audit_str(&a, "reason", why);
    audit_emit(&a);
    if (fd >= 0) close(fd);
    send_line(sock, "F", "");
    return 111;
  }

  /* Every record is looked at once; only keys that can apply to this
   * caller are kept, at most LIST_MAX_RULES, for at most LIST_MAX_MS. */
  cdb_seqinit(&pos, &db);
  while (cdb_seqnext(&pos, &db) > 0) {
    unsigned klen = cdb_keylen(&db);
    const char *k = cdb_getkey(&db), *comma, *dot;
    size_t client;
    uint32_t uid = 0;
    int rank;
    bool any;
    if (++scanned % 1024 == 0 && clock_ms() - start > LIST_MAX_MS) {
      truncated = true;
      break;
    }
    if (!k) continue;
    any = klen == 0;
    if (any) {
      rank = 4 + (int)c->ngroups;
    } else {
      comma = memchr(k, ',', klen);
      if (!comma) continue;            /* not an exec key */
      client = (size_t)(comma - k);
      dot = memchr(comma + 1, '.', klen - client - 1);
      if (!dot || !scan_idn(comma + 1, (size_t)(dot - comma - 1), &uid)) continue;
      if (has_target && uid != target) continue;
      rank = rank_of(k, client, c);
      if (rank < 0) continue;
    }
    {
      const char *cmd = any ? "" : dot + 1;
      size_t cmdlen = any ? 0 : klen - (size_t)(dot + 1 - k);
      size_t i;
      for (i = 0; i < n; i++)
        if (v[i].any == any && v[i].uid == uid && strlen(v[i].cmd) == cmdlen && !memcmp(v[i].cmd, cmd, cmdlen))
          break;
      if (i < n && v[i].rank <= (unsigned)rank) continue;
      if (i == n) {
        if (n == LIST_MAX_RULES) {
          truncated = true;
          continue;
        }
        if (n == cap) {
          size_t ncap = cap ? cap * 2 : 64;
          struct entry *nv = realloc(v, ncap * sizeof *v);
          if (!nv) { ok = false; break; }
          v = nv;
          cap = ncap;
        }
        memset(&v[n], 0, sizeof v[n]);
        v[n].cmd = strndup(cmd, cmdlen);
        if (!v[n].cmd) { ok = false; break; }
        n++;
      }
      free(v[i].data);
      v[i].any = any;
      v[i].uid = uid;
      v[i].rank = (unsigned)rank;
      v[i].datalen = cdb_datalen(&db);
      v[i].data = malloc(v[i].datalen ? v[i].datalen : 1);
      if (!v[i].data || (v[i].datalen && cdb_read(&db, v[i].data, (unsigned)v[i].datalen, cdb_datapos(&db)) < 0)) {
        ok = false;
        break;
      }
    }
  }
  cdb_free(&db);
  close(fd);

  if (ok) {
    char line[1024];
    qsort(v, n, sizeof *v, by_target);
    for (size_t i = 0; i < n && ok; i++) {
      describe(&v[i], line, sizeof line);
      ok = send_line(sock, "l", line);
    }
    if (ok && truncated) ok = send_line(sock, "l", "(more rules than the broker lists: the list is cut)");
    if (ok) ok = send_line(sock, "E", "");
  } else {
    send_line(sock, "F", "");
  }

  audit_begin(&a, "list", c->euid, c->egid, target, "");
  audit_str(&a, "decision", ok ? "list" : "error");
  audit_num(&a, "caller_uid", c->euid);
  audit_num(&a, "caller_gid", c->egid);
  if (c->has_pid) audit_num(&a, "caller_pid", c->pid);
  if (has_target) audit_num(&a, "target_uid", target);
  audit_num(&a, "shown", n);
  audit_num(&a, "scanned", scanned);
  if (truncated) audit_str(&a, "truncated", "yes");
  {
    char dur[32];
    snprintf(dur, sizeof dur, "%lld", clock_ms() - start);
    audit_str(&a, "duration_ms", dur);
  }
  audit_emit(&a);
  for (size_t i = 0; i < n; i++) {
    free(v[i].cmd);
    free(v[i].data);
  }
  free(v);
  return ok ? 0 : 111;
}

bool exec_list_request(int sock, int timeout_ms)
{
  struct pollfd p = { .fd = sock, .events = POLLIN };
  char b;
  ssize_t r;
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  do r = recv(sock, &b, 1, MSG_PEEK);
  while (r < 0 && errno == EINTR);
  return r == 1 && b == 'L';
}
