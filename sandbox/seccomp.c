/* Loading the seccomp profiles into the command's process.
 *
 * The filters are built with libseccomp at compile time (seccomp_build.c,
 * run by gen_seccomp, which also puts the personality() check in front)
 * and embedded as BPF, so that a request pays for one prctl instead of
 * generating the same program every time. */
#include "sandbox_seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "seccomp_bpf.h"

int sandbox_seccomp_load(enum sandbox_seccomp profile, const char **why)
{
  struct sock_fprog prog;

  if (profile == SANDBOX_SECCOMP_NONE) return 0;
  if (profile == SANDBOX_SECCOMP_STRICT) {
    prog.len = (unsigned short)(sizeof sandbox_bpf_strict / sizeof *sandbox_bpf_strict);
    prog.filter = (struct sock_filter *)sandbox_bpf_strict;
  } else {
    prog.len = (unsigned short)(sizeof sandbox_bpf_default / sizeof *sandbox_bpf_default);
    prog.filter = (struct sock_filter *)sandbox_bpf_default;
  }
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
    *why = "unable to load seccomp filter";
    return -1;
  }
  return 0;
}
