#include "sandbox_privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

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

/* The kernel's own record of the capability sets, in one call. */
struct capsets {
  uint64_t eff, prm, inh;
};

static int caps_get(struct capsets *c)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
  if (syscall(SYS_capget, &hdr, data) < 0) return -1;
  c->eff = data[0].effective | (uint64_t)data[1].effective << 32;
  c->prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
  c->inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
  return 0;
}

/* Effective, permitted and inheritable set at once, by capset itself: no
 * library state, no /proc, safe in a child that shares its parent's
 * memory until it execs. */
static int caps_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2] = {
    { (uint32_t)eff, (uint32_t)prm, (uint32_t)inh },
    { (uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32) },
  };
  return (int)syscall(SYS_capset, &hdr, data);
}

/* Set by sandbox_bset_clear, in a long-lived parent: the bounding set of
 * this process, and so of every process it forks, is verified empty. The
 * kernel never lets a bounding set grow again, so there is nothing left
 * to drop or to read back per request. */
static bool bset_empty;

static int bset_drop_all(const char **why)
{
  for (unsigned c = 0; c <= sandbox_cap_last(); c++)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
      *why = "unable to drop the bounding set";
      return -1;
    }
  return 0;
}

static int bset_check_empty(const char **why)
{
  for (unsigned c = 0; c <= sandbox_cap_last(); c++)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0) {
      *why = "capability verification failed";
      return -1;
    }
  return 0;
}

/* Kept capabilities reach the command through the inheritable set (and
 * the ambient set, made of it, for a non-root target); the kernel only
 * lets the inheritable set grow within the bounding set, so it takes
 * everything this process may keep before the bounding set goes. */
static int inh_raise(const char **why)
{
  struct capsets c;
  if (caps_get(&c) < 0 || caps_set(c.eff, c.prm, c.prm) < 0) {
    *why = "unable to set inheritable capabilities";
    return -1;
  }
  return 0;
}

int sandbox_bset_clear(const char **why)
{
  if (inh_raise(why) < 0 || bset_drop_all(why) < 0 || bset_check_empty(why) < 0) return -1;
  bset_empty = true;
  return 0;
}

/* Raw system calls for the id changes: glibc's wrappers would signal
 * every thread of the process, and in a child that shares its parent's
 * memory those are the parent's threads, not this process's. */
static int set_groups(size_t n, const gid_t *g)
{
  return (int)syscall(SYS_setgroups, n, g);
}

static int set_resgid(gid_t gid)
{
  return (int)syscall(SYS_setresgid, gid, gid, gid);
}

static int set_resuid(uid_t r, uid_t e, uid_t s)
{
  return (int)syscall(SYS_setresuid, r, e, s);
}

static int verify(const struct sandbox_ids *ids, uint64_t keep, const char **why)
{
  uid_t r, e, s;
  gid_t rg, eg, sg;
  gid_t groups[SANDBOX_MAX_GROUPS];
  struct capsets c;
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
    if (set_resuid(0, 0, 0) == 0 || set_resuid((uid_t)-1, 0, (uid_t)-1) == 0) {
      *why = "regained root after dropping it";
      return -1;
    }
  }
  if (ids->gid != 0 && !kept(keep, CAP_SETGID)) {
    if (set_resgid(0) == 0) {
      *why = "regained gid 0 after dropping it";
      return -1;
    }
  }
  /* Every capability set exactly as policy says, read straight from the
   * kernel: capget for three of them; the bounding set by prctl, unless
   * a parent verified it empty already (it cannot have grown since). The
   * ambient set is always within permitted and inheritable, so with those
   * equal to keep only the kept bits need reading. */
  if (caps_get(&c) < 0) {
    *why = "unable to read capabilities";
    return -1;
  }
  if (c.eff != keep || c.prm != keep || c.inh != keep) {
    *why = "capability verification failed";
    return -1;
  }
  if (!bset_empty && bset_check_empty(why) < 0) return -1;
  if (ids->uid != 0)
    for (unsigned cap = 0; cap <= sandbox_cap_last(); cap++)
      if (kept(keep, cap) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) != 1) {
        *why = "capability verification failed";
        return -1;
      }
  return 0;
}

int sandbox_privdrop(const struct sandbox_ids *ids, uint64_t keep, const char **why)
{
  unsigned last = sandbox_cap_last();

  /* The bounding set first, while CAP_SETPCAP is still effective: empty,
   * it is what keeps a root target (or a later execve of a file with
   * capability bits) from getting back anything at all. A long-lived
   * broker did this once for all its children (sandbox_bset_clear). */
  if (!bset_empty && (inh_raise(why) < 0 || bset_drop_all(why) < 0)) return -1;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    *why = "unable to clear ambient capabilities";
    return -1;
  }
  if (set_groups(ids->ngroups, ids->groups) < 0) {
    *why = "unable to set groups";
    return -1;
  }
  if (set_resgid(ids->gid) < 0) {
    *why = "unable to set gid";
    return -1;
  }
  /* Kept capabilities survive the uid change only with KEEPCAPS. */
  if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
    *why = "unable to keep capabilities";
    return -1;
  }
  if (set_resuid(ids->uid, ids->uid, ids->uid) < 0) {
    *why = "unable to set uid";
    return -1;
  }
  if (keep && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
    *why = "unable to clear keepcaps";
    return -1;
  }
  /* Effective, permitted and inheritable: exactly the kept ones (a
   * non-root target has none left at all unless KEEPCAPS kept them). */
  if (caps_set(keep, keep, keep) < 0) {
    *why = "unable to apply capabilities";
    return -1;
  }
  /* A non-root target loses permitted capabilities at execve unless they
   * are ambient. A root target gets them back from the inheritable set. */
  if (ids->uid != 0)
    for (unsigned c = 0; c <= last; c++)
      if (kept(keep, c) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
        *why = "unable to raise ambient capability";
        return -1;
      }
  return verify(ids, keep, why);
}
