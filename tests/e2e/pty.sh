#!/usr/bin/env bash
# Pty mode end to end, on real terminals: ptydrive.py gives ipcdo (uid
# 4242) a fresh pty as its controlling terminal, types keys and reads the
# screen. The command must get a pty of its own, never the caller's
# terminal; the caller's terminal must be put back exactly on every way
# out; files and pipes must still pass as they are.
. "$E2E/lib.sh"
. "$E2E/exec-lib.sh"
need_root
setup_users
DO=$(prog ipcdo)
SERVER=$(prog ipcserver)
EXECD=$(prog ipcexecd)
ECHECK=$(prog ipcexecrulescheck)
need_ptydrive

rules '4242,65534.sh:allow="/bin/sh"
4242,65534.sleep:allow="/bin/sleep"
4242,65534.true:allow="/bin/true"
4242,65534.nopty:allow="/bin/sh",IPCPTY="0"
4242,65534.needpty:allow="/bin/sh",IPCPTY="1"'
S=$T_TMP/s
env -u TERM "$SERVER" "$S" "$IPCEXEC" "$T_TMP/exec.cdb" 2>"$T_TMP/log" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "broker did not start"

# drive STEP... -- ARGS...: ipcdo ARGS as 4242 on a fresh terminal, with
# the driver's steps; D_RC is the driver's status, D_SCREEN what the
# terminal showed (CRs removed), info KEY a value it recorded.
N=0
drive() {
  N=$((N + 1))
  local steps=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do steps+=("$1"); shift; done
  shift
  python3 "$DRIVE" --info "$T_TMP/info.$N" --log "$T_TMP/screen.$N" --rows 33 --cols 101 "${steps[@]}" -- \
    setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$@" 2>"$T_TMP/drive.err"
  D_RC=$?
  D_SCREEN=$(tr -d '\r' <"$T_TMP/screen.$N" 2>/dev/null)
  [ "$D_RC" = 0 ] || { echo "  driver: $(cat "$T_TMP/drive.err")"; }
}
info() { sed -n "s/^$1=//p" "$T_TMP/info.$N" | tail -1; }
# the screen's lines, one per line, exactly
line() { printf '%s\n' "$D_SCREEN" | grep -qxF -- "$1"; }

