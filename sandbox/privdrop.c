#include "sandbox_privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <cap-ng.h>

#include "sandbox_policy.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

int sandbox_ids_lookup(struct sandbox_ids *ids, const char *user, uid_t uid,
    gid_t gid, bool explicit_gid)
{
  int n = SANDBOX_MAX_GROUPS;

  ids->uid = uid;
  ids->gid = gid;
  if (explicit_gid || !user) {
    ids->groups[0] = gid;
    ids->ngroups = 1;
    return 0;
  }
  if (getgrouplist(user, gid, ids->groups, &n) < 0) {
    errno = E2BIG;
    return -1;
  }
  ids->ngroups = (size_t)n;
  return 0;
}

static bool kept(uint64_t keep, unsigned cap)
{
  return cap < 64 && (keep & (UINT64_C(1) << cap));
}

static int cmp_gid(const void *a, const void *b)
{
  gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates in place; returns the new count. */
static size_t uniq_groups(gid_t *g, size_t n)
{
  size_t k = 0;
  qsort(g, n, sizeof *g, cmp_gid);
  for (size_t i = 0; i < n; i++)
    if (!k || g[k - 1] != g[i]) g[k++] = g[i];
  return k;
}

static bool same_groups(gid_t *have, size_t nhave, const gid_t *want, size_t nwant)
{
  gid_t w[SANDBOX_MAX_GROUPS];
  if (nwant > SANDBOX_MAX_GROUPS) return false;
  memcpy(w, want, nwant * sizeof *w);
  nwant = uniq_groups(w, nwant);
  nhave = uniq_groups(have, nhave);
  return nhave == nwant && !memcmp(have, w, nhave * sizeof *w);
}

static int verify(const struct sandbox_ids *ids, uint64_t keep, const char **why)
{
  uid_t r, e, s;
  gid_t rg, eg, sg;
  gid_t groups[SANDBOX_MAX_GROUPS];
  int n;

  if (getresuid(&r, &e, &s) < 0 || r != ids->uid || e != ids->uid || s != ids->uid) {
    *why = "uid verification failed";
    return -1;
  }
  if (getresgid(&rg, &eg, &sg) < 0 || rg != ids->gid || eg != ids->gid || sg != ids->gid) {
    *why = "gid verification failed";
    return -1;
  }
  /* The kernel keeps the list sorted, whatever order setgroups got, and
   * getgrouplist may repeat the primary group: compare as sets. */
  n = getgroups(SANDBOX_MAX_GROUPS, groups);
  if (n < 0 || !same_groups(groups, (size_t)n, ids->groups, ids->ngroups)) {
    *why = "group verification failed";
    return -1;
  }
  /* Regaining root must fail, unless policy deliberately kept the power
   * to switch ids. */
  if (ids->uid != 0 && !kept(keep, CAP_SETUID)) {
    if (setuid(0) == 0 || setresuid((uid_t)-1, 0, (uid_t)-1) == 0) {
      *why = "regained root after dropping it";
      return -1;
    }
  }
  if (ids->gid != 0 && !kept(keep, CAP_SETGID)) {
    if (setgid(0) == 0) {
      *why = "regained gid 0 after dropping it";
      return -1;
    }
  }
  /* Every capability set exactly as policy says, read straight from the
   * kernel (capget, and the bounding and ambient sets by prctl). */
  {
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    uint64_t eff, prm, inh, bnd = 0, amb = 0;
    if (syscall(SYS_capget, &hdr, data) < 0) {
      *why = "unable to read capabilities";
      return -1;
    }
    eff = data[0].effective | (uint64_t)data[1].effective << 32;
    prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
    inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
    for (unsigned c = 0; c <= sandbox_cap_last(); c++) {
      if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) bnd |= UINT64_C(1) << c;
      if (ids->uid != 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
        amb |= UINT64_C(1) << c;
    }
    if (eff != keep || prm != keep || inh != keep || bnd != keep ||
        (ids->uid != 0 && amb != keep)) {
      *why = "capability verification failed";
      return -1;
    }
  }
  return 0;
}

int sandbox_privdrop(const struct sandbox_ids *ids, uint64_t keep, const char **why)
{
  unsigned last = sandbox_cap_last();

  /* The bounding set first, while CAP_SETPCAP is still effective: it is
   * what keeps a root target (or a later execve of a file with capability
   * bits) from getting back what policy did not grant. */
  for (unsigned c = 0; c <= last; c++) {
    if (kept(keep, c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      *why = "unable to drop the bounding set";
      return -1;
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    *why = "unable to clear ambient capabilities";
    return -1;
  }
  if (setgroups(ids->ngroups, ids->groups) < 0) {
    *why = "unable to set groups";
    return -1;
  }
  if (setresgid(ids->gid, ids->gid, ids->gid) < 0) {
    *why = "unable to set gid";
    return -1;
  }
  /* Kept capabilities survive the uid change only with KEEPCAPS. */
  if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
    *why = "unable to keep capabilities";
    return -1;
  }
  if (setresuid(ids->uid, ids->uid, ids->uid) < 0) {
    *why = "unable to set uid";
    return -1;
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    *why = "unable to clear keepcaps";
    return -1;
  }
  /* Effective, permitted and inheritable: exactly the kept ones. */
  capng_clear(CAPNG_SELECT_CAPS);
  for (unsigned c = 0; c <= last; c++)
    if (kept(keep, c) &&
        capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE, c) < 0) {
      *why = "unable to select capabilities";
      return -1;
    }
  if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
    *why = "unable to apply capabilities";
    return -1;
  }
  /* A non-root target loses permitted capabilities at execve unless they
   * are ambient. A root target gets them back from the bounding set. */
  if (ids->uid != 0)
    for (unsigned c = 0; c <= last; c++)
      if (kept(keep, c) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
        *why = "unable to raise ambient capability";
        return -1;
      }
  return verify(ids, keep, why);
}
