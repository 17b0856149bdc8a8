#include "pwfile.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "scan.h"

extern char **environ;

/* Copies the field up to the next ':' (or the end) into dst; false when it
 * does not fit. *s moves past the ':'. */
static bool field(const char **s, char *dst, size_t size)
{
  size_t n = strcspn(*s, ":");
  if (dst) {
    if (n >= size) return false;
    memcpy(dst, *s, n);
    dst[n] = 0;
  }
  *s += n;
  if (**s == ':') ++*s;
  return true;
}

bool pwfile_parse(const char *line, struct pwfile_entry *e)
{
  char num[16];
  const char *s = line;
  /* NIS compat lines (+, -) are not entries. */
  if (!*s || *s == '+' || *s == '-' || *s == '#') return false;
  if (!field(&s, e->name, sizeof e->name) || !e->name[0]) return false;
  field(&s, 0, 0);                                            /* password */
  if (!field(&s, num, sizeof num) || !scan_id(num, &e->uid)) return false;
  if (!field(&s, num, sizeof num) || !scan_id(num, &e->gid)) return false;
  field(&s, 0, 0);                                            /* gecos */
  field(&s, 0, 0);                                            /* home */
  if (!field(&s, e->shell, sizeof e->shell)) return false;
  return true;
}

/* Scans the lines of f for the entry; by name when name, else by uid. */
static int scan_file(FILE *f, const char *name, uint32_t uid, struct pwfile_entry *e)
{
  char *line = 0;
  size_t cap = 0;
  ssize_t n;
  int found = 0;
  while (!found && (n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] == '\n') line[n - 1] = 0;
    if (!pwfile_parse(line, e)) continue;
    if (name ? !strcmp(e->name, name) : e->uid == uid) found = 1;
  }
  free(line);
  return found;
}

/* getent passwd KEY, as a program: 1, 0 (its exit 2: not found), -1. */
static int getent(const char *key, const char *name, uint32_t uid, struct pwfile_entry *e)
{
  static const char *const paths[] = { "/usr/bin/getent", "/bin/getent" };
  char *argv[] = { (char *)"getent", (char *)"passwd", (char *)key, 0 };
  posix_spawn_file_actions_t fa;
  int p[2], st, found = -1;
  pid_t pid = -1;
  FILE *f;

  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  if (posix_spawn_file_actions_init(&fa) == 0) {
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    for (size_t i = 0; i < 2 && pid < 0; i++)
      if (posix_spawn(&pid, paths[i], &fa, 0, argv, environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    errno = ENOENT;
    return -1;
  }
  f = fdopen(p[0], "r");
  if (f) {
    found = scan_file(f, name, uid, e);
    fclose(f);
  } else {
    close(p[0]);
  }
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (found == 1) return 1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 2) return 0;   /* not found */
  errno = EIO;
  return -1;
}

static int lookup(const char *name, uint32_t uid, struct pwfile_entry *e)
{
  FILE *f = fopen("/etc/passwd", "re");
  char key[16];
  if (f) {
    int found = scan_file(f, name, uid, e);
    fclose(f);
    if (found) return 1;
  }
  if (!name) snprintf(key, sizeof key, "%lu", (unsigned long)uid);
  return getent(name ? name : key, name, uid, e);
}

int pwfile_byname(const char *name, struct pwfile_entry *e)
{
  return lookup(name, 0, e);
}

int pwfile_byuid(uint32_t uid, struct pwfile_entry *e)
{
  return lookup(0, uid, e);
}