# --- the command's terminal is a pty of its own --------------------------
drive tty=caller 'expect=end' wait -- "$DO" nobody sh -c 'echo hi > /dev/tty && echo dev-tty-ok; tty; ps -o tty= -p $$; echo "ipctty=$IPCTTY"; echo end'
check "from a terminal: the driver ran" 0 "$D_RC"
check "from a terminal: exit 0" 0 "$(info exit)"
line "hi" && line "dev-tty-ok" && pass "echo hi > /dev/tty works" || fail "/dev/tty: $D_SCREEN"
caller=$(info caller)
caller_path=${caller% *}
caller_dev=${caller#* }
cmd_tty=$(printf '%s\n' "$D_SCREEN" | grep -x '/dev/pts/[0-9]*' | head -1)
[ -n "$cmd_tty" ] && [ "$cmd_tty" != "$caller_path" ] && pass "the command's tty ($cmd_tty) is not the caller's ($caller_path)" \
  || fail "command tty '$cmd_tty', caller '$caller_path'"
line "${cmd_tty#/dev/}" && pass "the pty is the command's controlling terminal" || fail "ps tty: $D_SCREEN"
line "ipctty=$caller_path" && pass "\$IPCTTY names the caller's terminal" || fail "IPCTTY: $D_SCREEN"

# Every descriptor of the command, by device: none is the caller's terminal.
drive tty=caller 'expect=end' wait -- "$DO" nobody sh -c 'for f in /proc/$$/fd/*; do printf "fd %s %s\n" "${f##*/}" "$(stat -L -c %t:%T "$f" 2>/dev/null)"; done; echo end'
caller_dev=$(info caller)
caller_dev=${caller_dev#* }
fds=$(printf '%s\n' "$D_SCREEN" | grep '^fd ')
[ "$(printf '%s\n' "$fds" | grep -c '^fd [012] ')" = 3 ] && pass "the command has its 0, 1 and 2" || fail "fds: $fds"
if printf '%s\n' "$fds" | awk -v d="$caller_dev" '$3 == d { bad = 1 } END { exit !bad }'; then
  fail "a descriptor of the command is the caller's terminal ($caller_dev): $fds"
else
  pass "no descriptor of the command is the caller's terminal ($caller_dev)"
fi

# --- who relays: root or the caller, never the target ----------------------
# The command's parent (the pty's monitor) and its parent (the supervisor,
# which relays) are root's, and the target cannot signal them. While the
# command runs (it waits for the scan to be done: $0 appears), every
# process holding the caller's terminal is root's or the caller's.
python3 "$DRIVE" --info "$T_TMP/info.relay" --log "$T_TMP/screen.relay" tty=caller 'expect=end' wait -- \
  setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" "$DO" nobody sh -c \
  'm=$PPID; s=$(ps -o ppid= -p $m | tr -d " "); echo "uids $(ps -o uid= -p $m | tr -d " ") $(ps -o uid= -p $s | tr -d " ")"
   kill -0 $m 2>/dev/null || echo monitor-unsignalled; kill -0 $s 2>/dev/null || echo relay-unsignalled
   echo scan-now; i=0; while [ ! -e "$0" ] && [ $i -lt 80 ]; do sleep 0.1; i=$((i + 1)); done; echo end' \
  "$T_TMP/scanned" 2>"$T_TMP/drive.err" &
relay_drive=$!
i=0
while ! grep -q scan-now "$T_TMP/screen.relay" 2>/dev/null && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
caller_dev=$(sed -n 's/^caller=[^ ]* //p' "$T_TMP/info.relay")
holders=
for f in /proc/[0-9]*/fd/*; do
  [ "$(stat -L -c %t:%T "$f" 2>/dev/null)" = "$caller_dev" ] || continue
  p=${f#/proc/}
  holders="$holders $(stat -c %u "/proc/${p%%/*}" 2>/dev/null)"
done
: >"$T_TMP/scanned"
wait "$relay_drive"
check "who relays: the session ran" 0 "$?"
D_SCREEN=$(tr -d '\r' <"$T_TMP/screen.relay")
line "uids 0 0" && pass "the pty's monitor and the relaying supervisor are root's" || fail "relay uids: $D_SCREEN"
line "monitor-unsignalled" && line "relay-unsignalled" && pass "the target cannot signal them" || fail "signals: $D_SCREEN"
[ -n "$caller_dev" ] && [ -n "$holders" ] && ! printf '%s\n' $holders | grep -qvxE '0|4242' &&
  pass "the caller's terminal is held by root and the caller only (uids:$holders)" || fail "holders of $caller_dev:$holders"

# --- window size ---------------------------------------------------------
drive 'expect=size=33 101' 'expect=waiting' 'resize=40,120' 'expect=winch size=40 120' wait -- \
  "$DO" nobody sh -c 'echo "size=$(stty size)"; trap "w=1" WINCH; echo waiting; while [ -z "$w" ]; do sleep 0.1; done; echo "winch size=$(stty size)"'
check "window size copied at start" 0 "$D_RC"
line "winch size=40 120" && pass "a resize reaches the command: SIGWINCH and the new size" || fail "resize: $D_SCREEN"

# --- input, keys, status --------------------------------------------------
drive 'expect=ready' 'send=hello there\r' 'expect=got:hello there' wait -- "$DO" nobody sh -c 'echo ready; read x; echo "got:$x"'
check "input relayed through the pty" "0 0" "$D_RC $(info exit)"
drive 'expect=ready' 'send=\x03' wait -- "$DO" nobody sh -c 'echo ready; exec sleep 30'
check "^C kills sleep 30 through the pty's line discipline: exit 130" "0 130" "$D_RC $(info exit)"
drive 'expect=ready' 'send=\x1c' wait -- "$DO" nobody sh -c 'echo ready; exec sleep 30'
check "^\\ quits sleep 30: exit 131" "0 131" "$D_RC $(info exit)"
drive 'expect=ready' 'send=line1\r\x04' 'expect=lines=1' wait -- "$DO" nobody sh -c 'echo ready; echo "lines=$(wc -l)"'
check "^D is end of file for the command" "0 0" "$D_RC $(info exit)"
drive wait -- "$DO" nobody sh -c 'exit 7'
check "exit status 7 comes back" 7 "$(info exit)"
drive wait -- "$DO" nobody sh -c 'kill -TERM $$'
check "death by SIGTERM: 143" 143 "$(info exit)"

# Output written just before exit is all there, in order.
drive wait -- "$DO" nobody sh -c 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i + 1)); done; printf last-without-newline'
check "3000 lines written before exit all arrive" 3000 "$(printf '%s\n' "$D_SCREEN" | grep -c '^line [0-9]*$')"
check "in order" "line 0|line 2999" "$(printf '%s\n' "$D_SCREEN" | grep '^line ' | sed -n '1p;$p' | paste -sd'|')"
printf '%s' "$D_SCREEN" | tail -c 20 | grep -q 'last-without-newline$' && pass "the last bytes arrive" || fail "last bytes: $(printf '%s' "$D_SCREEN" | tail -c 40)"

# --- the caller's terminal is put back exactly ---------------------------
drive stty=before 'expect=raw-set' stty=during 'send=x' wait stty=after -- "$DO" nobody sh -c 'stty raw -echo; echo raw-set; dd bs=1 count=1 2>/dev/null >/dev/null; stty sane'
check "stty raw -echo in the command: exit 0" "0 0" "$D_RC $(info exit)"
[ "$(info during)" != "$(info before)" ] && pass "raw while the command runs" || fail "the terminal was not made raw"
check "stty -g before = after" "$(info before)" "$(info after)"
for sig in TERM HUP INT QUIT; do
  drive stty=before 'expect=ready' stty=during "kill=SIG$sig" wait stty=after -- "$DO" nobody sh -c "echo ready; exec sleep 30.$(kill -l "$sig")"
  [ "$(info during)" != "$(info before)" ] && pass "SIG$sig: raw before the signal" || fail "SIG$sig: not raw"
  check "SIG$sig to ipcdo mid-command: stty -g before = after" "$(info before)" "$(info after)"
  check "SIG$sig to ipcdo: it ends by it" "$((128 + $(kill -l "$sig")))" "$(info exit)"
done
i=0
while pgrep -f 'sleep 30\.' >/dev/null && [ $i -lt 80 ]; do sleep 0.1; i=$((i + 1)); done
pgrep -f 'sleep 30\.' >/dev/null && fail "a command outlived its killed ipcdo" || pass "the commands of killed ipcdos are gone"

# --- files and pipes pass as they are --------------------------------------
printf 'bin\000ary\r\n\003\004\x1a\nend' >"$T_TMP/in.bin"
chmod 644 "$T_TMP/in.bin"
: >"$T_TMP/out.bin"
chmod 666 "$T_TMP/out.bin"
N0=$N
drive tty=caller 'expect=running' 'send=typed\r' 'expect=after:typed' wait -- sh -c "\"$DO\" nobody sh -c 'echo running >&2; sleep 0.5; cat; test -t 0 || echo in-not-tty >&2; test -t 1 || echo out-not-tty >&2; test -t 2 && echo err-tty >&2; tty <&2 >&2' <'$T_TMP/in.bin' >'$T_TMP/out.bin'; read l; echo after:\$l"
cmp -s "$T_TMP/in.bin" "$T_TMP/out.bin" && pass "stdin and stdout files: the bytes passed directly (cmp)" || fail "the file bytes changed: $(od -c "$T_TMP/out.bin" | head -3)"
line "in-not-tty" && line "out-not-tty" && line "err-tty" && pass "only stderr is a terminal" || fail "terminals: $D_SCREEN"
errtty=$(printf '%s\n' "$D_SCREEN" | grep -x '/dev/pts/[0-9]*' | head -1)
[ -n "$errtty" ] && [ "$errtty" != "$(info caller | cut -d' ' -f1)" ] && pass "stderr is the command's pty" || fail "stderr tty: $errtty"
line "after:typed" && pass "the redirected stdin: what was typed was not read through the pty" || fail "typed input was taken: $D_SCREEN"
[ "$N" -gt "$N0" ] || fail "no drive"

run_in 'piped
' as 4242 4343 env IPCEXECPATH="$S" "$DO" nobody sh -c 'cat; test -t 0 || echo no-tty'
check "no terminal at all: attached mode as before" "piped
no-tty" "$OUT"
run as 4242 4343 env IPCEXECPATH="$S" "$DO" -t nobody sh -c 'echo ran' </dev/null
check "-t without a terminal: exit 100" 100 "$RC"
check "-t without a terminal: a clear message" "ipcdo: fatal: -t: none of standard input, output and error is a terminal" "$ERR"
run as 4242 4343 env IPCEXECPATH="$S" "$DO" -o -t nobody true </dev/null
check "-t with -o: exit 100" 100 "$RC"

# -T: the caller's terminal itself, no controlling terminal, no /dev/tty.
drive 'expect=end' wait -- "$DO" -T nobody sh -c 'echo x > /dev/tty 2>/dev/null || echo no-dev-tty; test -t 0 && echo is-tty; ps -o tty= -p $$; echo end'
line "no-dev-tty" && line "is-tty" && line "?" && pass "-T: today's behaviour (the terminal itself, no /dev/tty)" || fail "-T: $D_SCREEN"

# --- background: the terminal is not touched, its input not read ---------
drive stty=before 'expect=bg-out' 'expect=done' wait stty=after -- sh -c "\"$DO\" nobody sh -c 'echo bg-out' & wait; echo done"
line "bg-out" && pass "ipcdo & in a script: the output is relayed" || fail "bg: $D_SCREEN"
check "ipcdo & in a script: stty -g before = after" "$(info before)" "$(info after)"
drive stty=before 'expect=started' stty=during 'send=for-the-shell\r' 'expect=shell-read:for-the-shell' wait -- \
  bash -c "set -m; \"$DO\" nobody sh -c 'echo started; sleep 1; read x; echo cmd-read:\$x' </dev/tty & read s; echo shell-read:\$s; kill %1; wait"
check "a background ipcdo (job control) leaves the terminal's modes alone" "$(info before)" "$(info during)"
line "shell-read:for-the-shell" && ! line "cmd-read:for-the-shell" && pass "a background ipcdo: the foreground's input is not read" || fail "bg input: $D_SCREEN"

# --- ^Z and fg -------------------------------------------------------------
# While stopped, the shell prints the first letter of ps's state of ipcdo
# (its job) and of the command (the target's process with the mark).
drive stty=before 'expect=ready' 'send=\x1a' 'expect=stopped:148' 'expect=states:. .' stty=stopped 'send=go\r' 'expect=resumed' stty=resumed \
  'send=after-fg\r' 'expect=got:after-fg' 'expect=rc:0' wait stty=after -- \
  bash -c "set -m; \"$DO\" nobody sh -c 'echo ready; read x; echo got:\$x' zstop-mark; echo stopped:\$?
    echo states:\$(ps -o stat= -p \$(jobs -p %1) | cut -c1) \$(ps -o stat= -p \$(pgrep -u 65534 -f zstop-mark) | cut -c1)
    read go; echo resumed; fg; echo rc:\$?"
check "^Z: the command and ipcdo stop, fg resumes both" 0 "$D_RC"
line "states:T T" && pass "^Z: both ipcdo and the command are stopped (ps: T)" || fail "^Z states: $D_SCREEN"
check "^Z: the terminal is put back while stopped" "$(info before)" "$(info stopped)"
check "^Z, fg: put back at the end" "$(info before)" "$(info after)"

# --- IPCPTY ------------------------------------------------------------------
drive 'expect=end' wait -- "$DO" nobody nopty -c 'test -t 0 && echo is-tty; ps -o tty= -p $$; echo end'
line "is-tty" && line "?" && pass "IPCPTY=\"0\": from a terminal, no pty (the terminal itself)" || fail "IPCPTY=0: $D_SCREEN"
drive wait -- "$DO" -t nobody nopty -c 'echo ran'
check "IPCPTY=\"0\" with -t: denied" 100 "$(info exit)"
drive 'expect=end' wait -- "$DO" nobody needpty -c 'ps -o tty= -p $$; echo end'
printf '%s\n' "$D_SCREEN" | grep -qx 'pts/[0-9]*' && pass "IPCPTY=\"1\" from a terminal: a pty" || fail "IPCPTY=1: $D_SCREEN"
run as 4242 4343 env IPCEXECPATH="$S" "$DO" nobody needpty -c 'echo ran' </dev/null
check "IPCPTY=\"1\" without a terminal: denied" "100 " "$RC $OUT"
drive wait -- "$DO" -T nobody needpty -c 'echo ran'
check "IPCPTY=\"1\" with -T: denied" 100 "$(info exit)"
grep -q 'reason=a\\x20terminal\\x20is\\x20required' "$T_TMP/log" && pass "audit: a terminal is required" || fail "no audit reason for IPCPTY=1"
grep -q 'decision=allow mode=attached pty=yes' "$T_TMP/log" && pass "audit: pty=yes" || fail "no pty=yes in the audit"

run as 4242 4343 env IPCEXECPATH="$S" "$DO" -l nobody </dev/null
has "$OUT" "nopty: allow, runs /bin/sh" && has "$(echo "$OUT" | grep nopty)" ", never a pty" \
  && has "$(echo "$OUT" | grep needpty)" ", from a terminal only" && pass "ipcdo -l shows IPCPTY" || fail "ipcdo -l: $OUT"
printf '%s\n' '4242,65534.x:allow="/bin/sh",IPCPTY="2"' | "$IPCEXECRULES" "$T_TMP/bad.cdb" "$T_TMP/bad.tmp" 2>"$T_TMP/err"
check "ipcexecrules refuses IPCPTY=\"2\"" 100 "$?"
grep -q 'IPCPTY' "$T_TMP/err" && pass "and names IPCPTY" || fail "message: $(cat "$T_TMP/err")"
run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND=nopty "$ECHECK" "$T_TMP/exec.cdb"
has "$OUT" "terminal: never a pty" && pass "ipcexecrulescheck shows IPCPTY=\"0\"" || fail "check: $OUT"
run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND=nopty "$ECHECK" -e -t "$T_TMP/exec.cdb"
check "ipcexecrulescheck -t, IPCPTY=\"0\": allowed" 0 "$RC"
has "$OUT" "on a pty" && fail "ipcexecrulescheck -t, IPCPTY=\"0\": $OUT" || pass "ipcexecrulescheck -t, IPCPTY=\"0\": no pty"
run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND=needpty "$ECHECK" -e "$T_TMP/exec.cdb"
check "ipcexecrulescheck, IPCPTY=\"1\", no terminal: denied" 1 "$RC"
has "$OUT" "ipcexec would refuse: a terminal is required" && has "$OUT" "-t checks one from a terminal" \
  && pass "ipcexecrulescheck, IPCPTY=\"1\": says why, and how to check from a terminal" || fail "check: $OUT"
run env IPCREMOTEEUID=4242 IPCREMOTEEGID=4343 IPCUID=65534 IPCCOMMAND=needpty "$ECHECK" -e -t "$T_TMP/exec.cdb"
check "ipcexecrulescheck -t, IPCPTY=\"1\": allowed" 0 "$RC"
has "$OUT" "on a pty of its own, the caller's terminal relayed" && pass "ipcexecrulescheck -t, IPCPTY=\"1\": on a pty" \
  || fail "check -t: $OUT"
rules_raw 4242,65534.rawbad '=/bin/sh\0+IPCPTY=yes\0'
drive wait -- "$DO" nobody rawbad -c 'echo ran'
check "a cdb with IPCPTY=\"yes\": denied" 100 "$(info exit)"
grep -q 'reason=invalid\\x20IPCPTY' "$T_TMP/log" && pass "audit: invalid IPCPTY" || fail "no audit reason for IPCPTY=yes"

# --- the preforked broker ----------------------------------------------------
S=$T_TMP/sd
"$EXECD" -c 2 "$S" "$T_TMP/exec.cdb" 2>"$T_TMP/dlog" &
T_PIDS="$T_PIDS $!"
wait_for_socket "$S" || fail "ipcexecd did not start"
drive stty=before 'expect=ready' 'send=via-execd\r' 'expect=got:via-execd' wait stty=after -- "$DO" nobody sh -c 'echo ready; read x; echo "got:$x"; tty'
check "ipcexecd: input relayed, exit 0" "0 0" "$D_RC $(info exit)"
printf '%s\n' "$D_SCREEN" | grep -qx '/dev/pts/[0-9]*' && pass "ipcexecd: the command on a pty" || fail "ipcexecd: $D_SCREEN"
check "ipcexecd: stty -g before = after" "$(info before)" "$(info after)"

# --- under ipcexecd, a command that ends at once, again and again: its
# end is never missed (the monitor looks for it before every wait: the
# SIGCHLD of a command that ended before the monitor was ready can be gone)
hung=0
for i in $(seq 100); do
  timeout 10 setpriv --reuid=4242 --regid=4343 --clear-groups -- env IPCEXECPATH="$S" \
    script -qec "$DO nobody true" /dev/null </dev/null >/dev/null 2>&1 || hung=$((hung + 1))
done
check "100 pty requests of a command that ends at once: each ends with status 0" 0 "$hung"
check "100 pty requests: each on a pty" 100 "$(grep -a -c -E '^ipcexec: ok 4242\.4343,65534\.true .* pty=' "$T_TMP/dlog")"
# nothing but the command in its cgroup: no process made ahead left there
check "100 pty requests: no leftovers counted" 0 \
  "$(grep -a -E '^ipcexec: end 4242\.4343,65534\.true ' "$T_TMP/dlog" | grep -a -c -v ' leftovers=0')"

t_done
