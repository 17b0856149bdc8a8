#include <string.h>

#include <criterion/criterion.h>

#include "logsafe.h"

Test(logsafe, replaces_like_070)
{
  char out[64];
  const char in[] = "a b:c%d\n\x7f\x80z";
  size_t n = logsafe(out, sizeof out, in, sizeof in - 1, 100);
  cr_assert_str_eq(out, "a?b?c?d???z");
  cr_assert_eq(n, strlen(out));
}

Test(logsafe, cuts_long_values)
{
  char out[64];
  size_t n = logsafe(out, sizeof out, "abcdefghij", 10, 4);
  cr_assert_str_eq(out, "abcd...");
  cr_assert_eq(n, 7);
}

Test(logsafe, never_overflows)
{
  char out[5];
  logsafe(out, sizeof out, "abcdefghij", 10, 100);
  cr_assert_eq(strlen(out), 4);
}

Test(logquote, escapes_everything_that_could_split_a_field)
{
  char out[128];
  const char in[] = "a b\"c\\d\ne=\x01";
  logquote(out, sizeof out, in, sizeof in - 1, 100);
  cr_assert_str_eq(out, "a\\x20b\\\"c\\\\d\\x0ae=\\x01");
  cr_assert_null(strchr(out, ' '));
  cr_assert_null(strchr(out, '\n'));
}

Test(logquote, cuts_and_marks)
{
  char out[128];
  logquote(out, sizeof out, "aaaaaaaaaa", 10, 3);
  cr_assert_str_eq(out, "aaa...");
}
