/* The seccomp profiles. Each entry says what it stops; SECURITY.md has the
 * same list for administrators.
 *
 * default: a deny-list, EPERM (ENOSYS where a program should fall back to
 *   an older call). A syscall from another architecture (x32, i386 on
 *   x86_64) kills the process: the lists below are per architecture, and a
 *   foreign ABI would walk around them.
 * strict: an allow-list in the spirit of systemd's @system-service; anything
 *   else fails with EPERM. The argument checks of default apply too.
 * none: no filter (no_new_privs and the capability drop still apply). */
#include "sandbox_seccomp.h"
#include "seccomp_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#include <seccomp.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Calls no delegated command needs and an attacker would love. */
static const char *const deny_eperm[] = {
  /* loading kernel code */
  "init_module", "finit_module", "delete_module", "create_module",
  "kexec_load", "kexec_file_load",
  /* stopping the machine, swap */
  "reboot", "swapon", "swapoff",
  /* the mount table, old and new API; pivot_root */
  "mount", "umount", "umount2", "pivot_root", "open_tree", "move_mount",
  "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
  /* the system clock */
  "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
  /* raw port and PCI I/O */
  "iopl", "ioperm", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
  /* obsolete calls, kept only as attack surface (systemd's @obsolete) */
  "_sysctl", "afs_syscall", "bdflush", "break", "get_kernel_syms", "getpmsg",
  "gtty", "idle", "lock", "mpx", "prof", "profil", "putpmsg", "query_module",
  "security", "sgetmask", "ssetmask", "stty", "sysfs", "tuxcall", "ulimit",
  "uselib", "ustat", "vserver", "nfsservctl", "vm86", "vm86old",
  "lookup_dcookie",
  /* the x86 local descriptor table: no program of ours needs it, and it
   * has been a kernel attack surface */
  "modify_ldt",
  /* reading or writing another process's memory */
  "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
  /* kernel interfaces with a long history of privilege escalations */
  "perf_event_open", "bpf", "userfaultfd",
  /* the kernel keyring, shared beyond this process */
  "keyctl", "add_key", "request_key",
  /* accounting, quotas, the kernel log, handle-based opens */
  "acct", "quotactl", "quotactl_fd", "syslog", "open_by_handle_at",
  /* entering or creating namespaces (clone's flags are checked below) */
  "unshare", "setns",
};

/* Newer calls whose callers fall back to an older, filtered one: ENOSYS.
 * clone3 passes its flags in memory, where a filter cannot see them;
 * io_uring performs syscalls the filter never sees; openat2's mode is in
 * memory too, so its setuid bits could not be checked. */
static const char *const deny_enosys[] = {
  "clone3", "io_uring_setup", "io_uring_enter", "io_uring_register", "openat2",
};

