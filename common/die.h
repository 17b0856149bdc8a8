/* Messages and exits shared by every program.
 *
 * djb/ucspi convention: exit 100 for usage errors and permanent refusals,
 * 111 for temporary or system failures. Messages are one line on stderr:
 *   PROG: usage: ...      PROG: fatal: WHAT: REASON      PROG: warning: ...
 */
#ifndef COMMON_DIE_H
#define COMMON_DIE_H

#include <stdarg.h>
#include <stdnoreturn.h>

#define EXIT_USAGE 100
#define EXIT_PERM 100
#define EXIT_TEMP 111

extern const char *die_prog;

/* Called, if set, before a fatal message is written (die_usage, die_sys,
 * die_x): ipcdo puts its caller's terminal back there. Must be
 * async-signal-safe and keep errno. */
extern void (*die_cleanup)(void);

/* Sets the PROG prefix; call first thing in main. */
void die_init(const char *prog);

noreturn void die_usage(const char *usage);
/* "PROG: fatal: MSG: strerror(errno)" */
noreturn void die_sys(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "PROG: fatal: MSG" */
noreturn void die_x(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void die_nomem(void);
void warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_x(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line "PROG: MSG" with no label, for status and log lines. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
