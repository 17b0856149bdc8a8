#!/usr/bin/env bash
# ipcexec-config end to end: the service directory it makes (every file's
# content, mode and owner), the rules Makefile, the run script bringing up
# a working broker with its env directory, the log service writing the
# audit lines as loguser; refusals that leave nothing behind, also when
# creation fails half-way; and the sample rules in contrib/.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users

CONFIG=$(prog ipcexec-config)
IPCDO=$(prog ipcdo)
CHECK=$(prog ipcexecrulescheck)
LOGGROUP=$(id -gn nobody)
USAGE="ipcexec-config: usage: ipcexec-config [ -b bindir ] user loguser dir"

# The programs the run scripts name, where an installation would put them.
BIN=$T_TMP/bin
mkdir "$BIN"
for p in ipcserver ipcexec ipcexecd ipcexecrules; do ln -s "$(prog $p)" "$BIN/$p"; done

# listing DIR: every name in DIR, hidden ones too, on one line.
listing() { ls -A "$1" | tr '\n' ' '; }

# --- usage and refusals: the exit code, the message, and nothing created

run "$CONFIG"
check "no arguments: exit 100" 100 "$RC"
check "no arguments: usage" "$USAGE" "$ERR"
run "$CONFIG" root nobody
check "two arguments: usage, exit 100" "100 $USAGE" "$RC $ERR"
run "$CONFIG" -z root nobody "$T_TMP/x"
check "unknown option: usage, exit 100" "100 $USAGE" "$RC $ERR"
run "$CONFIG" root nobody ""
check "empty dir: usage, exit 100" "100 $USAGE" "$RC $ERR"

mkdir "$T_TMP/rel"
cd "$T_TMP/rel" || exit 1
run "$CONFIG" -b "$BIN" root nobody svc
cd / || exit 1
check "relative dir: exit 100" 100 "$RC"
check "relative dir: message" "ipcexec-config: fatal: dir must be an absolute path: svc" "$ERR"
check "relative dir: nothing created" "" "$(listing "$T_TMP/rel")"

run "$CONFIG" -b bin root nobody "$T_TMP/rel/svc"
check "relative bindir: exit 100 and message" \
  "100 ipcexec-config: fatal: bindir must be an absolute path: bin" "$RC $ERR"
check "relative bindir: nothing created" "" "$(listing "$T_TMP/rel")"

long=$T_TMP/rel/$(printf 'x%.0s' $(seq 1 120))
run "$CONFIG" -b "$BIN" root nobody "$long"
check "dir too long for dir/s: exit 100" 100 "$RC"
has "$ERR" "ipcexec-config: fatal: dir is too long: the socket $long/s would not fit a socket address" \
  && pass "dir too long: message" || fail "dir too long: $ERR"
check "dir too long: nothing created" "" "$(listing "$T_TMP/rel")"

run "$CONFIG" -b "$BIN" root nobody "$T_TMP/rel/new
line"
check "control character in dir: exit 100 and message" \
  "100 ipcexec-config: fatal: dir must not contain control characters" "$RC $ERR"

mkdir -p "$T_TMP/p1/svc"
echo keep >"$T_TMP/p1/svc/marker"
run "$CONFIG" -b "$BIN" root nobody "$T_TMP/p1/svc"
check "existing dir: exit 111" 111 "$RC"
check "existing dir: message" "ipcexec-config: fatal: unable to create $T_TMP/p1/svc: File exists" "$ERR"
check "existing dir: left as it was" "marker keep" "$(ls -A "$T_TMP/p1/svc") $(cat "$T_TMP/p1/svc/marker")"
check "existing dir: nothing beside it" "svc " "$(listing "$T_TMP/p1")"

ln -s "$T_TMP/p1/elsewhere" "$T_TMP/p1/link"
run "$CONFIG" -b "$BIN" root nobody "$T_TMP/p1/link"
check "dangling symlink: refused, exit 111" \
  "111 ipcexec-config: fatal: unable to create $T_TMP/p1/link: File exists" "$RC $ERR"
[ ! -e "$T_TMP/p1/elsewhere" ] && pass "dangling symlink: its target not created" \
  || fail "dangling symlink: its target was created"

