#include <stdlib.h>
#include <string.h>

#include <cap-ng.h>
#include <criterion/criterion.h>

#include "sandbox_env.h"
#include "sandbox_policy.h"

Test(env, builds_from_nothing_and_replaces)
{
  struct sandbox_env e;
  sandbox_env_init(&e);
  cr_assert_eq(e.n, 0);
  cr_assert_null(e.v[0]);
  cr_assert(sandbox_env_set(&e, "PATH", "/bin"));
  cr_assert(sandbox_env_set(&e, "HOME", "/root"));
  cr_assert(sandbox_env_set(&e, "PATH", "/usr/bin"));
  cr_assert_eq(e.n, 2);
  cr_assert_str_eq(e.v[0], "PATH=/usr/bin");
  cr_assert_str_eq(e.v[1], "HOME=/root");
  cr_assert_null(e.v[2]);
  cr_assert_str_eq(sandbox_env_get(&e, "HOME"), "/root");
  cr_assert_null(sandbox_env_get(&e, "HOM"));
  cr_assert_null(sandbox_env_get(&e, "PAT"));
  sandbox_env_free(&e);
  cr_assert_eq(e.n, 0);
}

Test(env, refuses_bad_names_and_overflow)
{
  struct sandbox_env e;
  char name[32];
  sandbox_env_init(&e);
  cr_assert_not(sandbox_env_set(&e, "", "x"));
  cr_assert_not(sandbox_env_set(&e, "A=B", "x"));
  for (int i = 0; i < SANDBOX_MAX_ENV; i++) {
    snprintf(name, sizeof name, "V%d", i);
    cr_assert(sandbox_env_set(&e, name, "1"));
  }
  cr_assert_not(sandbox_env_set(&e, "ONEMORE", "1"));
  cr_assert(sandbox_env_set(&e, "V0", "2"), "replacing still works when full");
  cr_assert_null(e.v[SANDBOX_MAX_ENV]);
  sandbox_env_free(&e);
}

Test(policy, strict_defaults)
{
  struct sandbox_policy p;
  sandbox_policy_init(&p);
  cr_assert_eq(p.caps, 0);
  cr_assert_not(p.caps_all);
  cr_assert_eq(p.seccomp, SANDBOX_SECCOMP_DEFAULT);
  cr_assert_eq(p.umask, 022);
  cr_assert_eq(p.timeout, 0);
  cr_assert(p.errout);
  cr_assert_not(p.has_uid);
  cr_assert_not(p.has_gid);
  cr_assert_eq(p.nkeepenv, 0);
}

Test(policy, knobs_are_recognised)
{
  const char *k[] = { "IPCUID", "IPCGID", "IPCERROUT", "IPCCAPS", "IPCSECCOMP",
    "IPCUMASK", "IPCKEEPENV", "IPCTIMEOUT", "IPCARGS", "IPCCLIENTENV", "IPCPTY",
    "IPCRECORD", "IPCRECORDMAX" };
  for (size_t i = 0; i < sizeof k / sizeof *k; i++) cr_assert(sandbox_is_knob(k[i]), "%s", k[i]);
  cr_assert_not(sandbox_is_knob("PATH"));
  cr_assert_not(sandbox_is_knob("IPCREMOTEEUID"));
  cr_assert_not(sandbox_is_knob("ipcuid"));
}

