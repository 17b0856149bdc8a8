#!/usr/bin/env bash
# The command line as sudo and doas users meet it: ipcdo and ipcrun
# options and messages, the caller's terminal and locale in the command's
# environment, the rules compilers' checks and the checkers' -e.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
RUN=$(prog ipcrun)
SERVER=$(prog ipcserver)
SH=$(getent passwd ipctest | cut -d: -f7)
[ -n "$SH" ] || SH=/bin/sh

rules "4242,65534.id:allow=\"/usr/bin/id\"
4242,65534.env:allow=\"/usr/bin/env\"
4242,65534.noenv:allow=\"/usr/bin/env\",IPCCLIENTENV=\"0\"
4242,65534.keepenv:allow=\"/usr/bin/env\",IPCKEEPENV=\"TERM\",IPCCLIENTENV=\"0\"
4242,4242.$SH:allow
4242,0.id:allow=\"/usr/bin/id\""
S=$T_TMP/s
env TERM=server-term "$SERVER" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>"$T_TMP/log" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "broker did not start"

do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@" </dev/null; }
run_as() { as 4242 4343 env IPCEXECPATH="$S" "$RUN" "$@" </dev/null; }

DO_USAGE='ipcdo: usage: ipcdo [ -hnostT ] [ -u user | user ] prog [ arg ... ]'
RUN_USAGE='ipcrun: usage: ipcrun [ -hnostT ] prog [ arg ... ]'

# --- ipcdo and ipcrun options ---
for h in -h --help; do
  run "$DO" "$h"
  check "ipcdo $h: exit 0" 0 "$RC"
  check "ipcdo $h: nothing on stderr" "" "$ERR"
  check "ipcdo $h: the usage line first" "usage: ipcdo [ -hnostT ] [ -u user | user ] prog [ arg ... ]" "$(echo "$OUT" | head -1)"
  for o in '-u user' '-s ' '-o ' '-t ' '-T ' '-n ' '-h, --help' '-V, --version'; do
    has "$OUT" "  $o" && pass "ipcdo $h lists $o" || fail "ipcdo $h does not list $o"
  done
  run "$RUN" "$h"
  check "ipcrun $h: exit 0" "0 " "$RC $ERR"
  check "ipcrun $h: the usage line first" "usage: ipcrun [ -hnostT ] prog [ arg ... ]" "$(echo "$OUT" | head -1)"
  for o in '-s ' '-o ' '-t ' '-T ' '-n ' '-h, --help' '-V, --version'; do
    has "$OUT" "  $o" && pass "ipcrun $h lists $o" || fail "ipcrun $h does not list $o"
  done
done
for v in -V --version "-n -V" "-o --version"; do
  # shellcheck disable=SC2086  # two options on purpose
  run "$DO" $v
  check "ipcdo $v prints the version" "0 ipcdo 0.90.0" "$RC $OUT"
  # shellcheck disable=SC2086
  run "$RUN" $v
  check "ipcrun $v prints the version" "0 ipcrun 0.90.0" "$RC $OUT"
done

# Messages name the program, never the path it was run by; getopt's own
# "invalid option" never shows.
for bad in -x --bogus -- "-u"; do
  run "$DO" "$bad"
  check "ipcdo $bad: usage, exit 100" "100 $DO_USAGE" "$RC $ERR"
done
# Every program that reads options: run by another path, an unknown
# option gets the program's own usage line, named by the program.
mkdir -p "$T_TMP/by/another/path"
for p in ipcserver ipcexecd ipcprint ipcexec-config ipcclient ipcexec ipcdo ipcrun ipcrules ipcexecrules \
    ipcrulescheck ipcexecrulescheck; do
  ln -sf "$(prog "$p")" "$T_TMP/by/another/path/x-$p"
  run "$T_TMP/by/another/path/x-$p" -Z a b c </dev/null
  if [ "$RC" = 100 ] && [ "${ERR#"$p: usage: "}" != "$ERR" ] && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] &&
      ! has "$ERR" "another/path" && ! has "$ERR" "invalid option"; then
    pass "$p -Z: its own usage line, named $p"
  else
    fail "$p -Z: exit $RC, '$ERR'"
  fi