mkdir "$T_TMP/p2"
run "$CONFIG" -b "$BIN" root nosuch-ipclog "$T_TMP/p2/svc"
check "unknown loguser: exit 111 and message" \
  "111 ipcexec-config: fatal: unknown account nosuch-ipclog" "$RC $ERR"
check "unknown loguser: nothing created" "" "$(listing "$T_TMP/p2")"
run "$CONFIG" -b "$BIN" nosuch-ipcuser nobody "$T_TMP/p2/svc"
check "unknown user: exit 111 and message" \
  "111 ipcexec-config: fatal: unknown account nosuch-ipcuser" "$RC $ERR"
check "unknown user: nothing created" "" "$(listing "$T_TMP/p2")"

run "$CONFIG" -b "$BIN" root nobody "$T_TMP/p2/nothere/svc"
check "missing parent: exit 111" 111 "$RC"
has "$ERR" "ipcexec-config: fatal: unable to create a directory beside $T_TMP/p2/nothere/svc: No such file or directory" \
  && pass "missing parent: message" || fail "missing parent: $ERR"
check "missing parent: nothing created" "" "$(listing "$T_TMP/p2")"

chmod 777 "$T_TMP/p2"
run as 4242 4343 "$CONFIG" -b "$BIN" root nobody "$T_TMP/p2/svc"
check "not root: exit 111" 111 "$RC"
check "not root: message" \
  "ipcexec-config: fatal: must be run as root: the service directory belongs to root" "$ERR"
check "not root: nothing created" "" "$(listing "$T_TMP/p2")"

# A failure half-way: a file system with room for all but the last entry
# (11 inodes: its root, the hidden directory and 9 entries). Everything
# made so far, the loguser-owned log/main included, must go.
mkdir "$T_TMP/fs"
if mount -t tmpfs -o size=1m,nr_inodes=10,mode=755 ipcexec-config-test "$T_TMP/fs" 2>/dev/null; then
  run "$CONFIG" -b "$BIN" root nobody "$T_TMP/fs/svc"
  check "full file system: exit 111" 111 "$RC"
  printf '%s' "$ERR" | grep -qE "^ipcexec-config: fatal: unable to create $T_TMP/fs/\.svc\.[A-Za-z0-9]{6}/log/run: No space left on device\$" \
    && pass "full file system: fails on the last entry, with the reason" || fail "full file system: $ERR"
  check "full file system: nothing left" "" "$(listing "$T_TMP/fs")"
  umount "$T_TMP/fs"
  mount -t tmpfs -o size=1m,nr_inodes=11,mode=755 ipcexec-config-test "$T_TMP/fs"
  run "$CONFIG" -b "$BIN" root nobody "$T_TMP/fs/svc"
  check "one more inode: created" "0 svc " "$RC $(listing "$T_TMP/fs")"
  umount "$T_TMP/fs"
else
  echo "skip - cannot mount a tmpfs here: half-way failure not tested"
fi

# --- the service directory

S=$T_TMP/svc
run "$CONFIG" -b "$BIN" root nobody "$S"
check "created: exit 0, silent" "0||" "$RC|$OUT|$ERR"
check "no hidden directory left beside it" "" "$(listing "$T_TMP" | tr ' ' '\n' | grep '^\.svc' )"

check "every entry's mode, owner, group and type" \
" 755 root root d
env 755 root root d
env/IPCERROUT 644 root root f
log 755 root root d
log/main 750 nobody $LOGGROUP d
log/run 755 root root f
rules 755 root root d
rules/Makefile 644 root root f
rules/data 644 root root f
run 755 root root f" "$(cd "$S" && find . -printf '%P %m %u %g %y\n' | LC_ALL=C sort)"

check "env/IPCERROUT is 1" "1" "$(cat "$S/env/IPCERROUT")"
check "rules/data starts as :deny" ":deny" "$(cat "$S/rules/data")"
grep -qxF "	'$BIN/ipcexecrules' data.cdb data.tmp < data" "$S/rules/Makefile" \
  && pass "the Makefile runs ipcexecrules by its absolute path" || fail "Makefile: $(cat "$S/rules/Makefile")"
