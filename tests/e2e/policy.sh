#!/usr/bin/env bash
# Delegation policy end to end, as root with an unprivileged caller,
# through both brokers: arguments pinned by IPCARGS, %GID keys matched
# against the caller's groups as the kernel reports them.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
SERVER=$(prog ipcserver)
EXECD=$(prog ipcexecd)
ECHECK=$(prog ipcexecrulescheck)

rules '4242,65534.echo:allow="/bin/echo",IPCARGS="restart nginx"
4242,65534.star:allow="/bin/echo",IPCARGS="install *"
4242,65534.none:allow="/bin/echo",IPCARGS=""
4242,65534.esc:allow="/bin/echo",IPCARGS="a\ b x\\y \*"
4242,65534.any:allow="/bin/echo"
%4344,65534.grp:allow="/bin/echo"
%4344,65534.ord:deny
%4350,65534.ord:allow="/bin/echo"
.4343,65534.prec:allow="/bin/echo",WHICH="egid"
%4344,65534.prec:allow="/bin/echo",WHICH="group"
%4344,65534.fallback:allow="/bin/echo",WHICH="group"
,65534.fallback:allow="/bin/echo",WHICH="any"
%5099,65534.many:allow="/bin/echo"
ipctest,nobody.byname:allow="/bin/echo"
%ipctest2,nobody.bygroup:allow="/bin/echo"
ipctest.ipctestg,root.asroot:allow="/bin/echo",IPCUID="nobody",IPCGID="nogroup"
4245,65534.secret:allow="/bin/echo"
%4350,65534.gsecret:allow="/bin/echo"
4242,0.rootdeny:deny'

# Names where numbers go are resolved when compiling: the cdb holds numbers.
keys=$(cdb -l "$T_TMP/exec.cdb" | sed 's/^+[0-9]*://' | grep -E 'byname|bygroup|asroot' | sort | tr '\n' ' ')
check "names in keys compile to numbers" "%4344,65534.bygroup 4242,65534.byname 4242.4343,0.asroot " "$keys"
has "$(cdb -q "$T_TMP/exec.cdb" '4242.4343,0.asroot' | tr '\0' ' ')" '+IPCUID=65534 +IPCGID=65534 ' \
  && pass "IPCUID and IPCGID names compile to numbers" || fail "IPCUID/IPCGID: $(cdb -q "$T_TMP/exec.cdb" '4242.4343,0.asroot' | tr '\0' ' ')"
run_in 'nosuchuser-here,0.id:allow
' "$IPCEXECRULES" "$T_TMP/bad.cdb" "$T_TMP/bad.tmp"
check "an unknown user in a key is a parse error" "100" "$RC"
has "$ERR" "unknown user nosuchuser-here" && has "$ERR" "unable to parse this line: nosuchuser-here,0.id:allow" \
  && pass "... that names the user and keeps the 0.70 message" || fail "... message: $ERR"
run_in '%nosuchgroup-here:allow
' "$(prog ipcrules)" "$T_TMP/bad.cdb" "$T_TMP/bad.tmp"
has "$ERR" "unknown group nosuchgroup-here" && pass "an unknown group in a connection key too" || fail "unknown group: $ERR"

# The connection rules: members of 4351 are turned away, and no rule may
# set the groups the exec broker sees.
printf '%s\n' '%4351:deny' ':allow,IPCREMOTEGROUPS="4344"' | "$(prog ipcrules)" "$T_TMP/conn.cdb" "$T_TMP/conn.tmp"

# A malformed value is refused by the compiler, naming the line.
run_in '4242,65534.bad:allow="/bin/echo",IPCARGS="a\"
' "$IPCEXECRULES" "$T_TMP/bad.cdb" "$T_TMP/bad.tmp"
check "ipcexecrules refuses a trailing lone backslash" \
  '100 ipcexecrules: warning: line 1: invalid IPCARGS
ipcexecrules: fatal: unable to parse this line: 4242,65534.bad:allow="/bin/echo",IPCARGS="a\"' "$RC $ERR"
run_in '4242,65534.bad:allow="/bin/echo",IPCARGS="* a"
' "$IPCEXECRULES" "$T_TMP/bad.cdb" "$T_TMP/bad.tmp"
check "ipcexecrules refuses a star before the end" 100 "$RC"
[ -e "$T_TMP/bad.cdb" ] && fail "a refused rules file left a cdb" || pass "a refused rules file leaves no cdb"

