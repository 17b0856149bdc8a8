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
 * the effective, permitted and inheritable sets, and ambient for a
 * non-root target so that they survive execve; the bounding set is
 * emptied. Checks every call, then verifies the result; -1 with *why on
 * any failure. */
int sandbox_privdrop(const struct sandbox_ids *ids, uint64_t keep, const char **why);

/* For a long-lived parent that forks a process per request: empties its
 * own bounding set once (its inheritable set first takes its permitted
 * one, which kept capabilities are later chosen from) and verifies it, so
 * that sandbox_privdrop in its children neither drops nor reads it again.
 * -1 with *why if any step fails; nothing is then assumed. */
int sandbox_bset_clear(const char **why);

#endif