grep -qx 'data.cdb: data' "$S/rules/Makefile" && pass "the Makefile target" || fail "Makefile target"

check "run: a sh script" "#!/bin/sh" "$(head -n 1 "$S/run")"
grep -qx 'exec 2>&1' "$S/run" && pass "run: stderr to the log" || fail "run: exec 2>&1 missing"
grep -qxF "cd '$S' || exit 111" "$S/run" && pass "run: works from any directory" || fail "run: cd line"
check "run: ipcexecd -v -C 5 on dir/s with dir/rules/data.cdb, absolute paths" \
  "exec env \"\$@\" '$BIN/ipcexecd' -v -C 5 '$S/s' \\
  '$S/rules/data.cdb'" "$(grep -A1 '^exec env' "$S/run")"
grep -v '^#' "$S/run" | grep -q envdir && fail "run: needs envdir" || pass "run: no envdir program needed"
sh -n "$S/run" && sh -n "$S/log/run" && pass "both scripts parse" || fail "a script does not parse"
grep -qxF "  exec setpriv --reuid='nobody' --regid='$LOGGROUP' --init-groups -- s6-log -b t ./main" "$S/log/run" \
  && pass "log/run: s6-log as loguser by setpriv" || fail "log/run: $(cat "$S/log/run")"
grep -qxF "  exec setpriv --reuid='nobody' --regid='$LOGGROUP' --init-groups -- multilog t ./main" "$S/log/run" \
  && grep -qxF "  exec setpriv --reuid='nobody' --regid='$LOGGROUP' --init-groups -- svlogd -tt ./main" "$S/log/run" \
  && pass "log/run: multilog and svlogd too" || fail "log/run: $(cat "$S/log/run")"

mkdir "$T_TMP/nologger"
ln -s "$(command -v setpriv)" "$T_TMP/nologger/setpriv"
run env PATH="$T_TMP/nologger" /bin/sh "$S/log/run" </dev/null
check "log/run without any logger: exit 111 and why" \
  "111 ipcexec log: fatal: no logger found: install s6 (s6-log), daemontools (multilog) or runit (svlogd)" "$RC $ERR"

# --- compiling the rules

run make -C "$S/rules"
check "make: exit 0" 0 "$RC"
check "data.cdb: root's, 644" "644 root" "$(stat -c '%a %U' "$S/rules/data.cdb")"
run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND=/bin/echo "$CHECK" "$S/rules/data.cdb"
check "the first rules deny everything" "rule :
deny connection" "$OUT"
run env LC_ALL=C make -C "$S/rules"
has "$OUT" "'data.cdb' is up to date" && pass "make again: nothing to do" || fail "make again: $OUT"

# --- the service, started as a supervisor would: run piped into log/run

printf 'hello world \t\nsecond line\n' >"$S/env/GREETING"
printf '  lead' >"$S/env/RAW"
: >"$S/env/DROPPED"
mkfifo "$T_TMP/logpipe"
"$S/log/run" <"$T_TMP/logpipe" &
LOGPID=$!
(cd / && exec env DROPPED=from-supervisor PRESERVED=yes "$S/run") >"$T_TMP/logpipe" &
RUNPID=$!
T_PIDS="$RUNPID $LOGPID"
wait_for_socket "$S/s" && pass "run brings up ipcexecd on dir/s" || fail "no socket at $S/s"

# wait_log TEXT: the log has a line with TEXT, within 5 s.
wait_log() {
  local i=0
  while [ $i -lt 500 ]; do
    grep -qF -- "$1" "$S/log/main/current" 2>/dev/null && return 0
    sleep 0.01
    i=$((i + 1))
  done
  return 1
}
client() { as 4242 4343 env IPCEXECPATH="$S/s" "$IPCDO" "$@"; }

run client nobody /bin/echo hello
check "with :deny, nothing runs" "" "$OUT"
wait_log "ipcexec: deny 4242.4343,65534./bin/echo req=" && pass "the denial is in the log" \
  || fail "no deny line in the log: $(cat "$S/log/main/current" 2>&1)"