done
run "$DO"
check "ipcdo without operands: usage" "100 $DO_USAGE" "$RC $ERR"
run "$DO" nobody
check "ipcdo user without prog: usage" "100 $DO_USAGE" "$RC $ERR"
run "$DO" -u nobody
check "ipcdo -u user without prog: usage" "100 $DO_USAGE" "$RC $ERR"
run "$DO" -u "" id
check "ipcdo -u '': usage" "100 $DO_USAGE" "$RC $ERR"
run "$RUN" -x
check "ipcrun -x: usage, exit 100" "100 $RUN_USAGE" "$RC $ERR"
run "$RUN" -u nobody id
check "ipcrun has no -u: usage" "100 $RUN_USAGE" "$RC $ERR"
run "$RUN"
check "ipcrun without prog: usage" "100 $RUN_USAGE" "$RC $ERR"
run env IPCEXECPATH="$T_TMP/none" "$DO" -u nosuchuser-ipc id
check "ipcdo -u unknown name" "100 ipcdo: fatal: unknown user: nosuchuser-ipc" "$RC $ERR"

run do_as -u nobody id -u
check "ipcdo -u nobody id" "0 65534" "$RC $OUT"
run do_as nobody id -u
check "ipcdo nobody id (the 0.70 form)" "0 65534" "$RC $OUT"
run do_as -u 65534 id -u
check "ipcdo -u 65534 id" "0 65534" "$RC $OUT"
run do_as -n -u nobody id -u
check "ipcdo -n: a no-op" "0 65534" "$RC $OUT"
run do_as -n nobody id -u
check "ipcdo -n with the positional user" "0 65534" "$RC $OUT"
run do_as -o -u nobody id -u
check "ipcdo -o -u nobody id" "0 65534" "$RC $OUT"
run run_as -n id -u
check "ipcrun -n id" "0 0" "$RC $OUT"

# -s: the target's shell from passwd, allowed by a rule like any command.
run do_as -s -u ipctest -- -c 'echo "shell $0 $(id -u)"'
check "ipcdo -s -u ipctest runs ipctest's login shell" "0 shell $SH 4242" "$RC $OUT"
run do_as -s ipctest -c 'echo positional'
check "ipcdo -s with the positional user" "0 positional" "$RC $OUT"
run do_as -s -u nobody
check "ipcdo -s: a shell no rule allows is denied" "100 ipcdo: fatal: request denied" "$RC $ERR"
grep -q "cmd=/usr/sbin/nologin\|/usr/sbin/nologin" "$T_TMP/log" && pass "the broker saw the shell's path" ||
  fail "the broker's log does not show the shell's path"
run do_as -s -u 54321
check "ipcdo -s for a uid without passwd entry" "100 ipcdo: fatal: unknown user: 54321: no login shell to run" "$RC $ERR"
run run_as -s -- -c 'echo root shell'
check "ipcrun -s: root's shell, denied without a rule" "100 ipcrun: fatal: request denied" "$RC $ERR"

# --- the caller's terminal and locale, by default, checked ---
# envof VAR=VALUE... -- CMD: ipcdo nobody CMD with only those variables in
# the caller's environment; OUT is the command's, sorted, less the
# broker-set ones.
envof() {
  local vars=()
  while [ "$1" != -- ]; do vars+=("$1"); shift; done
  shift
  run env -i "${vars[@]}" IPCEXECPATH="$S" setpriv --reuid=4242 --regid=4343 --clear-groups \
    "$DO" nobody "$@" </dev/null
  OUT=$(echo "$OUT" | grep -E '^(TERM|COLORTERM|LANG|LANGUAGE|LC_[A-Za-z_]*|FOO)=' | sort)
}
envof TERM=xterm-256color COLORTERM=truecolor LANG=en_US.UTF-8 LANGUAGE=de_DE:fr:en \
  LC_ALL=C LC_MESSAGES=de_DE.utf8@euro LC_TIME=POSIX FOO=bar -- env
