#include "rules_compile.h"

int main(int argc, char **argv)
{
  return rules_compile_main(RULES_EXEC, argc, argv);
}
