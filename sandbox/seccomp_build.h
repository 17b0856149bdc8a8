/* Building the seccomp profiles with libseccomp. Used at compile time by
 * gen_seccomp, which embeds the result; never on the request path. */
#ifndef SANDBOX_SECCOMP_BUILD_H
#define SANDBOX_SECCOMP_BUILD_H

#include <seccomp.h>

#include "sandbox_policy.h"

/* The architecture the filters are for, a SCMP_ARCH_* token; 0 for the
 * one this program runs on. */
extern uint32_t sandbox_seccomp_arch;

/* A filter context for profile, or NULL (also for SANDBOX_SECCOMP_NONE). */
scmp_filter_ctx sandbox_seccomp_build(enum sandbox_seccomp profile);
scmp_filter_ctx sandbox_seccomp_build_default(void);
scmp_filter_ctx sandbox_seccomp_build_strict(void);

#endif
