/* A user's passwd entry for the clients, which may be linked statically
 * (ipcdo, ipcrun): a static binary must not load NSS modules, so the C
 * library's getpwnam is not used. /etc/passwd is read first, as the files
 * source would; a name not found there is asked of `getent passwd`, run
 * as a program, which reaches every other source nsswitch.conf names. */
#ifndef CLIENT_PWFILE_H
#define CLIENT_PWFILE_H

#include <stdbool.h>
#include <stdint.h>

struct pwfile_entry {
  uint32_t uid, gid;
  char name[256];
  char shell[1024];
};

/* 1 found, 0 no such user, -1 the lookup failed (errno set). */
int pwfile_byname(const char *name, struct pwfile_entry *e);
int pwfile_byuid(uint32_t uid, struct pwfile_entry *e);

/* One passwd line (no newline) into e; false when it is not one. */
bool pwfile_parse(const char *line, struct pwfile_entry *e);

#endif
