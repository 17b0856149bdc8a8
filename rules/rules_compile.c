#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cdb.h>

#include "die.h"
#include "rules_compile.h"
#include "scan.h"
#include "version.h"

static void keep_line(struct rules_compile_error *e, const char *line, size_t len)
{
  while (len && (line[len - 1] == '\n' || line[len - 1] == ' ' || line[len - 1] == '\t'))
    --len;
  if (len > sizeof e->line - 1) len = sizeof e->line - 1;
  memcpy(e->line, line, len);
  e->line[len] = 0;
  /* NUL bytes would cut the message short; show them as '?' */
  for (size_t i = 0; i < len; i++)
    if (!e->line[i]) e->line[i] = '?';
}

static int add_line(struct cdb_make *cm, const struct rules_line *r)
{
  if (!r->range)
    return cdb_make_add(cm, r->key, (unsigned)r->keylen, r->data.s ? r->data.s : "", (unsigned)r->data.len);

  /* The suffix ",UID.CMD" is as long as the line allows, as a plain key is. */
  char *key = malloc(21 + r->suffixlen);
  if (!key) return -1;
  for (uint64_t u = r->lo; u <= r->hi; u++) {
    size_t n = fmt_u64(key, u);
    memcpy(key + n, r->suffix, r->suffixlen);
    if (cdb_make_add(cm, key, (unsigned)(n + r->suffixlen), r->data.s ? r->data.s : "", (unsigned)r->data.len) < 0) {
      free(key);
      return -1;
    }
  }
  free(key);
  return 0;
}

/* Removes tmp only while the name still is the file we created. */
static void unlink_mine(const char *tmp, const struct stat *mine)
{
  struct stat st;
  int err = errno;
  if (lstat(tmp, &st) == 0 && st.st_dev == mine->st_dev && st.st_ino == mine->st_ino)
    unlink(tmp);
  errno = err;
}

enum rules_compile_status rules_compile(enum rules_kind kind, FILE *in,
    const char *cdb, const char *tmp, struct rules_compile_error *e)
{
  struct cdb_make cm;
  struct rules_line r;
  enum rules_compile_status st = RULES_COMPILE_OK;
  char *line = 0;
  size_t cap = 0;
  struct stat mine;
  ssize_t n;
  unsigned long lineno = 0;
  int fd;

  memset(&r, 0, sizeof r);
  e->err = 0;
  e->line[0] = 0;
  e->lineno = 0;
  e->why = 0;

  /* tmp is created here or not at all: O_EXCL refuses a file (or a
   * symlink, which O_EXCL never follows) that someone else put there
   * first, in a directory they can write, to own what we publish. An
   * existing tmp is left alone whoever owns it, a stale one of ours
   * included: removing it by name could remove what is not ours. */
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    e->err = errno;
    return errno == EEXIST ? RULES_COMPILE_EXISTS : RULES_COMPILE_CREATE;
  }
  /* Proof that the file is the one we created: a regular file, ours,
   * one link. */
  if (fstat(fd, &mine) < 0) {
    e->err = errno;
    close(fd);
    return RULES_COMPILE_CREATE;
  }
  if (!S_ISREG(mine.st_mode) || mine.st_uid != geteuid() || mine.st_nlink != 1) {
    e->err = EPERM;
    close(fd);
    return RULES_COMPILE_CREATE;
  }
  if (cdb_make_start(&cm, fd) < 0) {
    e->err = errno;
    st = RULES_COMPILE_WRITE;
    goto fail_fd;
  }

  for (;;) {
    errno = 0;
    n = getline(&line, &cap, in);
    if (n < 0) {
      if (ferror(in)) {
        e->err = errno ? errno : EIO;
        st = errno == ENOMEM ? RULES_COMPILE_NOMEM : RULES_COMPILE_READ;
        goto fail;
      }
      break;
    }
    lineno++;
    switch (rules_parse_line(kind, line, (size_t)n, &r)) {
      case RULES_LINE_IGNORED:
        continue;
      case RULES_LINE_BAD:
        keep_line(e, line, (size_t)n);
        e->lineno = lineno;
        e->why = r.why;
        st = RULES_COMPILE_PARSE;
        goto fail;
      case RULES_LINE_RANGE:
        keep_line(e, line, (size_t)n);
        e->lineno = lineno;
        e->why = r.why;
        st = RULES_COMPILE_RANGE;
        goto fail;
      case RULES_LINE_NOMEM:
        st = RULES_COMPILE_NOMEM;
        goto fail;
      case RULES_LINE_OK:
        rules_warn_line(kind, &r, lineno);
        break;
    }
    if (add_line(&cm, &r) < 0) {
      e->err = errno;
      st = errno == ENOMEM ? RULES_COMPILE_NOMEM : RULES_COMPILE_WRITE;
      goto fail;
    }
  }

  /* The published mode is 0644 whatever the umask: readable by the
   * servers that switch to another uid, writable by us alone. */
  if (cdb_make_finish(&cm) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
    e->err = errno;
    st = RULES_COMPILE_WRITE;
    goto fail_fd;
  }
  if (close(fd) < 0) {
    e->err = errno;
    fd = -1;
    st = RULES_COMPILE_WRITE;
    goto fail_fd;
  }
  fd = -1;
  if (rename(tmp, cdb) < 0) {
    e->err = errno;
    st = RULES_COMPILE_RENAME;
    goto fail_fd;
  }
  free(line);
  buf_free(&r.data);
  buf_free(&r.keybuf);
  return RULES_COMPILE_OK;

