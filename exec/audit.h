/* The audit trail: one line per request on stderr (the service's log),
 * and one more when an allowed command ends.
 *
 *   ipcexec: ok 1000.1000,0.ls req=812 decision=allow caller_uid=1000 ...
 *   ipcexec: end 1000.1000,0.ls req=812 status=exit:0 duration_ms=3.214 leftovers=0
 *   ipcexec: stderr req=812 text=...   (IPCERROUT="0": the command's stderr)
 *
 * The first words are the 0.70 line ("ipcexec: ok|deny EUID.EGID,UID.CMD",
 * CMD made log-safe), so existing log readers still match; after them come
 * key=value fields whose values never contain a space, a quote or a
 * control character (see logquote). */
#ifndef EXEC_AUDIT_H
#define EXEC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_MAX_LINE 4096
#define AUDIT_MAX_ARGV 1024   /* bytes of argv shown before "..." */
#define AUDIT_MAX_FIELD 256

struct audit {
  char s[AUDIT_MAX_LINE];
  size_t n;
};

/* Names the request in every line: req=PID, or req=PID.SEQ once set (a
 * preforked server handles many requests in one process). */
void audit_set_request(uint64_t pid, uint64_t seq);

/* The request's id as the lines name it ("812", "812.3"). */
const char *audit_request_id(void);

/* Starts a line: "ipcexec: WORD EUID.EGID,UID.CMD req=ID". */
void audit_begin(struct audit *a, const char *word, uint32_t euid, uint32_t egid,
    uint32_t uid, const char *cmd);
/* Starts a line about the request without naming it again:
 * "ipcexec: WORD req=ID" (the command's stderr lines). */
void audit_begin_req(struct audit *a, const char *word);
void audit_str(struct audit *a, const char *key, const char *value);
/* value of len bytes, escaped, cut at max. */
void audit_bytes(struct audit *a, const char *key, const char *value, size_t len, size_t max);
void audit_num(struct audit *a, const char *key, uint64_t value);
/* argv joined by NULs, escaped (so "\x00" separates arguments). */
void audit_argv(struct audit *a, const char *key, char *const *argv);
/* Writes the line (with its newline) to fd 2 in one write. */
void audit_emit(struct audit *a);

#endif