check "TERM, COLORTERM, LANG, LANGUAGE, LC_* by default, nothing else" "COLORTERM=truecolor
LANG=en_US.UTF-8
LANGUAGE=de_DE:fr:en
LC_ALL=C
LC_MESSAGES=de_DE.utf8@euro
LC_TIME=POSIX
TERM=xterm-256color" "$OUT"
check "the command's status with the default environment" 0 "$RC"
long=$(printf 'x%.0s' $(seq 128))
envof TERM="$long" -- env
check "a TERM of 128 bytes passes" "TERM=$long" "$OUT"
for hostile in "TERM=x$long" 'TERM=../../../tmp/evil' 'TERM=/tmp/evil' 'TERM=xterm%n' 'TERM=xterm 256' \
  'TERM=' 'TERM=xterm\x' "TERM=$(printf 'xt\033]0;x')" 'TERM=xtermé' "TERM=$(printf 'x\303\251')" \
  'COLORTERM=a/b' 'COLORTERM=%s%s' 'LANG=/tmp/evil' 'LANG=../evil' 'LANG=C.UTF-8%s' 'LANG=en_US.UTF-8 x' \
  'LANG=.UTF-8' 'LANG=en.' 'LANG=en_US:fr' 'LANG=-en' 'LC_ALL=../../x' 'LC_CTYPE=C/x' 'LC_TIME=en@' \
  "LC_ALL=e$long" 'LANGUAGE=de:/tmp/x' 'LANGUAGE=de::fr' 'LANGUAGE=de:' 'LC_foo=C' 'LC_=C'; do
  envof "$hostile" -- env
  check "hostile ${hostile%%=*} dropped: $(printf '%q' "${hostile#*=}" | cut -c1-40)" "0 " "$RC $OUT"
done
envof TERM=xterm LANG=C.UTF-8 -- noenv
check "IPCCLIENTENV=\"0\": none of the caller's variables" "0 " "$RC $OUT"
envof TERM=xterm LANG=C.UTF-8 -- keepenv
check "IPCCLIENTENV=\"0\" with IPCKEEPENV=\"TERM\": the broker's TERM only" "0 TERM=server-term" "$RC $OUT"
run env -i TERM=xterm IPCEXECPATH="$S" setpriv --reuid=4242 --regid=4343 --clear-groups "$DO" -o nobody env </dev/null
check "-o (0.70 requests) carries no client environment" "" "$(echo "$OUT" | grep '^TERM=')"

# --- ipcexecrules: knob values checked with the broker's code -----------
C=$T_TMP/c
mkdir -p "$C"
printf '1.2,0.ok:allow="/bin/true"\n' | "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp" || fail "the first cdb did not compile"
old=$(cdb -l -m "$C/r.cdb")
for bad in 'IPCCAPS="cap_nosuch"' 'IPCCAPS="cap_chown,"' 'IPCSECCOMP="loose"' 'IPCUMASK="999"' \
  'IPCTIMEOUT="-1"' 'IPCTIMEOUT="604801"' 'IPCUID="01"' 'IPCGID="4294967295"' 'IPCKEEPENV="A-B"' \
  'IPCERROUT="yes"' 'IPCCLIENTENV="2"' 'IPCCLIENTENV=""' 'IPCARGS="a\"'; do
  knob=${bad%%=*}
  line="4242,0.x:allow=\"/bin/true\",$bad"
  run_in "# a comment
4242,0.y:allow=\"/bin/true\"
$line
" "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp"
  check "ipcexecrules refuses $bad: line number, reason, the 0.70 line" "100 ipcexecrules: warning: line 3: invalid $knob
ipcexecrules: fatal: unable to parse this line: $line" "$RC $ERR"
done
check "the old cdb is untouched after each refusal" "$old" "$(cdb -l -m "$C/r.cdb")"
check "no tmp file is left" "" "$(ls "$C/r.tmp" 2>/dev/null)"
run_in '4242,0.x:deny,IPCCAPS="cap_nosuch"
' "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp"
check "a deny rule applies no knob: compiles as in 0.70" "0 " "$RC $ERR"
run_in '4242,0.x:allow="/bin/true",IPCCAPS="cap_chown,CAP_KILL",IPCSECCOMP="strict",IPCUMASK="077",IPCTIMEOUT="604800",IPCUID="0",IPCGID="0",IPCKEEPENV="A,B_1",IPCERROUT="0",IPCCLIENTENV="0",IPCARGS="a *",OTHER="anything"
' "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp"
check "valid values of every knob compile silently" "0 " "$RC $ERR"
run_in '1:allow,IPCCAPS="cap_nosuch"
' "$(prog ipcrules)" "$C/c.cdb" "$C/c.tmp"
check "ipcrules: connection rules have no knobs to check" "0 " "$RC $ERR"

# --- ipcexecrules warnings: legal but dangerous, exit 0 ------------------
mkdir -p "$C/open" "$C/safe" "$C/mine"
chmod 777 "$C/open"
chmod 755 "$C/safe"
chown 4242 "$C/mine"
for f in open/prog safe/prog safe/wprog safe/uprog mine/prog safe/perl5.36 safe/vim; do
  printf '#!/bin/sh\n' >"$C/$f"
  chmod 755 "$C/$f"
done
chmod 777 "$C/safe/wprog"
chown 4242 "$C/safe/uprog"
ln -sf "$C/open/prog" "$C/safe/link"
BASH_AT=
for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  if [ -x "$d/bash" ]; then BASH_AT=$d/bash; break; fi
done
W='ipcexecrules: warning: line'
run_in "4242,0.a:allow=\"bin/true\"
4242,0.b:allow=\"$C/open/prog\"
4242,0.c:allow=\"$C/safe/wprog\"
4242,0.d:allow=\"$C/safe/uprog\"
4242,0.e:allow=\"$C/mine/prog\"
4242,0.f:allow=\"$C/safe/link\"
4242,0.g:allow=\"$C/safe/perl5.36\"
4242,0.bash:allow
4242,0.h:allow=\"/bin/true\",IPCCAPS=\"all\"
4242,0.i:allow=\"/bin/true\",IPCSECCOMP=\"none\"
4242,0.j:allow=\"$C/safe/vim\",IPCARGS=\"/etc/motd\"
4242,0.k:allow=\"$C/safe/prog\"
4242,0.l:deny,IPCCAPS=\"all\"
" "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp"
check "warnings, one line each" "0 $W 1: allow=\"bin/true\" is not an absolute path: the broker denies every request of this rule
$W 2: the program $C/open/prog lies in $C/open, which is writable by its group or others
$W 3: the program $C/safe/wprog is writable by its group or others
$W 4: the program $C/safe/uprog is owned by a user other than root
$W 5: the program $C/mine/prog lies in $C/mine, which is owned by a user other than root
$W 6: the program $C/open/prog lies in $C/open, which is writable by its group or others
$W 7: $C/safe/perl5.36 starts other programs and IPCARGS does not pin its arguments: the rule allows any command
$W 8: $BASH_AT starts other programs and IPCARGS does not pin its arguments: the rule allows any command
$W 9: IPCCAPS=\"all\" keeps every capability: the command can do what root can
$W 10: IPCSECCOMP=\"none\" turns the system call filter off" "$RC $ERR"
check "a rules file with warnings compiles" "4242,0.k" "$(cdb -l -m "$C/r.cdb" | grep -o '^4242,0.k')"
# Ids a key names that this machine does not know (54321 is neither a
# group nor a user here).
if getent group 54321 >/dev/null || getent passwd 54321 >/dev/null; then
  fail "54321 exists on this machine: the unknown-id warnings cannot be tried"
fi
run_in '%54321,0.a:allow="/bin/true"
%4343,0.b:allow="/bin/true"
4242,54321.c:allow="/bin/true"
4242-4243,54321.d:allow="/bin/true"
%54321,54321.e:deny
' "$IPCEXECRULES" "$C/r.cdb" "$C/r.tmp"
check "warnings: a %GID without a group, a target uid without a user" "0 $W 1: %54321 names no group on this machine
$W 3: the target uid 54321 has no passwd entry: the broker fails every request of this rule
$W 4: the target uid 54321 has no passwd entry: the broker fails every request of this rule" "$RC $ERR"
run_in '%54321:allow
%4343:allow
' "$(prog ipcrules)" "$C/c.cdb" "$C/c.tmp"
check "ipcrules warns about a %GID without a group" "0 ipcrules: warning: line 1: %54321 names no group on this machine" "$RC $ERR"
run_in '%54321:allow
' "$(prog ipcrules)" -q "$C/c.cdb" "$C/c.tmp"
check "ipcrules -q silences it" "0 " "$RC $ERR"
run_in "4242,0.a:allow=\"bin/true\"
4242,0.h:allow=\"/bin/true\",IPCCAPS=\"all\"
" "$IPCEXECRULES" -q "$C/r.cdb" "$C/r.tmp"
check "-q silences the warnings" "0 " "$RC $ERR"
run_in '4242,0.x:allow,IPCCAPS="nosuch"
' "$IPCEXECRULES" -q "$C/r.cdb" "$C/r.tmp"
check "-q does not silence a parse error's reason" "100 ipcexecrules: warning: line 1: invalid IPCCAPS
ipcexecrules: fatal: unable to parse this line: 4242,0.x:allow,IPCCAPS=\"nosuch\"" "$RC $ERR"
run_in '1:allow
' "$(prog ipcrules)" -q "$C/c.cdb" "$C/c.tmp"
check "ipcrules -q rules.cdb rules.tmp" "0 " "$RC $ERR"
run "$IPCEXECRULES" -x "$C/r.cdb" "$C/r.tmp" </dev/null
check "ipcexecrules -x: usage" "100 ipcexecrules: usage: ipcexecrules [ -q ] rules.cdb rules.tmp" "$RC $ERR"
run "$IPCEXECRULES" -q "$C/r.cdb" </dev/null
check "ipcexecrules -q with one operand: usage" "100 ipcexecrules: usage: ipcexecrules [ -q ] rules.cdb rules.tmp" "$RC $ERR"

# --- the checkers' -e: the exit status is the decision -------------------
ECHECK=$(prog ipcexecrulescheck)
CHECK=$(prog ipcrulescheck)
printf '%s\n' '4242,0.ok:allow="/bin/true"' '4242,0.no:deny' '4242,0.pinned:allow="/bin/echo",IPCARGS="a"' \
  '4242,54321.ok:allow="/bin/true"' | "$IPCEXECRULES" -q "$C/chk.cdb" "$C/chk.tmp" || fail "check rules did not compile"
# echk UID CMD ARGS...: the exec checker for caller 4242.4343.
echk() {
  local uid=$1 cmd=$2
  shift 2
  run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID="$uid" IPCCOMMAND="$cmd" "$ECHECK" "$@"
}
for c in "0 ok 0" "0 no 1" "0 other 1" "0 pinned 0 a" "0 pinned 1 b" "0 pinned 1 -x" "54321 ok 111"; do
  # shellcheck disable=SC2086  # the fields on purpose
  set -- $c
  uid=$1 cmd=$2 want=$3
  shift 3
  echk "$uid" "$cmd" "$C/chk.cdb" "$@"
  plain="$RC $OUT"
  echk "$uid" "$cmd" -e "$C/chk.cdb" "$@"
  check "ipcexecrulescheck -e: $cmd $* as $uid: exit $want" "$want" "$RC"
  check "ipcexecrulescheck -e: $cmd $* as $uid: the 0.70 output, exit 0 without -e" "0 $OUT" "$plain"
done
echk 0 ok -e "$C/none.cdb"
check "ipcexecrulescheck -e: an unreadable cdb is 111" 111 "$RC"
echk 0 ok -x "$C/chk.cdb"
check "ipcexecrulescheck -x: usage" "100 ipcexecrulescheck: usage: ipcexecrulescheck [ -et ] rules.cdb [ arg ... ]" "$RC $ERR"
echk 0 ok -e -V
check "ipcexecrulescheck -e -V: the version" "0 ipcexecrulescheck 0.90.0" "$RC $OUT"
printf '%s\n' '1000:deny' '1001:allow,A="b"' | "$(prog ipcrules)" "$C/conn.cdb" "$C/conn.tmp" || fail "conn rules did not compile"
for c in "1000 1" "1001 0" "1002 0"; do
  set -- $c
  run env IPCREMOTEEUID="$1" "$CHECK" "$C/conn.cdb"
  plain="$RC $OUT"
  run env IPCREMOTEEUID="$1" "$CHECK" -e "$C/conn.cdb"
  check "ipcrulescheck -e: uid $1: exit $2" "$2" "$RC"
  check "ipcrulescheck -e: uid $1: the 0.70 output, exit 0 without -e" "0 $OUT" "$plain"
done
run "$CHECK" -e "$C/none.cdb"
check "ipcrulescheck -e: an unreadable cdb is 111" 111 "$RC"
run "$CHECK" -x "$C/conn.cdb"
check "ipcrulescheck -x: usage" "100 ipcrulescheck: usage: ipcrulescheck [ -e ] rules.cdb" "$RC $ERR"
run "$CHECK" -e "$C/conn.cdb" extra
check "ipcrulescheck -e with two operands: usage" "100 ipcrulescheck: usage: ipcrulescheck [ -e ] rules.cdb" "$RC $ERR"

t_done
