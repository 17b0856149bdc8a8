/* Checked number parsing: canonical decimal only ("0" or [1-9][0-9]*),
 * nothing before or after, overflow and values above the bound refused. */
#ifndef COMMON_SCAN_H
#define COMMON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest uid/gid we accept: (uid_t)-1 means "no change" to the kernel and
 * is never a valid identity (CVE-2019-14287). */
#define SCAN_ID_MAX UINT32_C(4294967294)

bool scan_u64n(const char *s, size_t len, uint64_t max, uint64_t *out);
bool scan_u64(const char *s, uint64_t max, uint64_t *out);
bool scan_id(const char *s, uint32_t *out);
bool scan_idn(const char *s, size_t len, uint32_t *out);
/* Octal mode such as 022 or 0077: digits 0-7 only, at most 4, value <= 0777. */
bool scan_umask(const char *s, unsigned *out);
/* A group list as IPCREMOTEGROUPS carries it: canonical decimal ids,
 * comma-separated, strictly ascending, at least one, at most max. Fills
 * out[0..*n). */
bool scan_groups(const char *s, uint32_t *out, size_t max, size_t *n);
/* Writes the decimal form of u into buf (at least 21 bytes), NUL-terminated;
 * returns the length. */
size_t fmt_u64(char *buf, uint64_t u);

#endif
