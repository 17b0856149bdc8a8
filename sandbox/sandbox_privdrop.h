/* Becoming the target user, with only the capabilities policy keeps. */
#ifndef SANDBOX_PRIVDROP_H
#define SANDBOX_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_MAX_GROUPS 1024

struct sandbox_ids {
  uid_t uid;
  gid_t gid;
  size_t ngroups;
  gid_t groups[SANDBOX_MAX_GROUPS];
};

/* Fills ids->groups from the group database (the NSS work, done before
 * anything the caller could influence and before fork). With an explicit
 * gid (IPCGID) the supplementary groups are just that gid. */
int sandbox_ids_lookup(struct sandbox_ids *ids, const char *user, uid_t uid,
    gid_t gid, bool explicit_gid);

/* Switches to ids with exactly the capabilities in keep (bit n = cap n) in
 * every set: effective, permitted, inheritable, bounding, and ambient for a
 * non-root target so that they survive execve. Checks every call, then
 * verifies the result; -1 with *why on any failure. */
int sandbox_privdrop(const struct sandbox_ids *ids, uint64_t keep, const char **why);

#endif
