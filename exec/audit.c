#include "audit.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "logsafe.h"
#include "scan.h"

static void cat(struct audit *a, const char *s, size_t len)
{
  size_t room = sizeof a->s - 1 - a->n;   /* one byte kept for '\n' */
  if (len > room) len = room;
  memcpy(a->s + a->n, s, len);
  a->n += len;
}

static void cats(struct audit *a, const char *s)
{
  cat(a, s, strlen(s));
}

static void catnum(struct audit *a, uint64_t u)
{
  char num[21];
  cat(a, num, fmt_u64(num, u));
}

static char reqid[48];

void audit_set_request(uint64_t pid, uint64_t seq)
{
  size_t n = fmt_u64(reqid, pid);
  reqid[n++] = '.';
  fmt_u64(reqid + n, seq);
}

const char *audit_request_id(void)
{
  static char pid[24];
  if (reqid[0]) return reqid;
  fmt_u64(pid, (uint64_t)getpid());
  return pid;
}

void audit_begin(struct audit *a, const char *word, uint32_t euid, uint32_t egid,
    uint32_t uid, const char *cmd)
{
  char safe[128];
  a->n = 0;
  cats(a, "ipcexec: ");
  cats(a, word);
  cats(a, " ");
  catnum(a, euid);
  cats(a, ".");
  catnum(a, egid);
  cats(a, ",");
  catnum(a, uid);
  cats(a, ".");
  cat(a, safe, logsafe(safe, sizeof safe, cmd, strlen(cmd), 100));
  audit_str(a, "req", audit_request_id());
}

void audit_begin_req(struct audit *a, const char *word)
{
  a->n = 0;
  cats(a, "ipcexec: ");
  cats(a, word);
  audit_str(a, "req", audit_request_id());
}

void audit_bytes(struct audit *a, const char *key, const char *value, size_t len, size_t max)
{
  char q[4 * AUDIT_MAX_ARGV + 8];
  size_t room = sizeof a->s - 1 - a->n, need = strlen(key) + 2, size;
  /* A field that cannot be written whole, marked cut if need be, is left
   * out rather than cut in the middle of an escape. */
  if (room < need + 8) return;
  size = room - need + 1;
  if (size > sizeof q) size = sizeof q;
  if (max > AUDIT_MAX_ARGV) max = AUDIT_MAX_ARGV;
  cats(a, " ");
  cats(a, key);
  cats(a, "=");
  cat(a, q, logquote(q, size, value, len, max));
}

void audit_str(struct audit *a, const char *key, const char *value)
{
  audit_bytes(a, key, value, strlen(value), AUDIT_MAX_FIELD);
}

void audit_num(struct audit *a, const char *key, uint64_t value)
{
  cats(a, " ");
  cats(a, key);
  cats(a, "=");
  catnum(a, value);
}

void audit_argv(struct audit *a, const char *key, char *const *argv)
{
  char joined[AUDIT_MAX_ARGV + 1];
  size_t n = 0;
  bool cut = false;
  for (size_t i = 0; argv[i]; i++) {
    size_t l = strlen(argv[i]) + (i ? 1 : 0);
    if (n + l > AUDIT_MAX_ARGV) {
      cut = true;
      l = AUDIT_MAX_ARGV - n;
    }
    if (i && l) {
      joined[n++] = 0;
      l--;
    }
    memcpy(joined + n, argv[i], l);
    n += l;
    if (cut) break;
  }
  /* logquote appends "..." itself when told the input is longer */
  audit_bytes(a, key, joined, cut ? n + 1 : n, n);
}

void audit_emit(struct audit *a)
{
  a->s[a->n++] = '\n';
  fd_write_all(2, a->s, a->n);
  a->n--;
}
