#include "rules_lookup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cdb.h>

const char *rules_untrusted(int fd, uid_t euid)
{
  struct stat st;
  if (euid != 0) return 0;
  if (fstat(fd, &st) < 0) return "unable to stat rules";
  if (!S_ISREG(st.st_mode)) return "rules not a regular file";
  if (st.st_uid != 0) return "rules not owned by root";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return "rules writable by group or others";
  return 0;
}

bool rules_var_reserved(const char *name)
{
  static const char *const names[] = {
    "PROTO", "IPCLOCALPATH", "IPCREMOTEPATH", "IPCREMOTEEUID", "IPCREMOTEEGID", "IPCREMOTEPID",
    "IPCREMOTEGROUPS",
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (!strcmp(name, names[i])) return true;
  return false;
}

bool rules_record_parse(char *data, size_t len, struct rules_match *m)
{
  size_t pos = 0;
  bool seen_exec = false;

  m->nitems = 0;
  m->deny = false;
  m->exec = 0;
  if (len && data[len - 1] != 0) return false;
  while (pos < len) {
    char *item = data + pos;
    size_t ilen = strlen(item);
    struct rules_item *it;

    if (m->nitems == RULES_MAX_ITEMS) return false;
    it = &m->items[m->nitems];
    it->type = item[0];
    it->name = it->value = 0;
    switch (item[0]) {
      case 'D':
        if (ilen != 1 || m->deny) return false;
        m->deny = true;
        break;
      case '+': {
        char *eq = strchr(item + 1, '=');
        if (!eq || eq == item + 1) return false;
        *eq = 0;
        it->name = item + 1;
        it->value = eq + 1;
        break;
      }
      case '=':
        if (ilen < 2 || seen_exec) return false;
        seen_exec = true;
        it->value = item + 1;
        m->exec = it->value;
        break;
      default:
        return false;
    }
    m->nitems++;
    pos += ilen + 1;
  }
  if (m->deny && seen_exec) return false;
  return true;
}

const char *rules_match_var(const struct rules_match *m, const char *name)
{
  const char *v = 0;
  for (size_t i = 0; i < m->nitems; i++)
    if (m->items[i].type == '+' && !strcmp(m->items[i].name, name)) v = m->items[i].value;
  return v;
}

void rules_match_free(struct rules_match *m)
{
  free(m->data);
  m->data = 0;
  m->datalen = 0;
  m->nitems = 0;
  buf_free(&m->key);
}

/* Looks up m->key. */
static enum rules_result find(struct cdb *c, struct rules_match *m)
{
  unsigned dlen;
  int r = cdb_find(c, m->key.s ? m->key.s : "", (unsigned)m->key.len);
  if (r < 0) return RULES_ERROR;
  if (r == 0) return RULES_NOTFOUND;
  dlen = cdb_datalen(c);
  if (dlen > RULES_MAX_RECORD) {
    errno = EPROTO;
    return RULES_ERROR;
  }
  free(m->data);
  m->data = malloc(dlen ? dlen : 1);
  if (!m->data) return RULES_ERROR;
  if (cdb_read(c, m->data, dlen, cdb_datapos(c)) < 0) return RULES_ERROR;
  m->datalen = dlen;
  if (!rules_record_parse(m->data, dlen, m)) {
    errno = EPROTO;
    return RULES_ERROR;
  }
  return m->deny ? RULES_DENY : RULES_ALLOW;
}

/* Builds each key from numbers, never from the caller's strings, tries it,
 * and stops at the first one found (or at an error). Steps: 0 EUID.EGID,
 * 1 EUID, 2 .EGID, 3 %GID for each group, 4 the bare suffix (exec rules
 * only), 5 the empty key. */
static enum rules_result chain(struct cdb *c, const struct rules_who *who,
    bool exec, uint32_t uid, const char *cmd, struct rules_match *m)
{
  enum rules_result r;
  struct buf *k = &m->key;
  size_t g = 0;
  int step = 0;

  while (step < 6) {
    k->len = 0;
    switch (step) {
      case 0:
        step++;
        if (!who->has_euid || !who->has_egid) continue;
        if (!buf_catu(k, who->euid) || !buf_cats(k, ".") || !buf_catu(k, who->egid)) return RULES_ERROR;
        break;
      case 1:
        step++;
        if (!who->has_euid) continue;
        if (!buf_catu(k, who->euid)) return RULES_ERROR;
        break;
      case 2:
        step++;
        if (!who->has_egid) continue;
        if (!buf_cats(k, ".") || !buf_catu(k, who->egid)) return RULES_ERROR;
        break;
      case 3:
        if (g >= who->ngroups) { step++; continue; }
        if (!buf_cats(k, "%") || !buf_catu(k, who->groups[g++])) return RULES_ERROR;
        break;
      case 4:
        step++;
        if (!exec) continue;   /* ",UID.CMD" exists for exec rules only */
        break;
      default:
        if (!buf_ready(k, 0)) return RULES_ERROR;
        return find(c, m);
    }
    if (exec) {
      if (!buf_cats(k, ",") || !buf_catu(k, uid) || !buf_cats(k, ".") || !buf_cats(k, cmd))
        return RULES_ERROR;
    }
    r = find(c, m);
    if (r != RULES_NOTFOUND) return r;
  }
  return RULES_NOTFOUND;
}

static enum rules_result lookup(int fd, const struct rules_who *who, bool exec,
    uint32_t uid, const char *cmd, struct rules_match *m)
{
  struct cdb c;
  enum rules_result r;

  memset(m, 0, sizeof *m);
  if (cdb_init(&c, fd) < 0) {
    if (!errno) errno = EPROTO;
    return RULES_ERROR;
  }
  r = chain(&c, who, exec, uid, cmd, m);
  if (r == RULES_ERROR && !errno) errno = EPROTO;
  cdb_free(&c);
  if (r == RULES_NOTFOUND) {
    free(m->data);
    m->data = 0;
    m->nitems = 0;
  }
  return r;
}

enum rules_result rules_lookup_conn(int fd, const struct rules_who *who,
    struct rules_match *m)
{
  return lookup(fd, who, false, 0, "", m);
}

enum rules_result rules_lookup_exec(int fd, const struct rules_who *who,
    uint32_t uid, const char *cmd, struct rules_match *m)
{
  return lookup(fd, who, true, uid, cmd, m);
}
