/* -V and --version, the same in every program. */
#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

#include <stdnoreturn.h>

/* When the only argument is -V or --version: prints "PROG VERSION" (the
 * name die_init set, the version meson.build gives) and exits 0, or 111 if
 * it cannot be written. Otherwise returns. Call right after die_init. */
void version_arg(int argc, char **argv);

/* The same, unconditionally: for a program that reads -V among its other
 * options. */
noreturn void version_print(void);

#endif
