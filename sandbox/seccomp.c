/* Loading the seccomp profiles into the command's process.
 *
 * The filters are built with libseccomp at compile time (seccomp_build.c,
 * run by gen_seccomp) and embedded as BPF, so that a request pays for one
 * prctl per filter instead of generating the same program every time. */
#include "sandbox_seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "seccomp_bpf.h"

/* personality() may only query (0xffffffff) or set PER_LINUX (0): other
 * personalities turn off address-space randomisation or change how the
 * kernel treats the process. libseccomp cannot say "neither 0 nor
 * 0xffffffff" in one rule, so this small filter is written by hand. The
 * kernel reads the argument as 32 bits, so only the low word is compared.
 * Other architectures are killed by the main filter. */
static int load_personality_filter(void)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const unsigned lo = offsetof(struct seccomp_data, args[0]);
#else
  const unsigned lo = offsetof(struct seccomp_data, args[0]) + 4;
#endif
  int nr = SANDBOX_BPF_NR_PERSONALITY;
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_BPF_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof f / sizeof *f, .filter = f };
  if (nr < 0) return 0;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

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
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 || load_personality_filter() < 0) {
    *why = "unable to load seccomp filter";
    return -1;
  }
  return 0;
}
