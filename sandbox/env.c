#include "sandbox_env.h"

#include <stdlib.h>
#include <string.h>

void sandbox_env_init(struct sandbox_env *e)
{
  e->n = 0;
  e->v[0] = 0;
}

static size_t find(const struct sandbox_env *e, const char *name, size_t len)
{
  for (size_t i = 0; i < e->n; i++)
    if (!strncmp(e->v[i], name, len) && e->v[i][len] == '=') return i;
  return e->n;
}

bool sandbox_env_set(struct sandbox_env *e, const char *name, const char *value)
{
  size_t nl = strlen(name), vl = strlen(value), i;
  char *s;

  if (!nl || strchr(name, '=')) return false;
  s = malloc(nl + vl + 2);
  if (!s) return false;
  memcpy(s, name, nl);
  s[nl] = '=';
  memcpy(s + nl + 1, value, vl + 1);
  i = find(e, name, nl);
  if (i < e->n) {
    free(e->v[i]);
    e->v[i] = s;
    return true;
  }
  if (e->n == SANDBOX_MAX_ENV) {
    free(s);
    return false;
  }
  e->v[e->n++] = s;
  e->v[e->n] = 0;
  return true;
}

const char *sandbox_env_get(const struct sandbox_env *e, const char *name)
{
  size_t nl = strlen(name), i = find(e, name, nl);
  return i < e->n ? e->v[i] + nl + 1 : 0;
}

void sandbox_env_free(struct sandbox_env *e)
{
  for (size_t i = 0; i < e->n; i++) free(e->v[i]);
  e->n = 0;
  e->v[0] = 0;
}
