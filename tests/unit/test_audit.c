#include <string.h>

#include <criterion/criterion.h>

#include "audit.h"

Test(audit, prefix_is_the_070_line)
{
  struct audit a;
  audit_begin(&a, "ok", 1000, 100, 0, "ls");
  a.s[a.n] = 0;
  cr_assert(!strncmp(a.s, "ipcexec: ok 1000.100,0.ls req=", 30), "%s", a.s);
}

Test(audit, command_in_prefix_is_log_safe)
{
  struct audit a;
  audit_begin(&a, "deny", 1, 2, 3, "a b:c\n%");
  a.s[a.n] = 0;
  cr_assert(!strncmp(a.s, "ipcexec: deny 1.2,3.a?b?c?? req=", 32), "%s", a.s);
}

Test(audit, fields_cannot_be_split_or_forged)
{
  struct audit a;
  char *argv[] = { "sh", "-c", "x decision=allow\nipcexec: ok", 0 };
  audit_begin(&a, "ok", 1, 2, 3, "sh");
  audit_argv(&a, "argv", argv);
  audit_str(&a, "reason", "two words");
  a.s[a.n] = 0;
  cr_assert_null(strchr(a.s, '\n'));
  cr_assert_not_null(strstr(a.s, " argv=sh\\x00-c\\x00x\\x20decision=allow\\x0aipcexec:\\x20ok"), "%s", a.s);
  cr_assert_not_null(strstr(a.s, " reason=two\\x20words"), "%s", a.s);
  /* exactly one " decision=" could appear only if written by us */
  cr_assert_null(strstr(a.s, " decision="), "%s", a.s);
}

Test(audit, long_argv_is_bounded)
{
  struct audit a;
  static char big[100000];
  char *argv[] = { "cat", big, 0 };
  memset(big, 'x', sizeof big - 1);
  audit_begin(&a, "ok", 1, 2, 3, "cat");
  audit_argv(&a, "argv", argv);
  a.s[a.n] = 0;
  cr_assert_lt(a.n, AUDIT_MAX_LINE);
  cr_assert_not_null(strstr(a.s, "..."), "a cut is marked");
}

Test(audit, numbers)
{
  struct audit a;
  audit_begin(&a, "end", 1, 2, 3, "x");
  audit_num(&a, "caller_uid", 4294967294u);
  a.s[a.n] = 0;
  cr_assert_not_null(strstr(a.s, " caller_uid=4294967294"));
}

Test(audit, a_hostile_argv_cannot_crowd_out_or_break_the_line)
{
  struct audit a;
  static char ctl[3000];
  char *argv[] = { "sh", ctl, 0 };
  memset(ctl, 1, sizeof ctl - 1);
  audit_begin(&a, "ok", 1, 2, 3, "sh");
  audit_str(&a, "decision", "allow");
  audit_str(&a, "seccomp", "default");
  audit_argv(&a, "argv", argv);
  a.s[a.n] = 0;
  cr_assert_lt(a.n, AUDIT_MAX_LINE);
  cr_assert_not_null(strstr(a.s, " seccomp=default "), "%s", a.s);
  cr_assert_eq(strcmp(a.s + a.n - 3, "..."), 0, "the cut is marked at the end");
  /* no escape is cut in half: the text before the dots ends a \x01 */
  cr_assert_eq(strncmp(a.s + a.n - 7, "\\x01", 4), 0, "%s", a.s + a.n - 12);
  /* and a full line leaves out what no longer fits rather than cutting it */
  audit_str(&a, "late", "value");
  a.s[a.n] = 0;
  cr_assert_lt(a.n, AUDIT_MAX_LINE);
}

Test(audit, stderr_line_names_the_request_and_escapes_the_text)
{
  struct audit a;
  const char text[] = "ipcexec: ok 0.0,0.passwd req=1\r";
  audit_set_request(77, 3);
  audit_begin_req(&a, "stderr");
  audit_bytes(&a, "text", text, sizeof text - 1, 512);
  a.s[a.n] = 0;
  cr_assert_str_eq(a.s, "ipcexec: stderr req=77.3 text=ipcexec:\\x20ok\\x200.0,0.passwd\\x20req=1\\x0d");
}