fail:
  /* tinycdb has no way to abandon a cdb_make but to finish it; the file is
   * removed below either way. */
  cdb_make_finish(&cm);
fail_fd:
  if (fd >= 0) close(fd);
  unlink_mine(tmp, &mine);
  free(line);
  buf_free(&r.data);
  buf_free(&r.keybuf);
  return st;
}

int rules_compile_main(enum rules_kind kind, int argc, char **argv)
{
  const char *prog = kind == RULES_EXEC ? "ipcexecrules" : "ipcrules";
  struct rules_compile_error e;
  const char *cdb, *tmp;

  const char *usage = kind == RULES_EXEC ? "ipcexecrules [ -q ] rules.cdb rules.tmp" : "ipcrules [ -q ] rules.cdb rules.tmp";
  int opt;

  die_init(prog);
  version_arg(argc, argv);
  opterr = 0;
  while ((opt = getopt(argc, argv, "+q")) != -1) {
    if (opt == 'q') rules_warn_quiet = true;
    else die_usage(usage);
  }
  argv += optind - 1;
  argc -= optind - 1;
  if (argc != 3 || !argv[1][0] || !argv[2][0]) die_usage(usage);
  cdb = argv[1];
  tmp = argv[2];

  switch (rules_compile(kind, stdin, cdb, tmp, &e)) {
    case RULES_COMPILE_OK:
      return 0;
    case RULES_COMPILE_PARSE:
      /* The reason on a line of its own, so that the 0.70 line stays as it was. */
      warn_x("line %lu: %s", e.lineno, e.why ? e.why : "syntax error");
      die_x(EXIT_PERM, "unable to parse this line: %s", e.line);
    case RULES_COMPILE_RANGE:
      warn_x("line %lu: %s", e.lineno, e.why ? e.why : "range too large");
      die_x(EXIT_PERM, "unable to parse this line: %s: range covers more than %d uids", e.line, RULES_MAX_RANGE);
    case RULES_COMPILE_READ:
      errno = e.err;
      die_sys(EXIT_TEMP, "unable to read input");
    case RULES_COMPILE_EXISTS:
      die_x(EXIT_TEMP, "unable to create %s: %s (left alone: remove it if an interrupted run left it, then run again)",
          tmp, strerror(e.err));
    case RULES_COMPILE_CREATE:
      errno = e.err;
      die_sys(EXIT_TEMP, "unable to create %s", tmp);
    case RULES_COMPILE_WRITE:
      errno = e.err;
      die_sys(EXIT_TEMP, "unable to write to %s", tmp);
    case RULES_COMPILE_RENAME:
      errno = e.err;
      die_sys(EXIT_TEMP, "unable to move %s to %s", tmp, cdb);
    case RULES_COMPILE_NOMEM:
      die_nomem();
  }
  return EXIT_TEMP;
}
