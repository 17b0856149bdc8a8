#include "recorder.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pty.h"
#include "record.h"

/* Pid numbers come round again, across restarts of the broker too: a
 * file already there under the request's id is never touched (record_open
 * creates with O_EXCL), the next free "ID-N" is taken instead. The end
 * line names the file. */
#define RECORD_TRIES 100

void exec_record_begin(struct exec_decision *d, const struct exec_caller *c,
    const struct request *req)
{
  static char reason[192];
  struct record_meta m;
  unsigned onpty = d->use_pty ? req->pty.mask & 7 : 0;
  const char *why = 0;
  char id[REC_MAX_ID + 1];
  int e;

  if (d->verdict != EXEC_ALLOW || !d->policy.record) return;
  /* A terminal passed as it is would be the command's own, unrecorded:
   * only a pty's is relayed. */
  if (req->extended)
    for (int i = 0; i < 3; i++)
      if (!(onpty & (1u << i)) && req->fds[i] >= 0 && isatty(req->fds[i])) {
        d->verdict = EXEC_DENY;
        d->exitcode = 100;
        d->reason = "a recorded session needs a pty for the terminal";
        return;
      }

  memset(&m, 0, sizeof m);
  m.id = id;
  m.caller_uid = c->euid;
  m.caller_gid = c->egid;
  m.caller_name = d->caller_name[0] ? d->caller_name : 0;
  m.target_name = d->target_name;
  m.target_uid = d->target_uid;
  m.target_gid = d->target_gid;
  m.argv = (const char *const *)req->argv;
  m.cwd = "/";
  if (d->use_pty) {
    m.tty = req->pty.name[0] ? req->pty.name : 0;
    m.rows = req->pty.rows;
    m.cols = req->pty.cols;
  }
  for (int n = 0; n < RECORD_TRIES; n++) {
    if (n) snprintf(id, sizeof id, "%s-%d", audit_request_id(), n);
    else snprintf(id, sizeof id, "%s", audit_request_id());
    d->record = record_open(d->policy.record, &m, d->policy.record_max, &why);
    if (d->record || errno != EEXIST) break;
  }
  if (d->record) return;
  /* Fail closed: no recording, no command. A directory that is not
   * root's alone, or is not there, is the rule's fault (deny); a system
   * error, such as a full disk, is a failure. */
  e = errno;
  if (e == 0 || e == ENOENT || e == ENOTDIR || e == ELOOP || e == EEXIST) {
    d->verdict = EXEC_DENY;
    d->exitcode = 100;
  } else {
    d->verdict = EXEC_ERROR;
    d->exitcode = 111;
  }
  if (e) snprintf(reason, sizeof reason, "%s: %s", why, strerror(e));
  else snprintf(reason, sizeof reason, "%s", why);
  d->reason = reason;
}

unsigned exec_record_tap_mask(const struct exec_decision *d, const struct request *req)
{
  if (!d->record) return 0;
  /* 0.70: the socket is stdin and stdout, and stderr unless IPCERROUT="0"
   * sends it to the log (which the supervisor reads, and records, already). */
  if (!req->extended) return d->policy.errout ? 7 : 3;
  /* Attached: the outputs not on the pty. Stdin that is not a terminal
   * is passed as it is and not recorded. */
  return 6 & ~(d->use_pty ? req->pty.mask & 7 : 0);
}

static void told(struct exec_decision *d)
{
  struct audit a;
  int err = record_error(d->record);
  if (d->record_error_told || (!err && !record_truncated(d->record))) return;
  d->record_error_told = true;
  audit_begin_req(&a, "record");
  audit_str(&a, "record", record_name(d->record));
  if (err) audit_str(&a, "record_error", strerror(err));
  else audit_str(&a, "record_truncated", "yes");
  audit_emit(&a);
}

void exec_record_data(void *ctx, int stream, const void *buf, size_t n)
{
  struct exec_decision *d = ctx;
  enum rec_stream s;
  switch (stream) {
    case 0: s = REC_STDIN; break;
    case 1: s = REC_STDOUT; break;
    case 2: s = REC_STDERR; break;
    case EXEC_STREAM_TTY_IN: s = REC_TTYIN; break;
    case EXEC_STREAM_TTY_OUT: s = REC_TTYOUT; break;
    default: return;
  }
  if (d->record && record_data(d->record, s, buf, n) < 0) told(d);
}

void exec_record_winsize(void *ctx, unsigned rows, unsigned cols, unsigned x, unsigned y)
{
  struct exec_decision *d = ctx;
  (void)x;
  (void)y;
  if (d->record && record_winsize(d->record, rows, cols) < 0) told(d);
}

void exec_record_end(struct exec_decision *d, int wstatus, struct audit *a)
{
  unsigned long long size;
  int truncated, err;
  char name[REC_MAX_ID + 1];
  if (!d->record) return;
  snprintf(name, sizeof name, "%s", record_name(d->record));
  record_close(d->record, wstatus, &size, &truncated, &err);
  d->record = 0;
  audit_str(a, "record", name);
  audit_num(a, "record_bytes", size);
  if (truncated) audit_str(a, "record_truncated", "yes");
  if (err) audit_str(a, "record_error", strerror(err));
}
