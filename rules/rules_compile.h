/* Text rules -> cdb. Linked by ipcrules and ipcexecrules only: the
 * root-running ipcexec links rules_lookup, never this parser. */
#ifndef RULES_COMPILE_H
#define RULES_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

/* A range LO-HI may expand to at most this many keys. */
#define RULES_MAX_RANGE 100000

enum rules_kind { RULES_CONN = 0, RULES_EXEC = 1 };

enum rules_line_status {
  RULES_LINE_IGNORED = 0,   /* comment, blank, or no ':' */
  RULES_LINE_OK = 1,
  RULES_LINE_BAD = 2,       /* unable to parse this line */
  RULES_LINE_RANGE = 3,     /* a range over RULES_MAX_RANGE keys */
  RULES_LINE_NOMEM = 4,
};

/* One parsed line. key and suffix point into the caller's line, or into
 * keybuf when a user or group name in the key was resolved. */
struct rules_line {
  const char *key;          /* the whole key, when not a range */
  size_t keylen;
  bool range;
  uint32_t lo, hi;          /* client uid range, when range */
  const char *suffix;       /* what follows the range: "" or ",UID.CMD" */
  size_t suffixlen;
  struct buf data;          /* compiled record: D\0, +VAR=value\0, =path\0 */
  struct buf keybuf;        /* the key with names made numbers, when it had any */
  const char *why;          /* for RULES_LINE_BAD and _RANGE: the reason */
};

/* Parses one line (without its newline; trailing blanks are stripped here).
 * data and keybuf are reset and refilled; free both with buf_free when
 * done. */
enum rules_line_status rules_parse_line(enum rules_kind kind, const char *line,
    size_t len, struct rules_line *out);

enum rules_compile_status {
  RULES_COMPILE_OK = 0,
  RULES_COMPILE_PARSE,      /* err->line holds the line */
  RULES_COMPILE_RANGE,      /* err->line holds the line */
  RULES_COMPILE_READ,       /* reading the input failed: errno in err->err */
  RULES_COMPILE_CREATE,     /* creating tmp failed */
  RULES_COMPILE_EXISTS,     /* tmp exists (any file or symlink): left alone */
  RULES_COMPILE_WRITE,      /* writing or syncing tmp failed */
  RULES_COMPILE_RENAME,     /* moving tmp over cdb failed */
  RULES_COMPILE_NOMEM,
};

struct rules_compile_error {
  int err;                  /* errno for the I/O cases */
  unsigned long lineno;     /* PARSE, RANGE: the line's number, from 1 */
  const char *why;          /* PARSE, RANGE: the reason (static text) */
  char line[1024];          /* the offending line, NUL-terminated, cut */
};

/* Reads rules from in, writes the cdb to tmp, fsyncs it and renames it over
 * cdb, mode 0644. tmp must not exist: it is created exclusively (never
 * through a symlink) and an existing one is refused and left alone. On any
 * later failure the tmp we created is removed and cdb is left as it was. */
enum rules_compile_status rules_compile(enum rules_kind kind, FILE *in,
    const char *cdb, const char *tmp, struct rules_compile_error *e);

/* Warnings for an exec rule that compiles but is dangerous (rules_warn.c):
 * one "PROG: warning: line N: ..." each on stderr, none when
 * rules_warn_quiet. */
extern bool rules_warn_quiet;
void rules_warn_line(enum rules_kind kind, const struct rules_line *r, unsigned long lineno);

/* The whole of ipcrules / ipcexecrules: usage, messages, exit codes. */
int rules_compile_main(enum rules_kind kind, int argc, char **argv);

#endif