Test(policy, valid_values)
{
  struct sandbox_policy p;
  const char *why = 0;
  sandbox_policy_init(&p);
  cr_assert_eq(sandbox_policy_set(&p, "IPCUID", "0", &why), 1);
  cr_assert(p.has_uid);
  cr_assert_eq(p.uid, 0, "uid 0 is a value, not 'unset'");
  cr_assert_eq(sandbox_policy_set(&p, "IPCGID", "4343", &why), 1);
  cr_assert_eq(p.gid, 4343);
  cr_assert_eq(sandbox_policy_set(&p, "IPCERROUT", "0", &why), 1);
  cr_assert_not(p.errout);
  cr_assert_eq(sandbox_policy_set(&p, "IPCCAPS", "cap_chown,NET_BIND_SERVICE", &why), 1);
  cr_assert_eq(p.caps, (1u << 0) | (1u << 10));
  cr_assert_eq(sandbox_policy_set(&p, "IPCSECCOMP", "strict", &why), 1);
  cr_assert_eq(p.seccomp, SANDBOX_SECCOMP_STRICT);
  cr_assert_eq(sandbox_policy_set(&p, "IPCSECCOMP", "none", &why), 1);
  cr_assert_eq(p.seccomp, SANDBOX_SECCOMP_NONE);
  cr_assert_eq(sandbox_policy_set(&p, "IPCUMASK", "077", &why), 1);
  cr_assert_eq(p.umask, 077);
  cr_assert_eq(sandbox_policy_set(&p, "IPCTIMEOUT", "30", &why), 1);
  cr_assert_eq(p.timeout, 30);
  cr_assert_eq(sandbox_policy_set(&p, "IPCKEEPENV", "TERM,LANG,LC_ALL", &why), 1);
  cr_assert_eq(p.nkeepenv, 3);
  cr_assert_str_eq(p.keepenv[2], "LC_ALL");
  cr_assert_eq(sandbox_policy_set(&p, "IPCCAPS", "", &why), 1);
  cr_assert_eq(p.caps, 0);
  cr_assert_eq(sandbox_policy_set(&p, "IPCCAPS", "all", &why), 1);
  cr_assert(p.caps_all);
  cr_assert_eq(p.caps & 1, 1);
  cr_assert_eq(sandbox_policy_set(&p, "FOO", "bar", &why), 0, "not a knob");
  cr_assert_eq(p.pty, SANDBOX_PTY_ALLOW);
  cr_assert_eq(sandbox_policy_set(&p, "IPCPTY", "0", &why), 1);
  cr_assert_eq(p.pty, SANDBOX_PTY_FORBID);
  cr_assert_eq(sandbox_policy_set(&p, "IPCPTY", "1", &why), 1);
  cr_assert_eq(p.pty, SANDBOX_PTY_REQUIRE);
  cr_assert_null(p.record);
  cr_assert_eq(sandbox_policy_set(&p, "IPCRECORD", "/var/log/ipcexec/rec", &why), 1);
  cr_assert_str_eq(p.record, "/var/log/ipcexec/rec");
  cr_assert_eq(p.record_max, 0);
  cr_assert_eq(sandbox_policy_set(&p, "IPCRECORDMAX", "2M", &why), 1);
  cr_assert_eq(p.record_max, 2 * 1024 * 1024);
  cr_assert_eq(sandbox_policy_set(&p, "IPCRECORDMAX", "1048576", &why), 1);
  cr_assert_eq(p.record_max, 1048576);
  cr_assert_eq(sandbox_policy_set(&p, "IPCRECORDMAX", "1024G", &why), 1);
  cr_assert_eq(p.record_max, UINT64_C(1) << 40);
}

