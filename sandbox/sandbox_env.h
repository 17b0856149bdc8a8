/* The command's environment, built from nothing. */
#ifndef SANDBOX_ENV_H
#define SANDBOX_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* The only PATH a delegated command gets, whatever the caller's or the
 * server's PATH says. */
#define SANDBOX_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SANDBOX_MAX_ENV 256

struct sandbox_env {
  size_t n;
  char *v[SANDBOX_MAX_ENV + 1];   /* "NAME=value", NULL-terminated */
};

void sandbox_env_init(struct sandbox_env *e);
/* Sets or replaces NAME. False on allocation failure or a full table. */
bool sandbox_env_set(struct sandbox_env *e, const char *name, const char *value);
const char *sandbox_env_get(const struct sandbox_env *e, const char *name);
void sandbox_env_free(struct sandbox_env *e);

#endif
