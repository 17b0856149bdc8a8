#ifndef SIG_H
#define SIG_H

/* Sets the signals the C library reserves for itself (32 and 33 with
 * glibc, between the kernel's first real-time signal and SIGRTMIN) back to
 * the default disposition. sigaction(2) refuses them, yet a parent may
 * have left them ignored, and ignored signals survive exec. */
void sig_reset_reserved(void);

#endif