static const unsigned long long ns_flags[] = {
  CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
  CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* The strict allow-list: what ordinary services and tools use. */
static const char *const strict_allow[] = {
  /* basic I/O */
  "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
  "pwritev", "preadv2", "pwritev2", "lseek", "_llseek", "close", "close_range",
  "dup", "dup2", "dup3", "pipe", "pipe2", "sendfile", "sendfile64", "splice",
  "tee", "vmsplice", "copy_file_range", "fcntl", "fcntl64", "flock",
  "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fadvise64",
  "fadvise64_64", "readahead", "fallocate", "ftruncate", "ftruncate64",
  /* files and directories */
  "stat", "lstat", "fstat", "newfstatat",
  "stat64", "lstat64", "fstat64", "fstatat64", "statx", "statfs", "fstatfs",
  "statfs64", "fstatfs64", "access", "faccessat", "faccessat2", "readlink",
  "readlinkat", "getdents", "getdents64", "getcwd", "chdir", "fchdir",
  "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2", "link",
  "linkat", "symlink", "symlinkat", "unlink", "unlinkat", "truncate",
  "truncate64", "utime", "utimes", "utimensat", "futimesat",
  "umask", "chown", "fchown", "lchown", "fchownat", "chown32",
  "fchown32", "lchown32", "getxattr", "lgetxattr", "fgetxattr", "listxattr",
  "llistxattr", "flistxattr", "setxattr", "lsetxattr", "fsetxattr",
  "removexattr", "lremovexattr", "fremovexattr", "inotify_init",
  "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_init",
  "fanotify_mark", "memfd_create", "name_to_handle_at",
  /* memory */
  "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise",
  "mlock", "mlock2", "munlock", "mlockall", "munlockall", "mincore", "msync",
  "membarrier", "get_mempolicy", "set_mempolicy", "mbind", "pkey_alloc",
  "pkey_free", "pkey_mprotect", "remap_file_pages",
  /* processes and threads */
  "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4",
  "waitid", "waitpid", "getpid", "getppid", "gettid", "getpgid", "setpgid",
  "getpgrp", "getsid", "setsid", "set_tid_address", "set_robust_list",
  "get_robust_list", "futex", "futex_waitv", "futex_time64", "rseq",
  "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam",
  "sched_setparam", "sched_getscheduler", "sched_setscheduler",
  "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
  "sched_getattr", "sched_setattr", "getpriority", "setpriority", "prctl",
  "arch_prctl", "uname", "sysinfo", "getrandom", "kcmp", "pidfd_open",
  "pidfd_send_signal", "capget", "seccomp", "getcpu",
  /* identity (switching needs capabilities, which default to none) */
  "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
  "getgroups", "getuid32", "geteuid32", "getgid32", "getegid32",
  "getresuid32", "getresgid32", "getgroups32", "setuid", "setgid", "setreuid",
  "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
  "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32",
  "setresgid32", "setgroups32", "setfsuid32", "setfsgid32",
  /* resources */
  "getrlimit", "setrlimit", "prlimit64", "ugetrlimit", "getrusage", "times",
  /* signals */
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
  "rt_sigpending", "rt_sigtimedwait", "rt_sigtimedwait_time64",
  "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "kill", "tkill",
  "tgkill", "signalfd", "signalfd4", "pause", "sigreturn", "sigaction",
  "sigprocmask", "sigsuspend", "sigpending", "signal",
  /* time and timers */
  "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
  "clock_nanosleep", "clock_nanosleep_time64", "gettimeofday", "time",
  "nanosleep", "alarm", "getitimer", "setitimer", "timer_create",
  "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
  "timer_gettime64", "timer_settime64", "timerfd_create", "timerfd_gettime",
  "timerfd_settime", "timerfd_gettime64", "timerfd_settime64",
  /* event loops */
  "poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
  "pselect6_time64", "epoll_create", "epoll_create1", "epoll_ctl",
  "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
  /* IPC */
  "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl",
  "semtimedop", "semtimedop_time64", "msgget", "msgsnd", "msgrcv", "msgctl",
  "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
  "mq_getsetattr", "mq_timedsend_time64", "mq_timedreceive_time64",
  /* network */
  "socket", "socketpair", "bind", "listen", "accept", "accept4", "connect",
  "getsockname", "getpeername", "getsockopt", "setsockopt", "sendto",
  "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
  "recvmmsg_time64", "shutdown", "socketcall",
  /* async I/O (the classic kind) */
  "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
  "io_pgetevents", "io_pgetevents_time64",
};

/* ioctl requests the strict profile allows: terminals, non-blocking and
 * close-on-exec flags, byte counts. Compared on the low 32 bits, as the
 * kernel does. TIOCSTI and TIOCLINUX are not among them. */
static const unsigned long strict_ioctls[] = {
  TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETA, TCSETA, TCSETAW, TCSETAF,
  TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCOUTQ, TCFLSH,
  TCXONC, TCSBRK, TIOCSCTTY, TIOCNOTTY, TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER,
  FIONREAD, FIONBIO, FIOCLEX, FIONCLEX, FIOASYNC, TIOCGETD, TIOCGSERIAL,
};

uint32_t sandbox_seccomp_arch;

/* A context for the target architecture only. libseccomp takes syscall
 * numbers as the build machine's and translates them by name for the
 * architectures in the context, so the rules below need no change. */
static scmp_filter_ctx new_ctx(uint32_t def)
{
  scmp_filter_ctx c = seccomp_init(def);
  if (!c || !sandbox_seccomp_arch || sandbox_seccomp_arch == seccomp_arch_native()) return c;
  if (seccomp_arch_add(c, sandbox_seccomp_arch) < 0 ||
      seccomp_arch_remove(c, SCMP_ARCH_NATIVE) < 0) {
    seccomp_release(c);
    return 0;
  }
  return c;
}

static int add_name(scmp_filter_ctx c, uint32_t action, const char *name)
{
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return 0;     /* not on this architecture */
  int r = seccomp_rule_add(c, action, nr, 0);
  /* -EDOM: a pseudo-syscall libseccomp cannot place here; fine to skip. */
  return r == -EDOM ? 0 : r;
}

/* Argument checks shared by both profiles, with action deny. With the
 * default profile (allow by default) they are deny rules. */
static int add_arg_denies(scmp_filter_ctx c)
{
  int r = 0;
  /* TIOCSTI pushes bytes into a terminal's input queue: a command running
   * as a less privileged user could type into the caller's shell.
   * TIOCLINUX can do the same on a virtual console. The kernel compares
   * the request as 32 bits, so must we. */
  r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (unsigned long long)TIOCSTI));
  r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (unsigned long long)TIOCLINUX));
  /* TIOCSETD changes the line discipline of a terminal the command may
   * have been handed: the caller's own. */
  r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (unsigned long long)TIOCSETD));
  /* Namespace creation through clone's flags. */
  for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags; i++)
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
        SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
  return r;
}