cat >"$S/rules/data" <<'EOF'
4242,65534./bin/echo:allow
4242,65534.printenv:allow="/usr/bin/printenv",IPCKEEPENV="GREETING,RAW,DROPPED,PRESERVED"
:deny
EOF
run make -C "$S/rules"
check "make after editing: exit 0" 0 "$RC"
run client nobody /bin/echo hello
check "allowed by the new rules, no restart" "hello" "$OUT"
wait_log "ipcexec: ok 4242.4343,65534./bin/echo req=" && pass "the audit line is in the log" \
  || fail "no audit line in the log: $(cat "$S/log/main/current" 2>&1)"
wait_log "caller=ipctest target_uid=65534 target_gid=65534 target=nobody rule=4242,65534./bin/echo" \
  && pass "the audit line names caller, target and rule" || fail "audit fields: $(cat "$S/log/main/current")"
wait_log "status=exit:0" && pass "the end line is in the log" || fail "no end line"
wait_log "ipcexecd: status: " && pass "ipcexecd's status lines are in the log (-v)" || fail "no ipcexecd status line"
check "the log is written as loguser" "nobody" "$(stat -c %U "$S/log/main/current")"
head -c 1 "$S/log/main/current" | grep -q '@' && pass "log lines are timestamped" || fail "no timestamp"

run client nobody printenv GREETING
check "env/: a file's first line, trailing blanks removed" "hello world" "$OUT"
run client nobody printenv RAW
check "env/: leading blanks kept, no newline needed" "  lead" "$OUT"
run client nobody printenv DROPPED
check "env/: an empty file removes the variable" "" "$OUT"
run client nobody printenv PRESERVED
check "env/: the supervisor's environment is kept otherwise" "yes" "$OUT"

kill -TERM "$RUNPID"
wait "$RUNPID"
check "ipcexecd exits 0 on SIGTERM" 0 "$?"
wait "$LOGPID"
check "the logger ends with its input" 0 "$?"
# shellcheck disable=SC2034  # read by lib.sh: the logger is gone, nothing to stop
T_PIDS=

# --- variants

run "$CONFIG" -b "$BIN" ipctest nobody "$T_TMP/svc2"
check "user other than root: exit 0" 0 "$RC"
check "user other than root: a warning that the service stays root" \
  "ipcexec-config: warning: the service runs as root, not as ipctest: ipcexec needs root to switch users" "$ERR"
check "user other than root: the same run script" "$(cat "$S/run")" "$(sed "s|$T_TMP/svc2|$S|g" "$T_TMP/svc2/run")"

run "$CONFIG" -b "$T_TMP/rel" root nobody "$T_TMP/svc3/"
check "programs not installed yet: still created" 0 "$RC"
check "programs not installed yet: one warning each" \
  "ipcexec-config: warning: the service needs $T_TMP/rel/ipcexecd: No such file or directory
ipcexec-config: warning: the service needs $T_TMP/rel/ipcexecrules: No such file or directory" "$ERR"
grep -qxF "cd '$T_TMP/svc3' || exit 111" "$T_TMP/svc3/run" && pass "trailing slash removed" \
  || fail "trailing slash: $(grep '^cd' "$T_TMP/svc3/run")"

# Without -b: ipcexecrules from bindir, ipcexecd (section 8) from
# sbindir, where meson installs them.
CFG_BINDIR=$(sed -n 's/^#define BINDIR "\(.*\)"$/\1/p' "$BUILD/config.h")
CFG_SBINDIR=$(sed -n 's/^#define SBINDIR "\(.*\)"$/\1/p' "$BUILD/config.h")
run "$CONFIG" root nobody "$T_TMP/svc4"
check "default paths: created" 0 "$RC"
check "default paths: ipcexecd from sbindir" \
  "exec env \"\$@\" '$CFG_SBINDIR/ipcexecd' -v -C 5 '$T_TMP/svc4/s' \\
  '$T_TMP/svc4/rules/data.cdb'" "$(grep -A1 '^exec env' "$T_TMP/svc4/run")"
