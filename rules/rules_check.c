#include "rules_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "die.h"
#include "scan.h"
#include "version.h"

static void get_id(const char *var, bool *has, uint32_t *id)
{
  const char *s = getenv(var);
  *has = false;
  if (!s) return;
  if (!scan_id(s, id)) die_x(EXIT_USAGE, "%s is not a valid id: %s", var, s);
  *has = true;
}

int rules_check_options(int argc, char **argv, const char *usage, bool *status, bool *tty)
{
  int opt;
  *status = false;
  if (tty) *tty = false;
  opterr = 0;
  while ((opt = getopt(argc, argv, tty ? "+etV" : "+eV")) != -1) {
    if (opt == 'e') *status = true;
    else if (opt == 't' && tty) *tty = true;
    else if (opt == 'V') version_print();
    else die_usage(usage);
  }
  return optind;
}

void rules_check_who(struct rules_who *who)
{
  static uint32_t groups[8192];
  const char *g = getenv("IPCREMOTEGROUPS");
  get_id("IPCREMOTEEUID", &who->has_euid, &who->euid);
  get_id("IPCREMOTEEGID", &who->has_egid, &who->egid);
  who->ngroups = 0;
  who->groups = groups;
  /* As the server would give them: ascending, the egid among them. */
  if (g && *g && !scan_groups(g, groups, sizeof groups / sizeof *groups, &who->ngroups))
    die_x(EXIT_USAGE, "IPCREMOTEGROUPS is not an ascending list of ids: %s", g);
  if (!g && who->has_egid) {
    groups[0] = who->egid;   /* what ipcexec assumes without the list */
    who->ngroups = 1;
  }
}

void rules_check_print(FILE *out, enum rules_result r, const struct rules_match *m,
    int default_allow)
{
  if (r == RULES_NOTFOUND) {
    fprintf(out, "default:\n%s connection\n", default_allow ? "allow" : "deny");
    return;
  }
  fputs("rule ", out);
  fwrite(m->key.s, 1, m->key.len, out);
  fputs(":\n", out);
  for (size_t i = 0; i < m->nitems; i++) {
    const struct rules_item *it = &m->items[i];
    switch (it->type) {
      case 'D':
        fputs("deny connection\n", out);
        return;
      case '+':
        fprintf(out, "set environment variable %s=%s\n", it->name, it->value);
        break;
      case '=':
        fprintf(out, "execute %s\n", it->value);
        break;
    }
  }
  fputs("allow connection\n", out);
}

const char *rules_strerror(int err)
{
  if (err == EPROTO) return "malformed rules";
  return strerror(err);
}
