/* sig-ignore SIG... -- PROG [ARG...]: runs PROG with the given signals
 * ignored, set through the raw system call so that the C library's
 * reserved signals (32, 33) can be ignored too, as make and ninja leave
 * them for their children. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  unsigned long ksa[16];
  int i;

  memset(ksa, 0, sizeof ksa);
  ksa[0] = (unsigned long)SIG_IGN;   /* sa_handler comes first on x86, arm */
  for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
    if (syscall(SYS_rt_sigaction, atoi(argv[i]), ksa, (void *)0, (unsigned long)(_NSIG / 8))) {
      perror("sig-ignore: rt_sigaction");
      return 111;
    }
  }
  if (i + 1 >= argc) {
    fprintf(stderr, "usage: sig-ignore SIG... -- PROG [ARG...]\n");
    return 100;
  }
  execvp(argv[i + 1], argv + i + 1);
  perror("sig-ignore: exec");
  return 111;
}
