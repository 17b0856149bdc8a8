/* try-syscall NAME...: calls each named system call in a way that succeeds
 * (or fails with a telltale errno) without a seccomp filter, and prints
 * "NAME: ok" or "NAME: ERRNO-NAME". The sandbox tests compare the output
 * under each profile. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static const char *ename(int e)
{
  switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOENT: return "ENOENT";
    default: return strerror(e);
  }
}

static int try(const char *name)
{
  long r = -1;
  errno = 0;
  if (!strcmp(name, "unshare-user")) {
    r = unshare(CLONE_NEWUSER);
  } else if (!strcmp(name, "clone-newuser")) {
    r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) _exit(0);
    if (r > 0) { waitpid((pid_t)r, 0, 0); r = 0; }
  } else if (!strcmp(name, "personality")) {
    r = personality(PER_LINUX | ADDR_NO_RANDOMIZE);
    if (r >= 0) { personality(PER_LINUX); r = 0; }
  } else if (!strcmp(name, "personality-query")) {
    r = personality(0xffffffff);
    if (r >= 0) r = 0;
  } else if (!strcmp(name, "tiocsti")) {
    char c = 'x';
    int fd = open("/dev/null", O_RDWR);
    r = ioctl(fd, TIOCSTI, &c);
  } else if (!strcmp(name, "tiocsti-hi")) {
    char c = 'x';
    int fd = open("/dev/null", O_RDWR);
    r = syscall(SYS_ioctl, fd, (unsigned long)TIOCSTI | 0x100000000UL, &c);
  } else if (!strcmp(name, "tioclinux")) {
    char c = 0;
    int fd = open("/dev/null", O_RDWR);
    r = ioctl(fd, TIOCLINUX, &c);
  } else if (!strcmp(name, "clone3")) {
    r = syscall(435 /* clone3 */, NULL, 0);
  } else if (!strcmp(name, "io_uring_setup")) {
    r = syscall(425 /* io_uring_setup */, 0, NULL);
  } else if (!strcmp(name, "chmod-suid")) {
    char path[] = "/tmp/try-syscall.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return errno;
    r = chmod(path, 04755);
    int e = errno;
    unlink(path);
    errno = e;
  } else if (!strcmp(name, "fchmodat-sgid")) {
    char path[] = "/tmp/try-syscall.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return errno;
    r = fchmodat(AT_FDCWD, path, 02755, 0);
    int e = errno;
    unlink(path);
    errno = e;
  } else if (!strcmp(name, "open-suid") || !strcmp(name, "openat-sgid") || !strcmp(name, "creat-suid") ||
      !strcmp(name, "mknod-suid") || !strcmp(name, "open-plain")) {
    char path[] = "/tmp/try-syscall.XXXXXX";
    int fd = mkstemp(path), e;
    if (fd < 0) return errno;
    close(fd);
    unlink(path);
    if (!strcmp(name, "open-suid")) r = syscall(SYS_open, path, O_CREAT | O_WRONLY | O_EXCL, 04755);
    else if (!strcmp(name, "openat-sgid")) r = openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_EXCL, 02755);
    else if (!strcmp(name, "creat-suid")) r = creat(path, 04755);
    else if (!strcmp(name, "mknod-suid")) r = mknod(path, S_IFREG | 04755, 0);
    else r = openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_EXCL, 0755);
    e = errno;
    if (r >= 0 && strcmp(name, "mknod-suid")) close((int)r);
    unlink(path);
    errno = e;
  } else if (!strcmp(name, "tiocsetd")) {
    int ldisc = 0;
    int fd = open("/dev/null", O_RDWR);
    r = ioctl(fd, TIOCSETD, &ldisc);
  } else if (!strcmp(name, "modify_ldt")) {
    char buf[16];
    r = syscall(SYS_modify_ldt, 0, buf, sizeof buf);
    if (r >= 0) r = 0;
  } else if (!strcmp(name, "chmod-plain")) {
    char path[] = "/tmp/try-syscall.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return errno;
    r = chmod(path, 0700);
    int e = errno;
    unlink(path);
    errno = e;
  } else if (!strcmp(name, "ptrace")) {
    r = ptrace(PTRACE_TRACEME, 0, 0, 0);
  } else if (!strcmp(name, "process_vm_readv")) {
    char src[4] = "abc", dst[4];
    struct iovec l = { dst, 4 }, rv = { src, 4 };
    r = process_vm_readv(getpid(), &l, 1, &rv, 1, 0);
    if (r >= 0) r = 0;
  } else if (!strcmp(name, "keyctl")) {
    r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
    if (r >= 0) r = 0;
  } else if (!strcmp(name, "pidfd_getfd")) {
    r = syscall(438 /* pidfd_getfd */, -1, 0, 0);
  } else if (!strcmp(name, "x32")) {
    r = syscall(0x40000000 | SYS_getpid);
  } else if (!strcmp(name, "getpid")) {
    r = getpid() > 0 ? 0 : -1;
  } else {
    fprintf(stderr, "try-syscall: unknown call %s\n", name);
    exit(100);
  }
  return r < 0 ? errno : 0;
}

int main(int argc, char **argv)
{
  for (int i = 1; i < argc; i++) {
    int e = try(argv[i]);
    printf("%s: %s\n", argv[i], ename(e));
    fflush(stdout);
  }
  return 0;
}