Test(policy, invalid_values_are_errors_not_defaults)
{
  struct bad { const char *name, *value; } bad[] = {
    { "IPCUID", "-1" }, { "IPCUID", "4294967295" }, { "IPCUID", "root" }, { "IPCUID", "" },
    { "IPCGID", "01" }, { "IPCERROUT", "yes" }, { "IPCERROUT", "" },
    { "IPCCAPS", "cap_nonsense" }, { "IPCCAPS", "cap_chown," }, { "IPCCAPS", ",cap_chown" },
    { "IPCCAPS", "cap_chown,,cap_kill" }, { "IPCSECCOMP", "loose" }, { "IPCSECCOMP", "" },
    { "IPCSECCOMP", "DEFAULT" }, { "IPCUMASK", "8" }, { "IPCUMASK", "01777" }, { "IPCUMASK", "" },
    { "IPCTIMEOUT", "-5" }, { "IPCTIMEOUT", "1e3" }, { "IPCTIMEOUT", "99999999999" },
    { "IPCKEEPENV", "1BAD" }, { "IPCKEEPENV", "A-B" }, { "IPCKEEPENV", "A," }, { "IPCKEEPENV", "A=B" },
    { "IPCPTY", "" }, { "IPCPTY", "2" }, { "IPCPTY", "yes" }, { "IPCPTY", "01" },
    { "IPCRECORD", "" }, { "IPCRECORD", "/" }, { "IPCRECORD", "rec" }, { "IPCRECORD", "/var/rec/" },
    { "IPCRECORD", "/var//rec" }, { "IPCRECORD", "/var/../tmp" }, { "IPCRECORD", "/var/./rec" },
    { "IPCRECORD", "/var/my rec" }, { "IPCRECORD", "/var/\"rec" }, { "IPCRECORD", "/var/r\x01" },
    { "IPCRECORDMAX", "" }, { "IPCRECORDMAX", "1023K" }, { "IPCRECORDMAX", "0" },
    { "IPCRECORDMAX", "1025G" }, { "IPCRECORDMAX", "2m" }, { "IPCRECORDMAX", "2MB" },
    { "IPCRECORDMAX", "M" }, { "IPCRECORDMAX", "-1M" }, { "IPCRECORDMAX", "018M" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct sandbox_policy p;
    const char *why = 0;
    sandbox_policy_init(&p);
    cr_assert_eq(sandbox_policy_set(&p, bad[i].name, bad[i].value, &why), -1,
        "%s=\"%s\" accepted", bad[i].name, bad[i].value);
    cr_assert_not_null(why);
    cr_assert_not_null(strstr(why, bad[i].name), "message names the knob: %s", why);
  }
}

Test(policy, describe_shows_the_effective_sandbox)
{
  struct sandbox_policy p;
  const char *why;
  char *text = 0;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  sandbox_policy_init(&p);
  sandbox_policy_set(&p, "IPCCAPS", "cap_kill", &why);
  sandbox_policy_set(&p, "IPCTIMEOUT", "5", &why);
  sandbox_policy_describe(&p, f);
  fclose(f);
  cr_assert_str_eq(text,
      "sandbox capabilities: cap_kill\n"
      "sandbox seccomp: default\n"
      "sandbox no_new_privs: yes\n"
      "sandbox umask: 0022\n"
      "sandbox timeout: 5s\n"
      "arguments allowed: any\n"
      "sandbox keep environment: none\n"
      "client environment: TERM,COLORTERM,LANG,LANGUAGE,LC_* (checked)\n"
      "sandbox stderr: to the client\n"
      "terminal: a pty when the caller has a terminal\n"
      "recording: none\n");
  free(text);
}

/* The broker's own capability names are libcap-ng's, number for number,
 * for every capability either knows: rules written for one mean the same
 * to the other. */
Test(caps, names_match_libcap_ng)
{
  unsigned known = 0;
  for (unsigned c = 0; c < 64; c++) {
    const char *ours = sandbox_cap_name(c), *theirs = capng_capability_to_name(c);
    if (!ours && !theirs) continue;
    /* libcap-ng names numbers it does not know by the number itself */
    if (!ours && theirs && strspn(theirs, "0123456789") == strlen(theirs)) continue;
    cr_assert(ours && theirs, "capability %u: ours %s, libcap-ng %s", c, ours ? ours : "none",
        theirs ? theirs : "none");
    cr_assert_str_eq(ours, theirs, "capability %u", c);
    cr_assert_eq(sandbox_cap_from_name(ours), (int)c);
    cr_assert_eq(capng_name_to_capability(ours), (int)c);
    known++;
  }
  cr_assert_geq(known, 41, "cap_checkpoint_restore (40) and all below are named");
  cr_assert_eq(sandbox_cap_from_name("no_such_cap"), -1);
  cr_assert_eq(sandbox_cap_from_name(""), -1);
}