# The checker takes the request's arguments.
chk() { env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND="$1" "$ECHECK" "$T_TMP/exec.cdb" "${@:2}"; }
run chk echo restart nginx
has "$OUT" "arguments allowed: restart nginx" && ! has "$OUT" "would refuse" && pass "checker: pinned arguments match" \
  || fail "checker: pinned arguments match: $OUT"
run chk echo restart apache
has "$OUT" "ipcexec would refuse: arguments not allowed" && pass "checker: other arguments refused" \
  || fail "checker: other arguments refused: $OUT"

for B in ipcserver ipcexecd; do
  S=$T_TMP/s.$B
  LOG=$T_TMP/log.$B
  case $B in
    ipcserver) "$SERVER" -x "$T_TMP/conn.cdb" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>"$LOG" & ;;
    ipcexecd) "$EXECD" -x "$T_TMP/conn.cdb" -c 2 "$S" "$T_TMP/exec.cdb" 2>"$LOG" & ;;
  esac
  T_PIDS="$T_PIDS $!"
  wait_for_socket "$S" || fail "$B did not start"
  do_as() { as 4242 4343 env IPCEXECPATH="$S" "$DO" "$@" </dev/null; }
  # do_groups GROUPS ARGS...: the same caller with supplementary GROUPS.
  do_groups() {
    local g=$1
    shift
    setpriv --reuid=4242 --regid=4343 --groups="$g" -- env IPCEXECPATH="$S" "$DO" "$@" </dev/null
  }

  run do_as nobody echo restart nginx
  check "$B: pinned arguments run" "0 restart nginx" "$RC $OUT"
  for a in "restart" "restart nginx now" "restart apache" "Restart nginx"; do
    # shellcheck disable=SC2086  # the words are the arguments
    run do_as nobody echo $a
    check "$B: [$a] denied" "100 ipcdo: fatal: request denied|" "$RC $ERR|$OUT"
  done
  run do_as nobody echo restart "nginx "
  check "$B: a trailing space in an argument is not the argument" 100 "$RC"
  run do_as nobody star install
  check "$B: install * with nothing after" "0 install" "$RC $OUT"
  run do_as nobody star install a 'b c'
  check "$B: install * with more" "0 install a b c" "$RC $OUT"
  run do_as nobody star remove a
  check "$B: install * is not remove" 100 "$RC"
  run do_as nobody none
  check "$B: IPCARGS=\"\" allows no arguments" 0 "$RC"
  run do_as nobody none ''
  check "$B: IPCARGS=\"\" refuses an empty argument" 100 "$RC"
  run do_as nobody esc 'a b' 'x\y' '*'
  check "$B: escaped space, backslash and star" '0 a b x\y *' "$RC $OUT"
  run do_as nobody esc 'a b' 'x\y' 'anything'
  check "$B: an escaped star is only a star" 100 "$RC"
  run do_as nobody any what ever
  check "$B: without IPCARGS any arguments" "0 what ever" "$RC $OUT"
  run do_as nobody byname x
  check "$B: a rule written with user names" "0 x" "$RC $OUT"
  run do_groups 4344 nobody bygroup x
  check "$B: a %group rule written with a group name" "0 x" "$RC $OUT"
  run do_as root asroot x
  check "$B: IPCUID=\"nobody\" by name" "0 x" "$RC $OUT"
  has "$(grep -a 'asroot req=' "$LOG" | head -1)" 'target_uid=65534' && pass "$B: ... runs as 65534" \
    || fail "$B: ... audit: $(grep -a 'asroot req=' "$LOG" | head -1)"
  # %GID: the caller's supplementary groups, from the kernel
  run do_groups 4344 nobody grp hi
  check "$B: %4344 matches a member of 4344" "0 hi" "$RC $OUT"
  run do_as nobody grp hi
  check "$B: %4344 does not match without the group" 100 "$RC"
  has "$(grep -a 'grp req=' "$LOG" | tail -1)" 'rule=none' && pass "$B: ... no rule matched" \
    || fail "$B: ... audit: $(grep -a 'grp req=' "$LOG" | tail -1)"
  run do_groups 4350,4344 nobody ord x
  check "$B: groups tried in ascending order, first found wins (the deny of 4344)" 100 "$RC"
  has "$(grep -a 'ord req=' "$LOG" | tail -1)" 'rule=%4344,65534.ord reason=denied' \
    && pass "$B: ... the audit names the %4344 rule" || fail "$B: ... audit: $(grep -a 'ord req=' "$LOG" | tail -1)"
  run do_groups 4350 nobody ord x
  check "$B: ... and 4350 alone gets its allow" "0 x" "$RC $OUT"
  run do_groups 4344 nobody prec x
  has "$(grep -a -E '^ipcexec: (ok|deny) .*prec req=' "$LOG" | tail -1)" 'rule=.4343,65534.prec' \
    && pass "$B: .EGID comes before %GID" || fail "$B: .EGID before %GID: $(grep -a -E '^ipcexec: (ok|deny) .*prec req=' "$LOG" | tail -1)"
  run do_groups 4344 nobody fallback x
  has "$(grep -a -E '^ipcexec: (ok|deny) .*fallback req=' "$LOG" | tail -1)" 'rule=%4344,65534.fallback' \
    && pass "$B: %GID comes before ,UID.CMD" || fail "$B: %GID before ,UID: $(grep -a -E '^ipcexec: (ok|deny) .*fallback req=' "$LOG" | tail -1)"
  run do_as nobody fallback x
  has "$(grep -a -E '^ipcexec: (ok|deny) .*fallback req=' "$LOG" | tail -1)" 'rule=,65534.fallback' \
    && pass "$B: without the group, ,UID.CMD" || fail "$B: ,UID fallback: $(grep -a -E '^ipcexec: (ok|deny) .*fallback req=' "$LOG" | tail -1)"
  # More groups than one first guess of the buffer holds (64).
  run do_groups "$(seq -s, 5000 5099)" nobody many y
  check "$B: a caller with 100 groups is matched on the last" "0 y" "$RC $OUT"
  # The connection rules see the groups too; and their IPCREMOTEGROUPS is
  # ignored (the server sets it), so 4242 without groups stays without.
  run do_groups 4351 nobody any x
  check "$B: %4351 connection rule turns a member away" 111 "$RC"
  run do_as nobody grp hi
  check "$B: a connection rule cannot hand out a group" 100 "$RC"
  grep -a -q 'ignoring IPCREMOTEGROUPS from rule' "$LOG" && pass "$B: ... and says so" \
    || fail "$B: ... no warning: $(grep -a ignoring "$LOG" | head -2)"

  # ipcdo -l: what this caller may run, and nothing about anyone else
  run do_groups 4344 -l
  check "$B: ipcdo -l exits 0" "0" "$RC"
  has "$OUT" "as nobody (65534): echo: allow, runs /bin/echo, arguments restart nginx, capabilities none, seccomp default" \
    && pass "$B: -l shows a pinned rule as the broker reads it" || fail "$B: -l pinned: $OUT"
  has "$OUT" "as nobody (65534): bygroup: allow" && pass "$B: -l shows %group rules of the caller's groups" \
    || fail "$B: -l group: $OUT"
  has "$OUT" "as root (0): rootdeny: deny" && pass "$B: -l shows deny rules as such" || fail "$B: -l deny: $OUT"
  { has "$OUT" secret || has "$OUT" gsecret; } && fail "$B: -l shows another caller's rules: $OUT" \
    || pass "$B: -l shows no rule of another uid or group"
  check "$B: -l shows the rule that decides, once per target and command" 1 "$(printf '%s\n' "$OUT" | grep -c ': prec: ')"
  # A list request that fills the broker's whole buffer, and one past it:
  # refused, answered, nothing overrun (the sanitizer build checks).
  for pad in 22 23 40; do
    run as 4242 4343 sh -c "printf 'L1:1,%d:%0${pad}d,' $pad 0 | \"\$1\" \"\$2\"" sh "$(prog ipcconnect)" "$S"
    check "$B: an oversized list request ($pad digits) is refused" "1:F," "$OUT"
  done
  run do_as -l root
  check "$B: ipcdo -l root lists root's targets only" "as root (0): asroot: allow, runs /bin/echo, arguments any, capabilities none, seccomp default, as uid 65534 instead
as root (0): rootdeny: deny" "$OUT"
  wait_for 1 '^ipcexec: list 4242\.4343,0\. .*shown=2 ' "$LOG" && pass "$B: each list gets an audit line" \
    || fail "$B: list audit: $(grep -a 'ipcexec: list' "$LOG")"

  wait_for 5 'reason=arguments\\x20not\\x20allowed' "$LOG" && pass "$B: denials say why in the audit line" \
    || fail "$B: audit: $(grep -a deny "$LOG" | head -3)"
  has "$(grep -a 'reason=arguments' "$LOG" | head -1)" 'argv=echo\x00restart' \
    && pass "$B: the audit line holds the refused argv" || fail "$B: audit argv: $(grep -a deny "$LOG" | head -1)"
done

t_done
