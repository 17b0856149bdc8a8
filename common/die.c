#include "die.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"

const char *die_prog = "ucspi-ipc";
void (*die_cleanup)(void);

void die_init(const char *prog)
{
  die_prog = prog;
}

struct line {
  char s[2048];
  size_t n;
};

static void add(struct line *l, const char *s)
{
  size_t len = strlen(s);
  size_t room = sizeof l->s - 1 - l->n;   /* keep one byte for the newline */
  if (len > room) len = room;
  memcpy(l->s + l->n, s, len);
  l->n += len;
}

/* One write per message, so that concurrent children never interleave
 * within a log line. */
__attribute__((format(printf, 3, 0)))
static void emit(const char *label, int err, const char *fmt, va_list ap)
{
  struct line l = { .n = 0 };
  char msg[1800];

  add(&l, die_prog);
  add(&l, ": ");
  add(&l, label);
  if (fmt) {
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0) msg[0] = 0;
    add(&l, msg);
  }
  if (err) {
    add(&l, ": ");
    add(&l, strerror(err));
  }
  l.s[l.n++] = '\n';
  fd_write_all(2, l.s, l.n);
}

noreturn void die_usage(const char *usage)
{
  struct line l = { .n = 0 };
  if (die_cleanup) die_cleanup();
  add(&l, die_prog);
  add(&l, ": usage: ");
  add(&l, usage);
  l.s[l.n++] = '\n';
  fd_write_all(2, l.s, l.n);
  _exit(EXIT_USAGE);
}

noreturn void die_sys(int code, const char *fmt, ...)
{
  int err = errno;
  va_list ap;
  if (die_cleanup) die_cleanup();
  va_start(ap, fmt);
  emit("fatal: ", err ? err : EIO, fmt, ap);
  va_end(ap);
  _exit(code);
}

noreturn void die_x(int code, const char *fmt, ...)
{
  va_list ap;
  if (die_cleanup) die_cleanup();
  va_start(ap, fmt);
  emit("fatal: ", 0, fmt, ap);
  va_end(ap);
  _exit(code);
}

noreturn void die_nomem(void)
{
  die_x(EXIT_TEMP, "out of memory");
}

void warn_sys(const char *fmt, ...)
{
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  emit("warning: ", err ? err : EIO, fmt, ap);
  va_end(ap);
  errno = err;
}

void warn_x(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  emit("warning: ", 0, fmt, ap);
  va_end(ap);
}

void say(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  emit("", 0, fmt, ap);
  va_end(ap);
}
