#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sig.h"

/* The kernel's first real-time signal; glibc's SIGRTMIN is above the ones
 * it keeps for threads. */
#define KERNEL_SIGRTMIN 32

void sig_reset_reserved(void)
{
  /* The kernel's struct sigaction, all zero: SIG_DFL (0), no flags, an
   * empty mask, whatever the architecture's field order. Large enough for
   * every layout; the kernel reads only its own size. */
  unsigned long ksa[16];
  int sig;

  memset(ksa, 0, sizeof ksa);
  /* Safe only where it is called: a single-threaded process about to
   * exec, so no thread of ours relies on the library's handlers (they
   * serve cancellation and set*id broadcast across threads); the new
   * program's library installs its own. */
  for (sig = KERNEL_SIGRTMIN; sig < SIGRTMIN; sig++)
    syscall(SYS_rt_sigaction, sig, ksa, (void *)0, (unsigned long)(_NSIG / 8));
}
