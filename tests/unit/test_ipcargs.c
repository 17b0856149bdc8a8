#include <criterion/criterion.h>
#include <string.h>

#include "ipcargs.h"

static int m(const char *spec, const char *a0, const char *a1, const char *a2)
{
  char *args[3] = { (char *)a0, (char *)a1, (char *)a2 };
  size_t n = a0 ? (a1 ? (a2 ? 3 : 2) : 1) : 0;
  const char *why;
  return ipcargs_match(spec, strlen(spec), args, n, &why);
}

Test(ipcargs, fixed_arguments)
{
  cr_expect_eq(m("restart nginx", "restart", "nginx", 0), 1);
  cr_expect_eq(m("restart nginx", "restart", 0, 0), 0, "too few");
  cr_expect_eq(m("restart nginx", "restart", "nginx", "x"), 0, "too many");
  cr_expect_eq(m("restart nginx", "restart", "apache", 0), 0);
  cr_expect_eq(m("restart nginx", "restart", "nginx2", 0), 0, "a prefix is not a match");
  cr_expect_eq(m("restart nginx", "restart", "ngin", 0), 0);
}

Test(ipcargs, empty_means_none)
{
  cr_expect_eq(m("", 0, 0, 0), 1);
  cr_expect_eq(m("", "x", 0, 0), 0);
  cr_expect_eq(m("", "", 0, 0), 0, "one empty argument is an argument");
}

Test(ipcargs, single_spaces_split)
{
  cr_expect_eq(m("a  b", "a", "", "b"), 1, "two spaces: an empty argument between");
  cr_expect_eq(m("a ", "a", "", 0), 1, "a trailing space: an empty last argument");
  cr_expect_eq(m("a ", "a", 0, 0), 0);
}

Test(ipcargs, escapes)
{
  cr_expect_eq(m("a\\ b", "a b", 0, 0), 1);
  cr_expect_eq(m("a\\ b", "a", "b", 0), 0);
  cr_expect_eq(m("x\\\\y", "x\\y", 0, 0), 1);
  cr_expect_eq(m("\\*", "*", 0, 0), 1, "an escaped star is a star");
  cr_expect_eq(m("\\*", "anything", 0, 0), 0);
  cr_expect_eq(m("\\q", "q", 0, 0), 1, "any character may be escaped");
  cr_expect_eq(m("a*b", "a*b", 0, 0), 1, "a star inside an argument is literal");
  cr_expect_eq(m("a*b", "axb", 0, 0), 0);
}

Test(ipcargs, star_at_the_end)
{
  cr_expect_eq(m("install *", "install", 0, 0), 1, "zero more");
  cr_expect_eq(m("install *", "install", "a", "b"), 1);
  cr_expect_eq(m("install *", "remove", "a", 0), 0);
  cr_expect_eq(m("install *", 0, 0, 0), 0);
  cr_expect_eq(m("*", 0, 0, 0), 1);
  cr_expect_eq(m("*", "x", "y", 0), 1);
}

Test(ipcargs, malformed)
{
  const char *why = 0;
  cr_expect_not(ipcargs_valid("a\\", 2, &why));
  cr_expect_str_eq(why, "a trailing lone backslash");
  cr_expect_not(ipcargs_valid("* a", 3, &why));
  cr_expect_not(ipcargs_valid("a * b", 5, &why));
  cr_expect_eq(m("a\\", "a", 0, 0), -1, "malformed denies even what would match");
  cr_expect_eq(m("x * y", "nope", 0, 0), -1, "malformed is found past a mismatch");
  cr_expect(ipcargs_valid("a\\\\", 3, &why), "an escaped backslash at the end is fine");
  cr_expect(ipcargs_valid("", 0, &why));
}

Test(ipcargs, embedded_nul_in_spec_never_matches_an_argument)
{
  const char spec[] = { 'a', 0, 'b' };
  char *args[1] = { (char *)"a" };
  const char *why;
  cr_expect_eq(ipcargs_match(spec, 3, args, 1, &why), 0);
}