/* Setting setuid or setgid bits: a delegated command must not be able to
 * leave behind a program that runs with the target's identity. The umask
 * never clears these bits, so every call that takes a mode is checked:
 * the chmod family, and the calls that create a file (open and openat
 * with O_CREAT or O_TMPFILE, creat, mknod, mknodat). */
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif
static const unsigned long long create_flags[] = { O_CREAT, __O_TMPFILE };

static int add_suid_denies(scmp_filter_ctx c)
{
  static const unsigned long long bits[] = { S_ISUID, S_ISGID };
  int r = 0;
  for (size_t i = 0; i < 2; i++) {
    unsigned long long b = bits[i];
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(chmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fchmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fchmodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
    int nr = seccomp_syscall_resolve_name("fchmodat2");
    if (nr != __NR_SCMP_ERROR)
      r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), nr, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(creat), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, b));
    r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mknodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
    for (size_t f = 0; f < 2; f++) {
      unsigned long long fl = create_flags[f];
      r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(open), 2,
          SCMP_A1(SCMP_CMP_MASKED_EQ, fl, fl), SCMP_A2(SCMP_CMP_MASKED_EQ, b, b));
      r |= seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 2,
          SCMP_A2(SCMP_CMP_MASKED_EQ, fl, fl), SCMP_A3(SCMP_CMP_MASKED_EQ, b, b));
    }
  }
  return r;
}

/* The strict profile's side of the same rule: these calls are allowed
 * only without setuid/setgid bits (or, for open and openat, when they
 * create nothing). */
static int add_suid_allows(scmp_filter_ctx c)
{
  const unsigned long long b = S_ISUID | S_ISGID, fl = O_CREAT | __O_TMPFILE;
  int r = 0;
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(chmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(fchmod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(fchmodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(creat), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mknod), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mknodat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(open), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(open), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, fl, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1, SCMP_A3(SCMP_CMP_MASKED_EQ, b, 0));
  r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, fl, 0));
  return r;
}

scmp_filter_ctx sandbox_seccomp_build_default(void)
{
  scmp_filter_ctx c = new_ctx(SCMP_ACT_ALLOW);
  int r = 0;
  if (!c) return 0;
  for (size_t i = 0; i < sizeof deny_eperm / sizeof *deny_eperm; i++)
    r |= add_name(c, SCMP_ACT_ERRNO(EPERM), deny_eperm[i]);
  for (size_t i = 0; i < sizeof deny_enosys / sizeof *deny_enosys; i++)
    r |= add_name(c, SCMP_ACT_ERRNO(ENOSYS), deny_enosys[i]);
  r |= add_arg_denies(c);
  r |= add_suid_denies(c);
  if (r) {
    seccomp_release(c);
    return 0;
  }
  return c;
}

scmp_filter_ctx sandbox_seccomp_build_strict(void)
{
  scmp_filter_ctx c = new_ctx(SCMP_ACT_ERRNO(EPERM));
  int r = 0;
  if (!c) return 0;
  for (size_t i = 0; i < sizeof strict_allow / sizeof *strict_allow; i++)
    r |= add_name(c, SCMP_ACT_ALLOW, strict_allow[i]);
  for (size_t i = 0; i < sizeof deny_enosys / sizeof *deny_enosys; i++)
    r |= add_name(c, SCMP_ACT_ERRNO(ENOSYS), deny_enosys[i]);
  for (size_t i = 0; i < sizeof strict_ioctls / sizeof *strict_ioctls; i++)
    r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
        SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (unsigned long long)strict_ioctls[i]));
  /* clone without namespace flags */
  {
    unsigned long long all = 0;
    for (size_t i = 0; i < sizeof ns_flags / sizeof *ns_flags; i++) all |= ns_flags[i];
    r |= seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, all, 0));
  }
  /* calls that take a mode: only without setuid/setgid bits */
  r |= add_suid_allows(c);
  r |= add_name(c, SCMP_ACT_ALLOW, "personality");  /* narrowed by the second filter */
  if (r) {
    seccomp_release(c);
    return 0;
  }
  return c;
}

scmp_filter_ctx sandbox_seccomp_build(enum sandbox_seccomp profile)
{
  scmp_filter_ctx c;
  if (profile == SANDBOX_SECCOMP_NONE) return 0;
  c = profile == SANDBOX_SECCOMP_STRICT ? sandbox_seccomp_build_strict() : sandbox_seccomp_build_default();
  if (!c) return 0;
  /* no_new_privs is set by the sandbox, explicitly; a foreign ABI is
   * killed outright rather than given an errno. */
  /* A binary tree of syscall numbers instead of a linear scan: the kernel
   * attaches and runs it faster, and it says the same. */
  if (seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
      seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
      seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
    seccomp_release(c);
    return 0;
  }
  return c;
}
