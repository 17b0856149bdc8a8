#include <criterion/criterion.h>

#include "scan.h"

Test(scan, canonical_ids)
{
  uint32_t id = 7;
  cr_assert(scan_id("0", &id));
  cr_assert_eq(id, 0);
  cr_assert(scan_id("4294967294", &id));
  cr_assert_eq(id, 4294967294u);
  cr_assert(scan_id("65534", &id));
  cr_assert_eq(id, 65534);
}

Test(scan, refuses_non_canonical)
{
  uint32_t id = 7;
  const char *bad[] = { "", "-1", "+1", "01", "00", " 1", "1 ", "1a", "0x10",
    "4294967295", "4294967296", "18446744073709551616", "99999999999999999999999", "root" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    cr_assert_not(scan_id(bad[i], &id), "accepted \"%s\"", bad[i]);
  cr_assert_eq(id, 7, "a refused number must not change the output");
  cr_assert_not(scan_id(NULL, &id));
}

Test(scan, bounded_u64)
{
  uint64_t v;
  cr_assert(scan_u64("18446744073709551615", UINT64_MAX, &v));
  cr_assert_eq(v, UINT64_MAX);
  cr_assert_not(scan_u64("18446744073709551616", UINT64_MAX, &v));
  cr_assert(scan_u64n("12345", 3, 1000, &v));
  cr_assert_eq(v, 123);
  cr_assert_not(scan_u64("1001", 1000, &v));
}

Test(scan, umask)
{
  unsigned m;
  cr_assert(scan_umask("022", &m));
  cr_assert_eq(m, 022);
  cr_assert(scan_umask("0777", &m));
  cr_assert_eq(m, 0777);
  cr_assert_not(scan_umask("8", &m));
  cr_assert_not(scan_umask("01777", &m));
  cr_assert_not(scan_umask("", &m));
  cr_assert_not(scan_umask("00000", &m));
}

Test(scan, fmt_u64_roundtrip)
{
  char buf[21];
  cr_assert_eq(fmt_u64(buf, 0), 1);
  cr_assert_str_eq(buf, "0");
  cr_assert_eq(fmt_u64(buf, UINT64_MAX), 20);
  cr_assert_str_eq(buf, "18446744073709551615");
}

Test(scan, groups_ascending_canonical)
{
  uint32_t g[4];
  size_t n = 0;
  cr_assert(scan_groups("0", g, 4, &n));
  cr_assert_eq(n, 1);
  cr_assert(scan_groups("4,27,4294967294", g, 4, &n));
  cr_assert_eq(n, 3);
  cr_assert_eq(g[2], 4294967294u);
  cr_assert_not(scan_groups("", g, 4, &n));
  cr_assert_not(scan_groups("27,4", g, 4, &n), "descending");
  cr_assert_not(scan_groups("4,4", g, 4, &n), "repeated");
  cr_assert_not(scan_groups("4,", g, 4, &n));
  cr_assert_not(scan_groups(",4", g, 4, &n));
  cr_assert_not(scan_groups("04", g, 4, &n));
  cr_assert_not(scan_groups("1,2,3,4,5", g, 4, &n), "over the limit");
  cr_assert_not(scan_groups("4294967295", g, 4, &n), "(gid_t)-1");
}
