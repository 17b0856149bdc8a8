#include <criterion/criterion.h>
#include <stdbool.h>

#include "pwfile.h"

Test(pwfile, parses_an_entry)
{
  struct pwfile_entry e;
  cr_assert(pwfile_parse("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", &e));
  cr_assert_str_eq(e.name, "nobody");
  cr_assert_eq(e.uid, 65534);
  cr_assert_eq(e.gid, 65534);
  cr_assert_str_eq(e.shell, "/usr/sbin/nologin");
  cr_assert(pwfile_parse("a::0:0:::", &e), "empty fields");
  cr_assert_str_eq(e.shell, "");
}

Test(pwfile, refuses_what_is_no_entry)
{
  struct pwfile_entry e;
  cr_assert_not(pwfile_parse("", &e));
  cr_assert_not(pwfile_parse("+@netgroup::::::", &e), "NIS compat");
  cr_assert_not(pwfile_parse("-bob::::::", &e));
  cr_assert_not(pwfile_parse(":x:1:1::/:/bin/sh", &e), "no name");
  cr_assert_not(pwfile_parse("u:x:01:1::/:/bin/sh", &e), "non-canonical uid");
  cr_assert_not(pwfile_parse("u:x:4294967295:1::/:/bin/sh", &e), "uid -1");
  cr_assert_not(pwfile_parse("u:x:1", &e), "truncated");
}

Test(pwfile, finds_root_in_etc_passwd)
{
  struct pwfile_entry e;
  cr_assert_eq(pwfile_byname("root", &e), 1);
  cr_assert_eq(e.uid, 0);
  cr_assert_eq(pwfile_byuid(0, &e), 1);
  cr_assert_str_eq(e.name, "root");
  cr_assert_eq(pwfile_byname("no-such-user-anywhere-here", &e), 0, "getent says not found");
}
