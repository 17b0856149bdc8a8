/* nssprobe caller_uid target_uid: what ipcexec's name-service lookups cost
 * in a fresh process, as ipcexec does them (the caller's name, the target's
 * entry twice, then the target's group list). One tab-separated line of
 * microseconds: first getpwuid, second, third, getgrouplist.
 * The first call pays for reading nsswitch.conf; getgrouplist walks every
 * "group:" source, loading its module (libnss_systemd on Debian) with
 * dlopen. Used by profile.sh; not part of the product. */
#define _GNU_SOURCE
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
  gid_t groups[256];
  int n = 256;
  char name[256];
  struct passwd *pw;
  double t0, t1, t2, t3, t4;

  if (argc != 3) {
    fprintf(stderr, "usage: nssprobe caller_uid target_uid\n");
    return 100;
  }
  t0 = now_us();
  getpwuid((uid_t)strtoul(argv[1], 0, 10));
  t1 = now_us();
  getpwuid((uid_t)strtoul(argv[2], 0, 10));
  t2 = now_us();
  pw = getpwuid((uid_t)strtoul(argv[2], 0, 10));
  t3 = now_us();
  if (!pw) return 111;
  snprintf(name, sizeof name, "%s", pw->pw_name);
  getgrouplist(name, pw->pw_gid, groups, &n);
  t4 = now_us();
  printf("%.1f\t%.1f\t%.1f\t%.1f\n", t1 - t0, t2 - t1, t3 - t2, t4 - t3);
  return 0;
}
