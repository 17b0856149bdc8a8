#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "die.h"

noreturn void version_print(void)
{
  if (printf("%s %s\n", die_prog, PACKAGE_VERSION) < 0 || fflush(stdout) != 0)
    exit(EXIT_TEMP);
  exit(0);
}

void version_arg(int argc, char **argv)
{
  if (argc != 2 || (strcmp(argv[1], "-V") && strcmp(argv[1], "--version"))) return;
  version_print();
}
