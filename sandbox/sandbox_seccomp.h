#ifndef SANDBOX_SECCOMP_H
#define SANDBOX_SECCOMP_H

#include "sandbox_policy.h"

/* Loads the filter for profile into this process (no_new_privs must be set
 * already). Returns 0, or -1 with *why set. Loaded last, right before
 * execve, so that nothing the broker does itself runs under it. */
int sandbox_seccomp_load(enum sandbox_seccomp profile, const char **why);

#endif