grep -qxF "	'$CFG_BINDIR/ipcexecrules' data.cdb data.tmp < data" "$T_TMP/svc4/rules/Makefile" \
  && pass "default paths: ipcexecrules from bindir" || fail "default Makefile: $(cat "$T_TMP/svc4/rules/Makefile")"

W="$T_TMP/it's a \$svc"
run "$CONFIG" -b "$BIN" root nobody "$W"
check "a dir with a quote, a space and a dollar: created" 0 "$RC"
check "... quoted right in run" "$W" "$(eval "$(grep '^cd ' "$W/run")" && pwd)"
check "... and in log/run" "$W/log" "$(eval "$(grep '^cd ' "$W/log/run")" && pwd)"

# --- contrib/rules.example: every rule form and knob, and it compiles

EX=$SRC/contrib/rules.example
run "$IPCEXECRULES" "$T_TMP/ex.cdb" "$T_TMP/ex.tmp" <"$EX"
check "rules.example compiles, warning about its all-powerful rule only" '0|ipcexecrules: warning: line 98: IPCCAPS="all" keeps every capability: the command can do what root can
ipcexecrules: warning: line 98: IPCSECCOMP="none" turns the system call filter off' "$RC|$ERR"
active=$(grep -v '^#' "$EX" | grep ':')
for k in IPCUID IPCGID IPCERROUT IPCCAPS IPCSECCOMP IPCUMASK IPCKEEPENV IPCTIMEOUT IPCARGS IPCCLIENTENV; do
  printf '%s\n' "$active" | grep -q ",$k=" && pass "rules.example uses $k" || fail "rules.example lacks $k"
done
for form in '^[0-9]+\.[0-9]+,[0-9]+\.' '^[0-9]+,[0-9]+\.' '^\.[0-9]+,[0-9]+\.' '^%[a-z0-9]+,[a-z0-9]+\.' '^,[0-9]+\.' \
    '^[0-9]+-[0-9]+,[0-9]+\.' '^:' ':allow$' ':allow,' ':allow="' ':deny$' ',[A-Z_]+=/'; do
  printf '%s\n' "$active" | grep -qE -- "$form" && pass "rules.example has a rule matching $form" \
    || fail "rules.example has no rule matching $form"
done

# Each rule, asked for once through ipcexec's own decision code: the rule
# that decides, and no value ipcexec would refuse.
n=0
while read -r euid egid uid cmd key verdict args; do
  n=$((n + 1))
  [ "$key" = "(empty)" ] && key=
  # shellcheck disable=SC2086  # the request's arguments, one per word
  run env IPCREMOTEEUID="$euid" IPCREMOTEEGID="$egid" IPCUID="$uid" IPCCOMMAND="$cmd" "$CHECK" "$T_TMP/ex.cdb" $args
  if [ "$RC" = 0 ] && has "$OUT" "rule $key:" && has "$OUT" "$verdict connection" \
      && ! has "$OUT" "would refuse" && ! has "$OUT" "invalid"; then
    pass "rules.example: $euid.$egid as $uid runs $cmd: $key $verdict"
  else
    fail "rules.example: $euid.$egid as $uid runs $cmd: $OUT"
  fi
done <<'EOF'
1000 1000 0 id 1000.1000,0.id allow
1000 5 0 dmesg 1000,0.dmesg allow
1500 27 0 systemctl .27,0.systemctl allow
1001 27 0 systemctl 1001,0.systemctl deny
1 1 65534 date ,65534.date allow
2050 1 65534 report 2050,65534.report allow
1000 1 33 deploy 1000,33.deploy allow
1000 1 0 backup 1000,0.backup allow
1000 1 0 chown-shared 1000,0.chown-shared allow
1000 1 0 apt-get 1000,0.apt-get allow install hello
1000 1 0 restart-nginx 1000,0.restart-nginx allow restart nginx
1600 27 0 reboot %27,0.reboot allow
1000 1 0 fixperms 1000,0.fixperms allow
1000 1 0 report 1000,0.report allow
1000 1 0 sh (empty) deny
EOF
check "every rule of rules.example is checked" "$(printf '%s\n' "$active" | wc -l)" "$n"

t_done
